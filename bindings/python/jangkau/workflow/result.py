"""What a pipeline run produced, as one public object: the files written and, in memory,
the region, tables, layers, warnings and notes they were written from. The pipeline
(:mod:`.pipeline`) fills it step by step; the report (:mod:`.report`) is drawn from it.

This module imports neither of them, so neither can import the other back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

    from ..data.region import Region

__all__ = ["RunResult"]


@dataclass
class RunResult:
    """What a run produced.

    ``output`` is the output folder, ``files`` the names written there, ``warnings`` the
    warnings raised (each once), ``timings_s`` the seconds per step and ``manifest`` the
    contents of ``manifest.json``; ``files`` and ``manifest`` are filled when the run has
    finished. The rest is what those files were written from: the loaded ``region``, the
    ``inputs`` (label → path, as recorded in the manifest), ``tables`` (name → DataFrame:
    ``coverage``, ``access_*``, ``dapil_plan``, ``pilots``, ``sites_summary``, ...), ``layers``
    (name → GeoDataFrame: the zones per level with their indicators, ``gaps_<type>``,
    ``isochrones``, ``pilots``, ``sites``), the facilities read (None when the run had none)
    and ``notes`` on what each step did.
    """

    output: Path
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    region: Region | None = field(default=None, repr=False)
    inputs: dict[str, Path] = field(default_factory=dict, repr=False)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)
    facilities: gpd.GeoDataFrame | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list, repr=False)
    #: Steps that did not run (or ran only in part), step → reason; also in manifest.json.
    skipped: dict[str, str] = field(default_factory=dict)

