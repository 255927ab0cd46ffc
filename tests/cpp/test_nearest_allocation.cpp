#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "catch.hpp"

#include "core/error.hpp"
#include "core/nearest_allocation.hpp"

using namespace jangkau;

TEST_CASE("nearest-facility allocation matches a point-by-point loop", "[nearest_allocation]") {
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(0.0, 1000.0);
  const std::size_t cells = 3000, facilities = 17;
  std::vector<double> cx(cells), cy(cells), pop(cells), fx(facilities), fy(facilities);
  for (std::size_t i = 0; i < cells; ++i) {
    cx[i] = u(rng);
    cy[i] = u(rng);
    pop[i] = u(rng) < 300 ? 0.0 : std::floor(u(rng) / 50);
  }
  for (std::size_t j = 0; j < facilities; ++j) {
    fx[j] = u(rng);
    fy[j] = u(rng);
  }
  Allocation one = allocate_nearest(cx, cy, pop, fx, fy, 1);
  Allocation two = allocate_nearest(cx, cy, pop, fx, fy, 2);
  CHECK(one.facility == two.facility);
  CHECK(one.stats.mean == two.stats.mean);
  std::vector<double> alloc(facilities, 0.0);
  for (std::size_t i = 0; i < cells; ++i) {
    if (pop[i] <= 0) {
      CHECK(one.facility[i] == -1);
      continue;
    }
    double best = std::numeric_limits<double>::infinity();
    std::int64_t arg = -1;
    for (std::size_t j = 0; j < facilities; ++j) {
      double d = std::hypot(cx[i] - fx[j], cy[i] - fy[j]);
      if (d < best) {
        best = d;
        arg = static_cast<std::int64_t>(j);
      }
    }
    CHECK(one.facility[i] == arg);
    CHECK(one.distance[i] == Approx(best).epsilon(1e-12));
    alloc[static_cast<std::size_t>(arg)] += pop[i];
  }
  double total = std::accumulate(pop.begin(), pop.end(), 0.0), allocated = 0;
  for (std::size_t j = 0; j < facilities; ++j) {
    CHECK(one.stats.weight[j] == Approx(alloc[j]));
    allocated += one.stats.weight[j];
  }
  CHECK(allocated == Approx(total));  // population conserved
  CHECK_THROWS_AS(allocate_nearest(cx, cy, std::vector<double>(cells, -1.0), fx, fy), InvalidInputError);
  // No facility: every cell unallocated, at infinite distance.
  Allocation none = allocate_nearest(cx, cy, pop, {}, {});
  CHECK(std::all_of(none.facility.begin(), none.facility.end(), [](std::int64_t f) { return f == -1; }));
}

TEST_CASE("nearest-facility allocation: ties go to the lower index, as a brute-force loop", "[nearest_allocation]") {
  // Integer lattice of cells and facilities on a coarser lattice (duplicates included): many
  // cells are equidistant from two or four facilities.
  std::vector<double> cx, cy, pop, fx, fy;
  for (int i = 0; i <= 40; ++i)
    for (int j = 0; j <= 40; ++j) {
      cx.push_back(i);
      cy.push_back(j);
      pop.push_back(static_cast<double>((i * 7 + j * 3) % 5));  // zeros included
    }
  for (int i = 0; i <= 40; i += 10)
    for (int j = 0; j <= 40; j += 10) {
      fx.push_back(i);
      fy.push_back(j);
    }
  fx.push_back(20.0);  // a duplicate of an earlier facility: never chosen
  fy.push_back(20.0);
  const std::size_t nf = fx.size();
  std::size_t ties = 0;
  for (int threads : {1, 2}) {
    const Allocation a = allocate_nearest(cx, cy, pop, fx, fy, threads);
    // The brute-force allocation, -1 / inf for unpopulated cells.
    std::vector<std::int64_t> want_facility(cx.size(), -1);
    std::vector<double> want_distance(cx.size(), std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < cx.size(); ++i) {
      if (pop[i] <= 0) continue;
      double best = std::numeric_limits<double>::infinity();
      std::size_t at_best = 0;
      for (std::size_t j = 0; j < nf; ++j) {
        const double d = std::hypot(cx[i] - fx[j], cy[i] - fy[j]);
        if (d < best) {
          best = d;
          want_facility[i] = static_cast<std::int64_t>(j);
          at_best = 1;
        } else if (d == best) {
          ++at_best;
        }
      }
      want_distance[i] = best;
      ties += at_best > 1;
    }
    CHECK(a.facility == want_facility);
    for (std::size_t i = 0; i < cx.size(); ++i)
      if (pop[i] > 0) CHECK(a.distance[i] == Approx(want_distance[i]).epsilon(1e-14));
    CHECK(std::count_if(a.distance.begin(), a.distance.end(), [](double d) { return std::isinf(d); }) ==
          std::count(pop.begin(), pop.end(), 0.0));
    // The per-facility summaries are the weighted statistics (tested against brute force in
    // test_group_stats.cpp) of the brute-force allocation: population, mean, p50, p90.
    const std::vector<double> probs{0.5, 0.9};
    GroupStats want = weighted_group_stats(want_distance, pop, want_facility, nf, probs);
    CHECK(a.stats.weight == want.weight);
    CHECK(a.stats.quantiles.size() == want.quantiles.size());
    for (std::size_t j = 0; j < nf; ++j) {
      if (want.weight[j] > 0) {
        CHECK(a.stats.mean[j] == Approx(want.mean[j]).epsilon(1e-12));
        CHECK(a.stats.quantiles[j] == Approx(want.quantiles[j]).epsilon(1e-14));
        CHECK(a.stats.quantiles[nf + j] == Approx(want.quantiles[nf + j]).epsilon(1e-14));
      } else {
        CHECK(std::isnan(a.stats.mean[j]));
      }
    }
    CHECK(a.stats.weight.back() == 0.0);  // the duplicate facility loses every tie
  }
  CHECK(ties > 100);  // the lattice really exercises the tie rule
}
