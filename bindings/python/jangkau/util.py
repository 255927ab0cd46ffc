"""Small helpers shared by the whole package: where the bundled datasets are.

Everything here is free of pandas/geopandas so that it can be imported cheaply (the CLI's
start-up time counts)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["datasets_dir", "dataset_path"]

_PACKAGE = Path(__file__).resolve().parent


@cache
def datasets_dir() -> Path:
    """The bundled ``datasets`` folder: ``jangkau/datasets`` of an installed package, else
    ``datasets/`` of the source checkout this package was imported from (editable installs,
    ``PYTHONPATH=bindings/python``)."""
    packaged = _PACKAGE / "datasets"
    if packaged.is_dir():
        return packaged
    for parent in _PACKAGE.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "datasets").is_dir():
            return parent / "datasets"
    return packaged


def dataset_path(name: str) -> Path:
    """A file of the bundled datasets, e.g. ``dataset_path("facility_types.csv")``."""
    return datasets_dir() / name
