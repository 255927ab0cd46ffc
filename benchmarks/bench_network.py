"""Benchmark: jangkau.network shortest paths vs scipy.sparse.csgraph, networkx and pandana.

Same seeded synthetic road-like graph (a perturbed grid with ~10 % of the streets removed,
~5 % one-way, random diagonals, parallel edges; weights = travel time in seconds), same
sources, same process. Prints both times and the ratio, and memory.

pandana (contraction hierarchies; `Network.nearest_pois`) is compared on nearest facility
for every node. Its preprocessing (building the hierarchy) grows much faster than linearly
on this graph (7-30 s for 20 000 nodes, 18 min for 250 000 on the 2-core development
machine under load), so by default it runs on a separate 20 000-node graph of the same
generator; `--pandana-nodes` sets that size (0 = skip; the main graph's size = use the main
graph). Its preprocessing time is printed apart from the query time.

    python benchmarks/bench_network.py                 # ~250 000 nodes, < 2 min
    python benchmarks/bench_network.py --large         # ~1 000 000 nodes
    python benchmarks/bench_network.py --nodes 40000   # any size
    python benchmarks/bench_network.py --pandana-nodes 250000   # pandana on the main graph (slow)
    python benchmarks/bench_network.py --osm ../shared/data/roads/osm_liechtenstein_valhalla.osm.pbf
                                                       # a real network (jangkau.network.roads)
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from jangkau.network import Network


def road_like_graph(nodes: int, seed: int = 2026, with_xy: bool = False):
    """Synthetic road-like graph with about `nodes` nodes (seeded, deterministic).

    Returns (node_count, from_node, to_node, time_s, length_m), followed by the node
    coordinates (x, y) in metres when `with_xy`."""
    rng = np.random.default_rng(seed)
    side = round(np.sqrt(nodes))
    n = side * side
    x = (np.arange(n) % side) * 100.0 + rng.uniform(-30, 30, n)
    y = (np.arange(n) // side) * 100.0 + rng.uniform(-30, 30, n)
    ids = np.arange(n).reshape(side, side)
    diag = np.stack([ids[:-1, :-1].ravel(), ids[1:, 1:].ravel()], 1)
    p = np.concatenate([
        np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], 1),
        np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], 1),
        diag[rng.random(len(diag)) < 0.15],
    ])
    p = p[rng.random(len(p)) > 0.10]
    oneway = rng.random(len(p)) < 0.05
    frm = np.concatenate([p[:, 0], p[~oneway, 1]]).astype(np.int64)
    to = np.concatenate([p[:, 1], p[~oneway, 0]]).astype(np.int64)
    length_m = np.hypot(x[frm] - x[to], y[frm] - y[to])
    time_s = length_m / rng.choice([20 / 3.6, 40 / 3.6, 60 / 3.6], len(frm))
    if with_xy:
        return n, frm, to, time_s, length_m, x, y
    return n, frm, to, time_s, length_m


def scipy_csr(n, frm, to, w):
    """scipy CSR graph; parallel edges reduced to the cheapest (csr_matrix would sum them)."""
    order = np.lexsort((w, to, frm))
    f, t, c = frm[order], to[order], w[order]
    first = np.ones(len(f), bool)
    first[1:] = (f[1:] != f[:-1]) | (t[1:] != t[:-1])
    return sp.csr_matrix((c[first], (f[first], t[first])), shape=(n, n))


def best_of(fn, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def row(name, ours, peer, peer_name):
    print(f"{name:<44} jangkau {ours * 1e3:9.1f} ms   {peer_name} {peer * 1e3:9.1f} ms   "
          f"ratio {peer / ours:6.1f}x")


# pandana's contraction hierarchy stores each edge weight as an unsigned integer in units of
# 1/1000 of the weight's unit (DISTANCEMULTFACT = 1000 in pandana's src/graphalg.h; the
# conversion truncates) and returns distances as float32. Along a path of h edges its cost is
# therefore lower than the exact one by less than h / 1000, and any path it can prefer has at
# most cost / (w_min - 1/1000) edges. Hence 0 <= exact - pandana <= tolerance(exact) below,
# plus float32 rounding (2^-24 relative, taken as 1e-6 to cover the int -> float division).
PANDANA_SCALE = 1000.0


def pandana_tolerance(cost: np.ndarray, w_min: float) -> np.ndarray:
    if w_min <= 1.0 / PANDANA_SCALE:
        return np.full_like(cost, np.inf)  # no bound on the number of edges of a path
    return cost / (w_min - 1.0 / PANDANA_SCALE) / PANDANA_SCALE + 1e-6 * cost + 1e-9


def compare_pandana(n, f, t, w, x, y, facilities, label: str) -> None:
    """jangkau nearest facility vs pandana nearest_pois on the same graph and facilities.

    pandana's nearest_pois measures node -> facility; jangkau's nearest() measures facility
    -> node, so jangkau runs on the reversed network (built once, like pandana's hierarchy).
    Two radii: the smallest that finds a facility for every node that can reach one (the
    task "nearest facility of every node"), and the median nearest cost (about half the
    nodes find one: a small radius, where pandana's bucket search is cheapest)."""
    try:
        import pandana
    except ImportError as exc:
        print(f"pandana: not compared ({exc})")
        return
    if len(facilities) == 0:
        print("pandana: not compared (no facilities)")
        return
    t0 = time.perf_counter()
    net = Network.from_edges(f, t, node_count=n, time_s=w)
    rev = net.reversed()
    build_ours = time.perf_counter() - t0
    near_all = rev.nearest(facilities)
    cost_all = near_all["cost"].to_numpy()
    fac_all = near_all["facility"].to_numpy()
    reach = np.isfinite(cost_all)
    full = float(cost_all[reach].max()) * 1.01 + 1.0  # every node that can reach a facility finds one
    half = float(np.median(cost_all[reach]))
    w_min = float(np.min(w))

    sys.stdout.flush()
    t0 = time.perf_counter()
    pn = pandana.Network(pd.Series(x), pd.Series(y), pd.Series(f), pd.Series(t), pd.DataFrame({"time_s": w}),
                         twoway=False)
    build_pandana = time.perf_counter() - t0
    print(flush=True)  # pandana's progress output ends without a newline
    # POIs at the exact coordinates of the facility nodes; pandana maps them to the nearest
    # node with its KD-tree, which must give back the same nodes.
    mapped = pn.get_node_ids(pd.Series(x[facilities]), pd.Series(y[facilities])).to_numpy()
    if not np.array_equal(mapped, facilities):
        print(f"pandana: not compared ({int((mapped != facilities).sum())} facilities map to another node "
              "with the same coordinates)")
        return
    print(f"pandana on {label}: Network() contraction hierarchy {build_pandana:.1f} s "
          f"(jangkau from_edges + reversed {build_ours * 1e3:.0f} ms, no other preprocessing)")
    for radius, what in ((full, "all nodes"), (half, f"within {half:.0f} s (median)")):
        t0 = time.perf_counter()
        pn.set_pois("facility", radius, 1, pd.Series(x[facilities]), pd.Series(y[facilities]))
        poi_pandana = time.perf_counter() - t0
        # precompute() caches range queries for aggregate(); nearest_pois does not use it (and
        # with a radius covering the whole graph the cache is quadratic in memory): not run.
        def query(radius=radius):
            return pn.nearest_pois(radius, "facility", num_pois=1, include_poi_ids=True)

        t_pandana, res = best_of(query, 3)
        t_ours, near = best_of(lambda radius=radius: rev.nearest(facilities, cutoff=radius), 3)
        ours = near["cost"].to_numpy()
        dist = res[1].to_numpy(dtype=np.float64)
        poi = res["poi1"].to_numpy(dtype=np.float64)
        found = ~np.isnan(poi)
        # jangkau equals its uncut search within the radius (exact, inclusive cutoff).
        assert np.array_equal(np.isfinite(ours), cost_all <= radius)
        assert np.array_equal(ours[np.isfinite(ours)], cost_all[cost_all <= radius])
        # pandana's truncated costs are <= exact ones: it may also find nodes just beyond the
        # radius (by at most the truncation bound), never miss one within it.
        extra = found & ~(cost_all <= radius)
        missed = ~found & (cost_all <= radius * (1 - 1e-6))
        beyond = cost_all[extra] - radius
        if missed.any() or not np.all(beyond <= pandana_tolerance(cost_all[extra], w_min)):
            print(f"pandana ({what}): reached-node sets differ beyond the truncation bound "
                  f"({int(missed.sum())} missed, {int(extra.sum())} extra); no time reported")
            continue
        diff = cost_all[found] - dist[found]
        bound = pandana_tolerance(cost_all[found], w_min)
        if not (np.all(diff >= -1e-6 * cost_all[found] - 1e-9) and np.all(diff <= bound)):
            print(f"pandana ({what}): costs differ beyond the truncation bound (max |diff| "
                  f"{np.abs(diff).max():.6g}); no time reported")
            continue
        # Where pandana picked another facility, that facility must be as near within the bound.
        fac_p = np.full(n, -1, np.int64)
        fac_p[found] = poi[found].astype(np.int64)
        other = np.flatnonzero(found & (fac_p != fac_all))
        if len(other):
            uniq, src = np.unique(fac_p[other], return_inverse=True)
            m = rev.travel_time_matrix(facilities[uniq], other)
            lookup = dict(zip(zip(m["source"].to_numpy(), m["target"].to_numpy()), m["cost"].to_numpy()))
            alt = np.array([lookup.get((s_k, k), np.inf) for k, s_k in enumerate(src)])
            if not np.all(alt - cost_all[other] <= pandana_tolerance(cost_all[other], w_min)):
                print(f"pandana ({what}): picked a facility that is not nearest within the bound; "
                      "no time reported")
                continue
        rel = np.abs(diff) / np.maximum(cost_all[found], 1e-300)
        same = 100 * (1 - len(other) / max(found.sum(), 1))
        print(f"  radius {radius:.0f} s: set_pois {poi_pandana * 1e3:.0f} ms; costs agree within the "
              f"truncation bound (max |diff| {np.abs(diff).max():.3g} s, max rel {rel.max():.2g}); "
              f"same facility for {same:.3f} % of {int(found.sum())} nodes (others: ties within the bound); "
              f"{int(extra.sum())} nodes just beyond the radius found by pandana only")
        row(f"nearest of {len(facilities)} facilities, {what}", t_ours, t_pandana, "pandana")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=250_000)
    ap.add_argument("--large", action="store_true", help="1 000 000 nodes")
    ap.add_argument("--sources", type=int, default=5, help="single-source searches timed")
    ap.add_argument("--facilities", type=int, default=200)
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--pandana-nodes", type=int, default=20_000,
                    help="size of the synthetic graph for the pandana comparison (0 = skip; "
                         "the main graph's size = the main graph)")
    ap.add_argument("--osm", help="an .osm.pbf file: benchmark its road network instead")
    args = ap.parse_args()
    nodes = 1_000_000 if args.large else args.nodes

    if args.osm:
        from jangkau.network.roads import RoadNetwork

        rn = RoadNetwork.from_osm(args.osm)
        n, f, t = rn.node_count, np.asarray(rn.edge_from), np.asarray(rn.edge_to)
        time_s, length_m = np.asarray(rn.edge_time_s), np.asarray(rn.edge_length_m)
        x, y = np.asarray(rn.node_x), np.asarray(rn.node_y)
        args.facilities = min(args.facilities, n // 10)
        print(f"road network of {args.osm}: {n} nodes, {len(f)} directed edges")
    else:
        n, f, t, time_s, length_m, x, y = road_like_graph(nodes, with_xy=True)
        print(f"synthetic road-like graph: {n} nodes, {len(f)} directed edges (seed 2026)")
    rss0 = maxrss_mb()
    tracemalloc.start()
    t0 = time.perf_counter()
    net = Network.from_edges(f, t, node_count=n, time_s=time_s, length_m=length_m)
    build_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    csr = scipy_csr(n, f, t, time_s)
    build_scipy = time.perf_counter() - t0
    py_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    scipy_bytes = csr.data.nbytes + csr.indices.nbytes + csr.indptr.nbytes
    csr_bytes = (net.offsets.nbytes + net.targets.nbytes + 2 * net.weights("time_s").nbytes
                 + net.edge_ids.nbytes)
    print(f"build: jangkau {build_ours * 1e3:.0f} ms (CSR with 2 weight sets: {csr_bytes / 2**20:.1f} MiB), "
          f"scipy csr_matrix {build_scipy * 1e3:.0f} ms ({scipy_bytes / 2**20:.1f} MiB); "
          f"Python-side peak (tracemalloc) {py_peak:.1f} MiB")

    rng = np.random.default_rng(7)
    sources = rng.choice(n, args.sources, replace=False)

    # Single source, full search (no cutoff). One source per call, as a user would; each
    # source's call timed best of 3 (on a shared machine a preempted call would otherwise
    # spoil a whole batch), then averaged over the sources. Both sides alike.
    def per_source(fn):
        total, outs = 0.0, []
        for s in sources:
            t_s, out = best_of(lambda s=s: fn(int(s)), 3)
            total += t_s
            outs.append(out)
        return total, outs

    t_ours, d_ours = per_source(lambda s: net.shortest_paths(s))
    t_scipy, d_scipy = per_source(lambda s: dijkstra(csr, directed=True, indices=s))
    for a, b in zip(d_ours, d_scipy):
        fin = np.isfinite(b)
        assert np.array_equal(np.isfinite(a), fin) and np.allclose(a[fin], b[fin], rtol=1e-9)
    per = len(sources)
    row(f"single-source Dijkstra (per source, {per} sources)", t_ours / per, t_scipy / per, "scipy")

    if not args.no_networkx:
        import networkx as nx

        rss_before = maxrss_mb()
        t0 = time.perf_counter()
        g = nx.DiGraph()
        g.add_nodes_from(range(n))
        g.add_weighted_edges_from(zip(f.tolist(), t.tolist(), time_s.tolist()), weight="w")
        build_nx = time.perf_counter() - t0
        # DiGraph keeps the last of parallel edges; fix them to the minimum like scipy_csr.
        for a, b, c in zip(f.tolist(), t.tolist(), time_s.tolist()):
            if g[a][b]["w"] > c:
                g[a][b]["w"] = c
        grew = maxrss_mb() - rss_before
        print(f"networkx DiGraph build {build_nx * 1e3:.0f} ms, max RSS grew {grew:.0f} MiB")
        k = min(2, len(sources))
        t0 = time.perf_counter()
        d_nx = [nx.single_source_dijkstra_path_length(g, int(s), weight="w") for s in sources[:k]]
        t_nx = (time.perf_counter() - t0) / k
        for s_i, d in enumerate(d_nx):
            vals = np.array([d[v] for v in sorted(d)])
            assert np.allclose(vals, d_ours[s_i][sorted(d)], rtol=1e-9)
        row(f"single-source Dijkstra (per source, x{k})", t_ours / len(sources), t_nx, "networkx")
        del g

    # Nearest facility of every node: one multi-source search vs scipy min_only.
    fac = rng.choice(n, args.facilities, replace=False)
    t_ours, near = best_of(lambda: net.nearest(fac), 3)
    t_scipy, (dist, _, _src) = best_of(
        lambda: dijkstra(csr, directed=True, indices=fac, min_only=True, return_predecessors=True), 3)
    fin = np.isfinite(dist)
    assert np.allclose(near["cost"].to_numpy()[fin], dist[fin], rtol=1e-9)
    row(f"nearest of {len(fac)} facilities, all nodes", t_ours, t_scipy, "scipy min_only")

    if args.pandana_nodes > 0:
        if args.osm or args.pandana_nodes == n:
            compare_pandana(n, f, t, time_s, x, y, fac, "the main graph")
        else:
            pn_n, pn_f, pn_t, pn_w, _, pn_x, pn_y = road_like_graph(args.pandana_nodes, with_xy=True)
            pn_fac = np.random.default_rng(7).choice(pn_n, min(args.facilities, pn_n), replace=False)
            compare_pandana(pn_n, pn_f, pn_t, pn_w, pn_x, pn_y, pn_fac,
                            f"a {pn_n}-node synthetic graph (seed 2026)")

    # Many-source matrix within a 15-minute cutoff (parallel on all cores vs scipy limit=).
    many = rng.choice(n, min(200, n), replace=False)
    t_ours, m = best_of(lambda: net.travel_time_matrix(many, cutoff=900.0), 2)
    t_scipy, dense = best_of(lambda: dijkstra(csr, directed=True, indices=many, limit=900.0), 1)
    assert len(m) == int(np.isfinite(dense).sum())
    row(f"{len(many)} sources x all nodes, cutoff 900 s", t_ours, t_scipy, "scipy limit")
    print(f"  (jangkau sparse result {len(m)} rows; scipy dense result {dense.nbytes / 2**20:.0f} MiB)")
    print(f"max RSS of this process: {maxrss_mb():.0f} MiB (start {rss0:.0f} MiB)")


if __name__ == "__main__":
    main()
