"""Where queries run: the embedded pyoxigraph store (default) or rdflib; the Backend protocol
that a SPARQL endpoint (``remote``) implements too."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from rdflib import Dataset as RdfDataset
from rdflib.term import Identifier, Node

from .errors import UsageError
from .guard import StoreDamaged
from .sparql import with_values
from .terms import Row, canonical_rows, from_ox, plain
from .workspace import Workspace


@dataclass
class Result:
    """Rows of a SELECT: variable names and, per row, one rdflib term (or None) per variable."""

    variables: list[str]
    rows: list[Row] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Node | None]]:
        return [dict(zip(self.variables, row, strict=True)) for row in self.rows]

    def canonical(self, lists: Iterable[str] = ()) -> list[tuple[str, ...]]:
        """The rows in the form answers are compared in (``terms.canonical_rows``)."""
        return canonical_rows(self.variables, self.rows, lists)


class Backend(Protocol):
    """Anything that answers a SELECT query over jobgraph's graphs, parameters bound as terms."""

    name: str

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> Result: ...


class OxigraphBackend:
    """The embedded default: a pyoxigraph store on disk (read-only) or in memory."""

    name = "oxigraph"

    def __init__(self, store: Any, workspace: Workspace | None = None) -> None:
        self.store = store
        self.workspace = workspace  # where to record that the store turned out damaged

    @classmethod
    def open(cls, db: Path, *, workspace: Workspace | None = None) -> OxigraphBackend:
        """The database at ``db``, read-only; StoreDamaged when RocksDB cannot open it."""
        import pyoxigraph as ox

        try:
            return cls(ox.Store.read_only(str(db)), workspace)
        except (OSError, RuntimeError) as exc:
            raise _damaged(db, exc, workspace) from None

    @classmethod
    def from_nquads(cls, text: str) -> OxigraphBackend:
        import pyoxigraph as ox

        store = ox.Store()
        store.load(input=text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        return cls(store)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> Result:
        import pyoxigraph as ox

        # pyoxigraph's substitutions only accept projected variables: bind with VALUES instead,
        # in every inner group too (pyoxigraph evaluates a sub-query or UNION on its own)
        try:
            solutions = self.store.query(with_values(query, bindings or {}, nested=True),
                                         use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise UsageError(f"SPARQL syntax error: {exc}") from None
        except (OSError, RuntimeError) as exc:
            raise self._read_error(exc) from None
        if not isinstance(solutions, ox.QuerySolutions):
            raise UsageError("stored queries must be SELECT queries")
        variables = [v.value for v in solutions.variables]
        # the same terms come back in many rows: each is made an rdflib term once
        memo: dict[Any, Node | None] = {}

        def term(t: Any) -> Node | None:
            if t is None:
                return None
            found = memo.get(t)
            if found is None:
                found = memo[t] = from_ox(t)
            return found

        try:
            rows = [tuple(term(sol[v]) for v in variables) for sol in solutions]
        except (OSError, RuntimeError) as exc:
            raise self._read_error(exc) from None
        return Result(variables, rows)

    def select_text(self, query: str) -> list[tuple[str | None, ...]]:
        """The rows of a SELECT as plain text (an IRI, a literal's lexical form), for the
        library's own reads of many values it only parses (careers.reader)."""
        import pyoxigraph as ox

        try:
            solutions = self.store.query(query, use_default_graph_as_union=True)
            if not isinstance(solutions, ox.QuerySolutions):
                raise UsageError("stored queries must be SELECT queries")
            variables = list(solutions.variables)
            return [tuple(None if (t := sol[v]) is None else t.value for v in variables)
                    for sol in solutions]
        except SyntaxError as exc:
            raise UsageError(f"SPARQL syntax error: {exc}") from None
        except (OSError, RuntimeError) as exc:
            raise self._read_error(exc) from None

    def _read_error(self, exc: Exception) -> Exception:
        # RocksDB checks each block it reads: a corrupted file fails the query that reads it
        text = str(exc)
        if not (text.startswith("Corruption") or "IO error" in text):
            return exc
        return _damaged(self.workspace.db if self.workspace else None, exc, self.workspace)


class RdflibBackend:
    """rdflib's in-memory Dataset: the naive baseline, and a second engine to compare answers."""

    name = "rdflib"

    def __init__(self, dataset: RdfDataset) -> None:
        self.dataset = dataset
        self.dataset.default_union = True

    @classmethod
    def from_nquads(cls, text: str) -> RdflibBackend:
        ds = RdfDataset()
        ds.parse(data=text, format="nquads")
        return cls(ds)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> Result:
        # imported here: rdflib's SPARQL parser costs 0.2 s at start, and only this backend uses it
        from rdflib.plugins.sparql import prepareQuery

        try:
            prepared = prepareQuery(query)
        except Exception as exc:  # rdflib raises pyparsing errors
            raise UsageError(f"SPARQL syntax error: {exc}") from None
        init = {k: cast(Identifier, v) for k, v in (bindings or {}).items()}
        res = self.dataset.query(prepared, initBindings=init)
        variables = [str(v) for v in (res.vars or [])]
        rows = [tuple(plain(row[i]) for i in range(len(variables)))  # type: ignore[index]
                for row in res]
        return Result(variables, rows)


def _damaged(db: Path | None, exc: Exception, workspace: Workspace | None) -> StoreDamaged:
    """The store could not be read: recorded beside it (the next command rebuilds it)."""
    reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    if workspace is not None:
        workspace.mark_damaged(reason)
    where = f" in {workspace.root}" if workspace else (f" at {db}" if db else "")
    return StoreDamaged(f"the store{where} cannot be read ({reason}); it is rebuilt from the "
                        "data by the next command (or `jobgraph build`)")


def open_store(data_dir: Path, store_dir: Path) -> OxigraphBackend:
    """The embedded store of ``store_dir`` as a backend, built or rebuilt first from ``data_dir``
    when the data changed since its last build or the store is damaged.

    A store that its checks passed but RocksDB cannot open is recorded as damaged and rebuilt
    once; a build swapping in a new store at that moment is waited for the same way.
    """
    ws = Workspace(Path(store_dir))
    for attempt in (1, 2):
        if attempt == 1 and ws.is_fresh(data_dir):
            db = ws.db  # the store's maker (0.2 s of imports) only when there is work for it
        else:
            from .build import ensure_store

            db, _ = ensure_store(data_dir, store_dir)
        try:
            return OxigraphBackend.open(db, workspace=ws)
        except StoreDamaged:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def same_rows(a: Result, b: Result, *, lists: Iterable[str] = ()) -> bool:
    """Rows equal as multisets, typed literals compared by value; the columns named in ``lists``
    (a query's ``# lists:``, space-separated items in no set order) compared as sorted items."""
    return a.variables == b.variables and a.canonical(lists) == b.canonical(lists)


__all__ = ["Backend", "OxigraphBackend", "RdflibBackend", "Result", "Row", "open_store",
           "same_rows"]
