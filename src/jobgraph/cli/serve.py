"""The command that serves the web application and its JSON API: serve."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import UsageError
from . import common
from .common import EXIT_OK

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..web import Site

# how the workers of ``serve --workers N`` learn the options (each is a new process that makes
# its own application: uvicorn starts them from an import string)
OPTIONS_ENV = "JOBGRAPH_SERVE_OPTIONS"
SITE_OPTIONS = ("data", "store", "endpoint", "user", "password_env", "timeout")


def _site(args: argparse.Namespace) -> tuple[Site, str]:
    """The data the application serves, and where it is (store folder or endpoint URL)."""
    from ..web import Site

    if args.endpoint:
        from ..remote import safe_url

        where = safe_url(args.endpoint)
        return Site.remote(common.endpoint_backend(args), where,
                           Path(args.data) if args.data else None), where
    return Site.embedded(common.data_dir(args), common.store_dir(args)), \
        str(common.store_dir(args))


def _app(site: Site) -> FastAPI:
    from ..web import create_app
    from ..web.app import Negotiation

    app = create_app(site, warm=True)
    app.add_middleware(Negotiation)
    return app


def worker_app() -> FastAPI:
    """The application of one worker of ``serve --workers N`` (the options come from the
    command, through ``OPTIONS_ENV``; the store was built by the command before)."""
    options: dict[str, Any] = json.loads(os.environ[OPTIONS_ENV])
    site, _ = _site(argparse.Namespace(**options))
    return _app(site)


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    """Serve the web application until interrupted (read-only; 127.0.0.1 unless told)."""
    try:
        import uvicorn

        from ..web import Site  # noqa: F401  (the web dependencies are there)
    except ImportError as exc:  # the web dependencies are core: a broken install
        raise UsageError(f"the web application cannot start: {exc} (reinstall jobgraph: "
                         "pip install -e .)") from None
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, got {args.port}")
    workers = getattr(args, "workers", 1)
    if not 0 < workers <= 64:
        raise UsageError(f"--workers must be between 1 and 64, got {workers}")
    # made here in any case: the store is built (or the endpoint reached) once, before any worker
    site, where = _site(args)
    options = {"host": args.host, "port": args.port, "log_level": args.log_level,
               "server_header": False, "proxy_headers": False}
    out.write(f"jobgraph serves {where} on http://{args.host}:{args.port}/"
              f"{f' with {workers} worker processes' if workers > 1 else ''} (Ctrl-C stops it)\n")
    out.flush()
    if workers == 1:
        uvicorn.run(_app(site), **options)
        return EXIT_OK
    os.environ[OPTIONS_ENV] = json.dumps({k: getattr(args, k, None) for k in SITE_OPTIONS})
    uvicorn.run("jobgraph.cli.serve:worker_app", factory=True, workers=workers,
                **options)
    return EXIT_OK
