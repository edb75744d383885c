#include "passes/ElementwiseFusion.h"

#include <map>

namespace deeper {

bool runElementwiseFusion(Graph &graph) {
  std::map<const Node *, int> computed;  // nodes each kernel computes so far: itself and those inlined into it
  bool changed = false;
  for (const auto &node : graph.nodes()) {  // producers before readers: a reader's count includes its chain
    Node &producer = *node;
    if (!whyNotInlinable(graph, producer).empty()) {
      if (isInlined(producer)) producer.attrs["inline"] = false, changed = true;  // a pass since made it a kernel's own again
      continue;
    }
    const Node &reader = *producer.uses()[0].user;
    const bool already = isInlined(producer);  // a graph through the passes again
    int size = computed.emplace(&producer, 1).first->second, &into = computed.emplace(&reader, 1).first->second;
    if (!already && into + size > kMaxInlined + 1) continue;
    into += size;
    if (!already) producer.attrs["inline"] = true, changed = true;
  }
  return changed;
}

}  // namespace deeper
