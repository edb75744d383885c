#pragma once

#include "ir/Graph.h"

namespace deeper {

/// Stores the values between window kernels channels innermost (N,H,W,C in memory, layout=nhwc).
/// A conv's register tile holds vectors of output channels and broadcasts input values over the input
/// channels; in N,C,H,W it reads each input channel from a different plane and must transpose its
/// accumulators into rows of pixels to store them. Channels innermost, it stores whole vectors and
/// reads consecutive input channels; pools and lrn vectorise along channels instead of along rows
/// (whose widths, 7 * 2^k, fit vectors badly). The layout changes storage only: shapes, the graph's
/// meaning and the reference executor stay N,C,H,W, and the first and last kernels read and write
/// N,C,H,W buffers through strides, so no conversion kernel runs:
///
///     data (nchw) -> conv1 -> pool1 -> ... -> inception_5b/output -> pool5 (nchw) -> fc
///                    \________________ nhwc __________________/
///
/// A value is stored nhwc when
///  - it is computed by a conv, max/avg pool, lrn or relu kernel, or is an in-place concat (not an
///    interleaving one) whose inputs are all conv, pool or lrn values stored nhwc (they write into its
///    slices through strides);
///  - a pool, lrn or relu only with its input stored nhwc: each is cheapest when both sides agree (a
///    conv may change the layout, as conv1 does); a relu reads its input flat, so not through a slice;
///  - a binary op only with its operands of its shape computed and stored nhwc, its others of one
///    pixel per channel (N,C,1,1: the same memory in either layout): a squeeze-and-excitation
///    product keeps its depthwise conv, pool and projection channels-last;
///  - it is no graph output, nor aliased by one (callers' buffers are N,C,H,W);
///  - every node that reads it is a conv, pool or lrn (they read any strides), directly or through a
///    slice, a relu or binary op stored nhwc, or the in-place concat it is written into.
/// Returns whether any value changed layout.
bool runChannelsLast(Graph &graph);

}  // namespace deeper
