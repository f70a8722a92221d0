"""The command line: turns the library's answers into text, files and exit codes (with the web
application, the only place that prints)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .errors import DataError, ExternalError, JavaMissing, JobgraphError, UsageError

if TYPE_CHECKING:
    from .backends import Backend
    from .dataset import Description
    from .remote import EndpointBackend

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_EXTERNAL = 0, 1, 2, 3


def _data_dir(args: argparse.Namespace) -> Path:
    from .resources import default_data_dir

    return Path(args.data) if args.data else default_data_dir()


def _store_dir(args: argparse.Namespace) -> Path:
    return Path(args.store or os.environ.get("JOBGRAPH_STORE") or ".jobgraph")


def _emit(text: str, output: str | None, out: TextIO) -> None:
    if output:
        from .workspace import atomic_write

        atomic_write(Path(output), text)
    else:
        out.write(text)


def _password(args: argparse.Namespace) -> str | None:
    var = getattr(args, "password_env", None)
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        raise UsageError(f"environment variable {var} (--password-env) is not set")
    return value


def _endpoint_backend(args: argparse.Namespace) -> EndpointBackend:
    from .remote import DEFAULT_TIMEOUT, EndpointBackend

    return EndpointBackend(args.endpoint, user=args.user, password=_password(args),
                           timeout=args.timeout or DEFAULT_TIMEOUT)


def _backend(args: argparse.Namespace) -> Backend:
    """The backend a command asks: the endpoint of ``--endpoint``, else the embedded store."""
    if getattr(args, "endpoint", None):
        return _endpoint_backend(args)
    from .backends import open_store

    return open_store(_data_dir(args), _store_dir(args))


# --- commands ------------------------------------------------------------------------------------

def cmd_build(args: argparse.Namespace, out: TextIO) -> int:
    from .build import build

    output = Path(args.output) if args.output else None
    result = build(_data_dir(args), store_dir=_store_dir(args), output=output, fmt=args.format)
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
    from .report import render

    if args.endpoint:
        from .remote import safe_url
        from .validate import validate_backend

        backend = _endpoint_backend(args)
        report = validate_backend(backend, where=safe_url(args.endpoint),
                                  graphs=len(backend.graphs()),
                                  data_dir=Path(args.data) if args.data else None)
    else:
        from .validate import validate

        report = validate(_data_dir(args), store_dir=_store_dir(args), reason=not args.no_reason)
    colour = args.output is None and out.isatty() and args.format == "text"
    _emit(render(report, args.format, lang=args.lang, colour=colour, fail_on=args.fail_on,
                 show_accepted=args.show_accepted), args.output, out)
    return EXIT_OK if report.conforms(args.fail_on) else EXIT_VIOLATIONS


def cmd_queries(args: argparse.Namespace, out: TextIO) -> int:
    from .catalogue import list_queries

    for q in list_queries():
        out.write(f"{q.name}\n    {q.summary}\n")
        for p in q.params:
            extra = " required" if p.required else (f" default={p.default}" if p.default else "")
            out.write(f"    --param {p.name}=<{p.type}{' ' + p.cls if p.cls else ''}>{extra}\n")
        out.write(f"    returns: {' '.join('?' + r for r in q.returns)}\n")
    return EXIT_OK


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs of ``--param``; a name given twice is an error, not a silent choice."""
    params: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--param takes NAME=VALUE, got {pair[:80]!r}")
        k, v = pair.split("=", 1)
        name = k.strip().lstrip("?")
        if name in params:
            raise UsageError(f"--param {name} is given twice")
        params[name] = v
    return params


def cmd_query(args: argparse.Namespace, out: TextIO) -> int:
    from .queries import run
    from .results import labelled, render, table, term_names

    backend = _backend(args)
    answer = run(backend, args.name, parse_params(args.param or []), lang=args.lang)
    if args.format == "table":  # for people: headers in --lang, labels first, names not IRIs
        out.write(table(labelled(answer.query, answer.result, lang=args.lang,
                                 names=term_names(backend))))
    else:  # for programs: the variables and terms as they are
        out.write(render(answer.result, args.format))
    if answer.note and args.format == "table":
        out.write(answer.note + "\n")
    return EXIT_OK


def cmd_path(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when a path is found, 1 when there is none (the output says so)."""
    from .drawing import render
    from .names import resolve_job
    from .paths import find_paths

    backend = _backend(args)
    source = str(resolve_job(backend, args.source))
    target = str(resolve_job(backend, args.target))
    answer = find_paths(backend, source, target, lang=args.lang)
    _emit(render(answer, args.format, lang=args.lang), args.output, out)
    return EXIT_OK if answer.paths else EXIT_VIOLATIONS


def cmd_rome(args: argparse.Namespace, out: TextIO) -> int:
    if args.rome_command == "suggest":
        return _rome_suggest(args, out)
    return _rome_check(args, out)


def _rome_suggest(args: argparse.Namespace, out: TextIO) -> int:
    from .backends import open_store
    from .names import resolve_job
    from .suggest import JobText, curated_links, job_texts, load_index, suggest
    from .terms import short_id
    from .workspace import Workspace

    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    backend = open_store(_data_dir(args), _store_dir(args))
    job = str(resolve_job(backend, args.job))
    text = job_texts(backend, job).get(job, JobText(job))
    links = {link.code: link for link in curated_links(backend, job)}
    index = load_index(_data_dir(args) / "rome", Workspace(_store_dir(args)).cache)
    out.write(f"ROME 4.0 fiches for {short_id(job)} « {text.label} »\n")
    if links:
        out.write("curated: " + ", ".join(f"{c} {x.relation} ({x.basis})"
                                          for c, x in sorted(links.items())) + "\n")
    out.write("\n")
    for rank, s in enumerate(suggest(index, text, top=args.top), 1):
        mark = "  [curated]" if s.code in links else ""
        out.write(f"{rank:>3}  {s.score:.3f}  {s.code}  {s.title}{mark}\n")
        if s.titles:
            out.write("            titles: "
                      + "; ".join(f"{t} ({v:.2f})" for t, v in s.titles) + "\n")
        if s.competences:
            out.write("            competences: "
                      + "; ".join(f"{t} ({v:.2f})" for t, v in s.competences) + "\n")
    return EXIT_OK


def _rome_check(args: argparse.Namespace, out: TextIO) -> int:
    """The validation findings about ROME links; exit 1 when one of them is a violation."""
    from .backends import open_store
    from .findings import SEVERITIES
    from .suggest import curated_links
    from .validate import rome_check

    report = rome_check(_data_dir(args), store_dir=_store_dir(args))
    links = curated_links(open_store(_data_dir(args), _store_dir(args)))
    out.write(f"ROME links: {len(links)} links of {len({x.job for x in links})} jobs to "
              f"{len({x.code for x in links})} fiches\n")
    tags = {"violation": "ERROR", "warning": "WARNING", "info": "INFO"}
    for f in sorted(report.findings, key=lambda f: (SEVERITIES.index(f.severity), f.sort_key())):
        where = f"{f.source} " if f.source else ""
        mark = " (accepted)" if f.accepted else ""
        out.write(f"[{tags[f.severity]}] {where}{f.text(args.lang)}{mark}\n")
    counts = report.counts()
    out.write(f"{counts['violation']} violation(s), {counts['warning']} warning(s), "
              f"{counts['info']} info, {counts['accepted']} accepted\n")
    return EXIT_OK if report.conforms() else EXIT_VIOLATIONS


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    """Score the career answers on the judged sets; with --fit, refit the equivalence model."""
    from .backends import open_store
    from .careers import evaluation as ev
    from .careers.answers import facts_for
    from .careers.gaps import competence_gap
    from .careers.steps import next_steps
    from .paths import find_paths

    sets = Path(args.sets)
    backend = open_store(_data_dir(args), _store_dir(args))
    facts, titles = facts_for(backend)
    chosen = ev.SETS if args.set == "all" else (args.set,)
    results = []
    for name in chosen:
        cases = ev.load_set(sets, name)
        if name == "equivalents":
            results.append(ev.evaluate_equivalents(facts, titles, cases))
        elif name == "paths":
            results.append(ev.evaluate_paths(
                lambda a, b: [p.jobs() for p in find_paths(backend, a, b, facts=facts,
                                                           titles=titles).paths], cases))
        elif name == "next-steps":
            results.append(ev.evaluate_next_steps(
                lambda j: [s.job.iri for s in next_steps(facts, titles, j)], cases))
        else:
            results.append(ev.evaluate_gaps(
                lambda a, b: competence_gap(facts, backend, a, b), cases))
    for result in results:
        out.write(f"{result.set}\n")
        for f in result.figures:
            out.write(f"  {f.text()}\n")
        if args.verbose:
            for line in result.failures:
                out.write(f"    {line}\n")
    if args.fit:
        fit = ev.fit_equivalence(facts, titles, ev.load_set(sets, "equivalents"))
        out.write(f"equivalence model fitted on {fit.pairs} dev pairs ({fit.positives} listed by "
                  "the judges)\n")
        out.write("  WEIGHTS = " + repr(fit.weights) + f"\n  INTERCEPT = {fit.intercept}\n"
                  f"  THRESHOLD = {fit.threshold}\n  threshold  dev Precision@5  dev Hit@5\n")
        for t, p, h in fit.table:
            out.write(f"  {t:9.2f}  {p:15.3f}  {h:9.3f}\n")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    """What changed from OLD to NEW and what it breaks; exit 0 either way (a diff is no verdict),
    2 when the sides cannot be read or compared."""
    from .diff import diff
    from .diff.render import code_map, render
    from .workspace import Workspace

    # a build's cached ROME graph is read when there is one; nothing is written to the store
    cache = Workspace(_store_dir(args)).cache
    result = diff(args.old, args.new, git=args.git, cache_dirs=[cache] if cache.is_dir() else [],
                  queries=not args.no_queries)
    _emit(render(result, args.format), args.output, out)
    if args.map:
        from .workspace import atomic_write

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
    from .build import ensure_store
    from .remote import (
        DEFAULT_TIMEOUT,
        PROGRESS_MIN_TRIPLES,
        Endpoint,
        Pusher,
        safe_url,
        store_graphs,
    )
    from .workspace import Workspace

    endpoint = Endpoint(args.endpoint, update=args.update_endpoint, gsp=args.gsp_endpoint,
                        user=args.user, password=_password(args),
                        timeout=args.timeout or DEFAULT_TIMEOUT)
    db, _ = ensure_store(_data_dir(args), _store_dir(args))
    graphs = store_graphs(db, manifest=Workspace(_store_dir(args)).read_manifest())
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
    for note in pusher.notes:
        out.write(f"note: {note}\n")
    out.write(f"pushed {result.triples} triples in {len(result.graphs)} graphs in "
              f"{result.seconds:.1f} s\n")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    """Serve the web application until interrupted (read-only; 127.0.0.1 unless told)."""
    try:
        import uvicorn

        from .web import Site, create_app
        from .web.app import Negotiation
    except ImportError as exc:  # the web dependencies are core: a broken install
        raise UsageError(f"the web application cannot start: {exc} (reinstall jobgraph: "
                         "pip install -e .)") from None
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, got {args.port}")
    if args.endpoint:
        from .remote import safe_url

        where = safe_url(args.endpoint)
        site = Site.remote(_endpoint_backend(args), where, Path(args.data) if args.data else None)
    else:
        where = str(_store_dir(args))
        site = Site.embedded(_data_dir(args), _store_dir(args))
    app = create_app(site, warm=True)
    app.add_middleware(Negotiation)
    out.write(f"jobgraph serves {where} on http://{args.host}:{args.port}/ (Ctrl-C stops it)\n")
    out.flush()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                server_header=False, proxy_headers=False)
    return EXIT_OK


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
    b.set_defaults(func=cmd_build)

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
    v.set_defaults(func=cmd_validate)

    qs = sub.add_parser("queries", help="list the stored queries")
    qs.set_defaults(func=cmd_queries)

    q = sub.add_parser("query", help="run a stored query")
    common(q)
    remote(q)
    q.add_argument("name")
    q.add_argument("--param", action="append", metavar="NAME=VALUE")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    lang(q)
    q.set_defaults(func=cmd_query)

    pa = sub.add_parser("path", help="career paths from one job to another")
    common(pa)
    remote(pa)
    pa.add_argument("--from", dest="source", required=True)
    pa.add_argument("--to", dest="target", required=True)
    pa.add_argument("--format", choices=("text", "svg", "dot", "json"), default="text")
    pa.add_argument("-o", "--output")
    lang(pa)
    pa.set_defaults(func=cmd_path)

    r = sub.add_parser("rome", help="ROME links: suggest codes for a job, check the links")
    rsub = r.add_subparsers(dest="rome_command", required=True)
    rs = rsub.add_parser("suggest", help="rank ROME fiches for a job")
    common(rs)
    rs.add_argument("job")
    rs.add_argument("--top", type=int, default=5)
    rs.set_defaults(func=cmd_rome)
    rc = rsub.add_parser("check", help="the validation findings about ROME links, crowded fiches")
    common(rc)
    lang(rc)
    rc.set_defaults(func=cmd_rome)

    ev = sub.add_parser("evaluate", help="score the career answers on the judged sets")
    common(ev)
    ev.add_argument("--sets", default="evaluation", help="folder of the judged sets "
                    "(default ./evaluation)")
    ev.add_argument("--set", choices=("all", "equivalents", "paths", "next-steps",
                                      "competence-gaps"), default="all")
    ev.add_argument("-v", "--verbose", action="store_true", help="list the cases that fail")
    ev.add_argument("--fit", action="store_true",
                    help="refit the equivalence model on the dev cases and print it")
    ev.set_defaults(func=cmd_evaluate)

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
    d.set_defaults(func=cmd_diff)

    pu = sub.add_parser("push", help="load the graph into a SPARQL server")
    common(pu)
    pu.add_argument("--endpoint", required=True, help="SPARQL query endpoint URL")
    pu.add_argument("--update-endpoint", help="SPARQL Update endpoint URL")
    pu.add_argument("--gsp-endpoint", help="Graph Store Protocol endpoint URL")
    pu.add_argument("--user")
    pu.add_argument("--password-env")
    pu.add_argument("--timeout", type=_positive,
                    help="seconds to wait for the server (default 60)")
    pu.set_defaults(func=cmd_push)

    se = sub.add_parser("serve", help="the web application and JSON API (read-only)")
    common(se)
    remote(se)
    se.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this machine only)")
    se.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    se.add_argument("--log-level", choices=("critical", "error", "warning", "info", "debug"),
                    default="info")
    se.set_defaults(func=cmd_serve)
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


# commands that query the embedded store run under a memory ceiling (backends.MemoryWatch)
_QUERYING = ("query", "path", "rome")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
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
        from .backends import MemoryWatch, memory_limit

        limit = memory_limit()

        def stop(used: int) -> None:
            # the query cannot be interrupted from here: end the process with one clear line
            err.write(f"[ERROR] stopped: this command held {used >> 20} MB, above its limit of "
                      f"{limit >> 20} MB (JOBGRAPH_MEMORY_LIMIT, in MB). A stored query needs "
                      "far less; if the store is damaged, `jobgraph build` rebuilds it.\n")
            err.flush()
            os._exit(EXIT_EXTERNAL)

        with MemoryWatch(limit, stop):
            return int(args.func(args, out))
    except DataError as exc:
        err.write(f"{exc}\n{len(exc.problems)} problem(s) in the curated files; nothing was "
                  "written.\n")
        return EXIT_INPUT
    except JavaMissing as exc:
        err.write(f"[ERROR] {exc}\n(run with --no-reason to skip the OWL check)\n")
        return EXIT_EXTERNAL
    except ExternalError as exc:
        err.write(f"[ERROR] {exc}\n")
        return EXIT_EXTERNAL
    except UsageError as exc:
        err.write(f"[ERROR] {exc}\n")
        return EXIT_INPUT
    except JobgraphError as exc:
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
        from .workspace import why_unwritable

        where = f"{exc.filename}: " if exc.filename else ""
        err.write(f"[ERROR] {where}{why_unwritable(exc)}\n")
        return EXIT_EXTERNAL


if __name__ == "__main__":
    sys.exit(main())
