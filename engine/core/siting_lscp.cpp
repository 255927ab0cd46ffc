// Location set covering (LSCP): greedy set cover + redundancy elimination + 2-for-1 moves,
// packing and Lagrangian lower bounds, and a Lagrangian-scored second cover (Beasley 1990).
// See siting_instance.hpp for how the siting code is split.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <vector>

#include "parallel.hpp"
#include "siting.hpp"
#include "siting_cover.hpp"
#include "siting_greedy.hpp"
#include "siting_instance.hpp"
#include "siting_subgradient.hpp"

namespace jangkau {
namespace detail {
namespace {

/// LSCP solver state.
class Lscp {
 public:
  Lscp(const Instance& in, const std::vector<std::uint8_t>& fixed, std::int64_t sum_q, const SitingOptions& options,
       Monitor& monitor)
      : m_in(in),
        m_fixed(fixed),
        m_sum_q(sum_q),
        m_options(options),
        m_monitor(monitor),
        m_threads(siting_threads(options.threads, in.pr.demand_index.size())),
        m_cover(in) {}

  SitingResult solve();

 private:
  double score_gain(const std::vector<double>& score, std::size_t j) const {
    double g = 0;
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
      if (m_in.active(e) && m_cover.count[m_in.demand(e)] == 0) g += score[m_in.demand(e)];
    return g;
  }
  void build_cover(const std::vector<double>& score);
  void cover_quotas(const std::vector<double>& score, std::vector<std::uint8_t>& blocked);
  void cover_rest(const std::vector<double>& score, std::vector<std::uint8_t>& blocked);
  void drop_redundant();
  bool pair_move();
  bool all_covered() const;
  std::vector<std::size_t> uncovered_points() const;
  std::int64_t packing_bound(const std::vector<std::size_t>& pts, std::vector<double>& u) const;
  std::vector<double> lagrangian(const std::vector<std::size_t>& pts, std::vector<double> u, double& lb);

  const Instance& m_in;
  const std::vector<std::uint8_t>& m_fixed;
  std::int64_t m_sum_q;
  const SitingOptions& m_options;
  Monitor& m_monitor;
  unsigned m_threads;
  Cover m_cover;
  SitingResult m_r;
  std::size_t m_to_cover = 0;
};

/// Greedy set cover scoring newly covered points by `score` (1 each, or Lagrangian
/// multipliers), quotas first, then redundancy elimination (last chosen first).
void Lscp::build_cover(const std::vector<double>& score) {
  m_r.sites.clear();
  m_cover.init_base(m_fixed);
  std::vector<std::uint8_t> blocked = m_fixed;
  cover_quotas(score, blocked);
  cover_rest(score, blocked);
  if (!m_options.local_search) return;
  drop_redundant();
  if (m_options.pair_moves)
    while (!m_monitor.expired() && pair_move()) drop_redundant();
}

/// The best-scoring candidates of each group up to its quota, one at a time.
void Lscp::cover_quotas(const std::vector<double>& score, std::vector<std::uint8_t>& blocked) {
  const SitingProblem& pr = m_in.pr;
  for (std::size_t g = 0; g < pr.group_quota.size(); ++g)
    for (std::int64_t k = 0; k < pr.group_quota[g]; ++k) {
      std::size_t best = m_in.m;
      double best_gain = -1;
      for (std::size_t j = 0; j < m_in.m; ++j) {
        if (blocked[j] || pr.candidate_group[j] != static_cast<std::int32_t>(g)) continue;
        double gj = score_gain(score, j);
        if (gj > best_gain) {
          best_gain = gj;
          best = j;
        }
      }
      m_cover.add(best, static_cast<std::int32_t>(m_r.sites.size()));
      blocked[best] = 1;
      m_r.sites.push_back(static_cast<std::int64_t>(best));
    }
}

/// Lazy greedy until every coverable point is covered.
void Lscp::cover_rest(const std::vector<double>& score, std::vector<std::uint8_t>& blocked) {
  std::size_t uncovered = 0;
  for (std::size_t i = 0; i < m_in.n; ++i)
    if (!m_r.unreachable[i] && m_cover.count[i] == 0) ++uncovered;
  std::vector<double> key(m_in.m, 0.0);
  parallel_for(
      m_in.m, m_threads, [&](std::size_t j, unsigned) { key[j] = blocked[j] ? 0.0 : score_gain(score, j); }, 16);
  std::vector<HeapItem> items;
  for (std::size_t j = 0; j < m_in.m; ++j)
    if (!blocked[j] && key[j] > 0) items.push_back({key[j], j, m_r.sites.size()});
  LazyHeap heap(std::move(items));
  auto gain = [&](std::size_t j) { return score_gain(score, j); };
  auto admit = [](std::size_t) { return true; };
  auto refresh = [](std::size_t, double g) { return g > 0; };
  while (uncovered > 0) {
    auto top = heap.pop_best(m_r.sites.size(), gain, admit, refresh);
    if (!top) break;
    uncovered -= static_cast<std::size_t>(m_cover.gain_count(top->j));
    m_cover.add(top->j, static_cast<std::int32_t>(m_r.sites.size()));
    blocked[top->j] = 1;
    m_r.sites.push_back(static_cast<std::int64_t>(top->j));
    m_monitor.report("greedy", m_to_cover - uncovered, m_to_cover);
  }
}

/// Removes sites whose points are all covered twice (last chosen first), quotas kept.
void Lscp::drop_redundant() {
  Quotas quotas(m_in.pr, static_cast<std::size_t>(m_sum_q));
  for (auto j : m_r.sites) quotas.add(static_cast<std::size_t>(j));
  for (std::size_t k = m_r.sites.size(); k-- > 0;) {
    auto j = static_cast<std::size_t>(m_r.sites[k]);
    std::int32_t g = quotas.group(j);
    if (g >= 0 && quotas.count[static_cast<std::size_t>(g)] - 1 < quotas.quota(g)) continue;
    bool redundant = true;
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j) && redundant; ++e)
      if (m_in.active(e) && m_cover.count[m_in.demand(e)] == 1) redundant = false;
    if (!redundant) continue;
    m_cover.remove(j);
    quotas.remove(j);
    m_r.sites.erase(m_r.sites.begin() + static_cast<std::ptrdiff_t>(k));
    ++m_r.swaps;
  }
}

/// Whether every coverable point is covered by the current sites (or fixed / pre-covered).
bool Lscp::all_covered() const {
  for (std::size_t i = 0; i < m_in.n; ++i)
    if (!m_r.unreachable[i] && m_cover.count[i] == 0) return false;
  return true;
}

/// One 2-for-1 move: two chosen sites a, b replaced by one candidate j (neither chosen nor
/// fixed) that covers every point whose only chosen coverers are a and/or b, quotas kept.
/// Per point the (at most two) chosen coverers are recorded; u1[a] counts the points only a
/// covers, u2[{a,b}] those exactly a and b cover. One pass over j's entries gives the same
/// counts restricted to j, x1 and x2; the move is valid iff x1[a] = u1[a], x1[b] = u1[b] and
/// x2[{a,b}] = u2[{a,b}]. Applies the first valid move (candidates in index order, then
/// pairs in position order), checks the cover from scratch (it is undone otherwise) and
/// returns whether one was applied. O(nnz) per call.
bool Lscp::pair_move() {
  const std::size_t s = m_r.sites.size();
  if (s < 2) return false;
  auto key = [](std::int32_t a, std::int32_t b) {
    return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b);
  };
  std::vector<std::int32_t> c1(m_in.n, -1), c2(m_in.n, -1);
  std::vector<std::uint8_t> chosen(m_in.m, 0);
  for (std::size_t k = 0; k < s; ++k) {
    auto j = static_cast<std::size_t>(m_r.sites[k]);
    chosen[j] = 1;
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e) {
      if (!m_in.active(e)) continue;
      std::size_t i = m_in.demand(e);
      if (m_cover.count[i] > 2) continue;  // also kBase: covered by fixed sites / pre-coverage
      if (c1[i] < 0)
        c1[i] = static_cast<std::int32_t>(k);
      else if (c1[i] != static_cast<std::int32_t>(k))
        c2[i] = static_cast<std::int32_t>(k);
    }
  }
  std::vector<std::int64_t> u1(s, 0);
  std::unordered_map<std::uint64_t, std::int64_t> u2;
  for (std::size_t i = 0; i < m_in.n; ++i) {
    if (m_cover.count[i] == 1 && c1[i] >= 0) ++u1[static_cast<std::size_t>(c1[i])];
    if (m_cover.count[i] == 2 && c2[i] >= 0) ++u2[key(c1[i], c2[i])];
  }
  Quotas quotas(m_in.pr, static_cast<std::size_t>(m_sum_q));
  for (auto j : m_r.sites) quotas.add(static_cast<std::size_t>(j));
  auto quotas_kept = [&](std::size_t a, std::size_t b, std::size_t j) {
    if (!quotas.on) return true;
    quotas.remove(a);
    quotas.remove(b);
    quotas.add(j);
    bool ok = true;
    for (std::size_t g = 0; g < quotas.count.size() && ok; ++g)
      ok = quotas.count[g] >= quotas.quota(static_cast<std::int32_t>(g));
    quotas.remove(j);
    quotas.add(a);
    quotas.add(b);
    return ok;
  };
  std::vector<std::int64_t> x1(s, 0);
  std::vector<std::size_t> touched;
  std::unordered_map<std::uint64_t, std::int64_t> x2;
  for (std::size_t j = 0; j < m_in.m; ++j) {
    if (chosen[j] || m_fixed[j]) continue;
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e) {
      if (!m_in.active(e)) continue;
      std::size_t i = m_in.demand(e);
      if (m_cover.count[i] == 1 && c1[i] >= 0) {
        auto k = static_cast<std::size_t>(c1[i]);
        if (x1[k]++ == 0) touched.push_back(k);
      } else if (m_cover.count[i] == 2 && c2[i] >= 0) {
        ++x2[key(c1[i], c2[i])];
      }
    }
    std::vector<std::size_t> full;
    for (auto k : touched)
      if (x1[k] == u1[k]) full.push_back(k);
    std::sort(full.begin(), full.end());
    std::size_t out_a = s, out_b = s;
    for (std::size_t x = 0; x < full.size() && out_a == s; ++x)
      for (std::size_t y = x + 1; y < full.size() && out_a == s; ++y) {
        auto ka = static_cast<std::int32_t>(full[x]), kb = static_cast<std::int32_t>(full[y]);
        auto need = u2.find(key(ka, kb));
        auto have = x2.find(key(ka, kb));
        std::int64_t nu = need == u2.end() ? 0 : need->second, nx = have == x2.end() ? 0 : have->second;
        if (nu == nx && quotas_kept(static_cast<std::size_t>(m_r.sites[full[x]]),
                                    static_cast<std::size_t>(m_r.sites[full[y]]), j)) {
          out_a = full[x];
          out_b = full[y];
        }
      }
    for (auto k : touched) x1[k] = 0;
    touched.clear();
    x2.clear();
    if (out_a == s) continue;
    std::vector<std::int64_t> kept = m_r.sites;
    m_r.sites.erase(m_r.sites.begin() + static_cast<std::ptrdiff_t>(out_b));  // out_b > out_a
    m_r.sites.erase(m_r.sites.begin() + static_cast<std::ptrdiff_t>(out_a));
    m_r.sites.push_back(static_cast<std::int64_t>(j));
    m_cover.rebuild(m_fixed, m_r.sites);
    if (all_covered()) {
      ++m_r.swaps;
      return true;
    }
    m_r.sites = std::move(kept);  // duplicate entries can fool the counts: never lose cover
    m_cover.rebuild(m_fixed, m_r.sites);
    return false;
  }
  return false;
}

/// Coverable points not covered by fixed sites or pre-coverage, fewest candidates first.
std::vector<std::size_t> Lscp::uncovered_points() const {
  std::vector<std::int64_t> deg(m_in.n, 0);
  for (std::size_t j = 0; j < m_in.m; ++j)
    if (!m_fixed[j])
      for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
        if (m_in.active(e)) ++deg[m_in.demand(e)];
  std::vector<std::size_t> pts;
  Cover base(m_in);
  base.init_base(m_fixed);
  for (std::size_t i = 0; i < m_in.n; ++i)
    if (!m_r.unreachable[i] && base.count[i] == 0) pts.push_back(i);
  std::sort(pts.begin(), pts.end(),
            [&](std::size_t a, std::size_t b) { return deg[a] < deg[b] || (deg[a] == deg[b] && a < b); });
  return pts;
}

/// Lower bound: points no two of which share a candidate need one site each (greedy
/// packing over `pts` in order). u[i] = 1 on the packed points.
std::int64_t Lscp::packing_bound(const std::vector<std::size_t>& pts, std::vector<double>& u) const {
  // transpose: demand -> candidates
  std::vector<std::int64_t> toff(m_in.n + 1, 0);
  for (std::size_t j = 0; j < m_in.m; ++j)
    if (!m_fixed[j])
      for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
        if (m_in.active(e)) ++toff[m_in.demand(e) + 1];
  for (std::size_t i = 0; i < m_in.n; ++i) toff[i + 1] += toff[i];
  std::vector<std::int64_t> tcand(static_cast<std::size_t>(toff[m_in.n]));
  {
    std::vector<std::int64_t> pos(toff.begin(), toff.end() - 1);
    for (std::size_t j = 0; j < m_in.m; ++j)
      if (!m_fixed[j])
        for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
          if (m_in.active(e)) tcand[static_cast<std::size_t>(pos[m_in.demand(e)]++)] = static_cast<std::int64_t>(j);
  }
  std::vector<std::uint8_t> used(m_in.m, 0);
  std::int64_t packing = 0;
  for (auto i : pts) {
    bool free = true;
    for (auto t = toff[i]; t < toff[i + 1] && free; ++t)
      if (used[static_cast<std::size_t>(tcand[static_cast<std::size_t>(t)])]) free = false;
    if (!free) continue;
    ++packing;
    u[i] = 1;
    for (auto t = toff[i]; t < toff[i + 1]; ++t)
      used[static_cast<std::size_t>(tcand[static_cast<std::size_t>(t)])] = 1;
  }
  return packing;
}

/// Lagrangian relaxation of the covering rows with u >= 0 (its optimum is the LP bound):
/// L(u) = Σ_i u_i + min_{y: quotas} Σ_j y_j (1 - Σ_{i∈N(j)} u_i); starts at the packing
/// (u = 1 on packed points gives L = packing size). The optimum is an integer, so ceil(L) counts.
class LscpRelaxation {
 public:
  LscpRelaxation(const Instance& in, const std::vector<std::uint8_t>& fixed, const std::vector<std::size_t>& pts,
                 unsigned threads)
      : m_in(in), m_fixed(fixed), m_threads(threads), m_in_p(in.n, 0), m_rc(in.m, 0.0), m_open(in.m, 0) {
    for (auto i : pts) m_in_p[i] = 1;
  }

  double evaluate() {
    parallel_for(
        m_in.m, m_threads,
        [&](std::size_t j, unsigned) {
          double acc = 0;
          if (!m_fixed[j])
            for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
              if (m_in.active(e)) acc += (*u)[m_in.demand(e)];
          m_rc[j] = 1 - acc;
        },
        16);
    double L = 0;
    for (std::size_t i = 0; i < m_in.n; ++i) L += (*u)[i];
    L = open_best(L);
    *lb = std::max(*lb, std::ceil(L - 1e-9));
    return L;
  }
  void improved(int) { best_u = *u; }
  bool converged() const { return *lb >= target; }
  /// Ascent direction: 1 - (open sites covering i) on the points to cover.
  void direction(std::vector<double>& g) const {
    for (std::size_t i = 0; i < m_in.n; ++i) g[i] = m_in_p[i] ? 1.0 : 0.0;
    for (std::size_t j = 0; j < m_in.m; ++j)
      if (m_open[j])
        for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
          if (m_in.active(e) && m_in_p[m_in.demand(e)]) g[m_in.demand(e)] -= 1;
  }

  std::vector<double>* u = nullptr;
  std::vector<double> best_u;
  double* lb = nullptr;
  double target = 0;

 private:
  /// The best y: every negative reduced cost, topped up to each group's quota. Returns L + Σ y rc
  /// (summed in this order, onto L).
  double open_best(double L) {
    const SitingProblem& pr = m_in.pr;
    std::fill(m_open.begin(), m_open.end(), 0);
    std::vector<std::vector<std::size_t>> by_group(pr.group_quota.size());
    for (std::size_t j = 0; j < m_in.m; ++j) {
      if (m_fixed[j]) continue;
      std::int32_t gj = pr.group_quota.empty() ? -1 : pr.candidate_group[j];
      if (gj >= 0) {
        by_group[static_cast<std::size_t>(gj)].push_back(j);
      } else if (m_rc[j] < 0) {
        m_open[j] = 1;
        L += m_rc[j];
      }
    }
    for (std::size_t gq = 0; gq < by_group.size(); ++gq) {
      auto& mem = by_group[gq];
      std::sort(mem.begin(), mem.end(),
                [&](std::size_t a, std::size_t b) { return m_rc[a] < m_rc[b] || (m_rc[a] == m_rc[b] && a < b); });
      for (std::size_t k = 0; k < mem.size(); ++k) {
        if (m_rc[mem[k]] >= 0 && static_cast<std::int64_t>(k) >= pr.group_quota[gq]) break;
        m_open[mem[k]] = 1;
        L += m_rc[mem[k]];
      }
    }
    return L;
  }

  const Instance& m_in;
  const std::vector<std::uint8_t>& m_fixed;
  unsigned m_threads;
  std::vector<std::uint8_t> m_in_p;
  std::vector<double> m_rc;
  std::vector<std::uint8_t> m_open;
};

/// Runs the relaxation from u (the packing) while lb < objective; returns the best multipliers.
std::vector<double> Lscp::lagrangian(const std::vector<std::size_t>& pts, std::vector<double> u, double& lb) {
  LscpRelaxation rel(m_in, m_fixed, pts, m_threads);
  rel.u = &u;
  rel.lb = &lb;
  rel.target = m_r.objective;
  rel.best_u = u;
  polyak_subgradient(u, SubgradientSettings{m_options.lagrangian_iterations, m_r.objective, true, true}, rel,
                     m_monitor);
  return std::move(rel.best_u);
}

SitingResult Lscp::solve() {
  m_cover.init_base(m_fixed);
  m_r.unreachable.assign(m_in.n, 1);
  for (std::size_t i = 0; i < m_in.n; ++i)
    if (m_cover.count[i] == kBase) m_r.unreachable[i] = 0;
  for (std::size_t j = 0; j < m_in.m; ++j)
    for (std::int64_t e = m_in.begin(j); e < m_in.end(j); ++e)
      if (m_in.active(e)) m_r.unreachable[m_in.demand(e)] = 0;
  for (std::size_t i = 0; i < m_in.n; ++i)
    if (!m_r.unreachable[i] && m_cover.count[i] == 0) ++m_to_cover;
  build_cover(std::vector<double>(m_in.n, 1.0));
  m_r.greedy_objective = static_cast<double>(m_r.sites.size());
  const auto pts = uncovered_points();
  std::vector<double> u(m_in.n, 0.0);
  const std::int64_t packing = packing_bound(pts, u);
  m_r.objective = static_cast<double>(m_r.sites.size());
  double lb = static_cast<double>(std::max(packing, m_sum_q));
  std::vector<double> best_u;
  if (!pts.empty() && m_options.lagrangian_iterations > 0 && lb < m_r.objective)
    best_u = lagrangian(pts, std::move(u), lb);
  // Lagrangian greedy (Beasley 1990): score points by their multipliers (+ a small floor so
  // every uncovered point still counts); keep it when it needs fewer sites.
  if (m_options.local_search && !best_u.empty() && lb < m_r.objective && !m_monitor.expired()) {
    std::vector<std::int64_t> kept = m_r.sites;
    for (auto& v : best_u) v += 1e-6;
    build_cover(best_u);
    if (m_r.sites.size() >= kept.size()) m_r.sites = kept;
    m_cover.rebuild(m_fixed, m_r.sites);
    m_r.objective = static_cast<double>(m_r.sites.size());
  }
  m_r.bound = std::min(lb, m_r.objective);
  m_r.gap = rel_gap(m_r.objective, m_r.bound);
  m_r.marginal_gain = sequential_gains_cover(m_in, m_fixed, m_r.sites, true);
  m_r.covered.resize(m_in.n);
  for (std::size_t i = 0; i < m_in.n; ++i) m_r.covered[i] = m_cover.count[i] > 0 ? 1 : 0;
  return std::move(m_r);
}

}  // namespace
}  // namespace detail

SitingResult solve_lscp(const SitingProblem& problem, const SitingOptions& options, Monitor& monitor) {
  detail::Instance in(problem);
  const auto fixed = detail::prepare(in, SitingModel::LSCP, 0);
  std::int64_t sum_q = 0;
  for (auto q : problem.group_quota) sum_q += q;
  return detail::Lscp(in, fixed, sum_q, options, monitor).solve();
}

}  // namespace jangkau
