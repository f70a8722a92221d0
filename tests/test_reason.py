"""Tests of jobgraph.reason: consistency, unsatisfiable classes, explanations, Java and timeouts."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef

from jobgraph.errors import ExternalError, JavaMissing
from jobgraph.reason import ReasonFinding, ReasonResult, java_available, reason

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "jobgraph.ttl"

needs_java = pytest.mark.skipif(not java_available(), reason="the OWL reasoner needs Java")

PREFIXES = """
@prefix jg: <https://w3id.org/jobgraph/ontology#> .
@base <https://w3id.org/jobgraph/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
JGID = "https://w3id.org/jobgraph/id/"


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


def _with(ontology: Graph, turtle: str) -> Graph:
    graph = Graph()
    graph += ontology
    graph.parse(data=PREFIXES + turtle, format="turtle")
    return graph


@needs_java
def test_individual_of_two_disjoint_classes_is_inconsistent(ontology: Graph) -> None:
    result = reason(_with(ontology, "<demo/job/a> a jg:Job , jg:Competence ."))
    assert isinstance(result, ReasonResult)
    assert result.consistent is False
    assert result.unsatisfiable == ()
    assert result.findings[0].kind == "inconsistent"
    assert result.findings[0].iri is None  # the general finding first
    named = [f for f in result.findings if f.iri == f"{JGID}demo/job/a"]
    assert len(named) == 1
    assert "jg:Job" in named[0].message and "jg:Competence" in named[0].message
    assert "disjoint" in named[0].message


# Each case: curated triples that contradict the ontology, and the resource the explanation names.
INCONSISTENT = {
    "range-makes-disjoint": (
        "<d/job/a> a jg:Job ; jg:requires <d/job/b> . <d/job/b> a jg:Job .",
        "d/job/b",
        "jg:requires",
    ),
    "integer-range": (
        '<d/level/I> a jg:Level ; jg:rank "premier" .',
        "d/level/I",
        "outside its range",
    ),
    "language-tag-on-code": (
        '<d> a jg:Referential ; jg:idcc "3168"@fr .',
        "d",
        "outside its range",
    ),
    "functional-two-values": (
        "<d/score/s> a jg:CriterionScore ; jg:value 2 , 3 .",
        "d/score/s",
        "functional",
    ),
    "irreflexive": ("<d/job/a> a jg:Job ; jg:progressesTo <d/job/a> .", "d/job/a", "irreflexive"),
    "symmetric-irreflexive": (
        "<d/job/a> a jg:Job ; jg:closeTo <d/job/a> .",
        "d/job/a",
        "irreflexive",
    ),
}


@needs_java
@pytest.mark.parametrize("case", sorted(INCONSISTENT))
def test_inconsistencies_are_explained(ontology: Graph, case: str) -> None:
    turtle, resource, words = INCONSISTENT[case]
    result = reason(_with(ontology, turtle))
    assert not result.consistent
    named = [f for f in result.findings if f.iri == JGID + resource]
    assert named and all(f.kind == "inconsistent" for f in named)
    assert any(words in f.message for f in named)


@needs_java
def test_unsatisfiable_class_is_reported_with_its_iri(ontology: Graph) -> None:
    bad = "https://example.org/test#JobThatIsACompetence"
    graph = _with(
        ontology,
        f"<{bad}> a owl:Class ; rdfs:subClassOf jg:Job , jg:Competence . <d/job/a> a jg:Job .",
    )
    result = reason(graph)
    assert result.consistent
    assert result.unsatisfiable == (bad,)
    assert result.findings == (ReasonFinding("unsatisfiable", result.findings[0].message, bad),)
    assert "unsatisfiable" in result.findings[0].message


@needs_java
def test_consistent_graph_has_no_finding(ontology: Graph) -> None:
    result = reason(
        _with(ontology, "<d/job/a> a jg:Job ; jg:level <d/level/I> . <d/level/I> jg:rank 1 .")
    )
    assert result == ReasonResult(True, (), (), result.seconds)
    assert result.seconds > 0


@needs_java
def test_results_are_deterministic(ontology: Graph) -> None:
    graph = _with(ontology, "<d/job/a> a jg:Job , jg:Competence , jg:Level ; jg:rank 1 , 2 .")
    first, second = reason(graph), reason(graph)
    assert dataclasses.replace(first, seconds=0) == dataclasses.replace(second, seconds=0)


@needs_java
def test_named_graphs_are_merged_and_imports_not_fetched(ontology: Graph) -> None:
    dataset = Dataset()
    ontology_graph = dataset.graph(URIRef(f"{JGID}graph/ontology"))
    ontology_graph += ontology
    dataset.graph(URIRef(f"{JGID}graph/demo")).parse(
        data=PREFIXES
        + "<urn:test> owl:imports <http://unreachable.invalid/onto> .\n"
        + "<d/job/a> a jg:Job , jg:Level .",
        format="turtle",
    )
    result = reason(dataset)
    assert not result.consistent  # the disjointness from the ontology graph met the data graph


@needs_java
def test_reason_prints_nothing_and_leaves_no_file(
    ontology: Graph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    work, temp = tmp_path / "cwd", tmp_path / "tmp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    reason(ontology)
    assert capfd.readouterr() == ("", "")
    assert list(work.iterdir()) == []
    assert list(temp.iterdir()) == []


@needs_java
def test_timeout_raises_external_error(ontology: Graph) -> None:
    with pytest.raises(ExternalError, match="did not finish within"):
        reason(ontology, timeout=0.01)


def test_java_missing_when_path_has_no_java(
    ontology: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert java_available() is False
    with pytest.raises(JavaMissing, match="default-jre-headless"):
        reason(ontology)


def test_java_missing_is_an_external_error(
    ontology: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jobgraph.reason.shutil.which", lambda name, *args, **kwargs: None)
    with pytest.raises(ExternalError) as info:
        reason(ontology)
    assert isinstance(info.value, JavaMissing)
    assert info.value.exit_code == 3
