#pragma once
// Internal parts of the siting solvers (core/siting.hpp) that every model uses: the
// checked view of an instance, group-quota bookkeeping and the best quota-feasible set.
//
// How the siting code is split (one home per concept):
//   siting_instance      instance view + validation, quotas, best feasible set (this file)
//   siting_cover         coverage counts and zone floors (MCLP and LSCP)
//   siting_greedy        lazy greedy (Minoux) over a submodular gain (all three models)
//   siting_subgradient   the Polyak subgradient loop of the Lagrangian bounds (all three)
//   siting_local_search  1-swap local search + restarts from Lagrangian site sets (MCLP,
//                        p-median; LSCP's improvement step is redundancy elimination and
//                        its Lagrangian restart a re-scored greedy, both in siting_lscp.cpp)
//   siting_mclp / siting_lscp / siting_pmedian .cpp   one file per model: its state, its
//                        move evaluation, its relaxation, and the solve_* entry point
//   siting.cpp           solve_siting (dispatch on SitingModel) and best_feasible_sum
// The shared loops are templates over the model (no virtual call in the inner loops).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "error.hpp"
#include "parallel.hpp"
#include "siting.hpp"

namespace jangkau::detail {

/// Cover count of a point covered by fixed sites or pre-coverage (never decremented).
inline constexpr std::int32_t kBase = 1 << 30;

/// Error context naming a field of SitingProblem (and optionally an index in it).
inline ErrorContext field_ctx(const char* field, std::int64_t feature = -1) {
  return ErrorContext{"", feature, field};
}

/// Sizes and accessors of a problem. Call `validate` before using it.
struct Instance {
  const SitingProblem& pr;
  std::size_t n = 0;  ///< demand points
  std::size_t m = 0;  ///< candidates

  explicit Instance(const SitingProblem& problem) : pr(problem) {}

  /// An entry counts when its cost is finite and within max_cost (inf = no connection).
  bool active(std::int64_t e) const {
    if (pr.cost.empty()) return true;
    double c = pr.cost[static_cast<std::size_t>(e)];
    return c <= pr.max_cost && c < std::numeric_limits<double>::infinity();
  }
  double cost(std::int64_t e) const { return pr.cost.empty() ? 0.0 : pr.cost[static_cast<std::size_t>(e)]; }
  std::int64_t begin(std::size_t j) const { return pr.offsets[j]; }
  std::int64_t end(std::size_t j) const { return pr.offsets[j + 1]; }
  std::size_t demand(std::int64_t e) const {
    return static_cast<std::size_t>(pr.demand_index[static_cast<std::size_t>(e)]);
  }
  double weight(std::size_t i) const { return pr.demand_weight[i]; }
};

/// Checks every array of the problem and sets in.n, in.m. Throws InvalidInputError naming
/// the field (and index) that is wrong.
void validate(Instance& in);

/// 1 for each fixed site, size m.
std::vector<std::uint8_t> fixed_mask(const Instance& in);

/// Throws InfeasibleError when no set of `p` non-fixed candidates satisfies the quotas.
void check_feasible(const Instance& in, std::size_t p, const std::vector<std::uint8_t>& fixed);

/// The input checks of a solve, in order: the arrays (validate), what `model` refuses
/// (InvalidInputError: zone floors except for MCLP, exact quotas for LSCP), then whether p new
/// sites (LSCP: the quota sum) can meet the quotas (InfeasibleError). Returns the fixed-site mask.
std::vector<std::uint8_t> prepare(Instance& in, SitingModel model, std::size_t p);

/// Group quota bookkeeping for a growing (greedy) or swapped (local search) site set of size p.
struct Quotas {
  const SitingProblem& pr;
  std::size_t p;
  bool on;
  std::int64_t sum_q = 0;
  std::vector<std::int64_t> count;
  std::int64_t ungrouped = 0;
  std::int64_t deficit = 0;  ///< Σ_g max(0, q_g - count_g)
  std::size_t chosen = 0;

  Quotas(const SitingProblem& problem, std::size_t p_);
  /// Forgets every site, then adds `sites`.
  void reset(const std::vector<std::int64_t>& sites);
  std::int32_t group(std::size_t j) const { return on ? pr.candidate_group[j] : -1; }
  std::int64_t quota(std::int32_t g) const { return pr.group_quota[static_cast<std::size_t>(g)]; }
  /// Whether j can join without making the quotas unreachable with the remaining sites.
  bool can_add(std::size_t j) const;
  void add(std::size_t j);
  void remove(std::size_t j);
  /// Whether replacing chosen site `out` by `in` keeps the quotas satisfied.
  bool can_swap(std::size_t out, std::size_t in) const {
    if (!on) return true;
    std::int32_t go = group(out), gi = group(in);
    if (go == gi) return true;
    if (pr.quota_mode == QuotaMode::Exactly) return false;
    return go < 0 || count[static_cast<std::size_t>(go)] - 1 >= quota(go);
  }
};

/// The chosen sites of a heuristic and what changes with them: which candidates are taken
/// (fixed or chosen) and the quota counts. `fixed` is the mask of fixed sites.
struct Selection {
  const std::vector<std::uint8_t>& fixed;
  std::vector<std::int64_t> sites;    ///< chosen new sites, in order
  std::vector<std::uint8_t> blocked;  ///< 1 = fixed or chosen
  Quotas quotas;
  std::size_t swaps = 0;  ///< swaps accepted so far

  Selection(const SitingProblem& problem, std::size_t p, const std::vector<std::uint8_t>& fixed_)
      : fixed(fixed_), blocked(fixed_), quotas(problem, p) {}
  /// Chooses candidate j (appended to `sites`).
  void add(std::size_t j) {
    blocked[j] = 1;
    quotas.add(j);
    sites.push_back(static_cast<std::int64_t>(j));
  }
  /// Replaces sites[k] by j.
  void swap(std::size_t k, std::size_t j) {
    auto out = static_cast<std::size_t>(sites[k]);
    quotas.remove(out);
    quotas.add(j);
    blocked[out] = 0;
    blocked[j] = 1;
    sites[k] = static_cast<std::int64_t>(j);
    ++swaps;
  }
  /// Makes `s` the chosen set.
  void reset(const std::vector<std::int64_t>& s) {
    sites = s;
    blocked = fixed;
    for (auto j : s) blocked[static_cast<std::size_t>(j)] = 1;
    quotas.reset(s);
  }
};

/// Stored entries from which the automatic thread count (threads = 0) uses every core.
inline constexpr std::size_t kParallelMinEntries = 1000000;

/// Worker threads of a siting solve: `requested` if > 0; 0 = automatic: one thread below
/// `min_entries` stored entries (default kParallelMinEntries: starting threads for each of the
/// hundreds of short sweeps costs more than it saves there; benchmarks/bench_siting.py
/// --threads-sweep), else the hardware concurrency.
inline unsigned siting_threads(int requested, std::size_t entries, std::size_t min_entries = kParallelMinEntries) {
  if (requested > 0) return static_cast<unsigned>(requested);
  return entries < min_entries ? 1u : thread_count(0);
}

/// Strict order "a before b": larger value first, ties by smaller index.
inline bool better(double a, std::size_t ja, double b, std::size_t jb) { return a > b || (a == b && ja < jb); }

/// |a - b| / max(|a|, |b|), 0 when both are 0.
double rel_gap(double a, double b);

/// The feasible set T (|T| = count, quotas of `pr` obeyed, `excluded` left out) maximising
/// Σ value. Greedy per group is optimal here: the feasible sets are the bases of a laminar matroid.
std::vector<std::size_t> best_feasible_set(const SitingProblem& pr, std::span<const double> value, std::size_t count,
                                           std::span<const std::uint8_t> excluded);

/// Σ value[j] over j in set.
double sum_of(std::span<const double> value, const std::vector<std::size_t>& set);

}  // namespace jangkau::detail
