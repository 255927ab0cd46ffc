"""The exact siting models as mixed-integer programmes solved by HiGHS (``highspy``):
MCLP, LSCP and p-median over a :class:`~jangkau.selection.siting_instance.Instance`, each
optionally warm-started from an incumbent (``start_sites``). Formulations in
``docs/siting.md``; users call them through :mod:`jangkau.selection.siting` (``solver="milp"``
or ``"auto"``).
"""

from __future__ import annotations

import math
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InfeasibleError, InvalidInputError
from .milp import highspy_module as _highs
from .siting_guard import guarded, mclp_covered, mclp_value
from .siting_highs import solve_milp, start_is_feasible, time_left
from .siting_instance import (
    LSCP,
    MCLP,
    PMEDIAN,
    Instance,
    QuotaMode,
    SitingResult,
    base_covered,
    check_quota_feasible,
    nearest_assignment,
    pattern,
    prepare,
    relative_gap,
    rows_of,
    selection_order,
    zone_table,
)
from .siting_lscp_exact import lagrangian_stage
from .siting_mclp_exact import INTEGRAL_ABS_GAP, MclpReduced, ProvenByBound, integral_weights, reduce_mclp
from .siting_pmedian_exact import lagrangian_truncation, radius_model, radius_start, reduce_candidates
from .siting_quota_exact import lscp_bound_only, quota_classes, reduce_mclp_quotas
from .siting_race import Incumbents, race, wanted
from .siting_reductions import (
    SET_COVER_WORK_PER_SECOND,
    MclpPrep,
    candidate_groups,
    identical_rows,
    mclp_preprocess,
    reduce_set_cover,
    subset_work_limit,
)

#: HiGHS options for a proof from a strong incumbent: no primal heuristics (RINS, RENS, the root
#: reduced-cost heuristic, ``mip_heuristic_effort`` 0) and branching on pseudo-costs without first
#: making them reliable by strong branching (``mip_pscost_minreliable`` 0). `auto` finds its site
#: sets by other means (the greedy, the Lagrangian heuristics and the kernel MILP of
#: :mod:`.siting_mclp_exact` and :mod:`.siting_lscp_exact`), so HiGHS's job there is the bound;
#: its sub-MIP heuristics and strong branching took most of its root. Used by the machinery's
#: HiGHS and the racing HiGHS of the MCLP (``proof``) and after the LSCP's Lagrangian stage; not by
#: HiGHS alone (no start) nor the guard's plain stage and the kernel MILPs, nor with group quotas
#: (the machinery hands HiGHS no site set of its own there; not measured). One-off runs of
#: 2026-12-07, one core, random seeds 0–4 (docs/siting.md § HiGHS options): REAL Serang MCLP p = 60
#: (1,641 rows x 326 sites) proven in 5.0–6.4 s against 12.2–14.6 s with HiGHS's defaults;
#: SYNTHETIC clustered LSCP 10⁴ x 10³ (reduced set cover 1,147 x 674) in 6.8–13.4 s against
#: 14.0–31.4 s.
PROOF_HIGHS_OPTIONS = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_pscost_minreliable": 0,
}


def milp_result(
    pr: Instance,
    model: str,
    text: str,
    info: Any,
    chosen: np.ndarray,
    objective: float,
    bound: float,
    t0: float,
    *,
    covered: np.ndarray | None,
    unreachable: np.ndarray,
    assignment: np.ndarray | None = None,
    floors_met: bool = True,
    zone_coverage=None,
    rows: tuple[int, int],
    dropped: int = 0,
    fixed_open: int = 0,
) -> SitingResult:
    """The :class:`SitingResult` of a MILP solve, built the same way for every model: the
    chosen sites in :func:`selection_order` with their gains, the gap from ``objective`` and
    ``bound``, and HiGHS's own gap and node count, the newly served weights and the demand rows before and
    after merging (``rows``) in ``extra``."""
    kind = {"mclp": MCLP, "lscp": LSCP, "p_median": PMEDIAN}[model]
    sites, gains, served = selection_order(pr, kind, chosen)
    return SitingResult(
        model=model,
        solver="milp",
        status=text,
        sites=sites,
        marginal_gain=gains,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        covered=covered,
        unreachable=unreachable,
        assignment=assignment,
        floors_met=floors_met,
        zone_coverage=zone_coverage,
        time_s=time.perf_counter() - t0,
        extra={
            "mip_gap": float(info.mip_gap),
            "milp_nodes": int(getattr(info, "mip_node_count", 0)),  # branch-and-bound nodes HiGHS searched
            "marginal_served": served,
            "milp_demand_rows": int(rows[0]),
            "milp_demand_rows_merged": int(rows[1]),
            "milp_candidates_dropped": dropped,
            "milp_candidates_forced": fixed_open,
        },
    )


def quota_rows(pr: Instance, p: int, ncol: int, ycols: np.ndarray):
    """Rows over y: Σ y (non-fixed) = p, and the group quotas."""
    free = np.ones(pr.m, dtype=bool)
    free[pr.fixed] = False
    rows: list[sp.csr_matrix] = []
    lo: list[float] = []
    hi: list[float] = []
    rows.append(
        sp.csr_matrix((np.ones(free.sum()), (np.zeros(free.sum(), int), ycols[free])), shape=(1, ncol))
    )
    lo.append(p)
    hi.append(p)
    for g in range(len(pr.group_labels)):
        members = free & (pr.group == g)
        rows.append(
            sp.csr_matrix(
                (np.ones(members.sum()), (np.zeros(members.sum(), int), ycols[members])), shape=(1, ncol)
            )
        )
        lo.append(float(pr.quota[g]))
        hi.append(float(pr.quota[g]) if pr.mode == QuotaMode.EXACTLY else np.inf)
    return rows, lo, hi


def start_y(start_sites, ncol: int) -> np.ndarray:
    """A column vector of length ``ncol``: 1 at the sites ``start_sites``, 0 elsewhere."""
    x0 = np.zeros(ncol)
    x0[np.asarray(start_sites, dtype=np.int64)] = 1
    return x0


def milp_mclp(
    pr: Instance, p: int, time_limit_s, mip_gap, threads, start_sites=None, merge_rows: bool = True,
    node_limit: int | None = None, reduce: bool = True, lagrangian: bool = True, guard: bool = True,
    prep: MclpPrep | None = None, stop=None, shared: Incumbents | None = None, proof: bool = True,
) -> SitingResult:
    """MCLP (Church & ReVelle 1974) as a MILP. Preprocessing (:func:`mclp_preprocess`, once per
    call, or ``prep`` from the caller, whose start then is ``start_sites`` as given): identical
    demand rows merged (``merge_rows``) and, with ``reduce``, dominated candidates fixed at 0
    (:func:`dominated_candidates`);
    with ``reduce``, ``lagrangian`` and a start (no zone floors), the Lagrangian bound, heuristic and
    reduction tests of :mod:`~jangkau.selection.siting_mclp_exact` before HiGHS (with group quotas,
    the bound and closing test of :mod:`~jangkau.selection.siting_quota_exact`);
    with ``guard`` a short plain HiGHS attempt comes first (:mod:`~jangkau.selection.siting_guard`,
    which may race the machinery against plain HiGHS on the second core: :mod:`.siting_race`),
    and all of its stages use the one preprocessing. ``stop`` (a ``jangkau._core.StopFlag``, set
    by another thread) ends the machinery and HiGHS early with their best answer so far.
    ``shared`` (the race's :class:`~jangkau.selection.siting_race.Incumbents`): the machinery
    posts its better site sets there, and a plain HiGHS run takes them up while it runs. With
    ``proof`` and no group quotas, the HiGHS that starts from the machinery's site set and the
    racing HiGHS run with :data:`PROOF_HIGHS_OPTIONS` (False: HiGHS's defaults everywhere, the
    ablation of the benchmarks)."""
    t0 = time.perf_counter()
    if prep is None:
        prep = mclp_preprocess(pr, p, time_limit_s, start_sites, merge_rows, reduce)
        start_sites = prep.start_sites
    if guard and reduce and lagrangian and start_sites is not None and not pr.floor.size:
        return guarded(
            lambda lag, limit, start, nodes, th, flag, box: milp_mclp(
                pr, p, limit, mip_gap, th, start_sites=start, merge_rows=merge_rows, node_limit=nodes, lagrangian=lag,
                guard=False, prep=prep, stop=flag, shared=box, proof=proof),
            maximise=True, time_limit_s=time_left(time_limit_s, t0), mip_gap=mip_gap, start_sites=start_sites,
            start_value=mclp_value(pr, start_sites), node_limit=node_limit, threads=threads,
        )
    highspy = _highs()
    check_quota_feasible(pr, p)
    base, csr, sub, merged_w, a_kept, dropped = prep.base, prep.csr, prep.sub, prep.merged_w, prep.a_kept, prep.dropped
    n_points = prep.n_points
    nz = sub.size
    ycols = np.arange(pr.m)
    y_upper = prep.allowed.astype(np.float64)  # the site columns' upper bounds; every z has 1
    lag: MclpReduced | None = None
    nz_merged = nz
    if reduce and lagrangian and start_sites is not None and not pr.group_labels and not pr.floor.size and nz:
        def improve(mask: np.ndarray, sites: np.ndarray, seconds: float | None) -> np.ndarray:
            """The MILP restricted to the candidates in ``mask`` (over the merged rows they cover)."""
            cols = np.flatnonzero(mask)
            kern = pattern(a_kept[:, cols])
            reach = np.diff(kern.indptr) > 0
            sub_pr = prepare(MCLP, merged_w[reach], kern[reach], n_candidates=None, max_cost=None, groups=None,
                             quotas=None, quota_mode="at_least", fixed=None, precovered=None, zones=None,
                             floors=None)
            r = milp_mclp(sub_pr, p, seconds, mip_gap, threads, start_sites=np.searchsorted(cols, sites),
                          node_limit=node_limit, lagrangian=False, stop=stop)
            return cols[np.asarray(r.sites, dtype=np.int64)]

        box = shared  # the race's box: a site set the machinery finds reaches the racing HiGHS
        post = None if box is None else (lambda sites: box.post(mclp_value(pr, sites), sites))
        lag = reduce_mclp(a_kept, merged_w, p, y_upper > 0, start_sites, time_left(time_limit_s, t0), improve, stop,
                          post)
    elif reduce and lagrangian and start_sites is not None and pr.group_labels and not pr.floor.size and nz:
        # group quotas: the bound and closing test with the quota rows in the subproblem
        classes = quota_classes(pr.group, pr.quota, pr.mode == QuotaMode.EXACTLY, p, y_upper > 0)
        lag = reduce_mclp_quotas(a_kept, merged_w, p, classes, start_sites, time_left(time_limit_s, t0))
    if lag is not None:
        start_sites = lag.start
        y_upper[lag.closed] = 0
        sub, merged_w, a_kept = sub[lag.rows], merged_w[lag.rows], a_kept[lag.rows]
        nz = sub.size
    integral = integral_weights(merged_w)
    y_cost = np.zeros(pr.m)
    if not pr.floor.size and nz:
        # A row that one allowed candidate alone covers has z_i = y_j in every optimum (w_i > 0):
        # its weight moves onto y_j and the row leaves the model; a row no allowed candidate
        # covers (all dominated) contributes nothing. Not under floors: their rows sum the z.
        eff = sp.csr_matrix(a_kept @ sp.diags((y_upper > 0).astype(np.float64)))
        eff.eliminate_zeros()
        deg = np.diff(eff.indptr)
        single = deg == 1
        y_cost += np.bincount(eff.indices[eff.indptr[:-1][single]], weights=merged_w[single], minlength=pr.m)
        keep_rows = deg >= 2
        sub, merged_w, a_kept = sub[keep_rows], merged_w[keep_rows], a_kept[keep_rows]
        nz = sub.size
    ncol = pr.m + nz
    upper = np.concatenate([y_upper, np.ones(nz)])
    a_cov = sp.hstack([-a_kept, sp.identity(nz, format="csr")], format="csr")
    rows, lo, hi = [a_cov], [np.full(nz, -np.inf)], [np.zeros(nz)]
    qr, qlo, qhi = quota_rows(pr, p, ncol, ycols)
    rows += qr
    lo += [np.asarray(qlo, dtype=float)]
    hi += [np.asarray(qhi, dtype=float)]
    if pr.floor.size:
        zsub = pr.zone[sub]
        ok = pr.zone >= 0
        total = np.bincount(pr.zone[ok], weights=pr.w[ok], minlength=len(pr.zone_labels))
        base_w = np.bincount(pr.zone[ok], weights=(pr.w * base)[ok], minlength=len(pr.zone_labels))
        for k in range(len(pr.zone_labels)):
            if np.isnan(pr.floor[k]) or pr.floor[k] <= 0:
                continue
            members = np.flatnonzero(zsub == k)
            rows.append(
                sp.csr_matrix(
                    (merged_w[members], (np.zeros(members.size, int), pr.m + members)), shape=(1, ncol)
                )
            )
            lo.append(np.array([pr.floor[k] * total[k] - base_w[k]]))
            hi.append(np.array([np.inf]))
    a = sp.vstack(rows, format="csr")
    cost = np.concatenate([y_cost, merged_w])
    integer = np.concatenate([np.ones(pr.m, bool), np.zeros(nz, bool)])

    def column_vector(sites) -> np.ndarray:
        x0 = start_y(sites, ncol)
        x0[pr.fixed] = 0
        x0[pr.m :] = mclp_covered(pr, sites, base)[sub]  # sub holds no pre-covered point
        return x0

    start = None if start_sites is None else column_vector(start_sites)
    offer = None
    offered: list[float] = []  # objectives of the site sets handed to HiGHS while it ran
    if shared is not None and lag is None:  # plain HiGHS in a race: the machinery's better sites
        offer = shared.offers(lambda sites: column_vector(np.asarray(sites, dtype=np.int64)), offered)
    # the proof options where HiGHS starts from the machinery's site set or races it (no quotas)
    use_proof = proof and not pr.group_labels and (lag is not None or shared is not None)
    lower = np.zeros(ncol)
    if lag is not None:
        lower[: pr.m][lag.forced] = 1  # forced sites are the start's (reduce_mclp)
    if lag is not None and lag.proven:  # the Lagrangian bound proves the start optimal: no MILP
        text, x = "optimal", start
        info = ProvenByBound(lag.incumbent - lag.constant)
    else:
        text, info, x = solve_milp(
            highspy,
            cost,
            lower,
            upper,
            integer,
            a,
            np.concatenate([np.ravel(v) for v in lo]),
            np.concatenate([np.ravel(v) for v in hi]),
            True,
            time_limit_s,
            mip_gap,
            threads,
            start,
            t0,
            node_limit,
            # HiGHS's presolve checks no clock: under a time limit it took 14 of 20 s on clustered
            # 10^4 x 10^3 (and 27 s for a 10 s budget); without it the interrupt callbacks keep the
            # budget and the gap was as good or better (docs/siting.md, HiGHS options).
            presolve=time_limit_s is None or not np.isfinite(time_limit_s),
            # integral weights: every objective value is an integer, so a dual bound less than 1
            # above the incumbent proves it; HiGHS's z are continuous and it cannot know that
            options={**(PROOF_HIGHS_OPTIONS if use_proof else {}),
                     **({"mip_abs_gap": INTEGRAL_ABS_GAP} if integral else {})} or None,
            stop=stop,
            offer=offer,
        )
    if x is None:
        if "infeasible" in text:
            raise InfeasibleError(
                f"the MCLP has no feasible solution: the quotas and zone floors cannot all be met with p = {p} ({text})"
            )
        if start_sites is None:
            raise InfeasibleError(f"HiGHS found no solution within the limits ({text})")
        chosen = np.asarray(start_sites, dtype=np.int64)  # the start misses a floor: HiGHS did not decide
    else:
        chosen = np.flatnonzero(x[: pr.m] > 0.5)
    covered = mclp_covered(pr, chosen, base)
    objective = float(pr.w[covered].sum())
    base_weight = float(pr.w[base].sum())
    bound = max(objective, float(info.mip_dual_bound) + base_weight + (lag.constant if lag is not None else 0.0))
    if lag is not None:
        # the MILP saw the reduced instance; every solution outside it is worth at most the
        # start's value (lag.incumbent), and the Lagrangian bound holds for every solution
        bound = max(objective, min(max(bound, lag.incumbent + base_weight), lag.bound + base_weight))
    if integral and np.isfinite(bound) and integral_weights(pr.w):  # integer optimum: round down
        bound = max(objective, math.floor(bound + 1e-9 * abs(bound) + 1e-6))
    floors_met = True
    table = zone_table(pr, covered, None)
    if table is not None and "floor_met" in table:
        floors_met = bool(table["floor_met"].all())
    result = milp_result(
        pr, "mclp", text, info, chosen, objective, bound, t0, covered=covered,
        unreachable=(np.diff(csr.indptr) == 0) & ~base, floors_met=floors_met, zone_coverage=table,
        rows=(n_points, nz_merged), dropped=int(dropped.sum()),
    )
    if lag is not None:
        result.extra.update(
            milp_lagrangian_bound=float(lag.bound + base_weight),
            milp_lagrangian_iterations=int(lag.iterations),
            milp_lagrangian_heuristic=float(lag.incumbent + base_weight),
            milp_candidates_closed=int(lag.closed.sum()),
            milp_kernel_candidates=int(lag.kernel),
            milp_proven_by_lagrangian=bool(lag.proven and lag.branch is None),
            milp_lagrangian_s=float(lag.seconds[0]),
            milp_kernel_s=float(lag.seconds[1]),
            milp_candidates_forced=int(lag.forced.sum()),
            milp_bb_s=float(lag.seconds[2]),
            milp_bb_nodes=int(lag.branch.nodes) if lag.branch is not None else 0,
            milp_bb_proven=bool(lag.branch is not None and lag.branch.proven),
        )
    if shared is not None and lag is None:
        result.extra["milp_offered"] = [float(v) for v in offered]
    result.extra["milp_demand_rows_in_model"] = int(nz)
    result.extra["milp_preprocess_s"] = float(prep.seconds)
    return result


def milp_lscp(pr: Instance, time_limit_s, mip_gap, threads, start_sites=None, merge_rows: bool = True,
    node_limit: int | None = None, reduce: bool = True, lagrangian: bool = False, proof: bool = True) -> SitingResult:
    """LSCP (Toregas et al. 1971) as a MILP. Preprocessing: identical demand rows merged
    (``merge_rows``) and, with ``reduce``, the reductions of :func:`reduce_set_cover`.
    ``lagrangian`` (with ``reduce`` and ``start_sites``; with group quotas only its bound, see
    :func:`~jangkau.selection.siting_quota_exact.lscp_bound_only`; ``solver="auto"`` /
    ``"milp"``): on the reduced set cover, the Lagrangian heuristic and bound of
    :mod:`jangkau.selection.siting_lscp_exact` first (up to LAGRANGIAN_BUDGET_SHARE of the
    budget); when ⌈L⌉ meets the best cover it is optimal and HiGHS does not run; otherwise the
    columns reduced-cost fixing excludes are left out and HiGHS starts from the best cover: with
    an integer objective HiGHS prunes every node that cannot beat it by one site (its cut-off).
    With ``proof`` and no group quotas that HiGHS runs with :data:`PROOF_HIGHS_OPTIONS` (its job
    is the bound; False: HiGHS's defaults, whose improvement heuristics start from the cover), and
    races HiGHS with its defaults where :func:`~jangkau.selection.siting_race.wanted` allows it
    (:func:`lscp_race`). The bound is the larger of ⌈L⌉ and HiGHS's."""
    highspy = _highs()
    check_quota_feasible(pr, None)
    if pr.quota.size and pr.mode == QuotaMode.EXACTLY:
        raise InvalidInputError(
            "LSCP minimises the number of sites: only at-least quotas are allowed", field="quota_mode"
        )
    t0 = time.perf_counter()
    base = base_covered(pr)
    csr = pr.csc.tocsr()
    free = np.ones(pr.m, dtype=bool)
    free[pr.fixed] = False
    csr_free = (pattern(csr) @ sp.diags(free.astype(np.float64))).tocsr()
    csr_free.eliminate_zeros()  # only the fixed columns are zero in the pattern
    deg = np.diff(csr_free.indptr)
    unreachable = ~base & (deg == 0)
    need = np.flatnonzero(~base & (deg > 0))
    first, _ = identical_rows(csr_free[need], values=False, merge=merge_rows)  # one covering row per candidate set
    n_points = need.size
    need = need[first]
    a = csr_free[need]
    upper = free.astype(np.float64)
    lower = np.zeros(pr.m)
    dropped = forced = np.zeros(pr.m, dtype=bool)
    if reduce:
        group = candidate_groups(pr)
        quota_counts = (group >= 0) & (pr.quota[np.maximum(group, 0)] > 0) if pr.quota.size else np.zeros(pr.m, bool)
        kept, dropped, forced, rep = reduce_set_cover(
            a, free & ~quota_counts, max_work=subset_work_limit(time_left(time_limit_s, t0), SET_COVER_WORK_PER_SECOND)
        )
        a = a[kept]
        upper[dropped] = 0
        lower[forced] = 1
        if start_sites is not None:
            s0 = {int(j) for j in start_sites}
            s0 = {int(rep[j]) if dropped[j] else j for j in s0} | {int(j) for j in np.flatnonzero(forced)}
            start_sites = np.asarray(sorted(j for j in s0 if j >= 0), dtype=np.int64)
    stage = None
    if lagrangian and reduce and start_sites is not None:
        if pr.group_labels:  # quotas: the stage's bound only (siting_quota_exact.lscp_bound_only)
            stage = lscp_bound_only(a, upper > 0, forced, start_sites, pr.group, pr.quota, time_limit_s, t0)
        else:
            stage = lagrangian_stage(a, upper > 0, forced, start_sites, time_limit_s, t0)
        start_sites = stage.sites
        upper[stage.excluded] = 0
        if stage.proven:
            chosen = stage.sites
            covered = base.copy()
            covered[rows_of(pr, chosen)] = True
            info = SimpleNamespace(mip_gap=0.0)
            res = milp_result(
                pr, "lscp", "optimal", info, chosen, float(chosen.size), float(stage.bound), t0, covered=covered,
                unreachable=unreachable, zone_coverage=zone_table(pr, covered, None), rows=(n_points, need.size),
                dropped=int(dropped.sum()), fixed_open=int(forced.sum()),
            )
            res.extra.update(stage.extra)
            return res
    rows, lo, hi = [a], [np.ones(a.shape[0])], [np.full(a.shape[0], np.inf)]
    for g in range(len(pr.group_labels)):
        members = free & (pr.group == g)
        rows.append(
            sp.csr_matrix(
                (np.ones(members.sum()), (np.zeros(members.sum(), int), np.flatnonzero(members))),
                shape=(1, pr.m),
            )
        )
        lo.append(np.array([pr.quota[g]], dtype=float))
        hi.append(np.array([np.inf]))
    model = (sp.vstack(rows, format="csr"), np.concatenate(lo), np.concatenate(hi))
    start = None if start_sites is None else start_y(start_sites, pr.m) * free
    race_info: dict = {}
    use_proof = proof and stage is not None and not pr.group_labels  # the stage's cover, no quota rows
    if use_proof and start is not None and wanted(threads, time_left(time_limit_s, t0), node_limit):
        text, info, x, race_info = lscp_race(highspy, model, lower, upper, free, time_limit_s, mip_gap, start, t0)
    else:
        text, info, x = solve_milp(
            highspy, np.ones(pr.m), lower, upper, np.ones(pr.m, bool), *model, False, time_limit_s, mip_gap, threads,
            start, t0, node_limit, options=PROOF_HIGHS_OPTIONS if use_proof else None,
        )
    if x is None:
        if "infeasible" in text or start_sites is None:
            raise InfeasibleError(f"HiGHS found no LSCP solution ({text})")
        chosen = np.asarray(start_sites, dtype=np.int64)
    else:
        chosen = np.flatnonzero(x > 0.5)
    objective = float(chosen.size)
    dual = float(info.mip_dual_bound)
    bound = min(objective, max(float(np.ceil(dual - 1e-6)) if np.isfinite(dual) else -np.inf,
                               -np.inf if stage is None else float(stage.bound)))
    covered = base.copy()
    covered[rows_of(pr, chosen)] = True
    res = milp_result(
        pr, "lscp", text, info, chosen, objective, bound, t0, covered=covered, unreachable=unreachable,
        zone_coverage=zone_table(pr, covered, None), rows=(n_points, need.size),
        dropped=int(dropped.sum()), fixed_open=int(forced.sum()),
    )
    if stage is not None:
        res.extra.update(stage.extra)
    res.extra.update(race_info)
    return res


def lscp_race(highspy, model, lower, upper, free, time_limit_s, mip_gap, start, t0):
    """The LSCP's set cover (``model`` = (rows, lower, upper) over the m site columns) solved
    twice at once, one HiGHS thread each (:func:`~jangkau.selection.siting_race.race`): with
    :data:`PROOF_HIGHS_OPTIONS` (its job the bound) and with HiGHS's defaults (whose heuristics
    find smaller covers: SYNTHETIC uniform 10⁴ x 10³, 196 sites against 197 with the proof options
    alone in 10 s). Every cover either finds goes to the other (:class:`Incumbents`); the first
    to prove its cover stops the other. Both bounds are valid for the one model: the larger is
    kept, with the smaller cover. Returns (status, info with ``mip_gap``, ``mip_node_count`` and
    ``mip_dual_bound``, column values, the ``milp_race*`` entries of ``extra``)."""
    a, row_lo, row_hi = model
    m = free.size
    shared = Incumbents(maximise=False)

    def post(x: np.ndarray) -> None:
        """Keeps ``x`` in the box when, rounded, it is a smaller cover of this model."""
        if x.size != m:  # not a vector of this model's columns
            return
        y = (x > 0.5).astype(np.float64)
        if start_is_feasible(y, lower, upper, a, row_lo, row_hi):
            shared.post(float(y.sum()), np.flatnonzero(y))

    post(start)

    def run(options, stop):
        return solve_milp(highspy, np.ones(m), lower, upper, np.ones(m, bool), a, row_lo, row_hi, False, time_limit_s,
                          mip_gap, 1, start, t0, None, options=options, stop=stop,
                          offer=shared.offers(lambda sites: start_y(sites, m)), post=post)

    home, away, first = race(lambda stop: run(PROOF_HIGHS_OPTIONS, stop), lambda stop: run(None, stop),
                             lambda r: r[0] == "optimal")
    runs = [r for r in (home, away) if r is not None]
    for r in runs:  # a returned solution the callbacks did not report
        if r[2] is not None:
            post(r[2])
    best = shared.newer(0)  # the smallest cover (the start's, when it is one, at worst)
    x = None if best is None else start_y(best[2], m)
    objective = np.inf if best is None else best[1]
    duals = [float(r[1].mip_dual_bound) for r in runs if np.isfinite(float(r[1].mip_dual_bound))]
    dual = max(duals) if duals else -np.inf
    text = "optimal" if np.isfinite(dual) and np.ceil(dual - 1e-6) >= objective else home[0]
    info = SimpleNamespace(mip_gap=relative_gap(float(objective), dual) if np.isfinite(dual) else np.inf,
                           mip_node_count=sum(int(getattr(r[1], "mip_node_count", 0)) for r in runs), mip_dual_bound=dual)
    extra = {"milp_race": True, "milp_race_winner": {"home": "proof", "away": "default"}.get(first or "", "none"),
             "milp_race_proof_status": home[0], "milp_race_default_status": None if away is None else away[0]}
    return text, info, x, extra


#: HiGHS options of the p-median's radius model: its root LP by the interior-point solver.
#: Measured on the truncated models `auto` builds (SYNTHETIC clustered 10⁴ × 300, k = 48,
#: 20,530 rows, load ~2.2): proven at the root in 5.3 s against 13.9 s with the default (dual
#: simplex); docs/siting.md gives the other rows, where it is not always faster.
PMEDIAN_HIGHS_OPTIONS = {"mip_lp_solver": "ipm"}


def milp_p_median(
    pr: Instance, p: int, time_limit_s, mip_gap, threads, start_sites=None, merge_rows: bool = True,
    node_limit: int | None = None, candidate_bounds=None, multipliers=None,
) -> SitingResult:
    """Exact p-median by the truncated radius formulation (Elloumi 2010; García, Labbé & Marín
    2011; see :mod:`jangkau.selection.siting_pmedian_exact`). With an incumbent
    (``start_sites``) each point's levels stop at its incumbent cost and the model is solved
    again, with the truncation raised where the sites found serve a point farther, until the
    sites found serve every point within its truncation (then they are optimal) or the time
    runs out; ``candidate_bounds`` = (open_bound, closed_bound) from the C++ Lagrangian first
    closes (opens) the candidates Beasley's (1993) tests settle, and ``multipliers`` (the
    Lagrangian's λ, one per demand point) raise the first truncation to λ_i / w_i so that the
    first model's bound is at least the Lagrangian bound. Without an incumbent the
    levels are complete and one solve is exact. The bound returned is the best MIP dual bound
    of the truncated models, each a relaxation of the p-median."""
    highspy = _highs()
    check_quota_feasible(pr, p)
    t0 = time.perf_counter()
    csr = pr.csc.tocsr()
    deg = np.diff(csr.indptr)
    unreachable = deg == 0
    need = np.flatnonzero((deg > 0) & (pr.w > 0))
    n_points = need.size
    best_sites: np.ndarray | None = None
    upper = np.inf
    if start_sites is not None:
        best_sites = np.asarray(start_sites, dtype=np.int64)
        _, upper, _ = nearest_assignment(pr, np.concatenate([pr.fixed, best_sites]))
    keep = np.concatenate([pr.fixed, best_sites if best_sites is not None else np.zeros(0, np.int64)])
    bounds = candidate_bounds if candidate_bounds is not None and not pr.group_labels else (None, None)
    red = reduce_candidates(pr.m, upper, bounds[0], bounds[1], keep)
    sure = np.concatenate([pr.fixed, np.flatnonzero(red.forced)])
    cap = np.full(pr.n, np.inf)
    if sure.size:  # no point is ever served farther than its nearest sure site
        cap = np.minimum(cap, nearest_assignment(pr, sure)[2])
    truncation = cap.copy()
    if best_sites is not None and np.isfinite(upper):
        truncation = np.minimum(truncation, nearest_assignment(pr, keep)[2])
        if multipliers is not None and len(multipliers) == pr.n and not pr.group_labels:
            lam = np.zeros(pr.n)
            lam[need] = lagrangian_truncation(csr[need], pr.w[need], np.asarray(multipliers)[need], red.allowed)
            truncation = np.minimum(cap, np.maximum(truncation, lam))
    lower_y = np.zeros(pr.m)
    lower_y[sure] = 1
    upper_y = red.allowed.astype(np.float64)
    lower_bound = -np.inf
    rounds = 0
    text, info, levels, merged = "not solved", None, 0, n_points
    while True:
        rounds += 1
        sub = csr[need]
        kept = _truncated(sub, truncation[need], red.allowed)
        full = np.diff(kept.indptr) == np.diff(_truncated(sub, np.full(need.size, np.inf), red.allowed).indptr)
        first, inverse = identical_rows(kept, values=True, extra=full.astype(np.int64), merge=merge_rows)
        merged = first.size
        weights = np.bincount(inverse, weights=pr.w[need], minlength=first.size)
        model = radius_model(sub[first], weights, truncation[need][first], red.allowed)
        levels = model.a.shape[0]
        ncol = pr.m + model.z_cost.size
        qr, qlo, qhi = quota_rows(pr, p, ncol, np.arange(pr.m))
        a = sp.vstack([model.a.reshape((levels, ncol)) if levels else sp.csr_matrix((0, ncol))] + qr, format="csr")
        row_lo = np.concatenate([model.row_lo, np.asarray(qlo, dtype=float)])
        row_hi = np.concatenate([model.row_hi, np.asarray(qhi, dtype=float)])
        cost = np.concatenate([np.zeros(pr.m), model.z_cost])
        lower = np.concatenate([lower_y, np.zeros(model.z_cost.size)])
        upper_col = np.concatenate([upper_y, model.z_upper])
        integer = np.concatenate([np.ones(pr.m, bool), np.zeros(model.z_cost.size, bool)])
        start = None
        if best_sites is not None:
            y0 = start_y(np.concatenate([pr.fixed, best_sites]), pr.m)
            start = np.concatenate([y0, radius_start(model, y0)])
        text, info, x = solve_milp(
            highspy, cost, lower, upper_col, integer, a, row_lo, row_hi, False, time_limit_s, mip_gap, threads,
            start, t0, node_limit, options=PMEDIAN_HIGHS_OPTIONS,
        )
        if x is None:
            if best_sites is not None and np.isfinite(upper) and "infeasible" in text:
                lower_bound = max(lower_bound, upper)  # nothing at least as good as the incumbent
                break
            if best_sites is not None:
                break
            if "infeasible" in text:
                raise InfeasibleError(f"no {p} sites can serve every reachable demand point ({text})")
            raise InfeasibleError(f"HiGHS found no solution within the limits ({text})")
        lower_bound = max(lower_bound, float(info.mip_dual_bound) + model.constant)
        open_mask = x[: pr.m] > 0.5
        open_mask[pr.fixed] = False
        found = np.flatnonzero(open_mask)
        _, value, dist = nearest_assignment(pr, np.concatenate([pr.fixed, found]))
        if value < upper or best_sites is None:
            best_sites, upper = found, value
        far = need[dist[need] > truncation[need]]
        proven = text == "optimal" and far.size == 0
        out_of_time = time_limit_s is not None and time.perf_counter() - t0 >= float(time_limit_s)
        if proven or text != "optimal" or out_of_time:
            if not proven and text == "optimal":
                text = "time limit reached"  # optimal for a truncation the sites found exceed
            break
        # García et al.: raise the truncation of the points served beyond it and solve again
        truncation[far] = np.minimum(cap[far], dist[far])
        truncation = np.maximum(truncation, np.minimum(cap, nearest_assignment(pr, np.concatenate([pr.fixed, best_sites]))[2]))
    assert best_sites is not None
    chosen = np.asarray(best_sites, dtype=np.int64)
    assignment, objective, best = nearest_assignment(pr, np.concatenate([pr.fixed, chosen]))
    bound = min(objective, lower_bound)
    res = milp_result(
        pr, "p_median", text, info, chosen, objective, bound, t0, covered=None, unreachable=unreachable,
        assignment=assignment, zone_coverage=zone_table(pr, None, best if pr.zone.size else None),
        rows=(n_points, merged),
    )
    res.extra.update(
        radius_levels=int(levels), truncation_rounds=rounds, candidates_closed=int((~red.allowed).sum()),
        candidates_forced_open=int(red.forced.sum()),
    )
    return res


def _truncated(rows: sp.csr_matrix, truncation: np.ndarray, allowed: np.ndarray) -> sp.csr_matrix:
    """The entries of ``rows`` that the radius model keeps (allowed candidates within the
    truncation), for merging identical demand rows."""
    coo = rows.tocoo()
    sel = allowed[coo.col] & (coo.data <= truncation[coo.row])
    return sp.csr_matrix((coo.data[sel], (coo.row[sel], coo.col[sel])), shape=rows.shape)
