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

The code: the instance (schedule, result, normalised inputs, evaluation) in
:mod:`~jangkau.selection.staging_instance`, the heuristics and stage bounds in
:mod:`~jangkau.selection.staging_heuristics`, the MILP in
:mod:`~jangkau.selection.staging_milp`; here the entry points :func:`staged_mclp` and
:func:`plan_sites` (layers in, sites and tables out).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InfeasibleError, InvalidInputError
from . import siting
from .staging_heuristics import fixed_mclp, local_search, myopic_plan, sequenced_plan, stage_bounds
from .staging_instance import (
    StagedResult,
    StageSchedule,
    coverage_pattern,
    feasible,
    prepare,
    stage_coverage,
    staged_objective,
)
from .staging_milp import staged_milp

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
    pr = prepare(demand_weights, coverage, sched, max_cost=max_cost, n_candidates=n_candidates, groups=groups,
                 quotas=quotas, first_stage_every_group=first_stage_every_group, zones=zones, floors=floors,
                 fixed=fixed, precovered=precovered)
    inner = "greedy" if solver == "greedy" else "auto"
    inner_limit = None if time_limit_s is None else max(float(time_limit_s) / (2 * pr.S + 2), 0.5)

    def value(stage: np.ndarray) -> float:
        return staged_objective(pr.cov, pr.w, stage, sched, pr.base)

    plans: dict[str, np.ndarray] = {}
    my = myopic_plan(pr, inner, inner_limit, threads)
    if my is not None and feasible(pr, my):
        plans["myopic"] = my
    bounds = stage_bounds(pr, inner, inner_limit, threads)
    # Sequenced: the best set for the whole horizon, put into stages.
    try:
        fixed_all = pr.fixed_stage > 0
        P = int(sched.cumulative_budgets[-1]) - int(fixed_all.sum())
        need = np.maximum(pr.quota.sum(axis=1) - np.bincount(pr.group[fixed_all & (pr.group >= 0)],
                                                             minlength=len(pr.group_labels)), 0)
        if P > 0:
            r = fixed_mclp(pr, P, fixed_all, need, pr.floor[:, -1], inner, inner_limit, threads)
            chosen = np.union1d(np.asarray(r.sites, dtype=np.int64), np.flatnonzero(fixed_all))
        else:
            chosen = np.flatnonzero(fixed_all)
        seq = sequenced_plan(pr, chosen)
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
        improved = local_search(pr, best)
        if value(improved) > value(best) + 1e-9:
            best_name, best = f"{best_name}+swaps", improved
    relax_bound = float(np.dot(sched.increments, bounds))
    status = "skipped"
    bound = relax_bound
    if solver in ("milp", "auto"):
        left = None if time_limit_s is None else max(float(time_limit_s) - (time.perf_counter() - t0), 1.0)
        st, dual, status = staged_milp(pr, left, mip_gap, threads, best)
        if np.isfinite(dual):
            bound = min(bound, dual)
        if st is not None and feasible(pr, st) and (best is None or value(st) > value(best) + 1e-9):
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
