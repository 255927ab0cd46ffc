"""Lagrangian machinery for the location set covering problem (LSCP) on the reduced covering
matrix that :func:`jangkau.selection.siting_milp.milp_lscp` builds (rows = demand classes still
to cover, columns = candidates still free, unit costs):

* :func:`subgradient` — the Lagrangian relaxation of the covering rows,
  ``L(u) = Σ_i u_i + Σ_j min(0, 1 − Σ_{i∈I_j} u_i)`` for ``u ≥ 0``, maximised by subgradient
  ascent ``u ← max(0, u + λ (UB − L)/‖s‖² s)`` with ``s_i = 1 − Σ_{j: x_j(u)=1} a_ij``
  (components with ``u_i = 0`` and ``s_i < 0`` set to 0, as in Caprara, Fischetti & Toth 1999),
  multipliers starting at CFT's ``u_i = min_{j∋i} 1/|I_j|`` and the step rule of Held, Wolfe &
  Crowder (1974) as Beasley (1990) uses it: ``λ = 2``, halved after 50 iterations without a
  better ``L`` (CFT's rule — halve on a 1 % spread of ``L`` over 20 iterations — stalled 5 %
  below the LP bound on the uniform 10⁴ × 10³ instance of ``benchmarks/bench_siting.py``). Every ``L(u)`` is a
  lower bound on the optimum (weak duality); its supremum is the LP bound. The optimum is an
  integer, so ``⌈L⌉`` is the certified bound reported.
* :func:`lagrangian_greedy` — the greedy of Beasley (1990) and CFT (1999) on Lagrangian costs:
  the column minimising ``γ_j / μ_j`` (``γ_j`` = its Lagrangian cost minus the multipliers of
  the rows it would newly cover, ``γ_j · μ_j`` when negative; ``μ_j`` = rows newly covered),
  then redundancy removal (largest Lagrangian cost first).
* :func:`lagrangian_heuristic` — the greedy at many multiplier vectors along the subgradient,
  then CFT's column fixing: fix the columns the best Lagrangian greedy chose with the smallest
  Lagrangian costs, re-run the subgradient on the residual rows and repeat, every complete cover
  kept when it is better.
* :func:`reduced_cost_fixing` — with an incumbent of ``UB`` columns and ``L(u)``, a column whose
  Lagrangian reduced cost exceeds ``UB − 1 − L`` is in no cover of at most ``UB − 1`` columns
  (the optimum is an integer), so the search for a better one may leave it out.

Only unit costs (the LSCP) are handled; nothing here reads the clock except through
``deadline`` (a ``time.perf_counter`` value).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: Tolerance on L(u) before rounding up: the sums are of at most ~10⁶ terms of size ≤ 1.
ROUND_TOL = 1e-7
#: Subgradient step rule: λ starts at STEP_START, halves after STEP_PATIENCE iterations without
#: a better L(u); the ascent stops below STEP_MIN.
STEP_START = 2.0
STEP_PATIENCE = 50
STEP_MIN = 1e-4


@dataclass
class Relaxation:
    """The best Lagrangian value found (``value``), its certified integer bound ``bound``
    (= ⌈value − ROUND_TOL⌉), the multipliers reaching it (``u``, one per row), the reduced
    costs at ``u`` (``rc``, one per column) and the iterations run."""

    value: float
    bound: int
    u: np.ndarray
    rc: np.ndarray
    iterations: int


def _matrices(a) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    a = sp.csr_matrix(a, dtype=np.float64, copy=True)
    a.data[:] = 1.0
    a.sum_duplicates()
    a.data[:] = 1.0
    return a, sp.csr_matrix(a.T)


def lagrangian_value(a, u: np.ndarray) -> tuple[float, np.ndarray]:
    """``L(u)`` and the reduced costs ``1 − Aᵀu`` of the unit-cost covering rows ``a`` (0/1,
    rows × columns); ``u`` must be ≥ 0. Raises ValueError for a negative multiplier."""
    u = np.asarray(u, dtype=np.float64)
    if np.any(u < 0):
        raise ValueError("Lagrangian multipliers must be >= 0")
    _, at = _matrices(a)
    rc = 1.0 - at @ u
    return float(u.sum() + rc[rc < 0].sum()), rc


def initial_multipliers(a: sp.csr_matrix, at: sp.csr_matrix) -> np.ndarray:
    """CFT's start: u_i = min over the columns j covering row i of 1 / |I_j|."""
    col_size = np.diff(at.indptr).astype(np.float64)
    ratio = np.divide(1.0, col_size, out=np.zeros_like(col_size), where=col_size > 0)
    u = np.zeros(a.shape[0])
    nonempty = np.diff(a.indptr) > 0
    if a.nnz:
        u[nonempty] = np.minimum.reduceat(ratio[a.indices], a.indptr[:-1][nonempty])
    return u


def subgradient(
    a,
    upper: float,
    *,
    u0: np.ndarray | None = None,
    max_iter: int = 2000,
    deadline: float | None = None,
    on_iterate=None,
) -> Relaxation:
    """Maximises the Lagrangian ``L(u)`` of the unit-cost covering rows ``a`` (rows ×
    columns, 0/1; every row must have a column) by the CFT (1999) subgradient (module doc).
    ``upper`` = the size of a known cover (the step target; not finite = a greedy cover's); stops after ``max_iter``
    iterations, at ``deadline``, when ``⌈L⌉ ≥ upper`` (the cover is then optimal), or when
    the step size λ falls below STEP_MIN (converged). ``on_iterate(k, u, rc)`` is called at every
    iteration (the heuristic runs its greedy from it). Returns the best :class:`Relaxation`."""
    a, at = _matrices(a)
    nrow = a.shape[0]
    if nrow == 0:
        return Relaxation(0.0, 0, np.zeros(0), np.ones(a.shape[1]), 0)
    if np.any(np.diff(a.indptr) == 0):
        raise ValueError("a covering row without any column: the set cover is infeasible")
    u = initial_multipliers(a, at) if u0 is None else np.maximum(np.asarray(u0, dtype=np.float64), 0.0)
    if not math.isfinite(upper):  # no cover given: the step target is a greedy cover's size
        upper = float(lagrangian_greedy(a, at, sp.csc_matrix(a), u, 1.0 - at @ u).sum())
    best = Relaxation(-math.inf, 0, u.copy(), np.ones(a.shape[1]), 0)
    lam = STEP_START
    stalled = 0
    k = 0
    for k in range(1, max_iter + 1):
        rc = 1.0 - at @ u
        x = rc < 0
        value = float(u.sum() + rc[x].sum())
        if value > best.value + 1e-12:
            best = Relaxation(value, math.ceil(value - ROUND_TOL), u.copy(), rc, k)
            stalled = 0
        else:
            stalled += 1
        if on_iterate is not None:
            on_iterate(k, u, rc)
        if best.bound >= upper or (deadline is not None and time.perf_counter() > deadline):
            break
        if stalled >= STEP_PATIENCE:
            lam /= 2
            stalled = 0
            if lam < STEP_MIN:
                break
        s = 1.0 - a @ x.astype(np.float64)
        s[(u <= 0) & (s < 0)] = 0.0
        norm = float(s @ s)
        if norm == 0.0:  # x(u) covers every row exactly once: L(u) is the optimum of this relaxation
            break
        u = np.maximum(u + lam * max(upper - value, 1e-6) / norm * s, 0.0)
    best.iterations = k
    return best


def remove_redundant(a_csc: sp.csc_matrix, x: np.ndarray, order_key: np.ndarray) -> np.ndarray:
    """Drops chosen columns all of whose rows another chosen column covers too, the largest
    ``order_key`` first (ties: higher index first). ``x`` must be a cover; returns the new mask."""
    x = x.copy()
    count = np.asarray(a_csc @ x.astype(np.float64)).ravel()
    chosen = np.flatnonzero(x)
    for j in chosen[np.lexsort((-chosen, -order_key[chosen]))]:
        rows = a_csc.indices[a_csc.indptr[j] : a_csc.indptr[j + 1]]
        if rows.size == 0 or count[rows].min() >= 2:
            x[j] = False
            count[rows] -= 1
    return x


def lagrangian_greedy(
    a: sp.csr_matrix, at: sp.csr_matrix, a_csc: sp.csc_matrix, u: np.ndarray, rc: np.ndarray,
    covered: np.ndarray | None = None,
) -> np.ndarray:
    """The CFT (1999) greedy on Lagrangian costs ``rc`` with multipliers ``u``, from the rows
    already ``covered`` (default none), then :func:`remove_redundant` by Lagrangian cost.
    Returns the chosen-column mask (a cover of the rows not covered before)."""
    nrow, ncol = a.shape
    unc = np.ones(nrow, dtype=bool) if covered is None else ~covered
    x = np.zeros(ncol, dtype=bool)
    mu = at @ unc.astype(np.float64)
    usum = at @ (u * unc)
    while unc.any():
        gamma = 1.0 - usum  # the Lagrangian cost less the multipliers of the rows j would cover anew
        score = np.where(gamma > 0, gamma / np.maximum(mu, 1e-12), gamma * mu)
        score[(mu <= 0) | x] = np.inf
        j = int(np.argmin(score))
        if not np.isfinite(score[j]):
            raise ValueError("a covering row without any column: the set cover is infeasible")
        x[j] = True
        rows = a_csc.indices[a_csc.indptr[j] : a_csc.indptr[j + 1]]
        new = rows[unc[rows]]
        unc[new] = False
        if new.size:
            sub = a[new]
            mu -= np.bincount(sub.indices, minlength=ncol)
            usum -= np.bincount(sub.indices, weights=np.repeat(u[new], np.diff(sub.indptr)), minlength=ncol)
    if covered is not None:
        return x
    return remove_redundant(a_csc, x, rc)


def is_cover(a_csc: sp.csc_matrix, x: np.ndarray) -> bool:
    """Whether the chosen columns ``x`` cover every row of ``a_csc``."""
    return bool(np.all(np.asarray(a_csc @ x.astype(np.float64)).ravel() >= 1))


@dataclass
class HeuristicResult:
    """The best cover found (``x``, column mask), the best Lagrangian relaxation
    (:class:`Relaxation`, of the whole instance) and how many covers were built."""

    x: np.ndarray
    relaxation: Relaxation
    covers: int


def lagrangian_heuristic(
    a, x0: np.ndarray | None = None, *, deadline: float | None = None, max_iter: int = 2000,
    greedy_every: int = 10, greedy_runs: int = 30, fix_share: float = 0.3, fix_rounds: int = 12,
) -> HeuristicResult:
    """Lagrangian heuristic for the unit-cost set cover ``a`` (rows × columns, 0/1): the CFT
    (1999) subgradient on the whole instance, :func:`lagrangian_greedy` at its best multipliers
    and at the last ``greedy_runs`` of the vectors kept every ``greedy_every`` iterations
    (Beasley 1990), then up to ``fix_rounds`` rounds of column
    fixing — the ``fix_share`` of the best cover's columns with the smallest Lagrangian
    costs (at least one) stay chosen, the subgradient runs again on the rows they leave
    uncovered (warm-started), the greedy completes the cover — each complete cover after
    redundancy removal kept when smaller. ``x0`` = a cover to start from (optional).
    Stops at ``deadline``. The relaxation returned is that of the whole instance."""
    a, at = _matrices(a)
    a_csc = sp.csc_matrix(a)
    ncol = a.shape[1]
    best_x = x0.copy() if x0 is not None and is_cover(a_csc, x0) else None
    covers = 0

    def consider(x: np.ndarray) -> None:
        nonlocal best_x, covers
        covers += 1
        if best_x is None or x.sum() < best_x.sum():
            best_x = x

    if best_x is None:
        u = initial_multipliers(a, at)
        consider(lagrangian_greedy(a, at, a_csc, u, 1.0 - at @ u))
    assert best_x is not None

    snapshots: list[np.ndarray] = []

    def keep(k: int, u: np.ndarray, rc: np.ndarray) -> None:
        if k % greedy_every == 0:
            snapshots.append(u.copy())

    rel = subgradient(a, float(best_x.sum()), max_iter=max_iter, deadline=deadline, on_iterate=keep)
    if deadline is None or time.perf_counter() < deadline:
        consider(lagrangian_greedy(a, at, a_csc, rel.u, rel.rc))
    # the greedy at the last multiplier vectors of the ascent, latest first (Beasley 1990)
    for u in snapshots[::-1][:greedy_runs]:
        if deadline is not None and time.perf_counter() > deadline:
            break
        consider(lagrangian_greedy(a, at, a_csc, u, 1.0 - at @ u))
    if rel.bound >= best_x.sum():
        return HeuristicResult(best_x, rel, covers)
    # Column fixing (CFT 1999): keep part of the best cover, re-optimise the rest.
    share = fix_share
    for _ in range(fix_rounds):
        if deadline is not None and time.perf_counter() > deadline:
            break
        chosen = np.flatnonzero(best_x)
        n_fix = max(1, int(share * chosen.size))
        fixed_cols = chosen[np.argsort(rel.rc[chosen], kind="stable")[:n_fix]]
        fixed = np.zeros(ncol, dtype=bool)
        fixed[fixed_cols] = True
        covered = np.asarray(a_csc @ fixed.astype(np.float64)).ravel() > 0
        rest = np.flatnonzero(~covered)
        if rest.size:
            sub = a[rest]
            target = float(best_x.sum() - n_fix)
            snapshots.clear()
            sub_rel = subgradient(sub, target, u0=rel.u[rest], max_iter=max_iter // 4, deadline=deadline,
                                  on_iterate=keep)
            sub_snaps = list(snapshots)
            before = int(best_x.sum())
            for u_sub in [sub_rel.u, *sub_snaps[::-1][: max(greedy_runs // 6, 1)]]:
                u_full = _expand(rest, u_sub, a.shape[0])
                cand = lagrangian_greedy(a, at, a_csc, u_full, 1.0 - at @ u_full, covered=covered)
                consider(remove_redundant(a_csc, cand | fixed, rel.rc))
        else:
            before = int(best_x.sum())
            consider(remove_redundant(a_csc, fixed, rel.rc))
        share = min(0.9, share + 0.1) if best_x.sum() >= before else share
    return HeuristicResult(best_x, rel, covers)


def _expand(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[rows] = values
    return out


def reduced_cost_fixing(rel: Relaxation, upper: int) -> np.ndarray:
    """Columns no cover of at most ``upper − 1`` columns uses (Lagrangian reduced-cost test:
    a cover with column j costs at least L(u) + rc_j, and the optimum is an integer): the mask
    of those with ``⌈L + rc_j⌉ ≥ upper`` (L rounded down by ROUND_TOL first)."""
    return np.ceil(rel.value + rel.rc - ROUND_TOL) >= upper


#: Share of what is left of the budget that :func:`lagrangian_stage` may use (HiGHS gets the rest).
LAGRANGIAN_BUDGET_SHARE = 0.2
#: Below this share of the budget (s) the stage is skipped.
MIN_STAGE_S = 0.05
@dataclass
class Stage:
    """What :func:`lagrangian_stage` hands the MILP: the best cover (``sites``, candidate
    indices including the forced ones), the certified bound (forced sites + ⌈L⌉), whether they
    meet (``proven``), the candidates reduced-cost fixing excludes (mask) and figures for
    ``SitingResult.extra``."""

    sites: np.ndarray
    bound: int
    proven: bool
    excluded: np.ndarray
    extra: dict


def _stage_inputs(a, allowed: np.ndarray, forced: np.ndarray, start_sites, time_limit_s, t0: float):
    """What both stages start from: the columns still free (``allowed`` and not ``forced``), the
    rows restricted to them, the start as a mask over those columns, and the stage's deadline
    (LAGRANGIAN_BUDGET_SHARE of what is left of ``time_limit_s`` counted from ``t0``; None = no clock)."""
    cols = np.flatnonzero(allowed & ~forced)
    a = sp.csr_matrix(a)[:, cols]
    x0 = np.isin(cols, np.asarray(start_sites, dtype=np.int64))
    deadline = None
    if time_limit_s is not None and math.isfinite(float(time_limit_s)):
        left = max(float(time_limit_s) - (time.perf_counter() - t0), 0.0)
        deadline = time.perf_counter() + LAGRANGIAN_BUDGET_SHARE * left
    return cols, a, x0, deadline


def lagrangian_bound_stage(a, allowed: np.ndarray, forced: np.ndarray, start_sites, time_limit_s, t0: float):
    """The bound of :func:`lagrangian_stage` alone (for
    :func:`~jangkau.selection.siting_quota_exact.lscp_bound_only`): :func:`subgradient` on the
    same rows and columns within the same share of the budget, its step target the start's size
    on them, and no heuristic covers and no reduced-cost fixing. Returns ``(bound, extra)``: the
    certified bound forced sites + ⌈L⌉ (just the forced sites when the stage is skipped: no rows
    left, or less than MIN_STAGE_S of budget) and figures for ``SitingResult.extra``."""
    c0 = time.perf_counter()
    _cols, a, x0, deadline = _stage_inputs(a, allowed, forced, start_sites, time_limit_s, t0)
    n_forced = int(forced.sum())
    if a.shape[0] == 0:
        return n_forced, {"lagrangian_bound": float(n_forced)}
    if deadline is not None and deadline - time.perf_counter() < MIN_STAGE_S:
        return n_forced, {"lagrangian_skipped": True}
    upper = float(x0.sum()) if is_cover(sp.csc_matrix(a), x0) else math.inf
    rel = subgradient(a, upper, deadline=deadline)
    bound = rel.bound + n_forced
    return bound, {"lagrangian_value": rel.value + n_forced, "lagrangian_bound": float(bound),
                   "lagrangian_iterations": rel.iterations, "lagrangian_time_s": time.perf_counter() - c0}


def lagrangian_stage(a, allowed: np.ndarray, forced: np.ndarray, start_sites, time_limit_s, t0: float) -> Stage:
    """The Lagrangian stage of the exact LSCP on the reduced covering rows ``a`` (rows still to
    cover × all m candidates) with the candidates still ``allowed`` (free, not dropped), of which
    ``forced`` are open in every optimum: :func:`lagrangian_heuristic` from ``start_sites``
    (a cover), within LAGRANGIAN_BUDGET_SHARE of what is left of ``time_limit_s`` (counted from
    ``t0``; None = no clock, at most 2,000 iterations), then :func:`reduced_cost_fixing` (the
    best cover's own columns are never excluded: it stays a valid MIP start)."""
    c0 = time.perf_counter()
    cols, a, x0, deadline = _stage_inputs(a, allowed, forced, start_sites, time_limit_s, t0)
    n_forced = int(forced.sum())
    excluded = np.zeros(allowed.size, dtype=bool)
    if a.shape[0] == 0:
        sites = np.flatnonzero(forced)
        return Stage(sites, n_forced, True, excluded, {"lagrangian_bound": float(n_forced)})
    if deadline is not None and deadline - time.perf_counter() < MIN_STAGE_S:
        # the budget is spent (input preparation and the greedy used it): HiGHS gets what is left
        sites = np.unique(np.concatenate([np.asarray(start_sites, dtype=np.int64), np.flatnonzero(forced)]))
        return Stage(sites, n_forced, False, excluded, {"lagrangian_skipped": True})
    h = lagrangian_heuristic(a, x0, deadline=deadline)
    best = int(h.x.sum())
    sites = np.sort(np.concatenate([cols[h.x], np.flatnonzero(forced)])).astype(np.int64)
    bound = min(best, h.relaxation.bound) + n_forced
    # the best cover's own columns stay, so it is still a start of the reduced model
    excluded[cols[reduced_cost_fixing(h.relaxation, best) & ~h.x]] = True
    extra = {
        "lagrangian_value": h.relaxation.value + n_forced,
        "lagrangian_bound": float(bound),
        "lagrangian_objective": float(best + n_forced),
        "lagrangian_start_objective": float(x0.sum() + n_forced),
        "lagrangian_iterations": h.relaxation.iterations,
        "lagrangian_covers": h.covers,
        "lagrangian_time_s": time.perf_counter() - c0,
        "milp_candidates_reduced_cost_fixed": int(excluded.sum()),
    }
    return Stage(sites, bound, bound >= best + n_forced, excluded, extra)
