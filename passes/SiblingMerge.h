#pragma once

#include "ir/Graph.h"

namespace deeper {

/// Three branches of an inception module start with a 1x1 conv of the module's input: the 1x1 branch,
/// the 3x3 reduce and the 5x5 reduce. The reduces are narrow (16 to 128 channels), so apart they keep
/// few output-channel vectors busy and each reads the whole input once more. Merged horizontally they
/// are one wider conv that reads the input once; their consumers read its channel slices in place:
///
///     3x3_reduce = conv(x, out=96, kernel=1)          3x3_reduce_and_5x5_reduce = conv(x, out=112, kernel=1)
///     5x5_reduce = conv(x, out=16, kernel=1)    ==>   3x3_reduce = slice(3x3_reduce_and_5x5_reduce, begin=0, end=96)
///     3x3 = conv(3x3_reduce, kernel=3, ...)           5x5_reduce = slice(3x3_reduce_and_5x5_reduce, begin=96, end=112)
///
/// Siblings are 1x1 convs, stride 1, no padding, one group, no fused input (pool or reduce), with the
/// same input and the same relu, that are not graph outputs and whose every reader is a conv, a pool,
/// lrn or fc (kernels that read a slice as a strided view). The 1x1 branch itself is left alone: it feeds a concat, into which it writes
/// directly (concat-elision); merged, its result would need a copy into the concat. The slices keep
/// the siblings' names, and with weights bound the merged conv's weights and biases are theirs stacked
/// (zero bias for a sibling without one). Returns whether any convs were merged.
///
/// Opt-in: alone it paid ~3% at batch 1 (merged reduces at 45-61% of peak where a 5x5 reduce ran at
/// ~25%), but with branch-schedule it costs about as much: the merged reduce feeds two branches, so it
/// must run before the lanes, with every thread, where apart each reduce runs inside its own lane.
bool runSiblingMerge(Graph &graph);

/// The first conv of each group of siblings: the sites of its decisions (passes/Decisions.h). A group
/// decided "no" stays apart; merged, the site's name names its slice.
std::vector<const Node *> siblingMergeSites(const Graph &graph);

}  // namespace deeper
