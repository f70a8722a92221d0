"""The job-title index of a store: made at build time from every job's title, kept in the store's
cache folder under the key the derived graph names, read by the answers in a few milliseconds.

The index is a sparse TF-IDF matrix (``equivalence.TitleIndex``): a job's similarities depend on
every title through the IDF, so it is made whole, not per referential. In the cache folder it is
``titles-<key>.npz`` (the matrix) and ``titles-<key>.json`` (the jobs and titles it was made
of, which the next build reuses for the referentials that did not change), each checked by size
and SHA-256 (``workspace.read_cache``). Without the file (a server, a store copied without its
cache), the answers make it again from the titles the graph holds.
"""

from __future__ import annotations

import io
import json
import weakref
from pathlib import Path
from typing import Any

from ..backends import Backend
from ..workspace import read_cache, write_cache
from .equivalence import TitleIndex


def _paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    return cache_dir / f"titles-{key}.npz", cache_dir / f"titles-{key}.json"


def read_titles(cache_dir: Path | None, key: str) -> list[tuple[str, str]] | None:
    """The (job, title) pairs an index kept under ``key`` was made of; None when not kept."""
    if cache_dir is None or not key:
        return None
    data = read_cache(_paths(cache_dir, key)[1])
    if data is None:
        return None
    return [(str(j), str(t)) for j, t in json.loads(data)]


def save_titles(cache_dir: Path, key: str, titles: list[tuple[str, str]]) -> TitleIndex:
    """Make the index of ``titles`` and keep it under ``key`` (unless it is kept already)."""
    found = load_index(cache_dir, key)
    if found is not None:
        return found
    index = TitleIndex(titles=titles)
    cache_dir.mkdir(parents=True, exist_ok=True)
    matrix_path, titles_path = _paths(cache_dir, key)
    if index.matrix is not None:
        import numpy as np

        m = index.matrix.tocsr()
        buffer = io.BytesIO()
        np.savez(buffer, data=m.data, indices=m.indices, indptr=m.indptr,
                 shape=np.array(m.shape))
        if write_cache(matrix_path, buffer.getvalue()):
            write_cache(titles_path, json.dumps(titles, ensure_ascii=False).encode("utf-8"))
    return index


def load_index(cache_dir: Path | None, key: str) -> TitleIndex | None:
    """The index kept under ``key``, or None."""
    if cache_dir is None or not key:
        return None
    matrix_path, titles_path = _paths(cache_dir, key)
    raw = read_cache(matrix_path)
    listed = read_cache(titles_path) if raw is not None else None
    if raw is None or listed is None:
        return None
    import numpy as np
    from scipy.sparse import csr_matrix

    arrays = np.load(io.BytesIO(raw))
    matrix = csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]),
                        shape=tuple(int(x) for x in arrays["shape"]))
    jobs = [str(j) for j, _ in json.loads(listed)]
    return TitleIndex.of_matrix(jobs, matrix)


_INDEXES: weakref.WeakKeyDictionary[Any, dict[str, TitleIndex]] = weakref.WeakKeyDictionary()


def index_for(backend: Backend, lang: str = "fr") -> TitleIndex:
    """The title index of the graph behind ``backend``, in ``lang``: the one its build kept when
    the derived graph names it and the cache folder has it, else made from the graph's titles
    (and kept, when the backend has a cache folder)."""
    from ..derive import job_titles, marker, titles_key

    try:
        per = _INDEXES.setdefault(backend, {})
    except TypeError:
        per = {}
    if lang in per:
        return per[lang]
    workspace = getattr(backend, "workspace", None)
    cache_dir: Path | None = workspace.cache if workspace is not None else None
    key = marker(backend).get(f"title:{lang}", "")
    index = load_index(cache_dir, key)
    if index is None:
        titles = job_titles(backend, lang)
        if cache_dir is not None and key and titles_key(titles) == key:
            index = save_titles(cache_dir, key, titles)
        else:
            index = TitleIndex(titles=titles)
    per[lang] = index
    return index


__all__ = ["index_for", "load_index", "read_titles", "save_titles"]
