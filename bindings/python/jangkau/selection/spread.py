"""How quickly a pilot's dapil is reached from it: the spread indicator.

For a candidate pilot zone c in group (dapil) D with zone populations P_k and a
distance d(c, k) from c to every zone k of D:

* ``spread_mean`` = Σ_{k∈D} P_k d(c, k) / Σ_{k∈D} P_k — the population-weighted mean
  distance (the 1-median objective of c within D);
* ``spread_max`` = max_{k∈D, P_k>0} d(c, k) — the farthest populated zone (1-center);
* ``spread_share_within`` = Σ_{k∈D, d(c,k)≤T} P_k / Σ_{k∈D} P_k — the share of the
  dapil's population within T of c;
* ``unreached_share`` — the share of the dapil's population with no finite distance
  (kept out of the mean, never hidden).

Distances come from :func:`graph_distances` (straight-line metres between the zones'
representative points, along the zone adjacency graph: shortest paths over rook
neighbours, so a pilot reaches its dapil through the zones in between) or
:func:`road_times` (travel time over a road network, from each zone's representative
point to the candidate's). :func:`dapil_centres` picks the 1-median and the 1-center of
each dapil (Hakimi 1964). See docs/programme.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, UnknownColumnError

__all__ = ["graph_distances", "road_times", "spread", "dapil_centres"]


def _metric(zones):
    if zones.crs is None:
        raise InvalidInputError("zones have no CRS", field="geometry")
    from ..data.crs import metric_crs_for

    return zones.to_crs(metric_crs_for(zones)) if zones.crs.is_geographic else zones


def graph_distances(zones, *, adjacency: pd.DataFrame | None = None) -> pd.DataFrame:
    """Shortest-path distances (metres) between zones along their adjacency graph.

    ``zones``: GeoDataFrame with ``code`` and polygons (any CRS; geographic ones are
    projected to their UTM zone). Nodes are the zones' representative points (inside the
    polygon), edges join rook neighbours (:func:`jangkau.selection.dapil.kecamatan_adjacency`,
    or the given ``adjacency`` with code_a, code_b) and weigh the straight-line distance
    between their points. Returns a square DataFrame (index and columns = codes, sorted);
    zones in another component are ``inf`` apart.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    if "code" not in zones.columns:
        raise UnknownColumnError("zones have no 'code' column", field="code")
    gz = _metric(zones).copy()
    gz["code"] = gz["code"].astype(str)
    gz = gz.sort_values("code", kind="stable").reset_index(drop=True)
    if gz["code"].duplicated().any():
        raise InvalidInputError(f"zone code '{gz['code'][gz['code'].duplicated()].iloc[0]}' occurs twice",
                                field="code")
    if adjacency is None:
        from .dapil import kecamatan_adjacency

        adjacency = kecamatan_adjacency(gz)
    pts = gz.geometry.representative_point()
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    pos = {c: i for i, c in enumerate(gz["code"])}
    a = np.array([pos[str(c)] for c in adjacency["code_a"]], dtype=np.int64)
    b = np.array([pos[str(c)] for c in adjacency["code_b"]], dtype=np.int64)
    length = np.hypot(x[a] - x[b], y[a] - y[b])
    n = len(gz)
    g = csr_matrix((np.concatenate([length, length]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                   shape=(n, n))
    d = dijkstra(g, directed=False)
    codes = pd.Index(gz["code"], name="code")
    return pd.DataFrame(d, index=codes, columns=codes)


def road_times(roads, zones, *, max_snap_m: float = 1000.0, cutoff_min: float = 240.0) -> pd.DataFrame:
    """Travel time (minutes) over ``roads`` (a :class:`jangkau.network.roads.RoadNetwork`)
    from each zone's representative point (columns) to each zone's point (rows: the
    candidate), walking legs to and from the road included; a zone to itself is 0. Pairs
    farther than ``cutoff_min`` or not snapped are ``inf``."""
    import geopandas as gpd

    from ..network.travel import TravelModel

    gz = zones.to_crs(roads.crs).copy()
    gz["code"] = gz["code"].astype(str)
    gz = gz.sort_values("code", kind="stable").reset_index(drop=True)
    pts = gpd.GeoDataFrame({"code": gz["code"].to_numpy(), "population": np.ones(len(gz))},
                           geometry=gz.geometry.representative_point().to_numpy(), crs=gz.crs)
    model = TravelModel(roads, pts, pts, max_snap_m=max_snap_m)
    mat = model.matrix(cutoff_min * 60.0)
    n = len(gz)
    d = np.full((n, n), np.inf)
    d[mat["facility"].to_numpy(), mat["point"].to_numpy()] = mat["time_s"].to_numpy() / 60.0
    np.fill_diagonal(d, 0.0)  # a zone reaches itself at once (not via two walking legs to the road)
    codes = pd.Index(gz["code"], name="code")
    return pd.DataFrame(d, index=codes, columns=codes)


def spread(distances: pd.DataFrame, population: pd.Series | Mapping[str, float], groups: pd.Series | Mapping,
           *, threshold: float, unit: str = "km", scale: float = 1.0) -> pd.DataFrame:
    """The spread indicator of every zone that has a group (see the module docstring).

    ``distances``: candidates (rows) × zones (columns), from :func:`graph_distances` or
    :func:`road_times`; ``population``: per zone code (NaN counts as 0); ``groups``: zone
    code → dapil (None/NaN = none; such zones are neither candidates nor targets).
    Distances are multiplied by ``scale`` (e.g. 1e-3 for metres → km) before use;
    ``threshold`` T is in the scaled unit. Returns one row per candidate with a group:
    code, dapil, ``spread_mean_<unit>``, ``spread_max_<unit>``,
    ``spread_share_within_<T><unit>``, ``unreached_share``.
    """
    if not (threshold > 0 and math.isfinite(threshold)):
        raise InvalidInputError(f"threshold must be positive, got {threshold}", field="threshold")
    pop = pd.Series(population, dtype=float)
    pop.index = pop.index.astype(str)
    grp = pd.Series(groups, dtype=object)
    grp.index = grp.index.astype(str)
    grp = grp[grp.map(lambda v: v is not None and not (isinstance(v, float) and math.isnan(v)))].astype(str)
    d = distances.copy()
    d.index = d.index.astype(str)
    d.columns = d.columns.astype(str)
    missing = [c for c in grp.index if c not in d.index or c not in d.columns]
    if missing:
        raise InvalidInputError(f"zone '{missing[0]}' has a group but no distances", field="code")
    label = f"{threshold:g}{unit}"
    rows = []
    for c in sorted(grp.index):
        g = grp[c]
        members = sorted(grp.index[grp == g])
        p = pop.reindex(members).fillna(0.0).to_numpy()
        dist = d.loc[c, members].to_numpy(dtype=float) * scale
        total = float(p.sum())
        reach = np.isfinite(dist)
        pr = float(p[reach].sum())
        mean = float((p[reach] * dist[reach]).sum() / pr) if pr > 0 else float("nan")
        populated = p > 0
        far = float(dist[populated].max()) if populated.any() else 0.0
        within = float(p[reach & (dist <= threshold)].sum() / total) if total > 0 else float("nan")
        rows.append((c, g, mean, far, within, (total - pr) / total if total > 0 else float("nan")))
    return pd.DataFrame(rows, columns=["code", "dapil", f"spread_mean_{unit}", f"spread_max_{unit}",
                                       f"spread_share_within_{label}", "unreached_share"])


def dapil_centres(table: pd.DataFrame) -> pd.DataFrame:
    """Per dapil, the 1-median (smallest ``spread_mean_*``) and the 1-center (smallest
    ``spread_max_*``) zone of a :func:`spread` table; ties go to the smaller code."""
    mean = next((c for c in table.columns if c.startswith("spread_mean_")), None)
    far = next((c for c in table.columns if c.startswith("spread_max_")), None)
    if mean is None or far is None:
        raise UnknownColumnError("not a spread table (no spread_mean_* / spread_max_* column)", field="spread")
    rows = []
    for g, sub in table.groupby("dapil", sort=True):
        s = sub.sort_values("code", kind="stable").reset_index(drop=True)
        med = s.iloc[int(np.argmin(s[mean].fillna(np.inf).to_numpy()))]
        cen = s.iloc[int(np.argmin(s[far].to_numpy()))]
        rows.append((g, med["code"], float(med[mean]), cen["code"], float(cen[far])))
    return pd.DataFrame(rows, columns=["dapil", "median_code", mean, "center_code", far])
