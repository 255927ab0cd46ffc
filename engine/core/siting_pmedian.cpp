// p-median: lazy greedy, fast 1-swap interchange (Whitaker 1983, with the incremental updates of
// Resende & Werneck 2003, 2007), Lagrangian lower bound, restarts from the relaxation's site sets
// and variable neighbourhood search. See siting_instance.hpp for how the code is split.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "parallel.hpp"
#include "siting.hpp"
#include "siting_greedy.hpp"
#include "siting_instance.hpp"
#include "siting_local_search.hpp"
#include "siting_pmedian_bb.hpp"
#include "siting_subgradient.hpp"

namespace jangkau {
namespace detail {
namespace {

/// Nearest and second-nearest open site per demand point, with costs capped at the penalty.
struct Nearest {
  const Instance& in;
  double penalty;
  std::vector<double> d1, d2;
  std::vector<std::int64_t> site1;  // candidate index of the nearest open site, -1 = none
  std::vector<std::int32_t> pos1;   // its position in `sites`, -1 = fixed site or none

  Nearest(const Instance& instance, double penalty_) : in(instance), penalty(penalty_) {}

  void rebuild(const std::vector<std::uint8_t>& fixed, const std::vector<std::int64_t>& sites) {
    d1.assign(in.n, penalty);
    d2.assign(in.n, penalty);
    site1.assign(in.n, -1);
    pos1.assign(in.n, -1);
    for (std::size_t j = 0; j < in.m; ++j)
      if (fixed[j]) add(j, -1);
    for (std::size_t k = 0; k < sites.size(); ++k)
      add(static_cast<std::size_t>(sites[k]), static_cast<std::int32_t>(k));
  }
  /// Opens site j (at position pos of `sites`, -1 for a fixed site). Ties keep the earlier site.
  void add(std::size_t j, std::int32_t pos) {
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e) {
      if (!in.active(e)) continue;
      std::size_t i = in.demand(e);
      double c = in.cost(e);
      if (c < d1[i]) {
        d2[i] = d1[i];
        d1[i] = c;
        site1[i] = static_cast<std::int64_t>(j);
        pos1[i] = pos;
      } else if (c < d2[i]) {
        d2[i] = c;
      }
    }
  }
  void take(Nearest& o) {
    d1.swap(o.d1);
    d2.swap(o.d2);
    site1.swap(o.site1);
    pos1.swap(o.pos1);
  }
  double gain(std::size_t j) const {
    double g = 0;
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e)) {
        std::size_t i = in.demand(e);
        double c = in.cost(e);
        if (c < d1[i]) g += in.weight(i) * (d1[i] - c);
      }
    return g;
  }
  double penalised_cost(const std::vector<std::uint8_t>& reachable) const {
    double s = 0;
    for (std::size_t i = 0; i < in.n; ++i)
      if (reachable[i]) s += in.weight(i) * d1[i];
    return s;
  }
};

/// Which points count and what leaving one unserved costs.
struct Demand {
  std::vector<std::uint8_t> reachable;  ///< has a usable entry
  std::vector<std::uint8_t> needs;      ///< reachable with weight > 0
  double penalty = 1;                   ///< per-unit-weight cost of an unserved point
};

/// Points without any usable entry are excluded; zero-weight points need no assignment.
/// Leaving point i unserved costs w_i * penalty; making that dearer than any possible saving
/// elsewhere (Σ w max c) makes the heuristic serve everyone it can. The ratio is capped so the
/// penalised sums keep enough precision for the swap deltas.
Demand demand_of(const Instance& in) {
  Demand d;
  d.reachable.assign(in.n, 0);
  double max_c = 0;
  for (std::size_t j = 0; j < in.m; ++j)
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e) && std::isfinite(in.cost(e))) {
        d.reachable[in.demand(e)] = 1;
        max_c = std::max(max_c, in.cost(e));
      }
  d.needs.assign(in.n, 0);
  for (std::size_t i = 0; i < in.n; ++i) d.needs[i] = d.reachable[i] && in.weight(i) > 0;
  double total_w = 0, min_w = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < in.n; ++i)
    if (d.needs[i]) {
      total_w += in.weight(i);
      min_w = std::min(min_w, in.weight(i));
    }
  const double ratio = total_w > 0 ? std::min(total_w / min_w, 1e6) : 1.0;
  d.penalty = 2 * max_c * ratio + 1;
  return d;
}

/// Cells of the fast interchange's extra matrix (candidates × positions, 8 bytes each) up to
/// which it is used (64 MiB); larger instances use the sweeps of swap_local_search.
constexpr std::size_t kFastSwapMaxCells = std::size_t{1} << 23;

/// The fast interchange of Resende & Werneck (2003, 2007): the same best-improvement 1-swap search
/// as swap_local_search with the p-median model (Whitaker's closed form
/// delta(j, k) = gain_j - loss_k - extra_jk, the same candidate order and tie rules, every swap
/// checked on the true cost), but gain, loss and extra are kept up to date between swaps
/// instead of being recomputed by a sweep over every stored entry. A point contributes only
/// through its entries cheaper than its second-nearest open site d2_i, read from its sorted
/// list; a swap changes the contributions of the points whose nearest or second-nearest site
/// leaves and of those the new site serves below d2_i, and only those are subtracted and added
/// again. One swap then costs the affected points' prefixes and one pass over the m × p matrix,
/// not a pass over all entries. The terms are summed in another order than a sweep's, so a
/// swap that ties exactly with another there may lose by the last bit here (the same cost is
/// reached; tests/cpp/test_siting_search.cpp). One thread: the result does not depend on the
/// thread count.
class FastSwap {
 public:
  FastSwap(const Instance& in, const PointLists& lists, const Demand& demand, Selection& sel)
      : m_in(in),
        m_lists(lists),
        m_demand(demand),
        m_sel(sel),
        m_p(sel.sites.size()),
        m_pos(in.m, -1),
        m_d1(in.n),
        m_d2(in.n),
        m_s1(in.n, -1),
        m_s2(in.n, -1),
        m_gain(in.m, 0.0),
        m_loss(m_p, 0.0),
        m_extra(in.m * m_p, 0.0),
        m_mark(in.n, 0) {}

  /// Runs the search; returns its work in sweeps of size `sweep` (entry visits), at least 1.
  std::size_t run(const SwapSettings& s, Monitor& monitor, double sweep) {
    for (std::size_t k = 0; k < m_p; ++k)
      m_pos[static_cast<std::size_t>(m_sel.sites[k])] = static_cast<std::int32_t>(k);
    double cost = 0;  // the penalised cost of the start, for the tolerance
    for (std::size_t i = 0; i < m_in.n; ++i) {
      nearest(i);
      contribute(i, 1.0);
      if (m_demand.needs[i]) cost += m_in.weight(i) * m_d1[i];
    }
    const double tol = 1e-12 * std::max(1.0, cost);
    std::vector<double> best_delta(m_in.m);
    std::vector<std::int64_t> best_pos(m_in.m);
    std::vector<std::size_t> order;
    for (;;) {
      monitor.throw_if_cancelled();
      if (monitor.expired()) break;  // deadline: keep the current (valid) set
      m_work += static_cast<double>(m_in.m * m_p);
      for (std::size_t j = 0; j < m_in.m; ++j) {
        if (m_sel.blocked[j]) {  // chosen or fixed: not a candidate to swap in
          best_delta[j] = -std::numeric_limits<double>::infinity();
          best_pos[j] = -1;
          continue;
        }
        const double* x = &m_extra[j * m_p];
        best_position(
            m_sel, j, [&](std::size_t k) { return m_gain[j] - m_loss[k] - x[k]; }, best_delta[j], best_pos[j]);
      }
      improving_order(best_delta, best_pos, tol, order);
      bool applied = false;
      for (std::size_t j : order) {
        const auto k = static_cast<std::size_t>(best_pos[j]);
        if (!(true_delta(j, k) > tol)) continue;
        apply(j, k);
        applied = true;
        break;
      }
      if (!applied || m_sel.swaps >= s.max_swaps) break;
      monitor.report("local search", m_sel.swaps, 0);
    }
    return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(m_work / std::max(1.0, sweep))));
  }

 private:
  bool open(std::size_t j) const { return m_sel.blocked[j] != 0; }
  /// Nearest and second-nearest open site of point i from its sorted list (penalty, -1: none).
  void nearest(std::size_t i) {
    m_d1[i] = m_d2[i] = m_demand.penalty;
    m_s1[i] = m_s2[i] = -1;
    if (!m_demand.needs[i]) return;
    const auto b = static_cast<std::size_t>(m_lists.start[i]), e = static_cast<std::size_t>(m_lists.start[i + 1]);
    for (std::size_t t = b; t < e; ++t) {
      const PointEntry& x = m_lists.entries[t];
      if (!open(static_cast<std::size_t>(x.site))) continue;
      if (m_s1[i] < 0) {
        m_d1[i] = x.cost;
        m_s1[i] = x.site;
      } else {
        m_d2[i] = x.cost;
        m_s2[i] = x.site;
        m_work += static_cast<double>(t - b + 1);
        return;
      }
    }
    m_work += static_cast<double>(e - b);
  }
  /// Adds (sign 1) or removes (sign -1) point i's terms: loss_k of its nearest site's position
  /// k, w_i (d2 - d1); for every entry cheaper than d2, gain_j += w_i max(0, d1 - c) and
  /// extra_jk += w_i (max(c, d1) - d2) (the closed form's min(d2, c) - d2 - min(0, c - d1)).
  void contribute(std::size_t i, double sign) {
    if (!m_demand.needs[i]) return;
    const double w = sign * m_in.weight(i), d1 = m_d1[i], d2 = m_d2[i];
    const std::int32_t k = m_s1[i] >= 0 ? m_pos[static_cast<std::size_t>(m_s1[i])] : -1;
    if (k >= 0) m_loss[static_cast<std::size_t>(k)] += w * (d2 - d1);
    const auto b = static_cast<std::size_t>(m_lists.start[i]), e = static_cast<std::size_t>(m_lists.start[i + 1]);
    std::size_t t = b;
    for (; t < e && m_lists.entries[t].cost < d2; ++t) {
      const PointEntry& x = m_lists.entries[t];
      const auto j = static_cast<std::size_t>(x.site);
      if (x.cost < d1) m_gain[j] += w * (d1 - x.cost);
      if (k >= 0) m_extra[j * m_p + static_cast<std::size_t>(k)] += w * (std::max(x.cost, d1) - d2);
    }
    m_work += static_cast<double>(t - b);
  }
  /// The true change of the cost (positive: cheaper) if sites[k] is replaced by j.
  double true_delta(std::size_t j, std::size_t k) {
    const auto r = static_cast<std::int32_t>(m_sel.sites[k]);
    double d = 0;
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e) {
      if (!m_in.active(e)) continue;
      const std::size_t i = m_in.demand(e);
      if (!m_demand.needs[i]) continue;
      const double base = m_s1[i] == r ? m_d2[i] : m_d1[i];
      d += m_in.weight(i) * (m_d1[i] - std::min(base, m_in.cost(e)));
      m_mark[i] = 1;
    }
    for (std::size_t i = 0; i < m_in.n; ++i)
      if (m_s1[i] == r && !m_mark[i]) d += m_in.weight(i) * (m_d1[i] - m_d2[i]);
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e) m_mark[m_in.demand(e)] = 0;
    m_work += static_cast<double>(m_in.end(j) - m_in.begin(j) + static_cast<std::int64_t>(m_in.n));
    return d;
  }
  /// Replaces sites[k] by j: the affected points' terms are removed, their nearest sites found
  /// again with j open, and their terms added back.
  void apply(std::size_t j, std::size_t k) {
    const auto r = static_cast<std::int32_t>(m_sel.sites[k]);
    m_affected.clear();
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e) {
      if (!m_in.active(e)) continue;
      const std::size_t i = m_in.demand(e);
      if (m_demand.needs[i] && m_in.cost(e) < m_d2[i] && !m_mark[i]) {
        m_mark[i] = 1;
        m_affected.push_back(i);
      }
    }
    for (std::size_t i = 0; i < m_in.n; ++i)
      if ((m_s1[i] == r || m_s2[i] == r) && !m_mark[i]) {
        m_mark[i] = 1;
        m_affected.push_back(i);
      }
    m_work += static_cast<double>(m_in.end(j) - m_in.begin(j) + static_cast<std::int64_t>(m_in.n));
    for (auto i : m_affected) contribute(i, -1.0);
    m_pos[static_cast<std::size_t>(r)] = -1;
    m_pos[j] = static_cast<std::int32_t>(k);
    m_sel.swap(k, j);
    for (auto i : m_affected) {
      nearest(i);
      contribute(i, 1.0);
      m_mark[i] = 0;
    }
  }

  const Instance& m_in;
  const PointLists& m_lists;
  const Demand& m_demand;
  Selection& m_sel;
  std::size_t m_p;
  std::vector<std::int32_t> m_pos;  ///< position of each chosen candidate in `sites`, -1 = none
  std::vector<double> m_d1, m_d2;
  std::vector<std::int32_t> m_s1, m_s2;
  std::vector<double> m_gain, m_loss, m_extra;  ///< extra: candidate-major, m × p
  std::vector<std::uint8_t> m_mark;
  std::vector<std::size_t> m_affected;
  double m_work = 0;  ///< entry visits so far
};

/// p-median solver state; also the model of the shared local search.
class PMedian {
 public:
  static constexpr bool maximise = false;

  PMedian(const Instance& in, std::size_t p, const std::vector<std::uint8_t>& fixed, const SitingOptions& options,
          Monitor& monitor)
      : m_in(in),
        m_p(p),
        m_fixed(fixed),
        m_options(options),
        m_monitor(monitor),
        m_threads(siting_threads(options.threads, in.pr.demand_index.size())),
        m_demand(demand_of(in)),
        m_sel(in.pr, p, fixed),
        m_near(in, m_demand.penalty),
        m_exact(in.m, 0.0) {}

  SitingResult solve();
  /// The local search from `start` (no greedy, no bound); returns the sites reached. The fast
  /// interchange keeps its own state, so the model's (Nearest, cost) is rebuilt only for the
  /// sweeps, which read it.
  std::vector<std::int64_t> polish(const std::vector<std::int64_t>& start) {
    m_sel.reset(start);
    const SwapSettings s{m_options.max_swaps, m_threads};
    if (fast(m_sel)) {
      fast_search(m_sel, s, m_monitor);
    } else {
      reset(start);
      swap_local_search(*this, m_in, m_sel, s, m_monitor);
    }
    return m_sel.sites;
  }
  /// Reads the caller's point lists (if any) instead of building its own; how to find swaps.
  void configure(const PointLists* lists, PMedianSwaps swaps) {
    m_lists = lists;
    m_swaps = swaps;
  }

  /// The local search (siting_local_search.hpp's hook): Resende & Werneck's fast interchange
  /// (FastSwap) where its m × p matrix fits kFastSwapMaxCells, else swap_local_search's sweeps.
  /// The same moves either way; the state is rebuilt at the set reached.
  std::size_t search(Selection& sel, const SwapSettings& s, Monitor& monitor) {
    if (sel.sites.empty()) return 0;
    if (!fast(sel)) return swap_local_search(*this, m_in, sel, s, monitor);
    const auto sweeps = fast_search(sel, s, monitor);
    reset(sel.sites);
    return sweeps;
  }

  // --- local search model (siting_local_search.hpp)
  double objective() const { return m_cost; }
  void start() {}
  /// base_s = Σ_{i: nearest = s} w_i (d2_i - d1_i).
  void position_terms(std::span<double> base) const {
    for (std::size_t i = 0; i < m_in.n; ++i)
      if (m_demand.needs[i] && m_near.pos1[i] >= 0)
        base[static_cast<std::size_t>(m_near.pos1[i])] += m_in.weight(i) * (m_near.d2[i] - m_near.d1[i]);
  }
  /// G_j = saving of opening j; extra(s, j) = Σ_{i∈N(j), nearest = s} w_i [min(d2, c) - d2 - min(0, c - d1)] <= 0.
  double scan(std::size_t j, SwapScratch& extra) const {
    double g = 0;
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e) {
      if (!m_in.active(e)) continue;
      std::size_t i = m_in.demand(e);
      if (!m_demand.needs[i]) continue;
      double c = m_in.cost(e), d1 = m_near.d1[i], d2 = m_near.d2[i], wi = m_in.weight(i);
      if (c < d1) g += wi * (d1 - c);
      if (m_near.pos1[i] >= 0)
        extra.add(static_cast<std::size_t>(m_near.pos1[i]), wi * (std::min(d2, c) - d2 - std::min(0.0, c - d1)));
    }
    return g;
  }
  /// improvement(s, j) = G_j - base_s - extra(s, j).
  static double delta(double g, double base, double extra) { return g - base - extra; }
  bool try_swap(const std::vector<std::int64_t>& trial, double tol) {
    Nearest n2(m_in, m_demand.penalty);
    n2.rebuild(m_fixed, trial);
    double c2 = n2.penalised_cost(m_demand.needs);
    if (!(c2 < m_cost - tol)) return false;
    m_near.take(n2);
    m_cost = c2;
    return true;
  }
  void reset(const std::vector<std::int64_t>& sites) {
    m_near.rebuild(m_fixed, sites);
    m_cost = m_near.penalised_cost(m_demand.needs);
  }
  bool converged(double objective) const { return rel_gap(objective, m_lb) <= m_options.gap_tolerance; }

 private:
  void update_bound(std::span<const double> values) {
    auto set = best_feasible_set(m_in.pr, values, m_p, m_fixed);
    m_lb = std::max(m_lb, m_cost - sum_of(values, set));
  }
  void exact_gains() {
    parallel_for(
        m_in.m, m_threads,
        [&](std::size_t j, unsigned) {
          if (m_monitor.cancelled()) return;
          m_exact[j] = m_sel.blocked[j] ? 0.0 : m_near.gain(j);
        },
        16);
    m_monitor.throw_if_cancelled();
    update_bound(m_exact);
  }
  /// Σ w_i d1_i over the points that need a site; +inf if one has none.
  double true_cost() const {
    double s = 0;
    for (std::size_t i = 0; i < m_in.n; ++i)
      if (m_demand.needs[i]) {
        if (m_near.site1[i] < 0) return std::numeric_limits<double>::infinity();
        s += m_in.weight(i) * m_near.d1[i];
      }
    return s;
  }
  void greedy();
  std::vector<std::vector<std::size_t>> lagrangian();
  std::vector<double> sequential_gains() const;
  /// Whether the search from `sel` is the fast interchange (else the sweeps).
  bool fast(const Selection& sel) const {
    return m_swaps == PMedianSwaps::Auto && m_in.m * sel.sites.size() <= kFastSwapMaxCells;
  }
  /// The fast interchange from `sel`; leaves the model's own state (Nearest, cost) as it was.
  std::size_t fast_search(Selection& sel, const SwapSettings& s, Monitor& monitor) {
    if (!m_lists) {
      m_own_lists = point_lists(m_in);
      m_lists = &m_own_lists;
    }
    return FastSwap(m_in, *m_lists, m_demand, sel).run(s, monitor, sweep_entries());
  }
  /// Entry visits of one sweep of swap_local_search.
  double sweep_entries() const { return static_cast<double>(m_in.pr.demand_index.size() + m_in.n + m_in.m * m_p); }

  const Instance& m_in;
  std::size_t m_p;
  const std::vector<std::uint8_t>& m_fixed;
  const SitingOptions& m_options;
  Monitor& m_monitor;
  unsigned m_threads;
  Demand m_demand;
  Selection m_sel;
  Nearest m_near;
  std::vector<double> m_exact;
  std::vector<double> m_open_bound, m_closed_bound;  ///< Beasley's per-candidate bounds
  std::vector<double> m_multipliers;                 ///< λ of the best Lagrangian bound
  double m_cost = 0;                                 ///< penalised cost of the current set
  double m_lb = -std::numeric_limits<double>::infinity();
  const PointLists* m_lists = nullptr;  ///< the point lists the fast interchange reads
  PointLists m_own_lists;               ///< built on first use when the caller has none
  PMedianSwaps m_swaps = PMedianSwaps::Auto;
};

void PMedian::greedy() {
  m_near.rebuild(m_fixed, m_sel.sites);
  m_cost = m_near.penalised_cost(m_demand.needs);
  std::vector<double> bound_value(m_in.m, 0.0);
  lazy_greedy(
      m_in, m_p, m_sel, bound_value, m_threads, m_monitor, [&](std::size_t j) { return m_near.gain(j); },
      [&](std::size_t j) {
        m_cost -= m_near.gain(j);
        m_near.add(j, static_cast<std::int32_t>(m_sel.sites.size()));
      },
      [&]() { update_bound(bound_value); });
  reset(m_sel.sites);
}

/// Lagrangian relaxation of Σ_j x_ij = 1: L(λ) = Σ λ_i + Σ_{fixed} ρ_j + min_{feasible T} Σ_{j∈T} ρ_j,
/// ρ_j = Σ_{i∈N(j)} min(0, w_i c_ij - λ_i); maximised over λ by Polyak steps. Keeps the site
/// set of the best L and snapshots along the way (at least 30 iterations apart, the two latest).
class PMedianRelaxation {
 public:
  PMedianRelaxation(const Instance& in, const std::vector<std::uint8_t>& fixed,
                    const std::vector<std::uint8_t>& needs, std::size_t p, unsigned threads)
      : m_in(in), m_fixed(fixed), m_needs(needs), m_p(p), m_threads(threads), m_rho(in.m, 0.0), m_neg(in.m, 0.0) {
    // w_i c_ij per entry, +inf where the entry is unusable, so the hot loops have no branches.
    const double inf = std::numeric_limits<double>::infinity();
    m_wc.assign(in.pr.demand_index.size(), inf);
    std::vector<double> best_c(in.n, inf);
    for (std::size_t j = 0; j < in.m; ++j)
      for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
        if (in.active(e) && needs[in.demand(e)]) {
          m_wc[static_cast<std::size_t>(e)] = in.weight(in.demand(e)) * in.cost(e);
          best_c[in.demand(e)] = std::min(best_c[in.demand(e)], in.cost(e));
        }
    lambda.assign(in.n, 0.0);
    mu.assign(in.n, 0.0);
    m_scale.assign(in.n, 0.0);
    for (std::size_t i = 0; i < in.n; ++i) m_scale[i] = std::sqrt(in.weight(i));
    for (std::size_t i = 0; i < in.n; ++i) mu[i] = needs[i] ? best_c[i] * m_scale[i] : 0.0;
  }
  /// Starts from μ_i = the incumbent's cost of point i (where finite): L is then the
  /// incumbent's cost minus its p best single additions, far above the nearest-candidate start.
  void start_at(const std::vector<double>& d1, double penalty) {
    for (std::size_t i = 0; i < m_in.n; ++i)
      if (m_needs[i] && d1[i] < penalty) mu[i] = std::max(mu[i], d1[i] * m_scale[i]);
  }

  double evaluate() {
    for (std::size_t i = 0; i < m_in.n; ++i) lambda[i] = m_needs[i] ? m_scale[i] * mu[i] : 0.0;
    parallel_for(
        m_in.m, m_threads,
        [&](std::size_t j, unsigned) {
          double s = 0;
          for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
            s += std::min(0.0, m_wc[static_cast<std::size_t>(e)] - lambda[m_in.demand(e)]);
          m_rho[j] = s;
          m_neg[j] = -s;
        },
        16);
    m_set = best_feasible_set(m_in.pr, m_neg, m_p, m_fixed);
    double L = 0;
    for (std::size_t i = 0; i < m_in.n; ++i) L += lambda[i];
    for (std::size_t j = 0; j < m_in.m; ++j)
      if (m_fixed[j]) L += m_rho[j];
    L -= sum_of(m_neg, m_set);
    *lb = std::max(*lb, L);
    if (!open_bound.empty()) forced_bounds(L);
    return L;
  }
  /// Beasley's (1993) bounds at this λ, kept when larger: with j forced open the best set
  /// trades j for the weakest chosen site; with j forced closed, j for the strongest other.
  void forced_bounds(double L) {
    if (m_set.empty()) return;
    std::vector<std::uint8_t> in_set(m_in.m, 0);
    double weakest = std::numeric_limits<double>::infinity();
    for (auto j : m_set) {
      in_set[j] = 1;
      weakest = std::min(weakest, m_neg[j]);
    }
    double strongest = -std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < m_in.m; ++j)
      if (!in_set[j] && !m_fixed[j]) strongest = std::max(strongest, m_neg[j]);
    for (std::size_t j = 0; j < m_in.m; ++j) {
      if (m_fixed[j]) continue;
      const double open = in_set[j] ? L : L + weakest - m_neg[j];
      const double closed = in_set[j] ? (std::isfinite(strongest) ? L + m_neg[j] - strongest : L) : L;
      open_bound[j] = std::max(open_bound[j], open);
      closed_bound[j] = std::max(closed_bound[j], closed);
    }
  }
  void improved(int it) {
    best_set = m_set;
    best_lambda = lambda;
    if (it - m_last_store >= 30) {  // keep the two latest snapshots: early ones start far off
      if (snapshots.size() == 2) snapshots.erase(snapshots.begin());
      snapshots.push_back(m_set);
      m_last_store = it;
    }
  }
  bool converged() const { return rel_gap(target, *lb) <= tolerance; }
  /// Ascent direction in μ = λ / w: w_i (1 - open sites cheaper than λ_i for i) on the points
  /// that need a site (the subgradient in λ scaled by ∂λ/∂μ).
  void direction(std::vector<double>& g) const {
    for (std::size_t i = 0; i < m_in.n; ++i) g[i] = m_needs[i] ? 1.0 : 0.0;
    auto open_minus = [&](std::size_t j) {
      for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
        if (m_wc[static_cast<std::size_t>(e)] < lambda[m_in.demand(e)]) g[m_in.demand(e)] -= 1;
    };
    for (std::size_t j = 0; j < m_in.m; ++j)
      if (m_fixed[j]) open_minus(j);
    for (auto j : m_set) open_minus(j);
    for (std::size_t i = 0; i < m_in.n; ++i) g[i] *= m_scale[i];
  }

  std::vector<double> lambda;  ///< λ_i = w_i μ_i, set by evaluate()
  /// The multipliers the subgradient moves: per unit of weight (λ_i / w_i), so heavy and light
  /// points move at the same rate — with λ itself, heavy-tailed weights (clustered instances)
  /// left the heavy points' multipliers far from their optimum after hundreds of steps.
  std::vector<double> mu;
  std::vector<double> open_bound, closed_bound;  ///< empty = not tracked (group quotas)
  std::vector<std::size_t> best_set;
  std::vector<double> best_lambda;  ///< λ at the best L
  std::vector<std::vector<std::size_t>> snapshots;
  double* lb = nullptr;
  double target = 0, tolerance = 0;

 private:
  const Instance& m_in;
  const std::vector<std::uint8_t>& m_fixed;
  const std::vector<std::uint8_t>& m_needs;
  std::size_t m_p;
  unsigned m_threads;
  std::vector<double> m_wc, m_rho, m_neg;
  std::vector<double> m_scale;  ///< λ_i = scale_i μ_i
  std::vector<std::size_t> m_set;
  int m_last_store = -1000;
};

/// Runs the relaxation; returns the restart sets (snapshots, then the best), empty if none.
std::vector<std::vector<std::size_t>> PMedian::lagrangian() {
  PMedianRelaxation rel(m_in, m_fixed, m_demand.needs, m_p, m_threads);
  rel.lb = &m_lb;
  rel.target = m_cost;
  rel.tolerance = m_options.gap_tolerance;
  if (m_in.pr.group_quota.empty()) {
    rel.open_bound.assign(m_in.m, -std::numeric_limits<double>::infinity());
    rel.closed_bound.assign(m_in.m, -std::numeric_limits<double>::infinity());
  }
  rel.start_at(m_near.d1, m_demand.penalty);
  polyak_subgradient(rel.mu, SubgradientSettings{m_options.lagrangian_iterations, m_cost, true, false, 50}, rel,
                     m_monitor);
  m_open_bound = std::move(rel.open_bound);
  m_closed_bound = std::move(rel.closed_bound);
  m_multipliers = std::move(rel.best_lambda);
  if (rel.best_set.empty()) return {};
  rel.snapshots.push_back(std::move(rel.best_set));
  return std::move(rel.snapshots);
}

/// Marginal gains in order, penalised cost before minus after each site.
std::vector<double> PMedian::sequential_gains() const {
  Nearest nk(m_in, m_demand.penalty);
  nk.rebuild(m_fixed, {});
  std::vector<double> out;
  for (std::size_t k = 0; k < m_sel.sites.size(); ++k) {
    auto j = static_cast<std::size_t>(m_sel.sites[k]);
    out.push_back(nk.gain(j));
    nk.add(j, static_cast<std::int32_t>(k));
  }
  return out;
}

SitingResult PMedian::solve() {
  SitingResult r;
  r.unreachable.resize(m_in.n);
  for (std::size_t i = 0; i < m_in.n; ++i) r.unreachable[i] = m_demand.reachable[i] ? 0 : 1;
  r.unassigned_cost = m_demand.penalty;
  greedy();
  r.greedy_objective = true_cost();
  exact_gains();
  const SwapSettings swap{m_options.max_swaps, m_threads};
  if (m_options.local_search) {
    search(m_sel, swap, m_monitor);
    exact_gains();
  }
  // Lagrangian heuristic: local search from the relaxation's site sets (a few along the way
  // and the best one); keep the cheapest result.
  auto starts = lagrangian();
  if (m_options.local_search && !starts.empty()) restart_local_search(*this, m_in, m_sel, starts, swap, m_monitor);
  if (m_options.local_search) {
    if (shake_search(*this, m_in, m_sel, {m_options.shake_rounds, m_options.shake_work_limit, sweep_entries()}, swap,
                     m_monitor))
      exact_gains();  // the submodular bound at the better set
  }
  r.sites = m_sel.sites;
  r.swaps = m_sel.swaps;
  r.objective = true_cost();
  const bool complete = std::isfinite(r.objective);
  r.assignment = m_near.site1;
  r.bound = std::min(m_lb, r.objective);
  r.gap = complete ? rel_gap(r.objective, r.bound) : std::numeric_limits<double>::quiet_NaN();
  r.marginal_gain = sequential_gains();
  if (complete && std::isfinite(m_lb)) {  // penalised = true costs: the bounds apply to the objective
    r.open_bound = std::move(m_open_bound);
    r.closed_bound = std::move(m_closed_bound);
    if (r.open_bound.size() == m_in.m) r.multipliers = std::move(m_multipliers);
  }
  return r;
}

}  // namespace

struct PMedianPolisher::Impl {
  Impl(const Instance& in, std::size_t p, const std::vector<std::uint8_t>& fixed, const SitingOptions& options,
       Monitor& monitor)
      : model(in, p, fixed, options, monitor) {}
  PMedian model;
};

PMedianPolisher::PMedianPolisher(const Instance& in, std::size_t p, const std::vector<std::uint8_t>& fixed,
                                 const SitingOptions& options, Monitor& monitor, const PointLists* lists,
                                 PMedianSwaps swaps)
    : m_impl(std::make_unique<Impl>(in, p, fixed, options, monitor)) {
  m_impl->model.configure(lists, swaps);
}

PMedianPolisher::~PMedianPolisher() = default;

std::vector<std::int64_t> PMedianPolisher::polish(const std::vector<std::int64_t>& start) {
  return m_impl->model.polish(start);
}

PointLists point_lists(const Instance& in) {
  PointLists l;
  l.start.assign(in.n + 1, 0);
  for (std::size_t j = 0; j < in.m; ++j)
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e)) ++l.start[in.demand(e) + 1];
  for (std::size_t i = 0; i < in.n; ++i) l.start[i + 1] += l.start[i];
  l.entries.resize(static_cast<std::size_t>(l.start[in.n]));
  std::vector<std::int64_t> fill(l.start.begin(), l.start.end() - 1);
  for (std::size_t j = 0; j < in.m; ++j)
    for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
      if (in.active(e))
        l.entries[static_cast<std::size_t>(fill[in.demand(e)]++)] = PointEntry{in.cost(e),
                                                                               static_cast<std::int32_t>(j)};
  for (std::size_t i = 0; i < in.n; ++i)
    std::sort(l.entries.begin() + l.start[i], l.entries.begin() + l.start[i + 1],
              [](const PointEntry& a, const PointEntry& b) {
                return a.cost < b.cost || (a.cost == b.cost && a.site < b.site);
              });
  return l;
}

}  // namespace detail

SitingResult solve_p_median(const SitingProblem& problem, std::size_t p, const SitingOptions& options,
                            Monitor& monitor) {
  detail::Instance in(problem);
  const auto fixed = detail::prepare(in, SitingModel::PMedian, p);
  return detail::PMedian(in, p, fixed, options, monitor).solve();
}

}  // namespace jangkau
