"""Typed records of the curated data, each remembering the file and line it came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

MATCH_RELATIONS = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
SCALE_KINDS = ("grade", "coefficient", "cotation", "qualification")
COMPETENCE_KINDS = ("domain", "competence", "skill", "knowledge", "attitude")
ALIGNMENT_BASES = ("official", "estimate")
PROGRESSION_BASES = ("explicit", "ladder")
LINK_BASES = ("document", "curation")


@dataclass(frozen=True)
class Loc:
    """Where a record is written: a file relative to the project root and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Sector:
    id: str
    label: str
    label_en: str | None = None


@dataclass
class Alignment:
    """A place on the national framework: one level (``level:``) or a range (``lowest:`` and
    ``highest:``), each bound written ``<referential>/<level id>``.

    An exact alignment has both bounds equal to its level and ``exact`` true, so that readers of
    ranges need no special case.
    """

    lowest: str
    highest: str
    basis: str
    note: str | None
    loc: Loc
    exact: bool = True

    @property
    def level(self) -> str | None:
        """The one level of an exact alignment (``jg:alignedTo``); None for a range."""
        return self.lowest if self.exact else None


@dataclass
class Level:
    id: str
    notation: str
    rank: int
    loc: Loc
    label: str | None = None
    definition: str | None = None
    min_total: int | None = None
    max_total: int | None = None
    aligned_to: Alignment | None = None
    doc_line: int | None = None


@dataclass
class Scale:
    id: str
    kind: str
    label: str
    loc: Loc
    band_basis: str | None = None
    levels: list[Level] = field(default_factory=list)


@dataclass
class Criterion:
    id: str
    label: str
    min: int
    max: int
    rank: int
    loc: Loc
    doc_line: int | None = None


@dataclass
class Family:
    id: str
    label: str
    loc: Loc
    kind: str | None = None
    broader: str | None = None
    doc_line: int | None = None


@dataclass
class ProgressionRef:
    job: str
    basis: str
    loc: Loc
    note: str | None = None


@dataclass
class Job:
    id: str
    label: str
    loc: Loc
    alt_labels: list[str] = field(default_factory=list)
    alt_labels_en: list[str] = field(default_factory=list)
    definition: str | None = None
    missions: list[str] = field(default_factory=list)
    accessory_missions: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    prerequisites: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    level: str | None = None
    scores: dict[str, int] = field(default_factory=dict)
    requires: list[str] = field(default_factory=list)
    requires_key: list[str] = field(default_factory=list)
    requires_new: list[str] = field(default_factory=list)
    progresses_to: list[ProgressionRef] = field(default_factory=list)
    close_to: list[str] = field(default_factory=list)
    legacy_rome: list[str] = field(default_factory=list)
    maximum_tenure: str | None = None
    national_level: Alignment | None = None  # only in a referential without scale
    incomplete: str | None = None
    doc_line: int | None = None


@dataclass
class Framework:
    id: str
    title: str
    loc: Loc
    notation_pattern: str | None = None


@dataclass
class Competence:
    id: str
    framework: str
    kind: str
    loc: Loc
    label: str | None = None
    notation: str | None = None
    broader: str | None = None
    transversal: bool | None = None
    description: str | None = None
    context: str | None = None
    performance_criteria: list[str] = field(default_factory=list)
    category: str | None = None
    doc_line: int | None = None


@dataclass
class Activity:
    id: str
    label: str
    loc: Loc
    notation: str | None = None
    competences: list[str] = field(default_factory=list)
    doc_line: int | None = None
    description: str | None = None


@dataclass
class Certification:
    id: str
    label: str
    loc: Loc
    level: str | None = None
    level_basis: str | None = None
    nsf: list[str] = field(default_factory=list)
    rome: list[str] = field(default_factory=list)
    certifies: list[str] = field(default_factory=list)
    gives_access_to: list[str] = field(default_factory=list)
    accessible_titles: list[str] = field(default_factory=list)
    doc_line: int | None = None


@dataclass
class RomeLink:
    job: str
    rome: str
    relation: str
    basis: str
    rationale: str
    loc: Loc


@dataclass
class AcceptedFinding:
    """A finding a maintainer acknowledged: its reason by language ("fr", "en"; "" for a plain
    ``reason:`` whose language is not stated) and, optionally, a short cause by language."""

    rule: str
    focus: str
    reasons: dict[str, str]
    loc: Loc
    cause: dict[str, str] = field(default_factory=dict)


@dataclass
class Referential:
    """One folder of ``data/``: a referential with everything curated for it."""

    id: str
    title: str
    loc: Loc
    folder: Path
    title_en: str | None = None
    issued: dt.date | None = None
    publisher: str | None = None
    source_title: str | None = None
    source_file: str | None = None
    sector: Sector | None = None
    idcc: str | None = None
    employers: list[str] = field(default_factory=list)
    employees: list[str] = field(default_factory=list)
    note: str | None = None
    scale: Scale | None = None
    scale_ref: str | None = None  # the id of another referential whose scale this one uses
    criteria: list[Criterion] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    frameworks: list[Framework] = field(default_factory=list)
    competences: list[Competence] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    certifications: list[Certification] = field(default_factory=list)
    rome_links: list[RomeLink] = field(default_factory=list)
    accepted: list[AcceptedFinding] = field(default_factory=list)

    def job(self, ident: str) -> Job | None:
        return next((j for j in self.jobs if j.id == ident), None)


@dataclass
class Dataset:
    """Every referential of a data folder, by id, in a stable order."""

    root: Path
    referentials: dict[str, Referential] = field(default_factory=dict)
    rome_dir: Path | None = None
