#include "ir/Printer.h"

#include "ir/Names.h"

namespace deeper {

std::vector<std::string> printAttrs(const Node &node) {
  std::vector<std::string> out;
  for (const AttrSpec &spec : node.info().attrs) {
    const AttrValue &v = node.attrs.at(spec.name);
    if (spec.defaultText && v == spec.defaultValue()) continue;
    out.push_back(fmt::format("{}={}", spec.name, formatAttr(spec.type, v)));
  }
  return out;
}

std::string printNode(const Node &node) {
  std::vector<std::string> args;
  for (const Node *in : node.inputs()) args.push_back(printName(in->name));
  for (std::string &a : printAttrs(node)) args.push_back(std::move(a));
  std::string line = fmt::format("{} = {}({}) : f32[{}]", printName(node.name), node.info().name, fmt::join(args, ", "),
                                 fmt::join(node.shape, ","));
  if (!node.block.empty()) line += fmt::format(" @{}:{}", printName(node.block), printName(node.blockType));
  return line;
}

std::string printGraph(const Graph &graph) {
  std::string out = fmt::format("network {} batch={}\n", printName(graph.name), graph.batch);
  for (const auto &node : graph.nodes()) out += printNode(*node) + "\n";
  for (const GraphOutput &o : graph.outputs())
    out += fmt::format("output {}{}{}\n", printName(o.label()), o.name.empty() ? "" : " = " + printName(o.node->name), o.training ? " training" : "");
  return out;
}

}  // namespace deeper
