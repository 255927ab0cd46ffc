"""MCLP, p-median and LSCP: jangkau `auto` (greedy + local search + certified bound, then the
HiGHS MILP warm-started), the greedy alone, the HiGHS MILP alone, and PySAL spopt (its pulp
model solved by HiGHS, as issue 16's target names it, or by CBC with --spopt-solver cbc) on the
same seeded SYNTHETIC instances, in one process, with ratios.

    python benchmarks/bench_siting.py                     # up to 10^4 x 10^3 (tens of minutes)
    python benchmarks/bench_siting.py --big               # adds 10^5 x 10^3
    python benchmarks/bench_siting.py --family clustered --sizes 1000x100x10x3000x0
    python benchmarks/bench_siting.py --threads-sweep     # engine threads 0 / 1 / 2, greedy only
    python benchmarks/bench_siting.py --models mclp --mclp-lagrangian off   # MCLP without the exact machinery
    python benchmarks/bench_siting.py --highs-options default   # auto's HiGHS with its default options
    python benchmarks/bench_siting.py --spopt-solver cbc  # spopt with CBC (the earlier passes' peer)

Families (50 km x 50 km square, integer weights):
  uniform    demand and candidates uniform, weights 1..100;
  clustered  demand in 12 Gaussian clusters (sd 2 km, cluster sizes and weights heavy-tailed:
             Pareto), candidates half near demand points (sd 1 km) and half uniform.
MCLP covers within `radius` metres (sparse KD-tree matrix); LSCP uses the same radius. p-median
uses the dense distance matrix where n*m <= --pmedian-dense-pairs, above that the k nearest
candidates per demand point (k = max(20, 4m/p), "pmed-kK": both jangkau and HiGHS solve that
sparser instance; spopt only runs dense instances).

Columns: time (wall, s) and objective per solver; `auto` also its status (optimal = proven, gap
0) and certified gap; greedy its certified gap; "HiGHS alone" (MCLP/LSCP: jangkau's MILP with its
preprocessing and no greedy start; p-median: solver="milp") and spopt get --cap seconds (spopt
only where n*m <= --spopt-max-pairs). spopt with HiGHS runs in this process with the relative
gap `auto` uses (1e-7; HiGHS's own default, 1e-4, would stop short of a proof), and its status
is "optimal" only where HiGHS proved the answer (pulp calls a time-limited HiGHS run "Optimal":
its solution status tells them apart). "spopt/auto" = spopt time / auto time where both proved
the same optimum, "greedy/opt" = greedy objective / proven optimum. CPU time of the whole
process is printed per row too (the machine may be shared: print the load with the figures),
then the CPU time of the `auto` call alone and, for p-median, the nodes of its Lagrangian
branch-and-bound ("-" where it did not run).
"""

from __future__ import annotations

import argparse
import functools
import os
import time

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from jangkau.errors import InfeasibleError
from jangkau.selection import siting, siting_milp
from jangkau.selection.siting_instance import LSCP, MCLP, prepare

SIDE_M = 50_000.0

# (n demand, m candidates, p, radius m)
DEFAULT_SIZES = [
    (1_000, 100, 10, 3_000.0),
    (5_000, 300, 20, 2_500.0),
    (10_000, 300, 25, 2_500.0),
    (10_000, 1_000, 25, 2_500.0),
]
BIG_SIZES = [(100_000, 1_000, 50, 2_000.0)]


def make(family: str, seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    if family == "uniform":
        d = rng.random((n, 2)) * SIDE_M
        c = rng.random((m, 2)) * SIDE_M
        w = rng.integers(1, 101, n).astype(np.float64)
        return w, d, c
    k = 12
    centres = 5_000 + rng.random((k, 2)) * (SIDE_M - 10_000)
    share = rng.pareto(1.2, k) + 1
    which = rng.choice(k, n, p=share / share.sum())
    d = np.clip(centres[which] + rng.normal(0, 2_000, (n, 2)), 0, SIDE_M)
    near = d[rng.integers(0, n, m - m // 2)] + rng.normal(0, 1_000, (m - m // 2, 2))
    c = np.vstack([np.clip(near, 0, SIDE_M), rng.random((m // 2, 2)) * SIDE_M])
    w = np.minimum(np.round(rng.pareto(1.5, n) * 10 + 1), 1000).astype(np.float64)
    return w, d, c


def knn_matrix(d, c, k):
    dist, idx = cKDTree(c).query(d, k=k)
    n = d.shape[0]
    return sp.csr_matrix((dist.ravel(), idx.ravel(), np.arange(0, n * k + 1, k)), shape=(n, c.shape[0]))


def dense_matrix(d, c):
    return np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])


#: Relative MIP gap of spopt's HiGHS: the `mip_gap` default of jangkau's siting calls.
SPOPT_HIGHS_GAP = 1e-7


def spopt_solver(name: str, cap: float):
    """The pulp solver spopt gets: HiGHS (in process, through highspy) or CBC (a child process)."""
    import pulp

    if name == "highs":
        return pulp.HiGHS(msg=False, timeLimit=cap, gapRel=SPOPT_HIGHS_GAP)
    return pulp.PULP_CBC_CMD(msg=False, timeLimit=cap)


def run_spopt(kind, dense, w, p, radius, cap, solver: str = "highs"):
    import pulp
    from spopt.locate import LSCP, MCLP, PMedian

    t0 = time.perf_counter()
    if kind == "mclp":
        model = MCLP.from_cost_matrix(dense, w, service_radius=radius, p_facilities=p)
    elif kind == "lscp":  # spopt calls an instance with an uncoverable point infeasible: leave those out
        model = LSCP.from_cost_matrix(dense[(dense <= radius).any(axis=1)], service_radius=radius)
    else:
        model = PMedian.from_cost_matrix(dense, w, p_facilities=p)
    try:
        model.solve(spopt_solver(solver, cap))
    except RuntimeError as e:  # spopt raises when CBC stops at the cap without a proven answer
        return time.perf_counter() - t0, None, f"cap: {str(e).split(':')[1].strip()[:8]}"
    elapsed = time.perf_counter() - t0
    status = pulp.LpStatus[model.problem.status].lower()
    if status == "optimal" and model.problem.sol_status != pulp.LpSolutionOptimal:
        status = "cap"  # a solution, not proven: pulp's status says "Optimal" for HiGHS's time limit too
    return elapsed, float(pulp.value(model.problem.objective)), status


def fmt(x, digits=4):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def timed(fn, *args, **kw):
    c0, t0 = time.process_time(), time.perf_counter()
    r = fn(*args, **kw)
    return r, time.perf_counter() - t0, time.process_time() - c0


def highs_alone(kind, w, matrix, p, radius, time_limit_s, threads):
    """MCLP / LSCP: the HiGHS MILP with jangkau's preprocessing and no greedy start (no
    incumbent: HiGHS finds its own solutions); None when it ends without one."""
    none = {"n_candidates": None, "groups": None, "quotas": None, "quota_mode": "at_least", "fixed": None, "precovered": None,
                "zones": None, "floors": None}
    pr = prepare(MCLP if kind == "mclp" else LSCP, w, matrix, max_cost=radius, **none)
    try:
        if kind == "mclp":
            return siting_milp.milp_mclp(pr, p, time_limit_s, 1e-7, threads)
        return siting_milp.milp_lscp(pr, time_limit_s, 1e-7, threads)
    except InfeasibleError:  # no solution of its own within the limit
        return None


def solve(kind, w, matrix, p, radius, **kw):
    if kind == "mclp":
        return siting.mclp(w, matrix, p, max_cost=radius, **kw)
    if kind == "lscp":
        return siting.lscp(w, matrix, max_cost=radius, **kw)
    return siting.p_median(w, matrix, p, **kw)


HEADER = (
    f"{'family':9} {'model':8} {'n':>7} {'m':>5} {'p':>3} | {'auto s':>7} {'status':>8} {'auto obj':>12} {'gap %':>7}"
    f" | {'greedy s':>8} {'greedy obj':>12} {'gap %':>7} | {'HiGHS s':>7} {'HiGHS obj':>12} {'status':>8}"
    f" | {'spopt s':>7} {'spopt obj':>12} {'status':>10} | {'spopt/auto':>10} {'greedy/opt':>10} | {'cpu s':>6}"
    f" | {'auto cpu':>8} {'nodes':>7}"
)


def bench_row(family, kind, label, w, matrix, dense, p, radius, args):
    c_row = time.process_time()
    a, ta, ca = timed(solve, kind, w, matrix, p, radius, time_limit_s=args.budget, threads=args.threads)
    g, tg, _ = timed(solve, kind, w, matrix, p, radius, solver="greedy", threads=args.threads)
    th = h = None
    n, m = (matrix.shape if hasattr(matrix, "shape") else dense.shape)
    pairs = n * m if kind != "pmedian" else matrix.nnz if sp.issparse(matrix) else n * m
    if pairs <= args.milp_max_pairs and kind in ("mclp", "lscp"):
        h, th, _ = timed(highs_alone, kind, w, matrix, p, radius, args.cap, args.threads)
    elif pairs <= args.milp_max_pairs:
        try:
            h, th, _ = timed(solve, kind, w, matrix, p, radius, solver="milp", time_limit_s=args.cap,
                             threads=args.threads)
        except InfeasibleError:  # solver="milp" without a solution of its own at the cap
            th = args.cap
    ts = os_ = ss = None
    if dense is not None and n * m <= args.spopt_max_pairs and (kind != "pmedian" or n * m <= args.spopt_pmedian_max_pairs):
        ts, os_, ss = run_spopt("pmedian" if kind == "pmedian" else kind, dense, w, p, radius, args.cap,
                                args.spopt_solver)
    proven = a.objective if a.status == "optimal" else (h.objective if h is not None and h.gap == 0 else None)
    ratio = None
    if os_ is not None and a.status == "optimal" and ss == "optimal" and abs(os_ - a.objective) <= 1e-6 * max(1, abs(a.objective)):
        ratio = ts / ta
    print(
        f"{family:9} {label:8} {n:>7} {m:>5} {p if kind != 'lscp' else '-':>3} | {ta:>7.3f} {a.status[:8]:>8}"
        f" {fmt(a.objective, 10):>12} {100 * a.gap:>7.3f} | {tg:>8.3f} {fmt(g.objective, 10):>12} {100 * g.gap:>7.3f}"
        f" | {fmt(th):>7} {fmt(h.objective if h else None, 10):>12}"
        f" {(h.status[:8] if h else 'no sol.' if th else '-'):>8}"
        f" | {fmt(ts):>7} {fmt(os_, 10):>12} {(ss or '-')[:10]:>10} | {fmt(ratio):>10}"
        f" {fmt(g.objective / proven if proven else None, 6):>10} | {time.process_time() - c_row:>6.1f}"
        f" | {ca:>8.2f} {a.extra.get('bb_nodes', '-'):>7}",
        flush=True,
    )


def threads_sweep(sizes, families, args):
    """Greedy (engine) wall and CPU time for threads = 0 (the default), 1, 2: the run with the
    median wall time of 3. p-median on the k-nearest matrix as in the main table."""
    print(f"{'family':9} {'model':8} {'n':>7} {'m':>5} {'p':>3} | " + " | ".join(
        f"t={t}: wall s / cpu s" for t in (0, 1, 2)))
    for family in families:
        for n, m, p, radius, seed in sizes:
            w, d, c = make(family, seed, n, m)
            cov = siting.coverage_matrix(d, c, radius_m=radius)
            k = int(min(m, max(20, np.ceil(4 * m / p))))
            todo = [("mclp", cov), ("lscp", cov), ("pmedian", None)]
            for kind, matrix in todo:
                if kind not in args.models.split(","):
                    continue
                if matrix is None:
                    matrix = knn_matrix(d, c, k)
                cells = []
                objs = set()
                for t in (0, 1, 2):
                    runs = []
                    for _ in range(3):
                        r, wall, cpu = timed(solve, kind, w, matrix, p, radius, solver="greedy", threads=t)
                        runs.append((wall, cpu))
                        objs.add(r.objective)
                    runs.sort()
                    cells.append(f"{runs[1][0]:>8.3f} / {runs[1][1]:>6.3f}")
                same = "same objective" if len(objs) == 1 else f"objectives differ: {sorted(objs)}"
                print(f"{family:9} {kind:8} {n:>7} {m:>5} {p:>3} | " + " | ".join(cells) + f" | {same}", flush=True)


def parse_sizes(text: str):
    """NxMxP[xRADIUS[xSEED]] items; the seed defaults to the item's position."""
    out = []
    for k, part in enumerate(text.split(",")):
        v = [float(x) for x in part.split("x")]
        out.append((int(v[0]), int(v[1]), int(v[2]), v[3] if len(v) > 3 else 2_500.0, int(v[4]) if len(v) > 4 else k))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big", action="store_true", help="add 10^5 x 10^3")
    ap.add_argument("--sizes", help="comma-separated NxMxP (radius 2.5 km), instead of the defaults")
    ap.add_argument("--family", choices=["uniform", "clustered", "both"], default="both")
    ap.add_argument("--models", default="mclp,pmedian,lscp")
    ap.add_argument("--budget", type=float, default=10.0, help="time budget of auto (s)")
    ap.add_argument("--cap", type=float, default=60.0, help="time cap of HiGHS alone and of spopt (s)")
    ap.add_argument("--spopt-solver", choices=["highs", "cbc"], default="highs",
                    help="the MILP solver spopt's pulp model goes to")
    ap.add_argument("--spopt-max-pairs", type=float, default=1.6e6, help="largest n*m given to spopt")
    ap.add_argument("--spopt-pmedian-max-pairs", type=float, default=1e5, help="largest n*m for spopt p-median")
    ap.add_argument("--milp-max-pairs", type=float, default=2e7, help="largest n*m (or nnz) given to HiGHS alone")
    ap.add_argument("--pmedian-dense-pairs", type=float, default=1e5, help="dense p-median up to this n*m")
    ap.add_argument("--threads", type=int, default=0, help="engine threads (0 = all cores)")
    ap.add_argument("--threads-sweep", action="store_true", help="time the greedy for threads 0, 1, 2")
    ap.add_argument("--mclp-lagrangian", choices=["on", "off", "noguard"], default="on",
                    help="off: auto's MCLP MILP without the Lagrangian bound, kernel and reduction (ablation); "
                         "noguard: with them but without the plain HiGHS attempt first (siting_guard)")
    ap.add_argument("--highs-options", choices=["proof", "default"], default="proof",
                    help="default: auto's MCLP / LSCP HiGHS runs with HiGHS's default options instead of "
                         "siting_milp.PROOF_HIGHS_OPTIONS (ablation)")
    args = ap.parse_args()
    proof = {"proof": args.highs_options == "proof"}
    if args.mclp_lagrangian == "off":  # the names auto calls (siting imports them from siting_milp)
        siting.milp_mclp = functools.partial(siting_milp.milp_mclp, lagrangian=False, **proof)
    elif args.mclp_lagrangian == "noguard":
        siting.milp_mclp = functools.partial(siting_milp.milp_mclp, guard=False, **proof)
    else:
        siting.milp_mclp = functools.partial(siting_milp.milp_mclp, **proof)
    siting.milp_lscp = functools.partial(siting_milp.milp_lscp, **proof)

    sizes = parse_sizes(args.sizes) if args.sizes else [
        (*size, seed) for seed, size in enumerate(DEFAULT_SIZES + (BIG_SIZES if args.big else []))
    ]
    families = ["uniform", "clustered"] if args.family == "both" else [args.family]
    print(f"load average at start: {open('/proc/loadavg').read().split()[:3]}, cores: {os.cpu_count()},"
          f" spopt solver: {args.spopt_solver}")
    if args.threads_sweep:
        threads_sweep(sizes, families, args)
        return
    print(HEADER)
    print("-" * len(HEADER))
    models = args.models.split(",")
    for family in families:
        for n, m, p, radius, seed in sizes:
            w, d, c = make(family, seed, n, m)
            dense = dense_matrix(d, c) if n * m <= max(args.spopt_max_pairs, args.pmedian_dense_pairs) else None
            cov = siting.coverage_matrix(d, c, radius_m=radius)
            if "mclp" in models:
                bench_row(family, "mclp", "mclp", w, cov, dense, p, radius, args)
            if "lscp" in models:
                bench_row(family, "lscp", "lscp", w, cov, dense, p, radius, args)
            if "pmedian" in models:
                if n * m <= args.pmedian_dense_pairs:
                    bench_row(family, "pmedian", "pmedian", w, dense, dense, p, None, args)
                else:
                    k = int(min(m, max(20, np.ceil(4 * m / p))))
                    bench_row(family, "pmedian", f"pmed-k{k}", w, knn_matrix(d, c, k), None, p, None, args)
    print(f"load average at end: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
