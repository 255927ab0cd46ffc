"""jangkau — geospatial analysis engine for district planning.

The heavy lifting happens in the C++ engine (``jangkau._core``); this package holds the
Python API, grouped by what it is about:

* :mod:`jangkau.data` — data paths and downloads, vector/raster I/O, regions, facilities,
  population;
* :mod:`jangkau.coverage` — population within a distance of services;
* :mod:`jangkau.network` — road networks, travel time, accessibility, isochrones, RAI;
* :mod:`jangkau.selection` — indicators, ranking, dapil plans, facility location;
* :mod:`jangkau.workflow` — the pipeline of a region, its report, batches of regions;
* :mod:`jangkau.synthetic` — labelled SYNTHETIC data;
* :mod:`jangkau.cli` — the ``jangkau`` command line.

``import jangkau`` is cheap: :class:`Region` and the subpackages load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _compat
from .errors import (
    CancelledError,
    CrsError,
    DataFileError,
    GeometryError,
    InfeasibleError,
    InvalidInputError,
    JangkauError,
    UnknownColumnError,
)

if TYPE_CHECKING:
    from .data.region import LEVELS, Region, builtin_regions



def _version() -> str:
    # The installed metadata, not the extension, so that ``jangkau --version`` does not load
    # the engine; a source tree on PYTHONPATH has no metadata and asks the engine.
    from importlib import metadata

    try:
        return metadata.version(__name__)
    except metadata.PackageNotFoundError:
        from ._core import __version__ as engine_version

        return str(engine_version)


#: The package version (equal to the engine's, ``jangkau._core.__version__``).
__version__: str = _version()

__all__ = [
    "__version__",
    "Region",
    "LEVELS",
    "builtin_regions",
    "JangkauError",
    "InvalidInputError",
    "UnknownColumnError",
    "CrsError",
    "GeometryError",
    "InfeasibleError",
    "DataFileError",
    "CancelledError",
]

_compat.install()

_LAZY = {"Region", "LEVELS", "builtin_regions"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from .data import region

        return getattr(region, name)
    if name == "_core":
        import importlib

        return importlib.import_module(f"{__name__}._core")
    return _compat.old_attribute(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
