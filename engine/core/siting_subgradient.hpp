#pragma once
// The Polyak subgradient loop (Held, Wolfe & Crowder 1974) that tightens the Lagrangian
// bounds of the three siting models. See siting_instance.hpp for how the siting code is split.

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "monitor.hpp"

namespace jangkau::detail {

/// Settings of one subgradient run.
struct SubgradientSettings {
  int iterations = 0;        ///< upper limit on iterations
  double target = 0;         ///< objective of the incumbent: the step is θ |target - L| / |g|²
  bool maximise = true;      ///< true: L(x) is a lower bound to push up; false: an upper bound to push down
  bool nonnegative = false;  ///< project the multipliers onto x >= 0
  int patience = 20;         ///< iterations without improvement before θ is halved
};

/// Optimises the Lagrangian dual L(x) over the multipliers `x` by Polyak steps
/// x += step · g, step = θ (target - L) / |g|² (sign flipped when minimising), θ = 2 halved
/// after `patience` iterations without improvement; stops after `iterations`, when θ < 1e-6, when
/// the relaxation reports convergence, or when g vanishes. The relaxation supplies:
///   double evaluate()          L at the current x (records its bound and site set)
///   void improved(int it)      called when L is the best value so far
///   bool converged()           whether the bound is close enough to the incumbent
///   void direction(vector& g)  the move direction at x (ascent when maximising, descent otherwise)
/// With `nonnegative`, components at x <= 0 that would move down do not count.
template <class Relaxation>
void polyak_subgradient(std::vector<double>& x, const SubgradientSettings& s, Relaxation& relaxation,
                        Monitor& monitor) {
  std::vector<double> g(x.size(), 0.0);
  double theta = 2.0;
  double best = s.maximise ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  int since_improved = 0;
  for (int it = 0; it < s.iterations; ++it) {
    if (monitor.expired()) break;  // deadline: every bound evaluated so far stays valid
    const double L = relaxation.evaluate();
    monitor.throw_if_cancelled();
    const double slack = 1e-12 * std::abs(best);
    if (!std::isfinite(best) || (s.maximise ? L > best + slack : L < best - slack)) {
      best = L;
      relaxation.improved(it);
      since_improved = 0;
    } else if (++since_improved >= s.patience) {
      theta /= 2;
      since_improved = 0;
    }
    if (theta < 1e-6 || relaxation.converged()) break;
    relaxation.direction(g);
    double norm2 = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
      if (s.nonnegative && x[i] <= 0 && g[i] < 0) g[i] = 0;  // projection onto x >= 0
      norm2 += g[i] * g[i];
    }
    if (norm2 == 0) break;  // x is optimal for the relaxation
    const double step = theta * (s.maximise ? s.target - L : L - s.target) / norm2;
    if (!(step > 0)) break;
    if (s.nonnegative)
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::max(0.0, x[i] + step * g[i]);
    else
      for (std::size_t i = 0; i < x.size(); ++i) x[i] += step * g[i];
    monitor.report("lagrangian bound", static_cast<std::size_t>(it) + 1, static_cast<std::size_t>(s.iterations));
  }
}

}  // namespace jangkau::detail
