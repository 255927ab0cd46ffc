// io/writer.hpp: vector layers written atomically (format from the file extension).
#include "bind.hpp"
#include "core/error.hpp"
#include "io/crs.hpp"
#include "io/writer.hpp"

namespace jangkau::bind {

namespace {
// One column from Python: a list (str, None = null) or a numpy array (bool/int -> Integer,
// anything else -> Real). The engine's Field owns its values: one copy.
Field field_from(const std::string& name, py::handle col) {
  Field f;
  f.name = name;
  if (py::isinstance<py::list>(col)) {
    f.type = FieldType::String;
    for (auto item : col.cast<py::list>()) {
      const bool null = item.is_none();
      f.valid.push_back(null ? 0 : 1);
      f.strings.push_back(null ? "" : py::str(item).cast<std::string>());
    }
    return f;
  }
  const char kind = py::array::ensure(col).dtype().kind();
  if (kind == 'i' || kind == 'u' || kind == 'b') {
    f.type = FieldType::Integer;
    f.boolean = kind == 'b';
    f.integers = vector_from(col.cast<py::array_t<std::int64_t, py::array::forcecast>>());
  } else {
    f.type = FieldType::Real;
    f.reals = vector_from(col.cast<py::array_t<double, py::array::forcecast>>());
  }
  return f;
}
std::size_t field_size(const Field& f) {
  return f.type == FieldType::String    ? f.strings.size()
         : f.type == FieldType::Integer ? f.integers.size()
                                        : f.reals.size();
}
}  // namespace

void bind_writer(py::module_& m) {
  m.def(
      "write_vector",
      [](const std::string& path, const py::object& geometry, const py::object& crs,
         const std::vector<std::string>& names, const py::list& columns, int precision,
         const std::string& layer_name) {
        VectorLayer l;
        l.source = path;
        std::size_t n = 0;
        if (!geometry.is_none()) {
          l.geometry = geometry.cast<GeometryArray>();
          n = l.geometry.size();
          if (crs.is_none()) throw CrsError("geometry without CRS", {path, -1, ""});
          l.crs = Crs::from_user_input(crs.cast<std::string>(), path);
        }
        if (names.size() != columns.size()) throw InvalidInputError("names and columns differ in length");
        for (std::size_t k = 0; k < names.size(); ++k) {
          l.fields.push_back(field_from(names[k], columns[k]));
          if (geometry.is_none() && k == 0) n = field_size(l.fields.back());
        }
        l.fid.resize(n);
        for (std::size_t i = 0; i < n; ++i) l.fid[i] = static_cast<std::int64_t>(i);
        WriteOptions o;
        o.coordinate_precision = precision;
        o.layer_name = layer_name;
        nogil([&] { write_vector(path, l, o); });
      },
      py::arg("path"), py::arg("geometry"), py::arg("crs"), py::arg("names"), py::arg("columns"),
      py::arg("precision") = 7, py::arg("layer_name") = "",
      "Atomically writes a layer; the format comes from the extension.");
}

}  // namespace jangkau::bind
