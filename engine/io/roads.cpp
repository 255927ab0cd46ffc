#include "roads.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "io/crs.hpp"
#include "io/osm_tags.hpp"
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
  for (std::size_t i = b; i < e; ++i)
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[i]))));
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
        if (col < 0)
          throw InvalidInputError("speed table has no column '" + std::string(name) + "'", {path, -1, name});
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
    if (table.find(rc.name) >= 0)
      throw InvalidInputError("duplicate class '" + rc.name + "'", {path, line_no, "class"});
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
      if (code < 0)
        throw InvalidInputError("road class '" + name + "' is not in the speed table", {path, -1, "classes"});
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
    if (options.honour_access && !detail::motor_access(tag(nullptr, "motorcycle"), tag(nullptr, "motor_vehicle"),
                                                       tag(nullptr, "vehicle"), tag(f_access, "access"))) {
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
// Network

RoadNetwork build_road_network(const RoadLines& lines, const SpeedTable& speeds, const TopologyOptions& options,
                               Monitor& monitor) {
  const std::size_t n = lines.size();
  if (lines.geometry.size() != n || lines.maxspeed_kmh.size() != n || lines.oneway.size() != n ||
      lines.feature.size() != n || lines.layer.size() != n)
    throw InvalidInputError("RoadLines columns differ in length");
  std::vector<double> speed(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = lines.road_class[i];
    if (c < 0 || static_cast<std::size_t>(c) >= speeds.classes.size())
      throw InvalidInputError("class code outside the speed table", {"", static_cast<std::int64_t>(i), "road_class"});
    const double ms = lines.maxspeed_kmh[i];
    speed[i] = std::isfinite(ms) && ms > 0.0 ? ms : speeds.classes[static_cast<std::size_t>(c)].speed_kmh;
  }
  RoadTopology topo = build_road_topology(lines.geometry, {lines.road_class, speed, lines.oneway, lines.feature},
                                          options, monitor);
  RoadNetwork net;
  static_cast<RoadGraph&>(net) = std::move(topo.network);
  net.crs = lines.crs;
  for (const auto& c : speeds.classes) net.class_names.push_back(c.name);
  net.line_feature = lines.feature;
  net.line_layer = lines.layer;
  net.excluded_feature = lines.excluded_feature;
  // Lines that carry no road: listed after the reader's entries, never dropped silently.
  net.skipped = lines.skipped;
  for (auto i : topo.zero_length_line)
    net.skipped.add(lines.layer[static_cast<std::size_t>(i)], lines.feature[static_cast<std::size_t>(i)],
                    SkipReason::ZeroLength);
  for (auto i : topo.collapsed_line)
    net.skipped.add(lines.layer[static_cast<std::size_t>(i)], lines.feature[static_cast<std::size_t>(i)],
                    SkipReason::Collapsed);
  net.edge_feature.reserve(net.edge_count());
  net.edge_layer.reserve(net.edge_count());
  for (auto l : net.edge_line) {
    net.edge_feature.push_back(lines.feature[static_cast<std::size_t>(l)]);
    net.edge_layer.push_back(lines.layer[static_cast<std::size_t>(l)]);
  }

  // WGS84 positions of the nodes and of the joins.
  if (net.crs.empty()) {  // plain arrays without a CRS (tests): no WGS84 positions
    net.node_lon.assign(net.node_count(), detail::kNaN);
    net.node_lat.assign(net.node_count(), detail::kNaN);
    net.join_lon.assign(net.joins.size(), detail::kNaN);
    net.join_lat.assign(net.joins.size(), detail::kNaN);
  } else {
    net.node_lon = net.node_x;
    net.node_lat = net.node_y;
    net.join_lon = net.joins.x;
    net.join_lat = net.joins.y;
    Transformer to_wgs84(Crs::from_user_input(net.crs), Crs::from_user_input("EPSG:4326"));
    to_wgs84.transform(net.node_lon, net.node_lat);
    to_wgs84.transform(net.join_lon, net.join_lat);
  }
  monitor.report("building edges", 4, 4);
  return net;
}

// ---------------------------------------------------------------------------------------
// Sub-networks (the graph part is core/road_topology's road_subgraph)

RoadNetwork subnetwork(const RoadNetwork& net, std::span<const std::uint8_t> keep_node) {
  RoadNetwork out;
  static_cast<RoadGraph&>(out) = road_subgraph(net, keep_node);
  out.crs = net.crs;
  out.join_lon = net.join_lon;
  out.join_lat = net.join_lat;
  out.class_names = net.class_names;
  out.line_feature = net.line_feature;
  out.line_layer = net.line_layer;
  out.excluded_feature = net.excluded_feature;
  out.skipped = net.skipped;
  for (std::size_t v = 0; v < net.node_count(); ++v) {
    if (!keep_node[v]) continue;
    out.node_lon.push_back(net.node_lon[v]);
    out.node_lat.push_back(net.node_lat[v]);
  }
  out.edge_feature.reserve(out.edge_count());
  out.edge_layer.reserve(out.edge_count());
  for (auto l : out.edge_line) {
    out.edge_feature.push_back(net.line_feature[static_cast<std::size_t>(l)]);
    out.edge_layer.push_back(net.line_layer[static_cast<std::size_t>(l)]);
  }
  return out;
}

RoadNetwork largest_road_component(const RoadNetwork& net) { return subnetwork(net, largest_component_mask(net)); }

}  // namespace jangkau
