// Tests of core/road_topology without GDAL: small networks drawn inline, and each joining
// step (endpoint merging, dangle snapping, noding, vertex merging) against a brute force
// over all endpoint pairs / all segments / all segment pairs on random inputs (fixed seeds).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <queue>
#include <random>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/road_topology.hpp"
#include "core/snapping.hpp"

namespace {

using jangkau::JoinKind;
using jangkau::Oneway;
using jangkau::RoadPolyline;

struct Lines {
  jangkau::GeometryArray geometry;
  std::vector<std::int32_t> road_class;
  std::vector<double> speed;
  std::vector<Oneway> oneway;

  void add(const std::vector<std::pair<double, double>>& xy, std::int32_t c = 0, double kmh = 36.0,
           Oneway o = Oneway::No) {
    for (auto [x, y] : xy) geometry.push_coordinate(x, y);
    geometry.end_ring();
    geometry.end_part();
    geometry.end_geometry();
    road_class.push_back(c);
    speed.push_back(kmh);
    oneway.push_back(o);
  }
  jangkau::RoadTopology build(const jangkau::TopologyOptions& o = {}) const {
    return jangkau::build_road_topology(geometry, {road_class, speed, oneway, {}}, o);
  }
  Lines() { geometry.kind = jangkau::GeometryKind::Line; }
};

std::int64_t find_node(const jangkau::RoadGraph& n, double x, double y) {
  for (std::size_t v = 0; v < n.node_count(); ++v)
    if (std::abs(n.node_x[v] - x) < 1e-9 && std::abs(n.node_y[v] - y) < 1e-9) return static_cast<std::int64_t>(v);
  return -1;
}

std::vector<RoadPolyline> random_segments(std::mt19937_64& rng, std::size_t n, double extent, double max_len) {
  std::uniform_real_distribution<double> pos(0.0, extent), dir(-max_len, max_len);
  std::vector<RoadPolyline> out(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double x = pos(rng), y = pos(rng);
    out[k].x = {x, x + dir(rng)};
    out[k].y = {y, y + dir(rng)};
    out[k].line = static_cast<std::int64_t>(k);
  }
  return out;
}

double orient(double ax, double ay, double bx, double by, double cx, double cy) {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

// Proper crossing by the strict orientation test (the definition noding uses).
bool properly_cross(double ax, double ay, double bx, double by, double cx, double cy, double dx, double dy) {
  const double o1 = orient(ax, ay, bx, by, cx, cy), o2 = orient(ax, ay, bx, by, dx, dy);
  const double o3 = orient(cx, cy, dx, dy, ax, ay), o4 = orient(cx, cy, dx, dy, bx, by);
  return ((o1 < 0 && o2 > 0) || (o1 > 0 && o2 < 0)) && ((o3 < 0 && o4 > 0) || (o3 > 0 && o4 < 0));
}

double seg_point_distance(double px, double py, double ax, double ay, double bx, double by) {
  const double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  const double u = l2 > 0 ? std::clamp(((px - ax) * dx + (py - ay) * dy) / l2, 0.0, 1.0) : 0.0;
  return std::hypot(px - (ax + u * dx), py - (ay + u * dy));
}

void same_polylines(const std::vector<RoadPolyline>& a, const std::vector<RoadPolyline>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    CHECK(a[k].x == b[k].x);
    CHECK(a[k].y == b[k].y);
  }
}

void same_joins(const jangkau::JoinReport& a, const jangkau::JoinReport& b) {
  CHECK(a.kind == b.kind);
  CHECK(a.x == b.x);
  CHECK(a.y == b.y);
  CHECK(a.distance_m == b.distance_m);
  CHECK(a.line_a == b.line_a);
  CHECK(a.line_b == b.line_b);
}

}  // namespace

TEST_CASE("road_topology: a plus sign is noded into four pieces with forward and reversed graphs",
          "[road_topology]") {
  //  (0,100)     (100,100)
  //       \     /
  //        (50,50)
  //       /     \        .
  //  (0,0)       (100,0)
  Lines lines;
  lines.add({{0, 0}, {100, 100}});
  lines.add({{0, 100}, {100, 0}}, 0, 36.0, Oneway::Forward);
  jangkau::TopologyOptions o;
  o.split_crossings = true;
  const auto topo = lines.build(o);
  const auto& net = topo.network;
  CHECK(net.node_count() == 5);
  CHECK(net.edge_count() == 6);  // two two-way pieces (4 edges) and two one-way pieces
  const auto centre = find_node(net, 50, 50);
  REQUIRE(centre >= 0);
  REQUIRE(net.joins.size() == 1);
  CHECK(net.joins.kind[0] == JoinKind::Crossing);
  CHECK(topo.zero_length_line.empty());
  CHECK(topo.collapsed_line.empty());
  // The CSR graphs are built once with the edge list: forward and reversed, weight sets
  // time_s and length_m, edge ids = edge indices.
  REQUIRE(net.graph.node_count() == 5);
  REQUIRE(net.graph.edge_count() == 6);
  REQUIRE(net.graph.weight_count() == 2);
  REQUIRE(net.reversed_graph.edge_count() == 6);
  for (const auto* g : {&net.graph, &net.reversed_graph}) {
    const bool reversed = g == &net.reversed_graph;
    const auto off = g->offsets();
    for (std::size_t u = 0; u < g->node_count(); ++u)
      for (auto s = off[u]; s < off[u + 1]; ++s) {
        const auto e = static_cast<std::size_t>(g->edge_ids()[static_cast<std::size_t>(s)]);
        CHECK((reversed ? net.edge_to[e] : net.edge_from[e]) == static_cast<std::int64_t>(u));
        CHECK((reversed ? net.edge_from[e] : net.edge_to[e]) == g->targets()[static_cast<std::size_t>(s)]);
        CHECK(g->weights(0)[static_cast<std::size_t>(s)] == net.edge_time_s[e]);
        CHECK(g->weights(1)[static_cast<std::size_t>(s)] == net.edge_length_m[e]);
      }
  }
  // Travel: 10 m/s everywhere; the one-way line runs (0,100) -> (50,50) -> (100,0).
  for (std::size_t e = 0; e < net.edge_count(); ++e) CHECK(net.edge_time_s[e] == Approx(net.edge_length_m[e] / 10.0));
}

TEST_CASE("road_topology: T undershoot snapped, sliver collapsed, components and sub-graphs", "[road_topology]") {
  //  (100,100)
  //     |
  //  (100,3)                                  (500,0)--(510,0)
  //  (0,0) ------ (200,0)-(202,0) <- 2 m sliver
  Lines lines;
  lines.add({{0, 0}, {200, 0}});
  lines.add({{100, 100}, {100, 3}});
  lines.add({{500, 0}, {510, 0}});
  lines.add({{200, 0}, {202, 0}});
  lines.add({{5, 5}, {5, 5}});  // one distinct vertex
  jangkau::TopologyOptions o;
  o.snap_tolerance_m = 5;
  const auto topo = lines.build(o);
  const auto& net = topo.network;
  CHECK(topo.zero_length_line == std::vector<std::int64_t>{4});
  CHECK(topo.collapsed_line == std::vector<std::int64_t>{3});
  REQUIRE(net.joins.size() == 2);
  CHECK(net.joins.kind[0] == JoinKind::EndpointToLine);
  CHECK(net.joins.distance_m[0] == Approx(3));
  CHECK(net.joins.kind[1] == JoinKind::EndpointToLine);  // the sliver's far end, onto (200, 0)
  CHECK(net.joins.line_a[1] == 3);
  CHECK(find_node(net, 100, 0) >= 0);
  CHECK(net.node_count() == 6);

  const auto c = jangkau::road_components(net);
  CHECK(c.sizes == std::vector<std::int64_t>{4, 2});
  // The same from plain arrays, and against a breadth-first search over undirected edges.
  const auto c2 = jangkau::road_components(net.node_count(), net.edge_from, net.edge_to);
  CHECK(c2.labels == c.labels);
  CHECK(c2.sizes == c.sizes);
  std::vector<std::int64_t> bfs(net.node_count(), -1);
  for (std::size_t s = 0; s < net.node_count(); ++s) {
    if (bfs[s] >= 0) continue;
    std::queue<std::size_t> q;
    q.push(s);
    bfs[s] = static_cast<std::int64_t>(s);
    while (!q.empty()) {
      const auto u = q.front();
      q.pop();
      for (std::size_t e = 0; e < net.edge_count(); ++e)
        for (auto [a, b] : {std::pair{net.edge_from[e], net.edge_to[e]}, std::pair{net.edge_to[e], net.edge_from[e]}})
          if (static_cast<std::size_t>(a) == u && bfs[static_cast<std::size_t>(b)] < 0) {
            bfs[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(s);
            q.push(static_cast<std::size_t>(b));
          }
    }
  }
  for (std::size_t u = 0; u < net.node_count(); ++u)
    for (std::size_t v = 0; v < net.node_count(); ++v) CHECK((bfs[u] == bfs[v]) == (c.labels[u] == c.labels[v]));

  const auto keep = jangkau::largest_component_mask(net);
  const auto big = jangkau::road_subgraph(net, keep);
  CHECK(big.node_count() == 4);
  CHECK(big.edge_count() == 6);
  CHECK(big.graph.edge_count() == 6);
  CHECK(big.reversed_graph.node_count() == 4);
  CHECK(big.joins.size() == 2);
  for (std::size_t e = 0; e < big.edge_count(); ++e)
    CHECK(big.edge_from[static_cast<std::size_t>(big.edge_twin[e])] == big.edge_to[e]);
  CHECK_THROWS_AS(jangkau::road_subgraph(net, std::vector<std::uint8_t>(2, 1)), jangkau::InvalidInputError);
  const std::vector<std::int64_t> bad{7};
  CHECK_THROWS_AS(jangkau::road_components(3, bad, bad), jangkau::InvalidInputError);
}

TEST_CASE("road_topology: bad input is rejected with typed errors", "[road_topology]") {
  Lines lines;
  lines.add({{0, 0}, {10, 0}});
  jangkau::TopologyOptions o;
  o.snap_tolerance_m = -1;
  CHECK_THROWS_AS(lines.build(o), jangkau::InvalidInputError);
  lines.speed[0] = 0.0;
  CHECK_THROWS_AS(lines.build(), jangkau::InvalidInputError);
  lines.speed[0] = 36.0;
  lines.geometry.x[1] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(lines.build(), jangkau::GeometryError);
  lines.oneway.push_back(Oneway::No);
  CHECK_THROWS_AS(lines.build(), jangkau::InvalidInputError);
}

TEST_CASE("road_topology: endpoint merging equals an all-pairs greedy on random lines", "[road_topology]") {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    std::mt19937_64 rng(seed);
    auto polys = random_segments(rng, 80, 200.0, 30.0);
    // Some exact shared endpoints and a few three-vertex lines.
    polys[1].x.front() = polys[0].x.back(), polys[1].y.front() = polys[0].y.back();
    polys[5].x.insert(polys[5].x.begin() + 1, polys[5].x[0] + 1.0);
    polys[5].y.insert(polys[5].y.begin() + 1, polys[5].y[0] + 2.0);
    const double tol = 8.0;
    auto brute = polys;
    jangkau::JoinLog log, brute_log;
    const auto sizes = jangkau::merge_endpoints(polys, tol, log);

    // Brute force: the same greedy rule, candidates from all endpoints (no R-tree).
    const std::size_t n = 2 * brute.size();
    auto ex = [&](std::size_t e) { return e % 2 == 0 ? brute[e / 2].x.front() : brute[e / 2].x.back(); };
    auto ey = [&](std::size_t e) { return e % 2 == 0 ? brute[e / 2].y.front() : brute[e / 2].y.back(); };
    std::vector<double> x0(n), y0(n);
    for (std::size_t e = 0; e < n; ++e) x0[e] = ex(e), y0[e] = ey(e);
    std::vector<std::int64_t> centre(n, -1), brute_sizes(n, 1);
    for (std::size_t e = 0; e < n; ++e) {
      if (centre[e] >= 0) continue;
      centre[e] = static_cast<std::int64_t>(e);
      std::vector<std::size_t> members{e};
      for (std::size_t c = 0; c < n; ++c) {
        if (centre[c] >= 0) continue;
        const double d = std::hypot(x0[c] - x0[e], y0[c] - y0[e]);
        if (d > tol) continue;
        bool line_used = false;
        for (auto m : members) line_used = line_used || m / 2 == c / 2;
        if (d > 0.0 && line_used) continue;
        centre[c] = static_cast<std::int64_t>(e);
        members.push_back(c);
      }
      for (auto m : members) brute_sizes[m] = static_cast<std::int64_t>(members.size());
      for (std::size_t k = 1; k < members.size(); ++k) {
        const auto m = members[k];
        const double d = std::hypot(x0[m] - x0[e], y0[m] - y0[e]);
        if (d == 0.0) continue;
        (m % 2 == 0 ? brute[m / 2].x.front() : brute[m / 2].x.back()) = x0[e];
        (m % 2 == 0 ? brute[m / 2].y.front() : brute[m / 2].y.back()) = y0[e];
        brute_log.add(JoinKind::EndpointToEndpoint, x0[e], y0[e], d, brute[m / 2].line, brute[e / 2].line);
      }
    }
    CHECK(sizes == brute_sizes);
    same_polylines(polys, brute);
    same_joins(log.report(), brute_log.report());
    CHECK(log.report().size() > 5);  // the random input does merge something
    // Every endpoint moved at most tol, onto another line's endpoint.
    for (std::size_t j = 0; j < log.report().size(); ++j) CHECK(log.report().distance_m[j] <= tol);
  }
}

TEST_CASE("road_topology: dangle snapping equals a search over all segments", "[road_topology]") {
  for (std::uint64_t seed : {11u, 12u, 13u}) {
    std::mt19937_64 rng(seed);
    auto polys = random_segments(rng, 60, 200.0, 40.0);
    const double tol = 6.0;
    const std::vector<std::int64_t> sizes(2 * polys.size(), 1);  // every endpoint dangles
    auto brute = polys;
    jangkau::JoinLog log, brute_log;
    jangkau::snap_dangles(polys, sizes, tol, log);

    // Brute force: in endpoint order, the nearest point over every segment of every other
    // polyline (first on ties), moved onto if within tol, inserting a vertex.
    for (std::size_t e = 0; e < 2 * brute.size(); ++e) {
      const std::size_t k = e / 2;
      const bool at_end = e % 2 == 1;
      const double px = at_end ? brute[k].x.back() : brute[k].x.front();
      const double py = at_end ? brute[k].y.back() : brute[k].y.front();
      double best = std::numeric_limits<double>::infinity(), bu = 0, bx = 0, by = 0;
      std::size_t bk = 0, bs = 0;
      for (std::size_t c = 0; c < brute.size(); ++c) {
        if (c == k) continue;
        for (std::size_t s = 0; s + 1 < brute[c].x.size(); ++s) {
          double u, qx, qy;
          jangkau::closest_point_on_segment(px, py, brute[c].x[s], brute[c].y[s], brute[c].x[s + 1],
                                            brute[c].y[s + 1], u, qx, qy);
          const double d = std::hypot(px - qx, py - qy);
          if (d < best) best = d, bu = u, bx = qx, by = qy, bk = c, bs = s;
        }
      }
      if (!(best <= tol)) continue;
      if (bu > 0.0 && bu < 1.0) {
        brute[bk].x.insert(brute[bk].x.begin() + static_cast<std::ptrdiff_t>(bs + 1), bx);
        brute[bk].y.insert(brute[bk].y.begin() + static_cast<std::ptrdiff_t>(bs + 1), by);
      } else if (best == 0.0) {
        continue;
      }
      (at_end ? brute[k].x.back() : brute[k].x.front()) = bx;
      (at_end ? brute[k].y.back() : brute[k].y.front()) = by;
      brute_log.add(JoinKind::EndpointToLine, bx, by, best, brute[k].line, brute[bk].line);
    }
    same_polylines(polys, brute);
    same_joins(log.report(), brute_log.report());
    CHECK(log.report().size() > 3);
    // Each snapped endpoint is now a vertex of the line it was snapped to.
    for (std::size_t j = 0; j < log.report().size(); ++j) {
      const auto& t = polys[static_cast<std::size_t>(log.report().line_b[j])];
      bool on = false;
      for (std::size_t v = 0; v < t.x.size(); ++v)
        on = on || (t.x[v] == log.report().x[j] && t.y[v] == log.report().y[j]);
      CHECK(on);
    }
  }
}

TEST_CASE("road_topology: noding splits every crossing found by an all-pairs check", "[road_topology]") {
  for (std::uint64_t seed : {21u, 22u, 23u, 24u}) {
    std::mt19937_64 rng(seed);
    const auto input = random_segments(rng, 50, 100.0, 40.0);
    // All segment pairs of the input: the proper crossings.
    std::vector<std::pair<std::size_t, std::size_t>> crossing;
    for (std::size_t i = 0; i < input.size(); ++i)
      for (std::size_t j = i + 1; j < input.size(); ++j)
        if (properly_cross(input[i].x[0], input[i].y[0], input[i].x[1], input[i].y[1], input[j].x[0], input[j].y[0],
                           input[j].x[1], input[j].y[1]))
          crossing.emplace_back(i, j);
    REQUIRE(crossing.size() > 10);

    auto polys = input;
    jangkau::JoinLog log;
    jangkau::node_lines(polys, std::vector<std::uint8_t>(polys.size(), 0), 0.0, log);
    const auto& r = log.report();
    std::vector<std::pair<std::size_t, std::size_t>> reported;
    for (std::size_t j = 0; j < r.size(); ++j) {
      REQUIRE(r.kind[j] == JoinKind::Crossing);  // random segments: no touches
      reported.emplace_back(static_cast<std::size_t>(r.line_a[j]), static_cast<std::size_t>(r.line_b[j]));
      // The crossing point lies on both input segments.
      for (auto l : {r.line_a[j], r.line_b[j]}) {
        const auto& s = input[static_cast<std::size_t>(l)];
        CHECK(seg_point_distance(r.x[j], r.y[j], s.x[0], s.y[0], s.x[1], s.y[1]) < 1e-9);
      }
    }
    CHECK(reported == crossing);
    // Each line now has one vertex per crossing on it, in order along it, the same length,
    // and no two output segments cross any more (all pairs again).
    for (std::size_t k = 0; k < polys.size(); ++k) {
      std::size_t on = 0;
      for (auto [a, b] : crossing) on += (a == k) + (b == k);
      CHECK(polys[k].x.size() == 2 + on);
      double len = 0;
      for (std::size_t v = 0; v + 1 < polys[k].x.size(); ++v)
        len += std::hypot(polys[k].x[v + 1] - polys[k].x[v], polys[k].y[v + 1] - polys[k].y[v]);
      CHECK(len == Approx(std::hypot(input[k].x[1] - input[k].x[0], input[k].y[1] - input[k].y[0])).epsilon(1e-12));
    }
    std::size_t still = 0;
    for (std::size_t a = 0; a < polys.size(); ++a)
      for (std::size_t s = 0; s + 1 < polys[a].x.size(); ++s)
        for (std::size_t b = a + 1; b < polys.size(); ++b)
          for (std::size_t t = 0; t + 1 < polys[b].x.size(); ++t)
            still += properly_cross(polys[a].x[s], polys[a].y[s], polys[a].x[s + 1], polys[a].y[s + 1], polys[b].x[t],
                                    polys[b].y[t], polys[b].x[t + 1], polys[b].y[t + 1]);
    CHECK(still == 0);

    // The network: 2 nodes per line and one per crossing, one two-way piece per part.
    Lines lines;
    for (const auto& p : input) lines.add({{p.x[0], p.y[0]}, {p.x[1], p.y[1]}});
    jangkau::TopologyOptions o;
    o.split_crossings = true;
    const auto net = lines.build(o).network;
    CHECK(net.node_count() == 2 * input.size() + crossing.size());
    CHECK(net.edge_count() == 2 * (input.size() + 2 * crossing.size()));
    CHECK(jangkau::road_components(net).labels.size() == net.node_count());
  }
}

TEST_CASE("road_topology: a vertex on a segment splits it (touch); grade-separated lines stay whole",
          "[road_topology]") {
  //  (50,50)
  //    |
  //  (0,0)--(50,0)--(100,0)     line 1 ends on line 0; line 2 (class 1) crosses line 0
  Lines lines;
  lines.add({{0, 0}, {100, 0}});
  lines.add({{50, 50}, {50, 0}});
  lines.add({{20, -10}, {20, 10}}, 1);
  jangkau::TopologyOptions o;
  o.split_crossings = true;
  o.grade_separated_classes = {1};
  const auto net = lines.build(o).network;
  REQUIRE(net.joins.size() == 1);
  CHECK(net.joins.kind[0] == JoinKind::Touch);
  CHECK(net.joins.line_a[0] == 0);
  CHECK(net.joins.line_b[0] == 1);
  CHECK(find_node(net, 50, 0) >= 0);
  CHECK(find_node(net, 20, 0) < 0);
  CHECK(net.node_count() == 6);
}

TEST_CASE("road_topology: vertex merging equals a search over all representatives", "[road_topology]") {
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<double> pos(0.0, 1.0);
  std::vector<RoadPolyline> polys(40);
  for (std::size_t k = 0; k < polys.size(); ++k) {
    for (int v = 0; v < 4; ++v) {
      polys[k].x.push_back(10.0 * pos(rng));
      polys[k].y.push_back(10.0 * pos(rng));
    }
    polys[k].line = static_cast<std::int64_t>(k);
  }
  polys[3].x[0] = polys[2].x[1], polys[3].y[0] = polys[2].y[1];  // an exact repeat
  const double eps = 0.4;
  auto brute = polys;
  jangkau::merge_close_vertices(polys, eps);
  std::vector<double> rx, ry;
  for (auto& p : brute) {
    for (std::size_t v = 0; v < p.x.size(); ++v) {
      std::size_t rep = rx.size();
      for (std::size_t r = 0; r < rx.size() && rep == rx.size(); ++r)
        if (std::hypot(rx[r] - p.x[v], ry[r] - p.y[v]) <= eps) rep = r;
      if (rep == rx.size()) rx.push_back(p.x[v]), ry.push_back(p.y[v]);
      p.x[v] = rx[rep];
      p.y[v] = ry[rep];
    }
    jangkau::drop_repeated_vertices(p);
  }
  same_polylines(polys, brute);
  CHECK(rx.size() < 160);  // something merged
  CHECK_THROWS_AS(jangkau::merge_close_vertices(polys, 0.0), jangkau::InvalidInputError);
}
