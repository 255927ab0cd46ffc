"""Coverage and zonal-sum benchmark: jangkau against the peers, same seeded workload, same run.

  A. zonal sums of a raster over the 326 real Kab. Serang desa: jangkau.zonal_sums vs
     exactextract.exact_extract(..., "sum")
  B. covered population per kecamatan, polygon model (desa counts), radii 1/2/5 km:
     jangkau.coverage vs geopandas written two ways: vectorised shapely (buffer → union_all →
     one intersection over the desa array → density × area → groupby) and the analyst idiom
     of the issue (GeoSeries.buffer → union_all → gpd.overlay → density × area → groupby)
  C. covered population per kecamatan, raster model: jangkau.coverage(population=raster) vs
     geopandas + exactextract (zone totals: exact_extract sum once; per radius buffer →
     union_all → intersection → exact_extract sum) — the same outputs as jangkau's table
  D. the true-disc default against the shapely 32-gon mode (quadrant_segments=8) of jangkau
     itself, polygon and raster models: time ratio and how much more population the circles
     cover (B and C run jangkau in the 32-gon mode, like for like with the peers' buffers)
  E. (--defect) the same difference on REAL data: Kota Cilegon's puskesmas/pustu and population

Population values and facility points are SYNTHETIC (seeded). Run from a checkout with the
data directory beside it:

    python benchmarks/bench_coverage.py            # 10^4..10^6 cells x 10..10^3 facilities (< 2 min)
    python benchmarks/bench_coverage.py --big      # adds 10^7 cells and 10^4 facilities (~10 min)
    python benchmarks/bench_coverage.py --defect   # only E (real data, ~30 s)
    python benchmarks/bench_coverage.py --raster-true  # only F: true-circle raster model vs exactextract
"""

from __future__ import annotations

import argparse
import os
import time

# numpy's OpenBLAS worker threads would spin on the second core and blur the CPU/wall figure.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource

import jangkau.data
from jangkau import _core
from jangkau.coverage import coverage
from jangkau.data.io import to_geometry_array
from jangkau.data.population import from_raster
from jangkau.data.raster import Raster, grid_for_bounds

UTM48S = "EPSG:32748"
RADII = [1000.0, 2000.0, 5000.0]


LAST_CPU = [0.0]  # CPU time / wall time of the best run of the last timed() call


def timed(fn, repeat=3):
    """Best wall time of `repeat` runs and the last result; LAST_CPU[0] gets the best run's
    process CPU time (all threads) over its wall time: > 1 means more than one core worked."""
    best = float("inf")
    out = None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - t
        if wall < best:
            best, LAST_CPU[0] = wall, (time.process_time() - c) / max(wall, 1e-12)
    return best, out


def load_desa() -> gpd.GeoDataFrame:
    d = jangkau.data.data_dir()
    desa = gpd.read_file(d / "boundaries" / "hdx_bps2020_desa_3604_kab_serang.geojson").to_crs(UTM48S)
    desa["code"] = desa["village_code"].str.removeprefix("id")
    desa["kecamatan_code"] = desa["district_code"].str.removeprefix("id")
    desa["population"] = (
        np.random.default_rng(3604).integers(1000, 30000, len(desa)).astype(float)
    )  # SYNTHETIC
    return desa[["code", "kecamatan_code", "population", "geometry"]]


def raster_for(desa, n_cells: int, seed: int = 1) -> Raster:
    xmin, ymin, xmax, ymax = desa.total_bounds
    cell = float(np.sqrt((xmax - xmin) * (ymax - ymin) / n_cells))
    grid = grid_for_bounds(desa.total_bounds, cell)
    values = np.random.default_rng(seed).gamma(1.5, 4.0, (grid.rows, grid.cols))  # SYNTHETIC counts
    return Raster(values, grid, UTM48S)


def ee_source(r: Raster) -> NumPyRasterSource:
    xmin, ymin, xmax, ymax = r.bounds
    return NumPyRasterSource(r.values, xmin, ymin, xmax, ymax)


def facilities(desa, n: int, seed: int = 7) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = desa.total_bounds
    pts = gpd.points_from_xy(rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n))  # SYNTHETIC
    return gpd.GeoDataFrame({"facility_type": ["puskesmas"] * n}, geometry=pts, crs=UTM48S)


def row(name, size, t_j, t_p, diff, t_1=None, cpu=None):
    cores = f"   1 core {t_1:8.3f} s ({t_1 / t_j:4.2f}x from the 2nd)" if t_1 is not None else ""
    cores += f"   cpu/wall {cpu:4.2f}" if cpu is not None else ""
    print(
        f"{name:<36}{size:>16}  jangkau {t_j:8.3f} s   peer {t_p:8.3f} s   ratio {t_p / t_j:7.1f}x   "
        f"max rel diff {diff:.1e}{cores}",
        flush=True,
    )


def bench_zonal(desa, sizes, repeat):
    for n in sizes:
        r = raster_for(desa, n)
        # jangkau's time includes converting the GeoDataFrame's polygons, as exactextract's does.
        run = lambda r=r, threads=0: _core.zonal_sums(r.grid, r.values, to_geometry_array(desa.geometry), None, threads)  # noqa: E731
        t_j, (s, _, _) = timed(run, repeat)
        cpu = LAST_CPU[0]
        t_1, _ = timed(lambda run=run: run(threads=1), repeat)
        src = ee_source(r)
        t_p, ref = timed(lambda src=src: exact_extract(src, desa, ["sum"], output="pandas"), repeat)
        diff = np.max(np.abs(s - ref["sum"].to_numpy()) / np.abs(ref["sum"].to_numpy()))
        row("A zonal sums (326 desa)", f"{r.grid.rows * r.grid.cols:.1e} cells", t_j, t_p, diff, t_1, cpu)


def geopandas_polygon_model(desa, fac):
    """Expert, vectorised shapely: one intersection call over the desa array per radius."""
    out = []
    for r in RADII:
        union = shapely.union_all(shapely.buffer(fac.geometry.values, r, quad_segs=8))
        d = desa.copy()
        d["covered"] = d["population"] / d.geometry.area * d.geometry.intersection(union).area
        g = d.groupby("kecamatan_code")[["population", "covered"]].sum()  # same outputs as jangkau
        out.append(g["covered"])
    return out


def geopandas_overlay_model(desa, fac):
    """The analyst idiom of the issue: buffer → union → gpd.overlay → density × area → groupby."""
    out = []
    d = desa.copy()
    d["density"] = d["population"] / d.geometry.area
    for r in RADII:
        union = gpd.GeoDataFrame(geometry=[fac.buffer(r, quad_segs=8).union_all()], crs=desa.crs)
        pieces = gpd.overlay(d, union, how="intersection")
        pieces["covered"] = pieces["density"] * pieces.geometry.area
        codes = sorted(d["kecamatan_code"].unique())
        covered = pieces.groupby("kecamatan_code")["covered"].sum().reindex(codes, fill_value=0.0)
        _population = d.groupby("kecamatan_code")["population"].sum()  # same outputs as jangkau
        out.append(covered)
    return out


def _max_diff(res, ref):
    diff = 0.0
    for r, g in zip(RADII, ref):
        got = res[res["radius_m"] == r].set_index("code")["covered"].loc[g.index]
        diff = max(diff, float(np.max(np.abs(got - g) / np.maximum(g, 1.0))))
    return diff


def bench_polygon(desa, sizes, repeat):
    for n in sizes:
        fac = facilities(desa, n)
        t_j, res = timed(lambda fac=fac: coverage(desa, fac, RADII, level="kecamatan_code", quadrant_segments=8),
                         repeat)
        cpu = LAST_CPU[0]
        t_1, _ = timed(lambda fac=fac: coverage(desa, fac, RADII, level="kecamatan_code", threads=1,
                                                quadrant_segments=8), repeat)
        t_p, ref = timed(lambda fac=fac: geopandas_polygon_model(desa, fac), repeat)
        row("B coverage, polygon, 3 radii: shapely", f"{n} facilities", t_j, t_p, _max_diff(res, ref), t_1, cpu)
        t_o, ref_o = timed(lambda fac=fac: geopandas_overlay_model(desa, fac), repeat)
        row("B' same: gpd.overlay idiom", f"{n} facilities", t_j, t_o, _max_diff(res, ref_o))


def geopandas_raster_model(kec, fac, src):
    """Same outputs as jangkau.coverage: each zone's population (one exact_extract call for all
    radii) and its covered population per radius (share and not-covered follow by arithmetic)."""
    population = exact_extract(src, kec, ["sum"], output="pandas")["sum"].to_numpy()
    out = []
    for r in RADII:
        union = shapely.union_all(shapely.buffer(fac.geometry.values, r, quad_segs=8))
        pieces = kec.copy()
        pieces["geometry"] = kec.geometry.intersection(union)
        keep = ~pieces.geometry.is_empty
        s = np.zeros(len(kec))
        s[keep.to_numpy()] = exact_extract(src, pieces[keep], ["sum"], output="pandas")["sum"].to_numpy()
        out.append(s)
    return out, population


def raster_cases(desa, cells, n_fac):
    """(kecamatan, raster, population, exactextract source, facility count, facilities) of the
    raster workloads: every raster size with every facility count (C and F)."""
    kec = desa.dissolve(by="kecamatan_code", as_index=False)
    for n in cells:
        r = raster_for(desa, n)
        pop = from_raster(r)
        src = ee_source(r)
        for f in n_fac:
            yield kec, r, pop, src, f, facilities(desa, f)


def bench_raster(desa, cells, n_fac, repeat):
    for kec, r, pop, src, f, fac in raster_cases(desa, cells, n_fac):
        run = lambda fac=fac, pop=pop, kec=kec, threads=0: coverage(  # noqa: E731
            kec, fac, RADII, level="kecamatan_code", population=pop, threads=threads, quadrant_segments=8
        )
        t_j, res = timed(run, repeat)
        cpu = LAST_CPU[0]
        t_1, _ = timed(lambda run=run: run(threads=1), repeat)
        t_p, (ref, ref_pop) = timed(lambda fac=fac, src=src, kec=kec: geopandas_raster_model(kec, fac, src), repeat)
        diff = 0.0
        for rad, s in zip(RADII, ref):
            block = res[res["radius_m"] == rad]
            got = block["covered"].to_numpy()
            diff = max(diff, float(np.max(np.abs(got - s) / np.maximum(s, 1.0))))
            zone_pop = block["population"].to_numpy()
            diff = max(diff, float(np.max(np.abs(zone_pop - ref_pop) / np.maximum(ref_pop, 1.0))))
        row(f"C coverage, raster, {f} fac, 3 radii", f"{r.grid.rows * r.grid.cols:.1e} cells", t_j, t_p, diff, t_1, cpu)


def bench_raster_true(desa, cells, n_fac, repeat):
    """F (--raster-true): the raster model with TRUE circles (the default: exact partial cells
    of arcs) against the same geopandas + exactextract peer as C (shapely's 32-gons, so the
    peer covers less: 'diff' is that defect, not an error), and against jangkau's own 32-gon
    mode in the same process ('own' = 32-gon time / circle time)."""
    for kec, r, pop, src, f, fac in raster_cases(desa, cells, n_fac):
        t_c, res = timed(lambda fac=fac, pop=pop, kec=kec: coverage(kec, fac, RADII, level="kecamatan_code",
                                                           population=pop), repeat)
        cpu = LAST_CPU[0]
        t_g, _ = timed(lambda fac=fac, pop=pop, kec=kec: coverage(kec, fac, RADII, level="kecamatan_code", population=pop,
                                                         quadrant_segments=8), repeat)
        t_p, (ref, _pop) = timed(lambda fac=fac, src=src, kec=kec: geopandas_raster_model(kec, fac, src), repeat)
        diff = 0.0  # total covered, circles / 32-gon peer − 1, worst radius
        for rad, s in zip(RADII, ref):
            got = res[res["radius_m"] == rad]["covered"].to_numpy()
            diff = max(diff, abs(float(got.sum() / max(s.sum(), 1.0)) - 1.0))
        print(f"{'F raster, true circles vs exactextract':<40}{f'{f} fac, {r.grid.rows * r.grid.cols:.0e} cells':>24}"
              f"  jangkau {t_c:8.3f} s (cpu/wall {cpu:.2f})   peer {t_p:8.3f} s   ratio {t_p / t_c:6.2f}x   "
              f"own 32-gon {t_g:8.3f} s ({t_g / t_c:5.2f}x)   total covered vs 32-gon peer {diff * 100:+.3f} %", flush=True)


def bench_true_disc(desa, n_fac, cells, repeat):
    """D: true circles (default) vs jangkau's own 32-gons; 'ratio' = 32-gon time / circle time
    (below 1: the circles are slower), 'more' = total covered by circles / by 32-gons − 1."""
    kec = desa.dissolve(by="kecamatan_code", as_index=False)
    pops = [("polygon", desa, None)] + [("raster", kec, from_raster(raster_for(desa, n))) for n in cells]
    for model, zones, pop in pops:
        for n in n_fac:
            fac = facilities(desa, n)
            kw = {"level": "kecamatan_code", "population": pop}
            t_c, res_c = timed(lambda fac=fac, kw=kw, zones=zones: coverage(zones, fac, RADII, **kw), repeat)
            t_p, res_p = timed(lambda fac=fac, kw=kw, zones=zones: coverage(zones, fac, RADII, quadrant_segments=8, **kw),
                               repeat)
            more = res_c["covered"].sum() / res_p["covered"].sum() - 1.0
            c, p = res_c["covered"].to_numpy(), res_p["covered"].to_numpy()
            big = p >= 0.05 * res_p["population"].to_numpy()  # zones with ≥ 5 % of their people covered
            worst = float(np.max(c[big] / p[big] - 1.0)) if big.any() else 0.0
            size = f"{n} fac" + (f", {pop.raster.grid.rows * pop.raster.grid.cols:.0e} cells" if pop else "")
            print(f"{'D true disc vs 32-gon, ' + model:<36}{size:>22}  circles {t_c:8.3f} s   32-gon {t_p:8.3f} s   "
                  f"ratio {t_p / t_c:5.2f}x   circles cover {more * 100:+.3f} % (worst kecamatan×radius ≥5 % covered "
                  f"{worst * 100:+.3f} %)", flush=True)


def real_defect() -> None:
    """E (--defect): on REAL data — Kota Cilegon, its RTRW puskesmas/pustu layer, the region's
    population table — how much more population the true circles cover than the 32-gons, in
    total and in the worst zone with at least 5 % of its people covered, per level and radius."""
    from jangkau.data.facilities import read_facilities
    from jangkau.data.region import Region

    data = jangkau.data.data_dir()
    region = Region.load("cilegon", data_dir=data)
    fac = read_facilities([data / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"])
    for level in ("kecamatan", "desa"):
        c = coverage(region, fac, RADII, level=level)
        p = coverage(region, fac, RADII, level=level, quadrant_segments=8)
        for (t, rad), g in c.groupby(["facility_type", "radius_m"]):
            gp = p[(p["facility_type"] == t) & (p["radius_m"] == rad)]
            cc, pp, pop = g["covered"].to_numpy(), gp["covered"].to_numpy(), g["population"].to_numpy()
            big = pp >= 0.05 * pop
            print(f"E Cilegon real {t:<10} {level:<9} r={rad:6.0f} m  circles cover {(cc.sum() / pp.sum() - 1) * 100:+.3f} %"
                  f"  worst {level} (≥5 % covered) {(np.max(cc[big] / pp[big]) - 1) * 100:+.3f} %", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="add 10^7 cells and 10^4 facilities")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs for every timing (default 3)")
    ap.add_argument("--defect", action="store_true", help="only E: circles vs 32-gons on real Cilegon data")
    ap.add_argument("--raster-true", action="store_true",
                    help="only F: raster model with true circles vs exactextract (10^5, 10^6 cells)")
    args = ap.parse_args()
    if args.raster_true:
        print(f"cores: {os.cpu_count()}; every time is the best of {args.repeat} runs; "
              f"load average {os.getloadavg()[0]:.2f}")
        bench_raster_true(load_desa(), [10**5, 10**6], [10, 100, 1000], args.repeat)
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        return
    if args.defect:
        real_defect()
        return
    print(f"cores: {os.cpu_count()}; jangkau uses all of them (and is timed on 1 core too), the peers one")
    print(f"every time is the best of {args.repeat} runs; load average {os.getloadavg()[0]:.2f}")
    desa = load_desa()
    cells = [10**4, 10**5, 10**6] + ([10**7] if args.big else [])
    fac = [10, 100, 1000] + ([10**4] if args.big else [])
    bench_zonal(desa, cells, args.repeat)
    bench_polygon(desa, fac, args.repeat)
    bench_raster(desa, cells, fac, args.repeat)
    bench_true_disc(desa, fac, cells[-1:], args.repeat)


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
