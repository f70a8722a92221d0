"""Stored queries: headers, agreement of the embedded store and rdflib, expected rows on a small
graph computed by hand, answers on the shipped data checked against the source documents, and
hostile parameter values."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml
from rdflib import Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from jobgraph import terms
from jobgraph.backends import OxigraphBackend, RdflibBackend, Result, same_rows
from jobgraph.catalogue import PARAM_TYPES, StoredQuery, bindings_for, list_queries
from jobgraph.errors import UsageError
from jobgraph.queries import bind_params
from query_cases import ACCUEIL, AGENT, ARCHIVISTE, ASSISTANT, CASES, CHEF, CONSEILLER, FIXTURE
from util import PROJECT, run
from util import ask_stored as run_stored

QUERIES = {q.name: q for q in list_queries()}
MINE = ["career-path", "competence-gap", "competence-usage", "cross-sector-moves",
        "equivalent-jobs", "next-steps", "referential-overview", "unmapped-jobs"]
DATA = PROJECT / "data"
ID = "https://w3id.org/jobgraph/id/"


# --- helpers -----------------------------------------------------------------------------------

def cell(term: Node | None, *, as_list: bool = False) -> str:
    """A cell as the tests write it: IRIs relative to jgid:, numbers by value, "-" if unbound."""
    return terms.cell(term, as_list=as_list, unbound="-")


def lists_of(q: StoredQuery) -> set[str]:
    """Columns a query declares as lists (``# lists:``): items whose order engines may change."""
    return set(q.lists)


def rows(result: Result, q: StoredQuery) -> list[tuple[str, ...]]:
    lists = lists_of(q)
    return [tuple(cell(t, as_list=v in lists) for v, t in zip(result.variables, row, strict=True))
            for row in result.rows]


def column(result: Result, name: str) -> list[str]:
    i = result.variables.index(name)
    return [cell(r[i]) for r in result.rows]


def nquads(path: Path) -> str:
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TRIG)
    return store.dump(format=ox.RdfFormat.N_QUADS).decode("utf-8")


@pytest.fixture(scope="module")
def backends() -> dict[str, Any]:
    text = nquads(FIXTURE)
    return {"oxigraph": OxigraphBackend.from_nquads(text),
            "rdflib": RdflibBackend.from_nquads(text)}


def ask(backends: dict[str, Any], name: str, **params: str) -> tuple[StoredQuery, Result]:
    """The answer people get (``jobgraph query``: computed in Python for the career answers) on
    both backends; check they agree; return the embedded store's."""
    q, ox_result = run_stored(backends["oxigraph"], name, dict(params))
    _, rdf_result = run_stored(backends["rdflib"], name, dict(params))
    assert ox_result.variables == q.answer == rdf_result.variables
    assert sorted(rows(ox_result, q)) == sorted(rows(rdf_result, q)), f"{name} {params}"
    return q, ox_result


def ask_sparql(backends: dict[str, Any], name: str, **params: str) -> tuple[StoredQuery, Result]:
    """The stored query's own SPARQL (for a career answer: its evidence, what a server user
    running the .rq gets) on both backends; check they agree; return the embedded store's."""
    q = QUERIES[name]
    results = []
    for b in (backends["oxigraph"], backends["rdflib"]):
        bindings = bind_params(b, q, dict(params))
        results.append(b.select(q.text, bindings))
    ox_result, rdf_result = results
    assert ox_result.variables == q.returns == rdf_result.variables
    assert sorted(rows(ox_result, q)) == sorted(rows(rdf_result, q)), f"{name} {params}"
    return q, ox_result


# --- headers -----------------------------------------------------------------------------------

def test_my_queries_are_stored() -> None:
    assert set(MINE) <= set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_header_is_well_formed(name: str) -> None:
    q = QUERIES[name]
    assert q.path.stem == q.name
    assert q.summary, "a summary line"
    assert q.returns and len(set(q.returns)) == len(q.returns)
    for p in q.params:
        assert p.type in PARAM_TYPES
        if p.type == "IRI":
            assert p.cls and ":" in p.cls, f"?{p.name} names the class of its IRIs"
        assert not (p.required and p.default is not None)
    prepareQuery(q.text)  # parses (the columns are checked against the results below)
    assert re.search(r"^SELECT\b", q.text, re.M), "a SELECT query"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_label_queries_take_a_language(name: str) -> None:
    q = QUERIES[name]
    if any(r.endswith("Label") or r in ("title", "sector") for r in q.returns):
        lang = q.param("lang")
        assert lang is not None and lang.type == "xsd:string" and lang.default == "fr"


def test_every_query_has_cases() -> None:
    assert set(CASES) == set(QUERIES)
    for name, sets in CASES.items():
        for params in sets:
            bindings_for(QUERIES[name], {k: Literal(v) for k, v in params.items()})


@pytest.mark.parametrize(("name", "params"),
                         [(n, p) for n in sorted(CASES) for p in CASES[n]],
                         ids=[f"{n}-{i}" for n in sorted(CASES) for i in range(len(CASES[n]))])
def test_backends_agree_on_the_fixture(name: str, params: dict[str, str],
                                       backends: dict[str, Any]) -> None:
    q, result = ask(backends, name, **params)
    assert result.variables == q.answer


def test_same_rows_compares_typed_values() -> None:
    a = Result(["x"], [(Literal("3", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer")),)])
    b = Result(["x"], [(Literal(3),)])
    assert same_rows(a, b)


def test_same_rows_compares_list_columns_as_sets_of_items() -> None:
    a = Result(["job", "via"], [(URIRef("http://x/j"), Literal("domaine rome-mobility"))])
    b = Result(["job", "via"], [(URIRef("http://x/j"), Literal("rome-mobility domaine"))])
    c = Result(["job", "via"], [(URIRef("http://x/j"), Literal("rome-mobility"))])
    assert not same_rows(a, b)
    assert same_rows(a, b, lists=["?via"])
    assert not same_rows(a, c, lists=["?via"])


# --- expected rows on the fixture (numbers from the comments of career.trig) -------------------

def test_equivalent_jobs(backends: dict[str, Any]) -> None:
    """The query's own SPARQL, its evidence rows (the answer computed from the facts is tested
    in tests/test_careers.py)."""
    q, r = ask_sparql(backends, "equivalent-jobs", job=AGENT)
    # shared fiche M1601 (exact 1.0 × close 0.8); ROME competences {rc1 rc2 rs1} vs
    # {rc1 rc2 rs1 rc5 rs3}: 3 shared of 5, Jaccard 0.6; levels 3 and 4:
    # 0.6 × 0.8 + 0.4 × 0.6 − 0.1 × 1 = 0.62. Other sectors first.
    assert rows(r, q) == [
        ("beta/job/accueil", "Chargé d'accueil social", "beta", "sector/insertion", "fiche",
         "M1601", "M1601~K1205", "", "0.8", "3", "0.6", "3", "4", "1", "0.62"),
        # same domaine M16 only: 1.0 × 0.8 × 0.4; {rc2 rs1} of {rc1 rc2 rc3 rs1}; level unknown
        ("gamma/job/employe", "Employé de bureau", "gamma", "sector/bureau", "domaine",
         "", "", "M16", "0.32", "2", "0.5", "3", "-", "-", "0.392"),
        ("gamma/job/coursier", "Coursier", "gamma", "sector/bureau", "domaine",
         "", "", "M16", "0.16", "2", "0.5", "3", "3", "0", "0.296"),
        # {rs1} of 6: 0.167; two levels apart: 0.24 + 0.0667 − 0.2
        ("gamma/job/chef", "Chef de bureau", "gamma", "sector/bureau", "domaine",
         "", "", "M16", "0.4", "1", "0.167", "3", "5", "2", "0.107"),
    ]


def test_equivalent_jobs_of_a_job_without_rome_link(backends: dict[str, Any]) -> None:
    """The query's own SPARQL, its evidence rows (the answer computed from the facts is tested
    in tests/test_careers.py)."""
    _, r = ask_sparql(backends, "equivalent-jobs", job=ARCHIVISTE)
    assert r.rows == []


def test_equivalent_jobs_through_esco_across_domaines(backends: dict[str, Any]) -> None:
    """The query's own SPARQL, its evidence rows (the answer computed from the facts is tested
    in tests/test_careers.py)."""
    q, r = ask_sparql(backends, "equivalent-jobs", job=ACCUEIL)
    by_job = {row[0]: row for row in rows(r, q)}
    agent = dict(zip(q.returns, by_job["alpha/job/agent"], strict=True))
    assert agent["via"] == "fiche" and agent["sharedFiches"] == "M1601"
    # K1205 of beta/accueil and M1601 of the agent share the ESCO occupation "réceptionniste"
    assert agent["escoLinks"] == "K1205~M1601"
    assert "beta/job/conseiller" not in by_job  # same referential


def test_next_steps(backends: dict[str, Any]) -> None:
    """The query's own SPARQL, its evidence rows (the answer computed from the facts is tested
    in tests/test_careers.py)."""
    q, r = ask_sparql(backends, "next-steps", job=AGENT)
    assert rows(r, q) == [
        ("progression", "alpha/job/assistant", "Assistant administratif", "alpha", "1", "", "3",
         "4"),
        ("progression", "alpha/job/responsable", "Responsable administratif", "alpha", "2", "",
         "3", "-"),
        ("rome-mobility", "gamma/job/coursier", "Coursier", "gamma", "1", "M1601>M1602", "3", "3"),
        ("rome-mobility", "gamma/job/employe", "Employé de bureau", "gamma", "1", "M1601>M1602",
         "3", "-"),
    ]
    _, one = ask_sparql(backends, "next-steps", job=AGENT, maxSteps="1")
    assert column(one, "next") == ["alpha/job/assistant", "gamma/job/coursier",
                                   "gamma/job/employe"]


def test_next_steps_upward_and_levels(backends: dict[str, Any]) -> None:
    """The query's own SPARQL, its evidence rows (the answer computed from the facts is tested
    in tests/test_careers.py)."""
    q, r = ask_sparql(backends, "next-steps", job=ASSISTANT)
    assert rows(r, q) == [
        ("progression", "alpha/job/responsable", "Responsable administratif", "alpha", "1", "",
         "4", "-"),
        ("rome-upward", "gamma/job/chef", "Chef de bureau", "gamma", "1", "M1602>M1604", "4",
         "5"),
    ]
    q, r = ask_sparql(backends, "next-steps", job=ACCUEIL)
    # the coursier (national level 3) is below the accueil job (4): left out
    assert [row[:2] for row in rows(r, q)] == [
        ("progression", "beta/job/conseiller"),
        ("rome-mobility", "alpha/job/assistant"),
        ("rome-mobility", "gamma/job/employe"),
    ]


def test_career_path_steps(backends: dict[str, Any]) -> None:
    from jobgraph.paths import load_steps

    q, r = ask(backends, "career-path")
    kinds: dict[str, int] = {}
    for kind in column(r, "kind"):
        kinds[kind] = kinds.get(kind, 0) + 1
    # the edges: jobs' links to fiches and mobility between linked fiches, not pairs of jobs
    assert kinds == {"progression": 4, "proximity": 2, "rome-link": 10, "mobility": 5}
    got = set(rows(r, q))
    assert ("alpha/job/agent", "alpha/job/assistant", "progression", "ladder", "alpha") in got
    assert ("beta/job/accueil", "beta/job/conseiller", "progression", "", "beta") in got
    assert ("alpha/job/secretaire", "alpha/job/assistant", "proximity", "", "alpha") in got
    assert ("alpha/job/agent", "rome/metier/M1601", "rome-link", "M1601", "alpha") in got
    assert ("rome/metier/M1601", "rome/metier/K1205", "mobility", "M1601>K1205 sidewaysTo",
            "-") in got
    # the steps made from them, between jobs (src/jobgraph/paths.py): progressions and
    # proximities as they are, equivalences by the calibrated model, mobility through fiches
    steps = {(cell(URIRef(s.source)), cell(URIRef(s.target)), s.kind, s.evidence)
             for s in load_steps(backends["oxigraph"])}
    made: dict[str, int] = {}
    for step in steps:
        made[step[2]] = made.get(step[2], 0) + 1
    assert made["progression"] == 4 and made["proximity"] == 2 and made["mobility"] >= 1
    assert ("alpha/job/agent", "beta/job/accueil", "equivalence", "M1601") in steps
    assert ("beta/job/accueil", "alpha/job/agent", "equivalence", "M1601") in steps
    # jobs of one referential sharing a fiche are not equivalent
    assert not any(s.startswith("gamma") and t.startswith("gamma") and k == "equivalence"
                   for s, t, k, _ in steps)
    assert load_steps(backends["rdflib"]) == load_steps(backends["oxigraph"])


def test_competence_gap(backends: dict[str, Any]) -> None:
    """The query's own SPARQL, its evidence rows (the answer computed from the facts is tested
    in tests/test_careers.py)."""
    q, r = ask_sparql(backends, "competence-gap", **{"from": AGENT, "to": ASSISTANT})
    assert rows(r, q) == [
        ("framework", "attitude", "alpha/competence/c3", "Sens de l'organisation", "3",
         "alpha/framework/competences", "", "key new"),
        ("rome", "skill", "rome/competence/rc3", "Saisir des documents", "203",
         "rome/framework/competences", "M1602", ""),
    ]
    q, r = ask_sparql(backends, "competence-gap", **{"from": AGENT, "to": CONSEILLER})
    assert [(row[0], row[1], row[2], row[6]) for row in rows(r, q)] == [
        ("rome", "knowledge", "rome/savoir/rs3", "K1801"),
        ("rome", "skill", "rome/competence/rc5", "K1801"),
        ("rome", "skill", "rome/competence/rc6", "K1801"),
    ]
    q, r = ask_sparql(backends, "competence-gap", **{"from": ASSISTANT, "to": AGENT})
    assert [row[2] for row in rows(r, q)] == ["rome/competence/rc1"]


def test_cross_sector_moves(backends: dict[str, Any]) -> None:
    q, r = ask(backends, "cross-sector-moves", job=AGENT)
    assert rows(r, q) == [("beta/job/accueil", "Chargé d'accueil social", "beta",
                           "sector/insertion", "domaine rome-sideways", "M16 M1601>K1205", "3",
                           "4", "1")]
    q, r = ask(backends, "cross-sector-moves", job=ACCUEIL)
    got = {row[0]: (row[4], row[8]) for row in rows(r, q)}
    assert got == {
        "alpha/job/assistant": ("domaine rome-mobility", "0"),
        "alpha/job/secretaire": ("domaine", "0"),
        "alpha/job/agent": ("domaine", "1"),
        "gamma/job/chef": ("domaine", "1"),
        "gamma/job/coursier": ("domaine rome-mobility", "1"),
        "alpha/job/responsable": ("domaine", "-"),
        "gamma/job/employe": ("domaine rome-mobility", "-"),
    }
    assert column(r, "levelDistance")[-2:] == ["-", "-"]  # unknown distances last


def test_referential_overview(backends: dict[str, Any]) -> None:
    q, r = ask(backends, "referential-overview")
    assert rows(r, q) == [
        ("alpha", "Emplois de bureau", "Bureau", "5", "3", "4", "3", "1", "4", "4", "4", "2",
         "1"),
        ("beta", "Emplois de l'insertion", "Insertion", "2", "4", "2", "2", "0", "0", "2", "3",
         "1", "0"),
        ("gamma", "Emplois administratifs gamma", "Bureau", "3", "3", "3", "2", "0", "0", "3",
         "3", "1", "0"),
    ]
    _, en = ask(backends, "referential-overview", lang="en")
    assert column(en, "title") == ["Office jobs", "Emplois de l'insertion",
                                   "Emplois administratifs gamma"]
    assert column(en, "sector") == ["Office", "Social inclusion", "Office"]


def test_unmapped_jobs(backends: dict[str, Any]) -> None:
    q, r = ask(backends, "unmapped-jobs")
    assert rows(r, q) == [("alpha", "alpha/job/archiviste", "Archiviste", "-", "32321")]
    _, beta = ask(backends, "unmapped-jobs", referential=f"{ID}beta")
    assert beta.rows == []


def test_competence_usage(backends: dict[str, Any]) -> None:
    q, r = ask(backends, "competence-usage")
    # rs1 is required by the fiches of 8 jobs of 3 referentials, rc3 by 6, rc2 by 5
    assert [(row[1], row[5], row[6]) for row in rows(r, q)] == [
        ("rome/savoir/rs1", "8", "3"), ("rome/competence/rc3", "6", "2"),
        ("rome/competence/rc2", "5", "3")]
    q, r = ask(backends, "competence-usage", framework=f"{ID}alpha/framework/competences",
               minJobs="1", lang="en")
    assert [(row[1], row[4], row[5]) for row in rows(r, q)] == [
        ("alpha/competence/c2", "knowledge", "3"), ("alpha/competence/c1", "skill", "2"),
        ("alpha/competence/c3", "attitude", "2"), ("alpha/competence/c4", "skill", "1")]


def test_labels_fall_back_to_french(backends: dict[str, Any]) -> None:
    _, fr = ask(backends, "job-profile", job=AGENT)
    _, en = ask(backends, "job-profile", job=AGENT, lang="en")
    assert column(fr, "jobLabel") == ["Agent d'accueil"]
    assert column(en, "jobLabel") == ["Receptionist"]  # its skos:altLabel @en
    # the agent's two @en altLabels give the smallest; the archiviste, who has no level, comes
    # last (it came first, above grade I, before jobs without a level were put last)
    _, ladder = ask(backends, "level-ladder", referential=f"{ID}alpha", lang="en")
    assert column(ladder, "jobLabel") == ["Receptionist", "Assistant administratif",
                                          "Secrétaire", "Responsable administratif",
                                          "Archiviste"]
    # one row per ROME link, whatever the number of names in the language asked
    q, codes = ask(backends, "jobs-by-rome", code="M16", lang="en")
    agent = [row for row in rows(codes, q) if row[0] == "alpha/job/agent"]
    assert [row[1] for row in agent] == ["Receptionist"]
    _, eq = ask(backends, "cross-sector-moves", job=CHEF, lang="en")
    assert column(eq, "otherLabel") == ["Chargé d'accueil social"]


# --- parameters pushed into inner groups --------------------------------------------------------

PUSH_QUERY = """PREFIX ex: <http://example.org/>
SELECT ?job ?label ?n WHERE {
  { ?job ex:p ?x } UNION { ?job ex:q ?x . FILTER(?x != "{ ?job }") }
  OPTIONAL { ?job ex:label ?label . FILTER(lang(?label) = ?lang) }
  OPTIONAL { ?other ex:name ?label2 . FILTER(lang(?label2) = ?lang) }
  OPTIONAL { ?job ex:level ?lv . OPTIONAL { ?lv ex:rank ?r } }
  VALUES ?kind { ex:a ex:b }
  { SELECT ?job (COUNT(?y) AS ?n) WHERE { ?job ex:r ?y } GROUP BY ?job }
  { SELECT ?x WHERE { ?job ex:s ?x } }
  { SELECT ?job WHERE { ?job ex:t ?z } LIMIT 3 }
}"""


def _block_before(text: str, marker: str) -> str | None:
    """The variables of the VALUES block that opens the group where ``marker`` starts, if any."""
    i = text.index(marker)
    m = re.search(r"\{\s*VALUES \(([^)]*)\) \{ \([^)]*\) \}\s*$", text[:i])
    return m.group(1) if m else None


def test_parameters_go_into_inner_groups_only_where_they_change_no_answer() -> None:
    from jobgraph.sparql import with_values

    job = URIRef("http://example.org/j1")
    top = with_values(PUSH_QUERY, {"job": job, "lang": Literal("fr")})
    assert top.count("VALUES (") == 1  # the outer group only
    text = with_values(PUSH_QUERY, {"job": job, "lang": Literal("fr")}, nested=True)
    assert _block_before(text, "{ ?job ex:p"[2:]) == "?job"  # a UNION branch
    assert _block_before(text, "?job ex:q") == "?job"
    assert '"{ ?job }"' in text  # a brace in a string is not a group
    # an OPTIONAL anchored by a parameter gets it, with the parameters of its filter
    assert _block_before(text, "?job ex:label") == "?job ?lang"
    # one where a parameter is only in the filter is left as it is (it would scan every label)
    assert _block_before(text, "?other ex:name") is None
    # one with an OPTIONAL of its own is evaluated on its own: it gets the block
    assert _block_before(text, "?job ex:level") == "?job"
    assert _block_before(text, "?lv ex:rank") is None  # the inner one uses no parameter
    assert "VALUES ?kind { ex:a ex:b }" in text  # a data block is left alone
    # a sub-query that projects ?job gets it; one that does not, or has LIMIT, does not
    assert _block_before(text, "?job ex:r") == "?job"
    assert _block_before(text, "?job ex:s") is None
    assert _block_before(text, "?job ex:t") is None
    assert text.count("VALUES (") == 6
    prepareQuery(text)  # still SPARQL
    ox.Store().query(text)


@pytest.mark.parametrize(("name", "params"),
                         [(n, p) for n in sorted(CASES) for p in CASES[n]],
                         ids=[f"{n}-{i}" for n in sorted(CASES) for i in range(len(CASES[n]))])
def test_pushed_parameters_give_the_same_rows(name: str, params: dict[str, str],
                                              backends: dict[str, Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import jobgraph.backends as backends_module

    q, nested = run_stored(backends["oxigraph"], name, dict(params))
    plain = backends_module.with_values
    monkeypatch.setattr(backends_module, "with_values",
                        lambda text, b, nested=False: plain(text, b))  # the outer block only
    _, outer = run_stored(backends["oxigraph"], name, dict(params))
    assert sorted(rows(nested, q)) == sorted(rows(outer, q))


# --- hostile values ----------------------------------------------------------------------------

HOSTILE = ['fr" } ; DROP ALL ; { "', "fr' } ; DROP ALL ; {", "} ; DROP ALL ; {",
           '"""', "\\", "{ ?s ?p ?o }", "fr\n} INSERT DATA { <a> <b> <c> } #", "x" * 100_000]


@pytest.mark.parametrize("value", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_values_stay_values(value: str, backends: dict[str, Any]) -> None:
    store = backends["oxigraph"].store
    before = len(store)
    q, plain = ask(backends, "equivalent-jobs", job=AGENT, lang="zz")
    _, hostile = ask(backends, "equivalent-jobs", job=AGENT, lang=value)
    # an unknown language: the French labels, the same rows
    assert rows(hostile, q) == rows(plain, q)
    _, codes = ask(backends, "jobs-by-rome", code=value)
    assert codes.rows == []
    assert len(store) == before


@pytest.mark.parametrize("value", ["https://w3id.org/jobgraph/id/alpha> } ; DROP ALL ; {",
                                   "https://example.org/a b", 'https://example.org/"x"'])
def test_hostile_iris_are_refused(value: str, backends: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        run_stored(backends["oxigraph"], "unmapped-jobs", {"referential": value})
    with pytest.raises(UsageError):  # a job is resolved first: no such job
        run_stored(backends["oxigraph"], "next-steps", {"job": value})


def test_hostile_values_on_the_command_line(shipped: dict[str, Any]) -> None:
    code, out, err = run("query", "jobs-by-rome", "--data", str(DATA), "--store",
                         str(shipped["store"]), "--param", 'code=M16" } ; DROP ALL ; { "',
                         "--format", "json")
    assert code == 0, err
    assert json.loads(out)["results"]["bindings"] == []
    _, out, _ = run("query", "referential-overview", "--data", str(DATA), "--store",
                    str(shipped["store"]), "--format", "csv")
    assert out.count("\n") == 6  # header and the five referentials: nothing was dropped


# --- the shipped data --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped(shipped_store: Path) -> dict[str, Any]:
    """The shipped data's store (built once per session, tests/conftest.py)."""
    backend = OxigraphBackend.open(shipped_store / "store" / "db")
    return {"store": shipped_store, "backend": backend}


def shipped_rows(shipped: dict[str, Any], name: str, **params: str) -> list[dict[str, str]]:
    q, result = run_stored(shipped["backend"], name, params)
    assert result.variables == q.answer
    return [dict(zip(q.answer, row, strict=True)) for row in rows(result, q)]


def source_line(referential: str, line: int) -> str:
    """A line of a referential's source document, its spaces (no-break ones too) made single."""
    text = (DATA / referential / "source.txt").read_text(encoding="utf-8").split("\n")[line - 1]
    return " ".join(text.split())


def test_shipped_next_steps_missions_locales(shipped: dict[str, Any]) -> None:
    got = shipped_rows(shipped, "next-steps", job="missions-locales/charge-accueil")
    own = ("progression", "ladder")
    ladder = [(r["next"], r["steps"]) for r in got if r["kind"] in own]
    # the insertion table prints the emplois repères left to right by cotation (line 16)
    assert ladder == [("missions-locales/job/conseiller-niveau-1", "1"),
                      ("missions-locales/job/conseiller-niveau-2", "2"),
                      ("missions-locales/job/charge-projet", "3")]
    header = source_line("missions-locales", 16)
    titles = ["Chargé d'accueil", "Conseiller niveau 1", "Conseiller niveau 2", "Chargé de projet"]
    assert [header.index(t) for t in titles] == sorted(header.index(t) for t in titles)
    assert got[0]["nextLabel"] == "Conseiller niveau 1"
    # then ROME moves to jobs of the same referential, then to the others (was: ROME moves to
    # other referentials only)
    kinds = [r["kind"] for r in got]
    assert kinds == sorted(kinds, key=lambda k: (k not in own, k.startswith("other-")
                                                 or k == "equivalent-step"))
    others = [r for r in got if r["kind"] not in own]
    assert others and all(r["nextLevel"] == "-" or int(r["nextLevel"][0]) >= 4 for r in others)
    assert all(r["why"] for r in got)


def test_shipped_next_steps_photography(shipped: dict[str, Any]) -> None:
    got = shipped_rows(shipped, "next-steps", job="photographie-2024/magasin-operateur-vendeur-1",
                       maxSteps="1")
    first = [r for r in got if r["kind"] == "progression"]
    assert [(r["next"], r["nextLabel"]) for r in first] == [
        ("photographie-2024/job/magasin-operateur-vendeur-2", "Opérateur vendeur 2e niveau")]
    # the document: "165. Opérateur vendeur 2e niveau" then "Mêmes fonctions que précédent."
    assert source_line("photographie-2024", 51).startswith("155. Opérateur vendeur 1er niveau")
    assert source_line("photographie-2024", 69) == "165. Opérateur vendeur 2e niveau"
    assert source_line("photographie-2024", 71) == "Mêmes fonctions que précédent."


def test_shipped_equivalent_jobs_of_the_reac(shipped: dict[str, Any]) -> None:
    job = "tp-cagea/charge-accueil-gestion-administrative"
    got = {r["other"]: r for r in shipped_rows(shipped, "equivalent-jobs", job=job)}
    # the REAC prints its fiches de rattachement (source lines 211-214)
    assert source_line("tp-cagea", 211).startswith("M1607")
    assert source_line("tp-cagea", 213).startswith("M1602")
    assert got["cci-2015/job/assistant"]["sharedFiches"] == "M1607"
    # (was: shown, on M1602) M1602 covers three CCI posts (agent administratif, employé(e)
    # administratif, assistant(e) formalités): its evidence is shared among them, and the agent
    # (grade I, national level 2) is two levels below the REAC's level 4
    assert "cci-2015/job/agent-administratif" not in got
    assert got["cci-2015/job/charge-d-accueil"]["sharedFiches"] == "M1601"
    assert all(r["via"] in ("fiche", "esco", "domaine") for r in got.values())
    assert all(not other.startswith("tp-cagea/") for other in got)
    scores = [Decimal(r["score"]) for r in got.values()]
    assert max(scores) == Decimal(got["cci-2015/job/charge-d-accueil"]["score"])


def test_shipped_competence_gap_between_emplois_reperes(shipped: dict[str, Any]) -> None:
    got = shipped_rows(shipped, "competence-gap", **{"from": "missions-locales/charge-accueil",
                                                     "to": "missions-locales/conseiller-niveau-1"})
    jobs = {j["id"]: j for j in yaml.safe_load(
        (DATA / "missions-locales" / "jobs.yaml").read_text(encoding="utf-8"))["jobs"]}
    wanted = set(jobs["conseiller-niveau-1"]["requires"]) - set(jobs["charge-accueil"]["requires"])
    framework = [r["competence"].rsplit("/", 1)[1] for r in got if r["basis"] == "framework"]
    # every framework gap is a domain the counsellor requires and the receptionist does not
    # (one of them, « Assurer un suivi administratif », the receptionist's missions cover: no gap)
    assert set(framework) <= wanted and len(wanted - set(framework)) <= 1
    key = set(jobs["conseiller-niveau-1"].get("requires_key", []))
    assert framework[:len(key & wanted)] == sorted(key & wanted, key=framework.index)  # first
    assert {r["kind"] for r in got if r["basis"] == "framework"} == {"domain"}
    assert any(r["basis"] == "rome" and "K1801" in r["requiredBy"].split() for r in got)

def test_shipped_cross_sector_moves(shipped: dict[str, Any]) -> None:
    got = shipped_rows(shipped, "cross-sector-moves",
                       job="tp-cagea/charge-accueil-gestion-administrative")
    assert got
    for r in got:
        assert not r["other"].startswith("tp-cagea/")
        assert r["levelDistance"] == "-" or int(r["levelDistance"]) <= 1


def test_shipped_overview_and_unmapped(shipped: dict[str, Any]) -> None:
    overview = {r["referential"]: r for r in shipped_rows(shipped, "referential-overview")}
    for ref in ("cci-2015", "informatique", "missions-locales", "photographie-2024", "tp-cagea"):
        jobs = yaml.safe_load((DATA / ref / "jobs.yaml").read_text(encoding="utf-8"))["jobs"]
        assert overview[ref]["jobs"] == str(len(jobs))
        with (DATA / ref / "rome.csv").open(encoding="utf-8") as fh:
            linked = {line.split(",", 1)[0] for line in fh.read().splitlines()[1:] if line}
        assert overview[ref]["jobsLinkedToRome"] == str(len(linked))
        unmapped = shipped_rows(shipped, "unmapped-jobs", referential=f"{ID}{ref}")
        assert {r["job"].rsplit("/", 1)[1] for r in unmapped} == \
            {j["id"] for j in jobs} - linked


def test_shipped_career_path_steps(shipped: dict[str, Any]) -> None:
    from jobgraph.paths import load_steps

    got = shipped_rows(shipped, "career-path")
    assert {(r["source"], r["kind"]) for r in got} >= {
        ("tp-cagea/job/charge-accueil-gestion-administrative", "rome-link"),
        ("rome/metier/K1801", "mobility")}
    steps = {(cell(URIRef(s.source)), cell(URIRef(s.target)), s.kind)
             for s in load_steps(shipped["backend"])}
    assert ("missions-locales/job/charge-accueil", "missions-locales/job/conseiller-niveau-1",
            "progression") in steps
    assert ("tp-cagea/job/charge-accueil-gestion-administrative", "cci-2015/job/assistant",
            "equivalence") in steps


@pytest.mark.parametrize("name", [*MINE, "job-profile", "level-ladder"])
def test_shipped_queries_run(name: str, shipped: dict[str, Any]) -> None:
    params = {"job": "missions-locales/charge-accueil",
              "from": "missions-locales/charge-accueil", "to": "cci-2015/directeur",
              "referential": f"{ID}cci-2015"}
    q = QUERIES[name]
    given = {p.name: params[p.name] for p in q.params if p.required}
    got = shipped_rows(shipped, name, **given)
    # every shipped job has a ROME link (test_shipped_overview_and_unmapped checks it on rome.csv)
    assert got or name == "unmapped-jobs", f"{name} answers on the shipped data"


def test_query_json_is_sparql_results(shipped: dict[str, Any]) -> None:
    code, out, err = run("query", "next-steps", "--data", str(DATA), "--store",
                         str(shipped["store"]), "--param", "job=missions-locales/charge-accueil",
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["head"]["vars"] == QUERIES["next-steps"].answer
    first = doc["results"]["bindings"][0]
    assert first["next"] == {"type": "uri",
                             "value": f"{ID}missions-locales/job/conseiller-niveau-1"}
    assert first["steps"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert first["nextLabel"] == {"type": "literal", "value": "Conseiller niveau 1",
                                  "xml:lang": "fr"}


def test_query_labels_in_english(shipped: dict[str, Any]) -> None:
    def labels(*extra: str) -> dict[str, str]:
        code, out, err = run("query", "level-ladder", "--data", str(DATA), "--store",
                             str(shipped["store"]), "--param", f"referential={ID}informatique",
                             "--format", "csv", *extra)
        assert code == 0, err
        return {line.split(",")[2]: line.split(",")[3] for line in out.splitlines()[1:]}

    job = f"{ID}informatique/job/directeur-de-projet"
    assert labels()[job] == "Directeur de projet"
    assert labels("--lang", "en")[job] == "Program Manager"  # the smallest of its @en altLabels


def test_every_column_of_every_stored_question_has_a_french_and_an_english_header() -> None:
    from jobgraph.catalogue import internal, list_queries, query_dir

    stored = list_queries() + [internal(p.stem) for p in (query_dir() / "internal").glob("*.rq")
                               if p.stem in ("job-page", "referential-facts", "names")]
    for q in stored:
        for v in q.returns:
            column = q.columns.get(v)
            assert column is not None, f"{q.name}: ?{v} has no '# column:' line"
            assert column.headers.get("fr") and column.headers.get("en"), (q.name, v)
            assert column.header("fr") != v or v in ("score", "total"), (q.name, v)


def test_a_malformed_column_header_names_the_file_and_line(tmp_path: Path) -> None:
    from jobgraph.catalogue import parse_header
    from jobgraph.errors import UsageError

    bad = tmp_path / "bad.rq"
    bad.write_text('# name: bad\n# returns: ?a\n# column: ?a Emploi\nSELECT ?a WHERE {}\n')
    with pytest.raises(UsageError, match=r"bad.rq:3: cannot read column header"):
        parse_header(bad)
    bad.write_text('# name: bad\n# returns: ?a\n# column: ?b fr="B" en="B"\nSELECT ?a WHERE {}\n')
    with pytest.raises(UsageError,
                       match=r"names \?b, which neither '# returns:' nor '# answer:' lists"):
        parse_header(bad)
