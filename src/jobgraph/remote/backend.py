"""A SPARQL endpoint as a backend: the first contact, jobgraph's graphs on the server, stored
queries with their parameters bound, results read the same whatever the server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..backends import Result
from ..catalogue import internal
from ..errors import EndpointError
from ..namespaces import JGID, graph_iri
from ..sparql import bind_for_server, with_values
from ..terms import Row, from_json
from .client import (
    DEFAULT_TIMEOUT,
    JSON_RESULTS,
    Client,
    Endpoint,
    Response,
    RetryPolicy,
    excerpt,
    safe_url,
)

GRAPH_PREFIX = str(graph_iri(""))
"""Every graph jobgraph pushes is named under this prefix; queries read their union."""
TEMP_PREFIX = f"{JGID}push-temp/"
"""Temporary graphs of a push: outside GRAPH_PREFIX, so no reader of jobgraph's graphs sees them."""

bind = bind_for_server


@dataclass(frozen=True)
class ServerInfo:
    """What the first request to a server told: its name (the ``Server`` header)."""

    server: str

    @property
    def is_oxigraph(self) -> bool:
        return self.server.startswith("Oxigraph")

    @property
    def is_virtuoso(self) -> bool:
        return self.server.startswith("Virtuoso")


def probe(client: Client) -> ServerInfo:
    """Check that the query URL is a SPARQL endpoint that lets us in; no retry on a first contact.

    A server that is down, is no SPARQL endpoint, never answers or refuses the credentials gives
    an EndpointError saying which.
    """
    url = client.endpoint.query
    resp = client.request("GET", url, params=[("query", "ASK { ?s ?p ?o }")],
                          headers={"Accept": JSON_RESULTS}, retry=False,
                          what="checking the endpoint")
    if _results(resp) is None:
        raise EndpointError(f"{safe_url(url)} is not a SPARQL query endpoint: it answered "
                            f"{resp.media_type or 'no content type'} "
                            f"({excerpt(resp.body, client.endpoint, 120)!r}); give the query "
                            "URL, e.g. http://host:8890/sparql (Virtuoso) or "
                            "http://host:7878/query (Oxigraph)")
    return ServerInfo(resp.headers.get("server", ""))


def _results(resp: Response) -> dict[str, Any] | None:
    """The body as SPARQL JSON results, or None when it is not."""
    try:
        data = json.loads(resp.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("head"), dict):
        return None
    if "boolean" in data:
        return data
    results = data.get("results")
    if not isinstance(results, dict) or not isinstance(results.get("bindings"), list):
        return None
    return data


def result_from_json(data: dict[str, Any]) -> Result:
    """SPARQL 1.1 Query Results JSON as a Result; a malformed document raises EndpointError."""
    variables = data.get("head", {}).get("vars", [])
    bindings = data.get("results", {}).get("bindings", [])
    if not isinstance(variables, list) or not isinstance(bindings, list):
        raise EndpointError("the server's results are not SPARQL JSON (no list of variables or "
                            "of bindings)")
    names = [str(v) for v in variables]
    rows: list[Row] = []
    for b in bindings:
        if not isinstance(b, dict) or not all(isinstance(b.get(v, {}), dict) for v in names):
            raise EndpointError(f"the server's results hold a binding that is not SPARQL JSON: "
                                f"{str(b)[:200]}")
        rows.append(tuple(from_json(b[v]) if v in b else None for v in names))
    return Result(names, rows)


class EndpointBackend:
    """A SPARQL endpoint as a backend: stored queries run through SPARQLWrapper.

    Stored queries read the union of jobgraph's named graphs as their default graph. Servers
    differ on what the default graph is (Virtuoso: every graph; Oxigraph server, Fuseki, GraphDB:
    a graph of its own), so the backend names the graphs in the request, with the protocol's
    ``default-graph-uri`` (and ``named-graph-uri``) parameters, and never changes the query text.
    The graphs are those of the server under ``GRAPH_PREFIX``, found once per backend.
    """

    name = "endpoint"

    def __init__(self, endpoint: str | Endpoint, *, user: str | None = None,
                 password: str | None = None, graphs: Sequence[str] | None = None,
                 timeout: float | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if isinstance(endpoint, str):
            endpoint = Endpoint(endpoint, user=user, password=password,
                                timeout=timeout or DEFAULT_TIMEOUT, retry=retry or RetryPolicy())
        self.endpoint = endpoint
        self.client = Client(endpoint, sleep)
        self._graphs = list(graphs) if graphs is not None else None
        self._info: ServerInfo | None = None

    def __repr__(self) -> str:
        return f"EndpointBackend({safe_url(self.endpoint.query)!r})"

    @property
    def info(self) -> ServerInfo:
        if self._info is None:
            self._info = probe(self.client)
        return self._info

    def graphs(self) -> list[str]:
        """jobgraph's named graphs on the server, found by a query on its graph names."""
        if self._graphs is None:
            found = [g for g in self.all_graphs() if g.startswith(GRAPH_PREFIX)]
            if not found:
                raise EndpointError(f"{safe_url(self.endpoint.query)} holds no jobgraph graph "
                                    f"({GRAPH_PREFIX}*): run 'jobgraph push' first")
            self._graphs = found
        return list(self._graphs)

    def all_graphs(self) -> list[str]:
        """Every named graph of the server (not only jobgraph's)."""
        rows = self._run(internal("graph-names").text, []).rows
        if rows and all(r[0] is None for r in rows):
            # Virtuoso answers the empty GRAPH pattern with one unbound row: scan the quads
            return sorted(self.counts())
        return sorted(str(r[0]) for r in rows if isinstance(r[0], URIRef))

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> Result:
        """Run a SELECT with ``bindings`` opening its WHERE group (``sparql.bind_for_server``)."""
        return self._run(bind(query, bindings or {}), self.graphs())

    def count(self, graph: str) -> int:
        """Triples in one named graph of the server."""
        if self.info.is_virtuoso:
            # Virtuoso 7.2 at times plans a count of one graph at 130 µs a triple (a minute for
            # ROME), while its count of every graph stays at 0.2 s for the whole data set
            return self.counts().get(graph, 0)
        rows = self._run(internal("graph-size").text, [], bindings={"g": URIRef(graph)}).rows
        value = rows[0][0] if rows else None
        return int(value.toPython()) if isinstance(value, Literal) else 0

    def counts(self) -> dict[str, int]:
        """Triples in each named graph of the server."""
        return {str(g): int(n.toPython()) for g, n in self._run(internal("graph-sizes").text,
                                                                 []).rows
                if isinstance(g, URIRef) and isinstance(n, Literal)}

    def _run(self, text: str, graphs: Sequence[str],
             bindings: Mapping[str, Node] | None = None, *, url: str | None = None,
             timeout: float | None = None) -> Result:
        """A SELECT as it is (``bindings`` in one VALUES block) over ``graphs``, sent to the query
        URL (or ``url``)."""
        _ = self.info  # the first contact says what is wrong better than a query would
        if bindings:
            text = with_values(text, bindings)
        resp = self.client.query(text, graphs, url=url, timeout=timeout)
        where = safe_url(url or self.endpoint.query)
        partial = resp.headers.get("x-sql-state")
        if partial is not None:
            raise EndpointError(f"{where} returned partial results, its time limit cut the "
                                f"query ({partial}; Virtuoso: MaxQueryExecutionTime in the "
                                "[SPARQL] section of virtuoso.ini)")
        rows_cap = resp.headers.get("x-sparql-maxrows")
        if rows_cap is not None:
            raise EndpointError(f"{where} cut the results at {rows_cap} rows (Virtuoso: raise "
                                "ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)")
        data = _results(resp)
        if data is None:
            raise EndpointError(f"{where} answered HTTP {resp.status} with "
                                f"{resp.media_type or 'no content type'} that is not SPARQL JSON "
                                f"results ({excerpt(resp.body, self.endpoint, 120)!r}); is it a "
                                "SPARQL endpoint, or a proxy's page?")
        return result_from_json(data)


__all__ = ["GRAPH_PREFIX", "TEMP_PREFIX", "EndpointBackend", "ServerInfo", "bind", "probe",
           "result_from_json"]
