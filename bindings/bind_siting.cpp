#include "bind.hpp"

namespace jangkau::bind {
void bind_siting(py::module_& m) {}
}  // namespace jangkau::bind
