#include "passes/ConcatElision.h"

#include <set>

namespace deeper {
namespace {

bool writesSlices(OpKind op) {
  switch (op) {
    case OpKind::Conv:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::Lrn:
    case OpKind::Relu:
    case OpKind::Unary:
    case OpKind::BatchNorm:
    case OpKind::Fc: return true;
    default: return false;
  }
}

bool canElide(const Graph &graph, const Node &concat) {
  if (concat.attrBool("in_place") || concat.attrInt("axis") != 1 || graph.isOutput(&concat)) return false;
  // Interleaved, an input's channels lie k apart: only a window kernel's output view has a channel
  // axis of its own to space out (the others write rows of whole samples).
  bool interleave = concat.attrBool("interleave");
  std::set<const Node *> seen;
  for (const Node *in : concat.inputs()) {
    if (!writesSlices(in->op) || (interleave && !isWindowOp(in->op)) || !seen.insert(in).second) return false;
    if (!graph.hasSingleUse(in)) return false;
  }
  return true;
}

}  // namespace

bool runConcatElision(Graph &graph) {
  bool changed = false;
  for (Node *concat : graph.nodesOfOp(OpKind::Concat)) {
    if (!canElide(graph, *concat)) continue;
    concat->attrs["in_place"] = true;
    changed = true;
  }
  return changed;
}

}  // namespace deeper
