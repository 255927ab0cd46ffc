// Accessibility indices on sparse cost tables (engine/core/access.hpp).
#include "bind.hpp"
#include "core/access.hpp"

namespace jangkau::bind {

namespace {

py::tuple result_tuple(AccessResult&& r) {
  return py::make_tuple(to_numpy(std::move(r.access)), to_numpy(std::move(r.ratio)),
                        to_numpy(std::move(r.catchment_demand)));
}

}  // namespace

void bind_access(py::module_& m) {
  py::enum_<Decay>(m, "Decay", "Distance decay of accessibility weights (see docs/access.md).")
      .value("Step", Decay::Step)
      .value("Zones", Decay::Zones)
      .value("Gaussian", Decay::Gaussian)
      .value("Power", Decay::Power)
      .value("Exponential", Decay::Exponential);

  m.def(
      "access_index",
      [](const carray<std::int64_t>& demand, const carray<std::int64_t>& supply, const carray<double>& cost,
         const carray<double>& population, const carray<double>& capacity, Decay decay, double max_cost,
         const std::vector<double>& zone_breaks, const std::vector<double>& zone_weights, double beta,
         double min_cost, bool hansen) {
        const CostTable table{view(demand), view(supply), view(cost)};
        auto p = view(population), s = view(capacity);
        DecayOptions o;
        o.decay = decay;
        o.max_cost = max_cost;
        o.zone_breaks = zone_breaks;
        o.zone_weights = zone_weights;
        o.beta = beta;
        o.min_cost = min_cost;
        AccessResult r;
        {
          py::gil_scoped_release release;
          if (hansen) {
            GravityOptions g;
            g.decay = o;
            g.competition = false;
            r = gravity(table, p, s, g);
          } else {
            r = floating_catchment(table, p, s, o);
          }
        }
        return result_tuple(std::move(r));
      },
      py::arg("demand"), py::arg("supply"), py::arg("cost"), py::arg("population"), py::arg("capacity"),
      py::arg("decay"), py::arg("max_cost") = std::numeric_limits<double>::infinity(),
      py::arg("zone_breaks") = std::vector<double>{10.0, 20.0, 30.0},
      py::arg("zone_weights") = std::vector<double>{1.0, 0.68, 0.22}, py::arg("beta") = 1.0,
      py::arg("min_cost") = 1.0, py::arg("hansen") = false,
      "(access, ratio, catchment_demand): two-step floating catchment with the given decay, or the "
      "Hansen potential (hansen=True, Power/Exponential decay only).");
}

}  // namespace jangkau::bind
