// GeometryArray crosses the language boundary as GeoArrow-style numpy arrays
// (the layout of shapely.to_ragged_array / from_ragged_array).
#include "bind.hpp"
#include "core/geometry.hpp"
#include "core/spatial_index.hpp"

namespace jangkau::bind {

namespace {
template <class T>
std::vector<T> to_vector(const carray<T>& a) {
  auto v = view(a);
  return {v.begin(), v.end()};
}
template <class T>
py::array_t<T> copy_out(const std::vector<T>& v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}
}  // namespace

void bind_geometry(py::module_& m) {
  py::enum_<GeometryKind>(m, "GeometryKind")
      .value("Point", GeometryKind::Point)
      .value("Line", GeometryKind::Line)
      .value("Polygon", GeometryKind::Polygon);

  py::class_<GeometryArray>(m, "GeometryArray",
                            "Geometries as flat coordinate and offset arrays (always multi-part).")
      .def(py::init([](GeometryKind kind, const carray<double>& x, const carray<double>& y,
                       const carray<std::int64_t>& ring_offsets, const carray<std::int64_t>& part_offsets,
                       const carray<std::int64_t>& geom_offsets) {
             GeometryArray a;
             a.kind = kind;
             a.x = to_vector(x);
             a.y = to_vector(y);
             a.ring_offsets = to_vector(ring_offsets);
             a.part_offsets = to_vector(part_offsets);
             a.geom_offsets = to_vector(geom_offsets);
             if (a.x.size() != a.y.size()) throw InvalidInputError("x and y differ in length");
             if (a.ring_offsets.empty() || a.part_offsets.empty() || a.geom_offsets.empty())
               throw InvalidInputError("offset arrays must start with 0");
             if (a.ring_offsets.back() != static_cast<std::int64_t>(a.x.size()) ||
                 a.part_offsets.back() != static_cast<std::int64_t>(a.ring_offsets.size() - 1) ||
                 a.geom_offsets.back() != static_cast<std::int64_t>(a.part_offsets.size() - 1))
               throw InvalidInputError("inconsistent offset arrays");
             return a;
           }),
           py::arg("kind"), py::arg("x"), py::arg("y"), py::arg("ring_offsets"), py::arg("part_offsets"),
           py::arg("geom_offsets"))
      .def("__len__", &GeometryArray::size)
      .def_property_readonly("kind", [](const GeometryArray& a) { return a.kind; })
      .def_property_readonly("x", [](const GeometryArray& a) { return copy_out(a.x); })
      .def_property_readonly("y", [](const GeometryArray& a) { return copy_out(a.y); })
      .def_property_readonly("ring_offsets", [](const GeometryArray& a) { return copy_out(a.ring_offsets); })
      .def_property_readonly("part_offsets", [](const GeometryArray& a) { return copy_out(a.part_offsets); })
      .def_property_readonly("geom_offsets", [](const GeometryArray& a) { return copy_out(a.geom_offsets); });

  m.def(
      "polygon_area",
      [](const GeometryArray& a) {
        std::vector<double> out(a.size());
        for (std::size_t g = 0; g < a.size(); ++g) out[g] = polygon_area(a, g);
        return to_numpy(std::move(out));
      },
      "Planar area of every polygon (coordinate units squared).");
  m.def(
      "geometry_length",
      [](const GeometryArray& a) {
        std::vector<double> out(a.size());
        for (std::size_t g = 0; g < a.size(); ++g) out[g] = geometry_length(a, g);
        return to_numpy(std::move(out));
      },
      "Planar length of every line (perimeter of polygons), in coordinate units.");
  m.def(
      "orient_ccw",
      [](GeometryArray a) {
        orient_polygons_ccw(a);
        return a;
      },
      "Copy with shells counter-clockwise and holes clockwise.");
  m.def(
      "locate_points",
      [](const GeometryArray& polygons, const carray<double>& x, const carray<double>& y, int threads) {
        PolygonIndex index(polygons);
        std::vector<std::int64_t> out;
        {
          py::gil_scoped_release release;
          out = index.locate(view(x), view(y), threads);
        }
        return to_numpy(std::move(out));
      },
      py::arg("polygons"), py::arg("x"), py::arg("y"), py::arg("threads") = 0,
      "Index of the polygon containing each point (R-tree + exact test), -1 where none.");
  m.def(
      "nearest_points",
      [](const carray<double>& tx, const carray<double>& ty, const carray<double>& qx, const carray<double>& qy,
         int threads) {
        Nearest n;
        {
          py::gil_scoped_release release;
          n = nearest_points(view(tx), view(ty), view(qx), view(qy), threads);
        }
        return py::make_tuple(to_numpy(std::move(n.index)), to_numpy(std::move(n.distance)));
      },
      py::arg("target_x"), py::arg("target_y"), py::arg("query_x"), py::arg("query_y"), py::arg("threads") = 0,
      "Nearest target (index, distance) of every query point; ties go to the lower index.");
}

}  // namespace jangkau::bind
