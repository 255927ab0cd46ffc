// io/overlay.hpp: GEOS buffers, unions and zone overlays.
#include "bind.hpp"
#include "io/overlay.hpp"

namespace jangkau::bind {

namespace {
OverlayOptions overlay_options(int threads) {
  OverlayOptions o;
  o.threads = threads;
  return o;
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

  m.def(
      "intersect_zones",
      [](const GeometryArray& zones, const GeometryArray& cover, int threads, py::object progress) {
        Monitor mon = make_monitor(progress);
        return nogil([&] { return intersect_zones(zones, cover, overlay_options(threads), mon); });
      },
      py::arg("zones"), py::arg("cover"), py::arg("threads") = 0, py::arg("progress") = py::none(),
      "zones[k] ∩ cover[0] for every zone.");

  m.def(
      "difference_zones",
      [](const GeometryArray& zones, const GeometryArray& cover, int threads, py::object progress) {
        Monitor mon = make_monitor(progress);
        return nogil([&] { return difference_zones(zones, cover, overlay_options(threads), mon); });
      },
      py::arg("zones"), py::arg("cover"), py::arg("threads") = 0, py::arg("progress") = py::none(),
      "zones[k] − cover[0] for every zone.");

  m.def(
      "intersection_areas",
      [](const GeometryArray& zones, const GeometryArray& cover, int threads, py::object progress) {
        Monitor mon = make_monitor(progress);
        return to_numpy(nogil([&] { return intersection_areas(zones, cover, overlay_options(threads), mon); }));
      },
      py::arg("zones"), py::arg("cover"), py::arg("threads") = 0, py::arg("progress") = py::none(),
      "Area of zones[k] ∩ cover[0] for every zone (coordinate units squared).");
}

}  // namespace jangkau::bind
