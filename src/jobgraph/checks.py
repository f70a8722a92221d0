"""The checks themselves: SHACL shapes (core by pyshacl, SPARQL-based as one query per target class)
and the QC queries, each turned into findings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from .backends import Backend, OxigraphBackend
from .catalogue import StoredQuery, internal, list_qc
from .convert import Triple
from .findings import SEVERITY_OF, Finding, dedupe
from .namespaces import GRAPH, JGSH, RDF, RDFS, SH, sparql_prefixes
from .resources import resource_dir
from .terms import compact

SPARQL_PREFIXES = sparql_prefixes()


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
    # the expected value in words, by language, {?var} filled from the row; else the row's ?expected
    expected_fr: str | None = None
    expected_en: str | None = None


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
            expected_fr=_lang_value(shapes, constraint, JGSH.expected, "fr"),
            expected_en=_lang_value(shapes, constraint, JGSH.expected, "en"),
        ))
    return core, sorted(rules, key=lambda r: str(r.shape))


def _severity(term: Node | None) -> str:
    return SEVERITY_OF.get(term, "violation") if isinstance(term, URIRef) else "violation"


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


def _fill(template: str, values: dict[str, str | None]) -> str:
    def sub(m: re.Match[str]) -> str:
        v = values.get(m.group(1))
        return v if v is not None else m.group(0)

    return re.sub(r"\{[?$](\w+)\}", sub, template)


# --- running the checks --------------------------------------------------------------------------

def _subclasses(backend: Backend, cls: URIRef) -> list[URIRef]:
    rows = backend.select(internal("subclasses").text, {"top": cls}).rows
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
                key = tuple(sorted((k, v) for k, v in values.items()
                                   if not k.lower().endswith("label")))
                if key in seen:
                    continue
                seen.add(key)
                findings.append(Finding(
                    severity=rule.severity, rule=compact(rule.shape) or "", rule_name=rule.name,
                    message=_fill(rule.message_fr, values),
                    message_en=_fill(rule.message_en, values),
                    focus=str(row.get("this")) if row.get("this") is not None else None,
                    path=compact(row.get("path") or rule.path), value=values.get("value"),
                    expected=_expected_in(rule.expected_fr, values),
                    expected_en=_expected_in(rule.expected_en, values), kind="sparql"))
    return findings


def _expected_in(template: str | None, values: dict[str, str | None]) -> str | None:
    """The expected value in one language: the rule's template filled from the row, else the row's
    own ``?expected`` (a value that needs no words: a range, a pattern, an IRI)."""
    return _fill(template, values) if template else values.get("expected")


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
                value=values.get("value"),
                expected=_expected_in(q.meta.get("expected-fr"), values),
                expected_en=_expected_in(q.meta.get("expected-en"), values), kind="qc",
                # a check of reference data (ROME) says so: its findings have no curated file
                referential=q.meta.get("referential")))
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
        parent = (next(iter(shapes.subjects(SH.property, shape)), None)
                  if shape is not None else None)
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
            expected=_expected(shapes, shape, component, "fr"),
            expected_en=_expected(shapes, shape, component, "en"), kind="shacl"))
    return findings


# what a core constraint expects, in words (French, English), when its shape has no jgsh:expected
_PARAMS = {
    "MinCountConstraintComponent": (SH.minCount, "au moins {}", "at least {}"),
    "MaxCountConstraintComponent": (SH.maxCount, "au plus {}", "at most {}"),
    "ClassConstraintComponent": (SH["class"], "une instance de {}", "an instance of {}"),
    "DatatypeConstraintComponent": (SH.datatype, "un littéral de type {}", "a literal of type {}"),
    "PatternConstraintComponent": (SH.pattern, "un texte conforme à {}", "text matching {}"),
    "MinInclusiveConstraintComponent": (SH.minInclusive, ">= {}", ">= {}"),
    "MaxInclusiveConstraintComponent": (SH.maxInclusive, "<= {}", "<= {}"),
    "MinLengthConstraintComponent": (SH.minLength, "au moins {} caractère(s)",
                                     "at least {} characters"),
    "NodeKindConstraintComponent": (SH.nodeKind, "{}", "{}"),
    "HasValueConstraintComponent": (SH.hasValue, "{}", "{}"),
    "QualifiedMinCountConstraintComponent": (SH.qualifiedMinCount,
                                             "au moins {} valeur(s) conforme(s)",
                                             "at least {} matching value(s)"),
    "QualifiedMaxCountConstraintComponent": (SH.qualifiedMaxCount,
                                             "au plus {} valeur(s) conforme(s)",
                                             "at most {} matching value(s)"),
    "LanguageInConstraintComponent": (SH.languageIn, "une langue parmi {}", "a language among {}"),
    "InConstraintComponent": (SH["in"], "l'une des valeurs {}", "one of {}"),
}


def _expected(shapes: Graph, shape: Node | None, component: Node | None,
              lang: str) -> str | None:
    if shape is None or component is None:
        return None
    explicit = _lang_value(shapes, shape, JGSH.expected, lang)
    if explicit is not None:
        return explicit
    spec = _PARAMS.get(_local(component))
    if spec is None:
        return None
    value = shapes.value(shape, spec[0])
    if value is None:
        return None
    template = spec[1] if lang == "fr" else spec[2]
    if isinstance(value, BNode):
        items = [compact(v) or "" for v in Collection(shapes, value)]
        return template.format(", ".join(items))
    return template.format(compact(value))


def _graph_of(triples: Iterable[Triple]) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


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
    graphs: dict[URIRef, list[Triple]] = {GRAPH.ONTOLOGY: list(onto),
                                          URIRef("urn:jobgraph:data"): list(data)}
    if reference is not None:
        graphs[GRAPH.ROME] = list(reference)
    backend = OxigraphBackend.from_nquads(nquads(graphs))
    findings += run_sparql_rules(backend, sparql_rules)
    findings += run_qc(backend, list_qc(queries_dir))
    return dedupe(findings)
