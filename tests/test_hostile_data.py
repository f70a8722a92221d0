"""Hostile data (issue #19): every case exits 2 from `build` and `validate`, with a message naming
the file (and the line where there is one), no traceback, bounded time and memory, and the store
left as it was. Then random damage to the fixture files (hypothesis): the loader either loads the
data, which then converts, or raises DataError; nothing else.
"""

from __future__ import annotations

import os
import shutil
import string
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobgraph.convert import convert
from jobgraph.errors import DataError
from jobgraph.load import MAX_ALIASES, MAX_DEPTH, MAX_VALUES, load
from jobgraph.rome import FICHES, TREE, RomeFile, _Checks
from util import MINI, PROJECT, copy_mini, run

ROME = PROJECT / "data" / "rome"
JOBS = "mini-ref/jobs.yaml"


def snapshot(store: Path) -> dict[str, tuple[int, int]]:
    """Every file of a store with its size and modification time."""
    return {p.relative_to(store).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(store.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the mini data; each case runs on a copy of it."""
    root = tmp_path_factory.mktemp("hostile")
    store = root / "store"
    code, _, err = run("build", "--data", str(copy_mini(root)), "--store", str(store))
    assert code == 0, err
    return store


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _cut(path: Path, keep_lines: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:keep_lines]), encoding="utf-8")


def alias_bomb(d: Path) -> None:
    # "billion laughs": 10 levels of 10 aliases, 10^10 values once expanded
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    (d / JOBS).write_text("\n".join([*lines, "jobs: *a9", ""]), encoding="utf-8")


def chain(d: Path, n: int, *, cycle: bool) -> None:
    """A progression chain of ``n`` jobs (j0 -> j1 -> ...), closed into a loop if ``cycle``."""
    out = ["jobs:"]
    for i in range(n):
        nxt = f"j{i + 1}" if i + 1 < n else ("j0" if cycle else None)
        out += [f"  - id: j{i}", f"    label: Emploi {i}"]
        if nxt:
            out.append(f"    progresses_to: [{nxt}]")
    (d / JOBS).write_text("\n".join(out) + "\n", encoding="utf-8")
    (d / "mini-ref/rome.csv").write_text("job,rome,relation,basis,rationale\n", encoding="utf-8")


def with_rome(d: Path) -> None:
    shutil.copytree(ROME, d / "rome")


def symlink(target: str, name: str) -> Callable[[Path], None]:
    def make(d: Path) -> None:
        link = d / "mini-ref" / name
        link.unlink(missing_ok=True)
        os.symlink(target, link)
    return make


FICHES_CSV = f"rome/{FICHES.path}"
TREE_CSV = f"rome/{TREE.path}"
DOMAINES_CSV = "rome/v460/unix_domaine_professionnel_v460_utf8.csv"

# case -> (damage done to a copy of the mini data, where, what): ``where`` is the start of the
# problem's line, the file and line it names; ``what`` a part of its message
CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # YAML beyond its limits
    "alias-bomb": (alias_bomb, f"data/{JOBS}:6", "alias *a4 expands to 111,111 values"),
    "nested-too-deep": (
        lambda d: (d / JOBS).write_text("jobs:\n  - " + "[" * 25 + "]" * 25 + "\n"),
        f"data/{JOBS}:2", f"nested more than {MAX_DEPTH} levels"),
    "nested-beyond-libyaml": (  # libyaml's own limit (1,000 levels) comes first
        lambda d: (d / JOBS).write_text("jobs:\n  - " + "[" * 5000 + "]" * 5000 + "\n"),
        f"data/{JOBS}:2", "malformed YAML: exceeded maximum nesting depth"),
    "too-many-values": (
        lambda d: _append(d / JOBS, "filler: [" + "0, " * MAX_VALUES + "]\n"),
        f"data/{JOBS}:18", f"more than {MAX_VALUES:,} values"),
    "too-many-aliases": (
        lambda d: _append(d / JOBS, "a: &a x\nb: [" + "*a, " * (MAX_ALIASES + 1) + "]\n"),
        f"data/{JOBS}:19", f"more than {MAX_ALIASES:,} aliases"),
    "alias-inside-its-anchor": (
        lambda d: _append(d / JOBS, "loop: &l [*l]\n"),
        f"data/{JOBS}:18", "alias *l names no complete anchor before it"),
    "two-documents": (
        lambda d: _append(d / JOBS, "---\njobs: []\n"), f"data/{JOBS}:18",
        "more than one YAML document"),
    "python-tag": (
        lambda d: _edit(d / JOBS, "level: I\n", "level: !!python/name:os.system I\n"),
        f"data/{JOBS}:6", "tag 'tag:yaml.org,2002:python/name:os.system' is not used"),
    "binary-label": (
        lambda d: _edit(d / JOBS, "label: Agent de bureau", "label: !!binary QWdlbnQ="),
        f"data/{JOBS}:3", "tag 'tag:yaml.org,2002:binary' is not used"),
    "set-tag": (
        lambda d: _edit(d / JOBS, "families: [bureau]", "families: !!set {bureau}"),
        f"data/{JOBS}:5", "tag 'tag:yaml.org,2002:set' is not used"),
    # numbers and text out of bounds
    "5000-digit-score": (
        lambda d: _edit(d / JOBS, "{savoir: 3,", "{savoir: " + "9" * 5000 + ","),
        f"data/{JOBS}:16", "a number of 5,000 characters"),
    "score-too-large": (
        lambda d: _edit(d / JOBS, "{savoir: 3,", "{savoir: 30000000,"),
        f"data/{JOBS}:16", "outside 0 to 1,000,000"),
    "negative-rank": (
        lambda d: _edit(d / "mini-ref/referential.yaml", "rank: 2\n", "rank: -2\n"),
        "data/mini-ref/referential.yaml:", "rank' is -2, outside 0 to 1,000,000"),
    "label-too-long": (
        lambda d: _edit(d / JOBS, "label: Agent de bureau", "label: " + "x" * 2400),
        f"data/{JOBS}:3", "2,400 characters long, above the limit of 2,000"),
    "id-too-long": (
        lambda d: _edit(d / JOBS, "id: assistant", "id: " + "a" * 101),
        f"data/{JOBS}:10", "101 characters long, above the limit of 100"),
    "impossible-date": (
        lambda d: _edit(d / "mini-ref/referential.yaml", "2020-01-31", "2020-13-45"),
        "data/mini-ref/referential.yaml:3", "cannot be read as timestamp"),
    # what data/README.md requires, and unknown keys and files
    "no-jobs-yaml": (lambda d: (d / JOBS).unlink(), "[ERROR] data/mini-ref folder",
                     "has no jobs.yaml"),
    "jobs-key-missing": (
        lambda d: _edit(d / JOBS, "jobs:\n", "job:\n"), f"data/{JOBS}:1",
        "unknown key 'job' in the top level of the file (fix: did you mean 'jobs'?"),
    "unknown-top-key-jobs": (
        lambda d: (d / JOBS).write_text("version: 2\n" + (MINI / JOBS).read_text()),
        f"data/{JOBS}:1", "unknown key 'version'"),
    "unknown-top-key-referential": (
        lambda d: _append(d / "mini-ref/referential.yaml", "version: 2\n"),
        "data/mini-ref/referential.yaml:38", "unknown key 'version'"),
    "unknown-top-key-competences": (
        lambda d: (d / "mini-ref/competences.yaml").write_text("frameworks: []\nversion: 2\n"),
        "data/mini-ref/competences.yaml:2", "unknown key 'version'"),
    "unknown-top-key-certifications": (
        lambda d: (d / "mini-ref/certifications.yaml").write_text(
            "certifications: []\nversion: 2\n"),
        "data/mini-ref/certifications.yaml:2", "unknown key 'version'"),
    "unknown-top-key-accepted": (
        lambda d: (d / "mini-ref/accepted-findings.yaml").write_text(
            "version: 2\naccepted: []\n"),
        "data/mini-ref/accepted-findings.yaml:1", "unknown key 'version'"),
    "unknown-key-hint": (
        lambda d: _edit(d / JOBS, "    level: II\n", "    levle: II\n"),
        f"data/{JOBS}:15", "unknown key 'levle' in a job (fix: did you mean 'level'?"),
    "misnamed-file": (
        lambda d: (d / "mini-ref/competence.yaml").write_text("frameworks: []\n"),
        "[ERROR] data/mini-ref/competence.yaml ", "did you mean 'competences.yaml'?"),
    # rome.csv read strictly
    "rome-csv-quote-left-open": (  # the next rows quoted, as a spreadsheet writes them
        lambda d: (_edit(d / "mini-ref/rome.csv", "curation,office clerk work",
                         'curation,"office clerk work'),
                   _edit(d / "mini-ref/rome.csv", "curation,secretarial work",
                         'curation,"secretarial work"')),
        "data/mini-ref/rome.csv:2", "a quote closes a field of the record starting here"),
    "rome-csv-quote-left-open-to-the-end": (
        lambda d: _edit(d / "mini-ref/rome.csv", "curation,office", 'curation,"office'),
        "data/mini-ref/rome.csv:2", "a quote opened in the record starting here is never closed"),
    "rome-csv-quote-left-open-taking-a-row": (
        lambda d: (_edit(d / "mini-ref/rome.csv", "curation,office", 'curation,"office'),
                   _edit(d / "mini-ref/rome.csv", "secretarial work", 'secretarial work"')),
        "data/mini-ref/rome.csv:2", "runs over 2 lines, up to line 3: a quote is left open"),
    "rome-csv-stray-quote": (
        lambda d: _edit(d / "mini-ref/rome.csv", "curation,office", 'curation,"office" clerk'),
        "data/mini-ref/rome.csv:2", "a quote closes a field of the record starting here"),
    "rome-csv-row-too-short": (
        lambda d: _append(d / "mini-ref/rome.csv", "agent,M1607,closeMatch\n"),
        "data/mini-ref/rome.csv:4", "row has 3 fields, the header has 5"),
    # ROME files
    "rome-file-cut-in-half": (
        lambda d: (with_rome(d), _cut(d / FICHES_CSV, 793)),
        f"data/{FICHES_CSV}:793", "after 792 rows: fewer than the 1,400 a whole file has"),
    "rome-file-cut-above-floor": (
        lambda d: (with_rome(d), _cut(d / FICHES_CSV, 1501)),
        f"data/{TREE_CSV}:1502", "fiche 'N1109' is not in unix_referentiel_code_rome"),
    "rome-tree-row-missing": (
        lambda d: (with_rome(d), _edit(d / TREE_CSV, '"M1607"', '"M1699"')),
        f"data/{FICHES_CSV}:1366", "fiche 'M1607' is not in unix_cr_gd_dp_v460_utf8.csv"),
    "rome-main-appellation-missing": (
        lambda d: (with_rome(d), _edit(
            d / "rome/v460/unix_referentiel_appellation_v460_utf8.csv",
            '"Secrétaire","M1607","Emploi Blanc","","","","","PRINCIPALE"',
            '"Secrétaire","M1607","Emploi Blanc","","","","","SYNONYME"')),
        f"data/{FICHES_CSV}:1366", "fiche M1607 has no main appellation (PRINCIPALE)"),
    "rome-column-renamed": (
        lambda d: (with_rome(d), _edit(d / TREE_CSV, '"libelle_rome"', '"libelle"')),
        f"data/{TREE_CSV}:1", "header is not the published one (missing libelle_rome; "
        "unexpected libelle)"),
    "rome-quote-left-open": (
        lambda d: (with_rome(d), _edit(d / DOMAINES_CSV, '"A11","Engins', '"A11","Engins"x')),
        f"data/{DOMAINES_CSV}:2", "a quote closes a field of the record starting here"),
    "rome-row-too-long": (
        lambda d: (with_rome(d), _edit(d / DOMAINES_CSV, '"A11",', '"A11","x",')),
        f"data/{DOMAINES_CSV}:2", "row has 3 fields, the header has 2"),
    "rome-missing-file": (
        lambda d: (with_rome(d), (d / TREE_CSV).unlink()),
        f"[ERROR] data/{TREE_CSV} ", "ROME file missing"),
    "rome-directory-named-csv": (
        lambda d: (with_rome(d), (d / "rome/v460/extra.csv").mkdir()),
        "[ERROR] data/rome/v460/extra.csv ", "is a directory, not a regular file"),
    # files that are not regular files
    "symlink-loop": (symlink("jobs.yaml", "jobs.yaml"), f"[ERROR] data/{JOBS} ",
                     "symbolic link that leads back to itself"),
    "dangling-symlink": (symlink("nowhere.yaml", "competences.yaml"),
                         "[ERROR] data/mini-ref/competences.yaml ",
                         "symbolic link to a missing file (nowhere.yaml)"),
    "directory-named-yaml": (lambda d: (d / "mini-ref/certifications.yaml").mkdir(),
                             "[ERROR] data/mini-ref/certifications.yaml ",
                             "is a directory, not a regular file"),
    "named-pipe": (lambda d: os.mkfifo(d / "mini-ref/jobs-extra.yaml"),
                   "[ERROR] data/mini-ref/jobs-extra.yaml ", "is a named pipe"),
    "dangling-referential-link": (lambda d: os.symlink("gone", d / "other-ref"),
                                  "[ERROR] data/other-ref ", "symbolic link to nothing"),
    # chains
    "progression-cycle-of-1500-jobs": (
        lambda d: chain(d, 1500, cycle=True), f"data/{JOBS}:",
        "progression cycle: j0 -> j1 -> j2 -> j3 -> j4 -> … (1491 more) …"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_data_exits_2_naming_file_and_line(case: str, tmp_path: Path,
                                                   built_store: Path) -> None:
    data = copy_mini(tmp_path)
    damage, where, what = CASES[case]
    damage(data)
    store = tmp_path / "store"
    shutil.copytree(built_store, store)
    before = snapshot(store)
    for command in (["build"], ["validate", "--no-reason"]):
        code, out, err = run(*command, "--data", str(data), "--store", str(store))
        assert code == 2, (command, out, err)
        assert "Traceback" not in err
        lines = [line for line in err.splitlines() if what in line]
        assert lines, (command, err)
        assert lines[0].startswith(where if where.startswith("[") else f"[ERROR] {where}"), \
            (command, lines[0])
        assert snapshot(store) == before, f"{command[0]} changed the store"


def test_a_chain_of_1500_jobs_loads_and_builds(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    chain(data, 1500, cycle=False)
    ds = load(data)
    jobs = ds.referentials["mini-ref"].jobs
    assert len(jobs) == 1500 and jobs[0].progresses_to[0].job == "j1"
    code, out, err = run("build", "--data", str(data), "--store", str(tmp_path / "store"))
    assert code == 0, err
    assert "mini-ref:" in out and "1500 jobs" in out


def test_an_alias_within_the_limits_is_read_as_its_value(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    _edit(data / JOBS, "    missions: [Classer le courrier.]\n",
          "    missions: &m [Classer le courrier.]\n")
    _edit(data / JOBS, "    missions: [Tenir l'agenda.]\n", "    missions: *m\n")
    jobs = load(data).referentials["mini-ref"].jobs
    assert jobs[0].missions == jobs[1].missions == ["Classer le courrier."]


def test_the_shipped_data_has_no_unknown_file_and_each_folder_its_jobs_yaml() -> None:
    ds = load(PROJECT / "data")  # raises on any problem
    for ref in ds.referentials.values():
        assert (ref.folder / "jobs.yaml").is_file()


# --- random damage (hypothesis) ------------------------------------------------------------------

FILES = (JOBS, "mini-ref/referential.yaml", "mini-ref/rome.csv", "cnc-2019/referential.yaml")
WRONG_VALUES = ("[]", "{}", "~", "-1", "1e309", "99999999999999999999999", "''", "true",
                "!!binary AAAA", "&a x", "*a", "[*a, *a]", "2015-13-45", '"', "'", "{a: [b",
                "x: y: z", "- - -", "\t", "!!set {a, b}", "? [a, b]: c", "0x1F", "P6M", "ü" * 3)

line_edit = st.tuples(st.sampled_from(("delete", "duplicate", "swap")), st.integers(0, 80),
                      st.integers(0, 80))
cut = st.tuples(st.just("cut"), st.integers(0, 4000), st.just(0))
noise = st.tuples(st.just("insert"), st.integers(0, 4000),
                  st.one_of(st.binary(min_size=1, max_size=8),
                            st.text(min_size=1, max_size=8),
                            st.text(alphabet=string.punctuation + " \n\t", min_size=1,
                                    max_size=4)))
wrong_type = st.tuples(st.just("value"), st.integers(0, 80), st.sampled_from(WRONG_VALUES))
damage = st.lists(st.tuples(st.sampled_from(FILES), st.one_of(line_edit, cut, noise,
                                                              wrong_type)),
                  min_size=1, max_size=3)


def apply(raw: bytes, op: tuple[str, int, object]) -> bytes:
    kind, at, arg = op
    lines = raw.splitlines(keepends=True) or [b""]
    i = at % len(lines)
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        j = int(arg) % len(lines)  # type: ignore[call-overload]
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "cut":
        return raw[: at % (len(raw) + 1)]
    elif kind == "insert":
        extra = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
        at %= len(raw) + 1
        return raw[:at] + extra + raw[at:]
    elif kind == "value":
        line = lines[i]
        sep = b": " if b": " in line else b","
        head = line.split(sep, 1)[0]
        lines[i] = head + sep + str(arg).encode("utf-8") + b"\n"
    return b"".join(lines)


@settings(max_examples=250, deadline=timedelta(seconds=5), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(damage)
def test_random_damage_gives_a_dataset_or_a_data_error(
        ops: list[tuple[str, tuple[str, int, object]]]) -> None:
    # derandomize and no example database: CI runs the same examples every time (hypothesis's
    # caches go to the temporary directory, tests/conftest.py); a budget of 250 examples, each
    # well under a second, keeps it to ~10 s, and the deadline turns a blow-up (time or memory)
    # into a failure
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(MINI, data)
        for name, op in ops:
            path = data / name
            path.write_bytes(apply(path.read_bytes(), op))
        try:
            ds = load(data)
        except DataError as exc:
            assert exc.problems
            for p in exc.problems:
                assert p.file.startswith(("data/", str(data))) and p.message, p
            return
        convert(ds)  # what loads converts


ROME_SAMPLE = 40  # first lines of a ROME file, the sample the ROME reader is fed


@settings(max_examples=100, deadline=timedelta(seconds=5), derandomize=True, database=None)
@given(st.sampled_from(("v460/unix_referentiel_code_rome_v460_utf8.csv",
                        "v460/unix_rubrique_mobilite_v460_utf8.csv")),
       st.lists(st.one_of(line_edit, cut, noise), min_size=1, max_size=3))
def test_random_damage_to_a_rome_file_gives_rows_or_a_data_error(
        name: str, ops: list[tuple[str, int, object]]) -> None:
    lines = (ROME / name).read_bytes().splitlines(keepends=True)[:ROME_SAMPLE]
    raw = b"".join(lines)
    for op in ops:
        raw = apply(raw, op)
    with tempfile.TemporaryDirectory() as tmp:
        rome = Path(tmp) / "data" / "rome"
        (rome / "v460").mkdir(parents=True)
        (rome / name).write_bytes(raw)
        header = lines[0].decode("utf-8").strip().replace('"', "").split(",")
        checks = _Checks(rome)
        rows = checks.rows(RomeFile(name, tuple(header), floor=0))
        assert all(p.file == f"data/rome/{name}" and p.message for p in checks.problems)
        assert all(len(row) == len(header) for _, row in rows)
        assert [line for line, _ in rows] == sorted({line for line, _ in rows})
        assert all(line >= 2 for line, _ in rows)  # line 1 is the header
