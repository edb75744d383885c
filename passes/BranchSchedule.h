#pragma once

#include "ir/Branches.h"

namespace deeper {

/// The four branches of an inception module are independent until their concat. Run one after another,
/// each kernel splits its work over every thread and joins them again: on small maps (14x14, 7x7) the
/// fork/join and the uneven split cost a good part of each small kernel. Run side by side, the longest
/// branch takes lane 1 and keeps its parallel loops, the others run their kernels serially, one thread
/// per lane, without any fork/join; a thread whose lane is done joins lane 1's parallel loops (Halide's
/// thread pool runs nested parallel loops), so the lanes' imbalance costs little:
///
///     sequential:  [1x1 ══] [3x3 ════════] [5x5 ═] [pool ═] [proj ═]      every kernel on both threads
///     concurrent:  lane 1: [3x3 ═══════════════════|═══════]               parallel: thread 2 joins at |
///                  lane 2: [1x1 ══════] [5x5 ══] [proj ══]                 serial, one thread
///
/// Branches are assigned to lanes longest first (by multiply-adds). Kernels that several branches need
/// (sibling-merge's merged reduce) run before the lanes, with every thread. The cost model, with R
/// multiply-adds per second per thread and S seconds of fork/join per parallel kernel:
///
///     sequential = MACs / (kThreads * R) + S * (branch kernels)
///     concurrent = max(MACs / (kThreads * R) + S * (lane 1 kernels), MACs of the longest other lane / R)
///
/// and marks the concat branches=concurrent where that is the smaller: where lane 1 has work enough
/// to absorb the other lanes' threads when they finish. Returns whether any concat was marked.
bool runBranchSchedule(Graph &graph);

/// branch-schedule at every concat it can, whatever the cost model says: to measure it.
bool runBranchScheduleEverywhere(Graph &graph);

/// The concats of two or more branches: the sites of its decisions (passes/Decisions.h), which
/// overrule the cost model in both variants (a site whose kernels cannot form one group stays sequential).
std::vector<const Node *> branchScheduleSites(const Graph &graph);

/// The last node of each branch of those concats: the sites of the decisions "branch-lane <node>"
/// (yes: the branch runs in lane 1, which keeps its parallel loops; no: lane 2). Where a concurrent
/// concat has any decided, the pass writes every branch's lane (lanes=...), the undecided ones as
/// planned, unless lane 1 would be left empty.
std::vector<const Node *> branchLaneSites(const Graph &graph);

}  // namespace deeper
