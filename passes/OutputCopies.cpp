#include "passes/OutputCopies.h"

#include "ir/ShapeFunctions.h"

#include <set>

namespace deeper {
namespace {

Node *appendCopy(Graph &graph, Node *value, const std::string &label) {
  std::string name = label + "/copy";
  for (int i = 2; graph.find(name); ++i) name = fmt::format("{}/copy{}", label, i);
  auto node = std::make_unique<Node>(OpKind::Copy, name, std::vector<Node *>{value});
  node->block = value->block;
  node->blockType = value->blockType;
  node->shape = inferShape(*node, graph.batch);
  return graph.append(std::move(node));
}

}  // namespace

bool runOutputCopies(Graph &graph) {
  bool changed = false;
  std::set<const Node *> claimed;  // storage roots already holding an output
  for (size_t i = 0; i < graph.outputs().size(); ++i) {
    const GraphOutput &o = graph.outputs()[i];
    const Node *root = storageRoot(o.node);
    if (root->op != OpKind::Input && !sliceOnAliasChain(o.node) && claimed.insert(root).second) continue;
    std::string label = o.label();
    Node *copy = appendCopy(graph, o.node, label);
    graph.setOutput(i, copy, label);
    claimed.insert(copy);
    changed = true;
  }
  return changed;
}

}  // namespace deeper
