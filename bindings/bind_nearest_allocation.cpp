// core/nearest_allocation.hpp: population cells allocated to their nearest facility.
#include "bind.hpp"
#include "core/nearest_allocation.hpp"

namespace jangkau::bind {

void bind_nearest_allocation(py::module_& m) {
  m.def(
      "allocate_nearest",
      [](const carray<double>& cell_x, const carray<double>& cell_y, const carray<double>& population,
         const carray<double>& facility_x, const carray<double>& facility_y, int threads,
         const py::object& progress) {
        auto cx = view(cell_x), cy = view(cell_y), pop = view(population), fx = view(facility_x),
             fy = view(facility_y);
        Monitor mon = make_monitor(progress);
        auto a = nogil([&] { return allocate_nearest(cx, cy, pop, fx, fy, threads, mon); });
        return py::make_tuple(to_numpy(std::move(a.facility)), to_numpy(std::move(a.distance)),
                              to_numpy(std::move(a.stats.weight)), to_numpy(std::move(a.stats.mean)),
                              to_numpy_2d(std::move(a.stats.quantiles), 2, fx.size()));
      },
      py::arg("cell_x"), py::arg("cell_y"), py::arg("population"), py::arg("facility_x"), py::arg("facility_y"),
      py::arg("threads") = 0, py::arg("progress") = py::none(),
      "Nearest-facility allocation: (facility, distance) per cell and per facility "
      "(population, mean distance, [p50; p90] distance).");
}

}  // namespace jangkau::bind
