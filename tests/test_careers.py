"""The career answers' rules, on small facts made here and on the query fixture: national ranges,
equivalence scores and explanations, next steps, competence gaps, path costs and the scores of
the evaluation."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pyoxigraph as ox
import pytest

from jobgraph.backends import OxigraphBackend
from jobgraph.careers import evaluation as ev
from jobgraph.careers.answers import facts_for
from jobgraph.careers.equivalence import (
    Pair,
    TitleIndex,
    candidates,
    either_way,
    equivalents,
    score,
)
from jobgraph.careers.facts import (
    Facts,
    Fiche,
    Item,
    JobFacts,
    Link,
    NationalRange,
    OwnCompetence,
    range_text,
    title_key,
)
from jobgraph.careers.gaps import competence_gap
from jobgraph.careers.steps import next_steps
from jobgraph.paths import Graph, Step, explained, find_paths, shortest_paths
from query_cases import ACCUEIL, AGENT, ARCHIVISTE, ASSISTANT, FIXTURE

ID = "https://w3id.org/jobgraph/id/"


def job(ref: str, ident: str, label: str, national: tuple[int, int] | None = None, *,
        level: str | None = None, rank: int | None = None, links: list[Link] | None = None,
        missions: list[str] | None = None) -> JobFacts:
    nat = NationalRange(*national, "estimate") if national else None
    return JobFacts(f"{ID}{ref}/job/{ident}", ref, ref, label, "fr", level, rank, nat, (),
                    links or [], missions or [])


def fiche(code: str, *items: tuple[str, str]) -> Fiche:
    f = Fiche(f"{ID}rome/metier/{code}", code, f"Fiche {code}", code[:3])
    for ident, label in items:
        f.items[f"{ID}rome/competence/{ident}"] = Item(f"{ID}rome/competence/{ident}", label,
                                                        "skill", "Savoir-faire : Technique")
    return f


def facts_of(*jobs: JobFacts, fiches: list[Fiche] | None = None,
             progressions: dict[str, list[tuple[str, str]]] | None = None) -> Facts:
    f = Facts({j.iri: j for j in jobs}, {x.iri: x for x in fiches or []}, {})
    f.progressions = progressions or {}
    return f


@pytest.fixture(scope="module")
def fixture_backend() -> OxigraphBackend:
    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    return OxigraphBackend(store)


# --- national ranges and titles ------------------------------------------------------------------

def test_national_ranges_overlap_or_are_apart() -> None:
    a, b = NationalRange(2, 3, "estimate"), NationalRange(3, 5, "estimate")
    assert a.distance(b) == b.distance(a) == 0  # they share level 3
    assert a.distance(NationalRange(6, 7, "official")) == 3
    assert str(a) == "2–3" and str(NationalRange(4, 4, "official")) == "4"
    assert range_text(None, "fr") == "inconnu" and range_text(None, "en") == "unknown"


@pytest.mark.parametrize("label,key", [
    ("Receveur(euse) des péages", "receveur des peages"),
    ("Hôte / Hôtesse d'accueil", "hote d'accueil"),
    ("Comptable II", "comptable"),
    ("Photographe qualifié 3e niveau", "photographe qualifie"),
    ("Assistant(e) spécialisé(e)", "assistant specialise")])
def test_title_key_drops_feminine_forms_and_grades(label: str, key: str) -> None:
    assert title_key(label) == key


# --- equivalence ---------------------------------------------------------------------------------

def test_unknown_level_is_not_a_distance_of_zero() -> None:
    known = Pair("a", "b", fiches=[("f", 1.0)], level_gap=0)
    unknown = Pair("a", "b", fiches=[("f", 1.0)], level_gap=None)
    far = Pair("a", "b", fiches=[("f", 1.0)], level_gap=3)
    assert score(known.features()) > score(unknown.features()) > score(far.features())
    assert unknown.features()["level_unknown"] == 1.0


def test_more_evidence_scores_higher() -> None:
    none = Pair("a", "b")
    title = Pair("a", "b", title=0.9, level_gap=0)
    both = Pair("a", "b", title=0.9, fiches=[("f", 0.8)], overlap=0.6, level_gap=0)
    assert score(none.features()) < score(title.features()) < score(both.features())


def test_equivalents_on_the_fixture_say_why(fixture_backend: OxigraphBackend) -> None:
    facts, titles = facts_for(fixture_backend)
    answer = equivalents(facts, titles, AGENT)
    first = answer.rows[0]
    assert first.job.iri == ACCUEIL
    assert "M1601" in first.why and "niveau national 3 et 4" in first.why
    assert all(r.job.referential != "alpha" for r in answer.rows)
    assert [r.score for r in answer.rows] == sorted((r.score for r in answer.rows), reverse=True)
    english = equivalents(facts, titles, AGENT, lang="en").rows[0].why
    assert "shared ROME fiche M1601" in english and "national level 3 and 4" in english


def test_an_empty_answer_says_so_and_names_the_closest_fiches(
        fixture_backend: OxigraphBackend) -> None:
    facts, titles = facts_for(fixture_backend)
    nothing = equivalents(facts, titles, ARCHIVISTE)  # no ROME link, no similar title
    assert nothing.rows == []
    assert nothing.empty_note("fr").startswith("Aucun emploi équivalent")
    cut = equivalents(facts, titles, AGENT, threshold=1.01)  # nothing reaches the threshold
    assert cut.rows == [] and "M1601" in cut.empty_note("en")


def test_candidates_are_in_other_referentials_only() -> None:
    f = facts_of(job("a", "x", "Comptable", (4, 4), links=[Link(f"{ID}rome/metier/M1203",
                                                                  "exactMatch", "curation")]),
                 job("a", "y", "Comptable", (4, 4), links=[Link(f"{ID}rome/metier/M1203",
                                                                  "exactMatch", "curation")]),
                 job("b", "z", "Comptable", (5, 5), links=[Link(f"{ID}rome/metier/M1203",
                                                                  "closeMatch", "curation")]),
                 fiches=[fiche("M1203", ("1", "Tenir la comptabilité"))])
    pairs = candidates(f, TitleIndex(f), f"{ID}a/job/x")
    assert [p.other for p in pairs] == [f"{ID}b/job/z"]
    p = pairs[0]
    assert p.fiches == [(f"{ID}rome/metier/M1203", 0.8)] and p.level_gap == 1
    assert p.overlap == 1.0 and p.title == pytest.approx(1.0)


def test_a_fiche_covering_several_posts_shares_its_evidence_among_them() -> None:
    m = f"{ID}rome/metier/M1402"
    items = [fiche("M1402", ("1", "Piloter un projet"), ("2", "Animer un réseau"))]

    def on(ref: str, ident: str, label: str) -> JobFacts:
        return job(ref, ident, label, (6, 7), links=[Link(m, "closeMatch", "curation")])

    me = on("a", "x", "Consultant en conduite du changement")
    alone = facts_of(me, on("b", "p", "Chargé(e) de projets"), fiches=items)
    p = candidates(alone, TitleIndex(alone), me.iri)[0]
    assert p.crowd == 1 and p.features()["fiche"] == pytest.approx(0.64)
    assert equivalents(alone, TitleIndex(alone), me.iri).rows  # one post: the fiche names it
    # the same fiche on three posts of b (a post printed twice, or two rungs, counts once)
    many = facts_of(me, on("b", "p", "Chargé(e) de projets"), on("b", "a", "Chargé(e) d'activité"),
                    on("b", "c", "Coordinateur(trice)"), on("b", "c2", "Coordinateur(trice) II"),
                    fiches=items)
    pairs = candidates(many, TitleIndex(many), me.iri)
    assert {q.crowd for q in pairs} == {3}
    q = next(q for q in pairs if q.other == p.other)
    assert q.features()["fiche"] == pytest.approx(0.64 / 3)
    assert q.features()["overlap"] == pytest.approx(1 / 3)
    assert score(q.features()) < score(p.features())
    assert equivalents(many, TitleIndex(many), me.iri).rows == []  # none of them singled out
    why = equivalents(many, TitleIndex(many), me.iri, threshold=0.0).rows[0].why
    assert "fiche ROME commune M1402" in why and "fiche de 3 postes de b" in why


def test_with_no_equivalent_the_nearest_related_job_of_a_comparable_level_is_shown() -> None:
    m1204, m1205 = f"{ID}rome/metier/M1204", f"{ID}rome/metier/M1205"
    fiches = [fiche("M1204", ("1", "Contrôler la gestion")), fiche("M1205", ("2", "Diriger"))]

    def on(ref: str, ident: str, label: str, national: tuple[int, int] | None, code: str,
           relation: str = "exactMatch") -> JobFacts:
        return job(ref, ident, label, national, links=[Link(code, relation, "curation")])

    me = on("a", "x", "Contrôleur de gestion", (6, 7), m1204)
    daf = on("b", "d", "Directeur administratif et financier", (7, 7), m1205)  # domaine M12
    f = facts_of(me, daf, fiches=fiches)
    answer = equivalents(f, TitleIndex(f), me.iri)
    # the same domaine alone is not the same occupation: under the threshold, no equivalent
    assert answer.rows == [] and score(candidates(f, TitleIndex(f), me.iri)[0].features()) < 0.4
    # but the nearest job of the field at a comparable level is shown, and said to be related
    assert [r.job.iri for r in answer.related] == [daf.iri] and answer.shown == answer.related
    assert answer.related[0].why.startswith("emploi voisin, pas la même occupation")
    assert "même domaine ROME M12" in answer.related[0].why
    assert "L'emploi voisin le plus proche est montré" in answer.empty_note("fr")
    english = equivalents(f, TitleIndex(f), me.iri, lang="en")
    assert english.related[0].why.startswith("a related job, not the same occupation")
    # levels far apart or unknown: nothing to show
    for national in [(3, 3), None]:
        g = facts_of(me, on("b", "d", "Directeur administratif et financier", national, m1205),
                     fiches=fiches)
        assert equivalents(g, TitleIndex(g), me.iri).shown == []
    # a similar title alone is not shown
    twin = job("b", "t", "Contrôleur de gestion", (6, 7))
    g = facts_of(me, twin, fiches=fiches)
    assert equivalents(g, TitleIndex(g), me.iri).shown == []
    # a fiche of three posts singles none of them out, here either
    crowd = [on("b", i, label, (6, 7), m1204, "relatedMatch")
             for i, label in (("p", "Chargé(e) de projets"), ("q", "Chargé(e) d'activité"),
                              ("r", "Coordinateur(trice)"))]
    g = facts_of(me, *crowd, fiches=fiches)
    answer = equivalents(g, TitleIndex(g), me.iri)
    assert answer.rows == [] and answer.related == []
    assert equivalents(g, TitleIndex(g), me.iri, threshold=0.0).rows  # they are candidates
    # when an equivalent is shown, no related row is added
    g = facts_of(me, daf, on("c", "y", "Contrôleur de gestion", (6, 7), m1204), fiches=fiches)
    answer = equivalents(g, TitleIndex(g), me.iri)
    assert [r.job.label for r in answer.rows] == ["Contrôleur de gestion"]
    assert answer.related == [] and answer.shown == answer.rows


def test_a_fiche_of_two_posts_shows_both_as_the_nearest_related_jobs() -> None:
    m1304 = f"{ID}rome/metier/M1304"
    fiches = [fiche("M1304", ("1", "Diriger une structure"), ("2", "Animer une équipe"))]

    def on(ref: str, ident: str, label: str, national: tuple[int, int] | None,
           relation: str = "closeMatch") -> JobFacts:
        return job(ref, ident, label, national, links=[Link(m1304, relation, "curation")])

    me = on("a", "m", "Manager II", (7, 7), "relatedMatch")
    director = on("b", "d", "Directeur", (7, 7))
    head = on("b", "s", "Responsable de secteur", (6, 6))
    f = facts_of(me, director, head, fiches=fiches)
    pairs = candidates(f, TitleIndex(f), me.iri)
    assert {p.crowd for p in pairs} == {2}  # M1304 covers two posts of b
    answer = equivalents(f, TitleIndex(f), me.iri)
    # neither reaches the threshold, and the fiche singles out neither: it names the pair
    assert answer.rows == []
    assert {r.job.iri for r in answer.related} == {director.iri, head.iri}
    assert all(r.why.startswith("emploi voisin") and "fiche de 2 postes de b" in r.why
               for r in answer.related)
    # one of the pair at a level that cannot be compared: the other is not singled out either
    g = facts_of(me, director, on("b", "s", "Responsable de secteur", (4, 4)), fiches=fiches)
    assert equivalents(g, TitleIndex(g), me.iri).shown == []
    # a fiche of three posts still shows nothing
    g = facts_of(me, director, head, on("b", "c", "Coordinateur", (7, 7)), fiches=fiches)
    assert equivalents(g, TitleIndex(g), me.iri).shown == []


def test_rungs_of_one_ladder_tied_on_the_score_show_once() -> None:
    n1303 = f"{ID}rome/metier/N1303"

    def linked(ref: str, ident: str, label: str, national: tuple[int, int]) -> JobFacts:
        return job(ref, ident, label, national, links=[Link(n1303, "closeMatch", "curation")])

    me = linked("a", "x", "Acheteur", (5, 5))
    low = linked("b", "g", "Gestionnaire de stocks 2e niveau", (4, 5))
    high = linked("b", "r", "Responsable de la gestion des stocks", (4, 5))
    fiches = [fiche("N1303", ("1", "Gérer les stocks"))]
    f = facts_of(me, low, high, fiches=fiches, progressions={low.iri: [(high.iri, "ladder")]})
    scores = {p.other: score(p.features()) for p in candidates(f, TitleIndex(f), me.iri)}
    assert scores[low.iri] == pytest.approx(scores[high.iri])  # the evidence cannot tell them
    # the same occupation once: the rung nearest the job's level, the lowest of those as near
    answer = equivalents(f, TitleIndex(f), me.iri, threshold=0.0)
    assert [r.job.iri for r in answer.rows] == [low.iri]
    # not on one ladder: both are shown
    g = facts_of(me, low, high, fiches=fiches)
    assert {r.job.iri for r in equivalents(g, TitleIndex(g), me.iri, threshold=0.0).rows} == {
        low.iri, high.iri}


def test_one_rung_of_a_numbered_series_and_no_junior_rung_of_the_match() -> None:
    m = f"{ID}rome/metier/M1203"

    def linked(ref: str, ident: str, label: str, national: tuple[int, int]) -> JobFacts:
        return job(ref, ident, label, national, links=[Link(m, "exactMatch", "curation")])

    me = linked("a", "x", "Comptable 1er échelon", (4, 5))
    one, two = linked("b", "c1", "Comptable I", (5, 5)), linked("b", "c2", "Comptable II", (5, 5))
    f = facts_of(me, one, two, fiches=[fiche("M1203", ("1", "Tenir la comptabilité"))],
                 progressions={one.iri: [(two.iri, "ladder")]})
    # Comptable I and II tie on every feature: one occupation, its first rung is shown
    assert [r.job.iri for r in equivalents(f, TitleIndex(f), me.iri).rows] == [one.iri]
    f.progressions = {}  # not one ladder: two posts, both shown
    assert len(equivalents(f, TitleIndex(f), me.iri).rows) == 2
    # the junior post below the match is left out, unless the job is no higher than it
    lead = linked("a", "p", "Chef de projet", (6, 7))
    junior = linked("b", "ac", "Assistant chef de projet", (5, 7))
    chef = linked("b", "cp", "Chef de projet", (6, 7))
    f = facts_of(lead, junior, chef, fiches=[fiche("M1203", ("1", "Tenir la comptabilité"))],
                 progressions={junior.iri: [(chef.iri, "ladder")]})
    assert [r.job.iri for r in equivalents(f, TitleIndex(f), lead.iri).rows] == [chef.iri]
    low = linked("a", "q", "Chef de projet", (5, 7))
    f.jobs[low.iri] = low
    assert {r.job.iri for r in equivalents(f, TitleIndex(f), low.iri).rows} == {chef.iri,
                                                                                junior.iri}


# --- next steps ----------------------------------------------------------------------------------

def test_next_steps_ladder_first_never_lower_never_twice() -> None:
    a = job("r", "a", "Vendeur 1er niveau", (3, 3), level="155", rank=1)
    b = job("r", "b", "Vendeur 2e niveau", (3, 3), level="165", rank=2)
    c = job("r", "c", "Responsable de magasin", (4, 5), level="210", rank=3)
    c2 = job("r", "c2", "Responsable de magasin", (4, 5), level="210", rank=3)  # printed twice
    f = facts_of(a, b, c, c2, progressions={a.iri: [(b.iri, "explicit")],
                                            b.iri: [(c.iri, "ladder"), (c2.iri, "ladder")]})
    got = next_steps(f, TitleIndex(f), a.iri)
    assert [(s.job.iri, s.kind, s.steps) for s in got] == [(b.iri, "progression", 1),
                                                           (c.iri, "ladder", 2)]
    assert "niveau national 3 → 4–5" in got[1].why
    # from b, the lower rung a is never a next step
    assert a.iri not in {s.job.iri for s in next_steps(f, TitleIndex(f), b.iri)}


# --- competence gaps -----------------------------------------------------------------------------

def test_gap_leads_with_key_competences_and_skips_what_the_source_has() -> None:
    fw = f"{ID}r/framework/f"
    src = job("r", "s", "Chargé d'accueil", (4, 4), missions=["Assurer le suivi administratif"])
    dst = job("r", "t", "Conseiller", (5, 5))
    f = facts_of(src, dst)
    f.competences = {
        src.iri: {f"{ID}r/competence/c1": OwnCompetence(f"{ID}r/competence/c1", "Accueillir",
                                                        "1.1", fw, "domain", False, False)},
        dst.iri: {iri: OwnCompetence(iri, label, notation, fw, "domain", key, new)
                  for iri, label, notation, key, new in [
                      (f"{ID}r/competence/c1", "Accueillir", "1.1", False, False),
                      (f"{ID}r/competence/c2", "Conduire un entretien", "1.2", False, True),
                      (f"{ID}r/competence/c3", "Élaborer un parcours", "1.3", True, False),
                      (f"{ID}r/competence/c4", "Garantir un suivi administratif", "8.5", False,
                       False)]}}

    class NoSpread:
        name = "none"

        def select(self, query: str, bindings: Any = None) -> Any:
            from jobgraph.backends import Result
            return Result(["item", "fiches"], [])

    answer = competence_gap(f, NoSpread(), src.iri, dst.iri)
    # c1 held, c4 worded otherwise in the source's missions; the key one first, then the new one
    assert [g.competence.notation for g in answer.own] == ["1.3", "1.2"]


def test_gap_on_the_fixture(fixture_backend: OxigraphBackend) -> None:
    facts, _ = facts_for(fixture_backend)
    answer = competence_gap(facts, fixture_backend, AGENT, ASSISTANT)
    assert [g.competence.label for g in answer.own] == ["Sens de l'organisation"]
    assert [gap.item.label for g in answer.groups for gap in g.gaps] == ["Saisir des documents"]
    assert answer.listed >= answer.covered > 0
    assert "a déjà" in answer.coverage_text("fr")


# --- paths ---------------------------------------------------------------------------------------

def test_a_step_more_than_one_level_down_or_two_up_is_not_taken() -> None:
    a, b, c = (job("r", x, x.upper(), lvl) for x, lvl in (("a", (5, 5)), ("b", (3, 3)),
                                                          ("c", (8, 8))))
    f = facts_of(a, b, c)
    g = Graph.from_facts(f, TitleIndex(f))
    g.direct = {a.iri: [Step(a.iri, b.iri, "progression", "explicit"),
                        Step(a.iri, c.iri, "progression", "explicit")]}
    assert g.out(a.iri) == {}  # two levels down, three up


def test_a_route_inside_the_referential_beats_a_cheaper_detour(
        fixture_backend: OxigraphBackend) -> None:
    # alpha's agent to alpha's responsable: the ladder (two rungs), not a detour elsewhere
    answer = find_paths(fixture_backend, AGENT, f"{ID}alpha/job/responsable")
    assert answer.scope == "referential"
    assert answer.paths[0].jobs() == [AGENT, ASSISTANT, f"{ID}alpha/job/responsable"]
    assert all(j.startswith(f"{ID}alpha/") for p in answer.paths for j in p.jobs())


def manager_and_three_posts() -> tuple[Facts, JobFacts, JobFacts]:
    """M1304 on one post of a (Manager II) and on three of b (a Directeur among them)."""
    m = f"{ID}rome/metier/M1304"

    def on(ref: str, ident: str, label: str) -> JobFacts:
        return job(ref, ident, label, (7, 7), links=[Link(m, "closeMatch", "curation")])

    manager = on("a", "m", "Manager II")
    director = on("b", "d", "Directeur")
    f = facts_of(manager, director, on("b", "s", "Responsable de secteur"),
                 on("b", "x", "Responsable d'agence"),
                 fiches=[fiche("M1304", ("1", "Piloter une structure"))])
    return f, manager, director


def test_a_move_is_one_step_of_the_same_occupation_whichever_job_names_the_other() -> None:
    f, manager, director = manager_and_three_posts()
    titles = TitleIndex(f)
    # M1304 singles out the manager among a's posts, not one of b's three posts among them
    assert [r.job.iri for r in equivalents(f, titles, director.iri).rows] == [manager.iri]
    assert equivalents(f, titles, manager.iri).rows == []
    back = {e.job.iri: e for e in either_way(f, titles, manager.iri)}
    assert director.iri in back and back[director.iri].pair.crowd_of == "a"
    assert "fiche ROME commune M1304" in back[director.iri].why
    path = find_paths(OxigraphBackend(ox.Store()), manager.iri, director.iri, facts=f,
                      titles=titles).paths[0]
    assert path.jobs() == [manager.iri, director.iri] and path.steps[0].kind == "equivalence"


def test_a_rome_move_to_a_broad_fiche_or_a_weak_link_costs_more() -> None:
    f1, f2 = f"{ID}rome/metier/E1201", f"{ID}rome/metier/E1208"
    rungs = [job("r", f"p{i}", f"Photographe {i}e niveau", (3, 3), level=str(150 + i), rank=i,
                 links=[Link(f1, "exactMatch", "curation")] if i == 0 else [])
             for i in range(5)]
    top = rungs[-1]
    top.links.append(Link(f2, "exactMatch", "curation"))
    f = facts_of(*rungs, fiches=[fiche("E1201"), fiche("E1208")],
                 progressions={a.iri: [(b.iri, "explicit")] for a, b in pairwise(rungs)})
    f.mobility = {f1: [(f2, "mobilityTo")]}
    g = Graph.from_facts(f, TitleIndex(f))
    move = g.out(rungs[0].iri)[top.iri]
    assert move.kind == "mobility" and move.extra == 0.0 and move.cost == pytest.approx(3.4)
    # alone on its fiche, the chef de studio is reached by the ROME move (3.4 < four rungs, 4.0)
    assert shortest_paths(g, rungs[0].iri, top.iri)[0].jobs() == [rungs[0].iri, top.iri]
    # E1208 also covers three other studio posts: it does not single out the chef de studio
    others = [job("r", f"o{i}", label, (3, 3), links=[Link(f2, "exactMatch", "curation")])
              for i, label in enumerate(["Directeur de studio", "Responsable prises de vue",
                                         "Directeur de studio II"])]
    for o in others:
        f.add_job(o)
    g = Graph.from_facts(f, TitleIndex(f))
    move = g.out(rungs[0].iri)[top.iri]
    assert move.extra == pytest.approx(0.3 * 2)  # two other posts (II is the same post)
    assert "fiche E1208 de 3 postes de r" in explained(move, f).why
    assert shortest_paths(g, rungs[0].iri, top.iri)[0].jobs() == [r.iri for r in rungs]
    # a related link: the job is only partly the fiche's occupation
    top.links[-1] = Link(f2, "relatedMatch", "curation")
    g = Graph.from_facts(f, TitleIndex(f))
    move = g.out(rungs[0].iri)[top.iri]
    assert move.extra == pytest.approx(0.6 + 1.0 * (1 - 0.4 * 1.0))
    assert "lien relatedMatch à E1208" in explained(move, f).why


def test_a_rome_move_enters_a_ladder_at_its_lowest_rung_on_the_fiche() -> None:
    fa, fb = f"{ID}rome/metier/E1112", f"{ID}rome/metier/M1705"
    source = job("s", "charge-com", "Chargé de communication", (5, 5),
                 links=[Link(fa, "exactMatch", "curation")])
    cadre = job("r", "cadre", "Cadre marketing", (6, 7), links=[Link(fb, "exactMatch", "curation")])
    confirmed = job("r", "confirme", "Cadre marketing confirmé", (6, 7),
                    links=[Link(fb, "exactMatch", "curation")])
    f = facts_of(source, cadre, confirmed, fiches=[fiche("E1112"), fiche("M1705")],
                 progressions={cadre.iri: [(confirmed.iri, "explicit")]})
    f.mobility = {fa: [(fb, "mobilityTo")]}
    g = Graph.from_facts(f, TitleIndex(f))
    # the fiche names the occupation, not its grade: the move lands on the ladder's lower rung,
    # and the printed progression climbs to the confirmed post
    assert set(g.out(source.iri)) == {cadre.iri}
    path = shortest_paths(g, source.iri, confirmed.iri)[0]
    assert path.jobs() == [source.iri, cadre.iri, confirmed.iri]
    assert [s.kind for s in path.steps] == ["mobility", "progression"]
    # a source already above the lower rung is not sent down to it: the move reaches the post
    senior = job("s", "senior", "Directeur de la communication", (7, 7),
                 links=[Link(fa, "exactMatch", "curation")])
    low = job("r", "cadre", "Cadre marketing", (5, 5), links=[Link(fb, "exactMatch", "curation")])
    f2 = facts_of(senior, low, confirmed, fiches=[fiche("E1112"), fiche("M1705")],
                  progressions={low.iri: [(confirmed.iri, "explicit")]})
    f2.mobility = {fa: [(fb, "mobilityTo")]}
    g2 = Graph.from_facts(f2, TitleIndex(f2))
    assert confirmed.iri in g2.out(senior.iri)


def test_a_rome_move_from_a_job_of_unknown_level_may_enter_any_rung() -> None:
    fa, fb = f"{ID}rome/metier/M1810", f"{ID}rome/metier/M1801"
    source = job("s", "analyste", "Analyste d'exploitation", None,
                 links=[Link(fa, "broadMatch", "curation")])
    low = job("r", "maintenance", "Responsable maintenance", (4, 5), level="220",
              links=[Link(fb, "closeMatch", "curation")])
    top = job("r", "cadre", "Cadre informatique confirmé", (6, 7), level="350",
              links=[Link(fb, "closeMatch", "curation")])
    f = facts_of(source, low, top, fiches=[fiche("M1810"), fiche("M1801")],
                 progressions={low.iri: [(top.iri, "ladder")]})
    f.mobility = {fa: [(fb, "sidewaysTo")]}
    g = Graph.from_facts(f, TitleIndex(f))
    # nothing tells which rung a source of unknown level enters: the move may reach either
    assert set(g.out(source.iri)) == {low.iri, top.iri}
    assert shortest_paths(g, source.iri, top.iri)[0].jobs() == [source.iri, top.iri]


def test_metiers_of_one_family_without_a_printed_level_are_neighbours() -> None:
    from dataclasses import replace

    def in_col(j: JobFacts) -> JobFacts:
        return replace(j, families=("col",))

    dev = in_col(job("it", "dev", "Développeur", (5, 7)))
    analyst = in_col(job("it", "analyste", "Analyste fonctionnel", (6, 7)))
    web = in_col(job("it", "web", "Intégrateur Web"))
    head = in_col(job("it", "directeur", "Directeur des études", (7, 7)))
    printed = in_col(job("it", "chef", "Chef de projet", (6, 7), level="II"))
    other = job("it", "vendeur", "Vendeur", (5, 6))
    f = facts_of(dev, analyst, web, head, printed, other)
    g = Graph.from_facts(f, TitleIndex(f))
    # the column groups them without ordering them: a sideways step to each of its métiers,
    # not to the column's head (its level starts above all the others'), nor to a post whose
    # level the document prints, nor out of the column
    out = g.out(dev.iri)
    assert set(out) == {analyst.iri, web.iri}
    step = out[analyst.iri]
    assert step.kind == "proximity" and step.detail == "family" and step.cost == pytest.approx(2.2)
    assert "même famille du document (col)" in explained(step, f).why
    assert g.out(head.iri) == {} and g.out(printed.iri) == {}
    assert shortest_paths(g, dev.iri, analyst.iri)[0].jobs() == [dev.iri, analyst.iri]


def test_an_equivalence_through_a_fiche_of_several_posts_costs_more() -> None:
    f, manager, director = manager_and_three_posts()
    g = Graph.from_facts(f, TitleIndex(f))
    there, back = g.out(manager.iri)[director.iri], g.out(director.iri)[manager.iri]
    assert there.kind == back.kind == "equivalence"
    # M1304 covers three posts of b: as for a ROME move, it does not say which of them the step
    # enters (0.3 a post more); it covers one post of a
    score = 1.0 - back.extra
    assert there.extra == pytest.approx(1.0 - score + 0.6)
    assert "fiche M1304 de 3 postes de b" in there.why


def test_an_equivalence_says_its_fiche_covers_several_posts_whatever_the_fiche_is_called() -> None:
    # a fiche whose title holds the referential's name (M1810 « … d'exploitation informatique »
    # and the referential informatique): the step still says the fiche covers several posts
    f, manager, director = manager_and_three_posts()
    m1304 = f.fiches[f"{ID}rome/metier/M1304"]
    m1304.title = "Directeur / Directrice de b"
    there = Graph.from_facts(f, TitleIndex(f)).out(manager.iri)[director.iri]
    assert "« Directeur / Directrice de b »" in there.why
    assert "fiche M1304 de 3 postes de b" in there.why


def test_paths_are_cheapest_first() -> None:
    steps = [Step("a", "b", "progression", "explicit"), Step("b", "d", "progression", "ladder"),
             Step("a", "c", "equivalence"), Step("c", "d", "mobility", "X>Y upwardTo")]
    found = shortest_paths(steps, "a", "d")
    assert [p.jobs() for p in found] == [["a", "b", "d"], ["a", "c", "d"]]
    assert found[0].cost == pytest.approx(2.2) and found[1].cost == pytest.approx(4.6)


# --- the evaluation's figures --------------------------------------------------------------------

def test_path_figures_count_credible_and_exact_paths() -> None:
    cases = [{"from": "r/a", "to": "r/d", "split": "dev", "expected": ["r/a", "r/b", "r/d"],
              "allowed": ["r/c"], "max_steps": 2},
             {"from": "r/a", "to": "r/e", "split": "test", "expected": ["r/a", "r/e"],
              "allowed": [], "max_steps": 1}]
    answers = {("r/a", "r/d"): [["r/a", "r/c", "r/d"]], ("r/a", "r/e"): []}

    def find(a: str, b: str) -> list[list[str]]:
        short = {ev.job_iri(x): x for x in ("r/a", "r/b", "r/c", "r/d", "r/e")}
        return [[ev.job_iri(x) for x in p] for p in answers[(short[a], short[b])]]

    result = ev.evaluate_paths(find, cases)
    figures = {(f.name, f.split): f.value for f in result.figures}
    assert figures[("credible share", "dev")] == 1.0  # through an allowed job
    assert figures[("exact share", "dev")] == 0.0
    assert figures[("credible share", "test")] == 0.0  # no path
    assert len(result.failures) == 1


def test_precision_at_5_counts_listed_jobs_and_scores_empty_answers() -> None:
    a, b, c, me = (ev.job_iri(x) for x in ("r/a", "s/b", "s/c", "q/me"))
    assert ev.precision_at_5([a, b, c, a], {a}, {b}, me) == pytest.approx(2 / 3)
    assert ev.precision_at_5([me, a], {a}, set(), me) == 0.5  # the job itself is noise
    assert ev.precision_at_5([], set(), set()) == 1.0  # nothing shown, nothing listed
    assert ev.precision_at_5([], {a}, set()) == 0.0  # nothing shown, something listed
    assert ev.precision_at_5([a], set(), set()) == 0.0  # something shown, nothing listed


def test_second_judge_scores_each_list_against_the_other() -> None:
    first = [{"job": "q/one", "split": "dev", "equivalents": [{"job": "r/a", "reason": "x"}],
              "related": [{"job": "s/b", "reason": "x"}, {"job": "s/c", "reason": "x"}]},
             {"job": "q/two", "split": "test", "equivalents": [], "related": []},
             {"job": "q/three", "split": "test", "equivalents": [], "related": []}]
    second = [{"job": "q/one", "equivalents": ["r/a"], "related": ["t/d"]},
              {"job": "q/two", "equivalents": [], "related": []},
              {"job": "q/three", "equivalents": [], "related": ["r/a"]},
              {"job": "q/four", "equivalents": [], "related": []}]
    result = ev.second_judge(first, second)
    figures = {(f.name, f.split): (f.value, f.cases) for f in result.figures}
    # q/one: the second judge's r/a is listed, t/d is not; of the set's three, one is its
    assert figures[("second judge's lists, Precision@5 against the set", "dev")] == (0.5, 1)
    assert figures[("the set's lists, Precision@5 against the second judge", "dev")] == \
        pytest.approx((1 / 3, 1))
    # q/two: both empty (1); q/three: the second judge lists a job the set judged empty (0)
    assert figures[("second judge's lists, Precision@5 against the set", "test")] == (0.5, 2)
    assert figures[("empty or not, agreed", "test")] == (0.5, 2)
    assert figures[("empty or not, agreed", "dev")] == (1.0, 1)
    assert "q/four: not a case of the set" in result.failures


def test_evaluate_command_prints_every_figure(tmp_path: Any, shipped_store: Any) -> None:
    import shutil

    from util import PROJECT, run

    # a copy of the session's build, fresh: not built again
    shutil.copytree(shipped_store, tmp_path / "store")
    code, out, err = run("evaluate", "--data", str(PROJECT / "data"), "--store",
                         str(tmp_path / "store"), "--sets", str(PROJECT / "evaluation"))
    assert code == 0, err
    for name in ("Precision@5", "credible share", "useful share", "Recall@10"):
        assert f"{name} " in out and "(dev, " in out and "(test, " in out
    # the second judge's agreement, and the rules on the cases it judged
    assert "second judge's lists, Precision@5 against the set " in out
    assert "equivalents, the rules on the second judge's cases\n  Precision@5 " in out
