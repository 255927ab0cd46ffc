#pragma once
// A routable road network from real files: OpenStreetMap extracts (GDAL's OSM driver)
// or plain line layers (any OGR source), reprojected to a metric CRS, with topology built
// from shared vertices (OSM) or from endpoint snapping and noding (digitised layers),
// per-class speeds and travel times, and a weakly-connected-component report.
// The output is plain arrays (directed edge list, node coordinates) for the CSR graph in
// core/network.hpp and for point snapping in core/snapping.hpp.
// If you include this file you need to link GDAL and PROJ (jangkau::io does).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/geometry.hpp"
#include "core/monitor.hpp"

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

/// Direction of travel allowed on a line relative to its digitised direction.
enum class Oneway : std::uint8_t {
  No = 0,        ///< both directions
  Forward = 1,   ///< only along the digitised direction (oneway=yes/true/1, roundabouts, motorways)
  Backward = 2,  ///< only against it (oneway=-1/reverse)
};

/// Road lines before topology is built: one geometry per input feature, in a metric CRS.
/// Why a feature of a road layer carries no road.
enum class SkipReason : std::uint8_t {
  EmptyGeometry = 0,  ///< missing (NULL) or empty geometry
  ZeroLength = 1,     ///< every part has fewer than two distinct vertices
  Collapsed = 2,      ///< shorter than the snap/node tolerance: merged into a point while joining
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

struct RoadLines {
  std::string crs;                        ///< the metric CRS of `geometry`, e.g. "EPSG:32748"
  GeometryArray geometry;                 ///< kind Line; multi-part features keep their parts
  std::vector<std::int32_t> road_class;   ///< class code in the speed table
  std::vector<double> maxspeed_kmh;       ///< per-feature speed (OSM maxspeed); NaN = class speed
  std::vector<Oneway> oneway;
  std::vector<std::int64_t> feature;      ///< source feature id: OSM way id, else the OGR FID
  std::vector<std::int32_t> layer;        ///< index of the source layer (0 for OSM)
  std::vector<std::int64_t> excluded_feature;  ///< OSM way ids left out: closed to motor vehicles
  SkippedFeatures skipped;                      ///< features that carry no road (empty geometry)

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
RoadLines read_road_layers(const std::vector<RoadLayerSource>& layers, const SpeedTable& speeds,
                           const std::string& crs = {});

/// How build_road_network joins lines into a topology.
struct TopologyOptions {
  /// Endpoints within this distance of another line's endpoint are merged; remaining
  /// dangling endpoints within it of another line are moved onto that line (which gets a
  /// vertex there). 0 disables snapping (OSM: ways share vertices already).
  /// DEFAULT: 0 m (RoadNetwork.from_layers in Python uses 5 m).
  double snap_tolerance_m = 0.0;
  /// Split lines where they cross or touch (noding). OSM data should not be noded: bridges
  /// and tunnels cross without meeting. DEFAULT: false.
  bool split_crossings = false;
  /// Vertices closer than this are merged into one node after snapping/noding, so that
  /// intersection points computed twice do not leave micro-edges. 0 = exact coordinates only.
  /// DEFAULT: 0 m (from_layers uses 0.001 m).
  double node_tolerance_m = 0.0;
  /// Class codes that are grade-separated (e.g. toll roads): crossings involving them are
  /// not split; they join other lines only at shared or snapped endpoints. DEFAULT: {}.
  std::vector<std::int32_t> grade_separated_classes;
  /// Keep one copy of two-way pieces that have the same vertex sequence (a road drawn in two
  /// overlapping layers): the faster one, else the first. DEFAULT: false (from_layers: true).
  bool drop_duplicates = false;
};

/// What happened at one join made by snapping or noding.
enum class JoinKind : std::uint8_t {
  EndpointToEndpoint = 0,  ///< an endpoint was moved onto another line's endpoint
  EndpointToLine = 1,      ///< a dangling endpoint was moved onto another line (vertex inserted)
  Crossing = 2,            ///< two lines crossed; both were split at the crossing point
  Touch = 3,               ///< a vertex lay on another line's segment; that line was split there
  Duplicate = 4,           ///< a piece of line_a duplicated one of line_b and was dropped
};

/// Every join made while building the topology, one row each, in a deterministic order.
struct JoinReport {
  std::vector<JoinKind> kind;
  std::vector<double> x, y;        ///< location, metric CRS
  std::vector<double> lon, lat;    ///< location, WGS84
  std::vector<double> distance_m;  ///< how far the endpoint moved (0 for other kinds)
  std::vector<std::int64_t> line_a, line_b;  ///< indices into the RoadLines (a moved / split / dropped, by b)

  std::size_t size() const noexcept { return kind.size(); }
};

/// A road network as a directed edge list. Node and edge numbering depend only on the
/// input (same input → identical arrays): nodes in order of first appearance along the
/// lines, edges per piece of line in line order (forward before backward).
struct RoadNetwork {
  std::string crs;                            ///< metric CRS of node_x/node_y and edge_geometry
  std::vector<double> node_x, node_y;         ///< metres
  std::vector<double> node_lon, node_lat;     ///< WGS84 degrees
  std::vector<std::int64_t> edge_from, edge_to;
  std::vector<std::int64_t> edge_twin;        ///< the opposite edge of a two-way piece, else -1
  std::vector<std::int64_t> edge_piece;       ///< undirected piece of line (twins share it)
  std::vector<double> edge_length_m;          ///< > 0
  std::vector<double> edge_speed_kmh;
  std::vector<double> edge_time_s;            ///< edge_length_m / (edge_speed_kmh / 3.6)
  std::vector<std::int32_t> edge_class;       ///< class code in the speed table
  std::vector<std::int64_t> edge_line;        ///< index into the RoadLines it was built from
  std::vector<std::int64_t> edge_feature;     ///< source feature id (OSM way id / OGR FID)
  std::vector<std::int32_t> edge_layer;       ///< source layer index
  GeometryArray edge_geometry;                ///< kind Line, one per edge, oriented from → to
  JoinReport joins;
  std::vector<std::string> class_names;       ///< names of the class codes
  std::vector<std::int64_t> line_feature;     ///< per input line (JoinReport::line_a/b): feature id
  std::vector<std::int32_t> line_layer;       ///< per input line: source layer index
  std::vector<std::int64_t> excluded_feature; ///< OSM way ids left out by access tags
  SkippedFeatures skipped;                    ///< features that carry no road, and why

  std::size_t node_count() const noexcept { return node_x.size(); }
  std::size_t edge_count() const noexcept { return edge_from.size(); }
};

/// Builds the network: (1) with snap_tolerance_m > 0, merges nearby endpoints and moves
/// dangling endpoints onto nearby lines; (2) with split_crossings, splits lines where they
/// cross or touch; (3) with node_tolerance_m > 0, merges vertices closer than it; (4) makes
/// a node of every line endpoint and of every vertex shared (identical coordinates) by two
/// lines or twice by one, splits the lines into pieces at the nodes, (5) with
/// drop_duplicates, drops repeated two-way pieces, and emits one directed edge per piece for
/// one-way lines, else two. Consecutive duplicate vertices are dropped;
/// lines left with fewer than two distinct vertices are skipped. Throws InvalidInputError
/// for a negative tolerance or a class code outside the table, CancelledError via monitor.
RoadNetwork build_road_network(const RoadLines& lines, const SpeedTable& speeds, const TopologyOptions& options = {},
                               Monitor& monitor = null_monitor());

/// Weakly connected components: labels[v] is the component of node v, numbered by
/// decreasing size (0 = largest; ties by smallest node id); sizes[c] is the node count of
/// component c.
struct RoadComponents {
  std::vector<std::int64_t> labels;
  std::vector<std::int64_t> sizes;
};

/// Weakly connected components of the directed edge list (edge_from[k] → edge_to[k]) over
/// `node_count` nodes. Throws InvalidInputError for an endpoint outside [0, node_count) or
/// arrays of different lengths.
RoadComponents road_components(std::size_t node_count, std::span<const std::int64_t> edge_from,
                               std::span<const std::int64_t> edge_to);

/// The sub-network induced by the nodes with keep_node[v] != 0 (edges whose both ends are
/// kept), renumbered in the original order; the join report is kept whole. Throws
/// InvalidInputError when keep_node has the wrong size.
RoadNetwork subnetwork(const RoadNetwork& network, std::span<const std::uint8_t> keep_node);

/// The sub-network of the largest weakly connected component.
RoadNetwork largest_road_component(const RoadNetwork& network);

}  // namespace jangkau
