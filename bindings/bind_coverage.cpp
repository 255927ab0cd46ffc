#include "bind.hpp"

namespace jangkau::bind {
void bind_coverage(py::module_& m) {}
}  // namespace jangkau::bind
