#include "passes/PoolProjFusion.h"

#include "ir/OpParams.h"
#include "passes/Decisions.h"

namespace deeper {
namespace {

/// K when `pool` is a KxK stride-1 same-size max pool, else 0.
int64_t sameSizeWindow(const Node &pool) {
  if (pool.op != OpKind::MaxPool) return 0;
  PoolParams p = PoolParams::of(pool);
  const Window2d &w = p.win;
  int64_t k = w.kh;
  bool square = w.kw == k && k % 2 == 1 && w.sh == 1 && w.sw == 1 && w.dh == 1 && w.dw == 1;
  bool same = w.ph == k / 2 && w.pw == k / 2 && w.phEnd == k / 2 && w.pwEnd == k / 2;
  return square && same ? k : 0;
}

bool fusable(const Graph &graph, const Node &conv) {
  const Node *pool = conv.inputs()[0];
  return sameSizeWindow(*pool) != 0 && conv.attrInt("input_maxpool") == 0 && graph.hasSingleUse(pool);
}

}  // namespace

std::vector<const Node *> poolProjFusionSites(const Graph &graph) {
  std::vector<const Node *> sites;
  for (const Node *conv : graph.nodesOfOp(OpKind::Conv))
    if (fusable(graph, *conv)) sites.push_back(conv);
  return sites;
}

bool runPoolProjFusion(Graph &graph) {
  bool changed = false;
  for (Node *conv : graph.nodesOfOp(OpKind::Conv)) {
    if (!fusable(graph, *conv) || !decidedOr(graph, decided::kPoolProjFusion, conv->name, true)) continue;
    Node *pool = conv->inputs()[0];
    int64_t k = sameSizeWindow(*pool);
    conv->attrs["input_maxpool"] = k;
    absorb(*conv, *pool);
    graph.setInput(conv, 0, pool->inputs()[0]);
    changed = true;
  }
  if (changed) graph.removeDeadNodes();
  return changed;
}

}  // namespace deeper
