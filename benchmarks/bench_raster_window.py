"""Benchmark: one regency's window of a national 100 m population raster (WorldPop-style).

Generates (once, under /tmp/jangkau-bench, never in the repository) a GeoTIFF laid out as
WorldPop's ``idn_ppp_2020_constrained.tif``: Indonesia's extent (95–141° E, 11° S–6° N) at 3
arc-second cells (1/1200°, 55,200 × 20,400 = 1.13 billion cells), Float32, tiled 256 × 256,
DEFLATE, every tile written (``gdalbuildvrt`` + ``gdal_translate``), nodata everywhere except a populated block
over all of Java (105–114.6° E, 8.8–5.9° S, 40 M cells; as in the constrained product, only
about a third of the cells hold people: Poisson counts of log-normal means, the rest nodata).

Then times, each in its own process so that peak memory (ru_maxrss) and CPU time are its own:

  jangkau window   ``from_raster(tif, boundary=<Kabupaten Serang>)``: the region's box + 10 km
                   (``read_raster_window``: one GDAL RasterIO call, no resampling)
  GDAL window      ``gdal_translate -projwin <same box>`` to an uncompressed GeoTIFF (GDAL's own
                   window copy, the peer)

and prints both, the ratio, the window's cells against the file's, and the memory a whole
read would need (not attempted: 9 GB as float64). The machine is shared: the load average is
printed with every timing.

    python benchmarks/bench_raster_window.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_osm import BENCH, _data_dir, line, measure

CELL = 1.0 / 1200.0
WEST, NORTH, COLS, ROWS = 95.0, 6.0, 55_200, 20_400
J_WEST, J_NORTH, J_COLS, J_ROWS = 105.0, -5.9, 11_520, 3_480
NODATA = -99999.0


def generate() -> Path:
    out = BENCH / "idn_ppp_national_generated.tif"
    if out.is_file():
        return out
    import numpy as np

    from jangkau.data.raster import Grid, Raster, RasterType, write_raster

    BENCH.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rng = np.random.default_rng(2020)
    lam = rng.lognormal(0.5, 1.2, (J_ROWS, J_COLS))
    vals = rng.poisson(lam).astype(np.float64)
    vals[rng.random((J_ROWS, J_COLS)) > 0.35] = np.nan
    block = BENCH / "java_block.tif"
    write_raster(block, Raster(values=vals, grid=Grid(J_WEST, J_NORTH, CELL, CELL, J_ROWS, J_COLS), crs="EPSG:4326"),
                 type=RasterType.Float32, nodata=NODATA)
    del vals, lam
    tmp = out.with_suffix(".part.tif")
    vrt = BENCH / "national.vrt"
    subprocess.run(["gdalbuildvrt", "-q", "-te", str(WEST), str(NORTH - ROWS * CELL), str(WEST + COLS * CELL),
                    str(NORTH), "-tr", repr(CELL), repr(CELL), "-vrtnodata", str(NODATA), str(vrt), str(block)],
                   check=True)
    subprocess.run(["gdal_translate", "-q", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "BIGTIFF=YES",
                    str(vrt), str(tmp)], check=True)  # every tile written, nodata ones too
    os.replace(tmp, out)
    block.unlink()
    vrt.unlink()
    print(f"generated {out} ({out.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


CHILD_JANGKAU = r"""
import json, sys, time
import geopandas as gpd
import numpy as np
from jangkau.data.population import from_raster
boundary = gpd.read_file(sys.argv[2])
t0 = time.perf_counter()
pop = from_raster(sys.argv[1], boundary=boundary, margin_m=10000.0)
t1 = time.perf_counter()
g = pop.raster.grid
print(json.dumps({"read_s": t1 - t0, "rows": g.rows, "cols": g.cols, "people": float(np.sum(pop.raster.values)),
                  "west": g.origin_x, "north": g.origin_y}))
"""


def main() -> int:
    py = sys.executable
    data = _data_dir()
    desa = data / "boundaries" / "hdx_bps2020_desa_3604_kab_serang.geojson"
    tif = BENCH / "idn_ppp_national_generated.tif"
    if not tif.is_file():  # in a child, so that this process stays small (see the floor below)
        subprocess.run([py, __file__, "--generate"], check=True)
    print(f"file: {tif} ({tif.stat().st_size / 1e6:.0f} MB), {COLS} x {ROWS} = {COLS * ROWS / 1e9:.2f} G cells; "
          f"a whole read would need {COLS * ROWS * 8 / 1e9:.1f} GB as float64 ({COLS * ROWS * 4 / 1e9:.1f} GB as "
          f"Float32): not attempted", flush=True)

    import geopandas as gpd

    from jangkau.network.osm import osm_window

    w = osm_window(gpd.read_file(desa), 10_000.0)
    print(f"window: Kabupaten Serang + 10 km = {w}", flush=True)
    # A child's ru_maxrss starts from this process's peak (Linux keeps the high-water mark of the
    # image replaced by exec): /bin/true shows that floor; rows above it are upper bounds.
    line("floor (/bin/true)", measure(["/bin/true"]))
    j = measure([py, "-c", CHILD_JANGKAU, str(tif), str(desa)])
    jr = json.loads(j["stdout"])
    line("jangkau window", j, f"read {jr['read_s']:.3f} s, {jr['rows']} x {jr['cols']} cells, "
                              f"{jr['people']:.0f} people")
    out = BENCH / "gdal_window.tif"
    g = measure(["gdal_translate", "-q", "-projwin", str(w[0]), str(w[3]), str(w[2]), str(w[1]), str(tif), str(out)])
    line("GDAL gdal_translate", g)
    print(f"  ratio GDAL process / jangkau process: wall {g['wall_s'] / j['wall_s']:.2f}x (jangkau's includes starting "
          f"Python and reading the boundary); GDAL process / jangkau's read alone: {g['wall_s'] / jr['read_s']:.2f}x",
          flush=True)
    print(f"  window cells / file cells: {jr['rows'] * jr['cols'] / (COLS * ROWS):.2e}", flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--generate"]:
        generate()
        raise SystemExit(0)
    raise SystemExit(main())
