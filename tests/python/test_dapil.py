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
    NoPlanError,
    ProposalOptions,
    allocate_dapil_seats,
    check_plan,
    contiguity_links,
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
    def rules_of(v):
        return set(v.loc[v["severity"] == "violation", "rule"])

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


# ----------------------------------------------------------------------------- exact model: brute force

def _partitions(items):
    """Every set partition of ``items`` (Bell(n) of them)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for p in _partitions(rest):
        for i in range(len(p)):
            yield p[:i] + [[first] + p[i]] + p[i + 1:]
        yield [[first]] + p


def _brute_force(zones, seats, rules=None, n_dapil=None, fixed=None):
    """All plans of whole kecamatan by enumeration: the fewest dapil with a valid plan, and for it
    the least largest deviation of the population per seat and then the least cut boundary length.
    Contiguity by networkx on the same links; seats by the same largest-remainder rule."""
    import networkx as nx

    rules = rules or DapilRules()
    links = contiguity_links(zones, rules)
    codes = sorted(zones["code"])
    G = nx.Graph()
    G.add_nodes_from(codes)
    G.add_edges_from(zip(links["code_a"], links["code_b"]))
    length = {(a, b): s for a, b, s in zip(links["code_a"], links["code_b"], links["shared_length_m"])}
    pop = zones.set_index("code")["population"]
    fixed = fixed or {}
    bppd = pop.sum() / seats
    found = []
    for part in _partitions(codes):
        if n_dapil is not None and len(part) != n_dapil:
            continue
        if any(not nx.is_connected(G.subgraph(b)) for b in part):
            continue
        labels = []
        for b in part:
            fl = {fixed[c][0] for c in b if c in fixed}
            labels.append(fl.pop() if len(fl) == 1 else None)
        conf = {}
        ok = True
        for lab in {fixed[c][0] for c in fixed}:  # a fixed dapil is exactly one block, with its members
            blocks = [i for i, b in enumerate(part) if lab in {fixed[c][0] for c in b if c in fixed}]
            ok &= len(blocks) == 1 and set(part[blocks[0]]) == {c for c in fixed if fixed[c][0] == lab}
            conf[lab] = fixed[next(c for c in fixed if fixed[c][0] == lab)][1]
        if not ok or any(lab is None and any(c in fixed for c in b) for lab, b in zip(labels, part)):
            continue
        names = [lab if lab is not None else f"B{i}" for i, lab in enumerate(labels)]
        dpop = pd.Series({nm: float(pop[b].sum()) for nm, b in zip(names, part)})
        s = allocate_dapil_seats(dpop, seats, fixed_seats=conf)["seats"]
        if not s.between(rules.min_seats, rules.max_seats).all():
            continue
        t = max((abs(dpop[nm] / (s[nm] * bppd) - 1) for nm in names if nm not in conf), default=0.0)
        block = {c: i for i, b in enumerate(part) for c in b}
        cut = sum(v for (a, b), v in length.items() if block[a] != block[b])
        found.append((len(part), t, cut))
    if not found:
        return None
    d = min(f[0] for f in found)
    t = min(f[1] for f in found if f[0] == d)
    cut = min(f[2] for f in found if f[0] == d and f[1] <= t + 1e-7)
    return d, t, cut


#: no node limit: small models are solved to proven optimality
EXACT = ProposalOptions(node_limit=None, time_limit_s=None, compactness_node_limit=None)


def _crafted(seed=5):
    """Seven kecamatan of unequal shape: four 5 km squares below three rectangles of 7, 6 and 7 km
    (so shared boundaries differ), seeded populations."""
    rng = np.random.default_rng(seed)
    x0, y0 = 600_000, 9_300_000
    shapes = [box(x0 + i * 5000, y0, x0 + (i + 1) * 5000, y0 + 5000) for i in range(4)]
    shapes += [box(x0, y0 + 5000, x0 + 7000, y0 + 10_000), box(x0 + 7000, y0 + 5000, x0 + 13_000, y0 + 10_000),
               box(x0 + 13_000, y0 + 5000, x0 + 20_000, y0 + 10_000)]
    return gpd.GeoDataFrame({"code": [f"c{i}" for i in range(7)], "name": [f"Crafted {i}" for i in range(7)],
                             "population": rng.integers(20_000, 80_000, 7).astype(float)},
                            geometry=shapes, crs="EPSG:32748")


@pytest.mark.parametrize("seed,seats,n_dapil", [(5, 25, None), (5, 25, 4), (11, 30, 3)])
def test_proposal_is_optimal_against_brute_force(seed, seats, n_dapil):
    g = _crafted(seed)
    want = _brute_force(g, seats, n_dapil=n_dapil)
    assert want is not None
    plan = propose_plan(g, total_seats=seats, n_dapil=n_dapil, options=EXACT)
    assert plan.attrs["status"] == "optimal" and plan.attrs["compactness_status"] == "optimal"
    assert plan.attrs["n_dapil"] == want[0]
    assert plan.attrs["max_deviation"] == pytest.approx(want[1], abs=1e-9)
    assert plan.attrs["bound"] == pytest.approx(want[1], abs=1e-6)  # certified: the bound meets the optimum
    assert plan.attrs["cut_boundary_m"] == pytest.approx(want[2], rel=1e-9)
    v = check_plan(plan, g, total_seats=seats)
    assert (v["severity"] != "violation").all(), v


def _clustered_grid():
    """Nine 5 km squares (3×3) with a population cluster in one corner: 20,000 per square plus
    250,000·exp(−d²/(2·(6 km)²)) with d the distance from the corner (0, 0) to the square's centre."""
    x0, y0 = 600_000, 9_300_000
    cells = [(i, j) for j in range(3) for i in range(3)]
    d2 = np.array([((i + 0.5) * 5000) ** 2 + ((j + 0.5) * 5000) ** 2 for i, j in cells])
    pop = np.round(20_000 + 250_000 * np.exp(-d2 / (2 * 6000.0 ** 2)))
    return gpd.GeoDataFrame({"code": [f"g{k}" for k in range(9)], "name": [f"Grid {k}" for k in range(9)],
                             "population": pop},
                            geometry=[box(x0 + i * 5000, y0 + j * 5000, x0 + (i + 1) * 5000, y0 + (j + 1) * 5000)
                                      for i, j in cells], crs="EPSG:32748")


def _serang_patch(kec, n=8):
    """The first ``n`` kecamatan of Kabupaten Serang reached by breadth-first search from the lowest
    code over the rook adjacency (a connected patch of real boundaries with real populations)."""
    links = contiguity_links(kec, DapilRules())
    nb = {}
    for a, b in zip(links["code_a"], links["code_b"]):
        nb.setdefault(a, set()).add(b)
        nb.setdefault(b, set()).add(a)
    order, queue = [], [min(kec["code"])]
    while queue and len(order) < n:
        c = queue.pop(0)
        if c not in order:
            order.append(c)
            queue += sorted(nb.get(c, ()))
    return kec[kec["code"].isin(order)].reset_index(drop=True)


@pytest.mark.parametrize("family", ["clustered", "real"])
def test_proposal_is_optimal_against_brute_force_on_other_families(family, serang):
    """Clustered synthetic populations and a patch of real Serang kecamatan (2017 populations): the
    proposer's plan equals the enumeration of every partition, and its bound meets the optimum."""
    g = _clustered_grid() if family == "clustered" else _serang_patch(serang[0])
    seats = 30 if family == "clustered" else 25
    want = _brute_force(g, seats)
    assert want is not None
    plan = propose_plan(g, total_seats=seats, options=EXACT)
    assert plan.attrs["status"] == "optimal" and plan.attrs["compactness_status"] == "optimal"
    assert plan.attrs["n_dapil"] == want[0]
    assert plan.attrs["max_deviation"] == pytest.approx(want[1], abs=1e-9)
    assert plan.attrs["bound"] == pytest.approx(want[1], abs=1e-6)
    assert plan.attrs["cut_boundary_m"] == pytest.approx(want[2], rel=1e-9)
    v = check_plan(plan, g, total_seats=seats)
    assert (v["severity"] != "violation").all(), v


def test_proposal_keeps_confirmed_part_optimal():
    g = _crafted(7)
    fixed = pd.DataFrame({"kecamatan_code": ["c0", "c4"], "dapil": ["Dapil 1", "Dapil 1"], "seats": [6, 6]})
    plan = propose_plan(g, total_seats=25, fixed=fixed, options=EXACT)
    d1 = plan[plan["dapil"] == "Dapil 1"]
    assert sorted(d1["kecamatan_code"]) == ["c0", "c4"] and (d1["seats"] == 6).all()
    assert (d1["plan_status"] == "CONFIRMED").all()
    want = _brute_force(g, 25, fixed={"c0": ("Dapil 1", 6), "c4": ("Dapil 1", 6)})
    assert plan.attrs["n_dapil"] == want[0]
    assert plan.attrs["max_deviation"] == pytest.approx(want[1], abs=1e-9)
    v = check_plan(plan, g, total_seats=25, confirmed_seats={"Dapil 1": 6})
    assert (v["severity"] != "violation").all(), v


# ----------------------------------------------------------------------------- proofs of infeasibility

def _star(quotas):
    """A centre square with three leaves (west, east, north); population = quota × 1000 at 20 seats."""
    at = {"C": (0, 0), "L1": (-1, 0), "L2": (1, 0), "L3": (0, 1)}
    x0, y0 = 600_000, 9_300_000
    return gpd.GeoDataFrame({"code": list(at), "name": [f"Kec {k}" for k in at],
                             "population": [quotas[k] * 1000.0 for k in at]},
                            geometry=[box(x0 + x * 5000, y0 + y * 5000, x0 + x * 5000 + 5000, y0 + y * 5000 + 5000)
                                      for x, y in at.values()], crs="EPSG:32748")


def test_infeasible_plans_are_proven_with_the_reason():
    # one kecamatan alone is worth more than 12 seats
    g = _star({"C": 1, "L1": 2, "L2": 2, "L3": 15})
    with pytest.raises(NoPlanError) as exc:
        propose_plan(g, total_seats=20)
    assert any("Kec L3 (L3) alone has quota 15.000" in r and "15 seats > 12" in r for r in exc.value.reasons)
    assert any("needs desa building blocks" in r for r in exc.value.reasons)
    # too few kecamatan for the seats
    few = _star({"C": 12.5, "L1": 12.5, "L2": 12.5, "L3": 12.5})
    with pytest.raises(NoPlanError) as exc:
        propose_plan(few, total_seats=50, options=ProposalOptions(split=False))
    assert any("only 4 kecamatan for 50 seats" in r and "5 dapil" in r for r in exc.value.reasons)
    # contiguity: two dapil would need a lone leaf (6 seats) and the rest (14 > 12) — MILP proves it
    g = _star({"C": 1, "L1": 6.33, "L2": 6.33, "L3": 6.34})
    assert _brute_force(g, 20, n_dapil=2) is None
    with pytest.raises(NoPlanError) as exc:
        propose_plan(g, total_seats=20, n_dapil=2)
    assert any("2 dapil" in r and "proven infeasible" in r for r in exc.value.reasons)
    # …while three dapil work: the centre joins the leaf with the largest remainder
    plan = propose_plan(g, total_seats=20)
    assert plan.attrs["n_dapil"] == 3 and plan.attrs["status"] == "optimal"
    assert _brute_force(g, 20)[0] == 3


# ----------------------------------------------------------------------------- split kecamatan, islands

def _blocks(kec_pops, seats_total=None):
    """Kecamatan K0.. in a row, each a 2×2 block of 2.5 km desa squares; desa populations equal
    within a kecamatan. Returns (kecamatan, desa)."""
    x0, y0 = 600_000, 9_300_000
    drecs, krecs = [], []
    for k, p in enumerate(kec_pops):
        kc = f"K{k}"
        for i in range(2):
            for j in range(2):
                xa, ya = x0 + k * 5000 + i * 2500, y0 + j * 2500
                drecs.append({"code": f"{kc}d{i}{j}", "kecamatan_code": kc, "name": f"Desa {kc}{i}{j}",
                              "population": p / 4, "geometry": box(xa, ya, xa + 2500, ya + 2500)})
        krecs.append({"code": kc, "name": f"Kec {k}", "population": float(p),
                      "geometry": box(x0 + k * 5000, y0, x0 + (k + 1) * 5000, y0 + 5000)})
    return gpd.GeoDataFrame(krecs, crs="EPSG:32748"), gpd.GeoDataFrame(drecs, crs="EPSG:32748")


def test_split_only_when_needed(tmp_path):
    # K0 holds 70% of 20 seats (quota 14 > 12): whole kecamatan cannot satisfy the rules
    kec, desa = _blocks([70_000, 10_000, 10_000, 10_000])
    with pytest.raises(NoPlanError, match=r"alone has quota 14\.000"):
        propose_plan(kec, total_seats=20)
    plan = propose_plan(kec, total_seats=20, desa=desa)
    assert plan.attrs["split_kecamatan"] == ["K0"] and plan.attrs["split_parts"] == 1  # two parts, the fewest
    parts = plan[plan["kecamatan_code"] == "K0"]
    assert len(parts) == 2 and (parts["desa_codes"] != "").all()
    assert sorted(";".join(parts["desa_codes"]).split(";")) == sorted(desa.loc[desa["kecamatan_code"] == "K0", "code"])
    assert (plan.loc[plan["kecamatan_code"] != "K0", "desa_codes"] == "").all()
    assert parts["population"].sum() == pytest.approx(70_000)
    assert plan.attrs["whole_kecamatan_reasons"] and "K0" in plan.attrs["whole_kecamatan_reasons"][0]
    v = check_plan(plan, kec, total_seats=20, desa=desa)
    assert (v["severity"] != "violation").all(), v
    note = v[v["rule"] == "split_kecamatan"]
    assert len(note) == 1 and note["severity"].item() == "note" and "2 parts" in note["detail"].item()
    # the plan row format survives a CSV round trip
    plan.to_csv(tmp_path / "plan.csv", index=False)
    back = load_plan(tmp_path / "plan.csv")
    assert (back["desa_codes"].fillna("") == plan["desa_codes"]).all()
    pd.testing.assert_frame_equal(check_plan(back, kec, total_seats=20, desa=desa), v)
    # the checker rejects a part that is not contiguous and a desa left out
    bad = plan.copy()
    i0, i1 = sorted(bad.index[bad["kecamatan_code"] == "K0"], key=lambda i: -len(bad.at[i, "desa_codes"]))
    a, b = bad.at[i0, "desa_codes"].split(";"), bad.at[i1, "desa_codes"].split(";")
    assert len(a) >= 2
    bad.at[i0, "desa_codes"] = ";".join(a[:-1])  # a desa left out
    vb = check_plan(bad, kec, total_seats=20, desa=desa)
    assert ((vb["rule"] == "split_kecamatan") & (vb["severity"] == "violation")).any()
    with_diag = ["K0d00", "K0d11"]  # diagonal desa touch at a point only: not a rook-contiguous part
    bad.at[i0, "desa_codes"] = ";".join(with_diag)
    bad.at[i1, "desa_codes"] = ";".join(sorted(set(a + b) - set(with_diag)))
    vb = check_plan(bad, kec, total_seats=20, desa=desa)
    assert vb["detail"].str.contains("separate pieces").any()
    # one desa alone worth 13.4 seats: even desa building blocks cannot satisfy the rules
    lumpy = desa.copy()
    lumpy["population"] = np.where(lumpy["code"] == "K0d00", 67_000.0,
                                   np.where(lumpy["kecamatan_code"] == "K0", 1_000.0, lumpy["population"]))
    with pytest.raises(NoPlanError) as exc:
        propose_plan(kec, total_seats=20, desa=lumpy)
    assert any("desa Desa K000 (K0d00) of kecamatan Kec 0 alone has quota 13.400" in r for r in exc.value.reasons)
    # balanced kecamatan with desa at hand: nothing is split
    kec2, desa2 = _blocks([25_000, 25_000, 25_000, 25_000])
    plan2 = propose_plan(kec2, total_seats=20, desa=desa2)
    assert plan2.attrs["split_kecamatan"] == [] and (plan2["desa_codes"] == "").all() and len(plan2) == 4


def test_too_few_kecamatan_are_split_into_the_fewest_parts():
    # 2 kecamatan, 30 seats: at least 3 dapil, so at least one extra part
    kec, desa = _blocks([150_000, 150_000])
    with pytest.raises(NoPlanError, match="only 2 kecamatan for 30 seats"):
        propose_plan(kec, total_seats=30)
    # 8 desa of quota 3.75: dapil of 2, 3 and 3 desa (7.5, 11.25, 11.25 → 8, 11, 11 seats); a whole
    # kecamatan (15 seats) fits no dapil, so both are split, each into two parts
    plan = propose_plan(kec, total_seats=30, desa=desa, options=EXACT)
    assert plan.attrs["n_dapil"] == 3 and plan.attrs["split_parts"] == 2 and plan.attrs["status"] == "optimal"
    assert sorted(plan.groupby("dapil")["seats"].first()) == [8, 11, 11]
    assert plan.attrs["split_kecamatan"] == ["K0", "K1"] and len(plan) == 4
    v = check_plan(plan, kec, total_seats=30, desa=desa)
    assert (v["severity"] != "violation").all(), v


def _island(sea_gap_m=10_000.0):
    """A 2×2 mainland of 5 km kecamatan and one island kecamatan ``sea_gap_m`` east of it, too
    small (quota 1.5 of 20 seats) to be a dapil of its own."""
    x0, y0 = 600_000, 9_300_000
    recs = []
    for i in range(2):
        for j in range(2):
            recs.append({"code": f"M{i}{j}", "name": f"Main {i}{j}", "population": 46_250.0,
                         "geometry": box(x0 + i * 5000, y0 + j * 5000, x0 + i * 5000 + 5000, y0 + j * 5000 + 5000)})
    xi = x0 + 10_000 + sea_gap_m
    recs.append({"code": "P0", "name": "Pulau", "population": 15_000.0, "geometry": box(xi, y0, xi + 3000, y0 + 3000)})
    return gpd.GeoDataFrame(recs, crs="EPSG:32748")


def test_island_joined_by_a_labelled_sea_link():
    g = _island()
    links = contiguity_links(g)
    sea = links[links["link"] == "sea"]
    assert len(sea) == 1 and sea["distance_m"].item() == pytest.approx(10_000.0)
    assert set(sea[["code_a", "code_b"]].iloc[0]) in ({"M10", "P0"}, {"M11", "P0"})
    plan = propose_plan(g, total_seats=20)
    assert len(plan.attrs["sea_links"]) == 1
    row = plan[plan["kecamatan_code"] == "P0"]
    assert "10.0 km" in row["sea_links"].item()
    v = check_plan(plan, g, total_seats=20)
    assert (v["severity"] != "violation").all(), v
    assert ((v["rule"] == "sea_link") & (v["severity"] == "note")).sum() == 1
    # the same plan without sea links is not contiguous, and with links up to 5 km no plan exists
    short = DapilRules(sea_link_m=5_000.0)
    assert (check_plan(plan, g, total_seats=20, rules=short)["rule"] == "contiguity").any()
    with pytest.raises(NoPlanError, match="proven infeasible"):
        propose_plan(g, total_seats=20, rules=short)


# ----------------------------------------------------------------------------- size: Kabupaten Serang, 29 kec / 326 desa

def test_serang_scale_proposal_with_desa(data_dir):
    import time

    import jangkau

    region = jangkau.Region.load("serang")
    kec = region.zones("kecamatan")
    desa = region.zones("desa")
    assert len(kec) == 29 and len(desa) == 326
    t0 = time.perf_counter()
    plan = propose_plan(kec, total_seats=50, desa=desa, options=ProposalOptions(time_limit_s=10))
    print(f"\nSerang, 29 kecamatan / 326 desa, 50 seats: {time.perf_counter() - t0:.1f} s, "
          f"{plan.attrs['n_dapil']} dapil, max deviation {plan.attrs['max_deviation']:.4f} "
          f"(bound {plan.attrs['bound']:.4f}, {plan.attrs['status']}), split {plan.attrs['split_kecamatan']}")
    assert plan.attrs["split_kecamatan"] == []  # whole kecamatan suffice, so nothing is split
    v = check_plan(plan, kec, total_seats=50, desa=desa)
    assert (v["severity"] != "violation").all(), v
    assert plan.attrs["bound"] <= plan.attrs["max_deviation"] + 1e-9


# ----------------------------------------------------------------------------- plans against the region (issue 15)

def test_plan_rows_are_validated_against_the_region(tmp_path):
    kec, _desa = _blocks([25_000, 25_000, 25_000, 25_000])
    f = tmp_path / "plan.csv"
    f.write_text("kecamatan_code,dapil,seats\nK0,A,10\nK1,A,10\nK2,B,10\nK9,B,10\n")
    with pytest.raises(InvalidInputError, match=r"row 5: kecamatan 'K9' is not a kecamatan of the region") as e:
        load_plan(f, zones=kec)
    assert e.value.file == str(f) and e.value.field == "kecamatan_code"
    f.write_text("kecamatan_code,dapil,seats\nK0,A,10\nK1,A,10\nK2,B,10\nK3,B,10\nK1,B,10\n")
    with pytest.raises(InvalidInputError, match=r"row 6: kecamatan 'K1' is in two dapil \('A' on row 3, 'B'\)"):
        load_plan(f, zones=kec)
    f.write_text("kecamatan_code,dapil,seats\nK0,A,10\nK1,A,10\nK2,B,10\nK3,B,10\nK3,B,10\n")
    with pytest.raises(InvalidInputError, match=r"listed twice"):
        load_plan(f, zones=kec)
    # without the region the reader keeps them, for check_plan to report
    assert len(load_plan(f)) == 5
    # a split kecamatan names the desa of each part: allowed
    f.write_text("kecamatan_code,dapil,seats,desa_codes\nK0,A,10,\nK1,A,10,K1d00;K1d01\nK1,B,10,K1d10;K1d11\n"
                 "K2,B,10,\nK3,B,10,\n")
    assert len(load_plan(f, zones=kec)) == 5


def test_cli_dapil_desa_seats_and_sea_links(tmp_path):
    kec, desa = _blocks([70_000, 10_000, 10_000, 10_000])
    zf, df = tmp_path / "kec.geojson", tmp_path / "desa.geojson"
    kec.to_file(zf, driver="GeoJSON")
    desa.to_file(df, driver="GeoJSON")
    out = tmp_path / "plan.csv"
    # --seats 0 (and negative) are refused before anything is written
    for bad in ("0", "-5"):
        assert cli_main(["dapil", "propose", "x", "--zones", str(zf), "--seats", bad, "-o", str(out)]) == 1
        assert not out.exists()
    # without desa, a kecamatan worth 14 seats has no plan; with --desa it is split
    assert cli_main(["dapil", "propose", "x", "--zones", str(zf), "--seats", "20", "-o", str(out)]) == 1
    assert cli_main(["dapil", "propose", "x", "--zones", str(zf), "--desa", str(df), "--seats", "20",
                     "-o", str(out)]) == 0
    plan = load_plan(out, zones=kec)
    assert (plan["kecamatan_code"] == "K0").sum() == 2
    chk = tmp_path / "check.csv"
    assert cli_main(["dapil", "check", "x", "--zones", str(zf), "--desa", str(df), "--seats", "20",
                     "--plan", str(out), "-o", str(chk)]) == 0
    assert (pd.read_csv(chk)["rule"] == "split_kecamatan").any()
    # an island: the sea link is written as a line layer beside the plan
    g = _island()
    zi = tmp_path / "island.geojson"
    g.to_file(zi, driver="GeoJSON")
    assert cli_main(["dapil", "propose", "x", "--zones", str(zi), "--seats", "20", "-o", str(tmp_path / "p.csv")]) == 0
    lines = gpd.read_file(tmp_path / "p.sea_links.geojson")
    assert len(lines) == 1 and lines["within_dapil"].item()
    assert lines["distance_km"].item() == pytest.approx(10.0)
    assert lines.to_crs("EPSG:32748").length.item() == pytest.approx(10_000.0, rel=1e-6)  # nearest points
    assert "not a KPU rule" in lines["assumption"].item()
