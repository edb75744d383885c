// The C++ API that builds graphs: the .dnet parser, the importers and the tests all go through it, so
// every graph gets the same checks (arity, attributes, shapes) and the same diagnostics.
//
//   Graph g;
//   GraphBuilder b(g);
//   Node *x = b.input("data", {3, 224, 224});
//   Node *c = b.conv("conv1/7x7_s2", x, ConvOptions{/*out=*/64, /*kernel=*/7, /*stride=*/2, /*pad=*/3, /*relu=*/true});
//   b.output(b.softmax("prob", b.fc("fc", c, 1000)));
#pragma once

#include "ir/Graph.h"

namespace deeper {

struct ConvOptions {
  int64_t out = 1;
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t pad = 0;
  bool relu = false;
  bool bias = true;
};

struct PoolOptions {
  int64_t kernel = 2;
  int64_t stride = 1;
  int64_t pad = 0;
  bool ceil = true;
};

/// Where a node came from: its statement, and the block instance that produced it.
struct NodeOrigin {
  SourceLoc loc;
  std::string block, blockType;
};

class GraphBuilder {
 public:
  explicit GraphBuilder(Graph &graph) : graph_(graph) {}

  /// Adds `name = op(inputs, attrs)`. Attributes left out take the op table's defaults. Unknown or
  /// missing attributes, wrong arity, a duplicate name or shapes that do not fit are UserErrors at
  /// `origin.loc` (or naming the node when it has no location).
  Node *add(OpKind op, const std::string &name, std::vector<Node *> inputs, Attrs attrs = {},
            const NodeOrigin &origin = {});
  /// Declares `node` an output, called `name` when that differs from the node's name.
  void output(Node *node, bool training = false, const std::string &name = "");

  Node *input(const std::string &name, const Dims &perSample);
  Node *conv(const std::string &name, Node *x, const ConvOptions &o);
  Node *maxpool(const std::string &name, Node *x, const PoolOptions &o);
  Node *avgpool(const std::string &name, Node *x, const PoolOptions &o);
  Node *lrn(const std::string &name, Node *x, int64_t size = 5, double alpha = 1e-4, double beta = 0.75);
  Node *relu(const std::string &name, Node *x);
  Node *concat(const std::string &name, std::vector<Node *> xs);
  Node *dropout(const std::string &name, Node *x, double ratio);
  Node *fc(const std::string &name, Node *x, int64_t out, bool relu = false);
  Node *softmax(const std::string &name, Node *x);
  Node *flatten(const std::string &name, Node *x);

 private:
  Graph &graph_;
};

}  // namespace deeper
