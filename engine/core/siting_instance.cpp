#include "siting_instance.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace jangkau::detail {

void validate(Instance& in) {
  const SitingProblem& pr = in.pr;
  if (pr.offsets.empty()) throw InvalidInputError("offsets must have m + 1 >= 1 entries", field_ctx("offsets"));
  in.n = pr.demand_weight.size();
  in.m = pr.offsets.size() - 1;
  if (pr.offsets[0] != 0) throw InvalidInputError("offsets[0] must be 0", field_ctx("offsets", 0));
  for (std::size_t j = 0; j < in.m; ++j)
    if (pr.offsets[j + 1] < pr.offsets[j])
      throw InvalidInputError("offsets must be non-decreasing",
                              field_ctx("offsets", static_cast<std::int64_t>(j + 1)));
  if (static_cast<std::size_t>(pr.offsets[in.m]) != pr.demand_index.size())
    throw InvalidInputError("offsets[m] must equal the number of entries (" + std::to_string(pr.demand_index.size()) +
                                ")",
                            field_ctx("offsets", static_cast<std::int64_t>(in.m)));
  if (!pr.cost.empty() && pr.cost.size() != pr.demand_index.size())
    throw InvalidInputError("cost must be empty or have one value per entry", field_ctx("cost"));
  if (std::isnan(pr.max_cost)) throw InvalidInputError("max_cost must not be NaN", field_ctx("max_cost"));
  for (std::size_t i = 0; i < in.n; ++i)
    if (!(pr.demand_weight[i] >= 0) || !std::isfinite(pr.demand_weight[i]))
      throw InvalidInputError("demand weights must be finite and >= 0",
                              field_ctx("demand_weight", static_cast<std::int64_t>(i)));
  for (std::size_t e = 0; e < pr.cost.size(); ++e)
    if (!(pr.cost[e] >= 0))
      throw InvalidInputError("costs must be >= 0 (inf allowed, NaN not)",
                              field_ctx("cost", static_cast<std::int64_t>(e)));
  // Duplicate (demand, candidate) pairs would count a point twice in a gain.
  std::vector<std::int64_t> seen(in.n, -1);
  for (std::size_t j = 0; j < in.m; ++j)
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e) {
      std::int64_t i = pr.demand_index[static_cast<std::size_t>(e)];
      if (i < 0 || static_cast<std::size_t>(i) >= in.n)
        throw InvalidInputError("demand index out of range [0, " + std::to_string(in.n) + ")",
                                field_ctx("demand_index", e));
      if (seen[static_cast<std::size_t>(i)] == static_cast<std::int64_t>(j))
        throw InvalidInputError("duplicate (demand " + std::to_string(i) + ", candidate " + std::to_string(j) +
                                    ") entry",
                                field_ctx("demand_index", e));
      seen[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(j);
    }
  if (!pr.precovered.empty() && pr.precovered.size() != in.n)
    throw InvalidInputError("precovered must be empty or have one value per demand point", field_ctx("precovered"));
  std::vector<std::uint8_t> fixed(in.m, 0);
  for (std::size_t k = 0; k < pr.fixed_sites.size(); ++k) {
    std::int64_t j = pr.fixed_sites[k];
    if (j < 0 || static_cast<std::size_t>(j) >= in.m)
      throw InvalidInputError("fixed site out of range [0, " + std::to_string(in.m) + ")",
                              field_ctx("fixed_sites", static_cast<std::int64_t>(k)));
    if (fixed[static_cast<std::size_t>(j)])
      throw InvalidInputError("fixed site listed twice", field_ctx("fixed_sites", static_cast<std::int64_t>(k)));
    fixed[static_cast<std::size_t>(j)] = 1;
  }
  if (!pr.candidate_group.empty() && pr.candidate_group.size() != in.m)
    throw InvalidInputError("candidate_group must be empty or have one value per candidate",
                            field_ctx("candidate_group"));
  if (!pr.group_quota.empty() && pr.candidate_group.empty())
    throw InvalidInputError("group quotas need candidate_group", field_ctx("group_quota"));
  const auto groups = static_cast<std::int32_t>(pr.group_quota.size());
  if (!pr.group_quota.empty())
    for (std::size_t j = 0; j < in.m; ++j)
      if (pr.candidate_group[j] < -1 || pr.candidate_group[j] >= groups)
        throw InvalidInputError("group id out of range [-1, " + std::to_string(groups) + ")",
                                field_ctx("candidate_group", static_cast<std::int64_t>(j)));
  for (std::size_t g = 0; g < pr.group_quota.size(); ++g)
    if (pr.group_quota[g] < 0)
      throw InvalidInputError("quotas must be >= 0", field_ctx("group_quota", static_cast<std::int64_t>(g)));
  if (!pr.demand_zone.empty() && pr.demand_zone.size() != in.n)
    throw InvalidInputError("demand_zone must be empty or have one value per demand point", field_ctx("demand_zone"));
  if (!pr.zone_floor.empty() && pr.demand_zone.empty())
    throw InvalidInputError("zone floors need demand_zone", field_ctx("zone_floor"));
  const auto zones = static_cast<std::int32_t>(pr.zone_floor.size());
  if (!pr.zone_floor.empty())
    for (std::size_t i = 0; i < in.n; ++i)
      if (pr.demand_zone[i] < -1 || pr.demand_zone[i] >= zones)
        throw InvalidInputError("zone id out of range [-1, " + std::to_string(zones) + ")",
                                field_ctx("demand_zone", static_cast<std::int64_t>(i)));
  for (std::size_t z = 0; z < pr.zone_floor.size(); ++z) {
    double f = pr.zone_floor[z];
    if (!std::isnan(f) && !(f >= 0 && f <= 1))
      throw InvalidInputError("zone floor shares must be in [0, 1] (or NaN for none)",
                              field_ctx("zone_floor", static_cast<std::int64_t>(z)));
  }
}

std::vector<std::uint8_t> fixed_mask(const Instance& in) {
  std::vector<std::uint8_t> fixed(in.m, 0);
  for (auto j : in.pr.fixed_sites) fixed[static_cast<std::size_t>(j)] = 1;
  return fixed;
}

void check_feasible(const Instance& in, std::size_t p, const std::vector<std::uint8_t>& fixed) {
  const SitingProblem& pr = in.pr;
  std::size_t free_count = 0;
  std::vector<std::int64_t> per_group(pr.group_quota.size(), 0);
  std::int64_t ungrouped = 0;
  for (std::size_t j = 0; j < in.m; ++j) {
    if (fixed[j]) continue;
    ++free_count;
    if (!pr.group_quota.empty()) {
      if (pr.candidate_group[j] >= 0)
        ++per_group[static_cast<std::size_t>(pr.candidate_group[j])];
      else
        ++ungrouped;
    }
  }
  if (p > free_count)
    throw InfeasibleError("p = " + std::to_string(p) + " exceeds the " + std::to_string(free_count) +
                          " candidates that are not fixed");
  std::int64_t sum_q = 0;
  for (std::size_t g = 0; g < pr.group_quota.size(); ++g) {
    sum_q += pr.group_quota[g];
    if (per_group[g] < pr.group_quota[g])
      throw InfeasibleError("group " + std::to_string(g) + " needs " + std::to_string(pr.group_quota[g]) +
                                " sites but has only " + std::to_string(per_group[g]) + " candidates",
                            field_ctx("group_quota", static_cast<std::int64_t>(g)));
  }
  if (sum_q > static_cast<std::int64_t>(p))
    throw InfeasibleError("the quotas sum to " + std::to_string(sum_q) + " > p = " + std::to_string(p),
                          field_ctx("group_quota"));
  if (pr.quota_mode == QuotaMode::Exactly && !pr.group_quota.empty() &&
      ungrouped < static_cast<std::int64_t>(p) - sum_q)
    throw InfeasibleError("exact quotas sum to " + std::to_string(sum_q) + " and only " + std::to_string(ungrouped) +
                              " ungrouped candidates remain for the other " +
                              std::to_string(static_cast<std::int64_t>(p) - sum_q) + " sites",
                          field_ctx("group_quota"));
}

std::vector<std::uint8_t> prepare(Instance& in, SitingModel model, std::size_t p) {
  validate(in);
  const SitingProblem& pr = in.pr;
  if (model == SitingModel::LSCP) {
    if (!pr.group_quota.empty() && pr.quota_mode == QuotaMode::Exactly)
      throw InvalidInputError("LSCP minimises the number of sites: only at-least quotas are allowed",
                              field_ctx("quota_mode"));
    if (!pr.zone_floor.empty())
      throw InvalidInputError("LSCP covers every coverable point: zone floors do not apply", field_ctx("zone_floor"));
    std::int64_t sum_q = 0;
    for (auto q : pr.group_quota) sum_q += q;
    p = static_cast<std::size_t>(sum_q);
  }
  if (model == SitingModel::PMedian && !pr.zone_floor.empty())
    throw InvalidInputError("zone floors apply to MCLP only", field_ctx("zone_floor"));
  auto fixed = fixed_mask(in);
  check_feasible(in, p, fixed);
  return fixed;
}

Quotas::Quotas(const SitingProblem& problem, std::size_t p_) : pr(problem), p(p_), on(!problem.group_quota.empty()) {
  count.assign(pr.group_quota.size(), 0);
  for (auto q : pr.group_quota) sum_q += q;
  deficit = sum_q;
}

void Quotas::reset(const std::vector<std::int64_t>& sites) {
  std::fill(count.begin(), count.end(), 0);
  ungrouped = 0;
  deficit = sum_q;
  chosen = 0;
  for (auto j : sites) add(static_cast<std::size_t>(j));
}

bool Quotas::can_add(std::size_t j) const {
  if (!on) return true;
  std::int32_t g = group(j);
  auto remaining = static_cast<std::int64_t>(p - chosen);
  if (pr.quota_mode == QuotaMode::Exactly) {
    if (g >= 0) return count[static_cast<std::size_t>(g)] < quota(g);
    return ungrouped < static_cast<std::int64_t>(p) - sum_q;
  }
  if (g >= 0 && count[static_cast<std::size_t>(g)] < quota(g)) return true;
  return remaining > deficit;
}

void Quotas::add(std::size_t j) {
  ++chosen;
  std::int32_t g = group(j);
  if (g < 0) {
    ++ungrouped;
    return;
  }
  if (count[static_cast<std::size_t>(g)] < quota(g)) --deficit;
  ++count[static_cast<std::size_t>(g)];
}

void Quotas::remove(std::size_t j) {
  --chosen;
  std::int32_t g = group(j);
  if (g < 0) {
    --ungrouped;
    return;
  }
  --count[static_cast<std::size_t>(g)];
  if (count[static_cast<std::size_t>(g)] < quota(g)) ++deficit;
}

double rel_gap(double a, double b) {
  double d = std::max(std::abs(a), std::abs(b));
  if (d == 0) return 0;
  return std::max(0.0, std::abs(a - b) / d);
}

namespace {

/// Indices of the `count` largest values among `idx` (ties: smaller index); appends to out.
void take_top(std::vector<std::size_t>& idx, std::span<const double> value, std::size_t count,
              std::vector<std::size_t>& out) {
  count = std::min(count, idx.size());
  if (count == 0) return;
  auto cmp = [&](std::size_t a, std::size_t b) { return better(value[a], a, value[b], b); };
  if (count < idx.size())
    std::nth_element(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(count - 1), idx.end(), cmp);
  std::sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(count), cmp);
  out.insert(out.end(), idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(count));
}

}  // namespace

std::vector<std::size_t> best_feasible_set(const SitingProblem& pr, std::span<const double> value, std::size_t count,
                                           std::span<const std::uint8_t> excluded) {
  const std::size_t m = value.size();
  std::vector<std::size_t> out;
  auto ok = [&](std::size_t j) { return excluded.empty() || !excluded[j]; };
  if (pr.group_quota.empty()) {
    std::vector<std::size_t> all;
    all.reserve(m);
    for (std::size_t j = 0; j < m; ++j)
      if (ok(j)) all.push_back(j);
    take_top(all, value, count, out);
    return out;
  }
  const std::size_t groups = pr.group_quota.size();
  std::vector<std::vector<std::size_t>> members(groups);
  std::vector<std::size_t> rest;
  for (std::size_t j = 0; j < m; ++j) {
    if (!ok(j)) continue;
    std::int32_t g = pr.candidate_group[j];
    if (g >= 0)
      members[static_cast<std::size_t>(g)].push_back(j);
    else
      rest.push_back(j);
  }
  std::int64_t sum_q = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    std::size_t before = out.size();
    take_top(members[g], value, static_cast<std::size_t>(pr.group_quota[g]), out);
    sum_q += static_cast<std::int64_t>(out.size() - before);
    if (pr.quota_mode == QuotaMode::AtLeast) {
      std::size_t q = std::min(members[g].size(), static_cast<std::size_t>(pr.group_quota[g]));
      rest.insert(rest.end(), members[g].begin() + static_cast<std::ptrdiff_t>(q), members[g].end());
    }
  }
  auto left = static_cast<std::int64_t>(count) - sum_q;
  if (left > 0) take_top(rest, value, static_cast<std::size_t>(left), out);
  return out;
}

double sum_of(std::span<const double> value, const std::vector<std::size_t>& set) {
  double s = 0;
  for (auto j : set) s += value[j];
  return s;
}

}  // namespace jangkau::detail
