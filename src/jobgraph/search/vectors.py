"""The embeddings of indexed texts kept between index builds: the ROME vectors shipped with the
ROME files they embed (data/rome/search-vectors.npz, made once per ROME version) and a cache
folder shared by all the user's stores, both looked up by a hash of the model and the text.

Embedding ROME's 16,300 titles takes minutes on two cores; a new store (every fresh clone, every
test run) would pay it again. The shipped file holds ROME's; the cache folder holds the rest
(the referentials' labels, another ROME version) once made on this machine. Rows are kept as
signed bytes with a scale a row (a cosine within 0.002 of the float one; on the dev titles the
same ranking, 0.606 / 0.806 instead of 0.604 / 0.806), a quarter of the floats' size; the index
is made from these rows whether they were just embedded or found, so it is the same either way.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..workspace import read_cache, write_cache
from . import meaning

log = logging.getLogger(__name__)

ENV = "JOBGRAPH_VECTOR_CACHE"
SHIPPED = "search-vectors.npz"  # in data/rome/
KEY_BYTES = 16
# shards of the cache folder beyond which they are merged into one
MAX_SHARDS = 8

Rows = npt.NDArray[np.int8]
Scales = npt.NDArray[np.float32]


def folder() -> Path | None:
    """The cache folder: ``$JOBGRAPH_VECTOR_CACHE`` (``off``: none), else
    ``$XDG_CACHE_HOME/jobgraph/vectors``, else ``~/.cache/jobgraph/vectors``."""
    chosen = os.environ.get(ENV, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "jobgraph" / "vectors"


def shipped(data_dir: Path | None) -> list[Path]:
    """The vectors shipped with the ROME files of ``data_dir`` (``rome/search-vectors.npz``)."""
    if data_dir is None or not (data_dir / "rome" / SHIPPED).is_file():
        return []
    return [data_dir / "rome" / SHIPPED]


def key(model: str, text: str) -> bytes:
    """The key of ``text``'s embedding by ``model``."""
    return hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=KEY_BYTES).digest()


def quantize(matrix: npt.NDArray[np.float32]) -> tuple[Rows, Scales]:
    """Rows of signed bytes and a scale a row (the row's largest magnitude over 127)."""
    m = np.asarray(matrix, dtype=np.float32)
    scales = np.abs(m).max(axis=1) / 127 if len(m) else np.zeros(0, dtype=np.float32)
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    rows = np.clip(np.rint(m / scales[:, None]), -127, 127).astype(np.int8)
    return rows, scales


def floats(rows: Rows, scales: Scales) -> npt.NDArray[np.float32]:
    """The float rows that ``quantize`` kept."""
    out: npt.NDArray[np.float32] = rows.astype(np.float32)
    out *= scales[:, None]  # in place: a second matrix of floats would add 26 MB to the peak
    return out


@dataclass
class Table:
    """Embeddings by key: what a shipped file or a cache shard holds."""

    model: str
    keys: npt.NDArray[np.uint8]  # (n, KEY_BYTES)
    rows: Rows  # (n, DIM)
    scales: Scales  # (n,)

    def to_bytes(self) -> bytes:
        """An uncompressed .npz (no pickle), rows sorted by key: same vectors, same bytes."""
        order = np.lexsort(self.keys.T[::-1]) if len(self.keys) else np.zeros(0, dtype=np.intp)
        buf = io.BytesIO()
        np.savez(buf, model=np.frombuffer(self.model.encode(), dtype=np.uint8),
                 keys=self.keys[order], rows=self.rows[order], scales=self.scales[order])
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Table:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            table = cls(bytes(z["model"]).decode(), z["keys"], z["rows"], z["scales"])
        n = len(table.keys)
        if (table.keys.dtype != np.uint8 or table.keys.shape != (n, KEY_BYTES)
                or table.rows.dtype != np.int8 or table.rows.shape != (n, meaning.DIM)
                or table.scales.dtype != np.float32 or table.scales.shape != (n,)):
            raise ValueError("not a table of embeddings")
        return table


class Vectors:
    """The embeddings known for one model: shipped files, then the cache folder; ``add`` writes
    new ones to the cache folder."""

    def __init__(self, model: str, *, shipped: Sequence[Path] = (),
                 cache: Path | None = None) -> None:
        self.model = model
        self.shipped = list(shipped)
        self.cache = cache
        self._lock = threading.Lock()

    @classmethod
    def for_data(cls, data_dir: Path | None) -> Vectors:
        """The vectors of the current model: those shipped in ``data_dir`` and the user's cache
        folder."""
        return cls(meaning.model_id(), shipped=shipped(data_dir), cache=folder())

    @property
    def _shards(self) -> Path | None:
        if self.cache is None:
            return None
        return self.cache / hashlib.sha256(self.model.encode()).hexdigest()[:16]

    def _tables(self) -> Iterable[Table]:
        for path in self.shipped:
            try:
                table = Table.from_bytes(path.read_bytes())
            except (OSError, ValueError, KeyError) as exc:
                log.warning("the ROME vectors %s cannot be read (%s): ROME's titles are embedded "
                            "instead (minutes)", path, exc)
                continue
            if table.model != self.model:
                log.warning("the ROME vectors %s were made by %s, not %s: ROME's titles are "
                            "embedded instead (minutes, once: then kept in %s); "
                            "scripts/rome-vectors makes them again", path, table.model,
                            self.model, self._shards or "no cache folder")
                continue
            yield table
        shards = self._shards
        if shards is None or not shards.is_dir():
            return
        for path in sorted(shards.glob("*.npz")):
            data = read_cache(path)
            if data is None:  # damaged or gone: read_cache has said which, if it was there
                continue
            try:
                table = Table.from_bytes(data)
            except (ValueError, KeyError, OSError):
                continue
            if table.model == self.model:
                yield table

    def find(self, texts: Sequence[str]) -> tuple[Rows, Scales, list[int]]:
        """The rows of ``texts`` found (zero where missing) and the positions of the missing."""
        wanted: dict[bytes, list[int]] = {}
        for n, t in enumerate(texts):
            wanted.setdefault(key(self.model, t), []).append(n)
        rows = np.zeros((len(texts), meaning.DIM), dtype=np.int8)
        scales = np.zeros(len(texts), dtype=np.float32)
        found = np.zeros(len(texts), dtype=bool)
        for table in self._tables():
            for i, k in enumerate(map(bytes, table.keys)):
                at = wanted.pop(k, None)
                if at is not None:
                    rows[at], scales[at], found[at] = table.rows[i], table.scales[i], True
            if not wanted:
                break
        return rows, scales, [int(n) for n in np.flatnonzero(~found)]

    def add(self, texts: Sequence[str], rows: Rows, scales: Scales) -> None:
        """Keep ``texts``' rows in the cache folder (a note, not an error, when it cannot)."""
        shards = self._shards
        if shards is None or not len(texts):
            return
        keys = np.frombuffer(b"".join(key(self.model, t) for t in texts),
                             dtype=np.uint8).reshape(len(texts), KEY_BYTES)
        data = Table(self.model, keys, rows, scales).to_bytes()
        with self._lock:
            try:
                shards.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                log.warning("could not keep the embeddings in %s (%s)", shards,
                            exc.strerror or exc)
                return
            if not write_cache(shards / f"{hashlib.sha256(data).hexdigest()[:20]}.npz", data):
                return
            self._merge(shards)

    def _merge(self, shards: Path) -> None:
        """Merge the shards into one when there are more than ``MAX_SHARDS`` (each build of new
        data writes one)."""
        paths = sorted(shards.glob("*.npz"))
        if len(paths) <= MAX_SHARDS:
            return
        tables = []
        for p in paths:
            data = read_cache(p)
            with contextlib.suppress(ValueError, KeyError, OSError):
                if data is not None:
                    tables.append(Table.from_bytes(data))
        if not tables:
            return
        keys = np.concatenate([t.keys for t in tables])
        _, first = np.unique(keys, axis=0, return_index=True)
        merged = Table(self.model, keys[first], np.concatenate([t.rows for t in tables])[first],
                       np.concatenate([t.scales for t in tables])[first]).to_bytes()
        target = shards / f"{hashlib.sha256(merged).hexdigest()[:20]}.npz"
        if not write_cache(target, merged):
            return
        for p in paths:
            if p != target:
                with contextlib.suppress(OSError):
                    p.unlink()
                with contextlib.suppress(OSError):
                    p.with_name(p.name + ".sum").unlink()


def embeddings(texts: Sequence[str], store: Vectors | None) -> tuple[Rows, Scales]:
    """The rows of ``texts``: found in ``store``, the others embedded (on the worker threads)
    and added to it. Unavailable (meaning.py) when some must be embedded and cannot be."""
    if store is None:
        store = Vectors.for_data(None)
    rows, scales, missing = store.find(texts)
    todo = list(dict.fromkeys(texts[k] for k in missing))
    if todo:
        made_rows, made_scales = quantize(meaning.embed(todo))
        store.add(todo, made_rows, made_scales)
        at = {t: i for i, t in enumerate(todo)}
        for k in missing:
            rows[k], scales[k] = made_rows[at[texts[k]]], made_scales[at[texts[k]]]
    return rows, scales


def write_shipped(path: Path, texts: Sequence[str], rows: Rows, scales: Scales) -> None:
    """Write the vectors of ``texts`` as a shipped file (``scripts/rome-vectors``)."""
    model = meaning.model_id()
    at: dict[str, int] = {}
    for k, t in enumerate(texts):
        at.setdefault(t, k)
    keys = np.frombuffer(b"".join(key(model, t) for t in at),
                         dtype=np.uint8).reshape(len(at), KEY_BYTES)
    pick = list(at.values())
    path.write_bytes(Table(model, keys, rows[pick], scales[pick]).to_bytes())


__all__ = ["ENV", "SHIPPED", "Table", "Vectors", "embeddings", "floats", "folder", "key",
           "quantize", "shipped", "write_shipped"]
