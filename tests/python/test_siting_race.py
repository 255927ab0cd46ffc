"""The race of two exact MCLP solvers on the two cores (jangkau.selection.siting_race, run by
jangkau.selection.siting_guard): the Lagrangian machinery in the calling thread against plain
HiGHS without a start in a second thread; the first to prove its answer stops the other through a
``jangkau._core.StopFlag``.

Checked: the race itself with plain callables (either side first, neither, an error on either
side, Ctrl-C); the stop flag ending the engine's branch-and-bound and Lagrangian and HiGHS, in the
calling thread and in another; and the raced MILP against brute force over every site set on
SYNTHETIC uniform and Gaussian-clustered instances and REAL Kabupaten Serang desa (36 desa), with
the race off wherever identical reruns are asked for (``threads=1``, a node limit, no time limit).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from test_siting_guard import _optimum
from test_siting_highs import _hard_mclp
from test_siting_mclp_exact import _cases, _prepare, brute_force, instance

from jangkau import _core
from jangkau.errors import InfeasibleError
from jangkau.selection import siting, siting_guard, siting_milp, siting_race
from jangkau.selection.siting_guard import mclp_value
from jangkau.selection.siting_instance import pattern
from jangkau.selection.siting_mclp_exact import branch_and_bound, lagrangian_bound
from jangkau.selection.siting_race import race


def _race_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "jangkau-race"]


def _until_stopped(result):
    """A racer that never decides: it waits for the stop flag (at most a minute) and returns
    ``result``."""

    def run(stop: _core.StopFlag):
        t0 = time.monotonic()
        while not stop.is_set():
            assert time.monotonic() - t0 < 60, "the stop flag never came"
            time.sleep(0.001)
        return result

    return run


def test_the_first_decided_result_stops_the_other_side():
    def decided(r):
        return r == "proof"

    assert race(lambda stop: "proof", _until_stopped("stopped"), decided) == ("proof", "stopped", "home")
    assert race(_until_stopped("stopped"), lambda stop: "proof", decided) == ("stopped", "proof", "away")
    assert not _race_threads()


def test_without_a_decision_both_sides_run_to_their_end():
    """Neither result decides: neither side sees the flag set while it runs."""
    mine, theirs, first = race(lambda stop: ("home", stop.is_set()), lambda stop: ("away", stop.is_set()),
                               lambda r: False)
    assert (mine, theirs, first) == (("home", False), ("away", False), None)
    assert race(lambda stop: 1, lambda stop: None, lambda r: True) == (1, None, "home")


def test_an_error_on_either_side_reaches_the_caller_and_leaves_no_thread():
    class Boom(Exception):
        pass

    def fail(stop):
        raise Boom

    with pytest.raises(Boom):  # the second thread's error, raised in the caller once both ended
        race(lambda stop: "home", fail, lambda r: False)
    seen = []

    def away(stop):
        seen.append(_until_stopped("stopped")(stop))

    def interrupted(stop):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # Ctrl-C in the caller: the other side stops first
        race(interrupted, away, lambda r: False)
    assert seen == ["stopped"]
    assert not _race_threads()


def test_wanted_only_where_reruns_may_differ(monkeypatch):
    monkeypatch.setattr(siting_race, "available_cores", lambda: 2)
    assert siting_race.wanted(None, 10.0, None) and siting_race.wanted(0, 10.0, None)
    assert siting_race.wanted(2, 10.0, None)
    assert not siting_race.wanted(1, 10.0, None)  # one thread asked for
    assert not siting_race.wanted(0, None, None) and not siting_race.wanted(0, float("inf"), None)  # no budget
    assert not siting_race.wanted(0, 10.0, 1000)  # a node limit: identical reruns
    monkeypatch.setattr(siting_race, "available_cores", lambda: 1)
    assert not siting_race.wanted(0, 10.0, None)


@pytest.mark.parametrize("family", ["uniform", "clustered"])
def test_a_set_flag_winds_down_the_branch_and_bound_and_the_lagrangian(family):
    """A flag set before the call: the engine's B&B bounds its root only and the Lagrangian takes
    at most one step, as at a spent deadline; both answers stay valid against brute force."""
    w, a = instance(family, 7, 60, 14)
    p = 4
    opt = brute_force(w, a, p)[0]
    free = np.ones(a.shape[1], dtype=bool)
    stop = _core.StopFlag()
    stop.set()
    b = branch_and_bound(a, w, p, free, np.arange(p), stop=stop)
    assert b.nodes == 1 and b.objective <= opt <= b.bound + 1e-9
    lag = lagrangian_bound(a, w, p, free, np.arange(p), stop=stop)
    assert lag.iterations <= 1 and lag.bound >= opt - 1e-9
    full = branch_and_bound(a, w, p, free, np.arange(p), stop=_core.StopFlag())
    assert full.proven and full.objective == pytest.approx(opt)


def test_the_flag_ends_a_running_branch_and_bound_and_highs_in_another_thread():
    """SYNTHETIC clustered MCLP 10⁴ × 10³ (neither proves it within a minute): the flag, set half a
    second in by a timer, ends the engine's B&B (no node cap, no time limit: only the flag can end
    it unproven) and a HiGHS run in a second thread ("stopped", with the start as its answer)."""
    pr = _hard_mclp()
    start = np.arange(25)  # a poor start: HiGHS always has an answer to return
    stop = _core.StopFlag()
    threading.Timer(0.5, stop.set).start()
    b = branch_and_bound(pattern(pr.csc), pr.w, 25, np.ones(pr.m, dtype=bool), start, stop=stop)
    assert not b.proven and b.bound >= b.objective >= mclp_value(pr, start)
    stop = _core.StopFlag()
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(siting_milp.milp_mclp, pr, 25, None, 1e-7, 1, start_sites=start, lagrangian=False,
                          guard=False, stop=stop)
        threading.Timer(0.5, stop.set).start()
        r = job.result()
    assert r.status == "stopped" and r.bound >= r.objective >= mclp_value(pr, start)


def test_a_set_flag_skips_highs_and_keeps_the_start():
    w, a = instance("clustered", 8, 60, 14)
    p = 4
    pr = _prepare(w, a)
    stop = _core.StopFlag()
    stop.set()
    r = siting_milp.milp_mclp(pr, p, 10.0, 1e-9, 1, start_sites=np.arange(p), lagrangian=False, guard=False, stop=stop)
    # the start, or the preprocessing's version of it (a dominated site swapped for its dominator)
    assert r.status == "stopped" and len(r.sites) == p and r.objective >= mclp_value(pr, np.arange(p))
    with pytest.raises(InfeasibleError, match="stopped"):  # no start, no solution of its own
        siting_milp.milp_mclp(pr, p, 10.0, 1e-9, 1, lagrangian=False, guard=False, stop=stop)


@pytest.mark.parametrize("family", ["uniform", "clustered", "serang"])
def test_the_raced_milp_keeps_the_optimum(family, request, monkeypatch):
    """With no node for the plain stage (``PLAIN_NODES = 0``, and the race allowed after it) the
    race decides wherever that stage cannot prove the tiny model by itself: the answer equals brute force, proven, with a valid
    bound, and which racer proved first is recorded. With ``threads=1``, a node limit or no time
    limit the race does not run and the answer is the same."""
    monkeypatch.setattr(siting_guard, "PLAIN_NODES", 0)
    monkeypatch.setattr(siting_guard, "highs_ran", lambda first: True)  # with no node HiGHS reports no bound
    monkeypatch.setattr(siting_race, "available_cores", lambda: 2)
    data_dir = request.getfixturevalue("data_dir") if family == "serang" else None
    raced = 0
    for w, a, p, kw in _cases(family, data_dir):
        opt = _optimum(w, a, p, kw)
        pr = _prepare(w, a, **kw)
        g = siting.mclp(w, a, p, solver="greedy", threads=1, **kw)
        r = siting_milp.milp_mclp(pr, p, 60.0, 1e-9, 0, start_sites=g.sites)
        assert r.objective == pytest.approx(opt, rel=1e-12), (family, p, r.objective, opt)
        assert r.status == "optimal" and opt <= r.bound <= opt * (1 + 1e-9)
        if r.extra["milp_guard_stage"] == "machinery":
            raced += 1
            assert r.extra["milp_race"] is True
            assert r.extra["milp_race_winner"] in ("machinery", "plain")
            offered = r.extra.get("milp_race_offered", [])  # absent when the racer had no solution
            assert all(v <= opt * (1 + 1e-12) for v in offered) and offered == sorted(set(offered))
        for args, kwargs in (((60.0, 1e-9, 1), {}), ((60.0, 1e-9, 0), {"node_limit": 10**6}), ((None, 1e-9, 0), {})):
            s = siting_milp.milp_mclp(pr, p, *args, start_sites=g.sites, **kwargs)
            assert s.objective == pytest.approx(opt, rel=1e-12) and s.status == "optimal"
            assert s.extra.get("milp_race", False) is False
    assert raced > 0
    assert not _race_threads()


def test_no_race_where_highs_could_not_run_in_the_plain_stage(monkeypatch):
    """A model too large for the plain stage's slice (here: HiGHS's assumed presolve rate made
    tiny, so that every model is) runs no race: HiGHS could not be stopped in time inside its
    first LPs. The answer is still valid against brute force."""
    from jangkau.selection import siting_highs

    monkeypatch.setattr(siting_race, "available_cores", lambda: 2)
    w, a = instance("clustered", 9, 60, 14)
    p = 4
    pr = _prepare(w, a)
    opt = brute_force(w, a, p)[0]
    ran = siting_milp.milp_mclp(pr, p, 60.0, 1e-9, 0, start_sites=np.arange(p))
    assert ran.objective == pytest.approx(opt)
    monkeypatch.setattr(siting_highs, "HIGHS_PRESOLVE_NNZ_PER_S", 1.0)
    r = siting_milp.milp_mclp(pr, p, 60.0, 1e-9, 0, start_sites=np.arange(p))
    assert r.extra["milp_guard_plain_bound"] == np.inf and r.extra["milp_race"] is False
    assert r.objective >= mclp_value(pr, np.arange(p)) and r.bound >= opt


def test_ctrl_c_during_the_race_stops_both_racers(monkeypatch):
    """Ctrl-C (SIGINT, from a timer in this process) one second into the race on SYNTHETIC
    clustered MCLP 10⁴ × 10³: KeyboardInterrupt reaches the caller and no racer is left running."""
    monkeypatch.setattr(siting_guard, "PLAIN_NODES", 0)
    monkeypatch.setattr(siting_guard, "highs_ran", lambda first: True)
    monkeypatch.setattr(siting_race, "available_cores", lambda: 2)
    pr = _hard_mclp()
    start = np.arange(25)
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        siting_milp.milp_mclp(pr, 25, 600.0, 1e-7, 0, start_sites=start)
    assert not _race_threads()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_shared_box_keeps_the_best_and_hands_each_one_over_once():
    box = siting_race.Incumbents(maximise=True)
    assert box.newer(0) is None
    assert box.post(10.0, [3, 1])
    assert not box.post(10.0, [2]) and not box.post(9.0, [0]) and not box.post(float("nan"), [5])
    version, value, sites = box.newer(0)
    assert (value, sites) == (10.0, (1, 3)) and box.newer(version) is None
    assert box.post(12.5, np.array([4, 0]))
    assert box.newer(version)[1:] == (12.5, (0, 4))
    low = siting_race.Incumbents(maximise=False)
    assert low.post(5.0, [1]) and not low.post(7.0, [2]) and low.post(3.0, [3])
    assert low.newer(0)[1:] == (3.0, (3,))


def test_the_box_offers_each_better_solution_once():
    """``Incumbents.offers``: the callback hands over the best solution posted since its last
    hand-over (through ``vector``), None in between, and records each objective it handed over;
    two callbacks on one box keep their own place."""
    box = siting_race.Incumbents(maximise=False)
    record: list[float] = []
    first = box.offers(lambda sites: list(sites), record)
    second = box.offers(lambda sites: len(sites))
    assert first() is None
    box.post(5.0, [4, 2])
    box.post(4.0, [3])
    assert first() == [3] and first() is None and record == [4.0]
    box.post(3.0, [1, 0])
    assert first() == [0, 1] and record == [4.0, 3.0]
    assert second() == 2 and second() is None


def test_highs_takes_up_an_offered_solution():
    """A subset-sum equality (30 binaries, one row) that HiGHS, with its heuristics off and one
    node, ends without any solution; handed a feasible one through the user-solution callback,
    it returns that one. The offer is asked for at several points of the run."""
    import highspy

    from jangkau.selection.siting_highs import solve_milp

    rng = np.random.default_rng(5)
    n = 30
    a = rng.integers(100_000, 1_000_000, n).astype(float).reshape(1, n)
    chosen = rng.random(n) < 0.5
    c = rng.integers(1, 100, n).astype(float)
    target = np.array([float(a[0, chosen].sum())])
    options = {"mip_heuristic_effort": 0.0, "mip_heuristic_run_feasibility_jump": False}

    def solve(offer=None):
        return solve_milp(highspy, c, np.zeros(n), np.ones(n), np.ones(n, bool), a, target, target, True, None,
                          1e-9, 1, node_limit=1, presolve=False, options=options, offer=offer)

    assert solve()[2] is None
    asked = []

    def offer():
        asked.append(1)
        return chosen.astype(np.float64) if len(asked) == 1 else None

    _, info, x = solve(offer)
    assert x is not None and np.array_equal(x > 0.5, chosen) and len(asked) > 1
    assert info.objective_function_value == pytest.approx(c[chosen].sum())


@pytest.mark.parametrize("family", ["uniform", "clustered"])
def test_the_machinery_posts_its_better_sites_and_plain_highs_takes_them(family):
    """The machinery (guard off) posts every better site set it finds into the race's box, with
    its true covered weight; plain HiGHS handed the brute-force optimum through the box returns
    it, and records what it was handed."""
    posted = 0
    for seed in range(3):
        w, a = instance(family, 40 + seed, 60, 14)
        p = 4
        pr = _prepare(w, a)
        opt = brute_force(w, a, p)[0]
        start = np.argsort(np.asarray((a > 0).sum(axis=0)).ravel())[:p]  # the p candidates covering the fewest
        box = siting_race.Incumbents(maximise=True)
        r = siting_milp.milp_mclp(pr, p, 60.0, 1e-9, 1, start_sites=start, guard=False, shared=box)
        assert r.objective == pytest.approx(opt)
        got = box.newer(0)
        if got is not None:
            posted += 1
            assert mclp_value(pr, np.array(got[2])) == pytest.approx(got[1])
            assert mclp_value(pr, start) < got[1] <= opt + 1e-9 and len(got[2]) == p
        box = siting_race.Incumbents(maximise=True)
        sites = np.asarray(siting_milp.milp_mclp(pr, p, None, 1e-9, 1, start_sites=start, guard=False).sites)
        assert box.post(mclp_value(pr, sites), sites)
        plain = siting_milp.milp_mclp(pr, p, 60.0, 1e-9, 1, lagrangian=False, guard=False, shared=box)
        assert plain.objective == pytest.approx(opt) and plain.extra["milp_offered"] == [pytest.approx(opt)]
    assert posted > 0


def test_highs_posts_each_improving_solution():
    """A 0/1 knapsack (40 items, seeded): every solution HiGHS reports through ``post`` is a
    feasible column vector, each better than the one before, and the last is worth what HiGHS
    returns as its optimum."""
    import highspy

    from jangkau.selection.siting_highs import solve_milp, start_is_feasible

    rng = np.random.default_rng(11)
    n = 40
    weight = rng.integers(10, 100, n).astype(float).reshape(1, n)
    value = weight.ravel() + rng.integers(0, 20, n)
    cap = np.array([weight.sum() / 3])
    posted: list[np.ndarray] = []
    text, _info, x = solve_milp(highspy, value, np.zeros(n), np.ones(n), np.ones(n, bool), weight, np.array([-np.inf]),
                               cap, True, None, 1e-9, 1, post=posted.append)
    assert text == "optimal" and posted
    values = [float(value @ y) for y in posted]
    assert all(start_is_feasible(y, np.zeros(n), np.ones(n), weight, np.array([-np.inf]), cap, tol=1e-6) for y in posted)
    assert values == sorted(set(values)) and values[-1] == pytest.approx(float(value @ x))


def test_the_proof_options_reach_the_machinery_and_the_racer_only(monkeypatch):
    """The race on SYNTHETIC clustered instances (plain stage of no node): the racing HiGHS
    (the one handed offers) runs with PROOF_HIGHS_OPTIONS, the plain stage does not; with
    ``proof=False`` no HiGHS run gets them, nor with group quotas. The answer equals brute force
    either way."""
    monkeypatch.setattr(siting_guard, "PLAIN_NODES", 0)
    monkeypatch.setattr(siting_guard, "highs_ran", lambda first: True)
    monkeypatch.setattr(siting_race, "available_cores", lambda: 2)
    real = siting_milp.solve_milp
    calls: list[tuple[bool, bool]] = []

    def spy(*args, **kwargs):
        proof = set(siting_milp.PROOF_HIGHS_OPTIONS) <= set(kwargs.get("options") or {})
        calls.append((proof, kwargs.get("offer") is not None))
        return real(*args, **kwargs)

    monkeypatch.setattr(siting_milp, "solve_milp", spy)
    w, a = instance("clustered", 9, 60, 14)
    p = 4
    opt = brute_force(w, a, p)[0]
    pr = _prepare(w, a)
    for proof in (True, False):
        calls.clear()
        r = siting_milp.milp_mclp(pr, p, 60.0, 1e-9, 0, start_sites=np.arange(p), proof=proof)
        assert r.objective == pytest.approx(opt) and r.extra["milp_race"] is True
        assert calls[0] == (False, False)  # the plain stage
        racer = [c for c in calls if c[1]]
        assert racer and all(c[0] == proof for c in racer)
        assert any(c[0] for c in calls) == proof
    # group quotas: the machinery hands HiGHS no site set of its own, so HiGHS keeps its defaults
    groups = np.arange(a.shape[1]) % 2
    quota = _prepare(w, a, groups=groups, quotas=1, quota_mode="at_least")
    calls.clear()
    r = siting_milp.milp_mclp(quota, p, 60.0, 1e-9, 0, start_sites=np.array([0, 1, 2, 3]))
    assert calls and not any(c[0] for c in calls)
    picked = groups[np.asarray(r.sites)]
    assert (picked == 0).any() and (picked == 1).any()
