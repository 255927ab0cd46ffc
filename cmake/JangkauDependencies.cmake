# Third-party dependencies of jangkau, found through their CMake config packages.
# Minimum versions are those of Debian 12 (bookworm); Debian 13 (trixie) ships newer ones.
include_guard(GLOBAL)

find_package(Boost 1.74 CONFIG REQUIRED)        # header-only parts: Boost.Geometry R-trees
find_package(Threads REQUIRED)

if(JANGKAU_BUILD_IO)
  find_package(GDAL 3.6 CONFIG REQUIRED)         # GDAL::GDAL — all vector and raster I/O
  find_package(GEOS 3.11 CONFIG REQUIRED)        # GEOS::geos_c — reentrant C API only
  find_package(PROJ 9.1 CONFIG REQUIRED)         # PROJ::proj — all coordinate work
endif()

if(JANGKAU_BUILD_TESTS)
  # Debian 12 ships Catch2 2.13 (single header), Debian 13 ships Catch2 3.x.
  find_package(Catch2 2.13 CONFIG REQUIRED)
endif()
