#pragma once
// Spatial queries on plain arrays through Boost.Geometry R-trees: which polygon contains
// each point, and the nearest target point of each query point.

#include <cstdint>
#include <span>
#include <vector>

#include "core/geometry.hpp"

namespace jangkau {

/// An R-tree over the bounding boxes of polygon geometries, answering point-in-polygon.
class PolygonIndex {
 public:
  /// Indexes the polygons of `polygons` (kept by reference: it must outlive the index).
  explicit PolygonIndex(const GeometryArray& polygons);
  ~PolygonIndex();
  PolygonIndex(const PolygonIndex&) = delete;
  PolygonIndex& operator=(const PolygonIndex&) = delete;

  /// Index of the lowest-numbered polygon containing (x, y) (boundary counts), or -1.
  std::int64_t locate(double x, double y) const;
  /// locate() for every point, in parallel (threads: 0 = all cores).
  std::vector<std::int64_t> locate(std::span<const double> x, std::span<const double> y, int threads = 0) const;

 private:
  struct Impl;
  Impl* m_impl;
  const GeometryArray& m_polygons;
};

/// Result of a nearest-point query: target index (-1 if there are no targets) and distance.
struct Nearest {
  std::vector<std::int64_t> index;
  std::vector<double> distance;
};

/// For every query point, the nearest target point (Euclidean, in coordinate units; ties
/// broken by the lower target index) through an R-tree. Parallel over query points.
Nearest nearest_points(std::span<const double> target_x, std::span<const double> target_y,
                       std::span<const double> query_x, std::span<const double> query_y, int threads = 0);

}  // namespace jangkau
