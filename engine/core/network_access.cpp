#include "network_access.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"
#include "parallel.hpp"

namespace jangkau {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

[[noreturn]] void fail(const std::string& message, std::int64_t feature, const std::string& field) {
  throw InvalidInputError(message, ErrorContext{{}, feature, field});
}

void check_amounts(std::span<const double> v, const char* field) {
  for (std::size_t k = 0; k < v.size(); ++k)
    if (!std::isfinite(v[k]) || v[k] < 0)
      fail(std::string(field) + " must be finite and >= 0", static_cast<std::int64_t>(k), field);
}

// Seeds of one kind in CSR by group (sources) or by node (targets).
struct Csr {
  std::vector<std::size_t> offsets;
  std::vector<std::int32_t> key2;  // sources: seed node; targets: group
  std::vector<double> offset;
};

Csr by_key(const Seeds& seeds, std::size_t keys, bool key_is_group) {
  Csr c;
  c.offsets.assign(keys + 1, 0);
  const std::size_t n = seeds.size();
  auto key = [&](std::size_t k) {
    return static_cast<std::size_t>(key_is_group ? seeds.group_at(k) : seeds.node[k]);
  };
  for (std::size_t k = 0; k < n; ++k) ++c.offsets[key(k) + 1];
  for (std::size_t g = 0; g < keys; ++g) c.offsets[g + 1] += c.offsets[g];
  std::vector<std::size_t> at(c.offsets.begin(), c.offsets.end() - 1);
  c.key2.resize(n);
  c.offset.resize(n);
  for (std::size_t k = 0; k < n; ++k) {  // stable: seeds keep their input order within a key
    const std::size_t p = at[key(k)]++;
    c.key2[p] = static_cast<std::int32_t>(key_is_group ? seeds.node[k] : seeds.group_at(k));
    c.offset[p] = seeds.offset_at(k);
  }
  return c;
}

// The graph the searches run on: the out-edges with head and weight side by side, minus
// the nodes whose cost nobody needs. A node that is neither a seed nor a target and has at
// most two distinct neighbours (a bend or a dead end of a road) is bypassed: a dead end is
// dropped, and a chain u - x1 - ... - xk - w of such nodes becomes an arc u -> w that
// keeps the weights of the chain (the lightest of parallel edges after the first) and
// adds them one by one, so the cost reaching w is bit-for-bit the one Dijkstra computes
// through the chain: fewer heap operations, the same numbers.
struct Adjacency {
  struct Arc {
    std::int32_t head;
    std::uint32_t chain;  // 0: a plain edge; c > 0: more weights in chain_weight[chain_first[c-1], chain_first[c])
    double weight;
  };
  std::vector<std::uint32_t> first;  // node_count + 1
  std::vector<Arc> arcs;
  std::vector<std::uint32_t> chain_first{0};
  std::vector<double> chain_weight;
  double min_weight = kInf;  // smallest arc weight (a chain arc's first weight; its total is larger)
  double max_total = 0;      // largest total weight of an arc (chain weights summed)
  bool built = false;        // false: too few nodes to bypass, search the Graph itself
};

// Built only when at least a quarter of the nodes can be bypassed; otherwise the searches
// run on the Graph with ShortestPathSearch (engine/core/network.hpp), which is as fast there.
Adjacency adjacency(const Graph& graph, std::size_t weight_set, const std::vector<std::uint8_t>& needed) {
  const auto off = graph.offsets();
  const auto head = graph.targets();
  const auto w = graph.weights(weight_set);
  const std::size_t n = graph.node_count();
  if (graph.edge_count() >= std::numeric_limits<std::uint32_t>::max() / 2)
    fail("graph has too many edges for the floating catchment search", -1, "graph");
  // Up to two distinct neighbours per node (either direction); count 3 = more than two.
  std::vector<std::int32_t> nb(2 * n, -1);
  std::vector<std::uint8_t> count(n, 0);
  auto add = [&](std::size_t x, std::int32_t y) {
    if (static_cast<std::size_t>(y) == x) {
      count[x] = 3;  // self loop: keep the node
      return;
    }
    if (count[x] >= 3 || nb[2 * x] == y || nb[2 * x + 1] == y) return;
    if (count[x] < 2) nb[2 * x + count[x]] = y;
    ++count[x];
  };
  for (std::size_t u = 0; u < n; ++u)
    for (auto e = off[u]; e < off[u + 1]; ++e) {
      add(u, head[static_cast<std::size_t>(e)]);
      add(static_cast<std::size_t>(head[static_cast<std::size_t>(e)]), static_cast<std::int32_t>(u));
    }
  auto bypassed = [&](std::size_t x) { return !needed[x] && count[x] <= 2; };
  std::size_t n_bypassed = 0;
  for (std::size_t x = 0; x < n; ++x) n_bypassed += bypassed(x) ? 1 : 0;
  if (4 * n_bypassed < n) return Adjacency{};
  // Lightest edge x -> y (+inf if none).
  auto lightest = [&](std::size_t x, std::int32_t y) {
    double best = kInf;
    for (auto e = off[x]; e < off[x + 1]; ++e)
      if (head[static_cast<std::size_t>(e)] == y) best = std::min(best, w[static_cast<std::size_t>(e)]);
    return best;
  };
  Adjacency a;
  a.first.assign(n + 1, 0);
  a.arcs.reserve(head.size());
  std::vector<double> chain;
  for (std::size_t u = 0; u < n; ++u) {
    a.first[u] = static_cast<std::uint32_t>(a.arcs.size());
    if (bypassed(u)) continue;  // never reached: no arc leads into it
    for (auto e = off[u]; e < off[u + 1]; ++e) {
      const auto se = static_cast<std::size_t>(e);
      std::int32_t cur = head[se];
      if (!bypassed(static_cast<std::size_t>(cur))) {
        a.arcs.push_back({cur, 0, w[se]});
        a.min_weight = std::min(a.min_weight, w[se]);
        a.max_total = std::max(a.max_total, w[se]);
        continue;
      }
      chain.clear();
      auto prev = static_cast<std::int32_t>(u);
      bool ok = true;
      for (std::size_t steps = 0; bypassed(static_cast<std::size_t>(cur)); ++steps) {
        const auto sc = static_cast<std::size_t>(cur);
        if (count[sc] < 2 || steps > n) {  // dead end
          ok = false;
          break;
        }
        const std::int32_t next = nb[2 * sc] == prev ? nb[2 * sc + 1] : nb[2 * sc];
        const double wn = lightest(sc, next);
        if (wn == kInf) {  // one-way against us
          ok = false;
          break;
        }
        chain.push_back(wn);
        prev = cur;
        cur = next;
      }
      if (!ok || static_cast<std::size_t>(cur) == u) continue;  // a loop back to u never helps
      a.arcs.push_back({cur, static_cast<std::uint32_t>(a.chain_first.size()), w[se]});
      double total = w[se];
      for (double x : chain) total += x;
      a.min_weight = std::min(a.min_weight, w[se]);
      a.max_total = std::max(a.max_total, total);
      a.chain_weight.insert(a.chain_weight.end(), chain.begin(), chain.end());
      a.chain_first.push_back(static_cast<std::uint32_t>(a.chain_weight.size()));
    }
  }
  a.first[n] = static_cast<std::uint32_t>(a.arcs.size());
  a.built = true;
  return a;
}

// A bounded Dijkstra for one facility at a time (one per thread). Node costs are the
// exact minima over in-arcs of (cost of tail + weight) — the same numbers as any correct
// Dijkstra, whatever the queue. Only the nodes touched by a run are reset before the next.
// Queue, chosen once per call (bucket_width):
//  - a bucket queue (Dial 1969) when every arc weighs > 0 and the cutoff spans few
//    buckets: buckets of width just under the lightest arc in a ring covering the heaviest
//    arc; every node of the lowest bucket is final (no arc leads back into its bucket), so
//    a bucket is scanned as a plain array, with the next rows prefetched; an improved node
//    is appended to its new bucket and its old entry skipped later (as in
//    ShortestPathSearch, engine/core/network.cpp);
//  - otherwise an indexed 4-ary heap with decrease-key (no stale entries).
class BoundedSearch {
 public:
  BoundedSearch(std::size_t node_count, double bucket_width, std::size_t ring)
      : m_cost(node_count, kInf), m_pos(node_count, -1), m_width(bucket_width) {
    if (m_width > 0) {
      m_ring.resize(ring);
      m_mask = ring - 1;
    }
  }

  // Cost of node u in the last run (+inf if not reached; final for settled nodes).
  double cost(std::size_t u) const { return m_cost[u]; }

  // Runs from the seeds (node, offset); calls visit(u, cost) for every target node u
  // (flag[u] != 0) settled within the cutoff, in order of settlement; stops once `targets`
  // target nodes are settled.
  template <class Visit>
  void run(const Adjacency& g, std::span<const std::int32_t> seed_node, std::span<const double> seed_offset,
           double cutoff, const std::vector<std::uint8_t>& flag, std::size_t targets, Visit&& visit) {
    for (auto u : m_touched) {
      m_cost[static_cast<std::size_t>(u)] = kInf;
      m_pos[static_cast<std::size_t>(u)] = -1;
    }
    m_touched.clear();
    if (m_pending > 0)  // entries left by an early stop
      for (auto& b : m_ring) b.clear();
    m_pending = 0;
    m_heap.clear();
    if (m_width > 0)
      run_buckets(g, seed_node, seed_offset, cutoff, flag, targets, visit);
    else
      run_heap(g, seed_node, seed_offset, cutoff, flag, targets, visit);
  }

 private:
  struct Entry {
    double key;
    std::int32_t node;
  };

  // Cost of arc e out of a node of cost cu: the chain's weights added one by one.
  static double arc_cost(const Adjacency& g, std::uint32_t e, double cu) {
    const Adjacency::Arc& a = g.arcs[e];
    double c = cu + a.weight;
    if (a.chain != 0)
      for (std::uint32_t k = g.chain_first[a.chain - 1], k_end = g.chain_first[a.chain]; k < k_end; ++k)
        c += g.chain_weight[k];
    return c;
  }

  template <class Visit>
  void run_heap(const Adjacency& g, std::span<const std::int32_t> seed_node, std::span<const double> seed_offset,
                double cutoff, const std::vector<std::uint8_t>& flag, std::size_t targets, Visit& visit) {
    for (std::size_t k = 0; k < seed_node.size(); ++k) {
      const double c = seed_offset[k];
      if (c <= cutoff && c < m_cost[static_cast<std::size_t>(seed_node[k])]) improve(seed_node[k], c);
    }
    std::size_t found = 0;
    const std::uint32_t* first = g.first.data();
    double* cost = m_cost.data();
    while (found < targets && !m_heap.empty()) {
      const auto u = static_cast<std::size_t>(pop_heap().node);
      const double cu = cost[u];
      if (flag[u]) {
        visit(u, cu);
        ++found;
      }
      for (std::uint32_t e = first[u], end = first[u + 1]; e < end; ++e) {
        const double c = arc_cost(g, e, cu);
        const std::int32_t v = g.arcs[e].head;
        if (c < cost[v] && c <= cutoff) improve(v, c);
      }
    }
  }

  std::uint64_t bucket(double c) const { return static_cast<std::uint64_t>(c / m_width); }

  template <class Visit>
  void run_buckets(const Adjacency& g, std::span<const std::int32_t> seed_node, std::span<const double> seed_offset,
                   double cutoff, const std::vector<std::uint8_t>& flag, std::size_t targets, Visit& visit) {
    double* cost = m_cost.data();
    std::int32_t* state = m_pos.data();  // -1 open, -2 settled
    std::uint64_t current = std::numeric_limits<std::uint64_t>::max();
    for (std::size_t k = 0; k < seed_node.size(); ++k) {
      const double c = seed_offset[k];
      const auto v = seed_node[k];
      const auto sv = static_cast<std::size_t>(v);
      if (!(c <= cutoff) || !(c < cost[sv])) continue;
      if (cost[sv] == kInf) m_touched.push_back(v);
      cost[sv] = c;
      m_ring[bucket(c) & m_mask].push_back(v);
      ++m_pending;
      current = std::min(current, bucket(c));
    }
    const std::uint32_t* first = g.first.data();
    const Adjacency::Arc* arcs = g.arcs.data();
    constexpr std::size_t kAhead = 8;
    std::size_t found = 0;
    while (m_pending > 0 && found < targets) {
      m_scan.swap(m_ring[current & m_mask]);
      m_pending -= m_scan.size();
      const std::int32_t* items = m_scan.data();
      const std::size_t count = m_scan.size();
      for (std::size_t i = count; i-- > 0 && found < targets;) {
        if (i >= kAhead) {
          const auto w = static_cast<std::size_t>(items[i - kAhead]);
          __builtin_prefetch(&first[w]);
          __builtin_prefetch(&cost[w]);
        }
        if (i >= kAhead / 2) __builtin_prefetch(&arcs[first[static_cast<std::size_t>(items[i - kAhead / 2])]]);
        const auto u = static_cast<std::size_t>(items[i]);
        if (state[u] == -2) continue;  // stale: settled from a lower bucket
        state[u] = -2;
        const double cu = cost[u];
        if (flag[u]) {
          visit(u, cu);
          ++found;
        }
        for (std::uint32_t e = first[u], end = first[u + 1]; e < end; ++e) {
          const double c = arc_cost(g, e, cu);
          const std::int32_t v = arcs[e].head;
          const auto sv = static_cast<std::size_t>(v);
          if (!(c < cost[sv]) || !(c <= cutoff)) continue;
          if (cost[sv] == kInf) m_touched.push_back(v);
          cost[sv] = c;
          // Clamp against rounding: a relaxed node never lands in the bucket being scanned.
          m_ring[std::max(bucket(c), current + 1) & m_mask].push_back(v);
          ++m_pending;
        }
      }
      m_scan.clear();
      ++current;
    }
  }

  void improve(std::int32_t v, double c) {
    const auto sv = static_cast<std::size_t>(v);
    std::size_t i;
    if (m_cost[sv] == kInf) {
      m_touched.push_back(v);
      i = m_heap.size();
      m_heap.push_back({c, v});
    } else {
      i = static_cast<std::size_t>(m_pos[sv]);
    }
    m_cost[sv] = c;
    // sift up; among equal keys the lower node comes first (deterministic settle order)
    while (i > 0) {
      const std::size_t p = (i - 1) / 4;
      if (!less(c, v, m_heap[p])) break;
      m_heap[i] = m_heap[p];
      m_pos[static_cast<std::size_t>(m_heap[i].node)] = static_cast<std::int32_t>(i);
      i = p;
    }
    m_heap[i] = {c, v};
    m_pos[sv] = static_cast<std::int32_t>(i);
  }

  static bool less(double c, std::int32_t v, const Entry& e) { return c < e.key || (c == e.key && v < e.node); }

  Entry pop_heap() {
    const Entry top = m_heap.front();
    m_pos[static_cast<std::size_t>(top.node)] = -2;  // settled (no longer in the heap)
    const Entry last = m_heap.back();
    m_heap.pop_back();
    const std::size_t n = m_heap.size();
    if (n > 0) {
      std::size_t i = 0;
      for (;;) {
        const std::size_t c0 = 4 * i + 1;
        if (c0 >= n) break;
        std::size_t best = c0;
        const std::size_t c_end = std::min(c0 + 4, n);
        for (std::size_t c = c0 + 1; c < c_end; ++c)
          if (less(m_heap[c].key, m_heap[c].node, m_heap[best])) best = c;
        if (!less(m_heap[best].key, m_heap[best].node, last)) break;
        m_heap[i] = m_heap[best];
        m_pos[static_cast<std::size_t>(m_heap[i].node)] = static_cast<std::int32_t>(i);
        i = best;
      }
      m_heap[i] = last;
      m_pos[static_cast<std::size_t>(last.node)] = static_cast<std::int32_t>(i);
    }
    return top;
  }

  std::vector<double> m_cost;
  std::vector<std::int32_t> m_pos;  // heap: position (-1 not queued, -2 settled); buckets: -2 settled
  std::vector<Entry> m_heap;
  std::vector<std::int32_t> m_touched;
  double m_width = 0;  // > 0: bucket queue
  std::vector<std::vector<std::int32_t>> m_ring;
  std::vector<std::int32_t> m_scan;
  std::uint64_t m_mask = 0;
  std::size_t m_pending = 0;
};

// Bucket width (0 = use the heap) and ring size for a graph and cutoff.
// Queued costs lie within [lowest, lowest + max(heaviest arc, largest seed offset)], so a
// ring of that many buckets never holds two buckets in one slot.
std::pair<double, std::size_t> bucket_plan(const Adjacency& g, double cutoff, double max_seed_offset,
                                           std::size_t nodes) {
  if (!(g.min_weight > 0) || !std::isfinite(g.min_weight) || !std::isfinite(cutoff)) return {0.0, 0};
  const double width = g.min_weight * (1.0 - 1e-9);
  const double steps = cutoff / width;                 // empty buckets a full search walks over
  const double span = std::min(g.max_total + max_seed_offset, cutoff) / width + 3.0;  // live buckets at once
  if (steps > 16.0 * static_cast<double>(nodes) + 4096.0 || span > static_cast<double>(1u << 22)) return {0.0, 0};
  std::size_t ring = 1;
  while (static_cast<double>(ring) < span) ring *= 2;
  return {width, ring};
}

// The pairs of one facility, demand ascending, with the pair weight under each spec and
// the weighted demand of its catchment per spec.
struct FacilityPairs {
  std::vector<std::int32_t> demand;
  std::vector<std::vector<double>> weight;  // [spec][pair]
  std::vector<double> catchment;           // [spec]
};

}  // namespace

std::vector<AccessResult> network_floating_catchments(const Graph& graph, const Seeds& sources,
                                                      const Seeds& targets, const ExtraPairs& extra,
                                                      std::span<const double> population,
                                                      std::span<const double> capacity,
                                                      const NetworkAccessOptions& options,
                                                      std::span<const CatchmentSpec> specs, Monitor& monitor) {
  validate_seeds(graph, sources, "sources");
  validate_seeds(graph, targets, "targets");
  for (const auto& s : specs) validate_decay(s.decay);
  (void)graph.weights(options.weight_set);
  if (std::isnan(options.cutoff) || options.cutoff < 0) fail("cutoff must be >= 0", -1, "cutoff");
  if (!(options.cost_divisor > 0) || !std::isfinite(options.cost_divisor))
    fail("cost_divisor must be finite and > 0", -1, "cost_divisor");
  check_amounts(population, "population");
  check_amounts(capacity, "capacity");
  const std::size_t n_dem = population.size(), n_fac = capacity.size(), n_spec = specs.size();
  if (sources.group_count() > n_fac) fail("a source group has no capacity", -1, "capacity");
  if (targets.group_count() > n_dem) fail("a target group has no population", -1, "population");
  if (n_dem >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    fail("too many demand locations", -1, "population");
  if (extra.target.size() != extra.source.size() || extra.cost.size() != extra.source.size())
    fail("extra pair arrays differ in length", -1, "extra");
  for (std::size_t k = 0; k < extra.cost.size(); ++k) {
    if (extra.target[k] < 0 || static_cast<std::size_t>(extra.target[k]) >= n_dem)
      fail("extra pair target out of range", static_cast<std::int64_t>(k), "extra_target");
    if (extra.source[k] < 0 || static_cast<std::size_t>(extra.source[k]) >= n_fac)
      fail("extra pair source out of range", static_cast<std::int64_t>(k), "extra_source");
    if (std::isnan(extra.cost[k]) || extra.cost[k] < 0)
      fail("extra pair cost must be >= 0", static_cast<std::int64_t>(k), "extra_cost");
  }

  std::vector<AccessResult> results(n_spec);
  for (auto& r : results) {
    r.catchment_demand.assign(n_fac, 0.0);
    r.ratio.assign(n_fac, 0.0);
    r.access.assign(n_dem, 0.0);
  }
  if (n_spec == 0 || n_fac == 0) return results;

  const std::size_t n_nodes = graph.node_count();
  const Csr src = by_key(sources, n_fac, true);
  const Csr tgt = by_key(targets, n_nodes, false);
  const Csr dem = by_key(targets, n_dem, true);  // the same entries by demand location
  std::vector<std::uint8_t> is_target(n_nodes, 0);
  std::size_t target_nodes = 0;
  for (std::size_t u = 0; u < n_nodes; ++u)
    if (tgt.offsets[u + 1] > tgt.offsets[u]) {
      is_target[u] = 1;
      ++target_nodes;
    }
  // Extra pairs grouped by facility.
  std::vector<std::size_t> extra_off(n_fac + 1, 0), extra_idx(extra.cost.size());
  for (auto s : extra.source) ++extra_off[static_cast<std::size_t>(s) + 1];
  for (std::size_t j = 0; j < n_fac; ++j) extra_off[j + 1] += extra_off[j];
  {
    std::vector<std::size_t> at(extra_off.begin(), extra_off.end() - 1);
    for (std::size_t k = 0; k < extra.cost.size(); ++k) extra_idx[at[static_cast<std::size_t>(extra.source[k])]++] = k;
  }
  Adjacency adj;
  if (target_nodes > 0 && !sources.node.empty()) {
    std::vector<std::uint8_t> needed = is_target;  // targets and seeds keep their costs
    for (auto u : sources.node) needed[static_cast<std::size_t>(u)] = 1;
    adj = adjacency(graph, options.weight_set, needed);
  }
  const auto plan = bucket_plan(adj, options.cutoff,
                                src.offset.empty() ? 0.0 : *std::max_element(src.offset.begin(), src.offset.end()),
                                n_nodes);

  const unsigned threads = thread_count(options.threads);
  std::vector<NodeIndex> seed_node(src.key2.begin(), src.key2.end());  // for ShortestPathSearch
  struct Workspace {
    std::vector<BoundedSearch> search;  // 0 or 1
    std::optional<ShortestPathSearch> graph_search;
    std::vector<double> best;           // per demand location, +inf when not reached
    std::vector<std::int32_t> touched;  // demand locations with a finite best
    std::vector<std::int32_t> hit;      // target nodes settled by the last search
    std::vector<double> weight;              // per spec, of the pair at hand
  };
  std::vector<Workspace> ws(threads);
  const double cutoff = options.cutoff, divisor = options.cost_divisor;

  // Facilities run in parallel a block at a time. Per facility the pairs are kept in
  // demand order, so its catchment sum runs over i ascending; then A_i is accumulated over
  // the block's facilities in ascending j (in parallel over ranges of i). Every sum runs in
  // the same order as floating_catchment() on the table sorted by (facility, demand),
  // whatever the thread count.
  const std::size_t block = std::max<std::size_t>(8 * threads, 64);
  std::vector<FacilityPairs> pairs(std::min(block, n_fac));
  for (std::size_t b0 = 0; b0 < n_fac; b0 += block) {
    const std::size_t b1 = std::min(n_fac, b0 + block);
    parallel_for(
        b1 - b0, threads,
        [&](std::size_t k, unsigned worker) {
          if (monitor.cancelled()) throw CancelledError("computation cancelled");
          const std::size_t j = b0 + k;
          FacilityPairs& out = pairs[k];
          out.demand.clear();
          out.weight.resize(n_spec);
          for (auto& w : out.weight) w.clear();
          out.catchment.assign(n_spec, 0.0);
          Workspace& w = ws[worker];
          if (w.best.empty()) {
            w.weight.assign(n_spec, 0.0);
            w.best.assign(n_dem, kInf);
          }
          auto& bst = w.best;
          auto& t = w.touched;
          auto reach = [&](std::size_t g, double c) {
            if (bst[g] == kInf) t.push_back(static_cast<std::int32_t>(g));
            if (c < bst[g]) bst[g] = c;
          };
          const std::size_t begin = src.offsets[j], end = src.offsets[j + 1];
          bool dense = false;
          if (begin < end && target_nodes > 0) {
            // The search records the settled target nodes; their demand entries are then
            // either scattered (few) or, when they cover much of the demand, gathered by a
            // scan of every demand location in order (sequential, no sort). A target node's
            // cost is final once the search returns (it ran to the end, or stopped after
            // every target was settled) and +inf when it was not reached within the cutoff,
            // so the gather reads costs directly.
            auto& hit = w.hit;
            hit.clear();
            std::size_t entries = 0;
            auto visit = [&](std::size_t u, double) {
              hit.push_back(static_cast<std::int32_t>(u));
              entries += tgt.offsets[u + 1] - tgt.offsets[u];
            };
            if (adj.built) {
              if (w.search.empty()) w.search.emplace_back(n_nodes, plan.first, plan.second);
              w.search.front().run(adj, std::span<const std::int32_t>(src.key2).subspan(begin, end - begin),
                                   std::span<const double>(src.offset).subspan(begin, end - begin), cutoff,
                                   is_target, target_nodes, visit);
            } else {
              if (!w.graph_search) w.graph_search.emplace(graph, options.weight_set);
              const Seeds seeds{std::span<const NodeIndex>(seed_node).subspan(begin, end - begin),
                                std::span<const double>(src.offset).subspan(begin, end - begin), {}};
              w.graph_search->run(seeds, cutoff, is_target, target_nodes, false);
              const auto settled = w.graph_search->settled();
              // Dense when the search covered enough of the graph to reach (in expectation)
              // a quarter of the demand entries: then no pass over the settled nodes at all.
              const double expected = static_cast<double>(settled.size()) * static_cast<double>(targets.size()) /
                                      static_cast<double>(n_nodes);
              if (4.0 * expected > static_cast<double>(n_dem))
                entries = n_dem;
              else
                for (auto u : settled)
                  if (is_target[static_cast<std::size_t>(u)]) visit(static_cast<std::size_t>(u), 0.0);
            }
            auto node_cost = [&](std::size_t u) {
              return adj.built ? w.search.front().cost(u) : w.graph_search->cost(u);
            };
            dense = 4 * entries > n_dem;
            if (dense) {
              for (std::size_t g = 0; g < n_dem; ++g) {
                double c = kInf;
                for (std::size_t e = dem.offsets[g]; e < dem.offsets[g + 1]; ++e) {
                  const double v = node_cost(static_cast<std::size_t>(dem.key2[e])) + dem.offset[e];
                  if (v <= cutoff && v < c) c = v;
                }
                bst[g] = c;
              }
            } else {
              for (auto u : hit) {
                const auto su = static_cast<std::size_t>(u);
                const double cu = node_cost(su);
                for (std::size_t e = tgt.offsets[su]; e < tgt.offsets[su + 1]; ++e) {
                  const double c = cu + tgt.offset[e];
                  if (c <= cutoff) reach(static_cast<std::size_t>(tgt.key2[e]), c);
                }
              }
            }
          }
          for (std::size_t x = extra_off[j]; x < extra_off[j + 1]; ++x) {
            const std::size_t e = extra_idx[x];
            if (extra.cost[e] <= cutoff) reach(static_cast<std::size_t>(extra.target[e]), extra.cost[e]);
          }
          // Demand order: a sort of the reached locations, or a scan of all of them when
          // most are reached (cheaper than sorting, same order).
          auto take = [&](std::size_t g) {
            const double c = bst[g] / divisor;
            bst[g] = kInf;
            bool any = false;
            for (std::size_t s = 0; s < n_spec; ++s) {
              const DecayOptions& d = specs[s].decay;
              // decay_weight() with the step decay (the common case) inlined
              const double wt = d.decay == Decay::Step ? (c <= d.max_cost ? 1.0 : 0.0) : decay_weight(d, c);
              w.weight[s] = wt;
              any = any || wt > 0;
            }
            if (!any) return;
            out.demand.push_back(static_cast<std::int32_t>(g));
            for (std::size_t s = 0; s < n_spec; ++s) {
              const double wt = w.weight[s];
              out.weight[s].push_back(wt);
              if (wt > 0) out.catchment[s] += population[g] * wt;
            }
          };
          if (dense || t.size() * 8 > n_dem) {
            for (std::size_t g = 0; g < n_dem; ++g)
              if (bst[g] != kInf) take(g);
          } else {
            std::sort(t.begin(), t.end());
            for (auto g : t) take(static_cast<std::size_t>(g));
          }
          t.clear();
        },
        1);
    const std::size_t nb = b1 - b0;
    for (std::size_t s = 0; s < n_spec; ++s)
      for (std::size_t k = 0; k < nb; ++k) {
        const std::size_t j = b0 + k;
        auto& r = results[s];
        r.catchment_demand[j] = pairs[k].catchment[s];
        if (specs[s].hansen)
          r.ratio[j] = capacity[j];
        else if (pairs[k].catchment[s] > 0)
          r.ratio[j] = capacity[j] / pairs[k].catchment[s];
      }
    // A_i over the block, facilities ascending, in parallel over ranges of demand.
    std::size_t block_pairs = 0;
    for (std::size_t k = 0; k < nb; ++k) block_pairs += pairs[k].demand.size();
    const std::size_t ranges = block_pairs > 200000 ? 4 * static_cast<std::size_t>(threads) : 1;
    parallel_for(
        ranges, threads,
        [&](std::size_t q, unsigned) {
          const auto lo = static_cast<std::int32_t>(n_dem * q / ranges);
          const auto hi = static_cast<std::int32_t>(n_dem * (q + 1) / ranges);
          for (std::size_t k = 0; k < nb; ++k) {
            const auto& p = pairs[k];
            const auto a = static_cast<std::size_t>(std::lower_bound(p.demand.begin(), p.demand.end(), lo) - p.demand.begin());
            const auto b = static_cast<std::size_t>(std::lower_bound(p.demand.begin() + static_cast<std::ptrdiff_t>(a), p.demand.end(), hi) - p.demand.begin());
            for (std::size_t s = 0; s < n_spec; ++s) {
              const double ratio = results[s].ratio[b0 + k];
              double* acc = results[s].access.data();
              const double* wt = p.weight[s].data();
              for (std::size_t x = a; x < b; ++x)
                if (wt[x] > 0) acc[p.demand[x]] += ratio * wt[x];
            }
          }
        },
        1);
    monitor.report("floating catchment", b1, n_fac);
  }
  return results;
}

AccessResult network_floating_catchment(const Graph& graph, const Seeds& sources, const Seeds& targets,
                                        const ExtraPairs& extra, std::span<const double> population,
                                        std::span<const double> capacity, const NetworkAccessOptions& options,
                                        Monitor& monitor) {
  const CatchmentSpec spec{options.decay, options.hansen};
  auto r = network_floating_catchments(graph, sources, targets, extra, population, capacity, options,
                                       std::span<const CatchmentSpec>(&spec, 1), monitor);
  return std::move(r.front());
}

}  // namespace jangkau
