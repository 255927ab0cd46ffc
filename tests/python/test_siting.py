"""jangkau.selection.siting: exact MILP against brute force, greedy bounds, spopt cross-check,
binding contract (dtypes, errors, threads) and the geometry adapters. All instances here
are SYNTHETIC (seeded random points), except the CLI tests on the real data directory."""

from __future__ import annotations

import itertools
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp
import pytest
import scipy.sparse as sp
import shapely
from siting_cases import clustered

from jangkau.errors import CrsError, InfeasibleError, InvalidInputError
from jangkau.selection import siting


def instance(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    d = rng.random((n, 2))
    c = rng.random((m, 2))
    w = rng.integers(0, 10, n).astype(np.float64)
    cost = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])
    return w, cost, rng


def feasible_sets(m, p, groups=None, quotas=None, fixed=(), exact=False):
    pool = [j for j in range(m) if j not in set(fixed)]
    for s in itertools.combinations(pool, p):
        if groups is not None:
            counts = pd.Series([groups[j] for j in s]).value_counts()
            ok = all((counts.get(g, 0) == q) if exact else (counts.get(g, 0) >= q) for g, q in quotas.items())
            if not ok:
                continue
        yield s


def covered_weight(w, cost, radius, sites, pre=None):
    cov = np.zeros(w.size, bool) if pre is None else pre.copy()
    if len(sites):
        cov |= (cost[:, list(sites)] <= radius).any(axis=1)
    return w[cov].sum()


def median_cost(w, cost, sites):
    return (w * cost[:, list(sites)].min(axis=1)).sum()


# ----------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(12))
def test_mclp_milp_equals_brute_force_and_greedy_is_bounded(seed):
    w, cost, rng = instance(seed, 25, 8)
    p, radius = 1 + seed % 3, 0.3
    groups = quotas = None
    fixed = ()
    exact = seed % 4 == 3
    if seed % 2:
        groups = np.array(rng.choice(["A", "B", None], 8), dtype=object)
        quotas = {"A": 1, "B": 0 if exact else 1}
    if seed % 3 == 2:
        fixed = (7,)
    try:
        opt = max(
            covered_weight(w, cost, radius, tuple(s) + fixed)
            for s in feasible_sets(8, p, groups, quotas, fixed, exact)
        )
    except ValueError:  # no feasible set
        with pytest.raises(InfeasibleError):
            siting.mclp(
                w,
                cost,
                p,
                max_cost=radius,
                groups=groups,
                quotas=quotas,
                fixed=list(fixed),
                quota_mode="exactly" if exact else "at_least",
                solver="milp",
            )
        return
    kw = {
        "max_cost": radius,
        "groups": groups,
        "quotas": quotas,
        "fixed": list(fixed) or None,
        "quota_mode": "exactly" if exact else "at_least",
    }
    exact_r = siting.mclp(w, cost, p, solver="milp", **kw)
    assert exact_r.objective == pytest.approx(opt)
    assert exact_r.status == "optimal"
    greedy = siting.mclp(w, cost, p, **kw)
    assert greedy.objective <= opt + 1e-9
    assert opt <= greedy.bound * (1 + 1e-12)
    assert 0 <= greedy.gap <= 1


@pytest.mark.parametrize("seed", range(8))
def test_mclp_milp_with_equity_floor_equals_brute_force(seed):
    w, cost, _ = instance(100 + seed, 24, 7)
    zones = np.arange(24) % 3
    floors = {0: 0.6, 1: np.nan, 2: 0.4}
    p, radius = 2, 0.35
    best = None
    for s in feasible_sets(7, p):
        cov = (cost[:, list(s)] <= radius).any(axis=1)
        ok = all(
            (w[(zones == z) & cov].sum() >= f * w[zones == z].sum() - 1e-9)
            for z, f in floors.items()
            if not np.isnan(f)
        )
        if ok:
            best = max(best or 0, w[cov].sum())
    if best is None:
        with pytest.raises(InfeasibleError):
            siting.mclp(w, cost, p, max_cost=radius, zones=zones, floors=floors, solver="milp")
        return
    r = siting.mclp(w, cost, p, max_cost=radius, zones=zones, floors=floors, solver="milp")
    assert r.objective == pytest.approx(best)
    assert r.floors_met
    assert bool(r.zone_coverage["floor_met"].all())
    g = siting.mclp(w, cost, p, max_cost=radius, zones=zones, floors=floors)
    table = g.zone_coverage
    assert g.floors_met == bool(table["floor_met"].all())
    assert best <= g.bound * (1 + 1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_p_median_milp_equals_brute_force(seed):
    w, cost, rng = instance(200 + seed, 20, 7)
    p = 1 + seed % 3
    groups = quotas = None
    if seed % 2:
        groups = np.array(rng.choice([1, 2], 7))
        quotas = {1: 1}
        if not (groups == 1).any():
            groups[0] = 1
    opt = min(median_cost(w, cost, s) for s in feasible_sets(7, p, groups, quotas))
    r = siting.p_median(w, cost, p, groups=groups, quotas=quotas, solver="milp")
    assert r.objective == pytest.approx(opt, rel=1e-6)
    g = siting.p_median(w, cost, p, groups=groups, quotas=quotas)
    assert g.objective >= opt * (1 - 1e-9)
    assert g.bound <= opt * (1 + 1e-9)
    assert g.objective == pytest.approx(median_cost(w, cost, g.sites))


@pytest.mark.parametrize("seed", range(8))
def test_lscp_milp_equals_brute_force(seed):
    w, cost, _ = instance(300 + seed, 20, 8)
    radius = 0.3
    cov = cost <= radius
    coverable = cov.any(axis=1)
    best = next(
        k
        for k in range(9)
        for s in itertools.combinations(range(8), k)
        if (cov[:, list(s)].any(axis=1) == coverable).all()
    )
    r = siting.lscp(w, cost, max_cost=radius, solver="milp")
    assert r.objective == best
    assert (r.unreachable == ~coverable).all()
    assert (r.covered == coverable).all()
    g = siting.lscp(w, cost, max_cost=radius)
    assert g.bound <= best <= g.objective
    assert (g.covered == coverable).all()


# ----------------------------------------------------------------------------- spopt


def _spopt_value(model):
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    return pulp.value(model.problem.objective)


@pytest.mark.parametrize("seed", [1, 2])
def test_milp_matches_spopt_mclp_and_lscp(seed):
    from spopt.locate import LSCP, MCLP

    w, cost, _ = instance(400 + seed, 250, 40)
    radius, p = 0.18, 6
    ours = siting.mclp(w, cost, p, max_cost=radius, solver="milp")
    theirs = _spopt_value(MCLP.from_cost_matrix(cost, w, service_radius=radius, p_facilities=p))
    assert ours.objective == pytest.approx(theirs, rel=1e-9)
    g = siting.mclp(w, cost, p, max_cost=radius)
    assert g.objective <= theirs + 1e-9 <= g.bound * (1 + 1e-12) + 1e-9
    ours_l = siting.lscp(w, cost, max_cost=0.25, solver="milp")
    coverable = (cost <= 0.25).any(axis=1)  # spopt's LSCP needs every row coverable
    theirs_l = _spopt_value(LSCP.from_cost_matrix(cost[coverable], service_radius=0.25))
    assert ours_l.objective == pytest.approx(theirs_l)
    assert (ours_l.unreachable == ~coverable).all()


def test_milp_matches_spopt_p_median():
    from spopt.locate import PMedian

    w, cost, _ = instance(500, 120, 25)
    w = w + 1  # spopt assigns zero-weight clients too; keep every client in both models
    ours = siting.p_median(w, cost, 5, solver="milp")
    theirs = _spopt_value(PMedian.from_cost_matrix(cost, w, p_facilities=5))
    assert ours.objective == pytest.approx(theirs, rel=1e-6)
    g = siting.p_median(w, cost, 5)
    assert g.bound <= theirs * (1 + 1e-6) <= g.objective * (1 + 2e-6)


# ----------------------------------------------------------------------------- contract


def test_result_dtypes_and_inputs_forms_agree():
    w, cost, _ = instance(7, 60, 12)
    radius = 0.25
    dense = siting.mclp(w, cost, 3, max_cost=radius)
    assert dense.sites.dtype == np.int64 and dense.sites.shape == (3,)
    assert dense.marginal_gain.dtype == np.float64
    assert dense.covered.dtype == bool and dense.covered.shape == (60,)
    assert isinstance(dense.objective, float) and isinstance(dense.gap, float)
    assert dense.marginal_gain.sum() == pytest.approx(dense.objective)
    assert np.all(np.diff(dense.marginal_gain) <= 1e-9) or dense.swaps > 0
    rows, cols = np.nonzero(cost <= radius)
    coo = siting.mclp(w, (rows, cols), 3, n_candidates=12)
    boolean = siting.mclp(w, sp.csr_matrix(cost <= radius), 3)
    costs = siting.mclp(w, (rows, cols, cost[rows, cols]), 3, n_candidates=12, max_cost=radius)
    for r in (coo, boolean, costs):
        assert r.objective == dense.objective
        assert list(r.sites) == list(dense.sites)
    pm = siting.p_median(w, cost, 3)
    assert pm.assignment.dtype == np.int64 and set(pm.assignment) <= set(pm.sites)
    assert pm.covered is None


def test_fixed_and_precovered_count_as_covered():
    w, cost, _ = instance(8, 50, 10)
    radius = 0.3
    r = siting.mclp(w, cost, 2, max_cost=radius, fixed=[0, 1])
    assert not set(r.sites) & {0, 1}
    assert r.objective == pytest.approx(covered_weight(w, cost, radius, [*list(r.sites), 0, 1]))
    pre = (cost[:, [0, 1]] <= radius).any(axis=1)
    r2 = siting.mclp(w, cost, 2, max_cost=radius, precovered=pre)
    assert r2.objective == pytest.approx(r.objective)


def test_errors_are_typed():
    w, cost, _ = instance(9, 30, 6)
    with pytest.raises(InvalidInputError):
        siting.mclp(w[:-1], cost, 2, max_cost=0.3)  # rows vs weights
    with pytest.raises(InvalidInputError):
        siting.mclp(w.reshape(5, 6), cost, 2, max_cost=0.3)
    with pytest.raises(InvalidInputError):
        siting.mclp(-w - 1, cost, 2, max_cost=0.3)
    with pytest.raises(InvalidInputError):
        siting.mclp(w, cost, 2, max_cost=0.3, solver="magic")
    with pytest.raises(InvalidInputError):
        siting.mclp(w, cost, 2.5, max_cost=0.3)
    with pytest.raises(InvalidInputError):
        siting.mclp(w, cost, 2, max_cost=0.3, groups=["a"] * 5, quotas=1)  # one label per candidate
    with pytest.raises(InvalidInputError):
        siting.mclp(w, (np.array([0]), np.array([9])), 1, n_candidates=6)
    with pytest.raises(InfeasibleError):
        siting.mclp(w, cost, 7, max_cost=0.3)
    groups = ["a", "a", "a", "a", "b", None]
    for solver in ("greedy", "milp"):
        with pytest.raises(InfeasibleError):
            siting.mclp(w, cost, 3, max_cost=0.3, groups=groups, quotas={"b": 2}, solver=solver)
        with pytest.raises(InfeasibleError):
            siting.p_median(w, cost, 2, groups=groups, quotas=2, solver=solver)  # quotas sum to 4 > 2
    err = None
    try:
        siting.mclp(np.array([1.0, np.nan, 2.0]), np.ones((3, 2)), 1)
    except InvalidInputError as e:
        err = e
    assert err is not None and err.feature == 1 and err.field == "demand_weights"
    assert isinstance(err, ValueError)


def test_quotas_respected_for_every_model():
    w, cost, rng = instance(10, 200, 30)
    groups = np.array([f"dapil {k}" for k in rng.integers(1, 5, 30)], dtype=object)
    for r in (
        siting.mclp(w, cost, 8, max_cost=0.15, groups=groups, quotas=2),
        siting.p_median(w, cost, 8, groups=groups, quotas=2),
        siting.lscp(w, cost, max_cost=0.2, groups=groups, quotas=2),
    ):
        counts = pd.Series(groups[r.sites]).value_counts()
        assert all(counts.get(g, 0) >= 2 for g in set(groups))
    r = siting.mclp(w, cost, 8, max_cost=0.15, groups=groups, quotas=2, quota_mode="exactly")
    assert (pd.Series(groups[r.sites]).value_counts() == 2).all()


def test_threads_release_the_gil_and_agree():
    # the C++ greedy's threads and GIL release (the default "auto" would add HiGHS runs)
    w, cost, _ = instance(11, 3000, 200)
    ref = siting.mclp(w, cost, 10, max_cost=0.08, threads=1, solver="greedy")
    with ThreadPoolExecutor(4) as ex:
        results = list(
            ex.map(lambda t: siting.mclp(w, cost, 10, max_cost=0.08, threads=t, solver="greedy"), [1, 2, 3, 4])
        )
    for r in results:
        assert list(r.sites) == list(ref.sites)
        assert r.objective == ref.objective and r.bound == ref.bound


def test_progress_callback_is_called():
    w, cost, _ = instance(12, 100, 20)
    seen = []
    siting.mclp(w, cost, 4, max_cost=0.2, progress=lambda stage, done, total: seen.append(stage))
    assert "greedy" in seen


# ----------------------------------------------------------------------------- geometry


def test_from_geodataframes_matches_brute_force_distances():
    rng = np.random.default_rng(13)
    # synthetic points in UTM 48S metres (an arbitrary patch; not real places)
    dx, dy = 600_000 + rng.random(400) * 20_000, 9_300_000 + rng.random(400) * 20_000
    cx, cy = 600_000 + rng.random(30) * 20_000, 9_300_000 + rng.random(30) * 20_000
    demand = gpd.GeoDataFrame(
        {"pop": rng.integers(0, 500, 400)}, geometry=shapely.points(dx, dy), crs="EPSG:32748"
    )
    cands = gpd.GeoDataFrame({"id": np.arange(30)}, geometry=shapely.points(cx, cy), crs="EPSG:32748")
    inputs = siting.from_geodataframes(
        demand.to_crs("EPSG:4326"), "pop", cands, radius_m=3000, crs="EPSG:32748"
    )
    dist = np.hypot(dx[:, None] - cx[None, :], dy[:, None] - cy[None, :])
    got = inputs.matrix.toarray()
    mask = dist <= 3000
    assert (inputs.matrix.toarray() > 0).sum() + (got[mask] == 0).sum() >= mask.sum()
    np.testing.assert_allclose(got[mask], dist[mask], rtol=1e-6)
    assert inputs.matrix.nnz == mask.sum()
    r = inputs.mclp(5)
    ref = siting.mclp(demand["pop"].to_numpy(float), dist, 5, max_cost=3000)
    assert r.objective == pytest.approx(ref.objective)
    frame = inputs.sites_frame(r)
    assert list(frame["order"]) == [1, 2, 3, 4, 5]
    assert list(frame["candidate_index"]) == list(r.sites)
    with pytest.raises(CrsError):
        siting.from_geodataframes(demand.set_crs(None, allow_override=True), "pop", cands, 1000)


def test_coverage_matrix_keeps_zero_distances():
    pts = np.array([[0.0, 0.0], [10.0, 0.0]])
    m = siting.coverage_matrix(pts, pts[:1], radius_m=5)
    assert m.nnz == 1 and m.shape == (2, 1)
    for solver in ("greedy", "milp"):
        r = siting.mclp(np.array([3.0, 4.0]), m, 1, max_cost=5, solver=solver)
        assert r.objective == 3.0
        assert list(r.covered) == [True, False]
        cover = siting.lscp(np.array([3.0, 4.0]), m, max_cost=5, solver=solver)
        assert cover.objective == 1 and list(cover.unreachable) == [False, True]
        pm = siting.p_median(np.array([3.0, 4.0]), m, 1, solver=solver)
        assert pm.objective == 0.0 and list(pm.unreachable) == [False, True]


# ----------------------------------------------------------------------------- CLI (real data)


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "jangkau.cli", *args], capture_output=True, text=True, check=False
    )


def test_cli_sites_cilegon(data_dir, tmp_path):
    out = tmp_path / "sites.geojson"
    zones = tmp_path / "zones.csv"
    res = _cli(
        "--data",
        str(data_dir),
        "sites",
        "cilegon",
        "--candidates",
        "desa",
        "--model",
        "mclp",
        "--p",
        "3",
        "--radius",
        "2000",
        "-o",
        str(out),
        "--zones-out",
        str(zones),
    )
    assert res.returncode == 0, res.stderr
    sites = gpd.read_file(out)
    assert len(sites) == 3
    assert list(sites["order"]) == [1, 2, 3]
    assert (sites["gap"] >= 0).all() and (sites["bound"] >= sites["objective"] - 1e-6).all()
    table = pd.read_csv(zones)
    assert (table["covered_after"] >= table["covered_before"] - 1e-9).all()
    assert (table["covered_after"] <= table["weight"] + 1e-6).all()
    again = tmp_path / "again.geojson"
    _cli(
        "--data",
        str(data_dir),
        "sites",
        "cilegon",
        "--candidates",
        "desa",
        "--model",
        "mclp",
        "--p",
        "3",
        "--radius",
        "2000",
        "-o",
        str(again),
    )
    assert again.read_bytes() == out.read_bytes()


def test_cli_sites_max_time_needs_roads(data_dir, tmp_path):
    res = _cli(
        "--data",
        str(data_dir),
        "sites",
        "cilegon",
        "--candidates",
        "desa",
        "--model",
        "mclp",
        "--p",
        "3",
        "--max-time",
        "15",
        "-o",
        str(tmp_path / "x.geojson"),
    )
    assert res.returncode == 1
    assert "needs --roads" in res.stderr


def test_cli_sites_serang_per_dapil(data_dir, tmp_path):
    out = tmp_path / "serang.csv"
    res = _cli(
        "--data",
        str(data_dir),
        "sites",
        "serang",
        "--candidates",
        "kecamatan",
        "--model",
        "pmedian",
        "--p",
        "4",
        "--per-dapil",
        "1",
        "-o",
        str(out),
    )
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out)
    assert len(table) == 4
    known = table["dapil"].dropna()
    assert known.nunique() >= 2  # the dapils known for Serang each get at least one site


def test_cli_sites_travel_time_over_roads(data_dir, tmp_path):
    roads = ",".join(
        str(data_dir / "roads" / f"cilegon3672_rtrw_JALAN_{c}_LN.geojson")
        for c in ("ARTERI", "KOLEKTOR", "LOKAL")
    )
    out = tmp_path / "tt.csv"
    zones = tmp_path / "tt_zones.csv"
    res = _cli(
        "--data", str(data_dir), "sites", "cilegon", "--candidates", "desa", "--model", "mclp", "--p", "3",
        "--max-time", "15min", "--roads", roads, "-o", str(out), "--zones-out", str(zones),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out)
    assert len(table) == 3 and (table["gap"] >= 0).all()
    z = pd.read_csv(zones)
    assert table["objective"].iloc[0] == pytest.approx(z["covered_after"].sum())


def test_candidate_points_grid_and_centres(data_dir):
    """Candidates from zone centres lie inside their zone; a grid lies inside the region at the spacing."""
    import shapely

    from jangkau import Region
    from jangkau.selection.siting import candidate_points

    region = Region.load("serang", data_dir=data_dir)
    crs = region.working_crs
    desa = region.zones("desa", crs=crs)
    c = candidate_points(region, "desa", crs)
    assert len(c) == 326
    assert shapely.covers(desa.geometry.values, c.geometry.values).all()
    g = candidate_points(region, "grid:2km", crs)
    area = desa.area.sum()
    assert abs(len(g) - area / 2000.0**2) / (area / 2000.0**2) < 0.1  # ≈ one point per 4 km²
    inside = desa.set_index("code").loc[g["desa_code"]].geometry.values
    assert shapely.covers(inside, g.geometry.values).all()
    xs = np.unique(np.round(g.geometry.x.to_numpy(), 6))
    steps = np.diff(xs) / 2000.0
    assert np.allclose(steps, np.round(steps), atol=1e-9)  # columns lie on the 2 km lattice
    with pytest.raises(InvalidInputError, match="grid"):
        candidate_points(region, "grid:-1km", crs)


# ----------------------------------------------------------------------------- auto solver


def test_relative_gap_is_one_formula():
    assert siting.relative_gap(0, 0) == 0
    assert siting.relative_gap(90, 100) == pytest.approx(0.1)
    assert siting.relative_gap(100, 90) == pytest.approx(0.1)  # minimisation: bound below
    assert np.isnan(siting.relative_gap(float("inf"), 3))
    w, cost = clustered(0, 30, 10)
    for res in (
        siting.mclp(w, cost, 3, max_cost=0.12, solver="greedy"),
        siting.mclp(w, cost, 3, max_cost=0.12, solver="milp"),
        siting.p_median(w, cost, 3, solver="greedy"),
        siting.p_median(w, cost, 3, solver="milp"),
        siting.lscp(w, cost, max_cost=0.2, solver="milp"),
    ):
        assert res.gap == siting.relative_gap(res.objective, res.bound)


@pytest.mark.parametrize("seed", range(8))
def test_auto_equals_brute_force_on_clustered_instances(seed):
    w, cost = clustered(seed, 30, 10)
    m, p, radius = cost.shape[1], 3, 0.12
    best_cov = max(covered_weight(w, cost, radius, s) for s in itertools.combinations(range(m), p))
    best_med = min(median_cost(w, cost, s) for s in itertools.combinations(range(m), p))
    coverable = (cost <= 0.2).any(axis=1)
    best_k = next(
        k
        for k in range(m + 1)
        if any(
            ((cost[:, list(s)] <= 0.2).any(axis=1) | ~coverable).all() for s in itertools.combinations(range(m), k)
        )
    )

    a = siting.mclp(w, cost, p, max_cost=radius)
    g = siting.mclp(w, cost, p, max_cost=radius, solver="greedy")
    assert a.solver == "auto" and a.status == "optimal"
    assert a.objective == pytest.approx(best_cov)
    assert a.objective >= g.objective - 1e-9
    assert covered_weight(w, cost, radius, a.sites) == pytest.approx(a.objective)
    assert a.bound >= best_cov - 1e-6 and a.gap == siting.relative_gap(a.objective, a.bound)

    a = siting.p_median(w, cost, p)
    g = siting.p_median(w, cost, p, solver="greedy")
    assert a.status == "optimal" and a.objective == pytest.approx(best_med)
    assert a.objective <= g.objective + 1e-9
    assert median_cost(w, cost, a.sites) == pytest.approx(a.objective)
    assert a.bound <= best_med + 1e-6 and a.gap <= 1e-6

    a = siting.lscp(w, cost, max_cost=0.2)
    g = siting.lscp(w, cost, max_cost=0.2, solver="greedy")
    assert a.status == "optimal" and a.objective == best_k and a.p == best_k
    assert a.objective <= g.objective
    assert ((cost[:, a.sites] <= 0.2).any(axis=1) | ~coverable).all()
    assert a.bound == best_k and a.gap == 0


def test_auto_time_out_returns_incumbent_with_certified_gap():
    w, cost = clustered(42, 3000, 300, k=6)
    g = siting.mclp(w, cost, 12, max_cost=0.05, solver="greedy")
    a = siting.mclp(w, cost, 12, max_cost=0.05, time_limit_s=1e-3)
    assert a.extra["milp_status"] != "skipped"  # the greedy gap is not 0 here: the MILP ran
    # The budget covers the search too (half of it), so the incumbent is whatever the search
    # reached in 0.5 ms: auto is never worse than that incumbent, and its bound stays valid
    # (above every feasible value, e.g. the unhurried greedy's).
    assert a.objective >= a.extra["incumbent_objective"] - 1e-9
    assert covered_weight(w, cost, 0.05, a.sites) == pytest.approx(a.objective)
    assert a.objective <= a.bound <= a.extra["incumbent_bound"] + 1e-9
    assert g.objective <= a.bound + 1e-9
    assert a.gap == siting.relative_gap(a.objective, a.bound) and 0 <= a.gap

    g = siting.p_median(w, cost, 12, solver="greedy")
    a = siting.p_median(w, cost, 12, time_limit_s=1e-3)
    assert a.objective <= a.extra["incumbent_objective"] + 1e-9
    assert median_cost(w, cost, a.sites) == pytest.approx(a.objective)
    assert a.extra["incumbent_bound"] - 1e-9 <= a.bound <= a.objective
    assert a.bound <= g.objective + 1e-9
    assert a.gap == siting.relative_gap(a.objective, a.bound) and 0 <= a.gap


def test_dense_distance_matrix_needs_max_cost():
    w, cost = clustered(1, 20, 6)
    for fn, args in ((siting.mclp, (2,)), (siting.lscp, ())):
        with pytest.raises(InvalidInputError, match="max_cost is required"):
            fn(w, cost, *args)
    cov01 = (cost <= 0.12).astype(np.int64)  # a real 0/1 coverage matrix is still accepted
    a = siting.mclp(w, cov01, 2)
    b = siting.mclp(w, cost, 2, max_cost=0.12)
    assert a.objective == pytest.approx(b.objective)
    assert siting.lscp(w, cov01.astype(bool)).objective == siting.lscp(w, cost, max_cost=0.12).objective


def test_cli_sites_auto_solver_and_model_names(data_dir, tmp_path):
    outs = {}
    for name in ("p_median", "pmedian"):
        outs[name] = tmp_path / f"{name}.csv"
        res = _cli(
            "--data", str(data_dir), "sites", "cilegon", "--candidates", "desa", "--model", name, "--p", "3",
            "--solver", "auto", "--time-limit", "5", "-o", str(outs[name]),
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
    table = pd.read_csv(outs["p_median"])
    alias = pd.read_csv(outs["pmedian"])
    assert len(table) == 3 and set(table["solver"]) == {"auto"} and set(table["model"]) == {"p_median"}
    assert list(alias["candidate_index"]) == list(table["candidate_index"])
    assert (table["bound"] <= table["objective"] + 1e-6).all() and (table["gap"] >= 0).all()
    greedy = tmp_path / "greedy.csv"
    res = _cli(
        "--data", str(data_dir), "sites", "cilegon", "--candidates", "desa", "--model", "p_median", "--p", "3",
        "--solver", "greedy", "-o", str(greedy),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert table["objective"].iloc[0] <= pd.read_csv(greedy)["objective"].iloc[0] + 1e-6


def test_cli_sites_node_limit_and_threads_reach_the_solver(data_dir, tmp_path, monkeypatch, capsys):
    """--node-limit and --threads reach the solver (a node limit keeps the race off:
    test_siting_race.py), two runs write the same bytes, and --node-limit with the greedy
    (which has no HiGHS nodes) is refused before anything is written."""
    from jangkau.cli import main

    calls = []
    real_solve = siting._solve

    def solve_spy(*a, **kw):
        calls.append((kw["node_limit"], kw["threads"]))
        return real_solve(*a, **kw)

    monkeypatch.setattr(siting, "_solve", solve_spy)
    outs = [tmp_path / f"run{k}.geojson" for k in range(2)]
    for out in outs:
        rc = main([
            "--data", str(data_dir), "sites", "serang", "--candidates", "desa", "--model", "mclp", "--p", "12",
            "--radius", "1500", "--solver", "auto", "--time-limit", "30", "--node-limit", "40", "--threads", "2",
            "-o", str(out),
        ])  # fmt: skip
        assert rc == 0, capsys.readouterr().err
    assert calls == [(40, 2), (40, 2)]
    assert outs[0].read_bytes() == outs[1].read_bytes()
    sites = gpd.read_file(outs[0])
    assert len(sites) == 12 and (sites["gap"] >= 0).all()
    rc = main([
        "--data", str(data_dir), "sites", "serang", "--candidates", "desa", "--model", "mclp", "--p", "12",
        "--radius", "1500", "--solver", "greedy", "--node-limit", "40", "-o", str(tmp_path / "g.geojson"),
    ])  # fmt: skip
    assert rc != 0 and "--node-limit applies to --solver auto or milp" in capsys.readouterr().err
    assert not (tmp_path / "g.geojson").exists()


@pytest.mark.parametrize("seed", range(6))
def test_auto_matches_milp_with_quotas_fixed_floors(seed):
    w, cost = clustered(seed, 40, 12)
    rng = np.random.default_rng(seed)
    groups, zones, pre = rng.integers(0, 3, 12), rng.integers(0, 4, 40), rng.random(40) < 0.1
    kw = {"groups": groups, "quotas": 1, "fixed": [0]}
    for fn, args in (
        (siting.mclp, (w, cost, 4)),
        (siting.p_median, (w, cost, 3)),
        (siting.lscp, (w, cost)),
    ):
        extra = {"max_cost": 0.15, "precovered": pre} if fn is not siting.p_median else {}
        exact = fn(*args, solver="milp", **kw, **extra)
        auto = fn(*args, **kw, **extra)
        assert auto.objective == pytest.approx(exact.objective) and auto.status == "optimal"
    # floors: the greedy pursues them heuristically, the MILP decides; impossible floors give
    # the incumbent flagged floors_met=False (never "optimal"), where solver="milp" raises
    try:
        exact = siting.mclp(w, cost, 4, max_cost=0.12, zones=zones, floors=0.3, solver="milp")
    except InfeasibleError:
        exact = None
    auto = siting.mclp(w, cost, 4, max_cost=0.12, zones=zones, floors=0.3)
    if exact is None:
        assert not auto.floors_met and auto.status == "heuristic"
    else:
        assert auto.floors_met and auto.objective == pytest.approx(exact.objective)


# ----------------------------------------------------------------------------- MILP preprocessing


@pytest.mark.parametrize("seed", range(4))
def test_milp_merges_identical_demand_rows_without_changing_the_optimum(seed):
    """Demand points with the same candidate set (MCLP/LSCP) or the same costs (p-median) share
    one row of the MILP with their summed weight. Brute force on the duplicated instance, and a
    near-duplicate (different costs) that p-median must keep apart."""
    w, cost = clustered(seed, 24, 9)
    rng = np.random.default_rng(seed)
    dup = rng.integers(0, 24, 40)  # 40 copies of existing points, with weights of their own
    w2 = np.concatenate([w, rng.integers(1, 20, dup.size).astype(np.float64)])
    cost2 = np.vstack([cost, cost[dup]])
    cost2[-1] += 1e-3  # the last copy is near, not identical: its own p-median row
    m, p, radius = cost.shape[1], 3, 0.12

    best_cov = max(covered_weight(w2, cost2, radius, s) for s in itertools.combinations(range(m), p))
    r = siting.mclp(w2, cost2, p, max_cost=radius, solver="milp")
    assert r.objective == pytest.approx(best_cov)
    assert r.extra["milp_demand_rows_merged"] < r.extra["milp_demand_rows"]
    assert covered_weight(w2, cost2, radius, r.sites) == pytest.approx(r.objective)

    best_med = min(median_cost(w2, cost2, s) for s in itertools.combinations(range(m), p))
    r = siting.p_median(w2, cost2, p, solver="milp")
    assert r.objective == pytest.approx(best_med)
    assert r.extra["milp_demand_rows_merged"] == 24 + 1  # every exact copy merged, the near one kept
    assert r.extra["milp_demand_rows"] == 24 + 40

    r = siting.lscp(w2, cost2, max_cost=0.2, solver="milp")
    g = siting.lscp(w, cost, max_cost=0.2, solver="milp")
    assert r.objective == g.objective  # the copies add no new candidate sets
    assert r.extra["milp_demand_rows_merged"] <= g.extra["milp_demand_rows"]


def test_identical_rows_groups_by_columns_values_and_label():
    from jangkau.selection.siting_reductions import identical_rows

    a = sp.csr_matrix(np.array([[1.0, 0, 2], [1.0, 0, 2], [3.0, 0, 2], [0, 5.0, 0], [1.0, 0, 2]]))
    first, inverse = identical_rows(a, values=False)
    assert first.tolist() == [0, 3] and inverse.tolist() == [0, 0, 0, 1, 0]
    first, inverse = identical_rows(a, values=True)
    assert first.tolist() == [0, 2, 3] and inverse.tolist() == [0, 0, 1, 2, 0]
    first, inverse = identical_rows(a, values=False, extra=np.array([0, 1, 0, 0, 1]))
    assert first.tolist() == [0, 1, 3] and inverse.tolist() == [0, 1, 0, 2, 1]


# ----------------------------------------------------------------------------- marginal gains


def _gains_by_hand(w, cost, sites, model, radius=None):
    """Marginal gains of sites taken in the given order, recomputed from scratch."""
    out, served = [], []
    for k in range(len(sites)):
        before, after = list(sites[:k]), list(sites[: k + 1])
        if model == "mclp":
            out.append(covered_weight(w, cost, radius, after) - covered_weight(w, cost, radius, before))
            continue
        c_before = cost[:, before].min(axis=1) if before else np.full(w.size, np.inf)
        c_after = cost[:, after].min(axis=1)
        was = np.isfinite(c_before)
        out.append(float((w[was] * (c_before[was] - c_after[was])).sum()))
        served.append(float(w[~was & np.isfinite(c_after)].sum()))
    return np.array(out), np.array(served)


@pytest.mark.parametrize("seed", range(4))
def test_marginal_gain_has_one_meaning_for_every_solver(seed):
    """Greedy (after swaps), MILP and auto report the same order and gains for the same sites;
    the p-median gain hides no penalty for unserved demand (the weight a site first serves is
    reported apart, extra['marginal_served'])."""
    w, cost = clustered(seed, 40, 12)
    radius, p = 0.12, 4
    res = [siting.mclp(w, cost, p, max_cost=radius, solver=s) for s in ("greedy", "milp", "auto")]
    for r in res:
        gains, _ = _gains_by_hand(w, cost, r.sites, "mclp", radius)
        np.testing.assert_allclose(r.marginal_gain, gains, atol=1e-9)
        assert np.all(np.diff(r.marginal_gain) <= 1e-9)  # taken in order of gain
        assert r.marginal_gain.sum() == pytest.approx(r.objective)
    # the order depends on the set only, not on the order a solver found it in
    from jangkau.selection.siting_instance import MCLP, prepare, selection_order

    pr = prepare(MCLP, w, cost, n_candidates=None, max_cost=radius, groups=None, quotas=None,
                 quota_mode="at_least", fixed=None, precovered=None, zones=None, floors=None)
    for r in res:
        again, gains, _ = selection_order(pr, MCLP, np.random.default_rng(seed).permutation(r.sites))
        np.testing.assert_array_equal(again, r.sites)
        np.testing.assert_allclose(gains, r.marginal_gain)

    sparse = np.where(cost <= 0.35, cost, np.inf)  # truncated: some sites serve points others cannot reach
    res = [siting.p_median(w, sparse, p, solver=s) for s in ("greedy", "milp")]
    for r in res:
        gains, served = _gains_by_hand(w, sparse, r.sites, "p_median")
        np.testing.assert_allclose(r.marginal_gain, gains, atol=1e-6)
        np.testing.assert_allclose(r.extra["marginal_served"], served, atol=1e-9)
        assert r.marginal_gain[0] == 0.0  # nothing was served before the first site
        assert r.extra["marginal_served"][0] > 0
    if set(res[0].sites) == set(res[1].sites):
        np.testing.assert_array_equal(res[0].sites, res[1].sites)
        np.testing.assert_allclose(res[0].marginal_gain, res[1].marginal_gain)


def test_node_limit_bounds_the_exact_phase_without_a_clock():
    """node_limit (with no time limit) stops HiGHS by work, so a repeat gives the same answer;
    the answer is never worse than the greedy and carries a valid certified bound."""
    import math

    w, cost = clustered(7, 1500, 120, k=5)
    g = siting.mclp(w, cost, 8, max_cost=0.05, solver="greedy")
    runs = [siting.mclp(w, cost, 8, max_cost=0.05, node_limit=1, time_limit_s=math.inf) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].sites, runs[1].sites)
    assert runs[0].objective == runs[1].objective >= g.objective - 1e-9
    exact = siting.mclp(w, cost, 8, max_cost=0.05, solver="milp")
    assert exact.status == "optimal"
    assert runs[0].bound >= exact.objective - 1e-6 and runs[0].objective <= exact.objective + 1e-6
    for bad in (-1, 1.5, True):
        with pytest.raises(InvalidInputError, match="node_limit"):
            siting.mclp(w, cost, 8, max_cost=0.05, node_limit=bad)
