"""The one-command pipeline: ``jangkau run CONFIG.toml -o OUTDIR``.

Runs zones → coverage → road access → indicators → ranking → site selection (each step
only where its inputs are configured) and writes GeoJSON layers, CSV tables, a
self-contained HTML report and ``manifest.json`` into OUTDIR. Everything is written into
a staging folder beside OUTDIR and moved into place only when the whole run succeeded,
so a failed run leaves no partial output.

The run file format is described in ``docs/pipeline.md``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
import shutil
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import __version__
from ..errors import DataFileError, InvalidInputError
from ..util import atomic_write_text, sha256_file
from .result import RunResult, backup_folder, staging_folder

__all__ = ["RunConfig", "RunResult", "run", "load_config", "default_config_for", "resolve_inputs", "inputs_digest"]

log = logging.getLogger("jangkau")

#: Steps in the order they run.
STEPS = ("zones", "facility_qa", "coverage", "access", "indicators", "dapil", "spread", "pilots", "dimensions",
         "sites", "plan", "report")

_RUN_KEYS = {"region", "title", "data", "population", "coverage", "access", "dapil", "pilots", "sites", "report",
             "synthetic", "facility_qa", "plan"}


@dataclass
class RunConfig:
    """A parsed run file. Paths starting with ``@config/`` are relative to the run file;
    other relative paths to the data directory (like region files)."""

    region: str
    path: Path | None
    raw: dict = field(repr=False)

    def section(self, name: str) -> dict:
        value = self.raw.get(name) or {}
        if not isinstance(value, dict):
            raise InvalidInputError(f"[{name}] must be a table", file=str(self.path), field=name)
        return value

    def resolve(self, ref: str, data_dir: Path | None) -> Path:
        if ref.startswith("@config/"):
            if self.path is None:
                raise InvalidInputError(f"'{ref}' needs a run file", field=ref)
            return self.path.parent / ref[len("@config/"):]
        if ref.startswith("@region/"):
            from ..util import datasets_dir

            return datasets_dir() / self.region / ref[len("@region/"):]
        p = Path(ref)
        if p.is_absolute():
            return p
        if data_dir is None:
            raise DataFileError(f"'{ref}' is relative to the data directory, but none was found", file=str(self.path))
        return data_dir / p


def load_config(spec: str | os.PathLike[str]) -> RunConfig:
    """A run file (``*.toml`` with a ``region`` key), or a built-in region name (its
    ``datasets/<name>/run.toml`` if present, else zones and dapil only)."""
    p = Path(spec)
    if p.suffix == ".toml" and p.is_file():
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"run file is not valid TOML: {exc}", file=str(p)) from None
        if "region" not in raw:
            # A region file given directly: run it with default steps.
            if "boundaries" in raw:
                return RunConfig(region=str(p.resolve()), path=None, raw={"region": str(p.resolve())})
            raise InvalidInputError("run file lacks 'region'", file=str(p), field="region")
        unknown = sorted(set(raw) - _RUN_KEYS)
        if unknown:
            raise InvalidInputError(f"unknown key '{unknown[0]}' in run file (known: {', '.join(sorted(_RUN_KEYS))})",
                                    file=str(p), field=unknown[0])
        region = str(raw["region"])
        if region.endswith(".toml") and not Path(region).is_absolute():
            region = str((p.parent / region).resolve())
        return RunConfig(region=region, path=p.resolve(), raw=raw)
    if p.suffix == ".toml":
        raise DataFileError("run file not found", file=str(p))
    return default_config_for(str(spec))


def default_config_for(name: str) -> RunConfig:
    """The built-in run configuration of a region (``datasets/<name>/run.toml``)."""
    from ..data.region import builtin_regions
    from ..util import datasets_dir

    run_file = datasets_dir() / name / "run.toml"
    if run_file.is_file():
        return load_config(run_file)
    if name not in builtin_regions():
        raise DataFileError(f"unknown region '{name}' (built in: {', '.join(builtin_regions())}; or give a .toml path)",
                            file=name)
    return RunConfig(region=name, path=None, raw={"region": name})


# ------------------------------------------------------------------------------------------ helpers

def resolve_inputs(config, data_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The input files (label → path) that :func:`jangkau.workflow.pipeline.run` would record in its
    manifest for ``config``, found without running: the region file, its boundaries,
    population and dapil tables, the facility layers (run file or region file), the road
    layers (only when there are facilities, as the access step needs both), user indicator
    tables, a weights file and a candidates layer (only for regions with a population table).
    This is the one place that decides what a run's inputs are: :func:`run` records
    exactly these in manifest.json and ``jangkau batch`` hashes them to skip reruns."""
    from ..data.paths import data_dir as resolve_data_dir
    from ..data.region import read_region_file

    cfg = config if isinstance(config, RunConfig) else load_config(config)
    ddir = resolve_data_dir(data_dir or cfg.raw.get("data"), required=False)
    spec = Path(cfg.region)
    rpath, rconf = read_region_file(spec if spec.suffix == ".toml" else str(cfg.region))

    def region_resolve(ref: str) -> Path:
        if ref.startswith("@region/"):
            return rpath.parent / ref[len("@region/"):]
        p = Path(ref)
        if p.is_absolute():
            return p
        if ddir is None:
            raise DataFileError(f"'{ref}' is relative to the data directory, but none was found", file=str(rpath))
        return ddir / p

    inputs: dict[str, Path] = {"region": rpath}
    bnd = rconf.get("boundaries") or {}
    if "file" not in bnd:
        raise InvalidInputError("region file lacks 'file' in [boundaries]", file=str(rpath), field="file")
    inputs["boundaries"] = region_resolve(bnd["file"])
    for key in ("population", "dapil", "regency_total"):
        if isinstance(rconf.get(key), dict) and rconf[key].get("file"):
            inputs[key] = region_resolve(rconf[key]["file"])
    if isinstance(rconf.get("regency_total"), dict) and not rconf["regency_total"].get("code"):
        from ..util import datasets_dir

        bridge = rconf["regency_total"].get("bridge")
        inputs["regency_code_bridge"] = region_resolve(bridge) if bridge else datasets_dir() / "regency_code_bridge.csv"
    names = ((rconf.get("levels") or {}).get("kecamatan") or {}).get("names")
    if names:
        inputs["kecamatan_names"] = region_resolve(names)
    cov = cfg.section("coverage")
    facilities = [cfg.resolve(f, ddir) for f in cov.get("facilities") or []]
    if not facilities:
        for _name, spec_ in sorted((rconf.get("facilities") or {}).items()):
            if isinstance(spec_, dict) and "file" in spec_:
                facilities.append(region_resolve(spec_["file"]))
                if spec_.get("capacity_file"):
                    facilities.append(region_resolve(spec_["capacity_file"]))
    for i, f in enumerate(facilities):
        inputs[f"facilities[{i}]"] = Path(f)
    acc = cfg.section("access")
    roads = [cfg.resolve(f, ddir) for f in acc.get("roads") or []]
    if not roads:
        rc = rconf.get("roads") or {}
        roads = [region_resolve(f) for f in (rc.get("files") or ([rc["file"]] if rc.get("file") else []))]
    if roads and facilities:
        for i, r in enumerate(roads):
            inputs[f"roads[{i}]"] = Path(r)
    pil = cfg.section("pilots")
    for i, t in enumerate(pil.get("indicators", [])):
        inputs[f"indicators[{i}]"] = cfg.resolve(t, ddir)
    if isinstance(pil.get("weights"), str):
        inputs["weights"] = cfg.resolve(pil["weights"], ddir)
    sites = cfg.section("sites")
    if sites and sites.get("candidates", "desa") != "desa" and rconf.get("population"):
        inputs["candidates"] = cfg.resolve(sites["candidates"], ddir)
    return inputs


#: Inputs of the region file a run can do without (a warning when missing). The boundaries
#: are required; files named in the run file (facilities, roads, indicators...) are what the
#: user asked for, so a missing one is an error.
_OPTIONAL_INPUTS = frozenset({"population", "regency_total", "regency_code_bridge", "dapil", "kecamatan_names"})


def _parse_distance_m(value: Any, what: str) -> float:
    from ..coverage.analysis import parse_radii

    (r,) = parse_radii(value) if not isinstance(value, (int, float)) else (float(value),)
    if r <= 0:
        raise InvalidInputError(f"{what} must be positive", field=what)
    return float(r)


class _Context:
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
        self.roads = None   # the RoadNetwork of the access step, when there is one

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


# ------------------------------------------------------------------------------------------ steps

def _step_zones(ctx: _Context) -> None:
    from ..data.region import Region

    region = Region.load(ctx.config.region, data_dir=ctx.data_dir)
    ctx.region = region
    if region.is_synthetic:
        ctx.warn("SYNTHETIC region: every number in this run comes from generated data, not from any real place")
    src = region.population_source
    if src is None:
        ctx.warn("no population table: population-based results are unavailable")
    else:
        if src.level != "desa":
            ctx.warn(f"population is known per {src.level} ({src.year}); desa figures are spread by areal weighting "
                     "(uniform density within each source zone)")
    if region.dapil is None:
        ctx.warn("the dapil composition is unknown for this region: pilots per dapil use an ILLUSTRATIVE plan")
    else:
        unknown = region.zones("kecamatan")["dapil"].isna().sum()
        if unknown:
            ctx.warn(f"the dapil of {unknown} kecamatan is unknown (not guessed); results per dapil use an "
                     "ILLUSTRATIVE completion where noted")
    if len(region.repairs):
        ctx.warn(f"{len(region.repairs)} invalid desa geometries were repaired (see repairs.csv)")
        ctx.write("repairs.csv", region.repairs)
    _zones_inputs_report(ctx)
    for level in ("desa", "kecamatan", "dapil", "kabupaten"):
        z = region.zones(level)
        ctx.layers[level] = z
        ctx.indicators[level] = pd.DataFrame(index=pd.Index(z["code"].astype(str), name="code"))


def _zones_inputs_report(ctx: _Context) -> None:
    """What the region's inputs say about themselves: the region's warnings (regency code,
    regency totals), the population check (population_check.csv) and the pseudo-units
    (pseudo_units.geojson)."""
    region = ctx.region
    for w in region.warnings:
        ctx.warn(w)
    src = region.population_source
    if src is not None and src.level == "kabupaten" and not region.config.get("population"):
        rt = region.regency_total
        if rt is not None:
            ctx.warn(f"population: only the {rt['year'] or ''} regency total is known ({rt['population']:,.0f}, "
                     f"{rt['name']}, matched by {rt['match']}); desa and kecamatan figures are AREAL WEIGHTING "
                     "(uniform density), not counts")
    check = region.population_check
    if check is not None:
        ctx.tables["population_check"] = check
        ctx.write("population_check.csv", check)
    pseudo = region.pseudo_units
    if len(pseudo):
        ctx.layers["pseudo_units"] = pseudo.to_crs("EPSG:4326")
        ctx.tables["pseudo_units"] = pd.DataFrame(pseudo.drop(columns="geometry"))
        ctx.write("pseudo_units.geojson", ctx.layers["pseudo_units"])
        names = ", ".join(f"{n} ({c})" for n, c in zip(pseudo["name"], pseudo["code"]))
        ctx.warn(f"{len(pseudo)} pseudo-units (not places where people live) get no population and are never "
                 f"pilots or sites: {names}")


def _real_units(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``layer`` (desa or kecamatan zones) without its pseudo-units (column ``pseudo_unit``)."""
    if "pseudo_unit" not in layer.columns:
        return layer
    return layer[~layer["pseudo_unit"].fillna(False).astype(bool)]


def _facility_layers(ctx: _Context) -> list:
    cfg = ctx.config.section("coverage")
    files = cfg.get("facilities") or []
    return [ctx.config.resolve(f, ctx.data_dir) for f in files] or ctx.region.facility_layers()


def _catalogue(ctx: _Context):
    from ..data.facilities import FacilityCatalogue

    cfg = ctx.config.section("coverage")
    catalogue = FacilityCatalogue.default()
    if cfg.get("radius_overrides"):
        catalogue = catalogue.with_radius({k: _parse_distance_m(v, k) for k, v in cfg["radius_overrides"].items()})
    return catalogue


def _step_facility_qa(ctx: _Context) -> None:
    """Read the facility layers (registers from their verbatim files), check them
    (jangkau.data.facility_qa), write the flags and apply the configured policies. The
    facilities with a usable location go on to coverage and access."""
    from ..data import facility_qa as qa
    from ..data.facilities import read_facilities

    layers = _facility_layers(ctx)
    if not layers:
        return
    options = qa.QAOptions.from_config(ctx.config.section("facility_qa"),
                                       file=str(ctx.config.path) if ctx.config.path else None)
    fac = read_facilities(layers, catalogue=_catalogue(ctx), region_boundary=ctx.layers["kabupaten"],
                          keep_missing=True)
    if ctx.region.is_synthetic or ("synthetic" in fac.columns and fac["synthetic"].astype(bool).any()):
        ctx.warn("facilities are SYNTHETIC (generated), labelled so in every output")
    flags = qa.check_facilities(fac, boundary=ctx.layers["kabupaten"], kecamatan=ctx.layers["kecamatan"],
                                options=options, metric_crs=ctx.region.working_crs)
    summary = qa.summary(flags, fac)
    checked = qa.apply_policies(fac, flags)
    ctx.tables["facility_qa"] = flags
    ctx.tables["facility_qa_summary"] = summary
    ctx.write("facility_qa.csv", flags)
    ctx.write("facility_qa.geojson", qa.flags_layer(flags))
    ctx.write("facility_qa_summary.csv", summary)
    if len(flags):
        n_fac = flags["source_index"].groupby(flags["source"]).nunique().sum()
        ctx.warn(f"facility QA: {len(flags)} flags on {n_fac} facilities (policies: "
                 + ", ".join(f"{r} → {options.policies[r].value}" for r in qa.RULES if (flags["rule"] == r).any())
                 + "); nothing was moved — see facility_qa.csv")
    located = checked.geometry.notna() & ~checked.geometry.is_empty
    table = pd.DataFrame(checked.drop(columns=checked.geometry.name))
    table.insert(len(table.columns), "location", np.where(located, "as registered", "unknown"))
    ctx.tables["facilities"] = table
    ctx.write("facilities.csv", table)
    matches = fac.attrs.get("capacity_matches")
    if matches is not None and len(matches):
        ctx.tables["capacity_matches"] = matches
        ctx.write("facility_capacity_matches.csv", matches)
        unmatched = matches[matches["status"] == "no match in the register"]
        if len(unmatched):
            ctx.warn(f"capacity unknown for {len(unmatched)} facilities not found by name in the capacity register: "
                     + ", ".join(unmatched["name"].astype(str).head(8)))
        extra = matches[matches["status"] == "in the register, not in the facility list"]
        if len(extra):
            ctx.notes.append(f"facilities: {len(extra)} entries of the capacity register have no point in the facility "
                             "list (not analysed): " + ", ".join(extra["matched"].astype(str).head(8)))
    if fac.attrs.get("left_out"):
        ctx.notes.append("facilities: register rows of types not analysed were left out ("
                         + ", ".join(f"{k} {v}" for k, v in sorted(fac.attrs["left_out"].items())) + ")")
    if any(str(getattr(layer, "register", "") or "").startswith("kemdikbud") for layer in layers):
        ctx.warn(MADRASAH_NOTE)
    ctx.facilities = checked[located.to_numpy()].reset_index(drop=True)


#: Said wherever school coverage from the Kemdikbud register is shown.
MADRASAH_NOTE = ("school coverage counts Kemdikbud schools only: madrasahs (MI, MTs, MA; registered with Kemenag) "
                 "are not in the register, so coverage of SD/SMP/SMA understates the schools people can reach")


def _step_coverage(ctx: _Context) -> None:
    from ..coverage import analysis as cov
    from ..data.facilities import facility_issues, read_facilities
    from ..data.population import from_zone_counts

    layers = _facility_layers(ctx)
    if not layers:
        ctx.skip("coverage", "no facility layers configured")
        ctx.warn(f"no facility data for {ctx.region.title}: coverage was not computed (supply facility layers)")
        return
    cfg = ctx.config.section("coverage")
    catalogue = _catalogue(ctx)
    fac = ctx.facilities
    if fac is None:  # not read by the QA step (e.g. a run calling the steps itself)
        fac = read_facilities(layers, catalogue=catalogue, region_boundary=ctx.layers["kabupaten"])
        ctx.facilities = fac
    issues = facility_issues(fac) if "facility_qa" not in ctx.tables else pd.DataFrame()
    if len(issues):
        ctx.write("facility_issues.csv", issues)
        ctx.warn(f"{len(issues)} facility issues (duplicates, missing geometry, outside the region): "
                 "see facility_issues.csv")
    ctx.write("facilities.geojson", fac)
    if ctx.region.population_source is None:
        ctx.warn("coverage needs a population: not computed (facility QA and the facility layers were written)")
        return
    types = cfg.get("types")
    radii = cfg.get("radii")
    results = []
    for i, level in enumerate(("desa", "kecamatan", "dapil", "kabupaten")):
        ctx.report_detail(f"coverage {level}", i, 4)
        if level == "dapil" and len(ctx.layers["dapil"]) == 0:
            continue
        res = cov.coverage(ctx.region, fac, radii, level=level, types=types, catalogue=catalogue)
        results.append(res)
        wide = res.pivot_table(index="code", columns=["facility_type", "radius_m"], values="share")
        wide.columns = [f"coverage_share_{t}_{int(r)}m" for t, r in wide.columns]
        ctx.indicators[level] = ctx.indicators[level].join(wide)
    table = pd.concat(results, ignore_index=True)
    ctx.tables["coverage"] = table
    ctx.write("coverage.csv", table)
    # Gap layers: uncovered populated area per type at its largest radius.
    gap_types = sorted(table["facility_type"].unique())
    for i, t in enumerate(gap_types):
        ctx.report_detail(f"gaps {t}", i, len(gap_types))
        r = float(table.loc[table["facility_type"] == t, "radius_m"].max())
        g = cov.gaps(ctx.region, fac[fac["facility_type"] == t], r, level="desa")
        g.insert(0, "facility_type", t)
        ctx.write(f"gaps_{t}_{int(r)}m.geojson", g)
        ctx.layers[f"gaps_{t}"] = g
    # Distance to the nearest facility of each type, population-weighted per zone.
    population = from_zone_counts(ctx.region.zones("desa", crs=ctx.region.working_crs))
    cell = _parse_distance_m(cfg.get("distance_cell", "100m"), "distance_cell")
    dist_rows = []
    for t in sorted(table["facility_type"].unique()):
        of_type = fac[fac["facility_type"] == t].reset_index(drop=True)
        for level in ("desa", "kecamatan", "dapil", "kabupaten"):
            zones = ctx.region.zones(level, crs=ctx.region.working_crs)
            if len(zones) == 0:
                continue
            d = cov.distance_by_zone(population, of_type, zones, cell_size=cell)
            ctx.indicators[level] = ctx.indicators[level].join(
                d.set_index("code")[["mean_distance_m"]].rename(columns={"mean_distance_m": f"nearest_distance_m_{t}"}))
            d.insert(0, "level", level)
            d.insert(0, "facility_type", t)
            dist_rows.append(d)
    if dist_rows:
        dist = pd.concat(dist_rows, ignore_index=True)
        ctx.tables["nearest_distance"] = dist
        ctx.write("nearest_distance.csv", dist)
    if any(t in ("sd", "smp", "sma") for t in table["facility_type"].unique()) and \
            MADRASAH_NOTE not in ctx.warnings and "madrasah" not in " ".join(ctx.notes):
        ctx.notes.append("coverage: school layers may lack madrasahs (MI, MTs, MA) — check the facility source")


def _step_access(ctx: _Context) -> None:
    """Travel time to the nearest facility, network coverage, an accessibility index, road
    density, the Rural Access Index and isochrones, over the configured road layers."""
    cfg = ctx.config.section("access")
    roads_files = [ctx.config.resolve(f, ctx.data_dir) for f in cfg.get("roads") or []] or ctx.region.road_files()
    if not roads_files:
        ctx.skip("access", "no road layers configured")
        ctx.warn(f"no road network for {ctx.region.title}: travel-time access was not computed")
        return
    if ctx.facilities is None:
        ctx.warn("road access needs facilities: step skipped")
        ctx.skip("access", "road access needs facilities")
        return
    from ..data.population import from_zone_counts
    from ..network.build import build_roads
    from ..network.isochrones import isochrones
    from ..network.rai import road_density, rural_access_index
    from ..network.travel import (
        AccessMethod,
        DemandKind,
        TravelModel,
        demand,
        minutes_label,
        parse_duration_s,
        parse_minutes,
    )

    region = ctx.region
    roads_cfg = region.config.get("roads") or {}
    # An OSM-style highway column maps straight onto the speed table; else the class column.
    class_column = cfg.get("class_column") or roads_cfg.get("highway_column") or roads_cfg.get("class_column")
    roads = build_roads([str(p) for p in roads_files], class_column=class_column, crs=region.working_crs,
                        boundary=region.zones("kabupaten"), margin_m=cfg.get("osm_margin_m"))
    skipped = roads.skipped
    if len(skipped):
        ctx.write("access_roads_skipped.csv", skipped.assign(source=[Path(x).name for x in skipped["source"]]))
        ctx.notes.append(f"access: {roads.skipped_summary()}: listed in access_roads_skipped.csv")
    ctx.roads = roads
    comps = roads.components()
    if len(comps) > 1:
        ctx.notes.append(f"access: road network of {roads.node_count} nodes in {len(comps)} components "
                         f"(largest {comps['length_km'].iloc[0]:.1f} of {comps['length_km'].sum():.1f} km)")
    fac = ctx.facilities
    if "duplicate" in fac.columns:
        fac = fac[~fac["duplicate"].astype(bool)]
    ftype = cfg.get("facility_type")
    if ftype is None:
        ftype = "puskesmas" if (fac["facility_type"] == "puskesmas").any() else str(fac["facility_type"].iloc[0])
    fac = fac[fac["facility_type"] == ftype].reset_index(drop=True)
    if fac.empty:
        raise InvalidInputError(f"no facilities of type '{ftype}' for road access", field="facility_type")
    max_time_min = parse_duration_s(cfg.get("max_time", "30min")) / 60.0
    thresholds = parse_minutes(cfg.get("thresholds", [15, 30, 60]))
    method = AccessMethod(str(cfg.get("method", "e2sfca")))
    max_snap = float(cfg.get("max_snap_m", 1000.0))
    cell = float(cfg.get("cell_size_m", 250.0))
    pop = from_zone_counts(region.zones("desa", crs=region.working_crs))
    for i, level in enumerate(("desa", "kecamatan")):
        ctx.report_detail(f"travel time {level}", i, 3)
        dm = demand(region, level=level, population=pop, kind=DemandKind.CELLS, cell_size=cell)
        model = TravelModel(roads, fac, dm, max_snap_m=max_snap, capacity_column=cfg.get("capacity_column"))
        near = model.nearest()
        zt = model.by_zone(thresholds, nearest=near)
        zt.insert(1, "facility_type", ftype)
        ctx.tables[f"access_travel_time_{level}"] = zt
        ctx.write(f"access_travel_time_{level}.csv", zt)
        # Indicators must be finite: p90 is inf where a tenth cannot reach a facility, so the
        # ranking uses the mean over those who can and the share within the time limit.
        within = f"share_within_{minutes_label(max_time_min)}"
        if within not in zt.columns:
            zt2 = model.by_zone([max_time_min], nearest=near)
            zt[within] = zt2[within].to_numpy()
        ind = pd.DataFrame({
            f"travel_time_{ftype}_mean_min": zt["mean_time_min"].to_numpy(),
            f"covered_share_{ftype}_{within[len('share_within_'):]}": zt[within].to_numpy(),
        }, index=pd.Index(zt["code"].astype(str), name="code"))
        if method is not AccessMethod.NEAREST:
            res = model.accessibility(method, max_time_min=max_time_min)
            az = res.zones.assign(method=method.value, facility_type=ftype)
            ctx.tables[f"access_{method.value}_{level}"] = az
            ctx.write(f"access_{method.value}_{level}.csv", az)
            ind[f"access_2sfca_{method.value}_{ftype}"] = az.set_index(az["code"].astype(str))["access"]
        if level == "kecamatan":
            report = model.snap_report()
            if len(report):
                ctx.write("access_snap_report.csv", report)
                ctx.warn(f"{len(report)} facilities or demand points are farther than {max_snap:g} m from a road: "
                         "reported in access_snap_report.csv (their time is inf)")
        ctx.indicators[level] = ctx.indicators[level].join(ind, how="left")
    zones = region.zones("kecamatan", crs=region.working_crs)
    dens = road_density(roads, zones)
    ctx.write("road_density_kecamatan.csv", dens)
    total = dens[dens["road_class"] == "total"].set_index("code")["density_km_per_km2"]
    ctx.indicators["kecamatan"] = ctx.indicators["kecamatan"].join(total.rename("road_density_km_per_km2"))
    rai = rural_access_index(roads, region, level="kecamatan", population=pop)
    ctx.write("rai_kecamatan.csv", rai)
    ctx.tables["access_rai"] = rai
    r = rai[rai["code"] != "all"].set_index("code")["rai"]
    if r.notna().any():
        ctx.indicators["kecamatan"] = ctx.indicators["kecamatan"].join(r.rename("rai"))
    else:
        ctx.notes.append("access: no rural population by the default rule, so the RAI is undefined (NaN)")
    bands = parse_minutes(cfg.get("bands", [15, 30]))
    ctx.report_detail("isochrones", 2, 3)
    iso = isochrones(roads, fac, bands, group_by="facility_type", max_snap_m=max_snap, population=pop)
    ctx.layers["isochrones"] = iso
    ctx.write(f"isochrones_{ftype}.geojson", iso)
    ctx.notes.append(f"access: nearest {ftype} over {roads.edge_count} road edges; {method.value} within "
                     f"{max_time_min:g} min; isochrones {', '.join(f'{b:g}' for b in bands)} min")


def _step_dapil(ctx: _Context) -> None:
    from ..selection.dapil import NoPlanError, check_plan, propose_plan

    region = ctx.region
    desa = _real_units(ctx.layers["desa"])
    kec = _real_units(ctx.layers["kecamatan"])
    cfg = ctx.config.section("dapil")
    total = cfg.get("total_seats") or region.config.get("dapil", {}).get("total_seats")
    table = region.dapil
    known_all = table is not None and kec["dapil"].notna().all()
    if known_all:
        plan = table[["kecamatan_code", "dapil", "seats"]]
        check = check_plan(plan, kec, total_seats=total)
        ctx.write("dapil_check.csv", check)
        ctx.tables["dapil_plan"] = plan.assign(plan_status="CONFIRMED")
        return
    if kec["population"].isna().any():
        ctx.warn("dapil plan: the population of some kecamatan is unknown, so no plan can be balanced (seats by "
                 "population, UU 7/2017): pilots are chosen per kecamatan without dapil quotas")
        ctx.skip("dapil", "population unknown: no ILLUSTRATIVE plan can be proposed or checked")
        return
    if cfg.get("propose", True) is False:
        ctx.warn("dapil composition incomplete and proposal disabled: pilots per dapil are not chosen")
        ctx.skip("dapil", "composition incomplete and proposal disabled ([dapil] propose = false)")
        return
    fixed = None
    if table is not None:
        fixed = table.dropna(subset=["dapil"])[["kecamatan_code", "dapil", "seats"]]
    try:
        # desa as building blocks: a kecamatan is split (bagian kecamatan) only when whole
        # kecamatan cannot satisfy the rules.
        plan = propose_plan(kec, total_seats=total, fixed=fixed, seed=int(cfg.get("seed", 0)),
                            n_dapil=int(cfg["n_dapil"]) if cfg.get("n_dapil") else None,
                            desa=desa, options=_proposal_options(cfg))
    except NoPlanError as exc:
        # An ILLUSTRATIVE plan is optional: the run goes on with pilots per kecamatan and no
        # dapil quotas, and says why in every output.
        reasons = exc.reasons or [str(exc)]
        ctx.write("dapil_no_plan.csv", pd.DataFrame({"reason": reasons}))
        ctx.skip("dapil", "no ILLUSTRATIVE plan satisfies the rules (dapil_no_plan.csv)")
        ctx.warn("dapil plan: no ILLUSTRATIVE plan satisfies the rules (" + "; ".join(reasons) + "); pilots and "
                 "sites are chosen per kecamatan without dapil quotas")
        return
    ctx.tables["dapil_plan"] = plan
    ctx.write("dapil_plan_ILLUSTRATIVE.csv", plan)
    _write_proposal_status(ctx, plan, cfg)
    ctx.warn("dapil plan: the official composition is not (fully) known; an ILLUSTRATIVE plan satisfying the rules "
             "was proposed (confirmed parts kept fixed) and used for pilots and sites per dapil — it is not the KPU "
             "decision")
    confirmed = None
    if fixed is not None and fixed["seats"].notna().any():
        confirmed = fixed.dropna(subset=["seats"]).groupby("dapil")["seats"].first().astype(int)
    cols = [c for c in ("kecamatan_code", "dapil", "seats", "desa_codes") if c in plan.columns]
    check = check_plan(plan[cols], kec, total_seats=total, confirmed_seats=confirmed, desa=desa)
    ctx.write("dapil_plan_ILLUSTRATIVE_check.csv", check)
    _write_sea_links(ctx, plan, kec)


#: The group label of pilots chosen without a dapil plan.
NO_DAPIL_PLAN = "(no dapil plan)"


def _plan_dapil_of_kecamatan(ctx: _Context) -> pd.Series:
    plan = ctx.tables.get("dapil_plan")
    if plan is None:
        return pd.Series(dtype=object)
    if plan["kecamatan_code"].duplicated().any():
        # A split kecamatan (bagian kecamatan) has one row per part: pilots are chosen per
        # kecamatan, so the kecamatan counts for the dapil of its most populous part.
        # (Only a proposed plan has parts, and it carries each part's population.)
        plan = plan.sort_values("population", ascending=False, kind="stable").drop_duplicates("kecamatan_code")
    return pd.Series(plan["dapil"].to_numpy(), index=plan["kecamatan_code"].astype(str))


def _step_pilots(ctx: _Context) -> None:
    from ..selection.indicators import IndicatorCatalogue, assemble_indicators, criteria_matrix
    from ..selection.ranking import WeightSpec, dimension_contributions, load_weights, rank_zones, sensitivity

    cfg = ctx.config.section("pilots")
    kec = _real_units(ctx.layers["kecamatan"]).copy()
    kec["code"] = kec["code"].astype(str)
    extra = ctx.indicators["kecamatan"]
    extra = extra[extra.index.astype(str).isin(kec["code"])]  # pseudo-units are never pilots
    engine = [extra.reset_index()] if len(extra.columns) else []
    user_tables = [ctx.config.resolve(t, ctx.data_dir) for t in cfg.get("indicators", [])]
    table = assemble_indicators(kec, engine_results=engine, user_tables=user_tables,
                                allow_missing=cfg.get("imputation", "none") != "none")
    catalogue = IndicatorCatalogue.default()
    if "weights" in cfg and isinstance(cfg["weights"], str):
        wpath = ctx.config.resolve(cfg["weights"], ctx.data_dir)
        spec = load_weights(wpath, override=bool(cfg.get("ahp_override", False)))
    else:
        weights = cfg.get("weights") or {}
        if not weights:
            usable = [c for c in table.columns if catalogue.find(c) is not None and table[c].notna().all()]
            if not usable:
                reason = ("no indicator is known for every kecamatan (no population, facilities, roads or indicator "
                          "tables): nothing to rank on")
                ctx.warn(f"pilots: {reason}; supply a population or indicator tables to rank kecamatan")
                ctx.skip("pilots", reason)
                return
            weights = dict.fromkeys(usable, 1.0)
            ctx.notes.append("pilots: no weights given — equal weights over the available indicators "
                             f"({', '.join(usable)})")
        spec = WeightSpec(indicator_weights=pd.Series(weights, dtype=float), source="run file [pilots.weights]")
    cm = criteria_matrix(table, catalogue, indicators=spec.indicators, mode=cfg.get("mode", "need"),
                         normalisation=cfg.get("normalisation", "min_max"),
                         imputation=cfg.get("imputation", "none"))
    dmap = _plan_dapil_of_kecamatan(ctx)
    if dmap.empty:
        # No dapil plan (none known, none proposed): one group, the whole regency, so pilots
        # are the best kecamatan without dapil quotas.
        dmap = pd.Series(NO_DAPIL_PLAN, index=kec["code"].astype(str))
        ctx.notes.append(f"pilots: no dapil plan — the {int(cfg.get('k', 1))} best kecamatan of the whole regency, "
                         "without dapil quotas")
    zd = pd.DataFrame({"code": kec["code"], "dapil": [dmap.get(c) for c in kec["code"]]})
    method = cfg.get("method", "weighted_sum")
    k = int(cfg.get("k", 1))
    res = rank_zones(cm, spec, zd, method=method, k=k)
    sens = sensitivity(cm, spec, zd, method=method, k=k, draws=int(cfg.get("draws", 2000)),
                       concentration=float(cfg.get("concentration", 100.0)), seed=int(cfg.get("seed", 0)), base=res)
    out = res.table.join(sens.table[["p_selected", "rank_low", "rank_median", "rank_high", "stability"]])
    out = out.join(dimension_contributions(cm, res.weights))
    out.insert(0, "code", out.index.astype(str))
    out.index.name = None
    names = dict(zip(kec["code"], kec["name"]))
    out.insert(1, "name", [names.get(c, "") for c in out["code"]])
    out["dapil_source"] = _dapil_source(ctx.tables.get("dapil_plan"))
    out = out.sort_values(["rank", "code"], ignore_index=True)
    ctx.tables["pilots"] = out
    ctx.tables["indicators_kecamatan"] = table
    ctx.write("indicators_kecamatan.csv", table.reset_index().rename(columns={"index": "code"}))
    ctx.write("pilots.csv", out)
    geo = kec[["code", "geometry"]].merge(out, on="code", how="right")
    ctx.layers["pilots"] = gpd.GeoDataFrame(geo, geometry="geometry", crs=kec.crs)
    ctx.write("pilots.geojson", ctx.layers["pilots"])
    ctx.write("weights.csv", cm.criteria.join(res.weights).reset_index())


def _dapil_source(plan: pd.DataFrame | None) -> str:
    """What the pilots' dapil come from, in words that match the plan: "no dapil plan (pilots over the whole regency)",
    "confirmed plan", or "ILLUSTRATIVE plan" with how many of its kecamatan are confirmed
    ("none confirmed" when nothing is)."""
    if plan is None or plan.empty:
        return "no dapil plan (pilots over the whole regency)"
    if "plan_status" not in plan.columns or (plan["plan_status"] == "CONFIRMED").all():
        return "confirmed plan"
    status = plan.groupby(plan["kecamatan_code"].astype(str))["plan_status"].agg(
        lambda s: bool((s == "CONFIRMED").all()))
    n_conf, n = int(status.sum()), len(status)
    if n_conf == 0:
        return "ILLUSTRATIVE plan (none confirmed)"
    return f"ILLUSTRATIVE plan ({n_conf} of {n} kecamatan confirmed)"


#: Default ``[sites] node_limit`` of a run: HiGHS branch-and-bound nodes of the exact phase.
SITES_NODE_LIMIT = 10_000


def _step_sites(ctx: _Context) -> None:
    from scipy.spatial import cKDTree

    from ..selection import siting

    cfg = ctx.config.section("sites")
    if not cfg:
        ctx.skip("sites", "not configured in the run file")
        return
    region = ctx.region
    model = str(cfg.get("model", "mclp")).lower()
    radius = _parse_distance_m(cfg.get("radius", "2km"), "radius")
    desa = region.zones("desa", crs=region.working_crs)
    if desa["population"].isna().all():
        ctx.warn("site selection needs population: step skipped")
        ctx.skip("sites", "site selection needs population")
        return
    unknown = desa["population"].isna()
    if unknown.any():
        codes = desa.loc[unknown, "code"].astype(str).tolist()
        ctx.warn(f"sites: {len(codes)} desa have no population ({', '.join(codes[:5])}"
                 f"{', ...' if len(codes) > 5 else ''}); they carry no demand in site selection")
    # Demand: population on a regular grid of points (areal weighting inside each desa).
    spacing = _parse_distance_m(cfg.get("demand_spacing", "500m"), "demand_spacing")
    demand = siting.demand_points(desa, spacing)
    # Candidates: desa centroids (points on surface) unless a layer is given.
    cand_spec = str(cfg.get("candidates", "desa"))
    if cand_spec not in ("desa", "kecamatan") and not cand_spec.startswith("grid:"):
        cand_spec = str(ctx.config.resolve(cand_spec, ctx.data_dir))
    cands = siting.candidate_points(region, cand_spec, desa.crs)
    if "kecamatan_code" not in cands.columns:
        from .._core import locate_points
        from ..data.io import to_geometry_array

        idx = locate_points(to_geometry_array(desa.geometry), cands.geometry.x.to_numpy(), cands.geometry.y.to_numpy())
        cands["kecamatan_code"] = [desa["kecamatan_code"].iloc[i] if i >= 0 else None for i in idx]
    cands = _drop_pseudo_candidates(ctx, cands, desa)
    ctx.notes.append(f"sites: {len(cands)} candidates ({cand_spec if len(cand_spec) < 40 else 'file'})")
    dmap = _plan_dapil_of_kecamatan(ctx)
    groups = np.array([dmap.get(str(k)) for k in cands["kecamatan_code"]], dtype=object)
    per_dapil = cfg.get("per_dapil")
    dx, dy = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    cx, cy = cands.geometry.x.to_numpy(), cands.geometry.y.to_numpy()
    # Existing facilities of the configured type count as covering already.
    precovered = None
    fac_type = cfg.get("existing_type")
    if fac_type and ctx.facilities is not None:
        f = ctx.facilities[ctx.facilities["facility_type"] == fac_type].to_crs(desa.crs)
        if len(f):
            d, _ = cKDTree(np.column_stack([f.geometry.x, f.geometry.y])).query(np.column_stack([dx, dy]))
            precovered = d <= radius
    cost = siting.coverage_matrix(np.column_stack([dx, dy]), np.column_stack([cx, cy]), radius_m=radius)
    w = demand["population"].to_numpy()
    kw: dict[str, Any] = {"progress": ctx.detail} if ctx.detail is not None else {}
    if per_dapil:
        has = np.array([g is not None for g in groups])
        if has.any():
            kw.update(groups=groups, quotas=int(per_dapil))
    p = int(cfg.get("p", 5))
    if kw and model != "lscp":
        need = int(per_dapil) * len({g for g in groups if g is not None})
        if need > p:
            # the plan (often ILLUSTRATIVE) has more dapil than p allows with per_dapil each
            ctx.warn(f"sites: {len({g for g in groups if g is not None})} dapil × per_dapil {int(per_dapil)} = {need} "
                     f"sites > p = {p}: p is raised to {need}")
            p = need
    # Reproducible: the exact phase is bounded by branch-and-bound nodes, not by the clock (a
    # wall-clock budget gives different sites on a busier machine); time_limit_s adds a clock.
    kw["node_limit"] = int(cfg.get("node_limit", SITES_NODE_LIMIT))
    kw["time_limit_s"] = float(cfg.get("time_limit_s", math.inf))
    if model == "mclp":
        res = siting.mclp(w, cost, p, max_cost=radius, precovered=precovered, **kw)
    elif model in ("pmedian", "p_median"):
        res = siting.p_median(w, cost, p, **kw)
    elif model == "lscp":
        res = siting.lscp(w, cost, max_cost=radius, precovered=precovered, **kw)
    else:
        raise InvalidInputError(f"unknown siting model '{model}' (mclp, lscp, pmedian)", field="model")
    chosen = cands.iloc[res.sites].copy()
    chosen.insert(0, "order", np.arange(1, len(chosen) + 1))
    chosen["marginal_gain"] = res.marginal_gain
    chosen["dapil"] = groups[res.sites]
    chosen["model"] = res.model
    chosen["radius_m"] = radius
    ctx.layers["sites"] = chosen.to_crs("EPSG:4326")
    ctx.write("sites.geojson", ctx.layers["sites"])
    summary = pd.DataFrame([{
        "model": res.model, "solver": res.solver, "status": res.status, "p": res.p, "objective": res.objective,
        "bound": res.bound, "gap": res.gap, "demand_points": len(dx), "candidates": len(cx), "radius_m": radius,
        "total_population": float(w.sum()),
        "covered_before": float(w[precovered].sum()) if precovered is not None else 0.0,
    }])
    ctx.tables["sites_summary"] = summary
    ctx.write("sites_summary.csv", summary)
    ctx.notes.append(f"sites: {res.model} ({res.solver}) chose {res.p} sites; objective {res.objective:,.0f}, "
                     f"certified bound {res.bound:,.0f} (gap {100 * res.gap:.2f}%)")
    if res.covered is not None:
        cov_after = pd.DataFrame({"kecamatan_code": demand["kecamatan_code"].to_numpy(), "population": w,
                                  "covered_after": np.where(res.covered, w, 0.0),
                                  "covered_before": np.where(precovered, w, 0.0) if precovered is not None else 0.0})
        per_kec = cov_after.groupby("kecamatan_code", sort=True).sum().reset_index()
        ctx.write("sites_coverage_kecamatan.csv", per_kec)


def _drop_pseudo_candidates(ctx: _Context, cands: gpd.GeoDataFrame, desa: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Candidates lying in a pseudo-unit (lake, forest...) are never sites."""
    if "pseudo_unit" not in desa.columns or not desa["pseudo_unit"].any():
        return cands
    from .._core import locate_points
    from ..data.io import to_geometry_array

    idx = locate_points(to_geometry_array(desa.geometry), cands.geometry.x.to_numpy(), cands.geometry.y.to_numpy())
    pseudo = desa["pseudo_unit"].to_numpy(dtype=bool)
    drop = np.array([i >= 0 and pseudo[i] for i in idx], dtype=bool)
    if drop.any():
        ctx.notes.append(f"sites: {int(drop.sum())} candidates in pseudo-units dropped")
    return cands[~drop].reset_index(drop=True)


def _proposal_options(cfg: dict):
    """ProposalOptions from the run file's [dapil] node_limit / time_limit_s / mip_gap."""
    from ..selection.dapil import ProposalOptions

    # A run is reproducible: the proposer is bounded by nodes, not by the clock, unless the run
    # file asks for a time limit (which makes the plan depend on the machine's speed).
    kw: dict[str, Any] = {"time_limit_s": None}
    for key, conv in (("node_limit", int), ("time_limit_s", float), ("mip_gap", float)):
        if key in cfg:
            try:
                v = conv(cfg[key])
            except (TypeError, ValueError):
                raise InvalidInputError(f"[dapil] {key} = {cfg[key]!r} is not a number", field=key) from None
            if not (v >= 0) or (key != "mip_gap" and v == 0):
                raise InvalidInputError(f"[dapil] {key} = {cfg[key]!r} must be positive", field=key)
            kw[key] = v
    return ProposalOptions(**kw)


def _write_proposal_status(ctx: _Context, plan: pd.DataFrame, cfg: dict) -> None:
    """How good the ILLUSTRATIVE plan is proven to be: ``dapil_proposal.csv`` (status
    'optimal' or 'stopped' by the node/time limit, objective = extra parts + largest
    deviation of population per seat, its certified lower bound and the gap), and a note."""
    opts = _proposal_options(cfg)
    a = plan.attrs
    obj = float(a.get("split_parts", 0)) + float(a.get("objective", float("nan")))
    bound = float(a.get("bound", float("nan")))
    row = {"status": a.get("status"), "objective": obj, "bound": bound, "gap": obj - max(bound, 0.0),
           "max_deviation": a.get("max_deviation"), "extra_parts": a.get("split_parts", 0),
           "n_dapil": a.get("n_dapil"), "split_kecamatan": ";".join(a.get("split_kecamatan", [])),
           "compactness_status": a.get("compactness_status"), "cut_boundary_km": a.get("cut_boundary_m", 0.0) / 1e3,
           "node_limit": opts.node_limit, "time_limit_s": opts.time_limit_s,
           "search_log": " | ".join(a.get("search_log", []))}
    ctx.tables["dapil_proposal"] = pd.DataFrame([row])
    ctx.write("dapil_proposal.csv", ctx.tables["dapil_proposal"])
    ctx.notes.append(f"dapil: ILLUSTRATIVE plan {row['status']} — objective {obj:.4f} (extra parts + largest "
                     f"deviation of population per seat), certified lower bound {max(bound, 0.0):.4f}, gap "
                     f"{row['gap']:.4f} (node limit {opts.node_limit}, time limit {opts.time_limit_s} s per solve)")


def _write_sea_links(ctx: _Context, plan: pd.DataFrame, kec: gpd.GeoDataFrame) -> None:
    """The sea links of the proposed plan as lines (``dapil_sea_links.geojson``; an assumption)."""
    from ..selection.dapil import sea_link_layer

    layer = sea_link_layer(plan, kec)
    if layer is None:
        return
    ctx.layers["dapil_sea_links"] = layer
    ctx.write("dapil_sea_links.geojson", layer)
    ctx.notes.append(f"dapil: {len(layer)} sea links (an assumption, not a KPU rule) in dapil_sea_links.geojson, "
                     f"{int(layer['within_dapil'].sum())} of them inside a dapil of the plan")


def _step_layers(ctx: _Context) -> None:
    """Zones per level with every indicator as properties (GeoJSON) and as tables (CSV)."""
    for level in ("desa", "kecamatan", "dapil", "kabupaten"):
        z = ctx.layers[level].copy()
        if len(z) == 0:
            continue
        z["code"] = z["code"].astype(str)
        extra = ctx.indicators[level]
        z = z.drop(columns=[c for c in extra.columns if c in z.columns]).merge(
            extra, left_on="code", right_index=True, how="left")
        if level == "kecamatan" and "pilots" in ctx.tables:
            p = ctx.tables["pilots"].set_index("code")[["score", "rank", "selected", "p_selected", "stability"]]
            z = z.merge(p, left_on="code", right_index=True, how="left")
        ctx.layers[level] = z
        ctx.write(f"zones_{level}.geojson", z)
        ctx.write(f"zones_{level}.csv", z)


# ------------------------------------------------------------------------------------------ run

def run(config: RunConfig | str | os.PathLike[str], output: str | os.PathLike[str], *,
        data_dir: str | os.PathLike[str] | None = None, progress: Callable[[str, int, int], None] | None = None,
        overwrite: bool = True, detail: Callable[[str, int, int], None] | None = None) -> RunResult:
    """Run the pipeline and write everything into ``output`` (replaced atomically as a
    whole; nothing is left behind when a step fails). Returns a :class:`RunResult`.
    ``progress(step, done, total)`` is called per step, ``detail(stage, done, total)`` within
    steps (zone levels, facility types, and the engine's own progress callbacks)."""
    from ..data.paths import data_dir as resolve_data_dir

    cfg = config if isinstance(config, RunConfig) else load_config(config)
    out = Path(output).resolve()
    if out.exists() and not out.is_dir():
        raise DataFileError("output exists and is not a directory", file=str(out))
    if out.exists() and not overwrite:
        raise DataFileError("output directory exists", file=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    ddir_spec = data_dir or cfg.raw.get("data")
    ddir = resolve_data_dir(ddir_spec, required=False)
    staging = staging_folder(out)
    ctx = _Context(cfg, out, staging, ddir, progress, detail)
    ctx.inputs = resolve_inputs(cfg, ddir)
    for label, path in list(ctx.inputs.items()):
        if not path.is_file():
            if label in _OPTIONAL_INPUTS:
                # an optional input of the region: a warning, the run goes on without it
                ctx.warn(f"optional input '{label}' not found ({path}): continuing without it")
                del ctx.inputs[label]
                continue
            shutil.rmtree(staging, ignore_errors=True)
            raise DataFileError(f"input '{label}' not found", file=str(path))
    steps: list[tuple[str, Callable[[_Context], None]]] = [
        ("zones", _step_zones), ("facility_qa", _step_facility_qa), ("coverage", _step_coverage),
        ("access", _step_access), ("indicators", _step_indicators), ("dapil", _step_dapil), ("spread", _step_spread),
        ("pilots", _step_pilots), ("dimensions", _step_dimensions), ("sites", _step_sites), ("plan", _step_plan),
        ("layers", _step_layers), ("report", _step_report),
    ]
    try:
        for i, (name, fn) in enumerate(steps):
            if progress:
                progress(name, i, len(steps))
            t0 = time.perf_counter()
            fn(ctx)
            ctx.timings[name] = round(time.perf_counter() - t0, 3)
        if progress:
            progress("done", len(steps), len(steps))
        manifest = _manifest(ctx, out)
        atomic_write_text(staging / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        backup = None
        if out.exists():
            backup = backup_folder(out)
            out.rename(backup)
        staging.rename(out)
        if backup is not None:
            shutil.rmtree(backup)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    ctx.result.files = sorted(p.name for p in out.iterdir())
    ctx.result.manifest = manifest
    return ctx.result


def _manifest(ctx: _Context, out: Path) -> dict:
    inputs = {k: {"path": str(v), "sha256": sha256_file(v), "bytes": v.stat().st_size} for k, v in sorted(ctx.inputs.items())}
    outputs = {p.name: sha256_file(p) for p in sorted(ctx.staging.iterdir()) if p.is_file()}
    return {
        "jangkau_version": __version__,
        "python": platform.python_version(),
        "region": {"name": ctx.region.name, "title": ctx.region.title, "working_crs": ctx.region.working_crs,
                   "synthetic": ctx.region.is_synthetic},
        "run_file": str(ctx.config.path) if ctx.config.path else None,
        "parameters": ctx.config.raw,
        "data_dir": str(ctx.data_dir) if ctx.data_dir else None,
        "inputs": inputs,
        "inputs_digest": inputs_digest(inputs, ctx.config.raw),
        "outputs": outputs,
        "warnings": ctx.warnings,
        "skipped_steps": ctx.result.skipped,
        "timings_s": ctx.timings,
    }


def inputs_digest(inputs: dict, parameters: dict) -> str:
    """One hash of every input's content and the parameters: equal digests mean a rerun
    would produce identical outputs (used by ``jangkau batch`` to skip)."""
    h = hashlib.sha256()
    h.update(__version__.encode())
    for k in sorted(inputs):
        h.update(k.encode())
        h.update(inputs[k]["sha256"].encode())
    h.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _step_report(ctx: _Context) -> None:
    from .report import write_report

    write_report(ctx.result, ctx.staging / "report.html")


# ------------------------------------------------------------------------------------------ programme
# Indicators of all six dimensions, the spread of pilots, the staged plan (issue 14;
# docs/programme.md).

def _step_indicators(ctx: _Context) -> None:
    """Indicators the facility layers support per type: distance to the nearest facility
    and facilities per 10,000 residents, per desa and kecamatan."""
    from ..selection.indicators import facility_indicators

    if ctx.facilities is None or len(ctx.facilities) == 0:
        ctx.notes.append("indicators: no facility layer, so no distance or count indicators per facility type")
        return
    region = ctx.region
    desa = region.zones("desa", crs=region.working_crs)
    got = facility_indicators(desa, ctx.facilities)
    for level, frame in got.items():
        new = frame[[c for c in frame.columns if c not in ctx.indicators[level].columns]]
        ctx.indicators[level] = ctx.indicators[level].join(new, how="left")
    types = sorted({c[len("nearest_"):-len("_km")] for c in got["kecamatan"].columns if c.startswith("nearest_")})
    ctx.notes.append(f"indicators: nearest-facility distance and facilities per 10,000 residents for "
                     f"{', '.join(types)}; per 1,000 children needs population by age, which the data lacks; "
                     "distance to the regency seat needs its location, which the data lacks")


def _plan_groups(ctx: _Context, codes: list[str]) -> tuple[pd.Series, bool]:
    """Dapil of each kecamatan code (the plan's), or one NO_DAPIL_PLAN group when there is none."""
    dmap = _plan_dapil_of_kecamatan(ctx)
    if dmap.empty:
        return pd.Series(NO_DAPIL_PLAN, index=pd.Index(codes)), False
    return pd.Series([dmap.get(c) for c in codes], index=pd.Index(codes), dtype=object), True


def _step_spread(ctx: _Context) -> None:
    """The spread indicator of every kecamatan as a pilot of its dapil, and the 1-median /
    1-center kecamatan of each dapil."""
    from ..selection.spread import dapil_centres, graph_distances, road_times, spread

    cfg = ctx.config.section("plan")
    kec = ctx.region.zones("kecamatan", crs=ctx.region.working_crs)
    if kec["population"].isna().all():
        ctx.notes.append("spread: no population, so no spread indicator")
        return
    codes = sorted(kec["code"].astype(str))
    groups, has_plan = _plan_groups(ctx, codes)
    pop = pd.Series(kec["population"].to_numpy(dtype=float), index=kec["code"].astype(str))
    if ctx.roads is not None:
        threshold = float(cfg.get("spread_threshold_min", 30.0))
        dist = road_times(ctx.roads, kec)
        table = spread(dist, pop, groups, threshold=threshold, unit="min")
        how = f"travel time over roads (share within {threshold:g} min)"
    else:
        threshold = float(cfg.get("spread_threshold_km", 10.0))
        dist = graph_distances(kec)
        table = spread(dist, pop, groups, threshold=threshold, unit="km", scale=1e-3)
        how = f"straight-line distance along the kecamatan adjacency graph (share within {threshold:g} km)"
    ctx.write("spread_kecamatan.csv", table)
    ctx.tables["spread"] = table
    centres = dapil_centres(table)
    ctx.write("spread_dapil_centres.csv", centres)
    ctx.tables["spread_centres"] = centres
    cols = [c for c in table.columns if c.startswith(("spread_mean_", "spread_share_within_"))]
    ctx.indicators["kecamatan"] = ctx.indicators["kecamatan"].join(table.set_index("code")[cols], how="left")
    ctx.notes.append(f"spread: {how}, per kecamatan to its "
                     + ("dapil" if has_plan else "regency (no dapil plan)") + "; see spread_kecamatan.csv")


def _step_dimensions(ctx: _Context) -> None:
    """Which indicators back each of the six dimensions, which stay empty."""
    from ..selection.indicators import IndicatorCatalogue, dimension_status, indicator_status

    table = ctx.tables.get("indicators_kecamatan")
    if table is None:
        table = ctx.indicators["kecamatan"]
    catalogue = IndicatorCatalogue.default()
    st = indicator_status(table, catalogue)
    dims = dimension_status(table, catalogue)
    ctx.tables["indicator_status"] = st
    ctx.tables["dimension_status"] = dims
    ctx.write("indicator_status.csv", st)
    ctx.write("dimension_status.csv", dims)
    empty = dims.loc[dims["status"] == "empty", "dimension"].tolist()
    if empty:
        ctx.warn(f"no indicator data for the dimension(s) {', '.join(empty)}: they stay empty (supply them with "
                 f"`jangkau indicators template {ctx.region.name}` and [pilots] indicators)")


def _step_plan(ctx: _Context) -> None:
    """Pilots and new service points over the programme's stages (default 4 over 10 years),
    stage 1 with a pilot in every dapil: the staged maximal covering plan, its certified
    bound and the myopic stage-by-stage plan for comparison."""
    import geopandas as gpd
    from scipy.spatial import cKDTree

    from ..selection import siting
    from ..selection.staging import StageSchedule, plan_sites

    cfg = ctx.config.section("plan")
    if cfg.get("enabled", True) is False:
        ctx.notes.append("plan: disabled in the run file")
        return
    region = ctx.region
    desa = region.zones("desa", crs=region.working_crs)
    if desa["population"].isna().all():
        ctx.warn("the staged plan needs population: step skipped")
        return
    scfg = ctx.config.section("sites")
    radius = _parse_distance_m(cfg.get("radius", scfg.get("radius", "2km")), "radius")
    spacing = _parse_distance_m(cfg.get("demand_spacing", scfg.get("demand_spacing", "500m")), "demand_spacing")
    from ..selection.siting import demand_points

    demand = demand_points(desa, spacing)
    cand_spec = str(cfg.get("candidates", "desa"))
    if cand_spec not in ("desa", "kecamatan") and not cand_spec.startswith("grid:"):
        cand_spec = str(ctx.config.resolve(cand_spec, ctx.data_dir))
    cands = siting.candidate_points(region, cand_spec, desa.crs).reset_index(drop=True)
    if "kecamatan_code" not in cands.columns:
        kec = region.zones("kecamatan", crs=desa.crs)[["code", "geometry"]]
        hit = gpd.sjoin(cands[["geometry"]], kec, how="left", predicate="within")
        hit = hit[~hit.index.duplicated(keep="first")]
        cands["kecamatan_code"] = hit["code"].reindex(cands.index).to_numpy()
    kcodes = sorted({str(k) for k in cands["kecamatan_code"] if not pd.isna(k)})
    gmap, has_plan = _plan_groups(ctx, kcodes)
    n_groups = len({g for g in gmap if g is not None})
    schedule = StageSchedule.from_config(cfg, default_per_stage=max(n_groups, 1))
    dx, dy = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    precovered = None
    fac_type = cfg.get("existing_type", scfg.get("existing_type"))
    if fac_type and ctx.facilities is not None:
        f = ctx.facilities[ctx.facilities["facility_type"] == fac_type].to_crs(desa.crs)
        if len(f):
            d, _ = cKDTree(np.column_stack([f.geometry.x, f.geometry.y])).query(np.column_stack([dx, dy]))
            precovered = d <= radius
    out = plan_sites(demand, cands, gmap if has_plan else None, schedule=schedule, radius_m=radius,
                     precovered=precovered, quotas=cfg.get("quotas"), floors=cfg.get("floors"),
                     # "greedy" by default: deterministic (byte-identical reruns); "auto" adds the
                     # HiGHS MILP within time_limit_s, whose result may depend on the machine's speed.
                     solver=str(cfg.get("solver", "greedy")), time_limit_s=float(cfg.get("time_limit_s", 20.0)),
                     no_plan_label=NO_DAPIL_PLAN)
    res = out.result
    ctx.tables["plan_stages"] = out.stages
    ctx.write("plan_stages.csv", out.stages)
    ctx.layers["plan"] = out.sites
    ctx.write("plan_sites.geojson", out.sites)
    ctx.tables["plan_summary"] = out.summary
    ctx.write("plan_summary.csv", out.summary)
    gain = (res.objective - res.myopic) / res.myopic if res.myopic and np.isfinite(res.myopic) else float("nan")
    ctx.notes.append(f"plan: {schedule.stages} stages over {schedule.horizon_years:g} years, budgets "
                     f"{list(schedule.budgets)}, stage 1 in each of {n_groups} "
                     + ("dapil" if has_plan else "group (no dapil plan)")
                     + f"; {res.objective:,.0f} covered person-years ({res.source}), certified bound "
                       f"{res.bound:,.0f} (gap {100 * res.gap:.2f}%); myopic plan {res.myopic:,.0f} "
                       f"({100 * gain:+.2f}% for the staged plan)")
