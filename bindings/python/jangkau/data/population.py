"""Population surfaces: where people live, as the coverage computations need it.

Two models (:class:`PopulationModel`):

``RASTER``
    A raster of counts per cell (WorldPop / GHSL style, any CRS). Population is uniform
    inside each cell; a polygon holds ``Σ count_c · area(c ∩ polygon) / area(c)`` — the exact
    partial-cell rule of exactextract. Zones and coverage polygons are **reprojected to the
    raster's CRS**; the raster itself is never resampled, so its counts are never altered.

``ZONES``
    Counts per zone (e.g. per desa or kecamatan, joined on codes), spread by areal weighting:
    uniform density inside each source zone, optionally reweighted by a user raster
    (dasymetric): the share of zone s inside a polygon Q is ``Σ_c w_c·area(c ∩ s ∩ Q) /
    Σ_c w_c·area(c ∩ s)``, which reduces to ``area(s ∩ Q) / area(s)`` without weights. A
    zone whose weights sum to 0 falls back to areal weighting. Computations happen in a
    metric CRS (the zones' own when projected, else their UTM zone).

Both conserve the total: the shares of a source zone over any partition sum to 1, and
:meth:`Population.surface` spreads each zone's count over the cells it touches so that the
cells sum to the input total to rounding (1e-12 relative), at any cell size.
"""

from __future__ import annotations

import enum
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import _core
from ..errors import CrsError, DataFileError, InvalidInputError, UnknownColumnError
from .crs import utm_crs_of
from .io import check_population, to_geometry_array
from .raster import Raster, grid_for_bounds, read_raster

__all__ = ["Population", "PopulationModel", "dasymetric_split", "from_raster", "from_zone_counts", "join_counts",
           "read_regency_totals"]

log = logging.getLogger("jangkau")


class PopulationModel(enum.Enum):
    """How population is represented: counts per raster cell, or counts per zone."""

    RASTER = "raster"
    ZONES = "zones"


@dataclass
class Population:
    """A population model ready for overlay. Build with :func:`from_raster` or
    :func:`from_zone_counts`."""

    model: PopulationModel
    #: CRS of every computation (the raster's for RASTER, a metric CRS for ZONES), as WKT or "AUTH:CODE".
    crs: str
    #: RASTER: the counts; ZONES: the optional dasymetric weights (None = areal weighting).
    raster: Raster | None = None
    #: ZONES: the source zones in ``crs`` with a ``population`` column (float64).
    zones: gpd.GeoDataFrame | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    # ----------------------------------------------------------------- basics
    def source_zones(self) -> gpd.GeoDataFrame:
        """ZONES model: :attr:`zones` (the source zones in :attr:`crs`, ``population`` column).
        Raises :class:`~jangkau.errors.InvalidInputError` for a model without zones (RASTER)."""
        if self.zones is None:
            raise InvalidInputError(f"a {self.model.value.upper()} population model has no source zones")
        return self.zones

    def _need_raster(self) -> Raster:
        """:attr:`raster` (RASTER: the counts; ZONES: the weights), which must be there."""
        if self.raster is None:
            raise InvalidInputError(f"this {self.model.value.upper()} population model has no raster")
        return self.raster

    @property
    def total(self) -> float:
        """Total population of the model."""
        if self.model is PopulationModel.RASTER:
            return float(np.nansum(self._need_raster().values))
        return float(self.source_zones()["population"].sum())

    @property
    def crs_object(self) -> pyproj.CRS:
        """:attr:`crs` as a :class:`pyproj.CRS` (parsed once)."""
        if "crs" not in self._cache:
            self._cache["crs"] = pyproj.CRS.from_user_input(self.crs)
        return self._cache["crs"]

    def to_crs_of_model(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``gdf`` reprojected to the model's CRS (no-op when already there)."""
        if gdf.crs is None:
            raise CrsError("GeoDataFrame has no CRS")
        target = self.crs_object
        return gdf if gdf.crs.equals(target) else gdf.to_crs(target)

    def source_geometry(self) -> _core.GeometryArray:
        """ZONES model: the source zones as an engine geometry array (built once)."""
        if "source" not in self._cache:
            self._cache["source"] = to_geometry_array(self.source_zones().geometry)
        return self._cache["source"]

    def weight_totals(self) -> np.ndarray:
        """ZONES with weights: Σ_c w_c·f_s(c) per source zone (0 → areal weighting fallback)."""
        if "wtot" not in self._cache:
            weights = self._need_raster()
            w = np.nan_to_num(weights.values, nan=0.0)
            s, _, _ = _core.zonal_sums(weights.grid, w, self.source_geometry())
            self._cache["wtot"] = s
        return self._cache["wtot"]

    # ----------------------------------------------------------------- overlay
    def _zone_area(self) -> np.ndarray:
        if "zone_area" not in self._cache:
            self._cache["zone_area"] = _core.polygon_area(self.source_geometry())
        return self._cache["zone_area"]

    def zone_shares(self, areas: np.ndarray, weight_sums: np.ndarray | None = None) -> np.ndarray:
        """ZONES model: the share of each source zone's population inside a piece of it, from
        the piece's area (``areas``, zone k in the last axis, e.g. shape (zones,) or (radii,
        zones); model CRS units) and, with dasymetric weights, the sum of the weights over the
        piece (``weight_sums``, same shape: Σ_c w_c·area(c ∩ piece)/area(c)).

        This is the one place of the split rule: weight by cell, ``weight_sums / Σ_c w_c·f_s(c)``;
        a zone whose weights sum to 0 (or a model without weights) falls back to the area
        share ``areas / area(s)``; a zone of zero area gets 0."""
        if self.model is not PopulationModel.ZONES:
            raise InvalidInputError("zone shares need the ZONES model")
        zone_area = self._zone_area()
        areas = np.asarray(areas, dtype=np.float64)
        area_share = np.divide(areas, zone_area, out=np.zeros_like(areas), where=zone_area > 0)
        if self.raster is None:
            return area_share
        if weight_sums is None:
            raise InvalidInputError("the population has dasymetric weights: give the weight sums of the pieces")
        tot = self.weight_totals()
        sums = np.asarray(weight_sums, dtype=np.float64)
        return np.where(tot > 0, np.divide(sums, tot, out=np.zeros_like(sums), where=tot > 0), area_share)

    def source_shares(self, pieces: _core.GeometryArray) -> np.ndarray:
        """ZONES model: for pieces[k] ⊆ source zone k (same order as :attr:`zones`), the share
        of zone k's population inside the piece (:meth:`zone_shares`)."""
        if self.model is not PopulationModel.ZONES:
            raise InvalidInputError("source_shares needs the ZONES model")
        sums = None
        if self.raster is not None:
            w = np.nan_to_num(self.raster.values, nan=0.0)
            sums, _, _ = _core.zonal_sums(self.raster.grid, w, pieces)
        return self.zone_shares(_core.polygon_area(pieces), sums)

    def shares_within(self, polygon: _core.GeometryArray, threads: int = 0) -> np.ndarray:
        """ZONES model: the share of every source zone's population inside ``polygon`` (a
        one-polygon geometry array in the model CRS), at most 1. Without weights only the
        intersection areas are computed (no intersection geometry is built)."""
        if self.model is not PopulationModel.ZONES:
            raise InvalidInputError("shares_within needs the ZONES model")
        src = self.source_geometry()
        if self.raster is None:
            share = self.zone_shares(_core.intersection_areas(src, polygon, threads))
        else:
            share = self.source_shares(_core.intersect_zones(src, polygon, threads))
        return np.minimum(share, 1.0)

    def cover_shares(self, key: tuple, cover: Callable[[], _core.GeometryArray], threads: int = 0) -> np.ndarray:
        """ZONES model: the share of every source zone's population inside the polygon
        ``cover()`` (one polygon in the model CRS), :meth:`source_shares` of the zones ∩ cover;
        remembered under ``key`` (what determines the polygon: e.g. facility type, radius and the
        facilities' coordinates), so that the same coverage reported at several levels is
        overlaid once."""
        if self.model is not PopulationModel.ZONES:
            raise InvalidInputError("cover_shares needs the ZONES model")
        shares = self._cache.setdefault("cover_shares", {})
        if key not in shares:
            shares[key] = self.source_shares(_core.intersect_zones(self.source_geometry(), cover(), threads))
        return shares[key]

    def population_in(self, polygons: gpd.GeoSeries | _core.GeometryArray) -> np.ndarray:
        """RASTER model: the population inside each polygon (exact partial cells). The polygons
        must be in the model's CRS (a GeoSeries is reprojected)."""
        if self.model is not PopulationModel.RASTER:
            raise InvalidInputError("population_in needs the RASTER model; use source_shares for ZONES")
        if isinstance(polygons, (gpd.GeoSeries, gpd.GeoDataFrame)):
            frame = gpd.GeoDataFrame(
                geometry=gpd.GeoSeries(
                    polygons.geometry if isinstance(polygons, gpd.GeoDataFrame) else polygons
                )
            )
            polygons = to_geometry_array(self.to_crs_of_model(frame).geometry)
        counts = self._need_raster()
        s, _, _ = _core.zonal_sums(counts.grid, counts.values, polygons)
        return s

    def cell_pieces(self, polygons: _core.GeometryArray, cell_size: float = 100.0,
                    threads: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (polygon, cell) overlap of the population surface (:meth:`surface`; the raster
        itself for RASTER) as arrays (polygon index, flat cell index, persons ``count_c ·
        area(c ∩ polygon) / area(c)``), exact partial cells; the polygons in the model's CRS."""
        surface = self.surface(cell_size)
        offsets, cells, frac = _core.cell_coverage(surface.grid, polygons, 0.0, threads)
        polygon_of = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
        return polygon_of, cells, np.nan_to_num(surface.values.ravel(), nan=0.0)[cells] * frac

    # ----------------------------------------------------------------- surface
    def pieces(self, cell_size: float = 100.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, _core.Grid]:
        """ZONES model: the population of each (source zone, cell) piece, as arrays
        (zone index, flat cell index, persons) plus the grid; see :meth:`surface`. Each
        zone's pieces sum to its count."""
        if self.model is not PopulationModel.ZONES:
            raise InvalidInputError("pieces needs the ZONES model")
        key = ("pieces", cell_size)
        if key in self._cache:
            return self._cache[key]
        zones = self.source_geometry()
        if self.raster is not None:
            grid = self.raster.grid
            w = np.nan_to_num(self.raster.values, nan=0.0).ravel()
        else:
            grid = grid_for_bounds(self.source_zones().total_bounds, cell_size)
            w = None
        offsets, cells, frac = _core.cell_coverage(grid, zones)
        n = len(offsets) - 1
        zone_of = np.repeat(np.arange(n), np.diff(offsets))
        weight = frac if w is None else frac * w[cells]
        tot = np.bincount(zone_of, weights=weight, minlength=n)
        if w is not None:  # zones without weight: areal weighting
            empty = tot[zone_of] <= 0
            weight = np.where(empty, frac, weight)
            tot = np.bincount(zone_of, weights=weight, minlength=n)
        pop = self.source_zones()["population"].to_numpy(dtype=np.float64)
        mass = pop[zone_of] * np.divide(
            weight, tot[zone_of], out=np.zeros_like(weight), where=tot[zone_of] > 0
        )
        out = (zone_of, cells, mass, grid)
        self._cache[key] = out
        return out

    def surface(self, cell_size: float = 100.0) -> Raster:
        """Population per cell. RASTER: the raster itself. ZONES: each source zone's count
        spread over the cells it touches (areal or dasymetric weighting, exact partial cells),
        on the weights' grid when given, else on a ``cell_size`` grid (model CRS units) snapped
        to multiples of the cell size. Cells sum to :attr:`total` (to rounding)."""
        if self.model is PopulationModel.RASTER:
            return self._need_raster()
        key = ("surface", cell_size)
        if key in self._cache:
            return self._cache[key]
        _, cells, mass, grid = self.pieces(cell_size)
        values = np.bincount(cells, weights=mass, minlength=grid.rows * grid.cols).reshape(
            grid.rows, grid.cols
        )
        out = Raster(values=values, grid=grid, crs=self.crs, nodata=None)
        self._cache[key] = out
        return out


def from_raster(source: str | os.PathLike[str] | Raster, band: int = 1, *, boundary: Any = None,
                margin_m: float = 10_000.0) -> Population:
    """Population from a raster of counts per cell (any CRS). Negative counts raise
    InvalidInputError; nodata/NaN cells count as 0 people.

    With a ``boundary`` (a GeoDataFrame/GeoSeries with a CRS, a lon/lat shapely geometry or a
    lon/lat box), only the cells over the boundary's box grown by ``margin_m`` metres are read
    (:func:`jangkau.data.raster.read_raster` with a window; the box is
    :func:`jangkau.network.osm.osm_window`'s, the same as the roads'): a regency's window of
    WorldPop's 100 m raster of Indonesia, never the country. The cells are not resampled, so
    every count in the window is the file's."""
    if boundary is not None and not isinstance(source, Raster):
        from ..network.osm import osm_window

        raster = read_raster(source, band, window=osm_window(boundary, margin_m), window_crs="EPSG:4326")
    else:
        raster = source if isinstance(source, Raster) else read_raster(source, band)
    if not raster.crs:
        raise CrsError(
            "the population raster has no CRS", file=None if isinstance(source, Raster) else str(source)
        )
    check_population(raster.values, file=None if isinstance(source, Raster) else str(source), field=None, what="cell")
    if (np.nan_to_num(raster.values) < 0).any():
        raise InvalidInputError(
            "the population raster has negative counts",
            file=None if isinstance(source, Raster) else str(source),
        )
    values = np.nan_to_num(raster.values, nan=0.0)
    return Population(
        model=PopulationModel.RASTER,
        crs=raster.crs,
        raster=Raster(values=values, grid=raster.grid, crs=raster.crs, nodata=raster.nodata),
    )


def join_counts(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    zone_code: str = "code",
    table_code: str = "code",
    count_column: str = "population",
) -> gpd.GeoDataFrame:
    """``zones`` with a ``population`` column taken from ``table`` (joined on codes compared as
    strings). Raises UnknownColumnError for a missing column, InvalidInputError for table codes
    matching no zone or duplicated codes; zones without a count get NaN (logged)."""
    for df, col, what in (
        (zones, zone_code, "zones"),
        (table, table_code, "table"),
        (table, count_column, "table"),
    ):
        if col not in df.columns:
            raise UnknownColumnError(
                f"{what} have no column '{col}' (columns: {', '.join(map(str, df.columns))})", field=col
            )
    codes = table[table_code].astype(str).str.strip()
    if codes.duplicated().any():
        raise InvalidInputError(
            f"duplicate codes in the table: {', '.join(codes[codes.duplicated()][:5])}", field=table_code
        )
    counts = pd.to_numeric(table[count_column], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        bad = int(np.flatnonzero(counts.isna().to_numpy() | (counts < 0).to_numpy())[0])
        raise InvalidInputError("population counts must be numbers ≥ 0", feature=bad, field=count_column)
    lookup = dict(zip(codes, counts))
    zcodes = zones[zone_code].astype(str).str.strip()
    unknown = sorted(set(codes) - set(zcodes))
    if unknown:
        raise InvalidInputError(f"table codes matching no zone: {', '.join(unknown[:5])}", field=table_code)
    out = zones.copy()
    out["population"] = zcodes.map(lookup).astype(np.float64)
    missing = out["population"].isna().sum()
    if missing:
        log.warning("%d zones have no population in the table", missing)
    return out


def from_zone_counts(
    zones: gpd.GeoDataFrame,
    *,
    count_column: str = "population",
    weights: Raster | str | os.PathLike[str] | None = None,
) -> Population:
    """Population from counts per zone (``zones[count_column]``), uniform within each zone or
    reweighted by ``weights`` (a raster, e.g. built-up area or a WorldPop layer, any CRS: the
    zones are reprojected to the weights' CRS when given). Zones with NaN counts are dropped
    with a warning; negative counts raise InvalidInputError."""
    if count_column not in zones.columns:
        raise UnknownColumnError(f"zones have no column '{count_column}'", field=count_column)
    counts = pd.to_numeric(zones[count_column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    check_population(counts, field=count_column, what="zone")
    if (counts < 0).any():
        raise InvalidInputError("negative population", feature=int(np.flatnonzero(counts < 0)[0]), field=count_column)
    z = zones.copy()
    z["population"] = counts
    keep = ~np.isnan(counts)
    if not keep.all():
        log.warning("%d zones without population are left out", int((~keep).sum()))
    geoms = z.geometry.values
    keep &= ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not keep.all():
        z = z[keep]
    if not (isinstance(z.index, pd.RangeIndex) and z.index.start == 0 and z.index.step == 1):
        z = z.reset_index(drop=True)
    w = None
    if weights is not None:
        w = weights if isinstance(weights, Raster) else read_raster(weights)
        if not w.crs:
            raise CrsError("the weights raster has no CRS")
        crs = w.crs
        z = z.to_crs(pyproj.CRS.from_user_input(crs))
        if (np.nan_to_num(w.values) < 0).any():
            raise InvalidInputError("the weights raster has negative values")
    elif z.crs is not None and z.crs.is_projected:
        crs = z.crs.to_wkt()  # already metric: no reprojection, no CRS round trip
        population = Population(model=PopulationModel.ZONES, crs=crs, raster=None, zones=z)
        population._cache["crs"] = z.crs
        return population
    else:
        if z.crs is None:
            raise CrsError("zones have no CRS")
        crs = utm_crs_of(z.total_bounds, z.crs)
        target = pyproj.CRS.from_user_input(crs)
        if not z.crs.equals(target):
            z = z.to_crs(target)
    return Population(model=PopulationModel.ZONES, crs=crs, raster=w, zones=z)


def dasymetric_split(zones: gpd.GeoDataFrame, unit: str, weights: Raster, *, count_column: str = "population",
                     exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each unit's count split over its zones in proportion to the weight raster (dasymetric
    weighting, e.g. WorldPop counts): zone z of unit u gets ``P_u · W_z / W_u``, where ``P_u`` is
    the sum of ``zones[count_column]`` over the unit's zones (the table's figure, however it was
    split before), ``W_z = Σ_c w_c · area(c ∩ z) / area(c)`` (exact partial cells; the zones are
    reprojected to the raster's CRS, the raster is never resampled; nodata/NaN cells weigh 0)
    and ``W_u = Σ_{z ∈ u} W_z``. Zones flagged in ``exclude`` (pseudo-units) weigh 0. A unit
    whose ``W_u`` is 0 keeps its given split (areal weighting) and is returned as a fallback.

    ``unit``: the column of ``zones`` naming each zone's unit (``code`` for the zones
    themselves). Units and counts are conserved: Σ_{z ∈ u} of the result = P_u. Returns
    (counts per zone, W_z per zone, codes of the fallback units (sorted)). Raises
    InvalidInputError for negative weights, CrsError for a raster or zones without CRS."""
    if unit not in zones.columns:
        raise UnknownColumnError(f"zones have no column '{unit}'", field=unit)
    if not weights.crs:
        raise CrsError("the weights raster has no CRS")
    if zones.crs is None:
        raise CrsError("zones have no CRS")
    w = np.nan_to_num(np.asarray(weights.values, dtype=np.float64), nan=0.0)
    if (w < 0).any():
        raise InvalidInputError("the weights raster has negative values")
    target = pyproj.CRS.from_user_input(weights.crs)
    z = zones if zones.crs.equals(target) else zones.to_crs(target)
    wz, _, _ = _core.zonal_sums(weights.grid, w, to_geometry_array(z.geometry))
    wz = np.asarray(wz, dtype=np.float64)
    if exclude is not None:
        wz = np.where(np.asarray(exclude, dtype=bool), 0.0, wz)
    counts = pd.to_numeric(zones[count_column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    codes, unit_of = np.unique(pd.Series(zones[unit]).astype(str).to_numpy(), return_inverse=True)
    p_unit = pd.Series(counts).groupby(unit_of).sum(min_count=1).reindex(range(len(codes))).to_numpy()
    w_unit = np.bincount(unit_of, weights=wz, minlength=len(codes))
    ok = w_unit[unit_of] > 0
    out = np.where(ok, p_unit[unit_of] * np.divide(wz, w_unit[unit_of], out=np.zeros_like(wz),
                                                   where=w_unit[unit_of] > 0), counts)
    fallback = codes[(w_unit <= 0) & ~np.isnan(p_unit)]
    return out, wz, np.sort(fallback.astype(str))


# ------------------------------------------------------------------------------------------ regency totals

#: One row of the ``wilayah_penduduk`` INSERT of cahyadsn/wilayah: ('kode','nama','pria','wanita','total').
_SQL_ROW = re.compile(r"\(\s*'([0-9.]+)'\s*,\s*'((?:[^'\\]|\\.|'')*)'\s*,\s*'?(-?\d+)'?\s*,\s*'?(-?\d+)'?\s*,"
                      r"\s*'?(-?\d+)'?\s*\)")


def read_regency_totals(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Regency/city population totals keyed by **Kemendagri** code (``NN.NN``).

    Reads the ``wilayah_penduduk`` table of cahyadsn/wilayah (``db/wilayah_penduduk.sql``:
    Dukcapil registration counts of Kepmendagri 300.2.2-2138/2025) or a CSV with columns
    ``kode, nama, total`` (``pria``/``wanita`` optional). Only regency-level rows (codes
    ``NN.NN``) are returned: DataFrame(kemendagri_code, name, population, male, female).
    A row whose total is negative or whose male + female differs from the total raises
    InvalidInputError naming the file and code (never silently fixed); a duplicate code too.
    """
    p = Path(path)
    if not p.is_file():
        raise DataFileError("regency totals file not found", file=str(p))
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read regency totals: {exc}", file=str(p)) from None
    rows: list[tuple[str, str, int, int, int]] = []
    if p.suffix.lower() == ".sql":
        for m in _SQL_ROW.finditer(text):
            code, name = m.group(1), m.group(2).replace("''", "'").replace("\\'", "'")
            rows.append((code, name, int(m.group(3)), int(m.group(4)), int(m.group(5))))
    else:
        df = pd.read_csv(p, dtype=str)
        for col in ("kode", "nama", "total"):
            if col not in df.columns:
                raise UnknownColumnError(f"no column '{col}' (columns: {', '.join(df.columns)})", file=str(p),
                                         field=col)
        for i, r in df.iterrows():
            try:
                tot = int(str(r["total"]))
                male = int(str(r["pria"])) if "pria" in df.columns else -1
                female = int(str(r["wanita"])) if "wanita" in df.columns else -1
            except ValueError:
                raise InvalidInputError(f"total '{r['total']}' is not a whole number", file=str(p),
                                        feature=int(str(i)), field="total") from None
            rows.append((str(r["kode"]).strip(), str(r["nama"]).strip(), male, female, tot))
    out = pd.DataFrame(rows, columns=["kemendagri_code", "name", "male", "female", "population"])
    out = out[out["kemendagri_code"].str.fullmatch(r"\d\d\.\d\d")].reset_index(drop=True)
    if out.empty:
        raise InvalidInputError("no regency rows (codes NN.NN) found", file=str(p))
    for code, male, female, tot in zip(out["kemendagri_code"], out["male"], out["female"], out["population"]):
        if tot < 0:
            raise InvalidInputError(f"regency {code}: negative total {tot}", file=str(p), field="total")
        if male >= 0 and female >= 0 and male + female != tot:
            raise InvalidInputError(f"regency {code}: male {male} + female {female} ≠ total {tot}", file=str(p),
                                    field="total")
    dup = out["kemendagri_code"].duplicated()
    if dup.any():
        raise InvalidInputError(f"regency code '{out['kemendagri_code'][dup].iloc[0]}' appears twice", file=str(p),
                                field="kode")
    out["population"] = out["population"].astype(float)
    out.attrs["source"] = str(p)
    return out
