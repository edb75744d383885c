// Plain-loop kernels for every op, with Caffe semantics; the oracle for generated code, so obviously
// correct before fast. Sums accumulate in double. Each kernel computes its own output shape (through the
// same windowOutputSize as the shape rules) and takes tensors in C order, N,C,H,W.
#pragma once

#include "ir/OpParams.h"
#include "support/Tensor.h"

#include <string>
#include <vector>

namespace deeper::reference {

/// `residual` (the output's shape, or nullptr) is added after the bias, before relu or the activation.
Tensor conv2d(const Tensor &x, const Tensor &weight, const Tensor *bias, const ConvParams &p, const Tensor *residual = nullptr);
/// Max over the window clipped to the input (padding is never selected).
/// Transposed convolution: each input pixel scatters weight times its value into the output.
Tensor convTranspose2d(const Tensor &x, const Tensor &weight, const Tensor *bias, const ConvTransposeParams &p);
Tensor maxPool2d(const Tensor &x, const PoolParams &p);
/// Sum over the window clipped to the input, divided by the window clipped to the padded input (or, with
/// excludePad, by the values inside the input).
Tensor avgPool2d(const Tensor &x, const PoolParams &p);
/// x / (k + alpha/size * sum of x^2 over the `size` channels centred on c)^beta.
Tensor lrn(const Tensor &x, const LrnParams &p);
Tensor relu(const Tensor &x);
/// fn(x) elementwise, in double precision.
Tensor unary(const Tensor &x, const UnaryParams &u);
/// unary's function of one value (the conv epilogue's activations use it too).
double unaryValue(const UnaryParams &u, double a);
/// (x - mean) / sqrt(var + epsilon) * scale + bias, per channel (axis 1).
Tensor batchNorm(const Tensor &x, const Tensor &scale, const Tensor &bias, const Tensor &mean, const Tensor &var, double epsilon);
/// Along `axis`, one input after another; interleaved (inputs of one extent), index j*k+i is input i's j.
Tensor concat(const std::vector<const Tensor *> &xs, int64_t axis, bool interleave = false);
/// Channels [begin, end) of x (axis 1).
Tensor sliceChannels(const Tensor &x, int64_t begin, int64_t end);
/// y[n,o] = bias[o] + sum_i weight[o,i] * x[n,i], x flattened per sample.
Tensor fullyConnected(const Tensor &x, const Tensor &weight, const Tensor *bias, bool applyRelu);
/// Softmax along `axis`; with `log`, its logarithm (x - max - log(sum exp(x - max))).
Tensor softmax(const Tensor &x, int64_t axis, bool log = false);
/// x above 0, slope[c] * x below, c the channel (axis 1).
Tensor prelu(const Tensor &x, const Tensor &slope);
/// y with axis d = x's axis perm[d].
Tensor transpose(const Tensor &x, const Dims &perm);
/// x repeated along its axes of size 1 to `shape` (of x's rank).
Tensor expand(const Tensor &x, const Dims &shape);
/// fn over the axes [first, last] of x, in double; the output has shape `out` (reduced axes kept as 1 or dropped).
Tensor reduce(const Tensor &x, const ReduceParams &r, const Dims &out);
Tensor reshape(const Tensor &x, const Dims &shape);

/// fn(a, b) elementwise, the shapes broadcast as numpy's.
Tensor binary(const Tensor &a, const Tensor &b, BinaryFn fn);
/// Grows axis d by pads[d] before and pads[d + rank] after: `value` (constant), the mirror image without
/// the edge (reflect) or the edge repeated (edge).
Tensor pad(const Tensor &x, const Dims &pads, const std::string &mode, float value);
/// numpy matmul of x (its last two axes swapped first when transA) and weight; stacks broadcast.
Tensor matmul(const Tensor &x, const Tensor &weight, bool transA);

}  // namespace deeper::reference
