"""MCLP `auto` on REAL geometry with and without the exact machinery (Lagrangian bound, kernel,
reduction: docs/siting.md § Exact MCLP), in one process.

Kabupaten Serang (REAL desa boundaries, the region's population areally weighted to desa, so the
weights are not integers): demand = ``siting.demand_points(desa, spacing)``, candidates = desa
representative points, coverage within ``radius``. For every p, ``siting.mclp(..., time_limit_s
= budget)`` runs twice: as shipped and with ``milp_mclp(lagrangian=False)`` (the name `auto`
calls). Prints wall and CPU time, status, objective, bound, gap and the machinery's figures,
and the load. Needs the data directory (JANGKAU_DATA).

    python benchmarks/bench_mclp_real.py [--spacing 500] [--radius 2000] [--p 15,30,60] [--budget 10]
"""

from __future__ import annotations

import argparse
import functools
import os
import time

import numpy as np
from bench_milp_preprocessing import real_instance

from jangkau.selection import siting


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--region", default="serang")
    ap.add_argument("--spacing", type=float, default=500.0, help="demand grid spacing in metres")
    ap.add_argument("--radius", type=float, default=2000.0, help="service radius in metres")
    ap.add_argument("--p", default="15,30,60", help="comma-separated numbers of sites")
    ap.add_argument("--budget", type=float, default=10.0, help="time budget of auto (s)")
    args = ap.parse_args()

    w, d, c = real_instance(args.region, args.spacing)
    cov = siting.coverage_matrix(d, c, args.radius)
    print(f"{args.region}: {len(w)} demand points, {len(c)} candidates, r = {args.radius:g} m, "
          f"integer weights: {bool(np.all(w == np.round(w)))}, load {os.getloadavg()[0]:.2f}")
    shipped = siting.milp_mclp
    try:
        for p in (int(x) for x in args.p.split(",")):
            for label, fn in (("on", shipped), ("off", functools.partial(shipped, lagrangian=False))):
                siting.milp_mclp = fn
                t, c0 = time.perf_counter(), time.process_time()
                r = siting.mclp(w, cov, p, max_cost=args.radius, time_limit_s=args.budget)
                e = r.extra
                print(f"  p={p:<3} machinery {label:3} wall {time.perf_counter() - t:6.2f} s cpu "
                      f"{time.process_time() - c0:6.2f} s  {r.status:19} objective {r.objective:12.1f} "
                      f"bound {r.bound:12.1f} gap {100 * r.gap:6.3f} %  greedy {e['incumbent_objective']:12.1f}"
                      f"  lagrangian {e.get('milp_lagrangian_bound', float('nan')):12.1f}"
                      f"  closed {e.get('milp_candidates_closed', '-')}  kernel {e.get('milp_kernel_candidates', '-')}"
                      f"  load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        siting.milp_mclp = shipped


if __name__ == "__main__":
    main()
