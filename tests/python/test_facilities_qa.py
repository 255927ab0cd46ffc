"""Facility quality rules and policies: crafted cases with one record per rule (and the
cases a rule must NOT flag), then the real registers of Kab. Serang — the three known bad
puskesmas points of SOURCES.md must be caught by the rules, and the kecamatan rules agree with
an independent geopandas spatial join."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from jangkau.data.facility_qa import (
    FLAG_COLUMNS,
    Policy,
    QAOptions,
    apply_policies,
    check_facilities,
    flags_layer,
    name_key,
    summary,
)
from jangkau.data.region import Region
from jangkau.data.registers import read_register
from jangkau.errors import InvalidInputError

UTM = "EPSG:32748"


def _crafted():
    """Two kecamatan side by side (10 km squares, SYNTHETIC) and nine facilities."""
    kec = gpd.GeoDataFrame(
        {"code": ["01", "02"], "name": ["Alpha", "Beta Raya"], "nama_alt": ["Alfa", "Betaraya"]},
        geometry=[shapely.box(600000, 9310000, 610000, 9320000), shapely.box(610000, 9310000, 620000, 9320000)],
        crs=UTM,
    )
    kab = gpd.GeoDataFrame({"code": ["0"]}, geometry=[shapely.box(600000, 9310000, 620000, 9320000)], crs=UTM)
    rows = [  # id, type, name, listed kecamatan, x, y
        ("P1", "puskesmas", "Puskesmas Alpha", None, 605000, 9315000),
        ("P2", "puskesmas", "Beta Raya", None, 605500, 9315000),  # name implies Beta Raya, lies in Alpha
        ("P3", "puskesmas", "Gamma", None, 605100, 9315000),  # 100 m from P1, same type
        ("S1", "sd", "SD Negeri Alpha 2", "Beta Raya", 609500, 9315000),  # 500 m from its kecamatan: tolerated;
        # its name names Alpha but the register lists Beta Raya: the name rule does not apply
        ("S2", "sd", "SD X", "Beta Raya", 603000, 9315000),  # 7 km from the listed kecamatan
        ("S3", "sd", "SD Y", "Alpha", None, None),  # no coordinates
        ("S2", "sd", "SD X copy", "Beta Raya", 615000, 9312000),  # same register id again
        ("K1", "klinik", "Klinik Z", None, 605000, 9315000),  # exactly on P1, another type
        ("R1", "rumah_sakit", "RS Far", None, 625000, 9315000),  # 5 km outside
    ]
    geom = [shapely.Point(x, y) if x is not None else None for *_, x, y in rows]
    fac = gpd.GeoDataFrame(
        {"facility_id": [r[0] for r in rows], "facility_type": [r[1] for r in rows], "name": [r[2] for r in rows],
         "register_kecamatan": [r[3] for r in rows], "source": "crafted.csv", "source_index": np.arange(len(rows))},
        geometry=gpd.GeoSeries(geom, crs=UTM), crs=UTM,
    ).to_crs("EPSG:4326")
    return fac, kab.to_crs("EPSG:4326"), kec.to_crs("EPSG:4326")


def _pairs(flags):
    return sorted(zip(flags["rule"], flags["source_index"]))


def test_each_rule_on_crafted_cases():
    fac, kab, kec = _crafted()
    flags = check_facilities(fac, boundary=kab, kecamatan=kec, metric_crs=UTM)
    assert list(flags.columns) == FLAG_COLUMNS
    assert _pairs(flags) == sorted([
        ("missing_coordinates", 5), ("duplicate_id", 6), ("outside_region", 8), ("kecamatan_register", 4),
        ("kecamatan_name", 1), ("same_location", 0), ("same_location", 2), ("same_location", 7),
    ])
    d = dict(zip(zip(flags["rule"], flags["source_index"]), flags["detail"]))
    assert d[("outside_region", 8)] == "5,000 m outside the region boundary"
    assert "lists Kec. Beta Raya" in d[("kecamatan_register", 4)] and "7,000 m" in d[("kecamatan_register", 4)]
    assert "implies Kec. Beta Raya; the point lies in Kec. Alpha, 4,500 m" in d[("kecamatan_name", 1)]
    assert d[("same_location", 0)].startswith("0 m from klinik K1") and "100 m from puskesmas P3" in d[("same_location", 0)]
    assert "also on row 4" in d[("duplicate_id", 6)]
    # Rules are listed in rule order, and the policy of each is the default.
    assert flags["policy"].tolist() == ["unknown", "drop", "keep", "keep", "unknown", "keep", "keep", "keep"]
    # Lon/lat are the point as given (none for the missing one).
    row = flags[flags["rule"] == "outside_region"].iloc[0]
    assert (row["lon"], row["lat"]) == pytest.approx(tuple(fac.geometry.iloc[8].coords[0]))


def test_thresholds_are_configurable():
    fac, kab, kec = _crafted()
    strict = check_facilities(fac, boundary=kab, kecamatan=kec, metric_crs=UTM,
                              options=QAOptions(kecamatan_tolerance_m=0.0, near_m=50.0))
    assert ("kecamatan_register", 3) in _pairs(strict)  # S1, 500 m from its kecamatan
    assert ("same_location", 2) not in _pairs(strict)  # P3 is 100 m from P1
    assert ("same_location", 7) in _pairs(strict)  # identical points stay flagged
    loose = check_facilities(fac, boundary=kab, kecamatan=kec, metric_crs=UTM,
                             options=QAOptions(kecamatan_tolerance_m=8000.0, same_location_m=0.0, near_m=0.0))
    assert not {r for r, _ in _pairs(loose)} & {"kecamatan_register", "kecamatan_name"}
    # 0 m still means "identical coordinates": P1 and K1.
    assert [i for r, i in _pairs(loose) if r == "same_location"] == [0, 7]


def test_rules_need_their_inputs():
    fac, _, _ = _crafted()
    flags = check_facilities(fac, metric_crs=UTM)  # no boundary, no kecamatan: those rules are not checked
    assert set(flags["rule"]) == {"missing_coordinates", "duplicate_id", "same_location"}


def test_policies_keep_drop_unknown_and_the_strongest_wins():
    fac, kab, kec = _crafted()
    flags = check_facilities(fac, boundary=kab, kecamatan=kec, metric_crs=UTM)
    out = apply_policies(fac, flags)
    assert len(out) == len(fac) - 1  # the repeated id is dropped
    assert "SD X copy" not in set(out["name"])
    by_name = out.set_index("name")
    assert by_name.loc["Beta Raya", "geometry"] is None and by_name.loc["Beta Raya", "qa_policy"] == "unknown"
    assert by_name.loc["SD Y", "geometry"] is None
    assert by_name.loc["RS Far", "geometry"] is not None and by_name.loc["RS Far", "qa_policy"] == "keep"
    assert by_name.loc["Puskesmas Alpha", "qa_flags"] == "same_location"
    assert by_name.loc["SD Negeri Alpha 2", "qa_flags"] == ""
    # Nothing moved: kept points are where they were.
    kept = out[out["qa_policy"] == "keep"]
    orig = fac.set_index("name").loc[kept["name"]]
    assert all(a.equals(b) for a, b in zip(kept.geometry, orig.geometry))
    opts = QAOptions.from_config({"policy": {"outside_region": "drop", "same_location": "unknown"}})
    flags2 = check_facilities(fac, boundary=kab, kecamatan=kec, metric_crs=UTM, options=opts)
    out2 = apply_policies(fac, flags2).set_index("name")
    assert "RS Far" not in out2.index
    assert out2.loc["Klinik Z", "geometry"] is None
    # A facility with keep + unknown flags gets unknown; drop beats unknown.
    opts3 = QAOptions.from_config({"policy": {"missing_coordinates": "drop"}})
    out3 = apply_policies(fac, check_facilities(fac, boundary=kab, kecamatan=kec, metric_crs=UTM, options=opts3))
    assert "SD Y" not in set(out3["name"])
    with pytest.raises(InvalidInputError, match="check_facilities"):
        apply_policies(fac, pd.DataFrame(flags))  # flags without their row index


def test_options_from_config_errors():
    with pytest.raises(InvalidInputError, match="unknown facility QA rule"):
        QAOptions.from_config({"policy": {"nonsense": "keep"}})
    with pytest.raises(InvalidInputError, match="keep, drop or unknown"):
        QAOptions.from_config({"policy": {"outside_region": "move"}})
    with pytest.raises(InvalidInputError, match="near_m"):
        QAOptions.from_config({"near_m": -1})
    with pytest.raises(InvalidInputError, match="unknown key"):
        QAOptions.from_config({"radius": 3})
    assert QAOptions.from_config(None).policies["duplicate_id"] is Policy.DROP


def test_name_key():
    assert name_key("Puskesmas Waringin Kurung") == "waringinkurung"
    assert name_key("SD NEGERI KRAMATWATU 2") == "kramatwatu"
    assert name_key("SMP NEGERI I CIKEUSAL") == "cikeusal"
    assert name_key("UPT Puskesmas Rawat Inap Ciruas") == "ciruas"
    assert name_key(None) == ""


def test_flags_layer_and_summary():
    fac, kab, kec = _crafted()
    flags = check_facilities(fac, boundary=kab, kecamatan=kec, metric_crs=UTM)
    layer = flags_layer(flags)
    assert layer.crs.to_epsg() == 4326 and len(layer) == len(flags)
    assert layer.geometry.isna().sum() == 1
    s = summary(flags, fac)
    assert s["flags"].sum() == len(flags) and s["rule"].iloc[0] == "missing_coordinates"


# ------------------------------------------------------------------------------------------ real registers

@pytest.fixture(scope="module")
def serang(data_dir):
    return Region.load("serang", data_dir=data_dir)


@pytest.fixture(scope="module")
def health(data_dir):
    return read_register("bpjs_faskes", data_dir / "facilities/banten/Faskes_BPJS_Banten_2019.csv",
                         select="Kab. Serang")


def test_known_bad_puskesmas_points_are_caught_by_the_rules(serang, health):
    flags = check_facilities(health, boundary=serang.zones("kabupaten"), kecamatan=serang.zones("kecamatan"),
                             metric_crs=serang.working_crs)
    pk = flags[flags["facility_type"] == "puskesmas"]
    # Not trusted (policy other than keep): exactly the three points SOURCES.md calls wrong.
    assert set(pk.loc[pk["policy"] != "keep", "name"]) == {"Bandung", "Jawilan", "Ciruas"}
    rules = pk.groupby("name")["rule"].apply(set).to_dict()
    assert rules["Bandung"] == {"kecamatan_name", "same_location"}  # on Cikande's coordinates
    assert rules["Jawilan"] == {"kecamatan_name", "same_location"}  # ~100 m from Kopo
    assert rules["Ciruas"] == {"kecamatan_name", "outside_region"}  # just outside the regency
    assert rules["Cikande"] == {"same_location"} and rules["Kopo"] == {"same_location"}
    detail = pk.set_index(["name", "rule"])["detail"]
    assert "lies in Kec. Cikande" in detail[("Bandung", "kecamatan_name")]
    assert "lies in Kec. Kopo" in detail[("Jawilan", "kecamatan_name")]
    # Independent distances with geopandas in the working CRS.
    pts = health.set_index("name").to_crs(serang.working_crs).geometry
    assert pts["Bandung"].distance(pts["Cikande"]) < 1.0
    assert 50 < pts["Jawilan"].distance(pts["Kopo"]) < 150
    kab = serang.zones("kabupaten", crs=serang.working_crs).geometry.union_all()
    assert not kab.covers(pts["Ciruas"]) and kab.distance(pts["Ciruas"]) < 3000
    # The repeated BPJS id in the whole province, and missing coordinates, are flagged too.
    assert (flags["rule"] == "missing_coordinates").sum() == health.geometry.isna().sum() == 15


def test_school_kecamatan_rule_matches_a_geopandas_spatial_join(serang, data_dir):
    schools = read_register("kemdikbud_jendela", data_dir / "facilities/serang/kemdikbud_jendela_280400.json")
    kec = serang.zones("kecamatan")
    opts = QAOptions()
    flags = check_facilities(schools, boundary=serang.zones("kabupaten"), kecamatan=kec,
                             metric_crs=serang.working_crs, options=opts)
    got = set(flags.loc[flags["rule"] == "kecamatan_register", "facility_id"])
    # Independent: sjoin (within) in the working CRS, listed name compared through every name column.
    km = kec.to_crs(serang.working_crs)
    pts = schools[schools.geometry.notna()].to_crs(serang.working_crs)
    joined = gpd.sjoin(pts, km[["name", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    names = {}
    for c in ("name", "nama_bps", "nama_kemendagri", "nama_hdx"):
        for i, v in enumerate(km[c]):
            names.setdefault("".join(ch for ch in str(v).lower() if ch.isalnum()), set()).add(i)
    expect = set()
    for fid, listed, inside, geom in zip(joined["facility_id"], joined["register_kecamatan"], joined["name_right"],
                                         joined.geometry):
        k = names.get("".join(ch for ch in str(listed).lower() if ch.isalnum()))
        if not k or len(k) != 1:
            continue
        (k,) = k
        if inside != km["name"].iloc[k] and km.geometry.iloc[k].distance(geom) > opts.kecamatan_tolerance_m:
            expect.add(fid)
    assert got == expect
    assert 50 < len(got) < 110  # about 9 % of the schools disagree with their listed kecamatan (SOURCES.md)


def test_a_name_naming_the_region_itself_implies_no_kecamatan():
    # SYNTHETIC: "Kota Alpha" has a Kec. Alpha; "SMA Negeri 4 Alpha" in Kec. Beta Raya is named
    # after the city, as city-wide schools are (e.g. SMA Negeri 4 Cilegon in Kota Cilegon).
    fac, kab, kec = _crafted()
    city = kab.assign(name="Kota Alpha")
    school = fac.iloc[[0]].assign(name="SMA Negeri 4 Alpha", facility_type="sma", facility_id="X")
    school = school.set_geometry(gpd.GeoSeries([shapely.Point(615000, 9315000)], crs=UTM).to_crs(4326).values)
    assert check_facilities(school, boundary=city, kecamatan=kec, metric_crs=UTM).empty
    assert check_facilities(school, boundary=kab, kecamatan=kec, metric_crs=UTM)["rule"].tolist() == ["kecamatan_name"]
