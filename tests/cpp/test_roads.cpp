// Tests of io/roads: topology from small hand-drawn line sets written as inline WKT
// (metric coordinates, no CRS), the speed table, readers' bad-input errors.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "catch.hpp"
#include "core/error.hpp"
#include "io/roads.hpp"

namespace {

using jangkau::Oneway;
using jangkau::RoadLines;

std::string speed_table_path() { return std::string(JANGKAU_SOURCE_DIR) + "/datasets/road_speeds.csv"; }

// A two-class table for the hand-drawn cases: "a" at 36 km/h (10 m/s), "b" at 72 km/h.
jangkau::SpeedTable tiny_table() {
  jangkau::SpeedTable t;
  t.classes = {{"a", 36.0, true}, {"b", 72.0, true}};
  return t;
}

// Parses "LINESTRING (x y, x y, ...)".
void push_wkt(jangkau::GeometryArray& g, const std::string& wkt) {
  const auto open = wkt.find('('), close = wkt.rfind(')');
  std::stringstream body(wkt.substr(open + 1, close - open - 1));
  std::string pair;
  while (std::getline(body, pair, ',')) {
    std::stringstream p(pair);
    double x, y;
    p >> x >> y;
    g.push_coordinate(x, y);
  }
  g.end_ring();
  g.end_part();
  g.end_geometry();
}

struct Line {
  std::string wkt;
  std::int32_t road_class = 0;
  Oneway oneway = Oneway::No;
  double maxspeed_kmh = std::nan("");
};

RoadLines lines_of(const std::vector<Line>& in) {
  RoadLines r;
  r.geometry.kind = jangkau::GeometryKind::Line;
  for (std::size_t i = 0; i < in.size(); ++i) {
    push_wkt(r.geometry, in[i].wkt);
    r.road_class.push_back(in[i].road_class);
    r.maxspeed_kmh.push_back(in[i].maxspeed_kmh);
    r.oneway.push_back(in[i].oneway);
    r.feature.push_back(static_cast<std::int64_t>(100 + i));
    r.layer.push_back(0);
  }
  return r;
}

double piece_length_sum(const jangkau::RoadNetwork& n) {
  double total = 0.0;
  std::int64_t last = -1;
  for (std::size_t e = 0; e < n.edge_count(); ++e)
    if (n.edge_piece[e] != last) total += n.edge_length_m[e], last = n.edge_piece[e];
  return total;
}

std::int64_t piece_count(const jangkau::RoadNetwork& n) { return n.edge_count() == 0 ? 0 : n.edge_piece.back() + 1; }

std::int64_t find_node(const jangkau::RoadNetwork& n, double x, double y) {
  for (std::size_t v = 0; v < n.node_count(); ++v)
    if (std::abs(n.node_x[v] - x) < 1e-9 && std::abs(n.node_y[v] - y) < 1e-9) return static_cast<std::int64_t>(v);
  return -1;
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  auto dir = std::filesystem::temp_directory_path() / "jangkau_test_roads";
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::ofstream(p) << content;
  return p;
}

}  // namespace

TEST_CASE("roads: two crossing lines are split into four pieces when noding", "[roads]") {
  //   (0,100)      (100,100)
  //        \      /
  //         \    /
  //          (50,50)
  //         /    \          .
  //   (0,0)        (100,0)
  const auto lines = lines_of({{"LINESTRING (0 0, 100 100)"}, {"LINESTRING (0 100, 100 0)"}});
  jangkau::TopologyOptions o;
  o.split_crossings = true;
  const auto net = jangkau::build_road_network(lines, tiny_table(), o);
  CHECK(net.node_count() == 5);
  CHECK(net.edge_count() == 8);
  CHECK(piece_count(net) == 4);
  const auto centre = find_node(net, 50, 50);
  REQUIRE(centre >= 0);
  int at_centre = 0;
  for (std::size_t e = 0; e < net.edge_count(); ++e) at_centre += net.edge_to[e] == centre;
  CHECK(at_centre == 4);
  CHECK(piece_length_sum(net) == Approx(2 * std::sqrt(2.0) * 100));
  REQUIRE(net.joins.size() == 1);
  CHECK(net.joins.kind[0] == jangkau::JoinKind::Crossing);
  CHECK(net.joins.x[0] == Approx(50));
  CHECK(net.joins.y[0] == Approx(50));
  CHECK(net.joins.line_a[0] == 0);
  CHECK(net.joins.line_b[0] == 1);

  // Without noding (the OSM rule: bridges cross without meeting) they stay apart.
  const auto apart = jangkau::build_road_network(lines, tiny_table(), {});
  CHECK(apart.node_count() == 4);
  CHECK(piece_count(apart) == 2);
  CHECK(apart.joins.size() == 0);
  CHECK(jangkau::road_components(apart.node_count(), apart.edge_from, apart.edge_to).sizes ==
        std::vector<std::int64_t>{2, 2});
}

TEST_CASE("roads: shared vertices make nodes without any snapping (OSM rule)", "[roads]") {
  // A plus sign whose two ways share the vertex (50, 0); the vertex (80, 0) is used once.
  const auto lines = lines_of({{"LINESTRING (0 0, 50 0, 80 0, 100 0)"}, {"LINESTRING (50 -50, 50 0, 50 50)"}});
  const auto net = jangkau::build_road_network(lines, tiny_table(), {});
  CHECK(net.node_count() == 5);
  CHECK(piece_count(net) == 4);
  CHECK(find_node(net, 80, 0) < 0);
  CHECK(find_node(net, 50, 0) >= 0);
  CHECK(piece_length_sum(net) == Approx(200));
  // Node numbering: first appearance along the lines.
  CHECK(net.node_x[0] == 0.0);
  CHECK(net.node_x[1] == 50.0);
  CHECK(net.node_x[2] == 100.0);
  // Edge geometry runs from -> to.
  for (std::size_t e = 0; e < net.edge_count(); ++e) {
    const auto c0 = net.edge_geometry.ring_offsets[e], c1 = net.edge_geometry.ring_offsets[e + 1] - 1;
    CHECK(net.edge_geometry.x[c0] == net.node_x[net.edge_from[e]]);
    CHECK(net.edge_geometry.y[c1] == net.node_y[net.edge_to[e]]);
    CHECK(net.edge_length_m[e] > 0);
  }
}

TEST_CASE("roads: endpoints 3 m apart join with a 5 m tolerance, not with 1 m", "[roads]") {
  const auto lines = lines_of({{"LINESTRING (0 0, 100 0)"}, {"LINESTRING (103 0, 200 0)"}});
  jangkau::TopologyOptions o;
  o.snap_tolerance_m = 5;
  const auto joined = jangkau::build_road_network(lines, tiny_table(), o);
  CHECK(joined.node_count() == 3);
  CHECK(jangkau::road_components(joined.node_count(), joined.edge_from, joined.edge_to).sizes.size() == 1);
  REQUIRE(joined.joins.size() == 1);
  CHECK(joined.joins.kind[0] == jangkau::JoinKind::EndpointToEndpoint);
  CHECK(joined.joins.distance_m[0] == Approx(3));
  CHECK(joined.joins.x[0] == 100.0);  // the second line's endpoint moved onto the first's
  CHECK(joined.joins.line_a[0] == 1);
  CHECK(joined.joins.line_b[0] == 0);

  o.snap_tolerance_m = 1;
  const auto apart = jangkau::build_road_network(lines, tiny_table(), o);
  CHECK(apart.node_count() == 4);
  CHECK(apart.joins.size() == 0);
  CHECK(jangkau::road_components(apart.node_count(), apart.edge_from, apart.edge_to).sizes.size() == 2);
}

TEST_CASE("roads: zero-length and collapsed lines are listed as skipped, not dropped silently", "[roads]") {
  auto lines = lines_of({{"LINESTRING (0 0, 100 0)"},
                         {"LINESTRING (50 50, 50 50, 50 50)"},  // one distinct vertex
                         {"LINESTRING (100 0, 102 0)"},         // 2 m: merged into a point at 5 m
                         {"LINESTRING (0 0, 0 100)"}});
  lines.skipped.add(3, 77, jangkau::SkipReason::EmptyGeometry);  // as recorded by a reader
  jangkau::TopologyOptions o;
  o.snap_tolerance_m = 5;
  const auto net = jangkau::build_road_network(lines, tiny_table(), o);
  REQUIRE(net.skipped.size() == 3);
  CHECK(net.skipped.reason[0] == jangkau::SkipReason::EmptyGeometry);
  CHECK(net.skipped.feature[0] == 77);
  CHECK(net.skipped.layer[0] == 3);
  CHECK(net.skipped.reason[1] == jangkau::SkipReason::ZeroLength);
  CHECK(net.skipped.feature[1] == 101);
  CHECK(net.skipped.reason[2] == jangkau::SkipReason::Collapsed);
  CHECK(net.skipped.feature[2] == 102);
  CHECK(net.node_count() == 3);  // the two real roads share (0, 0)
  CHECK(piece_length_sum(net) == Approx(200.0));
  // Kept by subnetworks; with no snapping the 2 m line is a road.
  CHECK(jangkau::largest_road_component(net).skipped.size() == 3);
  o.snap_tolerance_m = 0;
  CHECK(jangkau::build_road_network(lines, tiny_table(), o).skipped.size() == 2);
}

TEST_CASE("roads: a T-junction undershoot is snapped onto the line", "[roads]") {
  //  (100,100)
  //     |
  //  (100,3)          <- 3 m short of the main road
  //  (0,0) ------ (200,0)
  const auto lines = lines_of({{"LINESTRING (0 0, 200 0)"}, {"LINESTRING (100 100, 100 3)"}});
  jangkau::TopologyOptions o;
  o.snap_tolerance_m = 5;
  const auto net = jangkau::build_road_network(lines, tiny_table(), o);
  CHECK(net.node_count() == 4);
  CHECK(piece_count(net) == 3);
  CHECK(find_node(net, 100, 0) >= 0);
  REQUIRE(net.joins.size() == 1);
  CHECK(net.joins.kind[0] == jangkau::JoinKind::EndpointToLine);
  CHECK(net.joins.distance_m[0] == Approx(3));
  CHECK(piece_length_sum(net) == Approx(300));
}

TEST_CASE("roads: a vertex on another line splits it (touch) when noding", "[roads]") {
  const auto lines = lines_of({{"LINESTRING (0 0, 100 0)"}, {"LINESTRING (50 0, 50 50)"}});
  jangkau::TopologyOptions o;
  o.split_crossings = true;
  const auto net = jangkau::build_road_network(lines, tiny_table(), o);
  CHECK(net.node_count() == 4);
  CHECK(piece_count(net) == 3);
  REQUIRE(net.joins.size() == 1);
  CHECK(net.joins.kind[0] == jangkau::JoinKind::Touch);
  CHECK(net.joins.line_a[0] == 0);  // line 0 was split
}

TEST_CASE("roads: grade-separated classes are not split at crossings", "[roads]") {
  const auto lines = lines_of({{"LINESTRING (0 0, 100 100)", 1}, {"LINESTRING (0 100, 100 0)", 0}});
  jangkau::TopologyOptions o;
  o.split_crossings = true;
  o.grade_separated_classes = {1};
  const auto net = jangkau::build_road_network(lines, tiny_table(), o);
  CHECK(net.node_count() == 4);
  CHECK(net.joins.size() == 0);
}

TEST_CASE("roads: a road drawn twice is kept once with drop_duplicates", "[roads]") {
  // The same road in two layers (class a 36 km/h, class b 72 km/h), once drawn reversed,
  // plus a line that only shares an endpoint.
  const auto lines = lines_of({{"LINESTRING (0 0, 50 10, 100 0)", 0},
                               {"LINESTRING (100 0, 50 10, 0 0)", 1},
                               {"LINESTRING (100 0, 200 0)", 0}});
  jangkau::TopologyOptions o;
  const auto both = jangkau::build_road_network(lines, tiny_table(), o);
  CHECK(piece_count(both) == 5);  // (50, 10) is a shared vertex, so a node
  o.drop_duplicates = true;
  const auto once = jangkau::build_road_network(lines, tiny_table(), o);
  REQUIRE(piece_count(once) == 3);
  CHECK(once.node_count() == both.node_count());
  CHECK(once.edge_class[0] == 1);  // the faster copy is kept
  CHECK(once.edge_line[0] == 1);
  REQUIRE(once.joins.size() == 2);
  for (std::size_t j = 0; j < 2; ++j) {
    CHECK(once.joins.kind[j] == jangkau::JoinKind::Duplicate);
    CHECK(once.joins.line_a[j] == 0);
    CHECK(once.joins.line_b[j] == 1);
  }
  CHECK(piece_length_sum(once) == Approx(2 * std::hypot(50.0, 10.0) + 100.0));
}

TEST_CASE("roads: one-way lines give one directed edge, others two twins", "[roads]") {
  const auto lines = lines_of({{"LINESTRING (0 0, 100 0)", 0, Oneway::Forward},
                               {"LINESTRING (100 0, 200 0)", 0, Oneway::Backward},
                               {"LINESTRING (200 0, 300 0)", 1, Oneway::No, 18.0}});
  const auto net = jangkau::build_road_network(lines, tiny_table(), {});
  REQUIRE(net.edge_count() == 4);
  CHECK(net.edge_from[0] == 0);
  CHECK(net.edge_to[0] == 1);
  CHECK(net.edge_twin[0] == -1);
  CHECK(net.edge_from[1] == 2);  // against the digitised direction
  CHECK(net.edge_to[1] == 1);
  CHECK(net.edge_geometry.x[net.edge_geometry.ring_offsets[1]] == 200.0);
  CHECK(net.edge_twin[2] == 3);
  CHECK(net.edge_twin[3] == 2);
  CHECK(net.edge_from[3] == net.edge_to[2]);
  // Times: class a 10 m/s; maxspeed 18 km/h = 5 m/s overrides class b.
  CHECK(net.edge_time_s[0] == Approx(10));
  CHECK(net.edge_time_s[2] == Approx(20));
  CHECK(net.edge_speed_kmh[2] == 18.0);
  CHECK(net.edge_feature[3] == 102);
}

TEST_CASE("roads: same input gives identical arrays", "[roads]") {
  const auto lines = lines_of({{"LINESTRING (0 0, 100 100, 200 0)"},
                               {"LINESTRING (0 100, 200 100.5)"},
                               {"LINESTRING (50 -20, 52 150)"},
                               {"LINESTRING (203 1, 250 50)"}});
  jangkau::TopologyOptions o;
  o.snap_tolerance_m = 5;
  o.split_crossings = true;
  o.node_tolerance_m = 0.001;
  const auto a = jangkau::build_road_network(lines, tiny_table(), o);
  const auto b = jangkau::build_road_network(lines, tiny_table(), o);
  CHECK(a.node_x == b.node_x);
  CHECK(a.node_y == b.node_y);
  CHECK(a.edge_from == b.edge_from);
  CHECK(a.edge_to == b.edge_to);
  CHECK(a.edge_length_m == b.edge_length_m);
  CHECK(a.edge_geometry.x == b.edge_geometry.x);
  CHECK(a.joins.x == b.joins.x);
  // One endpoint join (203,1)->(200,0), and the third line crosses both others.
  CHECK(jangkau::road_components(a.node_count(), a.edge_from, a.edge_to).sizes.size() == 1);
}

TEST_CASE("roads: components and the largest component", "[roads]") {
  const auto lines = lines_of(
      {{"LINESTRING (0 0, 10 0)"}, {"LINESTRING (500 0, 510 0)"}, {"LINESTRING (510 0, 520 0)", 0, Oneway::Forward}});
  const auto net = jangkau::build_road_network(lines, tiny_table(), {});
  const auto c = jangkau::road_components(net.node_count(), net.edge_from, net.edge_to);
  CHECK(c.sizes == std::vector<std::int64_t>{3, 2});
  CHECK(c.labels == std::vector<std::int64_t>{1, 1, 0, 0, 0});
  const auto big = jangkau::largest_road_component(net);
  CHECK(big.node_count() == 3);
  CHECK(big.edge_count() == 3);
  CHECK(big.node_x[0] == 500.0);
  CHECK(big.edge_twin[0] == 1);
  CHECK(big.edge_twin[2] == -1);
  CHECK(big.edge_piece == std::vector<std::int64_t>{0, 0, 1});
  const std::vector<std::int64_t> bad{7};
  CHECK_THROWS_AS(jangkau::road_components(3, bad, bad), jangkau::InvalidInputError);
}

TEST_CASE("roads: the default speed table reads and matches RTRW class names", "[roads]") {
  const auto t = jangkau::read_speed_table(speed_table_path());
  REQUIRE(t.find("primary") >= 0);
  CHECK(t.classes[static_cast<std::size_t>(t.find("footway"))].routable == false);
  CHECK(t.find_loose("JALAN ARTERI") == t.find("arteri"));
  CHECK(t.find_loose(" Jalan  Tol ") == t.find("tol"));
  CHECK(t.find_loose("living_street") == t.find("living_street"));
  CHECK(t.find_loose("JALAN RAYA") == -1);
  for (const auto& c : t.classes) CHECK(c.speed_kmh > 0);
  CHECK_THROWS_AS(jangkau::read_speed_table("/nonexistent/speeds.csv"), jangkau::DataFileError);
  const auto bad = temp_file("bad_speeds.csv", "class,speed_kmh,routable\nfoo,-3,1\n");
  CHECK_THROWS_AS(jangkau::read_speed_table(bad.string()), jangkau::InvalidInputError);
}

TEST_CASE("roads: layer readers reject bad input with typed errors", "[roads]") {
  const auto t = jangkau::read_speed_table(speed_table_path());
  const std::string line_fc =
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"FUNGSI":"JALAN LOKAL"},)"
      R"("geometry":{"type":"LineString","coordinates":[[106.0,-6.0],[106.001,-6.0]]}}]})";
  const auto good = temp_file("good.geojson", line_fc);
  jangkau::RoadLayerSource src{good.string(), "", "", "FUNGSI", ""};
  const auto lines = jangkau::read_road_layers({src}, t);
  CHECK(lines.crs == "EPSG:32748");
  REQUIRE(lines.size() == 1);
  CHECK(lines.road_class[0] == t.find("lokal"));

  src.class_column = "NOPE";
  CHECK_THROWS_AS(jangkau::read_road_layers({src}, t), jangkau::UnknownColumnError);
  src.class_column = "";
  CHECK_THROWS_AS(jangkau::read_road_layers({src}, t), jangkau::InvalidInputError);  // neither given
  src.road_class = "jalan raya";
  CHECK_THROWS_AS(jangkau::read_road_layers({src}, t), jangkau::InvalidInputError);  // unknown class

  src.road_class = "lokal";
  src.path = "/nonexistent/roads.geojson";
  CHECK_THROWS_AS(jangkau::read_road_layers({src}, t), jangkau::DataFileError);

  src.path = temp_file("points.geojson",
                       R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{},)"
                       R"("geometry":{"type":"Point","coordinates":[106.0,-6.0]}}]})")
                 .string();
  CHECK_THROWS_AS(jangkau::read_road_layers({src}, t), jangkau::GeometryError);

  src.path = temp_file("empty.geojson", R"({"type":"FeatureCollection","features":[]})").string();
  CHECK_THROWS_AS(jangkau::read_road_layers({src}, t), jangkau::InvalidInputError);

  src.path = temp_file("nocrs.csv", "id,WKT\n1,\"LINESTRING (600000 9330000, 600010 9330000)\"\n").string();
  CHECK_THROWS_AS(jangkau::read_road_layers({src}, t), jangkau::CrsError);
  src.assume_crs = "EPSG:32748";
  CHECK(jangkau::read_road_layers({src}, t).size() == 1);

  CHECK_THROWS_AS(jangkau::read_osm_roads("/nonexistent/x.osm.pbf", t), jangkau::DataFileError);
  jangkau::OsmReadOptions oo;
  oo.classes = {"highway_to_nowhere"};
  CHECK_THROWS_AS(jangkau::read_osm_roads(good.string(), t, oo), jangkau::InvalidInputError);
}
