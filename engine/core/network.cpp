#include "network.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>

#include "error.hpp"
#include "parallel.hpp"

namespace jangkau {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

[[noreturn]] void fail(const std::string& message, std::int64_t feature, const std::string& field) {
  throw InvalidInputError(message, ErrorContext{"", feature, field});
}

void check_cutoff(double cutoff) {
  if (std::isnan(cutoff) || cutoff < 0) fail("cutoff must be >= 0 (or +inf), got " + std::to_string(cutoff), -1, "cutoff");
}

// Union-find with path halving; union by index keeps the representative deterministic.
struct DisjointSets {
  std::vector<std::int32_t> parent;
  explicit DisjointSets(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  std::int32_t find(std::int32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
  void unite(std::int32_t a, std::int32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (a < b) std::swap(a, b);
    parent[a] = b;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------- Graph

Graph Graph::from_edges(std::size_t node_count, std::span<const NodeIndex> from, std::span<const NodeIndex> to,
                        const std::vector<std::span<const double>>& weights) {
  if (node_count >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    fail("node_count must be < 2^31, got " + std::to_string(node_count), -1, "node_count");
  if (from.size() != to.size())
    fail("'from' and 'to' differ in length (" + std::to_string(from.size()) + " vs " + std::to_string(to.size()) + ")",
         -1, "to");
  if (weights.empty()) fail("at least one weight set is required", -1, "weight");
  const std::size_t m = from.size();
  const auto n = static_cast<NodeIndex>(node_count);
  for (std::size_t w = 0; w < weights.size(); ++w) {
    const std::string field = "weight[" + std::to_string(w) + "]";
    if (weights[w].size() != m)
      fail("weight set " + std::to_string(w) + " has " + std::to_string(weights[w].size()) + " values for " +
               std::to_string(m) + " edges",
           -1, field);
    for (std::size_t k = 0; k < m; ++k) {
      const double c = weights[w][k];
      if (!std::isfinite(c) || c < 0)
        fail("edge weight must be finite and >= 0, got " + std::to_string(c), static_cast<std::int64_t>(k), field);
    }
  }
  for (std::size_t k = 0; k < m; ++k) {
    if (from[k] < 0 || from[k] >= n)
      fail("node " + std::to_string(from[k]) + " is outside [0, " + std::to_string(n) + ")",
           static_cast<std::int64_t>(k), "from");
    if (to[k] < 0 || to[k] >= n)
      fail("node " + std::to_string(to[k]) + " is outside [0, " + std::to_string(n) + ")",
           static_cast<std::int64_t>(k), "to");
  }

  // Stable counting sort by tail node: out-edges keep their input order.
  Graph g;
  g.m_offsets.assign(node_count + 1, 0);
  for (std::size_t k = 0; k < m; ++k) ++g.m_offsets[static_cast<std::size_t>(from[k]) + 1];
  for (std::size_t u = 0; u < node_count; ++u) g.m_offsets[u + 1] += g.m_offsets[u];
  std::vector<std::int64_t> fill(g.m_offsets.begin(), g.m_offsets.end() - 1);
  g.m_targets.resize(m);
  g.m_edge_ids.resize(m);
  for (std::size_t k = 0; k < m; ++k) {
    const auto slot = static_cast<std::size_t>(fill[static_cast<std::size_t>(from[k])]++);
    g.m_targets[slot] = static_cast<std::int32_t>(to[k]);
    g.m_edge_ids[slot] = static_cast<std::int64_t>(k);
  }
  g.m_weights.resize(weights.size());
  for (std::size_t w = 0; w < weights.size(); ++w) {
    auto& out = g.m_weights[w];
    out.resize(m);
    for (std::size_t slot = 0; slot < m; ++slot) out[slot] = weights[w][static_cast<std::size_t>(g.m_edge_ids[slot])] + 0.0;
    double lo = m == 0 ? 0.0 : kInf, hi = 0.0;
    for (double c : out) {
      lo = std::min(lo, c);
      hi = std::max(hi, c);
    }
    g.m_weight_range.emplace_back(lo, hi);
  }
  return g;
}

std::span<const double> Graph::weights(std::size_t w) const {
  if (w >= m_weights.size())
    fail("weight set " + std::to_string(w) + " does not exist (graph has " + std::to_string(m_weights.size()) + ")",
         -1, "weight");
  return m_weights[w];
}

std::pair<double, double> Graph::weight_range(std::size_t w) const {
  (void)weights(w);
  return m_weight_range[w];
}

Graph Graph::reversed() const {
  const std::size_t n = node_count();
  const std::size_t m = edge_count();
  std::vector<NodeIndex> from(m), to(m);
  for (std::size_t u = 0; u < n; ++u)
    for (auto e = m_offsets[u]; e < m_offsets[u + 1]; ++e) {
      from[static_cast<std::size_t>(e)] = m_targets[static_cast<std::size_t>(e)];
      to[static_cast<std::size_t>(e)] = static_cast<NodeIndex>(u);
    }
  std::vector<std::span<const double>> w(m_weights.begin(), m_weights.end());
  Graph r = from_edges(n, from, to, w);
  for (auto& id : r.m_edge_ids) id = m_edge_ids[static_cast<std::size_t>(id)];
  return r;
}

// ----------------------------------------------------------------------------- components

std::vector<std::int64_t> weak_components(const Graph& graph) {
  const std::size_t n = graph.node_count();
  DisjointSets sets(n);
  const auto offsets = graph.offsets();
  const auto targets = graph.targets();
  for (std::size_t u = 0; u < n; ++u)
    for (auto e = offsets[u]; e < offsets[u + 1]; ++e)
      sets.unite(static_cast<std::int32_t>(u), targets[static_cast<std::size_t>(e)]);
  // Representatives are the smallest node of each component (unite keeps the smaller root).
  std::vector<std::int64_t> size(n, 0);
  std::vector<std::int32_t> root(n);
  for (std::size_t u = 0; u < n; ++u) {
    root[u] = sets.find(static_cast<std::int32_t>(u));
    ++size[static_cast<std::size_t>(root[u])];
  }
  std::vector<std::int32_t> roots;
  for (std::size_t u = 0; u < n; ++u)
    if (root[u] == static_cast<std::int32_t>(u)) roots.push_back(static_cast<std::int32_t>(u));
  std::stable_sort(roots.begin(), roots.end(), [&](std::int32_t a, std::int32_t b) { return size[a] > size[b]; });
  std::vector<std::int64_t> label_of_root(n, -1);
  for (std::size_t c = 0; c < roots.size(); ++c) label_of_root[static_cast<std::size_t>(roots[c])] = static_cast<std::int64_t>(c);
  std::vector<std::int64_t> label(n);
  for (std::size_t u = 0; u < n; ++u) label[u] = label_of_root[static_cast<std::size_t>(root[u])];
  return label;
}

Subgraph induced_subgraph(const Graph& graph, std::span<const std::uint8_t> keep) {
  const std::size_t n = graph.node_count();
  if (keep.size() != n)
    fail("keep has " + std::to_string(keep.size()) + " entries for " + std::to_string(n) + " nodes", -1, "keep");
  Subgraph sub;
  std::vector<NodeIndex> new_index(n, -1);
  for (std::size_t u = 0; u < n; ++u)
    if (keep[u]) {
      new_index[u] = static_cast<NodeIndex>(sub.parent_node.size());
      sub.parent_node.push_back(static_cast<NodeIndex>(u));
    }
  const auto offsets = graph.offsets();
  const auto targets = graph.targets();
  std::vector<NodeIndex> from, to;
  std::vector<std::size_t> kept_edges;
  for (std::size_t u = 0; u < n; ++u) {
    if (!keep[u]) continue;
    for (auto e = offsets[u]; e < offsets[u + 1]; ++e) {
      const auto v = static_cast<std::size_t>(targets[static_cast<std::size_t>(e)]);
      if (!keep[v]) continue;
      from.push_back(new_index[u]);
      to.push_back(new_index[v]);
      kept_edges.push_back(static_cast<std::size_t>(e));
    }
  }
  std::vector<std::vector<double>> weights(graph.weight_count());
  std::vector<std::span<const double>> views;
  for (std::size_t w = 0; w < graph.weight_count(); ++w) {
    const auto all = graph.weights(w);
    weights[w].reserve(kept_edges.size());
    for (auto e : kept_edges) weights[w].push_back(all[e]);
    views.emplace_back(weights[w]);
  }
  sub.graph = Graph::from_edges(sub.parent_node.size(), from, to, views);
  // from_edges numbered edges by their position in kept_edges; map back to the parent's ids.
  const auto ids = graph.edge_ids();
  for (auto& id : sub.graph.m_edge_ids) id = ids[kept_edges[static_cast<std::size_t>(id)]];
  return sub;
}

Subgraph largest_component(const Graph& graph) {
  const auto label = weak_components(graph);
  std::vector<std::uint8_t> keep(label.size());
  for (std::size_t u = 0; u < label.size(); ++u) keep[u] = label[u] == 0 ? 1 : 0;
  return induced_subgraph(graph, keep);
}

// ---------------------------------------------------------------------------------- seeds

std::size_t Seeds::group_count() const noexcept {
  if (group.empty()) return node.size();
  NodeIndex best = -1;
  for (auto g : group) best = std::max(best, g);
  return static_cast<std::size_t>(best + 1);
}

void validate_seeds(const Graph& graph, const Seeds& seeds, const char* what) {
  const std::string name(what);
  if (!seeds.offset.empty() && seeds.offset.size() != seeds.node.size())
    fail(name + ": " + std::to_string(seeds.offset.size()) + " offsets for " + std::to_string(seeds.node.size()) +
             " nodes",
         -1, name + "_offset");
  if (!seeds.group.empty() && seeds.group.size() != seeds.node.size())
    fail(name + ": " + std::to_string(seeds.group.size()) + " groups for " + std::to_string(seeds.node.size()) +
             " nodes",
         -1, name + "_group");
  const auto n = static_cast<NodeIndex>(graph.node_count());
  for (std::size_t k = 0; k < seeds.size(); ++k) {
    const auto feature = static_cast<std::int64_t>(k);
    if (seeds.node[k] < 0 || seeds.node[k] >= n)
      fail(name + ": node " + std::to_string(seeds.node[k]) + " is outside [0, " + std::to_string(n) + ")", feature,
           name);
    const double o = seeds.offset_at(k);
    if (!std::isfinite(o) || o < 0)
      fail(name + ": offset must be finite and >= 0, got " + std::to_string(o), feature, name + "_offset");
    if (seeds.group_at(k) < 0 || seeds.group_at(k) >= std::numeric_limits<std::int32_t>::max())
      fail(name + ": group must be in [0, 2^31), got " + std::to_string(seeds.group_at(k)), feature, name + "_group");
  }
}

// --------------------------------------------------------------------------------- search

ShortestPathSearch::ShortestPathSearch(const Graph& graph, std::size_t weight_set)
    : m_graph(&graph), m_weights(graph.weights(weight_set)), m_buckets(kBuckets) {
  const auto [lo, hi] = graph.weight_range(weight_set);
  // Width a hair under the smallest weight: an edge always leaves its bucket even after
  // rounding of cost / width. Bounded ring so memory and empty-bucket scans stay small.
  if (lo > 0 && hi / lo < 65536.0) {
    m_bucket_width = lo * (1.0 - 1e-6);
    std::size_t ring = 1;
    while (static_cast<double>(ring) < std::ceil(hi / m_bucket_width) + 3) ring *= 2;
    m_head.assign(ring, -1);
    m_tail.assign(ring, -1);
    m_nonempty.assign((ring + 63) / 64, 0);
    // Enough for every live bucket to have a partly filled chunk (no regrowth copies).
    m_chunks.reserve(ring + graph.node_count() / Chunk::kCapacity + 1);
  }
  reset(false);
  m_settled.reserve(1024);
}

namespace {
std::uint64_t cost_key(double c) noexcept {
  // Non-negative doubles order like their bit patterns; +0.0 turns -0.0 into +0.0.
  return std::bit_cast<std::uint64_t>(c + 0.0);
}
std::size_t bucket_of(std::uint64_t key, std::uint64_t last) noexcept {
  return key == last ? 0 : static_cast<std::size_t>(64 - std::countl_zero(key ^ last));
}
}  // namespace

void ShortestPathSearch::push(const Entry& e) {
  m_buckets[bucket_of(e.key, m_last)].push_back(e);
  ++m_size;
}

ShortestPathSearch::Entry ShortestPathSearch::pop() {
  auto& zero = m_buckets[0];
  if (zero.empty()) {
    std::size_t b = 1;
    while (m_buckets[b].empty()) ++b;
    auto& from = m_buckets[b];
    std::uint64_t least = from.front().key;
    for (const auto& e : from) least = std::min(least, e.key);
    m_last = least;
    // Every entry of bucket b moves to a lower bucket relative to the new minimum.
    for (const auto& e : from) m_buckets[bucket_of(e.key, m_last)].push_back(e);
    from.clear();
  }
  // Bucket 0 holds exactly the entries whose cost equals the minimum: take the lowest group.
  std::size_t best = zero.size() - 1;
  for (std::size_t i = 0; i + 1 < zero.size(); ++i)
    if (zero[i].group < zero[best].group) best = i;
  const Entry top = zero[best];
  zero[best] = zero.back();
  zero.pop_back();
  --m_size;
  return top;
}

void ShortestPathSearch::reset(bool track_groups) {
  const std::size_t n = m_graph->node_count();
  // Every node with a finite cost or a settled flag is in m_settled (see clear_after_stop).
  const bool refill = m_settled.size() > n / 8;  // sequential fill beats scattered writes
  if (m_cost.size() != n) {
    // First run, or the results were taken: start from fresh arrays.
    m_cost.assign(n, kInf);
    m_settled_flag.assign(n, 0);
  } else if (refill) {
    std::fill(m_cost.begin(), m_cost.end(), kInf);
    std::fill(m_settled_flag.begin(), m_settled_flag.end(), 0);
  } else {
    for (auto u : m_settled) {
      m_cost[static_cast<std::size_t>(u)] = kInf;
      m_settled_flag[static_cast<std::size_t>(u)] = 0;
    }
  }
  // Groups are only stored by runs that track them (allocated on first use).
  if (m_group.size() == n) {
    if (refill) {
      std::fill(m_group.begin(), m_group.end(), -1);
    } else {
      for (auto u : m_settled) m_group[static_cast<std::size_t>(u)] = -1;
    }
  } else if (track_groups) {
    m_group.assign(n, -1);
  }
  for (auto& b : m_buckets) b.clear();
  // The ring is empty after every run (see run_buckets and clear_after_stop).
  m_last = 0;
  m_size = 0;
  m_settled.clear();
}

void ShortestPathSearch::take_results(std::vector<double>& cost, std::vector<NodeIndex>& group) {
  cost = std::move(m_cost);
  if (m_group.size() == cost.size())
    group = std::move(m_group);
  else
    group.assign(cost.size(), -1);  // groups were not tracked
  m_cost.clear();  // the next reset() refills the costs and the settled flags
  m_group.clear();
  m_settled.clear();
}

std::vector<double> ShortestPathSearch::take_costs() {
  std::vector<double> cost = std::move(m_cost);
  m_cost.clear();  // the next reset() refills the costs and the settled flags
  m_group.clear();
  m_settled.clear();
  return cost;
}

void ShortestPathSearch::run(const Seeds& seeds, double cutoff, std::span<const std::uint8_t> stop_nodes,
                             std::size_t stop_after, bool track_groups) {
  reset(track_groups);
  // Chunks are indexed with int32: at most one entry per seed and per edge relaxation.
  bool buckets = m_bucket_width > 0 && seeds.size() > 0 &&
                 m_graph->edge_count() + seeds.size() < static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
  if (buckets) {
    // Seeds must fit in one turn of the ring.
    double lo = kInf, hi = 0;
    for (std::size_t k = 0; k < seeds.size(); ++k) {
      lo = std::min(lo, seeds.offset_at(k));
      hi = std::max(hi, seeds.offset_at(k));
    }
    buckets = (hi - lo) / m_bucket_width + 3 < static_cast<double>(m_head.size()) && hi / m_bucket_width < 1e15;
  }
  if (buckets) {
    if (track_groups)
      run_buckets<true>(seeds, cutoff, stop_nodes, stop_after);
    else
      run_buckets<false>(seeds, cutoff, stop_nodes, stop_after);
  } else if (track_groups) {
    run_impl<true>(seeds, cutoff, stop_nodes, stop_after);
  } else {
    run_impl<false>(seeds, cutoff, stop_nodes, stop_after);
  }
}

void ShortestPathSearch::clear_after_stop(bool stopped) {
  if (!stopped) return;
  // Tentative costs of unsettled nodes are not results. Every touched but unsettled node
  // still has an entry in the queue, so clearing the queued nodes leaves finite costs
  // only on settled nodes (which is what reset() relies on).
  auto clear = [this](std::int32_t u) {
    const auto su = static_cast<std::size_t>(u);
    if (!m_settled_flag[su]) {
      m_cost[su] = kInf;
      if (!m_group.empty()) m_group[su] = -1;
    }
  };
  for (auto& b : m_buckets) {
    for (const auto& e : b) clear(e.node);
    b.clear();
  }
  for (auto u : m_scan) clear(u);  // the unscanned rest of the bucket being scanned
  m_scan.clear();
  for (std::size_t b = 0; b < m_head.size(); ++b) {
    for (std::int32_t c = m_head[b]; c >= 0; c = m_chunks[static_cast<std::size_t>(c)].next) {
      const Chunk& chunk = m_chunks[static_cast<std::size_t>(c)];
      for (std::int32_t i = 0; i < chunk.count; ++i) clear(chunk.node[i]);
      m_free_chunks.push_back(c);
    }
    m_head[b] = m_tail[b] = -1;
  }
  std::fill(m_nonempty.begin(), m_nonempty.end(), 0);
  m_size = 0;
}

void ShortestPathSearch::bucket_add(std::uint64_t slot, std::int32_t v) {
  std::int32_t t = m_tail[slot];
  if (t >= 0) {
    Chunk& chunk = m_chunks[static_cast<std::size_t>(t)];
    if (chunk.count < Chunk::kCapacity) [[likely]] {
      chunk.node[chunk.count++] = v;
      return;
    }
  }
  {
    std::int32_t c;
    if (m_free_chunks.empty()) {
      c = static_cast<std::int32_t>(m_chunks.size());
      m_chunks.emplace_back();
    } else {
      c = m_free_chunks.back();
      m_free_chunks.pop_back();
    }
    m_chunks[static_cast<std::size_t>(c)].count = 0;
    m_chunks[static_cast<std::size_t>(c)].next = -1;
    if (t < 0) {
      m_head[slot] = c;
      m_nonempty[slot >> 6] |= std::uint64_t{1} << (slot & 63);
    } else
      m_chunks[static_cast<std::size_t>(t)].next = c;
    m_tail[slot] = t = c;
  }
  Chunk& chunk = m_chunks[static_cast<std::size_t>(t)];
  chunk.node[chunk.count++] = v;
}

// Empty buckets are common when weights vary widely: the next bucket >= current with entries
// (one exists while entries are pending; the ring holds every live bucket). Kept out of line
// so that it does not weigh on the scan loop.
[[gnu::noinline]] std::uint64_t ShortestPathSearch::next_nonempty(std::uint64_t current) const {
  const std::uint64_t mask = m_head.size() - 1;
  const std::uint64_t slot = current & mask;
  const std::size_t words = m_nonempty.size();
  std::size_t wi = static_cast<std::size_t>(slot >> 6);
  std::uint64_t bits = m_nonempty[wi] & (~std::uint64_t{0} << (slot & 63));
  while (bits == 0) {
    wi = wi + 1 == words ? 0 : wi + 1;
    bits = m_nonempty[wi];
  }
  const std::uint64_t next = (std::uint64_t{wi} << 6) + static_cast<std::uint64_t>(std::countr_zero(bits));
  return current + ((next - slot) & mask);
}

template <bool Groups>
void ShortestPathSearch::run_buckets(const Seeds& seeds, double cutoff, std::span<const std::uint8_t> stop_nodes,
                                     std::size_t stop_after) {
  double* cost = m_cost.data();
  NodeIndex* group = m_group.data();
  std::uint8_t* settled = m_settled_flag.data();
  // Bucket of a cost: c times the reciprocal of the width (a multiply instead of a divide;
  // monotone in c, and an arc, at least 1e-6 wider than a bucket, still always leads to a
  // later bucket; the clamp below covers rounding).
  const double inv_width = 1.0 / m_bucket_width;
  const std::uint64_t mask = m_head.size() - 1;
  auto bucket = [inv_width](double c) { return static_cast<std::uint64_t>(c * inv_width); };
  std::uint64_t current = std::numeric_limits<std::uint64_t>::max();
  std::size_t pending = 0;  // entries in the ring, stale ones included
  for (std::size_t k = 0; k < seeds.size(); ++k) {
    const double c = seeds.offset_at(k) + 0.0;
    if (c <= cutoff) current = std::min(current, bucket(c));
  }
  for (std::size_t k = 0; k < seeds.size(); ++k) {
    const double c = seeds.offset_at(k) + 0.0;
    if (!(c <= cutoff)) continue;
    const auto v = static_cast<std::int32_t>(seeds.node[k]);
    const auto sv = static_cast<std::size_t>(v);
    const auto g = Groups ? static_cast<std::int32_t>(seeds.group_at(k)) : 0;
    const double old = cost[sv];
    if (c < old || (Groups && c == old && g < group[sv])) {
      cost[sv] = c;
      if (Groups) group[sv] = g;
      bucket_add(bucket(c) & mask, v);
      ++pending;
    }
  }
  const std::int64_t* offsets = m_graph->offsets().data();
  const std::int32_t* targets = m_graph->targets().data();
  const double* weights = m_weights.data();
  // How many entries ahead the CSR row offsets are prefetched; the rows themselves and the
  // node's cost are prefetched half as far ahead (once their offsets have arrived).
  constexpr std::size_t kAhead = 8;
  std::size_t stops_left = stop_after;
  bool stopped = false;
  while (pending > 0 && !stopped) {
    // Every node in the lowest bucket is final: edges (>= width) lead to later buckets, so
    // the bucket does not grow while it is scanned.
    if (m_head[current & mask] < 0) current = next_nonempty(current);
    const std::uint64_t slot = current & mask;
    m_scan.clear();
    for (std::int32_t c = m_head[slot]; c >= 0;) {
      const Chunk& chunk = m_chunks[static_cast<std::size_t>(c)];
      m_scan.insert(m_scan.end(), chunk.node, chunk.node + chunk.count);
      m_free_chunks.push_back(c);
      c = chunk.next;
    }
    m_head[slot] = m_tail[slot] = -1;
    m_nonempty[slot >> 6] &= ~(std::uint64_t{1} << (slot & 63));
    pending -= m_scan.size();
    // Scanned from the back: the nodes added last (near the node relaxed last) come first,
    // which keeps the scan local.
    const std::int32_t* items = m_scan.data();
    const std::size_t count = m_scan.size();
    for (std::size_t i = count; i > count - std::min(count, kAhead); --i) __builtin_prefetch(&offsets[items[i - 1]]);
    for (std::size_t i = count; i-- > 0;) {
      if (i >= kAhead) __builtin_prefetch(&offsets[items[i - kAhead]]);
      if (i >= kAhead / 2) {
        const auto w = static_cast<std::size_t>(items[i - kAhead / 2]);
        __builtin_prefetch(&targets[offsets[w]]);
        __builtin_prefetch(&weights[offsets[w]]);
        __builtin_prefetch(&cost[w]);
      }
      const std::int32_t u = items[i];
      const auto su = static_cast<std::size_t>(u);
      if (settled[su]) continue;  // a stale entry: the node moved to a lower bucket
      settled[su] = 1;
      m_settled.push_back(u);
      if (stop_after > 0 && stop_nodes[su] && --stops_left == 0) {
        stopped = true;
        m_scan.resize(i);  // the unscanned rest, for clear_after_stop
        break;
      }
      const double cu = cost[su];
      const auto gu = Groups ? group[su] : 0;
      for (auto e = offsets[su], end = offsets[su + 1]; e < end; ++e) {
        const double c = cu + weights[e];
        if (c > cutoff) continue;
        const std::int32_t v = targets[e];
        const auto sv = static_cast<std::size_t>(v);
        const double old = cost[sv];
        if (c < old || (Groups && c == old && gu < group[sv])) {
          if (settled[sv]) continue;
          cost[sv] = c;
          if (Groups) group[sv] = static_cast<NodeIndex>(gu);
          // Clamp against rounding: a relaxed node never lands in the current bucket.
          bucket_add(std::max(bucket(c), current + 1) & mask, v);
          ++pending;
        }
      }
    }
    if (!stopped) m_scan.clear();
    ++current;
  }
  clear_after_stop(stopped);
}

template <bool Groups>
void ShortestPathSearch::run_impl(const Seeds& seeds, double cutoff, std::span<const std::uint8_t> stop_nodes,
                                  std::size_t stop_after) {
  double* cost = m_cost.data();
  NodeIndex* group = m_group.data();
  std::uint8_t* settled = m_settled_flag.data();
  // A tentative (cost, group) improves a node if it is lexicographically smaller.
  for (std::size_t k = 0; k < seeds.size(); ++k) {
    const double c = seeds.offset_at(k) + 0.0;
    if (!(c <= cutoff)) continue;
    const auto v = static_cast<std::int32_t>(seeds.node[k]);
    const auto sv = static_cast<std::size_t>(v);
    const auto g = Groups ? static_cast<std::int32_t>(seeds.group_at(k)) : 0;
    if (c < cost[sv] || (Groups && c == cost[sv] && g < group[sv])) {
      cost[sv] = c;
      if (Groups) group[sv] = g;
      push(Entry{cost_key(c), g, v});
    }
  }
  const std::int64_t* offsets = m_graph->offsets().data();
  const std::int32_t* targets = m_graph->targets().data();
  const double* weights = m_weights.data();
  std::size_t stops_left = stop_after;
  bool stopped = false;
  while (!empty()) {
    const Entry top = pop();
    const auto su = static_cast<std::size_t>(top.node);
    if (settled[su]) continue;  // a stale duplicate of an improved node
    settled[su] = 1;
    m_settled.push_back(top.node);
    if (stop_after > 0 && stop_nodes[su] && --stops_left == 0) {
      stopped = true;
      break;
    }
    const double cu = std::bit_cast<double>(top.key);
    for (auto e = offsets[su], end = offsets[su + 1]; e < end; ++e) {
      const double c = cu + weights[e];
      if (c > cutoff) continue;
      const std::int32_t v = targets[e];
      const auto sv = static_cast<std::size_t>(v);
      const double old = cost[sv];
      if (c < old || (Groups && c == old && top.group < group[sv])) {
        if (settled[sv]) continue;
        cost[sv] = c;
        if (Groups) group[sv] = top.group;
        push(Entry{cost_key(c), top.group, v});
      }
    }
  }
  clear_after_stop(stopped);
}

// ------------------------------------------------------------------------------- queries

std::vector<double> shortest_path_costs(const Graph& graph, std::span<const NodeIndex> sources,
                                        const SearchOptions& options, Monitor& monitor) {
  check_cutoff(options.cutoff);
  validate_seeds(graph, Seeds{sources, {}, {}}, "sources");
  (void)graph.weights(options.weight_set);
  const std::size_t n = graph.node_count();
  if (sources.size() == 1) {
    // One source: the search's own cost array is the result (no copy, no second buffer).
    ShortestPathSearch search(graph, options.weight_set);
    search.run(Seeds{sources, {}, {}}, options.cutoff, {}, 0, false);
    std::vector<double> cost = search.take_costs();
    monitor.report("shortest paths", 1, 1);
    return cost;
  }
  std::vector<double> out(sources.size() * n, kInf);
  const unsigned threads = thread_count(options.threads);
  std::vector<std::optional<ShortestPathSearch>> searches(threads);
  std::atomic<std::size_t> done{0};
  parallel_for(
      sources.size(), threads,
      [&](std::size_t i, unsigned worker) {
        if (monitor.cancelled()) throw CancelledError("computation cancelled");
        auto& search = searches[worker];
        if (!search) search.emplace(graph, options.weight_set);
        const NodeIndex src = sources[i];
        search->run(Seeds{std::span<const NodeIndex>(&src, 1), {}, {}}, options.cutoff, {}, 0, false);
        double* row = out.data() + i * n;
        for (auto u : search->settled()) row[u] = search->cost(static_cast<std::size_t>(u));
        const std::size_t d = done.fetch_add(1) + 1;
        if (worker == 0) monitor.report("shortest paths", d, sources.size());
      },
      1);
  // Workers other than the calling thread never report: make the final state visible.
  monitor.report("shortest paths", sources.size(), sources.size());
  return out;
}

NearestResult nearest_facility(const Graph& graph, const Seeds& facilities, const SearchOptions& options) {
  check_cutoff(options.cutoff);
  validate_seeds(graph, facilities, "facilities");
  ShortestPathSearch search(graph, options.weight_set);
  search.run(facilities, options.cutoff);
  NearestResult r;
  search.take_results(r.cost, r.facility);
  return r;
}

namespace {

// Seeds grouped by group id (CSR over groups), keeping input order within a group.
struct GroupedSeeds {
  std::vector<std::size_t> offsets;  // group_count + 1
  std::vector<NodeIndex> node;
  std::vector<double> offset;
  std::vector<NodeIndex> group;
};

GroupedSeeds group_seeds(const Seeds& seeds) {
  const std::size_t groups = seeds.group_count();
  GroupedSeeds g;
  g.offsets.assign(groups + 1, 0);
  for (std::size_t k = 0; k < seeds.size(); ++k) ++g.offsets[static_cast<std::size_t>(seeds.group_at(k)) + 1];
  for (std::size_t i = 0; i < groups; ++i) g.offsets[i + 1] += g.offsets[i];
  std::vector<std::size_t> fill(g.offsets.begin(), g.offsets.end() - 1);
  g.node.resize(seeds.size());
  g.offset.resize(seeds.size());
  g.group.resize(seeds.size());
  for (std::size_t k = 0; k < seeds.size(); ++k) {
    const auto grp = static_cast<std::size_t>(seeds.group_at(k));
    const std::size_t slot = fill[grp]++;
    g.node[slot] = seeds.node[k];
    g.offset[slot] = seeds.offset_at(k);
    g.group[slot] = static_cast<NodeIndex>(grp);
  }
  return g;
}

// Target seeds indexed by node (CSR over nodes): which target groups a node leads to.
struct TargetIndex {
  std::vector<std::size_t> offsets;  // node_count + 1
  std::vector<NodeIndex> group;
  std::vector<double> offset;
  std::vector<std::uint8_t> is_target;
  std::size_t target_nodes = 0;
};

TargetIndex index_targets(std::size_t node_count, const Seeds& targets) {
  TargetIndex t;
  t.offsets.assign(node_count + 1, 0);
  t.is_target.assign(node_count, 0);
  for (std::size_t k = 0; k < targets.size(); ++k) ++t.offsets[static_cast<std::size_t>(targets.node[k]) + 1];
  for (std::size_t u = 0; u < node_count; ++u) {
    if (t.offsets[u + 1] > 0) {
      t.is_target[u] = 1;
      ++t.target_nodes;
    }
    t.offsets[u + 1] += t.offsets[u];
  }
  std::vector<std::size_t> fill(t.offsets.begin(), t.offsets.end() - 1);
  t.group.resize(targets.size());
  t.offset.resize(targets.size());
  for (std::size_t k = 0; k < targets.size(); ++k) {
    const std::size_t slot = fill[static_cast<std::size_t>(targets.node[k])]++;
    t.group[slot] = targets.group_at(k);
    t.offset[slot] = targets.offset_at(k);
  }
  return t;
}

struct MatrixRows {
  std::vector<NodeIndex> target;
  std::vector<double> cost;
};

}  // namespace

CostMatrix cost_matrix(const Graph& graph, const Seeds& sources, const Seeds& targets, const SearchOptions& options,
                       Monitor& monitor) {
  check_cutoff(options.cutoff);
  validate_seeds(graph, sources, "sources");
  validate_seeds(graph, targets, "targets");
  (void)graph.weights(options.weight_set);
  const GroupedSeeds grouped = group_seeds(sources);
  const std::size_t source_groups = grouped.offsets.size() - 1;
  const bool all_nodes = targets.size() == 0;
  const TargetIndex tindex = index_targets(graph.node_count(), targets);
  const std::size_t target_groups = all_nodes ? 0 : targets.group_count();

  const unsigned threads = thread_count(options.threads);
  std::vector<std::optional<ShortestPathSearch>> searches(threads);
  // Per-worker scratch for the best cost per target group, reset through a touched list.
  std::vector<std::vector<double>> best(threads);
  std::vector<std::vector<NodeIndex>> touched(threads);
  std::vector<MatrixRows> rows(source_groups);
  std::atomic<std::size_t> done{0};

  parallel_for(
      source_groups, threads,
      [&](std::size_t s, unsigned worker) {
        if (monitor.cancelled()) throw CancelledError("computation cancelled");
        const std::size_t begin = grouped.offsets[s], end = grouped.offsets[s + 1];
        if (begin == end) return;
        auto& search = searches[worker];
        if (!search) search.emplace(graph, options.weight_set);
        const Seeds group_seeds_s{std::span<const NodeIndex>(grouped.node).subspan(begin, end - begin),
                                  std::span<const double>(grouped.offset).subspan(begin, end - begin), {}};
        MatrixRows& out = rows[s];
        if (all_nodes) {
          search->run(group_seeds_s, options.cutoff, {}, 0, false);
          const auto settled = search->settled();
          out.target.reserve(settled.size());
          out.cost.reserve(settled.size());
          if (settled.size() * 16 > graph.node_count()) {
            // Most of the graph reached: a sequential scan is cheaper than sorting.
            for (std::size_t u = 0; u < graph.node_count(); ++u) {
              const double c = search->cost(u);
              if (c != kInf) {
                out.target.push_back(static_cast<NodeIndex>(u));
                out.cost.push_back(c);
              }
            }
          } else {
            std::vector<std::int32_t> nodes(settled.begin(), settled.end());
            std::sort(nodes.begin(), nodes.end());
            for (auto u : nodes) {
              out.target.push_back(u);
              out.cost.push_back(search->cost(static_cast<std::size_t>(u)));
            }
          }
        } else {
          // Every target seed node settled means every target cost is final: stop there.
          search->run(group_seeds_s, options.cutoff, tindex.is_target, tindex.target_nodes, false);
          auto& b = best[worker];
          auto& t = touched[worker];
          if (b.empty()) b.assign(target_groups, kInf);
          for (auto u : search->settled()) {
            const auto su = static_cast<std::size_t>(u);
            if (!tindex.is_target[su]) continue;
            const double cu = search->cost(su);
            for (std::size_t k = tindex.offsets[su]; k < tindex.offsets[su + 1]; ++k) {
              const double c = cu + tindex.offset[k];
              if (c > options.cutoff) continue;
              const auto g = static_cast<std::size_t>(tindex.group[k]);
              if (b[g] == kInf) t.push_back(static_cast<NodeIndex>(g));
              if (c < b[g]) b[g] = c;
            }
          }
          out.target.reserve(t.size());
          out.cost.reserve(t.size());
          if (t.size() * 16 > target_groups) {
            // Most targets reached: a sequential scan is cheaper than sorting.
            for (std::size_t g = 0; g < target_groups; ++g) {
              if (b[g] == kInf) continue;
              out.target.push_back(static_cast<NodeIndex>(g));
              out.cost.push_back(b[g]);
              b[g] = kInf;
            }
          } else {
            std::sort(t.begin(), t.end());
            for (auto g : t) {
              out.target.push_back(g);
              out.cost.push_back(b[static_cast<std::size_t>(g)]);
              b[static_cast<std::size_t>(g)] = kInf;
            }
          }
          t.clear();
        }
        const std::size_t d = done.fetch_add(1) + 1;
        if (worker == 0) monitor.report("cost matrix", d, source_groups);
      },
      1);
  monitor.report("cost matrix", source_groups, source_groups);

  CostMatrix m;
  std::size_t total = 0;
  for (const auto& r : rows) total += r.target.size();
  m.source.reserve(total);
  m.target.reserve(total);
  m.cost.reserve(total);
  for (std::size_t s = 0; s < source_groups; ++s) {
    m.source.insert(m.source.end(), rows[s].target.size(), static_cast<NodeIndex>(s));
    m.target.insert(m.target.end(), rows[s].target.begin(), rows[s].target.end());
    m.cost.insert(m.cost.end(), rows[s].cost.begin(), rows[s].cost.end());
    MatrixRows().target.swap(rows[s].target);
    std::vector<double>().swap(rows[s].cost);
  }
  return m;
}

}  // namespace jangkau
