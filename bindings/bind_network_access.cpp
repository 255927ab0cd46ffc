// core/network_access.hpp: matrix-free floating catchments over a road graph.
#include "bind.hpp"
#include "core/network_access.hpp"

namespace jangkau::bind {

void bind_network_access(py::module_& m) {
  // CatchmentSpec with its DecayOptions flattened into keywords (the Decay enum is bound in
  // bind_access.cpp); defaults are the engine's.
  py::class_<CatchmentSpec>(
      m, "CatchmentSpec", "One floating-catchment index: a decay (see Decay) and whether it is the Hansen potential.")
      .def(py::init([](Decay decay, double max_cost, std::vector<double> zone_breaks,
                       std::vector<double> zone_weights, double beta, double min_cost, bool hansen) {
             CatchmentSpec c;
             c.decay.decay = decay;
             c.decay.max_cost = max_cost;
             c.decay.zone_breaks = std::move(zone_breaks);
             c.decay.zone_weights = std::move(zone_weights);
             c.decay.beta = beta;
             c.decay.min_cost = min_cost;
             c.hansen = hansen;
             return c;
           }),
           py::kw_only(), py::arg("decay") = DecayOptions{}.decay, py::arg("max_cost") = DecayOptions{}.max_cost,
           py::arg("zone_breaks") = DecayOptions{}.zone_breaks, py::arg("zone_weights") = DecayOptions{}.zone_weights,
           py::arg("beta") = DecayOptions{}.beta, py::arg("min_cost") = DecayOptions{}.min_cost,
           py::arg("hansen") = false)
      .def_property_readonly("decay", [](const CatchmentSpec& c) { return c.decay.decay; })
      .def_property_readonly("max_cost", [](const CatchmentSpec& c) { return c.decay.max_cost; })
      .def_property_readonly("zone_breaks", [](const CatchmentSpec& c) { return c.decay.zone_breaks; })
      .def_property_readonly("zone_weights", [](const CatchmentSpec& c) { return c.decay.zone_weights; })
      .def_property_readonly("beta", [](const CatchmentSpec& c) { return c.decay.beta; })
      .def_property_readonly("min_cost", [](const CatchmentSpec& c) { return c.decay.min_cost; })
      .def_readonly("hansen", &CatchmentSpec::hansen)
      .def("__repr__", [](const CatchmentSpec& c) {
        return kw_repr("CatchmentSpec", {{"decay", py::cast(c.decay.decay)},
                                         {"max_cost", py::cast(c.decay.max_cost)},
                                         {"zone_breaks", py::cast(c.decay.zone_breaks)},
                                         {"zone_weights", py::cast(c.decay.zone_weights)},
                                         {"beta", py::cast(c.decay.beta)},
                                         {"min_cost", py::cast(c.decay.min_cost)},
                                         {"hansen", py::cast(c.hansen)}});
      });

  m.def(
      "network_access_many",
      [](const Graph& g, const carray<NodeIndex>& source_node, const carray<double>& source_offset,
         const carray<NodeIndex>& source_group, const carray<NodeIndex>& target_node,
         const carray<double>& target_offset, const carray<NodeIndex>& target_group,
         const carray<NodeIndex>& extra_target, const carray<NodeIndex>& extra_source,
         const carray<double>& extra_cost, const carray<double>& population, const carray<double>& capacity,
         std::size_t weight_set, double cutoff, double cost_divisor, const std::vector<CatchmentSpec>& specs,
         int threads, const py::object& progress) {
        const Seeds sources{view(source_node), view(source_offset), view(source_group)};
        const Seeds targets{view(target_node), view(target_offset), view(target_group)};
        const ExtraPairs extra{view(extra_target), view(extra_source), view(extra_cost)};
        auto p = view(population), c = view(capacity);
        NetworkAccessOptions o;
        o.weight_set = weight_set;
        o.cutoff = cutoff;
        o.cost_divisor = cost_divisor;
        o.threads = threads;
        Monitor monitor = make_monitor(progress);
        auto r = nogil(
            [&] { return network_floating_catchments(g, sources, targets, extra, p, c, o, specs, monitor); });
        py::list out;
        for (auto& x : r)
          out.append(py::make_tuple(to_numpy(std::move(x.access)), to_numpy(std::move(x.ratio)),
                                    to_numpy(std::move(x.catchment_demand))));
        return out;
      },
      py::arg("graph"), py::arg("source_node"), py::arg("source_offset"), py::arg("source_group"),
      py::arg("target_node"), py::arg("target_offset"), py::arg("target_group"), py::arg("extra_target"),
      py::arg("extra_source"), py::arg("extra_cost"), py::arg("population"), py::arg("capacity"),
      py::arg("weight_set"), py::arg("cutoff"), py::arg("cost_divisor"), py::arg("specs"), py::arg("threads") = 0,
      py::arg("progress") = py::none(),
      "[(access, ratio, catchment_demand), ...]: several floating catchments (list of CatchmentSpec) from one "
      "set of searches.");
}

}  // namespace jangkau::bind
