#include "passes/ChannelsLast.h"

#include <map>
#include <set>

namespace deeper {
namespace {

bool isInPlaceConcat(const Node &node) { return node.op == OpKind::Concat && node.attrBool("in_place"); }

using Users = std::map<const Node *, std::vector<const Node *>>;

Users usersOf(const Graph &graph) {
  Users users;
  for (const auto &n : graph.nodes())
    for (const Node *in : n->inputs) users[in].push_back(n.get());
  return users;
}

/// Pools, lrn and relu keep their input's layout: both sides vectorise along channels, or both along rows.
bool followsInput(OpKind op) { return op == OpKind::MaxPool || op == OpKind::AvgPool || op == OpKind::Lrn || op == OpKind::Relu; }

/// The values that could be stored nhwc on their own: the kind of node, its rank, and no output.
std::set<const Node *> candidates(const Graph &graph) {
  std::set<const Node *> outputs, chosen;
  for (const GraphOutput &o : graph.outputs) outputs.insert(storageRoot(o.node));
  for (const auto &n : graph.nodes()) {
    bool kind = isWindowOp(n->op) || isInPlaceConcat(*n) || n->op == OpKind::Relu;
    if (kind && n->shape.size() == 4 && !outputs.count(n.get())) chosen.insert(n.get());
  }
  return chosen;
}

/// Whether `reader` can read (or hold) a value stored nhwc, given the values still chosen.
bool readsChannelsLast(const Node &reader, const Users &users, const std::set<const Node *> &chosen) {
  if (isWindowOp(reader.op)) return true;
  if (isInPlaceConcat(reader) || reader.op == OpKind::Relu) return chosen.count(&reader) > 0;
  if (reader.op != OpKind::Slice) return false;
  auto it = users.find(&reader);
  if (it == users.end()) return true;
  for (const Node *r : it->second)
    if (!isWindowOp(r->op)) return false;
  return true;
}

/// Whether `value` keeps its place among the chosen: its input chosen where it follows it (a relu's
/// read flat, so not through a slice), every input chosen for an in-place concat (window kernels all:
/// they write their slices through strides), and every reader reading nhwc.
bool staysChosen(const Node &value, const Users &users, const std::set<const Node *> &chosen) {
  if (followsInput(value.op)) {
    const Node *in = value.inputs[0];
    if (!chosen.count(storageRoot(in)) || (value.op == OpKind::Relu && isAlias(*in))) return false;
  }
  if (isInPlaceConcat(value))
    for (const Node *in : value.inputs)
      if (!chosen.count(in) || !isWindowOp(in->op)) return false;
  auto it = users.find(&value);
  if (it == users.end()) return true;
  for (const Node *r : it->second)
    if (!readsChannelsLast(*r, users, chosen)) return false;
  return true;
}

}  // namespace

bool runChannelsLast(Graph &graph) {
  Users users = usersOf(graph);
  std::set<const Node *> chosen = candidates(graph);
  // Dropping a value can drop its concat, which drops the concat's other inputs: repeat until stable.
  for (bool dropped = true; dropped;) {
    dropped = false;
    for (auto it = chosen.begin(); it != chosen.end();) {
      if (staysChosen(**it, users, chosen)) {
        ++it;
        continue;
      }
      it = chosen.erase(it);
      dropped = true;
    }
  }
  bool changed = false;
  for (const auto &n : graph.nodes()) {
    if (!n->attrs.count("layout")) continue;
    std::string layout = chosen.count(n.get()) ? "nhwc" : "nchw";
    if (n->attrWord("layout") == layout) continue;
    n->attrs["layout"] = layout;
    changed = true;
  }
  return changed;
}

}  // namespace deeper
