"""YAML read safely: the document built from the parser's events, with limits on nesting, values
and aliases, every mapping and list keeping the line of each key and item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import DataError, Problem
from .files import read_text

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
            raise DataError([Problem(rel, 1, "file holds no YAML document",
                                     "fill it or remove it")])
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

