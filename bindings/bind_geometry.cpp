#include "bind.hpp"

namespace jangkau::bind {
void bind_geometry(py::module_& m) {}
}  // namespace jangkau::bind
