"""Running one siting MILP in HiGHS (``highspy``) under a wall-clock budget: the model handed
over as sparse rows, an optional MIP start, the interrupt callbacks that keep the budget, and
what is returned when HiGHS cannot start in time or stops before a solution of its own. The
models themselves are built in :mod:`.siting_milp`.
"""

from __future__ import annotations

import math
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.sparse as sp

from .milp import new_highs as _new_highs, run_highs


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


def highs_too_late(nnz: int, time_limit_s, t0: float) -> bool:
    """Whether what is left of the budget (``time_limit_s`` from ``t0``; None = no limit) is
    shorter than HiGHS's unclocked presolve of a model with ``nnz`` entries."""
    left = time_left(time_limit_s, t0)
    return left is not None and left < nnz / HIGHS_PRESOLVE_NNZ_PER_S


def not_run(maximise: bool, start, lower, upper, a_rows, row_lo, row_hi, text: str = "time limit reached"):
    """What :func:`solve_milp` returns when HiGHS does not run: ``text``,
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
    return text, info, x


def check_shapes(cost, lower, upper, integer, a_rows, row_lo, row_hi, start=None) -> None:
    """ValueError unless every column vector (``cost``, ``lower``, ``upper``, ``integer``,
    ``start``) has one entry per column of ``a_rows`` and every row vector one per row: HiGHS
    trims a longer vector with only a log warning, and the model's own checks would then compare
    vectors of different lengths."""
    nrow, ncol = a_rows.shape
    for name, v, size, of in (("cost", cost, ncol, "columns"), ("lower", lower, ncol, "columns"),
                              ("upper", upper, ncol, "columns"), ("integer", integer, ncol, "columns"),
                              ("start", start, ncol, "columns"), ("row_lo", row_lo, nrow, "rows"),
                              ("row_hi", row_hi, nrow, "rows")):
        if v is not None and np.size(v) != size:
            raise ValueError(f"MILP model: {name} has {np.size(v)} entries for {size} {of}")


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
    stop=None,
    offer=None,
    post=None,
):
    """Solves the MILP; ``start`` is a full column vector used as HiGHS's MIP start (its
    incumbent, hence its cut-off for pruning, when feasible; ignored by HiGHS otherwise).
    ``time_limit_s`` is a wall-clock budget counted from ``t0`` (default: the call): building
    the model and handing it to HiGHS use it up too, HiGHS gets what is left. ``stop`` (a
    ``jangkau._core.StopFlag``, set by another thread) ends HiGHS early, as the deadline does;
    ``offer()`` hands HiGHS solutions while it runs and ``post(x)`` gets those it finds
    (:func:`~jangkau.selection.milp.run_controlled`)."""
    t0 = time.perf_counter() if t0 is None else t0
    check_shapes(cost, lower, upper, integer, a_rows, row_lo, row_hi, start)
    nnz = int(np.count_nonzero(a_rows)) if isinstance(a_rows, np.ndarray) else int(sp.csr_matrix(a_rows).nnz)
    if stop is not None and stop.is_set():  # the race is decided already
        return not_run(maximise, start, lower, upper, a_rows, row_lo, row_hi, "stopped")
    if highs_too_late(nnz, time_limit_s, t0):  # HIGHS_PRESOLVE_NNZ_PER_S: it would end late
        return not_run(maximise, start, lower, upper, a_rows, row_lo, row_hi)
    h = _new_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
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
    if highs_too_late(nnz, time_limit_s, t0):  # building the model used up the time
        return not_run(maximise, start, lower, upper, a_rows, row_lo, row_hi)
    left = time_left(time_limit_s, t0)
    if left is not None:
        h.setOptionValue("time_limit", left)
    status_text, info, x = run_highs(h, threads, None if left is None else time.perf_counter() + left, stop, offer, post)
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
    return status_text, info, x


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
