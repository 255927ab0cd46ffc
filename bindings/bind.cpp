// The out-of-line helpers declared in bind.hpp.
#include "bind.hpp"

#include "core/cell_coverage.hpp"
#include "core/error.hpp"

namespace jangkau::bind {

Monitor make_monitor(const py::object& progress) {
  return Monitor([progress](std::string_view stage, std::size_t done, std::size_t total) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();
      return false;
    }
    if (!progress.is_none()) progress(py::str(stage.data(), stage.size()), done, total);
    return true;
  });
}

std::span<const double> grid_view(const GridSpec& grid, const carray<double>& values) {
  if (values.ndim() == 2) {
    if (static_cast<std::size_t>(values.shape(0)) != grid.rows ||
        static_cast<std::size_t>(values.shape(1)) != grid.cols)
      throw InvalidInputError("values have shape (" + std::to_string(values.shape(0)) + ", " +
                              std::to_string(values.shape(1)) + "), the grid (" + std::to_string(grid.rows) + ", " +
                              std::to_string(grid.cols) + ")");
    return {values.data(), grid.cell_count()};
  }
  return view(values);
}

std::string kw_repr(const char* name, std::initializer_list<std::pair<const char*, py::object>> fields) {
  std::string out = name;
  out += '(';
  bool first = true;
  for (const auto& [field, value] : fields) {
    if (!first) out += ", ";
    first = false;
    out += field;
    out += '=';
    // Bound enums print as Name.Value (their repr, <Name.Value: n>, does not evaluate).
    const bool is_enum = py::hasattr(py::type::of(value), "__members__");
    out += (is_enum ? py::str(value) : py::repr(value)).cast<std::string>();
  }
  out += ')';
  return out;
}

}  // namespace jangkau::bind
