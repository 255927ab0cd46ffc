"""True circular discs (the default of coverage): against high-resolution references.

References are independent of the engine: shapely buffers with hundreds of segments per
quarter circle, extrapolated to the circle (Richardson: an inscribed polygon with n vertices
misses area ∝ 1/n², so (4·A(2n) − A(n))/3 is the circle's value up to O(1/n³)), shapely/GEOS
overlays and exactextract. Inputs: the real Serang and Cilegon desa with SYNTHETIC clustered
and sparse points, and the real Cilegon puskesmas. Populations are SYNTHETIC (seeded).
Closed-form and Monte Carlo cases are in tests/cpp/test_coverage.cpp."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource

from jangkau import _core
from jangkau.coverage import coverage, gaps
from jangkau.coverage.analysis import DISC_TOLERANCE_M, buffer_segments, coverage_union
from jangkau.data.facilities import read_facilities
from jangkau.data.io import to_geometry_array
from jangkau.data.population import from_raster
from jangkau.data.raster import Raster, grid_for_bounds
from jangkau.data.region import Region
from jangkau.errors import InvalidInputError


def _circle_overlay(zones: np.ndarray, xy: np.ndarray, r: float, q: int = 256) -> np.ndarray:
    """area(zone ∩ ∪ discs) per zone, shapely, extrapolated from 4q- and 8q-gons to the circle."""
    pts = shapely.points(xy)
    a1 = shapely.area(shapely.intersection(zones, shapely.union_all(shapely.buffer(pts, r, quad_segs=q))))
    a2 = shapely.area(shapely.intersection(zones, shapely.union_all(shapely.buffer(pts, r, quad_segs=2 * q))))
    return (4.0 * a2 - a1) / 3.0


def _clustered(bounds, rng, n_sparse=25, n_clusters=3, per_cluster=30, spread=500.0) -> np.ndarray:
    """SYNTHETIC facility points: a few sparse ones plus dense clusters (discs meeting many discs)."""
    xmin, ymin, xmax, ymax = bounds
    sparse = np.column_stack([rng.uniform(xmin, xmax, n_sparse), rng.uniform(ymin, ymax, n_sparse)])
    centres = np.column_stack([rng.uniform(xmin, xmax, n_clusters), rng.uniform(ymin, ymax, n_clusters)])
    dense = np.concatenate([c + rng.normal(0, spread, (per_cluster, 2)) for c in centres])
    return np.concatenate([sparse, dense])


@pytest.fixture(scope="module")
def serang_desa(data_dir):
    region = Region.load("serang", data_dir=data_dir)
    return region.zones("desa", crs=region.working_crs)


@pytest.fixture(scope="module")
def cilegon(data_dir):
    region = Region.load("cilegon", data_dir=data_dir)
    desa = region.zones("desa", crs=region.working_crs)
    desa["population"] = np.random.default_rng(3672).integers(1000, 30000, len(desa)).astype(float)  # SYNTHETIC
    return region, desa


@pytest.fixture(scope="module")
def puskesmas(data_dir):
    return read_facilities([data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"])


def test_true_disc_areas_match_the_circle_on_real_desa_clustered_points(serang_desa):
    """Per desa of Kab. Serang, area(desa ∩ ∪ circles) for clustered SYNTHETIC points: equal to
    the extrapolated high-resolution shapely overlay to 1e-8 of the desa area; above every
    inscribed polygon; the 32-gon mode is shapely's quad_segs=8 to 1e-9."""
    geoms = serang_desa.geometry.values
    xy = _clustered(serang_desa.total_bounds, np.random.default_rng(15))
    ga = to_geometry_array(serang_desa.geometry)
    radii = np.array([300.0, 2000.0])
    got = _core.disc_union_areas(ga, xy[:, 0].copy(), xy[:, 1].copy(), radii)  # default: true circles
    zone_area = shapely.area(geoms)
    for j, r in enumerate(radii):
        ref = _circle_overlay(geoms, xy, r)
        np.testing.assert_allclose(got[j], ref, rtol=0, atol=1e-8 * zone_area.max())
        inscribed = shapely.area(shapely.intersection(
            geoms, shapely.union_all(shapely.buffer(shapely.points(xy), r, quad_segs=64))))
        assert np.all(got[j] >= inscribed - 1e-9 * zone_area)
    poly = _core.disc_union_areas(ga, xy[:, 0].copy(), xy[:, 1].copy(), radii, 8)
    ref8 = shapely.area(shapely.intersection(geoms, shapely.union_all(shapely.buffer(shapely.points(xy), 2000.0))))
    np.testing.assert_allclose(poly[1], ref8, rtol=0, atol=1e-9 * zone_area.max())
    # one or two workers: identical bytes
    np.testing.assert_array_equal(got, _core.disc_union_areas(ga, xy[:, 0].copy(), xy[:, 1].copy(), radii, 0, 1))


def test_coverage_default_is_the_true_circle_real_puskesmas(cilegon, puskesmas):
    """coverage() on the real Cilegon puskesmas: the analyst's geopandas recipe with circles
    (extrapolated shapely buffers) to 1e-7; the 32-gon (quadrant_segments=8) never covers more,
    and over the whole city (discs mostly inside it) it covers less by about its area defect
    1 − (16/π)·sin(π/16) = 0.64 % (per kecamatan more: a zone holding only disc rims loses
    relatively more)."""
    _, desa = cilegon
    pts = puskesmas[puskesmas["facility_type"] == "puskesmas"].to_crs(desa.crs)
    xy = shapely.get_coordinates(pts.geometry.values)
    radii = [1000.0, 2000.0, 5000.0]
    res = coverage(desa, pts, radii, level="kecamatan_code")
    res8 = coverage(desa, pts, radii, level="kecamatan_code", quadrant_segments=8)
    density = desa["population"].to_numpy() / desa.geometry.area.to_numpy()
    defect = 1.0 - (16.0 / np.pi) * np.sin(np.pi / 16.0)
    for r in radii:
        covered = density * _circle_overlay(desa.geometry.values, xy, r)
        ref = desa.assign(c=covered).groupby("kecamatan_code")["c"].sum()
        got = res[res["radius_m"] == r].set_index("code")["covered"].loc[ref.index]
        np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-7)
        low = res8[res8["radius_m"] == r].set_index("code")["covered"].loc[ref.index].to_numpy()
        assert np.all(low <= got.to_numpy() * (1 + 1e-12))
        total = low.sum() / got.sum()
        assert 1 - 1.5 * defect < total < 1.0


def test_raster_true_disc_cells_are_exact(cilegon, puskesmas):
    """RASTER model with true circles: exactextract over kecamatan ∩ (4096-gon circles). The
    engine's cells are exact (arcs split at grid lines, chord + circular segment per cell), so
    it differs from the reference only by the 4096-gons' own defect, 1 − sin(2π/N)·N/2π ≈
    (2π²/3)/N² = 3.9e-7 of a disc (measured here: 3.2e-7 to 4.1e-7 per kecamatan), and is
    never below it."""
    region, _ = cilegon
    kec = region.zones("kecamatan", crs=region.working_crs)
    grid = grid_for_bounds(kec.total_bounds, 50.0)
    counts = np.random.default_rng(77).gamma(1.5, 4.0, (grid.rows, grid.cols))  # SYNTHETIC counts
    pop = from_raster(Raster(counts, grid, region.working_crs))
    res = coverage(region, puskesmas, "1km,3km", level="kecamatan", population=pop, types="puskesmas")
    pts = puskesmas[puskesmas["facility_type"] == "puskesmas"].to_crs(kec.crs)
    xmin, ymin = grid.origin_x, grid.origin_y - grid.rows * 50.0
    src = NumPyRasterSource(counts, xmin, ymin, xmin + grid.cols * 50.0, grid.origin_y, srs_wkt=kec.crs.to_wkt())
    for r in (1000.0, 3000.0):
        union = shapely.union_all(shapely.buffer(pts.geometry.values, r, quad_segs=1024))  # sagitta 1.2 mm at 3 km
        pieces = kec.copy()
        pieces["geometry"] = kec.geometry.intersection(union)
        keep = ~pieces.geometry.is_empty
        ref = np.zeros(len(kec))
        ref[keep.to_numpy()] = exact_extract(src, pieces[keep], ["sum"], output="pandas")["sum"].to_numpy()
        got = res[res["radius_m"] == r].set_index("code").loc[kec["code"], "covered"].to_numpy()
        defect = 1.0 - np.sin(2 * np.pi / 4096) * 4096 / (2 * np.pi)
        # Per zone the reference misses (2/3)·sagitta per metre of arc inside it, which relative to
        # a piece of a disc can exceed the whole disc's defect: allow twice it.
        np.testing.assert_allclose(got, ref, rtol=2 * defect)
        assert (got >= ref * (1 - 1e-9)).all()


def test_gaps_and_union_polygons_follow_the_circle(cilegon, puskesmas):
    """Where a polygon of U_r is needed (gaps), buffers are densified to sagitta ≤ 1 cm: the
    gap population equals the true-disc not_covered within that bound."""
    _, desa = cilegon
    pts = puskesmas[puskesmas["facility_type"] == "puskesmas"]
    q = buffer_segments(2000.0)
    assert 2000.0 * (1 - np.cos(np.pi / (4 * q))) <= DISC_TOLERANCE_M < 2000.0 * (1 - np.cos(np.pi / (4 * (q - 1))))
    union = coverage_union(pts, 2000.0, crs=desa.crs)
    n_vertices = shapely.get_num_coordinates(union.values[0])
    assert n_vertices > 4 * q  # densified, not a 32-gon
    g = gaps(desa, pts, "2km")
    res = coverage(desa, pts, [2000.0], level="code").set_index("code")
    got = g.set_index("code")["population"]
    bound = (4.0 / 3.0) * DISC_TOLERANCE_M / 2000.0
    np.testing.assert_allclose(got.to_numpy(), res.loc[got.index, "not_covered"].to_numpy(),
                               rtol=0, atol=bound * res["population"].max() + 1e-6)
    with pytest.raises(InvalidInputError):
        coverage(desa, pts, [2000.0], quadrant_segments=0)


def test_true_disc_is_deterministic_and_monotone(serang_desa):
    """Same inputs → same bytes for any worker count; covered area grows with the radius."""
    xy = _clustered(serang_desa.total_bounds, np.random.default_rng(3), n_sparse=60, n_clusters=5,
                    per_cluster=120, spread=300.0)
    ga = to_geometry_array(serang_desa.geometry)
    radii = np.array([250.0, 500.0, 1000.0, 4000.0, 60000.0])
    a2 = _core.disc_union_areas(ga, xy[:, 0].copy(), xy[:, 1].copy(), radii, 0, 2)
    a1 = _core.disc_union_areas(ga, xy[:, 0].copy(), xy[:, 1].copy(), radii, 0, 1)
    np.testing.assert_array_equal(a1, a2)
    assert np.all(np.diff(a2, axis=0) >= -1e-6)
    np.testing.assert_allclose(a2[-1], serang_desa.geometry.area.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("cx, cy, r, cell", [
    (13.37, 21.9, 7.3, 1.0),    # straddles many cells, some fully inside
    (20.1, 20.2, 0.03, 1.0),    # tiny r: the disc inside one cell
    (20.05, 19.0, 0.4, 1.0),    # small r across a grid line
    (20.0, 20.0, 300.0, 1.0),   # r ≫ grid: every cell fully inside
    (21.3, 18.7, 3.0, 2.5),     # cells larger than the disc's radius
    (-30.0, 5.0, 10.0, 1.0),    # fully outside the grid
])
def test_one_disc_cell_fractions_equal_a_fine_polygon(cx, cy, r, cell):
    """Per-cell covered fractions of one disc (zone ⊇ grid, values = one cell at a time via
    random weights): the engine's exact cells against shapely with a 32,768-gon (its own area
    defect (2π²/3)/N² = 6.1e-9) intersected with every cell box."""
    rows = cols = 40
    grid = _core.Grid(0.0, rows * cell, cell, cell, rows, cols)
    w = np.random.default_rng(int(r * 1000) % 97).random((rows, cols))
    zone = to_geometry_array([shapely.box(-1e4, -1e4, 1e4, 1e4)])
    got = _core.disc_union_zonal_sums(grid, w, zone, np.array([cx]), np.array([cy]), np.array([r]))[0, 0]
    disc = shapely.Point(cx, cy).buffer(r, quad_segs=8192)
    boxes = shapely.box(np.tile(np.arange(cols), rows) * cell, (rows - 1 - np.repeat(np.arange(rows), cols)) * cell,
                        (np.tile(np.arange(cols), rows) + 1) * cell, (rows - np.repeat(np.arange(rows), cols)) * cell)
    frac = shapely.area(shapely.intersection(boxes, disc)) / (cell * cell)
    ref = float((w.ravel() * frac).sum())
    defect = 1.0 - np.sin(2 * np.pi / 32768) * 32768 / (2 * np.pi)
    assert got == pytest.approx(ref, rel=2 * defect, abs=1e-12)
    assert got >= ref * (1 - 1e-12)  # the inscribed polygon is below the circle


def test_clustered_raster_cells_equal_areas_on_unit_weights(serang_desa):
    """Clustered SYNTHETIC discs over real Serang desa, raster of ones on 50 m cells: Σ fractions
    = exact area(zone ∩ U)/cell area for every desa (arcs and straight edges cut cells alike)."""
    xy = _clustered(serang_desa.total_bounds, np.random.default_rng(11), n_sparse=30, n_clusters=4,
                    per_cluster=60, spread=400.0)
    zones = to_geometry_array(serang_desa.geometry.values[:60])
    grid = grid_for_bounds(serang_desa.iloc[:60].total_bounds, 50.0)
    ones = np.ones((grid.rows, grid.cols))
    radii = np.array([1000.0, 2500.0])
    areas = _core.disc_union_areas(zones, xy[:, 0], xy[:, 1], radii)
    sums = _core.disc_union_zonal_sums(grid, ones, zones, xy[:, 0], xy[:, 1], radii)
    np.testing.assert_allclose(sums * 2500.0, areas, rtol=1e-9, atol=1e-3)
