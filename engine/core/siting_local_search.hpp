#pragma once
// 1-swap local search, the restarts from Lagrangian site sets and the variable neighbourhood
// search around them, shared by MCLP and p-median. See siting_instance.hpp for how the siting
// code is split.
//
// One sweep evaluates, for every candidate j outside the set, the best position k to swap
// it into, from the model's closed form delta(j, k) = f(G_j, base_k, extra_jk) where G_j and
// extra_j· come from one pass over j's entries and base_· from one pass over the demand
// points (Whitaker 1983 for p-median; the same shape for coverage). Candidates are then
// tried best first; the first whose swap truly improves the objective (recomputed from
// scratch, so rounding and side constraints cannot fool it) is applied.
//
// A model may bring its own search for the same moves (`local_search` then calls it): the
// p-median's fast interchange (siting_pmedian.cpp) keeps the three terms up to date between
// swaps instead of sweeping every entry per swap.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <span>
#include <vector>

#include "monitor.hpp"
#include "parallel.hpp"
#include "siting_instance.hpp"

namespace jangkau::detail {

/// Per-thread accumulator of extra_j· over the positions of the chosen sites.
class SwapScratch {
 public:
  explicit SwapScratch(std::size_t positions) : m_extra(positions, 0.0), m_mark(positions, 0) {}
  /// extra[k] += v.
  void add(std::size_t k, double v) {
    if (!m_mark[k]) {
      m_mark[k] = 1;
      m_touched.push_back(k);
    }
    m_extra[k] += v;
  }
  double operator[](std::size_t k) const { return m_extra[k]; }
  /// Back to all zeros (touching only what was added).
  void clear() {
    for (auto k : m_touched) {
      m_extra[k] = 0;
      m_mark[k] = 0;
    }
    m_touched.clear();
  }

 private:
  std::vector<double> m_extra;
  std::vector<std::uint8_t> m_mark;
  std::vector<std::size_t> m_touched;
};

/// Settings of the local search.
struct SwapSettings {
  std::size_t max_swaps = 10000;  ///< stop once the selection has accepted this many swaps
  unsigned threads = 1;
};

/// The best position k to swap candidate j into, by `delta(k)` (its predicted improvement),
/// among the swaps the quotas allow; ties: the smaller k. Writes -inf / -1 when there is none.
template <class Delta>
void best_position(const Selection& sel, std::size_t j, Delta delta, double& best_delta, std::int64_t& best_pos) {
  best_delta = -std::numeric_limits<double>::infinity();
  best_pos = -1;
  for (std::size_t k = 0; k < sel.sites.size(); ++k) {
    const double d = delta(k);
    if (d > best_delta && sel.quotas.can_swap(static_cast<std::size_t>(sel.sites[k]), j)) {
      best_delta = d;
      best_pos = static_cast<std::int64_t>(k);
    }
  }
}

/// The candidates whose best swap is predicted to improve by more than `tol`, best first (ties:
/// the smaller index): the order in which they are tried.
inline void improving_order(const std::vector<double>& best_delta, const std::vector<std::int64_t>& best_pos,
                            double tol, std::vector<std::size_t>& order) {
  order.clear();
  for (std::size_t j = 0; j < best_delta.size(); ++j)
    if (best_pos[j] >= 0 && best_delta[j] > tol) order.push_back(j);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return better(best_delta[a], a, best_delta[b], b); });
}

/// Best-improvement 1-swap local search on `sel` (quotas kept). The model supplies:
///   static constexpr bool maximise       objective sense
///   double objective() const             current objective
///   void start()                         called once before the first sweep
///   void position_terms(span<double> b)  b[k] = base term of sites[k] (b starts at 0)
///   double scan(j, SwapScratch& x)       G_j, and x.add(k, ·) for the extra terms
///   double delta(G, b_k, x_k) const      predicted improvement of putting j at position k
///   bool try_swap(trial, tol)            recompute at `trial`; if it improves by > tol
///                                        (and meets side constraints) adopt it, return true
/// Stops after the current sweep once `monitor.expired()`, keeping the set reached.
/// Returns the number of sweeps made (each costs about nnz + n + m·p).
template <class Model>
std::size_t swap_local_search(Model& model, const Instance& in, Selection& sel, const SwapSettings& s,
                              Monitor& monitor) {
  if (sel.sites.empty()) return 0;
  std::size_t sweeps = 0;
  const std::size_t p_now = sel.sites.size();
  const double tol = 1e-12 * std::max(1.0, model.objective());
  std::vector<double> base(p_now), best_delta(in.m);
  std::vector<std::int64_t> best_pos(in.m);
  std::vector<std::size_t> order;
  std::vector<SwapScratch> scratch(s.threads, SwapScratch(p_now));
  model.start();
  for (;;) {
    ++sweeps;
    std::fill(base.begin(), base.end(), 0.0);
    model.position_terms(std::span<double>(base));
    parallel_for(
        in.m, s.threads,
        [&](std::size_t j, unsigned w) {
          best_delta[j] = -std::numeric_limits<double>::infinity();
          best_pos[j] = -1;
          if (sel.blocked[j] || monitor.should_stop()) return;
          SwapScratch& x = scratch[w];
          const double g = model.scan(j, x);
          best_position(
              sel, j, [&](std::size_t k) { return model.delta(g, base[k], x[k]); }, best_delta[j], best_pos[j]);
          x.clear();
        },
        16);
    monitor.throw_if_cancelled();
    if (monitor.expired()) break;  // deadline: keep the current (valid) set
    improving_order(best_delta, best_pos, tol, order);
    bool applied = false;
    for (std::size_t j : order) {
      auto k = static_cast<std::size_t>(best_pos[j]);
      std::vector<std::int64_t> trial = sel.sites;
      trial[k] = static_cast<std::int64_t>(j);
      if (!model.try_swap(trial, tol)) continue;
      sel.swap(k, j);
      applied = true;
      break;
    }
    if (!applied || sel.swaps >= s.max_swaps) break;
    monitor.report("local search", sel.swaps, 0);
  }
  return sweeps;
}

/// The model's own search when it has one (`model.search(sel, s, monitor)`: the same moves,
/// found faster, returning the work done in sweeps of `swap_local_search`), else
/// `swap_local_search`.
template <class Model>
std::size_t local_search(Model& model, const Instance& in, Selection& sel, const SwapSettings& s, Monitor& monitor) {
  if constexpr (requires { model.search(sel, s, monitor); })
    return model.search(sel, s, monitor);
  else
    return swap_local_search(model, in, sel, s, monitor);
}

/// Whether objective a beats b by more than a relative 1e-12 in the model's sense.
template <class Model>
bool improves(double a, double b) {
  const double slack = 1e-12 * std::max(1.0, b);
  return Model::maximise ? a > b + slack : a < b - slack;
}

/// Lagrangian heuristic: runs the local search from each of `starts` in turn (skipping sets
/// already searched, stopping once `model.converged(best objective)`), and leaves `sel` and
/// the model at the best set found, the current one included. Besides the local search's
/// needs, the model supplies reset(sites) (rebuild its state for that set) and
/// converged(objective). Returns whether a restart beat the current set.
template <class Model>
bool restart_local_search(Model& model, const Instance& in, Selection& sel,
                          const std::vector<std::vector<std::size_t>>& starts, const SwapSettings& s,
                          Monitor& monitor) {
  std::vector<std::vector<std::int64_t>> tried{sel.sites};
  std::sort(tried[0].begin(), tried[0].end());
  std::vector<std::int64_t> best_sites = sel.sites;
  double best = model.objective();
  bool improved = false;
  for (const auto& set : starts) {
    if (model.converged(best) || monitor.expired()) break;
    std::vector<std::int64_t> start(set.begin(), set.end()), key = start;
    std::sort(key.begin(), key.end());
    if (std::find(tried.begin(), tried.end(), key) != tried.end()) continue;
    tried.push_back(key);
    sel.reset(start);
    model.reset(start);
    local_search(model, in, sel, s, monitor);
    if (improves<Model>(model.objective(), best)) {
      best = model.objective();
      best_sites = sel.sites;
      improved = true;
    }
  }
  if (sel.sites != best_sites) {
    sel.reset(best_sites);
    model.reset(best_sites);
  }
  return improved;
}

/// Settings of the variable neighbourhood search.
struct ShakeSettings {
  int rounds = 0;         ///< shakes at most (0 = none)
  double work_limit = 0;  ///< stop once this many entry visits are spent
  double sweep_work = 1;  ///< entry visits of one swap-search sweep (about nnz + n + m·p)
  std::size_t k_max = 5;  ///< most sites replaced by one shake
};

/// A fixed-seed generator whose draws do not depend on the standard library
/// (std::uniform_int_distribution does), so shakes are the same on every platform.
class ShakeRandom {
 public:
  /// Uniform-enough integer in [0, n), n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(m_rng() % n); }

 private:
  std::mt19937_64 m_rng{0x6a616e676b6175ULL};  // "jangkau"
};

/// Variable neighbourhood search (Hansen & Mladenović 1997) around the current set: shake k
/// sites of the best set found (each replaced by a random candidate that is neither chosen nor
/// fixed and keeps the quotas), run the swap search from there, keep the result if it is
/// better (k back to 1), otherwise k = k mod k_max + 1. Stops after `rounds` shakes, once
/// `model.converged(best objective)` (the certified gap is closed) or the work cap is spent.
/// Leaves `sel` and the model at the best set. Returns whether it improved the start.
template <class Model>
bool shake_search(Model& model, const Instance& in, Selection& sel, const ShakeSettings& sh, const SwapSettings& s,
                  Monitor& monitor) {
  if (sel.sites.empty() || sh.rounds <= 0) return false;
  std::vector<std::int64_t> best_sites = sel.sites;
  double best = model.objective();
  bool improved = false;
  ShakeRandom rng;
  const std::size_t k_max = std::max<std::size_t>(1, std::min(sh.k_max, sel.sites.size()));
  std::size_t k = 1;
  double work = 0;
  std::vector<std::size_t> pool, order(sel.sites.size());
  for (int round = 0; round < sh.rounds; ++round) {
    if (model.converged(best) || work > sh.work_limit || monitor.expired()) break;
    monitor.throw_if_cancelled();
    sel.reset(best_sites);
    const std::size_t swaps_before = sel.swaps;
    std::iota(order.begin(), order.end(), std::size_t{0});
    for (std::size_t t = 0; t < k; ++t) {  // partial Fisher–Yates: k distinct positions
      std::swap(order[t], order[t + rng.below(order.size() - t)]);
      const std::size_t pos = order[t];
      const auto out = static_cast<std::size_t>(sel.sites[pos]);
      pool.clear();
      for (std::size_t j = 0; j < in.m; ++j)
        if (!sel.blocked[j] && sel.quotas.can_swap(out, j)) pool.push_back(j);
      if (!pool.empty()) sel.swap(pos, pool[rng.below(pool.size())]);
    }
    sel.swaps = swaps_before;  // shakes are not accepted swaps
    model.reset(sel.sites);
    work += sh.sweep_work * static_cast<double>(1 + local_search(model, in, sel, s, monitor));
    if (improves<Model>(model.objective(), best)) {
      best = model.objective();
      best_sites = sel.sites;
      improved = true;
      k = 1;
    } else {
      k = k % k_max + 1;
    }
    monitor.report("neighbourhood search", static_cast<std::size_t>(round) + 1, static_cast<std::size_t>(sh.rounds));
  }
  if (sel.sites != best_sites) {
    sel.reset(best_sites);
    model.reset(best_sites);
  }
  return improved;
}

}  // namespace jangkau::detail
