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

bool schedule(Graph &graph, bool everywhere) {
  bool changed = false;
  for (Node *concat : graph.nodesOfOp(OpKind::Concat)) {
    if (concat->attrWord("branches") == "concurrent" || concat->inputs().size() < 2) continue;
    BranchLanes b = branchLanes(graph, *concat);
    if (!b.schedulable || !decidedOr(graph, "branch-schedule", concat->name, everywhere || concurrentPays(b))) continue;
    concat->attrs["branches"] = std::string("concurrent");
    changed = true;
  }
  return changed;
}

}  // namespace

bool runBranchSchedule(Graph &graph) { return schedule(graph, false); }

bool runBranchScheduleEverywhere(Graph &graph) { return schedule(graph, true); }

std::vector<const Node *> branchScheduleSites(const Graph &graph) {
  std::vector<const Node *> sites;
  for (const Node *concat : graph.nodesOfOp(OpKind::Concat))
    if (concat->inputs().size() >= 2) sites.push_back(concat);
  return sites;
}

}  // namespace deeper
