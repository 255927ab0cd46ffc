"""Rural Access Index (SDG indicator 9.1.1) and road density per zone.

RAI (Roberts, Shyam & Rastogi 2006; World Bank 2016, "Measuring Rural Access: Using New
Technologies"): the share of the rural population living within 2 km of an all-season road::

    RAI = P_rural(within 2 km of an all-season road) / P_rural

Distance is straight-line (the 2 km is about a 20–25 minute walk in the methodology), to the
union of 2 km buffers around the all-season roads, built in a metric CRS (GEOS buffers with
``quad_segs`` segments per quarter circle). Populations come from the population model:
exact polygon overlay for counts per zone (``P_s · area(s ∩ U)/area(s)``), exact partial
cells for a raster (exactextract's rule).

Defaults, stated and overridable (see ``docs/travel.md``):

* all-season roads = :data:`ALL_SEASON_CLASSES`: the speed-table classes of paved main roads
  — OSM motorway/trunk/primary/secondary/tertiary and their links, and the Indonesian
  functional classes tol, arteri, kolektor and statuses nasional, provinsi, kabupaten, kota.
  Jalan lokal, lingkungan, desa and OSM unclassified/residential/track are not assumed to be
  all-season: their surface is not known from the class. This is an assumption, not a fact
  about any road; pass ``all_season_classes`` from surface data when you have it;
* rural = a desa (source zone) whose population density is below
  :data:`RURAL_DENSITY_PER_KM2` = 300 people/km² — the density threshold of rural grid
  cells in the degree of urbanisation (Eurostat/UN Statistical Commission 2020). BPS
  classifies desa as urban/rural with a composite score (density, farming households,
  facilities; Perka BPS 37/2010), which is not in the data: pass ``rural_column`` (a
  boolean column of the source zones) to use it.

Road density per zone is ``Σ length(road ∩ zone) / area(zone)`` in km per km², each
two-way road counted once, by road class and in total.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..data.population import Population, PopulationModel
from ..errors import InvalidInputError, UnknownColumnError
from .roads import RoadNetwork

__all__ = ["ALL_SEASON_CLASSES", "RURAL_DENSITY_PER_KM2", "RAI_DISTANCE_M", "rural_access_index", "road_density",
           "road_lines"]

#: Road classes assumed all-season by default (see the module docstring).
ALL_SEASON_CLASSES: tuple[str, ...] = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link",
    "tol", "arteri", "kolektor", "nasional", "provinsi", "kabupaten", "kota",
)
#: Density (people per km²) below which a desa counts as rural by default.
RURAL_DENSITY_PER_KM2 = 300.0
#: The RAI distance (metres).
RAI_DISTANCE_M = 2000.0


def road_lines(roads: RoadNetwork | gpd.GeoDataFrame, *, class_column: str = "road_class") -> gpd.GeoDataFrame:
    """Road lines with a ``road_class`` column, each two-way road once: from a RoadNetwork
    (the first edge of every piece) or a GeoDataFrame of lines with ``class_column``."""
    if isinstance(roads, RoadNetwork):
        e = roads.edges_gdf()
        piece = np.asarray(roads.edge_piece)
        first = np.concatenate([[True], piece[1:] != piece[:-1]]) if len(piece) else np.zeros(0, bool)
        e = e[first]
        return gpd.GeoDataFrame({"road_class": e["road_class"].astype(str).to_numpy()},
                                geometry=e.geometry.to_numpy(), crs=e.crs)
    if not isinstance(roads, gpd.GeoDataFrame):
        raise InvalidInputError("roads must be a RoadNetwork or a GeoDataFrame of lines", field="roads")
    if class_column not in roads.columns:
        raise UnknownColumnError(f"roads have no column '{class_column}'", field=class_column)
    return gpd.GeoDataFrame({"road_class": roads[class_column].astype(str).to_numpy()},
                            geometry=roads.geometry.to_numpy(), crs=roads.crs)


def _metric(zones: gpd.GeoDataFrame, crs) -> pyproj.CRS:
    if crs is not None:
        c = pyproj.CRS.from_user_input(crs)
    elif zones.crs is not None and zones.crs.is_projected:
        c = zones.crs
    else:
        from ..data.crs import metric_crs_for

        c = metric_crs_for(zones)
    if not c.is_projected:
        raise InvalidInputError("road density and RAI need a projected (metric) CRS", field="crs")
    return c


def road_density(roads: RoadNetwork | gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, code_column: str = "code",
                 class_column: str = "road_class", crs=None) -> pd.DataFrame:
    """Road density per zone and class.

    Returns one row per (zone, class) plus a ``total`` row per zone: ``code``, ``road_class``,
    ``length_km`` (of the road inside the zone), ``area_km2`` (of the zone), ``density_km_per_km2``.
    Lengths and areas are planar in ``crs`` (default: the zones' CRS if metric, else their
    UTM zone; a RoadNetwork's own CRS when given one)."""
    if code_column not in zones.columns:
        raise UnknownColumnError(f"zones have no column '{code_column}'", field=code_column)
    lines = road_lines(roads, class_column=class_column)
    metric = pyproj.CRS.from_user_input(roads.crs) if isinstance(roads, RoadNetwork) and crs is None \
        else _metric(zones, crs)
    z = zones.to_crs(metric)
    ln = lines.to_crs(metric)
    tree = shapely.STRtree(ln.geometry.values)
    zi, li = tree.query(z.geometry.values, predicate="intersects")
    lengths = shapely.length(shapely.intersection(ln.geometry.values[li], z.geometry.values[zi]))
    classes = sorted(set(ln["road_class"]))
    codes = z[code_column].astype(str).to_numpy()
    area = shapely.area(z.geometry.values) / 1e6
    cls_idx = pd.Categorical(ln["road_class"].to_numpy()[li], categories=classes).codes
    table = np.zeros((len(z), len(classes)))
    np.add.at(table, (zi, cls_idx), lengths / 1000.0)
    rows = []
    for k, c in enumerate([*classes, "total"]):
        length = table[:, k] if c != "total" else table.sum(axis=1)
        rows.append(pd.DataFrame({"code": codes, "road_class": c, "length_km": length, "area_km2": area,
                                  "density_km_per_km2": np.divide(length, area, out=np.full(len(z), np.nan),
                                                                  where=area > 0)}))
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["code", "road_class"], kind="mergesort").reset_index(drop=True)


def rural_access_index(roads: RoadNetwork | gpd.GeoDataFrame, source, *, level: str = "kecamatan",
                       population: Population | None = None, all_season_classes: Iterable[str] | None = None,
                       rural_column: str | None = None, rural_density_per_km2: float = RURAL_DENSITY_PER_KM2,
                       distance_m: float = RAI_DISTANCE_M, class_column: str = "road_class",
                       quad_segs: int = 8) -> pd.DataFrame:
    """Rural Access Index per zone and for the whole area.

    Parameters
    ----------
    roads : RoadNetwork or GeoDataFrame
        The roads (lines with a class column).
    source : Region or GeoDataFrame
        As in :func:`jangkau.coverage.coverage`: a Region, or source zones (desa) with ``code``
        and ``population`` (``level`` is then a column to group by, or ``code``).
    population : Population, optional
        ZONES model only (rurality is decided per source zone). Default: the source's counts.
    all_season_classes : iterable of str, optional
        Road classes counted as all-season (default :data:`ALL_SEASON_CLASSES`).
    rural_column : str, optional
        Boolean column of the source zones marking rural desa. Default: density below
        ``rural_density_per_km2``.
    distance_m : float
        The access distance. DEFAULT: 2000 (SDG 9.1.1).

    Returns
    -------
    DataFrame
        One row per zone of ``level`` and a last row ``code = "all"``: ``population``,
        ``rural_population``, ``rural_within`` (rural people within ``distance_m`` of an
        all-season road), ``rai`` (= rural_within / rural_population, NaN without rural
        people), ``all_season_km`` (length of all-season road in the whole network, the same
        on every row).
    """
    from ..data.io import to_geometry_array
    from ..data.zones import ZonePopulation

    zp = ZonePopulation.resolve(source, population, level)
    population, metric = zp.population, zp.metric
    if population.model is not PopulationModel.ZONES:
        raise InvalidInputError("the RAI needs the ZONES population model (rurality is decided per desa)",
                                field="population")
    classes = {c.lower() for c in (ALL_SEASON_CLASSES if all_season_classes is None else all_season_classes)}
    src = population.zones
    assert src is not None  # a ZONES population always carries its zones
    if rural_column is not None:
        if rural_column not in src.columns:
            raise UnknownColumnError(f"zones have no column '{rural_column}'", field=rural_column)
        rural = src[rural_column].fillna(False).astype(bool).to_numpy()
    else:
        area_km2 = shapely.area(src.to_crs(metric).geometry.values) / 1e6
        pop_s = src["population"].to_numpy(dtype=np.float64)
        density = np.divide(pop_s, area_km2, out=np.full(len(src), np.inf), where=area_km2 > 0)
        rural = density < float(rural_density_per_km2)
    lines = road_lines(roads, class_column=class_column).to_crs(metric)
    keep = lines["road_class"].str.lower().isin(classes).to_numpy()
    all_season = lines[keep]
    buffer: shapely.Geometry
    if all_season.empty:
        buffer = shapely.Polygon()
    else:
        # Buffer each line, then union: the same set as buffering the union, ~20x faster in GEOS.
        buffer = shapely.union_all(shapely.buffer(all_season.geometry.values, float(distance_m), quad_segs=quad_segs))
    buf = gpd.GeoSeries([buffer], crs=metric).to_crs(pyproj.CRS.from_user_input(population.crs))
    pop_s = src["population"].to_numpy(dtype=np.float64)
    share = np.zeros(len(src)) if buffer.is_empty else population.shares_within(to_geometry_array(buf), 0)
    codes, group_of = zp.groups()
    group = codes[group_of]
    frame = pd.DataFrame({"code": group, "population": pop_s, "rural_population": np.where(rural, pop_s, 0.0),
                          "rural_within": np.where(rural, pop_s * share, 0.0)})
    out = frame.groupby("code", sort=True, as_index=False).sum()
    total = out[["population", "rural_population", "rural_within"]].sum()
    out = pd.concat([out, pd.DataFrame({"code": ["all"], **{c: [total[c]] for c in total.index}})],
                    ignore_index=True)
    rp = out["rural_population"].to_numpy()
    out["rai"] = np.divide(out["rural_within"].to_numpy(), rp, out=np.full(len(out), np.nan), where=rp > 0)
    names = zp.names()
    out.insert(1, "name", out["code"].map(names))
    out.insert(0, "level", level)
    out["all_season_km"] = float(shapely.length(all_season.geometry.values).sum() / 1000.0)
    return out
