// The p-median Lagrangian branch-and-bound (core/siting_pmedian_bb.hpp) against brute force
// over every p-subset, on uniform and clustered instances, dense and sparse, with and without
// fixed sites, from good and poor starts; its bound never exceeds the optimum, a spent deadline
// or a node limit gives a valid incumbent and bound, two threads give the same tree as one, and
// bad input (a schedule that cannot run included) is refused.
#include <cstdint>
#include <limits>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/monitor.hpp"
#include "core/siting.hpp"
#include "core/siting_pmedian_bb.hpp"
#include "siting_cases.hpp"

using namespace siting_test;  // NOLINT(google-build-using-namespace): the test instances and references

namespace {

const double kInf = std::numeric_limits<double>::infinity();

/// The brute-force optimum over every p-subset of the non-fixed candidates (inf if none serves
/// every reachable point).
double optimum(const Instance& in, std::size_t p) {
  double best = kInf;
  for_each_feasible(in, p, [&](const std::vector<std::int64_t>& s) { best = std::min(best, median_cost(in, s)); });
  return best;
}

/// Checks a result against the brute-force optimum `opt`: the objective is the cost of the sites,
/// the bound is at most the optimum, and a proven answer is the optimum.
void check(const Instance& in, std::size_t p, const jangkau::PMedianBranchResult& r, double opt) {
  REQUIRE(r.result.sites.size() == p);
  REQUIRE(r.result.objective == Approx(median_cost(in, r.result.sites)).epsilon(1e-12));
  REQUIRE(r.result.objective >= opt * (1 - 1e-12));
  REQUIRE(r.result.bound <= opt * (1 + 1e-9));
  if (r.proven) {
    REQUIRE(r.result.objective == Approx(opt).epsilon(1e-9));
    REQUIRE(r.open_nodes == 0);
  }
}

/// Solves from `start` with `o` on one thread and again on two: proven, checked against the
/// brute-force optimum `opt`, and the same sites, bound, tree and incumbent updates on both (two
/// threads solve the same rounds). Returns the one-thread result.
jangkau::PMedianBranchResult proven_on_one_and_two_threads(const Instance& in, std::size_t p,
                                                           const std::vector<std::int64_t>& start,
                                                           jangkau::PMedianBranchOptions o, double opt) {
  const auto pr = in.problem(kInf);
  o.threads = 1;
  auto r = jangkau::solve_p_median_bb(pr, p, start, {}, o);
  REQUIRE(r.proven);
  check(in, p, r, opt);
  o.threads = 2;
  auto r2 = jangkau::solve_p_median_bb(pr, p, start, {}, o);
  REQUIRE(r2.proven);
  REQUIRE(r2.result.sites == r.result.sites);
  REQUIRE(r2.result.bound == r.result.bound);
  REQUIRE(r2.nodes == r.nodes);
  REQUIRE(r2.incumbent_updates == r.incumbent_updates);
  return r;
}

}  // namespace

TEST_CASE("p-median branch-and-bound equals brute force on uniform and clustered instances", "[siting_pmedian_bb]") {
  jangkau::SitingOptions search;
  search.threads = 1;
  std::size_t nodes_beyond_root = 0, runs = 0;
  for (int family : {0, 1}) {
    for (std::uint32_t seed = 0; seed < 40; ++seed) {
      const std::size_t n = 60 + seed % 13, m = 12 + seed % 5, p = 2 + seed % 4;
      const double keep = seed % 3 == 0 ? 0.6 : 1.0;  // every third instance sparse (forbidden pairs)
      Instance in = family == 0 ? random_instance(40000 + seed, n, m, keep)
                                : clustered_instance(40000 + seed, n, m, 3 + seed % 4);
      if (seed % 5 == 4) in.fixed = {static_cast<std::int64_t>(seed % m)};
      INFO("family " << family << " seed " << seed << " n " << n << " m " << m << " p " << p);
      const auto pr = in.problem(kInf);
      const double opt = optimum(in, p);
      if (!std::isfinite(opt)) {
        REQUIRE_THROWS_AS(jangkau::solve_p_median_bb(pr, p), jangkau::InfeasibleError);
        continue;
      }
      ++runs;
      // from the heuristic's own start
      jangkau::PMedianBranchOptions o;
      o.search = search;
      auto r = jangkau::solve_p_median_bb(pr, p, {}, {}, o);
      REQUIRE(r.proven);
      check(in, p, r, opt);
      // from a poor start (the first p free candidates) and no multipliers, with few root steps:
      // the tree, not the heuristic, has to find the optimum
      std::vector<std::int64_t> poor;
      for (std::size_t j = 0; j < m && poor.size() < p; ++j)
        if (in.fixed.empty() || in.fixed[0] != static_cast<std::int64_t>(j))
          poor.push_back(static_cast<std::int64_t>(j));
      if (!std::isfinite(median_cost(in, poor))) continue;  // a start must serve every point
      o.schedule.root_iterations = 20;
      o.schedule.node_iterations = 10;
      nodes_beyond_root += proven_on_one_and_two_threads(in, p, poor, o, opt).nodes - 1;
      o.threads = 2;
      // one node per round (the incumbent passed on at once): another tree, the same optimum
      o.batch = 1;
      auto r4 = jangkau::solve_p_median_bb(pr, p, poor, {}, o);
      REQUIRE(r4.proven);
      check(in, p, r4, opt);
      // the other branching rule: another tree, the same optimum
      o.batch = 2;
      o.branching = jangkau::PMedianBranching::StrongestClosing;
      auto r5 = jangkau::solve_p_median_bb(pr, p, poor, {}, o);
      REQUIRE(r5.proven);
      check(in, p, r5, opt);
      o.branching = jangkau::PMedianBranching::MostFractional;
    }
  }
  INFO("instances " << runs << " nodes beyond the root (poor starts) " << nodes_beyond_root);
  REQUIRE(runs >= 60);
  REQUIRE(nodes_beyond_root > 0);  // the tree was exercised, not only the root
}

// Past its first step a node updates ρ (the points whose λ_i moved) instead of summing it
// afresh, sums it afresh every 16 evaluations, and values a Lagrangian site set only when the
// direction's by-product puts it near the incumbent. Long node schedules from a poor start run
// all three many times over; the tree must still prove the brute-force optimum, on one and two
// threads alike.
TEST_CASE("p-median branch-and-bound with long node schedules (updated relaxation) equals brute force",
          "[siting_pmedian_bb]") {
  std::size_t nodes_beyond_root = 0, runs = 0;
  for (int family : {0, 1}) {
    for (std::uint32_t seed = 0; seed < 16; ++seed) {
      const std::size_t n = 200 + 7 * seed, m = 20 + seed % 5, p = 4 + seed % 3;
      const double keep = seed % 2 == 0 ? 0.7 : 1.0;
      Instance in = family == 0 ? random_instance(42000 + seed, n, m, keep)
                                : clustered_instance(42000 + seed, n, m, 3 + seed % 3);
      INFO("family " << family << " seed " << seed << " n " << n << " m " << m << " p " << p);
      const double opt = optimum(in, p);
      std::vector<std::int64_t> poor;
      for (std::size_t j = 0; j < p; ++j) poor.push_back(static_cast<std::int64_t>(j));
      if (!std::isfinite(opt) || !std::isfinite(median_cost(in, poor))) continue;
      ++runs;
      jangkau::PMedianBranchOptions o;
      o.search.threads = 1;
      o.schedule.root_iterations = 30;  // a weak root: the nodes do the work
      o.schedule.node_iterations = 120;
      o.schedule.node_patience = 10;
      nodes_beyond_root += proven_on_one_and_two_threads(in, p, poor, o, opt).nodes - 1;
    }
  }
  INFO("instances " << runs << " nodes beyond the root " << nodes_beyond_root);
  REQUIRE(runs >= 24);
  REQUIRE(nodes_beyond_root >= 2 * runs);
}

TEST_CASE("p-median branch-and-bound: a spent deadline or a node limit gives a valid incumbent and bound",
          "[siting_pmedian_bb]") {
  for (int family : {0, 1}) {
    Instance in = family == 0 ? random_instance(41000, 90, 18) : clustered_instance(41000, 90, 18, 4);
    const std::size_t p = 4;
    const auto pr = in.problem(kInf);
    const double opt = optimum(in, p);
    auto heuristic = jangkau::solve_p_median(pr, p);
    {
      jangkau::Monitor spent;
      spent.set_deadline_in(0.0);
      auto r = jangkau::solve_p_median_bb(pr, p, heuristic.sites, heuristic.multipliers, {}, spent);
      REQUIRE_FALSE(r.proven);
      check(in, p, r, opt);
      REQUIRE(r.result.objective <= heuristic.objective * (1 + 1e-12));
    }
    {  // two threads past the deadline: the same valid answer
      jangkau::Monitor spent;
      spent.set_deadline_in(0.0);
      jangkau::PMedianBranchOptions o;
      o.threads = 2;
      auto r = jangkau::solve_p_median_bb(pr, p, heuristic.sites, heuristic.multipliers, o, spent);
      REQUIRE_FALSE(r.proven);
      check(in, p, r, opt);
      REQUIRE(r.result.objective <= heuristic.objective * (1 + 1e-12));
    }
    {
      jangkau::PMedianBranchOptions o;
      o.node_limit = 1;
      o.schedule.root_iterations = 5;
      auto r = jangkau::solve_p_median_bb(pr, p, heuristic.sites, {}, o);
      check(in, p, r, opt);
      REQUIRE(r.nodes <= 1);
      if (!r.proven) REQUIRE(r.open_nodes > 0);
    }
  }
}

TEST_CASE("p-median branch-and-bound refuses quotas and malformed starts", "[siting_pmedian_bb]") {
  Instance in = random_instance(42000, 30, 8);
  auto pr = in.problem(kInf);
  std::vector<std::int64_t> short_start{0};
  REQUIRE_THROWS_AS(jangkau::solve_p_median_bb(pr, 2, short_start), jangkau::InvalidInputError);
  std::vector<std::int64_t> out_of_range{0, 8};
  REQUIRE_THROWS_AS(jangkau::solve_p_median_bb(pr, 2, out_of_range), jangkau::InvalidInputError);
  std::vector<std::int64_t> repeated{1, 1};
  REQUIRE_THROWS_AS(jangkau::solve_p_median_bb(pr, 2, repeated), jangkau::InvalidInputError);
  std::vector<double> lam(3, 1.0);
  std::vector<std::int64_t> ok{0, 1};
  REQUIRE_THROWS_AS(jangkau::solve_p_median_bb(pr, 2, ok, lam), jangkau::InvalidInputError);
  // a schedule that cannot run
  jangkau::PMedianBranchOptions bad;
  bad.schedule.node_patience = 0;
  REQUIRE_THROWS_AS(jangkau::solve_p_median_bb(pr, 2, ok, {}, bad), jangkau::InvalidInputError);
  bad = {};
  bad.schedule.root_theta = 3;
  REQUIRE_THROWS_AS(jangkau::solve_p_median_bb(pr, 2, ok, {}, bad), jangkau::InvalidInputError);
  bad = {};
  bad.schedule.root_iterations = -1;
  REQUIRE_THROWS_AS(jangkau::solve_p_median_bb(pr, 2, ok, {}, bad), jangkau::InvalidInputError);
  in.group.assign(8, 0);
  in.quota = {1};
  pr = in.problem(kInf);
  REQUIRE_THROWS_AS(jangkau::solve_p_median_bb(pr, 2), jangkau::InvalidInputError);
}
