#pragma once

#include "ir/Graph.h"

#include <vector>

namespace deeper {

/// The four branches of an inception module are independent until their concat. Run one after another,
/// each kernel splits its work over every thread and joins them again: on small maps (14x14, 7x7) the
/// fork/join and the uneven split cost a good part of the kernel. Run side by side, each branch runs
/// its kernels on one thread, without any of that, but the module takes as long as its slowest lane:
///
///     sequential:  [1x1 ══] [3x3 ════════] [5x5 ═] [pool ═] [proj ═]      every kernel on both threads
///     concurrent:  lane 1: [3x3 ══════════════════]                        one thread per lane
///                  lane 2: [1x1 ══════] [5x5 ══] [pool ═] [proj ══]
///
/// Branches are assigned to lanes longest first (by multiply-adds). Kernels that several branches need
/// (sibling-merge's merged reduce) run before the lanes, with every thread. The cost model, with R
/// multiply-adds per second per thread and S seconds of fork/join and imbalance per parallel kernel:
///
///     sequential = sum over the branch kernels of (MACs / (kThreads * R) + S)
///     concurrent = max over the lanes of (MACs of its kernels / R)
///
/// and marks the concat branches=concurrent where that is the smaller. Batches of many images give
/// each kernel enough work to split well, so the model keeps them sequential. Returns whether any
/// concat was marked.
bool runBranchSchedule(Graph &graph);

/// branch-schedule at every concat it can, whatever the cost model says: to measure it.
bool runBranchScheduleEverywhere(Graph &graph);

/// Lanes (= threads) the concurrent schedule uses.
constexpr int kBranchLanes = 2;

/// How the branches of a concat split into lanes: nodes that more than one (but not every) branch
/// needs, and the nodes only one branch needs, by lane, each in graph order. `schedulable` is false
/// when a node outside the module sits between its nodes and reads one of them (the module's kernels
/// could not then run as one group).
struct BranchLanes {
  std::vector<const Node *> shared;
  std::vector<std::vector<const Node *>> lanes;
  bool schedulable = true;
};
BranchLanes branchLanes(const Graph &graph, const Node &concat);

}  // namespace deeper
