// Entry point of jangkau._core. Each bind_*.cpp registers one concept.
#include <pybind11/pybind11.h>

#include "bind.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "jangkau engine (C++). Use the public API in the `jangkau` package.";
  m.attr("__version__") = JANGKAU_VERSION;
  jangkau::bind::bind_errors(m);
  jangkau::bind::bind_geometry(m);
  jangkau::bind::bind_io(m);
  jangkau::bind::bind_coverage(m);
  jangkau::bind::bind_network(m);
  jangkau::bind::bind_access(m);
  jangkau::bind::bind_siting(m);
  jangkau::bind::bind_roads(m);
  jangkau::bind::bind_travel(m);
}
