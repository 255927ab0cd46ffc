// Exact partial cells, zonal sums, raster I/O and the coverage overlay, as numpy arrays.
#include <cmath>
#include <optional>

#include "bind.hpp"
#include "core/cell_coverage.hpp"
#include "core/coverage.hpp"
#include "core/error.hpp"
#include "io/overlay.hpp"
#include "io/raster.hpp"

namespace jangkau::bind {

namespace {

std::span<const double> grid_values(const GridSpec& grid, const carray<double>& values) {
  if (values.ndim() == 2) {
    if (static_cast<std::size_t>(values.shape(0)) != grid.rows ||
        static_cast<std::size_t>(values.shape(1)) != grid.cols)
      throw InvalidInputError("values have shape (" + std::to_string(values.shape(0)) + ", " +
                              std::to_string(values.shape(1)) + "), the grid (" + std::to_string(grid.rows) + ", " +
                              std::to_string(grid.cols) + ")");
    return {values.data(), grid.cell_count()};
  }
  return view(values);
}

}  // namespace

void bind_coverage(py::module_& m) {
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
        return "Grid(origin_x=" + std::to_string(g.origin_x) + ", origin_y=" + std::to_string(g.origin_y) +
               ", cell_width=" + std::to_string(g.cell_width) + ", cell_height=" + std::to_string(g.cell_height) +
               ", rows=" + std::to_string(g.rows) + ", cols=" + std::to_string(g.cols) + ")";
      });

  m.def(
      "cell_coverage",
      [](const GridSpec& grid, const GeometryArray& polygons, double min_fraction, int threads, py::object progress) {
        CellCoverageOptions o;
        o.min_fraction = min_fraction;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        SparseCellCoverage sc;
        {
          py::gil_scoped_release release;
          sc = cell_coverage(grid, polygons, o, mon);
        }
        return py::make_tuple(to_numpy(std::move(sc.offsets)), to_numpy(std::move(sc.cells)),
                              to_numpy(std::move(sc.fractions)));
      },
      py::arg("grid"), py::arg("polygons"), py::arg("min_fraction") = 0.0, py::arg("threads") = 0,
      py::arg("progress") = py::none(),
      "Exact covered fraction of every cell touched by each polygon: (offsets, cells, fractions) in CSR form.");

  m.def(
      "zonal_sums",
      [](const GridSpec& grid, const carray<double>& values, const GeometryArray& polygons,
         std::optional<double> nodata, int threads, py::object progress) {
        auto v = grid_values(grid, values);
        CellCoverageOptions o;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        ZonalSums z;
        {
          py::gil_scoped_release release;
          z = zonal_sums(grid, v, polygons, nodata.has_value(), nodata.value_or(0.0), o, mon);
        }
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
        std::vector<double> d;
        {
          py::gil_scoped_release release;
          d = coverage_fraction_sum(grid, polygons, o);
        }
        return to_numpy_2d(std::move(d), grid.rows, grid.cols);
      },
      py::arg("grid"), py::arg("polygons"), py::arg("threads") = 0,
      "Per cell, the sum of the covered fractions of all polygons (rows x cols).");

  py::enum_<RasterType>(m, "RasterType")
      .value("Float32", RasterType::Float32)
      .value("Float64", RasterType::Float64)
      .value("Int32", RasterType::Int32)
      .value("UInt8", RasterType::UInt8);

  m.def(
      "read_raster",
      [](const std::string& path, int band) {
        Raster r;
        {
          py::gil_scoped_release release;
          r = read_raster(path, band);
        }
        const std::size_t rows = r.grid.rows, cols = r.grid.cols;
        py::object nodata = r.has_nodata ? py::object(py::float_(r.nodata)) : py::none();
        return py::make_tuple(to_numpy_2d(std::move(r.values), rows, cols), r.grid, r.crs_wkt, nodata);
      },
      py::arg("path"), py::arg("band") = 1, "Reads one band: (values[rows, cols] float64, Grid, crs_wkt, nodata).");

  m.def(
      "write_raster",
      [](const std::string& path, const carray<double>& values, const GridSpec& grid, const std::string& crs_wkt,
         std::optional<double> nodata, RasterType type, int deflate_level) {
        Raster r;
        r.grid = grid;
        auto v = grid_values(grid, values);
        r.values.assign(v.begin(), v.end());
        r.crs_wkt = crs_wkt;
        r.has_nodata = nodata.has_value();
        r.nodata = nodata.value_or(0.0);
        RasterWriteOptions o;
        o.type = type;
        o.deflate_level = deflate_level;
        py::gil_scoped_release release;
        write_raster(path, r, o);
      },
      py::arg("path"), py::arg("values"), py::arg("grid"), py::arg("crs_wkt") = "", py::arg("nodata") = py::none(),
      py::arg("type") = RasterType::Float64, py::arg("deflate_level") = 6,
      "Writes a compressed GeoTIFF atomically and deterministically.");

  m.def(
      "buffer_union",
      [](const GeometryArray& points, double radius, int quadrant_segments) {
        OverlayOptions o;
        o.quadrant_segments = quadrant_segments;
        py::gil_scoped_release release;
        return buffer_union(points, radius, o);
      },
      py::arg("points"), py::arg("radius"), py::arg("quadrant_segments") = 8,
      "Union of discs of `radius` around the points (one polygon geometry).");

  m.def(
      "intersect_zones",
      [](const GeometryArray& zones, const GeometryArray& cover, int threads, py::object progress) {
        OverlayOptions o;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        py::gil_scoped_release release;
        return intersect_zones(zones, cover, o, mon);
      },
      py::arg("zones"), py::arg("cover"), py::arg("threads") = 0, py::arg("progress") = py::none(),
      "zones[k] ∩ cover[0] for every zone.");

  m.def(
      "difference_zones",
      [](const GeometryArray& zones, const GeometryArray& cover, int threads, py::object progress) {
        OverlayOptions o;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        py::gil_scoped_release release;
        return difference_zones(zones, cover, o, mon);
      },
      py::arg("zones"), py::arg("cover"), py::arg("threads") = 0, py::arg("progress") = py::none(),
      "zones[k] − cover[0] for every zone.");

  m.def(
      "intersection_areas",
      [](const GeometryArray& zones, const GeometryArray& cover, int threads, py::object progress) {
        OverlayOptions o;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        std::vector<double> a;
        {
          py::gil_scoped_release release;
          a = intersection_areas(zones, cover, o, mon);
        }
        return to_numpy(std::move(a));
      },
      py::arg("zones"), py::arg("cover"), py::arg("threads") = 0, py::arg("progress") = py::none(),
      "Area of zones[k] ∩ cover[0] for every zone (coordinate units squared).");

  m.def(
      "weighted_group_stats",
      [](const carray<double>& values, const carray<double>& weights, const carray<std::int64_t>& groups,
         std::size_t n_groups, const carray<double>& probabilities) {
        GroupStats s;
        {
          py::gil_scoped_release release;
          s = weighted_group_stats(view(values), view(weights), view(groups), n_groups, view(probabilities));
        }
        const std::size_t nq = static_cast<std::size_t>(probabilities.shape(0));
        return py::make_tuple(to_numpy(std::move(s.weight)), to_numpy(std::move(s.mean)),
                              to_numpy_2d(std::move(s.quantiles), nq, n_groups));
      },
      py::arg("values"), py::arg("weights"), py::arg("groups"), py::arg("n_groups"), py::arg("probabilities"),
      "Per group: (total weight, weighted mean, weighted quantiles[len(probabilities), n_groups]).");

  m.def(
      "allocate_nearest",
      [](const carray<double>& cell_x, const carray<double>& cell_y, const carray<double>& population,
         const carray<double>& facility_x, const carray<double>& facility_y, int threads, py::object progress) {
        Monitor mon = make_monitor(progress);
        Allocation a;
        {
          py::gil_scoped_release release;
          a = allocate_nearest(view(cell_x), view(cell_y), view(population), view(facility_x), view(facility_y),
                               threads, mon);
        }
        const std::size_t nf = static_cast<std::size_t>(facility_x.shape(0));
        return py::make_tuple(to_numpy(std::move(a.facility)), to_numpy(std::move(a.distance)),
                              to_numpy(std::move(a.stats.weight)), to_numpy(std::move(a.stats.mean)),
                              to_numpy_2d(std::move(a.stats.quantiles), 2, nf));
      },
      py::arg("cell_x"), py::arg("cell_y"), py::arg("population"), py::arg("facility_x"), py::arg("facility_y"),
      py::arg("threads") = 0, py::arg("progress") = py::none(),
      "Nearest-facility allocation: (facility, distance) per cell and per facility "
      "(population, mean distance, [p50; p90] distance).");
  m.def(
      "disc_union_areas",
      [](const GeometryArray& zones, const carray<double>& px, const carray<double>& py, const carray<double>& radii,
         int quadrant_segments, int threads, py::object progress) {
        DiscCoverageOptions o;
        o.quadrant_segments = quadrant_segments;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        std::vector<double> a;
        {
          py::gil_scoped_release release;
          a = disc_union_areas(zones, view(px), view(py), view(radii), o, mon);
        }
        return to_numpy_2d(std::move(a), static_cast<std::size_t>(radii.shape(0)), zones.size());
      },
      py::arg("zones"), py::arg("x"), py::arg("y"), py::arg("radii"), py::arg("quadrant_segments") = 8,
      py::arg("threads") = 0, py::arg("progress") = py::none(),
      "area(zone ∩ union of discs) for every radius (rows) and zone (columns).");

  m.def(
      "disc_union_zonal_sums",
      [](const GridSpec& grid, const carray<double>& values, const GeometryArray& zones, const carray<double>& px,
         const carray<double>& py, const carray<double>& radii, std::optional<double> nodata, int quadrant_segments,
         int threads, py::object progress) {
        auto v = grid_values(grid, values);
        DiscCoverageOptions o;
        o.quadrant_segments = quadrant_segments;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        std::vector<double> a;
        {
          py::gil_scoped_release release;
          a = disc_union_zonal_sums(grid, v, zones, view(px), view(py), view(radii), nodata.has_value(),
                                    nodata.value_or(0.0), o, mon);
        }
        return to_numpy_2d(std::move(a), static_cast<std::size_t>(radii.shape(0)), zones.size());
      },
      py::arg("grid"), py::arg("values"), py::arg("zones"), py::arg("x"), py::arg("y"), py::arg("radii"),
      py::arg("nodata") = py::none(), py::arg("quadrant_segments") = 8, py::arg("threads") = 0,
      py::arg("progress") = py::none(),
      "Σ value·area(cell ∩ zone ∩ union of discs)/area(cell) for every radius (rows) and zone (columns).");
}

}  // namespace jangkau::bind
