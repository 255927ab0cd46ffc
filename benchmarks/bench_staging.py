"""Staged plans: jangkau's heuristic plans (myopic, sequenced + local search, greedy
certified bound) against the exact multi-period MILP solved by HiGHS on the same
instances, in one process. No other tool plans staged covering, so the peer is the exact
model itself: the ratio printed is heuristic objective / exact objective, and the
certified gap of the heuristic is checked against the exact optimum.

    python benchmarks/bench_staging.py                 # seeded SYNTHETIC instances, < 2 minutes
    python benchmarks/bench_staging.py --serang        # adds Kabupaten Serang (needs JANGKAU_DATA)

Instances: demand points in a 30 km × 30 km square, weights 1..100, candidates uniform;
family "uniform" (demand uniform) and "clustered" (demand around 5 centres, sd 2 km).
Coverage within 3 km; S stages with p sites each; 4 groups of candidates (quadrants),
stage 1 needs one site in each.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jangkau.selection import siting
from jangkau.selection.staging import StageSchedule, coverage_pattern, staged_mclp

SIDE_M = 30_000.0


def make(seed: int, n: int, m: int, family: str):
    rng = np.random.default_rng(seed)
    if family == "clustered":
        centres = rng.random((5, 2)) * SIDE_M
        d = np.clip(centres[rng.integers(0, 5, n)] + rng.normal(0, 2000.0, (n, 2)), 0, SIDE_M)
    else:
        d = rng.random((n, 2)) * SIDE_M
    c = rng.random((m, 2)) * SIDE_M
    w = rng.integers(1, 101, n).astype(np.float64)
    groups = np.array([f"q{int(x > SIDE_M / 2)}{int(y > SIDE_M / 2)}" for x, y in c], dtype=object)
    return w, d, c, groups


def one(w, pattern, schedule, groups, time_limit):
    t0 = time.perf_counter()
    g = staged_mclp(w, pattern, schedule, groups=groups, solver="greedy")
    tg = time.perf_counter() - t0
    t0 = time.perf_counter()
    e = staged_mclp(w, pattern, schedule, groups=groups, solver="milp", time_limit_s=time_limit)
    te = time.perf_counter() - t0
    return g, tg, e, te


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--serang", action="store_true")
    args = ap.parse_args()
    print(f"{'family':10} {'n':>6} {'m':>4} {'S×p':>5} {'seed':>4} | {'myopic/exact':>12} {'greedy/exact':>12} "
          f"{'greedy gap':>10} {'exact gap':>9} {'exact status':>18} | {'greedy s':>8} {'exact s':>8}")
    for family in ("uniform", "clustered"):
        for n, m, S, p in ((2000, 80, 4, 4), (5000, 150, 4, 6)):
            for seed in range(args.seeds):
                w, d, c, groups = make(seed, n, m, family)
                pattern = coverage_pattern(siting.coverage_matrix(d, c, radius_m=3000.0), 3000.0)
                schedule = StageSchedule((p,) * S)
                g, tg, e, te = one(w, pattern, schedule, groups, args.time_limit)
                assert g.objective <= e.bound + 1e-6 and e.objective <= g.bound + 1e-6
                print(f"{family:10} {n:6d} {m:4d} {S}×{p:<3d} {seed:4d} | {g.myopic / e.objective:12.5f} "
                      f"{g.objective / e.objective:12.5f} {100 * g.gap:9.2f}% {100 * e.gap:8.2f}% "
                      f"{e.status:>18} | {tg:8.2f} {te:8.2f}")
    if args.serang:
        from jangkau.data.region import Region
        from jangkau.selection.siting import demand_points

        r = Region.load("serang")
        desa = r.zones("desa", crs=r.working_crs)
        dm = demand_points(desa, 500.0)
        c = siting.candidate_points(r, "desa", desa.crs)
        pattern = coverage_pattern(siting.coverage_matrix(
            np.column_stack([dm.geometry.x, dm.geometry.y]), np.column_stack([c.geometry.x, c.geometry.y]),
            radius_m=2000.0), 2000.0)
        kmap = dict(zip(r.dapil["kecamatan_code"].astype(str), r.dapil["dapil"])) if r.dapil is not None else {}
        groups = np.array([kmap.get(str(k)) for k in c["kecamatan_code"]], dtype=object)
        g, tg, e, te = one(dm["population"].to_numpy(), pattern, StageSchedule((5, 5, 5, 5)), groups,
                           args.time_limit)
        print(f"{'serang':10} {len(dm):6d} {len(c):4d} 4×5   {'-':>4} | {g.myopic / e.objective:12.5f} "
              f"{g.objective / e.objective:12.5f} {100 * g.gap:9.2f}% {100 * e.gap:8.2f}% {e.status:>18} | "
              f"{tg:8.2f} {te:8.2f}")


if __name__ == "__main__":
    main()
