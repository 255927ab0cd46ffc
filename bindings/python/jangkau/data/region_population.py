"""The population of a region: where its figures come from and how they reach the desa.

A region file (:mod:`jangkau.data.region`) may name a population table at any level
(``[population]``: desa, kecamatan or kabupaten), the regency's total (``[regency_total]``,
matched through the BPS ↔ Kemendagri bridge, :func:`regency_code_bridge`) and a population
raster (``[population_raster]``). :class:`RegionPopulation` turns them into one population per
desa (see ``docs/data-model.md``):

* a desa table is used as given;
* a kecamatan or kabupaten figure ``P_u`` is spread over the desa ``d`` of its unit ``u`` by
  areal weighting, ``P_d = P_u · A_d / Σ_{d'∈u} A_{d'}`` (uniform density), or — with a raster
  of people per cell — dasymetrically, ``P_d = P_u · W_d / Σ_{d'∈u} W_{d'}`` with ``W_d`` the
  raster's people on the desa's cells (:func:`jangkau.data.population.dasymetric_split`); a unit
  whose raster sum is 0 keeps areal weighting and a warning names it (Mennis 2003; Eicher &
  Brewer 2001; formulas and references in ``docs/data-model.md`` and ``docs/coverage.md``);
* pseudo-units (lakes, forest: :data:`jangkau.data.region.PSEUDO_UNIT_SUFFIXES`) get no area
  in the weights and a population of 0;
* with both a finer table and the regency total, the difference is reported
  (:attr:`RegionPopulation.population_check`) and the table is rescaled to the total only when
  ``[regency_total] rescale = true``.

A :class:`~jangkau.data.region.Region` holds one :class:`RegionPopulation` and exposes its
members under the same names (``region.population_weighting``, ``region.population_model()``...).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import CrsError, InvalidInputError, in_file
from ..util import datasets_dir
from .io import check_population
from .tables import code_strings, column, optional_file, read_table, require_key

if TYPE_CHECKING:
    from .population import Population
    from .raster import Raster

__all__ = ["POPULATION_WINDOW_MARGIN_M", "PopulationSource", "RegionPopulation", "regency_code_bridge"]

log = logging.getLogger("jangkau")

#: Metres added around the region's box when reading its window of the population raster (the
#: cells over its desa are all read whatever the raster's CRS).
POPULATION_WINDOW_MARGIN_M = 500.0


@dataclass(frozen=True)
class PopulationSource:
    """Where a region's population figures come from."""

    level: str
    year: int | None
    source: str
    file: str


class _RegionFile(Protocol):
    """What the population needs of its region (a :class:`~jangkau.data.region.Region`)."""

    name: str
    title: str
    path: Path
    data_dir: Path | None
    working_crs: str
    config: dict
    warnings: list[str]

    def resolve(self, ref: str) -> Path: ...

    def optional_table(self, section: str, what: str) -> tuple[dict, Path] | None: ...

    def zones(self, level: str, crs: str | None = ...) -> gpd.GeoDataFrame: ...


class RegionPopulation:
    """The population of one region, read from the tables and raster its region file names.

    :meth:`attach` fills the ``population`` and ``population_method`` columns of the region's
    desa layer (once, while the region builds it); the other members describe what it did.
    Warnings (a missing optional file, a table that disagrees with the regency total, units the
    raster leaves empty) are appended to the region's ``warnings``.
    """

    def __init__(self, region: _RegionFile) -> None:
        self.region = region
        self._population_check: pd.DataFrame | None = None
        self._population_weighting: dict = {"weighting": "none: no population"}
        self._population_window: Raster | None = None
        self._population_model: Population | None = None
        #: (BPS code, name) of the regency, known once :meth:`attach` has seen the desa.
        self._kabupaten: tuple[str, str] | None = None

    # ------------------------------------------------------------------ sources
    @property
    def population_source(self) -> PopulationSource | None:
        """Where the figures come from: the ``[population]`` table when its file is there, else
        the regency total, else None."""
        region = self.region
        cfg = region.config.get("population")
        if cfg and cfg.get("file") and not region.resolve(cfg["file"]).is_file():
            cfg = None
        if not cfg:
            rt = self.regency_total
            if rt is None:
                return None
            return PopulationSource(level="kabupaten", year=rt["year"], source=rt["source"], file=rt["file"])
        return PopulationSource(level=cfg.get("level", "desa"), year=cfg.get("year"),
                                source=str(cfg.get("source", "")), file=str(region.resolve(cfg["file"])))

    @cached_property
    def regency_total(self) -> dict | None:
        """The regency's total from ``[regency_total]`` (e.g. the 2025 Kemendagri totals), or
        None. Keys: population, year, kemendagri_code, name, match (how the regency was
        found: 'code given', 'bridge', 'name'), file, source. The regency is found by the
        region file's Kemendagri ``code``, else through the BPS↔Kemendagri bridge table
        (:func:`regency_code_bridge`), else by a unique exact name match (Kabupaten/Kota
        from the BPS code); no match is a warning and no total (never guessed). Known once
        :meth:`attach` has seen the desa."""
        region = self.region
        table = region.optional_table("regency_total", "regency totals")
        if table is None:
            return None
        cfg, file = table
        from .population import read_regency_totals

        totals = read_regency_totals(file)
        by_code = dict(zip(totals["kemendagri_code"], range(len(totals))))
        if self._kabupaten is None:
            raise RuntimeError("RegionPopulation.regency_total before attach(): the regency is not known yet")
        bps, bps_name = self._kabupaten
        row, match = None, ""
        if cfg.get("code"):
            code = str(cfg["code"])
            if code not in by_code:
                raise InvalidInputError(f"[regency_total] code '{code}' is not in the totals table", file=str(file),
                                        field="code")
            row, match = by_code[code], "code given in the region file"
        else:
            bridge = regency_code_bridge(region.resolve(cfg["bridge"]) if cfg.get("bridge") else None)
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
                    region.warnings.append(
                        f"regency totals: no row for {bps_name} (BPS {bps or 'unknown'}): no bridge row and "
                        f"{'no' if not cand else len(cand)} name match{'es' if len(cand) > 1 else ''} in "
                        f"{file.name}; the total is not used (give [regency_total] code)")
                    return None
        assert row is not None
        return {"population": float(totals["population"].iloc[row]), "year": cfg.get("year"),
                "kemendagri_code": str(totals["kemendagri_code"].iloc[row]), "name": str(totals["name"].iloc[row]),
                "match": match, "file": str(file), "source": str(cfg.get("source", "")),
                "rescale": bool(cfg.get("rescale", False))}

    # ------------------------------------------------------------------ desa population
    def attach(self, desa: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Fill ``population`` (people; NaN where unknown) and ``population_method`` of the desa
        layer (columns code, kecamatan_code, kabupaten_code, kabupaten, area_km2, pseudo_unit) in
        place and return it. Bad tables raise InvalidInputError naming file, feature and field:
        a value that is not a number or negative, a code that matches no unit of the level or
        appears twice, a level other than desa/kecamatan/kabupaten."""
        region = self.region
        kab = desa[["kabupaten_code", "kabupaten"]].drop_duplicates()
        self._kabupaten = (str(kab.iloc[0, 0]), str(kab.iloc[0, 1])) if len(kab) == 1 else ("", region.title)
        cfg = region.config.get("population")
        if cfg and cfg.get("file") and not optional_file(region.resolve(cfg["file"]), "population table",
                                                         region.warnings):
            cfg = None
        desa["population"] = np.nan
        desa["population_method"] = "unknown"
        pseudo = desa["pseudo_unit"].to_numpy(dtype=bool)
        self._population_check = None
        self._population_weighting = {"weighting": "none: no population"}
        # Areal weighting spreads over the places where people live: pseudo-units get 0.
        area = desa["area_km2"].where(~desa["pseudo_unit"], 0.0)
        if not cfg:
            if region.config.get("regency_total"):
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
                                    file=str(region.path), field="level")
        file = region.resolve(require_key(cfg, "file", "population", region.path))
        df = read_table(file)
        code_field = cfg.get("code", "code")
        value_field = cfg.get("value", "population")
        codes = code_strings(column(df, code_field, str(file)))
        raw = column(df, value_field, str(file))
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
                region.warnings.append(f"the population table gives {lost.sum():,.0f} people to pseudo-units "
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
        if not self.region.config.get("regency_total"):
            return
        rt = self.regency_total
        if rt is None:
            return
        table_sum = float(desa["population"].sum(min_count=1))
        rows = [(f"population table ({cfg.get('level', 'desa')})", cfg.get("year"), table_sum, str(cfg.get("source", ""))),
                ("regency total", rt["year"], rt["population"], rt["match"])]
        if np.isfinite(table_sum) and table_sum > 0:
            diff = rt["population"] - table_sum
            self.region.warnings.append(
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
        return self._population_check

    # ------------------------------------------------------------------ raster
    def _raster_config(self) -> dict:
        """``[population_raster]`` (``catalogue`` or ``file``, ``band``, ``source``), or the older
        ``[population] raster = "FILE"``, which means the same; both at once is an error."""
        region = self.region
        cfg = dict(region.config.get("population_raster") or {})
        legacy = (region.config.get("population") or {}).get("raster")
        if legacy:
            if cfg:
                raise InvalidInputError("the population raster is named twice: [population] raster and "
                                        "[population_raster]; keep one", file=str(region.path), field="raster")
            return {"file": legacy}
        if cfg and bool(cfg.get("file")) == bool(cfg.get("catalogue")):
            raise InvalidInputError("[population_raster] needs exactly one of 'catalogue' (a data source, e.g. "
                                    "\"worldpop_idn_2020\") and 'file'", file=str(region.path), field="catalogue")
        if cfg.get("band") is not None and int(cfg["band"]) < 1:
            raise InvalidInputError(f"[population_raster] band must be ≥ 1, not {cfg['band']}", file=str(region.path),
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

            return fetched_file(str(cfg["catalogue"]), self.region.data_dir)[1]
        if cfg.get("file"):
            path = self.region.resolve(str(cfg["file"]))
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
            from .fetch import fetch_hint

            return f"population raster: {fetch_hint(str(cfg['catalogue']), self.region.name)}"
        return f"population raster: file not found: {self.region.resolve(str(cfg['file']))}"

    @property
    def population_weighting(self) -> dict:
        """How the desa population was distributed, for the manifest: ``weighting``
        (``"dasymetric"``, ``"areal"``, ``"table"``, ...), and with a raster its ``raster``
        (path), ``source``, ``band``, ``window`` (the lon/lat box asked for and the grid read:
        origin, cell size, rows, columns), ``units`` (the level of the figures it distributes)
        and ``fallback_units`` (units whose raster sum is 0: areal weighting); without one the
        reason (``raster_unavailable``)."""
        return self._population_weighting

    @property
    def population_window(self) -> Raster | None:
        """The region's window of the population raster (:class:`jangkau.data.raster.Raster`,
        the cells over the region's box grown by :data:`POPULATION_WINDOW_MARGIN_M`, at full
        resolution, never the whole file), or None without a raster."""
        return self._population_window

    def population_model(self) -> Population:
        """The region's population model (:class:`jangkau.data.population.Population`, ZONES):
        the desa counts, each spread over its cells by the population raster's window when there
        is one (a desa whose raster sum is 0: uniformly), else by areal weighting. Coverage, gaps,
        nearest distance and road access of :func:`jangkau.workflow.pipeline.run` use it. Built once."""
        if self._population_model is None:
            from .population import from_zone_counts

            self._population_model = from_zone_counts(self.region.zones("desa", crs=self.region.working_crs),
                                                      weights=self.population_window)
        return self._population_model

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
            self.region.warnings.append(f"{reason}: the desa population is spread by AREAL WEIGHTING (uniform "
                                        "density) instead of the raster" if level != "desa" else
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
        self._population_window = window
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
            self.region.warnings.append(
                f"population raster {Path(path).name}: {len(fallback)} {level} with a raster sum of 0 "
                f"({', '.join(map(str, fallback[:8]))}{' …' if len(fallback) > 8 else ''}): their population "
                f"from {what} is spread by AREAL WEIGHTING (uniform density) instead")


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
    df = read_table(file)
    for col in ("bps_code", "kemendagri_code", "kemendagri_name"):
        column(df, col, str(file))
    dup = df["bps_code"].duplicated()
    if dup.any():
        raise InvalidInputError(f"BPS code '{df['bps_code'][dup].iloc[0]}' appears twice", file=str(file),
                                field="bps_code")
    return df
