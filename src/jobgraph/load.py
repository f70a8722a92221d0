"""Curated files to typed records: reads YAML and CSV, keeps file:line, reports every problem at once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterable
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


def _to_python(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = YMap()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key = str(key)
            if key in out:
                raise _Dup(key, key_node.start_mark.line + 1)
            out[key] = _to_python(loader, value_node)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = YList(_to_python(loader, item) for item in node.value)
        seq.line = node.start_mark.line + 1
        seq.item_lines = [item.start_mark.line + 1 for item in node.value]
        return seq
    return loader.construct_object(node, deep=True)


class _Dup(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key, self.line = key, line


def read_text(path: Path, rel: str) -> str:
    """Read a curated file as UTF-8; size, encoding and emptiness problems raise DataError."""
    size = path.stat().st_size
    limit = max_file_bytes()
    if size > limit:
        raise DataError([Problem(rel, None,
                                 f"file is {size / 2**20:.1f} MiB, above the {limit / 2**20:.0f} MiB "
                                 "limit for a curated file",
                                 "split it, or raise JOBGRAPH_MAX_FILE_MB if this size is intended")])
    raw = path.read_bytes()
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


def read_yaml(path: Path, rel: str) -> Any:
    """Parse a YAML file into YMap/YList values with line numbers."""
    text = read_text(path, rel)
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DataError([Problem(rel, 1, "file holds no YAML document", "fill it or remove it")])
        return _to_python(loader, node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DataError([Problem(rel, line, f"malformed YAML: {exc.problem or exc}",
                                 "check indentation, quotes and the ':' after each key")]) from None
    except yaml.YAMLError as exc:
        raise DataError([Problem(rel, None, f"malformed YAML: {exc}")]) from None
    except _Dup as dup:
        raise DataError([Problem(rel, dup.line, f"key '{dup.key}' is written twice in one mapping",
                                 "keep one")]) from None
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

    def fields(self, m: YMap, spec: dict[str, F], what: str) -> dict[str, Any] | None:
        ok = True
        out: dict[str, Any] = {}
        for key in m:
            if key not in spec:
                self.error(m.key_lines.get(key, m.line), f"unknown key '{key}' in {what}",
                           "known keys: " + ", ".join(spec))
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
            return s.strip()
        if kind == "id":
            if isinstance(v, bool) or not isinstance(v, (str, int)):
                self.error(line, f"{what} must be an id, found {_kind(v)}")
                return _BAD
            s = str(v)
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
            if len(parts) > 2 or not all(ID_RE.match(p) for p in parts):
                self.error(line, f"{what} '{s}' is not an id or a <referential>/<id> reference")
                return _BAD
            return s
        if kind == "int":
            if isinstance(v, bool) or not isinstance(v, int):
                self.error(line, f"{what} must be a whole number, found {_kind(v)} {v!r}",
                           "write digits only, without quotes")
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
        raise AssertionError(kind)

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
ACCEPTED_SPEC = {"rule": F("str", True), "focus": F("str", True), "reason": F("text", True)}


# --- one referential folder --------------------------------------------------------------------

def _rel(path: Path, root: Path) -> str:
    """Path shown to users: relative to the project (the data folder's parent)."""
    try:
        return path.resolve().relative_to(root.resolve().parent).as_posix()
    except ValueError:
        return path.as_posix()


def _top(r: _Reader, doc: Any, rel: str, key: str) -> YList | None:
    """The list under a top-level key of a file such as ``jobs.yaml`` (``jobs: [...]``)."""
    if not isinstance(doc, YMap):
        r.error(1, f"{rel} must be a mapping with a '{key}' list, found {_kind(doc)}")
        return None
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, YList):
        r.error(doc.key_lines.get(key, 1), f"'{key}' must be a list, found {_kind(value)}")
        return None
    return value


def _read_referential(folder: Path, root: Path, problems: list[Problem]) -> Referential | None:
    path = folder / "referential.yaml"
    rel = _rel(path, root)
    if not path.exists():
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
    for m, line in r.records(_top(r, doc, rel, "jobs") or YList(), 1, "jobs"):
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
    if not isinstance(doc, YMap):
        r.error(1, f"{rel} must be a mapping with 'frameworks', 'competences', 'activities'")
        return
    for key in doc:
        if key not in ("frameworks", "competences", "activities"):
            r.error(doc.key_lines[key], f"unknown key '{key}'",
                    "known keys: frameworks, competences, activities")
    for m, line in r.records(_top(r, doc, rel, "frameworks") or YList(), 1, "frameworks"):
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
    for m, line in r.records(_top(r, doc, rel, "activities") or YList(), 1, "activities"):
        f = r.fields(m, ACTIVITY_SPEC, "an activity type")
        if f:
            ref.activities.append(Activity(f["id"], f["label"], r.loc(line), f.get("notation"),
                                           f.get("competences", []), f.get("line"),
                                           f.get("description")))
    for m, line in r.records(_top(r, doc, rel, "competences") or YList(), 1, "competences"):
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
    for m, line in r.records(_top(r, doc, rel, "certifications") or YList(), 1, "certifications"):
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
    for m, line in r.records(_top(r, doc, rel, "accepted") or YList(), 1, "accepted"):
        f = r.fields(m, ACCEPTED_SPEC, "an accepted finding")
        if f:
            ref.accepted.append(AcceptedFinding(f["rule"], f["focus"], f["reason"], r.loc(line)))


def read_csv_rows(path: Path, rel: str, columns: tuple[str, ...],
                  problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with exactly ``columns``, each with its line; column problems are reported."""
    text = read_text(path, rel)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = next(reader)
    except csv.Error as exc:
        problems.append(Problem(rel, 1, f"malformed CSV: {exc}"))
        return rows
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
    try:
        for values in reader:
            line = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(columns):
                problems.append(Problem(rel, line, f"row has {len(values)} fields, "
                                        f"the header has {len(columns)}",
                                        "quote fields that contain a comma"))
                continue
            rows.append((line, {c: v.strip() for c, v in zip(columns, values, strict=True)}))
    except csv.Error as exc:
        problems.append(Problem(rel, reader.line_num, f"malformed CSV: {exc}",
                                "check the quotes of this line"))
    return rows


def _read_rome_links(path: Path, rel: str, ref: Referential, problems: list[Problem]) -> None:
    for line, row in read_csv_rows(path, rel, ROME_CSV_COLUMNS, problems):
        bad = False
        if not ROME_CODE_RE.match(row["rome"]):
            problems.append(Problem(rel, line, f"'{row['rome']}' is not a ROME 4.0 code",
                                    "a letter A to N and four digits, e.g. M1607"))
            bad = True
        if row["relation"] not in MATCH_RELATIONS:
            problems.append(Problem(rel, line, f"relation '{row['relation']}' is not one of "
                                    + ", ".join(MATCH_RELATIONS)))
            bad = True
        if row["basis"] not in LINK_BASES:
            problems.append(Problem(rel, line, f"basis '{row['basis']}' is not one of "
                                    + ", ".join(LINK_BASES)))
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


def load_referential(folder: Path, root: Path, problems: list[Problem]) -> Referential | None:
    """Read one referential folder; problems are appended, parse failures included."""
    try:
        ref = _read_referential(folder, root, problems)
    except DataError as exc:
        problems.extend(exc.problems)
        return None
    if ref is None:
        return None
    for pattern, reader in _PARTS:
        for path in sorted(folder.glob(pattern)):
            try:
                reader(path, _rel(path, root), ref, problems)
            except DataError as exc:
                problems.extend(exc.problems)
    return ref


def is_referential_folder(folder: Path) -> bool:
    return folder.is_dir() and not folder.name.startswith((".", "_")) and folder.name != "rome"


def load(data_dir: Path) -> Dataset:
    """Load every referential of ``data_dir`` and check references; raise DataError on any problem."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError([Problem(str(data_dir), None, "data folder not found",
                                 "give the folder holding one sub-folder per referential with --data")])
    problems: list[Problem] = []
    ds = Dataset(root=data_dir)
    for folder in sorted(p for p in data_dir.iterdir() if is_referential_folder(p)):
        ref = load_referential(folder, data_dir, problems)
        if ref is not None:
            ds.referentials[ref.id] = ref
    rome = data_dir / "rome"
    ds.rome_dir = rome if rome.is_dir() else None
    if not ds.referentials and not problems:
        problems.append(Problem(str(data_dir), None, "no referential folder found",
                                "each referential is a folder with a referential.yaml"))
    from .resolve import check_references

    check_references(ds, problems)
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
