// MCLP Lagrangian bound and Lagrangian branch-and-bound over demand rows (siting_mclp_bb.hpp).
//
// Galvão & ReVelle (1996) "A Lagrangean heuristic for the maximal covering location problem",
// EJOR 88 (the relaxation); Beasley (1993) "Lagrangean heuristics for location problems", EJOR 65
// (the reduction tests); Held, Wolfe & Crowder (1974) (the subgradient steps).
#include "siting_mclp_bb.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <utility>

#include "error.hpp"
#include "parallel.hpp"
#include "siting_instance.hpp"

namespace jangkau {
namespace detail {
namespace {

/// Checks the arrays of `problem` and `free`; returns n (rows) and m (candidates).
std::pair<std::size_t, std::size_t> check_rows(const MclpRows& pr, std::span<const std::uint8_t> free) {
  if (pr.offsets.empty()) throw InvalidInputError("offsets must have m + 1 >= 1 entries", field_ctx("offsets"));
  const std::size_t m = pr.offsets.size() - 1, n = pr.weight.size();
  if (pr.offsets[0] != 0) throw InvalidInputError("offsets[0] must be 0", field_ctx("offsets", 0));
  for (std::size_t j = 0; j < m; ++j)
    if (pr.offsets[j + 1] < pr.offsets[j])
      throw InvalidInputError("offsets must be non-decreasing",
                              field_ctx("offsets", static_cast<std::int64_t>(j + 1)));
  if (static_cast<std::size_t>(pr.offsets[m]) != pr.rows.size())
    throw InvalidInputError("offsets[m] must equal the number of rows entries", field_ctx("offsets"));
  for (std::size_t e = 0; e < pr.rows.size(); ++e)
    if (pr.rows[e] < 0 || static_cast<std::size_t>(pr.rows[e]) >= n)
      throw InvalidInputError("row index out of range [0, n)", field_ctx("rows", static_cast<std::int64_t>(e)));
  for (std::size_t i = 0; i < n; ++i)
    if (!(pr.weight[i] >= 0) || !std::isfinite(pr.weight[i]))
      throw InvalidInputError("weights must be finite and >= 0", field_ctx("weight", static_cast<std::int64_t>(i)));
  if (free.size() != m) throw InvalidInputError("free must have one entry per candidate", field_ctx("free"));
  return {n, m};
}

void check_sites(std::span<const std::int64_t> sites, std::size_t m, const char* field) {
  for (std::size_t k = 0; k < sites.size(); ++k)
    if (sites[k] < 0 || static_cast<std::size_t>(sites[k]) >= m)
      throw InvalidInputError("candidate index out of range [0, m)", field_ctx(field, static_cast<std::int64_t>(k)));
}

bool all_integral(std::span<const double> w) {
  return std::all_of(w.begin(), w.end(), [](double x) { return x == std::round(x); });
}

/// The value a better solution must reach: incumbent + 1 with integral weights (less 1e-9
/// relative for rounding), else the incumbent plus 1e-9 relative.
double threshold_of(double incumbent, bool integral) {
  if (!std::isfinite(incumbent)) return -std::numeric_limits<double>::infinity();
  const double tol = 1e-9 * std::max(1.0, std::abs(incumbent));
  return integral ? incumbent + 1 - tol : incumbent + tol;
}

/// The rows renumbered so that rows with lexicographically close candidate sets are adjacent
/// (each candidate's row list then touches nearby multipliers: on clustered 5000 x 300 the B&B
/// ran its nodes 2x faster than in demand-point order); each candidate's list sorted.
struct Renumbered {
  std::vector<double> weight;
  std::vector<std::int64_t> rows;
  std::vector<std::size_t> old_of;  ///< new row id -> old row id
  std::vector<std::size_t> new_of;  ///< old row id -> new row id
};

Renumbered renumber(const MclpRows& pr, std::size_t n, std::size_t m) {
  std::vector<std::int64_t> start(n + 1, 0);
  for (auto i : pr.rows) ++start[static_cast<std::size_t>(i) + 1];
  for (std::size_t i = 0; i < n; ++i) start[i + 1] += start[i];
  std::vector<std::int64_t> fill(start.begin(), start.end() - 1);
  std::vector<std::int64_t> cand(pr.rows.size());
  for (std::size_t j = 0; j < m; ++j)
    for (std::int64_t e = pr.offsets[j]; e < pr.offsets[j + 1]; ++e)
      cand[static_cast<std::size_t>(fill[static_cast<std::size_t>(pr.rows[static_cast<std::size_t>(e)])]++)] =
          static_cast<std::int64_t>(j);
  Renumbered r;
  r.old_of.resize(n);
  std::iota(r.old_of.begin(), r.old_of.end(), std::size_t{0});
  auto list = [&](std::size_t i) { return std::make_pair(cand.begin() + start[i], cand.begin() + start[i + 1]); };
  std::stable_sort(r.old_of.begin(), r.old_of.end(), [&](std::size_t a, std::size_t b) {
    auto [a0, a1] = list(a);
    auto [b0, b1] = list(b);
    return std::lexicographical_compare(a0, a1, b0, b1);
  });
  r.new_of.resize(n);
  r.weight.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    r.new_of[r.old_of[k]] = k;
    r.weight[k] = pr.weight[r.old_of[k]];
  }
  r.rows.resize(pr.rows.size());
  for (std::size_t e = 0; e < pr.rows.size(); ++e)
    r.rows[e] = static_cast<std::int64_t>(r.new_of[static_cast<std::size_t>(pr.rows[e])]);
  for (std::size_t j = 0; j < m; ++j) std::sort(r.rows.begin() + pr.offsets[j], r.rows.begin() + pr.offsets[j + 1]);
  return r;
}

/// One relaxation: the rows in play (`live`: not covered by the open sites, weight > 0, covered
/// by some choosable candidate), the choosable candidates `cand`, how many of them to choose
/// (`k`) and the weight the open sites already cover (`constant`).
struct Relaxation {
  std::vector<std::size_t> cand;
  std::vector<std::size_t> live;
  std::vector<std::uint8_t> is_live;
  std::size_t k = 0;
  double constant = 0;
};

/// Shared subgradient machinery over one MclpRows instance.
class Lagrange {
 public:
  Lagrange(const MclpRows& pr, std::size_t n, std::size_t m, unsigned threads = 1)
      : sigma(m, 0.0), m_pr(pr), m_n(n), m_m(m), m_threads(threads), m_cnt(n, 0) {}

  /// σ_j = Σ μ_i over the live rows j covers, for j in rel.cand.
  void compute_sigma(const Relaxation& rel, const std::vector<double>& mu) {
    parallel_for(
        rel.cand.size(), m_threads,
        [&](std::size_t k, unsigned) {
          const std::size_t j = rel.cand[k];
          double acc = 0;
          for (std::int64_t e = m_pr.offsets[j]; e < m_pr.offsets[j + 1]; ++e) {
            auto i = static_cast<std::size_t>(m_pr.rows[static_cast<std::size_t>(e)]);
            if (rel.is_live[i]) acc += mu[i];
          }
          sigma[j] = acc;
        },
        16);
  }
  /// The k candidates of rel.cand with the largest σ (ties: smaller index), in `top`.
  void top_k(const Relaxation& rel, std::vector<std::size_t>& top) const {
    top = rel.cand;
    auto by = [&](std::size_t a, std::size_t b) { return better(sigma[a], a, sigma[b], b); };
    if (rel.k < top.size()) {
      std::nth_element(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(rel.k), top.end(), by);
      top.resize(rel.k);
    }
  }

  /// Runs the subgradient loop (file comment of siting_mclp_bb.hpp) on `rel` from `mu`.
  /// `target()` is the step target (the incumbent value), `stop_at()` the value below which the
  /// bound settles the relaxation; `on_set(T, value)` sees every relaxation set with the covered
  /// weight of T plus rel.constant. Leaves the best multipliers in `mu` and their σ in `sigma`;
  /// returns the best L (+inf if no step ran).
  template <class Target, class StopAt, class OnSet>
  double run(const Relaxation& rel, std::vector<double>& mu, int iterations, int patience, double theta,
             double theta_floor, Target target, StopAt stop_at, OnSet on_set, Monitor& monitor, int& steps,
             std::vector<std::size_t>* bound_set = nullptr) {
    double best = std::numeric_limits<double>::infinity();
    std::vector<double> best_mu = mu;
    std::vector<std::size_t> top;
    int since = 0;
    steps = 0;
    while (steps < std::max(iterations, 1)) {
      ++steps;
      compute_sigma(rel, mu);
      top_k(rel, top);
      double value = rel.constant;
      for (std::size_t i : rel.live) value += std::max(0.0, m_pr.weight[i] - mu[i]);
      for (std::size_t j : top) value += sigma[j];
      if (!std::isfinite(best) || value < best - 1e-12 * std::max(1.0, std::abs(best))) {
        best = value;
        best_mu = mu;
        since = 0;
        if (bound_set) *bound_set = top;
      } else if (++since >= patience) {
        theta /= 2;
        since = 0;
      }
      for (std::size_t j : top)
        for (std::int64_t e = m_pr.offsets[j]; e < m_pr.offsets[j + 1]; ++e) {
          auto i = static_cast<std::size_t>(m_pr.rows[static_cast<std::size_t>(e)]);
          if (rel.is_live[i]) ++m_cnt[i];
        }
      double heuristic = rel.constant;
      for (std::size_t i : rel.live)
        if (m_cnt[i] > 0) heuristic += m_pr.weight[i];
      on_set(top, heuristic);
      bool stop = best < stop_at() || theta < theta_floor || monitor.should_stop();
      double den = 0;
      if (!stop) {
        for (std::size_t i : rel.live) {
          const double g = (m_pr.weight[i] > mu[i] ? 1.0 : 0.0) - m_cnt[i];
          den += m_pr.weight[i] * g * g;
        }
        const double step = den > 0 ? theta * (value - target()) / den : 0.0;
        if (step > 0) {
          for (std::size_t i : rel.live) {
            const double g = (m_pr.weight[i] > mu[i] ? 1.0 : 0.0) - m_cnt[i];
            mu[i] = std::clamp(mu[i] + step * m_pr.weight[i] * g, 0.0, m_pr.weight[i]);
          }
        } else {
          stop = true;
        }
      }
      for (std::size_t j : top)
        for (std::int64_t e = m_pr.offsets[j]; e < m_pr.offsets[j + 1]; ++e)
          m_cnt[static_cast<std::size_t>(m_pr.rows[static_cast<std::size_t>(e)])] = 0;
      if (stop) break;
    }
    monitor.throw_if_cancelled();
    mu = std::move(best_mu);
    compute_sigma(rel, mu);
    return best;
  }

  /// Covered weight of `sites` over all rows.
  double coverage(std::span<const std::int64_t> sites) {
    double v = 0;
    for (auto j : sites)
      for (std::int64_t e = m_pr.offsets[static_cast<std::size_t>(j)];
           e < m_pr.offsets[static_cast<std::size_t>(j) + 1]; ++e) {
        auto i = static_cast<std::size_t>(m_pr.rows[static_cast<std::size_t>(e)]);
        if (m_cnt[i]++ == 0) v += m_pr.weight[i];
      }
    for (auto j : sites)
      for (std::int64_t e = m_pr.offsets[static_cast<std::size_t>(j)];
           e < m_pr.offsets[static_cast<std::size_t>(j) + 1]; ++e)
        m_cnt[static_cast<std::size_t>(m_pr.rows[static_cast<std::size_t>(e)])] = 0;
    return v;
  }
  /// Start multipliers: μ_i = w_i where `sites` cover i at most once, 0 elsewhere.
  std::vector<double> start_mu(std::span<const std::int64_t> sites) {
    std::vector<double> mu(m_pr.weight.begin(), m_pr.weight.end());
    for (auto j : sites)
      for (std::int64_t e = m_pr.offsets[static_cast<std::size_t>(j)];
           e < m_pr.offsets[static_cast<std::size_t>(j) + 1]; ++e)
        ++m_cnt[static_cast<std::size_t>(m_pr.rows[static_cast<std::size_t>(e)])];
    for (std::size_t i = 0; i < m_n; ++i) {
      if (m_cnt[i] > 1) mu[i] = 0;
      m_cnt[i] = 0;
    }
    return mu;
  }
  /// The relaxation with the candidates of `status` (0 = choosable, 1 = open, 2 = closed) and
  /// `k` to choose.
  Relaxation relaxation(const std::vector<std::uint8_t>& status, std::size_t k) {
    Relaxation rel;
    rel.k = k;
    rel.is_live.assign(m_n, 0);
    std::vector<std::uint8_t> open_cov(m_n, 0);
    for (std::size_t j = 0; j < m_m; ++j) {
      if (status[j] == 2) continue;
      if (status[j] == 0) rel.cand.push_back(j);
      for (std::int64_t e = m_pr.offsets[j]; e < m_pr.offsets[j + 1]; ++e) {
        auto i = static_cast<std::size_t>(m_pr.rows[static_cast<std::size_t>(e)]);
        if (status[j] == 1)
          open_cov[i] = 1;
        else
          rel.is_live[i] = 1;
      }
    }
    for (std::size_t i = 0; i < m_n; ++i) {
      if (open_cov[i]) {
        rel.constant += m_pr.weight[i];
        rel.is_live[i] = 0;
      } else if (rel.is_live[i] && !(m_pr.weight[i] > 0)) {
        rel.is_live[i] = 0;
      }
      if (rel.is_live[i]) rel.live.push_back(i);
    }
    return rel;
  }

  std::vector<double> sigma;

 private:
  const MclpRows& m_pr;
  std::size_t m_n, m_m;
  unsigned m_threads;
  std::vector<std::int32_t> m_cnt;
};

/// The depth-first Lagrangian branch-and-bound (mclp_branch_and_bound).
class BranchAndBound {
 public:
  BranchAndBound(const MclpRows& pr, std::size_t n, std::size_t m, std::size_t p, std::span<const std::uint8_t> free,
                 const MclpBranchOptions& options, Monitor& monitor)
      : m_pr(pr), m_n(n), m_m(m), m_p(p), m_options(options), m_monitor(monitor), m_lag(pr, n, m), m_status(m, 2) {
    for (std::size_t j = 0; j < m; ++j)
      if (free[j]) {
        m_status[j] = 0;
        m_local_of.push_back(j);
      }
    m_result.integral = all_integral(pr.weight);
    // The free candidates as a SitingProblem of their own, for the engine's local search.
    m_ls_offsets.push_back(0);
    for (std::size_t j : m_local_of) {
      for (std::int64_t e = pr.offsets[j]; e < pr.offsets[j + 1]; ++e)
        m_ls_rows.push_back(pr.rows[static_cast<std::size_t>(e)]);
      m_ls_offsets.push_back(static_cast<std::int64_t>(m_ls_rows.size()));
    }
    m_ls_problem.demand_weight = pr.weight;
    m_ls_problem.offsets = m_ls_offsets;
    m_ls_problem.demand_index = m_ls_rows;
  }

  MclpBranchResult run(std::span<const std::int64_t> start, std::span<const double> start_mu) {
    if (!start.empty()) offer(std::vector<std::int64_t>(start.begin(), start.end()), m_lag.coverage(start));
    std::vector<double> mu = m_lag.start_mu(start);
    for (std::size_t i = 0; i < start_mu.size(); ++i) mu[i] = std::clamp(start_mu[i], 0.0, m_pr.weight[i]);
    m_root = true;
    search(mu, std::numeric_limits<double>::infinity());
    m_result.proven = !m_stopped;
    m_result.bound = m_stopped ? std::max(m_result.objective, std::min(m_pending, m_result.root_bound))
                               : m_result.objective;
    if (m_result.integral && std::isfinite(m_result.bound))  // every value is an integer
      m_result.bound = std::max(m_result.objective,
                                std::floor(m_result.bound + 1e-9 * std::max(1.0, std::abs(m_result.bound))));
    std::sort(m_result.sites.begin(), m_result.sites.end());
    return m_result;
  }

 private:
  double threshold() const { return threshold_of(m_result.objective, m_result.integral); }

  /// A p-set with covered weight `value`: the new incumbent if it is better.
  void offer(std::vector<std::int64_t> sites, double value) {
    if (m_result.sites.empty() || value > m_result.objective + 1e-12 * std::max(1.0, std::abs(m_result.objective))) {
      m_result.sites = std::move(sites);
      m_result.objective = value;
      m_polish = true;
    }
  }
  /// The engine's swap local search from the incumbent (once per new incumbent).
  void polish() {
    if (!m_polish || !m_options.local_search || m_monitor.expired()) return;
    m_polish = false;
    std::vector<std::int64_t> local;
    local.reserve(m_result.sites.size());
    for (auto j : m_result.sites)
      local.push_back(static_cast<std::int64_t>(
          std::lower_bound(m_local_of.begin(), m_local_of.end(), static_cast<std::size_t>(j)) - m_local_of.begin()));
    auto better_set = mclp_swap_search(m_ls_problem, m_p, local, m_monitor);
    std::vector<std::int64_t> sites;
    sites.reserve(better_set.size());
    for (auto j : better_set) sites.push_back(static_cast<std::int64_t>(m_local_of[static_cast<std::size_t>(j)]));
    offer(sites, m_lag.coverage(sites));
    m_polish = false;
  }

  /// The root's reduction tests against the current incumbent (its bounds hold for the whole
  /// tree): a candidate whose forced-open (forced-closed) root bound is below the threshold is
  /// closed (opened) wherever it is still choosable.
  template <class SetStatus>
  void root_tests(SetStatus& set_status) {
    if (m_root_order.size() <= m_root_k || m_root_k == 0) return;
    const double thr = threshold();
    const double sigma_k = m_root_sigma[m_root_order[m_root_k - 1]];
    const double sigma_next = m_root_sigma[m_root_order[m_root_k]];
    for (std::size_t r = 0; r < m_root_order.size(); ++r) {
      const std::size_t j = m_root_order[r];
      if (m_status[j] != 0) continue;
      if (r < m_root_k && m_root_L - m_root_sigma[j] + sigma_next < thr)
        set_status(j, 1);
      else if (r >= m_root_k && m_root_L - sigma_k + m_root_sigma[j] < thr)
        set_status(j, 2);
    }
  }

  /// Marks the search as stopped with a node of bound `bound` left unexplored.
  void leave(double bound) {
    m_stopped = true;
    m_pending = std::max(m_pending, bound);
  }

  void search(std::vector<double>& parent_mu, double parent_bound) {
    // The root is always bounded (at least one subgradient step), so even a spent deadline
    // returns a finite certified bound.
    if (!m_root && (m_monitor.should_stop() || (m_options.max_nodes > 0 && m_result.nodes >= m_options.max_nodes))) {
      m_monitor.throw_if_cancelled();
      leave(parent_bound);
      return;
    }
    ++m_result.nodes;
    const bool root = m_root;
    m_root = false;
    std::vector<std::pair<std::size_t, std::uint8_t>> undo;  // (candidate, previous status)
    auto set_status = [&](std::size_t j, std::uint8_t s) {
      undo.emplace_back(j, m_status[j]);
      m_status[j] = s;
    };
    auto restore = [&]() {
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) m_status[it->first] = it->second;
    };
    std::vector<double> mu = parent_mu;
    double bound = parent_bound;
    std::vector<std::size_t> top;
    for (int round = 0;; ++round) {
      root_tests(set_status);
      std::size_t n_open = 0;
      for (std::size_t j = 0; j < m_m; ++j) n_open += m_status[j] == 1;
      const std::size_t k = m_p - n_open;
      Relaxation rel = m_lag.relaxation(m_status, k);
      if (k == 0 || rel.cand.size() <= k) {  // leaf: the open sites and every choosable one
        std::vector<std::int64_t> sites;
        for (std::size_t j = 0; j < m_m; ++j)
          if (m_status[j] == 1 || (k > 0 && m_status[j] == 0)) sites.push_back(static_cast<std::int64_t>(j));
        offer(sites, m_lag.coverage(sites));
        polish();
        restore();
        return;
      }
      std::vector<std::int64_t> open;
      for (std::size_t j = 0; j < m_m; ++j)
        if (m_status[j] == 1) open.push_back(static_cast<std::int64_t>(j));
      int steps = 0;
      const bool first = root && round == 0;
      const double L = m_lag.run(
          rel, mu, first ? m_options.schedule.root_iterations : m_options.schedule.node_iterations,
          first ? m_options.schedule.root_patience : m_options.schedule.node_patience,
          first ? m_options.schedule.root_theta : m_options.schedule.node_theta, m_options.schedule.theta_floor,
          [&]() { return m_result.sites.empty() ? 0.0 : m_result.objective; }, [&]() { return threshold(); },
          [&](const std::vector<std::size_t>& t, double value) {
            if (!m_result.sites.empty() && value <= m_result.objective) return;
            std::vector<std::int64_t> sites = open;
            for (std::size_t j : t) sites.push_back(static_cast<std::int64_t>(j));
            offer(std::move(sites), value);
          },
          m_monitor, steps);
      bound = std::min(bound, L);
      if (root) {
        m_result.root_bound = std::min(m_result.root_bound, bound);
      }
      polish();
      if (root && round == 0) {
        m_result.root_value = m_result.objective;
        // keep the root's σ and L: its tests are re-run against every better incumbent
        m_root_sigma = m_lag.sigma;
        m_root_L = L;
        m_root_k = k;
        std::vector<std::size_t> ord = rel.cand;
        std::sort(ord.begin(), ord.end(),
                  [&](std::size_t a, std::size_t b) { return better(m_root_sigma[a], a, m_root_sigma[b], b); });
        m_root_order = ord;
      }
      if (bound < threshold()) {
        restore();
        return;
      }
      if (m_monitor.should_stop()) {
        m_monitor.throw_if_cancelled();
        leave(bound);
        restore();
        return;
      }
      // Beasley's tests at this node's best multipliers (sigma holds their σ over rel.cand, L is
      // their value): forcing j open (closed) bounds every solution by L - σ_(k) + σ_j
      // (L - σ_j + σ_(k+1)).
      std::vector<std::size_t> order = rel.cand;
      const auto& sg = m_lag.sigma;
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return better(sg[a], a, sg[b], b); });
      top.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
      if (round >= m_options.reduction_rounds) break;
      const double sigma_k = sg[order[k - 1]];
      const double sigma_next = sg[order[k]];
      const double thr = threshold();
      std::size_t changed = 0;
      for (std::size_t r = 0; r < order.size(); ++r) {
        const std::size_t j = order[r];
        if (r < k && L - sg[j] + sigma_next < thr) {
          set_status(j, 1);
          ++changed;
          if (root) ++m_result.root_forced;
        } else if (r >= k && L - sigma_k + sg[j] < thr) {
          set_status(j, 2);
          ++changed;
          if (root) ++m_result.root_closed;
        }
      }
      if (changed == 0) break;
    }
    // Branch on the choosable candidate of the relaxation's set with the largest σ.
    std::size_t b = m_m;
    for (std::size_t j : top)
      if (m_status[j] == 0 && (b == m_m || better(m_lag.sigma[j], j, m_lag.sigma[b], b))) b = j;
    if (b == m_m) {  // every set member got fixed: pick the largest-σ choosable candidate
      for (std::size_t j = 0; j < m_m; ++j)
        if (m_status[j] == 0 && (b == m_m || better(m_lag.sigma[j], j, m_lag.sigma[b], b))) b = j;
    }
    if (b == m_m) {
      restore();
      return;
    }
    const std::uint8_t before = m_status[b];
    m_status[b] = 1;
    search(mu, bound);
    if (!m_stopped && bound >= threshold()) {
      m_status[b] = 2;
      search(mu, bound);
    } else if (m_stopped && bound >= threshold()) {
      leave(bound);
    }
    m_status[b] = before;
    restore();
  }

  const MclpRows& m_pr;
  std::size_t m_n, m_m, m_p;
  const MclpBranchOptions& m_options;
  Monitor& m_monitor;
  Lagrange m_lag;
  std::vector<std::uint8_t> m_status;  // 0 choosable, 1 open, 2 closed
  std::vector<std::size_t> m_local_of;
  std::vector<std::int64_t> m_ls_offsets, m_ls_rows;
  SitingProblem m_ls_problem;
  MclpBranchResult m_result{{}, 0, 0, std::numeric_limits<double>::infinity()};
  bool m_root = false, m_stopped = false, m_polish = false;
  double m_pending = -std::numeric_limits<double>::infinity();
  std::vector<double> m_root_sigma;
  std::vector<std::size_t> m_root_order;
  double m_root_L = 0;
  std::size_t m_root_k = 0;
};

}  // namespace
}  // namespace detail

MclpLagrangianResult mclp_lagrangian(const MclpRows& problem, std::size_t p, std::span<const std::uint8_t> free,
                                     std::span<const std::int64_t> incumbent, const MclpLagrangianOptions& options,
                                     Monitor& monitor) {
  const auto [n, m] = detail::check_rows(problem, free);
  detail::check_sites(incumbent, m, "incumbent");
  const bool integral = detail::all_integral(problem.weight);
  const detail::Renumbered re = detail::renumber(problem, n, m);
  const MclpRows rows{re.weight, problem.offsets, re.rows};
  detail::Lagrange lag(rows, n, m, std::max(options.threads, 1u));
  std::vector<std::uint8_t> status(m, 2);
  for (std::size_t j = 0; j < m; ++j)
    if (free[j]) status[j] = 0;
  detail::Relaxation rel = lag.relaxation(status, 0);
  rel.k = std::min(p, rel.cand.size());
  MclpLagrangianResult r;
  r.best_set.assign(incumbent.begin(), incumbent.end());
  std::sort(r.best_set.begin(), r.best_set.end());
  r.best_value = lag.coverage(incumbent);
  r.mu = lag.start_mu(incumbent);
  double stop_at = integral ? r.best_value + 1 : r.best_value;
  std::map<std::vector<std::int64_t>, std::pair<double, std::size_t>> seen;  // set -> (value, first seen)
  std::vector<std::size_t> bound_set;
  r.bound = lag.run(
      rel, r.mu, options.iterations, options.patience, 2.0, 1e-6, [&]() { return r.best_value; },
      [&]() { return stop_at; },
      [&](const std::vector<std::size_t>& t, double value) {
        std::vector<std::int64_t> key(t.begin(), t.end());
        std::sort(key.begin(), key.end());
        seen.emplace(key, std::make_pair(value, seen.size()));
        if (value > r.best_value) {
          r.best_value = value;
          r.best_set = key;
          stop_at = std::max(stop_at, integral ? value + 1 : value);
        }
      },
      monitor, r.iterations, &bound_set);
  r.sigma = lag.sigma;
  std::vector<double> mu(n);
  for (std::size_t k = 0; k < n; ++k) mu[re.old_of[k]] = r.mu[k];  // back to the caller's rows
  r.mu = std::move(mu);
  r.bound_set.assign(bound_set.begin(), bound_set.end());
  std::sort(r.bound_set.begin(), r.bound_set.end());
  std::vector<std::pair<const std::vector<std::int64_t>*, std::pair<double, std::size_t>>> sets;
  sets.reserve(seen.size());
  for (const auto& [key, v] : seen) sets.emplace_back(&key, v);
  std::sort(sets.begin(), sets.end(), [](const auto& a, const auto& b) {
    return a.second.first > b.second.first || (a.second.first == b.second.first && a.second.second < b.second.second);
  });
  for (std::size_t h = 0; h < sets.size() && h < options.history; ++h) r.history.push_back(*sets[h].first);
  return r;
}

MclpBranchResult mclp_branch_and_bound(const MclpRows& problem, std::size_t p, std::span<const std::uint8_t> free,
                                       std::span<const std::int64_t> start, const MclpBranchOptions& options,
                                       Monitor& monitor, std::span<const double> start_mu) {
  const auto [n, m] = detail::check_rows(problem, free);
  detail::check_sites(start, m, "start");
  validate(options.schedule);
  const auto n_free = static_cast<std::size_t>(
      std::count_if(free.begin(), free.end(), [](auto f) { return f != 0; }));
  if (p > n_free) throw InvalidInputError("p exceeds the number of free candidates", detail::field_ctx("p"));
  if (!start.empty()) {
    std::vector<std::int64_t> s(start.begin(), start.end());
    std::sort(s.begin(), s.end());
    if (s.size() != p || std::adjacent_find(s.begin(), s.end()) != s.end())
      throw InvalidInputError("start must hold p distinct candidates", detail::field_ctx("start"));
    for (auto j : s)
      if (!free[static_cast<std::size_t>(j)])
        throw InvalidInputError("start holds a candidate that is not free", detail::field_ctx("start", j));
  }
  if (!start_mu.empty() && start_mu.size() != n)
    throw InvalidInputError("start_mu must be empty or hold one value per row", detail::field_ctx("start_mu"));
  const detail::Renumbered re = detail::renumber(problem, n, m);
  const MclpRows rows{re.weight, problem.offsets, re.rows};
  std::vector<double> mu;
  if (!start_mu.empty()) {
    mu.resize(n);
    for (std::size_t k = 0; k < n; ++k) mu[k] = start_mu[re.old_of[k]];
  }
  return detail::BranchAndBound(rows, n, m, p, free, options, monitor).run(start, mu);
}

}  // namespace jangkau
