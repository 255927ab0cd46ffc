#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "catch.hpp"
#include "core/access.hpp"
#include "core/error.hpp"

using namespace jangkau;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Hand-drawn example (costs in minutes, catchment 30 min):
//
//   demand 0 (P=100) --5-- facility 0 (S=10) --25-- demand 1 (P=200)
//   demand 1 --30-- facility 1 (S=6) --10-- demand 2 (P=300)
//   demand 2 --40-- facility 0 (beyond 30)
//   facility 2 (S=5) --45-- demand 0 (beyond 30: serves no one)
struct Example {
  std::vector<std::int64_t> demand{0, 1, 2, 1, 2, 0};
  std::vector<std::int64_t> supply{0, 0, 0, 1, 1, 2};
  std::vector<double> cost{5, 25, 40, 30, 10, 45};
  std::vector<double> population{100, 200, 300};
  std::vector<double> capacity{10, 6, 5};
  CostTable table() const { return CostTable{demand, supply, cost}; }
};

double weighted_sum(const std::vector<double>& p, const std::vector<double>& a) {
  double s = 0;
  for (std::size_t i = 0; i < p.size(); ++i) s += p[i] * a[i];
  return s;
}

}  // namespace

TEST_CASE("2SFCA on the hand-computed example", "[access]") {
  const Example ex;
  const auto r = two_sfca(ex.table(), ex.population, ex.capacity, 30.0);
  // R_0 = 10 / (100 + 200); R_1 = 6 / (200 + 300) (cost 30 == d0 is inside); R_2 = 0.
  CHECK(r.ratio[0] == Approx(10.0 / 300.0).epsilon(1e-12));
  CHECK(r.ratio[1] == Approx(0.012).epsilon(1e-12));
  CHECK(r.ratio[2] == 0.0);
  CHECK(r.catchment_demand == std::vector<double>{300, 500, 0});
  CHECK(r.access[0] == Approx(1.0 / 30.0).epsilon(1e-12));
  CHECK(r.access[1] == Approx(1.0 / 30.0 + 0.012).epsilon(1e-12));
  CHECK(r.access[2] == Approx(0.012).epsilon(1e-12));
  // Supply is conserved over facilities that reach any demand: 10 + 6.
  CHECK(weighted_sum(ex.population, r.access) == Approx(16.0).epsilon(1e-12));

  const auto narrow = two_sfca(ex.table(), ex.population, ex.capacity, 29.999);
  CHECK(narrow.ratio[1] == Approx(6.0 / 300.0).epsilon(1e-12));
}

TEST_CASE("E2SFCA with Luo & Qi zone weights on the example", "[access]") {
  const Example ex;
  const std::vector<double> breaks{10, 20, 30}, weights{1.0, 0.68, 0.22};
  const auto r = e2sfca(ex.table(), ex.population, ex.capacity, breaks, weights);
  // Weights: 5 -> 1, 25 -> 0.22, 40 -> 0, 30 -> 0.22, 10 -> 1 (upper bounds inclusive).
  const double r0 = 10.0 / (100 + 200 * 0.22);
  const double r1 = 6.0 / (200 * 0.22 + 300);
  CHECK(r.ratio[0] == Approx(r0).epsilon(1e-12));
  CHECK(r.ratio[1] == Approx(r1).epsilon(1e-12));
  CHECK(r.access[0] == Approx(r0).epsilon(1e-12));
  CHECK(r.access[1] == Approx(0.22 * r0 + 0.22 * r1).epsilon(1e-12));
  CHECK(r.access[2] == Approx(r1).epsilon(1e-12));
  CHECK(weighted_sum(ex.population, r.access) == Approx(16.0).epsilon(1e-12));
}

TEST_CASE("decay weights", "[access]") {
  DecayOptions o;
  o.decay = Decay::Gaussian;
  o.max_cost = 30;
  CHECK(decay_weight(o, 0) == Approx(1.0));
  CHECK(decay_weight(o, 30) == 0.0);
  CHECK(decay_weight(o, 31) == 0.0);
  CHECK(decay_weight(o, 15) == Approx((std::exp(-0.125) - std::exp(-0.5)) / (1 - std::exp(-0.5))));
  o.decay = Decay::Power;
  o.max_cost = kInf;
  o.beta = 2;
  o.min_cost = 1;
  CHECK(decay_weight(o, 0.5) == 1.0);
  CHECK(decay_weight(o, 4) == Approx(1.0 / 16));
  CHECK(decay_weight(o, kInf) == 0.0);
  o.decay = Decay::Exponential;
  o.beta = 0.1;
  CHECK(decay_weight(o, 10) == Approx(std::exp(-1.0)));
  o.decay = Decay::Zones;
  CHECK(decay_weight(o, 0) == 1.0);
  CHECK(decay_weight(o, 10) == 1.0);
  CHECK(decay_weight(o, 10.5) == 0.68);
  CHECK(decay_weight(o, 30) == 0.22);
  CHECK(decay_weight(o, 30.5) == 0.0);
  o.decay = Decay::Step;
  o.max_cost = 5;
  CHECK(decay_weight(o, 5) == 1.0);
  CHECK(decay_weight(o, std::nextafter(5.0, 6.0)) == 0.0);
}

TEST_CASE("gravity accessibility", "[access]") {
  const Example ex;
  GravityOptions g;
  g.decay.decay = Decay::Power;
  g.decay.beta = 1;
  g.decay.min_cost = 1;
  const auto hansen = gravity(ex.table(), ex.population, ex.capacity, g);
  CHECK(hansen.access[0] == Approx(10.0 / 5 + 5.0 / 45).epsilon(1e-12));
  CHECK(hansen.access[1] == Approx(10.0 / 25 + 6.0 / 30).epsilon(1e-12));
  CHECK(hansen.access[2] == Approx(10.0 / 40 + 6.0 / 10).epsilon(1e-12));
  CHECK(hansen.ratio == ex.capacity);
  g.competition = true;
  const auto comp = gravity(ex.table(), ex.population, ex.capacity, g);
  CHECK(comp.catchment_demand[2] == Approx(100.0 / 45).epsilon(1e-12));
  CHECK(weighted_sum(ex.population, comp.access) == Approx(21.0).epsilon(1e-12));
  g.decay.decay = Decay::Step;
  CHECK_THROWS_AS(gravity(ex.table(), ex.population, ex.capacity, g), InvalidInputError);
}

TEST_CASE("supply is conserved on random tables for every decay", "[access]") {
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    std::mt19937 rng(seed);
    const std::size_t nd = 50, ns = 8;
    std::vector<double> pop(nd), cap(ns);
    for (auto& p : pop) p = std::uniform_int_distribution<int>(0, 5000)(rng);
    for (auto& c : cap) c = std::uniform_real_distribution<double>(0, 20)(rng);
    std::vector<std::int64_t> d, s;
    std::vector<double> cost;
    for (std::size_t i = 0; i < nd; ++i)
      for (std::size_t j = 0; j < ns; ++j)
        if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.4) {
          d.push_back(static_cast<std::int64_t>(i));
          s.push_back(static_cast<std::int64_t>(j));
          cost.push_back(std::uniform_real_distribution<double>(0, 50)(rng));
        }
    const CostTable t{d, s, cost};
    std::vector<DecayOptions> decays(5);
    decays[0].decay = Decay::Step;
    decays[0].max_cost = 30;
    decays[1].decay = Decay::Zones;
    decays[2].decay = Decay::Gaussian;
    decays[2].max_cost = 30;
    decays[3].decay = Decay::Power;
    decays[4].decay = Decay::Exponential;
    decays[4].beta = 0.05;
    for (const auto& o : decays) {
      const auto r = floating_catchment(t, pop, cap, o);
      double served = 0;
      for (std::size_t j = 0; j < ns; ++j)
        if (r.catchment_demand[j] > 0) served += cap[j];
      INFO("seed " << seed << " decay " << static_cast<int>(o.decay));
      CHECK(weighted_sum(pop, r.access) == Approx(served).epsilon(1e-10));
      // Brute force over the dense matrix.
      std::vector<double> dense(nd * ns, kInf);
      for (std::size_t k = 0; k < cost.size(); ++k)
        dense[static_cast<std::size_t>(d[k]) * ns + static_cast<std::size_t>(s[k])] = cost[k];
      for (std::size_t i = 0; i < nd; ++i) {
        double a = 0;
        for (std::size_t j = 0; j < ns; ++j) {
          double v = 0;
          for (std::size_t k = 0; k < nd; ++k) v += pop[k] * decay_weight(o, dense[k * ns + j]);
          if (v > 0) a += cap[j] / v * decay_weight(o, dense[i * ns + j]);
        }
        CHECK(r.access[i] == Approx(a).epsilon(1e-10).margin(1e-15));
      }
    }
  }
}

TEST_CASE("access rejects bad input, naming the entry", "[access]") {
  Example ex;
  auto expect_field = [&](const char* field, std::int64_t feature) {
    try {
      two_sfca(ex.table(), ex.population, ex.capacity, 30);
      FAIL("expected InvalidInputError");
    } catch (const InvalidInputError& e) {
      CHECK(e.context().field == field);
      CHECK(e.context().feature == feature);
    }
    ex = Example{};
  };
  ex.demand[3] = 3;
  expect_field("demand", 3);
  ex.supply[1] = -1;
  expect_field("supply", 1);
  ex.cost[2] = std::nan("");
  expect_field("cost", 2);
  ex.cost[4] = -1;
  expect_field("cost", 4);
  ex.population[1] = kInf;
  expect_field("population", 1);
  ex.capacity[0] = -2;
  expect_field("capacity", 0);
  // An infinite cost is data: unreachable.
  ex.cost[0] = kInf;
  const auto r = two_sfca(ex.table(), ex.population, ex.capacity, 30);
  CHECK(r.access[0] == 0.0);
  CHECK_THROWS_AS(two_sfca(ex.table(), ex.population, ex.capacity, 0), InvalidInputError);
  CHECK_THROWS_AS(two_sfca(ex.table(), ex.population, ex.capacity, kInf), InvalidInputError);
  const std::vector<double> breaks{10, 5}, weights{1, 0.5};
  CHECK_THROWS_AS(e2sfca(ex.table(), ex.population, ex.capacity, breaks, weights), InvalidInputError);
  const std::vector<double> breaks2{10, 20}, weights2{1, 1.5};
  CHECK_THROWS_AS(e2sfca(ex.table(), ex.population, ex.capacity, breaks2, weights2), InvalidInputError);
}
