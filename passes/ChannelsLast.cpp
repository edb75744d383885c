#include "passes/ChannelsLast.h"

#include <set>

namespace deeper {
namespace {

/// An in-place concat that its inputs may write channels-last: contiguous channel slices. Interleaved,
/// their channels lie k apart, which channels innermost would turn every vector store into a scatter.
bool isInPlaceConcat(const Node &node) {
  return node.op == OpKind::Concat && node.attrBool("in_place") && !node.attrBool("interleave");
}

/// Pools, lrn and relu keep their input's layout: both sides vectorise along channels, or both along rows.
bool followsInput(OpKind op) { return op == OpKind::MaxPool || op == OpKind::AvgPool || op == OpKind::Lrn || op == OpKind::Relu; }

/// Whether `value` (rank 4) has one pixel: N,C,1,1 is the same memory in either layout, so any
/// kernel reads it as N,C,H,W whatever its producer's layout says.
bool onePixel(const Node &value) { return value.shape.size() == 4 && value.shape[2] == 1 && value.shape[3] == 1; }

/// Kernels that read flat what they write and so keep a layout they are given: relu, and a binary
/// op of operands of its shape (stored as it is) and of one pixel per channel (a squeeze-and-
/// excitation gate, broadcast over the pixels).
bool keepsLayout(const Node &node) {
  if (node.op == OpKind::Relu) return true;
  if (node.op != OpKind::Binary || node.shape.size() != 4) return false;
  for (const Node *in : node.inputs())
    if (in->shape != node.shape && !(onePixel(*in) && in->shape[1] == node.shape[1])) return false;
  return true;
}

/// The values that could be stored nhwc on their own: the kind of node, its rank, and no output.
std::set<const Node *> candidates(const Graph &graph) {
  std::set<const Node *> outputs, chosen;
  for (const GraphOutput &o : graph.outputs()) outputs.insert(storageRoot(o.node));
  for (const auto &n : graph.nodes()) {
    bool kind = isWindowOp(n->op) || isInPlaceConcat(*n) || keepsLayout(*n);
    if (kind && n->shape.size() == 4 && !outputs.count(n.get())) chosen.insert(n.get());
  }
  return chosen;
}

/// Whether `reader` can read (or hold) a value stored nhwc, given the values still chosen.
bool readsChannelsLast(const Node &reader, const std::set<const Node *> &chosen) {
  if (isWindowOp(reader.op)) return true;
  if (isInPlaceConcat(reader) || keepsLayout(reader)) return chosen.count(&reader) > 0;
  if (reader.op != OpKind::Slice) return false;
  for (const Use &u : reader.uses())
    if (!isWindowOp(u.user->op)) return false;
  return true;
}

/// Whether `value` keeps its place among the chosen: its input chosen where it follows it (a relu's
/// read flat, so not through a slice), every input chosen for an in-place concat (window kernels all:
/// they write their slices through strides), and every reader reading nhwc.
bool staysChosen(const Node &value, const std::set<const Node *> &chosen) {
  if (followsInput(value.op)) {
    const Node *in = value.inputs()[0];
    if (!chosen.count(storageRoot(in)) || (value.op == OpKind::Relu && isAlias(*in))) return false;
  }
  if (value.op == OpKind::Binary)  // its operands of its shape stored nhwc, computed (read flat); the others one pixel
    for (const Node *in : value.inputs())
      if (in->shape == value.shape && (!chosen.count(in) || isAlias(*in))) return false;
  if (isInPlaceConcat(value))
    for (const Node *in : value.inputs())
      if (!chosen.count(in) || !isWindowOp(in->op)) return false;
  for (const Use &u : value.uses())
    if (!readsChannelsLast(*u.user, chosen)) return false;
  return true;
}

/// The values whose staysChosen may change when `value` leaves the chosen: those that follow it or are
/// written into it (its readers, also through aliases of it) and those it reads (it was their reader).
void dependents(const Node &value, std::vector<const Node *> &out) {
  for (const Node *in : value.inputs()) out.push_back(in);
  std::vector<const Node *> views{&value};
  while (!views.empty()) {
    const Node *v = views.back();
    views.pop_back();
    for (const Use &u : v->uses()) {
      out.push_back(u.user);
      if (isAlias(*u.user)) views.push_back(u.user);
    }
  }
}

}  // namespace

bool runChannelsLast(Graph &graph) {
  std::set<const Node *> chosen = candidates(graph);
  // Dropping a value can drop its concat, which drops the concat's other inputs: a worklist revisits
  // only the values next to a dropped one, so a long chain of drops costs its length, not its square.
  std::vector<const Node *> work(chosen.begin(), chosen.end());
  std::set<const Node *> queued(chosen.begin(), chosen.end());
  while (!work.empty()) {
    const Node *value = work.back();
    work.pop_back();
    queued.erase(value);
    if (!chosen.count(value) || staysChosen(*value, chosen)) continue;
    chosen.erase(value);
    std::vector<const Node *> next;
    dependents(*value, next);
    for (const Node *n : next)
      if (chosen.count(n) && queued.insert(n).second) work.push_back(n);
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
