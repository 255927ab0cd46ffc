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
from jangkau.errors import InvalidInputError
from jangkau.util import datasets_dir

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


# ----------------------------------------------------------------------------- any regency, with what is known

def _craft_regency(folder, *, pseudo=False, total=None, levels_kabupaten=True, extra=""):
    """A crafted regency written by the test: 6 kecamatan of 2×2 desa (2 km squares) in a row,
    BPS-style codes 9901xxx / 9901xxxyyy in HDX columns; with ``pseudo`` a seventh 'kecamatan'
    9901888 'Waduk Craft' (a lake with a BPS pseudo code) and a desa 9901010888 'Danau Kecil'
    inside kecamatan 9901010. ``total``: a regency totals SQL (Kemendagri code 99.01) and a
    bridge table beside the region file."""
    import json
    from pathlib import Path

    from pyproj import Transformer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tr = Transformer.from_crs("EPSG:32748", "EPSG:4326", always_xy=True)
    feats = []

    def add(kc, kname, dc, dname, x, y, w=2000.0):
        ring = [tr.transform(px, py) for px, py in ((x, y), (x + w, y), (x + w, y + w), (x, y + w), (x, y))]
        feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                      "properties": {"regency_code": "id9901", "regency": "Crafted", "district_code": "id" + kc,
                                     "district": kname, "village_code": "id" + dc, "village": dname}})

    x0, y0 = 600_000.0, 9_300_000.0
    for k in range(6):
        kc = f"9901{(k + 1) * 10:03d}"
        for i in range(2):
            for j in range(2):
                n = i * 2 + j + 1
                dc, dname = f"{kc}{n:03d}", f"Desa {k}{n}"
                if pseudo and k == 0 and n == 4:
                    dc, dname = f"{kc}888", "Danau Kecil"
                add(kc, f"Kec {k}", dc, dname, x0 + k * 4000 + i * 2000, y0 + j * 2000)
    if pseudo:
        add("9901888", "Waduk Craft", "9901888888", "Waduk Craft", x0 + 6 * 4000, y0, 4000.0)
    (folder / "desa.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    kab = '[levels.kabupaten]\ncode = "regency_code"\nname = "regency"\n' if levels_kabupaten else ""
    text = (f'name = "crafted"\ntitle = "Kabupaten Crafted"\n\n[boundaries]\nfile = "@region/desa.geojson"\n'
            f'strip_code_prefix = "id"\n\n[levels.desa]\ncode = "village_code"\nname = "village"\n\n'
            f'[levels.kecamatan]\ncode = "district_code"\nname = "district"\n\n{kab}')
    if total is not None:
        (folder / "totals.sql").write_text(
            "INSERT INTO wilayah_penduduk (kode,nama,pria,wanita,total) VALUES\n"
            f"('99','PROVINSI CRAFT','1','1','2'),\n('99.01','Kabupaten Crafted','{total // 2}',"
            f"'{total - total // 2}','{total}'),\n('99.71','Kota Crafted','10','10','20');\n")
        (folder / "bridge.csv").write_text("bps_code,bps_name,kemendagri_code,kemendagri_name\n"
                                           "9901,Crafted,99.01,Kabupaten Crafted\n")
        text += ('\n[regency_total]\nfile = "@region/totals.sql"\nbridge = "@region/bridge.csv"\nyear = 2025\n'
                 'source = "crafted by the test"\n')
    (folder / "region.toml").write_text(text + extra)
    return folder / "region.toml"


def test_boundaries_only_regency_runs_the_whole_pipeline(tmp_path):
    import json

    from jangkau.workflow.pipeline import run

    f = _craft_regency(tmp_path / "r")
    res = run(f, tmp_path / "out")
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    # every skipped step with its reason, in the result, the manifest and the report
    assert set(m["skipped_steps"]) >= {"coverage", "access", "dapil", "sites"}
    assert "population unknown" in m["skipped_steps"]["dapil"]
    assert m["skipped_steps"] == res.skipped
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Skipped steps" in report and "population unknown" in report
    assert any("no population" in w for w in m["warnings"])
    # zones, and no ranking: no indicator exists without population, facilities or tables
    kec = gpd.read_file(tmp_path / "out" / "zones_kecamatan.geojson")
    assert len(kec) == 6 and kec["population"].isna().all()
    assert "nothing to rank on" in m["skipped_steps"]["pilots"]
    assert not (tmp_path / "out" / "pilots.csv").exists()
    # with a user indicator table, the same regency is ranked on it
    ind = tmp_path / "ind.csv"
    pd.DataFrame({"code": sorted(kec["code"]), "poverty_rate": [0.1, 0.2, 0.15, 0.05, 0.3, 0.12]}).to_csv(ind,
                                                                                                     index=False)
    run_file = tmp_path / "run.toml"
    run_file.write_text(f'region = "{f}"\n[pilots]\nindicators = ["{ind}"]\ndraws = 50\n')
    res2 = run(run_file, tmp_path / "out2")
    assert "pilots" not in res2.skipped
    pilots = pd.read_csv(tmp_path / "out2" / "pilots.csv", dtype={"code": str})
    assert len(pilots) == 6 and pilots["selected"].sum() == 1
    assert pilots.loc[pilots["selected"] == 1, "code"].item() == "9901050"  # the highest poverty rate (need)
    assert (pilots["dapil_source"] == "no dapil plan (pilots over the whole regency)").all()


def test_regency_total_pseudo_units_and_no_silent_code(tmp_path):
    import json

    from jangkau.workflow.pipeline import run

    f = _craft_regency(tmp_path / "r", pseudo=True, total=240_000)
    r = Region.load(f)
    d = r.desa
    # the rule: BPS codes ending in 888/999 (a desa, and a kecamatan whose every desa is one); names play no part
    assert sorted(d.loc[d["pseudo_unit"], "code"]) == ["9901010888", "9901888888"]
    assert set(r.pseudo_units["reason"]) == {"BPS code ends in 888/999 (rule bps_codes)"}
    # pseudo-units get no population; the total is spread over the rest by area (labelled)
    assert (d.loc[d["pseudo_unit"], "population"] == 0).all()
    real = d[~d["pseudo_unit"]]
    assert real["population"].sum() == pytest.approx(240_000)
    assert np.allclose(real["population"] / real["area_km2"], 240_000 / real["area_km2"].sum())
    assert real["population_method"].str.startswith("areal weighting from the 2025 regency total").all()
    assert r.regency_total["match"] == "bridge BPS 9901 → Kemendagri 99.01"
    kec = r.zones("kecamatan")
    assert kec.set_index("code")["pseudo_unit"].to_dict()["9901888"]
    # the whole pipeline: the lake is never a dapil member, pilot or site, and is shown
    run_file = tmp_path / "run.toml"
    run_file.write_text(f'region = "{f}"\n[pilots]\nk = 1\ndraws = 50\n[sites]\nmodel = "mclp"\np = 3\n'
                        'radius = "2km"\ndemand_spacing = "1km"\n')
    res = run(run_file, tmp_path / "out")
    out = tmp_path / "out"
    plan = pd.read_csv(out / "dapil_plan_ILLUSTRATIVE.csv", dtype={"kecamatan_code": str})
    assert "9901888" not in set(plan["kecamatan_code"]) and len(plan) == 6
    chk = pd.read_csv(out / "dapil_plan_ILLUSTRATIVE_check.csv")
    assert (chk["severity"] != "violation").all()
    pilots = pd.read_csv(out / "pilots.csv", dtype={"code": str})
    assert "9901888" not in set(pilots["code"])
    sites = gpd.read_file(out / "sites.geojson")
    lake = d[d["pseudo_unit"]].to_crs("EPSG:4326").union_all()
    assert not sites.within(lake).any()
    shown = gpd.read_file(out / "pseudo_units.geojson")
    assert sorted(shown["code"]) == ["9901010888", "9901888888"]
    assert "Waduk Craft" in (out / "report.html").read_text(encoding="utf-8")
    m = json.loads((out / "manifest.json").read_text())
    assert "regency_total" in m["inputs"] and "regency_code_bridge" in m["inputs"]
    assert "population_check.csv" in res.files
    # the name is matched when the bridge has no row; no match is a warning, never a guess
    text = f.read_text().replace('bridge = "@region/bridge.csv"\n', 'bridge = "@region/none.csv"\n')
    (tmp_path / "r" / "none.csv").write_text("bps_code,bps_name,kemendagri_code,kemendagri_name\n")
    f.write_text(text)
    r2 = Region.load(f)
    assert r2.regency_total["kemendagri_code"] == "99.01" and r2.regency_total["match"].startswith("name")
    (tmp_path / "r" / "totals.sql").write_text(
        "INSERT INTO x VALUES ('99.02','Kabupaten Other','1','1','2');\n")
    r3 = Region.load(f)
    assert r3.regency_total is None
    assert r3.desa.loc[~r3.desa["pseudo_unit"], "population"].isna().all()  # unknown, not guessed
    assert (r3.desa.loc[r3.desa["pseudo_unit"], "population"] == 0).all()  # a lake has none in any case
    assert any("no bridge row and no name match" in w for w in r3.warnings)
    # no [levels.kabupaten]: the regency code is the region file's `code`, or a warning says
    # the name stands in
    g = _craft_regency(tmp_path / "k", levels_kabupaten=False)
    rk = Region.load(g)
    assert any("no [levels.kabupaten]" in w for w in rk.warnings)
    g.write_text('code = "9901"\n' + g.read_text())
    rk2 = Region.load(g)
    assert not rk2.warnings and set(rk2.desa["kabupaten_code"]) == {"9901"}


def test_pseudo_unit_lists_in_the_region_file(tmp_path):
    f = _craft_regency(tmp_path / "r", pseudo=True,
                       extra='\n[pseudo_units]\nexclude = ["9901020"]\nkeep = ["9901010888"]\n')
    d = Region.load(f).desa
    assert sorted(d.loc[d["pseudo_unit"], "code"]) == ["9901020001", "9901020002", "9901020003", "9901020004",
                                                       "9901888888"]
    f.write_text(f.read_text().replace('exclude = ["9901020"]', 'exclude = ["12345"]'))
    with pytest.raises(InvalidInputError, match="no desa or kecamatan"):
        Region.load(f)
    f.write_text(f.read_text().replace('exclude = ["12345"]\nkeep = ["9901010888"]\n', 'rule = "none"\n'))
    assert not Region.load(f).desa["pseudo_unit"].any()


def test_pseudo_unit_rule_on_real_boundaries(data_dir):
    # Kab. Semarang: the lake Rawapening has its own pseudo kecamatan 3322888
    r = Region.load(datasets_dir() / "indonesia_sample" / "semarang.toml", data_dir=data_dir)
    assert list(r.pseudo_units["code"]) == ["3322888888"]
    assert r.pseudo_units["name"].item() == "Waduk Rawapening"
    # names alone mislead: real desa called "...laut" or "Ciwaduk" are kept
    pand = Region.load("pandeglang", data_dir=data_dir)
    assert not pand.desa["pseudo_unit"].any() and (pand.desa["name"] == "Sindanglaut").any()
    assert not Region.load("cilegon", data_dir=data_dir).desa["pseudo_unit"].any()


def test_region_population_is_its_own_module_with_the_old_names_kept(tmp_path):
    """The population of a region lives in jangkau.data.region_population; jangkau.data.region
    keeps the names that moved, and a RegionPopulation attached to a region's desa again gives
    what the region reports (regency total through the bridge, pseudo-units, areal weighting)."""
    import jangkau.data.region as region_module
    import jangkau.data.region_population as population_module
    from jangkau.data.region_population import RegionPopulation

    for name in ("PopulationSource", "regency_code_bridge", "POPULATION_WINDOW_MARGIN_M"):
        assert getattr(region_module, name) is getattr(population_module, name)
    r = Region.load(_craft_regency(tmp_path / "r", pseudo=True, total=58_000))
    pop = RegionPopulation(r)
    with pytest.raises(RuntimeError, match="before attach"):
        _ = pop.regency_total
    d = pop.attach(r.desa.drop(columns=["population", "population_method"]))
    pd.testing.assert_series_equal(d["population"], r.desa["population"])
    assert list(d["population_method"]) == list(r.desa["population_method"])
    assert pop.regency_total == r.regency_total and r.regency_total["match"].startswith("bridge BPS 9901")
    assert pop.population_source == r.population_source and r.population_source.level == "kabupaten"
    pd.testing.assert_frame_equal(pop.population_check, r.population_check)
    assert pop.population_weighting == r.population_weighting == {"weighting": "areal", "units": "kabupaten"}
    # areal weighting of the total over the desa that are not pseudo-units
    live = ~r.desa["pseudo_unit"]
    np.testing.assert_allclose(r.desa.loc[live, "population"],
                               58_000 * r.desa.loc[live, "area_km2"] / r.desa.loc[live, "area_km2"].sum(), rtol=1e-12)
    assert (r.desa.loc[~live, "population"] == 0).all()
