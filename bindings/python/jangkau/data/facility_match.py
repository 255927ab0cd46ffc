"""OSM facility points against a register's points of the same type: which are the same
facility, which are only in OSM, which only in the register (a check of the facility QA).

Two points match when they have the same ``facility_type`` and lie within ``max_distance_m``
of each other. Each point matches at most one point of the other layer. Among all such
one-to-one matchings the one with the **most pairs** is taken, and among those the one with
the **least total distance**: a minimum-cost assignment (Kuhn–Munkres / Jonker–Volgenant,
``scipy.optimize.linear_sum_assignment``) on the cost matrix

    c_ij = d_ij            if d_ij ≤ max_distance_m
    c_ij = M (no pair)     otherwise, with M > Σ of every allowed distance,

so that one pair more always outweighs any saving in distance; assigned pairs of cost M are
dropped. Distances are straight lines in a metric CRS (default: the UTM zone of the points).
A greedy "nearest first" matching is not used: it can pair a point with its nearest partner
and leave two others unmatched that could both have been paired (tested).

Nothing is moved or merged: the result lists each point once with its status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InvalidInputError

__all__ = ["MATCH_COLUMNS", "MatchResult", "match_facilities"]

#: Columns of :attr:`MatchResult.points`.
MATCH_COLUMNS = ["status", "facility_type", "osm_id", "osm_name", "register_id", "register_name", "distance_m",
                 "lon", "lat"]


@dataclass
class MatchResult:
    """The outcome of :func:`match_facilities`."""

    #: One row per OSM point and per register point: ``status`` ``matched`` (one row per pair,
    #: at the register point), ``osm_only`` or ``register_only``; ids and names of both sides
    #: (empty on the missing side), the pair's distance in metres (NaN when unmatched), lon/lat.
    points: pd.DataFrame
    #: One row per facility type: ``osm``, ``register``, ``matched``, ``osm_only``,
    #: ``register_only``, ``median_distance_m`` (of the matched pairs), then a row ``all``.
    summary: pd.DataFrame
    #: The distance within which points may match, metres.
    max_distance_m: float


def _column(frame: pd.DataFrame, name: str | None, fallback: str) -> np.ndarray:
    if name is not None and name in frame.columns:
        return frame[name].astype(object).where(frame[name].notna(), "").astype(str).to_numpy()
    return np.array([f"{fallback}{i}" for i in range(len(frame))], dtype=object)


def match_facilities(osm: gpd.GeoDataFrame, register: gpd.GeoDataFrame, *, max_distance_m: float = 250.0,
                     types: list[str] | None = None, osm_id: str = "osm_id", register_id: str | None = "facility_id",
                     name: str = "name", metric_crs: Any = None) -> MatchResult:
    """Match OSM facility points to register points of the same ``facility_type`` within
    ``max_distance_m`` (see the module docstring for the rule).

    ``osm``: e.g. :func:`jangkau.network.osm.osm_facilities` (``facility_type``, ``osm_id``,
    ``name``); ``register``: e.g. :func:`jangkau.data.facilities.read_facilities`
    (``facility_type``, ``facility_id``, ``name``). Rows without a type or a point are left out.
    ``types`` limits the comparison to these facility types (default: every type present in
    either layer). Raises InvalidInputError for a negative or non-finite distance, a layer
    without CRS or without ``facility_type``.
    """
    from scipy.optimize import linear_sum_assignment

    if not np.isfinite(max_distance_m) or max_distance_m < 0:
        raise InvalidInputError(f"max_distance_m must be a non-negative number, not {max_distance_m}",
                                field="max_distance_m")
    for what, layer in (("OSM", osm), ("register", register)):
        if layer.crs is None:
            raise InvalidInputError(f"the {what} facilities have no CRS", field="crs")
        if "facility_type" not in layer.columns:
            raise InvalidInputError(f"the {what} facilities have no 'facility_type' column", field="facility_type")

    def usable(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        ok = layer["facility_type"].notna() & layer.geometry.notna() & ~layer.geometry.is_empty
        return layer[ok.to_numpy()].reset_index(drop=True)

    a, b = usable(osm), usable(register)
    if metric_crs is None:
        pts = pd.concat([a.geometry.to_crs("EPSG:4326"), b.geometry.to_crs("EPSG:4326")])
        if len(pts):
            from .. import _core

            lon0, lat0, lon1, lat1 = gpd.GeoSeries(pts, crs="EPSG:4326").total_bounds
            metric_crs = _core.utm_crs_for(0.5 * (lon0 + lon1), 0.5 * (lat0 + lat1))
        else:
            metric_crs = "EPSG:3857"
    am, bm = a.to_crs(metric_crs), b.to_crs(metric_crs)
    # points as they are; an area (if any) by a point inside it
    ap, bp = am.geometry.representative_point(), bm.geometry.representative_point()
    ax, ay, bx, by = ap.x.to_numpy(), ap.y.to_numpy(), bp.x.to_numpy(), bp.y.to_numpy()
    aw, bw = ap.to_crs("EPSG:4326"), bp.to_crs("EPSG:4326")
    alon, alat, blon, blat = aw.x.to_numpy(), aw.y.to_numpy(), bw.x.to_numpy(), bw.y.to_numpy()
    a_id, b_id = _column(a, osm_id, "osm:"), _column(b, register_id, "register:")
    a_name, b_name = _column(a, name, ""), _column(b, name, "")
    a_type, b_type = a["facility_type"].astype(str).to_numpy(), b["facility_type"].astype(str).to_numpy()
    wanted = sorted(set(a_type) | set(b_type)) if types is None else [str(t) for t in types]

    rows: list[dict] = []
    summary: list[dict] = []
    for t in wanted:
        ia, ib = np.flatnonzero(a_type == t), np.flatnonzero(b_type == t)
        pairs: list[tuple[int, int, float]] = []
        if len(ia) and len(ib):
            d = np.hypot(ax[ia][:, None] - bx[ib][None, :], ay[ia][:, None] - by[ib][None, :])
            allowed = d <= max_distance_m
            if allowed.any():
                big = float(d[allowed].sum()) + 1.0
                cost = np.where(allowed, d, big)
                r, c = linear_sum_assignment(cost)
                pairs = [(int(ia[i]), int(ib[j]), float(d[i, j])) for i, j in zip(r, c) if allowed[i, j]]
        got_a = {p[0] for p in pairs}
        got_b = {p[1] for p in pairs}
        for i, j, dist in sorted(pairs, key=lambda p: p[1]):
            rows.append({"status": "matched", "facility_type": t, "osm_id": a_id[i], "osm_name": a_name[i],
                         "register_id": b_id[j], "register_name": b_name[j], "distance_m": dist,
                         "lon": blon[j], "lat": blat[j]})
        for i in ia.tolist():
            if i not in got_a:
                rows.append({"status": "osm_only", "facility_type": t, "osm_id": a_id[i], "osm_name": a_name[i],
                             "register_id": "", "register_name": "", "distance_m": np.nan,
                             "lon": alon[i], "lat": alat[i]})
        for j in ib.tolist():
            if j not in got_b:
                rows.append({"status": "register_only", "facility_type": t, "osm_id": "", "osm_name": "",
                             "register_id": b_id[j], "register_name": b_name[j], "distance_m": np.nan,
                             "lon": blon[j], "lat": blat[j]})
        dists = [p[2] for p in pairs]
        summary.append({"facility_type": t, "osm": len(ia), "register": len(ib), "matched": len(pairs),
                        "osm_only": len(ia) - len(pairs), "register_only": len(ib) - len(pairs),
                        "median_distance_m": float(np.median(dists)) if dists else np.nan})
    points = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    summ = pd.DataFrame(summary, columns=["facility_type", "osm", "register", "matched", "osm_only", "register_only",
                                          "median_distance_m"])
    if len(summ):
        tot = {k: int(summ[k].sum()) for k in ("osm", "register", "matched", "osm_only", "register_only")}
        d_all = points.loc[points["status"] == "matched", "distance_m"]
        summ = pd.concat([summ, pd.DataFrame([{"facility_type": "all", **tot,
                                               "median_distance_m": float(d_all.median()) if len(d_all) else np.nan}])],
                         ignore_index=True)
    return MatchResult(points=points, summary=summ, max_distance_m=float(max_distance_m))
