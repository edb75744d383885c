// A depthwise convolution (groups = input channels = output channels: each output channel filters its
// own input channel). 9 multiply-adds per output value is too little work for the dense conv's
// register tiles and padded input copy (MobileNetV2's depthwise layers ran at 5-18 GFLOP/s through
// them, MobileNetV3's at 3-4 where squeeze-and-excitation keeps them N,C,H,W). Stored channels-last,
// each output pixel is a row of channel vectors, each the sum of K*K input vectors times a vector of
// per-channel weights; taps outside the input read a clamped pixel and are zeroed by a select, in
// loops of border pixels only. Stored N,C,H,W, each output row is vectors of pixels, the sum of K*K rows of a zero-padded
// copy of the plane times one weight.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

bool isDepthwise(const Kernel &k) {
  ConvParams cp = ConvParams::of(*k.node);
  const OperandView &in = k.inputViews[0];
  bool depthwise = cp.groups > 1 && cp.groups == in.extent[2] && cp.out == cp.groups;
  bool plain = cp.reduce == 0 && cp.inputMaxPool == 0 && cp.outputMaxPool == 0;
  bool oneLayout = channelsLast(in) == channelsLast(k.outputView);
  return depthwise && plain && oneLayout && k.schedule.autoscheduler.empty() && !k.schedule.winograd;
}

Func generateDepthwiseConv(const Kernel &k, const std::vector<ImageParam> &p) {
  ConvParams cp = ConvParams::of(*k.node);
  const Window2d &w = cp.win;
  const OperandView &in = k.inputViews[0];
  const int width = in.extent[0], height = in.extent[1], channels = static_cast<int>(cp.out);
  const bool planes = !channelsLast(in);  // N,C,H,W: each channel a plane of its own
  Var x("x"), y("y"), c("c"), n("n"), t("tap");

  // The weights are one block (weightBlock): a channel vector's weights for a tap are one load, read
  // where it is needed (unpacked once per call, they were copied on one thread before any work).
  ImageParam packed = learned(k, p, Param::ConvWeight);
  Func weight("depthwise_weight");
  weight(c, t) = packed(c, 0, t, 0);

  // The input with zeros around it. In planes, whose rows are the vectors, it is a copy that makes
  // every tap a plain (possibly strided) row load, where clamped coordinates would make it a gather.
  // Channels-last it stays inline: its clamps and selects are tagged likely, so Halide splits each row
  // of pixels into the border, where taps fall outside, and the interior, where they vanish.
  Func padded = BoundaryConditions::constant_exterior(p[0], 0.0f, {{0, width}, {0, height}});
  Expr sum = cp.bias ? learned(k, p, Param::ConvBias)(c) : Expr(0.0f);
  for (int ky = 0; ky < w.kh; ++ky)
    for (int kx = 0; kx < w.kw; ++kx) {
      Expr ix = x * static_cast<int>(w.sw) + static_cast<int>(kx * w.dw - w.pw);
      Expr iy = y * static_cast<int>(w.sh) + static_cast<int>(ky * w.dh - w.ph);
      sum += padded(ix, iy, c, n) * weight(c, static_cast<int>(ky * w.kw + kx));
    }
  // An epilogue of an exp and a division per value (SiLU, sigmoid) holds ~10 constants in registers
  // (the exp's polynomial, masks): where they and the K*K weight vectors of the tap loop do not fit
  // together (32 vector registers on AVX-512, 16 on AVX2), it runs over a row of stored sums instead.
  // Measured (2026-12-02, EfficientNet-B0 at batch 1, 2 threads, AVX-512, alternating builds): its
  // 5x5 depthwise convs took 0.64-0.89x the time with sums stored; its 3x3 ones on 56x56 maps 1.07-1.2x
  // (their 9 weight vectors fit with the constants), so they keep the fused epilogue; the model 0.94-0.98x.
  constexpr int kExpConstants = 10;
  const int vectorRegisters = k.schedule.vector >= 16 ? 32 : 16;
  const bool expEpilogue = cp.activation == ConvActivation::Silu || cp.activation == ConvActivation::Sigmoid;
  const bool sumsFirst = !planes && expEpilogue && w.kh * w.kw + kExpConstants > vectorRegisters;
  Func sums("depthwise_sums");
  sums(x, y, c, n) = sum;
  Func out("depthwise");
  out(x, y, c, n) = convEpilogue(cp, p, sumsFirst ? sums(x, y, c, n) : sum, x, y, c, n);

  // The schedule. Channels-last: channel vectors innermost (contiguous loads of input, weights and
  // output), pixels, then tasks of rows (or, on maps of few rows, of channel ranges). Planes: vectors along each row, tasks of channel planes, the
  // padded plane computed inside its task.
  if (planes) {
    out.reorder(x, y, c, n);
    vectorizeRow(out, x, k.outputView.extent[0], k.schedule.vector);
    Var task = c;
    parallelOuter(out, k.schedule, c, n, channels, channels, &task);
    padded.compute_at(out, task);
    vectorizeRow(padded, padded.args()[0], width, k.schedule.vector);
    return out;
  }
  // Along a row of pixels for one channel vector at a time: its K*K weight vectors stay in registers
  // (25 of AVX-512's 32 for a 5x5) instead of being loaded again for every pixel.
  Var co("co"), ci("ci");
  const int lanes = rowVectorWidth(channels, k.schedule.vector), outHeight = k.outputView.extent[1];
  out.split(c, co, ci, lanes, TailStrategy::ShiftInwards).vectorize(ci);
  if (sumsFirst) sums.compute_at(out, co).reorder_storage(c, x, y, n).reorder(c, x, y, n).vectorize(c, lanes);
  if (outHeight >= kParallelTasks || !k.schedule.parallel) {
    out.reorder(ci, x, co, y, n);
    parallelOuter(out, k.schedule, y, n, outHeight);
    return out;
  }
  // Maps of few rows (7 on 2 threads left one idle a seventh of the time): tasks are ranges of channel
  // vectors over every row, whose loop then still splits into border and interior rows.
  const int vectors = (channels + lanes - 1) / lanes, ranges = std::min(vectors, kParallelTasks);
  Var range("range");
  out.split(co, range, co, (vectors + ranges - 1) / ranges, TailStrategy::GuardWithIf).reorder(ci, x, co, y, range, n);
  parallelOuter(out, k.schedule, range, n, ranges);
  return out;
}

}  // namespace deeper::codegen
