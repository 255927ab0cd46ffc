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

Matrices are ``n_demand × n_candidates``: a ``scipy.sparse`` matrix (stored entries are
costs — explicit zeros count — or, without ``max_cost``, a 0/1 coverage matrix), a dense
``numpy`` array (non-finite = unreachable) or a COO tuple ``(demand, candidate[, cost])``
together with ``n_candidates``.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import _core
from ..errors import CrsError, InfeasibleError, InvalidInputError
from .milp import highspy_module as _highs, new_highs as _new_highs

__all__ = [
    "QuotaMode",
    "SitingInputs",
    "SitingResult",
    "Solver",
    "coverage_matrix",
    "from_geodataframes",
    "lscp",
    "mclp",
    "p_median",
    "relative_gap",
]

#: How group quotas are read: at least / exactly ``quota[g]`` new sites in group ``g``.
QuotaMode = _core.QuotaMode


class Solver(enum.Enum):
    """Which solver to use."""

    GREEDY = "greedy"  #: lazy greedy + 1-swap local search with a certified bound (C++)
    MILP = "milp"  #: exact mixed-integer programme solved by HiGHS
    AUTO = "auto"  #: greedy incumbent + bound, then the MILP warm-started from it (default)


#: Default time budget (seconds) of the MILP phase of ``solver="auto"``.
AUTO_TIME_LIMIT_S = 5.0


def relative_gap(objective: float, bound: float) -> float:
    """The one gap jangkau reports: ``|bound - objective| / max(|objective|, |bound|)``.

    0 when both are 0; NaN when either is not finite (e.g. a p-median with an unserved
    point). ``bound`` is an upper bound on the optimum for maximisation (MCLP) and a lower
    bound for minimisation (LSCP, p-median), so the optimum lies within ``gap`` (relative
    to the larger magnitude) of ``objective``: "within gap of optimal"."""
    objective, bound = float(objective), float(bound)
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("nan")
    d = max(abs(objective), abs(bound))
    return 0.0 if d == 0 else max(0.0, abs(bound - objective) / d)


_MCLP, _LSCP, _PMEDIAN = _core.SitingModel.MCLP, _core.SitingModel.LSCP, _core.SitingModel.P_MEDIAN
_MODEL_NAMES = {_MCLP: "mclp", _LSCP: "lscp", _PMEDIAN: "p_median"}


@dataclass(frozen=True)
class SitingResult:
    """Outcome of a siting model.

    ``sites`` are candidate indices in order of selection (MILP: ordered greedily by
    marginal gain); ``marginal_gain[k]`` is the objective improvement of ``sites[k]`` given
    the existing facilities and ``sites[:k]``. For MCLP ``bound`` is an upper bound on the
    optimum, for LSCP and p-median a lower bound; ``gap`` is :func:`relative_gap`
    (``|bound - objective| / max(|objective|, |bound|)``) and certifies "within gap of
    optimal" for every solver.
    """

    model: str
    solver: str
    status: str
    sites: np.ndarray
    marginal_gain: np.ndarray
    objective: float
    bound: float
    gap: float
    covered: np.ndarray | None
    unreachable: np.ndarray
    assignment: np.ndarray | None
    floors_met: bool
    zone_coverage: pd.DataFrame | None
    greedy_objective: float = float("nan")
    swaps: int = 0
    time_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def p(self) -> int:
        """Number of new sites chosen."""
        return int(self.sites.size)


# ----------------------------------------------------------------------------------------
# Input normalisation


def _weights(demand_weights) -> np.ndarray:
    w = np.ascontiguousarray(np.asarray(demand_weights, dtype=np.float64))
    if w.ndim != 1:
        raise InvalidInputError(f"demand_weights must be 1-D, got shape {w.shape}", field="demand_weights")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise InvalidInputError(
            "demand weights must be finite and >= 0", feature=int(bad[0]), field="demand_weights"
        )
    return w


def _to_csc(
    matrix, n: int, n_candidates: int | None, max_cost: float | None, model: _core.SitingModel
) -> sp.csc_matrix:
    """An n × m CSC matrix whose stored entries are the usable (demand, candidate) pairs,
    data = cost (0 for a pure coverage matrix). Entries above max_cost are dropped."""
    coverage_only = max_cost is None and model != _PMEDIAN
    if isinstance(matrix, tuple):
        if len(matrix) not in (2, 3):
            raise InvalidInputError(
                "a COO tuple must be (demand, candidate) or (demand, candidate, cost)", field="coverage"
            )
        if n_candidates is None:
            raise InvalidInputError("n_candidates is required with a COO tuple", field="n_candidates")
        rows = np.asarray(matrix[0], dtype=np.int64).ravel()
        cols = np.asarray(matrix[1], dtype=np.int64).ravel()
        vals = (
            np.asarray(matrix[2], dtype=np.float64).ravel()
            if len(matrix) == 3
            else np.zeros(rows.size, dtype=np.float64)
        )
        if not (rows.size == cols.size == vals.size):
            raise InvalidInputError("COO arrays must have the same length", field="coverage")
        m = int(n_candidates)
        if coverage_only and len(matrix) == 3:
            keep = vals != 0
            rows, cols, vals = rows[keep], cols[keep], np.zeros(int(keep.sum()))
    elif sp.issparse(matrix):
        coo = sp.coo_matrix(matrix)
        rows = coo.row.astype(np.int64)
        cols = coo.col.astype(np.int64)
        vals = coo.data.astype(np.float64)
        if coo.shape[0] != n:
            raise InvalidInputError(
                f"matrix has {coo.shape[0]} rows but there are {n} demand weights", field="coverage"
            )
        m = coo.shape[1]
        if coverage_only:
            keep = vals != 0
            rows, cols, vals = rows[keep], cols[keep], np.zeros(int(keep.sum()))
    else:
        a = np.asarray(matrix)
        if a.ndim != 2:
            raise InvalidInputError(
                f"the matrix must be 2-D (n_demand × n_candidates), got shape {a.shape}", field="coverage"
            )
        if a.shape[0] != n:
            raise InvalidInputError(
                f"matrix has {a.shape[0]} rows but there are {n} demand weights", field="coverage"
            )
        m = a.shape[1]
        if coverage_only:
            if a.dtype != bool and a.size:
                af = a.astype(np.float64, copy=False)
                if not np.isin(af, (0.0, 1.0)).all():
                    raise InvalidInputError(
                        "the dense matrix has values other than 0/1 and looks like distances: "
                        "max_cost is required (covered = cost <= max_cost); pass a 0/1 matrix "
                        "for plain coverage",
                        field="max_cost",
                    )
            rows, cols = np.nonzero(a)
            vals = np.zeros(rows.size)
        else:
            a = a.astype(np.float64, copy=False)
            if np.isnan(a).any():
                raise InvalidInputError("costs must not be NaN (use inf for unreachable)", field="cost")
            mask = np.isfinite(a)
            if max_cost is not None:
                mask &= a <= max_cost
            rows, cols = np.nonzero(mask)
            vals = a[rows, cols]
        rows = rows.astype(np.int64)
        cols = cols.astype(np.int64)
    if n_candidates is not None and m != int(n_candidates):
        raise InvalidInputError(
            f"matrix has {m} columns but n_candidates = {n_candidates}", field="n_candidates"
        )
    if rows.size and (rows.min() < 0 or rows.max() >= n):
        raise InvalidInputError(f"demand index out of range [0, {n})", field="coverage")
    if cols.size and (cols.min() < 0 or cols.max() >= m):
        raise InvalidInputError(f"candidate index out of range [0, {m})", field="coverage")
    if np.isnan(vals).any() or (vals < 0).any():
        raise InvalidInputError("costs must be >= 0 and not NaN", field="cost")
    keep = np.isfinite(vals)
    if max_cost is not None:
        keep &= vals <= max_cost
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    # candidate-major, then demand, then cost: duplicates keep the cheapest entry
    order = np.lexsort((vals, rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    if rows.size:
        first = np.ones(rows.size, dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, vals = rows[first], cols[first], vals[first]
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=m), out=indptr[1:])
    return sp.csc_matrix((vals, rows, indptr), shape=(n, m))


def _labels_to_ids(labels, size: int, what: str) -> tuple[np.ndarray, list]:
    arr = pd.Series(
        np.asarray(labels, dtype=object) if not isinstance(labels, pd.Series) else labels.to_numpy()
    )
    if arr.size != size:
        raise InvalidInputError(f"{what} must have one value per row ({size}), got {arr.size}", field=what)
    missing = arr.isna().to_numpy()
    uniq = sorted(set(arr[~missing].tolist()), key=lambda v: (str(type(v)), v))
    index = {v: k for k, v in enumerate(uniq)}
    ids = np.array([-1 if miss else index[v] for v, miss in zip(arr.tolist(), missing)], dtype=np.int32)
    return ids, uniq


def _per_label(values, labels: list, what: str, dtype) -> np.ndarray:
    """A scalar (same for every label), a mapping label → value, or a sequence aligned with labels."""
    if np.isscalar(values):
        return np.full(len(labels), values, dtype=dtype)
    if isinstance(values, (dict, pd.Series)):
        mapping = dict(values.items())
        unknown = [k for k in mapping if k not in set(labels)]
        if unknown:
            raise InvalidInputError(f"{what} names unknown group(s) {unknown[:5]}", field=what)
        fill = 0 if np.issubdtype(np.dtype(dtype), np.integer) else np.nan
        return np.array([mapping.get(k, fill) for k in labels], dtype=dtype)
    out = np.asarray(values, dtype=dtype)
    if out.shape != (len(labels),):
        raise InvalidInputError(
            f"{what} must be a scalar, a mapping or have one value per group ({len(labels)})", field=what
        )
    return out


@dataclass
class _Prepared:
    n: int
    m: int
    w: np.ndarray
    csc: sp.csc_matrix
    max_cost: float
    precovered: np.ndarray
    fixed: np.ndarray
    group: np.ndarray
    group_labels: list
    quota: np.ndarray
    mode: Any
    zone: np.ndarray
    zone_labels: list
    floor: np.ndarray


def _prepare(
    model,
    demand_weights,
    matrix,
    *,
    n_candidates,
    max_cost,
    groups,
    quotas,
    quota_mode,
    fixed,
    precovered,
    zones,
    floors,
) -> _Prepared:
    w = _weights(demand_weights)
    n = w.size
    if max_cost is not None:
        max_cost = float(max_cost)
        if np.isnan(max_cost) or max_cost < 0:
            raise InvalidInputError("max_cost must be >= 0", field="max_cost")
    csc = _to_csc(matrix, n, n_candidates, max_cost, model)
    m = csc.shape[1]
    pre = np.zeros(0, dtype=np.uint8)
    if precovered is not None:
        pre = np.ascontiguousarray(np.asarray(precovered, dtype=bool).astype(np.uint8))
        if pre.shape != (n,):
            raise InvalidInputError(
                f"precovered must have one value per demand point ({n})", field="precovered"
            )
        if model == _PMEDIAN:
            raise InvalidInputError(
                "precovered applies to MCLP/LSCP; for p-median pass existing facilities as fixed",
                field="precovered",
            )
    fx = np.zeros(0, dtype=np.int64)
    if fixed is not None:
        f = np.asarray(fixed)
        if f.dtype == bool:
            if f.shape != (m,):
                raise InvalidInputError(
                    f"a boolean fixed mask needs one value per candidate ({m})", field="fixed"
                )
            f = np.flatnonzero(f)
        fx = np.ascontiguousarray(f.astype(np.int64).ravel())
        if fx.size and (fx.min() < 0 or fx.max() >= m):
            raise InvalidInputError(f"fixed site index out of range [0, {m})", field="fixed")
    group = np.zeros(0, dtype=np.int32)
    group_labels: list = []
    quota = np.zeros(0, dtype=np.int64)
    if isinstance(quota_mode, str):
        quota_mode = {"at_least": QuotaMode.AT_LEAST, "exactly": QuotaMode.EXACTLY}.get(
            quota_mode, quota_mode
        )
    if not isinstance(quota_mode, QuotaMode):
        raise InvalidInputError(
            f"quota_mode must be QuotaMode or 'at_least'/'exactly', got {quota_mode!r}", field="quota_mode"
        )
    if (groups is None) != (quotas is None):
        raise InvalidInputError("groups and quotas go together", field="quotas")
    if groups is not None:
        group, group_labels = _labels_to_ids(groups, m, "groups")
        quota = np.ascontiguousarray(_per_label(quotas, group_labels, "quotas", np.int64))
        if (quota < 0).any():
            raise InvalidInputError("quotas must be >= 0", field="quotas")
    zone = np.zeros(0, dtype=np.int32)
    zone_labels: list = []
    floor = np.zeros(0, dtype=np.float64)
    if zones is not None:
        zone, zone_labels = _labels_to_ids(zones, n, "zones")
        if floors is not None:
            if model != _MCLP:
                raise InvalidInputError("zone floors apply to MCLP only", field="floors")
            floor = np.ascontiguousarray(_per_label(floors, zone_labels, "floors", np.float64))
            bad = ~np.isnan(floor) & ((floor < 0) | (floor > 1))
            if bad.any():
                raise InvalidInputError("floor shares must be in [0, 1]", field="floors")
    elif floors is not None:
        raise InvalidInputError("floors need zones", field="floors")
    return _Prepared(
        n,
        m,
        w,
        csc,
        np.inf if max_cost is None else max_cost,
        pre,
        fx,
        group,
        group_labels,
        quota,
        quota_mode,
        zone,
        zone_labels,
        floor,
    )


# ----------------------------------------------------------------------------------------
# Result helpers


def _pattern(m: sp.spmatrix) -> sp.csr_matrix:
    """The stored entries of m as ones (CSR). Stored zero costs are real entries here, so
    nothing may go through value-based scipy operations (astype(bool), products) first."""
    c = sp.csr_matrix(m)
    return sp.csr_matrix((np.ones(c.indices.size), c.indices, c.indptr), shape=c.shape)


def _rows_of(pr: _Prepared, cols) -> np.ndarray:
    """Demand indices stored in the given candidate columns (explicit zeros included)."""
    cols = np.asarray(cols, dtype=np.int64)
    if cols.size == 0:
        return np.zeros(0, dtype=np.int64)
    ip = pr.csc.indptr
    return np.concatenate([pr.csc.indices[ip[j] : ip[j + 1]] for j in cols])


def _base_covered(pr: _Prepared) -> np.ndarray:
    base = pr.precovered.astype(bool) if pr.precovered.size else np.zeros(pr.n, dtype=bool)
    if pr.fixed.size:
        base[_rows_of(pr, pr.fixed)] = True
    return base


def _zone_table(
    pr: _Prepared, covered: np.ndarray | None, assignment_cost: np.ndarray | None
) -> pd.DataFrame | None:
    if pr.zone.size == 0:
        return None
    z = pr.zone
    ok = z >= 0
    nz = len(pr.zone_labels)
    weight = np.bincount(z[ok], weights=pr.w[ok], minlength=nz)
    df = pd.DataFrame({"zone": pr.zone_labels, "weight": weight})
    if covered is not None:
        before = _base_covered(pr)
        cb = np.bincount(z[ok], weights=(pr.w * before)[ok], minlength=nz)
        ca = np.bincount(z[ok], weights=(pr.w * covered)[ok], minlength=nz)
        with np.errstate(invalid="ignore", divide="ignore"):
            df["covered_before"] = cb
            df["covered_after"] = ca
            df["share_before"] = cb / weight
            df["share_after"] = ca / weight
        if pr.floor.size:
            df["floor"] = pr.floor
            df["floor_met"] = np.isnan(pr.floor) | (ca >= pr.floor * weight - 1e-12 * np.maximum(1.0, weight))
    if assignment_cost is not None:
        finite = ok & np.isfinite(assignment_cost)
        wc = np.bincount(z[finite], weights=(pr.w * assignment_cost)[finite], minlength=nz)
        ww = np.bincount(z[finite], weights=pr.w[finite], minlength=nz)
        with np.errstate(invalid="ignore", divide="ignore"):
            df["mean_cost"] = wc / ww
    return df


def _assignment_cost(pr: _Prepared, assignment: np.ndarray) -> np.ndarray:
    out = np.full(pr.n, np.inf)
    csr = pr.csc.tocsr()
    for i in np.flatnonzero(assignment >= 0):
        lo, hi = csr.indptr[i], csr.indptr[i + 1]
        cols = csr.indices[lo:hi]
        k = np.flatnonzero(cols == assignment[i])
        if k.size:
            out[i] = csr.data[lo + k[0]]
    return out


# ----------------------------------------------------------------------------------------
# Greedy (C++)


def _run_core(
    model: _core.SitingModel, pr: _Prepared, p: int, *, threads, local_search, progress, bound_iterations
) -> Any:
    csc = pr.csc
    return _core.siting_solve(
        model,
        pr.w,
        csc.indptr.astype(np.int64, copy=False),
        csc.indices.astype(np.int64, copy=False),
        np.ascontiguousarray(csc.data, dtype=np.float64),
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
    )


def _greedy(
    model: _core.SitingModel, pr: _Prepared, p: int, threads, local_search, progress, bound_iterations=300
) -> SitingResult:
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
    )
    elapsed = time.perf_counter() - t0
    covered = r.covered.astype(bool) if model != _PMEDIAN else None
    assignment = r.assignment if model == _PMEDIAN else None
    zone_cost = _assignment_cost(pr, assignment) if (assignment is not None and pr.zone.size) else None
    return SitingResult(
        model=_MODEL_NAMES[model],
        solver="greedy",
        status="heuristic",
        sites=r.sites,
        marginal_gain=r.marginal_gain,
        objective=float(r.objective),
        bound=float(r.bound),
        gap=relative_gap(r.objective, r.bound),
        covered=covered,
        unreachable=r.unreachable.astype(bool) if r.unreachable.size else np.zeros(pr.n, dtype=bool),
        assignment=assignment,
        floors_met=bool(r.floors_met),
        zone_coverage=_zone_table(pr, covered, zone_cost),
        greedy_objective=float(r.greedy_objective),
        swaps=int(r.swaps),
        time_s=elapsed,
        extra={"unassigned_cost": float(r.unassigned_cost)},
    )


# ----------------------------------------------------------------------------------------
# Exact MILP (HiGHS)


def _solve_milp(
    highspy,
    cost,
    lower,
    upper,
    integer,
    a_rows: sp.csr_matrix,
    row_lo,
    row_hi,
    maximise: bool,
    time_limit_s,
    mip_gap,
    threads,
    start=None,
):
    """Solves the MILP; ``start`` is a full column vector used as HiGHS's MIP start (its
    incumbent, hence its cut-off for pruning, when feasible; ignored by HiGHS otherwise)."""
    h = _new_highs(highspy)
    h.setOptionValue("output_flag", False)
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if threads:
        h.setOptionValue("threads", int(threads))
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
    h.run()
    status = h.getModelStatus()
    status_text = h.modelStatusToString(status).lower()
    info = h.getInfo()
    has_solution = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value) if has_solution else None
    return status, status_text, info, x


def _quota_rows(pr: _Prepared, p: int, ncol: int, ycols: np.ndarray):
    """Rows over y: Σ y (non-fixed) = p, and the group quotas."""
    free = np.ones(pr.m, dtype=bool)
    free[pr.fixed] = False
    rows, lo, hi = [], [], []
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
        lo.append(pr.quota[g])
        hi.append(pr.quota[g] if pr.mode == QuotaMode.EXACTLY else np.inf)
    return rows, lo, hi


def _check_quota_feasible(pr: _Prepared, p: int | None) -> None:
    free = np.ones(pr.m, dtype=bool)
    free[pr.fixed] = False
    if p is not None and p > free.sum():
        raise InfeasibleError(f"p = {p} exceeds the {int(free.sum())} candidates that are not fixed")
    for g, label in enumerate(pr.group_labels):
        have = int((free & (pr.group == g)).sum())
        if have < pr.quota[g]:
            raise InfeasibleError(
                f"group {label!r} needs {pr.quota[g]} sites but has only {have} candidates", field="quotas"
            )
    if p is not None and pr.quota.sum() > p:
        raise InfeasibleError(f"the quotas sum to {int(pr.quota.sum())} > p = {p}", field="quotas")


def _greedy_order(gain_of, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orders a chosen set by repeatedly taking the largest marginal gain (ties: index)."""
    left = sorted(int(j) for j in chosen)
    order, gains, state = [], [], None
    while left:
        best = None
        for j in left:
            g, st = gain_of(j, state)
            if best is None or g > best[0]:
                best = (g, j, st)
        order.append(best[1])
        gains.append(best[0])
        state = best[2]
        left.remove(best[1])
    return np.array(order, dtype=np.int64), np.array(gains, dtype=np.float64)


def _start_y(pr: _Prepared, start_sites, ncol: int) -> np.ndarray:
    x0 = np.zeros(ncol)
    x0[np.asarray(start_sites, dtype=np.int64)] = 1
    return x0


def _milp_mclp(pr: _Prepared, p: int, time_limit_s, mip_gap, threads, start_sites=None) -> SitingResult:
    highspy = _highs()
    _check_quota_feasible(pr, p)
    t0 = time.perf_counter()
    base = _base_covered(pr)
    csr = pr.csc.tocsr()
    deg = np.diff(csr.indptr)
    sub = np.flatnonzero(~base & (deg > 0) & (pr.w > 0))
    nz = sub.size
    ncol = pr.m + nz
    ycols = np.arange(pr.m)
    # z_i - Σ_{j∈N(i)} y_j <= 0
    a_sub = csr[sub]
    a_cov = sp.hstack([-_pattern(a_sub), sp.identity(nz, format="csr")], format="csr")
    rows, lo, hi = [a_cov], [np.full(nz, -np.inf)], [np.zeros(nz)]
    qr, qlo, qhi = _quota_rows(pr, p, ncol, ycols)
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
                    (pr.w[sub[members]], (np.zeros(members.size, int), pr.m + members)), shape=(1, ncol)
                )
            )
            lo.append(np.array([pr.floor[k] * total[k] - base_w[k]]))
            hi.append(np.array([np.inf]))
    a = sp.vstack(rows, format="csr")
    cost = np.concatenate([np.zeros(pr.m), pr.w[sub]])
    upper = np.ones(ncol)
    upper[pr.fixed] = 0
    integer = np.concatenate([np.ones(pr.m, bool), np.zeros(nz, bool)])
    start = None
    if start_sites is not None:
        start = _start_y(pr, start_sites, ncol)
        start[pr.fixed] = 0
        cov = np.zeros(pr.n, dtype=bool)
        cov[_rows_of(pr, start_sites)] = True
        start[pr.m :] = cov[sub]
    _, text, info, x = _solve_milp(
        highspy,
        cost,
        np.zeros(ncol),
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
    )
    if x is None:
        if "infeasible" in text:
            raise InfeasibleError(
                f"the MCLP has no feasible solution: the quotas and zone floors cannot all be met with p = {p} ({text})"
            )
        raise InfeasibleError(f"HiGHS found no solution within the limits ({text})")
    chosen = np.flatnonzero(x[: pr.m] > 0.5)
    cscb = pr.csc

    def gain_of(j, state):
        cov = base.copy() if state is None else state
        rows_j = cscb.indices[cscb.indptr[j] : cscb.indptr[j + 1]]
        new = rows_j[~cov[rows_j]]
        cov2 = cov.copy()
        cov2[new] = True
        return float(pr.w[new].sum()), cov2

    sites, gains = _greedy_order(gain_of, chosen)
    covered = base.copy()
    covered[_rows_of(pr, chosen)] = True
    objective = float(pr.w[covered].sum())
    base_w = float(pr.w[base].sum())
    bound = max(objective, float(info.mip_dual_bound) + base_w)
    floors_met = True
    table = _zone_table(pr, covered, None)
    if table is not None and "floor_met" in table:
        floors_met = bool(table["floor_met"].all())
    gap = relative_gap(objective, bound)
    return SitingResult(
        model="mclp",
        solver="milp",
        status=text,
        sites=sites,
        marginal_gain=gains,
        objective=objective,
        bound=bound,
        gap=gap,
        covered=covered,
        unreachable=(np.diff(csr.indptr) == 0) & ~base,
        assignment=None,
        floors_met=floors_met,
        zone_coverage=table,
        time_s=time.perf_counter() - t0,
        extra={"mip_gap": float(info.mip_gap)},
    )


def _milp_lscp(pr: _Prepared, time_limit_s, mip_gap, threads, start_sites=None) -> SitingResult:
    highspy = _highs()
    _check_quota_feasible(pr, None)
    if pr.quota.size and pr.mode == QuotaMode.EXACTLY:
        raise InvalidInputError(
            "LSCP minimises the number of sites: only at-least quotas are allowed", field="quota_mode"
        )
    t0 = time.perf_counter()
    base = _base_covered(pr)
    csr = pr.csc.tocsr()
    free = np.ones(pr.m, dtype=bool)
    free[pr.fixed] = False
    csr_free = (_pattern(csr) @ sp.diags(free.astype(np.float64))).tocsr()
    csr_free.eliminate_zeros()  # only the fixed columns are zero in the pattern
    deg = np.diff(csr_free.indptr)
    unreachable = ~base & (deg == 0)
    need = np.flatnonzero(~base & (deg > 0))
    a = csr_free[need]
    rows, lo, hi = [a], [np.ones(need.size)], [np.full(need.size, np.inf)]
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
    upper = free.astype(np.float64)
    _, text, info, x = _solve_milp(
        highspy,
        np.ones(pr.m),
        np.zeros(pr.m),
        upper,
        np.ones(pr.m, bool),
        sp.vstack(rows, format="csr"),
        np.concatenate(lo),
        np.concatenate(hi),
        False,
        time_limit_s,
        mip_gap,
        threads,
        None if start_sites is None else _start_y(pr, start_sites, pr.m) * free,
    )
    if x is None:
        raise InfeasibleError(f"HiGHS found no LSCP solution ({text})")
    chosen = np.flatnonzero(x > 0.5)
    cscb = pr.csc

    def gain_of(j, state):
        cov = base.copy() if state is None else state
        rows_j = cscb.indices[cscb.indptr[j] : cscb.indptr[j + 1]]
        new = rows_j[~cov[rows_j]]
        cov2 = cov.copy()
        cov2[new] = True
        return float(new.size), cov2

    sites, gains = _greedy_order(gain_of, chosen)
    covered = base.copy()
    covered[_rows_of(pr, chosen)] = True
    objective = float(chosen.size)
    bound = min(objective, float(np.ceil(info.mip_dual_bound - 1e-6)))
    return SitingResult(
        model="lscp",
        solver="milp",
        status=text,
        sites=sites,
        marginal_gain=gains,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        covered=covered,
        unreachable=unreachable,
        assignment=None,
        floors_met=True,
        zone_coverage=_zone_table(pr, covered, None),
        time_s=time.perf_counter() - t0,
        extra={"mip_gap": float(info.mip_gap)},
    )


def _milp_p_median(pr: _Prepared, p: int, time_limit_s, mip_gap, threads, start_sites=None) -> SitingResult:
    highspy = _highs()
    _check_quota_feasible(pr, p)
    t0 = time.perf_counter()
    csr = pr.csc.tocsr()
    deg = np.diff(csr.indptr)
    unreachable = deg == 0
    need = np.flatnonzero((deg > 0) & (pr.w > 0))
    sub = csr[need].tocoo()
    ne = sub.nnz
    ncol = pr.m + ne
    xcols = pr.m + np.arange(ne)
    # Σ_j x_ij = 1 per needed point
    a_assign = sp.csr_matrix((np.ones(ne), (sub.row, xcols)), shape=(need.size, ncol))
    # x_ij - y_j <= 0 per entry
    a_link = sp.csr_matrix(
        (
            np.concatenate([np.ones(ne), -np.ones(ne)]),
            (np.concatenate([np.arange(ne), np.arange(ne)]), np.concatenate([xcols, sub.col])),
        ),
        shape=(ne, ncol),
    )
    qr, qlo, qhi = _quota_rows(pr, p, ncol, np.arange(pr.m))
    a = sp.vstack([a_assign, a_link] + qr, format="csr")
    row_lo = np.concatenate([np.ones(need.size), np.full(ne, -np.inf), np.asarray(qlo, dtype=float)])
    row_hi = np.concatenate([np.ones(need.size), np.zeros(ne), np.asarray(qhi, dtype=float)])
    cost = np.concatenate([np.zeros(pr.m), pr.w[need[sub.row]] * sub.data])
    lower = np.zeros(ncol)
    lower[pr.fixed] = 1
    upper = np.ones(ncol)
    integer = np.concatenate([np.ones(pr.m, bool), np.zeros(ne, bool)])
    start = None
    if start_sites is not None:
        open0 = np.concatenate([pr.fixed, np.asarray(start_sites, dtype=np.int64)])
        start = _start_y(pr, open0, ncol)
        assign0, _, _ = _nearest_assignment(pr, open0)
        start[pr.m :] = assign0[need[sub.row]] == sub.col
    _, text, info, x = _solve_milp(
        highspy, cost, lower, upper, integer, a, row_lo, row_hi, False, time_limit_s, mip_gap, threads, start
    )
    if x is None:
        if "infeasible" in text:
            raise InfeasibleError(f"no {p} sites can serve every reachable demand point ({text})")
        raise InfeasibleError(f"HiGHS found no solution within the limits ({text})")
    open_mask = x[: pr.m] > 0.5
    open_mask[pr.fixed] = False
    chosen = np.flatnonzero(open_mask)
    assignment, objective, best = _nearest_assignment(pr, np.concatenate([pr.fixed, chosen]))
    penalty = 2 * (pr.csc.data.max() if pr.csc.nnz else 0) + 1
    cscb = pr.csc

    def gain_of(j, state):
        d = np.where(unreachable, 0.0, penalty) if state is None else state
        if state is None and pr.fixed.size:
            _, _, d0 = _nearest_assignment(pr, pr.fixed)
            d = np.minimum(d, np.where(np.isfinite(d0), d0, penalty))
        lo_, hi_ = cscb.indptr[j], cscb.indptr[j + 1]
        rows_j, c = cscb.indices[lo_:hi_], cscb.data[lo_:hi_]
        better = c < d[rows_j]
        g = float((pr.w[rows_j[better]] * (d[rows_j[better]] - c[better])).sum())
        d2 = d.copy()
        d2[rows_j[better]] = c[better]
        return g, d2

    sites, gains = _greedy_order(gain_of, chosen)
    bound = min(objective, float(info.mip_dual_bound))
    gap = relative_gap(objective, bound)
    return SitingResult(
        model="p_median",
        solver="milp",
        status=text,
        sites=sites,
        marginal_gain=gains,
        objective=objective,
        bound=bound,
        gap=gap,
        covered=None,
        unreachable=unreachable,
        assignment=assignment,
        floors_met=True,
        zone_coverage=_zone_table(pr, None, best if pr.zone.size else None),
        time_s=time.perf_counter() - t0,
        extra={"mip_gap": float(info.mip_gap)},
    )


def _nearest_assignment(pr: _Prepared, open_sites: np.ndarray):
    """Nearest open site per demand point (ties: the earlier site in open_sites)."""
    best = np.full(pr.n, np.inf)
    assignment = np.full(pr.n, -1, dtype=np.int64)
    for j in open_sites:
        lo, hi = pr.csc.indptr[j], pr.csc.indptr[j + 1]
        rows_j, c = pr.csc.indices[lo:hi], pr.csc.data[lo:hi]
        better = c < best[rows_j]
        best[rows_j[better]] = c[better]
        assignment[rows_j[better]] = j
    deg = np.diff(pr.csc.tocsr().indptr)
    need = (deg > 0) & (pr.w > 0)
    objective = float((pr.w[need] * best[need]).sum()) if np.isfinite(best[need]).all() else float("inf")
    return assignment, objective, best


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
    if model == _MCLP:
        return a.objective > b.objective
    return a.objective < b.objective


def _auto(model, pr: _Prepared, p: int, time_limit_s, mip_gap, threads, local_search, progress, bound_iterations):
    """Greedy + local search for an incumbent and certified bound; unless that gap is
    already 0, the MILP warm-started from the incumbent within ``time_limit_s`` (default
    AUTO_TIME_LIMIT_S, counted from the start). Returns the better solution with the
    tighter of the two bounds; a MILP without a solution of its own returns the incumbent."""
    t0 = time.perf_counter()
    budget = AUTO_TIME_LIMIT_S if time_limit_s is None else float(time_limit_s)
    g = _greedy(model, pr, p, threads, local_search, progress, bound_iterations)
    extra = dict(g.extra)
    extra.update(incumbent_objective=g.objective, incumbent_bound=g.bound, milp_status="skipped")
    if g.gap == 0 and g.floors_met:  # floors unmet: the MILP decides whether they can be met
        return replace(g, solver="auto", status="optimal", time_s=time.perf_counter() - t0, extra=extra)
    left = max(budget - (time.perf_counter() - t0), 1e-3)
    try:
        if model == _MCLP:
            m = _milp_mclp(pr, p, left, mip_gap, threads, start_sites=g.sites)
        elif model == _LSCP:
            m = _milp_lscp(pr, left, mip_gap, threads, start_sites=g.sites)
        else:
            m = _milp_p_median(pr, p, left, mip_gap, threads, start_sites=g.sites)
    except InfeasibleError as exc:  # no MILP solution of its own (time-out, or floors that cannot be met)
        extra["milp_status"] = str(exc)
        return replace(g, solver="auto", status="heuristic", time_s=time.perf_counter() - t0, extra=extra)
    extra.update(milp_status=m.status, milp_objective=m.objective, milp_bound=m.bound)
    extra["mip_gap"] = m.extra.get("mip_gap", float("nan"))
    best = m if _better(model, m, g) else g
    extra["source"] = "milp" if best is m else "greedy"
    if model == _MCLP:
        bound = min(g.bound, m.bound) if np.isfinite(g.bound) else m.bound
        bound = max(bound, best.objective)
    else:
        bound = max(g.bound, m.bound) if np.isfinite(g.bound) else m.bound
        bound = min(bound, best.objective)
    gap = relative_gap(best.objective, bound)
    status = "optimal" if gap <= mip_gap or m.status == "optimal" else m.status
    return replace(
        best,
        solver="auto",
        status=status,
        bound=float(bound),
        gap=gap,
        greedy_objective=g.greedy_objective,
        swaps=g.swaps,
        time_s=time.perf_counter() - t0,
        extra=extra,
    )


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
    O(nnz); 0 keeps only the submodular bound), ``local_search`` toggles the 1-swap phase,
    ``threads`` (0 = all cores), ``progress(stage, done, total)`` is called from the
    solving thread. MILP only: ``time_limit_s`` and the relative ``mip_gap``.

    ``solver="auto"`` (default) runs the greedy, then (unless its certified gap is 0) the
    MILP warm-started from it with ``time_limit_s`` as the total budget (default
    ``AUTO_TIME_LIMIT_S`` = 5 s); the result is never worse than the greedy and a time-out
    returns the incumbent with its certified gap. With zone ``floors`` a solution meeting
    them is preferred to a better objective that does not.

    Raises InvalidInputError for bad shapes/values, InfeasibleError for impossible quotas.
    """
    pr = _prepare(
        _MCLP,
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
    kind = _solver(solver)
    if kind is Solver.MILP:
        return _milp_mclp(pr, p, time_limit_s, mip_gap, threads)
    if kind is Solver.AUTO:
        return _auto(_MCLP, pr, p, time_limit_s, mip_gap, threads, local_search, progress, bound_iterations)
    return _greedy(_MCLP, pr, p, threads, local_search, progress, bound_iterations)


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
    pr = _prepare(
        _LSCP,
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
    kind = _solver(solver)
    if kind is Solver.MILP:
        return _milp_lscp(pr, time_limit_s, mip_gap, threads)
    if kind is Solver.AUTO:
        return _auto(_LSCP, pr, 0, time_limit_s, mip_gap, threads, local_search, progress, 300)
    return _greedy(_LSCP, pr, 0, threads, local_search, progress)


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
    mip_gap: float = 1e-7,
    threads: int = 0,
    local_search: bool = True,
    bound_iterations: int = 300,
    progress=None,
) -> SitingResult:
    """p-median: choose ``p`` new sites minimising Σ w_i · cost to the nearest open site.

    Missing / non-finite / above-``max_cost`` entries are forbidden assignments. Demand
    points without any entry are excluded and flagged in ``unreachable``; points with zero
    weight need no assignment. ``objective`` is inf when a reachable point is left without
    an open site in reach (greedy) — the MILP raises InfeasibleError instead.
    """
    pr = _prepare(
        _PMEDIAN,
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
    kind = _solver(solver)
    if kind is Solver.MILP:
        return _milp_p_median(pr, p, time_limit_s, mip_gap, threads)
    if kind is Solver.AUTO:
        return _auto(_PMEDIAN, pr, p, time_limit_s, mip_gap, threads, local_search, progress, bound_iterations)
    return _greedy(_PMEDIAN, pr, p, threads, local_search, progress, bound_iterations)


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
        pairs = cKDTree(c).query_ball_point(d, r=float(radius_m))
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


def _points_xy(gdf) -> np.ndarray:
    geom = gdf.geometry
    if geom.isna().any() or geom.is_empty.any():
        from ..errors import GeometryError

        bad = int(np.flatnonzero((geom.isna() | geom.is_empty).to_numpy())[0])
        raise GeometryError("empty or missing geometry", feature=bad, field="geometry")
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
        crs = demand_gdf.crs if demand_gdf.crs.is_projected else demand_gdf.estimate_utm_crs()
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
    matrix = coverage_matrix(_points_xy(d), _points_xy(c), radius_m)
    return SitingInputs(w, matrix, radius_m, d, c, crs)


# ----------------------------------------------------------------------------------------
# Candidate sites

def candidate_points(region, spec: str, crs):
    """Candidate sites for a region as a GeoDataFrame of points in ``crs`` (metric):

    * ``"desa"`` / ``"kecamatan"``: the centre of every zone (its centroid, or a point inside
      the zone where the centroid falls outside it, e.g. a crescent-shaped coastal desa);
    * ``"grid:SPACING"`` (e.g. ``"grid:1km"``): a regular grid of points inside the region,
      SPACING apart, each with the code of the desa it lies in;
    * any other string: a vector file of candidate points (points only: a line or polygon layer
      is refused, see :func:`jangkau.data.io.check_points`; multi-points are exploded).

    Raises InvalidInputError for an empty layer or a bad spacing.
    """
    import geopandas as gpd

    from .. import _core
    from ..coverage.analysis import parse_radii
    from ..data.io import read_points, to_geometry_array
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
        gx, gy = np.meshgrid(np.arange(x0 + spacing / 2, x1, spacing), np.arange(y0 + spacing / 2, y1, spacing))
        gx, gy = gx.ravel(), gy.ravel()
        idx = _core.locate_points(to_geometry_array(desa.geometry), gx, gy)
        keep = idx >= 0
        if not keep.any():
            raise InvalidInputError(f"no grid point of '{spec}' falls inside the region", field="candidates")
        d = desa.iloc[idx[keep]]
        return gpd.GeoDataFrame({"code": [f"G{i:06d}" for i in range(int(keep.sum()))],
                                 "desa_code": d["code"].to_numpy(), "kecamatan_code": d["kecamatan_code"].to_numpy()},
                                geometry=gpd.points_from_xy(gx[keep], gy[keep]), crs=crs)
    cand = read_points(spec, what="candidate")
    if len(cand) == 0:
        raise InvalidInputError("the candidate layer is empty", file=spec)
    return cand.explode(index_parts=False).reset_index(drop=True).to_crs(crs)
