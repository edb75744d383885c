// Max and average pooling with Caffe semantics: ceil-mode windows clipped to the input; max never
// selects padding; average divides by the window clipped to the padded input.
#include "codegen/Generators.h"

#include <limits>

namespace deeper::codegen {

using namespace Halide;

Func generatePool(const Kernel &k, const std::vector<ImageParam> &p) {
  PoolParams pp = PoolParams::of(*k.node);
  const Window2d &w = pp.win;
  const OperandView &in = k.inputViews[0];
  int width = in.extent[0], height = in.extent[1];
  bool isMax = k.node->op == OpKind::MaxPool;
  Var x("x"), y("y"), c("c"), n("n");
  Func padded = BoundaryConditions::constant_exterior(p[0], isMax ? -std::numeric_limits<float>::infinity() : 0.0f,
                                                      {{0, width}, {0, height}});
  RDom r(0, static_cast<int>(w.kw), 0, static_cast<int>(w.kh), "r");
  Expr x0 = x * static_cast<int>(w.sw) - static_cast<int>(w.pw), y0 = y * static_cast<int>(w.sh) - static_cast<int>(w.ph);
  Expr value = padded(x0 + r.x * static_cast<int>(w.dw), y0 + r.y * static_cast<int>(w.dh), c, n);
  Func out(isMax ? "maxpool" : "avgpool");
  if (isMax) {
    out(x, y, c, n) = maximum(value);
  } else {
    Expr x1 = min(x0 + static_cast<int>(w.kw), width + static_cast<int>(w.pwEnd));
    Expr y1 = min(y0 + static_cast<int>(w.kh), height + static_cast<int>(w.phEnd));
    Expr count = (x1 - x0) * (y1 - y0);
    if (pp.excludePad) count = (min(x1, width) - max(x0, 0)) * (min(y1, height) - max(y0, 0));
    out(x, y, c, n) = sum(value) / cast<float>(count);
  }
  out.vectorize(x, k.schedule.vector, TailStrategy::GuardWithIf);
  parallelOuter(out, k.schedule, c, n);
  return out;
}

}  // namespace deeper::codegen
