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

from . import _compat
from .errors import (
    CancelledError,
    CrsError,
    DataFileError,
    GeometryError,
    InfeasibleError,
    InvalidInputError,
    JangkauError,
    ResourceLimitError,
    UnknownColumnError,
)

TYPE_CHECKING = False  # typing itself is not imported: start-up time counts
if TYPE_CHECKING:
    from typing import Any

    from .data.region import LEVELS, Region, builtin_regions



def _version() -> str:
    # Neither pandas nor the engine: ``jangkau --version`` stays cheap. A source checkout
    # (``PYTHONPATH=bindings/python``, editable installs) reads its pyproject.toml, an
    # installed package its metadata; the engine is asked only when neither is there.
    from pathlib import Path

    for parent in Path(__file__).resolve().parents:
        pyproject = parent / "pyproject.toml"
        if pyproject.is_file():
            import tomllib

            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project") or {}
            if project.get("name") == __name__ and project.get("version"):
                return str(project["version"])
            break
    from importlib import metadata

    try:
        return metadata.version(__name__)
    except metadata.PackageNotFoundError:
        from ._core import __version__ as engine_version

        return str(engine_version)


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
    "ResourceLimitError",
]

_compat.install()

_LAZY = {"Region", "LEVELS", "builtin_regions"}


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the package version (equal to the engine's), looked up once
        version = globals()["__version__"] = _version()
        return version
    if name in _LAZY:
        from .data import region

        return getattr(region, name)
    if name == "_core":
        import importlib

        return importlib.import_module(f"{__name__}._core")
    return _compat.old_attribute(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY | {"__version__"})
