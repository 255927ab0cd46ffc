"""Regions on the real data: counts, areas, dissolves and populations checked against
BPS figures and against geopandas/shapely computed here; and every kind of bad input."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

import jangkau
from jangkau import Region

BPS_SERANG_AREA_KM2 = 1467.35  # BPS, Kabupaten Serang Dalam Angka


@pytest.fixture(scope="module")
def serang(data_dir) -> Region:
    return Region.load("serang", data_dir=data_dir)


@pytest.fixture(scope="module")
def cilegon(data_dir) -> Region:
    return Region.load("cilegon", data_dir=data_dir)


def _geod_km2(geoms: gpd.GeoSeries) -> np.ndarray:
    geod = pyproj.Geod(ellps="WGS84")
    return np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in geoms.to_crs(4326)]) / 1e6


def test_serang_counts_and_area(serang):
    assert serang.working_crs == "EPSG:32748"
    kec = serang.zones("kecamatan")
    desa = serang.zones("desa")
    kab = serang.zones("kabupaten")
    assert len(kec) == 29 and len(desa) == 326 and len(kab) == 1
    assert kec.crs.to_epsg() == 4326
    total = kab["area_km2"].iloc[0]
    assert abs(total - BPS_SERANG_AREA_KM2) / BPS_SERANG_AREA_KM2 < 0.005
    assert kec["area_km2"].sum() == pytest.approx(total, rel=1e-9)
    assert desa["area_km2"].sum() == pytest.approx(total, rel=1e-9)
    for level in ("desa", "kecamatan", "dapil", "kabupaten"):
        assert shapely.is_valid(serang.zones(level).geometry.values).all()
    assert set(kec.columns) >= {"code", "name", "area_km2", "population", "dapil", "density_per_km2"}
    assert kec["n_desa"].between(7, 17).all()


def test_serang_matches_geopandas(serang, data_dir):
    ref = gpd.read_file(data_dir / "boundaries/hdx_bps2020_desa_3604_kab_serang.geojson").to_crs(32748)
    desa = serang.zones("desa", crs=None).set_index("code")
    # area_km2 is ellipsoidal: the peer is PROJ's geodesic area (pyproj.Geod) of the same polygons
    ref_area = pd.Series(_geod_km2(ref.geometry), index=ref["village_code"].str[2:])
    np.testing.assert_allclose(desa.loc[ref_area.index, "area_km2"], ref_area, rtol=1e-6)
    ref_kec = ref.dissolve("district_code")
    ref_kec.index = ref_kec.index.str[2:]
    kec = serang.zones("kecamatan", crs=None).set_index("code").loc[ref_kec.index]
    np.testing.assert_allclose(kec["area_km2"], _geod_km2(ref_kec.geometry), rtol=1e-6)
    sym = shapely.area(shapely.symmetric_difference(kec.geometry.values, ref_kec.geometry.values))
    assert (sym / ref_kec.area.to_numpy()).max() < 1e-6


def test_serang_population_and_dapil(serang):
    kec = serang.zones("kecamatan").set_index("code")
    assert kec["population"].sum() == pytest.approx(1_493_591)
    assert kec.loc["3604120", "population"] == pytest.approx(97_774)  # Cikande 2017
    desa = serang.zones("desa")
    # areal weighting: desa population sums back to its kecamatan's, density uniform within it
    back = desa.groupby("kecamatan_code")["population"].sum()
    np.testing.assert_allclose(back.loc[kec.index], kec["population"], rtol=1e-12)
    assert (desa["population_method"] == "areal weighting from kecamatan").all()
    d2 = kec[kec["dapil"] == "Dapil 2"]
    assert sorted(d2["name"]) == ["Cikande", "Jawilan", "Kibin", "Kopo", "Kragilan"]
    assert kec.loc["3604091", "dapil"] == "Dapil 3"  # Kec. Bandung
    assert kec["dapil"].isna().sum() == 23  # unknown, never guessed
    dapil = serang.zones("dapil").set_index("code")
    assert dapil.loc["Dapil 2", "seats"] == 11 and dapil.loc["Dapil 2", "composition"] == "complete"
    assert dapil.loc["Dapil 3", "composition"] == "partial"
    assert dapil.loc["Dapil 2", "population"] == pytest.approx(d2["population"].sum())


def test_cilegon(cilegon, data_dir):
    kec = cilegon.zones("kecamatan")
    desa = cilegon.zones("desa")
    assert len(kec) == 8 and len(desa) == 43
    assert kec["population"].sum() == pytest.approx(480_378)
    assert kec["dapil"].isna().all()
    assert len(cilegon.zones("dapil")) == 0
    ref = gpd.read_file(data_dir / "boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson").to_crs(32748)
    assert cilegon.zones("kabupaten")["area_km2"].iloc[0] == pytest.approx(
        _geod_km2(gpd.GeoSeries([ref.union_all()], crs=ref.crs))[0], rel=1e-6)


def test_names_from_facts_table(serang):
    kec = serang.zones("kecamatan").set_index("code")
    assert kec.loc["3604220", "kode_kemendagri"] == "36.04.05"  # Kramatwatu
    assert kec["kode_kemendagri"].notna().all()


def test_zones_reject_unknown_level(serang):
    with pytest.raises(jangkau.InvalidInputError, match="unknown level"):
        serang.zones("provinsi")


# ---------------------------------------------------------------- bad input

def _region(tmp_path: Path, data_dir: Path, boundaries: str, extra: str = "", levels: str | None = None) -> Path:
    levels = levels or """
        [levels.desa]
        code = "village_code"
        name = "village"
        [levels.kecamatan]
        code = "district_code"
        name = "district"
    """
    text = textwrap.dedent(f"""
        name = "test"
        [boundaries]
        file = "{boundaries}"
        strip_code_prefix = "id"
    """) + textwrap.dedent(levels) + textwrap.dedent(extra)
    p = tmp_path / "region.toml"
    p.write_text(text)
    return p


def test_unknown_column_in_region_file(tmp_path, data_dir):
    p = _region(tmp_path, data_dir, "boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson", levels="""
        [levels.desa]
        code = "village_id"
        name = "village"
        [levels.kecamatan]
        code = "district_code"
        name = "district"
    """)
    with pytest.raises(jangkau.UnknownColumnError) as err:
        Region.load(p, data_dir=data_dir)
    assert err.value.field == "village_id" and "kota_cilegon" in str(err.value)


def test_missing_boundary_file(tmp_path, data_dir):
    p = _region(tmp_path, data_dir, "boundaries/nope.geojson")
    with pytest.raises(jangkau.DataFileError, match=r"nope\.geojson"):
        Region.load(p, data_dir=data_dir)
    with pytest.raises(jangkau.DataFileError, match="unknown region"):
        Region.load("atlantis", data_dir=data_dir)


def test_unknown_key_and_bad_toml(tmp_path, data_dir):
    p = _region(tmp_path, data_dir, "boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson", extra="colour = 1\n")
    with pytest.raises(jangkau.InvalidInputError, match="colour"):
        Region.load(p, data_dir=data_dir)
    p.write_text("name = [unclosed")
    with pytest.raises(jangkau.InvalidInputError, match="TOML"):
        Region.load(p, data_dir=data_dir)


def test_duplicate_codes_and_invalid_geometry(tmp_path, data_dir):
    g = gpd.read_file(data_dir / "boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson")
    dup = g.copy()
    dup.loc[5, "village_code"] = dup.loc[4, "village_code"]
    dup.to_file(tmp_path / "dup.gpkg")
    with pytest.raises(jangkau.InvalidInputError) as err:
        Region.load(_region(tmp_path, data_dir, str(tmp_path / "dup.gpkg")), data_dir=data_dir)
    assert err.value.feature == 5 and err.value.field == "village_code" and "duplicate" in str(err.value)

    bad = g.copy()
    x0, y0, x1, y1 = bad.geometry.iloc[0].bounds
    bad.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])  # bow-tie
    bad.to_file(tmp_path / "bowtie.gpkg")
    r = Region.load(_region(tmp_path, data_dir, str(tmp_path / "bowtie.gpkg")), data_dir=data_dir)
    assert list(r.repairs["feature"]) == [0] and "Self-intersection" in r.repairs["reason"].iloc[0]
    assert shapely.is_valid(r.zones("desa").geometry.values).all()

    empty = g.copy()
    empty.loc[3, "geometry"] = None
    empty.to_file(tmp_path / "empty.gpkg")
    with pytest.raises(jangkau.GeometryError) as err:
        Region.load(_region(tmp_path, data_dir, str(tmp_path / "empty.gpkg")), data_dir=data_dir)
    assert err.value.feature == 3


def test_layer_without_crs(tmp_path, data_dir):
    g = gpd.read_file(data_dir / "boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson").to_crs(32748)
    g.set_crs(None, allow_override=True).to_file(tmp_path / "nocrs.gpkg")
    with pytest.raises(jangkau.CrsError, match=r"nocrs\.gpkg"):
        Region.load(_region(tmp_path, data_dir, str(tmp_path / "nocrs.gpkg")), data_dir=data_dir)
    # stated CRS: works, and a boundary file in UTM gives the same zones as the WGS84 original
    p = _region(tmp_path, data_dir, str(tmp_path / "nocrs.gpkg"))
    p.write_text(p.read_text().replace('strip_code_prefix = "id"', 'strip_code_prefix = "id"\ncrs = "EPSG:32748"'))
    r = Region.load(p, data_dir=data_dir)
    ref = Region.load("cilegon", data_dir=data_dir)
    np.testing.assert_allclose(r.zones("kecamatan")["area_km2"], ref.zones("kecamatan")["area_km2"], rtol=1e-6)


@pytest.mark.parametrize("rows,match,field", [
    ("code,population\n3672,abc\n", "not a number", "population"),
    ("code,population\n3672,\n", "not a number", "population"),
    ("code,population\n3672,-5\n", "negative", "population"),
    ("code,population\n9999,100\n", "matches no", "code"),
    ("code,pop\n3672,100\n", "no column", "population"),
])
def test_bad_population_table(tmp_path, data_dir, rows, match, field):
    (tmp_path / "pop.csv").write_text(rows)
    extra = f"""
        [levels.kabupaten]
        code = "regency_code"
        name = "regency"
        [population]
        file = "{tmp_path / 'pop.csv'}"
        level = "kabupaten"
        code = "code"
        value = "population"
    """
    p = _region(tmp_path, data_dir, "boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson", levels="""
        [levels.desa]
        code = "village_code"
        name = "village"
        [levels.kecamatan]
        code = "district_code"
        name = "district"
    """ + extra)
    with pytest.raises(jangkau.InvalidInputError) as err:
        Region.load(p, data_dir=data_dir)
    assert match in str(err.value) and "pop.csv" in str(err.value) and err.value.field == field


def test_data_dir_resolution(tmp_path, monkeypatch, data_dir):
    from jangkau.data import data_dir as resolve

    monkeypatch.setenv("JANGKAU_DATA", str(tmp_path))
    assert resolve() == tmp_path.resolve()
    assert resolve(data_dir) == data_dir.resolve()
    monkeypatch.setenv("JANGKAU_DATA", str(tmp_path / "missing"))
    with pytest.raises(jangkau.DataFileError, match="JANGKAU_DATA"):
        resolve()
    with pytest.raises(jangkau.DataFileError):
        resolve(tmp_path / "missing")


def test_region_file_relative_to_any_data_dir(tmp_path, data_dir):
    """A region file works with a copy of the data elsewhere (data found through the setting)."""
    (tmp_path / "boundaries").mkdir()
    shutil.copy(data_dir / "boundaries/hdx_bps2020_desa_3672_kota_cilegon.geojson", tmp_path / "boundaries")
    r = Region.load("cilegon", data_dir=tmp_path)
    assert len(r.zones("kecamatan")) == 8
