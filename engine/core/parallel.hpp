#pragma once
// Minimal static work splitting over std::thread, deterministic by construction:
// each index is processed by exactly one worker and results go to per-index slots.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace jangkau {

/// Number of worker threads to use: `requested` if > 0, else the hardware concurrency.
inline unsigned thread_count(int requested = 0) {
  if (requested > 0) return static_cast<unsigned>(requested);
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1u : n;
}

/// Calls fn(i, worker) for i in [0, n) using `threads` workers pulling chunks of `chunk`
/// indices from a shared counter. The first exception thrown by any worker is rethrown.
template <class Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn, std::size_t chunk = 64) {
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>((n + chunk - 1) /
                                                                           std::max<std::size_t>(chunk, 1))));
  if (threads <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i, 0u);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](unsigned worker) {
    try {
      for (;;) {
        std::size_t begin = next.fetch_add(chunk);
        if (begin >= n) break;
        std::size_t end = std::min(n, begin + chunk);
        for (std::size_t i = begin; i < end; ++i) fn(i, worker);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(n);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace jangkau
