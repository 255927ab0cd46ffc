"""The command line: help, the zones subcommand, and one-line errors with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pytest

from jangkau.cli import main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jangkau.cli", *args], capture_output=True, text=True)


def test_help_lists_subcommands():
    r = _run("--help")
    assert r.returncode == 0
    for cmd in ("zones", "coverage", "access", "pilots", "sites", "dapil"):
        assert cmd in r.stdout
    assert _run("zones", "--help").returncode == 0


@pytest.mark.parametrize("ext", ["geojson", "gpkg", "csv"])
def test_zones_writes_every_format(tmp_path, data_dir, ext):
    out = tmp_path / f"kec.{ext}"
    assert main(["--data", str(data_dir), "-q", "zones", "serang", "--level", "kecamatan", "-o", str(out)]) == 0
    if ext == "csv":
        assert out.read_text().count("\n") == 30
    else:
        g = gpd.read_file(out)
        assert len(g) == 29 and g.crs.to_epsg() == 4326
        assert g["population"].sum() == pytest.approx(1_493_591)
    if ext == "geojson":
        doc = json.loads(out.read_text())
        assert doc["type"] == "FeatureCollection" and "crs" not in doc


def test_zones_output_is_byte_identical(tmp_path, data_dir):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for d in (a, b):
        assert main(["--data", str(data_dir), "-q", "zones", "cilegon", "--level", "desa", "-o",
                     str(d / "desa.geojson")]) == 0
    assert (a / "desa.geojson").read_bytes() == (b / "desa.geojson").read_bytes()


@pytest.mark.parametrize("args,needle", [
    (["zones", "atlantis", "-o", "x.geojson"], "unknown region"),
    (["zones", "serang", "-o", "out.kml"], "unsupported output format"),
    (["zones", "serang", "-o", "/nonexistent/dir/out.geojson"], "output directory does not exist"),
    # checked before any work: the road and facility files named here do not exist either
    (["access", "cilegon", "--roads", "no_roads.geojson", "--facilities", "no_fac.geojson", "-o",
      "/nonexistent/dir/a.csv"], "output directory does not exist"),
    (["access", "cilegon", "--roads", "no_roads.geojson", "--facilities", "no_fac.geojson", "--isochrones",
      "/nonexistent/dir/iso.geojson", "-o", "a.csv"], "output directory does not exist"),
])
def test_bad_input_is_one_line_and_nonzero(tmp_path, data_dir, args, needle):
    r = _run("--data", str(data_dir), *args)
    assert r.returncode == 1
    assert r.stderr.startswith("jangkau: error:") and needle in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not list(tmp_path.iterdir())


def test_missing_data_dir_is_an_error(tmp_path):
    r = _run("--data", str(tmp_path / "nowhere"), "zones", "serang", "-o", str(tmp_path / "x.geojson"))
    assert r.returncode == 1 and "does not exist" in r.stderr


def test_coverage_by_travel_time(tmp_path, data_dir):
    """`jangkau coverage --roads --max-time` reuses the travel model: same numbers, monotone in T."""
    import pandas as pd

    from jangkau import Region
    from jangkau.data.facilities import read_facilities
    from jangkau.data.population import from_zone_counts
    from jangkau.network.build import build_roads
    from jangkau.network.travel import DemandKind, TravelModel, demand

    fac = data_dir / "facilities/cilegon3672_rtrw_PUSKESMAS_PT.geojson"
    roads = [str(data_dir / f"roads/cilegon3672_rtrw_JALAN_{c}_LN.geojson") for c in ("ARTERI", "KOLEKTOR", "LOKAL")]
    out = tmp_path / "tt.csv"
    assert main(["--data", str(data_dir), "-q", "coverage", "cilegon", "--facilities", str(fac), "--type",
                 "puskesmas", "--roads", ",".join(roads), "--max-time", "10min,20min", "-o", str(out)]) == 0
    got = pd.read_csv(out, dtype={"code": str})
    assert (got["covered"] <= got["population"] + 1e-6).all()
    w = got.pivot(index="code", columns="max_time_min", values="covered")
    assert (w[20] >= w[10]).all()
    region = Region.load("cilegon", data_dir=data_dir)
    f = read_facilities([fac], region_boundary=region.zones("kabupaten"))
    f = f[f["facility_type"] == "puskesmas"].reset_index(drop=True)
    dm = demand(region, level="kecamatan", population=from_zone_counts(region.zones("desa", crs=region.working_crs)),
                kind=DemandKind.CELLS, cell_size=250.0)
    ref = TravelModel(build_roads(roads, crs=region.working_crs), f, dm).coverage([10, 20])
    pd.testing.assert_series_equal(got["covered"], ref["covered"], check_names=False, rtol=1e-12)
    assert main(["--data", str(data_dir), "coverage", "cilegon", "--facilities", str(fac), "--max-time", "10min",
                 "-o", str(tmp_path / "x.csv")]) == 1


def test_coverage_quadrant_segments_reproduces_shapely_buffers(tmp_path, data_dir):
    """`--quadrant-segments 8` gives shapely's 32-gon discs: the CLI's table equals a plain
    shapely overlay (union of 32-gon buffers ∩ desa, population spread by area, summed per
    kecamatan); the default true circles cover at least as much in every kecamatan."""
    import numpy as np
    import pandas as pd
    import shapely

    from jangkau import Region
    from jangkau.data.facilities import read_facilities

    fac = data_dir / "facilities/cilegon3672_rtrw_PUSKESMAS_PT.geojson"
    base = ["--data", str(data_dir), "-q", "coverage", "cilegon", "--facilities", str(fac), "--type", "puskesmas",
            "--radius", "1km,3km", "--level", "kecamatan"]
    assert main([*base, "--quadrant-segments", "8", "-o", str(tmp_path / "q8.csv")]) == 0
    assert main([*base, "-o", str(tmp_path / "circle.csv")]) == 0
    q8 = pd.read_csv(tmp_path / "q8.csv", dtype={"code": str}).set_index(["radius_m", "code"]).sort_index()
    circle = pd.read_csv(tmp_path / "circle.csv", dtype={"code": str}).set_index(["radius_m", "code"]).sort_index()

    region = Region.load("cilegon", data_dir=data_dir)
    desa = region.zones("desa", crs=region.working_crs)
    f = read_facilities([fac], region_boundary=region.zones("kabupaten"))
    pts = f[f["facility_type"] == "puskesmas"].to_crs(region.working_crs).geometry.values
    for r in (1000, 3000):
        union = shapely.union_all(shapely.buffer(pts, r, quad_segs=8))
        share = shapely.area(shapely.intersection(desa.geometry.values, union)) / shapely.area(desa.geometry.values)
        ref = pd.Series(desa["population"].to_numpy() * share).groupby(desa["kecamatan_code"].to_numpy()).sum()
        got = q8.loc[float(r), "covered"]
        np.testing.assert_allclose(got.to_numpy(), ref.reindex(got.index).to_numpy(), rtol=1e-9, atol=1e-6)
        more = circle.loc[float(r), "covered"] - got
        assert (more >= -1e-6).all() and more.sum() > 0
    r = _run("--data", str(data_dir), *base[3:], "--quadrant-segments", "0", "-o", str(tmp_path / "x.csv"))
    assert r.returncode == 2 and "--quadrant-segments" in r.stderr
