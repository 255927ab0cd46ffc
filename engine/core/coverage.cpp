#include "coverage.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>

#include "bucket_grid.hpp"
#include "circle_geometry.hpp"
#include "error.hpp"
#include "parallel.hpp"

// ---------------------------------------------------------------------------------------------
// Coverage of zones by a union of discs, without building the union.
// (Group statistics: group_stats.cpp; nearest-facility allocation: nearest_allocation.cpp.)
//
// ∂(Z ∩ U) = (∂Z ∩ U) ∪ (∂U ∩ Z), and ∂U = ⋃_i (∂D_i outside every other disc). Each disc is a
// convex polygon, so "the part of a segment inside D_j" is one parameter interval (Cyrus–Beck),
// and the pieces only need interval unions/complements, splits at zone edges and a
// point-in-zone test per piece. The assembled boundary is a set of closed chains with the
// region on the left: Green's theorem gives its area, and the cell accumulator its exact
// partial cells.
namespace jangkau {
namespace detail {
namespace {

struct Seg {
  double x0, y0, x1, y1;
};

// A piece of the boundary of zone ∩ U: the segment (x0, y0) → (x1, y1), or, when dt > 0, the
// counter-clockwise arc of the circle (cx, cy, r) from angle t0 to t0 + dt whose end points
// those are (true-circle discs).
struct Piece {
  double x0, y0, x1, y1;
  double cx = 0.0, cy = 0.0, r = 0.0, t0 = 0.0, dt = 0.0;
};

// Every zone edge, shifted to the local origin, with its zone; bucketed for crossings and for
// ray-parity point-in-zone tests.
struct ZoneEdges {
  std::vector<Seg> seg;
  std::vector<std::int32_t> zone;
  Buckets grid;
  std::vector<Box> zbox;  // per zone
  Buckets zgrid;          // zones by box
  std::size_t n_zones = 0;

  // Only the zones with keep[g] != 0 (those some disc can reach) are registered.
  void build(const GeometryArray& zones, double ox, double oy, const std::vector<char>& keep, unsigned threads) {
    n_zones = zones.size();
    // Segments of each kept zone go to a precomputed slice, so zones fill in parallel.
    std::vector<std::size_t> first(n_zones + 1, 0);
    for (std::size_t g = 0; g < n_zones; ++g) {
      std::size_t count = 0;
      if (keep[g])
        for (auto p = zones.geom_offsets[g]; p < zones.geom_offsets[g + 1]; ++p)
          for (auto r = zones.part_offsets[p]; r < zones.part_offsets[p + 1]; ++r) {
            const auto b = zones.ring_offsets[r], e = zones.ring_offsets[r + 1];
            if (e - b < 2) continue;
            count += static_cast<std::size_t>(e - b - 1);
            if (zones.x[b] != zones.x[e - 1] || zones.y[b] != zones.y[e - 1]) ++count;
          }
      first[g + 1] = first[g] + count;
    }
    seg.resize(first[n_zones]);
    zone.resize(first[n_zones]);
    zbox.assign(n_zones, Box{});
    std::vector<double> zone_len(n_zones, 0.0);
    parallel_for(
        n_zones, threads,
        [&](std::size_t g, unsigned) {
          if (!keep[g]) return;
          std::size_t k = first[g];
          Box zb;
          double len = 0.0;
          auto put = [&](double x0, double y0, double x1, double y1) {
            seg[k] = {x0 - ox, y0 - oy, x1 - ox, y1 - oy};
            zone[k++] = static_cast<std::int32_t>(g);
            // Every segment starts where the previous one of its ring ended, so the start
            // points alone give the box (the closing segment starts at the ring's last vertex).
            zb.min_x = std::min(zb.min_x, x0 - ox);
            zb.min_y = std::min(zb.min_y, y0 - oy);
            zb.max_x = std::max(zb.max_x, x0 - ox);
            zb.max_y = std::max(zb.max_y, y0 - oy);
            len += std::sqrt((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0));
          };
          for (auto p = zones.geom_offsets[g]; p < zones.geom_offsets[g + 1]; ++p)
            for (auto r = zones.part_offsets[p]; r < zones.part_offsets[p + 1]; ++r) {
              const auto b = zones.ring_offsets[r], e = zones.ring_offsets[r + 1];
              if (e - b < 2) continue;
              for (auto i = b; i + 1 < e; ++i) put(zones.x[i], zones.y[i], zones.x[i + 1], zones.y[i + 1]);
              if (zones.x[b] != zones.x[e - 1] || zones.y[b] != zones.y[e - 1])
                put(zones.x[e - 1], zones.y[e - 1], zones.x[b], zones.y[b]);
            }
          zbox[g] = zb;
          zone_len[g] = len;
        },
        8);
    Box all;
    double total_len = 0.0;
    for (std::size_t g = 0; g < n_zones; ++g) {
      all.expand(zbox[g]);
      total_len += zone_len[g];
    }
    if (seg.empty()) all.expand(0.0, 0.0);
    const double mean_len = seg.empty() ? 1.0 : total_len / static_cast<double>(seg.size());
    // Buckets a few edges long, but no more buckets than edges: boundaries are curves, so most
    // buckets of a finer grid would be empty and only cost memory and time to build.
    const double per_edge = std::sqrt(std::max(all.max_x - all.min_x, 1e-9) * std::max(all.max_y - all.min_y, 1e-9) /
                                      static_cast<double>(std::max<std::size_t>(seg.size(), 1)));
    grid.init(all, std::max(4.0 * mean_len, per_edge), 1024.0);
    grid.build(
        seg.size(), [&](std::size_t i) { return seg_box(seg[i].x0, seg[i].y0, seg[i].x1, seg[i].y1); }, threads);
    zgrid.init(all, 0.0, 64.0);
    zgrid.build(n_zones, [&](std::size_t z) { return zbox[z]; });
  }

  // Zones containing (px, py): the zones whose box holds the point are the candidates; a
  // horizontal ray towards the nearer side of their boxes decides each by the even–odd rule,
  // scanning only the point's bucket row (each edge is counted in the bucket of its crossing).
  // parity[z]: bit 1 = candidate, bit 0 = parity; all zero again on return.
  void containing(double px, double py, std::vector<std::uint8_t>& parity, std::vector<std::int32_t>& touched,
                  std::vector<std::int32_t>& out) const {
    out.clear();
    touched.clear();
    double x_lo = px, x_hi = px;
    zgrid.for_each(px, py, px, py, [&](std::int32_t z) {
      const Box& b = zbox[static_cast<std::size_t>(z)];
      if (px < b.min_x || px > b.max_x || py < b.min_y || py > b.max_y) return;
      auto& f = parity[static_cast<std::size_t>(z)];
      if (f & 2u) return;
      f = 2u;
      touched.push_back(z);
      x_lo = std::min(x_lo, b.min_x);
      x_hi = std::max(x_hi, b.max_x);
    });
    if (touched.empty()) return;
    const bool east = (x_hi - px) <= (px - x_lo);
    const auto row = grid.iy(py);
    const auto x_stop = grid.ix(east ? x_hi : x_lo);
    const std::int64_t step = east ? 1 : -1;
    for (auto x = grid.ix(px);; x += step) {
      const auto b = static_cast<std::size_t>(row * grid.nx + x);
      for (auto k = grid.start[b]; k < grid.start[b + 1]; ++k) {
        const auto e = static_cast<std::size_t>(grid.ids[static_cast<std::size_t>(k)]);
        auto& f = parity[static_cast<std::size_t>(zone[e])];
        if (!(f & 2u)) continue;
        const Seg& s = seg[e];
        if ((s.y0 > py) == (s.y1 > py)) continue;
        const double xi = s.x0 + (py - s.y0) * (s.x1 - s.x0) / (s.y1 - s.y0);
        if ((east ? xi <= px : xi >= px) || grid.ix(xi) != x) continue;
        f ^= 1u;
      }
      if (x == x_stop) break;
    }
    for (auto z : touched) {
      if (parity[static_cast<std::size_t>(z)] & 1u) out.push_back(z);
      parity[static_cast<std::size_t>(z)] = 0;
    }
    touched.clear();
    std::sort(out.begin(), out.end());
  }
};

// The discs of one radius: regular CCW polygons around deduplicated centres.
struct Discs {
  double r = 0.0, r_in2 = 0.0;
  int n = 0;                           // polygon vertices (0: true circles)
  bool exact = false;                  // true circles (quadrant_segments == 0)
  std::vector<double> vx, vy, ex, ey;  // vertices (closed) relative to the centre; edge vectors
  std::vector<double> cx, cy;
  Box reach;  // bounding box of all discs (centres ± r)
  Buckets grid;

  bool may_reach(double xmin, double ymin, double xmax, double ymax) const {
    return !(xmax < reach.min_x || xmin > reach.max_x || ymax < reach.min_y || ymin > reach.max_y);
  }

  void build(std::span<const double> px, std::span<const double> py, double radius, int quadrant_segments, double ox,
             double oy, const Box& zones_box) {
    r = radius;
    exact = quadrant_segments == 0;
    n = 4 * quadrant_segments;
    const double step = exact ? 0.0 : (std::numbers::pi / 2.0) / quadrant_segments;
    vx.resize(static_cast<std::size_t>(n) + 1);
    vy.resize(static_cast<std::size_t>(n) + 1);
    for (int k = 0; k < n; ++k) {
      vx[static_cast<std::size_t>(k)] = r * std::cos(k * step);
      vy[static_cast<std::size_t>(k)] = r * std::sin(k * step);
    }
    vx[static_cast<std::size_t>(n)] = vx[0];
    vy[static_cast<std::size_t>(n)] = vy[0];
    ex.resize(static_cast<std::size_t>(n));
    ey.resize(static_cast<std::size_t>(n));
    for (int k = 0; k < n; ++k) {
      ex[static_cast<std::size_t>(k)] = vx[static_cast<std::size_t>(k) + 1] - vx[static_cast<std::size_t>(k)];
      ey[static_cast<std::size_t>(k)] = vy[static_cast<std::size_t>(k) + 1] - vy[static_cast<std::size_t>(k)];
    }
    const double ri = exact ? r * (1.0 - 1e-12) : r * std::cos(std::numbers::pi / n) * (1.0 - 1e-12);
    r_in2 = ri * ri;
    std::vector<std::pair<double, double>> c;
    for (std::size_t i = 0; i < px.size(); ++i) {
      if (!std::isfinite(px[i]) || !std::isfinite(py[i])) continue;
      // Discs that cannot reach any zone are dropped.
      if (px[i] + r < zones_box.min_x || px[i] - r > zones_box.max_x || py[i] + r < zones_box.min_y ||
          py[i] - r > zones_box.max_y)
        continue;
      // Centres are snapped to multiples of 1e-11·r: two discs whose centres differ by a few
      // ulps would have edges so nearly coincident that neither is seen inside the other (the
      // shared boundary would count twice). Snapping makes them equal (then merged) or at least
      // 1e-11·r apart (tested safe down to 1e-12·r); it moves a disc by at most 5e-12·r.
      const double q = 1e-11 * r;
      c.push_back({std::round((px[i] - ox) / q) * q, std::round((py[i] - oy) / q) * q});
    }
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
    cx.resize(c.size());
    cy.resize(c.size());
    Box all;
    for (std::size_t i = 0; i < c.size(); ++i) {
      cx[i] = c[i].first;
      cy[i] = c[i].second;
      all.expand(cx[i], cy[i]);
    }
    reach = Box{};
    if (!c.empty()) {
      reach.expand(all.min_x - r, all.min_y - r);
      reach.expand(all.max_x + r, all.max_y + r);
    }
    if (c.empty()) all.expand(0.0, 0.0);
    // Buckets of about one disc each, at least r/2 wide: a query (segment ± r) then visits a
    // few buckets holding few discs, both for sparse and for dense facilities.
    const double spacing = c.empty() ? r
                                     : std::sqrt(std::max(all.max_x - all.min_x, r) *
                                                 std::max(all.max_y - all.min_y, r) / static_cast<double>(c.size()));
    grid.init(all, std::max(0.5 * r, spacing), 2048.0);
    grid.build(c.size(), [&](std::size_t i) { return seg_box(cx[i], cy[i], cx[i], cy[i]); });
  }

  // Parameter interval of segment a→b strictly inside disc j; false if none.
  bool clip(std::size_t j, double ax, double ay, double bx, double by, double& t0, double& t1) const {
    const double qx = ax - cx[j], qy = ay - cy[j], dx = bx - ax, dy = by - ay;
    const double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? -(qx * dx + qy * dy) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const double mx = qx + t * dx, my = qy + t * dy;
    if (mx * mx + my * my >= r * r) return false;  // outside the circumscribed circle
    const double qx1 = bx - cx[j], qy1 = by - cy[j];
    if (qx * qx + qy * qy <= r_in2 && qx1 * qx1 + qy1 * qy1 <= r_in2) {  // inside the inscribed circle
      t0 = 0.0;
      t1 = 1.0;
      return true;
    }
    if (exact) {  // |q + t·d|² < r²
      double ta, tb;
      if (!segment_circle_roots(qx, qy, dx, dy, r, ta, tb)) return false;
      t0 = std::max(0.0, ta);
      t1 = std::min(1.0, tb);
      return t0 < t1;
    }
    double lo = 0.0, hi = 1.0;
    for (int k = 0; k < n; ++k) {
      const auto kk = static_cast<std::size_t>(k);
      const double a = ex[kk] * (qy - vy[kk]) - ey[kk] * (qx - vx[kk]);
      const double b = ex[kk] * dy - ey[kk] * dx;
      if (b == 0.0) {
        if (a <= 0.0) return false;
        continue;
      }
      const double tk = -a / b;
      if (b > 0.0)
        lo = std::max(lo, tk);
      else
        hi = std::min(hi, tk);
      if (lo >= hi) return false;
    }
    t0 = lo;
    t1 = hi;
    return true;
  }

  // Discs whose circumscribed circle may meet the box (centre closer than r to it), in
  // bucket order; each disc at most once (discs are registered at their centre only).
  // Returns false, leaving `out` empty, when the buckets hold more than `limit` discs.
  bool near_box(double xmin, double ymin, double xmax, double ymax, std::vector<std::int32_t>& out,
                std::size_t limit = static_cast<std::size_t>(-1)) const {
    out.clear();
    if (!may_reach(xmin, ymin, xmax, ymax)) return true;
    if (limit != static_cast<std::size_t>(-1)) {
      std::size_t count = 0;
      const auto x0 = grid.ix(xmin - r), x1 = grid.ix(xmax + r);
      for (auto y = grid.iy(ymin - r); y <= grid.iy(ymax + r); ++y) {
        const auto row = static_cast<std::size_t>(y * grid.nx);
        count += static_cast<std::size_t>(grid.start[row + static_cast<std::size_t>(x1) + 1] -
                                          grid.start[row + static_cast<std::size_t>(x0)]);
        if (count > limit) return false;
      }
    }
    const double r2 = r * r;
    grid.for_each(xmin - r, ymin - r, xmax + r, ymax + r, [&](std::int32_t j) {
      const auto jj = static_cast<std::size_t>(j);
      const double dx = std::max({xmin - cx[jj], 0.0, cx[jj] - xmax});
      const double dy = std::max({ymin - cy[jj], 0.0, cy[jj] - ymax});
      if (dx * dx + dy * dy < r2) out.push_back(j);
    });
    return true;
  }

  // True if some disc centre lies within r of the box (else no disc meets it).
  bool reaches_box(double x0, double y0, double x1, double y1) const {
    bool any = false;
    if (may_reach(x0, y0, x1, y1))
      grid.for_each_until(x0 - r, y0 - r, x1 + r, y1 + r, 0.5 * (x0 + x1), 0.5 * (y0 + y1), [&](std::int32_t j) {
        const auto jj = static_cast<std::size_t>(j);
        any = cx[jj] >= x0 - r && cx[jj] <= x1 + r && cy[jj] >= y0 - r && cy[jj] <= y1 + r;
        return any;
      });
    return any;
  }

  // True if disc j contains the whole box (its corners inside the inscribed circle).
  bool holds_box(std::size_t j, double xmin, double ymin, double xmax, double ymax) const {
    const double ax = std::max(std::abs(xmin - cx[j]), std::abs(xmax - cx[j]));
    const double ay = std::max(std::abs(ymin - cy[j]), std::abs(ymax - cy[j]));
    return ax * ax + ay * ay <= r_in2;
  }

  // As covered(), testing only the discs in `cands` (which must include every disc that can
  // meet a→b).
  void covered_among(std::span<const std::int32_t> cands, double ax, double ay, double bx, double by,
                     std::size_t skip, std::int32_t& hint, std::vector<std::pair<double, double>>& iv) const {
    iv.clear();
    double t0, t1;
    for (const std::int32_t j : cands) {
      if (static_cast<std::size_t>(j) == skip) continue;
      if (clip(static_cast<std::size_t>(j), ax, ay, bx, by, t0, t1)) {
        if (t0 <= 0.0 && t1 >= 1.0) {
          hint = j;
          iv.assign(1, {0.0, 1.0});
          return;
        }
        iv.push_back({t0, t1});
      }
    }
    merge(iv);
  }

  static void merge(std::vector<std::pair<double, double>>& iv) {
    std::sort(iv.begin(), iv.end());
    std::size_t m = 0;
    for (std::size_t k = 0; k < iv.size(); ++k) {
      if (m > 0 && iv[k].first <= iv[m - 1].second)
        iv[m - 1].second = std::max(iv[m - 1].second, iv[k].second);
      else
        iv[m++] = iv[k];
    }
    iv.resize(m);
  }

  // Union of the intervals of a→b inside discs other than `skip` (sorted, merged), from the
  // bucket grid; a disc covering the whole segment ends the search and becomes `hint`.
  void covered(double ax, double ay, double bx, double by, std::size_t skip, std::int32_t& hint,
               std::vector<std::pair<double, double>>& iv) const {
    iv.clear();
    if (!may_reach(std::min(ax, bx), std::min(ay, by), std::max(ax, bx), std::max(ay, by))) return;
    bool full = false;
    grid.for_each_until(std::min(ax, bx) - r, std::min(ay, by) - r, std::max(ax, bx) + r, std::max(ay, by) + r,
                        0.5 * (ax + bx), 0.5 * (ay + by), [&](std::int32_t j) {
                          if (static_cast<std::size_t>(j) == skip) return false;
                          double t0, t1;
                          if (clip(static_cast<std::size_t>(j), ax, ay, bx, by, t0, t1)) {
                            if (t0 <= 0.0 && t1 >= 1.0) {
                              full = true;
                              hint = j;
                            }
                            iv.push_back({t0, t1});
                          }
                          return full;
                        });
    if (full) {
      iv.assign(1, {0.0, 1.0});
      return;
    }
    merge(iv);
  }
};

inline void point_at(double ax, double ay, double bx, double by, double t, double& x, double& y) {
  if (t <= 0.0) {
    x = ax;
    y = ay;
  } else if (t >= 1.0) {
    x = bx;
    y = by;
  } else {
    x = ax + t * (bx - ax);
    y = ay + t * (by - ay);
  }
}

// Above this many candidate discs a segment queries the bucket grid itself (stopping at the
// first disc that covers it whole) instead of testing a shared candidate list.
constexpr std::size_t kMaxSharedCandidates = 48;

// Intervals of segment a→b inside discs other than `skip`: the hint disc (the last one that
// covered a whole segment) first, then the shared candidate list when it is short, else the
// bucket grid; either updates the hint.
inline void cover_segment(const Discs& d, bool shared, std::span<const std::int32_t> cands, double ax, double ay,
                          double bx, double by, std::size_t skip, std::int32_t& hint,
                          std::vector<std::pair<double, double>>& iv) {
  double t0, t1;
  if (hint >= 0 && static_cast<std::size_t>(hint) != skip &&
      d.clip(static_cast<std::size_t>(hint), ax, ay, bx, by, t0, t1) && t0 <= 0.0 && t1 >= 1.0) {
    iv.assign(1, {0.0, 1.0});
    return;
  }
  if (shared)
    d.covered_among(cands, ax, ay, bx, by, skip, hint, iv);
  else
    d.covered(ax, ay, bx, by, skip, hint, iv);
}

struct DiscScratch {
  std::vector<std::pair<double, double>> iv;
  std::vector<double> ts;
  std::vector<std::uint8_t> parity;
  std::vector<std::int32_t> touched, inside, cands;
  std::vector<std::vector<std::int32_t>> per_edge;
};

// For each edge k of disc i, the discs of `cands` that can meet it. Edge k is a chord whose
// points all lie in the angular sector [k, k+1]·step seen from centre i; the points of a disc
// j whose centre is d > r away lie within asin(r/d) of the direction i→j (the tangent cone),
// so only the edges whose sector meets that cone are listed. Discs with d ≤ r (or nearly, or
// d = 0) go to every edge; discs with d ≥ 2r to none.
void edge_candidates(const Discs& d, std::size_t i, std::span<const std::int32_t> cands,
                     std::vector<std::vector<std::int32_t>>& per_edge) {
  const auto n = static_cast<std::size_t>(d.n);
  per_edge.resize(n);
  for (auto& v : per_edge) v.clear();
  const double step = 2.0 * std::numbers::pi / static_cast<double>(n);
  for (const std::int32_t j : cands) {
    const auto jj = static_cast<std::size_t>(j);
    if (jj == i) continue;
    const double dx = d.cx[jj] - d.cx[i], dy = d.cy[jj] - d.cy[i];
    const double dist = std::sqrt(dx * dx + dy * dy);
    if (dist >= 2.0 * d.r * (1.0 + 1e-9)) continue;  // the circumscribed circles do not meet
    if (dist <= d.r * (1.0 + 1e-6)) {
      for (auto& v : per_edge) v.push_back(j);
      continue;
    }
    const double half = std::asin(std::min(1.0, d.r / dist)) + 1e-6;  // margin for rounding
    double theta = std::atan2(dy, dx);
    if (theta < 0.0) theta += 2.0 * std::numbers::pi;
    const auto k0 = static_cast<std::int64_t>(std::floor((theta - half) / step));
    const auto k1 = static_cast<std::int64_t>(std::floor((theta + half) / step));
    for (std::int64_t k = k0; k <= k1; ++k) {
      const auto kk = static_cast<std::size_t>(((k % static_cast<std::int64_t>(n)) + static_cast<std::int64_t>(n)) %
                                               static_cast<std::int64_t>(n));
      per_edge[kk].push_back(j);
    }
  }
}

using DiscPieces = std::vector<std::vector<std::pair<std::int32_t, Piece>>>;

// Runs per_disc(i, scratch, out[i]) for every disc in parallel (cancellable), out[i] cleared.
template <class PerDisc>
void for_each_disc(const Discs& d, const ZoneEdges& edges, unsigned threads, Monitor& monitor, DiscPieces& out,
                   PerDisc&& per_disc) {
  out.assign(d.cx.size(), {});
  std::vector<DiscScratch> scratch(std::max(1u, threads));
  for (auto& s : scratch) s.parity.assign(edges.n_zones, 0);
  parallel_for(
      d.cx.size(), threads,
      [&](std::size_t i, unsigned w) {
        if (monitor.cancelled()) throw CancelledError("computation cancelled");
        per_disc(i, scratch[w], out[i]);
      },
      4);
}

// True-circle discs: the pieces of ∂U are the arcs of each circle outside every other disc.
// Discs of one radius r whose centres are d < 2r apart overlap; circle i lies inside disc j
// over the angles φ ± acos(d / 2r) (φ the direction i→j). The complement of the union of
// those intervals are the free arcs, split at the angles where zone edges cross the circle
// and tagged with the zones holding each sub-arc's midpoint.
void boundary_of_union_circles(const Discs& d, const ZoneEdges& edges, unsigned threads, Monitor& monitor,
                               DiscPieces& out) {
  const double r = d.r;
  for_each_disc(d, edges, threads, monitor, out,
                [&](std::size_t i, DiscScratch& s, std::vector<std::pair<std::int32_t, Piece>>& o) {
                  const double cx = d.cx[i], cy = d.cy[i];
                  d.near_box(cx - r, cy - r, cx + r, cy + r, s.cands);
                  s.iv.clear();
                  for (const std::int32_t j : s.cands) {
                    const auto jj = static_cast<std::size_t>(j);
                    if (jj == i) continue;
                    const double dx = d.cx[jj] - cx, dy = d.cy[jj] - cy;
                    const double dist = std::sqrt(dx * dx + dy * dy);
                    if (!(dist < 2.0 * r) || dist == 0.0) continue;
                    const double half = std::acos(dist / (2.0 * r));
                    double phi = std::atan2(dy, dx);
                    if (phi < 0.0) phi += kTwoPi;
                    const double a = phi - half, b = phi + half;
                    if (a < 0.0) {
                      s.iv.push_back({a + kTwoPi, kTwoPi});
                      s.iv.push_back({0.0, b});
                    } else if (b > kTwoPi) {
                      s.iv.push_back({a, kTwoPi});
                      s.iv.push_back({0.0, b - kTwoPi});
                    } else {
                      s.iv.push_back({a, b});
                    }
                  }
                  Discs::merge(s.iv);
                  double prev = 0.0;
                  auto emit_free = [&](double a, double b) {
                    if (!(b > a)) return;
                    s.ts.clear();
                    s.ts.push_back(a);
                    const Box box = arc_box(cx, cy, r, a, b);
                    edges.grid.for_each(box.min_x, box.min_y, box.max_x, box.max_y, [&](std::int32_t e) {
                      const Seg& q = edges.seg[static_cast<std::size_t>(e)];
                      const double qx = q.x0 - cx, qy = q.y0 - cy, ex = q.x1 - q.x0, ey = q.y1 - q.y0;
                      double t_lo, t_hi;
                      if (!segment_circle_roots(qx, qy, ex, ey, r, t_lo, t_hi)) return;
                      for (const double t : {t_lo, t_hi}) {
                        if (t < 0.0 || t > 1.0) continue;
                        double ang = std::atan2(qy + t * ey, qx + t * ex);
                        if (ang < 0.0) ang += kTwoPi;
                        if (ang > a && ang < b) s.ts.push_back(ang);
                      }
                    });
                    s.ts.push_back(b);
                    std::sort(s.ts.begin(), s.ts.end());
                    for (std::size_t m = 0; m + 1 < s.ts.size(); ++m) {
                      const double t0 = s.ts[m], t1 = s.ts[m + 1];
                      if (!(t1 > t0)) continue;
                      const double tm = 0.5 * (t0 + t1);
                      edges.containing(cx + r * std::cos(tm), cy + r * std::sin(tm), s.parity, s.touched, s.inside);
                      if (s.inside.empty()) continue;
                      const Piece pc{cx + r * std::cos(t0),
                                     cy + r * std::sin(t0),
                                     cx + r * std::cos(t1),
                                     cy + r * std::sin(t1),
                                     cx,
                                     cy,
                                     r,
                                     t0,
                                     t1 - t0};
                      for (auto z : s.inside) o.push_back({z, pc});
                    }
                  };
                  for (const auto& [t0, t1] : s.iv) {
                    emit_free(prev, t0);
                    prev = std::max(prev, t1);
                  }
                  emit_free(prev, kTwoPi);
                });
}

// Pieces of ∂U (disc edges outside every other disc), split at zone edges and tagged with the
// zones containing them; out[i] holds disc i's pieces in edge order.
void boundary_of_union(const Discs& d, const ZoneEdges& edges, unsigned threads, Monitor& monitor, DiscPieces& out) {
  if (d.exact) {
    boundary_of_union_circles(d, edges, threads, monitor, out);
    return;
  }
  for_each_disc(d, edges, threads, monitor, out,
                [&](std::size_t i, DiscScratch& s, std::vector<std::pair<std::int32_t, Piece>>& o) {
                  // Every disc that can meet disc i has its centre within 2r of i's centre.
                  const bool shared = d.near_box(d.cx[i] - d.r, d.cy[i] - d.r, d.cx[i] + d.r, d.cy[i] + d.r, s.cands,
                                                 kMaxSharedCandidates);
                  if (shared) edge_candidates(d, i, s.cands, s.per_edge);
                  std::int32_t hint = -1;
                  for (int k = 0; k < d.n; ++k) {
                    const auto kk = static_cast<std::size_t>(k);
                    const double ax = d.cx[i] + d.vx[kk], ay = d.cy[i] + d.vy[kk];
                    const double bx = d.cx[i] + d.vx[kk + 1], by = d.cy[i] + d.vy[kk + 1];
                    cover_segment(d, shared,
                                  shared ? std::span<const std::int32_t>(s.per_edge[kk])
                                         : std::span<const std::int32_t>(),
                                  ax, ay, bx, by, i, hint, s.iv);
                    double prev = 0.0;
                    auto emit_free = [&](double t0, double t1) {
                      if (!(t1 > t0)) return;
                      double px0, py0, px1, py1;
                      point_at(ax, ay, bx, by, t0, px0, py0);
                      point_at(ax, ay, bx, by, t1, px1, py1);
                      // Split at zone edge crossings.
                      s.ts.clear();
                      s.ts.push_back(0.0);
                      const double dx = px1 - px0, dy = py1 - py0;
                      edges.grid.for_each(std::min(px0, px1), std::min(py0, py1), std::max(px0, px1),
                                          std::max(py0, py1), [&](std::int32_t e) {
                                            const Seg& q = edges.seg[static_cast<std::size_t>(e)];
                                            const double qx = q.x1 - q.x0, qy = q.y1 - q.y0;
                                            const double den = dx * qy - dy * qx;
                                            if (den == 0.0) return;
                                            const double wx = q.x0 - px0, wy = q.y0 - py0;
                                            const double t = (wx * qy - wy * qx) / den;
                                            const double u = (wx * dy - wy * dx) / den;
                                            if (t > 0.0 && t < 1.0 && u >= 0.0 && u <= 1.0) s.ts.push_back(t);
                                          });
                      s.ts.push_back(1.0);
                      std::sort(s.ts.begin(), s.ts.end());
                      for (std::size_t m = 0; m + 1 < s.ts.size(); ++m) {
                        if (!(s.ts[m + 1] > s.ts[m])) continue;
                        double x0, y0, x1, y1;
                        point_at(px0, py0, px1, py1, s.ts[m], x0, y0);
                        point_at(px0, py0, px1, py1, s.ts[m + 1], x1, y1);
                        edges.containing(0.5 * (x0 + x1), 0.5 * (y0 + y1), s.parity, s.touched, s.inside);
                        for (auto z : s.inside) o.push_back({z, Piece{x0, y0, x1, y1}});
                      }
                    };
                    for (const auto& [t0, t1] : s.iv) {
                      emit_free(prev, t0);
                      prev = std::max(prev, t1);
                    }
                    emit_free(prev, 1.0);
                  }
                });
}

// Consecutive ring edges are handled in runs of this many: one candidate query per run.
constexpr std::size_t kEdgeRun = 16;

// Calls add(seg) for every piece of the boundary of zone g ∩ U (region on the left).
template <class Add>
void zone_boundary(const GeometryArray& zones, std::size_t g, const Box& zb, double ox, double oy, const Discs& d,
                   const std::vector<std::vector<Piece>>& union_pieces, DiscScratch& s, Add&& add) {
  // No disc centre within r of the zone's box (`zb`, local coordinates): nothing of U inside.
  if (zb.is_empty() || !d.reaches_box(zb.min_x, zb.min_y, zb.max_x, zb.max_y)) return;
  constexpr auto no_skip = static_cast<std::size_t>(-1);
  std::int32_t hint = -1;
  for (auto p = zones.geom_offsets[g]; p < zones.geom_offsets[g + 1]; ++p)
    for (auto r = zones.part_offsets[p]; r < zones.part_offsets[p + 1]; ++r) {
      const auto b = zones.ring_offsets[r], e = zones.ring_offsets[r + 1];
      if (e - b < 3) continue;
      std::span<const double> rx(zones.x.data() + b, static_cast<std::size_t>(e - b));
      std::span<const double> ry(zones.y.data() + b, static_cast<std::size_t>(e - b));
      const double area = ring_signed_area(rx, ry);
      if (area == 0.0) continue;
      const bool shell = r == zones.part_offsets[p];
      const bool reverse = shell ? area < 0.0 : area > 0.0;  // shells CCW, holes CW
      const std::size_t m = rx.size();
      const bool closed = rx[0] == rx[m - 1] && ry[0] == ry[m - 1];
      const std::size_t n_edges = closed ? m - 1 : m;
      for (std::size_t run = 0; run < n_edges; run += kEdgeRun) {
        const std::size_t run_end = std::min(n_edges, run + kEdgeRun);
        Box rb;
        for (std::size_t k = run; k <= run_end; ++k) rb.expand(rx[k % m] - ox, ry[k % m] - oy);
        // The disc that held the previous run often holds this one too: then no query at all.
        bool whole = hint >= 0 && d.holds_box(static_cast<std::size_t>(hint), rb.min_x, rb.min_y, rb.max_x, rb.max_y);
        bool shared = true;
        if (!whole) {
          shared = d.near_box(rb.min_x, rb.min_y, rb.max_x, rb.max_y, s.cands, kMaxSharedCandidates);
          if (shared && s.cands.empty()) continue;  // the whole run is outside U
        }
        for (std::size_t c = 0; !whole && c < s.cands.size(); ++c)
          if (d.holds_box(static_cast<std::size_t>(s.cands[c]), rb.min_x, rb.min_y, rb.max_x, rb.max_y)) {
            hint = s.cands[c];
            whole = true;
          }
        for (std::size_t k = run; k < run_end; ++k) {
          std::size_t i0 = k, i1 = (k + 1) % m;
          if (reverse) std::swap(i0, i1);
          const double ax = rx[i0] - ox, ay = ry[i0] - oy, bx = rx[i1] - ox, by = ry[i1] - oy;
          if (whole) {
            add(Piece{ax, ay, bx, by});
            continue;
          }
          cover_segment(d, shared, s.cands, ax, ay, bx, by, no_skip, hint, s.iv);
          for (const auto& [t0, t1] : s.iv) {
            if (!(t1 > t0)) continue;
            double x0, y0, x1, y1;
            point_at(ax, ay, bx, by, t0, x0, y0);
            point_at(ax, ay, bx, by, t1, x1, y1);
            add(Piece{x0, y0, x1, y1});
          }
        }
      }
    }
  for (const Piece& q : union_pieces[g]) add(q);
}

void check_disc_input(const GeometryArray& zones, std::span<const double> px, std::span<const double> py,
                      std::span<const double> radii, const DiscCoverageOptions& o) {
  if (zones.kind != GeometryKind::Polygon) throw InvalidInputError("zones must be polygons");
  if (px.size() != py.size()) throw InvalidInputError("facility x and y differ in length");
  if (o.quadrant_segments < 0)
    throw InvalidInputError("quadrant_segments must be 0 (true circles) or at least 1 (polygons)");
  for (double r : radii)
    if (!(r > 0.0) || !std::isfinite(r)) throw InvalidInputError("radius must be positive and finite");
  if (zones.size() >= (std::size_t{1} << 31)) throw InvalidInputError("too many zones");
}

// Shared driver: per radius, ∂U pieces, then per zone the boundary of zone ∩ U fed to `per_zone`.
template <class PerZone>
void disc_driver(const GeometryArray& zones, std::span<const double> px, std::span<const double> py,
                 std::span<const double> radii, const DiscCoverageOptions& o, Monitor& monitor, PerZone&& per_zone) {
  std::vector<Box> boxes(zones.size());
  Box zb;
  for (std::size_t g = 0; g < zones.size(); ++g) {
    boxes[g] = bounds(zones, g);
    zb.expand(boxes[g]);
  }
  if (zb.is_empty()) return;
  const double ox = zb.min_x, oy = zb.min_y;
  for (Box& b : boxes)
    if (!b.is_empty()) b = Box{b.min_x - ox, b.min_y - oy, b.max_x - ox, b.max_y - oy};
  const unsigned threads = thread_count(o.threads);
  std::vector<Discs> discs(radii.size());
  for (std::size_t j = 0; j < radii.size(); ++j) discs[j].build(px, py, radii[j], o.quadrant_segments, ox, oy, zb);
  // Only zones some disc reaches take part (their edges split ∂U and locate its pieces): a
  // piece of ∂U lies within r of a centre, so any zone holding it is one of them.
  std::vector<char> reached(zones.size(), 0);
  for (std::size_t g = 0; g < zones.size(); ++g)
    for (std::size_t j = 0; j < radii.size() && !reached[g]; ++j)
      reached[g] = !boxes[g].is_empty() &&
                   discs[j].reaches_box(boxes[g].min_x, boxes[g].min_y, boxes[g].max_x, boxes[g].max_y);
  ZoneEdges edges;
  edges.build(zones, ox, oy, reached, threads);
  // ∂U of every radius first (parallel over discs), then every (radius, zone) pair in one
  // parallel loop, the zones with most vertices first so that the two cores finish together.
  std::vector<std::vector<std::vector<Piece>>> by_zone(radii.size());
  for (std::size_t j = 0; j < radii.size(); ++j) {
    monitor.report("disc coverage", j, 2 * radii.size());
    std::vector<std::vector<std::pair<std::int32_t, Piece>>> pieces;
    boundary_of_union(discs[j], edges, threads, monitor, pieces);
    by_zone[j].resize(zones.size());
    for (const auto& v : pieces)
      for (const auto& [z, q] : v) by_zone[j][static_cast<std::size_t>(z)].push_back(q);
  }
  monitor.report("disc coverage", radii.size(), 2 * radii.size());
  std::vector<std::size_t> order(zones.size());
  for (std::size_t g = 0; g < order.size(); ++g) order[g] = g;
  auto vertices = [&](std::size_t g) {
    const auto r0 = zones.part_offsets[static_cast<std::size_t>(zones.geom_offsets[g])];
    const auto r1 = zones.part_offsets[static_cast<std::size_t>(zones.geom_offsets[g + 1])];
    return zones.ring_offsets[static_cast<std::size_t>(r1)] - zones.ring_offsets[static_cast<std::size_t>(r0)];
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return vertices(a) > vertices(b); });
  std::vector<DiscScratch> scratch(std::max(1u, threads));
  const std::size_t n_zones = zones.size();
  parallel_for(
      radii.size() * n_zones, threads,
      [&](std::size_t job, unsigned w) {
        if (monitor.cancelled()) throw CancelledError("computation cancelled");
        const std::size_t g = order[job % n_zones], j = job / n_zones;
        per_zone(j, g, w, [&](auto&& add) {
          zone_boundary(zones, g, boxes[g], ox, oy, discs[j], by_zone[j], scratch[w], add);
        });
      },
      1);
  monitor.report("disc coverage", 2 * radii.size(), 2 * radii.size());
}

}  // namespace
}  // namespace detail

std::vector<double> disc_union_areas(const GeometryArray& zones, std::span<const double> px,
                                     std::span<const double> py, std::span<const double> radii,
                                     const DiscCoverageOptions& options, Monitor& monitor) {
  detail::check_disc_input(zones, px, py, radii, options);
  const std::size_t n = zones.size();
  std::vector<double> out(radii.size() * n, 0.0);
  detail::disc_driver(zones, px, py, radii, options, monitor, [&](std::size_t j, std::size_t g, unsigned, auto walk) {
    // Green's theorem, x taken relative to the first piece to keep precision.
    double s = 0.0, x_ref = 0.0;
    bool first = true;
    walk([&](const detail::Piece& q) {
      if (first) {
        x_ref = q.x0;
        first = false;
      }
      // The chord, plus for an arc the circular segment between chord and arc (inside the
      // region, which lies left of the counter-clockwise arc).
      s += (0.5 * (q.x0 + q.x1) - x_ref) * (q.y1 - q.y0);
      if (q.dt > 0.0) s += circular_segment_area(q.r, q.dt);
    });
    out[j * n + g] = std::max(0.0, s);
  });
  return out;
}

std::vector<double> disc_union_zonal_sums(const GridSpec& grid, std::span<const double> values,
                                          const GeometryArray& zones, std::span<const double> px,
                                          std::span<const double> py, std::span<const double> radii, bool has_nodata,
                                          double nodata, const DiscCoverageOptions& options, Monitor& monitor) {
  detail::check_disc_input(zones, px, py, radii, options);
  validate_grid(grid);
  if (values.size() != grid.cell_count()) throw InvalidInputError("raster values do not match the grid");
  const std::size_t n = zones.size();
  std::vector<double> out(radii.size() * n, 0.0);
  const Box zb = bounds(zones);
  const double ox = zb.min_x, oy = zb.min_y;
  std::vector<std::unique_ptr<CellCoverageAccumulator>> accs(std::max(1u, thread_count(options.threads)));
  std::vector<std::vector<detail::Piece>> piece_buffers(accs.size());
  detail::disc_driver(zones, px, py, radii, options, monitor,
                      [&](std::size_t j, std::size_t g, unsigned w, auto walk) {
                        if (zones.empty(g)) return;
                        // The window is the box of zone ∩ U's boundary, usually much smaller than the zone's.
                        std::vector<detail::Piece>& pieces = piece_buffers[w];
                        pieces.clear();
                        Box box;
                        walk([&](const detail::Piece& q) {
                          pieces.push_back(q);
                          box.expand(q.x0 + ox, q.y0 + oy);
                          box.expand(q.x1 + ox, q.y1 + oy);
                          if (q.dt > 0.0) {
                            const Box ab = arc_box(q.cx, q.cy, q.r, q.t0, q.t0 + q.dt);
                            box.expand(ab.min_x + ox, ab.min_y + oy);
                            box.expand(ab.max_x + ox, ab.max_y + oy);
                          }
                        });
                        if (pieces.empty()) return;
                        if (!accs[w]) accs[w] = std::make_unique<CellCoverageAccumulator>(grid, box);
                        CellCoverageAccumulator& acc = *accs[w];
                        acc.reset(box);
                        for (const auto& q : pieces) {
                          if (q.dt > 0.0)  // exact: the arc is split at grid lines, each part adds its segment
                            acc.add_arc(q.x0 + ox, q.y0 + oy, q.x1 + ox, q.y1 + oy, q.cx + ox, q.cy + oy, q.r, q.t0,
                                        q.dt);
                          else
                            acc.add_segment(q.x0 + ox, q.y0 + oy, q.x1 + ox, q.y1 + oy);
                        }
                        double sum = 0.0;
                        acc.visit([&](std::size_t row, std::size_t c0, std::span<const double> f) {
                          sum += weighted_row_sum(values.data() + row * grid.cols + c0, f, has_nodata, nodata).sum;
                        });
                        out[j * n + g] = sum;
                      });
  return out;
}

}  // namespace jangkau
