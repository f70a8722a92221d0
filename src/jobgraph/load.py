"""Curated files to typed records: reads YAML and CSV, keeps file:line, reports every problem at once."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import errno
import fnmatch
import io
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import DataError, Problem
from .model import (
    ALIGNMENT_BASES,
    COMPETENCE_KINDS,
    LINK_BASES,
    MATCH_RELATIONS,
    PROGRESSION_BASES,
    SCALE_KINDS,
    AcceptedFinding,
    Activity,
    Alignment,
    Certification,
    Competence,
    Criterion,
    Dataset,
    Family,
    Framework,
    Job,
    Level,
    Loc,
    ProgressionRef,
    Referential,
    RomeLink,
    Scale,
    Sector,
)

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
REF_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DURATION_RE = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
ROME_CODE_RE = re.compile(r"^[A-N][0-9]{4}$")
ROME_CSV_COLUMNS = ("job", "rome", "relation", "basis", "rationale")

# A curated file larger than this is refused before parsing: YAML parsing costs ~50x the file's
# size in memory, and no hand-kept referential comes close.
DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024

# Limits of one curated YAML file. PyYAML has no limit of its own on aliases or values (its
# issue #235, "Billion laughs attack", is open), libyaml only refuses more than 1000 levels of
# nesting, and strictyaml, which refuses anchors, also refuses the flow style ({a: 1}, [x, y])
# the shipped files use throughout. So the document is built here from the parser's events, in
# one loop without recursion, counting as it goes (_build below); the numbers are far above what
# the format needs and far below what hurts:
MAX_DEPTH = 20  # the format nests 5 levels at most (scale > levels > a level > aligned_to > keys)
MAX_VALUES = 500_000  # values in one file, aliases expanded; the largest shipped file has 2,875
MAX_ALIASES = 1_000  # uses of an alias (*name) in one file; the shipped files use none
MAX_NUMBER_CHARS = 20  # characters of a number as written: any bounded field fits in fewer
# Bounds of the typed fields (_Reader.value): every whole number of the format (scores, ranks,
# bands, criterion bounds, source lines) is a count or a position, the largest shipped one is a
# source line (3,002); and text lengths, the longest shipped being a REAC competence's
# description (3,525 characters, text), a mission sentence (513, str) and an id (48).
MAX_INT = 1_000_000
MAX_CHARS = {"id": 100, "str": 2_000, "text": 20_000}


def max_file_bytes() -> int:
    return int(float(os.environ.get("JOBGRAPH_MAX_FILE_MB", "16")) * 1024 * 1024)


class YMap(dict[str, Any]):
    """A YAML mapping that remembers its own line and each key's line."""

    line: int
    key_lines: dict[str, int]


class YList(list[Any]):
    """A YAML sequence that remembers its line and each item's line."""

    line: int = 1
    item_lines: list[int]

    def __init__(self, items: Any = ()) -> None:
        super().__init__(items)
        self.item_lines = [1] * len(self)


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _unreadable(path: Path, rel: str, exc: OSError) -> Problem:
    if exc.errno == errno.ELOOP:
        return Problem(rel, None, "is a symbolic link that leads back to itself (a link loop)",
                       "replace the link by the file it should point to")
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return Problem(rel, None, f"is a symbolic link to a missing file ({os.readlink(path)})",
                       "restore the file, or remove the link")
    return Problem(rel, None, f"cannot be read: {exc.strerror or exc}",
                   "check that it exists and can be read")


def read_bytes(path: Path, rel: str, *, limit: int | None = None) -> bytes:
    """The bytes of a file the loader reads: a regular file (a symbolic link to one is followed),
    at most ``limit`` bytes (the curated-file limit by default); any other problem raises
    DataError."""
    limit = max_file_bytes() if limit is None else limit
    # opened before it is looked at, so that what is checked is what is read; O_NONBLOCK so that
    # opening a named pipe returns at once instead of waiting for a writer
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DataError([_unreadable(path, rel, exc)]) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise DataError([Problem(rel, None, f"is {_file_kind(st.st_mode)}, not a regular file",
                                 "jobgraph reads plain files only: remove or rename it")])
    with os.fdopen(fd, "rb") as fh:
        too_big = DataError([Problem(
            rel, None, f"file is {st.st_size / 2**20:.1f} MiB, above the {limit / 2**20:.0f} MiB "
            "limit for a curated file", "split it, or raise JOBGRAPH_MAX_FILE_MB if this size is "
            "intended")])
        if st.st_size > limit:
            raise too_big
        try:
            raw = fh.read(limit + 1)  # bounded: the file may grow after fstat
        except OSError as exc:
            raise DataError([_unreadable(path, rel, exc)]) from None
        if len(raw) > limit:
            raise too_big
    return raw


def read_text(path: Path, rel: str, *, limit: int | None = None) -> str:
    """Read a curated file as UTF-8; size, encoding and emptiness problems raise DataError."""
    raw = read_bytes(path, rel, limit=limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError([Problem(rel, line,
                                 f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                                 "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise DataError([Problem(rel, 1, "file is empty", "fill it or remove it")])
    return text


_STR_TAG = "tag:yaml.org,2002:str"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
# the scalar types a curated value may have: text, numbers, true/false, nothing, dates (not
# !!binary, whose bytes a text field would print as b'...', nor !!merge, nor any other)
_SCALAR_TAGS = frozenset({_STR_TAG, *_NUMBER_TAGS, "tag:yaml.org,2002:bool",
                          "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"})
_COLLECTION_TAGS = (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Open:
    """A mapping or sequence being built: its value, expanded size, anchor, pending key."""

    __slots__ = ("anchor", "key", "key_line", "size", "value")

    def __init__(self, value: YMap | YList, anchor: str | None) -> None:
        self.value = value
        self.anchor = anchor
        self.size = 1
        self.key: str | None = None
        self.key_line = 0


def _build(loader: Any, rel: str) -> Any:
    """The document of ``loader`` as YMap/YList/scalars, bounded by MAX_DEPTH, MAX_VALUES and
    MAX_ALIASES, without recursion; None for a stream without document.

    An alias gives the anchored value itself (not a copy) and counts its expanded size, so an
    alias bomb is refused at the alias that crosses the limit, before anything is expanded. An
    anchor is known once its value is complete: an alias inside it (a value containing itself)
    is refused as unknown.
    """
    def fail(line: int, message: str, hint: str | None = None) -> DataError:
        return DataError([Problem(rel, line, message, hint)])

    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # document start
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[_Open] = []
    values = aliases = 0
    root: Any = None
    while True:
        event = loader.get_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            if tag == _STR_TAG:
                value: Any = event.value
            elif tag not in _SCALAR_TAGS:
                raise fail(line, f"tag '{tag}' is not used in curated files", "remove the tag")
            else:
                if tag in _NUMBER_TAGS and len(event.value) > MAX_NUMBER_CHARS:
                    raise fail(line, f"a number of {len(event.value):,} characters, above the "
                               f"limit of {MAX_NUMBER_CHARS}", "no field of the format needs such "
                               "a number; quote it if it is text")
                mark: Any = event.start_mark  # libyaml's Mark, not PyYAML's: the same fields
                node = yaml.ScalarNode(tag, event.value, mark, mark, style=event.style)
                try:
                    value = loader.construct_object(node, deep=True)
                except (ValueError, OverflowError, TypeError) as exc:
                    # a well-formed scalar the constructor refuses (2015-13-45 as a date)
                    raise fail(line, f"'{event.value[:40]}' cannot be read as "
                               f"{tag.rsplit(':', 1)[-1]}: {exc}", "correct it, or quote it if "
                               "it is text") from None
            size = 1
            anchor = event.anchor
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if event.tag not in _COLLECTION_TAGS:
                raise fail(line, f"tag '{event.tag}' is not used in curated files",
                           "remove the tag")
            if len(stack) >= MAX_DEPTH:
                raise fail(line, f"values nested more than {MAX_DEPTH} levels deep",
                           "the format nests 5 levels at most: check the indentation")
            values += 1
            if values > MAX_VALUES:
                raise fail(line, f"file holds more than {MAX_VALUES:,} values",
                           "split it into several files")
            container: YMap | YList
            if isinstance(event, yaml.MappingStartEvent):
                container = YMap()
                container.key_lines = {}
            else:
                container = YList()
            container.line = line
            stack.append(_Open(container, event.anchor))
            continue
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done = stack.pop()
            value, size, anchor = done.value, done.size, done.anchor
            line = done.value.line
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise fail(line, f"file uses more than {MAX_ALIASES:,} aliases (*name)",
                           "write the values out")
            if event.anchor not in anchors:
                raise fail(line, f"alias *{event.anchor} names no complete anchor before it",
                           f"define &{event.anchor} earlier, outside the value that uses it")
            value, size = anchors[event.anchor]
            anchor = None
            if values + size > MAX_VALUES:
                raise fail(line, f"alias *{event.anchor} expands to {size:,} values, which "
                           f"takes the file above the limit of {MAX_VALUES:,} values",
                           "write the values out")
            values += size - 1  # the alias itself is counted below
        elif isinstance(event, yaml.DocumentEndEvent):
            break
        else:  # pragma: no cover - the parser gives no other event inside a document
            raise fail(line, f"unexpected YAML event {type(event).__name__}")
        if not isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            values += 1
            if values > MAX_VALUES:
                raise fail(line, f"file holds more than {MAX_VALUES:,} values",
                           "split it into several files")
        if anchor is not None:
            anchors[anchor] = (value, size)
        if not stack:
            root = value
            continue
        parent = stack[-1]
        parent.size += size
        target = parent.value
        if isinstance(target, YList):
            target.append(value)
            target.item_lines.append(line)
        elif parent.key is None:
            if isinstance(value, (dict, list)):
                raise fail(line, "a key must be a plain value, not a mapping or a list",
                           "write the key as text followed by ':'")
            key = str(value)
            if key in target:
                raise fail(line, f"key '{key}' is written twice in one mapping", "keep one")
            parent.key, parent.key_line = key, line
        else:
            target[parent.key] = value
            target.key_lines[parent.key] = parent.key_line
            parent.key = None
    if not loader.check_event(yaml.StreamEndEvent):
        extra = loader.get_event()
        raise fail(extra.start_mark.line + 1, "file holds more than one YAML document",
                   "remove the '---' line, or keep one document per file")
    return root


def read_yaml(path: Path, rel: str) -> Any:
    """Parse a YAML file into YMap/YList values with line numbers."""
    text = read_text(path, rel)
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
    try:
        doc = _build(loader, rel)
        if doc is None:
            raise DataError([Problem(rel, 1, "file holds no YAML document", "fill it or remove it")])
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DataError([Problem(rel, line, f"malformed YAML: {exc.problem or exc}",
                                 "check indentation, quotes and the ':' after each key")]) from None
    except yaml.YAMLError as exc:
        raise DataError([Problem(rel, None, f"malformed YAML: {exc}")]) from None
    finally:
        loader.dispose()


# --- field readers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class F:
    """How to read one field: its type name, whether it is required."""

    kind: str  # str | text | int | bool | date | id | strlist | idlist | map | list | ref
    required: bool = False


class _Reader:
    """Reads mappings against a field spec, collecting problems instead of stopping."""

    def __init__(self, rel: str, problems: list[Problem]) -> None:
        self.rel = rel
        self.problems = problems

    def loc(self, line: int) -> Loc:
        return Loc(self.rel, line)

    def error(self, line: int | None, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.rel, line, message, hint))

    def mapping(self, value: Any, line: int, what: str) -> YMap | None:
        if not isinstance(value, YMap):
            self.error(line, f"{what} must be a mapping of keys to values, found {_kind(value)}")
            return None
        return value

    def known_keys(self, m: YMap, known: Iterable[str], what: str) -> bool:
        """Report every key of ``m`` not in ``known``, with the closest known key as a hint."""
        ok = True
        for key in m:
            if key not in known:
                self.error(m.key_lines.get(key, m.line), f"unknown key '{key}' in {what}",
                           unknown_hint(key, known))
                ok = False
        return ok

    def fields(self, m: YMap, spec: dict[str, F], what: str) -> dict[str, Any] | None:
        ok = True
        out: dict[str, Any] = {}
        if not self.known_keys(m, spec, what):
            ok = False
        for key, f in spec.items():
            if key not in m or m[key] is None:
                if f.required:
                    self.error(m.line, f"{what} lacks the required key '{key}'")
                    ok = False
                continue
            line = m.key_lines.get(key, m.line)
            value = self.value(m[key], f.kind, line, f"{what}: '{key}'")
            if value is _BAD:
                ok = False
            else:
                out[key] = value
        return out if ok else None

    def value(self, v: Any, kind: str, line: int, what: str) -> Any:
        if kind in ("str", "text"):
            if isinstance(v, bool) or isinstance(v, (YMap, YList, dict, list)):
                self.error(line, f"{what} must be text, found {_kind(v)}")
                return _BAD
            s = str(v)
            if kind == "str":
                s = " ".join(s.split())
            s = s.strip()
            return s if self.short_enough(s, kind, line, what) else _BAD
        if kind == "id":
            if isinstance(v, bool) or not isinstance(v, (str, int)):
                self.error(line, f"{what} must be an id, found {_kind(v)}")
                return _BAD
            s = str(v)
            if not self.short_enough(s, "id", line, what):
                return _BAD
            if not ID_RE.match(s):
                self.error(line, f"{what} '{s}' is not a valid id",
                           "use letters, digits, '.', '_' or '-', starting with a letter or digit")
                return _BAD
            return s
        if kind == "ref":  # an id, or <referential>/<id>
            if isinstance(v, bool) or not isinstance(v, (str, int)):
                self.error(line, f"{what} must be an id, found {_kind(v)}")
                return _BAD
            s = str(v)
            parts = s.split("/")
            if not all(self.short_enough(p, "id", line, what) for p in parts):
                return _BAD
            if len(parts) > 2 or not all(ID_RE.match(p) for p in parts):
                self.error(line, f"{what} '{s}' is not an id or a <referential>/<id> reference")
                return _BAD
            return s
        if kind == "int":
            if isinstance(v, bool) or not isinstance(v, int):
                self.error(line, f"{what} must be a whole number, found {_kind(v)} {v!r:.40}",
                           "write digits only, without quotes")
                return _BAD
            if not 0 <= v <= MAX_INT:
                self.error(line, f"{what} is {v}, outside 0 to {MAX_INT:,}",
                           "scores, ranks, bands and lines are counts or positions")
                return _BAD
            return v
        if kind == "bool":
            if not isinstance(v, bool):
                self.error(line, f"{what} must be true or false, found {v!r}")
                return _BAD
            return v
        if kind == "date":
            if isinstance(v, dt.date):
                return v
            try:
                return dt.date.fromisoformat(str(v))
            except ValueError:
                self.error(line, f"{what} must be a date YYYY-MM-DD, found {v!r}")
                return _BAD
        if kind in ("strlist", "idlist", "reflist"):
            if isinstance(v, (str, int)) and not isinstance(v, bool):
                v = [v]
            if not isinstance(v, list):
                self.error(line, f"{what} must be a list, found {_kind(v)}")
                return _BAD
            item_kind = {"strlist": "str", "idlist": "id", "reflist": "ref"}[kind]
            lines = getattr(v, "item_lines", [line] * len(v))
            items = [self.value(item, item_kind, ln, what) for item, ln in zip(v, lines, strict=True)]
            if any(i is _BAD for i in items):
                return _BAD
            return items
        if kind == "map":
            if not isinstance(v, YMap):
                self.error(line, f"{what} must be a mapping, found {_kind(v)}")
                return _BAD
            return v
        if kind == "list":
            if not isinstance(v, YList):
                self.error(line, f"{what} must be a list, found {_kind(v)}")
                return _BAD
            return v
        if kind == "texts":  # text in one unstated language, or {fr: text, en: text}
            return _texts(self, v, line, what)
        raise AssertionError(kind)

    def short_enough(self, s: str, kind: str, line: int, what: str) -> bool:
        limit = MAX_CHARS[kind]
        if len(s) <= limit:
            return True
        self.error(line, f"{what} is {len(s):,} characters long, above the limit of {limit:,}",
                   {"id": "ids become IRIs: keep them short",
                    "str": "one sentence or label per value; longer text goes in a text field",
                    "text": "a paragraph, not a document"}[kind])
        return False

    def records(self, value: Any, line: int, what: str) -> Iterable[tuple[YMap, int]]:
        """The mappings of a list, with their lines; reports items that are not mappings."""
        if not isinstance(value, YList):
            self.error(line, f"'{what}' must be a list, found {_kind(value)}")
            return
        for item, item_line in zip(value, value.item_lines, strict=True):
            m = self.mapping(item, item_line, f"an item of '{what}'")
            if m is not None:
                yield m, item_line


class _Bad:
    pass


_BAD = _Bad()


def _show(value: str, width: int = 60) -> str:
    """A value as quoted in a message: cut short when long."""
    return value if len(value) <= width else value[: width - 1] + "…"


def unknown_hint(name: str, known: Iterable[str]) -> str:
    """'did you mean …' with the closest known name, then the known names."""
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1)
    listed = "known: " + ", ".join(names)
    return f"did you mean '{close[0]}'? {listed}" if close else listed


def _kind(v: Any) -> str:
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int):
        return "a number"
    if isinstance(v, float):
        return "a decimal number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    return type(v).__name__


# --- specs -------------------------------------------------------------------------------------

REFERENTIAL_SPEC = {
    "id": F("id", True), "title": F("str", True), "title_en": F("str"), "issued": F("date"),
    "publisher": F("str"), "source": F("map"), "sector": F("map"), "idcc": F("str"),
    "signatories": F("map"), "note": F("text"), "scale": F("str"), "criteria": F("list"),
    "families": F("list"),
}
SOURCE_SPEC = {"title": F("str"), "file": F("str"), "url": F("str")}
SECTOR_SPEC = {"id": F("id", True), "label": F("str", True), "label_en": F("str")}
SIGNATORIES_SPEC = {"employers": F("strlist"), "employees": F("strlist")}
SCALE_SPEC = {"id": F("id", True), "kind": F("str", True), "label": F("str", True),
              "band_basis": F("text"), "levels": F("list", True)}
LEVEL_SPEC = {"id": F("id", True), "notation": F("str", True), "rank": F("int", True),
              "label": F("str"), "definition": F("text"), "min_total": F("int"),
              "max_total": F("int"), "aligned_to": F("map"), "line": F("int")}
ALIGN_SPEC = {"level": F("ref"), "lowest": F("ref"), "highest": F("ref"), "basis": F("str", True),
              "note": F("text")}
CRITERION_SPEC = {"id": F("id", True), "label": F("str", True), "min": F("int", True),
                  "max": F("int", True), "rank": F("int", True), "line": F("int")}
FAMILY_SPEC = {"id": F("id", True), "label": F("str", True), "kind": F("str"),
               "broader": F("id"), "line": F("int")}
JOB_SPEC = {
    "id": F("id", True), "label": F("str", True), "alt_labels": F("strlist"),
    "alt_labels_en": F("strlist"), "definition": F("text"), "missions": F("strlist"),
    "accessory_missions": F("strlist"), "requirements": F("strlist"),
    "prerequisites": F("strlist"), "conditions": F("strlist"), "families": F("idlist"),
    "level": F("ref"), "scores": F("map"), "requires": F("idlist"), "requires_key": F("idlist"),
    "requires_new": F("idlist"), "progresses_to": F("list"), "close_to": F("idlist"),
    "legacy_rome": F("strlist"), "maximum_tenure": F("str"), "national_level": F("map"),
    "incomplete": F("text"), "line": F("int"),
}
PROGRESSION_SPEC = {"job": F("id", True), "basis": F("str"), "note": F("text")}
FRAMEWORK_SPEC = {"id": F("id", True), "title": F("str", True), "notation_pattern": F("str")}
ACTIVITY_SPEC = {"id": F("id", True), "label": F("str", True), "notation": F("str"),
                 "description": F("text"), "competences": F("idlist"), "line": F("int")}
COMPETENCE_SPEC = {
    "id": F("id", True), "framework": F("id", True), "kind": F("str", True), "label": F("str"),
    "notation": F("str"), "broader": F("id"), "transversal": F("bool"),
    "description": F("text"), "context": F("text"), "performance_criteria": F("strlist"),
    "category": F("str"), "line": F("int"),
}
CERTIFICATION_SPEC = {
    "id": F("id", True), "label": F("str", True), "level": F("ref"), "level_basis": F("str"),
    "nsf": F("strlist"), "rome": F("strlist"), "certifies": F("idlist"),
    "gives_access_to": F("idlist"), "accessible_titles": F("strlist"), "line": F("int"),
}
ACCEPTED_SPEC = {"rule": F("str", True), "focus": F("str", True), "reason": F("texts", True),
                 "cause": F("texts")}
TEXT_LANGS = ("fr", "en")


# --- one referential folder --------------------------------------------------------------------

def project_path(path: Path, data_dir: Path) -> str:
    """How a file under ``data_dir`` is named to users: relative to the project, the data
    folder's parent (``data/cci-2015/jobs.yaml``)."""
    return _rel(path, data_dir)


def _rel(path: Path, root: Path) -> str:
    """Path shown to users: relative to the project (the data folder's parent)."""
    try:
        # the folder resolved, not the file: a file may be a link loop (resolve() raises on one)
        return (path.parent.resolve() / path.name).relative_to(root.resolve().parent).as_posix()
    except (ValueError, OSError, RuntimeError):
        return path.as_posix()


def _lists(r: _Reader, doc: Any, rel: str, keys: tuple[str, ...],
           required: str | None = None) -> dict[str, YList]:
    """The lists under the top-level keys of a file such as ``jobs.yaml`` (``jobs: [...]``);
    an unknown key, a missing required one and a value that is not a list are reported."""
    if not isinstance(doc, YMap):
        r.error(1, f"{rel} must be a mapping with " + ", ".join(f"'{k}'" for k in keys)
                + f", found {_kind(doc)}")
        return {}
    r.known_keys(doc, keys, "the top level of the file")
    if required is not None and required not in doc:
        r.error(doc.line, f"the file has no '{required}' list",
                f"write '{required}: []' if there is none")
    out: dict[str, YList] = {}
    for key in keys:
        if key not in doc:
            continue
        value = doc[key]
        if isinstance(value, YList):
            out[key] = value
        elif value is not None or key == required:
            r.error(doc.key_lines.get(key, 1), f"'{key}' must be a list, found {_kind(value)}",
                    f"write '{key}: []' if there is none" if value is None else None)
    return out


def _read_referential(folder: Path, root: Path, problems: list[Problem]) -> Referential | None:
    path = folder / "referential.yaml"
    rel = _rel(path, root)
    if not os.path.lexists(path):
        problems.append(Problem(_rel(folder, root), None, "folder has no referential.yaml",
                                "every referential folder starts with referential.yaml"))
        return None
    doc = read_yaml(path, rel)
    r = _Reader(rel, problems)
    m = r.mapping(doc, 1, "referential.yaml")
    if m is None:
        return None
    scale_node = m.get("scale")
    spec = dict(REFERENTIAL_SPEC)
    if isinstance(scale_node, YMap):
        spec["scale"] = F("map")
    f = r.fields(m, spec, "the referential")
    if f is None:
        return None
    if f["id"] != folder.name:
        r.error(m.key_lines["id"], f"id '{f['id']}' differs from the folder name '{folder.name}'",
                "the folder name is the referential id")
        return None
    if not REF_ID_RE.match(f["id"]):
        r.error(m.key_lines["id"], f"referential id '{f['id']}' must be lowercase letters, digits, '-'")
    ref = Referential(id=f["id"], title=f["title"], loc=r.loc(m.line), folder=folder,
                      title_en=f.get("title_en"), issued=f.get("issued"),
                      publisher=f.get("publisher"), idcc=f.get("idcc"), note=f.get("note"))
    if "source" in f:
        s = r.fields(f["source"], SOURCE_SPEC, "source")
        if s:
            ref.source_title, ref.source_file = s.get("title"), s.get("file")
    if "sector" in f:
        s = r.fields(f["sector"], SECTOR_SPEC, "sector")
        if s:
            ref.sector = Sector(s["id"], s["label"], s.get("label_en"))
    if "signatories" in f:
        s = r.fields(f["signatories"], SIGNATORIES_SPEC, "signatories")
        if s:
            ref.employers, ref.employees = s.get("employers", []), s.get("employees", [])
    if isinstance(f.get("scale"), YMap):
        ref.scale = _read_scale(r, f["scale"])
    elif isinstance(f.get("scale"), str):
        ref.scale_ref = f["scale"]
    for cm, line in r.records(f.get("criteria", YList()), m.key_lines.get("criteria", 1), "criteria"):
        c = r.fields(cm, CRITERION_SPEC, "a criterion")
        if c:
            ref.criteria.append(Criterion(c["id"], c["label"], c["min"], c["max"], c["rank"],
                                          r.loc(line), c.get("line")))
    for fm, line in r.records(f.get("families", YList()), m.key_lines.get("families", 1), "families"):
        fam = r.fields(fm, FAMILY_SPEC, "a family")
        if fam:
            ref.families.append(Family(fam["id"], fam["label"], r.loc(line), fam.get("kind"),
                                       fam.get("broader"), fam.get("line")))
    return ref


def _read_scale(r: _Reader, m: YMap) -> Scale | None:
    f = r.fields(m, SCALE_SPEC, "the scale")
    if f is None:
        return None
    if f["kind"] not in SCALE_KINDS:
        r.error(m.key_lines["kind"], f"scale kind '{f['kind']}' is not one of {', '.join(SCALE_KINDS)}")
    scale = Scale(f["id"], f["kind"], f["label"], r.loc(m.line), f.get("band_basis"))
    for lm, line in r.records(f["levels"], m.key_lines["levels"], "levels"):
        lf = r.fields(lm, LEVEL_SPEC, "a level")
        if lf is None:
            continue
        align = _read_alignment(r, lf["aligned_to"], "aligned_to") if "aligned_to" in lf else None
        scale.levels.append(Level(lf["id"], lf["notation"], lf["rank"], r.loc(line),
                                  lf.get("label"), lf.get("definition"), lf.get("min_total"),
                                  lf.get("max_total"), align, lf.get("line")))
    return scale


def _read_alignment(r: _Reader, m: YMap, what: str) -> Alignment | None:
    """An ``aligned_to`` (level) or ``national_level`` (job): one level or a lowest–highest
    range."""
    f = r.fields(m, ALIGN_SPEC, what)
    if f is None:
        return None
    ok = True
    if f["basis"] not in ALIGNMENT_BASES:
        r.error(m.key_lines["basis"], f"{what}: basis '{f['basis']}' is not one of "
                + ", ".join(ALIGNMENT_BASES))
        ok = False
    bounds = [k for k in ("lowest", "highest") if k in f]
    if "level" in f and bounds:
        r.error(m.line, f"{what} has both 'level' and '{bounds[0]}'",
                "write 'level' for one level, or 'lowest' and 'highest' for a range, not both")
        return None
    if "level" in f:
        if not ok:
            return None
        return Alignment(f["level"], f["level"], f["basis"], f.get("note"), r.loc(m.line))
    if len(bounds) == 1:
        missing = "highest" if bounds[0] == "lowest" else "lowest"
        r.error(m.key_lines[bounds[0]], f"{what} has '{bounds[0]}' but no '{missing}'",
                "a range needs both 'lowest' and 'highest'; "
                f"for one level write 'level: {f[bounds[0]]}'")
        return None
    if not bounds:
        r.error(m.line, f"{what} names no level",
                "write 'level: cnc-2019/4', or 'lowest: cnc-2019/4' and 'highest: cnc-2019/5'")
        return None
    if f["lowest"] == f["highest"]:
        r.error(m.key_lines["highest"],
                f"{what} has the same lowest and highest level '{f['lowest']}'",
                f"write 'level: {f['lowest']}' for one level")
        return None
    return Alignment(f["lowest"], f["highest"], f["basis"], f.get("note"), r.loc(m.line),
                     exact=False) if ok else None


def _read_jobs(path: Path, rel: str, ref: Referential, problems: list[Problem]) -> None:
    r = _Reader(rel, problems)
    doc = read_yaml(path, rel)
    for m, line in r.records(_lists(r, doc, rel, ("jobs",), "jobs").get("jobs", YList()), 1,
                             "jobs"):
        f = r.fields(m, JOB_SPEC, "a job")
        if f is None:
            # keep the id known so that references to it do not add false problems
            if isinstance(m.get("id"), (str, int)) and not isinstance(m.get("id"), bool):
                ref.jobs.append(Job(id=str(m["id"]), label=str(m.get("label", "")), loc=r.loc(line)))
            continue
        job = Job(id=f["id"], label=f["label"], loc=r.loc(line))
        for key in ("alt_labels", "alt_labels_en", "missions", "accessory_missions",
                    "requirements", "prerequisites", "conditions", "families", "requires",
                    "requires_key", "requires_new", "close_to", "legacy_rome"):
            setattr(job, key, f.get(key, []))
        job.definition, job.level = f.get("definition"), f.get("level")
        job.incomplete, job.doc_line = f.get("incomplete"), f.get("line")
        if "national_level" in f:
            if ref.scale is not None or ref.scale_ref is not None:
                r.error(m.key_lines["national_level"],
                        f"job '{job.id}' has national_level, "
                        f"but referential '{ref.id}' has a scale",
                        "the national level of its jobs comes from their level: write it as "
                        "'aligned_to' of that level in referential.yaml")
            else:
                job.national_level = _read_alignment(r, f["national_level"], "national_level")
        if "maximum_tenure" in f:
            if DURATION_RE.match(f["maximum_tenure"]):
                job.maximum_tenure = f["maximum_tenure"]
            else:
                r.error(m.key_lines["maximum_tenure"],
                        f"maximum_tenure '{f['maximum_tenure']}' is not an ISO 8601 duration",
                        "write e.g. P6M for six months")
        if "scores" in f:
            sm = f["scores"]
            for crit, value in sm.items():
                v = r.value(value, "int", sm.key_lines[crit], f"score '{crit}' of job '{job.id}'")
                if v is not _BAD:
                    job.scores[str(crit)] = v
        for pm_item, pline in zip(f.get("progresses_to", []),
                                  getattr(f.get("progresses_to"), "item_lines", []), strict=False):
            if isinstance(pm_item, YMap):
                pf = r.fields(pm_item, PROGRESSION_SPEC, "a progression")
                if pf is None:
                    continue
                basis = pf.get("basis", "explicit")
                if basis not in PROGRESSION_BASES:
                    r.error(pline, f"progression basis '{basis}' is not one of "
                            + ", ".join(PROGRESSION_BASES))
                job.progresses_to.append(_progression(pf["job"], basis, r.loc(pline), pf.get("note")))
            else:
                target = r.value(pm_item, "id", pline, "a progression target")
                if target is not _BAD:
                    job.progresses_to.append(_progression(target, "ladder", r.loc(pline), None))
        ref.jobs.append(job)


def _progression(job: str, basis: str, loc: Loc, note: str | None) -> ProgressionRef:
    return ProgressionRef(job=job, basis=basis, loc=loc, note=note)


def _read_competences(path: Path, rel: str, ref: Referential, problems: list[Problem]) -> None:
    r = _Reader(rel, problems)
    doc = read_yaml(path, rel)
    parts = _lists(r, doc, rel, ("frameworks", "competences", "activities"))
    for m, line in r.records(parts.get("frameworks", YList()), 1, "frameworks"):
        f = r.fields(m, FRAMEWORK_SPEC, "a framework")
        if f:
            if f.get("notation_pattern"):
                try:
                    re.compile(f["notation_pattern"])
                except re.error as exc:
                    r.error(m.key_lines["notation_pattern"], f"notation_pattern is not a regular "
                            f"expression: {exc}")
                    continue
            ref.frameworks.append(Framework(f["id"], f["title"], r.loc(line), f.get("notation_pattern")))
    for m, line in r.records(parts.get("activities", YList()), 1, "activities"):
        f = r.fields(m, ACTIVITY_SPEC, "an activity type")
        if f:
            ref.activities.append(Activity(f["id"], f["label"], r.loc(line), f.get("notation"),
                                           f.get("competences", []), f.get("line"),
                                           f.get("description")))
    for m, line in r.records(parts.get("competences", YList()), 1, "competences"):
        f = r.fields(m, COMPETENCE_SPEC, "a competence")
        if f is None:
            if isinstance(m.get("id"), (str, int)) and isinstance(m.get("framework"), str):
                ref.competences.append(Competence(id=str(m["id"]), framework=m["framework"],
                                                  kind="competence", loc=r.loc(line)))
            continue
        if f["kind"] not in COMPETENCE_KINDS:
            r.error(m.key_lines["kind"], f"competence kind '{f['kind']}' is not one of "
                    + ", ".join(COMPETENCE_KINDS))
            continue
        ref.competences.append(Competence(
            id=f["id"], framework=f["framework"], kind=f["kind"], loc=r.loc(line),
            label=f.get("label"), notation=f.get("notation"), broader=f.get("broader"),
            transversal=f.get("transversal"), description=f.get("description"),
            context=f.get("context"), performance_criteria=f.get("performance_criteria", []),
            category=f.get("category"), doc_line=f.get("line")))


def _read_certifications(path: Path, rel: str, ref: Referential, problems: list[Problem]) -> None:
    r = _Reader(rel, problems)
    doc = read_yaml(path, rel)
    top = _lists(r, doc, rel, ("certifications",), "certifications")
    for m, line in r.records(top.get("certifications", YList()), 1, "certifications"):
        f = r.fields(m, CERTIFICATION_SPEC, "a certification")
        if f is None:
            continue
        if f.get("level_basis") and f["level_basis"] not in ALIGNMENT_BASES:
            r.error(m.key_lines["level_basis"], f"level_basis '{f['level_basis']}' is not one of "
                    + ", ".join(ALIGNMENT_BASES))
        ref.certifications.append(Certification(
            id=f["id"], label=f["label"], loc=r.loc(line), level=f.get("level"),
            level_basis=f.get("level_basis"), nsf=f.get("nsf", []), rome=f.get("rome", []),
            certifies=f.get("certifies", []), gives_access_to=f.get("gives_access_to", []),
            accessible_titles=f.get("accessible_titles", []), doc_line=f.get("line")))


def _read_accepted(path: Path, rel: str, ref: Referential, problems: list[Problem]) -> None:
    r = _Reader(rel, problems)
    doc = read_yaml(path, rel)
    top = _lists(r, doc, rel, ("accepted",), "accepted")
    for m, line in r.records(top.get("accepted", YList()), 1, "accepted"):
        f = r.fields(m, ACCEPTED_SPEC, "an accepted finding")
        if f:
            ref.accepted.append(AcceptedFinding(f["rule"], f["focus"], f["reason"], r.loc(line),
                                                f.get("cause", {})))


def _texts(r: _Reader, v: Any, line: int, what: str) -> dict[str, str] | _Bad:
    """A text by language: ``{fr: …, en: …}`` (one language or both), or plain text whose language
    is not stated (key ``""``)."""
    if not isinstance(v, YMap):
        text = r.value(v, "text", line, what)
        if isinstance(text, _Bad):
            return text
        if not text:
            r.error(line, f"{what} is empty")
            return _BAD
        return {"": str(text)}
    out: dict[str, str] = {}
    for lang, text in v.items():
        at = v.key_lines.get(lang, line)
        if lang not in TEXT_LANGS:
            r.error(at, f"{what}: unknown language '{lang}'", "write fr: and/or en:")
            return _BAD
        value = r.value(text, "text", at, f"{what} ({lang})") if text is not None else ""
        if isinstance(value, _Bad):
            return value
        if not value:
            r.error(at, f"{what} ({lang}) is empty")
            return _BAD
        out[str(lang)] = str(value)
    if not out:
        r.error(line, f"{what} has no text", "write fr: and/or en:")
        return _BAD
    return out


def csv_problem(rel: str, line: int, exc: csv.Error) -> Problem:
    """The csv module's error, said in the terms of the record starting at ``line``."""
    text = str(exc)
    if "unexpected end of data" in text:
        message = "a quote opened in the record starting here is never closed"
    elif "expected after" in text:
        message = ("a quote closes a field of the record starting here but text follows it: "
                   "a quote left open, or a quote inside a field")
    else:
        message = f"malformed CSV in the record starting here: {text}"
    return Problem(rel, line, message, "a field that holds a comma, a quote or a line break is "
                   'written in quotes, a quote inside it doubled ("")')


def csv_records(text: str, rel: str, *, first_line: int = 1,
                one_line: bool = False) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of every non-blank record of a CSV text whose first line is ``first_line``
    of its file. Read strictly: a stray quote, or a quote left open until the end, raises
    DataError at the line where the record starts; with ``one_line``, so does a record that runs
    over several lines (a quote left open that took in the next rows)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    end = 0  # the last line of the record read last
    try:
        for values in reader:
            start, end = end + 1, reader.line_num
            if one_line and end > start:
                raise DataError([Problem(
                    rel, first_line - 1 + start, f"the record starting here runs over "
                    f"{end - start + 1} lines, up to line {first_line - 1 + end}: a quote is "
                    "left open", "close the quote of this line (each row is one line)")])
            if values and (values[0].strip() or any(v.strip() for v in values)):
                yield first_line - 1 + start, values
    except csv.Error as exc:
        raise DataError([csv_problem(rel, first_line + end, exc)]) from None


def read_csv_rows(path: Path, rel: str, columns: tuple[str, ...],
                  problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with exactly ``columns``, each with its line; column problems are reported."""
    text = read_text(path, rel)
    rows: list[tuple[int, dict[str, str]]] = []
    records = csv_records(text, rel, one_line=True)
    try:
        _, header = next(records)
        header = [h.strip() for h in header]
        if tuple(header) != columns:
            missing = [c for c in columns if c not in header]
            extra = [c for c in header if c not in columns]
            detail = "; ".join(x for x in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(extra)}" if extra else "") if x) or "wrong order"
            problems.append(Problem(rel, 1, f"header must be {','.join(columns)} ({detail})",
                                    "fix the first line of the file"))
            return rows
        for line, values in records:
            if len(values) != len(columns):
                problems.append(Problem(rel, line, f"row has {len(values)} fields, "
                                        f"the header has {len(columns)}",
                                        "quote fields that contain a comma"))
                continue
            rows.append((line, {c: v.strip() for c, v in zip(columns, values, strict=True)}))
    except StopIteration:
        problems.append(Problem(rel, 1, "file has no header line", "fill it or remove it"))
    except DataError as exc:
        problems.extend(exc.problems)
    return rows


def _read_rome_links(path: Path, rel: str, ref: Referential, problems: list[Problem]) -> None:
    for line, row in read_csv_rows(path, rel, ROME_CSV_COLUMNS, problems):
        bad = False
        if not ROME_CODE_RE.match(row["rome"]):
            problems.append(Problem(rel, line, f"'{_show(row['rome'])}' is not a ROME 4.0 code",
                                    "a letter A to N and four digits, e.g. M1607"))
            bad = True
        if row["relation"] not in MATCH_RELATIONS:
            problems.append(Problem(rel, line, f"relation '{_show(row['relation'])}' is not one of "
                                    + ", ".join(MATCH_RELATIONS)))
            bad = True
        if row["basis"] not in LINK_BASES:
            problems.append(Problem(rel, line, f"basis '{_show(row['basis'])}' is not one of "
                                    + ", ".join(LINK_BASES)))
            bad = True
        for column, kind in (("job", "id"), ("rationale", "str")):
            if len(row[column]) > MAX_CHARS[kind]:
                problems.append(Problem(rel, line, f"{column} is {len(row[column]):,} characters "
                                        f"long, above the limit of {MAX_CHARS[kind]:,}",
                                        "the rationale is one line saying why"))
                bad = True
        if not bad:
            ref.rome_links.append(RomeLink(row["job"], row["rome"], row["relation"], row["basis"],
                                           row["rationale"], Loc(rel, line)))


_PARTS: list[tuple[str, Callable[[Path, str, Referential, list[Problem]], None]]] = [
    ("jobs*.yaml", _read_jobs),
    ("competences*.yaml", _read_competences),
    ("certifications*.yaml", _read_certifications),
    ("rome*.csv", _read_rome_links),
    ("accepted-findings.yaml", _read_accepted),
]
# every file data/README.md calls required, besides referential.yaml (read first)
REQUIRED_FILES = ("jobs.yaml",)
# files of a referential folder with one of these endings are data: one that no part reads is a
# misnamed file (job.yaml, competence.yaml), reported rather than silently left out
DATA_SUFFIXES = (".yaml", ".yml", ".csv")


def _folder_files(folder: Path, root: Path, problems: list[Problem]) -> list[Path]:
    """The data files of a referential folder, sorted; unknown data files are reported."""
    try:
        names = sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        problems.append(_unreadable(folder, _rel(folder, root), exc))
        return []
    known = ["referential.yaml"] + [pattern.replace("*", "") for pattern, _ in _PARTS]
    for name in names:
        if name.startswith(".") or not name.endswith(DATA_SUFFIXES) or name == "referential.yaml":
            continue
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern, _ in _PARTS):
            problems.append(Problem(_rel(folder / name, root), None,
                                    "is not a file of a referential folder",
                                    unknown_hint(name, known) + " (data/README.md)"))
    for name in REQUIRED_FILES:
        if name not in names:
            problems.append(Problem(_rel(folder, root), None, f"folder has no {name}",
                                    f"every referential folder has one; write '{name[:-5]}: []' "
                                    "in it for a referential without any"))
    return [folder / name for name in names]


def load_referential(folder: Path, root: Path, problems: list[Problem],
                     unread: set[str] | None = None) -> Referential | None:
    """Read one referential folder; problems are appended, parse failures included. The id of a
    referential with a file that could not be read at all is added to ``unread``."""
    try:
        ref = _read_referential(folder, root, problems)
    except DataError as exc:
        problems.extend(exc.problems)
        return None
    if ref is None:
        return None
    files = _folder_files(folder, root, problems)
    if unread is not None and any(folder / name not in files for name in REQUIRED_FILES):
        unread.add(ref.id)  # what the missing file would hold is not cross-checked either
    for pattern, reader in _PARTS:
        for path in files:
            if not fnmatch.fnmatchcase(path.name, pattern):
                continue
            try:
                reader(path, _rel(path, root), ref, problems)
            except DataError as exc:
                problems.extend(exc.problems)
                if unread is not None:
                    unread.add(ref.id)
    return ref


def is_referential_folder(folder: Path) -> bool:
    return folder.is_dir() and not folder.name.startswith((".", "_")) and folder.name != "rome"


def _check_rome_files(rome: Path, data_dir: Path, problems: list[Problem]) -> None:
    """Every CSV file under ``rome`` is a regular file: the build reads them all (to key its
    cache) before the ROME reader looks at them one by one."""
    try:
        paths = sorted(rome.rglob("*.csv"))
    except OSError as exc:
        problems.append(_unreadable(rome, _rel(rome, data_dir), exc))
        return
    for path in paths:
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            problems.append(_unreadable(path, _rel(path, data_dir), exc))
            continue
        if not stat.S_ISREG(mode):
            problems.append(Problem(_rel(path, data_dir), None,
                                    f"is {_file_kind(mode)}, not a regular file",
                                    "jobgraph reads plain files only: remove or rename it"))


Reader = Callable[[Path, Path, list[Problem], set[str]], "Referential | None"]


def load(data_dir: Path, *, read: Reader | None = None) -> Dataset:
    """Load every referential of ``data_dir`` and check references; raise DataError on any problem.
    ``read``: what reads one folder (``load_referential``, or the build's cache of it)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError([Problem(str(data_dir), None, "data folder not found",
                                 "give the folder holding one sub-folder per referential with --data")])
    problems: list[Problem] = []
    ds = Dataset(root=data_dir)
    unread: set[str] = set()
    entries = sorted(data_dir.iterdir())
    for entry in entries:
        if entry.is_symlink() and not entry.exists():
            # a broken link to a referential folder would otherwise leave it out without a word
            problems.append(Problem(_rel(entry, data_dir), None, "is a symbolic link to nothing "
                                    "(its target is missing, or it leads back to itself)",
                                    "restore the folder it points to, or remove the link"))
    for folder in (p for p in entries if is_referential_folder(p)):
        ref = (read or load_referential)(folder, data_dir, problems, unread)
        if ref is not None:
            ds.referentials[ref.id] = ref
    rome = data_dir / "rome"
    ds.rome_dir = rome if rome.is_dir() else None
    if ds.rome_dir is not None:
        _check_rome_files(ds.rome_dir, data_dir, problems)
    elif os.path.lexists(rome) and not rome.is_symlink():  # a broken link is reported above
        problems.append(Problem(_rel(rome, data_dir), None, "is not a folder",
                                "data/rome is the folder of the ROME files (data/rome/README.md)"))
    if not ds.referentials and not problems:
        problems.append(Problem(str(data_dir), None, "no referential folder found",
                                "each referential is a folder with a referential.yaml"))
    from .resolve import check_references

    # a referential with an unreadable file is not cross-checked: its references to what that
    # file holds would all be reported as unknown, hiding the one problem to fix
    check_references(ds, problems, skip=unread)
    if problems:
        raise DataError(_sorted(problems))
    return ds


def _sorted(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, int | None, str]] = set()
    out = []
    for p in sorted(problems, key=lambda p: (p.file, p.line or 0, p.message)):
        key = (p.file, p.line, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
