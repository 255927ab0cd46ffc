// jangkau._core siting bindings: thin wrappers over core/siting.hpp. Arrays come in as
// zero-copy views (int64 / float64 / int32 / uint8, C-contiguous) and go out as read-only
// views into the result; the GIL is released while solving. The public API is jangkau.siting.
#include <limits>
#include <sstream>

#include "bind.hpp"
#include "core/error.hpp"
#include "core/siting.hpp"
#include "core/siting_pmedian_bb.hpp"

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

/// A read-only 1-D array over a vector owned by the Python object `owner` (no copy; the
/// array keeps `owner` alive).
template <class T>
py::array_t<T> readonly_view(const std::vector<T>& v, py::handle owner) {
  py::array_t<T> a({static_cast<py::ssize_t>(v.size())}, {static_cast<py::ssize_t>(sizeof(T))}, v.data(), owner);
  a.attr("setflags")(py::arg("write") = false);
  return a;
}

/// A read-only property of SitingResultCore viewing the vector member `field`.
template <class T>
auto vector_property(std::vector<T> SitingResult::* field) {
  return [field](const py::object& self) { return readonly_view(self.cast<const SitingResult&>().*field, self); };
}

std::string repr(const SitingOptions& o) {
  std::ostringstream s;
  s << "SitingOptions(threads=" << o.threads << ", local_search=" << (o.local_search ? "True" : "False")
    << ", max_swaps=" << o.max_swaps << ", bound_work_limit=" << o.bound_work_limit
    << ", lagrangian_iterations=" << o.lagrangian_iterations << ", gap_tolerance=" << o.gap_tolerance
    << ", shake_rounds=" << o.shake_rounds << ", shake_work_limit=" << o.shake_work_limit
    << ", pair_moves=" << (o.pair_moves ? "True" : "False") << ")";
  return s.str();
}

void bind_options(py::module_& m) {
  const SitingOptions d;
  py::class_<SitingOptions>(m, "SitingOptions", "Solver settings shared by the siting models (see core/siting.hpp).")
      .def(py::init([](int threads, bool local_search, std::size_t max_swaps, double bound_work_limit,
                       int lagrangian_iterations, double gap_tolerance, int shake_rounds, double shake_work_limit,
                       bool pair_moves) {
             SitingOptions o;
             o.threads = threads;
             o.local_search = local_search;
             o.max_swaps = max_swaps;
             o.bound_work_limit = bound_work_limit;
             o.lagrangian_iterations = lagrangian_iterations;
             o.gap_tolerance = gap_tolerance;
             o.shake_rounds = shake_rounds;
             o.shake_work_limit = shake_work_limit;
             o.pair_moves = pair_moves;
             return o;
           }),
           py::kw_only(), py::arg("threads") = d.threads, py::arg("local_search") = d.local_search,
           py::arg("max_swaps") = d.max_swaps, py::arg("bound_work_limit") = d.bound_work_limit,
           py::arg("lagrangian_iterations") = d.lagrangian_iterations, py::arg("gap_tolerance") = d.gap_tolerance,
           py::arg("shake_rounds") = d.shake_rounds, py::arg("shake_work_limit") = d.shake_work_limit,
           py::arg("pair_moves") = d.pair_moves)
      .def_readwrite("threads", &SitingOptions::threads,
                     "Worker threads (0 = automatic: 1 below 10^6 stored entries, else all cores).")
      .def_readwrite("local_search", &SitingOptions::local_search, "Run the 1-swap local search after the greedy.")
      .def_readwrite("max_swaps", &SitingOptions::max_swaps, "Upper limit on accepted swaps.")
      .def_readwrite("bound_work_limit", &SitingOptions::bound_work_limit,
                     "nnz * (p + 1) below which every greedy iterate gets exact gains.")
      .def_readwrite("lagrangian_iterations", &SitingOptions::lagrangian_iterations,
                     "Subgradient iterations of the Lagrangian bound (0 = none).")
      .def_readwrite("gap_tolerance", &SitingOptions::gap_tolerance,
                     "Relative gap at which bounding and restarts stop.")
      .def_readwrite("shake_rounds", &SitingOptions::shake_rounds,
                     "Shakes of the variable neighbourhood search (MCLP, p-median; 0 = none).")
      .def_readwrite("shake_work_limit", &SitingOptions::shake_work_limit, "Work cap of the shakes in entry visits.")
      .def_readwrite("pair_moves", &SitingOptions::pair_moves,
                     "LSCP: apply 2-for-1 moves after redundancy elimination.")
      .def("__repr__", &repr);
}

void bind_result(py::module_& m) {
  py::class_<SitingResult>(m, "SitingResultCore", "Raw result of a siting solver (see jangkau.siting.SitingResult).")
      .def_property_readonly("sites", vector_property(&SitingResult::sites))
      .def_property_readonly("marginal_gain", vector_property(&SitingResult::marginal_gain))
      .def_property_readonly("covered", vector_property(&SitingResult::covered))
      .def_property_readonly("unreachable", vector_property(&SitingResult::unreachable))
      .def_property_readonly("assignment", vector_property(&SitingResult::assignment))
      .def_property_readonly("open_bound", vector_property(&SitingResult::open_bound))
      .def_property_readonly("closed_bound", vector_property(&SitingResult::closed_bound))
      .def_property_readonly("multipliers", vector_property(&SitingResult::multipliers))
      .def_readonly("objective", &SitingResult::objective)
      .def_readonly("bound", &SitingResult::bound)
      .def_readonly("gap", &SitingResult::gap)
      .def_readonly("greedy_objective", &SitingResult::greedy_objective)
      .def_readonly("swaps", &SitingResult::swaps)
      .def_readonly("floors_met", &SitingResult::floors_met)
      .def_readonly("unassigned_cost", &SitingResult::unassigned_cost);
}

}  // namespace

void bind_siting_mclp_bb(py::module_& m);  // bind_siting_mclp_bb.cpp

void bind_siting(py::module_& m) {
  py::enum_<SitingModel>(m, "SitingModel", "Which siting model siting_solve solves.")
      .value("MCLP", SitingModel::MCLP)
      .value("LSCP", SitingModel::LSCP)
      .value("P_MEDIAN", SitingModel::PMedian);
  py::enum_<QuotaMode>(m, "QuotaMode", "How group quotas are read.")
      .value("AT_LEAST", QuotaMode::AtLeast)
      .value("EXACTLY", QuotaMode::Exactly);
  bind_options(m);
  bind_result(m);
  bind_siting_mclp_bb(m);

  m.def(
      "siting_solve",
      [](SitingModel model, carray<double> weight, carray<std::int64_t> offsets, carray<std::int64_t> demand,
         carray<double> cost, double max_cost, std::size_t p, carray<std::uint8_t> precovered,
         carray<std::int64_t> fixed, carray<std::int32_t> group, carray<std::int64_t> quota, QuotaMode mode,
         carray<std::int32_t> zone, carray<double> floor, const SitingOptions& options, const py::object& progress,
         double time_limit_s) {
        ProblemArrays a{std::move(weight),     std::move(offsets), std::move(demand), std::move(cost),
                        std::move(precovered), std::move(fixed),   std::move(group),  std::move(quota),
                        std::move(zone),       std::move(floor)};
        SitingProblem problem = a.problem(max_cost, mode);
        Monitor monitor = make_monitor(progress);
        monitor.set_deadline_in(time_limit_s);
        py::gil_scoped_release release;
        return solve_siting(model, problem, p, options, monitor);
      },
      py::arg("model"), py::arg("weight"), py::arg("offsets"), py::arg("demand"), py::arg("cost"),
      py::arg("max_cost"), py::arg("p"), py::arg("precovered"), py::arg("fixed"), py::arg("group"), py::arg("quota"),
      py::arg("mode"), py::arg("zone"), py::arg("floor"), py::kw_only(),
      py::arg_v("options", SitingOptions{}, "SitingOptions()"), py::arg("progress") = py::none(),
      py::arg("time_limit_s") = std::numeric_limits<double>::infinity(),
      "Solve a siting model on candidate-major CSR arrays (internal; use jangkau.siting). p is ignored for LSCP. "
      "time_limit_s (seconds, default inf) is a soft deadline: past it the search phases stop and the best "
      "set so far is returned with its certified bound.");

  // p-median Lagrangian branch-and-bound (core/siting_pmedian_bb.hpp)
  py::class_<SubgradientSchedule>(m, "SubgradientSchedule",
                                  "Subgradient steps per node and the step factor's rule of a Lagrangian "
                                  "branch-and-bound (core/siting_bb_schedule.hpp); checked when used.")
      .def(py::init([](int root_iterations, int node_iterations, int root_patience, int node_patience,
                       double root_theta, double node_theta, double theta_floor) {
             return SubgradientSchedule{root_iterations, node_iterations, root_patience, node_patience,
                                        root_theta,      node_theta,      theta_floor};
           }),
           py::kw_only(), py::arg("root_iterations") = SubgradientSchedule{}.root_iterations,
           py::arg("node_iterations") = SubgradientSchedule{}.node_iterations,
           py::arg("root_patience") = SubgradientSchedule{}.root_patience,
           py::arg("node_patience") = SubgradientSchedule{}.node_patience,
           py::arg("root_theta") = SubgradientSchedule{}.root_theta,
           py::arg("node_theta") = SubgradientSchedule{}.node_theta,
           py::arg("theta_floor") = SubgradientSchedule{}.theta_floor)
      .def_readwrite("root_iterations", &SubgradientSchedule::root_iterations)
      .def_readwrite("node_iterations", &SubgradientSchedule::node_iterations)
      .def_readwrite("root_patience", &SubgradientSchedule::root_patience)
      .def_readwrite("node_patience", &SubgradientSchedule::node_patience)
      .def_readwrite("root_theta", &SubgradientSchedule::root_theta)
      .def_readwrite("node_theta", &SubgradientSchedule::node_theta)
      .def_readwrite("theta_floor", &SubgradientSchedule::theta_floor);
  py::class_<PMedianBranchResult>(m, "PMedianBranchResult", "Result of p_median_branch_and_bound.")
      .def_readonly("result", &PMedianBranchResult::result)
      .def_readonly("nodes", &PMedianBranchResult::nodes)
      .def_readonly("open_nodes", &PMedianBranchResult::open_nodes)
      .def_readonly("proven", &PMedianBranchResult::proven)
      .def_readonly("root_closed", &PMedianBranchResult::root_closed)
      .def_readonly("root_opened", &PMedianBranchResult::root_opened)
      .def_readonly("root_bound", &PMedianBranchResult::root_bound)
      .def_readonly("incumbent_updates", &PMedianBranchResult::incumbent_updates);
  m.def(
      "p_median_branch_and_bound",
      [](carray<double> weight, carray<std::int64_t> offsets, carray<std::int64_t> demand, carray<double> cost,
         double max_cost, std::size_t p, carray<std::int64_t> fixed, const carray<std::int64_t>& start_sites,
         const carray<double>& multipliers, const SitingOptions& options, std::size_t node_limit,
         double gap_tolerance, const SubgradientSchedule& schedule, int threads, std::size_t batch,
         bool strongest_closing, const py::object& progress, double time_limit_s) {
        ProblemArrays a{std::move(weight),
                        std::move(offsets),
                        std::move(demand),
                        std::move(cost),
                        {},
                        std::move(fixed),
                        {},
                        {},
                        {},
                        {}};
        SitingProblem problem = a.problem(max_cost, QuotaMode::AtLeast);
        PMedianBranchOptions o;
        o.search = options;
        o.node_limit = node_limit;
        o.gap_tolerance = gap_tolerance;
        o.schedule = schedule;
        o.threads = threads;
        o.batch = batch;
        o.branching = strongest_closing ? PMedianBranching::StrongestClosing : PMedianBranching::MostFractional;
        Monitor monitor = make_monitor(progress);
        monitor.set_deadline_in(time_limit_s);
        py::gil_scoped_release release;
        return solve_p_median_bb(problem, p, view(start_sites), view(multipliers), o, monitor);
      },
      py::arg("weight"), py::arg("offsets"), py::arg("demand"), py::arg("cost"), py::arg("max_cost"), py::arg("p"),
      py::arg("fixed"), py::arg("start_sites"), py::arg("multipliers"), py::kw_only(),
      py::arg_v("options", SitingOptions{}, "SitingOptions()"), py::arg("node_limit") = 1000000,
      py::arg("gap_tolerance") = 1e-9, py::arg_v("schedule", SubgradientSchedule{}, "SubgradientSchedule()"),
      py::arg("threads") = PMedianBranchOptions{}.threads, py::arg("batch") = PMedianBranchOptions{}.batch,
      py::arg("strongest_closing") = false, py::arg("progress") = py::none(),
      py::arg("time_limit_s") = std::numeric_limits<double>::infinity(),
      "Exact p-median by Lagrangian branch-and-bound on candidate-major CSR arrays (internal; used by "
      "jangkau.siting's auto solver). start_sites / multipliers may be empty. time_limit_s (seconds) is checked "
      "inside the subgradient loop: past it the incumbent comes back with the open nodes' bound, proven=False.");
}

}  // namespace jangkau::bind
