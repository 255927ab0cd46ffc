"""A siting instance: the inputs of :mod:`jangkau.selection.siting` normalised once (weights,
the demand × candidate matrix as CSC, fixed and pre-covered sets, group quotas, zone floors),
the helpers that read results back against it, and the result type every solver returns.

Used by the greedy/``auto`` solvers in :mod:`jangkau.selection.siting` and the exact models in
:mod:`jangkau.selection.siting_milp`; users import from :mod:`jangkau.selection.siting`.
"""

from __future__ import annotations

import enum
import heapq
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import _core
from ..errors import InfeasibleError, InvalidInputError

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


MCLP, LSCP, PMEDIAN = _core.SitingModel.MCLP, _core.SitingModel.LSCP, _core.SitingModel.P_MEDIAN


MODEL_NAMES = {MCLP: "mclp", LSCP: "lscp", PMEDIAN: "p_median"}


@dataclass(frozen=True)
class SitingResult:
    """Outcome of a siting model.

    ``sites`` are candidate indices ordered by :func:`selection_order` — the same rule for
    every solver: each next site is the one adding most given the existing facilities and
    ``sites[:k]``; ``marginal_gain[k]`` is what it adds (MCLP: weight first covered; LSCP:
    points first covered; p-median: drop in the cost of points already served, with the weight
    it first serves in ``extra["marginal_served"]``). For MCLP ``bound`` is an upper bound on the
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


def demand_weights_array(demand_weights) -> np.ndarray:
    w = np.ascontiguousarray(np.asarray(demand_weights, dtype=np.float64))
    if w.ndim != 1:
        raise InvalidInputError(f"demand_weights must be 1-D, got shape {w.shape}", field="demand_weights")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise InvalidInputError(
            "demand weights must be finite and >= 0", feature=int(bad[0]), field="demand_weights"
        )
    return w


def to_csc(
    matrix, n: int, n_candidates: int | None, max_cost: float | None, model: _core.SitingModel
) -> sp.csc_matrix:
    """An n × m CSC matrix whose stored entries are the usable (demand, candidate) pairs,
    data = cost (0 for a pure coverage matrix). Entries above max_cost are dropped."""
    coverage_only = max_cost is None and model != PMEDIAN
    ordered = False  # entries already candidate-major, then demand, without duplicates
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
        given: Any = matrix
        if given.shape[0] != n:
            raise InvalidInputError(
                f"matrix has {given.shape[0]} rows but there are {n} demand weights", field="coverage"
            )
        m = given.shape[1]
        # CSR/CSC: the CSC form with sorted indices is candidate-major, then demand, as built
        # below (CSR -> CSC keeps duplicated pairs, now adjacent); without a duplicated pair no
        # sort is needed, with one the general sort below keeps the cheapest. COO goes through
        # its arrays as given: CSC conversion would sum its duplicates.
        if given.format in ("csr", "csc"):
            csc = given.tocsc()
            if not csc.has_sorted_indices:
                csc = csc.sorted_indices()
            rows = csc.indices.astype(np.int64)
            cols = np.repeat(np.arange(m, dtype=np.int64), np.diff(csc.indptr))
            vals = csc.data.astype(np.float64)
            ordered = not bool(((rows[1:] == rows[:-1]) & (cols[1:] == cols[:-1])).any())
        else:
            coo = sp.coo_matrix(given)
            rows = coo.row.astype(np.int64)
            cols = coo.col.astype(np.int64)
            vals = coo.data.astype(np.float64)
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
            cols, rows = np.nonzero(a.T)  # candidate-major: already in the order built below
            vals = np.zeros(rows.size)
            ordered = True
        else:
            a = a.astype(np.float64, copy=False)
            if np.isnan(a).any():
                raise InvalidInputError("costs must not be NaN (use inf for unreachable)", field="cost")
            mask = np.isfinite(a)
            if max_cost is not None:
                mask &= a <= max_cost
            cols, rows = np.nonzero(mask.T)  # candidate-major: already in the order built below
            vals = a[rows, cols]
            ordered = True
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
    # candidate-major, then demand, then cost: duplicates keep the cheapest entry (filtering
    # above keeps an ordered input ordered)
    if not ordered:
        order = np.lexsort((vals, rows, cols))
        rows, cols, vals = rows[order], cols[order], vals[order]
    if rows.size and not ordered:
        first = np.ones(rows.size, dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, vals = rows[first], cols[first], vals[first]
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=m), out=indptr[1:])
    return sp.csc_matrix((vals, rows, indptr), shape=(n, m))


def labels_to_ids(labels, size: int, what: str) -> tuple[np.ndarray, list]:
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


def per_label(values, labels: list, what: str, dtype) -> np.ndarray:
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
class Instance:
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


def prepare(
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
) -> Instance:
    w = demand_weights_array(demand_weights)
    n = w.size
    if max_cost is not None:
        max_cost = float(max_cost)
        if np.isnan(max_cost) or max_cost < 0:
            raise InvalidInputError("max_cost must be >= 0", field="max_cost")
    csc = to_csc(matrix, n, n_candidates, max_cost, model)
    m = csc.shape[1]
    pre = np.zeros(0, dtype=np.uint8)
    if precovered is not None:
        pre = np.ascontiguousarray(np.asarray(precovered, dtype=bool).astype(np.uint8))
        if pre.shape != (n,):
            raise InvalidInputError(
                f"precovered must have one value per demand point ({n})", field="precovered"
            )
        if model == PMEDIAN:
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
        group, group_labels = labels_to_ids(groups, m, "groups")
        quota = np.ascontiguousarray(per_label(quotas, group_labels, "quotas", np.int64))
        if (quota < 0).any():
            raise InvalidInputError("quotas must be >= 0", field="quotas")
    zone = np.zeros(0, dtype=np.int32)
    zone_labels: list = []
    floor = np.zeros(0, dtype=np.float64)
    if zones is not None:
        zone, zone_labels = labels_to_ids(zones, n, "zones")
        if floors is not None:
            if model != MCLP:
                raise InvalidInputError("zone floors apply to MCLP only", field="floors")
            floor = np.ascontiguousarray(per_label(floors, zone_labels, "floors", np.float64))
            bad = ~np.isnan(floor) & ((floor < 0) | (floor > 1))
            if bad.any():
                raise InvalidInputError("floor shares must be in [0, 1]", field="floors")
    elif floors is not None:
        raise InvalidInputError("floors need zones", field="floors")
    return Instance(
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


def pattern(m: Any) -> sp.csr_matrix:
    """The stored entries of m as ones (CSR). Stored zero costs are real entries here, so
    nothing may go through value-based scipy operations (astype(bool), products) first."""
    c = sp.csr_matrix(m)
    return sp.csr_matrix((np.ones(c.indices.size), c.indices, c.indptr), shape=c.shape)


def rows_of(pr: Instance, cols) -> np.ndarray:
    """Demand indices stored in the given candidate columns (explicit zeros included)."""
    cols = np.asarray(cols, dtype=np.int64)
    if cols.size == 0:
        return np.zeros(0, dtype=np.int64)
    ip = pr.csc.indptr
    return np.concatenate([pr.csc.indices[ip[j] : ip[j + 1]] for j in cols])


def base_covered(pr: Instance) -> np.ndarray:
    base = pr.precovered.astype(bool) if pr.precovered.size else np.zeros(pr.n, dtype=bool)
    if pr.fixed.size:
        base[rows_of(pr, pr.fixed)] = True
    return base


def zone_table(
    pr: Instance, covered: np.ndarray | None, assignment_cost: np.ndarray | None
) -> pd.DataFrame | None:
    if pr.zone.size == 0:
        return None
    z = pr.zone
    ok = z >= 0
    nz = len(pr.zone_labels)
    weight = np.bincount(z[ok], weights=pr.w[ok], minlength=nz)
    df = pd.DataFrame({"zone": pr.zone_labels, "weight": weight})
    if covered is not None:
        before = base_covered(pr)
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


def assignment_cost(pr: Instance, assignment: np.ndarray) -> np.ndarray:
    out = np.full(pr.n, np.inf)
    csr = pr.csc.tocsr()
    for i in np.flatnonzero(assignment >= 0):
        lo, hi = csr.indptr[i], csr.indptr[i + 1]
        cols = csr.indices[lo:hi]
        k = np.flatnonzero(cols == assignment[i])
        if k.size:
            out[i] = csr.data[lo + k[0]]
    return out


def nearest_assignment(pr: Instance, open_sites: np.ndarray):
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


def check_quota_feasible(pr: Instance, p: int | None) -> None:
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


def csc_arrays(pr: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidate-major arrays the engine's siting solvers take: offsets and demand indices
    (int64) and costs (float64, C-contiguous), without copies where the dtypes already match."""
    csc = pr.csc
    return (csc.indptr.astype(np.int64, copy=False), csc.indices.astype(np.int64, copy=False),
            np.ascontiguousarray(csc.data, dtype=np.float64))


def selection_order(pr: Instance, model, chosen) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one definition of the order of ``sites`` and of ``marginal_gain``, for every solver.

    Starting from what is there already (``fixed`` sites and ``precovered`` points), the chosen
    sites are taken one at a time, each time the one that adds most (ties: the lower index):

    * MCLP: ``marginal_gain[k]`` = demand weight first covered by ``sites[k]``;
    * LSCP: ``marginal_gain[k]`` = number of demand points first covered by ``sites[k]``;
    * p-median: a site first *serves* points no open site reached (``marginal_served[k]``,
      their weight) and *shortens* the trips of points already served: ``marginal_gain[k]`` =
      the drop in their weighted cost. Sites are ordered by served weight, then by that drop;
      no penalty for unserved demand is hidden in either number.

    So ``marginal_gain`` describes the answer, not the path a solver took to it (local search
    swaps and the MILP's branching leave no order). Returns ``(sites, marginal_gain,
    marginal_served)``; ``marginal_served`` is the weight first covered/served by each site
    (equal to ``marginal_gain`` for MCLP)."""
    chosen = np.asarray(chosen, dtype=np.int64)
    sub = pr.csc[:, chosen].tocsc() if chosen.size else sp.csc_matrix((pr.n, 0))
    col_of = np.repeat(np.arange(chosen.size), np.diff(sub.indptr))
    rows = sub.indices
    k = chosen.size
    left = np.ones(k, dtype=bool)
    order: list[int] = []
    gains: list[float] = []
    served: list[float] = []
    if model == PMEDIAN:
        best = np.full(pr.n, np.inf)
        if pr.fixed.size:
            _, _, best = nearest_assignment(pr, pr.fixed)
        cost = sub.data
        for _ in range(k):
            unserved = ~np.isfinite(best[rows])
            new_w = np.bincount(col_of, weights=np.where(unserved, pr.w[rows], 0.0), minlength=k)
            shorter = ~unserved & (cost < best[rows])
            drop = np.zeros(rows.size)
            drop[shorter] = pr.w[rows[shorter]] * (best[rows[shorter]] - cost[shorter])
            red = np.bincount(col_of, weights=drop, minlength=k)
            cand = np.flatnonzero(left)
            pick = cand[np.lexsort((chosen[cand], -red[cand], -new_w[cand]))[0]]
            order.append(int(chosen[pick]))
            gains.append(float(red[pick]))
            served.append(float(new_w[pick]))
            left[pick] = False
            mine = col_of == pick
            best[rows[mine]] = np.minimum(best[rows[mine]], cost[mine])
    else:
        # Lazy greedy (Minoux 1978): a site's gain only shrinks as others are taken, so a stale
        # heap key is an upper bound and only the top is recomputed; the key (-gain, site index)
        # gives the same order as recomputing every gain each time (O(k·nnz) on 10^5 x 10^3).
        covered = base_covered(pr)
        weight = pr.w if model == MCLP else np.ones(pr.n)
        ip = sub.indptr

        def gain(c: int) -> tuple[float, float]:
            r = rows[ip[c] : ip[c + 1]]
            free = ~covered[r]
            return float(weight[r][free].sum()), float(pr.w[r][free].sum())

        heap = [(-gain(c)[0], int(chosen[c]), c) for c in range(k)]
        heapq.heapify(heap)
        while heap:
            _, site, c = heapq.heappop(heap)
            g, sw = gain(c)
            if heap and (-g, site) > heap[0][:2]:
                heapq.heappush(heap, (-g, site, c))  # stale: back with its fresh key
                continue
            order.append(site)
            gains.append(g)
            served.append(sw)
            covered[rows[ip[c] : ip[c + 1]]] = True
    return np.array(order, dtype=np.int64), np.array(gains, dtype=np.float64), np.array(served, dtype=np.float64)
