// File I/O, CRSs and GEOS operations.
#include "bind.hpp"
#include "core/error.hpp"
#include "io/crs.hpp"
#include "io/geos_ops.hpp"
#include "io/vector.hpp"
#include "io/writer.hpp"

namespace jangkau::bind {

namespace {
py::object field_values(const Field& f) {
  switch (f.type) {
    case FieldType::Integer:
      return py::array_t<std::int64_t>(static_cast<py::ssize_t>(f.integers.size()), f.integers.data());
    case FieldType::Real:
      return py::array_t<double>(static_cast<py::ssize_t>(f.reals.size()), f.reals.data());
    case FieldType::String: {
      py::list out(f.strings.size());
      for (std::size_t i = 0; i < f.strings.size(); ++i) out[i] = py::str(f.strings[i]);
      return std::move(out);
    }
  }
  return py::none();
}
}  // namespace

void bind_io(py::module_& m) {
  py::class_<VectorLayer>(m, "VectorLayer", "A layer read through GDAL/OGR.")
      .def_readonly("source", &VectorLayer::source)
      .def_readonly("name", &VectorLayer::name)
      .def_readonly("geometry", &VectorLayer::geometry)
      .def_property_readonly("crs",
                             [](const VectorLayer& l) -> py::object {
                               if (!l.crs) return py::none();
                               return py::str(l.crs->id());
                             })
      .def_property_readonly("fid",
                             [](const VectorLayer& l) {
                               return py::array_t<std::int64_t>(static_cast<py::ssize_t>(l.fid.size()), l.fid.data());
                             })
      .def("__len__", &VectorLayer::size)
      .def("columns", [](const VectorLayer& l) {
        py::list out;
        for (const auto& f : l.fields) {
          const char* t = f.boolean                        ? "bool"
                          : f.type == FieldType::Integer ? "int"
                          : f.type == FieldType::Real    ? "float"
                                                         : "str";
          py::array_t<std::uint8_t> valid(static_cast<py::ssize_t>(f.valid.size()), f.valid.data());
          out.append(py::make_tuple(f.name, t, field_values(f), valid));
        }
        return out;
      });

  m.def(
      "read_vector",
      [](const std::string& path, const std::string& layer, const std::string& assume_crs, const std::string& x_column,
         const std::string& y_column, const std::string& wkt_column, const std::string& where, bool require_geometry) {
        ReadOptions o{layer, assume_crs, x_column, y_column, wkt_column, where, require_geometry};
        py::gil_scoped_release release;
        return read_vector(path, o);
      },
      py::arg("path"), py::arg("layer") = "", py::arg("assume_crs") = "", py::arg("x_column") = "",
      py::arg("y_column") = "", py::arg("wkt_column") = "", py::arg("where") = "", py::arg("require_geometry") = true);
  m.def("list_layers", &list_layers, py::arg("path"));

  m.def(
      "write_vector",
      [](const std::string& path, py::object geometry, py::object crs, const std::vector<std::string>& names,
         py::list columns, int precision, const std::string& layer_name) {
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
          Field f;
          f.name = names[k];
          py::object col = columns[k];
          if (py::isinstance<py::list>(col)) {
            f.type = FieldType::String;
            py::list lst = col;
            for (auto item : lst) {
              bool null = item.is_none();
              f.valid.push_back(null ? 0 : 1);
              f.strings.push_back(null ? "" : py::str(item).cast<std::string>());
            }
          } else {
            py::array arr = col;
            if (arr.dtype().kind() == 'i' || arr.dtype().kind() == 'u' || arr.dtype().kind() == 'b') {
              f.type = FieldType::Integer;
              f.boolean = arr.dtype().kind() == 'b';
              auto a = col.cast<carray<std::int64_t>>();
              f.integers.assign(a.data(), a.data() + a.size());
            } else {
              f.type = FieldType::Real;
              auto a = col.cast<carray<double>>();
              f.reals.assign(a.data(), a.data() + a.size());
            }
          }
          std::size_t len = f.type == FieldType::String ? f.strings.size()
                            : f.type == FieldType::Integer ? f.integers.size()
                                                           : f.reals.size();
          if (geometry.is_none() && k == 0) n = len;
          l.fields.push_back(std::move(f));
        }
        l.fid.resize(n);
        for (std::size_t i = 0; i < n; ++i) l.fid[i] = static_cast<std::int64_t>(i);
        WriteOptions o;
        o.coordinate_precision = precision;
        o.layer_name = layer_name;
        py::gil_scoped_release release;
        write_vector(path, l, o);
      },
      py::arg("path"), py::arg("geometry"), py::arg("crs"), py::arg("names"), py::arg("columns"),
      py::arg("precision") = 7, py::arg("layer_name") = "",
      "Atomically writes a layer; the format comes from the extension.");

  m.def(
      "crs_info",
      [](const std::string& definition) {
        Crs c = Crs::from_user_input(definition);
        return py::make_tuple(c.authority, c.name, c.is_geographic);
      },
      py::arg("definition"), "(authority, name, is_geographic) of a CRS definition; CrsError if unknown.");
  m.def("utm_crs_for", &utm_crs_for, py::arg("lon"), py::arg("lat"));
  m.def(
      "transform_xy",
      [](const carray<double>& x, const carray<double>& y, const std::string& src, const std::string& dst) {
        std::vector<double> xs(view(x).begin(), view(x).end()), ys(view(y).begin(), view(y).end());
        {
          py::gil_scoped_release release;
          Transformer t(Crs::from_user_input(src), Crs::from_user_input(dst));
          t.transform(xs, ys);
        }
        return py::make_tuple(to_numpy(std::move(xs)), to_numpy(std::move(ys)));
      },
      py::arg("x"), py::arg("y"), py::arg("src"), py::arg("dst"), "Transforms coordinate arrays (lon/lat order).");
  m.def(
      "transform_geometry",
      [](GeometryArray a, const std::string& src, const std::string& dst) {
        py::gil_scoped_release release;
        Transformer t(Crs::from_user_input(src), Crs::from_user_input(dst));
        t.transform(a);
        return a;
      },
      py::arg("geometry"), py::arg("src"), py::arg("dst"));

  m.def(
      "validate_polygons",
      [](GeometryArray a, bool repair, bool allow_empty, const std::string& file) {
        std::vector<RepairRecord> records;
        {
          py::gil_scoped_release release;
          records = validate_polygons(a, {repair, allow_empty}, file);
        }
        py::list out;
        for (const auto& r : records)
          out.append(py::make_tuple(r.feature, r.reason, r.action, r.area_before, r.area_after));
        return py::make_tuple(a, out);
      },
      py::arg("geometry"), py::arg("repair") = true, py::arg("allow_empty") = false, py::arg("file") = "",
      "Validity check and MakeValid repair; returns (geometry, [(feature, reason, action, area_before, "
      "area_after)]).");
  m.def("is_valid", [](const GeometryArray& a) {
    auto v = is_valid(a);
    std::vector<std::uint8_t> out(v.begin(), v.end());
    return to_numpy(std::move(out)).attr("astype")("bool");
  });
  m.def(
      "dissolve",
      [](const GeometryArray& a, const carray<std::int64_t>& group, std::size_t n_groups, int threads) {
        py::gil_scoped_release release;
        return dissolve(a, view(group), n_groups, threads);
      },
      py::arg("geometry"), py::arg("group"), py::arg("n_groups"), py::arg("threads") = 0,
      "Union of the geometries of each group 0..n_groups-1 (GEOS, parallel over groups).");
  m.def(
      "buffer",
      [](const GeometryArray& a, double distance, int quadrant_segments) {
        py::gil_scoped_release release;
        return buffer(a, distance, quadrant_segments);
      },
      py::arg("geometry"), py::arg("distance"), py::arg("quadrant_segments") = 8);
  m.def("unary_union", [](const GeometryArray& a) {
    py::gil_scoped_release release;
    return unary_union(a);
  });
}

}  // namespace jangkau::bind
