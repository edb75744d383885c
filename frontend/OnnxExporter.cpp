#include "frontend/OnnxExporter.h"

#include "ir/OpParams.h"
#include "ir/ShapeFunctions.h"

#include <onnx/onnx_pb.h>

namespace deeper {
namespace {

constexpr int kOpset = 13;

void setInts(onnx::NodeProto &n, const char *name, const std::vector<int64_t> &values) {
  onnx::AttributeProto *a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void setInt(onnx::NodeProto &n, const char *name, int64_t value) {
  onnx::AttributeProto *a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void setFloat(onnx::NodeProto &n, const char *name, double value) {
  onnx::AttributeProto *a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(static_cast<float>(value));
}

void valueInfo(onnx::ValueInfoProto *v, const Node &node) {
  v->set_name(node.name);
  onnx::TypeProto_Tensor *t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : node.shape) t->mutable_shape()->add_dim()->set_dim_value(d);
}

class Exporter {
 public:
  Exporter(const Graph &g, const TensorMap &w, onnx::GraphProto &out) : graph_(g), weights_(w), out_(out) {}

  void run() {
    out_.set_name(graph_.name);
    for (const auto &node : graph_.nodes()) exportNode(*node);
    for (const GraphOutput &o : graph_.outputs()) {
      valueInfo(out_.add_output(), *o.node);
      if (o.name.empty()) continue;
      add("Identity", o.name, {o.node->name}, o.name);  // an output named apart from its value
      out_.mutable_output(out_.output_size() - 1)->set_name(o.name);
    }
  }

 private:
  onnx::NodeProto &add(const char *op, const std::string &name, std::vector<std::string> inputs, const std::string &output) {
    onnx::NodeProto *n = out_.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string &in : inputs) n->add_input(in);
    n->add_output(output);
    return *n;
  }

  /// Adds the node's learned tensors as initializers; returns their names (weight, then bias).
  std::vector<std::string> initializers(const Node &node) {
    std::vector<std::string> names;
    for (const ParamSpec &spec : paramsOf(node)) {
      std::string name = spec.tensorName(node);
      const Tensor &t = weights_.at(name);
      onnx::TensorProto *init = out_.add_initializer();
      init->set_name(name);
      init->set_data_type(onnx::TensorProto::FLOAT);
      for (int64_t d : t.shape) init->add_dims(d);
      init->set_raw_data(std::string(reinterpret_cast<const char *>(t.data.data()), t.data.size() * 4));
      names.push_back(name);
    }
    return names;
  }

  /// An int64 initializer (Reshape's shape, Pad's pads); returns its name.
  std::string int64Initializer(const std::string &name, const std::vector<int64_t> &values) {
    onnx::TensorProto *init = out_.add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::INT64);
    init->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) init->add_int64_data(v);
    return name;
  }

  /// A float scalar initializer (Clip's bounds); returns its name.
  std::string floatScalar(const std::string &name, double value) {
    onnx::TensorProto *init = out_.add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::FLOAT);
    init->add_float_data(static_cast<float>(value));
    return name;
  }

  /// Unary's functions as the ONNX ops they came from (opset 13: Clip's bounds are inputs; hard-swish,
  /// opset 14, is x * HardSigmoid(x, 1/6, 1/2)).
  void exportUnary(const Node &node, std::vector<std::string> in) {
    UnaryParams u = UnaryParams::of(node);
    static const std::map<UnaryFn, const char *> plain = {{UnaryFn::Sigmoid, "Sigmoid"}, {UnaryFn::Tanh, "Tanh"}, {UnaryFn::Exp, "Exp"},
                                                          {UnaryFn::Log, "Log"},         {UnaryFn::Sqrt, "Sqrt"}, {UnaryFn::Neg, "Neg"},
                                                          {UnaryFn::Abs, "Abs"},         {UnaryFn::Erf, "Erf"}};
    if (auto it = plain.find(u.fn); it != plain.end()) {
      add(it->second, node.name, in, node.name);
    } else if (u.fn == UnaryFn::Clip) {
      in.push_back(floatScalar(node.name + ".lo", u.lo));
      in.push_back(floatScalar(node.name + ".hi", u.hi));
      add("Clip", node.name, in, node.name);
    } else if (u.fn == UnaryFn::LeakyRelu) {
      setFloat(add("LeakyRelu", node.name, in, node.name), "alpha", u.alpha);
    } else if (u.fn == UnaryFn::HardSigmoid) {
      onnx::NodeProto &n = add("HardSigmoid", node.name, in, node.name);
      setFloat(n, "alpha", u.alpha);
      setFloat(n, "beta", u.beta);
    } else {
      exportHardSwish(node.name, in[0], node.name);
    }
  }

  /// Hard-swish (opset 14) as x * HardSigmoid(x, 1/6, 1/2), the Mul called `name`.
  void exportHardSwish(const std::string &name, const std::string &in, const std::string &out) {
    onnx::NodeProto &gate = add("HardSigmoid", name + ":gate", {in}, name + ":gate");
    setFloat(gate, "alpha", 1.0 / 6.0);
    setFloat(gate, "beta", 0.5);
    add("Mul", name, {in, name + ":gate"}, out);
  }

  /// A conv's relu or activation as the ONNX ops it came from, from `preact` to `out`.
  void exportConvEpilogue(const Node &node, const ConvParams &p, const std::string &preact, const std::string &out) {
    const std::string name = node.name + ":activation";
    if (p.relu && p.reluBounded()) {  // ReLU6 and kin: the Clip it came from
      add("Clip", node.name + ":relu", {preact, floatScalar(node.name + ".relu_min", 0), floatScalar(node.name + ".relu_max", p.reluMax)}, out);
    } else if (p.relu) {
      add("Relu", node.name + ":relu", {preact}, out);
    } else if (p.activation == ConvActivation::Sigmoid) {
      add("Sigmoid", name, {preact}, out);
    } else if (p.activation == ConvActivation::Silu) {  // x * Sigmoid(x), as exporters write SiLU
      add("Sigmoid", name + ":gate", {preact}, name + ":gate");
      add("Mul", name, {preact, name + ":gate"}, out);
    } else if (p.activation == ConvActivation::HardSwish) {
      exportHardSwish(name, preact, out);
    } else if (p.activation == ConvActivation::HardSigmoid) {
      onnx::NodeProto &n = add("HardSigmoid", name, {preact}, out);
      setFloat(n, "alpha", p.activationAlpha);
      setFloat(n, "beta", p.activationBeta);
    }
  }

  /// ReduceMean/ReduceMax/ReduceSum over every reduced axis (opset 13: ReduceSum's axes are an input).
  void exportReduce(const Node &node, std::vector<std::string> in) {
    ReduceParams r = ReduceParams::of(node);
    std::vector<int64_t> axes;
    for (int64_t a = r.first; a <= r.last; ++a) axes.push_back(a);
    const char *op = r.fn == ReduceFn::Mean ? "ReduceMean" : r.fn == ReduceFn::Max ? "ReduceMax" : "ReduceSum";
    if (r.fn == ReduceFn::Sum) in.push_back(int64Initializer(node.name + ".axes", axes));
    onnx::NodeProto &n = add(op, node.name, in, node.name);
    if (r.fn != ReduceFn::Sum) setInts(n, "axes", axes);
    setInt(n, "keepdims", r.keepdims ? 1 : 0);
  }

  void exportArithmetic(const Node &node, const char *op, std::vector<std::string> in) {
    std::string operand = initializers(node).at(0);
    bool first = node.attrs.count("operand_first") && node.attrBool("operand_first");
    in.insert(first ? in.begin() : in.end(), operand);
    add(op, node.name, in, node.name);
  }

  /// A 2-D trans_a matmul is a Gemm (as it came from one); deeper stacks transpose first.
  void exportMatMul(const Node &node, std::vector<std::string> in) {
    MatMulParams p = MatMulParams::of(node);
    if (p.transA && node.inputs()[0]->shape.size() == 2 && p.weight.size() == 2) {
      in.push_back(initializers(node).at(0));
      setInt(add("Gemm", node.name, in, node.name), "transA", 1);
      return;
    }
    if (p.transA) {
      std::vector<int64_t> perm;
      for (size_t d = 0; d < node.inputs()[0]->shape.size(); ++d) perm.push_back(static_cast<int64_t>(d));
      std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
      setInts(add("Transpose", node.name + ":transpose", in, node.name + ":a"), "perm", perm);
      in = {node.name + ":a"};
    }
    in.push_back(initializers(node).at(0));
    add("MatMul", node.name, in, node.name);
  }

  /// Slice (opset 10+): starts, ends and axes as int64 inputs.
  void exportSlice(const Node &node, std::vector<std::string> in) {
    in.push_back(int64Initializer(node.name + ".starts", {node.attrInt("begin")}));
    in.push_back(int64Initializer(node.name + ".ends", {node.attrInt("end")}));
    in.push_back(int64Initializer(node.name + ".axes", {1}));
    add("Slice", node.name, in, node.name);
  }

  void exportPad(const Node &node, std::vector<std::string> in) {
    const Dims &pads = node.attrDims("pads");
    in.push_back(int64Initializer(node.name + ".pads", pads));
    onnx::TensorProto *value = out_.add_initializer();
    value->set_name(node.name + ".value");
    value->set_data_type(onnx::TensorProto::FLOAT);
    value->add_float_data(static_cast<float>(node.attrFloat("value")));
    in.push_back(value->name());
    onnx::AttributeProto *mode = add("Pad", node.name, in, node.name).add_attribute();
    mode->set_name("mode");
    mode->set_type(onnx::AttributeProto::STRING);
    mode->set_s(node.attrWord("mode"));
  }

  /// Interleaved (channel-shuffle-fusion), the concat and the shuffle as exporters write it: the axis
  /// split into k x C/k, those two swapped, merged back.
  void exportConcat(const Node &node, const std::vector<std::string> &in) {
    const int64_t axis = node.attrInt("axis");
    if (!node.attrBool("interleave")) {
      setInt(add("Concat", node.name, in, node.name), "axis", axis);
      return;
    }
    Dims split = splitAxis(node.shape, static_cast<size_t>(axis), static_cast<int64_t>(in.size()));
    Dims perm = swapWithNextAxis(split.size(), static_cast<size_t>(axis));
    setInt(add("Concat", node.name + ":concat", in, node.name + ":concat"), "axis", axis);
    add("Reshape", node.name + ":split", {node.name + ":concat", int64Initializer(node.name + ".split_shape", split)}, node.name + ":split");
    setInts(add("Transpose", node.name + ":shuffle", {node.name + ":split"}, node.name + ":shuffled"), "perm", perm);
    add("Reshape", node.name, {node.name + ":shuffled", int64Initializer(node.name + ".shape", node.shape)}, node.name);
  }

  void window(onnx::NodeProto &n, const Window2d &w) {
    if (w.dh != 1 || w.dw != 1) setInts(n, "dilations", {w.dh, w.dw});
    setInts(n, "kernel_shape", {w.kh, w.kw});
    setInts(n, "strides", {w.sh, w.sw});
    setInts(n, "pads", {w.ph, w.pw, w.phEnd, w.pwEnd});
  }

  /// `op` writing `node`'s value, or an intermediate followed by Relu when the epilogue has one.
  std::string outputName(const Node &node, bool relu) { return relu ? node.name + ":preact" : node.name; }

  void reluAfter(const Node &node, bool relu) {
    if (relu) add("Relu", node.name + ":relu", {node.name + ":preact"}, node.name);
  }

  void exportNode(const Node &node) {
    std::vector<std::string> in;
    for (const Node *i : node.inputs()) in.push_back(i->name);
    switch (node.op) {
      case OpKind::Input: valueInfo(out_.add_input(), node); return;
      case OpKind::Conv: {
        ConvParams p = ConvParams::of(node);
        std::string residual = p.residual ? in[1] : "";
        in.resize(1);
        if (p.inputMaxPool) {  // pool-proj-fusion's pool, as the MaxPool it was
          onnx::NodeProto &pool = add("MaxPool", node.name + ":pool", in, node.name + ":pooled");
          window(pool, p.inputPool().win);
          in = {node.name + ":pooled"};
        }
        std::vector<std::string> params = initializers(node);  // weight, [bias], [reduce_weight, reduce_bias]
        if (p.reduce) {  // reduce-conv-fusion's 1x1 conv, as the Conv (and Relu) it was
          std::string reduced = p.reduceRelu ? node.name + ":reduced_preact" : node.name + ":reduced";
          onnx::NodeProto &reduce = add("Conv", node.name + ":reduce", {in[0], params[params.size() - 2], params.back()}, reduced);
          window(reduce, p.reduceConv().win);
          if (p.reduceRelu) add("Relu", node.name + ":reduce_relu", {reduced}, node.name + ":reduced");
          in = {node.name + ":reduced"};
          params.resize(params.size() - 2);
        }
        for (const std::string &w : params) in.push_back(w);
        // conv-pool-fusion's pool, as the MaxPool it was, after the conv (and relu)
        std::string convOut = p.outputMaxPool ? node.name + ":unpooled" : node.name;
        std::string sum = p.activated() ? node.name + ":preact" : convOut;  // the biased sum, with the residual
        onnx::NodeProto &conv = add("Conv", node.name, in, p.residual ? node.name + ":conv" : sum);
        window(conv, p.win);
        if (p.groups != 1) setInt(conv, "group", p.groups);
        if (p.residual) add("Add", node.name + ":residual", {node.name + ":conv", residual}, sum);
        exportConvEpilogue(node, p, node.name + ":preact", convOut);
        if (p.outputMaxPool) {
          onnx::NodeProto &pool = add("MaxPool", node.name + ":output_pool", {convOut}, node.name);
          window(pool, p.outputPool().win);
          setInt(pool, "ceil_mode", 1);
        }
        return;
      }
      case OpKind::Fc: {
        FcParams p = FcParams::of(node);
        if (node.inputs()[0]->shape.size() != 2) {
          setInt(add("Flatten", node.name + ":flatten", in, node.name + ":flat"), "axis", 1);
          in = {node.name + ":flat"};
        }
        for (const std::string &w : initializers(node)) in.push_back(w);
        setInt(add("Gemm", node.name, in, outputName(node, p.relu)), "transB", 1);
        return reluAfter(node, p.relu);
      }
      case OpKind::MaxPool:
      case OpKind::AvgPool: {
        PoolParams p = PoolParams::of(node);
        bool isMax = node.op == OpKind::MaxPool;
        onnx::NodeProto &n = add(isMax ? "MaxPool" : "AveragePool", node.name, in, node.name);
        window(n, p.win);
        setInt(n, "ceil_mode", p.ceil ? 1 : 0);
        if (!isMax) setInt(n, "count_include_pad", p.excludePad ? 0 : 1);
        return;
      }
      case OpKind::Lrn: {
        LrnParams p = LrnParams::of(node);
        onnx::NodeProto &n = add("LRN", node.name, in, node.name);
        setInt(n, "size", p.size);
        setFloat(n, "alpha", p.alpha);
        setFloat(n, "beta", p.beta);
        setFloat(n, "bias", p.k);
        return;
      }
      case OpKind::Relu: add("Relu", node.name, in, node.name); return;
      case OpKind::Unary: return exportUnary(node, in);
      case OpKind::PRelu: {  // the slope [C] as [C, 1, ...]: ONNX broadcasts from the last axis
        in.push_back(initializers(node).at(0));
        onnx::TensorProto *slope = out_.mutable_initializer(out_.initializer_size() - 1);
        for (size_t d = 2; d < node.shape.size(); ++d) slope->add_dims(1);
        add("PRelu", node.name, in, node.name);
        return;
      }
      case OpKind::Reduce: return exportReduce(node, in);
      case OpKind::Transpose: setInts(add("Transpose", node.name, in, node.name), "perm", node.attrDims("perm")); return;
      case OpKind::ConvTranspose: {
        ConvTransposeParams p = ConvTransposeParams::of(node);
        for (const std::string &w : initializers(node)) in.push_back(w);  // weight, [bias]
        onnx::NodeProto &conv = add("ConvTranspose", node.name, in, node.name);
        window(conv, p.win);
        if (p.groups != 1) setInt(conv, "group", p.groups);
        if (p.outputPadH || p.outputPadW) setInts(conv, "output_padding", {p.outputPadH, p.outputPadW});
        return;
      }
      case OpKind::Expand:
        in.push_back(int64Initializer(node.name + ".shape", node.shape));
        add("Expand", node.name, in, node.name);
        return;
      case OpKind::BatchNorm: {
        for (const std::string &w : initializers(node)) in.push_back(w);  // scale, bias, mean, var: ONNX's order
        setFloat(add("BatchNormalization", node.name, in, node.name), "epsilon", node.attrFloat("epsilon"));
        return;
      }
      case OpKind::Dropout:
      case OpKind::Copy: add("Identity", node.name, in, node.name); return;
      case OpKind::Concat: return exportConcat(node, in);
      case OpKind::Softmax: setInt(add(node.attrBool("log") ? "LogSoftmax" : "Softmax", node.name, in, node.name), "axis", node.attrInt("axis")); return;
      case OpKind::Flatten: setInt(add("Flatten", node.name, in, node.name), "axis", node.attrInt("axis")); return;
      case OpKind::Reshape: {
        in.push_back(int64Initializer(node.name + ".shape", node.shape));
        add("Reshape", node.name, in, node.name);
        return;
      }
      case OpKind::Pad: return exportPad(node, in);
      case OpKind::Slice: return exportSlice(node, in);
      case OpKind::Add: return exportArithmetic(node, "Add", in);
      case OpKind::Sub: return exportArithmetic(node, "Sub", in);
      case OpKind::Mul: return exportArithmetic(node, "Mul", in);
      case OpKind::Div: return exportArithmetic(node, "Div", in);
      case OpKind::Binary: {
        static const std::map<BinaryFn, const char *> onnxOps = {{BinaryFn::Add, "Add"}, {BinaryFn::Sub, "Sub"}, {BinaryFn::Mul, "Mul"},
                                                                 {BinaryFn::Div, "Div"}, {BinaryFn::Pow, "Pow"}, {BinaryFn::Max, "Max"},
                                                                 {BinaryFn::Min, "Min"}};
        add(onnxOps.at(binaryFnOf(node)), node.name, in, node.name);
        return;
      }
      case OpKind::MatMul: return exportMatMul(node, in);
    }
    DEEPER_CHECK(false, "no ONNX export for op {}", node.info().name);
  }

  const Graph &graph_;
  const TensorMap &weights_;
  onnx::GraphProto &out_;
};

}  // namespace

std::string exportOnnx(const Graph &graph, const TensorMap &weights) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.set_producer_name("deeper");
  model.add_opset_import()->set_version(kOpset);
  Exporter(graph, weights, *model.mutable_graph()).run();
  std::string bytes;
  DEEPER_CHECK(model.SerializeToString(&bytes), "ONNX serialisation failed");
  return bytes;
}

}  // namespace deeper
