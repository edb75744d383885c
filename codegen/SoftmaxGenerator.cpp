// Softmax along any axis, the tensor seen as (inner, axis, middle, outer): exp(x - max) / sum, the max
// subtracted so large logits cannot overflow. log=true: x - max - log(sum), which stays finite where the
// softmax itself rounds to 0.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateSoftmax(const Kernel &k, const std::vector<ImageParam> &p) {
  ImageParam input = p[0];
  Var i("i"), c("c"), m("m"), n("n");
  RDom r(0, k.inputViews[0].extent[1], "r");
  Func peak("peak"), e("e"), total("total"), out("softmax");
  peak(i, m, n) = maximum(input(i, r, m, n));
  e(i, c, m, n) = ieeeExp(input(i, c, m, n) - peak(i, m, n));
  total(i, m, n) = sum(e(i, r, m, n));
  if (k.node->attrBool("log")) out(i, c, m, n) = input(i, c, m, n) - peak(i, m, n) - ieeeLog(total(i, m, n));
  else out(i, c, m, n) = e(i, c, m, n) / total(i, m, n);
  if (k.schedule.gpu) {  // each thread finds its own maximum and sum along the axis: no sharing between threads yet
    gpuPerElement(out, k.schedule);
    return out;
  }
  peak.compute_at(out, m);
  total.compute_at(out, m);
  if (k.schedule.parallel) out.parallel(n);
  return out;
}

}  // namespace deeper::codegen
