// io/vector.hpp: vector layers read through GDAL/OGR.
#include "bind.hpp"
#include "io/vector.hpp"

namespace jangkau::bind {

namespace {
// A column's values: a read-only view of the layer's numbers (the layer stays alive with it)
// or a list of str.
py::object field_values(const Field& f, py::handle layer) {
  switch (f.type) {
    case FieldType::Integer:
      return readonly_view(f.integers, layer);
    case FieldType::Real:
      return readonly_view(f.reals, layer);
    case FieldType::String: {
      py::list out(f.strings.size());
      for (std::size_t i = 0; i < f.strings.size(); ++i) out[i] = py::str(f.strings[i]);
      return out;
    }
  }
  return py::none();
}
}  // namespace

void bind_vector(py::module_& m) {
  py::class_<VectorLayer>(m, "VectorLayer",
                          "A layer read through GDAL/OGR. Its arrays are read-only views that keep the layer alive.")
      .def_readonly("source", &VectorLayer::source)
      .def_readonly("name", &VectorLayer::name)
      .def_readonly("geometry", &VectorLayer::geometry)
      .def_property_readonly("crs",
                             [](const VectorLayer& l) -> py::object {
                               if (!l.crs) return py::none();
                               return py::str(l.crs->id());
                             })
      .def_property_readonly("fid",
                             [](const py::object& self) {
                               return readonly_view(self.cast<const VectorLayer&>().fid, self);
                             })
      .def("__len__", &VectorLayer::size)
      .def(
          "columns",
          [](const py::object& self) {
            const auto& l = self.cast<const VectorLayer&>();
            py::list out;
            for (const auto& f : l.fields) {
              const char* t = f.boolean                      ? "bool"
                              : f.type == FieldType::Integer ? "int"
                              : f.type == FieldType::Real    ? "float"
                                                             : "str";
              out.append(py::make_tuple(f.name, t, field_values(f, self), readonly_view(f.valid, self)));
            }
            return out;
          },
          "[(name, type, values, valid)]: values and valid (uint8) are read-only views.");

  m.def(
      "read_vector",
      [](const std::string& path, const std::string& layer, const std::string& assume_crs,
         const std::string& x_column, const std::string& y_column, const std::string& wkt_column,
         const std::string& where, bool require_geometry) {
        const ReadOptions o{.layer = layer,
                            .assume_crs = assume_crs,
                            .x_column = x_column,
                            .y_column = y_column,
                            .wkt_column = wkt_column,
                            .where = where,
                            .require_geometry = require_geometry};
        return nogil([&] { return read_vector(path, o); });
      },
      py::arg("path"), py::arg("layer") = "", py::arg("assume_crs") = "", py::arg("x_column") = "",
      py::arg("y_column") = "", py::arg("wkt_column") = "", py::arg("where") = "",
      py::arg("require_geometry") = true);
  m.def(
      "list_layers", [](const std::string& path) { return nogil([&] { return list_layers(path); }); },
      py::arg("path"));
}

}  // namespace jangkau::bind
