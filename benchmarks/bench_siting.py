"""MCLP and p-median: jangkau (greedy + swap with certified bound; exact MILP via HiGHS)
against PySAL spopt (pulp + CBC) on the same seeded SYNTHETIC instances, in one process.

    python benchmarks/bench_siting.py            # default sizes, < 2 minutes
    python benchmarks/bench_siting.py --big      # adds 10^5 and 10^6 demand points (jangkau only)

Instances: demand points uniform in a 50 km × 50 km square with integer weights 1..100,
candidates uniform in the same square. MCLP covers within `radius` metres (sparse KD-tree
matrix for jangkau; spopt gets the dense matrix it needs). p-median uses the dense
distance matrix where spopt/HiGHS run (n·m <= 10^4 by default); above that jangkau gets the
matrix truncated to the k nearest candidates per demand point, k = max(20, 4m/p) ("pmed-kK":
a different, sparser instance, so no peer column there; skipped above --max-pmedian-pairs).
spopt runs only where n × m <= --spopt-max-pairs (MCLP) or --spopt-pmedian-max-pairs
(p-median: its n·m assignment variables make CBC slow: 1000 × 100 took over 3 minutes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from jangkau.selection import siting

SIDE_M = 50_000.0


def make(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    d = rng.random((n, 2)) * SIDE_M
    c = rng.random((m, 2)) * SIDE_M
    w = rng.integers(1, 101, n).astype(np.float64)
    return w, d, c


def knn_matrix(d, c, k):
    dist, idx = cKDTree(c).query(d, k=k)
    n = d.shape[0]
    return sp.csr_matrix((dist.ravel(), idx.ravel(), np.arange(0, n * k + 1, k)), shape=(n, c.shape[0]))


def run_spopt(kind, dense, w, p, radius):
    import pulp
    from spopt.locate import MCLP, PMedian

    t0 = time.perf_counter()
    if kind == "mclp":
        model = MCLP.from_cost_matrix(dense, w, service_radius=radius, p_facilities=p)
    else:
        model = PMedian.from_cost_matrix(dense, w, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    return time.perf_counter() - t0, float(pulp.value(model.problem.objective))


def fmt(x, unit=""):
    return "-" if x is None else (f"{x:.4g}{unit}" if isinstance(x, float) else str(x))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big", action="store_true", help="add 10^5 and 10^6 demand points (minutes)")
    ap.add_argument("--spopt-max-pairs", type=float, default=1.5e6, help="largest n*m given to spopt")
    ap.add_argument(
        "--spopt-pmedian-max-pairs", type=float, default=1e4, help="largest n*m for spopt p-median"
    )
    ap.add_argument("--milp-max-pairs", type=float, default=3e6, help="largest n*m given to the HiGHS MCLP")
    ap.add_argument(
        "--milp-pmedian-max-pairs", type=float, default=1e4, help="largest n*m for the HiGHS p-median"
    )
    ap.add_argument("--max-pmedian-pairs", type=float, default=4e7, help="largest truncated p-median matrix")
    ap.add_argument("--bound-iterations", type=int, default=300, help="Lagrangian bound iterations (greedy)")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()

    # (n demand, m candidates, p, MCLP radius m)
    sizes = [
        (300, 30, 5, 5_000.0),
        (1_000, 100, 10, 3_000.0),
        (5_000, 300, 20, 2_500.0),
        (10_000, 300, 25, 2_500.0),
    ]
    if args.big:
        sizes += [(100_000, 1_000, 50, 2_000.0), (1_000_000, 10_000, 100, 1_000.0)]
    header = (
        f"{'model':8} {'n':>8} {'m':>6} {'p':>4} | {'greedy s':>9} {'objective':>13} {'bound':>13} {'gap %':>7}"
        f" | {'HiGHS s':>8} {'HiGHS obj':>13} | {'spopt s':>8} {'spopt obj':>13} | {'speed-up':>8} {'obj ratio':>9}"
    )
    print(header)
    print("-" * len(header))
    for seed, (n, m, p, radius) in enumerate(sizes):
        w, d, c = make(seed, n, m)
        dense = None
        if n * m <= max(args.spopt_max_pairs, args.spopt_pmedian_max_pairs, args.milp_pmedian_max_pairs):
            dense = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])
        # ---------------- MCLP
        cov = siting.coverage_matrix(d, c, radius_m=radius)
        t0 = time.perf_counter()
        g = siting.mclp(
            w, cov, p, max_cost=radius, threads=args.threads, bound_iterations=args.bound_iterations
        )
        tg = time.perf_counter() - t0
        th = oh = None
        if n * m <= args.milp_max_pairs:
            t0 = time.perf_counter()
            e = siting.mclp(w, cov, p, max_cost=radius, solver="milp", time_limit_s=120)
            th, oh = time.perf_counter() - t0, e.objective
        ts = os_ = None
        if dense is not None and n * m <= args.spopt_max_pairs:
            ts, os_ = run_spopt("mclp", dense, w, p, radius)
        ref = os_ if os_ is not None else oh
        print(
            f"{'mclp':8} {n:>8} {m:>6} {p:>4} | {tg:>9.3f} {g.objective:>13.1f} {g.bound:>13.1f} {100 * g.gap:>7.3f}"
            f" | {fmt(th):>8} {fmt(oh):>13} | {fmt(ts):>8} {fmt(os_):>13} |"
            f" {fmt(ts / tg if ts else None):>8} {fmt(g.objective / ref if ref else None):>9}",
            flush=True,
        )
        # ---------------- p-median
        if dense is not None and n * m <= max(args.spopt_pmedian_max_pairs, args.milp_pmedian_max_pairs):
            matrix, label = dense, "pmedian"
        else:
            # k nearest candidates, enough that p open sites can serve everyone (k ≈ 4 m / p)
            k = int(min(m, max(20, np.ceil(4 * m / p))))
            if n * k > args.max_pmedian_pairs:
                print(
                    f"{'pmedian':8} {n:>8} {m:>6} {p:>4} | skipped: {n} x {k} nearest pairs > --max-pmedian-pairs"
                )
                continue
            matrix, label = knn_matrix(d, c, k), f"pmed-k{k}"
        t0 = time.perf_counter()
        g = siting.p_median(w, matrix, p, threads=args.threads, bound_iterations=args.bound_iterations)
        tg = time.perf_counter() - t0
        th = oh = None
        if n * m <= args.milp_pmedian_max_pairs:
            t0 = time.perf_counter()
            e = siting.p_median(w, matrix, p, solver="milp", time_limit_s=120)
            th, oh = time.perf_counter() - t0, e.objective
        ts = os_ = None
        if dense is not None and n * m <= args.spopt_pmedian_max_pairs:
            ts, os_ = run_spopt("pmedian", dense, w, p, None)
        ref = os_ if os_ is not None else oh
        print(
            f"{label:8} {n:>8} {m:>6} {p:>4} | {tg:>9.3f} {g.objective:>13.5g} {g.bound:>13.5g} {100 * g.gap:>7.3f}"
            f" | {fmt(th):>8} {fmt(oh):>13} | {fmt(ts):>8} {fmt(os_):>13} |"
            f" {fmt(ts / tg if ts else None):>8} {fmt(g.objective / ref if ref else None):>9}",
            flush=True,
        )


if __name__ == "__main__":
    main()
