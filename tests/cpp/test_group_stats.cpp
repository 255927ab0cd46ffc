#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "catch.hpp"

#include "core/error.hpp"
#include "core/group_stats.hpp"

using namespace jangkau;

namespace {
// Brute-force weighted quantile (inverted CDF): smallest v with W(≤ v) ≥ p·W.
double brute_quantile(std::vector<std::pair<double, double>> vw, double p) {
  std::sort(vw.begin(), vw.end());
  double total = 0;
  for (auto& e : vw) total += e.second;
  double cum = 0;
  for (auto& e : vw) {
    cum += e.second;
    if (cum >= p * total) return e.first;
  }
  return vw.back().first;
}
}  // namespace

TEST_CASE("weighted group stats match brute force", "[group_stats]") {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t n = 2000, groups = 13;
  std::vector<double> v(n), w(n);
  std::vector<std::int64_t> g(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = std::floor(u(rng) * 50);  // ties on purpose
    w[i] = u(rng) < 0.1 ? 0.0 : u(rng) * 10;
    g[i] = static_cast<std::int64_t>(u(rng) * (groups + 1)) - 1;  // some −1
  }
  const std::vector<double> probs{0.0, 0.1, 0.5, 0.9, 1.0};
  GroupStats s = weighted_group_stats(v, w, g, groups, probs);
  for (std::size_t k = 0; k < groups; ++k) {
    std::vector<std::pair<double, double>> vw;
    double sw = 0, swv = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (g[i] == static_cast<std::int64_t>(k) && w[i] > 0) {
        vw.push_back({v[i], w[i]});
        sw += w[i];
        swv += w[i] * v[i];
      }
    REQUIRE(!vw.empty());
    CHECK(s.weight[k] == Approx(sw).epsilon(1e-12));
    CHECK(s.mean[k] == Approx(swv / sw).epsilon(1e-12));
    for (std::size_t q = 0; q < probs.size(); ++q) CHECK(s.quantiles[q * groups + k] == brute_quantile(vw, probs[q]));
  }
}

TEST_CASE("weighted group stats: empty groups, infinities and bad input", "[group_stats]") {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v{1.0, inf, 3.0}, w{1.0, 1.0, 0.0};
  std::vector<std::int64_t> g{0, 0, 1};
  const std::vector<double> probs{0.5, 0.9};
  GroupStats s = weighted_group_stats(v, w, g, 3, probs);
  CHECK(s.weight[0] == 2.0);
  CHECK(std::isinf(s.mean[0]));
  CHECK(s.quantiles[0] == 1.0);       // p50 of {1, inf}
  CHECK(std::isinf(s.quantiles[3]));  // p90
  CHECK(std::isnan(s.mean[1]));       // zero weight
  CHECK(std::isnan(s.mean[2]));       // no entries
  CHECK_THROWS_AS(weighted_group_stats(v, std::vector<double>{1.0}, g, 3, probs), InvalidInputError);
  CHECK_THROWS_AS(weighted_group_stats(v, w, g, 3, std::vector<double>{1.5}), InvalidInputError);
}
