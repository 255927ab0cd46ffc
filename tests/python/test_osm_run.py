"""Serang's road access from OpenStreetMap, end to end and offline, exactly as a user with
internet gets it (README): ``jangkau data fetch serang`` then ``jangkau run serang``.

A local HTTP server (http.server in a thread on 127.0.0.1) stands in for the internet: it is a
mirror laid out as a data directory (``jangkau data fetch --mirror`` / ``$JANGKAU_MIRROR``,
docs/fetch.md) serving the real files of Serang's catalogue entries from the data directory
(their pinned sha256 are verified), a generated "Java extract" (the real Liechtenstein extract
moved into Kabupaten Serang and written as .osm.pbf by osmium-tool) and a generated population
raster of Banten at WorldPop's 3 arc-second cells. The commands run as subprocesses with a
fresh cache (XDG_CACHE_HOME) and no data directory set, so they find their files where
``jangkau data fetch`` put them.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from osm_helpers import shifted_osm

from jangkau.data.fetch import LOCK_FILE, fetched_file, load_catalogue
from jangkau.data.raster import Grid, Raster, RasterType, read_raster, write_raster
from jangkau.data.region import Region

CELL = 1.0 / 1200.0  # WorldPop's 3 arc-second cell, degrees


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _worldpop() -> Raster:
    """People per cell over all of Banten (105.0–106.9 E, 7.1–5.8 S): a Poisson-sampled town
    east of Serang's centre, nodata (NaN) at a sea-like corner; cells aligned on WorldPop's grid."""
    rows, cols = 1560, 2280
    rng = np.random.default_rng(13)
    yy, xx = np.mgrid[0:rows, 0:cols]
    dens = 40.0 * np.exp(-(((xx - 1400) / 300.0) ** 2 + ((yy - 500) / 250.0) ** 2))
    values = rng.poisson(dens).astype(np.float64)
    values[(xx < 200) & (yy < 200)] = np.nan
    return Raster(values=values, grid=Grid(105.0, -5.8, CELL, CELL, rows, cols), crs="EPSG:4326")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output quiet
        pass


@pytest.fixture
def mirror(tmp_path: Path, data_dir: Path):
    """The mirror's folder (Serang's sources) and the server's base URL."""
    root = tmp_path / "mirror"
    cat = load_catalogue()
    serang = Region.load("serang", data_dir=data_dir)
    lon0, lat0, lon1, lat1 = serang.zones("kabupaten").total_bounds
    for sid in cat.regions["serang"]:
        src = cat.sources[sid]
        dst = root / src.path
        dst.parent.mkdir(parents=True, exist_ok=True)
        if sid == "osm_java":
            # the real Liechtenstein network moved so that the centre of its dense part (about
            # 9.55 E, 47.15 N; 0.152° and 0.364° from the corner of the extract's box, whose long
            # tails reach into Switzerland and Austria) lies at the centre of Kabupaten Serang;
            # plus one OSM puskesmas 50 m east of the register's Puskesmas Kramatwatu (BPJS:
            # 106.11948 E, 6.06508 S)
            west, south = 0.5 * (lon0 + lon1) - 0.152, 0.5 * (lat0 + lat1) - 0.364
            xml = shifted_osm(data_dir / "roads" / "osm_liechtenstein_valhalla.osm.pbf", tmp_path / "java.osm",
                              west, south, [("Puskesmas Kramatwatu", "clinic", 106.11993 - west, -6.06508 - south)])
            subprocess.run(["osmium", "cat", "--overwrite", str(xml), "-o", str(dst)], check=True,
                           capture_output=True)
        elif sid == "worldpop_idn_2020":
            write_raster(dst, _worldpop(), type=RasterType.Float32, nodata=-99999.0)
        else:
            real = data_dir / src.path
            assert real.is_file(), f"{sid}: {real} is missing from the data directory"
            os.symlink(real, dst)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _env(tmp_path: Path, base: str) -> dict[str, str]:
    env = dict(os.environ)
    for k in ("JANGKAU_DATA", "JANGKAU_CACHE", "JANGKAU_SOURCES"):
        env.pop(k, None)
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    env["JANGKAU_MIRROR"] = base
    return env


def _jangkau(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "jangkau.cli", *args], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return res


def test_fetch_then_run_serang_routes_on_the_fetched_osm_extract(tmp_path: Path, mirror, data_dir: Path,
                                                                   monkeypatch) -> None:
    root, base = mirror
    env = _env(tmp_path, base)
    cache = tmp_path / "xdg" / "jangkau" / "data"
    pbf = root / "osm" / "java-latest.osm.pbf"

    _jangkau(env, "-q", "data", "fetch", "serang")
    lock = json.loads((cache / LOCK_FILE).read_text())
    rec = lock["files"]["osm/java-latest.osm.pbf"]
    assert rec["sha256"] == _sha(pbf)
    assert rec["url"] == f"{base}/osm/java-latest.osm.pbf"  # the mirror's URL is what the lock records
    for path, entry in lock["files"].items():  # every file came from the mirror, byte for byte
        assert entry["sha256"] == _sha(root / path), path

    out = tmp_path / "out"
    _jangkau(env, "-q", "run", "serang", "-o", str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert "access" not in manifest["skipped_steps"], manifest["skipped_steps"]
    assert manifest["data_dir"] == str(cache.resolve())
    roads = manifest["inputs"]["roads[0]"]
    assert Path(roads["path"]).name == "java-latest.osm.pbf"
    assert roads["sha256"] == _sha(pbf)  # the manifest names the extract the run routed on

    # the facility QA compares the extract's facilities with the register's
    match = pd.read_csv(out / "facility_osm_match.csv", dtype=str)
    pair = match[(match["status"] == "matched") & (match["osm_id"] == "n900000000")]
    assert len(pair) == 1 and pair["facility_type"].iloc[0] == "puskesmas"
    assert "Kramatwatu" in pair["register_name"].iloc[0]
    msum = pd.read_csv(out / "facility_osm_match_summary.csv").set_index("facility_type")
    assert msum.loc["puskesmas", "register_only"] == msum.loc["puskesmas", "register"] - 1

    kec = pd.read_csv(out / "access_travel_time_kecamatan.csv", dtype={"code": str})
    assert len(kec) == 29 and set(kec["facility_type"]) == {"puskesmas"}
    assert np.isfinite(kec["mean_time_min"]).any()  # kecamatan on the moved network reach a puskesmas
    desa = pd.read_csv(out / "access_travel_time_desa.csv", dtype={"code": str})
    assert len(desa) == len(Region.load("serang", data_dir=data_dir).zones("desa"))
    iso = gpd.read_file(out / "isochrones_puskesmas.geojson")
    assert len(iso) > 0 and not iso.geometry.is_empty.all()
    assert iso.crs.to_epsg() == 4326

    # the cut is cached under the extract's sha256: the cut's manifest names the extract
    cuts = [p for p in (tmp_path / "xdg" / "jangkau" / "osm_cuts").iterdir() if p.is_dir()]
    assert len(cuts) == 1
    cut = json.loads((cuts[0] / "manifest.json").read_text())
    assert cut["extract"]["sha256"] == _sha(pbf)

    # the run placed people on the fetched WorldPop-style raster's cells
    tif = cache / "population" / "idn_ppp_2020_constrained.tif"
    _check_population(out, tif, manifest, data_dir, tmp_path, monkeypatch)

    # the fetched WorldPop-style raster serves a command that reads only Serang's window of it
    acc = tmp_path / "access.csv"
    _jangkau(env, "-q", "access", "serang", "--roads", str(cache / "osm" / "java-latest.osm.pbf"),
             "--facilities", str(data_dir / "facilities" / "banten" / "faskes_bpjs_banten_2019_points.geojson"),
             "--type-column", "TipeFaskes", "--type", "puskesmas", "--population-raster", str(tif), "--demand", "cells", "--max-snap", "5000", "-o", str(acc))
    assert len(pd.read_csv(acc)) == 29
    whole = read_raster(tif)
    window = read_raster(tif, window=(105.9, -6.3, 106.4, -5.9), window_crs="EPSG:4326")
    assert window.values.size < whole.values.size / 4


def _check_population(out: Path, tif: Path, manifest: dict, data_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """`jangkau run serang` with WorldPop fetched: the kecamatan table spread over the raster's
    cells (dasymetric), the table totals kept, and the covered population per desa equal to an
    independent computation: exactextract sums of the same raster over the desa and over their
    intersection with shapely buffers (chords of sagitta ≤ 1 cm) of the run's puskesmas."""
    import shapely
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    from jangkau.coverage.analysis import buffer_segments

    pop = manifest["population"]
    assert pop["weighting"] == "dasymetric" and pop["units"] == "kecamatan" and Path(pop["raster"]) == tif
    assert pop["sha256"] == _sha(tif) == manifest["inputs"]["population_raster"]["sha256"]
    assert pop["source"] == "worldpop_idn_2020" and pop["fallback_units"] == []
    assert pop["window"]["rows"] * pop["window"]["cols"] < 1560 * 2280 / 4  # Serang's window, not the file
    assert not any("worldpop_idn_2020 not fetched" in w for w in manifest["warnings"])

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty"))  # this process: no raster, the table as is
    region = Region.load("serang", data_dir=data_dir)
    assert region.population_weighting["weighting"] == "areal"
    cov = pd.read_csv(out / "coverage.csv", dtype={"code": str})
    r = float(cov.loc[cov["facility_type"] == "puskesmas", "radius_m"].max())
    cov = cov[(cov["facility_type"] == "puskesmas") & (cov["radius_m"] == r)]
    kec = region.zones("kecamatan").set_index("code")["population"]
    got_kec = cov[cov["level"] == "kecamatan"].set_index("code")["population"]
    np.testing.assert_allclose(got_kec.loc[kec.index], kec, rtol=1e-9)  # the table stays the totals
    table = pd.read_csv(region.path.parent / "population_kecamatan_2017.csv", dtype={"kode_bps": str})
    assert got_kec.sum() == pytest.approx(table["population"].sum(), rel=1e-9)
    # nearest distance and road access (demand at the cells, 2SFCA) count the same people per kecamatan
    for name, extra in (("nearest_distance.csv", {"facility_type": "puskesmas", "level": "kecamatan"}),
                        ("access_travel_time_kecamatan.csv", {}), ("access_e2sfca_kecamatan.csv", {})):
        t = pd.read_csv(out / name, dtype={"code": str})
        for col, val in extra.items():
            t = t[t[col] == val]
        np.testing.assert_allclose(t.set_index("code").loc[kec.index, "population"], kec, rtol=1e-9, err_msg=name)

    # independent: W_d by exactextract on the same cells, P_d = P_k · W_d / W_k
    desa = region.zones("desa", crs=region.working_crs)
    wp = _worldpop()
    xmin, ymin, xmax, ymax = wp.bounds
    src = NumPyRasterSource(np.ma.masked_invalid(wp.values), xmin, ymin, xmax, ymax,
                            srs_wkt=gpd.GeoSeries([], crs="EPSG:4326").crs.to_wkt())

    def sums(geoms: gpd.GeoSeries) -> np.ndarray:
        out = np.zeros(len(geoms))
        keep = ~geoms.is_empty.to_numpy()
        g = gpd.GeoDataFrame(geometry=geoms[keep].to_crs("EPSG:4326").reset_index(drop=True))
        out[keep] = exact_extract(src, g, "sum", output="pandas")["sum"].to_numpy()
        return out

    wd = sums(desa.geometry)
    wd[desa["pseudo_unit"].to_numpy(dtype=bool)] = 0.0
    wk = pd.Series(wd).groupby(desa["kecamatan_code"].to_numpy()).transform("sum").to_numpy()
    assert (wk > 0).all()
    pd_ref = kec.loc[desa["kecamatan_code"]].to_numpy() * wd / wk
    got_desa = cov[cov["level"] == "desa"].set_index("code")
    codes = desa["code"].astype(str).to_numpy()
    # exactextract keeps cell fractions as float32 (~3e-8 per cell)
    np.testing.assert_allclose(got_desa.loc[codes, "population"], pd_ref, rtol=1e-6, atol=1e-6)

    fac = gpd.read_file(out / "facilities.geojson").to_crs(region.working_crs)
    fac = fac[(fac["facility_type"] == "puskesmas") & ~fac["duplicate"].astype(bool)]
    union = shapely.union_all([p.buffer(r, quad_segs=buffer_segments(r)) for p in fac.geometry])
    inside = gpd.GeoSeries(shapely.intersection(desa.geometry.values, union), crs=desa.crs)
    wpiece = sums(inside)
    share = np.where(wd > 0, np.divide(wpiece, wd, out=np.zeros_like(wd), where=wd > 0),
                     inside.area.to_numpy() / desa.geometry.area.to_numpy())
    np.testing.assert_allclose(got_desa.loc[codes, "covered"], pd_ref * share, rtol=1e-4, atol=1e-3)
    got_kab = cov[cov["level"] == "kabupaten"]["covered"].sum()
    assert got_kab == pytest.approx((pd_ref * share).sum(), rel=1e-5)
    assert 0.0 < got_kab < got_kec.sum()


def test_run_without_the_extract_skips_access_and_says_how_to_fetch_it(tmp_path: Path, data_dir: Path,
                                                                      monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # an empty download cache
    region = Region.load("serang", data_dir=data_dir)
    assert region.road_files() == []
    assert region.roads_unavailable() == "roads: osm_java not fetched; run `jangkau data fetch serang`"
    # every Banten region names its own fetch command
    assert Region.load("cilegon", data_dir=data_dir).roads_unavailable() == (
        "roads: osm_java not fetched; run `jangkau data fetch cilegon`")
    # once the file is where `jangkau data fetch` puts it, it is the region's road layer
    src, found = fetched_file("osm_java", data_dir)
    assert found is None
    target = tmp_path / "xdg" / "jangkau" / "data" / src.path
    target.parent.mkdir(parents=True)
    target.write_bytes(b"")
    assert region.road_files() == [target]
    assert region.roads_unavailable() is None
