"""``--max-time`` caps the nearest-facility measure (issue 15): no time beyond it in the table,
people farther count as unreachable, thresholds above it are refused before any output.
Real Kota Cilegon roads (RTRW) and puskesmas; population from the region's table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import jangkau
from jangkau.cli import main
from jangkau.data.facilities import read_facilities
from jangkau.errors import InvalidInputError
from jangkau.network import travel
from jangkau.network.roads import build_roads

CELL = 250.0


@pytest.fixture(scope="module")
def cilegon(data_dir):
    files = sorted((data_dir / "roads").glob("cilegon3672_rtrw_*_LN.geojson"))
    assert len(files) == 6
    roads = build_roads([",".join(map(str, files))])
    region = jangkau.Region.load("cilegon", data_dir=data_dir)
    fac = read_facilities([data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"])
    fac = fac[fac["facility_type"] == "puskesmas"].reset_index(drop=True)
    dm = travel.demand(region, level="kecamatan", cell_size=CELL)
    return dm, travel.TravelModel(roads, fac, dm), files


def test_by_zone_cap_equals_the_uncapped_search_cut_by_hand(cilegon):
    dm, model, _ = cilegon
    free = model.nearest()
    t_free = free["time_s"].to_numpy() / 60.0
    cap = float(np.nanpercentile(t_free[np.isfinite(t_free)], 60))  # some people beyond it
    assert (np.isfinite(t_free) & (t_free > cap)).any()
    capped = model.by_zone((cap / 2, cap), max_time_min=cap)
    # the same from a passed uncapped result: capped the same way
    np.testing.assert_array_equal(capped.to_numpy(), model.by_zone((cap / 2, cap), nearest=free,
                                                                    max_time_min=cap).to_numpy())
    finite = capped[["mean_time_min", "p50_time_min", "p90_time_min"]].to_numpy()
    assert np.all(~np.isfinite(finite) | (finite <= cap + 1e-9))
    assert (capped["max_time_min"] == cap).all()
    # by hand from the uncapped search: beyond the cap = unreachable
    p = dm.pieces
    t = t_free[p["point"].to_numpy()]
    w, z = p["population"].to_numpy(), p["zone"].to_numpy()
    for k in range(len(capped)):
        m = z == k
        beyond = m & ~(t <= cap)
        assert capped["unreachable_population"].iat[k] == pytest.approx(w[beyond].sum(), abs=1e-6)
        ok = m & (t <= cap)
        if w[ok].sum() > 0:
            assert capped["mean_time_min"].iat[k] == pytest.approx(np.sum(t[ok] * w[ok]) / w[ok].sum(), rel=1e-9)
    # without the cap the same zones report times beyond it (the defect of issue 15)
    uncapped = model.by_zone((cap,), nearest=free)
    assert (uncapped["p90_time_min"] > cap).any()
    with pytest.raises(InvalidInputError, match="exceeds the maximum time"):
        model.by_zone((cap + 1,), max_time_min=cap)
    with pytest.raises(InvalidInputError):
        model.by_zone((5,), max_time_min=-1)


def test_cli_nearest_honours_max_time(cilegon, data_dir, tmp_path, capsys):
    _, _, files = cilegon
    roads = ",".join(map(str, files))
    fac = str(data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson")
    out = tmp_path / "near.csv"
    args = ["--data", str(data_dir), "-q", "access", "cilegon", "--roads", roads, "--facilities", fac,
            "--type", "puskesmas", "--cell-size", "400", "--level", "kecamatan"]
    assert main(args + ["--max-time", "4min", "-o", str(out)]) == 0
    t = pd.read_csv(out)
    assert {"within_4min", "max_time_min"} <= set(t.columns) and "within_15min" not in t.columns
    assert (t["max_time_min"] == 4.0).all()
    for c in ("mean_time_min", "p50_time_min", "p90_time_min"):
        v = t[c].to_numpy(dtype=float)
        assert np.all(~np.isfinite(v) | (v <= 4.0 + 1e-9)), c
    assert (t["unreachable_population"] > 0).any()
    # a threshold above --max-time: refused before any output is written
    bad = tmp_path / "bad.csv"
    rc = main(args + ["--max-time", "10min", "--thresholds", "5,15", "-o", str(bad)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "--max-time" in err[0] and not bad.exists()
