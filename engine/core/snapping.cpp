#include "snapping.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include "error.hpp"
#include "parallel.hpp"

namespace jangkau {

namespace detail {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BSegment = bg::model::segment<BPoint>;
using SegmentValue = std::pair<BSegment, std::uint32_t>;  // segment, index into the segment table

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The flat table of indexed segments: the owning edge, the first coordinate index and the
// length of the edge before this segment (for the fraction along the edge).
struct SegmentTable {
  std::vector<std::int64_t> edge;
  std::vector<std::int64_t> first;  // coordinate index of the segment start
  std::vector<double> before_m;
  std::vector<double> edge_length;  // per edge of `lines`
  const GeometryArray* lines = nullptr;
};

void check_lines(const GeometryArray& lines, std::span<const std::uint8_t> include) {
  if (lines.kind != GeometryKind::Line) throw InvalidInputError("snapping needs a line geometry array");
  if (!include.empty() && include.size() != lines.size())
    throw InvalidInputError("include mask has " + std::to_string(include.size()) + " entries for " +
                            std::to_string(lines.size()) + " lines");
}

SegmentTable build_table(const GeometryArray& lines, std::span<const std::uint8_t> include) {
  SegmentTable t;
  t.lines = &lines;
  t.edge_length.assign(lines.size(), 0.0);
  for (std::size_t g = 0; g < lines.size(); ++g) {
    double before = 0.0;
    for (auto p = lines.geom_offsets[g]; p < lines.geom_offsets[g + 1]; ++p) {
      for (auto r = lines.part_offsets[p]; r < lines.part_offsets[p + 1]; ++r) {
        for (auto c = lines.ring_offsets[r]; c + 1 < lines.ring_offsets[r + 1]; ++c) {
          const double len = std::hypot(lines.x[c + 1] - lines.x[c], lines.y[c + 1] - lines.y[c]);
          if (include.empty() || include[g] != 0) {
            t.edge.push_back(static_cast<std::int64_t>(g));
            t.first.push_back(c);
            t.before_m.push_back(before);
          }
          before += len;
        }
      }
    }
    t.edge_length[g] = before;
  }
  return t;
}

// Distance from (px, py) to segment s of the table; writes the clamped parameter and the
// closest point. Both SegmentIndex and the brute force use this one formula, so they agree
// to the last bit.
double point_segment(const SegmentTable& t, std::size_t s, double px, double py, double& u, double& qx,
                     double& qy) {
  const auto c = t.first[s];
  const double ax = t.lines->x[c], ay = t.lines->y[c];
  const double dx = t.lines->x[c + 1] - ax, dy = t.lines->y[c + 1] - ay;
  const double l2 = dx * dx + dy * dy;
  u = 0.0;
  if (l2 > 0.0) u = std::clamp(((px - ax) * dx + (py - ay) * dy) / l2, 0.0, 1.0);
  qx = ax + u * dx;
  qy = ay + u * dy;
  if (u == 1.0) {  // land exactly on the vertex, not a rounding away from it
    qx = t.lines->x[c + 1];
    qy = t.lines->y[c + 1];
  }
  return std::hypot(px - qx, py - qy);
}

struct Best {
  double d = std::numeric_limits<double>::infinity();
  std::size_t s = std::numeric_limits<std::size_t>::max();
  double u = 0.0, qx = kNaN, qy = kNaN;
};

// Candidate s replaces the best when strictly nearer, or equally near with a lower
// (edge, segment) — segment indices grow with edge indices, so comparing s suffices.
void consider(const SegmentTable& t, std::size_t s, double px, double py, Best& best) {
  double u, qx, qy;
  const double d = point_segment(t, s, px, py, u, qx, qy);
  if (d < best.d || (d == best.d && s < best.s)) best = Best{d, s, u, qx, qy};
}

SnapResult make_result(std::size_t n) {
  SnapResult r;
  r.edge.assign(n, -1);
  r.fraction.assign(n, kNaN);
  r.x.assign(n, kNaN);
  r.y.assign(n, kNaN);
  r.distance_m.assign(n, kNaN);
  r.walk_time_s.assign(n, kNaN);
  r.beyond_max.assign(n, 1);
  return r;
}

void check_snap_input(std::span<const double> x, std::span<const double> y, const SnapOptions& o) {
  if (x.size() != y.size())
    throw InvalidInputError("x has " + std::to_string(x.size()) + " values but y has " + std::to_string(y.size()));
  if (!(o.walk_speed_kmh > 0.0) || !std::isfinite(o.walk_speed_kmh))
    throw InvalidInputError("walk_speed_kmh must be a positive number", ErrorContext{"", -1, "walk_speed_kmh"});
  if (!(o.max_snap_m >= 0.0)) throw InvalidInputError("max_snap_m must be >= 0", ErrorContext{"", -1, "max_snap_m"});
}

void store(const SegmentTable& t, const Best& best, const SnapOptions& o, std::size_t i, SnapResult& r) {
  if (best.s == std::numeric_limits<std::size_t>::max()) return;
  const auto e = t.edge[best.s];
  const auto c = t.first[best.s];
  const double seg = std::hypot(t.lines->x[c + 1] - t.lines->x[c], t.lines->y[c + 1] - t.lines->y[c]);
  const double total = t.edge_length[static_cast<std::size_t>(e)];
  r.edge[i] = e;
  r.fraction[i] = total > 0.0 ? std::clamp((t.before_m[best.s] + best.u * seg) / total, 0.0, 1.0) : 0.0;
  r.x[i] = best.qx;
  r.y[i] = best.qy;
  r.distance_m[i] = best.d;
  r.walk_time_s[i] = best.d / (o.walk_speed_kmh / 3.6);
  r.beyond_max[i] = best.d > o.max_snap_m ? 1 : 0;
}

}  // namespace detail

struct SegmentIndex::Impl {
  detail::SegmentTable table;
  GeometryArray lines;  // own copy: the index must not dangle when the caller's array goes
  detail::bgi::rtree<detail::SegmentValue, detail::bgi::rstar<16>> tree;
};

SegmentIndex::SegmentIndex(const GeometryArray& lines, std::span<const std::uint8_t> include)
    : m_impl(std::make_unique<Impl>()) {
  detail::check_lines(lines, include);
  m_impl->lines = lines;
  m_impl->table = detail::build_table(m_impl->lines, include);
  const auto& t = m_impl->table;
  std::vector<detail::SegmentValue> values;
  values.reserve(t.edge.size());
  for (std::size_t s = 0; s < t.edge.size(); ++s) {
    const auto c = t.first[s];
    values.emplace_back(detail::BSegment({lines.x[c], lines.y[c]}, {lines.x[c + 1], lines.y[c + 1]}),
                        static_cast<std::uint32_t>(s));
  }
  // Bulk loading (packing) is deterministic and gives a better tree than inserts.
  m_impl->tree = decltype(m_impl->tree)(values.begin(), values.end());
}

SegmentIndex::~SegmentIndex() = default;
SegmentIndex::SegmentIndex(SegmentIndex&&) noexcept = default;
SegmentIndex& SegmentIndex::operator=(SegmentIndex&&) noexcept = default;

std::size_t SegmentIndex::segment_count() const noexcept { return m_impl->table.edge.size(); }

SnapResult SegmentIndex::snap(std::span<const double> x, std::span<const double> y, const SnapOptions& options,
                              Monitor& monitor) const {
  detail::check_snap_input(x, y, options);
  const std::size_t n = x.size();
  SnapResult r = detail::make_result(n);
  const auto& t = m_impl->table;
  const auto& tree = m_impl->tree;
  if (t.edge.empty()) return r;
  const std::size_t block = 4096;
  for (std::size_t b0 = 0; b0 < n; b0 += block) {
    const std::size_t b1 = std::min(n, b0 + block);
    parallel_for(b1 - b0, thread_count(options.threads), [&](std::size_t k, unsigned) {
      if (monitor.cancelled()) return;
      const std::size_t i = b0 + k;
      const double px = x[i], py = y[i];
      if (!std::isfinite(px) || !std::isfinite(py)) return;
      detail::Best best;
      // Ask Boost for the k nearest segments, rank them with the exact formula, and widen k
      // while the farthest of the k could still tie with the best (Boost's distances may
      // differ from ours in the last bits), so every exact tie is seen.
      const detail::BPoint p(px, py);
      thread_local std::vector<detail::SegmentValue> hits;  // reused across points
      for (std::size_t k = 8;; k *= 4) {
        hits.clear();
        tree.query(detail::bgi::nearest(p, static_cast<unsigned>(std::min(k, t.edge.size()))),
                   std::back_inserter(hits));
        best = detail::Best{};
        double farthest = 0.0;
        for (const auto& h : hits) {
          detail::consider(t, h.second, px, py, best);
          farthest = std::max(farthest, detail::bg::distance(p, h.first));
        }
        if (hits.size() < k || farthest > best.d * (1.0 + 1e-12) + 1e-9) break;
      }
      detail::store(t, best, options, i, r);
    });
    monitor.report("snapping points", b1, n);
  }
  return r;
}

SnapResult snap_brute_force(const GeometryArray& lines, std::span<const double> x, std::span<const double> y,
                            const SnapOptions& options, std::span<const std::uint8_t> include) {
  detail::check_lines(lines, include);
  detail::check_snap_input(x, y, options);
  const auto t = detail::build_table(lines, include);
  SnapResult r = detail::make_result(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    detail::Best best;
    for (std::size_t s = 0; s < t.edge.size(); ++s) detail::consider(t, s, x[i], y[i], best);
    detail::store(t, best, options, i, r);
  }
  return r;
}

SnapEntries snap_entries(const SnapResult& snapped, std::span<const std::int64_t> edge_from,
                         std::span<const std::int64_t> edge_to, std::span<const double> edge_time_s,
                         std::span<const std::int64_t> edge_twin, SnapDirection direction) {
  const std::size_t m = edge_from.size();
  if (edge_to.size() != m || edge_time_s.size() != m || edge_twin.size() != m)
    throw InvalidInputError("edge_from, edge_to, edge_time_s and edge_twin must have the same length");
  SnapEntries out;
  auto push = [&](std::size_t i, std::int64_t node, double offset) {
    out.point.push_back(static_cast<std::int64_t>(i));
    out.node.push_back(node);
    out.offset_s.push_back(offset);
  };
  for (std::size_t i = 0; i < snapped.size(); ++i) {
    const auto e = snapped.edge[i];
    if (e < 0 || snapped.beyond_max[i] != 0) continue;
    if (static_cast<std::size_t>(e) >= m)
      throw InvalidInputError("snapped edge " + std::to_string(e) + " is not in the edge list of " +
                              std::to_string(m) + " edges", ErrorContext{"", static_cast<std::int64_t>(i), "edge"});
    const auto ue = static_cast<std::size_t>(e);
    const double t = snapped.fraction[i], w = snapped.walk_time_s[i];
    const auto r = edge_twin[ue];
    if (r >= static_cast<std::int64_t>(m))
      throw InvalidInputError("edge_twin refers to a missing edge", ErrorContext{"", static_cast<std::int64_t>(e), "edge_twin"});
    if (direction == SnapDirection::FromPoint) {
      push(i, edge_to[ue], w + (1.0 - t) * edge_time_s[ue]);
      if (r >= 0) push(i, edge_from[ue], w + t * edge_time_s[static_cast<std::size_t>(r)]);
    } else {
      push(i, edge_from[ue], t * edge_time_s[ue] + w);
      if (r >= 0) push(i, edge_to[ue], (1.0 - t) * edge_time_s[static_cast<std::size_t>(r)] + w);
    }
  }
  return out;
}

}  // namespace jangkau
