#pragma once
// Spatial accessibility indices on a sparse cost table between demand locations (i) and
// supply locations / facilities (j): the two-step floating catchment area family (2SFCA,
// enhanced 2SFCA, Gaussian 2SFCA) and gravity (Hansen) accessibility. Formulas and
// citations: docs/access.md.
//
// Every measure is computed from per-pair weights W_ij = f(d_ij) of a decay function f:
//   R_j = S_j / sum_i P_i W_ij           (supply-to-demand ratio of facility j)
//   A_i = sum_j R_j W_ij                 (accessibility of demand location i)
// (Hansen's gravity potential skips the first step: A_i = sum_j S_j W_ij.)
// Costs d_ij are in any unit (minutes, seconds, metres); thresholds use the same unit.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace jangkau {

/// How the weight W of a demand-supply pair falls with its cost d (same unit as d0, breaks).
enum class Decay : std::uint8_t {
  /// W = 1 if d <= d0 else 0 (2SFCA, Luo & Wang 2003).
  Step,
  /// Piecewise constant: W = weights[k] for breaks[k-1] < d <= breaks[k] (first zone starts
  /// at 0 inclusive), 0 beyond the last break (E2SFCA, Luo & Qi 2009).
  Zones,
  /// Dai's (2010) Gaussian, rescaled to 1 at d = 0 and 0 at d = d0:
  /// W = (exp(-(d/d0)^2 / 2) - exp(-1/2)) / (1 - exp(-1/2)) for d <= d0, else 0.
  Gaussian,
  /// W = max(d, d_min)^(-beta) for d <= d0 (gravity, power decay).
  Power,
  /// W = exp(-beta d) for d <= d0 (gravity, exponential decay).
  Exponential,
};

/// Decay function parameters; which fields matter depends on `decay`.
struct DecayOptions {
  /// The decay function. DEFAULT: Decay::Step
  Decay decay = Decay::Step;
  /// Catchment threshold d0 (inclusive: d == d0 is inside), in the cost unit. For Zones the
  /// last break is used instead. Must be > 0 (may be +inf except for Step and Gaussian).
  /// DEFAULT: +inf
  double max_cost = std::numeric_limits<double>::infinity();
  /// Zones: increasing upper bounds of the zones (inclusive), in the cost unit.
  /// DEFAULT: {10, 20, 30} (minutes, Luo & Qi 2009)
  std::vector<double> zone_breaks{10.0, 20.0, 30.0};
  /// Zones: weight of each zone, same length as zone_breaks, each in [0, 1].
  /// DEFAULT: {1.00, 0.68, 0.22} (Luo & Qi 2009)
  std::vector<double> zone_weights{1.0, 0.68, 0.22};
  /// Power / Exponential: decay parameter beta (> 0), in 1/cost unit for Exponential.
  /// DEFAULT: 1
  double beta = 1.0;
  /// Power: costs below this are raised to it, so W stays finite at d = 0 (> 0).
  /// DEFAULT: 1 (cost unit)
  double min_cost = 1.0;
};

/// Weight W = f(cost) of one pair under the given decay (cost >= 0; +inf gives 0). Does not
/// validate the options (see validate_decay).
double decay_weight(const DecayOptions& options, double cost) noexcept;

/// Throws InvalidInputError (field = the option name) when the options are inconsistent:
/// non-positive thresholds or beta, zone breaks not strictly increasing, weights outside
/// [0, 1] or lengths that differ.
void validate_decay(const DecayOptions& options);

/// A sparse demand x supply cost table in COO form (entry k is the pair demand[k],
/// supply[k] at cost[k]). Pairs missing from the table are unreachable; cost +inf is also
/// allowed and means unreachable. Each pair should appear once (duplicates count twice).
struct CostTable {
  std::span<const std::int64_t> demand;
  std::span<const std::int64_t> supply;
  std::span<const double> cost;
};

/// Results of a floating-catchment computation.
struct AccessResult {
  /// A_i per demand location (supply per person, e.g. doctors per resident); 0 where no
  /// facility is within reach.
  std::vector<double> access;
  /// R_j per facility (supply per weighted person in its catchment); 0 for a facility
  /// whose catchment holds no (weighted) demand. Hansen gravity: S_j.
  std::vector<double> ratio;
  /// Weighted demand sum_i P_i W_ij in the catchment of each facility.
  std::vector<double> catchment_demand;
};

/// Generic two-step floating catchment with the decay in `options`: R_j and A_i as in the
/// file comment. `population` (P_i, >= 0) has one entry per demand location, `capacity`
/// (S_j, >= 0) one per facility. Property: sum_i P_i A_i = sum of S_j over facilities with
/// catchment_demand > 0. Throws InvalidInputError naming the entry index (feature) and field
/// ("demand", "supply", "cost", "population", "capacity") for ids out of range, NaN or
/// negative costs, and NaN/inf/negative populations or capacities.
AccessResult floating_catchment(const CostTable& table, std::span<const double> population,
                                std::span<const double> capacity, const DecayOptions& options);

/// 2SFCA (Luo & Wang 2003): binary catchment d_ij <= max_cost.
AccessResult two_sfca(const CostTable& table, std::span<const double> population, std::span<const double> capacity,
                      double max_cost);

/// E2SFCA (Luo & Qi 2009): zone weights, by default 1.00 / 0.68 / 0.22 for 0-10 / 10-20 /
/// 20-30 (upper bounds inclusive, in the cost unit).
AccessResult e2sfca(const CostTable& table, std::span<const double> population, std::span<const double> capacity,
                    std::span<const double> zone_breaks, std::span<const double> zone_weights);

/// Gaussian 2SFCA (Dai 2010) with threshold d0 = max_cost.
AccessResult gaussian_2sfca(const CostTable& table, std::span<const double> population,
                            std::span<const double> capacity, double max_cost);

/// Options of gravity accessibility.
struct GravityOptions {
  /// Decay::Power or Decay::Exponential (others are rejected), with beta, min_cost and an
  /// optional max_cost. DEFAULT: Power, beta 1, min_cost 1, no cutoff
  DecayOptions decay{Decay::Power};
  /// false: Hansen (1959) potential A_i = sum_j S_j W_ij. true: with competition for supply
  /// (Joseph & Bantock 1982; Shen 1998): A_i = sum_j S_j W_ij / sum_k P_k W_kj.
  /// DEFAULT: false
  bool competition = false;
};

/// Gravity accessibility (see GravityOptions). Same validation as floating_catchment.
AccessResult gravity(const CostTable& table, std::span<const double> population, std::span<const double> capacity,
                     const GravityOptions& options = {});

}  // namespace jangkau
