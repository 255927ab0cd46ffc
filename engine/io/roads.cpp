#include "roads.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include "core/error.hpp"
#include "io/crs.hpp"
#include "io/vector.hpp"

namespace jangkau {

namespace detail {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string lower_trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  std::string out;
  out.reserve(e - b);
  for (std::size_t i = b; i < e; ++i) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[i]))));
  return out;
}

// Splits one CSV line into fields; double quotes group, "" inside quotes is a quote.
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back().push_back(c);
    }
  }
  return out;
}

// GDAL's OSM driver writes the tags without a column of their own as an hstore string:
// "key"=>"value","key2"=>"value2" with \" and \\ escaped inside the quotes.
std::map<std::string, std::string> parse_hstore(std::string_view s) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  auto read_quoted = [&](std::string& dst) -> bool {
    while (i < s.size() && s[i] != '"') ++i;
    if (i >= s.size()) return false;
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      dst.push_back(s[i++]);
    }
    if (i >= s.size()) return false;
    ++i;
    return true;
  };
  while (i < s.size()) {
    std::string key, value;
    if (!read_quoted(key)) break;
    const auto arrow = s.find("=>", i);
    if (arrow == std::string_view::npos) break;
    i = arrow + 2;
    if (!read_quoted(value)) break;
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

// OSM maxspeed: a number, optionally followed by a unit; "60;80" takes the first value.
double parse_maxspeed_kmh(std::string_view raw) {
  std::string v = lower_trim(raw.substr(0, raw.find(';')));
  if (v.empty()) return kNaN;
  char* end = nullptr;
  const double number = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || !std::isfinite(number) || number <= 0.0) return kNaN;
  const std::string unit = lower_trim(end);
  if (unit.empty() || unit == "km/h" || unit == "kmh" || unit == "kph") return number;
  if (unit == "mph") return number * 1.609344;
  if (unit == "knots") return number * 1.852;
  return kNaN;
}

std::optional<Oneway> parse_oneway(std::string_view raw) {
  const std::string v = lower_trim(raw);
  if (v == "yes" || v == "true" || v == "1") return Oneway::Forward;
  if (v == "-1" || v == "reverse") return Oneway::Backward;
  if (v == "no" || v == "false" || v == "0") return Oneway::No;
  return std::nullopt;
}

// Motor-vehicle access of an OSM way from the access hierarchy, most specific tag first:
// motorcycle, motor_vehicle, vehicle, access (motorcycles are the commonest vehicle in
// Indonesia, so a motorcycle=yes opens a way closed to cars). Only the first value of a list
// ("no;destination") counts; conditional tags are ignored. false = closed to the public:
// no, private, agricultural or forestry.
bool motor_access(const std::string& motorcycle, const std::string& motor_vehicle, const std::string& vehicle,
                  const std::string& access) {
  for (const std::string* raw : {&motorcycle, &motor_vehicle, &vehicle, &access}) {
    const std::string v = lower_trim(std::string_view(*raw).substr(0, raw->find(';')));
    if (v.empty()) continue;
    return !(v == "no" || v == "private" || v == "agricultural" || v == "forestry");
  }
  return true;
}

const Field* find_field(const VectorLayer& layer, const std::string& name) {
  for (const auto& f : layer.fields)
    if (f.name == name) return &f;
  return nullptr;
}

std::string field_string(const Field& f, std::size_t i) {
  if (f.valid[i] == 0) return {};
  switch (f.type) {
    case FieldType::String:
      return f.strings[i];
    case FieldType::Integer:
      return std::to_string(f.integers[i]);
    case FieldType::Real: {
      std::ostringstream os;
      os << f.reals[i];
      return os.str();
    }
  }
  return {};
}

// Centre of the lon/lat bounding box of `geometry` in CRS `crs` (for choosing a UTM zone).
void lonlat_centre(const GeometryArray& geometry, const Crs& crs, double& lon, double& lat) {
  const Box b = bounds(geometry);
  if (b.is_empty()) throw InvalidInputError("no coordinates to choose a UTM zone from");
  std::vector<double> x{b.min_x, b.max_x, b.min_x, b.max_x}, y{b.min_y, b.min_y, b.max_y, b.max_y};
  Transformer(crs, Crs::from_user_input("EPSG:4326")).transform(x, y);
  lon = 0.5 * (*std::min_element(x.begin(), x.end()) + *std::max_element(x.begin(), x.end()));
  lat = 0.5 * (*std::min_element(y.begin(), y.end()) + *std::max_element(y.begin(), y.end()));
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Speed table

std::int32_t SpeedTable::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < classes.size(); ++i)
    if (classes[i].name == name) return static_cast<std::int32_t>(i);
  return -1;
}

std::int32_t SpeedTable::find_loose(std::string_view value) const {
  std::string v;  // lower case, blanks and underscores read as one blank
  for (char c : detail::lower_trim(value)) {
    const char d = (c == '_' || std::isspace(static_cast<unsigned char>(c))) ? ' ' : c;
    if (d == ' ' && (v.empty() || v.back() == ' ')) continue;
    v.push_back(d);
  }
  auto lookup = [&](std::string_view s) {
    if (auto code = find(s); code >= 0) return code;
    std::string underscored(s);
    std::replace(underscored.begin(), underscored.end(), ' ', '_');
    return find(underscored);
  };
  if (auto code = lookup(v); code >= 0) return code;
  for (std::string_view prefix : {"jalan ", "jl. ", "jl "})
    if (v.rfind(prefix, 0) == 0)
      if (auto code = lookup(std::string_view(v).substr(prefix.size())); code >= 0) return code;
  return -1;
}

SpeedTable read_speed_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataFileError("cannot open the speed table", {path, -1, ""});
  SpeedTable table;
  std::string line;
  std::vector<std::string> header;
  int c_class = -1, c_speed = -1, c_routable = -1;
  std::int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string trimmed = detail::lower_trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    auto fields = detail::split_csv(line);
    if (header.empty()) {
      header = fields;
      for (std::size_t i = 0; i < header.size(); ++i) {
        const auto h = detail::lower_trim(header[i]);
        if (h == "class") c_class = static_cast<int>(i);
        if (h == "speed_kmh") c_speed = static_cast<int>(i);
        if (h == "routable") c_routable = static_cast<int>(i);
      }
      for (auto [col, name] : {std::pair{c_class, "class"}, {c_speed, "speed_kmh"}, {c_routable, "routable"}})
        if (col < 0) throw InvalidInputError("speed table has no column '" + std::string(name) + "'", {path, -1, name});
      continue;
    }
    const int needed = std::max({c_class, c_speed, c_routable});
    if (static_cast<int>(fields.size()) <= needed)
      throw InvalidInputError("speed table line has too few columns", {path, line_no, ""});
    RoadClass rc;
    rc.name = detail::lower_trim(fields[c_class]);
    if (rc.name.empty()) throw InvalidInputError("empty class name", {path, line_no, "class"});
    const std::string speed = detail::lower_trim(fields[c_speed]);
    char* end = nullptr;
    rc.speed_kmh = std::strtod(speed.c_str(), &end);
    if (speed.empty() || *end != '\0' || !std::isfinite(rc.speed_kmh) || rc.speed_kmh <= 0.0)
      throw InvalidInputError("speed '" + speed + "' is not a positive number", {path, line_no, "speed_kmh"});
    const std::string routable = detail::lower_trim(fields[c_routable]);
    if (routable == "1" || routable == "true" || routable == "yes") {
      rc.routable = true;
    } else if (routable == "0" || routable == "false" || routable == "no") {
      rc.routable = false;
    } else {
      throw InvalidInputError("routable must be 0 or 1, not '" + routable + "'", {path, line_no, "routable"});
    }
    if (table.find(rc.name) >= 0) throw InvalidInputError("duplicate class '" + rc.name + "'", {path, line_no, "class"});
    table.classes.push_back(std::move(rc));
  }
  if (table.classes.empty()) throw InvalidInputError("speed table has no classes", {path, -1, ""});
  return table;
}

// ---------------------------------------------------------------------------------------
// Readers

RoadLines read_osm_roads(const std::string& path, const SpeedTable& speeds, const OsmReadOptions& options) {
  std::vector<std::uint8_t> selected(speeds.classes.size(), 0);
  if (options.classes.empty()) {
    for (std::size_t c = 0; c < speeds.classes.size(); ++c) selected[c] = speeds.classes[c].routable ? 1 : 0;
  } else {
    for (const auto& name : options.classes) {
      const auto code = speeds.find(name);
      if (code < 0) throw InvalidInputError("road class '" + name + "' is not in the speed table", {path, -1, "classes"});
      selected[static_cast<std::size_t>(code)] = 1;
    }
  }

  ReadOptions ro;
  ro.layer = "lines";
  ro.where = "highway IS NOT NULL";
  const VectorLayer layer = read_vector(path, ro);
  const Field& highway = layer.fields[layer.field_index("highway")];
  const Field* other_tags = detail::find_field(layer, "other_tags");
  const Field* osm_id = detail::find_field(layer, "osm_id");
  const Field* f_maxspeed = detail::find_field(layer, "maxspeed");
  const Field* f_oneway = detail::find_field(layer, "oneway");
  const Field* f_junction = detail::find_field(layer, "junction");
  const Field* f_access = detail::find_field(layer, "access");
  if (layer.size() > 0 && layer.geometry.kind != GeometryKind::Line)
    throw GeometryError("the OSM lines layer does not hold lines", {path, -1, "geometry"});

  // The OSM way id of feature i (its osm_id field), else the OGR FID.
  auto way_id = [&](std::size_t i) {
    std::int64_t id = layer.fid[i];
    if (osm_id && osm_id->valid[i] != 0) {
      const std::string s = detail::field_string(*osm_id, i);
      char* end = nullptr;
      const long long parsed = std::strtoll(s.c_str(), &end, 10);
      if (end != s.c_str()) id = parsed;
    }
    return id;
  };
  RoadLines out;
  out.geometry.kind = GeometryKind::Line;
  for (std::size_t i = 0; i < layer.size(); ++i) {
    if (highway.valid[i] == 0) continue;
    const std::string value = highway.strings[i];
    const auto code = speeds.find(value);
    if (code < 0 || selected[static_cast<std::size_t>(code)] == 0) continue;
    if (layer.geometry.empty(i)) {
      out.skipped.add(0, way_id(i), SkipReason::EmptyGeometry);
      continue;
    }
    const auto tags = other_tags ? detail::parse_hstore(detail::field_string(*other_tags, i))
                                 : std::map<std::string, std::string>{};
    auto tag = [&](const Field* f, const char* key) -> std::string {
      if (f && f->valid[i] != 0) return detail::field_string(*f, i);
      auto it = tags.find(key);
      return it == tags.end() ? std::string{} : it->second;
    };
    std::optional<Oneway> oneway = detail::parse_oneway(tag(f_oneway, "oneway"));
    if (!oneway) {
      const std::string junction = detail::lower_trim(tag(f_junction, "junction"));
      oneway = (junction == "roundabout" || junction == "circular" || value == "motorway") ? Oneway::Forward
                                                                                           : Oneway::No;
    }
    const std::int64_t id = way_id(i);
    if (options.honour_access &&
        !detail::motor_access(tag(nullptr, "motorcycle"), tag(nullptr, "motor_vehicle"), tag(nullptr, "vehicle"),
                              tag(f_access, "access"))) {
      out.excluded_feature.push_back(id);
      continue;
    }
    out.geometry.append_from(layer.geometry, i);
    out.road_class.push_back(code);
    out.maxspeed_kmh.push_back(detail::parse_maxspeed_kmh(tag(f_maxspeed, "maxspeed")));
    out.oneway.push_back(*oneway);
    out.feature.push_back(id);
    out.layer.push_back(0);
  }
  if (out.size() == 0) throw InvalidInputError("no highway ways of the selected classes", {path, -1, "highway"});

  std::string target = options.crs;
  if (target.empty()) {
    double lon, lat;
    detail::lonlat_centre(out.geometry, *layer.crs, lon, lat);
    target = utm_crs_for(lon, lat);
  }
  const Crs target_crs = Crs::from_user_input(target);
  if (target_crs.is_geographic)
    throw CrsError("the road network needs a metric CRS, not '" + target + "'", {path, -1, "crs"});
  Transformer(*layer.crs, target_crs).transform(out.geometry);
  out.crs = target_crs.id();
  return out;
}

RoadLines read_road_layers(const std::vector<RoadLayerSource>& sources, const SpeedTable& speeds,
                           const std::string& crs) {
  if (sources.empty()) throw InvalidInputError("no road layers given");
  std::vector<VectorLayer> layers;
  std::vector<std::vector<std::int32_t>> classes;
  for (const auto& src : sources) {
    if (src.road_class.empty() == src.class_column.empty())
      throw InvalidInputError("give exactly one of road_class and class_column", {src.path, -1, "road_class"});
    ReadOptions ro;
    ro.layer = src.layer;
    ro.assume_crs = src.assume_crs;
    VectorLayer layer = read_vector(src.path, ro);
    std::int64_t first_geometry = -1;
    for (std::size_t i = 0; i < layer.size() && first_geometry < 0; ++i)
      if (!layer.geometry.empty(i)) first_geometry = static_cast<std::int64_t>(i);
    if (first_geometry < 0) throw InvalidInputError("layer has no line features", {src.path, -1, "geometry"});
    if (layer.geometry.kind != GeometryKind::Line)
      throw GeometryError(std::string("road layers must hold lines, not ") +
                              (layer.geometry.kind == GeometryKind::Point ? "points" : "polygons"),
                          {src.path, first_geometry, "geometry"});
    std::vector<std::int32_t> codes(layer.size(), -1);
    if (!src.road_class.empty()) {
      const auto code = speeds.find_loose(src.road_class);
      if (code < 0)
        throw InvalidInputError("road class '" + src.road_class + "' is not in the speed table",
                                {src.path, -1, "road_class"});
      std::fill(codes.begin(), codes.end(), code);
    } else {
      const Field& f = layer.fields[layer.field_index(src.class_column)];
      for (std::size_t i = 0; i < layer.size(); ++i) {
        if (layer.geometry.empty(i)) continue;
        const std::string v = detail::field_string(f, i);
        codes[i] = speeds.find_loose(v);
        if (codes[i] < 0)
          throw InvalidInputError("road class '" + v + "' is not in the speed table",
                                  {src.path, static_cast<std::int64_t>(i), src.class_column});
      }
    }
    layers.push_back(std::move(layer));
    classes.push_back(std::move(codes));
  }

  std::string target = crs;
  if (target.empty()) {
    double min_lon = 1e300, max_lon = -1e300, min_lat = 1e300, max_lat = -1e300;
    for (const auto& layer : layers) {
      double lon, lat;
      detail::lonlat_centre(layer.geometry, *layer.crs, lon, lat);
      min_lon = std::min(min_lon, lon), max_lon = std::max(max_lon, lon);
      min_lat = std::min(min_lat, lat), max_lat = std::max(max_lat, lat);
    }
    target = utm_crs_for(0.5 * (min_lon + max_lon), 0.5 * (min_lat + max_lat));
  }
  const Crs target_crs = Crs::from_user_input(target);
  if (target_crs.is_geographic) throw CrsError("the road network needs a metric CRS, not '" + target + "'");

  RoadLines out;
  out.crs = target_crs.id();
  out.geometry.kind = GeometryKind::Line;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    auto& layer = layers[l];
    Transformer(*layer.crs, target_crs).transform(layer.geometry);
    for (std::size_t i = 0; i < layer.size(); ++i) {
      if (layer.geometry.empty(i)) {
        out.skipped.add(static_cast<std::int32_t>(l), layer.fid[i], SkipReason::EmptyGeometry);
        continue;
      }
      out.geometry.append_from(layer.geometry, i);
      out.road_class.push_back(classes[l][i]);
      out.maxspeed_kmh.push_back(detail::kNaN);
      out.oneway.push_back(Oneway::No);
      out.feature.push_back(layer.fid[i]);
      out.layer.push_back(static_cast<std::int32_t>(l));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Topology

namespace detail {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BBox = bg::model::box<BPoint>;

// One part of one input line, as an editable vertex list.
struct Polyline {
  std::vector<double> x, y;
  std::int64_t line = 0;
  bool closed() const { return x.size() > 2 && x.front() == x.back() && y.front() == y.back(); }
};

// Exact coordinate key (bit patterns; -0.0 folded into +0.0 so the key follows ==).
struct Key {
  std::uint64_t a, b;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept {
    std::uint64_t h = k.a * 0x9E3779B97F4A7C15ull;
    h ^= (k.b + 0x7F4A7C159E3779B9ull + (h << 6) + (h >> 2));
    return static_cast<std::size_t>(h * 0xBF58476D1CE4E5B9ull);
  }
};
Key key_of(double x, double y) { return Key{std::bit_cast<std::uint64_t>(x + 0.0), std::bit_cast<std::uint64_t>(y + 0.0)}; }

void drop_repeats(Polyline& p) {
  std::size_t w = 0;
  for (std::size_t r = 0; r < p.x.size(); ++r) {
    if (w > 0 && p.x[r] == p.x[w - 1] && p.y[r] == p.y[w - 1]) continue;
    p.x[w] = p.x[r];
    p.y[w] = p.y[r];
    ++w;
  }
  p.x.resize(w);
  p.y.resize(w);
}

// Closest point on segment (a, b) to p; returns the distance and writes the parameter.
double project(double px, double py, double ax, double ay, double bx, double by, double& u, double& qx, double& qy) {
  const double dx = bx - ax, dy = by - ay;
  const double l2 = dx * dx + dy * dy;
  u = l2 > 0.0 ? std::clamp(((px - ax) * dx + (py - ay) * dy) / l2, 0.0, 1.0) : 0.0;
  if (u == 0.0) {
    qx = ax, qy = ay;
  } else if (u == 1.0) {
    qx = bx, qy = by;
  } else {
    qx = ax + u * dx, qy = ay + u * dy;
  }
  return std::hypot(px - qx, py - qy);
}

double orient(double ax, double ay, double bx, double by, double cx, double cy) {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

struct JoinLog {
  JoinReport report;
  std::set<std::tuple<int, double, double, std::int64_t, std::int64_t>> seen;
  void add(JoinKind kind, double x, double y, double distance, std::int64_t a, std::int64_t b) {
    if (!seen.emplace(static_cast<int>(kind), x, y, a, b).second) return;
    report.kind.push_back(kind);
    report.x.push_back(x);
    report.y.push_back(y);
    report.distance_m.push_back(distance);
    report.line_a.push_back(a);
    report.line_b.push_back(b);
  }
};

// Step 1a: merge endpoints within `tol` of each other, greedily in endpoint order: the
// first unassigned endpoint becomes a centre and takes every unassigned endpoint of other
// lines within tol (at most one per line, so a short line never collapses). Returns, per
// endpoint (2·k + end), the size of its cluster.
std::vector<std::int64_t> merge_endpoints(std::vector<Polyline>& polys, double tol, JoinLog& log) {
  const std::size_t n = 2 * polys.size();
  auto px = [&](std::size_t e) { return e % 2 == 0 ? polys[e / 2].x.front() : polys[e / 2].x.back(); };
  auto py = [&](std::size_t e) { return e % 2 == 0 ? polys[e / 2].y.front() : polys[e / 2].y.back(); };
  std::vector<std::pair<BPoint, std::size_t>> values;
  values.reserve(n);
  for (std::size_t e = 0; e < n; ++e) values.emplace_back(BPoint(px(e), py(e)), e);
  bgi::rtree<std::pair<BPoint, std::size_t>, bgi::rstar<16>> tree(values.begin(), values.end());

  std::vector<std::int64_t> centre(n, -1), size(n, 1);
  std::vector<std::pair<BPoint, std::size_t>> hits;
  for (std::size_t e = 0; e < n; ++e) {
    if (centre[e] >= 0) continue;
    centre[e] = static_cast<std::int64_t>(e);
    const double cx = values[e].first.get<0>(), cy = values[e].first.get<1>();
    hits.clear();
    tree.query(bgi::intersects(BBox(BPoint(cx - tol, cy - tol), BPoint(cx + tol, cy + tol))), std::back_inserter(hits));
    std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    std::vector<std::size_t> members{e};
    std::set<std::size_t> lines_used{e / 2};
    for (const auto& [pt, c] : hits) {
      if (centre[c] >= 0) continue;
      const double d = std::hypot(pt.get<0>() - cx, pt.get<1>() - cy);
      if (d > tol) continue;
      if (d > 0.0 && lines_used.count(c / 2) != 0) continue;
      lines_used.insert(c / 2);
      centre[c] = static_cast<std::int64_t>(e);
      members.push_back(c);
    }
    for (std::size_t m : members) size[m] = static_cast<std::int64_t>(members.size());
    for (std::size_t k = 1; k < members.size(); ++k) {
      const std::size_t m = members[k];
      auto& p = polys[m / 2];
      const double d = std::hypot(px(m) - cx, py(m) - cy);
      if (d == 0.0) continue;
      if (m % 2 == 0) {
        p.x.front() = cx, p.y.front() = cy;
      } else {
        p.x.back() = cx, p.y.back() = cy;
      }
      log.add(JoinKind::EndpointToEndpoint, cx, cy, d, polys[m / 2].line, polys[e / 2].line);
    }
  }
  return size;
}

// Segment boxes of all polylines (expanded by `margin`), for candidate searches.
using SegValue = std::pair<BBox, std::pair<std::uint32_t, std::uint32_t>>;  // (poly, segment)
bgi::rtree<SegValue, bgi::rstar<16>> segment_tree(const std::vector<Polyline>& polys, double margin) {
  std::vector<SegValue> values;
  for (std::size_t k = 0; k < polys.size(); ++k) {
    const auto& p = polys[k];
    for (std::size_t s = 0; s + 1 < p.x.size(); ++s) {
      BBox b(BPoint(std::min(p.x[s], p.x[s + 1]) - margin, std::min(p.y[s], p.y[s + 1]) - margin),
             BPoint(std::max(p.x[s], p.x[s + 1]) + margin, std::max(p.y[s], p.y[s + 1]) + margin));
      values.emplace_back(b, std::make_pair(static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(s)));
    }
  }
  return bgi::rtree<SegValue, bgi::rstar<16>>(values.begin(), values.end());
}

// Step 1b: move each endpoint that met no other endpoint onto the nearest point of another
// line within tol, inserting a vertex there so both lines share the coordinate exactly.
void snap_dangles(std::vector<Polyline>& polys, const std::vector<std::int64_t>& cluster_size, double tol,
                  JoinLog& log) {
  const auto tree = segment_tree(polys, 2.0 * tol);
  std::vector<SegValue> hits;
  std::vector<std::uint32_t> candidates;
  for (std::size_t e = 0; e < cluster_size.size(); ++e) {
    if (cluster_size[e] > 1) continue;
    const std::size_t k = e / 2;
    const bool at_end = e % 2 == 1;
    const double ex = at_end ? polys[k].x.back() : polys[k].x.front();
    const double ey = at_end ? polys[k].y.back() : polys[k].y.front();
    hits.clear();
    tree.query(bgi::intersects(BPoint(ex, ey)), std::back_inserter(hits));
    candidates.clear();
    for (const auto& h : hits)
      if (h.second.first != k) candidates.push_back(h.second.first);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    double best_d = std::numeric_limits<double>::infinity(), best_u = 0, best_x = 0, best_y = 0;
    std::size_t best_k = 0, best_s = 0;
    for (auto c : candidates) {
      const auto& p = polys[c];
      for (std::size_t s = 0; s + 1 < p.x.size(); ++s) {
        double u, qx, qy;
        const double d = project(ex, ey, p.x[s], p.y[s], p.x[s + 1], p.y[s + 1], u, qx, qy);
        if (d < best_d) best_d = d, best_u = u, best_x = qx, best_y = qy, best_k = c, best_s = s;
      }
    }
    if (!(best_d <= tol)) continue;
    auto& target = polys[best_k];
    if (best_u > 0.0 && best_u < 1.0) {
      target.x.insert(target.x.begin() + static_cast<std::ptrdiff_t>(best_s + 1), best_x);
      target.y.insert(target.y.begin() + static_cast<std::ptrdiff_t>(best_s + 1), best_y);
    } else if (best_d == 0.0) {
      continue;  // already on a vertex of the other line: shared exactly
    }
    auto& p = polys[k];
    if (at_end) {
      p.x.back() = best_x, p.y.back() = best_y;
    } else {
      p.x.front() = best_x, p.y.front() = best_y;
    }
    log.add(JoinKind::EndpointToLine, best_x, best_y, best_d, p.line, target.line);
  }
}

struct Split {
  std::uint32_t poly, seg;
  double u, x, y;
};

// Step 2: split where segments cross or where a vertex lies on another segment.
void node_lines(std::vector<Polyline>& polys, const std::vector<std::uint8_t>& separated, double eps,
                JoinLog& log, Monitor& monitor) {
  const auto tree = segment_tree(polys, eps);
  std::vector<Split> splits;
  std::vector<SegValue> hits;
  for (std::uint32_t k = 0; k < polys.size(); ++k) {
    if (k % 1024 == 0) monitor.report("splitting crossings", k, polys.size());
    const auto& p = polys[k];
    if (separated[k]) continue;
    for (std::uint32_t s = 0; s + 1 < p.x.size(); ++s) {
      hits.clear();
      BBox box(BPoint(std::min(p.x[s], p.x[s + 1]) - eps, std::min(p.y[s], p.y[s + 1]) - eps),
               BPoint(std::max(p.x[s], p.x[s + 1]) + eps, std::max(p.y[s], p.y[s + 1]) + eps));
      tree.query(bgi::intersects(box), std::back_inserter(hits));
      std::sort(hits.begin(), hits.end(), [](const SegValue& a, const SegValue& b) { return a.second < b.second; });
      for (const auto& h : hits) {
        const auto [k2, s2] = h.second;
        if (std::make_pair(k2, s2) <= std::make_pair(k, s) || separated[k2]) continue;
        const auto& q = polys[k2];
        if (k2 == k) {
          const auto last = static_cast<std::uint32_t>(p.x.size() - 2);
          if (s2 == s + 1 || (p.closed() && s == 0 && s2 == last)) continue;  // neighbours share a vertex
        }
        const double ax = p.x[s], ay = p.y[s], bx = p.x[s + 1], by = p.y[s + 1];
        const double cx = q.x[s2], cy = q.y[s2], dx = q.x[s2 + 1], dy = q.y[s2 + 1];
        bool touched = false;
        // A vertex of one segment on the other: split the other there (exact vertex copy).
        auto touch = [&](double vx, double vy, std::uint32_t tk, std::uint32_t ts, double sx0, double sy0, double sx1,
                         double sy1, std::int64_t by_line) {
          double u, qx, qy;
          const double d = project(vx, vy, sx0, sy0, sx1, sy1, u, qx, qy);
          if (d > eps) return;
          touched = true;
          if (std::hypot(vx - sx0, vy - sy0) <= eps || std::hypot(vx - sx1, vy - sy1) <= eps) return;
          splits.push_back(Split{tk, ts, u, vx, vy});
          log.add(JoinKind::Touch, vx, vy, 0.0, polys[tk].line, by_line);
        };
        touch(ax, ay, k2, s2, cx, cy, dx, dy, p.line);
        touch(bx, by, k2, s2, cx, cy, dx, dy, p.line);
        touch(cx, cy, k, s, ax, ay, bx, by, q.line);
        touch(dx, dy, k, s, ax, ay, bx, by, q.line);
        if (touched) continue;
        const double o1 = orient(ax, ay, bx, by, cx, cy), o2 = orient(ax, ay, bx, by, dx, dy);
        const double o3 = orient(cx, cy, dx, dy, ax, ay), o4 = orient(cx, cy, dx, dy, bx, by);
        if (!((o1 < 0 && o2 > 0) || (o1 > 0 && o2 < 0)) || !((o3 < 0 && o4 > 0) || (o3 > 0 && o4 < 0))) continue;
        const double t = o3 / (o3 - o4);  // parameter along (a, b)
        const double u = o1 / (o1 - o2);  // parameter along (c, d)
        const double ix = ax + t * (bx - ax), iy = ay + t * (by - ay);
        splits.push_back(Split{k, s, t, ix, iy});
        splits.push_back(Split{k2, s2, u, ix, iy});
        log.add(JoinKind::Crossing, ix, iy, 0.0, p.line, q.line);
      }
    }
  }
  std::sort(splits.begin(), splits.end(), [](const Split& a, const Split& b) {
    return std::tie(a.poly, a.seg, a.u, a.x, a.y) < std::tie(b.poly, b.seg, b.u, b.x, b.y);
  });
  std::size_t i = 0;
  while (i < splits.size()) {
    const auto k = splits[i].poly;
    auto& p = polys[k];
    Polyline rebuilt;
    rebuilt.line = p.line;
    for (std::uint32_t s = 0; s < p.x.size(); ++s) {
      rebuilt.x.push_back(p.x[s]);
      rebuilt.y.push_back(p.y[s]);
      while (i < splits.size() && splits[i].poly == k && splits[i].seg == s) {
        rebuilt.x.push_back(splits[i].x);
        rebuilt.y.push_back(splits[i].y);
        ++i;
      }
    }
    drop_repeats(rebuilt);
    p = std::move(rebuilt);
  }
}

// Step 3: merge vertices closer than eps (first seen wins), via a grid of cell size eps.
void merge_close_vertices(std::vector<Polyline>& polys, double eps) {
  struct CellHash {
    std::size_t operator()(const std::pair<std::int64_t, std::int64_t>& c) const noexcept {
      return std::hash<std::int64_t>()(c.first * 0x9E3779B1 + c.second);
    }
  };
  std::unordered_map<std::pair<std::int64_t, std::int64_t>, std::vector<std::size_t>, CellHash> grid;
  std::unordered_map<Key, std::size_t, KeyHash> seen;
  std::vector<double> rx, ry;
  for (auto& p : polys) {
    for (std::size_t v = 0; v < p.x.size(); ++v) {
      const Key key = key_of(p.x[v], p.y[v]);
      auto it = seen.find(key);
      std::size_t rep;
      if (it != seen.end()) {
        rep = it->second;
      } else {
        const auto cx = static_cast<std::int64_t>(std::floor(p.x[v] / eps));
        const auto cy = static_cast<std::int64_t>(std::floor(p.y[v] / eps));
        rep = std::numeric_limits<std::size_t>::max();
        for (std::int64_t i = -1; i <= 1; ++i)
          for (std::int64_t j = -1; j <= 1; ++j) {
            auto g = grid.find({cx + i, cy + j});
            if (g == grid.end()) continue;
            for (auto r : g->second)
              if (r < rep && std::hypot(rx[r] - p.x[v], ry[r] - p.y[v]) <= eps) rep = r;
          }
        if (rep == std::numeric_limits<std::size_t>::max()) {
          rep = rx.size();
          rx.push_back(p.x[v]);
          ry.push_back(p.y[v]);
          grid[{cx, cy}].push_back(rep);
        }
        seen.emplace(key, rep);
      }
      p.x[v] = rx[rep];
      p.y[v] = ry[rep];
    }
    drop_repeats(p);
  }
}

}  // namespace detail

RoadNetwork build_road_network(const RoadLines& lines, const SpeedTable& speeds, const TopologyOptions& options,
                               Monitor& monitor) {
  if (!(options.snap_tolerance_m >= 0.0) || !(options.node_tolerance_m >= 0.0))
    throw InvalidInputError("tolerances must be >= 0");
  const std::size_t n = lines.size();
  if (lines.geometry.size() != n || lines.maxspeed_kmh.size() != n || lines.oneway.size() != n ||
      lines.feature.size() != n || lines.layer.size() != n)
    throw InvalidInputError("RoadLines columns differ in length");
  if (n > 0 && lines.geometry.kind != GeometryKind::Line) throw GeometryError("road lines must be lines");
  for (std::size_t i = 0; i < n; ++i)
    if (lines.road_class[i] < 0 || static_cast<std::size_t>(lines.road_class[i]) >= speeds.classes.size())
      throw InvalidInputError("class code outside the speed table", {"", static_cast<std::int64_t>(i), "road_class"});

  // Parts of lines as editable polylines.
  std::vector<detail::Polyline> polys;
  const auto& g = lines.geometry;
  for (std::size_t i = 0; i < n; ++i) {
    for (auto p = g.geom_offsets[i]; p < g.geom_offsets[i + 1]; ++p) {
      for (auto r = g.part_offsets[p]; r < g.part_offsets[p + 1]; ++r) {
        detail::Polyline pl;
        pl.line = static_cast<std::int64_t>(i);
        for (auto c = g.ring_offsets[r]; c < g.ring_offsets[r + 1]; ++c) {
          if (!std::isfinite(g.x[c]) || !std::isfinite(g.y[c]))
            throw GeometryError("non-finite coordinate", {"", lines.feature[i], "geometry"});
          pl.x.push_back(g.x[c]);
          pl.y.push_back(g.y[c]);
        }
        detail::drop_repeats(pl);
        if (pl.x.size() >= 2) polys.push_back(std::move(pl));
      }
    }
  }
  // Lines with no part of two distinct vertices carry no road: listed, not silently dropped.
  std::vector<std::uint8_t> has_part(n, 0);
  for (const auto& p : polys) has_part[static_cast<std::size_t>(p.line)] = 1;
  SkippedFeatures skipped = lines.skipped;
  for (std::size_t i = 0; i < n; ++i)
    if (!has_part[i]) skipped.add(lines.layer[i], lines.feature[i], SkipReason::ZeroLength);
  monitor.report("reading lines", 1, 4);

  detail::JoinLog log;
  if (options.snap_tolerance_m > 0.0 && !polys.empty()) {
    const auto sizes = detail::merge_endpoints(polys, options.snap_tolerance_m, log);
    detail::snap_dangles(polys, sizes, options.snap_tolerance_m, log);
    for (auto& p : polys) detail::drop_repeats(p);
  }
  monitor.report("snapping endpoints", 2, 4);
  if (options.split_crossings && !polys.empty()) {
    std::vector<std::uint8_t> separated(polys.size(), 0);
    for (std::size_t k = 0; k < polys.size(); ++k)
      for (auto c : options.grade_separated_classes)
        if (lines.road_class[static_cast<std::size_t>(polys[k].line)] == c) separated[k] = 1;
    detail::node_lines(polys, separated, options.node_tolerance_m, log, monitor);
  }
  if (options.node_tolerance_m > 0.0) detail::merge_close_vertices(polys, options.node_tolerance_m);
  polys.erase(std::remove_if(polys.begin(), polys.end(), [](const detail::Polyline& p) { return p.x.size() < 2; }),
              polys.end());
  {  // lines that had a part before joining and none after it: merged into a point
    std::vector<std::uint8_t> kept(n, 0);
    for (const auto& p : polys) kept[static_cast<std::size_t>(p.line)] = 1;
    for (std::size_t i = 0; i < n; ++i)
      if (has_part[i] && !kept[i]) skipped.add(lines.layer[i], lines.feature[i], SkipReason::Collapsed);
  }
  monitor.report("splitting crossings", 3, 4);

  // Nodes: line endpoints and vertices used twice or more.
  std::unordered_map<detail::Key, std::int64_t, detail::KeyHash> uses;
  for (const auto& p : polys)
    for (std::size_t v = 0; v < p.x.size(); ++v) {
      // A closed line visits its first vertex twice; count it once so an isolated ring
      // stays one self-loop piece.
      if (v + 1 == p.x.size() && p.closed()) continue;
      ++uses[detail::key_of(p.x[v], p.y[v])];
    }
  RoadNetwork net;
  net.crs = lines.crs;
  net.edge_geometry.kind = GeometryKind::Line;
  for (const auto& c : speeds.classes) net.class_names.push_back(c.name);
  net.line_feature = lines.feature;
  net.line_layer = lines.layer;
  net.excluded_feature = lines.excluded_feature;
  net.skipped = std::move(skipped);
  std::unordered_map<detail::Key, std::int64_t, detail::KeyHash> node_id;
  auto node_of = [&](double x, double y) {
    auto [it, inserted] = node_id.emplace(detail::key_of(x, y), static_cast<std::int64_t>(net.node_x.size()));
    if (inserted) {
      net.node_x.push_back(x);
      net.node_y.push_back(y);
    }
    return it->second;
  };
  std::int64_t piece = 0;
  auto emit = [&](const detail::Polyline& p, std::size_t v0, std::size_t v1) {
    const auto li = static_cast<std::size_t>(p.line);
    const std::int64_t a = node_of(p.x[v0], p.y[v0]);
    const std::int64_t b = node_of(p.x[v1], p.y[v1]);
    double length = 0.0;
    for (std::size_t v = v0; v < v1; ++v) length += std::hypot(p.x[v + 1] - p.x[v], p.y[v + 1] - p.y[v]);
    const double ms = lines.maxspeed_kmh[li];
    const double speed = std::isfinite(ms) && ms > 0.0 ? ms : speeds.classes[static_cast<std::size_t>(lines.road_class[li])].speed_kmh;
    auto push = [&](std::int64_t from, std::int64_t to, bool reversed) {
      net.edge_from.push_back(from);
      net.edge_to.push_back(to);
      net.edge_twin.push_back(-1);
      net.edge_piece.push_back(piece);
      net.edge_length_m.push_back(length);
      net.edge_speed_kmh.push_back(speed);
      net.edge_time_s.push_back(length / (speed / 3.6));
      net.edge_class.push_back(lines.road_class[li]);
      net.edge_line.push_back(p.line);
      net.edge_feature.push_back(lines.feature[li]);
      net.edge_layer.push_back(lines.layer[li]);
      if (!reversed) {
        for (std::size_t v = v0; v <= v1; ++v) net.edge_geometry.push_coordinate(p.x[v], p.y[v]);
      } else {
        for (std::size_t v = v1 + 1; v-- > v0;) net.edge_geometry.push_coordinate(p.x[v], p.y[v]);
      }
      net.edge_geometry.end_ring();
      net.edge_geometry.end_part();
      net.edge_geometry.end_geometry();
    };
    switch (lines.oneway[li]) {
      case Oneway::Forward:
        push(a, b, false);
        break;
      case Oneway::Backward:
        push(b, a, true);
        break;
      case Oneway::No: {
        const auto e = static_cast<std::int64_t>(net.edge_from.size());
        push(a, b, false);
        push(b, a, true);
        net.edge_twin[static_cast<std::size_t>(e)] = e + 1;
        net.edge_twin[static_cast<std::size_t>(e) + 1] = e;
        break;
      }
    }
    ++piece;
  };
  struct PieceRef {
    std::size_t poly, v0, v1;
  };
  std::vector<PieceRef> pieces;
  for (std::size_t k = 0; k < polys.size(); ++k) {
    const auto& p = polys[k];
    std::size_t start = 0;
    for (std::size_t v = 1; v < p.x.size(); ++v) {
      const bool is_node = v + 1 == p.x.size() || uses[detail::key_of(p.x[v], p.y[v])] >= 2;
      if (!is_node) continue;
      pieces.push_back({k, start, v});
      start = v;
    }
  }
  std::vector<std::uint8_t> dropped(pieces.size(), 0);
  if (options.drop_duplicates) {
    // Two-way pieces with the same vertex sequence (either direction) are one road drawn
    // twice (overlapping layers); keep the faster copy, else the first.
    auto line_speed = [&](std::int64_t line) {
      const auto li = static_cast<std::size_t>(line);
      const double ms = lines.maxspeed_kmh[li];
      return std::isfinite(ms) && ms > 0.0 ? ms : speeds.classes[static_cast<std::size_t>(lines.road_class[li])].speed_kmh;
    };
    std::map<std::vector<std::pair<std::uint64_t, std::uint64_t>>, std::size_t> seen;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const auto& pr = pieces[i];
      const auto& p = polys[pr.poly];
      if (lines.oneway[static_cast<std::size_t>(p.line)] != Oneway::No) continue;
      std::vector<std::pair<std::uint64_t, std::uint64_t>> fwd, rev;
      for (std::size_t v = pr.v0; v <= pr.v1; ++v) {
        const auto k = detail::key_of(p.x[v], p.y[v]);
        fwd.emplace_back(k.a, k.b);
      }
      rev.assign(fwd.rbegin(), fwd.rend());
      auto [it, inserted] = seen.emplace(std::min(fwd, rev), i);
      if (inserted) continue;
      const std::size_t j = it->second;
      const auto line_i = p.line, line_j = polys[pieces[j].poly].line;
      std::size_t drop = i, keep = j;
      if (line_speed(line_i) > line_speed(line_j)) drop = j, keep = i, it->second = i;
      dropped[drop] = 1;
      const auto& d = polys[pieces[drop].poly];
      log.add(JoinKind::Duplicate, d.x[pieces[drop].v0], d.y[pieces[drop].v0], 0.0, d.line,
              polys[pieces[keep].poly].line);
    }
  }
  for (std::size_t i = 0; i < pieces.size(); ++i)
    if (!dropped[i]) emit(polys[pieces[i].poly], pieces[i].v0, pieces[i].v1);

  // WGS84 positions of the nodes and of the joins.
  net.joins = std::move(log.report);
  if (net.crs.empty()) {  // plain arrays without a CRS (tests): no WGS84 positions
    net.node_lon.assign(net.node_count(), detail::kNaN);
    net.node_lat.assign(net.node_count(), detail::kNaN);
    net.joins.lon.assign(net.joins.size(), detail::kNaN);
    net.joins.lat.assign(net.joins.size(), detail::kNaN);
  } else {
    net.node_lon = net.node_x;
    net.node_lat = net.node_y;
    net.joins.lon = net.joins.x;
    net.joins.lat = net.joins.y;
    Transformer to_wgs84(Crs::from_user_input(net.crs), Crs::from_user_input("EPSG:4326"));
    to_wgs84.transform(net.node_lon, net.node_lat);
    to_wgs84.transform(net.joins.lon, net.joins.lat);
  }
  monitor.report("building edges", 4, 4);
  return net;
}

// ---------------------------------------------------------------------------------------
// Components

RoadComponents road_components(std::size_t node_count, std::span<const std::int64_t> edge_from,
                           std::span<const std::int64_t> edge_to) {
  if (edge_from.size() != edge_to.size()) throw InvalidInputError("edge_from and edge_to differ in length");
  std::vector<std::int64_t> parent(node_count);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::int64_t v) {
    while (parent[static_cast<std::size_t>(v)] != v) {
      auto& pv = parent[static_cast<std::size_t>(v)];
      pv = parent[static_cast<std::size_t>(pv)];
      v = pv;
    }
    return v;
  };
  const auto nn = static_cast<std::int64_t>(node_count);
  for (std::size_t e = 0; e < edge_from.size(); ++e) {
    const auto a = edge_from[e], b = edge_to[e];
    if (a < 0 || a >= nn || b < 0 || b >= nn)
      throw InvalidInputError("edge endpoint outside the node range", {"", static_cast<std::int64_t>(e), "edge"});
    auto ra = find(a), rb = find(b);
    if (ra != rb) parent[static_cast<std::size_t>(std::max(ra, rb))] = std::min(ra, rb);  // root = smallest id
  }
  // Roots are the smallest node of their component; order by size desc, then that node.
  std::vector<std::int64_t> root_size(node_count, 0);
  for (std::int64_t v = 0; v < nn; ++v) ++root_size[static_cast<std::size_t>(find(v))];
  std::vector<std::int64_t> roots;
  for (std::int64_t v = 0; v < nn; ++v)
    if (root_size[static_cast<std::size_t>(v)] > 0) roots.push_back(v);
  std::stable_sort(roots.begin(), roots.end(), [&](std::int64_t a, std::int64_t b) {
    return root_size[static_cast<std::size_t>(a)] > root_size[static_cast<std::size_t>(b)];
  });
  std::vector<std::int64_t> label_of_root(node_count, -1);
  RoadComponents out;
  for (std::size_t c = 0; c < roots.size(); ++c) {
    label_of_root[static_cast<std::size_t>(roots[c])] = static_cast<std::int64_t>(c);
    out.sizes.push_back(root_size[static_cast<std::size_t>(roots[c])]);
  }
  out.labels.resize(node_count);
  for (std::int64_t v = 0; v < nn; ++v) out.labels[static_cast<std::size_t>(v)] = label_of_root[static_cast<std::size_t>(find(v))];
  return out;
}

RoadNetwork subnetwork(const RoadNetwork& net, std::span<const std::uint8_t> keep_node) {
  if (keep_node.size() != net.node_count())
    throw InvalidInputError("keep_node has " + std::to_string(keep_node.size()) + " entries for " +
                            std::to_string(net.node_count()) + " nodes");
  RoadNetwork out;
  out.crs = net.crs;
  out.joins = net.joins;
  out.class_names = net.class_names;
  out.line_feature = net.line_feature;
  out.line_layer = net.line_layer;
  out.excluded_feature = net.excluded_feature;
  out.skipped = net.skipped;
  out.edge_geometry.kind = GeometryKind::Line;
  std::vector<std::int64_t> new_node(net.node_count(), -1);
  for (std::size_t v = 0; v < net.node_count(); ++v) {
    if (!keep_node[v]) continue;
    new_node[v] = static_cast<std::int64_t>(out.node_x.size());
    out.node_x.push_back(net.node_x[v]);
    out.node_y.push_back(net.node_y[v]);
    out.node_lon.push_back(net.node_lon[v]);
    out.node_lat.push_back(net.node_lat[v]);
  }
  std::vector<std::int64_t> new_edge(net.edge_count(), -1);
  std::unordered_map<std::int64_t, std::int64_t> new_piece;
  for (std::size_t e = 0; e < net.edge_count(); ++e) {
    const auto a = new_node[static_cast<std::size_t>(net.edge_from[e])];
    const auto b = new_node[static_cast<std::size_t>(net.edge_to[e])];
    if (a < 0 || b < 0) continue;
    new_edge[e] = static_cast<std::int64_t>(out.edge_from.size());
    out.edge_from.push_back(a);
    out.edge_to.push_back(b);
    out.edge_twin.push_back(net.edge_twin[e]);
    auto [it, inserted] = new_piece.emplace(net.edge_piece[e], static_cast<std::int64_t>(new_piece.size()));
    out.edge_piece.push_back(it->second);
    out.edge_length_m.push_back(net.edge_length_m[e]);
    out.edge_speed_kmh.push_back(net.edge_speed_kmh[e]);
    out.edge_time_s.push_back(net.edge_time_s[e]);
    out.edge_class.push_back(net.edge_class[e]);
    out.edge_line.push_back(net.edge_line[e]);
    out.edge_feature.push_back(net.edge_feature[e]);
    out.edge_layer.push_back(net.edge_layer[e]);
    out.edge_geometry.append_from(net.edge_geometry, e);
  }
  for (auto& t : out.edge_twin)
    if (t >= 0) t = new_edge[static_cast<std::size_t>(t)];
  return out;
}

RoadNetwork largest_road_component(const RoadNetwork& net) {
  const auto c = road_components(net.node_count(), net.edge_from, net.edge_to);
  std::vector<std::uint8_t> keep(net.node_count(), 0);
  for (std::size_t v = 0; v < keep.size(); ++v) keep[v] = c.labels[v] == 0 ? 1 : 0;
  return subnetwork(net, keep);
}

}  // namespace jangkau
