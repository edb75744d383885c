#pragma once

#include "ir/OpParams.h"

namespace deeper {

/// The 3x3 and 5x5 branches of an inception module first reduce the module's input with a 1x1 conv.
/// Run apart, the reduce writes its tensor and the KxK conv reads it back K*K times over. Fused, the
/// KxK conv computes the reduced rows it needs itself, inside its own loop over rows, and the reduced
/// tensor never goes to memory (conv attributes reduce=R, reduce_relu):
///
///     3x3_reduce = conv(x, out=96, kernel=1, relu=true)       3x3 = conv(x, out=128, kernel=3, pad=1,
///     3x3 = conv(3x3_reduce, out=128, kernel=3, pad=1)  ==>             reduce=96, reduce_relu=true)
///
///          x ──> [1x1 reduce] ──> memory ──> [3x3]        x ──> [3x3: rows of reduce ─> taps] ──>
///
/// The generated kernel splits each image into a few bands of rows; within a band the reduced rows
/// slide down (each computed once), but each band recomputes the K-1 rows of halo above it. The cost
/// model weighs that recompute against what fusion saves:
///
///     recompute = reduce MACs * (K-1) * bands / H               (MACs)
///     saved     = 2 * R*H*W * 4 bytes * kMacsPerByte            (the tensor written and read back)
///
/// and fuses where saved > recompute. Maps of fewer than kMinFusedRows rows are never fused: there the
/// unfused conv runs its channel blocks as tasks (each block's weights read once per image), which a
/// fused kernel, whose tasks must be row bands, cannot. Nor is a conv Winograd can compute
/// (ConvParams::winogradApplies: 3x3 or 5x5, stride 1, same-size output): alone it does 2.25-4x (3x3)
/// or 2.8x (5x5) fewer multiply-adds than the direct conv a fused kernel has to be (conv2/3x3 on 1
/// thread, F(2x2,3x3): 3.5 ms fused, 1.76 + 0.13 ms unfused).
///
/// Applies to a conv 1x1, stride 1, unpadded, one group, that nothing but one conv (one group, no fused
/// input of its own) reads, as its input. The weights move with it: <conv>.reduce_weight and
/// .reduce_bias (zero when the reduce had none). Returns whether any reduce was fused.
bool runReduceConvFusion(Graph &graph);

/// The same at every site, whatever the cost model says: to measure what it decides against.
bool runReduceConvFusionEverywhere(Graph &graph);

/// The convs whose reduce could be fused: the sites of its decisions (passes/Decisions.h), which
/// overrule the cost model in both variants.
std::vector<const Node *> reduceConvFusionSites(const Graph &graph);

}  // namespace deeper
