#include "passes/EpilogueFusion.h"

#include "ir/OpParams.h"

#include <algorithm>

namespace deeper {
namespace {

/// The producer an elementwise `activation` (a relu, or a clip to [0, hi]: ReLU6) can be folded into, or
/// nullptr: one whose pattern kind takes elementwise consumers into its epilogue and whose op table
/// entry has the epilogue it needs (conv and fc: relu; conv: relu_max), that nothing else reads.
Node *fusableProducer(const Graph &graph, const Node &activation) {
  Node *producer = activation.inputs()[0];
  const OpInfo &op = producer->info();
  if (op.pattern != PatternKind::OutElementwiseFusable || !op.findAttr("relu")) return nullptr;
  if (!graph.hasSingleUse(producer)) return nullptr;  // its pre-activation value is observable or needed
  if (activation.op == OpKind::Relu) return producer->attrBool("relu") ? nullptr : producer;
  // clip(lo, hi) after relu, or with lo == 0 on its own, is relu bounded by hi
  if (activation.op != OpKind::Unary || !op.findAttr("relu_max")) return nullptr;
  UnaryParams u = UnaryParams::of(activation);
  bool relued = producer->attrBool("relu");
  if (u.fn != UnaryFn::Clip || u.hi < 0 || !(u.lo == 0 || (relued && u.lo < 0))) return nullptr;
  return producer;
}

void fold(Node &producer, const Node &activation) {
  producer.attrs["relu"] = true;
  if (activation.op == OpKind::Unary) producer.attrs["relu_max"] = std::min(producer.attrFloat("relu_max"), activation.attrFloat("hi"));
}

/// One sweep; the activations it folds stay (dead) until removed, still reading their producer.
bool foldSweep(Graph &graph) {
  bool changed = false;
  for (const auto &node : graph.nodes()) {
    if (node->op != OpKind::Relu && node->op != OpKind::Unary) continue;
    Node *producer = fusableProducer(graph, *node);
    if (!producer) continue;
    fold(*producer, *node);
    absorb(*producer, *node);
    graph.replaceAllUses(node.get(), producer);
    changed = true;
  }
  if (changed) graph.removeDeadNodes();
  return changed;
}

}  // namespace

bool runEpilogueFusion(Graph &graph) {
  bool changed = false;
  while (foldSweep(graph)) changed = true;  // a relu, then the clip after it
  return changed;
}

}  // namespace deeper
