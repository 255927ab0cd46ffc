"""MILP preprocessing (identical demand rows merged) on real geometry, with and without it.

Kabupaten Serang (REAL desa boundaries, the region's population areally weighted to desa):
demand = ``siting.demand_points(desa, spacing)``, candidates = desa representative points;
MCLP (radius r) and LSCP (radius r) solved exactly by HiGHS twice in the same process: with the
merge and with ``merge_rows=False``. Prints rows, time, objective and the time ratio; both runs
must reach the same proven optimum. Needs the data directory (JANGKAU_DATA).

    python benchmarks/bench_milp_preprocessing.py [--spacing 500] [--radius 2000] [--p 15]

``--p-median R`` instead times the p-median MILP (pairs within R metres) under a wall-clock
budget (``--time-limit``): how long HiGHS really takes, against the budget, and what
``solver="auto"`` does with the same budget.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import jangkau
from jangkau.selection import siting, siting_milp
from jangkau.selection.siting_instance import LSCP, MCLP, prepare


def real_instance(region_name: str, spacing: float):
    """Demand weights, demand xy and candidate xy (working CRS, metres) of a REAL region:
    ``siting.demand_points(desa, spacing)`` with the areally weighted population, candidates
    the desa representative points."""
    region = jangkau.Region.load(region_name)
    desa = region.zones("desa", crs=region.working_crs)
    if "population" not in desa or desa["population"].isna().all():
        desa["population"] = 1.0
    demand = siting.demand_points(desa, spacing)
    cand = siting.candidate_points(region, "desa", region.working_crs)
    d = np.column_stack([demand.geometry.x, demand.geometry.y])
    c = np.column_stack([cand.geometry.x, cand.geometry.y])
    return demand["population"].to_numpy(), d, c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--region", default="serang")
    ap.add_argument("--spacing", type=float, default=500.0, help="demand grid spacing in metres")
    ap.add_argument("--radius", type=float, default=2000.0, help="service radius in metres")
    ap.add_argument("--p", type=int, default=15)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--p-median", type=float, default=None, metavar="R",
                    help="time the p-median MILP on pairs within R metres instead")
    args = ap.parse_args()

    w, d, c = real_instance(args.region, args.spacing)
    if args.p_median is not None:
        pairs = siting.coverage_matrix(d, c, args.p_median)
        print(f"{args.region}: p-median, {len(w)} demand points x {len(c)} candidates, "
              f"{pairs.nnz} pairs within {args.p_median:g} m, p = {args.p}, budget {args.time_limit:g} s")
        for solver in ("milp", "auto"):
            t = time.perf_counter()
            try:
                r = siting.p_median(w, pairs, args.p, solver=solver, time_limit_s=args.time_limit)
                what = f"status {r.status}, gap {r.gap:.3g}, MILP: {r.extra.get('milp_status', '-')}"
            except jangkau.InfeasibleError as exc:
                what = f"InfeasibleError: {exc}"
            print(f"  {solver:5s} wall {time.perf_counter() - t:6.1f} s of a {args.time_limit:g} s budget; {what}")
        return
    cov = siting.coverage_matrix(d, c, args.radius)
    print(f"{args.region}: {len(w)} demand points, {len(c)} candidates, r = {args.radius:g} m, p = {args.p}")
    for name, model in (("MCLP", MCLP), ("LSCP", LSCP)):
        times, objs = [], []
        for merge in (True, False):
            pr = prepare(model, w, cov, n_candidates=None, max_cost=args.radius, groups=None, quotas=None,
                         quota_mode="at_least", fixed=None, precovered=None, zones=None, floors=None)
            t = time.perf_counter()
            if model == MCLP:
                r = siting_milp.milp_mclp(pr, args.p, args.time_limit, 1e-7, 0, merge_rows=merge)
            else:
                r = siting_milp.milp_lscp(pr, args.time_limit, 1e-7, 0, merge_rows=merge)
            times.append(time.perf_counter() - t)
            objs.append(r.objective)
            print(f"  {name} merge={'yes' if merge else 'no '}: rows {r.extra['milp_demand_rows_merged']:>6} "
                  f"of {r.extra['milp_demand_rows']:>6}  {times[-1]:7.2f} s  objective {r.objective:,.3f}  "
                  f"status {r.status}  gap {r.gap:.2e}")
        print(f"  {name}: without/with merge time ratio {times[1] / times[0]:.1f}x, same objective: "
              f"{abs(objs[0] - objs[1]) <= 1e-6 * max(1.0, abs(objs[0]))}")


if __name__ == "__main__":
    main()
