#include "spatial_index.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace jangkau {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BBox = bg::model::box<BPoint>;

struct PolygonIndex::Impl {
  bgi::rtree<std::pair<BBox, std::int64_t>, bgi::rstar<16>> tree;
};

PolygonIndex::PolygonIndex(const GeometryArray& polygons) : m_impl(new Impl), m_polygons(polygons) {
  if (polygons.kind != GeometryKind::Polygon) {
    delete m_impl;
    throw InvalidInputError("PolygonIndex needs polygon geometries");
  }
  std::vector<std::pair<BBox, std::int64_t>> entries;
  for (std::size_t g = 0; g < polygons.size(); ++g) {
    Box b = bounds(polygons, g);
    if (b.is_empty()) continue;
    entries.emplace_back(BBox(BPoint(b.min_x, b.min_y), BPoint(b.max_x, b.max_y)), static_cast<std::int64_t>(g));
  }
  m_impl->tree = decltype(m_impl->tree)(entries.begin(), entries.end());  // packing (STR) build
}

PolygonIndex::~PolygonIndex() { delete m_impl; }

std::int64_t PolygonIndex::locate(double x, double y) const {
  std::int64_t best = -1;
  BPoint p(x, y);
  for (auto it = m_impl->tree.qbegin(bgi::intersects(p)); it != m_impl->tree.qend(); ++it) {
    if ((best < 0 || it->second < best) && point_in_polygon(m_polygons, static_cast<std::size_t>(it->second), x, y))
      best = it->second;
  }
  return best;
}

std::vector<std::int64_t> PolygonIndex::locate(std::span<const double> x, std::span<const double> y,
                                               int threads) const {
  if (x.size() != y.size()) throw InvalidInputError("locate: x and y differ in length");
  std::vector<std::int64_t> out(x.size());
  parallel_for(x.size(), thread_count(threads), [&](std::size_t i, unsigned) { out[i] = locate(x[i], y[i]); }, 1024);
  return out;
}

Nearest nearest_points(std::span<const double> target_x, std::span<const double> target_y,
                       std::span<const double> query_x, std::span<const double> query_y, int threads) {
  if (target_x.size() != target_y.size() || query_x.size() != query_y.size())
    throw InvalidInputError("nearest_points: x and y differ in length");
  std::vector<std::pair<BPoint, std::int64_t>> entries;
  entries.reserve(target_x.size());
  for (std::size_t i = 0; i < target_x.size(); ++i)
    entries.emplace_back(BPoint(target_x[i], target_y[i]), static_cast<std::int64_t>(i));
  bgi::rtree<std::pair<BPoint, std::int64_t>, bgi::rstar<16>> tree(entries.begin(), entries.end());
  Nearest out;
  out.index.assign(query_x.size(), -1);
  out.distance.assign(query_x.size(), std::numeric_limits<double>::infinity());
  if (target_x.empty()) return out;
  parallel_for(
      query_x.size(), thread_count(threads),
      [&](std::size_t i, unsigned) {
        BPoint q(query_x[i], query_y[i]);
        // Take the nearest, then every target at the same distance, to break ties by index.
        std::vector<std::pair<BPoint, std::int64_t>> hit;
        tree.query(bgi::nearest(q, 1), std::back_inserter(hit));
        double d = bg::distance(q, hit[0].first);
        std::int64_t best = hit[0].second;
        std::vector<std::pair<BPoint, std::int64_t>> ties;
        BBox box(BPoint(query_x[i] - d, query_y[i] - d), BPoint(query_x[i] + d, query_y[i] + d));
        tree.query(bgi::intersects(box), std::back_inserter(ties));
        for (auto& t : ties)
          if (bg::distance(q, t.first) == d && t.second < best) best = t.second;
        out.index[i] = best;
        out.distance[i] = d;
      },
      1024);
  return out;
}

}  // namespace jangkau
