"""The command that serves the web application and its JSON API: serve."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..errors import UsageError
from . import common
from .common import EXIT_OK


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    """Serve the web application until interrupted (read-only; 127.0.0.1 unless told)."""
    try:
        import uvicorn

        from ..web import Site, create_app
        from ..web.app import Negotiation
    except ImportError as exc:  # the web dependencies are core: a broken install
        raise UsageError(f"the web application cannot start: {exc} (reinstall jobgraph: "
                         "pip install -e .)") from None
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, got {args.port}")
    if args.endpoint:
        from ..remote import safe_url

        where = safe_url(args.endpoint)
        site = Site.remote(common.endpoint_backend(args), where,
                           Path(args.data) if args.data else None)
    else:
        where = str(common.store_dir(args))
        site = Site.embedded(common.data_dir(args), common.store_dir(args))
    app = create_app(site, warm=True)
    app.add_middleware(Negotiation)
    out.write(f"jobgraph serves {where} on http://{args.host}:{args.port}/ (Ctrl-C stops it)\n")
    out.flush()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                server_header=False, proxy_headers=False)
    return EXIT_OK
