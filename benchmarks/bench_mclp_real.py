"""MCLP `auto` on REAL geometry: as shipped (the guard: a short plain HiGHS attempt, then the
exact machinery: docs/siting.md § The guard), as shipped but with HiGHS's default options where
`auto` gives it its proof options (``proof=False``, "dflt"), with the machinery always
(``guard=False``) and without it (``lagrangian=False``), in one process; with ``--lscp`` also
LSCP `auto` with and without its Lagrangian stage and with HiGHS's defaults (docs/siting.md §
Exact MCLP, LSCP, § HiGHS options).

Kabupaten Serang (REAL desa boundaries, the region's population areally weighted to desa, so the
weights are not integers): demand = ``siting.demand_points(desa, spacing)``, candidates = desa
representative points, coverage within ``radius``. For every p, ``siting.mclp(..., time_limit_s
= budget)`` runs four times: as shipped, with ``milp_mclp(proof=False)``, with
``milp_mclp(guard=False)`` and with ``milp_mclp(lagrangian=False)`` (the name `auto` calls).
Prints wall and CPU time, status, objective, bound, gap, the machinery's figures, the stage the
guard ended in, which racer proved first and the load.
Needs the data directory (JANGKAU_DATA).

    python benchmarks/bench_mclp_real.py [--region serang,lebak,pandeglang] [--spacing 500] [--radius 2000]
                                         [--p 15,30,60] [--budget 10] [--lscp 2000,3000] [--quota 1]
"""

from __future__ import annotations

import argparse
import functools
import os
import time

import numpy as np
from bench_milp_preprocessing import real_instance

import jangkau
from jangkau.selection import siting
from jangkau.selection.siting_instance import relative_gap


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--region", default="serang", help="comma-separated built-in regions")
    ap.add_argument("--spacing", type=float, default=500.0, help="demand grid spacing in metres")
    ap.add_argument("--radius", type=float, default=2000.0, help="service radius in metres")
    ap.add_argument("--p", default="15,30,60", help="comma-separated numbers of sites")
    ap.add_argument("--budget", type=float, default=10.0, help="time budget of auto (s)")
    ap.add_argument("--quota", type=int, default=0, help="MCLP with at least this many sites per kecamatan")
    ap.add_argument("--lscp", default="", help="comma-separated LSCP radii in metres (none by default)")
    args = ap.parse_args()
    for region in args.region.split(","):
        run_region(region, args)


def with_stage(fn, on: bool, *a, **kw):
    """``fn`` with ``lagrangian=on`` whatever the caller passes (`auto` passes True)."""
    return fn(*a, **{**kw, "lagrangian": on})


def run_region(region: str, args) -> None:
    w, d, c = real_instance(region, args.spacing)
    cov = siting.coverage_matrix(d, c, args.radius)
    quota: dict = {}
    if args.quota:  # kecamatan of each candidate desa (same candidates as real_instance)
        reg = jangkau.Region.load(region)
        kec = siting.candidate_points(reg, "desa", reg.working_crs)["kecamatan_code"].to_numpy()
        quota = {"groups": kec, "quotas": args.quota, "quota_mode": "at_least"}
    print(f"{region}: {len(w)} demand points, {len(c)} candidates, r = {args.radius:g} m, "
          f"integer weights: {bool(np.all(w == np.round(w)))}"
          + (f", at least {args.quota} site(s) per kecamatan ({len(set(quota['groups']))})" if quota else "")
          + f", load {os.getloadavg()[0]:.2f}")
    shipped = siting.milp_mclp
    try:
        for p in (int(x) for x in args.p.split(",")):
            for label, fn in (("guard", shipped), ("dflt", functools.partial(shipped, proof=False)),
                              ("on", functools.partial(shipped, guard=False)),
                              ("off", functools.partial(shipped, lagrangian=False))):
                siting.milp_mclp = fn
                t, c0 = time.perf_counter(), time.process_time()
                r = siting.mclp(w, cov, p, max_cost=args.radius, time_limit_s=args.budget, **quota)
                e = r.extra
                print(f"  p={p:<3} machinery {label:5} wall {time.perf_counter() - t:6.2f} s cpu "
                      f"{time.process_time() - c0:6.2f} s  {r.status:19} objective {r.objective:12.1f} "
                      f"bound {r.bound:12.1f} gap {100 * r.gap:6.3f} %  greedy {e['incumbent_objective']:12.1f} "
                      f"(gap {100 * relative_gap(e['incumbent_objective'], e['incumbent_bound']):.3f} %)"
                      f"  lagrangian {e.get('milp_lagrangian_bound', float('nan')):12.1f}"
                      f"  closed {e.get('milp_candidates_closed', '-')}  kernel {e.get('milp_kernel_candidates', '-')}"
                      f"  stage {e.get('milp_guard_stage', '-')} (plain {e.get('milp_guard_plain_s', float('nan')):.2f} s)"
                      f"  race {e.get('milp_race_winner', '-')}  load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        siting.milp_mclp = shipped
    lscp = siting.milp_lscp
    try:
        for radius in (float(x) for x in args.lscp.split(",") if x):
            cov = siting.coverage_matrix(d, c, radius)
            for label, fn, on in (("on", lscp, True), ("dflt", functools.partial(lscp, proof=False), True),
                                  ("off", lscp, False)):
                siting.milp_lscp = functools.partial(with_stage, fn, on)
                t, c0 = time.perf_counter(), time.process_time()
                r = siting.lscp(w, cov, max_cost=radius, time_limit_s=args.budget)
                print(f"  LSCP r={radius:g} stage {label:3} wall {time.perf_counter() - t:6.2f} s cpu "
                      f"{time.process_time() - c0:6.2f} s  {r.status:19} sites {r.objective:5.0f} bound "
                      f"{r.bound:5.0f}  greedy {r.extra['incumbent_objective']:5.0f}"
                      f"  race {r.extra.get('milp_race_winner', '-')}  load {os.getloadavg()[0]:.2f}",
                      flush=True)
    finally:
        siting.milp_lscp = lscp


if __name__ == "__main__":
    main()
