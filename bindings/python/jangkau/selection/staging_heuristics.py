"""Staged site selection, the heuristics (through the siting engine's greedy + Lagrangian
bounds, :mod:`jangkau.selection.siting`): the myopic plan (each stage alone, in order), the
sequenced plan (the best set for the whole horizon put into stages by marginal gain), a
1-swap local search between stages, and the certified bound U_t of every stage (the
single-period MCLP with the cumulative budget and quotas). The model:
:mod:`jangkau.selection.staging`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import InfeasibleError
from . import siting
from .staging_instance import StagingProblem, feasible, floors_met

__all__ = ["fixed_mclp", "myopic_plan", "sequenced_plan", "local_search", "stage_bounds"]


def _siting_quotas(pr: StagingProblem, need: np.ndarray) -> dict[str, int] | None:
    q = {pr.group_labels[g]: int(need[g]) for g in range(len(pr.group_labels)) if need[g] > 0}
    return q or None


def fixed_mclp(pr: StagingProblem, p: int, fixed: np.ndarray, need: np.ndarray, floors: np.ndarray | None,
               solver: str, time_limit_s: float | None, threads: int) -> siting.SitingResult:
    groups = np.array([pr.group_labels[g] if g >= 0 else None for g in pr.group], dtype=object)
    q = _siting_quotas(pr, need)
    zones = None
    fl = None
    if floors is not None and np.isfinite(floors).any():
        zones = np.array([pr.zone_labels[k] if k >= 0 else None for k in pr.zone], dtype=object)
        fl = {pr.zone_labels[k]: float(floors[k]) for k in range(len(pr.zone_labels)) if np.isfinite(floors[k])}
    return siting.mclp(pr.w, pr.cov, p, groups=groups if q else None, quotas=q, quota_mode="at_least",
                       fixed=np.flatnonzero(fixed) if fixed.any() else None,
                       precovered=pr.base if pr.base.any() else None, zones=zones, floors=fl, solver=solver,
                       time_limit_s=time_limit_s, threads=threads)


def myopic_plan(pr: StagingProblem, solver: str, time_limit_s: float | None,
                threads: int) -> np.ndarray | None:
    """Each stage alone, in order: MCLP with the earlier stages (and this stage's fixed
    sites) fixed, this stage's quotas and floors. None when a stage is infeasible."""
    stage = pr.fixed_stage.copy()
    for t in range(pr.S):
        fixed = (stage > 0) & (stage <= t + 1)
        fixed_now = pr.fixed_stage == t + 1
        p = pr.schedule.budgets[t] - int(fixed_now.sum())
        need = np.maximum(pr.quota[:, t] - np.bincount(pr.group[fixed_now & (pr.group >= 0)],
                                                        minlength=len(pr.group_labels)), 0)
        if p == 0:
            continue
        # Later stages' fixed sites are not available now.
        blocked = pr.fixed_stage > t + 1
        if blocked.any():
            # Treat them as fixed-but-absent: emulate by excluding them from coverage.
            sub = pr.cov.copy().tolil()
            sub[:, np.flatnonzero(blocked)] = 0
            sub_pr = StagingProblem(**{**pr.__dict__, "cov": sp.csc_matrix(sub), "csr": sp.csr_matrix(sub)})
            sub_pr.group = np.where(blocked, -1, pr.group)
        else:
            sub_pr = pr
        try:
            r = fixed_mclp(sub_pr, p, fixed, need, pr.floor[:, t], solver, time_limit_s, threads)
        except InfeasibleError:
            return None
        new = np.asarray(r.sites, dtype=np.int64)
        new = new[~fixed[new] & ~blocked[new]]
        if new.size != p:
            return None
        stage[new] = t + 1
    return stage


def sequenced_plan(pr: StagingProblem, chosen: np.ndarray) -> np.ndarray | None:
    """Put a chosen set (including the user-fixed sites) into stages: per stage, the fixed
    sites first, then the group quotas by largest marginal gain, then the budget by largest
    marginal gain. None if the set cannot satisfy the stage rules."""
    stage = pr.fixed_stage.copy()
    left = [int(j) for j in chosen if pr.fixed_stage[j] == 0]
    covered = pr.base.copy()

    def gain(j: int) -> float:
        rows = pr.cov.indices[pr.cov.indptr[j]:pr.cov.indptr[j + 1]]
        return float(pr.w[rows[~covered[rows]]].sum())

    def take(j: int, t: int) -> None:
        stage[j] = t + 1
        covered[pr.cov.indices[pr.cov.indptr[j]:pr.cov.indptr[j + 1]]] = True
        left.remove(j)

    for t in range(pr.S):
        for j in np.flatnonzero(pr.fixed_stage == t + 1):
            covered[pr.cov.indices[pr.cov.indptr[j]:pr.cov.indptr[j + 1]]] = True
        room = pr.schedule.budgets[t] - int((pr.fixed_stage == t + 1).sum())
        for g in range(len(pr.group_labels)):
            need = int(pr.quota[g, t]) - int(((stage == t + 1) & (pr.group == g)).sum())
            for _ in range(max(need, 0)):
                cands = [j for j in left if pr.group[j] == g]
                if not cands or room == 0:
                    return None
                take(max(cands, key=lambda j: (gain(j), -j)), t)
                room -= 1
        while room > 0:
            if not left:
                return None
            take(max(left, key=lambda j: (gain(j), -j)), t)
            room -= 1
    return stage if feasible(pr, stage) else None


def local_search(pr: StagingProblem, stage: np.ndarray, max_moves: int = 200) -> np.ndarray:
    """First-improvement local search on a feasible plan: replace a chosen site by an
    unchosen one in the same stage, or exchange the stages of two chosen sites, whenever
    that raises the staged objective and keeps the budgets, quotas and floors; user-fixed
    sites stay; at most ``max_moves`` improving moves. Deterministic (index order)."""
    S = pr.S
    inc = pr.schedule.increments
    a_years = np.concatenate([np.cumsum(inc[::-1])[::-1], [0.0]])  # a_t by stage, a_{S+1} = 0
    ind, ptr = pr.cov.indices, pr.cov.indptr
    free = pr.fixed_stage == 0
    w = np.where(pr.base, 0.0, pr.w)

    def value(st: np.ndarray) -> float:
        first = np.full(pr.n, S + 1, dtype=np.int64)
        for j in np.flatnonzero(st > 0):
            rows = ind[ptr[j]:ptr[j + 1]]
            np.minimum.at(first, rows, st[j])
        return float(np.dot(w, a_years[first - 1]))

    def quota_ok(st: np.ndarray, t: int) -> bool:
        at = st == t + 1
        counts = np.bincount(pr.group[at & (pr.group >= 0)], minlength=len(pr.group_labels))
        return bool((counts >= pr.quota[:, t]).all())

    has_floors = bool(np.isfinite(pr.floor).any())
    best = stage.copy()
    best_v = value(best)
    for _ in range(max_moves):
        improved = False
        chosen = [int(j) for j in np.flatnonzero((best > 0) & free)]
        for j in chosen:
            t = int(best[j])
            for k in map(int, np.flatnonzero((best == 0) & free)):
                trial = best.copy()
                trial[j], trial[k] = 0, t
                if not quota_ok(trial, t - 1):
                    continue
                v = value(trial)
                if v > best_v + 1e-9 * max(1.0, abs(best_v)) and (not has_floors or floors_met(pr, trial)):
                    best, best_v, improved = trial, v, True
                    break
            else:
                continue
            break
        if improved:
            continue
        for j in chosen:
            for k in chosen:
                if k <= j or best[j] == best[k]:
                    continue
                trial = best.copy()
                trial[j], trial[k] = best[k], best[j]
                if not (quota_ok(trial, int(best[j]) - 1) and quota_ok(trial, int(best[k]) - 1)):
                    continue
                v = value(trial)
                if v > best_v + 1e-9 * max(1.0, abs(best_v)) and (not has_floors or floors_met(pr, trial)):
                    best, best_v, improved = trial, v, True
                    break
            if improved:
                break
        if not improved:
            break
    return best


def stage_bounds(pr: StagingProblem, solver: str, time_limit_s: float | None, threads: int) -> np.ndarray:
    """U_t ≥ the most weight newly coverable with P_t sites under the cumulative quotas
    (the siting engine's certified bound; floors dropped — a relaxation)."""
    out = np.zeros(pr.S)
    base_w = float(pr.w[pr.base].sum())
    for t in range(pr.S):
        P = int(pr.schedule.cumulative_budgets[t])
        fixed = (pr.fixed_stage > 0) & (pr.fixed_stage <= t + 1)
        p = P - int(fixed.sum())
        # Sites fixed in later stages cannot help by stage t; keeping them available only
        # loosens the relaxation, which stays valid.
        need = pr.quota[:, : t + 1].sum(axis=1) - np.bincount(pr.group[fixed & (pr.group >= 0)],
                                                               minlength=len(pr.group_labels))
        need = np.maximum(need, 0)
        if p == 0:
            cov = pr.base.copy()
            for j in np.flatnonzero(fixed):
                cov[pr.cov.indices[pr.cov.indptr[j]:pr.cov.indptr[j + 1]]] = True
            out[t] = float(pr.w[cov].sum()) - base_w
            continue
        r = fixed_mclp(pr, p, fixed, need, None, solver, time_limit_s, threads)
        out[t] = float(r.bound) - base_w
    # Coverage by stage t is also at most the coverage bound of any later stage.
    return np.minimum.accumulate(out[::-1])[::-1]
