#pragma once

#include "ir/Graph.h"

namespace deeper {

/// Conv + bias + relu become one kernel: a relu whose input is a conv or fc (without a fused relu yet)
/// that nothing else reads is folded into that producer's epilogue (relu=true), and its uses are
/// redirected to the producer, which keeps its name (the BVLC layer name). A clip to [0, hi] after a
/// conv (MobileNet's ReLU6), or to [lo <= 0, hi] after a relu'd conv, folds the same way with
/// relu_max=hi, so the convs of a chain meet directly (and channels-last can store what they pass).
///
///     conv1/7x7_s2 = conv(data, ...)                 conv1/7x7_s2 = conv(data, ..., relu=true)
///     conv1/relu   = relu(conv1/7x7_s2)      ==>
///     pool1        = maxpool(conv1/relu, ...)        pool1 = maxpool(conv1/7x7_s2, ...)
///
/// Returns whether any relu was folded.
bool runEpilogueFusion(Graph &graph);

}  // namespace deeper
