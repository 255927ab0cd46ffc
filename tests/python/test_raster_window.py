"""A region's window of a national population raster (WorldPop 100 m of Indonesia), read
without loading the country and without resampling (engine/io/raster.cpp read_raster_window).

The raster is generated here with GDAL's command-line tools, laid out as WorldPop publishes it: a tiled,
DEFLATE-compressed Float32 GeoTIFF with Indonesia's extent (95–141° E, 11° S–6° N) at 3
arc-second cells (1/1200°, about 93 m; 55,200 × 20,400 cells, 1.1 billion), nodata everywhere
except a populated block over Banten (clustered, Poisson counts around towns, nodata at sea).
The window is checked against the block as generated and against ``gdal_translate -srcwin``
(GDAL's own window copy, written uncompressed and read back with tifffile, a reader independent
of GDAL); the
population of Serang's kecamatan from the window equals that from the whole block.
Time and memory are measured in ``benchmarks/bench_raster_window.py``, not here.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tifffile

from jangkau.data.population import from_raster
from jangkau.data.raster import Grid, Raster, RasterType, read_raster, write_raster
from jangkau.data.region import Region
from jangkau.errors import CrsError, InvalidInputError
from jangkau.network.osm import osm_window

CELL = 1.0 / 1200.0
NODATA = -99999.0
# Indonesia's extent as WorldPop's idn_ppp_2020 grid (cells of 1/1200°)
WEST, NORTH, COLS, ROWS = 95.0, 6.0, 55_200, 20_400
# the populated block: Banten and its surroundings (105–107° E, 6.75–5.5° S)
B_WEST, B_NORTH, B_COLS, B_ROWS = 105.0, -5.5, 2_400, 1_500


def _block() -> np.ndarray:
    """People per cell over the block: towns as Gaussian clusters of different sizes, Poisson
    counts, the sea north of 5.95° S and west of 105.3° E as nodata (NaN)."""
    rng = np.random.default_rng(2020)
    yy, xx = np.mgrid[0:B_ROWS, 0:B_COLS].astype(np.float64)
    lam = np.full(xx.shape, 0.3)
    for _ in range(40):
        cx, cy = rng.uniform(0, B_COLS), rng.uniform(0, B_ROWS)
        peak, r = rng.lognormal(3.0, 0.8), rng.uniform(5, 60)
        lam += peak * np.exp(-(((xx - cx) / r) ** 2 + ((yy - cy) / r) ** 2))
    vals = rng.poisson(lam).astype(np.float64)
    lat = B_NORTH - (yy + 0.5) * CELL
    lon = B_WEST + (xx + 0.5) * CELL
    vals[(lat > -5.95) | (lon < 105.3)] = np.nan
    return vals


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("worldpop")
    block = _block()
    patch = d / "banten_block.tif"
    write_raster(patch, Raster(values=block, grid=Grid(B_WEST, B_NORTH, CELL, CELL, B_ROWS, B_COLS), crs="EPSG:4326"),
                 type=RasterType.Float32, nodata=NODATA)
    big = d / "idn_ppp_2020_constrained.tif"
    # the block placed in Indonesia's grid (a VRT, cells aligned: a copy), written as a tiled
    # DEFLATE GeoTIFF whose all-nodata tiles are left sparse
    vrt = d / "national.vrt"
    subprocess.run(["gdalbuildvrt", "-q", "-te", str(WEST), str(NORTH - ROWS * CELL), str(WEST + COLS * CELL),
                    str(NORTH), "-tr", repr(CELL), repr(CELL), "-vrtnodata", str(NODATA), str(vrt), str(patch)],
                   check=True)
    subprocess.run(["gdal_translate", "-q", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "SPARSE_OK=TRUE",
                    str(vrt), str(big)], check=True)
    info = json.loads(subprocess.run(["gdalinfo", "-json", str(big)], check=True, capture_output=True,
                                     text=True).stdout)
    assert info["size"] == [COLS, ROWS]
    # the truth: the block as generated, at the file's precision (Float32)
    truth = block.astype(np.float32).astype(np.float64)
    return {"big": big, "patch": patch, "truth": truth, "dir": d}


def _expected(window_lonlat) -> tuple[int, int, int, int]:
    """Rows and columns of the national grid covering a lon/lat box (outward to cell edges)."""
    w0, s0, e0, n0 = window_lonlat
    c0 = int(np.floor((w0 - WEST) / CELL + 1e-9))
    c1 = int(np.ceil((e0 - WEST) / CELL - 1e-9))
    r0 = int(np.floor((NORTH - n0) / CELL + 1e-9))
    r1 = int(np.ceil((NORTH - s0) / CELL - 1e-9))
    return r0, r1, c0, c1


def test_serang_window_is_the_slice_of_the_national_raster(national, data_dir: Path) -> None:
    serang = Region.load("serang", data_dir=data_dir)
    box = osm_window(serang.zones("kabupaten"), 10_000.0)  # the same window as the roads'
    win = read_raster(national["big"], window=box, window_crs="EPSG:4326")
    r0, r1, c0, c1 = _expected(box)
    assert (win.grid.rows, win.grid.cols) == (r1 - r0, c1 - c0)
    assert win.grid.origin_x == pytest.approx(WEST + c0 * CELL, abs=1e-9)
    assert win.grid.origin_y == pytest.approx(NORTH - r0 * CELL, abs=1e-9)
    assert win.grid.cell_width == pytest.approx(CELL, rel=1e-12)  # no resampling
    # the window lies inside the block: its values are the block's, cell for cell
    br0, bc0 = round((B_NORTH - (NORTH - r0 * CELL)) / CELL), round((WEST + c0 * CELL - B_WEST) / CELL)
    assert br0 >= 0 and bc0 >= 0 and br0 + win.grid.rows <= B_ROWS and bc0 + win.grid.cols <= B_COLS
    expected = national["truth"][br0:br0 + win.grid.rows, bc0:bc0 + win.grid.cols]
    np.testing.assert_array_equal(win.values, expected)
    assert np.isnan(win.values).any() and np.nansum(win.values) > 0  # sea and people both in it
    # GDAL's own window copy of the same cells agrees
    peer = national["dir"] / "srcwin.tif"
    subprocess.run(["gdal_translate", "-q", "-srcwin", str(c0), str(r0), str(c1 - c0), str(r1 - r0), str(national["big"]),
                    str(peer)], check=True)
    pv = tifffile.imread(peer).astype(np.float64)
    pv[pv == NODATA] = np.nan
    np.testing.assert_array_equal(win.values, pv)


def test_population_of_a_window_equals_that_of_the_whole_block(national, data_dir: Path) -> None:
    serang = Region.load("serang", data_dir=data_dir)
    kec = serang.zones("kecamatan")
    windowed = from_raster(national["big"], boundary=serang.zones("kabupaten"))
    whole = from_raster(national["patch"])  # the block read whole: it contains the window
    assert windowed.raster.values.size < whole.raster.values.size
    a = windowed.population_in(kec.geometry)  # exact cell-polygon overlap sums per kecamatan
    b = whole.population_in(kec.geometry)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9)
    assert float(np.sum(a)) > 0


def test_window_errors_are_typed(national) -> None:
    with pytest.raises(InvalidInputError, match="does not overlap"):
        read_raster(national["big"], window=(0.0, 40.0, 1.0, 41.0), window_crs="EPSG:4326")
    with pytest.raises(InvalidInputError, match="min <= max"):
        read_raster(national["big"], window=(106.0, -6.0, 105.0, -7.0))
    with pytest.raises(CrsError):
        read_raster(national["big"], window=(106.0, -7.0, 106.1, -6.9), window_crs="EPSG:999999")
    with pytest.raises(InvalidInputError, match="a window is"):
        read_raster(national["big"], window=(106.0, -7.0, 106.1))
