#pragma once
// Facility-location models on plain arrays: maximal covering (MCLP), location set
// covering (LSCP) and p-median, solved by lazy greedy + 1-swap local search with
// certified bounds on the optimum. The exact MILP path lives in Python (HiGHS).
// The implementation is split by concept (shared instance, greedy, subgradient and local
// search parts, one file per model): see siting_instance.hpp.
//
// Church & ReVelle (1974) MCLP; Toregas et al. (1971) LSCP; Hakimi (1964) p-median;
// Nemhauser, Wolsey & Fisher (1978) greedy bound; Minoux (1978) lazy greedy.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "monitor.hpp"

namespace jangkau {

/// Which facility-location model `solve_siting` solves.
enum class SitingModel {
  MCLP,     ///< maximal covering: p sites, most covered weight (solve_mclp)
  LSCP,     ///< location set covering: fewest sites covering every coverable point (solve_lscp)
  PMedian,  ///< p-median: p sites, least weighted assignment cost (solve_p_median)
};

/// How `SitingProblem::group_quota` is read.
enum class QuotaMode {
  AtLeast,  ///< at least quota[g] new sites among the candidates of group g
  Exactly,  ///< exactly quota[g] new sites in group g (ungrouped candidates take the rest of p)
};

/// One siting instance. Every span is a view; the caller keeps the arrays alive.
///
/// The demand × candidate relation is stored candidate-major (the CSC layout of an
/// n_demand × n_candidates scipy matrix): the entries of candidate j are
/// [offsets[j], offsets[j+1]) of `demand_index` (0-based demand point) and `cost`.
/// An entry covers its demand point when cost <= max_cost; for p-median it is an allowed
/// assignment with that cost. A missing entry means "not covered / unreachable".
struct SitingProblem {
  /// Demand weight w_i >= 0 per demand point (e.g. population). Size n.
  std::span<const double> demand_weight;
  /// Size m + 1, non-decreasing, offsets[0] == 0, offsets[m] == nnz.
  std::span<const std::int64_t> offsets;
  /// Size nnz, each in [0, n). Duplicates within one candidate are allowed (the cheapest counts).
  std::span<const std::int64_t> demand_index;
  /// Size nnz (cost >= 0, finite or +inf), or empty: every entry then has cost 0.
  std::span<const double> cost;
  /// Entries with cost > max_cost are ignored. DEFAULT: +inf (use every finite entry).
  double max_cost = std::numeric_limits<double>::infinity();
  /// Size n or empty. Non-zero = already covered by existing facilities (MCLP/LSCP only).
  std::span<const std::uint8_t> precovered;
  /// Candidates open from the start (existing facilities). They do not count towards p
  /// or any quota and are never swapped out.
  std::span<const std::int64_t> fixed_sites;
  /// Size m or empty: group id per candidate (e.g. dapil), -1 = no group.
  std::span<const std::int32_t> candidate_group;
  /// Quota per group id (size = number of groups). Empty = no quotas.
  std::span<const std::int64_t> group_quota;
  /// DEFAULT: QuotaMode::AtLeast.
  QuotaMode quota_mode = QuotaMode::AtLeast;
  /// Size n or empty: zone id per demand point (e.g. kecamatan), -1 = no zone (MCLP only).
  std::span<const std::int32_t> demand_zone;
  /// Minimum covered share of the zone's total weight per zone id, in [0, 1]; NaN = none.
  std::span<const double> zone_floor;
};

/// Solver settings shared by the three models.
struct SitingOptions {
  /// Worker threads for gain evaluation. DEFAULT: 0 = automatic: one thread for instances
  /// with fewer than 10^6 stored entries, the hardware concurrency above (measured with
  /// benchmarks/bench_siting.py --threads-sweep; see docs/siting.md). Results do not depend on it.
  int threads = 0;
  /// Run 1-swap local search after the greedy. DEFAULT: true.
  bool local_search = true;
  /// Upper limit on accepted swaps (guards against pathological plateaus). DEFAULT: 10000.
  std::size_t max_swaps = 10000;
  /// Exact marginal gains (O(nnz) each) are evaluated at every greedy iterate for the
  /// bound when nnz * (p + 1) stays below this; above it only the final set gets exact
  /// gains and the iterates use the (still valid) lazy upper bounds. DEFAULT: 2e8.
  double bound_work_limit = 2e8;
  /// Subgradient iterations of the Lagrangian bounds (MCLP upper, p-median lower); each
  /// costs O(nnz). 0 = no Lagrangian bound. DEFAULT: 300.
  int lagrangian_iterations = 300;
  /// Shakes of the variable neighbourhood search after the swap search (MCLP and p-median;
  /// Hansen & Mladenović 1997): k = 1, 2, … sites of the best set are replaced by random
  /// quota-feasible candidates (fixed seed, so runs are reproducible), the swap search runs
  /// again, and k goes back to 1 on improvement. 0 = no shakes. DEFAULT: 30.
  int shake_rounds = 30;
  /// Work cap of the shakes, in entry visits (each swap-search sweep costs about nnz + n + m·p).
  /// The shakes stop once this much work is spent, so large instances are not held up.
  /// DEFAULT: 5e8.
  double shake_work_limit = 5e8;
  /// LSCP: after redundancy elimination, apply 2-for-1 moves (two chosen sites replaced by one
  /// candidate covering every point only they cover) until none is left. DEFAULT: true.
  bool pair_moves = true;
  /// The Lagrangian iterations and the restarts of the local search stop once the certified
  /// relative gap is at most this (the bound stays valid; it is just not tightened further).
  /// DEFAULT: 1e-4 (0.01 %).
  double gap_tolerance = 1e-4;
};

/// What a solver returns. Fields that do not apply to a model are empty / NaN.
struct SitingResult {
  /// Chosen new sites (candidate indices) in order of selection (a swapped-in site takes
  /// the place of the one it replaced).
  std::vector<std::int64_t> sites;
  /// Objective improvement of sites[k] given fixed sites and sites[0..k) (MCLP: covered
  /// weight; LSCP: newly covered points; p-median: reduction of the weighted cost, with
  /// unassigned demand priced at the penalty `unassigned_cost`).
  std::vector<double> marginal_gain;
  /// MCLP: covered weight (including pre-covered); LSCP: number of new sites;
  /// p-median: sum of w_i * cost to the nearest open site (+inf if a reachable point is
  /// left without an open site in reach).
  double objective = 0;
  /// MCLP: certified upper bound on the optimum. LSCP, p-median: certified lower bound.
  double bound = 0;
  /// |bound - objective| / max(|objective|, |bound|) (0 when both are 0).
  double gap = 0;
  /// MCLP/LSCP: 1 if the demand point is covered (by fixed, pre-covered or chosen sites).
  std::vector<std::uint8_t> covered;
  /// LSCP: 1 if no candidate can cover the point (and it is not pre-covered).
  /// p-median: 1 if the point has no entry at all (excluded from the objective).
  std::vector<std::uint8_t> unreachable;
  /// p-median: the open site (fixed or new) each demand point is assigned to, -1 = none.
  std::vector<std::int64_t> assignment;
  /// Objective value of the greedy before local search.
  double greedy_objective = 0;
  /// Swaps accepted by the local search.
  std::size_t swaps = 0;
  /// MCLP with zone floors: whether every floor is met (true when there are none).
  bool floors_met = true;
  /// p-median: the per-unit-weight penalty M for unassigned demand in the heuristic,
  /// 2 · max cost · min(Σw / min w, 1e6) + 1, so serving every point comes first.
  double unassigned_cost = std::numeric_limits<double>::quiet_NaN();
  /// p-median without group quotas: per candidate, a lower bound on the cost of every
  /// solution with that candidate open (`open_bound`) and with it closed (`closed_bound`),
  /// from the Lagrangian relaxation (the best over its iterations; Beasley 1993). A value
  /// above an incumbent's cost proves the candidate closed (open) in every solution at least
  /// as good. Empty for the other models, with quotas, or when no Lagrangian iteration ran.
  std::vector<double> open_bound, closed_bound;
  /// p-median, same condition as `open_bound`: the Lagrangian multipliers λ_i (cost units,
  /// λ_i / w_i in distance units) of the best bound L(λ); 0 for points that need no site.
  /// Used to truncate the exact radius model without weakening its bound below L(λ).
  std::vector<double> multipliers;
};

/// Maximal covering location problem: choose p new sites maximising the total weight of
/// covered demand points. Lazy greedy (Minoux) + 1-swap local search (interchange with
/// incremental cover counts) + variable neighbourhood search (options.shake_rounds, not with
/// zone floors); `bound` is the
/// smaller of the Nemhauser–Wolsey online bound min over iterates S of
/// f(S) + max_{feasible T} Σ_{j∈T} Δ_j(S) (partition-matroid form with quotas) and a
/// Lagrangian relaxation of the coverage constraints (whose site set also seeds a second
/// local search). Zone floors are pursued heuristically
/// first and reported in `floors_met`; the bound ignores them (so it stays valid).
/// Throws InvalidInputError for malformed arrays, InfeasibleError when p or the quotas
/// cannot be met by the candidates.
SitingResult solve_mclp(const SitingProblem& problem, std::size_t p, const SitingOptions& options = {},
                        Monitor& monitor = null_monitor());

/// Location set covering problem: the fewest new sites covering every coverable demand
/// point (points no candidate covers are reported in `unreachable`). Greedy set cover +
/// redundancy elimination + 2-for-1 moves (options.pair_moves), repeated with Lagrangian multipliers as point scores
/// (the smaller cover wins); `bound` is a lower bound: the largest of the quota sum, a packing of demand points no
/// candidate covers twice, and ceil of a Lagrangian (LP-strength) bound. Only QuotaMode::AtLeast is allowed
/// (InvalidInputError otherwise).
SitingResult solve_lscp(const SitingProblem& problem, const SitingOptions& options = {},
                        Monitor& monitor = null_monitor());

/// p-median: choose p new sites minimising Σ w_i · min_{open j} c_ij. Lazy greedy +
/// fast 1-swap interchange (Whitaker 1983; gain/loss/extra terms from the closest and
/// second-closest open site, Resende & Werneck 2004), restarted from the Lagrangian
/// relaxation's site sets, then variable neighbourhood search (options.shake_rounds); `bound` is a lower bound: the
/// max of the submodular bound at the final set and a Lagrangian relaxation of the assignment constraints maximised
/// by subgradient steps. Demand points without any entry are excluded and flagged in `unreachable`; zero-weight
/// points need no assignment. Throws as solve_mclp; zone floors are refused.
SitingResult solve_p_median(const SitingProblem& problem, std::size_t p, const SitingOptions& options = {},
                            Monitor& monitor = null_monitor());

/// Solves `model` (p is ignored for LSCP). Throws as the model's solve_* function, and
/// InvalidInputError for a model value outside the enum.
SitingResult solve_siting(SitingModel model, const SitingProblem& problem, std::size_t p,
                          const SitingOptions& options = {}, Monitor& monitor = null_monitor());

/// Maximum of Σ_{j∈T} value_j over sets T of `count` candidates obeying the quotas of
/// `problem` (AtLeast: ≥ quota per group; Exactly: = quota per group), with candidates in
/// `excluded` (size m, non-zero = excluded) left out. Used for the bounds; exposed for tests.
double best_feasible_sum(const SitingProblem& problem, std::span<const double> value, std::size_t count,
                         std::span<const std::uint8_t> excluded = {});

}  // namespace jangkau
