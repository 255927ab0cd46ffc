"""Where the time and the gap of `auto`'s LSCP path go, on the seeded SYNTHETIC instances of
benchmarks/bench_siting.py (same family, size, radius and seed as its rows; default: the two
10^4 x 10^3 rows, seed 3, r = 2.5 km): the figures of docs/siting.md § LSCP at 10⁴ × 10³.

For every row, in one process:

  reductions  the merged covering rows, then `reduce_set_cover` as `milp_lscp` runs it (6 rounds)
              and to a fixed point (50 rounds): rows kept, candidates dropped and forced, CPU s;
  bounds      on the reduced set cover: the LP bound (HiGHS LP) and the Lagrangian value of
              `siting_lscp_exact.subgradient` after 2,000 and 10,000 iterations (CPU s), both
              + the forced candidates; how many columns reduced-cost fixing would remove with
              an incumbent of `auto`'s answer, and the largest reduced cost;
  auto        one `siting.lscp(..., time_limit_s=budget)` call: wall and CPU s, answer, bound,
              and its stages from `extra` (search, Lagrangian stage, HiGHS);
  --highs S   HiGHS alone on the reduced set cover (no start) for at most S s: wall, CPU,
              status, answer and bound (+ forced);
  --prove S   `auto` again with a budget of S s: when (wall, CPU) it proves the row, if it does.

Prints the load with every row (the machine may be shared).

    python benchmarks/bench_lscp_profile.py                       # both 10^4 x 10^3 rows
    python benchmarks/bench_lscp_profile.py --family clustered --highs 60 --prove 40
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import scipy.sparse as sp
from bench_siting import make, parse_sizes

from jangkau.selection import siting, siting_lscp_exact as lx, siting_reductions
from jangkau.selection.milp import highs_lp, highspy_module, new_highs
from jangkau.selection.siting_instance import LSCP, pattern, prepare


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def highs_solve(a: sp.csr_matrix, integer: bool, cap: float | None):
    """min Σx over a·x ≥ 1, 0 ≤ x ≤ 1 (integer or LP) by HiGHS: (status, objective, bound, wall, cpu)."""
    highspy = highspy_module()
    h = new_highs(highspy)
    h.setOptionValue("output_flag", False)
    if cap is not None:
        h.setOptionValue("time_limit", float(cap))
    nr, nc = a.shape
    h.passModel(highs_lp(highspy, a, np.ones(nc), np.zeros(nc), np.ones(nc), np.ones(nr), np.full(nr, np.inf),
                         np.full(nc, integer)))
    c0, t0 = time.process_time(), time.perf_counter()
    h.run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    info = h.getInfo()
    bound = float(info.mip_dual_bound) if integer else float(info.objective_function_value)
    return h.modelStatusToString(h.getModelStatus()), float(info.objective_function_value), bound, wall, cpu


def profile(family: str, n: int, m: int, radius: float, seed: int, args) -> None:
    w, d, c = make(family, seed, n, m)
    cov = siting.coverage_matrix(d, c, radius_m=radius)
    pr = prepare(LSCP, w, cov, n_candidates=None, max_cost=None, groups=None, quotas=None, quota_mode="at_least",
                 fixed=None, precovered=None, zones=None, floors=None)
    csr = pattern(pr.csc.tocsr())
    need = np.flatnonzero(np.diff(csr.indptr) > 0)
    first, _ = siting_reductions.identical_rows(csr[need], values=False, merge=True)
    a = csr[need[first]]
    print(f"\n{family} {n} x {m}, r = {radius:g} m, seed {seed} ({load()}): {need.size} coverable rows, "
          f"{first.size} after merging identical rows")
    for rounds in (6, 50):
        c0 = time.process_time()
        kept, dropped, forced, _ = siting_reductions.reduce_set_cover(a, np.ones(pr.m, dtype=bool), rounds=rounds)
        print(f"  reductions, {rounds:>2} rounds at most: {kept.size} rows, {int(dropped.sum())} candidates dropped, "
              f"{int(forced.sum())} forced ({time.process_time() - c0:.2f} s CPU)")
        if rounds == 6:  # what milp_lscp runs
            red = a[kept][:, np.flatnonzero(~dropped & ~forced)].tocsc()
            red = sp.csr_matrix(red[:, np.diff(red.indptr) > 0])
            n_forced = int(forced.sum())
    print(f"  reduced set cover: {red.shape[0]} rows x {red.shape[1]} columns covering something, {red.nnz} entries")
    _, lp, _, lp_wall, _ = highs_solve(red, False, None)
    print(f"  LP bound: {lp + n_forced:.3f} ({lp_wall:.2f} s wall)")
    c0, t0 = time.process_time(), time.perf_counter()
    r = siting.lscp(w, cov, solver="auto", time_limit_s=args.budget)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    e = r.extra
    for it in (2000, 10000):
        c0 = time.process_time()
        rel = lx.subgradient(red, r.objective - n_forced, max_iter=it)
        print(f"  Lagrangian, {it} iterations at most: {rel.value + n_forced:.3f} after {rel.iterations} "
              f"({time.process_time() - c0:.2f} s CPU); reduced-cost fixing at UB = {r.objective:g} removes "
              f"{int(lx.reduced_cost_fixing(rel, int(r.objective) - n_forced).sum())} columns, largest "
              f"reduced cost {rel.rc.max():.3f}")
    highs_s = wall - e.get("search_time_s", 0.0) - e.get("lagrangian_time_s", 0.0)
    print(f"  auto, {args.budget:g} s budget ({load()}): {r.status}, {r.objective:g} sites, bound {r.bound:g}, "
          f"gap {100 * r.gap:.3f} %, {wall:.2f} s wall, {cpu:.2f} s CPU; search {e.get('search_time_s', 0):.2f} s, "
          f"Lagrangian stage {e.get('lagrangian_time_s', 0):.2f} s (value {e.get('lagrangian_value', float('nan')):.3f}, "
          f"cover {e.get('lagrangian_objective', float('nan')):g}, {e.get('milp_candidates_reduced_cost_fixed', 0)} "
          f"fixed), input + reductions + HiGHS {highs_s:.2f} s (HiGHS: {e.get('milp_status')}, "
          f"{e.get('milp_objective', float('nan')):g} / {e.get('milp_bound', float('nan')):g})")
    if args.highs:
        status, obj, bound, hw, hc = highs_solve(red, True, args.highs)
        print(f"  HiGHS alone on the reduced set cover, cap {args.highs:g} s ({load()}): {status}, "
              f"{obj + n_forced:g} sites, bound {bound + n_forced:g}, {hw:.2f} s wall, {hc:.2f} s CPU")
    if args.prove:
        c0, t0 = time.process_time(), time.perf_counter()
        p = siting.lscp(w, cov, solver="auto", time_limit_s=args.prove)
        print(f"  auto, {args.prove:g} s budget ({load()}): {p.status}, {p.objective:g} sites, bound {p.bound:g}, "
              f"{time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000x1000x25x2500x3", help="NxMxPxRADIUSxSEED items as in bench_siting.py")
    ap.add_argument("--family", choices=["uniform", "clustered", "both"], default="both")
    ap.add_argument("--budget", type=float, default=10.0, help="time budget of auto (s)")
    ap.add_argument("--highs", type=float, default=0.0, help="also HiGHS alone on the reduced model, cap in s")
    ap.add_argument("--prove", type=float, default=0.0, help="also auto with this budget (s)")
    args = ap.parse_args()
    families = ["uniform", "clustered"] if args.family == "both" else [args.family]
    print(f"load average at start: {os.getloadavg()}, cores: {os.cpu_count()}")
    for family in families:
        for n, m, _p, radius, seed in parse_sizes(args.sizes):
            profile(family, n, m, radius, seed, args)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
