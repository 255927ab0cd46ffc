#include "catch.hpp"

#include "core/geometry.hpp"

using namespace jangkau;

namespace {
// A 10 x 10 square with a 2 x 2 hole, shell clockwise on purpose.
GeometryArray square_with_hole() {
  GeometryArray a;
  a.kind = GeometryKind::Polygon;
  for (auto [x, y] : {std::pair{0.0, 0.0}, {0.0, 10.0}, {10.0, 10.0}, {10.0, 0.0}, {0.0, 0.0}})
    a.push_coordinate(x, y);
  a.end_ring();
  for (auto [x, y] : {std::pair{4.0, 4.0}, {6.0, 4.0}, {6.0, 6.0}, {4.0, 6.0}, {4.0, 4.0}}) a.push_coordinate(x, y);
  a.end_ring();
  a.end_part();
  a.end_geometry();
  return a;
}
}  // namespace

TEST_CASE("polygon area subtracts holes whatever the orientation", "[geometry]") {
  auto a = square_with_hole();
  CHECK(polygon_area(a, 0) == Approx(96.0));
  CHECK(geometry_length(a, 0) == Approx(48.0));
}

TEST_CASE("orient_polygons_ccw makes shells CCW and holes CW", "[geometry]") {
  auto a = square_with_hole();
  orient_polygons_ccw(a);
  std::span<const double> x(a.x), y(a.y);
  CHECK(ring_signed_area(x.subspan(0, 5), y.subspan(0, 5)) == Approx(100.0));
  CHECK(ring_signed_area(x.subspan(5, 5), y.subspan(5, 5)) == Approx(-4.0));
  CHECK(polygon_area(a, 0) == Approx(96.0));
}

TEST_CASE("point in polygon excludes holes and includes the boundary", "[geometry]") {
  auto a = square_with_hole();
  CHECK(point_in_polygon(a, 0, 1.0, 1.0));
  CHECK_FALSE(point_in_polygon(a, 0, 5.0, 5.0));
  CHECK(point_in_polygon(a, 0, 0.0, 5.0));
  CHECK_FALSE(point_in_polygon(a, 0, 11.0, 5.0));
}

TEST_CASE("bounds and empty geometries", "[geometry]") {
  GeometryArray a;
  a.end_geometry();  // empty
  CHECK(a.size() == 1);
  CHECK(a.empty(0));
  CHECK(bounds(a, 0).is_empty());
  auto b = square_with_hole();
  auto box = bounds(b, 0);
  CHECK(box.min_x == 0.0);
  CHECK(box.max_y == 10.0);
}
