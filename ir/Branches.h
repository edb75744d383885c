// The branches of a concat (an inception module): which nodes each of its inputs needs, and how they
// split into lanes that can run side by side. branch-schedule decides from this whether a module runs
// its branches concurrently; code generation places the kernels in their lanes from the same plan.
#pragma once

#include "ir/Graph.h"

#include <vector>

namespace deeper {

/// Lanes (= threads) the concurrent schedule uses.
constexpr int kBranchLanes = 2;

/// How the branches of a concat split into lanes: nodes that more than one (but not every) branch
/// needs, and the nodes only one branch needs, by lane, each in graph order. `schedulable` is false
/// when a node outside the module sits between its nodes and reads one of them (the module's kernels
/// could not then run as one group), and for modules too large to be worth the analysis: more than 64
/// branches, or thousands of edges (the analysis costs a bounded amount per concat, so a pass over
/// every concat stays linear in the graph's size).
struct BranchLanes {
  std::vector<const Node *> shared;
  std::vector<std::vector<const Node *>> lanes;
  std::vector<int> laneOfBranch;  ///< by concat input: its lane, 1-based
  bool schedulable = true;
};
/// The concat's `lanes` attribute places each branch; lanes=0 (the default) plans them: the longest
/// branch (by multiply-adds) first, each to the lane with the least work so far.
BranchLanes branchLanes(const Graph &graph, const Node &concat);

/// Whether `lanes` places each of `branches` branches in a lane, 1 to kBranchLanes, with lane 1 used.
bool isLanePlan(const Dims &lanes, size_t branches);

/// Multiply-adds of all of `nodes` (a lane's work).
double branchMacs(const std::vector<const Node *> &nodes);

}  // namespace deeper
