"""Facility location: where to put p new service points.

Three models on a demand × candidate relation (spopt-style, built from a sparse cost or
coverage matrix; geometry adapters at the end of this module):

* :func:`mclp` — maximal covering location problem (Church & ReVelle 1974): choose ``p``
  sites maximising the demand weight within the service standard.
* :func:`lscp` — location set covering problem (Toregas et al. 1971): the fewest sites
  covering every coverable demand point.
* :func:`p_median` — p-median (Hakimi 1964): choose ``p`` sites minimising the
  demand-weighted cost to the nearest open site.

Three solvers: ``"greedy"`` (C++ lazy greedy + 1-swap local search, always with a certified
bound on the optimum), ``"milp"`` (exact, HiGHS through ``highspy``, with a time limit
and the final MIP gap) and ``"auto"`` (the default: the greedy's incumbent and bound first,
then, unless that bound already proves it optimal, the MILP warm-started from the incumbent
within a time budget; never worse than the greedy, never an error on a time-out). Every
result reports the same gap, :func:`relative_gap`. See ``docs/siting.md`` for the formulas.

The code is in three modules: this one (the public API, the greedy and ``auto`` solvers and the
geometry adapters), :mod:`jangkau.selection.siting_instance` (inputs normalised into one
instance; the result type) and :mod:`jangkau.selection.siting_milp` (the exact models).

Matrices are ``n_demand × n_candidates``: a ``scipy.sparse`` matrix (stored entries are
costs — explicit zeros count — or, without ``max_cost``, a 0/1 coverage matrix), a dense
``numpy`` array (non-finite = unreachable) or a COO tuple ``(demand, candidate[, cost])``
together with ``n_candidates``.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import _core
from ..errors import CoverageWarning, CrsError, InfeasibleError, InvalidInputError
from .siting_instance import (
    AUTO_TIME_LIMIT_S,
    LSCP,
    MCLP,
    MODEL_NAMES,
    PMEDIAN,
    Instance,
    QuotaMode,
    SitingResult,
    Solver,
    assignment_cost,
    csc_arrays,
    prepare,
    relative_gap,
    selection_order,
    zone_table,
)
from .siting_milp import milp_lscp, milp_mclp, milp_p_median
from .siting_pmedian_bb import branch_and_bound
from .siting_pmedian_exact import Tightened, iterate_reduction

__all__ = [
    "candidate_label",
    "QuotaMode",
    "SitingInputs",
    "SitingResult",
    "Solver",
    "coverage_matrix",
    "demand_points",
    "from_geodataframes",
    "lscp",
    "mclp",
    "p_median",
    "relative_gap",
]


# ----------------------------------------------------------------------------------------
# Greedy (C++)


def _run_core(
    model: _core.SitingModel, pr: Instance, p: int, *, threads, local_search, progress, bound_iterations,
    time_limit_s=None,
) -> Any:
    return _core.siting_solve(
        model,
        pr.w,
        *csc_arrays(pr),
        pr.max_cost,
        int(p),
        pr.precovered,
        pr.fixed,
        pr.group,
        pr.quota,
        pr.mode,
        pr.zone if pr.floor.size else np.zeros(0, np.int32),
        pr.floor,
        options=_core.SitingOptions(
            threads=int(threads), local_search=bool(local_search), lagrangian_iterations=int(bound_iterations)
        ),
        progress=progress,
        time_limit_s=math.inf if time_limit_s is None else float(time_limit_s),
    )


def _greedy(
    model: _core.SitingModel, pr: Instance, p: int, threads, local_search, progress, bound_iterations=300,
    time_limit_s=None,
) -> SitingResult:
    """The C++ greedy + search. ``time_limit_s`` is a soft deadline (the engine's monitor): past
    it the search phases stop and the best set so far comes back with its certified bound."""
    if (
        isinstance(bound_iterations, bool)
        or not isinstance(bound_iterations, (int, np.integer))
        or bound_iterations < 0
    ):
        raise InvalidInputError("bound_iterations must be a non-negative integer", field="bound_iterations")
    t0 = time.perf_counter()
    r = _run_core(
        model,
        pr,
        p,
        threads=threads,
        local_search=local_search,
        progress=progress,
        bound_iterations=bound_iterations,
        time_limit_s=time_limit_s,
    )
    elapsed = time.perf_counter() - t0
    bound = float(r.bound)
    if model == MCLP and np.isfinite(bound) and bool(np.all(pr.w == np.round(pr.w))):
        # Integer weights: every covered weight is an integer, so is the optimum; the bound
        # rounds down to one (tolerance for the rounding of the Lagrangian's sums).
        bound = max(float(r.objective), math.floor(bound + 1e-9 * abs(bound) + 1e-6))
    covered = r.covered.astype(bool) if model != PMEDIAN else None
    assignment = r.assignment if model == PMEDIAN else None
    sites, gains, served = selection_order(pr, model, r.sites)
    zone_cost = assignment_cost(pr, assignment) if (assignment is not None and pr.zone.size) else None
    return SitingResult(
        model=MODEL_NAMES[model],
        solver="greedy",
        status="heuristic",
        sites=sites,
        marginal_gain=gains,
        objective=float(r.objective),
        bound=bound,
        gap=relative_gap(r.objective, bound),
        covered=covered,
        unreachable=r.unreachable.astype(bool) if r.unreachable.size else np.zeros(pr.n, dtype=bool),
        assignment=assignment,
        floors_met=bool(r.floors_met),
        zone_coverage=zone_table(pr, covered, zone_cost),
        greedy_objective=float(r.greedy_objective),
        swaps=int(r.swaps),
        time_s=elapsed,
        extra={"unassigned_cost": float(r.unassigned_cost), "marginal_served": served}
        | ({"candidate_bounds": (np.array(r.open_bound), np.array(r.closed_bound))} if r.open_bound.size else {})
        | ({"lagrange_multipliers": np.array(r.multipliers)} if model == PMEDIAN and r.multipliers.size else {}),
    )


# ----------------------------------------------------------------------------------------
# Public API


def _solver(solver) -> Solver:
    try:
        return solver if isinstance(solver, Solver) else Solver(solver)
    except ValueError as exc:
        raise InvalidInputError(
            f"solver must be 'auto', 'greedy' or 'milp', got {solver!r}", field="solver"
        ) from exc


def _better(model, a: SitingResult, b: SitingResult) -> bool:
    """True when result a is strictly better than b: floors met first (MCLP), then objective."""
    if a.floors_met != b.floors_met:
        return a.floors_met
    if model == MCLP:
        return a.objective > b.objective
    return a.objective < b.objective


#: Share of the ``auto`` / ``milp`` budget the greedy + search phase may use (its soft deadline);
#: the MILP gets what is left of the whole budget.
SEARCH_BUDGET_SHARE = 0.5


def _auto(
    model, pr: Instance, p: int, time_limit_s, mip_gap, threads, local_search, progress, bound_iterations,
    node_limit=None, exact: bool = False, t0: float | None = None,
):
    """Greedy + local search for an incumbent and certified bound, within SEARCH_BUDGET_SHARE of
    the budget (a soft deadline the engine honours); unless that gap is already 0, the MILP
    warm-started from the incumbent within what is left of ``time_limit_s`` (default
    AUTO_TIME_LIMIT_S, counted from the start). Returns the better solution with the
    tighter of the two bounds; a MILP without a solution of its own returns the incumbent.
    ``exact`` (``solver="milp"``): the MILP always runs (``time_limit_s`` None = no limit), the
    result is labelled "milp", and a proven infeasibility (floors, quotas) raises InfeasibleError.
    ``t0``: when the call started (default now); the budget, and ``time_s``, count from it."""
    t0 = time.perf_counter() if t0 is None else t0
    if exact:
        budget = math.inf if time_limit_s is None else float(time_limit_s)
    else:
        budget = AUTO_TIME_LIMIT_S if time_limit_s is None else float(time_limit_s)
    name = "milp" if exact else "auto"
    search_s = max(budget * SEARCH_BUDGET_SHARE - (time.perf_counter() - t0), 0.0)  # inf stays inf
    use_bb = model == PMEDIAN and not exact and pr.quota.size == 0
    if use_bb:  # the branch-and-bound's root raises the bound faster than the greedy's relaxation
        bound_iterations = min(bound_iterations, BB_GREEDY_ITERATIONS)
    g = _greedy(model, pr, p, threads, local_search, progress, bound_iterations, search_s)
    extra = dict(g.extra)
    candidate_bounds = extra.pop("candidate_bounds", None)
    multipliers = extra.pop("lagrange_multipliers", None)
    extra.update(incumbent_objective=g.objective, incumbent_bound=g.bound, milp_status="skipped",
                 search_time_s=g.time_s)
    start_sites = g.sites
    if use_bb and np.isfinite(g.objective) and g.gap > max(mip_gap, 1e-6):
        b = _pmedian_bb(pr, p, g, multipliers, mip_gap, threads, progress, t0 + budget)
        extra.update({k: v for k, v in b.extra.items() if k.startswith("bb_")})
        if b.status == "optimal" or time.perf_counter() > t0 + budget - BB_MILP_MIN_S:
            extra.update(source="branch-and-bound", search_time_s=g.time_s)
            return replace(b, time_s=time.perf_counter() - t0, greedy_objective=g.greedy_objective, swaps=g.swaps,
                           extra=extra)
        # the node limit ended the tree with time left: the MILP from its incumbent and bound
        g, start_sites, candidate_bounds = b, b.sites, None
    if model == PMEDIAN and candidate_bounds is not None and g.gap > max(mip_gap, 1e-6):
        t = _pmedian_tighten(pr, p, g, candidate_bounds, multipliers, threads, bound_iterations,
                             t0 + budget * SEARCH_BUDGET_SHARE)
        extra.update(reduction_rounds=t.rounds, reduction_closed=int((~t.allowed).sum()))
        candidate_bounds, multipliers, start_sites = (t.open_bound, t.closed_bound), t.multipliers, t.sites
        if t.bound > g.bound:
            g = replace(g, bound=t.bound, gap=relative_gap(g.objective, t.bound))
    # Proven already (within the gap the MILP would stop at): floors unmet, the MILP decides
    # whether they can be met.
    if g.gap <= max(mip_gap, 1e-6) and g.floors_met and not exact:
        return replace(g, solver="auto", status="optimal", time_s=time.perf_counter() - t0, extra=extra)
    left = max(budget - (time.perf_counter() - t0), 1e-3)
    milp_left = left if math.isfinite(left) else None
    try:
        if model == MCLP:
            m = milp_mclp(pr, p, milp_left, mip_gap, threads, start_sites=g.sites, node_limit=node_limit)
        elif model == LSCP:
            m = milp_lscp(pr, milp_left, mip_gap, threads, start_sites=g.sites, node_limit=node_limit, lagrangian=True)
        else:
            m = milp_p_median(
                pr, p, milp_left, mip_gap, threads, start_sites=start_sites, node_limit=node_limit,
                candidate_bounds=candidate_bounds, multipliers=multipliers,
            )
    except InfeasibleError as exc:  # proven infeasible (floors that cannot be met), or no solution at all
        extra["milp_status"] = str(exc)
        if exact:
            if "infeasible" in str(exc):  # HiGHS proved it: the model's message names the reason
                raise
            # no solution of HiGHS's own and a start it could not use (e.g. a p-median start that
            # leaves a point without an open site in its list): the incumbent, never an error
            status = "time limit reached" if "time limit" in str(exc) else "stopped"
            return replace(g, solver="milp", status=status, time_s=time.perf_counter() - t0, extra=extra)
        return replace(g, solver="auto", status="heuristic", time_s=time.perf_counter() - t0, extra=extra)
    extra.update(milp_status=m.status, milp_objective=m.objective, milp_bound=m.bound)
    extra["mip_gap"] = m.extra.get("mip_gap", float("nan"))
    # the MILP's figures, and those of its Lagrangian stage (LSCP: siting_lscp_exact)
    extra.update({k: v for k, v in m.extra.items() if k.startswith(("milp_", "lagrangian_")) and k not in extra})
    best = m if _better(model, m, g) else g
    extra["source"] = "milp" if best is m else "greedy"
    if model == MCLP:
        bound = min(g.bound, m.bound) if np.isfinite(g.bound) else m.bound
        bound = max(bound, best.objective)
    else:
        bound = max(g.bound, m.bound) if np.isfinite(g.bound) else m.bound
        bound = min(bound, best.objective)
    gap = relative_gap(best.objective, bound)
    # "optimal" only where the bound reported with the answer proves it: HiGHS can call a
    # warm-started solve optimal while its own dual bound leaves a gap (seen on clustered
    # LSCP instances), and a status that contradicts the reported gap would mislead.
    if gap <= max(mip_gap, 1e-6):  # HiGHS's own tolerances are about 1e-6
        status = "optimal"
    else:
        status = "stopped" if m.status == "optimal" else m.status
    return replace(
        best,
        solver=name,
        status=status,
        bound=float(bound),
        gap=gap,
        greedy_objective=g.greedy_objective,
        swaps=g.swaps,
        time_s=time.perf_counter() - t0,
        extra=extra,
    )


#: ``auto``'s p-median without quotas: subgradient steps of the greedy's Lagrangian bound at most
#: (the branch-and-bound's root continues from its multipliers, with cheaper steps: it visits only
#: the entries cheaper than each point's multiplier).
BB_GREEDY_ITERATIONS = 100

#: ``auto``'s p-median: after the branch-and-bound, the MILP runs only with at least this much of
#: the budget left (seconds).
BB_MILP_MIN_S = 0.5


def _pmedian_bb(pr: Instance, p: int, g: SitingResult, multipliers, mip_gap, threads, progress,
                deadline: float) -> SitingResult:
    """p-median without quotas: the Lagrangian branch-and-bound (:mod:`.siting_pmedian_bb`) from
    the greedy's sites and multipliers until ``deadline`` (``time.perf_counter``; inf = none),
    pruning at the relative gap ``mip_gap``. Its bound is at least the greedy's."""
    left = deadline - time.perf_counter()
    b = branch_and_bound(pr, p, g.sites, multipliers, left if math.isfinite(left) else None, mip_gap, threads,
                         progress)
    bound = min(max(b.bound, g.bound), b.objective)
    gap = relative_gap(b.objective, bound)
    status = "optimal" if b.status == "optimal" or gap <= max(mip_gap, 1e-6) else b.status
    return replace(b, bound=float(bound), gap=gap, status=status)


def _pmedian_tighten(pr: Instance, p: int, g: SitingResult, candidate_bounds, multipliers, threads,
                     bound_iterations, deadline: float) -> Tightened:
    """p-median: Beasley's reduction repeated (:func:`iterate_reduction`), each round the C++
    search and Lagrangian on the candidates left, until ``deadline`` (``time.perf_counter``)."""
    keep = np.concatenate([pr.fixed, np.asarray(g.sites, dtype=np.int64)])

    def solve_sub(cols: np.ndarray):
        sub = replace(pr, m=int(cols.size), csc=pr.csc[:, cols], fixed=np.searchsorted(cols, pr.fixed))
        r = _run_core(PMEDIAN, sub, p, threads=threads, local_search=True, progress=None,
                      bound_iterations=bound_iterations, time_limit_s=max(deadline - time.perf_counter(), 0.0))
        ob = np.array(r.open_bound) if r.open_bound.size else None
        cb = np.array(r.closed_bound) if r.closed_bound.size else None
        lam = np.array(r.multipliers) if r.multipliers.size else None
        return float(r.objective), np.array(r.sites), float(r.bound), ob, cb, lam

    return iterate_reduction(pr.m, g.objective, g.sites, g.bound, candidate_bounds[0], candidate_bounds[1],
                             multipliers, keep, solve_sub, lambda: time.perf_counter() >= deadline)


def mclp(
    demand_weights,
    coverage,
    p: int,
    *,
    max_cost: float | None = None,
    n_candidates: int | None = None,
    groups=None,
    quotas=None,
    quota_mode="at_least",
    fixed=None,
    precovered=None,
    zones=None,
    floors=None,
    solver="auto",
    time_limit_s: float | None = None,
    node_limit: int | None = None,
    mip_gap: float = 1e-7,
    threads: int = 0,
    local_search: bool = True,
    bound_iterations: int = 300,
    progress=None,
) -> SitingResult:
    """Maximal covering: choose ``p`` new sites maximising the covered demand weight.

    ``coverage`` is an n × m cost matrix (covered when cost <= ``max_cost``) or, without
    ``max_cost``, a 0/1 coverage matrix. ``groups`` (one label per candidate, e.g. dapil;
    None/NaN = no group) with ``quotas`` (scalar, mapping or per sorted label) constrain
    the sites per group (``quota_mode`` "at_least" or "exactly"). ``fixed`` candidates
    (indices or mask) and ``precovered`` demand points count as covered already and do not
    use up ``p``. ``zones`` (label per demand point) with ``floors`` (share in [0, 1], scalar
    or mapping) ask for a minimum covered share per zone: hard constraints for the MILP, a
    heuristic target for the greedy (see ``floors_met``).

    Greedy only: ``bound_iterations`` subgradient steps of the Lagrangian bound (each
    O(nnz); 0 keeps only the submodular bound), ``local_search`` toggles the improvement
    phases (1-swap search, Lagrangian restarts, variable neighbourhood search; LSCP:
    redundancy elimination and 2-for-1 moves),
    ``threads`` (0 = automatic: one thread below 10⁶ stored matrix entries, all cores above;
    HiGHS gets it as its own ``threads`` option, 0 = HiGHS's default, and it may change from
    call to call: :func:`jangkau.selection.milp.run_controlled`),
    ``progress(stage, done, total)`` is called from the
    solving thread. ``time_limit_s`` is a wall-clock budget for every solver: the greedy's
    search phases stop at it (``"greedy"``) or at half of it (``"auto"``, ``"milp"``: the MILP
    gets the rest) and return their answer with a valid bound. MILP only: ``node_limit`` (HiGHS
    branch-and-bound nodes: unlike a time limit it gives the same answer on any machine, so
    reproducible runs use it with ``time_limit_s=math.inf``) and the relative ``mip_gap``.

    ``solver="auto"`` (default) runs the greedy, then (unless its certified gap is 0) the
    MILP warm-started from it with ``time_limit_s`` as the total budget (default
    ``AUTO_TIME_LIMIT_S`` = 5 s); the result is never worse than the greedy and a time-out
    returns the incumbent with its certified gap. ``solver="milp"`` is the same but always
    runs the MILP (no budget unless ``time_limit_s`` is given): a time-out returns the best
    answer found with its bound, never an error. With zone ``floors`` a solution meeting
    them is preferred to a better objective that does not.

    Raises InvalidInputError for bad shapes/values, InfeasibleError for impossible quotas
    (and, with ``solver="milp"``, for floors HiGHS proves impossible).
    """
    t_call = time.perf_counter()  # the budget counts from here: preparing the input uses it too
    pr = prepare(
        MCLP,
        demand_weights,
        coverage,
        n_candidates=n_candidates,
        max_cost=max_cost,
        groups=groups,
        quotas=quotas,
        quota_mode=quota_mode,
        fixed=fixed,
        precovered=precovered,
        zones=zones,
        floors=floors,
    )
    p = _check_p(p)
    _check_reach(MCLP, pr)
    return _solve(MCLP, pr, p, solver, t0=t_call, time_limit_s=time_limit_s, node_limit=node_limit, mip_gap=mip_gap,
                  threads=threads, local_search=local_search, progress=progress, bound_iterations=bound_iterations)


def lscp(
    demand_weights,
    coverage,
    *,
    max_cost: float | None = None,
    n_candidates: int | None = None,
    groups=None,
    quotas=None,
    fixed=None,
    precovered=None,
    zones=None,
    solver="auto",
    time_limit_s: float | None = None,
    node_limit: int | None = None,
    mip_gap: float = 1e-7,
    threads: int = 0,
    local_search: bool = True,
    progress=None,
) -> SitingResult:
    """Set covering: the fewest new sites covering every coverable demand point.

    Points no candidate covers (and not pre-covered) are reported in ``unreachable``, not
    raised. ``quotas`` are minimum numbers of sites per group. Weights only feed the zone
    table. Raises InvalidInputError / InfeasibleError as :func:`mclp`.
    """
    t_call = time.perf_counter()  # the budget counts from here: preparing the input uses it too
    pr = prepare(
        LSCP,
        demand_weights,
        coverage,
        n_candidates=n_candidates,
        max_cost=max_cost,
        groups=groups,
        quotas=quotas,
        quota_mode="at_least",
        fixed=fixed,
        precovered=precovered,
        zones=zones,
        floors=None,
    )
    _check_reach(LSCP, pr)
    return _solve(LSCP, pr, 0, solver, t0=t_call, time_limit_s=time_limit_s, node_limit=node_limit, mip_gap=mip_gap,
                  threads=threads, local_search=local_search, progress=progress, bound_iterations=300)


def p_median(
    demand_weights,
    cost,
    p: int,
    *,
    max_cost: float | None = None,
    n_candidates: int | None = None,
    groups=None,
    quotas=None,
    quota_mode="at_least",
    fixed=None,
    zones=None,
    solver="auto",
    time_limit_s: float | None = None,
    node_limit: int | None = None,
    mip_gap: float = 1e-7,
    threads: int = 0,
    local_search: bool = True,
    bound_iterations: int = 1000,
    progress=None,
) -> SitingResult:
    """p-median: choose ``p`` new sites minimising Σ w_i · cost to the nearest open site.

    Missing / non-finite / above-``max_cost`` entries are forbidden assignments. Demand
    points without any entry are excluded and flagged in ``unreachable``; points with zero
    weight need no assignment. ``objective`` is inf when a reachable point is left without
    an open site in reach (greedy) — the MILP raises InfeasibleError instead.

    ``bound_iterations`` (default 1000) caps the subgradient steps of the Lagrangian bound,
    whose per-candidate bounds also settle candidates before the exact solve. ``auto`` without
    quotas proves the optimum by a Lagrangian branch-and-bound in the engine (capping the greedy's
    Lagrangian at ``BB_GREEDY_ITERATIONS`` steps; :mod:`.siting_pmedian_bb`); with quotas, and
    ``solver="milp"``, the exact model is the truncated radius formulation (``docs/siting.md``).
    """
    t_call = time.perf_counter()  # the budget counts from here: preparing the input uses it too
    pr = prepare(
        PMEDIAN,
        demand_weights,
        cost,
        n_candidates=n_candidates,
        max_cost=max_cost,
        groups=groups,
        quotas=quotas,
        quota_mode=quota_mode,
        fixed=fixed,
        precovered=None,
        zones=zones,
        floors=None,
    )
    p = _check_p(p)
    _check_reach(PMEDIAN, pr)
    return _solve(PMEDIAN, pr, p, solver, t0=t_call, time_limit_s=time_limit_s, node_limit=node_limit, mip_gap=mip_gap,
                  threads=threads, local_search=local_search, progress=progress, bound_iterations=bound_iterations)


def _solve(model, pr: Instance, p: int, solver, *, time_limit_s, node_limit, mip_gap, threads, local_search,
           progress, bound_iterations, t0: float | None = None) -> SitingResult:
    """The one dispatch of the three models to the greedy, MILP and auto solvers. ``t0``: when
    the call started (``time.perf_counter()``); ``time_limit_s`` counts from it."""
    kind = _solver(solver)
    nodes = _check_node_limit(node_limit)
    if kind is not Solver.GREEDY:
        return _auto(model, pr, p, time_limit_s, mip_gap, threads, local_search, progress, bound_iterations, nodes,
                     exact=kind is Solver.MILP, t0=t0)
    if time_limit_s is not None and t0 is not None:
        time_limit_s = max(float(time_limit_s) - (time.perf_counter() - t0), 0.0)
    return _greedy(model, pr, p, threads, local_search, progress, bound_iterations, time_limit_s)


def _check_reach(model, pr: Instance, candidate_labels=None) -> None:
    """Candidates that cover no demand (no demand point of positive weight within the reach,
    e.g. sites thousands of kilometres from the region) can only be chosen for nothing: a
    :class:`~jangkau.errors.CoverageWarning` names how many and which (``candidate_labels``,
    default the candidate indices); when NO new candidate covers any demand the model is
    refused (:class:`~jangkau.errors.InvalidInputError`, field ``candidates``), since any answer
    would have objective 0 — unless fixed sites are given (then only the warning). Fixed
    (existing) sites are not candidates and are not counted."""
    if pr.m == 0 or pr.n == 0:
        return
    csc = pr.csc
    col = np.repeat(np.arange(pr.m), np.diff(csc.indptr))
    reach = np.bincount(col, weights=(pr.w[csc.indices] > 0).astype(np.float64), minlength=pr.m)
    new = np.ones(pr.m, dtype=bool)
    new[pr.fixed] = False
    idle = np.flatnonzero(new & (reach == 0))
    if idle.size == 0:
        return
    names = (np.asarray(candidate_labels, dtype=object)[idle] if candidate_labels is not None else idle).tolist()
    shown = ", ".join(str(x) for x in names[:10]) + (f" … ({idle.size - 10} more)" if idle.size > 10 else "")
    what = "within the reach" if model != PMEDIAN else "within max_cost"
    # With fixed sites (a later stage of a staged plan, existing sites kept) "nothing more to
    # gain" is a valid answer: warn only. Without them every answer would have objective 0.
    if idle.size == int(new.sum()) and len(pr.fixed) == 0:
        raise InvalidInputError(f"none of the {idle.size} candidates covers any demand {what} (e.g. the candidates "
                                f"lie far from the region or in another CRS): {shown}", field="candidates")
    warnings.warn(CoverageWarning(f"{idle.size} of {int(new.sum())} candidates cover no demand {what} and can "
                                  f"only be chosen for nothing: {shown}", candidates=names), stacklevel=3)


def _check_node_limit(node_limit) -> int | None:
    if node_limit is None:
        return None
    if isinstance(node_limit, bool) or not isinstance(node_limit, (int, np.integer)) or node_limit < 0:
        raise InvalidInputError(f"node_limit must be a non-negative integer, got {node_limit!r}", field="node_limit")
    return int(node_limit)


def _check_p(p) -> int:
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
        raise InvalidInputError(f"p must be a non-negative integer, got {p!r}", field="p")
    return int(p)


# ----------------------------------------------------------------------------------------
# Geometry adapters


def coverage_matrix(demand_xy, candidate_xy, radius_m: float | None = None) -> sp.csc_matrix:
    """Euclidean distances (metres, metric CRS) between demand points (n × 2) and candidates
    (m × 2) as an n × m CSC matrix. With ``radius_m`` only pairs within the radius are
    stored (scipy cKDTree); without it the matrix is dense (every pair stored). Zero
    distances are kept as explicit entries."""
    from scipy.spatial import cKDTree

    d = np.asarray(demand_xy, dtype=np.float64)
    c = np.asarray(candidate_xy, dtype=np.float64)
    if d.ndim != 2 or d.shape[1] != 2 or c.ndim != 2 or c.shape[1] != 2:
        raise InvalidInputError("coordinates must be (n, 2) arrays", field="xy")
    if not (np.isfinite(d).all() and np.isfinite(c).all()):
        raise InvalidInputError("coordinates must be finite", field="xy")
    n, m = d.shape[0], c.shape[0]
    if radius_m is None:
        dist = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])
        rows = np.repeat(np.arange(n), m)
        cols = np.tile(np.arange(m), n)
        vals = dist.ravel()
    else:
        if not radius_m >= 0:
            raise InvalidInputError("radius_m must be >= 0", field="radius_m")
        pairs: Any = cKDTree(c).query_ball_point(d, r=float(radius_m))  # an object array of index lists
        counts = np.fromiter((len(x) for x in pairs), dtype=np.int64, count=n)
        rows = np.repeat(np.arange(n), counts)
        cols = np.fromiter((j for x in pairs for j in x), dtype=np.int64, count=int(counts.sum()))
        vals = np.hypot(d[rows, 0] - c[cols, 0], d[rows, 1] - c[cols, 1])
        keep = vals <= radius_m
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
    order = np.lexsort((rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=m), out=indptr[1:])
    return sp.csc_matrix((vals, rows.astype(np.int64), indptr), shape=(n, m))


@dataclass(frozen=True)
class SitingInputs:
    """Demand weights and a distance matrix built from GeoDataFrames (see
    :func:`from_geodataframes`); call :meth:`mclp`, :meth:`lscp` or :meth:`p_median`."""

    weights: np.ndarray
    matrix: sp.csc_matrix
    radius_m: float | None
    demand: Any
    candidates: Any
    crs: Any

    def mclp(self, p: int, **kw) -> SitingResult:
        """MCLP with coverage = distance <= radius_m."""
        return mclp(self.weights, self.matrix, p, max_cost=self._radius(kw), **kw)

    def lscp(self, **kw) -> SitingResult:
        """LSCP with coverage = distance <= radius_m."""
        return lscp(self.weights, self.matrix, max_cost=self._radius(kw), **kw)

    def p_median(self, p: int, **kw) -> SitingResult:
        """p-median on distances in metres (pairs beyond radius_m, if given, are forbidden)."""
        return p_median(self.weights, self.matrix, p, max_cost=kw.pop("max_cost", self.radius_m), **kw)

    def _radius(self, kw) -> float:
        r = kw.pop("max_cost", self.radius_m)
        if r is None:
            raise InvalidInputError(
                "coverage models need a radius: pass radius_m to from_geodataframes", field="radius_m"
            )
        return r

    def sites_frame(self, result: SitingResult):
        """The chosen candidates (GeoDataFrame rows, in selection order) with ``order`` and
        ``marginal_gain`` columns."""
        out = self.candidates.iloc[result.sites].copy()
        out.insert(0, "order", np.arange(1, result.sites.size + 1))
        out.insert(1, "marginal_gain", result.marginal_gain)
        out.insert(2, "candidate_index", result.sites)
        return out


def _points_xy(gdf, what: str = "point") -> np.ndarray:
    geom = gdf.geometry
    if geom.isna().any() or geom.is_empty.any():
        from ..errors import GeometryError

        bad = int(np.flatnonzero((geom.isna() | geom.is_empty).to_numpy())[0])
        # Name the feature as the user numbers it: its file and row there when known, not its
        # row in a frame built from several files.
        src = gdf["source"].iloc[bad] if "source" in gdf.columns else None
        feat = gdf["source_index"].iloc[bad] if "source_index" in gdf.columns else bad
        raise GeometryError(f"{what} without coordinates (empty or missing geometry)",
                            file=None if src is None or pd.isna(src) else str(src),
                            feature=int(bad if pd.isna(feat) else feat), field="geometry")
    kinds = set(geom.geom_type.unique())
    pts = geom if kinds <= {"Point"} else geom.centroid
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def from_geodataframes(
    demand_gdf,
    weight_col: str,
    candidates_gdf,
    radius_m: float | None = None,
    *,
    crs=None,
    max_dense_pairs: int = 50_000_000,
) -> SitingInputs:
    """Demand points (polygons stand for their centroid) weighted by ``weight_col`` and
    candidate sites, with Euclidean distances in a metric CRS (``crs``, else the demand
    layer's own CRS if projected, else its UTM zone). With ``radius_m`` only pairs within
    the radius are kept (KD-tree); without it a dense matrix is built (refused above
    ``max_dense_pairs``). Raises CrsError when a layer has no CRS, UnknownColumnError for
    a missing weight column, InvalidInputError for NaN/negative weights."""
    from ..errors import UnknownColumnError

    if demand_gdf.crs is None or candidates_gdf.crs is None:
        raise CrsError("both layers need a CRS", field="crs")
    if weight_col not in demand_gdf.columns:
        raise UnknownColumnError(f"no column {weight_col!r} in the demand layer", field=weight_col)
    if crs is None:
        from ..data.crs import metric_crs_for

        crs = metric_crs_for(demand_gdf)
    d = demand_gdf.to_crs(crs)
    c = candidates_gdf.to_crs(crs)
    w = pd.to_numeric(d[weight_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise InvalidInputError(
            f"weight column {weight_col!r} must be finite and >= 0", feature=int(bad[0]), field=weight_col
        )
    if radius_m is None and len(d) * len(c) > max_dense_pairs:
        raise InvalidInputError(
            f"{len(d)} × {len(c)} pairs is too many for a dense matrix: pass radius_m", field="radius_m"
        )
    matrix = coverage_matrix(_points_xy(d, "demand point"), _points_xy(c, "candidate"), radius_m)
    return SitingInputs(w, matrix, radius_m, d, c, crs)


# ----------------------------------------------------------------------------------------
# Candidate sites

def candidate_label(cand, i: int, spec: str) -> str:
    """How the user knows candidate ``i`` of ``cand`` (:func:`candidate_points`): its zone/grid
    code, else its feature number in its file (``source``, else ``spec``), else its row."""
    row = cand.iloc[i]
    if "code" in cand.columns and isinstance(row.get("code"), str):
        return row["code"]
    src = row.get("source") if "source" in cand.columns else None
    feat = row.get("source_index") if "source_index" in cand.columns else None
    if feat is not None and not pd.isna(feat):
        return f"{src or spec} feature {int(feat)}"
    return f"candidate {i}"


def candidate_points(region, spec: str, crs, *, missing_coordinates=None):
    """Candidate sites for a region as a GeoDataFrame of points in ``crs`` (metric):

    * ``"desa"`` / ``"kecamatan"``: the centre of every zone (its centroid, or a point inside
      the zone where the centroid falls outside it, e.g. a crescent-shaped coastal desa);
    * ``"grid:SPACING"`` (e.g. ``"grid:1km"``): a regular grid of points inside the region,
      SPACING apart, each with the code of the desa it lies in;
    * any other string: a vector file of candidate points (points only: a line or polygon layer
      is refused, see :func:`jangkau.data.io.check_points`; multi-points are exploded; points
      without coordinates are refused unless ``missing_coordinates="drop"``; ``source`` and
      ``source_index`` say which file and feature each candidate comes from).

    Raises InvalidInputError for an empty layer or a bad spacing.
    """
    import geopandas as gpd

    from ..coverage.analysis import parse_radii
    from ..data.io import read_points
    from ..util import check_size

    if spec in ("desa", "kecamatan"):
        z = region.zones(spec, crs=crs)
        keep = [c for c in ("code", "name", "kecamatan_code") if c in z.columns]
        pts = z.geometry.centroid
        outside = ~pts.within(z.geometry)
        pts[outside] = z.geometry[outside].representative_point()
        return gpd.GeoDataFrame(z[keep].copy(), geometry=pts, crs=crs)
    if spec.startswith("grid:"):
        try:
            (spacing,) = parse_radii(spec[len("grid:"):])
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(f"bad candidate grid '{spec}' (e.g. grid:1km)", field="candidates") from exc
        if spacing <= 0:
            raise InvalidInputError(f"bad candidate grid '{spec}' (e.g. grid:1km)", field="candidates")
        desa = region.zones("desa", crs=crs)
        x0, y0, x1, y1 = desa.total_bounds
        check_size(f"candidate grid '{spec}'", np.ceil((x1 - x0) / spacing) * np.ceil((y1 - y0) / spacing),
                   "max_candidates", hint="use a wider spacing")
        gx, gy, idx = _grid_in_zones(desa, spacing)
        if idx.size == 0:
            raise InvalidInputError(f"no grid point of '{spec}' falls inside the region", field="candidates")
        d = desa.iloc[idx]
        return gpd.GeoDataFrame({"code": [f"G{i:06d}" for i in range(idx.size)],
                                 "desa_code": d["code"].to_numpy(), "kecamatan_code": d["kecamatan_code"].to_numpy()},
                                geometry=gpd.points_from_xy(gx, gy), crs=crs)
    cand = read_points(spec, what="candidate", missing_coordinates=missing_coordinates)
    if len(cand) == 0:
        raise InvalidInputError("the candidate layer is empty", file=spec)
    cand["source"] = str(spec)  # with source_index: the feature as numbered in the file
    return cand.explode(index_parts=False).reset_index(drop=True).to_crs(crs)


def _grid_in_zones(zones, spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points of a regular grid (``spacing`` in CRS units, cell centres from the zones'
    lower-left corner) that fall inside a zone: their x, y and the index of that zone."""
    from ..data.io import to_geometry_array

    x0, y0, x1, y1 = zones.total_bounds
    mesh_x, mesh_y = np.meshgrid(np.arange(x0 + spacing / 2, x1, spacing), np.arange(y0 + spacing / 2, y1, spacing))
    gx, gy = mesh_x.ravel(), mesh_y.ravel()
    idx = _core.locate_points(to_geometry_array(zones.geometry), gx, gy)
    inside = idx >= 0
    return gx[inside], gy[inside], idx[inside]


def demand_points(desa, spacing: float):
    """Demand points for siting: a regular grid (``spacing`` in metres of the desa layer's
    metric CRS) inside the desa, each carrying an equal share of its desa's ``population``
    (areal weighting; a missing population counts as 0), and a representative point for every
    desa that no grid point falls in, so every desa is represented. Columns ``desa``,
    ``kecamatan_code``, ``population``; the CRS of ``desa``."""
    import geopandas as gpd

    if not spacing > 0:
        raise InvalidInputError(f"demand point spacing must be > 0, got {spacing!r}", field="spacing")
    gx, gy, idx = _grid_in_zones(desa, float(spacing))
    missing = np.setdiff1d(np.arange(len(desa)), idx)
    rp = desa.geometry.iloc[missing].representative_point()
    gx = np.concatenate([gx, rp.x.to_numpy()])
    gy = np.concatenate([gy, rp.y.to_numpy()])
    idx = np.concatenate([idx, missing])
    counts = np.bincount(idx, minlength=len(desa))
    pop = desa["population"].fillna(0.0).to_numpy()[idx] / counts[idx]
    return gpd.GeoDataFrame(
        {"desa": desa["code"].to_numpy()[idx], "kecamatan_code": desa["kecamatan_code"].to_numpy()[idx],
         "population": pop},
        geometry=gpd.points_from_xy(gx, gy),
        crs=desa.crs,
    )
