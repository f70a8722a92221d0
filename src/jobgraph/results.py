"""Formats SELECT results: a wrapped terminal table, CSV, and SPARQL 1.1 Query Results JSON."""

from __future__ import annotations

import csv
import io
import json
import shutil
import textwrap
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .backends import Result
from .namespaces import JGID, XSD

FORMATS = ("table", "csv", "json")


def display(term: Node | None) -> str:
    """A term as a person reads it: IRIs of jobgraph relative to jgid:, literals as text."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        s = str(term)
        return s[len(str(JGID)):] if s.startswith(str(JGID)) else s
    return str(term)


def table(result: Result, *, width: int | None = None) -> str:
    """Columns wrapped to fit the terminal; long cells flow onto several lines."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    cols = result.variables
    cells = [[display(t) for t in row] for row in result.rows]
    if not cols:
        return ""
    natural = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    available = max(width - 3 * (len(cols) - 1), 10 * len(cols))
    widths = _fit(natural, available)
    lines = [" | ".join(c.ljust(w)[:w] for c, w in zip(cols, widths, strict=True)),
             "-+-".join("-" * w for w in widths)]
    for row in cells:
        wrapped = [textwrap.wrap(v, w) or [""] for v, w in zip(row, widths, strict=True)]
        for k in range(max(len(x) for x in wrapped)):
            lines.append(" | ".join((x[k] if k < len(x) else "").ljust(w)
                                    for x, w in zip(wrapped, widths, strict=True)).rstrip())
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _fit(natural: list[int], available: int) -> list[int]:
    widths = list(natural)
    while sum(widths) > available:
        i = widths.index(max(widths))
        if widths[i] <= 8:
            break
        widths[i] -= 1
    return [max(w, 1) for w in widths]


def as_csv(result: Result) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(result.variables)
    for row in result.rows:
        w.writerow([str(t) if t is not None else "" for t in row])
    return buf.getvalue()


def _json_term(term: Node) -> dict[str, Any]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out: dict[str, Any] = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype and term.datatype != XSD.string:
            out["datatype"] = str(term.datatype)
        return out
    raise TypeError(term)


def as_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON Format."""
    bindings = [{v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
                for row in result.rows]
    doc = {"head": {"vars": result.variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def render(result: Result, fmt: str) -> str:
    if fmt == "table":
        return table(result)
    if fmt == "csv":
        return as_csv(result)
    if fmt == "json":
        return as_json(result)
    raise ValueError(fmt)
