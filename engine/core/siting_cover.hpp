#pragma once
// Coverage state shared by MCLP and LSCP: how many open sites cover each demand point (and
// which one when it is a single site), and the zone-floor bookkeeping of MCLP.
// See siting_instance.hpp for how the siting code is split.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "siting_instance.hpp"

namespace jangkau::detail {

/// Cover counts per demand point for the fixed sites plus a list of chosen sites.
struct Cover {
  const Instance& in;
  std::vector<std::int32_t> count;  // open sites covering i (kBase if covered by fixed/pre-covered)
  std::vector<std::int32_t> owner;  // position in `sites` of the single covering site when count == 1
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
    for (std::size_t k = 0; k < sites.size(); ++k)
      add(static_cast<std::size_t>(sites[k]), static_cast<std::int32_t>(k));
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

/// Marginal gains of `sites` in order (fixed sites and pre-coverage first): covered weight,
/// or newly covered points when `count_points`.
inline std::vector<double> sequential_gains_cover(const Instance& in, const std::vector<std::uint8_t>& fixed,
                                                  const std::vector<std::int64_t>& sites, bool count_points) {
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

}  // namespace jangkau::detail
