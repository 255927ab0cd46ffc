"""Isochrones: the areas from which a facility is reached within given travel times, as
valid polygons per facility or per facility type, one band per time range.

Construction (``docs/travel.md``), in the road network's metric CRS:

1. the facilities are snapped onto their nearest edge (as in :mod:`jangkau.network.travel`) and one
   multi-source Dijkstra on the reversed graph gives ``c(n)``, the time from every node to
   the facility (or the nearest facility of the group), with cutoff = the largest band;
2. every road piece is covered by *rays*: from each end node along the piece, and from a
   facility along the piece it sits on. A point at arc fraction ``s`` of a ray reaches the
   facility in ``c0 + s·k`` seconds (``c0`` the cost at the ray's start, ``k`` the edge
   time in the direction travelled); the reachable part of the piece (``<= T``) is kept, so
   partial edges are cut at the reachable fraction;
3. ``IsochroneBuffer.WALK`` (default): every reached road point q is widened by the distance
   one can still walk, ``r(q) = min(max_walk_m, (T − c(q))·walk speed)``; ``r`` is linear
   along a ray (piecewise, split where the cap starts), so the union of discs along a straight
   sub-segment is exactly the convex hull of its two end discs (discs are GEOS-style polygons
   with ``4·quad_segs`` vertices). ``IsochroneBuffer.FIXED``: the reached road parts are
   buffered by a fixed ``buffer_m``;
4. the pieces are unioned per band (GEOS via shapely), bands are differenced
   (``band k = reach(T_k) − reach(T_{k−1})``) and every polygon is checked valid.

The reach of a larger time always contains the reach of a smaller one (radii and ray
lengths only grow), so the bands are nested rings.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..data.io import to_geometry_array
from ..data.population import Population, PopulationModel
from ..errors import GeometryError, InvalidInputError, UnknownColumnError
from .roads import RoadNetwork
from .travel import parse_minutes, points_xy

__all__ = ["IsochroneBuffer", "isochrones", "population_in"]


class IsochroneBuffer(enum.Enum):
    """How reached road parts are widened into areas."""

    WALK = "walk"
    """By the remaining walking distance, capped at ``max_walk_m``."""
    FIXED = "fixed"
    """By a fixed distance ``buffer_m``."""


# ---------------------------------------------------------------------------- population
def population_in(population: Population, polygons: gpd.GeoSeries, *, threads: int = 0) -> np.ndarray:
    """Population inside each polygon under the population model: RASTER — exact partial
    cells (exactextract's rule); ZONES — ``Σ_s P_s · share_s(Q)`` with the areal (or
    dasymetric) share of each source zone s inside Q. Empty polygons hold 0."""
    target = pyproj.CRS.from_user_input(population.crs)
    geoms = polygons
    if polygons.crs is None or not polygons.crs.equals(target):
        # reprojected vertex by vertex (e.g. to a WorldPop raster's lon/lat): rings that nearly
        # touch in metres may cross after rounding; repaired, keeping the polygonal parts
        geoms = polygons.to_crs(target)
        bad = ~geoms.is_valid.to_numpy() & ~geoms.is_empty.to_numpy() & geoms.notna().to_numpy()
        if bad.any():
            vals = np.asarray(geoms.values, dtype=object)
            vals[bad] = shapely.make_valid(vals[bad], method="structure", keep_collapsed=False)
            geoms = gpd.GeoSeries(vals, crs=target, index=geoms.index)
    out = np.zeros(len(geoms))
    for k, g in enumerate(geoms.values):
        if g is None or g.is_empty:
            continue
        ga = to_geometry_array(gpd.GeoSeries([g], crs=target))
        if population.model is PopulationModel.RASTER:
            out[k] = float(population.population_in(ga)[0])
            continue
        assert population.zones is not None  # a ZONES model always has its zones
        pop_s = population.zones["population"].to_numpy(dtype=np.float64)
        out[k] = float(np.sum(pop_s * population.shares_within(ga, threads)))
    return out


# ---------------------------------------------------------------------------- geometry
class _Segments:
    """Straight segments of the first edge of every road piece, with arc fractions."""

    def __init__(self, roads: RoadNetwork) -> None:
        piece = np.asarray(roads.edge_piece)
        first = np.concatenate([[True], piece[1:] != piece[:-1]]) if len(piece) else np.zeros(0, bool)
        self.first_edges = np.flatnonzero(first)
        lines = roads.edge_geometry()[self.first_edges]
        coords, owner = shapely.get_coordinates(lines, return_index=True)
        same = owner[1:] == owner[:-1]
        seg = np.flatnonzero(same)
        x0, y0, x1, y1 = coords[seg, 0], coords[seg, 1], coords[seg + 1, 0], coords[seg + 1, 1]
        seg_len = np.hypot(x1 - x0, y1 - y0)
        seg_owner = owner[seg]
        total = np.bincount(seg_owner, weights=seg_len, minlength=len(lines))
        cum = np.cumsum(seg_len) - seg_len
        start_of = np.zeros(len(lines))
        firsts = (np.flatnonzero(np.concatenate([[True], seg_owner[1:] != seg_owner[:-1]])) if len(seg)
                  else np.zeros(0, dtype=np.int64))
        start_of[seg_owner[firsts]] = cum[firsts]
        rel = cum - start_of[seg_owner]
        tot = total[seg_owner]
        self.edge = self.first_edges[seg_owner]
        self.s0 = np.divide(rel, tot, out=np.zeros_like(rel), where=tot > 0)
        self.s1 = np.divide(rel + seg_len, tot, out=np.ones_like(rel), where=tot > 0)
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        # segments of edge e are seg_start[e] .. seg_start[e] + seg_count[e]
        n_edges = roads.edge_count
        self.seg_count = np.bincount(self.edge, minlength=n_edges)
        self.seg_start = np.concatenate([[0], np.cumsum(self.seg_count)[:-1]]) if n_edges else np.zeros(0, np.int64)


def _ray_table(roads: RoadNetwork, segs: _Segments, cost: np.ndarray, fac_edge: np.ndarray, fac_frac: np.ndarray,
               fac_walk: np.ndarray, t_limit: float) -> pd.DataFrame:
    """Rays (edge, s_start, direction, c0, k) whose start is reached within t_limit."""
    e = segs.first_edges
    u, v = roads.edge_from[e], roads.edge_to[e]
    te = roads.edge_time_s[e]
    tw_idx = roads.edge_twin[e]
    has_twin = tw_idx >= 0
    ttw = np.where(has_twin, roads.edge_time_s[np.maximum(tw_idx, 0)], np.inf)
    # from u (s grows; the way back to u runs along the twin), from v (s shrinks; along e).
    frames = [
        pd.DataFrame({"edge": e[has_twin], "s_start": 0.0, "dir": 1.0, "c0": cost[u][has_twin], "k": ttw[has_twin]}),
        pd.DataFrame({"edge": e, "s_start": 1.0, "dir": -1.0, "c0": cost[v], "k": te}),
    ]
    if len(fac_edge):
        fe = np.asarray(fac_edge, dtype=np.int64)
        twin = roads.edge_twin[fe]
        frames.append(pd.DataFrame({"edge": fe, "s_start": fac_frac, "dir": -1.0, "c0": fac_walk,
                                    "k": roads.edge_time_s[fe]}))
        ok = twin >= 0
        frames.append(pd.DataFrame({"edge": fe[ok], "s_start": fac_frac[ok], "dir": 1.0, "c0": fac_walk[ok],
                                    "k": roads.edge_time_s[twin[ok]]}))
    rays = pd.concat(frames, ignore_index=True)
    return rays[rays["c0"].to_numpy() <= t_limit].reset_index(drop=True)


def _ray_pieces(segs: _Segments, rays: pd.DataFrame, t: float, walk_mps: float, cap_m: float,
                fixed: bool) -> tuple[np.ndarray, ...]:
    """Sub-segments of the rays within time t: (xa, ya, ra, xb, yb, rb)."""
    if rays.empty:
        z = np.zeros(0)
        return z, z, z, z, z, z
    edge = rays["edge"].to_numpy()
    n_seg = segs.seg_count[edge]
    ray_of = np.repeat(np.arange(len(rays)), n_seg)
    seg = np.repeat(segs.seg_start[edge], n_seg) + (np.arange(n_seg.sum()) - np.repeat(np.cumsum(n_seg) - n_seg, n_seg))
    s_start = rays["s_start"].to_numpy()[ray_of]
    d = rays["dir"].to_numpy()[ray_of]
    c0 = rays["c0"].to_numpy()[ray_of]
    k = rays["k"].to_numpy()[ray_of]
    span = np.where(d > 0, 1.0 - s_start, s_start)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.where(k > 0, (t - c0) / k, np.inf)
    reach = np.clip(np.minimum(reach, span), 0.0, None)
    # the segment as an interval of distance δ from the ray start
    s0, s1 = segs.s0[seg], segs.s1[seg]
    da = np.where(d > 0, s0 - s_start, s_start - s1)
    db = np.where(d > 0, s1 - s_start, s_start - s0)
    lo, hi = np.maximum(da, 0.0), np.minimum(db, reach)
    keep = hi > lo
    if fixed:
        cuts = [lo, hi]
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            dcap = np.where(k > 0, (t - c0 - cap_m / walk_mps) / k, np.inf)
        mid = np.clip(dcap, lo, hi)
        cuts = [lo, mid, hi]
    out = []
    for a_, b_ in itertools.pairwise(cuts):
        m = keep & (b_ > a_)
        if not m.any():
            continue
        sa = np.where(d[m] > 0, s_start[m] + a_[m], s_start[m] - a_[m])
        sb = np.where(d[m] > 0, s_start[m] + b_[m], s_start[m] - b_[m])
        width = s1[m] - s0[m]
        fa = np.divide(sa - s0[m], width, out=np.zeros_like(sa), where=width > 0)
        fb = np.divide(sb - s0[m], width, out=np.zeros_like(sb), where=width > 0)
        sx0, sy0, sx1, sy1 = segs.x0[seg[m]], segs.y0[seg[m]], segs.x1[seg[m]], segs.y1[seg[m]]
        xa, ya = sx0 + fa * (sx1 - sx0), sy0 + fa * (sy1 - sy0)
        xb, yb = sx0 + fb * (sx1 - sx0), sy0 + fb * (sy1 - sy0)
        if fixed:
            ra = rb = np.full(m.sum(), cap_m)
        else:
            ra = np.minimum(cap_m, np.maximum(t - c0[m] - a_[m] * k[m], 0.0) * walk_mps)
            rb = np.minimum(cap_m, np.maximum(t - c0[m] - b_[m] * k[m], 0.0) * walk_mps)
        out.append((xa, ya, ra, xb, yb, rb))
    if not out:
        z = np.zeros(0)
        return z, z, z, z, z, z
    return tuple(np.concatenate([o[i] for o in out]) for i in range(6))


def _reach_polygon(pieces: tuple[np.ndarray, ...], cap_m: float, quad_segs: int):
    """Union of the discs along the sub-segments (exact hulls for linear radii)."""
    xa, ya, ra, xb, yb, rb = pieces
    if len(xa) == 0:
        return shapely.Polygon()
    const = (ra >= cap_m) & (rb >= cap_m)
    parts = []
    if const.any():
        lines = shapely.linestrings(np.stack([np.column_stack([xa[const], ya[const]]),
                                              np.column_stack([xb[const], yb[const]])], axis=1))
        # Merge into long lines, buffer each, then union: GEOS buffers one big multilinestring
        # far more slowly (~20x on the Cilegon roads).
        merged = shapely.get_parts(shapely.line_merge(shapely.union_all(lines)))
        parts.append(shapely.union_all(shapely.buffer(merged, cap_m, quad_segs=quad_segs)))
    tap = ~const & ((ra > 0) | (rb > 0))
    if tap.any():
        hulls = _disc_hulls(xa[tap], ya[tap], ra[tap], xb[tap], yb[tap], rb[tap], quad_segs)
        parts.append(shapely.union_all(hulls))
    return _polygonal(shapely.union_all(np.array(parts, dtype=object)))


def _disc_hulls(xa, ya, ra, xb, yb, rb, quad_segs: int) -> np.ndarray:
    """Convex hulls of pairs of regular polygons (discs with 4·quad_segs vertices at the same
    angles), built directly: vertex j of disc A lies on the hull iff (A_j − B_j)·w > 0 for a
    direction w at one end of the vertex's normal cone (angles θ_j ± π/N); both discs'
    vertices are emitted in angular order, which walks the hull counter-clockwise."""
    n_ang = 4 * quad_segs
    theta = np.arange(n_ang) * (2.0 * np.pi / n_ang)
    half = np.pi / n_ang
    ux, uy = np.cos(theta), np.sin(theta)
    lo_x, lo_y = np.cos(theta - half), np.sin(theta - half)
    hi_x, hi_y = np.cos(theta + half), np.sin(theta + half)
    ax, ay = xa[:, None] + ra[:, None] * ux, ya[:, None] + ra[:, None] * uy
    bx, by = xb[:, None] + rb[:, None] * ux, yb[:, None] + rb[:, None] * uy
    dx, dy = ax - bx, ay - by
    d_lo = dx * lo_x + dy * lo_y
    d_hi = dx * hi_x + dy * hi_y
    use_a = np.maximum(d_lo, d_hi) >= 0.0
    use_b = np.minimum(d_lo, d_hi) < 0.0
    a_first = d_lo >= 0.0
    # two slots per direction: slot 0 is whichever disc wins at the lower cone edge
    x0 = np.where(a_first, ax, bx)
    y0 = np.where(a_first, ay, by)
    x1 = np.where(a_first, bx, ax)
    y1 = np.where(a_first, by, ay)
    k0 = np.where(a_first, use_a, use_b)
    k1 = np.where(a_first, use_b, use_a)
    xs = np.stack([x0, x1], axis=2).reshape(len(xa), -1)
    ys = np.stack([y0, y1], axis=2).reshape(len(xa), -1)
    keep = np.stack([k0, k1], axis=2).reshape(len(xa), -1)
    counts = keep.sum(axis=1)
    idx = np.repeat(np.arange(len(xa)), counts)
    coords = np.column_stack([xs[keep], ys[keep]])
    rings = shapely.linearrings(coords, indices=idx)
    polys = np.asarray(shapely.remove_repeated_points(shapely.polygons(rings)))
    return polys[shapely.area(polys) > 0]


def _polygonal(g):
    """Only the polygonal part, made valid."""
    if g is None or g.is_empty:
        return shapely.Polygon()
    if not g.is_valid:
        g = shapely.make_valid(g)
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    polys = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


# ---------------------------------------------------------------------------- public
def isochrones(roads: RoadNetwork, facilities: gpd.GeoDataFrame, bands_min: Sequence[float] | str = (15, 30, 60), *,
               group_by: str | None = None, buffer: IsochroneBuffer = IsochroneBuffer.WALK,
               buffer_m: float = 100.0, max_walk_m: float | None = None, max_snap_m: float = 1000.0,
               walk_speed_kmh: float = 5.0, population: Population | None = None, cumulative: bool = False,
               quad_segs: int = 8, crs: Any = None) -> gpd.GeoDataFrame:
    """Travel-time bands around facilities as valid polygons.

    Parameters
    ----------
    roads : RoadNetwork
        The road network (its metric CRS is the working CRS).
    facilities : GeoDataFrame
        Facility points, any CRS.
    bands_min : sequence of float or str
        Upper bounds of the bands in minutes, e.g. ``(15, 30, 60)`` or ``"15,30,1h"``.
    group_by : str, optional
        ``None`` (default): one set of bands per facility. A column name, e.g.
        ``"facility_type"``: one set per value, from the nearest facility of that group.
    buffer : IsochroneBuffer
        ``WALK`` (default): remaining walking distance, capped at ``max_walk_m``
        (DEFAULT: ``max_snap_m``). ``FIXED``: ``buffer_m`` around the reached roads.
    max_snap_m, walk_speed_kmh
        As in :class:`jangkau.network.travel.TravelModel`: facilities farther than ``max_snap_m`` from
        a road get empty bands (reported in ``not_snapped``).
    population : Population, optional
        When given, a ``population`` column holds the population inside each polygon.
    cumulative : bool
        ``False`` (default): rings ``(previous band, band_min]``; ``True``: everything within
        ``band_min`` (nested polygons).
    quad_segs : int
        Segments per quarter circle of the discs. DEFAULT: 8 (as GEOS/shapely).
    crs : optional
        CRS of the output. DEFAULT: EPSG:4326 (pass ``roads.crs`` for the metric CRS).

    Returns
    -------
    GeoDataFrame
        One row per (facility or group, band): ``facility`` (row, or -1 for groups) or the
        group column, ``band_from_min``, ``band_min``, ``area_km2``, ``population`` (when a
        model is given), ``not_snapped``, geometry. Every polygon is valid (possibly empty).
    """
    bands = sorted(set(parse_minutes(bands_min) if isinstance(bands_min, str) else [float(b) for b in bands_min]))
    if not bands or bands[0] <= 0:
        raise InvalidInputError("bands must be positive minutes", field="bands_min")
    if not isinstance(buffer, IsochroneBuffer):
        raise InvalidInputError(f"buffer must be an IsochroneBuffer, got {buffer!r}", field="buffer")
    if buffer is IsochroneBuffer.FIXED and not (buffer_m > 0):
        raise InvalidInputError("buffer_m must be > 0", field="buffer_m")
    if quad_segs < 1:
        raise InvalidInputError("quad_segs must be >= 1", field="quad_segs")
    cap = float(max_snap_m if max_walk_m is None else max_walk_m)
    fixed = buffer is IsochroneBuffer.FIXED
    if fixed:
        cap = float(buffer_m)
    elif not (cap > 0):
        raise InvalidInputError("max_walk_m must be > 0", field="max_walk_m")
    walk_mps = float(walk_speed_kmh) / 3.6
    if group_by is not None and group_by not in facilities.columns:
        raise UnknownColumnError(f"facilities have no column '{group_by}'", field=group_by)
    fx, fy = points_xy(facilities, roads.crs, "facilities")
    snap = roads.snap(x=fx, y=fy, max_snap_m=max_snap_m, walk_speed_kmh=walk_speed_kmh)
    entries = roads.snap_entries(snap, "to_point")
    network = roads.reversed_graph()
    segs = _Segments(roads)
    if group_by is None:
        groups = [(int(j), np.array([j])) for j in range(len(facilities))]
    else:
        values = facilities[group_by].astype(str).to_numpy()
        groups = [(g, np.flatnonzero(values == g)) for g in sorted(set(values))]
    t_max = bands[-1] * 60.0
    rows = []
    beyond = snap["beyond_max"].to_numpy()
    for key, members in groups:
        ok = members[~beyond[members]]
        sel = entries[np.isin(entries["point"].to_numpy(), ok)]
        reach_prev = shapely.Polygon()
        if len(sel):
            cost = network.nearest(sel["node"].to_numpy(), offsets=sel["offset_s"].to_numpy(),
                                   cutoff=t_max)["cost"].to_numpy()
            rays = _ray_table(roads, segs, cost, snap["edge"].to_numpy()[ok], snap["fraction"].to_numpy()[ok],
                              snap["walk_time_s"].to_numpy()[ok], t_max)
        for k, b in enumerate(bands):
            if len(sel):
                reach = _reach_polygon(_ray_pieces(segs, rays, b * 60.0, walk_mps, cap, fixed), cap, quad_segs)
                # Guard the nesting against rounding in the union: reach(T_k) ⊇ reach(T_{k-1}).
                if k > 0 and not reach_prev.is_empty:
                    reach = _polygonal(shapely.union_all([reach, reach_prev]))
            else:
                reach = shapely.Polygon()
            geom = reach if cumulative or k == 0 else _polygonal(shapely.difference(reach, reach_prev))
            rows.append({"group": key, "band_from_min": 0.0 if cumulative or k == 0 else bands[k - 1],
                         "band_min": b, "not_snapped": int(beyond[members].sum()), "geometry": geom})
            reach_prev = reach
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=roads.crs)
    if not out.geometry.is_valid.all():
        raise GeometryError("an isochrone polygon is invalid", feature=int(np.flatnonzero(~out.geometry.is_valid)[0]))
    name = "facility" if group_by is None else group_by
    out = out.rename(columns={"group": name})
    out.insert(3, "area_km2", shapely.area(out.geometry.values) / 1e6)
    if population is not None:
        out.insert(4, "population", population_in(population, out.geometry))
    out = out.to_crs(crs if crs is not None else "EPSG:4326")
    # Reprojection is not linear: a valid sliver can self-touch in lon/lat. Repair those few;
    # then, in lon/lat, snap to the 1e-7 degree grid of the GeoJSON writer (jangkau.data.io.write,
    # precision 7) so that writing does not round a valid polygon into an invalid one.
    geoms = out.geometry.to_numpy().copy()
    for k, g in enumerate(geoms):
        if not g.is_valid:
            g = _polygonal(g)
        if out.crs is not None and out.crs.is_geographic and not g.is_empty:
            try:
                g = _polygonal(shapely.set_precision(g, 1e-7))
            except shapely.errors.GEOSException:
                pass  # keep the repaired geometry
        geoms[k] = g
    out["geometry"] = geoms
    if not out.geometry.is_valid.all():
        raise GeometryError("an isochrone polygon is invalid after reprojection",
                            feature=int(np.flatnonzero(~out.geometry.is_valid.to_numpy())[0]))
    return out
