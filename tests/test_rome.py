"""The ROME graph against the ROME CSV files, the curated links, `rome check` and the stored
queries jobs-by-rome and rome-profile on the shipped data.

Expected values are read from data/rome/*.csv and data/*/rome.csv here, with the csv module, not
through jobgraph.rome: the graph is checked against the files, not against its own reader.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest
from rdflib import Literal, URIRef

from jobgraph.backends import Backend, OxigraphBackend, RdflibBackend
from jobgraph.build import ensure_store, read_manifest
from jobgraph.errors import DataError
from jobgraph.queries import get_query
from jobgraph.rome import FICHES as FICHE_FILE
from jobgraph.rome import ROME_FILES, RomeFile, read_rome
from jobgraph.suggest import check_links, cli_check
from util import run

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ROME = DATA / "rome"
ID = "https://w3id.org/jobgraph/id/"
JG = "https://w3id.org/jobgraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PREFIXES = f"PREFIX jg: <{JG}>\nPREFIX skos: <{SKOS}>\n"


def rows(name: str, skip: int = 0) -> list[dict[str, str]]:
    with (ROME / name).open(encoding="utf-8", newline="") as fh:
        for _ in range(skip):
            fh.readline()
        return list(csv.DictReader(fh))


FICHES = {r["code_rome"]: r for r in rows("v460/unix_referentiel_code_rome_v460_utf8.csv")}
TREE = {r["code_rome"]: r for r in rows("v460/unix_cr_gd_dp_v460_utf8.csv")}
GRANDS = rows("v460/unix_grand_domaine_v460_utf8.csv")
DOMAINES = rows("v460/unix_domaine_professionnel_v460_utf8.csv")
APPELLATIONS = rows("v460/unix_referentiel_appellation_v460_utf8.csv")
COMPETENCES = {r["code_ogr"]: r for r in rows("v460/unix_referentiel_competence_v460_utf8.csv")}
SAVOIRS = {r["code_ogr_savoir"]: r for r in rows("v460/unix_referentiel_savoir_v460_utf8.csv")}
LINKS = rows("v460/unix_liens_rome_referentiels_v460_utf8.csv")
MOBILITY = rows("v460/unix_rubrique_mobilite_v460_utf8.csv")
V3_MOBILITY = rows("v347/unix_rubrique_mobilite_v347_utf8.csv")
ESCO = rows("esco/FR_20230607_mapping_esco_rome.csv", skip=15)


def curated() -> list[tuple[str, dict[str, str]]]:
    out = []
    for path in sorted(DATA.glob("*/rome.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            out += [(path.parent.name, r) for r in csv.DictReader(fh)]
    return out


def fiche(code: str) -> URIRef:
    return URIRef(f"{ID}rome/metier/{code}")


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> OxigraphBackend:
    # one store of the shipped data for the session (test_suggest.py uses the same folder)
    store = tmp_path_factory.getbasetemp() / "shipped-store"
    db, _ = ensure_store(DATA, store)
    return OxigraphBackend.open(db)


@pytest.fixture(scope="module")
def store_dir(backend: OxigraphBackend, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "shipped-store"


def count(backend: Backend, cls: str) -> int:
    """Instances of a class in ROME (the curated referentials have competences of their own)."""
    result = backend.select(PREFIXES + "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { "
                            "?s a ?c . FILTER(STRSTARTS(STR(?s), ?rome)) }",
                            {"c": URIRef(JG + cls), "rome": Literal(f"{ID}rome/")})
    return int(str(result.rows[0][0]))


def ask(backend: Backend, s: URIRef, p: str, o: URIRef | Literal) -> bool:
    result = backend.select("SELECT ?s WHERE { ?s ?p ?o }", {"s": s, "p": URIRef(p), "o": o})
    return bool(result.rows)


def objects(backend: Backend, s: URIRef, p: str) -> set[str]:
    result = backend.select("SELECT ?o WHERE { ?s ?p ?o }", {"s": s, "p": URIRef(p)})
    return {str(r[0]) for r in result.rows}


# --- reading the files ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ROME_FILES, ids=lambda f: f.path.rsplit("/", 1)[-1])
def test_each_rome_file_has_its_expected_header_and_rows_above_its_floor(spec: RomeFile) -> None:
    # what jobgraph.rome expects of each file, against the file itself: a new ROME export that
    # renames a column or shrinks below a floor shows here first, with the file's name
    with (ROME / spec.path).open(encoding="utf-8", newline="") as fh:
        for _ in range(spec.skip):
            fh.readline()
        reader = csv.reader(fh)
        assert tuple(next(reader)) == spec.columns
        n = sum(1 for row in reader if row)
    assert spec.floor <= n
    assert n < spec.floor * 1.2, "the floor is meant to sit a little below the count"


def test_read_rome_reports_every_problem_of_a_cut_file_once(tmp_path: Path) -> None:
    rome = tmp_path / "data" / "rome"
    shutil.copytree(ROME, rome)
    fiches = rome / FICHE_FILE.path
    lines = fiches.read_text(encoding="utf-8").splitlines(keepends=True)
    fiches.write_text("".join(lines[:1000]), encoding="utf-8")  # header and 999 fiches
    with pytest.raises(DataError) as exc:
        read_rome(rome)
    # the floor says it; the other files' rows that name the lost fiches are not listed as well
    assert [str(p) for p in exc.value.problems] == [
        f"[ERROR] data/rome/{FICHE_FILE.path}:1000 the file ends here, after 999 rows: fewer than "
        "the 1,400 a whole file has, it is cut short (fix: copy the publisher's file again, "
        "unchanged (data/rome/README.md))"]


# --- the ROME graph against the files ------------------------------------------------------------

def test_tree_counts_match_the_files(backend: OxigraphBackend) -> None:
    assert count(backend, "RomeGrandDomain") == len(GRANDS) == 14
    assert count(backend, "RomeDomain") == len(DOMAINES) == 110
    assert count(backend, "RomeOccupation") == len(FICHES) == 1584
    assert count(backend, "RomeAppellation") == len(APPELLATIONS) == 13120


def test_competence_counts_and_kinds_match_the_files(backend: OxigraphBackend) -> None:
    attitudes = [c for c in COMPETENCES.values() if c["cat_comp"].startswith("Savoir-être")]
    assert attitudes, "the competence file has savoir-être items"
    assert count(backend, "Attitude") == len(attitudes)
    assert count(backend, "Skill") == len(COMPETENCES) - len(attitudes)
    assert count(backend, "Knowledge") == len(SAVOIRS)


def test_build_summary_counts_match_the_files(backend: OxigraphBackend,
                                              store_dir: Path) -> None:
    manifest = read_manifest(store_dir)
    assert manifest is not None
    detail = manifest["graphs"]["rome"]["detail"]  # type: ignore[index]
    links = [x for x in LINKS if x["code_compo_bloc"] == "5"
             and ((x["code_rubrique"] in ("1", "2") and x["code_ogr"] in COMPETENCES)
                  or (x["code_rubrique"] == "3" and x["code_ogr"] in SAVOIRS))]
    mobility = [m for m in MOBILITY if m["code_rome"] in FICHES and m["code_rome_cible"] in FICHES]
    esco = [r for r in ESCO if r["classification 1 ID"].startswith("http")]
    for expected in (f"{len(GRANDS)} grands domaines", f"{len(DOMAINES)} domaines",
                     f"{len(FICHES)} fiches", f"{len(APPELLATIONS)} appellations",
                     f"{len(COMPETENCES)} savoir-faire/savoir-être", f"{len(SAVOIRS)} savoirs",
                     f"{len(links)} fiche-competence links", f"{len(mobility)} mobility edges",
                     f"{len(esco)} ESCO links to "
                     f"{len({r['classification 1 ID'] for r in esco})} ESCO occupations"):
        assert expected in detail, f"'{expected}' not in the build summary: {detail}"
    n = backend.select(PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?f jg:requires ?c . "
                       "?f a jg:RomeOccupation }").rows[0][0]
    assert int(str(n)) == len({(x["code_rome"], x["code_ogr"]) for x in links})


def test_fiche_m1607_field_by_field(backend: OxigraphBackend) -> None:
    row, tree = FICHES["M1607"], TREE["M1607"]
    m = fiche("M1607")
    assert objects(backend, m, SKOS + "notation") == {"M1607"}
    assert objects(backend, m, SKOS + "prefLabel") == {row["libelle_rome"]}
    domaine = URIRef(f"{ID}rome/domaine/{tree['code_domaine_professionel']}")
    grand = URIRef(f"{ID}rome/grand-domaine/{tree['code_grand_domaine']}")
    assert objects(backend, m, SKOS + "broader") == {str(domaine)}
    assert objects(backend, domaine, SKOS + "broader") == {str(grand)}
    assert objects(backend, domaine, SKOS + "prefLabel") == {tree["libelle_domaine_professionel"]}
    assert objects(backend, grand, SKOS + "notation") == {tree["code_grand_domaine"]}
    assert objects(backend, m, JG + "romeV3Parent") == {row["code_rome_parent"]}

    own = [a for a in APPELLATIONS if a["code_rome"] == "M1607"]
    result = backend.select(PREFIXES + "SELECT ?a ?main WHERE { ?a skos:broader ?m ; "
                            "a jg:RomeAppellation ; jg:mainAppellation ?main }", {"m": m})
    got = {str(a).rsplit("/", 1)[-1]: str(main) for a, main in result.rows}
    assert got == {a["code_ogr"]: "true" if a["classification"] == "PRINCIPALE" else "false"
                   for a in own}

    items = defaultdict(set)
    for x in LINKS:
        if x["code_rome"] == "M1607" and x["code_compo_bloc"] == "5":
            items[x["code_rubrique"]].add(x["code_ogr"])
    result = backend.select(PREFIXES + "SELECT ?c ?t WHERE { ?m jg:requires ?c . ?c a ?t }",
                            {"m": m})
    by_kind = defaultdict(set)
    for c, t in result.rows:
        by_kind[str(t).rsplit("#", 1)[-1]].add(str(c).rsplit("/", 1)[-1])
    assert by_kind["Skill"] == items["1"]
    assert by_kind["Attitude"] == items["2"]
    assert by_kind["Knowledge"] == items["3"]


def test_rome_4_mobility_keeps_its_rank(backend: OxigraphBackend) -> None:
    first = min((m for m in MOBILITY if m["code_rome"] == "M1607"),
                key=lambda m: int(m["numero_ordre"]))
    target = fiche(first["code_rome_cible"])
    assert ask(backend, fiche("M1607"), JG + "mobilityTo", target)
    result = backend.select(PREFIXES + "SELECT ?rank WHERE { ?n a jg:Mobility ; "
                            "jg:fromOccupation ?a ; jg:toOccupation ?b ; jg:rank ?rank }",
                            {"a": fiche("M1607"), "b": target})
    assert [int(str(r[0])) for r in result.rows] == [int(first["numero_ordre"])]


@pytest.mark.parametrize("kind,prop", [("Proche", "sidewaysTo"), ("Evolution", "upwardTo")])
def test_rome_v3_typed_mobility(backend: OxigraphBackend, kind: str, prop: str) -> None:
    # an edge between two v3 codes that are still ROME 4.0 fiches under the same code
    edge = next(r for r in V3_MOBILITY if r["libelle_type_mobilite"] == kind
                and r["code_rome"] in FICHES and r["code_rome_cible"] in FICHES
                and r["code_rome"] != r["code_rome_cible"])
    assert ask(backend, fiche(edge["code_rome"]), JG + prop, fiche(edge["code_rome_cible"]))
    other = "upwardTo" if prop == "sidewaysTo" else "sidewaysTo"
    both = [r for r in V3_MOBILITY if r["code_rome"] == edge["code_rome"]
            and r["code_rome_cible"] == edge["code_rome_cible"]]
    if all(r["libelle_type_mobilite"] == kind for r in both):
        assert not ask(backend, fiche(edge["code_rome"]), JG + other,
                       fiche(edge["code_rome_cible"]))


@pytest.mark.parametrize("kind,prop", [("Proche", "sidewaysTo"), ("Evolution", "upwardTo")])
def test_rome_v3_mobility_is_carried_code_to_code(backend: OxigraphBackend, kind: str,
                                                  prop: str) -> None:
    # every ROME v3 code is still a ROME 4.0 fiche, so each v3 edge lands on the fiche of the same
    # code (edges stated between appellations count once, at fiche level)
    v3_codes = {r["code_rome"] for r in rows("v347/unix_cr_gd_dp_v347_utf8.csv")}
    assert v3_codes <= set(FICHES)
    pairs = {(r["code_rome"], r["code_rome_cible"]) for r in V3_MOBILITY
             if r["libelle_type_mobilite"] == kind and r["code_rome"] != r["code_rome_cible"]}
    n = backend.select(PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b }",
                       {"p": URIRef(JG + prop)}).rows[0][0]
    assert int(str(n)) == len(pairs)


def test_esco_link_keeps_the_published_iri_and_relation(backend: OxigraphBackend) -> None:
    row = ESCO[0]
    esco = URIRef(row["classification 1 ID"])
    assert str(esco).startswith("http://data.europa.eu/esco/occupation/")
    relation = SKOS + row["mapping relation"].split(":", 1)[1]
    appellation = URIRef(f"{ID}rome/appellation/{row['classification 2 ID']}")
    assert ask(backend, esco, relation, appellation)
    assert ask(backend, esco, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
               URIRef(JG + "EscoOccupation"))
    assert objects(backend, esco, SKOS + "prefLabel") == {row["classification 1 prefered label"]}


# --- the curated links ---------------------------------------------------------------------------

def test_every_job_of_every_referential_is_linked_to_a_known_fiche(
        backend: OxigraphBackend) -> None:
    rows_ = curated()
    assert rows_
    unknown = [(ref, r["job"], r["rome"]) for ref, r in rows_ if r["rome"] not in FICHES]
    assert not unknown, f"codes not in ROME 4.0 v460: {unknown}"
    check = check_links(backend)
    assert check.unlinked == []
    assert check.unknown == []
    assert {(link.job, link.code) for link in check.links} == {
        (f"{ID}{ref}/job/{r['job']}", r["rome"]) for ref, r in rows_}


def test_rome_check_on_the_shipped_data(backend: OxigraphBackend, store_dir: Path) -> None:
    code, out, err = run("rome", "check", "--data", str(DATA), "--store", str(store_dir))
    assert code == 0, err
    n_jobs = len({(ref, r["job"]) for ref, r in curated()})
    assert f"{len(curated())} links of {n_jobs} jobs" in out
    assert "0 unknown code(s), 0 job(s) without a link" in out
    per_fiche = Counter(r["rome"] for _, r in {(ref, r["job"], r["rome"]): (ref, r)
                                                for ref, r in curated()}.values())
    crowded = [c for c, n in per_fiche.items() if n >= 8]
    for c in crowded:
        assert f"[INFO] fiche {c} " in out
    assert "legacy ROME code 32321" in out  # informatique prints ROME v2 codes


MINI_ROME = f"""
@prefix jg: <{JG}> . @prefix skos: <{SKOS}> .
<{ID}rome/metier/M1607> a jg:RomeOccupation ; skos:notation "M1607" ;
    skos:prefLabel "Secrétaire"@fr .
<{ID}t/job/a> a jg:Job ; skos:prefLabel "Secrétaire"@fr ; jg:sourceLocation "data/t/jobs.yaml:1" .
<{ID}t/job/b> a jg:Job ; skos:prefLabel "Assistant"@fr ; jg:sourceLocation "data/t/jobs.yaml:5" .
<{ID}t/job/c> a jg:Job ; skos:prefLabel "Agent"@fr ; jg:sourceLocation "data/t/jobs.yaml:9" ;
    jg:legacyRomeCode "32321" .
<{ID}t/rome-link/a.M1607> a jg:RomeMapping ; jg:mappedJob <{ID}t/job/a> ;
    jg:mappedTo <{ID}rome/metier/M1607> ; jg:matchType skos:closeMatch ; jg:basis "curation" ;
    jg:sourceLocation "data/t/rome.csv:2" .
<{ID}t/rome-link/b.M9999> a jg:RomeMapping ; jg:mappedJob <{ID}t/job/b> ;
    jg:mappedTo <{ID}rome/metier/M9999> ; jg:matchType skos:broadMatch ; jg:basis "curation" ;
    jg:sourceLocation "data/t/rome.csv:3" .
"""


def small_backend() -> OxigraphBackend:
    import pyoxigraph as ox

    store = ox.Store()
    store.load(input=MINI_ROME.encode(), format=ox.RdfFormat.TURTLE)
    return OxigraphBackend(store)


def test_check_links_finds_unknown_codes_unlinked_jobs_and_legacy_codes() -> None:
    check = check_links(small_backend(), crowded_at=1)
    assert [(x.job, x.code, x.source) for x in check.unknown] == [
        (f"{ID}t/job/b", "M9999", "data/t/rome.csv:3")]
    assert check.unlinked == [(f"{ID}t/job/c", "Agent", "data/t/jobs.yaml:9")]
    assert check.legacy == [(f"{ID}t/job/c", "32321", "data/t/jobs.yaml:9")]
    assert [(c.code, c.title, c.jobs) for c in check.crowded] == [
        ("M1607", "Secrétaire", [f"{ID}t/job/a"]), ("M9999", "", [f"{ID}t/job/b"])]
    assert not check.ok


def test_rome_check_without_a_rome_graph_says_so() -> None:
    import pyoxigraph as ox

    from jobgraph.errors import UsageError

    store = ox.Store()
    store.load(input=MINI_ROME.replace("a jg:RomeOccupation", "a jg:Thing").encode(),
               format=ox.RdfFormat.TURTLE)
    with pytest.raises(UsageError, match="no ROME graph"):
        check_links(OxigraphBackend(store))


def test_rome_check_exits_1_on_an_unknown_code(monkeypatch: pytest.MonkeyPatch) -> None:
    import jobgraph.suggest as suggest

    monkeypatch.setattr(suggest, "_open", lambda data_dir, store_dir: small_backend())
    out = io.StringIO()
    assert cli_check(DATA, Path("unused"), SimpleNamespace(), out) == 1
    text = out.getvalue()
    assert ("[ERROR] data/t/rome.csv:3 job t/b is linked to M9999, which is not a ROME 4.0 "
            "fiche (v460)") in text
    assert "[WARNING] data/t/jobs.yaml:9 job t/c « Agent » has no ROME link" in text
    assert "1 unknown code(s), 1 job(s) without a link" in text


# --- stored queries ------------------------------------------------------------------------------

def expected_jobs_by_rome(code: str) -> set[tuple[str, str, str, str, str]]:
    out = set()
    for ref, r in curated():
        tree = TREE[r["rome"]]
        if code in (r["rome"], tree["code_domaine_professionel"], tree["code_grand_domaine"]):
            out.add((f"{ID}{ref}/job/{r['job']}", f"{ID}{ref}", r["rome"], r["relation"],
                     r["basis"]))
    return out


def run_query(backend: Backend, name: str, **params: str) -> list[dict[str, str | None]]:
    q = get_query(name)
    bindings = {k: Literal(v) for k, v in params.items()}
    bindings.setdefault("lang", Literal("fr"))
    result = backend.select(q.text, bindings)
    assert result.variables == q.returns
    return [{k: (str(v) if v is not None else None) for k, v in row.items()}
            for row in result.dicts()]


@pytest.mark.parametrize("code", ["M1607", "M16", "M"])
def test_jobs_by_rome(backend: OxigraphBackend, code: str) -> None:
    got = run_query(backend, "jobs-by-rome", code=code)
    expected = expected_jobs_by_rome(code)
    assert expected, f"the curated data links some job under {code}"
    assert {(r["job"], r["referential"], r["romeCode"], r["relation"], r["basis"])
            for r in got} == expected
    assert len(got) == len(expected)
    assert all(r["jobLabel"] for r in got)
    assert all(r["romeLabel"] == FICHES[r["romeCode"] or ""]["libelle_rome"] for r in got)
    assert [r["romeCode"] for r in got] == sorted(r["romeCode"] or "" for r in got)


def test_jobs_by_rome_of_an_unknown_code_is_empty(backend: OxigraphBackend) -> None:
    assert run_query(backend, "jobs-by-rome", code="Z9") == []


def test_rome_profile_of_m1607(backend: OxigraphBackend) -> None:
    got = run_query(backend, "rome-profile", code="M1607")
    by_kind = defaultdict(list)
    for r in got:
        by_kind[r["kind"]].append(r)
    kinds = list(dict.fromkeys(r["kind"] for r in got))
    assert kinds == ["fiche", "domaine", "grand-domaine", "appellation", "savoir-faire",
                     "savoir-etre", "savoir", "mobilite", "mobilite-v3-proche",
                     "mobilite-v3-evolution", "esco"]
    assert [(r["itemCode"], r["itemLabel"]) for r in by_kind["fiche"]] == [
        ("M1607", FICHES["M1607"]["libelle_rome"])]
    assert [r["itemCode"] for r in by_kind["domaine"]] == ["M16"]
    assert [r["itemCode"] for r in by_kind["grand-domaine"]] == ["M"]
    own = {a["code_ogr"]: a for a in APPELLATIONS if a["code_rome"] == "M1607"}
    assert {r["itemCode"]: r["detail"] for r in by_kind["appellation"]} == {
        k: "principale" if a["classification"] == "PRINCIPALE" else "synonyme"
        for k, a in own.items()}
    items = defaultdict(set)
    for x in LINKS:
        if x["code_rome"] == "M1607" and x["code_compo_bloc"] == "5":
            items[x["code_rubrique"]].add(x["code_ogr"])
    assert {r["itemCode"] for r in by_kind["savoir-faire"]} == items["1"]
    assert {r["itemCode"] for r in by_kind["savoir-etre"]} == items["2"]
    assert {r["itemCode"] for r in by_kind["savoir"]} == items["3"]
    mobility = sorted((int(m["numero_ordre"]), m["code_rome_cible"]) for m in MOBILITY
                      if m["code_rome"] == "M1607")
    assert [(int(r["rank"] or 0), r["itemCode"]) for r in by_kind["mobilite"]] == mobility
    v3 = {(m["libelle_type_mobilite"], m["code_rome_cible"]) for m in V3_MOBILITY
          if m["code_rome"] == "M1607" and m["code_rome_cible"] in FICHES}
    assert {r["itemCode"] for r in by_kind["mobilite-v3-proche"]} == {c for k, c in v3
                                                                      if k == "Proche"}
    assert {r["itemCode"] for r in by_kind["mobilite-v3-evolution"]} == {c for k, c in v3
                                                                         if k == "Evolution"}
    esco = {r["classification 1 ID"] for r in ESCO if r["classification 2 ID"] in own}
    assert {r["item"] for r in by_kind["esco"]} == esco


def _neighbourhood(backend: OxigraphBackend) -> str:
    """N-Quads of what the two queries read about M1607 and the M domain: enough to run them on
    other engines without loading all of ROME."""
    import pyoxigraph as ox

    nodes = set()
    select = PREFIXES + """
    SELECT DISTINCT ?n WHERE {
      { ?m skos:notation "M1607" . ?m skos:broader* ?n }
      UNION { ?m skos:notation "M1607" . ?n skos:broader ?m }
      UNION { ?f skos:notation "M1607" ; jg:requires|jg:mobilityTo|jg:sidewaysTo|jg:upwardTo ?n }
      UNION { ?n jg:fromOccupation ?f . ?f skos:notation "M1607" }
      UNION { ?f skos:notation "M1607" . ?a skos:broader ?f . ?n ?r ?a . ?n a jg:EscoOccupation }
      UNION { ?d skos:notation "M" . ?dom skos:broader ?d . ?n skos:broader ?dom .
              ?link jg:mappedTo ?n }
      UNION { ?n skos:notation "M" } UNION { ?d skos:notation "M" . ?n skos:broader ?d }
      UNION { ?n a jg:RomeMapping } UNION { ?n a jg:Job } UNION { ?n a jg:Referential }
    }"""
    for (n,) in backend.select(select).rows:
        nodes.add(n)
    quads = []
    for n in sorted(nodes, key=str):
        node = ox.NamedNode(str(n)) if isinstance(n, URIRef) else None
        if node is None:
            continue
        quads.extend(backend.store.quads_for_pattern(node, None, None, None))
    buf = io.BytesIO()
    ox.serialize(quads, buf, format=ox.RdfFormat.N_QUADS)
    return buf.getvalue().decode("utf-8")


@pytest.mark.parametrize("name,code", [("jobs-by-rome", "M1607"), ("jobs-by-rome", "M"),
                                       ("rome-profile", "M1607")])
def test_queries_agree_on_pyoxigraph_and_rdflib(backend: OxigraphBackend, name: str,
                                                code: str) -> None:
    text = _neighbourhood(backend)
    engines: list[Backend] = [OxigraphBackend.from_nquads(text), RdflibBackend.from_nquads(text)]
    results = [run_query(b, name, code=code) for b in engines]
    assert results[0] == run_query(backend, name, code=code)
    assert results[0] == results[1]
