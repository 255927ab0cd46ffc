// Road networks (io/roads, core/road_topology) and point snapping (core/snapping). Arrays of a RoadNetwork are
// exposed as read-only numpy views that keep the network alive (no copies).
#include "bind.hpp"
#include "core/error.hpp"
#include "core/snapping.hpp"
#include "io/roads.hpp"

namespace jangkau::bind {

namespace {

template <auto Member>
auto array_property() {
  return [](const py::object& self) {
    const auto& net = self.cast<const RoadNetwork&>();
    return readonly_view(net.*Member, self);
  };
}

// The codes of a vector of uint8 enums, as a new uint8 array.
template <class Enum>
py::array_t<std::uint8_t> enum_codes(const std::vector<Enum>& v) {
  std::vector<std::uint8_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<std::uint8_t>(v[i]);
  return to_numpy(std::move(out));
}

template <auto Member>
auto join_property() {
  return [](const py::object& self) {
    const auto& net = self.cast<const RoadNetwork&>();
    return readonly_view(net.joins.*Member, self);
  };
}

py::dict snap_dict(SnapResult&& r) {
  py::dict d;
  d["edge"] = to_numpy(std::move(r.edge));
  d["fraction"] = to_numpy(std::move(r.fraction));
  d["x"] = to_numpy(std::move(r.x));
  d["y"] = to_numpy(std::move(r.y));
  d["distance_m"] = to_numpy(std::move(r.distance_m));
  d["walk_time_s"] = to_numpy(std::move(r.walk_time_s));
  d["beyond_max"] = to_numpy(std::move(r.beyond_max));
  return d;
}

}  // namespace

void bind_roads(py::module_& m) {
  py::class_<SpeedTable>(m, "SpeedTable", "Speed per road class (see datasets/road_speeds.csv).")
      .def_property_readonly("names",
                             [](const SpeedTable& t) {
                               std::vector<std::string> out;
                               for (const auto& c : t.classes) out.push_back(c.name);
                               return out;
                             })
      .def_property_readonly("speed_kmh",
                             [](const SpeedTable& t) {
                               std::vector<double> out;
                               for (const auto& c : t.classes) out.push_back(c.speed_kmh);
                               return to_numpy(std::move(out));
                             })
      .def_property_readonly("routable",
                             [](const SpeedTable& t) {
                               std::vector<std::uint8_t> out;
                               for (const auto& c : t.classes) out.push_back(c.routable ? 1 : 0);
                               return to_numpy(std::move(out));
                             })
      .def("find_loose", &SpeedTable::find_loose, py::arg("value"))
      .def("__len__", [](const SpeedTable& t) { return t.classes.size(); });
  m.def("read_speed_table", &read_speed_table, py::arg("path"), "Reads a speed table CSV.");

  py::enum_<JoinKind>(m, "JoinKind")
      .value("EndpointToEndpoint", JoinKind::EndpointToEndpoint)
      .value("EndpointToLine", JoinKind::EndpointToLine)
      .value("Crossing", JoinKind::Crossing)
      .value("Touch", JoinKind::Touch)
      .value("Duplicate", JoinKind::Duplicate);

  py::class_<RoadNetwork>(m, "RoadNetwork", "A road network as a directed edge list (see io/roads.hpp).")
      .def_readonly("crs", &RoadNetwork::crs)
      .def_readonly("graph", &RoadNetwork::graph,
                    "The edge list as a CSR Graph built once with the network: weight sets time_s, length_m; "
                    "edge ids are edge indices.")
      .def_readonly("reversed_graph", &RoadNetwork::reversed_graph,
                    "The same edges reversed (costs to a node), built once with the network; same weight sets.")
      .def_readonly("class_names", &RoadNetwork::class_names)
      .def_readonly("edge_geometry", &RoadNetwork::edge_geometry)
      .def_property_readonly("node_count", &RoadNetwork::node_count)
      .def_property_readonly("edge_count", &RoadNetwork::edge_count)
      .def_property_readonly("node_x", array_property<&RoadNetwork::node_x>())
      .def_property_readonly("node_y", array_property<&RoadNetwork::node_y>())
      .def_property_readonly("node_lon", array_property<&RoadNetwork::node_lon>())
      .def_property_readonly("node_lat", array_property<&RoadNetwork::node_lat>())
      .def_property_readonly("edge_from", array_property<&RoadNetwork::edge_from>())
      .def_property_readonly("edge_to", array_property<&RoadNetwork::edge_to>())
      .def_property_readonly("edge_twin", array_property<&RoadNetwork::edge_twin>())
      .def_property_readonly("edge_piece", array_property<&RoadNetwork::edge_piece>())
      .def_property_readonly("edge_length_m", array_property<&RoadNetwork::edge_length_m>())
      .def_property_readonly("edge_speed_kmh", array_property<&RoadNetwork::edge_speed_kmh>())
      .def_property_readonly("edge_time_s", array_property<&RoadNetwork::edge_time_s>())
      .def_property_readonly("edge_class", array_property<&RoadNetwork::edge_class>())
      .def_property_readonly("edge_line", array_property<&RoadNetwork::edge_line>())
      .def_property_readonly("edge_feature", array_property<&RoadNetwork::edge_feature>())
      .def_property_readonly("edge_layer", array_property<&RoadNetwork::edge_layer>())
      .def_property_readonly("line_feature", array_property<&RoadNetwork::line_feature>())
      .def_property_readonly("line_layer", array_property<&RoadNetwork::line_layer>())
      .def_property_readonly("excluded_feature", array_property<&RoadNetwork::excluded_feature>(),
                             "OSM way ids left out because they are closed to motor vehicles.")
      .def_property_readonly("edge_geometry_x",
                             [](const py::object& self) {
                               return readonly_view(self.cast<const RoadNetwork&>().edge_geometry.x, self);
                             })
      .def_property_readonly("edge_geometry_y",
                             [](const py::object& self) {
                               return readonly_view(self.cast<const RoadNetwork&>().edge_geometry.y, self);
                             })
      .def_property_readonly("edge_geometry_offsets",
                             [](const py::object& self) {
                               // One part of one ring per edge, so ring offsets alone delimit each edge's
                               // coordinates.
                               return readonly_view(self.cast<const RoadNetwork&>().edge_geometry.ring_offsets, self);
                             })
      .def_property_readonly("join_kind",
                             [](const py::object& self) {
                               return enum_codes(self.cast<const RoadNetwork&>().joins.kind);
                             })
      .def_property_readonly("skipped_layer",
                             [](const py::object& self) {
                               return readonly_view(self.cast<const RoadNetwork&>().skipped.layer, self);
                             })
      .def_property_readonly("skipped_feature",
                             [](const py::object& self) {
                               return readonly_view(self.cast<const RoadNetwork&>().skipped.feature, self);
                             })
      .def_property_readonly(
          "skipped_reason",
          [](const py::object& self) { return enum_codes(self.cast<const RoadNetwork&>().skipped.reason); },
          "Why each skipped feature carries no road: 0 empty geometry, 1 zero length, "
          "2 collapsed by snapping.")
      .def_property_readonly("join_x", join_property<&JoinReport::x>())
      .def_property_readonly("join_y", join_property<&JoinReport::y>())
      .def_property_readonly("join_lon", array_property<&RoadNetwork::join_lon>())
      .def_property_readonly("join_lat", array_property<&RoadNetwork::join_lat>())
      .def_property_readonly("join_distance_m", join_property<&JoinReport::distance_m>())
      .def_property_readonly("join_line_a", join_property<&JoinReport::line_a>())
      .def_property_readonly("join_line_b", join_property<&JoinReport::line_b>())
      .def(
          "components",
          [](const RoadNetwork& net) {
            auto c = nogil([&] { return road_components(net); });
            return py::make_tuple(to_numpy(std::move(c.labels)), to_numpy(std::move(c.sizes)));
          },
          "(labels per node, sizes per component), components by decreasing size.")
      .def(
          "subnetwork",
          [](const RoadNetwork& net, const carray<std::uint8_t>& keep) {
            auto k = view(keep);
            py::gil_scoped_release release;
            return subnetwork(net, k);
          },
          py::arg("keep_node"))
      .def("largest_component", [](const RoadNetwork& net) {
        py::gil_scoped_release release;
        return largest_road_component(net);
      });

  m.def(
      "road_network_from_osm",
      [](const std::string& path, const SpeedTable& speeds, const std::vector<std::string>& classes,
         const std::string& crs, const py::object& progress, bool honour_access) {
        OsmReadOptions o;
        o.classes = classes;
        o.crs = crs;
        o.honour_access = honour_access;
        Monitor monitor = make_monitor(progress);
        py::gil_scoped_release release;
        const RoadLines lines = read_osm_roads(path, speeds, o);
        return build_road_network(lines, speeds, TopologyOptions{}, monitor);
      },
      py::arg("path"), py::arg("speeds"), py::arg("classes"), py::arg("crs"), py::arg("progress") = py::none(),
      py::arg("honour_access") = true);

  m.def(
      "road_network_from_layers",
      [](const std::vector<std::string>& paths, const std::vector<std::string>& layers,
         const std::vector<std::string>& road_classes, const std::vector<std::string>& class_columns,
         const std::vector<std::string>& assume_crs, const SpeedTable& speeds, const std::string& crs,
         double snap_tolerance_m, bool split_crossings, double node_tolerance_m,
         const std::vector<std::string>& grade_separated, bool drop_duplicates, const py::object& progress) {
        const std::size_t n = paths.size();
        if (layers.size() != n || road_classes.size() != n || class_columns.size() != n || assume_crs.size() != n)
          throw InvalidInputError("per-layer argument lists differ in length");
        std::vector<RoadLayerSource> sources;
        for (std::size_t i = 0; i < n; ++i)
          sources.push_back({paths[i], layers[i], road_classes[i], class_columns[i], assume_crs[i]});
        TopologyOptions o;
        o.snap_tolerance_m = snap_tolerance_m;
        o.split_crossings = split_crossings;
        o.node_tolerance_m = node_tolerance_m;
        o.drop_duplicates = drop_duplicates;
        for (const auto& name : grade_separated) {
          const auto code = speeds.find_loose(name);
          if (code < 0)
            throw InvalidInputError("grade-separated class '" + name + "' is not in the speed table",
                                    {"", -1, "grade_separated"});
          o.grade_separated_classes.push_back(code);
        }
        Monitor monitor = make_monitor(progress);
        py::gil_scoped_release release;
        const RoadLines lines = read_road_layers(sources, speeds, crs);
        return build_road_network(lines, speeds, o, monitor);
      },
      py::arg("paths"), py::arg("layers"), py::arg("road_classes"), py::arg("class_columns"), py::arg("assume_crs"),
      py::arg("speeds"), py::arg("crs"), py::arg("snap_tolerance_m"), py::arg("split_crossings"),
      py::arg("node_tolerance_m"), py::arg("grade_separated"), py::arg("drop_duplicates"),
      py::arg("progress") = py::none());

  py::class_<SegmentIndex>(
      m, "SegmentIndex",
      "Uniform-grid index over the segments of line geometries, for snapping (exact nearest segment).")
      .def(py::init([](const GeometryArray& lines, const carray<std::uint8_t>& include) {
             auto mask = view(include);
             py::gil_scoped_release release;
             return SegmentIndex(lines, mask);
           }),
           py::arg("lines"), py::arg("include"))
      .def_property_readonly("segment_count", &SegmentIndex::segment_count)
      .def(
          "snap",
          [](const SegmentIndex& index, const carray<double>& x, const carray<double>& y, double max_snap_m,
             double walk_speed_kmh, int threads, const py::object& progress) {
            SnapOptions o{max_snap_m, walk_speed_kmh, threads};
            auto xs = view(x);
            auto ys = view(y);
            Monitor monitor = make_monitor(progress);
            SnapResult r;
            {
              py::gil_scoped_release release;
              r = index.snap(xs, ys, o, monitor);
            }
            return snap_dict(std::move(r));
          },
          py::arg("x"), py::arg("y"), py::arg("max_snap_m"), py::arg("walk_speed_kmh"), py::arg("threads") = 0,
          py::arg("progress") = py::none());

  m.def(
      "snap_brute_force",
      [](const GeometryArray& lines, const carray<double>& x, const carray<double>& y, double max_snap_m,
         double walk_speed_kmh, const carray<std::uint8_t>& include) {
        SnapOptions o{max_snap_m, walk_speed_kmh, 1};
        auto xs = view(x);
        auto ys = view(y);
        auto mask = view(include);
        SnapResult r;
        {
          py::gil_scoped_release release;
          r = snap_brute_force(lines, xs, ys, o, mask);
        }
        return snap_dict(std::move(r));
      },
      py::arg("lines"), py::arg("x"), py::arg("y"), py::arg("max_snap_m"), py::arg("walk_speed_kmh"),
      py::arg("include"));

  py::enum_<SnapDirection>(m, "SnapDirection")
      .value("FromPoint", SnapDirection::FromPoint)
      .value("ToPoint", SnapDirection::ToPoint);

  m.def(
      "snap_entries",
      [](const carray<std::int64_t>& edge, const carray<double>& fraction, const carray<double>& walk_time_s,
         const carray<std::uint8_t>& beyond_max, const carray<std::int64_t>& edge_from,
         const carray<std::int64_t>& edge_to, const carray<double>& edge_time_s,
         const carray<std::int64_t>& edge_twin, SnapDirection direction) {
        // The columns are read in place (no SnapResult copy).
        auto out = snap_entries(view(edge), view(fraction), view(walk_time_s), view(beyond_max), view(edge_from),
                                view(edge_to), view(edge_time_s), view(edge_twin), direction);
        return py::make_tuple(to_numpy(std::move(out.point)), to_numpy(std::move(out.node)),
                              to_numpy(std::move(out.offset_s)));
      },
      py::arg("edge"), py::arg("fraction"), py::arg("walk_time_s"), py::arg("beyond_max"), py::arg("edge_from"),
      py::arg("edge_to"), py::arg("edge_time_s"), py::arg("edge_twin"), py::arg("direction"));
}

}  // namespace jangkau::bind
