#include "passes/SiblingMerge.h"

#include "ir/OpParams.h"
#include "ir/ShapeFunctions.h"
#include "passes/Decisions.h"

#include <map>

namespace deeper {
namespace {

bool readsSlices(const Node &user) {
  switch (user.op) {
    case OpKind::Conv:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::Lrn:
    case OpKind::Fc: return true;
    default: return false;
  }
}

bool isSibling(const Graph &graph, const Node &conv) {
  if (conv.op != OpKind::Conv || graph.isOutput(&conv)) return false;
  if (!ConvParams::of(conv).isPlainPointwise()) return false;
  std::vector<Node *> users = graph.users(&conv);
  if (users.empty()) return false;
  for (const Node *u : users)
    if (!readsSlices(*u)) return false;
  return true;
}

/// Groups of two or more siblings, each in node order, keyed by the first.
std::vector<std::vector<Node *>> siblingGroups(const Graph &graph) {
  std::map<std::pair<const Node *, bool>, std::vector<Node *>> byInput;  // (input, relu)
  std::vector<std::pair<const Node *, bool>> order;
  for (Node *conv : graph.nodesOfOp(OpKind::Conv)) {
    if (!isSibling(graph, *conv)) continue;
    auto key = std::make_pair(static_cast<const Node *>(conv->inputs()[0]), conv->attrBool("relu"));
    if (byInput[key].empty()) order.push_back(key);
    byInput[key].push_back(conv);
  }
  std::vector<std::vector<Node *>> groups;
  for (const auto &key : order)
    if (byInput[key].size() >= 2) groups.push_back(byInput[key]);
  return groups;
}

/// Siblings named in a merged conv's name; the rest are counted ("_and_5_more"), so that the name, which
/// every slice repeats, stays short however many siblings merge.
constexpr size_t kNamedSiblings = 4;

/// "inception_3a/3x3_reduce_and_5x5_reduce": the siblings' names after their common folder.
std::string mergedName(const Graph &graph, const std::vector<Node *> &siblings) {
  const std::string &first = siblings[0]->name;
  size_t slash = first.rfind('/');
  std::string folder = slash == std::string::npos ? "" : first.substr(0, slash + 1);
  std::string name = first;
  if (siblings.size() > kNamedSiblings) name += fmt::format("_and_{}_more", siblings.size() - 1);
  for (size_t i = 1; i < siblings.size() && siblings.size() <= kNamedSiblings; ++i) {
    const std::string &n = siblings[i]->name;
    name += "_and_" + (n.compare(0, folder.size(), folder) == 0 ? n.substr(folder.size()) : n);
  }
  std::string unique = name;
  for (int i = 2; graph.find(unique); ++i) unique = fmt::format("{}{}", name, i);
  return unique;
}

/// Stacks the siblings' weights and biases under the merged conv's names and drops theirs.
void stackWeights(Graph &graph, const Node &merged, const std::vector<Node *> &siblings) {
  Tensor weight({merged.attrInt("out"), siblings[0]->inputs()[0]->shape[1], 1, 1}), bias({merged.attrInt("out")});
  size_t w = 0, b = 0;
  for (const Node *s : siblings) {
    const Tensor &sw = graph.weight(*s, Param::ConvWeight);
    std::copy(sw.data.begin(), sw.data.end(), weight.data.begin() + static_cast<long>(w));
    w += sw.data.size();
    Tensor sb = graph.biasOrZeros(*s);
    std::copy(sb.data.begin(), sb.data.end(), bias.data.begin() + static_cast<long>(b));
    b += sb.data.size();
  }
  for (const Node *s : siblings) graph.weights.erase(tensorName(*s, Param::ConvWeight)), graph.weights.erase(tensorName(*s, Param::ConvBias));
  graph.weights[tensorName(merged, Param::ConvWeight)] = std::move(weight);
  graph.weights[tensorName(merged, Param::ConvBias)] = std::move(bias);
}

std::unique_ptr<Node> newNode(OpKind op, std::string name, Node *input, const Node &like) {
  auto node = std::make_unique<Node>(op, std::move(name), std::vector<Node *>{input});
  node->block = like.block;
  node->blockType = like.blockType;
  node->loc = like.loc;
  return node;
}

void merge(Graph &graph, const std::vector<Node *> &siblings) {
  const Node &first = *siblings[0];
  std::unique_ptr<Node> conv = newNode(OpKind::Conv, mergedName(graph, siblings), first.inputs()[0], first);
  conv->attrs = first.attrs;
  int64_t out = 0;
  bool bias = false;
  for (const Node *s : siblings) out += s->attrInt("out"), bias = bias || s->attrBool("bias");
  conv->attrs["out"] = out;
  conv->attrs["bias"] = bias;
  conv->shape = inferShape(*conv, graph.batch);
  Node *merged = graph.insertBefore(&first, std::move(conv));
  if (!graph.weights.empty()) stackWeights(graph, *merged, siblings);

  int64_t begin = 0;
  for (Node *s : siblings) {  // each sibling's place and name go to its slice of the merged conv
    absorb(*merged, *s);
    std::unique_ptr<Node> slice = newNode(OpKind::Slice, s->name, merged, *s);
    slice->attrs = {{"begin", begin}, {"end", begin + s->attrInt("out")}};
    slice->shape = inferShape(*slice, graph.batch);
    begin += s->attrInt("out");
    graph.replace(s, std::move(slice));
  }
}

}  // namespace

bool runSiblingMerge(Graph &graph) {
  std::vector<std::vector<Node *>> groups = siblingGroups(graph);
  bool merged = false;
  for (const std::vector<Node *> &siblings : groups)
    if (decidedOr(graph, decided::kSiblingMerge, siblings[0]->name, true)) merge(graph, siblings), merged = true;
  return merged;
}

std::vector<const Node *> siblingMergeSites(const Graph &graph) {
  std::vector<const Node *> sites;
  for (const std::vector<Node *> &siblings : siblingGroups(graph)) sites.push_back(siblings[0]);
  return sites;
}

}  // namespace deeper
