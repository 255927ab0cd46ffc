#pragma once
// Nearest-facility allocation of population cells: every populated cell goes to its nearest
// facility, with the distance summaries per facility.

#include <cstdint>
#include <span>
#include <vector>

#include "group_stats.hpp"
#include "monitor.hpp"

namespace jangkau {

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
                            std::span<const double> facility_y, int threads = 0, Monitor& monitor = null_monitor());

}  // namespace jangkau
