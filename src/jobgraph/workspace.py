"""The store folder: its layout, manifest, freshness against the data, and atomic writes.

A store folder (``.jobgraph`` by default) holds::

    store/db/            the live pyoxigraph database
    store/manifest.json  what it was built from (fingerprint, graph digests and counts)
    cache/               ROME's converted graph, the OWL check's results, the search index
    store-new-*/         a build in progress (swapped in as store/ when complete)

No other module spells these names.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__
from .resources import resource_dir

PACKAGE_DIR = Path(__file__).resolve().parent
LIVE, DB, MANIFEST, CACHE, NEW_PREFIX, OLD_PREFIX = (
    "store", "db", "manifest.json", "cache", "store-new-", "store-old-")


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never a half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
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
    return out


def fingerprint(data_dir: Path) -> str:
    """What a store is built from: every data, ontology and converter file's path, size, mtime."""
    h = hashlib.sha256(__version__.encode())
    for p in _inputs(data_dir):
        st = p.stat()
        h.update(f"{p.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


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

    def read_manifest(self) -> dict[str, Any] | None:
        """The live store's manifest, or None when there is no store."""
        if not self.manifest_path.exists():
            return None
        data: dict[str, Any] = json.loads(self.manifest_path.read_text())
        return data

    def is_fresh(self, data_dir: Path) -> bool:
        """True when the live store was built from the current files of ``data_dir``."""
        manifest = self.read_manifest()
        return bool(manifest and manifest.get("fingerprint") == fingerprint(data_dir))

    def new_store(self) -> Path:
        """A fresh folder beside the live store for a build to fill (``swap_in`` or discard)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=self.root, prefix=NEW_PREFIX))

    def write_manifest(self, store: Path, manifest: dict[str, Any]) -> None:
        (store / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))

    def swap_in(self, new: Path) -> None:
        """Make ``new`` (from ``new_store``) the live store; the old one is removed after."""
        old = self.root / f"{OLD_PREFIX}{os.getpid()}"
        if self.live.exists():
            os.replace(self.live, old)
        os.replace(new, self.live)
        shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def discard(new: Path) -> None:
        shutil.rmtree(new, ignore_errors=True)


__all__ = ["Workspace", "atomic_write", "content_hash", "converter_modules", "fingerprint",
           "module_closure"]
