"""Checks the curated IT-sector referential against its source text (data/informatique/source.txt).

Every expected value is parsed from source.txt with small independent code: the list of métiers
(their number read from the heading), the nomenclature table (families, sub-families, the cell of
every job), the five job sheets (sub-family, activities, competences, neighbours, legacy codes).
"""
import csv
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from util import national_range

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "informatique"
ROME = ROOT / "data" / "rome" / "v460" / "unix_referentiel_code_rome_v460_utf8.csv"

LINES = (DATA / "source.txt").read_text(encoding="utf-8").split("\n")
TEXT = "\n".join(LINES)


def load(name):
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


REF = load("referential.yaml")
JOBS = load("jobs.yaml")["jobs"]
COMP = load("competences.yaml")
COMPS = COMP["competences"]
JOB = {j["id"]: j for j in JOBS}
CMP = {c["id"]: c for c in COMPS}
FAM = {f["id"]: f for f in REF["families"]}


def fold(s):
    """Accent-, case-, apostrophe-, hyphen- and space-insensitive form."""
    s = unicodedata.normalize("NFD", s.replace("’", "'").replace("\xa0", " ").lower())
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    s = s.replace("-", " ")
    return re.sub(r"\s+", " ", s).strip()


def text(s):
    """Printed text with only spacing and apostrophe form normalised."""
    return re.sub(r"\s+", " ", s.replace("’", "'").replace("\xa0", " ")).strip()


def idx(pattern, start=0):
    for i in range(start, len(LINES)):
        if re.search(pattern, LINES[i]):
            return i
    raise AssertionError(f"{pattern!r} not found after line {start + 1}")


# ---------------------------------------------------------------- part 1: the list of métiers
HEAD = idx(r"^\s*1\.\s+Les\s+\d+\s+métiers")
NOMENCL = idx(r"^\s*2\.\s+La nomenclature")
SHEETS_START = idx(r"^\s*3\.\s+Les fiches")
N_METIERS = int(re.search(r"Les\s+(\d+)\s+métiers", LINES[HEAD]).group(1))
LIST = [(m.group(1), i + 1) for i in range(HEAD + 1, NOMENCL)
        if (m := re.match(r"^·\s+(.+?)\s*$", LINES[i]))]
BY_LABEL = {fold(j["label"]): j for j in JOBS}

# variant spellings of the nomenclature table / sheets -> spelling of the list
VARIANTS = {
    "directeur des si": "directeur des systemes d'information",
    "architecte des si": "architecte des systemes d'information",
    "technicien reseau": "technicien reseaux",
    "administrateur de base donnees": "administrateur de base de donnees",
}


def job_of(name):
    key = fold(name)
    key = VARIANTS.get(key, key)
    assert key in BY_LABEL, f"no job for {name!r}"
    return BY_LABEL[key]


# ---------------------------------------------------------------- part 2: the nomenclature table
def table_rows():
    """Rows of tab-prefixed cells; a row starts at a cell line that follows an empty line."""
    rows, row, prev = [], None, None
    for i in range(NOMENCL + 1, SHEETS_START):
        ln = LINES[i]
        if ln.startswith("\t"):
            if prev == "" or row is None:
                row = []
                rows.append(row)
            row.append([ln[1:], i + 1])
        elif ln.strip() and row:
            row[-1][0] += " " + ln  # continuation of a cell
        prev = ln
    return [[(text(c), n) for c, n in r] for r in rows]


ROWS = table_rows()
FAMILY_CELLS, SUB_CELLS, BODY = ROWS[0], ROWS[1], ROWS[2:]


def column_families():
    """Family index of each sub-family column: runs of non-empty sub-family cells share a family."""
    out, f, prev_filled = [], -1, False
    for c, _ in SUB_CELLS:
        if not (c and prev_filled):
            f += 1
        out.append(f)
        prev_filled = bool(c)
    return out


COLFAM = column_families()


def fam_id(label, kind, broader=None):
    hits = [f["id"] for f in REF["families"] if fold(f["label"]) == fold(label)
            and f["kind"] == kind and f.get("broader") == broader]
    assert len(hits) == 1, (label, kind, broader, hits)
    return hits[0]


def expected_table_family():
    exp = {}
    for row in BODY:
        cells = [(c, n) for c, n in row]
        if len(cells) == len(FAMILY_CELLS):  # a row of cells spanning the family columns
            for k, (c, _) in enumerate(cells):
                if c:
                    exp[job_of(c)["id"]] = fam_id(FAMILY_CELLS[k][0], "famille")
        else:
            assert len(cells) == len(SUB_CELLS)
            for k, (c, _) in enumerate(cells):
                if not c:
                    continue
                family = fam_id(FAMILY_CELLS[COLFAM[k]][0], "famille")
                sub = SUB_CELLS[k][0]
                exp[job_of(c)["id"]] = fam_id(sub, "sous-famille", family) if sub else family
    return exp


# ---------------------------------------------------------------- part 3: the job sheets
SHEET_STARTS = [i for i in range(SHEETS_START, len(LINES)) if re.match(r"^\tFamille\b", LINES[i])]


def sheet_block(k):
    end = SHEET_STARTS[k + 1] if k + 1 < len(SHEET_STARTS) else len(LINES)
    return SHEET_STARTS[k], end


def section(a, b, head, nxt):
    s = idx(head, a)
    e = idx(nxt, s + 1)
    assert s < b and e <= b
    return s, e


def bullets(s, e):
    return [(text(m.group(1)), i + 1) for i in range(s, e)
            if (m := re.match(r"^·\s+(.+)$", LINES[i]))]


def first_text_after(i):
    i += 1
    while not LINES[i].strip():
        i += 1
    return LINES[i].strip(), i + 1


def parse_sheet(k):
    a, b = sheet_block(k)
    sf_line = idx(r"Sous-famille", a)
    m = re.search(r"Sous-famille\s*:\s*(\S.*)", LINES[sf_line])
    sub = m.group(1).strip() if m else first_text_after(sf_line)[0]
    fam = re.search(r"Famille\s+(\S+)", LINES[a])
    family = fam.group(1) if fam else first_text_after(a)[0]
    title, title_line = first_text_after(idx(r"Intitulé de l.emploi-type", a))
    s = {"family": family, "sub": sub, "title": title, "title_line": title_line}
    rng = lambda h, n: bullets(*section(a, b, h, n))  # noqa: E731
    s["alt"] = rng(r"Appellations couramment", r"Appellations équivalentes en anglais")
    s["en"] = rng(r"Appellations équivalentes en anglais", r"Description synthétique")
    ds, de = section(a, b, r"Description synthétique", r"Activités principales")
    s["definition"] = text(" ".join(LINES[ds + 1:de]))
    s["main"] = rng(r"Activités principales", r"Activités accessoires")
    s["acc"] = rng(r"Activités accessoires", r"Intitulé de l.emploi-type")
    s["sf"] = rng(r"Savoir-faire spécifique", r"Connaissances spécifiques")
    s["co"] = rng(r"Connaissances spécifiques", r"Compétences comportementales")
    cs, ce = section(a, b, r"Précisions sur les compétences", r"Prérequis")
    att, cat, i = [], None, cs + 1
    while i < ce:
        t = LINES[i].strip()
        if t == "(":  # the lost tick of a rated (required) category, then its precision text
            p, n = first_text_after(i)
            att.append((text(cat), text(p), n))
            i = n
            continue
        if t:
            cat = t
        i += 1
    s["cc"] = att
    ps, pe = section(a, b, r"Prérequis", r"Intitulé de l.emploi-type")
    s["prereq"] = text(" ".join(LINES[ps + 1:pe]))
    s["var"] = rng(r"Variabilité et particularités", r"Emplois-types de proximité")
    s["prox"] = rng(r"Emplois-types de proximité", r"Codes ROME correspondants")
    rome_line = LINES[idx(r"Codes ROME correspondants", a)]
    s["legacy"] = re.findall(r"\b\d{5}\b", rome_line)
    return s


SHEETS = [parse_sheet(k) for k in range(len(SHEET_STARTS))]


def sheet_job(s):
    return job_of(s["title"])


# ================================================================= tests
def test_identity():
    assert REF["id"] == "informatique"
    assert "scale" not in REF  # the métiers have no level
    assert REF["sector"]["id"] == "numerique"
    assert "issued" not in REF and "publisher" not in REF  # none printed


def test_all_metiers_of_the_list():
    assert len(LIST) == N_METIERS
    assert len(JOBS) == N_METIERS
    assert [text(j["label"]) for j in JOBS] == [text(lab) for lab, _ in LIST]


def test_ids_unique_and_wellformed():
    for items in (JOBS, COMPS, REF["families"]):
        ids = [x["id"] for x in items]
        assert len(ids) == len(set(ids))
        assert all(re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", i) for i in ids)


def test_families_from_table_headers():
    assert len(FAMILY_CELLS) == len([f for f in REF["families"] if f["kind"] == "famille"])
    for c, n in FAMILY_CELLS:
        f = FAM[fam_id(c, "famille")]
        assert f["line"] == n
    subs = [(c, n, k) for k, (c, n) in enumerate(SUB_CELLS) if c]
    assert len(subs) == len([f for f in REF["families"] if f["kind"] == "sous-famille"])
    for c, n, k in subs:
        family = fam_id(FAMILY_CELLS[COLFAM[k]][0], "famille")
        assert FAM[fam_id(c, "sous-famille", family)]["line"] == n


def test_every_table_cell_is_a_job_and_every_job_in_table():
    exp = expected_table_family()
    assert set(exp) == set(JOB)


def test_job_families():
    exp = expected_table_family()
    # a job sheet states its own family and sub-family: it prevails over a cell spanning the family
    for s in SHEETS:
        family = fam_id(s["family"], "famille")
        exp[sheet_job(s)["id"]] = fam_id(s["sub"], "sous-famille", family)
    for j in JOBS:
        assert j["families"] == [exp[j["id"]]], j["id"]


def test_sheets_match_table():
    """Where a sheet's sub-family and the table cell both give a sub-family, they agree."""
    table = expected_table_family()
    for s in SHEETS:
        t = table[sheet_job(s)["id"]]
        if FAM[t]["kind"] == "sous-famille":
            assert fold(FAM[t]["label"]) == fold(s["sub"])


def test_five_sheets_listed():
    a = SHEETS_START
    listed = [lab for lab, _ in bullets(a + 1, SHEET_STARTS[0])]
    assert [sheet_job(s)["id"] for s in SHEETS] == [job_of(x)["id"] for x in listed]


@pytest.mark.parametrize("k", range(5))
def test_sheet_content(k):
    s = SHEETS[k]
    j = sheet_job(s)
    assert j["line"] == s["title_line"]
    assert [text(x) for x in j.get("alt_labels", [])] == [t for t, _ in s["alt"]]
    assert [text(x) for x in j.get("alt_labels_en", [])] == [t for t, _ in s["en"]]
    assert text(j["definition"]) == s["definition"]
    assert [text(x) for x in j["missions"]] == [t for t, _ in s["main"]]
    assert [text(x) for x in j.get("accessory_missions", [])] == [t for t, _ in s["acc"]]
    assert text(" ".join(j["prerequisites"])) == s["prereq"]
    assert [text(x) for x in j.get("conditions", [])] == [t for t, _ in s["var"]]
    assert j.get("legacy_rome", []) == s["legacy"]
    assert all(isinstance(c, str) for c in j.get("legacy_rome", []))
    assert j.get("close_to", []) == [job_of(t)["id"] for t, _ in s["prox"]]
    # competences, in the sheet's order: know-how, knowledge, behavioural
    req = [CMP[c] for c in j["requires"]]
    exp = ([("skill", None, t) for t, _ in s["sf"]] + [("knowledge", None, t) for t, _ in s["co"]]
           + [("attitude", cat, t) for cat, t, _ in s["cc"]])
    got = [(c["kind"], text(c["category"]) if c["kind"] == "attitude" else None, text(c["label"]))
           for c in req]
    assert got == exp
    for c in req:
        if c["kind"] == "attitude":
            assert text(c["description"]) == text(c["label"])
        assert "rating" not in c and "level" not in c  # ratings were lost: never invented


def test_legacy_rome_only_where_printed():
    with_sheet = {sheet_job(s)["id"] for s in SHEETS}
    for j in JOBS:
        if j["id"] not in with_sheet:
            assert "legacy_rome" not in j and "requires" not in j


def test_lines_point_at_titles():
    for j in JOBS:
        assert fold(j["label"]) in fold(LINES[j["line"] - 1]), j["id"]
    for c in COMPS:
        assert fold(c["label"]) in fold(LINES[c["line"] - 1]), c["id"]
    for f in REF["families"]:
        around = LINES[f["line"] - 1] + " " + LINES[f["line"]]
        assert fold(f["label"]) in fold(around), f["id"]  # a cell may wrap onto the next line


def test_references_resolve():
    fw = {f["id"] for f in COMP["frameworks"]}
    for c in COMPS:
        assert c["framework"] in fw
        assert c["kind"] in {"skill", "knowledge", "attitude"}
    for f in REF["families"]:
        if "broader" in f:
            assert FAM[f["broader"]]["kind"] == "famille"
    for j in JOBS:
        for f in j["families"]:
            assert f in FAM
        for c in j.get("requires", []):
            assert c in CMP
        for o in j.get("close_to", []):
            assert o in JOB
    used = {c for j in JOBS for c in j.get("requires", [])}
    assert used == set(CMP)


def _years_of_experience(sheet_line):
    """The least experience (years) the sheet's Prérequis asks; 0 for "sans expérience"."""
    start = idx(r"^\s*Prérequis", sheet_line)
    sentence = next(line for line in LINES[start + 1 :] if line.strip())
    if "sans expérience" in sentence:
        return 0
    return int(re.search(r"(\d+)(?: à \d+)? ans", sentence).group(1))


def test_progressions_only_where_the_sheets_state_seniority():
    """The referential has no levels: a step is drawn only between two project sheets whose
    prerequisites state rising experience and whose activities say who supervises whom."""
    steps = [(j["id"], p) for j in JOBS for p in j.get("progresses_to", [])]
    # the development's métiers: those of the ETUDE & DEVELOPPEMENT column below its director
    development = sorted(j["id"] for j in JOBS if j.get("families") == ["etude-developpement"]
                         and not j["id"].startswith("directeur"))
    assert len(development) == 6 and "developpeur" in development
    assert sorted((a, p["job"], p["basis"]) for a, p in steps) == sorted([
        ("assistant-chef-de-projet", "chef-de-projet", "ladder"),
        ("chef-de-projet", "directeur-de-projet", "ladder"),
        *((j, "assistant-chef-de-projet", "ladder") for j in development),
    ])
    for a, p in steps:
        for job in (JOB[a], JOB[p["job"]]):
            assert f"line {job['line']}" in p["note"]
    # the assistant post is open at Bac+2 to people from the development métiers (line 326),
    # and the chef de projet's experience is "plutôt dans les métiers du développement" (line 507)
    for job in development:
        origin = JOB[job]["progresses_to"][0]["note"]
        for line, words in ((326, "dans les métiers du développement"),
                            (507, "plutôt dans les métiers du développement")):
            assert f"(line {line})" in origin and words in LINES[line - 1] and words in origin
    # the assistant is hired without experience, the chef de projet after at least 5 years
    assert _years_of_experience(JOB["assistant-chef-de-projet"]["line"]) == 0
    assert _years_of_experience(JOB["chef-de-projet"]["line"]) == 5
    # the directeur de projet after 5 to 10 years of leading projects, the chef de projet's work
    assert _years_of_experience(JOB["directeur-de-projet"]["line"]) == 5
    assert "expérience dans la conduite de projet" in text(
        " ".join(JOB["directeur-de-projet"]["prerequisites"]))
    assert "conduit le projet de bout en bout" in JOB["chef-de-projet"]["definition"]
    # who supervises whom, as printed in the activities
    assert "Encadrer et suivre les assistants chef de projet" in JOB["chef-de-projet"][
        "accessory_missions"]
    assert "Conseiller et assister les chefs de projets" in JOB["directeur-de-projet"]["missions"]


def test_rome_csv():
    codes = {r["code_rome"] for r in csv.DictReader(ROME.open(encoding="utf-8"))}
    with (DATA / "rome.csv").open(encoding="utf-8", newline="") as f:
        rd = csv.DictReader(f)
        assert rd.fieldnames == ["job", "rome", "relation", "basis", "rationale"]
        rows = list(rd)
    for r in rows:
        assert r["job"] in JOB
        assert re.match(r"^[A-N][0-9]{4}$", r["rome"]) and r["rome"] in codes, r
        assert r["relation"] in {"exactMatch", "closeMatch", "broadMatch", "narrowMatch",
                                 "relatedMatch"}
        assert r["basis"] == "curation"  # the document prints only legacy 5-digit codes
        assert r["rationale"].strip()
    assert {r["job"] for r in rows} == set(JOB)
    assert len({(r["job"], r["rome"]) for r in rows}) == len(rows)


# ---------------------------------------------------------------- national levels (estimates)
# Bac+N printed in a sheet's prerequisites → level of the national framework (cnc-2019/NOTES.md)
BAC_LEVEL = {2: 5, 3: 6, 4: 6, 5: 7}
BACS = re.compile(r"bac\s*\+\s*(\d)((?:\s*ou\s*(?:bac\s*\+\s*)?\d)*)")
CITED = re.compile(r'"([^"]+)"(?:,| \()\s*lines? (\d+)')


def _sheet_diplomas():
    """Job id → the (lowest, highest) level of the diplomas its sheet's prerequisites print."""
    out = {}
    for s in SHEETS:
        levels = []
        for m in BACS.finditer(fold(s["prereq"])):
            numbers = [int(m.group(1)), *map(int, re.findall(r"\d", m.group(2)))]
            levels += [BAC_LEVEL[n] for n in numbers]
        if levels:
            out[sheet_job(s)["id"]] = (min(levels), max(levels))
    return out


def _rome_flags():
    """Job id → the emploi_cadre flags of the fiches it is linked to (exact, close, broad)."""
    flag = {r["code_rome"]: r["emploi_cadre"] for r in csv.DictReader(ROME.open(encoding="utf-8"))}
    out = {}
    with (DATA / "rome.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["relation"] != "relatedMatch":
                out.setdefault(r["job"], {})[r["rome"]] = flag[r["rome"]]
    return out


def _director_row():
    """The jobs of the nomenclature's row of directors: the row of family-spanning cells."""
    rows = [r for r in BODY if len(r) == len(FAMILY_CELLS)]
    assert len(rows) == 1
    return {job_of(c)["id"]: n for c, n in rows[0] if c}


def _development_floor():
    """The lowest level the Assistant chef de projet sheet gives the development métiers: it is
    open "au niveau BAC+2 avec plusieurs années d'expérience dans les métiers du développement"."""
    line = LINES[325]
    m = re.search(r"bac\s*\+\s*(\d) avec plusieurs annees d'experience dans les metiers du "
                  r"developpement", fold(line))
    assert m, line
    return BAC_LEVEL[int(m.group(1))]


def _expected_national_levels():
    """The rules of NOTES.md applied to the evidence: a sheet's diplomas first, then the
    nomenclature's row of directors (7), then every linked fiche cadre (6–7; from the
    development floor for the métier the development names), then a technician title with
    non-cadre fiches (4–5); otherwise unknown."""
    diplomas, flags, directors = _sheet_diplomas(), _rome_flags(), _director_row()
    out = {}
    for j in JOBS:
        f = set(flags.get(j["id"], {}).values())
        if j["id"] in diplomas:
            out[j["id"]] = diplomas[j["id"]]
        elif j["id"] in directors and f == {"O"}:
            out[j["id"]] = (7, 7)
        elif f == {"O"} and fold(j["label"]).startswith("developpeur"):
            out[j["id"]] = (_development_floor(), 7)
        elif f == {"O"}:
            out[j["id"]] = (6, 7)
        elif f == {"N"} and fold(j["label"]).startswith("technicien"):
            out[j["id"]] = (4, 5)
    return out


def test_the_row_of_directors_heads_the_families():
    assert sorted(_director_row()) == [
        "directeur-commercial", "directeur-de-production", "directeur-de-projet",
        "directeur-des-etudes", "directeur-des-systemes-d-information"]
    for jid, line in _director_row().items():
        assert "lines 107 to 111" in JOB[jid]["national_level"]["note"] and 107 <= line <= 111


def test_sheets_print_the_diplomas_the_estimates_rest_on():
    assert _sheet_diplomas() == {
        "assistant-chef-de-projet": (5, 7),  # BAC+4 ou BAC+5, or BAC+2 with experience (line 326)
        "chef-de-projet": (6, 7),  # Bac +4 ou 5 (line 507)
        "ingenieur-technico-commercial": (5, 7),  # Bac+2 ... Bac+4 ou 5 (line 860)
        "manager-de-ressources": (6, 7),  # Bac+4 ou Bac+5 (line 1032)
    }


def test_jobs_with_an_estimate_are_exactly_those_with_evidence():
    expected = _expected_national_levels()
    got = {j["id"]: national_range(j["national_level"]) for j in JOBS if j.get("national_level")}
    assert got == expected
    assert len(got) == 33 and len(JOBS) - len(got) == 8
    for j in JOBS:
        al = j.get("national_level")
        if al:
            low, high = national_range(al)
            assert low <= high and al["basis"] == "estimate", j["id"]


def test_each_estimate_cites_its_evidence():
    diplomas, flags = _sheet_diplomas(), _rome_flags()
    for j in JOBS:
        al = j.get("national_level")
        if not al:
            continue
        note = al["note"]
        if j["id"] in diplomas:
            cited = CITED.findall(note)
            assert cited, j["id"]
            for quote, line in cited:
                assert fold(text(quote)) in fold(text(LINES[int(line) - 1])), (j["id"], quote)
                assert re.search(r"bac\s*\+", fold(LINES[int(line) - 1])), (j["id"], line)
        else:
            # every fiche whose flag the estimate rests on is named with that flag
            for code, flag in flags[j["id"]].items():
                assert code in note and f"emploi_cadre {flag}" in note, (j["id"], code)
            if "technicien" in fold(j["label"]):
                assert f'"{j["label"]}" (line {j["line"]})' in note


def test_unknown_jobs_are_listed_in_the_notes():
    notes = (DATA / "NOTES.md").read_text(encoding="utf-8")
    unknown = notes[notes.index("**Unknown ("):notes.index("## ROME 4.0 mapping")]
    rows = re.finditer(r"^\| ([^|]+?) \| ", unknown, re.M)
    listed = {fold(m.group(1)) for m in rows} - {"job", ""}
    assert listed == {fold(j["label"]) for j in JOBS if not j.get("national_level")}
