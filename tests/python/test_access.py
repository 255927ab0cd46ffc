"""jangkau.network.access against PySAL ``access`` (same cost tables) and hand-computed values.

Convention differences reconciled here (documented in docs/access.md):
* PySAL leaves demand locations with no facility in reach out of its result (NaN after the
  join); jangkau returns 0 for them. The comparison fills NaN with 0.
* PySAL's ``max_cost`` is inclusive (``cost <= max_cost``) and its ``step_fn`` zones are
  upper-inclusive (``x <= k``), as in jangkau.
* Gaussian 2SFCA: PySAL has no Dai (2010) weight, so the same function is passed to it as
  ``weight_fn`` together with ``max_cost = d0``.
"""

from __future__ import annotations

import itertools
import warnings

import access  # PySAL access (a test dependency: never skipped)
import numpy as np
import pandas as pd
import pytest
from access import weights as pysal_weights

import jangkau
from jangkau.network import access as ja

# PySAL access itself triggers a pandas deprecation warning; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning",
                                        "ignore::FutureWarning")

RTOL = 1e-9


def synthetic_table(seed, nd=60, ns=9, density=0.5):
    """Synthetic (seeded) demand x supply cost table in minutes, populations and capacities."""
    rng = np.random.default_rng(seed)
    d, s = np.meshgrid(np.arange(nd), np.arange(ns), indexing="ij")
    keep = rng.random(d.shape) < density
    d, s = d[keep], s[keep]
    cost = rng.uniform(0, 50, len(d))
    cost[rng.random(len(d)) < 0.05] = 30.0  # exactly at the 2SFCA threshold / a zone break
    cost[rng.random(len(d)) < 0.05] = 10.0
    population = rng.integers(1, 5000, nd).astype(float)
    capacity = rng.uniform(0, 20, ns)
    return d.astype(np.int64), s.astype(np.int64), cost, population, capacity


def pysal_access(d, s, cost, population, capacity):
    cost_df = pd.DataFrame({"origin": d, "dest": s, "cost": cost})
    demand_df = pd.DataFrame({"geoid": np.arange(len(population)), "pop": population})
    supply_df = pd.DataFrame({"geoid": np.arange(len(capacity)), "doc": capacity})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return access.Access(demand_df=demand_df, demand_index="geoid", demand_value="pop",
                             supply_df=supply_df, supply_index="geoid", supply_value=["doc"], cost_df=cost_df,
                             cost_origin="origin", cost_dest="dest", cost_name="cost")


def pysal_values(frame, column, n):
    return frame[column].reindex(range(n)).fillna(0.0).to_numpy()


def dai_gaussian(d0):
    floor = np.exp(-0.5)
    return lambda x: (np.exp(-0.5 * (x / d0) ** 2) - floor) / (1 - floor)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_2sfca_e2sfca_gaussian_equal_pysal(seed):
    d, s, cost, pop, cap = synthetic_table(seed)
    A = pysal_access(d, s, cost, pop, cap)
    n = len(pop)
    for max_cost in (30.0, 15.0):
        ours = ja.two_sfca(d, s, cost, pop, cap, max_cost=max_cost)
        theirs = A.two_stage_fca(name="x", max_cost=max_cost)
        np.testing.assert_allclose(ours.access, pysal_values(theirs, "x_doc", n), rtol=RTOL, atol=1e-300)
    ours = ja.e2sfca(d, s, cost, pop, cap)
    theirs = A.enhanced_two_stage_fca(name="e")  # PySAL default: step_fn({10: 1, 20: 0.68, 30: 0.22})
    np.testing.assert_allclose(ours.access, pysal_values(theirs, "e_doc", n), rtol=RTOL, atol=1e-300)
    breaks, weights = (5.0, 15.0, 25.0, 40.0), (1.0, 0.8, 0.4, 0.1)
    ours = ja.e2sfca(d, s, cost, pop, cap, breaks=breaks, weights=weights)
    theirs = A.enhanced_two_stage_fca(name="e4", weight_fn=pysal_weights.step_fn(dict(zip(breaks, weights))))
    np.testing.assert_allclose(ours.access, pysal_values(theirs, "e4_doc", n), rtol=RTOL, atol=1e-300)
    ours = ja.gaussian_2sfca(d, s, cost, pop, cap, max_cost=30.0)
    theirs = A.two_stage_fca(name="g", max_cost=30.0, weight_fn=dai_gaussian(30.0))
    np.testing.assert_allclose(ours.access, pysal_values(theirs, "g_doc", n), rtol=RTOL, atol=1e-15)


def test_hansen_gravity_equals_pysal_weighted_catchment():
    d, s, cost, pop, cap = synthetic_table(7)
    A = pysal_access(d, s, cost, pop, cap)
    ours = ja.gravity(d, s, cost, pop, cap, decay=ja.Decay.POWER, beta=1.5, min_cost=1.0)
    power = pysal_weights.gravity(scale=1.0, alpha=-1.5, min_dist=1.0)
    theirs = A.weighted_catchment(name="h", weight_fn=power)
    np.testing.assert_allclose(ours.access, pysal_values(theirs, "h_doc", len(pop)), rtol=RTOL)
    np.testing.assert_array_equal(ours.ratio, cap)
    expo = ja.gravity(d, s, cost, pop, cap, decay=ja.Decay.EXPONENTIAL, beta=0.1)
    theirs = A.weighted_catchment(name="x", weight_fn=lambda x: np.exp(-0.1 * x))
    np.testing.assert_allclose(expo.access, pysal_values(theirs, "x_doc", len(pop)), rtol=RTOL)


def test_hand_computed_2sfca_and_frames():
    # Demand 0 (P=100) -5- fac 0 (S=10) -25- demand 1 (P=200) -30- fac 1 (S=6) -10- demand 2 (P=300)
    d = [0, 1, 1, 2, 2]
    s = [0, 0, 1, 1, 0]
    cost = [5.0, 25.0, 30.0, 10.0, 40.0]
    r = ja.two_sfca(d, s, cost, [100, 200, 300], [10, 6], max_cost=30)
    np.testing.assert_allclose(r.ratio, [10 / 300, 6 / 500], rtol=1e-12)
    np.testing.assert_allclose(r.access, [10 / 300, 10 / 300 + 6 / 500, 6 / 500], rtol=1e-12)
    assert list(r.demand.columns) == ["population", "access"] and r.demand.index.name == "demand"
    assert list(r.supply.columns) == ["capacity", "catchment_demand", "ratio"]
    assert r.supply.index.name == "supply"
    assert r.access.dtype == np.float64 and r.ratio.dtype == np.float64
    assert r.catchment_demand.tolist() == [300.0, 500.0]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_supply_is_conserved(seed):
    d, s, cost, pop, cap = synthetic_table(seed, density=0.3)
    pop[::7] = 0.0  # some empty demand locations
    for res in (
        ja.two_sfca(d, s, cost, pop, cap, max_cost=20),
        ja.e2sfca(d, s, cost, pop, cap),
        ja.gaussian_2sfca(d, s, cost, pop, cap, max_cost=25),
        ja.gravity(d, s, cost, pop, cap, competition=True),
        ja.floating_catchment(d, s, cost, pop, cap, decay=ja.Decay.EXPONENTIAL, beta=0.2),
    ):
        served = cap[res.catchment_demand > 0].sum()
        assert np.isclose((pop * res.access).sum(), served, rtol=1e-10)


def test_exceptions_and_dtypes():
    d, s, cost, pop, cap = synthetic_table(5)
    bad = cost.copy()
    bad[3] = np.nan
    with pytest.raises(jangkau.InvalidInputError) as e:
        ja.two_sfca(d, s, bad, pop, cap, max_cost=30)
    assert e.value.feature == 3 and e.value.field == "cost"
    bad_s = s.copy()
    bad_s[4] = len(cap)
    with pytest.raises(ValueError) as e:
        ja.two_sfca(d, bad_s, cost, pop, cap, max_cost=30)
    assert e.value.feature == 4 and e.value.field == "supply"
    bad_pop = pop.copy()
    bad_pop[2] = -1
    with pytest.raises(jangkau.InvalidInputError) as e:
        ja.e2sfca(d, s, cost, bad_pop, cap)
    assert e.value.feature == 2 and e.value.field == "population"
    with pytest.raises(jangkau.InvalidInputError):
        ja.two_sfca(d, s, cost, pop, cap, max_cost=0)
    with pytest.raises(jangkau.InvalidInputError):
        ja.e2sfca(d, s, cost, pop, cap, breaks=(10, 5), weights=(1, 0.5))
    with pytest.raises(jangkau.InvalidInputError):
        ja.gravity(d, s, cost, pop, cap, decay=ja.Decay.STEP)
    with pytest.raises(jangkau.InvalidInputError):
        ja.floating_catchment(d, s, cost, pop, cap, decay="step")
    with pytest.raises(jangkau.InvalidInputError):
        ja.two_sfca(d[:-1], s, cost, pop, cap, max_cost=30)
    # Integer-valued inputs of other dtypes are accepted; an inf cost is unreachable, not an error.
    inf_cost = cost.copy()
    inf_cost[:] = np.inf
    r = ja.two_sfca(d.astype(np.int32), s.astype(np.float64), inf_cost, pop.astype(np.int64), cap,
                    max_cost=30)
    assert np.all(r.access == 0.0)


@pytest.mark.data
def test_2sfca_on_real_road_costs_equals_pysal(data_dir):
    """Cost table from the real Monaco OSM network; populations and facilities are
    synthetic (seeded), only the travel times are real."""
    from jangkau.network import Network
    from jangkau.network.roads import RoadNetwork

    rn = RoadNetwork.from_osm(data_dir / "roads" / "osm_monaco_osrm-backend.osm.pbf", keep_largest=True)
    net = Network.from_edges(rn.edge_from, rn.edge_to, node_count=rn.node_count, time_s=rn.edge_time_s)
    rng = np.random.default_rng(2026)
    demand_nodes = rng.choice(net.node_count, min(300, net.node_count), replace=False)
    facility_nodes = rng.choice(net.node_count, 12, replace=False)
    population = rng.integers(50, 2000, len(demand_nodes)).astype(float)  # synthetic
    capacity = rng.integers(1, 10, len(facility_nodes)).astype(float)  # synthetic
    tt = net.travel_time_matrix(facility_nodes, demand_nodes, cutoff=15 * 60)
    minutes = tt["cost"].to_numpy() / 60.0
    A = pysal_access(tt["target"].to_numpy(), tt["source"].to_numpy(), minutes, population, capacity)
    n = len(population)
    for max_cost in (3.0, 6.0):
        ours = ja.two_sfca(tt["target"], tt["source"], minutes, population, capacity, max_cost=max_cost)
        theirs = A.two_stage_fca(name="x", max_cost=max_cost)
        np.testing.assert_allclose(ours.access, pysal_values(theirs, "x_doc", n), rtol=RTOL, atol=1e-300)
        served = capacity[ours.catchment_demand > 0].sum()
        assert np.isclose((population * ours.access).sum(), served, rtol=1e-10)
    ours = ja.e2sfca(tt["target"], tt["source"], minutes, population, capacity, breaks=(2, 4, 6))
    theirs = A.enhanced_two_stage_fca(name="e", weight_fn=pysal_weights.step_fn({2: 1, 4: 0.68, 6: 0.22}))
    np.testing.assert_allclose(ours.access, pysal_values(theirs, "e_doc", n), rtol=RTOL, atol=1e-300)


def _grid_graph(seed, side=30):
    """Synthetic (seeded) road-like grid with bends (chains of degree-2 nodes), one-way
    pieces and travel times in seconds; returns (node_count, from, to, time_s)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side).reshape(side, side)
    pairs = np.concatenate([np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], 1),
                            np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], 1)])
    n = side * side
    frm, to = [], []
    for a, b in pairs:  # each link split into 0-2 bends
        chain = [a, *list(range(n, n + int(rng.integers(0, 3)))), b]
        n += len(chain) - 2
        for u, v in itertools.pairwise(chain):
            frm.append(u), to.append(v)
            if rng.random() > 0.1:  # 10 % one-way
                frm.append(v), to.append(u)
    frm, to = np.array(frm), np.array(to)
    time_s = rng.uniform(5, 60, len(frm))
    return n, frm, to, time_s


@pytest.mark.parametrize("seed", [5, 6])
def test_on_network_equals_scipy_table_and_pysal(seed):
    """One engine call (bounded searches feeding 2SFCA and E2SFCA) equals PySAL access on
    the cost table built with scipy's Dijkstra (indices=facilities, limit=cutoff), and
    equals the jangkau table route to the last bit. Graph, demand and supply synthetic."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from jangkau.network import Network

    n, frm, to, time_s = _grid_graph(seed)
    rng = np.random.default_rng(seed)
    dem = rng.choice(n, 300, replace=False)
    fac = rng.choice(n, 25, replace=False)
    pop = rng.integers(10, 3000, len(dem)).astype(float)
    cap = rng.integers(1, 9, len(fac)).astype(float)
    net = Network.from_edges(frm, to, node_count=n, time_s=time_s)
    cutoff_min = 12.0
    indices = {"2sfca": ja.Catchment.two_sfca(cutoff_min), "e2sfca": ja.Catchment.e2sfca(breaks=(4, 8, 12)),
               "gauss": ja.Catchment.gaussian_2sfca(cutoff_min), "hansen": ja.Catchment.gravity(beta=1.5)}
    res = ja.on_network(net, fac, dem, pop, cap, indices, cutoff=cutoff_min * 60, cost_divisor=60.0)
    assert list(res) == list(indices)
    # peer: scipy (lightest of parallel edges) + PySAL access
    frame = pd.DataFrame({"a": frm, "b": to, "w": time_s}).groupby(["a", "b"], as_index=False)["w"].min()
    csr = csr_matrix((frame["w"], (frame["a"], frame["b"])), shape=(n, n))
    dist = dijkstra(csr, directed=True, indices=fac, limit=cutoff_min * 60)[:, dem]
    j, i = np.nonzero(np.isfinite(dist))
    minutes = dist[j, i] / 60.0
    A = pysal_access(i, j, minutes, pop, cap)
    nd = len(dem)
    np.testing.assert_allclose(res["2sfca"].access, pysal_values(A.two_stage_fca(name="x", max_cost=cutoff_min),
                                                                 "x_doc", nd), rtol=RTOL, atol=1e-300)
    theirs = A.enhanced_two_stage_fca(name="e", weight_fn=pysal_weights.step_fn({4: 1, 8: 0.68, 12: 0.22}))
    np.testing.assert_allclose(res["e2sfca"].access, pysal_values(theirs, "e_doc", nd), rtol=RTOL, atol=1e-300)
    # jangkau's own table route: the same pair costs, summed in the same order
    tt = net.travel_time_matrix(fac, dem, cutoff=cutoff_min * 60)
    d, s, c = tt["target"].to_numpy(), tt["source"].to_numpy(), tt["cost"].to_numpy() / 60.0
    assert len(tt) == len(minutes)
    refs = {"2sfca": ja.two_sfca(d, s, c, pop, cap, max_cost=cutoff_min),
            "e2sfca": ja.e2sfca(d, s, c, pop, cap, breaks=(4, 8, 12)),
            "gauss": ja.gaussian_2sfca(d, s, c, pop, cap, max_cost=cutoff_min),
            "hansen": ja.gravity(d, s, c, pop, cap, beta=1.5)}
    for name, ref in refs.items():
        np.testing.assert_array_equal(res[name].access, ref.access)
        np.testing.assert_array_equal(res[name].ratio, ref.ratio)
        np.testing.assert_array_equal(res[name].catchment_demand, ref.catchment_demand)
    one = ja.on_network(net, fac, dem, pop, cap, {"x": indices["2sfca"]}, cutoff=cutoff_min * 60,
                        cost_divisor=60.0, threads=1)
    np.testing.assert_array_equal(one["x"].access, res["2sfca"].access)


def test_on_network_groups_offsets_and_bad_input():
    """Seeds with groups and offsets equal the hand-built table on a 4-node path; bad input
    raises InvalidInputError."""
    from jangkau.network import Network

    # 0 -> 1 -> 2 -> 3, 60 s each (one way)
    net = Network.from_edges([0, 1, 2], [1, 2, 3], node_count=4, time_s=[60.0, 60.0, 60.0])
    # facility 0 = seeds at nodes 0 (offset 30 s) and 2 (offset 150 s); facility 1 at node 3
    # demand 0 at node 1 (+0), demand 1 at node 3 (+60 s) or node 2 (+120 s)
    res = ja.on_network(net, [0, 2, 3], [1, 3, 2], [100.0, 50.0], [2.0, 1.0],
                        {"s": ja.Catchment.two_sfca(3.0)}, cutoff=600, cost_divisor=60.0,
                        supply_offsets=[30.0, 150.0, 0.0], supply_groups=[0, 0, 1],
                        demand_offsets=[0.0, 60.0, 120.0], demand_groups=[0, 1, 1])["s"]
    # times: f0->d0 = 30 + 60 s = 1.5 min; f0->d1 = min(210 + 60, 150 + 120) s = 4.5 min > 3;
    # f1->d0 unreachable (one way), f1->d1 = 0 + 60 s = 1 min. R = (2/100, 1/50), A = (0.02, 0.02)
    np.testing.assert_allclose(res.access, [0.02, 0.02], rtol=1e-15)
    np.testing.assert_allclose(res.catchment_demand, [100.0, 50.0])
    with pytest.raises(jangkau.InvalidInputError):
        ja.on_network(net, [0], [1], [1.0], [1.0], {}, cutoff=60)
    with pytest.raises(jangkau.InvalidInputError):
        ja.on_network(net, [0], [1], [1.0], [1.0], {"x": ja.Decay.STEP}, cutoff=60)
    with pytest.raises(jangkau.InvalidInputError):
        ja.on_network(net, [0], [9], [1.0], [1.0], {"x": ja.Catchment.two_sfca(1)}, cutoff=60)
    with pytest.raises(jangkau.InvalidInputError):
        ja.on_network(net, [0], [1], [-1.0], [1.0], {"x": ja.Catchment.two_sfca(1)}, cutoff=60)
    with pytest.raises(jangkau.InvalidInputError):
        ja.on_network(net, [0], [1], [1.0], [1.0], {"x": ja.Catchment.two_sfca(-1)}, cutoff=60)
    with pytest.raises(jangkau.InvalidInputError):
        ja.on_network("net", [0], [1], [1.0], [1.0], {"x": ja.Catchment.two_sfca(1)}, cutoff=60)
