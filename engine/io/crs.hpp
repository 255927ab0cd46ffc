#pragma once
// Coordinate reference systems and transformations through PROJ. If you include this
// file you need to link PROJ (jangkau::io does).

#include <span>
#include <string>

#include "core/geometry.hpp"

struct pj_ctx;
struct PJconsts;

namespace jangkau {

/// A validated CRS definition. `definition` is whatever PROJ accepts ("EPSG:32748",
/// WKT, PROJJSON); `authority` is "AUTH:CODE" when PROJ can identify one, else empty.
struct Crs {
  std::string definition;
  std::string authority;
  std::string name;
  bool is_geographic = false;

  /// Parses and validates a definition. Throws CrsError (naming `file` if given) when PROJ
  /// cannot interpret it.
  static Crs from_user_input(const std::string& definition, const std::string& file = {});
  /// The best short identifier: the authority code if known, else the definition.
  const std::string& id() const noexcept { return authority.empty() ? definition : authority; }
  /// True if both describe the same CRS (PROJ equivalence, ignoring axis order metadata).
  bool equivalent(const Crs& other) const;
};

/// Transforms coordinate arrays between two CRSs, always in traditional GIS order
/// (longitude/easting first). Not thread-safe: use one Transformer per thread.
class Transformer {
 public:
  Transformer(const Crs& source, const Crs& target);
  ~Transformer();
  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;

  /// Transforms x/y in place, all at once (proj_trans_generic). Throws CrsError if any
  /// coordinate fails to transform (non-finite result), naming the first bad index.
  void transform(std::span<double> x, std::span<double> y) const;
  /// Transforms every coordinate of a geometry array in place.
  void transform(GeometryArray& a) const { transform(a.x, a.y); }
  bool is_noop() const noexcept { return m_noop; }

 private:
  pj_ctx* m_ctx = nullptr;
  PJconsts* m_pj = nullptr;
  bool m_noop = false;
  mutable std::string m_messages;  // PROJ's diagnostics for this context (never printed to stderr)
};

/// EPSG code string of the WGS84 UTM zone containing (lon, lat), e.g. "EPSG:32748" for
/// Serang (106.1°E, 6.1°S): zone ⌊(lon + 180)/6⌋ + 1, a zone edge (e.g. 108°E) in the zone east
/// of it, 180°E in zone 60; north (326zz) for lat ≥ 0, south (327zz) below. Throws
/// InvalidInputError for non-finite input or outside −180…180°E, 80°S…84°N.
std::string utm_crs_for(double lon, double lat);

}  // namespace jangkau
