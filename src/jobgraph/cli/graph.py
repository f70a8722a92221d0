"""The commands that make, check, compare and push the graph: build, validate, diff, push."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import common
from .common import EXIT_OK, EXIT_VIOLATIONS

if TYPE_CHECKING:
    from ..dataset import Description


def cmd_build(args: argparse.Namespace, out: TextIO) -> int:
    from ..build import build

    output = Path(args.output) if args.output else None
    result = build(common.data_dir(args), store_dir=common.store_dir(args), output=output,
                   fmt=args.format)
    for s in result.summaries:
        detail = f" ({s.detail})" if s.detail else ""
        out.write(f"{s.name}: {s.triples} triples{detail}\n")
    if result.derived:
        out.write(f"derived: {result.derived.get('triples', 0)} triples, "
                  f"{result.derived.get('made', '')} in {result.derived.get('seconds', 0):.1f} s\n")
    where = f", written to {result.output}" if result.output else ""
    out.write(f"built {result.triples} triples in {len(result.summaries)} graphs in "
              f"{result.seconds:.1f} s{where}; store {result.store_dir}\n")
    if result.about is not None:
        _print_description(result.about, out)
    return EXIT_OK


def _print_description(about: Description, out: TextIO) -> None:
    """What the dataset graph says: version, date, builder, and each source."""
    out.write(f"dataset {about.version}, issued {about.issued or 'undated'}, built by "
              f"{about.builder}; sources:\n")
    for s in about.sources:
        bits = [s.version and f"version {s.version}", s.issued and s.issued.isoformat(),
                s.publisher, s.licence_name or s.rights]
        detail = ", ".join(str(b) for b in bits if b)
        out.write(f"  {s.title}" + (f" ({detail})" if detail else "") + "\n")


def cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    from ..report import render

    if args.endpoint:
        from ..remote import safe_url
        from ..validate import validate_backend

        backend = common.endpoint_backend(args)
        report = validate_backend(backend, where=safe_url(args.endpoint),
                                  graphs=len(backend.graphs()),
                                  data_dir=Path(args.data) if args.data else None)
    else:
        from ..validate import validate

        report = validate(common.data_dir(args), store_dir=common.store_dir(args),
                          reason=not args.no_reason)
    colour = args.output is None and out.isatty() and args.format == "text"
    common.emit(render(report, args.format, lang=args.lang, colour=colour, fail_on=args.fail_on,
                       show_accepted=args.show_accepted), args.output, out)
    return EXIT_OK if report.conforms(args.fail_on) else EXIT_VIOLATIONS


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    """What changed from OLD to NEW and what it breaks; exit 0 either way (a diff is no verdict),
    2 when the sides cannot be read or compared."""
    from ..diff import diff
    from ..diff.render import code_map, render
    from ..workspace import Workspace

    # a build's cached ROME graph is read when there is one; nothing is written to the store
    cache = Workspace(common.store_dir(args)).cache
    result = diff(args.old, args.new, git=args.git, cache_dirs=[cache] if cache.is_dir() else [],
                  queries=not args.no_queries)
    common.emit(render(result, args.format), args.output, out)
    if args.map:
        from ..workspace import atomic_write

        atomic_write(Path(args.map), code_map(result))
    return EXIT_OK


class _Bar:
    """A one-line progress bar for a terminal."""

    def __init__(self, out: TextIO, at_least: int) -> None:
        self.out = out
        self.at_least = at_least
        self.shown = False

    def __call__(self, name: str, done: int, total: int) -> None:
        if total < self.at_least:
            return
        width = 30
        filled = int(width * done / total) if total else width
        self.out.write(f"\r  {name} [{'#' * filled}{'.' * (width - filled)}] "
                       f"{done:,}/{total:,} triples")
        self.out.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.out.write("\r\033[K")
            self.shown = False


def cmd_push(args: argparse.Namespace, out: TextIO) -> int:
    """Build the store if needed, then replace each graph on the server."""
    from ..build import ensure_store
    from ..remote import (
        DEFAULT_TIMEOUT,
        PROGRESS_MIN_TRIPLES,
        Endpoint,
        Pusher,
        safe_url,
        store_graphs,
    )
    from ..workspace import Workspace

    endpoint = Endpoint(args.endpoint, update=args.update_endpoint, gsp=args.gsp_endpoint,
                        user=args.user, password=common.password(args),
                        timeout=args.timeout or DEFAULT_TIMEOUT)
    db, _ = ensure_store(common.data_dir(args), common.store_dir(args))
    graphs = store_graphs(db, manifest=Workspace(common.store_dir(args)).read_manifest())
    total = sum(g.triples for g in graphs)
    bar = _Bar(out, PROGRESS_MIN_TRIPLES) if out.isatty() else None
    pusher = Pusher(endpoint, progress=bar)
    how = "Graph Store Protocol" if endpoint.gsp else "SPARQL Update"
    out.write(f"pushing {len(graphs)} graphs ({total:,} triples) to "
              f"{safe_url(endpoint.query)} by {how}\n")
    try:
        result = pusher.push(graphs)
    finally:
        if bar is not None:
            bar.clear()
    for p in result.graphs:
        out.write(f"{p.name}: {p.triples} triples in {p.seconds:.1f} s ({p.method})\n")
    for iri in result.removed:
        out.write(f"removed {iri} (not in the data any more)\n")
    if result.swapped:
        out.write(f"swapped in {result.swapped} graph(s) in one request in "
                  f"{result.swap_seconds:.1f} s\n")
    if result.checkpoint_seconds is not None:
        out.write(f"checkpoints written by the server, before and after the swap, in "
                  f"{result.checkpoint_seconds:.1f} s\n")
    for note in result.notes:
        out.write(f"note: {note}\n")
    out.write(f"pushed {result.triples} triples in {len(result.graphs)} graphs in "
              f"{result.seconds:.1f} s\n")
    return EXIT_OK
