#include "overlay.hpp"

#include <geos_c.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "io/geos_ops.hpp"

namespace jangkau {

namespace {

void require_polygons(const GeometryArray& a, const char* what) {
  if (a.kind != GeometryKind::Polygon) throw InvalidInputError(std::string(what) + " must be polygons");
}

struct PreparedDeleter {
  GEOSContextHandle_t handle = nullptr;
  void operator()(const GEOSPreparedGeometry* p) const noexcept {
    if (p) GEOSPreparedGeom_destroy_r(handle, p);
  }
};

// Per-worker GEOS state: a context and `cover` built and prepared on it (GEOS objects must
// not be shared between contexts used by different threads).
struct Worker {
  GeosContext ctx;
  GeosPtr cover;
  std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter> prepared;
  explicit Worker(const GeometryArray& c) {
    cover = to_geos(ctx, c, 0);
    prepared = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>(GEOSPrepare_r(ctx.handle(), cover.get()),
                                                                            PreparedDeleter{ctx.handle()});
  }
};

enum class Op { Intersection, Difference };

// Runs `fn(worker, zone_geos, k)` for every zone in parallel with per-worker GEOS state.
template <class Fn>
void for_each_zone(const GeometryArray& zones, const GeometryArray& cover, const OverlayOptions& options,
                   Monitor& monitor, const char* stage, Fn&& fn) {
  require_polygons(zones, "zones");
  require_polygons(cover, "cover");
  if (cover.size() != 1) throw InvalidInputError("cover must hold exactly one geometry");
  const std::size_t n = zones.size();
  const unsigned threads = thread_count(options.threads);
  std::vector<std::unique_ptr<Worker>> workers(threads);
  std::atomic<std::size_t> done{0};
  monitor.report(stage, 0, n);
  parallel_for(
      n, threads,
      [&](std::size_t k, unsigned w) {
        if (monitor.cancelled()) throw CancelledError("computation cancelled");
        if (!workers[w]) workers[w] = std::make_unique<Worker>(cover);
        Worker& wk = *workers[w];
        GeosPtr zone = to_geos(wk.ctx, zones, k);
        fn(wk, zone, k);
        const std::size_t d = done.fetch_add(1) + 1;
        if (w == 0) monitor.report(stage, d, n);
      },
      1);
  monitor.report(stage, n, n);
}

GeometryArray overlay(const GeometryArray& zones, const GeometryArray& cover, const OverlayOptions& options,
                      Monitor& monitor, Op op) {
  std::vector<GeometryArray> parts(zones.size());
  const bool cover_empty = cover.size() == 1 && cover.empty(0);
  for_each_zone(zones, cover, options, monitor, op == Op::Intersection ? "intersection" : "difference",
                [&](Worker& wk, GeosPtr& zone, std::size_t k) {
                  GeometryArray& out = parts[k];
                  out.kind = GeometryKind::Polygon;
                  auto h = wk.ctx.handle();
                  const bool meets = !cover_empty && GEOSPreparedIntersects_r(h, wk.prepared.get(), zone.get()) == 1;
                  const bool inside = meets && GEOSPreparedContains_r(h, wk.prepared.get(), zone.get()) == 1;
                  if (op == Op::Intersection) {
                    if (!meets) {
                      out.end_geometry();
                    } else if (inside) {
                      out.append_from(zones, k);
                    } else {
                      auto r = geos_check(wk.ctx, GEOSIntersection_r(h, zone.get(), wk.cover.get()), "Intersection");
                      append_geos(wk.ctx, r.get(), out);
                    }
                  } else {
                    if (!meets) {
                      out.append_from(zones, k);
                    } else if (inside) {
                      out.end_geometry();
                    } else {
                      auto r = geos_check(wk.ctx, GEOSDifference_r(h, zone.get(), wk.cover.get()), "Difference");
                      append_geos(wk.ctx, r.get(), out);
                    }
                  }
                });
  GeometryArray out;
  out.kind = GeometryKind::Polygon;
  for (auto& p : parts) {
    out.append_from(p, 0);
    p = GeometryArray();  // free as we go
  }
  return out;
}

}  // namespace

GeometryArray buffer_union(const GeometryArray& points, double radius, const OverlayOptions& options) {
  if (points.kind != GeometryKind::Point) throw InvalidInputError("facilities must be points");
  if (!(radius > 0.0) || !std::isfinite(radius)) throw InvalidInputError("radius must be positive and finite");
  if (options.quadrant_segments < 1) throw InvalidInputError("quadrant_segments must be at least 1");
  GeosContext ctx;
  auto h = ctx.handle();
  std::vector<GEOSGeometry*> discs;
  try {
    for (std::size_t g = 0; g < points.size(); ++g) {
      for (auto p = points.geom_offsets[g]; p < points.geom_offsets[g + 1]; ++p) {
        const auto c = points.ring_offsets[points.part_offsets[p]];
        const double x = points.x[static_cast<std::size_t>(c)], y = points.y[static_cast<std::size_t>(c)];
        if (!std::isfinite(x) || !std::isfinite(y))
          throw GeometryError("facility point has non-finite coordinates", {"", static_cast<std::int64_t>(g), ""});
        GeosPtr pt = geos_check(ctx, GEOSGeom_createPointFromXY_r(h, x, y), "Point");
        discs.push_back(GEOSBuffer_r(h, pt.get(), radius, options.quadrant_segments));
        if (!discs.back()) throw GeometryError("GEOS buffer failed: " + ctx.last_message());
      }
    }
  } catch (...) {
    for (auto* d : discs) GEOSGeom_destroy_r(h, d);
    throw;
  }
  GeometryArray out;
  out.kind = GeometryKind::Polygon;
  if (discs.empty()) {
    out.end_geometry();
    return out;
  }
  // The collection takes ownership of the discs.
  GeosPtr all = geos_check(ctx,
                           GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, discs.data(),
                                                       static_cast<unsigned>(discs.size())),
                           "Collection");
  GeosPtr u = geos_check(ctx, GEOSUnaryUnion_r(h, all.get()), "UnaryUnion");
  append_geos(ctx, u.get(), out);
  return out;
}

GeometryArray intersect_zones(const GeometryArray& zones, const GeometryArray& cover, const OverlayOptions& options,
                              Monitor& monitor) {
  return overlay(zones, cover, options, monitor, Op::Intersection);
}

GeometryArray difference_zones(const GeometryArray& zones, const GeometryArray& cover, const OverlayOptions& options,
                               Monitor& monitor) {
  return overlay(zones, cover, options, monitor, Op::Difference);
}

std::vector<double> intersection_areas(const GeometryArray& zones, const GeometryArray& cover,
                                       const OverlayOptions& options, Monitor& monitor) {
  std::vector<double> out(zones.size(), 0.0);
  const bool cover_empty = cover.size() == 1 && cover.empty(0);
  for_each_zone(zones, cover, options, monitor, "intersection area", [&](Worker& wk, GeosPtr& zone, std::size_t k) {
    auto h = wk.ctx.handle();
    if (cover_empty || GEOSPreparedIntersects_r(h, wk.prepared.get(), zone.get()) != 1) return;
    if (GEOSPreparedContains_r(h, wk.prepared.get(), zone.get()) == 1) {
      out[k] = polygon_area(zones, k);
      return;
    }
    auto r = geos_check(wk.ctx, GEOSIntersection_r(h, zone.get(), wk.cover.get()), "Intersection");
    double a = 0.0;
    if (GEOSArea_r(h, r.get(), &a) != 1)
      throw GeometryError("GEOS area failed", {"", static_cast<std::int64_t>(k), ""});
    out[k] = a;
  });
  return out;
}

}  // namespace jangkau
