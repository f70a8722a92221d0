"""Helpers shared by jobgraph's tests: a copy of the mini data set, running the CLI in-process."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

from jobgraph.backends import Backend, Result
from jobgraph.catalogue import StoredQuery
from jobgraph.cli import main
from jobgraph.queries import run as run_query

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "data" / "mini"
PROJECT = Path(__file__).resolve().parents[1]


def copy_mini(tmp_path: Path) -> Path:
    """A writable copy of the mini data set: ``<tmp>/data`` with cnc-2019 and mini-ref."""
    target = tmp_path / "data"
    shutil.copytree(MINI, target)
    return target


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` of a fixture file by ``new``; a fixture without it fails loudly
    (the case would test nothing)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(path: Path, text: str) -> None:
    """Add ``text`` at the end of a fixture file."""
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def mini_with_a_double_space(tmp_path: Path) -> Path:
    """The mini data set with a definition holding a doubled space: labels are normalised by the
    loader, free texts are not, so qc:text-whitespace finds it."""
    data = copy_mini(tmp_path)
    jobs = data / "mini-ref" / "jobs.yaml"
    jobs.write_text(jobs.read_text(encoding="utf-8").replace(
        "    missions: [Classer le courrier.]",
        "    definition: Classe  le courrier.\n    missions: [Classer le courrier.]"),
        encoding="utf-8")
    return data


def national_range(aligned: dict[str, str]) -> tuple[int, int]:
    """(lowest, highest) cnc-2019 level numbers of an ``aligned_to`` or ``national_level`` as the
    YAML files write it: one level, or a lowest-highest range."""
    if "level" in aligned:
        assert "lowest" not in aligned and "highest" not in aligned
        low = high = aligned["level"]
    else:
        low, high = aligned["lowest"], aligned["highest"]
    for bound in (low, high):
        assert re.fullmatch(r"cnc-2019/[1-8]", bound), bound
    return int(low.split("/")[1]), int(high.split("/")[1])


def run(*args: str) -> tuple[int, str, str]:
    """Run ``jobgraph ARGS`` in this process; exit code, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ask_stored(backend: Backend, name: str, params: dict[str, str], lang: str = "fr"
               ) -> tuple[StoredQuery, Result]:
    """A stored query run with text parameters as a command line gives them (was
    ``jobgraph.cli.run_stored``): the query and its rows."""
    answer = run_query(backend, name, params, lang=lang)
    return answer.query, answer.result
