"""evaluation/search-titles.csv, the test set of `jobgraph search`: its form, its rows against
data/ (the ESCO–ROME crosswalk, the referentials' jobs and rome.csv), the split rule, and that no
title is one the engine indexes."""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import pytest
from benchmarks import search_titles as st

ROOT = Path(__file__).resolve().parents[1]
TITLES = ROOT / "evaluation" / "search-titles.csv"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with TITLES.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == st.COLUMNS
        return list(reader)


def fiche_codes() -> set[str]:
    with (st.V460 / "unix_referentiel_code_rome_v460_utf8.csv").open(encoding="utf-8") as fh:
        return {r["code_rome"] for r in csv.DictReader(fh)}


def test_size_and_sources(rows: list[dict[str, str]]) -> None:
    kinds = [("esco" if r["source"].startswith("http://data.europa.eu/esco/occupation/") else
              "hand" if r["source"] == "hand" else "referential") for r in rows]
    assert len(rows) >= 500
    assert kinds.count("esco") >= 500 and kinds.count("hand") >= 100
    assert kinds.count("referential") >= 150
    titles = [st.folded(r["title"]) for r in rows]
    assert len(titles) == len(set(titles)), "a title appears twice"


def test_expected_codes_are_rome_fiches(rows: list[dict[str, str]]) -> None:
    codes = fiche_codes()
    for r in rows:
        expected = r["expected"].split()
        assert expected and expected == sorted(set(expected)), r
        assert set(expected) <= codes, r


def test_split_rule(rows: list[dict[str, str]]) -> None:
    for r in rows:
        first = min(r["expected"].split())
        assert r["split"] == ("test" if zlib.crc32(first.encode()) % 3 == 0 else "dev"), r
    held_out = sum(r["split"] == "test" for r in rows)
    assert 0.25 < held_out / len(rows) < 0.42


def test_no_title_is_a_rome_appellation(rows: list[dict[str, str]]) -> None:
    taken = st.rome_forms()
    assert not [r["title"] for r in rows if st.forms(r["title"]) & taken]


def test_generated_rows_match_the_data(rows: list[dict[str, str]], tmp_path: Path) -> None:
    # writing the file again from data/ (hand rows kept) gives the same bytes
    out = tmp_path / "search-titles.csv"
    out.write_bytes(TITLES.read_bytes())
    assert st.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == TITLES.read_text(encoding="utf-8")


def test_hand_rows_say_what_they_are(rows: list[dict[str, str]]) -> None:
    hand = [r for r in rows if r["source"] == "hand"]
    assert all(r["note"].strip() for r in hand)
    assert any(r["title"] == "hôtesse d'acceuil" and r["expected"] == "M1601" for r in hand)


def test_leave_out_names_jobs_whose_labels_are_the_title(rows: list[dict[str, str]]) -> None:
    by_label = st.job_forms()
    for r in rows:
        leave = set(r["leave_out"].split())
        assert leave == {j for f in st.forms(r["title"]) for j in by_label.get(f, ())}, r
        if not r["source"].startswith("http") and r["source"] != "hand":
            assert set(r["source"].split()) <= leave, r


def test_the_benchmark_reports_each_later_batch_of_hand_rows_apart() -> None:
    from benchmarks import search as bench

    def row(title: str, expected: str, note: str, source: str = "hand") -> dict[str, str]:
        return {"title": title, "expected": expected, "source": source, "split": "dev",
                "leave_out": "", "note": note}

    rows = [row("compta", "M1203", "abbreviated (Comptable)"),
            row("comptabe", "M1203", "2026-12-08h: misspelt (Comptable)"),
            row("cariste", "N1101", "2026-12-08h: trade word (Conducteur de chariot)"),
            row("x", "M1203", "2026-12-08h: looks like a batch", source="http://esco/x")]
    answers = {"compta": ["M1203"], "comptabe": ["A1101", "M1203"], "cariste": [], "x": []}
    acc = bench.accuracy(lambda r: answers[r["title"]], rows)["dev"]
    assert acc["hand"] == {"titles": 3, "top1": 0.333, "top5": 0.667}
    # the later batch alone; an ESCO row's note never makes a batch
    assert acc["hand 2026-12-08h"] == {"titles": 2, "top1": 0.0, "top5": 0.5}
    assert bench.batch(rows[0]) is None and bench.batch(rows[3]) is None
