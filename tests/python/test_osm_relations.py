"""Facility multipolygon relations in the windowed OSM reader (engine/io/osm_reader.cpp) and
their points (jangkau.network.osm.osm_facilities), cross-checked in each test against GDAL's OSM
driver (its ``multipolygons`` layer, an independent assembler) and against a brute-force
window rule computed here from the file's own text: on the real extracts of the data directory
and on generated files of two families (uniform and clustered relations, with holes, several
outer rings, rings split into ways in either direction, and broken relations)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from jangkau.network.osm import read_osm_window

# The reader's default facility rule (OsmWindowOptions in engine/io/osm_reader.hpp), applied
# here to GDAL's rows: one of the keys, or a name starting with one of the prefixes.
KEYS = ("amenity", "healthcare", "education")
PREFIXES = ("puskesmas", "pustu", "posyandu", "polindes", "poskesdes", "rumah sakit", "rsud", "klinik", "sd ",
            "sdn", "smp", "sma", "smk", "mi ", "mts", "ma ", "madrasah", "sekolah")

REAL = {
    "osm_monaco_osrm-backend.osm.pbf": "EPSG:32632",
    "osm_liechtenstein_valhalla.osm.pbf": "EPSG:32632",
    "osm_bayfront_singapore_valhalla.osm.pbf": "EPSG:32648",
}


def _is_facility(row) -> bool:
    other = row.get("other_tags")
    other = other if isinstance(other, str) else ""
    if isinstance(row.get("amenity"), str) or any(f'"{k}"=>' in other for k in KEYS[1:]):
        return True
    name = row.get("name")
    if not isinstance(name, str):
        return False
    lname = " ".join(name.lower().split()) + " "
    return any(lname.startswith(p) for p in PREFIXES)


def gdal_facility_multipolygons(path: Path) -> gpd.GeoDataFrame:
    """GDAL's multipolygons of relations with type=multipolygon and the facility rule, indexed
    by relation id."""
    mp = gpd.read_file(path, layer="multipolygons")
    mp = mp[mp["osm_id"].notna() & (mp["type"] == "multipolygon")]
    mp = mp[[_is_facility(r) for r in mp.to_dict("records")]]
    return mp.set_index(mp["osm_id"].astype(np.int64))


def opl(path: Path) -> tuple[dict, dict, dict]:
    """Nodes (id -> lon, lat), ways (id -> node ids) and facility multipolygon relations
    (id -> member way ids) of a file, from ``osmium cat -f opl`` (osmium-tool): the brute force."""
    text = subprocess.run(["osmium", "cat", "-f", "opl", str(path)], check=True, capture_output=True,
                          text=True).stdout
    nodes, ways, rels = {}, {}, {}
    for line in text.splitlines():
        kind, oid = line[0], int(line.split(" ", 1)[0][1:])
        fields = {f[0]: f[1:] for f in line.split(" ")[1:] if f}
        if kind == "n" and fields.get("x"):
            nodes[oid] = (float(fields["x"]), float(fields["y"]))
        elif kind == "w":
            ways[oid] = [int(v[1:]) for v in fields.get("N", "").split(",") if v]
        elif kind == "r":
            tags = dict(t.split("=", 1) for t in fields.get("T", "").split(",") if "=" in t)
            tags = {k: re.sub(r"%20%", " ", v) for k, v in tags.items()}
            if tags.get("type") != "multipolygon" or not _is_facility({
                    "amenity": tags.get("amenity"), "name": tags.get("name"),
                    "other_tags": "".join(f'"{k}"=>' for k in tags)}):
                continue
            rels[oid] = [int(m.split("@")[0][1:]) for m in fields.get("M", "").split(",") if m.startswith("w")]
    return nodes, ways, rels


def expected_in_window(nodes: dict, ways: dict, rels: dict, w) -> set[int]:
    """Relations with a member way (in the file) that has a node inside the window."""
    def inside(n: int) -> bool:
        return n in nodes and w[0] <= nodes[n][0] <= w[2] and w[1] <= nodes[n][1] <= w[3]
    return {r for r, members in rels.items() if any(inside(n) for m in members if m in ways for n in ways[m])}


def check_against_gdal(path: Path, crs: str, window=None) -> tuple[set[int], set[int]]:
    """Reads ``path`` (in ``window``) and checks the facility relations against GDAL and the
    brute-force window rule; returns the assembled and the broken relation ids."""
    cut = read_osm_window(path, window, crs=crs)
    fac = cut.facilities
    rel = fac[fac["osm_type"] == "relation"]
    got = {int(v[1:]) for v in rel["osm_id"]}
    assert all(v.startswith("r") for v in rel["osm_id"])
    broken = {i for i, _ in cut.broken_relations}
    assert cut.stats["broken_relations"] == [list(b) for b in cut.broken_relations]
    assert not got & broken
    # the brute-force window rule: a member way with a node inside the window
    nodes, ways, rels = opl(path)
    # (a relation none of whose member ways is in the file cannot be placed, even in a
    # whole-file read: it is not a candidate)
    expect = expected_in_window(nodes, ways, rels, window or (-180.0, -90.0, 180.0, 90.0))
    assert got | broken == expect
    assert cut.stats["window_relations"] == len(expect)
    # GDAL assembles the same relations, and each of our points lies inside GDAL's area.
    # GDAL closes an open ring with a straight segment (OGR_GEOMETRY_ACCEPT_UNCLOSED_RING
    # defaults to YES, and NO makes the whole layer fail): those are the relations jangkau
    # reports as not closing, and only those
    peer = gdal_facility_multipolygons(path)
    unclosed = {i for i, why in cut.broken_relations if "do not close" in why}
    assert got <= set(peer.index)
    assert (set(peer.index) & expect) - got == unclosed & set(peer.index)
    for oid, point in zip(rel["osm_id"], rel.geometry, strict=True):
        assert peer.loc[int(oid[1:]), "geometry"].buffer(1e-9).contains(point), oid
    return got, broken


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_extracts_facility_multipolygons_equal_gdal(data_dir: Path, name: str) -> None:
    path = data_dir / "roads" / name
    got, broken = check_against_gdal(path, REAL[name])
    # the extracts hold facility multipolygons: Monaco's Lycée Albert 1er and cathedral,
    # Liechtenstein's bus station (osmium-tool 1.15 tags-filter r/type=multipolygon)
    if name.startswith("osm_monaco"):
        assert {1484190, 5398476} <= got | broken
    if name.startswith("osm_liechtenstein"):
        assert 3990462 in got | broken


def test_real_extract_window_cuts_relations_by_their_member_ways(data_dir: Path) -> None:
    path = data_dir / "roads" / "osm_monaco_osrm-backend.osm.pbf"
    nodes, ways, rels = opl(path)
    assert len(rels) >= 2
    # a small window (about 400 m) around one node of each relation's first member way
    for rid, members in rels.items():
        lon, lat = nodes[ways[members[0]][0]]
        w = (lon - 2e-3, lat - 2e-3, lon + 2e-3, lat + 2e-3)
        got, broken = check_against_gdal(path, "EPSG:32632", w)
        assert rid in got | broken


# --------------------------------------------------------------------------------------------
# generated files


def _ring(rng: np.random.Generator, cx: float, cy: float, r: float, k: int) -> list[tuple[float, float]]:
    """A star-shaped (so simple) ring of k vertices around (cx, cy), radii in [0.8 r, r]."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    rad = rng.uniform(0.8 * r, r, k)
    return [(cx + a * np.cos(t), cy + a * np.sin(t)) for a, t in zip(rad, ang, strict=True)]


def generated_osm(path: Path, family: str, n_rel: int, seed: int) -> Path:
    """An OSM XML file of ``n_rel`` multipolygon relations around (106.1 E, 6.1 S): one or two
    outer rings, half with a hole; each ring split into 1-3 ways, each way in a random
    direction; a road under every relation (the reader needs one road in the window). One in
    ten relations lose a member way from the file, one in ten lose a member from the relation
    (an open ring); a third carry no facility tag (landuse), a fifth are facilities by name only."""
    rng = np.random.default_rng(seed)
    nodes: list[tuple[int, float, float]] = []
    ways: list[tuple[int, list[int], str]] = []
    rels: list[tuple[int, list[int], str]] = []
    nid, wid = 1, 1
    centres = rng.uniform([106.0, -6.2], [106.2, -6.0], (5, 2))

    def add_node(x: float, y: float) -> int:
        nonlocal nid
        nodes.append((nid, x, y))
        nid += 1
        return nid - 1

    def add_way(refs: list[int], tags: str = "") -> int:
        nonlocal wid
        ways.append((wid, refs, tags))
        wid += 1
        return wid - 1

    for r in range(n_rel):
        if family == "uniform":
            cx, cy = rng.uniform(106.0, 106.2), rng.uniform(-6.2, -6.0)
        else:
            c = centres[rng.integers(len(centres))]
            cx, cy = c[0] + rng.normal(0, 0.01), c[1] + rng.normal(0, 0.01)
        size = rng.uniform(2e-4, 2e-3)
        rings = [_ring(rng, cx, cy, size, int(rng.integers(4, 12)))]
        if rng.random() < 0.5:
            rings.append(_ring(rng, cx, cy, 0.35 * size, int(rng.integers(3, 8))))
        if rng.random() < 0.3:
            rings.append(_ring(rng, cx + 3 * size, cy, size, int(rng.integers(4, 9))))
        members: list[int] = []
        for ring in rings:
            ids = [add_node(x, y) for x, y in ring]
            cuts = sorted(rng.choice(len(ids), size=int(rng.integers(1, min(3, len(ids) - 1) + 1)), replace=False))
            for a, b in zip(cuts, [*cuts[1:], cuts[0] + len(ids)], strict=True):
                refs = [ids[k % len(ids)] for k in range(a, b + 1)]
                members.append(add_way(refs[::-1] if rng.random() < 0.5 else refs))
        road = [add_node(cx - size, cy - 2 * size), add_node(cx + size, cy - 2 * size)]
        add_way(road, '<tag k="highway" v="residential"/>')
        u = rng.random()
        if u < 0.1:
            ways[:] = [w for w in ways if w[0] != members[-1]]  # the member way is not in the file
        elif u < 0.2 and len(members) > 1:
            members = members[:-1]  # an open ring
        v = rng.random()
        tags = ('<tag k="landuse" v="residential"/>' if v < 0.3 else
                f'<tag k="name" v="SD Negeri {r}"/><tag k="building" v="school"/>' if v < 0.5 else
                f'<tag k="amenity" v="{rng.choice(["school", "hospital", "clinic"])}"/>')
        rels.append((r + 1, members, '<tag k="type" v="multipolygon"/>' + tags))
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="jangkau-test">']
    out += [f'<node id="{i}" version="1" lat="{y:.7f}" lon="{x:.7f}"/>' for i, x, y in nodes]
    out += [f'<way id="{i}" version="1">' + "".join(f'<nd ref="{n}"/>' for n in refs) + tags + "</way>"
            for i, refs, tags in ways]
    out += [f'<relation id="{i}" version="1">' + "".join(f'<member type="way" ref="{m}" role=""/>' for m in mem)
            + tags + "</relation>" for i, mem, tags in rels]
    path.write_text("\n".join([*out, "</osm>"]) + "\n")
    return path


@pytest.mark.parametrize("family", ["uniform", "clustered"])
def test_generated_multipolygons_equal_gdal_whole_and_windowed(tmp_path: Path, family: str) -> None:
    path = generated_osm(tmp_path / f"{family}.osm", family, 300, seed=7 if family == "uniform" else 8)
    got, broken = check_against_gdal(path, "EPSG:32748")
    assert len(got) > 100 and len(broken) > 10
    # a window over the middle of the area: relations crossing its edge are read whole
    w = (106.05, -6.15, 106.15, -6.05)
    got_w, broken_w = check_against_gdal(path, "EPSG:32748", w)
    assert 0 < len(got_w) < len(got)
    assert got_w <= got and broken_w <= broken
