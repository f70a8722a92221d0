"""Career paths: shortest paths between two jobs over the career-path steps; text, DOT or SVG.

SPARQL 1.1 finds whether a path exists but not how long it is, so the stored query
``career-path`` returns the edges that steps are made of and the search happens here: a
breadth-first search gives the fewest steps, and among the paths with that many steps the kinds
of step rank them (a progression before a proximity, before an equivalence, before a ROME
mobility).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from rdflib import Literal

from .errors import ExternalError, UsageError
from .namespaces import JGID

KINDS = ("progression", "proximity", "equivalence", "mobility")
# added to each step's cost of 1 to rank paths of the same length; all below 1/MAX_STEPS so that a
# path with fewer steps always ranks first
PENALTY = {"progression": 0.0, "proximity": 0.01, "equivalence": 0.02, "mobility": 0.03}
MAX_PATHS = 3
# enumerating every shortest path can explode on a dense graph: stop after this many
MAX_ENUMERATED = 20_000
FORMATS = ("text", "dot", "svg")

# Graphviz attributes of each kind of step (also the legend of the drawing)
EDGE_STYLE = {
    "progression": 'style="bold", color="#1b7837"',
    "proximity": 'style="dashed", color="#762a83", arrowhead="none"',
    "equivalence": 'style="dotted", color="#2166ac", penwidth="2", arrowhead="none"',
    "mobility": 'style="solid", color="#b35806", arrowhead="open"',
}
KIND_LABEL = {
    "fr": {"progression": "progression", "proximity": "proximité",
           "equivalence": "équivalence", "mobility": "mobilité ROME"},
    "en": {"progression": "progression", "proximity": "proximity",
           "equivalence": "equivalence", "mobility": "ROME mobility"},
}
WORDS = {
    "fr": {"from": "de", "to": "à", "path": "Chemin", "steps": "étapes", "step": "étape",
           "none": "aucun chemin", "same": "même emploi", "level": "niveau",
           "national": "CNC", "legend": "Types d'étape"},
    "en": {"from": "from", "to": "to", "path": "Path", "steps": "steps", "step": "step",
           "none": "no path", "same": "same job", "level": "level",
           "national": "national level", "legend": "Kinds of step"},
}

JOBS_QUERY = """PREFIX jg: <https://w3id.org/jobgraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?job (MIN(?label) AS ?jobLabel) ?referential ?levelNotation ?national
WHERE {
  ?job a jg:Job ;
       skos:inScheme ?referential ;
       skos:prefLabel ?labelFr .
  FILTER(langMatches(lang(?labelFr), "fr"))
  OPTIONAL { ?job skos:prefLabel ?l1 . FILTER(langMatches(lang(?l1), ?lang)) }
  OPTIONAL { ?job skos:altLabel ?l2 . FILTER(!BOUND(?l1) && langMatches(lang(?l2), ?lang)) }
  OPTIONAL { ?job jg:level ?level . ?level skos:notation ?levelNotation }
  OPTIONAL { ?job jg:level ?aligned . ?aligned jg:alignedTo ?nat . ?nat jg:rank ?alignedRank }
  OPTIONAL { ?job jg:level ?onFramework . ?onFramework jg:inScale ?scale ; jg:rank ?frameworkRank .
             ?scale a jg:QualificationFramework }
  BIND(COALESCE(?l1, ?l2, ?labelFr) AS ?label)
  BIND(COALESCE(?alignedRank, ?frameworkRank) AS ?national)
}
GROUP BY ?job ?referential ?levelNotation ?national"""


@dataclass(frozen=True)
class Step:
    """One step from a job to another: its kind and what supports it (a fiche code, a basis)."""

    source: str
    target: str
    kind: str
    evidence: str = ""


@dataclass(frozen=True)
class Job:
    """What a path shows of a job."""

    iri: str
    label: str
    referential: str = ""
    level: str | None = None
    national: int | None = None

    @property
    def short(self) -> str:
        s = self.iri[len(str(JGID)):] if self.iri.startswith(str(JGID)) else self.iri
        return s.replace("/job/", "/")


@dataclass(frozen=True)
class CareerPath:
    """A path: its steps in order (each the best-ranked kind between its two jobs)."""

    steps: tuple[Step, ...]

    @property
    def cost(self) -> float:
        return sum(1 + PENALTY[s.kind] for s in self.steps)

    def jobs(self) -> list[str]:
        return [self.steps[0].source, *(s.target for s in self.steps)] if self.steps else []


@dataclass
class Graph:
    """The steps between jobs, made on demand from the edges of the ``career-path`` query.

    Steps given as such (progression, proximity) are kept by source job; ROME links and mobility
    edges are kept as they are. The search asks only which jobs are one step from a job (``out``,
    set unions over the fiches); the steps themselves are made for the pairs of jobs a path
    passes through (``between``, ``step``): made in advance, they would be as many as the pairs
    of jobs that share a fiche.
    """

    direct: dict[str, list[Step]] = field(default_factory=lambda: defaultdict(list))
    fiches: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list))  # job -> (fiche, code)
    linked: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # fiche -> jobs
    moves: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list))  # fiche -> (fiche, evidence)
    referential: dict[str, str] = field(default_factory=dict)
    _out: dict[str, set[str]] = field(default_factory=dict)
    _best: dict[tuple[str, str], Step] = field(default_factory=dict)

    @classmethod
    def of(cls, steps: Iterable[Step]) -> Graph:
        """A graph of the given steps alone."""
        g = cls()
        for s in steps:
            if s.kind in PENALTY and s.source != s.target:
                g.direct[s.source].append(s)
        return g

    @classmethod
    def from_edges(cls, rows: Iterable[tuple[str, str, str, str, str]]) -> Graph:
        """A graph of the ``career-path`` rows: (source, target, kind, evidence, referential)."""
        g = cls()
        for source, target, kind, evidence, referential in rows:
            if referential:
                g.referential[source] = referential
            if kind == "rome-link":
                g.fiches[source].append((target, evidence))
                g.linked[target].add(source)
            elif kind == "mobility":
                g.moves[source].append((target, evidence))
            elif kind in PENALTY and source != target:
                g.direct[source].append(Step(source, target, kind, evidence))
        return g

    def out(self, job: str) -> set[str]:
        """The jobs one step from ``job``."""
        found = self._out.get(job)
        if found is None:
            found = {s.target for s in self.direct.get(job, ())}
            own = self.referential.get(job)
            for fiche, _ in self.fiches.get(job, ()):
                peers = self.linked.get(fiche, set())
                found.update(peers if own is None else
                             (p for p in peers if self.referential.get(p) != own))
                for to, _ in self.moves.get(fiche, ()):
                    found |= self.linked.get(to, set())
            found.discard(job)
            self._out[job] = found
        return found

    def between(self, source: str, target: str) -> list[Step]:
        """Every step from ``source`` to ``target`` (each distinct one once)."""
        if source == target:
            return []
        found = [s for s in self.direct.get(source, ()) if s.target == target]
        own, theirs = self.referential.get(source), self.referential.get(target)
        for fiche, code in self.fiches.get(source, ()):
            if target in self.linked.get(fiche, ()) and (own is None or own != theirs):
                found.append(Step(source, target, "equivalence", code))
            for to, evidence in self.moves.get(fiche, ()):
                if target in self.linked.get(to, ()):
                    found.append(Step(source, target, "mobility", evidence))
        return sorted(set(found), key=_rank)

    def step(self, source: str, target: str) -> Step:
        """The best-ranked step from ``source`` to ``target`` (there must be one)."""
        best = self._best.get((source, target))
        if best is None:
            best = self._best[(source, target)] = self.between(source, target)[0]
        return best

    def steps(self) -> list[Step]:
        """Every step of the graph (each distinct one once), in a stable order."""
        jobs = set(self.direct) | set(self.fiches)
        found = {s for job in jobs for t in self.out(job) for s in self.between(job, t)}
        return sorted(found, key=lambda s: (s.source, s.kind, s.target, s.evidence))


def _rank(step: Step) -> tuple[float, str]:
    return PENALTY[step.kind], step.evidence


def load_graph(backend: Any) -> Graph:
    """The graph of career steps: the rows of the stored query ``career-path``."""
    from .queries import bindings_for, get_query

    q = get_query("career-path")
    result = backend.select(q.text, bindings_for(q, {}))
    cols = {name: i for i, name in enumerate(result.variables)}
    missing = {"source", "target", "kind"} - set(cols)
    if missing:
        raise UsageError(f"the career-path query returns no {', '.join(sorted(missing))}")
    rows = []
    for row in result.rows:
        source, target, kind = (row[cols[c]] for c in ("source", "target", "kind"))
        if source is None or target is None or kind is None:
            continue
        evidence = row[cols["evidence"]] if "evidence" in cols else None
        referential = row[cols["referential"]] if "referential" in cols else None
        rows.append((str(source), str(target), str(kind), str(evidence or ""),
                     str(referential or "")))
    return Graph.from_edges(rows)


def load_steps(backend: Any) -> list[Step]:
    """Every step of the graph between two jobs (for small graphs: they grow as pairs of jobs)."""
    return load_graph(backend).steps()


def shortest_paths(steps: Iterable[Step] | Graph, source: str, target: str, *,
                   limit: int = MAX_PATHS) -> list[CareerPath]:
    """The ``limit`` best paths among those with the fewest steps from ``source`` to ``target``.

    Fewest steps first (breadth-first search); paths of equal length are ranked by the kinds of
    their steps (PENALTY), then by the jobs they pass through, so the answer is deterministic.
    An empty list means no path; a path of no step means ``source == target``.
    """
    graph = steps if isinstance(steps, Graph) else Graph.of(steps)
    if source == target:
        return [CareerPath(())]
    distance = {source: 0}
    parents: dict[str, list[str]] = defaultdict(list)
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if target in distance and distance[node] >= distance[target]:
            break
        for nxt in sorted(graph.out(node)):
            if nxt not in distance:
                distance[nxt] = distance[node] + 1
                queue.append(nxt)
            if distance[nxt] == distance[node] + 1:
                parents[nxt].append(node)
    if target not in distance:
        return []
    found: list[CareerPath] = []
    # walk back from the target over the parents: every such walk is a shortest path
    stack: list[tuple[str, tuple[Step, ...]]] = [(target, ())]
    while stack and len(found) < MAX_ENUMERATED:
        node, tail = stack.pop()
        if node == source:
            found.append(CareerPath(tail))
            continue
        for parent in parents[node]:
            stack.append((parent, (graph.step(parent, node), *tail)))
    found.sort(key=lambda p: (p.cost, [KINDS.index(s.kind) for s in p.steps], p.jobs()))
    return found[:limit]


def job_info(backend: Any, lang: str = "fr", *,
             jobs: Iterable[str] | None = None) -> dict[str, Job]:
    """Label (in ``lang``, else French), referential, level and national level of every job, or
    of ``jobs`` only (one query each: a path shows a few jobs of a graph that may have many)."""
    from rdflib import URIRef

    if jobs is None:
        rows = backend.select(JOBS_QUERY, {"lang": Literal(lang)}).rows
    else:
        rows = [row for job in sorted(set(jobs))
                for row in backend.select(JOBS_QUERY, {"lang": Literal(lang),
                                                       "job": URIRef(job)}).rows]
    out: dict[str, Job] = {}
    for job, label, ref, level, national in rows:
        if job is None:
            continue
        ref_s = str(ref or "")
        ref_short = ref_s[len(str(JGID)):] if ref_s.startswith(str(JGID)) else ref_s
        rank = int(str(national)) if national is not None else None
        out[str(job)] = Job(str(job), str(label or job), ref_short,
                            str(level) if level is not None else None, rank)
    return out


def _job(info: dict[str, Job], iri: str) -> Job:
    return info.get(iri) or Job(iri, iri)


def _level(job: Job, lang: str) -> str:
    w = WORDS[lang]
    parts = []
    if job.level is not None:
        parts.append(f"{w['level']} {job.level}")
    if job.national is not None:
        parts.append(f"{w['national']} {job.national}")
    return ", ".join(parts)


def _describe(job: Job, lang: str) -> str:
    level = _level(job, lang)
    return f"{job.label} [{job.short}{'; ' + level if level else ''}]"


def render_text(paths: Sequence[CareerPath], info: dict[str, Job], source: str, target: str,
                graph: Graph | None = None, *, lang: str = "fr") -> str:
    """The paths for a terminal: one block per path, one line per job, the step between them."""
    w = WORDS[lang]
    kinds = KIND_LABEL[lang]
    head = f"{_describe(_job(info, source), lang)}\n  → {_describe(_job(info, target), lang)}\n"
    if not paths:
        return head + f"\n{w['none']}\n"
    lines = [head]
    for n, path in enumerate(paths, 1):
        count = len(path.steps)
        lines.append(f"{w['path']} {n} ({count} {w['step'] if count == 1 else w['steps']})")
        if not path.steps:
            lines.append(f"  {w['same']}")
        for i, job in enumerate(path.jobs()):
            lines.append(f"  {i}. {_describe(_job(info, job), lang)}")
            if i < count:
                step = path.steps[i]
                others = []
                if graph is not None:
                    others = [s for s in graph.between(step.source, step.target)
                              if s != step]
                evidence = f" ({step.evidence})" if step.evidence else ""
                also = ""
                if others:
                    also = "; " + ", ".join(sorted({kinds[s.kind] + (f" ({s.evidence})"
                                                                      if s.evidence else "")
                                                    for s in others}))
                lines.append(f"       ↓ {kinds[step.kind]}{evidence}{also}")
        lines.append("")
    return "\n".join(lines)


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_dot(paths: Sequence[CareerPath], info: dict[str, Job], source: str, target: str, *,
               lang: str = "fr") -> str:
    """A Graphviz digraph of the paths: jobs with their referential and levels, one edge style per
    kind of step, and a legend."""
    kinds = KIND_LABEL[lang]
    w = WORDS[lang]
    jobs: list[str] = []
    for p in paths:
        for j in p.jobs():
            if j not in jobs:
                jobs.append(j)
    for j in (source, target):
        if j not in jobs:
            jobs.append(j)
    ids = {j: f"j{i}" for i, j in enumerate(jobs)}
    out = ["digraph career_path {",
           '  graph [rankdir="LR", fontname="Helvetica", fontsize="11", nodesep="0.4"];',
           '  node [shape="box", style="rounded,filled", fillcolor="#f7f7f7", '
           'fontname="Helvetica", fontsize="10"];',
           '  edge [fontname="Helvetica", fontsize="9"];']
    for j in jobs:
        job = _job(info, j)
        level = _level(job, lang)
        label = job.label + "\n" + job.referential + (f"\n{level}" if level else "")
        extra = ', penwidth="2", fillcolor="#fee8c8"' if j in (source, target) else ""
        out.append(f"  {ids[j]} [label={_dot_string(label)}, tooltip={_dot_string(job.short)}"
                   f"{extra}];")
    seen: set[tuple[str, str]] = set()
    for p in paths:
        for s in p.steps:
            if (s.source, s.target) in seen:
                continue
            seen.add((s.source, s.target))
            label = kinds[s.kind] + (f"\n{s.evidence}" if s.evidence else "")
            out.append(f"  {ids[s.source]} -> {ids[s.target]} "
                       f"[label={_dot_string(label)}, {EDGE_STYLE[s.kind]}];")
    out.append("  subgraph cluster_legend {")
    out.append(f"    label={_dot_string(w['legend'])}; fontsize=\"10\"; color=\"#bbbbbb\";")
    for i, kind in enumerate(KINDS):
        out.append(f'    legend_a{i} [label="", shape="point", width="0.05"];')
        out.append(f'    legend_b{i} [label="", shape="point", width="0.05"];')
        out.append(f"    legend_a{i} -> legend_b{i} [label={_dot_string(kinds[kind])}, "
                   f"{EDGE_STYLE[kind]}];")
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def render_svg(dot: str, *, executable: str = "dot") -> str:
    """SVG drawn by Graphviz's ``dot`` from DOT text; ExternalError when dot is missing or fails."""
    found = shutil.which(executable)
    if found is None:
        raise ExternalError(
            "Graphviz's 'dot' program was not found on PATH, so no SVG can be drawn: install "
            "Graphviz (Debian: apt-get install graphviz; https://graphviz.org/download/) or use "
            "--format dot and draw it elsewhere")
    try:
        done = subprocess.run([found, "-Tsvg"], input=dot.encode("utf-8"), capture_output=True,
                              timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExternalError(f"Graphviz's dot failed to run: {exc}") from None
    if done.returncode != 0:
        raise ExternalError("Graphviz's dot failed: "
                            + done.stderr.decode("utf-8", "replace").strip())
    return done.stdout.decode("utf-8")


def cli_path(backend: Any, args: Any, out: TextIO) -> int:
    """``jobgraph path --from A --to B [--format text|dot|svg] [-o FILE] [--lang fr|en]``.

    Exit 0 when a path is found, 1 when there is none (the output says so), 2 for an unknown or
    ambiguous job, 3 when ``dot`` is needed and missing.
    """
    from .queries import resolve_job

    fmt = getattr(args, "format", "text") or "text"
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    lang = getattr(args, "lang", "fr") or "fr"
    if lang not in WORDS:
        raise UsageError(f"--lang must be one of {', '.join(WORDS)}, got {lang!r}")
    source = str(resolve_job(backend, args.source))
    target = str(resolve_job(backend, args.target))
    graph = load_graph(backend)
    paths = shortest_paths(graph, source, target)
    info = job_info(backend, lang, jobs={source, target, *(j for p in paths for j in p.jobs())})
    if fmt == "text":
        text = render_text(paths, info, source, target, graph, lang=lang)
    else:
        text = render_dot(paths, info, source, target, lang=lang)
        if fmt == "svg":
            text = render_svg(text)
    output = getattr(args, "output", None)
    if output:
        from .build import atomic_write

        atomic_write(Path(output), text)
    else:
        out.write(text)
    return 0 if paths else 1


__all__ = ["CareerPath", "Graph", "Job", "Step", "cli_path", "job_info", "load_graph",
           "load_steps", "render_dot", "render_svg", "render_text", "shortest_paths"]
