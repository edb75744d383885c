#include "passes/ChannelShuffleFusion.h"

#include "ir/ShapeFunctions.h"

namespace deeper {
namespace {

/// The only reader of `node` (no graph output) when it is of op `op`, else nullptr.
Node *soleReader(const Graph &graph, const Node &node, OpKind op) {
  if (!graph.hasSingleUse(&node)) return nullptr;
  Node *reader = node.uses()[0].user;
  return reader->op == op ? reader : nullptr;
}

/// The last reshape of the shuffle after `concat`, or nullptr where the pattern does not hold.
Node *shuffleAfter(const Graph &graph, const Node &concat) {
  if (concat.attrInt("axis") != 1 || concat.attrBool("interleave") || concat.attrBool("in_place")) return nullptr;
  const int64_t k = static_cast<int64_t>(concat.inputs().size());
  const Dims &shape = concat.shape;
  if (k < 2 || shape.size() < 2) return nullptr;
  for (const Node *in : concat.inputs())
    if (in->shape[1] * k != shape[1]) return nullptr;
  Node *split = soleReader(graph, concat, OpKind::Reshape);
  if (!split || split->shape != splitAxis(shape, 1, k)) return nullptr;
  Node *transpose = soleReader(graph, *split, OpKind::Transpose);
  if (!transpose || transpose->attrDims("perm") != swapWithNextAxis(split->shape.size(), 1)) return nullptr;
  Node *merge = soleReader(graph, *transpose, OpKind::Reshape);
  if (!merge || merge->shape != shape) return nullptr;
  return merge;
}

}  // namespace

bool runChannelShuffleFusion(Graph &graph) {
  bool changed = false;
  for (Node *concat : graph.nodesOfOp(OpKind::Concat)) {
    Node *merge = shuffleAfter(graph, *concat);
    if (!merge) continue;
    Node *transpose = merge->inputs()[0], *split = transpose->inputs()[0];
    concat->attrs["interleave"] = true;
    for (const Node *view : {split, transpose, merge}) absorb(*concat, *view);
    graph.replaceAllUses(merge, concat);
    changed = true;
  }
  if (changed) graph.removeDeadNodes();
  return changed;
}

}  // namespace deeper
