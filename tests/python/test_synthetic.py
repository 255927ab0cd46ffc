"""Tests of the seeded synthetic region generator (jangkau.synthetic)."""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
import tifffile

from jangkau.errors import InvalidInputError
from jangkau.synthetic.algorithms import allocate_seats, proportional_integers
from jangkau.synthetic.files import FILES, NODATA
from jangkau.synthetic.generator import SyntheticOptions, generate

SMALL = SyntheticOptions(seed=3, n_desa=120, n_kecamatan=10, n_dapil=4, seats=40, extent_km=30.0,
                         cell_size_m=150.0, population=400_000, n_towns=4)


def _digests(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def region():
    return generate(SMALL)


@pytest.fixture(scope="module")
def written(region, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "region"
    toml = region.write(out)
    assert toml == out / "region.toml"
    return out


def _adjacency_graph(polys) -> nx.Graph:
    """Desa adjacency by brute force: every pair sharing a boundary of positive length."""
    g = nx.Graph()
    g.add_nodes_from(range(len(polys)))
    for i in range(len(polys)):
        for j in range(i + 1, len(polys)):
            if polys[i].intersection(polys[j]).length > 0 or \
                    polys[i].boundary.intersection(polys[j].boundary).length > 1e-6:
                g.add_edge(i, j)
    return g


# -- determinism ----------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(written, tmp_path):
    again = generate(SMALL).write(tmp_path / "again")
    assert _digests(written) == _digests(again.parent)
    assert set(_digests(written)) == {*FILES.values(), "region.toml"}


def test_different_seed_gives_different_files(written, tmp_path):
    other = generate(SMALL, seed=4).write(tmp_path / "other").parent
    a, b = _digests(written), _digests(other)
    for key in ("desa", "population_raster", "roads", "schools", "dapil"):
        assert a[FILES[key]] != b[FILES[key]], key


# -- desa geometry --------------------------------------------------------------------------


def test_desa_polygons_are_a_valid_partition_of_the_outline(region):
    geoms = region.desa.geometry.values
    assert len(geoms) == SMALL.n_desa
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_type_id(geoms) == 3).all()  # single polygons
    assert shapely.coverage_is_valid(geoms)  # no overlaps, matching shared edges
    outline_area = region.outline.area
    union = shapely.union_all(geoms)
    total = shapely.area(geoms).sum()
    assert abs(union.area - outline_area) <= 1e-9 * outline_area
    assert abs(total - outline_area) <= 1e-9 * outline_area  # sum = union: no overlaps
    assert union.symmetric_difference(region.outline).area <= 1e-9 * outline_area
    # pairwise brute force: no two desa share area
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    sel = a < b
    overlap = shapely.area(shapely.intersection(geoms[a[sel]], geoms[b[sel]]))
    assert overlap.max() <= 1e-6
    assert region.desa["desa_code"].is_unique
    assert np.allclose(region.desa["area_km2"], shapely.area(geoms) / 1e6, atol=1e-6)


def test_geojson_reads_back_in_wgs84_with_ccw_rings(region, written):
    gdf = gpd.read_file(written / FILES["desa"])
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == SMALL.n_desa
    assert gdf.is_valid.all()
    assert all(shapely.is_ccw(p.exterior) for p in gdf.geometry)
    back = gdf.to_crs(region.crs)
    assert np.allclose(back.area.values, region.desa.area.values, rtol=1e-9)
    assert list(gdf["desa_code"]) == list(region.desa["desa_code"])
    assert gdf["synthetic"].all()
    cov = shapely.coverage_is_valid(back.geometry.values)
    assert cov


def test_region_sits_in_the_open_sea(written):
    gdf = gpd.read_file(written / FILES["desa"])
    minx, miny, maxx, maxy = gdf.total_bounds
    # Open Indian Ocean: Java's west tip is at 105.2 E / 6.8 S, Christmas Island at 105.7 E.
    assert 103.0 < minx < maxx < 104.0
    assert -10.0 < miny < maxy < -9.0


# -- grouping -------------------------------------------------------------------------------


def test_kecamatan_and_dapil_are_contiguous(region):
    desa = region.desa
    polys = list(desa.geometry)
    g = _adjacency_graph(polys)
    assert nx.is_connected(g)
    for code, members in desa.groupby("kecamatan_code").groups.items():
        idx = [desa.index.get_loc(m) for m in members]
        assert nx.is_connected(g.subgraph(idx)), code
        assert shapely.union_all([polys[i] for i in idx]).geom_type == "Polygon", code
    assert desa["kecamatan_code"].nunique() == SMALL.n_kecamatan
    for d, members in desa.groupby("dapil").groups.items():
        idx = [desa.index.get_loc(m) for m in members]
        assert nx.is_connected(g.subgraph(idx)), d
    assert sorted(desa["dapil"].unique()) == list(range(1, SMALL.n_dapil + 1))
    # every desa of one kecamatan is in the same dapil
    assert (desa.groupby("kecamatan_code")["dapil"].nunique() == 1).all()


def test_seats_sum_and_follow_population(region):
    per_dapil = region.dapil.groupby("dapil").agg(seats=("seats", "first"), population=("population", "sum"))
    assert per_dapil["seats"].sum() == SMALL.seats
    assert per_dapil["seats"].between(SMALL.min_seats, SMALL.max_seats).all()
    quota = per_dapil["population"] / per_dapil["population"].sum() * SMALL.seats
    free = (per_dapil["seats"] > SMALL.min_seats) & (per_dapil["seats"] < SMALL.max_seats)
    assert (abs(per_dapil["seats"] - quota)[free] < 1.5).all()
    # more people never means fewer seats
    ranked = per_dapil.sort_values("population")
    assert ranked["seats"].is_monotonic_increasing
    assert region.dapil["population"].sum() == SMALL.population


def test_largest_remainder_against_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(200):
        k = int(rng.integers(1, 6))
        w = rng.uniform(0.1, 10.0, k)
        total = int(rng.integers(0, 30))
        got = proportional_integers(w, total)
        quota = w / w.sum() * total
        # Hamilton's allocation minimises the largest |seats - quota| among all allocations
        # that add up to total and stay within floor/ceil of the quota.
        best = None
        for combo in np.ndindex(*([2] * k)):
            alloc = np.floor(quota).astype(int) + np.array(combo)
            if alloc.sum() != total:
                continue
            err = np.sort(np.abs(alloc - quota))[::-1]
            if best is None or tuple(err) < tuple(best):
                best = err
        assert got.sum() == total
        assert np.allclose(np.sort(np.abs(got - quota))[::-1], best)


def test_seat_bounds_are_enforced():
    assert list(allocate_seats(np.array([1000.0, 10.0, 10.0, 10.0]), 30, 3, 12)) == [12, 6, 6, 6]
    assert list(allocate_seats(np.array([1000.0, 1.0, 1.0, 1.0]), 30, 3, 12)) == [12, 6, 6, 6]
    assert list(allocate_seats(np.array([100.0, 100.0, 1.0]), 20, 3, 12)) == [9, 8, 3]
    rng = np.random.default_rng(5)
    for _ in range(300):
        k = int(rng.integers(1, 8))
        lo, hi = 3, 12
        seats = int(rng.integers(k * lo, k * hi + 1))
        pop = rng.lognormal(0, 1.5, k)
        got = allocate_seats(pop, seats, lo, hi)
        assert got.sum() == seats and got.min() >= lo and got.max() <= hi
        order = np.argsort(pop, kind="stable")
        assert np.all(np.diff(got[order]) >= 0)  # more people, never fewer seats


# -- population raster ----------------------------------------------------------------------


def test_raster_total_equals_population(region, written):
    with tifffile.TiffFile(written / FILES["population_raster"]) as tif:
        page = tif.pages[0]
        arr = page.asarray()
        geo = tif.geotiff_metadata
        tags = {t.name: t.value for t in page.tags.values()}
    assert arr.dtype == np.float32
    assert np.array_equal(arr, region.population_raster)
    valid = arr != NODATA
    assert arr[valid].min() >= 0
    assert np.array_equal(arr[valid], np.round(arr[valid]))  # whole people
    assert arr[valid].astype(np.float64).sum() == SMALL.population
    assert geo["ProjectedCSTypeGeoKey"] == 32748
    assert tags["ModelPixelScaleTag"][:2] == (SMALL.cell_size_m, SMALL.cell_size_m)
    assert tags["ModelTiepointTag"][3:5] == region.raster_origin
    assert tags["GDAL_NODATA"].strip("\0") == "-99999"
    assert '<Item name="synthetic">true</Item>' in tags["GDAL_METADATA"]
    assert "SYNTHETIC" in tags["ImageDescription"]


def test_raster_reads_back_through_gdal(region, written):
    """The engine's GDAL reader (jangkau.data.raster) sees the same grid, CRS, nodata and values."""
    import pyproj

    from jangkau.data.raster import read_raster

    r = read_raster(written / FILES["population_raster"])
    g = r.grid
    assert (g.origin_x, g.origin_y) == region.raster_origin
    assert (g.cell_width, g.cell_height) == (SMALL.cell_size_m, SMALL.cell_size_m)
    assert (g.rows, g.cols) == region.population_raster.shape
    assert r.nodata == NODATA
    assert pyproj.CRS.from_user_input(r.crs).to_epsg() == 32748
    expected = np.where(region.population_raster == NODATA, np.nan, region.population_raster)
    assert np.array_equal(r.values, expected, equal_nan=True)
    assert np.nansum(r.values) == SMALL.population


def test_desa_population_matches_an_independent_zonal_sum(region, written):
    """Sum the raster over each desa with a geopandas point-in-polygon join (the peer) and
    compare with the population table the generator wrote."""
    arr = region.population_raster
    x0, y1 = region.raster_origin
    c = region.cell_size_m
    rows, cols = np.nonzero(arr != NODATA)
    pts = gpd.GeoDataFrame({"pop": arr[rows, cols].astype(np.int64)},
                           geometry=gpd.points_from_xy(x0 + (cols + 0.5) * c, y1 - (rows + 0.5) * c),
                           crs=region.crs)
    joined = gpd.sjoin(pts, region.desa[["desa_code", "geometry"]], predicate="within")
    assert len(joined) == len(pts)  # every populated-or-zero cell centre is in exactly one desa
    zonal = joined.groupby("desa_code")["pop"].sum()
    with open(written / FILES["population_table"], newline="") as f:
        table = {r["desa_code"]: int(r["population"]) for r in csv.DictReader(f)}
    assert sum(table.values()) == SMALL.population
    for code, pop in table.items():
        assert zonal.get(code, 0) == pop, code
    # towns make the density uneven: the densest tenth of desa hold far more than a tenth
    dens = region.desa["population"] / region.desa["area_km2"]
    assert dens.quantile(0.9) > 3 * dens.quantile(0.1)


# -- roads and facilities -------------------------------------------------------------------


def test_roads_form_one_connected_network(region, written):
    roads = gpd.read_file(written / FILES["roads"])
    assert set(roads["class"]) == {"arterial", "collector", "local"}
    g = nx.Graph()
    for geom, cls in zip(region.roads.geometry, region.roads["class"]):
        coords = list(geom.coords)
        g.add_edge(coords[0], coords[-1], cls=cls)
    assert nx.is_connected(g)
    # every desa centre (kantor desa) is a node of the network
    kd = region.facilities[region.facilities["type"] == "kantor_desa"]
    nodes = set(g.nodes)
    assert all((p.x, p.y) in nodes for p in kd.geometry)
    # the arterial spine is one piece reaching every town's desa
    art = nx.Graph([(u, v) for u, v, c in g.edges(data="cls") if c == "arterial"])
    assert nx.number_connected_components(art) == 1
    assert (region.roads["length_m"] > 0).all()


def test_facilities(region):
    fac = region.facilities
    desa = region.desa
    assert set(fac["type"]) == {"puskesmas", "sd", "smp", "kantor_desa"}
    kd = fac[fac["type"] == "kantor_desa"]
    assert sorted(kd["desa_code"]) == sorted(desa["desa_code"])
    # each kantor desa lies inside its own desa
    joined = gpd.sjoin(kd, desa[["desa_code", "geometry"]].rename(columns={"desa_code": "in_desa"}),
                       predicate="within")
    assert (joined["desa_code"] == joined["in_desa"]).all() and len(joined) == len(kd)
    pk = fac[fac["type"] == "puskesmas"]
    assert set(pk["kecamatan_code"]) == set(desa["kecamatan_code"])  # one in every kecamatan
    assert len(pk) >= SMALL.n_kecamatan
    assert fac["capacity"].dtype == np.int64
    assert (fac.loc[fac["type"] != "kantor_desa", "capacity"] > 0).all()
    assert fac["facility_id"].is_unique
    inside = shapely.contains_xy(region.outline, fac.geometry.x.values, fac.geometry.y.values)
    assert inside.mean() > 0.99


# -- labels ---------------------------------------------------------------------------------


def test_every_output_is_labelled_synthetic(written):
    for rel in FILES.values():
        path = written / rel
        if rel.endswith(".geojson"):
            doc = json.loads(path.read_text())
            assert doc["synthetic"] is True and "SYNTHETIC" in doc["description"], rel
            assert all(f["properties"]["synthetic"] is True for f in doc["features"]), rel
        elif rel.endswith(".csv"):
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
            assert rows and all(r["synthetic"] == "true" for r in rows), rel
    cfg = tomllib.loads((written / "region.toml").read_text())
    assert cfg["synthetic"] is True
    assert "SYNTHETIC" in (written / "region.toml").read_text().splitlines()[0]
    assert cfg["working_crs"] == "EPSG:32748"
    refs = [cfg["boundaries"]["file"], cfg["population"]["file"],
            cfg["dapil"]["file"], cfg["roads"]["file"], *(f["file"] for f in cfg["facilities"].values())]
    for ref in refs:
        assert ref.startswith("@region/") and (written / ref.removeprefix("@region/")).is_file(), ref
    assert cfg["dapil"]["total_seats"] == SMALL.seats


def test_region_file_loads_with_jangkau_region(written):
    """The written folder is a region jangkau.Region can load, whatever the data directory."""
    from jangkau.data.region import Region

    region = Region.load(written / "region.toml", data_dir=written)
    assert region.is_synthetic
    assert region.working_crs == "EPSG:32748"
    desa = region.zones("desa", crs=None)
    assert len(desa) == SMALL.n_desa
    assert desa["population"].sum() == SMALL.population
    assert desa["synthetic"].all()
    assert len(region.zones("kecamatan")) == SMALL.n_kecamatan
    assert region.dapil["seats"].groupby(region.dapil["dapil"]).first().sum() == SMALL.seats


# -- options and scale ----------------------------------------------------------------------


@pytest.mark.parametrize("n_cells", [10_000, 40_000])
def test_for_cells_builds_a_consistent_region(n_cells):
    opt = SyntheticOptions.for_cells(n_cells, seed=1)
    r = generate(opt)
    assert r.population_raster.size == pytest.approx(n_cells, rel=0.05)
    assert r.population_raster[r.population_raster != NODATA].astype(np.float64).sum() == opt.population
    assert r.dapil.drop_duplicates("dapil")["seats"].sum() == opt.seats
    assert shapely.coverage_is_valid(r.desa.geometry.values)


def test_for_cells_scales_to_benchmark_sizes():
    big = SyntheticOptions.for_cells(10_000_000)
    big.validate()
    n = round(big.extent_km * 1000 / big.cell_size_m)
    assert n * n == pytest.approx(10_000_000, rel=0.01)
    assert big.n_desa > 1000 and big.n_dapil * big.max_seats >= big.seats


@pytest.mark.parametrize("field,value", [("n_desa", 2), ("n_kecamatan", 0), ("n_dapil", 99),
                                         ("seats", 1000), ("cell_size_m", 0.0), ("town_share", 0.9),
                                         ("kabupaten_code", "36x4")])
def test_bad_options_raise_typed_errors(field, value):
    with pytest.raises(InvalidInputError) as err:
        generate(SMALL, **{field: value})
    assert err.value.field in (field, "town_share", "n_dapil", "seats", "n_kecamatan")


def test_sites_step_warns_about_desa_without_population(written, tmp_path):
    """A region whose population table lacks three desa: the site selection still runs, and
    the manifest says which desa carry no demand (never a silent zero)."""
    import json
    import shutil

    from jangkau.workflow import pipeline

    region_dir = tmp_path / "region"
    shutil.copytree(written, region_dir)
    table = region_dir / "population" / "desa_population.csv"
    rows = table.read_text().splitlines()
    header = rows[0].split(",")
    dropped = [r.split(",")[header.index("desa_code")] for r in rows[1:4]]
    table.write_text("\n".join([rows[0], *rows[4:]]) + "\n")
    run_file = tmp_path / "run.toml"
    run_file.write_text(f'region = "{region_dir / "region.toml"}"\n\n'
                        '[sites]\nmodel = "mclp"\np = 2\nradius = "2km"\n')
    result = pipeline.run(run_file, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    warning = [w for w in manifest["warnings"] if "have no population" in w]
    assert len(warning) == 1 and warning[0].startswith("sites: 3 desa have no population")
    assert all(code in warning[0] for code in dropped)
    assert (tmp_path / "out" / "sites.geojson").is_file()
    assert result is not None
