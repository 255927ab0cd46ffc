"""Regions: a regency described by a small TOML file (see ``docs/data-model.md``).

A region has desa polygons (the lowest level) whose attribute columns define the
hierarchy desa → kecamatan → kabupaten, pseudo-units (lakes, forest), an optional dapil
table (kecamatan → dapil, seats), and its population: a table at any level, the regency
total and a population raster, turned into a population per desa by
:mod:`jangkau.data.region_population` (:class:`~jangkau.data.region_population.RegionPopulation`).
Everything above desa is dissolved from desa.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import _core
from ..errors import DataFileError, InvalidInputError, UnknownColumnError, in_file
from ..geodesy import geodesic_area_km2
from ..util import REGION_FILE_TYPES, as_path, check_toml_types, datasets_dir
from .crs import utm_crs_of
from .io import (
    WGS84,
    check_coordinates,
    check_working_crs,
    from_geometry_array,
    source_crs,
)
from .paths import data_dir as resolve_data_dir
from .region_population import (
    POPULATION_WINDOW_MARGIN_M as POPULATION_WINDOW_MARGIN_M,
    PopulationSource,
    RegionPopulation,
    regency_code_bridge,
)
from .tables import code_strings, column, optional_file, read_table, require_key

if TYPE_CHECKING:
    from .population import Population
    from .raster import Raster

__all__ = ["Region", "LEVELS", "PSEUDO_UNIT_SUFFIXES", "builtin_regions", "regency_code_bridge"]

log = logging.getLogger("jangkau")

#: Administrative levels, lowest first. ``dapil`` sits between kecamatan and kabupaten.
LEVELS = ("desa", "kecamatan", "dapil", "kabupaten")

def builtin_regions() -> list[str]:
    """Names of the region files shipped with jangkau."""
    base = datasets_dir()
    return sorted(p.parent.name for p in base.glob("*/region.toml"))


_TABLE_KEYS = {
    "boundaries": {"file", "layer", "crs", "source", "strip_code_prefix"},
    "population": {"file", "level", "code", "value", "year", "source", "raster"},
    "population_raster": {"file", "catalogue", "band", "source"},
    "dapil": {"file", "code", "dapil", "seats", "composition", "election", "total_seats", "note"},
    "regency_total": {"file", "code", "year", "source", "rescale", "bridge"},
    "pseudo_units": {"rule", "exclude", "keep"},
}

#: The documented pseudo-unit rule ("bps_codes"): a desa whose BPS code ends in one of these
#: three-digit sequence numbers, or which lies in a kecamatan whose code ends in one, is not a
#: place where people live (BPS codes 888 for lakes and reservoirs, 999 for forest areas in the
#: HDX/BPS 2020 edition). Names are not used: real places are called "...laut" or "Ciwaduk".
PSEUDO_UNIT_SUFFIXES = ("888", "999")
_LEVEL_KEYS = {"code", "name", "names", "names_code"}


def read_region_file(spec: str | os.PathLike[str]) -> tuple[Path, dict]:
    """The path and parsed TOML of a region: a built-in name or a ``.toml`` file. Raises
    DataFileError (unknown name, missing file) or InvalidInputError (not valid TOML)."""
    path = as_path(spec, "region")
    if path.suffix != ".toml":
        candidate = datasets_dir() / str(spec) / "region.toml"
        if not candidate.is_file():
            known = ", ".join(builtin_regions())
            raise DataFileError(f"unknown region '{spec}' (built in: {known}; or give a .toml path)", file=str(spec))
        path = candidate
    if not path.is_file():
        raise DataFileError("region file not found", file=str(path))
    try:
        return path.resolve(), tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"region file is not valid TOML: {exc}", file=str(path)) from None


def _check_keys(table: dict, known: set[str], where: str, file: Path) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise InvalidInputError(
            f"unknown key '{unknown[0]}' in [{where}] of the region file (known: {', '.join(sorted(known))})",
            file=str(file), field=unknown[0])


@dataclass
class Region:
    """A regency: its desa, the hierarchy above them, population and dapil.

    Build one with :meth:`Region.load`. Geometry is held in the metric ``working_crs``;
    :meth:`zones` returns EPSG:4326 unless asked otherwise.
    """

    name: str
    title: str
    path: Path
    data_dir: Path | None
    working_crs: str
    config: dict = field(repr=False)
    #: Things about the region's inputs a run must report (each a sentence).
    warnings: list[str] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        spec: str | os.PathLike[str],
        data_dir: str | os.PathLike[str] | None = None,
        *,
        crs: str | None = None,
    ) -> Region:
        """Load a built-in region by name (``"serang"``, ``"cilegon"``) or a region TOML file.

        ``data_dir`` overrides the data directory lookup (see :mod:`jangkau.data`); ``crs``
        overrides the working CRS (default: the file's ``working_crs`` or the UTM zone of
        the region's centre).
        """
        path, config = read_region_file(spec)
        check_toml_types(config, REGION_FILE_TYPES, file=path)
        known_keys = {"name", "title", "province", "code", "working_crs", "boundaries", "levels", "population",
                      "population_raster", "dapil", "regency_total", "pseudo_units", "facilities", "roads",
                      "synthetic", "notes"}
        _check_keys(config, known_keys, "region", path)
        for table, keys in _TABLE_KEYS.items():
            if table in config and not isinstance(config[table], dict):
                raise InvalidInputError(f"[{table}] must be a table", file=str(path), field=table)
            if isinstance(config.get(table), dict):
                _check_keys(config[table], keys, table, path)
        for level, table in config.get("levels", {}).items():
            if level not in ("desa", "kecamatan", "kabupaten"):
                raise InvalidInputError(f"unknown level [levels.{level}] (desa, kecamatan, kabupaten)",
                                        file=str(path), field=level)
            _check_keys(table, _LEVEL_KEYS, f"levels.{level}", path)
        ddir = resolve_data_dir(data_dir, required=False)
        region = cls(
            name=str(config.get("name", path.parent.name)),
            title=str(config.get("title", config.get("name", path.parent.name))),
            path=path.resolve(),
            data_dir=ddir,
            working_crs="",
            config=config,
        )
        require_key(config, "boundaries", "region", path)
        require_key(config, "levels", "region", path)
        for level in ("desa", "kecamatan"):
            if level not in config["levels"]:
                raise InvalidInputError(f"region file lacks [levels.{level}]", file=str(path), field=level)
        region.working_crs = crs or config.get("working_crs") or ""
        if region.working_crs:
            check_working_crs(region.working_crs, file=None if crs else str(path), field="working_crs")
        _ = region.desa  # read and validate eagerly: bad input fails at load time
        return region

    def optional_table(self, section: str, what: str) -> tuple[dict, Path] | None:
        """The ``[section]`` of the region file and its resolved ``file``, or None when the
        region file has no such section or the file is missing (a warning naming ``what``:
        optional tables are fetched separately). A section without ``file`` is an error."""
        cfg = self.config.get(section)
        if not cfg:
            return None
        file = self.resolve(require_key(cfg, "file", section, self.path))
        if not optional_file(file, what, self.warnings):
            return None
        return cfg, file

    def resolve(self, ref: str) -> Path:
        """A file named in the region file: ``@region/…`` is relative to the region file's
        folder, anything else to the data directory (absolute paths stay as they are)."""
        if ref.startswith("@region/"):
            return self.path.parent / ref[len("@region/"):]
        p = Path(ref)
        if p.is_absolute():
            return p
        if self.data_dir is None:
            raise DataFileError(
                f"'{ref}' is relative to the data directory, but none was found: pass --data DIR, "
                "set JANGKAU_DATA, or run 'jangkau data fetch'", file=str(self.path))
        return self.data_dir / p

    @property
    def is_synthetic(self) -> bool:
        """True for generated regions; every output of such a region says so."""
        return bool(self.config.get("synthetic", False))

    @property
    def levels(self) -> tuple[str, ...]:
        """Levels available in :meth:`zones`."""
        return LEVELS

    # ------------------------------------------------------------------ desa
    @cached_property
    def desa(self) -> gpd.GeoDataFrame:
        """The desa layer in the working CRS with hierarchy, area and population columns."""
        cfg = self.config["boundaries"]
        file = self.resolve(require_key(cfg, "file", "boundaries", self.path))
        layer = _core.read_vector(str(file), cfg.get("layer", ""), cfg.get("crs", ""), "", "", "", "", True)
        if layer.geometry.kind != _core.GeometryKind.Polygon:
            raise InvalidInputError("boundary layer must hold polygons", file=str(file), field="geometry")
        cols = {name: (typ, values, valid) for name, typ, values, valid in layer.columns()}
        prefix = cfg.get("strip_code_prefix", "")

        @overload
        def level_column(level: str, key: str, required: Literal[True] = True) -> np.ndarray: ...
        @overload
        def level_column(level: str, key: str, required: Literal[False]) -> np.ndarray | None: ...

        def level_column(level: str, key: str, required: bool = True) -> np.ndarray | None:
            lv = self.config["levels"].get(level, {})
            name = lv.get(key)
            if name is None:
                if required:
                    raise InvalidInputError(f"region file lacks '{key}' in [levels.{level}]", file=str(self.path),
                                            field=key)
                return None
            if name not in cols:
                raise UnknownColumnError(
                    f"[levels.{level}] {key} = '{name}': no such column (columns: {', '.join(cols)})",
                    file=str(file), field=name)
            _typ, values, valid = cols[name]
            out = np.array([str(v) for v in values], dtype=object)
            valid = np.asarray(valid, dtype=bool)
            if not valid.all():
                bad = int(np.flatnonzero(~valid)[0])
                raise InvalidInputError(f"missing {level} {key}", file=str(file), feature=bad, field=name)
            if key == "code" and prefix:
                out = np.array([v[len(prefix):] if v.startswith(prefix) else v for v in out], dtype=object)
            return out

        desa_code = level_column("desa", "code")
        desa_name = level_column("desa", "name")
        kec_code = level_column("kecamatan", "code")
        kec_name = level_column("kecamatan", "name")
        kab_code = level_column("kabupaten", "code", required=False)
        kab_name = level_column("kabupaten", "name", required=False)
        n = len(desa_code)
        if n == 0:
            raise InvalidInputError("boundary layer has no features", file=str(file))
        if kab_code is None:
            # No [levels.kabupaten]: the regency is the region itself. Its code is the
            # region file's `code` (BPS) when given; otherwise the region name stands in, and
            # the run says so (never silently).
            code = self.config.get("code")
            if code is None:
                self.warnings.append(
                    f"region file has no [levels.kabupaten] and no 'code': the regency code is unknown and the "
                    f"region name '{self.name}' stands in for it (set code = \"<BPS code>\" in {self.path.name})")
                code = self.name
            kab_code = np.array([str(code)] * n, dtype=object)
        if kab_name is None:
            kab_name = np.array([self.title] * n, dtype=object)
        seen: dict[str, int] = {}
        for i, c in enumerate(desa_code):
            if c in seen:
                raise InvalidInputError(f"duplicate desa code '{c}' (also feature {seen[c]})", file=str(file),
                                        feature=i, field=self.config["levels"]["desa"]["code"])
            seen[c] = i

        # Validity: repair with MakeValid and keep the report; empty geometry is an error.
        geom, records = _core.validate_polygons(layer.geometry, True, False, str(file))
        self._repairs = pd.DataFrame(records, columns=["feature", "reason", "action", "area_before", "area_after"])
        for rec in records:
            log.warning("repaired invalid geometry: %s feature %d (%s)", file, rec[0], rec[1])

        src_crs = source_crs(file, layer.crs, cfg.get("crs"))
        check_coordinates(geom.x, geom.y, src_crs, file=str(file), what="vertex")
        with in_file(file):  # "no UTM zone for lon …", "coordinate 7 could not be transformed": name the file
            if not self.working_crs:
                self.working_crs = utm_crs_of((geom.x.min(), geom.y.min(), geom.x.max(), geom.y.max()), src_crs)
            metric = _core.transform_geometry(geom, src_crs, self.working_crs)
        area_km2 = geodesic_area_km2(geom, src_crs)  # ellipsoidal (jangkau.geodesy)

        gdf = gpd.GeoDataFrame(
            {
                "code": desa_code,
                "name": desa_name,
                "kecamatan_code": kec_code,
                "kecamatan": kec_name,
                "kabupaten_code": kab_code,
                "kabupaten": kab_name,
                "area_km2": area_km2,
            },
            geometry=from_geometry_array(metric),
            crs=self.working_crs,
        )
        self._desa_geometry = metric
        self._source_file = file
        gdf["pseudo_unit"] = self._pseudo_units(gdf)
        gdf = self._attach_dapil(gdf)
        self._population = RegionPopulation(self)
        gdf = self._population.attach(gdf)
        return gdf

    @property
    def repairs(self) -> pd.DataFrame:
        """One row per desa geometry that was repaired: feature, reason, action, areas."""
        _ = self.desa
        return self._repairs

    # ------------------------------------------------------------------ dapil
    def _attach_dapil(self, desa: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        table = self.dapil
        desa["dapil"] = None
        if table is None:
            return desa
        mapping = dict(zip(table["kecamatan_code"], table["dapil"]))
        desa["dapil"] = desa["kecamatan_code"].map(mapping)
        desa["dapil"] = desa["dapil"].astype(object).where(desa["dapil"].notna(), None)
        return desa

    @cached_property
    def dapil(self) -> pd.DataFrame | None:
        """The dapil table: kecamatan_code, dapil, seats (NaN = unknown), composition
        ("complete"/"partial"). ``None`` if the region file has no [dapil] table.
        Kecamatan absent from the table have an unknown dapil (never guessed)."""
        table = self.optional_table("dapil", "dapil table")
        if table is None:
            return None
        cfg, file = table
        df = read_table(file)
        out = pd.DataFrame({
            "kecamatan_code": code_strings(column(df, cfg.get("code", "kecamatan_code"), str(file))),
            "dapil": column(df, cfg.get("dapil", "dapil"), str(file)).astype(str),
        })
        seats_col = cfg.get("seats")
        out["seats"] = pd.to_numeric(column(df, seats_col, str(file)), errors="coerce") if seats_col else np.nan
        comp = cfg.get("composition")
        out["composition"] = column(df, comp, str(file)).astype(str) if comp else "complete"
        known = set(self._kecamatan_codes())
        for i, code in enumerate(out["kecamatan_code"]):
            if code not in known:
                raise InvalidInputError(f"dapil table names kecamatan '{code}', which is not in the region",
                                        file=str(file), feature=i, field=cfg.get("code", "kecamatan_code"))
        dup = out["kecamatan_code"].duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup.to_numpy())[0])
            raise InvalidInputError(f"kecamatan '{out['kecamatan_code'].iloc[i]}' appears twice in the dapil table",
                                    file=str(file), feature=i, field=cfg.get("code", "kecamatan_code"))
        return out

    def _kecamatan_codes(self) -> list[str]:
        cfg = self.config["boundaries"]
        file = self.resolve(cfg["file"])
        name = self.config["levels"]["kecamatan"]["code"]
        layer = _core.read_vector(str(file), cfg.get("layer", ""), cfg.get("crs", ""), "", "", "", "", True)
        prefix = cfg.get("strip_code_prefix", "")
        for n, _t, values, _v in layer.columns():
            if n == name:
                return sorted({v[len(prefix):] if prefix and v.startswith(prefix) else v for v in map(str, values)})
        raise UnknownColumnError(f"no column '{name}'", file=str(file), field=name)

    # ------------------------------------------------------------------ pseudo-units
    def _pseudo_units(self, desa: gpd.GeoDataFrame) -> np.ndarray:
        """Boolean per desa: a pseudo-unit (lake, reservoir, forest...), not a place where people live.

        ``[pseudo_units] rule``: "bps_codes" (DEFAULT; :data:`PSEUDO_UNIT_SUFFIXES`) or "none";
        ``exclude``: desa or kecamatan codes that are pseudo-units whatever the rule says;
        ``keep``: codes the rule flags that are real places. Unknown codes are an error."""
        cfg = self.config.get("pseudo_units") or {}
        rule = str(cfg.get("rule", "bps_codes"))
        if rule not in ("bps_codes", "none"):
            raise InvalidInputError(f"[pseudo_units] rule = '{rule}': use 'bps_codes' or 'none'", file=str(self.path),
                                    field="rule")
        code = desa["code"].astype(str)
        kec = desa["kecamatan_code"].astype(str)
        mask = np.zeros(len(desa), dtype=bool)
        if rule == "bps_codes":
            mask |= code.str[-3:].isin(PSEUDO_UNIT_SUFFIXES).to_numpy() & (code.str.len() >= 10).to_numpy()
            mask |= kec.str[-3:].isin(PSEUDO_UNIT_SUFFIXES).to_numpy() & (kec.str.len() >= 7).to_numpy()
        known = set(code) | set(kec)
        for key, value in (("exclude", True), ("keep", False)):
            listed = cfg.get(key, [])
            if not isinstance(listed, list):
                raise InvalidInputError(f"[pseudo_units] {key} must be a list of codes", file=str(self.path), field=key)
            for c in map(str, listed):
                if c not in known:
                    raise InvalidInputError(f"[pseudo_units] {key} names '{c}', which is no desa or kecamatan of the "
                                            "region", file=str(self.path), field=key)
                mask[((code == c) | (kec == c)).to_numpy()] = value
        return mask

    @property
    def pseudo_units(self) -> gpd.GeoDataFrame:
        """The desa flagged as pseudo-units (no population, never a pilot or site), with the rule
        that flagged them (``reason``)."""
        d = self.desa
        out = d[d["pseudo_unit"]].copy()
        cfg = self.config.get("pseudo_units") or {}
        listed = set(map(str, cfg.get("exclude", [])))
        out["reason"] = ["listed in [pseudo_units] exclude" if (c in listed or k in listed)
                         else f"BPS code ends in {'/'.join(PSEUDO_UNIT_SUFFIXES)} (rule bps_codes)"
                         for c, k in zip(out["code"].astype(str), out["kecamatan_code"].astype(str))]
        return out

    # ------------------------------------------------------------------ population
    # The population of the region is its own concept (jangkau.data.region_population): the
    # members below are that object's, under the names the region has always offered.
    def _population_of(self) -> RegionPopulation:
        _ = self.desa  # the population is attached while the desa layer is built
        return self._population

    @property
    def population_source(self) -> PopulationSource | None:
        """Where the population figures come from
        (:attr:`jangkau.data.region_population.RegionPopulation.population_source`)."""
        return self._population_of().population_source

    @property
    def regency_total(self) -> dict | None:
        """The regency's total from ``[regency_total]``, or None
        (:attr:`jangkau.data.region_population.RegionPopulation.regency_total`: keys, and how the
        regency is matched)."""
        return self._population_of().regency_total

    @property
    def population_check(self) -> pd.DataFrame | None:
        """Population figures side by side: DataFrame(figure, year, population,
        difference_from_total, note), or None
        (:attr:`jangkau.data.region_population.RegionPopulation.population_check`)."""
        return self._population_of().population_check

    @property
    def population_raster(self) -> Path | None:
        """The population raster the region file names, or None when none is named or it is not
        there (:attr:`jangkau.data.region_population.RegionPopulation.population_raster`)."""
        return self._population_of().population_raster

    def population_raster_unavailable(self) -> str | None:
        """Why the population raster named cannot be read now, with the command that fixes it, or
        None (:meth:`jangkau.data.region_population.RegionPopulation.population_raster_unavailable`)."""
        return self._population_of().population_raster_unavailable()

    @property
    def population_weighting(self) -> dict:
        """How the desa population was distributed, for the manifest
        (:attr:`jangkau.data.region_population.RegionPopulation.population_weighting`: weighting,
        raster, source, band, window, units, fallback_units or raster_unavailable)."""
        return self._population_of().population_weighting

    @property
    def population_window(self) -> Raster | None:
        """The region's window of the population raster, or None without a raster
        (:attr:`jangkau.data.region_population.RegionPopulation.population_window`)."""
        return self._population_of().population_window

    def population_model(self) -> Population:
        """The region's population model (:class:`jangkau.data.population.Population`, ZONES), built
        once (:meth:`jangkau.data.region_population.RegionPopulation.population_model`)."""
        return self._population_of().population_model()

    def facility_layers(self) -> list:
        """Facility layers declared in the region file (``[facilities.<name>]`` tables with
        ``file`` and the keys of :meth:`~jangkau.data.facilities.FacilityLayer.from_config`, e.g. a
        verbatim register: ``register``, ``select``, ``capacity_register``, ``capacity_file``)."""
        from .facilities import FacilityLayer

        return [FacilityLayer.from_config(name, spec, self.resolve, file=str(self.path))
                for name, spec in sorted((self.config.get("facilities") or {}).items())]

    def road_files(self) -> list[Path]:
        """Road layers declared in the region file: ``[roads] file`` or ``files``, or ``[roads]
        catalogue``, a source id of the data catalogue (``datasets/sources.toml``, e.g. ``"osm_java"``,
        the Geofabrik extract of Java) found in the data directory or the download cache
        (:func:`jangkau.data.fetch.fetched_file`). A source not fetched yet gives no file:
        :meth:`roads_unavailable` says why."""
        cfg = self.config.get("roads") or {}
        if cfg.get("catalogue"):
            from .fetch import fetched_file

            return [p for p in [fetched_file(str(cfg["catalogue"]), self.data_dir)[1]] if p is not None]
        files = cfg.get("files") or ([cfg["file"]] if cfg.get("file") else [])
        return [self.resolve(f) for f in files]

    def roads_unavailable(self) -> str | None:
        """Why the roads the region file names cannot be read now, with the command that fixes
        it (``"roads: osm_java not fetched; run `jangkau data fetch serang`"``), or None when
        they can be or when none are named."""
        cfg = self.config.get("roads") or {}
        if not cfg.get("catalogue") or self.road_files():
            return None
        from .fetch import fetch_hint

        return f"roads: {fetch_hint(str(cfg['catalogue']), self.name)}"

    # ------------------------------------------------------------------ zones
    def explore(self, level: str = "kecamatan", column: str | None = None, **kwargs):
        """An interactive map of the zones of ``level`` (coloured by ``column`` or any indicator
        from the picker), the same map as a run's report.html; displays in Jupyter (see
        :func:`jangkau.workflow.report_html.explore`)."""
        from ..workflow.report_html import explore

        return explore(self.zones(level), names=[f"zones_{level}"], column=column, region=self,
                       title=self.title, **kwargs)

    def zones(self, level: str, crs: str | None = WGS84) -> gpd.GeoDataFrame:
        """Zones of one level as a GeoDataFrame (EPSG:4326 unless ``crs`` names another;
        ``crs=None`` keeps the working CRS).

        Columns: ``code``, ``name``, parent codes/names, ``dapil`` (None where unknown),
        ``area_km2`` (on the WGS84 ellipsoid, jangkau.geodesy), ``population`` (NaN where unknown),
        ``density_per_km2``, ``population_method`` and ``geometry``.
        """
        if level not in LEVELS:
            raise InvalidInputError(f"unknown level '{level}' (levels: {', '.join(LEVELS)})", field="level")
        out = self._zones_working(level).copy()
        if crs is not None and crs != self.working_crs:
            out = out.to_crs(crs)
        return out

    def _zones_working(self, level: str) -> gpd.GeoDataFrame:
        cache = self.__dict__.setdefault("_zone_cache", {})
        if level in cache:
            return cache[level]
        desa = self.desa
        if level == "desa":
            z = desa.copy()
        elif level == "kecamatan":
            z = self._dissolve("kecamatan_code", ["kecamatan", "kabupaten_code", "kabupaten", "dapil"])
            z = z.rename(columns={"kecamatan_code": "code", "kecamatan": "name"})
            names = self._kecamatan_names()
            if names is not None:
                z = z.merge(names, how="left", left_on="code", right_on="code")
            # a kecamatan all of whose desa are pseudo-units (e.g. a lake with its own code) is one too
            z["pseudo_unit"] = z["code"].map(desa.groupby("kecamatan_code")["pseudo_unit"].all()).astype(bool)
        elif level == "dapil":
            z = self._dissolve_dapil()
        else:
            z = self._dissolve("kabupaten_code", ["kabupaten"])
            z = z.rename(columns={"kabupaten_code": "code", "kabupaten": "name"})
        z["density_per_km2"] = z["population"] / z["area_km2"]
        if self.is_synthetic:
            z["synthetic"] = True
        z = z.reset_index(drop=True)
        cache[level] = z
        return z

    def _dissolve(self, key: str, keep: list[str], desa: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
        desa = self.desa if desa is None else desa
        codes = sorted(desa[key].dropna().unique())
        index = {c: i for i, c in enumerate(codes)}
        mask = desa[key].notna().to_numpy()
        group = desa.loc[mask, key].map(index).to_numpy(dtype=np.int64)
        from .io import to_geometry_array
        geoms = to_geometry_array(desa.geometry[mask]) if not mask.all() else self._desa_geometry
        merged = _core.dissolve(geoms, group, len(codes))
        g = desa[mask].groupby(key, sort=True)
        first = g[keep].first() if keep else pd.DataFrame(index=codes)
        pop = g["population"].sum(min_count=1)
        # A zone's population is known only if every desa in it is known.
        complete = g["population"].apply(lambda s: s.notna().all())
        pop[~complete] = np.nan
        methods = g["population_method"].agg(lambda s: "; ".join(sorted(set(s))))
        df = first.assign(n_desa=g.size(), population=pop, population_method=methods)
        df.index.name = key
        df = df.reset_index()
        geom = from_geometry_array(merged)
        gdf = gpd.GeoDataFrame(df, geometry=geom, crs=self.working_crs)
        gdf.insert(len(gdf.columns) - 1, "area_km2", geodesic_area_km2(merged, self.working_crs))
        return gdf

    def _dissolve_dapil(self) -> gpd.GeoDataFrame:
        desa = self.desa
        table = self.dapil
        if table is None or desa["dapil"].isna().all():
            cols = ["code", "name", "seats", "composition", "kecamatan_codes", "n_kecamatan", "n_desa",
                    "population", "population_method", "area_km2"]
            return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=self.working_crs)
        z = self._dissolve("dapil", [])
        info = table.groupby("dapil").agg(
            seats=("seats", "first"), composition=("composition", "first"),
            kecamatan_codes=("kecamatan_code", lambda s: ";".join(sorted(s))),
            n_kecamatan=("kecamatan_code", "size"))
        z = z.merge(info, left_on="dapil", right_index=True, how="left")
        z = z.rename(columns={"dapil": "code"})
        z.insert(1, "name", z["code"])
        partial = z["composition"] != "complete"
        # A partially known dapil's population and area describe only its known members.
        z.loc[partial, "population_method"] = z.loc[partial, "population_method"] + "; partial composition"
        return z

    def _kecamatan_names(self) -> pd.DataFrame | None:
        lv = self.config["levels"]["kecamatan"]
        if "names" not in lv:
            return None
        file = self.resolve(lv["names"])
        if not optional_file(file, "kecamatan names table", self.warnings):
            return None
        df = read_table(file)
        code = code_strings(column(df, lv.get("names_code", "code"), str(file)))
        out = pd.DataFrame({"code": code})
        for c in df.columns:
            if c != lv.get("names_code", "code"):
                out[c] = df[c].astype(str) if df[c].dtype == object else df[c]
        return out

    def summary(self) -> pd.DataFrame:
        """Counts, areas and populations per level (one row per level)."""
        rows = []
        for level in LEVELS:
            z = self._zones_working(level)
            rows.append({"level": level, "zones": len(z), "area_km2": float(z["area_km2"].sum()),
                         "population": float(z["population"].sum(min_count=1))})
        return pd.DataFrame(rows)

