// Tests of io/osm_reader (the windowed libosmium reader) on small .osm.pbf files that each
// test writes itself with libosmium: window filtering, ways crossing the window's edge kept
// whole (also when a node lies beyond the ring, i.e. through pass 2), tag filters, facility
// candidates, facility multipolygon relations (holes, several outer rings, broken ones, ones
// crossing the window's edge), the GDAL reader as a peer on a whole-file window, and typed
// errors for missing, truncated and corrupt files.
#include <osmium/builder/attr.hpp>
#include <osmium/io/any_output.hpp>
#include <osmium/io/writer.hpp>
#include <osmium/memory/buffer.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"
#include "io/osm_reader.hpp"
#include "io/roads.hpp"

namespace {

namespace fs = std::filesystem;
using namespace osmium::builder::attr;  // NOLINT(google-build-using-namespace): libosmium's attribute DSL

struct TestNode {
  std::int64_t id;
  double lon, lat;
  std::vector<std::pair<std::string, std::string>> tags;
};

struct TestWay {
  std::int64_t id;
  std::vector<std::int64_t> nodes;
  std::vector<std::pair<std::string, std::string>> tags;
};

struct TestRelation {
  std::int64_t id;
  std::vector<std::pair<std::int64_t, std::string>> ways;  // member way id, role
  std::vector<std::pair<std::string, std::string>> tags;
};

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / "jangkau_test_osm_reader";
  fs::create_directories(d);
  return d;
}

// Writes a sorted .osm.pbf (nodes by id, then ways by id, then relations by id) with libosmium.
fs::path write_pbf(const std::string& name, std::vector<TestNode> nodes, std::vector<TestWay> ways,
                   std::vector<TestRelation> relations = {}) {
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::sort(ways.begin(), ways.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  osmium::memory::Buffer buffer{1 << 16, osmium::memory::Buffer::auto_grow::yes};
  for (const auto& n : nodes) {
    osmium::builder::add_node(buffer, _id(n.id), _version(1), _timestamp("2026-01-01T00:00:00Z"),
                              _location(n.lon, n.lat), _tags(n.tags));
  }
  for (const auto& w : ways) {
    std::vector<osmium::object_id_type> refs(w.nodes.begin(), w.nodes.end());
    osmium::builder::add_way(buffer, _id(w.id), _version(1), _timestamp("2026-01-01T00:00:00Z"), _nodes(refs),
                             _tags(w.tags));
  }
  std::sort(relations.begin(), relations.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& r : relations) {
    std::vector<member_type> members;
    for (const auto& [ref, role] : r.ways) members.emplace_back(osmium::item_type::way, ref, role.c_str());
    osmium::builder::add_relation(buffer, _id(r.id), _version(1), _timestamp("2026-01-01T00:00:00Z"),
                                  _members(members), _tags(r.tags));
  }
  const fs::path p = temp_dir() / name;
  osmium::io::Writer writer{p.string(), osmium::io::overwrite::allow};
  writer(std::move(buffer));
  writer.close();
  return p;
}

jangkau::SpeedTable speeds() {
  return jangkau::read_speed_table(std::string(JANGKAU_SOURCE_DIR) + "/datasets/road_speeds.csv");
}

// The window of the tests: a 0.2° box around (106.1, -6.1), inside Kabupaten Serang.
jangkau::OsmWindowOptions window_options() {
  jangkau::OsmWindowOptions o;
  o.window = {106.0, -6.2, 106.2, -6.0};
  o.roads.crs = "EPSG:32748";
  o.threads = 2;
  return o;
}

// Nodes and ways of the window tests:
//   way 10 (primary): nodes 1-2-3, all inside the window;
//   way 11 (residential): nodes 4-5-6, all east of the window and of its 0.1° ring;
//   way 12 (secondary): node 7 inside, node 8 in the ring, node 9 beyond the ring (pass 2);
//   way 13 (tertiary): nodes 5-6 outside and node 3 inside (the last node is the inside one).
std::pair<std::vector<TestNode>, std::vector<TestWay>> crossing_case() {
  std::vector<TestNode> n{{1, 106.05, -6.10, {}}, {2, 106.10, -6.10, {}}, {3, 106.15, -6.10, {}},
                          {4, 106.60, -6.10, {}}, {5, 106.65, -6.10, {}}, {6, 106.70, -6.12, {}},
                          {7, 106.12, -6.05, {}}, {8, 106.25, -6.05, {}}, {9, 106.50, -6.05, {}}};
  std::vector<TestWay> w{{10, {1, 2, 3}, {{"highway", "primary"}}},
                         {11, {4, 5, 6}, {{"highway", "residential"}}},
                         {12, {7, 8, 9}, {{"highway", "secondary"}}},
                         {13, {5, 6, 3}, {{"highway", "tertiary"}}}};
  return {n, w};
}

std::size_t coordinates_of(const jangkau::RoadLines& r, std::size_t i) {
  const auto& g = r.geometry;
  const auto p0 = static_cast<std::size_t>(g.geom_offsets[i]), p1 = static_cast<std::size_t>(g.geom_offsets[i + 1]);
  const auto r0 = static_cast<std::size_t>(g.part_offsets[p0]), r1 = static_cast<std::size_t>(g.part_offsets[p1]);
  return static_cast<std::size_t>(g.ring_offsets[r1] - g.ring_offsets[r0]);
}

std::set<std::int64_t> features(const jangkau::RoadLines& r) { return {r.feature.begin(), r.feature.end()}; }

}  // namespace

TEST_CASE("osm_reader: only ways with a node inside the window are read", "[osm_reader]") {
  const auto [nodes, ways] = crossing_case();
  const fs::path p = write_pbf("window.osm.pbf", nodes, ways);
  const auto res = jangkau::read_osm_window(p.string(), speeds(), window_options());
  CHECK(features(res.roads) == std::set<std::int64_t>{10, 12, 13});
  CHECK(res.stats.nodes == 9);
  CHECK(res.stats.ways == 4);
  CHECK(res.stats.road_ways == 3);
  CHECK(res.stats.window_nodes == 4);  // nodes 1, 2, 3, 7
  CHECK(res.roads.skipped.size() == 0);
}

TEST_CASE("osm_reader: ways crossing the window's edge are kept whole", "[osm_reader]") {
  const auto [nodes, ways] = crossing_case();
  const fs::path p = write_pbf("crossing.osm.pbf", nodes, ways);
  const auto res = jangkau::read_osm_window(p.string(), speeds(), window_options());
  REQUIRE(res.roads.size() == 3);
  for (std::size_t i = 0; i < res.roads.size(); ++i) {
    INFO("way " << res.roads.feature[i]);
    CHECK(coordinates_of(res.roads, i) == 3);  // every way of the case has three nodes
  }
  // node 9 lies beyond the 0.1° ring: its location came from the second pass
  CHECK(res.stats.outside_nodes >= 1);

  // The same ways, coordinate for coordinate, as a read of the whole file (no window).
  auto all = window_options();
  all.window = {};
  const auto whole = jangkau::read_osm_window(p.string(), speeds(), all);
  CHECK(features(whole.roads) == std::set<std::int64_t>{10, 11, 12, 13});
  for (std::size_t i = 0; i < res.roads.size(); ++i) {
    const auto j = static_cast<std::size_t>(
        std::find(whole.roads.feature.begin(), whole.roads.feature.end(), res.roads.feature[i]) -
        whole.roads.feature.begin());
    REQUIRE(j < whole.roads.size());
    const auto a0 = static_cast<std::size_t>(
        res.roads.geometry.ring_offsets[res.roads.geometry.part_offsets[res.roads.geometry.geom_offsets[i]]]);
    const auto b0 = static_cast<std::size_t>(
        whole.roads.geometry.ring_offsets[whole.roads.geometry.part_offsets[whole.roads.geometry.geom_offsets[j]]]);
    for (std::size_t k = 0; k < 3; ++k) {
      CHECK(res.roads.geometry.x[a0 + k] == whole.roads.geometry.x[b0 + k]);
      CHECK(res.roads.geometry.y[a0 + k] == whole.roads.geometry.y[b0 + k]);
    }
  }
}

TEST_CASE("osm_reader: a whole-file window agrees with GDAL's OSM driver", "[osm_reader]") {
  const auto [nodes, ways] = crossing_case();
  const fs::path p = write_pbf("peer.osm.pbf", nodes, ways);
  auto all = window_options();
  all.window = {};
  const auto mine = jangkau::read_osm_window(p.string(), speeds(), all);
  jangkau::OsmReadOptions g;
  g.crs = "EPSG:32748";
  const auto gdal = jangkau::read_osm_roads(p.string(), speeds(), g);
  CHECK(features(mine.roads) == features(gdal));
  REQUIRE(mine.roads.size() == gdal.size());
  for (std::size_t i = 0; i < gdal.size(); ++i) {
    const auto j = static_cast<std::size_t>(
        std::find(mine.roads.feature.begin(), mine.roads.feature.end(), gdal.feature[i]) -
        mine.roads.feature.begin());
    CHECK(mine.roads.road_class[j] == gdal.road_class[i]);
    CHECK(coordinates_of(mine.roads, j) == coordinates_of(gdal, i));
  }
}

TEST_CASE("osm_reader: tag filters — classes, access, areas, one-way, maxspeed", "[osm_reader]") {
  std::vector<TestNode> n;
  for (std::int64_t i = 1; i <= 12; ++i) n.push_back({i, 106.0 + 0.01 * static_cast<double>(i), -6.1, {}});
  n.push_back({13, 106.13, -6.09, {}});
  n.push_back({14, 106.13, -6.11, {}});
  std::vector<TestWay> w{
      {20, {1, 2}, {{"highway", "primary"}, {"maxspeed", "60"}}},
      {21, {2, 3}, {{"highway", "residential"}, {"oneway", "yes"}}},
      {22, {3, 4}, {{"highway", "residential"}, {"access", "private"}}},  // closed to motor vehicles
      {23, {4, 5}, {{"highway", "footway"}}},                             // not a routable class
      {24, {5, 6}, {{"building", "yes"}}},                                // not a road at all
      {25, {12, 13, 14, 12}, {{"highway", "pedestrian"}, {"area", "yes"}}},
      {26, {6, 7}, {{"highway", "unknown_class_xyz"}}},
      {27, {7, 8}, {{"highway", "trunk"}, {"junction", "roundabout"}}},
  };
  const fs::path p = write_pbf("tags.osm.pbf", n, w);
  const auto table = speeds();
  const auto res = jangkau::read_osm_window(p.string(), table, window_options());
  CHECK(features(res.roads) == std::set<std::int64_t>{20, 21, 27});
  CHECK(std::find(res.roads.excluded_feature.begin(), res.roads.excluded_feature.end(), 22) !=
        res.roads.excluded_feature.end());
  for (std::size_t i = 0; i < res.roads.size(); ++i) {
    const auto id = res.roads.feature[i];
    if (id == 20) {
      CHECK(res.roads.maxspeed_kmh[i] == 60.0);
      CHECK(res.roads.oneway[i] == jangkau::Oneway::No);
      CHECK(table.classes[static_cast<std::size_t>(res.roads.road_class[i])].name == "primary");
    }
    if (id == 21) CHECK(res.roads.oneway[i] == jangkau::Oneway::Forward);
    if (id == 27) CHECK(res.roads.oneway[i] == jangkau::Oneway::Forward);  // roundabouts are one-way
  }

  // only the classes asked for
  auto only = window_options();
  only.roads.classes = {"trunk"};
  const auto trunk = jangkau::read_osm_window(p.string(), table, only);
  CHECK(features(trunk.roads) == std::set<std::int64_t>{27});
  // a class the table does not know is an input error, not an empty result
  only.roads.classes = {"no_such_class"};
  CHECK_THROWS_AS(jangkau::read_osm_window(p.string(), table, only), jangkau::InvalidInputError);
}

TEST_CASE("osm_reader: facility candidates by key and by Indonesian name, inside the window only", "[osm_reader]") {
  std::vector<TestNode> n{{1, 106.05, -6.10, {}},
                          {2, 106.10, -6.10, {}},
                          {3, 106.06, -6.11, {{"amenity", "clinic"}, {"name", "Klinik Sehat"}}},
                          {4, 106.07, -6.11, {{"building", "yes"}, {"name", "Puskesmas Ciruas"}}},
                          {5, 106.08, -6.11, {{"shop", "bakery"}, {"name", "Roti Enak"}}},
                          {6, 106.90, -6.11, {{"amenity", "school"}, {"name", "SD Negeri 9"}}},  // outside
                          {7, 106.11, -6.12, {}},
                          {8, 106.12, -6.12, {}},
                          {9, 106.12, -6.13, {}}};
  std::vector<TestWay> w{{30, {1, 2}, {{"highway", "primary"}}},
                         {31, {7, 8, 9, 7}, {{"amenity", "school"}, {"name", "SMPN 1 Kragilan"}}}};
  const fs::path p = write_pbf("facilities.osm.pbf", n, w);
  const auto res = jangkau::read_osm_window(p.string(), speeds(), window_options());
  const auto& f = res.facilities;
  std::set<std::pair<char, std::int64_t>> got;
  for (std::size_t i = 0; i < f.size(); ++i) got.insert({f.osm_type[i], f.osm_id[i]});
  CHECK(got == std::set<std::pair<char, std::int64_t>>{{'n', 3}, {'n', 4}, {'w', 31}});
  const auto name_k = static_cast<std::size_t>(std::find(f.tag_keys.begin(), f.tag_keys.end(), "name") -
                                               f.tag_keys.begin());
  REQUIRE(name_k < f.tag_keys.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    const auto n_coords = f.offsets[i + 1] - f.offsets[i];
    if (f.osm_type[i] == 'w') {
      CHECK(n_coords == 4);  // the closed way's whole ring
      CHECK(f.tag_values[name_k][i] == "SMPN 1 Kragilan");
    } else {
      CHECK(n_coords == 1);
    }
  }
  auto none = window_options();
  none.facilities = false;
  CHECK(jangkau::read_osm_window(p.string(), speeds(), none).facilities.size() == 0);
}

TEST_CASE("osm_reader: bad files and bad windows give typed errors", "[osm_reader]") {
  const auto table = speeds();
  const auto opts = window_options();
  SECTION("missing file") {
    CHECK_THROWS_AS(jangkau::read_osm_window((temp_dir() / "no_such.osm.pbf").string(), table, opts),
                    jangkau::DataFileError);
  }
  SECTION("truncated file") {
    std::vector<TestNode> n;
    std::vector<TestWay> w;
    for (std::int64_t i = 1; i <= 4000; ++i)
      n.push_back({i, 106.0 + 0.00005 * static_cast<double>(i), -6.1 + 0.00001 * static_cast<double>(i % 7), {}});
    for (std::int64_t i = 0; i < 1000; ++i)
      w.push_back({100 + i, {4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4}, {{"highway", "residential"}}});
    const fs::path good = write_pbf("whole.osm.pbf", n, w);
    REQUIRE(jangkau::read_osm_window(good.string(), table, opts).roads.size() == 1000);
    const auto size = fs::file_size(good);
    std::vector<char> bytes(size);
    std::ifstream(good, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(size));
    const fs::path cut = temp_dir() / "truncated.osm.pbf";
    std::ofstream(cut, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(size / 2));
    try {
      (void)jangkau::read_osm_window(cut.string(), table, opts);
      FAIL("a truncated file was read without an error");
    } catch (const jangkau::DataFileError& e) {
      CHECK(std::string(e.what()).find("truncated.osm.pbf") != std::string::npos);
    }
  }
  SECTION("garbage bytes") {
    const fs::path junk = temp_dir() / "junk.osm.pbf";
    std::ofstream(junk, std::ios::binary | std::ios::trunc) << std::string(5000, '\x07') << "not a pbf";
    CHECK_THROWS_AS(jangkau::read_osm_window(junk.string(), table, opts), jangkau::DataFileError);
  }
  SECTION("inverted or empty window") {
    const auto [nodes, ways] = crossing_case();
    const fs::path p = write_pbf("errors.osm.pbf", nodes, ways);
    auto bad = opts;
    bad.window = {106.2, -6.0, 106.0, -6.2};
    CHECK_THROWS_AS(jangkau::read_osm_window(p.string(), table, bad), jangkau::InvalidInputError);
    bad.window = {10.0, 10.0, 10.1, 10.1};  // no road there
    CHECK_THROWS_AS(jangkau::read_osm_window(p.string(), table, bad), jangkau::InvalidInputError);
  }
}

namespace {

// Feature i of `f` as rings of (lon, lat).
std::vector<std::vector<std::pair<double, double>>> rings_of(const jangkau::OsmFeatures& f, std::size_t i) {
  std::vector<std::vector<std::pair<double, double>>> out;
  const auto a = f.offsets[i], b = f.offsets[i + 1];
  const auto first = std::find(f.ring_offsets.begin(), f.ring_offsets.end(), a);
  REQUIRE(first != f.ring_offsets.end());
  for (auto it = first; it + 1 != f.ring_offsets.end() && *it < b; ++it) {
    out.emplace_back();
    for (auto k = *it; k < *(it + 1); ++k)
      out.back().emplace_back(f.lon[static_cast<std::size_t>(k)], f.lat[static_cast<std::size_t>(k)]);
  }
  return out;
}

std::size_t index_of(const jangkau::OsmFeatures& f, char type, std::int64_t id) {
  for (std::size_t i = 0; i < f.size(); ++i)
    if (f.osm_type[i] == type && f.osm_id[i] == id) return i;
  return f.size();
}

// A square ring of nodes id0..id0+3 with corners (lon, lat) and (lon + d, lat + d).
void square(std::vector<TestNode>& n, std::int64_t id0, double lon, double lat, double d) {
  n.push_back({id0, lon, lat, {}});
  n.push_back({id0 + 1, lon + d, lat, {}});
  n.push_back({id0 + 2, lon + d, lat + d, {}});
  n.push_back({id0 + 3, lon, lat + d, {}});
}

// Relations of the multipolygon tests (window 106.0-106.2 E, 6.2-6.0 S; ring 0.1°):
//   r500 hospital with a hole: outer ring 100-103 split into ways 50 (100,101,102) and 51
//        (102,103,100), reversed; inner ring 110-113 the closed way 52;
//   r501 school with two outer rings: closed ways 53 (120-123) and 54 (130-133);
//   r502 clinic whose member way 999 is not in the file;
//   r503 school whose ways 55 (140,141,142) and 56 (142,143) do not close;
//   r504 puskesmas (by name only) across the window's east edge: way 57 (153, 150, 151) has node
//        150 inside; way 58 (151, 152, 153) lies wholly east of the ring (read by the way pass);
//   r505 a school wholly outside the window (way 59, 160-163): not read;
//   r506 landuse multipolygon inside the window (way 53 again): not a facility;
//   r507 a facility relation of type=site: not a multipolygon.
std::tuple<std::vector<TestNode>, std::vector<TestWay>, std::vector<TestRelation>> multipolygon_case() {
  std::vector<TestNode> n{{1, 106.05, -6.10, {}}, {2, 106.10, -6.10, {}}};
  square(n, 100, 106.02, -6.18, 0.04);
  square(n, 110, 106.03, -6.17, 0.01);
  square(n, 120, 106.10, -6.05, 0.01);
  square(n, 130, 106.13, -6.05, 0.01);
  square(n, 140, 106.15, -6.15, 0.01);
  n.push_back({150, 106.19, -6.02, {}});
  n.push_back({151, 106.50, -6.02, {}});
  n.push_back({152, 106.50, -6.01, {}});
  n.push_back({153, 106.45, -6.01, {}});
  square(n, 160, 107.00, -6.50, 0.01);
  std::vector<TestWay> w{{30, {1, 2}, {{"highway", "primary"}}},
                         {50, {100, 101, 102}, {}},
                         {51, {100, 103, 102}, {}},
                         {52, {110, 111, 112, 113, 110}, {}},
                         {53, {120, 121, 122, 123, 120}, {}},
                         {54, {130, 131, 132, 133, 130}, {}},
                         {55, {140, 141, 142}, {}},
                         {56, {142, 143}, {}},
                         {57, {153, 150, 151}, {}},
                         {58, {151, 152, 153}, {}},
                         {59, {160, 161, 162, 163, 160}, {}}};
  const std::pair<std::string, std::string> mp{"type", "multipolygon"};
  std::vector<TestRelation> r{
      {500, {{50, "outer"}, {51, "outer"}, {52, "inner"}}, {mp, {"amenity", "hospital"}, {"name", "RSUD Serang"}}},
      {501, {{53, "outer"}, {54, "outer"}}, {mp, {"amenity", "school"}, {"name", "SD Negeri 1 Ciruas"}}},
      {502, {{53, "outer"}, {999, "outer"}}, {mp, {"amenity", "clinic"}}},
      {503, {{55, "outer"}, {56, "outer"}}, {mp, {"amenity", "school"}}},
      {504, {{57, "outer"}, {58, "outer"}}, {mp, {"building", "yes"}, {"name", "Puskesmas Pontang"}}},
      {505, {{59, "outer"}}, {mp, {"amenity", "school"}}},
      {506, {{53, "outer"}}, {mp, {"landuse", "residential"}}},
      {507, {{53, ""}}, {{"type", "site"}, {"amenity", "school"}}}};
  return {n, w, r};
}

}  // namespace

TEST_CASE("osm_reader: facility multipolygons are assembled, broken ones reported", "[osm_reader]") {
  const auto [nodes, ways, relations] = multipolygon_case();
  const fs::path p = write_pbf("multipolygon.osm.pbf", nodes, ways, relations);
  const auto res = jangkau::read_osm_window(p.string(), speeds(), window_options());
  const auto& f = res.facilities;
  std::set<std::int64_t> rels;
  for (std::size_t i = 0; i < f.size(); ++i)
    if (f.osm_type[i] == 'r') rels.insert(f.osm_id[i]);
  CHECK(rels == std::set<std::int64_t>{500, 501, 504});
  CHECK(res.stats.facility_relations == 6);   // 500-505 (506 is landuse, 507 a site)
  CHECK(res.stats.window_relations == 5);     // all but 505
  CHECK(res.stats.member_ways_fetched == 2);  // way 58, and 999 that is not in the file

  // every ring is closed; the rings hold the member ways' nodes
  for (const auto id : rels) {
    INFO("relation " << id);
    for (const auto& ring : rings_of(f, index_of(f, 'r', id))) {
      REQUIRE(ring.size() >= 4);
      CHECK(ring.front() == ring.back());
    }
  }
  const auto hospital = rings_of(f, index_of(f, 'r', 500));
  REQUIRE(hospital.size() == 2);
  CHECK(hospital[0].size() == 5);  // outer ring 100-101-102-103-100 from two ways
  CHECK(hospital[1].size() == 5);  // the hole
  std::set<std::pair<double, double>> outer(hospital[0].begin(), hospital[0].end());
  CHECK(outer ==
        std::set<std::pair<double, double>>{{106.02, -6.18}, {106.06, -6.18}, {106.06, -6.14}, {106.02, -6.14}});
  CHECK(rings_of(f, index_of(f, 'r', 501)).size() == 2);  // two outer rings

  // across the window's edge: the way outside came from the way pass, its nodes from pass 2
  const auto edge = rings_of(f, index_of(f, 'r', 504));
  REQUIRE(edge.size() == 1);
  CHECK(edge[0].size() == 5);
  CHECK(std::count(edge[0].begin(), edge[0].end(), std::pair<double, double>{106.50, -6.01}) == 1);

  // tags of relations are copied like those of nodes and ways
  const auto name_k = static_cast<std::size_t>(std::find(f.tag_keys.begin(), f.tag_keys.end(), "name") -
                                               f.tag_keys.begin());
  REQUIRE(name_k < f.tag_keys.size());
  CHECK(f.tag_values[name_k][index_of(f, 'r', 504)] == "Puskesmas Pontang");

  // broken relations are named with the reason
  REQUIRE(f.broken_relation.size() == 2);
  std::map<std::int64_t, std::string> broken;
  for (std::size_t i = 0; i < f.broken_relation.size(); ++i) broken[f.broken_relation[i]] = f.broken_reason[i];
  CHECK(broken[502] == "member way 999 is not in the file");
  CHECK(broken[503].find("do not close at node") != std::string::npos);

  // the same relations and rings as a read of the whole file, plus the one outside the window
  auto all = window_options();
  all.window = {};
  const auto whole = jangkau::read_osm_window(p.string(), speeds(), all);
  const auto& g = whole.facilities;
  CHECK(index_of(g, 'r', 505) < g.size());
  for (const auto id : rels) CHECK(rings_of(f, index_of(f, 'r', id)) == rings_of(g, index_of(g, 'r', id)));
  CHECK(g.broken_relation.size() == 2);

  // facilities off: no relation is read
  auto none = window_options();
  none.facilities = false;
  const auto off = jangkau::read_osm_window(p.string(), speeds(), none);
  CHECK(off.facilities.size() == 0);
  CHECK(off.stats.relations == 0);
}
