// Road graphs and shortest-path searches (engine/core/network.hpp). Arrays come in as
// zero-copy views and leave as numpy arrays that own the engine's vectors.
#include <optional>

#include "bind.hpp"
#include "core/error.hpp"
#include "core/network.hpp"

namespace jangkau::bind {

namespace {

template <class T>
std::span<const T> optional_view(const std::optional<carray<T>>& a) {
  return a ? view(*a) : std::span<const T>();
}

py::tuple subgraph_tuple(Subgraph&& sub) {
  return py::make_tuple(py::cast(std::move(sub.graph)), to_numpy(std::move(sub.parent_node)));
}

SearchOptions search_options(std::size_t weight_set, double cutoff, int threads) {
  SearchOptions o;
  o.weight_set = weight_set;
  o.cutoff = cutoff;
  o.threads = threads;
  return o;
}

}  // namespace

void bind_network(py::module_& m) {
  py::class_<Graph>(m, "Graph", "Directed graph in CSR form with one or more weight sets (engine side).")
      .def_static(
          "from_edges",
          [](std::size_t node_count, const carray<NodeIndex>& from, const carray<NodeIndex>& to,
             const std::vector<carray<double>>& weights) {
            std::vector<std::span<const double>> w;
            w.reserve(weights.size());
            for (const auto& a : weights) w.push_back(view(a));
            auto f = view(from), t = view(to);
            py::gil_scoped_release release;
            return Graph::from_edges(node_count, f, t, w);
          },
          py::arg("node_count"), py::arg("from_node"), py::arg("to_node"), py::arg("weights"),
          "Builds the graph from a directed edge list; raises InvalidInputError naming the bad edge.")
      .def_property_readonly("node_count", &Graph::node_count)
      .def_property_readonly("edge_count", &Graph::edge_count)
      .def_property_readonly("weight_count", &Graph::weight_count)
      .def_property_readonly("offsets",
                             [](const py::object& self) {
                               return readonly_view(self.cast<const Graph&>().offsets(), self);
                             })
      .def_property_readonly("targets",
                             [](const py::object& self) {
                               return readonly_view(self.cast<const Graph&>().targets(), self);
                             })
      .def_property_readonly("edge_ids",
                             [](const py::object& self) {
                               return readonly_view(self.cast<const Graph&>().edge_ids(), self);
                             })
      .def(
          "weights",
          [](const py::object& self, std::size_t w) {
            return readonly_view(self.cast<const Graph&>().weights(w), self);
          },
          py::arg("weight_set"))
      .def("reversed", [](const Graph& g) {
        py::gil_scoped_release release;
        return g.reversed();
      });

  m.def(
      "weak_components",
      [](const Graph& g) {
        std::vector<std::int64_t> out;
        {
          py::gil_scoped_release release;
          out = weak_components(g);
        }
        return to_numpy(std::move(out));
      },
      py::arg("graph"), "Weakly connected component per node, 0 = largest.");
  m.def(
      "largest_component",
      [](const Graph& g) {
        Subgraph sub;
        {
          py::gil_scoped_release release;
          sub = largest_component(g);
        }
        return subgraph_tuple(std::move(sub));
      },
      py::arg("graph"), "(subgraph, parent_node) of the largest weakly connected component.");
  m.def(
      "induced_subgraph",
      [](const Graph& g, const carray<std::uint8_t>& keep) {
        auto k = view(keep);
        Subgraph sub;
        {
          py::gil_scoped_release release;
          sub = induced_subgraph(g, k);
        }
        return subgraph_tuple(std::move(sub));
      },
      py::arg("graph"), py::arg("keep"), "(subgraph, parent_node) induced by keep != 0.");

  m.def(
      "shortest_path_costs",
      [](const Graph& g, const carray<NodeIndex>& sources, std::size_t weight_set, double cutoff, int threads,
         const py::object& progress) {
        auto s = view(sources);
        const auto o = search_options(weight_set, cutoff, threads);
        std::vector<double> out;
        {
          Monitor monitor = make_monitor(progress);
          py::gil_scoped_release release;
          out = shortest_path_costs(g, s, o, monitor);
        }
        return to_numpy_2d(std::move(out), s.size(), g.node_count());
      },
      py::arg("graph"), py::arg("sources"), py::arg("weight_set") = 0,
      py::arg("cutoff") = std::numeric_limits<double>::infinity(), py::arg("threads") = 0,
      py::arg("progress") = py::none(), "Dense (len(sources), node_count) costs, +inf where unreached.");

  m.def(
      "nearest_facility",
      [](const Graph& g, const carray<NodeIndex>& node, const std::optional<carray<double>>& offset,
         const std::optional<carray<NodeIndex>>& group, std::size_t weight_set, double cutoff) {
        const Seeds seeds{view(node), optional_view(offset), optional_view(group)};
        const auto o = search_options(weight_set, cutoff, 1);
        NearestResult r;
        {
          py::gil_scoped_release release;
          r = nearest_facility(g, seeds, o);
        }
        return py::make_tuple(to_numpy(std::move(r.cost)), to_numpy(std::move(r.facility)));
      },
      py::arg("graph"), py::arg("node"), py::arg("offset") = py::none(), py::arg("group") = py::none(),
      py::arg("weight_set") = 0, py::arg("cutoff") = std::numeric_limits<double>::infinity(),
      "(cost, facility) per node from one multi-source search; facility -1 where unreached.");

  m.def(
      "cost_matrix",
      [](const Graph& g, const carray<NodeIndex>& source_node, const std::optional<carray<double>>& source_offset,
         const std::optional<carray<NodeIndex>>& source_group, const std::optional<carray<NodeIndex>>& target_node,
         const std::optional<carray<double>>& target_offset, const std::optional<carray<NodeIndex>>& target_group,
         std::size_t weight_set, double cutoff, int threads, const py::object& progress) {
        const Seeds sources{view(source_node), optional_view(source_offset), optional_view(source_group)};
        const Seeds targets{optional_view(target_node), optional_view(target_offset), optional_view(target_group)};
        if (!target_node && (target_offset || target_group))
          throw InvalidInputError("target offsets or groups given without target nodes", {"", -1, "targets"});
        const auto o = search_options(weight_set, cutoff, threads);
        CostMatrix r;
        {
          Monitor monitor = make_monitor(progress);
          py::gil_scoped_release release;
          r = cost_matrix(g, sources, targets, o, monitor);
        }
        return py::make_tuple(to_numpy(std::move(r.source)), to_numpy(std::move(r.target)),
                              to_numpy(std::move(r.cost)));
      },
      py::arg("graph"), py::arg("source_node"), py::arg("source_offset") = py::none(),
      py::arg("source_group") = py::none(), py::arg("target_node") = py::none(),
      py::arg("target_offset") = py::none(), py::arg("target_group") = py::none(), py::arg("weight_set") = 0,
      py::arg("cutoff") = std::numeric_limits<double>::infinity(), py::arg("threads") = 0,
      py::arg("progress") = py::none(), "(source, target, cost) COO arrays sorted by source then target.");
}

}  // namespace jangkau::bind
