#pragma once
// Exact partial cells: the fraction of each raster cell's area covered by a polygon,
// computed exactly (the exactextract rule), not by testing cell centres.
//
// Method. For a closed ring, the winding number at a point equals the signed count of
// ring edges crossed by a ray cast from that point in the +x direction. Integrating it
// over a cell, each edge piece contributes  ∫ clamp(x(y) − x_cell, 0, w) dy  (dy signed
// along the ring). Splitting every edge at the grid lines it crosses (a DDA walk), a
// piece inside cell (r, c) adds dy·(x̄ − x_c) to that cell and a full dy·w to every cell
// to its left in row r, which a per-row difference array accumulates. The cost is
// O(vertices + grid lines crossed) plus O(cells of the bounding window) for the output,
// and holes and multi-part polygons need no special case: the integral is linear in
// the rings, each ring counted +1 (shell) or −1 (hole) whatever its orientation.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "geometry.hpp"
#include "monitor.hpp"

namespace jangkau {

/// A north-up raster grid: cell (row, col) spans x ∈ [origin_x + col·cell_width,
/// origin_x + (col+1)·cell_width] and y ∈ [origin_y − (row+1)·cell_height,
/// origin_y − row·cell_height]. Row 0 is the northernmost row; cells are numbered
/// row-major (index = row·cols + col). Units are those of the polygons' CRS.
struct GridSpec {
  /// x of the west edge of column 0.
  double origin_x = 0.0;
  /// y of the north edge of row 0.
  double origin_y = 0.0;
  /// Cell size along x (> 0).
  double cell_width = 1.0;
  /// Cell size along y (> 0; rows go south).
  double cell_height = 1.0;
  /// Number of rows (north to south).
  std::size_t rows = 0;
  /// Number of columns (west to east).
  std::size_t cols = 0;

  /// rows·cols.
  std::size_t cell_count() const noexcept { return rows * cols; }
  /// Area of one cell, in squared CRS units.
  double cell_area() const noexcept { return cell_width * cell_height; }
  /// x of the centre of column `col`.
  double center_x(std::size_t col) const noexcept { return origin_x + (static_cast<double>(col) + 0.5) * cell_width; }
  /// y of the centre of row `row`.
  double center_y(std::size_t row) const noexcept {
    return origin_y - (static_cast<double>(row) + 0.5) * cell_height;
  }
};

/// Throws InvalidInputError unless the grid has finite origin, positive finite cell
/// sizes and rows·cols < 2^53.
void validate_grid(const GridSpec& grid);

/// Receives one row of covered cells: fractions[k] is the covered share of cell
/// (row, first_col + k), in [0, 1]. Cells of the span may be 0.
using CellRowVisitor = std::function<void(std::size_t row, std::size_t first_col, std::span<const double> fractions)>;

/// Calls `visit` for every grid row that polygon geometry `g` of `polygons` may cover,
/// in increasing row order, with the exact covered fraction of each cell of the row
/// window. Rings may have any orientation; ring 0 of each part is the shell and the
/// others are holes. Parts of the polygon outside the grid are ignored. The polygon is
/// assumed valid (non-self-intersecting rings, holes inside shells); for invalid input
/// the result is the winding-number integral clamped to [0, 1]. Throws
/// InvalidInputError if `polygons` is not of kind Polygon or the grid is invalid.
void visit_cell_coverage(const GridSpec& grid, const GeometryArray& polygons, std::size_t g,
                         const CellRowVisitor& visit);

/// Sums over one row of covered fractions f and the matching raster values v.
struct RowSums {
  /// Σ v·f over cells with f > 0 and a valid value (not NaN, not nodata).
  double sum = 0.0;
  /// Σ f over the same cells.
  double count = 0.0;
  /// Σ f over cells with f > 0, valid value or not.
  double covered = 0.0;
};

/// RowSums of values v[0..f.size()) weighted by fractions f; cells with f ≤ 0, NaN or (when
/// has_nodata) v == nodata add nothing to `sum`/`count`. Four interleaved partial sums
/// (fixed order, so deterministic) let the additions overlap instead of waiting on each other.
inline RowSums weighted_row_sum(const double* v, std::span<const double> f, bool has_nodata, double nodata) {
  double s[4] = {0.0, 0.0, 0.0, 0.0}, n[4] = {0.0, 0.0, 0.0, 0.0}, c[4] = {0.0, 0.0, 0.0, 0.0};
  const std::size_t size = f.size();
  auto add = [&](std::size_t k, int lane) {
    const double fk = f[k] > 0.0 ? f[k] : 0.0;
    const double x = v[k];
    const bool valid = !std::isnan(x) && !(has_nodata && x == nodata) && fk > 0.0;
    s[lane] += valid ? x * fk : 0.0;
    n[lane] += valid ? fk : 0.0;
    c[lane] += fk;
  };
  std::size_t k = 0;
  for (; k + 4 <= size; k += 4) {
    add(k, 0);
    add(k + 1, 1);
    add(k + 2, 2);
    add(k + 3, 3);
  }
  for (; k < size; ++k) add(k, 0);
  return {(s[0] + s[1]) + (s[2] + s[3]), (n[0] + n[1]) + (n[2] + n[3]), (c[0] + c[1]) + (c[2] + c[3])};
}

namespace detail {
/// One edge piece inside one grid row (window-relative); see cell_coverage.cpp.
struct CellPiece {
  std::uint32_t row;
  std::uint32_t col;
  double dv;
  double partial;
};
}  // namespace detail

/// Exact covered fractions of a region given not as rings but as its oriented boundary:
/// any set of segments forming closed chains, with the region on the left of each segment
/// (counter-clockwise shells, clockwise holes), e.g. the boundary of an overlay assembled
/// piece by piece; boundary pieces may also be circular arcs (add_arc), whose cells are exact
/// too. Same method and cost as visit_cell_coverage(). Reusable: reset() between regions keeps
/// the buffers.
class CellCoverageAccumulator {
 public:
  /// `grid` must be valid (validate_grid); `bounds` must contain every segment added.
  CellCoverageAccumulator(const GridSpec& grid, const Box& bounds);
  /// Starts a new region with the given bounds.
  void reset(const Box& bounds);
  /// Adds the boundary segment (x0, y0) → (x1, y1) (region on its left).
  void add_segment(double x0, double y0, double x1, double y1);
  /// Adds the counter-clockwise arc of the circle (cx, cy, r) from angle t0 to t0 + dt
  /// (radians, 0 < dt ≤ 2π) whose end points are (x0, y0) and (x1, y1) (passed so that the
  /// chain closes exactly with its neighbours); the region lies on its left (inside the
  /// circle). Exact: the arc is split where it crosses the grid lines of the window, and each
  /// part, lying in one cell, adds to that cell its chord's share plus the circular segment
  /// between chord and arc, ½r²(θ − sin θ) (circle_geometry.hpp). dt ≤ 0 adds the chord.
  void add_arc(double x0, double y0, double x1, double y1, double cx, double cy, double r, double t0, double dt);
  /// Calls `visit` for each row of the region's window (increasing rows) with the fractions.
  void visit(const CellRowVisitor& visit);

 private:
  GridSpec m_grid;
  double m_inv_w = 1.0, m_inv_h = 1.0;  // 1/cell size, computed once (add_segment is hot)
  std::int64_t m_r_lo = 0, m_r_hi = -1, m_c_lo = 0, m_c_hi = -1;
  std::vector<detail::CellPiece> m_pieces, m_sorted;
  std::vector<std::size_t> m_row_start;
  std::vector<double> m_acc, m_diff, m_frac;
  std::vector<double> m_angles;  // add_arc's split angles (scratch)
};

/// Options of cell_coverage() and zonal_sums().
struct CellCoverageOptions {
  /// Cells whose covered fraction is at most this are left out of sparse output.
  /// DEFAULT: 0 (every cell with a positive fraction is kept).
  double min_fraction = 0.0;
  /// Worker threads (parallel over polygons). DEFAULT: 0 = all hardware threads.
  int threads = 0;
};

/// Covered fractions of many polygons, in compressed sparse rows: polygon g covers cells
/// cells[offsets[g] .. offsets[g+1]) (row-major cell indices, increasing) with the
/// matching fractions.
struct SparseCellCoverage {
  /// polygons + 1 offsets into `cells` / `fractions`.
  std::vector<std::int64_t> offsets{0};
  /// Row-major cell indices.
  std::vector<std::int64_t> cells;
  /// Covered fraction of each listed cell, in (min_fraction, 1].
  std::vector<double> fractions;
};

/// Exact covered fraction of every cell touched by each polygon of `polygons`, in
/// parallel over polygons, deterministic (identical output for any thread count).
/// Empty geometries cover nothing. Throws InvalidInputError on a bad grid or non-polygon
/// input; CancelledError if the monitor is cancelled.
SparseCellCoverage cell_coverage(const GridSpec& grid, const GeometryArray& polygons,
                                 const CellCoverageOptions& options = {}, Monitor& monitor = null_monitor());

/// Coverage-weighted zonal statistics of a raster over polygons (exactextract's `sum`,
/// `count` and `mean`).
struct ZonalSums {
  /// Σ value·fraction over valid cells, per polygon.
  std::vector<double> sum;
  /// Σ fraction over valid cells (exactextract `count`), per polygon.
  std::vector<double> count;
  /// Σ fraction over all cells of the grid, valid or not (area covered / cell area).
  std::vector<double> covered_cells;
};

/// Zonal sums of `values` (rows·cols, row-major, north row first) over each polygon.
/// A cell is invalid (skipped) if its value is NaN or equals `nodata` when `has_nodata`.
/// Parallel over polygons; each polygon's sums are accumulated in row-major cell order,
/// so results are identical for any thread count. Throws InvalidInputError if
/// values.size() != rows·cols.
ZonalSums zonal_sums(const GridSpec& grid, std::span<const double> values, const GeometryArray& polygons,
                     bool has_nodata = false, double nodata = 0.0, const CellCoverageOptions& options = {},
                     Monitor& monitor = null_monitor());

/// Per cell, the sum over polygons of their covered fraction (a dense rows·cols array).
/// For polygons that partition the grid's extent, every cell sums to 1.
std::vector<double> coverage_fraction_sum(const GridSpec& grid, const GeometryArray& polygons,
                                          const CellCoverageOptions& options = {}, Monitor& monitor = null_monitor());

}  // namespace jangkau
