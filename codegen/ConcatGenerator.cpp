// Concatenation along any axis, each tensor seen as (inner, axis, middle, outer). Each output index
// along the axis reads the one input that holds it (the index is clamped so every read stays in
// bounds; select keeps the right one); interleaved, the inputs take turns.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

namespace {

/// Interleaved (k inputs of one extent): index c is input c % k's index c / k. The axis loop is split
/// by k and unrolled, so each unrolled step's input is a constant and reads that input alone.
Func interleavedConcat(const Kernel &k, const std::vector<ImageParam> &p) {
  Var i("i"), c("c"), m("m"), n("n"), co("co"), ci("ci");
  const int inputs = static_cast<int>(p.size());
  Expr value = 0.0f;
  for (int j = inputs; j-- > 0;) value = select(c % inputs == j, p[j](i, c / inputs, m, n), value);
  Func out("concat");
  out(i, c, m, n) = value;
  if (k.schedule.gpu) {
    gpuPerElement(out, k.schedule);
    return out;
  }
  out.vectorize(i, k.schedule.vector, TailStrategy::GuardWithIf);
  out.split(c, co, ci, inputs, TailStrategy::RoundUp).unroll(ci);
  parallelOuter(out, k.schedule, co, n, k.inputViews[0].extent[1]);
  return out;
}

}  // namespace

Func generateConcat(const Kernel &k, const std::vector<ImageParam> &p) {
  if (k.node->attrBool("interleave")) return interleavedConcat(k, p);
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
  if (k.schedule.gpu) {  // a thread per element, which reads the one input holding it
    gpuPerElement(out, k.schedule);
    return out;
  }
  out.vectorize(i, k.schedule.vector, TailStrategy::GuardWithIf);
  parallelOuter(out, k.schedule, c, n, k.outputView.extent[1]);
  return out;
}

}  // namespace deeper::codegen
