"""The SHACL shapes and QC queries: a conforming and a violating fixture for every rule, and the
shipped data giving only the findings its documents cause (data/<id>/accepted-findings.yaml).

Fixtures live in ``tests/fixtures/shapes/<Rule>/``, ``<Rule>`` being the local name of a shape
(``JobShape-band``) or ``qc-<name>`` for a QC query. A violating fixture declares what it must
give, one line per finding: ``# expect: focus=<IRI> rule=jgsh:JobShape-band``.

A node shape's folder holds a well-formed and a malformed resource of its class: it conforms
when none of the node shape's constraints fires, and a malformed one declares which do.

Every curated resource must carry provenance (jgsh:CuratedResourceShape). So that each fixture
shows only what it is about, the test adds a jg:sourceLocation and a prov:wasDerivedFrom to every
typed resource that lacks them, unless the fixture says ``# provenance: as written``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS

from jobgraph.build import ontology_triples
from jobgraph.catalogue import list_qc, parse_header
from jobgraph.checks import check_graph
from jobgraph.findings import Finding, ValidationReport
from jobgraph.terms import compact
from jobgraph.validate import validate
from util import mini_with_a_double_space

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "shapes"
QC = ROOT / "queries" / "qc"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
JG = "https://w3id.org/jobgraph/ontology#"
JGSH = "https://w3id.org/jobgraph/shapes#"
SH = "http://www.w3.org/ns/shacl#"
DOCUMENT = URIRef("https://w3id.org/jobgraph/id/test/document/source")
CURATED = ["Referential", "LevelScale", "Level", "Criterion", "CriterionScore", "JobFamily", "Job",
           "CompetenceFramework", "Competence", "ActivityType", "Certification", "Progression",
           "RomeMapping"]
EXPECT_RE = re.compile(r"^#\s*expect:\s*focus=<([^>]+)>\s+rule=(\S+)\s*$")
SEVERITIES = {"violation", "warning", "info"}


@dataclass
class Rule:
    """A rule that fixtures test: a shape, a property shape, a SPARQL constraint or a QC query."""

    name: str  # as findings report it: jgsh:JobShape-band, qc:progression-cycle
    folder: str  # JobShape-band, qc-progression-cycle
    members: set[str] = field(default_factory=set)  # rules whose findings count for this folder


@cache
def shapes_graph() -> Graph:
    g = Graph()
    for path in sorted(SHAPES.glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


@cache
def ontology() -> Graph:
    g = Graph()
    for t in ontology_triples():
        g.add(t)
    return g


def shape_iris() -> list[URIRef]:
    """Every shape, property shape and SPARQL constraint named by an IRI in shapes/*.ttl."""
    g = shapes_graph()
    found: set[URIRef] = set()
    for kind in ("NodeShape", "PropertyShape", "SPARQLConstraint"):
        found |= {s for s in g.subjects(RDF.type, URIRef(SH + kind)) if isinstance(s, URIRef)}
    for p in ("property", "sparql"):
        found |= {o for o in g.objects(None, URIRef(SH + p)) if isinstance(o, URIRef)}
    return sorted(found)


@cache
def rules() -> dict[str, Rule]:
    g = shapes_graph()
    out: dict[str, Rule] = {}
    for iri in shape_iris():
        name = compact(iri) or str(iri)
        members = {name} | {compact(m) or "" for p in ("property", "sparql")
                            for m in g.objects(iri, URIRef(SH + p)) if isinstance(m, URIRef)}
        out[name] = Rule(name, str(iri)[len(JGSH):], members)
    for q in list_qc(ROOT / "queries"):
        out[f"qc:{q.name}"] = Rule(f"qc:{q.name}", f"qc-{q.name}", {f"qc:{q.name}"})
    return out


def fixture_files(kind: str) -> Iterator[tuple[str, Path]]:
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for path in sorted(folder.glob(f"{kind}-*.ttl")):
            yield folder.name, path


def rule_of_folder(folder: str) -> Rule:
    by_folder = {r.folder: r for r in rules().values()}
    assert folder in by_folder, f"fixture folder {folder} names no shape or QC query"
    return by_folder[folder]


def expectations(path: Path) -> list[tuple[str, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = EXPECT_RE.match(line)
        if m:
            found.append((m.group(1), m.group(2)))
    return found


def load_fixture(path: Path) -> Graph:
    g = Graph()
    g.parse(path, format="turtle")
    if "# provenance: as written" in path.read_text(encoding="utf-8"):
        return g
    onto = ontology()
    curated = {URIRef(JG + c) for c in CURATED}
    for c in list(curated):
        curated |= set(onto.transitive_subjects(RDFS.subClassOf, c))
    location = Literal(f"{path.relative_to(ROOT).as_posix()}:1")
    for s, cls in list(g.subject_objects(RDF.type)):
        if isinstance(s, URIRef) and cls in curated:
            if g.value(s, URIRef(JG + "sourceLocation")) is None:
                g.add((s, URIRef(JG + "sourceLocation"), location))
            if g.value(s, PROV.wasDerivedFrom) is None:
                g.add((s, PROV.wasDerivedFrom, DOCUMENT))
                g.add((DOCUMENT, RDF.type, PROV.Entity))
    return g


def findings_of(path: Path) -> list[Finding]:
    return check_graph(load_fixture(path), ontology=ontology())


# --- every rule has its fixtures ------------------------------------------------------------------

def test_every_rule_has_a_conforming_and_a_violating_fixture() -> None:
    missing = []
    for rule in rules().values():
        folder = FIXTURES / rule.folder
        for kind in ("conforms", "violates"):
            if not list(folder.glob(f"{kind}-*.ttl")):
                missing.append(f"{rule.name}: no {folder.relative_to(ROOT)}/{kind}-*.ttl")
    assert not missing, "\n".join(missing)


def test_every_fixture_folder_names_a_rule() -> None:
    folders = {r.folder for r in rules().values()}
    orphans = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in folders)
    assert not orphans, f"fixture folders without a shape or QC query: {orphans}"


def test_every_violating_fixture_declares_what_it_expects() -> None:
    bare = [str(p.relative_to(ROOT)) for _, p in fixture_files("violates") if not expectations(p)]
    assert not bare, f"violating fixtures without '# expect: focus=<…> rule=…': {bare}"


# --- fixtures give what they say ------------------------------------------------------------------

@pytest.mark.parametrize("folder,path", list(fixture_files("conforms")),
                         ids=lambda x: x if isinstance(x, str) else x.name)
def test_conforming_fixture_gives_no_finding_of_its_rule(folder: str, path: Path) -> None:
    rule = rule_of_folder(folder)
    wrong = [f"{f.rule} on {f.focus}: {f.message_en}" for f in findings_of(path)
             if f.rule in rule.members]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("folder,path", list(fixture_files("violates")),
                         ids=lambda x: x if isinstance(x, str) else x.name)
def test_violating_fixture_gives_the_declared_findings(folder: str, path: Path) -> None:
    rule = rule_of_folder(folder)
    found = {(f.focus, f.rule) for f in findings_of(path)}
    for focus, name in expectations(path):
        assert name in rule.members, f"{path.name} expects {name}, which is not {rule.name}'s"
        assert (focus, name) in found, (
            f"{path.name}: no {name} on <{focus}>; found: {sorted(found, key=str)}")


# --- every rule says what it checks, in French and English ----------------------------------------

@pytest.mark.parametrize("iri", shape_iris(), ids=lambda i: str(i)[len(JGSH):])
def test_shape_has_names_messages_and_severity(iri: URIRef) -> None:
    g = shapes_graph()
    for prop in ("name", "message"):
        langs = {o.language for o in g.objects(iri, URIRef(SH + prop)) if isinstance(o, Literal)}
        assert {"fr", "en"} <= langs, f"{iri} needs sh:{prop} in French and English, has {langs}"
    severities = set(g.objects(iri, URIRef(SH + "severity")))
    assert len(severities) == 1 and next(iter(severities)) in {
        URIRef(SH + s) for s in ("Violation", "Warning", "Info")}, f"{iri}: one sh:severity"


def test_sparql_constraints_say_their_rule_in_words() -> None:
    silent = []
    for path in sorted(SHAPES.glob("*.ttl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"^(jgsh:\S+) a sh:SPARQLConstraint", line)
            if m:
                comment = []
                for before in reversed(lines[:i]):
                    if not before.startswith("#"):
                        break
                    comment.append(before)
                if not any(c.startswith("# Rule:") for c in comment):
                    silent.append(f"{path.name}: {m.group(1)}")
    assert not silent, f"SPARQL constraints without a '# Rule:' comment above them: {silent}"


@pytest.mark.parametrize("path", sorted(QC.glob("*.rq")), ids=lambda p: p.stem)
def test_qc_query_header(path: Path) -> None:
    q = parse_header(path)
    assert q.summary, f"{path.name}: '# summary:' missing"
    assert q.meta.get("severity") in SEVERITIES, f"{path.name}: '# severity:' one of {SEVERITIES}"
    assert q.meta.get("message-fr") and q.meta.get("message-en"), f"{path.name}: messages fr and en"
    assert q.returns[0] == "focus", f"{path.name}: the first returned variable is ?focus"


@pytest.mark.parametrize("path", sorted(QC.glob("*.rq")), ids=lambda p: p.stem)
def test_qc_query_returns_the_declared_columns(path: Path) -> None:
    from jobgraph.backends import OxigraphBackend

    q = parse_header(path)
    result = OxigraphBackend.from_nquads("").select(q.text)
    assert result.variables == q.returns
    assert result.rows == []


# --- the shipped data -----------------------------------------------------------------------------

@pytest.mark.slow
def test_shipped_data_gives_only_accepted_findings(shipped_report: ValidationReport) -> None:
    report = shipped_report
    unexplained = [f"{f.severity} {f.rule} {f.focus} ({f.source}): {f.message_en}"
                   for f in report.findings if not f.accepted]
    assert not unexplained, "findings not listed in data/<id>/accepted-findings.yaml:\n" + \
        "\n".join(unexplained)
    stale = [n for n in report.notes if "matches no finding" in n]
    assert not stale, "\n".join(stale)


def test_accepted_finding_is_marked_shown_and_stale_ones_noted(tmp_path: Path) -> None:
    # labels are normalised by the loader, free texts are not: a double space in a definition
    data = mini_with_a_double_space(tmp_path)
    (data / "mini-ref" / "accepted-findings.yaml").write_text(
        "accepted:\n"
        "  - rule: qc:text-whitespace\n"
        "    focus: job/agent\n"
        "    reason: printed so in the document\n"
        "  - rule: jgsh:JobShape-level\n"
        "    focus: assistant\n"
        "    reason: no longer true\n", encoding="utf-8")
    report = validate(data, store_dir=tmp_path / "store", reason=False)
    spaced = [f for f in report.findings if f.rule == "qc:text-whitespace"]
    assert [f.focus for f in spaced] == ["https://w3id.org/jobgraph/id/mini-ref/job/agent"]
    assert spaced[0].accepted == "printed so in the document"
    assert report.counts()["accepted"] == 1 and report.counts()["warning"] == 0
    stale = [n for n in report.notes if "matches no finding" in n]
    assert stale == ["data/mini-ref/accepted-findings.yaml:5: accepted finding "
                     "jgsh:JobShape-level on 'assistant' matches no finding "
                     "(remove it from accepted-findings.yaml?)"]


def test_core_shapes_follow_forward_paths_only() -> None:
    """What lets validation run SHACL core in parts (``validate.shacl_parts``): a path that went
    backwards could reach a node of a referential outside the part."""
    from jobgraph.checks import load_shapes, split_shapes
    from jobgraph.namespaces import SH

    core, _ = split_shapes(load_shapes())
    assert list(core.triples((None, SH.inversePath, None))) == []
    assert list(core.triples((None, SH.targetObjectsOf, None))) == []


def test_shacl_core_in_parts_finds_what_one_run_finds(
        shipped_store: Path, shipped_report: ValidationReport, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped data, each referential a part of its own (with the national framework it
    names), against one run over everything (the session's report of the shipped data: its
    12,000 curated triples are one part of SHACL_PART): the same findings, none lost, none
    added."""
    import shutil

    from jobgraph import validate as validate_module

    store = tmp_path / "store"
    shutil.copytree(shipped_store, store)
    data = Path(__file__).resolve().parents[1] / "data"

    runs = 0
    run_pyshacl = validate_module.run_pyshacl

    def counted(*args: Any) -> Any:
        nonlocal runs
        runs += 1
        return run_pyshacl(*args)

    monkeypatch.setattr(validate_module, "run_pyshacl", counted)

    def keys(report: ValidationReport) -> list[tuple[str | None, ...]]:
        return sorted((f.rule, f.focus, f.path, f.value, f.message) for f in report.findings
                      if f.kind == "shacl")

    whole = keys(shipped_report)
    assert len(whole) >= 9  # the shipped data's accepted findings of SHACL core
    monkeypatch.setattr(validate_module, "SHACL_PART", 1)
    parts = keys(validate(data, store_dir=store, reason=False))
    assert runs >= 6  # one per referential graph with what it names, and the dataset's
    assert parts == whole
