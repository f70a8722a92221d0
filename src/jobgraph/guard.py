"""The store's guards: one writer at a time (the lock), the database's files checked against what
the build wrote, failed writes said in words, and the memory ceiling of a querying command."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import math
import os
import resource
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .errors import ExternalError, UsageError

# what the guards say about the store (waits, taken-over locks): the command line shows notes
log = logging.getLogger("jobgraph.store")


class StoreBusy(ExternalError):
    """Another process holds the store's lock (a build) for longer than this one would wait."""


class StoreUnwritable(ExternalError):
    """The store folder cannot be written: read-only, full, or not ours."""


class StoreDamaged(ExternalError):
    """The live store cannot be read: a file of its database is missing or corrupted."""


# --- one writer at a time ------------------------------------------------------------------------

DEFAULT_LOCK_WAIT = 120.0  # seconds; a cold build of the shipped data takes 15-45 s, ×100 about 55


def lock_wait() -> float:
    """How long a second writer waits for the lock: ``$JOBGRAPH_LOCK_WAIT`` seconds, else 120."""
    text = os.environ.get("JOBGRAPH_LOCK_WAIT")
    if not text:
        return DEFAULT_LOCK_WAIT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and math.isfinite(value)):
        raise UsageError(f"JOBGRAPH_LOCK_WAIT must be a number of seconds (0 or more), "
                         f"got {text[:40]!r}")
    return value


def why_unwritable(exc: OSError) -> str:
    """The cause of a failed write in words (RocksDB's errors carry no errno, only text)."""
    text = str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in text \
            or "Disk quota" in text:
        return "no space left on the device"
    if exc.errno == errno.EROFS or "Read-only file system" in text:
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return "permission denied"
    if exc.strerror:
        return exc.strerror
    return text.splitlines()[0] if text else type(exc).__name__


def alive(pid: int) -> bool:
    """Whether the process ``pid`` runs (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(fd: int) -> dict[str, Any]:
    """Who the lock file says holds (or last held) the lock; {} when it says nothing readable."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _who(holder: dict[str, Any]) -> str:
    pid = holder.get("pid", "?")
    host = holder.get("host")
    since = holder.get("started")
    where = f" on {host}" if host and host != socket.gethostname() else ""
    when = f", since {since}" if since else ""
    return f"pid {pid}{where}{when}"


@contextmanager
def translating(root: Path) -> Iterator[None]:
    """OSErrors of writes in the folder ``root`` as one line naming it (StoreUnwritable)."""
    try:
        yield
    except OSError as exc:
        # a file outside the folder (the data, an output file) is the caller's business
        name = exc.filename if isinstance(exc.filename, str) else None
        if name and not Path(os.path.abspath(name)).is_relative_to(os.path.abspath(root)):
            raise
        raise StoreUnwritable(f"cannot write the store in {root}: "
                              f"{why_unwritable(exc)}; the previous store is unchanged"
                              ) from None


@contextmanager
def holding(lock: Path, *, wait: float) -> Iterator[None]:
    """Hold the lock file ``lock`` (in the store folder, its parent): one writer at a time.

    ``fcntl.flock``: the kernel releases it when its process ends, however it ends, so a killed
    build never leaves a lock that blocks the next one; the file says who holds it (pid, host,
    start time) for the message of a writer that waited ``wait`` seconds and gives up
    (StoreBusy). Write failures in the folder (read-only, full) become ``StoreUnwritable``.
    """
    root = lock.parent
    with translating(root):
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        deadline = time.monotonic() + wait
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"a build is running ({_who(holder)}) in {root}; waited "
                        f"{wait:g} s for it (JOBGRAPH_LOCK_WAIT sets how long)") from None
                if not waited:
                    log.warning("waiting for the build running in %s (%s), up to %g s",
                                root, _who(holder), wait)
                    waited = True
                time.sleep(0.1)
        left = _holder(fd)
        if left and not waited:
            # the holder's line is cleared on release: one still there is a writer that died
            reused = "" if left.get("host") != socket.gethostname() or not isinstance(
                left.get("pid"), int) or not alive(left["pid"]) else " (pid since reused)"
            log.warning("took over the lock of %s left by %s, which ended without "
                        "releasing it%s", root, _who(left), reused)
        with translating(root):
            me = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, me, 0)
        try:
            yield
        finally:
            with suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


# --- the database's files ------------------------------------------------------------------------

SMALL_FILE = 1 << 20  # files up to this size are hashed at every open; larger ones at each build


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in pieces (a database file may be large)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _db_files(db: Path) -> list[Path]:
    # RocksDB's LOCK and its text logs (LOG, LOG.old.*) are rewritten by any read-write open and
    # hold no data: they are not part of what is checked
    return sorted(p for p in db.iterdir()
                  if p.is_file() and p.name != "LOCK" and not p.name.startswith("LOG"))


def db_files(db: Path) -> dict[str, list[int | str]]:
    """Each file of a closed database: name -> [size, SHA-256] (what the manifest records)."""
    return {p.name: [p.stat().st_size, file_digest(p)] for p in _db_files(db)}


def check_db(db: Path, recorded: dict[str, Any], *, deep: bool) -> str | None:
    """What differs between the database's files and ``recorded`` (``db_files`` at build time), or
    None. Names and sizes always; contents of the small files (RocksDB's CURRENT, MANIFEST,
    OPTIONS, write-ahead logs), and of every file when ``deep``.

    RocksDB checks each block it reads against the block's checksum, so a corrupted byte in a
    large file that is not hashed at open still fails the query that reads it, never silently.
    """
    try:
        present = {p.name: p for p in _db_files(db)}
    except OSError as exc:
        return f"its database folder cannot be read ({exc.strerror or exc})"
    for name in sorted(set(recorded) - set(present)):
        return f"file db/{name} is missing"
    for name in sorted(set(present) - set(recorded)):
        return f"file db/{name} was not written by the build"
    for name, path in present.items():
        want = recorded[name]
        if not (isinstance(want, list) and len(want) == 2):
            return f"the manifest's entry of db/{name} is malformed"
        size, digest = want
        try:
            actual = path.stat().st_size
            if actual != size:
                return f"file db/{name} has {actual:,} bytes, the build wrote {size:,}"
            if (deep or actual <= SMALL_FILE) and file_digest(path) != digest:
                return f"file db/{name} does not hold what the build wrote (SHA-256 differs)"
        except OSError as exc:
            return f"file db/{name} cannot be read ({exc.strerror or exc})"
    return None


def manifest_check(manifest: dict[str, Any]) -> str:
    """The checksum a manifest carries of itself (under ``check``): SHA-256 of the rest."""
    body = {k: v for k, v in manifest.items() if k != "check"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# --- a memory ceiling for queries ----------------------------------------------------------------

DEFAULT_MEMORY_LIMIT = 4 << 30


def memory_limit() -> int:
    """Bytes a command that queries the store may hold: ``$JOBGRAPH_MEMORY_LIMIT`` (MB), else
    4 GB or half the machine's memory, whichever is smaller, and never under 1 GB.

    Measured (README, Reliability): a healthy stored query takes 60-130 MB on the shipped data,
    at most 629 MB at ×100 (benchmarks/README.md); ``rome suggest`` 316 MB when it makes its
    index. A damaged store once made a query grow to 24 GB.
    """
    text = os.environ.get("JOBGRAPH_MEMORY_LIMIT")
    if text:
        try:
            mb = int(text)
        except ValueError:
            mb = 0
        if mb <= 0:
            raise UsageError(f"JOBGRAPH_MEMORY_LIMIT must be a whole number of MB above 0, "
                             f"got {text[:40]!r}")
        return mb << 20
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return DEFAULT_MEMORY_LIMIT
    return max(1 << 30, min(DEFAULT_MEMORY_LIMIT, total // 2))


def resident_memory() -> int:
    """Bytes of memory this process holds now (its resident set; the peak where /proc is not
    there)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if os.uname().sysname == "Darwin" else peak * 1024


class MemoryWatch:
    """Calls ``on_exceed(bytes)`` once if the process holds more than ``limit`` bytes.

    A thread looks every ``every`` seconds: pyoxigraph releases the GIL while it evaluates a
    query (measured: a 100 s query left another Python thread running, gaps under 0.4 s), and
    an address-space rlimit would make the store's allocations abort without a message (Rust
    aborts when an allocation fails) and would be inherited by the OWL reasoner's JVM.
    """

    def __init__(self, limit: int, on_exceed: Callable[[int], None], *,
                 every: float = 0.05) -> None:
        self.limit = limit
        self.on_exceed = on_exceed
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="jobgraph-memory", daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            used = resident_memory()
            if used > self.limit:
                self.on_exceed(used)
                return

