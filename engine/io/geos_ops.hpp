#pragma once
// Geometry operations through the reentrant GEOS C API. If you include this file you
// need to link GEOS (jangkau::io does).

#include <geos_c.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/geometry.hpp"

namespace jangkau {

/// RAII owner of a GEOS context handle. One per thread; not shareable between threads.
class GeosContext {
 public:
  GeosContext();
  ~GeosContext();
  GeosContext(const GeosContext&) = delete;
  GeosContext& operator=(const GeosContext&) = delete;
  GEOSContextHandle_t handle() const noexcept { return m_handle; }
  /// The last error or notice GEOS reported on this context.
  const std::string& last_message() const noexcept { return m_message; }

 private:
  GEOSContextHandle_t m_handle;
  std::string m_message;
};

/// Deleter for GEOS geometries created on a given context.
struct GeosDeleter {
  GEOSContextHandle_t handle = nullptr;
  void operator()(GEOSGeometry* g) const noexcept {
    if (g) GEOSGeom_destroy_r(handle, g);
  }
};
using GeosPtr = std::unique_ptr<GEOSGeometry, GeosDeleter>;

/// Wraps a raw GEOS result; throws GeometryError with `what` if it is null.
GeosPtr geos_check(const GeosContext& ctx, GEOSGeometry* g, const char* what);

/// Builds geometry g of `a` as a GEOS Multi* geometry (empty collection for an empty geometry).
GeosPtr to_geos(const GeosContext& ctx, const GeometryArray& a, std::size_t g);
/// Appends a GEOS geometry to `out` (its dimension must match out.kind; collections are
/// flattened, lower-dimension members are dropped). Returns false if nothing of the right
/// dimension was found (an empty geometry is appended then).
bool append_geos(const GeosContext& ctx, const GEOSGeometry* geom, GeometryArray& out);

/// What validity checking found and did for one feature.
struct RepairRecord {
  std::int64_t feature = -1;
  std::string reason;        ///< GEOS's reason (e.g. "Self-intersection[x y]"), or "empty"
  std::string action;        ///< "repaired (MakeValid)", "dropped (empty)" ...
  double area_before = 0.0;  ///< planar area before repair (coordinate units²)
  double area_after = 0.0;   ///< planar area after repair
};

/// Options for validate_polygons.
struct ValidateOptions {
  bool repair = true;        ///< DEFAULT: true — repair invalid polygons with GEOSMakeValid
  bool allow_empty = false;  ///< DEFAULT: false — an empty geometry is an error
};

/// Checks every polygon of `a`; repairs invalid ones in place (MakeValid, keeping the
/// polygonal part) and returns one record per problem found. Throws GeometryError naming
/// `file` and the feature if a geometry is invalid and repair is off, or empty when not allowed.
std::vector<RepairRecord> validate_polygons(GeometryArray& a, const ValidateOptions& options,
                                            const std::string& file);

/// Dissolves polygons by group: result geometry k is the union of all features with
/// group[i] == k (groups are 0..n_groups-1). Runs groups in parallel (one GEOS context per
/// worker). Every output polygon is valid.
GeometryArray dissolve(const GeometryArray& a, std::span<const std::int64_t> group, std::size_t n_groups,
                       int threads = 0);

/// Union of all geometries of `a` as one geometry (polygons) — an array of size 1.
GeometryArray unary_union(const GeometryArray& a);

/// Buffers every geometry by `distance` (coordinate units) with `quadrant_segments`
/// segments per quarter circle (GEOS/shapely default 8).
GeometryArray buffer(const GeometryArray& a, double distance, int quadrant_segments = 8);

/// Intersection of geometry i of `a` with geometry j of `b` (polygons), appended to `out`.
void intersection(const GeosContext& ctx, const GeometryArray& a, std::size_t i, const GeometryArray& b,
                  std::size_t j, GeometryArray& out);

/// True if every geometry of `a` is valid according to GEOS.
std::vector<bool> is_valid(const GeometryArray& a);

}  // namespace jangkau
