// Binds io/osm_reader.hpp: the windowed OSM reader, and the array form of a RoadNetwork that
// the cache of cuts (jangkau.network.osm) writes and reads back.
#include <cmath>

#include "bind.hpp"
#include "core/error.hpp"
#include "io/osm_reader.hpp"

namespace jangkau::bind {
namespace {

template <class T>
py::array_t<T> copy_numpy(const std::vector<T>& v) {
  return to_numpy(std::vector<T>(v));
}

template <class Enum>
py::array_t<std::uint8_t> codes_of(const std::vector<Enum>& v) {
  std::vector<std::uint8_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<std::uint8_t>(v[i]);
  return to_numpy(std::move(out));
}

template <class Enum>
std::vector<Enum> enums_from(const py::dict& d, const char* key, std::uint8_t max_code) {
  auto codes = vector_from<std::uint8_t>(d[key].cast<py::array_t<std::uint8_t, py::array::forcecast>>());
  std::vector<Enum> out(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] > max_code) throw InvalidInputError(std::string("bad code in cached array '") + key + "'");
    out[i] = static_cast<Enum>(codes[i]);
  }
  return out;
}

template <class T>
std::vector<T> array_from(const py::dict& d, const char* key) {
  if (!d.contains(key)) throw InvalidInputError(std::string("cached road network lacks array '") + key + "'");
  return vector_from<T>(d[key].cast<py::array_t<T, py::array::forcecast>>());
}

// Every array of a RoadNetwork (the CSR graphs are rebuilt from the edge list on load).
py::dict network_arrays(const RoadNetwork& n) {
  py::dict d;
  d["node_x"] = copy_numpy(n.node_x);
  d["node_y"] = copy_numpy(n.node_y);
  d["node_lon"] = copy_numpy(n.node_lon);
  d["node_lat"] = copy_numpy(n.node_lat);
  d["edge_from"] = copy_numpy(n.edge_from);
  d["edge_to"] = copy_numpy(n.edge_to);
  d["edge_twin"] = copy_numpy(n.edge_twin);
  d["edge_piece"] = copy_numpy(n.edge_piece);
  d["edge_length_m"] = copy_numpy(n.edge_length_m);
  d["edge_speed_kmh"] = copy_numpy(n.edge_speed_kmh);
  d["edge_time_s"] = copy_numpy(n.edge_time_s);
  d["edge_class"] = copy_numpy(n.edge_class);
  d["edge_line"] = copy_numpy(n.edge_line);
  d["edge_feature"] = copy_numpy(n.edge_feature);
  d["edge_layer"] = copy_numpy(n.edge_layer);
  d["geometry_x"] = copy_numpy(n.edge_geometry.x);
  d["geometry_y"] = copy_numpy(n.edge_geometry.y);
  d["geometry_ring_offsets"] = copy_numpy(n.edge_geometry.ring_offsets);
  d["geometry_part_offsets"] = copy_numpy(n.edge_geometry.part_offsets);
  d["geometry_geom_offsets"] = copy_numpy(n.edge_geometry.geom_offsets);
  d["join_kind"] = codes_of(n.joins.kind);
  d["join_x"] = copy_numpy(n.joins.x);
  d["join_y"] = copy_numpy(n.joins.y);
  d["join_distance_m"] = copy_numpy(n.joins.distance_m);
  d["join_line_a"] = copy_numpy(n.joins.line_a);
  d["join_line_b"] = copy_numpy(n.joins.line_b);
  d["join_lon"] = copy_numpy(n.join_lon);
  d["join_lat"] = copy_numpy(n.join_lat);
  d["line_feature"] = copy_numpy(n.line_feature);
  d["line_layer"] = copy_numpy(n.line_layer);
  d["excluded_feature"] = copy_numpy(n.excluded_feature);
  d["skipped_layer"] = copy_numpy(n.skipped.layer);
  d["skipped_feature"] = copy_numpy(n.skipped.feature);
  d["skipped_reason"] = codes_of(n.skipped.reason);
  return d;
}

RoadNetwork network_from_arrays(const py::dict& d, const std::string& crs, const std::vector<std::string>& classes) {
  RoadNetwork n;
  n.crs = crs;
  n.class_names = classes;
  n.node_x = array_from<double>(d, "node_x");
  n.node_y = array_from<double>(d, "node_y");
  n.node_lon = array_from<double>(d, "node_lon");
  n.node_lat = array_from<double>(d, "node_lat");
  n.edge_from = array_from<std::int64_t>(d, "edge_from");
  n.edge_to = array_from<std::int64_t>(d, "edge_to");
  n.edge_twin = array_from<std::int64_t>(d, "edge_twin");
  n.edge_piece = array_from<std::int64_t>(d, "edge_piece");
  n.edge_length_m = array_from<double>(d, "edge_length_m");
  n.edge_speed_kmh = array_from<double>(d, "edge_speed_kmh");
  n.edge_time_s = array_from<double>(d, "edge_time_s");
  n.edge_class = array_from<std::int32_t>(d, "edge_class");
  n.edge_line = array_from<std::int64_t>(d, "edge_line");
  n.edge_feature = array_from<std::int64_t>(d, "edge_feature");
  n.edge_layer = array_from<std::int32_t>(d, "edge_layer");
  n.edge_geometry.kind = GeometryKind::Line;
  n.edge_geometry.x = array_from<double>(d, "geometry_x");
  n.edge_geometry.y = array_from<double>(d, "geometry_y");
  n.edge_geometry.ring_offsets = array_from<std::int64_t>(d, "geometry_ring_offsets");
  n.edge_geometry.part_offsets = array_from<std::int64_t>(d, "geometry_part_offsets");
  n.edge_geometry.geom_offsets = array_from<std::int64_t>(d, "geometry_geom_offsets");
  n.joins.kind = enums_from<JoinKind>(d, "join_kind", 4);
  n.joins.x = array_from<double>(d, "join_x");
  n.joins.y = array_from<double>(d, "join_y");
  n.joins.distance_m = array_from<double>(d, "join_distance_m");
  n.joins.line_a = array_from<std::int64_t>(d, "join_line_a");
  n.joins.line_b = array_from<std::int64_t>(d, "join_line_b");
  n.join_lon = array_from<double>(d, "join_lon");
  n.join_lat = array_from<double>(d, "join_lat");
  n.line_feature = array_from<std::int64_t>(d, "line_feature");
  n.line_layer = array_from<std::int32_t>(d, "line_layer");
  n.excluded_feature = array_from<std::int64_t>(d, "excluded_feature");
  n.skipped.layer = array_from<std::int32_t>(d, "skipped_layer");
  n.skipped.feature = array_from<std::int64_t>(d, "skipped_feature");
  n.skipped.reason = enums_from<SkipReason>(d, "skipped_reason", 3);
  const std::size_t m = n.edge_from.size();
  const std::size_t nodes = n.node_x.size();
  for (const auto* v : {&n.edge_to, &n.edge_twin, &n.edge_piece, &n.edge_line, &n.edge_feature})
    if (v->size() != m) throw InvalidInputError("cached road network: edge arrays differ in length");
  if (n.edge_length_m.size() != m || n.edge_speed_kmh.size() != m || n.edge_time_s.size() != m ||
      n.edge_class.size() != m || n.edge_layer.size() != m || n.edge_geometry.size() != m)
    throw InvalidInputError("cached road network: edge arrays differ in length");
  if (n.node_y.size() != nodes || n.node_lon.size() != nodes || n.node_lat.size() != nodes)
    throw InvalidInputError("cached road network: node arrays differ in length");
  for (std::size_t k = 0; k < m; ++k) {
    if (n.edge_from[k] < 0 || n.edge_to[k] < 0 || static_cast<std::size_t>(n.edge_from[k]) >= nodes ||
        static_cast<std::size_t>(n.edge_to[k]) >= nodes)
      throw InvalidInputError("cached road network: an edge end outside the nodes");
    if (n.edge_class[k] < 0 || static_cast<std::size_t>(n.edge_class[k]) >= classes.size())
      throw InvalidInputError("cached road network: a class code outside the class names");
  }
  n.build_graphs();
  return n;
}

py::dict features_dict(OsmFeatures&& f) {
  py::dict d;
  std::string types(f.osm_type.begin(), f.osm_type.end());
  d["osm_type"] = types;
  d["osm_id"] = to_numpy(std::move(f.osm_id));
  d["lon"] = to_numpy(std::move(f.lon));
  d["lat"] = to_numpy(std::move(f.lat));
  d["offsets"] = to_numpy(std::move(f.offsets));
  py::dict tags;
  for (std::size_t k = 0; k < f.tag_keys.size(); ++k) tags[py::str(f.tag_keys[k])] = py::cast(f.tag_values[k]);
  d["tags"] = tags;
  d["incomplete_way"] = to_numpy(std::move(f.incomplete_way));
  return d;
}

py::dict stats_dict(const OsmReadStats& s) {
  py::dict d;
  d["nodes"] = s.nodes;
  d["ways"] = s.ways;
  d["window_nodes"] = s.window_nodes;
  d["road_ways"] = s.road_ways;
  d["halo_nodes"] = s.halo_nodes;
  d["outside_nodes"] = s.outside_nodes;
  d["sorted"] = s.sorted;
  d["pass1_s"] = s.pass1_s;
  d["pass2_s"] = s.pass2_s;
  return d;
}

}  // namespace

void bind_osm_reader(py::module_& m) {
  m.def(
      "read_osm_window",
      [](const std::string& path, const SpeedTable& speeds, const std::vector<std::string>& classes,
         const std::string& crs, bool honour_access, py::object window, int threads, bool facilities,
         py::object progress, double halo_deg) {
        OsmWindowOptions o;
        o.roads.classes = classes;
        o.roads.crs = crs;
        o.roads.honour_access = honour_access;
        o.threads = threads;
        o.facilities = facilities;
        o.halo_deg = halo_deg;
        if (!window.is_none()) {
          const auto w = window.cast<std::vector<double>>();
          if (w.size() != 4) throw InvalidInputError("window must be (min_lon, min_lat, max_lon, max_lat)");
          o.window = {w[0], w[1], w[2], w[3]};
        }
        Monitor monitor = make_monitor(progress);
        OsmWindowResult r;
        RoadNetwork net;
        {
          py::gil_scoped_release release;
          r = read_osm_window(path, speeds, o, monitor);
          net = build_road_network(r.roads, speeds, TopologyOptions{}, monitor);
        }
        return py::make_tuple(std::move(net), features_dict(std::move(r.facilities)), stats_dict(r.stats));
      },
      py::arg("path"), py::arg("speeds"), py::arg("classes"), py::arg("crs"), py::arg("honour_access") = true,
      py::arg("window") = py::none(), py::arg("threads") = 0, py::arg("facilities") = true,
      py::arg("progress") = py::none(), py::arg("halo_deg") = 0.1,
      "Reads the roads (a RoadNetwork), the facility candidates (a dict of arrays) and the read statistics "
      "of a lon/lat window (min_lon, min_lat, max_lon, max_lat; None = the whole file) of an OSM file "
      "(io/osm_reader.hpp).");

  m.def("road_network_arrays", &network_arrays, py::arg("network"),
        "Every array of a RoadNetwork as a dict of new numpy arrays (for the cache of OSM cuts).");
  m.def(
      "road_network_from_arrays",
      [](const py::dict& arrays, const std::string& crs, const std::vector<std::string>& class_names) {
        return network_from_arrays(arrays, crs, class_names);
      },
      py::arg("arrays"), py::arg("crs"), py::arg("class_names"),
      "A RoadNetwork from road_network_arrays' dict (CSR graphs rebuilt); InvalidInputError when arrays are "
      "missing or inconsistent.");
}

}  // namespace jangkau::bind
