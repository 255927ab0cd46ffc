#pragma once
// Lazy greedy (Minoux 1978) over a monotone submodular gain, shared by the three siting
// models. See siting_instance.hpp for how the siting code is split.

#include <cstddef>
#include <optional>
#include <queue>
#include <vector>

#include "monitor.hpp"
#include "parallel.hpp"
#include "siting_instance.hpp"

namespace jangkau::detail {

/// A candidate j with an upper bound `key` of its gain, exact when `stamp` equals the number
/// of sites chosen so far.
struct HeapItem {
  double key;
  std::size_t j;
  std::size_t stamp;
  bool operator<(const HeapItem& o) const { return better(o.key, o.j, key, j); }  // max-heap on (key, -j)
};

/// The priority queue of lazy greedy: stale keys are recomputed only when they reach the top.
class LazyHeap {
 public:
  explicit LazyHeap(std::vector<HeapItem> items) : m_heap(std::less<HeapItem>(), std::move(items)) {}

  /// Pops until the top key is exact at `stamp` and returns that item (nullopt when the heap
  /// runs empty). Candidates with !admit(j) are dropped for good; a stale key is replaced by
  /// g = gain(j), then refresh(j, g) says whether j goes back on the heap.
  template <class Gain, class Admit, class Refresh>
  std::optional<HeapItem> pop_best(std::size_t stamp, Gain&& gain, Admit&& admit, Refresh&& refresh) {
    while (!m_heap.empty()) {
      HeapItem top = m_heap.top();
      m_heap.pop();
      if (!admit(top.j)) continue;
      if (top.stamp == stamp) return top;
      double g = gain(top.j);
      if (refresh(top.j, g)) m_heap.push({g, top.j, stamp});
    }
    return std::nullopt;
  }

 private:
  std::priority_queue<HeapItem> m_heap;
};

/// Grows `sel` to p sites by lazy greedy. `gain(j)` returns the exact marginal gain w.r.t.
/// the current set, `commit(j)` updates the model before j joins `sel`. `bound_value[j]`
/// always holds an upper bound of the current gain of j (0 for chosen sites). `hook()` runs
/// after the start and after every selection. Quotas: a candidate that cannot join now
/// never can (the quota state only tightens). The construction ignores `monitor.expired()`: it
/// is the cheap part (lazy re-evaluation of the heap's top), and a deadline must still give the
/// greedy's p sites (picking the rest by stale keys once left p-median points without an open
/// site in their lists, objective inf, on a 10^5 x 10^3 k-nearest instance whose input
/// preparation had used the search's budget); `hook` checks the deadline for the costly bound
/// updates. Throws InfeasibleError if the heap runs empty.
template <class Gain, class Commit, class Hook>
void lazy_greedy(const Instance& in, std::size_t p, Selection& sel, std::vector<double>& bound_value,
                 unsigned threads, Monitor& monitor, Gain&& gain, Commit&& commit, Hook&& hook) {
  parallel_for(
      in.m, threads,
      [&](std::size_t j, unsigned) {
        if (monitor.cancelled()) return;
        bound_value[j] = sel.blocked[j] ? 0.0 : gain(j);
      },
      16);
  monitor.throw_if_cancelled();
  std::vector<HeapItem> items;
  items.reserve(in.m);
  for (std::size_t j = 0; j < in.m; ++j)
    if (!sel.blocked[j]) items.push_back({bound_value[j], j, sel.sites.size()});
  LazyHeap heap(std::move(items));
  hook();
  auto admit = [&](std::size_t j) { return sel.quotas.can_add(j); };
  auto refresh = [&](std::size_t j, double g) {
    bound_value[j] = g;
    return true;
  };
  while (sel.sites.size() < p) {
    auto top = heap.pop_best(sel.sites.size(), gain, admit, refresh);
    if (!top) throw InfeasibleError("no candidate left that keeps the quotas feasible");
    commit(top->j);
    bound_value[top->j] = 0;
    sel.add(top->j);
    hook();
    monitor.report("greedy", sel.sites.size(), p);
  }
}

}  // namespace jangkau::detail
