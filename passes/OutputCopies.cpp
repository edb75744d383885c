#include "passes/OutputCopies.h"

#include "ir/ShapeFunctions.h"

#include <set>

namespace deeper {
namespace {

Node *appendCopy(Graph &graph, Node *value, const std::string &label) {
  std::string name = label + "/copy";
  for (int i = 2; graph.find(name); ++i) name = fmt::format("{}/copy{}", label, i);
  auto node = std::make_unique<Node>();
  node->op = OpKind::Copy;
  node->name = name;
  node->inputs = {value};
  node->block = value->block;
  node->blockType = value->blockType;
  node->shape = inferShape(*node, graph.batch);
  return graph.append(std::move(node));
}

}  // namespace

bool runOutputCopies(Graph &graph) {
  bool changed = false;
  std::set<const Node *> claimed;  // storage roots already holding an output
  for (GraphOutput &o : graph.outputs) {
    const Node *root = storageRoot(o.node);
    if (root->op != OpKind::Input && !sliceOnAliasChain(o.node) && claimed.insert(root).second) continue;
    std::string label = o.label();
    o.node = appendCopy(graph, o.node, label);
    o.name = label;
    claimed.insert(o.node);
    changed = true;
  }
  return changed;
}

}  // namespace deeper
