#include "geos_ops.hpp"

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace jangkau {

namespace {
void message_handler(const char* message, void* userdata) { *static_cast<std::string*>(userdata) = message; }

GEOSCoordSequence* make_seq(GEOSContextHandle_t h, const GeometryArray& a, std::int64_t r) {
  auto begin = a.ring_offsets[r];
  auto n = static_cast<unsigned>(a.ring_offsets[r + 1] - begin);
  GEOSCoordSequence* seq = GEOSCoordSeq_create_r(h, n, 2);
  for (unsigned i = 0; i < n; ++i) GEOSCoordSeq_setXY_r(h, seq, i, a.x[begin + i], a.y[begin + i]);
  return seq;
}

void append_seq(GEOSContextHandle_t h, const GEOSCoordSequence* seq, GeometryArray& out) {
  unsigned n = 0;
  GEOSCoordSeq_getSize_r(h, seq, &n);
  for (unsigned i = 0; i < n; ++i) {
    double x, y;
    GEOSCoordSeq_getXY_r(h, seq, i, &x, &y);
    out.push_coordinate(x, y);
  }
  out.end_ring();
}

// Appends the parts of a single (non-collection) geometry. Returns parts appended.
int append_parts(GEOSContextHandle_t h, const GEOSGeometry* g, GeometryArray& out) {
  if (GEOSisEmpty_r(h, g)) return 0;
  int type = GEOSGeomTypeId_r(h, g);
  switch (type) {
    case GEOS_POINT:
      if (out.kind != GeometryKind::Point) return 0;
      append_seq(h, GEOSGeom_getCoordSeq_r(h, g), out);
      out.end_part();
      return 1;
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
      if (out.kind != GeometryKind::Line) return 0;
      append_seq(h, GEOSGeom_getCoordSeq_r(h, g), out);
      out.end_part();
      return 1;
    case GEOS_POLYGON: {
      if (out.kind != GeometryKind::Polygon) return 0;
      append_seq(h, GEOSGeom_getCoordSeq_r(h, GEOSGetExteriorRing_r(h, g)), out);
      int holes = GEOSGetNumInteriorRings_r(h, g);
      for (int k = 0; k < holes; ++k) append_seq(h, GEOSGeom_getCoordSeq_r(h, GEOSGetInteriorRingN_r(h, g, k)), out);
      out.end_part();
      return 1;
    }
    default: {
      int n = GEOSGetNumGeometries_r(h, g);
      int count = 0;
      for (int k = 0; k < n; ++k) count += append_parts(h, GEOSGetGeometryN_r(h, g, k), out);
      return count;
    }
  }
}
}  // namespace

GeosContext::GeosContext() : m_handle(GEOS_init_r()) {
  GEOSContext_setErrorMessageHandler_r(m_handle, message_handler, &m_message);
  GEOSContext_setNoticeMessageHandler_r(m_handle, message_handler, &m_message);
}
GeosContext::~GeosContext() { GEOS_finish_r(m_handle); }

GeosPtr geos_check(const GeosContext& ctx, GEOSGeometry* g, const char* what) {
  if (!g) throw GeometryError(std::string("GEOS failed in ") + what + ": " + ctx.last_message());
  return GeosPtr(g, GeosDeleter{ctx.handle()});
}

GeosPtr to_geos(const GeosContext& ctx, const GeometryArray& a, std::size_t g) {
  auto h = ctx.handle();
  std::vector<GEOSGeometry*> parts;
  for (auto p = a.geom_offsets[g]; p < a.geom_offsets[g + 1]; ++p) {
    auto r0 = a.part_offsets[p], r1 = a.part_offsets[p + 1];
    GEOSGeometry* part = nullptr;
    switch (a.kind) {
      case GeometryKind::Point:
        part = GEOSGeom_createPoint_r(h, make_seq(h, a, r0));
        break;
      case GeometryKind::Line:
        part = GEOSGeom_createLineString_r(h, make_seq(h, a, r0));
        break;
      case GeometryKind::Polygon: {
        GEOSGeometry* shell = GEOSGeom_createLinearRing_r(h, make_seq(h, a, r0));
        std::vector<GEOSGeometry*> holes;
        for (auto r = r0 + 1; r < r1; ++r) holes.push_back(GEOSGeom_createLinearRing_r(h, make_seq(h, a, r)));
        part = GEOSGeom_createPolygon_r(h, shell, holes.data(), static_cast<unsigned>(holes.size()));
        break;
      }
    }
    if (!part) {
      for (auto* q : parts) GEOSGeom_destroy_r(h, q);
      throw GeometryError("cannot build geometry: " + ctx.last_message(), {"", static_cast<std::int64_t>(g), ""});
    }
    parts.push_back(part);
  }
  int type = a.kind == GeometryKind::Point  ? GEOS_MULTIPOINT
             : a.kind == GeometryKind::Line ? GEOS_MULTILINESTRING
                                            : GEOS_MULTIPOLYGON;
  return geos_check(ctx, GEOSGeom_createCollection_r(h, type, parts.data(), static_cast<unsigned>(parts.size())),
                    "createCollection");
}

bool append_geos(const GeosContext& ctx, const GEOSGeometry* geom, GeometryArray& out) {
  int n = append_parts(ctx.handle(), geom, out);
  out.end_geometry();
  return n > 0;
}

std::vector<RepairRecord> validate_polygons(GeometryArray& a, const ValidateOptions& options,
                                            const std::string& file) {
  GeosContext ctx;
  auto h = ctx.handle();
  std::vector<RepairRecord> records;
  GeometryArray out;
  out.kind = a.kind;
  bool changed = false;
  for (std::size_t g = 0; g < a.size(); ++g) {
    if (a.empty(g)) {
      if (!options.allow_empty)
        throw GeometryError("empty geometry", {file, static_cast<std::int64_t>(g), "geometry"});
      records.push_back({static_cast<std::int64_t>(g), "empty", "kept (empty)", 0.0, 0.0});
      out.append_from(a, g);
      continue;
    }
    auto geom = to_geos(ctx, a, g);
    char valid = GEOSisValid_r(h, geom.get());
    if (valid == 1) {
      out.append_from(a, g);
      continue;
    }
    char* reason_c = GEOSisValidReason_r(h, geom.get());
    std::string reason = reason_c ? reason_c : "invalid";
    GEOSFree_r(h, reason_c);
    if (!options.repair)
      throw GeometryError("invalid geometry: " + reason, {file, static_cast<std::int64_t>(g), "geometry"});
    double before = polygon_area(a, g);
    auto fixed = geos_check(ctx, GEOSMakeValid_r(h, geom.get()), "MakeValid");
    GeometryArray tmp;
    tmp.kind = a.kind;
    if (!append_geos(ctx, fixed.get(), tmp))
      throw GeometryError("invalid geometry has no polygonal part after repair: " + reason,
                          {file, static_cast<std::int64_t>(g), "geometry"});
    double after = polygon_area(tmp, 0);
    out.append_from(tmp, 0);
    records.push_back({static_cast<std::int64_t>(g), reason, "repaired (MakeValid)", before, after});
    changed = true;
  }
  if (changed) a = std::move(out);
  return records;
}

GeometryArray dissolve(const GeometryArray& a, std::span<const std::int64_t> group, std::size_t n_groups,
                       int threads) {
  if (group.size() != a.size()) throw InvalidInputError("dissolve: group array length differs from geometry count");
  std::vector<std::vector<std::size_t>> members(n_groups);
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (group[i] < 0 || static_cast<std::size_t>(group[i]) >= n_groups)
      throw InvalidInputError("dissolve: group id out of range", {"", static_cast<std::int64_t>(i), ""});
    members[group[i]].push_back(i);
  }
  std::vector<GeometryArray> results(n_groups);
  parallel_for(
      n_groups, thread_count(threads),
      [&](std::size_t k, unsigned) {
        GeosContext ctx;
        auto h = ctx.handle();
        std::vector<GEOSGeometry*> geoms;
        for (auto i : members[k]) geoms.push_back(to_geos(ctx, a, i).release());
        auto coll = geos_check(ctx,
                               GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, geoms.data(),
                                                           static_cast<unsigned>(geoms.size())),
                               "createCollection");
        auto u = geos_check(ctx, GEOSUnaryUnion_r(h, coll.get()), "UnaryUnion");
        // Normalise for determinism of ring order and start points.
        GEOSNormalize_r(h, u.get());
        results[k].kind = a.kind;
        append_geos(ctx, u.get(), results[k]);
      },
      1);
  GeometryArray out;
  out.kind = a.kind;
  for (auto& r : results) out.append_from(r, 0);
  return out;
}

GeometryArray unary_union(const GeometryArray& a) {
  std::vector<std::int64_t> zeros(a.size(), 0);
  return dissolve(a, zeros, 1, 1);
}

GeometryArray buffer(const GeometryArray& a, double distance, int quadrant_segments) {
  GeosContext ctx;
  GeometryArray out;
  out.kind = GeometryKind::Polygon;
  for (std::size_t g = 0; g < a.size(); ++g) {
    auto geom = to_geos(ctx, a, g);
    auto b = geos_check(ctx, GEOSBuffer_r(ctx.handle(), geom.get(), distance, quadrant_segments), "Buffer");
    append_geos(ctx, b.get(), out);
  }
  return out;
}

void intersection(const GeosContext& ctx, const GeometryArray& a, std::size_t i, const GeometryArray& b,
                  std::size_t j, GeometryArray& out) {
  auto ga = to_geos(ctx, a, i);
  auto gb = to_geos(ctx, b, j);
  auto r = geos_check(ctx, GEOSIntersection_r(ctx.handle(), ga.get(), gb.get()), "Intersection");
  append_geos(ctx, r.get(), out);
}

std::vector<bool> is_valid(const GeometryArray& a) {
  GeosContext ctx;
  std::vector<bool> out(a.size());
  for (std::size_t g = 0; g < a.size(); ++g) out[g] = GEOSisValid_r(ctx.handle(), to_geos(ctx, a, g).get()) == 1;
  return out;
}

}  // namespace jangkau
