"""The engine's local search (swap, variable neighbourhood search, LSCP 2-for-1 moves) against
exact optima: clustered point sets proven by HiGHS, and p-median on graph instances —
OR-Library's pmed1 (Beasley 1985/1990, published optimum 5819) kept as a fixture, and generated
graphs (random geometric, clustered) whose optima come from brute force and HiGHS in the test.
Graph costs are all-pairs shortest-path lengths, computed by Floyd–Warshall (scipy) as Beasley
specifies and cross-checked with networkx's Dijkstra."""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import floyd_warshall
from siting_cases import clustered

from jangkau import _core
from jangkau.selection import siting
from jangkau.selection.siting_instance import LSCP, MCLP, PMEDIAN, prepare

FIXTURES = Path(__file__).with_name("siting_fixtures")
PMED1_OPTIMUM = 5819.0  # published optimum of pmed1 (OR-Library), p = 5


def read_orlib_pmed(path: Path, duplicates: str = "last"):
    """(n, p, edge dict) of an OR-Library pmed file; a pair given twice keeps the last cost
    (``duplicates="last"``, Beasley's rule) or the cheaper one (``"min"``)."""
    rows = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    n, n_edges, p = (int(v) for v in rows[0])
    assert len(rows) - 1 == n_edges
    edges: dict[tuple[int, int], float] = {}
    for i, j, c in rows[1:]:
        key = (min(int(i), int(j)) - 1, max(int(i), int(j)) - 1)
        cost = float(c)
        edges[key] = cost if duplicates == "last" or key not in edges else min(edges[key], cost)
    return n, p, edges


def shortest_paths(n: int, edges: dict[tuple[int, int], float]) -> np.ndarray:
    i, j = np.array(list(edges)).T
    c = np.array(list(edges.values()))
    g = csr_matrix((np.concatenate([c, c]), (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(n, n))
    return floyd_warshall(g, directed=False)


def networkx_paths(n: int, edges: dict[tuple[int, int], float]) -> np.ndarray:
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from((a, b, c) for (a, b), c in edges.items())
    out = np.full((n, n), np.inf)
    for a, lengths in nx.all_pairs_dijkstra_path_length(g):
        for b, d in lengths.items():
            out[a, b] = d
    return out


def engine(model, w, cost, p, max_cost=None, **options):
    """The engine's heuristic with explicit SitingOptions (threads=1), e.g. ``shake_rounds=0,
    pair_moves=False`` for the search before variable neighbourhood search and 2-for-1 moves."""
    pr = prepare(model, w, cost, n_candidates=None, max_cost=max_cost, groups=None, quotas=None,
                 quota_mode="at_least", fixed=None, precovered=None, zones=None, floors=None)
    csc = pr.csc
    return _core.siting_solve(
        model, pr.w, csc.indptr.astype(np.int64), csc.indices.astype(np.int64),
        np.ascontiguousarray(csc.data, dtype=np.float64), pr.max_cost, int(p), pr.precovered, pr.fixed, pr.group,
        pr.quota, pr.mode, np.zeros(0, np.int32), pr.floor,
        options=_core.SitingOptions(threads=1, **options),
    )


OLD = {"shake_rounds": 0, "pair_moves": False}


def test_stronger_search_on_clustered_points_against_highs():
    """MCLP (p = 10) and LSCP on 12 clustered 2000 x 150 instances, r = 0.05, optima proven by
    HiGHS. Seen when written: without the new moves MCLP missed the optimum on seeds 1 and 9,
    LSCP on seeds 2, 5 and 7; with them MCLP misses only seed 9 and LSCP seeds 2 and 7 (7 by
    one site instead of two). Since the MCLP's Lagrangian uses weight-scaled steps and the search
    restarts from three of its site sets (core/siting_mclp_bb.hpp), MCLP misses no seed, with or
    without the new moves."""
    misses = {"mclp old": [], "mclp new": [], "lscp old": [], "lscp new": []}
    for seed in range(12):
        w, cost = clustered(seed, 2000, 150, k=5)
        exact = siting.mclp(w, cost, 10, max_cost=0.05, solver="milp", time_limit_s=300)
        assert exact.gap == 0
        old, new = engine(MCLP, w, cost, 10, 0.05, **OLD), engine(MCLP, w, cost, 10, 0.05)
        assert old.objective <= new.objective <= exact.objective
        assert new.bound >= exact.objective
        misses["mclp old"] += [seed] * (old.objective < exact.objective)
        misses["mclp new"] += [seed] * (new.objective < exact.objective)
        exact = siting.lscp(w, cost, max_cost=0.05, solver="milp", time_limit_s=300)
        assert exact.gap == 0
        old, new = engine(LSCP, w, cost, 0, 0.05, **OLD), engine(LSCP, w, cost, 0, 0.05)
        assert old.objective >= new.objective >= exact.objective
        assert new.bound <= exact.objective
        sites = np.asarray(new.sites)
        assert np.array_equal((cost[:, sites] <= 0.05).any(axis=1), (cost <= 0.05).any(axis=1))  # full cover
        misses["lscp old"] += [seed] * (old.objective > exact.objective)
        misses["lscp new"] += [seed] * (new.objective > exact.objective)
    assert misses == {"mclp old": [], "mclp new": [], "lscp old": [2, 5, 7], "lscp new": [2, 7]}


def test_pmed1_floyd_warshall_matches_networkx():
    n, p, edges = read_orlib_pmed(FIXTURES / "pmed1.txt")
    assert (n, p, len(edges)) == (100, 5, 198)  # 200 lines, two pairs given twice
    assert edges[(18, 19)] == 30 and edges[(29, 69)] == 74  # the last costs given
    d = shortest_paths(n, edges)
    np.testing.assert_array_equal(d, networkx_paths(n, edges))
    assert np.isfinite(d).all()


def test_pmed1_reaches_the_published_optimum():
    n, p, edges = read_orlib_pmed(FIXTURES / "pmed1.txt")
    cost = shortest_paths(n, edges)
    w = np.ones(n)
    milp = siting.p_median(w, cost, p, solver="milp", time_limit_s=300)
    auto = siting.p_median(w, cost, p, solver="auto", time_limit_s=300)
    greedy = siting.p_median(w, cost, p, solver="greedy", threads=1)
    assert milp.objective == PMED1_OPTIMUM and milp.gap == 0
    assert auto.objective == PMED1_OPTIMUM and auto.status == "optimal"
    # greedy + local search (with variable neighbourhood search): seen at the optimum here;
    # stated claim: within 1 % of it, and its certified bound below the optimum.
    assert greedy.objective <= PMED1_OPTIMUM * 1.01
    assert greedy.bound <= PMED1_OPTIMUM + 1e-9
    assert greedy.objective == pytest.approx(cost[:, greedy.sites].min(axis=1).sum())


def test_pmed1_duplicate_edge_rule_matters():
    """With the cheaper of the duplicated edges instead of the last one the optimum is not the
    published one: the published value fits Beasley's last-one-given rule."""
    n, p, edges = read_orlib_pmed(FIXTURES / "pmed1.txt", duplicates="min")
    cost = shortest_paths(n, edges)
    res = siting.p_median(np.ones(n), cost, p, solver="milp", time_limit_s=300)
    assert res.gap == 0
    assert res.objective != PMED1_OPTIMUM


def generated_graph(kind: str, seed: int, n: int):
    """SYNTHETIC graphs with a fixed seed: "rgg" = random geometric graph in the unit square
    (radius 0.3), "clustered" = four dense Gaussian clusters joined by a few long edges; edge
    cost = Euclidean length × 1000, rounded; only the largest component is kept."""
    rng = np.random.default_rng(seed)
    if kind == "rgg":
        xy = rng.random((n, 2))
        radius = 0.3
    else:
        centres = rng.random((4, 2))
        xy = centres[np.arange(n) % 4] + rng.normal(0, 0.05, (n, 2))
        radius = 0.12
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for a, b in itertools.combinations(range(n), 2):
        if np.hypot(*(xy[a] - xy[b])) <= radius:
            g.add_edge(a, b)
    if kind == "clustered":  # join the clusters by their nearest pairs
        for ca, cb in itertools.combinations(range(4), 2):
            a_nodes, b_nodes = np.arange(ca, n, 4), np.arange(cb, n, 4)
            dd = np.hypot(*(xy[a_nodes][:, None, :] - xy[b_nodes][None, :, :]).transpose(2, 0, 1))
            k = np.unravel_index(np.argmin(dd), dd.shape)
            g.add_edge(int(a_nodes[k[0]]), int(b_nodes[k[1]]))
    keep = sorted(max(nx.connected_components(g), key=len))
    index = {v: i for i, v in enumerate(keep)}
    edges = {
        (index[a], index[b]): float(round(1000 * np.hypot(*(xy[a] - xy[b]))))
        for a, b in g.subgraph(keep).edges
    }
    w = rng.integers(1, 10, len(keep)).astype(np.float64)
    return w, shortest_paths(len(keep), edges), edges


@pytest.mark.parametrize("kind", ["rgg", "clustered"])
@pytest.mark.parametrize("seed", range(3))
def test_generated_graphs_brute_force_and_highs(kind, seed):
    w, cost, edges = generated_graph(kind, seed, 26)
    np.testing.assert_array_equal(cost, networkx_paths(cost.shape[0], edges))
    for p in (2, 3, 4):
        best = min(float(w @ cost[:, list(s)].min(axis=1)) for s in itertools.combinations(range(cost.shape[0]), p))
        milp = siting.p_median(w, cost, p, solver="milp")
        auto = siting.p_median(w, cost, p)
        greedy = siting.p_median(w, cost, p, solver="greedy", threads=1)
        assert milp.objective == pytest.approx(best)
        assert auto.objective == pytest.approx(best) and auto.status == "optimal"
        assert greedy.objective == pytest.approx(best)  # seen on every instance here
        assert greedy.bound <= best * (1 + 1e-9)


def test_local_search_reaches_the_highs_optimum_on_a_clustered_graph():
    """A larger clustered graph (160 vertices) where HiGHS proves the optimum: the search with
    variable neighbourhood search never does worse than the one without (greedy + swap +
    Lagrangian restarts), and both reached the optimum when this was written (the plain greedy
    was 3.0 % and 5.5 % above it)."""
    w, cost, _ = generated_graph("clustered", 11, 160)
    for p in (6, 9):
        opt = siting.p_median(w, cost, p, solver="milp", time_limit_s=300)
        assert opt.gap == 0
        new = siting.p_median(w, cost, p, solver="greedy", threads=1)
        old = engine(PMEDIAN, w, cost, p, **OLD)
        assert new.objective <= old.objective + 1e-9
        assert new.objective == pytest.approx(opt.objective)
