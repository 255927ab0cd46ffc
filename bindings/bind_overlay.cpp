// io/overlay.hpp: GEOS buffers, unions and zone overlays.
#include <type_traits>

#include "bind.hpp"
#include "io/overlay.hpp"

namespace jangkau::bind {

namespace {
// zones[k] op cover[0] for every zone, as a function (zones, cover, threads, progress) of the
// module: one binding for each zone-by-cover overlay of io/overlay.hpp.
template <class Result>
void def_zone_overlay(py::module_& m, const char* name,
                      Result (*op)(const GeometryArray&, const GeometryArray&, const OverlayOptions&, Monitor&),
                      const char* doc) {
  m.def(
      name,
      [op](const GeometryArray& zones, const GeometryArray& cover, int threads, const py::object& progress) {
        OverlayOptions o;
        o.threads = threads;
        Monitor mon = make_monitor(progress);
        Result r = nogil([&] { return op(zones, cover, o, mon); });
        if constexpr (std::is_same_v<Result, std::vector<double>>)
          return to_numpy(std::move(r));  // typed returns keep the stub's types
        else
          return r;
      },
      py::arg("zones"), py::arg("cover"), py::arg("threads") = 0, py::arg("progress") = py::none(), doc);
}
}  // namespace

void bind_overlay(py::module_& m) {
  m.def(
      "buffer_union",
      [](const GeometryArray& points, double radius, int quadrant_segments) {
        OverlayOptions o;
        o.quadrant_segments = quadrant_segments;
        return nogil([&] { return buffer_union(points, radius, o); });
      },
      py::arg("points"), py::arg("radius"), py::arg("quadrant_segments") = 8,
      "Union of discs of `radius` around the points (one polygon geometry).");

  def_zone_overlay(m, "intersect_zones", &intersect_zones, "zones[k] ∩ cover[0] for every zone.");
  def_zone_overlay(m, "difference_zones", &difference_zones, "zones[k] − cover[0] for every zone.");
  def_zone_overlay(m, "intersection_areas", &intersection_areas,
                   "Area of zones[k] ∩ cover[0] for every zone (coordinate units squared).");
}

}  // namespace jangkau::bind
