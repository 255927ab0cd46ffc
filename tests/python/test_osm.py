"""The windowed OSM reader (engine/io/osm_reader.cpp) and the cache of cuts
(jangkau.network.osm), on the real OSM extracts of the data directory, cross-checked against
reading the whole file and cutting afterwards, against GDAL's OSM driver (the other reader) and
against ``osmium extract --strategy complete_ways`` (osmium-tool) followed by GDAL."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from osm_helpers import shifted_osm as _shifted_osm

from jangkau import _core
from jangkau.errors import DataFileError, InvalidInputError
from jangkau.network.osm import cut_osm, extract_sha256, osm_facilities, osm_window, read_osm_window
from jangkau.network.roads import RoadNetwork

# (file, CRS, window inside the file's data: min_lon, min_lat, max_lon, max_lat)
CASES = {
    "osm_monaco_osrm-backend.osm.pbf": ("EPSG:32632", (7.40113, 43.72071, 7.43267, 43.74419)),
    "osm_liechtenstein_valhalla.osm.pbf": ("EPSG:32632", (9.50131, 47.10217, 9.56893, 47.17433)),
    "osm_bayfront_singapore_valhalla.osm.pbf": ("EPSG:32648", (103.84921, 1.28013, 103.85987, 1.29111)),
}


@pytest.fixture(scope="module")
def roads_dir(data_dir: Path) -> Path:
    return data_dir / "roads"


def inside(net: RoadNetwork, w) -> np.ndarray:
    lon, lat = np.asarray(net.node_lon), np.asarray(net.node_lat)
    # node_lon/lat went through two transformations: judge by the exact OSM degrees instead
    return (lon >= w[0] - 1e-9) & (lon <= w[2] + 1e-9) & (lat >= w[1] - 1e-9) & (lat <= w[3] + 1e-9)


def edge_table(net: RoadNetwork, keep: np.ndarray | None = None) -> dict:
    """Edges keyed by (from x, y, to x, y, OSM way id) -> (length, time, class, twin?)."""
    x, y = np.asarray(net.node_x), np.asarray(net.node_y)
    out = {}
    names = net.class_names
    for k in range(net.edge_count):
        a, b = int(net.edge_from[k]), int(net.edge_to[k])
        if keep is not None and not (keep[a] and keep[b]):
            continue
        key = (x[a], y[a], x[b], y[b], int(net.edge_feature[k]))
        out.setdefault(key, []).append((float(net.edge_length_m[k]), float(net.edge_time_s[k]),
                                        names[int(net.edge_class[k])], int(net.edge_twin[k]) >= 0))
    return {k: sorted(v) for k, v in out.items()}


def node_set(net: RoadNetwork, keep: np.ndarray) -> set:
    x, y = np.asarray(net.node_x), np.asarray(net.node_y)
    return set(zip(x[keep].tolist(), y[keep].tolist(), strict=True))


@pytest.mark.parametrize("halo", [0.0, 0.1])
@pytest.mark.parametrize("name", sorted(CASES))
def test_window_equals_whole_file_cut_afterwards(roads_dir: Path, name: str, halo: float) -> None:
    crs, w = CASES[name]
    path = roads_dir / name
    whole = read_osm_window(path, None, crs=crs).roads
    cut = read_osm_window(path, w, crs=crs, halo_deg=halo)
    net = cut.roads
    assert 0 < net.edge_count < whole.edge_count
    kw, kc = inside(whole, w), inside(net, w)
    assert kw.sum() > 50
    # every node inside the window, and every edge between two of them, with equal costs
    assert node_set(whole, kw) == node_set(net, kc)
    assert edge_table(whole, kw) == edge_table(net, kc)
    # the reader's statistics describe the two passes
    s = cut.stats
    assert s["sorted"] and s["window_nodes"] > 0 and s["road_ways"] > 0
    if halo == 0.0:  # every node of a crossing way outside the window comes from pass 2
        assert s["halo_nodes"] == 0 and s["outside_nodes"] > 0
    else:  # a ring of 0.1 degrees holds them all in these extracts: no pass 2
        assert s["halo_nodes"] > 0 and s["outside_nodes"] == 0 and s["pass2_s"] < 1e-3
    assert s["nodes"] == _osmium_count(path, "n") and s["ways"] == _osmium_count(path, "w")


def _osmium_count(path: Path, kind: str) -> int:
    out = subprocess.run(["osmium", "fileinfo", "-e", "-g", f"data.count.{ {'n': 'nodes', 'w': 'ways'}[kind] }",
                          str(path)], check=True, capture_output=True, text=True).stdout
    return int(out.strip())


@pytest.mark.parametrize("name", sorted(CASES))
def test_ways_crossing_the_window_are_kept_whole(roads_dir: Path, name: str) -> None:
    crs, w = CASES[name]
    path = roads_dir / name
    whole = read_osm_window(path, None, crs=crs).roads
    net = read_osm_window(path, w, crs=crs).roads
    kc = inside(net, w)
    # some way reaches outside the window: it has nodes outside
    assert (~kc).sum() > 0
    # every way of the cut has exactly the edges (geometry and costs) it has in the whole file
    a, b = edge_table(whole), edge_table(net)
    cut_ways = set(np.unique(net.edge_feature).tolist())
    a_cut = {k: v for k, v in a.items() if k[4] in cut_ways}
    # a way's nodes shared only with ways outside the window are not split there in the cut,
    # so compare the total length per way, and the vertex sequences
    la: dict[int, float] = {}
    lb: dict[int, float] = {}
    for k, v in a_cut.items():
        la[k[4]] = la.get(k[4], 0.0) + sum(e[0] for e in v)
    for k, v in b.items():
        lb[k[4]] = lb.get(k[4], 0.0) + sum(e[0] for e in v)
    assert la.keys() == lb.keys()
    for f in la:
        assert lb[f] == pytest.approx(la[f], rel=1e-12, abs=1e-9)
    # and no way of the whole file with a node in the window is missing
    whole_in = set(np.asarray(whole.edge_feature)[inside(whole, w)[np.asarray(whole.edge_from)]].tolist())
    assert whole_in <= cut_ways


@pytest.mark.parametrize("name", sorted(CASES))
def test_window_equals_osmium_extract_complete_ways_then_gdal(roads_dir: Path, name: str, tmp_path: Path) -> None:
    """Peer: osmium-tool's extract with the complete_ways strategy (ways with a node in the box,
    whole) then GDAL's OSM driver must give the same network as the windowed reader."""
    crs, w = CASES[name]
    path = roads_dir / name
    ext = tmp_path / "ext.osm.pbf"
    subprocess.run(["osmium", "extract", "-s", "complete_ways", "-b", ",".join(f"{v:.7f}" for v in w), "-o",
                    str(ext), "--overwrite", str(path)], check=True, capture_output=True)
    ref = RoadNetwork.from_osm(ext, crs)
    net = read_osm_window(path, w, crs=crs, halo_deg=0.0).roads
    assert net.node_count == ref.node_count and net.edge_count == ref.edge_count
    np.testing.assert_array_equal(net.edge_feature, ref.edge_feature)
    np.testing.assert_array_equal(net.edge_from, ref.edge_from)
    np.testing.assert_array_equal(net.edge_to, ref.edge_to)
    np.testing.assert_array_equal(net.edge_class, ref.edge_class)
    np.testing.assert_allclose(net.node_x, ref.node_x, rtol=0, atol=1e-6)
    np.testing.assert_allclose(net.node_y, ref.node_y, rtol=0, atol=1e-6)
    np.testing.assert_allclose(net.edge_time_s, ref.edge_time_s, rtol=1e-9)
    np.testing.assert_allclose(net.edge_length_m, ref.edge_length_m, rtol=1e-9)
    assert set(net.excluded_access) == set(ref.excluded_access)


@pytest.mark.parametrize("name", sorted(CASES))
def test_whole_file_equals_gdal_reader(roads_dir: Path, name: str) -> None:
    crs, _ = CASES[name]
    path = roads_dir / name
    ref = RoadNetwork.from_osm(path, crs)
    net = read_osm_window(path, None, crs=crs).roads
    np.testing.assert_array_equal(net.edge_feature, ref.edge_feature)
    np.testing.assert_array_equal(net.edge_from, ref.edge_from)
    np.testing.assert_array_equal(net.edge_to, ref.edge_to)
    np.testing.assert_allclose(net.edge_time_s, ref.edge_time_s, rtol=1e-9)
    np.testing.assert_array_equal(net.edge_twin, ref.edge_twin)


def test_window_of_a_boundary_has_the_margin() -> None:
    box = shapely.box(106.0, -6.2, 106.2, -6.0)
    w0 = osm_window(box, 0.0)
    w10 = osm_window(box, 10_000.0)
    # the box is grown in UTM and taken back to lon/lat: a superset, by less than 0.001 degrees
    assert w0[0] <= 106.0 and w0[2] >= 106.2 and w0[1] <= -6.2 and w0[3] >= -6.0
    assert w0[2] - w0[0] < 0.2 + 0.001 and w0[3] - w0[1] < 0.2 + 0.001
    # 10 km is about 0.09 degrees here
    assert 0.089 < 106.0 - w10[0] < 0.092 and 0.089 < w10[3] - (-6.0) < 0.092
    with pytest.raises(InvalidInputError):
        osm_window(box, -1.0)


def test_cache_of_cuts_and_its_invalidation(roads_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("JANGKAU_CACHE", str(tmp_path / "cache"))
    src = roads_dir / "osm_monaco_osrm-backend.osm.pbf"
    extract = tmp_path / "extract.osm.pbf"
    shutil.copyfile(src, extract)
    crs, w = CASES[src.name]
    first = cut_osm(extract, window=w, crs=crs)
    assert not first.cached
    assert first.manifest is not None
    assert first.manifest["extract"]["sha256"] == "36c0f0029ed838897322382611b67e8e5e7bcb07d5b17a25f3574dec54f1c23c"
    assert first.manifest["extract"]["path"] == str(extract.resolve())
    again = cut_osm(extract, window=w, crs=crs)
    assert again.cached
    for attr in ("node_x", "node_y", "node_lon", "edge_from", "edge_to", "edge_twin", "edge_time_s",
                 "edge_length_m", "edge_class", "edge_feature"):
        np.testing.assert_array_equal(getattr(again.roads, attr), getattr(first.roads, attr))
    assert again.roads.class_names == first.roads.class_names
    assert again.roads.crs == first.roads.crs
    assert len(again.facilities) == len(first.facilities)
    assert list(again.facilities["osm_id"]) == list(first.facilities["osm_id"])
    # the facility points and columns come back exactly
    assert again.facilities.crs == first.facilities.crs
    assert shapely.equals_exact(np.asarray(again.facilities.geometry), np.asarray(first.facilities.geometry),
                                tolerance=0).all()
    pd.testing.assert_frame_equal(pd.DataFrame(again.facilities.drop(columns="geometry")),
                                  pd.DataFrame(first.facilities.drop(columns="geometry")))
    # the graph loaded from the cache routes like the fresh one
    d1 = np.asarray(first.roads.to_graph().shortest_paths([0]))
    d2 = np.asarray(again.roads.to_graph().shortest_paths([0]))
    assert np.isfinite(d1).sum() > 100
    np.testing.assert_array_equal(d1, d2)
    # another window is another cut
    w2 = (w[0], w[1], w[2] - 0.005, w[3])
    assert not cut_osm(extract, window=w2, crs=crs).cached
    # the extract changes (another file at the same path): its checksum changes, the cut is redone
    shutil.copyfile(roads_dir / "osm_liechtenstein_valhalla.osm.pbf", extract)
    lw = CASES["osm_liechtenstein_valhalla.osm.pbf"][1]
    with pytest.raises(InvalidInputError):  # Monaco's window holds no Liechtenstein road
        cut_osm(extract, window=w, crs=crs)
    changed = cut_osm(extract, window=lw, crs=crs)
    assert not changed.cached
    assert changed.manifest is not None
    assert changed.manifest["extract"]["sha256"] == extract_sha256(extract)
    assert changed.manifest["extract"]["sha256"] != first.manifest["extract"]["sha256"]
    # copying Monaco back gives Monaco's sha256 again and finds the first cut
    shutil.copyfile(src, extract)
    assert cut_osm(extract, window=w, crs=crs).cached


def test_cut_from_cache_is_read_from_disk_not_memory(roads_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("JANGKAU_CACHE", str(tmp_path / "cache"))
    src = roads_dir / "osm_bayfront_singapore_valhalla.osm.pbf"
    crs, w = CASES[src.name]
    cut_osm(src, window=w, crs=crs)
    folders = [p for p in (tmp_path / "cache" / "osm_cuts").iterdir() if p.is_dir()]
    assert len(folders) == 1
    (folders[0] / "roads.npz").write_bytes(b"damaged")
    again = cut_osm(src, window=w, crs=crs)  # damaged: cut again, with a warning
    assert not again.cached
    assert cut_osm(src, window=w, crs=crs).cached


def test_road_network_arrays_round_trip_rejects_bad_arrays(roads_dir: Path) -> None:
    net = read_osm_window(roads_dir / "osm_bayfront_singapore_valhalla.osm.pbf", None, crs="EPSG:32648").roads
    arrays = dict(_core.road_network_arrays(net._core))
    back = _core.road_network_from_arrays(arrays, net.crs, net.class_names)
    np.testing.assert_array_equal(back.edge_time_s, net.edge_time_s)
    bad = dict(arrays)
    bad["edge_to"] = np.asarray(arrays["edge_to"])[:-1]
    with pytest.raises(InvalidInputError):
        _core.road_network_from_arrays(bad, net.crs, net.class_names)
    bad = dict(arrays)
    bad.pop("edge_from")
    with pytest.raises(InvalidInputError):
        _core.road_network_from_arrays(bad, net.crs, net.class_names)


def test_reader_errors(tmp_path: Path, roads_dir: Path) -> None:
    with pytest.raises(DataFileError):
        read_osm_window(tmp_path / "missing.osm.pbf", None)
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"\x00\x00\x00\x0dnot a pbf file at all")
    with pytest.raises(DataFileError):
        read_osm_window(junk, None)
    with pytest.raises(InvalidInputError):
        read_osm_window(roads_dir / "osm_monaco_osrm-backend.osm.pbf", (8.0, 44.0, 7.0, 43.0))
    with pytest.raises(InvalidInputError):  # nothing in the window
        read_osm_window(roads_dir / "osm_monaco_osrm-backend.osm.pbf", (0.0, 0.0, 0.1, 0.1))
    unsorted = tmp_path / "unsorted.osm"
    unsorted.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        " <node id='1' lat='1.0' lon='1.0'/>\n"
        " <way id='1'><nd ref='1'/><nd ref='2'/><tag k='highway' v='residential'/></way>\n"
        " <node id='2' lat='1.001' lon='1.0'/>\n</osm>\n")
    with pytest.raises(InvalidInputError, match="sort"):
        read_osm_window(unsorted, None)


def test_missing_nodes_are_listed_not_cut_short(tmp_path: Path) -> None:
    f = tmp_path / "incomplete.osm"
    f.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        " <node id='1' lat='1.0' lon='1.0'/>\n <node id='2' lat='1.001' lon='1.0'/>\n"
        " <node id='3' lat='1.002' lon='1.0'/>\n"
        " <way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><tag k='highway' v='residential'/></way>\n"
        " <way id='11'><nd ref='3'/><nd ref='99'/><tag k='highway' v='residential'/></way>\n</osm>\n")
    net = read_osm_window(f, None, crs="EPSG:32631").roads
    assert set(net.edge_feature.tolist()) == {10}
    sk = net.skipped
    assert list(sk["feature"]) == [11] and list(sk["reason"]) == ["missing nodes"]


def test_osm_facilities_naming_conventions() -> None:
    names = ["Puskesmas Kragilan", "Pustu Desa Sukajadi", "Puskesmas Pembantu Kopo", "SD Negeri 2 Ciruas",
             "SDN 1 Anyar", "SMPN 1 Cikande", "SMP Negeri 3 Serang", "MTs Al-Khairiyah", "SMKN 1 Kragilan",
             "RSUD dr. Drajat Prawiranegara", "Posyandu Melati", "Warung Bu Ani", "", ""]
    amen = ["clinic", "", "", "school", "school", "school", "school", "school", "school", "hospital", "", "", "school",
            "school"]
    level = [""] * 12 + ["1", ""]
    n = len(names)
    feats = {
        "osm_type": "n" * n, "osm_id": np.arange(1, n + 1), "lon": np.full(n, 106.1), "lat": np.full(n, -6.1),
        "offsets": np.arange(n + 1), "tags": {"name": names, "amenity": amen, "isced:level": level},
    }
    got = osm_facilities(feats)
    assert [None if pd.isna(v) else v for v in got["facility_type"]] == ["puskesmas", "pustu", "pustu", "sd", "sd", "smp", "smp", "smp", "sma",
                                          "rumah_sakit", "posyandu", None, "sd", None]
    assert list(got["osm_id"][:2]) == ["n1", "n2"]


def test_osm_facilities_ways_become_points_inside(roads_dir: Path) -> None:
    path = roads_dir / "osm_monaco_osrm-backend.osm.pbf"
    cut = read_osm_window(path, None, crs="EPSG:32632")
    fac = cut.facilities
    ways = fac[fac["osm_type"] == "way"]
    assert len(ways) > 10
    # the point of each closed way lies inside the way's polygon, as read by GDAL
    import geopandas as gpd

    polys = gpd.read_file(path, layer="multipolygons")
    polys = polys[polys["osm_way_id"].notna()].set_index(polys["osm_way_id"].dropna().astype(np.int64))
    checked = 0
    for _, row in ways.iterrows():
        wid = int(row["osm_id"][1:])
        if wid in polys.index:
            assert polys.loc[[wid]].geometry.iloc[0].buffer(1e-9).contains(row.geometry)
            checked += 1
    assert checked > 10
    # schools and hospitals of Monaco are found and typed
    assert (fac["amenity"] == "school").sum() > 0
    assert set(fac.loc[fac["amenity"] == "hospital", "facility_type"]) <= {"rumah_sakit"}


def test_cli_access_with_roads_and_facilities_from_one_osm_extract(data_dir: Path, tmp_path: Path,
                                                                    monkeypatch) -> None:
    """`jangkau access serang --roads X.osm --facilities X.osm`: roads and puskesmas cut out of one
    extract (a real network moved into Kabupaten Serang), cached, as a user runs it."""
    import pandas as pd_

    from jangkau.cli import main

    monkeypatch.setenv("JANGKAU_CACHE", str(tmp_path / "cache"))
    osm = _shifted_osm(data_dir / "roads" / "osm_bayfront_singapore_valhalla.osm.pbf", tmp_path / "serang.osm",
                       106.15, -6.10, [("Puskesmas Uji", "clinic", 0.010, 0.010), ("SD Negeri 1 Uji", "school", 0.012,
                                                                                    0.008)])
    out = tmp_path / "access.csv"
    args = ["--data", str(data_dir), "-q", "access", "serang", "--roads", str(osm), "--facilities", str(osm),
            "--type", "puskesmas", "--demand", "centroids", "--max-snap", "20000", "-o", str(out)]
    assert main(args) == 0
    table = pd_.read_csv(out)
    assert len(table) == 29  # every kecamatan of Kabupaten Serang
    cuts = [p for p in (tmp_path / "cache" / "osm_cuts").iterdir() if p.is_dir()]
    assert len(cuts) == 1
    manifest = __import__("json").loads((cuts[0] / "manifest.json").read_text())
    assert manifest["extract"]["path"] == str(osm.resolve())
    assert manifest["margin_m"] == 10000.0
    fac = pd_.DataFrame(__import__("json").loads((cuts[0] / "facilities.json").read_text())["columns"])
    assert set(fac["facility_type"].dropna()) >= {"puskesmas", "sd"}
    assert set(fac.loc[fac["facility_type"] == "puskesmas", "osm_id"]) == {"n900000000"}
    # the second run reads the cut from the cache (same result)
    out2 = tmp_path / "access2.csv"
    assert main(args[:-1] + [str(out2)]) == 0
    assert out.read_bytes() == out2.read_bytes()
