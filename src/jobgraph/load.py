"""The curated formats to typed records: each file of a referential folder read into the model,
every record keeping its file and line, every problem reported at once."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from .errors import DataError, Problem
from .fields import BAD, MAX_CHARS, F, Reader, unknown_hint
from .files import not_regular, project_path, read_csv_rows, unreadable
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
from .romefiles import ROME_CODE
from .yamlio import YList, YMap, read_yaml

REF_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DURATION_RE = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
ROME_CSV_COLUMNS = ("job", "rome", "relation", "basis", "rationale")


def _show(value: str, width: int = 60) -> str:
    """A value as quoted in a message: cut short when long."""
    return value if len(value) <= width else value[: width - 1] + "…"


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


# --- one referential folder --------------------------------------------------------------------

def _read_referential(folder: Path, root: Path, problems: list[Problem]) -> Referential | None:
    path = folder / "referential.yaml"
    rel = project_path(path, root)
    if not os.path.lexists(path):
        problems.append(Problem(project_path(folder, root), None, "folder has no referential.yaml",
                                "every referential folder starts with referential.yaml"))
        return None
    doc = read_yaml(path, rel)
    r = Reader(rel, problems)
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
        r.error(m.key_lines["id"],
                f"referential id '{f['id']}' must be lowercase letters, digits, '-'")
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
    for cm, line in r.records(f.get("criteria", YList()), m.key_lines.get("criteria", 1),
                              "criteria"):
        c = r.fields(cm, CRITERION_SPEC, "a criterion")
        if c:
            ref.criteria.append(Criterion(c["id"], c["label"], c["min"], c["max"], c["rank"],
                                          r.loc(line), c.get("line")))
    for fm, line in r.records(f.get("families", YList()), m.key_lines.get("families", 1),
                              "families"):
        fam = r.fields(fm, FAMILY_SPEC, "a family")
        if fam:
            ref.families.append(Family(fam["id"], fam["label"], r.loc(line), fam.get("kind"),
                                       fam.get("broader"), fam.get("line")))
    return ref


def _read_scale(r: Reader, m: YMap) -> Scale | None:
    f = r.fields(m, SCALE_SPEC, "the scale")
    if f is None:
        return None
    if f["kind"] not in SCALE_KINDS:
        r.error(m.key_lines["kind"],
                f"scale kind '{f['kind']}' is not one of {', '.join(SCALE_KINDS)}")
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


def _read_alignment(r: Reader, m: YMap, what: str) -> Alignment | None:
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
    r = Reader(rel, problems)
    doc = read_yaml(path, rel)
    for m, line in r.records(r.lists(doc, ("jobs",), "jobs").get("jobs", YList()), 1,
                             "jobs"):
        f = r.fields(m, JOB_SPEC, "a job")
        if f is None:
            # keep the id known so that references to it do not add false problems
            if isinstance(m.get("id"), (str, int)) and not isinstance(m.get("id"), bool):
                ref.jobs.append(Job(id=str(m["id"]), label=str(m.get("label", "")),
                                    loc=r.loc(line)))
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
                if v is not BAD:
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
                job.progresses_to.append(_progression(pf["job"], basis, r.loc(pline),
                                                      pf.get("note")))
            else:
                target = r.value(pm_item, "id", pline, "a progression target")
                if target is not BAD:
                    job.progresses_to.append(_progression(target, "ladder", r.loc(pline), None))
        ref.jobs.append(job)


def _progression(job: str, basis: str, loc: Loc, note: str | None) -> ProgressionRef:
    return ProgressionRef(job=job, basis=basis, loc=loc, note=note)


def _read_competences(path: Path, rel: str, ref: Referential, problems: list[Problem]) -> None:
    r = Reader(rel, problems)
    doc = read_yaml(path, rel)
    parts = r.lists(doc, ("frameworks", "competences", "activities"))
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
            ref.frameworks.append(Framework(f["id"], f["title"], r.loc(line),
                                            f.get("notation_pattern")))
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
    r = Reader(rel, problems)
    doc = read_yaml(path, rel)
    top = r.lists(doc, ("certifications",), "certifications")
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
    r = Reader(rel, problems)
    doc = read_yaml(path, rel)
    top = r.lists(doc, ("accepted",), "accepted")
    for m, line in r.records(top.get("accepted", YList()), 1, "accepted"):
        f = r.fields(m, ACCEPTED_SPEC, "an accepted finding")
        if f:
            ref.accepted.append(AcceptedFinding(f["rule"], f["focus"], f["reason"], r.loc(line),
                                                f.get("cause", {})))



def _read_rome_links(path: Path, rel: str, ref: Referential, problems: list[Problem]) -> None:
    for line, row in read_csv_rows(path, rel, ROME_CSV_COLUMNS, problems):
        bad = False
        if not ROME_CODE.match(row["rome"]):
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
        problems.append(unreadable(folder, project_path(folder, root), exc))
        return []
    known = ["referential.yaml"] + [pattern.replace("*", "") for pattern, _ in _PARTS]
    for name in names:
        if name.startswith(".") or not name.endswith(DATA_SUFFIXES) or name == "referential.yaml":
            continue
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern, _ in _PARTS):
            problems.append(Problem(project_path(folder / name, root), None,
                                    "is not a file of a referential folder",
                                    unknown_hint(name, known) + " (data/README.md)"))
    for name in REQUIRED_FILES:
        if name not in names:
            problems.append(Problem(project_path(folder, root), None, f"folder has no {name}",
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
                reader(path, project_path(path, root), ref, problems)
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
        problems.append(unreadable(rome, project_path(rome, data_dir), exc))
        return
    for path in paths:
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            problems.append(unreadable(path, project_path(path, data_dir), exc))
            continue
        if not stat.S_ISREG(mode):
            problems.append(not_regular(project_path(path, data_dir), mode))


FolderReader = Callable[[Path, Path, list[Problem], set[str]], "Referential | None"]


def load(data_dir: Path, *, read: FolderReader | None = None) -> Dataset:
    """Load every referential of ``data_dir`` and check references; raise DataError on any
    problem. ``read``: what reads one folder (``load_referential``, or the build's cache of it)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError([Problem(
            str(data_dir), None, "data folder not found",
            "give the folder holding one sub-folder per referential with --data")])
    problems: list[Problem] = []
    ds = Dataset(root=data_dir)
    unread: set[str] = set()
    entries = sorted(data_dir.iterdir())
    for entry in entries:
        if entry.is_symlink() and not entry.exists():
            # a broken link to a referential folder would otherwise leave it out without a word
            problems.append(Problem(project_path(entry, data_dir), None,
                                    "is a symbolic link to nothing (its target is missing, or it "
                                    "leads back to itself)",
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
        problems.append(Problem(project_path(rome, data_dir), None, "is not a folder",
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
