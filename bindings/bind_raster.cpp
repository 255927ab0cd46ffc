// io/raster.hpp: GeoTIFF (any GDAL raster) in and out.
#include <optional>

#include "bind.hpp"
#include "io/raster.hpp"

namespace jangkau::bind {

void bind_raster(py::module_& m) {
  py::enum_<RasterType>(m, "RasterType")
      .value("Float32", RasterType::Float32)
      .value("Float64", RasterType::Float64)
      .value("Int32", RasterType::Int32)
      .value("UInt8", RasterType::UInt8);

  m.def(
      "read_raster",
      [](const std::string& path, int band) {
        Raster r = nogil([&] { return read_raster(path, band); });
        const std::size_t rows = r.grid.rows, cols = r.grid.cols;
        py::object nodata = r.has_nodata ? py::object(py::float_(r.nodata)) : py::none();
        return py::make_tuple(to_numpy_2d(std::move(r.values), rows, cols), r.grid, r.crs_wkt, nodata);
      },
      py::arg("path"), py::arg("band") = 1, "Reads one band: (values[rows, cols] float64, Grid, crs_wkt, nodata).");

  m.def(
      "read_raster_window",
      [](const std::string& path, double min_x, double min_y, double max_x, double max_y, const std::string& crs,
         int band) {
        Raster r = nogil([&] { return read_raster_window(path, RasterBox{min_x, min_y, max_x, max_y, crs}, band); });
        const std::size_t rows = r.grid.rows, cols = r.grid.cols;
        py::object nodata = r.has_nodata ? py::object(py::float_(r.nodata)) : py::none();
        return py::make_tuple(to_numpy_2d(std::move(r.values), rows, cols), r.grid, r.crs_wkt, nodata);
      },
      py::arg("path"), py::arg("min_x"), py::arg("min_y"), py::arg("max_x"), py::arg("max_y"), py::arg("crs") = "",
      py::arg("band") = 1,
      "Reads the cells of one band that intersect a box (in `crs`; empty: the raster's CRS), without resampling: "
      "(values[rows, cols] float64, Grid of the window, crs_wkt, nodata).");

  m.def(
      "write_raster",
      [](const std::string& path, const carray<double>& values, const GridSpec& grid, const std::string& crs_wkt,
         std::optional<double> nodata, RasterType type, int deflate_level) {
        auto v = grid_view(grid, values);
        RasterWriteOptions o;
        o.type = type;
        o.deflate_level = deflate_level;
        nogil([&] {
          Raster r;  // the engine's Raster owns its values: one copy, made without the GIL
          r.grid = grid;
          r.values.assign(v.begin(), v.end());
          r.crs_wkt = crs_wkt;
          r.has_nodata = nodata.has_value();
          r.nodata = nodata.value_or(0.0);
          write_raster(path, r, o);
        });
      },
      py::arg("path"), py::arg("values"), py::arg("grid"), py::arg("crs_wkt") = "", py::arg("nodata") = py::none(),
      py::arg("type") = RasterType::Float64, py::arg("deflate_level") = 6,
      "Writes a compressed GeoTIFF atomically and deterministically.");
}

}  // namespace jangkau::bind
