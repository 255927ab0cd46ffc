"""The report's size and determinism on Kabupaten Serang at desa level, GeoParquet output read
back by an independent reader (geopandas/pyarrow) against the GeoJSON the engine writes,
explore() maps for Jupyter, and the progress callbacks of ``jangkau run``."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import jangkau
from jangkau.data.io import read_vector, write
from jangkau.errors import CrsError
from jangkau.workflow import report, report_html
from jangkau.workflow.pipeline import run


def _embedded(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="jangkau-data">(.*?)</script>', text, re.S)
    assert m is not None
    return json.loads(m.group(1).replace("<\\/", "</"))


@pytest.fixture(scope="module")
def serang(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("serang") / "out"
    result = run("serang", out, data_dir=data_dir)
    return out, result


def test_serang_report_size_and_content(serang):
    out, result = serang
    html = (out / "report.html").read_text(encoding="utf-8")
    size = (out / "report.html").stat().st_size
    assert size <= 5 * 1024 * 1024, size
    data = _embedded(html)
    layers = {L["id"]: L for L in data["layers"]}
    # every GeoJSON layer of the run is on the map, with every feature
    for p in sorted(out.glob("*.geojson")):
        n = len(read_vector(p))
        if n:
            assert len(layers[p.stem]["rows"]) == n, p.name
    assert len(layers["zones_desa"]["rows"]) == len(result.layers["desa"]) == 326
    assert layers["zones_desa"]["role"] == "zones" and layers["zones_kabupaten"]["role"] == "boundary"
    assert layers["pilots"]["role"] == "pilots" and layers["sites"]["role"] == "sites"
    # the pilots reuse the kecamatan shapes (geometry stored once)
    assert layers["pilots"]["g"] and set(layers["pilots"]["g"]) <= set(layers["zones_kecamatan"]["g"])
    # the display simplification is said, and the files keep the full geometry
    assert "simplified for display only" in html
    full = read_vector(out / "zones_desa.geojson")
    n_full = int(sum(len(np.asarray(g.exterior.coords)) if g.geom_type == "Polygon" else
                     sum(len(np.asarray(p.exterior.coords)) for p in g.geoms) for g in full.geometry))
    shown = data["geoms"]
    n_shown = sum(len(ring) for i in layers["zones_desa"]["g"] for poly in
                  ([shown[i]["coordinates"]] if shown[i]["type"] == "Polygon" else shown[i]["coordinates"])
                  for ring in poly[:1])
    assert n_shown < n_full
    # the kecamatan are labelled with their names
    kec = result.layers["kecamatan"]
    assert len(layers["zones_kecamatan"]["labels"]) == len(kec)
    # the warnings are in the report
    for w in result.warnings:
        assert w.split(":")[0] in html


def test_report_is_deterministic(serang, tmp_path):
    out, result = serang
    again = report.write_report(result, tmp_path / "report.html", folder=out)
    assert again.read_bytes() == (out / "report.html").read_bytes()


def test_report_without_leaflet_keeps_its_static_maps(serang, tmp_path, monkeypatch, caplog):
    out, result = serang
    monkeypatch.delenv("JANGKAU_LEAFLET_DIR", raising=False)
    monkeypatch.setattr(report_html, "LEAFLET_DIRS", (tmp_path / "none",))
    path = report.write_report(result, tmp_path / "report.html", folder=out)
    text = path.read_text(encoding="utf-8")
    assert "The interactive map is missing" in text and "libjs-leaflet" in text
    assert "jangkau-data" not in text and text.count("<img ") >= 3
    assert any("static maps only" in r.getMessage() for r in caplog.records)
    # a folder holding Leaflet, named by JANGKAU_LEAFLET_DIR, is used instead
    monkeypatch.setenv("JANGKAU_LEAFLET_DIR", "/usr/share/javascript/leaflet")
    assert report_html.leaflet_assets() is not None


def test_display_simplification_keeps_neighbours_together(serang):
    """Zones are simplified as a coverage: a shared border is simplified once, so the
    displayed desa still tile the regency (no slivers or overlaps beyond rounding)."""
    import shapely

    out, result = serang
    layer = report_html.classify("zones_desa", read_vector(out / "zones_desa.geojson"))
    disp = report_html._display_geometry(layer, result.region.working_crs)
    metric = gpd.GeoSeries(disp, crs="EPSG:4326").to_crs(result.region.working_crs)
    full = layer.frame.to_crs(result.region.working_crs)
    union_full = shapely.union_all(full.geometry.values).area
    assert abs(metric.area.sum() - union_full) / union_full < 2e-3       # no overlaps
    assert abs(shapely.union_all(metric.values).area - union_full) / union_full < 2e-3   # no gaps
    # and every desa keeps its area within a few percent
    rel = np.abs(metric.area.to_numpy() - full.area.to_numpy()) / full.area.to_numpy()
    assert np.median(rel) < 0.01


def test_geoparquet_round_trip(tmp_path, data_dir):
    region = jangkau.Region.load("cilegon", data_dir=data_dir)
    zones = region.zones("desa")
    pq_path = write(zones, tmp_path / "desa.parquet")
    gj_path = write(zones, tmp_path / "desa.geojson")
    # independent reader: geopandas + pyarrow, GeoParquet 1.0 metadata with the CRS
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(pq_path).metadata[b"geo"])
    assert meta["version"] == "1.0.0" and meta["primary_column"] == "geometry"
    back = gpd.read_parquet(pq_path)
    assert back.crs.to_epsg() == 4326
    assert list(back.columns) == list(zones.columns)
    ref = read_vector(gj_path)   # the engine's GeoJSON, 7 decimals
    assert len(back) == len(ref) == len(zones)
    assert (back["code"].astype(str).to_numpy() == ref["code"].to_numpy()).all()
    np.testing.assert_allclose(back["population"], ref["population"])
    # exact geometry in GeoParquet (WKB doubles), GeoJSON within its 1e-7° rounding
    assert back.geometry.geom_equals_exact(zones.geometry.reset_index(drop=True), tolerance=0).all()
    # (the GeoJSON has counter-clockwise rings and single parts: compare shapes, not vertex order)
    b, r = back.geometry.to_crs(region.working_crs), ref.geometry.to_crs(region.working_crs)
    diff = b.symmetric_difference(r).area / b.area
    assert float(diff.max()) < 1e-4
    # deterministic, atomic (no temporary left), and a table without geometry is plain Parquet
    again = write(zones, tmp_path / "desa2.parquet")
    assert again.read_bytes() == pq_path.read_bytes()
    table = pd.DataFrame(zones.drop(columns="geometry"))
    t = write(table, tmp_path / "table.parquet")
    assert b"geo" not in (pq.read_schema(t).metadata or {})
    pd.testing.assert_frame_equal(pd.read_parquet(t), table.reset_index(drop=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desa.geojson", "desa.parquet", "desa2.parquet",
                                                          "table.parquet"]
    with pytest.raises(CrsError):
        write(gpd.GeoDataFrame(zones.drop(columns="geometry"), geometry=np.asarray(zones.geometry.values)),
              tmp_path / "nocrs.parquet")


def test_cli_writes_geoparquet(tmp_path, data_dir):
    out = tmp_path / "kec.parquet"
    proc = subprocess.run([sys.executable, "-m", "jangkau.cli", "--data", str(data_dir), "zones", "cilegon",
                           "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    back = gpd.read_parquet(out)
    ref = jangkau.Region.load("cilegon", data_dir=data_dir).zones("kecamatan")
    assert sorted(back["code"]) == sorted(ref["code"])


def test_explore_maps_for_jupyter(data_dir):
    from jangkau import coverage
    from jangkau.data.facilities import read_facilities
    from jangkau.selection import indicators, ranking

    region = jangkau.Region.load("cilegon", data_dir=data_dir)
    view = region.explore("desa")
    html = view._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "sandbox=" in html
    data = _embedded(view.document)
    assert [L["id"] for L in data["layers"]] == ["zones_desa"]
    assert len(data["layers"][0]["rows"]) == len(region.zones("desa"))
    # a long coverage table joined onto the zones, one column per (type, radius)
    fac = read_facilities([data_dir / "facilities/cilegon3672_rtrw_PUSKESMAS_PT.geojson"],
                          region_boundary=region.zones("kabupaten"))
    cov = coverage.coverage(region, fac, "1km,2km", level="kecamatan")
    view = report_html.explore(cov, fac, region=region, names=["zones_kecamatan", "facilities"])
    data = _embedded(view.document)
    z, f = data["layers"]
    assert f["role"] == "facilities" and len(f["rows"]) == len(fac)
    assert "coverage_share_puskesmas_1000m" in z["numeric"] and "coverage_share_puskesmas_2000m" in z["numeric"]
    assert data["default_column"] == "coverage_share_puskesmas_1000m"
    j = z["columns"].index("coverage_share_puskesmas_2000m")
    shares = cov[(cov["radius_m"] == 2000) & (cov["facility_type"] == "puskesmas")].set_index("code")["share"]
    codes = [r[z["columns"].index("code")] for r in z["rows"]]
    np.testing.assert_allclose([r[j] for r in z["rows"]], shares.loc[codes].to_numpy(), rtol=1e-5)
    # a ranking result: scores on the zones, the selected ones as pilots
    kec = region.zones("kecamatan")
    table = indicators.assemble_indicators(kec)
    cm = indicators.criteria_matrix(table, indicators.IndicatorCatalogue.default(),
                                    indicators=["population"], mode="need")
    res = ranking.rank_zones(cm, pd.Series({"population": 1.0}),
                             pd.DataFrame({"code": kec["code"], "dapil": "all"}), k=2)
    data = _embedded(res.explore(kec).document)
    roles = [L["role"] for L in data["layers"]]
    assert roles == ["zones", "pilots"] and data["default_column"] == "score"
    sel = data["layers"][1]
    assert sum(bool(r[sel["columns"].index("selected")]) for r in sel["rows"]) == 2


def test_run_reports_progress_within_steps(tmp_path):
    from jangkau.synthetic.run import synthetic_config

    steps, details = [], []
    run(synthetic_config(seed=0), tmp_path / "out", progress=lambda s, d, t: steps.append(s),
        detail=lambda s, d, t: details.append((s, d, t)))
    assert steps[0] == "zones" and steps[-1] == "done"
    stages = {s for s, _, _ in details}
    assert {"coverage desa", "coverage kabupaten", "travel time desa", "isochrones"} <= stages
    assert any(s.startswith("gaps ") for s in stages)
    # the engine's own callbacks from site selection come through too
    assert stages - {"coverage desa", "coverage kecamatan", "coverage dapil", "coverage kabupaten",
                     "travel time desa", "travel time kecamatan", "isochrones"} - \
        {s for s in stages if s.startswith("gaps ")}
    assert all(0 <= d <= t for _, d, t in details if t > 0)


def test_cli_run_quiet_has_no_bars(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "jangkau.cli", "-q", "run", "--synthetic", "-o",
                           str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "jangkau run" not in proc.stderr and "step/s" not in proc.stderr and "|" not in proc.stderr
    from jangkau.cli.run import progress_bars

    assert not progress_bars(quiet=True).enabled
