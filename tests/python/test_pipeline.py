"""`jangkau run`: the whole pipeline on real and synthetic data, its outputs read back
with GDAL (through the engine) and geopandas, determinism, and atomic failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import jangkau
from jangkau.data.io import read_vector
from jangkau.workflow.pipeline import load_config, run


@pytest.fixture(scope="module")
def serang_run(tmp_path_factory, data_dir) -> Path:
    out = tmp_path_factory.mktemp("serang") / "out"
    with pytest.MonkeyPatch.context() as mp:
        # an empty download cache: Serang's OSM extract (osm_java) is not fetched, as in CI
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
        run("serang", out, data_dir=data_dir)
    return out


def _geojson_outputs(out: Path) -> list[Path]:
    return sorted(out.glob("*.geojson"))


def test_serang_outputs(serang_run):
    files = {p.name for p in serang_run.iterdir()}
    for name in ("zones_desa.geojson", "zones_kecamatan.geojson", "zones_kabupaten.geojson", "pilots.csv",
                 "pilots.geojson", "sites.geojson", "report.html", "manifest.json",
                 "dapil_plan_ILLUSTRATIVE.csv", "indicators_kecamatan.csv"):
        assert name in files, name
    kec = gpd.read_file(serang_run / "zones_kecamatan.geojson")
    assert len(kec) == 29 and kec.crs.to_epsg() == 4326
    assert kec["population"].sum() == pytest.approx(1_493_591)
    assert {"score", "rank", "selected"} <= set(kec.columns)
    manifest = json.loads((serang_run / "manifest.json").read_text())
    assert manifest["region"]["working_crs"] == "EPSG:32748"
    assert set(manifest["inputs"]) >= {"region", "boundaries", "population", "dapil"}
    for item in manifest["inputs"].values():
        assert len(item["sha256"]) == 64
    assert "timings_s" in manifest and manifest["jangkau_version"] == jangkau.__version__
    assert any("ILLUSTRATIVE" in w for w in manifest["warnings"])
    assert any("facility QA" in w for w in manifest["warnings"])
    assert any("madrasah" in w for w in manifest["warnings"])
    # without the fetched extract the access step is skipped, saying how to get it
    assert manifest["skipped_steps"]["access"] == "roads: osm_java not fetched; run `jangkau data fetch serang`"


def test_serang_facilities_qa_coverage_and_pilot_indicators(serang_run):
    import pandas as pd

    files = {p.name for p in serang_run.iterdir()}
    for name in ("facility_qa.csv", "facility_qa.geojson", "facility_qa_summary.csv", "facilities.csv",
                 "facility_capacity_matches.csv", "coverage.csv", "nearest_distance.csv",
                 "gaps_puskesmas_3000m.geojson", "gaps_sd_1000m.geojson", "gaps_smp_1000m.geojson",
                 "gaps_sma_3000m.geojson"):
        assert name in files, name
    qa = pd.read_csv(serang_run / "facility_qa.csv", dtype={"facility_id": str})
    pk = qa[(qa["facility_type"] == "puskesmas") & (qa["policy"] != "keep")]
    assert set(pk["name"]) == {"Bandung", "Jawilan", "Ciruas"}
    cov = pd.read_csv(serang_run / "coverage.csv", dtype={"code": str})
    assert set(cov["facility_type"]) == {"puskesmas", "sd", "smp", "sma"}
    assert set(cov["level"]) == {"desa", "kecamatan", "dapil", "kabupaten"}
    dist = pd.read_csv(serang_run / "nearest_distance.csv", dtype={"code": str})
    assert set(dist["facility_type"]) == set(cov["facility_type"]) and (dist["mean_distance_m"] > 0).all()
    ind = pd.read_csv(serang_run / "indicators_kecamatan.csv")
    for t, r in (("puskesmas", 3000), ("sd", 1000), ("smp", 1000), ("sma", 3000)):
        assert f"coverage_share_{t}_{r}m" in ind.columns and f"nearest_distance_m_{t}" in ind.columns
    weights = pd.read_csv(serang_run / "weights.csv")
    assert weights["indicator"].str.startswith("coverage_share_").any()
    assert weights["indicator"].str.startswith("nearest_distance_").any()
    html = (serang_run / "report.html").read_text()
    assert "Facility quality checks" in html and "Coverage maps per facility type" in html
    assert html.count("madrasahs (MI, MTs, MA") >= 4  # the warning and each school type's maps


def test_pilots_one_per_dapil_of_the_plan(serang_run):
    import pandas as pd

    pilots = pd.read_csv(serang_run / "pilots.csv", dtype={"code": str})
    plan = pd.read_csv(serang_run / "dapil_plan_ILLUSTRATIVE.csv", dtype={"kecamatan_code": str})
    sel = pilots[pilots["selected"] == 1]
    assert sorted(sel["dapil"]) == sorted(plan["dapil"].unique())
    d2 = plan[plan["dapil"] == "Dapil 2"]["kecamatan_code"]
    assert sorted(d2) == ["3604100", "3604110", "3604120", "3604121", "3604130"]  # confirmed part kept
    confirmed = set(plan.loc[plan["plan_status"] == "CONFIRMED", "kecamatan_code"])
    assert confirmed == set(d2) | {"3604091"}  # Dapil 2 and Kec. Bandung (Dapil 3) are the known facts
    assert plan.loc[plan["kecamatan_code"] == "3604091", "dapil"].item() == "Dapil 3"


def test_report_says_what_is_unknown(serang_run):
    html = (serang_run / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "ILLUSTRATIVE" in html and "areal weighting" in html
    assert "data:image/png;base64," in html  # maps embedded, self-contained
    assert "CC BY-IGO" in html and "src=\"http" not in html


def test_geojson_outputs_read_back_with_gdal_and_geopandas(serang_run):
    for path in _geojson_outputs(serang_run):
        ours = read_vector(path)  # GDAL/OGR through the engine
        ref = gpd.read_file(path)
        assert len(ours) == len(ref)
        assert ref.crs.to_epsg() == 4326
        doc = json.loads(path.read_text())
        assert "crs" not in doc  # RFC 7946
        polys = [g for g in ref.geometry if g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
        for g in polys:
            for p in getattr(g, "geoms", [g]):
                assert p.exterior.is_ccw, path.name
                assert all(not r.is_ccw for r in p.interiors), path.name
        if polys:
            assert shapely.is_valid(np.array(polys, dtype=object)).all(), path.name


def test_rerun_is_byte_identical(serang_run, tmp_path, data_dir):
    again = tmp_path / "again"
    run("serang", again, data_dir=data_dir)
    for p in serang_run.iterdir():
        if p.name == "manifest.json":
            a = json.loads(p.read_text())
            b = json.loads((again / p.name).read_text())
            for key in ("timings_s", "run_file"):
                a.pop(key), b.pop(key)
            assert a == b
        else:
            assert p.read_bytes() == (again / p.name).read_bytes(), p.name


def test_failed_run_leaves_nothing(tmp_path, data_dir):
    bad = tmp_path / "run.toml"
    bad.write_text('region = "serang"\n[sites]\nmodel = "nonsense"\n')
    out = tmp_path / "out"
    with pytest.raises(jangkau.InvalidInputError, match="nonsense"):
        run(bad, out, data_dir=data_dir)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run.toml"]
    # an existing output folder is kept as it was when a rerun fails
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(jangkau.InvalidInputError):
        run(bad, out, data_dir=data_dir)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_run_file_errors(tmp_path):
    p = tmp_path / "r.toml"
    p.write_text('region = "serang"\ncolour = "red"\n')
    with pytest.raises(jangkau.InvalidInputError, match="colour"):
        load_config(p)
    with pytest.raises(jangkau.DataFileError):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(jangkau.DataFileError, match="unknown region"):
        load_config("atlantis")


def test_cli_run_one_line_error(tmp_path, data_dir):
    r = subprocess.run([sys.executable, "-m", "jangkau.cli", "--data", str(data_dir), "run", "atlantis", "-o",
                        str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.startswith("jangkau: error:") and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_run_goes_on_without_a_dapil_plan(tmp_path, data_dir):
    """A dapil plan that cannot exist (50 seats in 2 dapil: at most 24) does not end the run:
    the reasons are written and warned, pilots are chosen per kecamatan without dapil quotas."""
    cfg = tmp_path / "run.toml"
    cfg.write_text('region = "serang"\n[dapil]\nn_dapil = 2\n')
    out = tmp_path / "out"
    result = run(cfg, out, data_dir=data_dir)
    reasons = (out / "dapil_no_plan.csv").read_text()
    assert "dapil" in reasons.lower() and len(reasons.splitlines()) >= 2
    assert not (out / "dapil_plan_ILLUSTRATIVE.csv").exists()
    assert any("no ILLUSTRATIVE plan satisfies the rules" in w for w in result.warnings)
    manifest = json.loads((out / "manifest.json").read_text())
    assert any("no ILLUSTRATIVE plan" in w for w in manifest["warnings"])
    assert (out / "report.html").is_file()
    # The staged plan still works: one group (the regency), a site in stage 1.
    import pandas as pd

    sites = gpd.read_file(out / "plan_sites.geojson")
    assert set(sites["stage"]) == {1, 2, 3, 4}
    assert set(sites["dapil"]) == {"(no dapil plan)"}
    summary = pd.read_csv(out / "plan_summary.csv")
    assert summary.loc[0, "groups"] == 1 and summary.loc[0, "dapil_plan"].startswith("none")


def test_serang_four_stage_plan_with_pilots_in_every_dapil(serang_run):
    """The four-stage plan over ten years: stage 1 opens a site in every dapil of the
    (ILLUSTRATIVE) plan; later stages keep earlier sites; the certified bound holds and
    the staged plan is not worse than planning each stage myopically."""
    import pandas as pd

    plan = pd.read_csv(serang_run / "dapil_plan_ILLUSTRATIVE.csv", dtype={"kecamatan_code": str})
    sites = gpd.read_file(serang_run / "plan_sites.geojson", columns=None)
    assert sorted(sites["stage"].unique()) == [1, 2, 3, 4]
    assert set(sites.loc[sites["stage"] == 1, "dapil"]) == set(plan["dapil"])
    assert sites["candidate_code"].is_unique
    stages = pd.read_csv(serang_run / "plan_stages.csv")
    assert list(stages["start_year"]) == [0.0, 2.5, 5.0, 7.5]
    assert stages["covered"].is_monotonic_increasing
    assert (stages["stage_bound"] >= stages["covered"] - 1e-6).all()
    summary = pd.read_csv(serang_run / "plan_summary.csv").iloc[0]
    assert summary["myopic_person_years"] <= summary["objective_person_years"] + 1e-6
    assert summary["objective_person_years"] <= summary["bound"] + 1e-6
    assert 0 <= summary["gap"] < 0.05
    # Indicators per dimension: every dimension listed, the empty ones warned about.
    dims = pd.read_csv(serang_run / "dimension_status.csv")
    assert sorted(dims["dimension"]) == sorted(["governance", "branding", "economy", "living", "society",
                                                "environment"])
    empty = dims.loc[dims["status"] == "empty", "dimension"].tolist()
    manifest = json.loads((serang_run / "manifest.json").read_text())
    assert empty and any(all(d in w for d in empty) and "stay empty" in w for w in manifest["warnings"])
    # Spread per kecamatan and each dimension's contribution to the pilot score.
    spread = pd.read_csv(serang_run / "spread_kecamatan.csv", dtype={"code": str})
    assert len(spread) == 29 and spread["spread_share_within_10km"].between(0, 1).all()
    pilots = pd.read_csv(serang_run / "pilots.csv", dtype={"code": str})
    contrib = pilots[[c for c in pilots.columns if c.startswith("contrib_")]]
    assert contrib.shape[1] == 6
    assert "plan_sites.geojson" in manifest["outputs"]
    html = (serang_run / "report.html").read_text()
    assert "Staged plan" in html and "Indicators per dimension" in html and html.count("alt=\"stage ") == 4
