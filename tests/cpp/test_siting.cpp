// Siting solvers against exhaustive search on small random (synthetic, seeded) instances.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <sstream>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/siting.hpp"
#include "core/siting_local_search.hpp"
#include "core/siting_subgradient.hpp"

namespace {
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

Instance random_instance(std::uint32_t seed, std::size_t n, std::size_t m, double keep = 1.0) {
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

void add_groups(Instance& in, std::mt19937& rng, std::int32_t groups, std::int64_t q) {
  std::uniform_int_distribution<std::int32_t> g(-1, groups - 1);
  in.group.resize(in.m());
  for (auto& x : in.group) x = g(rng);
  in.quota.assign(static_cast<std::size_t>(groups), q);
}

// Whether `set` meets the group quotas of `in`.
bool obeys_quotas(const Instance& in, const std::vector<std::int64_t>& set) {
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

bool is_fixed(const Instance& in, std::size_t j) {
  return std::find(in.fixed.begin(), in.fixed.end(), static_cast<std::int64_t>(j)) != in.fixed.end();
}

// Calls fn(set) for every subset of size p of the non-fixed candidates that obeys the quotas.
void for_each_feasible(const Instance& in, std::size_t p,
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

std::vector<std::uint8_t> covered_by(const Instance& in, const std::vector<std::int64_t>& sites, double radius) {
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

double covered_weight(const Instance& in, const std::vector<std::int64_t>& sites, double radius) {
  auto cov = covered_by(in, sites, radius);
  double s = 0;
  for (std::size_t i = 0; i < cov.size(); ++i)
    if (cov[i]) s += in.w[i];
  return s;
}

// Σ w_i min_open c_ij over points with weight > 0 and some entry; +inf if one has no open site.
double median_cost(const Instance& in, const std::vector<std::int64_t>& sites) {
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
void for_each_swap(const Instance& in, const std::vector<std::int64_t>& sites,
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

std::vector<std::int64_t> all_candidates(const Instance& in) {
  std::vector<std::int64_t> all;
  for (std::size_t j = 0; j < in.m(); ++j) all.push_back(static_cast<std::int64_t>(j));
  return all;
}

// Brute force: the fewest sites covering every point any candidate covers (quotas obeyed).
std::size_t fewest_covering_sites(const Instance& in, double radius) {
  const auto all = all_candidates(in);
  const auto coverable = covered_by(in, all, radius);
  std::size_t best = all.size() + 1;
  for (std::size_t k = 0; k <= all.size() && best > all.size(); ++k)
    for_each_feasible(in, k, [&](const std::vector<std::int64_t>& s) {
      if (covered_by(in, s, radius) == coverable) best = std::min(best, k);
    });
  return best;
}

void check_quotas(const Instance& in, const std::vector<std::int64_t>& sites) {
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

}  // namespace

TEST_CASE("MCLP on a picture: greedy + swap finds the optimum", "[siting]") {
  // Demand points on a line (weights above), candidates A..D cover the marked spans:
  //   i:   0  1  2  3  4  5
  //   w:   5  5  1  1  5  5
  //   A:   x  x  x
  //   B:         x  x
  //   C:            x  x  x
  //   D:   x              x
  // Greedy (p = 2) picks A (11) then C (11) = 22; the optimum is also 22 (A+C). With p = 1 the best is A (ties by
  // index).
  std::vector<double> w{5, 5, 1, 1, 5, 5};
  std::vector<std::int64_t> off{0, 3, 5, 8, 10};
  std::vector<std::int64_t> dem{0, 1, 2, 2, 3, 3, 4, 5, 0, 5};
  SitingProblem pr;
  pr.demand_weight = w;
  pr.offsets = off;
  pr.demand_index = dem;
  auto r = jangkau::solve_mclp(pr, 2);
  REQUIRE(r.sites == std::vector<std::int64_t>{0, 2});
  REQUIRE(r.objective == 22);
  REQUIRE(r.marginal_gain == std::vector<double>{11, 11});
  REQUIRE(r.bound == 22);  // at the final set every gain is 0
  REQUIRE(r.gap == 0);
  auto r1 = jangkau::solve_mclp(pr, 1);
  REQUIRE(r1.sites == std::vector<std::int64_t>{0});
  REQUIRE(r1.objective == 11);
  REQUIRE(r1.bound >= 11);
}

TEST_CASE("MCLP: greedy+swap <= brute-force optimum <= certified bound", "[siting]") {
  for (std::uint32_t seed = 0; seed < 300; ++seed) {
    std::mt19937 rng(seed * 7919u + 1u);
    const std::size_t n = 14 + seed % 9, m = 6 + seed % 5, p = 1 + seed % 4;
    Instance in = random_instance(seed, n, m, seed % 3 == 0 ? 0.7 : 1.0);
    in.radius = 0.25 + 0.05 * (seed % 4);
    if (seed % 4 == 1) add_groups(in, rng, 2, 1);
    if (seed % 4 == 2) {
      add_groups(in, rng, 2, static_cast<std::int64_t>(p / 2));
      in.mode = QuotaMode::Exactly;
    }
    if (seed % 5 == 3) in.fixed = {static_cast<std::int64_t>(m - 1)};
    if (seed % 6 == 4) {
      in.pre.assign(n, 0);
      in.pre[0] = in.pre[3] = 1;
    }
    auto pr = in.problem(in.radius);
    double opt = -1;
    bool any = false;
    for_each_feasible(in, p, [&](const std::vector<std::int64_t>& s) {
      any = true;
      opt = std::max(opt, covered_weight(in, s, in.radius));
    });
    if (!any) {
      REQUIRE_THROWS_AS(jangkau::solve_mclp(pr, p), jangkau::InfeasibleError);
      continue;
    }
    for (int threads : {1, 2}) {
      jangkau::SitingOptions opt_s;
      opt_s.threads = threads;
      if (seed % 2) opt_s.bound_work_limit = 0;  // lazy-key bounds only
      auto r = jangkau::solve_mclp(pr, p, opt_s);
      INFO("seed " << seed << " threads " << threads);
      REQUIRE(r.sites.size() == p);
      check_quotas(in, r.sites);
      REQUIRE(r.objective == covered_weight(in, r.sites, in.radius));
      REQUIRE(r.objective >= r.greedy_objective);
      REQUIRE(r.objective <= opt);
      REQUIRE(opt <= r.bound * (1 + 1e-12));
      REQUIRE(r.gap >= 0);
      REQUIRE(r.covered == covered_by(in, r.sites, in.radius));
      double sum = 0;
      for (double g : r.marginal_gain) sum += g;
      REQUIRE(sum == Approx(r.objective - covered_weight(in, {}, in.radius)));
    }
  }
}

TEST_CASE("MCLP: deterministic across thread counts", "[siting]") {
  Instance in = random_instance(42, 2000, 150, 0.3);
  auto pr = in.problem(0.12);
  jangkau::SitingOptions a, b;
  a.threads = 1;
  b.threads = 4;
  auto ra = jangkau::solve_mclp(pr, 12, a);
  auto rb = jangkau::solve_mclp(pr, 12, b);
  REQUIRE(ra.sites == rb.sites);
  REQUIRE(ra.objective == rb.objective);
  REQUIRE(ra.bound == rb.bound);
}

TEST_CASE("MCLP: equity floors are pursued and reported truthfully", "[siting]") {
  int met = 0;
  for (std::uint32_t seed = 0; seed < 60; ++seed) {
    Instance in = random_instance(1000 + seed, 30, 10);
    in.zone.resize(in.w.size());
    for (std::size_t i = 0; i < in.w.size(); ++i) in.zone[i] = static_cast<std::int32_t>(i % 3);
    in.floor = {0.5, std::nan(""), 0.3};
    auto pr = in.problem(0.3);
    const std::size_t p = 3;
    auto r = jangkau::solve_mclp(pr, p);
    auto cov = covered_by(in, r.sites, 0.3);
    double c0 = 0, t0 = 0, c2 = 0, t2 = 0;
    for (std::size_t i = 0; i < cov.size(); ++i) {
      if (in.zone[i] == 0) (t0 += in.w[i], c0 += cov[i] ? in.w[i] : 0);
      if (in.zone[i] == 2) (t2 += in.w[i], c2 += cov[i] ? in.w[i] : 0);
    }
    bool truly = c0 >= 0.5 * t0 - 1e-9 && c2 >= 0.3 * t2 - 1e-9;
    REQUIRE(r.floors_met == truly);
    met += truly;
    // the bound ignores floors, so it still bounds the floor-constrained optimum
    double opt = -1;
    for_each_feasible(in, p,
                      [&](const std::vector<std::int64_t>& s) { opt = std::max(opt, covered_weight(in, s, 0.3)); });
    REQUIRE(opt <= r.bound * (1 + 1e-12));
  }
  REQUIRE(met > 0);
}

TEST_CASE("p-median: brute-force optimum between the lower bound and the heuristic", "[siting]") {
  for (std::uint32_t seed = 0; seed < 200; ++seed) {
    std::mt19937 rng(seed + 17u);
    const std::size_t n = 12 + seed % 7, m = 6 + seed % 4, p = 1 + seed % 4;
    Instance in = random_instance(5000 + seed, n, m, seed % 3 == 0 ? 0.8 : 1.0);
    if (seed % 4 == 1) add_groups(in, rng, 2, 1);
    if (seed % 5 == 2) in.fixed = {0};
    auto pr = in.problem(std::numeric_limits<double>::infinity());
    double opt = std::numeric_limits<double>::infinity();
    bool any = false;
    for_each_feasible(in, p, [&](const std::vector<std::int64_t>& s) {
      any = true;
      opt = std::min(opt, median_cost(in, s));
    });
    if (!any) continue;
    auto r = jangkau::solve_p_median(pr, p);
    INFO("seed " << seed);
    check_quotas(in, r.sites);
    REQUIRE(r.sites.size() == p);
    REQUIRE(r.objective == Approx(median_cost(in, r.sites)).epsilon(1e-12));
    REQUIRE(r.objective >= opt * (1 - 1e-12));
    REQUIRE(r.bound <= opt * (1 + 1e-9) + 1e-9);
    REQUIRE(r.objective <= r.greedy_objective * (1 + 1e-12));
    if (std::isfinite(opt)) {
      for (std::size_t i = 0; i < n; ++i)
        if (r.assignment[i] >= 0) {
          bool open = std::find(r.sites.begin(), r.sites.end(), r.assignment[i]) != r.sites.end() ||
                      std::find(in.fixed.begin(), in.fixed.end(), r.assignment[i]) != in.fixed.end();
          REQUIRE(open);
        }
    }
  }
}

TEST_CASE("p-median: the Lagrangian bound is tight on easy instances", "[siting]") {
  Instance in = random_instance(7, 60, 12);
  auto pr = in.problem(std::numeric_limits<double>::infinity());
  auto r = jangkau::solve_p_median(pr, 4);
  REQUIRE(r.gap < 0.05);
}

TEST_CASE("LSCP: fewest sites, every coverable point covered", "[siting]") {
  for (std::uint32_t seed = 0; seed < 200; ++seed) {
    std::mt19937 rng(seed + 99u);
    const std::size_t n = 12 + seed % 7, m = 6 + seed % 5;
    Instance in = random_instance(9000 + seed, n, m);
    const double radius = 0.25 + 0.05 * (seed % 3);
    if (seed % 4 == 1) add_groups(in, rng, 2, 1);
    if (seed % 5 == 2) in.fixed = {1};
    auto pr = in.problem(radius);
    INFO("seed " << seed);
    bool quota_ok = true;
    for (std::size_t g = 0; g < in.quota.size(); ++g) {
      std::int64_t c = 0;
      for (std::size_t j = 0; j < m; ++j)
        if (in.group[j] == static_cast<std::int32_t>(g) &&
            std::find(in.fixed.begin(), in.fixed.end(), static_cast<std::int64_t>(j)) == in.fixed.end())
          ++c;
      if (c < in.quota[g]) quota_ok = false;
    }
    if (!quota_ok) {
      REQUIRE_THROWS_AS(jangkau::solve_lscp(pr), jangkau::InfeasibleError);
      continue;
    }
    auto r = jangkau::solve_lscp(pr);
    check_quotas(in, r.sites);
    // every coverable point is covered
    std::vector<std::int64_t> all;
    for (std::size_t j = 0; j < m; ++j)
      if (std::find(in.fixed.begin(), in.fixed.end(), static_cast<std::int64_t>(j)) == in.fixed.end())
        all.push_back(static_cast<std::int64_t>(j));
    auto coverable = covered_by(in, all, radius);
    auto got = covered_by(in, r.sites, radius);
    REQUIRE(got == coverable);
    for (std::size_t i = 0; i < n; ++i) REQUIRE(r.unreachable[i] == (coverable[i] ? 0 : 1));
    // brute force: smallest k with a feasible covering set
    std::size_t best = all.size() + 1;
    for (std::size_t k = 0; k <= all.size() && best > all.size(); ++k)
      for_each_feasible(in, k, [&](const std::vector<std::int64_t>& s) {
        if (covered_by(in, s, radius) == coverable) best = std::min(best, k);
      });
    REQUIRE(r.objective >= static_cast<double>(best));
    REQUIRE(r.bound <= static_cast<double>(best));
  }
}

TEST_CASE("siting: bad input and infeasible quotas raise typed errors", "[siting]") {
  Instance in = random_instance(3, 10, 5);
  auto pr = in.problem(0.3);
  REQUIRE_THROWS_AS(jangkau::solve_mclp(pr, 6), jangkau::InfeasibleError);
  std::vector<std::int64_t> bad_off{0, 2, 1, 3, 4, static_cast<std::int64_t>(in.demand.size())};
  auto pb = pr;
  pb.offsets = bad_off;
  REQUIRE_THROWS_AS(jangkau::solve_mclp(pb, 2), jangkau::InvalidInputError);
  std::vector<double> nan_w(in.w.size(), 1.0);
  nan_w[2] = std::nan("");
  pb = pr;
  pb.demand_weight = nan_w;
  REQUIRE_THROWS_AS(jangkau::solve_p_median(pb, 2), jangkau::InvalidInputError);
  std::vector<std::int32_t> grp{0, 0, 0, 0, 1};
  std::vector<std::int64_t> q{1, 2};
  pb = pr;
  pb.candidate_group = grp;
  pb.group_quota = q;
  REQUIRE_THROWS_AS(jangkau::solve_mclp(pb, 3), jangkau::InfeasibleError);  // group 1 has one candidate
  pb.quota_mode = QuotaMode::Exactly;
  REQUIRE_THROWS_AS(jangkau::solve_lscp(pb), jangkau::InvalidInputError);
  std::vector<std::int64_t> dup_dem = in.demand;
  dup_dem[1] = dup_dem[0];
  pb = pr;
  pb.demand_index = dup_dem;
  REQUIRE_THROWS_AS(jangkau::solve_mclp(pb, 2), jangkau::InvalidInputError);
}

TEST_CASE("best_feasible_sum respects the partition structure", "[siting]") {
  std::vector<double> v{9, 8, 7, 1, 5, 4};
  std::vector<std::int32_t> g{0, 0, 0, 1, 1, -1};
  std::vector<std::int64_t> q{1, 2};
  std::vector<double> w(1, 1.0);
  std::vector<std::int64_t> off{0, 0, 0, 0, 0, 0, 0};
  SitingProblem pr;
  pr.demand_weight = w;
  pr.offsets = off;
  pr.candidate_group = g;
  pr.group_quota = q;
  REQUIRE(jangkau::best_feasible_sum(pr, v, 3) == 9 + 1 + 5);
  REQUIRE(jangkau::best_feasible_sum(pr, v, 4) == 9 + 1 + 5 + 8);
  pr.quota_mode = QuotaMode::Exactly;
  REQUIRE(jangkau::best_feasible_sum(pr, v, 4) == 9 + 1 + 5 + 4);
}

TEST_CASE("solve_siting dispatches on SitingModel", "[siting]") {
  Instance in = random_instance(11, 40, 9);
  auto pr = in.problem(0.3);
  using jangkau::SitingModel;
  REQUIRE(jangkau::solve_siting(SitingModel::MCLP, pr, 3).sites == jangkau::solve_mclp(pr, 3).sites);
  REQUIRE(jangkau::solve_siting(SitingModel::LSCP, pr, 3).sites == jangkau::solve_lscp(pr).sites);
  REQUIRE(jangkau::solve_siting(SitingModel::PMedian, pr, 3).sites == jangkau::solve_p_median(pr, 3).sites);
  REQUIRE_THROWS_AS(jangkau::solve_siting(static_cast<SitingModel>(7), pr, 3), jangkau::InvalidInputError);
}

TEST_CASE("lazy greedy picks what the plain greedy picks", "[siting]") {
  // Without local search and Lagrangian restart, MCLP returns the greedy sequence; with
  // integer weights the lazy keys are exact, so it must equal the textbook greedy (largest
  // covered-weight gain, ties by the smaller index) computed by enumeration.
  for (std::uint32_t seed = 0; seed < 100; ++seed) {
    std::mt19937 rng(seed + 3u);
    Instance in = random_instance(20000 + seed, 25 + seed % 11, 8 + seed % 7, seed % 2 ? 0.6 : 1.0);
    if (seed % 3 == 1) in.fixed = {0};
    const std::size_t p = 1 + seed % 5;
    jangkau::SitingOptions o;
    o.local_search = false;
    o.lagrangian_iterations = 0;
    auto r = jangkau::solve_mclp(in.problem(0.3), p, o);
    std::vector<std::int64_t> plain;
    while (plain.size() < p) {
      double base = covered_weight(in, plain, 0.3), best_gain = -1;
      std::int64_t best = -1;
      for (std::size_t j = 0; j < in.m(); ++j) {
        if (is_fixed(in, j) || std::find(plain.begin(), plain.end(), static_cast<std::int64_t>(j)) != plain.end())
          continue;
        auto with = plain;
        with.push_back(static_cast<std::int64_t>(j));
        double g = covered_weight(in, with, 0.3) - base;
        if (g > best_gain) {
          best_gain = g;
          best = static_cast<std::int64_t>(j);
        }
      }
      plain.push_back(best);
    }
    INFO("seed " << seed);
    REQUIRE(r.sites == plain);
    REQUIRE(r.objective == r.greedy_objective);
  }
}

TEST_CASE("MCLP and p-median end at a 1-swap local optimum (every swap enumerated)", "[siting]") {
  int swapped = 0;
  for (std::uint32_t seed = 0; seed < 120; ++seed) {
    std::mt19937 rng(seed + 77u);
    const std::size_t n = 30 + seed % 13, m = 8 + seed % 6, p = 2 + seed % 4;
    Instance in = random_instance(30000 + seed, n, m);
    if (seed % 3 == 1) add_groups(in, rng, 2, 1);
    if (seed % 5 == 2) in.fixed = {static_cast<std::int64_t>(m - 1)};
    jangkau::SitingOptions o;
    o.lagrangian_iterations = seed % 2 ? 0 : 300;  // with and without the Lagrangian restarts
    INFO("seed " << seed);
    bool feasible = false;
    for_each_feasible(in, p, [&](const std::vector<std::int64_t>&) { feasible = true; });
    if (!feasible) continue;
    auto rc = jangkau::solve_mclp(in.problem(0.25), p, o);
    REQUIRE(rc.objective == covered_weight(in, rc.sites, 0.25));
    for_each_swap(in, rc.sites,
                  [&](const std::vector<std::int64_t>& s) { REQUIRE(covered_weight(in, s, 0.25) <= rc.objective); });
    auto rm = jangkau::solve_p_median(in.problem(std::numeric_limits<double>::infinity()), p, o);
    for_each_swap(in, rm.sites, [&](const std::vector<std::int64_t>& s) {
      REQUIRE(median_cost(in, s) >= rm.objective * (1 - 1e-12));
    });
    swapped += static_cast<int>(rc.swaps + rm.swaps);
  }
  REQUIRE(swapped > 0);  // the local search did move on some instances
}

namespace {

/// A linear objective Σ value[j] over the chosen sites, as a model of the shared local search.
struct LinearModel {
  static constexpr bool maximise = true;
  const std::vector<double>& value;
  const jangkau::detail::Selection& sel;
  double total = 0;

  double objective() const { return total; }
  void start() {}
  void position_terms(std::span<double> base) const {
    for (std::size_t k = 0; k < sel.sites.size(); ++k) base[k] += value[static_cast<std::size_t>(sel.sites[k])];
  }
  double scan(std::size_t j, jangkau::detail::SwapScratch&) const { return value[j]; }
  static double delta(double g, double base, double extra) { return g - base + extra; }
  bool try_swap(const std::vector<std::int64_t>& trial, double tol) {
    double t = 0;
    for (auto j : trial) t += value[static_cast<std::size_t>(j)];
    if (!(t > total + tol)) return false;
    total = t;
    return true;
  }
};

}  // namespace

TEST_CASE("swap local search on a linear objective reaches the best quota-feasible set", "[siting]") {
  // Feasible sets are the bases of a matroid, so a 1-swap local optimum of a linear objective
  // is a global optimum: compare with best_feasible_sum and with enumeration.
  for (std::uint32_t seed = 0; seed < 200; ++seed) {
    std::mt19937 rng(seed + 5u);
    Instance in = random_instance(40000 + seed, 1, 7 + seed % 6);
    const std::size_t p = 1 + seed % 5;
    if (seed % 3 != 0) add_groups(in, rng, 2, static_cast<std::int64_t>(seed % 2));
    if (seed % 3 == 2) in.mode = QuotaMode::Exactly;
    if (seed % 4 == 3) in.fixed = {0};
    std::vector<double> value(in.m()), start_value(in.m());
    for (auto& v : value) v = static_cast<double>(rng() % 50);
    for (auto& v : start_value) v = static_cast<double>(rng() % 50);
    double opt = -1;
    for_each_feasible(in, p, [&](const std::vector<std::int64_t>& s) {
      double t = 0;
      for (auto j : s) t += value[static_cast<std::size_t>(j)];
      opt = std::max(opt, t);
    });
    if (opt < 0) continue;
    auto pr = in.problem(1.0);
    jangkau::detail::Instance inst(pr);
    jangkau::detail::validate(inst);
    const auto fixed = jangkau::detail::fixed_mask(inst);
    jangkau::detail::Selection sel(pr, p, fixed);
    // a feasible but poor start: the best set for unrelated values
    std::vector<std::int64_t> start;
    for (auto j : jangkau::detail::best_feasible_set(pr, start_value, p, fixed))
      start.push_back(static_cast<std::int64_t>(j));
    sel.reset(start);
    LinearModel model{value, sel};
    for (auto j : start) model.total += value[static_cast<std::size_t>(j)];
    jangkau::detail::swap_local_search(model, inst, sel, {10000, 1 + seed % 2}, jangkau::null_monitor());
    INFO("seed " << seed);
    check_quotas(in, sel.sites);
    REQUIRE(model.total == opt);
    REQUIRE(jangkau::best_feasible_sum(pr, value, p, fixed) == opt);
  }
}

namespace {

/// Lagrangian of "pick one item, cost c_j": L(λ) = λ + Σ_j min(0, c_j - λ) <= min c, with
/// equality at λ = min c. `sign` = -1 turns it into the upper bound -L of max_j -c_j.
struct OneItemRelaxation {
  const std::vector<double>& c;
  const std::vector<double>& x;
  double sign = 1;
  double best = 0;
  std::vector<double> seen;

  double evaluate() {
    double L = x[0];
    for (double cj : c) L += std::min(0.0, cj - x[0]);
    seen.push_back(sign * L);
    return sign * L;
  }
  void improved(int) { best = seen.back(); }
  bool converged() const { return false; }
  void direction(std::vector<double>& g) const {
    g[0] = 1;
    for (double cj : c)
      if (cj < x[0]) g[0] -= 1;
  }
};

}  // namespace

TEST_CASE("polyak_subgradient reaches the dual optimum from either side", "[siting]") {
  for (std::uint32_t seed = 0; seed < 50; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(1, 10);
    std::vector<double> c(3 + seed % 6);
    for (auto& v : c) v = u(rng);
    const double opt = *std::min_element(c.begin(), c.end());
    for (double sign : {1.0, -1.0}) {
      std::vector<double> x{0.0};
      OneItemRelaxation rel{c, x, sign};
      jangkau::detail::SubgradientSettings s{300, sign * opt, sign > 0, true};
      jangkau::detail::polyak_subgradient(x, s, rel, jangkau::null_monitor());
      INFO("seed " << seed << " sign " << sign);
      for (double L : rel.seen) REQUIRE(sign * L <= opt * (1 + 1e-12));  // every iterate is a valid bound
      REQUIRE(sign * rel.best == Approx(opt).epsilon(1e-6));
    }
  }
}

namespace {

/// Clustered family: demand points drawn around `clusters` Gaussian centres (σ = 0.04, weights
/// 1..9, heavier in the first clusters), candidates half at jittered demand points and half
/// uniform in the unit square; cost = Euclidean distance. Uniform family: random_instance.
Instance clustered_instance(std::uint32_t seed, std::size_t n, std::size_t m, std::size_t clusters,
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

/// The instance of a (family, seed) pair: 0 = uniform, 1 = clustered.
Instance family_instance(int family, std::uint32_t seed, std::size_t n, std::size_t m) {
  return family == 0 ? random_instance(seed, n, m) : clustered_instance(seed, n, m, 3 + seed % 4);
}

/// Exhaustive optimum over every p-subset (no quotas, no fixed sites), with the state built up
/// along the recursion (one O(n) step per node): MCLP covered weight (maximise) or p-median
/// cost (minimise), from the dense cost matrix of a family instance.
double brute_force(const Instance& in, std::size_t p, bool median, double radius) {
  const std::size_t n = in.w.size(), m = in.m();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> level(p + 1, std::vector<double>(n, median ? inf : 0.0));
  double best = median ? inf : -1;
  std::function<void(std::size_t, std::size_t)> rec = [&](std::size_t start, std::size_t depth) {
    if (depth == p) {
      double v = 0;
      for (std::size_t i = 0; i < n; ++i) v += in.w[i] * level[p][i];
      best = median ? std::min(best, v) : std::max(best, v);
      return;
    }
    for (std::size_t j = start; j + (p - depth) <= m; ++j) {
      auto& cur = level[depth];
      auto& nxt = level[depth + 1];
      for (auto e = in.offsets[j]; e < in.offsets[j + 1]; ++e) {
        auto i = static_cast<std::size_t>(in.demand[static_cast<std::size_t>(e)]);
        double c = in.cost[static_cast<std::size_t>(e)];
        nxt[i] = median ? std::min(cur[i], c) : std::max(cur[i], c <= radius ? 1.0 : 0.0);
      }
      rec(j + 1, depth + 1);
    }
  };
  rec(0, 0);
  return best;
}

/// The options of the search before the stronger neighbourhoods: greedy, 1-swap, Lagrangian restarts.
jangkau::SitingOptions old_search() {
  jangkau::SitingOptions o;
  o.threads = 1;
  o.shake_rounds = 0;
  o.pair_moves = false;
  return o;
}

}  // namespace

TEST_CASE("stronger search: MCLP, p-median, LSCP against brute force on uniform and clustered instances",
          "[siting]") {
  jangkau::SitingOptions now;
  now.threads = 1;
  for (int family : {0, 1}) {
    int old_miss[3] = {0, 0, 0}, new_miss[3] = {0, 0, 0}, runs = 0;
    for (std::uint32_t seed = 0; seed < 120; ++seed) {
      const std::size_t n = 40 + seed % 11, m = 12 + seed % 5, p = 3 + seed % 3;
      Instance in = family_instance(family, 20000 + seed, n, m);
      const double radius = family == 0 ? 0.18 : 0.09 + 0.01 * (seed % 3);
      INFO("family " << family << " seed " << seed);
      ++runs;
      // MCLP
      auto pr = in.problem(radius);
      double opt = -1;
      for_each_feasible(in, p, [&](const std::vector<std::int64_t>& s) {
        opt = std::max(opt, covered_weight(in, s, radius));
      });
      auto r_old = jangkau::solve_mclp(pr, p, old_search());
      auto r_new = jangkau::solve_mclp(pr, p, now);
      REQUIRE(r_new.objective == covered_weight(in, r_new.sites, radius));
      REQUIRE(r_new.objective >= r_old.objective);
      REQUIRE(r_new.objective <= opt);
      REQUIRE(opt <= r_new.bound * (1 + 1e-12));
      old_miss[0] += r_old.objective < opt;
      new_miss[0] += r_new.objective < opt;
      // p-median
      auto prm = in.problem(std::numeric_limits<double>::infinity());
      double optm = std::numeric_limits<double>::infinity();
      for_each_feasible(in, p,
                        [&](const std::vector<std::int64_t>& s) { optm = std::min(optm, median_cost(in, s)); });
      auto m_old = jangkau::solve_p_median(prm, p, old_search());
      auto m_new = jangkau::solve_p_median(prm, p, now);
      REQUIRE(m_new.objective == Approx(median_cost(in, m_new.sites)).epsilon(1e-12));
      REQUIRE(m_new.objective <= m_old.objective * (1 + 1e-12));
      REQUIRE(m_new.objective >= optm * (1 - 1e-12));
      REQUIRE(m_new.bound <= optm * (1 + 1e-9));
      old_miss[1] += m_old.objective > optm * (1 + 1e-12);
      new_miss[1] += m_new.objective > optm * (1 + 1e-12);
      // LSCP
      const auto coverable = covered_by(in, all_candidates(in), radius);
      const std::size_t best = fewest_covering_sites(in, radius);
      auto l_old = jangkau::solve_lscp(pr, old_search());
      auto l_new = jangkau::solve_lscp(pr, now);
      REQUIRE(covered_by(in, l_new.sites, radius) == coverable);
      REQUIRE(l_new.objective <= l_old.objective);
      REQUIRE(l_new.objective >= static_cast<double>(best));
      REQUIRE(l_new.bound <= static_cast<double>(best));
      old_miss[2] += l_old.objective > static_cast<double>(best);
      new_miss[2] += l_new.objective > static_cast<double>(best);
    }
    INFO("family " << family << " runs " << runs << " old misses mclp/pmed/lscp " << old_miss[0] << "/" << old_miss[1]
                   << "/" << old_miss[2] << " new " << new_miss[0] << "/" << new_miss[1] << "/" << new_miss[2]);
    // Seen when this test was written: old 0/0/5 new 0/0/1 (uniform), 0/0/0 both (clustered).
    REQUIRE(new_miss[0] == 0);
    REQUIRE(new_miss[1] == 0);
    REQUIRE(new_miss[2] <= old_miss[2]);
  }
}

TEST_CASE("stronger search finds the optimum where greedy + swap + Lagrangian restarts stop short", "[siting]") {
  jangkau::SitingOptions now;
  now.threads = 1;
  SECTION("p-median, uniform 300 x 26: two instances (found by scanning seeds 30000..30159)") {
    // Rescanned after the Lagrangian moved to scaled multipliers: its better restart sets let
    // the old search reach the optimum of seed 30011; it stops short on 30012, 30035, 30090.
    for (std::uint32_t seed : {30012u, 30035u}) {
      const std::size_t p = 5 + seed % 2;
      Instance in = family_instance(0, seed, 300, 26);
      auto pr = in.problem(std::numeric_limits<double>::infinity());
      const double opt = brute_force(in, p, true, 0);
      auto r_old = jangkau::solve_p_median(pr, p, old_search());
      auto r_new = jangkau::solve_p_median(pr, p, now);
      INFO("seed " << seed << " old " << r_old.objective << " new " << r_new.objective << " optimum " << opt);
      REQUIRE(r_old.objective > opt * (1 + 1e-9));
      REQUIRE(r_new.objective == Approx(opt).epsilon(1e-12));
    }
  }
  SECTION("MCLP, 0/1 coverage: a 1-swap local optimum two swaps from the optimum") {
    // Found by scanning random set systems (8 points, 6 candidates, p = 2): seed 6480.
    //   weights 8 8 8 2 6 7 2 4; greedy + swap ends at 32, the optimum is 34.
    std::mt19937 rng(6480);
    Instance in;
    for (std::size_t i = 0; i < 8; ++i) in.w.push_back(1 + rng() % 9);
    in.offsets.push_back(0);
    for (std::size_t j = 0; j < 6; ++j) {
      for (std::size_t i = 0; i < 8; ++i)
        if (rng() % 3 == 0) {
          in.demand.push_back(static_cast<std::int64_t>(i));
          in.cost.push_back(0.0);
        }
      in.offsets.push_back(static_cast<std::int64_t>(in.demand.size()));
    }
    auto pr = in.problem(0.5);
    double opt = -1;
    for_each_feasible(in, 2,
                      [&](const std::vector<std::int64_t>& s) { opt = std::max(opt, covered_weight(in, s, 0.5)); });
    auto r_old = jangkau::solve_mclp(pr, 2, old_search());
    auto r_new = jangkau::solve_mclp(pr, 2, now);
    REQUIRE(opt == 34);
    REQUIRE(r_old.objective == 32);
    REQUIRE(r_new.objective == 34);
  }
}

TEST_CASE("LSCP 2-for-1 move on a picture", "[siting]") {
  // Six points, unit weights. Candidates A {0,1}, B {4,5}, C {1,2,3,4}, D {0,1,2,3}. The greedy
  // takes C (4 points; ties with D go to the smaller index), then A and B: {A, B, C}, where
  // nothing is redundant (0 only by A, 5 only by B, 2 and 3 only by C). D covers everything
  // only A and C cover ({0, 2, 3} and 1), so the 2-for-1 move gives {B, D}, the optimum
  // (points 0 and 5 share no candidate, so 2 is also the packing bound).
  std::vector<double> w(6, 1.0);
  std::vector<std::int64_t> off{0, 2, 4, 8, 12};
  std::vector<std::int64_t> dem{0, 1, 4, 5, 1, 2, 3, 4, 0, 1, 2, 3};
  SitingProblem pr;
  pr.demand_weight = w;
  pr.offsets = off;
  pr.demand_index = dem;
  jangkau::SitingOptions now;
  now.lagrangian_iterations = 0;  // no Lagrangian second cover: the move alone
  auto r_new = jangkau::solve_lscp(pr, now);
  auto sorted = r_new.sites;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(sorted == std::vector<std::int64_t>{1, 3});
  REQUIRE(r_new.objective == 2);
  REQUIRE(r_new.bound == 2);  // packing of points 0 and 5
  jangkau::SitingOptions no_moves = now;
  no_moves.pair_moves = false;
  REQUIRE(jangkau::solve_lscp(pr, no_moves).objective == 3);
}

TEST_CASE("an expired deadline still gives a feasible answer with a valid bound (MCLP, p-median, LSCP)", "[siting]") {
  // Monitor::set_deadline_in(0): the deadline has passed before the solve starts, so every
  // phase that may stop early stops at once (greedy by stale keys, no swaps, no Lagrangian).
  for (int family : {0, 1}) {
    for (std::uint32_t seed = 0; seed < 40; ++seed) {
      const std::size_t n = 40 + seed % 11, m = 12 + seed % 5, p = 3 + seed % 3;
      Instance in = family_instance(family, 31000 + seed, n, m);
      const double radius = family == 0 ? 0.18 : 0.1;
      INFO("family " << family << " seed " << seed);
      auto pr = in.problem(radius);
      double opt = -1;
      for_each_feasible(in, p, [&](const std::vector<std::int64_t>& s) {
        opt = std::max(opt, covered_weight(in, s, radius));
      });
      jangkau::Monitor expired;
      expired.set_deadline_in(0);
      REQUIRE(expired.expired());
      REQUIRE_FALSE(expired.cancelled());
      auto r = jangkau::solve_mclp(pr, p, {}, expired);
      REQUIRE(r.sites.size() == p);
      check_quotas(in, r.sites);
      REQUIRE(r.objective == covered_weight(in, r.sites, radius));
      REQUIRE(r.objective <= opt);
      REQUIRE(opt <= r.bound * (1 + 1e-12));
      REQUIRE(r.gap == Approx(std::abs(r.bound - r.objective) / std::max(r.bound, r.objective)).margin(1e-15));
      auto full = jangkau::solve_mclp(pr, p);
      REQUIRE(full.objective >= r.objective);  // the deadline only takes work away

      auto prm = in.problem(std::numeric_limits<double>::infinity());
      double optm = std::numeric_limits<double>::infinity();
      for_each_feasible(in, p,
                        [&](const std::vector<std::int64_t>& s) { optm = std::min(optm, median_cost(in, s)); });
      auto rm = jangkau::solve_p_median(prm, p, {}, expired);
      REQUIRE(rm.sites.size() == p);
      REQUIRE(rm.objective == Approx(median_cost(in, rm.sites)).epsilon(1e-12));
      REQUIRE(rm.objective >= optm * (1 - 1e-12));
      REQUIRE(rm.bound <= optm * (1 + 1e-9));

      const auto coverable = covered_by(in, all_candidates(in), radius);
      const std::size_t best = fewest_covering_sites(in, radius);
      auto rl = jangkau::solve_lscp(pr, {}, expired);
      REQUIRE(covered_by(in, rl.sites, radius) == coverable);
      REQUIRE(rl.objective >= static_cast<double>(best));
      REQUIRE(rl.bound <= static_cast<double>(best));
    }
  }
  // A deadline far away changes nothing.
  Instance in = family_instance(1, 777, 60, 14);
  auto pr = in.problem(0.1);
  jangkau::Monitor later;
  later.set_deadline_in(3600);
  REQUIRE_FALSE(later.expired());
  auto a = jangkau::solve_mclp(pr, 4, {}, later);
  auto b = jangkau::solve_mclp(pr, 4);
  REQUIRE(a.sites == b.sites);
  REQUIRE(a.bound == b.bound);
}
