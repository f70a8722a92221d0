"""Checks the curated photographie-2024 referential against its source text.

Every expected value is derived here from ``source.txt`` with a small parser of its own
(entry lines "NNN. Title", filière and section headings), independent of the curation scripts.
"""

import csv
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from util import national_range

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "photographie-2024"
ROME_FICHES = ROOT / "data" / "rome" / "v460" / "unix_referentiel_code_rome_v460_utf8.csv"
ROME_APPELLATIONS = ROOT / "data" / "rome" / "v460" / "unix_referentiel_appellation_v460_utf8.csv"

ENTRY = re.compile(r"^\s*(\d{3})\.\s+(\S.*?)\s*$")
TENURE = re.compile(r"\(\s*période maximale de\s+6\s+mois\s*\)")
REFERS = re.compile(
    r"(M[êe]mes?\s+(?:fonctions?|compétences)\s+que|Assure les (?:fonctions|opérations) du)[^.]*\.?"
)


def fold(text):
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("œ", "oe").lower()
    return re.sub(r"\s+", " ", text).strip()


def squash(text):
    """Fold and drop everything but letters and digits (ignores line breaks and hyphenation)."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


# --------------------------------------------------------------------------- source parsing

LINES = (DATA / "source.txt").read_text(encoding="utf-8").split("\n")


def _next_nonblank(i):
    j = i + 1
    while j < len(LINES) and not LINES[j].strip():
        j += 1
    return j


def _is_heading_candidate(i):
    t = LINES[i].strip()
    if not t or ENTRY.match(LINES[i]) or len(t) > 60:
        return False
    if t.startswith("Filière"):
        return False
    if t[-1] in ".:;,)" or not t[0].isupper():
        return False
    prev = LINES[i - 1].strip() if i else ""
    return prev == "" or prev.endswith(".")


def parse_source():
    """Filières, sections and entries, with 1-based line numbers."""
    filieres, sections, entries = [], [], []
    filiere = group = None
    current = None  # line of the family the next entries belong to
    for i, raw in enumerate(LINES):
        t = raw.strip()
        if t.startswith("Filière "):
            name = t[len("Filière "):]
            nxt = LINES[i + 1].strip()
            if nxt and not nxt.startswith("("):
                name += " " + nxt
            filiere = i + 1
            group = None
            filieres.append({"line": filiere, "name": re.sub(r"\s+", " ", name)})
            current = filiere
            continue
        if filiere and _is_heading_candidate(i):
            j = _next_nonblank(i)
            if j < len(LINES) and (ENTRY.match(LINES[j]) or _is_heading_candidate(j)):
                is_group = not ENTRY.match(LINES[j])
                parent = group if (group and not is_group) else filiere
                sections.append({"line": i + 1, "name": t, "parent": parent})
                if is_group:
                    group = i + 1
                current = i + 1
                continue
        m = ENTRY.match(raw)
        if m and current:
            entries.append({"line": i + 1, "coef": m.group(1),
                            "title": re.sub(r"\s+", " ", m.group(2)), "family": current})
    # bodies: from the entry to the next entry, heading or the closing "Fait à"
    stops = sorted({e["line"] for e in entries} | {f["line"] for f in filieres}
                   | {s["line"] for s in sections}
                   | {i + 1 for i, line in enumerate(LINES) if line.strip().startswith("Fait à")})
    for e in entries:
        end = min(s for s in stops if s > e["line"])
        e["body"] = " ".join(LINES[e["line"]:end - 1])
    return filieres, sections, entries


FILIERES, SECTIONS, ENTRIES = parse_source()


@pytest.fixture(scope="module")
def ref():
    return yaml.safe_load((DATA / "referential.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def jobs():
    return yaml.safe_load((DATA / "jobs.yaml").read_text(encoding="utf-8"))["jobs"]


@pytest.fixture(scope="module")
def rome_rows():
    with (DATA / "rome.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def by_line(jobs):
    return {j["line"]: j for j in jobs}


@pytest.fixture(scope="module")
def fam_by_line(ref):
    return {f["line"]: f for f in ref["families"]}


# --------------------------------------------------------------------------- sanity of the parser

def test_parser_finds_the_grid():
    assert len(FILIERES) == len({f["name"] for f in FILIERES}) >= 6
    assert ENTRIES and all(150 <= int(e["coef"]) <= 450 for e in ENTRIES)
    # the closing formula is not part of any job
    assert all("Fait à" not in e["body"] for e in ENTRIES)


# --------------------------------------------------------------------------- referential

def test_identity(ref):
    text = "\n".join(LINES)
    assert ref["id"] == "photographie-2024"
    assert ref["idcc"] == re.search(r"IDCC\s*:\s*(\d{4})", text).group(1)
    m = re.search(r"Fait à\s+\w+,\s+le\s+(\d{1,2})\s+mars\s+(\d{4})", text)
    assert str(ref["issued"]) == f"{m.group(2)}-03-{int(m.group(1)):02d}"
    emp = re.search(r"d’employeur\(s\)\s*:(.*?)d’une part", text, re.S).group(1)
    sal = re.search(r"syndicat\(s\) de salariés\s*:(.*?)d’autre part", text, re.S).group(1)

    def clean(block):
        return [re.sub(r"[\s;,]+$", "", line).strip() for line in block.split("\n")
                if line.strip()]

    assert ref["signatories"]["employers"] == clean(emp)
    assert ref["signatories"]["employees"] == clean(sal)
    assert ref["sector"]["id"] == "photographie"


def test_families_match_headings(ref, fam_by_line):
    ids = [f["id"] for f in ref["families"]]
    assert len(ids) == len(set(ids))
    expected = {f["line"] for f in FILIERES} | {s["line"] for s in SECTIONS}
    assert set(fam_by_line) == expected
    for f in FILIERES:
        fam = fam_by_line[f["line"]]
        assert fam["kind"] == "filière"
        assert "broader" not in fam
        assert fold(f["name"]).startswith(fold(fam["label"]).split(" (")[0])
    for s in SECTIONS:
        fam = fam_by_line[s["line"]]
        assert fam["kind"] == "section"
        assert fold(fam["label"]) == fold(s["name"])
        assert fam["broader"] == fam_by_line[s["parent"]]["id"]


def test_scale_has_every_printed_coefficient(ref):
    scale = ref["scale"]
    assert scale["kind"] == "coefficient"
    coefs = sorted({int(e["coef"]) for e in ENTRIES})
    levels = scale["levels"]
    assert [lv["id"] for lv in levels] == [str(c) for c in coefs]
    assert [str(lv["notation"]) for lv in levels] == [str(c) for c in coefs]
    assert [lv["rank"] for lv in levels] == list(range(1, len(coefs) + 1))
    for lv in levels:
        first = min(e["line"] for e in ENTRIES if e["coef"] == lv["id"])
        assert lv["line"] == first


CITED = re.compile(r'"([^"]+)"(?:,| \()\s*lines? (\d+)')


def test_every_coefficient_is_aligned_as_an_estimate_on_the_national_framework(ref):
    # the document never refers to the national framework, so nothing can be "official"
    assert "cadre national des certifications" not in fold("\n".join(LINES))
    levels = ref["scale"]["levels"]
    assert all(lv.get("aligned_to") for lv in levels), [lv["id"] for lv in levels
                                                         if not lv.get("aligned_to")]
    previous = (1, 1)
    for lv in levels:
        al = lv["aligned_to"]
        low, high = national_range(al)
        assert low <= high, lv["id"]
        assert al["basis"] == "estimate" and al["note"].strip()
        # the grid's order: neither bound goes down as the coefficient goes up
        assert low >= previous[0] and high >= previous[1], lv["id"]
        previous = (low, high)


def test_every_job_has_a_national_level_or_range(ref, jobs):
    aligned = {lv["id"]: national_range(lv["aligned_to"]) for lv in ref["scale"]["levels"]}
    ranges = {j["id"]: aligned.get(str(j["level"])) for j in jobs}
    assert len(ranges) == len(ENTRIES) == 114
    assert all(ranges.values()), [j for j, r in ranges.items() if not r]
    # the complaint of issue #15: a director at 450 is far from an entry post
    assert ranges["sg-directeur-administratif-financier"] == (7, 7)
    assert ranges["sg-agent-administratif-debutant"] == (2, 2)


def test_alignment_notes_quote_the_lines_they_cite(ref):
    for lv in ref["scale"]["levels"]:
        note = lv["aligned_to"]["note"]
        cited = CITED.findall(note)
        assert cited, f"{lv['id']}: the note cites no line of source.txt"
        for quote, line in cited:
            window = squash(" ".join(LINES[int(line) - 1:int(line) + 2]))
            assert squash(quote) in window, (lv["id"], line, quote)


def test_alignments_follow_the_document(ref):
    aligned = {int(lv["id"]): national_range(lv["aligned_to"]) for lv in ref["scale"]["levels"]}
    # the hiring floor of a diploma holder
    assert ("un diplome reconnu par la branche ne pourra etre embauche en dessous du "
            "coefficient 175") in fold(LINES[151])
    assert aligned[175] == (3, 3)
    # entry posts ("débutant") at level 2
    debutant = {int(e["coef"]) for e in ENTRIES if "debutant" in fold(e["title"])
                and "periode maximale" in fold(e["title"])}
    assert debutant == {150, 155}
    assert all(aligned[c] == (2, 2) for c in debutant)
    # technician posts: levels 4 to 5
    technicians = {int(e["coef"]) for e in ENTRIES if "technicien" in fold(e["title"])}
    assert technicians == {195, 205, 210, 230, 275}
    assert all(aligned[c] == (4, 5) for c in technicians)
    # the grid's cadres start at 320 ("Fonction de cadre", the Cadres section): levels 6 to 7,
    # the directors who define the company's policies at 450: level 7
    first_cadre = min(int(e["coef"]) for e in ENTRIES if fold(e["title"]).startswith("cadre "))
    assert first_cadre == 320
    cadres_section = next(f for f in SECTIONS if f["name"] == "Cadres")["line"]
    assert min(int(e["coef"]) for e in ENTRIES if e["family"] == cadres_section) == first_cadre
    assert all(aligned[c][0] >= 6 for c in aligned if c >= first_cadre)
    assert all(aligned[c][1] <= 5 for c in aligned if c < first_cadre)
    assert aligned[450] == (7, 7)
    # a range exactly where the coefficient lies between two anchors
    assert {c for c, (low, high) in aligned.items() if low != high} == {
        165, 185, *range(195, 276), 320, 350, 370, 410} & set(aligned)


def test_cadre_coefficients_rest_on_cadre_fiches(ref, jobs, rome_rows):
    """From 320 up, every ROME fiche a post is linked to (exact, close or broad) is flagged
    emploi_cadre O, as the notes say; below, the notes name each cadre fiche the grid overrides."""
    with ROME_FICHES.open(encoding="utf-8", newline="") as f:
        cadre = {r["code_rome"]: r["emploi_cadre"] for r in csv.DictReader(f)}
    level_of = {j["id"]: int(j["level"]) for j in jobs}
    notes = {int(lv["id"]): lv["aligned_to"]["note"] for lv in ref["scale"]["levels"]}
    for row in rome_rows:
        if row["relation"] == "relatedMatch":
            continue
        coef = level_of[row["job"]]
        if coef >= 320:
            assert cadre[row["rome"]] == "O", row
        elif cadre[row["rome"]] == "O":
            assert row["rome"] in notes[coef], (coef, row["rome"])


# --------------------------------------------------------------------------- jobs

def test_every_entry_is_a_job(jobs, by_line):
    assert len(jobs) == len(ENTRIES)
    assert sorted(by_line) == [e["line"] for e in ENTRIES]
    ids = [j["id"] for j in jobs]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", i) for i in ids)


def test_counts_per_family(jobs, fam_by_line):
    expected = {}
    for e in ENTRIES:
        fid = fam_by_line[e["family"]]["id"]
        expected[fid] = expected.get(fid, 0) + 1
    got = {}
    for j in jobs:
        assert len(j["families"]) == 1
        got[j["families"][0]] = got.get(j["families"][0], 0) + 1
    assert got == expected


def test_entries_titles_coefficients_and_tenure(by_line, fam_by_line):
    for e in ENTRIES:
        j = by_line[e["line"]]
        assert j["level"] == e["coef"], e
        assert j["families"] == [fam_by_line[e["family"]]["id"]]
        has_p6m = bool(TENURE.search(e["title"]))
        assert (j.get("maximum_tenure") == "P6M") == has_p6m, e
        title = fold(TENURE.sub("", e["title"]))
        assert "periode maximale" not in fold(j["label"])
        names = [j["label"], *j.get("alt_labels", [])]
        assert title.startswith(fold(j["label"])), (j["label"], e["title"])
        for n in names:
            assert fold(n) in title
        # a line with several titles separated by ". " gives one job with alt labels
        if ". " in e["title"]:
            assert len(names) == len(TENURE.sub("", e["title"]).strip().split(". "))


def test_missions_are_document_text(by_line):
    for e in ENTRIES:
        j = by_line[e["line"]]
        body = squash(e["body"])
        assert j["missions"], e
        for m in j["missions"] + j.get("conditions", []):
            assert "MINISTÈRE" not in m and "  " not in m
            assert not re.search(r"\w- \w", m), m  # no hyphenation left from line ends
            assert squash(m) in body, (j["id"], m)
        # nothing of the body is lost (apart from the ministry banner)
        kept = "".join(squash(m) for m in j.get("conditions", []) + j["missions"])
        rest = squash(re.sub(r"MINISTÈRE DU TRAVAIL.*?FAMILLES", "", e["body"]))
        assert sorted(kept) == sorted(rest), j["id"]


def test_cross_references_become_progressions(jobs, by_line):
    # the document's own progressions; the ladder edges read off the grid are checked below
    edges = {}
    for j in jobs:
        for p in j.get("progresses_to", []):
            if isinstance(p, dict) and p.get("basis") == "explicit":
                edges.setdefault(p["job"], []).append((j, p))
    seen = 0
    for e in ENTRIES:
        m = REFERS.search(e["body"].replace("\n", " "))
        j = by_line[e["line"]]
        if not m:
            assert j["id"] not in edges, j["id"]
            continue
        seen += 1
        sentence = re.sub(r"\s+", " ", m.group(0))
        assert any(squash(sentence) in squash(x) for x in j["missions"]), sentence
        incoming = edges.get(j["id"], [])
        assert len(incoming) == 1, (j["id"], incoming)
        src, p = incoming[0]
        assert p["basis"] == "explicit" and fold(sentence)[:20] in fold(p["note"])
        assert src["families"] == j["families"]
        assert src["line"] < j["line"] and int(src["level"]) < int(j["level"])
        s = fold(sentence)
        num = re.search(r"niveau (\d)|(\d)(?:er|e) (?:niveau|echelon)", s)
        coef = re.search(r"que le (\d{3})", s)
        if coef:
            assert src["level"] == coef.group(1)
        elif num:
            d = num.group(1) or num.group(2)
            names = fold(src["label"] + " " + " ".join(src.get("alt_labels", [])))
            assert re.search(rf"\b{d}(er|e)? niveau|niveau {d}|\b{d}er", names), \
                (sentence, src["label"])
        elif "precedent" in s and "niveau precedent" not in s:
            # "précédent": the entry printed just before in the same family, or the note says
            # why not
            prev = [x for x in ENTRIES if x["line"] < e["line"] and x["family"] == e["family"]][-1]
            if src["line"] != prev["line"]:
                assert fold(by_line[prev["line"]]["label"]) in fold(p["note"]), p["note"]
    assert seen == len(edges) and seen > 0


def _edges(jobs):
    return [(j["id"], p["job"], p) for j in jobs for p in j.get("progresses_to", [])]


def _filiere(ref, family_id):
    fams = {f["id"]: f for f in ref["families"]}
    while "broader" in fams[family_id]:
        family_id = fams[family_id]["broader"]
    return family_id


def test_progression_counts_per_basis(jobs):
    bases = [p["basis"] for _, _, p in _edges(jobs)]
    # 62 rungs, and 4 from a line's top cadre straight to its own director beside the generic
    # deputy post (test_ladder_edges_skip_no_rung_and_close_no_cycle)
    assert (bases.count("explicit"), bases.count("ladder"), len(bases)) == (35, 66, 101)
    assert len({(a, b) for a, b, _ in _edges(jobs)}) == 101


def test_ladder_edges_go_up_inside_their_filiere(ref, jobs):
    by_id = {j["id"]: j for j in jobs}
    for a, b, p in _edges(jobs):
        if p["basis"] != "ladder":
            continue
        low, high = by_id[a], by_id[b]
        assert int(high["level"]) > int(low["level"]), (a, b)
        assert _filiere(ref, low["families"][0]) == _filiere(ref, high["families"][0]), (a, b)
        # never between two printings of the same post (NOTES.md, posts printed more than once)
        assert fold(low["label"]) != fold(high["label"]), (a, b)
        # the note names both entries with their coefficient and line, as printed
        for job in (low, high):
            assert f"{job['label']} ({job['level']}, line {job['line']})" in p["note"], (a, b)
            assert LINES[job["line"] - 1].strip().startswith(f"{job['level']}. "), job["id"]


def test_ladder_edges_skip_no_rung_and_close_no_cycle(jobs):
    nxt = {}
    for a, b, _ in _edges(jobs):
        nxt.setdefault(a, set()).add(b)

    def reachable(start, skip=None):
        seen, todo = set(), [n for n in nxt.get(start, ()) if (start, n) != skip]
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo += nxt.get(n, ())
        return seen

    assert not [j["id"] for j in jobs if j["id"] in reachable(j["id"])]
    # a ladder edge is one rung: no other path already leads from its start to its end, but for
    # the steps to a line's own director beside « Adjoint au directeur », a deputy of any
    # department (lines 548-550, 975-977): a counsellor shows the direct step too
    by_id = {j["id"]: j for j in jobs}
    for a, b, p in _edges(jobs):
        if p["basis"] == "ladder" and "generic deputy post Adjoint au directeur" not in p["note"]:
            assert b not in reachable(a, skip=(a, b)), (a, b)
        elif p["basis"] == "ladder":
            assert {by_id[n]["label"] for n in nxt[a]} >= {"Adjoint au directeur"}, (a, b)


def test_every_filiere_ladder_reaches_its_top(jobs):
    nxt = {}
    for a, b, _ in _edges(jobs):
        nxt.setdefault(a, set()).add(b)

    def path_exists(a, b):
        seen, todo = set(), [a]
        while todo:
            n = todo.pop()
            if n == b:
                return True
            if n not in seen:
                seen.add(n)
                todo += nxt.get(n, ())
        return False

    # the entry post of each line reaches the post the grid prints at the top of that line
    for low, high in [
        ("magasin-operateur-vendeur-1", "magasin-directeur-magasin"),
        ("magasin-operateur-vendeur-1", "magasin-cadre-direction-multimagasin"),
        ("pro-assistant-1", "pro-directeur-studio"),
        ("scolaire-attache-commercial-debutant", "scolaire-operateur-technico-commercial"),
        ("studios-assistant-photographe-1", "studios-directeur-studio"),
        ("sg-agent-administratif-debutant", "sg-directeur-administratif-financier"),
        ("sg-commercial", "sg-directeur-commercial"),
        ("sg-chauffeur-livreur", "sg-directeur-stocks"),
        ("sg-technicien-maintenance-informatique", "sg-directeur-services-informatiques"),
        ("internet-production-operateur-debutant", "internet-production-directeur-production"),
        ("service-client-charge-clientele-debutant", "service-client-responsable"),
        ("marketing-charge-marketing-debutant", "cadres-directeur-marketing"),
        ("informatique-technicien-maintenance", "cadres-directeur-services-informatiques"),
    ]:
        assert path_exists(low, high), (low, high)


@pytest.mark.parametrize(
    ("low", "high", "where", "printed"),
    [
        # the adjoint stands in for the shop's responsable
        ("magasin-adjoint-responsable-ventes", "magasin-responsable-magasin-1", "low",
         "remplacer le responsable"),
        ("sg-comptable-1", "sg-chef-comptable", "low", "Assiste le chef comptable"),
        ("internet-production-chef-equipe-3", "internet-production-superviseur-atelier-1", "low",
         "poste de superviseur"),
        ("internet-production-chef-equipe-3", "internet-production-superviseur-atelier-1", "high",
         "chefs équipe qu'il peut être amené à remplacer"),
        ("service-client-charge-clientele-3", "service-client-charge-qualite-formation", "high",
         "formation des chargés de clientèle"),
        ("sg-cadre-technico-commercial", "sg-adjoint-directeur", "high",
         "autre que administratif et stocks"),
        ("magasin-directeur-magasin", "magasin-cadre-direction-multimagasin", "high",
         "direction de plusieurs magasins"),
    ],
)
def test_named_ladder_edges_rest_on_the_text(jobs, low, high, where, printed):
    by_id = {j["id"]: j for j in jobs}
    step = next(p for p in by_id[low]["progresses_to"] if p["job"] == high)
    assert step["basis"] == "ladder"
    entry = next(e for e in ENTRIES if e["line"] == by_id[low if where == "low" else high]["line"])
    assert squash(printed) in squash(entry["body"])


def test_the_marketing_top_is_printed_directeur_adjoint(jobs):
    """Chef de projet, directeur adjoint (410) steps up to the marketing director of Cadres."""
    by_id = {j["id"]: j for j in jobs}
    chef = by_id["marketing-chef-de-projet"]
    assert "directeur adjoint" in fold(LINES[chef["line"] - 1])
    assert [p["job"] for p in chef["progresses_to"]] == ["cadres-directeur-marketing"]


def test_references_resolve(ref, jobs):
    fam_ids = {f["id"] for f in ref["families"]}
    level_ids = {lv["id"] for lv in ref["scale"]["levels"]}
    job_ids = {j["id"] for j in jobs}
    for f in ref["families"]:
        assert f.get("broader", next(iter(fam_ids))) in fam_ids
    for j in jobs:
        assert set(j["families"]) <= fam_ids
        assert j["level"] in level_ids
        for p in j.get("progresses_to", []):
            assert (p["job"] if isinstance(p, dict) else p) in job_ids


def test_job_lines_hold_titles(jobs):
    for j in jobs:
        line = fold(LINES[j["line"] - 1])
        assert fold(j["label"]) in line, (j["id"], line)


# --------------------------------------------------------------------------- ROME links

def test_rome_links(jobs, rome_rows):
    with ROME_FICHES.open(encoding="utf-8", newline="") as f:
        fiches = {r["code_rome"] for r in csv.DictReader(f)}
    assert rome_rows and list(rome_rows[0].keys()) == ["job", "rome", "relation", "basis",
                                                       "rationale"]
    job_ids = {j["id"] for j in jobs}
    printed = set(re.findall(r"\b[A-N]\d{4}\b", "\n".join(LINES)))
    for r in rome_rows:
        assert r["job"] in job_ids
        assert re.fullmatch(r"[A-N]\d{4}", r["rome"]) and r["rome"] in fiches, r
        assert r["relation"] in {"exactMatch", "closeMatch", "broadMatch", "narrowMatch",
                                 "relatedMatch"}
        assert r["basis"] == ("document" if r["rome"] in printed else "curation")
        assert r["rationale"].strip() and "\n" not in r["rationale"]
    assert job_ids == {r["job"] for r in rome_rows}
    pairs = [(r["job"], r["rome"]) for r in rome_rows]
    assert len(pairs) == len(set(pairs))


def test_quoted_appellations_belong_to_their_fiche(rome_rows):
    """Each rationale quotes the appellation its link rests on (NOTES.md, ROME audit)."""
    appellations = {}
    with ROME_APPELLATIONS.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            appellations.setdefault(r["code_rome"], set()).update(
                {r["libelle_appellation_court"], r["libelle_appellation_long"]})
    for r in rome_rows:
        quoted = re.findall(r'appellations? "([^"]+)"', r["rationale"])
        assert quoted, r["job"]
        assert set(quoted) <= appellations[r["rome"]], (r["job"], r["rome"], quoted)


def test_quality_and_training_post_has_a_close_fiche(rome_rows):
    links = {(r["rome"], r["relation"]) for r in rome_rows
             if r["job"] == "service-client-charge-qualite-formation"}
    assert links == {("M1704", "relatedMatch"), ("M1416", "closeMatch")}
    assert len(rome_rows) == 133
