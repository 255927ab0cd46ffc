#pragma once
// The one set of array and GIL helpers of the binding files. Every array crossing the
// language boundary goes through one of these:
//
//   numpy in  -> view()          read-only std::span over the caller's buffer (no copy when the
//                                dtype is T and the array is C-contiguous; carray<T> converts
//                                other dtypes/layouts once, forcecast)
//             -> vector_from()   the one copy into engine-owned storage, for engine types that own
//                                std::vectors (GeometryArray, Raster); strided input is read in place
//   numpy out -> to_numpy()      moves a std::vector into a capsule-owned array (no element copy)
//             -> to_numpy_2d()   the same, row-major (rows, cols)
//             -> readonly_view() writeable=False view of memory owned by a C++ object; the Python
//                                object wrapping it is the array's base and stays alive with it
//   GIL       -> nogil()         runs a long engine call with the GIL released
//   progress  -> make_monitor()  Ctrl-C and the optional progress callback during nogil()
//   options   -> kw_repr()       "Name(field=value, ...)" for option classes bound with keywords

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <initializer_list>
#include <ranges>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/monitor.hpp"

namespace jangkau {
struct GridSpec;
}

namespace jangkau::bind {
namespace py = pybind11;

// One registration function per binding file; each file binds one engine header and is
// named after it (bind_<header>.cpp).
void bind_errors(py::module_& m);
void bind_monitor(py::module_& m);
void bind_geometry(py::module_& m);
void bind_spatial_index(py::module_& m);
void bind_cell_coverage(py::module_& m);
void bind_group_stats(py::module_& m);
void bind_nearest_allocation(py::module_& m);
void bind_coverage(py::module_& m);
void bind_overlay(py::module_& m);
void bind_raster(py::module_& m);
void bind_crs(py::module_& m);
void bind_vector(py::module_& m);
void bind_writer(py::module_& m);
void bind_geos_ops(py::module_& m);
void bind_network(py::module_& m);
void bind_access(py::module_& m);
void bind_network_access(py::module_& m);
void bind_siting(py::module_& m);
void bind_roads(py::module_& m);
void bind_osm_reader(py::module_& m);

/// A numpy argument of element type T, C-contiguous. pybind11 passes a matching array through
/// untouched and converts anything else (other dtype, strided) into a new array once.
template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

/// Read-only view of a 1-D array argument (no copy). Throws ValueError for another rank.
/// The span is valid while the argument is alive, i.e. for the whole bound call.
template <class T>
std::span<const T> view(const carray<T>& a) {
  if (a.ndim() != 1) throw py::value_error("expected a 1-D array");
  return {a.data(), static_cast<std::size_t>(a.shape(0))};
}

/// Copies a 1-D array argument of any layout into a new std::vector<T>, in one pass: the one
/// copy needed when the engine type owns its storage. Only other dtypes are converted first
/// (forcecast); strided arrays are read in place. Throws ValueError for another rank.
template <class T>
std::vector<T> vector_from(const py::array_t<T, py::array::forcecast>& a) {
  if (a.ndim() != 1) throw py::value_error("expected a 1-D array");
  const auto n = static_cast<std::size_t>(a.shape(0));
  std::vector<T> out(n);
  if (n == 0) return out;
  if (a.strides(0) == static_cast<py::ssize_t>(sizeof(T))) {
    std::memcpy(out.data(), a.data(), n * sizeof(T));
  } else {
    const auto r = a.template unchecked<1>();
    for (std::size_t i = 0; i < n; ++i) out[i] = r(static_cast<py::ssize_t>(i));
  }
  return out;
}

/// Moves a vector into a new writeable 1-D numpy array that owns it (no element-wise copy).
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(heap->size())}, {static_cast<py::ssize_t>(sizeof(T))}, heap->data(),
                        owner);
}

/// Moves a row-major vector (rows·cols elements) into a 2-D numpy array of shape (rows, cols).
template <class T>
py::array_t<T> to_numpy_2d(std::vector<T>&& v, std::size_t rows, std::size_t cols) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)},
                        {static_cast<py::ssize_t>(cols * sizeof(T)), static_cast<py::ssize_t>(sizeof(T))},
                        heap->data(), owner);
}

/// A read-only (writeable=False) 1-D numpy view of contiguous memory owned by a C++ object
/// (a std::vector member, a std::span into it, ...). `owner` is the Python object holding that
/// C++ object: it becomes the array's base, so the memory outlives every view. No copy.
/// The range must live inside `owner` (not a temporary).
template <std::ranges::contiguous_range R>
  requires std::ranges::sized_range<R>
py::array_t<std::ranges::range_value_t<R>> readonly_view(const R& r, py::handle owner) {
  using T = std::ranges::range_value_t<R>;
  py::array_t<T> a({static_cast<py::ssize_t>(std::ranges::size(r))}, {static_cast<py::ssize_t>(sizeof(T))},
                   std::ranges::data(r), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}
/// A view of a temporary vector would dangle: move it out with to_numpy() instead.
template <class T>
void readonly_view(std::vector<T>&&, py::handle) = delete;

/// Runs f() with the GIL released and returns its result. For every engine call that can take
/// long; f must not touch Python objects (use make_monitor() for progress and Ctrl-C).
/// While alive, SIGINT, SIGTERM and SIGHUP (those with a handler installed, e.g. Python's)
/// also set jangkau::g_interrupt_requested, so that a running engine call stops at its next
/// cancellation check (CancelledError) instead of when it returns; the previous handler still
/// runs (Python then raises as usual once the call is back). Nestable and thread-safe: the
/// first guard installs the chained handlers and clears the flag, the last restores them.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

template <class F>
decltype(auto) nogil(F&& f) {
  py::gil_scoped_release release;
  InterruptGuard signals;
  return std::forward<F>(f)();
}

/// A Monitor whose callback (run with the GIL re-acquired) checks for Ctrl-C and calls
/// `progress(stage, done, total)` when given. Use it while the GIL is released.
Monitor make_monitor(const py::object& progress);

/// The values of a raster on `grid` as one read-only span of rows·cols doubles: a 2-D array of
/// shape (rows, cols) or a 1-D array of any length (checked by the engine). Throws
/// InvalidInputError for a 2-D array of another shape.
std::span<const double> grid_view(const GridSpec& grid, const carray<double>& values);

/// "Name(field=repr(value), ...)", enums as Name.Value: the __repr__ of an option class bound
/// with keyword arguments, so that evaluating it rebuilds the same options.
std::string kw_repr(const char* name, std::initializer_list<std::pair<const char*, py::object>> fields);

}  // namespace jangkau::bind
