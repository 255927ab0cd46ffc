"""Hardening (issue 15): nothing lost on a full disk or a kill, bad input refused with one
typed line, sizes estimated before allocating. Every bad input here is crafted by the test
(tests/python/hardening_corpus.py), run through the CLI verbs and the Python API, and each
case checks the error line, the exit status and that no output was created or damaged."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import hardening_corpus as hc
import numpy as np
import pandas as pd
import pytest
import shapely

import jangkau
from jangkau import util
from jangkau.cli import main
from jangkau.data import io
from jangkau.errors import (
    CrsError,
    DataFileError,
    GeometryError,
    InvalidInputError,
    JangkauError,
    ResourceLimitError,
)
from jangkau.workflow import result as staging

OLD = b"OLD CONTENT - must survive\n"
PKG = Path(jangkau.__file__).resolve().parent.parent  # bindings/python


# ------------------------------------------------------------------------------ helpers

def run_cli(argv: list[str], capsys) -> tuple[int, list[str]]:
    """``jangkau ARGV`` in this process: (exit status, stderr lines)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()]


def assert_one_error_line(code: int, lines: list[str], expect_code: int, needle: str) -> None:
    text = "\n".join(lines)
    assert "Traceback" not in text, text
    assert code == expect_code, text
    if expect_code == 1:
        errors = [line for line in lines if line.startswith("jangkau: error:")]
        assert len(errors) == 1, text
        assert needle.lower() in errors[0].lower(), text
    else:  # argparse: usage lines, then one error line
        assert lines and " error: " in lines[-1], text
        assert needle.lower() in lines[-1].lower(), text


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """The crafted four-desa region, with a facility, road and candidate layer beside it."""
    region = hc.tiny_region(tmp_path / "tiny")
    hc.good_points(tmp_path / "tiny" / "fac.geojson")
    hc.roads(tmp_path / "tiny" / "t_JALAN_LOKAL_LN.geojson")
    return region


def _cannot_mount(reason: str) -> None:
    """Outside CI a machine that cannot mount a tmpfs skips the disk-full cases (said in the
    reason); in CI (CI=true, run as root) that is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@contextlib.contextmanager
def full_tmpfs(tmp_path: Path, size: str = "64k"):
    """A tmpfs of ``size`` mounted in ``tmp_path`` (root only; CI runs as root)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        _cannot_mount("disk-full tests mount a small tmpfs, which needs root and mount(8); not available here")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True,
                       text=True)
    if r.returncode != 0:
        _cannot_mount(f"cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?): {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _big_frame(n: int = 5000) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    return gpd.GeoDataFrame({"a": np.arange(n), "s": ["x" * 30] * n},
                            geometry=shapely.points(106 + rng.random(n), -6 + rng.random(n)), crs="EPSG:4326")


# ------------------------------------------------------------------------------ losing data

@pytest.mark.parametrize("ext", [".geojson", ".fgb", ".csv", ".gpkg"])
def test_full_disk_keeps_the_old_file_and_says_why(tmp_path, ext):
    """GDAL's GeoJSON and FlatGeobuf drivers ignore failed writes (GDAL 3.6): before, a full
    disk gave exit 0 and a truncated file, or destroyed the file it overwrote."""
    with full_tmpfs(tmp_path, "256k") as mnt:  # an empty GeoPackage alone takes about 100 kB
        target = mnt / f"out{ext}"
        target.write_bytes(OLD)
        with pytest.raises(DataFileError) as info:
            io.write(_big_frame(20_000), target)
        assert target.read_bytes() == OLD
        assert sorted(os.listdir(mnt)) == [target.name]  # no temporary left behind
        assert info.value.file == str(target)
        msg = str(info.value)
        assert "cannot write" in msg and "\n" not in msg
        if ext != ".csv":  # the CSV driver's failure carries no reason; the free space is reported
            assert "space" in msg or "full" in msg, msg
        # a small layer still fits, and replaces the old file completely
        io.write(_big_frame(5), target)
        assert len(io.read_vector(target, crs="EPSG:4326") if ext != ".csv" else pd.read_csv(target)) == 5


def test_full_disk_text_writers_and_cli(tmp_path, capsys, tiny):
    with full_tmpfs(tmp_path, "16k") as mnt:
        t = mnt / "report.html"
        t.write_bytes(OLD)
        with pytest.raises(DataFileError, match="No space left"):
            util.atomic_write_text(t, "x" * 100_000)
        assert t.read_bytes() == OLD
        out = mnt / "zones.geojson"
        out.write_bytes(OLD)
        filler = mnt / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as f:  # leave a few bytes only
            f.write(b"\0" * (15 * 1024))
        code, lines = run_cli(["zones", tiny, "--level", "desa", "-o", out], capsys)
        assert_one_error_line(code, lines, 1, "cannot write")
        assert out.read_bytes() == OLD
        assert sorted(os.listdir(mnt)) == sorted(["report.html", "zones.geojson", "filler"])


def test_writes_replace_atomically_and_leave_no_temporary(tmp_path):
    g = _big_frame(50)
    for ext in (".geojson", ".fgb", ".gpkg", ".csv"):
        p = tmp_path / f"a{ext}"
        p.write_bytes(OLD)
        io.write(g if ext != ".csv" else pd.DataFrame(g.drop(columns="geometry")), p)
        assert p.read_bytes() != OLD
    assert not [n for n in os.listdir(tmp_path) if ".tmp" in n]
    with pytest.raises(InvalidInputError):
        io.write(g, tmp_path / "a.kml")  # unknown format: the temporary file is removed too
    assert not [n for n in os.listdir(tmp_path) if ".tmp" in n]


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    target = tmp_path / "zones.geojson"
    dead = tmp_path / f".zones.geojson.{_dead_pid()}-abcdef.tmp.geojson"
    alive = tmp_path / f".zones.geojson.{os.getpid()}-abcdef.tmp.geojson"
    other = tmp_path / ".other.geojson.1-abcdef.tmp.geojson"
    for p in (dead, alive, other):
        p.write_text("partial")
    util.atomic_write_text(target, "{}")
    assert not dead.exists() and alive.exists() and other.exists()


def test_stale_staging_folders_are_cleaned_and_backups_restored(tmp_path):
    out = tmp_path / "run"
    dead = _dead_pid()
    partial = tmp_path / f".run.partial-{dead}"
    partial.mkdir()
    (partial / "coverage.csv").write_text("half")
    live = tmp_path / f".run.partial-{os.getpid()}"
    live.mkdir()
    backup = tmp_path / f".run.old-{dead}"
    backup.mkdir()
    (backup / "manifest.json").write_text("{}")
    done = staging.clean_stale_staging(out)
    assert partial in done and not partial.exists()
    assert live.exists()  # a run still going keeps its folder
    # the dead run had renamed the old output away and died before putting the new one in place
    assert out.is_dir() and (out / "manifest.json").read_text() == "{}"
    backup2 = tmp_path / f".run.old-{dead}"
    backup2.mkdir()
    staging.clean_stale_staging(out)
    assert not backup2.exists() and out.is_dir()


def _start_run(out: Path, tmp_path: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(PKG))
    return subprocess.Popen(
        [sys.executable, "-m", "jangkau.cli", "-q", "run", "--synthetic", "-o", str(out)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a background job ignores SIGINT


def _wait_for_staging(proc: subprocess.Popen, out: Path, timeout: float = 120) -> Path:
    staging_dir = out.parent / f".{out.name}.partial-{proc.pid}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if staging_dir.is_dir() and any(staging_dir.iterdir()):
            return staging_dir
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"the run never wrote into {staging_dir}: {proc.communicate()[1][-2000:]}")


@pytest.mark.parametrize("sig, code, name", [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "Ctrl-C")])
def test_signals_clean_up_and_end_with_one_line(tmp_path, sig, code, name):
    out = tmp_path / "out"
    proc = _start_run(out, tmp_path)
    staging_dir = _wait_for_staging(proc, out)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    # the run's warnings (SYNTHETIC labels) may come first; the end is one line
    assert err.strip().splitlines()[-1] == f"jangkau: interrupted ({name})", err
    assert err.count("interrupted") == 1 and "Error" not in err, err
    assert not staging_dir.exists()
    assert not out.exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".out")]


def test_kill_9_leaves_a_staging_folder_that_the_next_run_removes(tmp_path):
    out = tmp_path / "out"
    proc = _start_run(out, tmp_path)
    staging_dir = _wait_for_staging(proc, out)
    proc.kill()
    proc.communicate(timeout=60)
    assert staging_dir.is_dir()  # nothing can clean up after SIGKILL...
    later = staging.staging_folder(out)  # ...but the next run's staging does
    assert not staging_dir.exists() and later.is_dir()
    shutil.rmtree(later)


# ------------------------------------------------------------------------------ options

def _verb_args(verb: str, tiny: Path, out: Path) -> list:
    d = tiny.parent
    return {
        "zones": ["zones", tiny, "-o", out],
        "coverage": ["coverage", tiny, "--facilities", d / "fac.geojson", "-o", out],
        "access": ["access", tiny, "--roads", d / "t_JALAN_LOKAL_LN.geojson", "--facilities", d / "fac.geojson",
                   "-o", out],
        "sites": ["sites", tiny, "--candidates", "desa", "--model", "mclp", "--p", "1", "--radius", "1km",
                  "-o", out],
    }[verb]


BAD_OPTIONS = [
    ("zones", ["--precision", "-1"], "--precision"),
    ("zones", ["--precision", "99"], "--precision"),
    ("zones", ["--crs", "EPSG:4326"], "projected in metres"),
    ("zones", ["--crs", "EPSG:2263"], "metres"),  # US survey feet
    ("zones", ["--crs", "EPSG:999999"], "unknown coordinate reference system"),
    ("coverage", ["--radius", "0km"], "radius"),
    ("coverage", ["--radius", "-1km"], "radius"),
    ("coverage", ["--radius", "1e400"], "radius"),
    ("coverage", ["--max-time", "0"], "duration"),
    ("coverage", ["--cell-size", "0"], "--cell-size"),
    ("coverage", ["--cell-size", "nan"], "finite"),
    ("coverage", ["--max-snap", "-5"], "--max-snap"),
    ("access", ["--cell-size", "0"], "--cell-size"),
    ("access", ["--cell-size", "-100"], "--cell-size"),
    ("access", ["--bands", "0,-15"], "duration"),
    ("access", ["--bands", "15,15"], "twice"),
    ("access", ["--max-time=-1h"], "duration"),
    ("access", ["--thresholds", "abc"], "duration"),
    ("access", ["--breaks", ""], "no duration"),
    ("access", ["--walk-speed", "inf"], "finite"),
    ("access", ["--walk-speed", "0"], "--walk-speed"),
    ("sites", ["--time-limit", "-1"], "--time-limit"),
    ("sites", ["--time-limit", "0"], "--time-limit"),
    ("sites", ["--floor", "1.5"], "--floor"),
    ("sites", ["--per-dapil", "0"], "--per-dapil"),
    ("sites", ["--max-snap", "1e999"], "finite"),
]


@pytest.mark.parametrize("verb, extra, needle", BAD_OPTIONS, ids=[f"{v}{' '.join(e)}" for v, e, _ in BAD_OPTIONS])
def test_bad_options_are_refused_before_anything_is_written(tmp_path, capsys, tiny, verb, extra, needle):
    out = tmp_path / ("o.geojson" if verb == "zones" else "o.csv")
    iso = tmp_path / "iso.geojson"
    argv = _verb_args(verb, tiny, out) + extra
    if verb == "access":
        argv += ["--isochrones", iso]
    code, lines = run_cli(argv, capsys)
    assert_one_error_line(code, lines, 2, needle)
    assert not out.exists() and not iso.exists()
    out.write_bytes(OLD)
    code, _ = run_cli(argv, capsys)
    assert code == 2 and out.read_bytes() == OLD


def test_sites_p_zero_and_other_verbs_options(tmp_path, capsys, tiny):
    out = tmp_path / "o.csv"
    for argv, needle in [
        (["sites", tiny, "--candidates", "desa", "--model", "mclp", "--p", "0", "--radius", "1km", "-o", out], "--p"),
        (["pilots", tiny, "--weights", "w.toml", "--draws", "-1", "-o", out], "--draws"),
        (["pilots", tiny, "--weights", "w.toml", "--blend-need-share", "2", "-o", out], "--blend-need-share"),
        (["pilots", tiny, "--weights", "w.toml", "--k", "0", "-o", out], "--k"),
        (["run", tiny, "-o", tmp_path / "r", "--seed", "-3"], "--seed"),
        (["batch", tiny, "-o", tmp_path / "b", "--workers", "0"], "--workers"),
        (["data", "fetch", "serang", "--retries", "-1"], "--retries"),
        (["data", "fetch", "serang", "--timeout", "0"], "--timeout"),
        (["data", "synthetic", tmp_path / "s", "--cell-size", "0"], "--cell-size"),
    ]:
        code, lines = run_cli(argv, capsys)
        assert_one_error_line(code, lines, 2, needle)
    assert not out.exists() and not (tmp_path / "r").exists() and not (tmp_path / "s").exists()


def test_access_isochrone_failure_leaves_no_output(tmp_path, capsys, tiny):
    """Before, a failing --isochrones had already written -o."""
    out = tmp_path / "a.csv"
    iso = tmp_path / "iso.kml"  # unknown format: fails when written
    code, lines = run_cli(_verb_args("access", tiny, out) + ["--isochrones", iso], capsys)
    assert_one_error_line(code, lines, 1, "unsupported output format '.kml'")
    assert not iso.exists() and not out.exists()


# ------------------------------------------------------------------------------ resource limits

def test_huge_grids_are_refused_with_the_estimate(tmp_path, capsys, tiny):
    out = tmp_path / "a.csv"
    code, lines = run_cli(_verb_args("access", tiny, out)[:-2] + ["--cell-size", "0.001", "-o", out], capsys)
    assert_one_error_line(code, lines, 1, "above the limit of 20,000,000")
    assert "JANGKAU_MAX_CELLS" in lines[-1] and not out.exists()
    code, lines = run_cli(["sites", tiny, "--candidates", "grid:1m", "--model", "mclp", "--p", "1",
                           "--radius", "1km", "-o", out], capsys)
    assert_one_error_line(code, lines, 1, "candidates, above the limit")
    assert not out.exists()


def test_limits_are_configurable(monkeypatch, tiny):
    from jangkau.data.raster import grid_for_bounds
    from jangkau.selection.siting import candidate_points

    region = jangkau.Region.load(tiny)
    cands = candidate_points(region, "grid:500m", region.working_crs)
    assert 50 < len(cands) < 100  # 4.4 km × 4.4 km at 500 m
    monkeypatch.setattr(util.limits, "max_candidates", 10)
    with pytest.raises(ResourceLimitError, match=r"would hold (8[0-9]|9[0-9]|1\d\d) candidates, above the limit of 10"):
        candidate_points(region, "grid:500m", region.working_crs)
    monkeypatch.setattr(util.limits, "max_cells", 100)
    with pytest.raises(ResourceLimitError, match="cells, above the limit of 100"):
        grid_for_bounds((0, 0, 1000, 1000), 10)
    assert grid_for_bounds((0, 0, 50, 50), 10).rows == 5
    with pytest.raises(InvalidInputError, match="cell size"):
        grid_for_bounds((0, 0, 50, 50), 0)
    assert util.Limits.from_env({"JANGKAU_MAX_CELLS": "1e3"}).max_cells == 1000
    with pytest.raises(InvalidInputError, match="JANGKAU_MAX_MATRIX"):
        util.Limits.from_env({"JANGKAU_MAX_MATRIX": "-4"})


# ------------------------------------------------------------------------------ bad files (CLI)

def _fc_point(coords_text: str, crs_member: str = "") -> str:
    return ('{"type":"FeatureCollection",' + crs_member + '"features":[{"type":"Feature","properties":'
            '{"name":"a","type":"puskesmas"},"geometry":{"type":"Point","coordinates":[' + coords_text + ']}}]}')


FACILITY_FILES = {
    # name: (file text, expected words in the error)
    "projected_without_crs": (_fc_point("600000, 9300000"), "outside the range of EPSG:4326"),
    "unknown_epsg": (_fc_point("106.1, -6.1", '"crs":{"type":"name","properties":{"name":"EPSG:999999"}},'),
                     "PROJ does not know"),
    "garbage_crs": (_fc_point("106.1, -6.1", '"crs":{"type":"name","properties":{"name":"not a crs"}},'),
                    "PROJ does not know"),
    "point_1e300": (_fc_point("1e300, 5"), "outside the range"),
    "point_infinity": (_fc_point("Infinity, 5"), "non-finite"),
    "utm_point_far_away": (_fc_point("600000, 9300000",
                                     '"crs":{"type":"name","properties":{"name":"EPSG:32631"}},'),
                           "outside the range of EPSG:32631"),
    "polygon_facility": ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"type":"puskesmas"},'
                         '"geometry":{"type":"Polygon","coordinates":' + json.dumps(hc.square(106.1, -6.1)) + '}}]}',
                         "must hold points"),
    "truncated": (_fc_point("106.1, -6.1")[:60], "cannot open"),
    "binary": ("\x00\xff\xfegarbage", "cannot open"),
    "empty": ("", "cannot open"),
}


@pytest.mark.parametrize("name", sorted(FACILITY_FILES))
@pytest.mark.parametrize("verb", ["coverage", "access", "sites-candidates", "sites-existing"])
def test_bad_point_layers_everywhere(tmp_path, capsys, tiny, name, verb):
    text, needle = FACILITY_FILES[name]
    bad = tmp_path / f"bad_{name}.geojson"
    bad.write_bytes(text.encode("utf-8", errors="surrogateescape") if "\x00" not in text else text.encode("latin-1"))
    out = tmp_path / "o.csv"
    out.write_bytes(OLD)
    d = tiny.parent
    if verb == "coverage":
        argv = ["coverage", tiny, "--facilities", bad, "--type", "puskesmas", "-o", out]
    elif verb == "access":
        argv = ["access", tiny, "--roads", d / "t_JALAN_LOKAL_LN.geojson", "--facilities", bad, "--type",
                "puskesmas", "-o", out]
    elif verb == "sites-candidates":
        argv = ["sites", tiny, "--candidates", bad, "--model", "mclp", "--p", "1", "--radius", "1km", "-o", out]
    else:
        argv = ["sites", tiny, "--candidates", "desa", "--existing", bad, "--model", "mclp", "--p", "1",
                "--radius", "1km", "-o", out]
    code, lines = run_cli(argv, capsys)
    if name == "polygon_facility" and verb == "access":
        needle = "must hold points"
    assert_one_error_line(code, lines, 1, needle)
    assert bad.name in lines[-1]  # the error names the file
    assert out.read_bytes() == OLD


def test_line_candidates_refused_like_line_facilities(tmp_path, capsys, tiny):
    lines_file = tiny.parent / "t_JALAN_LOKAL_LN.geojson"
    out = tmp_path / "s.csv"
    code, lines = run_cli(["sites", tiny, "--candidates", lines_file, "--model", "mclp", "--p", "1", "--radius",
                           "1km", "-o", out], capsys)
    assert_one_error_line(code, lines, 1, "feature 0 is a LineString")
    with pytest.raises(GeometryError):
        jangkau.data.facilities.read_facilities([lines_file])
    assert not out.exists()


def _region_variant(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    toml = hc.REGION_TOML
    population = None
    if name == "path_is_number":
        toml = toml.replace('file = "@region/desa.geojson"', "file = 5")
    elif name == "table_is_string":
        toml = toml.replace('[population]\nfile = "@region/population.csv"', '[pop_old]\nfile = "x"')
        toml = 'population = "abc"\n' + toml.replace("[pop_old]", "[dapil]")
    elif name == "levels_is_string":
        toml = toml.replace("[levels.desa]", "[levels_old.desa]").replace("[levels.kecamatan]", "[levels_old.kec]")
        toml = toml.replace("[levels.kabupaten]", "[levels_old.kab]")
        toml = 'levels = "desa"\n' + toml
    elif name == "working_crs_degrees":
        toml = 'working_crs = "EPSG:4326"\n' + toml
    elif name == "population_1e300":
        population = "code,population\n3604990001,1e300\n"
    elif name == "population_inf":
        population = "code,population\n3604990001,inf\n"
    elif name == "population_empty":
        population = ""
    elif name == "population_binary":
        population = "replaced below"
    elif name == "boundaries_projected_without_crs":
        pass  # written below
    region = hc.tiny_region(folder, toml=toml, population=population)
    if name == "population_binary":
        (folder / "population.csv").write_bytes(b"\xff\xfe\x00\x00code\n")
    if name == "boundaries_projected_without_crs":
        feats = hc.desa_features()
        for f in feats:
            ring = f["geometry"]["coordinates"][0]
            f["geometry"]["coordinates"] = [[[600000 + 1e5 * (x - 106), 9300000 + 1e5 * (y + 6)] for x, y in ring]]
        hc.write_json(folder / "desa.geojson", hc.feature_collection(feats))
    return region


REGION_CASES = {
    "path_is_number": "'boundaries.file' in the toml file must be a string",
    "table_is_string": "'population' in the toml file must be a table",
    "levels_is_string": "'levels' in the toml file must be a table",
    "working_crs_degrees": "must be projected in metres",
    "population_1e300": "population 1e+300 of row 0 is outside",
    "population_inf": "population inf of row 0 is outside",
    "population_empty": "no columns to parse",
    "population_binary": "population.csv",
    "boundaries_projected_without_crs": "outside the range of EPSG:4326",
}


@pytest.mark.parametrize("name", sorted(REGION_CASES))
def test_bad_region_files(tmp_path, capsys, name):
    region = _region_variant(tmp_path, name)
    out = tmp_path / "z.geojson"
    out.write_bytes(OLD)
    code, lines = run_cli(["zones", region, "-o", out], capsys)
    assert_one_error_line(code, lines, 1, REGION_CASES[name])
    assert "file '" in lines[-1]  # names the file
    assert out.read_bytes() == OLD
    with pytest.raises(JangkauError):
        jangkau.Region.load(region)


def test_boundaries_crs_key_is_honoured_for_geojson_without_crs(tmp_path):
    """docs/data-model.md: ``crs = "EPSG:…"`` in [boundaries] states the CRS of a source that
    has none; GDAL reads every GeoJSON as WGS84, so the key used to be ignored."""
    region = _region_variant(tmp_path, "boundaries_projected_without_crs")
    text = region.read_text().replace('source = "written by the tests"',
                                      'source = "written by the tests"\ncrs = "EPSG:32748"')
    region.write_text(text)
    r = jangkau.Region.load(region)
    desa = r.zones("desa")
    assert len(desa) == 4
    # the squares are 2 km a side in UTM 48S: 4 km² each, whatever the geodesic refinements
    assert np.allclose(r.zones("desa", crs=None).area / 1e6, 4.0, rtol=1e-6)
    lon, lat = desa.geometry.union_all().centroid.coords[0]
    assert 105.5 < lon < 106.5 and -7 < lat < -6  # near (610 km E, 9290 km N) of zone 48S
    ref = gpd.GeoSeries([shapely.Point(611000, 9289000)], crs="EPSG:32748").to_crs("EPSG:4326")[0]
    assert abs(ref.x - desa.geometry[0].centroid.x) < 1e-6 and abs(ref.y - desa.geometry[0].centroid.y) < 1e-6


def test_file_messages_name_the_file_and_feature(tmp_path):
    two = hc.points(tmp_path / "two.geojson", [(106.1, -6.1), (1e300, 3)])
    with pytest.raises(CrsError) as info:
        io.read_points(two, what="facility")
    assert info.value.file == str(two) and info.value.feature == 1 and info.value.field == "geometry"
    assert "feature 1 at (1e+300, 3)" in str(info.value)


# ------------------------------------------------------------------------------ Python API

API_CASES = {
    "Region.load(5)": lambda: jangkau.Region.load(5),
    "Region.load(None)": lambda: jangkau.Region.load(None),
    "Region.load('')": lambda: jangkau.Region.load(""),
    "read_vector(5)": lambda: io.read_vector(5),
    "read_vector(None)": lambda: io.read_vector(None),
    "write(5, path)": lambda: io.write(5, "x.csv"),
    "write(gdf, 5)": lambda: io.write(gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4326), 5),
    "write(gdf without crs)": lambda: io.write(gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)]), "x.geojson"),
    "read_facilities(5)": lambda: jangkau.data.facilities.read_facilities(5),
    "read_facilities([None])": lambda: jangkau.data.facilities.read_facilities([None]),
    "check_working_crs(4326)": lambda: io.check_working_crs("EPSG:4326"),
    "grid_for_bounds(cell 0)": lambda: jangkau.data.raster.grid_for_bounds((0, 0, 1, 1), 0),
    "grid_for_bounds(inf bounds)": lambda: jangkau.data.raster.grid_for_bounds((0, 0, np.inf, 1), 1),
    "from_zone_counts(1e300)": lambda: jangkau.data.population.from_zone_counts(
        gpd.GeoDataFrame({"population": [1e300]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:32748")),
    "check_toml_types": lambda: util.check_toml_types({"boundaries": 5}, util.REGION_FILE_TYPES),
    "as_path([])": lambda: util.as_path([], "x"),
}


@pytest.mark.parametrize("name", sorted(API_CASES))
def test_python_api_bad_arguments_raise_typed_errors(tmp_path, monkeypatch, name):
    import jangkau.data.facilities
    import jangkau.data.population
    import jangkau.data.raster  # noqa: F401

    monkeypatch.chdir(tmp_path)
    with pytest.raises(JangkauError) as info:
        API_CASES[name]()
    assert "\n" not in str(info.value)
    assert os.listdir(tmp_path) == []


def test_working_crs_checks():
    assert io.check_working_crs("EPSG:32748") == "EPSG:32748"
    for bad, words in [("EPSG:4326", "geographic"), ("EPSG:2263", "metres"), ("garbage", "unknown")]:
        with pytest.raises(CrsError, match=words):
            io.check_working_crs(bad)
    with pytest.raises(CrsError, match="projected in metres"):
        jangkau.Region.load("cilegon", crs="EPSG:4326")


def test_unexpected_exceptions_end_with_one_line(tmp_path, capsys, monkeypatch, tiny):
    """A defect of jangkau (here: a zones() that raises AttributeError) is one line, exit 70."""
    monkeypatch.setattr(jangkau.Region, "zones", lambda *a, **k: None.boom)
    code, lines = run_cli(["zones", tiny, "-o", tmp_path / "z.geojson"], capsys)
    assert code == 70
    assert len(lines) == 1 and lines[0].startswith("jangkau: internal error: AttributeError")


def test_library_warnings_do_not_reach_stderr(tmp_path, capsys, tiny):
    """numpy RuntimeWarnings (e.g. 0/0 densities) go to the log at DEBUG, not to stderr."""
    import warnings

    from jangkau.cli import _route_library_diagnostics

    with warnings.catch_warnings():
        _route_library_diagnostics()
        np.array([0.0]) / np.array([0.0])
    assert "RuntimeWarning" not in capsys.readouterr().err


def test_a_property_named_crs_is_not_the_layer_crs(tmp_path):
    doc = hc.feature_collection([{"type": "Feature", "properties": {"crs": "junk", "type": "puskesmas"},
                                  "geometry": {"type": "Point", "coordinates": [106.1, -6.1]}}])
    p = hc.write_json(tmp_path / "p.geojson", doc)
    assert io.geojson_declared_crs(p) is None
    assert io.read_points(p).crs.to_epsg() == 4326
