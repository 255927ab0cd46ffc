#pragma once
// Single-band rasters as plain arrays plus their grid, CRS and nodata value: read from
// any GDAL raster (GeoTIFF, WorldPop/GHSL style) and written as compressed GeoTIFF.
// If you include this file you link GDAL (jangkau::io).

#include <cstdint>
#include <string>
#include <vector>

#include "core/cell_coverage.hpp"

namespace jangkau {

/// One raster band in memory: values row-major (north row first), as doubles.
struct Raster {
  /// Placement of the cells (north-up).
  GridSpec grid;
  /// rows·cols values; cells equal to `nodata` (when has_nodata) or NaN are missing.
  std::vector<double> values;
  /// CRS as WKT (OGC WKT2 when GDAL can), empty when the file has none.
  std::string crs_wkt;
  /// True if the band declares a nodata value.
  bool has_nodata = false;
  /// The nodata value (meaningful only when has_nodata).
  double nodata = 0.0;
};

/// Reads band `band` (1-based) of the raster at `path`. Throws DataFileError if the
/// file cannot be opened or read, InvalidInputError if the band does not exist or the
/// geotransform is rotated/sheared or not north-up (negative cell height); a missing
/// geotransform yields GDAL's default (origin 0, cell size 1).
Raster read_raster(const std::string& path, int band = 1);

/// Pixel type of a written raster.
enum class RasterType : std::uint8_t { Float32 = 0, Float64 = 1, Int32 = 2, UInt8 = 3 };

/// Options of write_raster().
struct RasterWriteOptions {
  /// Pixel type. DEFAULT: Float64.
  RasterType type = RasterType::Float64;
  /// DEFLATE compression level 1..9. DEFAULT: 6.
  int deflate_level = 6;
};

/// Writes `raster` as a tiled, DEFLATE-compressed GeoTIFF with its CRS and nodata
/// value. Atomic (written to a temporary file in the same folder, then renamed) and
/// deterministic (no timestamps; identical inputs give identical bytes). Throws
/// InvalidInputError if values.size() != rows·cols or the grid is invalid, CrsError if
/// crs_wkt is not understood, DataFileError if the file cannot be written.
void write_raster(const std::string& path, const Raster& raster, const RasterWriteOptions& options = {});

}  // namespace jangkau
