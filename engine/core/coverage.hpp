#pragma once
// Coverage of zones by a union of discs (the reach of facilities), by exact polygon overlay
// without building the union: covered areas and covered raster sums per zone and radius.
// Weighted summaries per group live in group_stats.hpp, nearest-facility allocation in
// nearest_allocation.hpp, GEOS buffers/unions/overlays in io/overlay.hpp and exact partial
// cells in cell_coverage.hpp.

#include <cstddef>
#include <span>
#include <vector>

#include "cell_coverage.hpp"
#include "circle_geometry.hpp"
#include "geometry.hpp"
#include "monitor.hpp"

namespace jangkau {

/// Options of disc_union_areas() and disc_union_zonal_sums().
struct DiscCoverageOptions {
  /// 0 (DEFAULT): true circular discs, exact areas (arcs integrated in closed form).
  /// k ≥ 1: regular polygons with k segments per quarter circle, as GEOS/shapely `buffer`
  /// (k = 8 reproduces shapely's default 32-gon; only to reproduce shapely results).
  int quadrant_segments = 0;
  /// Worker threads. DEFAULT: 0 = all hardware threads.
  int threads = 0;
};

/// For every radius j and zone k, area(zone_k ∩ U_j) where U_j is the union of the discs of
/// radius radii[j] around the points (px, py): true circles by default, or (quadrant_segments
/// = q ≥ 1) the regular polygons with 4·q vertices at angles k·90°/q and circumradius
/// radii[j] — the polygons GEOS/shapely `buffer` makes for a point. Result index
/// j·zones.size() + k, in coordinate units². Exact overlay without building U: the boundary of
/// zone ∩ U is assembled from the parts of the zone's edges inside some disc and the parts of
/// disc boundaries (circle arcs or polygon edges) inside no other disc and inside the zone,
/// and its area follows from Green's theorem (an arc adds its chord plus the circular
/// segment ½r²(θ − sin θ), so true-circle areas are exact up to rounding). Duplicate points count once;
/// non-finite points are skipped. Zones may overlap. Throws InvalidInputError for non-polygon
/// zones, length mismatch, a radius ≤ 0 or quadrant_segments < 0.
std::vector<double> disc_union_areas(const GeometryArray& zones, std::span<const double> px,
                                     std::span<const double> py, std::span<const double> radii,
                                     const DiscCoverageOptions& options = {}, Monitor& monitor = null_monitor());

/// As disc_union_areas(), but returns Σ_c value_c · area(c ∩ zone_k ∩ U_j) / area(c) over the
/// cells of `grid` (exact partial cells of the overlay), skipping NaN and `nodata` cells:
/// the population of zone k within reach when `values` are counts per cell. With true
/// circles the cells are exact too: each arc of the boundary is split at the grid lines and
/// adds its chord plus its circular segment to its cell (CellCoverageAccumulator::add_arc).
std::vector<double> disc_union_zonal_sums(const GridSpec& grid, std::span<const double> values,
                                          const GeometryArray& zones, std::span<const double> px,
                                          std::span<const double> py, std::span<const double> radii,
                                          bool has_nodata = false, double nodata = 0.0,
                                          const DiscCoverageOptions& options = {}, Monitor& monitor = null_monitor());

}  // namespace jangkau
