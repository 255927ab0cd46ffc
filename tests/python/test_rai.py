"""Rural Access Index and road density: a hand-made case with a known answer, and Kota
Cilegon cross-checked against geopandas/shapely computed here."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import jangkau
from jangkau.network.build import build_roads
from jangkau.network.rai import ALL_SEASON_CLASSES, road_density, road_lines, rural_access_index

CRS = "EPSG:32748"
X0, Y0 = 500000.0, 9300000.0  # synthetic geometry in a metric CRS


def hand_made():
    """Desa A: 10x10 km, 1,000 people (10/km², rural). Desa B: 1x1 km, 100,000 people (urban).
    An arteri road along y = Y0 + 5 km crosses A from side to side: its 2 km buffer covers
    the strip 3-7 km of A, i.e. 40 % of A. A lokal road (not all-season) along y = Y0 + 9 km."""
    zones = gpd.GeoDataFrame(
        {"code": ["A", "B"], "kecamatan": ["K1", "K2"], "population": [1000.0, 100000.0]},
        geometry=[shapely.box(X0, Y0, X0 + 10000, Y0 + 10000), shapely.box(X0 + 10000, Y0, X0 + 11000, Y0 + 1000)],
        crs=CRS)
    roads = gpd.GeoDataFrame(
        {"road_class": ["arteri", "lokal"]},
        geometry=[shapely.LineString([(X0 - 5000, Y0 + 5000), (X0 + 20000, Y0 + 5000)]),
                  shapely.LineString([(X0 - 5000, Y0 + 9000), (X0 + 20000, Y0 + 9000)])], crs=CRS)
    return zones, roads


def test_rai_hand_made():
    zones, roads = hand_made()
    r = rural_access_index(roads, zones, level="kecamatan")
    r = r.set_index("code")
    assert r.loc["K1", "rural_population"] == 1000.0 and r.loc["K2", "rural_population"] == 0.0
    assert r.loc["K1", "rai"] == pytest.approx(0.4, rel=1e-9)
    assert np.isnan(r.loc["K2", "rai"])
    assert r.loc["all", "rai"] == pytest.approx(0.4, rel=1e-9)
    assert r.loc["all", "population"] == 101000.0
    assert r.loc["all", "all_season_km"] == pytest.approx(25.0, rel=1e-12)
    # the lokal road counts when declared all-season: 2 km around y = 9 km adds the strip 7-10 km
    r2 = rural_access_index(roads, zones, level="kecamatan", all_season_classes=["arteri", "lokal"])
    assert r2.set_index("code").loc["K1", "rai"] == pytest.approx(0.7, rel=1e-9)
    # a user rural flag overrides the density rule: B rural too, 0 % of B within 2 km (B is 4 km away)
    z = zones.assign(rural=[True, True])
    r3 = rural_access_index(roads, z, level="kecamatan", rural_column="rural").set_index("code")
    assert r3.loc["all", "rai"] == pytest.approx(400.0 / 101000.0, rel=1e-9)
    # density threshold: raise it above B's density and B becomes rural
    r4 = rural_access_index(roads, zones, level="kecamatan", rural_density_per_km2=1e6).set_index("code")
    assert r4.loc["all", "rural_population"] == 101000.0
    with pytest.raises(jangkau.UnknownColumnError):
        rural_access_index(roads, zones, level="kecamatan", rural_column="nope")
    assert "arteri" in ALL_SEASON_CLASSES and "lokal" not in ALL_SEASON_CLASSES


def test_road_density_hand_made():
    zones, roads = hand_made()
    d = road_density(roads, zones).set_index(["code", "road_class"])
    assert d.loc[("A", "arteri"), "length_km"] == pytest.approx(10.0, rel=1e-12)
    assert d.loc[("A", "total"), "density_km_per_km2"] == pytest.approx(20.0 / 100.0, rel=1e-12)
    assert d.loc[("B", "total"), "length_km"] == 0.0


@pytest.fixture(scope="module")
def cilegon(data_dir):
    files = sorted((data_dir / "roads").glob("cilegon3672_rtrw_*_LN.geojson"))
    roads = build_roads([",".join(map(str, files))])
    region = jangkau.Region.load("cilegon", data_dir=data_dir)
    return roads, region


def test_road_density_cilegon_equals_geopandas(cilegon):
    roads, region = cilegon
    kec = region.zones("kecamatan", crs=roads.crs)
    d = road_density(roads, kec)
    lines = road_lines(roads)
    assert lines.length.sum() == pytest.approx(roads.total_length_m(), rel=1e-12)
    for _, z in kec.iterrows():
        clipped = gpd.clip(lines, gpd.GeoDataFrame(geometry=[z.geometry], crs=roads.crs))
        total = clipped.length.sum() / 1000.0 / (z.geometry.area / 1e6)
        got = d[(d["code"] == str(z["code"])) & (d["road_class"] == "total")]["density_km_per_km2"].iat[0]
        assert got == pytest.approx(total, rel=1e-9)
        for cls, grp in clipped.groupby("road_class"):
            got = d[(d["code"] == str(z["code"])) & (d["road_class"] == cls)]["density_km_per_km2"].iat[0]
            assert got == pytest.approx(grp.length.sum() / 1000.0 / (z.geometry.area / 1e6), rel=1e-9)


def test_rai_cilegon(cilegon):
    roads, region = cilegon
    # Cilegon is a city: with uniform density per kelurahan every one is above 300/km²
    r = rural_access_index(roads, region, level="kecamatan").set_index("code")
    assert r.loc["all", "rural_population"] == 0.0 and np.isnan(r.loc["all", "rai"])
    # with every kelurahan flagged rural, the RAI equals an overlay done here with shapely
    desa = region.zones("desa", crs=roads.crs).assign(rural=True)
    r = rural_access_index(roads, desa, level="kecamatan_code", rural_column="rural").set_index("code")
    lines = road_lines(roads)
    lines = lines[lines["road_class"].isin(ALL_SEASON_CLASSES)]
    buf = shapely.union_all(shapely.buffer(lines.geometry.values, 2000.0))
    share = shapely.area(shapely.intersection(desa.geometry.values, buf)) / desa.geometry.area.to_numpy()
    ref = np.sum(desa["population"].to_numpy() * share) / desa["population"].sum()
    assert r.loc["all", "rai"] == pytest.approx(ref, rel=1e-6)
    assert 0.0 < r.loc["all", "rai"] <= 1.0
    per = pd.Series(desa["population"].to_numpy() * share).groupby(desa["kecamatan_code"].astype(str).to_numpy()).sum()
    np.testing.assert_allclose(r.loc[per.index, "rural_within"].to_numpy(), per.to_numpy(), rtol=1e-6)
