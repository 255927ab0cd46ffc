"""Road networks from real files (OSM extracts, Cilegon RTRW layers) and point snapping,
cross-checked against geopandas/shapely and networkx."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

import jangkau
from jangkau.network.roads import RoadNetwork, read_speed_table

OSM_FILES = {
    "osm_bayfront_singapore_valhalla.osm.pbf": "EPSG:32648",
    "osm_monaco_osrm-backend.osm.pbf": "EPSG:32632",
    "osm_liechtenstein_valhalla.osm.pbf": "EPSG:32632",
}
RTRW = {
    "cilegon3672_rtrw_JALAN_ARTERI_LN.geojson": "arteri",
    "cilegon3672_rtrw_JALAN_KOLEKTOR_LN.geojson": "kolektor",
    "cilegon3672_rtrw_JALAN_LOKAL_LN.geojson": "lokal",
    "cilegon3672_rtrw_JALAN_TOL_LN.geojson": "tol",
    "cilegon3672_rtrw_JARINGAN_JALAN_NASIONAL_LN.geojson": "nasional",
    "cilegon3672_rtrw_JARINGAN_JALAN_PROVINSI_LN.geojson": "provinsi",
}


def routable_classes() -> list[str]:
    t = read_speed_table()
    return sorted(t.loc[t.routable == 1, "class"])


def osm_tag(other_tags: str | None, key: str) -> str | None:
    if not isinstance(other_tags, str):
        return None
    m = re.search(r'"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"', other_tags)
    return m.group(1) if m else None


def closed_to_motor(other_tags: str | None) -> bool:
    """Independent reading of the OSM access hierarchy (most specific first)."""
    for key in ("motorcycle", "motor_vehicle", "vehicle", "access"):
        v = osm_tag(other_tags, key)
        if v is not None and v.split(";")[0].strip().lower() != "":
            return v.split(";")[0].strip().lower() in {"no", "private", "agricultural", "forestry"}
    return False


@pytest.fixture(scope="module")
def roads_dir(data_dir: Path) -> Path:
    return data_dir / "roads"


@pytest.fixture(scope="module")
def cilegon(roads_dir: Path) -> RoadNetwork:
    return RoadNetwork.from_layers({roads_dir / f: c for f, c in RTRW.items()}, snap_tolerance_m=5.0)


# ---------------------------------------------------------------------------------- OSM


@pytest.mark.parametrize("name", sorted(OSM_FILES))
def test_osm_total_length_equals_geopandas(roads_dir: Path, name: str) -> None:
    path = roads_dir / name
    net = RoadNetwork.from_osm(path)
    assert net.crs == OSM_FILES[name]
    ref = gpd.read_file(path, layer="lines")
    ref = ref[ref["highway"].isin(routable_classes())].to_crs(net.crs)
    closed = ref["other_tags"].map(closed_to_motor).astype(bool)
    assert set(net.excluded_access) == set(ref.loc[closed, "osm_id"].astype(np.int64))
    ref = ref[~closed]
    # Same ways, same total length (each undirected piece counted once).
    assert len(np.unique(net.edge_feature)) == len(ref)
    assert set(np.unique(net.edge_feature)) == set(ref["osm_id"].astype(np.int64))
    assert net.total_length_m() == pytest.approx(ref.length.sum(), rel=1e-6)
    # Per way as well.
    first = np.r_[True, net.edge_piece[1:] != net.edge_piece[:-1]]
    per_way = pd.Series(net.edge_length_m[first]).groupby(net.edge_feature[first]).sum()
    ref_way = pd.Series(ref.length.values, index=ref["osm_id"].astype(np.int64)).sort_index()
    np.testing.assert_allclose(per_way.sort_index().values, ref_way.values, rtol=1e-9, atol=1e-6)
    # Sane counts and values.
    assert 0 < net.node_count <= net.edge_count <= 2 * len(ref) * 50
    assert (net.edge_length_m > 0).all()
    assert (net.edge_time_s > 0).all()
    assert net.edge_from.dtype == np.int64 and net.edge_length_m.dtype == np.float64
    assert not net.edge_length_m.flags.writeable
    b = ref.to_crs("EPSG:4326").total_bounds
    assert (net.node_lon >= b[0] - 1e-7).all() and (net.node_lon <= b[2] + 1e-7).all()
    assert (net.node_lat >= b[1] - 1e-7).all() and (net.node_lat <= b[3] + 1e-7).all()
    # time = length / speed
    np.testing.assert_allclose(net.edge_time_s, net.edge_length_m / (net.edge_speed_kmh / 3.6), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(OSM_FILES))
def test_osm_access_restrictions(roads_dir: Path, name: str) -> None:
    """Ways closed to motor vehicles are left out and listed; honour_access=False keeps them."""
    path = roads_dir / name
    ref = gpd.read_file(path, layer="lines")
    ref = ref[ref["highway"].isin(routable_classes())]
    closed = ref["other_tags"].map(closed_to_motor).astype(bool)
    net = RoadNetwork.from_osm(path)
    everything = RoadNetwork.from_osm(path, honour_access=False)
    assert len(everything.excluded_access) == 0
    assert set(np.unique(everything.edge_feature)) == set(ref["osm_id"].astype(np.int64))
    assert set(net.excluded_access) == set(ref.loc[closed, "osm_id"].astype(np.int64))
    assert not set(net.excluded_access) & set(np.unique(net.edge_feature))
    if name != "osm_bayfront_singapore_valhalla.osm.pbf":
        assert closed.sum() > 0  # Monaco 64, Liechtenstein 235 such ways: the rule is exercised


def test_osm_class_filter_matches_geopandas(roads_dir: Path) -> None:
    path = roads_dir / "osm_monaco_osrm-backend.osm.pbf"
    classes = ["primary", "secondary", "tertiary"]
    net = RoadNetwork.from_osm(path, classes=classes)
    ref = gpd.read_file(path, layer="lines")
    ref = ref[ref["highway"].isin(classes) & ~ref["other_tags"].map(closed_to_motor).astype(bool)].to_crs(net.crs)
    assert net.total_length_m() == pytest.approx(ref.length.sum(), rel=1e-6)
    assert set(np.asarray(net.class_names)[np.unique(net.edge_class)]) == set(classes)


def test_osm_oneway_and_maxspeed(roads_dir: Path) -> None:
    path = roads_dir / "osm_bayfront_singapore_valhalla.osm.pbf"
    net = RoadNetwork.from_osm(path)
    ref = gpd.read_file(path, layer="lines").set_index("osm_id")
    ref.index = ref.index.astype(np.int64)
    oneway_features = set()
    for fid, row in ref.iterrows():
        ow = osm_tag(row["other_tags"], "oneway")
        junction = osm_tag(row["other_tags"], "junction")
        implied = junction == "roundabout" or row["highway"] == "motorway"
        if ow in ("yes", "true", "1", "-1") or (ow is None and implied):
            oneway_features.add(fid)
    assert oneway_features, "the Bayfront extract has one-way streets"
    is_oneway_edge = net.edge_twin < 0
    for e in range(net.edge_count):
        assert is_oneway_edge[e] == (int(net.edge_feature[e]) in oneway_features)
    # maxspeed overrides the class speed.
    speeds = read_speed_table().set_index("class").speed_kmh
    names = np.asarray(net.class_names)
    for e in range(net.edge_count):
        ms = osm_tag(ref.loc[int(net.edge_feature[e]), "other_tags"], "maxspeed")
        expected = float(ms) if ms is not None and ms.isdigit() else speeds[names[net.edge_class[e]]]
        assert net.edge_speed_kmh[e] == expected
    # Twins run in opposite directions along the same geometry.
    e = int(np.flatnonzero(net.edge_twin >= 0)[0])
    t = int(net.edge_twin[e])
    assert (net.edge_from[e], net.edge_to[e]) == (net.edge_to[t], net.edge_from[t])


def test_osm_is_deterministic(roads_dir: Path) -> None:
    path = roads_dir / "osm_monaco_osrm-backend.osm.pbf"
    a, b = RoadNetwork.from_osm(path), RoadNetwork.from_osm(path)
    names = ["node_x", "node_y", "edge_from", "edge_to", "edge_length_m", "edge_time_s", "edge_class",
             "edge_feature"]
    for name in names:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_osm_components_and_largest(roads_dir: Path) -> None:
    net = RoadNetwork.from_osm(roads_dir / "osm_liechtenstein_valhalla.osm.pbf")
    comps = net.components()
    assert comps["nodes"].sum() == net.node_count
    assert comps["edges"].sum() == net.edge_count
    assert (np.diff(comps["nodes"]) <= 0).all()
    assert comps["nodes"].iloc[0] / net.node_count > 0.9  # the largest component covers most nodes
    # Cross-check with networkx weakly connected components.
    g = nx.DiGraph()
    g.add_nodes_from(range(net.node_count))
    g.add_edges_from(zip(net.edge_from.tolist(), net.edge_to.tolist()))
    sizes = sorted((len(c) for c in nx.weakly_connected_components(g)), reverse=True)
    assert sizes == comps["nodes"].tolist()
    big = net.largest_component()
    assert big.node_count == comps["nodes"].iloc[0]
    assert len(big.components()) == 1
    kept = RoadNetwork.from_osm(roads_dir / "osm_liechtenstein_valhalla.osm.pbf", keep_largest=True)
    np.testing.assert_array_equal(kept.edge_from, big.edge_from)
    # Twins survive renumbering.
    tw = big.edge_twin
    has = tw >= 0
    np.testing.assert_array_equal(big.edge_from[has], big.edge_to[tw[has]])


def test_edges_gdf_round_trip(roads_dir: Path) -> None:
    net = RoadNetwork.from_osm(roads_dir / "osm_bayfront_singapore_valhalla.osm.pbf")
    gdf = net.edges_gdf()
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.crs.to_epsg() == 32648
    assert len(gdf) == net.edge_count
    np.testing.assert_allclose(gdf.length.values, gdf["length_m"].values, rtol=1e-12)
    start = shapely.get_point(gdf.geometry.values, 0)
    end = shapely.get_point(gdf.geometry.values, -1)
    np.testing.assert_array_equal(shapely.get_x(start), net.node_x[net.edge_from])
    np.testing.assert_array_equal(shapely.get_y(end), net.node_y[net.edge_to])
    assert set(gdf["road_class"].unique()) <= set(routable_classes())
    wgs = net.edges_gdf(crs="EPSG:4326")
    assert wgs.crs.to_epsg() == 4326
    nodes = net.nodes_gdf()
    assert len(nodes) == net.node_count


# ---------------------------------------------------------------------------------- layers


def test_cilegon_layers_build_with_join_report(roads_dir: Path, cilegon: RoadNetwork) -> None:
    net = cilegon
    assert net.crs == "EPSG:32748"
    report = net.join_report
    kinds = report["kind"].value_counts()
    assert kinds["endpoint_to_endpoint"] > 0 and kinds["endpoint_to_line"] > 0
    assert kinds["crossing"] > 0 and kinds["touch"] > 0
    moved = report["kind"].isin(["endpoint_to_endpoint", "endpoint_to_line"])
    assert (report.loc[moved, "distance_m"] > 0).all() and (report.loc[moved, "distance_m"] <= 5.0).all()
    assert (report.loc[~moved, "distance_m"] == 0).all()
    assert report["lon"].between(105.8, 106.3).all() and report["lat"].between(-6.4, -5.8).all()
    assert set(report["source_a"]) <= {str(roads_dir / f) for f in RTRW}
    # Joins are where the network says: every crossing is a node (within the 1 mm node
    # tolerance, which merges crossing points computed twice).
    from scipy.spatial import cKDTree

    crossing = report[report["kind"] == "crossing"]
    d, _ = cKDTree(np.column_stack([net.node_x, net.node_y])).query(crossing[["x", "y"]].to_numpy())
    assert (d <= 0.001 + 1e-9).all()
    # Snapping moves endpoints by at most 5 m, so the total length barely changes when
    # every copy of overlapping roads is kept; dropping the copies removes their length.
    ref = pd.concat([gpd.read_file(roads_dir / f) for f in RTRW]).to_crs(net.crs)
    full = RoadNetwork.from_layers({roads_dir / f: c for f, c in RTRW.items()}, drop_duplicates=False)
    assert full.total_length_m() == pytest.approx(ref.length.sum(), rel=1e-3)
    assert kinds["duplicate"] > 0
    assert net.total_length_m() < full.total_length_m()
    assert full.node_count == net.node_count  # duplicates share their end nodes
    assert (net.edge_length_m > 0).all()
    comps = net.components()
    assert comps["nodes"].iloc[0] / net.node_count > 0.95
    assert set(np.asarray(net.class_names)[np.unique(net.edge_class)]) == set(RTRW.values())


def test_cilegon_every_feature_is_in_the_network_or_reported(roads_dir: Path, cilegon: RoadNetwork) -> None:
    """No feature is lost silently: each one with a geometry has edges, or was dropped as a
    duplicate (join_report), or is listed in `skipped` — here slivers shorter than the 5 m
    snap tolerance, which snapping merges into a point (lengths checked with geopandas)."""
    net = cilegon
    report, skipped = net.join_report, net.skipped
    assert set(skipped["reason"]) <= {"collapsed by snapping"} and len(skipped) > 0
    edge_feature, edge_layer = np.asarray(net.edge_feature), np.asarray(net.edge_layer)
    for layer_index, source in enumerate(net.sources):
        ref = gpd.read_file(source, fid_as_index=True, engine="pyogrio")
        ref = ref[~(ref.geometry.isna() | ref.geometry.is_empty)].to_crs(net.crs)
        everything = set(ref.index.astype(np.int64))
        built = set(edge_feature[edge_layer == layer_index].astype(np.int64))
        dropped = set(report.loc[(report["kind"] == "duplicate") & (report["source_a"] == source), "feature_a"])
        listed = set(skipped.loc[skipped["source"] == source, "feature"])
        assert not listed & built
        assert everything == built | dropped | listed, source
        if listed:
            assert (ref.loc[sorted(listed)].length < 5.0).all()


def test_skipped_features_are_listed_and_logged(tmp_path: Path, caplog) -> None:
    x0, y0 = 620_000.0, 9_330_000.0  # UTM 48S, in Banten

    def line(*pts):
        return shapely.LineString([(x0 + a, y0 + b) for a, b in pts])

    geoms = [shapely.LineString(), line((0, 0), (100, 0)), None, line((5, 5), (5, 5)), line((100, 0), (101, 0)),
             line((0, 0), (0, 100))]
    path = tmp_path / "mixed.gpkg"
    gpd.GeoDataFrame({"name": list("abcdef")}, geometry=geoms, crs="EPSG:32748").to_file(path)
    with caplog.at_level("WARNING", logger="jangkau"):
        net = RoadNetwork.from_layers({path: "lokal"}, snap_tolerance_m=5.0)
    # GeoPackage FIDs start at 1: features 2 and 6 are roads, the rest carry none.
    assert sorted(set(np.asarray(net.edge_feature).tolist())) == [2, 6]
    sk = net.skipped
    assert sk["feature"].tolist() == [1, 3, 4, 5]
    assert sk["reason"].astype(str).tolist() == ["empty geometry", "empty geometry", "zero length",
                                                 "collapsed by snapping"]
    assert (sk["source"] == str(path)).all()
    assert "4 road features carry no road" in caplog.text
    assert net.skipped_summary() == ("4 road features carry no road and were left out "
                                     "(2 empty geometry, 1 zero length, 1 collapsed by snapping)")
    assert net.largest_component().skipped.equals(sk)
    assert len(RoadNetwork.from_layers({path: "lokal"}, snap_tolerance_m=0.0).skipped) == 3  # the 1 m line stays


def test_osm_zero_length_way_is_listed(tmp_path: Path) -> None:
    """A hand-written .osm file: way 13 visits one node twice (no length) and is listed;
    way 12 points at nodes missing from the file, which GDAL's OSM driver drops before
    jangkau sees it (documented in docs/roads.md)."""
    path = tmp_path / "tiny.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
        '<node id="1" lat="-6.10" lon="106.10" version="1"/>\n'
        '<node id="2" lat="-6.10" lon="106.11" version="1"/>\n'
        '<node id="3" lat="-6.11" lon="106.11" version="1"/>\n'
        '<way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>\n'
        '<way id="11" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>\n'
        '<way id="12" version="1"><nd ref="98"/><nd ref="99"/><tag k="highway" v="residential"/></way>\n'
        '<way id="13" version="1"><nd ref="3"/><nd ref="3"/><tag k="highway" v="residential"/></way>\n'
        '</osm>\n')
    net = RoadNetwork.from_osm(path)
    assert sorted(set(np.asarray(net.edge_feature).tolist())) == [10, 11]
    assert net.skipped["feature"].tolist() == [13]
    assert net.skipped["reason"].astype(str).tolist() == ["zero length"]


def test_cilegon_tolerance_matters(roads_dir: Path, cilegon: RoadNetwork) -> None:
    layers = {roads_dir / f: c for f, c in RTRW.items()}
    raw = RoadNetwork.from_layers(layers, snap_tolerance_m=0.0, split_crossings=False, drop_duplicates=False)
    assert len(raw.join_report) == 0
    assert len(raw.components()) > len(cilegon.components())
    wide = RoadNetwork.from_layers(layers, snap_tolerance_m=10.0)
    assert (wide.join_report["kind"] == "endpoint_to_endpoint").sum() > (
        cilegon.join_report["kind"] == "endpoint_to_endpoint"
    ).sum()
    # Without noding, raw lines keep their exact length.
    ref = pd.concat([gpd.read_file(roads_dir / f) for f in RTRW]).to_crs(raw.crs)
    assert raw.total_length_m() == pytest.approx(ref.length.sum(), rel=1e-9)


def test_cilegon_class_column(roads_dir: Path) -> None:
    files = [roads_dir / f for f in RTRW if "_JALAN_" in f and "JARINGAN" not in f]
    net = RoadNetwork.from_layers(files, class_column="FUNGSI")  # "JALAN ARTERI" -> arteri
    used = set(np.asarray(net.class_names)[np.unique(net.edge_class)])
    assert used == {"arteri", "kolektor", "lokal", "tol"}
    sep = RoadNetwork.from_layers(files, class_column="FUNGSI", grade_separated=["tol"])
    tol_code = net.class_names.index("tol")
    report = sep.join_report
    # The toll road is never split at crossings or touches with other roads.
    tol_source = str(roads_dir / "cilegon3672_rtrw_JALAN_TOL_LN.geojson")
    crossings = report[report["kind"].isin(["crossing", "touch"])]
    assert not ((crossings["source_a"] == tol_source) | (crossings["source_b"] == tol_source)).any()
    assert (sep.edge_class == tol_code).any()


def test_noding_matches_shapely_on_random_lines(tmp_path: Path) -> None:
    """Synthetic random lines (fixed seed): splitting at crossings gives the same pieces and
    nodes as GEOS noding (shapely.node)."""
    rng = np.random.default_rng(7)
    x0, y0 = 620_000.0, 9_330_000.0
    lines = []
    for _ in range(60):
        n = int(rng.integers(2, 6))
        xy = np.cumsum(rng.uniform(-300, 300, size=(n, 2)), axis=0) + rng.uniform(0, 3000, size=2)
        lines.append(shapely.LineString(xy + [x0, y0]))
    path = tmp_path / "random_lines.gpkg"
    gpd.GeoDataFrame({"id": range(len(lines))}, geometry=lines, crs="EPSG:32748").to_file(path)
    net = RoadNetwork.from_layers({path: "lokal"}, snap_tolerance_m=0.0, node_tolerance_m=1e-6,
                                  drop_duplicates=False)
    noded = shapely.get_parts(shapely.node(shapely.MultiLineString(lines)))
    first = np.r_[True, net.edge_piece[1:] != net.edge_piece[:-1]]
    assert first.sum() == len(noded)
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(noded, 0)),
                           shapely.get_coordinates(shapely.get_point(noded, -1))])
    assert net.node_count == len(np.unique(np.round(ends, 6), axis=0))
    assert net.total_length_m() == pytest.approx(shapely.length(noded).sum(), rel=1e-12)
    assert (net.join_report["kind"] == "crossing").sum() == len(net.join_report)


# ---------------------------------------------------------------------------------- snapping


def test_snap_matches_shapely_brute_force(data_dir: Path, cilegon: RoadNetwork) -> None:
    pts = gpd.read_file(data_dir / "facilities" / "cilegon3672_rtrw_SD_SETINGKAT_SEDERAJAT_PT.geojson")
    snapped = cilegon.snap(pts)
    pd.testing.assert_frame_equal(snapped, cilegon.snap(pts, threads=1))  # thread count does not matter
    assert len(snapped) == len(pts)
    assert snapped.index.equals(pts.index)
    lines = cilegon.edges_gdf().geometry.values
    p = pts.to_crs(cilegon.crs).geometry.values
    # Nearest distance over every edge, by shapely.
    tree = shapely.STRtree(lines)
    _idx, dist = tree.query_nearest(p, return_distance=True, all_matches=False)
    np.testing.assert_allclose(snapped["distance_m"].values, dist, rtol=1e-9, atol=1e-7)
    # The snapped point lies on its edge, at the stated fraction.
    on = shapely.points(snapped["x"], snapped["y"])
    edge_geom = lines[snapped["edge"].values]
    assert (shapely.distance(on, edge_geom) < 1e-6).all()
    frac = shapely.line_locate_point(edge_geom, on, normalized=True)
    np.testing.assert_allclose(snapped["fraction"].values, frac, atol=1e-7)
    np.testing.assert_allclose(snapped["walk_time_s"], snapped["distance_m"] / (5.0 / 3.6))
    # Engine brute force gives the same edges.
    first = np.r_[True, cilegon.edge_piece[1:] != cilegon.edge_piece[:-1]].astype(np.uint8)
    brute = jangkau._core.snap_brute_force(cilegon._core.edge_geometry, shapely.get_x(p), shapely.get_y(p),
                                           1000.0, 5.0, first)
    np.testing.assert_array_equal(brute["edge"], snapped["edge"].values)


def test_snap_flags_far_points(cilegon: RoadNetwork) -> None:
    x = np.array([cilegon.node_x[0] + 3.0, cilegon.node_x[0] + 50_000.0, np.nan])
    y = np.array([cilegon.node_y[0], cilegon.node_y[0], 0.0])
    s = cilegon.snap(x=x, y=y, max_snap_m=1000.0, walk_speed_kmh=4.0)
    assert len(s) == 3
    assert s["beyond_max"].tolist() == [False, True, True]
    assert s.loc[1, "edge"] >= 0 and s.loc[1, "distance_m"] > 1000.0  # reported, not dropped
    assert s.loc[2, "edge"] == -1
    assert s.loc[0, "walk_time_s"] == pytest.approx(s.loc[0, "distance_m"] / (4.0 / 3.6))
    entries = cilegon.snap_entries(s)
    assert set(entries["point"]) == {0}


def test_snap_entries_agree_with_networkx(data_dir: Path, cilegon: RoadNetwork) -> None:
    """Travel time from a snapped facility to every node: network Dijkstra seeded with
    snap entries equals networkx on a graph with the facility spliced into its edge."""
    net = cilegon.largest_component()
    pts = gpd.read_file(data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson")
    s = net.snap(pts)
    i = int(np.flatnonzero(~s["beyond_max"].values)[0])
    row = s.iloc[[i]]
    entries = net.snap_entries(row, "from_point")
    g = nx.DiGraph()
    for u, v, w in zip(net.edge_from.tolist(), net.edge_to.tolist(), net.edge_time_s.tolist()):
        if not g.has_edge(u, v) or g[u][v]["weight"] > w:
            g.add_edge(u, v, weight=w)
    # Splice: point -> v along the rest of the edge, point -> u along the twin.
    e, t, walk = int(row["edge"].iloc[0]), float(row["fraction"].iloc[0]), float(row["walk_time_s"].iloc[0])
    u, v = int(net.edge_from[e]), int(net.edge_to[e])
    g.add_edge("p", v, weight=walk + (1 - t) * net.edge_time_s[e])
    if net.edge_twin[e] >= 0:
        g.add_edge("p", u, weight=walk + t * net.edge_time_s[net.edge_twin[e]])
    ref = nx.single_source_dijkstra_path_length(g, "p", weight="weight")
    graph = net.to_graph()
    best = graph.nearest(entries["node"].values, offsets=entries["offset_s"].values,
                         groups=np.zeros(len(entries), dtype=np.int64))
    for node, cost in ref.items():
        if node == "p":
            continue
        assert best["cost"].iloc[node] == pytest.approx(cost, rel=1e-9, abs=1e-9)
    assert np.isfinite(best["cost"]).all()  # one component: everything reachable
    # Destination entries use the opposite nodes.
    back = net.snap_entries(row, "to_point")
    assert back["node"].iloc[0] == u


# ---------------------------------------------------------------------------------- bad input


def test_bad_input(tmp_path: Path, data_dir: Path, roads_dir: Path) -> None:
    with pytest.raises(jangkau.DataFileError):
        RoadNetwork.from_osm(tmp_path / "missing.osm.pbf")
    with pytest.raises(jangkau.DataFileError):
        RoadNetwork.from_layers({tmp_path / "missing.geojson": "lokal"})
    with pytest.raises(jangkau.InvalidInputError):
        RoadNetwork.from_osm(roads_dir / "osm_bayfront_singapore_valhalla.osm.pbf", classes=["no_such_class"])
    with pytest.raises(jangkau.InvalidInputError):
        # no motorway in the Bayfront extract
        RoadNetwork.from_osm(roads_dir / "osm_bayfront_singapore_valhalla.osm.pbf", classes=["motorway"])
    arteri = roads_dir / "cilegon3672_rtrw_JALAN_ARTERI_LN.geojson"
    with pytest.raises(jangkau.UnknownColumnError) as err:
        RoadNetwork.from_layers([arteri], class_column="KELAS")
    assert err.value.field == "KELAS" and err.value.file == str(arteri)
    with pytest.raises(jangkau.InvalidInputError):
        RoadNetwork.from_layers({arteri: "jalan setapak"})  # not in the speed table
    with pytest.raises(jangkau.InvalidInputError):
        RoadNetwork.from_layers([arteri])  # no class at all
    points = data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"
    with pytest.raises(jangkau.GeometryError) as gerr:
        RoadNetwork.from_layers({points: "lokal"})
    assert gerr.value.file == str(points)
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(jangkau.InvalidInputError):
        RoadNetwork.from_layers({empty: "lokal"})
    nocrs = tmp_path / "nocrs.csv"
    nocrs.write_text('id,WKT\n1,"LINESTRING (620000 9330000, 620100 9330000)"\n')
    with pytest.raises(jangkau.CrsError):
        RoadNetwork.from_layers({nocrs: "lokal"})
    net = RoadNetwork.from_layers({nocrs: "lokal"}, assume_crs="EPSG:32748")
    assert net.edge_count == 2 and net.edge_length_m[0] == pytest.approx(100.0)
    polys = gpd.read_file(data_dir / "boundaries" / "hdx_bps2020_desa_3672_kota_cilegon.geojson")
    with pytest.raises(jangkau.GeometryError):
        net.snap(polys)
    with pytest.raises(jangkau.InvalidInputError):
        net.snap(x=np.zeros(2), y=np.zeros(2), walk_speed_kmh=0.0)
    with pytest.raises(jangkau.InvalidInputError):
        net.snap_entries(net.snap(x=np.zeros(1), y=np.zeros(1)), "sideways")
