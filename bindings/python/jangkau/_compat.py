"""The module paths of jangkau 0.1, kept working for one release.

jangkau 0.2 grouped the modules into subpackages (``jangkau.network.travel`` is now
``jangkau.network.travel``, and so on; see ``CHANGELOG.md``). Importing an old path gives the
new module itself — the same object, so attributes, ``isinstance`` checks and monkeypatching
behave exactly as with the new path — and emits a ``DeprecationWarning`` naming the new path.
The aliases go away in jangkau 0.3."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

#: Old module (under ``jangkau.``) → its new home.
MOVED: dict[str, str] = {
    "access": "network.access",
    "batch": "workflow.batch",
    "dapil": "selection.dapil",
    "facilities": "data.facilities",
    "fetch": "data.fetch",
    "fill": "synthetic.fill",
    "indicators": "selection.indicators",
    "io": "data.io",
    "isochrones": "network.isochrones",
    "pipeline": "workflow.pipeline",
    "population": "data.population",
    "rai": "network.rai",
    "ranking": "selection.ranking",
    "raster": "data.raster",
    "region": "data.region",
    "report": "workflow.report",
    "roads": "network.roads",
    "siting": "selection.siting",
    "synthetic_run": "synthetic.run",
    "travel": "network.travel",
}


class _AliasLoader(importlib.abc.Loader):
    """Loads an old path as the module of its new home (a loader by protocol: importing
    importlib.abc would pull importlib.resources, tempfile and shutil into every start-up)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import machinery stamped the alias spec on the module; give it back its own.
        module.__spec__ = self._spec


class _AliasFinder:
    """Finds ``jangkau.<old>`` for every old name in :data:`MOVED`."""

    prefix = __name__.rsplit(".", 1)[0] + "."

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self.prefix):
            return None
        old = fullname[len(self.prefix):]
        new = MOVED.get(old)
        if new is None:
            return None
        warnings.warn(f"{fullname} is deprecated; import {self.prefix}{new} instead (removed in 0.3)",
                      DeprecationWarning, stacklevel=3)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(self.prefix + new))


def install() -> None:
    """Adds the alias finder once (it answers only for the old names)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())


def old_attribute(name: str) -> ModuleType:
    """``jangkau.<old>`` as an attribute (``import jangkau; jangkau.network.travel``)."""
    if name not in MOVED:
        raise AttributeError(f"module 'jangkau' has no attribute {name!r}")
    return importlib.import_module(f"{_AliasFinder.prefix}{name}")
