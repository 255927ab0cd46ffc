// core/geometry.hpp. A GeometryArray crosses the language boundary as GeoArrow-style numpy
// arrays (the layout of shapely.to_ragged_array / from_ragged_array): in, copied once into the
// engine's vectors (vector_from); out, read-only views that keep the GeometryArray alive.
#include "bind.hpp"
#include "core/error.hpp"
#include "core/geometry.hpp"

namespace jangkau::bind {

namespace {
template <auto Member>
auto geometry_view() {
  return [](const py::object& self) { return readonly_view(self.cast<const GeometryArray&>().*Member, self); };
}
}  // namespace

void bind_geometry(py::module_& m) {
  py::enum_<GeometryKind>(m, "GeometryKind")
      .value("Point", GeometryKind::Point)
      .value("Line", GeometryKind::Line)
      .value("Polygon", GeometryKind::Polygon);

  py::class_<GeometryArray>(m, "GeometryArray",
                            "Geometries as flat coordinate and offset arrays (always multi-part). The array "
                            "properties are read-only views that keep the GeometryArray alive.")
      .def(py::init([](GeometryKind kind, const py::array_t<double, py::array::forcecast>& x,
                       const py::array_t<double, py::array::forcecast>& y,
                       const py::array_t<std::int64_t, py::array::forcecast>& ring_offsets,
                       const py::array_t<std::int64_t, py::array::forcecast>& part_offsets,
                       const py::array_t<std::int64_t, py::array::forcecast>& geom_offsets) {
             GeometryArray a;
             a.kind = kind;
             a.x = vector_from(x);
             a.y = vector_from(y);
             a.ring_offsets = vector_from(ring_offsets);
             a.part_offsets = vector_from(part_offsets);
             a.geom_offsets = vector_from(geom_offsets);
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
           py::arg("geom_offsets"),
           "Copies the arrays once (strided input is read in place, other dtypes converted).")
      .def("__len__", &GeometryArray::size)
      .def_property_readonly("kind", [](const GeometryArray& a) { return a.kind; })
      .def_property_readonly("x", geometry_view<&GeometryArray::x>())
      .def_property_readonly("y", geometry_view<&GeometryArray::y>())
      .def_property_readonly("ring_offsets", geometry_view<&GeometryArray::ring_offsets>())
      .def_property_readonly("part_offsets", geometry_view<&GeometryArray::part_offsets>())
      .def_property_readonly("geom_offsets", geometry_view<&GeometryArray::geom_offsets>());

  m.def(
      "polygon_area",
      [](const GeometryArray& a) {
        return to_numpy(nogil([&] {
          std::vector<double> out(a.size());
          for (std::size_t g = 0; g < a.size(); ++g) out[g] = polygon_area(a, g);
          return out;
        }));
      },
      py::arg("geometry"), "Planar area of every polygon (coordinate units squared).");
  m.def(
      "geometry_length",
      [](const GeometryArray& a) {
        return to_numpy(nogil([&] {
          std::vector<double> out(a.size());
          for (std::size_t g = 0; g < a.size(); ++g) out[g] = geometry_length(a, g);
          return out;
        }));
      },
      py::arg("geometry"), "Planar length of every line (perimeter of polygons), in coordinate units.");
  m.def(
      "orient_ccw",
      [](GeometryArray a) {
        nogil([&] { orient_polygons_ccw(a); });
        return a;
      },
      py::arg("geometry"), "Copy with shells counter-clockwise and holes clockwise.");
}

}  // namespace jangkau::bind
