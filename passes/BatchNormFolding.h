#pragma once

#include "ir/Graph.h"

namespace deeper {

/// A batchnorm whose input is a conv (no relu yet) that nothing else reads becomes part of that conv:
///
///     W'[o] = W[o] * s[o]        b'[o] = (b[o] - mean[o]) * s[o] + beta[o]     s = scale / sqrt(var + eps)
///
/// With weights in the graph (ONNX initializers) the conv's tensors are rewritten and the batchnorm's
/// dropped; without (a .dnet whose weights come later) only the structure changes: the conv gains its
/// bias. Returns whether anything was folded.
bool runBatchNormFolding(Graph &graph);

}  // namespace deeper
