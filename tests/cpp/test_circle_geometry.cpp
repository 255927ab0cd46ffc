#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "catch.hpp"

#include "core/cell_coverage.hpp"
#include "core/circle_geometry.hpp"
#include "core/coverage.hpp"

using namespace jangkau;

namespace {
// Brute force: area of disc ∩ rectangle by n×n midpoint subdivision of the rectangle, each
// sub-cell classified exactly when wholly inside/outside the disc and split again (k×k)
// otherwise. Independent of the closed form.
double disc_rect_brute(double cx, double cy, double r, double x0, double y0, double x1, double y1, int n, int k) {
  const double dx = (x1 - x0) / n, dy = (y1 - y0) / n, r2 = r * r;
  double area = 0.0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double ax = x0 + i * dx, ay = y0 + j * dy, bx = ax + dx, by = ay + dy;
      const double fx = std::max(std::abs(ax - cx), std::abs(bx - cx)),
                   fy = std::max(std::abs(ay - cy), std::abs(by - cy));
      if (fx * fx + fy * fy <= r2) {  // farthest corner inside: whole sub-cell
        area += dx * dy;
        continue;
      }
      const double nx = std::max({ax - cx, 0.0, cx - bx}), ny = std::max({ay - cy, 0.0, cy - by});
      if (nx * nx + ny * ny >= r2) continue;  // nearest point outside: none
      int hits = 0;
      for (int p = 0; p < k; ++p)
        for (int q = 0; q < k; ++q) {
          const double px = ax + (p + 0.5) * dx / k - cx, py = ay + (q + 0.5) * dy / k - cy;
          hits += px * px + py * py < r2;
        }
      area += dx * dy * hits / (k * k);
    }
  return area;
}

GeometryArray box_zone(double x0, double y0, double x1, double y1) {
  GeometryArray a;
  a.kind = GeometryKind::Polygon;
  for (auto [x, y] : std::vector<std::pair<double, double>>{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}})
    a.push_coordinate(x, y);
  a.end_ring();
  a.end_part();
  a.end_geometry();
  return a;
}
}  // namespace

TEST_CASE("circle geometry: circular segment and arc box", "[circle_geometry]") {
  const double pi = std::numbers::pi;
  CHECK(circular_segment_area(2.0, pi) == Approx(0.5 * pi * 4.0).epsilon(1e-15));
  CHECK(circular_segment_area(2.0, kTwoPi) == Approx(pi * 4.0).epsilon(1e-15));
  // Small angles: the series agrees with the direct formula where both are accurate.
  CHECK(circular_segment_area(1.0, 1e-3 * (1 - 1e-12)) == Approx(0.5 * (1e-3 - std::sin(1e-3))).epsilon(1e-9));
  const Box b = arc_box(1.0, 2.0, 3.0, 0.25 * pi, 0.75 * pi);
  CHECK(b.max_y == Approx(5.0));
  CHECK(b.min_x == Approx(1.0 - 3.0 / std::sqrt(2.0)));
  double t0, t1;
  REQUIRE(segment_circle_roots(-2.0, 0.0, 4.0, 0.0, 1.0, t0, t1));
  CHECK(t0 == Approx(0.25));
  CHECK(t1 == Approx(0.75));
  CHECK_FALSE(segment_circle_roots(-2.0, 1.0, 4.0, 0.0, 1.0, t0, t1));  // tangent: no crossing
}

TEST_CASE("disc ∩ rectangle: closed form against brute force", "[circle_geometry]") {
  const double pi = std::numbers::pi;
  // Fully inside, fully outside, whole disc inside the cell, quarter and half discs.
  CHECK(disc_rect_area(0.0, 0.0, 10.0, -1.0, -1.0, 1.0, 1.0) == Approx(4.0).epsilon(1e-14));
  CHECK(disc_rect_area(0.0, 0.0, 1.0, 5.0, 5.0, 6.0, 6.0) == 0.0);
  CHECK(disc_rect_area(0.5, 0.5, 0.2, 0.0, 0.0, 1.0, 1.0) == Approx(pi * 0.04).epsilon(1e-14));
  CHECK(disc_rect_area(0.0, 0.0, 2.0, 0.0, 0.0, 5.0, 5.0) == Approx(pi).epsilon(1e-14));
  CHECK(disc_rect_area(0.0, 0.0, 2.0, -5.0, 0.0, 5.0, 5.0) == Approx(2.0 * pi).epsilon(1e-14));
  CHECK(disc_rect_area(0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0) == 0.0);  // inverted rectangle
  // Random straddling cells, tiny and huge radii relative to the cell.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (double r : {0.01, 0.3, 0.7, 1.3, 5.0, 1000.0}) {
    for (int t = 0; t < 40; ++t) {
      const double x0 = u(rng) * 2.0 - 1.0, y0 = u(rng) * 2.0 - 1.0;
      // The cell is placed near the circle so that most cases straddle it.
      const double ang = u(rng) * kTwoPi, cx = x0 - r * std::cos(ang), cy = y0 - r * std::sin(ang);
      const double got = disc_rect_area(cx, cy, r, x0, y0, x0 + 1.0, y0 + 1.0);
      const double ref = disc_rect_brute(cx, cy, r, x0, y0, x0 + 1.0, y0 + 1.0, 200, 32);
      INFO("r " << r << " cell " << x0 << "," << y0);
      CHECK(got >= 0.0);
      // Rounding: the chord heights are differences of terms of size r (cell side 1).
      CHECK(got <= 1.0 + 1e-14 * std::max(1.0, r * r));
      // Brute force: boundary sub-cells (≈ 2·perimeter/h of them) each off by ≤ 1/(2k·n²)·…
      CHECK(std::abs(got - ref) < 2e-5);
    }
  }
}

TEST_CASE("disc union zonal sums: true-circle cells are exact", "[circle_geometry]") {
  // One disc, a zone larger than the grid, values = 1 in one cell only: the sum is that cell's
  // covered fraction, which must equal disc ∩ cell / cell area in closed form, for cells inside,
  // outside and straddling, r from a fraction of a cell to many cells.
  const double cw = 2.0, chh = 1.5;
  GridSpec grid{100.0, 200.0, cw, chh, 30, 40};
  const auto zone = box_zone(0.0, 0.0, 1000.0, 1000.0);
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> values(grid.cell_count(), 0.0);
  for (double r : {0.05, 0.9, 3.7, 21.0, 400.0}) {
    const double cx = 100.0 + 40.0 * cw * (0.3 + 0.4 * u(rng)), cy = 200.0 - 30.0 * chh * (0.3 + 0.4 * u(rng));
    std::vector<double> x{cx}, y{cy}, radii{r};
    // All cells at once by random weights, and a few cells alone.
    std::vector<double> w(grid.cell_count());
    double ref = 0.0;
    for (std::size_t row = 0; row < grid.rows; ++row)
      for (std::size_t col = 0; col < grid.cols; ++col) {
        const double x0 = 100.0 + col * cw, y1 = 200.0 - row * chh;
        const double f = disc_rect_area(cx, cy, r, x0, y1 - chh, x0 + cw, y1) / (cw * chh);
        const double wc = u(rng);
        w[row * grid.cols + col] = wc;
        ref += wc * f;
      }
    const double got = disc_union_zonal_sums(grid, w, zone, x, y, radii)[0];
    INFO("r " << r);
    CHECK(got == Approx(ref).epsilon(1e-11).margin(1e-13));
    // The fraction of the cell holding the centre and of a straddling cell, one at a time.
    const auto col = static_cast<std::size_t>((cx - 100.0) / cw), row = static_cast<std::size_t>((200.0 - cy) / chh);
    for (std::size_t dc : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
      std::fill(values.begin(), values.end(), 0.0);
      values[row * grid.cols + col + dc] = 1.0;
      const double x0 = 100.0 + (col + dc) * cw, y1 = 200.0 - row * chh;
      const double f = disc_rect_area(cx, cy, r, x0, y1 - chh, x0 + cw, y1) / (cw * chh);
      CHECK(disc_union_zonal_sums(grid, values, zone, x, y, radii)[0] == Approx(f).epsilon(1e-11).margin(1e-13));
    }
  }
}

TEST_CASE("disc union zonal sums: union of circles clipped by a zone, exact cells", "[circle_geometry]") {
  // Several overlapping discs, a zone cutting them, 1×1 cells of value 1: Σ = area(zone ∩ U)
  // exactly (the arcs no longer lose (2/3)·sagitta per unit length).
  GridSpec grid{0.0, 100.0, 1.0, 1.0, 100, 100};
  std::vector<double> ones(grid.cell_count(), 1.0);
  const auto zone = box_zone(5.3, 7.1, 88.8, 91.2);
  std::vector<double> x{30.0, 38.0, 70.3, 6.0}, y{40.0, 44.0, 61.7, 50.0}, radii{12.5, 3.25};
  const auto areas = disc_union_areas(zone, x, y, radii);
  const auto sums = disc_union_zonal_sums(grid, ones, zone, x, y, radii);
  for (std::size_t j = 0; j < radii.size(); ++j) CHECK(sums[j] == Approx(areas[j]).epsilon(1e-12));
}
