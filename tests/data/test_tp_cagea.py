"""Checks the curated tp-cagea data (REAC Chargé d'accueil et de gestion administrative)
against its source text, parsed here independently with small regexes."""
import csv
import difflib
import re
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "tp-cagea"
ROME_FICHES = ROOT / "data" / "rome" / "v460" / "unix_referentiel_code_rome_v460_utf8.csv"

LINES = (DATA / "source.txt").read_text(encoding="utf-8").split("\n")


def load(name):
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


REF = load("referential.yaml")
JOBS = load("jobs.yaml")["jobs"]
COMP = load("competences.yaml")
CERTS = load("certifications.yaml")["certifications"]
with open(DATA / "rome.csv", encoding="utf-8", newline="") as fh:
    ROME_ROWS = list(csv.DictReader(fh))

COMPETENCES = COMP["competences"]
BY_ID = {c["id"]: c for c in COMPETENCES}
PROFESSIONAL = [c for c in COMPETENCES if c["kind"] == "competence" and not c.get("transversal")]
TRANSVERSAL = [c for c in COMPETENCES if c["kind"] == "competence" and c.get("transversal")]


# ---------------------------------------------------------------- text helpers
def fold(s):
    """Accent-, case- and OCR-tolerant form: letters and digits only."""
    s = s.replace("’", "'").replace("œ", "oe").replace("Œ", "oe")
    s = re.sub(r"(^|[\s(])[Il|]'", r"\1l'", s)  # I'accueil -> l'accueil
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]", "", s)


def similar(a, b, threshold=0.85):
    return difflib.SequenceMatcher(None, fold(a), fold(b)).ratio() >= threshold


def src(n):
    """1-based source line, stripped."""
    return LINES[n - 1].strip()


def index_of(pattern, start=0):
    rx = re.compile(pattern)
    for i in range(start, len(LINES)):
        if rx.search(LINES[i]):
            return i
    raise AssertionError(f"pattern not found in source: {pattern}")


def next_nonblank(i):
    i += 1
    while not LINES[i].strip():
        i += 1
    return i


def join_items(lines):
    """Join wrapped lines: a new item starts with an upper-case letter."""
    items = []
    for raw in lines:
        t = raw.strip()
        if not t:
            continue
        if items and not t[0].isupper():
            items[-1] = (items[-1][0], items[-1][1] + " " + t)
        else:
            items.append((raw, t))
    return [t for _, t in items]


def item_starts(lo, hi):
    """(line number, text) of the items between two 0-based indexes (exclusive)."""
    out = []
    for i in range(lo, hi):
        t = LINES[i].strip()
        if not t:
            continue
        if out and not t[0].isupper():
            out[-1] = (out[-1][0], out[-1][1] + " " + t)
        else:
            out.append((i + 1, t))
    return out


# ---------------------------------------------------------------- parse the source
def parse_sheets():
    """Professional competence sheets: number, title, criteria, know-how items."""
    sheets = []
    heads = [i for i, line in enumerate(LINES)
             if re.search(r"FICHE COMPETENCE PROFESSIONNELLE N° *(\d+)", line)]
    end_all = index_of(r"FICHE DES COMPETENCES TRANSVERSALES")
    for k, h in enumerate(heads):
        end = heads[k + 1] if k + 1 < len(heads) else end_all
        num = re.search(r"N° *(\d+)", LINES[h]).group(1)
        t = next_nonblank(h)
        crit = index_of(r"Crit.res de performance", h)
        sf = index_of(r"^Savoir-faire techniques, savoir-faire organisationnels", h)
        sheets.append({
            "num": num,
            "title": LINES[t].strip(),
            "title_line": t + 1,
            "criteria": join_items(LINES[crit + 1:sf]),
            "items": item_starts(sf + 1, end),
        })
    return sheets


SHEETS = parse_sheets()


def parse_transversal_sheets():
    start = index_of(r"FICHE DES COMPETENCES TRANSVERSALES")
    stop = index_of(r"Glossaire technique")
    out = []
    for i in range(start, stop):
        if LINES[i].startswith("Description de la compétence"):
            t = i - 1
            while not LINES[t].strip():
                t -= 1
            crit = index_of(r"Crit.res de performance", i)
            j = crit + 1
            while not LINES[j].strip():
                j += 1
            crits = []
            while LINES[j].strip() and not LINES[j].startswith(" "):
                crits.append(LINES[j].strip())
                j += 1
            out.append({"title": LINES[t].strip(), "title_line": t + 1, "criteria": crits})
    return out


TSHEETS = parse_transversal_sheets()


def parse_activity_sheets():
    out = []
    for i, line in enumerate(LINES):
        m = re.search(r"FICHE ACTIVITE TYPE N° *(\d+)", line)
        if m:
            t = next_nonblank(i)
            lst = index_of(r"Liste des compétences professionnelles de .{1,2}activité type", i)
            end = index_of(r"Compétences transversales de .{1,2}activité type", lst)
            out.append({"num": m.group(1), "title": LINES[t].strip(), "title_line": t + 1,
                        "competences": [x.strip() for x in LINES[lst + 1:end] if x.strip()]})
    return out


ASHEETS = parse_activity_sheets()


# ---------------------------------------------------------------- structure and ids
def test_ids_unique_and_well_formed():
    idrx = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    groups = {
        "job": [j["id"] for j in JOBS],
        "competence": [c["id"] for c in COMPETENCES],
        "activity": [a["id"] for a in COMP["activities"]],
        "certification": [c["id"] for c in CERTS],
        "framework": [f["id"] for f in COMP["frameworks"]],
    }
    for kind, ids in groups.items():
        assert len(ids) == len(set(ids)), kind
        assert all(idrx.match(i) for i in ids), kind
    assert REF["id"] == DATA.name


def test_referential_identity():
    assert REF["scale"] == "cnc-2019"
    assert REF["sector"]["id"] == "accueil-secretariat"
    # the text prints "ministère chargé de l'emploi"
    assert any("chargé de I'emploi" in line or "chargé de l'emploi" in line for line in LINES)
    assert "emploi" in REF["publisher"].lower()


def test_references_resolve():
    frameworks = {f["id"] for f in COMP["frameworks"]}
    job_ids = {j["id"] for j in JOBS}
    for c in COMPETENCES:
        assert c["framework"] in frameworks
        if "broader" in c:
            assert c["broader"] in BY_ID
            assert BY_ID[c["broader"]]["kind"] == "competence"
    for a in COMP["activities"]:
        for cid in a["competences"]:
            assert cid in BY_ID
    for j in JOBS:
        for cid in j["requires"]:
            assert cid in BY_ID
    for cert in CERTS:
        for cid in cert["certifies"]:
            assert cid in BY_ID
        for jid in cert["gives_access_to"]:
            assert jid in job_ids


def test_notations_follow_pattern():
    pats = {f["id"]: re.compile(f["notation_pattern"]) for f in COMP["frameworks"]}
    for c in COMPETENCES:
        if "notation" in c:
            assert pats[c["framework"]].match(c["notation"]), c["id"]


# ---------------------------------------------------------------- lines point at titles
def test_lines_point_at_titles():
    records = [(j["label"], j["line"]) for j in JOBS]
    records += [(a["label"], a["line"]) for a in COMP["activities"]]
    records += [(c["label"], c["line"]) for c in COMPETENCES]
    for label, line in records:
        text = src(line)
        prefix = label[: max(len(text), 10)]
        assert (similar(prefix, text[: len(prefix) + 5], 0.8)
                or fold(label).startswith(fold(text)[:20])), (label, line, text)
    for cert in CERTS:
        core = re.sub(r"^Titre professionnel\s+", "", cert["label"])
        assert fold(core) in fold(src(cert["line"])), (cert["label"], src(cert["line"]))


# ---------------------------------------------------------------- activity types
def test_activity_types_match_sheets():
    acts = sorted(COMP["activities"], key=lambda a: a["notation"])
    assert [a["notation"] for a in acts] == [s["num"] for s in ASHEETS]
    for a, s in zip(acts, ASHEETS, strict=True):
        assert similar(a["label"], s["title"]), (a["label"], s["title"])
        assert a["line"] == s["title_line"]
        labels = [BY_ID[c]["label"] for c in a["competences"]]
        assert len(labels) == len(s["competences"])
        for lab, printed in zip(labels, s["competences"], strict=True):
            assert similar(lab, printed), (lab, printed)


def test_summary_list_matches():
    """'Liste des activités types et des compétences professionnelles' of the job sheet."""
    i = index_of(r"^Liste des activités types et des compétences professionnelles")
    j = index_of(r"^Compétences transversales de .+emploi", i)
    acts, cur = [], None
    for line in LINES[i + 1:j]:
        t = line.strip()
        if not t:
            continue
        m = re.match(r"^(\d+)\. (.+)$", t)
        if m:
            cur = {"num": m.group(1), "title": m.group(2), "comps": []}
            acts.append(cur)
        else:
            cur["comps"].append(t)
    yacts = sorted(COMP["activities"], key=lambda a: a["notation"])
    assert [a["num"] for a in acts] == [a["notation"] for a in yacts]
    for printed, a in zip(acts, yacts, strict=True):
        assert similar(printed["title"], a["label"])
        labels = [BY_ID[c]["label"] for c in a["competences"]]
        assert [fold(x) for x in printed["comps"]] == [fold(lab) for lab in labels] or all(
            similar(x, lab) for x, lab in zip(printed["comps"], labels, strict=False))
    # transversal competences listed after the heading, up to "Niveau"
    k = index_of(r"^Niveau et/ou domaine", j)
    printed_t = [line.strip() for line in LINES[j + 1:k] if line.strip()]
    assert len(printed_t) == len(TRANSVERSAL)
    for p, c in zip(printed_t, TRANSVERSAL, strict=True):
        assert similar(p, c["label"])


def test_activity_count_stated_in_text():
    m = re.search(r"structuré en (\w+) activités-types", "\n".join(LINES))
    words = {"deux": 2, "trois": 3, "quatre": 4}
    assert words[m.group(1)] == len(COMP["activities"])
    m = re.search(r"(\w+) compétences transversales ont été identifiées", "\n".join(LINES))
    assert words[m.group(1).lower()] == len(TRANSVERSAL)
    stated_rx = r"ctivité-type \d+ concerne .*? comprend (\d+) compétences"
    stated = [int(n) for n in re.findall(stated_rx, " ".join(LINES))]
    acts = sorted(COMP["activities"], key=lambda a: a["notation"])
    assert stated == [len(a["competences"]) for a in acts]


# ---------------------------------------------------------------- competences
def test_professional_competences_match_sheets():
    profs = sorted(PROFESSIONAL, key=lambda c: int(c["notation"]))
    assert [c["notation"] for c in profs] == [s["num"] for s in SHEETS]
    for c, s in zip(profs, SHEETS, strict=True):
        assert similar(c["label"], s["title"]), (c["label"], s["title"])
        assert c["line"] == s["title_line"]
        assert c.get("description") and c.get("context")


def test_performance_criteria_per_competence():
    profs = sorted(PROFESSIONAL, key=lambda c: int(c["notation"]))
    for c, s in zip(profs, SHEETS, strict=False):
        assert len(c["performance_criteria"]) == len(s["criteria"]), c["id"]
        for mine, printed in zip(c["performance_criteria"], s["criteria"], strict=True):
            assert similar(mine, printed), (mine, printed)


def test_transversal_competences_match_sheets():
    assert len(TRANSVERSAL) == len(TSHEETS)
    for c, s in zip(TRANSVERSAL, TSHEETS, strict=True):
        assert similar(c["label"], s["title"])
        assert c["line"] == s["title_line"]
        assert len(c["performance_criteria"]) == len(s["criteria"])
        for mine, printed in zip(c["performance_criteria"], s["criteria"], strict=True):
            assert similar(mine, printed)


def test_know_how_and_knowledge_items():
    profs = sorted(PROFESSIONAL, key=lambda c: int(c["notation"]))
    for c, s in zip(profs, SHEETS, strict=False):
        mine = sorted((x for x in COMPETENCES if x.get("broader") == c["id"]),
                      key=lambda x: x["line"])
        assert len(mine) == len(s["items"]), c["id"]
        for x, (line, text) in zip(mine, s["items"], strict=True):
            assert x["line"] == line, (x["id"], line)
            assert similar(x["label"], text, 0.9), (x["label"], text)
            is_knowledge = fold(text).startswith("connaissance")
            assert (x["kind"] == "knowledge") == is_knowledge, x["id"]
            assert x["kind"] in ("skill", "knowledge")
            expected_cat = "savoir" if is_knowledge else "savoir-faire"
            assert x["category"].startswith(expected_cat)
        # document order of the table: technique, organisationnel, relationnel, savoirs
        order = {"savoir-faire technique": 0, "savoir-faire organisationnel": 1,
                 "savoir-faire relationnel": 2, "savoir": 3}
        ranks = [order[x["category"]] for x in mine]
        assert ranks == sorted(ranks), c["id"]


def test_descriptions_follow_text():
    """Each description is the printed paragraph(s) between the headings, OCR fixed."""
    profs = sorted(PROFESSIONAL, key=lambda c: int(c["notation"]))
    for c, s in zip(profs, SHEETS, strict=False):
        h = s["title_line"]
        d = index_of(r"^Description de la compétence", h)
        ctx = index_of(r"^Contexte\(s\) professionnel", d)
        crit = index_of(r"Crit.res de performance", ctx)
        printed_desc = " ".join(line.strip() for line in LINES[d + 1:ctx])
        printed_ctx = " ".join(line.strip() for line in LINES[ctx + 1:crit])
        assert similar(c["description"], printed_desc, 0.9), c["id"]
        assert similar(c["context"], printed_ctx, 0.9), c["id"]


# ---------------------------------------------------------------- job and certification
def test_single_job_requires_everything():
    heads = [i for i, line in enumerate(LINES) if "FICHE EMPLOI TYPE" in line]
    assert len(JOBS) == len(heads) == 1
    job = JOBS[0]
    t = next_nonblank(heads[0])
    assert similar(job["label"], LINES[t].strip())
    assert job["line"] == t + 1
    assert set(job["requires"]) == {c["id"] for c in PROFESSIONAL + TRANSVERSAL}
    m = re.search(r"Niveau (\d) \(Cadre national des certifications 2019\)", "\n".join(LINES))
    assert job["level"] == f"cnc-2019/{m.group(1)}"
    assert job["definition"] and job["missions"] and job["conditions"]


def test_certification_codes_and_level():
    text = "\n".join(LINES)
    assert len(CERTS) == 1
    cert = CERTS[0]
    level = re.search(r"Niveau (\d) \(Cadre national des certifications 2019\)", text).group(1)
    assert cert["level"] == f"cnc-2019/{level}"
    assert cert["level_basis"] == "official"
    i = index_of(r"^Code\(s\) NSF")
    j = index_of(r"^Fiche\(s\) Rome de rattachement", i)
    nsf = re.findall(r"^(\d{3}[a-z]?)\s*-", "\n".join(LINES[i + 1:j]), re.M)
    assert cert["nsf"] == nsf
    k = index_of(r"FICHE ACTIVITE TYPE", j)
    rome = re.findall(r"^\s*([A-N]\d{4})\b", "\n".join(LINES[j + 1:k]), re.M)
    assert rome and cert["rome"] == rome
    assert set(cert["certifies"]) == {c["id"] for c in PROFESSIONAL + TRANSVERSAL}
    assert cert["gives_access_to"] == [JOBS[0]["id"]]


def test_accessible_titles():
    i = index_of(r"Les types d.emplois accessibles sont les suivants")
    j = index_of(r"^Réglementation d.activités", i)
    printed = [re.sub(r"^[e•]\s+", "", line.strip()) for line in LINES[i + 1:j] if line.strip()]
    titles = CERTS[0]["accessible_titles"]
    assert len(titles) == len(printed)
    for mine, p in zip(titles, printed, strict=True):
        assert similar(mine, p), (mine, p)


# ---------------------------------------------------------------- ROME
def test_rome_links():
    with open(ROME_FICHES, encoding="utf-8", newline="") as fh:
        fiches = {r["code_rome"] for r in csv.DictReader(fh)}
    assert ROME_ROWS
    assert list(ROME_ROWS[0].keys()) == ["job", "rome", "relation", "basis", "rationale"]
    job_ids = {j["id"] for j in JOBS}
    for r in ROME_ROWS:
        assert r["job"] in job_ids
        assert r["rome"] in fiches
        assert r["relation"] in {"exactMatch", "closeMatch", "broadMatch", "narrowMatch",
                                 "relatedMatch"}
        assert r["basis"] in {"document", "curation"}
        assert r["rationale"].strip()
    for j in job_ids:
        assert any(r["job"] == j for r in ROME_ROWS)
    # every code printed by the document is linked with basis "document", and only those
    printed = set(CERTS[0]["rome"])
    assert {r["rome"] for r in ROME_ROWS if r["basis"] == "document"} == printed
    assert printed <= {r["rome"] for r in ROME_ROWS}


def _contained(sentence, haystack, threshold=0.9):
    a, b = fold(sentence), haystack
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matched = sum(block.size for block in sm.get_matching_blocks())
    return matched / max(len(a), 1) >= threshold


def test_job_texts_come_from_the_job_sheet():
    i = index_of(r"FICHE EMPLOI TYPE")
    j = index_of(r"^Réglementation d.activités", i)
    section = fold(" ".join(LINES[i:j]))
    job = JOBS[0]
    for s in [job["definition"], *job["missions"], *job["conditions"]]:
        assert _contained(s, section), s


# ---------------------------------------------------------------- activity-type descriptions
# Extraction slips of the activity sheets and their fixes: the only differences (besides accents,
# case and apostrophes) allowed between the printed text and the curated descriptions.
OCR_FIXES = [
    (r"’'|'’|''", "'"), (r"’", "'"), (r"(^|[\s(])I'", r"\1l'"), (r"\|l\b|\|\|", "Il"),
    (r"\bI(\s+[a-zé])", r"Il\1"), (r"\bcceur\b", "cœur"), (r"\bmanceuvre\b", "manœuvre"),
    (r"\bsOr\b", "sûr"), (r"\bregus\b", "reçus"), (r"\btra[gc]abilité\b", "traçabilité"),
    (r"\bfacgon\b", "façon"), (r"\baccueill\b", "accueil"), (r"\bmaniéere\b", "manière"),
    (r"\bameneé\b", "amené"), (r"\bréle\b", "rôle"), (r"\bexerceé\b", "exercée"),
    (r"\bmaniére\b", "manière"), (r"\bposséde\b", "possède"), (r"\bparticuliere\b", "particulière"),
    (r"\bparalléle\b", "parallèle"), (r"\baccés\b", "accès"), (r"\bétre\b", "être"),
    (r"\bsystémes\b", "systèmes"), (r"\bsysteme\b", "système"), (r"\bgére\b", "gère"),
    (r"\baupr[eé]s\b", "auprès"), (r"\bproblémes\b", "problèmes"), (r"\bpérimétre\b", "périmètre"),
]
# word pairs (printed, curated) that differ only by an accent the OCR cannot be trusted with
ACCENT_FIXES = {("a", "à"), ("boites", "boîtes")}


def words(text):
    """Accent- and case-folded word sequence (œ -> oe, apostrophes and hyphens split words)."""
    text = text.replace("œ", "oe").replace("Œ", "Oe")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.findall(r"[a-z0-9]+", text)


def parse_activity_descriptions():
    """Paragraphs between 'Définition, description de l'activité type…' and 'Réglementation'."""
    out = {}
    for i, line in enumerate(LINES):
        m = re.search(r"FICHE ACTIVITE TYPE N° *(\d+)", line)
        if not m:
            continue
        d = index_of(r"^\s*Définition, description de .{1,2}activité type", i)
        r = index_of(r"^\s*Réglementation d.activités", d)
        paras, cur = [], ""
        for raw in [*LINES[d + 1:r], ""]:
            t = raw.strip()
            if not t:
                if cur:
                    paras.append(cur)
                cur = ""
            elif cur.endswith("-"):
                cur += t
            else:
                cur = f"{cur} {t}".strip()
        for rx, rep in OCR_FIXES:
            paras = [re.sub(rx, rep, p) for p in paras]
        out[m.group(1)] = paras
    return out


def test_activity_descriptions_follow_text():
    printed = parse_activity_descriptions()
    acts = {a["notation"]: a for a in COMP["activities"]}
    assert set(printed) == set(acts)
    for num, paras in printed.items():
        assert paras, num
        mine = acts[num]["description"].split("\n\n")
        assert len(mine) == len(paras), num
        for a, b in zip(mine, paras, strict=True):
            assert "\n" not in a.strip(), (num, a)  # lines broken by the extraction are joined
            assert words(a) == words(b), (num, difflib.ndiff(words(b), words(a)))
            # with accents kept: only the listed fixes may differ
            wa, wb = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
            assert len(wa) == len(wb), num
            for x, y in zip(wb, wa, strict=True):
                assert x == y or (x, y) in ACCENT_FIXES, (num, x, y)


def test_activity_descriptions_have_no_ocr_slips():
    for a in COMP["activities"]:
        d = a["description"]
        assert not re.search(r"(^|[\s(])I'|\||’'|cceur|ceuvre|\bsOr\b|eé\b|éé|éee|facg|"
                             r"tra[gc]abilit|accueill\b", d), a["id"]
        # the preposition "à" restored where the OCR printed "a"
        assert not re.search(r"\ba (la|le|les|l'|un|une|son|sa|ses|chaque|face|distance|usage|d'|"
                             r"\w+er\b)", d), a["id"]
        # accents the OCR dropped or turned the wrong way
        assert not re.search(r"\b(exerceé|maniére|posséde|particuliere|paralléle|accés|étre|"
                             r"systémes|gére|aupres|auprés|problémes|systeme|périmétre|réle)\b",
                             d), a["id"]
