#pragma once

#include "ir/Graph.h"

namespace deeper {

/// The fourth branch of an inception module max-pools the module's input (3x3, stride 1, pad 1) and
/// projects it with a 1x1 conv. Run apart, the pool writes a tensor as large as its input that the conv
/// reads back at once; fused, the conv computes the pooled rows it needs itself (input_maxpool=3):
///
///     pool      = maxpool(x, kernel=3x3, pad=1x1)         pool_proj = conv(x, out=32, kernel=1x1,
///     pool_proj = conv(pool, out=32, kernel=1x1)    ==>               input_maxpool=3, ...)
///
/// Applies to a maxpool with a square odd window, stride 1, padding K/2 on every side and no dilation
/// (the output keeps the input's size, so ceil mode does not matter) that nothing but one conv reads.
/// Returns whether any pool was fused.
bool runPoolProjFusion(Graph &graph);

/// The convs whose input pool could be fused: the sites of its decisions (passes/Decisions.h). Where a
/// site is decided "no", the pass leaves it alone.
std::vector<const Node *> poolProjFusionSites(const Graph &graph);

}  // namespace deeper
