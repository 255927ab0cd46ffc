"""Travel time over a road network from where people live to facilities, and what follows
from it: nearest facility, network coverage, sparse travel-time matrices and accessibility
indices, per demand point and per zone.

The pieces come from other modules; this one glues them together:

* demand points (:func:`demand`) are the populated cells of a population surface
  (:meth:`jangkau.data.population.Population.surface`) or one point per zone, each split into
  *pieces* ``(point, zone, population)`` with the exact population of the cell inside each
  zone, so per-zone sums equal the population model's zone totals;
* demand points and facilities are snapped onto the nearest road edge
  (:meth:`jangkau.network.roads.RoadNetwork.snap`): the off-road leg is walked at
  ``walk_speed_kmh``; a point farther than ``max_snap_m`` from every road is *not snapped*:
  it stays in every result, with time ``inf``, and is counted in ``not_snapped``;
* one multi-source Dijkstra from all facilities on the **reversed** graph gives the time
  *from* every node *to* its nearest facility (one-way roads are honoured in the direction
  people travel); a demand point's time is the best of its two ways onto its edge, or the
  direct way along the edge when a facility sits on the same road piece;
* the cutoff convention is ``<=`` everywhere: a time equal to the threshold is within it.

Times are seconds in arrays named ``*_s`` and minutes in the ``*_min`` columns of zone
tables. See ``docs/travel.md`` for the formulas.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import _core
from ..data.population import Population, PopulationModel
from ..data.zones import ZonePopulation
from ..errors import CrsError, GeometryError, InvalidInputError, UnknownColumnError
from ..util import check_matrix
from . import access as _access
from .roads import RoadNetwork

__all__ = ["DemandKind", "Demand", "AccessMethod", "AccessTables", "TravelModel", "demand", "parse_duration_s",
           "parse_minutes"]


# ---------------------------------------------------------------------------- durations
def parse_duration_s(text: str | float) -> float:
    """Seconds from ``"30min"``, ``"1h"``, ``"900s"``, ``"1h30min"`` or a bare number (minutes).

    Raises InvalidInputError for anything else or a duration that is not > 0."""
    if isinstance(text, (int, float, np.integer, np.floating)):
        value = float(text) * 60.0
    else:
        import re

        s = str(text).strip().lower().replace(" ", "")
        parts = re.findall(r"([0-9]*\.?[0-9]+)(h|hr|hours?|min|mins|minutes?|m|s|sec|seconds?)?", s)
        if not s or "".join(n + u for n, u in parts) != s:
            raise InvalidInputError(f"cannot read duration '{text}' (use e.g. 30min, 1h, 900s)", field="duration")
        value = 0.0
        for number, unit in parts:
            if unit.startswith("h"):
                value += float(number) * 3600.0
            elif unit.startswith("s"):
                value += float(number)
            else:  # min, m or no unit: minutes
                value += float(number) * 60.0
    if not (np.isfinite(value) and value > 0):
        raise InvalidInputError(f"duration must be positive: '{text}'", field="duration")
    return value


def parse_minutes(text: str | float | Sequence[str | float]) -> list[float]:
    """Minutes from ``"15,30,60"`` / ``"15min,1h"`` or a list (bare numbers are minutes)."""
    items: list[str | float]
    if isinstance(text, str):
        items = list(text.split(","))
    elif isinstance(text, (list, tuple)):
        items = list(text)
    else:
        items = [cast(float, text)]
    out = [parse_duration_s(item) / 60.0 for item in items if str(item).strip()]
    if not out:
        raise InvalidInputError("no duration given", field="duration")
    return out


# ---------------------------------------------------------------------------- demand
class DemandKind(enum.Enum):
    """Where demand sits."""

    CELLS = "cells"
    """The centre of every populated cell of the population surface."""
    CENTROIDS = "centroids"
    """One point per source zone (desa): a point on its surface (shapely ``point_on_surface``)."""


@dataclass(frozen=True)
class Demand:
    """Demand points and how their population splits over the zones of one level."""

    #: One row per point (index ``point``): ``population`` (all pieces), geometry (Point) in a metric CRS.
    points: gpd.GeoDataFrame
    #: One row per (point, zone) piece: ``point``, ``zone`` (row of :attr:`zones`), ``population``.
    pieces: pd.DataFrame
    #: The zones of :attr:`level`: ``code``, ``name``, ``population`` (sum of their pieces).
    zones: pd.DataFrame
    #: Zone level, e.g. ``"kecamatan"``.
    level: str
    #: How the points were made.
    kind: DemandKind

    @property
    def crs(self) -> pyproj.CRS:
        """Metric CRS of :attr:`points`."""
        return pyproj.CRS.from_user_input(self.points.crs)


def _zone_table(codes: np.ndarray, names: dict) -> pd.DataFrame:
    return pd.DataFrame({"code": codes, "name": [names.get(c) for c in codes]})


def demand(source, *, level: str = "kecamatan", population: Population | None = None,
           kind: DemandKind = DemandKind.CELLS, cell_size: float = 100.0, threads: int = 0) -> Demand:
    """Demand points with exact population per zone.

    Parameters
    ----------
    source : Region or GeoDataFrame
        A :class:`~jangkau.data.region.Region` (``level`` is desa/kecamatan/dapil/kabupaten), or
        source zones with ``code`` and ``population`` columns (``level`` is then a column to
        group them by, or ``code``).
    population : Population, optional
        The population model (default: the region's counts spread by areal weighting).
    kind : DemandKind
        ``CELLS`` (default): centres of the populated cells of ``population.surface(cell_size)``.
        With the ZONES model each cell's population is split exactly over the zones
        (``P_s · area(c ∩ s) / area(s)`` per source zone s, or the dasymetric weights); with
        the RASTER model by exactextract's partial-cell rule (``count_c · area(c ∩ z)/area(c)``).
        ``CENTROIDS``: one point per source zone carrying its population.
    cell_size : float
        Cell size of the surface for the ZONES model (units of the model CRS, metres).
    """
    if not isinstance(kind, DemandKind):
        raise InvalidInputError(f"kind must be a DemandKind, got {kind!r}", field="kind")
    zp = ZonePopulation.resolve(source, population, level)
    population, key, metric = zp.population, zp.key, zp.metric
    names = zp.names()
    model_crs = pyproj.CRS.from_user_input(population.crs)
    if kind is DemandKind.CENTROIDS:
        if population.model is not PopulationModel.ZONES:
            raise InvalidInputError("CENTROIDS demand needs the ZONES population model", field="kind")
        src = population.zones
        if src is None:
            raise InvalidInputError("the ZONES population model has no zones", field="kind")
        codes, zone_index = zp.groups()
        pts = shapely.point_on_surface(src.geometry.values)
        pop = src["population"].to_numpy(dtype=np.float64)
        n = len(src)
        pieces = pd.DataFrame({"point": np.arange(n, dtype=np.int64), "zone": zone_index.astype(np.int64),
                               "population": pop})
        points = gpd.GeoDataFrame({"population": pop}, geometry=pts, crs=model_crs)
    else:
        surface = population.surface(cell_size)
        if population.model is PopulationModel.ZONES and population.zones is not None \
                and key in population.zones.columns:
            codes, src_zone = zp.groups()
            # The same split as Population.surface(): areal (or dasymetric) weights per source zone.
            owner, cells, mass, _ = population.pieces(cell_size)
            piece_zone = src_zone[owner]
        else:
            _, codes = zp.target_zones()
            piece_zone, cells, mass = population.cell_pieces(zp.target_geometry(), cell_size, threads)
        keep = mass > 0
        frame = pd.DataFrame({"cell": cells[keep], "zone": piece_zone[keep].astype(np.int64), "population": mass[keep]})
        frame = frame.groupby(["cell", "zone"], sort=True, as_index=False).agg(population=("population", "sum"))
        cell_ids, point = np.unique(frame["cell"].to_numpy(), return_inverse=True)
        pieces = pd.DataFrame({"point": point.astype(np.int64), "zone": frame["zone"].to_numpy(),
                               "population": frame["population"].to_numpy()})
        cx, cy = surface.cell_centers()
        pop = np.bincount(point, weights=pieces["population"].to_numpy(), minlength=len(cell_ids))
        points = gpd.GeoDataFrame({"cell": cell_ids.astype(np.int64), "population": pop},
                                  geometry=shapely.points(cx[cell_ids], cy[cell_ids]), crs=model_crs)
    points.index.name = "point"
    if not model_crs.is_projected:
        points = points.to_crs(metric)
    zones = _zone_table(codes, names)
    zones["population"] = np.bincount(pieces["zone"].to_numpy(), weights=pieces["population"].to_numpy(),
                                      minlength=len(zones))
    return Demand(points=points, pieces=pieces, zones=zones, level=level, kind=kind)


# ---------------------------------------------------------------------------- model
class AccessMethod(enum.Enum):
    """Accessibility measure of :meth:`TravelModel.accessibility`."""

    NEAREST = "nearest"
    """Time to the nearest facility (no index)."""
    TWO_SFCA = "2sfca"
    """Two-step floating catchment, Luo & Wang (2003)."""
    E2SFCA = "e2sfca"
    """Enhanced 2SFCA with step weights, Luo & Qi (2009)."""
    GAUSSIAN = "gaussian"
    """2SFCA with Dai's (2010) Gaussian decay."""
    GRAVITY = "gravity"
    """Hansen (1959) potential with power decay (``competition=True``: with demand competition)."""


@dataclass(frozen=True)
class AccessTables:
    """An accessibility index per demand point and per zone."""

    #: The underlying :class:`jangkau.network.access.AccessResult` (demand = points, supply = facilities).
    result: _access.AccessResult
    #: Per point (index ``point``): ``population``, ``access`` (A_i), ``not_snapped``.
    points: pd.DataFrame
    #: Per zone: ``code``, ``name``, ``population``, ``access`` = Σ P_iz·A_i / Σ P_iz (population-weighted mean).
    zones: pd.DataFrame
    #: Per facility: ``capacity``, ``catchment_demand``, ``ratio`` (R_j), ``not_snapped``.
    facilities: pd.DataFrame


def points_xy(gdf: gpd.GeoDataFrame | gpd.GeoSeries, crs: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) float64 arrays of point geometries in ``crs``; CrsError without a CRS, GeometryError
    (``feature`` = first offender) for anything but points; ``what`` names them in the message."""
    if gdf.crs is None:
        raise CrsError(f"{what} have no CRS")
    geoms = gdf.geometry.to_crs(crs) if isinstance(gdf, gpd.GeoDataFrame) else gdf.to_crs(crs)
    values = geoms.values
    if len(values) and not np.all(shapely.get_type_id(values) == 0):
        bad = int(np.flatnonzero(shapely.get_type_id(values) != 0)[0])
        raise GeometryError(f"{what} must be points", feature=bad)
    return np.asarray(shapely.get_x(values), dtype=np.float64), np.asarray(shapely.get_y(values), dtype=np.float64)


class TravelModel:
    """A road network with snapped facilities and demand, ready for travel-time questions.

    Parameters
    ----------
    roads : RoadNetwork
        The routable network (metric CRS; edge times in seconds).
    facilities : GeoDataFrame
        Facility points in any CRS; facility ``j`` is row ``j`` (positional).
    demand : Demand or GeoDataFrame
        From :func:`demand`, or points with a ``population`` column (then one zone per point,
        named by the index). Every population must be a finite number >= 0: a missing,
        non-numeric or negative value raises InvalidInputError naming the point.
    max_snap_m : float
        Largest off-road distance (metres). Farther points are not snapped: reported, never
        dropped (time ``inf``). DEFAULT: 1000.
    walk_speed_kmh : float
        Speed of the off-road leg. DEFAULT: 5.
    capacity_column : str, optional
        Facility column with the supply S_j of the accessibility indices; missing values
        count as 1. DEFAULT: none, every facility has capacity 1.
    threads : int
        Worker threads (0 = all cores).
    """

    def __init__(self, roads: RoadNetwork, facilities: gpd.GeoDataFrame, demand: Demand | gpd.GeoDataFrame, *,
                 max_snap_m: float = 1000.0, walk_speed_kmh: float = 5.0, capacity_column: str | None = None,
                 threads: int = 0) -> None:
        if not isinstance(roads, RoadNetwork):
            raise InvalidInputError("roads must be a jangkau.network.roads.RoadNetwork", field="roads")
        if not (np.isfinite(max_snap_m) and max_snap_m >= 0):
            raise InvalidInputError("max_snap_m must be a finite number >= 0", field="max_snap_m")
        if not (np.isfinite(walk_speed_kmh) and walk_speed_kmh > 0):
            raise InvalidInputError("walk_speed_kmh must be > 0", field="walk_speed_kmh")
        if not isinstance(demand, Demand):
            demand = _demand_from_points(demand)
        self._roads = roads
        self._facilities = facilities
        self._demand = demand
        self._max_snap_m = float(max_snap_m)
        self._walk_speed_kmh = float(walk_speed_kmh)
        self._threads = int(threads)
        self._capacity = _capacity(facilities, capacity_column)
        # Time FROM a node TO a facility is a search from the facilities on the reversed graph.
        self._network = roads.reversed_graph()
        fx, fy = points_xy(facilities, roads.crs, "facilities")
        dx, dy = points_xy(demand.points, roads.crs, "demand points")
        self._fsnap = roads.snap(x=fx, y=fy, max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh, threads=threads)
        self._dsnap = roads.snap(x=dx, y=dy, max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh, threads=threads)
        self._fentries = roads.snap_entries(self._fsnap, "to_point")
        self._dentries = roads.snap_entries(self._dsnap, "from_point")
        self._direct = self._same_edge_pairs()

    # ------------------------------------------------------------------ inputs
    @property
    def roads(self) -> RoadNetwork:
        return self._roads

    @property
    def demand(self) -> Demand:
        return self._demand

    @property
    def facilities(self) -> gpd.GeoDataFrame:
        return self._facilities

    @property
    def capacity(self) -> np.ndarray:
        """S_j per facility (float64)."""
        return self._capacity

    @property
    def facility_snap(self) -> pd.DataFrame:
        """Snap of every facility (:meth:`RoadNetwork.snap` columns; ``beyond_max`` = not snapped)."""
        return self._fsnap

    @property
    def demand_snap(self) -> pd.DataFrame:
        """Snap of every demand point."""
        return self._dsnap

    def snap_report(self) -> pd.DataFrame:
        """Facilities and demand points farther than ``max_snap_m`` from every road:
        ``what`` (facility/demand), ``index`` (facility row / point), ``distance_m``,
        ``population`` (demand only)."""
        f = self._fsnap[self._fsnap["beyond_max"].to_numpy()]
        d = self._dsnap[self._dsnap["beyond_max"].to_numpy()]
        pop = self._demand.points["population"].to_numpy()
        return pd.concat([
            pd.DataFrame({"what": "facility", "index": np.flatnonzero(self._fsnap["beyond_max"].to_numpy()),
                          "distance_m": f["distance_m"].to_numpy(), "population": np.nan}),
            pd.DataFrame({"what": "demand", "index": np.flatnonzero(self._dsnap["beyond_max"].to_numpy()),
                          "distance_m": d["distance_m"].to_numpy(),
                          "population": pop[self._dsnap["beyond_max"].to_numpy()]}),
        ], ignore_index=True)

    # ------------------------------------------------------------------ internals
    def _same_edge_pairs(self) -> pd.DataFrame:
        """Direct times along one edge when a demand point and a facility share it."""
        fs, ds = self._fsnap, self._dsnap
        f_edge, d_edge = fs["edge"].to_numpy(), ds["edge"].to_numpy()
        f_ok = ~fs["beyond_max"].to_numpy() & (f_edge >= 0)
        d_ok = ~ds["beyond_max"].to_numpy() & (d_edge >= 0)
        # Join on the edge with sorted facility edges (few) and a search per demand point:
        # pairs come out by demand point, then facility row.
        fidx = np.flatnonzero(f_ok)
        order = np.argsort(f_edge[fidx], kind="stable")
        fidx = fidx[order]
        fe = f_edge[fidx]
        didx = np.flatnonzero(d_ok)
        de = d_edge[didx]
        lo = np.searchsorted(fe, de, "left")
        cnt = np.searchsorted(fe, de, "right") - lo
        total = int(cnt.sum())
        if total == 0:
            return pd.DataFrame({"point": np.empty(0, np.int64), "facility": np.empty(0, np.int64),
                                 "time_s": np.empty(0)})
        point = np.repeat(didx, cnt)
        fac = fidx[np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(total)]
        e = d_edge[point]
        t_edge = self._roads.edge_time_s[e]
        twin = self._roads.edge_twin[e]
        t_twin = np.where(twin >= 0, self._roads.edge_time_s[np.maximum(twin, 0)], np.inf)
        td, tf = ds["fraction"].to_numpy()[point], fs["fraction"].to_numpy()[fac]
        # Forward along the edge (u→v) when the facility lies ahead, else back along the twin.
        with np.errstate(invalid="ignore"):
            along = np.where(tf >= td, (tf - td) * t_edge,
                             np.where(np.isfinite(t_twin), (td - tf) * t_twin, np.inf))
        time = ds["walk_time_s"].to_numpy()[point] + along + fs["walk_time_s"].to_numpy()[fac]
        keep = np.isfinite(time)
        return pd.DataFrame({"point": point[keep].astype(np.int64), "facility": fac[keep].astype(np.int64),
                             "time_s": time[keep]})

    def _facility_seeds(self, facilities: np.ndarray | None) -> pd.DataFrame:
        fe = self._fentries
        if facilities is None:
            return fe
        keep = np.zeros(len(self._fsnap), dtype=bool)
        keep[facilities] = True
        return fe[keep[fe["point"].to_numpy()]]

    # ------------------------------------------------------------------ nearest
    def nearest(self, *, cutoff_s: float = np.inf, facilities: Any = None) -> pd.DataFrame:
        """Nearest facility of every demand point, from one multi-source search.

        ``cutoff_s``: largest time kept (inclusive); beyond it the point gets ``inf`` and
        facility -1. ``facilities``: optional positions of the facilities to use (default all).

        Returns one row per point (index ``point``): ``facility`` (int64 row of the facilities,
        -1 if none within the cutoff), ``time_s`` (float64, walk + road + walk; ``inf`` when
        unreachable or not snapped), ``walk_time_s`` (the point's off-road leg),
        ``snap_distance_m``, ``not_snapped`` (bool), ``population``. Ties go to the lowest
        facility row.
        """
        fsel = None if facilities is None else np.unique(np.asarray(facilities, dtype=np.int64))
        seeds = self._facility_seeds(fsel)
        n = len(self._dsnap)
        time = np.full(n, np.inf)
        fac = np.full(n, -1, dtype=np.int64)
        if len(seeds):
            node = self._network.nearest(seeds["node"].to_numpy(), offsets=seeds["offset_s"].to_numpy(),
                                         groups=seeds["point"].to_numpy(), cutoff=float(cutoff_s))
            de = self._dentries
            total = de["offset_s"].to_numpy() + node["cost"].to_numpy()[de["node"].to_numpy()]
            cand = pd.DataFrame({"point": de["point"].to_numpy(), "time_s": total,
                                 "facility": node["facility"].to_numpy()[de["node"].to_numpy()]})
            direct = self._direct
            if fsel is not None and len(direct):
                direct = direct[np.isin(direct["facility"].to_numpy(), fsel)]
            cand = pd.concat([cand, direct[["point", "time_s", "facility"]]], ignore_index=True)
            cand = cand[np.isfinite(cand["time_s"].to_numpy()) & (cand["time_s"].to_numpy() <= cutoff_s)
                        & (cand["facility"].to_numpy() >= 0)]
            cand = cand.sort_values(["point", "time_s", "facility"], kind="mergesort")
            best = cand.drop_duplicates("point", keep="first")
            p = best["point"].to_numpy()
            time[p] = best["time_s"].to_numpy()
            fac[p] = best["facility"].to_numpy()
        out = pd.DataFrame({
            "facility": fac, "time_s": time,
            "walk_time_s": self._dsnap["walk_time_s"].to_numpy(),
            "snap_distance_m": self._dsnap["distance_m"].to_numpy(),
            "not_snapped": self._dsnap["beyond_max"].to_numpy(),
            "population": self._demand.points["population"].to_numpy(dtype=np.float64),
        }, index=pd.RangeIndex(n, name="point"))
        return out

    # ------------------------------------------------------------------ matrix
    def matrix(self, cutoff_s: float, *, facilities: Any = None, progress=None) -> pd.DataFrame:
        """Sparse facility × demand travel-time matrix within ``cutoff_s`` (inclusive): one
        search per facility on both cores. Columns ``point``, ``facility``, ``time_s`` (demand
        → facility), sorted by facility then point; pairs beyond the cutoff are absent."""
        point, fac, time = self._matrix_arrays(cutoff_s, facilities, progress)
        return pd.DataFrame({"point": point, "facility": fac, "time_s": time})

    def _matrix_arrays(self, cutoff_s: float, facilities: Any, progress) -> tuple[np.ndarray, ...]:
        if not (cutoff_s > 0):
            raise InvalidInputError("cutoff_s must be > 0", field="cutoff_s")
        fsel = None if facilities is None else np.unique(np.asarray(facilities, dtype=np.int64))
        seeds = self._facility_seeds(fsel)
        de = self._dentries
        check_matrix("the facility × demand travel-time matrix", len(np.unique(seeds["point"].to_numpy())),
                     len(self._dsnap))
        if len(seeds) and len(de):
            # The engine call of Network.travel_time_matrix, minus its DataFrame: on a regency the
            # table has millions of rows and pandas' block consolidation would copy them.
            fac, point, time = _core.cost_matrix(
                self._network.core, seeds["node"].to_numpy(np.int64), seeds["offset_s"].to_numpy(np.float64),
                seeds["point"].to_numpy(np.int64), de["node"].to_numpy(np.int64), de["offset_s"].to_numpy(np.float64),
                de["point"].to_numpy(np.int64), 0, float(cutoff_s), self._threads, progress)
        else:
            point, fac, time = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        direct = self._direct
        if fsel is not None and len(direct):
            direct = direct[np.isin(direct["facility"].to_numpy(), fsel)]
        direct = direct[direct["time_s"].to_numpy() <= cutoff_s]
        if len(direct):
            # The engine's table is unique and sorted by (facility, point): merge the few direct
            # along-the-edge pairs in O(n) instead of re-sorting millions of rows.
            npts = max(len(self._dsnap), 1)
            key = fac.astype(np.int64) * npts + point
            dkey = direct["facility"].to_numpy(np.int64) * npts + direct["point"].to_numpy(np.int64)
            dtime = direct["time_s"].to_numpy()
            order = np.lexsort((dtime, dkey))
            dkey, dtime = dkey[order], dtime[order]
            first = np.ones(len(dkey), dtype=bool)
            first[1:] = dkey[1:] != dkey[:-1]
            dkey, dtime = dkey[first], dtime[first]
            pos = np.searchsorted(key, dkey)
            found = pos < len(key)
            found[found] = key[pos[found]] == dkey[found]
            time = time.copy()
            time[pos[found]] = np.minimum(time[pos[found]], dtime[found])
            ins, nk, nt = pos[~found], dkey[~found], dtime[~found]
            fac = np.insert(fac, ins, nk // npts)
            point = np.insert(point, ins, nk % npts)
            time = np.insert(time, ins, nt)
        keep = time <= cutoff_s
        return point[keep], fac[keep], time[keep]

    # ------------------------------------------------------------------ zones
    def _zone_frame(self) -> pd.DataFrame:
        z = self._demand.zones
        return pd.DataFrame({"level": self._demand.level, "code": z["code"].to_numpy(),
                             "name": z["name"].to_numpy(), "population": z["population"].to_numpy()})

    def by_zone(self, thresholds_min: Sequence[float] = (15.0, 30.0, 60.0), *,
                nearest: pd.DataFrame | None = None, max_time_min: float | None = None) -> pd.DataFrame:
        """Population-weighted travel time to the nearest facility per zone.

        Columns: ``level``, ``code``, ``name``, ``population``, ``mean_time_min`` (over the
        people who reach a facility), ``p50_time_min``, ``p90_time_min`` (over everyone:
        ``inf`` when more than half / a tenth cannot reach one), ``within_<T>min`` and
        ``share_within_<T>min`` for each threshold (``time <= T``), ``unreachable_population``
        (time ``inf``, including the not snapped), ``not_snapped`` (population farther than
        ``max_snap_m`` from a road). Pass ``nearest`` to reuse a :meth:`nearest` result.

        ``max_time_min`` caps the search (the CLI's ``--max-time``): a point whose nearest
        facility is farther counts as unreachable (time ``inf``), so no time in the table
        exceeds it; a threshold above it is an InvalidInputError; a ``max_time_min`` column
        records the cap. A ``nearest`` result passed with it is capped the same way."""
        if max_time_min is not None:
            cap = float(max_time_min)
            if not (cap > 0 and np.isfinite(cap)):
                raise InvalidInputError(f"max_time_min must be a positive number of minutes, not {max_time_min}",
                                        field="max_time")
            over = [t for t in thresholds_min if float(t) > cap]
            if over:
                raise InvalidInputError(
                    f"threshold {minutes_label(float(over[0]))} exceeds the maximum time "
                    f"{minutes_label(cap)}: raise the maximum time (--max-time) or drop the threshold",
                    field="thresholds")
            if nearest is None:
                nearest = self.nearest(cutoff_s=cap * 60.0)
            else:
                beyond = nearest["time_s"].to_numpy() > cap * 60.0
                if beyond.any():
                    nearest = nearest.copy()
                    nearest.loc[beyond, "time_s"] = np.inf
                    nearest.loc[beyond, "facility"] = -1
        nearest = self.nearest() if nearest is None else nearest
        pieces = self._demand.pieces
        p = pieces["point"].to_numpy()
        z = pieces["zone"].to_numpy()
        w = pieces["population"].to_numpy()
        t_min = nearest["time_s"].to_numpy()[p] / 60.0
        nz = len(self._demand.zones)
        out = self._zone_frame()
        finite = np.isfinite(t_min)
        stats_all = _core.weighted_group_stats(t_min, w, z, nz, np.array([0.5, 0.9]))
        stats_fin = _core.weighted_group_stats(np.where(finite, t_min, 0.0), np.where(finite, w, 0.0), z, nz,
                                               np.array([0.5]))
        out["mean_time_min"] = stats_fin[1]
        out["p50_time_min"] = stats_all[2][0]
        out["p90_time_min"] = stats_all[2][1]
        pop = out["population"].to_numpy()
        for t in thresholds_min:
            label = minutes_label(t)
            within = np.bincount(z, weights=np.where(t_min <= t, w, 0.0), minlength=nz)
            out[f"within_{label}"] = within
            out[f"share_within_{label}"] = np.divide(within, pop, out=np.full(nz, np.nan), where=pop > 0)
        out["unreachable_population"] = np.bincount(z, weights=np.where(finite, 0.0, w), minlength=nz)
        ns = nearest["not_snapped"].to_numpy()[p]
        out["not_snapped"] = np.bincount(z, weights=np.where(ns, w, 0.0), minlength=nz)
        if max_time_min is not None:
            out["max_time_min"] = float(max_time_min)
        return out

    def coverage(self, thresholds_min: Sequence[float] = (15.0, 30.0, 60.0)) -> pd.DataFrame:
        """Network coverage: population within each travel time of the nearest facility, per
        zone, from ONE search with cutoff max(T). Long format: ``level``, ``code``, ``name``,
        ``max_time_min``, ``population``, ``covered`` (time <= T), ``not_covered``, ``share``,
        ``not_snapped``."""
        ts = sorted({float(t) for t in thresholds_min})
        if not ts or ts[0] <= 0:
            raise InvalidInputError("thresholds must be > 0 minutes", field="thresholds_min")
        near = self.nearest(cutoff_s=ts[-1] * 60.0)
        pieces = self._demand.pieces
        p, z, w = pieces["point"].to_numpy(), pieces["zone"].to_numpy(), pieces["population"].to_numpy()
        t_min = near["time_s"].to_numpy()[p] / 60.0
        nz = len(self._demand.zones)
        ns = np.bincount(z, weights=np.where(near["not_snapped"].to_numpy()[p], w, 0.0), minlength=nz)
        frames = []
        for t in ts:
            f = self._zone_frame()
            f.insert(3, "max_time_min", t)
            f["covered"] = np.bincount(z, weights=np.where(t_min <= t, w, 0.0), minlength=nz)
            f["not_covered"] = f["population"] - f["covered"]
            pop = f["population"].to_numpy()
            f["share"] = np.divide(f["covered"].to_numpy(), pop, out=np.full(nz, np.nan), where=pop > 0)
            f["not_snapped"] = ns
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    # ------------------------------------------------------------------ indices
    def accessibility(self, method: AccessMethod = AccessMethod.TWO_SFCA, *, max_time_min: float = 30.0,
                      breaks_min: Sequence[float] = (10.0, 20.0, 30.0),
                      weights: Sequence[float] = (1.0, 0.68, 0.22), beta: float = 1.0, min_time_min: float = 1.0,
                      competition: bool = False, facilities: Any = None,
                      matrix_free: bool = True) -> AccessTables:
        """An accessibility index over travel times in minutes.

        ``TWO_SFCA`` / ``GAUSSIAN``: catchment ``time <= max_time_min``; ``E2SFCA``: zones
        ``breaks_min`` with ``weights`` (Luo & Qi 2009 defaults); ``GRAVITY``: power decay
        ``max(t, min_time_min)^-beta`` within ``max_time_min`` (Hansen; ``competition`` for
        the Joseph–Bantock/Shen form). Demand locations are the points with their total
        population; per zone, A is the population-weighted mean over the zone's pieces.
        Not-snapped points and facilities take part with no pairs (A = 0, R = 0).

        ``matrix_free=True`` (default) runs the engine's fused computation
        (``engine/core/network_access.hpp``): one search per facility whose pair weights are
        used at once, never storing the facility × demand table; ``False`` builds
        :meth:`matrix` and calls :mod:`jangkau.network.access`. Both give the same numbers (the sums
        run in the same order)."""
        if not isinstance(method, AccessMethod) or method is AccessMethod.NEAREST:
            raise InvalidInputError("method must be an AccessMethod other than NEAREST", field="method")
        cutoff_min = max(breaks_min) if method is AccessMethod.E2SFCA else float(max_time_min)
        pop = self._demand.points["population"].to_numpy(dtype=np.float64)
        cap = self._capacity.copy()
        if facilities is not None:
            mask = np.zeros(len(cap), dtype=bool)
            mask[np.asarray(facilities, dtype=np.int64)] = True
            cap[~mask] = 0.0
        if matrix_free:
            r = self._fused(method, cutoff_min * 60.0, pop, cap, max_time_min, breaks_min, weights, beta,
                            min_time_min, competition, facilities)
            return self._tables(r, pop, cap)
        d, s, t_s = self._matrix_arrays(cutoff_min * 60.0, facilities, None)
        c = t_s / 60.0
        if method is AccessMethod.TWO_SFCA:
            r = _access.two_sfca(d, s, c, pop, cap, max_cost=max_time_min)
        elif method is AccessMethod.E2SFCA:
            r = _access.e2sfca(d, s, c, pop, cap, breaks=breaks_min, weights=weights)
        elif method is AccessMethod.GAUSSIAN:
            r = _access.gaussian_2sfca(d, s, c, pop, cap, max_cost=max_time_min)
        else:
            r = _access.gravity(d, s, c, pop, cap, beta=beta, min_cost=min_time_min, max_cost=max_time_min,
                                competition=competition)
        return self._tables(r, pop, cap)

    def _fused(self, method, cutoff_s, pop, cap, max_time_min, breaks_min, weights, beta, min_time_min,
               competition, facilities) -> _access.AccessResult:
        fsel = None if facilities is None else np.unique(np.asarray(facilities, dtype=np.int64))
        seeds = self._facility_seeds(fsel)
        direct = self._direct
        if fsel is not None and len(direct):
            direct = direct[np.isin(direct["facility"].to_numpy(), fsel)]
        de = self._dentries
        decay = {AccessMethod.TWO_SFCA: _access.Decay.STEP, AccessMethod.E2SFCA: _access.Decay.ZONES,
                 AccessMethod.GAUSSIAN: _access.Decay.GAUSSIAN, AccessMethod.GRAVITY: _access.Decay.POWER}[method]
        max_cost = np.inf if method is AccessMethod.E2SFCA else float(max_time_min)
        spec = _access.Catchment(decay, max_cost=max_cost, breaks=tuple(breaks_min), weights=tuple(weights),
                                 beta=float(beta), min_cost=float(min_time_min),
                                 hansen=bool(method is AccessMethod.GRAVITY and not competition)).spec()
        [(a, ratio, v)] = _core.network_access_many(
            self._network.core, seeds["node"].to_numpy(np.int64), seeds["offset_s"].to_numpy(np.float64),
            seeds["point"].to_numpy(np.int64), de["node"].to_numpy(np.int64), de["offset_s"].to_numpy(np.float64),
            de["point"].to_numpy(np.int64), direct["point"].to_numpy(np.int64),
            direct["facility"].to_numpy(np.int64), direct["time_s"].to_numpy(np.float64), pop, cap, 0,
            float(cutoff_s), 60.0, [spec], self._threads, None)
        return _access.AccessResult(access=a, ratio=ratio, catchment_demand=v, population=pop, capacity=cap)

    def _tables(self, r: _access.AccessResult, pop: np.ndarray, cap: np.ndarray) -> AccessTables:
        points = pd.DataFrame({"population": pop, "access": r.access,
                               "not_snapped": self._dsnap["beyond_max"].to_numpy()},
                              index=pd.RangeIndex(len(pop), name="point"))
        pieces = self._demand.pieces
        pz, pw = pieces["zone"].to_numpy(), pieces["population"].to_numpy()
        nz = len(self._demand.zones)
        num = np.bincount(pz, weights=pw * r.access[pieces["point"].to_numpy()], minlength=nz)
        den = np.bincount(pz, weights=pw, minlength=nz)
        zones = self._zone_frame()
        zones["access"] = np.divide(num, den, out=np.full(nz, np.nan), where=den > 0)
        facs = pd.DataFrame({"capacity": cap, "catchment_demand": r.catchment_demand, "ratio": r.ratio,
                             "not_snapped": self._fsnap["beyond_max"].to_numpy()},
                            index=pd.RangeIndex(len(cap), name="facility"))
        return AccessTables(result=r, points=points, zones=zones, facilities=facs)


def minutes_label(t: float) -> str:
    """The column suffix of a threshold in minutes: ``30`` → ``30min``, ``7.5`` → ``7.5min``."""
    return f"{int(t)}min" if float(t).is_integer() else f"{t:g}min"


def _capacity(facilities: gpd.GeoDataFrame, column: str | None) -> np.ndarray:
    n = len(facilities)
    if column is None:
        return np.ones(n)
    if column not in facilities.columns:
        raise UnknownColumnError(f"facilities have no column '{column}'", field=column)
    cap = pd.to_numeric(facilities[column], errors="coerce").to_numpy(dtype=np.float64)
    cap = np.where(np.isnan(cap), 1.0, cap)
    if (cap < 0).any() or not np.isfinite(cap).all():
        raise InvalidInputError("capacities must be finite numbers >= 0", feature=int(np.flatnonzero(
            ~(np.isfinite(cap) & (cap >= 0)))[0]), field=column)
    return cap


def _demand_from_points(points: gpd.GeoDataFrame) -> Demand:
    if not isinstance(points, gpd.GeoDataFrame):
        raise InvalidInputError("demand must be a jangkau.network.travel.Demand or a GeoDataFrame of points", field="demand")
    if "population" not in points.columns:
        raise UnknownColumnError("demand points have no 'population' column", field="population")
    pop = pd.to_numeric(points["population"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~(np.isfinite(pop) & (pop >= 0))
    if bad.any():
        # No silent repair: a missing or non-numeric count is not zero people.
        k = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"demand point population must be a finite number >= 0, not "
                                f"{points['population'].iloc[k]!r} ({int(bad.sum())} such points)",
                                feature=k, field="population")
    n = len(points)
    pts = gpd.GeoDataFrame({"population": pop}, geometry=points.geometry.to_numpy(), crs=points.crs)
    pts.index.name = "point"
    pieces = pd.DataFrame({"point": np.arange(n, dtype=np.int64), "zone": np.arange(n, dtype=np.int64),
                           "population": pop})
    zones = pd.DataFrame({"code": points.index.astype(str).to_numpy(), "name": None, "population": pop})
    return Demand(points=pts, pieces=pieces, zones=zones, level="point", kind=DemandKind.CENTROIDS)
