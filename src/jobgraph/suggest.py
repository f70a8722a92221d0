"""ROME links of jobs: rank ROME fiches for a job with the search engine; the curated links."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rdflib.term import Node

from .backends import Backend
from .catalogue import internal
from .errors import UsageError
from .names import fold
from .search.engine import Engine

Vector = npt.NDArray[np.float64]

# Weights of the five signals (see docs/rome.md): the job's titles (searched as a person's words
# are, the job itself left out, so the labels of other jobs bring the fiches they are linked to),
# the whole job text against each fiche's whole text, the job's families and sector against the
# same, mission sentences against the fiche's competence items, and the codes curated for the
# jobs whose text is nearest. Each signal is first scaled so that its best fiche scores 1.
WEIGHTS = {"title": 1.0, "text": 0.5, "context": 0.25, "missions": 0.2, "neighbours": 0.5}
# the neighbours signal: the curated codes of the jobs whose whole text is nearest this job's
NEIGHBOURS = 3
# a title whose best match is weak says little: it is scaled as if this were the best
FLOORS = {"title": 0.5}


# --- light text helpers ---------------------------------------------------------------------------
# careers.gaps compares competence wordings with these (its figures rest on them); the ranking of
# ROME fiches reads titles with the search engine's French normalisation (search/text.py).

# French function words, and the grade words of classification grids ("niveau 2", "1er échelon"),
# which say where a job sits in its ladder, not what it is.
STOP_WORDS = frozenset({
    "a", "afin", "ainsi", "au", "aux", "avec", "ce", "ces", "chez", "cette", "dans", "de", "des",
    "du", "elle", "elles", "en", "entre", "et", "etc", "etre", "eux", "il", "ils", "la", "le",
    "les", "leur", "leurs", "lors", "lui", "ma", "mais", "me", "meme", "mes", "moi", "mon", "ne",
    "nos", "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "sans",
    "se", "selon", "ses", "son", "sur", "ta", "te", "tes", "toi", "ton", "tous", "tout", "toute",
    "toutes", "tu", "un", "une", "vers", "vos", "votre", "vous", "niveau", "niveaux", "echelon",
    "echelons", "degre", "er", "eme",
})
_NUMBER = re.compile(r"[0-9]+(?:er|re|e|eme|nd|nde)?")  # 12, 1er, 2e, 3eme: grades, not trades
STEM_LENGTH = 6


def normalise(text: str) -> str:
    """Accent- and case-folded words, without French stop words, numbers and single letters."""
    words = re.findall(r"[a-z0-9]+", fold(text.replace("œ", "oe").replace("Œ", "oe")))
    return " ".join(w for w in words
                    if len(w) > 1 and w not in STOP_WORDS and not _NUMBER.fullmatch(w))


def stems(text: str) -> list[str]:
    """Words cut to their first letters: a light stemmer for French, so that "rédige" meets
    "rédiger" and "courriers" meets "courrier"."""
    return [w[:STEM_LENGTH] for w in text.split()]


# --- what is known of a job ----------------------------------------------------------------------

@dataclass
class JobText:
    """The text of a job that ranking reads."""

    iri: str
    label: str = ""
    # prefLabel, French altLabels and the job titles a certification lists for the job
    labels: list[str] = field(default_factory=list)
    # missions, definition and the labels of the competences the job requires
    missions: list[str] = field(default_factory=list)
    # labels of the job's families (and their broader ones) and of its referential's sector
    context: list[str] = field(default_factory=list)


def job_texts(backend: Backend, job: str | None = None) -> dict[str, JobText]:
    """Texts of every job of the store, or of one job (an IRI)."""
    from rdflib import URIRef

    bindings: dict[str, Node] | None = {"job": URIRef(job)} if job else None
    texts: dict[str, JobText] = {}
    for iri, kind, text in sorted(backend.select(internal("job-text").text, bindings).rows,
                                  key=lambda r: tuple(str(x) for x in r)):
        t = texts.setdefault(str(iri), JobText(str(iri)))
        value = str(text)
        if kind is None:
            continue
        k = str(kind)
        if k == "pref":
            t.label = value
            t.labels.insert(0, value)
        elif k == "alt":
            t.labels.append(value)
        elif k == "mission":
            t.missions.append(value)
        elif value not in t.context:
            t.context.append(value)
    return texts


@dataclass(frozen=True)
class Link:
    """A curated link of a job to a ROME code, with where it is written."""

    job: str
    code: str
    relation: str
    basis: str
    source: str | None


def curated_links(backend: Backend, job: str | None = None) -> list[Link]:
    """The curated ROME links of every job, or of one job (an IRI)."""
    from rdflib import URIRef

    bindings: dict[str, Node] | None = {"job": URIRef(job)} if job else None
    links = [Link(str(j), str(t).rsplit("/", 1)[-1],
                  str(m).rsplit("#", 1)[-1] if m is not None else "",
                  str(b) if b is not None else "", str(loc) if loc is not None else None)
             for j, t, m, b, loc in backend.select(internal("rome-links").text, bindings).rows]
    return sorted(links, key=lambda x: (x.job, x.code))



# --- ranking -------------------------------------------------------------------------------------

@dataclass
class Suggestion:
    """A ROME fiche proposed for a job, with the titles and competence items that matched."""

    code: str
    title: str
    score: float
    titles: list[tuple[str, float]] = field(default_factory=list)
    competences: list[tuple[str, float]] = field(default_factory=list)


def _scaled(v: Vector, floor: float = 0.0) -> Vector:
    top = max(float(v.max()) if v.size else 0.0, floor)
    return v / top if top > 0 else v


class Neighbours:
    """The jobs of the graph as BM25 documents of their whole text, with their curated codes:
    a job's nearest other jobs vote for the codes their curators chose."""

    def __init__(self, engine: Engine, texts: dict[str, JobText], links: list[Link]) -> None:
        from .search.index import Scores

        self.jobs = sorted(texts)
        self.pos = {j: k for k, j in enumerate(self.jobs)}
        self.engine = engine
        self.scores = Scores.fit([self._tokens(texts[j]) for j in self.jobs] or [["\x00"]])
        code_pos = {c: i for i, c in enumerate(engine.index.codes)}
        self.codes: list[list[int]] = [[] for _ in self.jobs]
        for link in links:
            if link.job in self.pos and link.code in code_pos:
                self.codes[self.pos[link.job]].append(code_pos[link.code])

    def _tokens(self, job: JobText) -> list[str]:
        from .search import text as search_text

        words = self.engine.index.analyser.base_words(
            " ".join(job.labels + job.missions + job.context))
        return [search_text.stem(w) for w in words] or ["\x00"]

    def signal(self, job: JobText) -> Vector:
        """Each fiche's best vote among the ``NEIGHBOURS`` jobs nearest ``job`` (itself left
        out), a vote being the neighbour's similarity scaled to the nearest one."""
        out = np.zeros(len(self.engine.index.codes))
        sims = self.scores.scores(self.scores.ids(self._tokens(job)))
        if job.iri in self.pos:
            sims[self.pos[job.iri]] = 0.0
        top = float(sims.max(initial=0.0))
        if top <= 0:
            return out
        for k in np.lexsort((np.arange(len(sims)), -sims))[:NEIGHBOURS].tolist():
            vote = float(sims[k]) / top
            for i in self.codes[k]:
                out[i] = max(float(out[i]), vote)
        return out


@dataclass
class Signals:
    """A job's similarity to every fiche by each signal (unscaled), and to every indexed title."""

    n: int
    by_name: dict[str, Vector]
    entry: Vector


def signals(engine: Engine, job: JobText, neighbours: Neighbours | None = None) -> Signals:
    """Compute the signals of ``job`` against every fiche, the job itself left out."""
    idx = engine.index
    n = len(idx.codes)
    labels = job.labels or ([job.label] if job.label else [])
    out: dict[str, Vector] = {}
    entry = np.zeros(len(idx.entries))
    if labels:
        best = np.zeros(n)
        # each label by its words and its meaning, as `jobgraph search` reads a title (a job's
        # labels are indexed titles: their embeddings are the index's own rows)
        vectors = engine.vectors_for(labels)
        for label, vector in zip(labels, vectors, strict=True):
            ws, _ = engine.read(label)
            if not ws:
                continue
            e, fiche, _ = engine.scores(ws, exclude=[job.iri], vector=vector)
            entry = np.maximum(entry, e)
            best = np.maximum(best, fiche)
        out["title"] = best
    text = " ".join(labels + job.missions + job.context)
    if text.strip():
        out["text"] = engine.doc_scores(engine.index.analyser.base_words(text))
    if job.context:
        out["context"] = engine.doc_scores(engine.index.analyser.base_words(" ".join(job.context)))
    if job.missions:
        per_fiche = np.zeros(n)
        counted = 0
        for sentence in job.missions:
            sims = engine.item_scores(sentence)
            if sims is None:
                continue
            best_item = np.zeros(n)
            np.maximum.at(best_item, idx.item_fiches,
                          np.repeat(sims, np.diff(idx.item_starts)))
            per_fiche += best_item
            counted += 1
        if counted:
            out["missions"] = per_fiche / counted
    if neighbours is not None:
        out["neighbours"] = neighbours.signal(job)
    return Signals(n, {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}, entry)


def combine(sig: Signals, weights: dict[str, float] | None = None,
            floors: dict[str, float] | None = None) -> Vector:
    """Weighted mean of the signals, each scaled so that its best fiche scores 1 (unless that best
    is below the signal's floor: a poor best match is not blown up); a signal the job has no text
    for (no missions, no family) does not count."""
    w = WEIGHTS if weights is None else weights
    f = FLOORS if floors is None else floors
    total = np.zeros(sig.n)
    weight = 0.0
    for name, values in sig.by_name.items():
        if float(values.max()) > 0:
            total += w.get(name, 0.0) * _scaled(values, f.get(name, 0.0))
            weight += w.get(name, 0.0)
    return total / weight if weight else total


def _ranked(engine: Engine, total: Vector, top: int) -> list[int]:
    if not len(total):
        return []
    return [int(i) for i in np.lexsort((np.arange(len(total)), -total))[:top]]


def suggest(engine: Engine, job: JobText, *, top: int = 5, explain: int = 3,
            neighbours: Neighbours | None = None) -> list[Suggestion]:
    """The ``top`` fiches for ``job``, best first, each with up to ``explain`` matching titles and
    competence items; ``neighbours`` adds the codes of the jobs nearest it."""
    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    idx = engine.index
    sig = signals(engine, job, neighbours)
    total = combine(sig)
    out = []
    item_sims = [s for s in (engine.item_scores(m) for m in job.missions + job.labels)
                 if s is not None]
    items = np.max(item_sims, axis=0) if item_sims else None
    for i in _ranked(engine, total, top):
        s = Suggestion(idx.codes[i], idx.fiche_titles[i], round(float(total[i]), 3))
        mine = np.flatnonzero(idx.entry_fiche == i)
        ranked = sorted(mine, key=lambda k: (-sig.entry[k], idx.entries[k]))
        top_title = float(sig.entry[ranked[0]]) if len(ranked) else 0.0
        s.titles = [(idx.entries[k], round(float(sig.entry[k]), 2)) for k in ranked[:explain]
                    if sig.entry[k] > 0.2 and sig.entry[k] >= 0.6 * top_title]
        if items is not None:
            own = sorted({int(k) for k in engine.item_of[idx.item_fiches == i]},
                         key=lambda k: (-items[k], idx.items[k]))
            s.competences = [(idx.items[k], round(float(items[k]), 2)) for k in own[:explain]
                             if items[k] > 0.1]
        out.append(s)
    return out


@dataclass
class Evaluation:
    """How often the curated code is among a job's first suggestions."""

    top: int
    jobs: int = 0
    hits: int = 0
    first: int = 0
    misses: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    seconds_per_job: float = 0.0

    @property
    def share(self) -> float:
        return self.hits / self.jobs if self.jobs else 0.0


def evaluate(engine: Engine, texts: dict[str, JobText], links: list[Link], *,
             top: int = 5, weights: list[dict[str, float]] | None = None) -> list[Evaluation]:
    """For each weighting (default: ``WEIGHTS``), the share of the linked jobs whose curated code
    (one of them) is in the top ``top``; each job is ranked with its own labels and links left
    out, as `jobgraph rome suggest` ranks it."""
    gold: dict[str, set[str]] = defaultdict(set)
    for link in links:
        gold[link.job].add(link.code)
    weightings = weights or [WEIGHTS]
    results = [Evaluation(top) for _ in weightings]
    start = time.perf_counter()
    near = Neighbours(engine, texts, links)
    for job in sorted(gold):
        if job not in texts:
            continue
        sig = signals(engine, texts[job], near)
        for w, result in zip(weightings, results, strict=True):
            ranked = [engine.index.codes[i] for i in _ranked(engine, combine(sig, w), top)]
            result.jobs += 1
            if gold[job] & set(ranked):
                result.hits += 1
            else:
                result.misses.append((job, sorted(gold[job]), ranked))
            result.first += bool(ranked) and ranked[0] in gold[job]
    for result in results:
        if result.jobs:
            result.seconds_per_job = (time.perf_counter() - start) / result.jobs
    return results
