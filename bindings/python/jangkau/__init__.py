"""jangkau — geospatial analysis engine for district planning.

The heavy lifting happens in the C++ engine (``jangkau._core``); this package
holds the Python API: regions and zones, coverage, road access, pilot
selection, and the ``jangkau`` command line.
"""

from __future__ import annotations

from . import _core
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

from .region import LEVELS, Region, builtin_regions

__version__: str = _core.__version__

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
