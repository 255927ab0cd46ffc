"""The spread indicator: a hand-computed example, shortest paths against networkx on a
small polygon graph, the 1-median / 1-center per dapil, and the real Serang kecamatan."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from jangkau.errors import InvalidInputError
from jangkau.selection.spread import dapil_centres, graph_distances, spread


def _strip(n: int = 4) -> gpd.GeoDataFrame:
    """n unit-km squares in a row: A | B | C | D (centres 1 km apart)."""
    codes = [chr(ord("A") + i) for i in range(n)]
    return gpd.GeoDataFrame({"code": codes}, geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(n)],
                            crs="EPSG:32748")


def test_hand_computed_strip():
    z = _strip()
    d = graph_distances(z)
    assert d.loc["A", "D"] == pytest.approx(3000.0)
    pop = pd.Series({"A": 100.0, "B": 300.0, "C": 100.0, "D": 0.0})
    groups = pd.Series({"A": "d1", "B": "d1", "C": "d1", "D": "d2"})
    t = spread(d, pop, groups, threshold=1.0, unit="km", scale=1e-3).set_index("code")
    # From A: (100·0 + 300·1 + 100·2)/500 = 1.0 km; farthest populated 2 km; within 1 km: 400/500.
    assert t.loc["A", "spread_mean_km"] == pytest.approx(1.0)
    assert t.loc["A", "spread_max_km"] == pytest.approx(2.0)
    assert t.loc["A", "spread_share_within_1km"] == pytest.approx(0.8)
    # From B: (100·1 + 0 + 100·1)/500 = 0.4 km, everyone within 1 km.
    assert t.loc["B", "spread_mean_km"] == pytest.approx(0.4)
    assert t.loc["B", "spread_share_within_1km"] == pytest.approx(1.0)
    # D is alone in d2 with nobody living there.
    assert np.isnan(t.loc["D", "spread_mean_km"])
    c = dapil_centres(t.reset_index()).set_index("dapil")
    assert c.loc["d1", "median_code"] == "B" and c.loc["d1", "center_code"] == "B"


def test_against_networkx_on_a_grid_with_a_hole():
    # 4×4 grid of squares with two cells missing: paths must go around.
    cells, codes = [], []
    xs, ys = [0, 700, 1900, 2500, 4000], [0, 1300, 1800, 3100, 3600]  # irregular widths
    for i in range(4):
        for j in range(4):
            if (i, j) in ((1, 1), (2, 1)):
                continue
            cells.append(box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
            codes.append(f"{i}{j}")
    z = gpd.GeoDataFrame({"code": codes}, geometry=cells, crs="EPSG:32748")
    from jangkau.selection.dapil import kecamatan_adjacency

    adj = kecamatan_adjacency(z)
    d = graph_distances(z, adjacency=adj)
    pts = z.set_index("code").geometry.representative_point()
    g = nx.Graph()
    g.add_nodes_from(codes)
    for a, b in zip(adj["code_a"], adj["code_b"]):
        g.add_edge(a, b, weight=float(pts[a].distance(pts[b])))
    for src in codes:
        ref = nx.single_source_dijkstra_path_length(g, src, weight="weight")
        for dst in codes:
            assert d.loc[src, dst] == pytest.approx(ref[dst], rel=1e-12)
    # Population-weighted spread against a direct networkx computation.
    rng = np.random.default_rng(3)
    pop = pd.Series(rng.integers(0, 1000, len(codes)).astype(float), index=codes)
    groups = pd.Series(["n" if c[0] in "01" else "s" for c in codes], index=codes)
    t = spread(d, pop, groups, threshold=1500.0, unit="m").set_index("code")
    for c in codes:
        members = [k for k in codes if groups[k] == groups[c]]
        ref = nx.single_source_dijkstra_path_length(g, c, weight="weight")
        p = pop[members].to_numpy()
        dist = np.array([ref[k] for k in members])
        assert t.loc[c, "spread_mean_m"] == pytest.approx((p * dist).sum() / p.sum())
        assert t.loc[c, "spread_share_within_1500m"] == pytest.approx(p[dist <= 1500].sum() / p.sum())


def test_unreachable_zones_are_reported_not_hidden():
    z = _strip(2)
    far = gpd.GeoDataFrame({"code": ["Z"]}, geometry=[box(9000, 0, 10000, 1000)], crs="EPSG:32748")
    d = graph_distances(pd.concat([z, far], ignore_index=True))
    assert np.isinf(d.loc["A", "Z"])
    t = spread(d, {"A": 1.0, "B": 1.0, "Z": 2.0}, {"A": "g", "B": "g", "Z": "g"}, threshold=5.0, unit="km",
               scale=1e-3).set_index("code")
    assert t.loc["A", "unreached_share"] == pytest.approx(0.5)
    assert t.loc["A", "spread_mean_km"] == pytest.approx(0.5)
    with pytest.raises(InvalidInputError):
        spread(d, {"A": 1.0}, {"A": "g"}, threshold=0.0)


def test_serang_kecamatan_spread(data_dir):
    from jangkau.data.region import Region

    region = Region.load("serang", data_dir=data_dir)
    kec = region.zones("kecamatan", crs=None)
    d = graph_distances(kec)
    assert d.shape == (29, 29)
    # The adjacency graph of Serang's kecamatan is connected, and a graph path is never
    # shorter than the straight line between the same points.
    assert np.isfinite(d.to_numpy()).all()
    pts = kec.set_index(kec["code"].astype(str)).geometry.representative_point()
    xy = np.column_stack([pts[d.index].x, pts[d.index].y])
    straight = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    assert (d.to_numpy() >= straight - 1e-6).all()
    pop = pd.Series(kec["population"].to_numpy(), index=kec["code"].astype(str))
    t = spread(d, pop, pd.Series("all", index=pop.index), threshold=10.0, unit="km", scale=1e-3)
    assert len(t) == 29 and t["spread_share_within_10km"].between(0, 1).all()
    c = dapil_centres(t)
    best = t.loc[t["spread_mean_km"].idxmin(), "code"]
    assert c.loc[0, "median_code"] == best


def test_road_times_against_networkx_on_real_roads(data_dir):
    """Zones that are tiny squares around road nodes of the Monaco OSM extract: the spread
    matrix over roads equals networkx shortest travel times between those nodes (within the
    sub-metre walking legs of the snap)."""
    from jangkau.network.build import build_roads
    from jangkau.selection.spread import road_times

    roads = build_roads([str(data_dir / "roads" / "osm_monaco_osrm-backend.osm.pbf")])
    g = nx.DiGraph()
    for a, b, t in zip(roads.edge_from, roads.edge_to, roads.edge_time_s):
        if not g.has_edge(int(a), int(b)) or g[int(a)][int(b)]["weight"] > t:
            g.add_edge(int(a), int(b), weight=float(t))
    largest = max(nx.strongly_connected_components(g), key=len)
    rng = np.random.default_rng(1)
    nodes = sorted(rng.choice(sorted(largest), 6, replace=False).tolist())
    x, y = roads.node_x[nodes], roads.node_y[nodes]
    zones = gpd.GeoDataFrame({"code": [f"z{i}" for i in range(6)]},
                             geometry=[box(a - 0.1, b - 0.1, a + 0.1, b + 0.1) for a, b in zip(x, y)],
                             crs=roads.crs)
    t = road_times(roads, zones)
    for i, src in enumerate(nodes):
        ref = nx.single_source_dijkstra_path_length(g, src, weight="weight")
        for j, dst in enumerate(nodes):
            # row = candidate (destination of the trip), column = zone travelled from
            want = 0.0 if i == j else ref[dst] / 60.0
            assert t.iloc[j, i] == pytest.approx(want, abs=2.0 / 60.0)
