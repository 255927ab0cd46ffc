#pragma once
// Exact machinery of the maximal covering location problem (MCLP) on plain "demand row" arrays:
// the LP-strength Lagrangian upper bound (Galvão & ReVelle 1996) and a Lagrangian
// branch-and-bound on top of it (Beasley 1993 reduction tests at every node). Used by
// solve_mclp (the bound) and by the Python exact path (jangkau.selection.siting_mclp_exact).
//
// Model over rows i (weight w_i >= 0) and candidates j, N(i) = candidates covering i:
//   max Σ_i w_i z_i  s.t.  z_i <= Σ_{j∈N(i)} y_j,  Σ_j y_j = p,  y ∈ {0,1},  z ∈ [0,1].
// Relaxing the coupling rows with μ_i in [0, w_i] gives, for σ_j = Σ_{i: j∈N(i)} μ_i,
//   L(μ) = Σ_i max(0, w_i - μ_i) + (sum of the p largest σ_j over the free candidates),
// an upper bound for every μ; min_μ L(μ) equals the LP relaxation's value (the subproblem has the
// integrality property). Subgradient steps are scaled by the weights:
//   g_i = [w_i > μ_i] - |N(i) ∩ T|,  μ ← clip(μ + t·w∘g, 0, w),  t = θ (L - incumbent) / Σ_i w_i g_i²,
// θ = 2 halved after `patience` steps without improvement. Start: μ_i = w_i where the incumbent
// covers i at most once, 0 where it covers i twice or more.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "monitor.hpp"
#include "siting.hpp"
#include "siting_bb_schedule.hpp"

namespace jangkau {

/// An MCLP over demand rows, stored candidate-major: the rows candidate j covers are
/// rows[offsets[j] .. offsets[j+1]). Every span is a view the caller keeps alive.
struct MclpRows {
  /// Weight w_i >= 0 (finite) per row. Size n.
  std::span<const double> weight;
  /// Size m + 1, non-decreasing, offsets[0] == 0, offsets[m] == nnz.
  std::span<const std::int64_t> offsets;
  /// Size nnz, each in [0, n). Duplicates within one candidate are allowed.
  std::span<const std::int64_t> rows;
};

/// Settings of mclp_lagrangian.
struct MclpLagrangianOptions {
  /// Subgradient steps at most (each O(nnz)). DEFAULT: 4000.
  int iterations = 4000;
  /// Steps without improvement before θ is halved. DEFAULT: 150.
  int patience = 150;
  /// Distinct relaxation site sets kept in `history` (the best by covered weight). DEFAULT: 20.
  std::size_t history = 20;
  /// Worker threads for the σ sums (results do not depend on it). DEFAULT: 1.
  unsigned threads = 1;
};

/// What mclp_lagrangian returns.
struct MclpLagrangianResult {
  double bound = 0;                     ///< best (lowest) L(μ): an upper bound on every p-set's covered weight
  std::vector<double> mu;               ///< multipliers of `bound` (size n)
  std::vector<double> sigma;            ///< σ_j at `mu` (size m; 0 for candidates that are not free)
  std::vector<std::int64_t> best_set;   ///< best p-set seen (the incumbent or a relaxation set), sorted
  double best_value = 0;                ///< covered weight of best_set
  std::vector<std::int64_t> bound_set;  ///< the relaxation's set T at `bound`, sorted (a restart for local search)
  int iterations = 0;                   ///< steps run
  std::vector<std::vector<std::int64_t>> history;  ///< distinct relaxation sets, best first
};

/// Minimises L(μ) (file comment) choosing min(p, #free) of the `free` candidates (size m,
/// non-zero = may be chosen), starting from `incumbent` (candidate indices). Stops after
/// options.iterations, when θ < 1e-6, when the bound proves the best set (bound < value + 1 with
/// integral weights, <= value otherwise) or when `monitor` expires; every iterate's L is a valid
/// bound. Throws InvalidInputError for malformed arrays or a bad incumbent index.
MclpLagrangianResult mclp_lagrangian(const MclpRows& problem, std::size_t p, std::span<const std::uint8_t> free,
                                     std::span<const std::int64_t> incumbent,
                                     const MclpLagrangianOptions& options = {}, Monitor& monitor = null_monitor());

/// Settings of mclp_branch_and_bound.
struct MclpBranchOptions {
  /// Subgradient steps per node and θ's rule (siting_bb_schedule.hpp). DEFAULT: 4000 steps with
  /// patience 150 at the root (θ from 2); 15 steps with patience 15 at every other node (θ from
  /// 0.5: the parent's multipliers are already close); θ floor 1e-6. Fewer node steps, more
  /// nodes: clustered 5000 x 300 (benchmarks/bench_mclp_bb.py) was proven in 11.8 s of CPU with
  /// 150 node steps (1031 nodes), 4.7 s with 60, 3.6 s with 30, 3.4 s with 15 (3212 nodes).
  SubgradientSchedule schedule{.root_iterations = 4000,
                               .node_iterations = 15,
                               .root_patience = 150,
                               .node_patience = 15,
                               .root_theta = 2.0,
                               .node_theta = 0.5,
                               .theta_floor = 1e-6};
  /// Rounds of reduction tests + re-bounding at one node before branching. DEFAULT: 4.
  int reduction_rounds = 4;
  /// Nodes at most (0 = no limit). DEFAULT: 0.
  std::size_t max_nodes = 0;
  /// Run the engine's 1-swap local search (solve_mclp's) from every new incumbent. DEFAULT: true.
  bool local_search = true;
};

/// What mclp_branch_and_bound returns.
struct MclpBranchResult {
  std::vector<std::int64_t> sites;  ///< best p-set found (sorted candidate indices)
  double objective = 0;             ///< its covered weight
  /// Certified upper bound on every p-set's covered weight: the incumbent when proven, else the
  /// largest bound of a node left unexplored (never above root_bound).
  double bound = 0;
  double root_bound = 0;        ///< the Lagrangian bound at the root
  double root_value = 0;        ///< the incumbent after the root (start, relaxation sets, local search)
  std::size_t nodes = 0;        ///< nodes bounded
  std::size_t root_closed = 0;  ///< candidates the root's reduction tests closed
  std::size_t root_forced = 0;  ///< candidates the root's reduction tests forced open
  bool proven = false;          ///< the search finished: no p-set beats `objective` (by 1 with integral weights)
  bool integral = false;        ///< every weight is an integer
};

/// Lagrangian branch-and-bound for the MCLP over the `free` candidates (size m; the others are
/// never chosen), from the p-set `start` (candidate indices of free candidates; empty = none).
/// Node = candidates fixed open / closed; bound = L(μ) with the open ones' rows covered and the
/// p - #open largest σ_j over the unfixed ones, μ warm-started from the parent; Beasley's tests
/// fix candidates at every node against threshold = incumbent + 1 - 1e-9·|incumbent| (integral
/// weights) or incumbent + 1e-9·|incumbent| (otherwise: "proven" then means no p-set is better by
/// more than that). Depth-first, the open child first, branching on the unfixed candidate of the
/// relaxation's set with the largest σ_j. When `monitor` expires (checked inside the subgradient
/// loops) or max_nodes is reached, returns the incumbent with the certified bound. Throws
/// InvalidInputError for malformed arrays, p above the number of free candidates or a bad start.
/// `start_mu` (size n, or empty) warm-starts the root's multipliers (e.g. mclp_lagrangian's `mu`;
/// values are clipped to [0, w_i]); empty = read off `start` as mclp_lagrangian does.
MclpBranchResult mclp_branch_and_bound(const MclpRows& problem, std::size_t p, std::span<const std::uint8_t> free,
                                       std::span<const std::int64_t> start, const MclpBranchOptions& options = {},
                                       Monitor& monitor = null_monitor(), std::span<const double> start_mu = {});

namespace detail {
/// The engine's MCLP 1-swap local search (solve_mclp's, no quotas) from the p-set `start` on the
/// instance `problem` (every candidate allowed). Returns the set it reaches. Defined in siting_mclp.cpp.
std::vector<std::int64_t> mclp_swap_search(const SitingProblem& problem, std::size_t p,
                                           const std::vector<std::int64_t>& start, Monitor& monitor);
}  // namespace detail

}  // namespace jangkau
