// core/coverage.hpp: coverage of zones by a union of discs (areas and raster sums).
#include <optional>

#include "bind.hpp"
#include "core/coverage.hpp"

namespace jangkau::bind {

namespace {
DiscCoverageOptions disc_options(int quadrant_segments, int threads) {
  DiscCoverageOptions o;
  o.quadrant_segments = quadrant_segments;
  o.threads = threads;
  return o;
}
}  // namespace

void bind_coverage(py::module_& m) {
  m.def(
      "disc_union_areas",
      [](const GeometryArray& zones, const carray<double>& x, const carray<double>& y, const carray<double>& radii,
         int quadrant_segments, int threads, const py::object& progress) {
        auto px = view(x), py_ = view(y), r = view(radii);
        const auto o = disc_options(quadrant_segments, threads);
        Monitor mon = make_monitor(progress);
        return to_numpy_2d(nogil([&] { return disc_union_areas(zones, px, py_, r, o, mon); }), r.size(),
                           zones.size());
      },
      py::arg("zones"), py::arg("x"), py::arg("y"), py::arg("radii"), py::arg("quadrant_segments") = 0,
      py::arg("threads") = 0, py::arg("progress") = py::none(),
      "area(zone ∩ union of discs) for every radius (rows) and zone (columns); quadrant_segments 0 = true "
      "circles (exact), k ≥ 1 = shapely-like 4k-gons.");

  m.def(
      "disc_union_zonal_sums",
      [](const GridSpec& grid, const carray<double>& values, const GeometryArray& zones, const carray<double>& x,
         const carray<double>& y, const carray<double>& radii, std::optional<double> nodata, int quadrant_segments,
         int threads, const py::object& progress) {
        auto v = grid_view(grid, values);
        auto px = view(x), py_ = view(y), r = view(radii);
        const auto o = disc_options(quadrant_segments, threads);
        Monitor mon = make_monitor(progress);
        return to_numpy_2d(nogil([&] {
                             return disc_union_zonal_sums(grid, v, zones, px, py_, r, nodata.has_value(),
                                                          nodata.value_or(0.0), o, mon);
                           }),
                           r.size(), zones.size());
      },
      py::arg("grid"), py::arg("values"), py::arg("zones"), py::arg("x"), py::arg("y"), py::arg("radii"),
      py::arg("nodata") = py::none(), py::arg("quadrant_segments") = 0, py::arg("threads") = 0,
      py::arg("progress") = py::none(),
      "Σ value·area(cell ∩ zone ∩ union of discs)/area(cell) for every radius (rows) and zone (columns); "
      "true circles: exact partial cells (arcs split at grid lines, chord + circular segment per cell).");
}

}  // namespace jangkau::bind
