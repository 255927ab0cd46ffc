"""Reading and writing through the engine (GDAL/OGR, PROJ, GEOS), checked against
geopandas/pyogrio/shapely on the same files."""

from __future__ import annotations

import json
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

import jangkau
from jangkau import _core
from jangkau.data.io import from_geometry_array, read_vector, to_geometry_array, write

SERANG = "boundaries/hdx_bps2020_desa_3604_kab_serang.geojson"


def _same_geometries(a, b) -> bool:
    """Same coordinates feature by feature; Polygon and one-part MultiPolygon count as equal."""
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if len(a) != len(b):
        return False
    pa, ia = shapely.get_parts(a, return_index=True)
    pb, ib = shapely.get_parts(b, return_index=True)
    return bool(np.array_equal(ia, ib) and np.all(shapely.equals_exact(shapely.normalize(pa), shapely.normalize(pb), 0)))


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    # 1 km squares near Serang in UTM 48S
    x0, y0, s = 620_000.0, 9_320_000.0, 1000.0
    return gpd.GeoDataFrame(
        {"code": ["A", "B", None], "n": [1, 2, 3], "v": [0.5, np.nan, 2.5]},
        geometry=[shapely.box(x0, y0, x0 + s, y0 + s), shapely.box(x0 + s, y0, x0 + 2 * s, y0 + s),
                  shapely.box(x0, y0 + s, x0 + s, y0 + 2 * s)],
        crs="EPSG:32748",
    )


@pytest.mark.parametrize("ext,driver", [(".geojson", "GeoJSON"), (".gpkg", "GPKG"), (".shp", "ESRI Shapefile"),
                                        (".fgb", "FlatGeobuf")])
def test_read_formats_match_geopandas(tmp_path, data_dir, ext, driver):
    src = gpd.read_file(data_dir / "boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson")
    path = tmp_path / f"cilegon{ext}"
    src.to_file(path, driver=driver)
    ours = read_vector(path)
    ref = gpd.read_file(path)
    assert len(ours) == len(ref) == 43
    assert ours.crs.to_epsg() == ref.crs.to_epsg() == 4326
    assert list(ours["village"]) == list(ref["village"])  # (shapefiles truncate longer names)
    assert _same_geometries(ours.geometry, ref.geometry)


def test_read_csv_lonlat_and_wkt(tmp_path):
    df = pd.DataFrame({"name": ["a", "b"], "lon": [106.1, 106.2], "lat": [-6.1, -6.2]})
    p = tmp_path / "pts.csv"
    df.to_csv(p, index=False)
    with pytest.raises(jangkau.CrsError) as err:
        read_vector(p, x="lon", y="lat")
    assert "pts.csv" in str(err.value)
    g = read_vector(p, x="lon", y="lat", crs="EPSG:4326")
    assert g.crs.to_epsg() == 4326
    assert g.geometry.x.tolist() == [106.1, 106.2]
    assert "lon" not in g.columns
    with pytest.raises(jangkau.UnknownColumnError) as err:
        read_vector(p, x="longitude", y="lat", crs="EPSG:4326")
    assert err.value.field == "longitude"
    w = tmp_path / "wkt.csv"
    pd.DataFrame({"id": [1], "wkt": ["POLYGON ((0 0, 1 0, 1 1, 0 0))"]}).to_csv(w, index=False)
    gw = read_vector(w, wkt="wkt", crs="EPSG:32748")
    assert gw.geometry.iloc[0].area == pytest.approx(0.5)


def test_attribute_types_and_nulls(tmp_path, squares):
    p = tmp_path / "sq.gpkg"
    squares.to_file(p)
    g = read_vector(p)
    assert str(g["n"].dtype) == "Int64"
    assert g["v"].dtype == np.float64 and np.isnan(g["v"].iloc[1])
    assert pd.isna(g["code"].iloc[2]) and g["code"].iloc[0] == "A"


def test_errors_name_the_file(tmp_path):
    with pytest.raises(jangkau.DataFileError) as err:
        read_vector(tmp_path / "missing.geojson")
    assert isinstance(err.value, OSError)
    assert "missing.geojson" in str(err.value) and "not found" in str(err.value)
    bad = tmp_path / "truncated.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Po')
    with pytest.raises(jangkau.DataFileError) as err:
        read_vector(bad)
    assert "truncated.geojson" in str(err.value)
    nocrs = tmp_path / "nocrs.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)]).to_file(nocrs)
    with pytest.raises(jangkau.CrsError) as err:
        read_vector(nocrs)
    assert isinstance(err.value, ValueError) and "nocrs.gpkg" in str(err.value)
    assert read_vector(nocrs, crs="EPSG:32748").crs.to_epsg() == 32748


def test_mixed_geometry_dimensions_rejected(tmp_path):
    p = tmp_path / "mixed.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}},
    ]}))
    with pytest.raises(jangkau.GeometryError) as err:
        read_vector(p)
    assert err.value.feature == 1


def test_geometry_array_round_trip(data_dir):
    g = gpd.read_file(data_dir / SERANG)
    ga = to_geometry_array(g.geometry)
    assert len(ga) == len(g)
    back = from_geometry_array(ga)
    assert _same_geometries(back, g.geometry.values)
    pts = to_geometry_array(gpd.GeoSeries([Point(1, 2), None, Point(3, 4)]))
    assert list(pts.geom_offsets) == [0, 1, 1, 2]


def test_transform_matches_pyproj(data_dir):
    from pyproj import Transformer

    g = gpd.read_file(data_dir / SERANG)
    coords = shapely.get_coordinates(g.geometry.values)
    x, y = _core.transform_xy(coords[:, 0], coords[:, 1], "EPSG:4326", "EPSG:32748")
    rx, ry = Transformer.from_crs(4326, 32748, always_xy=True).transform(coords[:, 0], coords[:, 1])
    np.testing.assert_allclose(x, rx, rtol=0, atol=1e-6)
    np.testing.assert_allclose(y, ry, rtol=0, atol=1e-6)
    assert _core.utm_crs_for(106.1, -6.1) == "EPSG:32748"
    assert _core.utm_crs_for(9.5, 47.1) == "EPSG:32632"
    with pytest.raises(jangkau.CrsError):
        _core.transform_xy(x, y, "EPSG:999999", "EPSG:4326")


def test_validate_repairs_and_reports():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    ok = Polygon([(0, 0), (1, 0), (1, 1), (0, 0)])
    ga = to_geometry_array(gpd.GeoSeries([ok, bowtie]))
    fixed, records = _core.validate_polygons(ga, True, False, "test.geojson")
    assert len(records) == 1 and records[0][0] == 1 and "Self-intersection" in records[0][1]
    geoms = from_geometry_array(fixed)
    assert shapely.is_valid(geoms).all()
    assert geoms[1].area == pytest.approx(shapely.make_valid(bowtie).area)
    with pytest.raises(jangkau.GeometryError) as err:
        _core.validate_polygons(ga, False, False, "test.geojson")
    assert err.value.feature == 1 and err.value.file == "test.geojson"
    empty = to_geometry_array(gpd.GeoSeries([ok, None]))
    with pytest.raises(jangkau.GeometryError, match="empty"):
        _core.validate_polygons(empty, True, False, "e.gpkg")


def test_dissolve_matches_shapely(data_dir):
    g = gpd.read_file(data_dir / SERANG).to_crs(32748)
    codes, group = np.unique(g["district_code"], return_inverse=True)
    merged = from_geometry_array(_core.dissolve(to_geometry_array(g.geometry), group.astype(np.int64), len(codes)))
    ref = g.dissolve("district_code").sort_index()
    assert len(merged) == len(ref) == 29
    np.testing.assert_allclose(shapely.area(merged), ref.area.to_numpy(), rtol=1e-9)
    sym = shapely.area(shapely.symmetric_difference(merged, ref.geometry.values))
    assert (sym / ref.area.to_numpy()).max() < 1e-9
    assert shapely.is_valid(merged).all()


def test_locate_and_nearest_match_brute_force():
    rng = np.random.default_rng(7)
    polys = gpd.GeoSeries([shapely.box(i, j, i + 1, j + 1) for i in range(5) for j in range(5)])
    ga = to_geometry_array(polys)
    x, y = rng.uniform(-1, 6, 500), rng.uniform(-1, 6, 500)
    found = _core.locate_points(ga, x, y)
    for i in range(500):
        hits = [k for k, p in enumerate(polys) if p.covers(Point(x[i], y[i]))]
        assert found[i] == (min(hits) if hits else -1)
    tx, ty = rng.uniform(0, 10, 50), rng.uniform(0, 10, 50)
    idx, dist = _core.nearest_points(tx, ty, x, y)
    d = np.hypot(x[:, None] - tx[None, :], y[:, None] - ty[None, :])
    np.testing.assert_array_equal(idx, d.argmin(axis=1))
    np.testing.assert_allclose(dist, d.min(axis=1), rtol=1e-12)


def test_write_geojson_rfc7946(tmp_path, squares):
    # clockwise shell on purpose: the writer must emit counter-clockwise exterior rings
    cw = squares.copy()
    cw["geometry"] = shapely.reverse(squares.geometry.values)
    out = write(cw, tmp_path / "sq.geojson", precision=6)
    doc = json.loads(out.read_text())
    assert "crs" not in doc
    for feat in doc["features"]:
        geom = feat["geometry"]
        ring = geom["coordinates"][0][0] if geom["type"] == "MultiPolygon" else geom["coordinates"][0]
        assert shapely.LinearRing(ring).is_ccw
        lon, lat = ring[0]
        assert 105 < lon < 108 and -8 < lat < 0  # WGS84 lon/lat, not UTM
        assert len(str(lon).split(".")[1]) <= 6
    back = gpd.read_file(out)
    assert back.crs.to_epsg() == 4326
    assert back["code"].tolist()[:2] == ["A", "B"]


def test_writes_are_atomic_and_deterministic(tmp_path, data_dir):
    g = read_vector(data_dir / SERANG)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for ext in (".geojson", ".gpkg", ".csv", ".fgb"):
        a, b = tmp_path / "a" / f"z{ext}", tmp_path / "b" / f"z{ext}"
        frame = g.drop(columns="geometry") if ext == ".csv" else g
        write(frame, a)
        write(frame, b)
        assert a.read_bytes() == b.read_bytes(), ext
    target = tmp_path / "occupied.geojson"
    target.mkdir()  # the rename onto a directory fails after the data was written
    with pytest.raises(jangkau.DataFileError):
        write(g, target)
    assert sorted(os.listdir(tmp_path / "occupied.geojson")) == []
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]
    with pytest.raises(jangkau.DataFileError):
        write(g, tmp_path / "no" / "such" / "dir.geojson")
    with pytest.raises(jangkau.InvalidInputError):
        write(g, tmp_path / "x.kml")
    with pytest.raises(jangkau.CrsError):
        write(gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)]), tmp_path / "nocrs.geojson")


def test_errors_map_to_builtin_classes():
    assert issubclass(jangkau.InvalidInputError, ValueError)
    assert issubclass(jangkau.DataFileError, OSError)
    assert issubclass(jangkau.CrsError, jangkau.JangkauError)


def test_booleans_round_trip_as_json_booleans(tmp_path, squares):
    g = squares.assign(flag=[True, False, True])
    out = write(g, tmp_path / "b.geojson")
    doc = json.loads(out.read_text())
    assert [f["properties"]["flag"] for f in doc["features"]] == [True, False, True]
    back = read_vector(out)
    assert str(back["flag"].dtype) == "boolean" and back["flag"].tolist() == [True, False, True]
    assert read_vector(write(g, tmp_path / "b.gpkg"))["flag"].tolist() == [True, False, True]
