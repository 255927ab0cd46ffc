// core/group_stats.hpp: weighted statistics per group.
#include "bind.hpp"
#include "core/group_stats.hpp"

namespace jangkau::bind {

void bind_group_stats(py::module_& m) {
  m.def(
      "weighted_group_stats",
      [](const carray<double>& values, const carray<double>& weights, const carray<std::int64_t>& groups,
         std::size_t n_groups, const carray<double>& probabilities) {
        auto v = view(values), w = view(weights), p = view(probabilities);
        auto g = view(groups);
        auto s = nogil([&] { return weighted_group_stats(v, w, g, n_groups, p); });
        return py::make_tuple(to_numpy(std::move(s.weight)), to_numpy(std::move(s.mean)),
                              to_numpy_2d(std::move(s.quantiles), p.size(), n_groups));
      },
      py::arg("values"), py::arg("weights"), py::arg("groups"), py::arg("n_groups"), py::arg("probabilities"),
      "Per group: (total weight, weighted mean, weighted quantiles[len(probabilities), n_groups]).");
}

}  // namespace jangkau::bind
