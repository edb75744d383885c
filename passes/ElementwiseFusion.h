#pragma once

#include "ir/Graph.h"

namespace deeper {

/// Chains of elementwise ops become one kernel (TVM's injective fusion, for the ops whose op table
/// entry has the Inlinable trait: relu, prelu, unary, binary, and add/sub/mul/div with a constant). An
/// elementwise node whose one reader is such an op of its shape is marked inline=true: it runs no
/// kernel and has no storage, and the kernel of the first reader down the chain that is not inlined
/// computes it from the chain's leaves, element by element:
///
///     s = unary(x, fn=sigmoid)                 s = unary(x, fn=sigmoid, inline=true)
///     m = binary(x, s, fn=mul)       ==>       m = binary(x, s, fn=mul, inline=true)
///     y = add(m)                               y = add(m)     one kernel: y = m(x, s(x)) + operand
///
/// The graph and the reference executor are unchanged: only which values reach memory is.
///
/// Cost model: it always pays. An inlined value saves writing and reading its bytes and a kernel
/// launch, and nothing is computed twice: its one reader has its shape, so reads it once per element.
/// A node stays a kernel of its own when it is a graph output, has several readers, is broadcast
/// by its reader (a value read at many elements would be recomputed at each), or is stored
/// channels-last (passes/ChannelsLast.h: the fused kernels read every value N,C,H,W), and after
/// kMaxInlined nodes a chain starts a new kernel (each one is an expression Halide compiles whole).
/// Returns whether any node was marked.
bool runElementwiseFusion(Graph &graph);

/// The most nodes one kernel computes inlined.
constexpr int kMaxInlined = 16;

}  // namespace deeper
