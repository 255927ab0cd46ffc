#pragma once
// Exact polygon overlay for coverage: the union of facility buffers and its intersection
// with every zone, through the reentrant GEOS C API (one context per worker thread).
// If you include this file you link GEOS (jangkau::io).

#include <cstddef>
#include <span>
#include <vector>

#include "core/geometry.hpp"
#include "core/monitor.hpp"

namespace jangkau {

/// Options of the coverage overlay.
struct OverlayOptions {
  /// Segments per quarter circle of each buffer (GEOS/shapely default). DEFAULT: 8.
  int quadrant_segments = 8;
  /// Worker threads (parallel over zones). DEFAULT: 0 = all hardware threads.
  int threads = 0;
};

/// The union of discs of radius `radius` (coordinate units, > 0) around every point of
/// `points` (a Point GeometryArray; empty geometries are skipped), as one polygon geometry
/// (an array of size 1, empty when there are no points). Buffers are GEOS polygons with
/// options.quadrant_segments segments per quarter circle, as shapely's `buffer`.
/// Throws InvalidInputError for a non-point input or a radius ≤ 0 / non-finite.
GeometryArray buffer_union(const GeometryArray& points, double radius, const OverlayOptions& options = {});

/// Geometry k of the result is zones[k] ∩ cover[0] (polygons; empty where they do not
/// meet). Parallel over zones with a prepared `cover`; deterministic.
GeometryArray intersect_zones(const GeometryArray& zones, const GeometryArray& cover,
                              const OverlayOptions& options = {}, Monitor& monitor = null_monitor());

/// Area (coordinate units²) of zones[k] ∩ cover[0] for every zone k. Zones entirely
/// inside `cover` are not intersected (their own area is used).
std::vector<double> intersection_areas(const GeometryArray& zones, const GeometryArray& cover,
                                       const OverlayOptions& options = {}, Monitor& monitor = null_monitor());

/// Polygons of zones[k] minus cover[0] for every zone k (the uncovered part).
GeometryArray difference_zones(const GeometryArray& zones, const GeometryArray& cover,
                               const OverlayOptions& options = {}, Monitor& monitor = null_monitor());

}  // namespace jangkau
