#include "passes/BatchNormFolding.h"

#include "ir/OpParams.h"

#include <cmath>

namespace deeper {
namespace {

Node *foldableConv(const Graph &graph, const Node &bn) {
  Node *conv = bn.inputs()[0];
  if (conv->op != OpKind::Conv) return nullptr;
  ConvParams p = ConvParams::of(*conv);
  if (p.activated() || p.residual) return nullptr;
  if (!graph.hasSingleUse(conv)) return nullptr;
  return conv;
}

/// Rewrites the conv's weight and bias in graph.weights and drops the batchnorm's tensors.
void foldWeights(Graph &graph, const Node &conv, const Node &bn) {
  const Tensor &scale = graph.weight(bn, Param::BatchNormScale), &beta = graph.weight(bn, Param::BatchNormBias);
  const Tensor &mean = graph.weight(bn, Param::BatchNormMean), &var = graph.weight(bn, Param::BatchNormVar);
  Tensor &weight = graph.weights.at(tensorName(conv, Param::ConvWeight));
  int64_t out = weight.shape[0], perOutput = weight.numel() / out;
  Tensor bias = graph.biasOrZeros(conv);
  for (int64_t o = 0; o < out; ++o) {
    double s = scale.data[o] / std::sqrt(static_cast<double>(var.data[o]) + bn.attrFloat("epsilon"));
    for (int64_t i = 0; i < perOutput; ++i) weight.data[o * perOutput + i] = static_cast<float>(weight.data[o * perOutput + i] * s);
    bias.data[o] = static_cast<float>((bias.data[o] - mean.data[o]) * s + beta.data[o]);
  }
  graph.weights[tensorName(conv, Param::ConvBias)] = bias;
  for (const ParamInfo &param : bn.info().params) graph.weights.erase(tensorName(bn, param.param));
}

}  // namespace

bool runBatchNormFolding(Graph &graph) {
  bool changed = false;
  for (Node *bn : graph.nodesOfOp(OpKind::BatchNorm)) {
    Node *conv = foldableConv(graph, *bn);
    if (!conv) continue;
    if (!graph.weights.empty()) foldWeights(graph, *conv, *bn);
    conv->attrs["bias"] = true;
    absorb(*conv, *bn);
    graph.replaceAllUses(bn, conv);
    changed = true;
  }
  if (changed) graph.removeDeadNodes();
  return changed;
}

}  // namespace deeper
