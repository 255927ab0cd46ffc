// core/cell_coverage.hpp: the raster grid, exact partial cells and zonal sums.
#include <optional>

#include "bind.hpp"
#include "core/cell_coverage.hpp"

namespace jangkau::bind {

void bind_cell_coverage(py::module_& m) {
  py::class_<GridSpec>(m, "Grid", "A north-up raster grid (origin = north-west corner).")
      .def(py::init([](double origin_x, double origin_y, double cell_width, double cell_height, std::size_t rows,
                       std::size_t cols) {
             GridSpec g{origin_x, origin_y, cell_width, cell_height, rows, cols};
             validate_grid(g);
             return g;
           }),
           py::arg("origin_x"), py::arg("origin_y"), py::arg("cell_width"), py::arg("cell_height"), py::arg("rows"),
           py::arg("cols"))
      .def_readonly("origin_x", &GridSpec::origin_x)
      .def_readonly("origin_y", &GridSpec::origin_y)
      .def_readonly("cell_width", &GridSpec::cell_width)
      .def_readonly("cell_height", &GridSpec::cell_height)
      .def_readonly("rows", &GridSpec::rows)
      .def_readonly("cols", &GridSpec::cols)
      .def_property_readonly("shape", [](const GridSpec& g) { return py::make_tuple(g.rows, g.cols); })
      .def_property_readonly("cell_area", &GridSpec::cell_area)
      .def_property_readonly("geotransform",
                             [](const GridSpec& g) {
                               return py::make_tuple(g.origin_x, g.cell_width, 0.0, g.origin_y, 0.0, -g.cell_height);
                             })
      .def("__repr__", [](const GridSpec& g) {
        return kw_repr("Grid", {{"origin_x", py::cast(g.origin_x)},
                                {"origin_y", py::cast(g.origin_y)},
                                {"cell_width", py::cast(g.cell_width)},
                                {"cell_height", py::cast(g.cell_height)},
                                {"rows", py::cast(g.rows)},
                                {"cols", py::cast(g.cols)}});
      });

  m.def(
      "cell_coverage",
      [](const GridSpec& grid, const GeometryArray& polygons, double min_fraction, int threads,
         const py::object& progress) {
        CellCoverageOptions o;
        o.min_fraction = min_fraction;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        auto sc = nogil([&] { return cell_coverage(grid, polygons, o, mon); });
        return py::make_tuple(to_numpy(std::move(sc.offsets)), to_numpy(std::move(sc.cells)),
                              to_numpy(std::move(sc.fractions)));
      },
      py::arg("grid"), py::arg("polygons"), py::arg("min_fraction") = 0.0, py::arg("threads") = 0,
      py::arg("progress") = py::none(),
      "Exact covered fraction of every cell touched by each polygon: (offsets, cells, fractions) in CSR form.");

  m.def(
      "zonal_sums",
      [](const GridSpec& grid, const carray<double>& values, const GeometryArray& polygons,
         std::optional<double> nodata, int threads, const py::object& progress) {
        auto v = grid_view(grid, values);
        CellCoverageOptions o;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        auto z = nogil(
            [&] { return zonal_sums(grid, v, polygons, nodata.has_value(), nodata.value_or(0.0), o, mon); });
        return py::make_tuple(to_numpy(std::move(z.sum)), to_numpy(std::move(z.count)),
                              to_numpy(std::move(z.covered_cells)));
      },
      py::arg("grid"), py::arg("values"), py::arg("polygons"), py::arg("nodata") = py::none(), py::arg("threads") = 0,
      py::arg("progress") = py::none(),
      "Coverage-weighted (sum, count, covered_cells) of a raster per polygon (exactextract's rule).");

  m.def(
      "coverage_fraction_sum",
      [](const GridSpec& grid, const GeometryArray& polygons, int threads) {
        CellCoverageOptions o;
        o.threads = threads;
        return to_numpy_2d(nogil([&] { return coverage_fraction_sum(grid, polygons, o); }), grid.rows, grid.cols);
      },
      py::arg("grid"), py::arg("polygons"), py::arg("threads") = 0,
      "Per cell, the sum of the covered fractions of all polygons (rows x cols).");
}

}  // namespace jangkau::bind
