"""Where queries run: the embedded pyoxigraph store (default), an rdflib graph, or a SPARQL endpoint."""

from __future__ import annotations

from collections.abc import Mapping, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from rdflib import BNode, Literal, URIRef
from rdflib import Dataset as RdfDataset
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Identifier, Node

from .errors import ExternalError, UsageError
from .namespaces import XSD

Row = tuple[Node | None, ...]


@dataclass
class Result:
    """Rows of a SELECT: variable names and, per row, one rdflib term (or None) per variable."""

    variables: list[str]
    rows: list[Row] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Node | None]]:
        return [dict(zip(self.variables, row, strict=True)) for row in self.rows]


class Backend(Protocol):
    name: str

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> Result: ...


def _to_ox(term: Node) -> Any:
    import pyoxigraph as ox

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot bind {term!r}")


_XSD_STRING = str(XSD.string)
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _from_ox(term: Any) -> Node | None:
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt in (_XSD_STRING, _LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"unexpected term {term!r}")


class OxigraphBackend:
    """The embedded default: a pyoxigraph store on disk (read-only) or in memory."""

    name = "oxigraph"

    def __init__(self, store: Any) -> None:
        self.store = store

    @classmethod
    def open(cls, db: Path) -> OxigraphBackend:
        import pyoxigraph as ox

        return cls(ox.Store.read_only(str(db)))

    @classmethod
    def from_nquads(cls, text: str) -> OxigraphBackend:
        import pyoxigraph as ox

        store = ox.Store()
        store.load(input=text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        return cls(store)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> Result:
        import pyoxigraph as ox

        from .queries import with_values

        # pyoxigraph's substitutions only accept projected variables: bind with VALUES instead,
        # in every inner group too (pyoxigraph evaluates a sub-query or UNION on its own)
        try:
            solutions = self.store.query(with_values(query, bindings or {}, nested=True),
                                         use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise UsageError(f"SPARQL syntax error: {exc}") from None
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
                found = memo[t] = _from_ox(t)
            return found

        rows = [tuple(term(sol[v]) for v in variables) for sol in solutions]
        return Result(variables, rows)

    def ask(self, query: str) -> bool:
        return bool(self.store.query(query, use_default_graph_as_union=True))


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
        try:
            prepared = prepareQuery(query)
        except Exception as exc:  # rdflib raises pyparsing errors
            raise UsageError(f"SPARQL syntax error: {exc}") from None
        init = {k: cast(Identifier, v) for k, v in (bindings or {}).items()}
        res = self.dataset.query(prepared, initBindings=init)
        variables = [str(v) for v in (res.vars or [])]
        rows = [tuple(row[i] for i in range(len(variables))) for row in res]  # type: ignore[index]
        return Result(variables, [tuple(_norm(t) for t in r) for r in rows])


def _norm(term: Node | None) -> Node | None:
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) == _XSD_STRING:
        return Literal(str(term))
    return term


def same_rows(a: Result, b: Result, *, lists: Iterable[str] = ()) -> bool:
    """Rows equal as multisets, typed literals compared by value; the columns named in ``lists``
    (a query's ``# lists:``, space-separated items in no set order) compared as sorted items."""
    if a.variables != b.variables:
        return False
    listed = {a.variables.index(v.lstrip("?")) for v in lists if v.lstrip("?") in a.variables}
    return sorted(_key(r, listed) for r in a.rows) == sorted(_key(r, listed) for r in b.rows)


def _key(row: Sequence[Node | None], lists: set[int] | None = None) -> tuple[str, ...]:
    out = []
    for i, t in enumerate(row):
        if lists and i in lists and isinstance(t, Literal):
            out.append("L:" + " ".join(sorted(str(t).split())))
        elif isinstance(t, Literal) and t.datatype is not None and t.value is not None:
            out.append(f"L:{t.value!r}")
        elif isinstance(t, Literal):
            out.append(f"L:{t!s}@{t.language or ''}")
        else:
            out.append(f"T:{t}")
    return tuple(out)


def rows_as_sets(rows: Iterable[Row]) -> set[tuple[str, ...]]:
    return {_key(r) for r in rows}


__all__ = ["Backend", "ExternalError", "OxigraphBackend", "RdflibBackend", "Result", "same_rows"]
