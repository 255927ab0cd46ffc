#include "raster.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/gdal_util.hpp"

namespace jangkau {

namespace {
// The bounds, in the raster's CRS, of `box` (in box.crs) sampled along its edges.
RasterBox box_in_raster_crs(const RasterBox& box, const OGRSpatialReference* raster_srs, const std::string& path) {
  if (raster_srs == nullptr)
    throw CrsError("the raster has no CRS, so a window in " + box.crs + " cannot be placed on it", {path, -1, "crs"});
  OGRSpatialReference from;
  if (from.SetFromUserInput(box.crs.c_str()) != OGRERR_NONE)
    throw CrsError("the window's CRS '" + box.crs + "' is not understood", {path, -1, "crs"});
  from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference to(*raster_srs);
  to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&from, &to));
  if (!ct) throw CrsError("no transformation from " + box.crs + " to the raster's CRS", {path, -1, "crs"});
  constexpr int kSteps = 20;
  std::vector<double> xs, ys;
  for (int i = 0; i <= kSteps; ++i) {
    const double t = static_cast<double>(i) / kSteps;
    const double x = box.min_x + t * (box.max_x - box.min_x), y = box.min_y + t * (box.max_y - box.min_y);
    xs.insert(xs.end(), {x, x, box.min_x, box.max_x});
    ys.insert(ys.end(), {box.min_y, box.max_y, y, y});
  }
  std::vector<int> ok(xs.size(), 0);
  ct->Transform(xs.size(), xs.data(), ys.data(), nullptr, ok.data());
  RasterBox out;
  out.min_x = out.min_y = std::numeric_limits<double>::infinity();
  out.max_x = out.max_y = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!ok[i] || !std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    out.min_x = std::min(out.min_x, xs[i]);
    out.max_x = std::max(out.max_x, xs[i]);
    out.min_y = std::min(out.min_y, ys[i]);
    out.max_y = std::max(out.max_y, ys[i]);
  }
  if (!(out.min_x <= out.max_x && out.min_y <= out.max_y))
    throw CrsError("the window cannot be transformed from " + box.crs + " to the raster's CRS", {path, -1, "crs"});
  return out;
}

// Reads `band` of `path`: the whole raster, or the cells intersecting `box` when given.
Raster read_band(const std::string& path, int band, const RasterBox* box) {
  GdalDatasetPtr ds = open_raster(path);
  ErrorCollector errors;
  if (band < 1 || band > ds->GetRasterCount())
    throw InvalidInputError("band " + std::to_string(band) + " does not exist (the raster has " +
                                std::to_string(ds->GetRasterCount()) + ")",
                            {path, -1, ""});
  Raster out;
  double gt[6] = {0, 1, 0, 0, 0, 1};
  if (ds->GetGeoTransform(gt) != CE_None) {
    // No georeferencing: GDAL's pixel/line convention, y down from 0.
    gt[0] = 0;
    gt[1] = 1;
    gt[2] = 0;
    gt[3] = 0;
    gt[4] = 0;
    gt[5] = -1;
  }
  if (gt[2] != 0.0 || gt[4] != 0.0)
    throw InvalidInputError("rotated or sheared rasters are not supported (geotransform terms 2 and 4 must be 0)",
                            {path, -1, ""});
  if (!(gt[1] > 0.0) || !(gt[5] < 0.0))
    throw InvalidInputError("the raster is not north-up (needs a positive cell width and a negative cell height)",
                            {path, -1, ""});
  out.grid.origin_x = gt[0];
  out.grid.origin_y = gt[3];
  out.grid.cell_width = gt[1];
  out.grid.cell_height = -gt[5];
  out.grid.rows = static_cast<std::size_t>(ds->GetRasterYSize());
  out.grid.cols = static_cast<std::size_t>(ds->GetRasterXSize());
  validate_grid(out.grid);
  std::size_t col0 = 0, row0 = 0;
  if (box != nullptr) {
    if (!std::isfinite(box->min_x) || !std::isfinite(box->min_y) || !std::isfinite(box->max_x) ||
        !std::isfinite(box->max_y) || box->min_x > box->max_x || box->min_y > box->max_y)
      throw InvalidInputError("the window must be a finite box with min <= max", {path, -1, "window"});
    RasterBox b = *box;
    if (!b.crs.empty()) b = box_in_raster_crs(b, ds->GetSpatialRef(), path);
    box = &b;
    // cells [c0, c1) x [r0, r1) intersecting the box, clipped to the raster; an edge of the box
    // within 1e-9 cell of a cell edge is on it (a box touching a cell does not take it)
    constexpr double kSnap = 1e-9;
    const double cols = static_cast<double>(out.grid.cols), rows = static_cast<double>(out.grid.rows);
    const double c0 = std::clamp(std::floor((box->min_x - gt[0]) / gt[1] + kSnap), 0.0, cols);
    const double c1 = std::clamp(std::ceil((box->max_x - gt[0]) / gt[1] - kSnap), 0.0, cols);
    const double r0 = std::clamp(std::floor((gt[3] - box->max_y) / -gt[5] + kSnap), 0.0, rows);
    const double r1 = std::clamp(std::ceil((gt[3] - box->min_y) / -gt[5] - kSnap), 0.0, rows);
    if (!(c1 > c0) || !(r1 > r0))
      throw InvalidInputError("the window does not overlap the raster", {path, -1, "window"});
    col0 = static_cast<std::size_t>(c0);
    row0 = static_cast<std::size_t>(r0);
    out.grid.cols = static_cast<std::size_t>(c1 - c0);
    out.grid.rows = static_cast<std::size_t>(r1 - r0);
    out.grid.origin_x = gt[0] + c0 * gt[1];
    out.grid.origin_y = gt[3] + r0 * gt[5];
  }
  if (const OGRSpatialReference* srs = ds->GetSpatialRef()) {
    char* wkt = nullptr;
    const char* opts[] = {"FORMAT=WKT2_2019", nullptr};
    if (srs->exportToWkt(&wkt, opts) == OGRERR_NONE && wkt) out.crs_wkt = wkt;
    CPLFree(wkt);
  }
  GDALRasterBand* b = ds->GetRasterBand(band);
  int has_nodata = 0;
  double nodata = b->GetNoDataValue(&has_nodata);
  out.has_nodata = has_nodata != 0;
  out.nodata = out.has_nodata ? nodata : 0.0;
  out.values.resize(out.grid.cell_count());
  if (out.grid.cell_count() > 0) {
    CPLErr err = b->RasterIO(GF_Read, static_cast<int>(col0), static_cast<int>(row0), static_cast<int>(out.grid.cols),
                             static_cast<int>(out.grid.rows), out.values.data(), static_cast<int>(out.grid.cols),
                             static_cast<int>(out.grid.rows), GDT_Float64, 0, 0, nullptr);
    if (err != CE_None)
      throw DataFileError("cannot read band " + std::to_string(band) + ": " + errors.message(), {path, -1, ""});
  }
  return out;
}
}  // namespace

Raster read_raster(const std::string& path, int band) { return read_band(path, band, nullptr); }

Raster read_raster_window(const std::string& path, const RasterBox& box, int band) {
  return read_band(path, band, &box);
}

namespace {
GDALDataType gdal_type(RasterType t) {
  switch (t) {
    case RasterType::Float32:
      return GDT_Float32;
    case RasterType::Float64:
      return GDT_Float64;
    case RasterType::Int32:
      return GDT_Int32;
    case RasterType::UInt8:
      return GDT_Byte;
  }
  return GDT_Float64;
}
}  // namespace

void write_raster(const std::string& path, const Raster& raster, const RasterWriteOptions& options) {
  validate_grid(raster.grid);
  if (raster.values.size() != raster.grid.cell_count())
    throw InvalidInputError("raster has " + std::to_string(raster.values.size()) + " values for " +
                                std::to_string(raster.grid.cell_count()) + " cells",
                            {path, -1, ""});
  if (raster.grid.rows == 0 || raster.grid.cols == 0)
    throw InvalidInputError("cannot write an empty raster", {path, -1, ""});
  if (options.deflate_level < 1 || options.deflate_level > 9)
    throw InvalidInputError("deflate_level must be in 1..9", {path, -1, "deflate_level"});
  ensure_gdal_registered();
  OGRSpatialReference srs;
  if (!raster.crs_wkt.empty()) {
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    if (srs.SetFromUserInput(raster.crs_wkt.c_str()) != OGRERR_NONE)
      throw CrsError("CRS not understood: " + raster.crs_wkt.substr(0, 80), {path, -1, ""});
  }
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (!driver) throw DataFileError("GDAL has no GTiff driver", {path, -1, ""});
  const GDALDataType type = gdal_type(options.type);
  const bool is_float = options.type == RasterType::Float32 || options.type == RasterType::Float64;
  write_atomically(path, [&](const std::string& tmp) {
    ErrorCollector errors;
    const std::string level = "ZLEVEL=" + std::to_string(options.deflate_level);
    const char* co[] = {"TILED=YES",        "BLOCKXSIZE=256", "BLOCKYSIZE=256",
                        "COMPRESS=DEFLATE", level.c_str(),    is_float ? "PREDICTOR=3" : "PREDICTOR=2",
                        "NUM_THREADS=1",    nullptr};
    {
      // No aux.xml side files: statistics/PAM are not part of the output.
      CPLConfigOptionSetter pam("GDAL_PAM_ENABLED", "NO", false);
      GdalDatasetPtr ds(driver->Create(tmp.c_str(), static_cast<int>(raster.grid.cols),
                                       static_cast<int>(raster.grid.rows), 1, type, const_cast<char**>(co)));
      if (!ds) throw DataFileError("cannot create GeoTIFF: " + errors.message(), {path, -1, ""});
      double gt[6] = {raster.grid.origin_x,    raster.grid.cell_width, 0.0, raster.grid.origin_y, 0.0,
                      -raster.grid.cell_height};
      ds->SetGeoTransform(gt);
      if (!raster.crs_wkt.empty()) ds->SetSpatialRef(&srs);
      GDALRasterBand* b = ds->GetRasterBand(1);
      if (raster.has_nodata) b->SetNoDataValue(raster.nodata);
      CPLErr err = b->RasterIO(GF_Write, 0, 0, static_cast<int>(raster.grid.cols), static_cast<int>(raster.grid.rows),
                               const_cast<double*>(raster.values.data()), static_cast<int>(raster.grid.cols),
                               static_cast<int>(raster.grid.rows), GDT_Float64, 0, 0, nullptr);
      if (err != CE_None) throw DataFileError("cannot write GeoTIFF: " + errors.message(), {path, -1, ""});
      ds.reset();  // GDALClose flushes; failures are caught by the collector below
    }
    if (errors.failed()) throw DataFileError("cannot write GeoTIFF: " + errors.message(), {path, -1, ""});
  });
}

}  // namespace jangkau
