#pragma once
// Coverage statistics on plain arrays: population-weighted distance summaries per group
// (zone or facility) and nearest-facility allocation of population cells. The geometric
// parts (buffers, unions, exact overlays) live in io/overlay.hpp; exact partial cells in
// cell_coverage.hpp.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cell_coverage.hpp"
#include "geometry.hpp"
#include "monitor.hpp"

namespace jangkau {

/// Weighted summaries of a value per group.
struct GroupStats {
  /// Σ weight per group.
  std::vector<double> weight;
  /// Σ weight·value / Σ weight per group (NaN for a group with no weight).
  std::vector<double> mean;
  /// quantiles[q·n_groups + k] is quantile q of group k (NaN for a group with no weight).
  std::vector<double> quantiles;
};

/// Per group k in [0, n_groups): the total weight, the weighted mean and the weighted
/// quantiles of `values` over the entries i with groups[i] == k. The weighted quantile p
/// is the smallest value v such that the weight of entries with value ≤ v is at least
/// p·(total weight) (the inverted-CDF rule, numpy's method="inverted_cdf" with weights).
/// Entries with weight ≤ 0, a group outside [0, n_groups) (e.g. −1) or a NaN value are
/// ignored; infinite values (unreachable) are kept and can be quantiles. Throws
/// InvalidInputError if the arrays differ in length or a probability is outside [0, 1].
GroupStats weighted_group_stats(std::span<const double> values, std::span<const double> weights,
                                std::span<const std::int64_t> groups, std::size_t n_groups,
                                std::span<const double> probabilities);

/// Population allocated to each facility: every populated cell goes to its nearest facility.
struct Allocation {
  /// Nearest facility of every cell (−1 when there is no facility or the cell has no population).
  std::vector<std::int64_t> facility;
  /// Distance from each cell's centre to that facility, in coordinate units (inf when none).
  std::vector<double> distance;
  /// Per facility: population, population-weighted mean, p50 and p90 distance.
  GroupStats stats;
};

/// Allocates cell populations (cells given by their centres cell_x/cell_y with
/// `population` ≥ 0) to the nearest facility (facility_x/facility_y, same CRS, metric
/// units expected) through an R-tree; ties go to the lower facility index. Parallel,
/// deterministic. Throws InvalidInputError on length mismatch or negative population.
Allocation allocate_nearest(std::span<const double> cell_x, std::span<const double> cell_y,
                            std::span<const double> population, std::span<const double> facility_x,
                            std::span<const double> facility_y, int threads = 0,
                            Monitor& monitor = null_monitor());

/// Options of disc_union_areas() and disc_union_zonal_sums().
struct DiscCoverageOptions {
  /// Segments per quarter circle of each disc polygon, as GEOS/shapely `buffer`. DEFAULT: 8.
  int quadrant_segments = 8;
  /// Worker threads. DEFAULT: 0 = all hardware threads.
  int threads = 0;
};

/// For every radius j and zone k, area(zone_k ∩ U_j) where U_j is the union of the regular
/// polygons with 4·quadrant_segments vertices at angles k·90°/quadrant_segments and
/// circumradius radii[j] around the points (px, py) — the polygons GEOS/shapely `buffer`
/// makes for a point. Result index j·zones.size() + k, in coordinate units². Exact polygon
/// overlay without building U: the boundary of zone ∩ U is assembled from the parts of the
/// zone's edges inside some disc and the parts of disc edges inside no other disc and inside
/// the zone, and its area follows from Green's theorem. Duplicate points count once;
/// non-finite points are skipped. Zones may overlap. Throws InvalidInputError for non-polygon
/// zones, length mismatch, a radius ≤ 0 or quadrant_segments < 1.
std::vector<double> disc_union_areas(const GeometryArray& zones, std::span<const double> px,
                                     std::span<const double> py, std::span<const double> radii,
                                     const DiscCoverageOptions& options = {}, Monitor& monitor = null_monitor());

/// As disc_union_areas(), but returns Σ_c value_c · area(c ∩ zone_k ∩ U_j) / area(c) over the
/// cells of `grid` (exact partial cells of the overlay), skipping NaN and `nodata` cells:
/// the population of zone k within reach when `values` are counts per cell.
std::vector<double> disc_union_zonal_sums(const GridSpec& grid, std::span<const double> values,
                                          const GeometryArray& zones, std::span<const double> px,
                                          std::span<const double> py, std::span<const double> radii,
                                          bool has_nodata = false, double nodata = 0.0,
                                          const DiscCoverageOptions& options = {}, Monitor& monitor = null_monitor());

}  // namespace jangkau
