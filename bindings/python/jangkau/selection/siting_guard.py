"""A guard in front of the exact MCLP machinery (Lagrangian bound, kernel MILP and Beasley's
reductions of :mod:`jangkau.selection.siting_mclp_exact`): a short plain HiGHS attempt first.

On easy instances the machinery costs more than it saves. On real Kabupaten Serang (5,864
demand points, 326 desa candidates, r = 2 km) plain HiGHS, warm-started from the greedy,
proves p = 15 and p = 30 at its root node in about 0.1 s of CPU, while the machinery first spends
0.3–0.4 s on its Lagrangian and its kernel MILP (docs/siting.md § The guard). On the hard ones
(clustered 5000 × 300) the machinery is what finishes the proof within the budget. The guard
runs plain HiGHS for at most PLAIN_NODES branch-and-bound nodes and PLAIN_SHARE of the time
budget. If HiGHS proves its answer, that answer is returned. If not, the machinery runs on
what is left of the budget, from the better of the two starts. Both bounds are valid for the
same instance, so the tighter one is kept, along with the better solution.

The node limit makes the choice of stage deterministic when there is no time limit
(``solver="milp"``). Under a budget, the time share caps what a hard instance can lose.

With two cores and a time budget (:func:`~jangkau.selection.siting_race.wanted`), the machinery
races plain HiGHS without a start on the other core (:mod:`.siting_race`): the first to prove its
answer stops the other, and the better answer comes back with the tighter of the bounds. The
better site sets the machinery finds on its way reach the racing HiGHS while it runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .. import _core
from ..errors import InfeasibleError
from .siting_instance import Instance, SitingResult, base_covered, relative_gap, rows_of
from .siting_race import Incumbents, race, wanted

#: Share of the MILP's time budget the plain attempt may use. 0.03 of 10 s is 0.3 s: real
#: Serang p = 15 and 30 are proven in 0.09–0.17 s by plain HiGHS. Where it does not prove, the
#: time is lost: clustered 5000 × 300 (benchmarks/bench_siting.py), whose root LP alone takes
#: about 0.7 s, was proven in 2.19–2.26 s with 0.03 against 2.38–2.53 s with 0.05 (the share of
#: the eighth pass), one-off runs of 2026-12-07; an instance the plain stage misses is still
#: proven by the race (Serang p = 30 with the machinery alone: 0.9 s).
PLAIN_SHARE = 0.03
#: Branch-and-bound nodes of the plain attempt at most. The easy real instances are proven at
#: the root (1 node); the limit keeps the stage choice deterministic without a time limit.
PLAIN_NODES = 50

#: solve(lagrangian, time_limit_s, start_sites or None, node_limit, threads, stop, shared) -> SitingResult
Solve = Callable[[bool, "float | None", "np.ndarray | None", "int | None", "int | None", "_core.StopFlag | None",
                  "Incumbents | None"], SitingResult]


def plain_slice(time_limit_s: float | None) -> float | None:
    """Seconds the plain attempt may use: PLAIN_SHARE of ``time_limit_s`` (None: no time cap,
    only the node limit)."""
    if time_limit_s is None or not np.isfinite(time_limit_s):
        return None
    return PLAIN_SHARE * float(time_limit_s)


def mclp_covered(pr: Instance, sites, base: np.ndarray | None = None) -> np.ndarray:
    """Demand points covered by ``sites`` together with the fixed sites and the pre-covered
    demand (boolean, one per demand point); ``base``: those covered without a choice
    (:func:`~jangkau.selection.siting_instance.base_covered`, computed when not given)."""
    covered = base_covered(pr) if base is None else base.copy()
    covered[rows_of(pr, np.asarray(sites, dtype=np.int64))] = True
    return covered


def mclp_value(pr: Instance, sites) -> float:
    """Covered weight of ``sites`` (with the fixed sites and the pre-covered demand): the MCLP
    objective Σ_i w_i [i covered], computed here only (the guard and milp_mclp both use it)."""
    return float(pr.w[mclp_covered(pr, sites)].sum())


def proven(r: SitingResult, mip_gap: float) -> bool:
    """Whether ``r`` is proven within ``mip_gap`` by its own bound (HiGHS's tolerances are
    about 1e-6, so never less)."""
    return r.status == "optimal" and np.isfinite(r.gap) and r.gap <= max(float(mip_gap), 1e-6)


def highs_ran(first: SitingResult) -> bool:
    """Whether HiGHS ran in the plain attempt: its bound is finite (HiGHS reports one from its
    start on). It does not run when its model is too large for the slice
    (:func:`~jangkau.selection.siting_highs.highs_too_late`). No race follows then: HiGHS's stop
    checks (its interrupt callbacks) do not run inside an LP of its MIP, and on such a model the
    racer's first LPs overran the budget (SYNTHETIC clustered 10⁵ × 10³ of
    ``benchmarks/bench_siting.py --big``: 28 s for a 10 s budget, against 7.7 s without a race)."""
    return bool(np.isfinite(first.bound))


def guarded(solve: Solve, *, maximise: bool, time_limit_s: float | None, mip_gap: float,
            start_sites, start_value: float, node_limit: int | None = None, threads: int | None = None) -> SitingResult:
    """Plain first (``solve(False, ...)`` within :func:`plain_slice` and PLAIN_NODES), then,
    unless that is proven, the machinery (``solve(True, ...)``) within the rest of
    ``time_limit_s``, from the better of the plain attempt's solution and ``start_sites``
    (objective ``start_value``); where :func:`~jangkau.selection.siting_race.wanted` allows it
    and HiGHS ran in the plain attempt (:func:`highs_ran`), racing plain HiGHS without a start
    (``solve(False, ..., None, ...)``), each with one HiGHS thread; the better site sets the
    machinery finds on the way are handed to the racing HiGHS (:class:`~.siting_race.Incumbents`,
    the last argument of ``solve``). Returns the best solution with the
    tighter bound (upper bound when ``maximise``, lower bound otherwise) and the gap between
    them. ``extra["milp_guard_stage"]`` says which stage decided: "plain" or "machinery";
    ``extra["milp_race"]`` whether the race ran, ``extra["milp_race_winner"]`` which racer
    proved its answer first ("machinery", "plain" or "none") and ``extra["milp_race_offered"]``
    the objectives of the machinery's site sets the racing HiGHS was handed, in order.
    ``node_limit`` (the caller's) applies to both stages."""
    t0 = time.perf_counter()
    start = np.asarray(start_sites, dtype=np.int64)
    nodes = PLAIN_NODES if node_limit is None else min(PLAIN_NODES, int(node_limit))
    first = solve(False, plain_slice(time_limit_s), start, nodes, threads, None, None)
    plain_s = time.perf_counter() - t0
    info = {"milp_guard_plain_s": plain_s, "milp_guard_plain_status": first.status,
            "milp_guard_plain_objective": first.objective, "milp_guard_plain_bound": first.bound}
    if proven(first, mip_gap):
        first.extra.update(milp_guard_stage="plain", **info)
        return first
    left = None if time_limit_s is None else max(float(time_limit_s) - plain_s, 1e-3)
    gained = first.objective > start_value if maximise else first.objective < start_value
    second_start = np.asarray(first.sites, dtype=np.int64) if gained else start
    raced = None
    if wanted(threads, left, node_limit) and highs_ran(first):
        shared = Incumbents(maximise)

        def plain(stop: _core.StopFlag) -> SitingResult | None:
            try:
                return solve(False, left, None, None, 1, stop, shared)
            except InfeasibleError:  # no solution of its own before it was stopped
                return None

        second, raced, first_proof = race(lambda stop: solve(True, left, second_start, node_limit, 1, stop, shared),
                                          plain, lambda r: proven(r, mip_gap))
        info.update(milp_race=True, milp_race_winner={"home": "machinery", "away": "plain"}.get(first_proof or "", "none"))
        if raced is not None:
            info.update(milp_race_plain_status=raced.status, milp_race_plain_objective=raced.objective,
                        milp_race_plain_bound=raced.bound, milp_race_offered=raced.extra.get("milp_offered", []))
    else:
        second = solve(True, left, second_start, node_limit, threads, None, None)
        info["milp_race"] = False
    results = [second, first] + ([raced] if raced is not None else [])  # ties: the earlier one
    best = results[0]
    for r in results[1:]:
        if (r.objective > best.objective) if maximise else (r.objective < best.objective):
            best = r
    if maximise:
        bound = max(min(r.bound for r in results), best.objective)
    else:
        bound = min(max(r.bound for r in results), best.objective)
    gap = relative_gap(best.objective, bound)
    status = "optimal" if gap <= max(float(mip_gap), 1e-6) else second.status
    extra = dict(second.extra)
    extra.update(milp_guard_stage="machinery", **info)
    return replace(best, status=status, bound=float(bound), gap=gap, time_s=time.perf_counter() - t0,
                   extra=extra)
