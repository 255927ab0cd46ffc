#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <vector>

#include "catch.hpp"
#include "core/access.hpp"
#include "core/error.hpp"
#include "core/network.hpp"
#include "core/network_access.hpp"

using namespace jangkau;

namespace {

// Random road-like graph (seeded), random facility and demand seeds with offsets.
struct Case {
  std::vector<NodeIndex> from, to;
  std::vector<double> time;
  std::vector<NodeIndex> s_node, s_group, t_node, t_group;
  std::vector<double> s_off, t_off;
  std::vector<NodeIndex> x_target, x_source;
  std::vector<double> x_cost;
  std::vector<double> population, capacity;
  std::size_t n = 0;

  explicit Case(unsigned seed, std::size_t nodes = 60, std::size_t fac = 7, std::size_t dem = 40) : n(nodes) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> node(0, nodes - 1);
    std::uniform_real_distribution<double> w(10, 300), off(0, 120);
    for (std::size_t e = 0; e < 3 * nodes; ++e) {
      from.push_back(static_cast<NodeIndex>(node(rng)));
      to.push_back(static_cast<NodeIndex>(node(rng)));
      time.push_back(w(rng));
    }
    for (std::size_t j = 0; j < fac; ++j)
      for (int k = 0; k < 2; ++k) {
        s_node.push_back(static_cast<NodeIndex>(node(rng)));
        s_off.push_back(off(rng));
        s_group.push_back(static_cast<NodeIndex>(j));
      }
    for (std::size_t i = 0; i < dem; ++i)
      for (int k = 0; k < 2; ++k) {
        t_node.push_back(static_cast<NodeIndex>(node(rng)));
        t_off.push_back(off(rng));
        t_group.push_back(static_cast<NodeIndex>(i));
      }
    x_target = {1, 3, 3};
    x_source = {0, 2, 2};
    x_cost = {5.0, 50.0, 40.0};
    for (std::size_t i = 0; i < dem; ++i) population.push_back(static_cast<double>(1 + (i * 37) % 500));
    for (std::size_t j = 0; j < fac; ++j) capacity.push_back(1.0 + static_cast<double>(j % 3));
  }
  Graph graph() const { return Graph::from_edges(n, from, to, {std::span<const double>(time)}); }
  Seeds sources() const { return Seeds{s_node, s_off, s_group}; }
  Seeds targets() const { return Seeds{t_node, t_off, t_group}; }
  ExtraPairs extra() const { return ExtraPairs{x_target, x_source, x_cost}; }
};

}  // namespace

TEST_CASE("network floating catchment equals cost matrix + floating_catchment", "[network_access]") {
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    const Case c(seed);
    const Graph g = c.graph();
    for (Decay decay : {Decay::Step, Decay::Zones, Decay::Gaussian, Decay::Power}) {
      NetworkAccessOptions o;
      o.cutoff = 600.0;
      o.cost_divisor = 60.0;
      o.decay.decay = decay;
      o.decay.max_cost = decay == Decay::Zones ? std::numeric_limits<double>::infinity() : 10.0;
      o.decay.zone_breaks = {3.0, 6.0, 10.0};
      o.hansen = decay == Decay::Power;
      // Reference: the cost table (min with the extra pairs), then the table-based index.
      SearchOptions so;
      so.cutoff = o.cutoff;
      const CostMatrix m = cost_matrix(g, c.sources(), c.targets(), so);
      std::vector<std::int64_t> dem, sup;
      std::vector<double> cost;
      for (std::size_t k = 0; k < m.cost.size(); ++k) {
        double v = m.cost[k];
        for (std::size_t x = 0; x < c.x_cost.size(); ++x)
          if (c.x_source[x] == m.source[k] && c.x_target[x] == m.target[k]) v = std::min(v, c.x_cost[x]);
        dem.push_back(m.target[k]);
        sup.push_back(m.source[k]);
        cost.push_back(v / 60.0);
      }
      for (std::size_t x = 0; x < c.x_cost.size(); ++x) {  // extra pairs missing from the table
        bool found = false;
        for (std::size_t k = 0; k < m.cost.size(); ++k)
          found = found || (c.x_source[x] == m.source[k] && c.x_target[x] == m.target[k]);
        bool dup = false;
        for (std::size_t y = 0; y < x; ++y)
          dup = dup || (c.x_source[y] == c.x_source[x] && c.x_target[y] == c.x_target[x]);
        if (!found && !dup) {
          double v = c.x_cost[x];
          for (std::size_t y = x + 1; y < c.x_cost.size(); ++y)
            if (c.x_source[y] == c.x_source[x] && c.x_target[y] == c.x_target[x]) v = std::min(v, c.x_cost[y]);
          dem.push_back(c.x_target[x]);
          sup.push_back(c.x_source[x]);
          cost.push_back(v / 60.0);
        }
      }
      const AccessResult ref = o.hansen
                                   ? gravity(CostTable{dem, sup, cost}, c.population, c.capacity,
                                             GravityOptions{o.decay, false})
                                   : floating_catchment(CostTable{dem, sup, cost}, c.population, c.capacity, o.decay);
      for (int threads : {1, 2}) {
        o.threads = threads;
        const AccessResult r = network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population,
                                                          c.capacity, o);
        REQUIRE(r.access.size() == ref.access.size());
        // Same pair costs, same summation order: equal to the last bit.
        for (std::size_t i = 0; i < r.access.size(); ++i) CHECK(r.access[i] == ref.access[i]);
        for (std::size_t j = 0; j < r.ratio.size(); ++j) {
          CHECK(r.ratio[j] == ref.ratio[j]);
          CHECK(r.catchment_demand[j] == ref.catchment_demand[j]);
        }
      }
    }
  }
}

TEST_CASE("network floating catchment conserves supply and rejects bad input", "[network_access]") {
  const Case c(9);
  const Graph g = c.graph();
  NetworkAccessOptions o;
  o.cutoff = 900.0;
  o.cost_divisor = 60.0;
  o.decay.max_cost = 15.0;
  const AccessResult r = network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population, c.capacity,
                                                    o);
  double pa = 0, served = 0;
  for (std::size_t i = 0; i < r.access.size(); ++i) pa += c.population[i] * r.access[i];
  for (std::size_t j = 0; j < r.ratio.size(); ++j)
    if (r.catchment_demand[j] > 0) served += c.capacity[j];
  CHECK(pa == Approx(served).epsilon(1e-12));
  std::vector<double> bad_pop = c.population;
  bad_pop[0] = -1;
  CHECK_THROWS_AS(network_floating_catchment(g, c.sources(), c.targets(), c.extra(), bad_pop, c.capacity, o),
                  InvalidInputError);
  o.cost_divisor = 0;
  CHECK_THROWS_AS(network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population, c.capacity, o),
                  InvalidInputError);
  o.cost_divisor = 60;
  const std::vector<double> short_cap{1.0};
  CHECK_THROWS_AS(network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population, short_cap, o),
                  InvalidInputError);
}

namespace {

// Reference table from cost_matrix (+ extra pairs, min), costs divided by `divisor`.
CostTable reference_table(const Case& c, const Graph& g, double cutoff, double divisor,
                          std::vector<std::int64_t>& dem, std::vector<std::int64_t>& sup, std::vector<double>& cost) {
  SearchOptions so;
  so.cutoff = cutoff;
  const CostMatrix m = cost_matrix(g, c.sources(), c.targets(), so);
  std::vector<std::vector<double>> best(c.capacity.size(),
                                        std::vector<double>(c.population.size(),
                                                            std::numeric_limits<double>::infinity()));
  for (std::size_t k = 0; k < m.cost.size(); ++k)
    best[static_cast<std::size_t>(m.source[k])][static_cast<std::size_t>(m.target[k])] = m.cost[k];
  for (std::size_t x = 0; x < c.x_cost.size(); ++x) {
    double& b = best[static_cast<std::size_t>(c.x_source[x])][static_cast<std::size_t>(c.x_target[x])];
    if (c.x_cost[x] <= cutoff) b = std::min(b, c.x_cost[x]);
  }
  dem.clear();
  sup.clear();
  cost.clear();
  for (std::size_t j = 0; j < best.size(); ++j)
    for (std::size_t i = 0; i < best[j].size(); ++i)
      if (std::isfinite(best[j][i])) {
        dem.push_back(static_cast<std::int64_t>(i));
        sup.push_back(static_cast<std::int64_t>(j));
        cost.push_back(best[j][i] / divisor);
      }
  return CostTable{dem, sup, cost};
}

// The fused computation with options `o` equals `ref` to the last bit, for each thread count.
void check_equals_reference(const Graph& g, const Case& c, NetworkAccessOptions o, const AccessResult& ref,
                            std::initializer_list<int> thread_counts = {1, 2}) {
  for (int threads : thread_counts) {
    o.threads = threads;
    const AccessResult r = network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population,
                                                      c.capacity, o);
    CHECK(r.access == ref.access);
    CHECK(r.ratio == ref.ratio);
    CHECK(r.catchment_demand == ref.catchment_demand);
  }
}

}  // namespace

TEST_CASE("network floating catchments: several indices from one search equal single calls", "[network_access]") {
  const Case c(21);
  const Graph g = c.graph();
  NetworkAccessOptions o;
  o.cutoff = 700.0;
  o.cost_divisor = 60.0;
  std::vector<CatchmentSpec> specs(4);
  specs[0].decay.decay = Decay::Step;
  specs[0].decay.max_cost = 8.0;
  specs[1].decay.decay = Decay::Zones;
  specs[1].decay.zone_breaks = {3.0, 7.0, 11.0};
  specs[2].decay.decay = Decay::Gaussian;
  specs[2].decay.max_cost = 11.0;
  specs[3].decay.decay = Decay::Power;
  specs[3].hansen = true;
  for (int threads : {1, 2, 3}) {
    o.threads = threads;
    const auto many = network_floating_catchments(g, c.sources(), c.targets(), c.extra(), c.population, c.capacity, o,
                                                  specs);
    REQUIRE(many.size() == specs.size());
    for (std::size_t s = 0; s < specs.size(); ++s) {
      NetworkAccessOptions one = o;
      one.decay = specs[s].decay;
      one.hansen = specs[s].hansen;
      const AccessResult r = network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population,
                                                        c.capacity, one);
      CHECK(many[s].access == r.access);
      CHECK(many[s].ratio == r.ratio);
      CHECK(many[s].catchment_demand == r.catchment_demand);
    }
  }
  CHECK(network_floating_catchments(g, c.sources(), c.targets(), c.extra(), c.population, c.capacity, o, {}).empty());
}

TEST_CASE("network floating catchment with dense catchments (scan and parallel accumulation paths)",
          "[network_access]") {
  // 4000 demand locations, 70 facilities on a 50-node graph, no cutoff: every facility
  // reaches most demand (the dense scan) and a block holds > 200 000 pairs (A_i accumulated
  // in parallel over demand ranges). Must still equal the table path to the last bit.
  const Case c(5, 50, 70, 4000);
  const Graph g = c.graph();
  std::vector<std::int64_t> dem, sup;
  std::vector<double> cost;
  NetworkAccessOptions o;
  o.cost_divisor = 60.0;
  o.decay.decay = Decay::Zones;
  o.decay.zone_breaks = {5.0, 10.0, 15.0};
  const CostTable table = reference_table(c, g, o.cutoff, o.cost_divisor, dem, sup, cost);
  REQUIRE(table.cost.size() > 200000);
  check_equals_reference(g, c, o, floating_catchment(table, c.population, c.capacity, o.decay));
}

TEST_CASE("network 2SFCA equals brute force (Bellman-Ford costs, formula by hand)", "[network_access]") {
  // Includes zero-weight edges and tiny weights next to large ones.
  Case c(33, 40, 6, 30);
  for (std::size_t e = 0; e < c.time.size(); e += 7) c.time[e] = 0.0;
  for (std::size_t e = 3; e < c.time.size(); e += 11) c.time[e] = 1e-4;
  const Graph g = c.graph();
  const double cutoff = 500.0, d0 = 500.0 / 60.0;
  const std::size_t n = c.n, nf = c.capacity.size(), nd = c.population.size();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> pair(nf, std::vector<double>(nd, inf));
  for (std::size_t j = 0; j < nf; ++j) {
    std::vector<double> d(n, inf);
    for (std::size_t k = 0; k < c.s_node.size(); ++k)
      if (static_cast<std::size_t>(c.s_group[k]) == j)
        d[static_cast<std::size_t>(c.s_node[k])] = std::min(d[static_cast<std::size_t>(c.s_node[k])], c.s_off[k]);
    for (std::size_t it = 0; it < n; ++it)
      for (std::size_t e = 0; e < c.from.size(); ++e) {
        const double v = d[static_cast<std::size_t>(c.from[e])] + c.time[e];
        if (v < d[static_cast<std::size_t>(c.to[e])]) d[static_cast<std::size_t>(c.to[e])] = v;
      }
    for (std::size_t k = 0; k < c.t_node.size(); ++k) {
      const double v = d[static_cast<std::size_t>(c.t_node[k])] + c.t_off[k];
      double& p = pair[j][static_cast<std::size_t>(c.t_group[k])];
      if (v <= cutoff) p = std::min(p, v);
    }
    for (std::size_t x = 0; x < c.x_cost.size(); ++x)
      if (static_cast<std::size_t>(c.x_source[x]) == j && c.x_cost[x] <= cutoff) {
        double& p = pair[j][static_cast<std::size_t>(c.x_target[x])];
        p = std::min(p, c.x_cost[x]);
      }
  }
  std::vector<double> ratio(nf, 0.0), access(nd, 0.0);
  for (std::size_t j = 0; j < nf; ++j) {
    double v = 0;
    for (std::size_t i = 0; i < nd; ++i)
      if (pair[j][i] / 60.0 <= d0) v += c.population[i];
    ratio[j] = v > 0 ? c.capacity[j] / v : 0.0;
  }
  for (std::size_t i = 0; i < nd; ++i)
    for (std::size_t j = 0; j < nf; ++j)
      if (pair[j][i] / 60.0 <= d0) access[i] += ratio[j];
  NetworkAccessOptions o;
  o.cutoff = cutoff;
  o.cost_divisor = 60.0;
  o.decay.max_cost = d0;
  for (int threads : {1, 2}) {
    o.threads = threads;
    const AccessResult r = network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population,
                                                      c.capacity, o);
    for (std::size_t i = 0; i < nd; ++i) CHECK(r.access[i] == Approx(access[i]).epsilon(1e-12).margin(1e-15));
    for (std::size_t j = 0; j < nf; ++j) CHECK(r.ratio[j] == Approx(ratio[j]).epsilon(1e-12).margin(1e-15));
  }
}

TEST_CASE("network floating catchment on a graph of chains, dead ends and one-way pieces equals the table path",
          "[network_access]") {
  // A 6 x 6 grid whose links are subdivided into chains of 1-4 bend nodes (bypassed by the
  // search), some one-way, some with parallel edges, plus dead-end spurs and a self loop;
  // facilities and demand sit on a few grid and bend nodes.
  std::mt19937_64 rng(77);
  std::uniform_real_distribution<double> wt(0.5, 90.0);
  std::uniform_int_distribution<int> bends(0, 4), coin(0, 9);
  Case c(1, 2, 1, 1);  // containers only; filled below
  c.from.clear();
  c.to.clear();
  c.time.clear();
  std::size_t n = 36;
  auto link = [&](NodeIndex a, NodeIndex b) {
    const int k = bends(rng);
    const bool one_way = coin(rng) == 0, parallel = coin(rng) == 1;
    NodeIndex prev = a;
    for (int q = 0; q <= k; ++q) {
      const NodeIndex next = q == k ? b : static_cast<NodeIndex>(n++);
      const double w1 = wt(rng), w2 = wt(rng);
      c.from.push_back(prev), c.to.push_back(next), c.time.push_back(w1);
      if (parallel) c.from.push_back(prev), c.to.push_back(next), c.time.push_back(w1 * 0.5);
      if (!one_way) c.from.push_back(next), c.to.push_back(prev), c.time.push_back(w2);
      prev = next;
    }
  };
  for (NodeIndex r = 0; r < 6; ++r)
    for (NodeIndex q = 0; q < 6; ++q) {
      if (q + 1 < 6) link(r * 6 + q, r * 6 + q + 1);
      if (r + 1 < 6) link(r * 6 + q, (r + 1) * 6 + q);
    }
  for (NodeIndex s = 0; s < 8; ++s) {  // dead-end spurs of two nodes
    const NodeIndex a = static_cast<NodeIndex>(n++), b = static_cast<NodeIndex>(n++);
    for (auto [x, y] : {std::pair{s * 4, a}, std::pair{a, b}}) {
      c.from.push_back(x), c.to.push_back(y), c.time.push_back(wt(rng));
      c.from.push_back(y), c.to.push_back(x), c.time.push_back(wt(rng));
    }
  }
  c.from.push_back(40), c.to.push_back(40), c.time.push_back(1.0);  // self loop on a bend node
  c.n = n;
  std::uniform_int_distribution<NodeIndex> grid(0, 35), any(0, static_cast<NodeIndex>(n - 1));
  std::uniform_real_distribution<double> off(0, 60);
  c.s_node.clear(), c.s_off.clear(), c.s_group.clear(), c.t_node.clear(), c.t_off.clear(), c.t_group.clear();
  c.population.clear(), c.capacity.clear();
  for (NodeIndex j = 0; j < 9; ++j) {
    c.s_node.push_back(j % 2 ? grid(rng) : any(rng)), c.s_off.push_back(off(rng)), c.s_group.push_back(j);
    c.capacity.push_back(1.0 + static_cast<double>(j));
  }
  for (NodeIndex i = 0; i < 60; ++i) {
    c.t_node.push_back(i % 3 ? grid(rng) : any(rng)), c.t_off.push_back(off(rng)), c.t_group.push_back(i);
    c.population.push_back(10.0 + static_cast<double>((i * 53) % 400));
  }
  c.x_target = {2};
  c.x_source = {1};
  c.x_cost = {3.0};
  const Graph g = c.graph();
  for (double cutoff : {300.0, 900.0, std::numeric_limits<double>::infinity()}) {
    std::vector<std::int64_t> dem, sup;
    std::vector<double> cost;
    NetworkAccessOptions o;
    o.cutoff = cutoff;
    o.cost_divisor = 60.0;
    o.decay.decay = Decay::Gaussian;
    o.decay.max_cost = 12.0;
    const CostTable table = reference_table(c, g, cutoff, 60.0, dem, sup, cost);
    REQUIRE(!table.cost.empty());
    check_equals_reference(g, c, o, floating_catchment(table, c.population, c.capacity, o.decay));
  }
}

TEST_CASE("network floating catchment: bucket queue with seed offsets far beyond the heaviest edge",
          "[network_access]") {
  Case c(41, 80, 10, 50);
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> big(0.0, 2500.0);
  for (auto& o : c.s_off) o = big(rng);  // facility offsets spread over many bucket rings
  const Graph g = c.graph();
  for (double cutoff : {1500.0, 3000.0}) {
    std::vector<std::int64_t> dem, sup;
    std::vector<double> cost;
    NetworkAccessOptions o;
    o.cutoff = cutoff;
    o.cost_divisor = 60.0;
    o.decay.decay = Decay::Zones;
    o.decay.zone_breaks = {10.0, 25.0, 50.0};
    const CostTable table = reference_table(c, g, cutoff, 60.0, dem, sup, cost);
    REQUIRE(!table.cost.empty());
    check_equals_reference(g, c, o, floating_catchment(table, c.population, c.capacity, o.decay), {0});
  }
}
