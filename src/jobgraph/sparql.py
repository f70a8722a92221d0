"""SPARQL text: masking, the groups of a WHERE clause, and binding parameters as RDF terms.

Parameters are never pasted as text: each value is written as an RDF term (IRIs checked, literals
escaped) into a ``VALUES`` block or a ``BIND`` at the places this module finds by walking the
query's groups, so a hostile value stays a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.term import Node

from .errors import UsageError
from .terms import nt

_WHERE_RE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BAD_IRI = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]")  # no C0 or C1 control (RFC 3987)
_IRI_AT = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_VALUES_BEFORE = re.compile(r"\bVALUES\s*(?:[?$]\w+|\([^()]*\))\s*$", re.IGNORECASE)
_PROJECTION = re.compile(r"^\s*SELECT\b(.*?)\bWHERE\s*$", re.IGNORECASE | re.DOTALL)
_LIMIT = re.compile(r"\b(LIMIT|OFFSET)\b", re.IGNORECASE)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\s*$")
_COMPOUND = re.compile(r"\b(OPTIONAL|UNION|SELECT)\b", re.IGNORECASE)


# --- reading the text ----------------------------------------------------------------------------

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


def where_brace(masked: str) -> int:
    """The offset of the brace opening the outer WHERE group of a masked query (``mask``)."""
    m = _WHERE_RE.search(masked)
    if m is None:
        raise UsageError("query has no WHERE clause to bind parameters in")
    return m.end() - 1


def matching(masked: str, at: int) -> int:
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


def outside_parentheses(text: str) -> set[str]:
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


@dataclass(frozen=True)
class Group:
    """One ``{ … }`` of a WHERE clause.

    ``kind``: ``where`` (the outer WHERE group), ``select`` (the braces around a sub-query),
    ``subwhere`` (a sub-query's WHERE group), or ``group`` (any other: UNION branch, OPTIONAL,
    MINUS, EXISTS, GRAPH, nested group); VALUES data blocks are not groups. ``keyword`` is the word
    written before the brace, upper-cased; ``parent`` the index of the enclosing group in the
    walk's list; ``in_subquery`` whether a sub-query encloses it (or it is one).
    """

    start: int
    end: int
    kind: str
    keyword: str
    parent: int | None
    in_subquery: bool


def groups(masked: str) -> list[Group]:
    """Every group of the outer WHERE clause of a masked query, in the order they open."""
    where = where_brace(masked)
    out: list[Group] = []
    stack: list[int] = []  # indexes in ``out`` of the open groups
    i, last = where, matching(masked, where)
    while i <= last:
        c = masked[i]
        if c == "{":
            before = masked[:i]
            if _VALUES_BEFORE.search(before):
                i = matching(masked, i) + 1  # a data block: no group inside
                continue
            word = _WORD_BEFORE.search(before)
            keyword = word.group(1).upper() if word else ""
            parent = stack[-1] if stack else None
            enclosing = out[parent] if parent is not None else None
            if enclosing is None:
                kind = "where"
            elif masked[i + 1:].lstrip()[:6].upper() == "SELECT":
                kind = "select"
            elif enclosing.kind == "select":
                kind = "subwhere"  # the one group directly inside a sub-query's braces
            else:
                kind = "group"
            in_sub = kind == "select" or bool(enclosing and enclosing.in_subquery)
            out.append(Group(i, matching(masked, i), kind, keyword, parent, in_sub))
            stack.append(len(out) - 1)
        elif c == "}" and stack:
            stack.pop()
        i += 1
    return out


def _uses(masked: str, group: Group, names: Mapping[str, str] | list[str]) -> list[str]:
    body = masked[group.start:group.end]
    return sorted(n for n in names if re.search(rf"[?$]{n}\b", body))


# --- binding -------------------------------------------------------------------------------------

def bound_terms(bindings: Mapping[str, Node]) -> dict[str, str]:
    """Each parameter's value written as an RDF term (N-Triples), names and IRIs checked."""
    terms = {}
    for name in sorted(bindings):
        if not _VAR_RE.match(name):
            raise UsageError(f"invalid parameter name {name[:60]!r}")
        term = bindings[name]
        if isinstance(term, URIRef) and _BAD_IRI.search(str(term)):
            raise UsageError(f"parameter ?{name}: {str(term)[:200]!r} is not a valid IRI")
        terms[name] = nt(term)
    return terms


def values_block(names: list[str], terms: Mapping[str, str]) -> str:
    """A one-row ``VALUES`` block binding ``names`` to their ``terms``."""
    return (f"VALUES ({' '.join('?' + n for n in names)}) "
            f"{{ ({' '.join(terms[n] for n in names)}) }}")


def _insert(query: str, inserts: list[tuple[int, str]]) -> str:
    text = query
    for at, block in sorted(inserts, reverse=True):
        text = text[:at] + block + text[at:]
    return text


def with_values(query: str, bindings: Mapping[str, Node], *, nested: bool = False) -> str:
    """The query with its parameters bound by a ``VALUES`` block opening the outer WHERE group.

    The block opens the group, where every engine tried accepts it (Virtuoso 7.2 refuses a
    trailing VALUES after the query body). With ``nested``, every inner group that uses a parameter
    opens with the same block too (``push_down``): the answer is the same, and an engine that
    evaluates a sub-query or a UNION branch on its own (pyoxigraph does) starts it from the
    parameter's value instead of computing it for every job and joining afterwards.
    """
    if not bindings:
        return query
    terms = bound_terms(bindings)
    masked = mask(query)
    inserts = [(where_brace(masked) + 1, values_block(sorted(terms), terms))]
    if nested:
        inserts += push_down(masked, terms)
    return _insert(query, [(at, "\n  " + block + "\n") for at, block in inserts])


def push_down(masked: str, terms: Mapping[str, str]) -> list[tuple[int, str]]:
    """Where to open inner groups with the parameters' VALUES block: (offset, block) pairs.

    Every group inside the outer WHERE (a UNION branch, a nested group, a sub-query's WHERE; an
    OPTIONAL, MINUS or EXISTS group when a parameter is in one of its triple patterns or it has
    OPTIONAL, UNION or sub-query parts) gets the parameters its text uses. The outer group binds
    each parameter to one value, and each such group is joined with the outer solutions (or, for
    EXISTS, sees them), so its solutions with another value could never match: leaving them out
    changes no answer. A sub-query only sees the parameters it projects, as plain variables, and
    none when it has LIMIT or OFFSET (there the rows kept would change).
    """
    found = groups(masked)
    visible: list[frozenset[str]] = []
    inserts: list[tuple[int, str]] = []
    for g in found:
        parent = visible[g.parent] if g.parent is not None else frozenset(terms)
        if g.kind == "subwhere":
            wrapper = found[g.parent] if g.parent is not None else g
            proj = _PROJECTION.match(masked[wrapper.start + 1:g.start])
            seen: frozenset[str] = frozenset()
            if proj and not _LIMIT.search(masked[g.end + 1:wrapper.end]):
                cols = re.sub(r"^(DISTINCT|REDUCED)\b", "", proj.group(1).strip(),
                              flags=re.IGNORECASE).strip()
                plain = outside_parentheses(cols) if cols != "*" else set(parent)
                seen = frozenset(n for n in parent if n in plain)
            visible.append(seen)
        else:
            visible.append(parent)
        skip = g.kind in ("where", "select")
        if g.kind == "group" and g.keyword in ("OPTIONAL", "MINUS", "EXISTS"):
            # An OPTIONAL, MINUS or EXISTS group of triple patterns and filters is evaluated by
            # pyoxigraph row by row with the outer values already; a VALUES block there makes it
            # evaluate the group on its own: cheap when a parameter anchors one of its triple
            # patterns (?job), dear when the parameters are only in its filters (?lang: every
            # job's labels). Groups with OPTIONAL, UNION or sub-query parts are evaluated on their
            # own anyway.
            skip = not _COMPOUND.search(masked, g.start + 1, g.end) and \
                not outside_parentheses(masked[g.start + 1:g.end]) & parent
        if not skip and visible[-1]:
            used = _uses(masked, g, sorted(visible[-1]))
            if used:
                inserts.append((g.start + 1, values_block(used, terms)))
    return inserts


def with_rows(query: str, name: str, values: Iterable[Node], *, nested: bool = True) -> str:
    """The query with ``?name`` bound to each of ``values`` (a many-row ``VALUES`` block) at the
    outer WHERE group and, with ``nested``, as ``with_values(nested=True)`` does for one value, in
    every inner group that uses it (the same answer: see ``push_down``): how the library reads
    the facts of many jobs in one query. Each value is checked and written as an RDF term
    (``bound_terms``). Servers get the outer block alone (Virtuoso 7.2 misjudges a VALUES block
    inside an OPTIONAL: ``bind_for_server``)."""
    items = " ".join(bound_terms({name: v})[name] for v in values)
    block = f"VALUES ?{name} {{ {items} }}"
    masked = mask(query)
    inserts = [(where_brace(masked) + 1, block)]
    if nested:
        inserts += [(at, block) for at, _ in push_down(masked, {name: "<urn:x>"})]
    return _insert(query, [(at, "\n  " + b + "\n") for at, b in inserts])


def bind_for_server(query: str, bindings: Mapping[str, Node]) -> str:
    """The query with its parameters bound for any SPARQL server (Virtuoso 7.2 included).

    The WHERE group opens with a VALUES block for the parameters that are IRIs (as
    ``with_values``) and ``BIND(value AS ?param)`` for those that are literals; each OPTIONAL or
    EXISTS group that uses a parameter, outside sub-queries, opens with ``BIND(value AS ?param)``
    too. The result is the same by SPARQL's semantics (a one-row VALUES block and a BIND opening a
    group both join one solution binding the parameter, which an inner group sees anyway), and
    Virtuoso 7.2 needs it:

    - with literals in a VALUES block opening the query, some queries never answer on the whole
      shipped graph (``rome-profile`` with ``?code`` and ``?lang``, ``competence-usage`` with
      ``?lang`` and ``?minJobs``: the server thread waits, using no CPU); opening with BINDs, they
      answer in 0.1-0.5 s. IRIs stay in VALUES: ``competence-gap`` took 2-3 s with its two jobs
      bound by BIND, 0.3-0.5 s by VALUES;
    - it evaluates a FILTER inside OPTIONAL without the variables bound outside (``OPTIONAL {
      ?j skos:prefLabel ?l FILTER(langMatches(lang(?l), ?lang)) }`` never matches there). BIND
      rather than VALUES there: with a VALUES block inside OPTIONAL and default-graph-uri,
      Virtuoso estimates a 20 ms query at 1,500 s and refuses it.
    """
    for name, term in bindings.items():
        if "\x00" in str(term):
            # Virtuoso reads the query as a C string: a NUL would end it early
            raise UsageError(f"parameter ?{name} contains a NUL character")
    if not bindings:
        return query
    terms = bound_terms(bindings)
    masked = mask(query)
    inserts = []
    for g in groups(masked):
        if g.kind == "group" and g.keyword in ("OPTIONAL", "EXISTS") and not g.in_subquery:
            used = _uses(masked, g, list(terms))
            if used:
                inserts.append((g.start + 1, "".join(f" BIND({terms[n]} AS ?{n})"
                                                     for n in used)))
    iris = [n for n in terms if not isinstance(bindings[n], Literal)]
    opening = [values_block(iris, terms)] if iris else []
    opening += [f"BIND({terms[n]} AS ?{n})" for n in terms if isinstance(bindings[n], Literal)]
    inserts.append((where_brace(masked) + 1, "\n  " + " ".join(opening) + "\n"))
    return _insert(query, inserts)


__all__ = ["Group", "bind_for_server", "bound_terms", "groups", "mask", "matching",
           "outside_parentheses", "push_down", "values_block", "where_brace", "with_rows",
           "with_values"]
