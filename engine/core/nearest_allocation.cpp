#include "nearest_allocation.hpp"

#include <limits>
#include <string>

#include "error.hpp"
#include "spatial_index.hpp"

namespace jangkau {

Allocation allocate_nearest(std::span<const double> cell_x, std::span<const double> cell_y,
                            std::span<const double> population, std::span<const double> facility_x,
                            std::span<const double> facility_y, int threads, Monitor& monitor) {
  if (cell_x.size() != cell_y.size() || cell_x.size() != population.size())
    throw InvalidInputError("allocate_nearest: cell arrays differ in length");
  if (facility_x.size() != facility_y.size())
    throw InvalidInputError("allocate_nearest: facility arrays differ in length");
  // Only populated cells are queried: empty cells are most of a typical raster.
  std::vector<double> qx, qy;
  std::vector<std::size_t> cell_of;
  for (std::size_t i = 0; i < population.size(); ++i) {
    const double p = population[i];
    if (p < 0.0)
      throw InvalidInputError("negative population in cell " + std::to_string(i),
                              {"", static_cast<std::int64_t>(i), "population"});
    if (p > 0.0) {
      qx.push_back(cell_x[i]);
      qy.push_back(cell_y[i]);
      cell_of.push_back(i);
    }
  }
  monitor.report("nearest facility", 0, qx.size());
  Nearest near = nearest_points(facility_x, facility_y, qx, qy, threads);
  monitor.report("nearest facility", qx.size(), qx.size());
  Allocation out;
  out.facility.assign(population.size(), -1);
  out.distance.assign(population.size(), std::numeric_limits<double>::infinity());
  for (std::size_t k = 0; k < cell_of.size(); ++k) {
    out.facility[cell_of[k]] = near.index[k];
    out.distance[cell_of[k]] = near.distance[k];
  }
  const double probs[] = {0.5, 0.9};
  out.stats = weighted_group_stats(out.distance, population, out.facility, facility_x.size(), probs);
  return out;
}

}  // namespace jangkau
