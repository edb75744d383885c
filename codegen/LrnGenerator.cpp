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
  Expr v = input(x, y, clamp(cc, 0, channels - 1), n);
  Func sumSq("sum_sq");
  sumSq(x, y, c, n) = sum(select(cc >= 0 && cc < channels, v * v, 0.0f));
  Expr scale = static_cast<float>(lp.k) + static_cast<float>(lp.alpha / static_cast<double>(lp.size)) * sumSq(x, y, c, n);
  Func out("lrn");
  // beta = 0.75 (AlexNet's, GoogLeNet's) is scale^(1/2) * scale^(1/4): two square roots, not a pow
  // (an exp and a log per value).
  Expr denominator = lp.beta == 0.75 ? sqrt(scale) * sqrt(sqrt(scale)) : pow(scale, static_cast<float>(lp.beta));
  out(x, y, c, n) = input(x, y, c, n) / denominator;
  vectorizeRow(out, x, k.inputViews[0].extent[0], k.schedule.vector);
  parallelOuter(out, k.schedule, c, n, channels);
  return out;
}

}  // namespace deeper::codegen
