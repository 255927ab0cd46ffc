#pragma once
// The subgradient schedule of a Lagrangian branch-and-bound (p-median: siting_pmedian_bb.hpp;
// MCLP: siting_mclp_bb.hpp, with its own defaults).
//
// At a node the multipliers move by Polyak steps (Held, Wolfe & Crowder 1974; Beasley 1993,
// "Lagrangean heuristics for location problems", EJOR 65):
//   λ ← λ + θ · (target − L(λ)) / ‖g‖² · g,
// g the subgradient, target the incumbent's objective. θ starts at `root_theta` (root) or
// `node_theta` (other nodes) and is halved after `*_patience` steps without a better L; the node
// stops after `*_iterations` steps, when θ falls below `theta_floor`, or when L reaches the
// incumbent (the node is pruned).

#include <string>

#include "error.hpp"

namespace jangkau {

/// Subgradient steps per node and the step factor θ's rule. The defaults are those of the
/// p-median branch-and-bound (measured on benchmarks/bench_pmedian_bb.py; see docs/siting.md).
struct SubgradientSchedule {
  /// Steps at the root (warm-started from the caller's multipliers, or from each point's cost
  /// in the incumbent). DEFAULT: 3000.
  int root_iterations = 3000;
  /// Steps at every other node (warm-started from the parent's best multipliers). DEFAULT: 200.
  int node_iterations = 200;
  /// Steps without a better L before θ is halved: at the root, at other nodes. DEFAULT: 40, 20.
  int root_patience = 40;
  int node_patience = 20;
  /// θ at the first step of the root, of other nodes (dimensionless; Polyak's rule converges for
  /// 0 < θ ≤ 2). DEFAULT: 2, 2.
  double root_theta = 2.0;
  double node_theta = 2.0;
  /// A node stops its steps once θ falls below this. DEFAULT: 1e-7.
  double theta_floor = 1e-7;
};

/// Throws InvalidInputError naming the field when a count is negative, a patience is below 1,
/// or a θ is not finite and positive (θ at most 2; the floor below both starting values).
inline void validate(const SubgradientSchedule& s) {
  auto bad = [](const char* field, const std::string& why) {
    throw InvalidInputError(std::string("subgradient schedule: ") + field + " " + why, ErrorContext{"", -1, field});
  };
  if (s.root_iterations < 0) bad("root_iterations", "must be >= 0");
  if (s.node_iterations < 0) bad("node_iterations", "must be >= 0");
  if (s.root_patience < 1) bad("root_patience", "must be >= 1");
  if (s.node_patience < 1) bad("node_patience", "must be >= 1");
  if (!(s.root_theta > 0 && s.root_theta <= 2)) bad("root_theta", "must be in (0, 2]");
  if (!(s.node_theta > 0 && s.node_theta <= 2)) bad("node_theta", "must be in (0, 2]");
  if (!(s.theta_floor > 0 && s.theta_floor < s.root_theta && s.theta_floor < s.node_theta))
    bad("theta_floor", "must be > 0 and below root_theta and node_theta");
}

}  // namespace jangkau
