"""The ROME graph against the ROME CSV files, the curated links, `rome check` and the stored
queries jobs-by-rome and rome-profile on the shipped data.

Expected values are read from data/rome/*.csv and data/*/rome.csv here, with the csv module, not
through jobgraph.rome: the graph is checked against the files, not against its own reader.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from jobgraph.backends import Backend, OxigraphBackend
from jobgraph.checks import check_graph
from jobgraph.errors import DataError
from jobgraph.findings import Finding
from jobgraph.namespaces import sparql_prefixes
from jobgraph.romefiles import ESCO_FILE, ROME_FILES, RomeFile, read_rome
from jobgraph.romefiles import FICHES as FICHE_FILE
from jobgraph.suggest import curated_links
from jobgraph.validate import rome_view
from jobgraph.workspace import Workspace
from util import run

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ROME = DATA / "rome"
ID = "https://w3id.org/jobgraph/id/"
JG = "https://w3id.org/jobgraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PREFIXES = sparql_prefixes("jg", "skos")


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
def backend(shipped_store: Path) -> OxigraphBackend:
    # the session's store of the shipped data (conftest.py)
    return OxigraphBackend.open(shipped_store / "store" / "db")


@pytest.fixture(scope="module")
def store_dir(shipped_store: Path) -> Path:
    return shipped_store


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


def test_a_missing_esco_crosswalk_is_an_error_not_a_graph_without_esco(tmp_path: Path) -> None:
    # without the crosswalk every job's ESCO link would be gone from the graph, exit 0
    rome = tmp_path / "data" / "rome"
    shutil.copytree(ROME, rome)
    (rome / ESCO_FILE).unlink()
    with pytest.raises(DataError) as exc:
        read_rome(rome)
    assert [str(p) for p in exc.value.problems] == [
        f"[ERROR] data/rome/{ESCO_FILE} ROME file missing "
        "(fix: data/rome/README.md lists the files jobgraph reads)"]


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
    manifest = Workspace(store_dir).read_manifest()
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
    links = curated_links(backend)
    assert {(link.job, link.code) for link in links} == {
        (f"{ID}{ref}/job/{r['job']}", r["rome"]) for ref, r in rows_}
    linked = {link.job for link in links}
    jobs = backend.select(PREFIXES + "SELECT ?j WHERE { ?j a jg:Job }").rows
    assert {str(j) for (j,) in jobs} == linked  # no job without a link


def test_rome_check_on_the_shipped_data(backend: OxigraphBackend, store_dir: Path) -> None:
    code, out, err = run("rome", "check", "--data", str(DATA), "--store", str(store_dir),
                         "--lang", "en")
    assert code == 0, err
    n_jobs = len({(ref, r["job"]) for ref, r in curated()})
    assert f"{len(curated())} links of {n_jobs} jobs" in out
    assert "0 violation(s)" in out and "linked to no ROME fiche" not in out
    per_fiche = Counter(r["rome"] for _, r in {(ref, r["job"], r["rome"]): (ref, r)
                                                for ref, r in curated()}.values())
    crowded = [c for c, n in per_fiche.items() if n >= 8]
    for c in crowded:
        assert f"[INFO] Fiche {c} " in out
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


def mini_rome_findings() -> list[Finding]:
    from rdflib import Graph

    data = Graph().parse(data=MINI_ROME.replace(f"<{ID}rome/metier/M1607> a jg:RomeOccupation",
                                                f"<{ID}rome/metier/M1607> a jg:Thing"),
                         format="turtle")
    rome = Graph().parse(data=f"@prefix jg: <{JG}> . @prefix skos: <{SKOS}> .\n"
                         f"<{ID}rome/metier/M1607> a jg:RomeOccupation ; skos:notation "
                         '"M1607" ; skos:prefLabel "Secrétaire"@fr .', format="turtle")
    return rome_view(check_graph(data, reference=rome))


def test_rome_view_finds_unknown_codes_unlinked_jobs_and_legacy_codes() -> None:
    """(was check_links on the same small graph: the rules are now the validation's own)"""
    found = {(f.rule, f.focus, f.value) for f in mini_rome_findings()}
    assert ("jgsh:RomeMappingShape-target", f"{ID}t/rome-link/b.M9999", "M9999") in found
    assert ("jgsh:JobRomeLinkShape-link", f"{ID}t/job/c", None) in found
    assert ("jgsh:JobRomeLinkShape-legacyCode", f"{ID}t/job/c", "32321") in found
    assert not any(f.focus == f"{ID}t/job/a" for f in mini_rome_findings())


def test_rome_check_without_a_rome_graph_says_so(tmp_path: Path) -> None:
    from util import copy_mini

    data = copy_mini(tmp_path)  # the mini data set has no data/rome
    code, _, err = run("rome", "check", "--data", str(data), "--store", str(tmp_path / "s"))
    assert code == 2 and "no ROME graph" in err


def test_rome_check_exits_1_on_an_unknown_code(tmp_path: Path, shipped_store: Path) -> None:
    import shutil

    # a copy of the session's store: ROME's cached graph is reused, one referential is built
    shutil.copytree(shipped_store, tmp_path / "s")
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("source.txt"))
    links = data / "missions-locales" / "rome.csv"
    text = links.read_text(encoding="utf-8").splitlines()
    first = text[1].split(",")
    text.insert(2, f"{first[0]},M9999,broadMatch,curation,a code that does not exist")
    links.write_text("\n".join(text) + "\n", encoding="utf-8")
    code, out, err = run("rome", "check", "--data", str(data), "--store", str(tmp_path / "s"),
                         "--lang", "en")
    assert code == 1, err
    assert "[ERROR] data/missions-locales/rome.csv:3 " in out and "M9999" in out
    assert "1 violation(s)" in out
