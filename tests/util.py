"""Helpers shared by jobgraph's tests: a copy of the mini data set, running the CLI in-process."""

from __future__ import annotations

import io
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
