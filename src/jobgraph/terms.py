"""RDF terms: conversion between pyoxigraph, rdflib, SPARQL JSON and N-Triples; display; compare."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .errors import EndpointError
from .namespaces import JGID, PREFIXES, RDF, XSD

Row = tuple[Node | None, ...]

_BASE = str(JGID)
_XSD_STRING = str(XSD.string)
_XSD_BOOLEAN = str(XSD.boolean)
_LANG_STRING = str(RDF.langString)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPE_RE = re.compile(r'[\\"\n\r\t]')


# --- conversion ----------------------------------------------------------------------------------

def escape(text: str) -> str:
    """Text escaped for a quoted literal of N-Triples, Turtle or SPARQL."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], text)


def nt(term: Node) -> str:
    """The N-Triples form of a term."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        body = f'"{escape(str(term))}"'
        if term.language:
            return f"{body}@{term.language}"
        if term.datatype and term.datatype != XSD.string:
            return f"{body}^^<{term.datatype}>"
        return body
    if isinstance(term, BNode):
        return f"_:{term}"
    raise TypeError(f"not an RDF term: {term!r}")


def to_ox(term: Node) -> Any:
    """An rdflib term as pyoxigraph's."""
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
    raise TypeError(f"cannot convert {term!r}")


def from_ox(term: Any) -> Node | None:
    """A pyoxigraph term as rdflib's (plain and xsd:string literals alike, as rdflib makes them)."""
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


def from_json(binding: dict[str, str]) -> Node:
    """A term of SPARQL JSON results as rdflib's, the same whatever the server.

    Virtuoso writes ``typed-literal`` (the 2008 draft's name), ``nodeID://`` blank nodes and
    booleans as 1/0; language tags are lower-cased, as the embedded store does.
    """
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value.removeprefix("nodeID://"))
    if kind in ("literal", "typed-literal"):
        lang = binding.get("xml:lang")
        if lang:
            return Literal(value, lang=lang.lower())
        datatype = binding.get("datatype")
        if datatype and datatype not in (_XSD_STRING, _LANG_STRING):
            if datatype == _XSD_BOOLEAN and value in ("1", "0"):
                value = "true" if value == "1" else "false"
            return Literal(value, datatype=URIRef(datatype))
        return Literal(value)
    raise EndpointError(f"unexpected term in the server's results: {str(binding)[:200]}")


def to_json(term: Node) -> dict[str, str]:
    """A term as a binding of SPARQL 1.1 Query Results JSON."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype and term.datatype != XSD.string:
            out["datatype"] = str(term.datatype)
        return out
    raise TypeError(f"not an RDF term: {term!r}")


def plain(term: Node | None) -> Node | None:
    """xsd:string literals as plain literals (rdflib keeps the datatype, the others do not)."""
    if isinstance(term, Literal) and term.datatype is not None and \
            str(term.datatype) == _XSD_STRING:
        return Literal(str(term))
    return term


# --- display -------------------------------------------------------------------------------------

def display(term: Node | str | None) -> str:
    """A term as a person reads it: jobgraph's IRIs relative to jgid:, literals as their text."""
    if term is None:
        return ""
    s = str(term)
    if isinstance(term, Literal):
        return s
    return s[len(_BASE):] if s.startswith(_BASE) else s


def short_id(iri: Node | str) -> str:
    """A job IRI as ``<referential>/<id>`` (``cci-2015/juriste``), any other jobgraph IRI relative
    to jgid:, other IRIs as they are."""
    s = str(iri)
    return s[len(_BASE):].replace("/job/", "/", 1) if s.startswith(_BASE) else s


def referential_of(iri: Node | str) -> str | None:
    """The referential id an instance IRI belongs to (``cci-2015``), or None outside jgid:."""
    s = str(iri)
    return s[len(_BASE):].split("/", 1)[0] or None if s.startswith(_BASE) else None


_BY_LENGTH = sorted(PREFIXES.items(), key=lambda x: -len(x[1]))


def compact(term: Node | str | None) -> str | None:
    """IRIs shortened with jobgraph's prefixes (``jg:level``), literals as their text."""
    if term is None:
        return None
    if isinstance(term, Literal):
        return str(term)
    s = str(term)
    for prefix, ns in _BY_LENGTH:
        if s.startswith(ns):
            return f"{prefix}:{s[len(ns):]}"
    return s


def expand(curie: str) -> str:
    """``jg:Job`` to its full IRI with jobgraph's prefixes; anything else as it is."""
    if ":" in curie:
        prefix, local = curie.split(":", 1)
        if prefix in PREFIXES:
            return PREFIXES[prefix] + local
    return curie


# --- comparison ----------------------------------------------------------------------------------

def _number(term: Literal) -> str | None:
    value = term.toPython()
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        # engines differ in the last digits of a double (and in integer vs decimal results)
        return str(round(Decimal(str(value)), 9).normalize())
    except InvalidOperation:
        return None


def canonical(term: Node | None, *, as_list: bool = False) -> str:
    """A term in the form answers are compared in: numbers by value, other typed literals by
    their datatype's value, language tags lower-cased; ``as_list``: space-separated items sorted
    (a GROUP_CONCAT, whose order SPARQL leaves to the engine)."""
    if term is None:
        return "-"
    if as_list:
        return "L*:" + " ".join(sorted(str(term).split()))
    if isinstance(term, Literal):
        if term.datatype is not None:
            number = _number(term)
            if number is not None:
                return f"N:{number}"
            value = term.toPython()
            if isinstance(value, Literal):  # a datatype rdflib does not convert
                return f"L:{term}^^{term.datatype}"
            return f"L:{value!r}"
        return f"L:{term}@{(term.language or '').lower()}"
    return f"T:{term}"


def canonical_rows(variables: Sequence[str], rows: Iterable[Row],
                   lists: Iterable[str] = ()) -> list[tuple[str, ...]]:
    """Rows in canonical form (``canonical``), sorted: two answers are the same when these are."""
    listed = {v.lstrip("?") for v in lists}
    return sorted(tuple(canonical(t, as_list=v in listed) for v, t in zip(variables, row,
                                                                          strict=True))
                  for row in rows)


def cell(term: Node | None, *, as_list: bool = False, unbound: str = "") -> str:
    """A term as a short text for tests and tables: IRIs relative to jgid:, numbers by value
    ("0.5", not "0.500"), ``unbound`` when there is no value."""
    if term is None:
        return unbound
    if isinstance(term, Literal) and term.datatype is not None:
        value = term.toPython()
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return format(Decimal(value).normalize(), "f")
    text = display(term)
    return " ".join(sorted(text.split())) if as_list else text


__all__ = ["Row", "canonical", "canonical_rows", "cell", "compact", "display", "escape", "expand",
           "from_json", "from_ox", "nt", "plain", "referential_of", "short_id", "to_json",
           "to_ox"]
