// Local response normalisation across channels (Caffe): x / (k + alpha/size * sum x^2)^beta, the sum
// over the `size` channels centred on c, clipped to the channels that exist.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

namespace {

/// 1/sqrt(v) from the hardware estimate (rsqrt14 on AVX-512: 14 bits) and one Newton step (~full
/// single precision).
Expr refinedInverseSqrt(Expr v) {
  Expr r = fast_inverse_sqrt(v);
  return r * (1.5f - 0.5f * v * r * r);
}

}  // namespace

Func generateLrn(const Kernel &k, const std::vector<ImageParam> &p) {
  LrnParams lp = LrnParams::of(*k.node);
  int channels = k.inputViews[0].extent[2];
  int half = static_cast<int>(lp.size / 2);
  ImageParam input = p[0];
  Var x("x"), y("y"), c("c"), n("n");
  RDom r(-half, static_cast<int>(lp.size), "r");
  Expr cc = c + r;
  Func sumSq("sum_sq");
  bool alongChannels = channelsLast(k.inputViews[0]);
  Func squares("squares");  // channels innermost: squares zero-padded past both ends, read at shifted vectors
  if (alongChannels) {
    Func zeroOutside = BoundaryConditions::constant_exterior(input, 0.0f, {Range(), Range(), {0, channels}});
    squares(x, y, c, n) = zeroOutside(x, y, c, n) * zeroOutside(x, y, c, n);
    sumSq(x, y, c, n) = sum(squares(x, y, cc, n));
  } else {
    Expr v = input(x, y, clamp(cc, 0, channels - 1), n);
    sumSq(x, y, c, n) = sum(select(cc >= 0 && cc < channels, v * v, 0.0f));
  }
  Expr scale = static_cast<float>(lp.k) + static_cast<float>(lp.alpha / static_cast<double>(lp.size)) * sumSq(x, y, c, n);
  Func out("lrn");
  // beta = 0.75 (AlexNet's, GoogLeNet's): scale^-3/4 = r^2 * r^-1/2 with r = scale^-1/2, each inverse
  // square root the hardware estimate refined by a Newton step: multiplies and adds only (a square root
  // or a division costs ~10 cycles per vector, pow an exp and a log).
  if (lp.beta == 0.75) {
    Expr r = refinedInverseSqrt(scale);
    out(x, y, c, n) = input(x, y, c, n) * (r * r * refinedInverseSqrt(r));
  } else {
    out(x, y, c, n) = input(x, y, c, n) / pow(scale, static_cast<float>(lp.beta));
  }
  if (k.schedule.gpu) {  // each thread sums its own window of squares
    gpuPerElement(out, k.schedule);
    return out;
  }
  if (alongChannels) {
    out.reorder(c, x, y, n);
    vectorizeRow(out, c, channels, k.schedule.vector);
    Var row = parallelOuter(out, k.schedule, y, n, k.inputViews[0].extent[1]);
    squares.compute_at(out, row);
    channelsInnermost(squares, k.schedule.vector);
    return out;
  }
  vectorizeRow(out, x, k.inputViews[0].extent[0], k.schedule.vector);
  parallelOuter(out, k.schedule, c, n, channels);
  return out;
}

}  // namespace deeper::codegen
