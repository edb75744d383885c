// add, sub, mul and div with a constant operand, broadcast as numpy: the output has every axis of
// either operand; an operand axis of extent 1 (or one it lacks) repeats its value.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateArithmetic(const Kernel &k, const std::vector<ImageParam> &p) {
  std::vector<Var> vars = axisVars(k.outputView);
  std::vector<Expr> at(vars.begin(), vars.end());
  const Param operand = k.node->info().params.at(0).param;  // the op's one learned tensor: add's AddOperand, ...
  Expr x = broadcastRead(p[0], k.inputViews[0], at), c = broadcastRead(learned(k, p, operand), learnedView(k, operand), at);
  bool first = k.node->attrs.count("operand_first") && k.node->attrBool("operand_first");
  Expr a = first ? c : x, b = first ? x : c;
  Func out("arithmetic");
  switch (k.node->op) {
    case OpKind::Add: out(vars) = a + b; break;
    case OpKind::Sub: out(vars) = a - b; break;
    case OpKind::Mul: out(vars) = a * b; break;
    case OpKind::Div: out(vars) = a / b; break;
    default: DEEPER_CHECK(false, "'{}' is not arithmetic", k.node->name);
  }
  out.vectorize(vars[0], k.schedule.vector, TailStrategy::GuardWithIf);
  if (k.schedule.parallel && vars.size() > 1) out.parallel(vars.back());
  return out;
}

}  // namespace deeper::codegen
