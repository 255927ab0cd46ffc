#pragma once
// Weighted statistics of a value per group (zone, facility, ...): total weight, weighted mean
// and weighted quantiles, on plain arrays.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace jangkau {

/// Weighted summaries of a value per group.
struct GroupStats {
  /// Σ weight per group.
  std::vector<double> weight;
  /// Σ weight·value / Σ weight per group (NaN for a group with no weight).
  std::vector<double> mean;
  /// quantiles[q·n_groups + k] is quantile q of group k (NaN for a group with no weight).
  std::vector<double> quantiles;
};

/// Per group k in [0, n_groups): the total weight, the weighted mean and the weighted
/// quantiles of `values` over the entries i with groups[i] == k. The weighted quantile p
/// is the smallest value v such that the weight of entries with value ≤ v is at least
/// p·(total weight) (the inverted-CDF rule, numpy's method="inverted_cdf" with weights).
/// Entries with weight ≤ 0, a group outside [0, n_groups) (e.g. −1) or a NaN value are
/// ignored; infinite values (unreachable) are kept and can be quantiles. Throws
/// InvalidInputError if the arrays differ in length or a probability is outside [0, 1].
GroupStats weighted_group_stats(std::span<const double> values, std::span<const double> weights,
                                std::span<const std::int64_t> groups, std::size_t n_groups,
                                std::span<const double> probabilities);

}  // namespace jangkau
