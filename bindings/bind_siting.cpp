// jangkau._core siting functions: thin wrappers over core/siting.hpp. Arrays come in as
// zero-copy views (int64 / float64 / int32 / uint8, C-contiguous), the GIL is released
// while solving. The public API is jangkau.siting.
#include "bind.hpp"
#include "core/error.hpp"
#include "core/siting.hpp"

namespace jangkau::bind {
namespace {

/// Keeps the (possibly converted) numpy arrays alive while the problem's spans point into them.
struct ProblemArrays {
  carray<double> weight;
  carray<std::int64_t> offsets, demand;
  carray<double> cost;
  carray<std::uint8_t> precovered;
  carray<std::int64_t> fixed;
  carray<std::int32_t> group;
  carray<std::int64_t> quota;
  carray<std::int32_t> zone;
  carray<double> floor;

  SitingProblem problem(double max_cost, QuotaMode mode) const {
    SitingProblem p;
    p.demand_weight = view(weight);
    p.offsets = view(offsets);
    p.demand_index = view(demand);
    p.cost = view(cost);
    p.max_cost = max_cost;
    p.precovered = view(precovered);
    p.fixed_sites = view(fixed);
    p.candidate_group = view(group);
    p.group_quota = view(quota);
    p.quota_mode = mode;
    p.demand_zone = view(zone);
    p.zone_floor = view(floor);
    return p;
  }
};

SitingOptions make_options(int threads, bool local_search, double bound_work_limit, int lagrangian_iterations) {
  SitingOptions o;
  o.threads = threads;
  o.local_search = local_search;
  o.bound_work_limit = bound_work_limit;
  o.lagrangian_iterations = lagrangian_iterations;
  return o;
}

template <class T>
py::array_t<T> copy_out(const std::vector<T>& v) {
  return to_numpy(std::vector<T>(v));
}

}  // namespace

void bind_siting(py::module_& m) {
  py::enum_<QuotaMode>(m, "QuotaMode", "How group quotas are read.")
      .value("AT_LEAST", QuotaMode::AtLeast)
      .value("EXACTLY", QuotaMode::Exactly);

  py::class_<SitingResult>(m, "SitingResultCore", "Raw result of a siting solver (see jangkau.siting.SitingResult).")
      .def_property_readonly("sites", [](const SitingResult& r) { return copy_out(r.sites); })
      .def_property_readonly("marginal_gain", [](const SitingResult& r) { return copy_out(r.marginal_gain); })
      .def_property_readonly("covered", [](const SitingResult& r) { return copy_out(r.covered); })
      .def_property_readonly("unreachable", [](const SitingResult& r) { return copy_out(r.unreachable); })
      .def_property_readonly("assignment", [](const SitingResult& r) { return copy_out(r.assignment); })
      .def_readonly("objective", &SitingResult::objective)
      .def_readonly("bound", &SitingResult::bound)
      .def_readonly("gap", &SitingResult::gap)
      .def_readonly("greedy_objective", &SitingResult::greedy_objective)
      .def_readonly("swaps", &SitingResult::swaps)
      .def_readonly("floors_met", &SitingResult::floors_met)
      .def_readonly("unassigned_cost", &SitingResult::unassigned_cost);

  // model: 0 = MCLP, 1 = LSCP, 2 = p-median (internal; the Python API exposes one function per model).
  m.def(
      "siting_solve",
      [](int model, carray<double> weight, carray<std::int64_t> offsets, carray<std::int64_t> demand, carray<double> cost,
         double max_cost, std::size_t p, carray<std::uint8_t> precovered, carray<std::int64_t> fixed, carray<std::int32_t> group,
         carray<std::int64_t> quota, QuotaMode mode, carray<std::int32_t> zone, carray<double> floor, int threads, bool local_search,
         double bound_work_limit, int lagrangian_iterations, py::object progress) {
        ProblemArrays a{weight, offsets, demand, cost, precovered, fixed, group, quota, zone, floor};
        SitingProblem problem = a.problem(max_cost, mode);
        SitingOptions options = make_options(threads, local_search, bound_work_limit, lagrangian_iterations);
        Monitor monitor = make_monitor(progress);
        py::gil_scoped_release release;
        switch (model) {
          case 0:
            return solve_mclp(problem, p, options, monitor);
          case 1:
            return solve_lscp(problem, options, monitor);
          case 2:
            return solve_p_median(problem, p, options, monitor);
          default:
            throw InvalidInputError("unknown siting model id " + std::to_string(model));
        }
      },
      py::arg("model"), py::arg("weight"), py::arg("offsets"), py::arg("demand"), py::arg("cost"), py::arg("max_cost"), py::arg("p"),
      py::arg("precovered"), py::arg("fixed"), py::arg("group"), py::arg("quota"), py::arg("mode"), py::arg("zone"), py::arg("floor"),
      py::arg("threads") = 0, py::arg("local_search") = true, py::arg("bound_work_limit") = 2e8, py::arg("lagrangian_iterations") = 300,
      py::arg("progress") = py::none(),
      "Solve a siting model on candidate-major CSR arrays (internal; use jangkau.siting).");
}

}  // namespace jangkau::bind
