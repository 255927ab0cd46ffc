# Third-party dependencies of jangkau, found through their CMake config packages.
# Minimum versions are those of Debian 12 (bookworm); Debian 13 (trixie) ships newer ones.
#
# GDAL's and Catch2's version files reject a newer minor (GDAL: SameMinorVersion, so GDAL
# 3.10 does not satisfy a request for 3.6) or major version (Catch2: SameMajorVersion, so
# 3.x does not satisfy 2.13). Those two are found without a version and their minimum
# checked here instead; Boost, GEOS and PROJ accept any newer version of the same major.
include_guard(GLOBAL)

function(jangkau_require_version package found minimum)
  if(found VERSION_LESS minimum)
    message(FATAL_ERROR "jangkau needs ${package} >= ${minimum}; found ${found}")
  endif()
endfunction()

find_package(Boost 1.74 CONFIG REQUIRED)        # header-only parts: Boost.Geometry R-trees
find_package(Threads REQUIRED)

if(JANGKAU_BUILD_IO)
  find_package(GDAL CONFIG REQUIRED)             # GDAL::GDAL — all vector and raster I/O
  jangkau_require_version(GDAL "${GDAL_VERSION}" 3.6)
  find_package(GEOS 3.11 CONFIG REQUIRED)        # GEOS::geos_c — reentrant C API only
  find_package(PROJ 9.1 CONFIG REQUIRED)         # PROJ::proj — all coordinate work
  # libosmium (header-only; Debian libosmium2-dev) reads OSM files for the windowed reader
  # (io/osm_reader.cpp). It ships no CMake config: find its headers and protozero's, and the
  # libraries its PBF/XML readers link (zlib, bzip2, expat).
  find_path(OSMIUM_INCLUDE_DIR osmium/version.hpp REQUIRED)
  find_path(PROTOZERO_INCLUDE_DIR protozero/version.hpp REQUIRED)
  file(STRINGS "${OSMIUM_INCLUDE_DIR}/osmium/version.hpp" _osmium_version REGEX "define LIBOSMIUM_VERSION_STRING")
  string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" OSMIUM_VERSION "${_osmium_version}")
  jangkau_require_version(libosmium "${OSMIUM_VERSION}" 2.17)
  find_package(ZLIB REQUIRED)
  find_package(BZip2 REQUIRED)
  find_package(EXPAT REQUIRED)
  add_library(jangkau_osmium INTERFACE)
  add_library(jangkau::osmium ALIAS jangkau_osmium)
  target_include_directories(jangkau_osmium SYSTEM INTERFACE ${OSMIUM_INCLUDE_DIR} ${PROTOZERO_INCLUDE_DIR})
  target_link_libraries(jangkau_osmium INTERFACE ZLIB::ZLIB BZip2::BZip2 EXPAT::EXPAT Threads::Threads)
endif()

if(JANGKAU_BUILD_TESTS)
  # Debian 12 ships Catch2 2.13 (single header), Debian 13 ships Catch2 3.x.
  find_package(Catch2 CONFIG REQUIRED)
  jangkau_require_version(Catch2 "${Catch2_VERSION}" 2.13)
endif()
