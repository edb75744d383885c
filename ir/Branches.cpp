#include "ir/Branches.h"

#include "ir/OpParams.h"

#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace deeper {
namespace {

// The walk below costs at most this many operand and use visits per concat, so analysing every
// concat of a graph stays linear in its size. An inception module has ~12 nodes and ~20 edges;
// larger ones are not scheduled side by side.
constexpr int kMaxBranches = 64;  // one bit each in a mask
constexpr size_t kMaxModuleEdges = 4096;

using BranchMask = uint64_t;

double sumOfMacs(const std::vector<const Node *> &nodes) {
  double macs = 0;
  for (const Node *n : nodes) macs += static_cast<double>(macsOf(*n));
  return macs;
}

/// Which branches of `concat` need each node of its module: walking back from the concat in reverse
/// graph order, a node's mask is final when it is reached (all its readers come later), and a node
/// every branch needs lies before the module, as do its inputs. The walk stops once only such nodes
/// are left to visit. Returns false past kMaxModuleEdges.
bool moduleMasks(const Graph &graph, const Node &concat, std::vector<std::pair<const Node *, BranchMask>> &module, size_t &edges) {
  size_t branches = concat.inputs().size();
  BranchMask all = branches == 64 ? ~BranchMask(0) : (BranchMask(1) << branches) - 1;
  std::unordered_map<const Node *, BranchMask> mask;
  std::priority_queue<std::pair<size_t, const Node *>> pending;  // latest first
  size_t partial = 0;  // pending nodes some branch does not need yet
  auto reach = [&](const Node *n, BranchMask m) {
    auto [it, fresh] = mask.emplace(n, 0);
    bool wasPartial = !fresh && it->second != all;
    it->second |= m;
    if (fresh) pending.push({graph.position(n), n});
    partial += it->second != all;
    partial -= wasPartial;
  };
  for (size_t b = 0; b < branches; ++b) reach(concat.inputs()[b], BranchMask(1) << b);
  while (partial > 0) {
    auto [position, n] = pending.top();
    pending.pop();
    BranchMask m = mask[n];
    if (m != all) {
      --partial;
      module.push_back({n, m});
    }
    for (const Node *in : n->inputs()) {
      if (++edges > kMaxModuleEdges) return false;
      reach(in, m);
    }
  }
  return true;
}

/// True when a node outside `module` reads one of its nodes before the module's last node: the
/// module's kernels could not then run as one group.
bool interleaved(const Graph &graph, const std::unordered_set<const Node *> &module, size_t last, size_t &edges) {
  for (const Node *n : module)
    for (const Use &u : n->uses()) {
      if (++edges > kMaxModuleEdges) return true;
      if (!module.count(u.user) && graph.position(u.user) < last) return true;
    }
  return false;
}

void sortByPosition(const Graph &graph, std::vector<const Node *> &nodes) {
  std::sort(nodes.begin(), nodes.end(), [&](const Node *a, const Node *b) { return graph.position(a) < graph.position(b); });
}

}  // namespace

double branchMacs(const std::vector<const Node *> &nodes) { return sumOfMacs(nodes); }

bool isLanePlan(const Dims &lanes, size_t branches) {
  return lanes.size() == branches && std::all_of(lanes.begin(), lanes.end(), [](int64_t l) { return l >= 1 && l <= kBranchLanes; }) &&
         std::count(lanes.begin(), lanes.end(), 1) > 0;
}

BranchLanes branchLanes(const Graph &graph, const Node &concat) {
  BranchLanes out;
  size_t branches = concat.inputs().size();
  std::vector<std::pair<const Node *, BranchMask>> module;
  size_t edges = 0;
  if (branches < 2 || branches > kMaxBranches || !moduleMasks(graph, concat, module, edges) || module.empty()) {
    out.schedulable = false;
    return out;
  }
  std::vector<std::vector<const Node *>> own(branches);
  std::unordered_set<const Node *> members;
  size_t last = 0;
  for (const auto &[n, m] : module) {
    members.insert(n);
    last = std::max(last, graph.position(n));
    if (m & (m - 1)) out.shared.push_back(n);  // more than one branch needs it
    else own[static_cast<size_t>(__builtin_ctzll(m))].push_back(n);
  }
  sortByPosition(graph, out.shared);
  out.lanes.assign(std::min<size_t>(kBranchLanes, branches), {});
  out.laneOfBranch.assign(branches, 0);
  const Dims &chosen = concat.attrDims("lanes");
  if (chosen.size() == branches) {  // as the attribute says (the shape function checked it)
    for (size_t b = 0; b < branches; ++b) out.laneOfBranch[b] = static_cast<int>(chosen[b]);
  } else {  // longest branch first, each to the lane with the least work so far
    std::vector<size_t> order(branches);
    std::vector<double> work(branches);
    for (size_t b = 0; b < order.size(); ++b) order[b] = b, work[b] = sumOfMacs(own[b]);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return work[a] > work[b]; });
    std::vector<double> load(out.lanes.size(), 0.0);
    for (size_t b : order) {
      size_t lightest = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
      out.laneOfBranch[b] = static_cast<int>(lightest) + 1;
      load[lightest] += work[b];
    }
  }
  for (size_t b = 0; b < branches; ++b) {
    std::vector<const Node *> &lane = out.lanes[static_cast<size_t>(out.laneOfBranch[b]) - 1];
    lane.insert(lane.end(), own[b].begin(), own[b].end());
  }
  for (std::vector<const Node *> &lane : out.lanes) sortByPosition(graph, lane);  // back to graph order
  out.schedulable = !interleaved(graph, members, last, edges);
  return out;
}

}  // namespace deeper
