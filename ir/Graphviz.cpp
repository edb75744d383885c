#include "ir/Graphviz.h"

#include <map>

namespace deeper {
namespace {

std::string escaped(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string quoted(const std::string &s) { return "\"" + escaped(s) + "\""; }

/// A label of several lines: each escaped, joined by dot's own line break (the two characters \n,
/// which escaping a joined string would turn into a backslash and an n).
std::string lines(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string &p : parts) out += (out.empty() ? "" : "\\n") + escaped(p);
  return "\"" + out + "\"";
}

std::string nodeLine(const Node &n, const DotStyle &style) {
  bool fused = n.opLabel() != n.info().name;
  auto fill = style.fill.find(n.name);
  auto tooltip = style.tooltip.find(n.name);
  std::string shape = n.op == OpKind::Input ? "box" : fill != style.fill.end() ? "box, style=\"rounded,filled\"" : "box, style=rounded";
  return fmt::format("    {} [label={}, shape={}{}{}{}];\n", quoted(n.name), lines({n.name, n.opLabel(), dimsString(n.shape)}), shape,
                     fused ? ", peripheries=2, color=\"#1f5fbf\"" : "",
                     fill != style.fill.end() ? fmt::format(", fillcolor={}", quoted(fill->second)) : "",
                     tooltip != style.tooltip.end() ? fmt::format(", tooltip={}", quoted(tooltip->second)) : "");
}

}  // namespace

std::string graphToDot(const Graph &graph, const DotStyle &style) {
  std::string out = fmt::format("digraph {} {{\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n",
                                quoted(graph.name));
  std::map<std::string, std::vector<const Node *>> byBlock;
  for (const auto &n : graph.nodes()) byBlock[n->block].push_back(n.get());
  int cluster = 0;
  for (const auto &[block, nodes] : byBlock) {
    if (!block.empty())
      out += fmt::format("  subgraph cluster_{} {{\n    label={};\n    style=rounded;\n", cluster++,
                         quoted(fmt::format("{} ({})", block, nodes.front()->blockType)));
    for (const Node *n : nodes) out += nodeLine(*n, style);
    if (!block.empty()) out += "  }\n";
  }
  for (const auto &n : graph.nodes())
    for (const Node *in : n->inputs()) out += fmt::format("  {} -> {};\n", quoted(in->name), quoted(n->name));
  for (const GraphOutput &o : graph.outputs())
    out += fmt::format("  {} [shape=doubleoctagon, label={}];\n  {} -> {};\n", quoted("out:" + o.node->name),
                       quoted(fmt::format("output {}{}", o.label(), o.training ? " (training)" : "")), quoted(o.node->name),
                       quoted("out:" + o.node->name));
  return out + "}\n";
}

}  // namespace deeper
