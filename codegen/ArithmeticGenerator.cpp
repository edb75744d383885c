// add, sub, mul and div with a constant operand, and binary's functions of two computed values,
// broadcast as numpy: the output has every axis of either operand; an operand axis of extent 1 (or one
// it lacks) repeats its value.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

namespace {

Expr apply(BinaryFn fn, Expr a, Expr b) {
  switch (fn) {
    case BinaryFn::Add: return a + b;
    case BinaryFn::Sub: return a - b;
    case BinaryFn::Mul: return a * b;
    case BinaryFn::Div: return a / b;
    case BinaryFn::Pow: return ieeePow(a, b);
    case BinaryFn::Max: return nanMax(a, b);
    case BinaryFn::Min: return nanMin(a, b);
  }
  return Expr();
}

}  // namespace

Func generateArithmetic(const Kernel &k, const std::vector<ImageParam> &p) {
  std::vector<Var> vars = axisVars(k.outputView);
  std::vector<Expr> at(vars.begin(), vars.end());
  Expr a = broadcastRead(p[0], k.inputViews[0], at), b;
  if (k.node->op == OpKind::Binary) {
    b = broadcastRead(p[1], k.inputViews[1], at);
  } else {
    const Param operand = k.node->info().params.at(0).param;  // the op's one learned tensor: add's AddOperand, ...
    b = broadcastRead(learned(k, p, operand), learnedView(k, operand), at);
    if (k.node->attrs.count("operand_first") && k.node->attrBool("operand_first")) std::swap(a, b);
  }
  Func out("arithmetic");
  out(vars) = apply(binaryFnOf(*k.node), a, b);
  scheduleElementwise(out, vars, k);
  return out;
}

}  // namespace deeper::codegen
