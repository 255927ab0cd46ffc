"""A region's population spread over its cells by a population raster (WorldPop-style counts):
dasymetric weighting, each unit's table figure P_u split in proportion to the raster's sum W over
each desa, P_d = P_u · W_d / W_u, a unit with W_u = 0 falling back to areal weighting (reported).

Checked against brute force: W_d as the sum over cells of count · area(cell ∩ desa) / area(cell)
with shapely boxes in the raster's CRS (EPSG:4326, WorldPop's 3 arc-second cells), on a
clustered raster (a Gaussian town) and a uniform one; coverage counted on the cells against
shapely buffers + the same brute-force cell sums; and a region whose raster is not fetched
(areal weighting, said in its warnings, the run's log, report and manifest).
"""

from __future__ import annotations

import json
import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_region import _craft_regency

from jangkau.coverage.analysis import buffer_segments, coverage
from jangkau.data.population import dasymetric_split
from jangkau.data.raster import Grid, Raster, write_raster
from jangkau.data.region import Region

CELL = 1.0 / 1200.0  # WorldPop's 3 arc-second cell, degrees
KEC = [f"9901{(k + 1) * 10:03d}" for k in range(6)]
#: Kecamatan table of the crafted regency; the last kecamatan lies where the raster is 0.
TABLE = dict(zip(KEC, [12_000.0, 8_000.0, 20_000.0, 5_000.0, 9_000.0, 4_000.0]))


def _grid_over(bounds, pad: int = 3) -> Grid:
    """WorldPop-aligned cells (multiples of 1/1200°) covering ``bounds`` (lon/lat) and ``pad`` cells more."""
    x0 = np.floor(bounds[0] / CELL - pad) * CELL
    y1 = np.ceil(bounds[3] / CELL + pad) * CELL
    cols = int(np.ceil((bounds[2] - x0) / CELL)) + pad
    rows = int(np.ceil((y1 - bounds[1]) / CELL)) + pad
    return Grid(float(x0), float(y1), CELL, CELL, rows, cols)


def _town(grid: Grid, lon: float, lat: float, zero_east_of: float | None = None, seed: int = 13) -> np.ndarray:
    """Clustered counts: a Gaussian town of ~1.5 km at (lon, lat) plus Poisson noise, some
    nodata (NaN) cells, zero east of ``zero_east_of``."""
    rng = np.random.default_rng(seed)
    xs = grid.origin_x + (np.arange(grid.cols) + 0.5) * CELL
    ys = grid.origin_y - (np.arange(grid.rows) + 0.5) * CELL
    xx, yy = np.meshgrid(xs, ys)
    dens = 60.0 * np.exp(-(((xx - lon) / 0.015) ** 2 + ((yy - lat) / 0.012) ** 2)) + 0.3
    values = rng.poisson(dens).astype(np.float64)
    values[rng.random(values.shape) < 0.02] = np.nan
    if zero_east_of is not None:
        values[:, xs > zero_east_of] = 0.0
    return values


def _brute_sums(zones_lonlat: gpd.GeoSeries, grid: Grid, values: np.ndarray) -> np.ndarray:
    """Σ_c count_c · area(c ∩ z) / area(c) per zone, cell by cell with shapely boxes."""
    v = np.nan_to_num(values, nan=0.0)
    out = np.zeros(len(zones_lonlat))
    for k, z in enumerate(zones_lonlat):
        if z is None or z.is_empty:
            continue
        x0, y0, x1, y1 = z.bounds
        c0, c1 = int((x0 - grid.origin_x) // CELL), int((x1 - grid.origin_x) // CELL)
        r0, r1 = int((grid.origin_y - y1) // CELL), int((grid.origin_y - y0) // CELL)
        for r in range(max(r0, 0), min(r1, grid.rows - 1) + 1):
            for c in range(max(c0, 0), min(c1, grid.cols - 1) + 1):
                if v[r, c] == 0.0:
                    continue
                cx0 = grid.origin_x + c * CELL
                cy1 = grid.origin_y - r * CELL
                box = shapely.box(cx0, cy1 - CELL, cx0 + CELL, cy1)
                out[k] += v[r, c] * shapely.intersection(box, z).area / box.area
    return out


# ----------------------------------------------------------------------------------- the split rule
def _irregular_zones() -> gpd.GeoDataFrame:
    """Seven zones in UTM 48S (three units), irregular pentagons and triangles of a few km."""
    polys, units = [], []
    rng = np.random.default_rng(7)
    for u, (ox, n) in enumerate([(600_000.0, 3), (606_000.0, 2), (612_000.0, 2)]):
        for i in range(n):
            x, y = ox + 2000.0 * i, 9_300_000.0
            ring = [(x, y), (x + 2000, y + rng.uniform(-300, 300)), (x + 2000, y + 2500),
                    (x + 1000 + rng.uniform(-400, 400), y + 3200), (x, y + 2500)]
            polys.append(shapely.Polygon(ring))
            units.append("ABC"[u])
    z = gpd.GeoDataFrame({"code": [f"z{i}" for i in range(len(polys))], "unit": units}, geometry=polys,
                         crs="EPSG:32748")
    # the given split: areal weighting of the unit totals
    totals = {"A": 900.0, "B": 400.0, "C": 300.0}
    area = z.geometry.area
    z["population"] = [totals[u] * a / area[z["unit"] == u].sum() for u, a in zip(z["unit"], area)]
    return z


@pytest.mark.parametrize("family", ["clustered", "uniform"])
def test_dasymetric_split_matches_brute_force(family: str) -> None:
    zones = _irregular_zones()
    lonlat = zones.to_crs("EPSG:4326")
    grid = _grid_over(lonlat.total_bounds)
    c_west = lonlat[lonlat["unit"] == "C"].total_bounds[0]
    if family == "clustered":
        values = _town(grid, *lonlat.geometry.iloc[1].centroid.coords[0], zero_east_of=c_west - 2 * CELL)
    else:
        values = np.full((grid.rows, grid.cols), 2.5)
        values[:, grid.origin_x + (np.arange(grid.cols) + 0.5) * CELL > c_west - 2 * CELL] = 0.0
    raster = Raster(values=values, grid=grid, crs="EPSG:4326")

    counts, wz, fallback = dasymetric_split(zones, "unit", raster)

    ref_w = _brute_sums(lonlat.geometry, grid, values)
    np.testing.assert_allclose(wz, ref_w, rtol=1e-9, atol=1e-9)
    # unit C lies where the raster is 0: it keeps the given (areal) split and is reported
    assert list(fallback) == ["C"]
    c = (zones["unit"] == "C").to_numpy()
    np.testing.assert_array_equal(counts[c], zones["population"].to_numpy()[c])
    for u, total in (("A", 900.0), ("B", 400.0)):
        m = (zones["unit"] == u).to_numpy()
        np.testing.assert_allclose(counts[m], total * ref_w[m] / ref_w[m].sum(), rtol=1e-9)
        assert counts[m].sum() == pytest.approx(total, rel=1e-12)  # the table stays the total
    if family == "uniform":
        # constant counts: the split is the area share (in the raster's CRS), up to the partial cells
        a = shapely.area(lonlat.geometry.values)
        m = (zones["unit"] == "A").to_numpy()
        np.testing.assert_allclose(counts[m], 900.0 * a[m] / a[m].sum(), rtol=1e-9)

    # a zone left out (a pseudo-unit) weighs 0 and gets nobody; its unit keeps its total
    excl = np.zeros(len(zones), dtype=bool)
    excl[0] = True
    counts2, wz2, _ = dasymetric_split(zones, "unit", raster, exclude=excl)
    assert wz2[0] == 0.0 and counts2[0] == 0.0
    assert counts2[:3].sum() == pytest.approx(900.0, rel=1e-12)


# ----------------------------------------------------------------------------------- a region
def _region_with_raster(folder, *, table: bool = True, raster: bool = True, catalogue: bool = False):
    """The crafted regency (6 kecamatan of 2×2 desa, a pseudo desa 'Danau Kecil' in the first)
    with the kecamatan table TABLE (or only a regency total of 58,000) and a clustered raster
    that is 0 over the last kecamatan and over desa 9901030004."""
    extra = ""
    if table:
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"code": list(TABLE), "population": list(TABLE.values())}).to_csv(folder / "kec.csv",
                                                                                       index=False)
        extra += ('\n[population]\nfile = "@region/kec.csv"\nlevel = "kecamatan"\ncode = "code"\n'
                  'value = "population"\nyear = 2020\nsource = "crafted by the test"\n')
    extra += ('\n[population_raster]\ncatalogue = "worldpop_idn_2020"\n' if catalogue else
              '\n[population_raster]\nfile = "@region/wp.tif"\n')
    f = _craft_regency(folder, pseudo=True, total=None if table else 58_000, extra=extra)
    desa = Region.load(f).zones("desa")  # without the raster file yet: the geometry only
    grid = _grid_over(desa.total_bounds, pad=60)  # 5.5 km more than the region on every side
    values = _town(grid, *desa[desa["code"] == "9901030001"].geometry.iloc[0].centroid.coords[0])
    left = grid.origin_x + np.arange(grid.cols) * CELL  # cell edges
    top = grid.origin_y - np.arange(grid.rows) * CELL
    # no WorldPop people in any cell touching the last kecamatan ...
    values[:, left + CELL > desa[desa["kecamatan_code"] == KEC[-1]].total_bounds[0]] = 0.0
    # ... nor in desa 9901030004 (north-east square of the third kecamatan)
    d4 = desa[desa["code"] == "9901030004"].total_bounds
    values[np.ix_((top > d4[1]) & (top - CELL < d4[3]), (left + CELL > d4[0]) & (left < d4[2]))] = 0.0
    r = Raster(values=values, grid=grid, crs="EPSG:4326")
    if raster:
        write_raster(folder / "wp.tif", r, nodata=-99999.0)
    return f, r


def test_region_desa_population_is_dasymetric_and_keeps_the_table_totals(tmp_path) -> None:
    f, r = _region_with_raster(tmp_path / "r")
    region = Region.load(f)
    desa = region.zones("desa")
    lonlat = desa.to_crs("EPSG:4326")
    w = _brute_sums(lonlat.geometry, r.grid, r.values)
    w[desa["pseudo_unit"].to_numpy(dtype=bool)] = 0.0
    for k in KEC[:-1]:
        m = (desa["kecamatan_code"] == k).to_numpy()
        np.testing.assert_allclose(desa["population"].to_numpy()[m], TABLE[k] * w[m] / w[m].sum(), rtol=1e-9)
    # the table's figures stay the totals of their units (the pseudo desa gets nobody)
    kec = region.zones("kecamatan").set_index("code")["population"]
    for k, v in TABLE.items():
        assert kec[k] == pytest.approx(v, rel=1e-12)
    assert desa.loc[desa["code"] == "9901010888", "population"].iloc[0] == 0.0
    # a desa without WorldPop people inside a populated kecamatan gets 0 from the split ...
    assert desa.loc[desa["code"] == "9901030004", "population"].iloc[0] == 0.0
    # ... the kecamatan whose WorldPop sum is 0 falls back to areal weighting (ellipsoidal areas), reported
    last = desa[desa["kecamatan_code"] == KEC[-1]]
    np.testing.assert_allclose(last["population"], TABLE[KEC[-1]] * last["area_km2"] / last["area_km2"].sum(),
                               rtol=1e-9)
    assert set(last["population_method"]) == {"areal weighting from kecamatan"}
    rec = region.population_weighting
    assert rec["weighting"] == "dasymetric" and rec["units"] == "kecamatan"
    assert rec["fallback_units"] == [KEC[-1]]
    # only the region's window was read (its box + 500 m), cell for cell the file's values
    win = region.population_window
    assert (rec["window"]["rows"], rec["window"]["cols"]) == win.values.shape
    assert win.values.size < r.values.size / 2
    r0 = round((r.grid.origin_y - win.grid.origin_y) / CELL)
    c0 = round((win.grid.origin_x - r.grid.origin_x) / CELL)
    np.testing.assert_array_equal(win.values, r.values[r0:r0 + win.grid.rows, c0:c0 + win.grid.cols])
    assert any(KEC[-1] in x and "AREAL WEIGHTING" in x for x in region.warnings)
    assert "dasymetric from the kecamatan table" in desa["population_method"].iloc[0]


def test_coverage_counts_people_on_the_raster_cells(tmp_path) -> None:
    """covered(d) = P_d · Σ_c w_c·area(c ∩ d ∩ U_r)/area(c) / W_d, U_r from shapely buffers
    (chords of sagitta ≤ 1 cm) and the brute-force cell sums; desa 9901030004 (W_d = 0) and
    the fallback kecamatan's desa are covered by area share."""
    f, r = _region_with_raster(tmp_path / "r")
    region = Region.load(f)
    desa = region.zones("desa", crs=region.working_crs)
    pts = [(603_000.0, 9_301_500.0), (609_200.0, 9_302_600.0), (621_000.0, 9_301_000.0)]
    fac = gpd.GeoDataFrame({"facility_type": ["puskesmas"] * 3}, geometry=[shapely.Point(p) for p in pts],
                           crs=region.working_crs)
    radius = 1800.0
    got = coverage(region, fac, radius, level="desa").set_index("code")
    union = shapely.union_all([p.buffer(radius, quad_segs=buffer_segments(radius)) for p in fac.geometry])
    pieces = gpd.GeoSeries(shapely.intersection(desa.geometry.values, union), crs=desa.crs)
    wp = _brute_sums(pieces.to_crs("EPSG:4326"), r.grid, r.values)
    wd = _brute_sums(desa.to_crs("EPSG:4326").geometry, r.grid, r.values)
    area_share = pieces.area.to_numpy() / desa.geometry.area.to_numpy()
    pop = desa["population"].to_numpy()
    ref = pop * np.where(wd > 0, np.divide(wp, wd, out=np.zeros_like(wp), where=wd > 0), area_share)
    codes = desa["code"].astype(str).to_numpy()
    # (the area-share fallback is planar in the raster's CRS, degrees: within 1e-4 of UTM's)
    np.testing.assert_allclose(got.loc[codes, "covered"].to_numpy(), ref, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got.loc[codes, "population"].to_numpy(), pop, rtol=1e-12)
    assert ref[codes == "9901030004"][0] == 0.0
    assert (ref[np.isin(codes, desa.loc[desa["kecamatan_code"] == KEC[-1], "code"])] > 0).any()


def test_regency_total_only_is_spread_by_the_raster(tmp_path) -> None:
    f, r = _region_with_raster(tmp_path / "r", table=False)
    region = Region.load(f)
    desa = region.zones("desa")
    assert desa["population"].sum() == pytest.approx(58_000, rel=1e-12)
    w = _brute_sums(desa.to_crs("EPSG:4326").geometry, r.grid, r.values)
    w[desa["pseudo_unit"].to_numpy(dtype=bool)] = 0.0
    np.testing.assert_allclose(desa["population"], 58_000 * w / w.sum(), rtol=1e-9)
    assert region.population_weighting["units"] == "kabupaten"
    assert region.population_weighting["fallback_units"] == []


def test_raster_not_fetched_falls_back_to_areal_weighting_and_says_so(tmp_path, monkeypatch, caplog) -> None:
    from jangkau.data.fetch import fetched_file
    from jangkau.workflow.pipeline import run

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # an empty download cache
    f, r = _region_with_raster(tmp_path / "r", catalogue=True)
    region = Region.load(f)
    hint = "population raster: worldpop_idn_2020 not fetched; run `jangkau data fetch worldpop_idn_2020`"
    assert region.population_raster is None and region.population_raster_unavailable() == hint
    desa = region.zones("desa")
    m = (desa["kecamatan_code"] == KEC[1]).to_numpy()
    areal = TABLE[KEC[1]] * desa.loc[m, "area_km2"] / desa.loc[m, "area_km2"].sum()
    np.testing.assert_allclose(desa.loc[m, "population"], areal, rtol=1e-9)
    with caplog.at_level(logging.WARNING, logger="jangkau"):
        res = run(f, tmp_path / "out")
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert man["population"]["weighting"] == "areal" and man["population"]["raster_unavailable"] == hint
    assert "population_raster" not in man["inputs"]
    assert any(hint in w for w in res.warnings) and any(hint in w for w in man["warnings"])
    assert hint in (tmp_path / "out" / "report.html").read_text()
    assert any(hint in rec.getMessage() for rec in caplog.records)

    # once fetched (the download cache), the same region file uses it, and the run records it
    src, _ = fetched_file("worldpop_idn_2020")
    target = tmp_path / "xdg" / "jangkau" / "data" / src.path
    target.parent.mkdir(parents=True)
    write_raster(target, r, nodata=-99999.0)
    region = Region.load(f)
    assert region.population_raster == target and region.population_raster_unavailable() is None
    assert region.population_weighting["weighting"] == "dasymetric"
    run(f, tmp_path / "out2")
    man = json.loads((tmp_path / "out2" / "manifest.json").read_text())
    assert man["population"]["weighting"] == "dasymetric" and man["population"]["raster"] == str(target)
    assert man["population"]["sha256"] == man["inputs"]["population_raster"]["sha256"]
    import hashlib

    assert man["population"]["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert man["population"]["fallback_units"] == [KEC[-1]]


def test_population_raster_named_twice_or_half_is_refused(tmp_path) -> None:
    from jangkau.errors import InvalidInputError

    f = _craft_regency(tmp_path / "a", extra='\n[population_raster]\nband = 1\n')
    with pytest.raises(InvalidInputError, match=r"exactly one of 'catalogue'.*region\.toml"):
        Region.load(f).population_raster  # noqa: B018
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "kec.csv").write_text("code,population\n9901010,5\n")
    f = _craft_regency(tmp_path / "b", extra='\n[population]\nfile = "@region/kec.csv"\nlevel = "kecamatan"\n'
                       'raster = "@region/x.tif"\n\n[population_raster]\nfile = "@region/x.tif"\n')
    with pytest.raises(InvalidInputError, match=r"named twice.*region\.toml"):
        Region.load(f)
