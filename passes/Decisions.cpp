#include "passes/Decisions.h"

#include "passes/BranchSchedule.h"
#include "passes/PassManager.h"
#include "passes/PoolProjFusion.h"
#include "passes/ReduceConvFusion.h"
#include "passes/SiblingMerge.h"

#include <algorithm>
#include <set>

namespace deeper {

std::string decisionKey(const std::string &pass, const std::string &node) { return pass + " " + node; }

std::string decisionPass(const std::string &key) { return key.substr(0, key.find(' ')); }

bool decidedOr(const Graph &graph, const char *pass, const std::string &node, bool otherwise) {
  auto it = graph.decisions.find(decisionKey(pass, node));
  return it == graph.decisions.end() ? otherwise : it->second;
}

namespace {

/// The lane of branch `node` of the concurrent concat it feeds, or 0 when it feeds none.
int laneOf(const Graph &graph, const Node &node) {
  for (const Node *user : graph.users(&node)) {
    if (user->op != OpKind::Concat || user->attrWord("branches") != "concurrent") continue;
    BranchLanes b = branchLanes(graph, *user);
    for (size_t i = 0; i < user->inputs().size(); ++i)
      if (user->inputs()[i] == &node) return b.laneOfBranch[i];
  }
  return 0;
}

}  // namespace

std::vector<DecisionSite> decisionSites(const Graph &graph) {
  std::vector<std::pair<size_t, DecisionSite>> sites;
  auto add = [&](const char *pass, const std::vector<const Node *> &nodes) {
    for (const Node *n : nodes) sites.push_back({graph.position(n), DecisionSite{pass, n->name, n->block}});
  };
  add(decided::kReduceConvFusion, reduceConvFusionSites(graph));
  add(decided::kSiblingMerge, siblingMergeSites(graph));
  add(decided::kPoolProjFusion, poolProjFusionSites(graph));
  add(decided::kBranchSchedule, branchScheduleSites(graph));
  add(decided::kBranchLane, branchLaneSites(graph));
  std::stable_sort(sites.begin(), sites.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
  std::vector<DecisionSite> out;
  for (auto &s : sites) out.push_back(std::move(s.second));
  return out;
}

bool carriedOut(const Graph &optimised, const DecisionSite &site) {
  const Node *node = optimised.find(site.node);
  if (!node) return false;
  if (site.pass == decided::kReduceConvFusion) return node->op == OpKind::Conv && node->attrInt("reduce") != 0;
  if (site.pass == decided::kSiblingMerge) return node->op == OpKind::Slice;  // the site's name went to its slice
  if (site.pass == decided::kPoolProjFusion) return node->op == OpKind::Conv && node->attrInt("input_maxpool") != 0;
  if (site.pass == decided::kBranchLane) return laneOf(optimised, *node) == 1;
  return node->op == OpKind::Concat && node->attrWord("branches") == "concurrent";
}

std::vector<std::string> pipelineFor(const std::vector<DecisionSite> &sites, std::map<std::string, bool> &decisions) {
  std::vector<std::string> defaults = defaultPipeline(), pipeline;
  std::set<std::string> turnedOn;
  for (const DecisionSite &s : sites) {
    const PassInfo *pass = findPass(s.pass);
    auto it = decisions.find(decisionKey(s.pass, s.node));
    if (pass && pass->inclusion == PassInclusion::OptIn && it != decisions.end() && it->second) turnedOn.insert(s.pass);
  }
  for (const DecisionSite &s : sites)
    if (turnedOn.count(s.pass)) decisions.insert({decisionKey(s.pass, s.node), false});
  for (const PassInfo &p : allPasses())
    if (std::find(defaults.begin(), defaults.end(), p.name) != defaults.end() || turnedOn.count(p.name)) pipeline.push_back(p.name);
  return pipeline;
}

}  // namespace deeper
