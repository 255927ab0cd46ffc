#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <random>
#include <vector>

#include "catch.hpp"

#include "core/coverage.hpp"
#include "core/error.hpp"

using namespace jangkau;

namespace {
GeometryArray square_zone(double x0, double y0, double x1, double y1, bool clockwise = false) {
  GeometryArray a;
  a.kind = GeometryKind::Polygon;
  std::vector<std::pair<double, double>> pts{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
  if (clockwise) std::reverse(pts.begin(), pts.end());
  for (auto [x, y] : pts) a.push_coordinate(x, y);
  a.end_ring();
  a.end_part();
  a.end_geometry();
  return a;
}

std::vector<std::pair<double, double>> disc_polygon(double cx, double cy, double r, int qs = 8) {
  std::vector<std::pair<double, double>> p;
  const int n = 4 * qs;
  for (int k = 0; k < n; ++k) {
    double a = k * (std::numbers::pi / 2.0) / qs;
    p.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
  }
  return p;
}

double shoelace(const std::vector<std::pair<double, double>>& p) {
  double s = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    auto a = p[i], b = p[(i + 1) % p.size()];
    s += a.first * b.second - b.first * a.second;
  }
  return 0.5 * s;
}

// Sutherland–Hodgman clip of polygon `s` by convex CCW polygon `c`.
std::vector<std::pair<double, double>> clip_convex(std::vector<std::pair<double, double>> s,
                                                   const std::vector<std::pair<double, double>>& c) {
  for (std::size_t k = 0; k < c.size(); ++k) {
    auto e0 = c[k], e1 = c[(k + 1) % c.size()];
    auto side = [&](std::pair<double, double> p) {
      return (e1.first - e0.first) * (p.second - e0.second) - (e1.second - e0.second) * (p.first - e0.first);
    };
    std::vector<std::pair<double, double>> out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      auto a = s[i], b = s[(i + 1) % s.size()];
      double sa = side(a), sb = side(b);
      if (sa >= 0) out.push_back(a);
      if ((sa >= 0) != (sb >= 0)) {
        double t = sa / (sa - sb);
        out.push_back({a.first + t * (b.first - a.first), a.second + t * (b.second - a.second)});
      }
    }
    s.swap(out);
  }
  return s;
}

// The polygon mode (shapely's 32-gon), which the cases below written for polygons use.
DiscCoverageOptions poly_options(int quadrant_segments) {
  DiscCoverageOptions o;
  o.quadrant_segments = quadrant_segments;
  return o;
}
const DiscCoverageOptions kPoly8 = poly_options(8);
}  // namespace

TEST_CASE("disc union areas: analytic cases", "[coverage]") {
  const double r = 10.0;
  const double disc = shoelace(disc_polygon(0, 0, r));
  auto zone = square_zone(0, 0, 100, 100);
  std::vector<double> x{50.0}, y{50.0}, radii{r};
  CHECK(disc_union_areas(zone, x, y, radii, kPoly8)[0] == Approx(disc).epsilon(1e-12));
  // Corner disc: exactly a quarter (the 32-gon is symmetric about both axes).
  x = {0.0};
  y = {0.0};
  CHECK(disc_union_areas(zone, x, y, radii, kPoly8)[0] == Approx(disc / 4).epsilon(1e-12));
  // Clockwise zone ring and a duplicate point give the same.
  auto cw = square_zone(0, 0, 100, 100, true);
  x = {0.0, 0.0};
  y = {0.0, 0.0};
  CHECK(disc_union_areas(cw, x, y, radii, kPoly8)[0] == Approx(disc / 4).epsilon(1e-12));
  // Two overlapping discs: 2·A − area(D1 ∩ D2).
  x = {40.0, 47.0};
  y = {50.0, 53.0};
  const double both = shoelace(clip_convex(disc_polygon(40, 50, r), disc_polygon(47, 53, r)));
  CHECK(disc_union_areas(zone, x, y, radii, kPoly8)[0] == Approx(2 * disc - both).epsilon(1e-12));
  // Several radii in one pass; a zone far away gets 0; a zone swallowed by a disc gets its area.
  GeometryArray zones = square_zone(0, 0, 100, 100);
  zones.append_from(square_zone(500, 500, 510, 510), 0);
  zones.append_from(square_zone(44, 51, 45, 52), 0);
  std::vector<double> rs{5.0, 10.0};
  auto a = disc_union_areas(zones, x, y, rs, kPoly8);
  REQUIRE(a.size() == 6);
  const double lens5 = shoelace(clip_convex(disc_polygon(40, 50, 5), disc_polygon(47, 53, 5)));
  CHECK(a[0] == Approx(2 * shoelace(disc_polygon(0, 0, 5)) - lens5));
  CHECK(a[1] == 0.0);
  CHECK(a[5] == Approx(1.0).epsilon(1e-12));
  CHECK_THROWS_AS(disc_union_areas(zones, x, y, std::vector<double>{-1.0}), InvalidInputError);
}

TEST_CASE("disc union zonal sums agree with areas and with explicit polygons", "[coverage]") {
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  GridSpec grid{-20.0, 130.0, 3.7, 2.9, 60, 50};
  std::vector<double> ones(grid.cell_count(), 1.0);
  GeometryArray zones = square_zone(0, 0, 60, 100);
  zones.append_from(square_zone(60, 0, 140, 100), 0);
  std::vector<double> x, y;
  for (int i = 0; i < 25; ++i) {
    x.push_back(u(rng) * 160 - 10);
    y.push_back(u(rng) * 120 - 10);
  }
  std::vector<double> radii{4.0, 12.0, 30.0};
  auto areas = disc_union_areas(zones, x, y, radii, kPoly8);
  auto sums = disc_union_zonal_sums(grid, ones, zones, x, y, radii, false, 0.0, kPoly8);
  // The grid (x −20..165, y −44..130) contains both zones: Σ fractions · cell area = area.
  for (std::size_t k = 0; k < areas.size(); ++k) CHECK(sums[k] * grid.cell_area() == Approx(areas[k]).epsilon(1e-9));
  // A single disc inside a zone: the same partial cells as the disc polygon itself.
  std::vector<double> one_x{30.0}, one_y{50.0}, one_r{11.0};
  std::vector<double> values(grid.cell_count());
  for (auto& v : values) v = u(rng);
  auto s1 = disc_union_zonal_sums(grid, values, zones, one_x, one_y, one_r, false, 0.0, kPoly8);
  GeometryArray dp;
  dp.kind = GeometryKind::Polygon;
  auto poly = disc_polygon(30, 50, 11);
  for (auto [px, py] : poly) dp.push_coordinate(px, py);
  dp.push_coordinate(poly[0].first, poly[0].second);
  dp.end_ring();
  dp.end_part();
  dp.end_geometry();
  auto z = zonal_sums(grid, values, dp);
  CHECK(s1[0] == Approx(z.sum[0]).epsilon(1e-11));
  CHECK(s1[1] == 0.0);
}

TEST_CASE("disc union areas: near-duplicate facilities count once", "[coverage]") {
  const double r = 1000.0;
  auto zone = square_zone(0, 0, 10000, 10000);
  const double disc = shoelace(disc_polygon(0, 0, r));
  for (double eps : {0.0, 1e-13, 1e-12, 1e-11, 5e-9, 1e-8, 1.5e-8, 2e-8, 1e-7}) {
    std::vector<double> x{5000.0, 5000.0 + eps}, y{5000.0, 5000.0}, radii{r};
    INFO("eps " << eps);
    // Two discs offset by eps: union ≈ disc + 2·r·eps, up to the 1e-11·r snapping of centres
    // (≤ 2·r·1e-11·r); double-counted boundaries would be off by ~1e-4 relative.
    CHECK(disc_union_areas(zone, x, y, radii, kPoly8)[0] == Approx(disc + 2 * r * eps).epsilon(1e-10));
  }
}

// Area of the lens where two circles of radius r at centre distance d < 2r overlap.
double lens_area(double r, double d) {
  return 2 * r * r * std::acos(d / (2 * r)) - 0.5 * d * std::sqrt(4 * r * r - d * d);
}

TEST_CASE("disc union areas: true circles, closed-form cases", "[coverage]") {
  const double r = 10.0, pi = std::numbers::pi;
  auto zone = square_zone(0, 0, 100, 100);
  std::vector<double> x{50.0}, y{50.0}, radii{r};
  // The default is the true circle: π r² inside, a quarter at a corner, a half on an edge.
  CHECK(disc_union_areas(zone, x, y, radii)[0] == Approx(pi * r * r).epsilon(1e-13));
  x = {0.0};
  y = {0.0};
  CHECK(disc_union_areas(zone, x, y, radii)[0] == Approx(pi * r * r / 4).epsilon(1e-13));
  x = {50.0};
  y = {0.0};
  CHECK(disc_union_areas(zone, x, y, radii)[0] == Approx(pi * r * r / 2).epsilon(1e-13));
  // Two and three overlapping discs: inclusion–exclusion with lens areas (the three centres
  // on a line 7 apart: discs 1 and 3 are 14 apart and overlap too, but inside disc 2's lens
  // pairs, so area(D1 ∩ D2 ∩ D3) = area(D1 ∩ D3)).
  x = {40.0, 47.0};
  y = {50.0, 50.0};
  CHECK(disc_union_areas(zone, x, y, radii)[0] == Approx(2 * pi * r * r - lens_area(r, 7.0)).epsilon(1e-13));
  x = {40.0, 47.0, 54.0};
  y = {50.0, 50.0, 50.0};
  const double three = 3 * pi * r * r - 2 * lens_area(r, 7.0) - lens_area(r, 14.0) + lens_area(r, 14.0);
  CHECK(disc_union_areas(zone, x, y, radii)[0] == Approx(three).epsilon(1e-13));
  // A disc cut by a chord: the zone x ≥ 53 holds the circular segment of the disc at (50, 50)
  // at distance 3 from the centre: r² acos(3/r) − 3·√(r² − 9).
  auto right = square_zone(53, 0, 100, 100);
  x = {50.0};
  y = {50.0};
  CHECK(disc_union_areas(right, x, y, radii)[0] ==
        Approx(r * r * std::acos(3.0 / r) - 3.0 * std::sqrt(r * r - 9.0)).epsilon(1e-12));
  // More than shapely's 32-gon, by its area defect 1 − (16/π)·sin(π/16) ≈ 0.64 %.
  const double poly = disc_union_areas(zone, x, y, radii, kPoly8)[0];
  CHECK(poly == Approx(pi * r * r * (16 / pi) * std::sin(pi / 16)).epsilon(1e-12));
  CHECK_THROWS_AS(disc_union_areas(zone, x, y, radii, poly_options(-1)), InvalidInputError);
}

TEST_CASE("disc union areas: true circles against Monte Carlo and many-sided polygons", "[coverage]") {
  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // A triangle zone with a square hole and 12 overlapping discs.
  GeometryArray zone;
  zone.kind = GeometryKind::Polygon;
  for (auto [px, py] : std::vector<std::pair<double, double>>{{0, 0}, {100, 10}, {40, 90}, {0, 0}})
    zone.push_coordinate(px, py);
  zone.end_ring();
  for (auto [px, py] : std::vector<std::pair<double, double>>{{40, 30}, {40, 45}, {55, 45}, {55, 30}, {40, 30}})
    zone.push_coordinate(px, py);
  zone.end_ring();
  zone.end_part();
  zone.end_geometry();
  std::vector<double> x, y;
  for (int i = 0; i < 12; ++i) {
    x.push_back(u(rng) * 100);
    y.push_back(u(rng) * 90);
  }
  std::vector<double> radii{9.0};
  const double got = disc_union_areas(zone, x, y, radii)[0];
  // Polygons with ever more sides converge to it from below, with error ∝ 1/n².
  const double p256 = disc_union_areas(zone, x, y, radii, poly_options(256))[0];
  const double p512 = disc_union_areas(zone, x, y, radii, poly_options(512))[0];
  CHECK(p256 < p512);
  CHECK(p512 < got);
  CHECK((4 * p512 - p256) / 3 == Approx(got).epsilon(1e-9));
  // Monte Carlo: 4·10⁶ points in the triangle's box; 4σ band.
  auto inside_zone = [](double px, double py) {
    auto left = [](double ax, double ay, double bx, double by, double qx, double qy) {
      return (bx - ax) * (qy - ay) - (by - ay) * (qx - ax) >= 0;
    };
    const bool tri = left(0, 0, 100, 10, px, py) && left(100, 10, 40, 90, px, py) && left(40, 90, 0, 0, px, py);
    const bool hole = px > 40 && px < 55 && py > 30 && py < 45;
    return tri && !hole;
  };
  const int n = 4000000;
  int hits = 0;
  for (int k = 0; k < n; ++k) {
    const double px = u(rng) * 100, py = u(rng) * 90;
    if (!inside_zone(px, py)) continue;
    for (std::size_t i = 0; i < x.size(); ++i)
      if ((px - x[i]) * (px - x[i]) + (py - y[i]) * (py - y[i]) < 81.0) {
        ++hits;
        break;
      }
  }
  const double p = static_cast<double>(hits) / n, box = 9000.0;
  CHECK(std::abs(p * box - got) < 4 * box * std::sqrt(p * (1 - p) / n));
}

TEST_CASE("disc union zonal sums: true circles equal the exact areas on unit cells", "[coverage]") {
  const double pi = std::numbers::pi;
  GridSpec grid{0.0, 100.0, 1.0, 1.0, 100, 100};
  std::vector<double> ones(grid.cell_count(), 1.0);
  auto zone = square_zone(0, 0, 100, 100);
  std::vector<double> x{30.0, 38.0, 70.3}, y{40.0, 44.0, 61.7}, radii{12.5};
  const double exact = disc_union_areas(zone, x, y, radii)[0];
  CHECK(exact == Approx(3 * pi * 12.5 * 12.5 - lens_area(12.5, std::hypot(8.0, 4.0))).epsilon(1e-12));
  // Exact partial cells of arcs (chord + circular segment per cell): no chord defect left.
  const double sum = disc_union_zonal_sums(grid, ones, zone, x, y, radii)[0];
  CHECK(sum == Approx(exact).epsilon(1e-12));
}
