#pragma once
// Directed road graphs in compressed sparse row (CSR) form and shortest-path searches on
// them: single- and multi-source Dijkstra with a cutoff, nearest facility for every node in
// one search, and sparse source x target cost matrices computed in parallel.
//
// Conventions (see docs/access.md):
//  - Costs are whatever the chosen weight set holds (e.g. seconds or metres), float64, >= 0.
//  - Cutoff is inclusive: a node whose cost equals the cutoff exactly is reached.
//  - Unreachable (or beyond the cutoff) is +inf in dense outputs and absent from sparse ones.
//  - A location that lies on an edge (or off the road) is expressed as several "seeds" that
//    share one group id: (node, offset cost) pairs, e.g. for a point at fraction t along the
//    edge u->v with traversal cost c and an off-road leg a: (u, a + t*c) and (v, a + (1-t)*c)
//    (for a two-way road; for a one-way road u->v only (v, a + (1-t)*c) is valid as a source).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "dijkstra.hpp"
#include "monitor.hpp"

namespace jangkau {

struct Subgraph;
class Graph;
/// Declared here to be a friend of Graph; documented below.
Subgraph induced_subgraph(const Graph& graph, std::span<const std::uint8_t> keep);

/// A directed graph in CSR form with one or more named-by-position weight sets sharing the
/// topology (e.g. weight set 0 = time_s, 1 = length_m). Out-edges of node u are
/// [offsets[u], offsets[u+1]); they keep the order in which they were given. Immutable.
class Graph {
 public:
  Graph() = default;

  /// Builds the CSR graph from a directed edge list (edge k goes from[k] -> to[k]) with one
  /// or more weight arrays, each of the same length as `from`. Parallel edges and self loops
  /// are kept. Throws InvalidInputError naming the edge index (feature) and field ("from",
  /// "to", "weight[w]") when an id is outside [0, node_count), a weight is NaN, infinite or
  /// negative, the arrays differ in length, no weight set is given, or node_count >= 2^31.
  static Graph from_edges(std::size_t node_count, std::span<const NodeIndex> from, std::span<const NodeIndex> to,
                          const std::vector<std::span<const double>>& weights);

  /// Number of nodes.
  std::size_t node_count() const noexcept { return m_offsets.empty() ? 0 : m_offsets.size() - 1; }
  /// Number of directed edges.
  std::size_t edge_count() const noexcept { return m_targets.size(); }
  /// Number of weight sets.
  std::size_t weight_count() const noexcept { return m_weights.size(); }
  /// CSR row offsets, node_count() + 1 entries.
  std::span<const std::int64_t> offsets() const noexcept { return m_offsets; }
  /// Head node of each CSR edge.
  std::span<const std::int32_t> targets() const noexcept { return m_targets; }
  /// Weights of weight set `w` per CSR edge. Throws InvalidInputError if `w` is out of range.
  std::span<const double> weights(std::size_t w) const;
  /// Smallest and largest weight of weight set `w` ({0, 0} without edges).
  std::pair<double, double> weight_range(std::size_t w) const;
  /// For each CSR edge, its index in the edge list the graph was built from.
  std::span<const std::int64_t> edge_ids() const noexcept { return m_edge_ids; }
  /// The graph with every edge reversed (same weight sets, same edge ids).
  Graph reversed() const;

 private:
  friend Subgraph induced_subgraph(const Graph& graph, std::span<const std::uint8_t> keep);
  std::vector<std::int64_t> m_offsets;
  std::vector<std::int32_t> m_targets;
  std::vector<std::vector<double>> m_weights;
  std::vector<std::pair<double, double>> m_weight_range;
  std::vector<std::int64_t> m_edge_ids;
};

/// Weakly connected components: label per node, numbered by decreasing size (0 = largest),
/// ties broken by the smallest node index in the component. Deterministic.
std::vector<std::int64_t> weak_components(const Graph& graph);

/// An induced subgraph and the mapping of its nodes back to the parent graph.
struct Subgraph {
  Graph graph;                         ///< edge_ids() refer to the parent's input edge list
  std::vector<NodeIndex> parent_node;  ///< parent node index of each subgraph node
};

/// The subgraph induced by the nodes with keep[u] != 0 (node order preserved). Throws
/// InvalidInputError if keep.size() != node_count().
Subgraph induced_subgraph(const Graph& graph, std::span<const std::uint8_t> keep);

/// The subgraph induced by the largest weakly connected component.
Subgraph largest_component(const Graph& graph);

/// Throws InvalidInputError naming the seed index and `what` ("sources", "targets") if a node
/// is out of range, an offset is NaN/inf/negative, a group is negative or the spans differ
/// in length.
void validate_seeds(const Graph& graph, const Seeds& seeds, const char* what);

/// The Dijkstra engine (engine/core/dijkstra.hpp) over one weight set of a graph (one
/// workspace per thread): run(SearchRun) for the full set of options, run(seeds, cutoff)
/// for a plain search; cost(), group(), settled(), take_costs() etc. read the last run.
/// Throws InvalidInputError if weight_set is out of range.
class ShortestPathSearch : public Dijkstra<PlainView> {
 public:
  ShortestPathSearch(const Graph& graph, std::size_t weight_set);
  using Dijkstra<PlainView>::run;
  /// Runs from all seeds with groups tracked (see SearchRun for the rest).
  void run(const Seeds& seeds, double cutoff = std::numeric_limits<double>::infinity()) {
    SearchRun r;
    r.seeds = seeds;
    r.cutoff = cutoff;
    run(r);
  }
};

/// The plain view of weight set `weight_set` of `graph` (which must outlive it). Throws
/// InvalidInputError if weight_set is out of range.
PlainView plain_view(const Graph& graph, std::size_t weight_set);

/// Options of the searches below.
struct SearchOptions {
  /// Index of the weight set to use. DEFAULT: 0
  std::size_t weight_set = 0;
  /// Largest cost that is still reached (inclusive), in the weight's unit. DEFAULT: +inf
  double cutoff = std::numeric_limits<double>::infinity();
  /// Worker threads for many-source searches (0 = all cores). DEFAULT: 0
  int threads = 0;
};

/// Costs from each single source node to every node: row-major (sources.size() x
/// node_count), +inf where unreachable or beyond the cutoff. Sources run in parallel.
/// Throws InvalidInputError on a source outside the graph; CancelledError via the monitor.
std::vector<double> shortest_path_costs(const Graph& graph, std::span<const NodeIndex> sources,
                                        const SearchOptions& options = {}, Monitor& monitor = null_monitor());

/// Nearest facility of every node.
struct NearestResult {
  std::vector<double> cost;         ///< per node; +inf if no facility within the cutoff
  std::vector<NodeIndex> facility;  ///< per node; group id of the nearest facility, -1 if none
};

/// Nearest facility (seed group) of every node in ONE multi-source search; ties go to the
/// lowest group id. Throws InvalidInputError on invalid seeds.
NearestResult nearest_facility(const Graph& graph, const Seeds& facilities, const SearchOptions& options = {});

/// A sparse cost matrix in COO form sorted by source, then target.
struct CostMatrix {
  std::vector<NodeIndex> source;  ///< source group id
  std::vector<NodeIndex> target;  ///< target group id (or node index when no targets given)
  std::vector<double> cost;       ///< in the weight's unit, <= cutoff
};

/// Costs from every source group to every target group reachable within the cutoff. Each
/// source group is one multi-seed search (run in parallel over groups, deterministic
/// output). A target group's cost is min over its seeds (node, offset) of cost(node) +
/// offset. When `targets` is empty, every reached node is a target (target = node index).
/// Groups without seeds produce no rows. Throws InvalidInputError on invalid seeds;
/// CancelledError via the monitor.
CostMatrix cost_matrix(const Graph& graph, const Seeds& sources, const Seeds& targets,
                       const SearchOptions& options = {}, Monitor& monitor = null_monitor());

}  // namespace jangkau
