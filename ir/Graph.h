// The graph IR. A Graph owns Nodes in topological order; each Node applies one op to the values of
// earlier nodes and produces one f32 tensor value (its `shape`, batch first for 4-D activations).
//
//   data             = input(shape=3x224x224)                      : f32[1,3,224,224]
//   conv1/7x7_s2     = conv(data, out=64, kernel=7x7, stride=2x2, ...) : f32[1,64,112,112]
//   inception_3a/1x1 = conv(pool2/3x3_s2, ...) : f32[1,64,28,28] @inception_3a:inception
//
// Nodes remember the block instance they came from (`inception_3a` of block `inception`) so that the
// summary and Graphviz can group them, and their source location so diagnostics can point at them.
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

struct Node {
  OpKind op;
  std::string name;
  std::vector<struct Node *> inputs;
  Attrs attrs;  ///< every attribute of the op, defaults filled in
  Dims shape;   ///< f32 is the only dtype
  std::string block;      ///< block instance path, e.g. "inception_3a"; empty at top level
  std::string blockType;  ///< the block's name, e.g. "inception"
  SourceLoc loc;

  const OpInfo &info() const { return opInfo(op); }
  /// The op as people read it: "conv+relu" when the epilogue carries a relu, else the op's name.
  std::string opLabel() const;
  int64_t attrInt(const std::string &attr) const;
  double attrFloat(const std::string &attr) const;
  bool attrBool(const std::string &attr) const;
  const Dims &attrDims(const std::string &attr) const;
  const std::string &attrWord(const std::string &attr) const;
};

/// True for ops whose value is their input's storage, read differently (flatten, reshape, dropout;
/// slice reads part of it, further in and strided).
bool isAlias(const Node &node);
/// The node whose storage holds `node`'s value: the first non-alias up its input chain.
const Node *storageRoot(const Node *node);
/// The slice on `node`'s alias chain (itself included), or nullptr: where it reads only part of its
/// storage root's value.
const Node *sliceOnAliasChain(const Node *node);
/// Conv, max/avg pool, lrn: their kernels read and write N,C,H,W values in either storage layout.
bool isWindowOp(OpKind op);
/// True when `node`'s value is stored channels innermost (N,H,W,C in memory: layout=nhwc, see
/// passes/ChannelsLast.h); for an alias, its storage root's.
bool storedChannelsLast(const Node &node);
/// True for nodes compiled code runs a kernel for: not a graph input, not an alias, not an in-place
/// concat (its inputs write into it, see passes/ConcatElision.h).
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
  std::string name = "model";
  int64_t batch = 1;
  std::vector<GraphOutput> outputs;
  /// Learned tensors that came with the model file (ONNX initializers), "<node>.<role>"; empty for
  /// .dnet models, whose weights are seeded or loaded later. Passes that fold nodes update them.
  TensorMap weights;

  /// The learned tensor `name`; a UserError naming it when the weights lack it (a weights file that
  /// does not match the model).
  const Tensor &weight(const std::string &name) const;
  /// A conv's or fc's bias: <name>.bias, or zeros (one per output) when it has none (bias=false), as a
  /// pass that folds or merges it into another layer's bias needs.
  Tensor biasOrZeros(const Node &layer) const;

  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }
  /// Appends a node; its inputs must already be in the graph.
  Node *append(std::unique_ptr<Node> node);
  /// Inserts a node just before `before` (so after everything `before` may read).
  Node *insertBefore(const Node *before, std::unique_ptr<Node> node);
  /// Puts `node` in `old`'s place: the same position in the order, every use of `old` now `node`'s.
  /// `node` may take `old`'s name; `old` is gone.
  Node *replace(Node *old, std::unique_ptr<Node> node);
  Node *find(const std::string &name) const;
  std::vector<Node *> users(const Node *node) const;
  bool isOutput(const Node *node) const;
  /// True when exactly one node reads `node` and it is no graph output: its value can be folded away.
  bool hasSingleUse(const Node *node) const;
  /// The node of the output labelled `label`, or nullptr.
  Node *findOutput(const std::string &label) const;
  /// Points every use of `from` (inputs and graph outputs) at `to`. An output keeps its name: one that
  /// was `from` by name is now called `from` explicitly.
  void replaceAllUses(Node *from, Node *to);
  /// Removes nodes no output depends on; returns how many.
  size_t removeDeadNodes();
  std::vector<Node *> nodesOfOp(OpKind op) const;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<std::string, Node *> byName_;
};

}  // namespace deeper
