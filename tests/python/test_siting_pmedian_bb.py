"""p-median Lagrangian branch-and-bound (engine/core/siting_pmedian_bb.hpp, run by ``auto``):
its optimum equals brute force over every site set and the HiGHS radius model
(``solver="milp"``) in the same test, on SYNTHETIC uniform and clustered points (seeded),
dense and sparse (k nearest candidates) with fixed sites, and on REAL Kabupaten Serang desa
(representative points, unit weights: the test checks the optimisation, not a plan). Its
bound never exceeds the optimum; a spent budget returns a valid incumbent and bound; two threads
give the same tree as one.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_siting_pmedian import brute_force, instance, k_nearest, serang_desa

from jangkau import _core
from jangkau.errors import InvalidInputError
from jangkau.selection import siting
from jangkau.selection.siting_instance import PMEDIAN, prepare
from jangkau.selection.siting_pmedian_bb import branch_and_bound

NONE = {"n_candidates": None, "max_cost": None, "groups": None, "quotas": None, "quota_mode": "at_least",
        "fixed": None, "precovered": None, "zones": None, "floors": None}


def _cases(family, data_dir):
    if family == "serang":
        w, cost = serang_desa(data_dir, 36)
        return [(w, cost, 3), (w, cost, 4), (w, cost, 5)]
    return [(*instance(family, 30 + seed, 45 + 5 * seed, 12 + seed % 3), 2 + seed % 4) for seed in range(6)]


@pytest.mark.parametrize("family", ["uniform", "clustered", "serang"])
def test_branch_and_bound_equals_brute_force_and_highs(family, request):
    """From the greedy's start and from a deliberately poor one (the first p candidates, no
    multipliers): proven, and the optimum equals brute force and the HiGHS radius model; the
    bound is at most the optimum; ``auto`` (which runs the branch-and-bound) agrees."""
    data_dir = request.getfixturevalue("data_dir") if family == "serang" else None
    for w, cost, p in _cases(family, data_dir):
        opt = brute_force(w, cost, p)[0]
        highs = siting.p_median(w, cost, p, solver="milp")
        assert highs.status == "optimal" and highs.objective == pytest.approx(opt, rel=1e-9)
        pr = prepare(PMEDIAN, w, cost, **NONE)
        g = siting.p_median(w, cost, p, solver="greedy", threads=1)
        for start, lam in ((g.sites, g.extra.get("lagrange_multipliers")), (np.arange(p), None)):
            b = branch_and_bound(pr, p, start, lam, None, 1e-9, 1)
            assert b.status == "optimal" and b.extra["bb_proven"], (family, p)
            assert b.objective == pytest.approx(opt, rel=1e-9), (family, p, b.objective, opt)
            assert b.bound <= opt * (1 + 1e-9)
            assert b.objective == pytest.approx(float((w * cost[:, b.sites].min(axis=1)).sum()), rel=1e-12)
        a = siting.p_median(w, cost, p)
        assert a.status == "optimal" and a.objective == pytest.approx(opt, rel=1e-9) and a.bound <= opt * (1 + 1e-9)


@pytest.mark.filterwarnings("ignore::jangkau.errors.CoverageWarning")  # far candidates with no k-nearest pair
@pytest.mark.parametrize("family", ["uniform", "clustered"])
def test_branch_and_bound_equals_highs_on_larger_instances(family):
    """Beyond brute force (250 × 40, p = 6 and 8, dense; 600 × 60, p = 10, 8 nearest candidates
    per point): the branch-and-bound's proven optimum equals the HiGHS radius model's and each
    bound stays below the other's objective. Records that the tree went beyond the root."""
    nodes = []
    for seed in range(2):
        w, cost = instance(family, 40 + seed, 250, 40)
        cases = [(cost, 6), (cost, 8)]
        w2, cost2 = instance(family, 50 + seed, 600, 60)
        sparse = k_nearest(cost2, 8)[0]
        for ww, c, p in [(w, c, p) for c, p in cases] + [(w2, sparse, 10)]:
            highs = siting.p_median(ww, c, p, solver="milp")
            pr = prepare(PMEDIAN, ww, c, **NONE)
            g = siting.p_median(ww, c, p, solver="greedy", threads=1)
            b = branch_and_bound(pr, p, g.sites, g.extra.get("lagrange_multipliers"), None, 1e-9, 1)
            assert highs.status == "optimal" and b.status == "optimal"
            assert b.objective == pytest.approx(highs.objective, rel=1e-9), (family, seed, p)
            assert b.bound <= highs.objective * (1 + 1e-9) and highs.bound <= b.objective * (1 + 1e-9)
            nodes.append(b.extra["bb_nodes"])
    print(family, "nodes", nodes)
    assert max(nodes) >= 1


@pytest.mark.filterwarnings("ignore::jangkau.errors.CoverageWarning")  # far candidates with no k-nearest pair
@pytest.mark.parametrize("family", ["uniform", "clustered"])
def test_branch_and_bound_sparse_and_fixed_sites(family):
    """Forbidden pairs (6 nearest candidates only) and a fixed existing site: ``auto`` (through the
    branch-and-bound) and the branch-and-bound from a poor start equal brute force over the same
    sparse costs."""
    for seed in range(3):
        w, cost = instance(family, 60 + seed, 40, 12)
        sparse, dense = k_nearest(cost, 6)
        best, best_set = np.inf, None
        for s in itertools.combinations([j for j in range(12) if j != seed], 3):
            v = float((w * dense[:, [seed, *s]].min(axis=1)).sum())
            if v < best:
                best, best_set = v, s
        assert np.isfinite(best)
        r = siting.p_median(w, sparse, 3, fixed=[seed])
        assert r.status == "optimal" and r.objective == pytest.approx(best, rel=1e-9), (family, seed)
        pr = prepare(PMEDIAN, w, sparse, **(NONE | {"fixed": [seed]}))
        b = branch_and_bound(pr, 3, np.asarray(best_set), None, None, 1e-9, 1)
        assert b.status == "optimal" and b.objective == pytest.approx(best, rel=1e-9)
        assert b.bound <= best * (1 + 1e-9)


@pytest.mark.parametrize("family", ["uniform", "clustered"])
def test_spent_budget_returns_incumbent_and_valid_bound(family):
    """A budget of 0 s, on one thread and on two: the greedy's incumbent comes back, not proven,
    with a bound at most the brute-force optimum (never an error)."""
    w, cost = instance(family, 70, 60, 14)
    p = 4
    opt = brute_force(w, cost, p)[0]
    pr = prepare(PMEDIAN, w, cost, **NONE)
    g = siting.p_median(w, cost, p, solver="greedy", threads=1)
    for threads in (1, 2):
        b = branch_and_bound(pr, p, g.sites, g.extra.get("lagrange_multipliers"), 0.0, 1e-9, threads)
        assert b.status == "time limit reached" and not b.extra["bb_proven"]
        assert b.objective == pytest.approx(g.objective, rel=1e-12) and b.objective >= opt * (1 - 1e-12)
        assert b.bound <= opt * (1 + 1e-9)
    b1 = branch_and_bound(pr, p, g.sites, None, None, 1e-9, 1, node_limit=1)
    assert b1.bound <= opt * (1 + 1e-9) and b1.objective >= opt * (1 - 1e-12)
    assert b1.extra["bb_nodes"] <= 1


@pytest.mark.filterwarnings("ignore::jangkau.errors.CoverageWarning")  # far candidates with no k-nearest pair
@pytest.mark.parametrize("family", ["uniform", "clustered", "serang"])
def test_two_threads_give_the_same_tree_as_one(family, request):
    """The tree solves two nodes per round from the round's incumbent: one thread and two give the
    same sites, bound and node count, and that proven optimum equals the HiGHS radius model's
    (and brute force on Serang), as does the other branching rule (strongest closing). A short
    schedule from a poor start makes the tree branch."""
    if family == "serang":
        w, cost = serang_desa(request.getfixturevalue("data_dir"), 36)
        cases = [(w, cost, 4, brute_force(w, cost, 4)[0])]
    else:
        w, cost = instance(family, 80, 300, 40)
        w2, cost2 = instance(family, 81, 600, 60)
        cases = [(w, cost, 7, None), (w2, k_nearest(cost2, 8)[0], 10, None)]
    schedule = _core.SubgradientSchedule(root_iterations=30, node_iterations=15)
    nodes = []
    for ww, c, p, opt in cases:
        highs = siting.p_median(ww, c, p, solver="milp")
        assert highs.status == "optimal"
        if opt is not None:
            assert highs.objective == pytest.approx(opt, rel=1e-9)
        pr = prepare(PMEDIAN, ww, c, **NONE)
        one, two = (branch_and_bound(pr, p, np.arange(p), None, None, 1e-9, t, schedule=schedule) for t in (1, 2))
        for b in (one, two):
            assert b.status == "optimal" and b.objective == pytest.approx(highs.objective, rel=1e-9), (family, p)
            assert b.bound <= highs.objective * (1 + 1e-9)
        assert np.array_equal(np.sort(one.sites), np.sort(two.sites))
        assert one.bound == two.bound and one.extra["bb_nodes"] == two.extra["bb_nodes"]
        nodes.append(one.extra["bb_nodes"])
        # the other branching rule: another tree, the same optimum
        s = branch_and_bound(pr, p, np.arange(p), None, None, 1e-9, 2, schedule=schedule, strongest_closing=True)
        assert s.status == "optimal" and s.objective == pytest.approx(highs.objective, rel=1e-9)
    assert max(nodes) > 1, nodes  # the rounds ran, not only the root


@pytest.mark.filterwarnings("ignore::jangkau.errors.CoverageWarning")  # far candidates with no k-nearest pair
@pytest.mark.parametrize("family", ["uniform", "clustered"])
def test_many_sites_read_from_the_point_lists(family):
    """With many sites among few candidates (m < p (p + 1)) the tree reads a set's cost and the
    step's counts from each point's sorted list instead of the sites' columns: dense 300 × 30 with
    p = 12 and 16, and 600 × 60 with 8 nearest candidates and p = 24, from a poor start with 400
    root steps (two periodic polishes). The proven optimum equals the HiGHS radius model's, the
    objective is the sites' cost recomputed here, and one thread and two give the same tree."""
    w, cost = instance(family, 90, 300, 30)
    w2, cost2 = instance(family, 91, 600, 60)
    sparse, sparse_dense = k_nearest(cost2, 8)  # the dense copy has inf where no pair is stored
    schedule = _core.SubgradientSchedule(root_iterations=400, node_iterations=30)
    for ww, c, dense, p in [(w, cost, cost, 12), (w, cost, cost, 16), (w2, sparse, sparse_dense, 24)]:
        highs = siting.p_median(ww, c, p, solver="milp")
        assert highs.status == "optimal"
        pr = prepare(PMEDIAN, ww, c, **NONE)
        one, two = (branch_and_bound(pr, p, np.arange(p), None, None, 1e-9, t, schedule=schedule) for t in (1, 2))
        for b in (one, two):
            assert b.status == "optimal" and b.objective == pytest.approx(highs.objective, rel=1e-9), (family, p)
            assert b.bound <= highs.objective * (1 + 1e-9)
            recomputed = float((ww * dense[:, np.sort(b.sites)].min(axis=1)).sum())
            assert b.objective == pytest.approx(recomputed, rel=1e-12), (family, p)
        assert np.array_equal(np.sort(one.sites), np.sort(two.sites))
        assert one.bound == two.bound and one.extra["bb_nodes"] == two.extra["bb_nodes"]


def test_bad_schedule_is_refused():
    """A schedule that cannot run (patience 0, θ above 2) is refused with InvalidInputError."""
    w, cost = instance("uniform", 71, 60, 14)
    pr = prepare(PMEDIAN, w, cost, **NONE)
    g = siting.p_median(w, cost, 4, solver="greedy", threads=1)
    for bad in (_core.SubgradientSchedule(node_patience=0), _core.SubgradientSchedule(root_theta=3.0)):
        with pytest.raises(InvalidInputError):
            branch_and_bound(pr, 4, g.sites, None, None, 1e-9, 1, schedule=bad)
