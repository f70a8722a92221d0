"""What the commands share: the data and store folders they are given, the backend and the
search engine they ask, and writing their text to a file or the terminal."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..errors import UsageError

if TYPE_CHECKING:
    from ..backends import Backend
    from ..names import Suggester
    from ..remote import EndpointBackend
    from ..search.engine import Engine

# the exit codes of every command (README): no violation, violations, bad input or usage, an
# external failure (an endpoint unreachable, Java missing)
EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_EXTERNAL = 0, 1, 2, 3


def data_dir(args: argparse.Namespace) -> Path:
    from ..resources import default_data_dir

    return Path(args.data) if args.data else default_data_dir()


def store_dir(args: argparse.Namespace) -> Path:
    return Path(args.store or os.environ.get("JOBGRAPH_STORE") or ".jobgraph")


def emit(text: str, output: str | None, out: TextIO) -> None:
    if output:
        from ..workspace import atomic_write

        atomic_write(Path(output), text)
    else:
        out.write(text)


def password(args: argparse.Namespace) -> str | None:
    var = getattr(args, "password_env", None)
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        raise UsageError(f"environment variable {var} (--password-env) is not set")
    return value


def endpoint_backend(args: argparse.Namespace) -> EndpointBackend:
    from ..remote import DEFAULT_TIMEOUT, EndpointBackend

    return EndpointBackend(args.endpoint, user=args.user, password=password(args),
                           timeout=args.timeout or DEFAULT_TIMEOUT)


def backend(args: argparse.Namespace) -> Backend:
    """The backend a command asks: the endpoint of ``--endpoint``, else the embedded store."""
    if getattr(args, "endpoint", None):
        return endpoint_backend(args)
    from ..backends import open_store

    return open_store(data_dir(args), store_dir(args))


def engine(args: argparse.Namespace, backend: Backend) -> Engine:
    """The search engine over ``backend``, its index in the store's cache folder."""
    from ..search import manifest_key, open_engine
    from ..workspace import Workspace

    ws = Workspace(store_dir(args))
    key = None if getattr(args, "endpoint", None) else manifest_key(ws.read_manifest())
    return open_engine(backend, ws.cache, data_key=key, data_dir=data_dir(args),
                       words_only=bool(getattr(args, "words_only", False)))


def suggester(args: argparse.Namespace, backend: Backend) -> Suggester:
    """"Did you mean" for an unknown job name: the search engine, opened only when asked."""
    engines: list[Engine] = []

    def suggest(spec: str, n: int) -> list[str]:
        if not engines:
            engines.append(engine(args, backend))
        return engines[0].suggester(spec, n)

    return suggest
