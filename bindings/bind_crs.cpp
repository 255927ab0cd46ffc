// io/crs.hpp: CRS lookup and coordinate transformation (PROJ).
#include "bind.hpp"
#include "io/crs.hpp"

namespace jangkau::bind {

void bind_crs(py::module_& m) {
  m.def(
      "crs_info",
      [](const std::string& definition) {
        Crs c = nogil([&] { return Crs::from_user_input(definition); });
        return py::make_tuple(c.authority, c.name, c.is_geographic);
      },
      py::arg("definition"), "(authority, name, is_geographic) of a CRS definition; CrsError if unknown.");
  m.def("utm_crs_for", &utm_crs_for, py::arg("lon"), py::arg("lat"));
  m.def(
      "transform_xy",
      [](const py::array_t<double, py::array::forcecast>& x, const py::array_t<double, py::array::forcecast>& y,
         const std::string& src, const std::string& dst) {
        // Transformed in place: the one copy is the output.
        std::vector<double> xs = vector_from(x), ys = vector_from(y);
        nogil([&] {
          Transformer t(Crs::from_user_input(src), Crs::from_user_input(dst));
          t.transform(xs, ys);
        });
        return py::make_tuple(to_numpy(std::move(xs)), to_numpy(std::move(ys)));
      },
      py::arg("x"), py::arg("y"), py::arg("src"), py::arg("dst"), "Transforms coordinate arrays (lon/lat order).");
  m.def(
      "transform_geometry",
      [](GeometryArray a, const std::string& src, const std::string& dst) {
        nogil([&] {
          Transformer t(Crs::from_user_input(src), Crs::from_user_input(dst));
          t.transform(a);
        });
        return a;
      },
      py::arg("geometry"), py::arg("src"), py::arg("dst"), "A transformed copy of the geometries.");
}

}  // namespace jangkau::bind
