#pragma once
// Progress reporting and cooperative cancellation for long computations.

#include <atomic>
#include <cstddef>
#include <functional>
#include <string_view>

#include "error.hpp"

namespace jangkau {

/// Process-wide request to stop every running computation, set asynchronously (the Python
/// bindings set it from a signal handler while an engine call runs without the GIL, so that
/// SIGTERM/SIGINT/SIGHUP end a long call within one work item instead of after it). Every
/// Monitor reports cancelled() while it is set; whoever sets it clears it.
inline std::atomic<bool> g_interrupt_requested{false};

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
  void throw_if_cancelled() const {
    if (cancelled()) throw CancelledError("computation cancelled");
  }

 private:
  Callback m_callback;
  std::atomic<bool> m_cancelled{false};
};

/// A Monitor that reports nothing and never cancels, for callers that pass none.
inline Monitor& null_monitor() {
  thread_local Monitor m;
  return m;
}

}  // namespace jangkau
