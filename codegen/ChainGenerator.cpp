// A chain of elementwise ops in one kernel (passes/ElementwiseFusion.h): the inlined nodes' values
// are expressions, composed at each output element, and only the last node's reaches memory.
//
// The algorithm: every node of the chain has the output's shape, so all are evaluated at the same
// element `at`: by every axis, innermost first, or where no op of the chain tells axes apart (no
// broadcast, no prelu) at each sample's elements as one row (codegen/Kernel.cpp chooses). The leaves
// are read there through numpy's broadcasting (a leaf of fewer or size-1 axes repeats), a constant
// operand likewise, a prelu's slope at the element's channel (axis 1). The schedule: vectors along
// the innermost dimension, tasks of the outermost.
#include "codegen/Generators.h"

#include <map>

namespace deeper::codegen {

using namespace Halide;

namespace {

/// Operand b of `node` at `at` (see pointwiseValue): input 1, or its learned tensor.
Expr secondOperand(const Kernel &k, const std::vector<ImageParam> &p, const Node &node, const std::vector<Expr> &at,
                   const std::map<const Node *, Expr> &value) {
  if (node.inputs().size() > 1) return value.at(node.inputs()[1]);
  if (node.info().params.empty()) return Expr();  // relu, unary
  const Param param = node.info().params.at(0).param;  // the op's one learned tensor: add's AddOperand, prelu's slope
  ImageParam tensor = learned(k, p, param, &node);
  if (node.op == OpKind::PRelu) return tensor(at.at(at.size() - 2));  // axis 1 of N,C,...: Halide's second outermost
  return broadcastRead(tensor, learnedView(k, param, &node), at);
}

}  // namespace

Func generateChain(const Kernel &k, const std::vector<ImageParam> &p) {
  std::vector<Var> vars = axisVars(k.outputView);
  std::vector<Expr> at(vars.begin(), vars.end());
  std::map<const Node *, Expr> value;
  std::vector<const Node *> leaves = chainLeaves(*k.node);
  DEEPER_CHECK(leaves.size() == k.inputs.size(), "'{}' reads {} values through {} inputs", k.node->name, leaves.size(), k.inputs.size());
  for (size_t i = 0; i < leaves.size(); ++i) value[leaves[i]] = broadcastRead(p[i], k.inputViews[i], at);
  auto compute = [&](const Node &node) {
    return pointwiseValue(node, value.at(node.inputs()[0]), secondOperand(k, p, node, at, value));
  };
  for (const Node *node : k.inlined) value[node] = compute(*node);
  Func out("chain");
  out(vars) = compute(*k.node);
  scheduleElementwise(out, vars, k);
  return out;
}

}  // namespace deeper::codegen
