"""The two sides of a diff, read into comparable graphs: a data folder, one referential's folder,
ROME (the data/rome folder, a ROME export folder vNNN, the ESCO–ROME crosswalk), a built graph file
(TriG, N-Quads), or any of these at a git revision (exported to a temporary folder; the working
tree is never touched). Nothing here writes to the store.

Every graph is a set of triples whose terms are N-Triples text, as pyoxigraph writes them, so that
two sides read by different routes compare alike.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from ..errors import DataError, Problem, UsageError
from ..namespaces import GRAPH, JG, JGID, RDF, SKOS, graph_iri, rome_iri
from ..terms import nt

Triple = tuple[str, str, str]
GRAPH_PREFIX = f"{JGID}graph/"
ROME_GRAPH = str(GRAPH.ROME)
DATASET_GRAPH = str(GRAPH.DATASET)
# the parts of ROME a side may hold; a part is compared only when both sides hold it
PARTS = ("fiches", "appellations", "mobility", "esco", "competences")
_EXPORT_RE = re.compile(r"^unix_(.+)_(v\d+)_utf8\.csv$")


@dataclass
class LazyGraph:
    """A graph read only when needed: ROME's is large and often the same on both sides (same
    files, same ``key``)."""

    key: str
    load: Callable[[], frozenset[Triple]]
    _triples: frozenset[Triple] | None = None

    def triples(self) -> frozenset[Triple]:
        if self._triples is None:
            self._triples = self.load()
        return self._triples


@dataclass
class Snapshot:
    """One side of a diff."""

    label: str  # as the user named it: "data", "data@HEAD~1", "build/jobgraph.trig"
    kind: str  # data | referential | rome | rome-release | crosswalk | graph-file
    graphs: dict[str, LazyGraph] = field(default_factory=dict)
    rome_version: str | None = None  # v460, v347 … when known
    rome_parts: dict[str, str] = field(default_factory=dict)  # part -> "full" | "partial"
    nquads: Callable[[], str] | None = None  # the whole side as N-Quads (to run stored queries)

    @property
    def referentials(self) -> list[str]:
        return sorted(g[len(GRAPH_PREFIX):] for g in self.graphs
                      if g.startswith(GRAPH_PREFIX) and g not in (ROME_GRAPH, DATASET_GRAPH,
                                                                  str(GRAPH.ONTOLOGY)))


def _parse_nquads(text: str | bytes, *, fmt: str = "nquads", where: str = "") -> \
        dict[str, set[Triple]]:
    import pyoxigraph as ox

    formats = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
    data = text.encode("utf-8") if isinstance(text, str) else text
    out: dict[str, set[Triple]] = {}
    try:
        for q in ox.parse(input=data, format=formats[fmt]):
            g = q.graph_name
            name = g.value if isinstance(g, ox.NamedNode) else ""
            out.setdefault(name, set()).add((str(q.subject), str(q.predicate), str(q.object)))
    except SyntaxError as exc:
        raise UsageError(f"{where}: not a readable {fmt.replace('nquads', 'N-Quads').upper()} "
                         f"file ({exc})") from None
    return out


def _frozen(triples: set[Triple]) -> Callable[[], frozenset[Triple]]:
    done = frozenset(triples)
    return lambda: done


def _graph(key: str, triples: set[Triple]) -> LazyGraph:
    return LazyGraph(key, _frozen(triples))


def _digest(triples: set[Triple]) -> str:
    import hashlib

    h = hashlib.sha256()
    for t in sorted(triples):
        h.update(" ".join(t).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:20]


def _from_graphs(label: str, kind: str, graphs: dict[str, set[Triple]]) -> Snapshot:
    snap = Snapshot(label, kind, {g: _graph(_digest(t), t) for g, t in graphs.items()})
    return snap


# --- data folders ---------------------------------------------------------------------------------

def _cached_rome(rome_dir: Path, cache_dirs: list[Path]) -> LazyGraph:
    """ROME's graph from a build's cache when one holds it (read only), else converted here, in
    memory."""
    from ..build import rome_cache_key

    key = rome_cache_key(rome_dir)

    def load() -> frozenset[Triple]:
        for cache in cache_dirs:
            path = cache / f"rome-{key}.nq"
            if path.exists():
                return frozenset(_parse_nquads(path.read_bytes(), where=str(path))
                                 .get(ROME_GRAPH, set()))
        from ..rome import convert_rome, read_rome
        from ..serialize import nquads

        triples, _ = convert_rome(read_rome(rome_dir))
        return frozenset(_parse_nquads(nquads({GRAPH.ROME: triples}), where=str(rome_dir))
                         .get(ROME_GRAPH, set()))

    return LazyGraph(f"rome:{key}", load)


def read_data(folder: Path, label: str, cache_dirs: list[Path]) -> Snapshot:
    """A data folder: each referential's graph as ``jobgraph build`` makes it, and ROME."""
    from ..build import ontology_triples
    from ..convert import convert
    from ..load import load
    from ..serialize import nquads

    ds = load(folder)
    graphs = {g: t for g, t in convert(ds).items()}
    small = _parse_nquads(nquads(graphs), where=str(folder))
    onto = _parse_nquads(nquads({GRAPH.ONTOLOGY: ontology_triples()}), where="ontology")
    snap = _from_graphs(label, "data", {**small, **onto})
    if ds.rome_dir is not None:
        snap.graphs[ROME_GRAPH] = _cached_rome(ds.rome_dir, cache_dirs)
        snap.rome_version = "v460"
        snap.rome_parts = dict.fromkeys(PARTS, "full")

    def whole() -> str:
        lines = [f"{s} {p} {o} <{g}> .\n" for g, lg in snap.graphs.items()
                 for s, p, o in lg.triples()]
        return "".join(lines)

    snap.nquads = whole
    return snap


def read_referential(folder: Path, label: str) -> Snapshot:
    """One referential's folder alone (references to other referentials are not checked)."""
    from ..convert import convert_referential
    from ..load import load_referential
    from ..serialize import nquads

    problems: list[Problem] = []
    ref = load_referential(folder, folder.parent, problems)
    if problems or ref is None:
        raise DataError(problems or [Problem(str(folder), None, "not a referential folder")])
    g = graph_iri(ref.id)
    triples = _parse_nquads(nquads({g: convert_referential(ref)}), where=str(folder))
    return _from_graphs(label, "referential", triples)


def read_rome_folder(folder: Path, label: str, cache_dirs: list[Path]) -> Snapshot:
    """``data/rome`` (ROME 4.0, v3 mobility, crosswalk) as ``jobgraph build`` converts it."""
    snap = Snapshot(label, "rome", {ROME_GRAPH: _cached_rome(folder, cache_dirs)},
                    rome_version="v460", rome_parts=dict.fromkeys(PARTS, "full"))
    return snap


# --- ROME exports and the crosswalk ---------------------------------------------------------------

def export_files(folder: Path) -> dict[str, Path]:
    """The files of a ROME export folder by what they hold (``referentiel_appellation`` …)."""
    found = {}
    for path in sorted(folder.glob("unix_*_utf8.csv")):
        m = _EXPORT_RE.match(path.name)
        if m:
            found[m.group(1)] = path
    return found


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _lit(text: str, lang: str | None = None) -> str:
    from rdflib import Literal

    return nt(Literal(text, lang=lang))


def read_rome_export(folder: Path, label: str) -> Snapshot:
    """A ROME export folder (``data/rome/v460``, ``data/rome/v347``): its tree, titles,
    appellations and mobility, as far as the folder holds them, in the vocabulary of the ROME
    graph (jg:RomeOccupation, jg:RomeAppellation, jg:mobilityTo, jg:sidewaysTo, jg:upwardTo)."""
    files = export_files(folder)
    versions = {m.group(2) for p in files.values() if (m := _EXPORT_RE.match(p.name))}
    if not files:
        raise UsageError(f"{folder}: no ROME export file (unix_*_vNNN_utf8.csv) in this folder")
    t: set[Triple] = set()
    a = nt(RDF.type)
    parts: dict[str, str] = {}
    titles: dict[str, str] = {}
    tree = files.get("cr_gd_dp")
    if tree:
        for r in _rows(tree):
            titles[r["code_rome"]] = r["libelle_rome"]
            f = nt(rome_iri("metier", r["code_rome"]))
            t.add((f, a, nt(JG.RomeOccupation)))
            t.add((f, nt(SKOS.notation), _lit(r["code_rome"])))
            t.add((f, nt(SKOS.broader), nt(rome_iri("domaine", r["code_domaine_professionel"]))))
        parts["fiches"] = "full"
    codes = files.get("referentiel_code_rome")
    if codes:
        for r in _rows(codes):
            titles[r["code_rome"]] = r["libelle_rome"]
            f = nt(rome_iri("metier", r["code_rome"]))
            t.add((f, a, nt(JG.RomeOccupation)))
            t.add((f, nt(SKOS.notation), _lit(r["code_rome"])))
            if r.get("code_rome_parent"):
                t.add((f, nt(JG.romeV3Parent), _lit(r["code_rome_parent"])))
        parts["fiches"] = "full"
    for code, title in titles.items():
        t.add((nt(rome_iri("metier", code)), nt(SKOS.prefLabel), _lit(title, "fr")))
    appellations = files.get("referentiel_appellation")
    if appellations:
        for r in _rows(appellations):
            x = nt(rome_iri("appellation", r["code_ogr"]))
            t.add((x, a, nt(JG.RomeAppellation)))
            t.add((x, nt(SKOS.prefLabel), _lit(r["libelle_appellation_long"], "fr")))
            t.add((x, nt(SKOS.broader), nt(rome_iri("metier", r["code_rome"]))))
            if r.get("code_rome_parent"):
                t.add((x, nt(JG.romeV3Parent), _lit(r["code_rome_parent"])))
        parts["appellations"] = "full"
    mobility = files.get("rubrique_mobilite")
    if mobility:
        for r in _rows(mobility):
            kind = r.get("libelle_type_mobilite")
            prop = JG.sidewaysTo if kind == "Proche" else JG.upwardTo if kind == "Evolution" \
                else JG.mobilityTo
            t.add((nt(rome_iri("metier", r["code_rome"])), nt(prop),
                   nt(rome_iri("metier", r["code_rome_cible"]))))
        parts["mobility"] = "full"
    snap = _from_graphs(label, "rome-release", {ROME_GRAPH: t})
    snap.rome_version = "/".join(sorted(versions))
    snap.rome_parts = parts
    return snap


def read_crosswalk(path: Path, label: str) -> Snapshot:
    """The ESCO–ROME crosswalk: the ROME appellations it names (code and label, as in the ROME
    it was made against) and its ESCO links. It names only the appellations it maps: a diff does
    not count the others as added."""
    from ..rome import ESCO_RELATIONS

    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    head = {row[0].strip(): row[1].strip() for row in csv.reader(lines[:15]) if len(row) >= 2}
    if "classification 2 ID" not in (lines[15] if len(lines) > 15 else ""):
        raise UsageError(f"{path}: not the ESCO–ROME crosswalk (line 16 should be its header)")
    t: set[Triple] = set()
    a = nt(RDF.type)
    for row in csv.DictReader(io.StringIO("".join(lines[15:]))):
        uri, ogr = row.get("classification 1 ID", ""), row.get("classification 2 ID", "")
        rel = ESCO_RELATIONS.get(row.get("mapping relation", ""))
        if not uri.startswith("http") or rel is None or not ogr.isdigit():
            continue
        x = nt(rome_iri("appellation", ogr))
        t.add((x, a, nt(JG.RomeAppellation)))
        t.add((x, nt(SKOS.prefLabel), _lit(row["classification 2 prefered label"].strip(), "fr")))
        e = nt(URIRef(uri))
        t.add((e, a, nt(JG.EscoOccupation)))
        t.add((e, nt(rel), x))
    snap = _from_graphs(label, "crosswalk", {ROME_GRAPH: t})
    version = head.get("Classification 2 Version", "").strip().lower().replace(".0", "")
    snap.rome_version = version or None  # "v3"
    snap.rome_parts = {"appellations": "partial", "esco": "full"}
    return snap


# --- built graph files ----------------------------------------------------------------------------

def read_graph_file(path: Path, label: str) -> Snapshot:
    fmt = "trig" if path.suffix in (".trig",) else "nquads" if path.suffix in (".nq", ".nquads") \
        else None
    if fmt is None:
        raise UsageError(f"{path}: a built graph is a TriG (.trig) or N-Quads (.nq) file")
    graphs = _parse_nquads(path.read_bytes(), fmt=fmt, where=str(path))
    ours = {g: t for g, t in graphs.items() if g.startswith(GRAPH_PREFIX)}
    if not ours:
        raise UsageError(f"{path}: holds no jobgraph named graph ({GRAPH_PREFIX}…): built by "
                         "jobgraph build -o?")
    snap = _from_graphs(label, "graph-file", ours)
    if ROME_GRAPH in ours:
        snap.rome_version = "v460"
        snap.rome_parts = dict.fromkeys(PARTS, "full")
    text = path.read_bytes()

    def whole() -> str:
        if fmt == "nquads":
            return text.decode("utf-8")
        return "".join(f"{s} {p} {o} <{g}> .\n" for g, ts in ours.items() for s, p, o in ts)

    snap.nquads = whole
    return snap


# --- git revisions --------------------------------------------------------------------------------

def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=300,
                              check=False)
    except FileNotFoundError:
        raise UsageError("--git needs the git command, which is not installed") from None


@contextmanager
def at_revision(path: Path, rev: str) -> Iterator[Path]:
    """``path`` (a folder or file of a git working tree) as it was at ``rev``, exported by
    ``git archive`` into a temporary folder (same relative path), removed afterwards."""
    where = path if path.is_dir() else path.parent
    while not where.exists() and where != where.parent:
        where = where.parent  # a path deleted since rev: ask git from its nearest folder
    top = _git(["rev-parse", "--show-toplevel"], where)
    if top.returncode != 0:
        raise UsageError(f"--git {rev}: {path} is not inside a git working tree")
    root = Path(top.stdout.decode().strip())
    commit = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root)
    if commit.returncode != 0:
        raise UsageError(f"--git {rev}: unknown git revision in {root}")
    rel = path.resolve().relative_to(root.resolve()).as_posix() if path.exists() else \
        (where.resolve().relative_to(root.resolve()) / path.name).as_posix()
    archive = _git(["archive", "--format=tar", commit.stdout.decode().strip(), "--", rel], root)
    if archive.returncode != 0:
        raise UsageError(f"--git {rev}: {rel} does not exist at that revision "
                         f"({archive.stderr.decode(errors='replace').strip()[:200]})")
    tmp = Path(tempfile.mkdtemp(prefix="jobgraph-diff-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield tmp / rel
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def side_kind(path: Path) -> str:
    """What a path holds: data, referential, rome, rome-release, crosswalk or graph-file."""
    if path.is_file():
        if path.suffix == ".csv":
            return "crosswalk"
        return "graph-file"
    if (path / "referential.yaml").exists():
        return "referential"
    if export_files(path):
        return "rome-release"
    if (path / "v460").is_dir():
        return "rome"
    if any((p / "referential.yaml").exists() for p in path.iterdir() if p.is_dir()):
        return "data"
    raise UsageError(f"{path}: neither a data folder, a referential folder, ROME files nor a "
                     "built graph (see jobgraph diff --help)")


def read_side(path: Path, label: str, *, cache_dirs: list[Path] | None = None) -> Snapshot:
    """Read one side from ``path`` (already at the wanted revision)."""
    if not path.exists():
        raise UsageError(f"{label}: no such file or folder: {path}")
    kind = side_kind(path)
    caches = cache_dirs or []
    try:
        if kind == "data":
            return read_data(path, label, caches)
        if kind == "referential":
            return read_referential(path, label)
        if kind == "rome":
            return read_rome_folder(path, label, caches)
        if kind == "rome-release":
            return read_rome_export(path, label)
        if kind == "crosswalk":
            return read_crosswalk(path, label)
        return read_graph_file(path, label)
    except DataError as exc:
        raise DataError([Problem(p.file, p.line, f"({label}) {p.message}", p.hint)
                         for p in exc.problems]) from None
    except (OSError, UnicodeDecodeError, KeyError, csv.Error) as exc:
        raise UsageError(f"{label}: cannot read {path}: {exc}") from None


__all__ = ["GRAPH_PREFIX", "PARTS", "ROME_GRAPH", "LazyGraph", "Snapshot", "at_revision",
           "read_side", "side_kind"]
