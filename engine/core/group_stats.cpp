#include "group_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "error.hpp"

namespace jangkau {

GroupStats weighted_group_stats(std::span<const double> values, std::span<const double> weights,
                                std::span<const std::int64_t> groups, std::size_t n_groups,
                                std::span<const double> probabilities) {
  if (values.size() != weights.size() || values.size() != groups.size())
    throw InvalidInputError("weighted_group_stats: values, weights and groups differ in length");
  for (double p : probabilities)
    if (!(p >= 0.0 && p <= 1.0)) throw InvalidInputError("quantile probabilities must be in [0, 1]");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  GroupStats out;
  out.weight.assign(n_groups, 0.0);
  out.mean.assign(n_groups, nan);
  out.quantiles.assign(probabilities.size() * n_groups, nan);
  // Bucket the kept entries by group (counting sort), then sort each bucket by value.
  std::vector<std::size_t> start(n_groups + 1, 0);
  auto kept = [&](std::size_t i) {
    return weights[i] > 0.0 && groups[i] >= 0 && static_cast<std::size_t>(groups[i]) < n_groups &&
           !std::isnan(values[i]);
  };
  for (std::size_t i = 0; i < values.size(); ++i)
    if (kept(i)) ++start[static_cast<std::size_t>(groups[i]) + 1];
  for (std::size_t k = 0; k < n_groups; ++k) start[k + 1] += start[k];
  std::vector<std::size_t> order(start.back());
  {
    std::vector<std::size_t> fill(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < values.size(); ++i)
      if (kept(i)) order[fill[static_cast<std::size_t>(groups[i])]++] = i;
  }
  for (std::size_t k = 0; k < n_groups; ++k) {
    auto b = order.begin() + static_cast<std::ptrdiff_t>(start[k]);
    auto e = order.begin() + static_cast<std::ptrdiff_t>(start[k + 1]);
    if (b == e) continue;
    // Stable sort by (value, index): deterministic.
    std::stable_sort(b, e, [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
    double w = 0.0, wv = 0.0;
    bool infinite = false;
    for (auto it = b; it != e; ++it) {
      w += weights[*it];
      if (std::isinf(values[*it]))
        infinite = true;
      else
        wv += weights[*it] * values[*it];
    }
    out.weight[k] = w;
    out.mean[k] = infinite ? std::numeric_limits<double>::infinity() : wv / w;
    for (std::size_t q = 0; q < probabilities.size(); ++q) {
      const double target = probabilities[q] * w;
      double cum = 0.0;
      double v = values[*(e - 1)];
      for (auto it = b; it != e; ++it) {
        cum += weights[*it];
        if (cum >= target) {
          v = values[*it];
          break;
        }
      }
      out.quantiles[q * n_groups + k] = v;
    }
  }
  return out;
}

}  // namespace jangkau
