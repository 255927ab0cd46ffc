#pragma once
// Progress reporting and cooperative cancellation for long computations.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <string_view>

#include "error.hpp"

namespace jangkau {

/// Process-wide request to stop every running computation, set asynchronously (the Python
/// bindings set it from a signal handler while an engine call runs without the GIL, so that
/// SIGTERM/SIGINT/SIGHUP end a long call within one work item instead of after it). Every
/// Monitor reports cancelled() while it is set; whoever sets it clears it.
inline std::atomic<bool> g_interrupt_requested{false};

/// A request, from another thread, that computations tied to it (Monitor::set_stop_flag) wind
/// down now and return their best answer so far, as at an expired deadline: how one of two
/// solvers racing on the same instance ends the other once it has proven its answer.
class StopFlag {
 public:
  void set() noexcept { m_set.store(true, std::memory_order_relaxed); }
  bool is_set() const noexcept { return m_set.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> m_set{false};
};

/// Passed (by reference, optional) to long-running algorithms. The callback is
/// only ever invoked from the thread that started the computation; it returns
/// false to ask for cancellation. Worker threads only poll `cancelled()`.
class Monitor {
 public:
  using Callback = std::function<bool(std::string_view stage, std::size_t done, std::size_t total)>;

  Monitor() = default;
  explicit Monitor(Callback callback) : m_callback(std::move(callback)) {}

  /// Report progress (calling thread only). Throws CancelledError if the callback asked to stop.
  void report(std::string_view stage, std::size_t done, std::size_t total) {
    if (m_callback && !m_callback(stage, done, total)) m_cancelled.store(true);
    throw_if_cancelled();
  }
  /// Safe from any thread.
  bool cancelled() const noexcept {
    return m_cancelled.load(std::memory_order_relaxed) || g_interrupt_requested.load(std::memory_order_relaxed);
  }
  void cancel() noexcept { m_cancelled.store(true); }
  /// Sets a soft deadline: past it, `expired()` is true and algorithms that can stop early with a
  /// valid (if not final) answer wind down and return it instead of throwing; `cancelled()` is
  /// unaffected (a cancel still throws). Call before the computation starts (not thread-safe
  /// with respect to a running computation). A `seconds` that is not finite and positive-or-zero
  /// (NaN, +inf) clears the deadline; a negative or zero one is already expired.
  void set_deadline_in(double seconds) {
    m_has_deadline = seconds < std::numeric_limits<double>::infinity();  // false for NaN and +inf
    if (m_has_deadline)
      m_deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                          std::chrono::duration<double>(std::max(seconds, 0.0)));
  }
  /// Ties the monitor to `flag` (none: untied): once another thread sets it, `expired()` is true.
  /// Call before the computation starts, like set_deadline_in.
  void set_stop_flag(std::shared_ptr<const StopFlag> flag) { m_stop = std::move(flag); }
  /// Whether the soft deadline has passed (false without one) or the stop flag is set. Safe from
  /// any thread.
  bool expired() const noexcept {
    return (m_stop && m_stop->is_set()) || (m_has_deadline && std::chrono::steady_clock::now() >= m_deadline);
  }
  /// cancelled() or expired(): whether a work loop should stop now (the caller then tells the two
  /// apart: throw_if_cancelled() for a cancel, keep the best answer so far for an expiry).
  bool should_stop() const noexcept { return cancelled() || expired(); }
  void throw_if_cancelled() const {
    if (cancelled()) throw CancelledError("computation cancelled");
  }

 private:
  Callback m_callback;
  std::atomic<bool> m_cancelled{false};
  bool m_has_deadline = false;
  std::chrono::steady_clock::time_point m_deadline{};
  std::shared_ptr<const StopFlag> m_stop;
};

/// A Monitor that reports nothing and never cancels, for callers that pass none.
inline Monitor& null_monitor() {
  thread_local Monitor m;
  return m;
}

}  // namespace jangkau
