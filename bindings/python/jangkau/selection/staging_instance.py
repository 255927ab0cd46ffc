"""Staged site selection, the instance: the stage schedule, the result type, the inputs
normalised into one :class:`StagingProblem` (coverage pattern, groups and quotas, zones and
floors, fixed and pre-covered), and the evaluation of a plan (coverage by stage, covered
person-years, the stage rules). The model and its solvers: :mod:`jangkau.selection.staging`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InfeasibleError, InvalidInputError

__all__ = ["StageSchedule", "StagedResult", "StagingProblem", "coverage_pattern", "prepare", "stage_coverage",
           "staged_objective", "feasible", "floors_met"]


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
class StagingProblem:
    """A staged problem with its inputs checked and normalised (:func:`prepare`): demand
    weights, the boolean coverage pattern (CSC and CSR), the schedule, group/zone indices with
    their labels, quotas (groups × stages), floors (zones × stages, NaN = none), the demand
    covered before the plan and the stage of each candidate fixed by the user (0 = free)."""

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


def prepare(demand_weights, coverage, schedule: StageSchedule, *, max_cost, n_candidates, groups, quotas,
            first_stage_every_group, zones, floors, fixed, precovered) -> StagingProblem:
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
    pr = StagingProblem(w=w, cov=cov, csr=cov.tocsr(), schedule=schedule, group=group, group_labels=group_labels,
                        quota=quota, zone=zone, zone_labels=zone_labels, floor=floor, base=base,
                        fixed_stage=fixed_stage)
    _check_quotas(pr)
    return pr


def _check_quotas(pr: StagingProblem) -> None:
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


def feasible(pr: StagingProblem, stage: np.ndarray) -> bool:
    for t in range(pr.S):
        at = stage == t + 1
        if int(at.sum()) != pr.schedule.budgets[t]:
            return False
        for g in range(len(pr.group_labels)):
            if int((at & (pr.group == g)).sum()) < pr.quota[g, t]:
                return False
    if ((pr.fixed_stage > 0) & (stage != pr.fixed_stage)).any():
        return False
    return floors_met(pr, stage)


def floors_met(pr: StagingProblem, stage: np.ndarray) -> bool:
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
