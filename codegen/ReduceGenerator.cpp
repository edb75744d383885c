// Reductions over a run of adjacent axes: the input seen as (inner, reduced, middle, N), the output as
// (inner, middle, N). With values after the reduced axes (inner > 1, e.g. reducing channels) the
// vectors run along them, contiguous. Reducing the trailing axes (a spatial mean: inner = 1), the
// reduced values of each output are contiguous: vectors run along them into a vector of partial
// results, folded into one at the end, and tasks take runs of outputs (channels). (Vectors across
// channels instead, each lane reading its own plane, gathered at 18 GB/s on EfficientNet's pools.)
#include "codegen/Generators.h"

#include <limits>

namespace deeper::codegen {

using namespace Halide;

namespace {

/// The reduction's combining step and the value it starts from.
Expr combine(ReduceFn fn, Expr a, Expr b) { return fn == ReduceFn::Max ? max(a, b) : a + b; }
Expr identity(ReduceFn fn) { return fn == ReduceFn::Max ? Expr(-std::numeric_limits<float>::infinity()) : Expr(0.0f); }

/// Inner = 1: each output reduces `extent` contiguous values, `lanes` at a time.
Func reduceRuns(const Kernel &k, const ImageParam &input, ReduceFn fn, int extent) {
  const int lanes = k.schedule.vector, whole = extent / lanes;
  Var i("i"), m("m"), n("n"), v("v");
  Func partial("reduce_lanes");
  partial(v, m, n) = identity(fn);
  if (whole > 0) {
    RDom step(0, whole, "step");
    partial(v, m, n) = combine(fn, partial(v, m, n), input(0, step * lanes + v, m, n));
  }
  Expr total = identity(fn);
  for (int lane = 0; lane < lanes; ++lane) total = combine(fn, total, partial(lane, m, n));
  for (int e = whole * lanes; e < extent; ++e) total = combine(fn, total, input(0, e, m, n));  // the tail, fewer than a vector
  Func out("reduce");
  out(i, m, n) = fn == ReduceFn::Mean ? total / static_cast<float>(extent) : total;

  const int outputs = k.outputView.extent[1], tasks = 8;
  Var mo("mo"), mi("mi");
  out.split(m, mo, mi, std::max(1, (outputs + tasks - 1) / tasks), TailStrategy::GuardWithIf);
  if (k.schedule.parallel) {
    Var task("task");
    out.fuse(mo, n, task).parallel(task);
  }
  partial.compute_at(out, mi).vectorize(v);
  if (whole > 0) partial.update().vectorize(v);
  return out;
}

}  // namespace

Func generateReduce(const Kernel &k, const std::vector<ImageParam> &p) {
  ReduceParams r = ReduceParams::of(*k.node);
  const OperandView &in = k.inputViews[0];
  if (!k.schedule.gpu && in.extent[0] == 1 && in.extent[1] >= k.schedule.vector) return reduceRuns(k, p[0], r.fn, in.extent[1]);
  Var i("i"), m("m"), n("n");
  RDom e(0, in.extent[1], "e");
  Expr x = p[0](i, e, m, n);
  Func out("reduce");
  switch (r.fn) {
    case ReduceFn::Mean: out(i, m, n) = sum(x) / static_cast<float>(in.extent[1]); break;
    case ReduceFn::Max: out(i, m, n) = maximum(x); break;
    case ReduceFn::Sum: out(i, m, n) = sum(x); break;
  }
  if (k.schedule.gpu) {  // each thread reduces its own run
    gpuPerElement(out, k.schedule);
    return out;
  }
  out.vectorize(in.extent[0] > 1 ? i : m, k.schedule.vector, TailStrategy::GuardWithIf);
  if (k.schedule.parallel) out.parallel(n);
  return out;
}

}  // namespace deeper::codegen
