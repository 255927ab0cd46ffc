"""The exact p-median of ``auto``: the engine's Lagrangian branch-and-bound
(``engine/core/siting_pmedian_bb.hpp``; Christofides & Beasley 1982, "A tree search algorithm
for the p-median problem", EJOR 10; Beasley 1993, "Lagrangean heuristics for location
problems", EJOR 65).

At every node the assignment constraints Σ_j x_ij = 1 are relaxed with multipliers λ_i:

    L(λ) = Σ_i λ_i + Σ_{j open} ρ_j + Σ of the p − |open| smallest ρ_j over the free sites,
    ρ_j = Σ_i min(0, w_i c_ij − λ_i),

raised by Polyak subgradient steps from the parent's λ; Beasley's tests close (open) the free
sites whose forced opening (closing) lifts L to the incumbent; the relaxation's site sets are
offered as incumbents (and polished by the fast interchange); the node branches on its most
fractional free site (membership share of the relaxation's sets nearest 1/2), best bound first,
two nodes per round (solved on two threads from the round's incumbent, merged in node order).
The bound returned is the least bound of the nodes left open (the incumbent when the tree is
exhausted), so a time-out returns the incumbent with a certified gap.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .. import _core
from .siting_instance import (
    PMEDIAN,
    Instance,
    SitingResult,
    assignment_cost,
    csc_arrays,
    relative_gap,
    selection_order,
    zone_table,
)

#: Nodes solved at most by ``auto``'s branch-and-bound (the deadline usually ends it first).
BB_NODE_LIMIT = 1_000_000


def branch_and_bound(pr: Instance, p: int, start_sites, multipliers, time_limit_s, gap_tolerance: float,
                     threads: int, progress=None, node_limit: int = BB_NODE_LIMIT,
                     schedule: _core.SubgradientSchedule | None = None,
                     strongest_closing: bool = False) -> SitingResult:
    """Runs the engine's p-median branch-and-bound from the incumbent ``start_sites`` and the
    Lagrangian ``multipliers`` (both from the greedy solve; ``multipliers`` may be None) within
    ``time_limit_s`` seconds (None = no limit). Requires an instance without group quotas.
    Returns a result labelled ``solver="auto"`` whose ``status`` is "optimal" when the tree was
    exhausted (optimal within ``gap_tolerance``, relative) and "time limit reached" otherwise;
    ``extra`` holds ``bb_nodes``, ``bb_open_nodes``, ``bb_proven``, ``bb_root_bound``,
    ``bb_root_closed`` / ``bb_root_opened`` (candidates settled by the root's tests) and
    ``bb_incumbent_updates``. ``threads`` (0 = automatic: one below 2·10⁴ stored entries, else
    every core) solve the tree's rounds of two nodes and the incumbent search; the answer, bound
    and node count do not depend on it (a deadline aside).
    ``schedule``: the subgradient steps per node (default the engine's, ``SubgradientSchedule()``).
    ``strongest_closing``: branch on the site whose closing raises the bound most instead of the
    most fractional one (compared in ``docs/siting.md``)."""
    t0 = time.perf_counter()
    lam = np.zeros(0) if multipliers is None or len(multipliers) != pr.n else np.asarray(multipliers, np.float64)
    r = _core.p_median_branch_and_bound(
        pr.w,
        *csc_arrays(pr),
        pr.max_cost,
        int(p),
        pr.fixed,
        np.asarray(start_sites, dtype=np.int64),
        lam,
        options=_core.SitingOptions(threads=int(threads)),
        node_limit=int(node_limit),
        gap_tolerance=float(gap_tolerance),
        schedule=_core.SubgradientSchedule() if schedule is None else schedule,
        threads=int(threads),
        strongest_closing=bool(strongest_closing),
        progress=progress,
        time_limit_s=math.inf if time_limit_s is None else max(float(time_limit_s), 0.0),
    )
    res = r.result
    sites, gains, served = selection_order(pr, PMEDIAN, res.sites)
    assignment = np.array(res.assignment)
    zone_cost = assignment_cost(pr, assignment) if pr.zone.size else None
    return SitingResult(
        model="p_median",
        solver="auto",
        status="optimal" if r.proven else "time limit reached",
        sites=sites,
        marginal_gain=gains,
        objective=float(res.objective),
        bound=float(res.bound),
        gap=relative_gap(res.objective, res.bound),
        covered=None,
        unreachable=np.array(res.unreachable).astype(bool),
        assignment=assignment,
        floors_met=True,
        zone_coverage=zone_table(pr, None, zone_cost),
        greedy_objective=float(res.greedy_objective),
        time_s=time.perf_counter() - t0,
        extra={
            "marginal_served": served,
            "bb_nodes": int(r.nodes),
            "bb_open_nodes": int(r.open_nodes),
            "bb_proven": bool(r.proven),
            "bb_root_bound": float(r.root_bound),
            "bb_root_closed": int(r.root_closed),
            "bb_root_opened": int(r.root_opened),
            "bb_incumbent_updates": int(r.incumbent_updates),
        },
    )
