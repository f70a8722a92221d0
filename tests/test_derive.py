"""The derived graph (``derive``): made whole or again for the referentials that changed, it
equals a recomputation, the validation check finds it stale, and the career answers are the same
with it, without it (a server pushed from an older build) and from every job's facts read whole."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from jobgraph import derivation, derive
from jobgraph.backends import OxigraphBackend
from jobgraph.careers import answers
from jobgraph.careers.answers import facts_for
from jobgraph.namespaces import GRAPH, JG, JGD, SKOS
from jobgraph.paths import find_paths
from jobgraph.queries import run
from query_cases import ACCUEIL, AGENT, ARCHIVISTE, ASSISTANT, CASES, CHEF, CONSEILLER, FIXTURE

ID = "https://w3id.org/jobgraph/id/"
JOBS = [AGENT, ASSISTANT, ARCHIVISTE, ACCUEIL, CONSEILLER, CHEF, f"{ID}alpha/job/responsable",
        f"{ID}alpha/job/secretaire", f"{ID}gamma/job/coursier", f"{ID}gamma/job/employe"]
ANSWERED = ("equivalent-jobs", "next-steps", "competence-gap")


def _store(path: Path | None = None) -> Any:
    store = ox.Store(str(path)) if path is not None else ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    return store


@pytest.fixture
def derived() -> OxigraphBackend:
    store = _store()
    derivation.fill(store)
    return OxigraphBackend(store)


@pytest.fixture(scope="module")
def plain() -> OxigraphBackend:
    return OxigraphBackend(_store())


def _triples(store: Any) -> set[Any]:
    graph = ox.NamedNode(str(GRAPH.DERIVED))
    return {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None,
                                                                                 graph)}


def _deps(store: Any) -> dict[str, list[str]]:
    graphs: dict[URIRef, list[tuple[Any, Any, Any]]] = {}
    for q in store.quads_for_pattern(None, None, None, None):
        g = URIRef(q.graph_name.value)
        o = URIRef(q.object.value) if isinstance(q.object, ox.NamedNode) else None
        graphs.setdefault(g, []).append((None, None, o))
    return derivation.dependencies(graphs)


# --- what it holds ---------------------------------------------------------------------------

def test_cards_hold_what_the_answers_read(derived: OxigraphBackend) -> None:
    import json

    rows = derived.select(f"SELECT ?c WHERE {{ <{AGENT}> <{JGD.card}> ?c }}").rows
    card = json.loads(str(rows[0][0]))
    # alpha's agent: grade I aligned to national level 3 (career.trig), linked to M1601 exactly
    assert card["referential"] == "alpha" and card["sector"] == "bureau"
    assert card["level"] == ["I", 1] and card["national"] == [3, 3, "estimate"]
    assert [f"{ID}rome/metier/M1601", "exactMatch"] in [x[:2] for x in card["links"]]
    assert card["labels"]["fr"][1] == "fr"
    # the referential counts of referential-overview, and the title index's key
    assert derived.select(f"SELECT ?n WHERE {{ <{ID}alpha> <{JGD.jobs}> ?n }}").rows[0][0] \
        .toPython() == 5
    assert set(derive.marker(derived)) >= {"format", "title:fr", "title:en"}


def test_the_derived_graph_equals_a_recomputation(derived: OxigraphBackend) -> None:
    findings, note = derive.stale(derived)
    assert findings == []
    assert "0 missing, 0 extra" in note


def test_the_check_finds_a_stale_derived_graph(derived: OxigraphBackend) -> None:
    store = derived.store
    alpha = ox.NamedNode(f"{ID}graph/alpha")
    # the agent's level changed in its referential's graph, the derived graph left as it was
    level = next(iter(store.quads_for_pattern(ox.NamedNode(AGENT), ox.NamedNode(str(JG.level)),
                                              None, alpha)))
    store.remove(level)
    store.add(ox.Quad(ox.NamedNode(AGENT), ox.NamedNode(str(JG.level)),
                      ox.NamedNode(f"{ID}alpha/level/II"), alpha))
    derive.forget(derived)
    findings, _ = derive.stale(derived)
    assert [f.focus for f in findings if f.focus == AGENT] == [AGENT]
    agent = next(f for f in findings if f.focus == AGENT)
    assert agent.rule == "qc:derived-graph" and agent.severity == "violation"
    assert "card" in (agent.path or "") and "jobgraph build" in agent.message_en
    # made again, it is whole
    derivation.fill(store)
    derive.forget(derived)
    assert derive.stale(derived)[0] == []


def test_a_server_without_derived_graph_is_noted_not_flagged(plain: OxigraphBackend) -> None:
    findings, note = derive.stale(plain)
    assert findings == [] and "no derived graph" in note


# --- made again in part ----------------------------------------------------------------------

def _edit(store: Any, graph: str, remove: list[tuple[str, str, Any]],
          add: list[tuple[str, str, Any]]) -> None:
    g = ox.NamedNode(f"{ID}graph/{graph}")
    for s, p, o in remove:
        for q in list(store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), o, g)):
            store.remove(q)
    for s, p, o in add:
        store.add(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, g))


@pytest.mark.parametrize("change", ["label", "link", "removed", "framework"])
def test_made_again_in_part_it_equals_a_recomputation(tmp_path: Path, change: str) -> None:
    store = _store(tmp_path / "db")
    state = derivation.fill(store)
    state["code"] = derivation.code_digest()
    changed = {f"{ID}graph/beta"}
    removed: set[str] = set()
    if change == "framework":
        changed = {f"{ID}graph/cnc-2019"}
    if change == "removed":
        changed, removed = set(), {f"{ID}graph/gamma"}
    plan = derivation.plan(state, changed=changed, removed=removed, deps=_deps(store),
                       code=state["code"])
    if change == "framework":  # every referential aligned to the national framework
        assert plan.refs == {"cnc-2019", "alpha", "beta", "gamma"}
    else:
        assert not plan.full and plan.refs == ({"gamma"} if removed else {"beta"})
    maker = derivation.Maker(store, plan, cache_dir=None, previous=state)
    maker.before()
    if change in ("label", "framework"):
        _edit(store, "beta", [(ACCUEIL, str(SKOS.prefLabel), None)],
              [(ACCUEIL, str(SKOS.prefLabel), ox.Literal("Agent d'accueil social",
                                                        language="fr"))])
    elif change == "link":  # the accueil job loses its link to M1601: counts and card change
        for q in list(store.quads_for_pattern(None, ox.NamedNode(str(JG.mappedTo)),
                                              ox.NamedNode(f"{ID}rome/metier/M1601"),
                                              ox.NamedNode(f"{ID}graph/beta"))):
            store.remove(q)
        _edit(store, "beta", [(ACCUEIL, str(SKOS.closeMatch), None)], [])
    else:
        store.remove_graph(ox.NamedNode(f"{ID}graph/gamma"))
    maker.after()
    updated = _triples(store)
    derivation.fill(store)
    assert updated == _triples(store)


def test_rome_or_the_code_changing_makes_it_whole() -> None:
    state = {"format": derive.FORMAT, "code": "x"}
    assert derivation.plan(state, changed={str(GRAPH.ROME)}, removed=set(), deps={},
                       code="x").full
    assert derivation.plan(state, changed=set(), removed=set(), deps={}, code="y").full
    assert derivation.plan(None, changed=set(), removed=set(), deps={}, code="x").full
    # the dataset description changes at every build and is read by no derived fact
    quiet = derivation.plan(state, changed={str(GRAPH.DATASET)}, removed=set(), deps={}, code="x")
    assert not quiet.full and quiet.refs == set()


# --- the answers, three ways -------------------------------------------------------------------

def _rows(backend: OxigraphBackend, name: str, params: dict[str, str]) -> tuple[Any, str]:
    a = run(backend, name, params)
    return a.result.canonical(a.query.lists), a.note


@pytest.mark.parametrize("name", ANSWERED)
def test_answers_are_the_same_with_and_without_the_derived_graph(
        name: str, derived: OxigraphBackend, plain: OxigraphBackend) -> None:
    assert derive.available(derived) and not derive.available(plain)
    for params in CASES[name]:
        assert _rows(derived, name, params) == _rows(plain, name, params), params
    for job in JOBS:  # every job of the fixture, not only the judged cases
        one = {"from": job, "to": AGENT} if name == "competence-gap" else {"job": job}
        assert _rows(derived, name, one) == _rows(plain, name, one), job


@pytest.mark.parametrize("name", ANSWERED)
def test_answers_read_in_part_are_those_of_every_job_read_whole(
        name: str, derived: OxigraphBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    part = {tuple(sorted(p.items())): _rows(derived, name, p) for p in CASES[name]}
    whole_facts, titles = facts_for(derived)

    class Whole:
        def __init__(self, backend: Any, lang: str) -> None:
            self.facts, self.titles = facts_for(backend, lang)
            self.equivalent: dict[str, Any] = {}

        def for_equivalents(self, job: str) -> bool:
            return True

        for_next_steps = for_equivalents

        def for_gap(self, a: str, b: str) -> bool:
            return True

        def spread(self, items: Any, target: str) -> None:
            return None

    monkeypatch.setattr(answers, "read_for", Whole)
    for params in CASES[name]:
        assert _rows(derived, name, params) == part[tuple(sorted(params.items()))], params
    assert whole_facts.jobs and titles.jobs


def test_paths_are_the_same_three_ways(derived: OxigraphBackend,
                                       plain: OxigraphBackend) -> None:
    facts, titles = facts_for(plain)

    def key(answer: Any) -> Any:
        return ([[(s.source, s.target, s.kind, s.evidence, s.why) for s in p.steps]
                 for p in answer.paths], answer.scope)

    found = 0
    for a in JOBS:
        for b in JOBS:
            if a == b:
                continue
            whole = key(find_paths(plain, a, b, facts=facts, titles=titles))
            assert key(find_paths(derived, a, b)) == whole, (a, b)
            assert key(find_paths(plain, a, b)) == whole, (a, b)
            found += bool(whole[0])
    assert found > 20  # the fixture's jobs are joined by paths, most of them


def test_shipped_answers_the_same_with_and_without_the_derived_graph(
        shipped_store: Path, tmp_path: Path) -> None:
    """The shipped store as built (derived graph) against a copy of it without the derived
    graph: a sample of jobs of every referential, each answer compared."""
    from jobgraph.workspace import Workspace

    ws = Workspace(shipped_store)
    with_derived = OxigraphBackend.open(ws.db, workspace=ws)
    live = ox.Store.read_only(str(ws.db))
    live.backup(str(tmp_path / "copy"))
    copy = ox.Store(str(tmp_path / "copy"))
    copy.remove_graph(ox.NamedNode(str(GRAPH.DERIVED)))
    without = OxigraphBackend(copy)
    assert derive.available(with_derived) and not derive.available(without)
    jobs = sorted(str(r[0]) for r in with_derived.select(
        "PREFIX jg: <https://w3id.org/jobgraph/ontology#> SELECT ?j WHERE { ?j a jg:Job }").rows)
    sample = jobs[::9]
    assert len(sample) >= 25
    for job in sample:
        for name in ("equivalent-jobs", "next-steps"):
            assert _rows(with_derived, name, {"job": job}) == _rows(without, name, {"job": job})
    for a, b in itertools.pairwise(sample):
        params = {"from": a, "to": b}
        assert _rows(with_derived, "competence-gap", params) == \
            _rows(without, "competence-gap", params)


def test_readers_kept_between_questions_give_the_answers_of_new_ones(
        shipped_store: Path) -> None:
    """The web application keeps one reader per language from one question to the next
    (``answers.SharedReaders``): its answers, asked in a mixed order and in both languages, are
    those of a new reader for each question; a new version of the data gets new readers."""
    from jobgraph.workspace import Workspace

    ws = Workspace(shipped_store)
    fresh = OxigraphBackend.open(ws.db, workspace=ws)
    kept = OxigraphBackend.open(ws.db, workspace=ws)
    version = ["one"]
    readers = answers.SharedReaders(kept, lambda: version[0], max_jobs=120)
    kept.readers = readers  # type: ignore[attr-defined]
    jobs = sorted(str(r[0]) for r in fresh.select(
        "PREFIX jg: <https://w3id.org/jobgraph/ontology#> SELECT ?j WHERE { ?j a jg:Job }").rows)
    sample = jobs[::11]
    asked = 0
    for a, b in itertools.pairwise(sample):
        for lang in ("fr", "en"):
            for name, params in (("competence-gap", {"from": a, "to": b}),
                                 ("equivalent-jobs", {"job": b}), ("next-steps", {"job": a})):
                one, other = run(fresh, name, params, lang=lang), run(kept, name, params, lang=lang)
                assert other.result.canonical(other.query.lists) == \
                    one.result.canonical(one.query.lists), (name, params, lang)
                assert other.note == one.note
                asked += 1
    assert asked >= 6 * 19
    held = {lang: len(r.facts.jobs) for (_, lang), (r, _) in readers._readers.items()}
    assert held["fr"] > 20 and held["en"] > 20  # the readers were kept and grew
    version[0] = "two"
    with readers.reading("fr") as reader:
        assert not reader.facts.jobs  # a new version of the data: a new reader
    assert {v for v, _ in readers._readers} == {"two"}


# --- stored queries reading the derived graph ------------------------------------------------

def _twins() -> list[str]:
    from jobgraph.catalogue import list_queries

    return [q.name for q in list_queries() if q.derived is not None]


def test_twins_are_stored_queries_with_the_same_columns() -> None:
    import re

    from jobgraph.catalogue import get_query, query_dir

    names = sorted(p.stem for p in (query_dir() / "derived").glob("*.rq"))
    assert names == sorted(_twins()) and len(names) >= 6
    for name in names:
        q = get_query(name)
        assert q.derived is not None
        head = re.search(r"SELECT\s+(DISTINCT\s+)?(.*?)\bWHERE", q.derived, re.S)
        assert head is not None
        projected = re.findall(r"\?(\w+)\)?\s*(?=\?|\(|$)", head.group(2).replace("\n", " ") + " ")
        assert [v for v in projected if v in q.returns] == q.returns, name
        assert "jgd:" in q.derived and f"# name: {name}" in q.derived


@pytest.mark.parametrize("name", _twins())
def test_twins_give_the_rows_of_their_query(name: str, derived: OxigraphBackend) -> None:
    from jobgraph.catalogue import get_query
    from jobgraph.queries import bind_params, text_for

    q = get_query(name)
    assert text_for(q, derived) == q.derived
    for params in CASES[name]:
        bindings = bind_params(derived, q, params)
        twin = derived.select(q.derived or "", bindings)
        own = derived.select(q.text, bindings)
        assert twin.canonical(q.lists) == own.canonical(q.lists), params
        # in the same order, where the query sets one
        if "ORDER BY" in q.text:
            assert _ordered(twin, q.lists) == _ordered(own, q.lists), params


def _ordered(result: Any, lists: Any) -> list[tuple[str, ...]]:
    from jobgraph.terms import canonical

    return [tuple(canonical(t, as_list=v in lists) for v, t in zip(result.variables, row,
                                                                    strict=True))
            for row in result.rows]


def test_shipped_twins_give_the_rows_of_their_query(shipped_store: Path) -> None:
    from jobgraph.catalogue import get_query
    from jobgraph.queries import bind_params
    from jobgraph.workspace import Workspace

    ws = Workspace(shipped_store)
    backend = OxigraphBackend.open(ws.db, workspace=ws)
    sets = {"equivalent-jobs": [{"job": "missions-locales/assistant-administratif"},
                                {"job": "tp-cagea/charge-accueil-gestion-administrative"}],
            "next-steps": [{"job": "missions-locales/assistant-administratif"},
                           {"job": "photographie-2024/studios-photographe-1"}],
            "cross-sector-moves": [{"job": "missions-locales/assistant-administratif"},
                                   {"job": "cci-2015/juriste"}],
            "unmapped-jobs": [{}, {"referential": f"{ID}cci-2015"}],
            "referential-overview": [{}, {"lang": "en"}],
            "competence-usage": [{}, {"minJobs": "2"}]}
    for name in _twins():
        q = get_query(name)
        for params in sets[name]:
            bindings = bind_params(backend, q, params)
            twin = backend.select(q.derived or "", bindings)
            own = backend.select(q.text, bindings)
            assert twin.canonical(q.lists) == own.canonical(q.lists), (name, params)
            assert twin.rows or name == "unmapped-jobs"  # every shipped job has a ROME link
