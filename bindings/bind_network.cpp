#include "bind.hpp"

namespace jangkau::bind {
void bind_network(py::module_& m) {}
}  // namespace jangkau::bind
