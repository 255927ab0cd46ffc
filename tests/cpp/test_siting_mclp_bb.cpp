// MCLP Lagrangian bound and Lagrangian branch-and-bound (core/siting_mclp_bb.hpp), checked
// against brute force over every p-set on two seeded SYNTHETIC families: uniform points
// (siting_cases.hpp) and Gaussian clusters with heavy-tailed integer weights (below).
#include <algorithm>
#include <bitset>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/siting_mclp_bb.hpp"
#include "siting_cases.hpp"

namespace {

using jangkau::MclpRows;

/// Demand rows in candidate-major form, owning their arrays.
struct Rows {
  std::vector<double> w;
  std::vector<std::int64_t> offsets, rows;
  MclpRows view() const { return MclpRows{w, offsets, rows}; }
  std::size_t m() const { return offsets.size() - 1; }
};

Rows from_instance(const siting_test::Instance& in, double radius) {
  Rows r;
  r.w = in.w;
  r.offsets.push_back(0);
  for (std::size_t j = 0; j < in.m(); ++j) {
    for (auto e = in.offsets[j]; e < in.offsets[j + 1]; ++e)
      if (in.cost[static_cast<std::size_t>(e)] <= radius) r.rows.push_back(in.demand[static_cast<std::size_t>(e)]);
    r.offsets.push_back(static_cast<std::int64_t>(r.rows.size()));
  }
  return r;
}

/// Gaussian clusters (3 centres, sd 0.06) with Pareto(1.5) integer weights in [1, 1000]; half the
/// candidates near demand points, half uniform; covers within `radius`.
Rows clustered(std::uint32_t seed, std::size_t n, std::size_t m, double radius) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 0.06);
  std::vector<double> cx(3), cy(3);
  for (std::size_t k = 0; k < 3; ++k) {
    cx[k] = 0.2 + 0.6 * u(rng);
    cy[k] = 0.2 + 0.6 * u(rng);
  }
  Rows r;
  std::vector<double> dx(n), dy(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(rng() % 3);
    dx[i] = cx[k] + g(rng);
    dy[i] = cy[k] + g(rng);
    const double pareto = std::pow(1.0 - u(rng), -1.0 / 1.5) - 1.0;
    r.w.push_back(std::min(std::round(pareto * 10 + 1), 1000.0));
  }
  r.offsets.push_back(0);
  for (std::size_t j = 0; j < m; ++j) {
    double x = u(rng), y = u(rng);
    if (j % 2 == 0) {
      const auto i = static_cast<std::size_t>(rng() % n);
      x = dx[i] + g(rng);
      y = dy[i] + g(rng);
    }
    for (std::size_t i = 0; i < n; ++i)
      if (std::hypot(dx[i] - x, dy[i] - y) <= radius) r.rows.push_back(static_cast<std::int64_t>(i));
    r.offsets.push_back(static_cast<std::int64_t>(r.rows.size()));
  }
  return r;
}

double coverage(const Rows& r, const std::vector<std::int64_t>& sites) {
  std::vector<std::uint8_t> hit(r.w.size(), 0);
  for (auto j : sites)
    for (auto e = r.offsets[static_cast<std::size_t>(j)]; e < r.offsets[static_cast<std::size_t>(j) + 1]; ++e)
      hit[static_cast<std::size_t>(r.rows[static_cast<std::size_t>(e)])] = 1;
  double s = 0;
  for (std::size_t i = 0; i < hit.size(); ++i)
    if (hit[i]) s += r.w[i];
  return s;
}

/// Best covered weight over every p-set of the free candidates (bit masks over m <= 20).
double brute_force(const Rows& r, std::size_t p, const std::vector<std::uint8_t>& free) {
  double best = 0;
  const std::uint32_t m = static_cast<std::uint32_t>(r.m());
  for (std::uint32_t mask = 0; mask < (1u << m); ++mask) {
    if (std::bitset<32>(mask).count() != p) continue;
    std::vector<std::int64_t> set;
    bool ok = true;
    for (std::uint32_t j = 0; j < m; ++j)
      if (mask & (1u << j)) {
        ok = ok && free[j] != 0;
        set.push_back(static_cast<std::int64_t>(j));
      }
    if (ok) best = std::max(best, coverage(r, set));
  }
  return best;
}

std::vector<Rows> family(bool clustered_family) {
  std::vector<Rows> out;
  for (std::uint32_t seed = 0; seed < 6; ++seed)
    out.push_back(clustered_family ? clustered(700 + seed, 60, 13, 0.12)
                                   : from_instance(siting_test::random_instance(600 + seed, 60, 13), 0.3));
  return out;
}

}  // namespace

TEST_CASE("MCLP Lagrangian: bound >= brute-force optimum, its sets are real p-sets", "[siting_mclp_bb]") {
  for (bool cl : {false, true}) {
    std::uint32_t seed = 0;
    for (const Rows& r : family(cl)) {
      const std::size_t p = 3 + seed % 2;
      std::vector<std::uint8_t> free(r.m(), 1);
      if (seed % 3 == 2) free[0] = 0;  // a candidate that may not be chosen
      const double opt = brute_force(r, p, free);
      std::vector<std::int64_t> start;
      for (std::size_t j = 0; start.size() < p; ++j)
        if (free[j]) start.push_back(static_cast<std::int64_t>(j));
      auto lag = jangkau::mclp_lagrangian(r.view(), p, free, start);
      INFO("clustered " << cl << " seed " << seed);
      CHECK(lag.bound >= opt - 1e-9);
      CHECK(lag.best_value <= opt + 1e-9);
      CHECK(lag.best_value == Approx(coverage(r, lag.best_set)));
      CHECK(lag.best_value >= coverage(r, start));
      CHECK(lag.best_set.size() == p);
      CHECK(lag.bound_set.size() == p);
      for (const auto& h : lag.history) {
        CHECK(h.size() == p);
        for (auto j : h) CHECK(free[static_cast<std::size_t>(j)] == 1);
      }
      ++seed;
    }
  }
}

TEST_CASE("MCLP branch-and-bound equals brute force, proven, from a good, a poor and no start", "[siting_mclp_bb]") {
  for (bool cl : {false, true}) {
    std::uint32_t seed = 0;
    for (const Rows& r : family(cl)) {
      const std::size_t p = 3 + seed % 2;
      std::vector<std::uint8_t> free(r.m(), 1);
      if (seed % 3 == 1) free[r.m() - 1] = 0;
      const double opt = brute_force(r, p, free);
      std::vector<std::int64_t> poor;
      for (std::size_t j = 0; poor.size() < p; ++j)
        if (free[j]) poor.push_back(static_cast<std::int64_t>(j));
      auto lag = jangkau::mclp_lagrangian(r.view(), p, free, poor);
      for (const auto& start : {lag.best_set, poor, std::vector<std::int64_t>{}}) {
        INFO("clustered " << cl << " seed " << seed << " start size " << start.size());
        auto bb = jangkau::mclp_branch_and_bound(r.view(), p, free, start);
        CHECK(bb.proven);
        CHECK(bb.objective == Approx(opt));
        CHECK(coverage(r, bb.sites) == Approx(opt));
        CHECK(bb.sites.size() == p);
        for (auto j : bb.sites) CHECK(free[static_cast<std::size_t>(j)] == 1);
        CHECK(bb.bound == Approx(opt));
        CHECK(bb.root_bound >= opt - 1e-9);
        CHECK(bb.nodes >= 1);
      }
      ++seed;
    }
  }
}

TEST_CASE("MCLP branch-and-bound with a spent deadline, a set stop flag or a node cap: valid incumbent and bound",
          "[siting_mclp_bb]") {
  jangkau::Monitor spent;
  spent.set_deadline_in(0);
  auto flag = std::make_shared<jangkau::StopFlag>();
  jangkau::Monitor tied;  // tied to a flag another thread would set
  tied.set_stop_flag(flag);
  CHECK_FALSE(tied.expired());
  flag->set();  // the monitor sees it without being touched
  CHECK(tied.expired());
  CHECK_FALSE(tied.cancelled());  // a stop is not a cancel: the call returns its best answer
  for (bool cl : {false, true}) {
    for (const Rows& r : family(cl)) {
      const std::size_t p = 4;
      std::vector<std::uint8_t> free(r.m(), 1);
      const double opt = brute_force(r, p, free);
      const std::vector<std::int64_t> start{0, 1, 2, 3};
      for (jangkau::Monitor* stopped : {&spent, &tied}) {
        INFO("clustered " << cl << (stopped == &tied ? " stop flag" : " spent deadline"));
        auto a = jangkau::mclp_branch_and_bound(r.view(), p, free, start, {}, *stopped);
        CHECK(a.sites.size() == p);
        CHECK(a.objective == Approx(coverage(r, a.sites)));
        CHECK(a.objective >= coverage(r, start));
        CHECK(a.objective <= opt + 1e-9);
        CHECK(a.bound >= opt - 1e-9);
        CHECK(std::isfinite(a.bound));  // the root is bounded even past the deadline
        CHECK(a.nodes == 1);
        auto lag = jangkau::mclp_lagrangian(r.view(), p, free, start, {}, *stopped);
        CHECK(lag.iterations <= 1);
        CHECK(lag.bound >= opt - 1e-9);
      }
      jangkau::MclpBranchOptions one;
      one.max_nodes = 1;
      auto b = jangkau::mclp_branch_and_bound(r.view(), p, free, start, one);
      CHECK(b.objective <= opt + 1e-9);
      CHECK(b.bound >= opt - 1e-9);
      CHECK((b.proven ? b.objective == Approx(opt) : b.nodes == 1));
    }
  }
}

TEST_CASE("MCLP branch-and-bound: bad input is a typed error", "[siting_mclp_bb]") {
  const Rows r = family(false)[0];
  std::vector<std::uint8_t> free(r.m(), 1);
  using jangkau::InvalidInputError;
  CHECK_THROWS_AS(jangkau::mclp_branch_and_bound(r.view(), 3, free, std::vector<std::int64_t>{0, 1}),
                  InvalidInputError);
  CHECK_THROWS_AS(jangkau::mclp_branch_and_bound(r.view(), 3, free, std::vector<std::int64_t>{0, 1, 99}),
                  InvalidInputError);
  CHECK_THROWS_AS(jangkau::mclp_branch_and_bound(r.view(), r.m() + 1, free, {}), InvalidInputError);
  std::vector<std::uint8_t> short_free(r.m() - 1, 1);
  CHECK_THROWS_AS(jangkau::mclp_lagrangian(r.view(), 3, short_free, {}), InvalidInputError);
  Rows bad = r;
  bad.rows[0] = static_cast<std::int64_t>(bad.w.size());
  CHECK_THROWS_AS(jangkau::mclp_lagrangian(bad.view(), 3, free, {}), InvalidInputError);
  bad = r;
  bad.w[0] = -1;
  CHECK_THROWS_AS(jangkau::mclp_branch_and_bound(bad.view(), 3, free, {}), InvalidInputError);
  // a schedule that cannot run (siting_bb_schedule.hpp's validate)
  jangkau::MclpBranchOptions cannot_run;
  cannot_run.schedule.node_patience = 0;
  CHECK_THROWS_AS(jangkau::mclp_branch_and_bound(r.view(), 3, free, {}, cannot_run), InvalidInputError);
  cannot_run = {};
  cannot_run.schedule.theta_floor = 1.0;  // above node_theta = 0.5
  CHECK_THROWS_AS(jangkau::mclp_branch_and_bound(r.view(), 3, free, {}, cannot_run), InvalidInputError);
}
