#pragma once
// Exact p-median by Lagrangian branch-and-bound (Christofides & Beasley 1982, "A tree search
// algorithm for the p-median problem", EJOR 10; Beasley 1993, "Lagrangean heuristics for
// location problems", EJOR 65). See docs/siting.md ("Lagrangian branch-and-bound").
//
// Relaxing the assignment constraints Σ_j x_ij = 1 with multipliers λ_i gives, at a node with
// the sites O fixed open (plus the existing facilities) and C fixed closed,
//   L(λ) = Σ_i λ_i + Σ_{j∈O} ρ_j + Σ of the p − |O| smallest ρ_j over the free sites,
//   ρ_j = Σ_{i∈N(j)} min(0, w_i c_ij − λ_i) ≤ 0,
// a lower bound on every solution of the node's subtree. Each node warm-starts λ from its parent
// and raises L by Polyak subgradient steps; at every step Beasley's tests close a free site whose
// forced opening lifts L to the cut-off, and open one whose forced closing does; the Lagrangian
// site set is evaluated (and polished by the fast-interchange search when it beats the
// incumbent). Past a node's first step ρ is updated through the points whose λ_i moved and
// summed afresh every 16 steps and for the node's bound (the root sums it afresh every step), and
// a set is valued only when L and the step's by-product put it near the incumbent. Then the node
// branches on its most fractional free site (the share of the relaxation's sets it was in
// nearest 1/2; ties: the one whose closing raises L most), best bound first, `batch` nodes per
// round on up to `threads` threads.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "monitor.hpp"
#include "siting.hpp"
#include "siting_bb_schedule.hpp"

namespace jangkau {

/// Which free site a node of solve_p_median_bb branches on.
enum class PMedianBranching {
  /// The one whose share of the relaxation's sets (an estimate of the LP's y_j) is nearest 1/2;
  /// ties: the one whose closing raises L most.
  MostFractional,
  /// The one of the relaxation's set whose forced closing raises L most (Beasley's test value:
  /// the closed child's bound); ties: the most fractional.
  StrongestClosing,
};

/// Settings of solve_p_median_bb. The deadline is the monitor's (Monitor::set_deadline_in).
struct PMedianBranchOptions {
  /// Subgradient steps per node and θ's rule (siting_bb_schedule.hpp). DEFAULT: its defaults
  /// (root 3000 steps, patience 40; nodes 200 steps, patience 20; θ from 2 to 1e-7). node_theta
  /// 2 was measured on uniform 5000 × 300 of benchmarks/bench_siting.py: proven in 2.2 s,
  /// against 16.6 s with 0.5.
  SubgradientSchedule schedule{};
  /// Nodes solved per round. The nodes of a round are the best-bound open nodes, solved
  /// independently against the incumbent as it was when the round started; their improving
  /// sets are then merged in node order. The answer, bound and node count therefore do not
  /// depend on `threads` (only where a deadline cuts a round). DEFAULT: 2.
  std::size_t batch = 2;
  /// Worker threads solving a round's nodes (at most `batch` are used; 0 = automatic: one below
  /// 2·10⁴ stored entries, else the hardware's concurrency). DEFAULT: 0.
  int threads = 0;
  /// Branching rule. DEFAULT: MostFractional.
  PMedianBranching branching = PMedianBranching::MostFractional;
  /// Nodes solved at most (the root counts). DEFAULT: 1e6.
  std::size_t node_limit = 1000000;
  /// Bytes of multipliers kept for open nodes at most (one float per demand point and node,
  /// shared by siblings); past it the search stops unproven. DEFAULT: 1e9.
  double memory_limit = 1e9;
  /// A node is pruned when its bound reaches incumbent − gap_tolerance · |incumbent|; the
  /// answer is then optimal within this relative gap. DEFAULT: 1e-9.
  double gap_tolerance = 1e-9;
  /// Settings of the incumbent search (the heuristic solve without a start, and the
  /// fast-interchange polish of improving Lagrangian sets). DEFAULT: SitingOptions{}.
  SitingOptions search{};
};

/// What solve_p_median_bb returns.
struct PMedianBranchResult {
  /// The best sites found (sites, objective, assignment, unreachable, unassigned_cost are as
  /// solve_p_median's; `bound` is the proven lower bound, `gap` from the two).
  SitingResult result;
  /// Nodes solved (the root included), and open nodes left when the search stopped.
  std::size_t nodes = 0;
  std::size_t open_nodes = 0;
  /// Whether the search tree was exhausted: `result.objective` is then optimal within
  /// gap_tolerance.
  bool proven = false;
  /// Candidates closed (opened) for the whole tree by the root's reduction tests.
  std::size_t root_closed = 0;
  std::size_t root_opened = 0;
  /// Best Lagrangian bound of the root node.
  double root_bound = 0;
  /// How often an improving Lagrangian site set replaced the incumbent.
  std::size_t incumbent_updates = 0;
};

/// Exact p-median (minimise Σ w_i · min_{open j} c_ij over p new sites, the fixed sites open)
/// by Lagrangian branch-and-bound. `start_sites` (p candidate indices, or empty) is the
/// incumbent to start from and `multipliers` (λ per demand point, size n, or empty) the root's
/// initial multipliers — both as returned by solve_p_median; when `start_sites` is empty,
/// solve_p_median runs first (under the same monitor). Inputs are those of solve_p_median
/// (sparse or dense entries; missing entries are forbidden assignments); group quotas are
/// refused (InvalidInputError), as are a start of the wrong size or with an index out of range.
/// When the monitor's deadline passes (checked inside the subgradient loop) or a node/memory
/// limit is reached, the incumbent comes back with the minimum bound of the open nodes:
/// always a valid lower bound, `proven` false. Throws InfeasibleError when p new sites cannot
/// serve every point that has an entry.
PMedianBranchResult solve_p_median_bb(const SitingProblem& problem, std::size_t p,
                                      std::span<const std::int64_t> start_sites = {},
                                      std::span<const double> multipliers = {},
                                      const PMedianBranchOptions& options = {}, Monitor& monitor = null_monitor());

namespace detail {
struct Instance;
/// One usable entry of a point's list: the candidate and its cost.
struct PointEntry {
  double cost;
  std::int32_t site;
};
/// Every point's usable entries (finite, within max_cost), point-major, each point's in
/// increasing cost (ties: smaller candidate first): what the p-median's fast interchange reads.
struct PointLists {
  std::vector<std::int64_t> start;  ///< size n + 1
  std::vector<PointEntry> entries;
};
/// Builds the lists of a validated instance.
PointLists point_lists(const Instance& in);
/// How the p-median's local search finds its swaps (the same swaps either way): Auto = Resende
/// & Werneck's fast interchange where its candidates × positions matrix fits, else sweeps over
/// every stored entry per swap (swap_local_search); Sweeps = always the sweeps.
enum class PMedianSwaps { Auto, Sweeps };
/// The p-median's local search (siting_pmedian.cpp) on a validated instance, kept across calls:
/// the per-instance work (which points need a site, the penalty of an unserved one, the work
/// space) is done once, when it is made. `lists`: the instance's point lists when the caller
/// keeps them (nullptr: built on first use). The instance, `fixed`, `options`, `monitor` and
/// `lists` must outlive it. One thread at a time.
class PMedianPolisher {
 public:
  PMedianPolisher(const Instance& in, std::size_t p, const std::vector<std::uint8_t>& fixed,
                  const SitingOptions& options, Monitor& monitor, const PointLists* lists = nullptr,
                  PMedianSwaps swaps = PMedianSwaps::Auto);
  ~PMedianPolisher();
  PMedianPolisher(const PMedianPolisher&) = delete;
  PMedianPolisher& operator=(const PMedianPolisher&) = delete;
  /// The search from `start` (p sites, quotas met); returns the sites it reaches.
  std::vector<std::int64_t> polish(const std::vector<std::int64_t>& start);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};
}  // namespace detail

}  // namespace jangkau
