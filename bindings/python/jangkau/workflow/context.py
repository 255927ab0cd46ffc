"""The state one run carries from step to step (:class:`RunContext`), and what several
steps read from it: the facility layers and catalogue, the real units (no pseudo-units),
the dapil of each kecamatan under the run's plan."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from .config import RunConfig, parse_distance_m
from .result import RunResult

if TYPE_CHECKING:
    from ..network.roads import RoadNetwork

log = logging.getLogger("jangkau")

class RunContext:
    """State of one run: the run file, the staging folder, the indicators gathered per level,
    and the public :class:`RunResult` the steps fill (region, tables, layers, warnings...)."""

    def __init__(self, config: RunConfig, output: Path, staging: Path, data_dir: Path | None,
                 progress: Callable | None, detail: Callable[[str, int, int], None] | None = None):
        self.config = config
        self.staging = staging
        self.data_dir = data_dir
        self.progress = progress
        #: ``detail(stage, done, total)``: progress within a step (the engine's callbacks too).
        self.detail = detail
        self.result = RunResult(output=output)
        self.warnings = self.result.warnings
        self.timings = self.result.timings_s
        self.tables = self.result.tables
        self.layers = self.result.layers
        self.notes = self.result.notes
        self.indicators: dict[str, pd.DataFrame] = {}   # level → code-indexed indicator columns
        self.roads: RoadNetwork | None = None   # the road network of the access step, when there is one
        #: Settings the steps used that the run file may not give (defaults included), for the
        #: manifest's ``effective_parameters``: ``"section.key"`` → value.
        self.effective: dict[str, object] = {}

    @property
    def region(self):
        return self.result.region

    @region.setter
    def region(self, value) -> None:
        self.result.region = value

    @property
    def facilities(self) -> gpd.GeoDataFrame | None:
        return self.result.facilities

    @facilities.setter
    def facilities(self, value: gpd.GeoDataFrame | None) -> None:
        self.result.facilities = value

    @property
    def inputs(self) -> dict[str, Path]:
        return self.result.inputs

    @inputs.setter
    def inputs(self, value: dict[str, Path]) -> None:
        self.result.inputs = value

    def report_detail(self, stage: str, done: int, total: int) -> None:
        """Progress within a step, passed on to the ``detail`` callback of :func:`run`."""
        if self.detail is not None:
            self.detail(stage, done, total)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            log.warning(message)

    @contextlib.contextmanager
    def coverage_warnings(self, what: str, candidates: pd.DataFrame, spec: str) -> Iterator[None]:
        """Within the block, a :class:`~jangkau.errors.CoverageWarning` (candidates covering no
        demand) becomes a warning of the run (log at warning level, report, manifest), naming the
        candidates as ``jangkau sites`` does (:func:`jangkau.selection.siting.candidate_label`;
        ``spec``: the candidates' file or kind); other warnings pass through."""
        from ..errors import CoverageWarning
        from ..selection.siting import candidate_label

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CoverageWarning)
            yield
        for w in caught:
            if not isinstance(w.message, CoverageWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            labels = [candidate_label(candidates, int(i), spec) for i in w.message.candidates]
            self.warn(f"{what}: {len(labels)} of {len(candidates)} candidates cover no demand within the reach and "
                      "can only be chosen for nothing: " + ", ".join(labels[:10])
                      + (f" … ({len(labels) - 10} more)" if len(labels) > 10 else ""))

    def skip(self, step: str, reason: str) -> None:
        """Record that ``step`` did not run and why (notes, report and manifest)."""
        self.result.skipped[step] = reason
        self.notes.append(f"{step}: {reason} — step skipped")


    def write(self, name: str, frame: pd.DataFrame) -> Path:
        from ..data.io import write

        out = self.staging / name
        if self.region is not None and self.region.is_synthetic and "synthetic" not in frame.columns:
            frame = frame.copy()
            frame["synthetic"] = True
        if name.endswith(".csv") and isinstance(frame, gpd.GeoDataFrame):
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        write(frame, out)
        return out


def real_units(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``layer`` (desa or kecamatan zones) without its pseudo-units (column ``pseudo_unit``)."""
    if "pseudo_unit" not in layer.columns:
        return layer
    return layer[~layer["pseudo_unit"].fillna(False).astype(bool)]


def facility_layers(ctx: RunContext) -> list:
    cfg = ctx.config.section("coverage")
    files = cfg.get("facilities") or []
    return [ctx.config.resolve(f, ctx.data_dir) for f in files] or ctx.region.facility_layers()


def facility_catalogue(ctx: RunContext):
    from ..data.facilities import FacilityCatalogue

    cfg = ctx.config.section("coverage")
    catalogue = FacilityCatalogue.default()
    if cfg.get("radius_overrides"):
        catalogue = catalogue.with_radius({k: parse_distance_m(v, k) for k, v in cfg["radius_overrides"].items()})
    return catalogue


#: The group label of pilots chosen without a dapil plan.
NO_DAPIL_PLAN = "(no dapil plan)"


def plan_dapil_of_kecamatan(ctx: RunContext) -> pd.Series:
    plan = ctx.tables.get("dapil_plan")
    if plan is None:
        return pd.Series(dtype=object)
    if plan["kecamatan_code"].duplicated().any():
        # A split kecamatan (bagian kecamatan) has one row per part: pilots are chosen per
        # kecamatan, so the kecamatan counts for the dapil of its most populous part.
        # (Only a proposed plan has parts, and it carries each part's population.)
        plan = plan.sort_values("population", ascending=False, kind="stable").drop_duplicates("kecamatan_code")
    return pd.Series(plan["dapil"].to_numpy(), index=plan["kecamatan_code"].astype(str))


def plan_groups(ctx: RunContext, codes: list[str]) -> tuple[pd.Series, bool]:
    """Dapil of each kecamatan code (the plan's), or one NO_DAPIL_PLAN group when there is none."""
    dmap = plan_dapil_of_kecamatan(ctx)
    if dmap.empty:
        return pd.Series(NO_DAPIL_PLAN, index=pd.Index(codes)), False
    return pd.Series([dmap.get(c) for c in codes], index=pd.Index(codes), dtype=object), True
