// Decisions made outside the passes' cost models: by a person, or by `deeper tune`, which measures each
// one instead of modelling it. A decision names a pass, a site (the node the pass would change) and
// yes or no:
//
//   reduce-conv-fusion  inception_4a/3x3         yes: the 3x3 computes its reduce; no: the reduce stays a kernel
//   sibling-merge       inception_4a/3x3_reduce  yes: the module's 1x1 reduces run as one wider conv
//   pool-proj-fusion    inception_4a/pool_proj   yes: the projection computes its max pool
//   branch-schedule     inception_4a/output      yes: the module's branches run side by side in lanes
//   branch-lane         inception_4a/1x1         yes: that branch runs in lane 1 (decided by branch-schedule)
//
// Passes read them from Graph::decisions: a decided site follows its decision; an undecided one, the
// pass's cost model (an opt-in pass, when it runs, changes every site it can).
#pragma once

#include "ir/Graph.h"

#include <string>
#include <vector>

namespace deeper {

/// The passes decisions name, the first word of their keys. branch-lane is decided by branch-schedule;
/// the others are passes of Passes.def.
namespace decided {
inline constexpr const char kReduceConvFusion[] = "reduce-conv-fusion";
inline constexpr const char kSiblingMerge[] = "sibling-merge";
inline constexpr const char kPoolProjFusion[] = "pool-proj-fusion";
inline constexpr const char kBranchSchedule[] = "branch-schedule";
inline constexpr const char kBranchLane[] = "branch-lane";
}  // namespace decided

struct DecisionSite {
  std::string pass, node;
  std::string block;  ///< the node's block instance (module), "" at top level
};

/// "<pass> <node>": the key of a decision in Graph::decisions.
std::string decisionKey(const std::string &pass, const std::string &node);
/// The pass of a decision key: "branch-lane" for "branch-lane inception_4a/1x1".
std::string decisionPass(const std::string &key);

/// What graph.decisions says for `pass` at `node`, else `otherwise` (the pass's cost model).
bool decidedOr(const Graph &graph, const char *pass, const std::string &node, bool otherwise);

/// Every site of the passes above in `graph` as the cleanup passes leave it, in graph order.
std::vector<DecisionSite> decisionSites(const Graph &graph);

/// What the passes did at `site` in `optimised` (the graph after them): yes when they fused or ran the
/// branches in lanes. Reads back the cost models' choices as decisions.
bool carriedOut(const Graph &optimised, const DecisionSite &site);

/// The pipeline that carries out `decisions` on a graph whose sites are `sites`: the default pipeline,
/// plus each opt-in pass that some decision turns on, in its place; that pass's undecided sites are
/// decided "no" in `decisions`, so that it changes exactly the sites decided "yes".
std::vector<std::string> pipelineFor(const std::vector<DecisionSite> &sites, std::map<std::string, bool> &decisions);

}  // namespace deeper
