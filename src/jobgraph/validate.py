"""Validation: SHACL core shapes (pyshacl), SPARQL-based shapes and QC queries (embedded store), OWL check."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from .backends import Backend, OxigraphBackend
from .build import STORE_DIR_NAME, Assembled, assemble, build, is_fresh
from .convert import Triple
from .errors import JavaMissing
from .model import AcceptedFinding
from .namespaces import GRAPH, JG, JGID, JGSH, PREFIXES, RDF, RDFS, SH, SKOS
from .queries import StoredQuery, list_qc
from .resources import resource_dir

SEVERITIES = ("violation", "warning", "info")
_SEVERITY_OF = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
_SEVERITY_IRI = {v: k for k, v in _SEVERITY_OF.items()}
SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(PREFIXES.items()))


@dataclass
class Finding:
    """One thing wrong (or worth knowing) about the data, with where to fix it."""

    severity: str
    rule: str
    rule_name: str
    message: str
    message_en: str
    focus: str | None = None
    label: str | None = None
    path: str | None = None
    value: str | None = None
    expected: str | None = None
    source: str | None = None
    referential: str | None = None
    kind: str = "shacl"
    accepted: str | None = None

    def text(self, lang: str = "fr") -> str:
        return self.message_en if lang == "en" and self.message_en else self.message

    def sort_key(self) -> tuple[str, str, int, str, str]:
        return (self.referential or "~", self.focus or "", SEVERITIES.index(self.severity),
                self.rule, self.value or "")


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reasoned: bool = False

    def counts(self) -> dict[str, int]:
        c = Counter(f.severity for f in self.findings if not f.accepted)
        return {s: c.get(s, 0) for s in SEVERITIES} | {
            "accepted": sum(1 for f in self.findings if f.accepted)}

    def per_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.findings).items()))

    def conforms(self, fail_on: str = "violation") -> bool:
        failing = {"violation"} if fail_on == "violation" else {"violation", "warning"}
        return not any(f.severity in failing and not f.accepted for f in self.findings)

    def to_json(self, lang: str = "fr", fail_on: str = "violation") -> dict[str, Any]:
        findings = []
        for f in sorted(self.findings, key=Finding.sort_key):
            d = asdict(f)
            d["message"] = f.text(lang)
            d.pop("message_en")
            findings.append(d)
        return {"conforms": self.conforms(fail_on),
                "summary": {"counts": self.counts(), "rules": self.per_rule(),
                            "reasoned": self.reasoned, "notes": self.notes,
                            "seconds": {k: round(v, 3) for k, v in self.timings.items()}},
                "findings": findings}


# --- shapes --------------------------------------------------------------------------------------

@dataclass
class SparqlRule:
    """A SHACL-SPARQL constraint, run here as one query over all focus nodes of the store."""

    shape: URIRef
    target_class: URIRef | None
    select: str
    name: str
    message_fr: str
    message_en: str
    severity: str
    path: URIRef | None = None


def load_shapes(directory: Path | None = None) -> Graph:
    g = Graph()
    for path in sorted((directory or resource_dir("shapes")).glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def split_shapes(shapes: Graph) -> tuple[Graph, list[SparqlRule]]:
    """SHACL-core part for pyshacl, and the SPARQL-based constraints to run on the store.

    pyshacl re-parses a constraint's query for every focus node (about 1 ms each on rdflib);
    a single query binding ``$this`` over the whole target gives the same results at once.
    """
    core = Graph()
    for t in shapes:
        core.add(t)
    rules: list[SparqlRule] = []
    for shape, constraint in list(shapes.subject_objects(SH.sparql)):
        core.remove((shape, SH.sparql, constraint))
        select = shapes.value(constraint, SH.select)
        if select is None:
            continue
        target = shapes.value(shape, SH.targetClass)
        rules.append(SparqlRule(
            shape=constraint if isinstance(constraint, URIRef) else URIRef(str(shape)),
            target_class=target if isinstance(target, URIRef) else None,
            select=str(select),
            name=_lang_value(shapes, constraint, SH.name, "en")
            or _lang_value(shapes, shape, SH.name, "en") or _local(shape),
            message_fr=_lang_value(shapes, constraint, SH.message, "fr")
            or _lang_value(shapes, shape, SH.message, "fr") or "",
            message_en=_lang_value(shapes, constraint, SH.message, "en")
            or _lang_value(shapes, shape, SH.message, "en") or "",
            severity=_severity(shapes.value(constraint, SH.severity)
                               or shapes.value(shape, SH.severity)),
            path=shapes.value(shape, SH.path),  # type: ignore[arg-type]
        ))
    return core, sorted(rules, key=lambda r: str(r.shape))


def _severity(term: Node | None) -> str:
    return _SEVERITY_OF.get(term, "violation") if isinstance(term, URIRef) else "violation"


def _lang_value(g: Graph, s: Node, p: URIRef, lang: str) -> str | None:
    values = list(g.objects(s, p))
    for v in values:
        if isinstance(v, Literal) and v.language == lang:
            return str(v)
    for v in values:
        if isinstance(v, Literal) and not v.language:
            return str(v)
    return None


def _local(term: Node) -> str:
    s = str(term)
    return re.split(r"[#/]", s)[-1]


def compact(term: Node | str | None) -> str | None:
    """IRIs shortened with jobgraph's prefixes, literals as their text."""
    if term is None:
        return None
    if isinstance(term, Literal):
        return str(term)
    s = str(term)
    for prefix, ns in sorted(PREFIXES.items(), key=lambda x: -len(x[1])):
        if s.startswith(ns):
            return f"{prefix}:{s[len(ns):]}"
    return s


def _fill(template: str, values: dict[str, str | None]) -> str:
    def sub(m: re.Match[str]) -> str:
        v = values.get(m.group(1))
        return v if v is not None else m.group(0)

    return re.sub(r"\{[?$](\w+)\}", sub, template)


# --- running the checks --------------------------------------------------------------------------

def _subclasses(backend: Backend, cls: URIRef) -> list[URIRef]:
    rows = backend.select(SPARQL_PREFIXES + "SELECT DISTINCT ?c WHERE { ?c rdfs:subClassOf+ ?top }",
                          {"top": cls}).rows
    return [cls, *sorted(URIRef(str(r[0])) for r in rows if isinstance(r[0], URIRef))]


def run_sparql_rules(backend: Backend, rules: Iterable[SparqlRule]) -> list[Finding]:
    findings = []
    for rule in rules:
        # the constraint's SELECT is nested as a sub-query joined with the shape's target, which is
        # what SHACL's pre-binding of $this means when $this only appears in the WHERE pattern;
        # one query per target class (and sub-class) keeps the join selective
        if rule.target_class is not None:
            query = SPARQL_PREFIXES + ("SELECT * WHERE { ?this a ?targetClass . { "
                                       + _strip_prefixes(rule.select) + " } }")
            runs = [{"targetClass": c} for c in _subclasses(backend, rule.target_class)]
        else:
            query, runs = SPARQL_PREFIXES + _strip_prefixes(rule.select), [{}]
        seen: set[tuple[tuple[str, str | None], ...]] = set()
        for bindings in runs:
            for row in backend.select(query, bindings).dicts():
                values = {k: compact(v) for k, v in row.items()}
                # a resource with several labels gives one row per label: report it once
                key = tuple(sorted((k, v) for k, v in values.items() if not k.lower().endswith("label")))
                if key in seen:
                    continue
                seen.add(key)
                findings.append(Finding(
                    severity=rule.severity, rule=compact(rule.shape) or "", rule_name=rule.name,
                    message=_fill(rule.message_fr, values), message_en=_fill(rule.message_en, values),
                    focus=str(row.get("this")) if row.get("this") is not None else None,
                    path=compact(row.get("path") or rule.path), value=values.get("value"),
                    expected=values.get("expected"), kind="sparql"))
    return findings


def _strip_prefixes(select: str) -> str:
    return re.sub(r"(?im)^\s*PREFIX\s+\S*:\s*<[^>]*>\s*$", "", select).strip()


def run_qc(backend: Backend, queries: Iterable[StoredQuery]) -> list[Finding]:
    findings = []
    for q in queries:
        result = backend.select(q.text)
        for row in result.dicts():
            values = {k: compact(v) for k, v in row.items()}
            focus = row.get("focus")
            findings.append(Finding(
                severity=q.meta.get("severity", "violation"), rule=f"qc:{q.name}",
                rule_name=q.summary, message=_fill(q.meta.get("message-fr", q.summary), values),
                message_en=_fill(q.meta.get("message-en", q.summary), values),
                focus=str(focus) if focus is not None else None, path=values.get("path"),
                value=values.get("value"), expected=values.get("expected"), kind="qc"))
    return findings


_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# what lets pyshacl read triples whatever their predicate: then every triple is kept
_OPEN_WORLD = (SH.closed, SH.target, SH.rule, SH.expression, SH.sparql, SH.js)


def hoist_properties(shapes: Graph) -> Graph:
    """The same checks, with each property shape of a targeted node shape given that node shape's
    targets and validated on its own.

    pyshacl validates a property shape nested under a node shape once per focus node, reading the
    shape's parameters again each time (~0.1 ms); a property shape with targets is validated once
    for all its focus nodes. Same results (a nested property shape reports the same focus node,
    shape, path and value), 3–4× faster on large data (benchmarks/README.md, "Profiles"). A node
    shape that another shape refers to (sh:node, sh:qualifiedValueShape …) keeps its properties.
    """
    out = Graph()
    for t in shapes:
        out.add(t)
    for node, prop in list(shapes.subject_objects(SH.property)):
        targets = [(p, o) for p in _TARGETS for o in shapes.objects(node, p)]
        if not targets or (None, None, node) in shapes:
            continue
        out.remove((node, SH.property, prop))
        for p, o in targets:
            out.add((prop, p, o))
    return out


def shacl_triples(triples: Iterable[Triple], shapes: Graph) -> Iterator[Triple]:
    """The triples SHACL-core ``shapes`` can reach: those whose predicate the shapes name, and
    the types. Core constraints follow only the paths and predicates they name (rdf:type and
    rdfs:subClassOf for classes), so the others (missions, notes, source lines …, a quarter of the
    curated triples) need not be in pyshacl's graph."""
    if any((None, p, None) in shapes for p in _OPEN_WORLD):
        yield from triples
        return
    names = {x for t in shapes for x in t if isinstance(x, URIRef)} | {RDF.type, RDFS.subClassOf}
    for t in triples:
        if t[1] in names:
            yield t


def run_pyshacl(data: Graph, shapes: Graph, ontology: Graph) -> list[Finding]:
    """SHACL core over the curated graphs (small), the ontology giving the class hierarchy."""
    from pyshacl import validate as shacl_validate

    for t in ontology.triples((None, RDFS.subClassOf, None)):
        data.add(t)
    # inplace: the caller's graph is built for this call only; copying it costs ~0.3 s
    _, results, _ = shacl_validate(data, shacl_graph=hoist_properties(shapes), inference="none",
                                   advanced=True, allow_warnings=True, inplace=True)
    findings = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        shape = results.value(r, SH.sourceShape)
        focus = results.value(r, SH.focusNode)
        value = results.value(r, SH.value)
        path = results.value(r, SH.resultPath)
        component = results.value(r, SH.sourceConstraintComponent)
        severity = _severity(results.value(r, SH.resultSeverity))
        parent = next(iter(shapes.subjects(SH.property, shape)), None) if shape is not None else None
        msg_fr = (_lang_value(shapes, shape, SH.message, "fr") if shape is not None else None) or \
            (_lang_value(shapes, parent, SH.message, "fr") if parent is not None else None) or \
            str(results.value(r, SH.resultMessage) or "")
        msg_en = (_lang_value(shapes, shape, SH.message, "en") if shape is not None else None) or \
            (_lang_value(shapes, parent, SH.message, "en") if parent is not None else None) or \
            str(results.value(r, SH.resultMessage) or "")
        values = {"value": compact(value), "this": compact(focus)}
        findings.append(Finding(
            severity=severity,
            rule=(compact(shape) if isinstance(shape, URIRef) else compact(parent)) or "shacl",
            rule_name=(_lang_value(shapes, shape, SH.name, "en") if shape is not None else None)
            or (_local(component) if component is not None else "shacl"),
            message=_fill(msg_fr, values), message_en=_fill(msg_en, values),
            focus=str(focus) if focus is not None else None,
            path=compact(path) if not isinstance(path, BNode) else None,
            value=compact(value) if not isinstance(value, BNode) else None,
            expected=_expected(shapes, shape, component), kind="shacl"))
    return findings


_PARAMS = {
    "MinCountConstraintComponent": (SH.minCount, "at least {}"),
    "MaxCountConstraintComponent": (SH.maxCount, "at most {}"),
    "ClassConstraintComponent": (SH["class"], "an instance of {}"),
    "DatatypeConstraintComponent": (SH.datatype, "a literal of type {}"),
    "PatternConstraintComponent": (SH.pattern, "text matching {}"),
    "MinInclusiveConstraintComponent": (SH.minInclusive, ">= {}"),
    "MaxInclusiveConstraintComponent": (SH.maxInclusive, "<= {}"),
    "MinLengthConstraintComponent": (SH.minLength, "at least {} characters"),
    "NodeKindConstraintComponent": (SH.nodeKind, "{}"),
    "HasValueConstraintComponent": (SH.hasValue, "{}"),
    "QualifiedMinCountConstraintComponent": (SH.qualifiedMinCount, "at least {} matching value(s)"),
    "QualifiedMaxCountConstraintComponent": (SH.qualifiedMaxCount, "at most {} matching value(s)"),
    "LanguageInConstraintComponent": (SH.languageIn, "a language among {}"),
    "InConstraintComponent": (SH["in"], "one of {}"),
}


def _expected(shapes: Graph, shape: Node | None, component: Node | None) -> str | None:
    if shape is None or component is None:
        return None
    explicit = shapes.value(shape, JGSH.expected)
    if explicit is not None:
        return str(explicit)
    spec = _PARAMS.get(_local(component))
    if spec is None:
        return None
    value = shapes.value(shape, spec[0])
    if value is None:
        return None
    if isinstance(value, BNode):
        items = [compact(v) or "" for v in Collection(shapes, value)]
        return spec[1].format(", ".join(items))
    return spec[1].format(compact(value))


def _graph_of(triples: Iterable[Triple]) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


def curated_triples(assembled: Assembled) -> list[Triple]:
    return [t for g, ts in assembled.graphs.items() if g != GRAPH.ONTOLOGY for t in ts]


def run_reasoner(assembled: Assembled, cache_dir: Path) -> tuple[list[Finding], str]:
    """OWL consistency of the ontology with the curated individuals (not ROME), cached by content."""
    from .reason import reason

    g = Graph()
    for t in assembled.graphs[GRAPH.ONTOLOGY]:
        g.add(t)
    for t in curated_triples(assembled):
        g.add(t)
    digest = hashlib.sha256(
        "".join(sorted(f"{s} {p} {o}\n" for s, p, o in g)).encode()).hexdigest()[:20]
    cache = cache_dir / f"owl-{digest}.json"
    if cache.exists():
        data = json.loads(cache.read_text())
        return [Finding(**f) for f in data["findings"]], "cached"
    result = reason(g)
    findings = []
    for f in result.findings:
        findings.append(Finding(
            severity="violation", rule=f"owl:{f.kind}", rule_name=f"OWL {f.kind}",
            message=("Le graphe est incohérent avec l'ontologie : " if f.kind == "inconsistent"
                     else "Classe insatisfiable : ") + f.message,
            message_en=("The graph is inconsistent with the ontology: " if f.kind == "inconsistent"
                        else "Unsatisfiable class: ") + f.message,
            focus=f.iri, kind="owl"))
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"findings": [asdict(f) for f in findings],
                                 "seconds": result.seconds}))
    return findings, f"{result.seconds:.1f} s"


# --- putting it together -------------------------------------------------------------------------

def _info(foci: set[str], assembled: Assembled) -> dict[str, tuple[str | None, str | None]]:
    """file:line and French label of the curated resources among ``foci``.

    Read from the converted triples (what the store was built from) for the findings' resources
    only: reading every curated resource's location and label from the store took 7 s at ×100,
    findings or not (benchmarks/README.md, "Profiles").
    """
    locs: dict[str, list[str]] = {}
    labels: dict[str, list[str]] = {}
    if not foci:
        return {}
    for s, p, o in curated_triples(assembled):
        if p != JG.sourceLocation and p != SKOS.prefLabel:
            continue
        key = str(s)
        if key not in foci:
            continue
        if p == JG.sourceLocation:
            locs.setdefault(key, []).append(str(o))
        elif isinstance(o, Literal) and o.language and (
                o.language.lower() == "fr" or o.language.lower().startswith("fr-")):
            labels.setdefault(key, []).append(str(o))
    # a resource has one location and one French label, unless a finding says otherwise:
    # then the smallest is shown, whatever the order of the triples
    return {k: (min(v), min(labels[k]) if k in labels else None) for k, v in locs.items()}


def _enrich(findings: list[Finding], assembled: Assembled) -> list[AcceptedFinding]:
    """Add file:line, label and referential to findings, mark the accepted ones; return the
    accepted findings that matched nothing (stale: the data or the rule changed)."""
    info = _info({f.focus for f in findings if f.focus is not None}, assembled)
    for f in findings:
        if f.focus is None:
            continue
        found_loc, found_label = info.get(f.focus, (None, None))
        f.source = f.source or found_loc
        f.label = f.label or found_label
        if f.referential is None and f.focus.startswith(str(JGID)):
            first = f.focus[len(str(JGID)):].split("/", 1)[0]
            if first in assembled.dataset.referentials or first == "rome":
                f.referential = first
    used: set[int] = set()
    for f in findings:
        if f.focus is None:
            continue
        rid = f.referential
        ref = assembled.dataset.referentials.get(rid or "")
        if ref is None:
            continue
        # an accepted finding names its focus by id ("auditeur-interne"), by kind and id
        # ("job/auditeur-interne", when ids of two kinds collide) or by IRI, full or compact
        local = f.focus[len(str(JGID)) + len(ref.id) + 1:] if f.focus.startswith(
            f"{JGID}{ref.id}/") else ""
        names = {f.focus, compact(f.focus), local, local.split("/", 1)[-1] or ref.id}
        for acc in ref.accepted:
            if acc.rule == f.rule and acc.focus in names:
                f.accepted = acc.reason
                used.add(id(acc))
    return [acc for ref in assembled.dataset.referentials.values() for acc in ref.accepted
            if id(acc) not in used]


def annotate_remote(report: ValidationReport, data_dir: Path) -> None:
    """Give a server's findings the curated files' locations, labels and accepted findings.

    The server holds triples only: which finding a maintainer accepted, and in which file and
    line a job is, come from the data folder the graph was pushed from (ROME is not read).
    """
    assembled = assemble(data_dir, data_dir / ".unused-cache", rome=False)
    stale = _enrich(report.findings, assembled)
    report.notes.append(f"locations and accepted findings read from {data_dir}")
    for acc in stale:
        if acc.rule.startswith("qc:"):  # the shapes' findings are not looked for on a server
            report.notes.append(f"{acc.loc}: accepted finding {acc.rule} on '{acc.focus}' "
                                "matches no finding on the server (pushed from other data?)")


def check_graph(data: Graph, *, ontology: Graph | None = None, shapes_dir: Path | None = None,
                queries_dir: Path | None = None, reference: Graph | None = None) -> list[Finding]:
    """Run the SHACL shapes (core and SPARQL) and the QC queries on a small graph, in memory.

    ``data`` plays the curated graphs; ``reference`` (e.g. a few ROME fiches) is added to the
    queried store only, as ROME is in the real store. Used by the shape fixtures' tests.
    """
    from .build import ontology_triples
    from .serialize import nquads

    onto = ontology if ontology is not None else _graph_of(ontology_triples())
    core, sparql_rules = split_shapes(load_shapes(shapes_dir))
    findings = run_pyshacl(_graph_of(shacl_triples(data, core)), core, onto)
    graphs: dict[URIRef, list[Triple]] = {GRAPH.ONTOLOGY: list(onto), URIRef("urn:jobgraph:data"): list(data)}
    if reference is not None:
        graphs[GRAPH.ROME] = list(reference)
    backend = OxigraphBackend.from_nquads(nquads(graphs))
    findings += run_sparql_rules(backend, sparql_rules)
    findings += run_qc(backend, list_qc(queries_dir))
    return _dedupe(findings)


def validate(data_dir: Path, *, store_dir: Path, reason: bool = True,
             shapes_dir: Path | None = None, queries_dir: Path | None = None) -> ValidationReport:
    """Run every check on the data of ``data_dir``; structure errors raise DataError first."""
    report = ValidationReport()
    t0 = time.perf_counter()
    assembled = assemble(data_dir, store_dir / "cache")
    report.timings["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    if not is_fresh(data_dir, store_dir):
        # the data just loaded and converted, not read a second time (20 s at ×100)
        build(data_dir, store_dir=store_dir, assembled=assembled)
    backend = OxigraphBackend.open(store_dir / STORE_DIR_NAME / "db")
    report.timings["store"] = time.perf_counter() - t

    t = time.perf_counter()
    shapes = load_shapes(shapes_dir)
    core, sparql_rules = split_shapes(shapes)
    data = _graph_of(shacl_triples(curated_triples(assembled), core))
    ontology = _graph_of(assembled.graphs[GRAPH.ONTOLOGY])
    report.findings += run_pyshacl(data, core, ontology)
    del data, ontology
    report.timings["shacl-core"] = time.perf_counter() - t

    t = time.perf_counter()
    report.findings += run_sparql_rules(backend, sparql_rules)
    report.timings["shacl-sparql"] = time.perf_counter() - t

    t = time.perf_counter()
    report.findings += run_qc(backend, list_qc(queries_dir))
    report.timings["qc"] = time.perf_counter() - t

    if reason:
        t = time.perf_counter()
        try:
            owl, how = run_reasoner(assembled, store_dir / "cache")
        except JavaMissing:
            raise
        report.findings += owl
        report.reasoned = True
        report.notes.append(f"OWL check (HermiT): {how}")
        report.timings["owl"] = time.perf_counter() - t
    else:
        report.notes.append("OWL check skipped (--no-reason)")

    for acc in _enrich(report.findings, assembled):
        report.notes.append(f"{acc.loc}: accepted finding {acc.rule} on '{acc.focus}' matches no "
                            "finding (remove it from accepted-findings.yaml?)")
    report.findings = _dedupe(report.findings)
    report.findings.sort(key=Finding.sort_key)
    report.timings["total"] = time.perf_counter() - t0
    return report


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        seen.setdefault((f.rule, f.focus, f.path, f.value, f.expected, f.message), f)
    return list(seen.values())


def report_graph(report: ValidationReport) -> Graph:
    """The findings as a SHACL ``sh:ValidationReport`` graph (messages in French and English)."""
    g = Graph()
    for p, ns in PREFIXES.items():
        g.bind(p, ns)
    root = URIRef("urn:jobgraph:validation-report")
    g.add((root, RDF.type, SH.ValidationReport))
    g.add((root, SH.conforms, Literal(report.conforms())))
    for i, f in enumerate(sorted(report.findings, key=Finding.sort_key)):
        r = URIRef(f"urn:jobgraph:validation-result:{i + 1}")
        g.add((root, SH.result, r))
        g.add((r, RDF.type, SH.ValidationResult))
        g.add((r, SH.resultSeverity, _SEVERITY_IRI[f.severity]))
        if f.focus:
            g.add((r, SH.focusNode, URIRef(f.focus)))
        if f.path and ":" in f.path:
            prefix, local = f.path.split(":", 1)
            if prefix in PREFIXES:
                g.add((r, SH.resultPath, URIRef(PREFIXES[prefix] + local)))
        if f.value is not None:
            g.add((r, SH.value, Literal(f.value)))
        if f.rule.startswith("jgsh:"):
            g.add((r, SH.sourceShape, URIRef(PREFIXES["jgsh"] + f.rule[5:])))
        g.add((r, SH.resultMessage, Literal(f.message, lang="fr")))
        g.add((r, SH.resultMessage, Literal(f.message_en, lang="en")))
        g.add((r, RDFS.comment, Literal(f"rule {f.rule}")))
        if f.source:
            g.add((r, JG.sourceLocation, Literal(f.source)))
        if f.label:
            g.add((r, SKOS.prefLabel, Literal(f.label, lang="fr")))
        if f.accepted:
            g.add((r, SKOS.editorialNote, Literal(f"accepted: {f.accepted}")))
    return g
