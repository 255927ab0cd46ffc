// Lower bound on the cost of a settled node for any label-setting search on a given graph:
// one relaxation sweep over every node in memory order (the best case for caches and the
// hardware prefetcher), with no priority queue at all. A Dijkstra-type search does at least
// this work per settled node (read its arcs, compare and update each head's cost) plus the
// queue, so its time per settled node cannot go below what this prints.
//
// The graph comes from bench_access.py (the same seeded synthetic graph as its 2SFCA run):
//
//   python benchmarks/bench_access.py --dump-graph /tmp/graph.bin
//   g++ -O3 -std=c++20 benchmarks/relax_floor.cpp -o /tmp/relax_floor   # the engine's Release flags
//   /tmp/relax_floor /tmp/graph.bin
//
// File layout (little endian): int64 node_count, int64 arc_count, int64 offsets[node_count+1],
// int32 heads[arc_count], float64 weights[arc_count] (CSR by tail, weights in seconds).
//
// Costs are reset to fresh random values in [0, 1800] s before every sweep (outside the
// timing), so about a third of the relaxations succeed, as in the bounded searches.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace {

struct Arc {  // as in the engine's search adjacency: head and weight side by side
  std::int32_t head;
  double weight;
};

template <class T>
bool read(std::FILE* f, T* out, std::size_t n) {
  return std::fread(out, sizeof(T), n, f) == n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s GRAPH.bin   (from bench_access.py --dump-graph)\n", argv[0]);
    return 2;
  }
  std::FILE* f = std::fopen(argv[1], "rb");
  if (!f) {
    std::perror(argv[1]);
    return 1;
  }
  std::int64_t head[2];
  if (!read(f, head, 2) || head[0] <= 0 || head[1] < 0) {
    std::fprintf(stderr, "%s: bad header\n", argv[1]);
    return 1;
  }
  const auto n = static_cast<std::size_t>(head[0]), m = static_cast<std::size_t>(head[1]);
  std::vector<std::int64_t> offsets(n + 1);
  std::vector<std::int32_t> heads(m);
  std::vector<double> weights(m);
  if (!read(f, offsets.data(), n + 1) || !read(f, heads.data(), m) || !read(f, weights.data(), m)) {
    std::fprintf(stderr, "%s: truncated file\n", argv[1]);
    return 1;
  }
  std::fclose(f);
  std::vector<std::uint32_t> first(offsets.begin(), offsets.end());
  std::vector<Arc> arcs(m);
  for (std::size_t e = 0; e < m; ++e) arcs[e] = {heads[e], weights[e]};

  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> start(0.0, 1800.0);
  std::vector<double> fresh(n), cost(n);
  const int sweeps = 20;
  double best = 1e300;
  std::size_t improved = 0;
  for (int s = 0; s < sweeps; ++s) {
    for (auto& c : fresh) c = start(rng);
    cost = fresh;
    std::size_t k = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t u = 0; u < n; ++u) {
      const double cu = cost[u];
      for (std::uint32_t e = first[u]; e < first[u + 1]; ++e) {
        const double c = cu + arcs[e].weight;
        const auto v = static_cast<std::size_t>(arcs[e].head);
        if (c < cost[v] && c <= 1800.0) {
          cost[v] = c;
          ++k;
        }
      }
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, dt);
    improved += k;
  }
  std::printf("%zu nodes, %zu arcs (%.2f per node); one relaxation sweep in memory order, best of %d:\n", n, m,
              static_cast<double>(m) / static_cast<double>(n), sweeps);
  std::printf("  %.2f ms = %.1f ns per node, one core (%.2f successful relaxations per node)\n", best * 1e3,
              best * 1e9 / static_cast<double>(n),
              static_cast<double>(improved) / static_cast<double>(sweeps) / static_cast<double>(n));
  return 0;
}
