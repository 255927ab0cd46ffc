"""Regions: a regency described by a small TOML file (see ``docs/data-model.md``).

A region has desa polygons (the lowest level) whose attribute columns define the
hierarchy desa → kecamatan → kabupaten, an optional population table at any level
(spread down to desa by areal weighting when it is not given per desa), and an optional
dapil table (kecamatan → dapil, seats). Everything above desa is dissolved from desa.
"""

from __future__ import annotations

import logging
import math
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import _core
from ..errors import CrsError, DataFileError, InvalidInputError, UnknownColumnError, in_file
from ..geodesy import geodesic_area_km2
from ..util import REGION_FILE_TYPES, as_path, check_toml_types, datasets_dir
from .crs import utm_crs_of
from .io import (
    WGS84,
    check_coordinates,
    check_population,
    check_working_crs,
    from_geometry_array,
    read_csv,
    source_crs,
)
from .paths import data_dir as resolve_data_dir

__all__ = ["Region", "LEVELS", "PSEUDO_UNIT_SUFFIXES", "builtin_regions", "regency_code_bridge"]

log = logging.getLogger("jangkau")

#: Administrative levels, lowest first. ``dapil`` sits between kecamatan and kabupaten.
LEVELS = ("desa", "kecamatan", "dapil", "kabupaten")

def builtin_regions() -> list[str]:
    """Names of the region files shipped with jangkau."""
    base = datasets_dir()
    return sorted(p.parent.name for p in base.glob("*/region.toml"))


@dataclass(frozen=True)
class PopulationSource:
    """Where a region's population figures come from."""

    level: str
    year: int | None
    source: str
    file: str


_TABLE_KEYS = {
    "boundaries": {"file", "layer", "crs", "source", "strip_code_prefix"},
    "population": {"file", "level", "code", "value", "year", "source", "raster"},
    "population_raster": {"file", "catalogue", "band", "source"},
    "dapil": {"file", "code", "dapil", "seats", "composition", "election", "total_seats", "note"},
    "regency_total": {"file", "code", "year", "source", "rescale", "bridge"},
    "pseudo_units": {"rule", "exclude", "keep"},
}

#: Metres added around the region's box when reading its window of the population raster (the
#: cells over its desa are all read whatever the raster's CRS).
POPULATION_WINDOW_MARGIN_M = 500.0

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


def _require(table: dict, key: str, where: str, file: Path):
    if key not in table:
        raise InvalidInputError(f"region file lacks '{key}' in [{where}]", file=str(file), field=key)
    return table[key]


def _col(df: pd.DataFrame, name: str, file: str) -> pd.Series:
    if name not in df.columns:
        raise UnknownColumnError(
            f"no column '{name}' in '{file}' (columns: {', '.join(map(str, df.columns))})", file=file, field=name
        )
    return df[name]


def _code_str(values: pd.Series) -> pd.Series:
    """Codes as strings without float artefacts ('3604010', never '3604010.0')."""
    def fmt(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()
    return values.map(fmt)


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
        _require(config, "boundaries", "region", path)
        _require(config, "levels", "region", path)
        for level in ("desa", "kecamatan"):
            if level not in config["levels"]:
                raise InvalidInputError(f"region file lacks [levels.{level}]", file=str(path), field=level)
        region.working_crs = crs or config.get("working_crs") or ""
        if region.working_crs:
            check_working_crs(region.working_crs, file=None if crs else str(path), field="working_crs")
        _ = region.desa  # read and validate eagerly: bad input fails at load time
        return region

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
        file = self.resolve(_require(cfg, "file", "boundaries", self.path))
        layer = _core.read_vector(str(file), cfg.get("layer", ""), cfg.get("crs", ""), "", "", "", "", True)
        if layer.geometry.kind != _core.GeometryKind.Polygon:
            raise InvalidInputError("boundary layer must hold polygons", file=str(file), field="geometry")
        cols = {name: (typ, values, valid) for name, typ, values, valid in layer.columns()}
        prefix = cfg.get("strip_code_prefix", "")

        @overload
        def column(level: str, key: str, required: Literal[True] = True) -> np.ndarray: ...
        @overload
        def column(level: str, key: str, required: Literal[False]) -> np.ndarray | None: ...

        def column(level: str, key: str, required: bool = True) -> np.ndarray | None:
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

        desa_code = column("desa", "code")
        desa_name = column("desa", "name")
        kec_code = column("kecamatan", "code")
        kec_name = column("kecamatan", "name")
        kab_code = column("kabupaten", "code", required=False)
        kab_name = column("kabupaten", "name", required=False)
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
        kab = gdf[["kabupaten_code", "kabupaten"]].drop_duplicates()
        self.__dict__["_kabupaten"] = ((str(kab.iloc[0, 0]), str(kab.iloc[0, 1])) if len(kab) == 1
                                       else ("", self.title))
        gdf = self._attach_dapil(gdf)
        gdf = self._attach_population(gdf)
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
        cfg = self.config.get("dapil")
        if not cfg:
            return None
        file = self.resolve(_require(cfg, "file", "dapil", self.path))
        if not self._optional_file(file, "dapil table"):
            return None
        df = _read_table(file)
        out = pd.DataFrame({
            "kecamatan_code": _code_str(_col(df, cfg.get("code", "kecamatan_code"), str(file))),
            "dapil": _col(df, cfg.get("dapil", "dapil"), str(file)).astype(str),
        })
        seats_col = cfg.get("seats")
        out["seats"] = pd.to_numeric(_col(df, seats_col, str(file)), errors="coerce") if seats_col else np.nan
        comp = cfg.get("composition")
        out["composition"] = _col(df, comp, str(file)).astype(str) if comp else "complete"
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
    @property
    def population_source(self) -> PopulationSource | None:
        cfg = self.config.get("population")
        if cfg and cfg.get("file") and not self.resolve(cfg["file"]).is_file():
            cfg = None
        if not cfg:
            rt = self.regency_total
            if rt is None:
                return None
            return PopulationSource(level="kabupaten", year=rt["year"], source=rt["source"], file=rt["file"])
        return PopulationSource(level=cfg.get("level", "desa"), year=cfg.get("year"),
                                source=str(cfg.get("source", "")), file=str(self.resolve(cfg["file"])))

    @cached_property
    def regency_total(self) -> dict | None:
        """The regency's total from ``[regency_total]`` (e.g. the 2025 Kemendagri totals), or
        None. Keys: population, year, kemendagri_code, name, match (how the regency was
        found: 'code given', 'bridge', 'name'), file, source. The regency is found by the
        region file's Kemendagri ``code``, else through the BPS↔Kemendagri bridge table
        (:func:`regency_code_bridge`), else by a unique exact name match (Kabupaten/Kota
        from the BPS code); no match is a warning and no total (never guessed)."""
        cfg = self.config.get("regency_total")
        if not cfg:
            return None
        from .population import read_regency_totals

        file = self.resolve(_require(cfg, "file", "regency_total", self.path))
        if not self._optional_file(file, "regency totals"):
            return None
        totals = read_regency_totals(file)
        by_code = dict(zip(totals["kemendagri_code"], range(len(totals))))
        if "_kabupaten" not in self.__dict__:
            _ = self.desa
        bps, bps_name = self.__dict__["_kabupaten"]
        row, match = None, ""
        if cfg.get("code"):
            code = str(cfg["code"])
            if code not in by_code:
                raise InvalidInputError(f"[regency_total] code '{code}' is not in the totals table", file=str(file),
                                        field="code")
            row, match = by_code[code], "code given in the region file"
        else:
            bridge = regency_code_bridge(self.resolve(cfg["bridge"]) if cfg.get("bridge") else None)
            hit = bridge[bridge["bps_code"] == bps]
            if len(hit):
                code = str(hit["kemendagri_code"].iloc[0])
                if code not in by_code:
                    raise InvalidInputError(f"bridge maps BPS {bps} to Kemendagri {code}, which is not in the totals "
                                            "table", file=str(file), field="code")
                row = by_code[code]
                if _norm_name(totals["name"].iloc[row]) != _norm_name(str(hit["kemendagri_name"].iloc[0])):
                    raise InvalidInputError(
                        f"bridge names Kemendagri {code} '{hit['kemendagri_name'].iloc[0]}', the totals table "
                        f"'{totals['name'].iloc[row]}'", file=str(file), field="nama")
                match = f"bridge BPS {bps} → Kemendagri {code}"
            else:
                kind = ""
                if bps.isdigit() and len(bps) == 4:
                    kind = "kota " if int(bps[2:]) >= 71 else "kabupaten "
                base = _norm_name(bps_name)
                for pre in ("kota ", "kabupaten ", "kab. "):
                    base = base.removeprefix(pre)
                names = totals["name"].map(_norm_name)
                cand = [i for i, n in enumerate(names)
                        if (n == kind + base if kind else n in ("kota " + base, "kabupaten " + base))]
                if len(cand) == 1:
                    row = cand[0]
                    match = f"name '{bps_name}' = '{totals['name'].iloc[row]}' (no bridge row for BPS {bps or '?'})"
                else:
                    self.warnings.append(
                        f"regency totals: no row for {bps_name} (BPS {bps or 'unknown'}): no bridge row and "
                        f"{'no' if not cand else len(cand)} name match{'es' if len(cand) > 1 else ''} in "
                        f"{file.name}; the total is not used (give [regency_total] code)")
                    return None
        assert row is not None
        return {"population": float(totals["population"].iloc[row]), "year": cfg.get("year"),
                "kemendagri_code": str(totals["kemendagri_code"].iloc[row]), "name": str(totals["name"].iloc[row]),
                "match": match, "file": str(file), "source": str(cfg.get("source", "")),
                "rescale": bool(cfg.get("rescale", False))}

    def _optional_file(self, file: Path, what: str) -> bool:
        """An optional input that is missing is a warning (the run goes on without it), never an error."""
        if file.is_file():
            return True
        self.warnings.append(f"{what} file not found: {file} — continuing without it")
        log.warning("%s file not found: %s — continuing without it", what, file)
        return False

    def _attach_population(self, desa: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        cfg = self.config.get("population")
        if cfg and cfg.get("file") and not self._optional_file(self.resolve(cfg["file"]), "population table"):
            cfg = None
        desa["population"] = np.nan
        desa["population_method"] = "unknown"
        pseudo = desa["pseudo_unit"].to_numpy(dtype=bool)
        self._population_check = None
        self._population_weighting: dict = {"weighting": "none: no population"}
        # Areal weighting spreads over the places where people live: pseudo-units get 0.
        area = desa["area_km2"].where(~desa["pseudo_unit"], 0.0)
        if not cfg:
            if self.config.get("regency_total"):
                rt = self.regency_total
                if rt is not None:
                    desa["population"] = rt["population"] * area / float(area.sum())
                    desa["population_method"] = (f"areal weighting from the {rt['year'] or ''} regency total "
                                                 f"(Kemendagri {rt['kemendagri_code']})").replace("the  ", "the ")
                    self._population_check = _check_frame([("regency total", rt["year"], rt["population"],
                                                            rt["match"])])
                    self._apply_raster(desa, "kabupaten_code", "the regency total", pseudo)
            return self._mark_pseudo(desa, pseudo)
        level = cfg.get("level", "desa")
        if level not in ("desa", "kecamatan", "kabupaten"):
            raise InvalidInputError(f"population level '{level}' must be desa, kecamatan or kabupaten",
                                    file=str(self.path), field="level")
        file = self.resolve(_require(cfg, "file", "population", self.path))
        df = _read_table(file)
        code_field = cfg.get("code", "code")
        value_field = cfg.get("value", "population")
        codes = _code_str(_col(df, code_field, str(file)))
        raw = _col(df, value_field, str(file))
        values = pd.to_numeric(raw, errors="coerce")
        check_population(values.to_numpy(dtype=float), file=str(file), field=value_field)
        for i in range(len(df)):
            v = values.iloc[i]
            if not np.isfinite(v):
                raise InvalidInputError(f"population '{raw.iloc[i]}' is not a number", file=str(file), feature=i,
                                        field=value_field)
            if v < 0:
                raise InvalidInputError(f"negative population {v}", file=str(file), feature=i, field=value_field)
        key = {"desa": "code", "kecamatan": "kecamatan_code", "kabupaten": "kabupaten_code"}[level]
        zone_codes = set(desa[key])
        for i, c in enumerate(codes):
            if c not in zone_codes:
                raise InvalidInputError(f"population code '{c}' matches no {level} of the region", file=str(file),
                                        feature=i, field=code_field)
        dup = codes.duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup.to_numpy())[0])
            raise InvalidInputError(f"population code '{codes.iloc[i]}' appears twice", file=str(file), feature=i,
                                    field=code_field)
        table = dict(zip(codes, values.astype(float)))
        if level == "desa":
            desa["population"] = desa["code"].map(table).astype(float)
            desa.loc[desa["population"].notna(), "population_method"] = "table"
            lost = desa.loc[pseudo, "population"].fillna(0.0)
            if (lost > 0).any():
                self.warnings.append(f"the population table gives {lost.sum():,.0f} people to pseudo-units "
                                     f"({', '.join(desa.loc[pseudo & (desa['population'] > 0), 'code'])}); "
                                     "they get none")
        else:
            # Areal weighting: uniform density within each source zone (pseudo-units excluded).
            zone_area = area.groupby(desa[key]).transform("sum")
            pop = desa[key].map(table).astype(float)
            desa["population"] = pop * area / zone_area.where(zone_area > 0)
            desa.loc[pop.notna(), "population_method"] = f"areal weighting from {level}"
        missing = sorted(zone_codes - set(codes))
        if missing:
            log.warning("%s: no population for %d %s (%s)", file.name, len(missing), level, ", ".join(missing[:5]))
        self._apply_raster(desa, key, f"the {level} table", pseudo)
        desa = self._mark_pseudo(desa, pseudo)
        self._compare_with_total(desa, cfg)
        return desa

    def _mark_pseudo(self, desa: gpd.GeoDataFrame, pseudo: np.ndarray) -> gpd.GeoDataFrame:
        if pseudo.any():
            desa.loc[pseudo, "population"] = 0.0
            desa.loc[pseudo, "population_method"] = "pseudo-unit: no population"
        return desa

    def _compare_with_total(self, desa: gpd.GeoDataFrame, cfg: dict) -> None:
        """With both a finer table and ``[regency_total]``: report the difference (and rescale
        the table to the total only when ``rescale = true``, labelled in population_method)."""
        if not self.config.get("regency_total"):
            return
        rt = self.regency_total
        if rt is None:
            return
        table_sum = float(desa["population"].sum(min_count=1))
        rows = [(f"population table ({cfg.get('level', 'desa')})", cfg.get("year"), table_sum, str(cfg.get("source", ""))),
                ("regency total", rt["year"], rt["population"], rt["match"])]
        if np.isfinite(table_sum) and table_sum > 0:
            diff = rt["population"] - table_sum
            self.warnings.append(
                f"population table ({cfg.get('year') or 'year unknown'}) sums to {table_sum:,.0f}; the "
                f"{rt['year'] or ''} regency total is {rt['population']:,.0f} (difference {diff:+,.0f}, "
                f"{100 * diff / table_sum:+.1f}%)" + ("; the table is RESCALED to the total ([regency_total] "
                                                      "rescale = true)" if rt["rescale"] else
                                                      "; the table is used as is (set [regency_total] rescale = "
                                                      "true to rescale)"))
            if rt["rescale"]:
                factor = rt["population"] / table_sum
                desa["population"] = desa["population"] * factor
                known = desa["population_method"] != "pseudo-unit: no population"
                desa.loc[known, "population_method"] = (desa.loc[known, "population_method"]
                                                        + f"; rescaled ×{factor:.4f} to the {rt['year'] or ''} "
                                                        "regency total")
                rows.append(("population table rescaled", rt["year"], float(desa["population"].sum()),
                             f"factor {factor:.6f}"))
        self._population_check = _check_frame(rows)

    @property
    def population_check(self) -> pd.DataFrame | None:
        """Population figures of the region side by side (table sum, regency total, rescaled
        sum): DataFrame(figure, year, population, difference_from_total, note); None when only
        one source exists and it is not a regency total."""
        _ = self.desa
        return self._population_check

    def _raster_config(self) -> dict:
        """``[population_raster]`` (``catalogue`` or ``file``, ``band``, ``source``), or the older
        ``[population] raster = "FILE"``, which means the same; both at once is an error."""
        cfg = dict(self.config.get("population_raster") or {})
        legacy = (self.config.get("population") or {}).get("raster")
        if legacy:
            if cfg:
                raise InvalidInputError("the population raster is named twice: [population] raster and "
                                        "[population_raster]; keep one", file=str(self.path), field="raster")
            return {"file": legacy}
        if cfg and bool(cfg.get("file")) == bool(cfg.get("catalogue")):
            raise InvalidInputError("[population_raster] needs exactly one of 'catalogue' (a data source, e.g. "
                                    "\"worldpop_idn_2020\") and 'file'", file=str(self.path), field="catalogue")
        if cfg.get("band") is not None and int(cfg["band"]) < 1:
            raise InvalidInputError(f"[population_raster] band must be ≥ 1, not {cfg['band']}", file=str(self.path),
                                    field="band")
        return cfg

    @property
    def population_raster(self) -> Path | None:
        """The population raster (people per cell, e.g. WorldPop) that distributes the region's
        table population over cells: ``[population_raster] file``, or ``catalogue``, a source id
        of the data catalogue (``"worldpop_idn_2020"``) found in the data directory or the download
        cache (:func:`jangkau.data.fetch.fetched_file`), like ``[roads] catalogue``. None when none
        is named or it is not there (:meth:`population_raster_unavailable` says why)."""
        cfg = self._raster_config()
        if cfg.get("catalogue"):
            from .fetch import fetched_file

            return fetched_file(str(cfg["catalogue"]), self.data_dir)[1]
        if cfg.get("file"):
            path = self.resolve(str(cfg["file"]))
            return path if path.is_file() else None
        return None

    def population_raster_unavailable(self) -> str | None:
        """Why the population raster the region file names cannot be read now, with the command
        that fixes it (``"population raster: worldpop_idn_2020 not fetched; run `jangkau data
        fetch serang`"``), or None when it can be or when none is named."""
        cfg = self._raster_config()
        if not cfg or self.population_raster is not None:
            return None
        if cfg.get("catalogue"):
            return f"population raster: {self._fetch_hint(str(cfg['catalogue']))}"
        return f"population raster: file not found: {self.resolve(str(cfg['file']))}"

    def _fetch_hint(self, source_id: str) -> str:
        """``"<source> not fetched; run `jangkau data fetch <region or source>`"``."""
        from .fetch import load_catalogue

        cat = load_catalogue()
        target = self.name if source_id in cat.regions.get(self.name, ()) else source_id
        return f"{source_id} not fetched; run `jangkau data fetch {target}`"

    @property
    def population_weighting(self) -> dict:
        """How the desa population was distributed, for the manifest: ``weighting``
        (``"dasymetric"``, ``"areal"``, ``"table"``, ...), and with a raster its ``raster``
        (path), ``source``, ``band``, ``window`` (the lon/lat box asked for and the grid read:
        origin, cell size, rows, columns), ``units`` (the level of the figures it distributes)
        and ``fallback_units`` (units whose raster sum is 0: areal weighting); without one the
        reason (``raster_unavailable``)."""
        _ = self.desa
        return self._population_weighting

    @cached_property
    def population_window(self):
        """The region's window of the population raster (:class:`jangkau.data.raster.Raster`,
        the cells over the region's box grown by :data:`POPULATION_WINDOW_MARGIN_M`, at full
        resolution, never the whole file), or None without a raster."""
        _ = self.desa
        return self.__dict__.get("_population_window")

    def population_model(self):
        """The region's population model (:class:`jangkau.data.population.Population`, ZONES):
        the desa counts, each spread over its cells by the population raster's window when there
        is one (a desa whose raster sum is 0: uniformly), else by areal weighting. Coverage, gaps,
        nearest distance and road access of :func:`jangkau.workflow.pipeline.run` use it. Built once."""
        if "_population_model" not in self.__dict__:
            from .population import from_zone_counts

            self.__dict__["_population_model"] = from_zone_counts(self.zones("desa", crs=self.working_crs),
                                                                  weights=self.population_window)
        return self.__dict__["_population_model"]

    def _apply_raster(self, desa: gpd.GeoDataFrame, unit: str, what: str, pseudo: np.ndarray) -> None:
        """With a population raster: the population of each unit of ``unit`` (its desa's sum)
        distributed over its desa by the raster (:func:`jangkau.data.population.dasymetric_split`),
        in place; units whose raster sum is 0 keep areal weighting (a warning names them). The
        raster's window is kept for :meth:`population_model`. Without one: says why."""
        level = {"code": "desa", "kecamatan_code": "kecamatan", "kabupaten_code": "kabupaten"}[unit]
        self._population_weighting = {"weighting": "table" if level == "desa" else "areal", "units": level}
        cfg = self._raster_config()
        if not cfg:
            return
        path = self.population_raster
        if path is None:
            reason = self.population_raster_unavailable() or ""
            self._population_weighting["raster_unavailable"] = reason
            self.warnings.append(f"{reason}: the desa population is spread by AREAL WEIGHTING (uniform density) "
                                 "instead of the raster" if level != "desa" else
                                 f"{reason}: each desa's population is spread uniformly over its area")
            return
        from ..network.osm import osm_window
        from .population import dasymetric_split
        from .raster import read_raster

        band = int(cfg.get("band", 1))
        box = osm_window(desa, POPULATION_WINDOW_MARGIN_M)
        window = read_raster(path, band, window=box, window_crs="EPSG:4326")
        if not window.crs:
            raise CrsError("the population raster has no CRS", file=str(path))
        known = desa["population"].notna().to_numpy()
        with in_file(path):
            counts, wz, fallback = dasymetric_split(desa, unit, window, exclude=pseudo)
        self.__dict__["_population_window"] = window
        changed = known & ~pd.Series(desa[unit].astype(str)).isin(set(fallback)).to_numpy()
        if level != "desa":
            desa["population"] = np.where(known, counts, np.nan)
            desa.loc[changed, "population_method"] = f"dasymetric from {what} (population raster {Path(path).name})"
        g = window.grid
        self._population_weighting = {
            "weighting": "dasymetric", "units": level, "raster": str(path),
            "source": str(cfg.get("catalogue") or cfg.get("source") or ""), "band": band,
            "window": {"lonlat_box": [float(v) for v in box], "origin_x": g.origin_x, "origin_y": g.origin_y,
                       "cell_width": g.cell_width, "cell_height": g.cell_height, "rows": g.rows, "cols": g.cols},
            "raster_sum_region": float(wz.sum()), "fallback_units": [str(c) for c in fallback]}
        if len(fallback):
            self.warnings.append(
                f"population raster {Path(path).name}: {len(fallback)} {level} with a raster sum of 0 "
                f"({', '.join(map(str, fallback[:8]))}{' …' if len(fallback) > 8 else ''}): their population "
                f"from {what} is spread by AREAL WEIGHTING (uniform density) instead")

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
        return f"roads: {self._fetch_hint(str(cfg['catalogue']))}"

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
        if not self._optional_file(file, "kecamatan names table"):
            return None
        df = _read_table(file)
        code = _code_str(_col(df, lv.get("names_code", "code"), str(file)))
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


def _read_table(file: Path) -> pd.DataFrame:
    if not file.is_file():
        raise DataFileError("table not found", file=str(file))
    try:
        if file.suffix.lower() == ".csv":
            return read_csv(file, what="table", dtype=str, keep_default_na=True)
        from .io import read_vector
        return pd.DataFrame(read_vector(file).drop(columns="geometry"))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read table: {exc}", file=str(file)) from None


def _norm_name(name: str) -> str:
    return " ".join(str(name).lower().replace("kab.", "kabupaten").split())


def _check_frame(rows: list[tuple]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["figure", "year", "population", "note"])
    total = out.loc[out["figure"] == "regency total", "population"]
    out.insert(3, "difference_from_total", out["population"] - float(total.iloc[0]) if len(total) else np.nan)
    return out


def regency_code_bridge(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The BPS ↔ Kemendagri regency code bridge: a facts table (``datasets/regency_code_bridge.csv``
    unless ``path``) with bps_code, bps_name, kemendagri_code, kemendagri_name, codes, bps_source.
    The two code systems differ for some regencies (e.g. BPS 9471 Kota Jayapura is Kemendagri
    91.71): never assume one is the other."""
    file = Path(path) if path is not None else datasets_dir() / "regency_code_bridge.csv"
    df = _read_table(file)
    for col in ("bps_code", "kemendagri_code", "kemendagri_name"):
        _col(df, col, str(file))
    dup = df["bps_code"].duplicated()
    if dup.any():
        raise InvalidInputError(f"BPS code '{df['bps_code'][dup].iloc[0]}' appears twice", file=str(file),
                                field="bps_code")
    return df
