#pragma once

#include "ir/Graph.h"

namespace deeper {

/// Conv + bias + activation become one kernel: an elementwise activation whose input is a conv (or,
/// for relu, an fc) that nothing else reads is folded into that producer's epilogue, and its uses are
/// redirected to the producer, which keeps its name (the BVLC layer name).
///
///     conv1/7x7_s2 = conv(data, ...)                 conv1/7x7_s2 = conv(data, ..., relu=true)
///     conv1/relu   = relu(conv1/7x7_s2)      ==>
///     pool1        = maxpool(conv1/relu, ...)        pool1 = maxpool(conv1/7x7_s2, ...)
///
/// What folds, and into what:
///   relu                                   -> relu=true (conv and fc)
///   clip to [0, hi], or [lo <= 0, hi] after a relu'd conv (ReLU6)   -> relu=true relu_max=hi
///   unary sigmoid | hardswish | hardsigmoid -> activation=... (conv; hardsigmoid keeps alpha, beta)
///   mul(c, sigmoid(c)), sigmoid read only there, c only by both (SiLU as exporters write it)
///                                          -> activation=silu
///   mul(c, hardsigmoid(c, alpha=1/6, beta=1/2)), the same way (hard-swish before opset 14)
///                                          -> activation=hardswish
///   add(c, r), r computed before c, of c's shape (a residual connection)
///                                          -> conv(x, r): r added after the bias, before the activation
///
///     c = conv(x, ...)                       c = conv(x, ..., activation=silu)
///     s = unary(c, fn=sigmoid)       ==>
///     m = binary(c, s, fn=mul)               (m's readers read c)
///
///     c = conv(x, ...)                       c = conv(x, r, ..., relu=true)
///     a = binary(c, r, fn=add)       ==>
///     y = relu(a)                            (y's readers read c)
///
/// A conv takes one activation: relu and activation are exclusive. So the convs of a chain meet
/// directly (and channels-last can store what they pass), and a ResNet block's add and relu cost no
/// pass over memory of their own. Returns whether anything was folded.
bool runEpilogueFusion(Graph &graph);

}  // namespace deeper
