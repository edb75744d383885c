#include "frontend/Builder.h"

#include "ir/ShapeFunctions.h"

#include <cmath>

namespace deeper {
namespace {

void checkArity(const Node &n) {
  const OpInfo &info = n.info();
  int count = static_cast<int>(n.inputs().size());
  if (info.acceptsInputs(count)) return;
  std::string want = info.maxInputs < 0 ? fmt::format("at least {}", info.minInputs)
                     : info.minInputs == info.maxInputs ? std::to_string(info.minInputs)
                                                        : fmt::format("{} to {}", info.minInputs, info.maxInputs);
  bool one = want == "1" || want == "at least 1";
  failAtNode(n, fmt::format("{} takes {} input{}, got {}", info.name, want, one ? "" : "s", count));
}

void fillAttrs(Node &n) {
  const OpInfo &info = n.info();
  for (const auto &entry : n.attrs)
    if (!info.findAttr(entry.first)) failAtNode(n, fmt::format("{} has no attribute '{}'", info.name, entry.first));
  for (const AttrSpec &spec : info.attrs) {
    if (n.attrs.count(spec.name)) continue;
    if (!spec.defaultText)
      failAtNode(n, fmt::format("{} needs attribute '{}' ({})", info.name, spec.name, spec.doc),
                 fmt::format("write {}={}", spec.name, attrTypeSyntax(spec.type)));
    n.attrs[spec.name] = spec.defaultValue();
  }
  // Importers build attributes from numbers in the file, not from the .dnet parser that bounds them,
  // reads only finite floats and cannot read an empty list of sizes back.
  for (const auto &[name, value] : n.attrs) {
    Dims ints = std::holds_alternative<Dims>(value) ? std::get<Dims>(value) : Dims{};
    if (std::holds_alternative<Dims>(value) && ints.empty())
      failAtNode(n, fmt::format("attribute '{}' lists no sizes; a value has at least one axis besides the batch", name));
    if (const int64_t *i = std::get_if<int64_t>(&value)) ints.push_back(*i);
    if (const double *f = std::get_if<double>(&value); f && !std::isfinite(*f))
      failAtNode(n, fmt::format("attribute '{}' is {}; a float attribute must be a finite number", name, *f));
    for (int64_t v : ints)
      if (v > kMaxAttrInt || v < -kMaxAttrInt)
        failAtNode(n, fmt::format("attribute '{}' holds {}, beyond the magnitude 2^31 that sizes and indices may have", name, v));
  }
}

Attrs windowAttrs(int64_t kernel, int64_t stride, int64_t pad) {
  return {{"kernel", Dims{kernel, kernel}}, {"stride", Dims{stride, stride}}, {"pad", Dims{pad, pad, pad, pad}}};
}

}  // namespace

Node *GraphBuilder::add(OpKind op, const std::string &name, std::vector<Node *> inputs, Attrs attrs,
                        const NodeOrigin &origin) {
  auto node = std::make_unique<Node>(op, name, std::move(inputs));
  if (name.empty()) failAtNode(*node, "an empty name; every value needs one");
  node->attrs = std::move(attrs);
  node->block = origin.block;
  node->blockType = origin.blockType;
  node->loc = origin.loc;
  if (Node *existing = graph_.find(name))
    failAtNode(*node, fmt::format("duplicate name '{}'", name),
               existing->loc.valid() ? fmt::format("first defined at {}", existing->loc.str()) : "");
  checkArity(*node);
  fillAttrs(*node);
  node->shape = inferShape(*node, graph_.batch);
  return graph_.append(std::move(node));
}

void GraphBuilder::output(Node *node, bool training, const std::string &name) {
  DEEPER_CHECK(graph_.find(node->name) == node, "output '{}' is not in this graph", node->name);
  if (name.empty() && node->name.empty()) fail("an output has an empty name");
  graph_.addOutput(GraphOutput{node, training, name == node->name ? "" : name});
}

Node *GraphBuilder::input(const std::string &name, const Dims &perSample) {
  return add(OpKind::Input, name, {}, {{"shape", perSample}});
}

Node *GraphBuilder::conv(const std::string &name, Node *x, const ConvOptions &o) {
  Attrs a = windowAttrs(o.kernel, o.stride, o.pad);
  a["out"] = o.out;
  a["relu"] = o.relu;
  a["bias"] = o.bias;
  return add(OpKind::Conv, name, {x}, a);
}

Node *GraphBuilder::maxpool(const std::string &name, Node *x, const PoolOptions &o) {
  Attrs a = windowAttrs(o.kernel, o.stride, o.pad);
  a["ceil"] = o.ceil;
  return add(OpKind::MaxPool, name, {x}, a);
}

Node *GraphBuilder::avgpool(const std::string &name, Node *x, const PoolOptions &o) {
  Attrs a = windowAttrs(o.kernel, o.stride, o.pad);
  a["ceil"] = o.ceil;
  return add(OpKind::AvgPool, name, {x}, a);
}

Node *GraphBuilder::lrn(const std::string &name, Node *x, int64_t size, double alpha, double beta) {
  return add(OpKind::Lrn, name, {x}, {{"size", size}, {"alpha", alpha}, {"beta", beta}});
}

Node *GraphBuilder::relu(const std::string &name, Node *x) { return add(OpKind::Relu, name, {x}); }

Node *GraphBuilder::concat(const std::string &name, std::vector<Node *> xs) {
  return add(OpKind::Concat, name, std::move(xs));
}

Node *GraphBuilder::dropout(const std::string &name, Node *x, double ratio) {
  return add(OpKind::Dropout, name, {x}, {{"ratio", ratio}});
}

Node *GraphBuilder::fc(const std::string &name, Node *x, int64_t out, bool relu) {
  return add(OpKind::Fc, name, {x}, {{"out", out}, {"relu", relu}});
}

Node *GraphBuilder::softmax(const std::string &name, Node *x) { return add(OpKind::Softmax, name, {x}); }

Node *GraphBuilder::flatten(const std::string &name, Node *x) { return add(OpKind::Flatten, name, {x}); }

}  // namespace deeper
