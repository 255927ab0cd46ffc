"""A region with no population at all (boundaries only; its code is absent from the regency
total table) still gets coverage from `jangkau run`: the share of each zone's AREA within the
threshold, labelled "area share, no population data" in coverage.csv, the gap layers, the
report and the manifest — checked against geopandas/shapely areas in the same test."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from test_region import _craft_regency

from jangkau.workflow.pipeline import run

LABEL = "area share, no population data"
#: Puskesmas (3 km), in UTM 48S: two inside the crafted regency, one 1 km outside its east end.
PUSKESMAS_UTM = [(601_000.0, 9_301_000.0), (611_500.0, 9_302_500.0), (625_000.0, 9_302_000.0)]
#: SD (1 km): a tight cluster of three in one desa.
SD_UTM = [(617_000.0, 9_301_000.0), (617_300.0, 9_301_200.0), (617_100.0, 9_300_700.0)]


def _points(path, coords, kind):
    tr = Transformer.from_crs("EPSG:32748", "EPSG:4326", always_xy=True)
    feats = [{"type": "Feature", "properties": {"name": f"{kind} {i}", "type": kind},
              "geometry": {"type": "Point", "coordinates": list(tr.transform(x, y))}} for i, (x, y) in enumerate(coords)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))


@pytest.fixture(scope="module")
def area_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("area")
    folder = tmp / "r"
    extra = ('\n[facilities.pk]\nfile = "@region/pk.geojson"\ntype = "puskesmas"\n'
             '\n[facilities.sd]\nfile = "@region/sd.geojson"\ntype = "sd"\n')
    f = _craft_regency(folder, total=1000, extra=extra)
    # The regency total table exists but lacks the region's code (99.01), and the code bridge
    # knows no Kemendagri code for BPS 9901: no population at all.
    (folder / "bridge.csv").write_text("bps_code,bps_name,kemendagri_code,kemendagri_name\n"
                                       "9971,Kota Crafted,99.71,Kota Crafted\n")
    (folder / "totals.sql").write_text("INSERT INTO wilayah_penduduk (kode,nama,pria,wanita,total) VALUES\n"
                                       "('99','PROVINSI CRAFT','1','1','2'),\n('99.71','Kota Crafted','10','10','20');\n")
    _points(folder / "pk.geojson", PUSKESMAS_UTM, "puskesmas")
    _points(folder / "sd.geojson", SD_UTM, "sd")
    out = tmp / "out"
    res = run(f, out)
    return res, out


def _desa_utm(res):
    """The run's desa in its working CRS (UTM 48S), unrounded (the GeoJSON keeps 7 decimals)."""
    assert res.region.working_crs == "EPSG:32748"
    return res.region.zones("desa", crs=res.region.working_crs)


def test_no_population_run_finishes_with_area_shares(area_run):
    res, out = area_run
    assert res.region.population_source is None
    m = json.loads((out / "manifest.json").read_text())
    assert "coverage" not in m["skipped_steps"]
    assert any(LABEL.upper() in w for w in m["warnings"])
    cov = pd.read_csv(out / "coverage.csv", dtype={"code": str})
    assert (cov["measure"] == LABEL).all()
    assert {"area_km2", "covered_km2", "not_covered_km2", "share"} <= set(cov.columns)
    assert "population" not in cov.columns and "covered" not in cov.columns
    assert set(cov["level"]) == {"desa", "kecamatan", "kabupaten"}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert LABEL in report and "the share of AREA, not of people" in report and "area-weighted" in report
    dist = pd.read_csv(out / "nearest_distance.csv", dtype={"code": str})
    assert dist["measure"].str.contains("area-weighted, no population data").all()
    desa = gpd.read_file(out / "zones_desa.geojson")
    assert "coverage_area_share_puskesmas_3000m" in desa.columns
    assert not any(c.startswith("coverage_share_") for c in desa.columns)  # never read as people


@pytest.mark.parametrize(("ftype", "coords", "radius"), [("puskesmas", PUSKESMAS_UTM, 3000.0),
                                                         ("sd", SD_UTM, 1000.0)])
def test_area_shares_equal_shapely(area_run, ftype, coords, radius):
    res, out = area_run
    cov = pd.read_csv(out / "coverage.csv", dtype={"code": str})
    cov = cov[cov["facility_type"] == ftype]
    desa = _desa_utm(res)
    # Independent: shapely discs (1024-gons) and exact polygon intersections, planar in UTM 48S.
    union = shapely.union_all(shapely.buffer(shapely.points(coords), radius, quad_segs=256))
    inter = shapely.area(shapely.intersection(desa.geometry.values, union)) / 1e6
    area = desa.geometry.area.to_numpy() / 1e6
    ref = pd.DataFrame({"code": desa["code"].astype(str), "kec": desa["kecamatan_code"].astype(str),
                        "area": area, "covered": inter})
    got = cov[cov["level"] == "desa"].set_index("code").loc[ref["code"]]
    np.testing.assert_allclose(got["area_km2"], ref["area"], rtol=1e-9)
    np.testing.assert_allclose(got["covered_km2"], ref["covered"], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(got["share"], ref["covered"] / ref["area"], rtol=1e-4, atol=1e-7)
    kec = ref.groupby("kec")[["area", "covered"]].sum()
    gk = cov[cov["level"] == "kecamatan"].set_index("code").loc[kec.index]
    np.testing.assert_allclose(gk["share"], kec["covered"] / kec["area"], rtol=1e-4, atol=1e-7)
    kab = cov[cov["level"] == "kabupaten"]
    assert len(kab) == 1
    assert kab["share"].iloc[0] == pytest.approx(ref["covered"].sum() / ref["area"].sum(), rel=1e-4)
    assert 0.0 < kab["share"].iloc[0] < 1.0
    # The gap layer holds exactly the uncovered area (its circles densified to a 1 cm sagitta).
    gaps = gpd.read_file(out / f"gaps_{ftype}_{int(radius)}m.geojson")
    assert (gaps["measure"] == LABEL).all()
    assert gaps["uncovered_km2"].sum() == pytest.approx((ref["area"] - ref["covered"]).sum(), rel=1e-4)
    assert gaps.to_crs("EPSG:32748").geometry.area.sum() / 1e6 == pytest.approx(
        (ref["area"] - ref["covered"]).sum(), rel=1e-3)
