#pragma once

#include "ir/Graph.h"

namespace deeper {

/// Makes a training description an inference graph:
///   1. training-only outputs (auxiliary classifiers loss1, loss2) are no longer outputs;
///   2. every dropout is bypassed (identity at inference);
///   3. nodes no remaining output needs are removed.
/// Returns whether the graph changed. A graph whose outputs are all training-only computes nothing
/// at inference: a UserError says so.
bool runInferenceCleanup(Graph &graph);

}  // namespace deeper
