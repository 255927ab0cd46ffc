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

#include "monitor.hpp"

namespace jangkau {

/// Node and edge indices as used by the Python bindings (numpy int64).
using NodeIndex = std::int64_t;

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
  static Graph from_edges(std::size_t node_count, std::span<const NodeIndex> from,
                          std::span<const NodeIndex> to,
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
  Graph graph;                          ///< edge_ids() refer to the parent's input edge list
  std::vector<NodeIndex> parent_node;   ///< parent node index of each subgraph node
};

/// The subgraph induced by the nodes with keep[u] != 0 (node order preserved). Throws
/// InvalidInputError if keep.size() != node_count().
Subgraph induced_subgraph(const Graph& graph, std::span<const std::uint8_t> keep);

/// The subgraph induced by the largest weakly connected component.
Subgraph largest_component(const Graph& graph);

/// Start points of a multi-source search: seed k starts at node[k] with initial cost
/// offset[k] (e.g. the off-road leg, >= 0) and belongs to group[k] (a facility or origin id,
/// >= 0). Empty `offset` means all zero; empty `group` means group[k] = k.
struct Seeds {
  std::span<const NodeIndex> node;
  std::span<const double> offset;
  std::span<const NodeIndex> group;

  std::size_t size() const noexcept { return node.size(); }
  double offset_at(std::size_t k) const noexcept { return offset.empty() ? 0.0 : offset[k]; }
  NodeIndex group_at(std::size_t k) const noexcept {
    return group.empty() ? static_cast<NodeIndex>(k) : group[k];
  }
  /// Number of groups = max group + 1 (0 when empty).
  std::size_t group_count() const noexcept;
};

/// Throws InvalidInputError naming the seed index and `what` ("sources", "targets") if a node
/// is out of range, an offset is NaN/inf/negative, a group is negative or the spans differ
/// in length.
void validate_seeds(const Graph& graph, const Seeds& seeds, const char* what);

/// A reusable Dijkstra workspace over one weight set of a graph (one per thread). Memory is
/// O(node_count) allocated once; each run only resets the nodes the previous run settled
/// (a run that completes settles every node it touched; a stopped run clears the rest).
/// Priority queue, chosen per run:
///  - bucket queue (Dial 1969; Dinitz 1978): when every edge weight is > 0 and max/min
///    weight < 2^16, a ring of buckets of width just under the smallest edge weight; all
///    nodes of the lowest bucket are final (no edge can lead from a bucket into itself), so
///    they are settled without comparisons. Each bucket is a list of fixed-size chunks of
///    node ids (from one pool, recycled as soon as a bucket is scanned): an improved node is
///    appended to its new bucket and its old entry, met later, is skipped because the node
///    is settled by then; a bitmap of non-empty buckets skips runs of empty ones (wide
///    weight ranges). The lowest bucket is copied to an array before it is scanned, so
///    the CSR rows and costs of the next few nodes are prefetched while the current one is
///    relaxed (the search is bound by memory latency, not by comparisons);
///  - otherwise a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) over the IEEE bit
///    patterns of the non-negative costs (which order like the costs); among entries of
///    exactly equal cost the lowest group is popped first.
/// Both queues use lazy deletion (an improved node is pushed again, stale entries are
/// skipped). Either way a node's (cost, group) is the lexicographic minimum over its predecessors, so
/// ties between groups go to the lowest group id; results do not depend on the queue.
class ShortestPathSearch {
 public:
  /// Throws InvalidInputError if weight_set is out of range.
  ShortestPathSearch(const Graph& graph, std::size_t weight_set);

  /// Runs one search from all seeds together (validated by the caller; groups must be
  /// < 2^31). A node's cost is min over seeds of offset + path cost; its group is that of
  /// the winning seed (lowest group on ties). Nodes with cost > cutoff are not reached. If
  /// `stop_after` > 0 the search stops once that many nodes flagged in `stop_nodes` are
  /// settled (their costs are final; nodes not yet settled count as not reached). With
  /// track_groups = false groups are ignored (faster; group() is then -1 everywhere).
  void run(const Seeds& seeds, double cutoff = std::numeric_limits<double>::infinity(),
           std::span<const std::uint8_t> stop_nodes = {}, std::size_t stop_after = 0, bool track_groups = true);

  /// Cost of node u in the last run, +inf if not reached.
  double cost(std::size_t u) const noexcept { return m_cost[u]; }
  /// Group of the seed that reached u in the last run, -1 if not reached (or if the run
  /// did not track groups).
  NodeIndex group(std::size_t u) const noexcept { return m_group.empty() ? -1 : m_group[u]; }
  /// Nodes settled by the last run, in order of settlement (costs non-decreasing up to the
  /// bucket width).
  std::span<const std::int32_t> settled() const noexcept { return m_settled; }
  /// Dense copy of the costs of the last run (+inf where not reached).
  std::vector<double> costs() const { return m_cost; }
  /// Moves the dense costs and groups (all -1 if not tracked) of the last run out (no
  /// copy); the next run reallocates them.
  void take_results(std::vector<double>& cost, std::vector<NodeIndex>& group);
  /// Moves the dense costs of the last run out (no copy, groups dropped); the next run
  /// reallocates them.
  std::vector<double> take_costs();

 private:
  struct Entry {
    std::uint64_t key;  // bit pattern of the cost (>= +0.0)
    std::int32_t group;
    std::int32_t node;
  };
  static constexpr std::size_t kBuckets = 65;
  template <bool Groups>
  void run_impl(const Seeds& seeds, double cutoff, std::span<const std::uint8_t> stop_nodes, std::size_t stop_after);
  template <bool Groups>
  void run_buckets(const Seeds& seeds, double cutoff, std::span<const std::uint8_t> stop_nodes,
                   std::size_t stop_after);
  void clear_after_stop(bool stopped);
  void push(const Entry& e);
  Entry pop();
  bool empty() const noexcept { return m_size == 0; }
  void reset(bool track_groups);

  const Graph* m_graph;
  std::span<const double> m_weights;
  std::vector<double> m_cost;
  std::vector<NodeIndex> m_group;
  std::vector<std::uint8_t> m_settled_flag;
  std::vector<std::vector<Entry>> m_buckets;  // bucket b: keys whose highest bit differing from m_last is b-1
  std::uint64_t m_last = 0;                  // last popped key
  std::size_t m_size = 0;
  double m_bucket_width = 0;                  // > 0: bucket queue usable
  // Bucket queue: bucket k is the list of m_chunks from m_head[k & mask] to m_tail[k & mask]
  // (a power-of-two ring longer than max weight / width, so live buckets never share a
  // slot; -1 = empty, and every bucket is empty again after a complete run). Scanned
  // buckets return their chunks to m_free_chunks; m_scan is the bucket being scanned.
  struct Chunk {
    static constexpr std::int32_t kCapacity = 30;
    std::int32_t node[kCapacity];
    std::int32_t count;
    std::int32_t next;
  };
  inline void bucket_add(std::uint64_t slot, std::int32_t v);
  std::uint64_t next_nonempty(std::uint64_t current) const;
  std::vector<std::int32_t> m_head;
  std::vector<std::int32_t> m_tail;
  std::vector<std::uint64_t> m_nonempty;  // bit per ring slot: bucket has entries
  std::vector<Chunk> m_chunks;
  std::vector<std::int32_t> m_free_chunks;
  std::vector<std::int32_t> m_scan;
  std::vector<std::int32_t> m_settled;
};

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
                                        const SearchOptions& options = {},
                                        Monitor& monitor = null_monitor());

/// Nearest facility of every node.
struct NearestResult {
  std::vector<double> cost;          ///< per node; +inf if no facility within the cutoff
  std::vector<NodeIndex> facility;   ///< per node; group id of the nearest facility, -1 if none
};

/// Nearest facility (seed group) of every node in ONE multi-source search; ties go to the
/// lowest group id. Throws InvalidInputError on invalid seeds.
NearestResult nearest_facility(const Graph& graph, const Seeds& facilities,
                               const SearchOptions& options = {});

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
