#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "catch.hpp"

#include "core/error.hpp"
#include "core/spatial_index.hpp"

using namespace jangkau;

namespace {

// Axis-aligned rectangle, optionally with a rectangular hole; containment is then known
// without any point-in-polygon code (the reference the index is checked against).
struct Rect {
  double x0, y0, x1, y1;
  bool hole = false;
  double hx0 = 0, hy0 = 0, hx1 = 0, hy1 = 0;

  // Closed: the boundary (also the hole's boundary) counts as inside.
  bool contains(double x, double y) const {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    if (hole && x > hx0 && x < hx1 && y > hy0 && y < hy1) return false;
    return true;
  }
};

void push_ring(GeometryArray& a, double x0, double y0, double x1, double y1) {
  for (auto [x, y] : {std::pair{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}) a.push_coordinate(x, y);
  a.end_ring();
}

GeometryArray polygons_of(const std::vector<Rect>& rects, std::size_t empty_at) {
  GeometryArray a;
  a.kind = GeometryKind::Polygon;
  for (std::size_t k = 0; k < rects.size(); ++k) {
    if (k == empty_at) a.end_geometry();  // an empty geometry in the middle: never located
    const Rect& r = rects[k];
    push_ring(a, r.x0, r.y0, r.x1, r.y1);
    if (r.hole) push_ring(a, r.hx0, r.hy0, r.hx1, r.hy1);
    a.end_part();
    a.end_geometry();
  }
  return a;
}

}  // namespace

TEST_CASE("PolygonIndex::locate equals brute force: lowest containing polygon, boundary inside", "[spatial_index]") {
  std::mt19937 rng(20261128);
  std::uniform_int_distribution<int> corner(0, 40), size(1, 12);
  std::vector<Rect> rects;
  for (int k = 0; k < 60; ++k) {  // overlapping rectangles on an integer lattice
    Rect r;
    r.x0 = corner(rng);
    r.y0 = corner(rng);
    r.x1 = r.x0 + size(rng);
    r.y1 = r.y0 + size(rng);
    if (k % 5 == 0 && r.x1 - r.x0 >= 4 && r.y1 - r.y0 >= 4) {
      r.hole = true;
      r.hx0 = r.x0 + 1;
      r.hy0 = r.y0 + 1;
      r.hx1 = r.x1 - 1;
      r.hy1 = r.y1 - 1;
    }
    rects.push_back(r);
  }
  const std::size_t empty_at = 17;
  const GeometryArray polys = polygons_of(rects, empty_at);
  REQUIRE(polys.size() == rects.size() + 1);
  auto geometry_of = [&](std::size_t k) { return static_cast<std::int64_t>(k < empty_at ? k : k + 1); };

  // Half-unit lattice: many points fall exactly on edges and corners.
  std::vector<double> x, y;
  for (int i = -2; i <= 2 * 56; ++i)
    for (int j = -2; j <= 2 * 56; ++j) {
      x.push_back(0.5 * i);
      y.push_back(0.5 * j);
    }
  PolygonIndex index(polys);
  const auto one = index.locate(x, y, 1);
  const auto two = index.locate(x, y, 2);
  CHECK(one == two);
  std::size_t inside = 0, on_boundary = 0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    std::int64_t want = -1;
    for (std::size_t k = 0; k < rects.size() && want < 0; ++k)
      if (rects[k].contains(x[p], y[p])) want = geometry_of(k);
    INFO("point (" << x[p] << ", " << y[p] << ")");
    REQUIRE(one[p] == want);
    CHECK(index.locate(x[p], y[p]) == want);
    if (want >= 0) {
      ++inside;
      const Rect& r = rects[static_cast<std::size_t>(want < static_cast<std::int64_t>(empty_at) ? want : want - 1)];
      on_boundary += (x[p] == r.x0 || x[p] == r.x1 || y[p] == r.y0 || y[p] == r.y1) ? 1 : 0;
    }
  }
  // The lattice exercises every case: outside, inside, on a boundary, in a hole.
  CHECK(inside > 1000);
  CHECK(on_boundary > 100);
  CHECK(inside < x.size());
}

TEST_CASE("PolygonIndex rejects points and mismatched arrays", "[spatial_index]") {
  GeometryArray pts;
  pts.kind = GeometryKind::Point;
  pts.push_point(0, 0);
  CHECK_THROWS_AS(PolygonIndex(pts), InvalidInputError);
  GeometryArray empty;
  empty.kind = GeometryKind::Polygon;
  PolygonIndex none(empty);
  CHECK(none.locate(1.0, 1.0) == -1);
  std::vector<double> x{1.0, 2.0}, y{1.0};
  CHECK_THROWS_AS(none.locate(x, y, 1), InvalidInputError);
}

TEST_CASE("nearest_points equals brute force, ties to the lower target index", "[spatial_index]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coord(0, 60);
  // Integer coordinates: equal squared distances give bit-equal distances, so ties are real.
  std::vector<double> tx, ty, qx, qy;
  for (int k = 0; k < 400; ++k) {
    tx.push_back(coord(rng));
    ty.push_back(coord(rng));
  }
  tx.push_back(tx[3]);  // duplicate targets: the lower index wins
  ty.push_back(ty[3]);
  for (int k = 0; k < 5000; ++k) {
    qx.push_back(coord(rng));
    qy.push_back(coord(rng));
  }
  qx.push_back(0.5 * (tx[10] + tx[20]));  // equidistant from targets 10 and 20 (and maybe others)
  qy.push_back(0.5 * (ty[10] + ty[20]));

  const Nearest one = nearest_points(tx, ty, qx, qy, 1);
  const Nearest two = nearest_points(tx, ty, qx, qy, 2);
  CHECK(one.index == two.index);
  CHECK(one.distance == two.distance);
  std::size_t ties = 0;
  for (std::size_t q = 0; q < qx.size(); ++q) {
    double best = std::numeric_limits<double>::infinity();
    std::int64_t arg = -1;
    int at_best = 0;
    for (std::size_t t = 0; t < tx.size(); ++t) {
      const double dx = qx[q] - tx[t], dy = qy[q] - ty[t];
      const double d = std::sqrt(dx * dx + dy * dy);
      if (d < best) {
        best = d;
        arg = static_cast<std::int64_t>(t);
        at_best = 1;
      } else if (d == best) {
        ++at_best;
      }
    }
    ties += at_best > 1 ? 1 : 0;
    INFO("query " << q);
    REQUIRE(one.index[q] == arg);
    REQUIRE(one.distance[q] == best);
  }
  CHECK(ties > 50);  // the lattice makes many exact ties
}

TEST_CASE("nearest_points without targets, and mismatched arrays", "[spatial_index]") {
  std::vector<double> none, qx{1.0, 2.0}, qy{3.0, 4.0};
  const Nearest r = nearest_points(none, none, qx, qy, 1);
  CHECK(r.index == std::vector<std::int64_t>{-1, -1});
  CHECK(std::isinf(r.distance[0]));
  CHECK(std::isinf(r.distance[1]));
  std::vector<double> one{1.0};
  CHECK_THROWS_AS(nearest_points(one, none, qx, qy, 1), InvalidInputError);
  CHECK_THROWS_AS(nearest_points(none, none, qx, one, 1), InvalidInputError);
}
