#include "access.hpp"

#include <cmath>
#include <string>

#include "error.hpp"

namespace jangkau {

namespace {

[[noreturn]] void fail(const std::string& message, std::int64_t feature, const std::string& field) {
  throw InvalidInputError(message, ErrorContext{"", feature, field});
}

void validate_amounts(std::span<const double> values, const char* field) {
  for (std::size_t k = 0; k < values.size(); ++k)
    if (!std::isfinite(values[k]) || values[k] < 0)
      fail(std::string(field) + " must be finite and >= 0, got " + std::to_string(values[k]),
           static_cast<std::int64_t>(k), field);
}

void validate_table(const CostTable& t, std::size_t demand_count, std::size_t supply_count) {
  if (t.supply.size() != t.demand.size() || t.cost.size() != t.demand.size())
    fail("cost table columns differ in length (demand " + std::to_string(t.demand.size()) + ", supply " +
             std::to_string(t.supply.size()) + ", cost " + std::to_string(t.cost.size()) + ")",
         -1, "cost");
  const auto nd = static_cast<std::int64_t>(demand_count);
  const auto ns = static_cast<std::int64_t>(supply_count);
  for (std::size_t k = 0; k < t.demand.size(); ++k) {
    const auto feature = static_cast<std::int64_t>(k);
    if (t.demand[k] < 0 || t.demand[k] >= nd)
      fail("demand index " + std::to_string(t.demand[k]) + " is outside [0, " + std::to_string(nd) + ")", feature,
           "demand");
    if (t.supply[k] < 0 || t.supply[k] >= ns)
      fail("supply index " + std::to_string(t.supply[k]) + " is outside [0, " + std::to_string(ns) + ")", feature,
           "supply");
    if (std::isnan(t.cost[k]) || t.cost[k] < 0)
      fail("cost must be >= 0 (or +inf), got " + std::to_string(t.cost[k]), feature, "cost");
  }
}

// Dai's Gaussian at the threshold: exp(-1/2).
const double kGaussianFloor = std::exp(-0.5);

}  // namespace

double decay_weight(const DecayOptions& options, double cost) noexcept {
  if (!(cost <= options.max_cost) && options.decay != Decay::Zones) return 0.0;  // also rejects cost = +inf
  switch (options.decay) {
    case Decay::Step:
      return 1.0;
    case Decay::Zones:
      for (std::size_t k = 0; k < options.zone_breaks.size(); ++k)
        if (cost <= options.zone_breaks[k]) return options.zone_weights[k];
      return 0.0;
    case Decay::Gaussian: {
      const double r = cost / options.max_cost;
      // Clamp tiny negative results of the subtraction at cost == max_cost to exactly 0.
      return std::max(0.0, (std::exp(-0.5 * r * r) - kGaussianFloor) / (1.0 - kGaussianFloor));
    }
    case Decay::Power:
      return std::pow(std::max(cost, options.min_cost), -options.beta);
    case Decay::Exponential:
      return std::exp(-options.beta * cost);
  }
  return 0.0;
}

void validate_decay(const DecayOptions& o) {
  if (std::isnan(o.max_cost) || o.max_cost <= 0) fail("max_cost must be > 0", -1, "max_cost");
  switch (o.decay) {
    case Decay::Step:
    case Decay::Gaussian:
      if (!std::isfinite(o.max_cost)) fail("max_cost must be finite for this decay", -1, "max_cost");
      break;
    case Decay::Zones:
      if (o.zone_breaks.empty()) fail("at least one zone is required", -1, "zone_breaks");
      if (o.zone_breaks.size() != o.zone_weights.size())
        fail("zone_breaks and zone_weights differ in length", -1, "zone_weights");
      for (std::size_t k = 0; k < o.zone_breaks.size(); ++k) {
        const double b = o.zone_breaks[k];
        if (!std::isfinite(b) || b < 0 || (k > 0 && b <= o.zone_breaks[k - 1]))
          fail("zone breaks must be finite, >= 0 and strictly increasing", static_cast<std::int64_t>(k),
               "zone_breaks");
        const double w = o.zone_weights[k];
        if (!(w >= 0 && w <= 1))
          fail("zone weights must be in [0, 1], got " + std::to_string(w), static_cast<std::int64_t>(k),
               "zone_weights");
      }
      break;
    case Decay::Power:
      if (!(o.min_cost > 0) || !std::isfinite(o.min_cost)) fail("min_cost must be finite and > 0", -1, "min_cost");
      [[fallthrough]];
    case Decay::Exponential:
      if (!(o.beta > 0) || !std::isfinite(o.beta)) fail("beta must be finite and > 0", -1, "beta");
      break;
    default:
      fail("unknown decay", -1, "decay");
  }
}

namespace {

// The common core. hansen = true skips the demand step (R_j = S_j).
AccessResult catchment(const CostTable& table, std::span<const double> population, std::span<const double> capacity,
                       const DecayOptions& options, bool hansen) {
  validate_decay(options);
  validate_amounts(population, "population");
  validate_amounts(capacity, "capacity");
  validate_table(table, population.size(), capacity.size());
  const std::size_t m = table.cost.size();
  // Weights once per entry; the summations below run in entry order, so results are
  // deterministic and independent of how the table was produced.
  std::vector<double> w(m);
  const double* cost = table.cost.data();
  switch (options.decay) {  // hoisted out of the loop: the step weight is the common case
    case Decay::Step:
      for (std::size_t k = 0; k < m; ++k) w[k] = cost[k] <= options.max_cost ? 1.0 : 0.0;
      break;
    default:
      for (std::size_t k = 0; k < m; ++k) w[k] = decay_weight(options, cost[k]);
  }

  AccessResult r;
  r.catchment_demand.assign(capacity.size(), 0.0);
  for (std::size_t k = 0; k < m; ++k)
    if (w[k] > 0)
      r.catchment_demand[static_cast<std::size_t>(table.supply[k])] +=
          population[static_cast<std::size_t>(table.demand[k])] * w[k];
  r.ratio.assign(capacity.size(), 0.0);
  for (std::size_t j = 0; j < capacity.size(); ++j) {
    if (hansen)
      r.ratio[j] = capacity[j];
    else if (r.catchment_demand[j] > 0)
      r.ratio[j] = capacity[j] / r.catchment_demand[j];
  }
  r.access.assign(population.size(), 0.0);
  for (std::size_t k = 0; k < m; ++k)
    if (w[k] > 0)
      r.access[static_cast<std::size_t>(table.demand[k])] += r.ratio[static_cast<std::size_t>(table.supply[k])] *
                                                             w[k];
  return r;
}

}  // namespace

AccessResult floating_catchment(const CostTable& table, std::span<const double> population,
                                std::span<const double> capacity, const DecayOptions& options) {
  return catchment(table, population, capacity, options, false);
}

AccessResult two_sfca(const CostTable& table, std::span<const double> population, std::span<const double> capacity,
                      double max_cost) {
  DecayOptions o;
  o.decay = Decay::Step;
  o.max_cost = max_cost;
  return catchment(table, population, capacity, o, false);
}

AccessResult e2sfca(const CostTable& table, std::span<const double> population, std::span<const double> capacity,
                    std::span<const double> zone_breaks, std::span<const double> zone_weights) {
  DecayOptions o;
  o.decay = Decay::Zones;
  o.zone_breaks.assign(zone_breaks.begin(), zone_breaks.end());
  o.zone_weights.assign(zone_weights.begin(), zone_weights.end());
  return catchment(table, population, capacity, o, false);
}

AccessResult gaussian_2sfca(const CostTable& table, std::span<const double> population,
                            std::span<const double> capacity, double max_cost) {
  DecayOptions o;
  o.decay = Decay::Gaussian;
  o.max_cost = max_cost;
  return catchment(table, population, capacity, o, false);
}

AccessResult gravity(const CostTable& table, std::span<const double> population, std::span<const double> capacity,
                     const GravityOptions& options) {
  if (options.decay.decay != Decay::Power && options.decay.decay != Decay::Exponential)
    fail("gravity accessibility needs Decay::Power or Decay::Exponential", -1, "decay");
  return catchment(table, population, capacity, options.decay, !options.competition);
}

}  // namespace jangkau
