"""Where the packaged ontology, shapes and queries are: inside the wheel, or the checkout's
folders."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def resource_dir(name: str) -> Path:
    """``ontology``, ``shapes`` or ``queries``: the installed copy, else the source checkout's."""
    installed = _PACKAGE / "_resources" / name
    if installed.is_dir():
        return installed
    return _CHECKOUT / name


def default_data_dir() -> Path:
    """``./data`` when run from a project folder, else the checkout's data folder."""
    here = Path.cwd() / "data"
    return here if here.is_dir() else _CHECKOUT / "data"
