// Concatenation along any axis, each tensor seen as (inner, axis, middle, outer). Each output index
// along the axis reads the one input that holds it (the index is clamped so every read stays in
// bounds; select keeps the right one).
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateConcat(const Kernel &k, const std::vector<ImageParam> &p) {
  Var i("i"), c("c"), m("m"), n("n");
  Expr value = 0.0f;
  int end = 0;
  std::vector<std::pair<Expr, Expr>> cases;
  for (size_t j = 0; j < k.inputViews.size(); ++j) {
    int extent = k.inputViews[j].extent[1], begin = end;
    end += extent;
    cases.push_back({c < end, p[j](i, clamp(c - begin, 0, extent - 1), m, n)});
  }
  for (auto it = cases.rbegin(); it != cases.rend(); ++it) value = select(it->first, it->second, value);
  Func out("concat");
  out(i, c, m, n) = value;
  out.vectorize(i, k.schedule.vector, TailStrategy::GuardWithIf);
  parallelOuter(out, k.schedule, c, n, k.outputView.extent[1]);
  return out;
}

}  // namespace deeper::codegen
