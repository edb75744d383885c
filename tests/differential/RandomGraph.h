// Random small valid graphs over every op a model may use, for the differential test (compiled
// kernels against the reference executor) and the fuzzers' seeds. Each op is tried with random
// attributes on random earlier values; the builder's shape rules decide what is valid, so the
// generator needs no copy of them.
#pragma once

#include "ir/Graph.h"

#include <cstdint>

namespace deeper::test {

struct RandomGraphOptions {
  int minOps = 3, maxOps = 12;
  int64_t maxSide = 10;    ///< input height and width at most this
  int64_t maxChannels = 8;
};

/// The graph for `seed` (the same seed gives the same graph), at a random batch of 1 to 3.
Graph randomGraph(uint64_t seed, const RandomGraphOptions &options = {});

}  // namespace deeper::test
