#include "network_access.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
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
  std::vector<NodeIndex> node;  // sources: seed node; targets: group
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
  c.node.resize(n);
  c.offset.resize(n);
  for (std::size_t k = 0; k < n; ++k) {  // stable: seeds keep their input order within a key
    const std::size_t p = at[key(k)]++;
    c.node[p] = key_is_group ? seeds.node[k] : seeds.group_at(k);
    c.offset[p] = seeds.offset_at(k);
  }
  return c;
}

// The weighted pairs of one facility, demand ascending.
struct FacilityPairs {
  std::vector<NodeIndex> demand;
  std::vector<double> weight;
  double catchment = 0.0;
};

}  // namespace

AccessResult network_floating_catchment(const Graph& graph, const Seeds& sources, const Seeds& targets,
                                        const ExtraPairs& extra, std::span<const double> population,
                                        std::span<const double> capacity, const NetworkAccessOptions& options,
                                        Monitor& monitor) {
  validate_seeds(graph, sources, "sources");
  validate_seeds(graph, targets, "targets");
  validate_decay(options.decay);
  (void)graph.weights(options.weight_set);
  if (std::isnan(options.cutoff) || options.cutoff < 0) fail("cutoff must be >= 0", -1, "cutoff");
  if (!(options.cost_divisor > 0) || !std::isfinite(options.cost_divisor))
    fail("cost_divisor must be finite and > 0", -1, "cost_divisor");
  check_amounts(population, "population");
  check_amounts(capacity, "capacity");
  const std::size_t n_dem = population.size(), n_fac = capacity.size();
  if (sources.group_count() > n_fac) fail("a source group has no capacity", -1, "capacity");
  if (targets.group_count() > n_dem) fail("a target group has no population", -1, "population");
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

  const Csr src = by_key(sources, n_fac, true);
  const Csr tgt = by_key(targets, graph.node_count(), false);
  std::vector<std::uint8_t> is_target(graph.node_count(), 0);
  std::size_t target_nodes = 0;
  for (std::size_t u = 0; u < graph.node_count(); ++u)
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

  const unsigned threads = thread_count(options.threads);
  std::vector<std::optional<ShortestPathSearch>> searches(threads);
  std::vector<std::vector<double>> best(threads);
  std::vector<std::vector<NodeIndex>> touched(threads);

  AccessResult r;
  r.catchment_demand.assign(n_fac, 0.0);
  r.ratio.assign(n_fac, 0.0);
  r.access.assign(n_dem, 0.0);
  // Facilities run in parallel a block at a time; the block's pairs are then consumed in
  // facility order, so every sum runs in the same order as floating_catchment() on the
  // sorted table, whatever the thread count.
  const std::size_t block = std::max<std::size_t>(4 * threads, 32);
  std::vector<FacilityPairs> pairs(block);
  for (std::size_t b0 = 0; b0 < n_fac; b0 += block) {
    const std::size_t b1 = std::min(n_fac, b0 + block);
    parallel_for(
        b1 - b0, threads,
        [&](std::size_t k, unsigned worker) {
          if (monitor.cancelled()) throw CancelledError("computation cancelled");
          const std::size_t j = b0 + k;
          FacilityPairs& out = pairs[k];
          out.demand.clear();
          out.weight.clear();
          out.catchment = 0.0;
          auto& bst = best[worker];
          auto& t = touched[worker];
          if (bst.empty()) bst.assign(n_dem, kInf);
          const std::size_t begin = src.offsets[j], end = src.offsets[j + 1];
          if (begin < end) {
            auto& search = searches[worker];
            if (!search) search.emplace(graph, options.weight_set);
            const Seeds seeds{std::span<const NodeIndex>(src.node).subspan(begin, end - begin),
                              std::span<const double>(src.offset).subspan(begin, end - begin), {}};
            search->run(seeds, options.cutoff, is_target, target_nodes, false);
            for (auto u : search->settled()) {
              const auto su = static_cast<std::size_t>(u);
              if (!is_target[su]) continue;
              const double cu = search->cost(su);
              for (std::size_t e = tgt.offsets[su]; e < tgt.offsets[su + 1]; ++e) {
                const double c = cu + tgt.offset[e];
                if (c > options.cutoff) continue;
                const auto g = static_cast<std::size_t>(tgt.node[e]);
                if (bst[g] == kInf) t.push_back(static_cast<NodeIndex>(g));
                if (c < bst[g]) bst[g] = c;
              }
            }
          }
          for (std::size_t x = extra_off[j]; x < extra_off[j + 1]; ++x) {
            const std::size_t e = extra_idx[x];
            const double c = extra.cost[e];
            if (c > options.cutoff) continue;
            const auto g = static_cast<std::size_t>(extra.target[e]);
            if (bst[g] == kInf) t.push_back(static_cast<NodeIndex>(g));
            if (c < bst[g]) bst[g] = c;
          }
          std::sort(t.begin(), t.end());
          for (auto g : t) {
            const auto sg = static_cast<std::size_t>(g);
            const double w = decay_weight(options.decay, bst[sg] / options.cost_divisor);
            bst[sg] = kInf;
            if (!(w > 0)) continue;
            out.demand.push_back(g);
            out.weight.push_back(w);
            out.catchment += population[sg] * w;
          }
          t.clear();
        },
        1);
    for (std::size_t k = 0; k < b1 - b0; ++k) {
      const std::size_t j = b0 + k;
      const FacilityPairs& p = pairs[k];
      r.catchment_demand[j] = p.catchment;
      if (options.hansen)
        r.ratio[j] = capacity[j];
      else if (p.catchment > 0)
        r.ratio[j] = capacity[j] / p.catchment;
      for (std::size_t q = 0; q < p.demand.size(); ++q)
        r.access[static_cast<std::size_t>(p.demand[q])] += r.ratio[j] * p.weight[q];
    }
    monitor.report("floating catchment", b1, n_fac);
  }
  return r;
}

}  // namespace jangkau
