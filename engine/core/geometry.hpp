#pragma once
// Geometry as flat coordinate + offset arrays (the GeoArrow / shapely ragged-array
// layout), so whole layers cross into Python and through PROJ without per-vertex objects.

#include <cstdint>
#include <span>
#include <vector>

namespace jangkau {

/// Dimension of the geometries held by a GeometryArray. Every geometry is stored
/// as its multi-form (MultiPoint, MultiLineString, MultiPolygon).
enum class GeometryKind : std::uint8_t { Point = 0, Line = 1, Polygon = 2 };

/// A column of geometries of one kind, three levels of offsets deep:
///   geometry g has parts  [geom_offsets[g],  geom_offsets[g+1])
///   part p has rings      [part_offsets[p],  part_offsets[p+1])   (polygons: ring 0 is the shell)
///   ring r has coordinates[ring_offsets[r],  ring_offsets[r+1])
/// For points a part is one ring of one coordinate; for lines a part is one ring
/// (the line string). Polygon rings are closed (first == last coordinate).
/// An empty geometry has no parts.
struct GeometryArray {
  GeometryKind kind = GeometryKind::Polygon;
  std::vector<double> x, y;
  std::vector<std::int64_t> ring_offsets{0};
  std::vector<std::int64_t> part_offsets{0};
  std::vector<std::int64_t> geom_offsets{0};

  std::size_t size() const noexcept { return geom_offsets.size() - 1; }
  std::size_t coordinate_count() const noexcept { return x.size(); }
  bool empty(std::size_t g) const noexcept { return geom_offsets[g] == geom_offsets[g + 1]; }

  /// Appends one coordinate to the ring being built.
  void push_coordinate(double px, double py) {
    x.push_back(px);
    y.push_back(py);
  }
  /// Closes the ring being built (call after its coordinates).
  void end_ring() { ring_offsets.push_back(static_cast<std::int64_t>(x.size())); }
  /// Closes the part being built (after its rings).
  void end_part() { part_offsets.push_back(static_cast<std::int64_t>(ring_offsets.size() - 1)); }
  /// Closes the geometry being built (after its parts).
  void end_geometry() { geom_offsets.push_back(static_cast<std::int64_t>(part_offsets.size() - 1)); }
  /// Appends a single point geometry.
  void push_point(double px, double py) {
    push_coordinate(px, py);
    end_ring();
    end_part();
    end_geometry();
  }
  /// Appends geometry g of `other` (which must have the same kind).
  void append_from(const GeometryArray& other, std::size_t g);
};

/// Axis-aligned bounding box; empty when min > max.
struct Box {
  double min_x = 1e300, min_y = 1e300, max_x = -1e300, max_y = -1e300;
  bool is_empty() const noexcept { return min_x > max_x; }
  void expand(double px, double py) noexcept {
    if (px < min_x) min_x = px;
    if (px > max_x) max_x = px;
    if (py < min_y) min_y = py;
    if (py > max_y) max_y = py;
  }
  void expand(const Box& b) noexcept {
    if (b.is_empty()) return;
    expand(b.min_x, b.min_y);
    expand(b.max_x, b.max_y);
  }
};

/// Bounding box of geometry g (empty box for an empty geometry).
Box bounds(const GeometryArray& a, std::size_t g);
/// Bounding box of the whole array.
Box bounds(const GeometryArray& a);

/// Signed shoelace area of coordinates [begin, end) (closed ring): > 0 counter-clockwise.
double ring_signed_area(std::span<const double> x, std::span<const double> y);
/// Planar area of polygon geometry g in coordinate units squared (shells minus holes,
/// whatever the ring orientation). Assumes a valid polygon.
double polygon_area(const GeometryArray& a, std::size_t g);
/// Planar length of line geometry g (or perimeter of polygon g), in coordinate units.
double geometry_length(const GeometryArray& a, std::size_t g);
/// Reorients rings so that shells are counter-clockwise and holes clockwise (RFC 7946 §3.1.6).
void orient_polygons_ccw(GeometryArray& a);
/// Point-in-polygon test (even–odd over all rings, so holes are excluded).
/// Points exactly on the boundary count as inside.
bool point_in_polygon(const GeometryArray& a, std::size_t g, double px, double py);

}  // namespace jangkau
