#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/network.hpp"

using namespace jangkau;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct EdgeList {
  std::size_t n = 0;
  std::vector<NodeIndex> from, to;
  std::vector<double> w;
  Graph graph() const { return Graph::from_edges(n, from, to, {std::span<const double>(w)}); }
  void add(NodeIndex a, NodeIndex b, double c) {
    from.push_back(a);
    to.push_back(b);
    w.push_back(c);
  }
  void add2(NodeIndex a, NodeIndex b, double c) {
    add(a, b, c);
    add(b, a, c);
  }
};

//   A small town (costs in minutes), two-way roads unless marked with an arrow:
//
//     0 --4-- 1 --1-- 2
//     |       |       |
//     2       5       1
//     |       |       v     (2 -> 5 is one-way)
//     3 --3-- 4       5 --2-- 6
//
//   7 --1-- 8   (an island: unreachable from the rest)
EdgeList town() {
  EdgeList e;
  e.n = 9;
  e.add2(0, 1, 4);
  e.add2(1, 2, 1);
  e.add2(0, 3, 2);
  e.add2(1, 4, 5);
  e.add2(3, 4, 3);
  e.add(2, 5, 1);
  e.add2(5, 6, 2);
  e.add2(7, 8, 1);
  return e;
}

// Random directed graph with integer weights (exact sums, so ties are exact too).
EdgeList random_graph(std::uint32_t seed, std::size_t n, std::size_t m, bool integer_weights) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<NodeIndex> node(0, static_cast<NodeIndex>(n) - 1);
  std::uniform_int_distribution<int> iw(0, 5);
  std::uniform_real_distribution<double> rw(0.0, 10.0);
  EdgeList e;
  e.n = n;
  for (std::size_t k = 0; k < m; ++k) e.add(node(rng), node(rng), integer_weights ? iw(rng) : rw(rng));
  return e;
}

std::vector<double> floyd_warshall(const EdgeList& e) {
  const std::size_t n = e.n;
  std::vector<double> d(n * n, kInf);
  for (std::size_t i = 0; i < n; ++i) d[i * n + i] = 0;
  for (std::size_t k = 0; k < e.from.size(); ++k) {
    auto& x = d[static_cast<std::size_t>(e.from[k]) * n + static_cast<std::size_t>(e.to[k])];
    x = std::min(x, e.w[k]);
  }
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) d[i * n + j] = std::min(d[i * n + j], d[i * n + k] + d[k * n + j]);
  return d;
}

bool close(double a, double b) {
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
}

// Nearest facility on g1 equals that on g2, a copy of g1 with one extra node at the end
// (added to force the radix heap), node for node.
void check_nearest_equal(const Graph& g1, const Graph& g2, const Seeds& seeds, const SearchOptions& o) {
  const auto a = nearest_facility(g1, seeds, o);
  const auto b = nearest_facility(g2, seeds, o);
  CHECK(std::vector<double>(a.cost.begin(), a.cost.end()) == std::vector<double>(b.cost.begin(), b.cost.end() - 1));
  CHECK(std::vector<NodeIndex>(a.facility.begin(), a.facility.end()) ==
        std::vector<NodeIndex>(b.facility.begin(), b.facility.end() - 1));
}

}  // namespace

TEST_CASE("CSR layout keeps out-edges in input order", "[network]") {
  EdgeList e;
  e.n = 3;
  e.add(2, 0, 1.5);
  e.add(0, 1, 2.5);
  e.add(2, 1, 3.5);
  const Graph g = e.graph();
  CHECK(g.node_count() == 3);
  CHECK(g.edge_count() == 3);
  CHECK(std::vector<std::int64_t>(g.offsets().begin(), g.offsets().end()) == std::vector<std::int64_t>{0, 1, 1, 3});
  CHECK(std::vector<std::int32_t>(g.targets().begin(), g.targets().end()) == std::vector<std::int32_t>{1, 0, 1});
  CHECK(std::vector<double>(g.weights(0).begin(), g.weights(0).end()) == std::vector<double>{2.5, 1.5, 3.5});
  CHECK(std::vector<std::int64_t>(g.edge_ids().begin(), g.edge_ids().end()) == std::vector<std::int64_t>{1, 0, 2});
  const Graph r = g.reversed();
  CHECK(std::vector<std::int64_t>(r.offsets().begin(), r.offsets().end()) == std::vector<std::int64_t>{0, 1, 3, 3});
  CHECK(std::vector<std::int64_t>(r.edge_ids().begin(), r.edge_ids().end()) == std::vector<std::int64_t>{0, 1, 2});
  CHECK_THROWS_AS(g.weights(1), InvalidInputError);
}

TEST_CASE("from_edges rejects bad ids and weights, naming the edge", "[network]") {
  std::vector<NodeIndex> from{0, 1}, to{1, 3};
  std::vector<double> w{1.0, 1.0};
  try {
    Graph::from_edges(3, from, to, {std::span<const double>(w)});
    FAIL("expected InvalidInputError");
  } catch (const InvalidInputError& err) {
    CHECK(err.context().feature == 1);
    CHECK(err.context().field == "to");
  }
  to = {1, 2};
  for (double bad : {-1.0, std::nan(""), kInf}) {
    w = {1.0, bad};
    try {
      Graph::from_edges(3, from, to, {std::span<const double>(w)});
      FAIL("expected InvalidInputError");
    } catch (const InvalidInputError& err) {
      CHECK(err.context().feature == 1);
      CHECK(err.context().field == "weight[0]");
    }
  }
  w = {1.0, 1.0};
  std::vector<NodeIndex> neg{-1, 0};
  CHECK_THROWS_AS(Graph::from_edges(3, neg, to, {std::span<const double>(w)}), InvalidInputError);
  std::vector<double> short_w{1.0};
  CHECK_THROWS_AS(Graph::from_edges(3, from, to, {std::span<const double>(short_w)}), InvalidInputError);
  CHECK_THROWS_AS(Graph::from_edges(3, from, to, {}), InvalidInputError);
  // An empty graph is fine.
  const Graph empty = Graph::from_edges(0, {}, {}, {std::span<const double>()});
  CHECK(empty.node_count() == 0);
}

TEST_CASE("single-source costs on the town picture", "[network]") {
  const Graph g = town().graph();
  const std::vector<NodeIndex> src{0};
  const auto d = shortest_path_costs(g, src);
  CHECK(d == std::vector<double>{0, 4, 5, 2, 5, 6, 8, kInf, kInf});
  // From 6 the one-way 2 -> 5 cannot be used backwards: only 5 and 6 are reachable.
  const std::vector<NodeIndex> src6{6};
  CHECK(shortest_path_costs(g, src6) == std::vector<double>{kInf, kInf, kInf, kInf, kInf, 2, 0, kInf, kInf});
}

TEST_CASE("cutoff is inclusive", "[network]") {
  const Graph g = town().graph();
  const std::vector<NodeIndex> src{0};
  SearchOptions o;
  o.cutoff = 5;  // nodes 2 and 4 are at exactly 5
  CHECK(shortest_path_costs(g, src, o) == std::vector<double>{0, 4, 5, 2, 5, kInf, kInf, kInf, kInf});
  o.cutoff = 4.999;
  CHECK(shortest_path_costs(g, src, o) == std::vector<double>{0, 4, kInf, 2, kInf, kInf, kInf, kInf, kInf});
  o.cutoff = 0;
  CHECK(shortest_path_costs(g, src, o) == std::vector<double>{0, kInf, kInf, kInf, kInf, kInf, kInf, kInf, kInf});
  o.cutoff = -1;
  CHECK_THROWS_AS(shortest_path_costs(g, src, o), InvalidInputError);
  o.cutoff = std::nan("");
  CHECK_THROWS_AS(shortest_path_costs(g, src, o), InvalidInputError);
}

TEST_CASE("nearest facility with offsets and ties on the town picture", "[network]") {
  const Graph g = town().graph();
  // Facility 0 at node 3; facility 1 halfway along the 1--2 road (offset 0.5 to each end);
  // facility 2 at node 6 behind a 1-minute walk.
  const std::vector<NodeIndex> node{3, 1, 2, 6};
  const std::vector<double> offset{0, 0.5, 0.5, 1};
  const std::vector<NodeIndex> group{0, 1, 1, 2};
  const auto r = nearest_facility(g, Seeds{node, offset, group});
  CHECK(r.cost == std::vector<double>{2, 0.5, 0.5, 0, 3, 1.5, 1, kInf, kInf});
  CHECK(r.facility == std::vector<NodeIndex>{0, 1, 1, 0, 0, 1, 2, -1, -1});

  // Exact tie at node 0 (cost 2 from both): the lower facility id wins, whatever the order.
  const std::vector<NodeIndex> node2{1, 3};
  const std::vector<double> off2{0, 0};
  const std::vector<NodeIndex> grp_a{1, 0}, grp_b{0, 1};
  EdgeList e = town();
  e.w[0] = e.w[1] = 2;  // 0 -- 1 now costs 2
  const Graph g2 = e.graph();
  CHECK(nearest_facility(g2, Seeds{node2, off2, grp_a}).facility[0] == 0);
  CHECK(nearest_facility(g2, Seeds{node2, off2, grp_b}).facility[0] == 0);

  SearchOptions o;
  o.cutoff = 1;
  const auto cut = nearest_facility(g, Seeds{node, offset, group}, o);
  CHECK(cut.facility == std::vector<NodeIndex>{-1, 1, 1, 0, -1, -1, 2, -1, -1});

  const std::vector<double> bad_offset{0, -0.5, 0.5, 1};
  CHECK_THROWS_AS(nearest_facility(g, Seeds{node, bad_offset, group}), InvalidInputError);
  const std::vector<NodeIndex> bad_node{3, 1, 2, 9};
  CHECK_THROWS_AS(nearest_facility(g, Seeds{bad_node, offset, group}), InvalidInputError);
}

TEST_CASE("cost matrix between located points on the town picture", "[network]") {
  const Graph g = town().graph();
  const std::vector<NodeIndex> snode{0, 5};
  const std::vector<NodeIndex> tnode{4, 1, 2, 6};
  const std::vector<double> toff{0, 0.5, 0.5, 0.25};
  const std::vector<NodeIndex> tgrp{0, 1, 1, 3};  // target group 2 has no seed
  SearchOptions o;
  o.cutoff = 6;
  const auto m = cost_matrix(g, Seeds{snode, {}, {}}, Seeds{tnode, toff, tgrp}, o);
  CHECK(m.source == std::vector<NodeIndex>{0, 0, 1});
  CHECK(m.target == std::vector<NodeIndex>{0, 1, 3});
  CHECK(m.cost == std::vector<double>{5, 4.5, 2.25});
  // No targets: every reached node, sorted by node.
  const auto all = cost_matrix(g, Seeds{snode, {}, {}}, Seeds{}, o);
  CHECK(all.source == std::vector<NodeIndex>{0, 0, 0, 0, 0, 0, 1, 1});
  CHECK(all.target == std::vector<NodeIndex>{0, 1, 2, 3, 4, 5, 5, 6});
  CHECK(all.cost == std::vector<double>{0, 4, 5, 2, 5, 6, 0, 2});
}

TEST_CASE("weak components and the largest one", "[network]") {
  const Graph g = town().graph();
  CHECK(weak_components(g) == std::vector<std::int64_t>{0, 0, 0, 0, 0, 0, 0, 1, 1});
  const Subgraph sub = largest_component(g);
  CHECK(sub.graph.node_count() == 7);
  CHECK(sub.parent_node == std::vector<NodeIndex>{0, 1, 2, 3, 4, 5, 6});
  CHECK(sub.graph.edge_count() == 13);
  // Edge ids still point into the original edge list.
  const auto e = town();
  for (std::size_t k = 0; k < sub.graph.edge_count(); ++k)
    CHECK(sub.graph.weights(0)[k] == e.w[static_cast<std::size_t>(sub.graph.edge_ids()[k])]);

  EdgeList iso;
  iso.n = 5;  // 0, 1 isolated; 2->3 and 4->3 weakly connected
  iso.add(2, 3, 1);
  iso.add(4, 3, 1);
  CHECK(weak_components(iso.graph()) == std::vector<std::int64_t>{1, 2, 0, 0, 0});
  std::vector<std::uint8_t> keep{1, 0, 1, 1, 0};
  const Subgraph s2 = induced_subgraph(iso.graph(), keep);
  CHECK(s2.parent_node == std::vector<NodeIndex>{0, 2, 3});
  CHECK(s2.graph.edge_count() == 1);
  CHECK(s2.graph.edge_ids()[0] == 0);
}

TEST_CASE("Dijkstra equals Floyd-Warshall on random graphs", "[network]") {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    const std::size_t n = 5 + seed * 2;
    const EdgeList e = random_graph(seed, n, n * 3, seed % 2 == 0);
    const Graph g = e.graph();
    const auto fw = floyd_warshall(e);
    std::vector<NodeIndex> all(n);
    for (std::size_t i = 0; i < n; ++i) all[i] = static_cast<NodeIndex>(i);
    for (double cutoff : {kInf, 7.0, 3.0}) {
      SearchOptions o;
      o.cutoff = cutoff;
      o.threads = 2;
      const auto d = shortest_path_costs(g, all, o);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) {
          const double expect = fw[i * n + j] <= cutoff ? fw[i * n + j] : kInf;
          INFO("seed " << seed << " cutoff " << cutoff << " " << i << "->" << j);
          CHECK(close(d[i * n + j], expect));
        }
    }
  }
}

TEST_CASE("multi-source search equals brute force over seeds", "[network]") {
  for (std::uint32_t seed = 100; seed < 120; ++seed) {
    const std::size_t n = 12 + seed % 7;
    const bool integer = seed % 2 == 0;
    const EdgeList e = random_graph(seed, n, n * 2, integer);
    const Graph g = e.graph();
    const auto fw = floyd_warshall(e);
    std::mt19937 rng(seed);
    const std::size_t k = 1 + seed % 5;
    std::vector<NodeIndex> node(k), group(k);
    std::vector<double> offset(k);
    for (std::size_t s = 0; s < k; ++s) {
      node[s] = std::uniform_int_distribution<NodeIndex>(0, static_cast<NodeIndex>(n) - 1)(rng);
      offset[s] = integer ? std::uniform_int_distribution<int>(0, 3)(rng)
                          : std::uniform_real_distribution<double>(0, 3)(rng);
      group[s] = std::uniform_int_distribution<NodeIndex>(0, 3)(rng);
    }
    for (double cutoff : {kInf, 6.0}) {
      SearchOptions o;
      o.cutoff = cutoff;
      const auto r = nearest_facility(g, Seeds{node, offset, group}, o);
      for (std::size_t v = 0; v < n; ++v) {
        double best = kInf;
        NodeIndex best_group = -1;
        for (std::size_t s = 0; s < k; ++s) {
          const double c = offset[s] + fw[static_cast<std::size_t>(node[s]) * n + v];
          if (c < best || (c == best && c < kInf && group[s] < best_group)) {
            best = c;
            best_group = group[s];
          }
        }
        if (best > cutoff) {
          best = kInf;
          best_group = -1;
        }
        INFO("seed " << seed << " node " << v);
        CHECK(close(r.cost[v], best));
        if (integer) {
          CHECK(r.facility[v] == best_group);  // exact ties: lowest group must win
        } else if (best_group >= 0) {
          // Real weights: the chosen facility must achieve the minimum.
          double via = kInf;
          for (std::size_t s = 0; s < k; ++s)
            if (group[s] == r.facility[v])
              via = std::min(via, offset[s] + fw[static_cast<std::size_t>(node[s]) * n + v]);
          CHECK(close(via, best));
        }
      }
      // cost_matrix: sources = seed groups, targets = random located points.
      std::vector<NodeIndex> tnode(6), tgroup(6);
      std::vector<double> toff(6);
      for (std::size_t t = 0; t < 6; ++t) {
        tnode[t] = std::uniform_int_distribution<NodeIndex>(0, static_cast<NodeIndex>(n) - 1)(rng);
        toff[t] = std::uniform_real_distribution<double>(0, 2)(rng);
        tgroup[t] = static_cast<NodeIndex>(t / 2);
      }
      for (int threads : {1, 2}) {
        o.threads = threads;
        const auto m = cost_matrix(g, Seeds{node, offset, group}, Seeds{tnode, toff, tgroup}, o);
        std::vector<double> dense(4 * 3, kInf);
        for (std::size_t q = 0; q < m.cost.size(); ++q) {
          if (q > 0)
            CHECK(
                (m.source[q - 1] < m.source[q] || (m.source[q - 1] == m.source[q] && m.target[q - 1] < m.target[q])));
          dense[static_cast<std::size_t>(m.source[q]) * 3 + static_cast<std::size_t>(m.target[q])] = m.cost[q];
        }
        for (NodeIndex sg = 0; sg < 4; ++sg)
          for (NodeIndex tg = 0; tg < 3; ++tg) {
            double best = kInf;
            for (std::size_t s = 0; s < k; ++s) {
              if (group[s] != sg) continue;
              for (std::size_t t = 0; t < 6; ++t) {
                if (tgroup[t] != tg) continue;
                const double path = fw[static_cast<std::size_t>(node[s]) * n + static_cast<std::size_t>(tnode[t])];
                // The search is cut at the cutoff before adding the target offset.
                if (offset[s] + path > cutoff) continue;
                best = std::min(best, offset[s] + path + toff[t]);
              }
            }
            if (best > cutoff) best = kInf;
            INFO("seed " << seed << " source group " << sg << " target group " << tg);
            CHECK(close(dense[static_cast<std::size_t>(sg) * 3 + static_cast<std::size_t>(tg)], best));
          }
      }
    }
  }
}

TEST_CASE("costs spanning many orders of magnitude (radix heap keys)", "[network]") {
  for (std::uint32_t seed = 40; seed < 46; ++seed) {
    EdgeList e = random_graph(seed, 30, 120, false);
    std::mt19937 rng(seed);
    for (auto& w : e.w) {
      const int kind = std::uniform_int_distribution<int>(0, 4)(rng);
      w = kind == 0 ? 0.0 : std::pow(10.0, std::uniform_real_distribution<double>(-12, 12)(rng));
    }
    const Graph g = e.graph();
    const auto fw = floyd_warshall(e);
    std::vector<NodeIndex> all(e.n);
    for (std::size_t i = 0; i < e.n; ++i) all[i] = static_cast<NodeIndex>(i);
    const auto d = shortest_path_costs(g, all);
    for (std::size_t k = 0; k < d.size(); ++k) CHECK(close(d[k], fw[k]));
    // Seeds with -0.0 offsets behave as +0.0.
    const std::vector<NodeIndex> node{0, 1};
    const std::vector<double> offset{-0.0, 0.0};
    const auto r = nearest_facility(g, Seeds{node, offset, {}});
    CHECK(r.cost[0] == 0.0);
    CHECK(r.facility[0] == 0);
  }
}

TEST_CASE("bucket queue and radix heap give identical results", "[network]") {
  for (std::uint32_t seed = 60; seed < 70; ++seed) {
    // Integer weights 1..4: many exact ties between facilities; all > 0, so the bucket queue
    // is used. A self loop of weight 1e-9 on an extra isolated node forces the radix heap
    // (max/min weight >= 2^16) without changing any other cost.
    EdgeList e = random_graph(seed, 40, 120, true);
    for (auto& w : e.w) w = 1 + std::fmod(w, 4.0);
    EdgeList forced = e;
    forced.n = e.n + 1;
    forced.add(static_cast<NodeIndex>(e.n), static_cast<NodeIndex>(e.n), 1e-9);
    const Graph g1 = e.graph(), g2 = forced.graph();
    std::mt19937 rng(seed);
    std::vector<NodeIndex> node(8), group(8);
    std::vector<double> offset(8);
    for (std::size_t k = 0; k < 8; ++k) {
      node[k] = std::uniform_int_distribution<NodeIndex>(0, 39)(rng);
      group[k] = std::uniform_int_distribution<NodeIndex>(0, 4)(rng);
      offset[k] = std::uniform_int_distribution<int>(0, 3)(rng);
    }
    for (double cutoff : {kInf, 5.0}) {
      SearchOptions o;
      o.cutoff = cutoff;
      check_nearest_equal(g1, g2, Seeds{node, offset, group}, o);
      const std::vector<NodeIndex> tn{1, 2, 3, 5, 8, 13, 21, 34};
      const auto m1 = cost_matrix(g1, Seeds{node, offset, group}, Seeds{tn, {}, {}}, o);
      const auto m2 = cost_matrix(g2, Seeds{node, offset, group}, Seeds{tn, {}, {}}, o);
      CHECK(m1.source == m2.source);
      CHECK(m1.target == m2.target);
      CHECK(m1.cost == m2.cost);
    }
  }
}

TEST_CASE("cost matrix rows equal dense searches, small and large reach", "[network]") {
  const EdgeList e = random_graph(9, 300, 900, false);
  const Graph g = e.graph();
  std::vector<NodeIndex> src{0, 7, 99, 150, 299};
  std::vector<NodeIndex> all(e.n);
  for (std::size_t i = 0; i < e.n; ++i) all[i] = static_cast<NodeIndex>(i);
  // Cutoff 0.5 reaches a handful of nodes (rows sorted by sorting), +inf most of them
  // (rows from a sequential scan); both must equal the dense costs.
  for (double cutoff : {0.5, 3.0, kInf}) {
    SearchOptions o;
    o.cutoff = cutoff;
    const auto dense = shortest_path_costs(g, src, o);
    for (bool located : {false, true}) {
      const auto m = located ? cost_matrix(g, Seeds{src, {}, {}}, Seeds{all, {}, all}, o)
                             : cost_matrix(g, Seeds{src, {}, {}}, Seeds{}, o);
      std::vector<double> back(src.size() * e.n, kInf);
      for (std::size_t q = 0; q < m.cost.size(); ++q) {
        if (q > 0) CHECK((m.source[q - 1] < m.source[q] || m.target[q - 1] < m.target[q]));
        back[static_cast<std::size_t>(m.source[q]) * e.n + static_cast<std::size_t>(m.target[q])] = m.cost[q];
      }
      CHECK(back == dense);
    }
  }
}

TEST_CASE("a reused search resets only what it touched", "[network]") {
  const EdgeList e = random_graph(7, 200, 600, false);
  const Graph g = e.graph();
  ShortestPathSearch search(g, 0);
  std::vector<NodeIndex> sources{5, 17, 5, 123};
  std::vector<std::vector<double>> first;
  for (auto s : sources) {
    search.run(Seeds{std::span<const NodeIndex>(&s, 1), {}, {}}, 8.0);
    first.push_back(search.costs());
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    ShortestPathSearch fresh(g, 0);
    fresh.run(Seeds{std::span<const NodeIndex>(&sources[i], 1), {}, {}}, 8.0);
    CHECK(fresh.costs() == first[i]);
  }
  CHECK(first[0] == first[2]);
  // Alternating runs with and without group tracking on one workspace.
  for (std::size_t i = 0; i < sources.size(); ++i) {
    SearchRun run;
    run.seeds = Seeds{std::span<const NodeIndex>(&sources[i], 1), {}, {}};
    run.cutoff = 8.0;
    run.track_groups = i % 2 == 0;
    search.run(run);
    CHECK(search.costs() == first[i]);
    for (auto u : search.settled()) CHECK(search.group(static_cast<std::size_t>(u)) == (i % 2 == 0 ? 0 : -1));
  }
  // Whole-graph runs (the reset then refills the arrays instead of scattering).
  std::vector<double> full;
  for (int k = 0; k < 3; ++k) {
    search.run(Seeds{std::span<const NodeIndex>(&sources[0], 1), {}, {}});
    if (k == 0) full = search.costs();
    CHECK(search.costs() == full);
  }
  search.run(Seeds{std::span<const NodeIndex>(&sources[1], 1), {}, {}}, 8.0);
  CHECK(search.costs() == first[1]);
}

TEST_CASE("two weight sets share the topology", "[network]") {
  EdgeList e = town();
  std::vector<double> length_m(e.w.size());
  for (std::size_t k = 0; k < e.w.size(); ++k) length_m[k] = 100.0 * static_cast<double>(k + 1);
  const Graph g = Graph::from_edges(e.n, e.from, e.to,
                                    {std::span<const double>(e.w), std::span<const double>(length_m)});
  CHECK(g.weight_count() == 2);
  const std::vector<NodeIndex> src{0};
  SearchOptions o;
  o.weight_set = 1;
  const auto d = shortest_path_costs(g, src, o);
  CHECK(d[1] == 100.0);  // edge 0: 0 -> 1
  CHECK(d[3] == 500.0);  // edge 4: 0 -> 3
  o.weight_set = 2;
  CHECK_THROWS_AS(shortest_path_costs(g, src, o), InvalidInputError);
}

namespace {

// A w x w grid, two-way, with seeded weights drawn from `weights` (road-like locality,
// many nodes per bucket for a narrow weight range, many empty buckets for a wide one).
EdgeList grid(std::size_t w, std::uint32_t seed, const std::vector<double>& weights) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, weights.size() - 1);
  EdgeList e;
  e.n = w * w;
  for (std::size_t r = 0; r < w; ++r)
    for (std::size_t c = 0; c < w; ++c) {
      const auto u = static_cast<NodeIndex>(r * w + c);
      if (c + 1 < w) e.add2(u, u + 1, weights[pick(rng)]);
      if (r + 1 < w) e.add2(u, u + static_cast<NodeIndex>(w), weights[pick(rng)]);
    }
  return e;
}

// The same graph plus an isolated node with a 1e-9 self loop: max/min weight >= 2^16, so
// every search on it uses the radix heap instead of the bucket queue.
EdgeList force_radix(EdgeList e) {
  e.add(static_cast<NodeIndex>(e.n), static_cast<NodeIndex>(e.n), 1e-9);
  ++e.n;
  return e;
}

}  // namespace

TEST_CASE("bucket queue equals radix heap with crowded and with sparse buckets", "[network]") {
  // Crowded: weights 1 and 1.5 on a 70 x 70 grid put hundreds of nodes in one bucket (many
  // chunks per bucket). Sparse: weights from 1 to 30000 leave most buckets empty.
  for (const auto& weights : {std::vector<double>{1.0, 1.5}, std::vector<double>{1.0, 7.0, 300.0, 30000.0}}) {
    const EdgeList e = grid(70, 5, weights);
    const Graph g1 = e.graph(), g2 = force_radix(e).graph();
    std::mt19937 rng(3);
    std::vector<NodeIndex> node(40), group(40);
    std::vector<double> offset(40);
    for (std::size_t k = 0; k < node.size(); ++k) {
      node[k] = std::uniform_int_distribution<NodeIndex>(0, static_cast<NodeIndex>(e.n) - 1)(rng);
      group[k] = static_cast<NodeIndex>(k % 13);
      offset[k] = std::uniform_int_distribution<int>(0, 2)(rng);
    }
    for (double cutoff : {kInf, 40.0}) {
      SearchOptions o;
      o.cutoff = cutoff;
      check_nearest_equal(g1, g2, Seeds{node, offset, group}, o);
      const std::vector<NodeIndex> src{0, 2450, 4899};
      const auto d1 = shortest_path_costs(g1, src, o);
      const auto d2 = shortest_path_costs(g2, src, o);
      for (std::size_t s = 0; s < src.size(); ++s)
        for (std::size_t v = 0; v < e.n; ++v) CHECK(d1[s * e.n + v] == d2[s * (e.n + 1) + v]);
    }
  }
}

TEST_CASE("a stopped run leaves settled costs final and the workspace clean", "[network]") {
  for (const auto& weights : {std::vector<double>{1.0, 1.5}, std::vector<double>{1.0, 7.0, 300.0, 30000.0}}) {
    for (bool radix : {false, true}) {
      const EdgeList base = grid(40, 11, weights);
      const EdgeList e = radix ? force_radix(base) : base;
      const Graph g = e.graph();
      ShortestPathSearch search(g, 0);
      const std::vector<NodeIndex> seeds{0, 820, 1599};
      const std::vector<NodeIndex> groups{2, 0, 1};
      search.run(Seeds{seeds, {}, groups});
      const auto full = search.costs();
      std::vector<NodeIndex> full_group(e.n);
      for (std::size_t v = 0; v < e.n; ++v) full_group[v] = search.group(v);
      // Stop after 25 of the flagged nodes (every 7th node) are settled.
      std::vector<std::uint8_t> flag(e.n, 0);
      for (std::size_t v = 0; v < e.n; v += 7) flag[v] = 1;
      SearchRun stop;
      stop.seeds = Seeds{seeds, {}, groups};
      stop.stop_nodes = flag;
      stop.stop_after = 25;
      search.run(stop);
      std::size_t flagged = 0;
      std::vector<std::uint8_t> is_settled(e.n, 0);
      for (auto u : search.settled()) {
        is_settled[static_cast<std::size_t>(u)] = 1;
        flagged += flag[static_cast<std::size_t>(u)];
        CHECK(search.cost(static_cast<std::size_t>(u)) == full[static_cast<std::size_t>(u)]);
        CHECK(search.group(static_cast<std::size_t>(u)) == full_group[static_cast<std::size_t>(u)]);
      }
      CHECK(flagged == 25);
      CHECK(search.settled().size() < e.n / 2);
      for (std::size_t v = 0; v < e.n; ++v)
        if (!is_settled[v]) {
          CHECK(search.cost(v) == kInf);
          CHECK(search.group(v) == -1);
        }
      // The same workspace, reused after the stop, equals a fresh search.
      const NodeIndex other = 1234;
      search.run(Seeds{std::span<const NodeIndex>(&other, 1), {}, {}}, 60.0);
      ShortestPathSearch fresh(g, 0);
      fresh.run(Seeds{std::span<const NodeIndex>(&other, 1), {}, {}}, 60.0);
      CHECK(search.costs() == fresh.costs());
      // take_costs hands the costs over and leaves a usable workspace.
      const auto taken = search.take_costs();
      CHECK(taken == fresh.costs());
      search.run(Seeds{seeds, {}, groups});
      CHECK(search.costs() == full);
    }
  }
}

// ------------------------------------------------------------------ the unified engine

namespace {

// A road-like random graph: a random core of `core` junctions whose links are subdivided
// into chains of 0-3 bend nodes (some one-way), plus dead-end spurs and isolated nodes
// (unreachable). Weights are multiples of 1/4 (sums exact, so ties are exact) in [0, 3],
// zero allowed when `zeros`.
EdgeList chained_graph(std::uint32_t seed, std::size_t core, bool zeros) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<NodeIndex> junction(0, static_cast<NodeIndex>(core) - 1);
  std::uniform_int_distribution<int> quarter(zeros ? 0 : 1, 12), bends(0, 3), coin(0, 5);
  EdgeList e;
  e.n = core;
  auto w = [&] { return quarter(rng) / 4.0; };
  for (std::size_t k = 0; k < 2 * core; ++k) {
    const NodeIndex a = junction(rng), b = junction(rng);
    const bool one_way = coin(rng) == 0;
    NodeIndex prev = a;
    const int chain = bends(rng);
    for (int q = 0; q <= chain; ++q) {
      const NodeIndex next = q == chain ? b : static_cast<NodeIndex>(e.n++);
      e.add(prev, next, w());
      if (!one_way) e.add(next, prev, w());
      prev = next;
    }
  }
  for (int s = 0; s < 3; ++s) {  // dead-end spur of two nodes
    const NodeIndex a = static_cast<NodeIndex>(e.n++), b = static_cast<NodeIndex>(e.n++);
    e.add2(junction(rng), a, w());
    e.add2(a, b, w());
  }
  e.n += 2;  // two isolated nodes
  return e;
}

// Brute force: Bellman-Ford per seed group; a node's cost is the minimum over groups, its
// group the lowest group attaining it (exact: every sum is exact).
void brute_force(const EdgeList& e, const Seeds& seeds, double cutoff, std::vector<double>& cost,
                 std::vector<NodeIndex>& group) {
  cost.assign(e.n, kInf);
  group.assign(e.n, -1);
  for (NodeIndex g = 0; g < static_cast<NodeIndex>(seeds.group_count()); ++g) {
    std::vector<double> d(e.n, kInf);
    for (std::size_t k = 0; k < seeds.size(); ++k)
      if (seeds.group_at(k) == g)
        d[static_cast<std::size_t>(seeds.node[k])] = std::min(d[static_cast<std::size_t>(seeds.node[k])],
                                                              seeds.offset_at(k));
    for (std::size_t it = 0; it < e.n; ++it)
      for (std::size_t k = 0; k < e.from.size(); ++k) {
        const double v = d[static_cast<std::size_t>(e.from[k])] + e.w[k];
        d[static_cast<std::size_t>(e.to[k])] = std::min(d[static_cast<std::size_t>(e.to[k])], v);
      }
    for (std::size_t v = 0; v < e.n; ++v)
      if (d[v] <= cutoff && d[v] < cost[v]) {
        cost[v] = d[v];
        group[v] = g;
      }
  }
}

}  // namespace

TEST_CASE("bucket rule: one width, heap for zero weights, wide ranges and huge costs", "[dijkstra]") {
  const auto p = detail::bucket_plan(2.0, 50.0, 1, 1000, 4000, 3, 0.0, 10.0, kInf);
  CHECK(p.width == 2.0 * (1.0 - 1.0 / 4096.0));
  CHECK(p.slots >= (50.0 + 10.0) / p.width + 3);
  CHECK((p.slots & (p.slots - 1)) == 0);
  CHECK(detail::bucket_plan(0.0, 50.0, 1, 1000, 4000, 3, 0.0, 10.0, kInf).width == 0);      // zero weight
  CHECK(detail::bucket_plan(1e-9, 50.0, 1, 1000, 4000, 3, 0.0, 10.0, kInf).width == 0);     // ring too long
  CHECK(detail::bucket_plan(1e-9, 50.0, 1, 1000, 4000, 3, 0.0, 0.0, 1e-4).width > 0);       // short cutoff
  CHECK(detail::bucket_plan(1.0, 1000.0, 1, 2000000, 4000, 3, 0.0, 0.0, kInf).width == 0);  // indices >= 2^30
  CHECK(detail::bucket_plan(1.0, 1000.0, 1, 2000000, 4000, 3, 0.0, 0.0, 1e6).width > 0);    // ... unless cut off
  CHECK(detail::bucket_plan(1.0, 10.0, 1, 100, 400, 0, kInf, 0.0, kInf).width == 0);        // no seed
}

TEST_CASE("Dijkstra over the plain and the contracted view, bucket queue and heap, equals brute force",
          "[dijkstra]") {
  std::size_t bucket_runs = 0, contracted_graphs = 0;
  for (std::uint32_t seed = 100; seed < 112; ++seed) {
    const bool zeros = seed % 3 == 0;
    const EdgeList e = chained_graph(seed, 14, zeros);
    const Graph g = e.graph();
    std::mt19937 rng(seed);
    std::uniform_int_distribution<NodeIndex> any(0, static_cast<NodeIndex>(e.n) - 3);  // not the isolated ones
    std::uniform_int_distribution<int> quarter(0, 8);
    // Seeds on junctions and bends; groups with several seeds, offsets that make ties.
    std::vector<NodeIndex> node, group;
    std::vector<double> offset;
    for (NodeIndex k = 0; k < 6; ++k) {
      node.push_back(k % 2 ? any(rng) : k);
      group.push_back(k % 4);
      offset.push_back(quarter(rng) / 4.0);
    }
    const Seeds seeds{node, offset, group};
    std::vector<double> full_cost;
    std::vector<NodeIndex> full_group;
    brute_force(e, seeds, kInf, full_cost, full_group);
    // Cutoffs: none, and exactly the cost attained by some reached nodes (inclusive).
    std::vector<double> cutoffs{kInf};
    for (std::size_t v = 0; v < e.n && cutoffs.size() < 3; v += 5)
      if (std::isfinite(full_cost[v]) && full_cost[v] > 0) cutoffs.push_back(full_cost[v]);
    REQUIRE(cutoffs.size() == 3);
    CHECK(full_cost[e.n - 1] == kInf);  // the isolated nodes
    // The contracted view keeps the seeds and a few "target" nodes.
    std::vector<std::uint8_t> needed(e.n, 0);
    for (auto u : node) needed[static_cast<std::size_t>(u)] = 1;
    for (std::size_t v = 0; v < e.n; v += 7) needed[v] = 1;
    const ContractedGraph cg = contract_chains(g, 0, needed);
    REQUIRE(cg.built);
    ++contracted_graphs;
    ShortestPathSearch plain(g, 0);
    Dijkstra<ContractedView> contracted{ContractedView(cg)};
    for (double cutoff : cutoffs) {
      std::vector<double> ref_cost;
      std::vector<NodeIndex> ref_group;
      brute_force(e, seeds, cutoff, ref_cost, ref_group);
      for (QueueKind queue : {QueueKind::Automatic, QueueKind::Heap}) {
        SearchRun run;
        run.seeds = seeds;
        run.cutoff = cutoff;
        run.queue = queue;
        plain.run(run);
        CHECK(plain.used_buckets() == (queue == QueueKind::Automatic && !zeros));
        bucket_runs += plain.used_buckets() ? 1 : 0;
        for (std::size_t v = 0; v < e.n; ++v) {
          CHECK(plain.cost(v) == ref_cost[v]);
          CHECK(plain.group(v) == ref_group[v]);
        }
        contracted.run(run);
        CHECK(contracted.used_buckets() == plain.used_buckets());
        for (std::size_t v = 0; v < e.n; ++v) {
          // Kept nodes: the same costs and groups; every node reached has its true cost.
          if (needed[v]) CHECK(contracted.cost(v) == ref_cost[v]);
          if (needed[v]) CHECK(contracted.group(v) == ref_group[v]);
          if (std::isfinite(contracted.cost(v))) CHECK(contracted.cost(v) == ref_cost[v]);
        }
        // Without groups: the same costs, groups -1.
        run.track_groups = false;
        plain.run(run);
        for (std::size_t v = 0; v < e.n; ++v) {
          CHECK(plain.cost(v) == ref_cost[v]);
          CHECK(plain.group(v) == -1);
        }
      }
    }
    // Stop after half of the reachable needed nodes: settled ones final, the others
    // unreached, on both views.
    std::size_t stops = 0;
    for (std::size_t v = 0; v < e.n; ++v) stops += needed[v] && std::isfinite(full_cost[v]) ? 1 : 0;
    const std::size_t stop_after = std::max<std::size_t>(1, stops / 2);
    for (QueueKind queue : {QueueKind::Automatic, QueueKind::Heap}) {
      SearchRun run;
      run.seeds = seeds;
      run.stop_nodes = needed;
      run.stop_after = stop_after;
      run.queue = queue;
      plain.run(run);
      contracted.run(run);
      std::size_t plain_hits = 0, contracted_hits = 0;
      for (auto u : plain.settled()) {
        plain_hits += needed[static_cast<std::size_t>(u)];
        CHECK(plain.cost(static_cast<std::size_t>(u)) == full_cost[static_cast<std::size_t>(u)]);
      }
      for (auto u : contracted.settled()) {
        contracted_hits += needed[static_cast<std::size_t>(u)];
        CHECK(contracted.cost(static_cast<std::size_t>(u)) == full_cost[static_cast<std::size_t>(u)]);
      }
      CHECK(plain_hits == stop_after);
      CHECK(contracted_hits == stop_after);
      std::size_t finite = 0;
      for (std::size_t v = 0; v < e.n; ++v) finite += std::isfinite(plain.cost(v)) ? 1 : 0;
      CHECK(finite == plain.settled().size());
    }
  }
  CHECK(bucket_runs > 0);
  CHECK(contracted_graphs == 12);
  // The contracted view really bypasses nodes (fewer settled than on the plain view).
  const EdgeList e = chained_graph(7, 14, false);
  const Graph g = e.graph();
  std::vector<std::uint8_t> needed(e.n, 0);
  needed[0] = 1;
  const ContractedGraph cg = contract_chains(g, 0, needed);
  REQUIRE(cg.built);
  CHECK(cg.live_nodes < e.n);
  const NodeIndex s = 0;
  ShortestPathSearch plain(g, 0);
  plain.run(Seeds{std::span<const NodeIndex>(&s, 1), {}, {}});
  Dijkstra<ContractedView> contracted{ContractedView(cg)};
  SearchRun run;
  run.seeds = Seeds{std::span<const NodeIndex>(&s, 1), {}, {}};
  contracted.run(run);
  CHECK(contracted.settled().size() < plain.settled().size());
  CHECK(contracted.settled().size() <= cg.live_nodes);
}

TEST_CASE("seed index: one grouping rule by group and by node, input order kept", "[dijkstra]") {
  const std::vector<NodeIndex> node{4, 1, 4, 0, 2};
  const std::vector<double> offset{0.5, 1.0, 1.5, 2.0, 2.5};
  const std::vector<NodeIndex> group{2, 0, 0, 2, 1};
  const Seeds seeds{node, offset, group};
  const SeedIndex by_group = index_seeds(seeds, 4, SeedKey::Group);
  CHECK(by_group.offsets == std::vector<std::size_t>{0, 2, 3, 5, 5});
  CHECK(by_group.node == std::vector<NodeIndex>{1, 4, 2, 4, 0});
  CHECK(by_group.offset == std::vector<double>{1.0, 1.5, 2.5, 0.5, 2.0});
  const Seeds g2 = by_group.seeds(2);
  CHECK(g2.size() == 2);
  CHECK(g2.node[1] == 0);
  CHECK(g2.group_at(0) == 2);
  const SeedIndex by_node = index_seeds(seeds, 5, SeedKey::Node);
  CHECK(by_node.group == std::vector<NodeIndex>{2, 0, 1, 2, 0});
  std::size_t count = 0;
  CHECK(by_node.present(count) == std::vector<std::uint8_t>{1, 1, 1, 0, 1});
  CHECK(count == 4);
  // Without offsets and groups: offset 0, group = seed index.
  const SeedIndex plain = index_seeds(Seeds{node, {}, {}}, 5, SeedKey::Group);
  CHECK(plain.offset == std::vector<double>(5, 0.0));
  CHECK(plain.node == node);
}
