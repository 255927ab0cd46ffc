"""The run file of ``jangkau run``: :class:`RunConfig`, how it is found and read, and the
input files a run records (:func:`resolve_inputs`). The format is described in
``docs/pipeline.md``."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataFileError, InvalidInputError

__all__ = ["RunConfig", "load_config", "default_config_for", "resolve_inputs", "OPTIONAL_INPUTS", "parse_distance_m"]

RUN_KEYS = {"region", "title", "data", "population", "coverage", "access", "dapil", "pilots", "sites", "report",
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
        unknown = sorted(set(raw) - RUN_KEYS)
        if unknown:
            raise InvalidInputError(f"unknown key '{unknown[0]}' in run file (known: {', '.join(sorted(RUN_KEYS))})",
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
        if rc.get("catalogue"):
            from ..data.fetch import fetched_file

            # a catalogue source (e.g. osm_java) is an input once fetched; before, the access
            # step is skipped and says so
            roads = [p for p in [fetched_file(str(rc["catalogue"]), ddir)[1]] if p is not None]
        else:
            roads = [region_resolve(f) for f in (rc.get("files") or ([rc["file"]] if rc.get("file") else []))]
    if roads and facilities:
        for i, r in enumerate(roads):
            inputs[f"roads[{i}]"] = Path(r)
    raster = _population_raster(rconf, ddir, region_resolve)
    if raster is not None and (isinstance(rconf.get("population"), dict) or rconf.get("regency_total")):
        inputs["population_raster"] = raster
    pil = cfg.section("pilots")
    for i, t in enumerate(pil.get("indicators", [])):
        inputs[f"indicators[{i}]"] = cfg.resolve(t, ddir)
    if isinstance(pil.get("weights"), str):
        inputs["weights"] = cfg.resolve(pil["weights"], ddir)
    sites = cfg.section("sites")
    if sites and sites.get("candidates", "desa") != "desa" and rconf.get("population"):
        inputs["candidates"] = cfg.resolve(sites["candidates"], ddir)
    return inputs


def _population_raster(rconf: dict, ddir: Path | None, region_resolve) -> Path | None:
    """The population raster a region file names (``[population_raster]`` or ``[population]
    raster``; the catalogue's only once fetched), as :attr:`jangkau.data.region.Region.population_raster`."""
    pr: dict = rconf["population_raster"] if isinstance(rconf.get("population_raster"), dict) else {}
    legacy = (rconf.get("population") or {}).get("raster") if isinstance(rconf.get("population"), dict) else None
    if legacy or pr.get("file"):
        return region_resolve(str(legacy or pr["file"]))
    if pr.get("catalogue"):
        from ..data.fetch import fetched_file

        return fetched_file(str(pr["catalogue"]), ddir)[1]
    return None


#: Inputs of the region file a run can do without (a warning when missing). The boundaries
#: are required; files named in the run file (facilities, roads, indicators...) are what the
#: user asked for, so a missing one is an error.
OPTIONAL_INPUTS = frozenset({"population", "regency_total", "regency_code_bridge", "dapil", "kecamatan_names",
                             "population_raster"})


def parse_distance_m(value: Any, what: str) -> float:
    from ..coverage.analysis import parse_radii

    (r,) = parse_radii(value) if not isinstance(value, (int, float)) else (float(value),)
    if r <= 0:
        raise InvalidInputError(f"{what} must be positive", field=what)
    return float(r)
