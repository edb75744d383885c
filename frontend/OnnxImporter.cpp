#include "frontend/OnnxImporter.h"

#include "frontend/BlockRecognition.h"
#include "frontend/Builder.h"
#include "frontend/OnnxFolding.h"
#include "ir/OpParams.h"
#include "support/Files.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <tuple>

namespace deeper {
namespace {

// Opsets 1 to 6 differ from 7 in attributes Deeper reads by version (Reshape's and Pad's attributes,
// the legacy broadcast of arithmetic, BatchNormalization's spatial) or ignores (consumed_inputs, is_test).
constexpr int kMinOpset = 1, kMaxOpset = 17;
/// Reads tensor data (inline, or external: a range of a file inside the model's folder) as float or
/// int64 values. The dims are checked against the data before anything is allocated, and an external
/// read covers exactly the bytes the dims need, so a tensor claiming more than its file holds costs
/// nothing.
class TensorReader {
 public:
  explicit TensorReader(std::string modelPath) : dir_(std::filesystem::path(modelPath).parent_path()), model_(std::move(modelPath)) {}

  Tensor floats(const onnx::TensorProto &t, const std::string &node) const {
    if (t.data_type() != onnx::TensorProto::FLOAT)
      fail(fmt::format("{}: node '{}': tensor '{}' has data type {}; Deeper reads float32", model_, node, t.name(), t.data_type()));
    int64_t count = numel(t);
    // Weights and operands hold values; an empty one with a huge other dim would cost loops, not memory.
    if (count == 0) bad(t, "has no elements (a dim is 0)");
    if (t.float_data_size()) {
      if (t.float_data_size() != count) bad(t, "float_data size does not match its dims");
      Tensor out(dims(t));
      std::copy(t.float_data().begin(), t.float_data().end(), out.data.begin());
      return out;
    }
    std::string raw = rawData(t, count, 4);
    Tensor out(dims(t));
    if (!raw.empty()) std::memcpy(out.data.data(), raw.data(), raw.size());
    return out;
  }

  /// A constant of any element type folding computes with (float, double, int64, int32, bool, ...).
  FoldedTensor folded(const onnx::TensorProto &t) const {
    FoldedTensor out{t.data_type(), dims(t), {}};
    int64_t count = numel(t);
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT:
        if (count > 0) {
          Tensor values = floats(t, t.name());
          out.values.assign(values.data.begin(), values.data.end());
        }
        return out;
      case onnx::TensorProto::INT64:
        for (int64_t v : int64s(t)) out.values.push_back(static_cast<double>(v));
        return out;
      case onnx::TensorProto::DOUBLE:
        if (t.double_data_size()) return out.values.assign(t.double_data().begin(), t.double_data().end()), checked(t, out, count);
        return fromRaw<double>(t, out, count);
      case onnx::TensorProto::INT32:
        if (t.int32_data_size()) return out.values.assign(t.int32_data().begin(), t.int32_data().end()), checked(t, out, count);
        return fromRaw<int32_t>(t, out, count);
      case onnx::TensorProto::BOOL:
      case onnx::TensorProto::UINT8:
      case onnx::TensorProto::INT8:
        if (t.int32_data_size()) return out.values.assign(t.int32_data().begin(), t.int32_data().end()), checked(t, out, count);
        return t.data_type() == onnx::TensorProto::INT8 ? fromRaw<int8_t>(t, out, count) : fromRaw<uint8_t>(t, out, count);
      default: bad(t, fmt::format("has data type {}, which Deeper does not compute with", t.data_type()));
    }
  }

  std::vector<int64_t> int64s(const onnx::TensorProto &t) const {
    if (t.data_type() == onnx::TensorProto::FLOAT) {  // a value bound with --bind arrives as float32
      std::vector<int64_t> out;
      if (numel(t) == 0) return out;  // an empty list (of axes, say)
      for (float v : floats(t, t.name()).data) {
        if (!(std::abs(v) < 9.2e18f) || v != std::nearbyint(v)) bad(t, "expected integer values");
        out.push_back(static_cast<int64_t>(v));
      }
      return out;
    }
    if (t.data_type() != onnx::TensorProto::INT64) bad(t, "expected int64 values");
    int64_t count = numel(t);
    if (t.int64_data_size()) {
      if (t.int64_data_size() != count) bad(t, "int64_data size does not match its dims");
      return {t.int64_data().begin(), t.int64_data().end()};
    }
    std::string raw = rawData(t, count, 8);
    std::vector<int64_t> out(static_cast<size_t>(count));
    if (!raw.empty()) std::memcpy(out.data(), raw.data(), raw.size());
    return out;
  }

 private:
  FoldedTensor checked(const onnx::TensorProto &t, FoldedTensor &out, int64_t count) const {
    if (static_cast<int64_t>(out.values.size()) != count) bad(t, "data size does not match its dims");
    return out;
  }

  template <typename T>
  FoldedTensor fromRaw(const onnx::TensorProto &t, FoldedTensor &out, int64_t count) const {
    std::string raw = rawData(t, count, sizeof(T));
    for (int64_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, raw.data() + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
      out.values.push_back(static_cast<double>(v));
    }
    return out;
  }

  [[noreturn]] void bad(const onnx::TensorProto &t, const std::string &what) const {
    fail(fmt::format("{}: tensor '{}': {}", model_, t.name(), what));
  }

  Dims dims(const onnx::TensorProto &t) const { return Dims(t.dims().begin(), t.dims().end()); }

  int64_t numel(const onnx::TensorProto &t) const {
    std::optional<int64_t> n = checkedNumel(dims(t));
    int64_t bytes;
    if (!n || __builtin_mul_overflow(*n, int64_t(8), &bytes)) bad(t, "dims are negative or too large");
    return *n;
  }

  /// An external_data value that must be a decimal byte count.
  uint64_t byteCount(const onnx::TensorProto &t, const std::string &key, const std::string &text) const {
    uint64_t v = 0;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || err != std::errc() || end != text.data() + text.size())
      bad(t, fmt::format("external data {} '{}' is not a decimal byte count", key, text));
    return v;
  }

  /// The `count` elements of `elementBytes` each, inline or from the external file.
  std::string rawData(const onnx::TensorProto &t, int64_t count, int64_t elementBytes) const {
    uint64_t bytes = static_cast<uint64_t>(count) * static_cast<uint64_t>(elementBytes);
    if (t.data_location() != onnx::TensorProto::EXTERNAL) {
      if (t.raw_data().size() != bytes) bad(t, fmt::format("raw data size ({} bytes) does not match its dims ({} bytes)", t.raw_data().size(), bytes));
      return t.raw_data();
    }
    std::map<std::string, std::string> info;
    for (const auto &e : t.external_data()) info[e.key()] = e.value();
    FileInFolder file(dir_.string(), info["location"], fmt::format("{}: tensor '{}': external data '{}'", model_, t.name(), info["location"]));
    uint64_t offset = info.count("offset") ? byteCount(t, "offset", info["offset"]) : 0;
    // Without a length the data runs from the offset to the end of the file.
    uint64_t length = info.count("length") ? byteCount(t, "length", info["length"]) : file.size() - std::min(offset, file.size());
    if (length != bytes) bad(t, fmt::format("raw data size ({} bytes) does not match its dims ({} bytes)", length, bytes));
    return file.read(offset, bytes);
  }

  std::filesystem::path dir_;
  std::string model_;
};

/// "m.onnx: node 'n1' (Conv): <what>": every error about one node names it so.
[[noreturn]] void failAtOnnxNode(const std::string &path, const onnx::NodeProto &n, const std::string &what) {
  fail(fmt::format("{}: node '{}' ({}): {}", path, n.name().empty() && n.output_size() ? n.output(0) : n.name(), n.op_type(), what));
}

/// A node's attributes by name, each read as the type the op defines for it (a FLOAT `group` would
/// otherwise read as 0).
class Attributes {
 public:
  Attributes(const onnx::NodeProto &n, const std::string &path) : node_(n), path_(path) {
    for (const auto &a : n.attribute()) byName_[a.name()] = &a;
  }
  bool has(const std::string &name) const { return byName_.count(name) > 0; }
  int64_t i(const std::string &name, int64_t fallback) const {
    const onnx::AttributeProto *a = find(name, onnx::AttributeProto::INT);
    return a ? a->i() : fallback;
  }
  /// ONNX floats are float32; the shortest decimal that reads back as the same float32 ("0.0001", not
  /// 9.99999974e-05) is what the model's author wrote.
  double f(const std::string &name, double fallback) const {
    const onnx::AttributeProto *a = find(name, onnx::AttributeProto::FLOAT);
    return a ? std::stod(fmt::format("{}", a->f())) : fallback;
  }
  std::string s(const std::string &name, const std::string &fallback) const {
    const onnx::AttributeProto *a = find(name, onnx::AttributeProto::STRING);
    return a ? a->s() : fallback;
  }
  std::vector<int64_t> ints(const std::string &name, std::vector<int64_t> fallback) const {
    const onnx::AttributeProto *a = find(name, onnx::AttributeProto::INTS);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
  }
  const onnx::TensorProto *t(const std::string &name) const {
    const onnx::AttributeProto *a = find(name, onnx::AttributeProto::TENSOR);
    return a ? &a->t() : nullptr;
  }

 private:
  /// The attribute, or nullptr when absent; an error when it has another type. Models that predate
  /// attribute types leave it UNDEFINED: then the field of the expected type must be set.
  const onnx::AttributeProto *find(const std::string &name, onnx::AttributeProto::AttributeType type) const {
    auto it = byName_.find(name);
    if (it == byName_.end()) return nullptr;
    const onnx::AttributeProto &a = *it->second;
    bool untyped = a.type() == onnx::AttributeProto::UNDEFINED;
    bool present = type == onnx::AttributeProto::INT      ? a.has_i()
                   : type == onnx::AttributeProto::FLOAT  ? a.has_f()
                   : type == onnx::AttributeProto::STRING ? a.has_s()
                   : type == onnx::AttributeProto::TENSOR ? a.has_t()
                                                          : a.ints_size() > 0 || !untyped;
    if (untyped ? !present : a.type() != type)
      failAtOnnxNode(path_, node_, fmt::format("attribute '{}' must be of type {}, it is {}", name, onnx::AttributeProto::AttributeType_Name(type),
                                               onnx::AttributeProto::AttributeType_Name(a.type())));
    return &a;
  }

  std::map<std::string, const onnx::AttributeProto *> byName_;
  const onnx::NodeProto &node_;
  const std::string &path_;
};

class OnnxImporter {
 public:
  OnnxImporter(Graph &g, const std::string &path, int opset) : graph_(g), builder_(g), reader_(path), path_(path), opset_(opset) {}

  void run(const onnx::GraphProto &g, const ElaborateOptions &options) {
    for (const auto &init : g.initializer()) initializers_[init.name()] = &init;
    for (const auto &[name, t] : options.bind) bindConstant(g, name, t);
    inputValues_ = &options.inputValues;
    for (const auto &in : g.input())
      if (!initializers_.count(in.name())) addInput(g, in);
    for (const auto &n : g.node()) importNode(n);
    for (const std::string &name : boundLate_) {
      if (Node *input = graph_.find(name); input && input->op == OpKind::Input && graph_.users(input).empty() && !graph_.isOutput(input))
        graph_.removeUnusedInput(input);
      options.boundInputs->insert(name);
    }
    if (g.output_size() == 0) fail(fmt::format("{}: the graph declares no outputs; Deeper computes the values a graph outputs", path_));
    for (const auto &out : g.output()) {
      if (auto lrn = partialLrn_.find(out.name()); lrn != partialLrn_.end() && lrn->second.stage == PartialLrn::Squared) materialiseSquare(out.name());
      if (constants_.count(out.name()) || initializers_.count(out.name()))
        fail(fmt::format("{}: output '{}' is a constant; Deeper compiles outputs computed from the inputs", path_, out.name()));
      Node *node = value(out.name(), "graph output");
      if (graph_.findOutput(out.name())) fail(fmt::format("{}: output '{}' is declared twice", path_, out.name()));
      builder_.output(node, false, out.name());
    }
    if (recognisedLrn_) graph_.removeDeadNodes();  // the squares x * x its lrn nodes replaced
  }

 private:
  [[noreturn]] void unsupported(const onnx::NodeProto &n, const std::string &what) { failAtOnnxNode(path_, n, what); }

  void bindConstant(const onnx::GraphProto &g, const std::string &name, const Tensor &t) {
    bool isInput = std::any_of(g.input().begin(), g.input().end(), [&](const auto &in) { return in.name() == name; });
    if (!isInput) fail(fmt::format("{}: --bind {}: the model has no input of that name", path_, name));
    boundProto(name, t);
  }

  /// Graph input `name` read where a constant is needed, given a value (deeper run's --input): bound to it.
  const onnx::TensorProto &bindLate(const std::string &name, const Tensor &t) {
    boundLate_.insert(name);
    return boundProto(name, t);
  }

  const onnx::TensorProto &boundProto(const std::string &name, const Tensor &t) {
    onnx::TensorProto &c = bound_.emplace_back();
    c.set_name(name);
    c.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : t.shape) c.add_dims(d);
    c.set_raw_data(std::string(reinterpret_cast<const char *>(t.data.data()), t.data.size() * 4));
    initializers_[name] = &c;
    return c;
  }

  Node *value(const std::string &name, const std::string &user) {
    auto it = values_.find(name);
    if (it == values_.end()) fail(fmt::format("{}: {} reads '{}', which no node or input defines", path_, user, name));
    return it->second;
  }

  /// The constant (a Constant node's, a folded value, an initializer) named `name`, or nullptr.
  const onnx::TensorProto *findConstant(const std::string &name) const {
    if (auto c = constants_.find(name); c != constants_.end()) return c->second;
    auto it = initializers_.find(name);
    return it == initializers_.end() ? nullptr : it->second;
  }

  /// Integers from constant input `index` when the opset has it there (from `inputFrom` on) and the
  /// node gives it, else from attribute `attr` (axes, split sizes, slice bounds).
  std::vector<int64_t> intsFromInputOrAttribute(const onnx::NodeProto &n, int index, const char *attr, int inputFrom) {
    if (opset_ < inputFrom) return Attributes(n, path_).ints(attr, {});
    bool given = n.input_size() > index && !n.input(index).empty();
    return given ? reader_.int64s(constant(n, index)) : std::vector<int64_t>{};
  }

  const onnx::TensorProto &constant(const onnx::NodeProto &n, int index) {
    if (n.input_size() <= index) unsupported(n, fmt::format("input {} is missing", index));
    const std::string &name = n.input(index);
    if (const onnx::TensorProto *c = findConstant(name)) return *c;
    auto producer = producers_.find(name);
    if (producer == producers_.end()) unsupported(n, fmt::format("input '{}' must be a constant (an initializer), and nothing defines it", name));
    bool input = producer->second == "graph input";
    if (auto given = inputValues_->find(name); input && given != inputValues_->end()) return bindLate(name, given->second);
    unsupported(n, fmt::format("input {} '{}' must be a constant, but it is {}; {}", index, name,
                               input ? "a graph input" : fmt::format("computed by node '{}'", producer->second),
                               input ? fmt::format("bind it with --bind {}=FILE.pb|.npy", name)
                                     : "Deeper folds only values computed from constants and shapes"));
  }

  void addInput(const onnx::GraphProto &g, const onnx::ValueInfoProto &in) {
    const auto &shape = in.type().tensor_type().shape();
    // Computed inputs are float32 with a batch axis; anything else (a shape, pads, a ratio) can only
    // be a value fixed at compile time.
    bool computable = in.type().tensor_type().elem_type() == onnx::TensorProto::FLOAT && shape.dim_size() > 0;
    if (auto given = inputValues_->find(in.name()); !computable && given != inputValues_->end()) {
      bindConstant(g, in.name(), given->second);
      boundLate_.insert(in.name());
      return;
    }
    if (!computable)
      fail(fmt::format("{}: input '{}' is {}; Deeper's inputs are float32 with a batch axis, so it must be a constant "
                       "(an initializer, or --bind {}=FILE.pb|.npy)",
                       path_, in.name(), shape.dim_size() == 0 ? "a scalar" : "not float32", in.name()));
    Dims perSample;
    for (int d = 1; d < shape.dim_size(); ++d) {
      if (!shape.dim(d).has_dim_value()) fail(fmt::format("{}: input '{}' has a symbolic dimension {}; only the batch may be symbolic", path_, in.name(), d));
      perSample.push_back(shape.dim(d).dim_value());
    }
    if (shape.dim_size() > 0 && shape.dim(0).has_dim_value() && graph_.nodes().empty()) {
      int64_t batch = shape.dim(0).dim_value();
      if (batch > kMaxAttrInt) fail(fmt::format("{}: input '{}' has a batch of {}; at most 2^31 - 1", path_, in.name(), batch));
      graph_.batch = std::max<int64_t>(1, batch);
    }
    if (!producers_.emplace(in.name(), "graph input").second) fail(fmt::format("{}: input '{}' is declared twice", path_, in.name()));
    values_[in.name()] = builder_.add(OpKind::Input, in.name(), {}, {{"shape", perSample}});
  }

  std::string nodeName(const onnx::NodeProto &n) { return !n.name().empty() && !graph_.find(n.name()) ? n.name() : freshName(n.output(0)); }

  /// `base`, or base_2, base_3, ...: the first name no node has.
  std::string freshName(const std::string &base) {
    std::string name = base;
    for (int i = 2; graph_.find(name); ++i) name = fmt::format("{}_{}", base, i);
    return name;
  }

  /// Adds a node and stores its learned tensors under Deeper's names, each checked against the shape
  /// the node reads it as (a batchnorm's scale shorter than its channels would be read past its end).
  Node *add(OpKind op, const onnx::NodeProto &n, std::vector<Node *> inputs, Attrs attrs, std::vector<std::pair<std::string, Tensor>> params = {}) {
    std::string name = nodeName(n);
    Node *node = builder_.add(op, name, std::move(inputs), std::move(attrs));
    for (const ParamSpec &spec : paramsOf(*node))
      for (auto &[role, t] : params)
        if (role == spec.role() && t.shape != spec.shape)
          unsupported(n, fmt::format("its {} is f32[{}]; the node needs f32[{}]", role, fmt::join(t.shape, ","), fmt::join(spec.shape, ",")));
    for (auto &[role, t] : params) graph_.weights[name + "." + role] = std::move(t);
    values_[n.output(0)] = node;
    return node;
  }

  /// `n`'s output is `x`'s value under another name (Identity, a zero Pad).
  void alias(const onnx::NodeProto &n, Node *x) { values_[n.output(0)] = x; }

  /// Claims the value name `name` for `n`: a value has one producer (SSA), and a second one would
  /// silently replace the first for every later reader.
  void define(const onnx::NodeProto &n, const std::string &name) {
    auto [it, fresh] = producers_.emplace(name, n.name().empty() ? name : n.name());
    if (!fresh || initializers_.count(name))
      unsupported(n, fmt::format("value '{}' is already produced by {}; every value must have one producer", name,
                                 fresh ? "an initializer" : fmt::format("node '{}'", it->second)));
  }

  /// ONNX pads [top, left, bottom, right] (explicit, or from auto_pad) for two spatial axes, or for
  /// one (`oneD`: [begin, end] of a width under a height of 1; `in` is already lifted).
  Dims pads(const onnx::NodeProto &n, const Attributes &a, const Dims &in, const Dims &kernel, const Dims &stride, bool oneD) {
    std::string autoPad = a.s("auto_pad", "NOTSET");
    if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
      unsupported(n, fmt::format("auto_pad '{}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER", autoPad));
    if (in.size() != 4) unsupported(n, fmt::format("2-D windows need an N,C,H,W input, it is f32[{}]", fmt::join(in, ",")));
    if (autoPad == "VALID") return {0, 0, 0, 0};
    if (autoPad == "NOTSET") {
      std::vector<int64_t> pads = a.ints("pads", oneD ? Dims{0, 0} : Dims{0, 0, 0, 0});
      if (pads.size() != (oneD ? 2u : 4u)) unsupported(n, fmt::format("'pads' must have {} values for a {}-D window", oneD ? 2 : 4, oneD ? 1 : 2));
      return oneD ? Dims{0, pads[0], 0, pads[1]} : pads;
    }
    Dims pads(4);
    for (size_t d = 0; d < 2; ++d) std::tie(pads[d], pads[d + 2]) = samePads(autoPad, in[2 + d], kernel[d], stride[d]);
    return pads;
  }

  /// auto_pad SAME_UPPER or SAME_LOWER along one axis of `size` values, for a window spanning
  /// `extent` at `stride`: the output covers ceil(size / stride), the odd pixel of padding at the end
  /// (UPPER) or the start. Returns the pads before and after.
  static std::pair<int64_t, int64_t> samePads(const std::string &autoPad, int64_t size, int64_t extent, int64_t stride) {
    int64_t out = (size + stride - 1) / stride;
    int64_t total = std::max<int64_t>(0, (out - 1) * stride + extent - size);
    int64_t before = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
    return {before, total - before};
  }

  /// Kernel sizes, strides or dilations: two positive values, or one (`oneD`: for the width, the
  /// height's 1 put before it). Bounded like every size in the IR, so that the window arithmetic here
  /// cannot overflow.
  Dims pair(const onnx::NodeProto &n, const Attributes &a, const char *name, int64_t fallback, bool oneD) {
    Dims v = windowInts(n, a, name, fallback, oneD ? 1 : 2);
    return oneD ? Dims{1, v[0]} : v;
  }

  /// `name`'s `axes` values, each in 1..kMaxAttrInt (`fallback` on each when absent).
  Dims windowInts(const onnx::NodeProto &n, const Attributes &a, const char *name, int64_t fallback, size_t axes) {
    std::vector<int64_t> v = a.ints(name, Dims(axes, fallback));
    if (v.size() != axes) unsupported(n, fmt::format("'{}' must have {} values for a {}-D window", name, axes, axes));
    for (int64_t x : v)
      if (a.has(name) && (x < 1 || x > kMaxAttrInt)) unsupported(n, fmt::format("'{}' values must lie in 1..{}, got {}", name, kMaxAttrInt, x));
    return v;
  }

  /// 1-D windows run as 2-D ones over a height of 1, as TVM lowers conv1d: an input [N,C,L] is read as
  /// [N,C,1,L] (a reshape, no copy) and the output read back as [N,C',L']. A value that is such an
  /// output is read as the 2-D value it came from, so a chain of 1-D windows has no reshapes between
  /// them. Other ranks but 4 are refused: `supported` says what is.
  bool liftOneD(const onnx::NodeProto &n, Node *&x, const std::string &supported) {
    if (x->shape.size() == 4) return false;
    if (x->shape.size() != 3) unsupported(n, fmt::format("{} only, the input is f32[{}]", supported, fmt::join(x->shape, ",")));
    auto lifted = heightDropped_.find(x);
    x = lifted != heightDropped_.end() ? lifted->second
                                       : builder_.add(OpKind::Reshape, freshName(nodeName(n) + "/as_2d"), {x}, {{"shape", Dims{x->shape[1], 1, x->shape[2]}}});
    return true;
  }
  void dropHeight(const onnx::NodeProto &n, Node *y) {
    Node *read = builder_.add(OpKind::Reshape, freshName(y->name + "/as_1d"), {y}, {{"shape", Dims{y->shape[1], y->shape[3]}}});
    heightDropped_[read] = y;
    values_[n.output(0)] = read;
  }
  /// A pointwise op (relu, unary) of x. Of a 1-D window's output it applies to the 2-D value and is
  /// read back the same way: a relu after a 1-D conv then meets the conv (epilogue-fusion).
  void addPointwise(OpKind op, const onnx::NodeProto &n, Node *x, Attrs attrs) {
    if (auto planes = depthStacked_.find(x); planes != depthStacked_.end()) {  // of a 3-D conv: plane by plane, after each plane's conv
      const std::string name = nodeName(n);
      std::vector<Node *> outputs;
      for (Node *plane : planes->second.planes) outputs.push_back(builder_.add(op, freshName(plane->name + "/" + opInfo(op).name), {plane}, attrs));
      values_[n.output(0)] = stackPlanes(name, outputs);
      return;
    }
    auto lifted = heightDropped_.find(x);
    Node *y = add(op, n, {lifted != heightDropped_.end() ? lifted->second : x}, std::move(attrs));
    if (lifted != heightDropped_.end()) dropHeight(n, y);
  }

  void requireUnitDilation(const onnx::NodeProto &n, const Attributes &a) {
    for (int64_t d : a.ints("dilations", {1, 1}))
      if (d != 1) unsupported(n, "dilations other than 1 are not supported for this op");
  }

  /// W (input 1) of a conv or transposed conv (`what`), and x lifted by liftOneD (`supported` says
  /// which ranks the op takes): a 1-D W gains its height of 1 too. Returns whether it is 1-D.
  bool liftedFilter(const onnx::NodeProto &n, Node *&x, Tensor &w, const char *what, const char *supported) {
    w = reader_.floats(constant(n, 1), n.name());
    bool oneD = liftOneD(n, x, supported);
    if (w.shape.size() != (oneD ? 3u : 4u))
      unsupported(n, fmt::format("W is f32[{}]; a {}-D {} needs a {}-D W", fmt::join(w.shape, ","), oneD ? 1 : 2, what, oneD ? 3 : 4));
    if (oneD) w.shape.insert(w.shape.begin() + 2, 1);
    return oneD;
  }

  void importConv(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    if (x->shape.size() == 5) return importConv3d(n, a, x);
    Tensor w;
    bool oneD = liftedFilter(n, x, w, "convolution", "1-D, 2-D and 3-D convolutions (an N,C,L, N,C,H,W or N,C,D,H,W input)");
    Dims dilation = pair(n, a, "dilations", 1, oneD);
    Dims kernel = pair(n, a, "kernel_shape", 0, oneD);
    if (!a.has("kernel_shape")) kernel = {w.shape[2], w.shape[3]};
    Dims stride = pair(n, a, "strides", 1, oneD);
    Dims pad = pads(n, a, x->shape, {(kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1}, stride, oneD);
    std::vector<std::pair<std::string, Tensor>> params = {{"weight", w}};
    bool bias = n.input_size() > 2 && !n.input(2).empty();
    if (bias) params.push_back({"bias", reader_.floats(constant(n, 2), n.name())});
    Node *y = add(OpKind::Conv, n, {x},
                  {{"out", w.shape[0]}, {"kernel", kernel}, {"stride", stride}, {"pad", pad}, {"dilation", dilation}, {"bias", bias}, {"groups", a.i("group", 1)}},
                  params);
    if (oneD) dropHeight(n, y);
  }

  /// The most output depth planes a 3-D convolution may have: each is a 2-D conv of its own.
  static constexpr int64_t kMaxDepthPlanes = 256;

  /// 3-D convolutions run as 2-D ones, one per output depth plane: plane d of the output is a 2-D
  /// conv of the input planes its window reads (those inside the input: depth padding adds zeros,
  /// which add nothing), stacked as channels, with the filter's matching depth slices stacked alike:
  ///
  ///   x [N,C,D,H,W] -transpose-> [N,D,C,H,W] -reshape-> [N,D*C,H,W]   (planes, each C channels)
  ///   output plane d: conv2d(channels of planes d*s-p .. d*s-p+(KD-1)*dil, W[:, :, kd] stacked)
  ///   [N,O,H',W'] per plane -concat-> [N,D'*O,H',W'] -reshape-> [N,D',O,H',W'] -transpose-> [N,O,D',H',W']
  ///
  /// Multiply-adds are the 3-D conv's (padding's zeros excepted); each plane's conv has its own copy
  /// of the filter, so the weights grow D'-fold. Grouped 3-D convs are refused.
  void importConv3d(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    const Dims in = x->shape;  // N,C,D,H,W
    Filter3d f = filter3d(n, a, in, 1, "a 3-D convolution needs a 5-D W [O,C,KD,KH,KW]");
    Dims pad = pads3d(n, a, in, f.kernel, f.stride, f.dilation);
    const int64_t extent = (f.kernel[0] - 1) * f.dilation[0] + 1, depth = (in[2] + pad[0] + pad[3] - extent) / f.stride[0] + 1;
    if (in[2] + pad[0] + pad[3] < extent) unsupported(n, fmt::format("the window ({} planes) is deeper than the padded input ({})", extent, in[2] + pad[0] + pad[3]));
    Attrs attrs = {{"out", f.w.shape[0]}, {"pad", Dims{pad[1], pad[2], pad[4], pad[5]}}};
    planeByPlane(n, x, f, depth, OpKind::Conv, attrs, [&](int64_t d, std::vector<int64_t> &taps, std::vector<int64_t> &reads) {
      for (int64_t kd = 0; kd < f.kernel[0]; ++kd) {  // the filter's depth taps inside the input
        int64_t plane = d * f.stride[0] - pad[0] + kd * f.dilation[0];
        if (plane >= 0 && plane < in[2]) taps.push_back(kd), reads.push_back(plane);
      }
      if (taps.empty()) unsupported(n, fmt::format("output depth plane {} reads only padding; pads this deep are not supported", d));
    });
  }

  /// A 3-D conv's or transposed conv's filter W [O,C,...] or [C,O,...] (the input's channels on
  /// `channelAxis`), window and bias; groups are refused.
  struct Filter3d {
    Tensor w;
    Dims kernel, stride, dilation;
    std::optional<Tensor> bias;
    int channelAxis;
  };
  Filter3d filter3d(const onnx::NodeProto &n, const Attributes &a, const Dims &in, int channelAxis, const char *needs) {
    Filter3d f{reader_.floats(constant(n, 1), n.name()), {}, {}, {}, std::nullopt, channelAxis};
    const Dims &w = f.w.shape;
    if (w.size() != 5) unsupported(n, fmt::format("W is f32[{}]; {}", fmt::join(w, ","), needs));
    if (int64_t groups = a.i("group", 1); groups != 1)
      unsupported(n, fmt::format("group is {}; 3-D {} take group 1 only", groups, n.op_type() == "Conv" ? "convolutions" : "transposed convolutions"));
    if (w[channelAxis] != in[1])
      unsupported(n, fmt::format("W is f32[{}]; its axis {} must be the input's {} channels", fmt::join(w, ","), channelAxis, in[1]));
    f.kernel = a.has("kernel_shape") ? windowInts(n, a, "kernel_shape", 1, 3) : Dims{w[2], w[3], w[4]};
    if (f.kernel != Dims{w[2], w[3], w[4]}) unsupported(n, fmt::format("kernel_shape {} differs from W's {}x{}x{}", fmt::join(f.kernel, "x"), w[2], w[3], w[4]));
    f.stride = windowInts(n, a, "strides", 1, 3), f.dilation = windowInts(n, a, "dilations", 1, 3);
    if (n.input_size() > 2 && !n.input(2).empty()) {
      f.bias = reader_.floats(constant(n, 2), n.name());
      if (f.bias->shape != Dims{w[1 - channelAxis]})
        unsupported(n, fmt::format("B is f32[{}]; it needs one value per output channel, f32[{}]", fmt::join(f.bias->shape, ","), w[1 - channelAxis]));
    }
    return f;
  }

  /// The `depth` output planes of `n`, each a 2-D `op` (attrs: `attrs` plus the filter's height and
  /// width window) over the input planes `tapsOf(d, taps, reads)` lists with the filter's depth taps
  /// they pass through, stacked as `n`'s output.
  void planeByPlane(const onnx::NodeProto &n, Node *x, const Filter3d &f, int64_t depth, OpKind op, Attrs attrs,
                    const std::function<void(int64_t, std::vector<int64_t> &, std::vector<int64_t> &)> &tapsOf) {
    if (depth > kMaxDepthPlanes)
      unsupported(n, fmt::format("{} output depth planes; a 3-D {} runs as one 2-D {} per plane, at most {}", depth, n.op_type(), n.op_type(), kMaxDepthPlanes));
    attrs["kernel"] = Dims{f.kernel[1], f.kernel[2]}, attrs["stride"] = Dims{f.stride[1], f.stride[2]};
    attrs["dilation"] = Dims{f.dilation[1], f.dilation[2]}, attrs["bias"] = f.bias.has_value();
    const std::string name = nodeName(n);
    Node *planes = depthPlanes(name, x);
    std::vector<Node *> outputs;
    for (int64_t d = 0; d < depth; ++d) {
      std::vector<int64_t> taps, reads;
      tapsOf(d, taps, reads);
      const std::string planeName = freshName(fmt::format("{}/plane{}", name, d));
      outputs.push_back(builder_.add(op, planeName, {gatherPlanes(planeName, planes, x->shape[1], reads)}, attrs));
      graph_.weights[planeName + ".weight"] = depthTaps(f.w, taps, f.channelAxis);
      if (f.bias) graph_.weights[planeName + ".bias"] = *f.bias;
    }
    values_[n.output(0)] = stackPlanes(name, outputs);
  }

  /// x [N,C,D,H,W] as [N,D*C,H,W]: each depth plane's C channels together (a transpose, then a view).
  /// A 3-D conv's output was that before stackPlanes transposed it: a chain of 3-D convs (and of the
  /// pointwise ops between them) has no transposes.
  Node *depthPlanes(const std::string &name, Node *x) {
    if (auto planes = depthStacked_.find(x); planes != depthStacked_.end()) return planes->second.stacked;
    const Dims &in = x->shape;
    Node *t = builder_.add(OpKind::Transpose, freshName(name + "/depth_first"), {x}, {{"perm", Dims{0, 2, 1, 3, 4}}});
    return builder_.add(OpKind::Reshape, freshName(name + "/planes"), {t}, {{"shape", Dims{in[2] * in[1], in[3], in[4]}}});
  }

  /// Planes `reads` (increasing) of `planes` [N,D*C,H,W] as [N,reads*C,H,W]: a channel slice (a view)
  /// when they are consecutive, else a concat of one slice per plane.
  Node *gatherPlanes(const std::string &name, Node *planes, int64_t channels, const std::vector<int64_t> &reads) {
    auto slice = [&](const std::string &sliceName, int64_t first, int64_t count) {
      return builder_.add(OpKind::Slice, freshName(sliceName), {planes}, {{"begin", first * channels}, {"end", (first + count) * channels}});
    };
    if (reads.back() - reads.front() + 1 == static_cast<int64_t>(reads.size()))
      return slice(name + "/reads", reads.front(), static_cast<int64_t>(reads.size()));
    std::vector<Node *> parts;
    for (int64_t plane : reads) parts.push_back(slice(fmt::format("{}/read{}", name, plane), plane, 1));
    return builder_.add(OpKind::Concat, freshName(name + "/reads"), parts, {});
  }

  /// A 3-D filter's depth taps `taps`, stacked along its input-channel axis as the planes they read
  /// are. A conv's W [O,C,KD,KH,KW] (`channelAxis` 1) becomes [O, taps*C, KH, KW], input channel
  /// j*C + c being W[o][c][taps[j]]; a transposed conv's W [C,O,KD,KH,KW] (`channelAxis` 0) becomes
  /// [taps*C, O, KH, KW] alike. A tap of -1 stacks zeros.
  static Tensor depthTaps(const Tensor &w, const std::vector<int64_t> &taps, int channelAxis) {
    const int64_t channels = w.shape[channelAxis], others = w.shape[1 - channelAxis], kd = w.shape[2], area = w.shape[3] * w.shape[4];
    const int64_t stacked = static_cast<int64_t>(taps.size()) * channels;
    Tensor t(channelAxis == 1 ? Dims{others, stacked, w.shape[3], w.shape[4]} : Dims{stacked, others, w.shape[3], w.shape[4]});
    for (int64_t o = 0; o < others; ++o)
      for (size_t j = 0; j < taps.size(); ++j)
        for (int64_t c = 0; c < channels; ++c) {
          if (taps[j] < 0) continue;
          const int64_t row = static_cast<int64_t>(j) * channels + c;
          const int64_t from = channelAxis == 1 ? o * channels + c : c * others + o, to = channelAxis == 1 ? o * stacked + row : row * others + o;
          std::copy_n(w.data.begin() + (from * kd + taps[j]) * area, area, t.data.begin() + to * area);
        }
    return t;
  }

  /// 3-D transposed convolutions run as 2-D ones, one per output depth plane, as importConv3d's: plane
  /// d of the output gathers every input plane i and tap k with i*stride + k*dilation - pad = d
  /// (none: a plane of zero weights over plane 0, which leaves the bias), stacked as channels.
  void importConvTranspose3d(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    const Dims in = x->shape;  // N,C,D,H,W
    Filter3d f = filter3d(n, a, in, 0, "a 3-D transposed convolution needs a 5-D W [C,O,KD,KH,KW]");
    TransposedWindow window = transposedWindow(n, a, {in[2], in[3], in[4]}, f.kernel, f.stride, f.dilation, false);
    const Dims &pad = window.pad;
    if (window.extra[0] >= std::max(f.stride[0], f.dilation[0]))
      unsupported(n, fmt::format("output padding {} along the depth must be below the stride or the dilation ({}, {})", window.extra[0], f.stride[0],
                                 f.dilation[0]));
    const int64_t depth = f.stride[0] * (in[2] - 1) + (f.kernel[0] - 1) * f.dilation[0] + 1 + window.extra[0] - pad[0] - pad[3];
    if (depth < 1) unsupported(n, fmt::format("its pads crop all {} output depth planes", depth + pad[0] + pad[3]));
    Attrs attrs = {{"out", f.w.shape[1]}, {"pad", Dims{pad[1], pad[2], pad[4], pad[5]}}, {"output_padding", Dims{window.extra[1], window.extra[2]}}};
    planeByPlane(n, x, f, depth, OpKind::ConvTranspose, attrs, [&](int64_t d, std::vector<int64_t> &taps, std::vector<int64_t> &reads) {
      for (int64_t k = f.kernel[0] - 1; k >= 0; --k) {  // taps downwards: the input planes they come from increase
        int64_t from = d + pad[0] - k * f.dilation[0];
        if (from >= 0 && from % f.stride[0] == 0 && from / f.stride[0] < in[2]) taps.push_back(k), reads.push_back(from / f.stride[0]);
      }
      if (taps.empty()) taps.push_back(-1), reads.push_back(0);
    });
  }

  /// The 2-D outputs of consecutive depth planes, each [N,O,H,W], as one [N,O,D,H,W] named `name`,
  /// remembered as its planes (depthPlanes, addPointwise read them instead).
  Node *stackPlanes(const std::string &name, const std::vector<Node *> &outputs) {
    const Dims &one = outputs.front()->shape;
    const int64_t depth = static_cast<int64_t>(outputs.size());
    Node *stacked = depth == 1 ? outputs.front() : builder_.add(OpKind::Concat, freshName(name + "/stacked"), outputs, {});
    Node *split = builder_.add(OpKind::Reshape, freshName(name + "/depth_major"), {stacked}, {{"shape", Dims{depth, one[1], one[2], one[3]}}});
    Node *y = builder_.add(OpKind::Transpose, name, {split}, {{"perm", Dims{0, 2, 1, 3, 4}}});
    depthStacked_[y] = {outputs, stacked};
    return y;
  }

  /// ConvTranspose, 2-D or 1-D (lifted as conv); 3-D by importConvTranspose3d.
  void importConvTranspose(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    if (x->shape.size() == 5) return importConvTranspose3d(n, a, x);
    Tensor w;
    bool oneD = liftedFilter(n, x, w, "transposed convolution", "1-D, 2-D and 3-D transposed convolutions (an N,C,L, N,C,H,W or N,C,D,H,W input)");
    const int64_t groups = a.i("group", 1);
    if (groups < 1 || groups > kMaxAttrInt) unsupported(n, fmt::format("group must lie in 1..{}, got {}", kMaxAttrInt, groups));
    Dims kernel = a.has("kernel_shape") ? pair(n, a, "kernel_shape", 1, oneD) : Dims{w.shape[2], w.shape[3]};
    if (kernel != Dims{w.shape[2], w.shape[3]})
      unsupported(n, fmt::format("kernel_shape {}x{} differs from W's {}x{}", kernel[0], kernel[1], w.shape[2], w.shape[3]));
    Dims dilation = pair(n, a, "dilations", 1, oneD), stride = pair(n, a, "strides", 1, oneD);
    TransposedWindow window = transposedWindow(n, a, {x->shape[2], x->shape[3]}, kernel, stride, dilation, oneD);
    std::vector<std::pair<std::string, Tensor>> params = {{"weight", w}};
    bool bias = n.input_size() > 2 && !n.input(2).empty();
    if (bias) params.push_back({"bias", reader_.floats(constant(n, 2), n.name())});
    Node *y = add(OpKind::ConvTranspose, n, {x},
                  {{"out", w.shape[1] * groups}, {"kernel", kernel}, {"stride", stride}, {"pad", window.pad}, {"dilation", dilation},
                   {"output_padding", window.extra}, {"groups", groups}, {"bias", bias}},
                  params);
    if (oneD) dropHeight(n, y);
  }

  /// A transposed conv's crop of its full output, per spatial axis (pad: the axes' starts, then their
  /// ends, as conv's) and the rows it adds at each axis's end (extra: ONNX output_padding).
  struct TransposedWindow {
    Dims pad, extra;
  };

  /// The window of a transposed conv over `spatial` (1-D lifted to 2-D by `oneD`: ONNX's attributes
  /// then name the width only). Pads explicit, or from output_shape (or auto_pad SAME_*, which asks
  /// for input * stride): the full output's excess over it split between the ends as ONNX says
  /// (SAME_UPPER: the odd row at the end; otherwise at the start), with its reference's floor
  /// division, so an output_shape beyond the full output grows it at the end.
  TransposedWindow transposedWindow(const onnx::NodeProto &n, const Attributes &a, const Dims &spatial, const Dims &kernel, const Dims &stride,
                                    const Dims &dilation, bool oneD) {
    const size_t axes = spatial.size(), given = oneD ? 1 : axes;  // values ONNX's attributes hold
    for (size_t d = 0; d < axes; ++d) {  // bounds the full output's size below, and all arithmetic on it
      if (kernel[d] < 1 || kernel[d] > kMaxAttrInt) unsupported(n, fmt::format("the kernel's size {} along axis {} must lie in 1..{}", kernel[d], d + 2, kMaxAttrInt));
      if (stride[d] * (spatial[d] - 1) > kMaxAttrInt || (kernel[d] - 1) * dilation[d] > kMaxAttrInt)
        unsupported(n, fmt::format("the full output would span more than {} values along axis {}", kMaxAttrInt, d + 2));
    }
    Dims extra = a.ints("output_padding", Dims(given, 0));
    if (extra.size() != given) unsupported(n, fmt::format("'output_padding' must have {} values", given));
    for (int64_t v : extra)
      if (v < 0 || v > kMaxAttrInt) unsupported(n, fmt::format("'output_padding' values must lie in 0..{}, got {}", kMaxAttrInt, v));
    if (oneD) extra.insert(extra.begin(), 0);
    std::string autoPad = a.s("auto_pad", "NOTSET");
    std::vector<int64_t> target = a.ints("output_shape", {});
    if (target.empty() && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER"))
      for (size_t d = 0; d < axes; ++d) target.push_back(spatial[d] * stride[d]);
    else if (!target.empty() && oneD)
      target.insert(target.begin(), 1);
    if (target.empty()) {  // explicit pads, or VALID (SAME took the branch above)
      if (axes == 3) return {pads3d(n, a, Dims{0, 0, spatial[0], spatial[1], spatial[2]}, kernel, stride, dilation), extra};
      return {pads(n, a, {0, 0, spatial[0], spatial[1]}, {1, 1}, stride, oneD), extra};
    }
    if (target.size() == axes + 2) target.erase(target.begin(), target.begin() + 2);  // N and C given too
    if (target.size() != axes) unsupported(n, fmt::format("output_shape has {} values; give the output's spatial sizes", a.ints("output_shape", {}).size()));
    for (int64_t v : target)
      if (v < 1 || v > kMaxAttrInt) unsupported(n, fmt::format("output_shape values must lie in 1..{}, got {}", kMaxAttrInt, v));
    Dims pad(2 * axes);
    for (size_t d = 0; d < axes; ++d) {
      int64_t full = stride[d] * (spatial[d] - 1) + extra[d] + (kernel[d] - 1) * dilation[d] + 1, total = full - target[d];
      int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);  // rounded down
      pad[d] = autoPad == "SAME_UPPER" ? half : total - half;
      pad[d + axes] = total - pad[d];
      if (pad[d] < 0) unsupported(n, fmt::format("output_shape {} would start before the full output ({} long)", target[d], full));
      if (pad[d + axes] < 0) extra[d] -= pad[d + axes], pad[d + axes] = 0;  // longer at the end: output padding
    }
    return {pad, extra};
  }

  void importPool(const onnx::NodeProto &n, const Attributes &a, Node *x, bool isMax) {
    if (!isMax) requireUnitDilation(n, a);
    if (x->shape.size() == 5) return importPool3d(n, a, x, isMax);
    bool oneD = liftOneD(n, x, "1-D, 2-D and 3-D pools (an N,C,L, N,C,H,W or N,C,D,H,W input)");
    Dims dilation = pair(n, a, "dilations", 1, oneD);
    if (isMax && a.i("storage_order", 0) != 0) unsupported(n, "storage_order 1 is not supported");
    if (isMax && n.output_size() > 1 && !n.output(1).empty()) unsupported(n, "the Indices output is not supported");
    Dims kernel = pair(n, a, "kernel_shape", 1, oneD), stride = pair(n, a, "strides", 1, oneD);
    Dims pad = pads(n, a, x->shape, {(kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1}, stride, oneD);
    Node *y = add(isMax ? OpKind::MaxPool : OpKind::AvgPool, n, {x}, poolAttrs(a, isMax, kernel, stride, pad, dilation));
    if (oneD) dropHeight(n, y);
  }

  /// A 2-D max or average pool's attributes: the window given, ceil_mode, and dilation (max) or
  /// count_include_pad (average).
  static Attrs poolAttrs(const Attributes &a, bool isMax, Dims kernel, Dims stride, Dims pad, Dims dilation) {
    Attrs attrs = {{"kernel", std::move(kernel)}, {"stride", std::move(stride)}, {"pad", std::move(pad)}, {"ceil", a.i("ceil_mode", 0) != 0}};
    if (isMax) attrs["dilation"] = std::move(dilation);
    else attrs["exclude_pad"] = a.i("count_include_pad", 0) == 0;
    return attrs;
  }

  /// ONNX pads [d0, h0, w0, d1, h1, w1] of a 3-D window (explicit, or from auto_pad) over x [N,C,D,H,W].
  Dims pads3d(const onnx::NodeProto &n, const Attributes &a, const Dims &in, const Dims &kernel, const Dims &stride, const Dims &dilation) {
    std::string autoPad = a.s("auto_pad", "NOTSET");
    Dims pad = autoPad == "NOTSET" ? a.ints("pads", Dims(6, 0)) : Dims(6, 0);
    if (pad.size() != 6) unsupported(n, "'pads' must have 6 values for a 3-D window");
    for (int64_t v : pad)
      if (v < 0 || v > kMaxAttrInt) unsupported(n, fmt::format("'pads' values must lie in 0..{}, got {}", kMaxAttrInt, v));
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")
      for (size_t d = 0; d < 3; ++d) std::tie(pad[d], pad[d + 3]) = samePads(autoPad, in[2 + d], (kernel[d] - 1) * dilation[d] + 1, stride[d]);
    else if (autoPad != "NOTSET" && autoPad != "VALID")
      unsupported(n, fmt::format("auto_pad '{}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER", autoPad));
    return pad;
  }

  /// 3-D pools are separable: the max over a box is the max over its depth of the maxes over its
  /// planes, and an average's divisor (the window's extent along each axis, clipped to the padded
  /// input or to the input) is a product too. So x [N,C,D,H,W] runs as a 2-D pool of its planes,
  /// [N,C*D,H,W], then as a KDx1 pool of [N,C,D,H'*W'], between reshapes (no copies).
  void importPool3d(const onnx::NodeProto &n, const Attributes &a, Node *x, bool isMax) {
    const Dims &in = x->shape;  // N,C,D,H,W
    Dims kernel = windowInts(n, a, "kernel_shape", 1, 3), stride = windowInts(n, a, "strides", 1, 3);
    Dims dilation = windowInts(n, a, "dilations", 1, 3);
    Dims pad = pads3d(n, a, in, kernel, stride, dilation);
    const OpKind op = isMax ? OpKind::MaxPool : OpKind::AvgPool;
    const std::string name = nodeName(n);
    Node *planes = builder_.add(OpKind::Reshape, freshName(name + "/planes"), {x}, {{"shape", Dims{in[1] * in[2], in[3], in[4]}}});
    Node *pooled = builder_.add(op, freshName(name + "/planes_pooled"), {planes},
                                poolAttrs(a, isMax, {kernel[1], kernel[2]}, {stride[1], stride[2]}, {pad[1], pad[2], pad[4], pad[5]}, {dilation[1], dilation[2]}));
    const int64_t height = pooled->shape[2], width = pooled->shape[3];
    Node *depth = builder_.add(OpKind::Reshape, freshName(name + "/depth"), {pooled}, {{"shape", Dims{in[1], in[2], height * width}}});
    Node *y = add(op, n, {depth}, poolAttrs(a, isMax, {kernel[0], 1}, {stride[0], 1}, {pad[0], 0, pad[3], 0}, {dilation[0], 1}));
    values_[n.output(0)] = builder_.add(OpKind::Reshape, freshName(name + "/as_3d"), {y}, {{"shape", Dims{in[1], y->shape[2], height, width}}});
  }

  /// GlobalAveragePool and GlobalMaxPool: a pool over the whole map for N,C,H,W (a window op the
  /// layout passes know), a reduce over every axis after the channels otherwise.
  void importGlobalPool(const onnx::NodeProto &n, Node *x) {
    bool isMax = n.op_type() == "GlobalMaxPool";
    if (x->shape.size() < 3) unsupported(n, fmt::format("needs an input N,C,D1,..., it is f32[{}]", fmt::join(x->shape, ",")));
    if (x->shape.size() == 4) {
      add(isMax ? OpKind::MaxPool : OpKind::AvgPool, n, {x}, {{"kernel", Dims{x->shape[2], x->shape[3]}}});
      return;
    }
    Dims axes;
    for (int64_t d = 2; d < static_cast<int64_t>(x->shape.size()); ++d) axes.push_back(d);
    add(OpKind::Reduce, n, {x}, {{"fn", std::string(isMax ? "max" : "mean")}, {"axes", axes}, {"keepdims", true}});
  }

  /// Expand to a constant shape, numpy's broadcast (aligned at the last axis). The batch axis stays
  /// axis 0 and is not repeated: a shape of higher rank than x, or one repeating the batch, is refused.
  void importExpand(const onnx::NodeProto &n, Node *x) {
    std::vector<int64_t> shape = reader_.int64s(constant(n, 1));
    if (shape.size() > x->shape.size())
      unsupported(n, fmt::format("shape [{}] has more axes than f32[{}]: the batch axis would move", fmt::join(shape, ","), fmt::join(x->shape, ",")));
    shape.insert(shape.begin(), x->shape.size() - shape.size(), 1);
    Dims out = x->shape;
    for (size_t d = 0; d < out.size(); ++d) {
      if (shape[d] == out[d] || shape[d] == 1) continue;
      if (out[d] != 1 || shape[d] < 1 || shape[d] > kMaxAttrInt)
        unsupported(n, fmt::format("f32[{}] does not expand to [{}]: sizes must match or be 1", fmt::join(x->shape, ","), fmt::join(shape, ",")));
      if (d == 0) unsupported(n, "repeats the batch axis; every sample is computed on its own");
      out[d] = shape[d];
    }
    if (out == x->shape) return alias(n, x);
    add(OpKind::Expand, n, {x}, {{"shape", Dims(out.begin() + 1, out.end())}});
  }

  /// Gemm: alpha is folded into the constant weight and beta into C. Without transA it is an fc whose
  /// bias is C when C holds one value per output (a scalar, [N] or [1, N]); a C that varies by row
  /// becomes an add after it. With transA it is a matmul of x's transpose.
  void importGemm(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    if (x->shape.size() != 2) unsupported(n, fmt::format("A must be 2-D, it is f32[{}]", fmt::join(x->shape, ",")));
    Tensor w = reader_.floats(constant(n, 1), n.name());
    if (w.shape.size() != 2) unsupported(n, "B must be a 2-D constant");
    if (a.i("transB", 0) != 0) w = transposed(w);  // now [K, N]
    for (float &v : w.data) v = static_cast<float>(v * a.f("alpha", 1));
    bool transA = a.i("transA", 0) != 0;
    std::optional<Tensor> c;
    if (n.input_size() > 2 && !n.input(2).empty()) {
      c = reader_.floats(constant(n, 2), n.name());
      for (float &v : c->data) v = static_cast<float>(v * a.f("beta", 1));
    }
    int64_t outputs = w.shape[1];
    bool perOutput = c && (c->numel() == 1 || (c->numel() == outputs && (c->shape.size() < 2 || c->shape[0] == 1)));
    Node *y;
    if (transA) {
      y = add(OpKind::MatMul, n, {x}, {{"weight", w.shape}, {"trans_a", true}}, {{"weight", w}});
    } else {
      std::vector<std::pair<std::string, Tensor>> params = {{"weight", transposed(w)}};
      if (perOutput) {
        Tensor b({outputs});
        for (int64_t o = 0; o < outputs; ++o) b.data[o] = c->data[c->numel() == 1 ? 0 : o];
        params.push_back({"bias", b});
      }
      y = add(OpKind::Fc, n, {x}, {{"out", outputs}, {"bias", perOutput}}, params);
      if (perOutput) return;
    }
    if (c) add(OpKind::Add, n, {y}, {{"operand", c->shape.empty() ? Dims{1} : c->shape}}, {{"operand", *c}});
  }

  /// MatMul with a constant right operand: an fc for a matrix times a matrix, else a matmul.
  void importMatMul(const onnx::NodeProto &n, Node *x) {
    Tensor w = reader_.floats(constant(n, 1), n.name());
    if (x->shape.size() < 2 || w.shape.size() < 2) unsupported(n, "1-D operands (vector products) are not supported");
    if (x->shape.size() == 2 && w.shape.size() == 2) {
      add(OpKind::Fc, n, {x}, {{"out", w.shape[1]}, {"bias", false}}, {{"weight", transposed(w)}});
      return;
    }
    add(OpKind::MatMul, n, {x}, {{"weight", w.shape}}, {{"weight", w}});
  }

  /// Add, Sub, Mul, Div: one operand computed, the other a constant. Before opset 7, broadcast=1 with
  /// `axis` aligned the constant's axes from `axis` on; numpy aligns at the end, so pad with 1s.
  void importArithmetic(const onnx::NodeProto &n, const Attributes &a, OpKind op) {
    if (n.input_size() != 2) unsupported(n, "expects two inputs");
    bool valueFirst = values_.count(n.input(0)) > 0;
    Node *x = value(n.input(valueFirst ? 0 : 1), fmt::format("node '{}'", n.name()));
    Tensor c = reader_.floats(constant(n, valueFirst ? 1 : 0), n.name());
    if (c.shape.empty()) c.shape = {1};
    if (opset_ < 7 && a.i("broadcast", 0) != 0 && a.has("axis")) {
      int64_t axis = a.i("axis", 0), rank = static_cast<int64_t>(x->shape.size()), operandRank = static_cast<int64_t>(c.shape.size());
      if (axis < 0) axis += rank;
      if (axis < 0 || axis > rank - operandRank)
        unsupported(n, fmt::format("axis {} does not place a rank-{} operand inside f32[{}]", a.i("axis", 0), operandRank, fmt::join(x->shape, ",")));
      for (int64_t d = axis + static_cast<int64_t>(c.shape.size()); d < rank; ++d) c.shape.push_back(1);
    }
    Attrs attrs = {{"operand", c.shape}};
    if (op == OpKind::Sub || op == OpKind::Div) attrs["operand_first"] = !valueFirst;
    add(op, n, {x}, attrs, {{"operand", c}});
  }

  static const std::map<std::string, std::string> &unaryFns() {
    static const std::map<std::string, std::string> fns = {
        {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"}, {"Exp", "exp"},   {"Log", "log"},   {"Sqrt", "sqrt"},           {"Neg", "neg"},
        {"Abs", "abs"},         {"Erf", "erf"},   {"Clip", "clip"}, {"LeakyRelu", "leakyrelu"}, {"HardSigmoid", "hardsigmoid"}, {"HardSwish", "hardswish"}};
    return fns;
  }

  /// A one-value elementwise function: unary(fn=...). Clip's bounds are attributes before opset 11,
  /// optional constant inputs since (an empty name: no bound).
  void importUnary(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    const std::string &op = n.op_type();
    Attrs attrs = {{"fn", unaryFns().at(op)}};
    if (op == "Clip") {
      double lo = a.f("min", -std::numeric_limits<float>::max()), hi = a.f("max", std::numeric_limits<float>::max());
      auto bound = [&](int index, double &value) {
        if (n.input_size() <= index || n.input(index).empty()) return;
        Tensor t = reader_.floats(constant(n, index), n.name());
        if (t.numel() != 1) unsupported(n, fmt::format("input {} is no scalar bound", index));
        value = t.data[0];
      };
      bound(1, lo), bound(2, hi);
      attrs["lo"] = lo, attrs["hi"] = hi;
    } else if (op == "LeakyRelu") {
      attrs["alpha"] = a.f("alpha", 0.01);
    } else if (op == "HardSigmoid") {
      attrs["alpha"] = a.f("alpha", 0.2), attrs["beta"] = a.f("beta", 0.5);
    } else if (n.input_size() != 1) {
      unsupported(n, "expects one input");
    }
    addPointwise(OpKind::Unary, n, x, attrs);
  }

  /// An elementwise function of two computed values: binary(fn=...), broadcast as numpy.
  void importBinary(const onnx::NodeProto &n, const Attributes &a) {
    if (n.input_size() != 2) unsupported(n, "expects two inputs");
    if (a.i("broadcast", 0) != 0) unsupported(n, "opset 1-6 'broadcast' is supported with a constant operand only");
    std::vector<Node *> operands;
    for (int i = 0; i < 2; ++i) {
      if (!values_.count(n.input(i)))
        unsupported(n, fmt::format("input '{}' is a constant; {} is supported between two computed values", n.input(i), n.op_type()));
      operands.push_back(value(n.input(i), fmt::format("node '{}'", n.name())));
    }
    std::string fn = n.op_type();
    std::transform(fn.begin(), fn.end(), fn.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    add(OpKind::Binary, n, operands, {{"fn", fn}});
  }

  static Tensor transposed(const Tensor &w) {
    Tensor t({w.shape[1], w.shape[0]});
    for (int64_t i = 0; i < w.shape[0]; ++i)
      for (int64_t j = 0; j < w.shape[1]; ++j) t.data[j * w.shape[0] + i] = w.data[i * w.shape[1] + j];
    return t;
  }

  /// ONNX's target shape resolved: 0 copies the input's size (unless allowzero), -1 takes the rest.
  Dims resolveReshape(const onnx::NodeProto &n, const Dims &in, const std::vector<int64_t> &shape, bool allowZero) {
    Dims out;
    int64_t known = 1, inferred = -1, total = checkedNumel(in).value();
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t v = shape[d];
      if (v == 0 && allowZero) unsupported(n, "a zero-size tensor (allowzero with a 0 in the shape) is not supported");
      if (v == 0 && d >= in.size()) unsupported(n, fmt::format("shape entry {} is 0 (copy) but the input has only {} axes", d, in.size()));
      if (v == 0) v = in[d];
      if (v == -1 && inferred >= 0) unsupported(n, "the shape has more than one -1");
      if (v == -1) inferred = static_cast<int64_t>(d);
      else if (v < 0) unsupported(n, fmt::format("shape entry {} is {}", d, v));
      else if (__builtin_mul_overflow(known, v, &known)) unsupported(n, fmt::format("the shape [{}] has too many elements", fmt::join(shape, ",")));
      out.push_back(v);
    }
    if (inferred >= 0 && known > 0 && total % known == 0) out[inferred] = total / known;
    if (checkedNumel(out) != total)
      unsupported(n, fmt::format("cannot reshape f32[{}] to [{}]", fmt::join(in, ","), fmt::join(shape, ",")));
    return out;
  }

  /// A reshape to [N, features] is a flatten; others keep the batch axis when their first size is the
  /// input's, else fix the whole shape.
  void importReshape(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    std::vector<int64_t> shape = opset_ < 5 ? a.ints("shape", {}) : reader_.int64s(constant(n, 1));
    Dims target = resolveReshape(n, x->shape, shape, a.i("allowzero", 0) != 0);
    reshapeTo(n, x, target, target.size() >= 2 && x->shape.size() >= 2 && target[0] == x->shape[0]);
  }

  /// `x` reshaped to `target`: a flatten to [N, features], else a reshape that keeps the batch axis
  /// (`keepsBatch`) or fixes the whole shape.
  void reshapeTo(const onnx::NodeProto &n, Node *x, const Dims &target, bool keepsBatch) {
    if (keepsBatch && target.size() == 2) {
      add(OpKind::Flatten, n, {x}, {{"axis", int64_t(1)}});
      return;
    }
    add(OpKind::Reshape, n, {x}, {{"shape", keepsBatch ? Dims(target.begin() + 1, target.end()) : target}, {"whole", !keepsBatch}});
  }

  /// PRelu with one slope, or a slope per channel shaped to broadcast along axis 1 (as ONNX broadcasts,
  /// from the last axis: [C] for [N,C], [C,1,1] or [1,C,1,1] for [N,C,H,W]).
  void importPRelu(const onnx::NodeProto &n, Node *x) {
    Tensor slope = reader_.floats(constant(n, 1), n.name());
    const int64_t channels = x->shape.size() >= 2 ? x->shape[1] : 0;
    const int64_t alongChannels = static_cast<int64_t>(slope.shape.size()) - static_cast<int64_t>(x->shape.size()) + 1;  // its axis under axis 1
    bool perChannel = slope.shape.size() <= x->shape.size() && alongChannels >= 0 && slope.shape[static_cast<size_t>(alongChannels)] == channels;
    for (size_t d = 0; perChannel && d < slope.shape.size(); ++d) perChannel = static_cast<int64_t>(d) == alongChannels || slope.shape[d] == 1;
    if (channels == 0 || (!perChannel && slope.numel() != 1))
      unsupported(n, fmt::format("its slope f32[{}] is neither one value nor one per channel of f32[{}]", fmt::join(slope.shape, ","), fmt::join(x->shape, ",")));
    Tensor perChannelSlope({channels});
    for (int64_t c = 0; c < channels; ++c) perChannelSlope.data[static_cast<size_t>(c)] = slope.data[perChannel ? static_cast<size_t>(c) : 0];
    add(OpKind::PRelu, n, {x}, {}, {{"slope", std::move(perChannelSlope)}});
  }

  /// Squeeze and Unsqueeze of a computed value: reshapes that keep the batch axis first. Axes from the
  /// attribute (before opset 13) or a constant input.
  void importSqueeze(const onnx::NodeProto &n, Node *x) {
    bool unsqueeze = n.op_type() == "Unsqueeze";
    std::vector<int64_t> axes = intsFromInputOrAttribute(n, 1, "axes", 13);
    if (axes.empty()) unsupported(n, "give the axes: squeezing every axis of size 1 would squeeze a batch of 1 too");
    const int64_t rank = static_cast<int64_t>(x->shape.size() + (unsqueeze ? axes.size() : 0));
    std::set<int64_t> at;
    for (int64_t axis : axes) {
      if (axis < -rank || axis >= rank) unsupported(n, fmt::format("axis {} is out of range for rank {}", axis, rank));
      if (!at.insert(axis < 0 ? axis + rank : axis).second) unsupported(n, fmt::format("axis {} is given twice", axis));
    }
    if (at.count(0)) unsupported(n, "moves the batch axis 0; Deeper keeps the batch first");
    Dims target;
    for (int64_t d = 0, from = 0; d < rank; ++d) {
      if (unsqueeze) {
        target.push_back(at.count(d) ? 1 : x->shape[static_cast<size_t>(from++)]);
      } else if (!at.count(d)) {
        target.push_back(x->shape[static_cast<size_t>(d)]);
      } else if (x->shape[static_cast<size_t>(d)] != 1) {
        unsupported(n, fmt::format("squeezes axis {} of size {}", d, x->shape[static_cast<size_t>(d)]));
      }
    }
    reshapeTo(n, x, target, true);
  }

  /// Pads from attributes (opsets 1 to 10: `paddings`, then `pads` and `value`) or inputs (11 on).
  void importPad(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    std::vector<int64_t> pads = opset_ < 2 ? a.ints("paddings", {}) : opset_ < 11 ? a.ints("pads", {}) : reader_.int64s(constant(n, 1));
    double value = a.f("value", 0);
    if (opset_ >= 11 && n.input_size() > 2 && !n.input(2).empty()) {
      Tensor v = reader_.floats(constant(n, 2), n.name());
      if (v.numel() != 1) unsupported(n, "constant_value must be one value");
      value = v.data[0];
    }
    std::string mode = a.s("mode", "constant");
    if (mode != "constant" && mode != "reflect" && mode != "edge")
      unsupported(n, fmt::format("mode '{}' is not supported (constant, reflect, edge)", mode));
    if (pads.size() != 2 * x->shape.size())
      unsupported(n, fmt::format("pads has {} values; f32[{}] needs {}", pads.size(), fmt::join(x->shape, ","), 2 * x->shape.size()));
    if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; }))
      unsupported(n, "negative pads (cropping) are not supported");
    if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) return alias(n, x);  // exporters emit zero pads before some pooling
    add(OpKind::Pad, n, {x}, {{"pads", Dims(pads)}, {"mode", mode}, {"value", value}});
  }

  /// Channels [begin, end) with constant bounds (attributes before opset 10, inputs from 10 on):
  /// Deeper slices along axis 1 only, with step 1; ONNX's out-of-range bounds clamp.
  void importSlice(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    auto ints = [&](int i, const char *attr) { return intsFromInputOrAttribute(n, i, attr, 10); };
    std::vector<int64_t> starts = ints(1, "starts"), ends = ints(2, "ends"), axes = ints(3, "axes"), steps = ints(4, "steps");
    if (axes.empty()) axes.push_back(0);
    int64_t rank = static_cast<int64_t>(x->shape.size()), axis = axes[0] < 0 ? axes[0] + rank : axes[0];
    if (starts.size() != 1 || ends.size() != 1 || axes.size() != 1 || axis != 1)
      unsupported(n, "only a slice of the channels (one axis, axis 1) is supported");
    if (!steps.empty() && steps != std::vector<int64_t>{1}) unsupported(n, "only step 1 is supported");
    int64_t channels = x->shape[1];
    auto clampIndex = [&](int64_t v) { return std::clamp(v < 0 ? v + channels : v, int64_t(0), channels); };
    int64_t begin = clampIndex(starts[0]), end = clampIndex(ends[0]);
    if (end <= begin) unsupported(n, fmt::format("the slice [{}, {}) of {} channels is empty", starts[0], ends[0], channels));
    add(OpKind::Slice, n, {x}, {{"begin", begin}, {"end", end}});
  }

  /// ReduceMean/ReduceMax/ReduceSum: axes from the attribute (opsets before 18; ReduceSum's before 13)
  /// or a constant input; none given reduces every axis, unless noop_with_empty_axes.
  void importReduce(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    bool axesInput = n.input_size() > 1 && !n.input(1).empty();  // an input from opset 13 (ReduceSum) or 18 (the others)
    std::vector<int64_t> axes = axesInput ? reader_.int64s(constant(n, 1)) : a.ints("axes", {});
    int64_t rank = static_cast<int64_t>(x->shape.size());
    if (axes.empty()) {
      if (a.i("noop_with_empty_axes", 0) != 0) return alias(n, x);
      for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
    }
    for (int64_t &axis : axes) {
      if (axis < -rank || axis >= rank) unsupported(n, fmt::format("axis {} is out of range for f32[{}]", axis, fmt::join(x->shape, ",")));
      if (axis < 0) axis += rank;
    }
    std::sort(axes.begin(), axes.end());
    std::string fn = n.op_type() == "ReduceMean" ? "mean" : n.op_type() == "ReduceMax" ? "max" : "sum";
    add(OpKind::Reduce, n, {x}, {{"fn", fn}, {"axes", Dims(axes)}, {"keepdims", a.i("keepdims", 1) != 0}});
  }

  /// Split along the channels: one slice (a view, no copy) per output; sizes from the attribute (before
  /// opset 13) or a constant input, else equal parts.
  void importSplit(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    int64_t rank = static_cast<int64_t>(x->shape.size()), axis = a.i("axis", 0);
    if (axis < 0) axis += rank;
    if (axis != 1) unsupported(n, fmt::format("only a split of the channels (axis 1) is supported, not axis {}", a.i("axis", 0)));
    std::vector<int64_t> sizes = intsFromInputOrAttribute(n, 1, "split", 13);
    const int64_t channels = x->shape[1], parts = n.output_size();
    if (sizes.empty()) {
      if (channels % parts != 0) unsupported(n, fmt::format("{} channels do not split into {} equal parts", channels, parts));
      sizes.assign(static_cast<size_t>(parts), channels / parts);
    }
    if (static_cast<int64_t>(sizes.size()) != parts || std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != channels ||
        std::any_of(sizes.begin(), sizes.end(), [](int64_t v) { return v <= 0; }))
      unsupported(n, fmt::format("split sizes [{}] are not {} positive parts of {} channels", fmt::join(sizes, ","), parts, channels));
    int64_t begin = 0;
    for (int i = 0; i < n.output_size(); ++i) {
      if (i > 0) define(n, n.output(i));
      std::string name = graph_.find(n.output(i)) ? nodeName(n) + "_" + std::to_string(i) : n.output(i);
      values_[n.output(i)] = builder_.add(OpKind::Slice, name, {x}, {{"begin", begin}, {"end", begin + sizes[static_cast<size_t>(i)]}});
      begin += sizes[static_cast<size_t>(i)];
    }
  }

  /// Inference dropout is the identity; its ratio (opset 12 on, an input) must still be a constant.
  void importDropout(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    if (n.output_size() > 1 && !n.output(1).empty())
      unsupported(n, "the mask output is not supported (it is bool; Deeper computes float32 tensors)");
    double ratio = a.f("ratio", 0.5);
    if (n.input_size() > 1 && !n.input(1).empty()) {
      Tensor r = reader_.floats(constant(n, 1), n.name());
      if (r.numel() != 1) unsupported(n, "the ratio input must be one value");
      ratio = r.data[0];
    }
    if (n.input_size() > 2 && !n.input(2).empty()) unsupported(n, "the training_mode input is not supported (inference only)");
    add(OpKind::Dropout, n, {x}, {{"ratio", ratio}});
  }

  /// Softmax and LogSoftmax (softmax with log=true).
  void importSoftmax(const onnx::NodeProto &n, const Attributes &a, Node *x) {
    bool log = n.op_type() == "LogSoftmax";
    int64_t rank = static_cast<int64_t>(x->shape.size());
    int64_t axis = a.i("axis", opset_ >= 13 ? -1 : 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) unsupported(n, fmt::format("axis {} is out of range for f32[{}]", a.i("axis", 0), fmt::join(x->shape, ",")));
    // Before opset 13, softmax normalised over all dimensions from `axis` on, as one: flatten there,
    // normalise, and restore the shape.
    if (opset_ < 13 && axis != rank - 1) {
      Node *flat = add(OpKind::Flatten, n, {x}, {{"axis", axis}});
      Node *normalised = add(OpKind::Softmax, n, {flat}, {{"axis", int64_t(1)}, {"log", log}});
      add(OpKind::Reshape, n, {normalised}, {{"shape", x->shape}, {"whole", true}});
      return;
    }
    add(OpKind::Softmax, n, {x}, {{"axis", axis}, {"log", log}});
  }

  /// An attribute Deeper does not read would silently change the meaning: refuse it by name. Legacy
  /// ones (consumed_inputs, is_test, broadcast) are listed where old opsets had them.
  void checkAttributes(const onnx::NodeProto &n) {
    static const std::map<std::string, std::set<std::string>> known = {
        {"Conv", {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}},
        {"Relu", {"consumed_inputs"}},
        {"MaxPool", {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"}},
        {"AveragePool", {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"}},
        {"GlobalAveragePool", {}},
        {"GlobalMaxPool", {}},
        {"ConvTranspose", {"auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides"}},
        {"Expand", {}},
        {"LRN", {"alpha", "beta", "bias", "size"}},
        {"Concat", {"axis"}},
        {"Gemm", {"alpha", "beta", "transA", "transB", "broadcast"}},
        {"MatMul", {}},
        {"Flatten", {"axis"}},
        {"Reshape", {"shape", "allowzero", "consumed_inputs"}},
        {"Dropout", {"ratio", "is_test", "seed", "consumed_inputs"}},
        {"Softmax", {"axis"}},
        {"LogSoftmax", {"axis"}},
        {"BatchNormalization", {"epsilon", "momentum", "spatial", "is_test", "consumed_inputs", "training_mode"}},
        {"Identity", {}},
        {"Constant", {"value"}},
        {"Pad", {"mode", "pads", "paddings", "value"}},
        {"Slice", {"starts", "ends", "axes"}},
        {"Add", {"broadcast", "axis", "consumed_inputs"}},
        {"Sub", {"broadcast", "axis", "consumed_inputs"}},
        {"Mul", {"broadcast", "axis", "consumed_inputs"}},
        {"Div", {"broadcast", "axis", "consumed_inputs"}},
        {"Pow", {}},
        {"Sigmoid", {"consumed_inputs"}},
        {"Tanh", {"consumed_inputs"}},
        {"Exp", {"consumed_inputs"}},
        {"Log", {"consumed_inputs"}},
        {"Sqrt", {"consumed_inputs"}},
        {"Neg", {"consumed_inputs"}},
        {"Abs", {"consumed_inputs"}},
        {"Erf", {}},
        {"Clip", {"min", "max", "consumed_inputs"}},
        {"LeakyRelu", {"alpha", "consumed_inputs"}},
        {"HardSigmoid", {"alpha", "beta", "consumed_inputs"}},
        {"HardSwish", {}},
        {"Max", {"consumed_inputs"}},
        {"Min", {"consumed_inputs"}},
        {"ReduceMean", {"axes", "keepdims", "noop_with_empty_axes"}},
        {"ReduceMax", {"axes", "keepdims", "noop_with_empty_axes"}},
        {"ReduceSum", {"axes", "keepdims", "noop_with_empty_axes"}},
        {"Transpose", {"perm"}},
        {"Split", {"axis", "split"}},
        {"PRelu", {"consumed_inputs"}},
        {"Shape", {"start", "end"}},
        {"Gather", {"axis"}},
        {"Unsqueeze", {"axes"}},
        {"Squeeze", {"axes"}},
        {"Cast", {"to", "saturate"}},
        {"Equal", {}},
        {"Less", {}},
        {"Greater", {}},
        {"Not", {}},
        {"Where", {}},
        {"ConstantOfShape", {"value"}},
        {"Range", {}},
        {"If", {"then_branch", "else_branch"}}};
    auto it = known.find(n.op_type());
    if (it == known.end()) {
      std::vector<std::string> names;
      for (const auto &entry : known) names.push_back(entry.first);
      unsupported(n, fmt::format("op '{}' is not supported; supported: {}", n.op_type(), fmt::join(names, ", ")));
    }
    for (const auto &attr : n.attribute())
      if (!it->second.count(attr.name()))
        unsupported(n, fmt::format("attribute '{}' is not supported; {} supports: {}", attr.name(), n.op_type(),
                                   it->second.empty() ? "none" : fmt::format("{}", fmt::join(it->second, ", "))));
  }

  /// PyTorch's LocalResponseNorm as its exporter decomposes it (Deeper's own exports keep one LRN):
  ///
  ///   s = Mul(x, x) -> Unsqueeze(1) -> [Reshape to itself] -> Pad(the channel axis: size/2 before,
  ///       (size-1)/2 after) -> [Pad of zeros] -> AveragePool([size,1,1]) -> Squeeze(1) (an If on its
  ///       Shape picks Squeeze) -> Mul(alpha) -> Add(k) -> Pow(beta);      y = Div(x, s)
  ///
  /// The values between are tracked here, not imported (a 5-D average pool has no kernel here), and the
  /// Div becomes one lrn node: the same kernel as the model written with lrn.
  static constexpr int64_t kMaxLrnSize = 1024;  ///< a wider pad is not an LRN's
  struct PartialLrn {
    enum Stage { Squared, Padded, Pooled, Summed, Scaled, Shifted, Powered } stage;
    Node *x, *square;  ///< the input, and x * x
    Dims shape;  ///< the value's shape at this stage: Shape nodes read it
    int64_t before = 0, after = 0, size = 0;
    double alpha = 0, k = 0, beta = 0;
  };

  /// One value of the constant input `index` of `n`.
  double scalarInput(const onnx::NodeProto &n, int index) {
    Tensor t = reader_.floats(constant(n, index), n.name());
    if (t.numel() != 1) unsupported(n, fmt::format("input {} must be one value", index));
    return std::stod(fmt::format("{}", t.data[0]));  // the shortest decimal of the float32, as attributes read
  }

  /// Value `name`, a square unsqueezed that turned out not to be an LRN's, imported as the reshape it is.
  void materialiseSquare(const std::string &name) {
    const PartialLrn &p = partialLrn_.at(name);
    std::string node = name;
    for (int i = 2; graph_.find(node); ++i) node = fmt::format("{}_{}", name, i);
    values_[name] = builder_.add(OpKind::Reshape, node, {p.square}, {{"shape", Dims(p.shape.begin() + 1, p.shape.end())}});
    partialLrn_.erase(name);
  }

  /// Whether `n` starts or continues a PyTorch LocalResponseNorm (PartialLrn); it is then imported.
  bool tracksPartialLrn(const onnx::NodeProto &n) {
    const std::string &op = n.op_type();
    if (op == "Unsqueeze" && values_.count(n.input(0))) {
      const Node *square = values_.at(n.input(0));
      std::vector<int64_t> axes = intsFromInputOrAttribute(n, 1, "axes", 13);
      bool squared = square->op == OpKind::Binary && binaryFnOf(*square) == BinaryFn::Mul && square->inputs()[0] == square->inputs()[1];
      if (!squared || axes != std::vector<int64_t>{1} || square->shape.size() != 4) return false;
      Dims shape = square->shape;
      shape.insert(shape.begin() + 1, 1);
      partialLrn_[n.output(0)] = PartialLrn{PartialLrn::Squared, square->inputs()[0], values_.at(n.input(0)), shape};
      return true;
    }
    int at = -1;
    for (int i = 0; i < n.input_size() && at < 0; ++i)
      if (partialLrn_.count(n.input(i))) at = i;
    if (at < 0 || op == "Shape") return false;  // a Shape of one folds (fold reads its shape)
    PartialLrn p = partialLrn_.at(n.input(at));
    auto next = [&](PartialLrn::Stage from, PartialLrn::Stage to) {
      if (p.stage != from) return false;
      p.stage = to;
      return true;
    };
    bool ok = false;
    if (op == "Identity") {
      ok = true;
    } else if (op == "Reshape" && at == 0) {
      ok = resolveReshape(n, p.shape, reader_.int64s(constant(n, 1)), false) == p.shape;
    } else if (op == "Pad" && at == 0) {
      std::vector<int64_t> pads = reader_.int64s(constant(n, 1));
      bool zero = std::all_of(pads.begin(), pads.end(), [](int64_t v) { return v == 0; });
      bool channelsOnly = pads.size() == 10 && std::count(pads.begin(), pads.end(), 0) >= 8 && pads[2] >= 0 && pads[7] >= 0 &&
                          pads[2] <= kMaxLrnSize && pads[7] <= kMaxLrnSize;
      bool zeroFill = n.input_size() < 3 || n.input(2).empty() || scalarInput(n, 2) == 0.0;
      ok = zeroFill && Attributes(n, path_).s("mode", "constant") == "constant" && (zero || (channelsOnly && next(PartialLrn::Squared, PartialLrn::Padded)));
      if (ok && !zero) p.before = pads[2], p.after = pads[7], p.shape[2] += p.before + p.after;
    } else if (op == "AveragePool") {
      Attributes a(n, path_);
      std::vector<int64_t> kernel = a.ints("kernel_shape", {}), strides = a.ints("strides", {1, 1, 1}), pads = a.ints("pads", {0, 0, 0, 0, 0, 0});
      p.size = kernel.empty() ? 0 : kernel[0];
      ok = kernel == std::vector<int64_t>{p.size, 1, 1} && strides == std::vector<int64_t>{1, 1, 1} && pads == std::vector<int64_t>(6, 0) &&
           p.before == p.size / 2 && p.after == (p.size - 1) / 2 && next(PartialLrn::Padded, PartialLrn::Pooled);
      if (ok) p.shape[2] -= p.size - 1;
    } else if (op == "Squeeze") {
      std::vector<int64_t> axes = intsFromInputOrAttribute(n, 1, "axes", 13);
      ok = axes == std::vector<int64_t>{1} && next(PartialLrn::Pooled, PartialLrn::Summed);
      p.shape.erase(p.shape.begin() + 1);
    } else if (op == "Mul" && next(PartialLrn::Summed, PartialLrn::Scaled)) {
      p.alpha = scalarInput(n, 1 - at), ok = true;
    } else if (op == "Add" && next(PartialLrn::Scaled, PartialLrn::Shifted)) {
      p.k = scalarInput(n, 1 - at), ok = true;
    } else if (op == "Pow" && at == 0 && next(PartialLrn::Shifted, PartialLrn::Powered)) {
      p.beta = scalarInput(n, 1), ok = true;
    } else if (op == "Div" && at == 1 && p.stage == PartialLrn::Powered && values_.count(n.input(0)) && values_.at(n.input(0)) == p.x) {
      add(OpKind::Lrn, n, {p.x}, {{"size", p.size}, {"alpha", p.alpha}, {"beta", p.beta}, {"k", p.k}});
      recognisedLrn_ = true;
      return true;
    }
    if (!ok && partialLrn_.at(n.input(at)).stage == PartialLrn::Squared) {  // a square unsqueezed for another use: import it
      materialiseSquare(n.input(at));
      return false;
    }
    if (!ok)
      unsupported(n, fmt::format("reads '{}', part of a local response normalisation written out in elementwise ops; Deeper recognises "
                                 "PyTorch's LocalResponseNorm as exported whole, not this variant",
                                 n.input(at)));
    partialLrn_[n.output(0)] = p;
    return true;
  }

  /// Ops that exist here only to be folded: they compute shapes, indices and conditions.
  static inline const std::set<std::string> kFoldedOnly = {"Shape", "Gather", "Cast", "Equal", "Less", "Greater", "Not", "Where",
                                                            "ConstantOfShape", "Range"};

  /// Every input a constant small enough to fold; a Shape's input may be computed (its shape is known).
  bool foldable(const onnx::NodeProto &n) const {
    for (int i = 0; i < n.input_size(); ++i) {
      const std::string &name = n.input(i);
      if (name.empty()) continue;
      if (n.op_type() == "Shape" && (values_.count(name) || partialLrn_.count(name))) continue;
      const onnx::TensorProto *t = findConstant(name);
      if (!t) return false;
      std::optional<int64_t> count = checkedNumel(Dims(t->dims().begin(), t->dims().end()));
      if (!count || *count > kMaxFoldedElements) return false;
    }
    return true;
  }

  /// `n` evaluated at import: its outputs become constants (frontend/OnnxFolding.h).
  void fold(const onnx::NodeProto &n) {
    std::deque<FoldedTensor> read;
    std::vector<const FoldedTensor *> inputs;
    for (int i = 0; i < n.input_size(); ++i) {
      const std::string &name = n.input(i);
      if (name.empty()) {
        inputs.push_back(nullptr);
      } else if (auto it = values_.find(name); it != values_.end()) {
        inputs.push_back(&read.emplace_back(FoldedTensor{onnx::TensorProto::FLOAT, it->second->shape, {}}));  // a Shape's input
      } else if (auto lrn = partialLrn_.find(name); lrn != partialLrn_.end()) {
        inputs.push_back(&read.emplace_back(FoldedTensor{onnx::TensorProto::FLOAT, lrn->second.shape, {}}));
      } else {
        inputs.push_back(&read.emplace_back(reader_.folded(*findConstant(name))));
      }
    }
    std::vector<FoldedTensor> out = foldOnnxNode(n, inputs, opset_, path_);
    for (size_t i = 0; i < out.size() && static_cast<int>(i) < n.output_size(); ++i) {
      if (n.output(static_cast<int>(i)).empty()) continue;
      if (i > 0) define(n, n.output(static_cast<int>(i)));
      constants_[n.output(static_cast<int>(i))] = &folded_.emplace_back(protoOf(out[i], n.output(static_cast<int>(i))));
    }
  }

  /// If with a constant condition (exporters test shapes so): the branch it takes is imported in its
  /// place, its outputs becoming If's.
  void importIf(const onnx::NodeProto &n) {
    const onnx::TensorProto *condition = n.input_size() == 1 ? findConstant(n.input(0)) : nullptr;
    if (!condition)
      unsupported(n, "its condition is computed; Deeper imports an If whose condition is known at import (a constant or a shape test)");
    FoldedTensor cond = reader_.folded(*condition);
    if (cond.values.size() != 1) unsupported(n, "its condition is not one value");
    const char *taken = cond.values[0] != 0 ? "then_branch" : "else_branch";
    const onnx::AttributeProto *branch = nullptr;
    for (const auto &attr : n.attribute())
      if (attr.name() == taken && attr.has_g()) branch = &attr;
    if (!branch) unsupported(n, fmt::format("has no {} graph", taken));
    if (branch->g().output_size() != n.output_size())
      unsupported(n, fmt::format("its {} has {} outputs, the If {}", taken, branch->g().output_size(), n.output_size()));
    for (const auto &init : branch->g().initializer()) initializers_[init.name()] = &init;
    for (const auto &inner : branch->g().node()) importNode(inner);
    for (int i = 0; i < n.output_size(); ++i) {
      const std::string &from = branch->g().output(i).name(), &to = n.output(i);
      if (i > 0) define(n, to);
      if (const onnx::TensorProto *c = findConstant(from)) constants_[to] = c;
      else if (auto lrn = partialLrn_.find(from); lrn != partialLrn_.end()) partialLrn_[to] = lrn->second;
      else values_[to] = value(from, fmt::format("node '{}' (If)", n.name()));
    }
  }

  void importNode(const onnx::NodeProto &n) {
    if (n.output_size() == 0 || n.output(0).empty()) unsupported(n, "has no output");
    define(n, n.output(0));
    if (!n.domain().empty() && n.domain() != "ai.onnx") unsupported(n, fmt::format("domain '{}' is not supported", n.domain()));
    const std::string &op = n.op_type();
    checkAttributes(n);
    Attributes a(n, path_);
    if (op == "Constant") {
      const onnx::TensorProto *value = a.t("value");
      if (!value) unsupported(n, "only 'value' constants are supported");
      constants_[n.output(0)] = value;
      return;
    }
    if (op == "If") return importIf(n);
    if (tracksPartialLrn(n)) return;
    if (isFoldableOp(op) && foldable(n)) return fold(n);
    if (kFoldedOnly.count(op))
      unsupported(n, fmt::format("'{}' is computed; Deeper evaluates {} at import, on constants and shapes only", n.input(0), op));
    if (n.input_size() == 0) unsupported(n, "has no inputs");
    // Either operand of arithmetic may be the constant; or both are computed (a residual add).
    static const std::map<std::string, OpKind> arithmetic = {{"Add", OpKind::Add}, {"Sub", OpKind::Sub}, {"Mul", OpKind::Mul}, {"Div", OpKind::Div}};
    bool computed = n.input_size() == 2 && values_.count(n.input(0)) && values_.count(n.input(1));
    auto it = arithmetic.find(op);
    if ((it != arithmetic.end() && computed) || op == "Pow" || op == "Max" || op == "Min") return importBinary(n, a);
    if (it != arithmetic.end()) return importArithmetic(n, a, it->second);
    Node *x = value(n.input(0), fmt::format("node '{}'", n.name()));
    if (op == "Identity") return alias(n, x);
    if (op == "Pad") return importPad(n, a, x);
    if (op == "Slice") return importSlice(n, a, x);
    if (op == "Conv") return importConv(n, a, x);
    if (op == "ConvTranspose") return importConvTranspose(n, a, x);
    if (op == "Relu") return addPointwise(OpKind::Relu, n, x, {});
    if (unaryFns().count(op)) return importUnary(n, a, x);
    if (op == "MaxPool" || op == "AveragePool") return importPool(n, a, x, op == "MaxPool");
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool") return importGlobalPool(n, x);
    if (op == "Expand") return importExpand(n, x);
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
    if (op == "Gemm") return importGemm(n, a, x);
    if (op == "MatMul") return importMatMul(n, x);
    if (op == "Flatten") {
      int64_t axis = a.i("axis", 1);
      add(OpKind::Flatten, n, {x}, {{"axis", axis < 0 ? axis + static_cast<int64_t>(x->shape.size()) : axis}});
      return;
    }
    if (op == "Reshape") return importReshape(n, a, x);
    if (op == "Dropout") return importDropout(n, a, x);
    if (op == "Softmax" || op == "LogSoftmax") return importSoftmax(n, a, x);
    if (op == "ReduceMean" || op == "ReduceMax" || op == "ReduceSum") return importReduce(n, a, x);
    if (op == "Split") return importSplit(n, a, x);
    if (op == "Squeeze" || op == "Unsqueeze") return importSqueeze(n, x);
    if (op == "Transpose") {  // no perm: the axes reversed, which moves the batch (refused by the shape rule)
      Dims perm = a.ints("perm", {});
      if (perm.empty())
        for (int64_t d = static_cast<int64_t>(x->shape.size()) - 1; d >= 0; --d) perm.push_back(d);
      add(OpKind::Transpose, n, {x}, {{"perm", perm}});
      return;
    }
    if (op == "PRelu") return importPRelu(n, x);
    if (op == "BatchNormalization") {
      if (a.i("training_mode", 0) != 0 || (n.output_size() > 1 && !n.output(1).empty()))
        unsupported(n, "training mode (running statistics as outputs) is not supported; Deeper compiles inference");
      if (a.i("spatial", 1) != 1) unsupported(n, "spatial = 0 (statistics per element) is not supported");
      std::vector<std::pair<std::string, Tensor>> params;
      const char *roles[] = {"scale", "bias", "mean", "var"};
      for (int i = 0; i < 4; ++i) params.push_back({roles[i], reader_.floats(constant(n, i + 1), n.name())});
      add(OpKind::BatchNorm, n, {x}, {{"epsilon", a.f("epsilon", 1e-5)}}, params);
      return;
    }
    DEEPER_CHECK(false, "op '{}' passed checkAttributes but has no importer", op);  // the two lists disagree
  }

  Graph &graph_;
  GraphBuilder builder_;
  TensorReader reader_;
  std::string path_;
  int opset_;
  std::map<std::string, const onnx::TensorProto *> initializers_, constants_;
  std::map<std::string, Node *> values_;
  std::map<const Node *, Node *> heightDropped_;  ///< a 1-D window's output [N,C,L] -> its 2-D value [N,C,1,L]
  /// A 3-D conv's output [N,C,D,H,W] (or a pointwise op's of it): its planes [N,C,H,W] and their concat [N,D*C,H,W].
  struct DepthPlanes {
    std::vector<Node *> planes;
    Node *stacked;
  };
  std::map<const Node *, DepthPlanes> depthStacked_;
  std::map<std::string, std::string> producers_;  // value name -> the node (or input) that produces it
  std::deque<onnx::TensorProto> bound_;   // --bind values, stable addresses for initializers_
  std::deque<onnx::TensorProto> folded_;  // folded values, stable addresses for constants_
  const std::map<std::string, Tensor> *inputValues_ = nullptr;  // values deeper run was given for graph inputs
  std::set<std::string> boundLate_;  // those of them bound as constants where a node needed one
  std::map<std::string, PartialLrn> partialLrn_;  // values inside a PyTorch LocalResponseNorm, by name
  bool recognisedLrn_ = false;
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
    Node *in = fc->inputs()[0];
    if (in->op == OpKind::Flatten && in->attrInt("axis") == 1 && graph.hasSingleUse(in))
      graph.setInput(fc, 0, in->inputs()[0]);
  }
  graph.removeDeadNodes();
}

}  // namespace

Tensor readOnnxTensor(const std::string &path, std::string *name) {
  onnx::TensorProto t;
  if (!t.ParseFromString(readFile(path))) fail(fmt::format("'{}' is not an ONNX TensorProto file", path));
  if (name) *name = t.name();
  TensorReader reader(path);
  if (t.data_type() != onnx::TensorProto::INT64) return reader.floats(t, path);
  // Shapes and pads (Reshape's, Pad's inputs) as float32 values, exact below 2^24.
  Dims dims(t.dims().begin(), t.dims().end());
  std::vector<int64_t> values = reader.int64s(t);
  if (checkedNumel(dims) != static_cast<int64_t>(values.size())) fail(fmt::format("'{}': int64 data size does not match its dims", path));
  Tensor out(dims);
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::abs(values[i]) > (int64_t(1) << 24)) fail(fmt::format("'{}': int64 value {} is too large to read as float32", path, values[i]));
    out.data[i] = static_cast<float>(values[i]);
  }
  return out;
}

Graph importOnnx(const std::string &path, const std::string &bytes, const ElaborateOptions &options) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) fail(fmt::format("'{}' is not an ONNX model (its protobuf does not parse)", path));
  Graph graph;
  graph.name = !model.graph().name().empty() ? model.graph().name() : options.defaultName;
  OnnxImporter(graph, path, defaultOpset(model, path)).run(model.graph(), options);
  dropFlattensBeforeFc(graph);
  recognizeConcatModules(graph);
  return graph;
}

}  // namespace deeper
