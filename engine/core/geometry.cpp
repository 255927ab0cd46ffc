#include "geometry.hpp"

#include <algorithm>
#include <cmath>

namespace jangkau {

void GeometryArray::append_from(const GeometryArray& o, std::size_t g) {
  for (auto p = o.geom_offsets[g]; p < o.geom_offsets[g + 1]; ++p) {
    for (auto r = o.part_offsets[p]; r < o.part_offsets[p + 1]; ++r) {
      for (auto c = o.ring_offsets[r]; c < o.ring_offsets[r + 1]; ++c) push_coordinate(o.x[c], o.y[c]);
      end_ring();
    }
    end_part();
  }
  end_geometry();
}

Box bounds(const GeometryArray& a, std::size_t g) {
  Box b;
  if (a.empty(g)) return b;
  auto r0 = a.part_offsets[a.geom_offsets[g]];
  auto r1 = a.part_offsets[a.geom_offsets[g + 1]];
  for (auto c = a.ring_offsets[r0]; c < a.ring_offsets[r1]; ++c) b.expand(a.x[c], a.y[c]);
  return b;
}

Box bounds(const GeometryArray& a) {
  Box b;
  for (std::size_t i = 0; i < a.x.size(); ++i) b.expand(a.x[i], a.y[i]);
  return b;
}

double ring_signed_area(std::span<const double> x, std::span<const double> y) {
  // Shifted shoelace (relative to the first vertex) for accuracy with large UTM coordinates.
  const std::size_t n = x.size();
  if (n < 3) return 0.0;
  const double x0 = x[0], y0 = y[0];
  double s = 0.0;
  for (std::size_t i = 1; i + 1 < n; ++i) s += (x[i] - x0) * (y[i + 1] - y0) - (x[i + 1] - x0) * (y[i] - y0);
  return 0.5 * s;
}

namespace {
std::span<const double> ring_x(const GeometryArray& a, std::int64_t r) {
  return {a.x.data() + a.ring_offsets[r], static_cast<std::size_t>(a.ring_offsets[r + 1] - a.ring_offsets[r])};
}
std::span<const double> ring_y(const GeometryArray& a, std::int64_t r) {
  return {a.y.data() + a.ring_offsets[r], static_cast<std::size_t>(a.ring_offsets[r + 1] - a.ring_offsets[r])};
}
}  // namespace

double polygon_area(const GeometryArray& a, std::size_t g) {
  double area = 0.0;
  for (auto p = a.geom_offsets[g]; p < a.geom_offsets[g + 1]; ++p) {
    for (auto r = a.part_offsets[p]; r < a.part_offsets[p + 1]; ++r) {
      double s = std::abs(ring_signed_area(ring_x(a, r), ring_y(a, r)));
      area += (r == a.part_offsets[p]) ? s : -s;
    }
  }
  return area;
}

double geometry_length(const GeometryArray& a, std::size_t g) {
  double len = 0.0;
  if (a.empty(g)) return 0.0;
  auto r0 = a.part_offsets[a.geom_offsets[g]];
  auto r1 = a.part_offsets[a.geom_offsets[g + 1]];
  for (auto r = r0; r < r1; ++r)
    for (auto c = a.ring_offsets[r] + 1; c < a.ring_offsets[r + 1]; ++c)
      len += std::hypot(a.x[c] - a.x[c - 1], a.y[c] - a.y[c - 1]);
  return len;
}

void orient_polygons_ccw(GeometryArray& a) {
  if (a.kind != GeometryKind::Polygon) return;
  for (std::size_t p = 0; p + 1 < a.part_offsets.size(); ++p) {
    for (auto r = a.part_offsets[p]; r < a.part_offsets[p + 1]; ++r) {
      double s = ring_signed_area(ring_x(a, r), ring_y(a, r));
      bool shell = (r == a.part_offsets[p]);
      if ((shell && s < 0) || (!shell && s > 0)) {
        std::reverse(a.x.begin() + a.ring_offsets[r], a.x.begin() + a.ring_offsets[r + 1]);
        std::reverse(a.y.begin() + a.ring_offsets[r], a.y.begin() + a.ring_offsets[r + 1]);
      }
    }
  }
}

bool point_in_polygon(const GeometryArray& a, std::size_t g, double px, double py) {
  bool inside = false;
  if (a.empty(g)) return false;
  auto r0 = a.part_offsets[a.geom_offsets[g]];
  auto r1 = a.part_offsets[a.geom_offsets[g + 1]];
  for (auto r = r0; r < r1; ++r) {
    for (auto c = a.ring_offsets[r] + 1; c < a.ring_offsets[r + 1]; ++c) {
      double x1 = a.x[c - 1], y1 = a.y[c - 1], x2 = a.x[c], y2 = a.y[c];
      // On-segment test: boundary counts as inside.
      double cross = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1);
      if (cross == 0.0 && std::min(x1, x2) <= px && px <= std::max(x1, x2) && std::min(y1, y2) <= py &&
          py <= std::max(y1, y2))
        return true;
      if ((y1 > py) != (y2 > py)) {
        double xi = x1 + (py - y1) * (x2 - x1) / (y2 - y1);
        if (px < xi) inside = !inside;
      }
    }
  }
  return inside;
}

}  // namespace jangkau
