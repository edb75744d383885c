// Reductions over a run of adjacent axes: the input seen as (inner, reduced, middle, N), the output as
// (inner, middle, N). With values after the reduced axes (inner > 1, e.g. reducing channels) the
// vectors run along them, contiguous; reducing the trailing axes (a spatial mean: inner = 1) they run
// across the middle axis (channels), each lane summing its own channel's values.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateReduce(const Kernel &k, const std::vector<ImageParam> &p) {
  ReduceParams r = ReduceParams::of(*k.node);
  const OperandView &in = k.inputViews[0];
  Var i("i"), m("m"), n("n");
  RDom e(0, in.extent[1], "e");
  Expr x = p[0](i, e, m, n);
  Func out("reduce");
  switch (r.fn) {
    case ReduceFn::Mean: out(i, m, n) = sum(x) / static_cast<float>(in.extent[1]); break;
    case ReduceFn::Max: out(i, m, n) = maximum(x); break;
    case ReduceFn::Sum: out(i, m, n) = sum(x); break;
  }
  out.vectorize(in.extent[0] > 1 ? i : m, k.schedule.vector, TailStrategy::GuardWithIf);
  if (k.schedule.parallel) out.parallel(n);
  return out;
}

}  // namespace deeper::codegen
