"""The exact column proof of the dapil minimax deviation (jangkau.selection.dapil_columns): its
enumeration of connected sets against networkx, its optimum against brute force over every plan
(crafted uniform and clustered grids, real Kabupaten Serang kecamatan), a proof that the incumbent
is optimal, a better plan found, the confirmed part kept, and the ~30-kecamatan regencies proven."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from test_dapil import _serang_patch, serang  # noqa: F401  (serang: the module fixture)

import jangkau.selection.dapil_model as dm
from jangkau.selection.dapil import (
    ILLUSTRATIVE,
    DapilRules,
    ProposalOptions,
    allocate_dapil_seats,
    check_plan,
    contiguity_links,
    propose_plan,
)
from jangkau.selection.dapil_columns import connected_sets, solve_columns


def _grid(family, seed, nx_=4, ny=3):
    """A 4×3 grid of 5 km squares; populations uniform in [20,000, 80,000] ("uniform") or a cluster
    in the corner (0, 0): 20,000 + 250,000·exp(−d²/(2·(6 km)²))·U(0.7, 1.3) ("clustered")."""
    rng = np.random.default_rng(seed)
    x0, y0 = 600_000, 9_300_000
    cells = [(i, j) for j in range(ny) for i in range(nx_)]
    if family == "uniform":
        pop = rng.uniform(20_000, 80_000, len(cells)).round()
    else:
        d2 = np.array([((i + 0.5) * 5000) ** 2 + ((j + 0.5) * 5000) ** 2 for i, j in cells])
        pop = np.round(20_000 + 250_000 * np.exp(-d2 / (2 * 6000.0 ** 2)) * rng.uniform(0.7, 1.3, len(cells)))
    return gpd.GeoDataFrame({"code": [f"g{k:02d}" for k in range(len(cells))],
                             "name": [f"Grid {k}" for k in range(len(cells))], "population": pop},
                            geometry=[box(x0 + i * 5000, y0 + j * 5000, x0 + (i + 1) * 5000, y0 + (j + 1) * 5000)
                                      for i, j in cells], crs="EPSG:32748")


def _graph(zones):
    links = contiguity_links(zones, DapilRules())
    G = nx.Graph()
    G.add_nodes_from(sorted(zones["code"]))
    G.add_edges_from(zip(links["code_a"], links["code_b"]))
    return G, links


def _nx_connected_sets(G, pop, lo, hi):
    """Every node set with population in [lo, hi) connected in G: all subsets, networkx test."""
    nodes = sorted(G.nodes)
    return {frozenset(c) for k in range(1, len(nodes) + 1) for c in itertools.combinations(nodes, k)
            if lo <= sum(pop[v] for v in c) < hi and nx.is_connected(G.subgraph(c))}


def _all_plans(zones, seats, fixed=None, fixed_seats=None):
    """Brute force: every plan of whole kecamatan into connected dapil whose quotas lie in [2, 13)
    (needed for 3–12 seats), by exact cover over all connected sets (networkx); seats by the
    checker's largest-remainder allocation. Returns [(n_dapil, largest deviation, cut length)] of
    the plans meeting the seat range with the fewest dapil that have one. ``fixed``: code → label; ``fixed_seats``: label → seats
    (those dapil are closed)."""
    fixed, fixed_seats = fixed or {}, fixed_seats or {}
    G, links = _graph(zones)
    length = {(a, b): s for a, b, s in zip(links["code_a"], links["code_b"], links["shared_length_m"])}
    pop = zones.set_index("code")["population"].to_dict()
    codes = sorted(pop)
    total = sum(pop.values())
    conf_pop = sum(pop[c] for c, lab in fixed.items() if lab in fixed_seats)
    qs = (seats - sum(fixed_seats.values())) / (total - conf_pop)
    blocks = _nx_connected_sets(G, pop, 2 / qs, 13 / qs)
    blocks |= {frozenset(c for c, lab in fixed.items() if lab == d) for d in fixed_seats}
    by_low: dict[str, list[frozenset]] = {}
    for b in blocks:
        labs = {fixed[c] for c in b if c in fixed}
        members = {c for c, lab in fixed.items() if lab in labs}
        if len(labs) > 1 or members - b or (labs & set(fixed_seats) and b != members):
            continue  # one confirmed dapil per block, all its members; a closed one exactly
        by_low.setdefault(min(b), []).append(b)

    def cover(covered, part):
        rest = [c for c in codes if c not in covered]
        if not rest:
            yield list(part)
            return
        for b in by_low.get(rest[0], []):
            if not b & covered:
                yield from cover(covered | b, [*part, b])

    bppd = total / seats
    by_size: dict[int, list] = {}
    for part in cover(frozenset(), []):
        by_size.setdefault(len(part), []).append(part)
    found: list[tuple[int, float, float]] = []
    for part in (p for d in sorted(by_size) for p in by_size[d]):
        if found and len(part) > found[0][0]:
            break  # the fewest dapil with a valid plan are found
        names = []
        for b in part:
            labs = {fixed[c] for c in b if c in fixed}
            names.append(labs.pop() if labs else f"B{len(names)}")
        dpop = pd.Series({nm: float(sum(pop[c] for c in b)) for nm, b in zip(names, part)})
        s = allocate_dapil_seats(dpop, seats, fixed_seats=fixed_seats)["seats"]
        if not s.between(3, 12).all():
            continue
        t = max((abs(dpop[nm] / (s[nm] * bppd) - 1) for nm in names if nm not in fixed_seats), default=0.0)
        block = {c: i for i, b in enumerate(part) for c in b}
        found.append((len(part), t, sum(v for (a, b), v in length.items() if block[a] != block[b])))
    return found


def _best(found):
    d = min(f[0] for f in found)
    t = min(f[1] for f in found if f[0] == d)
    return d, t, min(f[2] for f in found if f[0] == d and f[1] <= t + 1e-7)


def _family(name, serang_kec):
    if name == "uniform":
        return _grid("uniform", 1), 25
    if name == "clustered":
        return _grid("clustered", 2), 35
    return _serang_patch(serang_kec, int(name.removeprefix("real"))), 25


_PLANS: dict[str, list] = {}


def _family_plans(name, serang_kec):
    """(zones, seats, every plan by :func:`_all_plans`) of a family, enumerated once per session."""
    zones, seats = _family(name, serang_kec)
    if name not in _PLANS:
        _PLANS[name] = _all_plans(zones, seats)
    return zones, seats, _PLANS[name]


@pytest.mark.parametrize("family", ["uniform", "clustered", "real14"])
def test_connected_sets_match_networkx(family, serang):  # noqa: F811
    zones, _seats = _family(family, serang[0])
    G, _links = _graph(zones)
    codes = sorted(G.nodes)
    idx = {c: i for i, c in enumerate(codes)}
    nb = [sum(1 << idx[w] for w in G[c]) for c in codes]
    pop = zones.set_index("code")["population"].to_dict()
    cap = 0.35 * sum(pop.values())
    got = [frozenset(codes[i] for i in range(len(codes)) if mask >> i & 1)
           for mask, _p in connected_sets(nb, [pop[c] for c in codes], cap)]
    assert len(got) == len(set(got))  # each set once
    assert set(got) == _nx_connected_sets(G, pop, 0.0, cap + 1e-6)


@pytest.mark.parametrize("family", ["uniform", "clustered", "real12", "real14"])
def test_column_proof_matches_brute_force(family, serang):  # noqa: F811
    """The column model with a cap admitting every plan is an exact solver on its own: its optimum
    (deviation, then boundary length) is the brute force's. And the proposer (flow MILP stopped at
    its root, then the column proof when the root did not prove it) returns that optimum, certified."""
    zones, seats, plans = _family_plans(family, serang[0])
    d, t_star, cut = _best(plans)
    g, spec = _model(zones, seats, d)
    res = solve_columns(g, spec, max(f[1] for f in plans))
    assert res.status == "optimal" and res.compactness_status == "optimal"
    sol = dm.evaluate(g, spec, res.assign)
    assert sol.max_deviation == pytest.approx(t_star, abs=1e-12) and sol.cut_m == pytest.approx(cut, rel=1e-9)
    plan = propose_plan(zones, total_seats=seats, options=ProposalOptions(node_limit=0, compactness_node_limit=None))
    assert plan.attrs["status"] == "optimal" and plan.attrs["compactness_status"] == "optimal"
    assert plan.attrs["n_dapil"] == d
    assert plan.attrs["max_deviation"] == pytest.approx(t_star, abs=1e-9)
    assert plan.attrs["bound"] == pytest.approx(t_star, abs=1e-9)
    assert plan.attrs["cut_boundary_m"] == pytest.approx(cut, rel=1e-9)
    v = check_plan(plan, zones, total_seats=seats)
    assert (v["severity"] != "violation").all(), v


def _model(zones, seats, n_dapil):
    pop = dict(zip(zones["code"], zones["population"].astype(float)))
    g = dm.piece_graph(sorted(pop), pop, contiguity_links(zones, DapilRules()))
    spec = dm.Spec([f"{ILLUSTRATIVE}-{i + 1}" for i in range(n_dapil)], {}, set(), {}, seats, 3, 12, sum(pop.values()))
    return g, spec


def test_proof_that_the_incumbent_is_optimal(serang):  # noqa: F811
    """With the optimum t* as the cap the column model returns t*; just below t* no plan exists
    (infeasible): that is the proof that no plan beats the incumbent."""
    zones, seats, plans = _family_plans("real14", serang[0])
    d, t_star, _cut = _best(plans)
    g, spec = _model(zones, seats, d)
    at = solve_columns(g, spec, t_star)
    assert at.status == "optimal" and at.deviation == pytest.approx(t_star, abs=1e-12)
    below = solve_columns(g, spec, t_star * (1 - 1e-6))
    assert below.status == "infeasible"
    plan = propose_plan(zones, total_seats=seats, options=ProposalOptions(node_limit=0))
    assert "proves the MILP plan's deviation optimal" in plan.attrs["proof"]


@pytest.mark.parametrize("family", ["uniform", "clustered", "real14"])
def test_proof_finds_a_better_plan(family, serang):  # noqa: F811
    """From a worse incumbent (any cap above the optimum: here the worst valid plan's deviation) the
    column model returns the brute-force optimum; the flow MILP's worse plan is replaced."""
    zones, seats, found = _family_plans(family, serang[0])
    d, t_star, cut = _best(found)
    worst = max(f[1] for f in found if f[0] == d)
    assert worst > t_star + 1e-4
    g, spec = _model(zones, seats, d)
    res = solve_columns(g, spec, worst)
    assert res.status == "optimal" and res.deviation == pytest.approx(t_star, abs=1e-12)
    sol = dm.evaluate(g, spec, res.assign)
    assert sol.max_deviation == pytest.approx(t_star, abs=1e-12) and sol.cut_m == pytest.approx(cut, rel=1e-9)
    # a weak flow MILP (one heuristic restart, root only, no stage 2) stopped above the optimum
    weak = dm.solve(g, spec, restarts=1, node_limit=0, compactness=False, column_max_sets=None)
    better = dm.solve(g, spec, restarts=1, node_limit=0, compactness=False)
    assert weak.status == "stopped" and weak.max_deviation > t_star + 1e-3
    assert better.status == "optimal" and better.max_deviation == pytest.approx(t_star, abs=1e-12)
    assert better.bound == pytest.approx(t_star, abs=1e-12)
    assert f"improves the MILP plan's {weak.max_deviation:.6f}" in better.proof


def test_proof_keeps_the_confirmed_part(serang):  # noqa: F811
    """A closed confirmed dapil (members and seats) and an open one (a member that others may join):
    the proven plan keeps both and equals the brute force with the same confirmed part."""
    zones, seats = _family("real14", serang[0])
    codes = sorted(zones["code"])
    G, _links = _graph(zones)
    a, b = codes[0], sorted(G[codes[0]])[0]
    other = next(c for c in reversed(codes) if c not in (a, b) and not set(G[c]) & {a, b})
    fixed = pd.DataFrame({"kecamatan_code": [a, b, other], "dapil": ["Dapil A", "Dapil A", "Dapil B"],
                          "seats": [6, 6, np.nan]})
    want = _best(_all_plans(zones, seats, fixed={a: "Dapil A", b: "Dapil A", other: "Dapil B"},
                            fixed_seats={"Dapil A": 6}))
    plan = propose_plan(zones, total_seats=seats, fixed=fixed, options=ProposalOptions(node_limit=0))
    assert plan.attrs["status"] == "optimal"
    assert plan.attrs["max_deviation"] == pytest.approx(want[1], abs=1e-9)
    assert plan.attrs["cut_boundary_m"] == pytest.approx(want[2], rel=1e-9)
    da = plan[plan["dapil"] == "Dapil A"]
    assert sorted(da["kecamatan_code"]) == sorted([a, b]) and (da["seats"] == 6).all()
    assert plan.loc[plan["kecamatan_code"] == other, "dapil"].item() == "Dapil B"
    v = check_plan(plan, zones, total_seats=seats, confirmed_seats={"Dapil A": 6})
    assert (v["severity"] != "violation").all(), v


@pytest.mark.parametrize("name", ["lebak", "serang", "tangerang"])
def test_thirty_kecamatan_regencies_are_proven(name):
    """The ~30-kecamatan regencies of Banten (region files, their populations): the flow MILP alone
    stops without proof; with the column proof the plan is optimal (bound = deviation), no worse, and
    the checker and an independent recomputation of the seats agree."""
    import jangkau

    region = jangkau.Region.load(name)
    kec = region.zones("kecamatan")
    kec = kec[kec["population"].notna()]
    total = float(kec["population"].sum())
    from jangkau.selection.dapil import regency_seats

    seats = regency_seats(total)
    # (the flow MILP's root only, to keep the test short: the proof does not need its 200 nodes)
    plan = propose_plan(kec, total_seats=seats, options=ProposalOptions(node_limit=0))
    assert plan.attrs["status"] == "optimal", plan.attrs["proof"]
    assert plan.attrs["proof"].startswith("column enumeration")
    assert plan.attrs["bound"] == pytest.approx(plan.attrs["max_deviation"], abs=1e-9)
    milp = propose_plan(kec, total_seats=seats, options=ProposalOptions(node_limit=0, column_max_sets=None,
                                                                        compactness=False))
    assert milp.attrs["status"] == "stopped"
    assert plan.attrs["max_deviation"] <= milp.attrs["max_deviation"] + 1e-12
    v = check_plan(plan, kec, total_seats=seats)
    assert (v["severity"] != "violation").all(), v
    dpop = plan.groupby("dapil")["population"].sum()
    s = allocate_dapil_seats(dpop, seats)["seats"]
    assert (s == plan.groupby("dapil")["seats"].first()).all()
    assert float((dpop / (s * total / seats) - 1).abs().max()) == pytest.approx(plan.attrs["max_deviation"], abs=1e-12)


def test_serang_with_its_confirmed_dapil_is_proven(serang):  # noqa: F811
    """All 29 kecamatan of Kab. Serang (2017 populations) with the confirmed 2024 Dapil 2 (closed, 11
    seats) and Dapil 3's known member: the flow MILP stops with a bound below its deviation; the
    column proof certifies the same plan (bound = deviation) and keeps the confirmed part."""
    from jangkau.selection.dapil import kecamatan_adjacency

    kec, fixed = serang
    adj = kecamatan_adjacency(kec)
    milp = propose_plan(kec, total_seats=50, fixed=fixed, adjacency=adj,
                        options=ProposalOptions(column_max_sets=None, compactness=False))
    plan = propose_plan(kec, total_seats=50, fixed=fixed, adjacency=adj)
    assert milp.attrs["status"] == "stopped" and milp.attrs["bound"] < milp.attrs["max_deviation"] - 1e-3
    assert plan.attrs["status"] == "optimal", plan.attrs["proof"]
    assert plan.attrs["bound"] == pytest.approx(plan.attrs["max_deviation"], abs=1e-9)
    assert plan.attrs["max_deviation"] <= milp.attrs["max_deviation"] + 1e-12
    d2 = plan[plan["dapil"] == "Dapil 2"]
    assert sorted(d2["name"]) == ["Cikande", "Jawilan", "Kibin", "Kopo", "Kragilan"] and (d2["seats"] == 11).all()
    assert plan.loc[plan["name"] == "Bandung", "dapil"].item() == "Dapil 3"
    v = check_plan(plan, kec, total_seats=50, adjacency=adj, confirmed_seats={"Dapil 2": 11})
    assert (v["severity"] != "violation").all(), v
