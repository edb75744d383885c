#include "passes/ReduceConvFusion.h"

#include "ir/OpParams.h"
#include "passes/Decisions.h"

namespace deeper {
namespace {

/// Memory traffic against arithmetic on a CPU whose L2 holds the reduced tensor: one byte moved costs
/// about as much time as this many multiply-adds. Set so that the model fuses where fusing measured a
/// gain on this machine (conv2, 56x56, before its 3x3 ran as Winograd) and not where bench/ablation's
/// with-reduce-conv-fusion-everywhere measured a loss (the modules' 28x28 and smaller maps); not derived
/// from first principles.
constexpr double kMacsPerByte = 2.0;
constexpr int64_t kMinFusedRows = 28;

bool isReduce(const Graph &graph, const Node &node) {
  if (node.op != OpKind::Conv || !graph.hasSingleUse(&node)) return false;
  return ConvParams::of(node).isPlainPointwise();
}

/// The conv that can take in `conv`'s input as a fused reduce, or nullptr.
Node *fusableReduce(const Graph &graph, const Node &conv) {
  if (conv.op != OpKind::Conv) return nullptr;
  ConvParams p = ConvParams::of(conv);
  if (p.groups != 1 || p.inputMaxPool != 0 || p.reduce != 0) return nullptr;
  Node *reduce = conv.inputs()[0];
  return isReduce(graph, *reduce) ? reduce : nullptr;
}

bool pays(const Node &reduce, const Node &conv) {
  const Dims &s = reduce.shape;  // [N, R, H, W]
  ConvParams cp = ConvParams::of(conv);
  if (s[2] < kMinFusedRows || cp.winogradApplies()) return false;
  double reduceMacs = static_cast<double>(macsOf(reduce));
  double recompute = reduceMacs * static_cast<double>((cp.win.extentH() - 1) * kFusedRowBands) / static_cast<double>(s[2]);
  double saved = 2.0 * static_cast<double>(s[0] * s[1] * s[2] * s[3]) * 4.0 * kMacsPerByte;
  return saved > recompute;
}

void fuse(Graph &graph, Node &reduce, Node &conv) {
  if (!graph.weights.empty()) {
    graph.weights[tensorName(conv, Param::ConvReduceWeight)] = graph.weight(reduce, Param::ConvWeight);
    graph.weights[tensorName(conv, Param::ConvReduceBias)] = graph.biasOrZeros(reduce);
    graph.weights.erase(tensorName(reduce, Param::ConvWeight));
    graph.weights.erase(tensorName(reduce, Param::ConvBias));
  }
  conv.attrs["reduce"] = reduce.attrInt("out");
  conv.attrs["reduce_relu"] = reduce.attrBool("relu");
  absorb(conv, reduce);
  graph.setInput(&conv, 0, reduce.inputs()[0]);
}

bool fuseWhere(Graph &graph, bool everywhere) {
  bool changed = false;
  for (Node *conv : graph.nodesOfOp(OpKind::Conv)) {
    Node *reduce = fusableReduce(graph, *conv);
    if (!reduce || !decidedOr(graph, decided::kReduceConvFusion, conv->name, everywhere || pays(*reduce, *conv))) continue;
    fuse(graph, *reduce, *conv);
    changed = true;
  }
  if (changed) graph.removeDeadNodes();
  return changed;
}

}  // namespace

bool runReduceConvFusion(Graph &graph) { return fuseWhere(graph, false); }

std::vector<const Node *> reduceConvFusionSites(const Graph &graph) {
  std::vector<const Node *> sites;
  for (const Node *conv : graph.nodesOfOp(OpKind::Conv))
    if (fusableReduce(graph, *conv)) sites.push_back(conv);
  return sites;
}

bool runReduceConvFusionEverywhere(Graph &graph) { return fuseWhere(graph, true); }

}  // namespace deeper
