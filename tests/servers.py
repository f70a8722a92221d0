"""Private SPARQL servers for tests: Virtuoso 7.2 and Oxigraph server on 127.0.0.1, free ports.

The processes are managed by benchmarks/servers.py (shared with the remote benchmark); here are
the fixtures. In CI (``CI=true``) a server that is missing or cannot start fails the tests that
need it; elsewhere a missing server skips them, with the command that installs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from benchmarks.servers import MAKERS, Server, ServerUnavailable, free_port

from jobgraph.remote import RetryPolicy

__all__ = ["IN_CI", "TEST_RETRY", "Server", "free_port", "responsive", "started", "unavailable"]

IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
# tests wait less than users would: a fault shows in seconds, not minutes
TEST_RETRY = RetryPolicy(attempts=3, first_delay=0.2, max_delay=1.0, budget=30.0)


def unavailable(exc: ServerUnavailable) -> NoReturn:
    """Fail in CI, skip elsewhere, saying how to install the server."""
    if IN_CI:
        pytest.fail(str(exc))
    pytest.skip(str(exc))


def started(kind: str, workdir: Path, **options: Any) -> Server:
    try:
        server = MAKERS[kind](workdir, **options)
    except ServerUnavailable as exc:
        unavailable(exc)
    server.retry = TEST_RETRY
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        server.kill()
        pytest.fail(f"{kind} could not start: {exc}")
    return server


def responsive(server: Server) -> Server:
    """The server, restarted first if an earlier test crashed it or left it hung."""
    if not server.alive() or not server.answers():
        server.kill()
        try:
            server.start()
        except (RuntimeError, OSError) as exc:
            pytest.fail(f"{server.kind} could not restart: {exc}")
    return server


@pytest.fixture(scope="session")
def virtuoso_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = started("virtuoso", tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oxigraph_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = started("oxigraph", tmp_path_factory.mktemp("oxigraph"))
    yield server
    server.stop()


@pytest.fixture
def virtuoso(virtuoso_session: Server) -> Server:
    """The session's private Virtuoso, answering."""
    return responsive(virtuoso_session)


@pytest.fixture
def oxigraph_server(oxigraph_session: Server) -> Server:
    """The session's private Oxigraph server, answering."""
    return responsive(oxigraph_session)


@pytest.fixture(params=["virtuoso", "oxigraph"])
def server(request: pytest.FixtureRequest) -> Server:
    """Each of the two session servers in turn."""
    name = "virtuoso" if request.param == "virtuoso" else "oxigraph_server"
    value: Server = request.getfixturevalue(name)
    return value


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Servers of one test's own (to kill, restart or fill), stopped at the end of the test."""
    made: list[Server] = []

    def make(kind: str, **options: Any) -> Server:
        server = started(kind, tmp_path_factory.mktemp(f"own-{kind}"), **options)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()
