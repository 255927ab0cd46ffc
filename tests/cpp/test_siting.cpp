// Siting models (MCLP, p-median, LSCP) against exhaustive search on small random (synthetic,
// seeded) instances: optima, bounds, quotas, floors, errors, dispatch.
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
#include "siting_cases.hpp"

using namespace siting_test;  // NOLINT(google-build-using-namespace): the test instances and references

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
