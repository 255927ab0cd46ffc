"""jangkau.network against networkx and scipy.sparse.csgraph (same graphs, same sources),
on seeded synthetic road-like graphs and on the real OpenStreetMap extracts."""

from __future__ import annotations

import os
import signal
import threading

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

import jangkau
from jangkau.network import Network

RTOL = 1e-9


def road_like(seed: int, rows: int, cols: int, *, zero_weights: bool = False):
    """Synthetic (seeded) perturbed grid: 4-neighbour two-way roads with ~10 % removed, ~5 %
    one-way, random diagonals, travel times from jittered coordinates and random speeds."""
    rng = np.random.default_rng(seed)
    n = rows * cols
    x = (np.arange(n) % cols) * 100.0 + rng.uniform(-30, 30, n)
    y = (np.arange(n) // cols) * 100.0 + rng.uniform(-30, 30, n)
    ids = np.arange(n).reshape(rows, cols)
    pairs = [
        np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], 1),
        np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], 1),
    ]
    diag = np.stack([ids[:-1, :-1].ravel(), ids[1:, 1:].ravel()], 1)
    pairs.append(diag[rng.random(len(diag)) < 0.15])
    p = np.concatenate(pairs)
    p = p[rng.random(len(p)) > 0.10]
    oneway = rng.random(len(p)) < 0.05
    frm = np.concatenate([p[:, 0], p[~oneway, 1]])
    to = np.concatenate([p[:, 1], p[~oneway, 0]])
    length_m = np.hypot(x[frm] - x[to], y[frm] - y[to])
    speed_ms = rng.choice([20 / 3.6, 40 / 3.6, 60 / 3.6], len(frm))
    time_s = length_m / speed_ms
    if zero_weights:
        time_s[rng.random(len(time_s)) < 0.05] = 0.0
    # A few parallel edges with a different cost.
    dup = rng.choice(len(frm), size=max(1, len(frm) // 50), replace=False)
    frm = np.concatenate([frm, frm[dup]])
    to = np.concatenate([to, to[dup]])
    time_s = np.concatenate([time_s, time_s[dup] * rng.uniform(0.5, 1.5, len(dup))])
    length_m = np.concatenate([length_m, length_m[dup]])
    return n, frm.astype(np.int64), to.astype(np.int64), time_s, length_m


def scipy_graph(n, frm, to, w):
    """CSR matrix keeping the cheapest of parallel edges (csr_matrix would sum them)."""
    order = np.lexsort((w, to, frm))
    f, t, c = frm[order], to[order], w[order]
    first = np.ones(len(f), bool)
    first[1:] = (f[1:] != f[:-1]) | (t[1:] != t[:-1])
    return sp.csr_matrix((c[first], (f[first], t[first])), shape=(n, n))


def nx_graph(n, frm, to, w):
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for a, b, c in zip(frm.tolist(), to.tolist(), w.tolist()):
        if not g.has_edge(a, b) or g[a][b]["w"] > c:
            g.add_edge(a, b, w=c)
    return g


def assert_same(actual, expected):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    inf_a, inf_e = np.isinf(actual), np.isinf(expected)
    assert np.array_equal(inf_a, inf_e)
    np.testing.assert_allclose(actual[~inf_a], expected[~inf_e], rtol=RTOL, atol=0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_single_source_equals_networkx_and_scipy(seed):
    n, f, t, time_s, length_m = road_like(seed, 30, 40)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s, length_m=length_m)
    rng = np.random.default_rng(seed)
    sources = rng.choice(n, 8, replace=False)
    for weight, w in (("time_s", time_s), ("length_m", length_m)):
        ours = net.shortest_paths(sources, weight=weight)
        assert ours.shape == (8, n) and ours.dtype == np.float64
        ref = dijkstra(scipy_graph(n, f, t, w), directed=True, indices=sources)
        assert_same(ours, ref)
    g = nx_graph(n, f, t, time_s)
    for s in sources[:3]:
        d = nx.single_source_dijkstra_path_length(g, int(s), weight="w")
        expected = np.full(n, np.inf)
        expected[list(d)] = list(d.values())
        assert_same(net.shortest_paths(int(s)), expected)


def test_zero_weights_and_cutoffs_equal_networkx():
    n, f, t, time_s, _ = road_like(11, 15, 15, zero_weights=True)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    g = nx_graph(n, f, t, time_s)
    full = net.shortest_paths(0)
    # Cutoffs exactly at reached costs: those nodes must be included (inclusive cutoff).
    for cutoff in (0.0, float(np.median(full[np.isfinite(full)])), 120.0):
        d = nx.single_source_dijkstra_path_length(g, 0, cutoff=cutoff, weight="w")
        expected = np.full(n, np.inf)
        expected[list(d)] = list(d.values())
        assert_same(net.shortest_paths(0, cutoff=cutoff), expected)
        assert_same(net.shortest_paths(0, cutoff=cutoff), np.where(full <= cutoff, full, np.inf))


def test_nearest_equals_scipy_min_only():
    n, f, t, time_s, _ = road_like(5, 40, 40)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    facilities = np.random.default_rng(5).choice(n, 25, replace=False)
    res = net.nearest(facilities)
    assert list(res.columns) == ["cost", "facility"]
    assert res["cost"].dtype == np.float64 and res["facility"].dtype == np.int64
    dist, _, src = dijkstra(scipy_graph(n, f, t, time_s), indices=facilities, min_only=True,
                            return_predecessors=True)
    assert_same(res["cost"].to_numpy(), dist)
    # The facility found must achieve the minimum (continuous weights: no exact ties).
    reached = res["facility"].to_numpy() >= 0
    assert np.array_equal(reached, np.isfinite(dist))
    full = dijkstra(scipy_graph(n, f, t, time_s), indices=facilities)
    via = full[res["facility"].to_numpy()[reached], np.flatnonzero(reached)]
    np.testing.assert_allclose(via, dist[reached], rtol=RTOL)
    assert np.array_equal(facilities[res["facility"].to_numpy()[reached]], src[reached])


@pytest.mark.parametrize("wide", [False, True])
def test_bucket_queue_crowded_and_sparse_equals_scipy_over_repeated_calls(wide):
    # 120 x 120 perturbed grid: hundreds of nodes per bucket of the bucket queue. With `wide`,
    # 2 % of the edges are 1000 x slower (max/min weight ~ 10^4 < 2^16, still the bucket
    # queue): most buckets are empty. Every call builds its own workspace; repeated calls
    # must give identical results, equal to scipy.
    n, f, t, time_s, _ = road_like(21, 120, 120)
    if wide:
        slow = np.random.default_rng(21).random(len(time_s)) < 0.02
        time_s = np.where(slow, time_s * 1000.0, time_s)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    g = scipy_graph(n, f, t, time_s)
    rng = np.random.default_rng(21)
    source = int(rng.integers(n))
    facilities = rng.choice(n, 60, replace=False)
    single = [net.shortest_paths(source) for _ in range(3)]
    near = [net.nearest(facilities) for _ in range(3)]
    assert_same(single[0], dijkstra(g, indices=source))
    assert_same(near[0]["cost"].to_numpy(), dijkstra(g, indices=facilities, min_only=True))
    for k in (1, 2):
        assert np.array_equal(single[k], single[0])
        pd.testing.assert_frame_equal(near[k], near[0])
    # Costs *to* the nearest facility: nearest() on the reversed network (as the pandana
    # comparison in benchmarks/bench_network.py uses it) equals scipy on the transpose.
    rev = net.reversed().nearest(facilities)["cost"].to_numpy()
    assert_same(rev, dijkstra(g.T.tocsr(), indices=facilities, min_only=True))


def test_nearest_with_offsets_and_groups_equals_brute_force():
    n, f, t, time_s, _ = road_like(8, 20, 20)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    rng = np.random.default_rng(8)
    seeds = rng.choice(n, 12, replace=False)
    offsets = rng.uniform(0, 60, 12)
    groups = np.repeat(np.arange(6), 2)  # each facility sits between two nodes
    res = net.nearest(seeds, offsets=offsets, groups=groups, cutoff=600)
    full = dijkstra(scipy_graph(n, f, t, time_s), indices=seeds) + offsets[:, None]
    best = full.min(axis=0)
    best[best > 600] = np.inf
    assert_same(res["cost"].to_numpy(), best)
    k = np.argmin(full, axis=0)
    expect_fac = np.where(np.isfinite(best), groups[k], -1)
    assert np.array_equal(res["facility"].to_numpy(), expect_fac)


def test_travel_time_matrix_equals_scipy_and_is_deterministic():
    n, f, t, time_s, _ = road_like(9, 30, 30)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    rng = np.random.default_rng(9)
    src = rng.choice(n, 40, replace=False)
    tgt = rng.choice(n, 200, replace=False)
    cutoff = 300.0
    m1 = net.travel_time_matrix(src, tgt, cutoff=cutoff, threads=1)
    m2 = net.travel_time_matrix(src, tgt, cutoff=cutoff, threads=2)
    pd.testing.assert_frame_equal(m1, m2)
    assert list(m1.columns) == ["source", "target", "cost"]
    assert [m1[c].dtype for c in m1.columns] == [np.int64, np.int64, np.float64]
    keys = m1["source"].to_numpy() * 10**6 + m1["target"].to_numpy()
    assert np.all(np.diff(keys) > 0)
    ref = dijkstra(scipy_graph(n, f, t, time_s), indices=src)[:, tgt]
    dense = np.full((len(src), len(tgt)), np.inf)
    dense[m1["source"], m1["target"]] = m1["cost"]
    assert_same(dense, np.where(ref <= cutoff, ref, np.inf))
    # No targets: every reached node.
    all_nodes = net.travel_time_matrix(src[:3], cutoff=cutoff)
    ref3 = dijkstra(scipy_graph(n, f, t, time_s), indices=src[:3])
    dense3 = np.full((3, n), np.inf)
    dense3[all_nodes["source"], all_nodes["target"]] = all_nodes["cost"]
    assert_same(dense3, np.where(ref3 <= cutoff, ref3, np.inf))


def test_travel_time_matrix_with_located_points():
    n, f, t, time_s, _ = road_like(10, 12, 12)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    rng = np.random.default_rng(10)
    s_nodes, s_off, s_grp = rng.choice(n, 6), rng.uniform(0, 30, 6), np.array([0, 0, 1, 1, 2, 2])
    t_nodes, t_off, t_grp = rng.choice(n, 10), rng.uniform(0, 30, 10), np.repeat(np.arange(5), 2)
    m = net.travel_time_matrix(s_nodes, t_nodes, source_offsets=s_off, source_groups=s_grp,
                               target_offsets=t_off, target_groups=t_grp)
    d = dijkstra(scipy_graph(n, f, t, time_s), indices=s_nodes)
    pair = s_off[:, None] + d[:, t_nodes] + t_off[None, :]
    expected = np.full((3, 5), np.inf)
    for a in range(6):
        for b in range(10):
            expected[s_grp[a], t_grp[b]] = min(expected[s_grp[a], t_grp[b]], pair[a, b])
    dense = np.full((3, 5), np.inf)
    dense[m["source"], m["target"]] = m["cost"]
    assert_same(dense, expected)


def test_components_and_largest_component():
    # Two islands: 0-1-2 and 3-4, plus isolated node 5.
    net = Network.from_edges([0, 1, 3], [1, 2, 4], node_count=6, time_s=[1.0, 1.0, 1.0])
    assert net.components().tolist() == [0, 0, 0, 1, 1, 2]
    sub, parent = net.largest_component()
    assert sub.node_count == 3 and parent.tolist() == [0, 1, 2]
    assert sub.weight_names == ("time_s",)
    n, f, t, time_s, _ = road_like(4, 20, 20)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(f.tolist(), t.tolist()))
    sizes = sorted((len(c) for c in nx.weakly_connected_components(g)), reverse=True)
    labels = net.components()
    assert np.bincount(labels).tolist() == sizes


def test_binding_contract_dtypes_and_views():
    net = Network.from_edges(np.array([0, 1], np.int32), np.array([1.0, 2.0]), time_s=[1, 2])
    assert net.node_count == 3 and net.edge_count == 2
    assert net.offsets.dtype == np.int64 and net.targets.dtype == np.int32
    assert net.weights().dtype == np.float64
    assert not net.weights().flags.writeable
    assert net.shortest_paths(0).dtype == np.float64
    assert "Network(node_count=3" in repr(net)


def test_exceptions_name_the_edge():
    with pytest.raises(jangkau.InvalidInputError) as e:
        Network.from_edges([0, 1, 2], [1, 2, 7], node_count=4, time_s=[1.0, 1.0, 1.0])
    assert e.value.feature == 2 and e.value.field == "to"
    with pytest.raises(ValueError) as e:  # also a ValueError
        Network.from_edges([0, 1], [1, 0], time_s=[1.0, -1.0])
    assert e.value.feature == 1 and e.value.field == "weight[0]"
    with pytest.raises(jangkau.InvalidInputError):
        Network.from_edges([0, 1], [1, 0], time_s=[1.0, np.nan])
    with pytest.raises(jangkau.InvalidInputError):
        Network.from_edges([0, 1], [1, 0])
    with pytest.raises(jangkau.InvalidInputError):
        Network.from_edges([0.5], [1], time_s=[1.0])
    net = Network.from_edges([0, 1], [1, 0], time_s=[1.0, 1.0])
    with pytest.raises(jangkau.InvalidInputError) as e:
        net.shortest_paths([0, 5])
    assert e.value.feature == 1
    with pytest.raises(jangkau.InvalidInputError):
        net.shortest_paths(0, weight="length_m")
    with pytest.raises(jangkau.InvalidInputError):
        net.shortest_paths(0, cutoff=-1)
    with pytest.raises(jangkau.InvalidInputError):
        net.nearest([0], offsets=[-1.0])
    with pytest.raises(jangkau.InvalidInputError):
        net.travel_time_matrix([0], None, target_offsets=[1.0])


def test_searches_release_the_gil_and_are_thread_safe():
    n, f, t, time_s, _ = road_like(12, 40, 40)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    expected = net.shortest_paths([0, 17, 99])
    results = [None] * 4

    def work(k):
        results[k] = net.shortest_paths([0, 17, 99], threads=1)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for r in results:
        assert np.array_equal(r, expected)


def test_progress_callback_and_cancel():
    n, f, t, time_s, _ = road_like(13, 10, 10)
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    calls = []
    net.shortest_paths(np.arange(10), threads=1, progress=lambda s, d, tot: calls.append((s, d, tot)))
    assert calls and calls[-1][1:] == (10, 10)

    def stop(stage, done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        net.travel_time_matrix(np.arange(100), threads=2, progress=stop)

    def ctrl_c(stage, done, total):
        if done == 5:
            os.kill(os.getpid(), signal.SIGINT)

    # Ctrl-C while the search runs (GIL released) ends it with a KeyboardInterrupt
    # (jangkau.CancelledError is one).
    with pytest.raises(KeyboardInterrupt):
        net.travel_time_matrix(np.arange(100), threads=1, progress=ctrl_c)


def _osm_network(path):
    """The road network of an OSM extract, from the roads helper's builder when it exists,
    else from GDAL's lines layer (highway ways, vertex-to-vertex edges, two-way)."""
    try:
        from jangkau.network.roads import RoadNetwork

        rn = RoadNetwork.from_osm(path)
        return rn.node_count, rn.edge_from, rn.edge_to, rn.edge_length_m, rn.edge_time_s
    except ImportError:  # pragma: no cover - only before jangkau.network.roads exists
        import pyogrio
        import shapely

        gdf = pyogrio.read_dataframe(path, layer="lines")
        gdf = gdf[gdf["highway"].notna()].to_crs(gdf.estimate_utm_crs())
        coords, index = shapely.get_coordinates(gdf.geometry.values, return_index=True)
        _, node = np.unique(coords.round(3), axis=0, return_inverse=True)
        same = index[1:] == index[:-1]
        a, b = node[:-1][same], node[1:][same]
        length = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
        f, t = np.concatenate([a, b]), np.concatenate([b, a])
        w = np.concatenate([length, length])
        return int(node.max()) + 1, f, t, w, w / (30 / 3.6)


@pytest.mark.data
@pytest.mark.parametrize("name", ["osm_monaco_osrm-backend.osm.pbf", "osm_liechtenstein_valhalla.osm.pbf"])
def test_real_osm_equals_networkx_and_scipy(data_dir, name):
    n, f, t, length_m, time_s = _osm_network(data_dir / "roads" / name)
    assert n > 100
    net = Network.from_edges(f, t, node_count=n, time_s=time_s, length_m=length_m)
    rng = np.random.default_rng(42)
    sources = rng.choice(n, 5, replace=False)
    for weight, w in (("time_s", time_s), ("length_m", length_m)):
        g = scipy_graph(n, np.asarray(f), np.asarray(t), np.asarray(w))
        assert_same(net.shortest_paths(sources, weight=weight), dijkstra(g, indices=sources))
    g = nx_graph(n, np.asarray(f), np.asarray(t), np.asarray(time_s))
    d = nx.single_source_dijkstra_path_length(g, int(sources[0]), weight="w")
    expected = np.full(n, np.inf)
    expected[list(d)] = list(d.values())
    assert_same(net.shortest_paths(int(sources[0])), expected)
    # Nearest of 10 facilities on the real network equals scipy's min_only search.
    fac = rng.choice(n, 10, replace=False)
    g = scipy_graph(n, np.asarray(f), np.asarray(t), np.asarray(time_s))
    dist = dijkstra(g, indices=fac, min_only=True)
    assert_same(net.nearest(fac)["cost"].to_numpy(), dist)


REAL_ROADS = ["osm_bayfront_singapore_valhalla.osm.pbf", "osm_monaco_osrm-backend.osm.pbf",
              "osm_liechtenstein_valhalla.osm.pbf", "cilegon3672_rtrw"]


@pytest.mark.data
@pytest.mark.parametrize("name", REAL_ROADS)
def test_real_road_networks_equal_networkx_and_scipy(data_dir, name):
    """The graphs users route on — jangkau.network.roads networks from the OSM extracts (one-way,
    maxspeed, access tags applied) and from the Cilegon RTRW layers (endpoints snapped,
    crossings split) — searched by jangkau, scipy and networkx on the same edge arrays:
    full searches and cutoff searches (cutoff at an attained cost, so `<=` is exercised)."""
    from jangkau.network.build import build_roads
    from jangkau.network.roads import RoadNetwork

    roads_dir = data_dir / "roads"
    if name.startswith("cilegon"):
        net = build_roads([",".join(str(p) for p in sorted(roads_dir.glob(f"{name}_*_LN.geojson")))])
    else:
        net = RoadNetwork.from_osm(roads_dir / name)
    n = net.node_count
    f, t = np.asarray(net.edge_from), np.asarray(net.edge_to)
    assert n > 100 and len(f) > n  # Bayfront 163 nodes; Liechtenstein several thousand
    graph = net.to_graph()
    rng = np.random.default_rng(2026)
    sources = rng.choice(n, 8, replace=False)
    for weight, w in (("time_s", np.asarray(net.edge_time_s)), ("length_m", np.asarray(net.edge_length_m))):
        csr = scipy_graph(n, f, t, w)
        full = graph.shortest_paths(sources, weight=weight)
        assert_same(full, dijkstra(csr, directed=True, indices=sources))
        reached = full[np.isfinite(full)]
        cutoff = float(np.sort(reached)[len(reached) // 2])  # a cost some node has exactly
        bounded = graph.shortest_paths(sources, weight=weight, cutoff=cutoff)
        assert_same(bounded, dijkstra(csr, directed=True, indices=sources, limit=cutoff))
        assert (bounded == cutoff).any() and np.isinf(bounded).any()
    g = nx_graph(n, f, t, np.asarray(net.edge_time_s))
    for s in sources[:3]:
        d = nx.single_source_dijkstra_path_length(g, int(s), weight="w")
        expected = np.full(n, np.inf)
        expected[list(d)] = list(d.values())
        assert_same(graph.shortest_paths(int(s)), expected)
