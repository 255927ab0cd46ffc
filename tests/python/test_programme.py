"""The programme's indicators: facility indicators against a geopandas/shapely reference,
every catalogue entry has a dimension, the template round trip, dimension status and
contributions, the `indicators` and `plan` commands, and the staged plan in the pipeline
(also without a dapil plan)."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from jangkau.selection.indicators import (
    Dimension,
    IndicatorCatalogue,
    assemble_indicators,
    criteria_matrix,
    dimension_status,
    facility_indicators,
    indicator_status,
    indicator_template,
    read_user_table,
)
from jangkau.selection.ranking import dimension_contributions, rank_zones


def _desa():
    # Two kecamatan (K1: desa a, b; K2: desa c), 1 km squares, metric CRS.
    return gpd.GeoDataFrame({"code": ["a", "b", "c"], "kecamatan_code": ["K1", "K1", "K2"],
                             "population": [100.0, 300.0, 50.0]},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(5000, 0, 6000, 1000)],
                            crs="EPSG:32748")


def test_facility_indicators_against_shapely():
    desa = _desa()
    fac = gpd.GeoDataFrame({"facility_type": ["sd", "sd", "puskesmas", "sd"], "duplicate": [False, False, False, True]},
                           geometry=[Point(200, 500), Point(1500, 500), Point(5500, 500), Point(5400, 400)],
                           crs="EPSG:32748")
    out = facility_indicators(desa, fac)
    d, k = out["desa"], out["kecamatan"]
    pts = desa.geometry.representative_point()
    live = fac[~fac["duplicate"]]
    for t in ("sd", "puskesmas"):
        f = live[live["facility_type"] == t]
        ref = np.array([f.distance(p).min() for p in pts]) / 1000.0
        assert np.allclose(d[f"nearest_{t}_km"].to_numpy(), ref)
        # kecamatan: population-weighted mean of its desa
        assert k.loc["K1", f"nearest_{t}_km"] == pytest.approx((100 * ref[0] + 300 * ref[1]) / 400)
        assert k.loc["K2", f"nearest_{t}_km"] == pytest.approx(ref[2])
    # the duplicate SD is ignored: K2 has no SD; K1 has 2 SD for 400 people
    assert k.loc["K1", "facilities_per_10k_sd"] == pytest.approx(2 / 400 * 1e4)
    assert k.loc["K2", "facilities_per_10k_sd"] == 0.0
    assert d.loc["c", "facilities_per_10k_puskesmas"] == pytest.approx(1 / 50 * 1e4)


def test_every_catalogue_entry_has_a_dimension_and_families_map_by_type():
    cat = IndicatorCatalogue.default()
    frame = cat.to_frame()
    assert set(frame["dimension"]) <= {d.value for d in Dimension}
    assert frame["dimension"].notna().all()
    assert cat.spec("coverage_share_sd_1000m").dimension is Dimension.SOCIETY
    assert cat.spec("coverage_share_puskesmas_3000m").dimension is Dimension.LIVING
    assert cat.spec("nearest_kantor_kecamatan_km").dimension is Dimension.GOVERNANCE
    assert cat.spec("nearest_pasar_km").dimension is Dimension.ECONOMY
    assert cat.spec("spread_mean_km").dimension is Dimension.GOVERNANCE
    # the template covers every dimension, so each can be filled by the region
    tmpl = frame[frame["template"]]
    assert set(tmpl["dimension"]) == {d.value for d in Dimension}


def test_template_round_trip(tmp_path):
    zones = pd.DataFrame({"code": ["3604020", "3604010"], "name": ["B", "A"], "kode_kemendagri": ["x.2", "x.1"]})
    cat = IndicatorCatalogue.default()
    t = indicator_template(zones, cat)
    assert list(t["code"][:3]) == ["#dimension", "#direction", "#unit"]
    assert list(t["code"][3:]) == ["3604010", "3604020"]
    assert t.loc[0, "poverty_share"] == "society" and t.loc[1, "poverty_share"] == "higher_is_worse"
    # a region fills in two columns and reads the file back: metadata rows are skipped
    t.loc[3:, "poverty_share"] = ["0.1", "0.2"]
    t.loc[3:, "spbe_index"] = ["2.5", "3.1"]
    p = tmp_path / "t.csv"
    t.to_csv(p, index=False)
    back = read_user_table(p)
    assert list(back["code"]) == ["3604010", "3604020"]
    assert back["poverty_share"].tolist() == [0.1, 0.2]
    table = assemble_indicators(zones.assign(population=[1.0, 2.0]), user_tables=[p],
                                include_zone_columns=("population",))
    st = indicator_status(table, cat).set_index("indicator")
    assert st.loc["poverty_share", "status"] == "data"
    assert st.loc["budget_idr", "status"] == "empty" and st.loc["budget_idr", "source"] == "template"
    dims = dimension_status(table, cat).set_index("dimension")
    assert list(dims.index) == [d.value for d in Dimension]
    assert dims.loc["governance", "status"] == "data"   # spbe_index
    assert dims.loc["branding", "status"] == "empty"
    assert "podes_desa_with_tourism" in dims.loc["branding", "empty_indicators"]


def test_dimension_contributions_add_up_to_the_weighted_sum():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"population": rng.random(6) * 1e4, "density_per_km2": rng.random(6) * 1e3,
                          "spread_mean_km": rng.random(6) * 10, "poverty_share": rng.random(6)},
                         index=pd.Index([f"k{i}" for i in range(6)], name="code"))
    cat = IndicatorCatalogue.default()
    cm = criteria_matrix(table, cat, mode="blend")
    zones = pd.Series(["d1", "d1", "d1", "d2", "d2", "d2"], index=table.index)
    weights = pd.Series(rng.random(len(cm.criteria)), index=cm.criteria.index)
    res = rank_zones(cm, weights, zones)
    c = dimension_contributions(cm, res.weights)
    contrib = c[[f"contrib_{d.value}" for d in Dimension]].sum(axis=1)
    assert np.allclose(contrib.to_numpy(), res.table["score"].to_numpy())
    shares = c.iloc[0][[f"share_{d.value}" for d in Dimension]]
    assert shares.sum() == pytest.approx(1.0)
    assert c["contrib_environment"].eq(0).all() and c["contrib_branding"].eq(0).all()


def _cli(args, data_dir):
    return subprocess.run([sys.executable, "-m", "jangkau.cli", "--data", str(data_dir), *args],
                          capture_output=True, text=True)


def test_cli_indicators_template_and_help(tmp_path, data_dir):
    for verb in (["indicators", "--help"], ["indicators", "template", "--help"], ["plan", "--help"]):
        r = _cli(verb, data_dir)
        assert r.returncode == 0 and "usage: jangkau" in r.stdout
    out = tmp_path / "t.csv"
    r = _cli(["indicators", "template", "serang", "-o", str(out)], data_dir)
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out, dtype=str)
    assert len(t) == 3 + 29 and t["code"].iloc[3].startswith("3604")
    assert t["kode_kemendagri"].iloc[3:].str.startswith("36.04").all()


def test_cli_plan_serang(tmp_path, data_dir):
    out = tmp_path / "plan.geojson"
    r = _cli(["plan", "serang", "--per-stage", "3", "--solver", "greedy", "-o", str(out)], data_dir)
    assert r.returncode == 0, r.stderr
    sites = gpd.read_file(out)
    assert sorted(sites["stage"].value_counts().to_dict().items()) == [(1, 3), (2, 3), (3, 3), (4, 3)]
    assert sites.crs.to_epsg() == 4326
    # stage 1 has a site in each of the known dapil of the region's table (Dapil 2 and 3)
    assert {"Dapil 2", "Dapil 3"} <= set(sites.loc[sites["stage"] == 1, "dapil"].dropna())
    stages = pd.read_csv(tmp_path / "plan.stages.csv")
    assert (stages["stage_bound"] >= stages["covered"] - 1e-6).all()
    assert stages["covered"].is_monotonic_increasing
    summ = pd.read_csv(tmp_path / "plan.summary.csv")
    assert summ.loc[0, "myopic_person_years"] <= summ.loc[0, "objective_person_years"] + 1e-6
    assert summ.loc[0, "objective_person_years"] <= summ.loc[0, "bound"] + 1e-6


def test_every_facility_type_family_lands_in_one_dimension():
    """Coverage, distance and count indicators of one facility type share its dimension."""
    from jangkau.util import dataset_path

    cat = IndicatorCatalogue.default()
    types = pd.read_csv(dataset_path("facility_types.csv"))["type"]
    assert len(types) > 10
    for t in types:
        dims = {cat.spec(f"coverage_share_{t}_1000m").dimension, cat.spec(f"nearest_{t}_km").dimension,
                cat.spec(f"facilities_per_10k_{t}").dimension}
        assert len(dims) == 1, (t, dims)
