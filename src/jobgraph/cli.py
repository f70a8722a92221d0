"""The command line: the only place that prints and chooses exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .errors import DataError, ExternalError, JavaMissing, JobgraphError, UsageError

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_EXTERNAL = 0, 1, 2, 3


def _data_dir(args: argparse.Namespace) -> Path:
    from .resources import default_data_dir

    return Path(args.data) if args.data else default_data_dir()


def _store_dir(args: argparse.Namespace) -> Path:
    return Path(args.store or os.environ.get("JOBGRAPH_STORE") or ".jobgraph")


def _emit(text: str, output: str | None, out: TextIO) -> None:
    if output:
        from .build import atomic_write

        atomic_write(Path(output), text)
    else:
        out.write(text)


# --- commands ------------------------------------------------------------------------------------

def cmd_build(args: argparse.Namespace, out: TextIO) -> int:
    from .build import build

    output = Path(args.output) if args.output else None
    result = build(_data_dir(args), store_dir=_store_dir(args), output=output, fmt=args.format)
    for s in result.summaries:
        detail = f" ({s.detail})" if s.detail else ""
        out.write(f"{s.name}: {s.triples} triples{detail}\n")
    where = f", written to {result.output}" if result.output else ""
    out.write(f"built {result.triples} triples in {len(result.summaries)} graphs in "
              f"{result.seconds:.1f} s{where}; store {result.store_dir}\n")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    from .report import render

    if args.endpoint:
        from .remote import validate_remote

        report = validate_remote(args.endpoint, user=args.user,
                                 password=_password(args), graphs=None, timeout=args.timeout)
        if args.data:
            from .validate import annotate_remote

            annotate_remote(report, Path(args.data))
    else:
        from .validate import validate

        report = validate(_data_dir(args), store_dir=_store_dir(args), reason=not args.no_reason)
    colour = args.output is None and out.isatty() and args.format == "text"
    _emit(render(report, args.format, lang=args.lang, colour=colour, fail_on=args.fail_on),
          args.output, out)
    return EXIT_OK if report.conforms(args.fail_on) else EXIT_VIOLATIONS


def _backend(args: argparse.Namespace) -> Any:
    if getattr(args, "endpoint", None):
        from .remote import EndpointBackend

        return EndpointBackend(args.endpoint, user=args.user, password=_password(args),
                               timeout=args.timeout)
    from .backends import OxigraphBackend
    from .build import ensure_store

    db, _ = ensure_store(_data_dir(args), _store_dir(args))
    return OxigraphBackend.open(db)


def _password(args: argparse.Namespace) -> str | None:
    var = getattr(args, "password_env", None)
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        raise UsageError(f"environment variable {var} (--password-env) is not set")
    return value


def cmd_queries(args: argparse.Namespace, out: TextIO) -> int:
    from .queries import list_queries

    for q in list_queries():
        out.write(f"{q.name}\n    {q.summary}\n")
        for p in q.params:
            extra = " required" if p.required else (f" default={p.default}" if p.default else "")
            out.write(f"    --param {p.name}=<{p.type}{' ' + p.cls if p.cls else ''}>{extra}\n")
        out.write(f"    returns: {' '.join('?' + r for r in q.returns)}\n")
    return EXIT_OK


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--param takes NAME=VALUE, got {pair!r}")
        k, v = pair.split("=", 1)
        params[k.strip().lstrip("?")] = v
    return params


def run_stored(backend: Any, name: str, raw: dict[str, str], lang: str = "fr") -> Any:
    """Run a stored query with command-line values: jobs resolved, values typed and bound."""
    from rdflib.term import Node

    from .queries import bindings_for, expand, get_query, resolve_job, typed_value

    q = get_query(name)
    given: dict[str, Node] = {}
    for k, v in raw.items():
        p = q.param(k)
        if p is None:
            known = ", ".join(x.name for x in q.params) or "none"
            raise UsageError(f"query '{q.name}' has no parameter '{k}' (parameters: {known})")
        if p.type == "IRI" and p.cls and expand(p.cls).endswith("#Job"):
            given[k] = resolve_job(backend, v)
        else:
            given[k] = typed_value(p, v)
    if q.param("lang") is not None and "lang" not in given:
        from rdflib import Literal

        given["lang"] = Literal(lang)
    return q, backend.select(q.text, bindings_for(q, given))


def cmd_query(args: argparse.Namespace, out: TextIO) -> int:
    from .results import render

    backend = _backend(args)
    _, result = run_stored(backend, args.name, parse_params(args.param or []), args.lang)
    out.write(render(result, args.format))
    return EXIT_OK


def cmd_path(args: argparse.Namespace, out: TextIO) -> int:
    from .paths import cli_path

    return int(cli_path(_backend(args), args, out))


def cmd_rome(args: argparse.Namespace, out: TextIO) -> int:
    from .suggest import cli_check, cli_suggest

    if args.rome_command == "suggest":
        return cli_suggest(_data_dir(args), _store_dir(args), args, out)
    return cli_check(_data_dir(args), _store_dir(args), args, out)


def cmd_push(args: argparse.Namespace, out: TextIO) -> int:
    from .remote import cli_push

    return cli_push(_data_dir(args), _store_dir(args), args, _password(args), out)


# --- parser --------------------------------------------------------------------------------------

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
        sp.add_argument("--timeout", type=float,
                        help="seconds to wait for the endpoint (default 60)")

    b = sub.add_parser("build", help="convert the curated data to RDF and fill the store")
    common(b)
    b.add_argument("-o", "--output", help="also write the graph to FILE")
    b.add_argument("--format", choices=("trig", "nquads", "turtle", "jsonld"),
                   help="format of FILE (default from its extension, else trig)")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="check the data and print a report")
    common(v)
    remote(v)
    v.add_argument("--format", choices=("text", "markdown", "html", "json", "turtle"), default="text")
    v.add_argument("-o", "--output", help="write the report to FILE (atomically)")
    v.add_argument("--fail-on", choices=("violation", "warning"), default="violation")
    v.add_argument("--no-reason", action="store_true", help="skip the OWL consistency check")
    v.add_argument("--lang", choices=("fr", "en"), default="fr")
    v.set_defaults(func=cmd_validate)

    qs = sub.add_parser("queries", help="list the stored queries")
    qs.set_defaults(func=cmd_queries)

    q = sub.add_parser("query", help="run a stored query")
    common(q)
    remote(q)
    q.add_argument("name")
    q.add_argument("--param", action="append", metavar="NAME=VALUE")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    q.add_argument("--lang", choices=("fr", "en"), default="fr")
    q.set_defaults(func=cmd_query)

    pa = sub.add_parser("path", help="career paths from one job to another")
    common(pa)
    remote(pa)
    pa.add_argument("--from", dest="source", required=True)
    pa.add_argument("--to", dest="target", required=True)
    pa.add_argument("--format", choices=("text", "svg", "dot"), default="text")
    pa.add_argument("-o", "--output")
    pa.add_argument("--lang", choices=("fr", "en"), default="fr")
    pa.set_defaults(func=cmd_path)

    r = sub.add_parser("rome", help="ROME links: suggest codes for a job, check the links")
    rsub = r.add_subparsers(dest="rome_command", required=True)
    rs = rsub.add_parser("suggest", help="rank ROME fiches for a job")
    common(rs)
    rs.add_argument("job")
    rs.add_argument("--top", type=int, default=5)
    rs.set_defaults(func=cmd_rome)
    rc = rsub.add_parser("check", help="jobs without link, unknown codes, crowded fiches")
    common(rc)
    rc.set_defaults(func=cmd_rome)

    pu = sub.add_parser("push", help="load the graph into a SPARQL server")
    common(pu)
    pu.add_argument("--endpoint", required=True, help="SPARQL query endpoint URL")
    pu.add_argument("--update-endpoint", help="SPARQL Update endpoint URL")
    pu.add_argument("--gsp-endpoint", help="Graph Store Protocol endpoint URL")
    pu.add_argument("--user")
    pu.add_argument("--password-env")
    pu.add_argument("--timeout", type=float, help="seconds to wait for the server (default 60)")
    pu.set_defaults(func=cmd_push)
    return p


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.func(args, out))
    except DataError as exc:
        err.write(f"{exc}\n{len(exc.problems)} problem(s) in the curated files; nothing was written.\n")
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


if __name__ == "__main__":
    sys.exit(main())
