"""Parity: every stored query, with every parameter set of its tests, gives the same rows on the
embedded store, on Virtuoso 7.2 and on Oxigraph server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobgraph.backends import OxigraphBackend, Result, Row
from jobgraph.catalogue import list_queries
from jobgraph.errors import EndpointError
from jobgraph.remote import GRAPH_PREFIX, EndpointBackend, GraphData, graphs_of, push
from servers import Server, responsive, started
from util import ask_stored as run_stored

try:
    from query_cases import CASES, FIXTURE
except ImportError:  # the stored-query tests' module: its absence fails a test, not the run
    CASES, FIXTURE = {}, None

QUERIES = {q.name: q for q in list_queries()}
LOADED = pytest.StashKey[set[tuple[str, int]]]()  # server processes holding the fixture
# (query, index of the parameter set, parameters); a query without required parameter also runs
# with none
RUNS = [(name, i, params) for name in sorted(QUERIES)
        for i, params in enumerate(CASES.get(name) or
                                   ([{}] if not any(p.required for p in QUERIES[name].params)
                                    else []))]


@pytest.fixture(scope="module")
def fixture_store() -> Any:
    """The fixture data set in an in-memory pyoxigraph store."""
    import pyoxigraph as ox

    assert FIXTURE is not None, "tests/query_cases.py (CASES, FIXTURE) is missing"
    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    return store


@pytest.fixture(scope="module")
def fixture_graphs(fixture_store: Any) -> list[GraphData]:
    import pyoxigraph as ox

    graphs = graphs_of(fixture_store)
    loose = fixture_store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    if loose:  # the embedded store reads the default graph too: push it as a graph of its own
        graphs.append(GraphData(f"{GRAPH_PREFIX}fixture-default", "fixture-default", loose,
                                loose.count(b"\n")))
    assert graphs and all(g.iri.startswith(GRAPH_PREFIX) for g in graphs), \
        f"the fixture's graphs must be named under {GRAPH_PREFIX}"
    return graphs


@pytest.fixture(scope="module")
def embedded(fixture_store: Any) -> OxigraphBackend:
    return OxigraphBackend(fixture_store)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """Servers of this module's own: a query that wedges one must not spoil the other tests."""
    made: dict[str, Server] = {}
    try:
        for kind in ("virtuoso", "oxigraph"):
            made[kind] = started(kind, tmp_path_factory.mktemp(f"parity-{kind}"))
        yield made
    finally:
        for server in made.values():
            server.stop()


@pytest.fixture(params=["virtuoso", "oxigraph"])
def remote(request: pytest.FixtureRequest, servers: dict[str, Server],
           fixture_graphs: list[GraphData]) -> tuple[EndpointBackend, Server]:
    """Each server holding the fixture data set: pushed once per server process."""
    server = responsive(servers[request.param])  # restarted if an earlier query hung it
    loaded: set[tuple[str, int]] = request.config.stash.setdefault(LOADED, set())
    key = (server.query, server.proc.pid if server.proc else 0)
    if key not in loaded:
        push(fixture_graphs, server.endpoint())
        loaded.add(key)
    return EndpointBackend(server.endpoint()), server


def rows(result: Result, lists: frozenset[str] = frozenset()) -> set[tuple[str, ...]]:
    """Rows as a set, typed literals compared by value and numbers as numbers; the items of a
    ``lists`` column (a GROUP_CONCAT, whose order SPARQL leaves to the engine) compared as a
    sorted list (``terms.canonical``)."""
    return set(result.canonical(lists))


def lists_of(name: str) -> frozenset[str]:
    """The columns a stored query declares as lists (``# lists: ?a ?b``)."""
    return QUERIES[name].lists


def _show(result_rows: list[Row], limit: int = 5) -> str:
    return "\n".join(str(tuple(str(t) for t in r)) for r in result_rows[:limit])


def test_every_stored_query_is_compared() -> None:
    assert FIXTURE is not None, "tests/query_cases.py (CASES, FIXTURE) is missing"
    missing = [name for name, q in QUERIES.items()
               if name not in CASES and any(p.required for p in q.params)]
    assert not missing, f"no parameter set in tests/query_cases.py for {missing}"


@pytest.mark.server
@pytest.mark.parametrize(("name", "index", "params"), RUNS,
                         ids=[f"{n}-{i}" for n, i, _ in RUNS])
def test_stored_query_gives_the_same_rows(name: str, index: int, params: dict[str, str],
                                          embedded: OxigraphBackend,
                                          remote: tuple[EndpointBackend, Server]) -> None:
    backend, server = remote
    _, local = run_stored(embedded, name, dict(params))
    try:
        _, there = run_stored(backend, name, dict(params))
    except EndpointError as exc:
        if not server.alive() or not server.answers():
            pytest.fail(f"{name} {params} crashed or hung {server.kind} (log: {server.log})")
        pytest.fail(f"{name} {params} fails on {server.kind}: {exc}")
    assert there.variables == local.variables
    lists = lists_of(name)
    assert rows(there, lists) == rows(local, lists), (
        f"{name} {params} on {server.kind}:\n{len(there.rows)} rows there, e.g.\n"
        f"{_show(there.rows)}\n{len(local.rows)} rows embedded, e.g.\n{_show(local.rows)}")


# --- the web application over a server ----------------------------------------------------------

WEB_PAGES = [
    "/search?q=agent",
    "/job/alpha/agent",
    "/job/alpha/agent/equivalents",
    "/job/alpha/agent/next-steps",
    "/gap?from=alpha/agent&to=beta/conseiller",
    "/path?from=alpha/agent&to=gamma/chef",
    "/rome/M1602",
    "/referentials",
    "/referential/alpha",
]


def _pages(backend: Any, where: str) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from jobgraph.web import Site, create_app
    from jobgraph.web.app import Negotiation

    app = create_app(Site.remote(backend, where))  # as jobgraph serve --endpoint makes it
    app.add_middleware(Negotiation)
    client = TestClient(app, raise_server_exceptions=False)
    out: dict[str, Any] = {}
    for url in WEB_PAGES:
        path, _, query = url.partition("?")
        page = client.get(f"{path}.json" + (f"?{query}" if query else ""))
        assert page.status_code == 200, f"{url} on {where}: {page.status_code} {page.text[:300]}"
        out[url] = page.json()
    return out


def _without(value: Any, keys: frozenset[str]) -> Any:
    """``value`` without the keys that name where the data came from (the endpoint's URL)."""
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


@pytest.mark.server
def test_the_web_pages_are_the_same_over_a_server(embedded: OxigraphBackend,
                                                   remote: tuple[EndpointBackend, Server]) -> None:
    """``jobgraph serve --endpoint``: every kind of page answers from the server what it answers
    from the embedded store (the JSON twin of each page, compared whole)."""
    backend, server = remote
    here = _pages(embedded, "embedded")
    there = _pages(backend, server.query)
    ignore = frozenset({"source", "where", "version"})
    for url in WEB_PAGES:
        assert _without(there[url], ignore) == _without(here[url], ignore), (
            f"{url} on {server.kind}")
