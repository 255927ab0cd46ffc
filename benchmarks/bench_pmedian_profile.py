"""Where the time of `auto`'s p-median path goes, on the seeded SYNTHETIC instances of
benchmarks/bench_siting.py (same family, size, seed and k-nearest matrix as its rows): the
figures of docs/siting.md § p-median (multiplier truncation, repeated reduction, HiGHS's LP
solver for the radius model).

For every row, one `siting.p_median(..., time_limit_s=budget)` call with its stages timed in
the same process: the C++ search and bound (`_greedy`), the repeated reduction
(`_pmedian_tighten`: rounds, candidates left), and every HiGHS solve of the truncated radius
model (rows, seconds, status, bound = HiGHS's dual bound + the model's constant). Then:

  --multipliers   `milp_p_median` from the greedy's incumbent with and without the Lagrangian
                  multipliers (truncation from λ_i / w_i), same budget: rounds, first-round
                  bound and final bound of each;
  --lp-solvers S  the first radius model `auto` built, solved again by `solve_milp` for at most
                  S seconds each with HiGHS's default, with presolve off and with
                  mip_lp_solver = "ipm" (what `auto` uses): wall and CPU time, status.

Prints the load with every row; wall and CPU times (the machine may be shared).

    python benchmarks/bench_pmedian_profile.py                                  # all 8 rows, stages only
    python benchmarks/bench_pmedian_profile.py --family uniform --sizes 1000x100x10x3000x0 --multipliers
    python benchmarks/bench_pmedian_profile.py --family clustered --sizes 10000x300x25x2500x2 --lp-solvers 30
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from bench_siting import DEFAULT_SIZES, dense_matrix, knn_matrix, make, parse_sizes

from jangkau.selection import siting, siting_milp
from jangkau.selection.siting_instance import PMEDIAN, prepare


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def matrix_of(d, c, n, m, p, dense_pairs):
    """The p-median matrix bench_siting.py uses for this row, and its label."""
    if n * m <= dense_pairs:
        return dense_matrix(d, c), "dense"
    k = int(min(m, max(20, np.ceil(4 * m / p))))
    return knn_matrix(d, c, k), f"k{k}"


class Recorder:
    """Wraps the stages of `auto`'s p-median path (module attributes, restored by ``close``)."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.solves: list[dict] = []
        self.constants: list[float] = []
        self.first_call: tuple | None = None
        self._saved = []
        self._wrap(siting, "_greedy", "search")
        self._wrap(siting, "_pmedian_tighten", "reduction")
        self._wrap(siting, "milp_p_median", "milp")
        radius_model = siting_milp.radius_model

        def model(*a, **kw):
            out = radius_model(*a, **kw)
            self.constants.append(float(out.constant))
            return out

        solve_milp = siting_milp.solve_milp

        def solve(*a, **kw):
            if self.first_call is None:
                self.first_call = (a, kw)
            t, c = time.perf_counter(), time.process_time()
            out = solve_milp(*a, **kw)
            self.solves.append({"rows": a[5].shape[0], "wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                                "status": out[1], "dual": float(out[2].mip_dual_bound)})
            return out

        for mod, name, fn in ((siting_milp, "radius_model", model), (siting_milp, "solve_milp", solve)):
            self._saved.append((mod, name, getattr(mod, name)))
            setattr(mod, name, fn)

    def _wrap(self, mod, name: str, label: str) -> None:
        orig = getattr(mod, name)

        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return orig(*a, **kw)
            finally:
                self.stages[label] = self.stages.get(label, 0.0) + time.perf_counter() - t

        self._saved.append((mod, name, orig))
        setattr(mod, name, timed)

    def close(self) -> None:
        for mod, name, orig in reversed(self._saved):
            setattr(mod, name, orig)

    def bounds(self) -> list[float]:
        return [s["dual"] + k for s, k in zip(self.solves, self.constants, strict=False)]


def profile_auto(w, mat, p, args):
    rec = Recorder()
    try:
        t, c = time.perf_counter(), time.process_time()
        r = siting.p_median(w, mat, p, time_limit_s=args.budget, threads=args.threads)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        rec.close()
    e = r.extra
    st = rec.stages
    print(f"  auto: {r.status}, objective {r.objective:.6g}, certified gap {100 * r.gap:.3f} %, wall {wall:.2f} s, "
          f"cpu {cpu:.2f} s, {load()}")
    print(f"    search {st.get('search', 0):.2f} s (greedy gap {100 * abs(e['incumbent_bound'] - e['incumbent_objective']) / max(abs(e['incumbent_objective']), 1e-300):.3f} %)"
          f"; reduction {st.get('reduction', 0):.2f} s ({e.get('reduction_rounds', 0)} rounds, "
          f"{e.get('reduction_closed', 0)} of {mat.shape[1]} candidates closed)"
          f"; MILP {st.get('milp', 0):.2f} s ({len(rec.solves)} truncation rounds)")
    for i, (s, b) in enumerate(zip(rec.solves, rec.bounds(), strict=False)):
        print(f"    radius model {i + 1}: {s['rows']} rows, HiGHS {s['wall']:.2f} s wall / {s['cpu']:.2f} s cpu, "
              f"{s['status']}, bound {b:.6g} ({100 * (r.objective - b) / r.objective:.3f} % below the objective)")
    return rec.first_call


def compare_multipliers(w, mat, p, args):
    g = siting.p_median(w, mat, p, solver="greedy", threads=args.threads)
    none = {"n_candidates": None, "max_cost": None, "groups": None, "quotas": None, "quota_mode": "at_least",
            "fixed": None, "precovered": None, "zones": None, "floors": None}
    pr = prepare(PMEDIAN, w, mat, **none)
    print(f"  greedy incumbent {g.objective:.6g}, Lagrangian bound L = {g.bound:.6g}")
    for label, lam in (("with multipliers", g.extra.get("lagrange_multipliers")), ("without", None)):
        rec = Recorder()
        try:
            t, c = time.perf_counter(), time.process_time()
            r = siting_milp.milp_p_median(pr, p, args.budget, 0.0, args.threads, start_sites=g.sites,
                                          candidate_bounds=g.extra.get("candidate_bounds"), multipliers=lam)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
        finally:
            rec.close()
        b = rec.bounds()
        first = f"{b[0]:.6g}" if b else "-"
        print(f"    milp_p_median {label:16}: {r.extra['truncation_rounds']} rounds, first-round bound {first}, "
              f"final bound {r.bound:.6g} ({100 * r.gap:.3f} % gap), {r.status}, wall {wall:.2f} s, cpu {cpu:.2f} s, "
              f"{load()}")


def lp_solvers(call, seconds: float):
    a, kw = call
    a = list(a)
    a[9] = seconds  # time_limit_s
    if len(a) > 13:
        a[13] = None  # t0: the budget counts from this call
    for label, presolve, options in (("default", True, {}), ("presolve off", False, {}),
                                     ("ipm (auto's)", True, dict(siting_milp.PMEDIAN_HIGHS_OPTIONS))):
        kw2 = {**kw, "presolve": presolve, "options": options}
        t, c = time.perf_counter(), time.process_time()
        _, text, info, _ = siting_milp.solve_milp(*a, **kw2)
        print(f"    first radius model ({a[5].shape[0]} rows), {label:13}: {text}, nodes {info.mip_node_count}, "
              f"wall {time.perf_counter() - t:.2f} s, cpu {time.process_time() - c:.2f} s, {load()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", help="comma-separated NxMxP[xRADIUSxSEED] (bench_siting.py's rows by default)")
    ap.add_argument("--family", choices=["uniform", "clustered", "both"], default="both")
    ap.add_argument("--budget", type=float, default=10.0, help="time budget of auto (s)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--pmedian-dense-pairs", type=float, default=1e5, help="dense p-median up to this n*m")
    ap.add_argument("--multipliers", action="store_true", help="milp_p_median with and without the multipliers")
    ap.add_argument("--lp-solvers", type=float, default=0.0, help="seconds per LP-solver variant (0 = skip)")
    args = ap.parse_args()
    sizes = parse_sizes(args.sizes) if args.sizes else [(*s, seed) for seed, s in enumerate(DEFAULT_SIZES)]
    families = ["uniform", "clustered"] if args.family == "both" else [args.family]
    print(f"{load()} at start, cores: {os.cpu_count()}, budget {args.budget:g} s")
    for family in families:
        for n, m, p, _radius, seed in sizes:
            w, d, c = make(family, seed, n, m)
            mat, label = matrix_of(d, c, n, m, p, args.pmedian_dense_pairs)
            print(f"{family} p-median {n} x {m}, p = {p}, seed {seed}, {label} matrix", flush=True)
            call = profile_auto(w, mat, p, args)
            if args.multipliers:
                compare_multipliers(w, mat, p, args)
            if args.lp_solvers > 0 and call is not None:
                lp_solvers(call, args.lp_solvers)
    print(f"{load()} at end")


if __name__ == "__main__":
    main()
