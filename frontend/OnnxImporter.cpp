#include "frontend/OnnxImporter.h"

#include "frontend/BlockRecognition.h"
#include "frontend/Builder.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <set>

namespace deeper {
namespace {

constexpr int kMinOpset = 7, kMaxOpset = 17;
const char *kSupported =
    "Conv, Relu, MaxPool, AveragePool, GlobalAveragePool, LRN, Concat, Gemm, MatMul, Flatten, Reshape, Dropout, "
    "Softmax, BatchNormalization, Identity, Constant, Pad (all zero)";

/// Reads tensor data (inline or external, relative to the model's folder) as float or int64 values.
class TensorReader {
 public:
  explicit TensorReader(std::string modelPath) : dir_(std::filesystem::path(modelPath).parent_path()), model_(std::move(modelPath)) {}

  Tensor floats(const onnx::TensorProto &t, const std::string &node) const {
    if (t.data_type() != onnx::TensorProto::FLOAT)
      fail(fmt::format("{}: node '{}': tensor '{}' has data type {}; Deeper reads float32", model_, node, t.name(), t.data_type()));
    Tensor out(dims(t));
    if (t.float_data_size()) {
      if (t.float_data_size() != out.numel()) bad(t, "float_data size does not match its dims");
      std::copy(t.float_data().begin(), t.float_data().end(), out.data.begin());
      return out;
    }
    std::string raw = rawData(t);
    if (raw.size() != out.data.size() * 4) bad(t, "raw data size does not match its dims");
    std::memcpy(out.data.data(), raw.data(), raw.size());
    return out;
  }

  std::vector<int64_t> int64s(const onnx::TensorProto &t) const {
    if (t.data_type() != onnx::TensorProto::INT64) bad(t, "expected int64 values");
    if (t.int64_data_size()) return {t.int64_data().begin(), t.int64_data().end()};
    std::string raw = rawData(t);
    std::vector<int64_t> out(raw.size() / 8);
    std::memcpy(out.data(), raw.data(), out.size() * 8);
    return out;
  }

 private:
  [[noreturn]] void bad(const onnx::TensorProto &t, const std::string &what) const {
    fail(fmt::format("{}: tensor '{}': {}", model_, t.name(), what));
  }

  Dims dims(const onnx::TensorProto &t) const {
    Dims d(t.dims().begin(), t.dims().end());
    if (!checkedNumel(d)) bad(t, "dims are negative or too large");
    return d;
  }

  std::string rawData(const onnx::TensorProto &t) const {
    if (t.data_location() != onnx::TensorProto::EXTERNAL) return t.raw_data();
    std::map<std::string, std::string> info;
    for (const auto &e : t.external_data()) info[e.key()] = e.value();
    std::filesystem::path location = info["location"];
    if (location.empty() || location.is_absolute() || location.lexically_normal().string().rfind("..", 0) == 0)
      bad(t, fmt::format("external data location '{}' must be a relative path inside the model's folder", location.string()));
    std::string bytes = readFile((dir_ / location).string());
    size_t offset = info.count("offset") ? std::stoull(info["offset"]) : 0;
    size_t length = info.count("length") ? std::stoull(info["length"]) : bytes.size() - std::min(offset, bytes.size());
    if (offset > bytes.size() || length > bytes.size() - offset) bad(t, "external data lies outside its file");
    return bytes.substr(offset, length);
  }

  std::filesystem::path dir_;
  std::string model_;
};

struct Attributes {
  std::map<std::string, const onnx::AttributeProto *> byName;
  explicit Attributes(const onnx::NodeProto &n) {
    for (const auto &a : n.attribute()) byName[a.name()] = &a;
  }
  int64_t i(const std::string &name, int64_t fallback) const {
    auto it = byName.find(name);
    return it == byName.end() ? fallback : it->second->i();
  }
  /// ONNX floats are float32; the shortest decimal that reads back as the same float32 ("0.0001", not
  /// 9.99999974e-05) is what the model's author wrote.
  double f(const std::string &name, double fallback) const {
    auto it = byName.find(name);
    return it == byName.end() ? fallback : std::stod(fmt::format("{}", it->second->f()));
  }
  std::string s(const std::string &name, const std::string &fallback) const {
    auto it = byName.find(name);
    return it == byName.end() ? fallback : it->second->s();
  }
  std::vector<int64_t> ints(const std::string &name, std::vector<int64_t> fallback) const {
    auto it = byName.find(name);
    return it == byName.end() ? fallback : std::vector<int64_t>(it->second->ints().begin(), it->second->ints().end());
  }
};

class OnnxImporter {
 public:
  OnnxImporter(Graph &g, const std::string &path, int opset) : graph_(g), builder_(g), reader_(path), path_(path), opset_(opset) {}

  void run(const onnx::GraphProto &g, const std::map<std::string, Tensor> &bind) {
    for (const auto &init : g.initializer()) initializers_[init.name()] = &init;
    for (const auto &[name, t] : bind) bindConstant(g, name, t);
    for (const auto &in : g.input())
      if (!initializers_.count(in.name())) addInput(in);
    for (const auto &n : g.node()) importNode(n);
    for (const auto &out : g.output()) {
      Node *node = value(out.name(), "graph output");
      if (graph_.findOutput(out.name())) fail(fmt::format("{}: output '{}' is declared twice", path_, out.name()));
      builder_.output(node, false, out.name());
    }
  }

 private:
  [[noreturn]] void unsupported(const onnx::NodeProto &n, const std::string &what) {
    fail(fmt::format("{}: node '{}' ({}): {}", path_, n.name().empty() ? n.output(0) : n.name(), n.op_type(), what));
  }

  void bindConstant(const onnx::GraphProto &g, const std::string &name, const Tensor &t) {
    bool isInput = std::any_of(g.input().begin(), g.input().end(), [&](const auto &in) { return in.name() == name; });
    if (!isInput) fail(fmt::format("{}: --bind {}: the model has no input of that name", path_, name));
    onnx::TensorProto &c = bound_.emplace_back();
    c.set_name(name);
    c.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : t.shape) c.add_dims(d);
    c.set_raw_data(std::string(reinterpret_cast<const char *>(t.data.data()), t.data.size() * 4));
    initializers_[name] = &c;
  }

  Node *value(const std::string &name, const std::string &user) {
    auto it = values_.find(name);
    if (it == values_.end()) fail(fmt::format("{}: {} reads '{}', which no node or input defines", path_, user, name));
    return it->second;
  }

  const onnx::TensorProto &constant(const onnx::NodeProto &n, int index) {
    if (n.input_size() <= index) unsupported(n, fmt::format("input {} is missing", index));
    const std::string &name = n.input(index);
    if (auto c = constants_.find(name); c != constants_.end()) return *c->second;
    auto it = initializers_.find(name);
    if (it == initializers_.end()) unsupported(n, fmt::format("input '{}' must be a constant (an initializer)", name));
    return *it->second;
  }

  void addInput(const onnx::ValueInfoProto &in) {
    const auto &shape = in.type().tensor_type().shape();
    if (in.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT)
      fail(fmt::format("{}: input '{}' is not float32", path_, in.name()));
    Dims perSample;
    for (int d = 1; d < shape.dim_size(); ++d) {
      if (!shape.dim(d).has_dim_value()) fail(fmt::format("{}: input '{}' has a symbolic dimension {}; only the batch may be symbolic", path_, in.name(), d));
      perSample.push_back(shape.dim(d).dim_value());
    }
    if (shape.dim_size() > 0 && shape.dim(0).has_dim_value() && graph_.nodes().empty()) graph_.batch = std::max<int64_t>(1, shape.dim(0).dim_value());
    values_[in.name()] = builder_.add(OpKind::Input, in.name(), {}, {{"shape", perSample}});
  }

  std::string nodeName(const onnx::NodeProto &n) {
    std::string name = !n.name().empty() && !graph_.find(n.name()) ? n.name() : n.output(0);
    for (int i = 2; graph_.find(name); ++i) name = fmt::format("{}_{}", n.output(0), i);
    return name;
  }

  /// Adds a node and stores its learned tensors under Deeper's names.
  Node *add(OpKind op, const onnx::NodeProto &n, std::vector<Node *> inputs, Attrs attrs, std::vector<std::pair<std::string, Tensor>> params = {}) {
    std::string name = nodeName(n);
    for (auto &[role, t] : params) graph_.weights[name + "." + role] = std::move(t);
    Node *node = builder_.add(op, name, std::move(inputs), std::move(attrs));
    values_[n.output(0)] = node;
    return node;
  }

  /// ONNX pads [top, left, bottom, right] (explicit, or from auto_pad) for two spatial axes.
  Dims pads(const onnx::NodeProto &n, const Attributes &a, const Dims &in, const Dims &kernel, const Dims &stride) {
    std::string autoPad = a.s("auto_pad", "NOTSET");
    std::vector<int64_t> pads = a.ints("pads", {0, 0, 0, 0});
    if (autoPad == "VALID") pads = {0, 0, 0, 0};
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")
      for (int d = 0; d < 2; ++d) {
        int64_t out = (in[2 + d] + stride[d] - 1) / stride[d];
        int64_t total = std::max<int64_t>(0, (out - 1) * stride[d] + kernel[d] - in[2 + d]);
        pads[d] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
        pads[d + 2] = total - pads[d];
      }
    if (pads.size() != 4) unsupported(n, "'pads' must have 4 values (2-D only)");
    return pads;
  }

  Dims pair(const onnx::NodeProto &n, const Attributes &a, const char *name, int64_t fallback) {
    std::vector<int64_t> v = a.ints(name, {fallback, fallback});
    if (v.size() != 2) unsupported(n, fmt::format("'{}' must have 2 values (2-D only)", name));
    return v;
  }

  void requireUnitDilation(const onnx::NodeProto &n, const Attributes &a) {
    for (int64_t d : a.ints("dilations", {1, 1}))
      if (d != 1) unsupported(n, "dilations other than 1 are not supported for this op");
  }

  void importConv(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    Tensor w = reader_.floats(constant(n, 1), n.name());
    if (w.shape.size() != 4) unsupported(n, "2-D convolution only");
    if (a.i("group", 1) != 1) unsupported(n, "grouped convolution is not supported yet");
    Dims dilation = pair(n, a, "dilations", 1);
    Dims kernel = pair(n, a, "kernel_shape", 0);
    if (!a.byName.count("kernel_shape")) kernel = {w.shape[2], w.shape[3]};
    Dims stride = pair(n, a, "strides", 1);
    Dims pad = pads(n, a, x->shape, {(kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1}, stride);
    std::vector<std::pair<std::string, Tensor>> params = {{"weight", w}};
    bool bias = n.input_size() > 2 && !n.input(2).empty();
    if (bias) params.push_back({"bias", reader_.floats(constant(n, 2), n.name())});
    add(OpKind::Conv, n, {x}, {{"out", w.shape[0]}, {"kernel", kernel}, {"stride", stride}, {"pad", pad}, {"dilation", dilation}, {"bias", bias}}, params);
  }

  void importPool(const onnx::NodeProto &n, const Attributes &a, Node *x, bool isMax) {
    if (!isMax) requireUnitDilation(n, a);
    Dims dilation = pair(n, a, "dilations", 1);
    if (isMax && a.i("storage_order", 0) != 0) unsupported(n, "storage_order 1 is not supported");
    if (isMax && n.output_size() > 1 && !n.output(1).empty()) unsupported(n, "the Indices output is not supported");
    Dims kernel = pair(n, a, "kernel_shape", 1), stride = pair(n, a, "strides", 1);
    Dims pad = pads(n, a, x->shape, {(kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1}, stride);
    Attrs attrs = {{"kernel", kernel}, {"stride", stride}, {"pad", pad}, {"ceil", a.i("ceil_mode", 0) != 0}};
    if (isMax) attrs["dilation"] = dilation;
    else attrs["exclude_pad"] = a.i("count_include_pad", 0) == 0;
    add(isMax ? OpKind::MaxPool : OpKind::AvgPool, n, {x}, attrs);
  }

  /// Gemm's alpha and beta are folded into the constant weight and bias; C broadcasts to one value
  /// per output (a scalar, [O] or [1, O]).
  void importGemm(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    if (a.i("transA", 0) != 0) unsupported(n, "transA = 1 is not supported");
    if (x->shape.size() != 2) unsupported(n, fmt::format("A must be 2-D, it is f32[{}]", fmt::join(x->shape, ",")));
    Tensor w = reader_.floats(constant(n, 1), n.name());
    if (w.shape.size() != 2) unsupported(n, "B must be a 2-D constant");
    if (n.op_type() == "MatMul" || a.i("transB", 0) == 0) w = transposed(w);
    for (float &v : w.data) v = static_cast<float>(v * a.f("alpha", 1));
    std::vector<std::pair<std::string, Tensor>> params = {{"weight", w}};
    bool bias = n.op_type() == "Gemm" && n.input_size() > 2 && !n.input(2).empty();
    if (bias) {
      Tensor c = reader_.floats(constant(n, 2), n.name()), b({w.shape[0]});
      if (c.numel() != 1 && c.numel() != w.shape[0]) unsupported(n, "C must be a scalar or one value per output (no per-row bias)");
      for (int64_t o = 0; o < w.shape[0]; ++o) b.data[o] = static_cast<float>(c.data[c.numel() == 1 ? 0 : o] * a.f("beta", 1));
      params.push_back({"bias", b});
    }
    add(OpKind::Fc, n, {x}, {{"out", w.shape[0]}, {"bias", bias}}, params);
  }

  static Tensor transposed(const Tensor &w) {
    Tensor t({w.shape[1], w.shape[0]});
    for (int64_t i = 0; i < w.shape[0]; ++i)
      for (int64_t j = 0; j < w.shape[1]; ++j) t.data[j * w.shape[0] + i] = w.data[i * w.shape[1] + j];
    return t;
  }

  void importReshape(const onnx::NodeProto &n, Node *x) {
    std::vector<int64_t> shape = reader_.int64s(constant(n, 1));
    int64_t features = 1;
    for (size_t d = 1; d < x->shape.size(); ++d) features *= x->shape[d];
    bool batchFirst = shape.size() == 2 && (shape[0] == 0 || shape[0] == -1 || shape[0] == x->shape[0]);
    if (!batchFirst || (shape[1] != -1 && shape[1] != features))
      unsupported(n, fmt::format("only reshapes to [N, -1] (a flatten) are supported, not [{}]", fmt::join(shape, ",")));
    add(OpKind::Flatten, n, {x}, {{"axis", int64_t(1)}});
  }

  /// Exporters emit Pad with zero pads before some pooling; anything else needs a pad op Deeper lacks.
  void importPad(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    std::vector<int64_t> pads = opset_ < 11 ? a.ints("pads", {}) : reader_.int64s(constant(n, 1));
    for (int64_t p : pads)
      if (p != 0) unsupported(n, "padding as a separate op is not supported yet (only all-zero pads)");
    values_[n.output(0)] = x;
  }

  void importSoftmax(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    int64_t rank = static_cast<int64_t>(x->shape.size());
    int64_t axis = a.i("axis", opset_ >= 13 ? -1 : 1);
    if (axis < 0) axis += rank;
    // Before opset 13, softmax normalised over all dimensions from `axis` on: the same only at the last.
    if (opset_ < 13 && axis != rank - 1) unsupported(n, "opset < 13 softmax over several dimensions is not supported");
    add(OpKind::Softmax, n, {x}, {{"axis", axis}});
  }

  void importNode(const onnx::NodeProto &n) {
    if (!n.domain().empty() && n.domain() != "ai.onnx") unsupported(n, fmt::format("domain '{}' is not supported", n.domain()));
    const std::string &op = n.op_type();
    Attributes a(n);
    if (op == "Constant") {
      auto it = a.byName.find("value");
      if (it == a.byName.end()) unsupported(n, "only 'value' constants are supported");
      constants_[n.output(0)] = &it->second->t();
      return;
    }
    if (n.input_size() == 0) unsupported(n, "has no inputs");
    if (op == "Identity" && !values_.count(n.input(0))) {  // a renamed constant (exporters share weights so)
      initializers_[n.output(0)] = &constant(n, 0);
      return;
    }
    Node *x = value(n.input(0), fmt::format("node '{}'", n.name()));
    if (op == "Identity") { values_[n.output(0)] = x; return; }
    if (op == "Pad") return importPad(n, a, x);
    if (op == "Conv") return importConv(n, a, x);
    if (op == "Relu") { add(OpKind::Relu, n, {x}, {}); return; }
    if (op == "MaxPool" || op == "AveragePool") return importPool(n, a, x, op == "MaxPool");
    if (op == "GlobalAveragePool") {
      if (x->shape.size() != 4) unsupported(n, "2-D pooling only");
      add(OpKind::AvgPool, n, {x}, {{"kernel", Dims{x->shape[2], x->shape[3]}}});
      return;
    }
    if (op == "LRN") {
      add(OpKind::Lrn, n, {x}, {{"size", a.i("size", 5)}, {"alpha", a.f("alpha", 1e-4)}, {"beta", a.f("beta", 0.75)}, {"k", a.f("bias", 1.0)}});
      return;
    }
    if (op == "Concat") {
      std::vector<Node *> inputs;
      for (const std::string &in : n.input()) inputs.push_back(value(in, fmt::format("node '{}'", n.name())));
      int64_t axis = a.i("axis", 1);
      add(OpKind::Concat, n, inputs, {{"axis", axis < 0 ? axis + static_cast<int64_t>(x->shape.size()) : axis}});
      return;
    }
    if (op == "Gemm" || op == "MatMul") return importGemm(n, a, x);
    if (op == "Flatten") {
      int64_t axis = a.i("axis", 1);
      add(OpKind::Flatten, n, {x}, {{"axis", axis < 0 ? axis + static_cast<int64_t>(x->shape.size()) : axis}});
      return;
    }
    if (op == "Reshape") return importReshape(n, x);
    if (op == "Dropout") { add(OpKind::Dropout, n, {x}, {{"ratio", a.f("ratio", 0.5)}}); return; }
    if (op == "Softmax") return importSoftmax(n, a, x);
    if (op == "BatchNormalization") {
      std::vector<std::pair<std::string, Tensor>> params;
      const char *roles[] = {"scale", "bias", "mean", "var"};
      for (int i = 0; i < 4; ++i) params.push_back({roles[i], reader_.floats(constant(n, i + 1), n.name())});
      add(OpKind::BatchNorm, n, {x}, {{"epsilon", a.f("epsilon", 1e-5)}}, params);
      return;
    }
    unsupported(n, fmt::format("op '{}' is not supported; supported: {}", op, kSupported));
  }

  Graph &graph_;
  GraphBuilder builder_;
  TensorReader reader_;
  std::string path_;
  int opset_;
  std::map<std::string, const onnx::TensorProto *> initializers_, constants_;
  std::map<std::string, Node *> values_;
  std::deque<onnx::TensorProto> bound_;  // --bind values, stable addresses for initializers_
};

int defaultOpset(const onnx::ModelProto &m, const std::string &path) {
  for (const auto &o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      if (o.version() < kMinOpset || o.version() > kMaxOpset)
        fail(fmt::format("{}: opset {} is not supported (opsets {} to {})", path, o.version(), kMinOpset, kMaxOpset));
      return static_cast<int>(o.version());
    }
  fail(fmt::format("{}: the model imports no default-domain opset", path));
}

/// fc flattens its input itself: a Flatten(axis 1) feeding only an fc is redundant (ONNX needs it, Deeper not).
void dropFlattensBeforeFc(Graph &graph) {
  for (Node *fc : graph.nodesOfOp(OpKind::Fc)) {
    Node *in = fc->inputs[0];
    if (in->op == OpKind::Flatten && in->attrInt("axis") == 1 && graph.hasSingleUse(in))
      fc->inputs[0] = in->inputs[0];
  }
  graph.removeDeadNodes();
}

}  // namespace

Tensor readOnnxTensor(const std::string &path, std::string *name) {
  onnx::TensorProto t;
  if (!t.ParseFromString(readFile(path))) fail(fmt::format("'{}' is not an ONNX TensorProto file", path));
  if (name) *name = t.name();
  return TensorReader(path).floats(t, path);
}

Graph importOnnx(const std::string &path, const std::string &bytes, const ElaborateOptions &options) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) fail(fmt::format("'{}' is not an ONNX model (its protobuf does not parse)", path));
  Graph graph;
  graph.name = !model.graph().name().empty() ? model.graph().name() : options.defaultName;
  OnnxImporter(graph, path, defaultOpset(model, path)).run(model.graph(), options.bind);
  dropFlattensBeforeFc(graph);
  recognizeConcatModules(graph);
  return graph;
}

}  // namespace deeper
