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

/// A box (bounds inclusive) whose cells read_raster_window reads.
struct RasterBox {
  double min_x = 0.0;  ///< west edge, units of `crs`
  double min_y = 0.0;  ///< south edge
  double max_x = 0.0;  ///< east edge
  double max_y = 0.0;  ///< north edge
  /// CRS of the box (anything OGRSpatialReference::SetFromUserInput takes, e.g. "EPSG:4326",
  /// with x = longitude). DEFAULT: empty — the raster's own CRS. Another CRS is transformed
  /// into the raster's along the box's edges (21 points each) and the bounds of the result
  /// are taken, so the window covers the whole box.
  std::string crs;
};

/// Reads only the cells of band `band` that intersect `box` (in the raster's CRS): the
/// window is the box snapped outwards to the raster's cell edges (an edge of the box within
/// 1e-9 cell of a cell edge counts as on it) and clipped to its extent,
/// read with one GDAL RasterIO call at full resolution (no resampling), so its values equal the
/// matching slice of a whole read and its grid is the raster's grid shifted to the window's
/// corner. Memory is the window's rows·cols·8 bytes whatever the file's size (a 100 m raster of
/// Indonesia is read for one regency without loading the country). Throws what read_raster
/// throws, and InvalidInputError if the box is not finite, is inverted, or does not overlap
/// the raster, CrsError if `box.crs` is not understood or the raster has no CRS to transform to.
Raster read_raster_window(const std::string& path, const RasterBox& box, int band = 1);

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
