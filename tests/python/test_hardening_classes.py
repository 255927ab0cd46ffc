"""Hardening (issue 15), second pass: each class of defect with its own crafted bad inputs
(written by the tests, nothing copied): points without coordinates refused by the one
``missing_coordinates`` rule, travel-time matrices estimated before they are allocated,
messages that name the file and the feature as the user numbers it, candidates that cover no
demand, PROJ's own lines kept off stderr, and SIGTERM ending a long engine call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import hardening_corpus as hc
import numpy as np
import pandas as pd
import pytest
import shapely
import test_hardening as th

import jangkau
from jangkau import util
from jangkau.data import io
from jangkau.data.facilities import FacilityLayer, read_facilities
from jangkau.errors import (
    CoverageWarning,
    GeometryError,
    InvalidInputError,
    JangkauError,
    ResourceLimitError,
    in_file,
)
from jangkau.selection import siting
from jangkau.selection.dapil_check import allocate_dapil_seats

PKG = Path(jangkau.__file__).resolve().parent.parent  # bindings/python
run_cli = th.run_cli  # ``jangkau ARGV`` in this process: (exit status, stderr lines)
tiny = th.tiny  # the crafted four-desa region with facility and road layers (a fixture)
OLD = b"OLD CONTENT - must survive\n"


def one_error(code: int, lines: list[str], *needles: str) -> str:
    text = "\n".join(lines)
    assert "Traceback" not in text, text
    assert code == 1, text
    errors = [line for line in lines if line.startswith("jangkau: error:")]
    assert len(errors) == 1, text
    for n in needles:
        assert n.lower() in errors[0].lower(), text
    return errors[0]


# ----------------------------------------------------------------- 1. missing coordinates

def _fc(geoms: list) -> dict:
    return hc.feature_collection([{"type": "Feature", "properties": {"name": f"P{i}", "type": "puskesmas"},
                                   "geometry": g} for i, g in enumerate(geoms)])


GOOD = {"type": "Point", "coordinates": [106.11, -6.11]}
MISSING_FILES = {
    # name: (writer(path) -> path, feature the error must name, field)
    "null_geometry": (lambda p: hc.write_json(p.with_suffix(".geojson"), _fc([GOOD, GOOD, None])), 2, "geometry"),
    "empty_point": (lambda p: hc.write_json(p.with_suffix(".geojson"),
                                            _fc([GOOD, {"type": "Point", "coordinates": []}])), 1, "geometry"),
    "csv_empty_cells": (lambda p: _write(p.with_suffix(".csv"), "name,type,lon,lat\nA,puskesmas,106.11,-6.11\n"
                                         "B,puskesmas,,\nC,puskesmas,106.12,-6.1\n"), 1, "lon, lat"),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(MISSING_FILES))
def test_points_without_coordinates_are_refused_naming_file_feature_field(tmp_path, name):
    writer, feature, field = MISSING_FILES[name]
    path = writer(tmp_path / f"bad_{name}")
    with pytest.raises(GeometryError) as e:
        read_facilities([FacilityLayer(path, default_type="puskesmas")])
    assert e.value.file == str(path) and e.value.feature == feature and e.value.field == field
    assert path.name in str(e.value) and f"feature {feature}" in str(e.value)
    # The explicit policy drops them (logged) or keeps them without a location.
    dropped = read_facilities([FacilityLayer(path, default_type="puskesmas")], missing_coordinates="drop")
    kept = read_facilities([FacilityLayer(path, default_type="puskesmas")], missing_coordinates="unknown")
    assert len(kept) == len(dropped) + 1 and kept.geometry.isna().sum() + kept.geometry.is_empty.sum() == 1
    assert int(dropped.attrs["dropped_without_geometry"]["source_index"].iloc[0]) == feature
    with pytest.raises(InvalidInputError):
        read_facilities([FacilityLayer(path, default_type="puskesmas")], missing_coordinates="ignore")
    # read_points: the same rule for candidate and existing sites.
    if path.suffix == ".geojson":
        with pytest.raises(GeometryError) as e2:
            io.read_points(path, what="candidate")
        assert e2.value.feature == feature and e2.value.file == str(path)
        pts = io.read_points(path, what="candidate", missing_coordinates="drop")
        assert feature not in pts["source_index"].tolist() and len(pts) == len(dropped)


def test_missing_coordinates_in_every_verb(tmp_path, capsys, caplog, tiny):
    bad = hc.write_json(tmp_path / "two.geojson", _fc([GOOD, None]))  # a 2-feature file
    d = tiny.parent
    out = tmp_path / "o.csv"
    out.write_bytes(OLD)
    cases = {
        "coverage": ["coverage", tiny, "--facilities", bad, "--type", "puskesmas", "-o", out],
        "access": ["access", tiny, "--roads", d / "t_JALAN_LOKAL_LN.geojson", "--facilities", bad, "--type",
                   "puskesmas", "-o", out],
        "sites-candidates": ["sites", tiny, "--candidates", bad, "--model", "mclp", "--p", "1", "--radius", "1km",
                             "-o", out],
        "sites-existing": ["sites", tiny, "--candidates", "desa", "--existing", bad, "--model", "mclp", "--p", "1",
                           "--radius", "1km", "-o", out],
    }
    for verb, argv in cases.items():
        code, lines = run_cli(argv, capsys)
        line = one_error(code, lines, "no coordinates", "two.geojson", "feature 1", "field 'geometry'")
        assert "feature 1" in line, (verb, line)  # the file's own numbering, never an index in a merged frame
        assert out.read_bytes() == OLD, verb
    # With the explicit policy the same inputs run, and the run says what it left out.
    for verb in ("coverage", "sites-existing"):
        caplog.clear()
        code, lines = run_cli(cases[verb] + ["--missing-coordinates", "drop"], capsys)
        assert code == 0, lines
        said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("without coordinates" in m for m in said), (verb, said)


def test_nan_coordinates_are_refused_not_dropped(tmp_path, capsys, tiny):
    table = _write(tmp_path / "nan.csv", "name,type,lon,lat\nA,puskesmas,106.11,-6.11\nB,puskesmas,nan,nan\n")
    with pytest.raises(JangkauError) as e:
        read_facilities([FacilityLayer(table, default_type="puskesmas")])
    assert e.value.file == str(table) and e.value.feature == 1
    code, lines = run_cli(["coverage", tiny, "--facilities", table, "--type", "puskesmas", "-o",
                           tmp_path / "o.csv"], capsys)
    one_error(code, lines, "nan.csv", "feature 1")
    assert not (tmp_path / "o.csv").exists()


def test_run_policy_refuse_for_missing_coordinates(tmp_path):
    from jangkau.data import facility_qa as qa

    opts = qa.QAOptions.from_config({"policy": {"missing_coordinates": "refuse"}})
    assert opts.policies["missing_coordinates"] is qa.Policy.REFUSE
    with pytest.raises(InvalidInputError, match="keep, drop or unknown"):
        qa.QAOptions.from_config({"policy": {"duplicate_id": "refuse"}}, file="run.toml")
    path = hc.write_json(tmp_path / "f.geojson", _fc([GOOD, None]))
    fac = read_facilities([FacilityLayer(path, default_type="puskesmas")], missing_coordinates="unknown")
    flags = qa.check_facilities(fac, options=opts)
    with pytest.raises(GeometryError) as e:
        qa.apply_policies(fac, flags)
    assert e.value.feature == 1 and e.value.file == "f.geojson"


# ----------------------------------------------------------------- 2. matrix size estimates

def _tiny_travel_model(tiny: Path):
    from jangkau.data.region import Region
    from jangkau.network.build import build_roads
    from jangkau.network.travel import TravelModel

    region = Region.load(str(tiny))
    crs = region.working_crs
    roads = build_roads([tiny.parent / "t_JALAN_LOKAL_LN.geojson"], crs=crs)
    fac = read_facilities([tiny.parent / "fac.geojson"]).to_crs(crs)
    desa = region.zones("desa", crs=crs)
    pts = gpd.GeoDataFrame({"population": desa["population"].to_numpy(float)},
                           geometry=desa.geometry.representative_point().values, crs=crs)
    return TravelModel(roads, fac, pts), roads


def test_travel_time_matrices_are_estimated_before_allocation(monkeypatch, tiny):
    model, roads = _tiny_travel_model(tiny)
    assert len(model.matrix(3600.0)) > 0
    # 2 facilities × 4 demand points × 24 bytes = 192 bytes in the worst case.
    monkeypatch.setattr(util.limits, "max_matrix_bytes", 100)
    with pytest.raises(ResourceLimitError) as e:
        model.matrix(3600.0)
    msg = str(e.value)
    assert "2 × 4 pairs" in msg and "192 bytes" in msg and "limit of 100" in msg
    assert "JANGKAU_MAX_MATRIX_BYTES" in msg and e.value.field == "max_matrix_bytes"
    net = roads.to_graph()
    with pytest.raises(ResourceLimitError, match="cost matrix"):
        net.travel_time_matrix(np.arange(min(5, net.node_count)))  # 5 sources × every node
    monkeypatch.setattr(util.limits, "max_matrix_bytes", 192)
    assert len(model.matrix(3600.0)) > 0  # exactly at the limit is allowed


def test_matrix_limit_from_the_environment():
    assert util.Limits.from_env({"JANGKAU_MAX_MATRIX_BYTES": "4096"}).max_matrix_bytes == 4096
    with pytest.raises(InvalidInputError, match="JANGKAU_MAX_MATRIX_BYTES"):
        util.Limits.from_env({"JANGKAU_MAX_MATRIX_BYTES": "lots"})
    with pytest.raises(ResourceLimitError, match="GiB"):
        util.check_matrix("a travel-time matrix", 10**6, 10**6)  # 24 TB worst case


def test_sites_with_travel_times_refuses_a_huge_matrix(monkeypatch, tmp_path, capsys, tiny):
    monkeypatch.setattr(util.limits, "max_matrix_bytes", 10)
    out = tmp_path / "s.csv"
    code, lines = run_cli(["sites", tiny, "--candidates", "desa", "--model", "mclp", "--p", "1", "--roads",
                           tiny.parent / "t_JALAN_LOKAL_LN.geojson", "--max-time", "30min", "-o", out], capsys)
    one_error(code, lines, "travel-time matrix", "limit of 10")
    assert not out.exists()


# ----------------------------------------------------------------- 3. messages

def test_confirmed_seats_messages_state_the_real_counts():
    pop = {"1": 60000.0, "2": 40000.0, "3": 30000.0}
    with pytest.raises(InvalidInputError) as e:
        allocate_dapil_seats(pop, 10, fixed_seats={"1": 5, "2": 6})
    assert "11 confirmed seats (1: 5, 2: 6) exceed the regency's 10 seats" in str(e.value)
    with pytest.raises(InvalidInputError, match="not in the plan: 9"):
        allocate_dapil_seats(pop, 10, fixed_seats={"9": 11})
    with pytest.raises(InvalidInputError, match="at least one seat"):
        allocate_dapil_seats(pop, 0)
    ok = allocate_dapil_seats(pop, 12, fixed_seats={"1": 5, "2": 6})
    assert ok["seats"].to_dict() == {"1": 5, "2": 6, "3": 1}


def test_errors_get_the_file_they_are_about():
    with pytest.raises(InvalidInputError) as e:
        with in_file("plan.csv"):
            raise InvalidInputError("bad seats", feature=3, field="seats")
    assert e.value.file == "plan.csv" and str(e.value) == "bad seats [file 'plan.csv', feature 3, field 'seats']"
    with pytest.raises(InvalidInputError) as e2:  # a file already named is kept
        with in_file("other.csv"):
            raise InvalidInputError("x", file="first.csv")
    assert e2.value.file == "first.csv"
    # Errors made by the engine ("coordinate 1 could not be transformed", "no UTM zone for lon …")
    # get the file once, keeping their feature.
    from jangkau import _core

    with pytest.raises(JangkauError) as e3:
        with in_file("x.geojson"):
            _core.transform_xy(np.array([0.0, 1e30]), np.array([0.0, 1e30]), "EPSG:4326", "EPSG:32748")
    assert str(e3.value).endswith("could not be transformed (PROJ: utm: Invalid latitude) "
                                  "[file 'x.geojson', feature 1]"), str(e3.value)
    with pytest.raises(JangkauError) as e4:
        with in_file("desa.geojson"):
            _core.utm_crs_for(500.0, 1.0)
    assert str(e4.value).count("[") == 1 and str(e4.value).endswith("[file 'desa.geojson']")


def test_candidate_errors_name_the_feature_of_its_file(tmp_path):
    """A candidate without coordinates in a frame built from two files: the error names the
    file and its feature number there (before: the row of the merged frame, 'feature 43')."""
    good = gpd.GeoDataFrame({"source": "a.geojson", "source_index": np.arange(42)},
                            geometry=gpd.points_from_xy(np.arange(42.0), np.zeros(42)), crs="EPSG:32748")
    ex = gpd.GeoDataFrame({"source": "existing.geojson", "source_index": [0, 1]},
                          geometry=[shapely.Point(1, 1), None], crs="EPSG:32748")
    cand = pd.concat([good, ex], ignore_index=True)
    demand = gpd.GeoDataFrame({"w": [1.0]}, geometry=[shapely.Point(0, 0)], crs="EPSG:32748")
    with pytest.raises(GeometryError) as e:
        siting.from_geodataframes(demand, "w", gpd.GeoDataFrame(cand, crs="EPSG:32748"), 10.0)
    assert e.value.file == "existing.geojson" and e.value.feature == 1


# ----------------------------------------------------------------- 4. candidates covering no demand

def test_candidates_that_cover_no_demand_are_named(tmp_path):
    rng = np.random.default_rng(4)
    demand = rng.uniform(0, 10_000, (200, 2))
    near = rng.uniform(0, 10_000, (20, 2))
    far = np.array([[5e6, 5e6], [-4e6, 1e6], [3e6, -2e6]])  # thousands of km away
    cand = np.vstack([near[:10], far[:2], near[10:], far[2:]])
    w = rng.uniform(1, 10, 200)
    cov = siting.coverage_matrix(demand, cand, 1500.0)
    with pytest.warns(CoverageWarning) as rec:
        res = siting.mclp(w, cov, 3, max_cost=1500.0, solver="greedy")
    warn = rec[0].message
    assert warn.count == 3 and warn.candidates == [10, 11, 22]
    assert "3 of 23 candidates cover no demand" in str(warn)
    assert not set(res.sites.tolist()) & {10, 11, 22}
    with pytest.warns(CoverageWarning):
        siting.lscp(w, cov, max_cost=1500.0, solver="greedy")
    # Fixed (existing) far sites are not candidates: no warning about them.
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)
        cov_ok = siting.coverage_matrix(demand, np.vstack([near, far]), 1500.0)
        siting.mclp(w, cov_ok, 2, max_cost=1500.0, solver="greedy", fixed=[20, 21, 22])
    # All far: refused, objective 0 would be meaningless.
    with pytest.raises(InvalidInputError, match="none of the 3 candidates covers any demand"):
        siting.mclp(w, siting.coverage_matrix(demand, far, 1500.0), 1, max_cost=1500.0)


def test_run_reports_candidates_covering_no_demand(tmp_path, caplog, tiny):
    """`jangkau run`'s sites step: a CoverageWarning reaches the user as ``jangkau sites`` gives
    it — in the run's log at warning level, the report's warnings and the manifest."""
    from jangkau.workflow.pipeline import run

    mixed = hc.points(tmp_path / "mixed.geojson", [(106.11, -6.11), (140.0, -3.0), (106.13, -6.09)])
    runfile = tmp_path / "run.toml"
    runfile.write_text(f'region = "{tiny}"\n\n[coverage]\nfacilities = ["{tiny.parent / "fac.geojson"}"]\n\n'
                       f'[sites]\ncandidates = "{mixed}"\nmodel = "mclp"\np = 1\nradius = "1km"\n\n'
                       '[plan]\nenabled = false\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)  # caught by the run, never left to Python's warnings
        res = run(runfile, tmp_path / "out")
    needle = "sites: 1 of 3 candidates cover no demand within the reach"
    logged = [r for r in caplog.records if needle in r.getMessage()]
    assert logged and logged[0].levelname == "WARNING" and "mixed.geojson feature 1" in logged[0].getMessage()
    assert any(needle in w and "mixed.geojson feature 1" in w for w in res.warnings)
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert any(needle in w for w in man["warnings"])
    assert needle in (tmp_path / "out" / "report.html").read_text()


def test_sites_cli_warns_and_refuses_far_candidates(tmp_path, capsys, caplog, tiny):
    mixed = hc.points(tmp_path / "mixed.geojson", [(106.11, -6.11), (140.0, -3.0), (106.13, -6.09)])
    out = tmp_path / "s.csv"
    code, lines = run_cli(["sites", tiny, "--candidates", mixed, "--model", "mclp", "--p", "1", "--radius", "1km",
                           "-o", out], capsys)
    assert code == 0, lines
    warn = [r.getMessage() for r in caplog.records if "cover no demand" in r.getMessage()]
    assert warn and "1 candidate(s)" in warn[0] and "mixed.geojson feature 1" in warn[0], warn
    far = hc.points(tmp_path / "far.geojson", [(140.0, -3.0), (141.0, -3.5)])
    out2 = tmp_path / "s2.csv"
    code, lines = run_cli(["sites", tiny, "--candidates", far, "--model", "mclp", "--p", "1", "--radius", "1km",
                           "-o", out2], capsys)
    one_error(code, lines, "none of the 2 candidates covers any demand")
    assert not out2.exists()


# ----------------------------------------------------------------- 7. PROJ's own lines

PROJ_CASES = ["EPSG:999999", "garbage", "+proj=foo", 'PROJCS["x",GEOGCS[]]']


def test_proj_messages_never_reach_stderr_from_the_python_api():
    code = ("from jangkau import _core\n"
            f"for d in {PROJ_CASES!r}:\n"
            "    try:\n        _core.crs_info(d)\n"
            "    except Exception as e:\n        print(type(e).__name__, e)\n")
    # Without the CLI's environment (PROJ_DEBUG/CPL_LOG, which earlier CLI runs of this process set).
    env = {k: v for k, v in os.environ.items() if k not in ("PROJ_DEBUG", "CPL_LOG", "CPL_DEBUG")}
    r = subprocess.run([sys.executable, "-c", code], env=dict(env, PYTHONPATH=str(PKG)),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr  # before: "proj_create: crs not found" … on stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(PROJ_CASES) and all(line.startswith("CrsError") for line in lines)
    assert "(PROJ: proj_create: crs not found)" in lines[0]  # PROJ's words go into jangkau's error


@pytest.mark.parametrize("crs_name", ["EPSG:999999", "not a crs", 'PROJCS["x",GEOGCS[]]'])
def test_cli_bad_crs_gives_exactly_one_stderr_line(tmp_path, tiny, crs_name):
    bad = hc.write_json(tmp_path / "bad.geojson", hc.feature_collection(
        [{"type": "Feature", "properties": {"type": "puskesmas"}, "geometry": GOOD}], crs_name))
    env = {k: v for k, v in os.environ.items() if k not in ("PROJ_DEBUG", "CPL_LOG", "CPL_DEBUG")}
    r = subprocess.run([sys.executable, "-m", "jangkau.cli", "coverage", str(tiny), "--facilities", str(bad),
                        "--type", "puskesmas", "-o", str(tmp_path / "o.csv")],
                       env=dict(env, PYTHONPATH=str(PKG)), capture_output=True, text=True, timeout=300)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert lines[0].startswith("jangkau: error:") and "bad.geojson" in lines[0]


# ----------------------------------------------------------------- 8. SIGTERM during a long engine call

DRIVER = """
import sys
from jangkau import _core
from jangkau.cli import main
real = _core.disc_union_areas
def announced(*a, **k):
    print("ENGINE", flush=True)
    return real(*a, **k)
_core.disc_union_areas = announced
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_ends_a_long_engine_call_within_seconds(tmp_path, tiny):
    """``jangkau coverage`` with 60,000 SYNTHETIC facilities whose 5 km discs all overlap: the
    engine call alone runs for minutes. SIGTERM while it runs ends the process within a few
    seconds (the engine polls the interrupt flag the signal sets), exit 143, one line, no output."""
    rng = np.random.default_rng(8)
    n = 60_000
    lon, lat = rng.uniform(106.10, 106.14, n), rng.uniform(-6.12, -6.08, n)
    fac = tmp_path / "many.csv"
    pd.DataFrame({"name": [f"F{i}" for i in range(n)], "type": "puskesmas", "lon": lon.round(6),
                  "lat": lat.round(6)}).to_csv(fac, index=False)
    out = tmp_path / "o.csv"
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, "coverage", str(tiny), "--facilities", str(fac),
                             "--type", "puskesmas", "--radius", "5km", "-o", str(out)],
                            env=dict(os.environ, PYTHONPATH=str(PKG)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ENGINE", (line, proc.stderr.read() if proc.stderr else "")
        time.sleep(1.0)  # well inside the engine call
        assert proc.poll() is None
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        waited = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert waited < 5.0, f"SIGTERM took {waited:.1f} s to end the engine call"
    assert err.strip().splitlines()[-1] == "jangkau: interrupted (SIGTERM)", err
    assert "Traceback" not in err
    assert not out.exists() and not [p for p in os.listdir(tmp_path) if p.startswith(".o.csv")]


def test_engine_calls_keep_python_signal_handlers():
    """The guard around engine calls restores the handlers it chained (same Python handler)."""
    from jangkau import _core

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    zone = io.to_geometry_array([shapely.box(0, 0, 10, 10)])
    _core.disc_union_areas(zone, np.array([5.0]), np.array([5.0]), np.array([2.0]))
    assert {s: signal.getsignal(s) for s in before} == before
    json.dumps(before, default=str)  # handlers are plain objects


@pytest.mark.parametrize("stated", ["EPSG:0", "0", "not a crs"])
def test_a_stated_crs_proj_does_not_know_is_refused(tmp_path, stated):
    """Found by the fuzzer: ``[boundaries] crs = 0`` reached pyproj untyped."""
    from jangkau.data.region import Region
    from jangkau.errors import CrsError

    toml = hc.REGION_TOML.replace('file = "@region/desa.geojson"\n',
                                  f'file = "@region/desa.geojson"\ncrs = "{stated}"\n')
    region = hc.tiny_region(tmp_path / "r", toml=toml)
    with pytest.raises(CrsError) as e:
        Region.load(str(region))
    assert e.value.file and e.value.file.endswith("desa.geojson") and e.value.field == "crs"
