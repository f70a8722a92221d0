"""The ROME files of data/rome read into RomeData, each checked against its published header,
the fewest rows a whole file has, its code formats and the other files (ROME 4.0 open data, ROME
v3 mobility, the ESCO–ROME crosswalk)."""

from __future__ import annotations

import csv
import gc
import io
import os
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError, Problem
from .files import csv_records, header_difference, project_path, read_text

V460 = "v460"
V347 = "v347"
ESCO_FILE = "esco/FR_20230607_mapping_esco_rome.csv"
# the largest ROME file is 2.9 MB (the v460 links): ten times that is still a ROME file
ROME_MAX_BYTES = 32 * 2**20
ROME_CODE = re.compile(r"^[A-N][0-9]{4}$")
DOMAIN_CODE = re.compile(r"^[A-N][0-9]{2}$")
GRAND_DOMAIN_CODE = re.compile(r"^[A-N]$")
OGR_CODE = re.compile(r"^[0-9]{1,12}$")
# an IRI the N-Quads and Turtle writers can print as it is (RFC 3987 forbids these characters)
HTTP_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
MAX_PROBLEMS_PER_CHECK = 5  # a file of the wrong version fails every row: the first few say it


@dataclass
class RomeData:
    """The parts of ROME jobgraph uses, read from the CSV files."""

    fiches: dict[str, dict[str, str]] = field(default_factory=dict)
    hierarchy: dict[str, dict[str, str]] = field(default_factory=dict)
    grands_domaines: dict[str, str] = field(default_factory=dict)
    domaines: dict[str, str] = field(default_factory=dict)
    appellations: dict[str, dict[str, str]] = field(default_factory=dict)
    competences: dict[str, dict[str, str]] = field(default_factory=dict)
    savoirs: dict[str, dict[str, str]] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    mobility: list[dict[str, str]] = field(default_factory=list)
    v3_titles: dict[str, str] = field(default_factory=dict)
    v3_mobility: list[dict[str, str]] = field(default_factory=list)
    esco: list[dict[str, str]] = field(default_factory=list)


EXCERPT = "EXCERPT.md"


@dataclass(frozen=True)
class RomeFile:
    """A CSV file of ``data/rome``: its path there, its header as published, the fewest rows a
    whole file has (below it, the file is taken as cut short) and the lines before its header."""

    path: str
    columns: tuple[str, ...]
    floor: int
    skip: int = 0


# Floors: ROME 4.0 v460 counts, less about a tenth, so that a newer version (each changes a few
# items; "Le ROME compte toujours 1584 fiches métier depuis juin 2025", v460/version.txt) still
# loads while a file cut short (half of it, or more than a tenth) is refused. ROME v3 (v347, its
# last version) and the crosswalk 1.4 are frozen: their floors are their own counts, give or take
# nothing. The 14 grands domaines are the letters A to N.
FICHES = RomeFile(f"{V460}/unix_referentiel_code_rome_v460_utf8.csv", (
    "code_rome", "code_fiche_metier", "code_ogr", "libelle_rome", "transition_eco",
    "transition_num", "transition_demo", "emploi_reglemente", "emploi_cadre",
    "code_rome_parent"), 1_400)  # 1,584 in v460
TREE = RomeFile(f"{V460}/unix_cr_gd_dp_v460_utf8.csv", (
    "code_rome", "libelle_rome", "code_grand_domaine", "libelle_grand_domaine",
    "code_domaine_professionel", "libelle_domaine_professionel"), 1_400)  # 1,584
GRANDS_DOMAINES = RomeFile(f"{V460}/unix_grand_domaine_v460_utf8.csv", (
    "code_grand_domaine", "libelle_grand_domaine"), 14)  # A to N
DOMAINES = RomeFile(f"{V460}/unix_domaine_professionnel_v460_utf8.csv", (
    "code_domaine_professionnel", "libelle_domaine_professionnel"), 100)  # 110
APPELLATIONS = RomeFile(f"{V460}/unix_referentiel_appellation_v460_utf8.csv", (
    "code_ogr", "libelle_appellation_long", "libelle_appellation_court", "code_rome",
    "transition_eco", "transition_num", "transition_demo", "emploi_reglemente", "emploi_cadre",
    "classification", "origine", "code_rome_parent", "peu_usite"), 11_800)  # 13,120
COMPETENCES = RomeFile(f"{V460}/unix_referentiel_competence_v460_utf8.csv", (
    "code_ogr", "nature", "libelle_competence", "definition", "code_ogr_macro_comp",
    "code_macro_comp", "cat_comp", "sous_cat_comp", "transition_eco", "transition_num",
    "libelle_heterogeneite", "libelle_origine"), 16_500)  # 18,317
SAVOIRS = RomeFile(f"{V460}/unix_referentiel_savoir_v460_utf8.csv", (
    "code_ogr_savoir", "libelle_savoir", "categorie_savoir", "sous_categorie_savoir",
    "transition_eco", "transition_num"), 13_800)  # 15,354
LINKS = RomeFile(f"{V460}/unix_liens_rome_referentiels_v460_utf8.csv", (
    "code_rome", "code_compo_bloc", "code_rubrique", "code_ogr"), 107_000)  # 118,923
MOBILITY = RomeFile(f"{V460}/unix_rubrique_mobilite_v460_utf8.csv", (
    "code_rome", "code_rome_cible", "numero_ordre"), 13_400)  # 14,912
V3_TREE = RomeFile(f"{V347}/unix_cr_gd_dp_v347_utf8.csv", TREE.columns, 532)
V3_MOBILITY = RomeFile(f"{V347}/unix_rubrique_mobilite_v347_utf8.csv", (
    "code_rome", "code_rome_cible", "code_appellation_source", "code_appellation_cible",
    "code_type_mobilite", "libelle_type_mobilite"), 4_218)
# the crosswalk opens with 15 lines of metadata before its header
ESCO = RomeFile(ESCO_FILE, (
    "classification 1 ID", "classification 1 prefered label", "classification 2 ID",
    "classification 2 prefered label", "mapping relation"), 11_118, skip=15)
ROME_FILES = (FICHES, TREE, GRANDS_DOMAINES, DOMAINES, APPELLATIONS, COMPETENCES, SAVOIRS, LINKS,
              MOBILITY, V3_TREE, V3_MOBILITY, ESCO)

Row = tuple[int, dict[str, str]]  # a row with the line of the file it starts on


# what str.splitlines() splits at besides "\n": a text holding none is cut the way a file is
# read (at "\n" only), and cutting it so reads 40% faster than a StringIO
_OTHER_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _lines(text: str) -> Iterable[str]:
    """The lines of ``text`` with their ends, as a file opened with newline='' gives them."""
    if any(ch in text for ch in _OTHER_LINE_BREAKS):
        return io.StringIO(text, newline="")
    return text.splitlines(keepends=True)


def _numbered(text: str, rel: str, first_line: int) -> list[tuple[int, list[str]]]:
    """The non-blank records of a CSV text read strictly, each with the line of the file it
    starts on (the text's first line being ``first_line``); a CSV error raises DataError at the
    line of the record it is in.

    The lines are counted only when a record runs over several lines or the reading fails:
    counting them at every row (files.csv_records) made reading the 200,000 rows of ROME 40%
    slower, and the files have one line per record."""
    reader = csv.reader(_lines(text), strict=True)
    try:
        records = list(reader)
    except csv.Error:
        records = None
    if records is not None and reader.line_num == len(records):  # one line each
        return [(i, r) for i, r in enumerate(records, first_line) if r]
    return list(csv_records(text, rel, first_line=first_line))


class _Checks:
    """Problems found in the ROME files, at most a few per check (and how many more)."""

    def __init__(self, rome_dir: Path) -> None:
        self.rome_dir = rome_dir
        # a folder holding EXCERPT.md (saying what it was cut from, and why) is a sample of ROME,
        # for tests and trials: its files are checked but for their row counts
        self.excerpt = (rome_dir / EXCERPT).is_file()
        self.problems: list[Problem] = []
        self._counts: dict[tuple[str, str], int] = {}

    def rel(self, f: RomeFile) -> str:
        return project_path(self.rome_dir / f.path, self.rome_dir.parent)

    def add(self, f: RomeFile, line: int | None, check: str, message: str,
            hint: str | None = None) -> None:
        n = self._counts[(f.path, check)] = self._counts.get((f.path, check), 0) + 1
        if n <= MAX_PROBLEMS_PER_CHECK:
            self.problems.append(Problem(self.rel(f), line, message, hint))

    def summarise(self) -> None:
        for (path, check), n in sorted(self._counts.items()):
            if n > MAX_PROBLEMS_PER_CHECK:
                f = next(x for x in ROME_FILES if x.path == path)
                self.problems.append(Problem(self.rel(f), None, f"{n - MAX_PROBLEMS_PER_CHECK:,} "
                                             f"more rows like the above ({check})"))

    def rows(self, f: RomeFile) -> list[Row]:
        """The rows of ``f``, checked against its header and field count, read strictly."""
        path, rel = self.rome_dir / f.path, self.rel(f)
        if not os.path.lexists(path):
            self.problems.append(Problem(rel, None, "ROME file missing",
                                         "data/rome/README.md lists the files jobgraph reads"))
            return []
        try:
            text = read_text(path, rel, limit=ROME_MAX_BYTES)
        except DataError as exc:
            self.problems.extend(exc.problems)
            return []
        parts = text.split("\n", f.skip)
        if len(parts) <= f.skip:
            self.add(f, None, "header", f"file ends before its header (line {f.skip + 1})")
            return []
        try:
            records = _numbered(parts[f.skip], rel, f.skip + 1)
        except DataError as exc:
            p = exc.problems[0]
            self.add(f, p.line, "CSV", p.message, "copy the publisher's file again, unchanged")
            return []
        if not records:
            self.add(f, None, "header", "file holds no row")
            return []
        (line, header), records = records[0], records[1:]
        columns, width = f.columns, len(f.columns)
        if tuple(header) != columns:
            detail = header_difference(header, columns) or "another order"
            self.add(f, line, "header", f"header is not the published one ({detail})",
                     "copy the publisher's file again, unchanged (data/rome/README.md)")
            return []
        out = [(line, dict(zip(columns, values, strict=True)))
               for line, values in records if len(values) == width]
        if len(out) < len(records):
            for line, values in records:
                if len(values) != width:
                    self.add(f, line, "field count", f"row has {len(values)} fields, the header "
                             f"has {width}", "copy the publisher's file again, unchanged")
        if len(out) < f.floor and not self.excerpt:
            last = records[-1][0] if records else line
            self.add(f, last, "rows", f"the file ends here, after {len(out):,} rows: fewer than "
                     f"the {f.floor:,} a whole file has, it is cut short",
                     "copy the publisher's file again, unchanged (data/rome/README.md)")
        return out

    def keyed(self, f: RomeFile, rows: list[Row], key: str,
              pattern: re.Pattern[str]) -> dict[str, Row]:
        """Rows by ``key``, whose values must match ``pattern`` and be unique."""
        out: dict[str, Row] = {}
        for line, row in rows:
            code = row[key]
            if not pattern.match(code):
                self.add(f, line, f"{key} format", f"{key} '{code[:40]}' is not a code of this "
                         "file's kind")
            elif code in out:
                self.add(f, line, f"{key} twice", f"{key} {code} is also on line {out[code][0]}")
            else:
                out[code] = (line, row)
        return out

    def codes(self, f: RomeFile, rows: list[Row], column: str, known: Container[str],
              where: RomeFile, what: str) -> None:
        """Each row's ``column`` must be a key of ``where``."""
        for line, row in rows:
            if row[column] not in known:
                self.add(f, line, f"unknown {what}", f"{what} '{row[column][:40]}' is not in "
                         f"{where.path.rsplit('/', 1)[-1]}", "the files are of different "
                         "versions, or one is cut short")


def _agree(c: _Checks, *, fiches: dict[str, Row], tree: dict[str, Row],
           grands: dict[str, Row], domaines: dict[str, Row], appellations: dict[str, Row],
           links: list[Row], mobility: list[Row], v3_tree: dict[str, Row],
           v3_mobility: list[Row]) -> None:
    """The files agree with each other: checked in order, from what a file cut short or of
    another version breaks first, and stopped at the first check that fails (a fiche missing
    from one file is missing from every row of the others that names it)."""
    c.codes(FICHES, list(fiches.values()), "code_rome", tree, TREE, "fiche")
    c.codes(TREE, list(tree.values()), "code_rome", fiches, FICHES, "fiche")
    if c.problems:
        return
    c.codes(TREE, list(tree.values()), "code_domaine_professionel", domaines, DOMAINES,
            "domaine")
    for line, row in domaines.values():
        if row["code_domaine_professionnel"][0] not in grands:
            c.add(DOMAINES, line, "unknown grand domaine", f"domaine "
                  f"{row['code_domaine_professionnel']} has no grand domaine in "
                  f"{GRANDS_DOMAINES.path.rsplit('/', 1)[-1]}")
    if c.problems:
        return
    main: dict[str, int] = {}
    for line, row in appellations.values():
        if row["classification"] == "PRINCIPALE":
            if row["code_rome"] in main:
                c.add(APPELLATIONS, line, "second main appellation", f"fiche {row['code_rome']} "
                      f"has a second main appellation (the first on line {main[row['code_rome']]})")
            main.setdefault(row["code_rome"], line)
    for code, (line, _) in fiches.items():
        if code not in main:
            c.add(FICHES, line, "no main appellation", f"fiche {code} has no main appellation "
                  f"(PRINCIPALE) in {APPELLATIONS.path.rsplit('/', 1)[-1]}",
                  "the files are of different versions, or one is cut short")
    c.codes(APPELLATIONS, list(appellations.values()), "code_rome", fiches, FICHES, "fiche")
    if c.problems:
        return
    c.codes(LINKS, links, "code_rome", fiches, FICHES, "fiche")
    c.codes(MOBILITY, mobility, "code_rome", fiches, FICHES, "fiche")
    c.codes(MOBILITY, mobility, "code_rome_cible", fiches, FICHES, "fiche")
    c.codes(V3_MOBILITY, v3_mobility, "code_rome", v3_tree, V3_TREE, "ROME v3 fiche")
    c.codes(V3_MOBILITY, v3_mobility, "code_rome_cible", v3_tree, V3_TREE, "ROME v3 fiche")


def read_rome(rome_dir: Path) -> RomeData:
    """Read the ROME files of ``data/rome``, each checked against its published header, the
    fewest rows it has, its code formats, and the other files (every fiche in the tree, with one
    main appellation); any problem raises DataError with the file and line."""
    # 200,000 rows become dicts that all live on: the cyclic garbage collector's passes over them
    # found nothing and took a third of the time
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read_rome(rome_dir)
    finally:
        if collecting:
            gc.enable()


def _read_rome(rome_dir: Path) -> RomeData:
    c = _Checks(rome_dir)
    fiches = c.keyed(FICHES, c.rows(FICHES), "code_rome", ROME_CODE)
    tree = c.keyed(TREE, c.rows(TREE), "code_rome", ROME_CODE)
    grands = c.keyed(GRANDS_DOMAINES, c.rows(GRANDS_DOMAINES), "code_grand_domaine",
                     GRAND_DOMAIN_CODE)
    domaines = c.keyed(DOMAINES, c.rows(DOMAINES), "code_domaine_professionnel", DOMAIN_CODE)
    appellations = c.keyed(APPELLATIONS, c.rows(APPELLATIONS), "code_ogr", OGR_CODE)
    competences = c.keyed(COMPETENCES, c.rows(COMPETENCES), "code_ogr", OGR_CODE)
    savoirs = c.keyed(SAVOIRS, c.rows(SAVOIRS), "code_ogr_savoir", OGR_CODE)
    links = c.rows(LINKS)
    mobility = c.rows(MOBILITY)
    v3_tree = c.keyed(V3_TREE, c.rows(V3_TREE), "code_rome", ROME_CODE)
    v3_mobility = c.rows(V3_MOBILITY)
    # the crosswalk is what links jobs to ESCO: without it every ESCO link would vanish without a
    # word, so it is required, but in an excerpt (a sample of ROME for tests and trials)
    esco = (c.rows(ESCO) if not c.excerpt or os.path.lexists(rome_dir / ESCO.path) else [])

    if not c.problems:
        # with a file that failed its own checks (cut short, another header), every row of the
        # others that names what it lost would be reported too
        _agree(c, fiches=fiches, tree=tree, grands=grands, domaines=domaines,
               appellations=appellations, links=links, mobility=mobility, v3_tree=v3_tree,
               v3_mobility=v3_mobility)
    for line, row in mobility:
        if not row["numero_ordre"].isdigit() or len(row["numero_ordre"]) > 6:
            c.add(MOBILITY, line, "numero_ordre", f"numero_ordre '{row['numero_ordre'][:40]}' is "
                  "not a whole number")
    for line, row in esco:
        uri = row["classification 1 ID"]
        if uri.startswith("http") and not HTTP_IRI.match(uri):
            c.add(ESCO, line, "IRI", f"'{uri[:60]}' is not an IRI")
    c.summarise()
    if c.problems:
        raise DataError(c.problems)

    d = RomeData()
    d.fiches = {code: row for code, (_, row) in fiches.items()}
    d.hierarchy = {code: row for code, (_, row) in tree.items()}
    d.grands_domaines = {code: row["libelle_grand_domaine"] for code, (_, row) in grands.items()}
    d.domaines = {code: row["libelle_domaine_professionnel"]
                  for code, (_, row) in domaines.items()}
    d.appellations = {code: row for code, (_, row) in appellations.items()}
    d.competences = {code: row for code, (_, row) in competences.items()}
    d.savoirs = {code: row for code, (_, row) in savoirs.items()}
    d.links = [row for _, row in links]
    d.mobility = [row for _, row in mobility]
    d.v3_titles = {code: row["libelle_rome"] for code, (_, row) in v3_tree.items()}
    d.v3_mobility = [row for _, row in v3_mobility]
    d.esco = [row for _, row in esco]
    return d
