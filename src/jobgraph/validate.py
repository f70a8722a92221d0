"""Validation: runs the checks in order (loading, SHACL core, SHACL-SPARQL, QC, OWL), each timed,
on the embedded store or on a server's copy of the graph, and marks the findings maintainers
accepted."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from .backends import Backend, OxigraphBackend
from .build import Assembled, assemble, build
from .catalogue import internal, list_qc
from .checks import (
    load_shapes,
    run_pyshacl,
    run_qc,
    run_sparql_rules,
    shacl_triples,
    split_shapes,
)
from .convert import Triple
from .derive import CHECK_RULE
from .derive import stale as derived_stale
from .errors import UsageError
from .findings import Finding, Note, ValidationReport, dedupe
from .model import AcceptedFinding
from .namespaces import GRAPH, JG, SKOS
from .terms import compact, display, referential_of
from .workspace import Workspace, read_cache, write_cache

# The rules about links to ROME: what ``jobgraph rome check`` shows of a validation
ROME_RULES = ("jgsh:RomeMappingShape", "jgsh:JobRomeLinkShape", "jgsh:CertificationShape-romeCode",
              "jgsh:JobShape-legacyRomeCodePattern", "qc:crowded-fiche",
              "qc:esco-appellation-in-rome")


class Steps:
    """Times the steps of a validation into ``report.timings`` (seconds per step and in total)."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.start = time.perf_counter()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.report.timings[name] = time.perf_counter() - t

    def done(self) -> ValidationReport:
        self.report.timings["total"] = time.perf_counter() - self.start
        self.report.findings = dedupe(self.report.findings)
        self.report.findings.sort(key=Finding.sort_key)
        return self.report


def curated_triples(assembled: Assembled) -> list[Triple]:
    return [t for g, ts in assembled.graphs.items() if g != GRAPH.ONTOLOGY for t in ts]


# triples of one pyshacl run: at ×300 (3.5 M curated triples) one run over everything held
# 4.6 GB; in parts, the largest part and the referentials it names are in memory at a time
SHACL_PART = 300_000


def shacl_parts(assembled: Assembled, size: int | None = None) -> Iterator[list[Triple]]:
    """The curated triples in parts for SHACL core: referential graphs in turn until a part holds
    ``size`` triples, each part with the graphs its referentials name (the national framework
    their levels are aligned to, a shared scale) so that every path a core shape follows from a
    referential's nodes stays inside its part (core shapes follow forward paths only: a test
    checks the shapes have no inverse path). A node of a named graph is checked in each part
    that holds it, with the same result: its findings come out once (``dedupe``)."""
    from .derivation import dependencies

    size = size or SHACL_PART
    graphs = {g: ts for g, ts in assembled.graphs.items() if g != GRAPH.ONTOLOGY}
    names = {str(g).rsplit("/", 1)[-1]: g for g in graphs}
    deps = dependencies(graphs)
    part: list[URIRef] = []
    count = 0
    for g in graphs:
        part.append(g)
        count += len(graphs[g])
        if count >= size:
            yield _with_named(part, graphs, names, deps)
            part, count = [], 0
    if part:
        yield _with_named(part, graphs, names, deps)


def _with_named(part: list[URIRef], graphs: dict[URIRef, list[Triple]],
                names: dict[str, URIRef], deps: dict[str, list[str]]) -> list[Triple]:
    chosen = dict.fromkeys(part)
    for g in part:
        for other in deps.get(str(g).rsplit("/", 1)[-1], []):
            if other in names:
                chosen.setdefault(names[other])
    return [t for g in chosen for t in graphs[g]]


def _graph_of(triples: list[Triple]) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


def run_reasoner(assembled: Assembled, cache_dir: Path) -> tuple[list[Finding], str]:
    """OWL consistency of the ontology with the curated individuals (not ROME), cached by
    content."""
    from .reason import reason

    g = _graph_of(assembled.graphs[GRAPH.ONTOLOGY] + curated_triples(assembled))
    digest = hashlib.sha256(
        "".join(sorted(f"{s} {p} {o}\n" for s, p, o in g)).encode()).hexdigest()[:20]
    cache = cache_dir / f"owl-{digest}.json"
    # trusted only when its size and SHA-256 are those written with it (a half-written file
    # used to fail every later validate)
    cached = read_cache(cache)
    if cached is not None:
        data = json.loads(cached)
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
    write_cache(cache, json.dumps({"findings": [asdict(f) for f in findings],
                                   "seconds": result.seconds}).encode("utf-8"))
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
        first = referential_of(f.focus)
        if f.referential is None and (first in assembled.dataset.referentials or first == "rome"):
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
        local = display(f.focus).removeprefix(f"{ref.id}/") if referential_of(f.focus) == ref.id \
            else ""
        names = {f.focus, compact(f.focus), local, local.split("/", 1)[-1] or ref.id}
        for acc in ref.accepted:
            if acc.rule == f.rule and acc.focus in names:
                f.accept(acc.reasons, acc.cause)
                used.add(id(acc))
    return [acc for ref in assembled.dataset.referentials.values() for acc in ref.accepted
            if id(acc) not in used]


def _french_seconds(how: str) -> str:
    """'5.8 s' → '5,8 s'; 'cached' → 'en cache'."""
    return "résultat en cache" if how == "cached" else how.replace(".", ",")


def validate(data_dir: Path, *, store_dir: Path, reason: bool = True,
             shapes_dir: Path | None = None, queries_dir: Path | None = None) -> ValidationReport:
    """Run every check on the data of ``data_dir``; structure errors raise DataError first."""
    report = ValidationReport()
    steps = Steps(report)
    ws = Workspace(Path(store_dir))
    with steps.step("load"):
        assembled = assemble(data_dir, ws.cache)
    with steps.step("store"):
        if not ws.is_fresh(data_dir):
            # the data just loaded and converted, not read a second time (20 s at ×100)
            build(data_dir, store_dir=store_dir, assembled=assembled)
        backend = OxigraphBackend.open(ws.db)
    shapes = load_shapes(shapes_dir)
    core, sparql_rules = split_shapes(shapes)
    with steps.step("shacl-core"):
        ontology = _graph_of(assembled.graphs[GRAPH.ONTOLOGY])
        for part in shacl_parts(assembled):
            data = _graph_of(list(shacl_triples(part, core)))
            report.findings += run_pyshacl(data, core, ontology)
            del data
    with steps.step("shacl-sparql"):
        report.findings += run_sparql_rules(backend, sparql_rules)
    with steps.step("qc"):
        report.findings += run_qc(backend, list_qc(queries_dir))
    with steps.step("derived"):
        found, note = derived_stale(backend)
        report.findings += found
        report.notes.append(note)
    if reason:
        with steps.step("owl"):
            owl, how = run_reasoner(assembled, ws.cache)
        report.findings += owl
        report.reasoned = True
        report.notes.append(Note(f"OWL check (HermiT): {how}",
                                 f"contrôle OWL (HermiT) : {_french_seconds(how)}"))
    else:
        report.notes.append(Note("OWL check skipped (--no-reason)",
                                 "contrôle OWL non fait (--no-reason)"))
    for acc in _enrich(report.findings, assembled):
        report.notes.append(Note(
            f"{acc.loc}: accepted finding {acc.rule} on '{acc.focus}' matches no finding "
            "(remove it from accepted-findings.yaml?)",
            f"{acc.loc} : le constat accepté {acc.rule} sur « {acc.focus} » ne correspond plus à "
            "aucun constat (le retirer de accepted-findings.yaml ?)"))
    return steps.done()


def validate_backend(backend: Backend, *, where: str, graphs: int,
                     data_dir: Path | None = None) -> ValidationReport:
    """The checks that read the graph as a whole (SHACL-SPARQL rules and QC queries) run on a
    server's copy of it (``backend``). With ``data_dir``, the folder the graph was pushed from,
    findings get their file:line and the maintainers' acceptances (ROME is not read)."""
    report = ValidationReport()
    steps = Steps(report)
    _, sparql_rules = split_shapes(load_shapes())
    qc = list_qc()
    with steps.step("shacl-sparql"):
        report.findings += run_sparql_rules(backend, sparql_rules)
    with steps.step("qc"):
        report.findings += run_qc(backend, qc)
    with steps.step("derived"):
        found, note = derived_stale(backend)
        report.findings += found
        report.notes.append(note)
    ran = {compact(r.shape) for r in sparql_rules} | {f"qc:{q.name}" for q in qc} | {CHECK_RULE}
    report.notes.append(Note(
        f"SHACL-SPARQL rules and QC queries run on {where} over {graphs} graphs; the SHACL core "
        "shapes and the OWL check run on the curated files only (jobgraph validate without "
        "--endpoint)",
        f"règles SHACL-SPARQL et requêtes QC exécutées sur {where}, sur {graphs} graphes ; les "
        "formes SHACL de base et le contrôle OWL ne s'exécutent que sur les fichiers (jobgraph "
        "validate sans --endpoint)"))
    if data_dir is not None:
        assembled = assemble(data_dir, Path(data_dir) / ".unused-cache", rome=False)
        stale = _enrich(report.findings, assembled)
        report.notes.append(Note(f"locations and accepted findings read from {data_dir}",
                                 f"emplacements et constats acceptés lus dans {data_dir}"))
        for acc in stale:
            if acc.rule not in ran:  # the SHACL core shapes are not run on a server
                continue
            report.notes.append(Note(
                f"{acc.loc}: accepted finding {acc.rule} on '{acc.focus}' matches no finding on "
                "the server (pushed from other data?)",
                f"{acc.loc} : le constat accepté {acc.rule} sur « {acc.focus} » ne correspond à "
                "aucun constat sur le serveur (graphe poussé depuis d'autres données ?)"))
    return steps.done()


def rome_view(findings: list[Finding]) -> list[Finding]:
    """The findings about links to ROME (``ROME_RULES``), sorted."""
    return sorted((f for f in findings if f.rule.startswith(ROME_RULES)), key=Finding.sort_key)


def rome_check(data_dir: Path, *, store_dir: Path) -> ValidationReport:
    """What ``jobgraph rome check`` shows: the validation findings about links to ROME, and
    fiches linked by many jobs (information: a link worth a second look)."""
    report = validate(data_dir, store_dir=store_dir, reason=False)
    backend = OxigraphBackend.open(Workspace(Path(store_dir)).db)
    fiches = backend.select(internal("rome-fiche-count").text).rows[0][0]
    if not int(str(fiches or 0)):
        raise UsageError("the store has no ROME graph to check the links against: the data "
                         "folder needs data/rome (see data/rome/README.md)")
    crowded = run_qc(backend, [internal("crowded-fiche")])
    for f in crowded:  # ROME's fiches: no curated file to point at
        f.referential = "rome"
    report.findings = rome_view(report.findings + crowded)
    report.notes = [n for n in report.notes if "OWL" not in n]
    return report


__all__ = ["ROME_RULES", "Steps", "rome_check", "rome_view", "run_reasoner", "validate",
           "validate_backend"]
