#include "siting.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>
#include <string>

#include "error.hpp"
#include "parallel.hpp"

namespace jangkau {
namespace detail {
namespace {

constexpr std::int32_t kBase = 1 << 30;  // cover count of points covered by fixed/pre-covered sites

ErrorContext field_ctx(const char* field, std::int64_t feature = -1) { return ErrorContext{"", feature, field}; }

/// Sizes and a checked view of the problem, shared by the three solvers.
struct Instance {
  const SitingProblem& pr;
  std::size_t n = 0;
  std::size_t m = 0;

  explicit Instance(const SitingProblem& problem) : pr(problem) {}

  // An entry counts when its cost is finite and within max_cost (inf = no connection).
  bool active(std::int64_t e) const {
    if (pr.cost.empty()) return true;
    double c = pr.cost[static_cast<std::size_t>(e)];
    return c <= pr.max_cost && c < std::numeric_limits<double>::infinity();
  }
  double cost(std::int64_t e) const { return pr.cost.empty() ? 0.0 : pr.cost[static_cast<std::size_t>(e)]; }
  std::int64_t begin(std::size_t j) const { return pr.offsets[j]; }
  std::int64_t end(std::size_t j) const { return pr.offsets[j + 1]; }
  std::size_t demand(std::int64_t e) const { return static_cast<std::size_t>(pr.demand_index[static_cast<std::size_t>(e)]); }
  double weight(std::size_t i) const { return pr.demand_weight[i]; }
};

void validate(Instance& in) {
  const SitingProblem& pr = in.pr;
  if (pr.offsets.empty()) throw InvalidInputError("offsets must have m + 1 >= 1 entries", field_ctx("offsets"));
  in.n = pr.demand_weight.size();
  in.m = pr.offsets.size() - 1;
  if (pr.offsets[0] != 0) throw InvalidInputError("offsets[0] must be 0", field_ctx("offsets", 0));
  for (std::size_t j = 0; j < in.m; ++j)
    if (pr.offsets[j + 1] < pr.offsets[j])
      throw InvalidInputError("offsets must be non-decreasing", field_ctx("offsets", static_cast<std::int64_t>(j + 1)));
  if (static_cast<std::size_t>(pr.offsets[in.m]) != pr.demand_index.size())
    throw InvalidInputError("offsets[m] must equal the number of entries (" + std::to_string(pr.demand_index.size()) + ")",
                            field_ctx("offsets", static_cast<std::int64_t>(in.m)));
  if (!pr.cost.empty() && pr.cost.size() != pr.demand_index.size())
    throw InvalidInputError("cost must be empty or have one value per entry", field_ctx("cost"));
  if (std::isnan(pr.max_cost)) throw InvalidInputError("max_cost must not be NaN", field_ctx("max_cost"));
  for (std::size_t i = 0; i < in.n; ++i)
    if (!(pr.demand_weight[i] >= 0) || !std::isfinite(pr.demand_weight[i]))
      throw InvalidInputError("demand weights must be finite and >= 0", field_ctx("demand_weight", static_cast<std::int64_t>(i)));
  for (std::size_t e = 0; e < pr.cost.size(); ++e)
    if (!(pr.cost[e] >= 0)) throw InvalidInputError("costs must be >= 0 (inf allowed, NaN not)", field_ctx("cost", static_cast<std::int64_t>(e)));
  // Duplicate (demand, candidate) pairs would count a point twice in a gain.
  std::vector<std::int64_t> seen(in.n, -1);
  for (std::size_t j = 0; j < in.m; ++j)
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e) {
      std::int64_t i = pr.demand_index[static_cast<std::size_t>(e)];
      if (i < 0 || static_cast<std::size_t>(i) >= in.n)
        throw InvalidInputError("demand index out of range [0, " + std::to_string(in.n) + ")", field_ctx("demand_index", e));
      if (seen[static_cast<std::size_t>(i)] == static_cast<std::int64_t>(j))
        throw InvalidInputError("duplicate (demand " + std::to_string(i) + ", candidate " + std::to_string(j) + ") entry",
                                field_ctx("demand_index", e));
      seen[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(j);
    }
  if (!pr.precovered.empty() && pr.precovered.size() != in.n)
    throw InvalidInputError("precovered must be empty or have one value per demand point", field_ctx("precovered"));
  std::vector<std::uint8_t> fixed(in.m, 0);
  for (std::size_t k = 0; k < pr.fixed_sites.size(); ++k) {
    std::int64_t j = pr.fixed_sites[k];
    if (j < 0 || static_cast<std::size_t>(j) >= in.m)
      throw InvalidInputError("fixed site out of range [0, " + std::to_string(in.m) + ")", field_ctx("fixed_sites", static_cast<std::int64_t>(k)));
    if (fixed[static_cast<std::size_t>(j)]) throw InvalidInputError("fixed site listed twice", field_ctx("fixed_sites", static_cast<std::int64_t>(k)));
    fixed[static_cast<std::size_t>(j)] = 1;
  }
  if (!pr.candidate_group.empty() && pr.candidate_group.size() != in.m)
    throw InvalidInputError("candidate_group must be empty or have one value per candidate", field_ctx("candidate_group"));
  if (!pr.group_quota.empty() && pr.candidate_group.empty())
    throw InvalidInputError("group quotas need candidate_group", field_ctx("group_quota"));
  const auto groups = static_cast<std::int32_t>(pr.group_quota.size());
  if (!pr.group_quota.empty())
    for (std::size_t j = 0; j < in.m; ++j)
      if (pr.candidate_group[j] < -1 || pr.candidate_group[j] >= groups)
        throw InvalidInputError("group id out of range [-1, " + std::to_string(groups) + ")", field_ctx("candidate_group", static_cast<std::int64_t>(j)));
  for (std::size_t g = 0; g < pr.group_quota.size(); ++g)
    if (pr.group_quota[g] < 0) throw InvalidInputError("quotas must be >= 0", field_ctx("group_quota", static_cast<std::int64_t>(g)));
  if (!pr.demand_zone.empty() && pr.demand_zone.size() != in.n)
    throw InvalidInputError("demand_zone must be empty or have one value per demand point", field_ctx("demand_zone"));
  if (!pr.zone_floor.empty() && pr.demand_zone.empty())
    throw InvalidInputError("zone floors need demand_zone", field_ctx("zone_floor"));
  const auto zones = static_cast<std::int32_t>(pr.zone_floor.size());
  if (!pr.zone_floor.empty())
    for (std::size_t i = 0; i < in.n; ++i)
      if (pr.demand_zone[i] < -1 || pr.demand_zone[i] >= zones)
        throw InvalidInputError("zone id out of range [-1, " + std::to_string(zones) + ")", field_ctx("demand_zone", static_cast<std::int64_t>(i)));
  for (std::size_t z = 0; z < pr.zone_floor.size(); ++z) {
    double f = pr.zone_floor[z];
    if (!std::isnan(f) && !(f >= 0 && f <= 1))
      throw InvalidInputError("zone floor shares must be in [0, 1] (or NaN for none)", field_ctx("zone_floor", static_cast<std::int64_t>(z)));
  }
}

/// Group quota bookkeeping for a growing (greedy) or swapped (local search) site set.
struct Quotas {
  const SitingProblem& pr;
  std::size_t p;
  bool on;
  std::int64_t sum_q = 0;
  std::vector<std::int64_t> count;
  std::int64_t ungrouped = 0;
  std::int64_t deficit = 0;  // Σ_g max(0, q_g - count_g)
  std::size_t chosen = 0;

  Quotas(const SitingProblem& problem, std::size_t p_) : pr(problem), p(p_), on(!problem.group_quota.empty()) {
    count.assign(pr.group_quota.size(), 0);
    for (auto q : pr.group_quota) sum_q += q;
    deficit = sum_q;
  }
  /// Forgets every site, then adds `sites`.
  void reset(const std::vector<std::int64_t>& sites) {
    std::fill(count.begin(), count.end(), 0);
    ungrouped = 0;
    deficit = sum_q;
    chosen = 0;
    for (auto j : sites) add(static_cast<std::size_t>(j));
  }
  std::int32_t group(std::size_t j) const { return on ? pr.candidate_group[j] : -1; }
  std::int64_t quota(std::int32_t g) const { return pr.group_quota[static_cast<std::size_t>(g)]; }

  bool can_add(std::size_t j) const {
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
  void add(std::size_t j) {
    ++chosen;
    std::int32_t g = group(j);
    if (g < 0) {
      ++ungrouped;
      return;
    }
    if (count[static_cast<std::size_t>(g)] < quota(g)) --deficit;
    ++count[static_cast<std::size_t>(g)];
  }
  void remove(std::size_t j) {
    --chosen;
    std::int32_t g = group(j);
    if (g < 0) {
      --ungrouped;
      return;
    }
    --count[static_cast<std::size_t>(g)];
    if (count[static_cast<std::size_t>(g)] < quota(g)) ++deficit;
  }
  /// Whether replacing chosen site `out` by `in` keeps the quotas satisfied.
  bool can_swap(std::size_t out, std::size_t in) const {
    if (!on) return true;
    std::int32_t go = group(out), gi = group(in);
    if (go == gi) return true;
    if (pr.quota_mode == QuotaMode::Exactly) return false;
    return go < 0 || count[static_cast<std::size_t>(go)] - 1 >= quota(go);
  }
};

/// Throws InfeasibleError when no set of `p` non-fixed candidates satisfies the quotas.
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
    throw InfeasibleError("p = " + std::to_string(p) + " exceeds the " + std::to_string(free_count) + " candidates that are not fixed");
  std::int64_t sum_q = 0;
  for (std::size_t g = 0; g < pr.group_quota.size(); ++g) {
    sum_q += pr.group_quota[g];
    if (per_group[g] < pr.group_quota[g])
      throw InfeasibleError("group " + std::to_string(g) + " needs " + std::to_string(pr.group_quota[g]) + " sites but has only " +
                                std::to_string(per_group[g]) + " candidates",
                            field_ctx("group_quota", static_cast<std::int64_t>(g)));
  }
  if (sum_q > static_cast<std::int64_t>(p))
    throw InfeasibleError("the quotas sum to " + std::to_string(sum_q) + " > p = " + std::to_string(p), field_ctx("group_quota"));
  if (pr.quota_mode == QuotaMode::Exactly && !pr.group_quota.empty() && ungrouped < static_cast<std::int64_t>(p) - sum_q)
    throw InfeasibleError("exact quotas sum to " + std::to_string(sum_q) + " and only " + std::to_string(ungrouped) +
                              " ungrouped candidates remain for the other " + std::to_string(static_cast<std::int64_t>(p) - sum_q) + " sites",
                          field_ctx("group_quota"));
}

bool better(double a, std::size_t ja, double b, std::size_t jb) { return a > b || (a == b && ja < jb); }

/// Indices of the `count` largest values among `idx` (ties: smaller index); appends to out.
void take_top(std::vector<std::size_t>& idx, std::span<const double> value, std::size_t count, std::vector<std::size_t>& out) {
  count = std::min(count, idx.size());
  if (count == 0) return;
  auto cmp = [&](std::size_t a, std::size_t b) { return better(value[a], a, value[b], b); };
  if (count < idx.size()) std::nth_element(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(count - 1), idx.end(), cmp);
  std::sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(count), cmp);
  out.insert(out.end(), idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(count));
}

/// The feasible set T (|T| = count, quotas obeyed, `excluded` left out) maximising Σ value.
/// Greedy per group is optimal here: the feasible sets are the bases of a laminar matroid.
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

std::vector<std::uint8_t> fixed_mask(const Instance& in) {
  std::vector<std::uint8_t> fixed(in.m, 0);
  for (auto j : in.pr.fixed_sites) fixed[static_cast<std::size_t>(j)] = 1;
  return fixed;
}

struct HeapItem {
  double key;
  std::size_t j;
  std::size_t stamp;
  bool operator<(const HeapItem& o) const { return better(o.key, o.j, key, j); }  // max-heap on (key, -j)
};

/// Lazy greedy (Minoux 1978) over a monotone submodular gain. `gain(j)` returns the exact
/// marginal gain w.r.t. the current set, `commit(j)` adds j. `bound_value[j]` always holds
/// an upper bound of the current gain of j (0 for chosen sites). `hook()` runs after the
/// start and after every selection.
template <class Gain, class Commit, class Hook>
void lazy_greedy(const Instance& in, std::size_t p, Quotas& quotas, std::vector<std::uint8_t>& blocked, std::vector<double>& bound_value,
                 unsigned threads, Monitor& monitor, SitingResult& result, Gain&& gain, Commit&& commit, Hook&& hook) {
  parallel_for(
      in.m, threads,
      [&](std::size_t j, unsigned) {
        if (monitor.cancelled()) return;
        bound_value[j] = blocked[j] ? 0.0 : gain(j);
      },
      16);
  monitor.throw_if_cancelled();
  std::vector<HeapItem> items;
  items.reserve(in.m);
  std::size_t stamp = result.sites.size();
  for (std::size_t j = 0; j < in.m; ++j)
    if (!blocked[j]) items.push_back({bound_value[j], j, stamp});
  std::priority_queue<HeapItem> heap(std::less<HeapItem>(), std::move(items));
  hook();
  while (result.sites.size() < p) {
    if (heap.empty()) throw InfeasibleError("no candidate left that keeps the quotas feasible");
    HeapItem top = heap.top();
    heap.pop();
    if (!quotas.can_add(top.j)) continue;  // quota state only tightens: never allowed again
    if (top.stamp == result.sites.size()) {
      commit(top.j);
      blocked[top.j] = 1;
      bound_value[top.j] = 0;
      quotas.add(top.j);
      result.sites.push_back(static_cast<std::int64_t>(top.j));
      result.marginal_gain.push_back(top.key);
      hook();
      monitor.report("greedy", result.sites.size(), p);
    } else {
      double g = gain(top.j);
      bound_value[top.j] = g;
      heap.push({g, top.j, result.sites.size()});
    }
  }
}

// ----------------------------------------------------------------------------------------
// Coverage state shared by MCLP and LSCP.

struct Cover {
  const Instance& in;
  std::vector<std::int32_t> count;   // open sites covering i (kBase if covered by fixed/pre-covered)
  std::vector<std::int32_t> owner;   // position in `sites` of the single covering site when count == 1
  double base_weight = 0;

  explicit Cover(const Instance& instance) : in(instance), count(instance.n, 0), owner(instance.n, -1) {}

  void init_base(const std::vector<std::uint8_t>& fixed) {
    std::fill(count.begin(), count.end(), 0);
    if (!in.pr.precovered.empty())
      for (std::size_t i = 0; i < in.n; ++i)
        if (in.pr.precovered[i]) count[i] = kBase;
    for (std::size_t j = 0; j < in.m; ++j)
      if (fixed[j])
        for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
          if (in.active(e)) count[in.demand(e)] = kBase;
    base_weight = 0;
    for (std::size_t i = 0; i < in.n; ++i)
      if (count[i] == kBase) base_weight += in.weight(i);
  }
  double gain(std::size_t j) const {
    double g = 0;
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e)) {
        std::size_t i = in.demand(e);
        if (count[i] == 0) g += in.weight(i);
      }
    return g;
  }
  /// Number of uncovered points j would cover (LSCP).
  double gain_count(std::size_t j) const {
    double g = 0;
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e) && count[in.demand(e)] == 0) g += 1;
    return g;
  }
  void add(std::size_t j, std::int32_t pos) {
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e)) {
        std::size_t i = in.demand(e);
        if (count[i] == kBase) continue;
        if (++count[i] == 1) owner[i] = pos;
      }
  }
  void remove(std::size_t j) {
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e)) {
        std::size_t i = in.demand(e);
        if (count[i] != kBase) --count[i];
      }
  }
  /// Rebuilds counts and owners from the fixed sites and `sites`.
  void rebuild(const std::vector<std::uint8_t>& fixed, const std::vector<std::int64_t>& sites) {
    init_base(fixed);
    for (std::size_t k = 0; k < sites.size(); ++k) add(static_cast<std::size_t>(sites[k]), static_cast<std::int32_t>(k));
    for (std::size_t k = 0; k < sites.size(); ++k) {
      // owners must name the unique coverer; recompute after all adds
      auto j = static_cast<std::size_t>(sites[k]);
      for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
        if (in.active(e) && count[in.demand(e)] == 1) owner[in.demand(e)] = static_cast<std::int32_t>(k);
    }
  }
  double covered_weight() const {
    double s = 0;
    for (std::size_t i = 0; i < in.n; ++i)
      if (count[i] > 0) s += in.weight(i);
    return s;
  }
};

/// Zone bookkeeping for equity floors: covered and total weight per zone.
struct Zones {
  const Instance& in;
  std::size_t z = 0;
  std::vector<double> total, target;
  bool on = false;

  explicit Zones(const Instance& instance) : in(instance) {
    const auto& pr = in.pr;
    z = pr.zone_floor.size();
    total.assign(z, 0);
    target.assign(z, 0);
    if (z == 0) return;
    for (std::size_t i = 0; i < in.n; ++i)
      if (pr.demand_zone[i] >= 0) total[static_cast<std::size_t>(pr.demand_zone[i])] += in.weight(i);
    for (std::size_t k = 0; k < z; ++k) {
      double f = pr.zone_floor[k];
      target[k] = std::isnan(f) ? 0.0 : f * total[k];
      if (target[k] > 0) on = true;
    }
  }
  std::vector<double> covered(const Cover& cover) const {
    std::vector<double> c(z, 0);
    for (std::size_t i = 0; i < in.n; ++i) {
      std::int32_t zi = in.pr.demand_zone[i];
      if (zi >= 0 && cover.count[i] > 0) c[static_cast<std::size_t>(zi)] += in.weight(i);
    }
    return c;
  }
  // Relative slack so that a share computed in another summation order still counts as met.
  bool met(double covered, std::size_t k) const { return covered >= target[k] - 1e-12 * std::max(1.0, total[k]); }
  bool all_met(const std::vector<double>& c) const {
    for (std::size_t k = 0; k < z; ++k)
      if (!met(c[k], k)) return false;
    return true;
  }
};

/// Marginal gains of `sites` in order (fixed sites and pre-coverage first).
std::vector<double> sequential_gains_cover(const Instance& in, const std::vector<std::uint8_t>& fixed, const std::vector<std::int64_t>& sites,
                                           bool count_points) {
  Cover c(in);
  c.init_base(fixed);
  std::vector<double> out;
  for (std::size_t k = 0; k < sites.size(); ++k) {
    auto j = static_cast<std::size_t>(sites[k]);
    out.push_back(count_points ? c.gain_count(j) : c.gain(j));
    c.add(j, static_cast<std::int32_t>(k));
  }
  return out;
}

double rel_gap(double a, double b) {
  double d = std::max(std::abs(a), std::abs(b));
  if (d == 0) return 0;
  return std::max(0.0, std::abs(a - b) / d);
}

}  // namespace
}  // namespace detail

double best_feasible_sum(const SitingProblem& problem, std::span<const double> value, std::size_t count,
                         std::span<const std::uint8_t> excluded) {
  auto set = detail::best_feasible_set(problem, value, count, excluded);
  return detail::sum_of(value, set);
}

// ------------------------------------------------------------------------------------------
// MCLP

SitingResult solve_mclp(const SitingProblem& problem, std::size_t p, const SitingOptions& options, Monitor& monitor) {
  using namespace detail;
  Instance in(problem);
  validate(in);
  const auto fixed = fixed_mask(in);
  check_feasible(in, p, fixed);
  const unsigned threads = thread_count(options.threads);
  SitingResult r;
  Cover cover(in);
  cover.init_base(fixed);
  Quotas quotas(problem, p);
  Zones zones(in);
  std::vector<std::uint8_t> blocked = fixed;
  std::vector<double> bound_value(in.m, 0.0);
  double f = cover.base_weight;
  double ub = std::numeric_limits<double>::infinity();
  const auto nnz = static_cast<double>(problem.demand_index.size());
  const bool exact_each = nnz * static_cast<double>(p + 1) <= options.bound_work_limit;

  auto exact_gains = [&](std::vector<double>& out) {
    parallel_for(
        in.m, threads,
        [&](std::size_t j, unsigned) {
          if (monitor.cancelled()) return;
          out[j] = blocked[j] ? 0.0 : cover.gain(j);
        },
        16);
    monitor.throw_if_cancelled();
  };
  auto update_bound = [&](std::span<const double> values) {
    auto set = best_feasible_set(problem, values, p, fixed);
    ub = std::min(ub, f + sum_of(values, set));
  };

  // Phase 1 (equity floors): pick sites that most reduce the floor deficits.
  if (zones.on) {
    std::vector<double> zc = zones.covered(cover);
    std::vector<double> score(in.m), gsum(in.m);
    std::vector<std::vector<double>> scratch(threads, std::vector<double>(zones.z, 0.0));
    while (r.sites.size() < p && !zones.all_met(zc)) {
      std::vector<double> deficit(zones.z);
      for (std::size_t k = 0; k < zones.z; ++k) deficit[k] = std::max(0.0, zones.target[k] - zc[k]);
      parallel_for(
          in.m, threads,
          [&](std::size_t j, unsigned w) {
            score[j] = -1;
            if (blocked[j] || !quotas.can_add(j) || monitor.cancelled()) return;
            auto& acc = scratch[w];
            std::vector<std::size_t> touched;
            double g = 0;
            for (std::int64_t e = in.begin(j); e < in.end(j); ++e) {
              if (!in.active(e)) continue;
              std::size_t i = in.demand(e);
              if (cover.count[i] != 0) continue;
              g += in.weight(i);
              std::int32_t zi = problem.demand_zone[i];
              if (zi < 0) continue;
              auto zk = static_cast<std::size_t>(zi);
              if (acc[zk] == 0) touched.push_back(zk);
              acc[zk] += in.weight(i);
            }
            double s = 0;
            for (auto zk : touched) {
              s += std::min(deficit[zk], acc[zk]);
              acc[zk] = 0;
            }
            score[j] = s;
            gsum[j] = g;
          },
          16);
      monitor.throw_if_cancelled();
      std::size_t best = in.m;
      for (std::size_t j = 0; j < in.m; ++j) {
        if (score[j] <= 0) continue;
        if (best == in.m || score[j] > score[best] || (score[j] == score[best] && better(gsum[j], j, gsum[best], best))) best = j;
      }
      if (best == in.m) break;  // no candidate reduces any deficit
      cover.add(best, static_cast<std::int32_t>(r.sites.size()));
      blocked[best] = 1;
      quotas.add(best);
      f += gsum[best];
      r.sites.push_back(static_cast<std::int64_t>(best));
      r.marginal_gain.push_back(gsum[best]);
      zc = zones.covered(cover);
      monitor.report("equity floors", r.sites.size(), p);
    }
  }

  // Phase 2: lazy greedy with the online bound at every iterate.
  std::vector<double> exact(in.m, 0.0);
  lazy_greedy(
      in, p, quotas, blocked, bound_value, threads, monitor, r, [&](std::size_t j) { return cover.gain(j); },
      [&](std::size_t j) {
        f += cover.gain(j);
        cover.add(j, static_cast<std::int32_t>(r.sites.size()));
      },
      [&]() {
        update_bound(bound_value);
        if (exact_each) {
          exact_gains(exact);
          for (std::size_t j = 0; j < in.m; ++j) bound_value[j] = std::min(bound_value[j], exact[j]);
          update_bound(exact);
        }
      });
  cover.rebuild(fixed, r.sites);
  f = cover.covered_weight();
  r.greedy_objective = f;
  exact_gains(exact);
  update_bound(exact);

  // 1-swap local search, best improvement per sweep. delta(s, j) = G_j - L_s + B(s, j) where
  // G_j = uncovered weight j covers, L_s = weight only s covers, B = weight only s covers that j covers too.
  auto local_search = [&]() {
    if (r.sites.empty()) return;
    const std::size_t p_now = r.sites.size();
    const double tol = 1e-12 * std::max(1.0, f);
    std::vector<double> loss(p_now), best_delta(in.m);
    std::vector<std::int64_t> best_pos(in.m);
    std::vector<std::vector<double>> bonus(threads, std::vector<double>(p_now, 0.0));
    std::vector<double> zc = zones.on ? zones.covered(cover) : std::vector<double>{};
    for (;;) {
      std::fill(loss.begin(), loss.end(), 0.0);
      for (std::size_t i = 0; i < in.n; ++i)
        if (cover.count[i] == 1) loss[static_cast<std::size_t>(cover.owner[i])] += in.weight(i);
      parallel_for(
          in.m, threads,
          [&](std::size_t j, unsigned w) {
            best_delta[j] = -std::numeric_limits<double>::infinity();
            best_pos[j] = -1;
            if (blocked[j] || monitor.cancelled()) return;
            auto& b = bonus[w];
            std::vector<std::size_t> touched;
            double g = 0;
            for (std::int64_t e = in.begin(j); e < in.end(j); ++e) {
              if (!in.active(e)) continue;
              std::size_t i = in.demand(e);
              if (cover.count[i] == 0) {
                g += in.weight(i);
              } else if (cover.count[i] == 1) {
                auto k = static_cast<std::size_t>(cover.owner[i]);
                if (b[k] == 0) touched.push_back(k);
                b[k] += in.weight(i);
              }
            }
            for (std::size_t k = 0; k < p_now; ++k) {
              double d = g - loss[k] + b[k];
              if (d > best_delta[j] && quotas.can_swap(static_cast<std::size_t>(r.sites[k]), j)) {
                best_delta[j] = d;
                best_pos[j] = static_cast<std::int64_t>(k);
              }
            }
            for (auto k : touched) b[k] = 0;
          },
          16);
      monitor.throw_if_cancelled();
      std::vector<std::size_t> order;
      for (std::size_t j = 0; j < in.m; ++j)
        if (best_pos[j] >= 0 && best_delta[j] > tol) order.push_back(j);
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return better(best_delta[a], a, best_delta[b], b); });
      bool applied = false;
      for (std::size_t j : order) {
        auto k = static_cast<std::size_t>(best_pos[j]);
        auto out = static_cast<std::size_t>(r.sites[k]);
        std::vector<std::int64_t> trial = r.sites;
        trial[k] = static_cast<std::int64_t>(j);
        Cover c2(in);
        c2.rebuild(fixed, trial);
        double f2 = c2.covered_weight();
        if (!(f2 > f + tol)) continue;  // rounding made the predicted gain vanish
        if (zones.on) {
          auto z2 = zones.covered(c2);
          bool ok = true;
          for (std::size_t zk = 0; zk < zones.z && ok; ++zk)
            if (zones.target[zk] > 0 && z2[zk] < std::min(zc[zk], zones.target[zk]) - 1e-12 * std::max(1.0, zones.total[zk])) ok = false;
          if (!ok) continue;
          zc = std::move(z2);
        }
        quotas.remove(out);
        quotas.add(j);
        blocked[out] = 0;
        blocked[j] = 1;
        r.sites = std::move(trial);
        cover.count.swap(c2.count);
        cover.owner.swap(c2.owner);
        f = f2;
        ++r.swaps;
        applied = true;
        break;
      }
      if (!applied || r.swaps >= options.max_swaps) break;
      monitor.report("local search", r.swaps, 0);
    }
  };
  if (options.local_search) {
    local_search();
    exact_gains(exact);
    update_bound(exact);
  }
  std::vector<std::size_t> lagrange_set;

  // Lagrangian relaxation of z_i <= Σ_{j∋i} y_j with multipliers μ_i >= 0 (as strong as the LP
  // bound at its optimum): UB(μ) = base + Σ_i max(0, w_i - μ_i) + max_{feasible T} Σ_{j∈T} Σ_{i∈N(j)} μ_i,
  // minimised by projected Polyak subgradient steps. Valid for any μ, so every iterate counts.
  if (options.lagrangian_iterations > 0 && rel_gap(ub, f) > options.gap_tolerance) {
    std::vector<std::uint8_t> free_pt(in.n, 0);
    Cover base(in);
    base.init_base(fixed);
    for (std::size_t j = 0; j < in.m; ++j)
      if (!fixed[j])
        for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
          if (in.active(e)) {
            std::size_t i = in.demand(e);
            if (base.count[i] == 0 && in.weight(i) > 0) free_pt[i] = 1;
          }
    std::vector<double> mu(in.n, 0.0), sigma(in.m, 0.0), s(in.n, 0.0);
    for (std::size_t i = 0; i < in.n; ++i) mu[i] = free_pt[i] ? in.weight(i) : 0.0;
    double theta = 2.0, best_L = std::numeric_limits<double>::infinity();
    int since_improved = 0;
    for (int it = 0; it < options.lagrangian_iterations; ++it) {
      parallel_for(
          in.m, threads,
          [&](std::size_t j, unsigned) {
            double acc = 0;
            if (!fixed[j] && !monitor.cancelled())
              for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
                if (in.active(e)) acc += mu[in.demand(e)];
            sigma[j] = acc;
          },
          16);
      monitor.throw_if_cancelled();
      auto set = best_feasible_set(problem, sigma, p, fixed);
      double L = base.base_weight + sum_of(sigma, set);
      for (std::size_t i = 0; i < in.n; ++i)
        if (free_pt[i]) L += std::max(0.0, in.weight(i) - mu[i]);
      ub = std::min(ub, L);
      if (!std::isfinite(best_L) || L < best_L - 1e-12 * std::abs(best_L)) {
        best_L = L;
        lagrange_set = set;
        since_improved = 0;
      } else if (++since_improved >= 20) {
        theta /= 2;
        since_improved = 0;
      }
      if (theta < 1e-6 || rel_gap(ub, f) <= options.gap_tolerance) break;
      for (std::size_t i = 0; i < in.n; ++i) s[i] = free_pt[i] && in.weight(i) > mu[i] ? -1.0 : 0.0;
      for (auto j : set)
        for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
          if (in.active(e) && free_pt[in.demand(e)]) s[in.demand(e)] += 1;
      double norm2 = 0;
      for (std::size_t i = 0; i < in.n; ++i) {
        // projection onto μ >= 0: a component that cannot move does not count in the step
        if (mu[i] <= 0 && s[i] > 0) s[i] = 0;
        norm2 += s[i] * s[i];
      }
      if (norm2 == 0) break;  // μ optimal for the relaxation
      double step = theta * (L - f) / norm2;
      if (!(step > 0)) break;
      for (std::size_t i = 0; i < in.n; ++i) mu[i] = std::max(0.0, mu[i] - step * s[i]);
      monitor.report("lagrangian bound", static_cast<std::size_t>(it + 1), static_cast<std::size_t>(options.lagrangian_iterations));
    }
  }

  // Lagrangian heuristic: local search from the relaxation's best site set; keep the better.
  // (Skipped with zone floors: that start ignores them.)
  if (options.local_search && !zones.on && !lagrange_set.empty() && rel_gap(ub, f) > options.gap_tolerance) {
    std::vector<std::int64_t> start(lagrange_set.begin(), lagrange_set.end());
    std::vector<std::int64_t> kept = r.sites;
    const double f_kept = f;
    auto reset_to = [&](const std::vector<std::int64_t>& sites) {
      r.sites = sites;
      blocked = fixed;
      for (auto j : sites) blocked[static_cast<std::size_t>(j)] = 1;
      quotas.reset(sites);
      cover.rebuild(fixed, sites);
      f = cover.covered_weight();
    };
    reset_to(start);
    local_search();
    if (f > f_kept + 1e-12 * std::max(1.0, f_kept)) {
      exact_gains(exact);
      update_bound(exact);
    } else {
      reset_to(kept);
    }
  }

  r.objective = f;
  r.marginal_gain = sequential_gains_cover(in, fixed, r.sites, false);
  r.covered.resize(in.n);
  for (std::size_t i = 0; i < in.n; ++i) r.covered[i] = cover.count[i] > 0 ? 1 : 0;
  if (zones.on) r.floors_met = zones.all_met(zones.covered(cover));
  r.bound = std::max(ub, f);  // ub >= f up to rounding
  r.gap = rel_gap(r.bound, f);
  return r;
}

// ------------------------------------------------------------------------------------------
// LSCP

SitingResult solve_lscp(const SitingProblem& problem, const SitingOptions& options, Monitor& monitor) {
  using namespace detail;
  Instance in(problem);
  validate(in);
  if (!problem.group_quota.empty() && problem.quota_mode == QuotaMode::Exactly)
    throw InvalidInputError("LSCP minimises the number of sites: only at-least quotas are allowed", field_ctx("quota_mode"));
  if (!problem.zone_floor.empty()) throw InvalidInputError("LSCP covers every coverable point: zone floors do not apply", field_ctx("zone_floor"));
  const auto fixed = fixed_mask(in);
  std::int64_t sum_q = 0;
  for (auto q : problem.group_quota) sum_q += q;
  check_feasible(in, static_cast<std::size_t>(sum_q), fixed);
  const unsigned threads = thread_count(options.threads);
  SitingResult r;
  Cover cover(in);
  cover.init_base(fixed);
  r.unreachable.assign(in.n, 1);
  for (std::size_t i = 0; i < in.n; ++i)
    if (cover.count[i] == kBase) r.unreachable[i] = 0;
  for (std::size_t j = 0; j < in.m; ++j)
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e)) r.unreachable[in.demand(e)] = 0;
  std::size_t to_cover = 0;
  for (std::size_t i = 0; i < in.n; ++i)
    if (!r.unreachable[i] && cover.count[i] == 0) ++to_cover;

  // Greedy set cover scoring newly covered points by `score` (1 each, or Lagrangian
  // multipliers), quotas first, then redundancy elimination (last chosen first).
  auto build_cover = [&](const std::vector<double>& score) {
    r.sites.clear();
    cover.init_base(fixed);
    std::vector<std::uint8_t> blocked = fixed;
    auto gain = [&](std::size_t j) {
      double g = 0;
      for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
        if (in.active(e) && cover.count[in.demand(e)] == 0) g += score[in.demand(e)];
      return g;
    };
    for (std::size_t g = 0; g < problem.group_quota.size(); ++g)
      for (std::int64_t k = 0; k < problem.group_quota[g]; ++k) {
        std::size_t best = in.m;
        double best_gain = -1;
        for (std::size_t j = 0; j < in.m; ++j) {
          if (blocked[j] || problem.candidate_group[j] != static_cast<std::int32_t>(g)) continue;
          double gj = gain(j);
          if (gj > best_gain) {
            best_gain = gj;
            best = j;
          }
        }
        cover.add(best, static_cast<std::int32_t>(r.sites.size()));
        blocked[best] = 1;
        r.sites.push_back(static_cast<std::int64_t>(best));
      }
    std::size_t uncovered = 0;
    for (std::size_t i = 0; i < in.n; ++i)
      if (!r.unreachable[i] && cover.count[i] == 0) ++uncovered;
    std::vector<double> key(in.m, 0.0);
    parallel_for(
        in.m, threads, [&](std::size_t j, unsigned) { key[j] = blocked[j] ? 0.0 : gain(j); }, 16);
    std::vector<HeapItem> items;
    for (std::size_t j = 0; j < in.m; ++j)
      if (!blocked[j] && key[j] > 0) items.push_back({key[j], j, r.sites.size()});
    std::priority_queue<HeapItem> heap(std::less<HeapItem>(), std::move(items));
    while (uncovered > 0 && !heap.empty()) {
      HeapItem top = heap.top();
      heap.pop();
      if (top.stamp == r.sites.size()) {
        uncovered -= static_cast<std::size_t>(cover.gain_count(top.j));
        cover.add(top.j, static_cast<std::int32_t>(r.sites.size()));
        blocked[top.j] = 1;
        r.sites.push_back(static_cast<std::int64_t>(top.j));
        monitor.report("greedy", to_cover - uncovered, to_cover);
      } else {
        double g = gain(top.j);
        if (g > 0) heap.push({g, top.j, r.sites.size()});
      }
    }
    if (!options.local_search) return;
    Quotas quotas(problem, static_cast<std::size_t>(sum_q));
    for (auto j : r.sites) quotas.add(static_cast<std::size_t>(j));
    for (std::size_t k = r.sites.size(); k-- > 0;) {
      auto j = static_cast<std::size_t>(r.sites[k]);
      std::int32_t g = quotas.group(j);
      if (g >= 0 && quotas.count[static_cast<std::size_t>(g)] - 1 < quotas.quota(g)) continue;
      bool redundant = true;
      for (std::int64_t e = in.begin(j); e < in.end(j) && redundant; ++e)
        if (in.active(e) && cover.count[in.demand(e)] == 1) redundant = false;
      if (!redundant) continue;
      cover.remove(j);
      quotas.remove(j);
      r.sites.erase(r.sites.begin() + static_cast<std::ptrdiff_t>(k));
      ++r.swaps;
    }
  };
  build_cover(std::vector<double>(in.n, 1.0));
  r.greedy_objective = static_cast<double>(r.sites.size());
  // Lower bound: points no two of which share a candidate need one site each.
  std::vector<std::int64_t> deg(in.n, 0);
  for (std::size_t j = 0; j < in.m; ++j)
    if (!fixed[j])
      for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
        if (in.active(e)) ++deg[in.demand(e)];
  std::vector<std::size_t> pts;
  Cover base(in);
  base.init_base(fixed);
  for (std::size_t i = 0; i < in.n; ++i)
    if (!r.unreachable[i] && base.count[i] == 0) pts.push_back(i);
  std::sort(pts.begin(), pts.end(), [&](std::size_t a, std::size_t b) { return deg[a] < deg[b] || (deg[a] == deg[b] && a < b); });
  // transpose: demand -> candidates
  std::vector<std::int64_t> toff(in.n + 1, 0);
  for (std::size_t j = 0; j < in.m; ++j)
    if (!fixed[j])
      for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
        if (in.active(e)) ++toff[in.demand(e) + 1];
  for (std::size_t i = 0; i < in.n; ++i) toff[i + 1] += toff[i];
  std::vector<std::int64_t> tcand(static_cast<std::size_t>(toff[in.n]));
  {
    std::vector<std::int64_t> pos(toff.begin(), toff.end() - 1);
    for (std::size_t j = 0; j < in.m; ++j)
      if (!fixed[j])
        for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
          if (in.active(e)) tcand[static_cast<std::size_t>(pos[in.demand(e)]++)] = static_cast<std::int64_t>(j);
  }
  std::vector<std::uint8_t> used(in.m, 0);
  std::int64_t packing = 0;
  std::vector<double> u(in.n, 0.0);
  for (auto i : pts) {
    bool free = true;
    for (auto t = toff[i]; t < toff[i + 1] && free; ++t)
      if (used[static_cast<std::size_t>(tcand[static_cast<std::size_t>(t)])]) free = false;
    if (!free) continue;
    ++packing;
    u[i] = 1;
    for (auto t = toff[i]; t < toff[i + 1]; ++t) used[static_cast<std::size_t>(tcand[static_cast<std::size_t>(t)])] = 1;
  }
  r.objective = static_cast<double>(r.sites.size());
  double lb = static_cast<double>(std::max(packing, sum_q));
  // Lagrangian relaxation of the covering rows with u >= 0 (its optimum is the LP bound):
  // L(u) = Σ_i u_i + min_{y: quotas} Σ_j y_j (1 - Σ_{i∈N(j)} u_i); starts at the packing
  // (u = 1 on packed points gives L = packing size). The optimum is an integer, so ceil(L) counts.
  std::vector<double> best_u;
  if (!pts.empty() && options.lagrangian_iterations > 0 && lb < r.objective) {
    std::vector<std::uint8_t> in_p(in.n, 0);
    for (auto i : pts) in_p[i] = 1;
    std::vector<double> rc(in.m, 0.0), g(in.n, 0.0);
    std::vector<std::uint8_t> open(in.m, 0);
    best_u = u;
    double theta = 2.0, best_L = -std::numeric_limits<double>::infinity();
    int since_improved = 0;
    const double target = r.objective;
    for (int it = 0; it < options.lagrangian_iterations; ++it) {
      parallel_for(
          in.m, threads,
          [&](std::size_t j, unsigned) {
            double acc = 0;
            if (!fixed[j])
              for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
                if (in.active(e)) acc += u[in.demand(e)];
            rc[j] = 1 - acc;
          },
          16);
      monitor.throw_if_cancelled();
      // the best y: every negative reduced cost, topped up to each group's quota
      std::fill(open.begin(), open.end(), 0);
      double L = 0;
      for (std::size_t i = 0; i < in.n; ++i) L += u[i];
      std::vector<std::vector<std::size_t>> by_group(problem.group_quota.size());
      for (std::size_t j = 0; j < in.m; ++j) {
        if (fixed[j]) continue;
        std::int32_t gj = problem.group_quota.empty() ? -1 : problem.candidate_group[j];
        if (gj >= 0) by_group[static_cast<std::size_t>(gj)].push_back(j);
        else if (rc[j] < 0) {
          open[j] = 1;
          L += rc[j];
        }
      }
      for (std::size_t gq = 0; gq < by_group.size(); ++gq) {
        auto& mem = by_group[gq];
        std::sort(mem.begin(), mem.end(), [&](std::size_t a, std::size_t b) { return rc[a] < rc[b] || (rc[a] == rc[b] && a < b); });
        for (std::size_t k = 0; k < mem.size(); ++k) {
          if (rc[mem[k]] >= 0 && static_cast<std::int64_t>(k) >= problem.group_quota[gq]) break;
          open[mem[k]] = 1;
          L += rc[mem[k]];
        }
      }
      lb = std::max(lb, std::ceil(L - 1e-9));
      if (lb >= target) break;
      if (!std::isfinite(best_L) || L > best_L + 1e-12 * std::abs(best_L)) {
        best_L = L;
        best_u = u;
        since_improved = 0;
      } else if (++since_improved >= 20) {
        theta /= 2;
        since_improved = 0;
      }
      if (theta < 1e-6) break;
      for (std::size_t i = 0; i < in.n; ++i) g[i] = in_p[i] ? 1.0 : 0.0;
      for (std::size_t j = 0; j < in.m; ++j)
        if (open[j])
          for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
            if (in.active(e) && in_p[in.demand(e)]) g[in.demand(e)] -= 1;
      double norm2 = 0;
      for (std::size_t i = 0; i < in.n; ++i) {
        if (u[i] <= 0 && g[i] < 0) g[i] = 0;  // projection onto u >= 0
        norm2 += g[i] * g[i];
      }
      if (norm2 == 0) break;
      double step = theta * (target - L) / norm2;
      if (!(step > 0)) break;
      for (std::size_t i = 0; i < in.n; ++i) u[i] = std::max(0.0, u[i] + step * g[i]);
      monitor.report("lagrangian bound", static_cast<std::size_t>(it + 1), static_cast<std::size_t>(options.lagrangian_iterations));
    }
  }
  // Lagrangian greedy (Beasley 1990): score points by their multipliers (+ a small floor so
  // every uncovered point still counts); keep it when it needs fewer sites.
  if (options.local_search && !best_u.empty() && lb < r.objective) {
    std::vector<std::int64_t> kept = r.sites;
    for (auto& v : best_u) v += 1e-6;
    build_cover(best_u);
    if (r.sites.size() >= kept.size()) r.sites = kept;
    cover.rebuild(fixed, r.sites);
    r.objective = static_cast<double>(r.sites.size());
  }
  r.bound = std::min(lb, r.objective);
  r.gap = rel_gap(r.objective, r.bound);
  r.marginal_gain = sequential_gains_cover(in, fixed, r.sites, true);
  r.covered.resize(in.n);
  for (std::size_t i = 0; i < in.n; ++i) r.covered[i] = cover.count[i] > 0 ? 1 : 0;
  return r;
}

// ------------------------------------------------------------------------------------------
// p-median

namespace detail {
namespace {

/// Nearest and second-nearest open site per demand point, with costs capped at the penalty.
struct Nearest {
  const Instance& in;
  double penalty;
  std::vector<double> d1, d2;
  std::vector<std::int64_t> site1;  // candidate index of the nearest open site, -1 = none
  std::vector<std::int32_t> pos1;   // its position in `sites`, -1 = fixed site or none

  Nearest(const Instance& instance, double penalty_) : in(instance), penalty(penalty_) {}

  void rebuild(const std::vector<std::uint8_t>& fixed, const std::vector<std::int64_t>& sites) {
    d1.assign(in.n, penalty);
    d2.assign(in.n, penalty);
    site1.assign(in.n, -1);
    pos1.assign(in.n, -1);
    for (std::size_t j = 0; j < in.m; ++j)
      if (fixed[j]) add(j, -1);
    for (std::size_t k = 0; k < sites.size(); ++k) add(static_cast<std::size_t>(sites[k]), static_cast<std::int32_t>(k));
  }
  /// Opens site j (at position pos of `sites`, -1 for a fixed site). Ties keep the earlier site.
  void add(std::size_t j, std::int32_t pos) {
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e) {
      if (!in.active(e)) continue;
      std::size_t i = in.demand(e);
      double c = in.cost(e);
      if (c < d1[i]) {
        d2[i] = d1[i];
        d1[i] = c;
        site1[i] = static_cast<std::int64_t>(j);
        pos1[i] = pos;
      } else if (c < d2[i]) {
        d2[i] = c;
      }
    }
  }
  void take(Nearest& o) {
    d1.swap(o.d1);
    d2.swap(o.d2);
    site1.swap(o.site1);
    pos1.swap(o.pos1);
  }
  double gain(std::size_t j) const {
    double g = 0;
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e)) {
        std::size_t i = in.demand(e);
        double c = in.cost(e);
        if (c < d1[i]) g += in.weight(i) * (d1[i] - c);
      }
    return g;
  }
  double penalised_cost(const std::vector<std::uint8_t>& reachable) const {
    double s = 0;
    for (std::size_t i = 0; i < in.n; ++i)
      if (reachable[i]) s += in.weight(i) * d1[i];
    return s;
  }
};

}  // namespace
}  // namespace detail

SitingResult solve_p_median(const SitingProblem& problem, std::size_t p, const SitingOptions& options, Monitor& monitor) {
  using namespace detail;
  Instance in(problem);
  validate(in);
  if (!problem.zone_floor.empty()) throw InvalidInputError("zone floors apply to MCLP only", field_ctx("zone_floor"));
  const auto fixed = fixed_mask(in);
  check_feasible(in, p, fixed);
  const unsigned threads = thread_count(options.threads);
  SitingResult r;
  // Points without any usable entry are excluded; zero-weight points need no assignment.
  std::vector<std::uint8_t> reachable(in.n, 0);
  double max_c = 0;
  for (std::size_t j = 0; j < in.m; ++j)
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e) && std::isfinite(in.cost(e))) {
        reachable[in.demand(e)] = 1;
        max_c = std::max(max_c, in.cost(e));
      }
  r.unreachable.resize(in.n);
  for (std::size_t i = 0; i < in.n; ++i) r.unreachable[i] = reachable[i] ? 0 : 1;
  std::vector<std::uint8_t> needs(in.n, 0);
  for (std::size_t i = 0; i < in.n; ++i) needs[i] = reachable[i] && in.weight(i) > 0;
  // Leaving point i unserved costs w_i * penalty; making that dearer than any possible saving
  // elsewhere (Σ w max c) makes the heuristic serve everyone it can. The ratio is capped so the
  // penalised sums keep enough precision for the swap deltas.
  double total_w = 0, min_w = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < in.n; ++i)
    if (needs[i]) {
      total_w += in.weight(i);
      min_w = std::min(min_w, in.weight(i));
    }
  const double ratio = total_w > 0 ? std::min(total_w / min_w, 1e6) : 1.0;
  const double penalty = 2 * max_c * ratio + 1;
  r.unassigned_cost = penalty;

  Nearest near(in, penalty);
  near.rebuild(fixed, r.sites);
  Quotas quotas(problem, p);
  std::vector<std::uint8_t> blocked = fixed;
  std::vector<double> bound_value(in.m, 0.0);
  double cost = near.penalised_cost(needs);
  double lb = -std::numeric_limits<double>::infinity();
  auto update_bound = [&](std::span<const double> values) {
    auto set = best_feasible_set(problem, values, p, fixed);
    lb = std::max(lb, cost - sum_of(values, set));
  };
  lazy_greedy(
      in, p, quotas, blocked, bound_value, threads, monitor, r, [&](std::size_t j) { return near.gain(j); },
      [&](std::size_t j) {
        cost -= near.gain(j);
        near.add(j, static_cast<std::int32_t>(r.sites.size()));
      },
      [&]() { update_bound(bound_value); });
  near.rebuild(fixed, r.sites);
  cost = near.penalised_cost(needs);
  auto true_cost = [&]() {
    double s = 0;
    for (std::size_t i = 0; i < in.n; ++i)
      if (needs[i]) {
        if (near.site1[i] < 0) return std::numeric_limits<double>::infinity();
        s += in.weight(i) * near.d1[i];
      }
    return s;
  };
  r.greedy_objective = true_cost();
  std::vector<double> exact(in.m, 0.0);
  auto exact_gains = [&]() {
    parallel_for(
        in.m, threads,
        [&](std::size_t j, unsigned) {
          if (monitor.cancelled()) return;
          exact[j] = blocked[j] ? 0.0 : near.gain(j);
        },
        16);
    monitor.throw_if_cancelled();
    update_bound(exact);
  };
  exact_gains();

  // Fast interchange (Whitaker 1983): improvement(s, j) = G_j - base_s - extra(s, j) with
  // base_s = Σ_{i: nearest = s} w_i (d2_i - d1_i), extra(s, j) = Σ_{i∈N(j), nearest = s} w_i [min(d2, c) - d2 - min(0, c - d1)] <= 0.
  auto local_search = [&]() {
    if (r.sites.empty()) return;
    const std::size_t p_now = r.sites.size();
    const double tol = 1e-12 * std::max(1.0, cost);
    std::vector<double> base(p_now), best_delta(in.m);
    std::vector<std::int64_t> best_pos(in.m);
    std::vector<std::vector<double>> extra(threads, std::vector<double>(p_now, 0.0));
    std::vector<std::vector<std::uint8_t>> mark(threads, std::vector<std::uint8_t>(p_now, 0));
    for (;;) {
      std::fill(base.begin(), base.end(), 0.0);
      for (std::size_t i = 0; i < in.n; ++i)
        if (needs[i] && near.pos1[i] >= 0) base[static_cast<std::size_t>(near.pos1[i])] += in.weight(i) * (near.d2[i] - near.d1[i]);
      parallel_for(
          in.m, threads,
          [&](std::size_t j, unsigned w) {
            best_delta[j] = -std::numeric_limits<double>::infinity();
            best_pos[j] = -1;
            if (blocked[j] || monitor.cancelled()) return;
            auto& x = extra[w];
            auto& mk = mark[w];
            std::vector<std::size_t> touched;
            double g = 0;
            for (std::int64_t e = in.begin(j); e < in.end(j); ++e) {
              if (!in.active(e)) continue;
              std::size_t i = in.demand(e);
              if (!needs[i]) continue;
              double c = in.cost(e), d1 = near.d1[i], d2 = near.d2[i], wi = in.weight(i);
              if (c < d1) g += wi * (d1 - c);
              if (near.pos1[i] >= 0) {
                auto k = static_cast<std::size_t>(near.pos1[i]);
                if (!mk[k]) {
                  mk[k] = 1;
                  touched.push_back(k);
                }
                x[k] += wi * (std::min(d2, c) - d2 - std::min(0.0, c - d1));
              }
            }
            for (std::size_t k = 0; k < p_now; ++k) {
              double d = g - base[k] - x[k];
              if (d > best_delta[j] && quotas.can_swap(static_cast<std::size_t>(r.sites[k]), j)) {
                best_delta[j] = d;
                best_pos[j] = static_cast<std::int64_t>(k);
              }
            }
            for (auto k : touched) {
              x[k] = 0;
              mk[k] = 0;
            }
          },
          16);
      monitor.throw_if_cancelled();
      std::vector<std::size_t> order;
      for (std::size_t j = 0; j < in.m; ++j)
        if (best_pos[j] >= 0 && best_delta[j] > tol) order.push_back(j);
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return better(best_delta[a], a, best_delta[b], b); });
      bool applied = false;
      for (std::size_t j : order) {
        auto k = static_cast<std::size_t>(best_pos[j]);
        auto out = static_cast<std::size_t>(r.sites[k]);
        std::vector<std::int64_t> trial = r.sites;
        trial[k] = static_cast<std::int64_t>(j);
        Nearest n2(in, penalty);
        n2.rebuild(fixed, trial);
        double c2 = n2.penalised_cost(needs);
        if (!(c2 < cost - tol)) continue;
        quotas.remove(out);
        quotas.add(j);
        blocked[out] = 0;
        blocked[j] = 1;
        r.sites = std::move(trial);
        near.take(n2);
        cost = c2;
        ++r.swaps;
        applied = true;
        break;
      }
      if (!applied || r.swaps >= options.max_swaps) break;
      monitor.report("local search", r.swaps, 0);
    }
  };
  if (options.local_search) {
    local_search();
    exact_gains();
  }
  std::vector<std::size_t> lagrange_set;
  std::vector<std::vector<std::size_t>> restarts;

  // Lagrangian relaxation of Σ_j x_ij = 1: L(λ) = Σ λ_i + Σ_{fixed} ρ_j + min_{feasible T} Σ_{j∈T} ρ_j,
  // ρ_j = Σ_{i∈N(j)} min(0, w_i c_ij - λ_i); maximised over λ by Polyak subgradient steps.
  {
    std::vector<double> lambda(in.n, 0.0), rho(in.m, 0.0), neg(in.m, 0.0), g(in.n, 0.0);
    // w_i c_ij per entry, +inf where the entry is unusable, so the hot loops have no branches.
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> wc(problem.demand_index.size(), inf);
    std::vector<double> best_c(in.n, inf);
    for (std::size_t j = 0; j < in.m; ++j)
      for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
        if (in.active(e) && needs[in.demand(e)]) {
          wc[static_cast<std::size_t>(e)] = in.weight(in.demand(e)) * in.cost(e);
          best_c[in.demand(e)] = std::min(best_c[in.demand(e)], in.cost(e));
        }
    // λ_i = w_i min_j c_ij: L(λ) is then the "everyone to the nearest candidate" bound.
    for (std::size_t i = 0; i < in.n; ++i) lambda[i] = needs[i] ? in.weight(i) * best_c[i] : 0.0;
    int last_store = -1000;
    double theta = 2.0;
    int since_improved = 0;
    double best_L = -std::numeric_limits<double>::infinity();
    const double target = cost;
    for (int it = 0; it < options.lagrangian_iterations; ++it) {
      parallel_for(
          in.m, threads,
          [&](std::size_t j, unsigned) {
            double s = 0;
            for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
              s += std::min(0.0, wc[static_cast<std::size_t>(e)] - lambda[in.demand(e)]);
            rho[j] = s;
            neg[j] = -s;
          },
          16);
      monitor.throw_if_cancelled();
      auto set = best_feasible_set(problem, neg, p, fixed);
      double L = 0;
      for (std::size_t i = 0; i < in.n; ++i) L += lambda[i];
      for (std::size_t j = 0; j < in.m; ++j)
        if (fixed[j]) L += rho[j];
      L -= sum_of(neg, set);
      lb = std::max(lb, L);
      if (!std::isfinite(best_L) || L > best_L + 1e-12 * std::abs(best_L)) {
        best_L = L;
        lagrange_set = set;
        if (it - last_store >= 30) {  // keep the two latest snapshots: early ones start far off
          if (restarts.size() == 2) restarts.erase(restarts.begin());
          restarts.push_back(set);
          last_store = it;
        }
        since_improved = 0;
      } else if (++since_improved >= 20) {
        theta /= 2;
        since_improved = 0;
      }
      if (theta < 1e-6 || rel_gap(target, lb) <= options.gap_tolerance) break;
      for (std::size_t i = 0; i < in.n; ++i) g[i] = needs[i] ? 1.0 : 0.0;
      auto open_minus = [&](std::size_t j) {
        for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
          if (wc[static_cast<std::size_t>(e)] < lambda[in.demand(e)]) g[in.demand(e)] -= 1;
      };
      for (std::size_t j = 0; j < in.m; ++j)
        if (fixed[j]) open_minus(j);
      for (auto j : set) open_minus(j);
      double norm2 = 0;
      for (double v : g) norm2 += v * v;
      if (norm2 == 0) break;  // λ is optimal for the relaxation
      double step = theta * (target - L) / norm2;
      if (!(step > 0)) break;
      for (std::size_t i = 0; i < in.n; ++i) lambda[i] += step * g[i];
      monitor.report("lagrangian bound", static_cast<std::size_t>(it + 1), static_cast<std::size_t>(options.lagrangian_iterations));
    }
  }

  // Lagrangian heuristic: local search from the relaxation's site sets (a few along the way
  // and the best one); keep the cheapest result.
  if (options.local_search && !lagrange_set.empty()) {
    restarts.push_back(lagrange_set);
    auto reset_to = [&](const std::vector<std::int64_t>& sites) {
      r.sites = sites;
      blocked = fixed;
      for (auto j : sites) blocked[static_cast<std::size_t>(j)] = 1;
      quotas.reset(sites);
      near.rebuild(fixed, sites);
      cost = near.penalised_cost(needs);
    };
    std::vector<std::vector<std::int64_t>> tried{r.sites};
    std::sort(tried[0].begin(), tried[0].end());
    std::vector<std::int64_t> best_sites = r.sites;
    double best_cost = cost;
    for (const auto& set : restarts) {
      if (rel_gap(best_cost, lb) <= options.gap_tolerance) break;
      std::vector<std::int64_t> start(set.begin(), set.end()), key = start;
      std::sort(key.begin(), key.end());
      if (std::find(tried.begin(), tried.end(), key) != tried.end()) continue;
      tried.push_back(key);
      reset_to(start);
      local_search();
      if (cost < best_cost - 1e-12 * std::max(1.0, best_cost)) {
        best_cost = cost;
        best_sites = r.sites;
      }
    }
    reset_to(best_sites);
  }

  r.objective = true_cost();
  const bool complete = std::isfinite(r.objective);
  r.assignment = near.site1;
  r.bound = std::min(lb, r.objective);
  r.gap = complete ? rel_gap(r.objective, r.bound) : std::numeric_limits<double>::quiet_NaN();
  // Marginal gains in order, penalised cost before minus after each site.
  {
    Nearest nk(in, penalty);
    nk.rebuild(fixed, {});
    r.marginal_gain.clear();
    for (std::size_t k = 0; k < r.sites.size(); ++k) {
      auto j = static_cast<std::size_t>(r.sites[k]);
      r.marginal_gain.push_back(nk.gain(j));
      nk.add(j, static_cast<std::int32_t>(k));
    }
  }
  return r;
}

}  // namespace jangkau
