#include "passes/OutputCopies.h"

#include "ir/ShapeFunctions.h"

#include <set>

namespace deeper {

bool runOutputCopies(Graph &graph) {
  bool changed = false;
  std::set<const Node *> claimed;  // storage roots already holding an output
  for (size_t i = 0; i < graph.outputs().size(); ++i) {
    const GraphOutput &o = graph.outputs()[i];
    const Node *root = storageRoot(o.node);
    if (root->op != OpKind::Input && !sliceOnAliasChain(o.node) && claimed.insert(root).second) continue;
    std::string label = o.label();
    Node *copy = insertCopy(graph, o.node, label + "/copy", *o.node, nullptr);
    graph.setOutput(i, copy, label);
    claimed.insert(copy);
    changed = true;
  }
  return changed;
}

}  // namespace deeper
