#pragma once
// Writing vector layers: GeoJSON (RFC 7946), GeoPackage, FlatGeobuf and CSV, chosen by the
// file extension. Every write is atomic (temporary file beside the target, then rename).
// If you include this file you need to link GDAL (jangkau::io does).

#include <string>

#include "io/vector.hpp"

namespace jangkau {

/// Options for write_vector.
struct WriteOptions {
  int coordinate_precision = 7;  ///< DEFAULT: 7 — GeoJSON decimals (7 ≈ 1 cm in lon/lat)
  std::string layer_name;        ///< DEFAULT: "" — the file stem
  bool overwrite = true;         ///< DEFAULT: true — replace an existing file
};

/// Output format chosen from the extension of a path.
enum class VectorFormat { GeoJson, GeoPackage, FlatGeobuf, Csv };

/// The format for `path` (.geojson/.json, .gpkg, .fgb, .csv); throws InvalidInputError otherwise.
VectorFormat format_for(const std::string& path);

/// Writes `layer` to `path`. GeoJSON follows RFC 7946: coordinates are transformed to
/// WGS84 lon/lat, exterior rings counter-clockwise and holes clockwise. CSV writes geometry
/// as a WKT column named `geometry` (if the layer has geometry). The same input always
/// gives byte-identical files. Throws DataFileError if the file cannot be written (no
/// partial file is left). A layer without CRS is written as a table without geometry.
void write_vector(const std::string& path, const VectorLayer& layer, const WriteOptions& options = {});

}  // namespace jangkau
