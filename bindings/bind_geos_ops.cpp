// io/geos_ops.hpp: validity, repair, dissolve, buffer and union through GEOS.
#include "bind.hpp"
#include "io/geos_ops.hpp"

namespace jangkau::bind {

void bind_geos_ops(py::module_& m) {
  m.def(
      "validate_polygons",
      [](GeometryArray a, bool repair, bool allow_empty, const std::string& file) {
        auto records = nogil([&] { return validate_polygons(a, {repair, allow_empty}, file); });
        py::list out;
        for (const auto& r : records)
          out.append(py::make_tuple(r.feature, r.reason, r.action, r.area_before, r.area_after));
        return py::make_tuple(std::move(a), out);
      },
      py::arg("geometry"), py::arg("repair") = true, py::arg("allow_empty") = false, py::arg("file") = "",
      "Validity check and MakeValid repair; returns (geometry, [(feature, reason, action, area_before, "
      "area_after)]).");
  m.def(
      "is_valid",
      [](const GeometryArray& a) {
        auto out = nogil([&] {
          const auto v = is_valid(a);
          return std::vector<std::uint8_t>(v.begin(), v.end());
        });
        return to_numpy(std::move(out)).view("bool");
      },
      py::arg("geometry"), "GEOS validity of every geometry (bool array).");
  m.def(
      "dissolve",
      [](const GeometryArray& a, const carray<std::int64_t>& group, std::size_t n_groups, int threads) {
        auto g = view(group);
        return nogil([&] { return dissolve(a, g, n_groups, threads); });
      },
      py::arg("geometry"), py::arg("group"), py::arg("n_groups"), py::arg("threads") = 0,
      "Union of the geometries of each group 0..n_groups-1 (GEOS, parallel over groups).");
  m.def(
      "buffer",
      [](const GeometryArray& a, double distance, int quadrant_segments) {
        return nogil([&] { return buffer(a, distance, quadrant_segments); });
      },
      py::arg("geometry"), py::arg("distance"), py::arg("quadrant_segments") = 8);
  m.def(
      "unary_union", [](const GeometryArray& a) { return nogil([&] { return unary_union(a); }); },
      py::arg("geometry"));
}

}  // namespace jangkau::bind
