"""Helpers shared by jobgraph's tests: a copy of the mini data set, running the CLI in-process."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from jobgraph.cli import main

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
