// The out-of-line helpers declared in bind.hpp.
#include "bind.hpp"

#include <csignal>
#include <mutex>

#include <signal.h>

#include "core/cell_coverage.hpp"
#include "core/error.hpp"

namespace jangkau::bind {

namespace {
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr std::size_t kNumSignals = sizeof(kSignals) / sizeof(kSignals[0]);
struct sigaction g_previous[kNumSignals];
bool g_installed[kNumSignals] = {};
std::mutex g_guard_mutex;
int g_guard_depth = 0;

// Async-signal-safe: an atomic store, then the previous handler (Python's only sets its own
// flags and writes to its wake-up fd).
extern "C" void on_interrupt(int sig, siginfo_t* info, void* context) {
  g_interrupt_requested.store(true);
  for (std::size_t k = 0; k < kNumSignals; ++k) {
    if (kSignals[k] != sig || !g_installed[k]) continue;
    const struct sigaction& old = g_previous[k];
    if (old.sa_flags & SA_SIGINFO) {
      if (old.sa_sigaction != nullptr) old.sa_sigaction(sig, info, context);
    } else if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN && old.sa_handler != nullptr) {
      old.sa_handler(sig);
    }
  }
}
}  // namespace

InterruptGuard::InterruptGuard() {
  std::lock_guard<std::mutex> lock(g_guard_mutex);
  if (g_guard_depth++ > 0) return;
  g_interrupt_requested.store(false);
  for (std::size_t k = 0; k < kNumSignals; ++k) {
    struct sigaction current{};
    g_installed[k] = false;
    if (sigaction(kSignals[k], nullptr, &current) != 0) continue;
    // Default (terminate) and ignored signals keep their meaning: nothing to chain.
    if (!(current.sa_flags & SA_SIGINFO) && (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN))
      continue;
    g_previous[k] = current;
    struct sigaction ours{};
    ours.sa_sigaction = on_interrupt;
    ours.sa_flags = SA_SIGINFO | (current.sa_flags & SA_RESTART);
    sigemptyset(&ours.sa_mask);
    g_installed[k] = true;
    if (sigaction(kSignals[k], &ours, nullptr) != 0) g_installed[k] = false;
  }
}

InterruptGuard::~InterruptGuard() {
  std::lock_guard<std::mutex> lock(g_guard_mutex);
  if (--g_guard_depth > 0) return;
  for (std::size_t k = 0; k < kNumSignals; ++k) {
    if (!g_installed[k]) continue;
    // Restore only if nobody replaced our handler meanwhile (e.g. Python's signal.signal()).
    struct sigaction current{};
    if (sigaction(kSignals[k], nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) &&
        current.sa_sigaction == on_interrupt)
      sigaction(kSignals[k], &g_previous[k], nullptr);
    g_installed[k] = false;
  }
  g_interrupt_requested.store(false);
}

Monitor make_monitor(const py::object& progress) {
  return Monitor([progress](std::string_view stage, std::size_t done, std::size_t total) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();
      return false;
    }
    if (!progress.is_none()) progress(py::str(stage.data(), stage.size()), done, total);
    return true;
  });
}

std::span<const double> grid_view(const GridSpec& grid, const carray<double>& values) {
  if (values.ndim() == 2) {
    if (static_cast<std::size_t>(values.shape(0)) != grid.rows ||
        static_cast<std::size_t>(values.shape(1)) != grid.cols)
      throw InvalidInputError("values have shape (" + std::to_string(values.shape(0)) + ", " +
                              std::to_string(values.shape(1)) + "), the grid (" + std::to_string(grid.rows) + ", " +
                              std::to_string(grid.cols) + ")");
    return {values.data(), grid.cell_count()};
  }
  return view(values);
}

std::string kw_repr(const char* name, std::initializer_list<std::pair<const char*, py::object>> fields) {
  std::string out = name;
  out += '(';
  bool first = true;
  for (const auto& [field, value] : fields) {
    if (!first) out += ", ";
    first = false;
    out += field;
    out += '=';
    // Bound enums print as Name.Value (their repr, <Name.Value: n>, does not evaluate).
    const bool is_enum = py::hasattr(py::type::of(value), "__members__");
    out += (is_enum ? py::str(value) : py::repr(value)).cast<std::string>();
  }
  out += ')';
  return out;
}

}  // namespace jangkau::bind
