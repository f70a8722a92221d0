"""Shared pytest fixtures: the private SPARQL servers of tests/servers.py, the shipped store."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

pytest_plugins = ["servers"]

# hypothesis keeps its caches (and an example database, which the tests turn off) in
# .hypothesis/ under the working directory: kept out of the repository, so that a run writes
# nothing there and CI's runs do not depend on an earlier one
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "jobgraph-hypothesis")


@pytest.fixture(scope="session", autouse=True)
def vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The search engine's cache of embeddings (search/vectors.py), one folder for the run and
    not the user's: every store of the run (and every command the tests start) shares it, so the
    referentials' labels are embedded once a run, ROME's titles never (they are shipped).
    A JOBGRAPH_VECTOR_CACHE set before the run is kept (a CI may keep one between runs)."""
    chosen = os.environ.get("JOBGRAPH_VECTOR_CACHE")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("vectors")
    os.environ["JOBGRAPH_VECTOR_CACHE"] = str(folder)
    yield folder
    if chosen is None:
        del os.environ["JOBGRAPH_VECTOR_CACHE"]


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


@pytest.fixture(scope="session")
def shipped_report(shipped_store: Path, tmp_path_factory: pytest.TempPathFactory) -> object:
    """The validation report of the shipped data (SHACL and QC, without the OWL check), made
    once per session on a copy of ``shipped_store`` (fresh, so not built again). Tests only
    read it."""
    import shutil

    from jobgraph.validate import validate

    store_dir = tmp_path_factory.mktemp("shipped-report") / "store"
    shutil.copytree(shipped_store, store_dir)
    return validate(Path(__file__).resolve().parents[1] / "data", store_dir=store_dir,
                    reason=False)


@pytest.fixture(scope="session")
def web_site(shipped_store: Path) -> object:
    """The web application's Site over the shipped store (``jobgraph.web.Site``)."""
    from jobgraph.web import Site

    return Site.embedded(Path(__file__).resolve().parents[1] / "data", shipped_store)


@pytest.fixture(scope="session")
def web_app(web_site: object) -> object:
    """The application ``jobgraph serve`` runs, over the shipped store (an ASGI app)."""
    from jobgraph.web import create_app
    from jobgraph.web.app import Negotiation

    app = create_app(web_site)  # type: ignore[arg-type]
    app.add_middleware(Negotiation)
    return app
