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
endif()

if(JANGKAU_BUILD_TESTS)
  # Debian 12 ships Catch2 2.13 (single header), Debian 13 ships Catch2 3.x.
  find_package(Catch2 CONFIG REQUIRED)
  jangkau_require_version(Catch2 "${Catch2_VERSION}" 2.13)
endif()
