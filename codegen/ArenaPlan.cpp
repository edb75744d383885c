#include "codegen/ArenaPlan.h"

#include <algorithm>

namespace deeper {
namespace {

struct Interval {
  const Node *value;
  size_t first, last;  // steps
  int64_t bytes;
};

/// A value's bytes rounded up to the alignment: values placed at multiples of it stay aligned.
int64_t bytesOf(const Node &n, int64_t alignment) { return (checkedNumel(n.shape).value() * 4 + alignment - 1) / alignment * alignment; }

/// The steps each step may run alongside: itself, or (branch-schedule) its whole group of lanes.
std::vector<std::pair<size_t, size_t>> stepSpans(const std::vector<Kernel> &kernels) {
  std::vector<std::pair<size_t, size_t>> spans(kernels.size());
  for (size_t s = 0; s < kernels.size();) {
    size_t end = s + 1;
    if (kernels[s].group > 0)
      while (end < kernels.size() && kernels[end].group == kernels[s].group) ++end;
    for (size_t i = s; i < end; ++i) spans[i] = {s, end - 1};
    s = end;
  }
  return spans;
}

/// Lifetimes of arena values, in order of first write.
std::vector<Interval> lifetimes(const std::vector<Kernel> &kernels, const std::map<const Node *, Placement> &fixed, int64_t alignment) {
  std::map<const Node *, Interval> live;
  std::vector<const Node *> order;
  std::vector<std::pair<size_t, size_t>> spans = stepSpans(kernels);
  for (size_t step = 0; step < kernels.size(); ++step) {
    const Node *out = kernels[step].outputStorage;  // an in-place concat for the kernels writing its slices
    if (!fixed.count(out) && !live.count(out)) {
      live[out] = Interval{out, spans[step].first, spans[step].second, bytesOf(*out, alignment)};
      order.push_back(out);
    }
    for (const Node *in : kernels[step].inputs)
      if (live.count(in)) live[in].last = std::max(live[in].last, spans[step].second);
  }
  std::vector<Interval> out;
  for (const Node *n : order) out.push_back(live[n]);
  return out;
}

int64_t firstFit(const Interval &v, const std::vector<std::pair<Interval, int64_t>> &placed) {
  std::vector<std::pair<int64_t, int64_t>> busy;  // [begin, end) of values live at the same time
  for (const auto &[other, offset] : placed)
    if (other.first <= v.last && v.first <= other.last) busy.push_back({offset, offset + other.bytes});
  std::sort(busy.begin(), busy.end());
  int64_t candidate = 0;
  for (const auto &[begin, end] : busy) {
    if (candidate + v.bytes <= begin) break;
    candidate = std::max(candidate, end);
  }
  return candidate;
}

/// The input a kernel reads at exactly the index it writes, so that it may overwrite it, or -1: of a
/// Pointwise op, an input of the output's shape and layout (a broadcast operand, such as a
/// squeeze-and-excitation's per-channel scale, is read at other indices), no other input reading
/// other bytes of its storage (a slice of it). With nodes inlined, every node of the chain is
/// Pointwise and of the output's shape, so each reader of an input of that shape reads it at the
/// index written: its first leaf.
int overwritableInput(const Kernel &k) {
  const Node &n = *k.node;
  if (!n.info().has(optrait::Pointwise)) return -1;
  auto readsElsewhere = [&](size_t i) {
    for (size_t j = 0; j < k.inputs.size(); ++j)
      if (j != i && k.inputs[j] == k.inputs[i] &&
          (k.inputOffsets[j] != k.inputOffsets[i] || k.inputViews[j].extent != k.inputViews[i].extent || k.inputViews[j].stride != k.inputViews[i].stride))
        return true;
    return false;
  };
  if (!k.inlined.empty()) return chainLeaves(n).at(0)->shape == n.shape && !readsElsewhere(0) ? 0 : -1;
  for (size_t i = 0; i < k.inputs.size(); ++i)
    if (k.inputViews[i].extent == k.outputView.extent && k.inputViews[i].stride == k.outputView.stride && !readsElsewhere(i))
      return static_cast<int>(i);
  return -1;
}

/// The offset of the value `v` overwrites in place, or -1: a pointwise kernel whose overwritable input
/// is an arena value of the same size read for the last time by this very step, where nothing else lives.
int64_t inPlaceOffset(const Interval &v, const Kernel &k, const std::vector<std::pair<Interval, int64_t>> &placed) {
  const int input = k.outputStorage == k.node && !k.inputs.empty() ? overwritableInput(k) : -1;
  if (input < 0) return -1;
  for (const auto &[source, offset] : placed) {
    if (source.value != k.inputs[input] || source.last != v.first || source.bytes != v.bytes) continue;
    for (const auto &[other, at] : placed) {
      bool together = other.first <= v.last && v.first <= other.last;
      if (other.value != source.value && together && at < offset + v.bytes && offset < at + other.bytes) return -1;
    }
    return offset;
  }
  return -1;
}

}  // namespace

ArenaPlan planArena(const Graph &graph, const std::vector<Kernel> &kernels, int64_t alignment) {
  ArenaPlan plan;
  std::vector<Node *> inputs = graph.nodesOfOp(OpKind::Input);
  for (size_t i = 0; i < inputs.size(); ++i) plan.placement[inputs[i]] = Placement{Storage::Input, static_cast<int64_t>(i), bytesOf(*inputs[i], alignment)};
  for (size_t i = 0; i < graph.outputs().size(); ++i) {
    const Node *root = storageRoot(graph.outputs()[i].node);
    if (root->op == OpKind::Input || plan.placement.count(root))
      failAtNode(*graph.outputs()[i].node, "this output is a model input or another output; nothing to compute");
    plan.placement[root] = Placement{Storage::Output, static_cast<int64_t>(i), bytesOf(*root, alignment)};
  }
  std::vector<std::pair<Interval, int64_t>> placed;
  for (const Interval &v : lifetimes(kernels, plan.placement, alignment)) {
    int64_t offset = kernels[v.first].group == 0 ? inPlaceOffset(v, kernels[v.first], placed) : -1;
    if (offset < 0) offset = firstFit(v, placed);
    placed.push_back({v, offset});
    plan.placement[v.value] = Placement{Storage::Arena, offset, v.bytes};
    plan.arenaBytes = std::max(plan.arenaBytes, offset + v.bytes);
    plan.totalBytes += v.bytes;
  }
  for (const Kernel &k : kernels)  // slices of in-place concats: their concat's bytes, further in
    if (k.outputStorage != k.node) {
      Placement whole = plan.placement.at(k.outputStorage);
      plan.placement[k.node] = Placement{whole.storage, whole.offset + 4 * k.outputOffset, bytesOf(*k.node, alignment)};
    }
  return plan;
}

}  // namespace deeper
