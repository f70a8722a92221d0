"""Pushing jobgraph's named graphs to a server: every graph loaded into a temporary graph, then
all swapped in by one update request, then (Virtuoso) a checkpoint."""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalogue import internal
from ..errors import EndpointError, UsageError
from ..namespaces import GRAPH
from .backend import GRAPH_PREFIX, TEMP_PREFIX, EndpointBackend
from .client import Endpoint, HttpStatusError, safe_url

GSP_CHUNK_BYTES = 4_000_000
UPDATE_CHUNK_BYTES = 250_000  # Oxigraph server refuses SPARQL bodies over 1 MiB
# Virtuoso 7.2's SPARQL parser ran out of stack ("SP030 … memory exhausted") at 4,992 short
# triples in one INSERT DATA: pieces are cut by count as well as by size
UPDATE_CHUNK_TRIPLES = 2_000
TEMPLATE_CHUNK_BYTES = 40_000
PROGRESS_MIN_TRIPLES = 20_000
SWAP_TIMEOUT = 600.0  # the one request that moves every graph: Oxigraph took 45-100 s for ROME
_DURATION = b"<http://www.w3.org/2001/XMLSchema#duration>"
_IRI_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]*$")
_BNODE_TOKEN_RE = re.compile(rb"^_:[^\s\"<>@^]+$")
_NOT_GSP = (404, 405, 415, 501)


@dataclass(frozen=True)
class GraphData:
    """One named graph to push, as N-Triples."""

    iri: str
    name: str
    ntriples: bytes
    triples: int


@dataclass
class Pushed:
    """What a push did to one graph: ``method`` is how it was loaded (``gsp``, ``update``), or
    ``unchanged`` (the server held the same triples) or ``drop`` (no triple: the graph removed);
    ``seconds`` the time of its load, before the swap."""

    name: str
    iri: str
    triples: int
    seconds: float
    method: str


@dataclass
class PushResult:
    """A push: each graph, the graphs removed, the time of the swap and of the checkpoint."""

    graphs: list[Pushed] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    server: str = ""
    swap_seconds: float = 0.0
    swapped: int = 0  # graphs changed by the swap request (moved, emptied or removed)
    checkpoint_seconds: float | None = None  # None: the server needs none (or was not asked)
    notes: list[str] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)


Progress = Callable[[str, int, int], None]


def _iri(text: str) -> str:
    """``<iri>`` for a SPARQL Update operation, after checking it cannot close the brackets."""
    if not _IRI_RE.match(text):
        raise UsageError(f"not a valid graph IRI: {text[:200]!r}")
    return f"<{text}>"


def temp_graph(iri: str) -> str:
    """The temporary graph a push loads before swapping it in (one per target graph)."""
    name = iri[len(GRAPH_PREFIX):] if iri.startswith(GRAPH_PREFIX) else \
        urllib.parse.quote(iri, safe="")
    return TEMP_PREFIX + name


def chunks(data: bytes, max_bytes: int, max_triples: int | None = None
           ) -> Iterator[tuple[bytes, int]]:
    """N-Triples cut into pieces of about ``max_bytes`` (and at most ``max_triples`` triples),
    each with its number of triples.

    Blank nodes are scoped to one request: the triples that share one stay in one piece.
    """
    if b"_:" not in data and max_triples is None:
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
    limit = max_triples or len(lines) + 1
    piece: list[bytes] = []
    size = 0
    for members in groups.values():
        part = [lines[i] + b"\n" for i in members]
        part_size = sum(map(len, part))
        if piece and (size + part_size > max_bytes or len(piece) + len(part) > limit):
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
    """Replaces named graphs of a server: each loaded into its temporary graph and counted, then
    all moved over their targets in one update request, then (Virtuoso) a checkpoint."""

    def __init__(self, endpoint: Endpoint, *, gsp_chunk: int = GSP_CHUNK_BYTES,
                 update_chunk: int = UPDATE_CHUNK_BYTES, progress: Progress | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint = endpoint
        self.backend = EndpointBackend(endpoint, sleep=sleep, graphs=[])
        self.client = self.backend.client
        self.gsp_chunk = gsp_chunk
        self.update_chunk = update_chunk
        self.progress = progress
        self.use_gsp = endpoint.gsp is not None
        self.notes: list[str] = []

    def update(self, text: str, *, retry: bool = True, timeout: float | None = None,
               what: str = "updating") -> None:
        self.client.update(text, retry=retry, timeout=timeout, what=what)

    def push(self, graphs: Iterable[GraphData], *, prune: bool = True) -> PushResult:
        """Push every graph; with ``prune``, drop the server's jobgraph graphs not pushed.

        Nothing a reader of jobgraph's graphs sees changes before the swap, one update request
        (``MOVE … ; MOVE … ; DROP …``). Oxigraph server applies it as one transaction; Virtuoso
        7.2 applies it in parts (readers may see some graphs old, some new, for its duration).
        """
        start = time.perf_counter()
        info = self.backend.info
        result = PushResult(server=info.server)
        if self.use_gsp and self.endpoint.gsp is not None:
            self.client.ask_credentials(self.endpoint.gsp)  # before a large body is sent
        staged: list[GraphData] = []
        try:
            for g in graphs:
                pushed = self.stage(g)
                result.graphs.append(pushed)
                if pushed.method != "unchanged":
                    staged.append(g)
            wanted = {p.iri for p in result.graphs}
            stale = [iri for iri in self.backend.all_graphs()
                     if iri.startswith(GRAPH_PREFIX) and iri not in wanted] if prune else []
            durable = info.is_virtuoso and bool(staged or stale)
            if durable:
                # the state before the swap written whole: a crash during the swap then replays
                # nothing of earlier writes (whose replay Virtuoso 7.2 got wrong)
                result.checkpoint_seconds = self.checkpoint(swapped=False)
            swap_start = time.perf_counter()
            self.swap(staged, stale)
        except BaseException:
            for g in staged:
                self._drop_quietly(temp_graph(g.iri))
            raise
        result.swap_seconds = time.perf_counter() - swap_start
        result.swapped = len(staged) + len(stale)
        result.removed = stale
        if durable:
            result.checkpoint_seconds = (result.checkpoint_seconds or 0.0) + self.checkpoint()
        self.verify(staged)
        result.notes = list(self.notes)
        result.seconds = time.perf_counter() - start
        return result

    def stage(self, g: GraphData) -> Pushed:
        """Load one graph into its temporary graph and check it is whole; the target untouched."""
        start = time.perf_counter()
        temp = temp_graph(g.iri)
        self.update(f"DROP SILENT GRAPH {_iri(temp)}", what=f"preparing {g.name}")
        if g.triples == 0:
            return Pushed(g.name, g.iri, 0, time.perf_counter() - start, "drop")
        if self.use_gsp and self._unchanged(g):
            if self.progress is not None:
                self.progress(g.name, g.triples, g.triples)
            return Pushed(g.name, g.iri, g.triples, time.perf_counter() - start, "unchanged")
        method = "gsp" if self.use_gsp else "update"
        try:
            done = 0
            pieces = chunks(g.ntriples, self.gsp_chunk) if self.use_gsp else \
                chunks(g.ntriples, self.update_chunk, UPDATE_CHUNK_TRIPLES)
            for piece, n in pieces:
                if self.use_gsp:
                    method = self._post_gsp(temp, piece, g.name)
                else:
                    self._insert(temp, piece, g.name)
                done += n
                if self.progress is not None:
                    self.progress(g.name, done, g.triples)
            loaded = self.backend.count(temp)
            if loaded != g.triples:
                raise EndpointError(f"{g.name}: the server holds {loaded} triples of the "
                                    f"{g.triples} sent; its graph {g.iri} was left as it was")
        except BaseException:
            self._drop_quietly(temp)
            raise
        return Pushed(g.name, g.iri, g.triples, time.perf_counter() - start, method)

    def swap(self, staged: list[GraphData], stale: list[str]) -> None:
        """One update request: each loaded graph moved over its target, each emptied or stale
        graph dropped. Never retried: on Virtuoso a MOVE from a missing graph empties the target,
        so after a failure the graphs are counted to tell what happened."""
        ops = [f"DROP SILENT GRAPH {_iri(g.iri)}" if g.triples == 0 else
               f"MOVE {_iri(temp_graph(g.iri))} TO {_iri(g.iri)}" for g in staged]
        ops += [f"DROP SILENT GRAPH {_iri(iri)}" for iri in stale]
        if not ops:
            return
        try:
            self.update(" ;\n".join(ops), retry=False,
                        timeout=max(self.endpoint.timeout, SWAP_TIMEOUT),
                        what=f"swapping in {len(ops)} graph(s)")
        except EndpointError as exc:
            state = self._after_failed_swap(staged, stale)
            if state is not None:
                raise EndpointError(f"{exc}; {state}") from None

    def _after_failed_swap(self, staged: list[GraphData], stale: list[str]) -> str | None:
        """What the server holds after a swap request failed; None when the swap was done."""
        try:
            sizes = self.backend.counts() if self.backend.info.is_virtuoso else None

            def size(iri: str) -> int:
                return sizes.get(iri, 0) if sizes is not None else self.backend.count(iri)

            new, old = [], []
            for g in staged:
                if size(g.iri) == g.triples and (g.triples == 0 or size(temp_graph(g.iri)) == 0):
                    new.append(g.name)
                else:
                    old.append(g.name)
            gone = all(size(iri) == 0 for iri in stale)
        except EndpointError:
            return ("the server could not be read afterwards: its graphs may be old or new; "
                    "push again")
        if not old and gone:
            return None  # the request was applied, its answer lost
        if not new:
            return ("no graph was swapped in: the server's graphs are as they were (their "
                    "temporary copies may remain, the next push replaces them)")
        return (f"the server applied part of the request: it holds the new {', '.join(new)} and "
                f"the old {', '.join(old)}; push again")

    def checkpoint(self, *, swapped: bool = True) -> float:
        """Make Virtuoso write a checkpoint: after the swap, so that a crash after the push loses
        nothing; before it, so that a crash during it finds the previous graphs whole."""
        start = time.perf_counter()
        where = safe_url(self.endpoint.update_url)
        when = "the graphs were swapped in, but" if swapped else "nothing was swapped in:"
        try:
            rows = self.backend._run(internal("virtuoso-checkpoint").text, [],
                                     url=self.endpoint.update_url,
                                     timeout=max(self.endpoint.timeout, SWAP_TIMEOUT)).rows
        except EndpointError as exc:
            raise EndpointError(
                f"{when} {where} made no checkpoint ({exc}); without one, a crash before "
                "Virtuoso's next checkpoint (CheckpointInterval in virtuoso.ini, or 'checkpoint;' "
                "in isql) can lose the push: Virtuoso 7.2 was seen to keep part of each graph "
                "after such a crash") from None
        if not rows or str(rows[0][0]) != "0":
            raise EndpointError(f"{when} {where} answered the checkpoint with "
                                f"{[str(t) for t in rows[0]] if rows else 'no row'} instead of 0")
        return time.perf_counter() - start

    def verify(self, staged: list[GraphData]) -> None:
        """Each swapped graph holds what was sent, and no temporary graph is left."""
        sizes = self.backend.counts() if self.backend.info.is_virtuoso else None
        for g in staged:
            final = sizes.get(g.iri, 0) if sizes is not None else self.backend.count(g.iri)
            if final != g.triples:
                raise EndpointError(f"{g.name}: after the swap the server's graph holds {final} "
                                    f"triples, expected {g.triples}")

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
            resp = self.client.request(
                "GET", self.endpoint.gsp, params=[("graph", g.iri)],
                headers={"Accept": "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8"},
                what=f"comparing {g.name}")
        except EndpointError:
            return False
        return _canonical_digest(resp.body, resp.media_type) == \
            _canonical_digest(g.ntriples, "application/n-triples")

    def _insert(self, temp: str, piece: bytes, name: str) -> None:
        # pieces are cut to the Graph Store size when the protocol turns out to be missing
        parts = chunks(piece, self.update_chunk, UPDATE_CHUNK_TRIPLES) \
            if len(piece) > self.update_chunk or piece.count(b"\n") > UPDATE_CHUNK_TRIPLES \
            else iter([(piece, 0)])
        target = _iri(temp)
        for part, _ in parts:
            if b"_:" in part or _DURATION in part:
                # Virtuoso 7.2 refuses blank nodes and xsd:duration literals in INSERT DATA; a
                # template takes them (its blank nodes are fresh, once per request), but
                # Virtuoso compiles it to SQL of bounded length: smaller pieces
                for small, _ in chunks(part, TEMPLATE_CHUNK_BYTES):
                    self.update(f"INSERT {{ GRAPH {target} {{\n" + small.decode("utf-8")
                                + "} } WHERE { }", what=f"loading {name}")
            else:
                self.update(f"INSERT DATA {{ GRAPH {target} {{\n" + part.decode("utf-8")
                            + "} }", what=f"loading {name}")

    def _post_gsp(self, graph: str, piece: bytes, name: str) -> str:
        assert self.endpoint.gsp is not None
        params = [("graph", graph)]
        if self.backend.info.is_oxigraph:
            # Oxigraph's bulk loader: not transactional, which the temporary graph does not need
            params.append(("no_transaction", ""))
        try:
            self.client.request("POST", self.endpoint.gsp, body=piece, params=params,
                                headers={"Content-Type": "text/turtle; charset=utf-8"},
                                what=f"loading {name}")
        except HttpStatusError as exc:
            if exc.status not in _NOT_GSP:
                raise
            self.notes.append(f"{safe_url(self.endpoint.gsp)} is no Graph Store endpoint "
                              f"(HTTP {exc.status}): used SPARQL Update")
            self.use_gsp = False
            self._insert(graph, piece, name)
            return "update"
        return "gsp"

    def _drop_quietly(self, temp: str) -> None:
        with contextlib.suppress(EndpointError, UsageError):
            self.update(f"DROP SILENT GRAPH {_iri(temp)}", retry=False, timeout=10.0,
                        what="cleaning up")


def _canonical_digest(body: bytes, media_type: str) -> str | None:
    """A digest of the triples of an RDF document, whatever its syntax, escapes and order."""
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


__all__ = ["GSP_CHUNK_BYTES", "PROGRESS_MIN_TRIPLES", "UPDATE_CHUNK_BYTES", "GraphData",
           "PushResult", "Pushed", "Pusher", "chunks", "graphs_of", "push", "store_graphs",
           "temp_graph"]
