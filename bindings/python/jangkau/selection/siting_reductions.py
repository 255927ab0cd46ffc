"""Preprocessing of the siting MILPs (:mod:`.siting_milp`) that shrinks a model without changing
its optimum: identical demand rows merged with their weights summed, dominated candidates
dropped (the start repaired onto their dominators), and the set-cover reductions of the LSCP
(row and column dominance, essential candidates). Formulas and measurements: docs/siting.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .siting_highs import time_left
from .siting_instance import Instance, base_covered, pattern


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
