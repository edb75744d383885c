#include "passes/ConcatElision.h"

#include "ir/ShapeFunctions.h"

#include <set>

namespace deeper {
namespace {

bool writesSlices(OpKind op) {
  switch (op) {
    case OpKind::Conv:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::Lrn:
    case OpKind::Relu:
    case OpKind::Unary:
    case OpKind::BatchNorm:
    case OpKind::Fc: return true;
    default: return false;
  }
}

/// Whether `in` (an input of `concat`) can be computed straight into its part of the concat: by a
/// kernel that writes slices, read by nothing else, and not an input seen before. Interleaved, its
/// channels lie k apart: only a window or copy kernel's output view has a channel axis of its own to
/// space out (the others write rows of whole samples).
bool writesInto(const Graph &graph, const Node &concat, const Node &in, std::set<const Node *> &seen) {
  bool kind = concat.attrBool("interleave") ? isWindowOp(in.op) || in.op == OpKind::Copy : writesSlices(in.op);
  return kind && graph.hasSingleUse(&in) && seen.insert(&in).second;
}

bool concatMayBeInPlace(const Graph &graph, const Node &concat) {
  return !concat.attrBool("in_place") && concat.attrInt("axis") == 1 && !graph.isOutput(&concat);
}

bool canElide(const Graph &graph, const Node &concat) {
  if (!concatMayBeInPlace(graph, concat)) return false;
  std::set<const Node *> seen;
  for (const Node *in : concat.inputs())
    if (!writesInto(graph, concat, *in, seen)) return false;
  return true;
}

/// An interleaving concat (a channel shuffle) of which some inputs cannot write into it themselves
/// (ShuffleNet's: a slice of the unit's input, and its branch's conv) copies them with copy kernels of
/// their own instead, each writing its planes k apart, so that the rest write theirs directly: one
/// pass over the inputs that need it, where a concat kernel made one over all of them. Returns
/// whether it did.
bool copyTheOthersIn(Graph &graph, Node &concat) {
  if (!concat.attrBool("interleave") || concat.shape.size() != 4 || !concatMayBeInPlace(graph, concat)) return false;
  std::set<const Node *> seen;
  std::vector<size_t> copied;
  for (size_t i = 0; i < concat.inputs().size(); ++i)
    if (!writesInto(graph, concat, *concat.inputs()[i], seen)) copied.push_back(i);
  if (copied.size() == concat.inputs().size()) return false;  // nothing would write itself: the concat kernel is as cheap
  for (size_t i : copied)
    graph.setInput(&concat, i, insertCopy(graph, concat.inputs()[i], fmt::format("{}/copy{}", concat.name, i), concat, &concat));
  return true;
}

}  // namespace

bool runConcatElision(Graph &graph) {
  bool changed = false;
  for (Node *concat : graph.nodesOfOp(OpKind::Concat)) {
    if (!canElide(graph, *concat) && !copyTheOthersIn(graph, *concat)) continue;
    concat->attrs["in_place"] = true;
    changed = true;
  }
  return changed;
}

}  // namespace deeper
