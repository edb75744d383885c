#include "passes/EpilogueFusion.h"

namespace deeper {
namespace {

/// The producer a relu can be folded into, or nullptr: one whose pattern kind takes elementwise
/// consumers into its epilogue and whose op table entry has a relu epilogue (conv, fc).
Node *fusableProducer(const Graph &graph, const Node &relu) {
  Node *producer = relu.inputs()[0];
  const OpInfo &op = producer->info();
  if (op.pattern != PatternKind::OutElementwiseFusable || !op.findAttr("relu")) return nullptr;
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
