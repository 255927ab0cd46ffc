// Shared by the siting test files: small seeded synthetic instances that own their arrays,
// and the brute-force references (covered weight, median cost, every feasible subset) the
// engine's answers are checked against.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "catch.hpp"
#include "core/siting.hpp"

namespace siting_test {
using jangkau::QuotaMode;
using jangkau::SitingProblem;

/// A synthetic instance that owns its arrays: demand points and candidates uniform in the
/// unit square, cost = Euclidean distance, integer weights (so sums are exact).
struct Instance {
  std::vector<double> w;
  std::vector<std::int64_t> offsets, demand;
  std::vector<double> cost;
  std::vector<std::int32_t> group, zone;
  std::vector<std::int64_t> quota, fixed;
  std::vector<double> floor;
  std::vector<std::uint8_t> pre;
  double radius = 0.3;
  QuotaMode mode = QuotaMode::AtLeast;

  SitingProblem problem(double max_cost) const {
    SitingProblem p;
    p.demand_weight = w;
    p.offsets = offsets;
    p.demand_index = demand;
    p.cost = cost;
    p.max_cost = max_cost;
    p.candidate_group = group;
    p.group_quota = quota;
    p.quota_mode = mode;
    p.fixed_sites = fixed;
    p.precovered = pre;
    p.demand_zone = zone;
    p.zone_floor = floor;
    return p;
  }
  std::size_t m() const { return offsets.size() - 1; }
};

inline Instance random_instance(std::uint32_t seed, std::size_t n, std::size_t m, double keep = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int> wi(0, 9);
  Instance in;
  std::vector<double> dx(n), dy(n);
  for (std::size_t i = 0; i < n; ++i) {
    dx[i] = u(rng);
    dy[i] = u(rng);
    in.w.push_back(wi(rng));
  }
  in.offsets.push_back(0);
  for (std::size_t j = 0; j < m; ++j) {
    double cx = u(rng), cy = u(rng);
    for (std::size_t i = 0; i < n; ++i) {
      if (u(rng) > keep) continue;  // sparse cost matrix: some pairs unreachable
      in.demand.push_back(static_cast<std::int64_t>(i));
      in.cost.push_back(std::hypot(dx[i] - cx, dy[i] - cy));
    }
    in.offsets.push_back(static_cast<std::int64_t>(in.demand.size()));
  }
  return in;
}

inline void add_groups(Instance& in, std::mt19937& rng, std::int32_t groups, std::int64_t q) {
  std::uniform_int_distribution<std::int32_t> g(-1, groups - 1);
  in.group.resize(in.m());
  for (auto& x : in.group) x = g(rng);
  in.quota.assign(static_cast<std::size_t>(groups), q);
}

// Whether `set` meets the group quotas of `in`.
inline bool obeys_quotas(const Instance& in, const std::vector<std::int64_t>& set) {
  if (in.quota.empty()) return true;
  std::vector<std::int64_t> c(in.quota.size(), 0);
  for (auto j : set)
    if (in.group[static_cast<std::size_t>(j)] >= 0)
      ++c[static_cast<std::size_t>(in.group[static_cast<std::size_t>(j)])];
  for (std::size_t g = 0; g < c.size(); ++g) {
    if (in.mode == QuotaMode::AtLeast && c[g] < in.quota[g]) return false;
    if (in.mode == QuotaMode::Exactly && c[g] != in.quota[g]) return false;
  }
  return true;
}

inline bool is_fixed(const Instance& in, std::size_t j) {
  return std::find(in.fixed.begin(), in.fixed.end(), static_cast<std::int64_t>(j)) != in.fixed.end();
}

// Calls fn(set) for every subset of size p of the non-fixed candidates that obeys the quotas.
inline void for_each_feasible(const Instance& in, std::size_t p,
                              const std::function<void(const std::vector<std::int64_t>&)>& fn) {
  std::vector<std::int64_t> pool;
  for (std::size_t j = 0; j < in.m(); ++j)
    if (!is_fixed(in, j)) pool.push_back(static_cast<std::int64_t>(j));
  std::vector<std::int64_t> set;
  std::function<void(std::size_t)> rec = [&](std::size_t start) {
    if (set.size() == p) {
      if (obeys_quotas(in, set)) fn(set);
      return;
    }
    for (std::size_t k = start; k < pool.size(); ++k) {
      set.push_back(pool[k]);
      rec(k + 1);
      set.pop_back();
    }
  };
  rec(0);
}

inline std::vector<std::uint8_t> covered_by(const Instance& in, const std::vector<std::int64_t>& sites,
                                            double radius) {
  std::vector<std::uint8_t> cov(in.w.size(), 0);
  if (!in.pre.empty()) cov = in.pre;
  auto open = sites;
  open.insert(open.end(), in.fixed.begin(), in.fixed.end());
  for (auto j : open)
    for (auto e = in.offsets[static_cast<std::size_t>(j)]; e < in.offsets[static_cast<std::size_t>(j) + 1]; ++e)
      if (in.cost[static_cast<std::size_t>(e)] <= radius)
        cov[static_cast<std::size_t>(in.demand[static_cast<std::size_t>(e)])] = 1;
  return cov;
}

inline double covered_weight(const Instance& in, const std::vector<std::int64_t>& sites, double radius) {
  auto cov = covered_by(in, sites, radius);
  double s = 0;
  for (std::size_t i = 0; i < cov.size(); ++i)
    if (cov[i]) s += in.w[i];
  return s;
}

// Σ w_i min_open c_ij over points with weight > 0 and some entry; +inf if one has no open site.
inline double median_cost(const Instance& in, const std::vector<std::int64_t>& sites) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> best(in.w.size(), inf);
  std::vector<std::uint8_t> reach(in.w.size(), 0);
  for (std::size_t j = 0; j < in.m(); ++j)
    for (auto e = in.offsets[j]; e < in.offsets[j + 1]; ++e)
      reach[static_cast<std::size_t>(in.demand[static_cast<std::size_t>(e)])] = 1;
  auto open = sites;
  open.insert(open.end(), in.fixed.begin(), in.fixed.end());
  for (auto j : open)
    for (auto e = in.offsets[static_cast<std::size_t>(j)]; e < in.offsets[static_cast<std::size_t>(j) + 1]; ++e) {
      auto i = static_cast<std::size_t>(in.demand[static_cast<std::size_t>(e)]);
      best[i] = std::min(best[i], in.cost[static_cast<std::size_t>(e)]);
    }
  double s = 0;
  for (std::size_t i = 0; i < in.w.size(); ++i)
    if (reach[i] && in.w[i] > 0) s += in.w[i] * best[i];
  return s;
}

// Calls fn(swapped) for every set obtained from `sites` by replacing one site with a
// candidate that is neither chosen nor fixed, keeping the quotas.
inline void for_each_swap(const Instance& in, const std::vector<std::int64_t>& sites,
                          const std::function<void(const std::vector<std::int64_t>&)>& fn) {
  for (std::size_t k = 0; k < sites.size(); ++k)
    for (std::size_t j = 0; j < in.m(); ++j) {
      if (is_fixed(in, j) || std::find(sites.begin(), sites.end(), static_cast<std::int64_t>(j)) != sites.end())
        continue;
      auto swapped = sites;
      swapped[k] = static_cast<std::int64_t>(j);
      if (obeys_quotas(in, swapped)) fn(swapped);
    }
}

inline std::vector<std::int64_t> all_candidates(const Instance& in) {
  std::vector<std::int64_t> all;
  for (std::size_t j = 0; j < in.m(); ++j) all.push_back(static_cast<std::int64_t>(j));
  return all;
}

// Brute force: the fewest sites covering every point any candidate covers (quotas obeyed).
inline std::size_t fewest_covering_sites(const Instance& in, double radius) {
  const auto all = all_candidates(in);
  const auto coverable = covered_by(in, all, radius);
  std::size_t best = all.size() + 1;
  for (std::size_t k = 0; k <= all.size() && best > all.size(); ++k)
    for_each_feasible(in, k, [&](const std::vector<std::int64_t>& s) {
      if (covered_by(in, s, radius) == coverable) best = std::min(best, k);
    });
  return best;
}

inline void check_quotas(const Instance& in, const std::vector<std::int64_t>& sites) {
  std::vector<std::int64_t> sorted = sites;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  for (auto j : sites) REQUIRE(std::find(in.fixed.begin(), in.fixed.end(), j) == in.fixed.end());
  if (in.quota.empty()) return;
  std::vector<std::int64_t> c(in.quota.size(), 0);
  for (auto j : sites)
    if (in.group[static_cast<std::size_t>(j)] >= 0)
      ++c[static_cast<std::size_t>(in.group[static_cast<std::size_t>(j)])];
  for (std::size_t g = 0; g < c.size(); ++g) {
    if (in.mode == QuotaMode::AtLeast) REQUIRE(c[g] >= in.quota[g]);
    if (in.mode == QuotaMode::Exactly) REQUIRE(c[g] == in.quota[g]);
  }
}

/// Clustered family: demand points drawn around `clusters` Gaussian centres (σ = 0.04, weights
/// 1..9, heavier in the first clusters), candidates half at jittered demand points and half
/// uniform in the unit square; cost = Euclidean distance. Uniform family: random_instance.
inline Instance clustered_instance(std::uint32_t seed, std::size_t n, std::size_t m, std::size_t clusters,
                                   std::size_t at_demand_every = 2) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 0.04);
  std::vector<double> cx(clusters), cy(clusters);
  for (std::size_t c = 0; c < clusters; ++c) {
    cx[c] = 0.1 + 0.8 * u(rng);
    cy[c] = 0.1 + 0.8 * u(rng);
  }
  Instance in;
  std::vector<double> dx(n), dy(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t c = i % clusters;
    dx[i] = cx[c] + g(rng);
    dy[i] = cy[c] + g(rng);
    in.w.push_back(static_cast<double>(1 + (i * 7 + c * 3) % (9 - std::min<std::size_t>(c, 6))));
  }
  in.offsets.push_back(0);
  for (std::size_t j = 0; j < m; ++j) {
    double x, y;
    if (at_demand_every > 0 && j % at_demand_every == 0) {
      std::size_t i = static_cast<std::size_t>(u(rng) * static_cast<double>(n)) % n;
      x = dx[i] + g(rng);
      y = dy[i] + g(rng);
    } else {
      x = u(rng);
      y = u(rng);
    }
    for (std::size_t i = 0; i < n; ++i) {
      in.demand.push_back(static_cast<std::int64_t>(i));
      in.cost.push_back(std::hypot(dx[i] - x, dy[i] - y));
    }
    in.offsets.push_back(static_cast<std::int64_t>(in.demand.size()));
  }
  return in;
}

}  // namespace siting_test
