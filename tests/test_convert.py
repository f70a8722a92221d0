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
    jobs.write_text(jobs.read_text(encoding="utf-8")
                    .replace("Agent de bureau", "Agent de secrétariat"))
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


ALIGNMENT_TERMS = (JG.alignedTo, JG.alignedToMin, JG.alignedToMax, JG.alignmentBasis,
                   JG.alignmentNote)


def _alignments(g: Graph) -> Graph:
    out = Graph()
    for p in ALIGNMENT_TERMS:
        for t in g.triples((None, p, None)):
            out.add(t)
    return out


def test_alignments_exact_ranges_and_job_national_levels(tmp_path: Path) -> None:
    """An exact alignment gives jg:alignedTo and min = max = the level; a range gives only
    jg:alignedToMin and jg:alignedToMax; a job's national_level gives the same on the job."""
    data = copy_mini(tmp_path)
    ref = data / "mini-ref" / "referential.yaml"
    ref.write_text(ref.read_text(encoding="utf-8").replace(
        "aligned_to: {level: cnc-2019/4, basis: estimate, note: qualification}",
        "aligned_to: {lowest: cnc-2019/4, highest: cnc-2019/5, basis: estimate, note: entre deux}"),
        encoding="utf-8")
    (data / "it").mkdir()
    (data / "it" / "referential.yaml").write_text(
        "id: it\ntitle: Métiers sans échelle\nsector: {id: it, label: Informatique}\n",
        encoding="utf-8")
    (data / "it" / "jobs.yaml").write_text(
        "jobs:\n"
        "  - id: dev\n    label: Développeur\n"
        "    national_level: {lowest: cnc-2019/4, highest: cnc-2019/5, basis: estimate,"
        " note: Bac ou Bac+2}\n"
        "  - id: tech\n    label: Technicien\n"
        "    national_level: {level: cnc-2019/4, basis: official}\n"
        "  - id: inconnu\n    label: Emploi sans indice\n", encoding="utf-8")
    graphs = convert(load(data))
    got = _alignments(_graph(graphs[graph_iri("mini-ref")] + graphs[graph_iri("it")]))
    expected = Graph().parse(data="""
        @prefix jg: <https://w3id.org/jobgraph/ontology#> .
        @base <https://w3id.org/jobgraph/id/> .
        <mini-ref/level/I> jg:alignedTo <cnc-2019/level/3> ;
            jg:alignedToMin <cnc-2019/level/3> ; jg:alignedToMax <cnc-2019/level/3> ;
            jg:alignmentBasis "estimate" ; jg:alignmentNote "tâches simples"@fr .
        <mini-ref/level/II> jg:alignedToMin <cnc-2019/level/4> ;
            jg:alignedToMax <cnc-2019/level/5> ;
            jg:alignmentBasis "estimate" ; jg:alignmentNote "entre deux"@fr .
        <it/job/dev> jg:alignedToMin <cnc-2019/level/4> ; jg:alignedToMax <cnc-2019/level/5> ;
            jg:alignmentBasis "estimate" ; jg:alignmentNote "Bac ou Bac+2"@fr .
        <it/job/tech> jg:alignedTo <cnc-2019/level/4> ;
            jg:alignedToMin <cnc-2019/level/4> ; jg:alignedToMax <cnc-2019/level/4> ;
            jg:alignmentBasis "official" .
        """, format="turtle")
    assert isomorphic(got, expected), sorted(got ^ expected)
