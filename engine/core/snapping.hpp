#pragma once
// Snapping points (demand points, facilities) onto the nearest line of a network —
// the nearest point on an edge, not the nearest node — with a uniform grid over the
// edge segments (each query scans rings of cells until no nearer segment can remain). Also turns a snapped point into
// the (node, offset) entries that a multi-source Dijkstra starts from.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "geometry.hpp"
#include "monitor.hpp"

namespace jangkau {

/// The point of segment (a, b) nearest to p: writes the parameter u in [0, 1] (clamped
/// projection; 0 for a zero-length segment) and the point q = a + u (b − a), exactly b when
/// u = 1. Shared by snapping and road topology so that they agree to the last bit.
inline void closest_point_on_segment(double px, double py, double ax, double ay, double bx, double by, double& u,
                                     double& qx, double& qy) {
  const double dx = bx - ax, dy = by - ay;
  const double l2 = dx * dx + dy * dy;
  u = 0.0;
  if (l2 > 0.0) u = std::clamp(((px - ax) * dx + (py - ay) * dy) / l2, 0.0, 1.0);
  qx = ax + u * dx;
  qy = ay + u * dy;
  if (u == 1.0) {  // land exactly on the vertex, not a rounding away from it
    qx = bx;
    qy = by;
  }
}

/// Options of SegmentIndex::snap and snap_brute_force.
struct SnapOptions {
  /// Points farther than this from every indexed line are flagged in SnapResult::beyond_max
  /// (they keep their nearest edge, but snap_entries skips them).
  /// DEFAULT: 1000 m.
  double max_snap_m = 1000.0;
  /// Speed of the off-road leg between the point and its snapped position.
  /// DEFAULT: 5 km/h (a walking pace; an assumption, see docs/roads.md).
  double walk_speed_kmh = 5.0;
  /// Worker threads (0 = all hardware threads). Results do not depend on it.
  /// DEFAULT: 0.
  int threads = 0;
};

/// One row per input point (same order). A point with NaN coordinates, or an empty index,
/// gives edge = -1, NaN position/distance and beyond_max = 1.
struct SnapResult {
  /// Index of the nearest line (edge) in the indexed GeometryArray; -1 when none.
  std::vector<std::int64_t> edge;
  /// Position of the snapped point along the edge, as a fraction of its length in [0, 1]
  /// (0 = first vertex). A zero-length edge gives 0.
  std::vector<double> fraction;
  /// Snapped point (in the coordinates of the lines, metres for a metric CRS).
  std::vector<double> x, y;
  /// Straight-line distance from the point to the snapped point (the off-road leg), metres.
  std::vector<double> distance_m;
  /// distance_m / walk speed, seconds.
  std::vector<double> walk_time_s;
  /// 1 when the point is farther than max_snap_m from every edge (or has no edge), else 0.
  std::vector<std::uint8_t> beyond_max;

  std::size_t size() const noexcept { return edge.size(); }
};

/// A spatial index (uniform grid of about one segment box per cell) over the segments of
/// line geometries, for nearest-edge queries; built in O(segments), exact (same result as
/// snap_brute_force, bit for bit). Ties (equal distance, e.g. at a shared node) go to the lowest edge index, then the
/// lowest segment, so the result never depends on the tree layout or thread count.
class SegmentIndex {
 public:
  /// Indexes every segment of every line geometry g of `lines` (kind Line) with
  /// include[g] != 0 (all when `include` is empty). Throws InvalidInputError when `lines`
  /// is not a line array or `include` has the wrong size.
  explicit SegmentIndex(const GeometryArray& lines, std::span<const std::uint8_t> include = {});
  ~SegmentIndex();
  SegmentIndex(SegmentIndex&&) noexcept;
  SegmentIndex& operator=(SegmentIndex&&) noexcept;

  /// Number of indexed segments.
  std::size_t segment_count() const noexcept;

  /// Snaps each point (x[i], y[i]) to the nearest indexed edge. Throws InvalidInputError
  /// when x and y differ in length or the options are not positive, CancelledError when
  /// the monitor cancels.
  SnapResult snap(std::span<const double> x, std::span<const double> y, const SnapOptions& options = {},
                  Monitor& monitor = null_monitor()) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Reference implementation of SegmentIndex::snap: a loop over every segment of every
/// included line for every point (O(points × segments)); for tests.
SnapResult snap_brute_force(const GeometryArray& lines, std::span<const double> x, std::span<const double> y,
                            const SnapOptions& options = {}, std::span<const std::uint8_t> include = {});

/// Whether a snapped point is where trips start or where they end.
enum class SnapDirection : std::uint8_t {
  /// The point is an origin: travel from the point to the nodes of its edge.
  FromPoint = 0,
  /// The point is a destination: travel from the nodes of its edge to the point.
  ToPoint = 1,
};

/// Node entries of snapped points for a multi-source Dijkstra, as flat parallel arrays
/// (one or two rows per point; points flagged beyond_max or with edge -1 get none).
/// For a point at fraction t on edge e = (u → v) with travel time T_e, off-road walking time
/// w and reverse edge r = twin[e] (v → u, -1 when e is one-way):
///   FromPoint: (v, w + (1 − t)·T_e) and, if r ≥ 0, (u, w + t·T_r);
///   ToPoint:   (u, t·T_e + w)       and, if r ≥ 0, (v, (1 − t)·T_r + w).
struct SnapEntries {
  std::vector<std::int64_t> point;  ///< index of the snapped point
  std::vector<std::int64_t> node;   ///< network node
  std::vector<double> offset_s;     ///< time between the point and the node, seconds
};

/// Builds SnapEntries from a SnapResult over a directed edge list. Throws InvalidInputError
/// when the edge arrays differ in length or a snapped edge id is out of range.
SnapEntries snap_entries(const SnapResult& snapped, std::span<const std::int64_t> edge_from,
                         std::span<const std::int64_t> edge_to, std::span<const double> edge_time_s,
                         std::span<const std::int64_t> edge_twin, SnapDirection direction);

/// The same from the columns of a snap result that it reads (edge, fraction, walk_time_s,
/// beyond_max; equal lengths, else InvalidInputError), e.g. numpy arrays viewed without a copy.
SnapEntries snap_entries(std::span<const std::int64_t> edge, std::span<const double> fraction,
                         std::span<const double> walk_time_s, std::span<const std::uint8_t> beyond_max,
                         std::span<const std::int64_t> edge_from, std::span<const std::int64_t> edge_to,
                         std::span<const double> edge_time_s, std::span<const std::int64_t> edge_twin,
                         SnapDirection direction);

}  // namespace jangkau
