"""Batch coding: a file of titles (one a line, or a CSV column) to one answer per line, in order,
with the accuracy when the file says which codes are expected."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from . import meaning
from .engine import Answer, Engine, Near

MAX_TEXT = 1000  # characters: a longer "title" is a pasted document, not a title
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CODES = re.compile(r"[\s,;|]+")


class InputError(UsageError):
    """A batch input that cannot be read at all: bad encoding, a missing column, broken CSV."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        """``line`` 0: the file as a whole (it cannot be opened), named without a line."""
        self.path, self.line = str(path), line
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


@dataclass
class Item:
    """One line of the input: its number, its text, what it expects, who to leave out."""

    line: int
    text: str
    expected: list[str] = field(default_factory=list)
    leave_out: list[str] = field(default_factory=list)
    problem: str = ""  # why the line gets an empty answer without being searched


def _decode(path: Path) -> list[str]:
    """The file's lines as text: UTF-8 (a byte-order mark is allowed); otherwise InputError
    naming the first line that is not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, 0, f"cannot read the file ({exc.strerror or exc})") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines = raw.split(b"\n")
    out = []
    for n, line in enumerate(lines, 1):
        try:
            out.append(line.decode("utf-8").rstrip("\r"))
        except UnicodeDecodeError as exc:
            raise InputError(path, n, f"not UTF-8 text (byte 0x{line[exc.start]:02x} at "
                             f"column {exc.start + 1}); save the file as UTF-8") from None
    if out and out[-1] == "":
        out.pop()  # the newline that ends the last line
    return out


def _check(text: str) -> str:
    if not text.strip():
        return "blank line"
    if _CONTROL.search(text):
        return "unreadable line: control characters, not a title"
    if len(text) > MAX_TEXT:
        return f"unreadable line: {len(text)} characters, more than a title ({MAX_TEXT})"
    return ""


def read_items(path: Path, *, column: str | None = None, expected: str | None = None,
               leave_out: str | None = None) -> list[Item]:
    """The titles of ``path``: one a line, or the ``column`` of a CSV file (comma, semicolon or
    tab separated, with a header row); ``expected`` and ``leave_out`` name CSV columns of
    expected fiche codes and of jobs (``<referential>/<id>``) to leave out of the index."""
    lines = _decode(path)
    if column is None:
        if expected or leave_out:
            raise UsageError("--expected and --leave-out name CSV columns: give --column too")
        return [Item(n, t, problem=_check(t)) for n, t in enumerate(lines, 1)]
    if not lines:
        raise InputError(path, 1, "empty file: a CSV file needs a header row")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(lines[0],
                                                                       delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    text = "\n".join(lines) + "\n"
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as exc:
        raise InputError(path, 1, f"not a CSV header ({exc})") from None
    positions = {}
    for flag, name in (("--column", column), ("--expected", expected),
                       ("--leave-out", leave_out)):
        if name is None:
            continue
        if name not in header:
            shown = ", ".join(h for h in header[:20])
            raise InputError(path, 1, f"no column {name!r} ({flag}); the columns are: {shown}")
        positions[flag] = header.index(name)
    items: list[Item] = []
    try:
        for row in reader:
            n = reader.line_num
            if not any(cell.strip() for cell in row):
                items.append(Item(n, "", problem="blank line"))
                continue
            if len(row) <= positions["--column"]:
                items.append(Item(n, "", problem=f"unreadable line: {len(row)} field(s), no "
                                  f"{column!r}"))
                continue
            t = row[positions["--column"]]
            item = Item(n, t, problem=_check(t))
            if "--expected" in positions and len(row) > positions["--expected"]:
                item.expected = [c for c in _CODES.split(row[positions["--expected"]]) if c]
            if "--leave-out" in positions and len(row) > positions["--leave-out"]:
                item.leave_out = [c for c in row[positions["--leave-out"]].split() if c]
            items.append(item)
    except csv.Error as exc:
        raise InputError(path, reader.line_num, f"broken CSV ({exc})") from None
    return items


@dataclass
class Coded:
    """The answer to one input line."""

    item: Item
    answer: Answer

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.answer.fiches]


@dataclass
class Accuracy:
    """Top-1 and top-k accuracy over the lines that expect codes."""

    k: int
    lines: int = 0
    first: int = 0
    in_top: int = 0
    empty: int = 0

    def add(self, coded: Coded) -> None:
        if not coded.item.expected:
            return
        self.lines += 1
        codes = coded.codes
        wanted = set(coded.item.expected)
        self.first += bool(codes) and codes[0] in wanted
        self.in_top += bool(wanted & set(codes[: self.k]))
        self.empty += not codes

    def text(self) -> str:
        if not self.lines:
            return "accuracy: no line with expected codes"
        return (f"accuracy on {self.lines} line(s) with expected codes: top-1 "
                f"{self.first / self.lines:.3f} ({self.first}), top-{self.k} "
                f"{self.in_top / self.lines:.3f} ({self.in_top}); {self.empty} without answer")


class _Ahead:
    """The meaning a batch needs, made ahead of the line being coded: the distinct texts to
    embed, ``meaning.CHUNK`` a call, on the worker threads, which also multiply them by the
    index's embeddings (``Engine.nearness``: once for the chunk); at most ``window`` chunks
    ahead (a file of a million titles does not hold a million of them), each text's kept until
    the last line that needs it."""

    def __init__(self, engine: Engine, texts: list[str | None], window: int = 4) -> None:
        self.engine = engine
        self.texts = texts
        order = list(dict.fromkeys(t for t in texts if t is not None))
        self.chunks = [order[i:i + meaning.CHUNK] for i in range(0, len(order), meaning.CHUNK)]
        self.chunk_of = {t: i // meaning.CHUNK for i, t in enumerate(order)}
        self.last = {t: n for n, t in enumerate(texts) if t is not None}
        self.window = window
        self.pending: dict[int, Future[tuple[npt.NDArray[np.float32], ...]]] = {}
        self.submitted = 0
        self.ready: dict[str, Near] = {}

    def _submit_until(self, chunk: int) -> None:
        while self.submitted < min(chunk + self.window, len(self.chunks)):
            self.pending[self.submitted] = meaning.submit_many(self.chunks[self.submitted],
                                                               self.engine.nearness)
            self.submitted += 1

    def get(self, n: int) -> Near | None:
        """The cosines line ``n`` needs (None: it needs none, or meaning has just failed)."""
        t = self.texts[n]
        if t is None or not self.engine.uses_meaning:
            return None
        if t not in self.ready:
            c = self.chunk_of[t]
            try:
                self._submit_until(c + 1)
                titles, fiches = self.pending.pop(c).result()
            except meaning.Unavailable as exc:
                self.engine.turn_meaning_off(str(exc))
                return None
            self.ready.update(zip(self.chunks[c], zip(titles, fiches, strict=True),
                                  strict=True))
        vector = self.ready[t]
        if self.last[t] == n:
            del self.ready[t]
        return vector


def code_all(engine: Engine, items: list[Item], *, top: int = 5,
             jobs: int = 5) -> Iterator[Coded]:
    """Each item's answer, in input order; a blank or unreadable line gets an empty answer with
    the reason. The texts whose meaning is asked (``Engine.needs_meaning``: not those an indexed
    title says word for word) are embedded once each, ahead, on the worker threads, while the
    lines before are ranked."""
    from ..namespaces import iri

    leave: list[list[str]] = []
    for item in items:
        out = []
        for spec in item.leave_out:
            ref, _, ident = spec.partition("/")
            if ref and ident:
                out.append(str(iri(ref, "job", ident)))
        leave.append(out)
    ahead = _Ahead(engine, [None if item.problem else engine.needs_meaning(item.text, leave[n])
                            for n, item in enumerate(items)])
    for n, item in enumerate(items):
        if item.problem:
            yield Coded(item, Answer(item.text, [], reason=item.problem,
                                     meaning_off=engine.meaning_off))
            continue
        yield Coded(item, engine.search(item.text, top=top, jobs=jobs, exclude=leave[n],
                                        near=ahead.get(n)))


__all__ = ["Accuracy", "Coded", "InputError", "Item", "code_all", "read_items"]
