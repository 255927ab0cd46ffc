"""Dapil plans: seat rules, adjacency, checks on crafted plans, and an illustrative proposal for
Kabupaten Serang that keeps the confirmed 2024 Dapil 2 fixed."""

from __future__ import annotations

import filecmp

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from jangkau.cli import main as cli_main
from jangkau.errors import InvalidInputError
from jangkau.selection.dapil import (
    Adjacency,
    DapilRules,
    allocate_dapil_seats,
    check_plan,
    kecamatan_adjacency,
    load_plan,
    propose_plan,
    regency_seats,
)


def test_regency_seat_brackets():
    assert [regency_seats(p) for p in (90_000, 150_000, 450_000, 800_000, 1_493_591, 3_500_000)] == \
        [20, 25, 40, 45, 50, 55]
    assert regency_seats(100_000) == 20 and regency_seats(100_001) == 25


def test_allocation_by_bppd_and_largest_remainder():
    # BPPd = 1000/10 = 100; quotas 4.55, 3.35, 2.10 → 4, 3, 2 and one seat to the largest remainder (0.55).
    a = allocate_dapil_seats(pd.Series({"A": 455.0, "B": 335.0, "C": 210.0}), 10)
    assert a["seats"].to_dict() == {"A": 5, "B": 3, "C": 2}
    np.testing.assert_allclose(a["quota"], [4.55, 3.35, 2.10])
    fixed = allocate_dapil_seats(pd.Series({"A": 455.0, "B": 335.0, "C": 210.0}), 10, fixed_seats={"A": 4})
    assert fixed["seats"].to_dict() == {"A": 4, "B": 4, "C": 2}


def _grid(rows=3, cols=4, seed=3):
    """Synthetic kecamatan: a rows×cols grid of 5 km squares (UTM 48S), seeded populations."""
    rng = np.random.default_rng(seed)
    recs = []
    for r in range(rows):
        for c in range(cols):
            x0, y0 = 600_000 + c * 5000, 9_300_000 + r * 5000
            recs.append({"code": f"k{r}{c}", "name": f"Synthetic {r}{c}",
                         "population": float(rng.integers(40_000, 60_000)), "geometry": box(x0, y0, x0 + 5000, y0 + 5000)})
    return gpd.GeoDataFrame(recs, crs="EPSG:32748")


def test_adjacency_rook_and_queen_on_grid():
    g = _grid()
    rook = kecamatan_adjacency(g)
    queen = kecamatan_adjacency(g, DapilRules(adjacency=Adjacency.QUEEN))
    # 3×4 grid: 3·3 + 2·4 = 17 edge-sharing pairs; diagonals add 2·2·3 = 12 corner-touching pairs.
    assert len(rook) == 17 and len(queen) == 29
    assert ((rook["shared_length_m"] - 5000).abs() < 5).all()
    brute = {tuple(sorted((a.code, b.code))) for a in g.itertuples() for b in g.itertuples()
             if a.code < b.code and a.geometry.intersection(b.geometry).length > 0}
    assert set(zip(rook["code_a"], rook["code_b"])) == brute
    # the same pairs in geographic coordinates (projected internally)
    assert len(kecamatan_adjacency(g.to_crs(4326))) == 17


def _plan(assign, seats):
    return pd.DataFrame({"kecamatan_code": list(assign), "dapil": list(assign.values()),
                         "seats": [seats[d] for d in assign.values()]})


def _columns_plan():
    g = _grid()
    # four dapil, one per grid column (~150k people each); 45 seats (the bracket for 500k–1M people)
    assign = {k: f"D{int(k[2]) + 1}" for k in g["code"]}
    pop = g.set_index("code")["population"]
    dpop = pd.Series(assign).map(lambda d: d).groupby(pd.Series(assign)).apply(lambda s: pop[s.index].sum())
    seats = allocate_dapil_seats(dpop, 45)["seats"].to_dict()
    return g, assign, seats


def test_check_valid_plan_has_no_violations():
    g, assign, seats = _columns_plan()
    v = check_plan(_plan(assign, seats), g, total_seats=45)
    assert v.empty, v


def test_check_flags_each_rule():
    g, assign, seats = _columns_plan()
    rules_of = lambda v: set(v.loc[v["severity"] == "violation", "rule"])  # noqa: E731

    a = dict(assign)
    a["k00"], a["k22"] = "D2", "D1"  # D1 = {k10, k20, k22}: not contiguous
    v = check_plan(_plan(a, seats), g, total_seats=45)
    assert "contiguity" in rules_of(v) and (v["dapil"] == "D1").any()

    split = pd.concat([_plan(assign, seats), _plan({"k00": "D2"}, seats)], ignore_index=True)
    assert "whole_kecamatan" in rules_of(check_plan(split, g, total_seats=45))

    missing = _plan({k: d for k, d in assign.items() if k != "k23"}, seats)
    assert "complete" in rules_of(check_plan(missing, g, total_seats=45))
    unknown = pd.concat([_plan(assign, seats), _plan({"zz9": "D3"}, seats)], ignore_index=True)
    assert "complete" in rules_of(check_plan(unknown, g, total_seats=45))

    wrong = dict(seats)
    wrong["D1"] += 1
    v = check_plan(_plan(assign, wrong), g, total_seats=45)
    assert {"seat_total", "proportional_allocation"} <= rules_of(v)

    small = {k: ("S" if k == "k00" else d) for k, d in assign.items()}
    v = check_plan(_plan(small, {**seats, "S": 1}), g, total_seats=45)
    assert "seat_range" in rules_of(v)
    big = dict.fromkeys(assign, "D1")
    assert "seat_range" in rules_of(check_plan(_plan(big, {"D1": 45}), g, total_seats=45))

    nopop = g.copy()
    nopop.loc[0, "population"] = np.nan
    assert "population" in rules_of(check_plan(_plan(assign, seats), nopop, total_seats=45))
    # a total that differs from the population bracket (45 here) is a note; the sum is checked against it
    v30 = check_plan(_plan(assign, seats), g, total_seats=30)
    assert "seat_total" in rules_of(v30)
    assert ((v30["rule"] == "seat_total") & (v30["severity"] == "note")).sum() == 1
    assert check_plan(_plan(assign, seats), g).empty  # default total from the bracket: 45


def test_load_plan_validation(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("kecamatan_code,dapil,seats\nk00,D1,5\nk01,D1,\nk02,D2,4\n")
    plan = load_plan(p)
    assert plan["seats"].tolist() == [5, 5, 4]
    p.write_text("kecamatan_code,dapil,seats\nk00,D1,5\nk01,D1,6\n")
    with pytest.raises(InvalidInputError, match="different seat counts"):
        load_plan(p)
    p.write_text("kecamatan_code,dapil,seats\nk00,D1,5.5\n")
    with pytest.raises(InvalidInputError) as exc:
        load_plan(p)
    assert exc.value.field == "seats" and exc.value.file == str(p)
    p.write_text("kode,dapil\nk00,D1\n")
    with pytest.raises(InvalidInputError, match="kecamatan_code"):
        load_plan(p)


def test_propose_on_synthetic_grid_satisfies_rules():
    g = _grid(4, 5, seed=9)
    plan = propose_plan(g, total_seats=45, n_dapil=5, seed=2, restarts=8)
    assert plan.attrs["illustrative"] and (plan["plan_status"] == "ILLUSTRATIVE").all()
    assert plan["dapil"].str.startswith("ILLUSTRATIVE").all()
    v = check_plan(plan, g, total_seats=45)
    assert (v["severity"] != "violation").all(), v


# ----------------------------------------------------------------------------- real data: Serang

@pytest.fixture(scope="module")
def serang(data_dir):
    """Kecamatan of Kabupaten Serang dissolved from the HDX desa (district_code), with the 2017
    kecamatan populations; and the confirmed 2024 dapil memberships from the hand-written sources."""
    desa = gpd.read_file(data_dir / "boundaries" / "hdx_bps2020_desa_3604_kab_serang.geojson")
    desa["code"] = desa["district_code"].str.removeprefix("id")
    kec = desa.dissolve("code", as_index=False)[["code", "district", "geometry"]].rename(columns={"district": "name"})
    pop = pd.read_csv(data_dir / "population" / "kecamatan_population_kab_serang.csv", dtype={"kode_bps": str})
    pop = pop[pop["reference_year"] == 2017]
    kec = kec.merge(pop[["kode_bps", "population"]], left_on="code", right_on="kode_bps").drop(columns="kode_bps")
    assert len(kec) == 29 and kec["population"].sum() == 1_493_591
    src = pd.read_csv(data_dir / "dapil" / "dprd_kab_serang_dapil_partial.csv", dtype=str)
    src = src[src["election"] == "2024"]
    code_of = {n.lower(): c for c, n in zip(kec["code"], kec["name"])}
    d2 = src[src["dapil"].str.startswith("Dapil 2")].iloc[0]
    d2_names = d2["kecamatan"].split(";")
    d3 = src[src["dapil"].str.startswith("Dapil 3")].iloc[0]["kecamatan"].split(" (")[0]
    fixed = pd.DataFrame({
        "kecamatan_code": [code_of[n.strip().lower()] for n in d2_names] + [code_of[d3.lower()]],
        "dapil": ["Dapil 2"] * len(d2_names) + ["Dapil 3"],
        "seats": [int(d2["seats"])] * len(d2_names) + [np.nan],
    })
    return kec, fixed


def test_serang_adjacency_is_connected(serang):
    kec, _ = serang
    adj = kecamatan_adjacency(kec)
    queen = kecamatan_adjacency(kec, DapilRules(adjacency=Adjacency.QUEEN))
    assert set(zip(adj["code_a"], adj["code_b"])) <= set(zip(queen["code_a"], queen["code_b"]))
    import networkx as nx
    G = nx.Graph(list(zip(adj["code_a"], adj["code_b"])))
    assert G.number_of_nodes() == 29 and nx.is_connected(G)
    # shapely brute force: the same pairs share a boundary of positive length
    m = kec.to_crs(kec.estimate_utm_crs())
    geoms = dict(zip(m["code"], m.geometry))
    for a, b in zip(adj["code_a"], adj["code_b"]):
        assert geoms[a].buffer(1.0).intersection(geoms[b].boundary).length >= 10.0


def test_serang_proposal_keeps_dapil2_and_satisfies_rules(serang):
    kec, fixed = serang
    adj = kecamatan_adjacency(kec)
    plan = propose_plan(kec, total_seats=50, fixed=fixed, seed=0, adjacency=adj)
    d2 = plan[plan["dapil"] == "Dapil 2"]
    assert sorted(d2["name"]) == ["Cikande", "Jawilan", "Kibin", "Kopo", "Kragilan"]
    assert (d2["seats"] == 11).all() and (d2["plan_status"] == "CONFIRMED").all()
    assert plan.loc[plan["name"] == "Bandung", "dapil"].item() == "Dapil 3"
    assert plan.attrs["illustrative"] is True
    assert plan["note"].str.contains("ILLUSTRATIVE").all()
    assert (plan.loc[~plan["kecamatan_code"].isin(fixed["kecamatan_code"]), "plan_status"] == "ILLUSTRATIVE").all()
    assert plan.groupby("dapil")["seats"].first().sum() == 50 and len(plan) == 29
    v = check_plan(plan, kec, total_seats=50, adjacency=adj, confirmed_seats={"Dapil 2": 11})
    assert (v["severity"] != "violation").all(), v
    # With the 2017 populations Dapil 2's quota is 11.86 (12 seats by largest remainder): a note, not hidden.
    note = v[(v["rule"] == "proportional_allocation") & (v["dapil"] == "Dapil 2")]
    assert len(note) == 1 and note["severity"].item() == "note" and "11.864" in note["detail"].item()
    again = propose_plan(kec, total_seats=50, fixed=fixed, seed=0, adjacency=adj)
    pd.testing.assert_frame_equal(plan, again)
    # the known part alone is incomplete: every other kecamatan is reported
    known = check_plan(fixed.assign(seats=fixed["seats"]), kec, total_seats=50, adjacency=adj)
    assert (known["rule"] == "complete").sum() == 23


def test_cli_dapil_and_pilots_on_serang(serang, tmp_path):
    kec, fixed = serang
    zones = tmp_path / "kec.geojson"
    kec.to_file(zones, driver="GeoJSON")
    fixed_csv = tmp_path / "fixed.csv"
    fixed.to_csv(fixed_csv, index=False)
    out1, out2 = tmp_path / "plan1.csv", tmp_path / "plan2.csv"
    for out in (out1, out2):
        assert cli_main(["dapil", "propose", "serang", "--zones", str(zones), "--plan", str(fixed_csv),
                         "--seats", "50", "--seed", "3", "-o", str(out)]) == 0
    assert filecmp.cmp(out1, out2, shallow=False)  # byte-identical
    assert cli_main(["dapil", "check", "serang", "--zones", str(zones), "--plan", str(out1), "--confirmed",
                     str(fixed_csv), "-o", str(tmp_path / "check.csv")]) == 0
    assert cli_main(["dapil", "check", "serang", "--zones", str(zones), "--plan", str(fixed_csv), "--seats", "50",
                     "-o", str(tmp_path / "check2.csv")]) == 3
    # pilots on the illustrative plan with a synthetic (seeded) indicator table
    rng = np.random.default_rng(4)
    ind = tmp_path / "synthetic_indicators.csv"
    pd.DataFrame({"code": sorted(kec["code"]), "poverty_rate": rng.uniform(0.03, 0.2, 29).round(4),
                  "internet_coverage": rng.uniform(0.3, 1.0, 29).round(4)}).to_csv(ind, index=False)
    w = tmp_path / "w.toml"
    w.write_text('[dimensions.ahp]\nlabels = ["society", "living"]\nmatrix = [[1, 2], ["1/2", 1]]\n')
    res = []
    for i in (1, 2):
        out = tmp_path / f"pilots{i}.csv"
        assert cli_main(["pilots", "serang", "--zones", str(zones), "--plan", str(out1), "--indicators", str(ind),
                         "--weights", str(w), "--mode", "need", "--method", "topsis", "--draws", "500",
                         "-o", str(out)]) == 0
        res.append(out)
    assert filecmp.cmp(res[0], res[1], shallow=False)
    t = pd.read_csv(res[0], dtype={"code": str})
    assert len(t) == 29 and t.groupby("dapil")["selected"].sum().eq(1).all()
    assert t["dapil_source"].str.startswith("ILLUSTRATIVE").all()
    assert ((t["p_selected"] >= 0) & (t["p_selected"] <= 1)).all()
