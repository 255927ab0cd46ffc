"""Staged site selection, the exact multi-period MILP (the formulation in
:mod:`jangkau.selection.staging`) through HiGHS, warm-started from a heuristic plan, within a
time limit; returns the plan, HiGHS' dual bound and its status.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from .milp import highspy_module, new_highs, run_highs
from .staging_instance import StagingProblem

__all__ = ["staged_milp"]


def staged_milp(pr: StagingProblem, time_limit_s: float | None, mip_gap: float, threads: int,
                start: np.ndarray | None) -> tuple[np.ndarray | None, float, str]:
    """The staged MILP by HiGHS. Returns (stage assignment or None, dual bound, status)."""
    highspy = highspy_module()
    S, m = pr.S, pr.m
    deg = np.diff(pr.csr.indptr)
    sub = np.flatnonzero(~pr.base & (deg > 0) & (pr.w > 0))
    nz = sub.size
    ny = m * S

    def ycol(j, t):
        return np.asarray(j) * S + t

    def zcol(k, t):
        return ny + np.asarray(k) * S + t

    ncol = ny + nz * S
    r_rows: list[np.ndarray] = []
    r_cols: list[np.ndarray] = []
    r_vals: list[np.ndarray] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    row = 0
    # z_it − Σ_{j∈N(i)} Σ_{s≤t} y_js ≤ 0
    a_sub = pr.csr[sub]
    for t in range(S):
        coo = a_sub.tocoo()
        for s in range(t + 1):
            r_rows.append(row + coo.row)
            r_cols.append(ycol(coo.col, s))
            r_vals.append(np.full(coo.nnz, -1.0))
        r_rows.append(row + np.arange(nz))
        r_cols.append(zcol(np.arange(nz), t))
        r_vals.append(np.ones(nz))
        lo.append(np.full(nz, -np.inf))
        hi.append(np.zeros(nz))
        row += nz
    # Σ_t y_jt ≤ 1
    jj = np.repeat(np.arange(m), S)
    tt = np.tile(np.arange(S), m)
    r_rows.append(row + jj)
    r_cols.append(ycol(jj, tt))
    r_vals.append(np.ones(jj.size))
    lo.append(np.full(m, -np.inf))
    hi.append(np.ones(m))
    row += m
    # budgets and quotas
    for t in range(S):
        r_rows.append(np.full(m, row))
        r_cols.append(ycol(np.arange(m), t))
        r_vals.append(np.ones(m))
        lo.append(np.array([pr.schedule.budgets[t]], dtype=float))
        hi.append(np.array([pr.schedule.budgets[t]], dtype=float))
        row += 1
        for g in range(len(pr.group_labels)):
            if pr.quota[g, t] <= 0:
                continue
            members = np.flatnonzero(pr.group == g)
            r_rows.append(np.full(members.size, row))
            r_cols.append(ycol(members, t))
            r_vals.append(np.ones(members.size))
            lo.append(np.array([float(pr.quota[g, t])]))
            hi.append(np.array([np.inf]))
            row += 1
    # floors
    if np.isfinite(pr.floor).any():
        ok = pr.zone >= 0
        total = np.bincount(pr.zone[ok], weights=pr.w[ok], minlength=len(pr.zone_labels))
        base_w = np.bincount(pr.zone[ok], weights=(pr.w * pr.base)[ok], minlength=len(pr.zone_labels))
        zsub = pr.zone[sub]
        for t in range(S):
            for k in range(len(pr.zone_labels)):
                f = pr.floor[k, t]
                if not np.isfinite(f) or f <= 0:
                    continue
                members = np.flatnonzero(zsub == k)
                r_rows.append(np.full(members.size, row))
                r_cols.append(zcol(members, t))
                r_vals.append(pr.w[sub[members]])
                lo.append(np.array([f * total[k] - base_w[k]]))
                hi.append(np.array([np.inf]))
                row += 1
    a = sp.csr_matrix((np.concatenate(r_vals), (np.concatenate(r_rows), np.concatenate(r_cols))),
                      shape=(row, ncol))
    inc = pr.schedule.increments
    cost = np.concatenate([np.zeros(ny), (pr.w[sub][:, None] * inc[None, :]).ravel()])
    lower = np.zeros(ncol)
    upper = np.ones(ncol)
    for j in np.flatnonzero(pr.fixed_stage > 0):
        upper[ycol(j, np.arange(S))] = 0
        lower[ycol(j, pr.fixed_stage[j] - 1)] = 1
        upper[ycol(j, pr.fixed_stage[j] - 1)] = 1
    integer = np.concatenate([np.ones(ny, bool), np.zeros(nz * S, bool)])
    x0 = None
    if start is not None:
        x0 = np.zeros(ncol)
        for j in np.flatnonzero(start > 0):
            x0[ycol(j, start[j] - 1)] = 1
        first = np.full(pr.n, S + 1)
        for j in np.flatnonzero(start > 0):
            rows = pr.cov.indices[pr.cov.indptr[j]:pr.cov.indptr[j + 1]]
            first[rows] = np.minimum(first[rows], start[j])
        for t in range(S):
            x0[zcol(np.arange(nz), t)] = (first[sub] <= t + 1).astype(float)
    h = new_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(time_limit_s))
    a.sort_indices()
    # Flat-array model, rows stored row-wise (format 2); sense −1 = maximise.
    h.passModel(int(ncol), int(a.shape[0]), int(a.nnz), 2, -1, 0.0, cost.astype(np.float64),
                lower.astype(np.float64), upper.astype(np.float64),
                np.concatenate([np.ravel(v) for v in lo]).astype(np.float64),
                np.concatenate([np.ravel(v) for v in hi]).astype(np.float64),
                a.indptr[:-1].astype(np.int32), a.indices.astype(np.int32), a.data.astype(np.float64),
                integer.astype(np.int32))
    # HiGHS checks its time_limit only between some phases (a large root LP or the MIP start can
    # run far past it): run_highs's interrupt callbacks make the limit hold.
    deadline = None if time_limit_s is None else time.perf_counter() + float(time_limit_s)
    if x0 is not None:
        sol = highspy.HighsSolution()
        sol.col_value = x0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    text, info, x = run_highs(h, threads, deadline)
    dual = float(info.mip_dual_bound)
    if x is None:  # no feasible solution
        return None, dual, text
    y = x[:ny].reshape(m, S) > 0.5
    stage = np.zeros(m, dtype=np.int64)
    for j, t in zip(*np.nonzero(y)):
        stage[j] = t + 1
    return stage, dual, text
