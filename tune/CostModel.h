// The tuner's cost model: which of a kernel's untried schedules to measure next.
//
// It predicts log(time / the default schedule's time) of a kernel as a sum of learned weights, one per
// feature: each schedule field's value ("conv:tile_x=7"), alone and together with a coarse shape class
// ("conv:small-map:tile_x=7"), so it learns both what helps convs in general and what helps 7x7 maps.
// Fitted by ridge regression (the weights shrink toward 0, "no better than the default", where there
// is little data) to every measurement of this model's kernels in the database: the database is its
// training set, and each round of the tuner refits it.
#pragma once

#include "codegen/Kernel.h"

#include <map>
#include <string>
#include <vector>

namespace deeper {

struct KernelObservation {
  const Kernel *kernel;
  Schedule schedule;
  double logRelativeTime;  ///< log(measured / the kernel's default schedule's measured time)
};

class CostModel {
 public:
  void fit(const std::vector<KernelObservation> &observations);
  /// Predicted log(time / default time) of `kernel` under `s`; 0 before any fit.
  double predict(const Kernel &kernel, const Schedule &s) const;
  size_t observations() const { return observations_; }

 private:
  std::map<std::string, double> weights_;
  size_t observations_ = 0;
};

/// The features of `s` for `kernel` (for tests and the curious).
std::vector<std::string> scheduleFeatures(const Kernel &kernel, const Schedule &s);

}  // namespace deeper
