"""jangkau.network.travel end to end on Kota Cilegon (RTRW roads, puskesmas), cross-checked against
scipy.sparse.csgraph and networkx on an independently built graph, and against PySAL
``access`` on the same cost table; bad input; the ``jangkau access`` CLI.

The reference graph is built here, not by jangkau: every road piece that holds snapped
points is split at them (a chain u → p1 → … → v with times proportional to the arc
fraction, the twin direction likewise), and each demand point / facility is a node joined to
its road point by its walking leg (demand → road, road → facility). Shortest demand →
facility times on that graph must equal jangkau's seed-based search to 1e-9 relative.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import access  # PySAL access
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from access import weights as pysal_weights
from scipy.sparse.csgraph import dijkstra

import jangkau
from jangkau.cli import main
from jangkau.data.facilities import read_facilities
from jangkau.errors import InvalidInputError
from jangkau.network import travel
from jangkau.network.build import build_roads
from jangkau.network.roads import RoadNetwork, road_class_from_name

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning", "ignore::FutureWarning")

RTOL = 1e-9
CELL = 250.0  # metres: a coarse surface keeps the test quick; the method is the same at any size


def road_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "roads").glob("cilegon3672_rtrw_*_LN.geojson"))


@pytest.fixture(scope="module")
def cilegon(data_dir):
    files = road_files(data_dir)
    assert len(files) == 6
    roads = build_roads([",".join(map(str, files))])
    region = jangkau.Region.load("cilegon", data_dir=data_dir)
    fac = read_facilities([data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"])
    fac = fac[fac["facility_type"] == "puskesmas"].reset_index(drop=True)
    dm = travel.demand(region, level="kecamatan", cell_size=CELL)
    model = travel.TravelModel(roads, fac, dm)
    return roads, region, fac, dm, model


# ---------------------------------------------------------------------------- reference graph
def reference_edges(roads: RoadNetwork, model: travel.TravelModel):
    """(from, to, time) of the split graph with demand node ids D0+i and facility ids F0+j."""
    ef, et, tt, twin = roads.edge_from, roads.edge_to, roads.edge_time_s, roads.edge_twin
    n = roads.node_count
    ds, fs = model.demand_snap, model.facility_snap
    pts = []
    for kind, snap in (("d", ds), ("f", fs)):
        ok = ~snap["beyond_max"].to_numpy()
        for i in np.flatnonzero(ok):
            pts.append((int(snap["edge"].iat[i]), float(snap["fraction"].iat[i]), kind, int(i),
                        float(snap["walk_time_s"].iat[i])))
    by_edge: dict[int, list] = {}
    for p in pts:
        by_edge.setdefault(p[0], []).append(p)
    D0, F0 = n, n + len(ds)
    nxt = F0 + len(fs)
    rows = []
    split = set()
    for e, plist in by_edge.items():
        plist.sort(key=lambda p: (p[1], p[2], p[3]))
        split.add(e)
        tw = int(twin[e])
        if tw >= 0:
            split.add(tw)
        chain = [(int(ef[e]), 0.0)]
        for _, frac, kind, i, walk in plist:
            road_node = nxt
            nxt += 1
            chain.append((road_node, frac))
            if kind == "d":
                rows.append((D0 + i, road_node, walk))
            else:
                rows.append((road_node, F0 + i, walk))
        chain.append((int(et[e]), 1.0))
        for (a, fa), (b, fb) in itertools.pairwise(chain):
            rows.append((a, b, (fb - fa) * tt[e]))
            if tw >= 0:
                rows.append((b, a, (fb - fa) * tt[tw]))
    for e in range(roads.edge_count):
        if e not in split:
            rows.append((int(ef[e]), int(et[e]), float(tt[e])))
    frame = pd.DataFrame(rows, columns=["a", "b", "w"]).groupby(["a", "b"], as_index=False)["w"].min()
    return frame, D0, F0, nxt


def test_nearest_equals_scipy_and_networkx(cilegon):
    roads, _region, _fac, dm, model = cilegon
    near = model.nearest()
    assert near["time_s"].dtype == np.float64 and near["facility"].dtype == np.int64
    assert len(near) == len(dm.points)  # nothing dropped
    frame, D0, F0, n_all = reference_edges(roads, model)
    nd, nf = len(model.demand_snap), len(model.facility_snap)
    # scipy: reversed graph (b → a), one min_only search from all facility nodes
    rev = sp.csr_matrix((frame["w"].to_numpy(), (frame["b"].to_numpy(), frame["a"].to_numpy())),
                        shape=(n_all, n_all))
    dist, _, src = dijkstra(rev, directed=True, indices=np.arange(F0, F0 + nf), min_only=True,
                            return_predecessors=True)
    ref = dist[D0:D0 + nd]
    ours = near["time_s"].to_numpy()
    assert np.array_equal(np.isinf(ours), np.isinf(ref))
    fin = np.isfinite(ref)
    assert fin.sum() > 0.9 * nd
    np.testing.assert_allclose(ours[fin], ref[fin], rtol=RTOL, atol=0)
    # the facility found gives that time (ties aside)
    ref_fac = src[D0:D0 + nd] - F0
    agree = ref_fac[fin] == near["facility"].to_numpy()[fin]
    assert agree.mean() > 0.99
    # networkx on the same edges
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(frame["b"], frame["a"], frame["w"]))
    lengths = nx.multi_source_dijkstra_path_length(g, [F0 + j for j in range(nf) if g.has_node(F0 + j)])
    nx_ref = np.array([lengths.get(D0 + i, np.inf) for i in range(nd)])
    np.testing.assert_allclose(ours[fin], nx_ref[fin], rtol=RTOL, atol=0)
    assert np.array_equal(np.isinf(ours), np.isinf(nx_ref))
    # not-snapped points are reported with time inf, never dropped
    ns = near["not_snapped"].to_numpy()
    assert ns.any() and np.isinf(ours[ns]).all()


def test_matrix_equals_reference_within_cutoff(cilegon):
    roads, _region, _fac, _dm, model = cilegon
    cutoff = 900.0
    tt = model.matrix(cutoff)
    assert (tt["time_s"] <= cutoff).all()
    frame, D0, F0, n_all = reference_edges(roads, model)
    nd, nf = len(model.demand_snap), len(model.facility_snap)
    rev = sp.csr_matrix((frame["w"].to_numpy(), (frame["b"].to_numpy(), frame["a"].to_numpy())),
                        shape=(n_all, n_all))
    dist = dijkstra(rev, directed=True, indices=np.arange(F0, F0 + nf))[:, D0:D0 + nd]  # facility x demand
    j, i = np.nonzero(dist <= cutoff)
    ref = pd.DataFrame({"point": i, "facility": j, "time_s": dist[j, i]}).sort_values(["facility", "point"])
    assert len(ref) == len(tt)
    np.testing.assert_array_equal(ref["point"].to_numpy(), tt["point"].to_numpy())
    np.testing.assert_array_equal(ref["facility"].to_numpy(), tt["facility"].to_numpy())
    np.testing.assert_allclose(tt["time_s"].to_numpy(), ref["time_s"].to_numpy(), rtol=RTOL, atol=0)
    # the nearest from the matrix is the nearest of the search (cutoff <=)
    near = model.nearest(cutoff_s=cutoff)
    best = tt.groupby("point")["time_s"].min()
    np.testing.assert_allclose(near["time_s"].to_numpy()[best.index], best.to_numpy(), rtol=RTOL)
    assert np.isinf(near["time_s"].to_numpy()[np.setdiff1d(np.arange(nd), best.index)]).all()


def test_by_zone_per_kecamatan(cilegon):
    _roads, region, _fac, dm, model = cilegon
    kec = region.zones("kecamatan")
    near = model.nearest()
    table = model.by_zone((15, 30), nearest=near)
    assert list(table["code"]) == sorted(kec["code"].astype(str))
    # exact population per zone: the pieces sum to the region's kecamatan figures
    pop = dict(zip(kec["code"].astype(str), kec["population"]))
    np.testing.assert_allclose(table["population"], [pop[c] for c in table["code"]], rtol=1e-9)
    assert table["population"].sum() == pytest.approx(480378.0, rel=1e-9)
    # recompute by hand from the pieces
    p = dm.pieces
    t = near["time_s"].to_numpy()[p["point"]] / 60.0
    w = p["population"].to_numpy()
    for k in range(len(table)):
        m = (p["zone"].to_numpy() == k)
        fin = m & np.isfinite(t)
        assert table["mean_time_min"].iat[k] == pytest.approx(np.sum(t[fin] * w[fin]) / np.sum(w[fin]), rel=1e-9)
        assert table["within_15min"].iat[k] == pytest.approx(np.sum(w[m & (t <= 15)]), rel=1e-9, abs=1e-9)
        assert table["unreachable_population"].iat[k] == pytest.approx(np.sum(w[m & ~np.isfinite(t)]), abs=1e-6)
        # inverted-CDF weighted median
        order = np.argsort(t[m], kind="stable")
        cw = np.cumsum(w[m][order])
        med = t[m][order][np.searchsorted(cw, 0.5 * cw[-1] * (1 - 1e-15))]
        assert table["p50_time_min"].iat[k] == pytest.approx(med, rel=1e-9)
    assert (table["within_30min"] >= table["within_15min"]).all()
    assert (table["not_snapped"] <= table["unreachable_population"] + 1e-9).all()
    assert (table["p90_time_min"] >= table["p50_time_min"]).all()


def test_network_coverage_several_thresholds(cilegon):
    _roads, _region, _fac, _dm, model = cilegon
    cov = model.coverage([10, 20, 30])
    assert set(cov["max_time_min"]) == {10.0, 20.0, 30.0}
    wide = cov.pivot(index="code", columns="max_time_min", values="covered")
    assert (wide[20.0] >= wide[10.0]).all() and (wide[30.0] >= wide[20.0]).all()
    assert (cov["covered"] <= cov["population"] + 1e-9).all()
    near = model.by_zone([10, 20, 30])
    np.testing.assert_allclose(wide[20.0].to_numpy(), near.set_index("code").loc[wide.index, "within_20min"],
                               rtol=1e-12)


def pysal(d, s, cost, population, capacity):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return access.Access(
            demand_df=pd.DataFrame({"geoid": np.arange(len(population)), "pop": population}),
            demand_index="geoid", demand_value="pop",
            supply_df=pd.DataFrame({"geoid": np.arange(len(capacity)), "doc": capacity}),
            supply_index="geoid", supply_value=["doc"],
            cost_df=pd.DataFrame({"origin": d, "dest": s, "cost": cost}), cost_origin="origin", cost_dest="dest",
            cost_name="cost")


def test_2sfca_e2sfca_equal_pysal(cilegon):
    _roads, _region, _fac, dm, model = cilegon
    pop = dm.points["population"].to_numpy()
    cap = model.capacity
    res = model.accessibility(travel.AccessMethod.TWO_SFCA, max_time_min=15.0)
    tt = model.matrix(15 * 60.0)
    A = pysal(tt["point"].to_numpy(), tt["facility"].to_numpy(), tt["time_s"].to_numpy() / 60.0, pop, cap)
    theirs = A.two_stage_fca(name="x", max_cost=15.0)
    col = next(c for c in theirs.columns if c.startswith("x"))
    ref = theirs[col].reindex(range(len(pop))).fillna(0.0).to_numpy()
    np.testing.assert_allclose(res.points["access"].to_numpy(), ref, rtol=RTOL, atol=1e-300)
    # supply is conserved over the facilities that reach anyone
    reached = np.unique(tt["facility"].to_numpy())
    assert np.sum(pop * res.points["access"].to_numpy()) == pytest.approx(cap[reached].sum(), rel=1e-9)
    # per zone: population-weighted mean of A over the pieces
    p = dm.pieces
    a = res.points["access"].to_numpy()[p["point"]]
    for k in range(len(res.zones)):
        m = p["zone"].to_numpy() == k
        w = p["population"].to_numpy()[m]
        assert res.zones["access"].iat[k] == pytest.approx(np.sum(w * a[m]) / np.sum(w), rel=1e-9)
    # E2SFCA, Luo & Qi zones 10/20/30 min
    res_e = model.accessibility(travel.AccessMethod.E2SFCA)
    tt30 = model.matrix(30 * 60.0)
    A = pysal(tt30["point"].to_numpy(), tt30["facility"].to_numpy(), tt30["time_s"].to_numpy() / 60.0, pop, cap)
    theirs = A.enhanced_two_stage_fca(name="e", weight_fn=pysal_weights.step_fn({10: 1.0, 20: 0.68, 30: 0.22}))
    col = next(c for c in theirs.columns if c.startswith("e"))
    ref = theirs[col].reindex(range(len(pop))).fillna(0.0).to_numpy()
    np.testing.assert_allclose(res_e.points["access"].to_numpy(), ref, rtol=RTOL, atol=1e-300)


@pytest.mark.parametrize("method", [travel.AccessMethod.TWO_SFCA, travel.AccessMethod.E2SFCA,
                                    travel.AccessMethod.GAUSSIAN, travel.AccessMethod.GRAVITY])
def test_matrix_free_equals_matrix_route(cilegon, method):
    roads, _region, fac, dm, model = cilegon
    for kwargs in ({}, {"facilities": [0, 2, 5]}, {"competition": True}):
        if "competition" in kwargs and method is not travel.AccessMethod.GRAVITY:
            continue
        fused = model.accessibility(method, max_time_min=20.0, **kwargs)
        table = model.accessibility(method, max_time_min=20.0, matrix_free=False, **kwargs)
        # same pair costs, same summation order: equal to the last bit
        np.testing.assert_array_equal(fused.points["access"], table.points["access"])
        np.testing.assert_array_equal(fused.facilities["ratio"], table.facilities["ratio"])
        np.testing.assert_array_equal(fused.result.catchment_demand, table.result.catchment_demand)
    # the thread count does not change the result
    one = travel.TravelModel(roads, fac, dm, threads=1).accessibility(method, max_time_min=20.0)
    np.testing.assert_array_equal(one.points["access"].to_numpy(),
                                  model.accessibility(method, max_time_min=20.0).points["access"].to_numpy())


def test_capacity_column_and_gravity(cilegon):
    roads, _region, fac, dm, _model = cilegon
    f = fac.copy()
    f["beds"] = np.arange(1, len(f) + 1, dtype=float)
    f.loc[0, "beds"] = np.nan  # missing → 1
    m = travel.TravelModel(roads, f, dm, capacity_column="beds")
    assert m.capacity[0] == 1.0 and m.capacity[1] == 2.0
    g = m.accessibility(travel.AccessMethod.GRAVITY, max_time_min=30.0)
    assert (g.points["access"] >= 0).all() and np.isfinite(g.zones["access"]).all()
    with pytest.raises(jangkau.UnknownColumnError):
        travel.TravelModel(roads, f, dm, capacity_column="nope")


def test_centroid_demand(cilegon):
    roads, region, fac, _dm, _model = cilegon
    dc = travel.demand(region, level="kecamatan", kind=travel.DemandKind.CENTROIDS)
    assert len(dc.points) == 43
    m = travel.TravelModel(roads, fac, dc)
    table = m.by_zone([30])
    assert table["population"].sum() == pytest.approx(480378.0, rel=1e-9)


# ---------------------------------------------------------------------------- bad input
def test_far_and_unreachable_facilities_are_data(cilegon):
    roads, _region, fac, dm, _model = cilegon
    f = fac.to_crs(roads.crs).copy()
    # facility 0 moved 20 km out to sea: not snapped, reported, serves nobody
    f.loc[0, "geometry"] = shapely.Point(f.geometry.iat[0].x - 20000, f.geometry.iat[0].y)
    comps = roads.component_labels
    assert comps.max() >= 1  # the RTRW layers do not all connect: a component report exists
    assert len(roads.components()) > 1
    # facility 1 on a small component: reachable only from there
    small = int(np.flatnonzero(comps == comps.max())[0])
    f.loc[1, "geometry"] = shapely.Point(roads.node_x[small], roads.node_y[small])
    m = travel.TravelModel(roads, f.iloc[:2], dm)
    rep = m.snap_report()
    assert ((rep["what"] == "facility") & (rep["index"] == 0)).sum() == 1
    near = m.nearest()
    assert (near["facility"] != 0).all()
    t = near["time_s"].to_numpy()
    assert np.isinf(t).mean() > 0.9  # almost everyone is on another component: inf, not an error
    assert (near.loc[np.isfinite(t), "facility"] == 1).all()
    tab = m.by_zone([30], nearest=near)
    assert (tab["unreachable_population"] > 0).all()
    assert np.isinf(tab["p90_time_min"]).all()


def test_bad_arguments(cilegon, data_dir, tmp_path):
    roads, _region, fac, dm, model = cilegon
    with pytest.raises(jangkau.InvalidInputError):
        travel.TravelModel(roads, fac, dm, max_snap_m=-1)
    with pytest.raises(jangkau.InvalidInputError):
        model.accessibility(travel.AccessMethod.NEAREST)
    with pytest.raises(jangkau.DataFileError):
        build_roads([str(tmp_path / "nope.geojson")])
    with pytest.raises(jangkau.InvalidInputError):
        build_roads([])
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs="EPSG:32748")
    with pytest.raises(jangkau.GeometryError):
        travel.TravelModel(roads, lines, dm)
    # demand points with a missing, non-numeric or negative population: typed error naming
    # the point and the column (no silent zero)
    pts = dm.points.iloc[:5].copy()
    for bad_value, k in ((np.nan, 2), ("banyak", 3), (-1.0, 4)):
        bad = pts.astype({"population": object})
        bad.iloc[k, bad.columns.get_loc("population")] = bad_value
        with pytest.raises(jangkau.InvalidInputError) as err:
            travel.TravelModel(roads, fac, bad)
        assert err.value.feature == k and err.value.field == "population"
    assert travel.TravelModel(roads, fac, pts).demand.points["population"].sum() == pts["population"].sum()
    assert travel.parse_duration_s("30min") == 1800 and travel.parse_duration_s("1h") == 3600
    assert travel.parse_duration_s("900s") == 900 and travel.parse_duration_s("1h30min") == 5400
    for bad in ("soon", "-5min", "0s", ""):
        with pytest.raises(jangkau.InvalidInputError):
            travel.parse_duration_s(bad)
    assert road_class_from_name("x/cilegon3672_rtrw_JALAN_ARTERI_LN.geojson", ["arteri", "tol"]) == "arteri"
    assert road_class_from_name("cilegon3672_rtrw_JARINGAN_JALAN_NASIONAL_LN.geojson", ["nasional"]) == "nasional"


# ---------------------------------------------------------------------------- CLI
def test_cli_access_csv_and_geojson(data_dir, tmp_path, capsys):
    roads = ",".join(str(p) for p in road_files(data_dir))
    fac = str(data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson")
    out = tmp_path / "access.csv"
    rc = main(["--data", str(data_dir), "-q", "access", "cilegon", "--roads", roads, "--facilities", fac,
               "--type", "puskesmas", "--method", "2sfca", "--max-time", "20min", "--cell-size", "400",
               "--level", "kecamatan", "-o", str(out)])
    assert rc == 0
    table = pd.read_csv(out)
    assert len(table) == 8 and {"access", "mean_time_min", "within_20min", "not_snapped"} <= set(table.columns)
    again = tmp_path / "again.csv"
    assert main(["--data", str(data_dir), "-q", "access", "cilegon", "--roads", roads, "--facilities", fac,
                 "--type", "puskesmas", "--method", "2sfca", "--max-time", "20min", "--cell-size", "400",
                 "--level", "kecamatan", "-o", str(again)]) == 0
    assert out.read_bytes() == again.read_bytes()  # deterministic output
    out2 = tmp_path / "nearest.geojson"
    iso = tmp_path / "iso.geojson"
    rc = main(["--data", str(data_dir), "-q", "access", "cilegon", "--roads", roads, "--facilities", fac,
               "--type", "puskesmas", "--cell-size", "400", "--level", "desa", "-o", str(out2),
               "--isochrones", str(iso), "--bands", "5,10"])
    assert rc == 0
    g = gpd.read_file(out2)
    assert len(g) == 43 and "p90_time_min" in g.columns
    bands = gpd.read_file(iso)
    assert list(bands["band_min"]) == [5.0, 10.0] and bands.geometry.is_valid.all()
    # bad input: one line on stderr, exit 1
    rc = main(["--data", str(data_dir), "access", "cilegon", "--roads", str(tmp_path / "missing.geojson"),
               "--facilities", fac, "-o", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "missing.geojson" in err[0]
    with pytest.raises(SystemExit) as exc:  # a bad option value is a usage error, before any work
        main(["--data", str(data_dir), "access", "cilegon", "--roads", roads, "--facilities", fac,
              "--max-time", "soon", "-o", str(tmp_path / "x.csv")])
    assert exc.value.code == 2


def test_oneway_osm_network_equals_scipy(data_dir):
    """A real OSM extract with one-way streets (Monaco); demand and facility points are
    SYNTHETIC (seeded uniform points in the network's bounding box), so the direction of
    travel (demand → facility on the reversed graph) matters and is checked."""
    roads = build_roads([str(data_dir / "roads" / "osm_monaco_osrm-backend.osm.pbf")])
    assert (roads.edge_twin < 0).any()  # one-way edges exist
    rng = np.random.default_rng(20261127)
    x0, x1 = np.quantile(roads.node_x, [0.05, 0.95])
    y0, y1 = np.quantile(roads.node_y, [0.05, 0.95])
    demand_pts = gpd.GeoDataFrame({"population": rng.integers(1, 100, 600).astype(float), "synthetic": True},
                                  geometry=shapely.points(rng.uniform(x0, x1, 600), rng.uniform(y0, y1, 600)),
                                  crs=roads.crs)
    fac = gpd.GeoDataFrame({"synthetic": [True] * 6},
                           geometry=shapely.points(rng.uniform(x0, x1, 6), rng.uniform(y0, y1, 6)), crs=roads.crs)
    model = travel.TravelModel(roads, fac, demand_pts, max_snap_m=200)
    near = model.nearest()
    frame, D0, F0, n_all = reference_edges(roads, model)
    nd, nf = len(model.demand_snap), len(model.facility_snap)
    rev = sp.csr_matrix((frame["w"].to_numpy(), (frame["b"].to_numpy(), frame["a"].to_numpy())),
                        shape=(n_all, n_all))
    ref = dijkstra(rev, directed=True, indices=np.arange(F0, F0 + nf), min_only=True)[D0:D0 + nd]
    ours = near["time_s"].to_numpy()
    assert np.array_equal(np.isinf(ours), np.isinf(ref))
    fin = np.isfinite(ref)
    assert fin.sum() > 0.5 * nd
    np.testing.assert_allclose(ours[fin], ref[fin], rtol=RTOL, atol=0)
    # some demand points sit on one-way streets, where only one way onto the network exists
    ds = model.demand_snap
    ok = ~ds["beyond_max"].to_numpy()
    assert (roads.edge_twin[ds["edge"].to_numpy()[ok]] < 0).sum() > 10


def test_same_edge_pairs_equal_a_pandas_join(cilegon):
    """The direct along-the-edge pairs (numpy join) equal a plain pandas merge on the edge."""
    roads, _region, _fac, _dm, model = cilegon
    fs, ds = model.facility_snap, model.demand_snap
    f_ok = ~fs["beyond_max"].to_numpy() & (fs["edge"].to_numpy() >= 0)
    d_ok = ~ds["beyond_max"].to_numpy() & (ds["edge"].to_numpy() >= 0)
    f = pd.DataFrame({"facility": np.flatnonzero(f_ok), "edge": fs["edge"].to_numpy()[f_ok],
                      "tf": fs["fraction"].to_numpy()[f_ok], "wf": fs["walk_time_s"].to_numpy()[f_ok]})
    d = pd.DataFrame({"point": np.flatnonzero(d_ok), "edge": ds["edge"].to_numpy()[d_ok],
                      "td": ds["fraction"].to_numpy()[d_ok], "wd": ds["walk_time_s"].to_numpy()[d_ok]})
    m = d.merge(f, on="edge", how="inner")
    e = m["edge"].to_numpy()
    twin = roads.edge_twin[e]
    t_twin = np.where(twin >= 0, roads.edge_time_s[np.maximum(twin, 0)], np.inf)
    td, tf = m["td"].to_numpy(), m["tf"].to_numpy()
    with np.errstate(invalid="ignore"):
        along = np.where(tf >= td, (tf - td) * roads.edge_time_s[e], (td - tf) * t_twin)
    time = m["wd"].to_numpy() + along + m["wf"].to_numpy()
    ok = np.isfinite(time)
    ours = model._same_edge_pairs()
    assert len(ours) == ok.sum() > 0
    np.testing.assert_array_equal(ours["point"].to_numpy(), m["point"].to_numpy()[ok])
    np.testing.assert_array_equal(ours["facility"].to_numpy(), m["facility"].to_numpy()[ok])
    np.testing.assert_array_equal(ours["time_s"].to_numpy(), time[ok])


def test_by_zone_cap_equals_the_uncapped_search_cut_by_hand(cilegon):
    """--max-time caps the nearest-facility measure (issue 15): no time beyond it in the table,
    people farther count as unreachable, thresholds above it are refused."""
    _roads, _region, _fac, dm, model = cilegon
    free = model.nearest()
    t_free = free["time_s"].to_numpy() / 60.0
    cap = float(np.nanpercentile(t_free[np.isfinite(t_free)], 60))  # some people beyond it
    assert (np.isfinite(t_free) & (t_free > cap)).any()
    capped = model.by_zone((cap / 2, cap), max_time_min=cap)
    # the same from a passed uncapped result: capped the same way
    np.testing.assert_array_equal(capped.to_numpy(), model.by_zone((cap / 2, cap), nearest=free,
                                                                    max_time_min=cap).to_numpy())
    finite = capped[["mean_time_min", "p50_time_min", "p90_time_min"]].to_numpy()
    assert np.all(~np.isfinite(finite) | (finite <= cap + 1e-9))
    assert (capped["max_time_min"] == cap).all()
    # by hand from the uncapped search: beyond the cap = unreachable
    p = dm.pieces
    t = t_free[p["point"].to_numpy()]
    w, z = p["population"].to_numpy(), p["zone"].to_numpy()
    for k in range(len(capped)):
        m = z == k
        beyond = m & ~(t <= cap)
        assert capped["unreachable_population"].iat[k] == pytest.approx(w[beyond].sum(), abs=1e-6)
        ok = m & (t <= cap)
        if w[ok].sum() > 0:
            assert capped["mean_time_min"].iat[k] == pytest.approx(np.sum(t[ok] * w[ok]) / w[ok].sum(), rel=1e-9)
    # without the cap the same zones report times beyond it (the defect of issue 15)
    uncapped = model.by_zone((cap,), nearest=free)
    assert (uncapped["p90_time_min"] > cap).any()
    with pytest.raises(InvalidInputError, match="exceeds the maximum time"):
        model.by_zone((cap + 1,), max_time_min=cap)
    with pytest.raises(InvalidInputError):
        model.by_zone((5,), max_time_min=-1)


def test_cli_nearest_honours_max_time(data_dir, tmp_path, capsys):
    roads = ",".join(str(p) for p in road_files(data_dir))
    fac = str(data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson")
    out = tmp_path / "near.csv"
    args = ["--data", str(data_dir), "-q", "access", "cilegon", "--roads", roads, "--facilities", fac,
            "--type", "puskesmas", "--cell-size", "400", "--level", "kecamatan"]
    assert main(args + ["--max-time", "4min", "-o", str(out)]) == 0
    t = pd.read_csv(out)
    assert {"within_4min", "max_time_min"} <= set(t.columns) and "within_15min" not in t.columns
    assert (t["max_time_min"] == 4.0).all()
    for c in ("mean_time_min", "p50_time_min", "p90_time_min"):
        v = t[c].to_numpy(dtype=float)
        assert np.all(~np.isfinite(v) | (v <= 4.0 + 1e-9)), c
    assert (t["unreachable_population"] > 0).any()
    # a threshold above --max-time: refused before any output is written
    bad = tmp_path / "bad.csv"
    rc = main(args + ["--max-time", "10min", "--thresholds", "5,15", "-o", str(bad)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "--max-time" in err[0] and not bad.exists()
