"""Where no dapil plan exists, ``zones --level dapil`` is a clear error (not an empty layer with
exit 0), and the pilots' ``dapil_source`` says what the plan really is (issue 15)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from jangkau.cli import main
from jangkau.data.region import Region
from jangkau.workflow.steps.pilots import dapil_source


def test_zones_dapil_without_a_plan_is_an_error(data_dir, tmp_path, capsys):
    region = Region.load("cilegon", data_dir=data_dir)
    assert region.zones("kecamatan")["dapil"].isna().all()  # real data: no dapil known for Cilegon
    for suffix in ("geojson", "csv"):
        out = tmp_path / f"dapil.{suffix}"
        rc = main(["--data", str(data_dir), "zones", "cilegon", "--level", "dapil", "-o", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 1 and not out.exists()
        assert len(err) == 1 and "no dapil plan" in err[0] and "dapil propose" in err[0]
    # other levels still work
    out = tmp_path / "kec.geojson"
    assert main(["--data", str(data_dir), "-q", "zones", "cilegon", "--level", "kecamatan", "-o", str(out)]) == 0
    assert len(gpd.read_file(out)) == 8


def test_zones_dapil_with_a_partly_known_plan(data_dir, tmp_path):
    """Kab. Serang's table confirms the dapil of some kecamatan: those dapil are written."""
    region = Region.load("serang", data_dir=data_dir)
    known = region.zones("kecamatan")["dapil"].dropna().astype(str)
    assert len(known) > 0
    out = tmp_path / "dapil.csv"
    assert main(["--data", str(data_dir), "-q", "zones", "serang", "--level", "dapil", "-o", str(out)]) == 0
    assert sorted(pd.read_csv(out, dtype={"code": str})["code"]) == sorted(set(known))


def test_dapil_source_wording():
    assert dapil_source(None) == "no dapil plan (pilots over the whole regency)"
    assert dapil_source(pd.DataFrame()) == "no dapil plan (pilots over the whole regency)"
    confirmed = pd.DataFrame({"kecamatan_code": ["01", "02"], "dapil": ["1", "2"], "plan_status": "CONFIRMED"})
    assert dapil_source(confirmed) == "confirmed plan"
    assert dapil_source(confirmed.drop(columns="plan_status")) == "confirmed plan"
    none = confirmed.assign(plan_status="ILLUSTRATIVE")
    assert dapil_source(none) == "ILLUSTRATIVE plan (none confirmed)"
    part = pd.DataFrame({"kecamatan_code": ["01", "02", "02", "03"], "dapil": ["1", "1", "2", "2"],
                         "plan_status": ["CONFIRMED", "ILLUSTRATIVE", "ILLUSTRATIVE", "CONFIRMED"]})
    assert dapil_source(part) == "ILLUSTRATIVE plan (2 of 3 kecamatan confirmed)"
