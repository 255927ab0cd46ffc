// Exact p-median by Lagrangian branch-and-bound (Christofides & Beasley 1982; Beasley 1993).
// The relaxation, the reduction tests and the node loop are described in siting_pmedian_bb.hpp.
#include "siting_pmedian_bb.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "error.hpp"
#include "parallel.hpp"
#include "siting_instance.hpp"

namespace jangkau {
namespace detail {
namespace {

constexpr std::uint8_t kFree = 0, kOpen = 1, kClosed = 2;
constexpr double kInf = std::numeric_limits<double>::infinity();
/// Weight of the latest iteration in the moving average of set membership.
constexpr double kShareRate = 0.1;
/// Stored entries from which `threads` = 0 solves a round's nodes on every core (below: one
/// thread; a node there is a few hundred short passes and starting threads each round is a
/// visible share of it). Not measured: set so that the rows of benchmarks/bench_siting.py
/// (≥ 10⁵ entries) use both cores and the test-sized instances one.
constexpr std::size_t kRoundParallelMinEntries = 20000;
/// The root polishes its current site set by the fast interchange every this many steps.
constexpr int kRootPolishEvery = 200;
/// `evaluate` sums ρ afresh at least every this many evaluations (between them it updates it).
constexpr int kFreshEvery = 16;

/// The entries the relaxation uses, candidate-major: per candidate the points that need a site
/// (reachable, weight > 0), once each at their cheapest usable cost, with w_i c_ij.
struct Entries {
  std::vector<std::int64_t> start;  ///< size m + 1
  std::vector<std::int32_t> row;
  std::vector<double> wc, c;
  std::vector<std::uint8_t> reachable, needs;  ///< size n
  /// The same entries point-major, each point's in increasing w_i c_ij: the relaxation only
  /// visits the prefix cheaper than λ_i (a few entries, not the whole row).
  std::vector<std::int64_t> rstart;  ///< size n + 1
  std::vector<std::int32_t> rcol;
  std::vector<double> rwc;
  /// Per candidate: 1 once its entries are gone from the point-major lists (`drop_closed`).
  std::vector<std::uint8_t> dropped;
};

Entries entries_of(const Instance& in) {
  Entries e;
  e.reachable.assign(in.n, 0);
  for (std::size_t j = 0; j < in.m; ++j)
    for (std::int64_t k = in.begin(j); k < in.end(j); ++k)
      if (in.active(k)) e.reachable[in.demand(k)] = 1;
  e.needs.assign(in.n, 0);
  for (std::size_t i = 0; i < in.n; ++i) e.needs[i] = e.reachable[i] && in.weight(i) > 0;
  std::vector<std::int64_t> seen(in.n, -1);  // position of point i's entry in the current column
  e.start.assign(in.m + 1, 0);
  for (std::size_t j = 0; j < in.m; ++j) {
    for (std::int64_t k = in.begin(j); k < in.end(j); ++k) {
      if (!in.active(k)) continue;
      const std::size_t i = in.demand(k);
      if (!e.needs[i]) continue;
      const double c = in.cost(k);
      auto at = seen[i];
      if (at >= e.start[j]) {  // duplicate within the column: the cheapest counts
        auto a = static_cast<std::size_t>(at);
        if (c < e.c[a]) {
          e.c[a] = c;
          e.wc[a] = in.weight(i) * c;
        }
        continue;
      }
      seen[i] = static_cast<std::int64_t>(e.row.size());
      e.row.push_back(static_cast<std::int32_t>(i));
      e.c.push_back(c);
      e.wc.push_back(in.weight(i) * c);
    }
    e.start[j + 1] = static_cast<std::int64_t>(e.row.size());
  }
  e.dropped.assign(in.m, 0);
  e.rstart.assign(in.n + 1, 0);
  for (auto i : e.row) ++e.rstart[static_cast<std::size_t>(i) + 1];
  for (std::size_t i = 0; i < in.n; ++i) e.rstart[i + 1] += e.rstart[i];
  e.rcol.resize(e.row.size());
  e.rwc.resize(e.row.size());
  std::vector<std::int64_t> at(e.rstart.begin(), e.rstart.end() - 1);
  for (std::size_t j = 0; j < in.m; ++j)
    for (auto k = e.start[j]; k < e.start[j + 1]; ++k) {
      auto i = static_cast<std::size_t>(e.row[static_cast<std::size_t>(k)]);
      auto a = static_cast<std::size_t>(at[i]++);
      e.rcol[a] = static_cast<std::int32_t>(j);
      e.rwc[a] = e.wc[static_cast<std::size_t>(k)];
    }
  std::vector<std::pair<double, std::int32_t>> buf;
  for (std::size_t i = 0; i < in.n; ++i) {
    auto b = static_cast<std::size_t>(e.rstart[i]), en = static_cast<std::size_t>(e.rstart[i + 1]);
    buf.clear();
    for (auto k = b; k < en; ++k) buf.emplace_back(e.rwc[k], e.rcol[k]);
    std::sort(buf.begin(), buf.end());
    for (auto k = b; k < en; ++k) {
      e.rwc[k] = buf[k - b].first;
      e.rcol[k] = buf[k - b].second;
    }
  }
  return e;
}

/// The first entry in [k, en) of a point-major list whose site is marked (en if none). Four
/// entries at a time without a branch per entry: the first open site is usually among a
/// point's first few, at a position no branch predictor guesses.
inline std::int64_t first_open(const std::int32_t* col, const std::uint8_t* marks, std::int64_t k, std::int64_t en) {
  for (; k + 4 <= en; k += 4) {
    const unsigned open4 = static_cast<unsigned>(marks[col[k]]) | static_cast<unsigned>(marks[col[k + 1]]) << 1U |
                           static_cast<unsigned>(marks[col[k + 2]]) << 2U |
                           static_cast<unsigned>(marks[col[k + 3]]) << 3U;
    if (open4 != 0) return k + std::countr_zero(open4);
  }
  while (k < en && !marks[col[k]]) ++k;
  return k;
}

/// One node of the tree: the status of every candidate (free / open / closed; the fixed sites
/// are open), the multipliers to start from (shared by siblings) and a lower bound.
struct Node {
  std::vector<std::uint8_t> status;
  std::shared_ptr<const std::vector<float>> mu;
  double bound = -kInf;
  std::size_t depth = 0;
  std::size_t id = 0;
};

/// Best bound first; among equal bounds the deeper node, then the older one.
struct Later {
  bool operator()(const Node& a, const Node& b) const {
    if (a.bound != b.bound) return a.bound > b.bound;
    if (a.depth != b.depth) return a.depth < b.depth;
    return a.id > b.id;
  }
};

/// What solving a node left: its bound, and how to branch when it is neither pruned nor a leaf.
struct Outcome {
  double bound = -kInf;
  bool done = false;     ///< pruned, infeasible or a leaf: no children
  bool expired = false;  ///< the deadline passed inside the node (the bound still holds)
  std::vector<std::uint8_t> status;
  std::vector<float> mu;
  std::int64_t branch = -1;     ///< free site to branch on
  double closed_bound = -kInf;  ///< bound of the child with `branch` closed
};

/// Removes the entries of the sites `status` closes from the point-major lists (the root's
/// closings hold in the whole tree), which shortens every point's prefix below λ_i.
void drop_closed(Entries& e, const std::vector<std::uint8_t>& status) {
  for (std::size_t j = 0; j < status.size(); ++j) e.dropped[j] |= status[j] == kClosed ? 1 : 0;
  std::size_t out = 0;
  std::int64_t begin = 0;
  for (std::size_t i = 0; i + 1 < e.rstart.size(); ++i) {
    const auto end = e.rstart[i + 1];
    for (auto k = static_cast<std::size_t>(begin); k < static_cast<std::size_t>(end); ++k) {
      if (status[static_cast<std::size_t>(e.rcol[k])] == kClosed) continue;
      e.rcol[out] = e.rcol[k];
      e.rwc[out] = e.rwc[k];
      ++out;
    }
    begin = end;
    e.rstart[i + 1] = static_cast<std::int64_t>(out);
  }
  e.rcol.resize(out);
  e.rwc.resize(out);
}

/// What every node of the tree reads: the instance, its entries (changed only between rounds:
/// the root's closings are dropped) and the multipliers' scale √w_i.
struct Context {
  Context(const Instance& in_, std::size_t p_, const std::vector<std::uint8_t>& fixed_,
          const PMedianBranchOptions& o_)
      : in(in_), p(p_), fixed(fixed_), o(o_), e(entries_of(in_)), lists(point_lists(in_)), scale(in_.n, 0.0) {
    for (std::size_t i = 0; i < in.n; ++i) scale[i] = e.needs[i] ? std::sqrt(in.weight(i)) : 0.0;
  }
  const Instance& in;
  std::size_t p;
  const std::vector<std::uint8_t>& fixed;
  const PMedianBranchOptions& o;
  Entries e;
  PointLists lists;  ///< what the incumbent's polishing reads (never shortened)
  std::vector<double> scale;
};

/// Solves nodes against its own copy of the incumbent (`upper`, `best`: the tree's when the
/// round started), with its own work space, so that the nodes of a round can run on separate
/// threads and give the same results in any order. `clock` is the caller's monitor (its
/// deadline and cancel are read from any thread); `monitor` is the one the incumbent search
/// reports to (the caller's with one thread, a helper's otherwise).
class Worker {
 public:
  Worker(const Context& cx, Monitor& clock, Monitor& monitor, SitingOptions search)
      : m_in(cx.in),
        m_p(cx.p),
        m_fixed(cx.fixed),
        m_o(cx.o),
        m_clock(clock),
        m_monitor(monitor),
        m_search(search),
        m_e(cx.e),
        m_polisher(cx.in, cx.p, cx.fixed, m_search, monitor, &cx.lists),
        m_scale(cx.scale),
        m_lambda(cx.in.n, 0.0),
        m_g(cx.in.n, 0.0),
        m_rho(cx.in.m, 0.0),
        m_prefix_end(cx.in.n, 0) {}

  /// The incumbent: its objective (+inf when none) and sites; the least bound this worker saw
  /// settle part of the tree; how often it improved the incumbent.
  double upper = kInf;
  std::vector<std::int64_t> best;
  double settled_min = kInf;
  std::size_t updates = 0;

  /// Σ w_i min_{open j} c_ij over the points that need a site (+inf if one has none); `d1`
  /// receives each point's cost.
  double set_cost(const std::vector<std::int64_t>& sites, std::vector<double>& d1) const;
  double set_cost(const std::vector<std::int64_t>& sites) { return set_cost(sites, m_d1); }
  /// The same value as `set_cost`, read from whichever lists are shorter to scan: the sites'
  /// columns, or each point's sorted list up to its first open site (§ set_value).
  double set_value(const std::vector<std::int64_t>& sites);
  /// Solves one node (the root with the root's schedule and polishing).
  Outcome solve(const Node& node, bool root);
  /// Offers a site set (p new sites) as incumbent; an improving one is polished first.
  /// `estimate`: the set's cost as another sum gives it (or -inf): a set it puts clearly above
  /// the incumbent (by a relative 1e-9, far more than the two sums' rounding) is not valued.
  void offer(const std::vector<std::int64_t>& sites, double estimate = -kInf) {
    if (sites.size() != m_p) return;  // every set offered has p sites; a guard, never seen to fire
    if (estimate > upper + 1e-9 * std::abs(upper)) return;
    double c = set_value(sites);
    if (!(c < upper)) return;
    upper = c;
    best = sites;
    ++updates;
    auto polished = m_polisher.polish(sites);
    c = set_value(polished);
    if (c < upper) {
      upper = c;
      best = std::move(polished);
    }
  }
  double cutoff() const {
    return std::isfinite(upper) ? upper - m_o.gap_tolerance * std::max(1.0, std::abs(upper)) : kInf;
  }

 private:
  /// A lower bound at or above the cut-off settled part of the tree: remember the smallest.
  void settled(double value) { settled_min = std::min(settled_min, value); }
  /// L(λ) at μ for `status`: fills m_lambda, m_rho (every site; a closed one's is never read) and m_set (the best
  /// free sites). `fresh` false: ρ is updated from the last evaluation's instead of summed afresh, through the points
  /// whose λ_i changed (see the definition); valid only while the point lists and the last evaluation's sites stay as
  /// they were, i.e. between evaluations of one node.
  double evaluate(const std::vector<double>& mu, std::size_t p_free, bool fresh = true);
  /// Beasley's tests at the last evaluation (value L): closes free sites outside m_set whose
  /// forced opening lifts L to the cut-off, opens those in it whose forced closing does.
  /// Returns whether a status changed; `closed_bound` receives, per site of m_set, L with it closed.
  bool reduce(double L, std::vector<std::uint8_t>& status, std::vector<double>* closed_bound);
  /// Sites by status; false when the node is infeasible (a point without a site left, or too
  /// few free sites for p).
  bool classify(const std::vector<std::uint8_t>& status, std::size_t& p_free);

  const Instance& m_in;
  std::size_t m_p;
  const std::vector<std::uint8_t>& m_fixed;
  const PMedianBranchOptions& m_o;
  Monitor& m_clock;
  Monitor& m_monitor;
  SitingOptions m_search;
  const Entries& m_e;
  PMedianPolisher m_polisher;  ///< one model for all this worker's polishes (reads m_search)
  const std::vector<double>& m_scale;
  std::vector<double> m_lambda, m_g, m_rho, m_d1;
  std::vector<std::size_t> m_free, m_open, m_set;
  std::vector<std::uint8_t> m_in_set, m_mark;
  std::size_t m_prefix = 0;  ///< entries the last `evaluate` visited (Σ_i of the prefix below λ_i)
  int m_updates = 0;         ///< evaluations that updated ρ since it was last summed afresh
  /// Per point: the end of its prefix below λ_i in the last `evaluate` (an index into rcol).
  std::vector<std::int64_t> m_prefix_end;
};

double Worker::set_cost(const std::vector<std::int64_t>& sites, std::vector<double>& d1) const {
  d1.assign(m_in.n, kInf);
  auto add = [&](std::size_t j) {
    for (auto k = m_e.start[j]; k < m_e.start[j + 1]; ++k) {
      auto i = static_cast<std::size_t>(m_e.row[static_cast<std::size_t>(k)]);
      d1[i] = std::min(d1[i], m_e.c[static_cast<std::size_t>(k)]);
    }
  };
  for (std::size_t j = 0; j < m_in.m; ++j)
    if (m_fixed[j]) add(j);
  for (auto j : sites) add(static_cast<std::size_t>(j));
  double s = 0;
  for (std::size_t i = 0; i < m_in.n; ++i)
    if (m_e.needs[i]) s += m_in.weight(i) * d1[i];
  return s;
}

// Point-major, a point's cost is the first entry of its list (increasing w_i c_ij, the
// product `set_cost` forms too, summed in the same point order: the same double) whose site
// is open. The scan stops there, after about (list length) / (open sites + 1) entries if the
// open sites fall anywhere in the list; the column-major scan reads every entry of the open
// columns. The cheaper estimate decides. A site whose entries `drop_closed` removed (closed at
// the root; a polished set may still hold one) would be missed: then the columns are read.
double Worker::set_value(const std::vector<std::int64_t>& sites) {
  m_mark.assign(m_in.m, 0);
  double columns = 0;
  std::size_t open = 0;
  bool dropped = false;
  auto mark = [&](std::size_t j) {
    if (m_mark[j]) return;
    m_mark[j] = 1;
    ++open;
    columns += static_cast<double>(m_e.start[j + 1] - m_e.start[j]);
    dropped = dropped || m_e.dropped[j];
  };
  for (std::size_t j = 0; j < m_in.m; ++j)
    if (m_fixed[j]) mark(j);
  for (auto j : sites) mark(static_cast<std::size_t>(j));
  const double rows = static_cast<double>(m_e.rcol.size()) / static_cast<double>(open + 1);
  if (dropped || rows >= columns) return set_cost(sites, m_d1);
  const std::int64_t* rstart = m_e.rstart.data();
  const std::int32_t* rcol = m_e.rcol.data();
  const std::uint8_t* marks = m_mark.data();
  double s = 0;
  for (std::size_t i = 0; i < m_in.n; ++i) {
    if (!m_e.needs[i]) continue;
    const auto en = rstart[i + 1];
    const auto k = first_open(rcol, marks, rstart[i], en);
    if (k == en) return kInf;  // a point no open site serves
    s += m_e.rwc[static_cast<std::size_t>(k)];
  }
  return s;
}

bool Worker::classify(const std::vector<std::uint8_t>& status, std::size_t& p_free) {
  m_free.clear();
  m_open.clear();
  std::size_t opened = 0;
  for (std::size_t j = 0; j < m_in.m; ++j) {
    if (status[j] == kClosed) continue;
    if (status[j] == kFree) m_free.push_back(j);
    if (status[j] == kOpen) {
      m_open.push_back(j);
      if (!m_fixed[j]) ++opened;
    }
  }
  if (opened > m_p || m_free.size() < m_p - opened) return false;
  p_free = m_p - opened;
  for (std::size_t i = 0; i < m_in.n; ++i) {  // every point keeps a site it may use
    if (!m_e.needs[i]) continue;
    auto k = static_cast<std::size_t>(m_e.rstart[i]);
    const auto en = static_cast<std::size_t>(m_e.rstart[i + 1]);
    while (k < en && status[static_cast<std::size_t>(m_e.rcol[k])] == kClosed) ++k;
    if (k == en) return false;
  }
  return true;
}

// A subgradient step moves only the multipliers of the points whose direction is not 0 (those
// not covered exactly once by the relaxation's sites): about a quarter of them on REAL Serang
// p = 60. An update therefore visits only those points' prefixes, adding to ρ_j the change of
// each term: λ_old − λ_new where an entry stays below λ, the whole term where it enters or
// leaves the prefix. The updates round differently from a fresh sum, by a few units in the
// last place per update; ρ is summed afresh every kFreshEvery evaluations and for every bound a
// node reports (the caller asks for a fresh one there).
double Worker::evaluate(const std::vector<double>& mu, std::size_t p_free, bool fresh) {
  fresh = fresh || ++m_updates >= kFreshEvery;
  double L = 0;
  std::size_t visited = 0;
  // raw pointers: the stores into ρ would otherwise make the compiler reload every vector's data
  const std::int64_t* rstart = m_e.rstart.data();
  const std::int32_t* rcol = m_e.rcol.data();
  const double* rwc = m_e.rwc.data();
  const double* scale = m_scale.data();
  double* lambda = m_lambda.data();
  double* rho = m_rho.data();
  std::int64_t* prefix_end = m_prefix_end.data();
  if (fresh) {
    m_updates = 0;
    for (std::size_t j = 0; j < m_in.m; ++j) rho[j] = 0;
    for (std::size_t i = 0; i < m_in.n; ++i) {
      const double lam = scale[i] * mu[i];
      lambda[i] = lam;
      L += lam;
      const std::int64_t b = rstart[i], en = rstart[i + 1];
      auto k = b;
      for (; k < en && rwc[k] < lam; ++k) rho[rcol[k]] += rwc[k] - lam;  // closed sites' ρ is never read
      prefix_end[i] = k;
      visited += static_cast<std::size_t>(k - b);
    }
  } else {
    for (std::size_t i = 0; i < m_in.n; ++i) {
      const double lam = scale[i] * mu[i];
      L += lam;
      const double was = lambda[i];
      const std::int64_t b = rstart[i];
      std::int64_t k = prefix_end[i];
      if (lam > was) {  // the prefix grows
        const double d = was - lam;
        for (auto q = b; q < k; ++q) rho[rcol[q]] += d;
        for (const auto en = rstart[i + 1]; k < en && rwc[k] < lam; ++k) rho[rcol[k]] += rwc[k] - lam;
      } else if (lam < was) {  // the prefix shrinks
        const double d = was - lam;
        const auto end = k;
        k = b;
        for (; k < end && rwc[k] < lam; ++k) rho[rcol[k]] += d;
        for (auto q = k; q < end; ++q) rho[rcol[q]] -= rwc[q] - was;
      }
      lambda[i] = lam;
      prefix_end[i] = k;
      visited += static_cast<std::size_t>(k - b);
    }
  }
  m_prefix = visited;
  m_set = m_free;
  auto first = [&](std::size_t a, std::size_t b) { return m_rho[a] < m_rho[b] || (m_rho[a] == m_rho[b] && a < b); };
  if (p_free < m_set.size()) {
    std::nth_element(m_set.begin(), m_set.begin() + static_cast<std::ptrdiff_t>(p_free), m_set.end(), first);
    m_set.resize(p_free);
  }
  for (auto j : m_open) L += m_rho[j];
  for (auto j : m_set) L += m_rho[j];
  return L;
}

bool Worker::reduce(double L, std::vector<std::uint8_t>& status, std::vector<double>* closed_bound) {
  m_in_set.assign(m_in.m, 0);
  double weakest = -kInf;  // the largest ρ in the set: the one a forced opening displaces
  for (auto j : m_set) {
    m_in_set[j] = 1;
    weakest = std::max(weakest, m_rho[j]);
  }
  double strongest = kInf;  // the smallest ρ outside: the one a forced closing brings in
  for (auto j : m_free)
    if (!m_in_set[j]) strongest = std::min(strongest, m_rho[j]);
  const double cut = cutoff();
  bool changed = false;
  for (auto j : m_free) {
    if (m_in_set[j]) {
      const double closed = std::isfinite(strongest) ? L - m_rho[j] + strongest : kInf;
      if (closed_bound) (*closed_bound)[j] = closed;
      if (closed >= cut) {
        status[j] = kOpen;
        settled(closed);
        changed = true;
      }
    } else if (!m_set.empty()) {
      const double open = L - weakest + m_rho[j];
      if (open >= cut) {
        status[j] = kClosed;
        settled(open);
        changed = true;
      }
    } else {  // no free site may open: every free one is closed
      status[j] = kClosed;
      changed = true;
    }
  }
  return changed;
}

Outcome Worker::solve(const Node& node, bool root) {
  Outcome out;
  out.status = node.status;
  auto& status = out.status;
  std::size_t p_free = 0;
  auto leaf = [&]() {  // p_free = 0: every free site closes; p_free = free sites: all open. One solution.
    std::vector<std::int64_t> sites;
    for (std::size_t j = 0; j < m_in.m; ++j)
      if ((status[j] == kOpen && !m_fixed[j]) || (status[j] == kFree && p_free > 0))
        sites.push_back(static_cast<std::int64_t>(j));
    offer(sites);
    out.bound = set_cost(sites, m_d1);
    out.done = true;
    return out;
  };
  auto infeasible = [&]() {
    out.bound = kInf;
    out.done = true;
    return out;
  };
  if (!classify(status, p_free)) return infeasible();
  if (p_free == 0 || m_free.size() == p_free) return leaf();

  std::vector<double> mu(node.mu->begin(), node.mu->end());
  std::vector<double> best_mu = mu;
  const SubgradientSchedule& sc = m_o.schedule;
  double theta = root ? sc.root_theta : sc.node_theta;
  const int iterations = root ? sc.root_iterations : sc.node_iterations;
  const int patience = root ? sc.root_patience : sc.node_patience;
  double best = -kInf;
  int since = 0;
  std::vector<std::int64_t> sites;
  // how often each site is in the relaxation's set (moving average): an estimate of the LP's
  // y_j (ergodic primal recovery, Larsson, Patriksson & Strömberg 1999), for the branching
  std::vector<double> share(m_in.m, 0.0);
  for (int it = 0; it < iterations; ++it) {
    if (m_clock.expired()) {
      out.expired = true;
      break;
    }
    m_clock.throw_if_cancelled();
    const double L = evaluate(mu, p_free, root || it == 0);
    {
      const double a = it == 0 ? 1.0 : kShareRate;
      for (auto j : m_free) share[j] *= 1 - a;
      for (auto j : m_set) share[j] += a;
    }
    if (L > best + 1e-12 * std::abs(best) || !std::isfinite(best)) {
      best = L;
      best_mu = mu;
      since = 0;
    } else if (++since >= patience) {
      theta /= 2;
      since = 0;
    }
    sites.clear();
    for (auto j : m_open)
      if (!m_fixed[j]) sites.push_back(static_cast<std::int64_t>(j));
    for (auto j : m_set) sites.push_back(static_cast<std::int64_t>(j));
    std::sort(sites.begin(), sites.end());
    // the direction before the tests change the sets: 1 - (sites of the relaxation cheaper than
    // λ_i), counted over the sets' columns or over the prefixes `evaluate` visited, whichever
    // is shorter (the same integers either way). Over the prefixes it also gives the cost of
    // the relaxation's site set S (open and set sites) at little extra:
    //   cost(S) = L + Σ_i slack_i,  slack_i = min_{j∈S} w_i c_ij − λ_i − Σ_{j∈S} min(0, w_i c_ij − λ_i),
    // which is 0 where S has exactly one entry below λ_i (the direction's 0, most points), the
    // first entry of S past the prefix minus λ_i where it has none, and minus the terms of all
    // but the first where it has several. `offer` skips a set whose cost this shows clearly above
    // the incumbent, and values any other afresh.
    double cost_estimate = -kInf;
    for (std::size_t i = 0; i < m_in.n; ++i) m_g[i] = m_e.needs[i] ? 1.0 : 0.0;
    std::size_t columns = 0;
    for (auto j : m_open) columns += static_cast<std::size_t>(m_e.start[j + 1] - m_e.start[j]);
    for (auto j : m_set) columns += static_cast<std::size_t>(m_e.start[j + 1] - m_e.start[j]);
    if (m_prefix < columns) {
      m_mark.assign(m_in.m, 0);
      for (auto j : m_open) m_mark[j] = 1;
      for (auto j : m_set) m_mark[j] = 1;
      const std::int64_t* rstart = m_e.rstart.data();
      const std::int64_t* prefix_end = m_prefix_end.data();
      const std::int32_t* rcol = m_e.rcol.data();
      const double* rwc = m_e.rwc.data();
      const std::uint8_t* mark = m_mark.data();
      double slack = 0;
      for (std::size_t i = 0; i < m_in.n; ++i) {
        int in_sets = 0;
        const auto b = rstart[i], e = prefix_end[i];
        for (auto k = b; k < e; ++k) in_sets += mark[rcol[k]];
        m_g[i] -= in_sets;
        if (in_sets == 1 || !m_e.needs[i]) continue;
        const double lam = m_lambda[i];
        if (in_sets == 0) {
          const auto k = first_open(rcol, mark, e, rstart[i + 1]);
          slack += k < rstart[i + 1] ? rwc[k] - lam : kInf;
        } else {
          double others = 0;  // the terms of S's entries after its first
          for (auto k = first_open(rcol, mark, b, e) + 1; k < e; ++k)
            if (mark[rcol[k]]) others += rwc[k] - lam;
          slack -= others;
        }
      }
      cost_estimate = L + slack;
    } else {
      auto minus = [&](std::size_t j) {
        for (auto k = m_e.start[j]; k < m_e.start[j + 1]; ++k) {
          auto e = static_cast<std::size_t>(k);
          auto i = static_cast<std::size_t>(m_e.row[e]);
          if (m_e.wc[e] < m_lambda[i]) m_g[i] -= 1;
        }
      };
      for (auto j : m_open) minus(j);
      for (auto j : m_set) minus(j);
    }
    if (root && (it + 1) % kRootPolishEvery == 0) {  // polished even when it does not beat the incumbent
      offer(m_polisher.polish(sites));
    } else {
      offer(sites, cost_estimate);
    }
    if (best >= cutoff()) break;
    double norm2 = 0;
    for (std::size_t i = 0; i < m_in.n; ++i) {
      m_g[i] *= m_scale[i];
      norm2 += m_g[i] * m_g[i];
    }
    if (reduce(L, status, nullptr)) {
      if (!classify(status, p_free)) return infeasible();
      if (p_free == 0 || m_free.size() == p_free) return leaf();
    }
    if (norm2 == 0 || theta < sc.theta_floor) break;
    const double target = std::isfinite(upper) ? upper : L + std::max(1.0, 0.05 * std::abs(L));
    const double step = theta * (target - L) / norm2;
    if (!(step > 0)) break;
    for (std::size_t i = 0; i < m_in.n; ++i) mu[i] += step * m_g[i];
  }
  out.mu.assign(best_mu.begin(), best_mu.end());
  // the bound and the branching at the best multipliers with the status reached
  std::vector<double> closed_bound(m_in.m, -kInf);
  const double L = evaluate(best_mu, p_free);
  if (root && !out.expired) {  // the root's best set is polished even when it does not beat the incumbent
    sites.clear();
    for (auto j : m_open)
      if (!m_fixed[j]) sites.push_back(static_cast<std::int64_t>(j));
    for (auto j : m_set) sites.push_back(static_cast<std::int64_t>(j));
    offer(m_polisher.polish(sites));
  }
  // L, summed afresh (the loop's values may carry the rounding of ρ's updates), is at least the
  // loop's best: the same multipliers, and the tests since then only closed or opened sites
  out.bound = L;
  if (out.bound >= cutoff()) {
    settled(out.bound);
    out.done = true;
    return out;
  }
  if (out.expired) return out;
  if (reduce(L, status, &closed_bound)) {
    if (!classify(status, p_free)) return infeasible();
    if (p_free == 0 || m_free.size() == p_free) return leaf();
    // the tests changed the node: evaluate once more so the branching sees its sets
    const double L2 = evaluate(best_mu, p_free);
    out.bound = std::max(out.bound, L2);
    std::fill(closed_bound.begin(), closed_bound.end(), -kInf);
    reduce(L2, status, &closed_bound);
    if (!classify(status, p_free)) return infeasible();
    if (p_free == 0 || m_free.size() == p_free) return leaf();
  }
  // branch on the free site whose share is nearest 1/2 (the most fractional); ties: the one
  // whose closing raises L most
  // (PMedianBranching::MostFractional), or the site of the relaxation's set whose closing raises L
  // most, ties the most fractional (StrongestClosing)
  const bool strongest = m_o.branching == PMedianBranching::StrongestClosing;
  double best_frac = -1;
  for (auto j : m_free) {
    if (status[j] != kFree) continue;
    const double frac = std::min(share[j], 1 - share[j]);
    const double cb = m_in_set[j] ? closed_bound[j] : L;
    const bool better = strongest
                            ? (cb > out.closed_bound || (cb >= out.closed_bound && frac > best_frac + 1e-12))
                            : (frac > best_frac + 1e-12 || (frac >= best_frac - 1e-12 && cb > out.closed_bound));
    if (better) {
      best_frac = frac;
      out.branch = static_cast<std::int64_t>(j);
      out.closed_bound = cb;
    }
  }
  if (out.branch < 0)  // no free site in the set (cannot happen with p_free > 0): branch on any free one
    for (std::size_t j = 0; j < m_in.m && out.branch < 0; ++j)
      if (status[j] == kFree) out.branch = static_cast<std::int64_t>(j);
  return out;
}

/// The tree: best bound first, `batch` nodes per round solved by workers that each start from
/// the incumbent of the round's start; improving sets are merged in node order.
PMedianBranchResult run_tree(Context& cx, const std::vector<std::int64_t>& start, std::span<const double> multipliers,
                             Monitor& monitor) {
  const Instance& in = cx.in;
  const PMedianBranchOptions& o = cx.o;
  const std::size_t batch = std::max<std::size_t>(o.batch, 1);
  const unsigned threads = static_cast<unsigned>(
      std::min<std::size_t>(siting_threads(o.threads, cx.e.row.size(), kRoundParallelMinEntries), batch));
  // one worker per slot of a round; with several threads each reports to a helper monitor that
  // passes the caller's cancel on (the caller's callback is called from its own thread only)
  SitingOptions search = o.search;
  if (threads > 1) search.threads = 1;  // the rounds' threads already use the cores
  std::vector<std::unique_ptr<Monitor>> helpers;
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t k = 0; k < batch; ++k) {
    Monitor* mon = &monitor;
    if (threads > 1) {
      helpers.push_back(std::make_unique<Monitor>(
          [&monitor](std::string_view, std::size_t, std::size_t) { return !monitor.cancelled(); }));
      mon = helpers.back().get();
    }
    workers.push_back(std::make_unique<Worker>(cx, monitor, *mon, search));
  }
  // the root runs alone on the calling thread: the caller's monitor and search settings
  Worker lead(cx, monitor, monitor, o.search);
  PMedianBranchResult res;
  double upper = lead.set_cost(start);
  std::vector<std::int64_t> best = start;
  double settled = kInf;
  std::size_t updates = 0;
  std::vector<double> start_cost;
  lead.set_cost(start, start_cost);
  std::vector<double> cheapest(in.n, kInf);  // the cheapest w_i c_ij of each point
  for (std::size_t k = 0; k < cx.e.row.size(); ++k) {
    auto i = static_cast<std::size_t>(cx.e.row[k]);
    cheapest[i] = std::min(cheapest[i], cx.e.wc[k]);
  }
  auto mu0 = std::make_shared<std::vector<float>>(in.n, 0.0F);
  for (std::size_t i = 0; i < in.n; ++i) {
    if (!cx.e.needs[i]) continue;
    double lam = 0;
    if (multipliers.size() == in.n && std::isfinite(multipliers[i])) {
      lam = multipliers[i];
    } else if (std::isfinite(start_cost[i])) {
      lam = in.weight(i) * start_cost[i];
    } else {
      lam = cheapest[i];
    }
    (*mu0)[i] = static_cast<float>(lam / cx.scale[i]);
  }
  auto cutoff = [&]() {
    return std::isfinite(upper) ? upper - o.gap_tolerance * std::max(1.0, std::abs(upper)) : kInf;
  };
  Node root;
  root.status.assign(in.m, kFree);
  for (std::size_t j = 0; j < in.m; ++j)
    if (cx.fixed[j]) root.status[j] = kOpen;
  root.mu = mu0;
  std::priority_queue<Node, std::vector<Node>, Later> open;
  open.push(root);
  std::size_t next_id = 1;
  const double node_bytes = 4.0 * static_cast<double>(in.n) + static_cast<double>(in.m) + 64.0;
  bool stopped = false;
  std::vector<Node> round;
  std::vector<Outcome> outcomes;
  while (!open.empty() && !stopped) {
    if (res.nodes >= o.node_limit || monitor.expired() ||
        static_cast<double>(open.size()) * node_bytes > o.memory_limit) {
      stopped = true;
      break;
    }
    // the round: the best open nodes not yet pruned by the incumbent (the root alone first)
    round.clear();
    const bool is_root = res.nodes == 0;
    while (!open.empty() && round.size() < (is_root ? 1 : batch) && res.nodes + round.size() < o.node_limit) {
      Node node = open.top();
      open.pop();
      if (node.bound >= cutoff()) {
        settled = std::min(settled, node.bound);
        continue;
      }
      round.push_back(std::move(node));
    }
    if (round.empty()) continue;
    auto worker = [&](std::size_t k) -> Worker& { return is_root ? lead : *workers[k]; };
    for (std::size_t k = 0; k < round.size(); ++k) {
      Worker& w = worker(k);
      w.upper = upper;
      w.best = best;
      w.settled_min = kInf;
      w.updates = 0;
    }
    outcomes.assign(round.size(), Outcome{});
    parallel_for(
        round.size(), threads, [&](std::size_t k, unsigned) { outcomes[k] = worker(k).solve(round[k], is_root); }, 1);
    for (std::size_t k = 0; k < round.size(); ++k) {  // merged in node order: same result on any thread count
      const Worker& w = worker(k);
      if (w.upper < upper) {
        upper = w.upper;
        best = w.best;
      }
      settled = std::min(settled, w.settled_min);
      updates += w.updates;
    }
    res.nodes += round.size();
    for (std::size_t k = 0; k < round.size(); ++k) {
      Node& node = round[k];
      Outcome& out = outcomes[k];
      if (is_root) {
        drop_closed(cx.e, out.status);                // between rounds: no worker reads the entries now
        res.root_bound = std::min(out.bound, upper);  // a leaf's bound is its cost
        for (std::size_t j = 0; j < in.m; ++j) {
          if (cx.fixed[j]) continue;
          res.root_closed += out.status[j] == kClosed;
          res.root_opened += out.status[j] == kOpen;
        }
      }
      if (out.done) {
        settled = std::min(settled, out.bound);
        continue;
      }
      if (out.expired || out.branch < 0) {  // back on the list with the bound it reached
        node.bound = std::max(node.bound, out.bound);
        node.status = std::move(out.status);
        open.push(std::move(node));
        stopped = true;
        continue;
      }
      auto mu = std::make_shared<const std::vector<float>>(std::move(out.mu));
      const auto j = static_cast<std::size_t>(out.branch);
      Node closed{out.status, mu, std::max(out.bound, out.closed_bound), node.depth + 1, next_id++};
      closed.status[j] = kClosed;
      Node opened{std::move(out.status), mu, out.bound, node.depth + 1, next_id++};
      opened.status[j] = kOpen;
      open.push(std::move(opened));
      open.push(std::move(closed));
    }
    monitor.report("p-median branch and bound", res.nodes, 0);
  }
  double bound = std::min(upper, settled);
  if (!open.empty()) bound = std::min(bound, open.top().bound);
  res.open_nodes = open.size();
  res.proven = !stopped && open.empty();
  res.incumbent_updates = updates;
  if (!std::isfinite(upper)) {
    if (res.proven)
      throw InfeasibleError("no " + std::to_string(cx.p) + " sites can serve every reachable demand point");
  }
  SitingResult& r = res.result;
  r.sites = best;
  std::sort(r.sites.begin(), r.sites.end());
  r.objective = lead.set_cost(r.sites);
  r.bound = std::min(bound, r.objective);
  r.gap = std::isfinite(r.objective) ? rel_gap(r.objective, r.bound) : std::numeric_limits<double>::quiet_NaN();
  r.greedy_objective = lead.set_cost(start);
  r.unreachable.resize(in.n);
  for (std::size_t i = 0; i < in.n; ++i) r.unreachable[i] = cx.e.reachable[i] ? 0 : 1;
  // assignment over every usable entry (zero-weight points too); ties keep the smaller index
  std::vector<std::uint8_t> is_open(cx.fixed);
  for (auto j : r.sites) is_open[static_cast<std::size_t>(j)] = 1;
  std::vector<double> d(in.n, kInf);
  r.assignment.assign(in.n, -1);
  for (std::size_t j = 0; j < in.m; ++j) {
    if (!is_open[j]) continue;
    for (std::int64_t k = in.begin(j); k < in.end(j); ++k) {
      if (!in.active(k)) continue;
      const std::size_t i = in.demand(k);
      if (in.cost(k) < d[i]) {
        d[i] = in.cost(k);
        r.assignment[i] = static_cast<std::int64_t>(j);
      }
    }
  }
  return res;
}

}  // namespace
}  // namespace detail

PMedianBranchResult solve_p_median_bb(const SitingProblem& problem, std::size_t p,
                                      std::span<const std::int64_t> start_sites, std::span<const double> multipliers,
                                      const PMedianBranchOptions& options, Monitor& monitor) {
  validate(options.schedule);
  detail::Instance in(problem);
  const auto fixed = detail::prepare(in, SitingModel::PMedian, p);
  if (!problem.group_quota.empty())
    throw InvalidInputError("the p-median branch-and-bound does not take group quotas",
                            detail::field_ctx("group_quota"));
  if (!multipliers.empty() && multipliers.size() != in.n)
    throw InvalidInputError("multipliers must have one value per demand point (" + std::to_string(in.n) + "), got " +
                                std::to_string(multipliers.size()),
                            detail::field_ctx("multipliers"));
  std::vector<std::int64_t> start(start_sites.begin(), start_sites.end());
  if (start.empty()) {
    auto r = solve_p_median(problem, p, options.search, monitor);
    detail::Context cx(in, p, fixed, options);
    return detail::run_tree(cx, r.sites, r.multipliers, monitor);
  }
  if (start.size() != p)
    throw InvalidInputError("start_sites must hold p = " + std::to_string(p) + " sites, got " +
                                std::to_string(start.size()),
                            detail::field_ctx("start_sites"));
  std::vector<std::uint8_t> seen(in.m, 0);
  for (std::size_t k = 0; k < start.size(); ++k) {
    const auto j = start[k];
    if (j < 0 || static_cast<std::size_t>(j) >= in.m || fixed[static_cast<std::size_t>(j)] ||
        seen[static_cast<std::size_t>(j)])
      throw InvalidInputError("start_sites[" + std::to_string(k) + "] = " + std::to_string(j) +
                                  " is out of range, a fixed site or repeated",
                              detail::field_ctx("start_sites", static_cast<std::int64_t>(k)));
    seen[static_cast<std::size_t>(j)] = 1;
  }
  detail::Context cx(in, p, fixed, options);
  return detail::run_tree(cx, start, multipliers, monitor);
}

}  // namespace jangkau
