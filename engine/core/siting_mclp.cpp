// Maximal covering (MCLP): equity-floor phase, lazy greedy with the online bound, 1-swap local
// search, Lagrangian upper bound and restart, variable neighbourhood search. See siting_instance.hpp for how the code
// is split.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "parallel.hpp"
#include "siting.hpp"
#include "siting_cover.hpp"
#include "siting_greedy.hpp"
#include "siting_instance.hpp"
#include "siting_local_search.hpp"
#include "siting_mclp_bb.hpp"
#include "siting_subgradient.hpp"

namespace jangkau {
namespace detail {
namespace {

/// Relaxation site sets by covered weight (after the set at the best bound) that the local search
/// restarts from when the weight-scaled Lagrangian ran (no quotas).
constexpr std::size_t kLagrangianRestarts = 2;

/// MCLP solver state; also the model of the shared local search.
class Mclp {
 public:
  static constexpr bool maximise = true;

  Mclp(const Instance& in, std::size_t p, const std::vector<std::uint8_t>& fixed, const SitingOptions& options,
       Monitor& monitor)
      : m_in(in),
        m_p(p),
        m_fixed(fixed),
        m_options(options),
        m_monitor(monitor),
        m_threads(siting_threads(options.threads, in.pr.demand_index.size())),
        m_sel(in.pr, p, fixed),
        m_cover(in),
        m_zones(in),
        m_bound_value(in.m, 0.0),
        m_exact(in.m, 0.0) {
    m_cover.init_base(fixed);
    m_f = m_cover.base_weight;
  }

  SitingResult solve();
  /// The swap local search from the p-set `start` (no quotas); returns the set reached.
  std::vector<std::int64_t> improve_from(const std::vector<std::int64_t>& start) {
    m_sel.reset(start);
    reset(start);
    swap_local_search(*this, m_in, m_sel, swap_settings(), m_monitor);
    return m_sel.sites;
  }

  // --- local search model (siting_local_search.hpp)
  double objective() const { return m_f; }
  void start() { m_zc = m_zones.on ? m_zones.covered(m_cover) : std::vector<double>{}; }
  /// Loss L_s: weight only s covers.
  void position_terms(std::span<double> loss) const {
    for (std::size_t i = 0; i < m_in.n; ++i)
      if (m_cover.count[i] == 1) loss[static_cast<std::size_t>(m_cover.owner[i])] += m_in.weight(i);
  }
  /// G_j: uncovered weight j covers; extra B(s, j): weight only s covers that j covers too.
  double scan(std::size_t j, SwapScratch& bonus) const {
    double g = 0;
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e) {
      if (!m_in.active(e)) continue;
      std::size_t i = m_in.demand(e);
      if (m_cover.count[i] == 0)
        g += m_in.weight(i);
      else if (m_cover.count[i] == 1)
        bonus.add(static_cast<std::size_t>(m_cover.owner[i]), m_in.weight(i));
    }
    return g;
  }
  /// delta(s, j) = G_j - L_s + B(s, j).
  static double delta(double g, double loss, double bonus) { return g - loss + bonus; }
  bool try_swap(const std::vector<std::int64_t>& trial, double tol);
  void reset(const std::vector<std::int64_t>& sites) {
    m_cover.rebuild(m_fixed, sites);
    m_f = m_cover.covered_weight();
  }
  bool converged(double objective) const { return rel_gap(m_ub, objective) <= m_options.gap_tolerance; }

 private:
  void exact_gains(std::vector<double>& out);
  void update_bound(std::span<const double> values) {
    auto set = best_feasible_set(m_in.pr, values, m_p, m_fixed);
    m_ub = std::min(m_ub, m_f + sum_of(values, set));
  }
  void greedy_floors();
  std::size_t best_floor_site(const std::vector<double>& deficit, std::vector<double>& gsum);
  void greedy();
  std::vector<std::vector<std::size_t>> lagrangian();
  SwapSettings swap_settings() const { return {m_options.max_swaps, m_threads}; }
  ShakeSettings shake_settings() const {
    const double sweep = static_cast<double>(m_in.pr.demand_index.size() + m_in.n + m_in.m * m_p);
    return {m_options.shake_rounds, m_options.shake_work_limit, sweep};
  }

  const Instance& m_in;
  std::size_t m_p;
  const std::vector<std::uint8_t>& m_fixed;
  const SitingOptions& m_options;
  Monitor& m_monitor;
  unsigned m_threads;
  Selection m_sel;
  Cover m_cover;
  Zones m_zones;
  std::vector<double> m_bound_value, m_exact, m_zc;
  double m_f = 0;  ///< covered weight of the current set
  double m_ub = std::numeric_limits<double>::infinity();
};

void Mclp::exact_gains(std::vector<double>& out) {
  parallel_for(
      m_in.m, m_threads,
      [&](std::size_t j, unsigned) {
        if (m_monitor.cancelled()) return;
        out[j] = m_sel.blocked[j] ? 0.0 : m_cover.gain(j);
      },
      16);
  m_monitor.throw_if_cancelled();
}

bool Mclp::try_swap(const std::vector<std::int64_t>& trial, double tol) {
  Cover c2(m_in);
  c2.rebuild(m_fixed, trial);
  double f2 = c2.covered_weight();
  if (!(f2 > m_f + tol)) return false;  // rounding made the predicted gain vanish
  if (m_zones.on) {
    auto z2 = m_zones.covered(c2);
    for (std::size_t zk = 0; zk < m_zones.z; ++zk)
      if (m_zones.target[zk] > 0 &&
          z2[zk] < std::min(m_zc[zk], m_zones.target[zk]) - 1e-12 * std::max(1.0, m_zones.total[zk]))
        return false;
    m_zc = std::move(z2);
  }
  m_cover.count.swap(c2.count);
  m_cover.owner.swap(c2.owner);
  m_f = f2;
  return true;
}

/// The candidate that most reduces the floor deficits (ties: larger covered gain, then
/// smaller index); m when none reduces any. gsum[j] = uncovered weight j covers.
std::size_t Mclp::best_floor_site(const std::vector<double>& deficit, std::vector<double>& gsum) {
  std::vector<double> score(m_in.m);
  std::vector<std::vector<double>> scratch(m_threads, std::vector<double>(m_zones.z, 0.0));
  parallel_for(
      m_in.m, m_threads,
      [&](std::size_t j, unsigned w) {
        score[j] = -1;
        if (m_sel.blocked[j] || !m_sel.quotas.can_add(j) || m_monitor.cancelled()) return;
        auto& acc = scratch[w];
        std::vector<std::size_t> touched;
        double g = 0;
        for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e) {
          if (!m_in.active(e)) continue;
          std::size_t i = m_in.demand(e);
          if (m_cover.count[i] != 0) continue;
          g += m_in.weight(i);
          std::int32_t zi = m_in.pr.demand_zone[i];
          if (zi < 0) continue;
          auto zk = static_cast<std::size_t>(zi);
          if (acc[zk] == 0) touched.push_back(zk);
          acc[zk] += m_in.weight(i);
        }
        double s = 0;
        for (auto zk : touched) {
          s += std::min(deficit[zk], acc[zk]);
          acc[zk] = 0;
        }
        score[j] = s;
        gsum[j] = g;
      },
      16);
  m_monitor.throw_if_cancelled();
  std::size_t best = m_in.m;
  for (std::size_t j = 0; j < m_in.m; ++j) {
    if (score[j] <= 0) continue;
    if (best == m_in.m || score[j] > score[best] || (score[j] == score[best] && better(gsum[j], j, gsum[best], best)))
      best = j;
  }
  return best;
}

/// Phase 1 (equity floors): pick sites that most reduce the floor deficits.
void Mclp::greedy_floors() {
  if (!m_zones.on) return;
  std::vector<double> zc = m_zones.covered(m_cover);
  std::vector<double> gsum(m_in.m);
  while (m_sel.sites.size() < m_p && !m_zones.all_met(zc) && !m_monitor.expired()) {
    std::vector<double> deficit(m_zones.z);
    for (std::size_t k = 0; k < m_zones.z; ++k) deficit[k] = std::max(0.0, m_zones.target[k] - zc[k]);
    std::size_t best = best_floor_site(deficit, gsum);
    if (best == m_in.m) break;  // no candidate reduces any deficit
    m_cover.add(best, static_cast<std::int32_t>(m_sel.sites.size()));
    m_sel.add(best);
    m_f += gsum[best];
    zc = m_zones.covered(m_cover);
    m_monitor.report("equity floors", m_sel.sites.size(), m_p);
  }
}

/// Phase 2: lazy greedy with the online bound at every iterate.
void Mclp::greedy() {
  const auto nnz = static_cast<double>(m_in.pr.demand_index.size());
  const bool exact_each = nnz * static_cast<double>(m_p + 1) <= m_options.bound_work_limit;
  lazy_greedy(
      m_in, m_p, m_sel, m_bound_value, m_threads, m_monitor, [&](std::size_t j) { return m_cover.gain(j); },
      [&](std::size_t j) {
        m_f += m_cover.gain(j);
        m_cover.add(j, static_cast<std::int32_t>(m_sel.sites.size()));
      },
      [&]() {
        update_bound(m_bound_value);
        if (exact_each && !m_monitor.expired()) {
          exact_gains(m_exact);
          for (std::size_t j = 0; j < m_in.m; ++j) m_bound_value[j] = std::min(m_bound_value[j], m_exact[j]);
          update_bound(m_exact);
        }
      });
}

/// Lagrangian relaxation of z_i <= Σ_{j∋i} y_j with multipliers μ_i >= 0 (as strong as the LP
/// bound at its optimum): UB(μ) = base + Σ_i max(0, w_i - μ_i) + max_{feasible T} Σ_{j∈T} Σ_{i∈N(j)} μ_i,
/// minimised by projected Polyak steps. Valid for any μ, so every iterate counts.
/// Returns the site set of the best relaxation.
class MclpRelaxation {
 public:
  MclpRelaxation(const Instance& in, const std::vector<std::uint8_t>& fixed, std::size_t p, unsigned threads,
                 Monitor& monitor)
      : m_in(in),
        m_fixed(fixed),
        m_p(p),
        m_threads(threads),
        m_monitor(monitor),
        m_base(in),
        m_free(in.n, 0),
        m_sigma(in.m, 0.0) {
    m_base.init_base(fixed);
    for (std::size_t j = 0; j < in.m; ++j)
      if (!fixed[j])
        for (std::int64_t e = in.begin(j); e < in.end(j); ++e)
          if (in.active(e)) {
            std::size_t i = in.demand(e);
            if (m_base.count[i] == 0 && in.weight(i) > 0) m_free[i] = 1;
          }
    mu.assign(in.n, 0.0);
    for (std::size_t i = 0; i < in.n; ++i) mu[i] = m_free[i] ? in.weight(i) : 0.0;
  }

  double evaluate() {
    parallel_for(
        m_in.m, m_threads,
        [&](std::size_t j, unsigned) {
          double acc = 0;
          if (!m_fixed[j] && !m_monitor.cancelled())
            for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
              if (m_in.active(e)) acc += mu[m_in.demand(e)];
          m_sigma[j] = acc;
        },
        16);
    m_monitor.throw_if_cancelled();
    m_set = best_feasible_set(m_in.pr, m_sigma, m_p, m_fixed);
    double L = m_base.base_weight + sum_of(m_sigma, m_set);
    for (std::size_t i = 0; i < m_in.n; ++i)
      if (m_free[i]) L += std::max(0.0, m_in.weight(i) - mu[i]);
    *ub = std::min(*ub, L);
    return L;
  }
  void improved(int) { best_set = m_set; }
  bool converged() const { return rel_gap(*ub, target) <= tolerance; }
  /// Descent direction: -(Σ_{j∈T} [i∈N(j)] - [w_i > μ_i]) over the free points.
  void direction(std::vector<double>& g) const {
    for (std::size_t i = 0; i < m_in.n; ++i) g[i] = m_free[i] && m_in.weight(i) > mu[i] ? 1.0 : 0.0;
    for (auto j : m_set)
      for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
        if (m_in.active(e) && m_free[m_in.demand(e)]) g[m_in.demand(e)] -= 1;
  }

  std::vector<double> mu;
  std::vector<std::size_t> best_set;
  double* ub = nullptr;
  double target = 0, tolerance = 0;

 private:
  const Instance& m_in;
  const std::vector<std::uint8_t>& m_fixed;
  std::size_t m_p;
  unsigned m_threads;
  Monitor& m_monitor;
  Cover m_base;
  std::vector<std::uint8_t> m_free;
  std::vector<double> m_sigma;
  std::vector<std::size_t> m_set;
};

/// The Lagrangian bound (updates m_ub); returns the site sets the local search restarts from.
std::vector<std::vector<std::size_t>> Mclp::lagrangian() {
  if (m_options.lagrangian_iterations <= 0 || rel_gap(m_ub, m_f) <= m_options.gap_tolerance || m_monitor.expired())
    return {};
  if (!m_sel.quotas.on) {
    // Without quotas: the weight-scaled steps of mclp_lagrangian (siting_mclp_bb.hpp), which reach
    // the LP value where equal steps stall on heavy-tailed weights. Rows = the points not covered
    // by fixed or pre-covered sites (the others get weight 0), candidates = the non-fixed ones.
    std::vector<double> w(m_in.n, 0.0);
    for (std::size_t i = 0; i < m_in.n; ++i)
      if (m_cover.count[i] != kBase) w[i] = m_in.weight(i);
    std::vector<std::int64_t> offsets{0}, rows;
    for (std::size_t j = 0; j < m_in.m; ++j) {
      for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
        if (m_in.active(e)) rows.push_back(static_cast<std::int64_t>(m_in.demand(e)));
      offsets.push_back(static_cast<std::int64_t>(rows.size()));
    }
    std::vector<std::uint8_t> free(m_in.m);
    for (std::size_t j = 0; j < m_in.m; ++j) free[j] = m_fixed[j] ? 0 : 1;
    MclpLagrangianOptions lo;
    lo.iterations = m_options.lagrangian_iterations;
    lo.patience = std::clamp(m_options.lagrangian_iterations / 26, 20, 150);
    lo.threads = m_threads;
    auto r = mclp_lagrangian(MclpRows{w, offsets, rows}, m_p, free, m_sel.sites, lo, m_monitor);
    m_ub = std::min(m_ub, m_cover.base_weight + r.bound);
    // restarts: the relaxation's set at the best bound, then its best sets by covered weight
    std::vector<std::vector<std::size_t>> starts{{r.bound_set.begin(), r.bound_set.end()}};
    for (std::size_t h = 0; h < r.history.size() && h < kLagrangianRestarts; ++h)
      starts.emplace_back(r.history[h].begin(), r.history[h].end());
    return starts;
  }
  MclpRelaxation rel(m_in, m_fixed, m_p, m_threads, m_monitor);
  rel.ub = &m_ub;
  rel.target = m_f;
  rel.tolerance = m_options.gap_tolerance;
  polyak_subgradient(rel.mu, SubgradientSettings{m_options.lagrangian_iterations, m_f, false, true}, rel, m_monitor);
  if (rel.best_set.empty()) return {};
  return {std::move(rel.best_set)};
}

SitingResult Mclp::solve() {
  greedy_floors();
  greedy();
  m_cover.rebuild(m_fixed, m_sel.sites);
  m_f = m_cover.covered_weight();
  SitingResult r;
  r.greedy_objective = m_f;
  // Past the deadline (monitor.expired()) every phase below winds down at once and the bound is
  // the greedy's online bound, valid at any stage.
  if (!m_monitor.expired()) {
    exact_gains(m_exact);
    update_bound(m_exact);
  }
  if (m_options.local_search && !m_monitor.expired()) {
    swap_local_search(*this, m_in, m_sel, swap_settings(), m_monitor);
    exact_gains(m_exact);
    update_bound(m_exact);
  }
  std::vector<std::vector<std::size_t>> lagrange_sets = lagrangian();
  // Lagrangian heuristic: local search from the relaxation's best site set; keep the better.
  // (Skipped with zone floors: that start ignores them.)
  if (m_options.local_search && !m_zones.on && !lagrange_sets.empty() &&
      restart_local_search(*this, m_in, m_sel, lagrange_sets, swap_settings(), m_monitor)) {
    exact_gains(m_exact);
    update_bound(m_exact);
  }
  // Variable neighbourhood search around the best set (skipped with zone floors, whose
  // shakes could break a floor the swaps then keep broken).
  if (m_options.local_search && !m_zones.on &&
      shake_search(*this, m_in, m_sel, shake_settings(), swap_settings(), m_monitor)) {
    exact_gains(m_exact);
    update_bound(m_exact);
  }
  r.sites = m_sel.sites;
  r.swaps = m_sel.swaps;
  r.objective = m_f;
  r.marginal_gain = sequential_gains_cover(m_in, m_fixed, r.sites, false);
  r.covered.resize(m_in.n);
  for (std::size_t i = 0; i < m_in.n; ++i) r.covered[i] = m_cover.count[i] > 0 ? 1 : 0;
  if (m_zones.on) r.floors_met = m_zones.all_met(m_zones.covered(m_cover));
  r.bound = std::max(m_ub, m_f);  // ub >= f up to rounding
  r.gap = rel_gap(r.bound, m_f);
  return r;
}

}  // namespace

std::vector<std::int64_t> mclp_swap_search(const SitingProblem& problem, std::size_t p,
                                           const std::vector<std::int64_t>& start, Monitor& monitor) {
  Instance in(problem);
  const auto fixed = prepare(in, SitingModel::MCLP, p);
  SitingOptions options;
  return Mclp(in, p, fixed, options, monitor).improve_from(start);
}

}  // namespace detail

SitingResult solve_mclp(const SitingProblem& problem, std::size_t p, const SitingOptions& options, Monitor& monitor) {
  detail::Instance in(problem);
  const auto fixed = detail::prepare(in, SitingModel::MCLP, p);
  return detail::Mclp(in, p, fixed, options, monitor).solve();
}

}  // namespace jangkau
