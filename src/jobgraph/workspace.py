"""The store folder: its layout, manifest, freshness against the data, the fingerprint, checked
cache files and atomic writes (its lock and the checks of its files are in ``guard``).

A store folder (``.jobgraph`` by default) holds::

    store/db/            the live pyoxigraph database
    store/manifest.json  what it was built from (fingerprint, graph digests and counts), the size
                         and SHA-256 of each file of db/, and a checksum of itself
    cache/               ROME's converted graph, the OWL check's results, the search index; each
                         file with a ``.sum`` beside it (size and SHA-256), checked before use
    lock                 held by the one process that writes the store (pid, host, start inside)
    damaged              left by a reader that could not read the live store: rebuild it
    store-new-*/         a build in progress (swapped in as store/ when complete)
    store-old-*/         the previous store, during the swap

No other module spells these names.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__
from .guard import (
    alive,
    check_db,
    db_files,
    holding,
    lock_wait,
    manifest_check,
    translating,
    why_unwritable,
)
from .resources import resource_dir

PACKAGE_DIR = Path(__file__).resolve().parent
LIVE, DB, MANIFEST, CACHE, NEW_PREFIX, OLD_PREFIX = (
    "store", "db", "manifest.json", "cache", "store-new-", "store-old-")
LOCK, DAMAGED, SUM, PART = "lock", "damaged", ".sum", ".part"

# What the store folder says about itself (repairs, waits, damaged caches): the library does not
# print, the command line shows these as notes.
log = logging.getLogger("jobgraph.store")


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never a half.

    The temporary file is named ``.<name>.<pid>.<random>.part``: a build removes those whose
    process is gone (a killed writer), and only those.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.",
                               suffix=PART)
    try:
        # mkstemp creates the file 0600: give it the mode a plain open() would (umask applied)
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- what the store is made from -----------------------------------------------------------------

def _imports(path: Path, package: Path) -> set[Path]:
    """The package's own modules that the module at ``path`` imports (relative or absolute)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = path.parent
    names: set[Path] = set()
    for node in ast.walk(tree):
        bases: list[Path] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = base.parent
            elif node.module and node.module.split(".")[0] == package.name:
                base = package.parent
            else:
                continue
            parts = node.module.split(".") if node.module else []
            target = base.joinpath(*parts)
            bases.append(target)
            bases += [target / alias.name for alias in node.names]  # from . import x
        elif isinstance(node, ast.Import):
            bases += [package.parent.joinpath(*a.name.split(".")) for a in node.names
                      if a.name.split(".")[0] == package.name]
        for b in bases:
            for candidate in (b.with_suffix(".py"), b / "__init__.py"):
                if candidate.is_file() and package in candidate.resolve().parents:
                    names.add(candidate.resolve())
                    # importing a.b.c runs the __init__ of every package on the way
                    for parent in candidate.resolve().parents:
                        if parent == package.resolve():
                            break
                        if (parent / "__init__.py").is_file():
                            names.add((parent / "__init__.py").resolve())
    return names


def module_closure(entry: Path, package: Path = PACKAGE_DIR) -> list[Path]:
    """``entry`` and every module of ``package`` it imports, directly or not, sorted: what code a
    graph made by ``entry`` depends on, with no hand-kept list to forget a new module in."""
    seen: set[Path] = set()
    todo = [entry.resolve()]
    init = package / "__init__.py"
    if init.is_file():
        todo.append(init.resolve())
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(_imports(p, package) - seen)
    return sorted(seen)


@lru_cache(maxsize=8)
def converter_modules(entry: str = "build") -> tuple[Path, ...]:
    """The modules that make the graph: ``build.py`` and all it imports (not the queries, search,
    reports or web)."""
    return tuple(module_closure(PACKAGE_DIR / f"{entry}.py"))


def content_hash(paths: list[Path]) -> str:
    """A short digest of the files' names and bytes (and of jobgraph's version)."""
    h = hashlib.sha256(__version__.encode())
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:20]


def _inputs(data_dir: Path) -> list[Path]:
    out = [p for p in sorted(data_dir.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    # what the store holds depends on the ontology, not on the shapes or queries
    out += sorted(p for p in resource_dir("ontology").rglob("*") if p.is_file())
    # the converter's own code: a fixed converter must not leave a stale store behind
    out += list(converter_modules())
    # and the queries the derived graph is made by (derive.py)
    out += sorted(resource_dir("queries").glob("internal/derive-*.rq"))
    return out


def input_digest(data_dir: Path) -> str:
    """What a store is built from: every data, ontology and converter file's path, size, mtime."""
    h = hashlib.sha256(__version__.encode())
    for p in _inputs(data_dir):
        st = p.stat()
        h.update(f"{p.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


# --- checked cache files -------------------------------------------------------------------------

def _sum_path(path: Path) -> Path:
    return path.with_name(path.name + SUM)


def write_cache(path: Path, data: bytes) -> bool:
    """Keep ``data`` in the cache file ``path``, with its size and SHA-256 beside it (``.sum``).

    A cache is an optimisation: a folder that cannot take it (read-only, full) gets a note, not
    an error, and the caller goes on with the data it made. Returns whether it was written.
    """
    try:
        atomic_write(path, data)
        atomic_write(_sum_path(path), json.dumps(
            {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}))
        return True
    except OSError as exc:
        log.warning("could not keep the cache file %s (%s); it is made again next time",
                    path, exc.strerror or exc)
        return False


def read_cache(path: Path) -> bytes | None:
    """The bytes of the cache file ``path`` when they are those written (size and SHA-256 of its
    ``.sum``), else None: a truncated or altered cache is made again, never trusted."""
    if not path.exists():
        return None
    try:
        data = path.read_bytes()
        recorded = json.loads(_sum_path(path).read_text(encoding="utf-8"))
        size, digest = int(recorded["size"]), str(recorded["sha256"])
    except (OSError, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, FileNotFoundError):
            log.info("cache file %s has no checksum beside it: made again", path)
        else:
            log.warning("cache file %s cannot be checked (%s): made again", path, exc)
        return None
    if len(data) != size:
        log.warning("cache file %s has %s bytes, %s were written (truncated or altered): "
                    "made again", path, f"{len(data):,}", f"{size:,}")
        return None
    if hashlib.sha256(data).hexdigest() != digest:
        log.warning("cache file %s does not hold what was written (SHA-256 differs): made again",
                    path)
        return None
    return data


# --- the folder ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Workspace:
    """A store folder: where the live database, its manifest and the caches are."""

    root: Path

    @property
    def live(self) -> Path:
        return self.root / LIVE

    @property
    def db(self) -> Path:
        return self.live / DB

    @property
    def manifest_path(self) -> Path:
        return self.live / MANIFEST

    @property
    def cache(self) -> Path:
        return self.root / CACHE

    def _manifest(self, store: Path | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """The manifest of ``store`` (the live one by default) when it can be trusted, else why
        not (None, None: no store)."""
        store = store or self.live
        if not store.exists():
            return None, None
        try:
            text = (store / MANIFEST).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, "its manifest.json is missing"
        except (OSError, UnicodeDecodeError) as exc:
            return None, f"its manifest.json cannot be read ({exc})"
        try:
            data = json.loads(text)
        except ValueError as exc:
            return None, f"its manifest.json is not valid JSON ({exc})"
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict) \
                or "check" not in data:
            return None, ("its manifest.json does not list the store's files (made by an older "
                          "jobgraph, or altered)")
        if data["check"] != manifest_check(data):
            return None, "its manifest.json was altered after the build (its checksum differs)"
        return data, None

    def read_manifest(self) -> dict[str, Any] | None:
        """The live store's manifest, or None when there is no store or its manifest cannot be
        trusted (``damage`` says why)."""
        return self._manifest()[0]

    def damage(self, *, deep: bool = False) -> str | None:
        """Why the live store cannot be trusted, or None (also when there is no store).

        Cheap enough for every open: the manifest's own checksum, the database's file names and
        sizes, the contents of its small files; ``deep`` hashes every file (a build, before it
        copies the store, reads ~0.2 s per 100 MB).
        """
        return self._damage(self.live, deep=deep)

    def _damage(self, store: Path, *, deep: bool) -> str | None:
        manifest, why = self._manifest(store)
        if manifest is None:
            return why
        found = check_db(store / DB, manifest["files"], deep=deep)
        if found or store != self.live:
            return found
        marker = self._marker()
        if marker.get("store") == manifest["check"]:
            return f"a reader could not read it ({marker.get('reason', 'no reason given')})"
        return None

    def _marker(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / DAMAGED).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def mark_damaged(self, reason: str) -> None:
        """Record that the live store could not be read, so that the next command rebuilds it
        (a reader writes this beside the store, never into it)."""
        manifest = self.read_manifest()
        if manifest is None:
            return  # already seen as damaged, or no store
        try:
            atomic_write(self.root / DAMAGED,
                         json.dumps({"store": manifest["check"], "reason": reason[:500]}))
        except OSError as exc:
            log.warning("could not record in %s that the store is damaged (%s)", self.root,
                        why_unwritable(exc))

    def is_fresh(self, data_dir: Path) -> bool:
        """True when the live store was built from the current files of ``data_dir`` and its
        files are those the build wrote (``damage``)."""
        manifest = self.read_manifest()
        return bool(manifest and manifest.get("fingerprint") == input_digest(data_dir)
                    and self.damage() is None)

    @contextmanager
    def writing(self, *, wait: float | None = None) -> Iterator[None]:
        """Hold the store's lock while writing the store: one writer at a time (``guard.holding``:
        a second writer waits ``wait`` seconds, ``lock_wait()`` when None, then raises StoreBusy);
        what killed builds left is cleared first. Readers of a fresh store take no lock."""
        with holding(self.root / LOCK, wait=lock_wait() if wait is None else wait):
            self._remove_leftovers()
            yield

    def translating(self) -> AbstractContextManager[None]:
        """OSErrors of writes in the store folder as one line naming it (StoreUnwritable)."""
        return translating(self.root)

    def _remove_leftovers(self) -> None:
        """What killed builds left: an unfinished swap is completed, store-new-*/store-old-*
        folders and the temporary files of dead writers are removed (under the lock: no other
        build is running)."""
        if not self.live.exists():
            self._restore()
        removed: list[str] = []
        for path in sorted(self.root.glob(f"{NEW_PREFIX}*")) + sorted(
                self.root.glob(f"{OLD_PREFIX}*")):
            removed.append(f"{path.name} ({_size(path) / 1e6:.1f} MB)")
            shutil.rmtree(path, ignore_errors=True)
        for folder in (self.root, self.cache):
            for path in sorted(folder.glob(f".*{PART}")) if folder.is_dir() else []:
                pid = path.name.removesuffix(PART).rsplit(".", 2)[-2]
                if pid.isdigit() and int(pid) != os.getpid() and alive(int(pid)):
                    continue  # a reader still writing its cache file
                removed.append(f"{path.relative_to(self.root)} "
                               f"({_size(path) / 1e6:.1f} MB)")
                path.unlink(missing_ok=True)
        if removed:
            log.warning("removed what an interrupted build left in %s: %s", self.root,
                        ", ".join(removed))

    def _restore(self) -> None:
        """A build killed between the two renames of ``swap_in`` left no live store: the
        complete store beside it (the new one, else the old) becomes live again."""
        for candidate in sorted(self.root.glob(f"{NEW_PREFIX}*")) + sorted(
                self.root.glob(f"{OLD_PREFIX}*")):
            if not (candidate / MANIFEST).exists():
                continue  # a build killed before it finished writing
            if self._damage(candidate, deep=True) is None:
                os.replace(candidate, self.live)
                log.warning("restored the store an interrupted build left in %s", candidate)
                return

    def new_store(self) -> Path:
        """A fresh folder beside the live store for a build to fill (``swap_in`` or discard)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=self.root, prefix=NEW_PREFIX))

    def write_manifest(self, store: Path, manifest: dict[str, Any]) -> None:
        """The manifest of the store at ``store`` (closed): ``manifest`` with the size and SHA-256
        of each database file and a checksum of the whole."""
        data = dict(manifest, files=db_files(store / DB))
        data["check"] = manifest_check(data)
        atomic_write(store / MANIFEST, json.dumps(data, indent=1, sort_keys=True))

    def swap_in(self, new: Path) -> None:
        """Make ``new`` (from ``new_store``) the live store; the old one is removed after."""
        old = self.root / f"{OLD_PREFIX}{os.getpid()}"
        if self.live.exists():
            os.replace(self.live, old)
        os.replace(new, self.live)
        (self.root / DAMAGED).unlink(missing_ok=True)
        shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def discard(new: Path) -> None:
        shutil.rmtree(new, ignore_errors=True)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for p in path.rglob("*"):
        with suppress(OSError):
            total += p.stat().st_size if p.is_file() else 0
    return total


__all__ = ["Workspace", "atomic_write", "content_hash", "converter_modules", "input_digest",
           "module_closure", "read_cache", "write_cache"]
