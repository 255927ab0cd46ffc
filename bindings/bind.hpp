#pragma once
// Shared helpers of the binding files: zero-copy array views in, owning arrays out,
// and a Monitor tied to Python's signal handling and an optional progress callback.

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <span>
#include <vector>

#include "core/monitor.hpp"

namespace jangkau::bind {
namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_geometry(py::module_& m);
void bind_io(py::module_& m);
void bind_coverage(py::module_& m);
void bind_network(py::module_& m);
void bind_access(py::module_& m);
void bind_siting(py::module_& m);
void bind_roads(py::module_& m);
void bind_travel(py::module_& m);

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

/// A read-only view of a contiguous 1-D numpy array (no copy when dtype and layout match).
template <class T>
std::span<const T> view(const carray<T>& a) {
  if (a.ndim() != 1) throw py::value_error("expected a 1-D array");
  return {a.data(), static_cast<std::size_t>(a.shape(0))};
}

/// Moves a vector into a numpy array that owns it (no element-wise copy).
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(heap->size())}, {static_cast<py::ssize_t>(sizeof(T))},
                        heap->data(), owner);
}

/// Moves a row-major vector into a 2-D numpy array of shape (rows, cols).
template <class T>
py::array_t<T> to_numpy_2d(std::vector<T>&& v, std::size_t rows, std::size_t cols) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)},
                        {static_cast<py::ssize_t>(cols * sizeof(T)), static_cast<py::ssize_t>(sizeof(T))},
                        heap->data(), owner);
}

/// A Monitor whose callback (run with the GIL re-acquired) checks for Ctrl-C and calls
/// `progress(stage, done, total)` when given. Use it while the GIL is released.
Monitor make_monitor(py::object progress);

}  // namespace jangkau::bind
