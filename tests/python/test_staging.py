"""Staged (multi-period) site selection: exact against brute force over every stage
assignment on small instances, certified bounds valid, stage rules always met, the
myopic plan never better than the staged one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from jangkau.errors import InfeasibleError, InvalidInputError
from jangkau.selection import siting
from jangkau.selection.staging import (
    StageSchedule,
    coverage_pattern,
    stage_coverage,
    staged_mclp,
    staged_objective,
)


def _instance(seed: int, n: int = 36, m: int = 7, clustered: bool = False, radius: float = 0.3):
    rng = np.random.default_rng(seed)
    if clustered:
        centres = rng.random((3, 2))
        xy = centres[rng.integers(0, 3, n)] + rng.normal(0, 0.07, (n, 2))
    else:
        xy = rng.random((n, 2))
    cxy = rng.random((m, 2))
    d = np.hypot(xy[:, None, 0] - cxy[None, :, 0], xy[:, None, 1] - cxy[None, :, 1])
    w = rng.integers(1, 100, n).astype(float)
    return w, d, radius


def _brute(pattern, w, schedule, groups, quotas=None, zones=None, floors=None, base=None):
    """Best staged objective over every assignment of candidates to stages 0..S, and the
    number of feasible assignments."""
    m = pattern.shape[1]
    S = schedule.stages
    best, feasible = -1.0, 0
    labels = sorted({g for g in groups if g is not None})
    for assign in itertools.product(range(S + 1), repeat=m):
        a = np.array(assign)
        if any(int((a == t + 1).sum()) != b for t, b in enumerate(schedule.budgets)):
            continue
        ok = all(((a == 1) & (groups == g)).sum() >= 1 for g in labels)
        if quotas is not None:
            ok = ok and all(((a == t + 1) & (groups == g)).sum() >= quotas[t] for g in labels for t in range(S))
        if ok and floors is not None:
            for t in range(S):
                covered = np.zeros(len(w), dtype=bool) if base is None else base.copy()
                for j in np.flatnonzero((a > 0) & (a <= t + 1)):
                    covered[pattern[:, j].nonzero()[0]] = True
                for z in sorted(set(zones)):
                    sel = zones == z
                    if (w[sel] * covered[sel]).sum() < floors[t] * w[sel].sum() - 1e-9:
                        ok = False
        if not ok:
            continue
        feasible += 1
        best = max(best, staged_objective(pattern, w, a, schedule, base))
    return best, feasible


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("clustered", [False, True])
def test_staged_plan_is_exact_and_bounded_against_brute_force(seed, clustered):
    w, d, r = _instance(seed, clustered=clustered)
    groups = np.array(["a", "b", "a", "b", "c", "c", "a"], dtype=object)
    schedule = StageSchedule((3, 1, 1), horizon_years=9.0)
    pattern = coverage_pattern(d, r)
    best, feasible = _brute(pattern, w, schedule, groups)
    assert feasible > 0
    res = staged_mclp(w, d, schedule, max_cost=r, groups=groups, solver="auto", time_limit_s=30)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best, rel=1e-9)
    # Both bounds are valid upper bounds on the true optimum.
    assert res.bound >= best - 1e-6
    assert res.extra["relaxation_bound"] >= best - 1e-6
    # Every stage's coverage bound holds for the optimal plan's coverage too.
    assert (res.stages["stage_bound"].to_numpy() >= res.stages["covered"].to_numpy() - 1e-9).all()
    # The myopic plan is feasible, so never better.
    assert res.myopic <= res.objective + 1e-9
    assert staged_objective(pattern, w, res.myopic_stage, schedule) == pytest.approx(res.myopic)
    # Stage 1 has a site in every group; budgets met exactly.
    for g in "abc":
        assert ((res.stage == 1) & (groups == g)).sum() >= 1
        assert ((res.myopic_stage == 1) & (groups == g)).sum() >= 1
    assert [int((res.stage == t + 1).sum()) for t in range(3)] == [3, 1, 1]


@pytest.mark.parametrize("seed", range(4))
def test_greedy_solver_plan_is_feasible_with_a_valid_bound(seed):
    w, d, r = _instance(100 + seed, clustered=True)
    groups = np.array(["a", "b", "a", "b", "c", "c", "a"], dtype=object)
    schedule = StageSchedule((3, 2, 1))
    best, _ = _brute(coverage_pattern(d, r), w, schedule, groups)
    res = staged_mclp(w, d, schedule, max_cost=r, groups=groups, solver="greedy")
    assert res.status == "skipped"
    assert res.objective <= best + 1e-9 <= res.bound + 1e-6
    assert res.gap == pytest.approx(siting.relative_gap(res.objective, res.bound))
    for g in "abc":
        assert ((res.stage == 1) & (groups == g)).sum() >= 1


@pytest.mark.parametrize("seed", range(4))
def test_quotas_and_floors_are_met_and_exact(seed):
    w, d, r = _instance(200 + seed, n=30, m=6, radius=0.35)
    groups = np.array(["a", "b", "a", "b", "a", "b"], dtype=object)
    zones = np.array(["x" if i % 2 else "y" for i in range(len(w))], dtype=object)
    schedule = StageSchedule((2, 2, 2))
    pattern = coverage_pattern(d, r)
    # Floors: the smallest share both zones reach after stage 3 in some plan, halved.
    floors = [0.0, 0.1, 0.2]
    best, feasible = _brute(pattern, w, schedule, groups, quotas=[1, 1, 1], zones=zones, floors=floors)
    if feasible == 0:
        with pytest.raises(InfeasibleError):
            staged_mclp(w, d, schedule, max_cost=r, groups=groups, quotas=1, zones=zones, floors=floors)
        return
    res = staged_mclp(w, d, schedule, max_cost=r, groups=groups, quotas=1, zones=zones, floors=floors,
                      solver="milp")
    assert res.objective == pytest.approx(best, rel=1e-9)
    for t in range(3):
        for g in "ab":
            assert ((res.stage == t + 1) & (groups == g)).sum() >= 1
    cov = np.zeros(len(w), dtype=bool)
    for t in range(3):
        for j in np.flatnonzero(res.stage == t + 1):
            cov[pattern[:, j].nonzero()[0]] = True
        for z in "xy":
            sel = zones == z
            assert (w[sel] * cov[sel]).sum() >= floors[t] * w[sel].sum() - 1e-9


def test_discounting_and_stage_weights():
    s = StageSchedule.even(4, per_stage=2, horizon_years=10.0)
    assert list(s.stage_starts) == [0.0, 2.5, 5.0, 7.5]
    assert list(s.years_remaining) == [10.0, 7.5, 5.0, 2.5]
    assert np.allclose(s.increments, [2.5, 2.5, 2.5, 2.5])
    r = StageSchedule((1, 1), horizon_years=10.0, discount_rate=0.05)
    a = r.years_remaining
    assert a[0] == pytest.approx((1 - np.exp(-0.5)) / 0.05)
    assert a[1] == pytest.approx((np.exp(-0.25) - np.exp(-0.5)) / 0.05)
    assert StageSchedule.even(3, total=10).budgets == (4, 3, 3)
    with pytest.raises(InvalidInputError):
        StageSchedule((1, 1), starts=(0.0, 12.0))
    with pytest.raises(InvalidInputError):
        StageSchedule((1, -1))


def test_objective_counts_person_years_by_first_stage_covered():
    # Two demand points, two candidates each covering one point.
    pattern = coverage_pattern(np.array([[1.0, 0.0], [0.0, 1.0]]))
    w = np.array([10.0, 4.0])
    s = StageSchedule((1, 1), horizon_years=10.0)  # stages start at 0 and 5
    assert staged_objective(pattern, w, np.array([1, 2]), s) == pytest.approx(10 * 10 + 4 * 5)
    assert staged_objective(pattern, w, np.array([2, 1]), s) == pytest.approx(10 * 5 + 4 * 10)
    assert list(stage_coverage(pattern, w, np.array([1, 2]), 2)) == [10.0, 14.0]
    res = staged_mclp(w, pattern, s, solver="milp")
    assert list(res.stage) == [1, 2] and res.objective == pytest.approx(120.0)


def test_stage_one_rule_needs_enough_sites():
    w, d, r = _instance(5)
    groups = np.array(["a", "b", "a", "b", "c", "c", "a"], dtype=object)
    with pytest.raises(InfeasibleError, match="stage 1"):
        staged_mclp(w, d, StageSchedule((2, 2)), max_cost=r, groups=groups)


def test_no_groups_still_plans_every_stage():
    w, d, r = _instance(6)
    res = staged_mclp(w, d, StageSchedule((1, 1, 1, 1)), max_cost=r, groups=None)
    assert sorted(res.stage[res.stage > 0]) == [1, 2, 3, 4]
    assert res.myopic <= res.objective + 1e-9


def test_fixed_sites_keep_their_stage():
    w, d, r = _instance(7)
    res = staged_mclp(w, d, StageSchedule((2, 1, 1)), max_cost=r, fixed={3: 2})
    assert res.stage[3] == 2
    best = -1.0
    pattern = coverage_pattern(d, r)
    for assign in itertools.product(range(4), repeat=7):
        a = np.array(assign)
        if a[3] != 2 or [int((a == t + 1).sum()) for t in range(3)] != [2, 1, 1]:
            continue
        best = max(best, staged_objective(pattern, w, a, StageSchedule((2, 1, 1))))
    assert res.objective == pytest.approx(best)


def test_myopic_can_be_strictly_worse():
    # Stage 1 alone prefers the big middle candidate; looking ahead, two side candidates
    # that together cover everything win (the classic nested-MCLP trap).
    pattern = coverage_pattern(np.array([
        [1, 1, 0],
        [1, 1, 0],
        [1, 0, 1],
        [1, 0, 1],
        [0, 1, 0],
        [0, 0, 1],
    ], dtype=float))
    w = np.array([10.0, 10.0, 10.0, 10.0, 9.0, 9.0])
    s = StageSchedule((1, 1), horizon_years=2.0)  # starts 0 and 1: a = (2, 1)
    res = staged_mclp(w, pattern, s, solver="auto")
    # myopic: {0} at stage 1 (40), then best of 1/2 (+9): 2·40 + 9 = 89
    assert res.myopic == pytest.approx(89.0)
    # staged: {1} at stage 1 (29), {2} at stage 2 (+29): 2·29 + 29 = 87 < 89, so here myopic is optimal;
    # with a longer second stage the look-ahead wins.
    assert res.objective == pytest.approx(89.0)
    s2 = StageSchedule((1, 1), horizon_years=10.0, starts=(0.0, 0.5))  # a = (10, 9.5)
    res2 = staged_mclp(w, pattern, s2, solver="auto")
    assert res2.myopic == pytest.approx(10 * 40 + 9.5 * 9)
    assert res2.objective == pytest.approx(10 * 29 + 9.5 * 29)
    assert res2.objective > res2.myopic


@pytest.mark.parametrize("seed", range(3))
def test_discounted_uneven_stages_exact_against_brute_force(seed):
    w, d, r = _instance(300 + seed, clustered=bool(seed % 2))
    groups = np.array(["a", "b", "a", "b", "a", "b", "a"], dtype=object)
    schedule = StageSchedule((2, 1, 2), horizon_years=10.0, starts=(0.0, 1.0, 6.0), discount_rate=0.08)
    pattern = coverage_pattern(d, r)
    best, _ = _brute(pattern, w, schedule, groups)
    res = staged_mclp(w, d, schedule, max_cost=r, groups=groups, solver="auto", time_limit_s=30)
    assert res.objective == pytest.approx(best, rel=1e-9)
    assert res.bound >= best - 1e-6 and res.myopic <= best + 1e-9
    assert list(res.stages["start_year"]) == [0.0, 1.0, 6.0]
