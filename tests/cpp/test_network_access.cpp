#include <cstdint>
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
        for (std::size_t y = 0; y < x; ++y) dup = dup || (c.x_source[y] == c.x_source[x] && c.x_target[y] == c.x_target[x]);
        if (!found && !dup) {
          double v = c.x_cost[x];
          for (std::size_t y = x + 1; y < c.x_cost.size(); ++y)
            if (c.x_source[y] == c.x_source[x] && c.x_target[y] == c.x_target[x]) v = std::min(v, c.x_cost[y]);
          dem.push_back(c.x_target[x]);
          sup.push_back(c.x_source[x]);
          cost.push_back(v / 60.0);
        }
      }
      const AccessResult ref = o.hansen ? gravity(CostTable{dem, sup, cost}, c.population, c.capacity,
                                                  GravityOptions{o.decay, false})
                                        : floating_catchment(CostTable{dem, sup, cost}, c.population, c.capacity,
                                                             o.decay);
      for (int threads : {1, 2}) {
        o.threads = threads;
        const AccessResult r =
            network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population, c.capacity, o);
        REQUIRE(r.access.size() == ref.access.size());
        for (std::size_t i = 0; i < r.access.size(); ++i) CHECK(r.access[i] == Approx(ref.access[i]).epsilon(1e-12));
        for (std::size_t j = 0; j < r.ratio.size(); ++j) {
          CHECK(r.ratio[j] == Approx(ref.ratio[j]).epsilon(1e-12));
          CHECK(r.catchment_demand[j] == Approx(ref.catchment_demand[j]).epsilon(1e-12));
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
  const AccessResult r = network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population,
                                                    c.capacity, o);
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
  CHECK_THROWS_AS(
      network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population, c.capacity, o),
      InvalidInputError);
  o.cost_divisor = 60;
  const std::vector<double> short_cap{1.0};
  CHECK_THROWS_AS(network_floating_catchment(g, c.sources(), c.targets(), c.extra(), c.population, short_cap, o),
                  InvalidInputError);
}
