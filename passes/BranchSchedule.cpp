#include "passes/BranchSchedule.h"

#include "passes/Decisions.h"

#include <algorithm>

namespace deeper {
namespace {

// Set for this 2-core AVX-512 machine, checked against branch-schedule-everywhere in bench/ablation.
constexpr double kMacsPerSecond = 60e9;     // R: one thread, a conv at ~55% of an AVX-512 core's FMA peak
constexpr double kForkJoinSeconds = 25e-6;  // S: a fork/join plus the uneven split of a small map's tasks
constexpr int kThreads = kBranchLanes;

bool concurrentPays(const BranchLanes &b) {
  double total = 0, longestOther = 0;
  int kernels = 0, firstLaneKernels = 0;
  for (size_t l = 0; l < b.lanes.size(); ++l) {
    double macs = branchMacs(b.lanes[l]);
    total += macs;
    if (l > 0) longestOther = std::max(longestOther, macs);
    for (const Node *n : b.lanes[l])
      if (runsKernel(*n)) ++kernels, firstLaneKernels += l == 0;
  }
  double split = total / (kThreads * kMacsPerSecond);
  double sequential = split + kernels * kForkJoinSeconds;
  double concurrent = std::max(split + firstLaneKernels * kForkJoinSeconds, longestOther / kMacsPerSecond);
  return concurrent < sequential;
}

/// The lanes decided for the branches of `concat` ("branch-lane <branch>": yes, lane 1; no, lane 2),
/// the undecided ones where the plan `b` put them; none (the plan stays) when nothing is decided or
/// lane 1 would be left without a branch.
void decideLanes(const Graph &graph, Node &concat, const BranchLanes &b) {
  Dims lanes;
  bool decided = false;
  for (size_t i = 0; i < concat.inputs().size(); ++i) {
    auto it = graph.decisions.find(decisionKey(decided::kBranchLane, concat.inputs()[i]->name));
    decided = decided || it != graph.decisions.end();
    lanes.push_back(it == graph.decisions.end() ? b.laneOfBranch[i] : it->second ? 1 : 2);
  }
  if (decided && isLanePlan(lanes, concat.inputs().size())) concat.attrs["lanes"] = lanes;
}

bool schedule(Graph &graph, bool everywhere) {
  bool changed = false;
  for (Node *concat : graph.nodesOfOp(OpKind::Concat)) {
    if (concat->attrWord("branches") == "concurrent" || concat->inputs().size() < 2) continue;
    BranchLanes b = branchLanes(graph, *concat);
    if (!b.schedulable || !decidedOr(graph, decided::kBranchSchedule, concat->name, everywhere || concurrentPays(b))) continue;
    concat->attrs["branches"] = std::string("concurrent");
    decideLanes(graph, *concat, b);
    changed = true;
  }
  return changed;
}

}  // namespace

bool runBranchSchedule(Graph &graph) { return schedule(graph, false); }

bool runBranchScheduleEverywhere(Graph &graph) { return schedule(graph, true); }

std::vector<const Node *> branchLaneSites(const Graph &graph) {
  std::vector<const Node *> sites;
  for (const Node *concat : branchScheduleSites(graph))
    for (const Node *branch : concat->inputs())
      if (std::find(sites.begin(), sites.end(), branch) == sites.end()) sites.push_back(branch);
  return sites;
}

std::vector<const Node *> branchScheduleSites(const Graph &graph) {
  std::vector<const Node *> sites;
  for (const Node *concat : graph.nodesOfOp(OpKind::Concat))
    if (concat->inputs().size() >= 2) sites.push_back(concat);
  return sites;
}

}  // namespace deeper
