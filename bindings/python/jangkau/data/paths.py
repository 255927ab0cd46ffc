"""Where jangkau finds its data files.

One data directory holds every input a region file names (boundaries,
population tables, facilities, roads). It is looked up in this order:

1. an explicit ``data_dir`` argument (the CLI's ``--data DIR``);
2. the ``JANGKAU_DATA`` environment variable;
3. the user cache directory (``$XDG_CACHE_HOME/jangkau/data``, else
   ``~/.cache/jangkau/data``), where ``jangkau data fetch`` puts downloads;
4. ``../shared/data`` next to a development checkout of the repository.

The first candidate that exists wins (an explicit argument or ``JANGKAU_DATA`` that
does not exist is an error, never silently skipped).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataFileError

ENV_VAR = "JANGKAU_DATA"


def cache_dir() -> Path:
    """The user cache directory for downloaded data (may not exist yet)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jangkau" / "data"


def checkout_data_dir() -> Path | None:
    """``../shared/data`` beside the repository checkout this package was imported from, if any."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "engine").is_dir():
            candidate = parent.parent / "shared" / "data"
            return candidate if candidate.is_dir() else None
    return None


def data_dir(explicit: str | os.PathLike[str] | None = None, *, required: bool = True) -> Path | None:
    """Resolve the data directory (see the module docstring for the order).

    Raises :class:`~jangkau.errors.DataFileError` when an explicitly named directory does not
    exist, or when ``required`` and none is found.
    """
    if explicit is not None:
        p = Path(explicit).expanduser()
        if not p.is_dir():
            raise DataFileError(f"data directory '{p}' does not exist", file=str(p))
        return p.resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        if not p.is_dir():
            raise DataFileError(f"{ENV_VAR}='{env}' is not a directory", file=str(p))
        return p.resolve()
    cache = cache_dir()
    if cache.is_dir() and any(cache.iterdir()):
        return cache.resolve()
    checkout = checkout_data_dir()
    if checkout is not None:
        return checkout.resolve()
    if required:
        raise DataFileError(
            f"no data directory found: pass --data DIR, set {ENV_VAR}, or run 'jangkau data fetch'"
        )
    return None
