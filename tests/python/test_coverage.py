"""Coverage: per-zone covered population against geopandas/shapely and exactextract on the
real boundaries and the real Cilegon puskesmas; brute force; properties; CLI; facilities.

Population per desa/kelurahan is SYNTHETIC (seeded) in these tests: no real table exists.
Facility points for Kab. Serang are SYNTHETIC too (the data has none)."""

from __future__ import annotations

import glob
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource

from jangkau import _core
from jangkau.cli import main
from jangkau.coverage import (
    coverage,
    distance_by_zone,
    distance_to_nearest,
    gaps,
    nearest_facility,
    parse_radii,
)
from jangkau.data.facilities import Basis, FacilityCatalogue, facility_issues, read_facilities
from jangkau.data.io import to_geometry_array
from jangkau.data.population import from_raster, from_zone_counts
from jangkau.data.raster import Raster, grid_for_bounds, read_raster, write_raster
from jangkau.data.region import Region
from jangkau.errors import GeometryError, InvalidInputError

RADII = [1000.0, 2000.0, 5000.0]


def _synthetic_population(desa: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    out = desa.copy()
    out["population"] = np.random.default_rng(seed).integers(1000, 30000, len(out)).astype(float)  # SYNTHETIC
    return out


def _geopandas_reference(desa, points, radius, key):
    """The analyst's way: buffer → union → overlay → density × area, grouped by `key`."""
    union = shapely.union_all(shapely.buffer(points.geometry.values, radius, quad_segs=8))
    d = desa.copy()
    d["density"] = d["population"] / d.geometry.area
    d["covered"] = d["density"] * d.geometry.intersection(union).area
    return d.groupby(key)["covered"].sum()


@pytest.fixture(scope="module")
def cilegon(data_dir):
    region = Region.load("cilegon", data_dir=data_dir)
    desa = _synthetic_population(region.zones("desa", crs=region.working_crs), 3672)
    return region, desa


@pytest.fixture(scope="module")
def puskesmas(data_dir):
    return read_facilities([data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"])


def test_cilegon_real_puskesmas_matches_geopandas(cilegon, puskesmas):
    _, desa = cilegon
    # quadrant_segments=8: shapely's 32-gons, reproduced exactly (true discs: test_true_disc.py)
    res = coverage(desa, puskesmas, RADII, level="kecamatan_code", quadrant_segments=8)
    assert set(res["facility_type"]) == {"puskesmas", "pustu"}
    for t in ("puskesmas", "pustu"):
        pts = puskesmas[puskesmas["facility_type"] == t].to_crs(desa.crs)
        for r in RADII:
            ref = _geopandas_reference(desa, pts, r, "kecamatan_code")
            got = res[(res["facility_type"] == t) & (res["radius_m"] == r)].set_index("code")["covered"]
            assert len(got) == 8
            np.testing.assert_allclose(got.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=1e-6)


def test_cilegon_region_levels(cilegon, puskesmas):
    region, _ = cilegon
    desa = region.zones("desa", crs=region.working_crs)
    pts = puskesmas[puskesmas["facility_type"] == "puskesmas"].to_crs(desa.crs)
    for level, key in (("desa", "code"), ("kecamatan", "kecamatan_code"), ("kabupaten", "kabupaten_code")):
        res = coverage(region, puskesmas, "2km", level=level, types="puskesmas", quadrant_segments=8)
        ref = _geopandas_reference(desa, pts, 2000.0, key)
        got = res.set_index("code")["covered"]
        np.testing.assert_allclose(got.loc[ref.index.astype(str)].to_numpy(), ref.to_numpy(), rtol=1e-6)
        assert res["name"].notna().all()


def test_serang_synthetic_facilities_match_geopandas(data_dir):
    region = Region.load("serang", data_dir=data_dir)
    desa = _synthetic_population(region.zones("desa", crs=region.working_crs), 3604)
    rng = np.random.default_rng(2024)
    xmin, ymin, xmax, ymax = desa.total_bounds
    pts = gpd.GeoDataFrame(
        {"facility_type": ["puskesmas"] * 40},  # SYNTHETIC points
        geometry=gpd.points_from_xy(rng.uniform(xmin, xmax, 40), rng.uniform(ymin, ymax, 40)),
        crs=desa.crs,
    )
    res = coverage(desa, pts, RADII, level="kecamatan_code", quadrant_segments=8)
    for r in RADII:
        ref = _geopandas_reference(desa, pts, r, "kecamatan_code")
        got = res[res["radius_m"] == r].set_index("code")["covered"]
        assert len(got) == 29
        np.testing.assert_allclose(got.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=1e-6)


def test_disc_union_areas_dense_and_sparse_match_shapely(data_dir):
    """Exact overlay per desa against shapely on SYNTHETIC points mixing isolated facilities and
    dense clusters (hundreds of discs meeting each disc: the engine's bucket-query path) with
    radii from 300 m to 6 km (desa boundary runs wholly inside one disc: the run shortcut)."""
    region = Region.load("serang", data_dir=data_dir)
    desa = region.zones("desa", crs=region.working_crs)
    rng = np.random.default_rng(77)
    xmin, ymin, xmax, ymax = desa.total_bounds
    sparse = np.column_stack([rng.uniform(xmin, xmax, 60), rng.uniform(ymin, ymax, 60)])
    centres = np.column_stack([rng.uniform(xmin, xmax, 4), rng.uniform(ymin, ymax, 4)])
    dense = np.concatenate([c + rng.normal(0, 400, (150, 2)) for c in centres])
    xy = np.concatenate([sparse, dense])
    ga = to_geometry_array(desa.geometry)
    radii = np.array([300.0, 2000.0, 6000.0])
    got = _core.disc_union_areas(ga, xy[:, 0].copy(), xy[:, 1].copy(), radii, 8, 2)
    pts = shapely.points(xy)
    for j, r in enumerate(radii):
        union = shapely.union_all(shapely.buffer(pts, r, quad_segs=8))
        ref = shapely.area(shapely.intersection(desa.geometry.values, union))
        np.testing.assert_allclose(got[j], ref, rtol=0, atol=1e-9 * desa.geometry.area.max())
    # One worker or two: the same bytes.
    np.testing.assert_array_equal(got, _core.disc_union_areas(ga, xy[:, 0].copy(), xy[:, 1].copy(), radii, 8, 1))


def test_coverage_properties(cilegon, puskesmas):
    _, desa = cilegon
    res = coverage(desa, puskesmas, [500.0, 1000.0, 2000.0, 5000.0, 50000.0], level="kecamatan_code")
    assert (res["covered"] <= res["population"] + 1e-9).all()
    assert (res["covered"] >= 0).all()
    np.testing.assert_allclose(res["covered"] + res["not_covered"], res["population"], rtol=1e-12)
    for _, g in res.groupby(["facility_type", "code"]):
        assert np.all(np.diff(g.sort_values("radius_m")["covered"].to_numpy()) >= -1e-9)
    for _, g in res.groupby(["facility_type", "radius_m"]):
        assert g["population"].sum() == pytest.approx(desa["population"].sum(), rel=1e-12)
    huge = res[res["radius_m"] == 50000.0]
    np.testing.assert_allclose(huge["share"], 1.0, rtol=1e-9)


def test_raster_model_matches_exactextract(cilegon, puskesmas, tmp_path):
    region, _ = cilegon
    kec = region.zones("kecamatan", crs=region.working_crs)
    grid = grid_for_bounds(kec.total_bounds, 50.0)
    counts = np.random.default_rng(77).gamma(1.5, 4.0, (grid.rows, grid.cols))  # SYNTHETIC counts
    path = tmp_path / "pop.tif"
    write_raster(path, Raster(counts, grid, region.working_crs))
    pop = from_raster(path)
    res = coverage(region, puskesmas, "1km,3km", level="kecamatan", population=pop, types="puskesmas",
                   quadrant_segments=8)
    back = read_raster(path)
    xmin, ymin = grid.origin_x, grid.origin_y - grid.rows * 50.0
    src = NumPyRasterSource(back.values, xmin, ymin, xmin + grid.cols * 50.0, grid.origin_y, srs_wkt=back.crs)
    pts = puskesmas[puskesmas["facility_type"] == "puskesmas"].to_crs(kec.crs)
    total = exact_extract(src, kec, ["sum"], output="pandas")["sum"].to_numpy()
    for r in (1000.0, 3000.0):
        union = shapely.union_all(shapely.buffer(pts.geometry.values, r, quad_segs=8))
        pieces = kec.copy()
        pieces["geometry"] = kec.geometry.intersection(union)
        nonempty = ~pieces.geometry.is_empty
        ref = np.zeros(len(kec))
        ref[nonempty.to_numpy()] = exact_extract(src, pieces[nonempty], ["sum"], output="pandas")[
            "sum"
        ].to_numpy()
        got = res[res["radius_m"] == r].set_index("code").loc[kec["code"]]
        np.testing.assert_allclose(got["covered"].to_numpy(), ref, rtol=1e-6)
        np.testing.assert_allclose(got["population"].to_numpy(), total, rtol=1e-9)


def test_geographic_raster_is_not_resampled(cilegon, puskesmas):
    """A WorldPop-style raster in EPSG:4326: buffers are built in metres and reprojected to the
    raster's CRS; the reference does the same with shapely/pyproj and exactextract."""
    region, _ = cilegon
    kec = region.zones("kecamatan")  # EPSG:4326
    grid = grid_for_bounds(kec.total_bounds, 0.001)
    counts = np.random.default_rng(4326).poisson(4.0, (grid.rows, grid.cols)).astype(float)  # SYNTHETIC
    pop = from_raster(Raster(counts, grid, "EPSG:4326"))
    res = coverage(region, puskesmas, "2km", level="kecamatan", population=pop, types="puskesmas",
                   quadrant_segments=8)
    pts = puskesmas[puskesmas["facility_type"] == "puskesmas"].to_crs(region.working_crs)
    union = (
        gpd.GeoSeries(
            [shapely.union_all(shapely.buffer(pts.geometry.values, 2000.0, quad_segs=8))],
            crs=region.working_crs,
        )
        .to_crs("EPSG:4326")
        .iloc[0]
    )
    pieces = kec.copy()
    pieces["geometry"] = kec.geometry.intersection(union)
    xmin, ymin = grid.origin_x, grid.origin_y - grid.rows * grid.cell_height
    src = NumPyRasterSource(counts, xmin, ymin, xmin + grid.cols * grid.cell_width, grid.origin_y)
    keep = ~pieces.geometry.is_empty
    ref = np.zeros(len(kec))
    ref[keep.to_numpy()] = exact_extract(src, pieces[keep], ["sum"], output="pandas")["sum"].to_numpy()
    got = res.set_index("code").loc[kec["code"], "covered"].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_nearest_allocation_brute_force():
    rng = np.random.default_rng(31)
    grid = _core.Grid(500000.0, 9300000.0, 100.0, 100.0, 40, 50)
    counts = rng.poisson(2.0, (40, 50)).astype(float)  # SYNTHETIC
    pop = from_raster(Raster(counts, grid, "EPSG:32748"))
    fac = gpd.GeoDataFrame(
        {"facility_type": ["sd"] * 12},
        geometry=gpd.points_from_xy(rng.uniform(500000, 505000, 12), rng.uniform(9296000, 9300000, 12)),
        crs="EPSG:32748",
    )
    alloc = nearest_facility(pop, fac)
    x, y = Raster(counts, grid, "EPSG:32748").cell_centers()
    p = counts.ravel()
    d = np.hypot(
        x[:, None] - fac.geometry.x.to_numpy()[None, :], y[:, None] - fac.geometry.y.to_numpy()[None, :]
    )
    near = d.argmin(axis=1)
    dist = d.min(axis=1)
    for j in range(len(fac)):
        m = (near == j) & (p > 0)
        assert alloc["population"].iloc[j] == pytest.approx(p[m].sum())
        if m.any():
            assert alloc["mean_distance_m"].iloc[j] == pytest.approx(np.average(dist[m], weights=p[m]))
            for q, col in ((0.5, "p50_distance_m"), (0.9, "p90_distance_m")):
                assert alloc[col].iloc[j] == pytest.approx(
                    np.percentile(np.repeat(dist[m], p[m].astype(int)), q * 100, method="inverted_cdf")
                )
    assert alloc["population"].sum() == pytest.approx(p.sum())


def test_distance_raster_and_zones(cilegon, puskesmas, tmp_path):
    region, desa = cilegon
    pop = from_zone_counts(desa)
    pts = puskesmas[puskesmas["facility_type"] == "puskesmas"]
    dist = distance_to_nearest(pop, pts, cell_size=200.0)
    out = tmp_path / "dist.tif"
    write_raster(out, dist)
    back = read_raster(out)
    populated = pop.surface(200.0).values > 0
    assert np.isfinite(back.values[populated]).all() and np.isnan(back.values[~populated]).all()
    kec = region.zones("kecamatan", crs=region.working_crs)
    by_zone = distance_by_zone(pop, pts, kec, cell_size=200.0)
    assert list(by_zone.columns) == [
        "code",
        "population",
        "mean_distance_m",
        "p50_distance_m",
        "p90_distance_m",
    ]
    assert by_zone["population"].sum() == pytest.approx(desa["population"].sum(), rel=1e-9)
    assert (by_zone["p50_distance_m"] <= by_zone["p90_distance_m"]).all()
    # numpy reference for one kecamatan: the (desa, cell) pieces of its desa.
    zone_of, cells, mass, _ = pop.pieces(200.0)
    in_k = pop.zones["kecamatan_code"].to_numpy()[zone_of] == kec["code"].iloc[0]
    v, w = dist.values.ravel()[cells[in_k]], mass[in_k]
    keep = w > 0
    assert by_zone["population"].iloc[0] == pytest.approx(
        desa.loc[desa["kecamatan_code"] == kec["code"].iloc[0], "population"].sum(), rel=1e-9
    )
    assert by_zone["mean_distance_m"].iloc[0] == pytest.approx(np.average(v[keep], weights=w[keep]), rel=1e-9)
    # RASTER model: exact partial cells of each zone.
    rpop = from_raster(pop.surface(200.0))
    by_zone_r = distance_by_zone(rpop, pts, kec)
    offsets, rcells, frac = _core.cell_coverage(dist.grid, to_geometry_array(kec.geometry))
    w = rpop.raster.values.ravel()[rcells[offsets[0] : offsets[1]]] * frac[offsets[0] : offsets[1]]
    v = dist.values.ravel()[rcells[offsets[0] : offsets[1]]]
    keep = w > 0
    assert by_zone_r["mean_distance_m"].iloc[0] == pytest.approx(
        np.average(v[keep], weights=w[keep]), rel=1e-9
    )


def test_gaps_complement_coverage(cilegon, puskesmas):
    _, desa = cilegon
    pts = puskesmas[puskesmas["facility_type"] == "puskesmas"]
    g = gaps(desa, pts, "2km", quadrant_segments=8)
    res = coverage(desa, pts, [2000.0], level="code", quadrant_segments=8)
    uncovered = res.set_index("code")["not_covered"]
    got = g.set_index("code")["population"]
    # GEOS difference vs the engine overlay: equal to rounding (absolute, in people).
    np.testing.assert_allclose(got.to_numpy(), uncovered.loc[got.index].to_numpy(), rtol=1e-9, atol=1e-6)
    assert uncovered.drop(got.index).abs().max() < 1e-6 if len(uncovered) > len(got) else True
    assert g.crs.to_epsg() == 4326 and g.geometry.is_valid.all()


def test_parse_radii():
    assert parse_radii("1km,2.5km,500m,750") == [1000.0, 2500.0, 500.0, 750.0]
    assert parse_radii([1000, "2km"]) == [1000.0, 2000.0]
    for bad in ("", "1mi", "-1km", "0"):
        with pytest.raises(InvalidInputError):
            parse_radii(bad)


def test_cli_coverage(data_dir, tmp_path, capsys):
    fac = str(data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson")
    out = tmp_path / "cov.csv"
    assert (
        main(
            [
                "--data",
                str(data_dir),
                "-q",
                "coverage",
                "cilegon",
                "--facilities",
                fac,
                "--radius",
                "1km,2km,5km",
                "--level",
                "kecamatan",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    df = pd.read_csv(out)
    assert len(df) == 2 * 3 * 8 and {"covered", "share", "not_covered"} <= set(df.columns)
    gj = tmp_path / "cov.geojson"
    assert (
        main(
            [
                "--data",
                str(data_dir),
                "-q",
                "coverage",
                "cilegon",
                "--facilities",
                fac,
                "--type",
                "puskesmas",
                "--radius",
                "2km",
                "-o",
                str(gj),
            ]
        )
        == 0
    )
    doc = json.loads(gj.read_text())
    assert len(doc["features"]) == 8 and doc["features"][0]["properties"]["facility_type"] == "puskesmas"
    with pytest.raises(SystemExit) as exc:  # a bad option value is a usage error, before any work
        main(["--data", str(data_dir), "coverage", "cilegon", "--facilities", fac, "--radius", "1mile", "-o", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("jangkau coverage: error:") and "radius" in err[-1]
    assert (
        main(
            [
                "--data",
                str(data_dir),
                "coverage",
                "cilegon",
                "--facilities",
                str(tmp_path / "none.geojson"),
                "-o",
                str(out),
            ]
        )
        == 1
    )


def test_read_all_cilegon_layers(data_dir):
    files = sorted(glob.glob(str(data_dir / "facilities" / "*.geojson")))
    region = Region.load("cilegon", data_dir=data_dir)
    fac = read_facilities(files, region_boundary=region.zones("kabupaten"))
    counts = fac.groupby("facility_type").size().to_dict()
    assert counts == {
        "bts": 5,
        "kantor_pemerintahan": 107,
        "klinik": 13,
        "pasar": 11,
        "puskesmas": 9,
        "pustu": 8,
        "rumah_sakit": 12,
        "sd": 213,
        "sma": 32,
        "smp": 61,
    }
    assert set(fac.columns) >= {"facility_type", "name", "capacity", "source", "outside_region", "duplicate"}
    assert not fac["name"].str.contains("\r").any()


def test_facility_issues_reported(tmp_path, data_dir):
    # SYNTHETIC layer: a duplicate, a point without geometry and one outside the region.
    region = Region.load("cilegon", data_dir=data_dir)
    path = tmp_path / "fac.geojson"
    inside = region.zones("desa").geometry.iloc[0].representative_point()
    lon, lat = round(inside.x, 6), round(inside.y, 6)
    feats = [
        {
            "type": "Feature",
            "properties": {"nama": "A", "jenis": "Puskesmas", "kapasitas": 10},
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        },
        {
            "type": "Feature",
            "properties": {"nama": "A again", "jenis": "PUSKESMAS", "kapasitas": 10},
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        },
        {
            "type": "Feature",
            "properties": {"nama": "no geom", "jenis": "SD", "kapasitas": 5},
            "geometry": None,
        },
        {
            "type": "Feature",
            "properties": {"nama": "far", "jenis": "SD", "kapasitas": None},
            "geometry": {"type": "Point", "coordinates": [106.5, -6.3]},
        },
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    from jangkau.data.facilities import FacilityLayer

    # A point without coordinates is refused by default (file, feature, field named)...
    with pytest.raises(GeometryError) as e:
        read_facilities([FacilityLayer(path, capacity_column="kapasitas")], region_boundary=region.zones("kabupaten"))
    assert e.value.feature == 2 and e.value.file == str(path) and e.value.field == "geometry"
    # ...and dropped, then reported, when the missing_coordinates policy says so.
    fac = read_facilities(
        [FacilityLayer(path, capacity_column="kapasitas")], region_boundary=region.zones("kabupaten"),
        missing_coordinates="drop",
    )
    assert len(fac) == 3
    assert fac["facility_type"].tolist() == ["puskesmas", "puskesmas", "sd"]
    assert fac["duplicate"].tolist() == [False, True, False]
    assert fac["outside_region"].tolist() == [False, False, True]
    assert np.isnan(fac["capacity"].iloc[2]) and fac["capacity"].iloc[0] == 10
    issues = facility_issues(fac)
    assert sorted(issues["issue"]) == ["duplicate", "no geometry", "outside region"]
    # Coverage skips the duplicate but keeps the outside facility.
    assert (coverage(region, fac, "1km", types="sd")["covered"] >= 0).all()


def test_read_facilities_types_and_containment_match_row_by_row(tmp_path, data_dir):
    """Types resolved per distinct value and containment through the engine's point-in-polygon
    index give what one catalogue lookup per row and shapely ``covers`` on the union give,
    points on the region's edge and its vertices included (SYNTHETIC points)."""
    from jangkau.data.facilities import FacilityLayer, covered_by

    region = Region.load("cilegon", data_dir=data_dir)
    kab = region.zones("kabupaten")
    desa = region.zones("desa")
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = kab.total_bounds
    n = 3000
    x = rng.uniform(x0 - 0.02, x1 + 0.02, n)
    y = rng.uniform(y0 - 0.02, y1 + 0.02, n)
    edge = shapely.get_coordinates(kab.geometry.boundary.values)  # vertices of the region's outline
    shared = shapely.get_coordinates(desa.geometry.boundary.values)[::50]  # desa vertices, many inside
    x = np.concatenate([x, edge[::10, 0], shared[:, 0]])
    y = np.concatenate([y, edge[::10, 1], shared[:, 1]])
    values = np.array(["Puskesmas", " PUSKESMAS ", "sd_negeri", "SD", "gudang", "Gudang ", None, "RSUD"], dtype=object)
    jenis = values[rng.integers(0, len(values), len(x))]
    path = tmp_path / "points.gpkg"
    gpd.GeoDataFrame({"jenis": jenis}, geometry=gpd.points_from_xy(x, y), crs="EPSG:4326").to_file(path)

    fac = read_facilities([FacilityLayer(path, type_column="jenis")], region_boundary=kab)
    cat = FacilityCatalogue.default()
    raw = [str(v).strip() for v in jenis]
    assert fac["facility_type"].tolist() == [cat.resolve(v) or v.lower() for v in raw]
    union = kab.geometry.union_all()
    assert fac["outside_region"].tolist() == (~shapely.covers(union, shapely.points(x, y))).tolist()
    assert fac["outside_region"].sum() > 100 and (~fac["outside_region"]).sum() > 100
    # the desa (many polygons) and one shapely geometry (prepared covers) say the same
    xy = shapely.get_coordinates(fac.geometry.values)
    assert np.array_equal(covered_by(desa, xy[:, 0], xy[:, 1], fac.crs), ~fac["outside_region"].to_numpy())
    assert np.array_equal(covered_by(union, xy[:, 0], xy[:, 1], fac.crs), ~fac["outside_region"].to_numpy())
    assert np.array_equal(covered_by(union.boundary, xy[:, 0], xy[:, 1], fac.crs),
                          shapely.covers(union.boundary, shapely.points(x, y)))


def test_catalogue():
    cat = FacilityCatalogue.default()
    assert {
        "puskesmas",
        "pustu",
        "rumah_sakit",
        "klinik",
        "sd",
        "smp",
        "sma",
        "kantor_desa",
        "kantor_kecamatan",
        "pasar",
        "bts",
        "mal_pelayanan_publik",
    } <= {t.type for t in cat}
    for t in cat:
        assert t.default_radius_m > 0
        assert isinstance(t.basis, Basis)
        if t.basis is Basis.REGULATION:
            assert t.source.strip()
        assert t.note.strip()  # every default explains itself
    assert cat.resolve("PUSKESMAS PEMBANTU") == "pustu" and cat.resolve("Rumah Sakit") == "rumah_sakit"
    assert cat.with_radius({"sd": 750}).radius_m("sd") == 750
    with pytest.raises(InvalidInputError):
        cat.get("bioskop")
