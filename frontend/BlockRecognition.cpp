#include "frontend/BlockRecognition.h"

#include <algorithm>
#include <map>
#include <set>

namespace deeper {
namespace {

/// An inception branch is a few layers long; walking at most this far back keeps recognition linear
/// in the graph's size whatever chains a model holds.
constexpr size_t kMaxBranchLength = 64;

/// The chain of single-input nodes from `start` back towards the graph input, `start` first, at most
/// kMaxBranchLength + 1 long.
std::vector<Node *> chainFrom(Node *start) {
  std::vector<Node *> chain{start};
  while (chain.back()->inputs().size() == 1 && chain.size() <= kMaxBranchLength) chain.push_back(chain.back()->inputs()[0]);
  return chain;
}

/// "inception_3a/output" -> "inception_3a/"; empty when the name has no '/'.
std::string prefixOf(const std::string &name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? "" : name.substr(0, slash + 1);
}

/// "inception_3a" -> "inception": the instance name without a trailing "_<id>".
std::string blockTypeOf(const std::string &instance) {
  size_t underscore = instance.rfind('_');
  return underscore == std::string::npos || underscore == 0 ? instance : instance.substr(0, underscore);
}

/// Members of the module ending at `concat`: the branch nodes before their common start.
std::vector<Node *> moduleMembers(Node *concat) {
  std::vector<std::vector<Node *>> chains;
  std::map<const Node *, size_t> inChains;  // how many chains hold each node
  for (Node *in : concat->inputs()) {
    chains.push_back(chainFrom(in));
    std::set<const Node *> once(chains.back().begin(), chains.back().end());
    for (const Node *n : once) ++inChains[n];
  }
  // The common start: the first node of branch 0's chain that every other chain contains.
  Node *start = nullptr;
  for (Node *candidate : chains[0])
    if (inChains[candidate] == chains.size()) {
      start = candidate;
      break;
    }
  if (!start) return {};
  std::vector<Node *> members;
  for (const std::vector<Node *> &chain : chains)
    for (Node *n : chain) {
      if (n == start) break;
      members.push_back(n);
    }
  members.push_back(concat);
  return members;
}

}  // namespace

size_t recognizeConcatModules(Graph &graph) {
  size_t modules = 0;
  for (Node *concat : graph.nodesOfOp(OpKind::Concat)) {
    if (concat->inputs().size() < 2 || !concat->block.empty()) continue;
    std::string prefix = prefixOf(concat->name);
    std::vector<Node *> members = moduleMembers(concat);
    bool named = !prefix.empty() && !members.empty() && std::all_of(members.begin(), members.end(), [&](const Node *n) {
      return n->name.rfind(prefix, 0) == 0 && n->block.empty();
    });
    if (!named) continue;
    std::string instance = prefix.substr(0, prefix.size() - 1);
    for (Node *n : members) {
      n->block = instance;
      n->blockType = blockTypeOf(instance);
    }
    ++modules;
  }
  return modules;
}

}  // namespace deeper
