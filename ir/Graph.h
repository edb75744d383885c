// The graph IR. A Graph owns Nodes in topological order; each Node applies one op to the values of
// earlier nodes and produces one f32 tensor value (its `shape`, batch first for 4-D activations).
//
//   data             = input(shape=3x224x224)                      : f32[1,3,224,224]
//   conv1/7x7_s2     = conv(data, out=64, kernel=7x7, stride=2x2, ...) : f32[1,64,112,112]
//   inception_3a/1x1 = conv(pool2/3x3_s2, ...) : f32[1,64,28,28] @inception_3a:inception
//
// Nodes remember the block instance they came from (`inception_3a` of block `inception`) so that the
// summary and Graphviz can group them, and their source location so diagnostics can point at them.
//
// Every node knows its uses (which operand of which node reads it) and its position in the order, and
// a node in a graph changes its operands only through the Graph, which keeps both in step. So "who
// reads this value" costs the number of readers, not the size of the graph, and every pass stays
// near-linear in the graph's size however wide or long a hostile model makes it.
#pragma once

#include "ir/Attr.h"
#include "ir/Ops.h"
#include "support/Diagnostics.h"
#include "support/Tensor.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace deeper {

using Attrs = std::map<std::string, AttrValue>;

struct Node;
class Graph;

/// One read of a value: operand `operand` of `user`.
struct Use {
  Node *user;
  size_t operand;
};

struct Node {
  Node() = default;
  /// A node not yet in a graph, reading `inputs` (they must be in the graph it joins).
  Node(OpKind op, std::string name, std::vector<Node *> inputs) : op(op), name(std::move(name)), inputs_(std::move(inputs)) {}
  Node(const Node &) = delete;
  Node &operator=(const Node &) = delete;

  OpKind op = OpKind::Input;
  std::string name;
  Attrs attrs;  ///< every attribute of the op, defaults filled in
  Dims shape;   ///< f32 is the only dtype
  std::string block;      ///< block instance path, e.g. "inception_3a"; empty at top level
  std::string blockType;  ///< the block's name, e.g. "inception"
  SourceLoc loc;
  /// The layers passes folded, fused or merged into this node, by their names before the passes (its
  /// provenance, like MLIR's fused locations): how `deeper compare` lines up the kernels of two builds
  /// that fused differently. Not printed: a printed graph starts its own history.
  std::vector<std::string> absorbed;

  const OpInfo &info() const { return opInfo(op); }
  /// The op as people read it: "conv+relu" when the epilogue carries a relu, else the op's name.
  std::string opLabel() const;
  int64_t attrInt(const std::string &attr) const;
  double attrFloat(const std::string &attr) const;
  bool attrBool(const std::string &attr) const;
  const Dims &attrDims(const std::string &attr) const;
  const std::string &attrWord(const std::string &attr) const;

  /// The values this node reads, in operand order.
  const std::vector<Node *> &inputs() const { return inputs_; }
  /// Every read of this node's value, in no particular order (a node reading it twice is here twice).
  const std::vector<Use> &uses() const { return uses_; }

 private:
  friend class Graph;
  std::vector<Node *> inputs_;
  std::vector<size_t> useIndex_;  ///< operand i is uses_[useIndex_[i]] of inputs_[i]
  std::vector<Use> uses_;
  int outputCount_ = 0;  ///< graph outputs that are this node
  size_t position_ = 0;  ///< index in Graph::nodes()
};

/// The name of `node`'s learned tensor `which` in weight files: "<node>.<role>".
inline std::string tensorName(const Node &node, Param which) { return node.name + "." + paramInfo(which).role; }

/// Records that `from` (and whatever it had absorbed) now lives inside `into`.
void absorb(Node &into, const Node &from);

/// True for ops whose value is their input's storage, read differently (the Alias trait: flatten,
/// reshape, dropout; slice reads part of it, further in and strided).
bool isAlias(const Node &node);
/// The node whose storage holds `node`'s value: the first non-alias up its input chain.
const Node *storageRoot(const Node *node);
/// The slice on `node`'s alias chain (itself included), or nullptr: where it reads only part of its
/// storage root's value.
const Node *sliceOnAliasChain(const Node *node);
/// The Window trait (conv, max/avg pool, lrn): their kernels read and write N,C,H,W values in either
/// storage layout.
bool isWindowOp(OpKind op);
/// True when `node`'s value is stored channels innermost (N,H,W,C in memory: layout=nhwc, see
/// passes/ChannelsLast.h); for an alias, its storage root's.
bool storedChannelsLast(const Node &node);
/// True for an elementwise node computed inside the kernel of its one reader (inline=true: see
/// passes/ElementwiseFusion.h): it has no kernel and no storage of its own.
bool isInlined(const Node &node);
/// Why `node` cannot be computed inside the kernel of its reader (inline=true), or "" when it can: it
/// is an op the fused kernels compute (the Inlinable trait), no graph output, read by one
/// such node of its shape only, and neither is stored channels-last.
std::string whyNotInlinable(const Graph &graph, const Node &node);
/// True for nodes compiled code runs a kernel for: not a graph input, not an alias, not an in-place
/// concat (its inputs write into it, see passes/ConcatElision.h), not inlined into its reader.
bool runsKernel(const Node &node);

/// A UserError about `node`, at its source location when it has one, else naming it.
[[noreturn]] void failAtNode(const Node &node, const std::string &message, const std::string &note = "");

struct GraphOutput {
  Node *node;
  bool training;     ///< training-only (auxiliary classifiers); dropped by inference-cleanup
  std::string name;  ///< the output's own name when it is not node->name (ONNX `y = Identity(x)`)

  /// What callers and files call this output: its own name, else its node's.
  const std::string &label() const { return name.empty() ? node->name : name; }
};

class Graph {
 public:
  Graph() = default;
  Graph(Graph &&) = default;
  Graph &operator=(Graph &&) = default;

  std::string name = "model";
  int64_t batch = 1;
  /// Learned tensors that came with the model file (ONNX initializers), "<node>.<role>"; empty for
  /// .dnet models, whose weights are seeded or loaded later. Passes that fold nodes update them.
  TensorMap weights;
  /// Choices made outside the passes' cost models, by a person or by `deeper tune` (which measures
  /// them), keyed "<pass> <node>": see passes/Decisions.h. Not part of the IR: what the passes did with
  /// them is (fused attributes, branches=concurrent).
  std::map<std::string, bool> decisions;

  /// The learned tensor `name`; a UserError naming it when the weights lack it (a weights file that
  /// does not match the model).
  const Tensor &weight(const std::string &name) const;
  /// The learned tensor `which` of `node` ("<node>.<role>"); a UserError when missing.
  const Tensor &weight(const Node &node, Param which) const { return weight(tensorName(node, which)); }
  /// A conv's or fc's bias: <name>.bias, or zeros (one per output) when it has none (bias=false), as a
  /// pass that folds or merges it into another layer's bias needs.
  Tensor biasOrZeros(const Node &layer) const;

  /// Nodes in topological order: every node after the nodes it reads.
  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }
  /// `node`'s index in nodes().
  size_t position(const Node *node) const;
  /// Appends a node; its inputs must already be in the graph.
  Node *append(std::unique_ptr<Node> node);
  /// Inserts a node just before `before` (so after everything `before` may read).
  Node *insertBefore(const Node *before, std::unique_ptr<Node> node);
  /// Puts `node` in `old`'s place: the same position in the order, every use of `old` now `node`'s.
  /// `node` may take `old`'s name; `old` is gone.
  Node *replace(Node *old, std::unique_ptr<Node> node);
  /// Makes operand `operand` of `node` read `value`, which must come before `node`.
  void setInput(Node *node, size_t operand, Node *value);
  /// Gives `node` one more operand, reading `value`, which must come before `node` (epilogue-fusion's residual).
  void addInput(Node *node, Node *value);
  Node *find(const std::string &name) const;
  /// Every node's name, in graph order: what a misspelt name is matched against (support/Suggest.h).
  std::vector<std::string> nodeNames() const;
  /// The distinct nodes that read `node`, in graph order.
  std::vector<Node *> users(const Node *node) const;
  bool isOutput(const Node *node) const { return node->outputCount_ > 0; }
  /// True when exactly one node reads `node` and it is no graph output: its value can be folded away.
  bool hasSingleUse(const Node *node) const;

  const std::vector<GraphOutput> &outputs() const { return outputs_; }
  void addOutput(GraphOutput output);
  /// Makes output `index` the value of `node`, called `name` (empty: the node's name).
  void setOutput(size_t index, Node *node, std::string name);
  /// Removes the outputs `drop` selects; returns how many.
  size_t removeOutputs(const std::function<bool(const GraphOutput &)> &drop);
  /// The node of the output labelled `label`, or nullptr.
  Node *findOutput(const std::string &label) const;

  /// Points every use of `from` (inputs and graph outputs) at `to`. An output keeps its name: one that
  /// was `from` by name is now called `from` explicitly.
  void replaceAllUses(Node *from, Node *to);
  /// Removes nodes no output depends on; returns how many.
  size_t removeDeadNodes();
  /// Removes graph input `input`, which nothing reads (an importer bound it as a constant).
  void removeUnusedInput(Node *input);
  std::vector<Node *> nodesOfOp(OpKind op) const;
  /// Problems with the use lists, positions and output counts (each should be none; the verifier
  /// reports them).
  std::vector<std::string> checkBookkeeping() const;

 private:
  void link(Node *node, size_t operand);
  void unlink(Node *node, size_t operand);
  void renumberFrom(size_t position);

  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<std::string, Node *> byName_;
  std::vector<GraphOutput> outputs_;
};

}  // namespace deeper
