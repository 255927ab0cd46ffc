"""Benchmark: jangkau.network shortest paths vs scipy.sparse.csgraph and networkx.

Same seeded synthetic road-like graph (a perturbed grid with ~10 % of the streets removed,
~5 % one-way, random diagonals, parallel edges; weights = travel time in seconds), same
sources, same process. Prints both times and the ratio, and memory.

pandana is not installed in the development environment, so it is not compared.

    python benchmarks/bench_network.py                 # ~250 000 nodes, < 1 min
    python benchmarks/bench_network.py --large         # ~1 000 000 nodes
    python benchmarks/bench_network.py --nodes 40000   # any size
    python benchmarks/bench_network.py --osm ../shared/data/roads/osm_liechtenstein_valhalla.osm.pbf
                                                       # a real network (jangkau.roads)
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from jangkau.network import Network


def road_like_graph(nodes: int, seed: int = 2026):
    """Synthetic road-like graph with about `nodes` nodes (seeded, deterministic).

    Returns (node_count, from_node, to_node, time_s, length_m)."""
    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(nodes)))
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=250_000)
    ap.add_argument("--large", action="store_true", help="1 000 000 nodes")
    ap.add_argument("--sources", type=int, default=5, help="single-source searches timed")
    ap.add_argument("--facilities", type=int, default=200)
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--osm", help="an .osm.pbf file: benchmark its road network instead")
    args = ap.parse_args()
    nodes = 1_000_000 if args.large else args.nodes

    if args.osm:
        from jangkau.roads import RoadNetwork

        rn = RoadNetwork.from_osm(args.osm)
        n, f, t = rn.node_count, np.asarray(rn.edge_from), np.asarray(rn.edge_to)
        time_s, length_m = np.asarray(rn.edge_time_s), np.asarray(rn.edge_length_m)
        args.facilities = min(args.facilities, n // 10)
        print(f"road network of {args.osm}: {n} nodes, {len(f)} directed edges")
    else:
        n, f, t, time_s, length_m = road_like_graph(nodes)
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

    # Single source, full search (no cutoff). One source per call, as a user would.
    def ours_single():
        return [net.shortest_paths(int(s)) for s in sources]

    def scipy_single():
        return [dijkstra(csr, directed=True, indices=int(s)) for s in sources]

    t_ours, d_ours = best_of(ours_single, 3)
    t_scipy, d_scipy = best_of(scipy_single, 3)
    for a, b in zip(d_ours, d_scipy):
        fin = np.isfinite(b)
        assert np.array_equal(np.isfinite(a), fin) and np.allclose(a[fin], b[fin], rtol=1e-9)
    per = len(sources)
    row(f"single-source Dijkstra (per source, x{per})", t_ours / per, t_scipy / per, "scipy")

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
    t_scipy, (dist, _, src) = best_of(
        lambda: dijkstra(csr, directed=True, indices=fac, min_only=True, return_predecessors=True), 3)
    fin = np.isfinite(dist)
    assert np.allclose(near["cost"].to_numpy()[fin], dist[fin], rtol=1e-9)
    row(f"nearest of {len(fac)} facilities, all nodes", t_ours, t_scipy, "scipy min_only")

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
