"""The engine's MCLP Lagrangian branch-and-bound (core/siting_mclp_bb.hpp) on the seeded
SYNTHETIC instances of benchmarks/bench_siting.py: can it prove the optimum within a budget?

For each NxMxP[xRADIUSxSEED] item: the greedy (solver="greedy", with the engine's Lagrangian
bound), then the B&B over the instance's rows (identical rows merged, weights summed) from the
greedy's sites and, with --start-budget S, from `auto`'s answer after S seconds (a near-optimal
start, so the tree only has to prove). The peer: HiGHS alone (solver="milp": jangkau's MILP with
its preprocessing, no start) with the same budget. Prints per run the root bound, the incumbent,
the bound at the end, nodes, nodes per CPU second, proven or not, wall and CPU seconds, the ratio
B&B / HiGHS wall time where both proved the optimum, and the load.

    python benchmarks/bench_mclp_bb.py --family clustered --sizes 10000x1000x25x2500x3 --budget 10
    python benchmarks/bench_mclp_bb.py --family clustered --sizes 5000x300x20x2500x1 --start-budget 20
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import scipy.sparse as sp
from bench_siting import make, parse_sizes

from jangkau.selection import siting
from jangkau.selection.siting_mclp_exact import branch_and_bound


def merged_rows(cov: sp.spmatrix, w: np.ndarray):
    """Rows with the same candidate set merged (weights summed); rows no candidate covers dropped."""
    csr = sp.csr_matrix(cov)
    csr.data[:] = 1
    keep = np.diff(csr.indptr) > 0
    csr, w = csr[keep], w[keep]
    keys = [csr.indices[csr.indptr[i]:csr.indptr[i + 1]].tobytes() for i in range(csr.shape[0])]
    _, first, inverse = np.unique(np.array(keys, dtype=object), return_index=True, return_inverse=True)
    return csr[first], np.bincount(inverse, weights=w, minlength=first.size)


def run(label, a, w, p, start, budget, peer=None):
    """One B&B run; ``peer`` = (proven, wall s) of HiGHS on the same instance for the ratio."""
    c0, t0 = time.process_time(), time.perf_counter()
    bb = branch_and_bound(a, w, p, np.ones(a.shape[1], bool), start, budget)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    ratio = f"{wall / peer[1]:.2f}" if peer is not None and peer[0] and bb.proven else "-"
    print(f"  B&B from {label:8} root bound {bb.root_bound:12.1f}  incumbent {bb.objective:10.0f}  bound "
          f"{bb.bound:12.1f}  gap {100 * (bb.bound - bb.objective) / bb.bound:6.3f} %  nodes {bb.nodes:6d} "
          f"({bb.nodes / max(cpu, 1e-9):7.1f}/cpu s)  proven {bb.proven!s:5}  wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
          f"B&B/HiGHS {ratio}  load {os.getloadavg()[0]:.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", choices=["uniform", "clustered"], default="clustered")
    ap.add_argument("--sizes", default="10000x1000x25x2500x3", help="comma-separated NxMxP[xRADIUS[xSEED]]")
    ap.add_argument("--budget", type=float, default=10.0, help="time budget of each B&B run (s)")
    ap.add_argument("--start-budget", type=float, default=0.0,
                    help="also run the B&B from auto's answer after this many seconds (0 = not)")
    args = ap.parse_args()
    for n, m, p, radius, seed in parse_sizes(args.sizes):
        w, d, c = make(args.family, seed, n, m)
        cov = siting.coverage_matrix(d, c, radius_m=radius)
        a, mw = merged_rows(cov, w)
        c0 = time.process_time()
        g = siting.mclp(w, cov, p, max_cost=radius, solver="greedy")
        print(f"{args.family} {n} x {m}, p = {p}, r = {radius:g} m, seed {seed}: {a.shape[0]} merged rows, "
              f"{a.nnz} entries; greedy {g.objective:.0f}, engine bound {g.bound:.1f} "
              f"(cpu {time.process_time() - c0:.2f} s), load {os.getloadavg()[0]:.2f}", flush=True)
        # the peer: HiGHS alone (jangkau's MILP with its preprocessing, no start), same budget
        c0, t0 = time.process_time(), time.perf_counter()
        h = siting.mclp(w, cov, p, max_cost=radius, solver="milp", time_limit_s=args.budget)
        peer = (h.status == "optimal", time.perf_counter() - t0)
        print(f"  HiGHS alone: {h.objective:.0f} ({h.status}, bound {h.bound:.1f})  wall {peer[1]:6.2f} s  "
              f"cpu {time.process_time() - c0:6.2f} s  load {os.getloadavg()[0]:.2f}", flush=True)
        run("greedy", a, mw, p, np.sort(np.asarray(g.sites)), args.budget, peer)
        if args.start_budget > 0:
            r = siting.mclp(w, cov, p, max_cost=radius, time_limit_s=args.start_budget)
            print(f"  auto after {args.start_budget:g} s: {r.objective:.0f} ({r.status}, bound {r.bound:.1f})")
            run("auto", a, mw, p, np.sort(np.asarray(r.sites)), args.budget, peer)


if __name__ == "__main__":
    main()
