"""The command line: help, the zones subcommand, and one-line errors with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pytest

from jangkau.cli import main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jangkau.cli", *args], capture_output=True, text=True)


def test_help_lists_subcommands():
    r = _run("--help")
    assert r.returncode == 0
    for cmd in ("zones", "coverage", "access", "pilots", "sites", "dapil"):
        assert cmd in r.stdout
    assert _run("zones", "--help").returncode == 0


@pytest.mark.parametrize("ext", ["geojson", "gpkg", "csv"])
def test_zones_writes_every_format(tmp_path, data_dir, ext):
    out = tmp_path / f"kec.{ext}"
    assert main(["--data", str(data_dir), "-q", "zones", "serang", "--level", "kecamatan", "-o", str(out)]) == 0
    if ext == "csv":
        assert out.read_text().count("\n") == 30
    else:
        g = gpd.read_file(out)
        assert len(g) == 29 and g.crs.to_epsg() == 4326
        assert g["population"].sum() == pytest.approx(1_493_591)
    if ext == "geojson":
        doc = json.loads(out.read_text())
        assert doc["type"] == "FeatureCollection" and "crs" not in doc


def test_zones_output_is_byte_identical(tmp_path, data_dir):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for d in (a, b):
        assert main(["--data", str(data_dir), "-q", "zones", "cilegon", "--level", "desa", "-o",
                     str(d / "desa.geojson")]) == 0
    assert (a / "desa.geojson").read_bytes() == (b / "desa.geojson").read_bytes()


@pytest.mark.parametrize("args,needle", [
    (["zones", "atlantis", "-o", "x.geojson"], "unknown region"),
    (["zones", "serang", "-o", "out.kml"], "unsupported output format"),
    (["zones", "serang", "-o", "/nonexistent/dir/out.geojson"], "output directory does not exist"),
])
def test_bad_input_is_one_line_and_nonzero(tmp_path, data_dir, args, needle):
    r = _run("--data", str(data_dir), *args)
    assert r.returncode == 1
    assert r.stderr.startswith("jangkau: error:") and needle in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not list(tmp_path.iterdir())


def test_missing_data_dir_is_an_error(tmp_path):
    r = _run("--data", str(tmp_path / "nowhere"), "zones", "serang", "-o", str(tmp_path / "x.geojson"))
    assert r.returncode == 1 and "does not exist" in r.stderr
