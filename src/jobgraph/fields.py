"""Reading the typed fields of YAML mappings against a field spec, every problem collected with
its file and line (a curated file reports all its mistakes at once)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import Problem
from .model import Loc
from .yamlio import YList, YMap

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# Bounds of the typed fields (Reader.value): every whole number of the format (scores, ranks,
# bands, criterion bounds, source lines) is a count or a position, the largest shipped one is a
# source line (3,002); and text lengths, the longest shipped being a REAC competence's
# description (3,525 characters, text), a mission sentence (513, str) and an id (48).
MAX_INT = 1_000_000
MAX_CHARS = {"id": 100, "str": 2_000, "text": 20_000}
TEXT_LANGS = ("fr", "en")  # the languages of a text field written {fr: …, en: …}


@dataclass(frozen=True)
class F:
    """How to read one field: its type name, whether it is required."""

    kind: str  # str | text | int | bool | date | id | strlist | idlist | map | list | ref
    required: bool = False


class Reader:
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
            if value is BAD:
                ok = False
            else:
                out[key] = value
        return out if ok else None

    def value(self, v: Any, kind: str, line: int, what: str) -> Any:
        if kind in ("str", "text"):
            if isinstance(v, (bool, YMap, YList, dict, list)):
                self.error(line, f"{what} must be text, found {_kind(v)}")
                return BAD
            s = str(v)
            if kind == "str":
                s = " ".join(s.split())
            s = s.strip()
            return s if self.short_enough(s, kind, line, what) else BAD
        if kind == "id":
            if isinstance(v, bool) or not isinstance(v, (str, int)):
                self.error(line, f"{what} must be an id, found {_kind(v)}")
                return BAD
            s = str(v)
            if not self.short_enough(s, "id", line, what):
                return BAD
            if not ID_RE.match(s):
                self.error(line, f"{what} '{s}' is not a valid id",
                           "use letters, digits, '.', '_' or '-', starting with a letter or digit")
                return BAD
            return s
        if kind == "ref":  # an id, or <referential>/<id>
            if isinstance(v, bool) or not isinstance(v, (str, int)):
                self.error(line, f"{what} must be an id, found {_kind(v)}")
                return BAD
            s = str(v)
            parts = s.split("/")
            if not all(self.short_enough(p, "id", line, what) for p in parts):
                return BAD
            if len(parts) > 2 or not all(ID_RE.match(p) for p in parts):
                self.error(line, f"{what} '{s}' is not an id or a <referential>/<id> reference")
                return BAD
            return s
        if kind == "int":
            if isinstance(v, bool) or not isinstance(v, int):
                self.error(line, f"{what} must be a whole number, found {_kind(v)} {v!r:.40}",
                           "write digits only, without quotes")
                return BAD
            if not 0 <= v <= MAX_INT:
                self.error(line, f"{what} is {v}, outside 0 to {MAX_INT:,}",
                           "scores, ranks, bands and lines are counts or positions")
                return BAD
            return v
        if kind == "bool":
            if not isinstance(v, bool):
                self.error(line, f"{what} must be true or false, found {v!r}")
                return BAD
            return v
        if kind == "date":
            if isinstance(v, dt.date):
                return v
            try:
                return dt.date.fromisoformat(str(v))
            except ValueError:
                self.error(line, f"{what} must be a date YYYY-MM-DD, found {v!r}")
                return BAD
        if kind in ("strlist", "idlist", "reflist"):
            if isinstance(v, (str, int)) and not isinstance(v, bool):
                v = [v]
            if not isinstance(v, list):
                self.error(line, f"{what} must be a list, found {_kind(v)}")
                return BAD
            item_kind = {"strlist": "str", "idlist": "id", "reflist": "ref"}[kind]
            lines = getattr(v, "item_lines", [line] * len(v))
            items = [self.value(item, item_kind, ln, what)
                     for item, ln in zip(v, lines, strict=True)]
            if any(i is BAD for i in items):
                return BAD
            return items
        if kind == "map":
            if not isinstance(v, YMap):
                self.error(line, f"{what} must be a mapping, found {_kind(v)}")
                return BAD
            return v
        if kind == "list":
            if not isinstance(v, YList):
                self.error(line, f"{what} must be a list, found {_kind(v)}")
                return BAD
            return v
        if kind == "texts":  # text in one unstated language, or {fr: text, en: text}
            return self.texts(v, line, what)
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

    def lists(self, doc: Any, keys: tuple[str, ...],
              required: str | None = None) -> dict[str, YList]:
        """The lists under the top-level keys of a file such as ``jobs.yaml`` (``jobs: [...]``);
        an unknown key, a missing required one and a value that is not a list are reported."""
        if not isinstance(doc, YMap):
            self.error(1, f"{self.rel} must be a mapping with "
                       + ", ".join(f"'{k}'" for k in keys) + f", found {_kind(doc)}")
            return {}
        self.known_keys(doc, keys, "the top level of the file")
        if required is not None and required not in doc:
            self.error(doc.line, f"the file has no '{required}' list",
                       f"write '{required}: []' if there is none")
        out: dict[str, YList] = {}
        for key in keys:
            if key not in doc:
                continue
            value = doc[key]
            if isinstance(value, YList):
                out[key] = value
            elif value is not None or key == required:
                self.error(doc.key_lines.get(key, 1),
                           f"'{key}' must be a list, found {_kind(value)}",
                           f"write '{key}: []' if there is none" if value is None else None)
        return out

    def texts(self, v: Any, line: int, what: str) -> dict[str, str] | Bad:
        """A text by language: ``{fr: …, en: …}`` (one language or both), or plain text whose
        language is not stated (key ``""``)."""
        if not isinstance(v, YMap):
            text = self.value(v, "text", line, what)
            if isinstance(text, Bad):
                return text
            if not text:
                self.error(line, f"{what} is empty")
                return BAD
            return {"": str(text)}
        out: dict[str, str] = {}
        for lang, text in v.items():
            at = v.key_lines.get(lang, line)
            if lang not in TEXT_LANGS:
                self.error(at, f"{what}: unknown language '{lang}'", "write fr: and/or en:")
                return BAD
            value = self.value(text, "text", at, f"{what} ({lang})") if text is not None else ""
            if isinstance(value, Bad):
                return value
            if not value:
                self.error(at, f"{what} ({lang}) is empty")
                return BAD
            out[str(lang)] = str(value)
        if not out:
            self.error(line, f"{what} has no text", "write fr: and/or en:")
            return BAD
        return out


class Bad:
    """The mark of a value that could not be read (its problem is reported)."""


BAD = Bad()


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
