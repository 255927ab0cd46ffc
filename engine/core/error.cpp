#include "error.hpp"

namespace jangkau {
namespace {
std::string with_context(const std::string& message, const ErrorContext& c) {
  std::string out = message;
  std::string where;
  if (!c.file.empty()) where += "file '" + c.file + "'";
  if (c.feature >= 0) where += (where.empty() ? "" : ", ") + std::string("feature ") + std::to_string(c.feature);
  if (!c.field.empty()) where += (where.empty() ? "" : ", ") + std::string("field '") + c.field + "'";
  if (!where.empty()) out += " [" + where + "]";
  return out;
}
}  // namespace

Error::Error(const std::string& message, ErrorContext context)
    : std::runtime_error(with_context(message, context)), m_context(std::move(context)), m_detail(message) {}

}  // namespace jangkau
