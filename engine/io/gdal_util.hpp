#pragma once
// Small GDAL helpers shared by the I/O files: registration, error capture, opening.

#include <gdal_priv.h>

#include <memory>
#include <string>
#include <vector>

namespace jangkau {

/// Registers GDAL drivers once (thread-safe).
void ensure_gdal_registered();

/// Captures GDAL/CPL errors raised on this thread while alive, instead of printing them.
class ErrorCollector {
 public:
  ErrorCollector();
  ~ErrorCollector();
  ErrorCollector(const ErrorCollector&) = delete;
  ErrorCollector& operator=(const ErrorCollector&) = delete;
  bool failed() const noexcept { return !m_message.empty(); }
  const std::string& message() const noexcept { return m_message; }
  void clear() { m_message.clear(); }

 private:
  static void CPL_STDCALL handler(CPLErr level, CPLErrorNum code, const char* msg);
  std::string m_message;
};

struct GdalDatasetCloser {
  void operator()(GDALDataset* ds) const noexcept { GDALClose(ds); }
};
using GdalDatasetPtr = std::unique_ptr<GDALDataset, GdalDatasetCloser>;

/// Opens a vector data source read-only. Throws DataFileError: "not found" when the path
/// does not exist, "cannot open" (with GDAL's reason) when GDAL cannot read it.
GdalDatasetPtr open_vector(const std::string& path, const std::vector<std::string>& open_options);

/// Opens a raster data source read-only (same error rules).
GdalDatasetPtr open_raster(const std::string& path);

/// Writes through `write(tmp_path)` to a temporary file beside `path` and renames it over
/// `path` only if `write` returns normally; otherwise the temporary file is removed and the
/// exception propagates, so a failed write never leaves a partial file.
template <class WriteFn>
void write_atomically(const std::string& path, WriteFn&& write);

std::string temporary_path_for(const std::string& path);
void commit_temporary(const std::string& tmp, const std::string& path);
void discard_temporary(const std::string& tmp) noexcept;

template <class WriteFn>
void write_atomically(const std::string& path, WriteFn&& write) {
  std::string tmp = temporary_path_for(path);
  try {
    write(tmp);
  } catch (...) {
    discard_temporary(tmp);
    throw;
  }
  commit_temporary(tmp, path);
}

}  // namespace jangkau
