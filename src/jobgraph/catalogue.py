"""The stored SPARQL queries: read their headers, list them, type and check their parameters.

Three shelves under ``queries/``: the career questions (``*.rq``, public: their names and
parameters are an interface), the QC checks (``qc/*.rq``, zero rows on good data), and the
queries the library runs for itself (``internal/*.rq``: job names, labels, ROME links …), kept
as files so that they can be read and tested like the others.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.term import Node

from .errors import UsageError
from .namespaces import XSD
from .resources import resource_dir

_HEADER_RE = re.compile(r"^#\s*([a-z][a-z-]*)\s*:\s*(.*)$")
_PARAM_RE = re.compile(r"^\?(\w+)\s+(\S+)(?:\s+(\S+))?(.*)$")
_COLUMN_RE = re.compile(r'^\?(\w+)((?:\s+[a-z]{2}="[^"]*")+)(?:\s+show=(id|name|detail))?\s*$')
_HEADER_TEXT_RE = re.compile(r'([a-z]{2})="([^"]*)"')
_IRI_VALUE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]*$")
PARAM_TYPES = ("IRI", "xsd:integer", "xsd:string", "xsd:decimal", "xsd:boolean", "string")


@dataclass(frozen=True)
class Param:
    """A parameter a stored query declares: ``# param: ?job IRI jg:Job required``."""

    name: str
    type: str
    cls: str | None = None
    required: bool = False
    default: str | None = None


@dataclass(frozen=True)
class Column:
    """What a person reads above a column: ``# column: ?otherLabel fr="Emploi" en="Job"``."""

    name: str
    headers: dict[str, str]
    # IRIs shown by name when they have one; "id": always by short id; "detail": evidence that
    # people read on demand (a page shows it folded away, CSV and JSON as any column)
    show: str = "name"

    def header(self, lang: str = "fr") -> str:
        """The header in ``lang``, else in French, else the variable's name."""
        return self.headers.get(lang) or self.headers.get("fr") or self.name


@dataclass
class StoredQuery:
    """A ``.rq`` file with its header read."""

    name: str
    path: Path
    text: str
    summary: str = ""
    params: list[Param] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    columns: dict[str, Column] = field(default_factory=dict)
    # the same question reading the derived graph (``queries/derived/<name>.rq``): what runs on
    # a backend that holds one (``derive.available``); the parameters and columns are these
    derived: str | None = None

    def header(self, column: str, lang: str = "fr") -> str:
        """The header of ``column`` in ``lang`` (its ``# column:`` line), else its name."""
        found = self.columns.get(column)
        return found.header(lang) if found else column

    def summary_in(self, lang: str) -> str:
        """The summary in ``lang`` (``# summary-fr:``), else the English one."""
        return self.meta.get(f"summary-{lang}") or self.summary

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def answer(self) -> list[str]:
        """The columns of the answer people get: ``# answer:`` when jobgraph computes it from
        more than this query (the career answers), else the query's own ``# returns:``."""
        found = self.meta.get("answer")
        return [v.lstrip("?") for v in found.split()] if found else self.returns

    @property
    def lists(self) -> frozenset[str]:
        """Columns declared ``# lists:``: space-separated items whose order engines may change."""
        return frozenset(v.lstrip("?") for v in self.meta.get("lists", "").split())


def parse_header(path: Path) -> StoredQuery:
    """Read a stored query and its header; a malformed header raises UsageError naming the line."""
    text = path.read_text(encoding="utf-8")
    q = StoredQuery(name=path.stem, path=path, text=text)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = _HEADER_RE.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "name":
            if value != path.stem:
                raise UsageError(f"{path}:{number}: header name '{value}' differs from file name")
            q.name = value
        elif key == "summary":
            q.summary = value
        elif key == "param":
            q.params.append(_param(value, path, number))
        elif key == "returns":
            q.returns = [v.lstrip("?") for v in value.split()]
        elif key == "column":
            column = _column(value, path, number)
            if column.name in q.columns:
                raise UsageError(f"{path}:{number}: column ?{column.name} has two header lines")
            q.columns[column.name] = column
        else:
            q.meta[key] = value
    if not q.returns:
        raise UsageError(f"{path}: stored query has no '# returns:' header line")
    unknown = sorted(set(q.columns) - set(q.returns) - set(q.answer))
    if unknown:
        raise UsageError(f"{path}: '# column:' names ?{unknown[0]}, which neither '# returns:' nor "
                         "'# answer:' lists")
    return q


def _column(spec: str, path: Path, line: int) -> Column:
    m = _COLUMN_RE.match(spec)
    if not m:
        raise UsageError(f"{path}:{line}: cannot read column header '{spec[:120]}' (write "
                         '# column: ?name fr="…" en="…" [show=id|detail])')
    return Column(m.group(1), dict(_HEADER_TEXT_RE.findall(m.group(2))), m.group(3) or "name")


def _param(spec: str, path: Path, line: int) -> Param:
    m = _PARAM_RE.match(spec)
    if not m:
        raise UsageError(f"{path}:{line}: cannot read parameter '{spec}'")
    name, typ = m.group(1), m.group(2)
    if typ not in PARAM_TYPES:
        raise UsageError(f"{path}:{line}: parameter type '{typ}' is not one of "
                         f"{', '.join(PARAM_TYPES)}")
    rest = " ".join(x for x in (m.group(3) or "", m.group(4) or "") if x).split()
    cls = None
    required = False
    default = None
    for word in rest:
        if word == "required":
            required = True
        elif word.startswith("default="):
            default = word.split("=", 1)[1]
        elif ":" in word and cls is None:
            cls = word
    return Param(name, typ, cls, required, default)


def query_dir() -> Path:
    return resource_dir("queries")


def _with_twin(q: StoredQuery) -> StoredQuery:
    twin = q.path.parent / "derived" / q.path.name
    if twin.is_file():
        q.derived = twin.read_text(encoding="utf-8")
    return q


def list_queries(directory: Path | None = None) -> list[StoredQuery]:
    """The stored career-path queries (not the QC checks), sorted by name."""
    d = directory or query_dir()
    return [_with_twin(parse_header(p)) for p in sorted(d.glob("*.rq"))]


def list_qc(directory: Path | None = None) -> list[StoredQuery]:
    """The QC checks: queries that must return no row on good data."""
    d = (directory or query_dir()) / "qc"
    return [parse_header(p) for p in sorted(d.glob("*.rq"))]


def get_query(name: str, directory: Path | None = None) -> StoredQuery:
    """A stored career-path query by name; an unknown name raises UsageError listing the known."""
    d = directory or query_dir()
    path = d / f"{name}.rq"
    if not re.fullmatch(r"[a-z0-9-]+", name) or not path.exists():
        known = ", ".join(q.name for q in list_queries(d))
        raise UsageError(f"no stored query named '{name[:80]}' (known: {known})")
    return _with_twin(parse_header(path))


@cache
def internal(name: str) -> StoredQuery:
    """A query the library runs for itself (``queries/internal/<name>.rq``)."""
    return parse_header(query_dir() / "internal" / f"{name}.rq")


def typed_value(param: Param, raw: str) -> Node:
    """A text value (command line, web form) as the RDF term of the parameter's declared type."""
    if "\x00" in raw:
        raise UsageError(f"parameter ?{param.name} contains a NUL character")
    if param.type == "IRI":
        if not _IRI_VALUE.match(raw):
            raise UsageError(f"parameter ?{param.name} must be an IRI, got {raw[:200]!r}")
        return URIRef(raw)
    if param.type == "xsd:integer":
        if not re.match(r"^[+-]?\d{1,18}$", raw.strip()):
            raise UsageError(f"parameter ?{param.name} must be a whole number, got {raw[:40]!r}")
        return Literal(int(raw), datatype=XSD.integer)
    if param.type == "xsd:decimal":
        try:
            value = float(raw)
        except ValueError:
            raise UsageError(f"parameter ?{param.name} must be a number, got {raw[:40]!r}") \
                from None
        if value != value or value in (float("inf"), float("-inf")):
            raise UsageError(f"parameter ?{param.name} must be a finite number, got {raw!r}")
        return Literal(value, datatype=XSD.decimal)
    if param.type == "xsd:boolean":
        if raw.lower() not in ("true", "false"):
            raise UsageError(f"parameter ?{param.name} must be true or false, got {raw[:40]!r}")
        return Literal(raw.lower() == "true", datatype=XSD.boolean)
    return Literal(raw)


def bindings_for(q: StoredQuery, given: Mapping[str, Node]) -> dict[str, Node]:
    """Complete ``given`` with defaults; unknown or missing required parameters raise UsageError."""
    out: dict[str, Node] = {}
    for name in given:
        if q.param(name) is None:
            known = ", ".join(p.name for p in q.params) or "none"
            raise UsageError(f"query '{q.name}' has no parameter '{name[:60]}' "
                             f"(parameters: {known})")
    for p in q.params:
        if p.name in given:
            out[p.name] = given[p.name]
        elif p.default is not None:
            out[p.name] = typed_value(p, p.default)
        elif p.required:
            raise UsageError(f"query '{q.name}' needs --param {p.name}=… ({p.type}"
                             f"{' ' + p.cls if p.cls else ''})")
    return out


__all__ = ["PARAM_TYPES", "Column", "Param", "StoredQuery", "bindings_for", "get_query", "internal",
           "list_qc", "list_queries", "parse_header", "query_dir", "typed_value"]
