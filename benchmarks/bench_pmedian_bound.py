"""p-median Lagrangian lower bound against the LP relaxation of the classical model (HiGHS via
scipy.optimize.linprog), on the seeded SYNTHETIC families of bench_siting.py (dense costs).

    python benchmarks/bench_pmedian_bound.py --family clustered --size 1000x100x10 --seeds 4
    python benchmarks/bench_pmedian_bound.py --family clustered --bound-iterations 300

Prints per seed the greedy + search objective, the certified bound, the LP value and the bound's
shortfall to the LP (the Lagrangian dual of the assignment constraints equals that LP, so the
shortfall measures how far the subgradient method is from converged), with CPU times.
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
from bench_siting import dense_matrix, make

from jangkau.selection import siting


def classical_lp(w, cost, p) -> float:
    """LP of min Σ w_i c_ij x_ij, Σ_j x_ij = 1, x_ij <= y_j, Σ y = p (scipy linprog, HiGHS);
    columns x (row-major) then y."""
    n, m = cost.shape
    ne = n * m
    pair = np.arange(ne)
    eq = sp.coo_matrix((np.ones(ne + m), (np.r_[pair // m, np.full(m, n)], np.r_[pair, ne + np.arange(m)])),
                       shape=(n + 1, ne + m))
    ub = sp.coo_matrix((np.r_[np.ones(ne), -np.ones(ne)], (np.r_[pair, pair], np.r_[pair, ne + pair % m])),
                       shape=(ne, ne + m))
    c = np.r_[(w[:, None] * cost).ravel(), np.zeros(m)]
    res = linprog(c, A_ub=ub.tocsr(), b_ub=np.zeros(ne), A_eq=eq.tocsr(), b_eq=np.r_[np.ones(n), p],
                  bounds=(0, 1), method="highs")
    return float(res.fun)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", choices=["uniform", "clustered"], default="clustered")
    ap.add_argument("--size", default="1000x100x10", help="NxMxP (dense costs)")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--bound-iterations", type=int, default=1000)
    args = ap.parse_args()
    n, m, p = map(int, args.size.split("x"))
    print(f"load {os.getloadavg()}; {args.family} {n} x {m}, p = {p}, bound_iterations {args.bound_iterations}")
    for seed in range(args.seeds):
        w, d, c = make(args.family, seed, n, m)
        cost = dense_matrix(d, c)
        t = time.process_time()
        g = siting.p_median(w, cost, p, solver="greedy", threads=1, bound_iterations=args.bound_iterations)
        tg = time.process_time() - t
        t = time.process_time()
        lp = classical_lp(w, cost, p)
        tl = time.process_time() - t
        print(f"seed {seed}: objective {g.objective:.1f}  bound {g.bound:.1f}  LP {lp:.1f}  "
              f"bound below LP {100 * (lp - g.bound) / lp:.4f} %  gap {100 * g.gap:.4f} %  "
              f"cpu greedy {tg:.2f} s, LP {tl:.2f} s")


if __name__ == "__main__":
    main()
