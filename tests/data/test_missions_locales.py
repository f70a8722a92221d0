"""Curated data of missions-locales checked against the text of its source document."""

from __future__ import annotations

import csv
import itertools
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "missions-locales"
ROME_FICHES = ROOT / "data" / "rome" / "v460" / "unix_referentiel_code_rome_v460_utf8.csv"

SOURCE_LINES = (DATA / "source.txt").read_text(encoding="utf-8").split("\n")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# A domain number as printed: "2.1." or "7.5" followed by its label.
DOMAIN_RE = re.compile(r"(?<![\d.])([1-9]\.\d{1,2})\.?(?=\s|<)")
TAG_RE = re.compile(r"</?[a-z]+>")


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form for comparing labels with the printed text."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("\u2019", "'")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().lower()


def strip_tags(text: str) -> str:
    return TAG_RE.sub("", text)


def numbers_in(line: str) -> set[str]:
    return {match.group(1) for match in DOMAIN_RE.finditer(line)}


def load(name: str) -> dict:
    with (DATA / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# --------------------------------------------------------------------------- parsing the source


def parse_list_table() -> dict[str, list[tuple[str, int, int]]]:
    """First table: métier -> [(job title, cotation, line)] from the `<sup>` cotations."""
    result: dict[str, list[tuple[str, int, int]]] = {}
    for number, line in enumerate(SOURCE_LINES, start=1):
        if "<sup>" not in line:
            continue
        cells = line.split("\t")
        family = strip_tags(cells[0]).strip()
        jobs = []
        for cell in cells[1:]:
            match = re.fullmatch(r"\s*(.+?)\s*<sup>(\d+)</sup>\s*", cell)
            if match:
                jobs.append((match.group(1), int(match.group(2)), number))
        result[family] = jobs
    return result


def parse_cell(cell: str) -> list[dict]:
    """Domain numbers of one job's cell with their bold/underline flags and printed labels."""
    found = list(DOMAIN_RE.finditer(cell))
    items = []
    for index, match in enumerate(found):
        before = cell[: match.start()]
        bold = before.count("<b>") > before.count("</b>")
        underlined = before.count("<u>") > before.count("</u>")
        end = found[index + 1].start() if index + 1 < len(found) else len(cell)
        raw = cell[match.end() : end]
        raw = raw.split("</p>")[0]
        label = strip_tags(raw).strip().rstrip(".").strip()
        items.append(
            {"number": match.group(1), "bold": bold, "underlined": underlined, "label": label}
        )
    return items


def parse_detail_tables() -> dict[str, list[dict]]:
    """Detail tables: métier -> jobs in column order with cotation, title line and domains."""
    tables: dict[str, list[dict]] = {}
    for index, line in enumerate(SOURCE_LINES):
        row = re.match(r"^<([bi])>([^<]+)</\1>\t(.*)$", line)
        if not row or "<sup>" in line or not DOMAIN_RE.search(row.group(3)):
            continue
        family = row.group(2).strip()
        cells = row.group(3).split("\t")
        title_index = index - 1
        title_cells = SOURCE_LINES[title_index].split("\t")[1:]
        above = SOURCE_LINES[title_index - 1].split("\t")[1:]
        titles, cotations = [], []
        if above and all(re.fullmatch(r"\d+", c.strip()) for c in above):
            # Cotations printed on their own row above the titles.
            titles = [strip_tags(cell).strip() for cell in title_cells]
            cotations = [c.strip() for c in above]
        else:
            # Cotation printed in the title cell, before or after the title.
            for cell in title_cells:
                text = strip_tags(cell).strip()
                match = re.fullmatch(r"(\d+)\s+(.+)", text) or re.fullmatch(r"(.+?)\s+(\d+)", text)
                assert match, cell
                first, second = match.groups()
                title, cotation = (second, first) if first.isdigit() else (first, second)
                titles.append(title)
                cotations.append(cotation)
        assert len(titles) == len(cells) == len(cotations), family
        tables[family] = [
            {
                "title": title,
                "cotation": int(cotation),
                "title_line": title_index + 1,
                "domains": parse_cell(cell),
                "notes": re.findall(r"(Progression possible entre [^<]+)", cell),
            }
            for title, cotation, cell in zip(titles, cotations, cells, strict=True)
        ]
    return tables


LIST_TABLE = parse_list_table()
DETAIL = parse_detail_tables()
REFERENTIAL = load("referential.yaml")
JOBS = load("jobs.yaml")["jobs"]
COMPETENCES = load("competences.yaml")
JOB_BY_FOLDED_LABEL = {fold(job["label"]): job for job in JOBS}
FAMILY_BY_FOLDED_LABEL = {fold(f["label"]): f for f in REFERENTIAL["families"]}


def curated_job(title: str) -> dict:
    assert fold(title) in JOB_BY_FOLDED_LABEL, f"job {title!r} of the document is missing"
    return JOB_BY_FOLDED_LABEL[fold(title)]


def source_jobs() -> list[tuple[str, dict]]:
    return [(family, job) for family, jobs in DETAIL.items() for job in jobs]


# --------------------------------------------------------------------------- the source itself


def test_source_parses_into_the_same_jobs_in_both_tables() -> None:
    assert LIST_TABLE and DETAIL
    assert {fold(f) for f in LIST_TABLE} == {fold(f) for f in DETAIL}
    for family, jobs in LIST_TABLE.items():
        detail = next(v for k, v in DETAIL.items() if fold(k) == fold(family))
        assert [(fold(t), c) for t, c, _ in jobs] == [
            (fold(j["title"]), j["cotation"]) for j in detail
        ]


# --------------------------------------------------------------------------- referential


def test_referential_identity() -> None:
    assert REFERENTIAL["id"] == "missions-locales"
    assert fold("Conception du système de classification") in fold(REFERENTIAL["title"])
    assert REFERENTIAL["sector"]["id"] == "insertion-jeunes"
    assert REFERENTIAL["scale"]["id"] == "cotations"
    assert REFERENTIAL["scale"]["kind"] == "cotation"
    # The document prints no IDCC number, so none may be recorded.
    if not re.search(r"IDCC", "\n".join(SOURCE_LINES), re.I):
        assert "idcc" not in REFERENTIAL


def test_families_are_the_metiers_of_the_list() -> None:
    families = REFERENTIAL["families"]
    assert [fold(f["label"]) for f in families] == [fold(f) for f in LIST_TABLE]
    for family in families:
        assert family["kind"] == "métier"
        assert fold(family["label"]) in fold(SOURCE_LINES[family["line"] - 1])


def test_levels_are_the_printed_cotations_in_order() -> None:
    printed = sorted({c for jobs in LIST_TABLE.values() for _, c, _ in jobs})
    levels = REFERENTIAL["scale"]["levels"]
    assert [level["id"] for level in levels] == [str(c) for c in printed]
    for rank, level in enumerate(levels, start=1):
        assert level["notation"] == level["id"]
        assert level["rank"] == rank
        assert f"<sup>{level['id']}</sup>" in SOURCE_LINES[level["line"] - 1]
        assert "min_total" not in level and "max_total" not in level


def test_alignments_are_estimates_on_the_national_framework() -> None:
    previous = 0
    for level in REFERENTIAL["scale"]["levels"]:
        aligned = level.get("aligned_to")
        if aligned is None:
            continue
        match = re.fullmatch(r"cnc-2019/([1-8])", aligned["level"])
        assert match, aligned
        # The document states no correspondence, so none can be official.
        assert aligned["basis"] == "estimate"
        assert aligned["note"].strip()
        assert int(match.group(1)) >= previous, "alignment must not go down the scale"
        previous = int(match.group(1))


# --------------------------------------------------------------------------- jobs


def test_every_job_of_the_document_is_curated_once() -> None:
    titles = [fold(job["title"]) for _, job in source_jobs()]
    assert sorted(titles) == sorted(fold(job["label"]) for job in JOBS)
    ids = [job["id"] for job in JOBS]
    assert len(ids) == len(set(ids))
    assert all(ID_RE.match(i) for i in ids)


@pytest.mark.parametrize(
    "family,job", source_jobs(), ids=lambda v: v["title"] if isinstance(v, dict) else fold(v)[:12]
)
def test_job_family_level_and_line(family: str, job: dict) -> None:
    curated = curated_job(job["title"])
    assert curated["families"] == [FAMILY_BY_FOLDED_LABEL[fold(family)]["id"]]
    assert curated["level"] == str(job["cotation"])
    assert curated["line"] == job["title_line"]
    assert fold(curated["label"]) in fold(strip_tags(SOURCE_LINES[curated["line"] - 1]))


@pytest.mark.parametrize(
    "family,job", source_jobs(), ids=lambda v: v["title"] if isinstance(v, dict) else fold(v)[:12]
)
def test_job_domains_and_flags(family: str, job: dict) -> None:
    curated = curated_job(job["title"])
    domains = job["domains"]
    assert curated["requires"] == [f"d{d['number']}" for d in domains]
    assert curated.get("requires_key", []) == [f"d{d['number']}" for d in domains if d["bold"]]
    assert curated.get("requires_new", []) == [
        f"d{d['number']}" for d in domains if d["underlined"]
    ]
    # A job whose cell marks no key domain says so.
    if not any(d["bold"] for d in domains) and fold(family) != fold("Gestion"):
        assert curated.get("incomplete")


def test_progressions() -> None:
    by_id = {job["id"]: job for job in JOBS}
    explicit: set[tuple[str, str, str]] = set()
    ladder: set[tuple[str, str]] = set()
    for job in JOBS:
        for step in job.get("progresses_to", []):
            target = by_id[step["job"]]
            assert step["basis"] in {"explicit", "ladder"}
            assert target["families"] == job["families"]
            assert int(target["level"]) > int(job["level"])
            if step["basis"] == "explicit":
                explicit.add((job["id"], target["id"], step["note"]))
            else:
                ladder.add((job["id"], target["id"]))
    expected_explicit = set()
    expected_ladder = set()
    for jobs in DETAIL.values():
        notes = [note for job in jobs for note in job["notes"]]
        for note in notes:
            match = re.fullmatch(r"Progression possible entre (.+) et (.+)", note.strip())
            assert match, note
            low, high = curated_job(match.group(1)), curated_job(match.group(2))
            expected_explicit.add((low["id"], high["id"], note.strip()))
        if not notes:
            # A métier printed as one line: each job steps up to the next column.
            for low, high in itertools.pairwise(jobs):
                expected_ladder.add(
                    (curated_job(low["title"])["id"], curated_job(high["title"])["id"])
                )
    assert explicit == expected_explicit
    assert expected_ladder <= ladder
    # No ladder edge inside a métier whose progressions the document gives explicitly.
    branched = {
        FAMILY_BY_FOLDED_LABEL[fold(f)]["id"]
        for f, jobs in DETAIL.items()
        if any(j["notes"] for j in jobs)
    }
    assert not any(set(by_id[a]["families"]) & branched for a, _ in ladder)


def test_ladder_notes_name_the_underlined_domains() -> None:
    """Each ladder edge cites the domains the document underlines in the next job ("progression
    par rapport à l'emploi repère précédent"), and those are new compared with the job below."""
    by_id = {job["id"]: job for job in JOBS}
    steps = [(job, step) for job in JOBS for step in job.get("progresses_to", [])]
    assert sorted(step["basis"] for _, step in steps) == ["explicit"] * 2 + ["ladder"] * 6
    for job, step in steps:
        if step["basis"] != "ladder":
            continue
        low = next(j for _, j in source_jobs() if curated_job(j["title"])["id"] == job["id"])
        high = next(j for _, j in source_jobs() if curated_job(j["title"])["id"] == step["job"])
        underlined = [d["number"] for d in high["domains"] if d["underlined"]]
        below = {d["number"] for d in low["domains"]}
        assert not set(underlined) & below, (job["id"], underlined)
        note = step["note"]
        assert f"{low['cotation']} → {high['cotation']}" in note, note
        assert f"line {high['title_line'] + 1}" in note, note
        if underlined:
            cited = re.findall(r"\b[1-9]\.\d\b", note.split("progression from the previous job")[0])
            assert cited == underlined, (job["id"], cited, underlined)
        else:
            # the one step the document does not mark (Conseiller niveau 1, KNOWN-FINDINGS.md)
            assert by_id[step["job"]]["id"] == "conseiller-niveau-1"
            assert "underlines none" in note


# --------------------------------------------------------------------------- competences


def test_domains_are_every_printed_number_with_its_label() -> None:
    frameworks = COMPETENCES["frameworks"]
    assert [f["id"] for f in frameworks] == ["domaines"]
    pattern = re.compile(frameworks[0]["notation_pattern"])
    competences = {c["id"]: c for c in COMPETENCES["competences"]}
    assert len(competences) == len(COMPETENCES["competences"])
    printed: dict[str, list[str]] = {}
    for _, job in source_jobs():
        for domain in job["domains"]:
            printed.setdefault(domain["number"], []).append(domain["label"])
    parents = {number.split(".")[0] for number in printed}
    assert set(competences) == {f"d{n}" for n in printed} | {f"d{p}" for p in parents}
    for comp in competences.values():
        assert ID_RE.match(comp["id"])
        assert comp["framework"] == "domaines"
        assert comp["kind"] == "domain"
        assert pattern.match(comp["notation"])
        assert comp["id"] == f"d{comp['notation']}"
        line = SOURCE_LINES[comp["line"] - 1]
        if "." in comp["notation"]:
            assert comp["broader"] == f"d{comp['notation'].split('.')[0]}"
            assert comp["broader"] in competences
            for label in printed[comp["notation"]]:
                # The curated label is the fuller of the printed ones.
                assert fold(comp["label"]).startswith(fold(label)), (comp["id"], label)
            assert comp["notation"] in numbers_in(line)
            # line: is the first line printing the number.
            first = min(
                i
                for i, text in enumerate(SOURCE_LINES, start=1)
                if comp["notation"] in numbers_in(text)
            )
            assert comp["line"] == first
        else:
            assert "broader" not in comp
            assert "label" not in comp, "the document gives no title for parent domains"
            assert any(n.split(".")[0] == comp["notation"] for n in numbers_in(line))


def test_job_references_resolve() -> None:
    competences = {c["id"] for c in COMPETENCES["competences"]}
    levels = {level["id"] for level in REFERENTIAL["scale"]["levels"]}
    families = {f["id"] for f in REFERENTIAL["families"]}
    jobs = {job["id"] for job in JOBS}
    for job in JOBS:
        assert job["level"] in levels
        assert set(job["families"]) <= families
        assert set(job["requires"]) <= competences
        assert set(job.get("requires_key", [])) <= set(job["requires"])
        assert set(job.get("requires_new", [])) <= set(job["requires"])
        assert {s["job"] for s in job.get("progresses_to", [])} <= jobs


# --------------------------------------------------------------------------- ROME


def test_rome_links() -> None:
    with ROME_FICHES.open(encoding="utf-8") as handle:
        fiches = {row["code_rome"] for row in csv.DictReader(handle)}
    with (DATA / "rome.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["job", "rome", "relation", "basis", "rationale"]
        rows = list(reader)
    jobs = {job["id"] for job in JOBS}
    relations = {"exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"}
    printed_codes = set(re.findall(r"\b[A-N]\d{4}\b", "\n".join(SOURCE_LINES)))
    for row in rows:
        assert row["job"] in jobs
        assert re.fullmatch(r"[A-N]\d{4}", row["rome"]) and row["rome"] in fiches, row
        assert row["relation"] in relations
        assert row["basis"] == ("document" if row["rome"] in printed_codes else "curation")
        assert row["rationale"].strip()
    assert jobs <= {row["job"] for row in rows}
    assert len({(r["job"], r["rome"]) for r in rows}) == len(rows)
