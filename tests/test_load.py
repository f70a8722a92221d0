"""Bad curated input: each kind gives a message naming file and line, exit code 2, nothing
written."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobgraph.errors import DataError
from jobgraph.load import load
from util import append as _append
from util import copy_mini, run
from util import replace_once as _replace


def _validate(data: Path, store: Path) -> tuple[int, str]:
    code, _, err = run("validate", "--data", str(data), "--store", str(store), "--no-reason")
    return code, err


def _build(data: Path, store: Path, out: Path | None = None) -> tuple[int, str]:
    args = ["build", "--data", str(data), "--store", str(store)]
    if out:
        args += ["-o", str(out)]
    code, _, err = run(*args)
    return code, err


def test_mini_data_loads(tmp_path: Path) -> None:
    ds = load(copy_mini(tmp_path))
    ref = ds.referentials["mini-ref"]
    assert [j.id for j in ref.jobs] == ["agent", "assistant"]
    assert ref.jobs[0].scores == {"savoir": 1, "autonomie": 2}
    assert ref.jobs[0].loc.file == "data/mini-ref/jobs.yaml" and ref.jobs[0].loc.line == 2
    assert ref.rome_links[1].loc.line == 3


def test_ranges_and_national_levels_load(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    _replace(data / "mini-ref/referential.yaml", "{level: cnc-2019/4,",
             "{lowest: cnc-2019/4, highest: cnc-2019/5,")
    _no_scale(data, "{level: cnc-2019/5, basis: estimate, note: Bac+2 (line 4)}")
    ds = load(data)
    scale = ds.referentials["mini-ref"].scale
    assert scale is not None
    one, two = (lv.aligned_to for lv in scale.levels)
    assert one is not None and two is not None
    assert (one.lowest, one.highest, one.level, one.exact) == (
        "cnc-2019/3", "cnc-2019/3", "cnc-2019/3", True)
    assert (two.lowest, two.highest, two.level, two.exact) == (
        "cnc-2019/4", "cnc-2019/5", None, False)
    assert two.loc.line == 31
    dev = ds.referentials["it"].jobs[0]
    assert dev.national_level is not None and dev.national_level.exact
    assert (dev.national_level.level, dev.national_level.basis, dev.national_level.note) == (
        "cnc-2019/5", "estimate", "Bac+2 (line 4)")
    assert str(dev.national_level.loc) == "data/it/jobs.yaml:4"


CASES = {
    "malformed-yaml": (
        lambda d: _replace(d / "mini-ref/jobs.yaml", "    level: I\n", "    level: [I\n"),
        "data/mini-ref/jobs.yaml:", "malformed YAML"),
    "csv-missing-column": (
        lambda d: _replace(d / "mini-ref/rome.csv", "job,rome,relation,basis,rationale",
                           "job,rome,relation,rationale"),
        "data/mini-ref/rome.csv:1", "missing basis"),
    "csv-extra-column": (
        lambda d: _replace(d / "mini-ref/rome.csv", "rationale\n", "rationale,extra\n"),
        "data/mini-ref/rome.csv:1", "unexpected extra"),
    "csv-row-too-long": (
        lambda d: _append(d / "mini-ref/rome.csv", "agent,M1607,closeMatch,curation,a,b\n"),
        "data/mini-ref/rome.csv:4", "6 fields"),
    "latin-1": (
        lambda d: (d / "mini-ref/jobs.yaml").write_bytes(
            (d / "mini-ref/jobs.yaml").read_text(encoding="utf-8").replace(
                "Tenir", "Tenir l'agenda é").encode("latin-1")),
        "data/mini-ref/jobs.yaml:13", "not UTF-8"),
    "empty-file": (
        lambda d: (d / "mini-ref/jobs.yaml").write_text(""),
        "data/mini-ref/jobs.yaml:1", "file is empty"),
    "duplicate-id-across-files": (
        lambda d: (d / "mini-ref/jobs-extra.yaml").write_text(
            "jobs:\n  - id: agent\n    label: Autre agent\n"),
        "data/mini-ref/jobs-extra.yaml:2", "duplicate job id 'agent'"),
    "unknown-job": (
        lambda d: _replace(d / "mini-ref/jobs.yaml", "progresses_to: [assistant]",
                           "progresses_to: [assistante]"),
        "data/mini-ref/jobs.yaml:8", "unknown job 'assistante'"),
    "unknown-level": (
        lambda d: _replace(d / "mini-ref/jobs.yaml", "    level: II\n", "    level: III\n"),
        "data/mini-ref/jobs.yaml:10", "unknown level 'III'"),
    "unknown-criterion": (
        lambda d: _replace(d / "mini-ref/jobs.yaml", "{savoir: 3,", "{savoirs: 3,"),
        "data/mini-ref/jobs.yaml:10", "unknown criterion 'savoirs'"),
    "unknown-competence": (
        lambda d: _replace(d / "mini-ref/jobs.yaml", "    level: II\n",
                           "    level: II\n    requires: [c1]\n"),
        "data/mini-ref/jobs.yaml:10", "unknown competence 'c1'"),
    "progression-cycle": (
        lambda d: _replace(d / "mini-ref/jobs.yaml", "    level: II\n",
                           "    level: II\n    progresses_to: [agent]\n"),
        "data/mini-ref/jobs.yaml:", "progression cycle"),
    "family-broader-self-loop": (
        lambda d: _replace(d / "mini-ref/referential.yaml", "kind: filière, line: 5}",
                           "kind: filière, broader: bureau, line: 5}"),
        "data/mini-ref/referential.yaml:37", "family broader cycle: bureau -> bureau"),
    "family-broader-loop-of-two": (
        lambda d: _replace(d / "mini-ref/referential.yaml", "kind: filière, line: 5}",
                           "kind: filière, broader: accueil, line: 5}\n"
                           "  - {id: accueil, label: Accueil, kind: métier, broader: bureau}"),
        "data/mini-ref/referential.yaml:38", "family broader cycle: accueil -> bureau -> accueil"),
    "score-not-integer": (
        lambda d: _replace(d / "mini-ref/jobs.yaml", "{savoir: 3,", "{savoir: trois,"),
        "data/mini-ref/jobs.yaml:16", "must be a whole number"),
    "unknown-key": (
        lambda d: _replace(d / "mini-ref/jobs.yaml", "    level: II\n", "    levle: II\n"),
        "data/mini-ref/jobs.yaml:15", "unknown key 'levle'"),
    # national levels: aligned_to of a level, national_level of a job
    "range-with-only-lowest": (
        lambda d: _replace(d / "mini-ref/referential.yaml", "{level: cnc-2019/4,",
                           "{lowest: cnc-2019/4,"),
        "data/mini-ref/referential.yaml:31", "aligned_to has 'lowest' but no 'highest'"),
    "range-with-only-highest-in-a-block": (
        lambda d: _replace(d / "mini-ref/referential.yaml",
                           "{level: cnc-2019/4, basis: estimate, note: qualification}",
                           "\n        basis: estimate\n        highest: cnc-2019/5"),
        "data/mini-ref/referential.yaml:33", "aligned_to has 'highest' but no 'lowest'"),
    "level-and-range-at-once": (
        lambda d: _replace(d / "mini-ref/referential.yaml", "{level: cnc-2019/4,",
                           "{level: cnc-2019/4, lowest: cnc-2019/4, highest: cnc-2019/5,"),
        "data/mini-ref/referential.yaml:31", "aligned_to has both 'level' and 'lowest'"),
    "range-unknown-level": (
        lambda d: _replace(d / "mini-ref/referential.yaml", "{level: cnc-2019/4,",
                           "{lowest: cnc-2019/4, highest: cnc-2019/9,"),
        "data/mini-ref/referential.yaml:31", "aligned_to names unknown level 'cnc-2019/9'"),
    "range-upside-down": (
        lambda d: _replace(d / "mini-ref/referential.yaml", "{level: cnc-2019/4,",
                           "{lowest: cnc-2019/5, highest: cnc-2019/4,"),
        "data/mini-ref/referential.yaml:31",
        "aligned_to has lowest 'cnc-2019/5' above highest 'cnc-2019/4'"),
    "range-over-two-scales": (
        lambda d: _replace(d / "mini-ref/referential.yaml", "{level: cnc-2019/4,",
                           "{lowest: mini-ref/I, highest: cnc-2019/4,"),
        "data/mini-ref/referential.yaml:31", "aligned_to ranges over two scales"),
    "national-level-in-a-referential-with-a-scale": (
        lambda d: _replace(d / "mini-ref/jobs.yaml", "    level: I\n",
                           "    level: I\n"
                           "    national_level: {level: cnc-2019/3, basis: estimate}\n"),
        "data/mini-ref/jobs.yaml:7", "job 'agent' has national_level, but referential 'mini-ref' "
        "has a scale"),
    "national-level-unknown-level": (
        lambda d: _no_scale(d, "{lowest: cnc-2019/4, highest: cnc-2019/9, basis: estimate}"),
        "data/it/jobs.yaml:4", "national_level names unknown level 'cnc-2019/9'"),
    "national-level-with-only-lowest": (
        lambda d: _no_scale(d, "{lowest: cnc-2019/4, basis: estimate}"),
        "data/it/jobs.yaml:4", "national_level has 'lowest' but no 'highest'"),
    "national-level-basis": (
        lambda d: _no_scale(d, "{level: cnc-2019/4, basis: guess}"),
        "data/it/jobs.yaml:4", "national_level: basis 'guess' is not one of official, estimate"),
    "national-level-without-level": (
        lambda d: _no_scale(d, "{basis: estimate, note: Bac+2}"),
        "data/it/jobs.yaml:4", "national_level names no level"),
}


def _no_scale(data: Path, national_level: str) -> None:
    """A referential without scale (like the IT métiers) whose one job has ``national_level``."""
    (data / "it").mkdir()
    (data / "it" / "referential.yaml").write_text(
        "id: it\ntitle: Métiers sans échelle\nsector: {id: it, label: Informatique}\n",
        encoding="utf-8")
    (data / "it" / "jobs.yaml").write_text(
        f"jobs:\n  - id: dev\n    label: Développeur\n    national_level: {national_level}\n",
        encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_names_file_and_line_and_exits_2(case: str, tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    mutate, where, what = CASES[case]
    mutate(data)
    store = tmp_path / "store"
    code, err = _validate(data, store)
    assert code == 2, err
    assert where in err and what in err, err
    assert "[ERROR]" in err
    assert not store.exists(), "nothing may be written when the input is bad"
    out = tmp_path / "graph.trig"
    code, err = _build(data, store, out)
    assert code == 2 and where in err
    assert not out.exists() and not store.exists()


def test_failed_build_leaves_previous_store_whole(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    store = tmp_path / "store"
    assert _build(data, store)[0] == 0
    before = sorted(p.name for p in (store / "store").iterdir())
    manifest = (store / "store" / "manifest.json").read_text()
    _replace(data / "mini-ref/jobs.yaml", "{savoir: 3,", "{savoir: trois,")
    assert _build(data, store)[0] == 2
    assert (store / "store" / "manifest.json").read_text() == manifest
    assert sorted(p.name for p in (store / "store").iterdir()) == before
    code, out, _ = run("query", "level-ladder", "--data", str(copy_mini(tmp_path / "b")),
                       "--store", str(store), "--param",
                       "referential=https://w3id.org/jobgraph/id/mini-ref", "--format", "csv")
    assert code == 0 and "Agent de bureau" in out


def test_large_file_is_refused_without_parsing(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data = copy_mini(tmp_path)
    big = data / "mini-ref" / "jobs.yaml"
    text = big.read_text(encoding="utf-8")
    filler = "# " + "x" * 1021 + "\n"
    with big.open("w", encoding="utf-8") as fh:
        fh.write(text)
        for _ in range(50 * 1024):  # 50 MB of comment lines
            fh.write(filler)
    assert big.stat().st_size > 50 * 1024 * 1024
    with pytest.raises(DataError) as exc:
        load(data)
    assert "data/mini-ref/jobs.yaml" in str(exc.value) and "MiB" in str(exc.value)
    code, err = _validate(data, tmp_path / "store")
    assert code == 2 and "above the 16 MiB limit" in err


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    _replace(data / "mini-ref/jobs.yaml", "{savoir: 3,", "{savoirs: 3,")
    _replace(data / "mini-ref/jobs.yaml", "families: [bureau]", "families: [bureaux]")
    with pytest.raises(DataError) as exc:
        load(data)
    messages = [p.message for p in exc.value.problems]
    assert any("savoirs" in m for m in messages) and any("bureaux" in m for m in messages)
