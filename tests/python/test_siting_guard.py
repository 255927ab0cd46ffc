"""The guard in front of the exact MCLP machinery (jangkau.selection.siting_guard): a short plain
HiGHS attempt, then the Lagrangian bound, kernel and reductions on what is left. Checked against
brute force over every site set and against the machinery without the guard and plain HiGHS
(``reduce=False``) in the same test, on SYNTHETIC uniform and Gaussian-clustered instances and on
REAL Kabupaten Serang desa (representative points of 36 desa, unit weights; and the full
5,864 x 326 instance of benchmarks/bench_mclp_real.py, population weights). Both stages are
exercised: the plain attempt proves the small instances at its root, and with no node for it
(``PLAIN_NODES = 0``: HiGHS stops at its first solution, with no bound) the machinery decides.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_siting_mclp_exact import _cases, _prepare, brute_force, instance

from jangkau.selection import siting, siting_guard
from jangkau.selection.siting_milp import milp_mclp


def _optimum(w, a, p, kw) -> float:
    fixed = list(kw.get("fixed", []))
    free = [j for j in range(a.shape[1]) if j not in fixed]
    covered0 = a[:, fixed].sum(axis=1) > 0 if fixed else np.zeros(w.size, bool)
    if kw.get("precovered") is not None:
        covered0 |= kw["precovered"]
    return max(float(w[covered0 | (a[:, list(s)].sum(axis=1) > 0)].sum()) for s in itertools.combinations(free, p))


@pytest.mark.parametrize("family", ["uniform", "clustered", "serang"])
@pytest.mark.parametrize("plain_nodes", [siting_guard.PLAIN_NODES, 0])
def test_guard_keeps_the_optimum_in_both_stages(family, plain_nodes, request, monkeypatch):
    """From the greedy's start and from a poor one, the guarded MILP reaches the brute-force
    optimum, proven, with a valid bound, equal to the machinery without the guard and to plain
    HiGHS; the stage that decided is the plain one with the default node limit, and the
    machinery on some instances when the plain attempt gets no node."""
    monkeypatch.setattr(siting_guard, "PLAIN_NODES", plain_nodes)
    data_dir = request.getfixturevalue("data_dir") if family == "serang" else None
    stages = set()
    for w, a, p, kw in _cases(family, data_dir):
        opt = _optimum(w, a, p, kw)
        pr = _prepare(w, a, **kw)
        free = [j for j in range(a.shape[1]) if j not in kw.get("fixed", [])]
        g = siting.mclp(w, a, p, solver="greedy", threads=1, **kw)
        for start in (g.sites, np.asarray(free[:p])):
            r = milp_mclp(pr, p, None, 1e-9, 0, start_sites=start)
            assert r.objective == pytest.approx(opt, rel=1e-12), (family, p, r.objective, opt)
            assert r.status == "optimal" and opt <= r.bound <= opt * (1 + 1e-9)
            assert r.extra["milp_guard_plain_s"] >= 0
            stages.add(r.extra["milp_guard_stage"])
            if r.extra["milp_guard_stage"] == "machinery":
                assert r.extra["milp_lagrangian_bound"] >= opt - 1e-9  # the machinery ran
            off = milp_mclp(pr, p, None, 1e-9, 0, start_sites=start, guard=False)
            assert off.objective == pytest.approx(r.objective, rel=1e-12)
        plain = milp_mclp(pr, p, None, 1e-9, 0, reduce=False)
        assert plain.objective == pytest.approx(opt, rel=1e-12)
    # with no node HiGHS can still prove a tiny model (its start meets a trivial bound), not all
    assert stages == {"plain"} if plain_nodes else "machinery" in stages


def test_guard_under_tiny_budgets_keeps_a_valid_answer():
    """With almost no time (both stages cut short), the answer is still p sites, never below
    the start, and its bound never below the brute-force optimum."""
    w, a = instance("clustered", 42, 200, 24)
    p = 4
    opt = brute_force(w, a, p)[0]
    start_value = float(w[a[:, :p].sum(axis=1) > 0].sum())
    for limit in (1e-4, 1e-3, 1e-2, 0.05):
        r = milp_mclp(_prepare(w, a), p, limit, 1e-9, 0, start_sites=np.arange(p))
        assert len(r.sites) == p and start_value <= r.objective <= opt
        assert r.bound >= opt - 1e-9 * opt, (limit, r.bound, opt)


def test_guard_on_real_serang_matches_the_machinery(data_dir):
    """REAL Kabupaten Serang at the size of benchmarks/bench_mclp_real.py (demand every 500 m,
    population areally weighted, the 326 desa points, r = 2 km), p = 15 and 30: with no time
    limit the plain attempt proves the optimum at its root, and the value equals the proven
    optimum of the machinery without the guard and of plain HiGHS without any reduction."""
    from jangkau import Region

    region = Region.load("serang", data_dir=data_dir)
    desa = region.zones("desa", crs=region.working_crs)
    demand = siting.demand_points(desa, 500.0)
    cand = siting.candidate_points(region, "desa", region.working_crs)
    d = np.column_stack([demand.geometry.x, demand.geometry.y])
    c = np.column_stack([cand.geometry.x, cand.geometry.y])
    w = demand["population"].to_numpy()
    cov = siting.coverage_matrix(d, c, 2000.0)
    pr = _prepare(w, cov)
    for p in (15, 30):
        g = siting.mclp(w, cov, p, solver="greedy", threads=1)
        r = milp_mclp(pr, p, None, 1e-9, 0, start_sites=g.sites)
        assert r.extra["milp_guard_stage"] == "plain" and r.status == "optimal"
        off = milp_mclp(pr, p, None, 1e-9, 0, start_sites=g.sites, guard=False)
        plain = milp_mclp(pr, p, None, 1e-9, 0, merge_rows=False, reduce=False)
        assert off.status == "optimal" and plain.status == "optimal"
        assert r.objective == pytest.approx(off.objective, rel=1e-9)
        assert r.objective == pytest.approx(plain.objective, rel=1e-9)
        assert r.objective >= g.objective
