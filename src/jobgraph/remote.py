"""Remote SPARQL servers: stored queries through SPARQLWrapper, and pushing the named graphs."""

from __future__ import annotations

import ast
import contextlib
import http.client
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from .backends import Result
from .errors import EndpointError, UsageError
from .namespaces import GRAPH, JGID, graph_iri
from .sparql import bind_for_server, with_values
from .terms import Row, from_json

GRAPH_PREFIX = str(graph_iri(""))
"""Every graph jobgraph pushes is named under this prefix; queries read their union."""
TEMP_PREFIX = f"{JGID}push-temp/"
"""Temporary graphs of a push: outside GRAPH_PREFIX, so no reader of jobgraph's graphs sees them."""
DEFAULT_TIMEOUT = 60.0
JSON_RESULTS = "application/sparql-results+json"
GSP_CHUNK_BYTES = 4_000_000
UPDATE_CHUNK_BYTES = 250_000  # Oxigraph server refuses SPARQL bodies over 1 MiB
TEMPLATE_CHUNK_BYTES = 40_000
_DURATION = b"<http://www.w3.org/2001/XMLSchema#duration>"
PROGRESS_MIN_TRIPLES = 20_000

_IRI_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$")
_BNODE_TOKEN_RE = re.compile(rb"^_:[^\s\"<>@^]+$")
# Virtuoso reports a query it cannot run as HTTP 500 with an SQL state: that is no transient error
_VIRTUOSO_ERROR_RE = re.compile(r"^Virtuoso (?!40001|S1T00)[0-9A-Z]{5} Error")
_NOT_GSP = (404, 405, 415, 501)


# --- where and how to reach a server --------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    """Retries of a request after a transient failure: bounded in count and in seconds."""

    attempts: int = 4
    first_delay: float = 0.5
    max_delay: float = 8.0
    budget: float = 180.0

    def delays(self) -> Iterator[float]:
        delay = self.first_delay
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_delay)


@dataclass(frozen=True)
class Endpoint:
    """A SPARQL server's URLs and credentials; the password is kept out of ``repr``."""

    query: str
    update: str | None = None
    gsp: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        for url in (self.query, self.update, self.gsp):
            if url is not None and urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise UsageError(f"endpoint URL must start with http:// or https://, got "
                                 f"{safe_url(url)!r}")
        if self.timeout <= 0:
            raise UsageError("the timeout must be a positive number of seconds")

    @property
    def update_url(self) -> str:
        return self.update or self.query


def safe_url(url: str) -> str:
    """The URL without any ``user:password@`` part, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _excerpt(body: bytes, limit: int = 300) -> str:
    text = body.decode("utf-8", "replace")
    text = re.sub(r"<[^>]+>", " ", text) if "<html" in text[:500].lower() else text
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


class HttpStatusError(EndpointError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int, headers: Message | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


class _Transient(Exception):
    """A failure worth another try (timeout, 5xx, connection reset)."""

    def __init__(self, message: str, status: int | None = None, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.timeout = timeout


def _with_retries(attempt: Callable[[], Any], policy: RetryPolicy,
                  sleep: Callable[[float], None] = time.sleep, *,
                  retry_timeouts: bool = True) -> Any:
    """``attempt()`` until it succeeds, raises a final error, or the policy is spent."""
    start = time.monotonic()
    delays = policy.delays()
    while True:
        try:
            return attempt()
        except _Transient as exc:
            delay = next(delays, None) if retry_timeouts or not exc.timeout else None
            if delay is None or time.monotonic() - start + delay > policy.budget:
                status = f" (HTTP {exc.status})" if exc.status else ""
                if exc.timeout and not retry_timeouts:
                    raise EndpointError(f"{exc} (raise --timeout for a long query)") from None
                tries = policy.attempts - sum(1 for _ in delays) if delay is not None else \
                    policy.attempts
                raise EndpointError(f"{exc}{status}; gave up after {tries} attempt(s) in "
                                    f"{time.monotonic() - start:.0f} s") from None
            sleep(delay)


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes


class Http:
    """HTTP requests to one server: Basic or Digest authentication as the server asks, retries."""

    def __init__(self, endpoint: Endpoint, sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint = endpoint
        self.sleep = sleep
        self.plain = urllib.request.build_opener()
        if endpoint.user is not None:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in (endpoint.query, endpoint.update, endpoint.gsp):
                if url is not None:
                    manager.add_password(None, url, endpoint.user, endpoint.password or "")
            self.authed = urllib.request.build_opener(
                urllib.request.HTTPDigestAuthHandler(manager),
                urllib.request.HTTPBasicAuthHandler(manager))
        else:
            self.authed = self.plain

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None, params: Sequence[tuple[str, str]] = (),
                timeout: float | None = None, retry: bool = True, auth: bool = True,
                what: str = "request") -> Response:
        """One request; transient failures retried (when ``retry``), others raise EndpointError."""
        full = url
        if params:
            full += ("&" if "?" in url else "?") + urllib.parse.urlencode(list(params))
        opener = self.authed if auth else self.plain
        wait = timeout or self.endpoint.timeout

        def attempt() -> Response:
            req = urllib.request.Request(full, data=body, method=method, headers=headers or {})
            try:
                with opener.open(req, timeout=wait) as resp:
                    return Response(resp.status, resp.headers, resp.read())
            except urllib.error.HTTPError as exc:
                raise self._http_error(exc, what, url) from None
            except TimeoutError:
                raise _Transient(f"{what}: no answer from {safe_url(url)} within {wait:g} s",
                                 timeout=True) from None
            except urllib.error.URLError as exc:
                raise self._url_error(exc, what, url, wait) from None
            except (ConnectionError, http.client.HTTPException) as exc:
                raise _Transient(f"{what}: connection to {safe_url(url)} lost "
                                 f"({type(exc).__name__})") from None

        if not retry:
            try:
                result: Response = attempt()
            except _Transient as exc:
                status = f" (HTTP {exc.status})" if exc.status else ""
                raise EndpointError(f"{exc}{status}") from None
            return result
        response: Response = _with_retries(attempt, self.endpoint.retry, self.sleep)
        return response

    def _http_error(self, exc: urllib.error.HTTPError, what: str, url: str) -> Exception:
        try:
            detail = _excerpt(exc.read())
        except (OSError, http.client.HTTPException):
            detail = ""
        where = safe_url(url)
        if exc.code in (401, 403):
            return self.credentials_error(where, exc.code, exc.headers)
        if exc.code >= 500 and not _VIRTUOSO_ERROR_RE.match(detail):
            return _Transient(f"{what}: {where} failed: {detail or exc.reason}", exc.code)
        return HttpStatusError(f"{what}: {where} answered HTTP {exc.code}: {detail or exc.reason}",
                               exc.code)

    def credentials_error(self, where: str, code: int,
                          headers: Message | None = None) -> EndpointError:
        if self.endpoint.user is None:
            return HttpStatusError(f"{where} needs credentials (HTTP {code}): give --user and "
                                   "--password-env", code, headers)
        return HttpStatusError(f"{where} refused the credentials of user "
                               f"'{self.endpoint.user}' (HTTP {code})", code, headers)

    @staticmethod
    def _url_error(exc: urllib.error.URLError, what: str, url: str, wait: float) -> Exception:
        reason = exc.reason
        where = safe_url(url)
        if isinstance(reason, TimeoutError):
            return _Transient(f"{what}: no answer from {where} within {wait:g} s", timeout=True)
        if isinstance(reason, ConnectionRefusedError):
            return _Transient(f"{what}: cannot reach {where}: connection refused (is the server "
                              "running?)")
        if isinstance(reason, ConnectionError):
            return _Transient(f"{what}: connection to {where} lost ({type(reason).__name__})")
        if isinstance(reason, socket.gaierror):
            return EndpointError(f"{what}: cannot reach {where}: unknown host")
        return EndpointError(f"{what}: cannot reach {where}: {reason}")


# --- reading a server ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ServerInfo:
    """What the first request to a server told: its name, and how it wants credentials."""

    server: str
    auth_scheme: str | None = None
    realm: str | None = None

    @property
    def is_oxigraph(self) -> bool:
        return self.server.startswith("Oxigraph")

    @property
    def is_virtuoso(self) -> bool:
        return self.server.startswith("Virtuoso")


def _challenge(headers: Message) -> tuple[str | None, str | None]:
    value = headers.get("WWW-Authenticate") or ""
    scheme = value.split(" ", 1)[0].upper() if value else None
    m = re.search(r'realm="([^"]*)"', value)
    return (scheme if scheme in ("BASIC", "DIGEST") else None), (m.group(1) if m else None)


def probe(http: Http) -> ServerInfo:
    """Check that the query URL is a SPARQL endpoint that lets us in; no retry on a first contact.

    A server that is down, is no SPARQL endpoint, never answers or refuses the credentials gives
    an EndpointError saying which.
    """
    url = http.endpoint.query
    params = [("query", "ASK { ?s ?p ?o }")]
    headers = {"Accept": JSON_RESULTS}
    scheme = realm = None
    try:
        resp = http.request("GET", url, params=params, headers=headers, retry=False, auth=False,
                            what="checking the endpoint")
    except HttpStatusError as exc:
        if exc.status not in (401, 403) or http.endpoint.user is None or exc.headers is None:
            raise
        scheme, realm = _challenge(exc.headers)
        resp = http.request("GET", url, params=params, headers=headers, retry=False,
                            what="checking the endpoint")
    if not _looks_like_results(resp):
        ctype = resp.headers.get_content_type()
        raise EndpointError(f"{safe_url(url)} is not a SPARQL query endpoint: it answered "
                            f"{ctype} ({_excerpt(resp.body, 120)!r}); give the query URL, e.g. "
                            "http://host:8890/sparql (Virtuoso) or http://host:7878/query "
                            "(Oxigraph)")
    return ServerInfo(resp.headers.get("Server", ""), scheme, realm)


def _looks_like_results(resp: Response) -> bool:
    try:
        data = json.loads(resp.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and "head" in data and ("boolean" in data or "results" in data)


def result_from_json(data: dict[str, Any]) -> Result:
    """SPARQL 1.1 Query Results JSON as a Result."""
    variables = [str(v) for v in data.get("head", {}).get("vars", [])]
    rows: list[Row] = []
    for b in data.get("results", {}).get("bindings", []):
        rows.append(tuple(from_json(b[v]) if v in b else None for v in variables))
    return Result(variables, rows)



bind = bind_for_server


_LIST_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
# Virtuoso answers the empty GRAPH pattern with one unbound row: then scan the quads, grouped
# (its plan for SELECT DISTINCT ?g over the same pattern took 80 s on 30,000 triples)
_SCAN_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


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
        self.http = Http(endpoint, sleep)
        self._graphs = list(graphs) if graphs is not None else None
        self._info: ServerInfo | None = None

    def __repr__(self) -> str:
        return f"EndpointBackend({safe_url(self.endpoint.query)!r})"

    @property
    def info(self) -> ServerInfo:
        if self._info is None:
            self._info = probe(self.http)
        return self._info

    def graphs(self) -> list[str]:
        """jobgraph's named graphs on the server, found by a query on its graph names."""
        if self._graphs is None:
            found = self._graph_names(_LIST_GRAPHS, [])
            if found is None:
                found = self._graph_names(_SCAN_GRAPHS, []) or []
            if not found:
                raise EndpointError(f"{safe_url(self.endpoint.query)} holds no jobgraph graph "
                                    f"({GRAPH_PREFIX}*): run 'jobgraph push' first")
            self._graphs = found
        return list(self._graphs)

    def _graph_names(self, query: str, graphs: list[str]) -> list[str] | None:
        rows = self._run(query, graphs).rows
        if rows and all(r[0] is None for r in rows):
            return None
        return sorted(str(r[0]) for r in rows
                      if isinstance(r[0], URIRef) and str(r[0]).startswith(GRAPH_PREFIX))

    def all_graphs(self) -> list[str]:
        """Every named graph of the server (not only jobgraph's)."""
        found = self._all_names(_LIST_GRAPHS)
        return found if found is not None else (self._all_names(_SCAN_GRAPHS) or [])

    def _all_names(self, query: str) -> list[str] | None:
        rows = self._run(query, []).rows
        if rows and all(r[0] is None for r in rows):
            return None
        return sorted(str(r[0]) for r in rows if isinstance(r[0], URIRef))

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> Result:
        """Run a SELECT with ``bindings`` as a VALUES block opening its WHERE group."""
        return self._run(bind(query, bindings or {}), self.graphs())

    def count(self, graph: str) -> int:
        """Triples in one named graph of the server."""
        if self.info.is_virtuoso:
            # Virtuoso 7.2 at times plans a count of one graph at 130 µs a triple (a minute for
            # ROME), while its count of every graph stays at 0.2 s for the whole data set
            return self.counts().get(graph, 0)
        rows = self._run("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                         [], bindings={"g": URIRef(graph)}).rows
        value = rows[0][0] if rows else None
        return int(value.toPython()) if isinstance(value, Literal) else 0

    def counts(self) -> dict[str, int]:
        """Triples in each named graph of the server."""
        return {str(g): int(n.toPython()) for g, n in self._run(_SCAN_GRAPHS, []).rows
                if isinstance(g, URIRef) and isinstance(n, Literal)}

    def _run(self, text: str, graphs: Sequence[str],
             bindings: Mapping[str, Node] | None = None) -> Result:
        from SPARQLWrapper import DIGEST, JSON, POST, SELECT, URLENCODED, SPARQLWrapper
        from SPARQLWrapper import SPARQLExceptions as sx

        info = self.info
        if bindings:
            text = with_values(text, bindings)
        url = self.endpoint.query
        where = safe_url(url)

        def attempt() -> Result:
            w = SPARQLWrapper(url)
            w.setQuery(text)
            # SPARQLWrapper guesses the form from the text and can read "load" in a comment
            w.queryType = SELECT
            w.setMethod(POST)
            w.setRequestMethod(URLENCODED)
            w.setReturnFormat(JSON)
            w.setTimeout(max(1, round(self.endpoint.timeout)))
            for g in graphs:
                w.addDefaultGraph(g)
                w.addNamedGraph(g)
            if info.auth_scheme and self.endpoint.user is not None:
                w.setCredentials(self.endpoint.user, self.endpoint.password or "",
                                 realm=info.realm or "SPARQL")
                w.setHTTPAuth(DIGEST if info.auth_scheme == "DIGEST" else "BASIC")
            try:
                qr = w.query()
                rows_cap = qr.info().get("x-sparql-maxrows")
                partial = qr.info().get("x-sql-state")
                data = qr.convert()
            except sx.QueryBadFormed as exc:
                raise EndpointError(f"{where} rejected the query: {_sw_detail(exc)}") from None
            except sx.Unauthorized:
                raise self.http.credentials_error(where, 401) from None
            except sx.EndPointNotFound:
                raise EndpointError(f"{where} answered HTTP 404: no SPARQL endpoint there") \
                    from None
            except sx.EndPointInternalError as exc:
                detail = _sw_detail(exc)
                if _VIRTUOSO_ERROR_RE.match(detail):
                    raise EndpointError(f"{where} could not run the query: {detail}") from None
                raise _Transient(f"querying {where} failed: {detail}", 500) from None
            except urllib.error.HTTPError as exc:
                if exc.code in (401, 403):
                    raise self.http.credentials_error(where, exc.code) from None
                if exc.code >= 500:
                    raise _Transient(f"querying {where} failed", exc.code) from None
                raise HttpStatusError(f"querying {where}: HTTP {exc.code} {exc.reason}",
                                      exc.code) from None
            except TimeoutError:
                raise _Transient(f"querying {where}: no answer within "
                                 f"{self.endpoint.timeout:g} s", timeout=True) from None
            except urllib.error.URLError as exc:
                raise Http._url_error(exc, "querying", url, self.endpoint.timeout) from None
            except (ConnectionError, http.client.HTTPException) as exc:
                raise _Transient(f"querying {where}: connection lost "
                                 f"({type(exc).__name__})") from None
            if not isinstance(data, dict):
                raise EndpointError(f"{where} did not answer with SPARQL JSON results")
            if partial is not None:
                raise EndpointError(f"{where} returned partial results, its time limit cut the "
                                    f"query ({partial}; Virtuoso: MaxQueryExecutionTime in the "
                                    "[SPARQL] section of virtuoso.ini)")
            if rows_cap is not None:
                raise EndpointError(f"{where} cut the results at {rows_cap} rows (Virtuoso: raise "
                                    "ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)")
            return result_from_json(data)

        # a query that ran out of time would run out of time again: not retried
        result: Result = _with_retries(attempt, self.endpoint.retry, self.http.sleep,
                                       retry_timeouts=False)
        return result


def _sw_detail(exc: Exception) -> str:
    text = str(exc)
    # SPARQLWrapper prefixes its own sentence and the response body
    m = re.search(r"Response:\s*\n?(.*)", text, re.DOTALL)
    body = m.group(1) if m else text
    if body[:2] in ("b'", 'b"'):  # the repr of the bytes it read
        with contextlib.suppress(ValueError, SyntaxError, UnicodeDecodeError):
            body = ast.literal_eval(body.strip()).decode("utf-8", "replace")
    return " ".join(body.split())[:300]


# --- writing a server ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GraphData:
    """One named graph to push, as N-Triples."""

    iri: str
    name: str
    ntriples: bytes
    triples: int


@dataclass
class Pushed:
    """What a push did to one graph."""

    name: str
    iri: str
    triples: int
    seconds: float
    method: str


@dataclass
class PushResult:
    graphs: list[Pushed] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    server: str = ""

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)


Progress = Callable[[str, int, int], None]


def _iri(text: str) -> str:
    """``<iri>`` for a SPARQL Update operation, after checking it cannot close the brackets."""
    if not _IRI_RE.match(text):
        raise UsageError(f"not a valid graph IRI: {text!r}")
    return f"<{text}>"


def temp_graph(iri: str) -> str:
    """The temporary graph a push loads before swapping it in (one per target graph)."""
    name = iri[len(GRAPH_PREFIX):] if iri.startswith(GRAPH_PREFIX) else \
        urllib.parse.quote(iri, safe="")
    return TEMP_PREFIX + name


def chunks(data: bytes, max_bytes: int) -> Iterator[tuple[bytes, int]]:
    """N-Triples cut into pieces of about ``max_bytes``, each with its number of triples.

    Blank nodes are scoped to one request: the triples that share one stay in one piece.
    """
    if b"_:" not in data:
        start = 0
        while start < len(data):
            end = data.rfind(b"\n", start, start + max_bytes) + 1
            if end <= start:
                end = data.find(b"\n", start + max_bytes)
                end = len(data) if end < 0 else end + 1
            cut = data[start:end]
            yield cut, cut.count(b"\n") + (0 if cut.endswith(b"\n") else 1)
            start = end
        return
    lines = [ln for ln in data.split(b"\n") if ln.strip()]
    parent = list(range(len(lines)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[bytes, int] = {}
    for i, line in enumerate(lines):
        for label in _bnodes(line):
            j = owner.setdefault(label, i)
            parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(lines)):
        groups.setdefault(find(i), []).append(i)
    piece: list[bytes] = []
    size = 0
    for members in groups.values():
        part = [lines[i] + b"\n" for i in members]
        part_size = sum(map(len, part))
        if piece and size + part_size > max_bytes:
            yield b"".join(piece), len(piece)
            piece, size = [], 0
        piece += part
        size += part_size
    if piece:
        yield b"".join(piece), len(piece)


def _bnodes(line: bytes) -> list[bytes]:
    out = []
    if line.startswith(b"_:"):
        out.append(line.split(b" ", 1)[0])
    tokens = line.rstrip().rsplit(b" ", 2)
    if len(tokens) == 3 and _BNODE_TOKEN_RE.match(tokens[1]):
        out.append(tokens[1])
    return out


class Pusher:
    """Replaces named graphs of a server, each loaded into a temporary graph and then moved."""

    def __init__(self, endpoint: Endpoint, *, gsp_chunk: int = GSP_CHUNK_BYTES,
                 update_chunk: int = UPDATE_CHUNK_BYTES, progress: Progress | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint = endpoint
        self.backend = EndpointBackend(endpoint, sleep=sleep, graphs=[])
        self.http = self.backend.http
        self.gsp_chunk = gsp_chunk
        self.update_chunk = update_chunk
        self.progress = progress
        self.use_gsp = endpoint.gsp is not None
        self.notes: list[str] = []

    def update(self, text: str, *, retry: bool = True, timeout: float | None = None,
               what: str = "updating") -> None:
        self.http.request("POST", self.endpoint.update_url, body=text.encode("utf-8"),
                          headers={"Content-Type": "application/sparql-update; charset=utf-8"},
                          retry=retry, timeout=timeout, what=what)

    def push(self, graphs: Iterable[GraphData], *, prune: bool = True) -> PushResult:
        """Push every graph; with ``prune``, drop the server's jobgraph graphs not pushed."""
        start = time.perf_counter()
        result = PushResult(server=self.backend.info.server)
        wanted = []
        for g in graphs:
            result.graphs.append(self.push_graph(g))
            wanted.append(g.iri)
        if prune:
            for iri in self.backend.all_graphs():
                if iri.startswith(GRAPH_PREFIX) and iri not in wanted:
                    self.update(f"DROP SILENT GRAPH {_iri(iri)}", what="removing a graph")
                    result.removed.append(iri)
        result.seconds = time.perf_counter() - start
        return result

    def push_graph(self, g: GraphData) -> Pushed:
        """Replace one graph: load a temporary graph, check it, then MOVE it over the target."""
        start = time.perf_counter()
        target, temp = _iri(g.iri), _iri(temp_graph(g.iri))
        self.update(f"DROP SILENT GRAPH {temp}", what=f"preparing {g.name}")
        if g.triples == 0:
            self.update(f"DROP SILENT GRAPH {target}", what=f"emptying {g.name}")
            return Pushed(g.name, g.iri, 0, time.perf_counter() - start, "drop")
        if self.use_gsp and self._unchanged(g):
            if self.progress is not None:
                self.progress(g.name, g.triples, g.triples)
            return Pushed(g.name, g.iri, g.triples, time.perf_counter() - start, "unchanged")
        method = "gsp" if self.use_gsp else "update"
        try:
            done = 0
            size = self.gsp_chunk if self.use_gsp else self.update_chunk
            for piece, n in chunks(g.ntriples, size):
                if self.use_gsp:
                    method = self._post_gsp(temp_graph(g.iri), piece, g.name)
                else:
                    self._insert(temp, piece, g.name)
                done += n
                if self.progress is not None:
                    self.progress(g.name, done, g.triples)
            loaded = self.backend.count(temp_graph(g.iri))
            if loaded != g.triples:
                raise EndpointError(f"{g.name}: the server holds {loaded} triples of the "
                                    f"{g.triples} sent; its graph {g.iri} was left as it was")
        except BaseException:
            self._drop_quietly(temp)
            raise
        self._swap(g, temp, target)
        return Pushed(g.name, g.iri, g.triples, time.perf_counter() - start, method)

    def _unchanged(self, g: GraphData) -> bool:
        """True when the server's graph holds exactly these triples already.

        Rewriting a large graph costs minutes on some servers (Oxigraph server: 80 to 150 s for
        ROME, its MOVE being slow); reading it back through the Graph Store costs seconds. Not on
        Virtuoso, which rewrites ROME in 25 s but takes 10 to 50 s to send it back. Graphs with
        blank nodes are always rewritten (comparing them needs isomorphism), and any doubt
        means rewrite.
        """
        if b"_:" in g.ntriples or g.triples < PROGRESS_MIN_TRIPLES or self.endpoint.gsp is None \
                or self.backend.info.is_virtuoso:
            return False
        try:
            if self.backend.count(g.iri) != g.triples:
                return False
            resp = self.http.request(
                "GET", self.endpoint.gsp, params=[("graph", g.iri)],
                headers={"Accept": "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8"},
                what=f"comparing {g.name}")
        except EndpointError:
            return False
        return _canonical_digest(resp.body, resp.headers.get_content_type()) == \
            _canonical_digest(g.ntriples, "application/n-triples")

    def _insert(self, temp: str, piece: bytes, name: str) -> None:
        # pieces are cut to the Graph Store size when the protocol turns out to be missing
        parts = chunks(piece, self.update_chunk) if len(piece) > self.update_chunk else \
            iter([(piece, 0)])
        for part, _ in parts:
            if b"_:" in part or _DURATION in part:
                # Virtuoso 7.2 refuses blank nodes and xsd:duration literals in INSERT DATA; a
                # template takes them (its blank nodes are fresh, once per request), but
                # Virtuoso compiles it to SQL of bounded length: smaller pieces
                for small, _ in chunks(part, TEMPLATE_CHUNK_BYTES):
                    self.update(f"INSERT {{ GRAPH {temp} {{\n" + small.decode("utf-8")
                                + "} } WHERE { }", what=f"loading {name}")
            else:
                self.update(f"INSERT DATA {{ GRAPH {temp} {{\n" + part.decode("utf-8") + "} }",
                            what=f"loading {name}")

    def _post_gsp(self, graph: str, piece: bytes, name: str) -> str:
        assert self.endpoint.gsp is not None
        params = [("graph", graph)]
        if self.backend.info.is_oxigraph:
            # Oxigraph's bulk loader: not transactional, which the temporary graph does not need
            params.append(("no_transaction", ""))
        try:
            self.http.request("POST", self.endpoint.gsp, body=piece, params=params,
                              headers={"Content-Type": "text/turtle; charset=utf-8"},
                              what=f"loading {name}")
        except HttpStatusError as exc:
            if exc.status not in _NOT_GSP:
                raise
            self.notes.append(f"{safe_url(self.endpoint.gsp)} is no Graph Store endpoint "
                              f"(HTTP {exc.status}): used SPARQL Update")
            self.use_gsp = False
            self._insert(_iri(graph), piece, name)
            return "update"
        return "gsp"

    def _swap(self, g: GraphData, temp: str, target: str) -> None:
        # never retried: a MOVE from a missing graph empties the target on Virtuoso
        try:
            self.update(f"MOVE {temp} TO {target}", retry=False,
                        timeout=max(self.endpoint.timeout, 600.0), what=f"swapping in {g.name}")
        except EndpointError as exc:
            try:
                moved = self.backend.count(g.iri) == g.triples and \
                    self.backend.count(temp_graph(g.iri)) == 0
            except EndpointError:
                moved = False
            if not moved:
                raise EndpointError(f"{exc}; the temporary graph {temp_graph(g.iri)} may remain "
                                    "on the server, the next push replaces it") from None
        final = self.backend.count(g.iri)
        if final != g.triples:
            raise EndpointError(f"{g.name}: after the swap the server's graph holds {final} "
                                f"triples, expected {g.triples}")

    def _drop_quietly(self, temp: str) -> None:
        with contextlib.suppress(EndpointError):
            self.update(f"DROP SILENT GRAPH {temp}", retry=False, timeout=10.0,
                        what="cleaning up")


def _canonical_digest(body: bytes, media_type: str) -> str | None:
    """A digest of the triples of an RDF document, whatever its syntax, escapes and order."""
    import hashlib

    import pyoxigraph as ox

    fmt = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.N_TRIPLES
    try:
        text = ox.serialize(ox.parse(body, format=fmt), format=ox.RdfFormat.N_TRIPLES) or b""
    except (SyntaxError, ValueError):
        return None
    h = hashlib.sha256()
    for line in sorted(text.splitlines()):
        h.update(line)
        h.update(b"\n")
    return h.hexdigest()


def store_graphs(db: Path, *, manifest: dict[str, Any] | None = None) -> list[GraphData]:
    """The named graphs of the embedded store: the ontology first, referentials, ROME last."""
    import pyoxigraph as ox

    return graphs_of(ox.Store.read_only(str(db)), manifest=manifest)


def graphs_of(store: Any, *, manifest: dict[str, Any] | None = None) -> list[GraphData]:
    """The named graphs of a pyoxigraph store, as N-Triples to push."""
    import pyoxigraph as ox

    names = sorted(str(g.value) for g in store.named_graphs())
    order = {str(GRAPH.ONTOLOGY): 0, str(GRAPH.ROME): 2}
    names.sort(key=lambda iri: (order.get(iri, 1), iri))
    counts = {}
    if manifest:
        counts = {v["iri"]: int(v["triples"]) for v in manifest.get("graphs", {}).values()}
    out = []
    for iri in names:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(iri)) or b""
        n = counts.get(iri)
        if n is None or n != data.count(b"\n"):
            n = data.count(b"\n")
        name = iri[len(GRAPH_PREFIX):] if iri.startswith(GRAPH_PREFIX) else iri
        out.append(GraphData(iri, name, data, n))
    return out


def push(graphs: Iterable[GraphData], endpoint: Endpoint, *, progress: Progress | None = None,
         prune: bool = True, gsp_chunk: int = GSP_CHUNK_BYTES,
         update_chunk: int = UPDATE_CHUNK_BYTES) -> PushResult:
    """Replace each graph on the server, through the Graph Store Protocol or SPARQL Update."""
    pusher = Pusher(endpoint, progress=progress, gsp_chunk=gsp_chunk, update_chunk=update_chunk)
    return pusher.push(graphs, prune=prune)


__all__ = ["DEFAULT_TIMEOUT", "GRAPH_PREFIX", "PROGRESS_MIN_TRIPLES", "Endpoint",
           "EndpointBackend",
           "GraphData", "Http", "PushResult", "Pusher", "RetryPolicy", "bind", "chunks", "graphs_of",
           "probe", "push", "result_from_json", "safe_url", "store_graphs", "temp_graph"]
