#pragma once
// Reading vector data (any OGR source) into typed columns and a GeometryArray.
// If you include this file you need to link GDAL (jangkau::io does).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/geometry.hpp"
#include "io/crs.hpp"

namespace jangkau {

/// Storage type of an attribute column.
enum class FieldType : std::uint8_t { Integer = 0, Real = 1, String = 2 };

/// One attribute column; only the vector matching `type` is filled. `valid[i] == 0` marks null.
struct Field {
  std::string name;
  FieldType type = FieldType::String;
  bool boolean = false;  ///< Integer field holding 0/1 (OGR's boolean subtype; GeoJSON true/false)
  std::vector<std::int64_t> integers;
  std::vector<double> reals;
  std::vector<std::string> strings;
  std::vector<std::uint8_t> valid;
};

/// A vector layer: attributes, geometries of one dimension, and its CRS.
struct VectorLayer {
  std::string source;      ///< path or name of the data source
  std::string name;        ///< layer name
  std::optional<Crs> crs;  ///< empty only for layers without geometry
  std::vector<Field> fields;
  GeometryArray geometry;  ///< one entry per feature (empty geometry for null)
  std::vector<std::int64_t> fid;

  std::size_t size() const noexcept { return fid.size(); }
  /// Index of field `name`; throws UnknownColumnError naming the source and the field.
  std::size_t field_index(const std::string& name) const;
};

/// Options for read_vector.
struct ReadOptions {
  std::string layer;             ///< DEFAULT: "" — the first (only) layer
  std::string assume_crs;        ///< DEFAULT: "" — CRS to use when the source has none (else CrsError)
  std::string x_column;          ///< DEFAULT: "" — CSV: longitude/easting column (with y_column)
  std::string y_column;          ///< DEFAULT: "" — CSV: latitude/northing column
  std::string wkt_column;        ///< DEFAULT: "" — CSV: WKT geometry column
  std::string where;             ///< DEFAULT: "" — OGR SQL attribute filter
  bool require_geometry = true;  ///< DEFAULT: true — a layer without geometry column is an error
};

/// Reads a whole layer. Throws DataFileError (missing/unreadable/truncated file, unknown
/// layer), CrsError (no CRS and no assume_crs, or a CRS that contradicts assume_crs is
/// NOT an error: the file's own CRS wins), GeometryError (mixed dimensions), naming the
/// file, feature and field.
VectorLayer read_vector(const std::string& path, const ReadOptions& options = {});

/// Names of the layers of a data source.
std::vector<std::string> list_layers(const std::string& path);

}  // namespace jangkau
