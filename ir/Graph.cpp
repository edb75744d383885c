#include "ir/Graph.h"

#include <algorithm>

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

void absorb(Node &into, const Node &from) {
  into.absorbed.push_back(from.name);
  into.absorbed.insert(into.absorbed.end(), from.absorbed.begin(), from.absorbed.end());
}

bool isAlias(const Node &node) { return node.info().has(optrait::Alias); }

const Node *sliceOnAliasChain(const Node *node) {
  for (; isAlias(*node); node = node->inputs()[0])
    if (node->op == OpKind::Slice) return node;
  return nullptr;
}

bool isInlined(const Node &node) { return node.attrs.count("inline") && node.attrBool("inline"); }

std::string whyNotInlinable(const Graph &graph, const Node &node) {
  auto fusable = [](const Node &n) { return n.info().has(optrait::Inlinable); };
  if (!fusable(node)) return fmt::format("a {} is not computed inside other kernels (relu, prelu, unary, binary, add, sub, mul, div are)", node.info().name);
  if (!graph.hasSingleUse(&node)) return "it is a graph output, unread, or read by several nodes";
  const Node &reader = *node.uses()[0].user;
  if (!fusable(reader)) return fmt::format("its reader '{}' is a {}, which computes no other node", reader.name, reader.info().name);
  if (reader.shape != node.shape) return fmt::format("its reader '{}' broadcasts it to f32[{}]", reader.name, fmt::join(reader.shape, ","));
  if (storedChannelsLast(node) || storedChannelsLast(reader)) return "it or its reader is stored layout=nhwc";
  return "";
}

bool runsKernel(const Node &node) {
  return !node.info().has(optrait::NoKernel) && !isAlias(node) && !(node.op == OpKind::Concat && node.attrBool("in_place")) &&
         !isInlined(node);
}

const Node *storageRoot(const Node *node) {
  while (isAlias(*node)) node = node->inputs()[0];
  return node;
}

bool isWindowOp(OpKind op) { return opInfo(op).has(optrait::Window); }

bool storedChannelsLast(const Node &node) {
  const Node *root = storageRoot(&node);
  return root->attrs.count("layout") && root->attrWord("layout") == "nhwc";
}

void failAtNode(const Node &node, const std::string &message, const std::string &note) {
  if (node.loc.valid()) failAt(node.loc, message, note);
  failAt(node.loc, fmt::format("node '{}' ({}): {}", node.name, node.info().name, message), note);
}

void Graph::link(Node *node, size_t operand) {
  Node *value = node->inputs_[operand];
  node->useIndex_[operand] = value->uses_.size();
  value->uses_.push_back(Use{node, operand});
}

void Graph::unlink(Node *node, size_t operand) {
  // Swap-remove: the last use takes the freed place, and its operand learns the new index.
  std::vector<Use> &uses = node->inputs_[operand]->uses_;
  size_t at = node->useIndex_[operand];
  DEEPER_CHECK(at < uses.size() && uses[at].user == node && uses[at].operand == operand, "use list of '{}' out of step", node->name);
  uses[at] = uses.back();
  uses[at].user->useIndex_[uses[at].operand] = at;
  uses.pop_back();
}

void Graph::renumberFrom(size_t position) {
  for (size_t i = position; i < nodes_.size(); ++i) nodes_[i]->position_ = i;
}

size_t Graph::position(const Node *node) const {
  DEEPER_CHECK(node->position_ < nodes_.size() && nodes_[node->position_].get() == node, "'{}' is not in the graph", node->name);
  return node->position_;
}

Node *Graph::append(std::unique_ptr<Node> node) {
  for (Node *in : node->inputs_)
    DEEPER_CHECK(in && find(in->name) == in, "input of '{}' is not in the graph", node->name);
  DEEPER_CHECK(!find(node->name), "duplicate node name '{}'", node->name);
  Node *raw = node.get();
  byName_[raw->name] = raw;
  raw->position_ = nodes_.size();
  nodes_.push_back(std::move(node));
  raw->useIndex_.assign(raw->inputs_.size(), 0);
  for (size_t i = 0; i < raw->inputs_.size(); ++i) link(raw, i);
  return raw;
}

const Tensor &Graph::weight(const std::string &name) const {
  auto it = weights.find(name);
  if (it == weights.end()) fail(fmt::format("the weights have no tensor '{}', which model '{}' needs", name, this->name));
  return it->second;
}

Tensor Graph::biasOrZeros(const Node &layer) const {
  Param bias = layer.op == OpKind::Conv ? Param::ConvBias : Param::FcBias;
  return layer.attrBool("bias") ? weight(layer, bias) : Tensor({layer.attrInt("out")});
}

Node *Graph::insertBefore(const Node *before, std::unique_ptr<Node> node) {
  size_t at = position(before);
  for (Node *in : node->inputs_)
    DEEPER_CHECK(in && find(in->name) == in && position(in) < at, "input of '{}' does not come before '{}'", node->name, before->name);
  DEEPER_CHECK(!find(node->name), "duplicate node name '{}'", node->name);
  Node *raw = node.get();
  byName_[raw->name] = raw;
  nodes_.insert(nodes_.begin() + static_cast<long>(at), std::move(node));
  renumberFrom(at);
  raw->useIndex_.assign(raw->inputs_.size(), 0);
  for (size_t i = 0; i < raw->inputs_.size(); ++i) link(raw, i);
  return raw;
}

Node *Graph::replace(Node *old, std::unique_ptr<Node> node) {
  size_t at = position(old);
  for (Node *in : node->inputs_)
    DEEPER_CHECK(in && find(in->name) == in && position(in) < at, "input of '{}' does not come before '{}'", node->name, old->name);
  Node *raw = node.get();
  raw->position_ = at;
  raw->useIndex_.assign(raw->inputs_.size(), 0);
  for (size_t i = 0; i < raw->inputs_.size(); ++i) link(raw, i);
  replaceAllUses(old, raw);
  for (size_t i = 0; i < old->inputs_.size(); ++i) unlink(old, i);
  byName_.erase(old->name);
  DEEPER_CHECK(!find(raw->name), "duplicate node name '{}'", raw->name);
  byName_[raw->name] = raw;
  nodes_[at] = std::move(node);  // destroys old
  return raw;
}

void Graph::setInput(Node *node, size_t operand, Node *value) {
  DEEPER_CHECK(operand < node->inputs_.size(), "'{}' has no operand {}", node->name, operand);
  DEEPER_CHECK(position(value) < position(node), "'{}' would read '{}', which comes after it", node->name, value->name);
  unlink(node, operand);
  node->inputs_[operand] = value;
  link(node, operand);
}

void Graph::addInput(Node *node, Node *value) {
  DEEPER_CHECK(position(value) < position(node), "'{}' would read '{}', which comes after it", node->name, value->name);
  node->inputs_.push_back(value);
  node->useIndex_.push_back(0);
  link(node, node->inputs_.size() - 1);
}

Node *Graph::find(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

std::vector<std::string> Graph::nodeNames() const {
  std::vector<std::string> names;
  for (const auto &node : nodes_) names.push_back(node->name);
  return names;
}

std::vector<Node *> Graph::users(const Node *node) const {
  std::vector<Node *> out;
  for (const Use &u : node->uses_) out.push_back(u.user);
  std::sort(out.begin(), out.end(), [](const Node *a, const Node *b) { return a->position_ < b->position_; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool Graph::hasSingleUse(const Node *node) const {
  if (isOutput(node) || node->uses_.empty()) return false;
  for (const Use &u : node->uses_)
    if (u.user != node->uses_[0].user) return false;
  return true;
}

void Graph::addOutput(GraphOutput output) {
  ++output.node->outputCount_;
  outputs_.push_back(std::move(output));
}

void Graph::setOutput(size_t index, Node *node, std::string name) {
  GraphOutput &o = outputs_.at(index);
  --o.node->outputCount_;
  o.node = node;
  o.name = name == node->name ? "" : std::move(name);
  ++node->outputCount_;
}

size_t Graph::removeOutputs(const std::function<bool(const GraphOutput &)> &drop) {
  size_t before = outputs_.size();
  auto kept = std::remove_if(outputs_.begin(), outputs_.end(), [&](const GraphOutput &o) {
    if (!drop(o)) return false;
    --o.node->outputCount_;
    return true;
  });
  outputs_.erase(kept, outputs_.end());
  return before - outputs_.size();
}

void Graph::replaceAllUses(Node *from, Node *to) {
  if (from == to) return;
  for (const Use &u : from->uses_) {
    DEEPER_CHECK(to->position_ < u.user->position_, "'{}' would read '{}', which comes after it", u.user->name, to->name);
    u.user->inputs_[u.operand] = to;
    u.user->useIndex_[u.operand] = to->uses_.size();
    to->uses_.push_back(u);
  }
  from->uses_.clear();
  if (from->outputCount_ == 0) return;
  for (GraphOutput &o : outputs_)
    if (o.node == from) {
      if (o.name.empty()) o.name = from->name;
      o.node = to;
      if (o.name == to->name) o.name.clear();
    }
  to->outputCount_ += from->outputCount_;
  from->outputCount_ = 0;
}

Node *Graph::findOutput(const std::string &label) const {
  for (const GraphOutput &o : outputs_)
    if (o.label() == label) return o.node;
  return nullptr;
}

void Graph::removeUnusedInput(Node *input) {
  DEEPER_CHECK(input->op == OpKind::Input && input->uses_.empty() && !isOutput(input), "'{}' is no unused graph input", input->name);
  size_t at = position(input);
  byName_.erase(input->name);
  nodes_.erase(nodes_.begin() + static_cast<long>(at));
  renumberFrom(at);
}

size_t Graph::removeDeadNodes() {
  // Graph inputs stay even when unused: they are the model's interface.
  std::vector<bool> live(nodes_.size(), false);
  for (const GraphOutput &o : outputs_) live[position(o.node)] = true;
  // Nodes are in topological order, so one backward sweep finds everything the outputs need.
  for (size_t i = nodes_.size(); i-- > 0;)
    if (live[i] || nodes_[i]->op == OpKind::Input) {
      live[i] = true;
      for (Node *in : nodes_[i]->inputs_) live[in->position_] = true;
    }
  size_t before = nodes_.size();
  std::vector<std::unique_ptr<Node>> kept;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (live[i]) kept.push_back(std::move(nodes_[i]));
    else byName_.erase(nodes_[i]->name);
  }
  nodes_ = std::move(kept);
  // The dead nodes' reads go with them: rebuilding every use list is linear, removing one by one is not.
  renumberFrom(0);
  for (auto &n : nodes_) n->uses_.clear();
  for (auto &n : nodes_)
    for (size_t i = 0; i < n->inputs_.size(); ++i) link(n.get(), i);
  return before - nodes_.size();
}

std::vector<std::string> Graph::checkBookkeeping() const {
  std::vector<std::string> problems;
  std::map<const Node *, int> outputCounts;
  for (const GraphOutput &o : outputs_) ++outputCounts[o.node];
  size_t operands = 0, uses = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node &n = *nodes_[i];
    if (n.position_ != i) problems.push_back(fmt::format("'{}': recorded position {}, actual {}", n.name, n.position_, i));
    if (n.outputCount_ != outputCounts[&n]) problems.push_back(fmt::format("'{}': output count {}, actual {}", n.name, n.outputCount_, outputCounts[&n]));
    for (size_t op = 0; op < n.inputs_.size(); ++op) {
      const Node &in = *n.inputs_[op];
      size_t at = op < n.useIndex_.size() ? n.useIndex_[op] : in.uses_.size();
      if (at >= in.uses_.size() || in.uses_[at].user != &n || in.uses_[at].operand != op)
        problems.push_back(fmt::format("'{}': operand {} is missing from the uses of '{}'", n.name, op, in.name));
    }
    for (const Use &u : n.uses_)
      if (u.operand >= u.user->inputs_.size() || u.user->inputs_[u.operand] != &n)
        problems.push_back(fmt::format("'{}': a recorded use by '{}' does not read it", n.name, u.user->name));
    operands += n.inputs_.size(), uses += n.uses_.size();
  }
  if (operands != uses) problems.push_back(fmt::format("{} operands but {} recorded uses", operands, uses));
  return problems;
}

std::vector<Node *> Graph::nodesOfOp(OpKind op) const {
  std::vector<Node *> out;
  for (const auto &n : nodes_)
    if (n->op == op) out.push_back(n.get());
  return out;
}

}  // namespace deeper
