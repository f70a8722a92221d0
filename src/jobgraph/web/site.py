"""What the web application serves from: a backend, and answers cached for as long as the store
they were read from (its manifest's fingerprint) stays the same."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib.term import Node

from ..backends import Backend, Result
from ..findings import ValidationReport
from ..terms import nt

if TYPE_CHECKING:
    from ..search.engine import Engine

CACHE_SIZE = 4096  # answers kept (a job page asks 2 to 4): the shipped data's pages fit
REMOTE_TTL = 600.0  # seconds a server's answer is kept: its data may change under us


class CachedBackend:
    """A backend whose answers are kept, keyed by the query, its bindings and the data's version:
    the store is read-only while it is served, so the same question has the same rows."""

    def __init__(self, inner: Backend, version: Callable[[], str], *,
                 size: int = CACHE_SIZE) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = version
        self.size = size
        self._rows: OrderedDict[tuple[str, str, tuple[tuple[str, str], ...]], Result] = \
            OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        # the career answers' readers, kept from one question to the next (a competence gap or
        # an English page then reads only the facts no earlier question read)
        from ..careers.answers import SharedReaders

        self.readers = SharedReaders(self, version)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> Result:
        key = (self.version(), query,
               tuple(sorted((k, nt(v)) for k, v in (bindings or {}).items())))
        with self._lock:
            found = self._rows.get(key)
            if found is not None:
                self._rows.move_to_end(key)
                self.hits += 1
        if found is None:
            found = self.inner.select(query, bindings)
            with self._lock:
                self.misses += 1
                self._rows[key] = found
                while len(self._rows) > self.size:
                    self._rows.popitem(last=False)
        # each caller gets its own lists (the terms are immutable)
        return Result(list(found.variables), list(found.rows))


@dataclass
class Site:
    """The data a running application answers from.

    ``version`` names the data (the embedded store's fingerprint, or the endpoint and a time
    slot): every cache below is keyed by it, so a rebuilt store is never answered from an old
    cache. ``validation`` runs the checks a maintainer reads on the referential pages.
    """

    backend: Backend
    version: Callable[[], str]
    validation: Callable[[], ValidationReport]
    where: str
    # the search engine's index cache (the store's cache folder) and the name of the data it is
    # kept under; an endpoint's index lives in memory, named by what the server returns
    search_cache: Path | None = None
    search_key: Callable[[], str | None] = lambda: None
    # the data folder whose ROME vectors the index takes (search/vectors.py)
    search_data: Path | None = None
    _memo: dict[tuple[str, str], Any] = field(default_factory=dict)
    # per name, its values by (version, key), the latest used last
    _lru: dict[str, OrderedDict[tuple[str, str], Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def engine(self) -> Engine:
        """The free-text search engine (``jobgraph search``'s) over this data, opened once per
        version of the data."""
        from ..search import open_engine

        found: Engine = self.memo("search-engine", lambda: open_engine(
            self.backend, self.search_cache, data_key=self.search_key(),
            data_dir=self.search_data))
        return found

    def memo(self, name: str, make: Callable[[], Any]) -> Any:
        """``make()``, computed once per version of the data (one at a time: they are slow)."""
        key = (name, self.version())
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = make()
        with self._lock:
            for old in [k for k in self._memo if k[0] == name and k != key]:
                del self._memo[old]
            self._memo[key] = value
        return value

    def kept(self, name: str, key: str, make: Callable[[], Any], *, size: int = 512) -> Any:
        """``make()`` for ``key``, kept among the ``size`` latest of ``name`` for this version of
        the data (drawings of paths: one per pair of jobs asked)."""
        full = (self.version(), key)
        with self._lock:
            mine = self._lru.setdefault(name, OrderedDict())
            if full in mine:
                mine.move_to_end(full)
                return mine[full]
        value = make()
        with self._lock:
            mine[full] = value
            while len(mine) > size:
                mine.popitem(last=False)
        return value

    @classmethod
    def embedded(cls, data_dir: Path, store_dir: Path) -> Site:
        """The embedded store of ``store_dir`` (built first when ``data_dir`` changed)."""
        from ..backends import open_store
        from ..validate import validate
        from ..workspace import Workspace

        backend = open_store(data_dir, store_dir)
        manifest = Workspace(store_dir).manifest_path
        seen: dict[str, Any] = {}

        def version() -> str:
            # the manifest is rewritten by each build: read again only when its time changes
            try:
                stamp = manifest.stat().st_mtime_ns
            except OSError:
                return str(seen.get("fingerprint", ""))
            if seen.get("stamp") != stamp:
                import json

                seen["fingerprint"] = json.loads(manifest.read_text()).get("fingerprint", "")
                seen["stamp"] = stamp
            return str(seen["fingerprint"])

        def validation() -> ValidationReport:
            # the OWL check needs Java and runs for seconds: the pages show the other checks
            return validate(data_dir, store_dir=store_dir, reason=False)

        def search_key() -> str | None:
            from ..search import manifest_key

            return manifest_key(Workspace(store_dir).read_manifest())

        return cls(CachedBackend(backend, version), version, validation, str(store_dir),
                   Workspace(store_dir).cache, search_key, data_dir)

    @classmethod
    def remote(cls, backend: Any, url: str, data_dir: Path | None = None) -> Site:
        """A SPARQL endpoint (``remote.EndpointBackend``): answers kept REMOTE_TTL seconds."""
        from ..validate import validate_backend

        def version() -> str:
            return f"{url}#{int(time.time() // REMOTE_TTL)}"

        def validation() -> ValidationReport:
            return validate_backend(backend, where=url, graphs=len(backend.graphs()),
                                    data_dir=data_dir)

        return cls(CachedBackend(backend, version), version, validation, url,
                   search_data=data_dir)


__all__ = ["CACHE_SIZE", "REMOTE_TTL", "CachedBackend", "Site"]
