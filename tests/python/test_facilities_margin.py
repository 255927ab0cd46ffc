"""Facilities across the border (docs/facilities.md): a register layer that selects one regency
also reads the rows of the other regencies whose point lies within the facility margin. They
serve demand (coverage, gaps, nearest distance), the facility QA reports them under their own
rules, and they are never counted as the region's own (facilities per 10,000, capacity).

Crafted: a BPJS-format register beside the crafted regency of test_region, run through the
whole pipeline, checked against shapely. Real: the BPJS list of Banten around Kab. Serang,
checked against an independent pandas/regex parse and geopandas distances."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from test_region import _craft_regency

from jangkau.data.facilities import FacilityLayer, read_facilities
from jangkau.data.facility_qa import check_facilities
from jangkau.data.region import Region
from jangkau.errors import InvalidInputError
from jangkau.workflow.config import load_config
from jangkau.workflow.pipeline import run

# The crafted regency spans x 600–624 km, y 9,300–9,304 km (UTM 48S). Name, type, listed regency, x, y.
ROWS = [
    ("Puskesmas A", "Puskesmas", "Kab. Crafted", 605_000, 9_302_000),        # own, inside
    ("Puskesmas B", "Puskesmas", "Kab. Crafted", 630_000, 9_302_000),        # own, 6 km outside
    ("Puskesmas Kec 0", "Puskesmas", "Kota Crafted", 601_000, 9_305_500),    # neighbour, 1.5 km out
    ("Puskesmas Jauh", "Puskesmas", "Kota Crafted", 612_000, 9_310_000),     # neighbour, 6 km out
    ("Puskesmas Salah", "Puskesmas", "Kota Crafted", 615_000, 9_301_000),    # neighbour, inside
    ("Klinik Timur", "Klinik Pratama", "Kota Crafted", 626_000, 9_302_000),  # neighbour, 2 km out
    ("Puskesmas Tanpa", "Puskesmas", "Kota Crafted", None, None),            # neighbour, no point
]


def _register(path):
    tr = Transformer.from_crs("EPSG:32748", "EPSG:4326", always_xy=True)
    lines = ["KodeFaskes,NamaFaskes,TipeFaskes,KotaKab,LatLongFaskes,AlamatFaskes"]
    for i, (name, kind, regency, x, y) in enumerate(ROWS):
        url = ""
        if x is not None:
            lon, lat = tr.transform(x, y)
            url = f'"https://maps.google.com/?q={lat:.7f},{lon:.7f}"'
        lines.append(f"K{i:03d},{name},{kind},{regency},{url},Jl. {i}")
    path.write_text("\n".join(lines) + "\n")


def _craft(tmp_path, margin: str | None = None):
    folder = tmp_path / "r"
    extra = ('\n[facilities.health]\nfile = "@region/faskes.csv"\nregister = "bpjs_faskes"\n'
             'select = "Kab. Crafted"\n')
    region = _craft_regency(folder, total=96_000, extra=extra)
    _register(folder / "faskes.csv")
    cov = '[coverage]\ntypes = ["puskesmas"]\n' + (f'facility_margin = "{margin}"\n' if margin else "")
    runfile = tmp_path / "run.toml"
    runfile.write_text(f'region = "{region}"\n\n{cov}')
    return runfile


@pytest.fixture(scope="module")
def crafted_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("margin")
    out = tmp / "out"
    res = run(load_config(_craft(tmp)), out)
    return res, out


def test_margin_rows_are_read_reported_and_serve_demand(crafted_run):
    res, out = crafted_run
    fac = pd.read_csv(out / "facilities.csv")
    fac["margin_facility"] = fac["margin_facility"].astype(bool)  # written as 0/1
    by_name = fac.set_index("name")
    # Within 3 km (the run's largest threshold: puskesmas): Kec 0, Salah (inside), Klinik Timur.
    assert set(fac.loc[fac["margin_facility"], "name"]) == {"Puskesmas Kec 0", "Puskesmas Salah", "Klinik Timur"}
    assert set(fac.loc[~fac["margin_facility"], "name"]) == {"Puskesmas A", "Puskesmas B"}
    assert by_name.loc["Puskesmas Kec 0", "location"] == "as registered, neighbouring regency (margin)"
    assert by_name.loc["Puskesmas A", "location"] == "as registered"
    flags = pd.read_csv(out / "facility_qa.csv")
    rules = flags.groupby("name")["rule"].apply(set).to_dict()
    assert rules["Puskesmas B"] == {"outside_region"}
    assert rules["Puskesmas Kec 0"] == {"neighbour_margin"}  # its name is a kecamatan's: not checked
    assert rules["Klinik Timur"] == {"neighbour_margin"}
    assert rules["Puskesmas Salah"] == {"regency_register"}
    assert "Puskesmas A" not in rules
    detail = flags.set_index("name").loc["Puskesmas Kec 0", "detail"]
    assert "listed in Kota Crafted, 1,500 m outside the region" in detail
    assert "listed in Kota Crafted; the point lies inside the region, 1,000 m from its boundary" == \
        flags.set_index("name").loc["Puskesmas Salah", "detail"]
    assert any("4 facilities" not in n and "3 facilities of neighbouring regencies within 3,000 m" in n
               for n in res.notes)
    # Coverage: every located puskesmas (own and margin) serves the people; independent shapely.
    desa = res.region.zones("desa", crs=res.region.working_crs)
    pts = [(x, y) for name, kind, _, x, y in ROWS
           if kind == "Puskesmas" and name in {"Puskesmas A", "Puskesmas B", "Puskesmas Kec 0", "Puskesmas Salah"}]
    union = shapely.union_all(shapely.buffer(shapely.points(pts), 3000.0, quad_segs=256))
    covered = (desa["population"].to_numpy() * shapely.area(shapely.intersection(desa.geometry.values, union))
               / desa.geometry.area.to_numpy()).sum()
    cov = pd.read_csv(out / "coverage.csv")
    kab = cov[(cov["level"] == "kabupaten") & (cov["facility_type"] == "puskesmas")]
    assert kab["covered"].iloc[0] == pytest.approx(covered, rel=1e-4)
    # Counted as the region's own: never. The desa holding "Puskesmas Salah" has none per 10,000.
    zones = gpd.read_file(out / "zones_desa.geojson").to_crs(res.region.working_crs)
    at = zones[zones.geometry.contains(shapely.Point(615_000, 9_301_000))]
    own = zones[zones.geometry.contains(shapely.Point(605_000, 9_302_000))]
    assert at["facilities_per_10k_puskesmas"].iloc[0] == 0.0
    assert own["facilities_per_10k_puskesmas"].iloc[0] == pytest.approx(1e4 / own["population"].iloc[0])
    # ... but it is the nearest puskesmas of that desa.
    assert at["nearest_puskesmas_km"].iloc[0] < 1.0
    m = json.loads((out / "manifest.json").read_text())
    assert m["parameters"]["coverage"]["types"] == ["puskesmas"]


def test_margin_zero_reads_only_the_region_and_a_bad_margin_is_refused(tmp_path):
    out = tmp_path / "out0"
    run(load_config(_craft(tmp_path / "a", margin="0m")), out)
    fac = pd.read_csv(out / "facilities.csv")
    fac["margin_facility"] = fac["margin_facility"].astype(bool)
    assert set(fac["name"]) == {"Puskesmas A", "Puskesmas B"} and not fac["margin_facility"].any()
    out = tmp_path / "out1"
    run(load_config(_craft(tmp_path / "b", margin="1600m")), out)
    fac = pd.read_csv(out / "facilities.csv")
    assert set(fac.loc[fac["margin_facility"].astype(bool), "name"]) == {"Puskesmas Kec 0", "Puskesmas Salah"}
    m = json.loads((out / "manifest.json").read_text())["effective_parameters"]  # the margin given
    assert m == {"coverage.facility_margin_m": 1600.0, "coverage.facility_margin_source": "run file"}
    with pytest.raises(InvalidInputError, match="facility_margin"):
        run(load_config(_craft(tmp_path / "c", margin="-2km")), tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_manifest_records_the_default_margin_used(crafted_run):
    """No facility_margin in the run file: the manifest still says which margin applied (the
    puskesmas threshold, 3 km, the largest of the run's types), and that it is the default."""
    res, out = crafted_run
    m = json.loads((out / "manifest.json").read_text())
    assert "facility_margin" not in m["parameters"].get("coverage", {})
    eff = m["effective_parameters"]
    assert eff["coverage.facility_margin_m"] == 3000.0 == res.tables["facility_margin"]["margin_m"].iloc[0]
    assert eff["coverage.facility_margin_source"].startswith("default")


# ------------------------------------------------------------------------------ the real register

@pytest.fixture(scope="module")
def serang(data_dir):
    return Region.load("serang", data_dir=data_dir)


def test_real_bpjs_margin_rows_equal_an_independent_selection(serang, data_dir):
    path = data_dir / "facilities/banten/Faskes_BPJS_Banten_2019.csv"
    layer = next(lay for lay in serang.facility_layers() if lay.register == "bpjs_faskes")
    kab = serang.zones("kabupaten")
    got = read_facilities([layer], region_boundary=kab, keep_missing=True, margin_m=3000.0,
                          metric_crs=serang.working_crs)
    alone = read_facilities([layer], region_boundary=kab, keep_missing=True)
    # The region's own rows are the same with or without the margin.
    own = got[~got["margin_facility"]]
    assert own["source_index"].tolist() == alone["source_index"].tolist()
    # Independent: pandas + regex on the verbatim CSV, geopandas distance to the regency in UTM 48S.
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    ll = raw["LatLongFaskes"].str.extract(r"q=(?P<lat>[-+]?[0-9.]+),(?P<lon>[-+]?[0-9.]+)").astype(float)
    # The page titles are padded with CR/LF and spaces ("... di Kab.\r\n    Serang").
    regency = raw["KotaKab"].str.split().str.join(" ").str.extract(r"((?:Kab\.|Kota) .+)$")[0]
    mapped = raw["TipeFaskes"].str.strip().isin(["Puskesmas", "Klinik Pratama", "Klinik Utama", "Rumah Sakit"])
    ok = ll["lat"].notna() & (ll["lat"] != 0) & (ll["lon"] != 0)
    pts = gpd.GeoSeries(gpd.points_from_xy(ll.loc[ok, "lon"], ll.loc[ok, "lat"]), crs=4326).to_crs(serang.working_crs)
    outline = kab.to_crs(serang.working_crs).union_all()
    dist = np.full(len(raw), np.inf)
    dist[ok.to_numpy()] = pts.distance(outline).to_numpy()
    expect = np.flatnonzero(mapped.to_numpy() & (regency != "Kab. Serang").to_numpy() & (dist <= 3000.0))
    assert sorted(got.loc[got["margin_facility"], "source_index"]) == expect.tolist()
    assert len(expect) > 20  # puskesmas and clinics of Cilegon, Kota Serang, Pandeglang, Lebak, Tangerang
    np.testing.assert_allclose(got.loc[got["margin_facility"], "region_distance_m"].to_numpy(),
                               dist[got.loc[got["margin_facility"], "source_index"].to_numpy()], atol=1e-3)
    # QA: the three points listed under other regencies that lie inside Kab. Serang (SOURCES.md:
    # Carita, Puskesmas Kresek, a Kota Serang clinic) are caught by regency_register, by rule.
    flags = check_facilities(got, boundary=kab, kecamatan=serang.zones("kecamatan"), metric_crs=serang.working_crs)
    inside = flags[flags["rule"] == "regency_register"]
    assert len(inside) == 3 and {"Carita", "Puskesmas Kresek"} <= set(inside["name"])
    margin_rows = set(zip(got.loc[got["margin_facility"], "source"], got.loc[got["margin_facility"], "source_index"]))
    neighbour = flags[flags["rule"] == "neighbour_margin"]
    assert len(neighbour) == len(expect) - 3
    # No region-only rule fires on a neighbour's row; the region's own flags are unchanged.
    region_rules = flags[flags["rule"].isin(["outside_region", "kecamatan_register", "kecamatan_name"])]
    assert not set(zip(region_rules["source"], region_rules["source_index"])) & margin_rows
    before = check_facilities(alone, boundary=kab, kecamatan=serang.zones("kecamatan"), metric_crs=serang.working_crs)
    for rule in ("missing_coordinates", "duplicate_id", "outside_region", "kecamatan_register", "kecamatan_name"):
        assert (sorted(before.loc[before["rule"] == rule, "source_index"])
                == sorted(flags.loc[flags["rule"] == rule, "source_index"])), rule


def test_margin_arguments_are_checked(serang, data_dir):
    layer = FacilityLayer(data_dir / "facilities/banten/Faskes_BPJS_Banten_2019.csv", register="bpjs_faskes",
                          select="Kab. Serang")
    with pytest.raises(InvalidInputError, match="margin"):
        read_facilities([layer], region_boundary=serang.zones("kabupaten"), margin_m=-1.0)
