#include "bind.hpp"

namespace jangkau::bind {
void bind_access(py::module_& m) {}
}  // namespace jangkau::bind
