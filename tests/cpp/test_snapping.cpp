// Tests of core/snapping: nearest-edge snapping against a brute-force loop, and the
// (node, offset) entries for multi-source Dijkstra.
#include <cmath>
#include <random>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/snapping.hpp"

namespace {

using jangkau::GeometryArray;
using jangkau::GeometryKind;

// A line array from lists of (x, y) coordinates, one line each.
GeometryArray lines_of(const std::vector<std::vector<std::pair<double, double>>>& coords) {
  GeometryArray a;
  a.kind = GeometryKind::Line;
  for (const auto& line : coords) {
    for (auto [x, y] : line) a.push_coordinate(x, y);
    a.end_ring();
    a.end_part();
    a.end_geometry();
  }
  return a;
}

// The grid index snaps every point exactly as brute force does (same edge, distance,
// fraction and beyond_max flag); with `edge_only_when_unsnapped`, points brute force leaves
// unsnapped are compared on the edge only.
void check_snap_equals_brute_force(const jangkau::SegmentIndex& index, const GeometryArray& lines,
                                   const std::vector<double>& x, const std::vector<double>& y,
                                   const jangkau::SnapOptions& o, bool edge_only_when_unsnapped) {
  const auto fast = index.snap(x, y, o);
  const auto slow = jangkau::snap_brute_force(lines, x, y, o);
  for (std::size_t i = 0; i < x.size(); ++i) {
    INFO("point " << i);
    REQUIRE(fast.edge[i] == slow.edge[i]);
    if (edge_only_when_unsnapped && slow.edge[i] < 0) continue;
    REQUIRE(fast.distance_m[i] == slow.distance_m[i]);
    REQUIRE(fast.fraction[i] == slow.fraction[i]);
    REQUIRE(fast.beyond_max[i] == slow.beyond_max[i]);
  }
}

}  // namespace

TEST_CASE("snapping: a point beside a straight edge snaps to its interior", "[snapping]") {
  // Edge 0: (0,0)-(100,0); edge 1: (0,50)-(100,50).
  const auto lines = lines_of({{{0, 0}, {100, 0}}, {{0, 50}, {100, 50}}});
  jangkau::SegmentIndex index(lines);
  CHECK(index.segment_count() == 2);
  const std::vector<double> x{30, 80, 50}, y{10, 45, 25};
  jangkau::SnapOptions o;
  o.walk_speed_kmh = 3.6;  // 1 m/s
  const auto r = index.snap(x, y, o);
  REQUIRE(r.size() == 3);
  CHECK(r.edge[0] == 0);
  CHECK(r.fraction[0] == Approx(0.3));
  CHECK(r.x[0] == Approx(30));
  CHECK(r.y[0] == 0.0);
  CHECK(r.distance_m[0] == Approx(10));
  CHECK(r.walk_time_s[0] == Approx(10));
  CHECK(r.edge[1] == 1);
  CHECK(r.fraction[1] == Approx(0.8));
  CHECK(r.distance_m[1] == Approx(5));
  // Exactly halfway between the edges: the tie goes to the lower edge id.
  CHECK(r.edge[2] == 0);
  CHECK(r.beyond_max[2] == 0);
}

TEST_CASE("snapping: fraction runs along a multi-segment edge by length", "[snapping]") {
  // An L-shaped edge of length 100 + 50.
  const auto lines = lines_of({{{0, 0}, {100, 0}, {100, 50}}});
  jangkau::SegmentIndex index(lines);
  const std::vector<double> x{110}, y{25};
  const auto r = index.snap(x, y);
  CHECK(r.edge[0] == 0);
  CHECK(r.fraction[0] == Approx(125.0 / 150.0));
  CHECK(r.x[0] == Approx(100));
  CHECK(r.y[0] == Approx(25));
}

TEST_CASE("snapping: points beyond max_snap_m are flagged, not dropped", "[snapping]") {
  const auto lines = lines_of({{{0, 0}, {100, 0}}});
  jangkau::SegmentIndex index(lines);
  const std::vector<double> x{50, 50, std::nan("")}, y{999, 1001, 0};
  const auto r = index.snap(x, y);  // default max 1000 m
  REQUIRE(r.size() == 3);
  CHECK(r.beyond_max[0] == 0);
  CHECK(r.beyond_max[1] == 1);
  CHECK(r.edge[1] == 0);  // the nearest edge is still reported
  CHECK(r.distance_m[1] == Approx(1001));
  CHECK(r.beyond_max[2] == 1);
  CHECK(r.edge[2] == -1);
  // Entries skip flagged points.
  const std::vector<std::int64_t> from{0}, to{1}, twin{-1};
  const std::vector<double> time{10};
  const auto entries = jangkau::snap_entries(r, from, to, time, twin, jangkau::SnapDirection::FromPoint);
  REQUIRE(entries.point.size() == 1);
  CHECK(entries.point[0] == 0);
}

TEST_CASE("snapping: an empty index flags every point", "[snapping]") {
  const auto lines = lines_of({});
  jangkau::SegmentIndex index(lines);
  const std::vector<double> x{1}, y{2};
  const auto r = index.snap(x, y);
  CHECK(r.edge[0] == -1);
  CHECK(r.beyond_max[0] == 1);
}

TEST_CASE("snapping: bad input is an InvalidInputError", "[snapping]") {
  const auto lines = lines_of({{{0, 0}, {1, 0}}});
  jangkau::SegmentIndex index(lines);
  const std::vector<double> x{1, 2}, y{2};
  CHECK_THROWS_AS(index.snap(x, y), jangkau::InvalidInputError);
  jangkau::SnapOptions o;
  o.walk_speed_kmh = 0;
  CHECK_THROWS_AS(index.snap(y, y, o), jangkau::InvalidInputError);
  GeometryArray polygons;  // default kind: Polygon
  CHECK_THROWS_AS(jangkau::SegmentIndex(polygons), jangkau::InvalidInputError);
  const std::vector<std::uint8_t> mask{1, 1};
  CHECK_THROWS_AS(jangkau::SegmentIndex(lines, mask), jangkau::InvalidInputError);
}

TEST_CASE("snapping: the grid index equals brute force on random lines", "[snapping]") {
  std::mt19937_64 rng(20261127);  // synthetic data, fixed seed
  std::uniform_real_distribution<double> coord(0.0, 5000.0), step(-200.0, 200.0);
  std::uniform_int_distribution<int> nseg(1, 6);
  std::vector<std::vector<std::pair<double, double>>> coords;
  for (int l = 0; l < 300; ++l) {
    std::vector<std::pair<double, double>> line{{coord(rng), coord(rng)}};
    const int k = nseg(rng);
    for (int s = 0; s < k; ++s) line.emplace_back(line.back().first + step(rng), line.back().second + step(rng));
    coords.push_back(line);
  }
  // Two identical lines and a shared vertex, to exercise ties.
  coords.push_back({{2500, 2500}, {2600, 2500}});
  coords.push_back({{2500, 2500}, {2600, 2500}});
  coords.push_back({{2600, 2500}, {2600, 2600}});
  const auto lines = lines_of(coords);
  std::vector<double> x, y;
  for (int i = 0; i < 2000; ++i) {
    x.push_back(coord(rng) * 1.1 - 250.0);
    y.push_back(coord(rng) * 1.1 - 250.0);
  }
  x.push_back(2550), y.push_back(2510);  // equidistant to the two identical lines
  x.push_back(2610), y.push_back(2490);  // nearest to the shared vertex (2600, 2500)
  jangkau::SnapOptions o;
  o.max_snap_m = 150;
  for (int threads : {1, 2}) {
    o.threads = threads;
    std::vector<std::uint8_t> include(lines.size(), 1);
    for (std::size_t g = 0; g < include.size(); g += 7) include[g] = 0;
    for (bool masked : {false, true}) {
      const std::span<const std::uint8_t> mask = masked ? std::span<const std::uint8_t>(include)
                                                        : std::span<const std::uint8_t>();
      jangkau::SegmentIndex index(lines, mask);
      const auto fast = index.snap(x, y, o);
      const auto slow = jangkau::snap_brute_force(lines, x, y, o, mask);
      REQUIRE(fast.size() == slow.size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        INFO("point " << i);
        REQUIRE(fast.edge[i] == slow.edge[i]);
        REQUIRE(fast.distance_m[i] == slow.distance_m[i]);
        REQUIRE(fast.fraction[i] == slow.fraction[i]);
        REQUIRE(fast.x[i] == slow.x[i]);
        REQUIRE(fast.y[i] == slow.y[i]);
        REQUIRE(fast.beyond_max[i] == slow.beyond_max[i]);
        if (masked) REQUIRE(include[static_cast<std::size_t>(fast.edge[i])] == 1);
      }
      const auto n = x.size();
      CHECK(fast.edge[n - 2] == static_cast<std::int64_t>(lines.size() - 3));  // lower of the identical pair
      CHECK(fast.distance_m[n - 1] == Approx(std::hypot(10.0, 10.0)));
    }
  }
}

TEST_CASE("snapping: entries for origins and destinations", "[snapping]") {
  // Edge 0: node 0 -> 1 (100 s) with twin edge 1: 1 -> 0 (120 s); edge 2: 1 -> 2 one-way (50 s).
  const std::vector<std::int64_t> from{0, 1, 1}, to{1, 0, 2}, twin{1, 0, -1};
  const std::vector<double> time{100, 120, 50};
  jangkau::SnapResult r;
  r.edge = {0, 2};
  r.fraction = {0.25, 0.5};
  r.x = r.y = {0, 0};
  r.distance_m = {10, 0};
  r.walk_time_s = {7, 0};
  r.beyond_max = {0, 0};
  const auto out = jangkau::snap_entries(r, from, to, time, twin, jangkau::SnapDirection::FromPoint);
  REQUIRE(out.point == std::vector<std::int64_t>{0, 0, 1});
  CHECK(out.node == std::vector<std::int64_t>{1, 0, 2});
  CHECK(out.offset_s[0] == Approx(7 + 75));
  CHECK(out.offset_s[1] == Approx(7 + 0.25 * 120));
  CHECK(out.offset_s[2] == Approx(25));
  const auto in = jangkau::snap_entries(r, from, to, time, twin, jangkau::SnapDirection::ToPoint);
  REQUIRE(in.point == std::vector<std::int64_t>{0, 0, 1});
  CHECK(in.node == std::vector<std::int64_t>{0, 1, 1});
  CHECK(in.offset_s[0] == Approx(25 + 7));
  CHECK(in.offset_s[1] == Approx(0.75 * 120 + 7));
  CHECK(in.offset_s[2] == Approx(25));
  // From the columns alone (as the Python binding passes numpy arrays): the same entries.
  const auto cols = jangkau::snap_entries(r.edge, r.fraction, r.walk_time_s, r.beyond_max, from, to, time, twin,
                                          jangkau::SnapDirection::ToPoint);
  CHECK(cols.point == in.point);
  CHECK(cols.node == in.node);
  CHECK(cols.offset_s == in.offset_s);
  const std::vector<double> short_fraction{0.25};
  CHECK_THROWS_AS(jangkau::snap_entries(r.edge, short_fraction, r.walk_time_s, r.beyond_max, from, to, time, twin,
                                        jangkau::SnapDirection::ToPoint),
                  jangkau::InvalidInputError);
  r.edge[1] = 9;
  CHECK_THROWS_AS(jangkau::snap_entries(r, from, to, time, twin, jangkau::SnapDirection::ToPoint),
                  jangkau::InvalidInputError);
}

TEST_CASE("snapping: the grid index equals brute force on awkward layouts", "[snapping]") {
  // Long diagonal, vertical and horizontal segments among short ones, a zero-length edge,
  // overlapping collinear edges, steep segments across cell borders, and query points on
  // grid-like coordinates, far outside the lines' extent and on the lines themselves.
  std::mt19937_64 rng(7);  // synthetic data, fixed seed
  std::uniform_real_distribution<double> coord(0.0, 1000.0), small(-5.0, 5.0);
  std::vector<std::vector<std::pair<double, double>>> coords;
  coords.push_back({{0, 0}, {1000, 1000}});
  coords.push_back({{0, 1000}, {1000, 0}});
  coords.push_back({{500, -200}, {500, 1200}});
  coords.push_back({{-300, 400}, {1300, 400}});
  coords.push_back({{250, 250}, {250, 250}});
  coords.push_back({{100, 900}, {300, 900}});
  coords.push_back({{200, 900}, {400, 900}});
  coords.push_back({{700, 100}, {700.000001, 900}});
  for (int l = 0; l < 150; ++l) {
    const double x = coord(rng), y = coord(rng);
    coords.push_back({{x, y}, {x + small(rng), y + small(rng)}, {x + small(rng), y + small(rng)}});
  }
  const auto lines = lines_of(coords);
  std::vector<double> x, y;
  for (int i = 0; i < 1500; ++i) {
    x.push_back(coord(rng) * 1.6 - 300.0);
    y.push_back(coord(rng) * 1.6 - 300.0);
  }
  for (double v : {0.0, 125.0, 250.0, 400.0, 500.0, 1000.0}) {  // on lines and grid-like values
    x.push_back(v), y.push_back(v);
    x.push_back(v), y.push_back(400.0);
  }
  x.push_back(1e7), y.push_back(-1e7);  // far away
  x.push_back(-5e6), y.push_back(300);
  x.push_back(std::nan("")), y.push_back(1.0);  // not snapped
  jangkau::SnapOptions o;
  o.max_snap_m = 1e9;
  for (int threads : {1, 2}) {
    o.threads = threads;
    jangkau::SegmentIndex index(lines);
    check_snap_equals_brute_force(index, lines, x, y, o, true);
  }
  // A single point-like line: everything snaps to it.
  const auto dot = lines_of({{{5, 5}, {5, 5}}});
  jangkau::SegmentIndex one(dot);
  const std::vector<double> px{5, -100, 1e6}, py{5, 7, 0};
  const auto r = one.snap(px, py, o);
  for (std::size_t i = 0; i < px.size(); ++i) CHECK(r.edge[i] == 0);
  CHECK(r.distance_m[1] == Approx(std::hypot(105.0, 2.0)));
}

TEST_CASE("snapping: the grid index equals brute force in UTM-sized coordinates", "[snapping]") {
  // Dense short segments (a city street network) at UTM-like coordinates, where an ulp is
  // ~2e-9 m; query points on a fine lattice that lands on cell borders, plus random ones.
  std::mt19937_64 rng(2024);  // synthetic data, fixed seed
  const double X = 634000.0, Y = 9230000.0;
  std::uniform_real_distribution<double> coord(0.0, 3000.0), step(-25.0, 25.0);
  std::vector<std::vector<std::pair<double, double>>> coords;
  for (int l = 0; l < 2500; ++l) {
    std::vector<std::pair<double, double>> line{{X + coord(rng), Y + coord(rng)}};
    for (int s = 0; s < 3; ++s) line.emplace_back(line.back().first + step(rng), line.back().second + step(rng));
    coords.push_back(line);
  }
  const auto lines = lines_of(coords);
  std::vector<double> x, y;
  for (int i = 0; i < 60; ++i)
    for (int j = 0; j < 60; ++j) x.push_back(X + 50.0 * i - 0.5), y.push_back(Y + 50.0 * j + 0.25);
  std::uniform_real_distribution<double> wide(-500.0, 3500.0);
  for (int i = 0; i < 2000; ++i) x.push_back(X + wide(rng)), y.push_back(Y + wide(rng));
  jangkau::SnapOptions o;
  o.max_snap_m = 100;
  jangkau::SegmentIndex index(lines);
  check_snap_equals_brute_force(index, lines, x, y, o, false);
}

TEST_CASE("snapping: non-finite line coordinates are an InvalidInputError naming the edge", "[snapping]") {
  const auto lines = lines_of({{{0, 0}, {10, 0}}, {{0, 5}, {std::nan(""), 5}}});
  try {
    jangkau::SegmentIndex index(lines);
    FAIL("no exception");
  } catch (const jangkau::InvalidInputError& e) {
    CHECK(e.context().feature == 1);
  }
  // Excluded by the mask: not indexed, so not an error.
  const std::vector<std::uint8_t> mask{1, 0};
  jangkau::SegmentIndex ok(lines, mask);
  CHECK(ok.segment_count() == 1);
}
