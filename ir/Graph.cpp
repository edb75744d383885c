#include "ir/Graph.h"

#include <algorithm>
#include <set>

namespace deeper {
namespace {

const AttrValue &attrOf(const Node &node, const std::string &attr) {
  auto it = node.attrs.find(attr);
  DEEPER_CHECK(it != node.attrs.end(), "node '{}' ({}) has no attribute '{}'", node.name, node.info().name, attr);
  return it->second;
}

template <typename T>
const T &attrAs(const Node &node, const std::string &attr) {
  const T *v = std::get_if<T>(&attrOf(node, attr));
  DEEPER_CHECK(v != nullptr, "attribute '{}' of node '{}' has the wrong type", attr, node.name);
  return *v;
}

}  // namespace

std::string Node::opLabel() const {
  auto relu = attrs.find("relu");
  bool fused = relu != attrs.end() && std::get<bool>(relu->second);
  return fused ? std::string(info().name) + "+relu" : info().name;
}

int64_t Node::attrInt(const std::string &attr) const { return attrAs<int64_t>(*this, attr); }
double Node::attrFloat(const std::string &attr) const { return attrAs<double>(*this, attr); }
bool Node::attrBool(const std::string &attr) const { return attrAs<bool>(*this, attr); }
const Dims &Node::attrDims(const std::string &attr) const { return attrAs<Dims>(*this, attr); }
const std::string &Node::attrWord(const std::string &attr) const { return attrAs<std::string>(*this, attr); }

bool isAlias(const Node &node) {
  return node.op == OpKind::Flatten || node.op == OpKind::Reshape || node.op == OpKind::Dropout || node.op == OpKind::Slice;
}

const Node *sliceOnAliasChain(const Node *node) {
  for (; isAlias(*node); node = node->inputs[0])
    if (node->op == OpKind::Slice) return node;
  return nullptr;
}

bool runsKernel(const Node &node) {
  return node.op != OpKind::Input && !isAlias(node) && !(node.op == OpKind::Concat && node.attrBool("in_place"));
}

const Node *storageRoot(const Node *node) {
  while (isAlias(*node)) node = node->inputs[0];
  return node;
}

bool isWindowOp(OpKind op) { return op == OpKind::Conv || op == OpKind::MaxPool || op == OpKind::AvgPool || op == OpKind::Lrn; }

bool storedChannelsLast(const Node &node) {
  const Node *root = storageRoot(&node);
  return root->attrs.count("layout") && root->attrWord("layout") == "nhwc";
}

void failAtNode(const Node &node, const std::string &message, const std::string &note) {
  if (node.loc.valid()) failAt(node.loc, message, note);
  failAt(node.loc, fmt::format("node '{}' ({}): {}", node.name, node.info().name, message), note);
}

Node *Graph::append(std::unique_ptr<Node> node) {
  for (Node *in : node->inputs)
    DEEPER_CHECK(in && find(in->name) == in, "input of '{}' is not in the graph", node->name);
  DEEPER_CHECK(!find(node->name), "duplicate node name '{}'", node->name);
  Node *raw = node.get();
  byName_[raw->name] = raw;
  nodes_.push_back(std::move(node));
  return raw;
}

const Tensor &Graph::weight(const std::string &name) const {
  auto it = weights.find(name);
  if (it == weights.end()) fail(fmt::format("the weights have no tensor '{}', which model '{}' needs", name, this->name));
  return it->second;
}

Tensor Graph::biasOrZeros(const Node &layer) const {
  return layer.attrBool("bias") ? weight(layer.name + ".bias") : Tensor({layer.attrInt("out")});
}

Node *Graph::insertBefore(const Node *before, std::unique_ptr<Node> node) {
  auto at = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto &n) { return n.get() == before; });
  DEEPER_CHECK(at != nodes_.end(), "'{}' is not in the graph", before->name);
  for (Node *in : node->inputs) {
    auto it = std::find_if(nodes_.begin(), at, [&](const auto &n) { return n.get() == in; });
    DEEPER_CHECK(it != at, "input of '{}' does not come before '{}'", node->name, before->name);
  }
  DEEPER_CHECK(!find(node->name), "duplicate node name '{}'", node->name);
  Node *raw = node.get();
  byName_[raw->name] = raw;
  nodes_.insert(at, std::move(node));
  return raw;
}

Node *Graph::replace(Node *old, std::unique_ptr<Node> node) {
  auto at = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto &n) { return n.get() == old; });
  DEEPER_CHECK(at != nodes_.end(), "'{}' is not in the graph", old->name);
  Node *raw = node.get();
  replaceAllUses(old, raw);
  byName_.erase(old->name);
  DEEPER_CHECK(!find(raw->name), "duplicate node name '{}'", raw->name);
  byName_[raw->name] = raw;
  *at = std::move(node);  // destroys old
  return raw;
}

Node *Graph::find(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

std::vector<Node *> Graph::users(const Node *node) const {
  std::vector<Node *> out;
  for (const auto &n : nodes_)
    for (Node *in : n->inputs)
      if (in == node) {
        out.push_back(n.get());
        break;
      }
  return out;
}

bool Graph::isOutput(const Node *node) const {
  for (const GraphOutput &o : outputs)
    if (o.node == node) return true;
  return false;
}

void Graph::replaceAllUses(Node *from, Node *to) {
  for (const auto &n : nodes_)
    for (Node *&in : n->inputs)
      if (in == from) in = to;
  for (GraphOutput &o : outputs)
    if (o.node == from) {
      if (o.name.empty()) o.name = from->name;
      o.node = to;
      if (o.name == to->name) o.name.clear();
    }
}

bool Graph::hasSingleUse(const Node *node) const { return !isOutput(node) && users(node).size() == 1; }

Node *Graph::findOutput(const std::string &label) const {
  for (const GraphOutput &o : outputs)
    if (o.label() == label) return o.node;
  return nullptr;
}

size_t Graph::removeDeadNodes() {
  // Graph inputs stay even when unused: they are the model's interface.
  std::set<const Node *> live;
  for (const GraphOutput &o : outputs) live.insert(o.node);
  // Nodes are in topological order, so one backward sweep finds everything the outputs need.
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it)
    if (live.count(it->get()))
      for (Node *in : (*it)->inputs) live.insert(in);
  size_t before = nodes_.size();
  std::vector<std::unique_ptr<Node>> kept;
  for (auto &n : nodes_) {
    if (live.count(n.get()) || n->op == OpKind::Input) kept.push_back(std::move(n));
    else byName_.erase(n->name);
  }
  nodes_ = std::move(kept);
  return before - nodes_.size();
}

std::vector<Node *> Graph::nodesOfOp(OpKind op) const {
  std::vector<Node *> out;
  for (const auto &n : nodes_)
    if (n->op == op) out.push_back(n.get());
  return out;
}

}  // namespace deeper
