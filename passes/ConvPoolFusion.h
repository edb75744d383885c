#pragma once

#include "ir/Graph.h"

namespace deeper {

/// GoogLeNet's stem max-pools conv1's output at once (3x3, stride 2): run apart, conv1 writes 3.2 MB
/// that have left the cache by the time the pool reads them back. Fused, the conv computes the rows
/// each pooled row needs into a ring of rows in cache and only the pooled values reach memory
/// (output_maxpool=3, output_maxpool_stride=2; codegen/ConvGenerator.cpp):
///
///     conv1 = conv(x, out=64, kernel=7x7, stride=2x2)          conv1 = conv(x, out=64, kernel=7x7, stride=2x2,
///     pool1 = maxpool(conv1, kernel=3x3, stride=2x2)   ==>             output_maxpool=3, output_maxpool_stride=2)
///     norm1 = lrn(pool1)                                         norm1 = lrn(conv1)
///
/// The fused node keeps the conv's name (its weights are named after it) and takes the pool's place.
/// Applies to a max pool with a square window, equal strides, no padding or dilation, whose windows
/// are ceil mode's (or floor mode's where both agree), that is not a graph output, over a conv that
/// nothing else reads and that computes its input as it is: not one Winograd would compute (its
/// transform tiles would have to meet the pool's windows), no fused reduce or input pool.
/// Measured (2026-12-01, the paper network at batch 1 on 2 threads, alternating runs): 1% faster,
/// the pool's read of the conv's output and the write of it gone. Returns whether any pool was fused.
bool runConvPoolFusion(Graph &graph);

}  // namespace deeper
