"""Facility registers read from their VERBATIM files (Kemdikbud schools of Kab. Serang, BPJS
health facilities of Banten, the Banten hospital register), checked against independent parses
of the same files with the json/csv/re modules, and crafted registers for the error paths."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

from jangkau.data.facilities import FacilityCatalogue, FacilityLayer, read_facilities
from jangkau.data.region import Region
from jangkau.data.registers import (
    join_capacity,
    load_register_catalogue,
    normalise_name,
    read_register,
    register_catalogue,
)
from jangkau.errors import DataFileError, InvalidInputError, UnknownColumnError

SCHOOLS = "facilities/serang/kemdikbud_jendela_280400.json"
BPJS = "facilities/banten/Faskes_BPJS_Banten_2019.csv"
HOSPITALS = "facilities/banten/Hospital_Banten.csv"


def test_every_register_type_is_a_catalogue_type():
    cat = FacilityCatalogue.default()
    keys = {t.type for t in cat}
    for reg in register_catalogue().registers.values():
        assert set(reg.types.values()) <= keys, reg.id


def test_school_register_levels_status_and_coordinates(data_dir):
    fac = read_register("kemdikbud_jendela", data_dir / SCHOOLS)
    raw = json.loads((data_dir / SCHOOLS).read_text(encoding="utf-8"))["280400"]
    assert len(fac) == len(raw) == 1085
    # SD 730, SMP 190, SMA 77 + SMK 84 → sma 161, SLB 4 (SOURCES.md)
    assert fac["facility_type"].value_counts().to_dict() == {"sd": 730, "smp": 190, "sma": 161, "slb": 4}
    assert fac["register_type"].value_counts()[["SMA", "SMK"]].tolist() == [77, 84]
    assert set(fac["attr_status"]) == {"N", "S"}  # negeri / swasta kept as an attribute
    assert not fac["register_kecamatan"].str.startswith("Kec.").any()
    # Independent parse: a point wherever both coordinates are numbers other than 0.
    expect = {}
    for r in raw:
        try:
            lat, lon = float(r["lintang"]), float(r["bujur"])
        except (TypeError, ValueError):
            continue
        if lat != 0 and lon != 0:
            expect[r["npsn"]] = (lon, lat)
    got = {i: (g.x, g.y) for i, g in zip(fac["facility_id"], fac.geometry) if g is not None}
    assert got == expect
    assert len(got) == 1078  # as the derived GeoJSON of SOURCES.md (one school has longitude 0)
    assert fac.geometry.isna().sum() == 7


def test_bpjs_register_types_selection_and_map_url_coordinates(data_dir):
    fac = read_register("bpjs_faskes", data_dir / BPJS, select="Kab. Serang")
    assert fac["facility_type"].value_counts().to_dict() == {"klinik": 41, "puskesmas": 31, "rumah_sakit": 3}
    assert fac.attrs["left_out"] == {"Apotek": 6, "Dokter Gigi": 1, "Dokter Praktik Perorangan": 1}
    assert (fac["register_regency"] == "Kab. Serang").all()
    assert not fac["name"].str.contains(r"\s\s|\r|\n").any()  # scraped padding collapsed
    # Independent parse of the verbatim CSV with csv + re.
    with open(data_dir / BPJS, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    expect = {}
    for i, r in enumerate(rows):
        if not " ".join(r["KotaKab"].split()).endswith("Kab. Serang"):
            continue
        if r["TipeFaskes"] not in ("Puskesmas", "Klinik Pratama", "Klinik Utama", "Rumah Sakit"):
            continue
        m = re.search(r"q=([-0-9.]+),([-0-9.]+)", r["LatLongFaskes"])
        expect[i] = (float(m.group(2)), float(m.group(1))) if m else None
    got = {int(i): ((g.x, g.y) if g is not None else None) for i, g in zip(fac["source_index"], fac.geometry)}
    assert got == expect
    assert sum(v is None for v in got.values()) == 15
    # The whole province: every regency's rows, none lost.
    everything = read_register("bpjs_faskes", data_dir / BPJS)
    assert len(everything) == 761 and sum(everything.attrs["left_out"].values()) == 913 - 761
    assert everything["register_regency"].nunique() == 8


def test_hospital_beds_joined_by_name_and_unmatched_reported(data_dir):
    fac = read_register("bpjs_faskes", data_dir / BPJS, select="Kab. Serang")
    out, report = join_capacity(fac, "kemenkes_rs_beds", data_dir / HOSPITALS)
    rs = out[out["facility_type"] == "rumah_sakit"].set_index("name")
    assert rs["capacity"].to_dict() == {"RS Hermina Ciruas": 280.0, "RS Kurnia Serang": 103.0,
                                        "RSUD Dr Dradjat Prawiranegara": 464.0}
    assert rs.loc["RSUD Dr Dradjat Prawiranegara", "attr_kelas"] == "B"
    assert out.loc[out["facility_type"] != "rumah_sakit", "capacity"].isna().all()
    matched = report[report["status"] == "matched"]
    assert len(matched) == 3 and (matched["similarity"] >= 0.9).all()
    # Hospitals of Kab. Serang in the register without a BPJS point are listed, not dropped silently.
    missing = report[report["status"] == "in the register, not in the facility list"]
    assert sorted(missing["matched"]) == ["RS Bethsaida Hospital Serang", "RS Otika Medika", "RS Permata Serdang",
                                          "RS Tonggak Husada"]
    # A name that matches nothing is reported as such.
    renamed = fac.copy()
    renamed.loc[renamed["facility_type"] == "rumah_sakit", "name"] = ["RS Hermina Ciruas", "Klinik X", "RS Y"]
    _, rep = join_capacity(renamed, "kemenkes_rs_beds", data_dir / HOSPITALS)
    assert (rep["status"] == "no match in the register").sum() == 2


def test_normalise_name():
    reps = (("rs umum daerah", "rsud"),)
    assert normalise_name("RS Umum Daerah dr. Drajat  Prawiranegara ", reps) == "rsud dr drajat prawiranegara"
    assert normalise_name(None) == ""


def test_region_file_reads_both_registers(data_dir):
    region = Region.load("serang", data_dir=data_dir)
    layers = region.facility_layers()
    assert {layer.register for layer in layers} == {"kemdikbud_jendela", "bpjs_faskes"}
    fac = read_facilities(layers, region_boundary=region.zones("kabupaten"), keep_missing=True)
    assert len(fac) == 1085 + 75
    assert fac.geometry.isna().sum() == 7 + 15
    assert fac.loc[fac["facility_type"] == "rumah_sakit", "capacity"].notna().all()
    assert len(fac.attrs["capacity_matches"]) == 7
    dropped = read_facilities(layers, region_boundary=region.zones("kabupaten"))
    assert len(dropped) == 1085 + 75 - 22


def test_crafted_register_errors(tmp_path):
    cat_file = tmp_path / "registers.toml"
    cat_file.write_text(
        'format = 1\n[registers.r]\nformat = "csv"\nid = "id"\nname = "nm"\ntype = "kind"\nregency = "kab"\n'
        'lat = "la"\nlon = "lo"\n[registers.r.types]\n"Puskesmas" = "puskesmas"\n'
    )
    cat = load_register_catalogue(cat_file)
    data = tmp_path / "r.csv"
    data.write_text("id,nm,kind,kab,la,lo\n1,A,Puskesmas,Kab. X,-6.1,106.1\n2,B,Apotek,Kab. X,-6.2,106.2\n"
                    "3,C,puskesmas,Kab. Y,,\n")
    fac = read_register("r", data, catalogue=cat)
    assert fac["facility_id"].tolist() == ["1", "3"]  # type matched case-insensitively
    assert fac.attrs["left_out"] == {"Apotek": 1}
    assert fac.geometry.iloc[1] is None
    assert read_register("r", data, select="X", catalogue=cat)["facility_id"].tolist() == ["1"]
    with pytest.raises(InvalidInputError, match=r"no rows of 'Kab\. Z'"):
        read_register("r", data, select="Kab. Z", catalogue=cat)
    with pytest.raises(InvalidInputError, match="unknown facility register"):
        read_register("nope", data, catalogue=cat)
    with pytest.raises(DataFileError):
        read_register("r", tmp_path / "absent.csv", catalogue=cat)
    data.write_text("id,nm,kab,la,lo\n1,A,Kab. X,-6.1,106.1\n")
    with pytest.raises(UnknownColumnError, match="kind"):
        read_register("r", data, catalogue=cat)
    cat_file.write_text('format = 1\n[registers.r]\nformat = "csv"\nid = "id"\nname = "nm"\ntype = "t"\n'
                        '[registers.r.types]\nA = "sd"\n')
    with pytest.raises(InvalidInputError, match="lat and lon"):
        load_register_catalogue(cat_file)
    cat_file.write_text('format = 1\n[registers.r]\nformat = "csv"\nid = "id"\nname = "nm"\ntype = "t"\n'
                        'lat = "a"\nlon = "b"\ncolour = "red"\n[registers.r.types]\nA = "sd"\n')
    with pytest.raises(InvalidInputError, match="colour"):
        load_register_catalogue(cat_file)


def test_region_facility_key_errors(tmp_path):
    from pathlib import Path

    def resolve(ref: str) -> Path:
        return tmp_path / ref

    with pytest.raises(InvalidInputError, match="needs a 'file'"):
        FacilityLayer.from_config("x", {"register": "bpjs_faskes"}, resolve)
    with pytest.raises(InvalidInputError, match="unknown key 'colour'"):
        FacilityLayer.from_config("x", {"file": "a.csv", "colour": "red"}, resolve)
    with pytest.raises(InvalidInputError, match="go together"):
        FacilityLayer.from_config("x", {"file": "a.csv", "capacity_register": "kemenkes_rs_beds"}, resolve)
    layer = FacilityLayer.from_config("x", {"file": "a.csv", "crs": "EPSG:32748", "type": "sd"}, resolve)
    assert layer.points_crs == "EPSG:32748" and layer.path == tmp_path / "a.csv"


def test_csv_point_tables_lonlat_xy_and_default_type(tmp_path):
    lonlat = tmp_path / "pk.csv"
    lonlat.write_text("nama;longitude;latitude\nA;106.15;-6.12\nB;;\n")
    fac = read_facilities([FacilityLayer(lonlat, default_type="Puskesmas")], keep_missing=True)
    assert fac["facility_type"].tolist() == ["puskesmas", "puskesmas"]
    assert fac["name"].tolist() == ["A", "B"]
    assert fac.geometry.iloc[0].coords[0] == pytest.approx((106.15, -6.12)) and fac.geometry.iloc[1] is None
    xy = tmp_path / "sd.csv"
    xy.write_text("name,x,y\nS,627000,9323000\n")
    with pytest.raises(InvalidInputError, match="need their CRS"):
        read_facilities([FacilityLayer(xy, default_type="sd")])
    fac = read_facilities([FacilityLayer(xy, default_type="sd", points_crs="EPSG:32748")])
    # Independent: pyproj on the same coordinates.
    import pyproj

    lon, lat = pyproj.Transformer.from_crs(32748, 4326, always_xy=True).transform(627000, 9323000)
    assert np.allclose(fac.geometry.iloc[0].coords[0], (lon, lat))
    assert read_facilities([FacilityLayer(xy, points_crs="EPSG:32748")])["facility_type"].tolist() == ["sd"]  # file name
    anon = tmp_path / "points.csv"
    anon.write_text(xy.read_text())
    with pytest.raises(InvalidInputError, match="cannot tell the facility type"):
        read_facilities([FacilityLayer(anon, points_crs="EPSG:32748")])
    none = tmp_path / "none.csv"
    none.write_text("a,b\n1,2\n")
    with pytest.raises(UnknownColumnError, match="coordinate columns"):
        read_facilities([FacilityLayer(none, default_type="sd")])
    named = tmp_path / "named.csv"
    named.write_text("kode,E,N\nq,106.2,-6.2\n")
    fac = read_facilities([FacilityLayer(named, default_type="smp", x_column="E", y_column="N")])
    assert fac.geometry.iloc[0].coords[0] == pytest.approx((106.2, -6.2))
    assert fac["name"].isna().all() or (fac["name"] == "None").all()  # no name column: no name invented
