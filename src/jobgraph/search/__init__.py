"""Free-text search: the ROME fiches and the referentials' jobs that a person's words name.

One engine serves ``jobgraph search`` (one text or a file of them), ``jobgraph rome suggest``
and the "did you mean" of every command that names a job. It reads what any backend returns
(the embedded store or a SPARQL endpoint) and keeps its index in the store's cache folder.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..backends import Backend
    from .engine import Engine


def manifest_key(manifest: dict[str, Any] | None) -> str | None:
    """A name for the embedded store's data: the content digests of its graphs (None when the
    store has no manifest, and the data must be read to be named)."""
    if not manifest or not manifest.get("digests"):
        return None
    return hashlib.sha256(json.dumps(manifest["digests"], sort_keys=True).encode()).hexdigest()


def open_engine(backend: Backend, cache_dir: Path | None, *, data_key: str | None = None,
                data_dir: Path | None = None, words_only: bool = False) -> Engine:
    """The engine over ``backend``'s data, its index read from ``cache_dir`` when it is there
    (built and written there otherwise, with the ROME vectors shipped in ``data_dir`` and the
    user's cache of embeddings); ``words_only`` ranks by words alone."""
    from .engine import Engine
    from .index import open_index
    from .vectors import Vectors

    index = open_index(backend, cache_dir, data_key=data_key,
                       vectors=Vectors.for_data(data_dir))
    return Engine(index, words_only=words_only)


__all__ = ["manifest_key", "open_engine"]
