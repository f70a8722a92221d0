"""Formats SELECT results: a wrapped terminal table, CSV, and SPARQL 1.1 Query Results JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

from .backends import Result
from .terms import display, to_json

FORMATS = ("table", "csv", "json")


def table(result: Result, *, width: int | None = None) -> str:
    """The rows for a terminal of ``width`` columns (default: the terminal's, else 120).

    Columns that fit side by side are wrapped there (long cells flow onto several lines, IRIs
    break after a ``/``, headers between the words of their camelCase name); when they cannot
    fit, even narrowed, each row is printed as a block of ``column | value`` lines instead.
    """
    width = width or shutil.get_terminal_size((120, 24)).columns
    cols = result.variables
    if not cols:
        return ""
    cells = [[display(t) for t in row] for row in result.rows]
    count = f"({len(cells)} row{'s' if len(cells) != 1 else ''})\n"
    natural, comfortable, narrowest = [], [], []
    for i, c in enumerate(cols):
        values = [r[i] for r in cells]
        head = max(len(w) for w in _header_words(c))
        longest = max((len(v) for v in values), default=0)
        word = max((len(t) for v in values for t in _TOKEN.findall(v)), default=0)
        natural.append(max(len(c), longest))
        # narrowed first down to its longest word (up to MAX_WORD), then down to MIN_COLUMN;
        # never below its header's longest word, so an empty column takes little room
        narrowest.append(max(head, min(longest, MIN_COLUMN)))
        comfortable.append(max(narrowest[-1], min(longest, word, MAX_WORD)))
    available = width - len(SEPARATOR) * (len(cols) - 1)
    if sum(narrowest) > available:
        return _records(cols, cells, width) + count
    widths = _fit(_fit(natural, comfortable, available), narrowest, available)
    heads = [_wrap(" ".join(_header_words(c)), w, glue="") for c, w in zip(cols, widths,
                                                                            strict=True)]
    lines = _side_by_side(heads, widths)
    lines.append(RULE.join("-" * w for w in widths))
    blocks = [_side_by_side([_wrap(v, w) for v, w in zip(row, widths, strict=True)], widths)
              for row in cells]
    wrapped = any(len(b) > 1 for b in blocks)
    for k, block in enumerate(blocks):
        if wrapped and k:
            lines.append("")  # rows that flow onto several lines are told apart by a blank line
        lines.extend(block)
    return "\n".join(lines) + "\n" + count


SEPARATOR, RULE = " | ", "-+-"
MIN_COLUMN = 10  # a column is not narrowed below this (or below its longest header word)
MAX_WORD = 20  # nor below its longest word, up to this many characters, while others can give


def _header_words(name: str) -> list[str]:
    """``jobsOnNationalFramework`` → jobs, On, National, Framework: where a header may wrap."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).split()


def _fit(natural: list[int], narrowest: list[int], available: int) -> list[int]:
    """Narrow the widest columns, one character at a time, until the row fits."""
    widths = list(natural)
    while sum(widths) > available:
        shrinkable = [i for i, w in enumerate(widths) if w > narrowest[i]]
        if not shrinkable:
            break
        i = max(shrinkable, key=lambda k: widths[k])
        widths[i] -= 1
    return widths


_TOKEN = re.compile(r"\s+|[^\s/]*/+|[^\s/]+")


def _wrap(text: str, width: int, *, glue: str = " ") -> list[str]:
    """Lines of at most ``width`` characters: breaks at spaces, after a ``/``, else mid-word.

    ``glue`` replaces the spaces kept inside a line ("" for headers: the camelCase name again).
    """
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            if line:
                line += glue
            continue
        if len(line) + len(token) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        while len(token) > width:
            cut = token.rfind("-", 1, width) + 1 or width  # after a hyphen when there is one
            lines.append(token[:cut])
            token = token[cut:]
        line = token
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _side_by_side(columns: list[list[str]], widths: list[int]) -> list[str]:
    height = max(len(c) for c in columns)
    return [SEPARATOR.join((c[k] if k < len(c) else "").ljust(w)
                           for c, w in zip(columns, widths, strict=True)).rstrip()
            for k in range(height)]


def _records(cols: list[str], cells: list[list[str]], width: int) -> str:
    """Each row as a block: a ``-[ row N ]`` rule, then one ``column | value`` line per column."""
    name_width = max(len(c) for c in cols)
    value_width = max(width - name_width - len(SEPARATOR), 20)
    lines = []
    for n, row in enumerate(cells, 1):
        lines.append(f"-[ row {n} ]".ljust(min(width, name_width + len(SEPARATOR) + 20), "-"))
        for c, v in zip(cols, row, strict=True):
            for k, part in enumerate(_wrap(v, value_width)):
                lines.append(f"{(c if k == 0 else '').ljust(name_width)}{SEPARATOR}{part}"
                             .rstrip())
    return "\n".join(lines) + ("\n" if lines else "")


def as_csv(result: Result) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(result.variables)
    for row in result.rows:
        w.writerow([str(t) if t is not None else "" for t in row])
    return buf.getvalue()


def as_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON Format."""
    bindings = [{v: to_json(t) for v, t in zip(result.variables, row, strict=True)
                 if t is not None} for row in result.rows]
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
