#include "passes/InferenceCleanup.h"

#include <algorithm>

namespace deeper {
namespace {

bool dropTrainingOutputs(Graph &graph) {
  bool inference = std::any_of(graph.outputs().begin(), graph.outputs().end(), [](const GraphOutput &o) { return !o.training; });
  if (!inference && !graph.outputs().empty())
    fail(fmt::format("every output of '{}' is training-only ('{}'...), so inference computes nothing", graph.name, graph.outputs()[0].label()) +
         "\nnote: declare an output without 'training', e.g. 'output prob'");
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
