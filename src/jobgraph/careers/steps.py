"""Next steps up from a job: its referential's own progressions and ladder first, then ROME moves
to jobs of the same referential, then jobs of other referentials; one row per job."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..names import fold
from .equivalence import EquivalentsAnswer, TitleIndex, equivalents
from .facts import Facts, JobFacts, range_text

MAX_STEPS = 6
# ROME moves, best first: ROME v3 "évolution" is a move up, ROME 4 mobility has no direction
MOVE_ORDER = {"upwardTo": 0, "mobilityTo": 1, "sidewaysTo": 2}
# the kinds of row, in the order they are shown
KINDS = ("progression", "ladder", "rome-upward", "rome-mobility", "equivalent-step",
         "other-rome-upward", "other-rome-mobility")


@dataclass
class NextStep:
    """A job one or more steps up, how it is reached and why it is shown."""

    job: JobFacts
    kind: str
    steps: int
    via: str  # the route: "M1601>M1602", or the job a progression of the equivalent starts from
    why: str


_WORDS = {
    "fr": {"progression": "progression imprimée par le document", "ladder":
           "échelon suivant de l'échelle du référentiel", "steps": "en {n} étapes",
           "rome-upward": "évolution ROME {route}", "rome-mobility": "mobilité ROME {route}",
           "equivalent-step": "étape suivante de {label}, emploi équivalent ({ref})",
           "level": "niveau national {a} → {b}", "grade": "niveau {a} → {b}"},
    "en": {"progression": "progression printed by the document", "ladder":
           "next rung of the referential's ladder", "steps": "in {n} steps",
           "rome-upward": "ROME évolution {route}", "rome-mobility": "ROME mobility {route}",
           "equivalent-step": "next step of {label}, an equivalent job ({ref})",
           "level": "national level {a} → {b}", "grade": "level {a} → {b}"},
}


MAX_UP = 2  # national levels a next step may climb at once (a counsellor's "next" step)
STRONG_LINK = 0.8  # a job is a fiche's occupation when linked by exactMatch or closeMatch
# a ROME move is a next step only when the two jobs' fiches share this much of their items
# (Jaccard): the share of skills that carry over, as career-transition studies weigh a move's
# viability by the similarity of the skills of the two occupations (Nesta, "Mapping Career
# Causeways", 2020)
MIN_OVERLAP = 0.05


def _up(a: JobFacts, b: JobFacts) -> bool | None:
    """Whether ``b`` is a step up (or level) from ``a`` and not more than MAX_UP national levels
    above: by their ranks in one scale, else their national ranges; None when it cannot be told."""
    if a.national is not None and b.national is not None and \
            b.national.low - a.national.high > MAX_UP:
        return False
    if a.referential == b.referential and a.level_rank is not None and b.level_rank is not None:
        return b.level_rank >= a.level_rank
    if a.national is not None and b.national is not None:
        return b.national.high >= a.national.high  # ranges: its top is not lower
    return None


def _below(facts: Facts, job: str) -> set[str]:
    """The jobs from which ``job`` is reached by progressions: lower rungs of its ladders."""
    up: dict[str, set[str]] = {}
    for a, targets in facts.progressions.items():
        for b, _ in targets:
            up.setdefault(b, set()).add(a)
    found: set[str] = set()
    todo = [job]
    while todo:
        for a in up.get(todo.pop(), ()):
            if a not in found:
                found.add(a)
                todo.append(a)
    return found


def next_steps(facts: Facts, titles: TitleIndex, job: str, *, max_steps: int = 3,
               lang: str = "fr", equivalent: EquivalentsAnswer | None = None) -> list[NextStep]:
    """The next steps up from ``job``, best first (see the module's docstring).
    ``equivalent``: ``job``'s equivalents when already computed (in ``lang``)."""
    me = facts.jobs[job]
    w = _WORDS[lang]
    seen = {job} | _below(facts, job)
    # a post printed twice (photography's Cadres section repeats services généraux posts): the
    # same label at the same level in one referential
    own_key = (me.referential, fold(me.label), me.level)
    shown_keys: set[tuple[str, str, str | None]] = {own_key}
    out: list[NextStep] = []

    def add(other: str, kind: str, steps: int, via: str, reason: str) -> None:
        o = facts.jobs.get(other)
        if o is None or other in seen:
            return
        key = (o.referential, fold(o.label), o.level)
        if key in shown_keys:
            seen.add(other)
            return
        seen.add(other)
        shown_keys.add(key)
        level = w["level"].format(a=range_text(me.national, lang), b=range_text(o.national, lang))
        out.append(NextStep(o, kind, steps, via, f"{reason}, {level}"))

    # 1. the referential's own progressions, breadth first (fewest steps first)
    limit = min(max_steps, MAX_STEPS)
    queue = deque([(job, 0)])
    reached: dict[str, int] = {job: 0}
    while queue:
        node, depth = queue.popleft()
        if depth >= limit:
            continue
        for target, basis in facts.progressions.get(node, []):
            if target in reached:
                continue
            reached[target] = depth + 1
            queue.append((target, depth + 1))
            kind = "progression" if basis == "explicit" else "ladder"
            reason = w[kind] + ("" if depth == 0 else " " + w["steps"].format(n=depth + 1))
            add(target, kind, depth + 1, "", reason)

    # 2. ROME moves from the job's fiches: first to jobs of its referential, then to the others
    moves: list[tuple[int, int, str, str, str]] = []  # (other referential?, order, route, …)
    for link in me.links:
        for to, kind in facts.mobility.get(link.fiche, []):
            for other in sorted(facts.by_fiche.get(to, ())):
                o = facts.jobs[other]
                if _up(me, o) is False or MOVE_ORDER.get(kind, 9) > 1:
                    continue
                # in another referential, only a job that is the fiche's occupation: one linked
                # to it loosely (broad, narrow, related) is not where the move leads
                strength = max((x.weight for x in o.links if x.fiche == to), default=0.0)
                if o.referential != me.referential and strength < STRONG_LINK:
                    continue
                if _overlap(facts, job, other) < MIN_OVERLAP:
                    continue
                route = f"{_code(facts, link.fiche)}>{_code(facts, to)}"
                elsewhere = 0 if o.referential == me.referential else 1
                moves.append((elsewhere, MOVE_ORDER[kind], route, other, kind))
    for elsewhere, _, route, other, kind in sorted(moves, key=lambda m: (m[0], m[1],
                                                                          facts.jobs[m[3]].label)):
        if elsewhere:
            continue
        name = "rome-upward" if kind == "upwardTo" else "rome-mobility"
        add(other, name, 1, route, w[name].format(route=route))

    # 3. other referentials: the next steps of an equivalent job, then ROME moves
    for eq in (equivalent or equivalents(facts, titles, job, lang=lang)).rows:
        for target, _ in facts.progressions.get(eq.job.iri, []):
            t = facts.jobs.get(target)
            if t is not None and _up(me, t) is not False:
                add(target, "equivalent-step", 2, eq.job.short,
                    w["equivalent-step"].format(label=eq.job.label, ref=eq.job.referential))
    for elsewhere, _, route, other, kind in sorted(moves, key=lambda m: (
            m[0], m[1], _unknown(facts, me, m[3]), facts.jobs[m[3]].label)):
        if not elsewhere:
            continue
        name = "other-rome-upward" if kind == "upwardTo" else "other-rome-mobility"
        add(other, name, 1, route, w[name.removeprefix("other-")].format(route=route))
    return out


def _overlap(facts: Facts, a: str, b: str) -> float:
    mine, theirs = facts.items_of(a), facts.items_of(b)
    union = len(mine | theirs)
    return len(mine & theirs) / union if union else 0.0


def _code(facts: Facts, fiche: str) -> str:
    f = facts.fiches.get(fiche)
    return f.code if f is not None else fiche.rsplit("/", 1)[-1]


def _unknown(facts: Facts, me: JobFacts, other: str) -> int:
    """1 when the other job's level cannot be compared (shown after the comparable ones)."""
    return 1 if _up(me, facts.jobs[other]) is None else 0


__all__ = ["KINDS", "NextStep", "next_steps"]
