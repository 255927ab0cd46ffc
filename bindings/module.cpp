// Entry point of jangkau._core. Each bind_<name>.cpp binds the engine header <name>.hpp
// (core/ or io/) and nothing else, so the binding of any engine function is found by the
// header that declares it; bind.hpp/bind.cpp hold the shared array, GIL and monitor helpers.
#include <pybind11/pybind11.h>

#include "bind.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "jangkau engine (C++). Use the public API in the `jangkau` package.";
  m.attr("__version__") = JANGKAU_VERSION;
  using namespace jangkau::bind;
  bind_errors(m);  // first: the exception translator
  bind_monitor(m);
  // core/
  bind_geometry(m);
  bind_spatial_index(m);
  bind_cell_coverage(m);
  bind_group_stats(m);
  bind_nearest_allocation(m);
  bind_coverage(m);
  bind_network(m);
  bind_access(m);  // before network_access: CatchmentSpec takes a Decay
  bind_network_access(m);
  bind_siting(m);
  // io/ (bind_io.cpp split by header: it bound four io headers)
  bind_raster(m);
  bind_overlay(m);
  bind_crs(m);
  bind_vector(m);
  bind_writer(m);
  bind_geos_ops(m);
  bind_roads(m);
  bind_osm_reader(m);  // after roads: returns RoadNetwork
}
