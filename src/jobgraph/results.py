"""Formats SELECT results: labelled tables for people (the terminal's and the web pages'), CSV,
and SPARQL 1.1 Query Results JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import Literal, URIRef
from rdflib.term import Node

from .backends import Backend, Result
from .catalogue import StoredQuery, internal
from .terms import cell, display, short_id, to_json

FORMATS = ("table", "csv", "json")
LABEL_SUFFIX = "Label"  # ``otherLabel`` names the IRI of ``other``: shown first, linked to it

# --- labelled tables -----------------------------------------------------------------------------

Names = Mapping[str, Mapping[str, str]]  # IRI -> language -> name


@dataclass(frozen=True)
class Cell:
    """A value as a person reads it, with the IRI it stands for (answers cite IRIs)."""

    text: str
    iri: str | None = None
    lang: str | None = None  # language tag of a text
    fallback: bool = False  # the data has no text in the asked language: shown in French


@dataclass(frozen=True)
class Heading:
    """A column: its variable, its header in the table's language, what it names or is named by."""

    name: str
    header: str
    names: str | None = None  # this column is the label of the IRIs of that column
    named_by: str | None = None  # the IRIs of this column are labelled by that column
    detail: bool = False  # evidence read on demand (``# column: … show=detail``)


@dataclass
class Table:
    """A stored question's answer made readable: headers in ``lang``, labels before the short ids
    of the IRIs they name, referentials and sectors by name, each distinct row once."""

    columns: list[Heading]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    lang: str = "fr"

    def main(self) -> Table:
        """The table without its evidence columns (``show=detail``): what people read first."""
        keep = [i for i, h in enumerate(self.columns) if not h.detail]
        if len(keep) == len(self.columns):
            return self
        rows = dict.fromkeys(tuple(row[i] for i in keep) for row in self.rows)
        return Table([self.columns[i] for i in keep], list(rows), self.lang)

    @property
    def fallbacks(self) -> int:
        """How many texts are shown in French for want of one in the table's language."""
        return sum(1 for row in self.rows for c in row if c.fallback)

    def index(self, name: str) -> int:
        return next(i for i, h in enumerate(self.columns) if h.name == name)


def term_names(backend: Backend) -> dict[str, dict[str, str]]:
    """The names of referentials, sectors, competence frameworks and scales, in every language."""
    out: dict[str, dict[str, str]] = {}
    for item, label in backend.select(internal("names").text).rows:
        if item is None or not isinstance(label, Literal):
            continue
        names = out.setdefault(str(item), {})
        lang = (label.language or "fr").lower()
        if lang not in names or str(label) < names[lang]:  # several: the smallest, every time
            names[lang] = str(label)
    return out


def _named(iri: str, names: Names, lang: str) -> Cell | None:
    found = names.get(iri)
    if not found:
        return None
    if lang in found:
        return Cell(found[lang], iri, lang)
    text = found.get("fr") or next(iter(sorted(found.values())))
    return Cell(text, iri, "fr", fallback=lang != "fr")


def value_cell(term: Node | None, *, lang: str = "fr", names: Names | None = None) -> Cell:
    """One term as a cell: IRIs by their name (``names``) or short id, texts with their language
    (``fallback`` when a language-tagged text is not in ``lang``), numbers by value."""
    if term is None:
        return Cell("")
    if isinstance(term, URIRef):
        named = _named(str(term), names or {}, lang)
        return named or Cell(short_id(term), str(term))
    if isinstance(term, Literal):
        return _literal_cell(term, lang)
    return Cell(display(term))


@lru_cache(maxsize=200_000)
def _literal_cell(term: Literal, lang: str) -> Cell:
    # kept: answers show the same texts and numbers again and again (a gap's ROME items)
    tag = term.language.lower() if term.language else None
    return Cell(cell(term), None, tag, fallback=tag is not None and tag != lang)


def labelled(query: StoredQuery, result: Result, *, lang: str = "fr",
             names: Names | None = None) -> Table:
    """``result`` of ``query`` as a Table (see Table); the variables' order is kept but for a
    label, which moves before the column of IRIs it names."""
    variables = result.variables
    order: list[int] = []
    for i, v in enumerate(variables):
        if v.endswith(LABEL_SUFFIX) and v[:-len(LABEL_SUFFIX)] in variables:
            continue  # placed before the column it names
        label = f"{v}{LABEL_SUFFIX}"
        if label in variables:
            order.append(variables.index(label))
        order.append(i)
    columns = []
    for i in order:
        v = variables[i]
        named = v[:-len(LABEL_SUFFIX)] if v.endswith(LABEL_SUFFIX) and \
            v[:-len(LABEL_SUFFIX)] in variables else None
        by = f"{v}{LABEL_SUFFIX}" if f"{v}{LABEL_SUFFIX}" in variables else None
        col = query.columns.get(v)
        columns.append(Heading(v, query.header(v, lang), named, by,
                               detail=col is not None and col.show == "detail"))
    by_id = {v for v, col in query.columns.items() if col.show == "id"}
    rows: dict[tuple[Cell, ...], None] = {}
    for row in result.rows:
        cells = []
        for i in order:
            c = value_cell(row[i], lang=lang,
                           names=None if variables[i] in by_id else names)
            v = variables[i]
            if v.endswith(LABEL_SUFFIX) and v[:-len(LABEL_SUFFIX)] in variables:
                target = row[variables.index(v[:-len(LABEL_SUFFIX)])]
                if isinstance(target, URIRef):  # the label links to what it names
                    c = Cell(c.text, str(target), c.lang, c.fallback)
            cells.append(c)
        rows.setdefault(tuple(cells), None)
    return Table(columns, list(rows), lang)


_TABLE_WORDS = {"fr": ("ligne", "lignes", "* pas de texte en {lang} dans les données : affiché "
                                          "en français ({n})"),
                "en": ("row", "rows", "* the data has no {lang} text here: shown in French "
                                      "({n})")}
_LANG_NAMES = {"fr": {"fr": "français", "en": "anglais"}, "en": {"fr": "French", "en": "English"}}


def table(result: Result | Table, *, width: int | None = None) -> str:
    """The rows for a terminal of ``width`` columns (default: the terminal's, else 120).

    A Result shows its variables and terms as they are; a Table its headers and cells (a text
    shown in French for want of the table's language is marked ``*`` and counted below).
    Columns that fit side by side are wrapped there (long cells flow onto several lines, IRIs
    break after a ``/``, headers between their words); when they cannot fit, even narrowed,
    each row is printed as a block of ``column | value`` lines instead.
    """
    width = width or shutil.get_terminal_size((120, 24)).columns
    if isinstance(result, Table):
        cols = [h.header for h in result.columns]
        glue = " "
        cells = [[c.text + ("*" if c.fallback else "") for c in row] for row in result.rows]
        one, many, note = _TABLE_WORDS.get(result.lang, _TABLE_WORDS["en"])
        n = result.fallbacks
        lang_name = _LANG_NAMES.get(result.lang, _LANG_NAMES["en"]).get(result.lang, result.lang)
        footnote = note.format(lang=lang_name, n=n) + "\n" if n else ""
    else:
        cols = result.variables
        cells = [[display(t) for t in row] for row in result.rows]
        one, many, footnote = "row", "rows", ""
        glue = ""
    if not cols:
        return ""
    count = f"({len(cells)} {one if len(cells) == 1 else many})\n" + footnote
    natural, comfortable, narrowest = [], [], []
    for i, c in enumerate(cols):
        values = [r[i] for r in cells]
        head = max(len(w) for w in _header_words(c))  # natural headers split at their spaces
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
    heads = [_wrap(" ".join(_header_words(c)), w, glue=glue) for c, w in zip(cols, widths,
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
