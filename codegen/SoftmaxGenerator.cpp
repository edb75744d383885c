// Softmax along channels: exp(x - max) / sum, the max subtracted so large logits cannot overflow.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateSoftmax(const Kernel &k, const std::vector<ImageParam> &p) {
  ImageParam input = p[0];
  Var i("i"), c("c"), n("n");
  RDom r(0, k.inputViews[0].extent[1], "r");
  Func peak("peak"), e("e"), total("total"), out("softmax");
  peak(i, n) = maximum(input(i, r, n));
  e(i, c, n) = exp(input(i, c, n) - peak(i, n));
  total(i, n) = sum(e(i, r, n));
  out(i, c, n) = e(i, c, n) / total(i, n);
  peak.compute_at(out, n);
  total.compute_at(out, n);
  if (k.schedule.parallel) out.parallel(n);
  return out;
}

}  // namespace deeper::codegen
