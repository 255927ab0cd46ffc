// core/spatial_index.hpp: point-in-polygon location and nearest points through R-trees.
#include "bind.hpp"
#include "core/spatial_index.hpp"

namespace jangkau::bind {

void bind_spatial_index(py::module_& m) {
  m.def(
      "locate_points",
      [](const GeometryArray& polygons, const carray<double>& x, const carray<double>& y, int threads) {
        auto xs = view(x), ys = view(y);
        // Building the index is the long part for few points: both run without the GIL.
        return to_numpy(nogil([&] { return PolygonIndex(polygons).locate(xs, ys, threads); }));
      },
      py::arg("polygons"), py::arg("x"), py::arg("y"), py::arg("threads") = 0,
      "Index of the polygon containing each point (R-tree + exact test), -1 where none.");
  m.def(
      "nearest_points",
      [](const carray<double>& tx, const carray<double>& ty, const carray<double>& qx, const carray<double>& qy,
         int threads) {
        auto t_x = view(tx), t_y = view(ty), q_x = view(qx), q_y = view(qy);
        auto n = nogil([&] { return nearest_points(t_x, t_y, q_x, q_y, threads); });
        return py::make_tuple(to_numpy(std::move(n.index)), to_numpy(std::move(n.distance)));
      },
      py::arg("target_x"), py::arg("target_y"), py::arg("query_x"), py::arg("query_y"), py::arg("threads") = 0,
      "Nearest target (index, distance) of every query point; ties go to the lower index.");
}

}  // namespace jangkau::bind
