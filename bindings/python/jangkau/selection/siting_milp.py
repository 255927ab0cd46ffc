"""The exact siting models as mixed-integer programmes solved by HiGHS (``highspy``):
MCLP, LSCP and p-median over a :class:`~jangkau.selection.siting_instance.Instance`, each
optionally warm-started from an incumbent (``start_sites``). Formulations in
``docs/siting.md``; users call them through :mod:`jangkau.selection.siting` (``solver="milp"``
or ``"auto"``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InfeasibleError, InvalidInputError
from .milp import highspy_module as _highs, new_highs as _new_highs
from .siting_guard import guarded, mclp_covered, mclp_value
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


def time_left(time_limit_s, t0: float) -> float | None:
    """What remains of a wall-clock budget that started at ``t0`` (``time.perf_counter``): the
    time spent building the model counts, so HiGHS gets only the rest (at least 1 ms)."""
    if time_limit_s is None:
        return None
    return max(float(time_limit_s) - (time.perf_counter() - t0), 1e-3)


#: HiGHS does not read its clock in presolve, so it ends late when it starts with less time left
#: than its presolve takes; the callbacks of :func:`solve_milp` cannot stop it there either.
#: Measured on the clustered 10⁵ × 10³ instances of ``benchmarks/bench_siting.py`` (seed 4, load
#: ~4.5; docs/siting.md): with a 1 ms limit, ``run()`` took 0.73–0.92 s on the 3.6·10⁶-entry MCLP
#: model; with 1.74 s left it took 2.29 s on the 3.5·10⁶-entry LSCP model (1.5·10⁶ entries/s).
#: :func:`solve_milp` neither builds nor runs a model when less than its entries /
#: HIGHS_PRESOLVE_NNZ_PER_S seconds are left (3.5·10⁶ entries: 2.3 s; 10⁴ entries: 7 ms, so small
#: models still run with a spent budget, as before).
HIGHS_PRESOLVE_NNZ_PER_S = 1.5e6


def highs_too_late(a_rows: Any, time_limit_s, t0: float) -> bool:
    """Whether what is left of the budget (``time_limit_s`` from ``t0``; None = no limit) is
    shorter than HiGHS's unclocked presolve of a model with the entries of ``a_rows``."""
    left = time_left(time_limit_s, t0)
    nnz = int(np.count_nonzero(a_rows)) if isinstance(a_rows, np.ndarray) else int(sp.csr_matrix(a_rows).nnz)
    return left is not None and left < nnz / HIGHS_PRESOLVE_NNZ_PER_S


def not_run(maximise: bool, start, lower, upper, a_rows, row_lo, row_hi):
    """What :func:`solve_milp` returns when HiGHS does not run: status None, "time limit reached",
    an info with no bound (±inf) and the start as the solution when it is feasible (else None).
    The column bounds are read for the first ``a_rows.shape[1]`` columns, as HiGHS reads them."""
    info = SimpleNamespace(mip_dual_bound=math.inf if maximise else -math.inf,
                           objective_function_value=math.nan, mip_gap=math.inf, mip_node_count=0)
    x = None
    if start is not None:
        x0 = np.asarray(start, dtype=np.float64)
        ncol = a_rows.shape[1]
        lo, hi = np.asarray(lower)[:ncol], np.asarray(upper)[:ncol]
        x = x0 if start_is_feasible(x0, lo, hi, a_rows, row_lo, row_hi) else None
    return None, "time limit reached", info, x


def solve_milp(
    highspy,
    cost,
    lower,
    upper,
    integer,
    a_rows: Any,
    row_lo,
    row_hi,
    maximise: bool,
    time_limit_s,
    mip_gap,
    threads,
    start=None,
    t0: float | None = None,
    node_limit: int | None = None,
    presolve: bool = True,
    options: dict | None = None,
):
    """Solves the MILP; ``start`` is a full column vector used as HiGHS's MIP start (its
    incumbent, hence its cut-off for pruning, when feasible; ignored by HiGHS otherwise).
    ``time_limit_s`` is a wall-clock budget counted from ``t0`` (default: the call): building
    the model and handing it to HiGHS use it up too, HiGHS gets what is left."""
    t0 = time.perf_counter() if t0 is None else t0
    if highs_too_late(a_rows, time_limit_s, t0):  # HIGHS_PRESOLVE_NNZ_PER_S: it would end late
        return not_run(maximise, start, lower, upper, a_rows, row_lo, row_hi)
    h = _new_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if threads:
        h.setOptionValue("threads", int(threads))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    if not presolve:
        h.setOptionValue("presolve", "off")
    for key, value in (options or {}).items():  # model-specific HiGHS options (p-median: its LP solver)
        h.setOptionValue(key, value)
    lp = highspy.HighsLp()
    ncol = cost.size
    lp.num_col_ = ncol
    lp.num_row_ = a_rows.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(row_lo, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_hi, dtype=np.float64)
    a = sp.csc_matrix(a_rows)
    a.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = a_rows.shape[0]
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous for b in integer
    ]
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    if highs_too_late(a_rows, time_limit_s, t0):  # building the model used up the time
        return not_run(maximise, start, lower, upper, a_rows, row_lo, row_hi)
    left = time_left(time_limit_s, t0)
    interrupted = False
    if left is not None:
        h.setOptionValue("time_limit", left)
        # HiGHS checks its time limit only between some phases and overran it several-fold on
        # large p-medians; the interrupt callbacks (simplex, IPM, MIP) enforce the wall clock.
        deadline = time.perf_counter() + left

        def stop_at_deadline(event) -> None:
            nonlocal interrupted
            if time.perf_counter() > deadline:
                interrupted = True
                event.interrupt()

        for callback in (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt):
            callback.subscribe(stop_at_deadline)
    h.run()
    status = h.getModelStatus()
    status_text = "time limit reached" if interrupted else h.modelStatusToString(status).lower()
    info = h.getInfo()
    has_solution = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value) if has_solution else None
    if x is not None:
        # Seen with HiGHS 1.16 and a MIP start whose columns presolve fixes: objective value and
        # dual bound come back shifted by a constant (85 / 85 for a returned solution of 87 sites,
        # 87 / 87 without the start; docs/siting.md). The returned solution's value in this model
        # is known, so the shift is measured and the dual bound moved by it.
        value = float(np.dot(np.asarray(cost, dtype=np.float64), x))
        shift = value - float(info.objective_function_value)
        if abs(shift) > 1e-6 * max(1.0, abs(value)):
            info.mip_dual_bound = float(info.mip_dual_bound) + shift
            info.objective_function_value = value
    if x is None and start is not None and "infeasible" not in status_text:
        # HiGHS stopped (time or node limit, e.g. still in presolve) before taking up the MIP
        # start or finding a solution of its own: the start is still a solution if it is feasible.
        x0 = np.asarray(start, dtype=np.float64)
        if start_is_feasible(x0, lower, upper, a_rows, row_lo, row_hi):
            x = x0
    return status, status_text, info, x


def start_is_feasible(x, lower, upper, a_rows, row_lo, row_hi, tol: float = 1e-9) -> bool:
    """Whether the column vector ``x`` meets the column and row bounds (to ``tol``, scaled)."""
    act = sp.csr_matrix(a_rows) @ x
    lo, hi = np.asarray(row_lo, dtype=np.float64), np.asarray(row_hi, dtype=np.float64)
    scale = tol * np.maximum(1.0, np.abs(act))
    return bool(
        np.all(x >= np.asarray(lower) - tol)
        and np.all(x <= np.asarray(upper) + tol)
        and np.all(act >= lo - scale)
        and np.all(act <= hi + scale)
    )


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
    ``bound``, and HiGHS's own gap, the newly served weights and the demand rows before and
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


def start_y(pr: Instance, start_sites, ncol: int) -> np.ndarray:
    x0 = np.zeros(ncol)
    x0[np.asarray(start_sites, dtype=np.int64)] = 1
    return x0


def identical_rows(
    a: sp.csr_matrix, *, values: bool, extra: np.ndarray | None = None, merge: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Preprocessing: groups the rows of ``a`` that are identical — the same stored columns, and
    with ``values`` the same stored values too; rows with a different ``extra`` label (e.g. the
    zone of a floor constraint) never share a group. Returns the first row of every group (in
    row order) and the group of every row, so a model can keep one variable per group with the
    summed weight: identical demand points are interchangeable in every model here.
    ``merge=False`` keeps every row on its own (for benchmarks of the preprocessing)."""
    if not merge:
        return np.arange(a.shape[0], dtype=np.int64), np.arange(a.shape[0], dtype=np.int64)
    a = sp.csr_matrix(a, copy=True)
    a.sort_indices()
    ip, ind, dat = a.indptr, a.indices.astype(np.int64, copy=False), a.data
    groups: dict[bytes, int] = {}
    first: list[int] = []
    inverse = np.empty(a.shape[0], dtype=np.int64)
    for i in range(a.shape[0]):
        key = ind[ip[i] : ip[i + 1]].tobytes()
        if values:
            key += b"|" + dat[ip[i] : ip[i + 1]].tobytes()
        if extra is not None:
            key += b"#" + int(extra[i]).to_bytes(8, "little", signed=True)
        g = groups.setdefault(key, len(first))
        if g == len(first):
            first.append(i)
        inverse[i] = g
    return np.asarray(first, dtype=np.int64), inverse


#: Largest work (entries visited by the row-overlap product) of one dominance check; above it the
#: check is skipped. Set by measurement (benchmarks/bench_siting.py instances, see docs/siting.md).
MAX_SUBSET_WORK = 2e8
#: Entries of the overlap product per second assumed when a time limit caps the dominance checks:
#: 1.56e8 entries took about 10 s at load ~11 on the shared 2-core machine (clustered LSCP
#: 10^4 x 10^3 of benchmarks/bench_siting.py). With a time limit, a check may use a quarter of it.
SUBSET_WORK_PER_SECOND = 1.5e7
#: The same rate for the set-cover reductions of :func:`reduce_set_cover` (LSCP): half the rate
#: measured there (1.56e8 entries, all rounds, 0.9 s wall at load 5 on the clustered 10⁴ × 10³
#: instance of ``benchmarks/bench_siting.py``). With the MCLP rate above, a 10 s budget skipped
#: the row dominance on that instance (6,672 rows kept instead of 1,147).
SET_COVER_WORK_PER_SECOND = 1e8


def subset_work_limit(time_limit_s, rate: float = SUBSET_WORK_PER_SECOND) -> float:
    """The work cap of one dominance check under ``time_limit_s`` (None = MAX_SUBSET_WORK): a
    quarter of the time at ``rate`` entries per second."""
    if time_limit_s is None:
        return MAX_SUBSET_WORK
    return min(MAX_SUBSET_WORK, rate * 0.25 * float(time_limit_s))


def candidate_groups(pr: Instance) -> np.ndarray:
    """Group id per candidate, -1 for none (also when the instance has no groups)."""
    return pr.group if pr.group.size else np.full(pr.m, -1, dtype=np.int32)


def subset_pairs(a: sp.csr_matrix, max_work: float = MAX_SUBSET_WORK):
    """Preprocessing helper: pairs (r, s) of distinct rows of the 0/1 matrix ``a`` with the stored
    columns of r a subset of those of s (duplicates of identical rows come as both (r, s) and (s, r)).
    The overlaps |row r ∩ row s| come from the sparse product a·aᵀ, done in blocks of rows; returns
    None when that product would visit more than ``max_work`` entries (Σ over columns of the squared
    column count), so very dense instances skip the reduction instead of stalling."""
    a = sp.csr_matrix(a)
    col_count = np.bincount(a.indices, minlength=a.shape[1]).astype(np.float64)
    if float((col_count**2).sum()) > max_work:
        return None
    size = np.diff(a.indptr)
    at = a.T.tocsr()
    rs: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    ss: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    block = 2048
    for lo in range(0, a.shape[0], block):
        o = (a[lo : lo + block] @ at).tocoo()
        r = o.row + lo
        keep = (o.col != r) & (o.data == size[r]) & (size[r] > 0)
        rs.append(r[keep])
        ss.append(o.col[keep])
    return np.concatenate(rs).astype(np.int64), np.concatenate(ss).astype(np.int64)


def dominated_candidates(
    cover: sp.csr_matrix, free: np.ndarray, group: np.ndarray, keep_per_group: int,
    max_work: float = MAX_SUBSET_WORK,
) -> tuple[np.ndarray, np.ndarray]:
    """Column reduction (Toregas & ReVelle 1973; Church & ReVelle 1974 for MCLP): a free candidate
    whose covered demand rows (columns of the n × m matrix ``cover``) are a subset of another free
    candidate's in the same group can be left out — swapping it for the other never uncovers a row
    nor changes a group count. Identical candidates keep the lowest index. A group keeps all its
    candidates unless at least ``keep_per_group`` of them remain undominated (so p sites, or the
    quotas, can still be filled by undominated ones). Returns the mask of candidates to fix at 0
    and, for each of them, an undominated candidate of its group covering all it covers (-1 else)."""
    m = cover.shape[1]
    out = np.zeros(m, dtype=bool)
    rep = np.full(m, -1, dtype=np.int64)
    free_idx = np.flatnonzero(free)
    if free_idx.size < 2:
        return out, rep
    cols = sp.csr_matrix(pattern(cover).T.tocsr()[free_idx])
    pairs = subset_pairs(cols, max_work)
    if pairs is None:
        return out, rep
    r, s_ = pairs
    size = np.diff(cols.indptr)
    same_group = group[free_idx[r]] == group[free_idx[s_]]
    strict = (size[r] < size[s_]) | (r > s_)  # a proper subset, or identical with a lower index kept
    dom = np.zeros(free_idx.size, dtype=bool)
    dom[r[same_group & strict]] = True
    dom_full = np.zeros(m, dtype=bool)
    dom_full[free_idx[dom]] = True
    for g in np.unique(group[free_idx]):
        members = free & (group == g)
        if (members & ~dom_full).sum() >= keep_per_group:
            out |= members & dom_full
    # every dominated candidate has an undominated one above it (the relation is transitive)
    ok = same_group & out[free_idx[r]] & ~dom_full[free_idx[s_]]
    rep[free_idx[r[ok]][::-1]] = free_idx[s_[ok]][::-1]  # the first such pair wins
    return out, rep


def repaired_start(start_sites, allowed: np.ndarray, rep: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The MIP start mapped into a reduced model: each dropped candidate in it is replaced by its
    representative or, when that is taken already, by another candidate of its group that was
    kept (``allowed``; the covered set does not shrink either way). Returns the new site indices."""
    sites = [int(j) for j in np.asarray(start_sites, dtype=np.int64)]
    taken = set(sites)
    for k, j in enumerate(sites):
        if allowed[j]:
            continue
        alt = int(rep[j])
        if alt < 0 or alt in taken:
            pool = [int(c) for c in np.flatnonzero(allowed & (group == group[j])) if int(c) not in taken]
            if not pool:
                continue  # nothing kept to move to: HiGHS rejects this start and searches itself
            alt = pool[0]
        taken.discard(j)
        taken.add(alt)
        sites[k] = alt
    return np.asarray(sites, dtype=np.int64)


def reduce_set_cover(a: sp.csr_matrix, eligible: np.ndarray, rounds: int = 6, max_work: float = MAX_SUBSET_WORK):
    """Set-covering reductions of Toregas & ReVelle (1973), repeated until nothing changes (at most
    ``rounds`` times) on the covering rows ``a`` (demand rows × candidates, 0/1):
    column dominance among the ``eligible`` candidates (those no quota counts: a candidate covering
    a subset of another's rows is never needed), essential columns (a row only one kept candidate
    covers forces it open; the rows it covers are then met) and row dominance (a row whose
    candidate set contains another row's is met whenever that one is). The optimum is unchanged.
    Returns (rows kept, candidates dropped, candidates forced open, representative per dropped)."""
    a = pattern(a)
    m = a.shape[1]
    alive = np.ones(a.shape[0], dtype=bool)
    dropped = np.zeros(m, dtype=bool)
    forced = np.zeros(m, dtype=bool)
    rep = np.full(m, -1, dtype=np.int64)
    none = np.full(m, -1, dtype=np.int32)
    for _ in range(rounds):
        before = (int(alive.sum()), int(dropped.sum()), int(forced.sum()))
        keep_cols = sp.diags((~dropped).astype(np.float64))
        cur = sp.csr_matrix(a[alive] @ keep_cols)
        cur.eliminate_zeros()
        d, r = dominated_candidates(cur, eligible & ~dropped & ~forced, none, 0, max_work)
        dropped |= d
        rep[d] = r[d]
        cur = sp.csr_matrix(a @ sp.diags((~dropped).astype(np.float64)))
        cur.eliminate_zeros()
        size = np.diff(cur.indptr)
        single = alive & (size == 1)
        forced[cur.indices[cur.indptr[np.flatnonzero(single)]]] = True
        alive &= ~(np.asarray(cur @ forced.astype(np.float64)).ravel() > 0)
        idx = np.flatnonzero(alive)
        pairs = subset_pairs(cur[idx], max_work)
        if pairs is not None:
            pr_, ps = pairs
            sz = size[idx]
            strict = (sz[pr_] < sz[ps]) | (pr_ < ps)
            alive[idx[ps[strict]]] = False
        if (int(alive.sum()), int(dropped.sum()), int(forced.sum())) == before:
            break
    # a representative may have been dropped later: follow it to a kept candidate
    for j in np.flatnonzero(dropped):
        k = rep[j]
        while k >= 0 and dropped[k]:
            k = rep[k]
        rep[j] = k
    return np.flatnonzero(alive), dropped, forced, rep


@dataclass
class MclpPrep:
    """The MCLP's preprocessing (:func:`mclp_preprocess`), done once per call of
    :func:`milp_mclp` and shared by the guard's two stages: the demand points covered without a
    choice (``base``), the CSR matrix, the kept demand points (``sub``, one per class of
    identical rows) with their summed weights (``merged_w``; ``n_points`` before merging), their rows over the candidates the
    dominance test keeps (``a_kept``), the candidates it dropped (``dropped``), the candidates
    still allowed (``allowed``: neither fixed nor dropped), the start repaired onto allowed
    candidates and the seconds it took."""

    base: np.ndarray
    csr: sp.csr_matrix
    sub: np.ndarray
    merged_w: np.ndarray
    n_points: int
    a_kept: sp.csr_matrix
    dropped: np.ndarray
    allowed: np.ndarray
    start_sites: np.ndarray | None
    seconds: float


def mclp_preprocess(pr: Instance, p: int, time_limit_s, start_sites, merge_rows: bool, reduce: bool) -> MclpPrep:
    """Identical demand rows merged (``merge_rows``, their weights summed) and, with ``reduce``,
    dominated candidates dropped (:func:`dominated_candidates`, within ``time_limit_s``; the
    start is repaired onto their dominators)."""
    t0 = time.perf_counter()
    base = base_covered(pr)
    csr = pr.csc.tocsr()
    deg = np.diff(csr.indptr)
    sub = np.flatnonzero(~base & (deg > 0) & (pr.w > 0))
    # One z per class of demand points with the same candidate set (and zone, under floors).
    first, inverse = identical_rows(
        csr[sub], values=False, extra=pr.zone[sub] if pr.floor.size else None, merge=merge_rows
    )
    merged_w = np.bincount(inverse, weights=pr.w[sub], minlength=first.size)
    n_points = sub.size
    sub = sub[first]
    # z_i - Σ_{j∈N(i)} y_j <= 0 (dominated candidates, fixed at 0, left out of the rows)
    a_sub = csr[sub]
    allowed = np.ones(pr.m, dtype=bool)
    allowed[pr.fixed] = False
    dropped = np.zeros(pr.m, dtype=bool)
    if reduce:
        group = candidate_groups(pr)
        dropped, rep = dominated_candidates(a_sub, allowed.copy(), group, p, subset_work_limit(time_left(time_limit_s, t0)))
        allowed = allowed & ~dropped
        if start_sites is not None:
            start_sites = repaired_start(start_sites, allowed, rep, group)
    a_kept = sp.csr_matrix(pattern(a_sub) @ sp.diags((~dropped).astype(np.float64)))
    a_kept.eliminate_zeros()
    start = None if start_sites is None else np.asarray(start_sites, dtype=np.int64)
    return MclpPrep(base, csr, sub, merged_w, n_points, a_kept, dropped, allowed, start, time.perf_counter() - t0)


def milp_mclp(
    pr: Instance, p: int, time_limit_s, mip_gap, threads, start_sites=None, merge_rows: bool = True,
    node_limit: int | None = None, reduce: bool = True, lagrangian: bool = True, guard: bool = True,
    prep: MclpPrep | None = None,
) -> SitingResult:
    """MCLP (Church & ReVelle 1974) as a MILP. Preprocessing (:func:`mclp_preprocess`, once per
    call, or ``prep`` from the caller, whose start then is ``start_sites`` as given): identical
    demand rows merged (``merge_rows``) and, with ``reduce``, dominated candidates fixed at 0
    (:func:`dominated_candidates`);
    with ``reduce``, ``lagrangian`` and a start (no zone floors), the Lagrangian bound, heuristic and
    reduction tests of :mod:`~jangkau.selection.siting_mclp_exact` before HiGHS (with group quotas,
    the bound and closing test of :mod:`~jangkau.selection.siting_quota_exact`);
    with ``guard`` a short plain HiGHS attempt comes first (:mod:`~jangkau.selection.siting_guard`),
    and both of its stages use the one preprocessing."""
    t0 = time.perf_counter()
    if prep is None:
        prep = mclp_preprocess(pr, p, time_limit_s, start_sites, merge_rows, reduce)
        start_sites = prep.start_sites
    if guard and reduce and lagrangian and start_sites is not None and not pr.floor.size:
        return guarded(
            lambda lag, limit, start, nodes: milp_mclp(pr, p, limit, mip_gap, threads, start_sites=start,
                                                       merge_rows=merge_rows, node_limit=nodes, lagrangian=lag,
                                                       guard=False, prep=prep),
            maximise=True, time_limit_s=time_left(time_limit_s, t0), mip_gap=mip_gap, start_sites=start_sites,
            start_value=mclp_value(pr, start_sites), node_limit=node_limit,
        )
    highspy = _highs()
    check_quota_feasible(pr, p)
    base, csr, sub, merged_w, a_kept, dropped = prep.base, prep.csr, prep.sub, prep.merged_w, prep.a_kept, prep.dropped
    n_points = prep.n_points
    nz = sub.size
    ncol = pr.m + nz
    ycols = np.arange(pr.m)
    upper = np.ones(ncol)
    upper[: pr.m] = prep.allowed
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
                          node_limit=node_limit, lagrangian=False)
            return cols[np.asarray(r.sites, dtype=np.int64)]

        lag = reduce_mclp(a_kept, merged_w, p, upper[: pr.m] > 0, start_sites, time_left(time_limit_s, t0), improve)
    elif reduce and lagrangian and start_sites is not None and pr.group_labels and not pr.floor.size and nz:
        # group quotas: the bound and closing test with the quota rows in the subproblem
        classes = quota_classes(pr.group, pr.quota, pr.mode == QuotaMode.EXACTLY, p, upper[: pr.m] > 0)
        lag = reduce_mclp_quotas(a_kept, merged_w, p, classes, start_sites, time_left(time_limit_s, t0))
    if lag is not None:
        start_sites = lag.start
        upper[: pr.m][lag.closed] = 0
        sub, merged_w, a_kept = sub[lag.rows], merged_w[lag.rows], a_kept[lag.rows]
        nz = sub.size
        ncol = pr.m + nz
    integral = integral_weights(merged_w)
    y_cost = np.zeros(pr.m)
    if not pr.floor.size and nz:
        # A row that one allowed candidate alone covers has z_i = y_j in every optimum (w_i > 0):
        # its weight moves onto y_j and the row leaves the model; a row no allowed candidate
        # covers (all dominated) contributes nothing. Not under floors: their rows sum the z.
        eff = sp.csr_matrix(a_kept @ sp.diags((upper[: pr.m] > 0).astype(np.float64)))
        eff.eliminate_zeros()
        deg = np.diff(eff.indptr)
        single = deg == 1
        y_cost += np.bincount(eff.indices[eff.indptr[:-1][single]], weights=merged_w[single], minlength=pr.m)
        keep_rows = deg >= 2
        sub, merged_w, a_kept = sub[keep_rows], merged_w[keep_rows], a_kept[keep_rows]
        nz = sub.size
        ncol = pr.m + nz
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
    start = None
    if start_sites is not None:
        start = start_y(pr, start_sites, ncol)
        start[pr.fixed] = 0
        start[pr.m :] = mclp_covered(pr, start_sites)[sub]  # sub holds no pre-covered point
    lower = np.zeros(ncol)
    if lag is not None:
        lower[: pr.m][lag.forced] = 1  # forced sites are the start's (reduce_mclp)
    if lag is not None and lag.proven:  # the Lagrangian bound proves the start optimal: no MILP
        text, x = "optimal", start
        info = ProvenByBound(lag.incumbent - lag.constant)
    else:
        _, text, info, x = solve_milp(
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
            options={"mip_abs_gap": INTEGRAL_ABS_GAP} if integral else None,
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
    covered = mclp_covered(pr, chosen)
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
    result.extra["milp_demand_rows_in_model"] = int(nz)
    result.extra["milp_preprocess_s"] = float(prep.seconds)
    return result


def milp_lscp(pr: Instance, time_limit_s, mip_gap, threads, start_sites=None, merge_rows: bool = True,
    node_limit: int | None = None, reduce: bool = True, lagrangian: bool = False) -> SitingResult:
    """LSCP (Toregas et al. 1971) as a MILP. Preprocessing: identical demand rows merged
    (``merge_rows``) and, with ``reduce``, the reductions of :func:`reduce_set_cover`.
    ``lagrangian`` (with ``reduce`` and ``start_sites``; with group quotas only its bound, see
    :func:`~jangkau.selection.siting_quota_exact.lscp_bound_only`; ``solver="auto"`` /
    ``"milp"``): on the reduced set cover, the Lagrangian heuristic and bound of
    :mod:`jangkau.selection.siting_lscp_exact` first (up to LAGRANGIAN_BUDGET_SHARE of the
    budget); when ⌈L⌉ meets the best cover it is optimal and HiGHS does not run; otherwise the
    columns reduced-cost fixing excludes are left out and HiGHS starts from the best cover: with
    an integer objective HiGHS prunes every node that cannot beat it by one site (its cut-off),
    and its improvement heuristics start from it. The bound is the larger of ⌈L⌉ and HiGHS's."""
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
    _, text, info, x = solve_milp(
        highspy,
        np.ones(pr.m),
        lower,
        upper,
        np.ones(pr.m, bool),
        sp.vstack(rows, format="csr"),
        np.concatenate(lo),
        np.concatenate(hi),
        False,
        time_limit_s,
        mip_gap,
        threads,
        None if start_sites is None else start_y(pr, start_sites, pr.m) * free,
        t0,
        node_limit,
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
    return res


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
            y0 = start_y(pr, np.concatenate([pr.fixed, best_sites]), pr.m)
            start = np.concatenate([y0, radius_start(model, y0)])
        _, text, info, x = solve_milp(
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
