#include "passes/BranchSchedule.h"

#include "ir/OpParams.h"

#include <algorithm>
#include <map>
#include <set>

namespace deeper {
namespace {

// Set for this 2-core AVX-512 machine, checked against branch-schedule-everywhere in bench/ablation.
constexpr double kMacsPerSecond = 60e9;     // R: one thread, a conv at ~55% of an AVX-512 core's FMA peak
constexpr double kForkJoinSeconds = 25e-6;  // S: a fork/join plus the uneven split of a small map's tasks
constexpr int kThreads = kBranchLanes;

/// Every node `node` needs, itself included.
std::set<const Node *> ancestors(const Node *node) {
  std::set<const Node *> seen;
  std::vector<const Node *> stack{node};
  while (!stack.empty()) {
    const Node *n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    for (const Node *in : n->inputs) stack.push_back(in);
  }
  return seen;
}

double macsOfAll(const std::vector<const Node *> &nodes) {
  double macs = 0;
  for (const Node *n : nodes) macs += static_cast<double>(macsOf(*n));
  return macs;
}

/// True when a node outside `module` lies between its first and last node and reads one of them.
bool interleaved(const Graph &graph, const std::set<const Node *> &module) {
  bool inside = false;
  size_t remaining = module.size();
  for (const auto &n : graph.nodes()) {
    if (module.count(n.get())) {
      inside = true;
      if (--remaining == 0) return false;
      continue;
    }
    if (!inside) continue;
    for (const Node *in : n->inputs)
      if (module.count(in)) return true;
  }
  return false;
}

bool isKernel(const Node &n) { return n.op != OpKind::Input && !isAlias(n) && !(n.op == OpKind::Concat && n.attrBool("in_place")); }

bool concurrentPays(const BranchLanes &b) {
  double total = 0, longestOther = 0;
  int kernels = 0, firstLaneKernels = 0;
  for (size_t l = 0; l < b.lanes.size(); ++l) {
    double macs = macsOfAll(b.lanes[l]);
    total += macs;
    if (l > 0) longestOther = std::max(longestOther, macs);
    for (const Node *n : b.lanes[l])
      if (isKernel(*n)) ++kernels, firstLaneKernels += l == 0;
  }
  double split = total / (kThreads * kMacsPerSecond);
  double sequential = split + kernels * kForkJoinSeconds;
  double concurrent = std::max(split + firstLaneKernels * kForkJoinSeconds, longestOther / kMacsPerSecond);
  return concurrent < sequential;
}

bool schedule(Graph &graph, bool everywhere) {
  bool changed = false;
  for (Node *concat : graph.nodesOfOp(OpKind::Concat)) {
    if (concat->attrWord("branches") == "concurrent" || concat->inputs.size() < 2) continue;
    BranchLanes b = branchLanes(graph, *concat);
    if (!b.schedulable || !(everywhere || concurrentPays(b))) continue;
    concat->attrs["branches"] = std::string("concurrent");
    changed = true;
  }
  return changed;
}

}  // namespace

BranchLanes branchLanes(const Graph &graph, const Node &concat) {
  std::vector<std::set<const Node *>> branches;
  std::map<const Node *, size_t> needed;  // by how many branches
  for (const Node *in : concat.inputs) {
    branches.push_back(ancestors(in));
    for (const Node *n : branches.back()) ++needed[n];
  }
  BranchLanes out;
  std::vector<std::vector<const Node *>> own(branches.size());
  std::set<const Node *> module;
  for (const auto &n : graph.nodes()) {
    auto it = needed.find(n.get());
    if (it == needed.end() || it->second == branches.size()) continue;  // not the module's, or before it
    module.insert(n.get());
    if (it->second > 1) {
      out.shared.push_back(n.get());
      continue;
    }
    for (size_t b = 0; b < branches.size(); ++b)
      if (branches[b].count(n.get())) own[b].push_back(n.get());
  }
  // Longest branch first, each to the lane with the least work so far.
  std::vector<size_t> order(branches.size());
  for (size_t b = 0; b < order.size(); ++b) order[b] = b;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return macsOfAll(own[a]) > macsOfAll(own[b]); });
  out.lanes.assign(std::min<size_t>(kBranchLanes, branches.size()), {});
  for (size_t b : order) {
    auto lightest = std::min_element(out.lanes.begin(), out.lanes.end(), [](const auto &x, const auto &y) { return macsOfAll(x) < macsOfAll(y); });
    lightest->insert(lightest->end(), own[b].begin(), own[b].end());
  }
  for (std::vector<const Node *> &lane : out.lanes) {  // back to graph order
    std::set<const Node *> members(lane.begin(), lane.end());
    lane.clear();
    for (const auto &n : graph.nodes())
      if (members.count(n.get())) lane.push_back(n.get());
  }
  out.schedulable = !module.empty() && !interleaved(graph, module);
  return out;
}

bool runBranchSchedule(Graph &graph) { return schedule(graph, false); }

bool runBranchScheduleEverywhere(Graph &graph) { return schedule(graph, true); }

}  // namespace deeper
