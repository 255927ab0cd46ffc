#include "network_access.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
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

// The pairs of one facility, demand ascending, with the pair weight under each spec and
// the weighted demand of its catchment per spec.
struct FacilityPairs {
  std::vector<std::int32_t> demand;
  std::vector<std::vector<double>> weight;  // [spec][pair]
  std::vector<double> catchment;            // [spec]
};

}  // namespace

std::vector<AccessResult> network_floating_catchments(const Graph& graph, const Seeds& sources, const Seeds& targets,
                                                      const ExtraPairs& extra, std::span<const double> population,
                                                      std::span<const double> capacity,
                                                      const NetworkAccessOptions& options,
                                                      std::span<const CatchmentSpec> specs, Monitor& monitor) {
  validate_seeds(graph, sources, "sources");
  validate_seeds(graph, targets, "targets");
  for (const auto& s : specs) validate_decay(s.decay);
  (void)graph.weights(options.weight_set);
  if (std::isnan(options.cutoff) || options.cutoff < 0) fail("cutoff must be >= 0", -1, "cutoff");
  if (!(options.cost_divisor > 0) || !std::isfinite(options.cost_divisor))
    fail("cost_divisor must be finite and > 0", -1, "cost_divisor");
  check_amounts(population, "population");
  check_amounts(capacity, "capacity");
  const std::size_t n_dem = population.size(), n_fac = capacity.size(), n_spec = specs.size();
  if (sources.group_count() > n_fac) fail("a source group has no capacity", -1, "capacity");
  if (targets.group_count() > n_dem) fail("a target group has no population", -1, "population");
  if (n_dem >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    fail("too many demand locations", -1, "population");
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

  std::vector<AccessResult> results(n_spec);
  for (auto& r : results) {
    r.catchment_demand.assign(n_fac, 0.0);
    r.ratio.assign(n_fac, 0.0);
    r.access.assign(n_dem, 0.0);
  }
  if (n_spec == 0 || n_fac == 0) return results;

  const std::size_t n_nodes = graph.node_count();
  const SeedIndex src = index_seeds(sources, n_fac, SeedKey::Group);
  const SeedIndex tgt = index_seeds(targets, n_nodes, SeedKey::Node);
  const SeedIndex dem = index_seeds(targets, n_dem, SeedKey::Group);  // the same entries by demand location
  std::size_t target_nodes = 0;
  const std::vector<std::uint8_t> is_target = tgt.present(target_nodes);
  // Extra pairs grouped by facility.
  std::vector<std::size_t> extra_off(n_fac + 1, 0), extra_idx(extra.cost.size());
  for (auto s : extra.source) ++extra_off[static_cast<std::size_t>(s) + 1];
  for (std::size_t j = 0; j < n_fac; ++j) extra_off[j + 1] += extra_off[j];
  {
    std::vector<std::size_t> at(extra_off.begin(), extra_off.end() - 1);
    for (std::size_t k = 0; k < extra.cost.size(); ++k)
      extra_idx[at[static_cast<std::size_t>(extra.source[k])]++] = k;
  }
  // The searches run on the graph with its chains of bend nodes contracted when that
  // bypasses at least a quarter of the nodes (fewer queue operations, the same costs), on
  // the graph itself otherwise; either way the one engine of engine/core/dijkstra.hpp.
  ContractedGraph contracted;
  if (target_nodes > 0 && !sources.node.empty()) {
    std::vector<std::uint8_t> needed = is_target;  // targets and seeds keep their costs
    for (auto u : sources.node) needed[static_cast<std::size_t>(u)] = 1;
    contracted = contract_chains(graph, options.weight_set, needed);
  }
  // Nodes a search can settle: the expected demand entries a search reaches are scaled by it.
  const double live_nodes = static_cast<double>(contracted.built ? contracted.live_nodes : n_nodes);

  const unsigned threads = thread_count(options.threads);
  struct Workspace {
    std::optional<Dijkstra<ContractedView>> contracted;
    std::optional<Dijkstra<PlainView>> plain;
    std::vector<double> best;           // per demand location, +inf when not reached
    std::vector<std::int32_t> touched;  // demand locations with a finite best
    std::vector<double> weight;         // per spec, of the pair at hand
  };
  std::vector<Workspace> ws(threads);
  const double cutoff = options.cutoff, divisor = options.cost_divisor;

  // Facilities run in parallel a block at a time. Per facility the pairs are kept in
  // demand order, so its catchment sum runs over i ascending; then A_i is accumulated over
  // the block's facilities in ascending j (in parallel over ranges of i). Every sum runs in
  // the same order as floating_catchment() on the table sorted by (facility, demand),
  // whatever the thread count.
  const std::size_t block = std::max<std::size_t>(8 * static_cast<std::size_t>(threads), 64);
  std::vector<FacilityPairs> pairs(std::min(block, n_fac));
  for (std::size_t b0 = 0; b0 < n_fac; b0 += block) {
    const std::size_t b1 = std::min(n_fac, b0 + block);
    parallel_for(
        b1 - b0, threads,
        [&](std::size_t k, unsigned worker) {
          if (monitor.cancelled()) throw CancelledError("computation cancelled");
          const std::size_t j = b0 + k;
          FacilityPairs& out = pairs[k];
          out.demand.clear();
          out.weight.resize(n_spec);
          for (auto& w : out.weight) w.clear();
          out.catchment.assign(n_spec, 0.0);
          Workspace& w = ws[worker];
          if (w.best.empty()) {
            w.weight.assign(n_spec, 0.0);
            w.best.assign(n_dem, kInf);
          }
          auto& bst = w.best;
          auto& t = w.touched;
          auto reach = [&](std::size_t g, double c) {
            if (bst[g] == kInf) t.push_back(static_cast<std::int32_t>(g));
            if (c < bst[g]) bst[g] = c;
          };
          bool dense = false;
          if (src.offsets[j + 1] > src.offsets[j] && target_nodes > 0) {
            // One search from the facility's seeds that stops once every target node is
            // settled. A target node's cost is then final (the search ran to the end, or
            // stopped after every target was settled) and +inf when it was not reached
            // within the cutoff, so the demand entries are read from the node costs:
            // either gathered by a scan of every demand location in order (when the
            // search covered enough of the graph to reach, in expectation, a quarter of
            // them: sequential, no sort, no pass over the settled nodes) or scattered from
            // the target nodes among the settled ones.
            SearchRun run;
            run.seeds = src.seeds(j);
            run.cutoff = cutoff;
            run.stop_nodes = is_target;
            run.stop_after = target_nodes;
            run.track_groups = false;
            auto gather = [&](const auto& search) {
              const auto settled = search.settled();
              const double expected = static_cast<double>(settled.size()) * static_cast<double>(targets.size()) /
                                      live_nodes;
              dense = 4.0 * expected > static_cast<double>(n_dem);
              if (dense) {
                for (std::size_t g = 0; g < n_dem; ++g) {
                  double c = kInf;
                  for (std::size_t e = dem.offsets[g]; e < dem.offsets[g + 1]; ++e) {
                    const double v = search.cost(static_cast<std::size_t>(dem.node[e])) + dem.offset[e];
                    if (v <= cutoff && v < c) c = v;
                  }
                  bst[g] = c;
                }
                return;
              }
              for (auto u : settled) {
                const auto su = static_cast<std::size_t>(u);
                if (!is_target[su]) continue;
                const double cu = search.cost(su);
                for (std::size_t e = tgt.offsets[su]; e < tgt.offsets[su + 1]; ++e) {
                  const double c = cu + tgt.offset[e];
                  if (c <= cutoff) reach(static_cast<std::size_t>(tgt.group[e]), c);
                }
              }
            };
            if (contracted.built) {
              if (!w.contracted) w.contracted.emplace(ContractedView(contracted));
              w.contracted->run(run);
              gather(*w.contracted);
            } else {
              if (!w.plain) w.plain.emplace(plain_view(graph, options.weight_set));
              w.plain->run(run);
              gather(*w.plain);
            }
          }
          for (std::size_t x = extra_off[j]; x < extra_off[j + 1]; ++x) {
            const std::size_t e = extra_idx[x];
            if (extra.cost[e] <= cutoff) reach(static_cast<std::size_t>(extra.target[e]), extra.cost[e]);
          }
          // Demand order: a sort of the reached locations, or a scan of all of them when
          // most are reached (cheaper than sorting, same order).
          auto take = [&](std::size_t g) {
            const double c = bst[g] / divisor;
            bst[g] = kInf;
            bool any = false;
            for (std::size_t s = 0; s < n_spec; ++s) {
              const DecayOptions& d = specs[s].decay;
              // decay_weight() with the step decay (the common case) inlined
              const double wt = d.decay == Decay::Step ? (c <= d.max_cost ? 1.0 : 0.0) : decay_weight(d, c);
              w.weight[s] = wt;
              any = any || wt > 0;
            }
            if (!any) return;
            out.demand.push_back(static_cast<std::int32_t>(g));
            for (std::size_t s = 0; s < n_spec; ++s) {
              const double wt = w.weight[s];
              out.weight[s].push_back(wt);
              if (wt > 0) out.catchment[s] += population[g] * wt;
            }
          };
          if (dense || t.size() * 8 > n_dem) {
            for (std::size_t g = 0; g < n_dem; ++g)
              if (bst[g] != kInf) take(g);
          } else {
            std::sort(t.begin(), t.end());
            for (auto g : t) take(static_cast<std::size_t>(g));
          }
          t.clear();
        },
        1);
    const std::size_t nb = b1 - b0;
    for (std::size_t s = 0; s < n_spec; ++s)
      for (std::size_t k = 0; k < nb; ++k) {
        const std::size_t j = b0 + k;
        auto& r = results[s];
        r.catchment_demand[j] = pairs[k].catchment[s];
        if (specs[s].hansen)
          r.ratio[j] = capacity[j];
        else if (pairs[k].catchment[s] > 0)
          r.ratio[j] = capacity[j] / pairs[k].catchment[s];
      }
    // A_i over the block, facilities ascending, in parallel over ranges of demand.
    std::size_t block_pairs = 0;
    for (std::size_t k = 0; k < nb; ++k) block_pairs += pairs[k].demand.size();
    const std::size_t ranges = block_pairs > 200000 ? 4 * static_cast<std::size_t>(threads) : 1;
    parallel_for(
        ranges, threads,
        [&](std::size_t q, unsigned) {
          const auto lo = static_cast<std::int32_t>(n_dem * q / ranges);
          const auto hi = static_cast<std::int32_t>(n_dem * (q + 1) / ranges);
          for (std::size_t k = 0; k < nb; ++k) {
            const auto& p = pairs[k];
            const auto a = static_cast<std::size_t>(std::lower_bound(p.demand.begin(), p.demand.end(), lo) -
                                                    p.demand.begin());
            const auto b = static_cast<std::size_t>(
                std::lower_bound(p.demand.begin() + static_cast<std::ptrdiff_t>(a), p.demand.end(), hi) -
                p.demand.begin());
            for (std::size_t s = 0; s < n_spec; ++s) {
              const double ratio = results[s].ratio[b0 + k];
              double* acc = results[s].access.data();
              const double* wt = p.weight[s].data();
              for (std::size_t x = a; x < b; ++x)
                if (wt[x] > 0) acc[p.demand[x]] += ratio * wt[x];
            }
          }
        },
        1);
    monitor.report("floating catchment", b1, n_fac);
  }
  return results;
}

AccessResult network_floating_catchment(const Graph& graph, const Seeds& sources, const Seeds& targets,
                                        const ExtraPairs& extra, std::span<const double> population,
                                        std::span<const double> capacity, const NetworkAccessOptions& options,
                                        Monitor& monitor) {
  const CatchmentSpec spec{options.decay, options.hansen};
  auto r = network_floating_catchments(graph, sources, targets, extra, population, capacity, options,
                                       std::span<const CatchmentSpec>(&spec, 1), monitor);
  return std::move(r.front());
}

}  // namespace jangkau
