"""The HiGHS plumbing the exact models share (jangkau.selection.milp.run_highs,
.siting_highs): HiGHS's per-thread scheduler across calls that ask for different thread counts,
one after another and from two threads at the same time; stop signals (Ctrl-C, SIGTERM) during a
run; and the MILP model's vectors matching its matrix. Answers are checked against brute force
on small SYNTHETIC instances of two families (uniform and Gaussian-clustered, seeded)."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from test_siting_budget import brute, family
from test_siting_mclp_exact import _prepare

from jangkau.selection import siting, siting_highs, siting_milp

RADIUS = 0.3


@pytest.fixture
def run_statuses(monkeypatch):
    """The HighsStatus of every HiGHS run in the test (HiGHS refuses a run whose thread count
    differs from its thread's scheduler with kError, and the model then falls back to its start)."""
    import highspy

    seen = []
    real = highspy.Highs.run

    def run(self):
        status = real(self)
        seen.append(status)
        return status

    monkeypatch.setattr(highspy.Highs, "run", run)
    return seen


def _solve(model: str, w, cost, p: int, threads: int):
    if model == "mclp":
        return siting.mclp(w, cost, p, max_cost=RADIUS, solver="milp", threads=threads)
    if model == "lscp":
        return siting.lscp(w, cost, max_cost=RADIUS, solver="milp", threads=threads)
    return siting.p_median(w, cost, p, solver="milp", threads=threads)


def _optimum(model: str, opt) -> float:
    return {"mclp": opt[0], "pmedian": opt[1], "lscp": opt[2]}[model]


@pytest.mark.parametrize("name", ["uniform", "clustered"])
def test_thread_counts_may_change_between_calls(name, run_statuses):
    """HiGHS starts one scheduler per calling thread with the first run's thread count and
    refused a later run there with another count (no solution; the MCLP raised a ValueError).
    Every call of a sequence that changes the count returns the brute-force optimum, proven."""
    w, cost = family(name, 7, 24, 9)
    p = 3
    opt = brute(w, cost, RADIUS, p)
    for threads in (1, 2, 0, 1, 2):
        for model in ("mclp", "pmedian", "lscp"):
            r = _solve(model, w, cost, p, threads)
            assert r.status == "optimal", (model, threads, r.status)
            assert r.objective == pytest.approx(_optimum(model, opt), rel=1e-9), (model, threads)
    _no_errors(run_statuses)


def test_concurrent_calls_with_different_thread_counts(run_statuses):
    """Two threads of one process (a Dask worker's) solving at the same time, each changing its
    count from job to job (HiGHS keeps one scheduler per thread): every answer is the
    brute-force optimum, proven."""
    cases = [(name, seed) for name in ("uniform", "clustered") for seed in range(3)]

    def job(i):
        name, seed = cases[i]
        w, cost = family(name, 20 + seed, 24, 9)
        r = _solve("mclp", w, cost, 3, 1 + (i // 2) % 2)
        return r.status, r.objective, brute(w, cost, RADIUS, 3)[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(job, range(len(cases))))
    for status, objective, opt in results:
        assert status == "optimal" and objective == pytest.approx(opt, rel=1e-9)
    _no_errors(run_statuses)


def _no_errors(statuses) -> None:
    import highspy

    assert statuses and highspy.HighsStatus.kError not in statuses


def test_model_vectors_must_match_the_matrix():
    """check_shapes names the vector whose length differs from the matrix's columns or rows."""
    a = np.ones((2, 3))
    ok = {"cost": np.ones(3), "lower": np.zeros(3), "upper": np.ones(3), "integer": np.ones(3, bool), "a_rows": a,
          "row_lo": np.zeros(2), "row_hi": np.ones(2)}
    siting_highs.check_shapes(**ok)
    for name, bad in (("upper", np.ones(4)), ("row_lo", np.zeros(3)), ("start", np.zeros(2))):
        with pytest.raises(ValueError, match=f"{name} has"):
            siting_highs.check_shapes(**{**ok, name: bad})


@pytest.mark.parametrize("name", ["uniform", "clustered"])
@pytest.mark.parametrize("lagrangian", [False, True])
def test_reduced_mclp_model_has_one_bound_per_column(name, lagrangian, monkeypatch):
    """The MCLP MILP after single-cover rows fold into the site columns (and, with
    ``lagrangian``, the reductions drop rows): HiGHS gets one bound per column (it had 30 surplus
    upper bounds on SYNTHETIC clustered 5000 x 300 and trimmed them with a warning), and the
    answer equals brute force. Without the Lagrangian stage HiGHS always runs; with it, the
    stage may prove the answer first."""
    w, cost = family(name, 11, 40, 12)
    p = 3
    seen = []
    real = siting_milp.solve_milp

    def spy(highspy, cost_, lower, upper, integer, a_rows, *rest, **kw):
        seen.append((np.size(cost_), np.size(lower), np.size(upper), np.size(integer), a_rows.shape[1]))
        return real(highspy, cost_, lower, upper, integer, a_rows, *rest, **kw)

    monkeypatch.setattr(siting_milp, "solve_milp", spy)
    pr = _prepare(w, cost, max_cost=RADIUS)
    r = siting_milp.milp_mclp(pr, p, None, 1e-9, 1, start_sites=np.arange(p), guard=False, lagrangian=lagrangian)
    assert r.objective == pytest.approx(brute(w, cost, RADIUS, p)[0], rel=1e-12)
    assert seen or lagrangian
    for sizes in seen:
        assert len(set(sizes)) == 1, sizes


@functools.lru_cache(maxsize=1)
def _hard_mclp():
    """SYNTHETIC Gaussian-clustered MCLP, 10⁴ demand points × 10³ candidates (the clustered family
    of benchmarks/bench_siting.py): plain HiGHS does not prove it within a minute, so a run is
    still under way when the test's signal arrives."""
    rng = np.random.default_rng(3)
    n, m, side = 10_000, 1_000, 50_000.0
    centres = 5_000 + rng.random((12, 2)) * (side - 10_000)
    share = rng.pareto(1.2, 12) + 1
    d = np.clip(centres[rng.choice(12, n, p=share / share.sum())] + rng.normal(0, 2_000, (n, 2)), 0, side)
    near = d[rng.integers(0, n, m // 2)] + rng.normal(0, 1_000, (m // 2, 2))
    c = np.vstack([np.clip(near, 0, side), rng.random((m // 2, 2)) * side])
    w = np.minimum(np.round(rng.pareto(1.5, n) * 10 + 1), 1000).astype(np.float64)
    return _prepare(w, siting.coverage_matrix(d, c, radius_m=2_500.0), max_cost=2_500.0)


@pytest.mark.parametrize("time_limit_s", [None, 600.0])
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_a_stop_signal_ends_highs_and_takes_effect(signame, time_limit_s, monkeypatch):
    """Ctrl-C (SIGINT, also Jupyter's "interrupt") or SIGTERM half a second into a HiGHS run, in
    the main thread: HiGHS stops ("interrupted by user") and the signal then takes effect — the
    KeyboardInterrupt of Python's SIGINT handler, or the handler installed for SIGTERM (as the CLI
    installs one). Before, Python's handler ran inside HiGHS's callbacks, where its exception was
    lost: with a time limit HiGHS ended in "solve error" and the call went on as if it had found
    nothing; without one, no callback ran and HiGHS was not stopped at all."""
    import os
    import signal
    import threading

    import highspy

    class Stopped(Exception):
        pass

    def on_term(_number, _frame):
        raise Stopped

    previous = signal.signal(signal.SIGTERM, on_term)
    statuses = []
    real = highspy.Highs.run

    def run(self):
        threading.Timer(0.5, os.kill, (os.getpid(), getattr(signal, signame))).start()
        status = real(self)
        statuses.append(self.modelStatusToString(self.getModelStatus()).lower())
        return status

    monkeypatch.setattr(highspy.Highs, "run", run)
    pr = _hard_mclp()
    try:
        with pytest.raises(KeyboardInterrupt if signame == "SIGINT" else Stopped):
            siting_milp.milp_mclp(pr, 25, time_limit_s, 1e-7, 1, lagrangian=False, guard=False)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert statuses == ["interrupted by user"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
