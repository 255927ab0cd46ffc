"""The p-median Lagrangian branch-and-bound of `auto` (engine/core/siting_pmedian_bb.hpp) on its
own, on the seeded SYNTHETIC rows of benchmarks/bench_siting.py (same family, size, seed and
k-nearest matrix), from the same greedy start `auto` uses: root bound against iterations, nodes,
nodes per second, the bound reached, and one or two threads.

    python benchmarks/bench_pmedian_bb.py                                   # uniform 10^4 x 300 and 10^4 x 10^3
    python benchmarks/bench_pmedian_bb.py --root-sweep 1000,3000 --threads 1,2   # root only: bound vs steps
    python benchmarks/bench_pmedian_bb.py --threads 1,2 --time-limit 10     # the tree with one and two threads
    python benchmarks/bench_pmedian_bb.py --lp 2000x200x20                  # root bound against HiGHS's LP
    python benchmarks/bench_pmedian_bb.py --sizes "" --real serang:60 --root-sweep 3000 --threads 1
                                            # REAL Kabupaten Serang, all pairs (needs JANGKAU_DATA)

Every row prints the load, the wall time and the CPU time of the process during the call (two
threads use up to twice the wall time in CPU). `--lp NxMxP` solves the LP relaxation of the same
k-nearest p-median model (HiGHS via scipy.optimize.linprog) on a smaller uniform instance and
prints the root bound's shortfall to it: the Lagrangian dual of the assignment constraints equals
that LP, so the shortfall is how far the root's subgradient schedule is from converged.
`--real REGION:P[:R]` adds a REAL row: the demand and candidates of
benchmarks/bench_milp_preprocessing.py (500 m demand grid, the region's population areally
weighted to desa; desa representative points), every pair or those within R metres.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

sys.path.insert(0, os.path.dirname(__file__))
from bench_siting import dense_matrix, knn_matrix, make, parse_sizes

from jangkau import _core
from jangkau.selection import siting, siting_pmedian_bb
from jangkau.selection.siting_instance import PMEDIAN, prepare

# the two rows of bench_siting.py's defaults the B&B did not prove in 10 s (uniform; seeds 2, 3)
DEFAULT_ROWS = "10000x300x25x2500x2,10000x1000x25x2500x3"
# a plain p-median: no quotas, fixed sites, precovered demand or zones
NO_OPTIONS = {"n_candidates": None, "groups": None, "quotas": None, "quota_mode": "at_least", "fixed": None,
              "precovered": None, "zones": None, "floors": None}


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def instance(family: str, n: int, m: int, p: int, seed: int):
    w, d, c = make(family, seed, n, m)
    k = int(min(m, max(20, np.ceil(4 * m / p))))
    return prepare(PMEDIAN, w, knn_matrix(d, c, k), max_cost=None, **NO_OPTIONS), k


def greedy(pr, p: int, iterations: int):
    """`auto`'s first stage: the C++ greedy + search and `iterations` steps of its Lagrangian bound."""
    g = siting._greedy(PMEDIAN, pr, p, 0, True, None, iterations)
    return g, g.extra.get("lagrange_multipliers")


def run_bb(pr, p, g, mu, time_limit_s, threads=1, node_limit=siting_pmedian_bb.BB_NODE_LIMIT, strongest=False,
           **schedule):
    c0, t0 = time.process_time(), time.perf_counter()
    b = siting_pmedian_bb.branch_and_bound(pr, p, g.sites, mu, time_limit_s, 1e-9, threads, node_limit=node_limit,
                                           schedule=_core.SubgradientSchedule(**schedule), strongest_closing=strongest)
    return b, time.perf_counter() - t0, time.process_time() - c0


def lp_bound(pr, p: int) -> float:
    """LP of min Σ w_i c_ij x_ij over the stored pairs, Σ_j x_ij = 1, x_ij <= y_j, Σ y = p."""
    csc = pr.csc.tocoo()
    i, j, c = csc.row, csc.col, csc.data
    ne, m, n = c.size, pr.m, pr.n
    pair = np.arange(ne)
    eq = sp.coo_matrix((np.ones(ne + m), (np.r_[i, np.full(m, n)], np.r_[pair, ne + np.arange(m)])),
                       shape=(n + 1, ne + m))
    ub = sp.coo_matrix((np.r_[np.ones(ne), -np.ones(ne)], (np.r_[pair, pair], np.r_[pair, ne + j])), shape=(ne, ne + m))
    res = linprog(np.r_[pr.w[i] * c, np.zeros(m)], A_ub=ub.tocsr(), b_ub=np.zeros(ne), A_eq=eq.tocsr(),
                  b_eq=np.r_[np.ones(n), p], bounds=(0, 1), method="highs")
    return float(res.fun)


def real_row(region: str, within: str | None):
    """The REAL instance of bench_milp_preprocessing.py: every pair (a dense matrix) or the pairs
    within `within` metres."""
    from bench_milp_preprocessing import real_instance

    w, d, c = real_instance(region, 500.0)
    if within is None:
        matrix = dense_matrix(d, c)
        label = "all pairs"
    else:
        matrix = siting.coverage_matrix(d, c, float(within))
        label = f"pairs within {float(within):g} m"
    return prepare(PMEDIAN, w, matrix, max_cost=None, **NO_OPTIONS), label


def run_row(label: str, pr, p: int, args, sched) -> None:
    """The greedy start, then the root sweep or the tree runs of one row."""
    g, mu = greedy(pr, p, args.greedy_iterations)
    print(f"{label}: greedy {g.objective:.10g} bound {g.bound:.10g} "
          f"({g.time_s:.2f} s), {load()}")
    if args.root_sweep:
        for it, threads in ((int(x), int(t)) for x in args.root_sweep.split(",") for t in args.threads.split(",") if t):
            b, wall, cpu = run_bb(pr, p, g, mu, None, threads=threads, node_limit=1, root_iterations=it)
            rb = b.extra["bb_root_bound"]
            print(f"  root {it:>6} steps, {threads} thread(s): bound {rb:.10g}, {100 * (b.objective - rb) / b.objective:.4f} % below "
                  f"incumbent {b.objective:.10g}; {wall:.2f} s wall / {cpu:.2f} s CPU, {load()}")
    rules = ["fractional", "strongest"] if args.branching == "both" else [args.branching]
    limit = args.time_limit if args.time_limit > 0 else None
    runs = [(int(t), r) for t in args.threads.split(",") if t and not args.root_sweep for r in rules]
    for threads, rule in runs:
        b, wall, cpu = run_bb(pr, p, g, mu, limit, threads=threads, strongest=rule == "strongest", **sched)
        nodes = b.extra["bb_nodes"]
        print(f"  tree, {threads} thread(s), {rule} branching, schedule {sched or 'default'}: {b.status}, "
              f"objective {b.objective:.10g}, bound {b.bound:.10g}, "
              f"gap {100 * b.gap:.4f} %, root bound {b.extra['bb_root_bound']:.10g}, nodes {nodes} "
              f"({nodes / wall:.0f}/s), open {b.extra['bb_open_nodes']}; {wall:.2f} s wall / {cpu:.2f} s CPU, "
              f"{load()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", choices=["uniform", "clustered"], default="uniform")
    ap.add_argument("--sizes", default=DEFAULT_ROWS, help="NxMxPxRADIUSxSEED items (bench_siting.py's rows)")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per branch-and-bound call (0: none)")
    ap.add_argument("--threads", default="1,2", help="branch-and-bound threads to run, comma-separated")
    ap.add_argument("--root-sweep", help="root iterations to try with the root alone (node limit 1)")
    ap.add_argument("--schedule", default="", help="SubgradientSchedule fields for the tree, e.g. node_iterations=50")
    ap.add_argument("--greedy-iterations", type=int, default=siting.BB_GREEDY_ITERATIONS,
                    help="subgradient steps of the greedy's bound before the tree (default: auto's, "
                         "BB_GREEDY_ITERATIONS)")
    ap.add_argument("--branching", default="fractional", help="fractional, strongest or both (tree rows)")
    ap.add_argument("--lp", help="NxMxP[xSEED]: uniform instance (seed default 0) for the root bound against the LP")
    ap.add_argument("--real", default="", help="REGION:P[:R] items, comma-separated: REAL rows (all pairs, or within R m)")
    args = ap.parse_args()
    sched = {k: (float(v) if "theta" in k else int(v)) for k, v in (x.split("=") for x in args.schedule.split(",") if x)}
    print(f"load average at start: {open('/proc/loadavg').read().split()[:3]}, cores: {os.cpu_count()}")
    if args.lp:
        n, m, p, seed = ([int(x) for x in args.lp.split("x")] + [0])[:4]
        pr, k = instance("uniform", n, m, p, seed)
        g, mu = greedy(pr, p, args.greedy_iterations)
        t0 = time.process_time()
        lp = lp_bound(pr, p)
        lp_cpu = time.process_time() - t0
        print(f"uniform {n}x{m} p={p} k={k}: incumbent {g.objective:.6g}, LP {lp:.10g} ({lp_cpu:.1f} s CPU), {load()}")
        b, wall, cpu = run_bb(pr, p, g, mu, None, node_limit=1)
        print(f"  root bound {b.extra['bb_root_bound']:.10g}: {100 * (lp - b.extra['bb_root_bound']) / lp:.4f} % "
              f"below the LP; root {wall:.2f} s wall / {cpu:.2f} s CPU")
        b, wall, cpu = run_bb(pr, p, g, mu, args.time_limit, **sched)
        print(f"  tree: {b.status}, objective {b.objective:.10g}, LP gap {100 * (b.objective - lp) / b.objective:.4f} %,"
              f" nodes {b.extra['bb_nodes']}, {wall:.2f} s wall / {cpu:.2f} s CPU, {load()}")
    for n, m, p, radius, seed in parse_sizes(args.sizes) if args.sizes else []:
        del radius
        pr, k = instance(args.family, n, m, p, seed)
        run_row(f"{args.family} {n}x{m} p={p} k={k} seed {seed}", pr, p, args, sched)
    for item in (x for x in args.real.split(",") if x):
        region, p, *within = item.split(":")
        pr, pairs = real_row(region, within[0] if within else None)
        run_row(f"REAL {region} {pr.n}x{pr.m} p={p} {pairs}", pr, int(p), args, sched)
    print(f"load average at end: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
