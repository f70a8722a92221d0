"""Ranking: the ROME fiches and the referentials' jobs a text names, with what matched."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from . import meaning, text
from .index import Index, Job

Vector = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float32]

# Weights of the two lexical signals of a title (chosen on the dev split of
# evaluation/search-titles.csv: see README, Search): whole words (stems) and character trigrams
WORD_WEIGHT, GRAM_WEIGHT = 0.6, 0.4
# how much a job label that matches brings to the fiches the job is linked to, by the link's
# strength (a curated link is an expert's reading of the title)
JOB_LINK_WEIGHT = 1.0
# how much the fiche's whole text (domaine, competences) brings: a title ROME does not print may
# still name what the fiche's competences say ("chromatographiste")
DOC_WEIGHT = 0.3
RELATION_WEIGHT = {"exactMatch": 1.0, "closeMatch": 0.9, "narrowMatch": 0.7, "broadMatch": 0.6,
                   "relatedMatch": 0.4}
# a fiche's score adds this share of its second-best title: a fiche where several titles match
# is a safer answer than one with a single lucky title
SECOND_WEIGHT = 0.1
# the meaning signal (multilingual-e5-small: the cosine of the text's embedding and each
# title's): a fiche's meaning score is ranked as its words are (best title, second best, the
# fiches of jobs whose labels are near) and added at this weight, and its title with its domaine
# at the second; each cosine spread from the median title's (0) to the nearest's (1). Chosen on
# the dev split like the weights above (README, Search)
MEANING_WEIGHT, FICHE_MEANING_WEIGHT = 1.0, 0.25
# typo repair: the largest edit distance accepted for a word of the query unknown to the index
MAX_EDITS = ((5, 1), (40, 2))  # up to 5 letters: 1 edit; up to 40: 2; longer: no job word
# characters of a text read: a title is short; a pasted page is read up to here, not further
MAX_TEXT = 1000
# a ROME code: a fiche (M1607), a domaine professionnel (M16) or a grand domaine (M)
ROME_CODE = re.compile(r"^[A-N](\d{2}(\d{2})?)?$")


@dataclass
class FicheHit:
    """A ROME fiche a text names."""

    code: str
    title: str
    score: float
    matched: list[str] = field(default_factory=list)  # its titles that matched, best first
    # jobs linked to the fiche whose labels share at least half of the text's best title score
    jobs: list[str] = field(default_factory=list)


@dataclass
class JobHit:
    """A job of a referential a text names, by its labels or through its ROME links."""

    job: Job
    score: float
    matched: str = ""  # the label that matched, or "" when found through a ROME link
    via: list[tuple[str, str]] = field(default_factory=list)  # (fiche, relation) it came by


@dataclass
class Answer:
    """What a text names: fiches and jobs, best first, and how the text was read."""

    text: str
    words: list[str]  # the words the engine searched (folded, expanded, repaired)
    repaired: list[tuple[str, str]] = field(default_factory=list)  # (typed, read as)
    fiches: list[FicheHit] = field(default_factory=list)
    jobs: list[JobHit] = field(default_factory=list)
    reason: str = ""  # why the answer is empty, when it is


class Engine:
    """Searches one index; ``exclude`` leaves jobs out (to measure on their own labels)."""

    def __init__(self, index: Index, *, word_weight: float = WORD_WEIGHT,
                 gram_weight: float = GRAM_WEIGHT, job_link_weight: float = JOB_LINK_WEIGHT,
                 second_weight: float = SECOND_WEIGHT, doc_weight: float = DOC_WEIGHT,
                 meaning_weight: float = MEANING_WEIGHT,
                 fiche_meaning_weight: float = FICHE_MEANING_WEIGHT) -> None:
        self.index = index
        self.word_weight = word_weight
        self.gram_weight = gram_weight
        self.job_link_weight = job_link_weight
        self.second_weight = second_weight
        self.doc_weight = doc_weight
        self.meaning_weight = meaning_weight
        self.fiche_meaning_weight = fiche_meaning_weight
        self._vectors: tuple[Matrix, Matrix] | None = None  # the index's, as single floats
        self._vocab_list = sorted(index.vocabulary)
        self._job_pos = {j.iri: k for k, j in enumerate(index.jobs)}
        self._code_pos = {c: i for i, c in enumerate(index.codes)}
        # ROME titles are the first entries, grouped by fiche in code order (index.build)
        rome = index.entry_fiche >= 0
        self._rome_entries = int(rome.sum())
        fiche_of = index.entry_fiche[: self._rome_entries]
        if not rome[: self._rome_entries].all() or \
                (len(fiche_of) and not (np.diff(fiche_of) >= 0).all()) or \
                len(np.unique(fiche_of)) != len(index.codes):
            raise ValueError("index entries are not grouped by fiche")
        self._fiche_starts = np.searchsorted(fiche_of, np.arange(len(index.codes)))
        self._fiche_sizes = np.diff(np.append(self._fiche_starts, len(fiche_of)))
        self._job_entries = np.flatnonzero(index.entry_job >= 0)
        self._job_entry_job = index.entry_job[self._job_entries]
        # the curated links as arrays: job, fiche, weight of the relation
        links = [(k, self._code_pos[c], RELATION_WEIGHT.get(r, 0.5))
                 for k, j in enumerate(index.jobs) for c, r in j.links if c in self._code_pos]
        self._link_job = np.array([x[0] for x in links], dtype=np.intp)
        self._link_fiche = np.array([x[1] for x in links], dtype=np.intp)
        self._link_weight = np.array([x[2] for x in links], dtype=np.float64)
        # the item of each position of index.item_fiches
        self.item_of = np.repeat(np.arange(len(index.items)), np.diff(index.item_starts))

    # --- reading the text ------------------------------------------------------------------------

    def read(self, query: str) -> tuple[list[str], list[tuple[str, str]]]:
        """The query's words as the index knows them, and the typos repaired."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        a = self.index.analyser
        ws = a.base_words(query[:MAX_TEXT])
        out: list[str] = []
        repaired: list[tuple[str, str]] = []
        vocab = self.index.vocabulary
        for w in ws:
            if w in vocab or len(w) < 4 or w.isdigit() or len(w) > MAX_EDITS[-1][0]:
                out.append(w)
                continue
            limit = next(d for n, d in MAX_EDITS if len(w) <= n)
            found = process.extract(w, self._vocab_list, scorer=Levenshtein.distance,
                                    score_cutoff=limit, limit=20)
            if found:
                # the nearest, then the most common in titles, then alphabetical
                best = min(found, key=lambda x: (x[1], -vocab[x[0]], x[0]))[0]
                repaired.append((w, best))
                out.append(best)
            else:
                out.append(w)
        return out, repaired

    # --- scoring ---------------------------------------------------------------------------------

    def entry_scores(self, ws: list[str]) -> Vector:
        """Each indexed title's similarity to the words, each signal scaled to its best title."""
        stems, grams = self.index.analyser.tokens(ws)
        total = np.zeros(len(self.index.entries))
        for model, tokens, weight in ((self.index.words, stems, self.word_weight),
                                      (self.index.grams, grams, self.gram_weight)):
            ids = model.ids(tokens)
            if not ids or weight == 0:
                continue
            s = model.scores(ids)
            top = float(s.max())
            if top > 0:
                total += weight * s / top
        return total

    def doc_scores(self, ws: list[str]) -> Vector:
        """Each fiche's whole text against the words, scaled to the best fiche."""
        model = self.index.docs
        ids = model.ids(text.stem(w) for w in ws)
        if not ids:
            return np.zeros(len(self.index.codes))
        s = model.scores(ids)
        top = float(s.max())
        return s / top if top > 0 else s

    def item_scores(self, sentence: str) -> Vector | None:
        """Each competence item's similarity to a sentence (a mission), scaled to the best item;
        None when no word of the sentence is in an item."""
        model = self.index.item_model
        ws = self.index.analyser.base_words(sentence)
        ids = model.ids(text.stem(w) for w in ws)
        if not ids:
            return None
        s = model.scores(ids)
        top = float(s.max())
        return s / top if top > 0 else None

    @property
    def uses_meaning(self) -> bool:
        """Whether the meaning signal counts (it does unless its weights are 0)."""
        return bool(self.meaning_weight or self.fiche_meaning_weight)

    def embed(self, texts: Sequence[str]) -> Matrix:
        """The embeddings of texts to search, each read as its first gender form like the
        indexed titles (a batch is embedded at once, faster than one by one); a row is what
        ``search(..., vector=)`` takes."""
        return meaning.embed([text.gender_forms(t[:MAX_TEXT])[0] for t in texts])

    def meaning_scores(self, vector: npt.NDArray[np.float32],
                       exclude: Collection[int] = ()) -> tuple[Vector, Vector, Vector]:
        """Each indexed title's nearness in meaning to the text whose embedding is ``vector``,
        each fiche's meaning score (weighted: what ``scores`` adds) and each job's nearest
        label.

        A cosine of E5 lies between about 0.75 (unrelated titles) and 1, so each is spread from
        the median title's (0) to the nearest title's (1), below the median 0: on the scale of
        the lexical signals, which run from 0 to their best title's 1. The fiche then takes
        its best title, a share of its second and the fiches of jobs whose labels are near
        (``fiche_scores``), as the lexical side does, plus the nearness of its title with its
        domaine.
        """
        if self._vectors is None:
            self._vectors = (self.index.vectors.astype(np.float32),
                             self.index.fiche_vectors.astype(np.float32))
        entries, fiches = self._vectors
        entry = spread(entries @ vector)
        fiche, job_best = self.fiche_scores(entry, exclude)
        fiche = self.meaning_weight * fiche
        if self.fiche_meaning_weight and len(fiches):
            fiche = fiche + self.fiche_meaning_weight * spread(fiches @ vector)
        return entry, fiche, job_best

    def scores(self, ws: list[str], exclude: Collection[str] = (),
               vector: npt.NDArray[np.float32] | None = None) -> tuple[Vector, Vector, Vector]:
        """Scores of every indexed title, every fiche and every job (by its labels): by the
        words ``ws``, and by meaning too when ``vector`` (the text's embedding) is given."""
        entry = self.entry_scores(ws)
        skip = [self._job_pos[j] for j in exclude if j in self._job_pos]
        fiche, job_best = self.fiche_scores(entry, skip)
        if self.doc_weight:
            fiche = fiche + self.doc_weight * self.doc_scores(ws)
        if vector is not None and self.uses_meaning:
            entry, fiche, job_best = self._with_meaning(entry, fiche, job_best, vector, skip)
        return entry, fiche, job_best

    def _with_meaning(self, entry: Vector, fiche: Vector, job_best: Vector,
                      vector: npt.NDArray[np.float32],
                      skip: Collection[int]) -> tuple[Vector, Vector, Vector]:
        """The lexical scores with the meaning's added, titles, fiches and jobs alike (a
        title's score stays between 0 and 1: the weighted mean of its words and its meaning)."""
        near, by_meaning, job_near = self.meaning_scores(vector, skip)
        both = self.word_weight + self.gram_weight + self.meaning_weight
        return ((entry + self.meaning_weight * near) / (both or 1.0), fiche + by_meaning,
                job_best + self.meaning_weight * job_near)

    def fiche_scores(self, entry: Vector, exclude: Collection[int] = ()) -> tuple[Vector, Vector]:
        """Each fiche's score: its best title, a share of its second best, and what the labels of
        jobs linked to it bring; and each job's best label score."""
        idx = self.index
        n = len(idx.codes)
        # ROME titles come first in the index, grouped by fiche: maxima by group
        s = entry[: self._rome_entries]
        starts = self._fiche_starts
        best = np.maximum.reduceat(s, starts) if n else np.zeros(0)
        if self.second_weight and n:
            # the second best: the best once each fiche's best title is set aside (a tie for
            # the best makes the second equal to it)
            is_best = s == np.repeat(best, self._fiche_sizes)
            ties = np.add.reduceat(is_best.astype(np.int32), starts)
            second = np.maximum.reduceat(np.where(is_best, 0.0, s), starts)
            second = np.where(ties > 1, best, second)
            best = best + self.second_weight * second
        job_best = np.zeros(len(idx.jobs))
        np.maximum.at(job_best, self._job_entry_job, entry[self._job_entries])
        for k in exclude:
            job_best[k] = 0.0
        if self.job_link_weight and len(self._link_job):
            via = np.zeros(n)
            np.maximum.at(via, self._link_fiche, job_best[self._link_job] * self._link_weight)
            # a fiche both titled like the text and linked by a matching job gains a little more
            best = np.maximum(best, self.job_link_weight * via) + 0.1 * self.job_link_weight * via
        return best, job_best

    def search(self, query: str, *, top: int = 5, jobs: int = 10,
               exclude: Collection[str] = (),
               vector: npt.NDArray[np.float32] | None = None) -> Answer:
        """The fiches and jobs ``query`` names, best first. ``vector`` is the query's embedding
        when the caller has it (``embed``, for a batch); otherwise it is made here."""
        if not query.strip():
            return Answer(query, [], reason="empty text")
        code = query.strip().upper()
        if ROME_CODE.match(code):
            return self._by_code(query, code, top, jobs)
        ws, repaired = self.read(query)
        answer = Answer(query, ws, repaired)
        if not ws:
            answer.reason = "no word to search (only numbers, grades or stop words)"
            return answer
        entry, fiche, job_best = self.scores(ws, exclude)
        skip = [self._job_pos[j] for j in exclude if j in self._job_pos]
        if float(fiche.max(initial=0.0)) <= 0 and float(job_best.max(initial=0.0)) <= 0:
            answer.reason = "no indexed title shares a word or a part of a word with the text"
            return answer
        lexical_jobs = job_best
        if self.uses_meaning:
            # meaning ranks what words found: a text that shares nothing with any title (above)
            # is not answered by the nearest embedding, which any string has
            if vector is None:
                vector = self.embed([query])[0]
            entry, fiche, job_best = self._with_meaning(entry, fiche, job_best, vector, skip)
        idx = self.index
        order = [int(i) for i in np.lexsort((np.arange(len(fiche)), -fiche))[:top]
                 if fiche[i] > 0]
        # scores are shown relative to the best fiche (or the best job label, without fiche)
        scale = float(fiche[order[0]]) if order else float(job_best.max())
        for i in order:
            a = int(self._fiche_starts[i])
            mine = range(a, a + int(self._fiche_sizes[i]))
            ranked = sorted(mine, key=lambda e: (-entry[e], idx.entries[e]))
            matched = [idx.entries[e] for e in ranked[:3] if entry[e] > 0.5 * entry[ranked[0]]
                       and entry[e] > 0]
            hit = FicheHit(idx.codes[i], idx.fiche_titles[i], round(float(fiche[i]) / scale, 3),
                           matched)
            hit.jobs = [idx.jobs[k].short for k in np.flatnonzero(lexical_jobs > 0.5)
                        if any(c == idx.codes[i] for c, _ in idx.jobs[k].links)]
            answer.fiches.append(hit)
        answer.jobs = self._jobs(entry, job_best, order, fiche, scale, jobs, skip)
        return answer

    def _by_code(self, query: str, code: str, top: int, jobs: int) -> Answer:
        """A ROME code names its fiche (M1607), or the fiches of a domaine (M16) or grand domaine
        (M), in code order, with the jobs linked to them."""
        idx = self.index
        answer = Answer(query, [code])
        found = [i for i, c in enumerate(idx.codes) if c.startswith(code)][:top]
        if not found:
            answer.reason = f"{code} is no ROME 4.0 fiche, domaine or grand domaine"
        for i in found:
            linked = [k for k, j in enumerate(idx.jobs) if any(c == idx.codes[i]
                                                             for c, _ in j.links)]
            answer.fiches.append(FicheHit(idx.codes[i], idx.fiche_titles[i], 1.0,
                                          [idx.codes[i]], [idx.jobs[k].short for k in linked]))
            for k in linked:
                if len(answer.jobs) < jobs and all(h.job is not idx.jobs[k] for h in answer.jobs):
                    answer.jobs.append(JobHit(idx.jobs[k], 1.0, "", [
                        (c, r) for c, r in idx.jobs[k].links if c == idx.codes[i]]))
        return answer

    def _jobs(self, entry: Vector, job_best: Vector, order: list[int], fiche: Vector,
              scale: float, limit: int, skip: Collection[int]) -> list[JobHit]:
        """Jobs by their own labels, then jobs linked to the first fiches, each scored on the
        scale of the fiches (1 = the best fiche)."""
        idx = self.index
        hits: dict[int, JobHit] = {}
        label_scale = max(float(job_best.max(initial=0.0)), scale)
        for k in np.flatnonzero(job_best >= 0.5 * label_scale).tolist():
            if k in skip or job_best[k] <= 0:
                continue
            mine = np.flatnonzero(idx.entry_job == k).tolist()
            best_label = max(mine, key=lambda e: (entry[e], -e))
            hits[k] = JobHit(idx.jobs[k], round(float(job_best[k]) / label_scale, 3),
                             matched=idx.entries[best_label])
        top_codes = {idx.codes[i]: float(fiche[i]) / scale for i in order[:3]}
        for k, j in enumerate(idx.jobs):
            if k in skip:
                continue
            via = [(c, r) for c, r in j.links if c in top_codes]
            if not via:
                continue
            linked = max(top_codes[c] * RELATION_WEIGHT.get(r, 0.5) for c, r in via)
            h = hits.get(k)
            if h is None:
                hits[k] = JobHit(j, round(0.8 * linked, 3), via=via)
            else:
                h.via = via
                h.score = round(max(h.score, 0.8 * linked), 3)
        ranked = sorted(hits.values(), key=lambda h: (-h.score, h.job.referential, h.job.label))
        return ranked[:limit]

    def suggester(self, spec: str, n: int) -> list[str]:
        """Job IRIs for "did you mean": the jobs the text names."""
        return [h.job.iri for h in self.search(spec, top=5, jobs=n).jobs]


def spread(cosines: npt.NDArray[np.float32]) -> Vector:
    """Cosines spread from the median's 0 to the highest's 1 (below the median: 0)."""
    s = cosines.astype(np.float64)
    if not len(s):
        return s
    mid, top = float(np.median(s)), float(s.max())
    if top <= mid:
        return np.zeros_like(s)
    return np.clip((s - mid) / (top - mid), 0.0, None)


def as_dict(answer: Answer) -> dict[str, Any]:
    """The answer as plain data (what the JSON output and the web application show)."""
    return {
        "text": answer.text, "words": answer.words,
        "repaired": [{"typed": a, "read_as": b} for a, b in answer.repaired],
        "fiches": [{"code": f.code, "title": f.title, "score": f.score, "matched": f.matched,
                    "jobs": f.jobs} for f in answer.fiches],
        "jobs": [{"job": h.job.iri, "id": h.job.short, "label": h.job.label,
                  "referential": h.job.referential, "level": h.job.level,
                  "national_level": h.job.national, "score": h.score,
                  "matched": h.matched or None,
                  "rome": [{"code": c, "relation": r} for c, r in h.via]}
                 for h in answer.jobs],
        "reason": answer.reason or None,
    }


__all__ = ["Answer", "Engine", "FicheHit", "JobHit", "as_dict", "spread", "text"]
