// jangkau._core MCLP exact machinery: thin wrappers over core/siting_mclp_bb.hpp (the LP-strength
// Lagrangian bound and the Lagrangian branch-and-bound over demand rows). Arrays come in as
// zero-copy views; results go out as dicts of numpy arrays; the GIL is released while solving.
// Used by jangkau.selection.siting_mclp_exact.
#include <limits>
#include <memory>
#include <optional>

#include "bind.hpp"
#include "core/siting_mclp_bb.hpp"

namespace jangkau::bind {
namespace {

/// Runs solve(monitor) without the GIL, with a soft deadline `time_limit_s` seconds away and, when
/// given, the stop flag `stop` (set by another thread: wind down as at the deadline). Ctrl-C,
/// SIGTERM and SIGHUP end it at its next check (CancelledError, a KeyboardInterrupt), not when it
/// returns (the Lagrangian alone ran 8 s past a Ctrl-C on clustered 10^4 x 10^3).
template <class Solve>
auto without_gil(double time_limit_s, const std::optional<std::shared_ptr<StopFlag>>& stop, Solve&& solve) {
  Monitor monitor = make_monitor(py::none());
  monitor.set_deadline_in(time_limit_s);
  if (stop) monitor.set_stop_flag(*stop);
  py::gil_scoped_release release;
  InterruptGuard signals;
  return solve(monitor);
}

}  // namespace

void bind_siting_mclp_bb(py::module_& m) {
  const MclpLagrangianOptions dl;
  m.def(
      "mclp_lagrangian",
      [](const carray<double>& weight, const carray<std::int64_t>& offsets, const carray<std::int64_t>& rows,
         std::size_t p, const carray<std::uint8_t>& free, const carray<std::int64_t>& incumbent, int iterations,
         int patience, std::size_t history, double time_limit_s,
         const std::optional<std::shared_ptr<StopFlag>>& stop) {
        MclpRows pr{view(weight), view(offsets), view(rows)};
        MclpLagrangianOptions o;
        o.iterations = iterations;
        o.patience = patience;
        o.history = history;
        auto r = without_gil(time_limit_s, stop, [&](Monitor& monitor) {
          return mclp_lagrangian(pr, p, view(free), view(incumbent), o, monitor);
        });
        py::list hist;
        for (auto& h : r.history) hist.append(to_numpy(std::move(h)));
        py::dict d;
        d["bound"] = r.bound;
        d["mu"] = to_numpy(std::move(r.mu));
        d["sigma"] = to_numpy(std::move(r.sigma));
        d["best_set"] = to_numpy(std::move(r.best_set));
        d["best_value"] = r.best_value;
        d["iterations"] = r.iterations;
        d["history"] = hist;
        return d;
      },
      py::arg("weight"), py::arg("offsets"), py::arg("rows"), py::arg("p"), py::arg("free"), py::arg("incumbent"),
      py::kw_only(), py::arg("iterations") = dl.iterations, py::arg("patience") = dl.patience,
      py::arg("history") = dl.history, py::arg("time_limit_s") = std::numeric_limits<double>::infinity(),
      py::arg("stop") = py::none(),
      "LP-strength Lagrangian upper bound of the MCLP over candidate-major demand rows (internal; see "
      "jangkau.selection.siting_mclp_exact.lagrangian_bound). Returns a dict: bound, mu, sigma, best_set, "
      "best_value, iterations, history.");

  const MclpBranchOptions db;
  m.def(
      "mclp_branch_and_bound",
      [](const carray<double>& weight, const carray<std::int64_t>& offsets, const carray<std::int64_t>& rows,
         std::size_t p, const carray<std::uint8_t>& free, const carray<std::int64_t>& start,
         const carray<double>& start_mu, int root_iterations, int root_patience, int node_iterations,
         int node_patience, std::size_t max_nodes, bool local_search, double time_limit_s,
         const std::optional<std::shared_ptr<StopFlag>>& stop) {
        MclpRows pr{view(weight), view(offsets), view(rows)};
        MclpBranchOptions o;
        o.schedule.root_iterations = root_iterations;
        o.schedule.root_patience = root_patience;
        o.schedule.node_iterations = node_iterations;
        o.schedule.node_patience = node_patience;
        o.max_nodes = max_nodes;
        o.local_search = local_search;
        auto r = without_gil(time_limit_s, stop, [&](Monitor& monitor) {
          return mclp_branch_and_bound(pr, p, view(free), view(start), o, monitor, view(start_mu));
        });
        py::dict d;
        d["sites"] = to_numpy(std::move(r.sites));
        d["objective"] = r.objective;
        d["bound"] = r.bound;
        d["root_bound"] = r.root_bound;
        d["root_value"] = r.root_value;
        d["nodes"] = r.nodes;
        d["root_closed"] = r.root_closed;
        d["root_forced"] = r.root_forced;
        d["proven"] = r.proven;
        d["integral"] = r.integral;
        return d;
      },
      py::arg("weight"), py::arg("offsets"), py::arg("rows"), py::arg("p"), py::arg("free"), py::arg("start"),
      py::arg("start_mu"), py::kw_only(), py::arg("root_iterations") = db.schedule.root_iterations,
      py::arg("root_patience") = db.schedule.root_patience, py::arg("node_iterations") = db.schedule.node_iterations,
      py::arg("node_patience") = db.schedule.node_patience, py::arg("max_nodes") = db.max_nodes,
      py::arg("local_search") = db.local_search, py::arg("time_limit_s") = std::numeric_limits<double>::infinity(),
      py::arg("stop") = py::none(),
      "Lagrangian branch-and-bound of the MCLP over candidate-major demand rows (internal; see "
      "jangkau.selection.siting_mclp_exact.branch_and_bound). Returns a dict: sites, objective, bound, root_bound, "
      "root_value, nodes, root_closed, root_forced, proven, integral.");
}

}  // namespace jangkau::bind
