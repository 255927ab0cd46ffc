#include "snapping.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "error.hpp"
#include "parallel.hpp"

namespace jangkau {

namespace detail {

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
void closest_point(const SegmentTable& t, std::size_t s, double px, double py, double& u, double& qx, double& qy) {
  const auto c = t.first[s];
  closest_point_on_segment(px, py, t.lines->x[c], t.lines->y[c], t.lines->x[c + 1], t.lines->y[c + 1], u, qx, qy);
}

struct Best {
  double d = std::numeric_limits<double>::infinity();
  std::size_t s = std::numeric_limits<std::size_t>::max();
  double u = 0.0, qx = kNaN, qy = kNaN;
};

// Candidate s replaces the best when strictly nearer, or equally near with a lower
// (edge, segment) — segment indices grow with edge indices, so comparing s suffices.
// The distance is std::hypot of the offset; a candidate whose squared offset exceeds the
// best distance squared by more than rounding could explain is certainly farther and is
// dropped before the (slow) hypot.
void consider(const SegmentTable& t, std::size_t s, double px, double py, Best& best) {
  double u, qx, qy;
  closest_point(t, s, px, py, u, qx, qy);
  const double ex = px - qx, ey = py - qy;
  if (ex * ex + ey * ey > best.d * best.d * (1.0 + 1e-9)) return;
  const double d = std::hypot(ex, ey);
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

// A uniform grid over the indexed segments. Every segment is listed in each cell its
// course crosses (per column of cells, the rows between its clipped ends, with a margin
// far above rounding), so the cell holding a segment's nearest point to any query lists
// it. A query visits rings of cells around the point's cell, nearest ring first, and
// stops once a ring is farther than the best distance found: every segment that could be
// nearer, or exactly as near (ties), has then been seen. Cells are about one average
// segment's bounding box in size, so a query looks at a handful of segments.
struct Grid {
  double x0 = 0, y0 = 0, h = 1;  // origin and cell size
  std::int64_t nx = 0, ny = 0;
  std::vector<std::uint32_t> first;    // CSR over cells (nx * ny + 1)
  std::vector<std::uint32_t> segment;  // segment ids per cell, ascending

  // Cell column / row of a coordinate (clamped far outside the grid, to stay in range).
  std::int64_t col(double x) const { return cell(x - x0); }
  std::int64_t row(double y) const { return cell(y - y0); }
  std::int64_t cell(double d) const { return static_cast<std::int64_t>(std::clamp(std::floor(d / h), -1e15, 1e15)); }
};

Grid build_grid(const SegmentTable& t) {
  Grid g;
  const std::size_t ns = t.edge.size();
  if (ns == 0) return g;
  double xmin = std::numeric_limits<double>::infinity(), ymin = xmin, xmax = -xmin, ymax = -xmin;
  for (std::size_t s = 0; s < ns; ++s) {
    const auto c = t.first[s];
    const double ax = t.lines->x[c], ay = t.lines->y[c], bx = t.lines->x[c + 1], by = t.lines->y[c + 1];
    if (!std::isfinite(ax) || !std::isfinite(ay) || !std::isfinite(bx) || !std::isfinite(by))
      throw InvalidInputError("line coordinates must be finite to snap onto them",
                              ErrorContext{"", t.edge[s], "geometry"});
    xmin = std::min({xmin, ax, bx}), xmax = std::max({xmax, ax, bx});
    ymin = std::min({ymin, ay, by}), ymax = std::max({ymax, ay, by});
  }
  const double w = xmax - xmin, hgt = ymax - ymin;
  // Cell size: about the mean segment box (sides floored at a millionth of the extent, so
  // axis-parallel segments count), but no more than ~8 cells per segment overall.
  const double extent = std::max(w, hgt), side = extent > 0 ? 1e-6 * extent : 1.0;
  double box_area = 0;
  for (std::size_t s = 0; s < ns; ++s) {
    const auto c = t.first[s];
    box_area += std::max(std::fabs(t.lines->x[c + 1] - t.lines->x[c]), side) *
                std::max(std::fabs(t.lines->y[c + 1] - t.lines->y[c]), side);
  }
  double h = std::sqrt(box_area / static_cast<double>(ns));
  h = std::max({h, std::sqrt(std::max(w, side) * std::max(hgt, side) / (8.0 * static_cast<double>(ns) + 16.0)),
                extent / 65536.0, side});
  g.x0 = xmin, g.y0 = ymin, g.h = h;
  g.nx = static_cast<std::int64_t>(std::floor(w / h)) + 1;
  g.ny = static_cast<std::int64_t>(std::floor(hgt / h)) + 1;
  // Cells crossed by each segment, column by column.
  auto cells = [&](std::size_t s, auto&& emit) {
    const auto c = t.first[s];
    const double ax = t.lines->x[c], ay = t.lines->y[c], bx = t.lines->x[c + 1], by = t.lines->y[c + 1];
    const std::int64_t c0 = std::clamp<std::int64_t>(g.col(std::fmin(ax, bx)), 0, g.nx - 1);
    const std::int64_t c1 = std::clamp<std::int64_t>(g.col(std::fmax(ax, bx)), 0, g.nx - 1);
    for (std::int64_t cx = c0; cx <= c1; ++cx) {
      double ylo = std::fmin(ay, by), yhi = std::fmax(ay, by);
      if (c0 != c1) {  // the segment's y over this column's x range
        const double xa = std::max(std::fmin(ax, bx), g.x0 + static_cast<double>(cx) * h);
        const double xb = std::min(std::fmax(ax, bx), g.x0 + static_cast<double>(cx + 1) * h);
        const double ya = ay + (by - ay) * std::clamp((xa - ax) / (bx - ax), 0.0, 1.0);
        const double yb = ay + (by - ay) * std::clamp((xb - ax) / (bx - ax), 0.0, 1.0);
        ylo = std::fmin(ya, yb), yhi = std::fmax(ya, yb);
      }
      // Margin far above the rounding of ylo/yhi (a few ulps of the coordinates).
      const double eps = 1e-9 * (std::fabs(ylo) + std::fabs(yhi) + h);
      const std::int64_t r0 = std::clamp<std::int64_t>(g.row(ylo - eps), 0, g.ny - 1);
      const std::int64_t r1 = std::clamp<std::int64_t>(g.row(yhi + eps), 0, g.ny - 1);
      for (std::int64_t ry = r0; ry <= r1; ++ry) emit(static_cast<std::size_t>(ry * g.nx + cx));
    }
  };
  const auto n_cells = static_cast<std::size_t>(g.nx * g.ny);
  g.first.assign(n_cells + 1, 0);
  for (std::size_t s = 0; s < ns; ++s) cells(s, [&](std::size_t k) { ++g.first[k + 1]; });
  for (std::size_t k = 0; k < n_cells; ++k) g.first[k + 1] += g.first[k];
  if (g.first[n_cells] >= std::numeric_limits<std::uint32_t>::max() / 2)
    throw InvalidInputError("too many line segments to index");
  g.segment.resize(g.first[n_cells]);
  std::vector<std::uint32_t> at(g.first.begin(), g.first.end() - 1);
  for (std::size_t s = 0; s < ns; ++s)
    cells(s, [&](std::size_t k) { g.segment[at[k]++] = static_cast<std::uint32_t>(s); });
  return g;
}

// The nearest segment to (px, py) under consider()'s order (distance, then segment id).
// `seen` (one entry per segment, all != tick) keeps a segment listed in several cells from
// being measured twice.
Best nearest(const SegmentTable& t, const Grid& g, double px, double py, std::vector<std::uint32_t>& seen,
             std::uint32_t tick) {
  Best best;
  const std::int64_t cx = g.col(px), cy = g.row(py);
  // Rings of cells at Chebyshev distance r from (cx, cy); every cell of ring r is at least
  // (r - 1) h from the point. Start at the first ring that meets the grid.
  const std::int64_t r_first = std::max<std::int64_t>({0, -cx, cx - (g.nx - 1), -cy, cy - (g.ny - 1)});
  const std::int64_t r_last = std::max<std::int64_t>({cx, g.nx - 1 - cx, cy, g.ny - 1 - cy});
  // Cells farther than this cannot hold a nearer or tying segment; the slack covers the
  // rounding of cell borders and of the point's own cell (ulps of the coordinates).
  const double slack = 1e-9 + 1e-11 * (std::fabs(px) + std::fabs(py) + std::fabs(g.x0) + std::fabs(g.y0) + g.h);
  auto bound = [&] { return best.d * (1.0 + 1e-12) + slack; };
  auto scan = [&](std::int64_t x, std::int64_t y) {
    const auto k = static_cast<std::size_t>(y * g.nx + x);
    if (g.first[k] == g.first[k + 1]) return;
    // Distance from the point to the cell's rectangle (a lower bound for its segments).
    const double x0 = g.x0 + static_cast<double>(x) * g.h, y0 = g.y0 + static_cast<double>(y) * g.h;
    const double gx = std::max({x0 - px, px - (x0 + g.h), 0.0}), gy = std::max({y0 - py, py - (y0 + g.h), 0.0});
    const double lim = bound();
    if (gx > lim || gy > lim || gx * gx + gy * gy > lim * lim) return;
    for (auto q = g.first[k]; q < g.first[k + 1]; ++q) {
      const std::uint32_t s = g.segment[q];
      if (seen[s] == tick) continue;
      seen[s] = tick;
      consider(t, s, px, py, best);
    }
  };
  for (std::int64_t r = r_first; r <= r_last; ++r) {
    if (static_cast<double>(r - 1) * g.h > bound()) break;
    const std::int64_t xlo = std::max<std::int64_t>(cx - r, 0), xhi = std::min(cx + r, g.nx - 1);
    const std::int64_t ylo = std::max<std::int64_t>(cy - r, 0), yhi = std::min(cy + r, g.ny - 1);
    if (r == 0) {
      scan(cx, cy);
      continue;
    }
    if (cy - r >= 0)
      for (std::int64_t x = xlo; x <= xhi; ++x) scan(x, cy - r);
    if (cy + r < g.ny)
      for (std::int64_t x = xlo; x <= xhi; ++x) scan(x, cy + r);
    const std::int64_t y0 = std::max(ylo, cy - r + 1), y1 = std::min(yhi, cy + r - 1);
    if (cx - r >= 0)
      for (std::int64_t y = y0; y <= y1; ++y) scan(cx - r, y);
    if (cx + r < g.nx)
      for (std::int64_t y = y0; y <= y1; ++y) scan(cx + r, y);
  }
  return best;
}

}  // namespace detail

struct SegmentIndex::Impl {
  detail::SegmentTable table;
  GeometryArray lines;  // own copy: the index must not dangle when the caller's array goes
  detail::Grid grid;
};

SegmentIndex::SegmentIndex(const GeometryArray& lines, std::span<const std::uint8_t> include)
    : m_impl(std::make_unique<Impl>()) {
  detail::check_lines(lines, include);
  m_impl->lines = lines;
  m_impl->table = detail::build_table(m_impl->lines, include);
  m_impl->grid = detail::build_grid(m_impl->table);
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
  if (t.edge.empty()) return r;
  const std::size_t block = 65536;
  const unsigned threads = thread_count(options.threads);
  std::vector<std::vector<std::uint32_t>> seen(threads);  // per worker, see nearest()
  std::vector<std::uint32_t> tick(threads, 0);
  for (std::size_t b0 = 0; b0 < n; b0 += block) {
    const std::size_t b1 = std::min(n, b0 + block);
    parallel_for(
        b1 - b0, threads,
        [&](std::size_t k, unsigned worker) {
          if (monitor.cancelled()) return;
          const std::size_t i = b0 + k;
          const double px = x[i], py = y[i];
          if (!std::isfinite(px) || !std::isfinite(py)) return;
          auto& s = seen[worker];
          if (s.empty()) s.assign(t.edge.size(), 0);
          if (++tick[worker] == 0) {  // wrapped: start the stamps again
            std::fill(s.begin(), s.end(), 0);
            tick[worker] = 1;
          }
          detail::store(t, detail::nearest(t, m_impl->grid, px, py, s, tick[worker]), options, i, r);
        },
        256);
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
  return snap_entries(snapped.edge, snapped.fraction, snapped.walk_time_s, snapped.beyond_max, edge_from, edge_to,
                      edge_time_s, edge_twin, direction);
}

SnapEntries snap_entries(std::span<const std::int64_t> edge, std::span<const double> fraction,
                         std::span<const double> walk_time_s, std::span<const std::uint8_t> beyond_max,
                         std::span<const std::int64_t> edge_from, std::span<const std::int64_t> edge_to,
                         std::span<const double> edge_time_s, std::span<const std::int64_t> edge_twin,
                         SnapDirection direction) {
  const std::size_t n = edge.size();
  if (fraction.size() != n || walk_time_s.size() != n || beyond_max.size() != n)
    throw InvalidInputError("snap result columns differ in length");
  const std::size_t m = edge_from.size();
  if (edge_to.size() != m || edge_time_s.size() != m || edge_twin.size() != m)
    throw InvalidInputError("edge_from, edge_to, edge_time_s and edge_twin must have the same length");
  SnapEntries out;
  auto push = [&](std::size_t i, std::int64_t node, double offset) {
    out.point.push_back(static_cast<std::int64_t>(i));
    out.node.push_back(node);
    out.offset_s.push_back(offset);
  };
  for (std::size_t i = 0; i < n; ++i) {
    const auto e = edge[i];
    if (e < 0 || beyond_max[i] != 0) continue;
    if (static_cast<std::size_t>(e) >= m)
      throw InvalidInputError("snapped edge " + std::to_string(e) + " is not in the edge list of " +
                                  std::to_string(m) + " edges",
                              ErrorContext{"", static_cast<std::int64_t>(i), "edge"});
    const auto ue = static_cast<std::size_t>(e);
    const double t = fraction[i], w = walk_time_s[i];
    const auto r = edge_twin[ue];
    if (r >= static_cast<std::int64_t>(m))
      throw InvalidInputError("edge_twin refers to a missing edge",
                              ErrorContext{"", static_cast<std::int64_t>(e), "edge_twin"});
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
