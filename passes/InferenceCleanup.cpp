#include "passes/InferenceCleanup.h"

#include <algorithm>

namespace deeper {
namespace {

bool dropTrainingOutputs(Graph &graph) {
  return graph.removeOutputs([](const GraphOutput &o) { return o.training; }) > 0;
}

bool bypassDropouts(Graph &graph) {
  std::vector<Node *> dropouts = graph.nodesOfOp(OpKind::Dropout);
  for (Node *d : dropouts) graph.replaceAllUses(d, d->inputs()[0]);
  return !dropouts.empty();
}

}  // namespace

bool runInferenceCleanup(Graph &graph) {
  bool changed = dropTrainingOutputs(graph);
  changed |= bypassDropouts(graph);
  changed |= graph.removeDeadNodes() > 0;
  return changed;
}

}  // namespace deeper
