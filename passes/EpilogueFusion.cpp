#include "passes/EpilogueFusion.h"

namespace deeper {
namespace {

/// The conv or fc a relu can be folded into, or nullptr.
Node *fusableProducer(const Graph &graph, const Node &relu) {
  Node *producer = relu.inputs()[0];
  if (producer->op != OpKind::Conv && producer->op != OpKind::Fc) return nullptr;
  if (producer->attrBool("relu")) return nullptr;
  if (!graph.hasSingleUse(producer)) return nullptr;  // its pre-relu value is observable or needed
  return producer;
}

}  // namespace

bool runEpilogueFusion(Graph &graph) {
  bool changed = false;
  for (Node *relu : graph.nodesOfOp(OpKind::Relu)) {
    Node *producer = fusableProducer(graph, *relu);
    if (!producer) continue;
    producer->attrs["relu"] = true;
    absorb(*producer, *relu);
    graph.replaceAllUses(relu, producer);
    changed = true;
  }
  if (changed) graph.removeDeadNodes();
  return changed;
}

}  // namespace deeper
