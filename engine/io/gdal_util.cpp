#include "gdal_util.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "core/error.hpp"

namespace jangkau {

namespace {
thread_local ErrorCollector* t_collector = nullptr;
}

void ensure_gdal_registered() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    // GDAL's default handler prints "ERROR 1: …" on stderr. Errors jangkau reports are
    // collected by ErrorCollector (pushed around each GDAL call) and become typed errors; any
    // other message stays available through CPLGetLastErrorMsg() but is not printed.
    CPLSetErrorHandler(CPLQuietErrorHandler);
    // GeoPackage stores a "last change" timestamp; a fixed one keeps outputs byte-identical.
    if (!CPLGetConfigOption("OGR_CURRENT_DATE", nullptr))
      CPLSetConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
  });
}

ErrorCollector::ErrorCollector() {
  CPLPushErrorHandler(&ErrorCollector::handler);
  t_collector = this;
}
ErrorCollector::~ErrorCollector() {
  t_collector = nullptr;
  CPLPopErrorHandler();
}
void CPL_STDCALL ErrorCollector::handler(CPLErr level, CPLErrorNum, const char* msg) {
  if (level >= CE_Failure && t_collector) {
    if (!t_collector->m_message.empty()) t_collector->m_message += "; ";
    t_collector->m_message += msg;
  }
}

namespace {
GdalDatasetPtr open_any(const std::string& path, unsigned flags, const std::vector<std::string>& open_options) {
  ensure_gdal_registered();
  std::error_code ec;
  bool is_vsi = path.rfind("/vsi", 0) == 0;
  if (!is_vsi && !std::filesystem::exists(path, ec)) throw DataFileError("file not found", {path, -1, ""});
  std::vector<const char*> opts;
  opts.reserve(open_options.size() + 1);
  for (const auto& o : open_options) opts.push_back(o.c_str());
  opts.push_back(nullptr);
  ErrorCollector errors;
  GDALDataset* ds = static_cast<GDALDataset*>(
      GDALOpenEx(path.c_str(), flags | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, nullptr, opts.data(), nullptr));
  if (!ds) {
    std::string why = errors.failed() ? errors.message() : "format not recognised";
    throw DataFileError("cannot open: " + why, {path, -1, ""});
  }
  return GdalDatasetPtr(ds);
}
}  // namespace

GdalDatasetPtr open_vector(const std::string& path, const std::vector<std::string>& open_options) {
  return open_any(path, GDAL_OF_VECTOR, open_options);
}

GdalDatasetPtr open_raster(const std::string& path) { return open_any(path, GDAL_OF_RASTER, {}); }

std::string temporary_path_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path p(path);
  // Keep the extension: GDAL chooses behaviour (and GeoPackage validity) from it.
  std::string name(".");
  name.append(p.stem().string());
  name.append(".tmp");
  name.append(std::to_string(::getpid()));
  name.append("-");
  name.append(std::to_string(counter.fetch_add(1)));
  name.append(p.extension().string());
  return (p.parent_path() / name).string();
}

void commit_temporary(const std::string& tmp, const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    discard_temporary(tmp);
    throw DataFileError("cannot write: " + ec.message(), {path, -1, ""});
  }
}

void discard_temporary(const std::string& tmp) noexcept {
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
}

}  // namespace jangkau
