"""The command line: turns the library's answers into text, files and exit codes (with the web
application, the only place that prints). This module holds ``main``, the parser and the mapping
of errors to exit codes; one module per group of commands (``graph``, ``ask``, ``search``,
``serve``), and what they share in ``common``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from .. import __version__
from ..errors import DataError, JavaMissing, JobgraphError, UsageError
from . import ask, graph, search, serve
from .common import EXIT_EXTERNAL, EXIT_INPUT, EXIT_OK, EXIT_VIOLATIONS

__all__ = ["EXIT_EXTERNAL", "EXIT_INPUT", "EXIT_OK", "EXIT_VIOLATIONS", "main", "parser"]


# --- parser --------------------------------------------------------------------------------------


def _positive(text: str) -> float:
    """A --timeout: a finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jobgraph", description="Knowledge graph of French job "
                                "referentials: build, validate, query.")
    p.add_argument("--version", action="version", version=f"jobgraph {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--data", help="folder of curated referentials (default ./data)")
        sp.add_argument("--store", help="folder of the embedded store (default .jobgraph, "
                        "or $JOBGRAPH_STORE)")

    def remote(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--endpoint", help="SPARQL endpoint URL (default: the embedded store)")
        sp.add_argument("--user", help="user name for the endpoint")
        sp.add_argument("--password-env", help="environment variable holding the password")
        sp.add_argument("--timeout", type=_positive,
                        help="seconds to wait for the endpoint (default 60)")

    def lang(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--lang", choices=("fr", "en"), default="fr")

    b = sub.add_parser("build", help="convert the curated data to RDF and fill the store")
    common(b)
    b.add_argument("-o", "--output", help="also write the graph to FILE")
    b.add_argument("--format", choices=("trig", "nquads", "turtle", "jsonld"),
                   help="format of FILE (default from its extension, else trig)")
    b.set_defaults(func=graph.cmd_build)

    v = sub.add_parser("validate", help="check the data and print a report")
    common(v)
    remote(v)
    v.add_argument("--format", choices=("text", "markdown", "html", "json", "turtle"),
                   default="text")
    v.add_argument("-o", "--output", help="write the report to FILE (atomically)")
    v.add_argument("--fail-on", choices=("violation", "warning"), default="violation")
    v.add_argument("--no-reason", action="store_true", help="skip the OWL consistency check")
    v.add_argument("--show-accepted", action="store_true",
                   help="list the accepted findings (text and Markdown count them by default)")
    lang(v)
    v.set_defaults(func=graph.cmd_validate)

    qs = sub.add_parser("queries", help="list the stored queries")
    qs.set_defaults(func=ask.cmd_queries)

    q = sub.add_parser("query", help="run a stored query")
    common(q)
    remote(q)
    q.add_argument("name")
    q.add_argument("--param", action="append", metavar="NAME=VALUE")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    q.add_argument("--details", action="store_true",
                   help="table: also the evidence columns (csv and json always have them)")
    lang(q)
    q.set_defaults(func=ask.cmd_query)

    pa = sub.add_parser("path", help="career paths from one job to another")
    common(pa)
    remote(pa)
    pa.add_argument("--from", dest="source", required=True)
    pa.add_argument("--to", dest="target", required=True)
    pa.add_argument("--format", choices=("text", "svg", "dot", "json"), default="text")
    pa.add_argument("-o", "--output")
    lang(pa)
    pa.set_defaults(func=ask.cmd_path)

    r = sub.add_parser("rome", help="ROME links: suggest codes for a job, check the links")
    rsub = r.add_subparsers(dest="rome_command", required=True)
    rs = rsub.add_parser("suggest", help="rank ROME fiches for a job")
    common(rs)
    rs.add_argument("job")
    rs.add_argument("--top", type=int, default=5)
    rs.set_defaults(func=search.cmd_rome)
    rc = rsub.add_parser("check", help="the validation findings about ROME links, crowded fiches")
    common(rc)
    lang(rc)
    rc.set_defaults(func=search.cmd_rome)

    se = sub.add_parser("search", help="the ROME fiches and jobs a text names (or each line "
                        "of a file)")
    common(se)
    remote(se)
    se.add_argument("text", nargs="?", help="a job title as a person writes it")
    se.add_argument("--top", type=int, default=5, help="fiches to list (default 5)")
    se.add_argument("--jobs", type=int, default=10, help="jobs to list at most (default 10)")
    se.add_argument("--format", choices=("table", "json", "jsonl", "csv"),
                    help="table or json for one text (default table); jsonl or csv with --input "
                    "(default jsonl)")
    se.add_argument("--input", metavar="FILE", help="titles to code, one a line (or a CSV "
                    "column with --column)")
    se.add_argument("--column", help="the CSV column holding the titles")
    se.add_argument("--expected", metavar="COL", help="a CSV column of expected ROME codes: "
                    "prints the accuracy at the end (on standard error)")
    se.add_argument("--leave-out", metavar="COL", help="a CSV column of jobs "
                    "(<referential>/<id>) to leave out of the index for that line, to measure on "
                    "the graph's own labels")
    se.add_argument("--words-only", action="store_true", help="rank by words alone: no text "
                    "is embedded (a batch codes several times faster, a little less well: "
                    "README, Search)")
    se.add_argument("-o", "--output", help="write to FILE (atomically)")
    se.set_defaults(func=search.cmd_search)

    ev = sub.add_parser("evaluate", help="score the career answers on the judged sets")
    common(ev)
    ev.add_argument("--sets", default="evaluation", help="folder of the judged sets "
                    "(default ./evaluation)")
    ev.add_argument("--set", choices=("all", "equivalents", "paths", "next-steps",
                                      "competence-gaps"), default="all")
    ev.add_argument("--batch", help="score only the cases of this batch (their `batch` date: "
                    "cases written after the rules they score)")
    ev.add_argument("-v", "--verbose", action="store_true", help="list the cases that fail")
    ev.add_argument("--fit", action="store_true",
                    help="refit the equivalence model on the dev cases and print it")
    ev.set_defaults(func=ask.cmd_evaluate)

    d = sub.add_parser(
        "diff", help="what changed between two releases (data, ROME, a built graph)",
        description="Compare two sides, each a data folder, a referential's folder, ROME files "
        "(data/rome, an export folder such as data/rome/v347, the ESCO-ROME crosswalk CSV) or a "
        "built graph (TriG, N-Quads), and say what the changes do to the curated data.")
    d.add_argument("old", help="the older side")
    d.add_argument("new", help="the newer side")
    d.add_argument("--git", action="append", metavar="REV",
                   help="read OLD at git revision REV (given twice, or REV1..REV2: OLD at REV1, "
                   "NEW at REV2), from the working tree's repository; the tree is not touched")
    d.add_argument("--format", choices=("text", "markdown", "json", "trig"), default="text")
    d.add_argument("-o", "--output", help="write to FILE (atomically)")
    d.add_argument("--map", metavar="FILE", help="also write the CSV map from old codes to new")
    d.add_argument("--no-queries", action="store_true",
                   help="do not re-ask the stored questions of the affected jobs")
    d.add_argument("--store", help="store whose cached ROME graph may be read (default .jobgraph)")
    d.set_defaults(func=graph.cmd_diff)

    pu = sub.add_parser("push", help="load the graph into a SPARQL server")
    common(pu)
    pu.add_argument("--endpoint", required=True, help="SPARQL query endpoint URL")
    pu.add_argument("--update-endpoint", help="SPARQL Update endpoint URL")
    pu.add_argument("--gsp-endpoint", help="Graph Store Protocol endpoint URL")
    pu.add_argument("--user")
    pu.add_argument("--password-env")
    pu.add_argument("--timeout", type=_positive,
                    help="seconds to wait for the server (default 60)")
    pu.set_defaults(func=graph.cmd_push)

    se = sub.add_parser("serve", help="the web application and JSON API (read-only)")
    common(se)
    remote(se)
    se.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this machine only)")
    se.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    se.add_argument("--log-level", choices=("critical", "error", "warning", "info", "debug"),
                    default="info")
    se.add_argument("--workers", type=int, default=1,
                    help="worker processes answering at once (default 1; one per core serves "
                    "more visitors, each with its own caches)")
    se.set_defaults(func=serve.cmd_serve)
    return p


def _option_names(p: argparse.ArgumentParser) -> dict[str, str]:
    """Each parsed value's name as the user wrote it: dest -> ``--option`` (or the positional's
    name), over the subcommands too."""
    names: dict[str, str] = {}
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                for dest, name in _option_names(sub).items():
                    names.setdefault(dest, name)
        elif action.dest != argparse.SUPPRESS:
            names.setdefault(action.dest, action.option_strings[-1] if action.option_strings
                             else str(action.metavar or action.dest))
    return names


def _check_encoding(args: argparse.Namespace, p: argparse.ArgumentParser) -> None:
    """A UsageError naming the option whose value holds bytes that are not UTF-8 (Python keeps
    them as lone surrogates, which fail later, wherever the value is encoded)."""
    names = _option_names(p)
    for dest, value in sorted(vars(args).items()):
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                continue
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raw = item.encode("utf-8", "surrogateescape")
                shown = raw[:60].decode("utf-8", "backslashreplace") + \
                    ("…" if len(raw) > 60 else "")
                raise UsageError(f"{names.get(dest, dest)} holds bytes that are not UTF-8: "
                                 f"'{shown}' (give it in UTF-8)") from None


class _Notes(logging.Handler):
    """The library's notes (store repairs, waits for a build, damaged caches) on ``err``."""

    def __init__(self, err: TextIO) -> None:
        super().__init__(logging.WARNING)
        self.err = err

    def emit(self, record: logging.LogRecord) -> None:
        self.err.write(f"note: {record.getMessage()}\n")
        self.err.flush()


# commands that query the embedded store run under a memory ceiling (guard.MemoryWatch)
_QUERYING = ("query", "path", "rome", "search")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    args.err_stream = err
    notes = _Notes(err)
    logger = logging.getLogger("jobgraph")
    logger.addHandler(notes)
    try:
        return _run(args, p, out, err)
    finally:
        logger.removeHandler(notes)


def _run(args: argparse.Namespace, p: argparse.ArgumentParser, out: TextIO, err: TextIO) -> int:
    try:
        _check_encoding(args, p)
        if args.command not in _QUERYING:
            return int(args.func(args, out))
        from ..guard import MemoryWatch, memory_limit

        limit = memory_limit()

        def stop(used: int) -> None:
            # the query cannot be interrupted from here: end the process with one clear line
            err.write(f"[ERROR] stopped: this command held {used >> 20} MB, above its limit of "
                      f"{limit >> 20} MB (JOBGRAPH_MEMORY_LIMIT, in MB). On the shipped data "
                      "a question needs under 300 MB: raise the limit for larger data; if the "
                      "store is damaged, `jobgraph build` rebuilds it.\n")
            err.flush()
            os._exit(EXIT_EXTERNAL)

        with MemoryWatch(limit, stop):
            return int(args.func(args, out))
    except DataError as exc:
        err.write(f"{exc}\n{len(exc.problems)} problem(s) in the data files; nothing was "
                  "written.\n")
        return EXIT_INPUT
    except JavaMissing as exc:
        err.write(f"[ERROR] {exc}\n(run with --no-reason to skip the OWL check)\n")
        return EXIT_EXTERNAL
    except JobgraphError as exc:
        # the error's kind carries its code: UsageError EXIT_INPUT, ExternalError EXIT_EXTERNAL
        err.write(f"[ERROR] {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except MemoryError:
        err.write("[ERROR] out of memory\n")
        return EXIT_EXTERNAL
    except OSError as exc:
        # the file system refused something outside the store folder (an output file, ...)
        from ..guard import why_unwritable

        where = f"{exc.filename}: " if exc.filename else ""
        err.write(f"[ERROR] {where}{why_unwritable(exc)}\n")
        return EXIT_EXTERNAL
