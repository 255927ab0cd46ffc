"""The engine's MCLP Lagrangian bound and Lagrangian branch-and-bound (core/siting_mclp_bb.hpp,
through jangkau.selection.siting_mclp_exact and solver="greedy"), checked in the same test
against brute force over every site set, the LP relaxation solved by HiGHS (scipy.optimize.milp)
and the unreduced HiGHS MILP (milp_mclp(reduce=False)). Families: SYNTHETIC uniform,
Gaussian-clustered and heavy-tailed clustered points (seeded, as test_siting_mclp_exact.py) and
REAL Kabupaten Serang desa (representative points, unit weights: the test checks the
optimisation, not a plan).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from test_siting_mclp_exact import _cases, _prepare, instance, lp_relaxation

from jangkau.selection import siting
from jangkau.selection.siting_mclp_exact import branch_and_bound, lagrangian_bound
from jangkau.selection.siting_milp import milp_mclp

FAMILIES = ["uniform", "clustered", "heavy", "serang"]


def _rows(w, a, kw):
    """The rows the B&B sees: weights of points not covered by fixed sites or pre-coverage (the
    others get weight 0, plus their covered weight as a constant), and the free candidates."""
    fixed = list(kw.get("fixed", []))
    covered0 = a[:, fixed].sum(axis=1) > 0 if fixed else np.zeros(w.size, bool)
    if kw.get("precovered") is not None:
        covered0 |= kw["precovered"]
    free = np.ones(a.shape[1], bool)
    free[fixed] = False
    return np.where(covered0, 0.0, w), float(w[covered0].sum()), free


def _optimum(w, a, p, kw):
    rw, const, free = _rows(w, a, kw)
    cov = a > 0
    return const + max(float(rw[cov[:, list(s)].any(axis=1)].sum())
                       for s in itertools.combinations(np.flatnonzero(free), p))


@pytest.mark.parametrize("family", FAMILIES)
def test_engine_bound_is_valid_and_at_lp_strength(family, request):
    """solver="greedy" reports the engine's Lagrangian bound: never below the brute-force optimum;
    the same loop with 4000 steps (lagrangian_bound) is within 0.5 % of HiGHS's LP value, or has
    stopped early because it proves the optimum (integral weights: bound < optimum + 1)."""
    data_dir = request.getfixturevalue("data_dir") if family == "serang" else None
    for w, a, p, kw in _cases(family, data_dir):
        opt = _optimum(w, a, p, kw)
        g = siting.mclp(w, a, p, solver="greedy", threads=1, **kw)
        assert g.objective <= opt + 1e-9 and g.bound >= opt - 1e-9 * opt, (family, g.bound, opt)
        if kw:
            continue
        lag = lagrangian_bound(sp.csr_matrix(a), w, p, np.ones(a.shape[1], bool), g.sites)
        lp = lp_relaxation(w, a, p)
        assert opt - 1e-9 <= lag.bound and lp * (1 - 1e-9) <= lag.bound, (family, lag.bound, lp)
        # the loop stops early once the bound proves an integral optimum (bound < optimum + 1)
        assert lag.bound <= lp * (1 + 5e-3) or lag.bound < opt + 1, (family, lag.bound, lp, opt)


@pytest.mark.parametrize("family", FAMILIES)
def test_branch_and_bound_equals_brute_force_and_the_milp(family, request):
    """The B&B reaches the brute-force optimum and proves it, from the greedy's sites, from the
    first p free candidates and from no start; the unreduced HiGHS MILP agrees."""
    data_dir = request.getfixturevalue("data_dir") if family == "serang" else None
    nodes = 0
    for w, a, p, kw in _cases(family, data_dir):
        opt = _optimum(w, a, p, kw)
        plain = milp_mclp(_prepare(w, a, **kw), p, None, 1e-9, 0, reduce=False)
        assert plain.objective == pytest.approx(opt, rel=1e-12)
        rw, const, free = _rows(w, a, kw)
        g = siting.mclp(w, a, p, solver="greedy", threads=1, **kw)
        for start in (np.asarray(g.sites), np.flatnonzero(free)[:p], np.zeros(0, np.int64)):
            bb = branch_and_bound(sp.csr_matrix(a), rw, p, free, start)
            assert bb.proven and bb.objective + const == pytest.approx(opt, rel=1e-12), (family, bb, opt)
            assert bb.bound == pytest.approx(bb.objective, rel=1e-9) and bb.root_bound + const >= opt - 1e-9
            assert len(bb.sites) == p and free[bb.sites].all()
            assert float(rw[(a[:, bb.sites] > 0).any(axis=1)].sum()) == pytest.approx(bb.objective, rel=1e-12)
            nodes += bb.nodes
    assert nodes > 0


@pytest.mark.parametrize("family", ["uniform", "clustered", "heavy"])
def test_spent_budget_gives_a_valid_incumbent_and_bound(family):
    """time_limit_s = 0 and a one-node cap: the B&B returns p free sites worth at least the start
    and at most the optimum, and a bound at least the optimum."""
    for seed in range(3):
        w, a = instance(family, 60 + seed, 60, 13)
        p = 4
        opt = _optimum(w, a, p, {})
        start = np.arange(p)
        start_value = float(w[(a[:, start] > 0).any(axis=1)].sum())
        for limit, cap in ((0.0, 0), (None, 1)):
            bb = branch_and_bound(sp.csr_matrix(a), w, p, np.ones(a.shape[1], bool), start, limit, cap)
            assert len(bb.sites) == p and start_value <= bb.objective <= opt + 1e-9
            assert opt - 1e-9 <= bb.bound < np.inf and (bb.proven or bb.nodes <= 1)


def test_milp_mclp_runs_the_branch_and_bound_and_keeps_the_optimum():
    """The instance where the Lagrangian bound does not prove the poor start
    (test_siting_mclp_exact.test_kernel_then_reduced_milp_reach_the_optimum): milp_mclp's B&B
    stage runs (without the guard, whose plain HiGHS stage proves this small instance first), and
    the answer is the brute-force optimum, proven."""
    w, a = instance("uniform", 40, 200, 24)
    p = 4
    r = milp_mclp(_prepare(w, a), p, None, 1e-9, 0, start_sites=np.arange(p), guard=False)
    opt = milp_mclp(_prepare(w, a), p, None, 1e-9, 0, reduce=False).objective
    assert r.extra["milp_bb_nodes"] >= 1 and r.status == "optimal"
    assert r.objective == pytest.approx(opt, rel=1e-12) and opt <= r.bound <= opt * (1 + 1e-9)


def test_node_cap_holds_under_a_long_budget(monkeypatch):
    """BRANCH_MAX_NODES caps the B&B in every call, not only without a time limit: with a 600 s
    budget (``solver="milp"`` with a long limit) and a cap of one node the tree stops after its
    root, HiGHS runs on, and the answer is still the unreduced MILP's optimum, proven."""
    from jangkau.selection import siting_mclp_exact

    caps = []
    real = siting_mclp_exact.branch_and_bound

    def spy(*args, **kw):
        caps.append(args[6])
        return real(*args, **kw)

    monkeypatch.setattr(siting_mclp_exact, "BRANCH_MAX_NODES", 1)
    monkeypatch.setattr(siting_mclp_exact, "branch_and_bound", spy)
    w, a = instance("uniform", 40, 200, 24)
    p = 4
    r = milp_mclp(_prepare(w, a), p, 600.0, 1e-9, 0, start_sites=np.arange(p), guard=False)
    opt = milp_mclp(_prepare(w, a), p, None, 1e-9, 0, reduce=False).objective
    assert caps == [1] and r.extra["milp_bb_nodes"] <= 1
    assert r.status == "optimal" and r.objective == pytest.approx(opt, rel=1e-12)
