"""Straight-line service coverage: how many people live within a radius of each kind of
facility, per desa, kecamatan, dapil and kabupaten; nearest-facility allocation; distance to
the nearest facility; and the uncovered ("gap") areas.

Coverage area of a facility type at radius r: U_r = ∪ discs(facility, r), in a metric CRS.
By default the discs are TRUE circles: the engine integrates the arcs of ∂U exactly (Green's
theorem, chord + circular segment ½r²(θ − sin θ)) for zone areas and, split at the grid lines,
for raster cells (exact partial cells; engine/core/circle_geometry.hpp); where a polygon of U_r is
needed (``gaps``, a geographic population CRS) the GEOS buffers are densified to the same
sagitta. ``quadrant_segments=k`` instead uses shapely's 4k-gons (k = 8 is shapely's default
32-gon, which covers 0.64 % less area than the circle) — only to reproduce shapely results.

Covered population of a zone z:

* ZONES model (counts per source zone s, uniform density ρ_s = P_s / area(s)):
  ``covered(s) = ρ_s · area(s ∩ U_r)`` (exact polygon overlay, independent of any grid),
  or with dasymetric weights w: ``P_s · Σ_c w_c·area(c ∩ s ∩ U_r) / Σ_c w_c·area(c ∩ s)``;
  a level above the source zones (kecamatan, dapil, kabupaten) sums its source zones.
* RASTER model (counts per cell): ``covered(z) = Σ_c count_c · area(c ∩ z ∩ U_r) / area(c)``
  (exact partial cells of the polygon z ∩ U_r), in the raster's CRS.

In a projected CRS both are computed by the engine without building U_r (exact boundary
assembly of z ∩ U_r, Green's theorem / exact partial cells; all radii in one pass, all cores).
See docs/coverage.md for the formulas, the partial-cell rule and the threshold defaults.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import _core
from ..data.crs import metric_crs_for
from ..data.facilities import FacilityCatalogue
from ..data.io import from_geometry_array, to_geometry_array
from ..data.population import Population, PopulationModel
from ..data.raster import Raster
from ..data.zones import LEVEL_KEYS, ZonePopulation
from ..errors import CrsError, InvalidInputError, UnknownColumnError

__all__ = [
    "LEVEL_KEYS",
    "coverage",
    "DISC_TOLERANCE_M",
    "buffer_segments",
    "coverage_union",
    "distance_by_zone",
    "distance_to_nearest",
    "gaps",
    "nearest_facility",
    "parse_radii",
]

log = logging.getLogger("jangkau")

#: Largest sagitta (metres) of the chords that stand for true circle arcs where a polygon of U_r
#: is needed (raster cells are exact): an inscribed chord of sagitta s leaves out at most (2/3)·s per metre
#: of arc, i.e. a disc's area is low by at most (4/3)·s/r (2.7e-5 at r = 500 m).
DISC_TOLERANCE_M = 0.01

_RADIUS = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(km|m)?\s*$")


def parse_radii(text: str | float | Sequence[float | str]) -> list[float]:
    """Radii in metres from "1km,2km,500m" (a bare number is metres), a number or a list.
    Raises InvalidInputError for anything else or a radius ≤ 0."""
    items = (
        text.split(",")
        if isinstance(text, str)
        else (list(text) if isinstance(text, (list, tuple)) else [text])
    )
    out = []
    for item in items:
        if isinstance(item, (int, float, np.floating, np.integer)):
            r = float(item)
        else:
            m = _RADIUS.match(str(item))
            if not m:
                raise InvalidInputError(
                    f"cannot read radius '{item}' (use e.g. 500m, 1km, 2.5km)", field="radius"
                )
            r = float(m.group(1)) * (1000.0 if m.group(2) == "km" else 1.0)
        if not (r > 0 and np.isfinite(r)):
            raise InvalidInputError(f"radius must be positive: '{item}'", field="radius")
        out.append(r)
    if not out:
        raise InvalidInputError("no radius given", field="radius")
    return out


# ---------------------------------------------------------------------------- helpers
def _points(facilities: gpd.GeoDataFrame, crs) -> _core.GeometryArray:
    pts = facilities.to_crs(crs).geometry
    return to_geometry_array(pts)


def buffer_segments(radius_m: float, tolerance_m: float = DISC_TOLERANCE_M) -> int:
    """Segments per quarter circle for a GEOS buffer whose chords have sagitta ≤ ``tolerance_m``:
    the smallest q with r·(1 − cos(π / 4q)) ≤ tol."""
    r, tol = float(radius_m), float(tolerance_m)
    if not (r > 0 and tol > 0 and np.isfinite(r) and np.isfinite(tol)):
        raise InvalidInputError("radius and tolerance must be positive", field="radius")
    if tol >= r:
        return 1
    return max(1, int(np.ceil(np.pi / (4.0 * np.arccos(1.0 - tol / r)))))


def _segments(quadrant_segments: int | None) -> int:
    """Engine value: 0 = true circles, k ≥ 1 = shapely 4k-gons."""
    if quadrant_segments is None:
        return 0
    q = int(quadrant_segments)
    if q < 1:
        raise InvalidInputError(
            "quadrant_segments must be at least 1 (or None for true circles)", field="quadrant_segments"
        )
    return q


def coverage_union(
    facilities: gpd.GeoDataFrame, radius_m: float, *, crs=None, quadrant_segments: int | None = None
) -> gpd.GeoSeries:
    """U_r, the union of discs of ``radius_m`` around the facilities, as a one-row GeoSeries in
    ``crs`` (default: the facilities' CRS if metric, else their UTM zone). Discs are circles
    densified to chords of sagitta ≤ :data:`DISC_TOLERANCE_M` (``quadrant_segments=None``) or
    shapely's 4k-gons (``quadrant_segments=k``)."""
    crs = pyproj.CRS.from_user_input(crs) if crs is not None else metric_crs_for(facilities)
    if not crs.is_projected:
        raise CrsError("coverage buffers need a projected (metric) CRS")
    q = _segments(quadrant_segments) or buffer_segments(radius_m)
    ga = _core.buffer_union(_points(facilities, crs), float(radius_m), q)
    return gpd.GeoSeries(from_geometry_array(ga), crs=crs)


def _to_model_crs(union_metric: gpd.GeoSeries, population: Population) -> _core.GeometryArray:
    target = pyproj.CRS.from_user_input(population.crs)
    src = union_metric.crs
    g = union_metric if src is not None and src.equals(target) else union_metric.to_crs(target)
    return to_geometry_array(g)


def _raster_of(population: Population) -> Raster:
    if population.raster is None:
        raise InvalidInputError("the population has no raster", field="population")
    return population.raster


def _zones_of(population: Population) -> gpd.GeoDataFrame:
    if population.zones is None:
        raise InvalidInputError("the population has no source zones", field="population")
    return population.zones


def _types(facilities: gpd.GeoDataFrame, types) -> list[str]:
    if "facility_type" not in facilities.columns:
        raise UnknownColumnError(
            "facilities have no 'facility_type' column (use jangkau.data.facilities.read_facilities)",
            field="facility_type",
        )
    present = list(dict.fromkeys(facilities["facility_type"].astype(str)))
    if types is None:
        return present
    types = [types] if isinstance(types, str) else list(types)
    cat = FacilityCatalogue.default()
    out = []
    for t in types:
        key = cat.resolve(t) or t
        if key not in present:
            raise InvalidInputError(
                f"no facilities of type '{t}' (present: {', '.join(present)})", field="type"
            )
        out.append(key)
    return out


def _radii_for(t: str, radii_m, catalogue: FacilityCatalogue) -> list[float]:
    if radii_m is None:
        return [catalogue.radius_m(t)]
    return parse_radii(radii_m)


# ---------------------------------------------------------------------------- coverage
def coverage(
    source,
    facilities: gpd.GeoDataFrame,
    radii_m=None,
    *,
    level: str = "kecamatan",
    population: Population | None = None,
    types: str | Sequence[str] | None = None,
    catalogue: FacilityCatalogue | None = None,
    quadrant_segments: int | None = None,
    threads: int = 0,
) -> pd.DataFrame:
    """Population covered within each radius of each facility type, per zone of ``level``.

    ``source`` is a :class:`~jangkau.data.region.Region` (levels desa/kecamatan/dapil/kabupaten) or
    a GeoDataFrame of source zones with ``code`` and ``population`` columns (``level`` is then
    a column to group by, or ``code``). ``population`` overrides the region's population
    (e.g. :func:`jangkau.data.population.from_raster`). ``radii_m``: one or several radii (metres or
    "1km,2km"); default: the catalogue threshold of each type. Facilities outside the region
    count (people cross borders); duplicates flagged by read_facilities are skipped.
    Discs are true circles (default) or, with ``quadrant_segments=k``, shapely's 4k-gons.

    Returns one row per (facility type, radius, zone): ``facility_type``, ``radius_m``, ``level``, ``code``,
    ``name``, ``population``, ``covered``, ``not_covered``, ``share`` (covered / population,
    NaN where the population is 0).
    """
    catalogue = catalogue or FacilityCatalogue.default()
    zp = ZonePopulation.resolve(source, population, level)
    population, metric = zp.population, zp.metric
    fac = facilities
    if "duplicate" in fac.columns:
        fac = fac[~fac["duplicate"].astype(bool)]
    type_list = _types(fac, types)
    qseg = _segments(quadrant_segments)
    parts: list[tuple[str, float, np.ndarray, np.ndarray, np.ndarray]] = []
    raster = population.model is PopulationModel.RASTER
    codes, pops = zp.zone_population()
    model_crs = population.crs_object
    fac_type = fac["facility_type"].astype(str).to_numpy()
    all_xy = None
    if model_crs.is_projected:
        try:  # once for all types; per type below if some facility is not a single point
            all_xy = _facility_xy(fac, model_crs)
        except InvalidInputError:
            pass
    for t in type_list:
        of_type = fac_type == t
        radii = _radii_for(t, radii_m, catalogue)
        if model_crs.is_projected:
            # Fast path: exact overlay of zones with the union of discs, all radii in one pass,
            # without building the union (jangkau::disc_union_*).
            if all_xy is not None:
                fx, fy = all_xy[0][of_type], all_xy[1][of_type]
            else:
                fx, fy = _facility_xy(fac[of_type], model_crs)
            r_arr = np.asarray(radii, dtype=np.float64)
            if raster:
                ras = _raster_of(population)
                cov_all = _core.disc_union_zonal_sums(
                    ras.grid,
                    ras.values,
                    zp.target_geometry(),
                    fx,
                    fy,
                    r_arr,
                    None,
                    qseg,
                    threads,
                )
            else:
                src_ga = population.source_geometry()
                areas = _core.disc_union_areas(src_ga, fx, fy, r_arr, qseg, threads)
                sums = None
                if population.raster is not None:
                    w = np.nan_to_num(population.raster.values, nan=0.0)
                    sums = _core.disc_union_zonal_sums(
                        population.raster.grid, w, src_ga, fx, fy, r_arr, None, qseg, threads
                    )
                share_all = population.zone_shares(areas, sums)
        for j, r in enumerate(radii):
            if model_crs.is_projected:
                covs = cov_all[j] if raster else zp.from_source_shares(share_all[j])
            else:
                # Geographic model CRS (e.g. a WorldPop raster in EPSG:4326): buffers are built in
                # metres, reprojected, and overlaid with GEOS.
                def cover(of_type=of_type, r=r) -> _core.GeometryArray:
                    union = coverage_union(fac[of_type], r, crs=metric, quadrant_segments=quadrant_segments)
                    return _to_model_crs(union, population)

                if raster:
                    covs = zp.covered(cover(), threads)
                else:
                    # the source zones' shares do not depend on the level: overlaid once per
                    # (type, radius, facilities) and reused when the same model is reported per level
                    pts = shapely.to_wkb(fac.geometry.values[of_type])
                    key = (t, float(r), qseg, metric.to_wkt(), str(fac.crs),
                           hashlib.sha256(b"".join(pts)).hexdigest())
                    covs = zp.from_source_shares(population.cover_shares(key, cover, threads))
            parts.append((t, float(r), codes, pops, np.asarray(covs, dtype=np.float64)))
    # One frame for all (type, radius) blocks, built from arrays (no per-block frames).
    n_rows = [len(p[2]) for p in parts]
    pop_col = np.concatenate([p[3] for p in parts]) if parts else np.empty(0)
    cov_col = np.minimum(np.concatenate([p[4] for p in parts]), pop_col) if parts else np.empty(0)
    share_col = np.divide(cov_col, pop_col, out=np.full(len(pop_col), np.nan), where=pop_col > 0)
    codes = np.concatenate([p[2] for p in parts]).astype(object) if parts else np.empty(0, dtype=object)
    names = zp.names()
    return pd.DataFrame(
        {
            "facility_type": np.repeat(np.array([p[0] for p in parts], dtype=object), n_rows),
            "radius_m": np.repeat(np.array([p[1] for p in parts], dtype=np.float64), n_rows),
            "level": np.full(len(codes), level, dtype=object),
            "code": codes,
            "name": np.array([names.get(c, np.nan) for c in codes], dtype=object),
            "population": pop_col,
            "covered": cov_col,
            "not_covered": pop_col - cov_col,
            "share": share_col,
        }
    )


# ---------------------------------------------------------------------------- distances
def _cells_metric(surface: Raster, metric) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Populated cells: (flat index, x, y in the metric CRS, population)."""
    pop = np.nan_to_num(surface.values, nan=0.0).ravel()
    idx = np.flatnonzero(pop > 0)
    x, y = surface.cell_centers()
    x, y = x[idx], y[idx]
    src = pyproj.CRS.from_user_input(surface.crs)
    if not src.equals(metric):
        x, y = pyproj.Transformer.from_crs(src, metric, always_xy=True).transform(x, y)
    return idx, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), pop[idx]


def _facility_xy(facilities, metric):
    pts = facilities.geometry if facilities.crs.equals(metric) else facilities.to_crs(metric).geometry
    xy = shapely.get_coordinates(pts.values)
    if len(xy) != len(pts):
        raise InvalidInputError("facilities must be single points with geometry (see read_facilities)")
    return np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])


def _metric_of(population: Population, facilities) -> pyproj.CRS:
    crs = pyproj.CRS.from_user_input(population.crs)
    return crs if crs.is_projected else metric_crs_for(facilities)


def nearest_facility(
    population: Population, facilities: gpd.GeoDataFrame, *, cell_size: float = 100.0, threads: int = 0
) -> gpd.GeoDataFrame:
    """Nearest-facility allocation: every populated cell of the population surface goes to its
    nearest facility (straight line from the cell centre, in metres; ties → lower index).
    Returns ``facilities`` with columns ``population`` (allocated), ``mean_distance_m``,
    ``p50_distance_m``, ``p90_distance_m`` (population-weighted; NaN where nothing allocated).
    Pass the facilities of one type."""
    surface = population.surface(cell_size)
    metric = _metric_of(population, facilities)
    _, x, y, pop = _cells_metric(surface, metric)
    fx, fy = _facility_xy(facilities, metric)
    _, _, w, mean, q = _core.allocate_nearest(x, y, pop, fx, fy, threads)
    out = facilities.copy()
    out["population"] = w
    out["mean_distance_m"] = mean
    out["p50_distance_m"] = q[0]
    out["p90_distance_m"] = q[1]
    return out


def distance_to_nearest(
    population: Population, facilities: gpd.GeoDataFrame, *, cell_size: float = 100.0, threads: int = 0
) -> Raster:
    """Distance (metres) from each populated cell's centre to the nearest facility, as a raster
    on the population surface's grid (NaN where nobody lives; +inf when there is no facility).
    Write it with :func:`jangkau.data.raster.write_raster`."""
    surface = population.surface(cell_size)
    metric = _metric_of(population, facilities)
    idx, x, y, _ = _cells_metric(surface, metric)
    fx, fy = _facility_xy(facilities, metric)
    _, d = _core.nearest_points(fx, fy, x, y, threads)
    values = np.full(surface.values.size, np.nan)
    values[idx] = d
    return Raster(
        values=values.reshape(surface.values.shape), grid=surface.grid, crs=surface.crs, nodata=None
    )


def distance_by_zone(
    population: Population,
    facilities: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    code_column: str = "code",
    cell_size: float = 100.0,
    threads: int = 0,
) -> pd.DataFrame:
    """Population-weighted distance to the nearest facility per zone: ``code``, ``population``,
    ``mean_distance_m``, ``p50_distance_m``, ``p90_distance_m``; people are at their cell's
    centre. RASTER model: each cell weighs population_c · area(c ∩ zone) / area(c) (exact
    partial cells). ZONES model: ``zones`` must be the source zones or unions of them (e.g.
    kecamatan of desa counts); each (source zone, cell) piece of the surface goes to the zone
    containing the source zone's representative point, so zone populations are exact."""
    dist = distance_to_nearest(population, facilities, cell_size=cell_size, threads=threads)
    zm = population.to_crs_of_model(zones)
    if population.model is PopulationModel.RASTER:
        group, cells, weight = population.cell_pieces(to_geometry_array(zm.geometry), cell_size, threads)
    else:
        zone_of, cells, weight, _ = population.pieces(cell_size)
        reps = _zones_of(population).geometry.representative_point()
        px, py = reps.x.to_numpy(), reps.y.to_numpy()
        target = _core.locate_points(to_geometry_array(zm.geometry), px, py, threads)
        group = target[zone_of]
    d = dist.values.ravel()[cells]
    w, mean, q = _core.weighted_group_stats(
        np.nan_to_num(d, nan=0.0), weight, group.astype(np.int64), len(zones), np.array([0.5, 0.9])
    )
    return pd.DataFrame(
        {
            "code": zones[code_column].astype(str).to_numpy(),
            "population": w,
            "mean_distance_m": mean,
            "p50_distance_m": q[0],
            "p90_distance_m": q[1],
        }
    )


# ---------------------------------------------------------------------------- gaps
def gaps(
    source,
    facilities: gpd.GeoDataFrame,
    radius_m,
    *,
    population: Population | None = None,
    level: str = "desa",
    quadrant_segments: int | None = None,
    threads: int = 0,
    crs: str | None = "EPSG:4326",
) -> gpd.GeoDataFrame:
    """Uncovered populated areas: for each zone (source zones for the ZONES model, zones of
    ``level`` for RASTER), the part outside U_r with its population. Columns ``code``,
    ``radius_m``, ``population`` (uncovered), ``geometry`` (in ``crs``). Zones with no
    uncovered people are left out. Pass the facilities of one type."""
    (r,) = parse_radii(radius_m) if not isinstance(radius_m, (int, float)) else (float(radius_m),)
    zp = ZonePopulation.resolve(source, population, level)
    population, metric = zp.population, zp.metric
    union = coverage_union(facilities, r, crs=metric, quadrant_segments=quadrant_segments)
    cover = _to_model_crs(union, population)
    if population.model is PopulationModel.RASTER:
        tz = zp.targets if zp.targets is not None else zp.source  # per zone of the level, else per source zone
        tz_model = population.to_crs_of_model(tz)
        pieces = _core.difference_zones(to_geometry_array(tz_model.geometry), cover, threads)
        pop = population.population_in(pieces)
        codes = tz["code"].astype(str).to_numpy()
    else:
        src = _zones_of(population)
        pieces = _core.difference_zones(to_geometry_array(src.geometry), cover, threads)
        pop = src["population"].to_numpy(dtype=np.float64) * population.source_shares(pieces)
        codes = (
            src["code"].astype(str).to_numpy() if "code" in src.columns else np.arange(len(src)).astype(str)
        )
    out = gpd.GeoDataFrame(
        {"code": codes, "radius_m": float(r), "population": pop},
        geometry=from_geometry_array(pieces),
        crs=pyproj.CRS.from_user_input(population.crs),
    )
    out = out[(out["population"] > 0) & ~out.geometry.is_empty].reset_index(drop=True)
    return out.to_crs(crs) if crs is not None else out
