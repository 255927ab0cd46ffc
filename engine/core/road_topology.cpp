#include "road_topology.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include "error.hpp"
#include "snapping.hpp"

namespace jangkau {

namespace detail {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BBox = bg::model::box<BPoint>;

// Exact coordinate key (bit patterns; -0.0 folded into +0.0 so the key follows ==).
struct CoordKey {
  std::uint64_t a, b;
  bool operator==(const CoordKey&) const = default;
};
struct CoordKeyHash {
  std::size_t operator()(const CoordKey& k) const noexcept {
    std::uint64_t h = k.a * 0x9E3779B97F4A7C15ull;
    h ^= (k.b + 0x7F4A7C159E3779B9ull + (h << 6) + (h >> 2));
    return static_cast<std::size_t>(h * 0xBF58476D1CE4E5B9ull);
  }
};
inline CoordKey coord_key(double x, double y) {
  return CoordKey{std::bit_cast<std::uint64_t>(x + 0.0), std::bit_cast<std::uint64_t>(y + 0.0)};
}

// Closest point on segment (a, b) to p (core/snapping's formula); returns the distance.
inline double project(double px, double py, double ax, double ay, double bx, double by, double& u, double& qx,
                      double& qy) {
  closest_point_on_segment(px, py, ax, ay, bx, by, u, qx, qy);
  return std::hypot(px - qx, py - qy);
}

inline double orient(double ax, double ay, double bx, double by, double cx, double cy) {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

// Segment boxes of all polylines (expanded by `margin`), for candidate searches.
using SegValue = std::pair<BBox, std::pair<std::uint32_t, std::uint32_t>>;  // (poly, segment)
bgi::rtree<SegValue, bgi::rstar<16>> segment_tree(const std::vector<RoadPolyline>& polys, double margin) {
  std::vector<SegValue> values;
  for (std::size_t k = 0; k < polys.size(); ++k) {
    const auto& p = polys[k];
    for (std::size_t s = 0; s + 1 < p.x.size(); ++s) {
      BBox b(BPoint(std::min(p.x[s], p.x[s + 1]) - margin, std::min(p.y[s], p.y[s + 1]) - margin),
             BPoint(std::max(p.x[s], p.x[s + 1]) + margin, std::max(p.y[s], p.y[s + 1]) + margin));
      values.emplace_back(b, std::make_pair(static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(s)));
    }
  }
  return bgi::rtree<SegValue, bgi::rstar<16>>(values.begin(), values.end());
}

struct Split {
  std::uint32_t poly, seg;
  double u, x, y;
};

[[noreturn]] void bad_line(const RoadLineAttributes& a, std::size_t i, const std::string& message,
                           const char* field) {
  const auto id = a.feature.empty() ? static_cast<std::int64_t>(i) : a.feature[i];
  throw InvalidInputError(message, {"", id, field});
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Join log and polylines

void JoinLog::add(JoinKind kind, double x, double y, double distance_m, std::int64_t line_a, std::int64_t line_b) {
  if (!m_seen.emplace(static_cast<int>(kind), x, y, line_a, line_b).second) return;
  m_report.kind.push_back(kind);
  m_report.x.push_back(x);
  m_report.y.push_back(y);
  m_report.distance_m.push_back(distance_m);
  m_report.line_a.push_back(line_a);
  m_report.line_b.push_back(line_b);
}

JoinReport JoinLog::take() {
  JoinReport out = std::move(m_report);
  m_report = {};
  m_seen.clear();
  return out;
}

void drop_repeated_vertices(RoadPolyline& p) {
  std::size_t w = 0;
  for (std::size_t r = 0; r < p.x.size(); ++r) {
    if (w > 0 && p.x[r] == p.x[w - 1] && p.y[r] == p.y[w - 1]) continue;
    p.x[w] = p.x[r];
    p.y[w] = p.y[r];
    ++w;
  }
  p.x.resize(w);
  p.y.resize(w);
}

// ---------------------------------------------------------------------------------------
// Joining steps

std::vector<std::int64_t> merge_endpoints(std::vector<RoadPolyline>& polys, double tol, JoinLog& log) {
  using detail::BBox;
  using detail::BPoint;
  namespace bgi = detail::bgi;
  const std::size_t n = 2 * polys.size();
  auto px = [&](std::size_t e) { return e % 2 == 0 ? polys[e / 2].x.front() : polys[e / 2].x.back(); };
  auto py = [&](std::size_t e) { return e % 2 == 0 ? polys[e / 2].y.front() : polys[e / 2].y.back(); };
  std::vector<std::pair<BPoint, std::size_t>> values;
  values.reserve(n);
  for (std::size_t e = 0; e < n; ++e) values.emplace_back(BPoint(px(e), py(e)), e);
  bgi::rtree<std::pair<BPoint, std::size_t>, bgi::rstar<16>> tree(values.begin(), values.end());

  std::vector<std::int64_t> centre(n, -1), size(n, 1);
  std::vector<std::pair<BPoint, std::size_t>> hits;
  std::vector<std::size_t> members, lines_used;
  for (std::size_t e = 0; e < n; ++e) {
    if (centre[e] >= 0) continue;
    centre[e] = static_cast<std::int64_t>(e);
    const double cx = values[e].first.get<0>(), cy = values[e].first.get<1>();
    hits.clear();
    tree.query(bgi::intersects(BBox(BPoint(cx - tol, cy - tol), BPoint(cx + tol, cy + tol))),
               std::back_inserter(hits));
    std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    members.assign(1, e);
    lines_used.assign(1, e / 2);
    for (const auto& [pt, c] : hits) {
      if (centre[c] >= 0) continue;
      const double d = std::hypot(pt.get<0>() - cx, pt.get<1>() - cy);
      if (d > tol) continue;
      if (d > 0.0 && std::find(lines_used.begin(), lines_used.end(), c / 2) != lines_used.end()) continue;
      lines_used.push_back(c / 2);
      centre[c] = static_cast<std::int64_t>(e);
      members.push_back(c);
    }
    for (std::size_t m : members) size[m] = static_cast<std::int64_t>(members.size());
    for (std::size_t k = 1; k < members.size(); ++k) {
      const std::size_t m = members[k];
      auto& p = polys[m / 2];
      const double d = std::hypot(px(m) - cx, py(m) - cy);
      if (d == 0.0) continue;
      if (m % 2 == 0) {
        p.x.front() = cx, p.y.front() = cy;
      } else {
        p.x.back() = cx, p.y.back() = cy;
      }
      log.add(JoinKind::EndpointToEndpoint, cx, cy, d, polys[m / 2].line, polys[e / 2].line);
    }
  }
  return size;
}

void snap_dangles(std::vector<RoadPolyline>& polys, std::span<const std::int64_t> cluster_size, double tol,
                  JoinLog& log) {
  namespace bgi = detail::bgi;
  if (cluster_size.size() != 2 * polys.size())
    throw InvalidInputError("snap_dangles needs one cluster size per endpoint", {"", -1, "cluster_size"});
  const auto tree = detail::segment_tree(polys, 2.0 * tol);
  std::vector<detail::SegValue> hits;
  std::vector<std::uint32_t> candidates;
  for (std::size_t e = 0; e < cluster_size.size(); ++e) {
    if (cluster_size[e] > 1) continue;
    const std::size_t k = e / 2;
    const bool at_end = e % 2 == 1;
    const double ex = at_end ? polys[k].x.back() : polys[k].x.front();
    const double ey = at_end ? polys[k].y.back() : polys[k].y.front();
    hits.clear();
    tree.query(bgi::intersects(detail::BPoint(ex, ey)), std::back_inserter(hits));
    candidates.clear();
    for (const auto& h : hits)
      if (h.second.first != k) candidates.push_back(h.second.first);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    double best_d = std::numeric_limits<double>::infinity(), best_u = 0, best_x = 0, best_y = 0;
    std::size_t best_k = 0, best_s = 0;
    for (auto c : candidates) {
      const auto& p = polys[c];
      for (std::size_t s = 0; s + 1 < p.x.size(); ++s) {
        double u, qx, qy;
        const double d = detail::project(ex, ey, p.x[s], p.y[s], p.x[s + 1], p.y[s + 1], u, qx, qy);
        if (d < best_d) best_d = d, best_u = u, best_x = qx, best_y = qy, best_k = c, best_s = s;
      }
    }
    if (!(best_d <= tol)) continue;
    auto& target = polys[best_k];
    if (best_u > 0.0 && best_u < 1.0) {
      target.x.insert(target.x.begin() + static_cast<std::ptrdiff_t>(best_s + 1), best_x);
      target.y.insert(target.y.begin() + static_cast<std::ptrdiff_t>(best_s + 1), best_y);
    } else if (best_d == 0.0) {
      continue;  // already on a vertex of the other line: shared exactly
    }
    auto& p = polys[k];
    if (at_end) {
      p.x.back() = best_x, p.y.back() = best_y;
    } else {
      p.x.front() = best_x, p.y.front() = best_y;
    }
    log.add(JoinKind::EndpointToLine, best_x, best_y, best_d, p.line, target.line);
  }
}

void node_lines(std::vector<RoadPolyline>& polys, std::span<const std::uint8_t> separated, double eps, JoinLog& log,
                Monitor& monitor) {
  using detail::BBox;
  using detail::BPoint;
  namespace bgi = detail::bgi;
  if (separated.size() != polys.size())
    throw InvalidInputError("node_lines needs one separated flag per polyline", {"", -1, "separated"});
  const auto tree = detail::segment_tree(polys, eps);
  std::vector<detail::Split> splits;
  std::vector<detail::SegValue> hits;
  for (std::uint32_t k = 0; k < polys.size(); ++k) {
    if (k % 1024 == 0) monitor.report("splitting crossings", k, polys.size());
    const auto& p = polys[k];
    if (separated[k]) continue;
    for (std::uint32_t s = 0; s + 1 < p.x.size(); ++s) {
      hits.clear();
      BBox box(BPoint(std::min(p.x[s], p.x[s + 1]) - eps, std::min(p.y[s], p.y[s + 1]) - eps),
               BPoint(std::max(p.x[s], p.x[s + 1]) + eps, std::max(p.y[s], p.y[s + 1]) + eps));
      tree.query(bgi::intersects(box), std::back_inserter(hits));
      std::sort(hits.begin(), hits.end(),
                [](const detail::SegValue& a, const detail::SegValue& b) { return a.second < b.second; });
      for (const auto& h : hits) {
        const auto [k2, s2] = h.second;
        if (std::make_pair(k2, s2) <= std::make_pair(k, s) || separated[k2]) continue;
        const auto& q = polys[k2];
        if (k2 == k) {
          const auto last = static_cast<std::uint32_t>(p.x.size() - 2);
          if (s2 == s + 1 || (p.closed() && s == 0 && s2 == last)) continue;  // neighbours share a vertex
        }
        const double ax = p.x[s], ay = p.y[s], bx = p.x[s + 1], by = p.y[s + 1];
        const double cx = q.x[s2], cy = q.y[s2], dx = q.x[s2 + 1], dy = q.y[s2 + 1];
        bool touched = false;
        // A vertex of one segment on the other: split the other there (exact vertex copy).
        auto touch = [&](double vx, double vy, std::uint32_t tk, std::uint32_t ts, double sx0, double sy0, double sx1,
                         double sy1, std::int64_t by_line) {
          double u, qx, qy;
          const double d = detail::project(vx, vy, sx0, sy0, sx1, sy1, u, qx, qy);
          if (d > eps) return;
          touched = true;
          if (std::hypot(vx - sx0, vy - sy0) <= eps || std::hypot(vx - sx1, vy - sy1) <= eps) return;
          splits.push_back(detail::Split{tk, ts, u, vx, vy});
          log.add(JoinKind::Touch, vx, vy, 0.0, polys[tk].line, by_line);
        };
        touch(ax, ay, k2, s2, cx, cy, dx, dy, p.line);
        touch(bx, by, k2, s2, cx, cy, dx, dy, p.line);
        touch(cx, cy, k, s, ax, ay, bx, by, q.line);
        touch(dx, dy, k, s, ax, ay, bx, by, q.line);
        if (touched) continue;
        const double o1 = detail::orient(ax, ay, bx, by, cx, cy), o2 = detail::orient(ax, ay, bx, by, dx, dy);
        const double o3 = detail::orient(cx, cy, dx, dy, ax, ay), o4 = detail::orient(cx, cy, dx, dy, bx, by);
        if (!((o1 < 0 && o2 > 0) || (o1 > 0 && o2 < 0)) || !((o3 < 0 && o4 > 0) || (o3 > 0 && o4 < 0))) continue;
        const double t = o3 / (o3 - o4);  // parameter along (a, b)
        const double u = o1 / (o1 - o2);  // parameter along (c, d)
        const double ix = ax + t * (bx - ax), iy = ay + t * (by - ay);
        splits.push_back(detail::Split{k, s, t, ix, iy});
        splits.push_back(detail::Split{k2, s2, u, ix, iy});
        log.add(JoinKind::Crossing, ix, iy, 0.0, p.line, q.line);
      }
    }
  }
  std::sort(splits.begin(), splits.end(), [](const detail::Split& a, const detail::Split& b) {
    return std::tie(a.poly, a.seg, a.u, a.x, a.y) < std::tie(b.poly, b.seg, b.u, b.x, b.y);
  });
  std::size_t i = 0;
  while (i < splits.size()) {
    const auto k = splits[i].poly;
    auto& p = polys[k];
    RoadPolyline rebuilt;
    rebuilt.line = p.line;
    for (std::uint32_t s = 0; s < p.x.size(); ++s) {
      rebuilt.x.push_back(p.x[s]);
      rebuilt.y.push_back(p.y[s]);
      while (i < splits.size() && splits[i].poly == k && splits[i].seg == s) {
        rebuilt.x.push_back(splits[i].x);
        rebuilt.y.push_back(splits[i].y);
        ++i;
      }
    }
    drop_repeated_vertices(rebuilt);
    p = std::move(rebuilt);
  }
}

void merge_close_vertices(std::vector<RoadPolyline>& polys, double eps) {
  if (!(eps > 0.0)) throw InvalidInputError("merge_close_vertices needs eps > 0", {"", -1, "node_tolerance_m"});
  struct CellHash {
    std::size_t operator()(const std::pair<std::int64_t, std::int64_t>& c) const noexcept {
      return std::hash<std::int64_t>()(c.first * 0x9E3779B1 + c.second);
    }
  };
  std::unordered_map<std::pair<std::int64_t, std::int64_t>, std::vector<std::size_t>, CellHash> grid;
  std::unordered_map<detail::CoordKey, std::size_t, detail::CoordKeyHash> seen;
  std::vector<double> rx, ry;
  for (auto& p : polys) {
    for (std::size_t v = 0; v < p.x.size(); ++v) {
      const detail::CoordKey key = detail::coord_key(p.x[v], p.y[v]);
      auto it = seen.find(key);
      std::size_t rep;
      if (it != seen.end()) {
        rep = it->second;
      } else {
        const auto cx = static_cast<std::int64_t>(std::floor(p.x[v] / eps));
        const auto cy = static_cast<std::int64_t>(std::floor(p.y[v] / eps));
        rep = std::numeric_limits<std::size_t>::max();
        for (std::int64_t i = -1; i <= 1; ++i)
          for (std::int64_t j = -1; j <= 1; ++j) {
            auto g = grid.find({cx + i, cy + j});
            if (g == grid.end()) continue;
            for (auto r : g->second)
              if (r < rep && std::hypot(rx[r] - p.x[v], ry[r] - p.y[v]) <= eps) rep = r;
          }
        if (rep == std::numeric_limits<std::size_t>::max()) {
          rep = rx.size();
          rx.push_back(p.x[v]);
          ry.push_back(p.y[v]);
          grid[{cx, cy}].push_back(rep);
        }
        seen.emplace(key, rep);
      }
      p.x[v] = rx[rep];
      p.y[v] = ry[rep];
    }
    drop_repeated_vertices(p);
  }
}

// ---------------------------------------------------------------------------------------
// The road graph

void RoadGraph::build_graphs() {
  const std::vector<std::span<const double>> weights{edge_time_s, edge_length_m};
  graph = Graph::from_edges(node_count(), edge_from, edge_to, weights);
  reversed_graph = Graph::from_edges(node_count(), edge_to, edge_from, weights);
}

RoadTopology build_road_topology(const GeometryArray& lines, const RoadLineAttributes& a,
                                 const TopologyOptions& options, Monitor& monitor) {
  if (!(options.snap_tolerance_m >= 0.0) || !(options.node_tolerance_m >= 0.0))
    throw InvalidInputError("tolerances must be >= 0");
  const std::size_t n = lines.size();
  if (a.road_class.size() != n || a.speed_kmh.size() != n || a.oneway.size() != n ||
      (!a.feature.empty() && a.feature.size() != n))
    throw InvalidInputError("line attributes differ in length from the lines");
  if (n > 0 && lines.kind != GeometryKind::Line) throw GeometryError("road lines must be lines");
  for (std::size_t i = 0; i < n; ++i) {
    if (a.road_class[i] < 0) detail::bad_line(a, i, "class code must be >= 0", "road_class");
    if (!(a.speed_kmh[i] > 0.0) || !std::isfinite(a.speed_kmh[i]))
      detail::bad_line(a, i, "speed must be a positive number", "speed_kmh");
  }

  // Parts of lines as editable polylines.
  std::vector<RoadPolyline> polys;
  const auto& g = lines;
  for (std::size_t i = 0; i < n; ++i) {
    for (auto p = g.geom_offsets[i]; p < g.geom_offsets[i + 1]; ++p) {
      for (auto r = g.part_offsets[p]; r < g.part_offsets[p + 1]; ++r) {
        RoadPolyline pl;
        pl.line = static_cast<std::int64_t>(i);
        for (auto c = g.ring_offsets[r]; c < g.ring_offsets[r + 1]; ++c) {
          if (!std::isfinite(g.x[c]) || !std::isfinite(g.y[c]))
            throw GeometryError("non-finite coordinate",
                                {"", a.feature.empty() ? static_cast<std::int64_t>(i) : a.feature[i], "geometry"});
          pl.x.push_back(g.x[c]);
          pl.y.push_back(g.y[c]);
        }
        drop_repeated_vertices(pl);
        if (pl.x.size() >= 2) polys.push_back(std::move(pl));
      }
    }
  }
  RoadTopology out;
  // Lines with no part of two distinct vertices carry no road: listed, not silently dropped.
  std::vector<std::uint8_t> has_part(n, 0);
  for (const auto& p : polys) has_part[static_cast<std::size_t>(p.line)] = 1;
  for (std::size_t i = 0; i < n; ++i)
    if (!has_part[i]) out.zero_length_line.push_back(static_cast<std::int64_t>(i));
  monitor.report("reading lines", 1, 4);

  JoinLog log;
  if (options.snap_tolerance_m > 0.0 && !polys.empty()) {
    const auto sizes = merge_endpoints(polys, options.snap_tolerance_m, log);
    snap_dangles(polys, sizes, options.snap_tolerance_m, log);
    for (auto& p : polys) drop_repeated_vertices(p);
  }
  monitor.report("snapping endpoints", 2, 4);
  if (options.split_crossings && !polys.empty()) {
    std::vector<std::uint8_t> separated(polys.size(), 0);
    for (std::size_t k = 0; k < polys.size(); ++k)
      for (auto c : options.grade_separated_classes)
        if (a.road_class[static_cast<std::size_t>(polys[k].line)] == c) separated[k] = 1;
    node_lines(polys, separated, options.node_tolerance_m, log, monitor);
  }
  if (options.node_tolerance_m > 0.0) merge_close_vertices(polys, options.node_tolerance_m);
  polys.erase(std::remove_if(polys.begin(), polys.end(), [](const RoadPolyline& p) { return p.x.size() < 2; }),
              polys.end());
  {  // lines that had a part before joining and none after it: merged into a point
    std::vector<std::uint8_t> kept(n, 0);
    for (const auto& p : polys) kept[static_cast<std::size_t>(p.line)] = 1;
    for (std::size_t i = 0; i < n; ++i)
      if (has_part[i] && !kept[i]) out.collapsed_line.push_back(static_cast<std::int64_t>(i));
  }
  monitor.report("splitting crossings", 3, 4);

  // Nodes: line endpoints and vertices used twice or more.
  std::unordered_map<detail::CoordKey, std::int64_t, detail::CoordKeyHash> uses;
  for (const auto& p : polys)
    for (std::size_t v = 0; v < p.x.size(); ++v) {
      // A closed line visits its first vertex twice; count it once so an isolated ring
      // stays one self-loop piece.
      if (v + 1 == p.x.size() && p.closed()) continue;
      ++uses[detail::coord_key(p.x[v], p.y[v])];
    }
  RoadGraph& net = out.network;
  net.edge_geometry.kind = GeometryKind::Line;
  std::unordered_map<detail::CoordKey, std::int64_t, detail::CoordKeyHash> node_id;
  auto node_of = [&](double x, double y) {
    auto [it, inserted] = node_id.emplace(detail::coord_key(x, y), static_cast<std::int64_t>(net.node_x.size()));
    if (inserted) {
      net.node_x.push_back(x);
      net.node_y.push_back(y);
    }
    return it->second;
  };
  std::int64_t piece = 0;
  auto emit = [&](const RoadPolyline& p, std::size_t v0, std::size_t v1) {
    const auto li = static_cast<std::size_t>(p.line);
    const std::int64_t from = node_of(p.x[v0], p.y[v0]);
    const std::int64_t to = node_of(p.x[v1], p.y[v1]);
    double length = 0.0;
    for (std::size_t v = v0; v < v1; ++v) length += std::hypot(p.x[v + 1] - p.x[v], p.y[v + 1] - p.y[v]);
    const double speed = a.speed_kmh[li];
    auto push = [&](std::int64_t tail, std::int64_t head, bool reversed) {
      net.edge_from.push_back(tail);
      net.edge_to.push_back(head);
      net.edge_twin.push_back(-1);
      net.edge_piece.push_back(piece);
      net.edge_length_m.push_back(length);
      net.edge_speed_kmh.push_back(speed);
      net.edge_time_s.push_back(length / (speed / 3.6));
      net.edge_class.push_back(a.road_class[li]);
      net.edge_line.push_back(p.line);
      if (!reversed) {
        for (std::size_t v = v0; v <= v1; ++v) net.edge_geometry.push_coordinate(p.x[v], p.y[v]);
      } else {
        for (std::size_t v = v1 + 1; v-- > v0;) net.edge_geometry.push_coordinate(p.x[v], p.y[v]);
      }
      net.edge_geometry.end_ring();
      net.edge_geometry.end_part();
      net.edge_geometry.end_geometry();
    };
    switch (a.oneway[li]) {
      case Oneway::Forward:
        push(from, to, false);
        break;
      case Oneway::Backward:
        push(to, from, true);
        break;
      case Oneway::No: {
        const auto e = static_cast<std::int64_t>(net.edge_from.size());
        push(from, to, false);
        push(to, from, true);
        net.edge_twin[static_cast<std::size_t>(e)] = e + 1;
        net.edge_twin[static_cast<std::size_t>(e) + 1] = e;
        break;
      }
    }
    ++piece;
  };
  struct PieceRef {
    std::size_t poly, v0, v1;
  };
  std::vector<PieceRef> pieces;
  for (std::size_t k = 0; k < polys.size(); ++k) {
    const auto& p = polys[k];
    std::size_t start = 0;
    for (std::size_t v = 1; v < p.x.size(); ++v) {
      const bool is_node = v + 1 == p.x.size() || uses[detail::coord_key(p.x[v], p.y[v])] >= 2;
      if (!is_node) continue;
      pieces.push_back({k, start, v});
      start = v;
    }
  }
  std::vector<std::uint8_t> dropped(pieces.size(), 0);
  if (options.drop_duplicates) {
    // Two-way pieces with the same vertex sequence (either direction) are one road drawn
    // twice (overlapping layers); keep the faster copy, else the first.
    std::map<std::vector<std::pair<std::uint64_t, std::uint64_t>>, std::size_t> seen;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const auto& pr = pieces[i];
      const auto& p = polys[pr.poly];
      if (a.oneway[static_cast<std::size_t>(p.line)] != Oneway::No) continue;
      std::vector<std::pair<std::uint64_t, std::uint64_t>> fwd, rev;
      for (std::size_t v = pr.v0; v <= pr.v1; ++v) {
        const auto k = detail::coord_key(p.x[v], p.y[v]);
        fwd.emplace_back(k.a, k.b);
      }
      rev.assign(fwd.rbegin(), fwd.rend());
      auto [it, inserted] = seen.emplace(std::min(fwd, rev), i);
      if (inserted) continue;
      const std::size_t j = it->second;
      const auto line_i = p.line, line_j = polys[pieces[j].poly].line;
      std::size_t drop = i, keep = j;
      if (a.speed_kmh[static_cast<std::size_t>(line_i)] > a.speed_kmh[static_cast<std::size_t>(line_j)])
        drop = j, keep = i, it->second = i;
      dropped[drop] = 1;
      const auto& d = polys[pieces[drop].poly];
      log.add(JoinKind::Duplicate, d.x[pieces[drop].v0], d.y[pieces[drop].v0], 0.0, d.line,
              polys[pieces[keep].poly].line);
    }
  }
  for (std::size_t i = 0; i < pieces.size(); ++i)
    if (!dropped[i]) emit(polys[pieces[i].poly], pieces[i].v0, pieces[i].v1);
  net.joins = log.take();
  net.build_graphs();
  return out;
}

// ---------------------------------------------------------------------------------------
// Components and sub-graphs

namespace {

RoadComponents components_of(const Graph& graph) {
  RoadComponents out;
  out.labels = weak_components(graph);
  for (auto l : out.labels) {
    if (static_cast<std::size_t>(l) >= out.sizes.size()) out.sizes.resize(static_cast<std::size_t>(l) + 1, 0);
    ++out.sizes[static_cast<std::size_t>(l)];
  }
  return out;
}

void check_graphs(const RoadGraph& net) {
  if (net.graph.node_count() != net.node_count() || net.graph.edge_count() != net.edge_count() ||
      net.reversed_graph.edge_count() != net.edge_count())
    throw InvalidInputError("the road graph's CSR graphs are out of date (call build_graphs)");
}

}  // namespace

RoadComponents road_components(const RoadGraph& net) {
  check_graphs(net);
  return components_of(net.graph);
}

RoadComponents road_components(std::size_t node_count, std::span<const std::int64_t> edge_from,
                               std::span<const std::int64_t> edge_to) {
  if (edge_from.size() != edge_to.size()) throw InvalidInputError("edge_from and edge_to differ in length");
  const std::vector<double> zero(edge_from.size(), 0.0);
  return components_of(Graph::from_edges(node_count, edge_from, edge_to, {std::span<const double>(zero)}));
}

RoadGraph road_subgraph(const RoadGraph& net, std::span<const std::uint8_t> keep_node) {
  if (keep_node.size() != net.node_count())
    throw InvalidInputError("keep_node has " + std::to_string(keep_node.size()) + " entries for " +
                            std::to_string(net.node_count()) + " nodes");
  RoadGraph out;
  out.joins = net.joins;
  out.edge_geometry.kind = GeometryKind::Line;
  std::vector<std::int64_t> new_node(net.node_count(), -1);
  for (std::size_t v = 0; v < net.node_count(); ++v) {
    if (!keep_node[v]) continue;
    new_node[v] = static_cast<std::int64_t>(out.node_x.size());
    out.node_x.push_back(net.node_x[v]);
    out.node_y.push_back(net.node_y[v]);
  }
  std::vector<std::int64_t> new_edge(net.edge_count(), -1);
  std::unordered_map<std::int64_t, std::int64_t> new_piece;
  for (std::size_t e = 0; e < net.edge_count(); ++e) {
    const auto a = new_node[static_cast<std::size_t>(net.edge_from[e])];
    const auto b = new_node[static_cast<std::size_t>(net.edge_to[e])];
    if (a < 0 || b < 0) continue;
    new_edge[e] = static_cast<std::int64_t>(out.edge_from.size());
    out.edge_from.push_back(a);
    out.edge_to.push_back(b);
    out.edge_twin.push_back(net.edge_twin[e]);
    auto [it, inserted] = new_piece.emplace(net.edge_piece[e], static_cast<std::int64_t>(new_piece.size()));
    out.edge_piece.push_back(it->second);
    out.edge_length_m.push_back(net.edge_length_m[e]);
    out.edge_speed_kmh.push_back(net.edge_speed_kmh[e]);
    out.edge_time_s.push_back(net.edge_time_s[e]);
    out.edge_class.push_back(net.edge_class[e]);
    out.edge_line.push_back(net.edge_line[e]);
    out.edge_geometry.append_from(net.edge_geometry, e);
  }
  for (auto& t : out.edge_twin)
    if (t >= 0) t = new_edge[static_cast<std::size_t>(t)];
  out.build_graphs();
  return out;
}

std::vector<std::uint8_t> largest_component_mask(const RoadGraph& net) {
  const auto c = road_components(net);
  std::vector<std::uint8_t> keep(net.node_count(), 0);
  for (std::size_t v = 0; v < keep.size(); ++v) keep[v] = c.labels[v] == 0 ? 1 : 0;
  return keep;
}

}  // namespace jangkau
