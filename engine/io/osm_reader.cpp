#include "osm_reader.hpp"

#include <osmium/handler.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/io/reader.hpp>
#include <osmium/osm/node.hpp>
#include <osmium/osm/relation.hpp>
#include <osmium/osm/way.hpp>
#include <osmium/thread/pool.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/error.hpp"
#include "io/crs.hpp"
#include "io/osm_tags.hpp"

namespace jangkau {

namespace detail {

namespace {

// Keys (and key=value pairs) that make a closed way an area: GDAL's closed_ways_are_polygons
// (osmconf.ini), so both OSM readers agree on what is a road.
constexpr std::array<std::string_view, 16> kAreaKeys{"aeroway", "amenity",    "boundary", "building",
                                                     "craft",   "geological", "historic", "landuse",
                                                     "leisure", "military",   "natural",  "office",
                                                     "place",   "shop",       "sport",    "tourism"};

bool closed_way_is_area(const osmium::Way& way) {
  const auto& nodes = way.nodes();
  if (nodes.size() < 4 || nodes.front().ref() != nodes.back().ref()) return false;
  if (const char* area = way.tags()["area"]) {
    if (std::strcmp(area, "yes") == 0) return true;
    if (std::strcmp(area, "no") == 0) return false;
  }
  for (const auto& tag : way.tags()) {
    const std::string_view k = tag.key();
    if (std::find(kAreaKeys.begin(), kAreaKeys.end(), k) != kAreaKeys.end()) return true;
    if ((k == "highway" || k == "public_transport") && std::strcmp(tag.value(), "platform") == 0) return true;
  }
  return false;
}

std::string tag_or_empty(const osmium::TagList& tags, const char* key) {
  const char* v = tags[key];
  return v ? std::string(v) : std::string();
}

// A road way kept by pass 1: its attributes and its node refs (in `refs`).
struct KeptWay {
  std::int64_t id;
  std::int32_t road_class;
  double maxspeed_kmh;
  Oneway oneway;
  std::size_t first_ref, ref_count;
};

// Sorted (id, location) arrays: the compact node index. After build_filter(), contains() first
// looks at one bit per block of 2^kBlockShift ids (a bitmap of the blocks holding an id of the
// index), so that the refs of ways far from the window are rejected without a binary search.
struct NodeIndex {
  static constexpr int kBlockShift = 8;
  std::vector<std::int64_t> id;
  std::vector<osmium::Location> location;
  std::vector<std::uint64_t> blocks;  // empty: no filter

  void build_filter() {
    blocks.clear();
    if (id.empty() || id.front() < 0) return;  // negative ids (unsaved edits): binary search only
    const auto n_blocks = static_cast<std::size_t>(id.back() >> kBlockShift) + 1;
    blocks.assign((n_blocks + 63) / 64, 0);
    for (const auto v : id) {
      const auto b = static_cast<std::size_t>(v >> kBlockShift);
      blocks[b / 64] |= std::uint64_t{1} << (b % 64);
    }
  }

  void sort_if_needed() {
    if (std::is_sorted(id.begin(), id.end())) return;
    std::vector<std::size_t> order(id.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return id[a] < id[b]; });
    std::vector<std::int64_t> sid(id.size());
    std::vector<osmium::Location> sloc(id.size());
    for (std::size_t i = 0; i < order.size(); ++i) sid[i] = id[order[i]], sloc[i] = location[order[i]];
    id = std::move(sid);
    location = std::move(sloc);
  }
  bool contains(std::int64_t ref) const {
    if (!blocks.empty()) {
      if (ref < 0) return false;  // the filter exists only when every id is >= 0
      const auto b = static_cast<std::size_t>(ref >> kBlockShift);
      if (b / 64 >= blocks.size() || (blocks[b / 64] & (std::uint64_t{1} << (b % 64))) == 0) return false;
    }
    return std::binary_search(id.begin(), id.end(), ref);
  }
  // Location of `ref`, or an undefined Location when absent.
  osmium::Location find(std::int64_t ref) const {
    const auto it = std::lower_bound(id.begin(), id.end(), ref);
    if (it == id.end() || *it != ref) return osmium::Location{};
    return location[static_cast<std::size_t>(it - id.begin())];
  }
};

// A way's id and its node refs (Scanner::refs[first_ref, first_ref + ref_count)).
struct WayRefs {
  std::int64_t id;
  std::size_t first_ref, ref_count;
};

class Scanner {
 public:
  Scanner(const std::string& path, const SpeedTable& speeds, const OsmWindowOptions& options,
          std::vector<std::uint8_t> selected)
      : m_path(path), m_speeds(speeds), m_options(options), m_selected(std::move(selected)) {
    const double h = std::max(0.0, options.halo_deg);
    m_halo = {options.window.min_lon - h, options.window.min_lat - h, options.window.max_lon + h,
              options.window.max_lat + h};
    for (const auto& p : options.facility_name_prefixes) {
      if (p.empty()) continue;
      m_prefixes.push_back(lower_trim(p) + (p.back() == ' ' ? " " : ""));  // "sd ": the word SD
    }
  }

  OsmReadStats stats;
  NodeIndex window;  // nodes inside the window
  NodeIndex halo;    // nodes in the ring around it (locations only)
  std::vector<KeptWay> roads;
  std::vector<std::int64_t> refs;      // node refs of kept roads and facility ways
  std::vector<std::int64_t> excluded;  // closed to motor vehicles
  // Facility candidates: nodes (resolved at once) and ways (refs resolved after pass 2).
  struct Facility {
    char type;
    std::int64_t id;
    double lon = 0, lat = 0;                   // nodes
    std::size_t first_ref = 0, ref_count = 0;  // ways
    std::vector<std::string> tags;
  };
  std::vector<Facility> facilities;
  // Every other way with a node in the window (a possible member of a facility multipolygon).
  std::vector<WayRefs> other_ways;
  // Facility multipolygon relations: tags and member way ids (members[first, first + count)).
  struct Relation {
    std::int64_t id;
    std::size_t first_member, member_count;
    std::vector<std::string> tags;
  };
  std::vector<Relation> relations;
  std::vector<std::int64_t> members;

  void relation(const osmium::Relation& r) {
    ++stats.relations;
    const char* type = r.tags()["type"];
    if (type == nullptr || std::strcmp(type, "multipolygon") != 0 || !is_facility(r.tags())) return;
    ++stats.facility_relations;
    Relation rel{r.id(), members.size(), 0, copy_tags(r.tags())};
    for (const auto& m : r.members())
      if (m.type() == osmium::item_type::way) members.push_back(m.ref());
    rel.member_count = members.size() - rel.first_member;
    relations.push_back(std::move(rel));
  }

  void node(const osmium::Node& n) {
    ++stats.nodes;
    const std::int64_t id = n.id();
    if (id <= m_last_node) stats.sorted = false;
    m_last_node = id;
    if (m_seen_way)
      throw InvalidInputError("the OSM file holds a node after a way: sort it first (osmium sort)",
                              {m_path, id, "node"});
    const osmium::Location loc = n.location();
    if (!loc.valid()) return;
    const double lon = loc.lon_without_check(), lat = loc.lat_without_check();
    if (!m_options.window.contains(lon, lat)) {
      if (m_halo.contains(lon, lat)) {
        halo.id.push_back(id);
        halo.location.push_back(loc);
      }
      return;
    }
    window.id.push_back(id);
    window.location.push_back(loc);
    if (m_options.facilities && !n.tags().empty() && is_facility(n.tags())) {
      Facility f{'n', id, loc.lon_without_check(), loc.lat_without_check(), 0, 0, copy_tags(n.tags())};
      facilities.push_back(std::move(f));
    }
  }

  void way(const osmium::Way& w) {
    if (!m_seen_way) {
      m_seen_way = true;
      window.sort_if_needed();
      halo.sort_if_needed();
      window.build_filter();
    }
    ++stats.ways;
    if (w.tags().empty()) {
      keep_other(w);
      return;
    }
    const char* highway = w.tags()["highway"];
    bool road = false;
    std::int32_t code = -1;
    if (highway) {
      code = m_speeds.find(highway);
      road = code >= 0 && m_selected[static_cast<std::size_t>(code)] != 0 && !closed_way_is_area(w);
    }
    const bool facility = m_options.facilities && is_facility(w.tags());
    if (!road && !facility) {
      keep_other(w);
      return;
    }
    if (!touches_window(w)) return;
    if (facility) {
      Facility f{'w', w.id(), 0, 0, refs.size(), w.nodes().size(), copy_tags(w.tags())};
      for (const auto& nr : w.nodes()) refs.push_back(nr.ref());
      facilities.push_back(std::move(f));
    }
    if (!road) return;
    const auto& tags = w.tags();
    if (m_options.roads.honour_access &&
        !motor_access(tag_or_empty(tags, "motorcycle"), tag_or_empty(tags, "motor_vehicle"),
                      tag_or_empty(tags, "vehicle"), tag_or_empty(tags, "access"))) {
      excluded.push_back(w.id());
      if (!facility) keep_other(w);
      return;
    }
    std::optional<Oneway> oneway = parse_oneway(tag_or_empty(tags, "oneway"));
    if (!oneway) {
      const std::string junction = lower_trim(tag_or_empty(tags, "junction"));
      oneway = (junction == "roundabout" || junction == "circular" || std::strcmp(highway, "motorway") == 0)
                   ? Oneway::Forward
                   : Oneway::No;
    }
    ++stats.road_ways;
    roads.push_back(
        {w.id(), code, parse_maxspeed_kmh(tag_or_empty(tags, "maxspeed")), *oneway, refs.size(), w.nodes().size()});
    for (const auto& nr : w.nodes()) refs.push_back(nr.ref());
  }

 private:
  // Keeps the node refs of a way with a node in the window that is neither a road nor a facility.
  void keep_other(const osmium::Way& w) {
    if (!m_options.facilities || !touches_window(w)) return;
    other_ways.push_back({w.id(), refs.size(), w.nodes().size()});
    for (const auto& nr : w.nodes()) refs.push_back(nr.ref());
  }

  bool touches_window(const osmium::Way& w) const {
    for (const auto& nr : w.nodes())
      if (window.contains(nr.ref())) return true;
    return false;
  }

  bool is_facility(const osmium::TagList& tags) const {
    for (const auto& key : m_options.facility_keys)
      if (tags.has_key(key.c_str())) return true;
    if (m_prefixes.empty()) return false;
    const char* name = tags["name"];
    if (!name) return false;
    const std::string lname = lower_trim(name) + " ";
    for (const auto& p : m_prefixes)
      if (lname.compare(0, p.size(), p) == 0) return true;
    return false;
  }

  std::vector<std::string> copy_tags(const osmium::TagList& tags) const {
    std::vector<std::string> out;
    out.reserve(m_options.facility_tags.size());
    for (const auto& k : m_options.facility_tags) out.push_back(tag_or_empty(tags, k.c_str()));
    return out;
  }

  const std::string& m_path;
  const SpeedTable& m_speeds;
  const OsmWindowOptions& m_options;
  std::vector<std::uint8_t> m_selected;
  std::vector<std::string> m_prefixes;
  LonLatBox m_halo;
  std::int64_t m_last_node = std::numeric_limits<std::int64_t>::min();
  bool m_seen_way = false;
};

// Node id lists of one multipolygon joined into closed rings (see assemble_rings).
struct Rings {
  std::vector<std::vector<std::int64_t>> rings;
  std::string problem;  // empty when every way is part of a closed ring
};

// Joins the member ways of a multipolygon into closed rings: a closed way is a ring; open ways
// are chained end to end at shared end nodes (either direction) until the chain closes. Fails,
// naming the node, when a chain cannot be continued or a ring has fewer than three distinct
// nodes. Rings come in the order of their first way.
Rings assemble_rings(const std::vector<std::vector<std::int64_t>>& ways) {
  Rings out;
  std::unordered_multimap<std::int64_t, std::size_t> ends;
  std::vector<char> used(ways.size(), 0);
  for (std::size_t i = 0; i < ways.size(); ++i) {
    if (ways[i].size() < 2) {
      out.problem = "a member way has fewer than two nodes";
      return out;
    }
    if (ways[i].front() != ways[i].back()) {
      ends.emplace(ways[i].front(), i);
      ends.emplace(ways[i].back(), i);
    }
  }
  for (std::size_t i = 0; i < ways.size(); ++i) {
    if (used[i] != 0) continue;
    used[i] = 1;
    std::vector<std::int64_t> ring = ways[i];
    while (ring.front() != ring.back()) {
      const std::int64_t tail = ring.back();
      std::size_t next = ways.size();
      for (auto [it, last] = ends.equal_range(tail); it != last; ++it)
        if (used[it->second] == 0) {
          next = it->second;
          break;
        }
      if (next == ways.size()) {
        out.problem = "the rings do not close at node " + std::to_string(tail);
        return out;
      }
      used[next] = 1;
      const auto& w = ways[next];
      if (w.front() == tail)
        ring.insert(ring.end(), w.begin() + 1, w.end());
      else
        ring.insert(ring.end(), w.rbegin() + 1, w.rend());
    }
    if (ring.size() < 4) {
      out.problem = "a ring of fewer than three distinct nodes at node " + std::to_string(ring.front());
      return out;
    }
    out.rings.push_back(std::move(ring));
  }
  if (out.rings.empty()) out.problem = "no member way";
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `fn(buffer)` over the buffers of `path` with the given entity types; fn returns false to
// stop reading. Translates libosmium's exceptions into DataFileError naming the file.
template <class Fn>
void for_each_buffer(const std::string& path, osmium::osm_entity_bits::type entities, int threads, Monitor& monitor,
                     std::string_view stage, Fn&& fn) {
  try {
    osmium::thread::Pool pool{threads};
    osmium::io::Reader reader{osmium::io::File{path}, entities, osmium::io::read_meta::no, pool};
    const auto size = static_cast<std::size_t>(reader.file_size());
    while (osmium::memory::Buffer buffer = reader.read()) {
      monitor.report(stage, static_cast<std::size_t>(reader.offset()), size);
      if (!fn(buffer)) break;
    }
    reader.close();
  } catch (const jangkau::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw DataFileError(std::string("cannot read the OSM file: ") + e.what(), {path, -1, ""});
  }
}

}  // namespace

}  // namespace detail

OsmWindowResult read_osm_window(const std::string& path, const SpeedTable& speeds, const OsmWindowOptions& options,
                                Monitor& monitor) {
  const LonLatBox& win = options.window;
  if (!(win.min_lon <= win.max_lon && win.min_lat <= win.max_lat) || !std::isfinite(win.min_lon) ||
      !std::isfinite(win.max_lon) || !std::isfinite(win.min_lat) || !std::isfinite(win.max_lat))
    throw InvalidInputError("the OSM window is empty or not finite", {path, -1, "window"});
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw DataFileError("OSM file not found", {path, -1, ""});
  std::vector<std::uint8_t> selected(speeds.classes.size(), 0);
  if (options.roads.classes.empty()) {
    for (std::size_t c = 0; c < speeds.classes.size(); ++c) selected[c] = speeds.classes[c].routable ? 1 : 0;
  } else {
    for (const auto& name : options.roads.classes) {
      const auto code = speeds.find(name);
      if (code < 0)
        throw InvalidInputError("road class '" + name + "' is not in the speed table", {path, -1, "classes"});
      selected[static_cast<std::size_t>(code)] = 1;
    }
  }
  const int threads = options.threads > 0 ? options.threads
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  // Pass 1: window nodes, kept ways.
  detail::Scanner scan(path, speeds, options, std::move(selected));
  auto t0 = std::chrono::steady_clock::now();
  detail::for_each_buffer(path,
                          osmium::osm_entity_bits::node | osmium::osm_entity_bits::way |
                              osmium::osm_entity_bits::relation,
                          threads, monitor, "reading OSM (pass 1 of 2)", [&](const osmium::memory::Buffer& buffer) {
                            for (const auto& item : buffer) {
                              if (item.type() == osmium::item_type::node) {
                                scan.node(static_cast<const osmium::Node&>(item));
                              } else if (item.type() == osmium::item_type::way) {
                                scan.way(static_cast<const osmium::Way&>(item));
                              } else if (item.type() == osmium::item_type::relation) {
                                // a sorted file holds no node or way after its relations
                                if (!options.facilities) {
                                  if (scan.stats.sorted) return false;
                                  continue;
                                }
                                scan.relation(static_cast<const osmium::Relation&>(item));
                              }
                            }
                            return true;
                          });
  scan.window.sort_if_needed();
  scan.halo.sort_if_needed();
  scan.stats.window_nodes = static_cast<std::int64_t>(scan.window.id.size());
  scan.stats.halo_nodes = static_cast<std::int64_t>(scan.halo.id.size());
  scan.stats.pass1_s = detail::seconds_since(t0);

  // Every kept way by id (roads, facility ways, other ways with a node in the window).
  std::vector<detail::WayRefs> by_id;
  by_id.reserve(scan.roads.size() + scan.facilities.size() + scan.other_ways.size());
  for (const auto& w : scan.roads) by_id.push_back({w.id, w.first_ref, w.ref_count});
  for (const auto& f : scan.facilities)
    if (f.type == 'w') by_id.push_back({f.id, f.first_ref, f.ref_count});
  for (const auto& w : scan.other_ways) by_id.push_back(w);
  scan.other_ways = {};
  const auto by_id_less = [](const detail::WayRefs& a, const detail::WayRefs& b) { return a.id < b.id; };
  std::sort(by_id.begin(), by_id.end(), by_id_less);
  const auto find_way = [&](std::int64_t id) -> const detail::WayRefs* {
    const auto it = std::lower_bound(by_id.begin(), by_id.end(), detail::WayRefs{id, 0, 0}, by_id_less);
    return it != by_id.end() && it->id == id ? &*it : nullptr;
  };

  // Facility multipolygons inside the window: a member way with a node in the window. Their
  // other member ways are read by a way pass.
  std::vector<std::size_t> window_relations;
  std::vector<std::int64_t> fetch;
  for (std::size_t i = 0; i < scan.relations.size(); ++i) {
    const auto& rel = scan.relations[i];
    const auto m0 = scan.members.begin() + static_cast<std::ptrdiff_t>(rel.first_member);
    const auto m1 = m0 + static_cast<std::ptrdiff_t>(rel.member_count);
    if (std::none_of(m0, m1, [&](std::int64_t id) { return find_way(id) != nullptr; })) continue;
    window_relations.push_back(i);
    for (auto it = m0; it != m1; ++it)
      if (find_way(*it) == nullptr) fetch.push_back(*it);
  }
  std::sort(fetch.begin(), fetch.end());
  fetch.erase(std::unique(fetch.begin(), fetch.end()), fetch.end());
  t0 = std::chrono::steady_clock::now();
  if (!fetch.empty()) {
    const bool sorted = scan.stats.sorted;
    detail::for_each_buffer(path, osmium::osm_entity_bits::way, threads, monitor, "reading OSM (member ways)",
                            [&](const osmium::memory::Buffer& buffer) {
                              for (const auto& item : buffer) {
                                if (item.type() != osmium::item_type::way) {
                                  if (sorted && item.type() == osmium::item_type::relation) return false;
                                  continue;
                                }
                                const auto& w = static_cast<const osmium::Way&>(item);
                                if (sorted && w.id() > fetch.back()) return false;
                                if (!std::binary_search(fetch.begin(), fetch.end(), w.id())) continue;
                                by_id.push_back({w.id(), scan.refs.size(), w.nodes().size()});
                                for (const auto& nr : w.nodes()) scan.refs.push_back(nr.ref());
                              }
                              return true;
                            });
    std::sort(by_id.begin(), by_id.end(), by_id_less);
  }
  scan.stats.member_ways_fetched = static_cast<std::int64_t>(fetch.size());
  scan.stats.way_pass_s = detail::seconds_since(t0);
  scan.stats.window_relations = static_cast<std::int64_t>(window_relations.size());

  // Pass 2: nodes of kept ways outside the window (roads, facility ways, members of the window's
  // facility multipolygons).
  std::vector<std::int64_t> needed;
  const auto need = [&](std::size_t first, std::size_t count) {
    for (std::size_t k = first; k < first + count; ++k) {
      const auto r = scan.refs[k];
      if (!scan.window.contains(r) && !scan.halo.contains(r)) needed.push_back(r);
    }
  };
  for (const auto& w : scan.roads) need(w.first_ref, w.ref_count);
  for (const auto& f : scan.facilities)
    if (f.type == 'w') need(f.first_ref, f.ref_count);
  for (const auto i : window_relations) {
    const auto& rel = scan.relations[i];
    for (std::size_t m = rel.first_member; m < rel.first_member + rel.member_count; ++m)
      if (const auto* w = find_way(scan.members[m])) need(w->first_ref, w->ref_count);
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  detail::NodeIndex outside;
  t0 = std::chrono::steady_clock::now();
  if (!needed.empty()) {
    outside.id = needed;
    outside.location.assign(needed.size(), osmium::Location{});
    const bool sorted = scan.stats.sorted;
    std::size_t cursor = 0;
    detail::for_each_buffer(path, osmium::osm_entity_bits::node | osmium::osm_entity_bits::way, threads, monitor,
                            "reading OSM (pass 2 of 2)", [&](const osmium::memory::Buffer& buffer) {
                              for (const auto& item : buffer) {
                                if (item.type() != osmium::item_type::node) {
                                  if (sorted) return false;  // nodes come first in a sorted file
                                  continue;
                                }
                                const auto& n = static_cast<const osmium::Node&>(item);
                                const std::int64_t id = n.id();
                                if (sorted) {
                                  while (cursor < needed.size() && needed[cursor] < id) ++cursor;
                                  if (cursor == needed.size()) return false;
                                  if (needed[cursor] == id) outside.location[cursor] = n.location();
                                } else {
                                  const auto it = std::lower_bound(needed.begin(), needed.end(), id);
                                  if (it != needed.end() && *it == id)
                                    outside.location[static_cast<std::size_t>(it - needed.begin())] = n.location();
                                }
                              }
                              return true;
                            });
  }
  scan.stats.outside_nodes = static_cast<std::int64_t>(needed.size());
  scan.stats.pass2_s = detail::seconds_since(t0);

  auto locate = [&](std::int64_t ref) {
    osmium::Location loc = scan.window.find(ref);
    if (!loc.valid()) loc = scan.halo.find(ref);
    if (!loc.valid()) loc = outside.find(ref);
    return loc;
  };

  OsmWindowResult result;
  RoadLines& out = result.roads;
  out.geometry.kind = GeometryKind::Line;
  for (const auto& w : scan.roads) {
    bool complete = true;
    for (std::size_t k = 0; k < w.ref_count && complete; ++k) complete = locate(scan.refs[w.first_ref + k]).valid();
    if (!complete) {
      out.skipped.add(0, w.id, SkipReason::MissingNodes);
      continue;
    }
    for (std::size_t k = 0; k < w.ref_count; ++k) {
      const auto loc = locate(scan.refs[w.first_ref + k]);
      out.geometry.push_coordinate(loc.lon_without_check(), loc.lat_without_check());
    }
    out.geometry.end_ring();
    out.geometry.end_part();
    out.geometry.end_geometry();
    out.road_class.push_back(w.road_class);
    out.maxspeed_kmh.push_back(w.maxspeed_kmh);
    out.oneway.push_back(w.oneway);
    out.feature.push_back(w.id);
    out.layer.push_back(0);
  }
  out.excluded_feature = std::move(scan.excluded);
  if (out.size() == 0)
    throw InvalidInputError("no highway ways of the selected classes in the window", {path, -1, "highway"});

  // Facility candidates, in file order (nodes, then ways).
  OsmFeatures& fac = result.facilities;
  fac.tag_keys = options.facility_tags;
  fac.tag_values.assign(fac.tag_keys.size(), {});
  for (const auto& f : scan.facilities) {
    if (f.type == 'w') {
      bool complete = true;
      for (std::size_t k = 0; k < f.ref_count && complete; ++k) complete = locate(scan.refs[f.first_ref + k]).valid();
      if (!complete || f.ref_count == 0) {
        fac.incomplete_way.push_back(f.id);
        continue;
      }
      for (std::size_t k = 0; k < f.ref_count; ++k) {
        const auto loc = locate(scan.refs[f.first_ref + k]);
        fac.lon.push_back(loc.lon_without_check());
        fac.lat.push_back(loc.lat_without_check());
      }
    } else {
      fac.lon.push_back(f.lon);
      fac.lat.push_back(f.lat);
    }
    fac.offsets.push_back(static_cast<std::int64_t>(fac.lon.size()));
    fac.ring_offsets.push_back(fac.offsets.back());
    fac.osm_type.push_back(f.type);
    fac.osm_id.push_back(f.id);
    for (std::size_t k = 0; k < fac.tag_keys.size(); ++k) fac.tag_values[k].push_back(f.tags[k]);
  }
  // Facility multipolygons, in file order: member ways located, then joined into rings.
  for (const auto i : window_relations) {
    const auto& rel = scan.relations[i];
    std::vector<std::int64_t> ids(scan.members.begin() + static_cast<std::ptrdiff_t>(rel.first_member),
                                  scan.members.begin() +
                                      static_cast<std::ptrdiff_t>(rel.first_member + rel.member_count));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());  // a way listed twice is one way
    std::vector<std::vector<std::int64_t>> ways;
    std::string broken;
    for (const auto id : ids) {
      const auto* w = find_way(id);
      if (w == nullptr) {
        broken = "member way " + std::to_string(id) + " is not in the file";
        break;
      }
      ways.emplace_back(scan.refs.begin() + static_cast<std::ptrdiff_t>(w->first_ref),
                        scan.refs.begin() + static_cast<std::ptrdiff_t>(w->first_ref + w->ref_count));
      for (const auto ref : ways.back())
        if (!locate(ref).valid()) {
          broken = "node " + std::to_string(ref) + " of way " + std::to_string(id) + " is not in the file";
          break;
        }
      if (!broken.empty()) break;
    }
    detail::Rings rings;
    if (broken.empty()) {
      rings = detail::assemble_rings(ways);
      if (!rings.problem.empty()) broken = rings.problem;
    }
    if (!broken.empty()) {
      fac.broken_relation.push_back(rel.id);
      fac.broken_reason.push_back(std::move(broken));
      continue;
    }
    for (const auto& ring : rings.rings) {
      for (const auto ref : ring) {
        const auto loc = locate(ref);
        fac.lon.push_back(loc.lon_without_check());
        fac.lat.push_back(loc.lat_without_check());
      }
      fac.ring_offsets.push_back(static_cast<std::int64_t>(fac.lon.size()));
    }
    fac.offsets.push_back(static_cast<std::int64_t>(fac.lon.size()));
    fac.osm_type.push_back('r');
    fac.osm_id.push_back(rel.id);
    for (std::size_t k = 0; k < fac.tag_keys.size(); ++k) fac.tag_values[k].push_back(rel.tags[k]);
  }

  // The metric CRS: given, else the UTM zone of the window's centre (of the data's centre for
  // the whole-world window).
  std::string target = options.roads.crs;
  if (target.empty()) {
    const LonLatBox world;
    double lon = 0.5 * (win.min_lon + win.max_lon), lat = 0.5 * (win.min_lat + win.max_lat);
    if (win.min_lon <= world.min_lon && win.max_lon >= world.max_lon && win.min_lat <= world.min_lat &&
        win.max_lat >= world.max_lat) {
      const Box b = bounds(out.geometry);
      lon = 0.5 * (b.min_x + b.max_x);
      lat = 0.5 * (b.min_y + b.max_y);
    }
    target = utm_crs_for(lon, lat);
  }
  const Crs target_crs = Crs::from_user_input(target);
  if (target_crs.is_geographic)
    throw CrsError("the road network needs a metric CRS, not '" + target + "'", {path, -1, "crs"});
  Transformer(Crs::from_user_input("EPSG:4326"), target_crs).transform(out.geometry);
  out.crs = target_crs.id();
  result.stats = scan.stats;
  return result;
}

}  // namespace jangkau
