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
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from test_siting_mclp_exact import _cases, _prepare, brute_force, instance
from test_siting_pmedian import serang_desa

from jangkau.selection import siting, siting_guard
from jangkau.selection.siting_instance import LSCP, QuotaMode, prepare
from jangkau.selection.siting_milp import milp_lscp, milp_mclp
from jangkau.selection.siting_quota_exact import (
    best_set,
    meets_classes,
    quota_classes,
    reduce_mclp_quotas,
    swap_out_value,
)


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


# --- group quotas: the Lagrangian bound and closing test with the quota rows in the subproblem


def _quota_cases(family, data_dir):
    """(w, a, p, groups, quotas, mode): at-least and exact quotas, some candidates in no group
    (synthetic); REAL Serang: the first 36 desa, groups = their 3 kecamatan."""
    if family == "serang":
        from jangkau import Region

        region = Region.load("serang", data_dir=data_dir)
        desa = region.zones("desa", crs=region.working_crs).sort_values("code").head(36)
        w, dist = serang_desa(data_dir, 36)
        a = (dist <= 4.0).astype(np.float64)
        kec = desa["kecamatan_code"].to_numpy()
        labels = sorted(set(kec))
        return [(w, a, 4, kec, dict.fromkeys(labels, 1), "at_least"),
                (w, a, 4, kec, {labels[0]: 2, labels[1]: 1, labels[2]: 1}, "exactly"),
                (w, a, 3, kec, {labels[0]: 0, labels[1]: 0, labels[2]: 2}, "at_least")]
    out = []
    for seed in range(4):
        w, a = instance(family, 60 + seed, 50, 12)
        groups = np.array([None if j % 4 == 3 else f"g{j % 3}" for j in range(12)], dtype=object)
        if seed % 2 == 0:
            out.append((w, a, 4, groups, {"g0": 1, "g1": 1, "g2": 1}, "at_least"))
        else:
            out.append((w, a, 4, groups, {"g0": 2, "g1": 1, "g2": 0}, "exactly"))
    w, a = instance(family, 40, 200, 24)  # larger: the bound does not prove the greedy's answer
    groups = np.array([None if j % 5 == 4 else f"g{j % 2}" for j in range(24)], dtype=object)
    out.append((w, a, 4, groups, {"g0": 2, "g1": 1}, "at_least"))
    return out


def _quota_brute_force(w, a, p, groups, quotas, mode):
    """Optimum over every p-set meeting the quotas, and per candidate the best such set
    containing it (-inf when none does)."""
    cov = a > 0
    m = a.shape[1]
    best, with_j = -np.inf, np.full(m, -np.inf)
    for s in itertools.combinations(range(m), p):
        count = dict.fromkeys(quotas, 0)
        for j in s:
            if groups[j] is not None and groups[j] in count:
                count[groups[j]] += 1
        if mode == "exactly":
            ok = all(count[g] == q for g, q in quotas.items())
            ok = ok and sum(1 for j in s if groups[j] is None) == p - sum(quotas.values())
        else:
            ok = all(count[g] >= q for g, q in quotas.items())
        if not ok:
            continue
        value = float(w[cov[:, list(s)].any(axis=1)].sum())
        best = max(best, value)
        with_j[list(s)] = np.maximum(with_j[list(s)], value)
    return best, with_j


@pytest.mark.parametrize("family", ["uniform", "clustered", "serang"])
def test_quota_bound_and_closing_test_keep_the_optimum(family, request):
    """With group quotas (at least and exactly; kecamatan as groups on real Serang): the bound
    with the quota rows in the subproblem is never below the brute-force optimum and within
    1 % of the LP relaxation with the quota rows (scipy's HiGHS) unless it stopped early because
    it proves the incumbent, never below that LP; every candidate the test
    closes is in no quota-feasible set better than the incumbent; the MILP after it, from the
    greedy and from a poor start, through the guard and without it, reaches the brute-force
    optimum, proven, as does the unreduced MILP."""
    data_dir = request.getfixturevalue("data_dir") if family == "serang" else None
    closed_any = 0
    for w, a, p, groups, quotas, mode in _quota_cases(family, data_dir):
        opt, with_j = _quota_brute_force(w, a, p, groups, quotas, mode)
        pr = _prepare(w, a, groups=groups, quotas=quotas, quota_mode=mode)
        classes = quota_classes(pr.group, pr.quota, mode == "exactly", p, np.ones(a.shape[1], dtype=bool))
        g = siting.mclp(w, a, p, solver="greedy", threads=1, groups=groups, quotas=quotas, quota_mode=mode)
        poor = best_set(-np.arange(a.shape[1], dtype=np.float64), classes, p)  # lowest indices meeting the quotas
        for start in (np.asarray(g.sites), poor):
            red = reduce_mclp_quotas(sp.csr_matrix(a), w, p, classes, start, None)
            assert red.bound >= opt - 1e-9 * opt, (family, red.bound, opt)
            lp = _quota_lp(w, a, p, pr)  # min over μ of L(μ) is the LP: never below it
            assert red.bound >= lp * (1 - 1e-9) and (red.proven or red.bound <= lp * (1 + 1e-2)), (red.bound, lp)
            assert np.all(with_j[red.closed] <= red.incumbent + 1e-9), (family, with_j[red.closed], red.incumbent)
            closed_any += int(red.closed.sum())
            for guard in (True, False):
                r = milp_mclp(pr, p, None, 1e-9, 0, start_sites=start, guard=guard)
                assert r.objective == pytest.approx(opt, rel=1e-12), (family, mode, r.objective, opt)
                assert r.status == "optimal" and opt <= r.bound <= opt * (1 + 1e-9)
                if not guard:
                    assert r.extra["milp_lagrangian_bound"] >= opt - 1e-9 * opt
        plain = milp_mclp(pr, p, None, 1e-9, 0, reduce=False)
        assert plain.objective == pytest.approx(opt, rel=1e-12)
        auto = siting.mclp(w, a, p, groups=groups, quotas=quotas, quota_mode=mode)
        assert auto.objective == pytest.approx(opt, rel=1e-12) and auto.status == "optimal"
    assert closed_any > 0


def _quota_lp(w, a, p, pr) -> float:
    """LP relaxation of the MCLP with the quota rows (y, z in [0, 1]), by scipy's HiGHS."""
    n, m = a.shape
    link = sp.hstack([-sp.csr_matrix(a), sp.eye(n)])
    rows, lo, hi = [link], [np.full(n, -np.inf)], [np.zeros(n)]
    rows.append(sp.hstack([np.ones((1, m)), sp.csr_matrix((1, n))]))
    lo.append([p])
    hi.append([p])
    exactly = pr.mode == QuotaMode.EXACTLY
    for k in range(len(pr.group_labels)):
        rows.append(sp.hstack([(pr.group == k).astype(np.float64)[None, :], sp.csr_matrix((1, n))]))
        lo.append([pr.quota[k]])
        hi.append([pr.quota[k] if exactly else np.inf])
    if exactly:
        rows.append(sp.hstack([(pr.group < 0).astype(np.float64)[None, :], sp.csr_matrix((1, n))]))
        lo.append([p - pr.quota.sum()])
        hi.append([p - pr.quota.sum()])
    res = milp(np.r_[np.zeros(m), -w], constraints=LinearConstraint(sp.vstack(rows).tocsr(), np.concatenate(lo),
                                                                    np.concatenate(hi)),
               bounds=Bounds(0, 1), integrality=np.zeros(m + n))
    assert res.success
    return -float(res.fun)


@pytest.mark.parametrize("mode", ["at_least", "exactly"])
def test_quota_subproblem_and_exchange_match_brute_force(mode):
    """The greedy set of the quota subproblem has the largest Σσ over every quota-feasible
    p-set, and for every candidate j outside it the best feasible set containing j is worth
    Σσ(T) − σ_f + σ_j with f from the exchange (no feasible set when the exchange finds none),
    by brute force on random σ (10 candidates: 3 groups and 2 of no group)."""
    rng = np.random.default_rng(7)
    group = np.array([0, 0, 0, 1, 1, 1, 2, 2, -1, -1])
    quota = np.array([1, 2, 0]) if mode == "at_least" else np.array([1, 1, 0])  # exactly: group 2 gets none
    p = 4
    for _ in range(30):
        sigma = np.round(rng.random(10) * 10, 1)
        c = quota_classes(group, quota, mode == "exactly", p, np.ones(10, dtype=bool))
        sets = [s for s in itertools.combinations(range(10), p) if meets_classes(np.array(s), c, p)]
        best = max(sigma[list(s)].sum() for s in sets)
        t_set = best_set(sigma, c, p)
        assert meets_classes(t_set, c, p) and sigma[t_set].sum() == pytest.approx(best)
        out = swap_out_value(sigma, t_set, c)
        for j in set(range(10)) - set(t_set.tolist()):
            with_j = [sigma[list(s)].sum() for s in sets if j in s]
            if np.isinf(out[j]):
                assert not with_j
            else:
                assert max(with_j) == pytest.approx(sigma[t_set].sum() - out[j] + sigma[j])


def _lscp_quota_cases(family, data_dir):
    """(w, a, groups, quotas): at-least quotas, some that do not change the optimum and some that
    raise it; REAL Serang: the first 20 desa, r = 4 km, their kecamatan as groups."""
    if family == "serang":
        from jangkau import Region

        region = Region.load("serang", data_dir=data_dir)
        desa = region.zones("desa", crs=region.working_crs).sort_values("code").head(20)
        w, dist = serang_desa(data_dir, 20)
        kec = desa["kecamatan_code"].to_numpy()
        labels = sorted(set(kec))
        a = (dist <= 4.0).astype(np.float64)
        return [(w, a, kec, dict.fromkeys(labels, 0)), (w, a, kec, {labels[0]: 3, labels[1]: 1}),
                (w, a, kec, {labels[0]: 6, labels[1]: 4})]  # the last one binds
    out = []
    for seed in range(6):
        w, a = instance(family, 80 + seed, 60, 12)
        groups = np.array([None if j % 4 == 3 else f"g{j % 3}" for j in range(12)], dtype=object)
        quotas = {"g0": seed % 3, "g1": 1, "g2": 0} if seed < 4 else {"g0": 3, "g1": 2, "g2": 2}  # 4, 5 bind
        out.append((w, a, groups, quotas))
    return out


def _lscp_quota_optimum(a, groups, quotas):
    """Fewest sites covering every coverable row and meeting the at-least quotas (brute force
    by increasing size)."""
    cov = a > 0
    need = cov.any(axis=1)
    m = a.shape[1]
    for k in range(m + 1):
        for s in itertools.combinations(range(m), k):
            if all(sum(1 for j in s if groups[j] == g) >= q for g, q in quotas.items()) and \
                    cov[need][:, list(s)].any(axis=1).all():
                return k
    raise AssertionError("no cover")


@pytest.mark.parametrize("family", ["uniform", "clustered", "serang"])
def test_lscp_with_quotas_keeps_the_bound_of_the_lagrangian_stage(family, request):
    """LSCP with at-least quotas: the Lagrangian stage runs (its bound only), the bound is never
    above the brute-force optimum, and the exact solve from the greedy's cover, the unreduced
    MILP and `auto` all reach that optimum; somewhere the bound alone proves the greedy's cover."""
    data_dir = request.getfixturevalue("data_dir") if family == "serang" else None
    proven_by_bound = 0
    for w, a, groups, quotas in _lscp_quota_cases(family, data_dir):
        opt = _lscp_quota_optimum(a, groups, quotas)
        pr = prepare(LSCP, w, a, n_candidates=None, max_cost=None, groups=groups, quotas=quotas,
                     quota_mode="at_least", fixed=None, precovered=None, zones=None, floors=None)
        g = siting.lscp(w, a, solver="greedy", threads=1, groups=groups, quotas=quotas)
        r = milp_lscp(pr, None, 1e-9, 0, start_sites=g.sites, lagrangian=True)
        assert r.extra["lagrangian_quota_bound_only"] and r.extra["lagrangian_bound"] <= opt
        # the bound-only path: no heuristic covers built, no reduced-cost fixing
        assert "lagrangian_covers" not in r.extra and "milp_candidates_reduced_cost_fixed" not in r.extra
        assert r.objective == opt and r.bound == opt and r.status == "optimal", (family, r.objective, opt)
        proven_by_bound += int(r.extra["lagrangian_bound"] >= g.objective)
        plain = milp_lscp(pr, None, 1e-9, 0, reduce=False)
        assert plain.objective == opt
        auto = siting.lscp(w, a, groups=groups, quotas=quotas)
        assert auto.objective == opt and auto.status == "optimal"
    assert family == "serang" or proven_by_bound > 0
