// Matrix-free floating catchment over a road graph (engine/core/network_access.hpp).
#include "bind.hpp"
#include "core/error.hpp"
#include "core/network_access.hpp"

namespace jangkau::bind {

void bind_travel(py::module_& m) {
  m.def(
      "network_access_many",
      [](const Graph& g, const carray<NodeIndex>& source_node, const carray<double>& source_offset,
         const carray<NodeIndex>& source_group, const carray<NodeIndex>& target_node,
         const carray<double>& target_offset, const carray<NodeIndex>& target_group,
         const carray<NodeIndex>& extra_target, const carray<NodeIndex>& extra_source,
         const carray<double>& extra_cost, const carray<double>& population, const carray<double>& capacity,
         std::size_t weight_set, double cutoff, double cost_divisor, const py::list& specs, int threads,
         py::object progress) {
        const Seeds sources{view(source_node), view(source_offset), view(source_group)};
        const Seeds targets{view(target_node), view(target_offset), view(target_group)};
        const ExtraPairs extra{view(extra_target), view(extra_source), view(extra_cost)};
        NetworkAccessOptions o;
        o.weight_set = weight_set;
        o.cutoff = cutoff;
        o.cost_divisor = cost_divisor;
        o.threads = threads;
        std::vector<CatchmentSpec> cs;
        for (const auto& item : specs) {
          // (decay, max_cost, zone_breaks, zone_weights, beta, min_cost, hansen)
          const auto t = item.cast<py::tuple>();
          if (t.size() != 7) throw InvalidInputError("a catchment spec has 7 fields", ErrorContext{{}, -1, "specs"});
          CatchmentSpec c;
          c.decay.decay = t[0].cast<Decay>();
          c.decay.max_cost = t[1].cast<double>();
          c.decay.zone_breaks = t[2].cast<std::vector<double>>();
          c.decay.zone_weights = t[3].cast<std::vector<double>>();
          c.decay.beta = t[4].cast<double>();
          c.decay.min_cost = t[5].cast<double>();
          c.hansen = t[6].cast<bool>();
          cs.push_back(std::move(c));
        }
        std::vector<AccessResult> r;
        {
          Monitor monitor = make_monitor(progress);
          py::gil_scoped_release release;
          r = network_floating_catchments(g, sources, targets, extra, view(population), view(capacity), o, cs,
                                          monitor);
        }
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
      "[(access, ratio, catchment_demand), ...]: several floating catchments from one set of searches; each "
      "spec is (decay, max_cost, zone_breaks, zone_weights, beta, min_cost, hansen).");
}

}  // namespace jangkau::bind
