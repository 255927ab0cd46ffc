#include "dijkstra.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "error.hpp"
#include "network.hpp"

namespace jangkau {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

// ---------------------------------------------------------------------------------- seeds

std::size_t Seeds::group_count() const noexcept {
  if (group.empty()) return node.size();
  NodeIndex best = -1;
  for (auto g : group) best = std::max(best, g);
  return static_cast<std::size_t>(best + 1);
}

Seeds SeedIndex::seeds(std::size_t k) const noexcept {
  const std::size_t b = offsets[k], n = offsets[k + 1] - b;
  return Seeds{std::span<const NodeIndex>(node).subspan(b, n), std::span<const double>(offset).subspan(b, n),
               std::span<const NodeIndex>(group).subspan(b, n)};
}

std::vector<std::uint8_t> SeedIndex::present(std::size_t& count) const {
  std::vector<std::uint8_t> flag(keys(), 0);
  count = 0;
  for (std::size_t k = 0; k < keys(); ++k)
    if (offsets[k + 1] > offsets[k]) {
      flag[k] = 1;
      ++count;
    }
  return flag;
}

SeedIndex index_seeds(const Seeds& seeds, std::size_t keys, SeedKey key) {
  auto key_of = [&](std::size_t k) {
    return static_cast<std::size_t>(key == SeedKey::Group ? seeds.group_at(k) : seeds.node[k]);
  };
  SeedIndex x;
  x.offsets.assign(keys + 1, 0);
  for (std::size_t k = 0; k < seeds.size(); ++k) ++x.offsets[key_of(k) + 1];
  for (std::size_t i = 0; i < keys; ++i) x.offsets[i + 1] += x.offsets[i];
  std::vector<std::size_t> fill(x.offsets.begin(), x.offsets.end() - 1);
  x.node.resize(seeds.size());
  x.offset.resize(seeds.size());
  x.group.resize(seeds.size());
  for (std::size_t k = 0; k < seeds.size(); ++k) {  // stable: input order within a key
    const std::size_t slot = fill[key_of(k)]++;
    x.node[slot] = seeds.node[k];
    x.offset[slot] = seeds.offset_at(k);
    x.group[slot] = seeds.group_at(k);
  }
  return x;
}

// ------------------------------------------------------------------------ contracted view

ContractedGraph contract_chains(const Graph& graph, std::size_t weight_set, std::span<const std::uint8_t> needed) {
  const auto off = graph.offsets();
  const auto head = graph.targets();
  const auto w = graph.weights(weight_set);
  const std::size_t n = graph.node_count();
  if (graph.edge_count() >= std::numeric_limits<std::uint32_t>::max() / 2)
    throw InvalidInputError("graph has too many edges for a contracted search", ErrorContext{{}, -1, "graph"});
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
  if (4 * n_bypassed < n) return ContractedGraph{};
  // Lightest edge x -> y (+inf if none).
  auto lightest = [&](std::size_t x, std::int32_t y) {
    double best = kInf;
    for (auto e = off[x]; e < off[x + 1]; ++e)
      if (head[static_cast<std::size_t>(e)] == y) best = std::min(best, w[static_cast<std::size_t>(e)]);
    return best;
  };
  ContractedGraph a;
  a.first.assign(n + 1, 0);
  a.arcs.reserve(head.size());
  a.live_nodes = n - n_bypassed;
  std::vector<double> chain;
  for (std::size_t u = 0; u < n; ++u) {
    a.first[u] = static_cast<std::uint32_t>(a.arcs.size());
    if (bypassed(u)) continue;  // never reached: no arc leads into it
    for (auto e = off[u]; e < off[u + 1]; ++e) {
      const auto se = static_cast<std::size_t>(e);
      std::int32_t cur = head[se];
      if (!bypassed(static_cast<std::size_t>(cur))) {
        a.arcs.push_back({cur, 0, w[se]});
        a.lightest = std::min(a.lightest, w[se]);
        a.heaviest = std::max(a.heaviest, w[se]);
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
      a.lightest = std::min(a.lightest, w[se]);
      a.heaviest = std::max(a.heaviest, total);
      a.longest_chain = std::max(a.longest_chain, chain.size());
      a.chain_weight.insert(a.chain_weight.end(), chain.begin(), chain.end());
      a.chain_first.push_back(static_cast<std::uint32_t>(a.chain_weight.size()));
    }
  }
  a.first[n] = static_cast<std::uint32_t>(a.arcs.size());
  a.built = true;
  return a;
}

namespace detail {

// ----------------------------------------------------------------------------- bucket rule

BucketPlan bucket_plan(double lightest, double heaviest, std::size_t additions, std::size_t nodes, std::size_t arcs,
                       std::size_t seeds, double lowest_seed, double highest_seed, double cutoff) {
  constexpr double kMargin = 1.0 / 4096.0;    // 2^-12 of a width
  constexpr double kMaxSlots = 1048576.0;     // 2^20
  constexpr double kMaxIndex = 1073741824.0;  // 2^30
  if (!(lightest > 0) || !std::isfinite(lightest) || seeds == 0 ||
      arcs + seeds >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    return {};
  const double width = lightest * (1.0 - kMargin);
  const double live = std::min(heaviest + (highest_seed - lowest_seed), cutoff - lowest_seed) / width + 3.0;
  const double top = std::min(cutoff, highest_seed + static_cast<double>(nodes) * heaviest);
  if (!(live <= kMaxSlots) || !(top / width < kMaxIndex / static_cast<double>(additions))) return {};
  std::size_t slots = 64;
  while (static_cast<double>(slots) < live) slots *= 2;
  return {width, slots};
}

// ---------------------------------------------------------------------------- bucket queue

BucketQueue::Cursor BucketQueue::start(const BucketPlan& plan, double lowest, std::size_t nodes) {
  // The ring is empty between runs (a completed run takes every bucket; a stopped one clears).
  if (plan.slots > m_head.size()) {
    m_head.assign(plan.slots, -1);
    m_tail.assign(plan.slots, -1);
    m_nonempty.assign((plan.slots + 63) / 64, 0);
    // Enough for every live bucket to have a partly filled chunk (no regrowth copies).
    m_chunks.reserve(plan.slots + nodes / Chunk::kCapacity + 1);
  }
  m_scan.clear();
  Cursor q;
  q.mask = m_head.size() - 1;
  q.inv_width = 1.0 / plan.width;
  q.current = q.floor = static_cast<std::uint64_t>(lowest * q.inv_width);
  q.pending = 0;
  return q;
}

[[gnu::always_inline]] inline void BucketQueue::push(Cursor& q, std::int32_t v, double c, std::int32_t) {
  const std::uint64_t slot = std::max(static_cast<std::uint64_t>(c * q.inv_width), q.floor) & q.mask;
  ++q.pending;
  std::int32_t t = m_tail[slot];
  if (t >= 0) {
    Chunk& chunk = m_chunks[static_cast<std::size_t>(t)];
    if (chunk.count < Chunk::kCapacity) [[likely]] {
      chunk.node[chunk.count++] = v;
      return;
    }
  }
  std::int32_t c_new;
  if (m_free_chunks.empty()) {
    c_new = static_cast<std::int32_t>(m_chunks.size());
    m_chunks.emplace_back();
  } else {
    c_new = m_free_chunks.back();
    m_free_chunks.pop_back();
  }
  Chunk& fresh = m_chunks[static_cast<std::size_t>(c_new)];
  fresh.count = 1;
  fresh.next = -1;
  fresh.node[0] = v;
  if (t < 0) {
    m_head[slot] = c_new;
    m_nonempty[slot >> 6] |= std::uint64_t{1} << (slot & 63);
  } else {
    m_chunks[static_cast<std::size_t>(t)].next = c_new;
  }
  m_tail[slot] = c_new;
}

// Empty buckets are common when weights vary widely: the next bucket >= current with entries
// (one exists while entries are pending; the ring holds every live bucket). Kept out of line
// so that it does not weigh on the scan loop.
[[gnu::noinline]] std::uint64_t BucketQueue::next_nonempty(std::uint64_t current, std::uint64_t mask) const {
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

[[gnu::always_inline]] inline std::span<const std::int32_t> BucketQueue::take(Cursor& q) {
  if (m_head[q.current & q.mask] < 0) q.current = next_nonempty(q.current, q.mask);
  const std::uint64_t slot = q.current & q.mask;
  m_scan.clear();
  for (std::int32_t c = m_head[slot]; c >= 0;) {
    const Chunk& chunk = m_chunks[static_cast<std::size_t>(c)];
    m_scan.insert(m_scan.end(), chunk.node, chunk.node + chunk.count);
    m_free_chunks.push_back(c);
    c = chunk.next;
  }
  m_head[slot] = m_tail[slot] = -1;
  m_nonempty[slot >> 6] &= ~(std::uint64_t{1} << (slot & 63));
  q.pending -= m_scan.size();
  // Every node of this bucket is final: nothing may be pushed into it any more.
  q.floor = ++q.current;
  return m_scan;
}

template <class F>
void BucketQueue::clear(Cursor& q, F&& f) {
  for (auto u : m_scan) f(u);
  m_scan.clear();
  for (std::size_t wi = 0; wi < m_nonempty.size(); ++wi)
    for (std::uint64_t bits = m_nonempty[wi]; bits != 0; bits &= bits - 1) {
      const std::size_t slot = (wi << 6) + static_cast<std::size_t>(std::countr_zero(bits));
      for (std::int32_t c = m_head[slot]; c >= 0;) {
        const Chunk& chunk = m_chunks[static_cast<std::size_t>(c)];
        for (std::int32_t i = 0; i < chunk.count; ++i) f(chunk.node[i]);
        m_free_chunks.push_back(c);
        c = chunk.next;
      }
      m_head[slot] = m_tail[slot] = -1;
    }
  std::fill(m_nonempty.begin(), m_nonempty.end(), 0);
  q.pending = 0;
}

// ------------------------------------------------------------------------------ radix heap

namespace {
std::size_t radix_bucket(std::uint64_t key, std::uint64_t last) noexcept {
  return key == last ? 0 : static_cast<std::size_t>(64 - std::countl_zero(key ^ last));
}
}  // namespace

RadixHeap::Cursor RadixHeap::start() {
  for (auto& b : m_buckets) b.clear();
  return Cursor{0, 0};
}

[[gnu::always_inline]] inline void RadixHeap::push(Cursor& q, std::int32_t v, double c, std::int32_t group) {
  // Non-negative doubles order like their bit patterns; +0.0 turns -0.0 into +0.0.
  const auto key = std::bit_cast<std::uint64_t>(c + 0.0);
  m_buckets[radix_bucket(key, q.last)].push_back(Entry{key, group, v});
  ++q.size;
}

[[gnu::always_inline]] inline std::span<const std::int32_t> RadixHeap::take(Cursor& q) {
  auto& zero = m_buckets[0];
  if (zero.empty()) {
    std::size_t b = 1;
    while (m_buckets[b].empty()) ++b;
    auto& from = m_buckets[b];
    std::uint64_t least = from.front().key;
    for (const auto& e : from) least = std::min(least, e.key);
    q.last = least;
    // Every entry of bucket b moves to a lower bucket relative to the new minimum.
    for (const auto& e : from) m_buckets[radix_bucket(e.key, q.last)].push_back(e);
    from.clear();
  }
  // Bucket 0 holds exactly the entries whose cost equals the minimum: take the lowest group.
  std::size_t best = zero.size() - 1;
  for (std::size_t i = 0; i + 1 < zero.size(); ++i)
    if (zero[i].group < zero[best].group) best = i;
  m_top = zero[best].node;
  zero[best] = zero.back();
  zero.pop_back();
  --q.size;
  return std::span<const std::int32_t>(&m_top, 1);
}

template <class F>
void RadixHeap::clear(Cursor& q, F&& f) {
  for (auto& b : m_buckets) {
    for (const auto& e : b) f(e.node);
    b.clear();
  }
  q.size = 0;
}

}  // namespace detail

// ----------------------------------------------------------------------------------- engine

template <class View>
Dijkstra<View>::Dijkstra(const View& view) : m_view(view) {
  reset(false);
  m_settled.reserve(1024);
}

template <class View>
void Dijkstra<View>::reset(bool track_groups) {
  const std::size_t n = m_view.node_count();
  // Every node with a finite cost or a settled flag is in m_settled (a stopped run clears
  // the costs of the nodes it queued but did not settle).
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
  m_settled.clear();
}

template <class View>
void Dijkstra<View>::take_results(std::vector<double>& cost, std::vector<NodeIndex>& group) {
  cost = std::move(m_cost);
  if (m_group.size() == cost.size())
    group = std::move(m_group);
  else
    group.assign(cost.size(), -1);  // groups were not tracked
  m_cost.clear();                   // the next reset() refills the costs and the settled flags
  m_group.clear();
  m_settled.clear();
}

template <class View>
std::vector<double> Dijkstra<View>::take_costs() {
  std::vector<double> cost = std::move(m_cost);
  m_cost.clear();  // the next reset() refills the costs and the settled flags
  m_group.clear();
  m_settled.clear();
  return cost;
}

template <class View>
void Dijkstra<View>::run(const SearchRun& r) {
  reset(r.track_groups);
  double lo = kInf, hi = 0;
  std::size_t live_seeds = 0;
  for (std::size_t k = 0; k < r.seeds.size(); ++k) {
    const double c = r.seeds.offset_at(k) + 0.0;
    if (!(c <= r.cutoff)) continue;
    lo = std::min(lo, c);
    hi = std::max(hi, c);
    ++live_seeds;
  }
  detail::BucketPlan plan;
  if (r.queue == QueueKind::Automatic)
    plan = detail::bucket_plan(m_view.lightest(), m_view.heaviest(), m_view.additions(), m_view.node_count(),
                               m_view.arc_count(), live_seeds, lo, hi, r.cutoff);
  m_used_buckets = plan.width > 0;
  if (m_used_buckets) {
    const auto q = m_buckets.start(plan, lo, m_view.node_count());
    if (r.track_groups)
      settle<detail::BucketQueue, true>(m_buckets, q, r);
    else
      settle<detail::BucketQueue, false>(m_buckets, q, r);
  } else {
    const auto q = m_heap.start();
    if (r.track_groups)
      settle<detail::RadixHeap, true>(m_heap, q, r);
    else
      settle<detail::RadixHeap, false>(m_heap, q, r);
  }
}

// The one settle loop. The queue hands out batches of nodes whose costs are final (a whole
// bucket, or the heap's minimum); a batch is scanned from the back (in a bucket, the nodes
// added last, near the node relaxed last, come first) while the row bounds, rows and costs
// of the next nodes are prefetched. Stale entries (nodes settled already) are skipped. A
// tentative (cost, group) improves a node if it is lexicographically smaller. What the loop
// reads on every relaxation (the view, the cutoff, the queue cursor) is held in locals: its
// own stores (flags are bytes, which may alias anything) then force no reloads.
template <class View>
template <class Queue, bool Groups>
void Dijkstra<View>::settle(Queue& queue, typename Queue::Cursor q, const SearchRun& r) {
  double* cost = m_cost.data();
  NodeIndex* group = m_group.data();
  std::uint8_t* settled = m_settled_flag.data();
  const double cutoff = r.cutoff;
  const std::uint8_t* stop_nodes = r.stop_nodes.data();
  const std::size_t stop_after = r.stop_after;
  for (std::size_t k = 0; k < r.seeds.size(); ++k) {
    const double c = r.seeds.offset_at(k) + 0.0;
    if (!(c <= cutoff)) continue;
    const auto v = static_cast<std::int32_t>(r.seeds.node[k]);
    const auto sv = static_cast<std::size_t>(v);
    const auto g = Groups ? static_cast<std::int32_t>(r.seeds.group_at(k)) : 0;
    if (c < cost[sv] || (Groups && c == cost[sv] && g < group[sv])) {
      cost[sv] = c;
      if (Groups) group[sv] = g;
      queue.push(q, v, c, g);
    }
  }
  const View view = m_view;
  // How many entries ahead the row bounds are prefetched; the rows themselves and the
  // node's cost are prefetched half as far ahead (once their bounds have arrived).
  constexpr std::size_t kAhead = 8;
  std::size_t stops_left = stop_after;
  bool stopped = false;
  while (!stopped && !Queue::empty(q)) {
    const std::span<const std::int32_t> batch = queue.take(q);
    const std::int32_t* items = batch.data();
    const std::size_t count = batch.size();
    for (std::size_t i = count; i > count - std::min(count, kAhead); --i)
      view.prefetch_bounds(static_cast<std::size_t>(items[i - 1]));
    for (std::size_t i = count; i-- > 0;) {
      if (i >= kAhead) view.prefetch_bounds(static_cast<std::size_t>(items[i - kAhead]));
      if (i >= kAhead / 2) {
        const auto w = static_cast<std::size_t>(items[i - kAhead / 2]);
        view.prefetch_row(w);
        __builtin_prefetch(&cost[w]);
      }
      const std::int32_t u = items[i];
      const auto su = static_cast<std::size_t>(u);
      if (settled[su]) continue;  // a stale entry: the node was improved and settled already
      settled[su] = 1;
      m_settled.push_back(u);
      if (stop_after > 0 && stop_nodes[su] && --stops_left == 0) {
        stopped = true;
        break;
      }
      const double cu = cost[su];
      const auto gu = Groups ? static_cast<std::int32_t>(group[su]) : 0;
      view.relax(su, cu, [&](std::int32_t v, double c) {
        if (c > cutoff) return;
        const auto sv = static_cast<std::size_t>(v);
        const double old = cost[sv];
        if (c < old || (Groups && c == old && gu < group[sv])) {
          if (settled[sv]) return;
          cost[sv] = c;
          if (Groups) group[sv] = gu;
          queue.push(q, v, c, gu);
        }
      });
    }
  }
  if (stopped) {
    // Tentative costs of unsettled nodes are not results. Every touched but unsettled node
    // still has an entry in the queue (or in the batch being scanned), so clearing the
    // queued nodes leaves finite costs only on settled nodes (what reset() relies on).
    queue.clear(q, [&](std::int32_t u) {
      const auto su = static_cast<std::size_t>(u);
      if (!settled[su]) {
        cost[su] = kInf;
        if (Groups) group[su] = -1;
      }
    });
  }
}

template class Dijkstra<PlainView>;
template class Dijkstra<ContractedView>;

}  // namespace jangkau
