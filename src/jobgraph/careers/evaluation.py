"""Scores the career answers on the judged sets of ``evaluation/`` (how each figure is computed:
evaluation/README.md), on the development and held-out cases separately; fits the equivalence
model on the development cases."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError
from ..namespaces import iri
from ..terms import display
from .equivalence import FEATURES, TitleIndex, candidates, equivalents, score
from .facts import Facts
from .gaps import GapAnswer

SPLITS = ("dev", "test")
SETS = ("equivalents", "paths", "next-steps", "competence-gaps")
# a second counsellor's blind judgement of some cases of equivalents.yaml (evaluation/README.md)
SECOND_JUDGE = "second-judge"


def job_iri(short: str) -> str:
    """``cci-2015/juriste`` as the job's IRI."""
    ref, ident = short.split("/", 1)
    return str(iri(ref, "job", ident))


def load_set(directory: Path, name: str) -> list[dict[str, Any]]:
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise UsageError(f"{path}: no such evaluation set (the repository's evaluation/ folder)")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        raise UsageError(f"{path}: expected a mapping with a 'cases' list")
    return cases


@dataclass
class Figure:
    """One figure on one split: its value and the number of cases it is the mean of."""

    name: str
    split: str
    value: float
    cases: int

    def text(self) -> str:
        return f"{self.name} {self.value:.2f} ({self.split}, {self.cases} cases)"


@dataclass
class Evaluation:
    """The figures of one set, with the cases that failed (to read)."""

    set: str
    figures: list[Figure] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, name: str, per_case: dict[str, list[float]]) -> None:
        for split in SPLITS:
            values = per_case.get(split, [])
            if values:
                self.figures.append(Figure(name, split, sum(values) / len(values), len(values)))


def _by_split(cases: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for c in cases:
        out.setdefault(str(c.get("split", "dev")), []).append(c)
    return out


def _first_jobs(jobs: list[str], own: str, k: int = 5) -> list[str]:
    out: list[str] = []
    for j in jobs:
        if j not in out:
            out.append(j)
        if len(out) == k:
            break
    return out


def _in_order(case: dict[str, Any], key: str) -> list[str]:
    """The IRIs of the jobs a case lists under ``key``, in its order (``{job: …, reason: …}``
    or a bare ``<referential>/<id>``)."""
    return [job_iri(x["job"] if isinstance(x, dict) else str(x)) for x in case.get(key) or []]


def _listed(case: dict[str, Any], key: str) -> set[str]:
    return set(_in_order(case, key))


def _as_answer(case: dict[str, Any]) -> list[str]:
    """A judge's list read as an answer: its equivalents, then its related jobs."""
    return list(dict.fromkeys(_in_order(case, "equivalents") + _in_order(case, "related")))


def _unlisted(jobs: list[str], listed: set[str]) -> list[str]:
    """The ids of ``jobs`` a judge does not list (noise), in their order."""
    return [j.rsplit("/", 1)[-1] for j in jobs if j not in listed]


def precision_at_5(top: list[str], good: set[str], near: set[str], job: str = "") -> float:
    """The share of the first five jobs ``top`` that a judge lists (equivalent ``good`` or
    related ``near``); an empty answer scores 1 when the judge lists nothing, 0 otherwise, and an
    answer where the judge lists nothing scores 0."""
    top = _first_jobs(top, job)
    if not top:
        return 1.0 if not good and not near else 0.0
    if not good and not near:
        return 0.0
    return sum(1 for j in top if j in good | near and j != job) / len(top)


def second_judge(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> Evaluation:
    """How far two judges agree on the cases they both judged (``second`` names jobs of
    ``first``): each judge's list (equivalents, then related) scored as an answer against the
    other's, and the share of cases both judge empty or both not; by the split of the case in
    ``first``. The ceiling a counsellor's eye sets for Precision@5."""
    ev = Evaluation("equivalents, second judge")
    by_job = {c["job"]: c for c in first}
    theirs: dict[str, list[float]] = {}
    ours: dict[str, list[float]] = {}
    empty: dict[str, list[float]] = {}
    for other in second:
        case = by_job.get(other["job"])
        if case is None:
            ev.failures.append(f"{other['job']}: not a case of the set")
            continue
        split = str(case.get("split", "dev"))
        job = job_iri(case["job"])
        mine, its = _as_answer(case), _as_answer(other)
        p_second = precision_at_5(its, _listed(case, "equivalents"), _listed(case, "related"),
                                  job)
        theirs.setdefault(split, []).append(p_second)
        ours.setdefault(split, []).append(precision_at_5(
            mine, _listed(other, "equivalents"), _listed(other, "related"), job))
        empty.setdefault(split, []).append(1.0 if (not mine) == (not its) else 0.0)
        if p_second < 1.0:
            ev.failures.append(f"[{split}] {case['job']}: second judge's P@5 {p_second:.2f}; "
                               f"not in the set {_unlisted(its, set(mine))}")
    ev.add("second judge's lists, Precision@5 against the set", theirs)
    ev.add("the set's lists, Precision@5 against the second judge", ours)
    ev.add("empty or not, agreed", empty)
    return ev


def evaluate_equivalents(facts: Facts, titles: TitleIndex, cases: list[dict[str, Any]], *,
                         threshold: float | None = None) -> Evaluation:
    ev = Evaluation("equivalents")
    precision: dict[str, list[float]] = {}
    hit: dict[str, list[float]] = {}
    empty: dict[str, list[float]] = {}
    for split, group in _by_split(cases).items():
        for case in group:
            job = job_iri(case["job"])
            if job not in facts.jobs:
                ev.failures.append(f"{case['job']}: not in the graph")
                continue
            rows = [r.job.iri for r in
                    equivalents(facts, titles, job, threshold=threshold).shown]
            top = _first_jobs(rows, job)
            good, near = _listed(case, "equivalents"), _listed(case, "related")
            p = precision_at_5(top, good, near, job)
            precision.setdefault(split, []).append(p)
            if good:
                hit.setdefault(split, []).append(1.0 if set(top) & good else 0.0)
            if not good and not near:
                empty.setdefault(split, []).append(p)
            if p < 1.0:
                missed = sorted(x.rsplit("/", 1)[-1] for x in good - set(top))
                ev.failures.append(f"[{split}] {case['job']}: P@5 {p:.2f}; noise "
                                   f"{_unlisted(top, good | near)}; missed {missed}")
    ev.add("Precision@5", precision)
    ev.add("Hit@5", hit)
    ev.add("empty-case score", empty)
    return ev


PathFinder = Callable[[str, str], list[list[str]]]


def evaluate_paths(find: PathFinder, cases: list[dict[str, Any]]) -> Evaluation:
    ev = Evaluation("paths")
    credible: dict[str, list[float]] = {}
    exact: dict[str, list[float]] = {}
    for split, group in _by_split(cases).items():
        for case in group:
            a, b = job_iri(case["from"]), job_iri(case["to"])
            found = find(a, b)
            expected = [job_iri(x) for x in case.get("expected") or []]
            allowed = set(expected) | {job_iri(x) for x in case.get("allowed") or []}
            path = found[0] if found else []
            ok = bool(path) and all(j in allowed for j in path[1:-1]) and \
                len(path) - 1 <= int(case.get("max_steps", 99))
            credible.setdefault(split, []).append(1.0 if ok else 0.0)
            exact.setdefault(split, []).append(1.0 if path == expected else 0.0)
            if not ok:
                shown = " > ".join(j.rsplit("/", 1)[-1] for j in path) or "no path"
                ev.failures.append(f"[{split}] {case['from']} -> {case['to']}: {shown}")
    ev.add("credible share", credible)
    ev.add("exact share", exact)
    return ev


StepsFinder = Callable[[str], list[str]]


def evaluate_next_steps(find: StepsFinder, cases: list[dict[str, Any]]) -> Evaluation:
    ev = Evaluation("next-steps")
    useful: dict[str, list[float]] = {}
    first: dict[str, list[float]] = {}
    for split, group in _by_split(cases).items():
        for case in group:
            job = job_iri(case["job"])
            top = _first_jobs(find(job), job)
            expected = [job_iri(x) for x in case.get("expected") or []]
            forbidden = {job_iri(x) for x in case.get("forbidden") or []}
            ok = bool(set(top) & set(expected)) and not set(top) & forbidden
            useful.setdefault(split, []).append(1.0 if ok else 0.0)
            first.setdefault(split, []).append(1.0 if top[:1] == expected[:1] else 0.0)
            if not ok:
                ev.failures.append(f"[{split}] {case['job']}: top 5 "
                                   f"{[j.rsplit('/', 1)[-1] for j in top]}")
    ev.add("useful share", useful)
    ev.add("first-job share", first)
    return ev


GapFinder = Callable[[str, str], GapAnswer]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def gap_items(answer: GapAnswer) -> list[str]:
    """The answer's gap items in its order, as the judged set names them: ``<ref>/<id>`` for a
    referential's competence, the label for a ROME item."""
    out = [display(g.competence.iri).replace("/competence/", "/", 1) for g in answer.own]
    for group in answer.groups:
        out += [_nfc(gap.item.label) for gap in group.gaps]
    return out


def evaluate_gaps(find: GapFinder, cases: list[dict[str, Any]]) -> Evaluation:
    ev = Evaluation("competence-gaps")
    recall: dict[str, list[float]] = {}
    passed: dict[str, list[float]] = {}
    certs: dict[str, list[float]] = {}
    false_gaps = 0
    for split, group in _by_split(cases).items():
        for case in group:
            answer = find(job_iri(case["from"]), job_iri(case["to"]))
            items = gap_items(answer)
            expected = [_nfc(str(x)) for x in case.get("expected_top") or []]
            not_gaps = {_nfc(str(x)) for x in case.get("not_gaps") or []}
            top = set(items[:10])
            r = sum(1 for x in expected if x in top) / len(expected) if expected else 1.0
            wrong = not_gaps & set(items)
            false_gaps += len(wrong)
            recall.setdefault(split, []).append(r)
            passed.setdefault(split, []).append(1.0 if r >= 0.5 and not wrong else 0.0)
            named = {c.iri.rsplit("/", 1)[-1] for c, _ in answer.certifications}
            want = {str(x).rsplit("/", 1)[-1] for x in case.get("certifications") or []}
            certs.setdefault(split, []).append(1.0 if named == want else 0.0)
            if r < 0.5 or wrong:
                ev.failures.append(f"[{split}] {case['from']} -> {case['to']}: recall {r:.2f}, "
                                   f"false gaps {sorted(wrong)}, first {items[:5]}")
    ev.add("Recall@10", recall)
    ev.add("pass share", passed)
    ev.add("certifications right", certs)
    ev.figures.append(Figure("false gaps (total)", "all", float(false_gaps), len(cases)))
    return ev


# --- fitting the equivalence model ---------------------------------------------------------------

@dataclass
class Fit:
    """A logistic model fitted on the judged pairs of the development cases."""

    weights: dict[str, float]
    intercept: float
    threshold: float
    pairs: int
    positives: int
    table: list[tuple[float, float, float]]  # threshold, dev Precision@5, dev Hit@5


def labelled_pairs(facts: Facts, titles: TitleIndex, cases: list[dict[str, Any]]
                   ) -> tuple[list[list[float]], list[int]]:
    """Every candidate pair of the cases' jobs: its features and 1 when the judges listed it
    (equivalent or related), 0 otherwise."""
    xs: list[list[float]] = []
    ys: list[int] = []
    for case in cases:
        job = job_iri(case["job"])
        if job not in facts.jobs:
            continue
        listed = {job_iri(x["job"]) for key in ("equivalents", "related")
                  for x in case.get(key) or []}
        for p in candidates(facts, titles, job):
            f = p.features()
            xs.append([f[k] for k in FEATURES])
            ys.append(1 if p.other in listed else 0)
    return xs, ys


def fit_equivalence(facts: Facts, titles: TitleIndex, cases: list[dict[str, Any]]) -> Fit:
    """Logistic regression (scikit-learn, L2) on the dev cases' candidate pairs; the threshold
    is the lowest score whose dev Precision@5 is the best (ties: the highest Hit@5)."""
    from sklearn.linear_model import LogisticRegression

    dev = [c for c in cases if c.get("split") == "dev"]
    xs, ys = labelled_pairs(facts, titles, dev)
    if not xs or len(set(ys)) < 2:
        raise UsageError("the development cases give no positive and negative pairs to fit on")
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(xs, ys)
    weights = {k: round(float(w), 3) for k, w in zip(FEATURES, model.coef_[0], strict=True)}
    intercept = round(float(model.intercept_[0]), 3)
    table = []
    for t in [x / 20 for x in range(2, 19)]:
        ev = _with_model(facts, titles, dev, weights, intercept, t)
        p = next(f.value for f in ev.figures if f.name == "Precision@5" and f.split == "dev")
        h = next((f.value for f in ev.figures if f.name == "Hit@5" and f.split == "dev"), 0.0)
        table.append((t, round(p, 3), round(h, 3)))
    best = max(table, key=lambda r: (r[1], r[2], -r[0]))
    return Fit(weights, intercept, best[0], len(xs), sum(ys), table)


def _with_model(facts: Facts, titles: TitleIndex, cases: list[dict[str, Any]],
                weights: dict[str, float], intercept: float, threshold: float) -> Evaluation:
    from . import equivalence

    saved = equivalence.WEIGHTS, equivalence.INTERCEPT
    equivalence.WEIGHTS, equivalence.INTERCEPT = weights, intercept
    try:
        return evaluate_equivalents(facts, titles, cases, threshold=threshold)
    finally:
        equivalence.WEIGHTS, equivalence.INTERCEPT = saved


__all__ = ["SETS", "Evaluation", "Figure", "Fit", "evaluate_equivalents", "evaluate_gaps",
           "evaluate_next_steps", "evaluate_paths", "fit_equivalence", "gap_items", "job_iri",
           "labelled_pairs", "load_set", "score"]
