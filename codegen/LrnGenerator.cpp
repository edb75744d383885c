// Local response normalisation across channels (Caffe): x / (k + alpha/size * sum x^2)^beta, the sum
// over the `size` channels centred on c, clipped to the channels that exist.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

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
  // beta = 0.75 (AlexNet's, GoogLeNet's) is scale^(1/2) * scale^(1/4): two square roots, not a pow
  // (an exp and a log per value).
  Expr denominator = lp.beta == 0.75 ? sqrt(scale) * sqrt(sqrt(scale)) : pow(scale, static_cast<float>(lp.beta));
  out(x, y, c, n) = input(x, y, c, n) / denominator;
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
