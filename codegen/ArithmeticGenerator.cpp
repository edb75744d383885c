// add, sub, mul and div with a constant operand, and binary's functions of two computed values,
// broadcast as numpy: the output has every axis of either operand; an operand axis of extent 1 (or one
// it lacks) repeats its value. And every elementwise op's value at one element (pointwiseValue), which
// these kernels, relu's, unary's, prelu's and the fused chains' (ChainGenerator.cpp) share.
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

Expr pointwiseValue(const Node &node, Expr a, Expr b) {
  switch (node.op) {
    case OpKind::Relu: return max(a, 0.0f);
    case OpKind::Unary: return applyUnary(UnaryParams::of(node), a);
    case OpKind::PRelu: return select(a > 0.0f, a, b * a);
    case OpKind::Binary: return apply(binaryFnOf(node), a, b);
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
      if (node.attrs.count("operand_first") && node.attrBool("operand_first")) std::swap(a, b);
      return apply(binaryFnOf(node), a, b);
    default: DEEPER_CHECK(false, "{} is no elementwise op", node.info().name);
  }
  return Expr();
}

Func generateArithmetic(const Kernel &k, const std::vector<ImageParam> &p) {
  std::vector<Var> vars = axisVars(k.outputView);
  std::vector<Expr> at(vars.begin(), vars.end());
  Expr a = broadcastRead(p[0], k.inputViews[0], at), b;
  if (k.node->op == OpKind::Binary) {
    b = broadcastRead(p[1], k.inputViews[1], at);
  } else {
    const Param operand = k.node->info().params.at(0).param;  // the op's one learned tensor: add's AddOperand, ...
    b = broadcastRead(learned(k, p, operand), learnedView(k, operand), at);
  }
  Func out("arithmetic");
  out(vars) = pointwiseValue(*k.node, a, b);
  scheduleElementwise(out, vars, k);
  return out;
}

}  // namespace deeper::codegen
