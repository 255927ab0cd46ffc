#include "raster.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "io/gdal_util.hpp"

namespace jangkau {

Raster read_raster(const std::string& path, int band) {
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
    CPLErr err = b->RasterIO(GF_Read, 0, 0, static_cast<int>(out.grid.cols), static_cast<int>(out.grid.rows),
                             out.values.data(), static_cast<int>(out.grid.cols), static_cast<int>(out.grid.rows),
                             GDT_Float64, 0, 0, nullptr);
    if (err != CE_None)
      throw DataFileError("cannot read band " + std::to_string(band) + ": " + errors.message(), {path, -1, ""});
  }
  return out;
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
