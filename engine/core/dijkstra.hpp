#pragma once
// The one shortest-path engine: Dijkstra's algorithm, `Dijkstra<View>`, over a graph view —
// the CSR graph itself (PlainView) or the graph with its chains of bend nodes contracted
// (ContractedView) — with one of two queues, a bucket queue or a radix heap, chosen per run
// by one rule (bucket_plan()). Every search of the library (single and multi source, nearest
// facility, cost matrices, floating catchments) runs through it.
//
// Conventions (see docs/access.md):
//  - Costs are whatever the chosen weight set holds (e.g. seconds or metres), float64, >= 0.
//  - Cutoff is inclusive: a node whose cost equals the cutoff exactly is reached.
//  - Unreachable (or beyond the cutoff) is +inf.
//  - A node's cost is the minimum over its in-arcs of (cost of tail + arc weight), the arc
//    weights added one at a time: the same bits whatever the queue and whichever view (a
//    contracted arc adds the weights of its chain one by one, as a search through the chain
//    would). A node's group is the lowest group among the seeds that attain its cost.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace jangkau {

/// Node and edge indices as used by the Python bindings (numpy int64).
using NodeIndex = std::int64_t;

class Graph;

/// Start points of a multi-source search: seed k starts at node[k] with initial cost
/// offset[k] (e.g. the off-road leg, >= 0) and belongs to group[k] (a facility or origin id,
/// >= 0). Empty `offset` means all zero; empty `group` means group[k] = k.
struct Seeds {
  std::span<const NodeIndex> node;
  std::span<const double> offset;
  std::span<const NodeIndex> group;

  std::size_t size() const noexcept { return node.size(); }
  double offset_at(std::size_t k) const noexcept { return offset.empty() ? 0.0 : offset[k]; }
  NodeIndex group_at(std::size_t k) const noexcept { return group.empty() ? static_cast<NodeIndex>(k) : group[k]; }
  /// Number of groups = max group + 1 (0 when empty).
  std::size_t group_count() const noexcept;
};

/// What a seed index is keyed by.
enum class SeedKey {
  Group,  ///< seeds of one group together (a source or a demand location)
  Node,   ///< seeds on one node together (which targets a settled node leads to)
};

/// The one way seeds are grouped: a CSR over keys (groups or nodes) holding each seed's
/// node, offset and group, seeds of one key in their input order.
struct SeedIndex {
  std::vector<std::size_t> offsets;  ///< keys + 1 entries
  std::vector<NodeIndex> node;       ///< seed node, in key order
  std::vector<double> offset;        ///< seed offset (0 when the seeds had none)
  std::vector<NodeIndex> group;      ///< seed group

  /// Number of keys.
  std::size_t keys() const noexcept { return offsets.empty() ? 0 : offsets.size() - 1; }
  /// The seeds of key k as a Seeds view (groups kept; valid while the index lives).
  Seeds seeds(std::size_t k) const noexcept;
  /// Flag per key: 1 if it has at least one seed; `count` receives the number of such keys.
  std::vector<std::uint8_t> present(std::size_t& count) const;
};

/// Groups `seeds` by group id or node id into `keys` keys. Seeds must be valid (see
/// validate_seeds() in network.hpp) and every key < `keys`.
SeedIndex index_seeds(const Seeds& seeds, std::size_t keys, SeedKey key);

/// Which priority queue a run may use.
enum class QueueKind {
  Automatic,  ///< the bucket queue when bucket_plan() allows it, otherwise the radix heap
  Heap,       ///< always the radix heap (comparisons, tests)
};

/// One search: replaces positional arguments. DEFAULTS as given.
struct SearchRun {
  /// Start points, validated by the caller (groups < 2^31). DEFAULT: none
  Seeds seeds{};
  /// Largest cost still reached (inclusive), in the weight's unit. DEFAULT: +inf
  double cutoff = std::numeric_limits<double>::infinity();
  /// Per node: 1 = a stop node. Only read when stop_after > 0. DEFAULT: none
  std::span<const std::uint8_t> stop_nodes{};
  /// > 0: stop once that many stop nodes are settled (their costs are final; nodes not yet
  /// settled count as not reached). DEFAULT: 0 (run to the end)
  std::size_t stop_after = 0;
  /// false: groups are ignored (faster; group() is -1 everywhere). DEFAULT: true
  bool track_groups = true;
  /// Queue choice. DEFAULT: Automatic
  QueueKind queue = QueueKind::Automatic;
};

/// The CSR graph as the engine sees it: out-arcs of node u are [offsets[u], offsets[u+1]).
class PlainView {
 public:
  /// Spans must outlive the view; `lightest`/`heaviest` = smallest/largest weight.
  PlainView(std::span<const std::int64_t> offsets, std::span<const std::int32_t> targets,
            std::span<const double> weights, double lightest, double heaviest) noexcept
      : m_offsets(offsets.data()),
        m_targets(targets.data()),
        m_weights(weights.data()),
        m_nodes(offsets.empty() ? 0 : offsets.size() - 1),
        m_arcs(targets.size()),
        m_lightest(lightest),
        m_heaviest(heaviest) {}

  /// Number of nodes (ids in [0, node_count())).
  std::size_t node_count() const noexcept { return m_nodes; }
  /// Number of arcs.
  std::size_t arc_count() const noexcept { return m_arcs; }
  /// Smallest amount an arc adds to a cost.
  double lightest() const noexcept { return m_lightest; }
  /// Largest amount an arc adds to a cost.
  double heaviest() const noexcept { return m_heaviest; }
  /// Most additions (roundings) one arc makes.
  std::size_t additions() const noexcept { return 1; }
  /// Calls f(head, cost) for each out-arc of u, cost = cu + weight.
  template <class F>
  void relax(std::size_t u, double cu, F&& f) const {
    for (auto e = m_offsets[u], end = m_offsets[u + 1]; e < end; ++e) f(m_targets[e], cu + m_weights[e]);
  }
  /// Prefetch hints for the search loop (first the row bounds, later the row itself).
  void prefetch_bounds(std::size_t u) const noexcept { __builtin_prefetch(&m_offsets[u]); }
  void prefetch_row(std::size_t u) const noexcept {
    __builtin_prefetch(&m_targets[m_offsets[u]]);
    __builtin_prefetch(&m_weights[m_offsets[u]]);
  }

 private:
  const std::int64_t* m_offsets;
  const std::int32_t* m_targets;
  const double* m_weights;
  std::size_t m_nodes, m_arcs;
  double m_lightest, m_heaviest;
};

/// A graph minus the nodes whose cost nobody needs: a node that is not `needed` and has at
/// most two distinct neighbours (a bend or a dead end of a road) is bypassed. A dead end is
/// dropped, and a chain u - x1 - ... - xk - w of such nodes becomes an arc u -> w that keeps
/// the weights of the chain (the lightest of parallel edges after the first) and adds them
/// one by one, so the cost reaching w is bit-for-bit the one a search through the chain
/// computes. Node ids are those of the graph; bypassed nodes have no arcs and are never
/// reached.
struct ContractedGraph {
  struct Arc {
    std::int32_t head;
    std::uint32_t chain;  ///< 0: a plain edge; c > 0: more weights in chain_weight[chain_first[c-1], chain_first[c])
    double weight;        ///< first weight
  };
  std::vector<std::uint32_t> first;  ///< node_count + 1
  std::vector<Arc> arcs;
  std::vector<std::uint32_t> chain_first{0};
  std::vector<double> chain_weight;
  double lightest = std::numeric_limits<double>::infinity();  ///< smallest first weight of an arc
  double heaviest = 0;                                        ///< largest total weight of an arc
  std::size_t longest_chain = 0;                              ///< most chain weights of one arc
  std::size_t live_nodes = 0;                                 ///< nodes not bypassed
  bool built = false;  ///< false: too few nodes to bypass (contract_chains() returns an empty one)
};

/// Contracts the chains of weight set `weight_set` of `graph` (see ContractedGraph) when at
/// least a quarter of the nodes can be bypassed; otherwise returns a graph with built =
/// false. `needed` has one flag per node (seeds and targets: their costs are kept). Throws
/// InvalidInputError if the graph has >= 2^31 edges.
ContractedGraph contract_chains(const Graph& graph, std::size_t weight_set, std::span<const std::uint8_t> needed);

/// A ContractedGraph (which must outlive the view) as the engine sees it.
class ContractedView {
 public:
  explicit ContractedView(const ContractedGraph& g) noexcept
      : m_first(g.first.data()),
        m_arcs(g.arcs.data()),
        m_chain_first(g.chain_first.data()),
        m_chain_weight(g.chain_weight.data()),
        m_g(&g) {}
  /// Number of node ids (bypassed nodes included).
  std::size_t node_count() const noexcept { return m_g->first.empty() ? 0 : m_g->first.size() - 1; }
  /// Number of arcs.
  std::size_t arc_count() const noexcept { return m_g->arcs.size(); }
  /// Smallest amount an arc adds to a cost (its first weight).
  double lightest() const noexcept { return m_g->lightest; }
  /// Largest amount an arc adds to a cost.
  double heaviest() const noexcept { return m_g->heaviest; }
  /// Most additions (roundings) one arc makes.
  std::size_t additions() const noexcept { return 1 + m_g->longest_chain; }
  /// Calls f(head, cost) for each out-arc of u; a chain's weights are added one by one.
  template <class F>
  void relax(std::size_t u, double cu, F&& f) const {
    for (std::uint32_t e = m_first[u], end = m_first[u + 1]; e < end; ++e) {
      const ContractedGraph::Arc& a = m_arcs[e];
      double c = cu + a.weight;
      if (a.chain != 0)
        for (std::uint32_t k = m_chain_first[a.chain - 1], k_end = m_chain_first[a.chain]; k < k_end; ++k)
          c += m_chain_weight[k];
      f(a.head, c);
    }
  }
  /// Prefetch hints for the search loop.
  void prefetch_bounds(std::size_t u) const noexcept { __builtin_prefetch(&m_first[u]); }
  void prefetch_row(std::size_t u) const noexcept { __builtin_prefetch(&m_arcs[m_first[u]]); }

 private:
  // Raw pointers: a copy of the view in the search loop keeps them in registers.
  const std::uint32_t* m_first;
  const ContractedGraph::Arc* m_arcs;
  const std::uint32_t* m_chain_first;
  const double* m_chain_weight;
  const ContractedGraph* m_g;
};

namespace detail {

/// The bucket rule (one for every search). Buckets have width w = (1 - 2^-12) x the
/// lightest arc, so an arc always leads out of its tail's bucket, and every node of the
/// lowest bucket is final: it is settled without comparisons. The margin of 2^-12 of a
/// width absorbs the rounding of the costs and of cost/w (a relative 2^-52 per addition)
/// while bucket indices stay below 2^30 / (additions per arc); a relaxed node is also never
/// put into the bucket being scanned. The bucket queue is used when
///  - every arc adds > 0 (no zero weights);
///  - the live buckets — costs queued at once lie within min(heaviest arc + seed offset
///    spread, cutoff) — fit a ring of at most 2^20 slots;
///  - the largest cost that can be queued, min(cutoff, highest seed offset + (nodes - 1) x
///    heaviest arc), is below 2^30 / (additions per arc) widths;
///  - arcs + seeds < 2^31 (queue entries are int32 indices).
/// Otherwise the radix heap. width == 0 means "use the heap".
struct BucketPlan {
  double width = 0;
  std::size_t slots = 0;  ///< ring size, a power of two
};
BucketPlan bucket_plan(double lightest, double heaviest, std::size_t additions, std::size_t nodes, std::size_t arcs,
                       std::size_t seeds, double lowest_seed, double highest_seed, double cutoff);

/// Bucket queue (Dial 1969; Dinitz 1978) on a ring of buckets (see bucket_plan()). Each
/// bucket is a list of fixed-size chunks of node ids from one pool, recycled as soon as a
/// bucket is taken; a bitmap of non-empty buckets skips runs of empty ones. An improved
/// node is appended to its new bucket; its old entry is skipped later (lazy deletion).
///
/// The counters of a run live in a Cursor the search loop keeps as a local (in registers:
/// the loop's stores into cost and flag arrays cannot alias it); every call takes it, and
/// push() and take() are always inlined (dijkstra.cpp) so that its address never escapes.
class BucketQueue {
 public:
  struct Cursor {
    double inv_width;       // 1 / width: a multiply per push instead of a divide; monotone
    std::uint64_t mask;     // ring slots - 1
    std::uint64_t current;  // next bucket to take from
    std::uint64_t floor;    // lowest bucket a push may use (past the bucket taken last)
    std::size_t pending;    // entries in the ring, stale ones included
  };
  /// Starts a run on an empty ring of >= plan.slots slots; `lowest` = smallest seed cost;
  /// `nodes` sizes the chunk pool on first use.
  Cursor start(const BucketPlan& plan, double lowest, std::size_t nodes);
  /// Queues node v at cost c (group ignored): bucket c / width, never the bucket taken last.
  [[gnu::always_inline]] inline void push(Cursor& q, std::int32_t v, double c, std::int32_t group);
  /// True when no entry is queued.
  static bool empty(const Cursor& q) noexcept { return q.pending == 0; }
  /// Removes the lowest non-empty bucket and returns its nodes (stale entries included; all
  /// final, in any order). Valid until the next take().
  [[gnu::always_inline]] inline std::span<const std::int32_t> take(Cursor& q);
  /// Calls f(node) for every queued entry (and the last bucket taken) and empties the ring.
  template <class F>
  void clear(Cursor& q, F&& f);

 private:
  struct Chunk {
    static constexpr std::int32_t kCapacity = 30;
    std::int32_t node[kCapacity];
    std::int32_t count;
    std::int32_t next;
  };
  std::uint64_t next_nonempty(std::uint64_t current, std::uint64_t mask) const;
  std::vector<std::int32_t> m_head, m_tail;  // chunk lists per slot, -1 = empty
  std::vector<std::uint64_t> m_nonempty;     // bit per slot
  std::vector<Chunk> m_chunks;
  std::vector<std::int32_t> m_free_chunks;
  std::vector<std::int32_t> m_scan;  // the bucket taken last
};

/// Radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) over the IEEE bit patterns of the
/// non-negative costs (which order like the costs), with lazy deletion; among entries of
/// exactly equal cost the lowest group comes first.
class RadixHeap {
 public:
  /// The counters of a run (see BucketQueue::Cursor).
  struct Cursor {
    std::uint64_t last;  // key taken last
    std::size_t size;    // entries queued
  };
  RadixHeap() : m_buckets(65) {}
  /// Starts a run on an empty heap.
  Cursor start();
  /// Queues node v at cost c (>= the last cost taken) for `group`.
  [[gnu::always_inline]] inline void push(Cursor& q, std::int32_t v, double c, std::int32_t group);
  /// True when no entry is queued.
  static bool empty(const Cursor& q) noexcept { return q.size == 0; }
  /// Removes the entry of lowest (cost, group) and returns its node as a batch of one.
  [[gnu::always_inline]] inline std::span<const std::int32_t> take(Cursor& q);
  /// Calls f(node) for every queued entry and empties the heap.
  template <class F>
  void clear(Cursor& q, F&& f);

 private:
  struct Entry {
    std::uint64_t key;  // bit pattern of the cost (>= +0.0)
    std::int32_t group;
    std::int32_t node;
  };
  std::vector<std::vector<Entry>> m_buckets;  // bucket b: keys whose highest bit differing from `last` is b-1
  std::int32_t m_top = 0;
};

}  // namespace detail

/// A reusable Dijkstra workspace over a graph view (one per thread). Memory is O(nodes)
/// allocated once; each run resets only the nodes the previous run settled (a completed run
/// settles every node it touched; a stopped run clears the rest), or refills the arrays
/// when it settled more than an eighth of them. The queue is chosen per run by
/// detail::bucket_plan(): the bucket queue settles a whole bucket as one array, prefetching
/// the rows and costs of the next nodes while the current one is relaxed (the search is
/// bound by memory latency); the radix heap hands out one node at a time. Both use lazy
/// deletion; results do not depend on the queue. View is PlainView or ContractedView.
template <class View>
class Dijkstra {
 public:
  /// The view (and what it refers to) must outlive the workspace.
  explicit Dijkstra(const View& view);

  /// Runs one search from all seeds of `run` together. A node's cost is min over seeds of
  /// offset + path cost; its group is that of the winning seed (lowest group on ties).
  void run(const SearchRun& run);

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
  /// True if the last run used the bucket queue (false: the radix heap).
  bool used_buckets() const noexcept { return m_used_buckets; }
  /// The view searched.
  const View& view() const noexcept { return m_view; }

 private:
  template <class Queue, bool Groups>
  void settle(Queue& queue, typename Queue::Cursor q, const SearchRun& run);
  void reset(bool track_groups);

  View m_view;
  std::vector<double> m_cost;
  std::vector<NodeIndex> m_group;
  std::vector<std::uint8_t> m_settled_flag;
  std::vector<std::int32_t> m_settled;
  detail::BucketQueue m_buckets;
  detail::RadixHeap m_heap;
  bool m_used_buckets = false;
};

extern template class Dijkstra<PlainView>;
extern template class Dijkstra<ContractedView>;

}  // namespace jangkau
