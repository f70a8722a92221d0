"""The web face of jobgraph (``jobgraph serve``): pages and a JSON API over the library answers."""

from __future__ import annotations

from .app import create_app
from .site import Site

__all__ = ["Site", "create_app"]
