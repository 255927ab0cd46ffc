"""Fuzz targets for the readers jangkau owns (issue 15): region TOML, population and dapil
plan CSVs, GeoJSON point layers through the engine's reader, and the CLI option parsers.

The contract under fuzzing: every input either works (and then the result obeys the stated
ranges) or raises a :class:`jangkau.JangkauError`; nothing else (AttributeError, TypeError,
pandas or UnicodeDecodeError, a crash) may escape. The normal test run does a bounded,
derandomised pass (``JANGKAU_FUZZ_EXAMPLES`` examples per target, default 40: about a minute
in all); ``scripts/fuzz.sh`` runs a long randomised pass.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import hardening_corpus as hc
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import jangkau
from jangkau.cli import build_parser, options as opt
from jangkau.data import io
from jangkau.data.facilities import read_facilities
from jangkau.errors import JangkauError
from jangkau.util import dump_toml

EXAMPLES = int(os.environ.get("JANGKAU_FUZZ_EXAMPLES", "40"))
LONG = os.environ.get("JANGKAU_FUZZ_LONG") == "1"  # scripts/fuzz.sh: random seeds, no shrink limit

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="jangkau-fuzz-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


_counter = iter(range(10**9))


def _fresh(workdir: Path) -> Path:
    d = workdir / f"case{next(_counter)}"
    d.mkdir()
    return d


# ------------------------------------------------------------------------------ values

toml_scalars = st.one_of(
    st.text(max_size=12), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans())
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(alphabet="abcdefkxyz_", min_size=1, max_size=6), inner,
                                            max_size=3)),
    max_leaves=6)

REGION_KEYS = [
    ("name",), ("title",), ("working_crs",), ("synthetic",), ("boundaries",), ("boundaries", "file"),
    ("boundaries", "crs"), ("boundaries", "layer"), ("boundaries", "strip_code_prefix"), ("levels",),
    ("levels", "desa"), ("levels", "desa", "code"), ("levels", "kecamatan", "name"), ("levels", "kabupaten"),
    ("population",), ("population", "file"), ("population", "level"), ("population", "code"),
    ("population", "value"), ("population", "year"), ("dapil",), ("dapil", "file"), ("unknown_key",),
]


def _base_region() -> dict:
    import tomllib

    return tomllib.loads(hc.REGION_TOML)


def _set(doc: dict, path: tuple, value) -> None:
    for k in path[:-1]:
        if not isinstance(doc.get(k), dict):
            doc[k] = {}
        doc = doc[k]
    doc[path[-1]] = value


def _check_region_result(region) -> None:
    desa = region.zones("desa", crs=None)
    pop = desa["population"].to_numpy(dtype=float)
    assert np.all(np.isnan(pop) | ((pop >= 0) & (pop <= io.MAX_POPULATION)))
    assert np.isfinite(desa.total_bounds).all()


# ------------------------------------------------------------------------------ targets

@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(REGION_KEYS), toml_values), min_size=1, max_size=3))
def test_fuzz_region_toml_values(workdir, edits):
    folder = _fresh(workdir)
    doc = _base_region()
    for path, value in edits:
        _set(doc, path, value)
    try:
        text = dump_toml(doc)
    except JangkauError:
        return  # a value TOML cannot hold (the writer refuses it: also typed)
    region_file = hc.tiny_region(folder, toml=text)
    try:
        region = jangkau.Region.load(region_file)
    except JangkauError:
        return
    _check_region_result(region)


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_fuzz_region_toml_bytes(workdir, raw):
    folder = _fresh(workdir)
    hc.tiny_region(folder)
    (folder / "region.toml").write_bytes(raw)
    with pytest.raises(JangkauError):  # no garbage makes a valid region: [boundaries] is required
        jangkau.Region.load(folder / "region.toml")


csv_cells = st.one_of(st.sampled_from(["3604990001", "3604990002", "3604990003", "3604990004", "code",
                                       "population", "", "nan", "inf", "-inf", "1e300", "-5", "0", "12.5",
                                       "\"q,uoted\"", "999999999999", "  7 "]),
                      st.text(alphabet="0123456789.,-e\"x \n\t;", max_size=8))


def csv_files(headers: list[str]):
    """CSV file contents: one of ``headers``, rows of fuzzed cells, then a few junk bytes."""
    rows = st.lists(st.lists(csv_cells, min_size=0, max_size=4), max_size=6)
    return st.builds(lambda h, r, junk: (h + "\n".join(",".join(x) for x in r)).encode("utf-8") + junk,
                     st.sampled_from(headers), rows, st.binary(max_size=8))


@FUZZ
@given(data=csv_files(["code,population\n", "", "population,code\n", "code;population\n"]))
def test_fuzz_population_csv(workdir, data):
    folder = _fresh(workdir)
    hc.tiny_region(folder)
    (folder / "population.csv").write_bytes(data)
    try:
        region = jangkau.Region.load(folder / "region.toml")
    except JangkauError:
        return
    _check_region_result(region)


@FUZZ
@given(data=csv_files(["kecamatan_code,dapil,seats\n", "kecamatan_code,dapil\n", "", "dapil\n"]))
def test_fuzz_dapil_plan_csv(workdir, data):
    from jangkau.selection.dapil import load_plan

    p = _fresh(workdir) / "plan.csv"
    p.write_bytes(data)
    try:
        plan = load_plan(p)
    except JangkauError:
        return
    assert {"kecamatan_code", "dapil"} <= set(plan.columns)


coords = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**7),
                   st.floats(min_value=105.9, max_value=106.3))
crs_members = st.one_of(st.none(), st.sampled_from(["EPSG:4326", "EPSG:32748", "EPSG:999999", "garbage",
                                                    "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:3857", ""]),
                        st.text(max_size=10))
geometries = st.one_of(
    st.tuples(coords, coords).map(lambda c: {"type": "Point", "coordinates": list(c)}),
    st.lists(st.tuples(coords, coords), min_size=0, max_size=3).map(
        lambda cs: {"type": "MultiPoint", "coordinates": [list(c) for c in cs]}),
    st.lists(st.tuples(coords, coords), min_size=2, max_size=3).map(
        lambda cs: {"type": "LineString", "coordinates": [list(c) for c in cs]}),
    st.just(None),
    toml_values)


def _json_text(doc) -> str:
    # allow_nan: GeoJSON files in the wild carry NaN/Infinity; GDAL must cope with them
    return json.dumps(doc, allow_nan=True)


@FUZZ
@given(geoms=st.lists(geometries, max_size=4), crs=crs_members, props=st.dictionaries(
    st.sampled_from(["name", "type", "capacity", "synthetic"]), toml_scalars, max_size=3))
def test_fuzz_geojson_point_layers(workdir, geoms, crs, props):
    folder = _fresh(workdir)
    feats = [{"type": "Feature", "properties": dict(props), "geometry": g} for g in geoms]
    doc = hc.feature_collection(feats, crs)
    p = folder / "points.geojson"
    p.write_text(_json_text(doc), encoding="utf-8")
    try:
        gdf = io.read_points(p, what="facility")
    except JangkauError:
        return
    present = gdf.geometry.notna() & ~gdf.geometry.is_empty
    import shapely

    xy = shapely.get_coordinates(gdf.geometry[present].values)
    assert np.isfinite(xy).all()
    if gdf.crs.is_geographic and len(xy):
        assert (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
    try:
        read_facilities([p])
    except JangkauError:
        pass


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_fuzz_geojson_bytes(workdir, raw):
    p = _fresh(workdir) / "x.geojson"
    p.write_bytes(raw)
    try:
        io.read_points(p)
    except JangkauError:
        pass


option_text = st.one_of(st.text(max_size=12), st.floats().map(repr), st.integers().map(str),
                        st.sampled_from(["nan", "inf", "-inf", "1e400", "-0", "0x10", "1_000", " 5 ", "15min,30",
                                         "1h30min", "2km", "500m", "0km", ",", "15,,30", "EPSG:32748",
                                         "EPSG:4326", "+proj=utm +zone=48 +south", "1e-320"]))


@FUZZ
@given(text=option_text)
def test_fuzz_option_parsers(text):
    parsers = {"number": opt.number(0, 1e5, lo_open=True), "fraction": opt.number(0, 1),
               "integer": opt.integer(0, 15), "duration": opt.duration, "durations": opt.durations,
               "radii": opt.radii}
    for name, parse in parsers.items():
        try:
            value = parse(text)
        except argparse.ArgumentTypeError as exc:
            assert str(exc) and "\n" not in str(exc)
            continue
        if name == "number":
            assert math.isfinite(value) and 0 < value <= 1e5
        elif name == "fraction":
            assert 0 <= value <= 1
        elif name == "integer":
            assert isinstance(value, int) and 0 <= value <= 15
        else:
            assert value == text


@settings(max_examples=max(10, EXAMPLES // 4), deadline=None, derandomize=not LONG, database=None)
@given(text=option_text)
def test_fuzz_crs_option(text):
    try:
        value = opt.crs(text)
    except argparse.ArgumentTypeError:
        return
    io.check_working_crs(value)


@FUZZ
@given(verb=st.sampled_from(["zones", "coverage", "access", "sites", "pilots", "run", "batch", "data"]),
       tokens=st.lists(st.one_of(option_text, st.sampled_from(
           ["--precision", "--cell-size", "--bands", "--max-time", "--radius", "--p", "--time-limit", "--crs",
            "-o", "--level", "--model", "--candidates", "--seed", "--workers", "--draws", "-q", "-v", "--"])),
           max_size=8))
def test_fuzz_command_lines(verb, tokens):
    argv = [verb, *tokens]
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        assert exc.code in (0, 2)
        return
    assert args.command == verb
