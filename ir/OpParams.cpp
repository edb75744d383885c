#include "ir/OpParams.h"

#include <algorithm>

namespace deeper {
namespace {

Window2d windowOf(const Node &node) {
  const Dims &k = node.attrDims("kernel"), &s = node.attrDims("stride"), &p = node.attrDims("pad");
  Window2d w{k[0], k[1], s[0], s[1], p[0], p[1], p[2], p[3]};
  if (node.attrs.count("dilation")) {
    w.dh = node.attrDims("dilation")[0];
    w.dw = node.attrDims("dilation")[1];
  }
  return w;
}

int64_t featuresPerSample(const Dims &shape) {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

/// The position of `node`'s word attribute `attr` among the op table's choices for it: the enums of
/// unary's, binary's and reduce's functions and conv's activations list them in the same order, so the
/// table stays their one spelling.
size_t choiceIndex(const Node &node, const char *attr, size_t enumSize) {
  std::vector<std::string> choices = node.info().findAttr(attr)->choiceList();
  DEEPER_CHECK(choices.size() == enumSize, "{}'s {} choices and its enum differ", node.info().name, attr);
  auto it = std::find(choices.begin(), choices.end(), node.attrWord(attr));
  DEEPER_CHECK(it != choices.end(), "'{}' has {}={}, no choice of the op table", node.name, attr, node.attrWord(attr));
  return static_cast<size_t>(it - choices.begin());
}

}  // namespace

ConvParams ConvParams::of(const Node &node) {
  DEEPER_CHECK(node.op == OpKind::Conv, "'{}' is not a conv", node.name);
  ConvParams p{node.attrInt("out"),           windowOf(node),         node.attrBool("bias"),
               node.attrBool("relu"),           node.attrInt("groups"), node.attrInt("input_maxpool"),
               node.attrInt("reduce"),          node.attrBool("reduce_relu"), node.attrInt("output_maxpool"),
               node.attrInt("output_maxpool_stride"), node.attrFloat("relu_max")};
  p.activation = static_cast<ConvActivation>(choiceIndex(node, "activation", static_cast<size_t>(ConvActivation::HardSigmoid) + 1));
  p.activationAlpha = node.attrFloat("activation_alpha");
  p.activationBeta = node.attrFloat("activation_beta");
  p.residual = node.inputs().size() > 1;
  return p;
}

ConvTransposeParams ConvTransposeParams::of(const Node &node) {
  DEEPER_CHECK(node.op == OpKind::ConvTranspose, "'{}' is not a conv_transpose", node.name);
  const Dims &extra = node.attrDims("output_padding");
  return ConvTransposeParams{node.attrInt("out"), windowOf(node), node.attrInt("groups"), extra[0], extra[1], node.attrBool("bias")};
}

Dims convOutputShape(const Node &conv) {
  ConvParams p = ConvParams::of(conv);
  if (p.outputMaxPool == 0) return conv.shape;
  const Dims &in = conv.inputs().at(0)->shape;
  const Window2d &w = p.win;
  return {in[0], p.out, windowOutputSize(in[2], w.extentH(), w.sh, w.ph, w.phEnd, false),
          windowOutputSize(in[3], w.extentW(), w.sw, w.pw, w.pwEnd, false)};
}

bool ConvParams::winogradApplies() const {
  const int64_t r = win.kh, pad = r / 2;
  bool window = (r == 3 || r == 5) && win.kw == r && win.sh == 1 && win.sw == 1 && win.dh == 1 && win.dw == 1;
  bool same = win.ph == pad && win.pw == pad && win.phEnd == pad && win.pwEnd == pad;
  return window && same && groups == 1 && inputMaxPool == 0 && reduce == 0 && outputMaxPool == 0;
}

bool ConvParams::isPlainPointwise() const {
  const Window2d &w = win;
  bool unit = w.kh == 1 && w.kw == 1 && w.sh == 1 && w.sw == 1 && w.ph == 0 && w.pw == 0 && w.phEnd == 0 && w.pwEnd == 0;
  bool plainEpilogue = activation == ConvActivation::None && !reluBounded() && !residual;  // what reduce_relu and a merged relu say
  return unit && groups == 1 && inputMaxPool == 0 && reduce == 0 && outputMaxPool == 0 && plainEpilogue;
}

UnaryParams ConvParams::activationUnary() const {
  UnaryParams u{UnaryFn::Sigmoid, 0, 0, activationAlpha, activationBeta};
  switch (activation) {
    case ConvActivation::None: DEEPER_CHECK(false, "a conv without activation has no activation function"); break;
    case ConvActivation::Sigmoid:
    case ConvActivation::Silu: break;
    case ConvActivation::HardSwish: u.fn = UnaryFn::HardSwish; break;
    case ConvActivation::HardSigmoid: u.fn = UnaryFn::HardSigmoid; break;
  }
  return u;
}

ConvParams ConvParams::reduceConv() const { return ConvParams{reduce, Window2d{1, 1, 1, 1, 0, 0, 0, 0}, true, reduceRelu}; }

PoolParams ConvParams::inputPool() const {
  int64_t k = inputMaxPool, p = k / 2;
  return PoolParams{Window2d{k, k, 1, 1, p, p, p, p}, false, false};
}

PoolParams ConvParams::outputPool() const {
  int64_t k = outputMaxPool, s = outputPoolStride;
  return PoolParams{Window2d{k, k, s, s, 0, 0, 0, 0}, true, false};
}

PoolParams PoolParams::of(const Node &node) {
  DEEPER_CHECK(node.op == OpKind::MaxPool || node.op == OpKind::AvgPool, "'{}' is not a pool", node.name);
  return PoolParams{windowOf(node), node.attrBool("ceil"), node.op == OpKind::AvgPool && node.attrBool("exclude_pad")};
}

LrnParams LrnParams::of(const Node &node) {
  DEEPER_CHECK(node.op == OpKind::Lrn, "'{}' is not an lrn", node.name);
  return LrnParams{node.attrInt("size"), node.attrFloat("alpha"), node.attrFloat("beta"), node.attrFloat("k")};
}

FcParams FcParams::of(const Node &node) {
  DEEPER_CHECK(node.op == OpKind::Fc, "'{}' is not an fc", node.name);
  return FcParams{node.attrInt("out"), node.attrBool("bias"), node.attrBool("relu")};
}

UnaryParams UnaryParams::of(const Node &node) {
  DEEPER_CHECK(node.op == OpKind::Unary, "'{}' is not unary", node.name);
  auto fn = static_cast<UnaryFn>(choiceIndex(node, "fn", static_cast<size_t>(UnaryFn::HardSwish) + 1));
  return UnaryParams{fn, node.attrFloat("lo"), node.attrFloat("hi"), node.attrFloat("alpha"), node.attrFloat("beta")};
}

BinaryFn binaryFnOf(const Node &node) {
  switch (node.op) {
    case OpKind::Add: return BinaryFn::Add;
    case OpKind::Sub: return BinaryFn::Sub;
    case OpKind::Mul: return BinaryFn::Mul;
    case OpKind::Div: return BinaryFn::Div;
    case OpKind::Binary: break;
    default: DEEPER_CHECK(false, "'{}' is no binary op", node.name);
  }
  return static_cast<BinaryFn>(choiceIndex(node, "fn", static_cast<size_t>(BinaryFn::Min) + 1));
}

ReduceParams ReduceParams::of(const Node &node) {
  DEEPER_CHECK(node.op == OpKind::Reduce, "'{}' is not a reduce", node.name);
  auto fn = static_cast<ReduceFn>(choiceIndex(node, "fn", static_cast<size_t>(ReduceFn::Sum) + 1));
  const Dims &axes = node.attrDims("axes");
  DEEPER_CHECK(!axes.empty(), "'{}' reduces no axis", node.name);  // the shape rule refuses it first
  return ReduceParams{fn, axes.front(), axes.back(), node.attrBool("keepdims")};
}

MatMulParams MatMulParams::of(const Node &node) {
  DEEPER_CHECK(node.op == OpKind::MatMul, "'{}' is not a matmul", node.name);
  return MatMulParams{node.attrDims("weight"), node.attrBool("trans_a")};
}

std::optional<Dims> broadcastShapes(const Dims &a, const Dims &b) {
  Dims out(std::max(a.size(), b.size()));
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t x = i < a.size() ? a[a.size() - 1 - i] : 1, y = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (x != y && x != 1 && y != 1) return std::nullopt;
    out[out.size() - 1 - i] = x == 1 ? y : x;
  }
  return out;
}

Dims reshapeTarget(const Node &node) {
  DEEPER_CHECK(node.op == OpKind::Reshape, "'{}' is not a reshape", node.name);
  const Dims &shape = node.attrDims("shape");
  if (node.attrBool("whole")) return shape;
  Dims out{node.inputs().at(0)->shape.at(0)};
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t padBegin, int64_t padEnd, bool ceil) {
  int64_t span = in + padBegin + padEnd - kernel;
  int64_t out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil && (out - 1) * stride >= in + padBegin) --out;
  return out;
}

namespace {

/// The shape of `param` of `node` and the inputs feeding one output it serves (for initialisation).
std::pair<Dims, int64_t> paramShape(const Node &node, Param param) {
  const Dims &input = node.inputs().at(0)->shape;
  switch (param) {
    case Param::ConvWeight:
    case Param::ConvBias: {
      ConvParams p = ConvParams::of(node);
      int64_t in = p.reduce > 0 ? p.reduce : input.at(1) / p.groups, fanIn = in * p.win.kh * p.win.kw;
      if (param == Param::ConvBias) return {{p.out}, fanIn};
      return {{p.out, in, p.win.kh, p.win.kw}, fanIn};
    }
    case Param::ConvTransposeWeight:
    case Param::ConvTransposeBias: {
      ConvTransposeParams p = ConvTransposeParams::of(node);
      int64_t fanIn = input.at(1) / p.groups * p.win.kh * p.win.kw;  // an output pixel reads about KHxKW / stride^2 of these
      if (param == Param::ConvTransposeBias) return {{p.out}, fanIn};
      return {{input.at(1), p.out / p.groups, p.win.kh, p.win.kw}, fanIn};
    }
    case Param::ConvReduceWeight: return {{node.attrInt("reduce"), input.at(1), 1, 1}, input.at(1)};
    case Param::ConvReduceBias: return {{node.attrInt("reduce")}, input.at(1)};
    case Param::BatchNormScale:
    case Param::BatchNormBias:
    case Param::BatchNormMean:
    case Param::BatchNormVar:
    case Param::PReluSlope: return {{input.at(1)}, 1};
    case Param::FcWeight: return {{node.attrInt("out"), featuresPerSample(input)}, featuresPerSample(input)};
    case Param::FcBias: return {{node.attrInt("out")}, featuresPerSample(input)};
    case Param::MatMulWeight: {
      const Dims &w = node.attrDims("weight");
      return {w, w.size() >= 2 ? w[w.size() - 2] : 1};
    }
    case Param::AddOperand:
    case Param::SubOperand:
    case Param::MulOperand:
    case Param::DivOperand: return {node.attrDims("operand"), 1};
  }
  internalFailure(__FILE__, __LINE__, "a shape rule for every parameter", fmt::format("{} of '{}'", paramInfo(param).role, node.name));
}

bool present(const Node &node, const ParamInfo &param) {
  if (!param.presentWhen) return true;
  const AttrSpec *when = node.info().findAttr(param.presentWhen);
  return when->type == AttrType::Bool ? node.attrBool(param.presentWhen) : node.attrInt(param.presentWhen) > 0;
}

}  // namespace

std::vector<ParamSpec> paramsOf(const Node &node) {
  std::vector<ParamSpec> specs;
  for (const ParamInfo &param : node.info().params) {
    if (!present(node, param)) continue;
    auto [shape, fanIn] = paramShape(node, param.param);
    specs.push_back(ParamSpec{param.param, shape, fanIn});
  }
  return specs;
}

int64_t macsOf(const Node &node) {
  if (node.op == OpKind::MatMul) {
    const Dims &w = node.attrDims("weight");
    return checkedNumel(node.shape).value() * w[w.size() - 2];
  }
  if (node.op == OpKind::ConvTranspose) {  // every input value times every tap it scatters to (cropped ones too, as conv counts its padding)
    ConvTransposeParams p = ConvTransposeParams::of(node);
    return checkedNumel(node.inputs().at(0)->shape).value() * (p.out / p.groups) * p.win.kh * p.win.kw;
  }
  if (node.op != OpKind::Conv && node.op != OpKind::Fc) return 0;
  Dims weight = paramsOf(node).front().shape;
  int64_t perOutput = 1;
  for (size_t i = 1; i < weight.size(); ++i) perOutput *= weight[i];
  int64_t outputs = 1;
  for (int64_t d : node.op == OpKind::Conv ? convOutputShape(node) : node.shape) outputs *= d;
  int64_t reduce = 0;  // the fused 1x1 reduce, over the whole input (halo recompute not counted)
  if (node.op == OpKind::Conv && node.attrInt("reduce") > 0) {
    const Dims &in = node.inputs().at(0)->shape;
    reduce = in[0] * in[1] * in[2] * in[3] * node.attrInt("reduce");
  }
  return outputs * perOutput + reduce;
}

}  // namespace deeper
