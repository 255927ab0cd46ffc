#pragma once
// Floating-catchment accessibility straight from a road graph, without materialising the
// facility x demand cost table: one search per facility, the pair weights of that facility
// consumed as soon as they are known. Same numbers as cost_matrix() followed by
// floating_catchment() on its table (same summation order), in O(pairs of one block) memory.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "access.hpp"
#include "monitor.hpp"
#include "network.hpp"

namespace jangkau {

/// Pairs joined without the graph, e.g. a demand point and a facility snapped onto the same
/// road piece (the direct way along it). The pair cost is min(graph cost, extra cost).
struct ExtraPairs {
  /// Target (demand) group of each pair.
  std::span<const NodeIndex> target;
  /// Source (facility) group of each pair.
  std::span<const NodeIndex> source;
  /// Cost of each pair, in the graph weight's unit (>= 0).
  std::span<const double> cost;
};

/// Options of network_floating_catchment().
struct NetworkAccessOptions {
  /// Weight set of the graph used as the cost. DEFAULT: 0
  std::size_t weight_set = 0;
  /// Largest pair cost kept (inclusive), in the graph weight's unit. DEFAULT: +inf
  double cutoff = std::numeric_limits<double>::infinity();
  /// Pair costs are divided by this before the decay (e.g. 60: seconds to minutes). DEFAULT: 1
  double cost_divisor = 1.0;
  /// Decay of the pair weights, in the divided unit. DEFAULT: Step with max_cost +inf
  DecayOptions decay{};
  /// true: Hansen potential (R_j = S_j, no demand step). DEFAULT: false
  bool hansen = false;
  /// Worker threads (0 = all cores). Results do not depend on it. DEFAULT: 0
  int threads = 0;
};

/// One index computed by network_floating_catchments(): a decay and whether it is the
/// Hansen potential.
struct CatchmentSpec {
  /// Decay of the pair weights, in the divided cost unit. DEFAULT: Step with max_cost +inf
  DecayOptions decay{};
  /// true: Hansen potential (R_j = S_j, no demand step). DEFAULT: false
  bool hansen = false;
};

/// Several floating-catchment indices from ONE set of bounded searches (e.g. 2SFCA and
/// E2SFCA over the same catchment): result k is exactly network_floating_catchment() with
/// specs[k].decay and specs[k].hansen (options.decay and options.hansen are ignored). Each
/// facility's search (the Dijkstra engine of dijkstra.hpp, on the graph with its chains
/// contracted when that pays, bounded by options.cutoff, stopping once every target node is
/// settled; one workspace per thread) runs once; its pairs are kept for one block of facilities at a time. Throws as
/// network_floating_catchment().
std::vector<AccessResult> network_floating_catchments(const Graph& graph, const Seeds& sources, const Seeds& targets,
                                                      const ExtraPairs& extra, std::span<const double> population,
                                                      std::span<const double> capacity,
                                                      const NetworkAccessOptions& options,
                                                      std::span<const CatchmentSpec> specs,
                                                      Monitor& monitor = null_monitor());

/// Two-step floating catchment (or gravity) over a graph. Facility j = source group j
/// (seeds with offsets, e.g. snapped facilities on the reversed graph); demand location i =
/// target group i (seeds = the ways onto the network with their offsets). The pair cost is
/// t_ij = min over seeds of (source offset + path + target offset), or an ExtraPairs cost,
/// kept when t_ij <= cutoff; W_ij = f(t_ij / cost_divisor). Then V_j = sum_i P_i W_ij,
/// R_j = S_j / V_j (0 when V_j = 0; S_j for Hansen) and A_i = sum_j R_j W_ij, summed in the
/// order (j, i) ascending like floating_catchment() over a table sorted by source then
/// target. `population` has one entry per target group, `capacity` one per source group.
/// Throws InvalidInputError for invalid seeds, decay options, amounts, extra pairs or
/// divisor; CancelledError via the monitor.
AccessResult network_floating_catchment(const Graph& graph, const Seeds& sources, const Seeds& targets,
                                        const ExtraPairs& extra, std::span<const double> population,
                                        std::span<const double> capacity, const NetworkAccessOptions& options,
                                        Monitor& monitor = null_monitor());

}  // namespace jangkau
