#include <cmath>
#include <random>
#include <vector>

#include "catch.hpp"

#include "core/cell_coverage.hpp"
#include "core/error.hpp"

using namespace jangkau;

namespace {

using Ring = std::vector<std::pair<double, double>>;

// Appends one polygon (shell + holes, each ring closed here) to `a`.
void add_polygon(GeometryArray& a, const std::vector<Ring>& rings) {
  a.kind = GeometryKind::Polygon;
  for (const auto& ring : rings) {
    for (auto [x, y] : ring) a.push_coordinate(x, y);
    a.push_coordinate(ring.front().first, ring.front().second);
    a.end_ring();
  }
  a.end_part();
  a.end_geometry();
}

Ring rectangle(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}; }

Ring circle(double cx, double cy, double r, int n, bool clockwise = false) {
  Ring ring;
  for (int i = 0; i < n; ++i) {
    double a = 2.0 * M_PI * i / n * (clockwise ? -1.0 : 1.0);
    ring.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
  }
  return ring;
}

// Random star-shaped ring around (cx, cy): never self-intersecting.
Ring star(std::mt19937_64& rng, double cx, double cy, double r_min, double r_max, int n) {
  std::uniform_real_distribution<double> rad(r_min, r_max);
  Ring ring;
  for (int i = 0; i < n; ++i) {
    double a = 2.0 * M_PI * i / n;
    double r = rad(rng);
    ring.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
  }
  return ring;
}

// Reference: Sutherland–Hodgman clip of each ring against each cell box (convex), signed
// shoelace areas, shells minus holes. Independent of the DDA/ray-integral method.
double clip_area(const Ring& ring, double x0, double y0, double x1, double y1) {
  // Work relative to the cell's corner so that large (UTM) coordinates keep their precision.
  std::vector<std::pair<double, double>> poly, out;
  for (auto [x, y] : ring) poly.push_back({x - x0, y - y0});
  x1 -= x0;
  y1 -= y0;
  x0 = 0;
  y0 = 0;
  auto clip = [&](auto inside, auto intersect) {
    out.clear();
    for (std::size_t i = 0; i < poly.size(); ++i) {
      auto a = poly[i], b = poly[(i + 1) % poly.size()];
      bool ia = inside(a), ib = inside(b);
      if (ia) out.push_back(a);
      if (ia != ib) out.push_back(intersect(a, b));
    }
    poly.swap(out);
  };
  auto at_x = [](double X) {
    return [X](auto a, auto b) {
      return std::pair{X, a.second + (X - a.first) * (b.second - a.second) / (b.first - a.first)};
    };
  };
  auto at_y = [](double Y) {
    return [Y](auto a, auto b) {
      return std::pair{a.first + (Y - a.second) * (b.first - a.first) / (b.second - a.second), Y};
    };
  };
  clip([&](auto p) { return p.first >= x0; }, at_x(x0));
  clip([&](auto p) { return p.first <= x1; }, at_x(x1));
  clip([&](auto p) { return p.second >= y0; }, at_y(y0));
  clip([&](auto p) { return p.second <= y1; }, at_y(y1));
  double s = 0;
  for (std::size_t i = 0; i < poly.size(); ++i) {
    auto a = poly[i], b = poly[(i + 1) % poly.size()];
    s += a.first * b.second - b.first * a.second;
  }
  return 0.5 * s;
}

double ring_area(const Ring& r) {
  double s = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    auto a = r[i], b = r[(i + 1) % r.size()];
    s += a.first * b.second - b.first * a.second;
  }
  return 0.5 * s;
}

std::vector<double> reference_fractions(const GridSpec& g, const std::vector<Ring>& rings) {
  std::vector<double> out(g.cell_count(), 0.0);
  for (std::size_t r = 0; r < g.rows; ++r)
    for (std::size_t c = 0; c < g.cols; ++c) {
      double x0 = g.origin_x + c * g.cell_width, x1 = x0 + g.cell_width;
      double y1 = g.origin_y - r * g.cell_height, y0 = y1 - g.cell_height;
      double a = 0;
      for (std::size_t k = 0; k < rings.size(); ++k) {
        double s = clip_area(rings[k], x0, y0, x1, y1);
        double sign = ring_area(rings[k]) > 0 ? 1.0 : -1.0;
        a += (k == 0 ? 1.0 : -1.0) * sign * s;
      }
      out[r * g.cols + c] = a / g.cell_area();
    }
  return out;
}

std::vector<double> dense(const GridSpec& g, const GeometryArray& a, std::size_t index = 0) {
  std::vector<double> out(g.cell_count(), 0.0);
  visit_cell_coverage(g, a, index, [&](std::size_t row, std::size_t c0, std::span<const double> f) {
    for (std::size_t k = 0; k < f.size(); ++k) out[row * g.cols + c0 + k] += f[k];
  });
  return out;
}

void check_against_reference(const GridSpec& g, const std::vector<Ring>& rings, double tol = 1e-12) {
  GeometryArray a;
  add_polygon(a, rings);
  auto got = dense(g, a);
  auto want = reference_fractions(g, rings);
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("cell " << i);
    CHECK(got[i] == Approx(want[i]).margin(tol));
  }
}

}  // namespace

TEST_CASE("a polygon aligned with the grid covers whole cells", "[cell_coverage]") {
  GridSpec g{0.0, 10.0, 1.0, 1.0, 10, 10};
  GeometryArray a;
  add_polygon(a, {rectangle(2, 3, 5, 7)});
  auto f = dense(g, a);
  double total = 0;
  for (std::size_t r = 0; r < 10; ++r)
    for (std::size_t c = 0; c < 10; ++c) {
      bool inside = c >= 2 && c < 5 && (10 - r) > 3 && (10 - r) <= 7;
      CHECK(f[r * 10 + c] == Approx(inside ? 1.0 : 0.0).margin(1e-15));
      total += f[r * 10 + c];
    }
  CHECK(total == Approx(12.0));
}

TEST_CASE("an offset square splits cells analytically", "[cell_coverage]") {
  // 2x2 cells of size 2; square [0.5, 2.5] x [0.5, 2.5] covers 1.5x1.5, 0.5x1.5, 1.5x0.5, 0.5x0.5.
  GridSpec g{0.0, 4.0, 2.0, 2.0, 2, 2};
  GeometryArray a;
  add_polygon(a, {rectangle(0.5, 0.5, 2.5, 2.5)});
  auto f = dense(g, a);
  CHECK(f[2] == Approx(2.25 / 4));  // row 1 (south), col 0
  CHECK(f[3] == Approx(0.75 / 4));
  CHECK(f[0] == Approx(0.75 / 4));
  CHECK(f[1] == Approx(0.25 / 4));
}

TEST_CASE("triangles, circles and holes match Sutherland–Hodgman clipping", "[cell_coverage]") {
  GridSpec g{-0.3, 10.7, 0.7, 0.45, 25, 17};
  SECTION("triangle") { check_against_reference(g, {{{0.1, 0.2}, {9.3, 1.1}, {3.7, 9.9}}}); }
  SECTION("clockwise triangle") { check_against_reference(g, {{{0.1, 0.2}, {3.7, 9.9}, {9.3, 1.1}}}); }
  SECTION("circle with a hole") {
    check_against_reference(g, {circle(5.0, 5.0, 4.6, 200), circle(4.3, 5.2, 1.7, 64, true)});
  }
  SECTION("hole with the same orientation as the shell") {
    check_against_reference(g, {circle(5.0, 5.0, 4.6, 200), circle(4.3, 5.2, 1.7, 64, false)});
  }
  SECTION("polygon reaching outside the grid") { check_against_reference(g, {circle(1.0, 9.0, 6.0, 120)}); }
  SECTION("vertices on grid lines and corners") {
    check_against_reference(g, {{{-0.3, 10.7}, {3.2, 5.75}, {11.6, 10.7}, {6.5, -0.55}}});
  }
}

TEST_CASE("random star polygons agree with brute force", "[cell_coverage]") {
  std::mt19937_64 rng(20261127);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 40; ++trial) {
    GridSpec g{600000.0 + u(rng) * 100,
               9300000.0 + u(rng) * 100,
               0.5 + u(rng) * 40,
               0.5 + u(rng) * 40,
               static_cast<std::size_t>(3 + trial % 9),
               static_cast<std::size_t>(2 + trial % 11)};
    double w = g.cols * g.cell_width, h = g.rows * g.cell_height;
    double cx = g.origin_x + (u(rng) * 1.2 - 0.1) * w, cy = g.origin_y - (u(rng) * 1.2 - 0.1) * h;
    double r = std::max(w, h) * (0.1 + u(rng) * 0.6);
    std::vector<Ring> rings{star(rng, cx, cy, 0.5 * r, r, 5 + trial * 3)};
    if (trial % 2) rings.push_back(circle(cx, cy, 0.3 * r, 7 + trial, trial % 4 == 1));
    INFO("trial " << trial);
    check_against_reference(g, rings, 1e-9);
  }
}

TEST_CASE("supersampling converges to the exact fractions", "[cell_coverage]") {
  GridSpec g{0.0, 4.0, 1.0, 1.0, 4, 4};
  Ring tri{{0.2, 0.3}, {3.9, 0.7}, {1.1, 3.6}};
  GeometryArray a;
  add_polygon(a, {tri});
  auto f = dense(g, a);
  const int n = 400;
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 4; ++c) {
      int in = 0;
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          double x = c + (i + 0.5) / n, y = 4.0 - r - (j + 0.5) / n;
          // Even–odd test inline: triangle edges.
          bool inside = false;
          for (int k = 0; k < 3; ++k) {
            auto p = tri[k], q = tri[(k + 1) % 3];
            if ((p.second > y) != (q.second > y) &&
                x < p.first + (y - p.second) * (q.first - p.first) / (q.second - p.second))
              inside = !inside;
          }
          in += inside;
        }
      CHECK(f[r * 4 + c] == Approx(static_cast<double>(in) / (n * n)).margin(5e-3));
    }
}

TEST_CASE("fractions of a partition of zones sum to one per cell", "[cell_coverage]") {
  // Four zones: the extent split by a jagged vertical polyline and a jagged horizontal one.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-0.4, 0.4);
  GridSpec g{0.0, 8.0, 0.37, 0.29, 28, 22};  // extent x 0..8.14, y -0.12..8
  const double X0 = -1, X1 = 9, Y0 = -1, Y1 = 9;
  std::vector<std::pair<double, double>> vline, hline;  // vline: x(y) at y = Y0..Y1, hline: y(x)
  for (int i = 0; i <= 20; ++i) vline.push_back({4.0 + u(rng), Y0 + (Y1 - Y0) * i / 20});
  // The horizontal line stays at y = 4 ± 0.4 and crosses the vertical one once.
  for (int i = 0; i <= 20; ++i) hline.push_back({X0 + (X1 - X0) * i / 20, 4.0 + u(rng)});
  // Build zones with a coarse approach: each zone = (west or east of vline) ∩ (south or north of hline),
  // represented exactly as polygons by intersecting in a fine way: use the polyline rings directly.
  auto west = [&] {
    Ring r{{X0, Y0}};
    for (auto p : vline) r.push_back(p);
    r.push_back({X0, Y1});
    return r;
  }();
  auto east = [&] {
    Ring r{{X1, Y1}};
    for (auto it = vline.rbegin(); it != vline.rend(); ++it) r.push_back(*it);
    r.push_back({X1, Y0});
    return r;
  }();
  GeometryArray zones;
  add_polygon(zones, {west});
  add_polygon(zones, {east});
  auto sum = coverage_fraction_sum(g, zones);
  for (double s : sum) CHECK(s == Approx(1.0).margin(1e-12));
  GeometryArray zones2;
  auto south = [&] {
    Ring r{{X1, Y0}};
    for (auto it = hline.rbegin(); it != hline.rend(); ++it) r.push_back(*it);
    r.push_back({X0, Y0});
    return r;
  }();
  auto north = [&] {
    Ring r{{X0, Y1}};
    for (auto p : hline) r.push_back(p);
    r.push_back({X1, Y1});
    return r;
  }();
  add_polygon(zones2, {south});
  add_polygon(zones2, {north});
  add_polygon(zones2, {rectangle(X0, Y0, X1, Y1)});  // plus the whole extent once more
  auto sum2 = coverage_fraction_sum(g, zones2);
  for (double s : sum2) CHECK(s == Approx(2.0).margin(1e-12));
}

TEST_CASE("zonal sums equal brute force and do not depend on the thread count", "[cell_coverage]") {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  GridSpec g{100.0, 200.0, 1.5, 1.25, 60, 70};
  std::vector<double> values(g.cell_count());
  for (auto& v : values) v = u(rng) * 100;
  values[5] = std::nan("");
  values[77] = -9999;
  GeometryArray polys;
  std::vector<std::vector<Ring>> all;
  for (int k = 0; k < 30; ++k) {
    std::vector<Ring> rings{star(rng, 100 + u(rng) * 105, 200 - u(rng) * 75, 3, 3 + u(rng) * 30, 40)};
    add_polygon(polys, rings);
    all.push_back(rings);
  }
  CellCoverageOptions one;
  one.threads = 1;
  CellCoverageOptions two;
  two.threads = 2;
  auto z1 = zonal_sums(g, values, polys, true, -9999, one);
  auto z2 = zonal_sums(g, values, polys, true, -9999, two);
  for (std::size_t k = 0; k < all.size(); ++k) {
    CHECK(z1.sum[k] == z2.sum[k]);  // bit-identical
    auto ref = reference_fractions(g, all[k]);
    double s = 0, c = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      if (std::isnan(values[i]) || values[i] == -9999) continue;
      s += ref[i] * values[i];
      c += ref[i];
    }
    CHECK(z1.sum[k] == Approx(s).epsilon(1e-11));
    CHECK(z1.count[k] == Approx(c).epsilon(1e-11));
  }
  auto sc1 = cell_coverage(g, polys, one);
  auto sc2 = cell_coverage(g, polys, two);
  CHECK(sc1.cells == sc2.cells);
  CHECK(sc1.fractions == sc2.fractions);
  CHECK(sc1.offsets.size() == polys.size() + 1);
}

TEST_CASE("bad grids and inputs throw typed errors", "[cell_coverage]") {
  GeometryArray a;
  add_polygon(a, {rectangle(0, 0, 1, 1)});
  CHECK_THROWS_AS(cell_coverage(GridSpec{0, 0, -1, 1, 2, 2}, a), InvalidInputError);
  CHECK_THROWS_AS(zonal_sums(GridSpec{0, 0, 1, 1, 2, 2}, std::vector<double>(3), a), InvalidInputError);
  GeometryArray pts;
  pts.kind = GeometryKind::Point;
  pts.push_point(0, 0);
  CHECK_THROWS_AS(cell_coverage(GridSpec{0, 0, 1, 1, 2, 2}, pts), InvalidInputError);
  // A polygon entirely outside the grid covers nothing.
  GeometryArray far;
  add_polygon(far, {rectangle(100, 100, 101, 101)});
  auto sc = cell_coverage(GridSpec{0, 2, 1, 1, 2, 2}, far);
  CHECK(sc.cells.empty());
}
