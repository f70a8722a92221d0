"""Shared pytest fixtures: the private SPARQL servers of tests/servers.py, the shipped store."""

from pathlib import Path

import pytest

pytest_plugins = ["servers"]


@pytest.fixture(scope="session")
def shipped_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped data (``data/``) built once per session into a store of its own (~20 s).

    Tests only read it: ``OxigraphBackend.open(shipped_store / "store" / "db")``, or
    ``--store`` on the command line.
    """
    from jobgraph.build import build

    store_dir = tmp_path_factory.mktemp("shipped-store")
    build(Path(__file__).resolve().parents[1] / "data", store_dir=store_dir)
    return store_dir
