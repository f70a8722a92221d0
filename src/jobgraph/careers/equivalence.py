"""Equivalent jobs: the jobs of other referentials that are the same occupation, scored, explained.

Each candidate pair (a job, a job of another referential) is described by a few features: the
ROME evidence (a shared fiche, fiches an ESCO occupation joins, a shared domaine, each weighted by
the strength of both links), the similarity of the titles, the overlap of the ROME items of their
fiches, the distance of their national levels (unknown is its own feature, never 0) and the
sector. A logistic model turns them into a score between 0 and 1; its weights and the threshold
below which no equivalent is shown were fitted on the development half of the judged set
(evaluation/equivalents.yaml) and are written here with their figures (docs/answers.md); the
held-out half measures them. When nothing reaches the threshold, the nearest related job of a
comparable level is shown as such (``nearest_related``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .facts import Facts, JobFacts, NationalRange, range_text, title_key

FEATURES = ("fiche", "esco", "domain", "title", "overlap", "level_gap", "level_unknown",
            "same_sector")

# Fitted by `jobgraph evaluate --fit` on the dev cases of evaluation/equivalents.yaml
# (docs/answers.md gives the run): logistic weights, intercept, and the threshold on the score.
WEIGHTS: dict[str, float] = {"fiche": 1.997, "esco": 2.341, "domain": 1.707, "title": 1.631,
                             "overlap": 2.906, "level_gap": -1.01, "level_unknown": -0.711,
                             "same_sector": 0.0}
INTERCEPT = -2.52
THRESHOLD = 0.4
TITLE_CANDIDATE = 0.35  # a title this similar makes a candidate even with no ROME evidence
PAIR_OF_POSTS = 2  # a fiche of this many posts names them together as the nearest related jobs


@dataclass
class Pair:
    """The evidence that ``other`` is the same occupation as ``job``."""

    job: str
    other: str
    fiches: list[tuple[str, float]] = field(default_factory=list)  # shared fiche, strength
    esco: list[tuple[str, str, str, float]] = field(default_factory=list)  # f1, f2, esco, strength
    domains: list[tuple[str, float]] = field(default_factory=list)
    title: float = 0.0
    shared_items: int = 0
    overlap: float = 0.0
    level_gap: int | None = None
    same_sector: bool = False
    crowd: int = 0  # posts of ``crowd_of`` on the best shared fiche (0: none shared)
    crowd_of: str = ""  # the referential counted: ``other``'s (its answer: ``job``'s)

    def best_fiche(self) -> str | None:
        """The shared fiche with the strongest links (the evidence ``fiche`` measures)."""
        return max(self.fiches, key=lambda x: (x[1], x[0]))[0] if self.fiches else None

    def features(self) -> dict[str, float]:
        # a fiche covering several posts of the other referential is evidence shared among them:
        # it is divided between them, and so is the overlap of ROME items it makes
        share = 1.0 / self.crowd if self.crowd > 1 else 1.0
        return {
            "fiche": max((s for _, s in self.fiches), default=0.0) * share,
            "esco": max((s for *_, s in self.esco), default=0.0),
            "domain": max((s for _, s in self.domains), default=0.0),
            "title": self.title,
            "overlap": self.overlap * share,
            "level_gap": float(self.level_gap or 0),
            "level_unknown": 1.0 if self.level_gap is None else 0.0,
            "same_sector": 1.0 if self.same_sector else 0.0,
        }


def score(features: dict[str, float], weights: dict[str, float] | None = None,
          intercept: float | None = None) -> float:
    """The logistic score of a pair's features, 0 to 1."""
    w = WEIGHTS if weights is None else weights
    b = INTERCEPT if intercept is None else intercept
    z = b + sum(w.get(k, 0.0) * v for k, v in features.items())
    return 1.0 / (1.0 + math.exp(-z))


class TitleIndex:
    """Character n-gram TF-IDF of the jobs' title keys, for title similarity.

    Fitted on every job's title, so a job's similarities depend on all titles (the IDF): the
    index is made once per build and kept in the store's cache folder (``careers.titles``).
    """

    def __init__(self, facts: Facts | None = None, *,
                 titles: list[tuple[str, str]] | None = None) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if titles is None:
            assert facts is not None
            titles = [(j, facts.jobs[j].label) for j in sorted(facts.jobs)]
        self.jobs = [j for j, _ in titles]
        self.pos = {j: i for i, j in enumerate(self.jobs)}
        keys = [title_key(label) or label for _, label in titles]
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True)
        self.matrix = vectorizer.fit_transform(keys) if keys else None
        self._last: dict[str, Any] = {}

    @classmethod
    def of_matrix(cls, jobs: list[str], matrix: Any) -> TitleIndex:
        """An index already made (read from the cache folder)."""
        index = cls.__new__(cls)
        index.jobs = jobs
        index.pos = {j: i for i, j in enumerate(jobs)}
        index.matrix = matrix
        index._last = {}
        return index

    def similarities(self, job: str) -> Any:
        """Cosine similarity of ``job``'s title to every job's (in ``self.jobs`` order)."""
        if self.matrix is None:
            return np.zeros(0)
        found = self._last.get(job)
        if found is None:
            row = self.matrix[self.pos[job]]
            found = np.asarray((self.matrix @ row.T).todense()).ravel()
            # the last few (a question asks for the same job's twice or more)
            if len(self._last) >= 8:
                self._last.pop(next(iter(self._last)))
            self._last[job] = found
        return found


def crowd(facts: Facts, fiche: str, referential: str) -> int:
    """How many posts of ``referential`` the fiche is linked to: distinct titles once grade marks
    are left out, so a post printed in two sections, or the rungs of a numbered series, count
    once. A fiche that covers several posts of a referential cannot single out one of them as the
    same occupation (M1402 covers three generic CCI posts)."""
    keys = {title_key(facts.jobs[j].label) for j in facts.by_fiche.get(fiche, ())
            if j in facts.jobs and facts.jobs[j].referential == referential}
    return len(keys)


def candidates(facts: Facts, titles: TitleIndex, job: str) -> list[Pair]:
    """Every job of another referential with some evidence of being ``job``'s occupation."""
    me = facts.jobs[job]
    pairs: dict[str, Pair] = {}

    def pair(other: str) -> Pair:
        if other not in pairs:
            pairs[other] = Pair(job, other)
        return pairs[other]

    own = {link.fiche: link.weight for link in me.links}
    own_domains: dict[str, float] = {}
    for fiche, w in own.items():
        if fiche in facts.fiches:
            d = facts.fiches[fiche].domain
            own_domains[d] = max(own_domains.get(d, 0.0), w)
    # the jobs with ROME evidence are those linked to one of the job's fiches, to a fiche an
    # ESCO occupation joins to one of them, or to a fiche of one of their domaines: found through
    # the fiches' jobs rather than by reading every job
    related = set(own) | {f2 for f in own for f2 in facts.esco_from(f)}
    for d in own_domains:
        related |= facts.fiches_in(d)
    others = sorted({o for f in related for o in facts.by_fiche.get(f, ())})
    for other in (facts.jobs[o] for o in others if o in facts.jobs):
        if other.referential == me.referential:
            continue
        for link in other.links:
            if link.fiche in own:
                pair(other.iri).fiches.append((link.fiche, own[link.fiche] * link.weight))
            for fiche, w in own.items():
                for esco_label in facts.esco.get((fiche, link.fiche), []):
                    pair(other.iri).esco.append((fiche, link.fiche, esco_label,
                                                 0.5 * w * link.weight))
            f = facts.fiches.get(link.fiche)
            if f is not None and f.domain in own_domains:
                pair(other.iri).domains.append((f.domain, 0.4 * own_domains[f.domain]
                                                * link.weight))
    sims = titles.similarities(job)
    for i in np.nonzero(sims >= TITLE_CANDIDATE)[0]:
        similar = titles.jobs[int(i)]
        # the facts hold every job (read whole), or those the question needs (careers.reader)
        if similar in facts.jobs and facts.jobs[similar].referential != me.referential:
            pair(similar)
    mine = facts.items_of(job)
    for iri, p in pairs.items():
        o = facts.jobs[iri]
        p.title = float(sims[titles.pos[iri]])
        theirs = facts.items_of(iri)
        p.shared_items = len(mine & theirs)
        union = len(mine | theirs)
        p.overlap = p.shared_items / union if union else 0.0
        if me.national is not None and o.national is not None:
            p.level_gap = me.national.distance(o.national)
        p.same_sector = bool(me.sector) and me.sector == o.sector
        best = p.best_fiche()
        if best is not None:
            p.crowd, p.crowd_of = crowd(facts, best, o.referential), o.referential
    return sorted(pairs.values(), key=lambda p: p.other)


@dataclass
class Equivalent:
    """One job shown as equivalent, with its score and why."""

    job: JobFacts
    score: float
    pair: Pair
    why: str


@dataclass
class EquivalentsAnswer:
    """The equivalent jobs of ``job``, best first; when there is none, the nearest related job
    (``nearest_related``: shown, but not the same occupation) and the job's closest fiches."""

    job: JobFacts
    rows: list[Equivalent]
    closest: list[tuple[str, str]]  # (code, title) of the job's own ROME fiches
    related: list[Equivalent] = field(default_factory=list)  # only when ``rows`` is empty

    @property
    def shown(self) -> list[Equivalent]:
        """The rows an answer shows: the equivalents, else the nearest related job."""
        return self.rows or self.related

    def empty_note(self, lang: str = "fr") -> str:
        fiches = ", ".join(f"{c} « {t} »" for c, t in self.closest)
        if lang == "fr":
            return ("Aucun emploi équivalent dans les référentiels chargés."
                    + (" L'emploi voisin le plus proche est montré." if self.related else "")
                    + (f" Fiches ROME les plus proches : {fiches}." if fiches else ""))
        return ("No equivalent job in the loaded referentials."
                + (" The nearest related job is shown." if self.related else "")
                + (f" Closest ROME fiches: {fiches}." if fiches else ""))


_WORDS = {
    "fr": {"fiche": "fiche ROME commune {code} « {title} »",
           "crowd": " (fiche de {n} postes de {ref} : preuve partagée entre eux)",
           "esco": "fiches {c1} et {c2} réunies par l'occupation ESCO « {esco} »",
           "domain": "même domaine ROME {domain}",
           "same_title": "même intitulé", "close_title": "intitulés proches",
           "items": "{n} compétences ROME en commun ({pct} %)",
           "level": "niveau national {a} et {b}", "unknown": "niveau national {a} et {b}",
           "sector": "même secteur",
           "nearest": "emploi voisin, pas la même occupation (sous le seuil de l'équivalence) : "},
    "en": {"fiche": "shared ROME fiche {code} « {title} »",
           "crowd": " (a fiche of {n} posts of {ref}: evidence shared among them)",
           "esco": "fiches {c1} and {c2} joined by the ESCO occupation « {esco} »",
           "domain": "same ROME domaine {domain}",
           "same_title": "same title", "close_title": "similar titles",
           "items": "{n} ROME competences in common ({pct} %)",
           "level": "national level {a} and {b}", "unknown": "national level {a} and {b}",
           "sector": "same sector",
           "nearest": "a related job, not the same occupation (below the equivalence threshold): "},
}


def explain(facts: Facts, pair: Pair, lang: str = "fr") -> str:
    """The evidence of a pair in words, strongest first."""
    w = _WORDS[lang]
    parts = []
    best = pair.best_fiche()
    for fiche, _ in sorted(pair.fiches, key=lambda x: -x[1])[:2]:
        f = facts.fiches.get(fiche)
        if f is not None:
            crowded = w["crowd"].format(n=pair.crowd, ref=pair.crowd_of) \
                if fiche == best and pair.crowd > 1 else ""
            parts.append(w["fiche"].format(code=f.code, title=f.title) + crowded)
    if not pair.fiches and pair.esco:
        f1, f2, esco, _ = max(pair.esco, key=lambda x: x[3])
        parts.append(w["esco"].format(c1=facts.fiches[f1].code if f1 in facts.fiches else f1,
                                      c2=facts.fiches[f2].code if f2 in facts.fiches else f2,
                                      esco=esco))
    if not pair.fiches and not pair.esco and pair.domains:
        parts.append(w["domain"].format(domain=max(pair.domains, key=lambda x: x[1])[0]))
    if pair.title >= 0.9:
        parts.append(w["same_title"])
    elif pair.title >= 0.5:
        parts.append(w["close_title"])
    if pair.shared_items and not pair.fiches:
        parts.append(w["items"].format(n=pair.shared_items, pct=round(100 * pair.overlap)))
    a, b = facts.jobs[pair.job].national, facts.jobs[pair.other].national
    parts.append(w["level"].format(a=range_text(a, lang), b=range_text(b, lang)))
    return ", ".join(parts)


def _middle(r: NationalRange | None) -> float | None:
    return None if r is None else (r.low + r.high) / 2


def one_rung_per_ladder(facts: Facts, me: JobFacts, rows: list[Equivalent]) -> list[Equivalent]:
    """The rows with one rung of each numbered series.

    A numbered series (rungs of one ladder with the same title once grade marks are left out:
    Comptable I → Comptable II) is one occupation: only the rung nearest ``me``'s national level
    is shown, the lowest of those as near; the higher ones are next steps, not equivalents. The
    ladders are the progressions between the rows' jobs (``facts.progressions``).

    Rungs of one ladder that tie on the score (Gestionnaire de stocks 2e niveau → Responsable de
    la gestion des stocks, on the same fiche) are one occupation too: the evidence cannot tell
    them apart, so only the rung nearest ``me``'s level is shown, the lowest of those as near.

    A rung below a better-scoring row on its ladder whose title is that row's title with a word
    more (Assistant chef de projet → Chef de projet) is not shown either when ``me`` starts above
    that rung's level and not below the better row's: it is the junior post of the occupation
    found, not the occupation."""
    shown = {e.job.iri: e for e in rows}
    above: dict[str, set[str]] = {}  # a row's job → the rows' jobs above it on its ladders
    for iri in shown:
        todo, seen = [iri], set()
        while todo:
            for b, _ in facts.progressions.get(todo.pop(), []):
                if b in shown and b not in seen and b != iri:
                    seen.add(b)
                    todo.append(b)
        above[iri] = seen
    mine = _middle(me.national)
    dropped: set[str] = set()

    def nearest(rungs: set[str]) -> str:
        """The rung nearest ``me``'s level, the lowest of those as near."""
        def nearness(o: str) -> tuple[float, int]:
            theirs = _middle(shown[o].job.national)
            far = abs(theirs - mine) if theirs is not None and mine is not None else 99.0
            return (far, sum(1 for x in rungs if o in above[x]))  # rungs below it
        return min(sorted(rungs), key=nearness)

    for iri, e in shown.items():
        key = title_key(e.job.label)
        series = {iri} | {o for o in shown if title_key(shown[o].job.label) == key
                          and (o in above[iri] or iri in above[o])}
        if len(series) > 1:
            dropped |= series - {nearest(series)}
        # rungs of one ladder with the same score: the evidence cannot tell them apart, and the
        # higher is the lower's next step, so they are one occupation here too
        tied = {iri} | {o for o in above[iri] if shown[o].score == e.score}
        if len(tied) > 1:
            dropped |= tied - {nearest(tied)}
        low = e.job.national.low if e.job.national is not None else None
        for other in above[iri]:
            o = shown[other]
            named = f" {title_key(o.job.label)} " in f" {key} " and title_key(o.job.label) != key
            if (named and o.score > e.score and me.national is not None
                    and o.job.national is not None and low is not None
                    and me.national.low > low and me.national.low >= o.job.national.low):
                dropped.add(iri)
    return [e for e in rows if e.job.iri not in dropped]


def _rows(facts: Facts, pairs: list[Pair], cut: float, lang: str) -> list[Equivalent]:
    rows = []
    for p in pairs:
        s = score(p.features())
        if s >= cut:
            rows.append(Equivalent(facts.jobs[p.other], round(s, 3), p, explain(facts, p, lang)))
    rows.sort(key=lambda e: (-e.score, e.job.label, e.job.iri))
    return one_rung_per_ladder(facts, facts.jobs[pairs[0].job], rows) if rows else rows


def nearest_related(facts: Facts, pairs: list[Pair], lang: str = "fr") -> list[Equivalent]:
    """When no candidate reaches the threshold: the candidates with the best score among those
    with ROME evidence (a shared fiche, an ESCO join, a shared domaine: a title alone is not
    shown), kept when both national levels are known and at most one level apart and when their
    shared fiche, if any, covers that post alone (``crowd``). A counsellor who finds no same
    occupation still shows the nearest job of the same field at a comparable level (the
    judges' « related »); a job whose best evidence is a fiche of several posts, a similar title
    or a level that cannot be compared has none to show. Empty when the best candidate does not
    qualify: a candidate below the job's best one is not shown in its place.

    One exception keeps the crowd rule's intent: when the best candidate's fiche covers two
    posts of its referential (``PAIR_OF_POSTS``), the fiche names the pair, not one of them, so
    both are shown together when both levels are comparable (M1304 covers the Missions locales
    Directeur and Responsable de secteur: both are the CCI Manager II's nearest jobs). A fiche
    of three posts or more still shows nothing."""
    if not pairs:
        return []
    me = facts.jobs[pairs[0].job]
    scored = [(round(score(p.features()), 3), p) for p in pairs
              if p.fiches or p.esco or p.domains]
    if not scored or me.national is None:
        return []
    my_level = me.national

    def comparable(p: Pair) -> bool:
        theirs = facts.jobs[p.other].national
        return theirs is not None and my_level.distance(theirs) <= 1

    best = max(s for s, _ in scored)
    # the best candidates' fiches of two posts: (fiche, referential) → the posts' candidates
    shared: dict[tuple[str | None, str], list[Pair]] = {
        (p.best_fiche(), p.crowd_of): [] for s, p in scored
        if s == best and 1 < p.crowd <= PAIR_OF_POSTS}
    for _, p in scored:
        if (p.best_fiche(), p.crowd_of) in shared:
            shared[(p.best_fiche(), p.crowd_of)].append(p)
    # shown together when every post of the fiche is there (its best shared fiche) and comparable
    together = {p.other for group in shared.values()
                if all(comparable(p) for p in group)
                and len({title_key(facts.jobs[p.other].label) for p in group}) == group[0].crowd
                for p in group}
    rows = []
    for s, p in scored:
        if comparable(p) and ((s == best and p.crowd <= 1) or p.other in together):
            rows.append(Equivalent(facts.jobs[p.other], s, p, _WORDS[lang]["nearest"]
                                   + explain(facts, p, lang)))
    rows.sort(key=lambda e: (-e.score, e.job.label, e.job.iri))
    return one_rung_per_ladder(facts, me, rows)


def equivalents(facts: Facts, titles: TitleIndex, job: str, *, lang: str = "fr",
                threshold: float | None = None, limit: int | None = None) -> EquivalentsAnswer:
    """The jobs of other referentials scoring at least the threshold, best first; when there is
    none, the nearest related job (``nearest_related``)."""
    cut = THRESHOLD if threshold is None else threshold
    pairs = candidates(facts, titles, job)
    rows = _rows(facts, pairs, cut, lang)
    related = [] if rows else nearest_related(facts, pairs, lang)
    me = facts.jobs[job]
    closest = [(facts.fiches[link.fiche].code, facts.fiches[link.fiche].title)
               for link in me.links if link.fiche in facts.fiches]
    return EquivalentsAnswer(me, rows[:limit] if limit else rows, closest,
                             related[:limit] if limit else related)


def either_way(facts: Facts, titles: TitleIndex, job: str, *,
               lang: str = "fr") -> list[Equivalent]:
    """The jobs of other referentials that are ``job``'s occupation (``equivalents``), then those
    whose own answer shows ``job``: a shared fiche may single out ``job`` among the posts of its
    referential without singling out the other among the posts of its own (M1304 covers one CCI
    post, Manager II, and two Missions locales posts). A move between two jobs is one step of
    the same occupation whichever of them names the other (``paths``)."""
    pairs = candidates(facts, titles, job)
    rows = _rows(facts, pairs, THRESHOLD, lang)
    shown = {e.job.iri for e in rows}
    mine = facts.jobs[job].referential
    for p in pairs:
        best = p.best_fiche()
        if p.other in shown or best is None:
            continue
        back = replace(p, crowd=crowd(facts, best, mine), crowd_of=mine)
        s = score(back.features())
        if s >= THRESHOLD:
            rows.append(Equivalent(facts.jobs[p.other], round(s, 3), back,
                                   explain(facts, back, lang)))
    return rows


__all__ = ["FEATURES", "INTERCEPT", "PAIR_OF_POSTS", "THRESHOLD", "WEIGHTS", "Equivalent",
           "EquivalentsAnswer", "Pair", "TitleIndex", "candidates", "crowd", "either_way",
           "equivalents", "explain", "nearest_related", "one_rung_per_ladder", "score"]
