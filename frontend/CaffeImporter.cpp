#include "frontend/CaffeImporter.h"

#include "frontend/BlockRecognition.h"
#include "frontend/Builder.h"
#include "frontend/Prototxt.h"

#include <map>
#include <set>

namespace deeper {
namespace {

using prototxt::Field;
using prototxt::Message;

const std::set<std::string> kSkipped = {"Data", "ImageData", "HDF5Data", "MemoryData", "DummyData", "SoftmaxWithLoss",
                                        "Accuracy", "EuclideanLoss", "Silence"};

const Message &paramsOf(const Message &layer, const char *field) {
  static const Message empty;
  const Field *f = layer.first(field);
  return f && f->message ? *f->message : empty;
}

/// kernel/stride/pad from kernel_size or kernel_h/kernel_w (and friends), as KHxKW.
Dims window(const Message &p, const std::string &base, int64_t fallback) {
  int64_t both = p.integer(base == "kernel" ? "kernel_size" : base, fallback);
  return {p.integer(base + "_h", both), p.integer(base + "_w", both)};
}

/// The dims of a shape message ({ dim: 10 dim: 3 ... }) or of repeated fields, as integers.
Dims dimsOf(const std::vector<const Field *> &fields) {
  Dims dims;
  for (const Field *d : fields) {
    auto v = parseAttrValue(AttrType::Int, d->value);
    if (!v || std::get<int64_t>(*v) <= 0) failAt(d->loc, fmt::format("'{}' is not a positive dimension", d->value));
    dims.push_back(std::get<int64_t>(*v));
  }
  return dims;
}

/// Caffe pads both sides alike: HxW as Deeper's top, left, bottom, right.
Dims symmetric(const Dims &hw) { return {hw[0], hw[1], hw[0], hw[1]}; }

bool trainOnly(const Message &layer) {
  for (const Field *inc : layer.all("include"))
    if (inc->message && inc->message->scalar("phase") == "TRAIN") return true;
  return false;
}

class CaffeImporter {
 public:
  CaffeImporter(Graph &g, const std::shared_ptr<const SourceFile> &source) : graph_(g), builder_(g), source_(source) {}

  void run(const Message &net) {
    graph_.name = net.scalar("name", graph_.name);
    if (!net.all("layers").empty()) failAt(net.first("layers")->loc, "V1 'layers' networks are not supported", "upgrade with Caffe's upgrade_net_proto_text");
    topLevelInput(net);
    for (const Field *layer : net.all("layer"))
      if (layer->message) importLayer(*layer->message, layer->loc);
    declareOutputs();
  }

 private:
  void topLevelInput(const Message &net) {
    const Field *input = net.first("input");
    if (!input) return;
    const Field *shape = net.first("input_shape");
    Dims dims = shape && shape->message ? dimsOf(shape->message->all("dim")) : dimsOf(net.all("input_dim"));
    if (dims.size() < 2) failAt(input->loc, "input needs input_shape { dim: ... } or input_dim fields");
    define(input->value, builder_.add(OpKind::Input, input->value, {}, {{"shape", Dims(dims.begin() + 1, dims.end())}}, {input->loc, "", ""}));
  }

  Node *blob(const Field &bottom) {
    auto it = blobs_.find(bottom.value);
    if (it == blobs_.end()) failAt(bottom.loc, fmt::format("no layer produces blob '{}'", bottom.value));
    consumed_.insert(it->second);
    return it->second;
  }

  void define(const std::string &top, Node *node) {
    blobs_[top] = node;
    produced_.push_back(node);
  }

  void importLayer(const Message &layer, const SourceLoc &loc) {
    std::string type = layer.scalar("type"), name = layer.scalar("name");
    if (name.empty()) failAt(loc, "layer without a name");
    if (trainOnly(layer) || kSkipped.count(type)) return;
    std::vector<Node *> inputs;
    for (const Field *b : layer.all("bottom")) inputs.push_back(blob(*b));
    auto tops = layer.all("top");
    if (tops.size() != 1) failAt(loc, fmt::format("layer '{}' has {} tops; Deeper imports layers with one", name, tops.size()));
    NodeOrigin origin{layer.first("type") ? layer.first("type")->loc : loc, "", ""};
    define(tops[0]->value, addLayer(type, name, inputs, layer, origin));
  }

  Node *addLayer(const std::string &type, const std::string &name, const std::vector<Node *> &in, const Message &layer,
                 const NodeOrigin &origin) {
    if (type == "Input") {
      const Field *shape = paramsOf(layer, "input_param").first("shape");
      Dims dims = shape && shape->message ? dimsOf(shape->message->all("dim")) : Dims{};
      if (dims.size() < 2) failAt(origin.loc, fmt::format("Input layer '{}' needs input_param {{ shape {{ dim: ... }} }}", name));
      return builder_.add(OpKind::Input, name, {}, {{"shape", Dims(dims.begin() + 1, dims.end())}}, origin);
    }
    if (type == "Convolution") return convolution(name, in, paramsOf(layer, "convolution_param"), origin);
    if (type == "ReLU") {
      if (paramsOf(layer, "relu_param").number("negative_slope", 0) != 0) failAt(origin.loc, "leaky ReLU (negative_slope) is not supported");
      return builder_.add(OpKind::Relu, name, in, {}, origin);
    }
    if (type == "Pooling") return pooling(name, in, paramsOf(layer, "pooling_param"), origin);
    if (type == "LRN") {
      const Message &p = paramsOf(layer, "lrn_param");
      if (p.scalar("norm_region", "ACROSS_CHANNELS") != "ACROSS_CHANNELS") failAt(origin.loc, "LRN within channels is not supported");
      return builder_.add(OpKind::Lrn, name, in, {{"size", p.integer("local_size", 5)}, {"alpha", p.number("alpha", 1.0)},
                                                  {"beta", p.number("beta", 0.75)}, {"k", p.number("k", 1.0)}}, origin);
    }
    if (type == "Concat") {
      const Message &p = paramsOf(layer, "concat_param");
      return builder_.add(OpKind::Concat, name, in, {{"axis", p.integer("axis", p.integer("concat_dim", 1))}}, origin);
    }
    if (type == "Dropout") return builder_.add(OpKind::Dropout, name, in, {{"ratio", paramsOf(layer, "dropout_param").number("dropout_ratio", 0.5)}}, origin);
    if (type == "InnerProduct") {
      const Message &p = paramsOf(layer, "inner_product_param");
      if (p.integer("axis", 1) != 1) failAt(origin.loc, "InnerProduct with axis other than 1 is not supported");
      return builder_.add(OpKind::Fc, name, in, {{"out", p.integer("num_output", 0)}, {"bias", p.scalar("bias_term", "true") == "true"}}, origin);
    }
    if (type == "Softmax") return builder_.add(OpKind::Softmax, name, in, {{"axis", paramsOf(layer, "softmax_param").integer("axis", 1)}}, origin);
    failAt(origin.loc, fmt::format("layer '{}' has unsupported type '{}'", name, type),
           "supported: Input, Convolution, ReLU, Pooling, LRN, Concat, Dropout, InnerProduct, Softmax");
  }

  Node *convolution(const std::string &name, const std::vector<Node *> &in, const Message &p, const NodeOrigin &origin) {
    int64_t dilation = p.integer("dilation", 1);  // Caffe's one dilation applies to both axes
    return builder_.add(OpKind::Conv, name, in,
                        {{"out", p.integer("num_output", 0)}, {"kernel", window(p, "kernel", 0)}, {"stride", window(p, "stride", 1)},
                         {"pad", symmetric(window(p, "pad", 0))}, {"dilation", Dims{dilation, dilation}},
                         {"groups", p.integer("group", 1)}, {"bias", p.scalar("bias_term", "true") == "true"}},
                        origin);
  }

  Node *pooling(const std::string &name, const std::vector<Node *> &in, const Message &p, const NodeOrigin &origin) {
    std::string pool = p.scalar("pool", "MAX");
    if (pool != "MAX" && pool != "AVE") failAt(origin.loc, fmt::format("pooling '{}' of kind {} is not supported (MAX, AVE)", name, pool));
    Dims kernel = window(p, "kernel", 0);
    if (p.scalar("global_pooling") == "true" && !in.empty() && in[0]->shape.size() == 4) kernel = {in[0]->shape[2], in[0]->shape[3]};
    return builder_.add(pool == "MAX" ? OpKind::MaxPool : OpKind::AvgPool, name, in,
                        {{"kernel", kernel}, {"stride", window(p, "stride", 1)}, {"pad", symmetric(window(p, "pad", 0))},
                         {"ceil", p.scalar("round_mode", "CEIL") != "FLOOR"}},
                        origin);
  }

  void declareOutputs() {
    for (Node *n : produced_)
      if (!consumed_.count(n) && isLatestProducer(n) && !graph_.isOutput(n)) builder_.output(n);
    if (graph_.outputs().empty()) failAt(SourceLoc{source_, 1, 1, 1}, "the network computes nothing (no layers after the input)");
  }

  /// True when `n` is still the latest producer of some blob (in-place layers replace their input).
  bool isLatestProducer(const Node *n) const {
    for (const auto &entry : blobs_)
      if (entry.second == n) return true;
    return false;
  }

  Graph &graph_;
  GraphBuilder builder_;
  std::shared_ptr<const SourceFile> source_;
  std::map<std::string, Node *> blobs_;
  std::vector<Node *> produced_;
  std::set<const Node *> consumed_;
};

}  // namespace

Graph importCaffe(const std::shared_ptr<const SourceFile> &source, const ElaborateOptions &options) {
  Graph graph;
  graph.name = options.defaultName;
  CaffeImporter(graph, source).run(prototxt::parse(source));
  recognizeConcatModules(graph);
  return graph;
}

}  // namespace deeper
