#include "ir/Branches.h"

#include "ir/OpParams.h"

#include <algorithm>
#include <map>
#include <set>

namespace deeper {
namespace {

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

double sumOfMacs(const std::vector<const Node *> &nodes) {
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

}  // namespace

double branchMacs(const std::vector<const Node *> &nodes) { return sumOfMacs(nodes); }

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
  std::vector<double> work(branches.size());
  for (size_t b = 0; b < order.size(); ++b) order[b] = b, work[b] = sumOfMacs(own[b]);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return work[a] > work[b]; });
  out.lanes.assign(std::min<size_t>(kBranchLanes, branches.size()), {});
  std::vector<double> load(out.lanes.size(), 0.0);
  for (size_t b : order) {
    size_t lightest = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    out.lanes[lightest].insert(out.lanes[lightest].end(), own[b].begin(), own[b].end());
    load[lightest] += work[b];
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

}  // namespace deeper
