// jangkau._core StopFlag: core/monitor.hpp's request that a computation running in another
// thread wind down with its best answer (the race of jangkau.selection.siting_race).
#include <memory>

#include "bind.hpp"
#include "core/monitor.hpp"

namespace jangkau::bind {

void bind_monitor(py::module_& m) {
  py::class_<StopFlag, std::shared_ptr<StopFlag>>(
      m, "StopFlag",
      "A flag one thread sets so that the engine calls given it in other threads (stop=...) wind down and "
      "return their best answer so far, as at their deadline. Starts unset; set() cannot be undone.")
      .def(py::init<>())
      .def("set", &StopFlag::set, "Ask every call tied to this flag to wind down.")
      .def("is_set", &StopFlag::is_set, "Whether set() was called.");
}

}  // namespace jangkau::bind
