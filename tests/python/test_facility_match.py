"""OSM facility points against register points of the same type (jangkau.data.facility_match):
crafted cases (the case a greedy nearest-first matching gets wrong, types kept apart, the
distance bound), brute force over every one-to-one matching on small uniform and clustered
instances, and the real Kota Cilegon puskesmas of two independent sources (the RTRW layer of
the city's spatial plan against the BPJS register) cross-checked with networkx's maximum
weight matching. No OSM extract of Indonesia is in the data directory, so the real case
stands the RTRW layer in for OSM: the matching is the same whatever the source."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from jangkau.data.facility_match import MATCH_COLUMNS, match_facilities
from jangkau.errors import InvalidInputError

UTM = "EPSG:32748"


def _layer(xy, types, ids, crs=UTM) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"facility_type": types, "facility_id": ids, "osm_id": ids, "name": ids},
                            geometry=shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2)), crs=crs)


def _pairs(res) -> set[tuple[str, str]]:
    m = res.points[res.points["status"] == "matched"]
    return set(zip(m["osm_id"], m["register_id"]))


def test_more_pairs_beat_a_nearer_pair() -> None:
    # a1–b1 is the nearest pair (90 m); taking it leaves a2 and b2 alone. Both a1–b2 (110 m) and
    # a2–b1 (110 m) are within 120 m: two pairs.
    x0, y0 = 600_000.0, 9_300_000.0
    osm = _layer([(x0, y0), (x0 + 200, y0)], ["puskesmas"] * 2, ["a1", "a2"])
    reg = _layer([(x0 + 90, y0), (x0 - 110, y0)], ["puskesmas"] * 2, ["b1", "b2"])
    res = match_facilities(osm, reg, max_distance_m=120.0)
    assert _pairs(res) == {("a1", "b2"), ("a2", "b1")}
    assert list(res.points.columns) == MATCH_COLUMNS
    s = res.summary.set_index("facility_type")
    assert s.loc["puskesmas", ["matched", "osm_only", "register_only"]].tolist() == [2, 0, 0]
    # with 100 m only the 90 m pair is allowed
    res = match_facilities(osm, reg, max_distance_m=100.0)
    assert _pairs(res) == {("a1", "b1")}
    assert sorted(res.points["status"]) == ["matched", "osm_only", "register_only"]


def test_types_are_kept_apart_and_missing_points_left_out() -> None:
    x0, y0 = 600_000.0, 9_300_000.0
    osm = _layer([(x0, y0), (x0 + 10, y0)], ["sd", "puskesmas"], ["n1", "n2"])
    reg = _layer([(x0 + 5, y0), (x0 + 5000, y0)], ["puskesmas", "sd"], ["r1", "r2"])
    osm.loc[len(osm)] = {"facility_type": None, "facility_id": "n3", "osm_id": "n3", "name": "x",
                         "geometry": shapely.Point(x0, y0)}
    res = match_facilities(osm, reg, max_distance_m=50.0)
    assert _pairs(res) == {("n2", "r1")}
    s = res.summary.set_index("facility_type")
    assert s.loc["sd", ["osm", "register", "matched", "osm_only", "register_only"]].tolist() == [1, 1, 0, 1, 1]
    assert s.loc["all", ["osm", "register", "matched"]].tolist() == [2, 2, 1]  # n3 (no type) is not counted
    assert match_facilities(osm, reg, max_distance_m=50.0, types=["sd"]).summary["facility_type"].tolist() == [
        "sd", "all"]


def _brute(a: np.ndarray, b: np.ndarray, r: float) -> tuple[int, float]:
    """Most pairs, then least total distance, over every one-to-one matching."""
    best = (0, 0.0)
    n, m = len(a), len(b)
    d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    for k in range(1, min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.permutations(range(m), k):
                dd = d[list(rows), list(cols)]
                if (dd <= r).all():
                    cand = (k, float(dd.sum()))
                    if cand[0] > best[0] or (cand[0] == best[0] and cand[1] < best[1] - 1e-9):
                        best = cand
    return best


@pytest.mark.parametrize("family", ["uniform", "clustered"])
def test_brute_force_on_small_instances(family: str) -> None:
    rng = np.random.default_rng(7 if family == "uniform" else 8)
    for _ in range(40):
        n, m = rng.integers(1, 6), rng.integers(1, 6)
        if family == "uniform":
            a, b = rng.uniform(0, 1000, (n, 2)), rng.uniform(0, 1000, (m, 2))
        else:  # two towns: points within ~150 m of one of two centres
            centres = np.array([[200.0, 200.0], [800.0, 700.0]])
            a = centres[rng.integers(0, 2, n)] + rng.normal(0, 150, (n, 2))
            b = centres[rng.integers(0, 2, m)] + rng.normal(0, 150, (m, 2))
        r = float(rng.choice([50.0, 200.0, 400.0]))
        base = np.array([600_000.0, 9_300_000.0])
        osm = _layer(a + base, ["sd"] * n, [f"a{i}" for i in range(n)])
        reg = _layer(b + base, ["sd"] * m, [f"b{j}" for j in range(m)])
        res = match_facilities(osm, reg, max_distance_m=r, metric_crs=UTM)
        got = res.points[res.points["status"] == "matched"]
        k, total = _brute(a, b, r)
        assert len(got) == k
        assert got["distance_m"].sum() == pytest.approx(total, abs=1e-6)
        assert (got["distance_m"] <= r).all()


def test_real_cilegon_puskesmas_two_sources(data_dir: Path) -> None:
    rtrw = gpd.read_file(data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson")
    rtrw = rtrw[rtrw["KETERANGAN"].str.strip().str.upper() == "PUSKESMAS"].reset_index(drop=True)
    rtrw = rtrw.assign(facility_type="puskesmas", osm_id=rtrw["TOPONIM"].str.strip(), name=rtrw["TOPONIM"].str.strip())
    bpjs = gpd.read_file(data_dir / "facilities" / "banten" / "faskes_bpjs_banten_2019_points.geojson")
    bpjs = bpjs[bpjs["KotaKab"].str.contains("Cilegon") & (bpjs["TipeFaskes"] == "Puskesmas")].reset_index(drop=True)
    bpjs = bpjs.assign(facility_type="puskesmas", facility_id=bpjs["KodeFaskes"].astype(str), name=bpjs["NamaFaskes"])
    assert len(rtrw) == 9 and len(bpjs) == 8
    for r in (100.0, 500.0, 2000.0):
        res = match_facilities(rtrw, bpjs, max_distance_m=r)
        got = res.points[res.points["status"] == "matched"]
        # peer: networkx maximum-cardinality, maximum-weight matching with weight M − d
        a = rtrw.to_crs(UTM).geometry
        b = bpjs.to_crs(UTM).geometry
        g = nx.Graph()
        for i, p in enumerate(a):
            for j, q in enumerate(b):
                d = p.distance(q)
                if d <= r:
                    g.add_edge(("a", i), ("b", j), weight=1e7 - d, d=d)
        mate = nx.max_weight_matching(g, maxcardinality=True)
        assert len(got) == len(mate)
        assert got["distance_m"].sum() == pytest.approx(sum(g.edges[e]["d"] for e in mate), abs=1e-6)
        s = res.summary.set_index("facility_type").loc["puskesmas"]
        assert s["matched"] + s["osm_only"] == 9 and s["matched"] + s["register_only"] == 8
    # at 2 km the two lists of the same city's puskesmas mostly agree; name check of one pair
    res = match_facilities(rtrw, bpjs, max_distance_m=2000.0)
    m = res.points[res.points["status"] == "matched"]
    assert len(m) >= 6
    pair = m[m["register_name"] == "Ciwandan"]
    assert len(pair) == 1 and "CIWANDAN" in pair["osm_name"].iloc[0]


def test_bad_input() -> None:
    a = _layer([(0.0, 0.0)], ["sd"], ["a"])
    with pytest.raises(InvalidInputError, match="max_distance_m"):
        match_facilities(a, a, max_distance_m=-1.0)
    with pytest.raises(InvalidInputError, match="no CRS"):
        match_facilities(a.set_crs(None, allow_override=True), a)
    with pytest.raises(InvalidInputError, match="facility_type"):
        match_facilities(a.drop(columns="facility_type"), a)
