"""Career paths between two jobs, ranked by plausibility (drawn by ``drawing``).

A path is made of steps, each with a cost by kind, cheapest first: a progression the document
prints, a rung of a referential's ladder, a neighbouring job the document names, the same
occupation in another referential (a calibrated equivalence, whichever of the two jobs names the
other), a ROME v3 "évolution", a ROME v3 "proche", a ROME 4 mobility edge (dearer when the fiche
it reaches covers several posts of the target's referential or a link is weak; it enters a ladder
at the lowest rung that fiche covers, not above it). A step may not go
more than one national level down nor more than two up; a step to a job whose level is unknown
costs a little more. When both jobs are in one referential and a route inside it exists, only
such routes are shown (no detour through a third sector); between two referentials, routes
through them alone come before any other. The best paths are the cheapest (Yen's algorithm,
igraph), so a direct route beats a detour through an unrelated occupation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .backends import Backend
from .careers.equivalence import TitleIndex, crowd, either_way
from .careers.facts import Facts, JobFacts, load_facts, range_text
from .terms import short_id

if TYPE_CHECKING:
    import igraph

KINDS = ("progression", "proximity", "equivalence", "mobility")
# two métiers of one family of a document that prints no level for either: neighbours, a little
# dearer than an equivalence, cheaper than a ROME move (``_family``)
FAMILY_COST = 2.2
# the cost of a step by kind and detail (a progression's basis, a mobility edge's property)
COST = {("progression", "explicit"): 1.0, ("progression", "ladder"): 1.2,
        ("proximity", ""): 1.6, ("equivalence", ""): 2.0, ("proximity", "family"): FAMILY_COST,
        ("mobility", "upwardTo"): 2.6,
        ("mobility", "sidewaysTo"): 3.0, ("mobility", "mobilityTo"): 3.4}
UNKNOWN_LEVEL = 0.3  # added to a step whose levels cannot be compared
# added to a ROME move (``_vague``): per other post of the target's referential on the fiche it
# reaches, and times the weakness of the two links (chosen on the dev paths: docs/answers.md)
MOBILITY_CROWD, MOBILITY_WEAK = 0.3, 1.0
MAX_DOWN, MAX_UP = 1, 2  # national levels a step may go down / up
MAX_PATHS = 3


@dataclass(frozen=True)
class Step:
    """One step from a job to another: its kind, what supports it, and why, in words."""

    source: str
    target: str
    kind: str
    evidence: str = ""  # basis of a progression, fiche codes, "M1601>M1602 upwardTo"
    why: str = ""
    extra: float = 0.0  # added to the kind's cost (an unknown level, a weak equivalence)

    @property
    def detail(self) -> str:
        if self.kind == "progression":
            return self.evidence if self.evidence in ("explicit", "ladder") else "explicit"
        if self.kind == "mobility":
            return self.evidence.rsplit(" ", 1)[-1] if " " in self.evidence else "mobilityTo"
        if self.kind == "proximity" and self.evidence.startswith("family:"):
            return "family"
        return ""

    @property
    def cost(self) -> float:
        return COST.get((self.kind, self.detail), 3.4) + self.extra


@dataclass(frozen=True)
class CareerPath:
    """A path: its steps in order."""

    steps: tuple[Step, ...]

    @property
    def cost(self) -> float:
        return round(sum(s.cost for s in self.steps), 6)

    def jobs(self) -> list[str]:
        return [self.steps[0].source, *(s.target for s in self.steps)] if self.steps else []


@dataclass
class Graph:
    """The steps between jobs, made on demand: given steps (progression, proximity), and, with
    facts, the calibrated equivalences and the ROME mobility between the jobs' fiches."""

    direct: dict[str, list[Step]] = field(default_factory=dict)
    facts: Facts | None = None
    titles: TitleIndex | None = None
    lang: str = "fr"
    # a graph read a part at a time: reads what the steps from a job are made of, when first
    # asked for them (``careers.reader.Reader.for_steps_from``)
    expand: Callable[[str], None] | None = None
    _out: dict[str, dict[str, Step]] = field(default_factory=dict)
    _expanded: set[str] = field(default_factory=set)
    _made: dict[str, list[Step]] = field(default_factory=dict)  # every step from a job
    _weighted: dict[str, list[tuple[str, Step, float]]] = field(default_factory=dict)

    @classmethod
    def of(cls, steps: Iterable[Step]) -> Graph:
        """A graph of the given steps alone."""
        g = cls()
        for s in steps:
            if (s.kind, s.detail) in COST and s.source != s.target:
                g.direct.setdefault(s.source, []).append(s)
        return g

    @classmethod
    def from_facts(cls, facts: Facts, titles: TitleIndex, lang: str = "fr") -> Graph:
        g = cls(facts=facts, titles=titles, lang=lang)
        for a, targets in facts.progressions.items():
            for b, basis in targets:
                g.direct.setdefault(a, []).append(Step(a, b, "progression", basis))
        for a, others in facts.proximity.items():
            for b in sorted(others):
                g.direct.setdefault(a, []).append(Step(a, b, "proximity"))
        return g

    def between(self, source: str, target: str) -> list[Step]:
        """Every step from ``source`` to ``target``, cheapest first."""
        return sorted((s for s in self._steps(source) if s.target == target),
                      key=lambda s: (s.cost, s.kind, s.evidence))

    def out(self, job: str) -> dict[str, Step]:
        """The cheapest step from ``job`` to each job one step away."""
        found = self._out.get(job)
        if found is None:
            found = {}
            for s in sorted(self._steps(job), key=lambda s: (s.cost, s.kind, s.evidence)):
                if s.target != job and s.target not in found and self._allowed(s):
                    found[s.target] = s
            self._out[job] = found
        return found

    def weighted(self, job: str) -> list[tuple[str, Step, float]]:
        """``out(job)`` with each step's weight for the search (kept: a job is reached by
        many questions)."""
        found = self._weighted.get(job)
        if found is None:
            found = self._weighted[job] = [(t, s, _weight(self, s))
                                           for t, s in self.out(job).items()]
        return found

    def _steps(self, job: str) -> list[Step]:
        made = self._made.get(job)
        if made is None:  # a job's equivalents are computed once, not at each look
            made = self._made[job] = self._make_steps(job)
        return made

    def _make_steps(self, job: str) -> list[Step]:
        if self.expand is not None and job not in self._expanded:
            self._expanded.add(job)
            self.expand(job)
            if self.facts is not None:  # the steps the facts just read give
                self.direct[job] = [Step(job, b, "progression", basis)
                                    for b, basis in self.facts.progressions.get(job, [])]
                self.direct[job] += [Step(job, b, "proximity")
                                     for b in sorted(self.facts.proximity.get(job, ()))]
        steps = list(self.direct.get(job, []))
        f, titles = self.facts, self.titles
        if f is None or titles is None or job not in f.jobs:
            return steps
        steps += _family(f, job)
        for eq in either_way(f, titles, job, lang=self.lang):
            codes = " ".join(sorted({f.fiches[x].code for x, _ in eq.pair.fiches
                                     if x in f.fiches}))
            # a fiche of several posts of the target's referential names the occupation, not
            # which of its posts or rungs the step enters: ``MOBILITY_CROWD`` a post more, as a
            # ROME move (the equivalence's score says how sure the occupation is)
            best, ref = eq.pair.best_fiche(), f.jobs[eq.job.iri].referential
            n = crowd(f, best, ref) if best is not None else 1
            why = eq.why
            said = eq.pair.crowd > 1 and eq.pair.crowd_of == ref  # the why says it already
            if n > 1 and best in f.fiches and not said:
                why += ", " + _WHY[self.lang]["crowd"].format(code=f.fiches[best].code, n=n,
                                                             ref=ref)
            steps.append(Step(job, eq.job.iri, "equivalence", codes, why,
                              round(1.0 - eq.score + MOBILITY_CROWD * max(0, n - 1), 3)))
        for link in f.jobs[job].links:
            for to, prop in f.mobility.get(link.fiche, []):
                code = f.fiches[link.fiche].code if link.fiche in f.fiches else link.fiche
                to_code = f.fiches[to].code if to in f.fiches else to
                for other in sorted(f.by_fiche.get(to, ())):
                    if other != job and other in f.jobs and not _above_entry(f, job, other, to):
                        steps.append(Step(job, other, "mobility", f"{code}>{to_code} {prop}",
                                          extra=_vague(f, other, to, link.weight)))
        return steps

    def _allowed(self, s: Step) -> bool:
        if self.facts is None:
            return True
        a = self.facts.jobs.get(s.source)
        b = self.facts.jobs.get(s.target)
        if a is None or b is None:
            return True
        if a.national is None or b.national is None:
            return True  # allowed, at a cost (``_weight``)
        down = a.national.low - b.national.high
        up = b.national.low - a.national.high
        return down <= MAX_DOWN and up <= MAX_UP


def _family(facts: Facts, job: str) -> list[Step]:
    """Steps from ``job`` to the other métiers of its family (a column of the document's
    nomenclature) when the document prints a level for neither: it groups them without ordering
    them, so each is a neighbour of the others, one sideways step (``FAMILY_COST``). Not to or
    from a job whose level the document prints (its ladder orders it), nor across referentials,
    nor to or from the family's head (``_head``): heading a column is not a sideways move."""
    me = facts.jobs[job]
    if me.level is not None or not me.families:
        return []
    steps: list[Step] = []
    for fam in sorted(me.families):
        mates = [o for o in facts.family_members(me.referential, fam)
                 if facts.jobs[o].level is None]
        head = _head(facts, mates)
        if job == head:
            continue
        for other in mates:
            if other not in (job, head) and all(s.target != other for s in steps):
                steps.append(Step(job, other, "proximity", f"family:{fam}"))
    return steps


def _head(facts: Facts, jobs: list[str]) -> str | None:
    """The member of a family that heads it: the one whose national level starts above every
    other member's of known level (the nomenclature's director row); None when no member does or
    fewer than two members' levels are known."""
    known = [(r.low, j) for j in jobs if (r := facts.jobs[j].national) is not None]
    if len(known) < 2:
        return None
    known.sort(reverse=True)
    return known[0][1] if known[0][0] > known[1][0] else None


def _above_entry(facts: Facts, source: str, job: str, fiche: str) -> bool:
    """Whether a ROME move from ``source`` through ``fiche`` enters ``job``'s ladder below
    ``job``: the rung just below ``job`` on its referential's ladder is linked to the same fiche
    and is not below ``source``'s national level. The move then lands on that rung, and the
    ladder climbs to ``job`` (a move between two fiches names the occupation, not its grade)."""
    me = facts.jobs[source]
    if me.national is None:  # nothing tells which rung it enters: every rung stays open
        return False
    for lower in facts.by_fiche.get(fiche, ()):
        if lower in (job, source) or lower not in facts.jobs:
            continue
        if not any(b == job for b, _ in facts.progressions.get(lower, ())):
            continue
        low = facts.jobs[lower]
        if low.referential != facts.jobs[job].referential:
            continue
        if low.national is None or low.national.high >= me.national.low:
            return True
    return False


def _vague(facts: Facts, job: str, fiche: str, weight: float) -> float:
    """What a ROME move to ``job`` through ``fiche`` costs more than its kind: the move is
    between two fiches, and it names ``job`` only as far as the fiche does. A fiche covering
    several posts of ``job``'s referential does not single it out (``MOBILITY_CROWD`` a post
    more), and a weak link of either job to its fiche makes it less that fiche's occupation
    (``MOBILITY_WEAK`` × (1 − the product of the two links' weights))."""
    n = crowd(facts, fiche, facts.jobs[job].referential)
    w = max((link.weight for link in facts.jobs[job].links if link.fiche == fiche), default=0.4)
    return round(MOBILITY_CROWD * max(0, n - 1) + MOBILITY_WEAK * (1.0 - w * weight), 3)


MAX_TIED = 250  # paths listed at most to order the ones of equal cost
SLACK = 2.0  # how far past the cheapest path's cost the search looks, and then again


def shortest_paths(steps: Iterable[Step] | Graph, source: str, target: str, *,
                   limit: int = MAX_PATHS,
                   allowed: Callable[[str], bool] | None = None) -> list[CareerPath]:
    """The ``limit`` cheapest paths from ``source`` to ``target`` through jobs ``allowed``
    accepts, best first (ties broken by the jobs passed through). An empty list means no path; a
    path of no step means ``source == target``.

    The jobs are visited cheapest first (Dijkstra), each one's steps made when it is reached, and
    only as far as the cheapest path's cost and ``SLACK`` beyond (then again, until ``limit`` × 3
    paths are found or every reachable job is visited): every path no dearer than that bound
    goes through visited jobs alone, so Yen's algorithm on the visited part finds the same
    cheapest paths as on the whole graph, and a graph read a part at a time (``careers.reader``)
    reads the jobs around the two ends rather than every job they can reach.
    """
    import heapq
    import math

    import igraph

    graph = steps if isinstance(steps, Graph) else Graph.of(steps)
    if source == target:
        return [CareerPath(())]
    ok = allowed or (lambda job: True)
    index: dict[str, int] = {source: 0}  # the visited part's jobs, numbered for igraph
    edges: list[tuple[int, int]] = []
    weights: list[float] = []
    taken: list[Step] = []  # the step each edge stands for
    dist: dict[str, float] = {source: 0.0}
    heap: list[tuple[float, str]] = [(0.0, source)]
    visited: set[str] = set()
    bound = math.inf
    while True:
        while heap and heap[0][0] <= bound:
            d, node = heapq.heappop(heap)
            if node in visited:
                continue
            visited.add(node)
            if node == target:  # a path ends there: the target's own steps are not taken
                bound = d + SLACK
                continue
            for nxt, step, w in graph.weighted(node):
                if nxt != target and not ok(nxt):
                    continue
                edges.append((index[node], index.setdefault(nxt, len(index))))
                weights.append(w)
                taken.append(step)
                if d + w < dist.get(nxt, math.inf):
                    dist[nxt] = d + w
                    heapq.heappush(heap, (d + w, nxt))
        if target not in visited:
            return []
        everything = not heap
        g = igraph.Graph(n=len(index), edges=edges, directed=True)
        found = _cheapest(g, index[target], limit=limit, weights=weights, steps=taken,
                          bound=math.inf if everything else bound)
        if everything or len(found) >= limit * 3:
            break
        bound += SLACK
    found.sort(key=lambda p: (p.cost, p.jobs()))
    return found[:limit]


def _cheapest(g: igraph.Graph, target: int, *, limit: int, weights: list[float],
              steps: list[Step], bound: float) -> list[CareerPath]:
    """At least ``limit`` × 3 of the cheapest loopless paths from job 0 to ``target`` no dearer
    than ``bound`` (Yen's algorithm, in igraph's C), and every path as cheap as the
    ``limit``-th: among paths of equal cost the answer does not depend on which ones the
    algorithm happened to list first (they are then ordered by the jobs they pass through)."""
    k = limit * 3
    while True:
        found, dear = [], []
        for epath in g.get_k_shortest_paths(0, target, k=k, mode="out", weights=weights,
                                            output="epath"):
            weight = sum(weights[e] for e in epath)
            if weight > bound + 1e-9:
                break
            found.append(CareerPath(tuple(steps[e] for e in epath)))
            dear.append(weight)
        if len(found) < k or k >= MAX_TIED or dear[-1] > dear[limit - 1] + 1e-9:
            return found
        k *= 3


def _weight(graph: Graph, step: Step) -> float:
    extra = 0.0
    if graph.facts is not None:
        a, b = graph.facts.jobs.get(step.source), graph.facts.jobs.get(step.target)
        if a is not None and b is not None and (a.national is None or b.national is None):
            extra = UNKNOWN_LEVEL
    return step.cost + extra


@dataclass(frozen=True)
class Job:
    """What a path shows of a job."""

    iri: str
    label: str
    referential: str = ""
    level: str | None = None
    national: str | None = None  # "4", "2–3"; None when unknown

    @property
    def short(self) -> str:
        return short_id(self.iri)


@dataclass
class PathAnswer:
    """The answer to "how to go from A to B": the best paths, the jobs they pass through, the
    graph of steps (to tell what else links two jobs of a path) and how the search was bounded."""

    source: str
    target: str
    paths: list[CareerPath]
    jobs: dict[str, Job]
    graph: Graph
    scope: str = "all"  # "referential", "two-referentials" or "all"


def job_info(facts: Facts, jobs: Iterable[str]) -> dict[str, Job]:
    out = {}
    for j in jobs:
        f = facts.jobs.get(j)
        if f is not None:
            out[j] = Job(j, f.label, f.referential, f.level,
                         str(f.national) if f.national is not None else None)
    return out


def find_paths(backend: Backend, source: str, target: str, *, lang: str = "fr",
               limit: int = MAX_PATHS, facts: Facts | None = None,
               titles: TitleIndex | None = None, graph: Graph | None = None) -> PathAnswer:
    """The best paths from the job ``source`` to the job ``target`` (IRIs), with their jobs.
    ``graph``: a graph of steps kept from an earlier question on the same data (it remembers the
    steps it has made), with its facts; ``facts``: every job's facts, read whole. Without either,
    the facts are read a part at a time (``careers.reader``): the two jobs' referentials first,
    then, only when no path stays inside them, the jobs around each job the search reaches."""
    if graph is not None and graph.facts is not None:
        facts = graph.facts
        titles = titles or graph.titles  # made with the graph: not again at each question
    if facts is None and graph is None:
        return _find_reading(backend, source, target, lang=lang, limit=limit)
    facts = facts or load_facts(backend, lang)
    titles = titles or TitleIndex(facts)
    graph = graph or Graph.from_facts(facts, titles, lang)
    scopes = _scopes(facts, source, target)
    paths: list[CareerPath] = []
    scope = "all"
    for name, allowed in scopes:
        paths, scope = shortest_paths(graph, source, target, limit=limit, allowed=allowed), name
        if paths:
            break
    return _answer(facts, graph, source, target, paths, scope, lang)


def _scopes(facts: Facts, source: str, target: str
            ) -> list[tuple[str, Callable[[str], bool]]]:
    """Where to look for paths, in turn: inside the two jobs' referentials, then anywhere; never
    climbing past the target on its own ladder to come back down, nor below the source on its."""
    beside = _ladder(facts, target, up=True) | _ladder(facts, source, up=False)

    def anywhere(j: str) -> bool:
        return j not in beside

    scopes: list[tuple[str, Callable[[str], bool]]] = []
    a, b = facts.jobs.get(source), facts.jobs.get(target)
    if a is not None and b is not None:
        refs = {a.referential, b.referential}
        scopes.append(("referential" if len(refs) == 1 else "two-referentials",
                       lambda j: anywhere(j) and j in facts.jobs
                       and facts.jobs[j].referential in refs))
    scopes.append(("all", anywhere))
    return scopes


def _answer(facts: Facts, graph: Graph, source: str, target: str, paths: list[CareerPath],
            scope: str, lang: str) -> PathAnswer:
    paths = [CareerPath(tuple(explained(s, facts, lang) for s in p.steps)) for p in paths]
    info = job_info(facts, {source, target, *(j for p in paths for j in p.jobs())})
    return PathAnswer(source, target, paths, info, graph, scope)


def _find_reading(backend: Backend, source: str, target: str, *, lang: str,
                  limit: int) -> PathAnswer:
    """``find_paths`` over facts read a part at a time: the same paths as over every job's
    facts (the steps from a job depend on that job and the one it leads to alone)."""
    from .careers.reader import Reader

    reader = Reader(backend, lang)
    reader.jobs([source, target])
    facts = reader.facts
    a, b = facts.jobs.get(source), facts.jobs.get(target)
    if a is not None and b is not None:
        # the scope's jobs, and the two ladders the search must not climb past
        reader.for_scope({a.referential, b.referential})
    scopes = _scopes(facts, source, target)
    paths: list[CareerPath] = []
    scope = "all"
    graph = Graph.from_facts(facts, reader.titles, lang)
    for name, allowed in scopes:
        if name == "all":
            # anywhere: the steps from each job the search reaches are read when it gets there
            graph = Graph(facts=facts, titles=reader.titles, lang=lang,
                          expand=reader.for_steps_from)
        paths, scope = shortest_paths(graph, source, target, limit=limit, allowed=allowed), name
        if paths:
            break
    return _answer(facts, graph, source, target, paths, scope, lang)


def _ladder(facts: Facts, job: str, *, up: bool) -> set[str]:
    """The jobs above ``job`` on its referential's ladders (``up``), or below it."""
    edges: dict[str, set[str]] = {}
    for a, targets in facts.progressions.items():
        for b, _ in targets:
            if up:
                edges.setdefault(a, set()).add(b)
            else:
                edges.setdefault(b, set()).add(a)
    found: set[str] = set()
    todo = [job]
    while todo:
        for n in edges.get(todo.pop(), ()):
            if n not in found and n != job:
                found.add(n)
                todo.append(n)
    return found


_WHY = {
    "fr": {("progression", "explicit"): "progression imprimée par le document",
           ("progression", "ladder"): "échelon suivant de l'échelle du référentiel",
           ("proximity", ""): "emploi voisin nommé par le document",
           ("proximity", "family"): "métier de la même famille du document ({family}), "
                                    "aucun niveau imprimé pour l'un ni l'autre",
           ("mobility", "upwardTo"): "évolution ROME {route}",
           ("mobility", "sidewaysTo"): "mobilité ROME proche {route}",
           ("mobility", "mobilityTo"): "mobilité ROME {route}",
           "crowd": "fiche {code} de {n} postes de {ref}",
           "weak": "lien {relation} à {code}",
           "level": "niveau national {a} → {b}"},
    "en": {("progression", "explicit"): "progression printed by the document",
           ("progression", "ladder"): "next rung of the referential's ladder",
           ("proximity", ""): "neighbouring job named by the document",
           ("proximity", "family"): "métier of the same family of the document ({family}), "
                                    "no level printed for either",
           ("mobility", "upwardTo"): "ROME évolution {route}",
           ("mobility", "sidewaysTo"): "ROME proche {route}",
           ("mobility", "mobilityTo"): "ROME mobility {route}",
           "crowd": "fiche {code} of {n} posts of {ref}",
           "weak": "{relation} link to {code}",
           "level": "national level {a} → {b}"},
}


def explained(step: Step, facts: Facts, lang: str = "fr") -> Step:
    """The step with its reason in words (an equivalence has its own already)."""
    if step.why:
        return step
    w = _WHY[lang]
    reason = w.get((step.kind, step.detail), step.kind)
    assert isinstance(reason, str)
    a, b = facts.jobs.get(step.source), facts.jobs.get(step.target)
    text = reason.format(route=step.evidence.split(" ", 1)[0],
                         family=step.evidence.partition(":")[2])
    if step.kind == "mobility" and b is not None:
        text += _vagueness(step, facts, b, w)
    if a is not None and b is not None:
        text += ", " + w["level"].format(a=range_text(a.national, lang),
                                         b=range_text(b.national, lang))
    return replace(step, why=text)


def _vagueness(step: Step, facts: Facts, target: JobFacts, w: dict[Any, str]) -> str:
    """Why a ROME move costs more, in words: the fiche it reaches covers several posts of the
    target's referential, or the target is only loosely that fiche's occupation."""
    code = step.evidence.split(" ", 1)[0].rpartition(">")[2]
    link = next((x for x in target.links if x.fiche in facts.fiches
                 and facts.fiches[x.fiche].code == code), None)
    if link is None:
        return ""
    text = ""
    n = crowd(facts, link.fiche, target.referential)
    if n > 1:
        text += ", " + w["crowd"].format(code=code, n=n, ref=target.referential)
    if link.weight < 0.8:
        text += ", " + w["weak"].format(code=code, relation=link.relation)
    return text


def load_graph(backend: Backend, lang: str = "fr") -> Graph:
    """The graph of career steps of everything ``backend`` holds."""
    facts = load_facts(backend, lang)
    return Graph.from_facts(facts, TitleIndex(facts), lang)


def load_steps(backend: Backend) -> list[Step]:
    """Every allowed step between two jobs (for small graphs: they grow with pairs of jobs)."""
    graph = load_graph(backend)
    assert graph.facts is not None
    return sorted((s for job in sorted(graph.facts.jobs) for s in graph.out(job).values()),
                  key=lambda s: (s.source, s.kind, s.target, s.evidence))


__all__ = ["COST", "KINDS", "MAX_PATHS", "CareerPath", "Graph", "Job", "PathAnswer", "Step",
           "find_paths", "job_info", "load_graph", "load_steps", "shortest_paths"]
