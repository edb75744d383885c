#include "passes/ConvPoolFusion.h"

#include "ir/OpParams.h"

namespace deeper {
namespace {

/// The window K and stride S of `pool` when output_maxpool=K, output_maxpool_stride=S computes it
/// exactly: a square, unpadded, undilated max pool whose output has ceil mode's size.
std::optional<std::pair<int64_t, int64_t>> fusablePool(const Node &pool) {
  if (pool.op != OpKind::MaxPool) return std::nullopt;
  PoolParams p = PoolParams::of(pool);
  const Window2d &w = p.win;
  bool square = w.kh == w.kw && w.sh == w.sw && w.dh == 1 && w.dw == 1;
  bool unpadded = w.ph == 0 && w.pw == 0 && w.phEnd == 0 && w.pwEnd == 0;
  if (!square || !unpadded) return std::nullopt;
  const Dims &in = pool.inputs()[0]->shape;
  bool ceilSize = pool.shape[2] == windowOutputSize(in[2], w.kh, w.sh, 0, 0, true) &&
                  pool.shape[3] == windowOutputSize(in[3], w.kw, w.sw, 0, 0, true);
  if (!ceilSize) return std::nullopt;
  return std::make_pair(w.kh, w.sh);
}

/// The conv `pool` reads, when the pair can fuse.
Node *fusableConv(const Graph &graph, const Node &pool) {
  Node *conv = pool.inputs()[0];
  if (conv->op != OpKind::Conv || !graph.hasSingleUse(conv) || graph.isOutput(conv) || graph.isOutput(&pool)) return nullptr;
  ConvParams p = ConvParams::of(*conv);
  if (p.winogradApplies() || p.reduce != 0 || p.inputMaxPool != 0 || p.outputMaxPool != 0) return nullptr;
  return conv;
}

}  // namespace

bool runConvPoolFusion(Graph &graph) {
  bool changed = false;
  for (Node *pool : graph.nodesOfOp(OpKind::MaxPool)) {
    auto window = fusablePool(*pool);
    Node *conv = window ? fusableConv(graph, *pool) : nullptr;
    if (!conv) continue;
    conv->attrs["output_maxpool"] = window->first;
    conv->attrs["output_maxpool_stride"] = window->second;
    conv->shape = pool->shape;
    absorb(*conv, *pool);
    graph.replaceAllUses(pool, conv);
    changed = true;
  }
  if (changed) graph.removeDeadNodes();
  return changed;
}

}  // namespace deeper
