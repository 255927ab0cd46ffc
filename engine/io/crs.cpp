#include "crs.hpp"

#include <proj.h>

#include <cmath>
#include <string>

#include "core/error.hpp"

namespace jangkau {

namespace {
// PROJ's own diagnostics ("proj_create: crs not found") would go straight to stderr (its
// default logger), before and apart from jangkau's error. Every context gets this logger
// instead: the messages are collected and become part of the typed error that follows.
extern "C" void collect_proj_message(void* data, int, const char* message) {
  auto* text = static_cast<std::string*>(data);
  if (!text || !message) return;
  if (!text->empty()) *text += "; ";
  *text += message;
}

void route_proj_messages(PJ_CONTEXT* ctx, std::string* sink) { proj_log_func(ctx, sink, collect_proj_message); }

// " (PROJ: …)" when PROJ said something, else "".
std::string proj_says(const std::string& messages) {
  return messages.empty() ? std::string() : " (PROJ: " + messages + ")";
}

struct ContextGuard {
  std::string messages;
  PJ_CONTEXT* ctx = proj_context_create();
  ContextGuard() { route_proj_messages(ctx, &messages); }
  ~ContextGuard() { proj_context_destroy(ctx); }
  ContextGuard(const ContextGuard&) = delete;
  ContextGuard& operator=(const ContextGuard&) = delete;
};
struct PjGuard {
  PJ* pj = nullptr;
  ~PjGuard() {
    if (pj) proj_destroy(pj);
  }
};
}  // namespace

Crs Crs::from_user_input(const std::string& definition, const std::string& file) {
  if (definition.empty()) throw CrsError("no coordinate reference system given", {file, -1, ""});
  ContextGuard c;
  PjGuard p{proj_create(c.ctx, definition.c_str())};
  if (!p.pj)
    throw CrsError("unknown coordinate reference system '" + definition + "'" + proj_says(c.messages),
                   {file, -1, ""});
  auto type = proj_get_type(p.pj);
  bool is_crs = type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS ||
                type == PJ_TYPE_PROJECTED_CRS || type == PJ_TYPE_COMPOUND_CRS || type == PJ_TYPE_GEOCENTRIC_CRS ||
                type == PJ_TYPE_BOUND_CRS || type == PJ_TYPE_OTHER_CRS || type == PJ_TYPE_ENGINEERING_CRS;
  if (!is_crs) throw CrsError("'" + definition + "' is not a coordinate reference system", {file, -1, ""});
  Crs crs;
  crs.definition = definition;
  crs.is_geographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS;
  if (const char* name = proj_get_name(p.pj)) crs.name = name;
  const char* auth = proj_get_id_auth_name(p.pj, 0);
  const char* code = proj_get_id_code(p.pj, 0);
  if (auth && code) {
    crs.authority = std::string(auth) + ":" + code;
  } else {
    // Identify e.g. a WKT without an ID; accept only a 100% match.
    int* confidence = nullptr;
    PJ_OBJ_LIST* list = proj_identify(c.ctx, p.pj, nullptr, nullptr, &confidence);
    if (list && proj_list_get_count(list) > 0 && confidence && confidence[0] >= 90) {
      PjGuard best{proj_list_get(c.ctx, list, 0)};
      const char* a = proj_get_id_auth_name(best.pj, 0);
      const char* k = proj_get_id_code(best.pj, 0);
      if (a && k) crs.authority = std::string(a) + ":" + k;
    }
    if (list) proj_list_destroy(list);
    if (confidence) proj_int_list_destroy(confidence);
  }
  // OGC:CRS84 is EPSG:4326 with lon/lat order; treat both as WGS84 geographic.
  return crs;
}

bool Crs::equivalent(const Crs& other) const {
  if (!authority.empty() && authority == other.authority) return true;
  ContextGuard c;
  PjGuard a{proj_create(c.ctx, definition.c_str())};
  PjGuard b{proj_create(c.ctx, other.definition.c_str())};
  if (!a.pj || !b.pj) return false;
  return proj_is_equivalent_to(a.pj, b.pj, PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS) != 0;
}

Transformer::Transformer(const Crs& source, const Crs& target) {
  m_noop = source.equivalent(target);
  m_ctx = proj_context_create();
  route_proj_messages(m_ctx, &m_messages);
  PJ* raw = proj_create_crs_to_crs(m_ctx, source.definition.c_str(), target.definition.c_str(), nullptr);
  if (!raw) {
    proj_context_destroy(m_ctx);
    throw CrsError("no transformation from '" + source.id() + "' to '" + target.id() + "'" + proj_says(m_messages));
  }
  m_pj = proj_normalize_for_visualization(m_ctx, raw);
  proj_destroy(raw);
  if (!m_pj) {
    proj_context_destroy(m_ctx);
    throw CrsError("cannot normalise the transformation from '" + source.id() + "' to '" + target.id() + "'");
  }
}

Transformer::~Transformer() {
  if (m_pj) proj_destroy(m_pj);
  if (m_ctx) proj_context_destroy(m_ctx);
}

void Transformer::transform(std::span<double> x, std::span<double> y) const {
  if (x.size() != y.size()) throw InvalidInputError("transform: x and y differ in length");
  if (m_noop || x.empty()) return;
  proj_trans_generic(m_pj, PJ_FWD, x.data(), sizeof(double), x.size(), y.data(), sizeof(double), y.size(), nullptr, 0,
                     0, nullptr, 0, 0);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
      throw CrsError("coordinate " + std::to_string(i) + " (" + std::to_string(x[i]) + ", " + std::to_string(y[i]) +
                         ") could not be transformed" + proj_says(m_messages),
                     {"", static_cast<std::int64_t>(i), ""});
}

std::string utm_crs_for(double lon, double lat) {
  if (!std::isfinite(lon) || !std::isfinite(lat) || lon < -180 || lon > 180 || lat < -80 || lat > 84)
    throw InvalidInputError("no UTM zone for lon " + std::to_string(lon) + ", lat " + std::to_string(lat));
  // (lon + 180) / 6 rounds up to the next integer for a longitude an ulp west of a zone edge
  // (108 − 2⁻⁴⁶ gave zone 49): correct against the edges, which are exact integers.
  int zone = static_cast<int>(std::floor((lon + 180.0) / 6.0)) + 1;
  if (lon < -180.0 + 6.0 * (zone - 1)) --zone;
  if (zone > 60) zone = 60;
  return "EPSG:" + std::to_string((lat >= 0 ? 32600 : 32700) + zone);
}

}  // namespace jangkau
