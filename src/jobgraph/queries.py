"""Stored SPARQL queries: read their headers, check and type their parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.term import Node

from .errors import UsageError
from .namespaces import PREFIXES, XSD
from .resources import resource_dir

_HEADER_RE = re.compile(r"^#\s*([a-z][a-z-]*)\s*:\s*(.*)$")
_PARAM_RE = re.compile(r"^\?(\w+)\s+(\S+)(?:\s+(\S+))?(.*)$")
PARAM_TYPES = ("IRI", "xsd:integer", "xsd:string", "xsd:decimal", "xsd:boolean", "string")


@dataclass(frozen=True)
class Param:
    """A parameter a stored query declares: ``# param: ?job IRI jg:Job required``."""

    name: str
    type: str
    cls: str | None = None
    required: bool = False
    default: str | None = None


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

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


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
        else:
            q.meta[key] = value
    if not q.returns:
        raise UsageError(f"{path}: stored query has no '# returns:' header line")
    return q


def _param(spec: str, path: Path, line: int) -> Param:
    m = _PARAM_RE.match(spec)
    if not m:
        raise UsageError(f"{path}:{line}: cannot read parameter '{spec}'")
    name, typ = m.group(1), m.group(2)
    if typ not in PARAM_TYPES:
        raise UsageError(f"{path}:{line}: parameter type '{typ}' is not one of {', '.join(PARAM_TYPES)}")
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


def list_queries(directory: Path | None = None) -> list[StoredQuery]:
    """The stored career-path queries (not the QC checks), sorted by name."""
    d = directory or query_dir()
    return [parse_header(p) for p in sorted(d.glob("*.rq"))]


def list_qc(directory: Path | None = None) -> list[StoredQuery]:
    """The QC checks: queries that must return no row on good data."""
    d = (directory or query_dir()) / "qc"
    return [parse_header(p) for p in sorted(d.glob("*.rq"))]


def get_query(name: str, directory: Path | None = None) -> StoredQuery:
    d = directory or query_dir()
    path = d / f"{name}.rq"
    if not path.exists():
        known = ", ".join(q.name for q in list_queries(d))
        raise UsageError(f"no stored query named '{name}' (known: {known})")
    return parse_header(path)


def expand(curie: str) -> str:
    """``jg:Job`` to its full IRI with jobgraph's prefixes."""
    if ":" in curie:
        prefix, local = curie.split(":", 1)
        if prefix in PREFIXES:
            return PREFIXES[prefix] + local
    return curie


def typed_value(param: Param, raw: str) -> Node:
    """A command-line value as the RDF term of the parameter's declared type."""
    if param.type == "IRI":
        if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$", raw):
            raise UsageError(f"parameter ?{param.name} must be an IRI, got {raw!r}")
        return URIRef(raw)
    if param.type == "xsd:integer":
        if not re.match(r"^[+-]?\d{1,18}$", raw.strip()):
            raise UsageError(f"parameter ?{param.name} must be a whole number, got {raw!r}")
        return Literal(int(raw), datatype=XSD.integer)
    if param.type == "xsd:decimal":
        try:
            return Literal(float(raw), datatype=XSD.decimal)
        except ValueError:
            raise UsageError(f"parameter ?{param.name} must be a number, got {raw!r}") from None
    if param.type == "xsd:boolean":
        if raw.lower() not in ("true", "false"):
            raise UsageError(f"parameter ?{param.name} must be true or false, got {raw!r}")
        return Literal(raw.lower() == "true", datatype=XSD.boolean)
    return Literal(raw)


def bindings_for(q: StoredQuery, given: Mapping[str, Node]) -> dict[str, Node]:
    """Complete ``given`` with defaults; unknown or missing required parameters raise UsageError."""
    out: dict[str, Node] = {}
    for name in given:
        if q.param(name) is None:
            known = ", ".join(p.name for p in q.params) or "none"
            raise UsageError(f"query '{q.name}' has no parameter '{name}' (parameters: {known})")
    for p in q.params:
        if p.name in given:
            out[p.name] = given[p.name]
        elif p.default is not None:
            out[p.name] = typed_value(p, p.default)
        elif p.required:
            raise UsageError(f"query '{q.name}' needs --param {p.name}=… ({p.type}"
                             f"{' ' + p.cls if p.cls else ''})")
    return out


_JOBS_QUERY = """
PREFIX jg: <https://w3id.org/jobgraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?job ?label WHERE {
  ?job a jg:Job .
  OPTIONAL { { ?job skos:prefLabel ?label } UNION { ?job skos:altLabel ?label } }
}"""


def fold(text: str) -> str:
    """Case- and accent-folded text with single spaces, for matching labels."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_IS_JOB = """PREFIX jg: <https://w3id.org/jobgraph/ontology#>
SELECT ?job WHERE { ?job a jg:Job }"""


def resolve_job(backend: Any, spec: str) -> URIRef:
    """A job named by IRI, ``<referential>/<id>`` or an unambiguous label (case and accents ignored)."""
    from .namespaces import iri

    # an IRI or <referential>/<id> (also <referential>/job/<id>) is looked up alone: reading
    # every job's labels is for names
    named = [spec] if re.match(r"^https?://", spec) else []
    m = re.match(r"^([a-z0-9-]+)/(?:job/)?([A-Za-z0-9._-]+)$", spec)
    if m:
        named.append(str(iri(m.group(1), "job", m.group(2))))
    for candidate in named:
        if not _BAD_IRI.search(candidate) and \
                backend.select(_IS_JOB, {"job": URIRef(candidate)}).rows:
            return URIRef(candidate)
    labels: dict[str, set[str]] = {}
    for job, label in backend.select(_JOBS_QUERY).rows:
        labels.setdefault(str(job), set())
        if label is not None:
            labels[str(job)].add(str(label))
    if spec in labels:
        return URIRef(spec)
    if re.match(r"^[a-z0-9-]+/[A-Za-z0-9._-]+$", spec):
        ref, ident = spec.split("/", 1)
        candidate = str(iri(ref, "job", ident))
        if candidate in labels:
            return URIRef(candidate)
    wanted = fold(spec)
    exact = sorted(j for j, ls in labels.items() if any(fold(x) == wanted for x in ls))
    if len(exact) == 1:
        return URIRef(exact[0])
    if len(exact) > 1:
        raise UsageError(f"job '{spec}' is ambiguous; candidates:\n" + _candidates(exact, labels))
    near = sorted(j for j, ls in labels.items()
                  if any(wanted in fold(x) for x in ls) or wanted in fold(j))
    if len(near) == 1:
        return URIRef(near[0])
    hint = (" ; candidates:\n" + _candidates(near[:15], labels)) if near else \
        " (name it by IRI, <referential>/<id> or its label)"
    raise UsageError(f"job '{spec}' is {'ambiguous' if near else 'unknown'}{hint}")


def _candidates(jobs: list[str], labels: dict[str, set[str]]) -> str:
    from .namespaces import JGID

    lines = []
    for j in jobs:
        short = j[len(str(JGID)):].replace("/job/", "/") if j.startswith(str(JGID)) else j
        lines.append(f"  {short}  {sorted(labels.get(j, {''}))[0]}")
    return "\n".join(lines)


_WHERE_RE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def with_values(query: str, bindings: Mapping[str, Node], *, nested: bool = False) -> str:
    """The query with its parameters bound by a ``VALUES`` block opening the outer WHERE group.

    Values are written as RDF terms (IRIs checked, literals escaped), so a hostile value stays a
    value. The block opens the group, where every engine tried accepts it (Virtuoso 7.2 refuses a
    trailing VALUES after the query body).

    With ``nested``, every inner group that uses a parameter opens with the same block too (see
    ``push_down``): the answer is the same, and an engine that evaluates a sub-query or a UNION
    branch on its own (pyoxigraph does) starts it from the parameter's value instead of computing
    it for every job and joining afterwards.
    """
    if not bindings:
        return query
    terms = bound_terms(bindings)
    masked = mask(query)
    where = where_brace(masked)
    inserts = [(where + 1, values_block(sorted(terms), terms))]
    if nested:
        inserts += push_down(masked, where, terms)
    text = query
    for at, block in sorted(inserts, reverse=True):
        text = text[:at] + "\n  " + block + "\n" + text[at:]
    return text


_BAD_IRI = re.compile(r"[\s<>\"{}|\\^`]")


def bound_terms(bindings: Mapping[str, Node]) -> dict[str, str]:
    """Each parameter's value written as an RDF term (N-Triples), names and IRIs checked."""
    from .serialize import nt

    terms = {}
    for name in sorted(bindings):
        if not _VAR_RE.match(name):
            raise UsageError(f"invalid parameter name {name!r}")
        term = bindings[name]
        if isinstance(term, URIRef) and _BAD_IRI.search(str(term)):
            raise UsageError(f"parameter ?{name}: {str(term)!r} is not a valid IRI")
        terms[name] = nt(term)
    return terms


def where_brace(masked: str) -> int:
    """The offset of the brace opening the outer WHERE group of a masked query (``mask``)."""
    m = _WHERE_RE.search(masked)
    if m is None:
        raise UsageError("query has no WHERE clause to bind parameters in")
    return m.end() - 1


def values_block(names: list[str], terms: Mapping[str, str]) -> str:
    """A one-row ``VALUES`` block binding ``names`` to their ``terms``."""
    return (f"VALUES ({' '.join('?' + n for n in names)}) "
            f"{{ ({' '.join(terms[n] for n in names)}) }}")


_VALUES_BEFORE = re.compile(r"\bVALUES\s*(?:[?$]\w+|\([^()]*\))\s*$", re.IGNORECASE)
_PROJECTION = re.compile(r"^\s*SELECT\b(.*?)\bWHERE\s*$", re.IGNORECASE | re.DOTALL)
_LIMIT = re.compile(r"\b(LIMIT|OFFSET)\b", re.IGNORECASE)
WORD_BEFORE = re.compile(r"([A-Za-z]+)\s*$")
_COMPOUND = re.compile(r"\b(OPTIONAL|UNION|SELECT)\b", re.IGNORECASE)


def push_down(masked: str, where: int, terms: Mapping[str, str]) -> list[tuple[int, str]]:
    """Where to open inner groups with the parameters' VALUES block: (offset, block) pairs.

    ``masked`` is the query with strings, IRIs and comments blanked (``mask``), ``where`` the
    offset of the outer WHERE's brace. Every group inside it (a UNION branch, a nested group, a
    sub-query's WHERE; an OPTIONAL, MINUS or EXISTS group when a parameter is in one of its
    triple patterns or it has OPTIONAL, UNION or sub-query parts) gets the parameters its text
    uses. The outer group binds each parameter to one value, and each such group is joined with
    the outer solutions (or, for EXISTS, sees them), so its solutions with another value could
    never match: leaving them out changes no answer. A sub-query only sees the parameters it
    projects, as plain variables, and none when it has LIMIT or OFFSET (there the rows kept
    would change); VALUES data blocks are left alone.
    """
    inserts: list[tuple[int, str]] = []
    # stack of (open brace, visible parameters, is a sub-query's wrapper, skip this group)
    stack: list[tuple[int, frozenset[str], bool, bool]] = []
    visible_outer = frozenset(terms)
    depth_end = _matching(masked, where)
    i = where
    while i <= depth_end:
        c = masked[i]
        if c == "{":
            before = masked[:i]
            parent = stack[-1][1] if stack else visible_outer
            after = masked[i + 1:].lstrip()
            if _VALUES_BEFORE.search(before):
                end = _matching(masked, i)  # a data block: no group inside
                i = end + 1
                continue
            if after[:6].upper() == "SELECT":
                stack.append((i, parent, True, True))
            elif stack and stack[-1][2] and i > stack[-1][0]:
                # the WHERE group of the sub-query opened by the wrapper on top of the stack
                wrap = stack[-1][0]
                head = masked[wrap + 1:i]
                proj = _PROJECTION.match(head)
                close = _matching(masked, wrap)
                inner_end = _matching(masked, i)
                tail = masked[inner_end + 1:close]
                seen: frozenset[str] = frozenset()
                if proj and not _LIMIT.search(tail):
                    cols = proj.group(1).strip()
                    cols = re.sub(r"^(DISTINCT|REDUCED)\b", "", cols, flags=re.IGNORECASE).strip()
                    plain = _outside_parentheses(cols) if cols != "*" else set(parent)
                    seen = frozenset(n for n in parent if n in plain)
                stack.append((i, seen, False, False))
                stack[-2] = (wrap, stack[-2][1], False, True)  # the wrapper is done
            else:
                # An OPTIONAL, MINUS or EXISTS group of triple patterns and filters is evaluated
                # by pyoxigraph row by row with the outer values already; a VALUES block there
                # makes it evaluate the group on its own: cheap when a parameter anchors one of
                # its triple patterns (?job), dear when the parameters are only in its filters
                # (?lang: every job's labels). Groups with OPTIONAL, UNION or sub-query parts of
                # their own are evaluated on their own anyway.
                word = WORD_BEFORE.search(before)
                keyword = word.group(1).upper() if word else ""
                end = _matching(masked, i)
                leave = (keyword in ("OPTIONAL", "MINUS", "EXISTS")
                         and not _COMPOUND.search(masked, i + 1, end)
                         and not _outside_parentheses(masked[i + 1:end]) & parent)
                stack.append((i, parent, False, i == where or leave))
        elif c == "}" and stack:
            start, seen, _, skip = stack.pop()
            if not skip and seen:
                used = sorted(n for n in seen if re.search(rf"[?$]{n}\b", masked[start:i]))
                if used:
                    inserts.append((start + 1, values_block(used, terms)))
        i += 1
    return inserts


def _matching(masked: str, at: int) -> int:
    """The offset of the brace closing the one at ``at``."""
    depth = 0
    for j in range(at, len(masked)):
        if masked[j] == "{":
            depth += 1
        elif masked[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    raise UsageError("unbalanced braces in the query")


def _outside_parentheses(text: str) -> set[str]:
    """The variables of ``text`` outside any parentheses: in a group, those of its triple
    patterns (not of its filters and binds); in a projection, the plain ones (not ``(… AS ?v)``)."""
    out: set[str] = set()
    depth = 0
    for m in re.finditer(r"[()]|[?$](\w+)", text):
        tok = m.group(0)
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif depth == 0:
            out.add(m.group(1))
    return out


_IRI_AT = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")


def mask(text: str) -> str:
    """The query with its strings, IRIs and comments blanked (same length): braces are syntax."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
        elif c in "\"'":
            quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            end = min(j + len(quote), n)
        elif c == "<" and (m := _IRI_AT.match(text, i)):
            end = m.end()
        else:
            i += 1
            continue
        for k in range(i, end):
            if out[k] != "\n":
                out[k] = " "
        i = end
    return "".join(out)
