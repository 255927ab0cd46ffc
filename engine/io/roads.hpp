#pragma once
// A routable road network from real files: OpenStreetMap extracts (GDAL's OSM driver)
// or plain line layers (any OGR source), reprojected to a metric CRS, with per-class speeds.
// The topology (shared vertices, endpoint snapping, noding), the directed edge list, its
// CSR graphs and the components are core/road_topology.hpp; this file reads the lines,
// reports features that carry no road and adds source ids and WGS84 positions.
// If you include this file you need to link GDAL and PROJ (jangkau::io does).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/geometry.hpp"
#include "core/monitor.hpp"
#include "core/road_topology.hpp"

namespace jangkau {

/// One road class of a speed table.
struct RoadClass {
  std::string name;       ///< class name, e.g. "primary" (OSM highway=*) or "arteri" (Indonesian function)
  double speed_kmh = 0;   ///< default travel speed, km/h (> 0)
  bool routable = false;  ///< included when the caller does not name the classes to keep
};

/// The speed per road class. A class code is an index into `classes`.
struct SpeedTable {
  std::vector<RoadClass> classes;

  /// Code of class `name` (exact match), or -1 when absent.
  std::int32_t find(std::string_view name) const noexcept;
  /// Code of a class as written in a data column: matched case-insensitively, with
  /// underscores/repeated blanks read as one blank and a leading "jalan " or "jl. " ignored
  /// ("JALAN ARTERI" → "arteri"); -1 when absent.
  std::int32_t find_loose(std::string_view value) const;
};

/// Reads a speed table from CSV: a header with at least the columns `class`, `speed_kmh`
/// and `routable` (0/1), further columns ignored, lines starting with '#' skipped, fields
/// may be double-quoted. Throws DataFileError when unreadable, InvalidInputError (naming the
/// line as feature and the column as field) for a missing column, a duplicate class or a
/// speed that is not a positive number.
SpeedTable read_speed_table(const std::string& path);

/// Why a feature of a road layer carries no road.
enum class SkipReason : std::uint8_t {
  EmptyGeometry = 0,  ///< missing (NULL) or empty geometry
  ZeroLength = 1,     ///< every part has fewer than two distinct vertices
  Collapsed = 2,      ///< shorter than the snap/node tolerance: merged into a point while joining
  MissingNodes = 3,   ///< an OSM way refers to a node the file does not hold (read_osm_window)
};

/// Features left out of a network because they carry no road (a documented repair: they
/// are listed here and logged by the Python layer, never dropped silently).
struct SkippedFeatures {
  std::vector<std::int32_t> layer;    ///< index of the source layer (0 for OSM)
  std::vector<std::int64_t> feature;  ///< source feature id (OSM way id / OGR FID)
  std::vector<SkipReason> reason;

  void add(std::int32_t l, std::int64_t f, SkipReason r) {
    layer.push_back(l);
    feature.push_back(f);
    reason.push_back(r);
  }
  std::size_t size() const noexcept { return reason.size(); }
};

/// Road lines before topology is built: one geometry per input feature, in a metric CRS.
struct RoadLines {
  std::string crs;                       ///< the metric CRS of `geometry`, e.g. "EPSG:32748"
  GeometryArray geometry;                ///< kind Line; multi-part features keep their parts
  std::vector<std::int32_t> road_class;  ///< class code in the speed table
  std::vector<double> maxspeed_kmh;      ///< per-feature speed (OSM maxspeed); NaN = class speed
  std::vector<Oneway> oneway;
  std::vector<std::int64_t> feature;           ///< source feature id: OSM way id, else the OGR FID
  std::vector<std::int32_t> layer;             ///< index of the source layer (0 for OSM)
  std::vector<std::int64_t> excluded_feature;  ///< OSM way ids left out: closed to motor vehicles
  SkippedFeatures skipped;                     ///< features that carry no road (empty geometry)

  std::size_t size() const noexcept { return road_class.size(); }
};

/// Options of read_osm_roads.
struct OsmReadOptions {
  /// highway=* values to keep; each must be a class of the speed table.
  /// DEFAULT: {} — every class of the table marked routable.
  std::vector<std::string> classes;
  /// Output (metric) CRS. DEFAULT: "" — the WGS84 UTM zone of the centre of the data.
  std::string crs;
  /// Leave out ways closed to motor vehicles by the OSM access tags (most specific first:
  /// motorcycle, motor_vehicle, vehicle, access; closed = no, private, agricultural,
  /// forestry); their way ids go to RoadLines::excluded_feature. DEFAULT: true.
  bool honour_access = true;
};

/// Reads the `lines` layer of an OpenStreetMap .osm.pbf / .osm file through GDAL's OSM
/// driver: ways whose `highway` value is one of the selected classes. Honours `maxspeed`
/// (km/h; "mph" converted; non-numeric values such as "walk" or "RU:urban" ignored),
/// `oneway` (yes/true/1 → Forward, -1/reverse → Backward, no/false/0 → No; other values
/// → No) and the implied one-way of `junction=roundabout`/`circular` and
/// `highway=motorway`, taken from a field of that name or else from the `other_tags` hstore;
/// with OsmReadOptions::honour_access, ways closed to motor vehicles are left out and listed.
/// Throws DataFileError (missing/unreadable file), InvalidInputError (a class not in the
/// table; no way of the selected classes), CrsError (bad output CRS).
RoadLines read_osm_roads(const std::string& path, const SpeedTable& speeds, const OsmReadOptions& options = {});

/// One plain line layer to read with read_road_layers. Give exactly one of `road_class`
/// and `class_column`.
struct RoadLayerSource {
  std::string path;
  /// DEFAULT: "" — the first layer of the data source.
  std::string layer;
  /// Class of every feature (a class name of the speed table). DEFAULT: "".
  std::string road_class;
  /// Column holding each feature's class, matched with SpeedTable::find_loose. DEFAULT: "".
  std::string class_column;
  /// CRS to assume when the file states none. DEFAULT: "" — such a file is a CrsError.
  std::string assume_crs;
};

/// Reads several plain line layers (any OGR source) into one RoadLines (all two-way), in
/// `crs` or, when empty, the WGS84 UTM zone of the centre of all layers. Throws
/// DataFileError (missing file/layer), CrsError (no CRS), GeometryError (a layer of points
/// or polygons), InvalidInputError (empty layer, unknown class, both or neither of
/// road_class/class_column), UnknownColumnError (class_column not in the layer), each
/// naming the file, feature and field.
RoadLines read_road_layers(const std::vector<RoadLayerSource>& sources, const SpeedTable& speeds,
                           const std::string& crs = {});

/// A road network read from files: the core road graph (edge list, joins and CSR graphs,
/// see core/road_topology.hpp) plus its CRS, WGS84 positions and source ids. Node and edge
/// numbering depend only on the input (same input → identical arrays).
struct RoadNetwork : RoadGraph {
  std::string crs;                             ///< metric CRS of node_x/node_y and edge_geometry
  std::vector<double> node_lon, node_lat;      ///< WGS84 degrees (NaN without a CRS)
  std::vector<double> join_lon, join_lat;      ///< WGS84 position of each join (NaN without a CRS)
  std::vector<std::int64_t> edge_feature;      ///< source feature id (OSM way id / OGR FID)
  std::vector<std::int32_t> edge_layer;        ///< source layer index
  std::vector<std::string> class_names;        ///< names of the class codes
  std::vector<std::int64_t> line_feature;      ///< per input line (JoinReport::line_a/b): feature id
  std::vector<std::int32_t> line_layer;        ///< per input line: source layer index
  std::vector<std::int64_t> excluded_feature;  ///< OSM way ids left out by access tags
  SkippedFeatures skipped;                     ///< features that carry no road, and why
};

/// Builds the network with build_road_topology (core/road_topology.hpp), each line at its
/// maxspeed_kmh when that is a positive number, else at its class speed; lines that carry
/// no road are added to `skipped` (zero length, then collapsed, each in line order, after
/// the reader's entries); node and join positions are transformed to WGS84 when `crs` is
/// set. Throws InvalidInputError for a negative tolerance or a class code outside the
/// table, GeometryError for a non-finite coordinate, CancelledError via monitor.
RoadNetwork build_road_network(const RoadLines& lines, const SpeedTable& speeds, const TopologyOptions& options = {},
                               Monitor& monitor = null_monitor());

/// The sub-network induced by the nodes with keep_node[v] != 0 (road_subgraph, plus the
/// WGS84 positions and source ids of what is kept); the join report and the line tables
/// are kept whole. Throws InvalidInputError when keep_node has the wrong size.
RoadNetwork subnetwork(const RoadNetwork& network, std::span<const std::uint8_t> keep_node);

/// The sub-network of the largest weakly connected component (of the core graph).
RoadNetwork largest_road_component(const RoadNetwork& network);

}  // namespace jangkau
