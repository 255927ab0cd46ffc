#pragma once
// A windowed, streaming reader of OpenStreetMap files (.osm.pbf, .osm, .osm.bz2/.gz) built on
// libosmium: the roads of one region (and its facility candidates) out of an extract of a whole
// island, in two passes over the file with memory bounded by what the window holds.
//
//   pass 1  nodes: keep the id and location of every node inside the window (sorted arrays,
//           12 bytes per node, no database); ways: keep every way of a selected highway class
//           (and every facility way) with at least one node inside the window, whole.
//           The locations of nodes in a ring around the window (OsmWindowOptions::halo_deg)
//           are kept too, for the parts of kept ways outside the window.
//           Relations: multipolygons carrying facility tags, with their member way ids. The
//           node refs of every other way with a node inside the window are kept as well (they
//           may be members of such a relation); a coarse bitmap of the window's node ids
//           makes this test cheap for the many ways far from the window.
//   pass 2  nodes only, and only when a kept way has a node beyond the ring: their locations
//           (a merge walk over the sorted id list; the pass stops after the last needed id, or
//           at the first way of a sorted file). Only when a facility relation inside the window
//           has a member way with no node in the window does a way pass come before it, to
//           read that way's node list.
//
// Facility multipolygons: a relation is inside the window when any of its member ways has a
// node inside the window; it is then read whole (every member way, every node). Its rings are
// assembled from the member ways by joining them end to end at shared nodes (roles are not
// needed: the caller takes the area as the even-odd union of the rings, as libosmium's
// assembler does). A relation whose member way or node is not in the file, or whose ways do not
// close into rings, is not dropped silently: it is listed in OsmFeatures::broken_relation with the
// reason.
//
// libosmium decodes the file's blocks on a thread pool of its own (both cores); the calling
// thread filters. The tag rules are those of read_osm_roads (io/roads.hpp), so the road lines
// of a whole-file window equal GDAL's (tested). If you include this file you link jangkau::io
// (GDAL/PROJ for the CRS; libosmium is header-only and needs zlib, bzip2 and expat).

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/monitor.hpp"
#include "io/roads.hpp"

namespace jangkau {

/// A lon/lat box (WGS84 degrees, bounds inclusive). The default box is the whole world, i.e.
/// no window.
struct LonLatBox {
  double min_lon = -180.0;
  double min_lat = -90.0;
  double max_lon = 180.0;
  double max_lat = 90.0;
  /// True when (lon, lat) lies inside or on the box.
  bool contains(double lon, double lat) const noexcept {
    return lon >= min_lon && lon <= max_lon && lat >= min_lat && lat <= max_lat;
  }
};

/// Options of read_osm_window.
struct OsmWindowOptions {
  /// Classes, output CRS and access rule of the roads, as for read_osm_roads.
  /// DEFAULT: every routable class, the UTM zone of the window's centre (of the data's centre for
  /// the whole-world window), access tags honoured.
  OsmReadOptions roads;
  /// The window: ways with at least one node inside it are read whole. Callers grow the region's
  /// box by a margin first (Python: 10 km). DEFAULT: the whole world.
  LonLatBox window;
  /// Width of a ring around the window, degrees, whose node locations pass 1 keeps as well (but
  /// which selects no way): the nodes of ways crossing the window's edge are mostly there, and
  /// pass 2 runs only for those that are not. DEFAULT: 0.1° (about 11 km at the equator).
  double halo_deg = 0.1;
  /// Decoding threads (libosmium's pool). DEFAULT: 0 — one per hardware thread.
  int threads = 0;
  /// Collect facility candidates (see OsmFeatures). DEFAULT: true.
  bool facilities = true;
  /// Keys whose presence on a node, way or multipolygon relation inside the window makes it a
  /// facility candidate.
  /// DEFAULT: amenity, healthcare, education.
  std::vector<std::string> facility_keys{"amenity", "healthcare", "education"};
  /// Case-insensitive name prefixes that make a node or way a facility candidate even without
  /// one of facility_keys (Indonesian names of health posts and schools often stand alone on
  /// building=yes). DEFAULT: puskesmas, pustu, posyandu, polindes, poskesdes, rumah sakit, rsud,
  /// klinik, sd, sdn, smp, smpn, sma, sman, smk, smkn, mi, mts, ma, madrasah, sekolah.
  std::vector<std::string> facility_name_prefixes{"puskesmas",   "pustu",    "posyandu", "polindes", "poskesdes",
                                                  "rumah sakit", "rsud",     "klinik",   "sd ",      "sdn",
                                                  "smp",         "sma",      "smk",      "mi ",      "mts",
                                                  "ma ",         "madrasah", "sekolah"};
  /// Tags copied for each facility candidate (absent = empty string). DEFAULT: amenity,
  /// healthcare, education, building, name, operator:type, isced:level, school:type.
  std::vector<std::string> facility_tags{"amenity", "healthcare",    "education",   "building",
                                         "name",    "operator:type", "isced:level", "school:type"};
};

/// Facility candidates read from OSM: nodes inside the window, ways with a node inside it and
/// multipolygon relations with a member way that has a node inside it (see the top of this
/// file). Coordinates are WGS84 lon/lat; a node has one coordinate, a way its node list (closed
/// ways end where they start), a relation its assembled rings one after another (each closed).
struct OsmFeatures {
  std::vector<char> osm_type;            ///< 'n' node, 'w' way, 'r' relation
  std::vector<std::int64_t> osm_id;      ///< OSM id
  std::vector<double> lon, lat;          ///< coordinates, all features one after another
  std::vector<std::int64_t> offsets{0};  ///< feature i is [offsets[i], offsets[i + 1])
  /// Coordinate offsets where rings start, and the end: ring j is [ring_offsets[j],
  /// ring_offsets[j + 1]). Every feature starts a ring; a node or way is one ring, a relation one
  /// ring per assembled ring.
  std::vector<std::int64_t> ring_offsets{0};
  std::vector<std::string> tag_keys;                 ///< OsmWindowOptions::facility_tags
  std::vector<std::vector<std::string>> tag_values;  ///< tag_values[k][i]: tag k of feature i, "" if absent
  std::vector<std::int64_t> incomplete_way;          ///< facility ways left out: a node not in the file
  /// Facility multipolygon relations inside the window left out, and why ("member way 12 is not
  /// in the file", "node 34 of way 12 is not in the file", "the rings do not close at node 56",
  /// "a member way has fewer than two nodes", "a ring of fewer than three distinct nodes at node
  /// 78"); broken_reason[i] belongs to broken_relation[i].
  std::vector<std::int64_t> broken_relation;
  std::vector<std::string> broken_reason;  ///< see broken_relation

  std::size_t size() const noexcept { return osm_id.size(); }
};

/// What one read did (for logs and benchmarks).
struct OsmReadStats {
  std::int64_t nodes = 0;                ///< nodes in the file
  std::int64_t ways = 0;                 ///< ways in the file
  std::int64_t window_nodes = 0;         ///< nodes inside the window (held in memory)
  std::int64_t road_ways = 0;            ///< ways of a selected class with a node in the window
  std::int64_t halo_nodes = 0;           ///< nodes in the ring around the window (held in memory)
  std::int64_t outside_nodes = 0;        ///< nodes beyond the ring fetched in pass 2 (0: no pass 2)
  std::int64_t relations = 0;            ///< relations in the file (0 when facilities are not read)
  std::int64_t facility_relations = 0;   ///< facility multipolygons in the file
  std::int64_t window_relations = 0;     ///< of those, inside the window (assembled or broken)
  std::int64_t member_ways_fetched = 0;  ///< member ways without a node in the window (way pass)
  bool sorted = true;                    ///< the file was sorted (nodes by id, then ways)
  double pass1_s = 0, pass2_s = 0;       ///< wall time of the two passes, seconds
  double way_pass_s = 0;                 ///< wall time of the way pass (0: not run)
};

/// Result of read_osm_window: the road lines (ready for build_road_network), the facility
/// candidates and the statistics.
struct OsmWindowResult {
  RoadLines roads;
  OsmFeatures facilities;
  OsmReadStats stats;
};

/// Reads the roads of a window out of an OSM file (see the top of this file for the passes).
/// The tag rules are read_osm_roads's: `highway` in the selected classes, `maxspeed`, `oneway`,
/// `junction=roundabout/circular`, motorway one-way, access tags; a closed way tagged as an area
/// (area=yes, or — without area=no — a key of GDAL's closed_ways_are_polygons list such as
/// amenity or building, or highway=platform) is an area, not a road. Ways are kept whole and in
/// file order; a way with a node missing from the file is listed in RoadLines::skipped
/// (SkipReason::MissingNodes), never cut short. Throws DataFileError (missing or unreadable
/// file, a corrupt block), InvalidInputError (a class not in the table; an empty or inverted
/// window; no way of the selected classes in the window), CrsError (bad output CRS),
/// CancelledError via monitor.
OsmWindowResult read_osm_window(const std::string& path, const SpeedTable& speeds,
                                const OsmWindowOptions& options = {}, Monitor& monitor = null_monitor());

}  // namespace jangkau
