// matmul with a constant right operand: out(j, i, stack...) = sum_r x(r, i, stack...) * w(j, r, stack...)
// in Halide's innermost-first order, with x's last two axes swapped when trans_a; the stack axes
// broadcast as numpy's. Vectorised across output columns, which are contiguous in w and in out.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateMatMul(const Kernel &k, const std::vector<ImageParam> &p) {
  MatMulParams mp = MatMulParams::of(*k.node);
  const OperandView &xv = k.inputViews[0], &wv = learnedView(k, Param::MatMulWeight);
  std::vector<Var> vars = axisVars(k.outputView);  // j, i, stack...
  RDom r(0, wv.extent[1], "r");
  std::vector<Expr> xAt(vars.begin(), vars.end()), wAt(vars.begin(), vars.end());
  xAt[0] = mp.transA ? Expr(vars[1]) : Expr(r);
  xAt[1] = mp.transA ? Expr(r) : Expr(vars[1]);
  wAt[1] = r;
  xAt.resize(xv.extent.size());
  wAt.resize(wv.extent.size());
  // Stack axes an operand has with extent 1 broadcast; matrix axes are read as given.
  for (size_t d = 2; d < xAt.size(); ++d) xAt[d] = xv.extent[d] == 1 ? Expr(0) : xAt[d];
  for (size_t d = 2; d < wAt.size(); ++d) wAt[d] = wv.extent[d] == 1 ? Expr(0) : wAt[d];
  Func acc("acc"), out("matmul");
  acc(vars) = 0.0f;
  acc(vars) += p[0](xAt) * learned(k, p, Param::MatMulWeight)(wAt);
  out(vars) = acc(vars);
  if (k.schedule.gpu) {  // a thread per output, its sum in a register
    acc.compute_at(out, gpuPerElement(out, k.schedule));
    return out;
  }
  out.vectorize(vars[0], k.schedule.vector, TailStrategy::GuardWithIf);
  if (k.schedule.parallel) out.parallel(vars.back());
  acc.compute_at(out, vars[1]).vectorize(vars[0], k.schedule.vector, TailStrategy::GuardWithIf);
  acc.update().reorder(vars[0], r).vectorize(vars[0], k.schedule.vector, TailStrategy::GuardWithIf);
  return out;
}

}  // namespace deeper::codegen
