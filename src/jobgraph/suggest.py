"""ROME links of jobs: rank ROME fiches for a job by text similarity; check the curated links."""

from __future__ import annotations

import hashlib
import pickle
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rdflib.term import Node

from .backends import Backend
from .catalogue import internal
from .errors import UsageError
from .names import fold
from .rome import V460, RomeData, read_rome
from .workspace import read_cache, write_cache

Vector = npt.NDArray[np.float64]

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

# Weights of the four signals (see docs/rome.md): the title, the whole job text against the whole
# fiche, the job's families and sector against the fiche, and mission sentences against the fiche's
# competence items. Each signal is first scaled so that its best fiche scores 1.
WEIGHTS = {"title": 1.0, "text": 0.5, "context": 0.5, "missions": 0.2}
# a title whose best match in all of ROME is weak says little: it is scaled as if 0.5 were the
# best (on the shipped jobs the best title match is always above 0.5, so this changes no ranking)
FLOORS = {"title": 0.5}
_ROME_FILES = (
    f"{V460}/unix_referentiel_code_rome_v460_utf8.csv",
    f"{V460}/unix_cr_gd_dp_v460_utf8.csv",
    f"{V460}/unix_domaine_professionnel_v460_utf8.csv",
    f"{V460}/unix_referentiel_appellation_v460_utf8.csv",
    f"{V460}/unix_referentiel_competence_v460_utf8.csv",
    f"{V460}/unix_referentiel_savoir_v460_utf8.csv",
    f"{V460}/unix_liens_rome_referentiels_v460_utf8.csv",
)


_NUMBER = re.compile(r"[0-9]+(?:er|re|e|eme|nd|nde)?")  # 12, 1er, 2e, 3eme: grades, not trades
STEM_LENGTH = 6


def normalise(text: str) -> str:
    """Accent- and case-folded words, without French stop words, numbers and single letters."""
    words = re.findall(r"[a-z0-9]+", fold(text.replace("œ", "oe").replace("Œ", "oe")))
    return " ".join(w for w in words
                    if len(w) > 1 and w not in STOP_WORDS and not _NUMBER.fullmatch(w))


def stems(text: str) -> list[str]:
    """Words cut to their first letters: a light stemmer for French, so that "rédige" meets
    "rédiger" and "courriers" meets "courrier" (truncation does about as well as a real stemmer
    for French retrieval)."""
    return [w[:STEM_LENGTH] for w in text.split()]


# --- the index of ROME text ----------------------------------------------------------------------

@dataclass
class RomeIndex:
    """TF-IDF matrices of ROME 4.0 titles, fiches and competence items, ready for ranking."""

    codes: list[str]
    fiche_titles: list[str]
    titles: list[str]  # fiche titles and appellations, grouped by fiche
    # the titles of fiche i are titles[title_starts[i]:title_starts[i + 1]]
    title_starts: npt.NDArray[np.intp]
    title_fiche: npt.NDArray[np.intp]
    items: list[str]  # savoir-faire and savoir labels
    # the items of fiche i are items[k] for k in item_order[item_starts[i]:item_starts[i + 1]]
    item_order: npt.NDArray[np.intp]
    item_starts: npt.NDArray[np.intp]
    title_vectorizer: Any
    title_matrix: Any
    word_vectorizer: Any
    fiche_matrix: Any
    item_matrix: Any

    def fiche(self, code: str) -> int:
        return self.codes.index(code)


def build_index(d: RomeData) -> RomeIndex:
    """Vectorize the ROME text: character n-grams for titles, words and word pairs for the rest.

    Savoir-être items are left out: a handful of them ("Faire preuve de rigueur et de précision")
    are on most fiches and say nothing about which fiche a job belongs to.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    codes = sorted(d.fiches)
    pos = {c: i for i, c in enumerate(codes)}
    by_fiche: dict[str, list[str]] = defaultdict(list)
    for ogr in sorted(d.appellations):
        row = d.appellations[ogr]
        if row["code_rome"] in pos:
            by_fiche[row["code_rome"]].append(row["libelle_appellation_long"])
    titles: list[str] = []
    starts = [0]
    for c in codes:
        titles.append(d.fiches[c]["libelle_rome"])
        titles.extend(t for t in by_fiche[c] if t != d.fiches[c]["libelle_rome"])
        starts.append(len(titles))
    title_fiche = np.repeat(np.arange(len(codes)), np.diff(starts))

    item_ids: dict[tuple[str, str], int] = {}
    items: list[str] = []
    fiche_items: dict[str, list[int]] = defaultdict(list)
    for link in d.links:
        code, rubrique, ogr = link["code_rome"], link["code_rubrique"], link["code_ogr"]
        if link["code_compo_bloc"] != "5" or code not in pos:
            continue
        if rubrique == "1" and ogr in d.competences:
            key, label = ("competence", ogr), d.competences[ogr]["libelle_competence"]
        elif rubrique == "3" and ogr in d.savoirs:
            key, label = ("savoir", ogr), d.savoirs[ogr]["libelle_savoir"]
        else:
            continue
        if key not in item_ids:
            item_ids[key] = len(items)
            items.append(label)
        fiche_items[code].append(item_ids[key])
    order: list[int] = []
    item_starts = [0]
    for c in codes:
        order.extend(sorted(set(fiche_items[c])))
        item_starts.append(len(order))

    def domain(code: str) -> str:
        h = d.hierarchy.get(code)
        return d.domaines.get(h["code_domaine_professionel"] if h else code[:3], "")

    docs = [" ".join([d.fiches[c]["libelle_rome"], domain(c), *by_fiche[c],
                      *(items[i] for i in order[item_starts[k]:item_starts[k + 1]])])
            for k, c in enumerate(codes)]
    title_vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                preprocessor=normalise, dtype=np.float32)
    word_vec = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                               preprocessor=normalise, tokenizer=stems, token_pattern=None,
                               dtype=np.float32)
    return RomeIndex(
        codes=codes, fiche_titles=[d.fiches[c]["libelle_rome"] for c in codes], titles=titles,
        title_starts=np.array(starts, dtype=np.intp), title_fiche=title_fiche.astype(np.intp),
        items=items, item_order=np.array(order, dtype=np.intp),
        item_starts=np.array(item_starts, dtype=np.intp),
        title_vectorizer=title_vec, title_matrix=title_vec.fit_transform(titles).tocsr(),
        word_vectorizer=word_vec, fiche_matrix=word_vec.fit_transform(docs).tocsr(),
        item_matrix=word_vec.transform(items).tocsr())


def _rome_key(rome_dir: Path) -> str:
    import sklearn

    # this module's source is part of the key: a change in how the index is built rebuilds it
    h = hashlib.sha256(f"{sklearn.__version__}\0{np.__version__}\0".encode())
    h.update(Path(__file__).read_bytes())
    for name in _ROME_FILES:
        path = rome_dir / name
        if path.exists():
            h.update(name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:20]


def load_index(rome_dir: Path, cache_dir: Path | None = None) -> RomeIndex:
    """The index of ``rome_dir``'s CSV files, kept in ``cache_dir`` (keyed by their content).

    Building takes a few seconds; the cache is a pickle that jobgraph itself writes in the store's
    cache folder (never one from elsewhere: a pickle runs code when loaded).
    """
    if cache_dir is None:
        return build_index(read_rome(rome_dir))
    path = cache_dir / f"rome-suggest-{_rome_key(rome_dir)}.pickle"
    # unpickled only when its size and SHA-256 are those written with it: a truncated pickle is
    # made again, with a note, instead of failing (or being half read)
    data = read_cache(path)
    if data is not None:
        try:
            cached = pickle.loads(data)
            if isinstance(cached, RomeIndex):
                return cached
        except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
            pass  # written by another version of the libraries: made again below
    index = build_index(read_rome(rome_dir))
    if write_cache(path, pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)):
        for old in cache_dir.glob("rome-suggest-*.pickle*"):
            if not old.name.startswith(path.name):
                old.unlink(missing_ok=True)
    return index


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


def _column(matrix: Any, query: Any) -> Any:
    return (matrix @ query.T).toarray()


@dataclass
class Signals:
    """A job's similarity to every fiche by each signal (unscaled), and to every title."""

    n: int
    by_name: dict[str, Vector]
    title_sims: Vector


def signals(index: RomeIndex, job: JobText) -> Signals:
    """Compute the four signals of ``job`` against every fiche."""
    n = len(index.codes)
    labels = job.labels or ([job.label] if job.label else [])
    out: dict[str, Vector] = {}
    title_sims = np.zeros(len(index.titles))
    if labels:
        title_sims = _column(index.title_matrix,
                             index.title_vectorizer.transform(labels)).max(axis=1)
        best = np.zeros(n)
        np.maximum.at(best, index.title_fiche, title_sims)
        out["title"] = best
    words = index.word_vectorizer
    text = " ".join(labels + job.missions + job.context)
    if text.strip():
        out["text"] = _column(index.fiche_matrix, words.transform([text])).ravel()
    if job.context:
        out["context"] = _column(index.fiche_matrix,
                                 words.transform([" ".join(job.context)])).ravel()
    if job.missions:
        sims = _column(index.item_matrix, words.transform(job.missions)).T  # missions x items
        padded = np.hstack([sims, np.zeros((sims.shape[0], 1))])
        # each mission's best item on each fiche, averaged over the missions; a fiche without
        # items points at the zero column
        order = np.append(index.item_order, sims.shape[1])
        starts = index.item_starts[:-1]
        empty = index.item_starts[1:] == starts
        per_fiche = np.maximum.reduceat(padded[:, order], np.minimum(starts, len(order) - 1),
                                        axis=1)
        per_fiche[:, empty] = 0.0
        out["missions"] = per_fiche.mean(axis=0)
    return Signals(n, {k: np.asarray(v, dtype=np.float64) for k, v in out.items()},
                   np.asarray(title_sims, dtype=np.float64))


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


def _ranked(index: RomeIndex, total: Vector, top: int) -> list[int]:
    if not len(total):
        return []
    return sorted(range(len(total)), key=lambda i: (-total[i], index.codes[i]))[:top]


def suggest(index: RomeIndex, job: JobText, *, top: int = 5, explain: int = 3) -> list[Suggestion]:
    """The ``top`` fiches for ``job``, best first, each with up to ``explain`` matching titles and
    competence items."""
    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    sig = signals(index, job)
    total, title_sims = combine(sig), sig.title_sims
    best = _ranked(index, total, top)
    words = index.word_vectorizer
    sentences = (job.labels or [job.label]) + job.missions
    query = words.transform(sentences) if any(s.strip() for s in sentences) else None
    out = []
    for i in best:
        s = Suggestion(index.codes[i], index.fiche_titles[i], round(float(total[i]), 3))
        a, b = int(index.title_starts[i]), int(index.title_starts[i + 1])
        ranked = sorted(range(a, b), key=lambda k: (-title_sims[k], index.titles[k]))
        top_title = float(title_sims[ranked[0]]) if ranked else 0.0
        s.titles = [(index.titles[k], round(float(title_sims[k]), 2)) for k in ranked[:explain]
                    if title_sims[k] > 0.2 and title_sims[k] >= 0.6 * top_title]
        if query is not None:
            own = index.item_order[int(index.item_starts[i]):int(index.item_starts[i + 1])]
            if len(own):
                sims = _column(index.item_matrix[own], query).max(axis=1)
                picked = sorted(range(len(own)), key=lambda k: (-sims[k], index.items[own[k]]))
                s.competences = [(index.items[own[k]], round(float(sims[k]), 2))
                                 for k in picked[:explain] if sims[k] > 0.1]
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


def evaluate(index: RomeIndex, texts: dict[str, JobText], links: list[Link], *,
             top: int = 5, weights: list[dict[str, float]] | None = None) -> list[Evaluation]:
    """For each weighting (default: ``WEIGHTS``), the share of the linked jobs whose curated code
    (one of them) is in the top ``top``."""
    gold: dict[str, set[str]] = defaultdict(set)
    for link in links:
        gold[link.job].add(link.code)
    weightings = weights or [WEIGHTS]
    results = [Evaluation(top) for _ in weightings]
    start = time.perf_counter()
    for job in sorted(gold):
        if job not in texts:
            continue
        sig = signals(index, texts[job])
        for w, result in zip(weightings, results, strict=True):
            ranked = [index.codes[i] for i in _ranked(index, combine(sig, w), top)]
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
