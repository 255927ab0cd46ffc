"""Benchmark: 2SFCA / E2SFCA end to end, jangkau vs PySAL ``access``.

Same seeded synthetic road-like graph as bench_network.py (travel time in seconds), synthetic
demand points (random nodes with random populations) and facilities (random nodes with
random capacities). End to end means: network costs facility -> demand within the
catchment, the cost table, then the index.

* jangkau: ``jangkau.network.access.on_network`` — one engine call: one bounded search per facility
           (both cores) whose pairs feed 2SFCA and E2SFCA at once, no cost table; also
           timed the table way: ``Network.travel_time_matrix`` + ``two_sfca`` / ``e2sfca``.
* peer:    ``scipy.sparse.csgraph.dijkstra(indices=facilities, limit=cutoff)`` (PySAL access
           has no network routing), the long-format pandas cost table PySAL needs, then
           ``access.Access(...).two_stage_fca`` / ``enhanced_two_stage_fca``.

The index alone on the same cost table is timed too. Results are checked equal (1e-9).
End-to-end times are the best of 3 runs for each side.

    python benchmarks/bench_access.py             # 250 000 nodes, 4 000 demand points, 100 facilities
    python benchmarks/bench_access.py --large     # 1 000 000 nodes, 20 000 demand points, 300 facilities
    python benchmarks/bench_access.py --dump-graph /tmp/graph.bin   # also write the graph for relax_floor.cpp
    python benchmarks/bench_access.py --osm ../shared/data/roads/osm_liechtenstein_valhalla.osm.pbf --cutoff-min 10
                                                  # a real OSM road network (largest component)

It also prints the work both sides do — the nodes the bounded searches settle (the same for
both: same graph, same cutoff) — and the time per settled node per core, beside the time
per settled node a 20x ratio would need. ``relax_floor.cpp`` measures on the dumped graph
what one relaxation sweep costs per node with no queue at all, a floor for any such search.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_network import best_of as timed, maxrss_mb, road_like_graph, scipy_csr

import jangkau.network.access as ja
from jangkau.network import Network


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--cutoff-min", type=float, default=30.0)
    ap.add_argument("--osm", type=Path, default=None,
                    help="an .osm.pbf file: its road network (largest component) instead of the synthetic graph")
    ap.add_argument("--dump-graph", type=Path, default=None,
                    help="write the graph (CSR, little endian) for benchmarks/relax_floor.cpp")
    args = ap.parse_args()
    nodes, n_demand, n_fac = (1_000_000, 20_000, 300) if args.large else (250_000, 4_000, 100)
    cutoff_s = args.cutoff_min * 60.0

    import access  # PySAL access

    if args.osm is not None:
        from jangkau.network.roads import RoadNetwork

        rn = RoadNetwork.from_osm(args.osm, keep_largest=True)
        n, f, t, time_s = rn.node_count, np.asarray(rn.edge_from), np.asarray(rn.edge_to), np.asarray(rn.edge_time_s)
        n_demand, n_fac = min(n_demand, n // 2), min(n_fac, max(2, n // 40))
        source = f"road network of {args.osm.name} (largest component)"
    else:
        n, f, t, time_s, _ = road_like_graph(nodes)
        source = "synthetic"
    rng = np.random.default_rng(11)
    demand_nodes = rng.choice(n, n_demand, replace=False)
    fac_nodes = rng.choice(n, n_fac, replace=False)
    population = rng.integers(100, 5000, n_demand).astype(float)  # synthetic
    capacity = rng.integers(1, 20, n_fac).astype(float)  # synthetic
    net = Network.from_edges(f, t, node_count=n, time_s=time_s)
    csr = scipy_csr(n, f, t, time_s)
    print(f"{source}: {n} nodes, {len(f)} edges, {n_demand} demand points, {n_fac} facilities "
          f"(synthetic, seed 11), catchment {args.cutoff_min:g} min")

    # ---- jangkau end to end: one engine call, one bounded search per facility serving both
    # indices (the peer's single cost table feeds both of its indices too)
    indices = {"2sfca": ja.Catchment.two_sfca(args.cutoff_min), "e2sfca": ja.Catchment.e2sfca()}

    def ours():
        res = ja.on_network(net, fac_nodes, demand_nodes, population, capacity, indices, cutoff=cutoff_s,
                            cost_divisor=60.0)
        return res["2sfca"], res["e2sfca"]

    t_ours, (r2, re) = timed(ours, 3)

    # ---- jangkau with its cost table (Network.travel_time_matrix, then the index functions)
    def ours_table():
        tt = net.travel_time_matrix(fac_nodes, demand_nodes, cutoff=cutoff_s)
        minutes = tt["cost"].to_numpy() / 60.0
        t2 = ja.two_sfca(tt["target"].to_numpy(), tt["source"].to_numpy(), minutes, population, capacity,
                         max_cost=args.cutoff_min)
        te = ja.e2sfca(tt["target"].to_numpy(), tt["source"].to_numpy(), minutes, population, capacity)
        return tt, t2, te

    t_table, (tt, t2, te) = timed(ours_table, 3)
    # One search per facility, same pair costs, same summation order: equal to the last bit.
    assert np.array_equal(r2.access, t2.access) and np.array_equal(re.access, te.access)

    # ---- peer end to end
    def peer():
        rows = []
        for chunk in np.array_split(np.arange(n_fac), max(1, n_fac // 25)):
            d = dijkstra(csr, directed=True, indices=fac_nodes[chunk], limit=cutoff_s)[:, demand_nodes]
            j, i = np.nonzero(np.isfinite(d))
            rows.append(pd.DataFrame({"origin": i, "dest": chunk[j], "cost": d[j, i] / 60.0}))
        cost_df = pd.concat(rows, ignore_index=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            A = access.Access(
                demand_df=pd.DataFrame({"geoid": np.arange(n_demand), "pop": population}),
                demand_index="geoid", demand_value="pop",
                supply_df=pd.DataFrame({"geoid": np.arange(n_fac), "doc": capacity}), supply_index="geoid",
                supply_value=["doc"], cost_df=cost_df, cost_origin="origin", cost_dest="dest",
                cost_name="cost")
            p2 = A.two_stage_fca(name="x", max_cost=args.cutoff_min)
            pe = A.enhanced_two_stage_fca(name="e")
        return cost_df, A, p2, pe

    t_peer, (cost_df, A, p2, pe) = timed(peer, 3)
    import logging

    logging.getLogger("access").setLevel(logging.WARNING)  # its INFO lines on repeated names
    p2v = p2["x_doc"].reindex(range(n_demand)).fillna(0).to_numpy()
    pev = pe["e_doc"].reindex(range(n_demand)).fillna(0).to_numpy()
    assert len(cost_df) == len(tt)
    assert np.allclose(r2.access, p2v, rtol=1e-9, atol=0) and np.allclose(re.access, pev, rtol=1e-9, atol=0)
    print(f"cost table: {len(tt)} pairs within {args.cutoff_min:g} min; results equal to PySAL (rtol 1e-9)")
    print(f"{'2SFCA + E2SFCA end to end':<40} jangkau {t_ours * 1e3:9.1f} ms   PySAL access + scipy "
          f"{t_peer * 1e3:9.1f} ms   ratio {t_peer / t_ours:6.1f}x")
    print(f"{'  same, jangkau via its cost table':<40} jangkau {t_table * 1e3:9.1f} ms   PySAL access + scipy "
          f"{t_peer * 1e3:9.1f} ms   ratio {t_peer / t_table:6.1f}x")

    # ---- index only, same cost table (best of 3)
    d_idx, s_idx, minutes = tt["target"].to_numpy(), tt["source"].to_numpy(), tt["cost"].to_numpy() / 60.0
    def ours_index():
        return ja.two_sfca(d_idx, s_idx, minutes, population, capacity, max_cost=args.cutoff_min)

    t_o, _ = timed(ours_index, 3)

    def peer_index():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return A.two_stage_fca(name="y", max_cost=args.cutoff_min)

    t_p, _ = timed(peer_index, 3)
    print(f"{'2SFCA index only (same cost table)':<40} jangkau {t_o * 1e3:9.1f} ms   PySAL access        "
          f"{t_p * 1e3:9.1f} ms   ratio {t_p / t_o:6.1f}x")

    # ---- from the same COO travel times: PySAL also builds its DataFrame table and object
    def peer_from_coo():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cdf = pd.DataFrame({"origin": d_idx, "dest": s_idx, "cost": minutes})
            B = access.Access(
                demand_df=pd.DataFrame({"geoid": np.arange(n_demand), "pop": population}),
                demand_index="geoid", demand_value="pop",
                supply_df=pd.DataFrame({"geoid": np.arange(n_fac), "doc": capacity}), supply_index="geoid",
                supply_value=["doc"], cost_df=cdf, cost_origin="origin", cost_dest="dest", cost_name="cost")
            return B.two_stage_fca(name="z", max_cost=args.cutoff_min)

    t_q, _ = timed(peer_from_coo, 3)
    print(f"{'2SFCA from COO costs (PySAL builds table)':<40} jangkau {t_o * 1e3:9.1f} ms   "
          f"PySAL access        {t_q * 1e3:9.1f} ms   ratio {t_q / t_o:6.1f}x")
    # ---- the work: nodes settled by the bounded searches (the same nodes for both sides)
    settled = 0
    for chunk in np.array_split(np.arange(n_fac), max(1, n_fac // 25)):
        settled += int(np.isfinite(dijkstra(csr, directed=True, indices=fac_nodes[chunk], limit=cutoff_s)).sum())
    cores = os.cpu_count() or 1
    need = t_peer / 20.0
    print(f"work: {n_fac} bounded searches settle {settled:,} nodes; jangkau "
          f"{t_ours * 1e9 * cores / settled:.1f} ns per settled node per core ({cores} cores), peer "
          f"{t_peer * 1e9 / settled:.1f} ns per settled node (one core); a 20x ratio needs "
          f"<= {need * 1e3:.1f} ms = {need * 1e9 * cores / settled:.1f} ns per settled node per core")
    if args.dump_graph is not None:
        order = np.lexsort((t, f))
        offsets = np.zeros(n + 1, np.int64)
        np.add.at(offsets, f + 1, 1)
        with open(args.dump_graph, "wb") as fh:
            np.array([n, len(f)], "<i8").tofile(fh)
            np.cumsum(offsets).astype("<i8").tofile(fh)
            t[order].astype("<i4").tofile(fh)
            time_s[order].astype("<f8").tofile(fh)
        print(f"graph written to {args.dump_graph} (for benchmarks/relax_floor.cpp)")
    print(f"max RSS of this process: {maxrss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
