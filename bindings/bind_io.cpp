#include "bind.hpp"

namespace jangkau::bind {
void bind_io(py::module_& m) {}
}  // namespace jangkau::bind
