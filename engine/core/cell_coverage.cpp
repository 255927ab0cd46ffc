#include "cell_coverage.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>

#include "circle_geometry.hpp"
#include "error.hpp"
#include "parallel.hpp"

namespace jangkau {

namespace detail {
namespace {

// One piece of a ring edge inside one grid row, in window-relative indices. `col` is the
// window column of the piece, or the window width when the piece lies east of the window
// (then it only adds `dv` to every cell of the row). `partial` is dv·(ū − col), the share of
// the piece's own cell.
using Piece = CellPiece;

// The part of the grid a polygon can touch: rows [r_lo, r_hi], cols [c_lo, c_hi] (inclusive).
struct Window {
  std::int64_t r_lo = 0, r_hi = -1, c_lo = 0, c_hi = -1;
  std::size_t rows() const { return static_cast<std::size_t>(r_hi - r_lo + 1); }
  std::size_t cols() const { return static_cast<std::size_t>(c_hi - c_lo + 1); }
  bool empty() const { return r_hi < r_lo || c_hi < c_lo; }
};

// Grid coordinates: u = column units eastwards, v = row units southwards.
struct GridMap {
  double ox, oy, inv_w, inv_h;
  explicit GridMap(const GridSpec& g)
      : ox(g.origin_x), oy(g.origin_y), inv_w(1.0 / g.cell_width), inv_h(1.0 / g.cell_height) {}
  // With the reciprocals already at hand (no divisions).
  GridMap(double origin_x, double origin_y, double inv_width, double inv_height)
      : ox(origin_x), oy(origin_y), inv_w(inv_width), inv_h(inv_height) {}
  double u(double x) const { return (x - ox) * inv_w; }
  double v(double y) const { return (oy - y) * inv_h; }
};

Window window_of(const GridSpec& grid, const GridMap& map, const Box& b) {
  Window w;
  if (b.is_empty()) return w;
  const double u_min = map.u(b.min_x), u_max = map.u(b.max_x);
  const double v_min = map.v(b.max_y), v_max = map.v(b.min_y);
  const double rows = static_cast<double>(grid.rows), cols = static_cast<double>(grid.cols);
  if (!(u_max > 0.0 && u_min < cols && v_max > 0.0 && v_min < rows)) return w;
  w.c_lo = static_cast<std::int64_t>(std::floor(std::max(u_min, 0.0)));
  w.c_hi = static_cast<std::int64_t>(std::floor(std::min(u_max, cols - 0.5)));
  w.r_lo = static_cast<std::int64_t>(std::floor(std::max(v_min, 0.0)));
  w.r_hi = static_cast<std::int64_t>(std::floor(std::min(v_max, rows - 0.5)));
  // A bounding box ending exactly on a grid line does not reach into the next cell.
  if (w.c_hi > w.c_lo && static_cast<double>(w.c_hi) == u_max) --w.c_hi;
  if (w.r_hi > w.r_lo && static_cast<double>(w.r_hi) == v_max) --w.r_hi;
  return w;
}

// Emits the piece of an edge between grid-coordinate points a and b (which lie in one cell).
inline void emit(const Window& w, double ua, double va, double ub, double vb, double factor,
                 std::vector<Piece>& out) {
  const double dv = (vb - va) * factor;
  if (dv == 0.0) return;
  const double vm = 0.5 * (va + vb), um = 0.5 * (ua + ub);
  auto r = static_cast<std::int64_t>(std::floor(vm));
  r = std::clamp(r, w.r_lo, w.r_hi);
  const auto c = static_cast<std::int64_t>(std::floor(um));
  if (c < w.c_lo) return;  // west of the window: adds nothing to any cell of it
  const auto row = static_cast<std::uint32_t>(r - w.r_lo);
  if (c > w.c_hi) {
    out.push_back({row, static_cast<std::uint32_t>(w.cols()), dv, 0.0});
    return;
  }
  out.push_back({row, static_cast<std::uint32_t>(c - w.c_lo), dv, dv * (um - static_cast<double>(c))});
}

// Splits edge (u0,v0)→(u1,v1) at the grid lines inside the window (a DDA walk merging the
// crossings of horizontal and vertical lines by edge parameter t) and emits the pieces.
void walk_edge(const Window& w, double u0, double v0, double u1, double v1, double factor, std::vector<Piece>& out) {
  const double du = u1 - u0, dv = v1 - v0;
  if (dv == 0.0) return;  // horizontal edges contribute nothing to ∫ … dv
  const double row_top = static_cast<double>(w.r_lo), row_bottom = static_cast<double>(w.r_hi + 1);
  if (std::max(v0, v1) <= row_top || std::min(v0, v1) >= row_bottom) return;
  // Clip to the window's rows: outside them nothing is accumulated.
  double t_a = 0.0, t_b = 1.0;
  {
    double ta = (row_top - v0) / dv, tb = (row_bottom - v0) / dv;
    if (ta > tb) std::swap(ta, tb);
    t_a = std::max(t_a, ta);
    t_b = std::min(t_b, tb);
    if (!(t_a < t_b)) return;
  }
  auto point_u = [&](double t) { return t == 1.0 ? u1 : u0 + t * du; };
  auto point_v = [&](double t) { return t == 1.0 ? v1 : v0 + t * dv; };
  double ua = t_a == 0.0 ? u0 : point_u(t_a);
  double va = t_a == 0.0 ? v0 : (dv > 0 ? row_top : row_bottom);
  const double ue = t_b == 1.0 ? u1 : point_u(t_b);
  const double ve = t_b == 1.0 ? v1 : (dv > 0 ? row_bottom : row_top);

  // Horizontal lines k strictly between va and ve, in walking order.
  const double sv = dv > 0 ? 1.0 : -1.0;
  double next_h_line = dv > 0 ? std::floor(va) + 1.0 : std::ceil(va) - 1.0;
  auto h_done = [&](double k) { return dv > 0 ? k >= ve : k <= ve; };
  // Vertical lines k strictly between ua and ue, limited to [c_lo, c_hi + 1].
  const double su = du > 0 ? 1.0 : -1.0;
  const double col_west = static_cast<double>(w.c_lo), col_east = static_cast<double>(w.c_hi + 1);
  double next_v_line = 0.0;
  bool v_active = du != 0.0;
  auto v_done = [&](double k) {
    if (du > 0) return k >= ue || k > col_east;
    return k <= ue || k < col_west;
  };
  if (v_active) {
    next_v_line = du > 0 ? std::floor(ua) + 1.0 : std::ceil(ua) - 1.0;
    if (du > 0 && next_v_line < col_west) next_v_line = col_west;
    if (du < 0 && next_v_line > col_east) next_v_line = col_east;
    // Skip lines not strictly beyond the start point.
    if (du > 0 && next_v_line <= ua) next_v_line += 1.0;
    if (du < 0 && next_v_line >= ua) next_v_line -= 1.0;
  }
  bool h_active = !h_done(next_h_line);
  if (v_active && v_done(next_v_line)) v_active = false;

  while (h_active || v_active) {
    const double th = h_active ? (next_h_line - v0) / dv : std::numeric_limits<double>::infinity();
    const double tv = v_active ? (next_v_line - u0) / du : std::numeric_limits<double>::infinity();
    double ub, vb;
    if (th < tv) {
      vb = next_h_line;
      ub = point_u(th);
      next_h_line += sv;
      h_active = !h_done(next_h_line);
    } else if (tv < th) {
      ub = next_v_line;
      vb = point_v(tv);
      next_v_line += su;
      v_active = !v_done(next_v_line);
    } else {  // passes exactly through a grid corner
      ub = next_v_line;
      vb = next_h_line;
      next_h_line += sv;
      next_v_line += su;
      h_active = !h_done(next_h_line);
      v_active = !v_done(next_v_line);
    }
    emit(w, ua, va, ub, vb, factor, out);
    ua = ub;
    va = vb;
  }
  emit(w, ua, va, ue, ve, factor, out);
}

// Counting sort of the pieces by row (linear, keeps emission order within a row), then per
// row: difference array for the cells west of each piece plus each piece's own share.
void emit_rows(const Window& w, const std::vector<Piece>& pieces, std::vector<Piece>& sorted,
               std::vector<std::size_t>& row_start, std::vector<double>& acc, std::vector<double>& diff,
               std::vector<double>& frac, const CellRowVisitor& visit) {
  const std::size_t nr = w.rows(), nc = w.cols();
  row_start.assign(nr + 1, 0);
  for (const auto& pc : pieces) ++row_start[pc.row + 1];
  for (std::size_t r = 0; r < nr; ++r) row_start[r + 1] += row_start[r];
  sorted.resize(pieces.size());
  {
    std::vector<std::size_t> fill(row_start.begin(), row_start.end() - 1);
    for (const auto& pc : pieces) sorted[fill[pc.row]++] = pc;
  }
  // acc and diff stay zero between rows: each row clears only the columns it touched, so a
  // row costs O(pieces + covered span), not O(window width).
  acc.assign(nc + 1, 0.0);
  diff.assign(nc + 1, 0.0);
  frac.resize(nc);
  for (std::size_t r = 0; r < nr; ++r) {
    if (row_start[r] == row_start[r + 1]) continue;  // no boundary in the row: nothing covered
    // frac[c] = Σ_{pieces with col > c} dv + acc[c]; west of the first piece that is the
    // row's total (non-zero only when the region continues west of the window).
    double total = 0.0;
    std::size_t lo = nc, hi = 0;
    for (std::size_t k = row_start[r]; k < row_start[r + 1]; ++k) {
      const Piece& pc = sorted[k];
      acc[pc.col] += pc.partial;
      diff[pc.col] += pc.dv;
      total += pc.dv;
      lo = std::min<std::size_t>(lo, pc.col);
      hi = std::max<std::size_t>(hi, pc.col);
    }
    const double west = std::clamp(total, 0.0, 1.0);
    const std::size_t last = std::min(hi, nc - 1);  // a piece east of the window (col nc) covers to the end
    const std::size_t first = west > 0.0 ? 0 : lo;
    for (std::size_t c = first; c < lo && c < nc; ++c) frac[c] = west;
    double run = total;
    for (std::size_t c = lo; c <= last && c < nc; ++c) {
      run -= diff[c];
      frac[c] = std::clamp(run + acc[c], 0.0, 1.0);
    }
    for (std::size_t k = row_start[r]; k < row_start[r + 1]; ++k) {
      acc[sorted[k].col] = 0.0;
      diff[sorted[k].col] = 0.0;
    }
    if (first <= last && first < nc)
      visit(static_cast<std::size_t>(w.r_lo) + r, static_cast<std::size_t>(w.c_lo) + first,
            std::span<const double>(frac.data() + first, last - first + 1));
  }
}

double ring_orientation_uv(const GeometryArray& a, std::int64_t r, const GridMap& m) {
  const auto b = a.ring_offsets[r], e = a.ring_offsets[r + 1];
  if (e - b < 3) return 0.0;
  const double u0 = m.u(a.x[b]), v0 = m.v(a.y[b]);
  double s = 0.0;
  for (auto i = b + 1; i + 1 < e; ++i)
    s += (m.u(a.x[i]) - u0) * (m.v(a.y[i + 1]) - v0) - (m.u(a.x[i + 1]) - u0) * (m.v(a.y[i]) - v0);
  // Relative to the first vertex the closing edge adds nothing, closed ring or not.
  return s > 0 ? 1.0 : (s < 0 ? -1.0 : 0.0);
}

// Per-thread scratch, reused across polygons.
struct Scratch {
  std::vector<Piece> pieces, sorted;
  std::vector<std::size_t> row_start;
  std::vector<double> acc, diff, frac;
};

void visit_impl(const GridSpec& grid, const GeometryArray& a, std::size_t g, Scratch& s,
                const CellRowVisitor& visit) {
  if (a.empty(g)) return;
  const GridMap map(grid);
  const Window w = window_of(grid, map, bounds(a, g));
  if (w.empty()) return;
  s.pieces.clear();
  for (auto p = a.geom_offsets[g]; p < a.geom_offsets[g + 1]; ++p) {
    for (auto r = a.part_offsets[p]; r < a.part_offsets[p + 1]; ++r) {
      double factor = ring_orientation_uv(a, r, map);
      if (r != a.part_offsets[p]) factor = -factor;  // holes subtract
      if (factor == 0.0) continue;
      const auto b = a.ring_offsets[r], e = a.ring_offsets[r + 1];
      double pu = map.u(a.x[b]), pv = map.v(a.y[b]);
      const double fu = pu, fv = pv;
      for (auto i = b + 1; i < e; ++i) {
        const double cu = map.u(a.x[i]), cv = map.v(a.y[i]);
        walk_edge(w, pu, pv, cu, cv, factor, s.pieces);
        pu = cu;
        pv = cv;
      }
      if (pu != fu || pv != fv) walk_edge(w, pu, pv, fu, fv, factor, s.pieces);
    }
  }
  emit_rows(w, s.pieces, s.sorted, s.row_start, s.acc, s.diff, s.frac, visit);
}

void check_polygons(const GeometryArray& a) {
  if (a.kind != GeometryKind::Polygon) throw InvalidInputError("cell coverage needs polygon geometries");
}

}  // namespace
}  // namespace detail

CellCoverageAccumulator::CellCoverageAccumulator(const GridSpec& grid, const Box& bounds)
    : m_grid(grid), m_inv_w(1.0 / grid.cell_width), m_inv_h(1.0 / grid.cell_height) {
  reset(bounds);
}

void CellCoverageAccumulator::reset(const Box& bounds) {
  const detail::GridMap map(m_grid);
  const detail::Window w = detail::window_of(m_grid, map, bounds);
  m_r_lo = w.r_lo;
  m_r_hi = w.r_hi;
  m_c_lo = w.c_lo;
  m_c_hi = w.c_hi;
  m_pieces.clear();
}

void CellCoverageAccumulator::add_segment(double x0, double y0, double x1, double y1) {
  const detail::Window w{m_r_lo, m_r_hi, m_c_lo, m_c_hi};
  if (w.empty()) return;
  const detail::GridMap map(m_grid.origin_x, m_grid.origin_y, m_inv_w, m_inv_h);
  // World counter-clockwise is clockwise in (u, v) (v points south): factor −1.
  detail::walk_edge(w, map.u(x0), map.v(y0), map.u(x1), map.v(y1), -1.0, m_pieces);
}

void CellCoverageAccumulator::add_arc(double x0, double y0, double x1, double y1, double cx, double cy, double r,
                                      double t0, double dt) {
  const detail::Window w{m_r_lo, m_r_hi, m_c_lo, m_c_hi};
  if (w.empty()) return;
  if (!(dt > 0.0)) {
    add_segment(x0, y0, x1, y1);
    return;
  }
  const detail::GridMap map(m_grid.origin_x, m_grid.origin_y, m_inv_w, m_inv_h);
  // Split angles: the crossings with the window's grid lines (columns c_lo … c_hi + 1 and rows
  // r_lo … r_hi + 1) that the circle reaches. Outside those lines a part only needs its row
  // (east of the window) or adds nothing (west, or outside the window's rows).
  m_angles.clear();
  m_angles.push_back(t0);
  const double cw = m_grid.cell_width, ch = m_grid.cell_height;
  const auto k_x0 = std::max<double>(static_cast<double>(w.c_lo), std::ceil((cx - r - m_grid.origin_x) * m_inv_w));
  const auto k_x1 = std::min<double>(static_cast<double>(w.c_hi + 1),
                                     std::floor((cx + r - m_grid.origin_x) * m_inv_w));
  for (double k = k_x0; k <= k_x1; k += 1.0)
    arc_line_crossings(cx, cy, r, t0, dt, true, m_grid.origin_x + k * cw, m_angles);
  const auto k_y0 = std::max<double>(static_cast<double>(w.r_lo), std::ceil((m_grid.origin_y - (cy + r)) * m_inv_h));
  const auto k_y1 = std::min<double>(static_cast<double>(w.r_hi + 1),
                                     std::floor((m_grid.origin_y - (cy - r)) * m_inv_h));
  for (double k = k_y0; k <= k_y1; k += 1.0)
    arc_line_crossings(cx, cy, r, t0, dt, false, m_grid.origin_y - k * ch, m_angles);
  std::sort(m_angles.begin() + 1, m_angles.end());
  m_angles.push_back(t0 + dt);
  const double cell_units = m_inv_w * m_inv_h;
  double ua = map.u(x0), va = map.v(y0);
  for (std::size_t m = 0; m + 1 < m_angles.size(); ++m) {
    const double a = m_angles[m], b = m_angles[m + 1];
    const bool last = m + 2 == m_angles.size();
    const double ub = last ? map.u(x1) : map.u(cx + r * std::cos(b));
    const double vb = last ? map.v(y1) : map.v(cy + r * std::sin(b));
    if (b > a) {
      // The part's cell: that of its middle point (inside the cell, unlike a chord end).
      const double tm = 0.5 * (a + b);
      const auto row = static_cast<std::int64_t>(std::floor(map.v(cy + r * std::sin(tm))));
      const auto col = static_cast<std::int64_t>(std::floor(map.u(cx + r * std::cos(tm))));
      // World counter-clockwise is clockwise in (u, v): factor −1, as in add_segment().
      const double dv = va - vb;
      if (row >= w.r_lo && row <= w.r_hi && col >= w.c_lo) {
        const auto rr = static_cast<std::uint32_t>(row - w.r_lo);
        if (col > w.c_hi) {
          if (dv != 0.0) m_pieces.push_back({rr, static_cast<std::uint32_t>(w.cols()), dv, 0.0});
        } else {
          // ∫(u − col) dv over the arc = the chord's dv·(ū − col) + the circular segment.
          const double um = 0.5 * (ua + ub);
          m_pieces.push_back({rr, static_cast<std::uint32_t>(col - w.c_lo), dv,
                              dv * (um - static_cast<double>(col)) + circular_segment_area(r, b - a) * cell_units});
        }
      }
    }
    ua = ub;
    va = vb;
  }
}

void CellCoverageAccumulator::visit(const CellRowVisitor& visit) {
  const detail::Window w{m_r_lo, m_r_hi, m_c_lo, m_c_hi};
  if (w.empty()) return;
  detail::emit_rows(w, m_pieces, m_sorted, m_row_start, m_acc, m_diff, m_frac, visit);
}

void validate_grid(const GridSpec& grid) {
  if (!std::isfinite(grid.origin_x) || !std::isfinite(grid.origin_y))
    throw InvalidInputError("grid origin must be finite");
  if (!(grid.cell_width > 0.0) || !(grid.cell_height > 0.0) || !std::isfinite(grid.cell_width) ||
      !std::isfinite(grid.cell_height))
    throw InvalidInputError("grid cell sizes must be positive and finite (north-up grid)");
  if (grid.rows > 0 && grid.cols > (std::size_t{1} << 53) / grid.rows)
    throw InvalidInputError("grid has too many cells");
  if (grid.rows >= (std::size_t{1} << 31) || grid.cols >= (std::size_t{1} << 31))
    throw InvalidInputError("grid has too many rows or columns");
}

void visit_cell_coverage(const GridSpec& grid, const GeometryArray& polygons, std::size_t g,
                         const CellRowVisitor& visit) {
  validate_grid(grid);
  detail::check_polygons(polygons);
  if (g >= polygons.size()) throw InvalidInputError("polygon index out of range");
  detail::Scratch s;
  detail::visit_impl(grid, polygons, g, s, visit);
}

namespace {
// Runs fn(g, scratch) for every polygon in parallel, reporting progress from the calling thread.
template <class Fn>
void for_each_polygon(const GeometryArray& polygons, const CellCoverageOptions& options, Monitor& monitor,
                      const char* stage, Fn&& fn) {
  const std::size_t n = polygons.size();
  const unsigned threads = thread_count(options.threads);
  std::vector<detail::Scratch> scratch(std::max(1u, threads));
  std::atomic<std::size_t> done{0};
  monitor.report(stage, 0, n);
  parallel_for(
      n, threads,
      [&](std::size_t g, unsigned worker) {
        if (monitor.cancelled()) throw CancelledError("computation cancelled");
        fn(g, scratch[worker]);
        const std::size_t d = done.fetch_add(1) + 1;
        if (worker == 0) monitor.report(stage, d, n);
      },
      1);
  monitor.report(stage, n, n);
}
}  // namespace

SparseCellCoverage cell_coverage(const GridSpec& grid, const GeometryArray& polygons,
                                 const CellCoverageOptions& options, Monitor& monitor) {
  validate_grid(grid);
  detail::check_polygons(polygons);
  const std::size_t n = polygons.size();
  std::vector<std::vector<std::int64_t>> cells(n);
  std::vector<std::vector<double>> fracs(n);
  const double min_fraction = options.min_fraction;
  const auto cols = static_cast<std::int64_t>(grid.cols);
  for_each_polygon(polygons, options, monitor, "cell coverage", [&](std::size_t g, detail::Scratch& s) {
    auto& cg = cells[g];
    auto& fg = fracs[g];
    detail::visit_impl(grid, polygons, g, s, [&](std::size_t row, std::size_t c0, std::span<const double> f) {
      const auto base = static_cast<std::int64_t>(row) * cols + static_cast<std::int64_t>(c0);
      for (std::size_t k = 0; k < f.size(); ++k) {
        if (f[k] > min_fraction) {
          cg.push_back(base + static_cast<std::int64_t>(k));
          fg.push_back(f[k]);
        }
      }
    });
  });
  SparseCellCoverage out;
  std::size_t total = 0;
  for (const auto& c : cells) total += c.size();
  out.cells.reserve(total);
  out.fractions.reserve(total);
  out.offsets.reserve(n + 1);
  for (std::size_t g = 0; g < n; ++g) {
    out.cells.insert(out.cells.end(), cells[g].begin(), cells[g].end());
    out.fractions.insert(out.fractions.end(), fracs[g].begin(), fracs[g].end());
    out.offsets.push_back(static_cast<std::int64_t>(out.cells.size()));
    std::vector<std::int64_t>().swap(cells[g]);
    std::vector<double>().swap(fracs[g]);
  }
  return out;
}

ZonalSums zonal_sums(const GridSpec& grid, std::span<const double> values, const GeometryArray& polygons,
                     bool has_nodata, double nodata, const CellCoverageOptions& options, Monitor& monitor) {
  validate_grid(grid);
  detail::check_polygons(polygons);
  if (values.size() != grid.cell_count())
    throw InvalidInputError("raster has " + std::to_string(values.size()) + " values, the grid " +
                            std::to_string(grid.cell_count()) + " cells");
  const std::size_t n = polygons.size();
  ZonalSums out;
  out.sum.assign(n, 0.0);
  out.count.assign(n, 0.0);
  out.covered_cells.assign(n, 0.0);
  const std::size_t cols = grid.cols;
  for_each_polygon(polygons, options, monitor, "zonal sums", [&](std::size_t g, detail::Scratch& s) {
    double sum = 0.0, count = 0.0, covered = 0.0;
    detail::visit_impl(grid, polygons, g, s, [&](std::size_t row, std::size_t c0, std::span<const double> f) {
      const RowSums rs = weighted_row_sum(values.data() + row * cols + c0, f, has_nodata, nodata);
      sum += rs.sum;
      count += rs.count;
      covered += rs.covered;
    });
    out.sum[g] = sum;
    out.count[g] = count;
    out.covered_cells[g] = covered;
  });
  return out;
}

std::vector<double> coverage_fraction_sum(const GridSpec& grid, const GeometryArray& polygons,
                                          const CellCoverageOptions& options, Monitor& monitor) {
  SparseCellCoverage sc = cell_coverage(grid, polygons, options, monitor);
  std::vector<double> dense(grid.cell_count(), 0.0);
  for (std::size_t k = 0; k < sc.cells.size(); ++k) dense[static_cast<std::size_t>(sc.cells[k])] += sc.fractions[k];
  return dense;
}

}  // namespace jangkau
