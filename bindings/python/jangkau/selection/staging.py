"""Staged (multi-period) site selection: which pilots / new service points open in which
stage of a programme.

The model is a multi-period maximal covering problem (Church & ReVelle 1974 over several
periods; the "dynamic location" family reviewed by Owen & Daskin 1998): demand points i with weight w_i
(population), candidates j that cover the demand points within a service standard
(a 0/1 or cost matrix, as for :func:`jangkau.selection.siting.mclp`), stages t = 1..S
starting at years s_1 = 0 < s_2 < ... < s_S < H (the horizon). A site opened in stage t
serves from the start of that stage to the horizon and is never closed; choices of earlier
stages are fixed in later ones.

Decision y_jt = 1 when candidate j opens in stage t, z_it ≤ 1 when demand i is covered by
the end of stage t. With a_t = the (optionally discounted) years from s_t to H and
c_t = a_t − a_{t+1} ≥ 0 (a_{S+1} = 0)::

    max  Σ_t c_t Σ_i w_i z_it                     (= Σ_i w_i · a_{first stage i is covered})
    s.t. z_it ≤ Σ_{j∈N(i)} Σ_{s≤t} y_js           (covered only by sites open by stage t)
         Σ_t y_jt ≤ 1                              (a site opens once)
         Σ_j y_jt = p_t                            (budget of stage t)
         Σ_{j∈G_g} y_jt ≥ q_gt                     (per-group quota, e.g. one per dapil in stage 1)
         Σ_{i∈Z_k} w_i z_it ≥ f_kt W_k             (equity floor: zone k covered share by stage t)
         y binary, 0 ≤ z ≤ 1, y_jt = 1 for sites fixed in stage t.

The objective is the covered population-years (person-years of service) added by the new
sites; demand covered already (``precovered``) or by sites fixed before the plan carries no
benefit. Solvers:

* the *myopic* plan: each stage solved alone in order (maximal covering with the earlier
  stages fixed, :func:`jangkau.selection.siting.mclp`), what a planner does without
  looking ahead;
* the *sequenced* plan: the best set for the whole horizon (MCLP with Σ p_t sites and the
  cumulative quotas), put into stages greedily by marginal gain, the stage rules first;
* the exact MILP above (HiGHS through ``highspy``), warm-started from the better of the
  two, within a time limit.

Certified bound: the coverage by the end of stage t cannot exceed the optimum U_t of the
single-period MCLP with P_t = p_1 + ... + p_t sites and the cumulative quotas (a
relaxation), so F* ≤ Σ_t c_t U_t; each U_t is bounded by the siting engine's certified
bound (greedy + Lagrangian, then the MILP's dual bound). The HiGHS dual bound of the
staged MILP is another valid bound; the tighter of the two is reported. The gap per stage
compares the coverage reached by stage t with U_t's bound. See docs/programme.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InfeasibleError, InvalidInputError
from . import siting
from .milp import highspy_module, new_highs

__all__ = [
    "StageSchedule",
    "StagedResult",
    "staged_mclp",
    "staged_objective",
    "stage_coverage",
    "coverage_pattern",
    "PlanOutputs",
    "plan_sites",
]


@dataclass(frozen=True)
class StageSchedule:
    """Stages of a programme: ``budgets[t]`` new sites in stage t+1, stages starting at
    ``starts`` (years from the programme start; default evenly spaced over the horizon:
    0, H/S, 2H/S, ...), ``horizon_years`` H (default 10) and a continuous
    ``discount_rate`` ρ per year (default 0: plain person-years).

    Benefit per covered person of coverage starting in stage t:
    a_t = H − s_t (ρ = 0) or (e^{−ρ s_t} − e^{−ρ H})/ρ (discounted person-years).
    """

    budgets: tuple[int, ...]
    horizon_years: float = 10.0
    starts: tuple[float, ...] | None = None
    discount_rate: float = 0.0

    def __post_init__(self) -> None:
        b = tuple(int(x) for x in self.budgets)
        if not b:
            raise InvalidInputError("a schedule needs at least one stage", field="budgets")
        if any(x < 0 for x in b):
            raise InvalidInputError(f"stage budgets must be >= 0, got {list(b)}", field="budgets")
        object.__setattr__(self, "budgets", b)
        h = float(self.horizon_years)
        if not (math.isfinite(h) and h > 0):
            raise InvalidInputError(f"horizon_years must be positive, got {self.horizon_years}",
                                    field="horizon_years")
        if self.starts is not None:
            s = tuple(float(x) for x in self.starts)
            if len(s) != len(b):
                raise InvalidInputError(f"{len(s)} stage starts for {len(b)} stages", field="starts")
            if s[0] != 0.0 or any(s[k + 1] <= s[k] for k in range(len(s) - 1)) or s[-1] >= h:
                raise InvalidInputError(f"stage starts must begin at 0, increase and stay below the horizon "
                                        f"{h:g}: {list(s)}", field="starts")
            object.__setattr__(self, "starts", s)
        r = float(self.discount_rate)
        if not (math.isfinite(r) and r >= 0):
            raise InvalidInputError(f"discount_rate must be >= 0, got {self.discount_rate}", field="discount_rate")

    @classmethod
    def even(cls, stages: int = 4, total: int | None = None, *, per_stage: int | None = None,
             horizon_years: float = 10.0, discount_rate: float = 0.0) -> StageSchedule:
        """``stages`` evenly spaced stages with ``per_stage`` sites each, or ``total`` sites
        split as evenly as possible (earlier stages get the remainder)."""
        if int(stages) < 1:
            raise InvalidInputError(f"stages must be >= 1, got {stages}", field="stages")
        if (total is None) == (per_stage is None):
            raise InvalidInputError("give exactly one of total and per_stage", field="budgets")
        if per_stage is not None:
            budgets = [int(per_stage)] * int(stages)
        else:
            assert total is not None
            q, r = divmod(int(total), int(stages))
            budgets = [q + (1 if k < r else 0) for k in range(int(stages))]
        return cls(tuple(budgets), horizon_years=horizon_years, discount_rate=discount_rate)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], *, default_per_stage: int) -> StageSchedule:
        """From a ``[plan]`` table: ``budgets`` (list, one per stage) or ``stages`` (default 4)
        with ``per_stage`` (default ``default_per_stage``); ``horizon_years`` (default 10),
        ``starts`` (optional) and ``discount_rate`` (default 0)."""
        horizon = float(cfg.get("horizon_years", 10.0))
        rate = float(cfg.get("discount_rate", 0.0))
        starts = cfg.get("starts")
        if cfg.get("budgets") is not None:
            budgets = tuple(int(b) for b in cfg["budgets"])
        else:
            budgets = (int(cfg.get("per_stage", default_per_stage)),) * int(cfg.get("stages", 4))
        return cls(budgets, horizon_years=horizon, starts=tuple(starts) if starts else None, discount_rate=rate)

    @property
    def stages(self) -> int:
        return len(self.budgets)

    @property
    def stage_starts(self) -> np.ndarray:
        """Start year of every stage."""
        if self.starts is not None:
            return np.asarray(self.starts, dtype=float)
        return np.arange(self.stages) * (float(self.horizon_years) / self.stages)

    @property
    def years_remaining(self) -> np.ndarray:
        """a_t: (discounted) years of service of a site opened in stage t."""
        s = self.stage_starts
        h = float(self.horizon_years)
        r = float(self.discount_rate)
        if r == 0:
            return h - s
        return (np.exp(-r * s) - math.exp(-r * h)) / r

    @property
    def increments(self) -> np.ndarray:
        """c_t = a_t − a_{t+1} (a_{S+1} = 0): the weight of the coverage reached by stage t."""
        a = self.years_remaining
        return a - np.append(a[1:], 0.0)

    @property
    def cumulative_budgets(self) -> np.ndarray:
        return np.cumsum(np.asarray(self.budgets, dtype=np.int64))


@dataclass(frozen=True)
class StagedResult:
    """A staged plan.

    ``stage`` (one int per candidate; 0 = not chosen) is the plan; ``objective`` its
    covered person-years (new coverage only), ``bound`` a certified upper bound on the
    optimum and ``gap`` their :func:`~jangkau.selection.siting.relative_gap`.
    ``stages``: one row per stage (stage, start_year, years_remaining, sites, new_sites,
    covered, covered_share, stage_bound, stage_gap, benefit). ``myopic`` is the
    stage-by-stage plan's objective and ``myopic_stage`` its assignment; ``source`` says
    which plan won (milp, sequenced or myopic); ``status`` the MILP's status or
    ``"skipped"``.
    """

    stage: np.ndarray
    objective: float
    bound: float
    gap: float
    stages: pd.DataFrame
    schedule: StageSchedule
    myopic: float
    myopic_stage: np.ndarray
    source: str
    status: str
    time_s: float
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def sites(self) -> np.ndarray:
        """Chosen candidate indices, ordered by stage then index."""
        idx = np.flatnonzero(self.stage > 0)
        return idx[np.argsort(self.stage[idx], kind="stable")]


# ----------------------------------------------------------------------------------------
# Inputs


def coverage_pattern(coverage, max_cost: float | None = None, n_candidates: int | None = None) -> sp.csc_matrix:
    """A boolean n × m coverage pattern (CSC) from a sparse/dense cost or 0/1 matrix."""
    if isinstance(coverage, tuple):
        if n_candidates is None:
            raise InvalidInputError("a COO tuple needs n_candidates", field="n_candidates")
        rows = np.asarray(coverage[0], dtype=np.int64)
        cols = np.asarray(coverage[1], dtype=np.int64)
        vals = np.asarray(coverage[2], dtype=float) if len(coverage) > 2 else np.ones(rows.size)
        n = int(rows.max()) + 1 if rows.size else 0
        m = sp.csc_matrix((vals, (rows, cols)), shape=(n, int(n_candidates)))
    elif sp.issparse(coverage):
        m = sp.csc_matrix(coverage)  # type: ignore[call-overload]
    else:
        a = np.asarray(coverage, dtype=float)
        if a.ndim != 2:
            raise InvalidInputError("the coverage matrix must be 2-D (demand × candidates)", field="coverage")
        if max_cost is None:
            m = sp.csc_matrix(np.where(np.isfinite(a) & (a != 0), 1.0, 0.0))
        else:
            ok = np.isfinite(a) & (a <= max_cost)
            r, c = np.nonzero(ok)
            m = sp.csc_matrix((np.ones(r.size), (r, c)), shape=a.shape)
            max_cost = None
    if max_cost is not None:
        m = m.copy()
        m.data = (m.data <= float(max_cost)).astype(float)
    m.eliminate_zeros()
    m.data[:] = 1.0
    m.sort_indices()
    return m


def _labels(values, size: int, what: str) -> np.ndarray:
    if values is None:
        return np.full(size, None, dtype=object)
    arr = np.asarray(values, dtype=object)
    if arr.shape != (size,):
        raise InvalidInputError(f"{what} must have one label per element ({size}), got shape {arr.shape}",
                                field=what)
    return np.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in arr],
                    dtype=object)


def _quota_table(quotas, group_labels: list[str], stages: int, first_stage_every_group: bool) -> np.ndarray:
    """q[g, t]: minimum new sites of group g in stage t."""
    q = np.zeros((len(group_labels), stages), dtype=np.int64)
    if quotas is not None:
        if isinstance(quotas, Mapping):
            for label, v in quotas.items():
                if str(label) not in group_labels:
                    raise InvalidInputError(f"quota for unknown group {label!r}", field="quotas")
                g = group_labels.index(str(label))
                q[g] = _per_stage(v, stages, f"quotas[{label!r}]")
        else:
            q[:] = _per_stage(quotas, stages, "quotas")[None, :]
    if first_stage_every_group and len(group_labels):
        q[:, 0] = np.maximum(q[:, 0], 1)
    return q


def _per_stage(v, stages: int, what: str) -> np.ndarray:
    if np.isscalar(v):
        out = np.full(stages, v)
    else:
        out = np.asarray(list(v))
        if out.shape != (stages,):
            raise InvalidInputError(f"{what}: {out.size} values for {stages} stages", field=what)
    out = np.asarray(out, dtype=float)
    if not np.isfinite(out).all() or (out < 0).any():
        raise InvalidInputError(f"{what} must be finite and >= 0", field=what)
    return out


@dataclass
class _Problem:
    w: np.ndarray
    cov: sp.csc_matrix
    csr: sp.csr_matrix
    schedule: StageSchedule
    group: np.ndarray           # group index per candidate, -1 none
    group_labels: list[str]
    quota: np.ndarray           # (G, S)
    zone: np.ndarray            # zone index per demand point, -1 none
    zone_labels: list[str]
    floor: np.ndarray           # (K, S) share, NaN = none
    base: np.ndarray            # demand covered before the plan
    fixed_stage: np.ndarray     # stage per candidate fixed by the user (0 = free)

    @property
    def n(self) -> int:
        return int(self.w.size)

    @property
    def m(self) -> int:
        return int(self.cov.shape[1])

    @property
    def S(self) -> int:
        return self.schedule.stages


def _prepare(demand_weights, coverage, schedule: StageSchedule, *, max_cost, n_candidates, groups, quotas,
             first_stage_every_group, zones, floors, fixed, precovered) -> _Problem:
    w = np.ascontiguousarray(np.asarray(demand_weights, dtype=np.float64))
    if w.ndim != 1:
        raise InvalidInputError("demand weights must be 1-D", field="demand_weights")
    if not np.isfinite(w).all() or (w < 0).any():
        i = int(np.flatnonzero(~(np.isfinite(w) & (w >= 0)))[0])
        raise InvalidInputError(f"demand weight #{i} is {w[i]}: must be finite and >= 0", feature=i,
                                field="demand_weights")
    cov = coverage_pattern(coverage, max_cost, n_candidates)
    if cov.shape[0] != w.size:
        if cov.shape[0] < w.size and isinstance(coverage, tuple):
            cov = sp.csc_matrix((cov.data, cov.indices, cov.indptr), shape=(w.size, cov.shape[1]))
        else:
            raise InvalidInputError(f"coverage has {cov.shape[0]} rows for {w.size} demand points",
                                    field="coverage")
    m = cov.shape[1]
    S = schedule.stages
    glab = _labels(groups, m, "groups")
    group_labels = sorted({g for g in glab if g is not None})
    group = np.array([group_labels.index(g) if g is not None else -1 for g in glab], dtype=np.int64)
    quota = _quota_table(quotas, group_labels, S, first_stage_every_group)
    zlab = _labels(zones, w.size, "zones")
    zone_labels = sorted({z for z in zlab if z is not None})
    zone = np.array([zone_labels.index(z) if z is not None else -1 for z in zlab], dtype=np.int64)
    floor = np.full((len(zone_labels), S), np.nan)
    if floors is not None:
        if zones is None:
            raise InvalidInputError("floors need zones (one label per demand point)", field="floors")
        if isinstance(floors, Mapping):
            for label, v in floors.items():
                if str(label) not in zone_labels:
                    raise InvalidInputError(f"floor for unknown zone {label!r}", field="floors")
                floor[zone_labels.index(str(label))] = _per_stage(v, S, f"floors[{label!r}]")
        else:
            floor[:] = _per_stage(floors, S, "floors")[None, :]
        if (floor[np.isfinite(floor)] > 1).any():
            raise InvalidInputError("floors are covered shares in [0, 1]", field="floors")
    base = np.zeros(w.size, dtype=bool)
    if precovered is not None:
        pc = np.asarray(precovered)
        if pc.dtype == bool:
            if pc.shape != (w.size,):
                raise InvalidInputError("precovered mask must have one entry per demand point", field="precovered")
            base |= pc
        else:
            base[pc.astype(np.int64)] = True
    fixed_stage = np.zeros(m, dtype=np.int64)
    if fixed is not None:
        items = fixed.items() if isinstance(fixed, Mapping) else enumerate(np.asarray(fixed))
        for j, t in items:
            j, t = int(j), int(t)
            if not (0 <= j < m):
                raise InvalidInputError(f"fixed candidate {j} is not in 0..{m - 1}", field="fixed")
            if not (0 <= t <= S):
                raise InvalidInputError(f"candidate {j} fixed in stage {t}, not in 1..{S}", field="fixed")
            fixed_stage[j] = t
    for t in range(S):
        nf = int((fixed_stage == t + 1).sum())
        if nf > schedule.budgets[t]:
            raise InfeasibleError(f"{nf} sites are fixed in stage {t + 1} but its budget is {schedule.budgets[t]}",
                                  field="fixed")
    total = int(schedule.cumulative_budgets[-1])
    if total > m:
        raise InfeasibleError(f"the stages open {total} sites but there are only {m} candidates", field="budgets")
    pr = _Problem(w=w, cov=cov, csr=cov.tocsr(), schedule=schedule, group=group, group_labels=group_labels,
                  quota=quota, zone=zone, zone_labels=zone_labels, floor=floor, base=base, fixed_stage=fixed_stage)
    _check_quotas(pr)
    return pr


def _check_quotas(pr: _Problem) -> None:
    for t in range(pr.S):
        if pr.quota[:, t].sum() > pr.schedule.budgets[t]:
            what = "one pilot per group in stage 1" if t == 0 else f"the quotas of stage {t + 1}"
            raise InfeasibleError(f"{what} needs {int(pr.quota[:, t].sum())} sites but stage {t + 1} opens only "
                                  f"{pr.schedule.budgets[t]}", field="budgets")
    for g, label in enumerate(pr.group_labels):
        need = int(pr.quota[g].sum())
        have = int((pr.group == g).sum())
        if need > have:
            raise InfeasibleError(f"group {label!r} needs {need} sites over the stages but has {have} candidates",
                                  field="quotas")


# ----------------------------------------------------------------------------------------
# Evaluation


def stage_coverage(coverage_csc: sp.csc_matrix, weights: np.ndarray, stage: np.ndarray, stages: int,
                   base: np.ndarray | None = None) -> np.ndarray:
    """Weight newly covered by the end of each stage (array of length ``stages``): demand
    within reach of a site with 1 ≤ stage ≤ t, minus ``base`` (covered before the plan)."""
    first = np.full(weights.size, stages + 1, dtype=np.int64)
    st = np.asarray(stage, dtype=np.int64)
    for j in np.flatnonzero(st > 0):
        rows = coverage_csc.indices[coverage_csc.indptr[j]:coverage_csc.indptr[j + 1]]
        first[rows] = np.minimum(first[rows], st[j])
    if base is not None:
        first[np.asarray(base, dtype=bool)] = stages + 1
    return np.array([float(weights[first <= t].sum()) for t in range(1, stages + 1)])


def staged_objective(coverage_csc: sp.csc_matrix, weights: np.ndarray, stage: np.ndarray,
                     schedule: StageSchedule, base: np.ndarray | None = None) -> float:
    """Σ_t c_t · (weight newly covered by the end of stage t): covered person-years."""
    cov = stage_coverage(coverage_csc, weights, stage, schedule.stages, base)
    return float(np.dot(schedule.increments, cov))


def _feasible(pr: _Problem, stage: np.ndarray) -> bool:
    for t in range(pr.S):
        at = stage == t + 1
        if int(at.sum()) != pr.schedule.budgets[t]:
            return False
        for g in range(len(pr.group_labels)):
            if int((at & (pr.group == g)).sum()) < pr.quota[g, t]:
                return False
    if ((pr.fixed_stage > 0) & (stage != pr.fixed_stage)).any():
        return False
    return _floors_met(pr, stage)


def _floors_met(pr: _Problem, stage: np.ndarray) -> bool:
    if not np.isfinite(pr.floor).any():
        return True
    ok = pr.zone >= 0
    total = np.bincount(pr.zone[ok], weights=pr.w[ok], minlength=len(pr.zone_labels))
    for t in range(pr.S):
        covered = pr.base.copy()
        for j in np.flatnonzero((stage > 0) & (stage <= t + 1)):
            covered[pr.cov.indices[pr.cov.indptr[j]:pr.cov.indptr[j + 1]]] = True
        got = np.bincount(pr.zone[ok], weights=(pr.w * covered)[ok], minlength=len(pr.zone_labels))
        need = pr.floor[:, t] * total
        f = np.isfinite(need)
        if (got[f] < need[f] - 1e-9 * max(1.0, float(total.sum()))).any():
            return False
    return True


# ----------------------------------------------------------------------------------------
# Heuristics (through the siting engine)


def _siting_quotas(pr: _Problem, need: np.ndarray) -> dict[str, int] | None:
    q = {pr.group_labels[g]: int(need[g]) for g in range(len(pr.group_labels)) if need[g] > 0}
    return q or None


def _mclp(pr: _Problem, p: int, fixed: np.ndarray, need: np.ndarray, floors: np.ndarray | None, solver: str,
          time_limit_s: float | None, threads: int) -> siting.SitingResult:
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


def _myopic(pr: _Problem, solver: str, time_limit_s: float | None, threads: int) -> np.ndarray | None:
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
            sub_pr = _Problem(**{**pr.__dict__, "cov": sp.csc_matrix(sub), "csr": sp.csr_matrix(sub)})
            sub_pr.group = np.where(blocked, -1, pr.group)
        else:
            sub_pr = pr
        try:
            r = _mclp(sub_pr, p, fixed, need, pr.floor[:, t], solver, time_limit_s, threads)
        except InfeasibleError:
            return None
        new = np.asarray(r.sites, dtype=np.int64)
        new = new[~fixed[new] & ~blocked[new]]
        if new.size != p:
            return None
        stage[new] = t + 1
    return stage


def _sequence(pr: _Problem, chosen: np.ndarray) -> np.ndarray | None:
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
    return stage if _feasible(pr, stage) else None


def _local_search(pr: _Problem, stage: np.ndarray, max_moves: int = 200) -> np.ndarray:
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
                if v > best_v + 1e-9 * max(1.0, abs(best_v)) and (not has_floors or _floors_met(pr, trial)):
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
                if v > best_v + 1e-9 * max(1.0, abs(best_v)) and (not has_floors or _floors_met(pr, trial)):
                    best, best_v, improved = trial, v, True
                    break
            if improved:
                break
        if not improved:
            break
    return best


def _stage_bounds(pr: _Problem, solver: str, time_limit_s: float | None, threads: int) -> np.ndarray:
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
        r = _mclp(pr, p, fixed, need, None, solver, time_limit_s, threads)
        out[t] = float(r.bound) - base_w
    # Coverage by stage t is also at most the coverage bound of any later stage.
    return np.minimum.accumulate(out[::-1])[::-1]


# ----------------------------------------------------------------------------------------
# Exact MILP


def _milp(pr: _Problem, time_limit_s: float | None, mip_gap: float, threads: int,
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
    if threads:
        h.setOptionValue("threads", int(threads))
    a.sort_indices()
    # Flat-array model, rows stored row-wise (format 2); sense −1 = maximise.
    h.passModel(int(ncol), int(a.shape[0]), int(a.nnz), 2, -1, 0.0, cost.astype(np.float64),
                lower.astype(np.float64), upper.astype(np.float64),
                np.concatenate([np.ravel(v) for v in lo]).astype(np.float64),
                np.concatenate([np.ravel(v) for v in hi]).astype(np.float64),
                a.indptr[:-1].astype(np.int32), a.indices.astype(np.int32), a.data.astype(np.float64),
                integer.astype(np.int32))
    if time_limit_s is not None:
        # HiGHS checks its time_limit only between some phases (a large root LP or the MIP
        # start can run far past it); interrupt callbacks make the limit hold.
        deadline = time.perf_counter() + float(time_limit_s)

        def stop_at_deadline(event: Any) -> None:
            if time.perf_counter() > deadline:
                event.interrupt()

        for cb in ("cbSimplexInterrupt", "cbIpmInterrupt", "cbMipInterrupt"):
            if hasattr(h, cb):
                getattr(h, cb).subscribe(stop_at_deadline)
    if x0 is not None:
        sol = highspy.HighsSolution()
        sol.col_value = x0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    text = h.modelStatusToString(h.getModelStatus()).lower()
    info = h.getInfo()
    dual = float(info.mip_dual_bound)
    if info.primal_solution_status != 2:  # no feasible solution
        return None, dual, text
    x = np.asarray(h.getSolution().col_value)
    y = x[:ny].reshape(m, S) > 0.5
    stage = np.zeros(m, dtype=np.int64)
    for j, t in zip(*np.nonzero(y)):
        stage[j] = t + 1
    return stage, dual, text


# ----------------------------------------------------------------------------------------
# Entry point


def staged_mclp(
    demand_weights,
    coverage,
    schedule: StageSchedule | Sequence[int],
    *,
    max_cost: float | None = None,
    n_candidates: int | None = None,
    groups=None,
    first_stage_every_group: bool = True,
    quotas=None,
    zones=None,
    floors=None,
    fixed=None,
    precovered=None,
    solver: str = "auto",
    time_limit_s: float | None = 30.0,
    mip_gap: float = 1e-6,
    threads: int = 0,
) -> StagedResult:
    """Choose which candidates open in which stage, maximising covered person-years.

    ``coverage``: n × m cost matrix with ``max_cost``, or a 0/1 coverage matrix (as for
    :func:`~jangkau.selection.siting.mclp`). ``schedule``: a :class:`StageSchedule` or the
    budgets per stage (then 10 years, evenly spaced, no discount). ``groups``: one label
    per candidate (e.g. its dapil; None = none); with ``first_stage_every_group`` (default)
    every group gets at least one site in stage 1. ``quotas``: minimum new sites per group
    and stage (scalar for all, a per-stage list for all, or {group: scalar | per-stage
    list}). ``zones`` (label per demand point) with ``floors`` (covered share by the end of
    each stage; scalar, per-stage list, or {zone: ...}). ``fixed``: {candidate: stage}
    decided already. ``precovered``: demand already covered (no benefit).

    ``solver``: "greedy" (myopic and sequenced plans with the siting engine's greedy, no
    MILP), "milp" or "auto" (default: engine auto per stage, then the staged MILP
    warm-started from the best heuristic plan within ``time_limit_s``). The result is
    never worse than the myopic plan. Raises InfeasibleError when the stage rules cannot
    be met (e.g. fewer stage-1 sites than groups).
    """
    t0 = time.perf_counter()
    sched = schedule if isinstance(schedule, StageSchedule) else StageSchedule(tuple(schedule))
    if solver not in ("greedy", "milp", "auto"):
        raise InvalidInputError(f"unknown solver '{solver}' (greedy, milp, auto)", field="solver")
    pr = _prepare(demand_weights, coverage, sched, max_cost=max_cost, n_candidates=n_candidates, groups=groups,
                  quotas=quotas, first_stage_every_group=first_stage_every_group, zones=zones, floors=floors,
                  fixed=fixed, precovered=precovered)
    inner = "greedy" if solver == "greedy" else "auto"
    inner_limit = None if time_limit_s is None else max(float(time_limit_s) / (2 * pr.S + 2), 0.5)

    def value(stage: np.ndarray) -> float:
        return staged_objective(pr.cov, pr.w, stage, sched, pr.base)

    plans: dict[str, np.ndarray] = {}
    my = _myopic(pr, inner, inner_limit, threads)
    if my is not None and _feasible(pr, my):
        plans["myopic"] = my
    bounds = _stage_bounds(pr, inner, inner_limit, threads)
    # Sequenced: the best set for the whole horizon, put into stages.
    try:
        fixed_all = pr.fixed_stage > 0
        P = int(sched.cumulative_budgets[-1]) - int(fixed_all.sum())
        need = np.maximum(pr.quota.sum(axis=1) - np.bincount(pr.group[fixed_all & (pr.group >= 0)],
                                                             minlength=len(pr.group_labels)), 0)
        if P > 0:
            r = _mclp(pr, P, fixed_all, need, pr.floor[:, -1], inner, inner_limit, threads)
            chosen = np.union1d(np.asarray(r.sites, dtype=np.int64), np.flatnonzero(fixed_all))
        else:
            chosen = np.flatnonzero(fixed_all)
        seq = _sequence(pr, chosen)
        if seq is not None:
            plans["sequenced"] = seq
    except InfeasibleError:
        pass
    best_name: str | None = None
    best: np.ndarray | None = None
    for name in ("sequenced", "myopic"):
        if name in plans and (best is None or value(plans[name]) > value(best) + 1e-9):
            best_name, best = name, plans[name]
    if best is not None:
        improved = _local_search(pr, best)
        if value(improved) > value(best) + 1e-9:
            best_name, best = f"{best_name}+swaps", improved
    relax_bound = float(np.dot(sched.increments, bounds))
    status = "skipped"
    bound = relax_bound
    if solver in ("milp", "auto"):
        left = None if time_limit_s is None else max(float(time_limit_s) - (time.perf_counter() - t0), 1.0)
        st, dual, status = _milp(pr, left, mip_gap, threads, best)
        if np.isfinite(dual):
            bound = min(bound, dual)
        if st is not None and _feasible(pr, st) and (best is None or value(st) > value(best) + 1e-9):
            best_name, best = "milp", st
    if best is None:
        raise InfeasibleError("no staged plan satisfies the stage budgets, quotas and floors", field="floors")
    obj = value(best)
    bound = max(bound, obj)
    cov_t = stage_coverage(pr.cov, pr.w, best, pr.S, pr.base)
    bounds = np.maximum(bounds, cov_t)
    coverable = float(pr.w[~pr.base].sum())
    table = pd.DataFrame({
        "stage": np.arange(1, pr.S + 1),
        "start_year": sched.stage_starts,
        "years_remaining": sched.years_remaining,
        "sites": np.cumsum([int((best == t + 1).sum()) for t in range(pr.S)]),
        "new_sites": [int((best == t + 1).sum()) for t in range(pr.S)],
        "covered": cov_t,
        "covered_share": cov_t / coverable if coverable > 0 else np.zeros(pr.S),
        "stage_bound": bounds,
        "stage_gap": [siting.relative_gap(c, b) for c, b in zip(cov_t, bounds)],
        "benefit": sched.increments * cov_t,
    })
    myv = value(plans["myopic"]) if "myopic" in plans else float("nan")
    return StagedResult(
        stage=best, objective=obj, bound=float(bound), gap=siting.relative_gap(obj, bound), stages=table,
        schedule=sched, myopic=myv, myopic_stage=plans.get("myopic", np.zeros(pr.m, dtype=np.int64)),
        source=str(best_name), status=status, time_s=time.perf_counter() - t0,
        extra={"relaxation_bound": relax_bound,
               "sequenced": value(plans["sequenced"]) if "sequenced" in plans else float("nan"),
               "group_labels": pr.group_labels})


# ----------------------------------------------------------------------------------------
# Geometry adapter


@dataclass(frozen=True)
class PlanOutputs:
    """A staged plan on real layers: ``result`` (:class:`StagedResult`), ``sites`` (the
    chosen candidates, GeoDataFrame in EPSG:4326 with ``stage``, ``start_year``, ``dapil``),
    ``stages`` (the stage table with the myopic plan's coverage beside it) and
    ``summary`` (one row; no timings, so that equal inputs give equal files)."""

    result: StagedResult
    sites: Any
    stages: pd.DataFrame
    summary: pd.DataFrame


def plan_sites(demand, candidates, dapil_of_kecamatan: Mapping[str, Any] | pd.Series | None, *,
               schedule: StageSchedule | None = None, radius_m: float = 2000.0, precovered=None,
               quotas=None, floors=None, solver: str = "auto", time_limit_s: float | None = 20.0,
               no_plan_label: str = "(no dapil plan)") -> PlanOutputs:
    """Stage new sites on layers: ``demand`` points (metric CRS) with ``population`` and
    ``kecamatan_code``, ``candidates`` points (same CRS) with ``kecamatan_code``, the dapil
    of each kecamatan (None/empty: no dapil plan — every candidate is in one group, so
    stage 1 still opens a site). Coverage is straight-line within ``radius_m``.
    ``schedule`` defaults to 4 stages over 10 years with one site per group and stage.
    ``floors`` are covered shares per kecamatan (scalar or per stage).
    """
    d = np.column_stack([demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()])
    c = np.column_stack([candidates.geometry.x.to_numpy(), candidates.geometry.y.to_numpy()])
    dmap = pd.Series(dapil_of_kecamatan if dapil_of_kecamatan is not None else {}, dtype=object)
    dmap.index = dmap.index.astype(str)
    has_plan = bool(len(dmap) and dmap.notna().any())
    kcodes = [None if pd.isna(k) else str(k) for k in candidates["kecamatan_code"]]
    if has_plan:
        groups = np.array([dmap.get(k) if k is not None else None for k in kcodes], dtype=object)
        groups = np.array([None if (g is None or (isinstance(g, float) and math.isnan(g))) else str(g)
                           for g in groups], dtype=object)
    else:
        groups = np.array([no_plan_label] * len(kcodes), dtype=object)
    n_groups = len({g for g in groups if g is not None})
    if schedule is None:
        schedule = StageSchedule.even(4, per_stage=max(n_groups, 1))
    cost = siting.coverage_matrix(d, c, radius_m=float(radius_m))
    pattern = coverage_pattern(cost, float(radius_m))
    w = demand["population"].to_numpy(dtype=float)
    res = staged_mclp(w, pattern, schedule, groups=groups, quotas=quotas,
                      zones=demand["kecamatan_code"].astype(str).to_numpy() if floors is not None else None,
                      floors=floors, precovered=precovered, solver=solver, time_limit_s=time_limit_s)
    my_cov = stage_coverage(pattern, w, res.myopic_stage, schedule.stages, precovered)
    stages = res.stages.assign(myopic_covered=my_cov, myopic_benefit=schedule.increments * my_cov)
    chosen = candidates.iloc[res.sites].copy()
    chosen.insert(0, "stage", res.stage[res.sites].astype(int))
    chosen["start_year"] = schedule.stage_starts[chosen["stage"].to_numpy() - 1]
    chosen["dapil"] = groups[res.sites]
    chosen["radius_m"] = float(radius_m)
    chosen = chosen.rename(columns={"code": "candidate_code"}).to_crs("EPSG:4326")
    summary = pd.DataFrame([{
        "stages": schedule.stages, "horizon_years": schedule.horizon_years,
        "discount_rate": schedule.discount_rate, "budgets": " ".join(map(str, schedule.budgets)),
        "groups": n_groups, "dapil_plan": "yes" if has_plan else "none (one group: the regency)",
        "objective_person_years": res.objective, "bound": res.bound, "gap": res.gap,
        "myopic_person_years": res.myopic, "source": res.source, "milp_status": res.status,
        "radius_m": float(radius_m), "demand_points": int(w.size), "candidates": len(candidates),
    }])
    return PlanOutputs(result=res, sites=chosen, stages=stages, summary=summary)
