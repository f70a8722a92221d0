"""Career paths: shortest paths between two jobs over the career-path steps (drawn by ``drawing``).

SPARQL 1.1 finds whether a path exists but not how long it is, so the stored query
``career-path`` returns the edges that steps are made of and the search happens here: a
breadth-first search gives the fewest steps, and among the paths with that many steps the kinds
of step rank them (a progression before a proximity, before an equivalence, before a ROME
mobility).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from .backends import Backend
from .catalogue import bindings_for, get_query, internal
from .errors import UsageError
from .terms import display, short_id

KINDS = ("progression", "proximity", "equivalence", "mobility")
# added to each step's cost of 1 to rank paths of the same length; all below 1/MAX_STEPS so that a
# path with fewer steps always ranks first
PENALTY = {"progression": 0.0, "proximity": 0.01, "equivalence": 0.02, "mobility": 0.03}
MAX_PATHS = 3
# enumerating every shortest path can explode on a dense graph: stop after this many
MAX_ENUMERATED = 20_000


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
        return short_id(self.iri)


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


def load_graph(backend: Backend) -> Graph:
    """The graph of career steps: the rows of the stored query ``career-path``."""
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


def load_steps(backend: Backend) -> list[Step]:
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


def job_info(backend: Backend, lang: str = "fr", *,
             jobs: Iterable[str] | None = None) -> dict[str, Job]:
    """Label (in ``lang``, else French), referential, level and national level of every job, or
    of ``jobs`` only (one query each: a path shows a few jobs of a graph that may have many)."""
    q = internal("job-info")
    if jobs is None:
        rows = backend.select(q.text, {"lang": Literal(lang)}).rows
    else:
        rows = [row for job in sorted(set(jobs))
                for row in backend.select(q.text, {"lang": Literal(lang),
                                                   "job": URIRef(job)}).rows]
    out: dict[str, Job] = {}
    for job, label, ref, level, national in rows:
        if job is None:
            continue
        rank = int(str(national)) if national is not None else None
        out[str(job)] = Job(str(job), str(label or job), display(ref),
                            str(level) if level is not None else None, rank)
    return out


@dataclass
class PathAnswer:
    """The answer to "how to go from A to B": the best paths, the jobs they pass through, and the
    graph of steps (to tell what else links two jobs of a path)."""

    source: str
    target: str
    paths: list[CareerPath]
    jobs: dict[str, Job]
    graph: Graph


def find_paths(backend: Backend, source: str, target: str, *, lang: str = "fr",
               limit: int = MAX_PATHS) -> PathAnswer:
    """The best paths from the job ``source`` to the job ``target`` (IRIs), with their jobs."""
    graph = load_graph(backend)
    paths = shortest_paths(graph, source, target, limit=limit)
    info = job_info(backend, lang, jobs={source, target, *(j for p in paths for j in p.jobs())})
    return PathAnswer(source, target, paths, info, graph)


__all__ = ["CareerPath", "Graph", "Job", "PathAnswer", "Step", "find_paths", "job_info",
           "load_graph", "load_steps", "shortest_paths"]
