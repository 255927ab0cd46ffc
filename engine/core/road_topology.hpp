#pragma once
// Road topology on plain coordinate arrays: joining digitised road lines into a network
// (endpoint merging, dangle snapping, noding, vertex merging — pure geometry on
// Boost.Geometry R-trees), splitting the lines into pieces at the nodes, the directed edge
// list with its forward and reversed CSR graphs (core/network.hpp), and the weakly
// connected components and sub-networks of that road graph. No files, no CRS: io/roads.hpp
// reads the lines and adds source ids and WGS84 positions.

#include <cstdint>
#include <set>
#include <span>
#include <tuple>
#include <vector>

#include "geometry.hpp"
#include "monitor.hpp"
#include "network.hpp"

namespace jangkau {

/// Direction of travel allowed on a line relative to its digitised direction.
enum class Oneway : std::uint8_t {
  No = 0,        ///< both directions
  Forward = 1,   ///< only along the digitised direction (oneway=yes/true/1, roundabouts, motorways)
  Backward = 2,  ///< only against it (oneway=-1/reverse)
};

/// How build_road_topology joins lines into a topology.
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
  std::vector<double> x, y;                  ///< location, in the coordinates of the lines (metres)
  std::vector<double> distance_m;            ///< how far the endpoint moved (0 for other kinds)
  std::vector<std::int64_t> line_a, line_b;  ///< input line indices (a moved / split / dropped, by b)

  std::size_t size() const noexcept { return kind.size(); }
};

/// Records joins, each (kind, location, line_a, line_b) once, in the order first added.
class JoinLog {
 public:
  /// Appends a join unless the same one was recorded before. Distances in metres.
  void add(JoinKind kind, double x, double y, double distance_m, std::int64_t line_a, std::int64_t line_b);
  /// The joins recorded so far.
  const JoinReport& report() const noexcept { return m_report; }
  /// Moves the report out (the log is empty afterwards).
  JoinReport take();

 private:
  JoinReport m_report;
  std::set<std::tuple<int, double, double, std::int64_t, std::int64_t>> m_seen;
};

/// One part of one road line as an editable vertex list (metric coordinates).
struct RoadPolyline {
  std::vector<double> x, y;
  std::int64_t line = 0;  ///< index of the input line this part belongs to
  /// True when the polyline has more than two vertices and ends where it starts.
  bool closed() const noexcept { return x.size() > 2 && x.front() == x.back() && y.front() == y.back(); }
};

/// Removes consecutive repeated vertices (exact coordinates).
void drop_repeated_vertices(RoadPolyline& p);

/// Step 1a: merges endpoints within `tol` metres of each other, greedily in endpoint order
/// (endpoint 2k is the first vertex of polyline k, 2k + 1 its last): the first endpoint not
/// yet assigned becomes a centre and takes every unassigned endpoint of other polylines
/// within tol (at most one per polyline, so a short line never collapses); taken endpoints
/// move onto the centre (EndpointToEndpoint, with the distance moved). Candidates come from
/// an R-tree over the endpoints. Returns, per endpoint, the size of its cluster. Polylines
/// need >= 1 vertex; tol >= 0.
std::vector<std::int64_t> merge_endpoints(std::vector<RoadPolyline>& polys, double tol, JoinLog& log);

/// Step 1b: in endpoint order, moves each endpoint whose cluster (from merge_endpoints) has
/// size 1 onto the nearest point of another polyline within `tol` metres (the first such
/// polyline and segment on ties), inserting a vertex there unless it is a vertex already,
/// so both share the coordinate exactly (EndpointToLine). Earlier moves and inserted
/// vertices are seen by later endpoints. Candidates come from an R-tree over the segments.
void snap_dangles(std::vector<RoadPolyline>& polys, std::span<const std::int64_t> cluster_size, double tol,
                  JoinLog& log);

/// Step 2 (noding): for every pair of segments whose boxes (grown by eps) meet, except
/// pairs involving a polyline with separated[k] != 0 and neighbouring segments of one
/// polyline: a vertex of one segment within eps of the other segment (and farther than eps
/// from its ends) splits the other there (Touch); otherwise two segments that properly
/// cross (strict orientation test) are both split at the intersection point (Crossing).
/// Reports progress as "splitting crossings".
void node_lines(std::vector<RoadPolyline>& polys, std::span<const std::uint8_t> separated, double eps, JoinLog& log,
                Monitor& monitor = null_monitor());

/// Step 3: merges vertices closer than eps metres (> 0): each vertex, in polyline order, is
/// replaced by the lowest-numbered earlier representative within eps (found on a grid of
/// cell size eps), else becomes a representative; repeated vertices are then dropped.
void merge_close_vertices(std::vector<RoadPolyline>& polys, double eps);

/// Per-line attributes used by build_road_topology, one entry per line.
struct RoadLineAttributes {
  std::span<const std::int32_t> road_class;  ///< class code (grade separation, edge_class), >= 0
  std::span<const double> speed_kmh;         ///< travel speed, km/h, finite and > 0
  std::span<const Oneway> oneway;            ///< allowed direction
  std::span<const std::int64_t> feature;     ///< ids named in errors; empty = the line index
};

/// A road network as a directed edge list, with its CSR graphs built once from it. Node and
/// edge numbering depend only on the input: nodes in order of first appearance along the
/// lines, edges per piece of line in line order (forward before backward).
struct RoadGraph {
  std::vector<double> node_x, node_y;  ///< metres
  std::vector<std::int64_t> edge_from, edge_to;
  std::vector<std::int64_t> edge_twin;   ///< the opposite edge of a two-way piece, else -1
  std::vector<std::int64_t> edge_piece;  ///< undirected piece of line (twins share it)
  std::vector<double> edge_length_m;     ///< > 0
  std::vector<double> edge_speed_kmh;
  std::vector<double> edge_time_s;       ///< edge_length_m / (edge_speed_kmh / 3.6)
  std::vector<std::int32_t> edge_class;  ///< class code of the line
  std::vector<std::int64_t> edge_line;   ///< index of the input line
  GeometryArray edge_geometry;           ///< kind Line, one per edge, oriented from → to
  JoinReport joins;
  /// The edge list as a CSR graph: weight set 0 = edge_time_s, 1 = edge_length_m; edge ids
  /// are edge indices. Built by build_graphs().
  Graph graph;
  /// The same edges reversed (edge k goes edge_to[k] → edge_from[k]), for costs *to* a node;
  /// same weight sets and edge ids. Built by build_graphs().
  Graph reversed_graph;

  std::size_t node_count() const noexcept { return node_x.size(); }
  std::size_t edge_count() const noexcept { return edge_from.size(); }
  /// (Re)builds `graph` and `reversed_graph` from the edge arrays. Throws InvalidInputError
  /// (from Graph::from_edges) for inconsistent arrays.
  void build_graphs();
};

/// Result of build_road_topology: the graph and the lines that carry no road.
struct RoadTopology {
  RoadGraph network;
  std::vector<std::int64_t> zero_length_line;  ///< lines without a part of two distinct vertices
  std::vector<std::int64_t> collapsed_line;    ///< lines merged into points by snapping/noding
};

/// Builds the network from the line geometries (kind Line; multi-part lines keep their
/// parts): (1) with snap_tolerance_m > 0, merge_endpoints and snap_dangles; (2) with
/// split_crossings, node_lines (lines of grade_separated_classes are not split); (3) with
/// node_tolerance_m > 0, merge_close_vertices; (4) makes a node of every line endpoint and
/// of every vertex shared (identical coordinates) by two lines or twice by one, splits the
/// lines into pieces at the nodes, (5) with drop_duplicates, drops repeated two-way pieces
/// (the faster line's kept, else the first; Duplicate), and emits one directed edge per piece
/// for one-way lines, else two; then builds the CSR graphs. Consecutive duplicate vertices
/// are dropped; lines left with fewer than two distinct vertices are listed, in line order,
/// in zero_length_line (before joining) or collapsed_line (after). Throws
/// InvalidInputError for a negative tolerance, attribute arrays of the wrong length or a
/// speed that is not positive, GeometryError for non-line geometry or a non-finite
/// coordinate (naming the feature), CancelledError via monitor.
RoadTopology build_road_topology(const GeometryArray& lines, const RoadLineAttributes& attributes,
                                 const TopologyOptions& options = {}, Monitor& monitor = null_monitor());

/// Weakly connected components: labels[v] is the component of node v, numbered by
/// decreasing size (0 = largest; ties by smallest node id); sizes[c] is the node count of
/// component c.
struct RoadComponents {
  std::vector<std::int64_t> labels;
  std::vector<std::int64_t> sizes;
};

/// Weakly connected components of the road graph (weak_components of its CSR graph).
RoadComponents road_components(const RoadGraph& network);

/// Weakly connected components of the directed edge list (edge_from[k] → edge_to[k]) over
/// `node_count` nodes. Throws InvalidInputError for an endpoint outside [0, node_count) or
/// arrays of different lengths.
RoadComponents road_components(std::size_t node_count, std::span<const std::int64_t> edge_from,
                               std::span<const std::int64_t> edge_to);

/// The sub-graph induced by the nodes with keep_node[v] != 0 (edges whose both ends are
/// kept), renumbered in the original order (pieces too), with its CSR graphs; the join
/// report is kept whole. Throws InvalidInputError when keep_node has the wrong size.
RoadGraph road_subgraph(const RoadGraph& network, std::span<const std::uint8_t> keep_node);

/// keep_node mask of the largest weakly connected component (1 = in it).
std::vector<std::uint8_t> largest_component_mask(const RoadGraph& network);

}  // namespace jangkau
