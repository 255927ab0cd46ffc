"""The exact MCLP's Lagrangian bound and reduction tests with group quotas (kecamatan as groups):
what :mod:`jangkau.selection.siting_mclp_exact` does without quotas, with the quota rows kept in
the Lagrangian subproblem.

The candidates fall in classes: the quota groups, and the candidates of no group. With ``p``
free sites to choose, class c must get between lo_c and hi_c of them: at-least quotas give
lo_g = q_g, hi_g = ∞ and, for the candidates of no group, lo = 0, hi = ∞; exact quotas give
lo_g = hi_g = q_g and lo = hi = p − Σ q_g for the candidates of no group (the rows of
:func:`jangkau.selection.siting_milp.quota_rows`). Relaxing the coupling rows z_i <= Σ_{j∈N(i)} y_j
with multipliers μ_i in [0, w_i] (Galvão & ReVelle 1996) leaves, for σ_j = Σ_{i: j∈N(i)} μ_i,

    L(μ) = Σ_i max(0, w_i − μ_i) + max { Σ_{j∈T} σ_j : |T| = p, lo_c <= |T ∩ class c| <= hi_c },

an upper bound on the MCLP with quotas for every μ. The site sets allowed by the class bounds
are the bases of a matroid (the base exchange holds: for feasible B1, B2 and x in B1 \\ B2, a y in
B2 \\ B1 of x's class keeps every count; if there is none, x's class has more members in B1 than
in B2, so some class has more in B2, and y from it keeps its upper bound). Hence:

* the maximising T is the greedy one: the lo_c largest σ_j of every class, then the largest
  of the rest while their class stays within hi_c (:func:`best_set`); its constraint matrix is
  totally unimodular (disjoint classes plus the total), so min_μ L(μ) is the LP bound;
* the best basis containing a candidate j outside T is T + j − f, f the smallest σ among the
  sites of T that j can replace (same class, or a class above its lower bound when j's class is
  below its upper bound) — the fundamental circuit. Beasley's (1993) test closes j when
  L − σ_f + σ_j is below the threshold an improving solution must reach (incumbent + 1 with
  integral weights), as in :func:`jangkau.selection.siting_mclp_exact.reduce_candidates`;
  a j that can replace nothing is in no feasible set and is closed too.

Subgradient steps as in :func:`jangkau.selection.siting_mclp_exact.lagrangian_bound` (scaled by
the weights). No kernel MILP and no forced sites here: only the bound and the closing test.
Zone floors are not handled (docs/siting.md § Exact MCLP with group quotas says why).

For the LSCP with at-least quotas, :func:`lscp_bound_only` runs only the bound of the LSCP's
Lagrangian stage (the subgradient without the quota rows; no heuristic covers, no fixing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .siting_lscp_exact import Stage, lagrangian_bound_stage
from .siting_mclp_exact import (
    LAGRANGIAN_ITERATIONS,
    LAGRANGIAN_PATIENCE,
    LAGRANGIAN_TIME_SHARE,
    MclpReduced,
    coverage_of,
    reduction_threshold,
)


@dataclass
class Classes:
    """Candidate classes for the quota-bound subproblem: ``cls`` per candidate (0..C−1, -1 =
    not free), and the bounds ``lo`` / ``hi`` per class on the number of sites chosen in it."""

    cls: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def quota_classes(group: np.ndarray, quota: np.ndarray, exactly: bool, p: int, free: np.ndarray) -> Classes:
    """Classes of the ``free`` candidates from ``group`` (index per candidate, -1 = none) and the
    ``quota`` per group; the candidates of no group form the last class."""
    g = len(quota)
    cls = np.where(group >= 0, group, g).astype(np.int64)
    cls[~np.asarray(free, dtype=bool)] = -1
    q = np.asarray(quota, dtype=np.float64)
    if exactly:
        lo = np.concatenate([q, [p - q.sum()]])
        hi = lo.copy()
    else:
        lo = np.concatenate([q, [0.0]])
        hi = np.full(g + 1, np.inf)
    return Classes(cls, lo, hi)


def best_set(sigma: np.ndarray, c: Classes, p: int) -> np.ndarray:
    """The p candidates of largest total σ within the class bounds (greedy, optimal over a
    matroid's bases): the lo_c largest of every class, then the largest of the rest while their
    class stays within hi_c. Candidate indices."""
    idx = np.flatnonzero(c.cls >= 0)
    cls = c.cls[idx]
    order = np.lexsort((-sigma[idx], cls))
    cls_sorted = cls[order]
    start = np.searchsorted(cls_sorted, cls_sorted, side="left")
    rank = np.arange(order.size) - start
    must = rank < c.lo[cls_sorted]
    chosen = list(idx[order[must]])
    left = p - len(chosen)
    if left > 0:
        count = np.bincount(cls_sorted[must], minlength=c.lo.size).astype(np.float64)
        rest = idx[order[~must]]
        if np.isinf(c.hi).all():  # at-least quotas: no upper bound, the largest of the rest
            top = rest[np.argsort(-sigma[rest], kind="stable")[:left]]
            return np.concatenate([np.asarray(chosen, dtype=np.int64), top.astype(np.int64)])
        for j in rest[np.argsort(-sigma[rest], kind="stable")]:
            if count[c.cls[j]] < c.hi[c.cls[j]]:
                chosen.append(j)
                count[c.cls[j]] += 1
                left -= 1
                if left == 0:
                    break
    return np.asarray(chosen, dtype=np.int64)


def swap_out_value(sigma: np.ndarray, t_set: np.ndarray, c: Classes) -> np.ndarray:
    """Per candidate j outside ``t_set``: the smallest σ_f over the sites f of ``t_set`` that j
    can replace keeping every class within its bounds (+inf where j can replace none: no
    feasible set holds j; -inf for the members of T, which the test never closes; NaN for the
    candidates that are not free)."""
    m = sigma.size
    ncls = c.lo.size
    count = np.bincount(c.cls[t_set], minlength=ncls).astype(np.float64)
    min_in = np.full(ncls, np.inf)
    np.minimum.at(min_in, c.cls[t_set], sigma[t_set])
    slack = count[c.cls[t_set]] - 1 >= c.lo[c.cls[t_set]]
    min_slack = float(sigma[t_set][slack].min()) if slack.any() else np.inf
    out = np.full(m, np.nan)
    ok = c.cls >= 0
    cj = c.cls[ok]
    value = np.minimum(min_in[cj], np.where(count[cj] + 1 <= c.hi[cj], min_slack, np.inf))
    out[ok] = value
    out[np.asarray(t_set, dtype=np.int64)] = -np.inf
    return out


def meets_classes(sites: np.ndarray, c: Classes, p: int) -> bool:
    """Whether ``sites`` are p distinct free candidates within every class's bounds."""
    sites = np.unique(np.asarray(sites, dtype=np.int64))
    if sites.size != p or (c.cls[sites] < 0).any():
        return False
    count = np.bincount(c.cls[sites], minlength=c.lo.size)
    return bool(np.all(count >= c.lo) and np.all(count <= c.hi))


def reduce_mclp_quotas(a: sp.csr_matrix, w: np.ndarray, p: int, c: Classes, start_sites,
                       time_limit_s: float | None) -> MclpReduced:
    """Lagrangian bound with the quota rows in the subproblem and Beasley's closing test against
    the best incumbent (the start or a relaxation set, both meeting the quotas), over the merged
    rows ``a`` (stored entries = covers) with weights ``w``. Returns the same record as
    :func:`jangkau.selection.siting_mclp_exact.reduce_mclp` (no forced sites, no kernel)."""
    t0 = time.perf_counter()
    a = sp.csr_matrix(a)
    w = np.asarray(w, dtype=np.float64)
    n = a.shape[0]
    at = sp.csr_matrix(a.T)
    free = c.cls >= 0
    start = np.asarray(start_sites, dtype=np.int64)
    fixed_part = start[~free[start]] if start.size else start
    start = start[free[start]] if start.size else start
    best_sites, best_value = start, coverage_of(at, w, start)
    if not meets_classes(start, c, p):  # no incumbent: the first relaxation set becomes one
        best_sites, best_value = best_set(at @ w, c, p), -np.inf
        best_value = coverage_of(at, w, best_sites)
    deadline = None
    if time_limit_s is not None and np.isfinite(time_limit_s):
        deadline = t0 + LAGRANGIAN_TIME_SHARE * float(time_limit_s)
    cnt = np.bincount(at[start].indices, minlength=n) if start.size else np.zeros(n, np.int64)
    mu = np.where(cnt <= 1, w, 0.0)
    best, best_mu, theta, since, it = np.inf, mu, 2.0, 0, 0
    while it < LAGRANGIAN_ITERATIONS:
        it += 1
        sigma = at @ mu
        t_set = best_set(sigma, c, p)
        value = float(np.maximum(w - mu, 0.0).sum() + sigma[t_set].sum())
        if value < best:
            best, best_mu, since = value, mu, 0
        else:
            since += 1
            if since >= LAGRANGIAN_PATIENCE:
                theta, since = theta / 2, 0
        covered = np.bincount(at[t_set].indices, minlength=n) if t_set.size else np.zeros(n, np.int64)
        heuristic = float(w[covered > 0].sum())
        if heuristic > best_value and t_set.size == p:
            best_sites, best_value = np.sort(t_set), heuristic
        if best < reduction_threshold(w, best_value) or theta < 1e-6:
            break
        if deadline is not None and time.perf_counter() >= deadline:
            break
        g = (w > mu).astype(np.float64) - covered
        den = float((w * g * g).sum())
        step = theta * (value - best_value) / den if den > 0 else 0.0
        if not step > 0:
            break
        mu = np.clip(mu + step * w * g, 0.0, w)
    threshold = reduction_threshold(w, best_value)
    sigma = at @ best_mu
    t_set = best_set(sigma, c, p)
    bound_at_best = float(np.maximum(w - best_mu, 0.0).sum() + sigma[t_set].sum())
    out_value = swap_out_value(sigma, t_set, c)
    closed = free & (bound_at_best - out_value + sigma < threshold)
    closed[best_sites] = False  # the incumbent stays a feasible start
    allowed = free & ~closed
    rows = np.asarray(a[:, np.flatnonzero(allowed)].sum(axis=1)).ravel() > 0
    proven = bool(best < threshold)
    return MclpReduced(closed, np.zeros(free.size, dtype=bool), rows, 0.0, np.concatenate([best_sites, fixed_part]),
                       best_value, float(best), proven, it, 0, (time.perf_counter() - t0, 0.0, 0.0))


def lscp_bound_only(a, allowed: np.ndarray, forced: np.ndarray, start_sites, group: np.ndarray, quota: np.ndarray,
                    time_limit_s, t0: float) -> Stage:
    """The LSCP Lagrangian stage with at-least group quotas: only what stays sound with them,
    its bound, computed alone (:func:`jangkau.selection.siting_lscp_exact.lagrangian_bound_stage`
    on the reduced rows ``a``, the ``allowed`` and ``forced`` candidates, within the stage's share
    of ``time_limit_s`` from ``t0``). Dropping the quota rows relaxes a minimisation, so forced
    sites + ⌈L⌉ is still a lower bound on the cover with quotas. Covers built without the quota
    rows may miss a quota, and reduced-cost fixing against such a cover is unsound, so neither is
    built: the start (``start_sites``) stays the incumbent, nothing is excluded, and the start is
    proven when it meets every quota (``group`` per candidate, -1 = none; ``quota`` per group)
    and its size equals the bound."""
    sites = np.unique(np.asarray(start_sites, dtype=np.int64))
    bound, extra = lagrangian_bound_stage(a, allowed, forced, sites, time_limit_s, t0)
    count = np.bincount(group[sites][group[sites] >= 0], minlength=quota.size) if sites.size else np.zeros(quota.size)
    meets = bool(np.all(count >= quota))
    extra["lagrangian_quota_bound_only"] = True
    return Stage(sites, bound, meets and bound >= sites.size, np.zeros(allowed.size, dtype=bool), extra)
