#pragma once
// One exception hierarchy for the whole engine. The Python bindings map each
// class once (bindings/bind_errors.cpp) to a subclass of a built-in exception.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace jangkau {

/// Where a problem was found: the file (or layer), the 0-based feature index
/// (-1 when not about one feature) and the field/column name (empty when none).
struct ErrorContext {
  std::string file;
  std::int64_t feature = -1;
  std::string field;
};

/// Base of every error the engine throws on purpose.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorContext context = {});
  const ErrorContext& context() const noexcept { return m_context; }
  /// The message without the context suffix.
  const std::string& detail() const noexcept { return m_detail; }

 private:
  ErrorContext m_context;
  std::string m_detail;
};

/// Bad values in otherwise readable input (Python: ValueError).
class InvalidInputError : public Error {
  using Error::Error;
};
/// A column/field named by the user or a region file does not exist (ValueError).
class UnknownColumnError : public InvalidInputError {
  using InvalidInputError::InvalidInputError;
};
/// Missing, unknown or mismatched coordinate reference system (ValueError).
class CrsError : public InvalidInputError {
  using InvalidInputError::InvalidInputError;
};
/// Invalid or empty geometry that could not be (or may not be) repaired (ValueError).
class GeometryError : public InvalidInputError {
  using InvalidInputError::InvalidInputError;
};
/// A model has no feasible solution under the given constraints (ValueError).
class InfeasibleError : public InvalidInputError {
  using InvalidInputError::InvalidInputError;
};
/// A file cannot be found, opened, read or written (Python: OSError).
class DataFileError : public Error {
  using Error::Error;
};
/// The computation was cancelled by the caller (Python: KeyboardInterrupt).
class CancelledError : public Error {
  using Error::Error;
};

}  // namespace jangkau
