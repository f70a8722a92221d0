"""The synthetic data generator of benchmarks/: loads, validates, draws on the real ROME."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from benchmarks.generate import SHIPPED_DATA, generate, read_rome, referential

from jobgraph.convert import convert
from jobgraph.load import load
from jobgraph.validate import validate


@pytest.fixture(scope="module")
def synthetic_x1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic-x1")
    generate(out, scale=1, with_rome=False)
    return out / "data"


def _curated_triples(data_dir: Path) -> int:
    graphs = convert(load(data_dir))
    return sum(len(t) for g, t in graphs.items() if not str(g).endswith("/cnc-2019"))


def test_x1_loads_with_five_referentials_of_the_curated_format(synthetic_x1: Path) -> None:
    ds = load(synthetic_x1)
    synthetic = sorted(r for r in ds.referentials if r.startswith("synth-"))
    assert synthetic == [f"synth-{i:04d}" for i in range(1, 6)]
    assert "cnc-2019" in ds.referentials
    for rid in synthetic:
        ref = ds.referentials[rid]
        assert ref.scale is not None and len(ref.scale.levels) >= 6
        assert ref.jobs and ref.families and ref.rome_links and ref.sector is not None
        assert all(job.level for job in ref.jobs)
        assert all(lv.aligned_to and lv.aligned_to.level.startswith("cnc-2019/")
                   for lv in ref.scale.levels)
    jobs = [j for rid in synthetic for j in ds.referentials[rid].jobs]
    assert any(j.scores for j in jobs)
    assert any(j.requires and j.requires_key for j in jobs)
    assert any(j.progresses_to for j in jobs)


def test_x1_validates_without_findings(synthetic_x1: Path, tmp_path: Path) -> None:
    report = validate(synthetic_x1, store_dir=tmp_path / "store", reason=False)
    assert report.conforms()
    assert report.counts() == {"violation": 0, "warning": 0, "info": 0, "accepted": 0}, [
        (f.rule, f.focus) for f in report.findings[:5]]


def test_x1_is_about_the_size_of_the_shipped_referentials(synthetic_x1: Path) -> None:
    shipped = _curated_triples(SHIPPED_DATA)
    synthetic = _curated_triples(synthetic_x1)
    assert 0.7 * shipped <= synthetic <= 1.5 * shipped, (synthetic, shipped)


def test_rome_links_use_codes_of_rome_4(synthetic_x1: Path) -> None:
    path = SHIPPED_DATA / "rome" / "v460" / "unix_referentiel_code_rome_v460_utf8.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        codes = {row["code_rome"] for row in csv.DictReader(fh)}
    used = set()
    for path in synthetic_x1.glob("synth-*/rome.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            used |= {row["rome"] for row in csv.DictReader(fh)}
    assert used and used <= codes


def test_a_referential_depends_on_seed_and_index_only(tmp_path: Path) -> None:
    rome = read_rome(SHIPPED_DATA / "rome")
    assert referential(3, rome, seed=0) == referential(3, rome, seed=0)
    assert referential(3, rome, seed=0) != referential(3, rome, seed=1)
    generate(tmp_path / "a", scale=1, with_rome=False)
    generate(tmp_path / "b", scale=2, with_rome=False)
    a, b = tmp_path / "a" / "data", tmp_path / "b" / "data"
    assert len(list(b.glob("synth-*"))) == 10
    for name in ("referential.yaml", "jobs.yaml", "rome.csv"):
        assert (a / "synth-0005" / name).read_bytes() == (b / "synth-0005" / name).read_bytes()


def test_with_rome_copies_or_links_the_rome_folder(tmp_path: Path) -> None:
    linked = generate(tmp_path / "linked", scale=0.2, link_rome=True)
    assert (linked.data_dir / "rome").is_symlink()
    assert (linked.data_dir / "rome" / "v460").is_dir()
    assert linked.referentials == 1
