// The one place where C++ exceptions become Python exceptions. The Python classes live
// in jangkau/errors.py (subclasses of ValueError / OSError / KeyboardInterrupt); this file
// imports them and registers a translator, so no C++ exception reaches Python untyped.
#include "bind.hpp"
#include "core/error.hpp"

namespace jangkau::bind {

namespace {
py::object make_exception(const char* cls, const Error& e) {
  // Leaked on purpose: a static py::object would be destroyed after the interpreter.
  static py::object* errors = new py::object(py::module_::import("jangkau.errors"));
  py::object exc = errors->attr(cls)(py::str(e.what()));
  const auto& c = e.context();
  exc.attr("file") = c.file.empty() ? py::none() : py::object(py::str(c.file));
  exc.attr("feature") = c.feature < 0 ? py::none() : py::object(py::int_(c.feature));
  exc.attr("field") = c.field.empty() ? py::none() : py::object(py::str(c.field));
  return exc;
}
void raise(const char* cls, const Error& e) {
  py::object exc = make_exception(cls, e);
  PyErr_SetObject(py::type::handle_of(exc).ptr(), exc.ptr());
}
}  // namespace

void bind_errors(py::module_& m) {
  // NOLINTNEXTLINE(performance-unnecessary-value-param): pybind11 takes a void(*)(std::exception_ptr)
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const CancelledError& e) {
      raise("CancelledError", e);
    } catch (const DataFileError& e) {
      raise("DataFileError", e);
    } catch (const UnknownColumnError& e) {
      raise("UnknownColumnError", e);
    } catch (const CrsError& e) {
      raise("CrsError", e);
    } catch (const GeometryError& e) {
      raise("GeometryError", e);
    } catch (const InfeasibleError& e) {
      raise("InfeasibleError", e);
    } catch (const InvalidInputError& e) {
      raise("InvalidInputError", e);
    } catch (const Error& e) {
      raise("JangkauError", e);
    }
  });
}

}  // namespace jangkau::bind
