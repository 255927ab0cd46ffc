"""Exact partial cells, zonal sums and raster I/O: binding contract, brute force, and the
`exactextract` package on the real desa polygons."""

from __future__ import annotations

import hashlib
import os

import geopandas as gpd
import numpy as np
import pytest
import shapely
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource

from jangkau import _core
from jangkau.data.io import to_geometry_array
from jangkau.data.raster import Raster, grid_for_bounds, read_raster, write_raster
from jangkau.errors import DataFileError, InvalidInputError

UTM48S = "EPSG:32748"


def _desa(data_dir, name):
    return gpd.read_file(data_dir / "boundaries" / name).to_crs(UTM48S)


def _brute_fractions(grid, geom):
    """Cell-by-cell loop: area(cell ∩ geom) / area(cell), coordinates relative to the cell
    corner for precision."""
    out = np.zeros((grid.rows, grid.cols))
    for r in range(grid.rows):
        for c in range(grid.cols):
            x0 = grid.origin_x + c * grid.cell_width
            y1 = grid.origin_y - r * grid.cell_height
            local = shapely.affinity.translate(geom, -x0, -y1)
            box = shapely.box(0, -grid.cell_height, grid.cell_width, 0)
            out[r, c] = local.intersection(box).area / (grid.cell_width * grid.cell_height)
    return out


def test_cell_coverage_contract_and_brute_force():
    rng = np.random.default_rng(11)
    for trial in range(12):
        grid = _core.Grid(
            500000.0 + rng.uniform(0, 50),
            9300000.0 + rng.uniform(0, 50),
            rng.uniform(5, 50),
            rng.uniform(5, 50),
            int(rng.integers(3, 12)),
            int(rng.integers(3, 12)),
        )
        w, h = grid.cols * grid.cell_width, grid.rows * grid.cell_height
        cx, cy = grid.origin_x + rng.uniform(-0.1, 1.1) * w, grid.origin_y - rng.uniform(-0.1, 1.1) * h
        ang = np.sort(rng.uniform(0, 2 * np.pi, 15))
        rad = rng.uniform(0.2, 0.6, 15) * max(w, h)
        poly = shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)])
        if trial % 2:
            poly = poly.difference(shapely.Point(cx, cy).buffer(0.1 * max(w, h)))
        if poly.is_empty or not poly.is_valid:
            continue
        offsets, cells, frac = _core.cell_coverage(grid, to_geometry_array([poly]))
        assert offsets.dtype == np.int64 and cells.dtype == np.int64 and frac.dtype == np.float64
        assert offsets.tolist() == [0, len(cells)]
        assert np.all(np.diff(cells) > 0) and np.all((frac > 0) & (frac <= 1))
        dense = np.zeros(grid.rows * grid.cols)
        dense[cells] = frac
        np.testing.assert_allclose(
            dense.reshape(grid.rows, grid.cols), _brute_fractions(grid, poly), atol=1e-10
        )


def test_polygons_beyond_the_grid_brute_force():
    """Polygons reaching past every side of the grid, containing it whole, or only clipping a
    corner: rows whose boundary lies partly outside the window (cells covered from the west or
    east edge, rows with no boundary inside) against the cell-by-cell loop."""
    rng = np.random.default_rng(29)
    grid = _core.Grid(700000.0, 9200000.0, 10.0, 10.0, 9, 7)
    w, h = grid.cols * grid.cell_width, grid.rows * grid.cell_height
    shapes = [
        shapely.box(grid.origin_x - 5 * w, grid.origin_y - 5 * h, grid.origin_x + 5 * w, grid.origin_y + 5 * h),
        shapely.box(grid.origin_x - 3 * w, grid.origin_y - 0.55 * h, grid.origin_x + 0.37 * w, grid.origin_y + 2 * h),
        shapely.box(grid.origin_x + 0.61 * w, grid.origin_y - 2 * h, grid.origin_x + 4 * w, grid.origin_y - 0.3 * h),
        shapely.Point(grid.origin_x - 0.2 * w, grid.origin_y + 0.2 * h).buffer(0.5 * w),
    ]
    for _ in range(40):
        cx = grid.origin_x + rng.uniform(-1.0, 2.0) * w
        cy = grid.origin_y - rng.uniform(-1.0, 2.0) * h
        ang = np.sort(rng.uniform(0, 2 * np.pi, 11))
        rad = rng.uniform(0.5, 2.5, 11) * max(w, h)
        shapes.append(shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)]))
    checked = 0
    for poly in shapes:
        if poly.is_empty or not poly.is_valid:
            continue
        _offsets, cells, frac = _core.cell_coverage(grid, to_geometry_array([poly]))
        dense = np.zeros(grid.rows * grid.cols)
        dense[cells] = frac
        np.testing.assert_allclose(dense.reshape(grid.rows, grid.cols), _brute_fractions(grid, poly), atol=1e-10)
        sums, _, _ = _core.zonal_sums(grid, np.ones(grid.rows * grid.cols), to_geometry_array([poly]))
        assert sums[0] == pytest.approx(dense.sum(), rel=1e-12, abs=1e-12)
        checked += 1
    assert checked >= 30


def test_partition_fractions_sum_to_one(data_dir):
    desa = _desa(data_dir, "hdx_bps2020_desa_3672_kota_cilegon.geojson")
    grid = grid_for_bounds(desa.total_bounds, 250.0)
    total = _core.coverage_fraction_sum(grid, to_geometry_array(desa.geometry))
    # Cells entirely inside the union of the (non-overlapping) desa sum to 1; all cells to ≤ 1.
    union = desa.union_all()
    inner = np.zeros(total.shape, dtype=bool)
    for r in range(grid.rows):
        for c in range(grid.cols):
            x0 = grid.origin_x + c * 250.0
            y1 = grid.origin_y - r * 250.0
            inner[r, c] = union.contains(shapely.box(x0, y1 - 250.0, x0 + 250.0, y1))
    assert inner.sum() > 100
    np.testing.assert_allclose(total[inner], 1.0, atol=1e-9)
    assert total.max() <= 1.0 + 1e-9
    # And the covered cell area equals the union's area.
    assert total.sum() * 250.0**2 == pytest.approx(union.area, rel=1e-9)


@pytest.mark.parametrize(
    "name,cell",
    [
        ("hdx_bps2020_desa_3672_kota_cilegon.geojson", 30.0),
        ("hdx_bps2020_desa_3604_kab_serang.geojson", 30.0),
    ],
)
def test_zonal_sums_match_exactextract(data_dir, tmp_path, name, cell):
    desa = _desa(data_dir, name)
    grid = grid_for_bounds(desa.total_bounds, cell)
    rng = np.random.default_rng(20261127)  # synthetic raster values
    values = rng.gamma(2.0, 10.0, size=(grid.rows, grid.cols))
    values[rng.random(values.shape) < 0.01] = np.nan  # some nodata
    path = tmp_path / "pop.tif"
    write_raster(path, Raster(values, grid, UTM48S), nodata=-9999.0)
    back = read_raster(path)
    ours, count, _ = _core.zonal_sums(back.grid, back.values, to_geometry_array(desa.geometry))
    xmin, ymin, xmax, ymax = Raster(back.values, back.grid, back.crs).bounds
    src = NumPyRasterSource(np.ma.masked_invalid(back.values), xmin, ymin, xmax, ymax, srs_wkt=back.crs)
    ref = exact_extract(src, desa, ["sum", "count"], output="pandas")
    # exactextract stores coverage fractions as float32 (~3e-8 per cell); at 30 m cells the
    # rounding averages out far below 1e-9 relative, which is the tolerance asked for.
    np.testing.assert_allclose(ours, ref["sum"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(count, ref["count"].to_numpy(), rtol=1e-9)


def test_fractions_match_exactextract_cells_to_float32(data_dir):
    desa = _desa(data_dir, "hdx_bps2020_desa_3672_kota_cilegon.geojson").iloc[:5]
    grid = grid_for_bounds(desa.total_bounds, 100.0)
    values = np.ones((grid.rows, grid.cols))
    xmin, ymin = grid.origin_x, grid.origin_y - grid.rows * 100.0
    src = NumPyRasterSource(values, xmin, ymin, xmin + grid.cols * 100.0, grid.origin_y)
    ref = exact_extract(src, desa, ["cell_id", "coverage"], output="pandas")
    offsets, cells, frac = _core.cell_coverage(grid, to_geometry_array(desa.geometry))
    for k in range(len(desa)):
        mine = dict(zip(cells[offsets[k] : offsets[k + 1]].tolist(), frac[offsets[k] : offsets[k + 1]]))
        theirs = dict(zip(np.asarray(ref["cell_id"].iloc[k]).tolist(), np.asarray(ref["coverage"].iloc[k])))
        assert set(mine) == {c for c, f in theirs.items() if f > 0}
        assert max(abs(mine[c] - theirs[c]) for c in mine) < 1e-7


def test_zonal_sums_deterministic_across_threads():
    rng = np.random.default_rng(5)
    grid = _core.Grid(0.0, 1000.0, 7.0, 5.0, 200, 140)
    values = rng.random((200, 140))
    polys = [
        shapely.Point(rng.uniform(0, 980), rng.uniform(0, 1000)).buffer(rng.uniform(20, 200))
        for _ in range(50)
    ]
    ga = to_geometry_array(polys)
    a = _core.zonal_sums(grid, values, ga, threads=1)
    b = _core.zonal_sums(grid, values, ga, threads=2)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)


def test_raster_round_trip_deterministic_atomic(tmp_path):
    grid = _core.Grid(600000.0, 9350000.0, 100.0, 100.0, 300, 257)
    rng = np.random.default_rng(1)
    # Population-like: mostly empty cells, which DEFLATE must shrink.
    values = np.where(rng.random((300, 257)) < 0.8, 0.0, np.round(rng.gamma(1.0, 5.0, (300, 257)), 2))
    values[0, 0] = np.nan
    p1, p2 = tmp_path / "a.tif", tmp_path / "b.tif"
    write_raster(p1, Raster(values, grid, UTM48S), nodata=-1.0)
    write_raster(p2, Raster(values, grid, UTM48S), nodata=-1.0)
    assert hashlib.sha256(p1.read_bytes()).digest() == hashlib.sha256(p2.read_bytes()).digest()
    assert sorted(os.listdir(tmp_path)) == ["a.tif", "b.tif"]  # no temporary or .aux.xml files left
    assert p1.stat().st_size < values.nbytes / 2  # compressed
    back = read_raster(p1)
    assert back.values.dtype == np.float64 and back.values.shape == (300, 257)
    assert np.isnan(back.values[0, 0]) and back.nodata == -1.0
    np.testing.assert_array_equal(back.values[1:], values[1:])
    assert back.grid.geotransform == grid.geotransform
    assert "32748" in back.crs or "UTM zone 48S" in back.crs
    f32 = tmp_path / "c.tif"
    write_raster(f32, Raster(values, grid, UTM48S), type=_core.RasterType.Float32)
    np.testing.assert_allclose(read_raster(f32).values[1:], values[1:], rtol=1e-6)


def test_raster_errors(tmp_path):
    with pytest.raises(DataFileError):
        read_raster(tmp_path / "missing.tif")
    with pytest.raises(InvalidInputError):
        _core.Grid(0.0, 0.0, -1.0, 1.0, 2, 2)
    grid = _core.Grid(0.0, 0.0, 1.0, 1.0, 2, 2)
    with pytest.raises(InvalidInputError):
        _core.zonal_sums(grid, np.zeros((3, 2)), to_geometry_array([shapely.box(0, -1, 1, 0)]))
    with pytest.raises(InvalidInputError):
        _core.cell_coverage(grid, to_geometry_array([shapely.Point(0, 0)]))
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    with pytest.raises(DataFileError):
        read_raster(bad)
    with pytest.raises(InvalidInputError):
        write_raster(tmp_path / "x.tif", Raster(np.zeros((2, 2)), grid, UTM48S))
        read_raster(tmp_path / "x.tif", band=2)
