"""Crafted inputs shared by the hardening and fuzz tests: a tiny region (four square desa in
two kecamatan near Serang, a desa population table), facility and road layers, and writers of
bad variants. Everything is written by the tests themselves; no data file is copied."""

from __future__ import annotations

import json
from pathlib import Path

#: Lower-left corners (lon, lat) of the four desa squares, 0.02° (≈ 2.2 km) a side.
_CORNERS = [(106.10, -6.12), (106.12, -6.12), (106.10, -6.10), (106.12, -6.10)]
SIDE = 0.02

REGION_TOML = """name = "tiny"
title = "Kabupaten Tiny (test fixture)"
province = "Banten"

[boundaries]
file = "@region/desa.geojson"
source = "written by the tests"

[levels.desa]
code = "desa_code"
name = "desa"

[levels.kecamatan]
code = "kec_code"
name = "kecamatan"

[levels.kabupaten]
code = "kab_code"
name = "kabupaten"

[population]
file = "@region/population.csv"
level = "desa"
code = "code"
value = "population"
year = 2024
source = "invented for a test fixture"
"""


def square(lon: float, lat: float, side: float = SIDE) -> list:
    return [[[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]]


def feature_collection(features: list, crs: str | None = None) -> dict:
    doc: dict = {"type": "FeatureCollection"}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    doc["features"] = features
    return doc


def write_json(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def desa_features() -> list:
    out = []
    for i, (lon, lat) in enumerate(_CORNERS):
        out.append({"type": "Feature",
                    "properties": {"desa_code": f"36049900{i + 1:02d}", "desa": f"Desa {i + 1}",
                                   "kec_code": f"360499{1 + i // 2:02d}", "kecamatan": f"Kec {1 + i // 2}",
                                   "kab_code": "3604", "kabupaten": "Tiny"},
                    "geometry": {"type": "Polygon", "coordinates": square(lon, lat)}})
    return out


def tiny_region(folder: Path, *, toml: str = REGION_TOML, population: str | None = None) -> Path:
    """A valid four-desa region in ``folder``; returns its region.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "desa.geojson", feature_collection(desa_features()))
    pop = population if population is not None else "code,population\n" + "".join(
        f"36049900{i + 1:02d},{1000 * (i + 1)}\n" for i in range(4))
    (folder / "population.csv").write_text(pop, encoding="utf-8")
    (folder / "region.toml").write_text(toml, encoding="utf-8")
    return folder / "region.toml"


def points(path: Path, coords: list, *, crs: str | None = None, kind: str = "puskesmas") -> Path:
    """A point layer of facilities (``name``, ``type``) at ``coords``."""
    feats = [{"type": "Feature", "properties": {"name": f"P{i}", "type": kind},
              "geometry": {"type": "Point", "coordinates": list(c)}} for i, c in enumerate(coords)]
    return write_json(path, feature_collection(feats, crs))


def good_points(path: Path) -> Path:
    return points(path, [(106.11, -6.11), (106.13, -6.09)])


def roads(path: Path) -> Path:
    """A small road grid over the tiny region (name it ``..._JALAN_LOKAL_LN.geojson`` so its
    class comes from the file name)."""
    feats = []
    for k in range(5):
        t = 106.10 + 0.01 * k
        feats.append({"type": "Feature", "properties": {"id": k},
                      "geometry": {"type": "LineString", "coordinates": [[t, -6.12], [t, -6.08]]}})
        u = -6.12 + 0.01 * k
        feats.append({"type": "Feature", "properties": {"id": 10 + k},
                      "geometry": {"type": "LineString", "coordinates": [[106.10, u], [106.14, u]]}})
    return write_json(path, feature_collection(feats))
