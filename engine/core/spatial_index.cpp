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

Nearest nearest_points(std::span<const double> tx, std::span<const double> ty, std::span<const double> qx,
                       std::span<const double> qy, int threads) {
  if (tx.size() != ty.size() || qx.size() != qy.size())
    throw InvalidInputError("nearest_points: x and y differ in length");
  std::vector<std::pair<BPoint, std::int64_t>> entries;
  entries.reserve(tx.size());
  for (std::size_t i = 0; i < tx.size(); ++i)
    entries.emplace_back(BPoint(tx[i], ty[i]), static_cast<std::int64_t>(i));
  bgi::rtree<std::pair<BPoint, std::int64_t>, bgi::rstar<16>> tree(entries.begin(), entries.end());
  Nearest out;
  out.index.assign(qx.size(), -1);
  out.distance.assign(qx.size(), std::numeric_limits<double>::infinity());
  if (tx.empty()) return out;
  parallel_for(
      qx.size(), thread_count(threads),
      [&](std::size_t i, unsigned) {
        BPoint q(qx[i], qy[i]);
        // Take the nearest, then every target at the same distance, to break ties by index.
        std::vector<std::pair<BPoint, std::int64_t>> hit;
        tree.query(bgi::nearest(q, 1), std::back_inserter(hit));
        double d = bg::distance(q, hit[0].first);
        std::int64_t best = hit[0].second;
        std::vector<std::pair<BPoint, std::int64_t>> ties;
        BBox box(BPoint(qx[i] - d, qy[i] - d), BPoint(qx[i] + d, qy[i] + d));
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
