"""jangkau.selection.siting_reductions (the MILP preprocessing): dominated candidates (MCLP, LSCP), essential
candidates and dominated demand rows (LSCP; Toregas & ReVelle 1973) leave the optimum unchanged.
Checked against brute force and against the unreduced MILP on small SYNTHETIC instances of two
families (uniform, Gaussian-clustered; seeded), with quotas, fixed sites and pre-coverage."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from siting_cases import clustered

from jangkau.selection import siting_milp, siting_reductions
from jangkau.selection.siting_instance import LSCP, MCLP, PMEDIAN, prepare


def uniform(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    d, c = rng.random((n, 2)), rng.random((m, 2))
    w = rng.integers(1, 10, n).astype(np.float64)
    return w, np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])


def case(name: str, seed: int):
    n, m = 40 + seed % 7, 11 + seed % 3
    w, cost = uniform(500 + seed, n, m) if name == "uniform" else clustered(500 + seed, n, m)
    # near-duplicate candidates make dominance happen often on both families
    cost = np.hstack([cost, cost[:, :3] * 1.05])
    return w, cost, (0.22 if name == "uniform" else 0.11)


def options(seed: int, m: int):
    kw: dict = {}
    if seed % 3 == 1:
        kw["groups"] = np.arange(m) % 2
        kw["quotas"] = 1
    if seed % 4 == 2:
        kw["fixed"] = [m - 1]
    return kw


def inst(model, w, cost, r, kw):
    args = {"n_candidates": None, "groups": None, "quotas": None, "quota_mode": "at_least", "fixed": None, "precovered": None,
                "zones": None, "floors": None}
    args.update(kw)
    return prepare(model, w, cost, max_cost=r, **args)


def feasible(m, p, kw):
    fixed = set(kw.get("fixed", []))
    for s in itertools.combinations([j for j in range(m) if j not in fixed], p):
        if "groups" in kw and not all((kw["groups"][list(s)] == g).sum() >= 1 for g in (0, 1)):
            continue
        yield list(s)


@pytest.mark.parametrize("name", ["uniform", "clustered"])
def test_mclp_dominated_candidates_keep_the_optimum(name):
    dropped_any = 0
    for seed in range(10):
        w, cost, r = case(name, seed)
        m, p = cost.shape[1], 3
        kw = options(seed, m)
        pr = inst(MCLP, w, cost, r, kw)
        full = list(kw.get("fixed", []))
        brute = max(w[(cost[:, s + full] <= r).any(axis=1)].sum() for s in feasible(m, p, kw))
        plain = siting_milp.milp_mclp(pr, p, 60, 1e-9, 0, merge_rows=False, reduce=False)
        red = siting_milp.milp_mclp(pr, p, 60, 1e-9, 0)
        assert plain.objective == pytest.approx(brute) and red.objective == pytest.approx(brute)
        assert red.bound == pytest.approx(brute) and red.status == "optimal"
        # warm start through the reduction (a start that uses dropped candidates is repaired)
        start = siting_milp.milp_mclp(pr, p, 60, 1e-9, 0, start_sites=plain.sites)
        assert start.objective == pytest.approx(brute)
        dropped_any += red.extra["milp_candidates_dropped"] > 0
    assert dropped_any >= 5  # the reduction really happened on most of these instances


@pytest.mark.parametrize("name", ["uniform", "clustered"])
def test_lscp_set_cover_reductions_keep_the_optimum(name):
    reduced_any = 0
    for seed in range(10):
        w, cost, r = case(name, seed)
        m = cost.shape[1]
        kw = options(seed, m)
        pr = inst(LSCP, w, cost, r, kw)
        fixed = list(kw.get("fixed", []))
        coverable = (cost[:, [j for j in range(m) if j not in fixed] + fixed] <= r).any(axis=1)
        brute = next(
            k
            for k in range(m + 1)
            if any((cost[:, s + fixed] <= r).any(axis=1)[coverable].all() for s in feasible(m, k, kw))
        )
        plain = siting_milp.milp_lscp(pr, 60, 1e-9, 0, merge_rows=False, reduce=False)
        red = siting_milp.milp_lscp(pr, 60, 1e-9, 0)
        assert plain.objective == brute == red.objective and red.bound == brute
        assert (cost[:, list(red.sites) + fixed] <= r).any(axis=1)[coverable].all()
        start = siting_milp.milp_lscp(pr, 60, 1e-9, 0, start_sites=plain.sites)
        assert start.objective == brute
        reduced_any += red.extra["milp_candidates_dropped"] + red.extra["milp_candidates_forced"] > 0
    assert reduced_any >= 5


def test_reduce_set_cover_on_a_picture():
    # rows (demand) x candidates:           A  B  C  D
    a = sp.csr_matrix(
        np.array(
            [
                [1, 0, 0, 0],  # only A covers row 0: A is essential
                [1, 1, 0, 0],  # met by A
                [0, 1, 1, 0],  # {B, C} ⊂ row 3's {B, C, D}: row 3 is implied
                [0, 1, 1, 1],
                [0, 0, 1, 0],  # only C (B covers a subset of C's rows once A's are gone)
            ],
            dtype=float,
        )
    )
    kept, dropped, forced, rep = siting_reductions.reduce_set_cover(a, np.ones(4, dtype=bool))
    assert forced.tolist() == [True, False, True, False]
    # D covers {3}, a subset of B's {1, 2, 3} and C's {2, 3, 4}; B's {1, 2, 3} is not within C's
    assert dropped[3] and rep[3] in (1, 2)
    assert kept.size == 0  # A and C meet every row


@pytest.mark.parametrize("model", [MCLP, PMEDIAN])
def test_matrix_forms_give_the_same_instance(model):
    """A CSR/CSC matrix without duplicated pairs skips the sort of the general path (its CSC
    form with sorted indices is already candidate-major); a dense array is read column-major.
    Every form, with indices in any order, and COO or CSR with duplicated pairs (the cheapest
    kept, not summed), must give the instance the unsorted COO-tuple path builds, on clustered
    costs with unreachable pairs."""
    rng = np.random.default_rng(7)
    w, cost = clustered(7, 300, 40)
    cost[cost > 0.4] = np.inf
    r, k = np.nonzero(np.isfinite(cost))
    shuffle = rng.permutation(r.size)
    dup = rng.integers(0, r.size, 50)
    tuple_form = (np.r_[r[shuffle], r[dup]], np.r_[k[shuffle], k[dup]], np.r_[cost[r, k][shuffle], cost[r[dup], k[dup]] + 1.0])
    max_cost = 0.25 if model == MCLP else None

    def built(form, n_candidates=None):
        return prepare(model, w, form, n_candidates=n_candidates, max_cost=max_cost, groups=None, quotas=None,
                       quota_mode="at_least", fixed=None, precovered=None, zones=None, floors=None).csc

    ref = built(tuple_form, cost.shape[1])
    assert ref.nnz > 1000
    finite = np.where(np.isfinite(cost), cost, 0.0)
    n, m = cost.shape
    # CSR / CSC whose indices are in any order within a row / column (a k-nearest list is sorted
    # by distance), and CSR with the duplicated pairs of tuple_form (cheapest kept, not summed)
    def compressed(kind, major, minor, values, size):
        """CSR (kind=sp.csr_matrix, major = rows) or CSC from triples, in random order within
        each row / column."""
        o = np.lexsort((rng.random(major.size), major))
        starts = np.r_[0, np.cumsum(np.bincount(major, minlength=size))]
        return kind((values[o], minor[o], starts), shape=cost.shape)

    csr_dup = compressed(sp.csr_matrix, tuple_form[0], tuple_form[1], tuple_form[2], n)
    csr_unsorted = compressed(sp.csr_matrix, r, k, cost[r, k], n)
    csc_unsorted = compressed(sp.csc_matrix, k, r, cost[r, k], m)
    assert not csr_unsorted.has_sorted_indices and not csc_unsorted.has_sorted_indices
    forms = [cost, sp.csr_matrix(finite), sp.csc_matrix(finite),
             sp.coo_matrix((tuple_form[2], tuple_form[:2]), shape=cost.shape), csr_dup, csr_unsorted, csc_unsorted]
    for form in forms:
        got = built(form)
        assert got.shape == ref.shape
        assert np.array_equal(got.indptr, ref.indptr)
        assert np.array_equal(got.indices, ref.indices)
        assert np.array_equal(got.data, ref.data)
