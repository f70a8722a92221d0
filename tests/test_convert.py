"""Records to RDF: the mini data set converts to the expected graph, IRIs from ids, provenance."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from jobgraph.convert import convert
from jobgraph.load import load
from jobgraph.namespaces import JG, PROV, SKOS, XSD, graph_iri, iri
from util import FIXTURES, MINI, copy_mini


def _graph(triples: list) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


def test_mini_referential_converts_to_the_expected_graph() -> None:
    got = _graph(convert(load(MINI))[graph_iri("mini-ref")])
    expected = Graph().parse(FIXTURES / "convert" / "mini-ref.ttl", format="turtle")
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        raise AssertionError(f"only in output: {sorted(only_got)[:5]}\n"
                             f"only expected: {sorted(only_expected)[:5]}")


def test_iris_come_from_ids_and_survive_a_relabel(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    jobs = data / "mini-ref" / "jobs.yaml"
    jobs.write_text(jobs.read_text(encoding="utf-8").replace("Agent de bureau", "Agent de secrétariat"))
    g = _graph(convert(load(data))[graph_iri("mini-ref")])
    agent = iri("mini-ref", "job", "agent")
    assert (agent, SKOS.prefLabel, Literal("Agent de secrétariat", lang="fr")) in g
    assert (agent, JG.progressesTo, iri("mini-ref", "job", "assistant")) in g


def test_scores_levels_and_provenance() -> None:
    g = _graph(convert(load(MINI))[graph_iri("mini-ref")])
    agent = iri("mini-ref", "job", "agent")
    score = iri("mini-ref", "score", "agent.autonomie")
    assert (agent, JG.score, score) in g
    assert (score, JG.value, Literal(2, datatype=XSD.integer)) in g
    assert (agent, JG.level, iri("mini-ref", "level", "I")) in g
    assert (iri("mini-ref", "level", "I"), JG.alignedTo, iri("cnc-2019", "level", "3")) in g
    assert (agent, JG.sourceLocation, Literal("mini/mini-ref/jobs.yaml:2")) in g
    assert (agent, SKOS.closeMatch, URIRef("https://w3id.org/jobgraph/id/rome/metier/M1602")) in g
    for subject in set(g.subjects(SKOS.inScheme, None)):
        assert (subject, PROV.wasDerivedFrom, None) in g, subject
        assert (subject, JG.sourceLocation, None) in g, subject
