// Binds io/osm_reader.hpp: the windowed OSM reader, and the array form of a RoadNetwork that
// the cache of cuts (jangkau.network.osm) writes and reads back.
#include <algorithm>
#include <cmath>
#include <type_traits>

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

// Calls f(key, vector) for every array of a RoadNetwork, in one fixed order: the one list that
// both directions of the cache format use (the CSR graphs are rebuilt from the edge list).
template <class Net, class F>
void for_each_array(Net& n, F&& f) {
  f("node_x", n.node_x), f("node_y", n.node_y), f("node_lon", n.node_lon), f("node_lat", n.node_lat);
  f("edge_from", n.edge_from), f("edge_to", n.edge_to), f("edge_twin", n.edge_twin), f("edge_piece", n.edge_piece);
  f("edge_length_m", n.edge_length_m), f("edge_speed_kmh", n.edge_speed_kmh), f("edge_time_s", n.edge_time_s);
  f("edge_class", n.edge_class), f("edge_line", n.edge_line), f("edge_feature", n.edge_feature);
  f("edge_layer", n.edge_layer);
  f("geometry_x", n.edge_geometry.x), f("geometry_y", n.edge_geometry.y);
  f("geometry_ring_offsets", n.edge_geometry.ring_offsets), f("geometry_part_offsets", n.edge_geometry.part_offsets);
  f("geometry_geom_offsets", n.edge_geometry.geom_offsets);
  f("join_x", n.joins.x), f("join_y", n.joins.y), f("join_distance_m", n.joins.distance_m);
  f("join_line_a", n.joins.line_a), f("join_line_b", n.joins.line_b), f("join_lon", n.join_lon);
  f("join_lat", n.join_lat), f("line_feature", n.line_feature), f("line_layer", n.line_layer);
  f("excluded_feature", n.excluded_feature), f("skipped_layer", n.skipped.layer);
  f("skipped_feature", n.skipped.feature);
}

py::dict network_arrays(const RoadNetwork& n) {
  py::dict d;
  for_each_array(n, [&](const char* key, const auto& v) { d[key] = copy_numpy(v); });
  d["join_kind"] = codes_of(n.joins.kind);
  d["skipped_reason"] = codes_of(n.skipped.reason);
  return d;
}

RoadNetwork network_from_arrays(const py::dict& d, const std::string& crs, const std::vector<std::string>& classes) {
  RoadNetwork n;
  n.crs = crs;
  n.class_names = classes;
  for_each_array(n, [&](const char* key, auto& v) {
    v = array_from<typename std::remove_reference_t<decltype(v)>::value_type>(d, key);
  });
  n.edge_geometry.kind = GeometryKind::Line;
  n.joins.kind = enums_from<JoinKind>(d, "join_kind", 4);
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
  const GeometryArray& g = n.edge_geometry;
  auto monotone = [](const std::vector<std::int64_t>& o, std::size_t last) {
    return !o.empty() && o.front() == 0 && static_cast<std::size_t>(o.back()) == last &&
           std::is_sorted(o.begin(), o.end());
  };
  if (g.x.size() != g.y.size() || !monotone(g.ring_offsets, g.x.size()) ||
      !monotone(g.part_offsets, g.ring_offsets.size() - 1) || !monotone(g.geom_offsets, g.part_offsets.size() - 1))
    throw InvalidInputError("cached road network: inconsistent edge geometry offsets");
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
  d["ring_offsets"] = to_numpy(std::move(f.ring_offsets));
  py::dict tags;
  for (std::size_t k = 0; k < f.tag_keys.size(); ++k) tags[py::str(f.tag_keys[k])] = py::cast(f.tag_values[k]);
  d["tags"] = tags;
  d["incomplete_way"] = to_numpy(std::move(f.incomplete_way));
  d["broken_relation"] = to_numpy(std::move(f.broken_relation));
  d["broken_reason"] = py::cast(f.broken_reason);
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
  d["relations"] = s.relations;
  d["facility_relations"] = s.facility_relations;
  d["window_relations"] = s.window_relations;
  d["member_ways_fetched"] = s.member_ways_fetched;
  d["way_pass_s"] = s.way_pass_s;
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
         const std::string& crs, bool honour_access, const py::object& window, int threads, bool facilities,
         const py::object& progress, double halo_deg) {
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
