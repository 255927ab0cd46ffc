// Entry points of core/siting.hpp that are not one model's: the dispatch on SitingModel and
// best_feasible_sum. The models live in siting_mclp.cpp, siting_lscp.cpp and
// siting_pmedian.cpp; siting_instance.hpp describes how the code is split.
#include "siting.hpp"

#include <string>

#include "siting_instance.hpp"

namespace jangkau {

SitingResult solve_siting(SitingModel model, const SitingProblem& problem, std::size_t p,
                          const SitingOptions& options, Monitor& monitor) {
  switch (model) {
    case SitingModel::MCLP:
      return solve_mclp(problem, p, options, monitor);
    case SitingModel::LSCP:
      return solve_lscp(problem, options, monitor);
    case SitingModel::PMedian:
      return solve_p_median(problem, p, options, monitor);
  }
  throw InvalidInputError("unknown siting model id " + std::to_string(static_cast<int>(model)),
                          detail::field_ctx("model"));
}

double best_feasible_sum(const SitingProblem& problem, std::span<const double> value, std::size_t count,
                         std::span<const std::uint8_t> excluded) {
  auto set = detail::best_feasible_set(problem, value, count, excluded);
  return detail::sum_of(value, set);
}

}  // namespace jangkau
