"""The exact MCLP's machinery: an LP-strength Lagrangian upper bound, the Lagrangian heuristic
and Beasley's reduction tests, on the merged demand rows that
:func:`jangkau.selection.siting_milp.milp_mclp` builds.

Lagrangian relaxation (Galvão & ReVelle 1996, "A Lagrangean heuristic for the maximal covering
location problem", EJOR 88; Galvão, Espejo & Boffey 2000, "A comparison of Lagrangean and
surrogate relaxations for the maximal covering location problem", EJOR 124). The MCLP over
demand rows i (weight w_i) and free candidates j, with N(i) the candidates covering i,

    max Σ_i w_i z_i   s.t.  z_i <= Σ_{j ∈ N(i)} y_j,  Σ_j y_j = p,  y ∈ {0,1},  z ∈ [0,1],

relaxed with multipliers μ_i >= 0 on the coupling rows gives, for σ_j = Σ_{i: j ∈ N(i)} μ_i,

    L(μ) = Σ_i max(0, w_i - μ_i) + (sum of the p largest σ_j),

an upper bound on the MCLP for every μ >= 0. The subproblem has the integrality property, so
min_μ L(μ) equals the LP relaxation's value. Only μ_i in [0, w_i] matter (above w_i the first term
is 0 and σ only grows). The dual is minimised by subgradient steps in the metric scaled by the
weights: g_i = [w_i > μ_i] - |N(i) ∩ T| for the maximising set T, μ ← clip(μ + t·w∘g, 0, w),
t = θ (L - incumbent) / Σ_i w_i g_i². Equal absolute steps (the engine's C++ loop) move a row of
weight 1 as far as a row of weight 1000, so on heavy-tailed (clustered) weights they stall far
above the LP value; steps proportional to w_i are the per-row normalisation that converges. The
start is read off the incumbent (the LP's complementary slackness: μ_i = w_i where the incumbent
leaves i uncovered or covers it once, 0 where it covers i twice or more).

Every maximising set T is a feasible solution (p sites): the Lagrangian heuristic keeps the best.
A better incumbent comes from the MILP restricted to a small "kernel" of candidates (Angelelli,
Mansini & Speranza 2010, "Kernel search: a general heuristic for the multi-dimensional knapsack
problem", Computers & OR 37): the 3p largest σ_j at the best μ (the candidates with the smallest
LP reduced costs), the incumbent's sites and the sites of the best relaxation sets.

Reduction (Beasley 1993, "Lagrangean heuristics for location problems", EJOR 65): with σ sorted,
σ_(p) the p-th and σ_(p+1) the (p+1)-th largest, forcing a candidate j outside T open bounds every
solution containing it by L - σ_(p) + σ_j, and forcing j in T closed bounds every solution
without it by L - σ_j + σ_(p+1). A bound below ``threshold`` proves j closed (open) in every
solution worth more than the incumbent: ``threshold`` = incumbent + 1 when every merged row
weight is an integer (an improving solution gains at least 1), the incumbent itself otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .. import _core

#: Subgradient iterations of :func:`lagrangian_bound` at most (4000 took 1.6–2.0 s of CPU on the
#: clustered 10^4 x 10^3 instance of benchmarks/bench_siting.py, 6,951 merged rows).
LAGRANGIAN_ITERATIONS = 4000
#: Iterations without improvement before the step factor θ is halved.
LAGRANGIAN_PATIENCE = 150
#: Distinct site sets of the relaxation (the best by covered weight) whose sites join the kernel.
HEURISTIC_STARTS = 20
#: HiGHS's ``mip_abs_gap`` for an MCLP whose weights are all integers: every objective value is
#: then an integer, so a dual bound less than 1 above the incumbent proves it (0.99 leaves room
#: for HiGHS's feasibility tolerances, about 1e-7 relative: 0.02 on 1.7e5).
INTEGRAL_ABS_GAP = 0.99


@dataclass
class MclpLagrangian:
    """The result of :func:`lagrangian_bound` over ``m`` candidates: the best (lowest) bound
    ``bound`` on the covered weight of the rows, its multipliers ``mu`` and candidate sums
    ``sigma``, the best site set the relaxation produced (``best_set``, with covered weight
    ``best_value``) and the number of iterations run."""

    bound: float
    mu: np.ndarray
    sigma: np.ndarray
    best_set: np.ndarray
    best_value: float
    iterations: int
    history: list = field(default_factory=list)  #: distinct relaxation site sets, best first


def integral_weights(w: np.ndarray) -> bool:
    """Whether every weight is an integer (then every objective value is one)."""
    w = np.asarray(w, dtype=np.float64)
    return bool(np.all(np.isfinite(w)) and np.all(w == np.round(w)))


def coverage_of(at: sp.csr_matrix, w: np.ndarray, sites) -> float:
    """Covered weight of the rows (columns of the candidate-major ``at``) that ``sites`` cover."""
    sites = np.asarray(sites, dtype=np.int64)
    if sites.size == 0:
        return 0.0
    hit = np.zeros(w.size, dtype=bool)
    hit[at[sites].indices] = True
    return float(w[hit].sum())


def lagrangian_bound(
    a: sp.csr_matrix,
    w: np.ndarray,
    p: int,
    free: np.ndarray,
    incumbent_sites,
    *,
    iterations: int = LAGRANGIAN_ITERATIONS,
    patience: int = LAGRANGIAN_PATIENCE,
    deadline=None,
    clock=None,
    stop=None,
) -> MclpLagrangian:
    """Minimises L(μ) (module docstring) over the rows of ``a`` (n' x m, stored entries = covers)
    with weights ``w`` >= 0, choosing ``p`` of the ``free`` candidates (boolean mask; the others
    are never in T). ``incumbent_sites`` (indices) give the start and the step target. Stops after
    ``iterations``, when θ < 1e-6, when the bound proves the incumbent (bound < incumbent + 1 with
    integral weights, <= incumbent otherwise), at ``deadline`` (``clock()`` seconds, e.g.
    time.perf_counter) or once another thread sets ``stop`` (a ``jangkau._core.StopFlag``). Every
    iterate's L is a valid bound, so stopping early keeps a valid one.
    The loop is the engine's (``jangkau._core.mclp_lagrangian``, core/siting_mclp_bb.hpp), the same
    one ``solver="greedy"`` uses for its MCLP bound; rows no free candidate covers are left out."""
    w = np.ascontiguousarray(w, dtype=np.float64)
    at = sp.csr_matrix(sp.csr_matrix(a).T)
    budget = float("inf")
    if deadline is not None and clock is not None:
        budget = max(0.0, float(deadline) - float(clock()))
    r = _core.mclp_lagrangian(
        w, at.indptr.astype(np.int64), at.indices.astype(np.int64), int(p),
        np.ascontiguousarray(free, dtype=bool).astype(np.uint8),
        np.ascontiguousarray(incumbent_sites, dtype=np.int64).ravel(),
        iterations=max(int(iterations), 1), patience=int(patience), history=HEURISTIC_STARTS, time_limit_s=budget,
        stop=stop,
    )
    return MclpLagrangian(float(r["bound"]), np.asarray(r["mu"]), np.asarray(r["sigma"]),
                          np.asarray(r["best_set"], dtype=np.int64), float(r["best_value"]), int(r["iterations"]),
                          [np.asarray(t, dtype=np.int64) for t in r["history"]])


@dataclass
class MclpReduction:
    """Candidates the Lagrangian tests settle against ``threshold``: ``closed`` (proven out of
    every solution worth ``threshold`` or more) and ``forced`` (proven in every such solution)."""

    closed: np.ndarray
    forced: np.ndarray
    threshold: float


def reduction_threshold(w: np.ndarray, incumbent: float) -> float:
    """The value an improving solution must reach: incumbent + 1 with integral weights (less a
    rounding margin of 1e-9 relative), the incumbent itself otherwise."""
    tol = 1e-9 * max(1.0, abs(incumbent))
    return incumbent + 1 - tol if integral_weights(w) else incumbent - tol


def reduce_candidates(lag: MclpLagrangian, p: int, free: np.ndarray, threshold: float,
                      keep: np.ndarray | None = None) -> MclpReduction:
    """Beasley's tests (module docstring) with the best multipliers of ``lag``: a free candidate
    whose forced-open bound is below ``threshold`` is closed, one whose forced-closed bound is
    below it is forced open. ``keep`` (candidate indices, e.g. the incumbent's sites) are never
    closed, so the incumbent stays a feasible start."""
    free = np.asarray(free, dtype=bool)
    m = free.size
    closed = np.zeros(m, dtype=bool)
    forced = np.zeros(m, dtype=bool)
    k = int(min(p, int(free.sum())))
    if k == 0 or not np.isfinite(lag.bound):
        return MclpReduction(closed, forced, threshold)
    s = np.where(free, lag.sigma, -np.inf)
    order = np.argsort(-s, kind="stable")
    in_t = np.zeros(m, dtype=bool)
    in_t[order[:k]] = True
    sigma_p = s[order[k - 1]]
    sigma_next = s[order[k]] if k < int(free.sum()) else -np.inf
    closed = free & ~in_t & (lag.bound - sigma_p + s < threshold)
    if np.isfinite(sigma_next):
        forced = free & in_t & (lag.bound - s + sigma_next < threshold)
    if keep is not None:
        closed[np.asarray(keep, dtype=np.int64)] = False
    return MclpReduction(closed, forced, threshold)


@dataclass
class MclpBranch:
    """The result of :func:`branch_and_bound`: the best p-set ``sites`` (covered weight
    ``objective``), a certified upper ``bound`` on every p-set of the candidates it searched, the
    root's Lagrangian bound, the nodes bounded, and ``proven`` when the search finished."""

    sites: np.ndarray
    objective: float
    bound: float
    root_bound: float
    nodes: int
    proven: bool


def branch_and_bound(a: sp.csr_matrix, w: np.ndarray, p: int, free: np.ndarray, start_sites,
                     time_limit_s: float | None = None, max_nodes: int = 0, mu: np.ndarray | None = None,
                     root_iterations: int = LAGRANGIAN_ITERATIONS, stop=None) -> MclpBranch:
    """The engine's Lagrangian branch-and-bound (``jangkau._core.mclp_branch_and_bound``,
    core/siting_mclp_bb.hpp) over the rows of ``a`` (stored entries = covers) with weights ``w``,
    choosing ``p`` of the ``free`` candidates from the p-set ``start_sites`` (free candidates; may
    be empty). Nodes fix candidates open or closed; each is bounded by L(μ) (module docstring)
    with μ warm-started from its parent (the root from ``mu``, e.g. :func:`lagrangian_bound`'s, with
    ``root_iterations`` steps) and Beasley's tests run at every node. Stops at
    ``time_limit_s``, after ``max_nodes`` (0: no cap) or once another thread sets ``stop`` (a
    ``jangkau._core.StopFlag``), with the incumbent and a certified bound."""
    at = sp.csr_matrix(sp.csr_matrix(a).T)
    budget = float("inf") if time_limit_s is None or not np.isfinite(time_limit_s) else max(0.0, float(time_limit_s))
    r = _core.mclp_branch_and_bound(
        np.ascontiguousarray(w, dtype=np.float64), at.indptr.astype(np.int64), at.indices.astype(np.int64), int(p),
        np.ascontiguousarray(free, dtype=bool).astype(np.uint8),
        np.sort(np.ascontiguousarray(start_sites, dtype=np.int64).ravel()),
        np.zeros(0) if mu is None else np.ascontiguousarray(mu, dtype=np.float64),
        root_iterations=max(int(root_iterations), 1), root_patience=max(int(root_iterations) // 26, 15),
        max_nodes=int(max_nodes), time_limit_s=budget, stop=stop,
    )
    return MclpBranch(np.asarray(r["sites"], dtype=np.int64), float(r["objective"]), float(r["bound"]),
                      float(r["root_bound"]), int(r["nodes"]), bool(r["proven"]))


#: Share of the MILP's time limit the Lagrangian phase of :func:`reduce_mclp` may use.
LAGRANGIAN_TIME_SHARE = 0.3
#: Share of the MILP's time limit the restricted MILP over the kernel may use. Clustered 10^4 x 10^3
#: at 10 s: 169,602 in both runs with 0.25, 169,547 with 0.15 and 169,312 / 169,602 in two runs
#: with 0.15 (benchmarks/bench_siting.py, load 1–8); real Serang p = 60 was not proven either way.
KERNEL_TIME_SHARE = 0.25
#: The kernels, searched one after another while KERNEL_TIME_SHARE lasts (a kernel search with
#: growing buckets, Angelelli, Mansini & Speranza 2010): the f·p candidates of largest σ_j for
#: each f here (plus the incumbent's and the relaxation's sites), at most KERNEL_MAX_SHARE of the
#: free candidates, each MILP started from the best site set so far. On SYNTHETIC clustered
#: 5000 x 300, p = 20 (benchmarks/bench_siting.py) kernels of 2p, 3p and 4p gave 91,160 and 5p
#: the optimum 91,162 (one of its sites, candidate 136, is outside the 3p kernel). One 5p kernel
#: alone did worse on clustered 10^5 x 10^3 (1,889,342 against 1,889,705 with 3p: the larger MILP
#: did not finish in its share) and on real Serang p = 60 (nearly all 326 candidates; it did not
#: improve the greedy where 3p did): the 3p kernel first keeps those.
KERNEL_FACTORS = (3, 5)
KERNEL_MAX_SHARE = 0.5
#: Share of the MILP's time limit the Lagrangian branch-and-bound (:func:`branch_and_bound`) may
#: use after the kernel, before HiGHS; and its node cap, in every call. Without the cap a long
#: budget (``solver="milp"``, ``time_limit_s=600``) let a B&B that does not close its gap take 60 %
#: of it before HiGHS started. The hardest row the B&B proves (SYNTHETIC clustered 5000 × 300,
#: benchmarks/bench_siting.py) needs about 3,200 nodes, at about 900 nodes per CPU second.
BRANCH_TIME_SHARE = 0.6
BRANCH_MAX_NODES = 5000
#: The B&B runs only when the reduction tests leave at most BRANCH_MAX_FACTOR·p candidates or the
#: Lagrangian bound is within BRANCH_MAX_GAP (relative) of the incumbent: clustered 5000 x 300
#: (gap 0.014 %) is proven by it, clustered 10^4 x 10^3 (0.31 %) is not, and there HiGHS gets the
#: time (docs/siting.md § MCLP Lagrangian branch-and-bound, benchmarks/bench_mclp_bb.py).
BRANCH_MAX_FACTOR = 4
BRANCH_MAX_GAP = 1e-3
#: Subgradient steps at that B&B's root, warm-started from the Lagrangian phase's best multipliers.
BRANCH_ROOT_ITERATIONS = 300


@dataclass
class ProvenByBound:
    """Stands in for HiGHS's info when the Lagrangian bound already proves the start optimal:
    the dual bound is the start's value on the model's rows, the gap 0."""

    mip_dual_bound: float
    mip_gap: float = 0.0


@dataclass
class MclpReduced:
    """What :func:`reduce_mclp` settles for the MILP over the merged rows: the candidates proven
    ``closed`` and ``forced`` open, the ``rows`` the model keeps (a row only closed candidates
    cover cannot be covered; a row a forced site covers is covered in every improving
    solution: its weight is the ``constant``), the ``start`` (the better of the incumbent and
    the Lagrangian heuristic), its covered weight ``incumbent`` over the rows, the Lagrangian
    ``bound`` over the rows, and ``proven`` when that bound leaves no room for a better
    solution."""

    closed: np.ndarray
    forced: np.ndarray
    rows: np.ndarray
    constant: float
    start: np.ndarray
    incumbent: float
    bound: float
    proven: bool
    iterations: int
    kernel: int = 0  #: candidates of the restricted MILP (0: not run)
    seconds: tuple[float, float, float] = (0.0, 0.0, 0.0)  #: wall time of the Lagrangian, the restricted MILP and the B&B
    branch: MclpBranch | None = None  #: the Lagrangian branch-and-bound's result (None: not run)


def kernel_candidates(lag: MclpLagrangian, p: int, free: np.ndarray, start: np.ndarray,
                      factor: int = KERNEL_FACTORS[0]) -> np.ndarray:
    """The candidates of the restricted MILP (a "kernel", Angelelli, Mansini & Speranza 2010):
    the k = min(factor·p, max(p, KERNEL_MAX_SHARE·#free)) largest σ_j of the best
    multipliers (near-zero LP reduced cost), the incumbent's sites and the sites of the
    relaxation's kept site sets, best set first, as long as the kernel stays within k + p
    candidates (a Lagrangian stopped after a few steps has many different sets: 481 candidates
    at 10^5 x 10^3). Boolean mask."""
    mask = np.zeros(free.size, dtype=bool)
    s = np.where(free, lag.sigma, -np.inf)
    k = min(int(factor) * p, max(p, int(KERNEL_MAX_SHARE * int(np.count_nonzero(free)))))
    top = np.argsort(-s, kind="stable")[:k]
    mask[top] = True
    mask[start] = True
    for t in lag.history:  # best first, while the kernel stays within k + p
        if int((mask | np.isin(np.arange(free.size), t)).sum()) > k + p:
            break
        mask[t] = True
    return mask & free


def reduce_mclp(a: sp.csr_matrix, w: np.ndarray, p: int, free: np.ndarray, start_sites,
                time_limit_s: float | None, improve=None, stop=None, on_incumbent=None) -> MclpReduced:
    """Lagrangian bound and heuristic (:func:`lagrangian_bound`, within LAGRANGIAN_TIME_SHARE
    of ``time_limit_s``); then, with ``improve``, a better incumbent from the restricted MILP
    over each kernel of :func:`kernel_candidates` in turn (KERNEL_FACTORS; ``improve(mask,
    start, seconds)`` returns a site set; all of them within KERNEL_TIME_SHARE of
    ``time_limit_s``); then Beasley's tests (:func:`reduce_candidates`)
    against the best incumbent, over the merged rows ``a`` (stored entries = covers) with
    weights ``w``, the ``free`` candidates and the incumbent ``start_sites``. Only the
    incumbent's sites are ever forced open, so it stays a feasible start for the reduced model.
    ``stop`` (a ``jangkau._core.StopFlag``) ends the Lagrangian and the B&B early, as their
    deadlines do (``improve`` gets it from its caller). ``on_incumbent(sites)`` is called with
    every better site set as soon as it is found (after the Lagrangian heuristic, after the
    kernel MILP; the race hands it to plain HiGHS: :class:`~jangkau.selection.siting_race.Incumbents`)."""
    import time

    t0 = time.perf_counter()
    a = sp.csr_matrix(a)
    free = np.asarray(free, dtype=bool)
    start = np.asarray(start_sites, dtype=np.int64)
    fixed_part = start[~free[start]] if start.size else start
    start = start[free[start]] if start.size else start
    budget = float(time_limit_s) if time_limit_s is not None and np.isfinite(time_limit_s) else None
    deadline = t0 + LAGRANGIAN_TIME_SHARE * budget if budget is not None else None
    lag = lagrangian_bound(a, w, p, free, start, deadline=deadline, clock=time.perf_counter, stop=stop)
    t_lag = time.perf_counter() - t0
    at = sp.csr_matrix(a.T)
    value = coverage_of(at, w, start)
    if lag.best_value > value and lag.best_set.size == start.size:
        start, value = lag.best_set, lag.best_value
        if on_incumbent is not None:
            on_incumbent(np.concatenate([start, fixed_part]))
    threshold = reduction_threshold(w, value)
    kernel = 0
    if improve is not None and not lag.bound < threshold:
        share = KERNEL_TIME_SHARE * budget if budget is not None else None
        t_k = time.perf_counter()
        for factor in KERNEL_FACTORS:
            seconds = None if share is None else share - (time.perf_counter() - t_k)
            if (seconds is not None and seconds <= 0) or (stop is not None and stop.is_set()):
                break
            mask = kernel_candidates(lag, p, free, start, factor)
            if int(mask.sum()) <= kernel:  # no larger than the last kernel: nothing new to search
                break
            kernel = int(mask.sum())
            sites = np.asarray(improve(mask, start, seconds), dtype=np.int64)
            v = coverage_of(at, w, sites)
            if v > value and sites.size == start.size:
                start, value = np.sort(sites), v
                threshold = reduction_threshold(w, value)
                if on_incumbent is not None:
                    on_incumbent(np.concatenate([start, fixed_part]))
    t_kernel = time.perf_counter() - t0 - t_lag
    red = reduce_candidates(lag, p, free, threshold, keep=start)
    branch = None
    bound = lag.bound
    left = free & ~red.closed
    small = int(left.sum()) <= BRANCH_MAX_FACTOR * p or lag.bound - value <= BRANCH_MAX_GAP * max(1.0, abs(value))
    if improve is not None and not lag.bound < threshold and p <= int(left.sum()) and small and start.size == p:
        # The Lagrangian branch-and-bound over the candidates the tests leave: every solution
        # with a closed candidate is worth less than the threshold, so its bound (>= its
        # incumbent >= the start) holds for the whole instance.
        seconds = BRANCH_TIME_SHARE * budget if budget is not None else None
        branch = branch_and_bound(a, w, p, left, start, seconds, BRANCH_MAX_NODES, lag.mu, BRANCH_ROOT_ITERATIONS,
                                  stop)
        bound = min(bound, max(branch.bound, value))
        if branch.objective > value and branch.sites.size == start.size:
            start, value = branch.sites, branch.objective
            threshold = reduction_threshold(w, value)
            red = reduce_candidates(lag, p, free, threshold, keep=start)
    t_branch = time.perf_counter() - t0 - t_lag - t_kernel
    forced = red.forced & np.isin(np.arange(free.size), start)
    allowed = free & ~red.closed
    reach = np.asarray(a[:, np.flatnonzero(allowed)].sum(axis=1)).ravel() > 0
    by_forced = np.asarray(a[:, np.flatnonzero(forced)].sum(axis=1)).ravel() > 0
    rows = reach & ~by_forced
    constant = float(np.asarray(w, dtype=np.float64)[by_forced].sum())
    proven = bool(lag.bound < threshold) or (branch is not None and branch.proven)
    return MclpReduced(red.closed, forced, rows, constant, np.concatenate([start, fixed_part]), value,
                       bound, proven, lag.iterations, kernel, (t_lag, t_kernel, t_branch), branch)

