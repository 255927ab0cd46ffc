#include "network.hpp"

#include <algorithm>
#include <atomic>
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
  if (std::isnan(cutoff) || cutoff < 0)
    fail("cutoff must be >= 0 (or +inf), got " + std::to_string(cutoff), -1, "cutoff");
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
    fail("'from' and 'to' differ in length (" + std::to_string(from.size()) + " vs " + std::to_string(to.size()) +
             ")",
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
    for (std::size_t slot = 0; slot < m; ++slot)
      out[slot] = weights[w][static_cast<std::size_t>(g.m_edge_ids[slot])] + 0.0;
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
  for (std::size_t c = 0; c < roots.size(); ++c)
    label_of_root[static_cast<std::size_t>(roots[c])] = static_cast<std::int64_t>(c);
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

PlainView plain_view(const Graph& graph, std::size_t weight_set) {
  const auto weights = graph.weights(weight_set);
  const auto [lo, hi] = graph.weight_range(weight_set);
  return PlainView(graph.offsets(), graph.targets(), weights, lo, hi);
}

ShortestPathSearch::ShortestPathSearch(const Graph& graph, std::size_t weight_set)
    : Dijkstra<PlainView>(plain_view(graph, weight_set)) {}

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
    SearchRun run;
    run.seeds = Seeds{sources, {}, {}};
    run.cutoff = options.cutoff;
    run.track_groups = false;
    search.run(run);
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
        SearchRun run;
        run.seeds = Seeds{std::span<const NodeIndex>(&src, 1), {}, {}};
        run.cutoff = options.cutoff;
        run.track_groups = false;
        search->run(run);
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
  const SeedIndex grouped = index_seeds(sources, sources.group_count(), SeedKey::Group);
  const std::size_t source_groups = grouped.keys();
  const bool all_nodes = targets.size() == 0;
  // Target seeds by node: which target groups a settled node leads to.
  const SeedIndex tindex = index_seeds(targets, graph.node_count(), SeedKey::Node);
  std::size_t target_nodes = 0;
  const std::vector<std::uint8_t> is_target = tindex.present(target_nodes);
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
        SearchRun run;
        run.seeds = grouped.seeds(s);
        run.cutoff = options.cutoff;
        run.track_groups = false;
        MatrixRows& out = rows[s];
        if (all_nodes) {
          search->run(run);
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
          run.stop_nodes = is_target;
          run.stop_after = target_nodes;
          search->run(run);
          auto& b = best[worker];
          auto& t = touched[worker];
          if (b.empty()) b.assign(target_groups, kInf);
          for (auto u : search->settled()) {
            const auto su = static_cast<std::size_t>(u);
            if (!is_target[su]) continue;
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
