#pragma once
// A uniform bucket grid over a box (the spatial support of the disc-union coverage in
// coverage.cpp): items registered in every bucket their bounding box covers, queried by box.
// Chosen over an R-tree there because the items (zone edges, disc polygon edges) are short and
// evenly spread, so one bucket lookup per query replaces a tree descent.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "geometry.hpp"
#include "parallel.hpp"

namespace jangkau::detail {

// A uniform bucket grid over a box; items are registered in every bucket their bbox covers.
struct Buckets {
  double x0 = 0.0, y0 = 0.0, size = 1.0, inv = 1.0;
  std::int64_t nx = 1, ny = 1;
  std::vector<std::int64_t> start;
  std::vector<std::int32_t> ids;

  void init(const Box& b, double size_hint, double max_side) {
    x0 = b.min_x;
    y0 = b.min_y;
    const double w = std::max(b.max_x - b.min_x, 1e-9), h = std::max(b.max_y - b.min_y, 1e-9);
    size = std::max({size_hint, w / max_side, h / max_side, 1e-9});
    inv = 1.0 / size;
    nx = static_cast<std::int64_t>(std::floor(w * inv)) + 1;
    ny = static_cast<std::int64_t>(std::floor(h * inv)) + 1;
  }
  // Bucket column of x, clamped to the grid (truncation equals floor once f ≥ 0; std::floor is
  // a libm call on baseline x86-64 and dominated building the grid).
  std::int64_t ix(double x) const {
    const double f = (x - x0) * inv;
    if (!(f >= 0.0)) return 0;
    return f >= static_cast<double>(nx) ? nx - 1 : static_cast<std::int64_t>(f);
  }
  std::int64_t iy(double y) const {
    const double f = (y - y0) * inv;
    if (!(f >= 0.0)) return 0;
    return f >= static_cast<double>(ny) ? ny - 1 : static_cast<std::int64_t>(f);
  }
  // Registers items [0, n) by their boxes. With threads > 1 the items are split into contiguous
  // ranges counted and filled in parallel; each bucket still lists its items in increasing
  // order, exactly as one thread would.
  template <class BoxOf>
  void build(std::size_t n, BoxOf box_of, unsigned threads = 1) {
    const std::size_t nb = static_cast<std::size_t>(nx * ny);
    const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(threads, n / 4096));
    auto range = [&](std::size_t t) { return std::pair{n * t / parts, n * (t + 1) / parts}; };
    auto for_buckets = [&](std::size_t i, auto&& f) {
      const Box b = box_of(i);
      if (b.is_empty()) return;
      const auto xa = ix(b.min_x), xb = ix(b.max_x), ya = iy(b.min_y), yb = iy(b.max_y);
      for (auto y = ya; y <= yb; ++y)
        for (auto x = xa; x <= xb; ++x) f(static_cast<std::size_t>(y * nx + x));
    };
    std::vector<std::vector<std::int64_t>> count(parts, std::vector<std::int64_t>(nb, 0));
    parallel_for(
        parts, static_cast<unsigned>(parts),
        [&](std::size_t t, unsigned) {
          auto& c = count[t];
          const auto [lo, hi] = range(t);
          for (std::size_t i = lo; i < hi; ++i) for_buckets(i, [&](std::size_t k) { ++c[k]; });
        },
        1);
    start.assign(nb + 1, 0);
    for (std::size_t k = 0; k < nb; ++k) {
      std::int64_t at = start[k];
      for (std::size_t t = 0; t < parts; ++t) {  // count[t][k] becomes thread t's fill position
        const std::int64_t c = count[t][k];
        count[t][k] = at;
        at += c;
      }
      start[k + 1] = at;
    }
    ids.resize(static_cast<std::size_t>(start[nb]));
    parallel_for(
        parts, static_cast<unsigned>(parts),
        [&](std::size_t t, unsigned) {
          auto& fill = count[t];
          const auto [lo, hi] = range(t);
          for (std::size_t i = lo; i < hi; ++i)
            for_buckets(i, [&](std::size_t k) {
              ids[static_cast<std::size_t>(fill[k]++)] = static_cast<std::int32_t>(i);
            });
        },
        1);
  }
  // Like for_each, but visits the bucket of (cx, cy) first and stops as soon as f returns true.
  template <class F>
  void for_each_until(double xmin, double ymin, double xmax, double ymax, double cx, double cy, F&& f) const {
    const auto bx = ix(cx), by = iy(cy);
    auto visit = [&](std::int64_t x, std::int64_t y) {
      const auto b = static_cast<std::size_t>(y * nx + x);
      for (auto k = start[b]; k < start[b + 1]; ++k)
        if (f(ids[static_cast<std::size_t>(k)])) return true;
      return false;
    };
    if (visit(bx, by)) return;
    const auto xa = ix(xmin), xb = ix(xmax), ya = iy(ymin), yb = iy(ymax);
    for (auto y = ya; y <= yb; ++y)
      for (auto x = xa; x <= xb; ++x)
        if (!(x == bx && y == by) && visit(x, y)) return;
  }
  template <class F>
  void for_each(double xmin, double ymin, double xmax, double ymax, F&& f) const {
    const auto xa = ix(xmin), xb = ix(xmax), ya = iy(ymin), yb = iy(ymax);
    for (auto y = ya; y <= yb; ++y)
      for (auto x = xa; x <= xb; ++x) {
        const auto b = static_cast<std::size_t>(y * nx + x);
        for (auto k = start[b]; k < start[b + 1]; ++k) f(ids[static_cast<std::size_t>(k)]);
      }
  }
};

inline Box seg_box(double ax, double ay, double bx, double by) {
  // min/max rather than Box::expand's branches: segment directions are unpredictable.
  return Box{std::min(ax, bx), std::min(ay, by), std::max(ax, bx), std::max(ay, by)};
}

}  // namespace jangkau::detail
