// Typed views of node attributes, and the learned parameters each op owns. Shape functions, the
// reference executor, the summary and (later) code generation read attributes through these, so the
// meaning of "pad" or "ceil" is decided in one place.
#pragma once

#include "ir/Graph.h"

#include <limits>
#include <optional>

namespace deeper {

/// Kernel, stride and padding of a sliding window; ph/pw pad the top/left, phEnd/pwEnd the bottom/right;
/// taps are dh/dw apart (dilation), so the window spans extentH() x extentW().
struct Window2d {
  int64_t kh, kw, sh, sw, ph, pw, phEnd, pwEnd, dh = 1, dw = 1;
  int64_t extentH() const { return (kh - 1) * dh + 1; }
  int64_t extentW() const { return (kw - 1) * dw + 1; }
};

struct PoolParams {
  Window2d win;
  bool ceil;
  bool excludePad;  ///< avgpool: divide by the values inside the input only
  static PoolParams of(const Node &node);
};

/// conv_transpose: output pixel (oy, ox) takes input pixel (iy, ix) through tap (ky, kx) where
/// oy = iy * sh - ph + ky * dh (and so along x); the output is (in - 1) * stride + extent - pads +
/// output_padding long.
struct ConvTransposeParams {
  int64_t out;
  Window2d win;
  int64_t groups;
  int64_t outputPadH, outputPadW;
  bool bias;
  static ConvTransposeParams of(const Node &node);
  int64_t outputH(int64_t inH) const { return (inH - 1) * win.sh + win.extentH() - win.ph - win.phEnd + outputPadH; }
  int64_t outputW(int64_t inW) const { return (inW - 1) * win.sw + win.extentW() - win.pw - win.pwEnd + outputPadW; }
};

/// An activation a conv's epilogue applies after its bias (conv activation=..., epilogue-fusion): the
/// choices of the op table's word, in its order.
enum class ConvActivation { None, Sigmoid, Silu, HardSwish, HardSigmoid };
struct UnaryParams;

struct ConvParams {
  int64_t out;
  Window2d win;
  bool bias, relu;
  int64_t groups = 1;
  int64_t inputMaxPool = 0;  ///< K > 0: max pool KxK, stride 1, pad K/2 applied to the input first
  int64_t reduce = 0;        ///< R > 0: a 1x1 conv to R channels (with bias) applied to the input first
  bool reduceRelu = false;
  int64_t outputMaxPool = 0;     ///< K > 0: the output max-pooled KxK, stride outputPoolStride, unpadded, ceil mode
  int64_t outputPoolStride = 1;
  double reluMax = std::numeric_limits<float>::max();  ///< with relu: the epilogue's upper bound (ReLU6: 6)
  /// Whether relu_max bounds anything (a float can exceed it).
  bool reluBounded() const { return reluMax < std::numeric_limits<float>::max(); }
  bool residual = false;  ///< a second operand, of the output's shape, added after the bias and before relu/activation
  ConvActivation activation = ConvActivation::None;
  double activationAlpha = 0.2, activationBeta = 0.5;  ///< hardsigmoid's slope and offset
  /// Whether the epilogue changes the biased sum at all (relu or an activation).
  bool activated() const { return relu || activation != ConvActivation::None; }
  /// The unary function the activation is (SiLU: x times this sigmoid of x), so kernels and the
  /// reference spell each formula once, in their unary's; only for an activation other than None.
  UnaryParams activationUnary() const;

  /// The max pool input_maxpool stands for.
  PoolParams inputPool() const;
  /// The max pool output_maxpool stands for.
  PoolParams outputPool() const;
  /// The 1x1 conv `reduce` stands for.
  ConvParams reduceConv() const;
  /// A 1x1 conv, stride 1, unpadded, one group, reading its input as it is and writing its output as
  /// it is (no fused pool or reduce), its epilogue at most an unbounded relu (no residual):
  /// what sibling-merge merges and reduce-conv-fusion fuses.
  bool isPlainPointwise() const;
  /// 3x3 or 5x5, stride 1, no dilation, the output as large as the input (padding 1 or 2 on every side),
  /// one group, nothing fused into its input or output: what Winograd F(2x2,3x3), F(4x4,3x3) and
  /// F(2x2,5x5) compute (codegen/WinogradConv.cpp) with 2.25x, 4x and 2.8x fewer multiply-adds.
  bool winogradApplies() const;
  static ConvParams of(const Node &node);
};

/// The shape of `conv`'s own output, N,C,H,W: its value's shape, or with a fused output_maxpool the
/// shape before that pool. Multiply-adds, register tiles and rows are counted on it.
Dims convOutputShape(const Node &conv);

/// The row bands per image of a conv that computes its own input (reduce or input_maxpool): code
/// generation runs them as tasks, reduce-conv-fusion's cost model counts the halo each recomputes.
constexpr int kFusedRowBands = 4;

struct LrnParams {
  int64_t size;
  double alpha, beta, k;
  static LrnParams of(const Node &node);
};

struct FcParams {
  int64_t out;
  bool bias, relu;
  static FcParams of(const Node &node);
};

/// The function of a unary op (fn=...) and its parameters. Both function enums list the op table's
/// choices for fn in its order (ir/Ops.def), HardSwish and Min last.
enum class UnaryFn { Sigmoid, Tanh, Exp, Log, Sqrt, Neg, Abs, Erf, Clip, LeakyRelu, HardSigmoid, HardSwish };
struct UnaryParams {
  UnaryFn fn;
  double lo, hi, alpha, beta;
  static UnaryParams of(const Node &node);
};

/// The function of a binary op (fn=...) or of add, sub, mul and div with their constant.
enum class BinaryFn { Add, Sub, Mul, Div, Pow, Max, Min };
BinaryFn binaryFnOf(const Node &node);

/// A reduce's function (fn=..., in the op table's order of choices) and its run of axes [first, last].
enum class ReduceFn { Mean, Max, Sum };
struct ReduceParams {
  ReduceFn fn;
  int64_t first, last;
  bool keepdims;
  static ReduceParams of(const Node &node);
};

/// A stack of matrices [..., M, K] @ [..., K, N]: stack dims broadcast as numpy's.
struct MatMulParams {
  Dims weight;
  bool transA;
  static MatMulParams of(const Node &node);
};

/// Numpy broadcasting of two shapes aligned at the last axis; nullopt when they do not broadcast.
std::optional<Dims> broadcastShapes(const Dims &a, const Dims &b);

/// The output shape of reshape: [batch of its input, shape...], or shape itself when whole.
Dims reshapeTarget(const Node &node);

/// Output extent of a convolution (ceil=false) or pooling window along one axis. In ceil mode the last
/// window must start inside the input or its leading padding, as PyTorch and ONNX rule: otherwise it
/// would hold no input value (a kernel narrower than its stride), and is dropped. Caffe drops it only
/// when there is padding, and without fills it with -FLT_MAX (max) or divides by zero (average).
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t padBegin, int64_t padEnd, bool ceil);

/// A learned tensor of a node: `<node>.<role>` in weight files, e.g. "conv1/7x7_s2.weight".
struct ParamSpec {
  Param param;
  Dims shape;
  int64_t fanIn;  ///< inputs feeding one output, for initialisation
  const ParamInfo &info() const { return paramInfo(param); }
  const char *role() const { return info().role; }
  std::string tensorName(const Node &node) const { return deeper::tensorName(node, param); }
};

/// The parameters of `node` given its input shape, those of its op's table entry (ir/Ops.def) that it
/// has, in table order: conv weight [O,I/groups,KH,KW] (I: the fused reduce's
/// R channels when it has one, then reduce_weight [R,I,1,1] and reduce_bias [R]), fc weight [O,I], bias
/// [O]; batchnorm scale, bias, mean and var [C]; matmul weight and the arithmetic ops' operand as their
/// attributes say.
std::vector<ParamSpec> paramsOf(const Node &node);

/// Multiply-adds of one run of `node` at its shapes (conv, fc and matmul; 0 for other ops).
int64_t macsOf(const Node &node);

}  // namespace deeper
