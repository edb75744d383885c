#include "ir/ShapeFunctions.h"

#include "ir/Branches.h"
#include "ir/OpParams.h"

#include <algorithm>

namespace deeper {
namespace {

void requireRank(const Node &node, const Node &input, size_t rank) {
  if (input.shape.size() != rank)
    failAtNode(node, fmt::format("{} expects a rank-{} N,C,H,W input, '{}' is f32[{}]", node.info().name, rank,
                                 input.name, fmt::join(input.shape, ",")));
}

void requirePositive(const Node &node, const char *what, int64_t v) {
  if (v <= 0) failAtNode(node, fmt::format("{} must be positive, got {}", what, v));
}

/// groups divide both channel counts (a conv's or transposed conv's).
void requireGroupsDivide(const Node &node, int64_t groups, int64_t in, int64_t out) {
  if (in % groups != 0 || out % groups != 0)
    failAtNode(node, fmt::format("groups={} must divide the input channels ({}) and the output channels ({})", groups, in, out));
}

void checkWindow(const Node &node, const Window2d &w) {
  requirePositive(node, "kernel size", std::min(w.kh, w.kw));
  requirePositive(node, "stride", std::min(w.sh, w.sw));
  requirePositive(node, "dilation", std::min(w.dh, w.dw));
  if (std::min({w.ph, w.pw, w.phEnd, w.pwEnd}) < 0)
    failAtNode(node, fmt::format("pad must not be negative, got {}", formatAttr(AttrType::Pad, node.attrs.at("pad"))));
}

/// N,C,H,W -> N,channels,OH,OW for a sliding window.
Dims windowShape(const Node &node, const Window2d &w, int64_t channels, bool ceil) {
  const Node &in = *node.inputs()[0];
  requireRank(node, in, 4);
  checkWindow(node, w);
  int64_t h = in.shape[2], wd = in.shape[3];
  if (w.extentH() > h + w.ph + w.phEnd || w.extentW() > wd + w.pw + w.pwEnd)
    failAtNode(node, fmt::format("kernel {}x{} is larger than the padded input {}x{}", w.extentH(), w.extentW(),
                                 h + w.ph + w.phEnd, wd + w.pw + w.pwEnd),
               "use a smaller kernel or more padding");
  return {in.shape[0], channels, windowOutputSize(h, w.extentH(), w.sh, w.ph, w.phEnd, ceil),
          windowOutputSize(wd, w.extentW(), w.sw, w.pw, w.pwEnd, ceil)};
}

Dims poolShape(const Node &node) {
  PoolParams p = PoolParams::of(node);
  if (std::max(p.win.ph, p.win.phEnd) >= p.win.kh || std::max(p.win.pw, p.win.pwEnd) >= p.win.kw)
    failAtNode(node, fmt::format("pad {} must be smaller than the window {}x{}", formatAttr(AttrType::Pad, node.attrs.at("pad")),
                                 p.win.kh, p.win.kw));
  requireRank(node, *node.inputs()[0], 4);  // before reading its channels
  return windowShape(node, p.win, node.inputs()[0]->shape[1], p.ceil);
}

int64_t checkedAxis(const Node &node, int64_t axis, size_t rank) {
  if (axis < 0 || axis >= static_cast<int64_t>(rank))
    failAtNode(node, fmt::format("axis {} is out of range for rank {}", axis, rank));
  return axis;
}

Dims concatShape(const Node &node) {
  const Node &first = *node.inputs()[0];
  const Dims &lanes = node.attrDims("lanes");
  if (lanes != Dims{0} && !isLanePlan(lanes, node.inputs().size()))
    failAtNode(node, fmt::format("lanes={} is no lane plan for {} branches", dimsString(lanes), node.inputs().size()),
               fmt::format("give each branch its lane, 1 to {}, lane 1 used (e.g. 1x2x2x2), or 0 for the default plan", kBranchLanes));
  int64_t axis = checkedAxis(node, node.attrInt("axis"), first.shape.size());
  Dims out = first.shape;
  out[axis] = 0;
  for (const Node *in : node.inputs()) {
    bool same = in->shape.size() == first.shape.size();
    for (size_t d = 0; same && d < first.shape.size(); ++d)
      same = static_cast<int64_t>(d) == axis || in->shape[d] == first.shape[d];
    if (!same)
      failAtNode(node, fmt::format("concat inputs differ outside axis {}: '{}' is f32[{}], '{}' is f32[{}]", axis,
                                   first.name, fmt::join(first.shape, ","), in->name, fmt::join(in->shape, ",")),
                 "every input needs the same size in all other dimensions (e.g. equal spatial size)");
    if (node.attrBool("interleave") && in->shape[axis] != first.shape[axis])
      failAtNode(node, fmt::format("an interleaving concat needs inputs of one extent along axis {}: '{}' has {}, '{}' {}", axis,
                                   first.name, first.shape[axis], in->name, in->shape[axis]),
                 "give every input the same size along the axis, or drop interleave=true");
    out[axis] += in->shape[axis];
  }
  return out;
}

Dims transposeShape(const Node &node) {
  const Dims &in = node.inputs()[0]->shape, &perm = node.attrDims("perm");
  Dims sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t d = 0; d < sorted.size(); ++d)
    if (sorted.size() != in.size() || sorted[d] != static_cast<int64_t>(d))
      failAtNode(node, fmt::format("perm={} is no permutation of the {} axes of f32[{}]", dimsString(perm), in.size(), fmt::join(in, ",")),
                 "perm lists every axis once, e.g. 0x2x1x3 for f32[N,A,B,C]");
  if (perm[0] != 0) failAtNode(node, "moves the batch axis 0; samples stay the first axis", "keep perm[0] = 0");
  Dims out;
  for (int64_t a : perm) out.push_back(in[static_cast<size_t>(a)]);
  return out;
}

Dims expandShape(const Node &node) {
  const Dims &in = node.inputs()[0]->shape, &shape = node.attrDims("shape");
  Dims out = {in[0]};
  out.insert(out.end(), shape.begin(), shape.end());
  if (out.size() != in.size() || broadcastShapes(in, out) != out)  // x's sizes are out's or 1
    failAtNode(node, fmt::format("f32[{}] does not expand to shape={}", fmt::join(in, ","), dimsString(shape)),
               "shape lists every axis after the batch; each input size must equal it or be 1");
  return out;
}

Dims reduceShape(const Node &node) {
  const Dims &in = node.inputs()[0]->shape, &axes = node.attrDims("axes");
  const std::string hint = "reduce adjacent axes after the batch axis, in increasing order, e.g. axes=2x3 for H and W of N,C,H,W";
  if (axes.empty()) failAtNode(node, "reduce needs the axes it reduces", hint);
  for (size_t i = 0; i < axes.size(); ++i) {
    checkedAxis(node, axes[i], in.size());
    if (axes[i] == 0) failAtNode(node, "reduces the batch axis 0; samples are computed independently", hint);
    if (i > 0 && axes[i] != axes[i - 1] + 1) failAtNode(node, fmt::format("axes={} are not adjacent and increasing", dimsString(axes)), hint);
  }
  Dims out;
  for (size_t d = 0; d < in.size(); ++d) {
    bool reduced = static_cast<int64_t>(d) >= axes.front() && static_cast<int64_t>(d) <= axes.back();
    if (!reduced) out.push_back(in[d]);
    else if (node.attrBool("keepdims")) out.push_back(1);
  }
  return out;
}

Dims flattenShape(const Node &node, int64_t axis) {
  const Dims &in = node.inputs()[0]->shape;
  checkedAxis(node, axis, in.size());
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < in.size(); ++d) (static_cast<int64_t>(d) < axis ? outer : inner) *= in[d];
  return {outer, inner};
}

Dims convShape(const Node &node) {
  ConvParams p = ConvParams::of(node);
  requirePositive(node, "out", p.out);
  requirePositive(node, "groups", p.groups);
  if (p.inputMaxPool < 0 || (p.inputMaxPool > 0 && p.inputMaxPool % 2 == 0))
    failAtNode(node, fmt::format("input_maxpool must be 0 or an odd window, got {}", p.inputMaxPool));
  if (p.reduce < 0) failAtNode(node, fmt::format("reduce must be 0 or a channel count, got {}", p.reduce));
  if (p.reduce > 0 && (p.groups != 1 || p.inputMaxPool != 0))
    failAtNode(node, "a conv with a fused reduce has one group and no input_maxpool");
  if (p.relu && p.activation != ConvActivation::None)
    failAtNode(node, fmt::format("relu=true and activation={} both given", node.attrWord("activation")), "give one of them: the epilogue applies one");
  requireRank(node, *node.inputs()[0], 4);
  requireGroupsDivide(node, p.groups, node.inputs()[0]->shape[1], p.out);
  Dims out = windowShape(node, p.win, p.out, /*ceil=*/false);
  if (p.residual && node.inputs()[1]->shape != out)
    failAtNode(node, fmt::format("the residual operand '{}' is f32[{}], the conv's output f32[{}]: they must be equal", node.inputs()[1]->name,
                                 fmt::join(node.inputs()[1]->shape, ","), fmt::join(out, ",")));
  if (p.residual && p.outputMaxPool != 0) failAtNode(node, "a conv with a residual operand has no output_maxpool");
  if (p.outputMaxPool == 0) return out;
  if (p.outputMaxPool < 0 || p.outputPoolStride < 1)
    failAtNode(node, fmt::format("output_maxpool {} stride {} is no pool window", p.outputMaxPool, p.outputPoolStride),
               "give a positive window and stride, or output_maxpool=0");
  if (p.reduce > 0 || p.inputMaxPool > 0) failAtNode(node, "a conv with output_maxpool has no fused reduce or input_maxpool");
  if (p.outputMaxPool > out[2] || p.outputMaxPool > out[3])
    failAtNode(node, fmt::format("output_maxpool {0}x{0} is larger than the conv's {1}x{2} output", p.outputMaxPool, out[2], out[3]));
  const Window2d &w = p.outputPool().win;
  return {out[0], out[1], windowOutputSize(out[2], w.kh, w.sh, 0, 0, true), windowOutputSize(out[3], w.kw, w.sw, 0, 0, true)};
}

Dims convTransposeShape(const Node &node) {
  ConvTransposeParams p = ConvTransposeParams::of(node);
  requirePositive(node, "out", p.out);
  requirePositive(node, "groups", p.groups);
  checkWindow(node, p.win);
  requireRank(node, *node.inputs()[0], 4);
  const Dims &in = node.inputs()[0]->shape;
  requireGroupsDivide(node, p.groups, in[1], p.out);
  if (p.outputPadH >= std::max(p.win.sh, p.win.dh) || p.outputPadW >= std::max(p.win.sw, p.win.dw))
    failAtNode(node, fmt::format("output_padding={}x{} must be below the stride or the dilation", p.outputPadH, p.outputPadW),
               "output_padding only tells apart the output sizes that one input size can come from");
  Dims out = {in[0], p.out, p.outputH(in[2]), p.outputW(in[3])};
  if (out[2] < 1 || out[3] < 1)
    failAtNode(node, fmt::format("the padding crops the {}x{} output of f32[{}] to nothing", p.outputH(in[2]) + p.win.ph + p.win.phEnd,
                                 p.outputW(in[3]) + p.win.pw + p.win.pwEnd, fmt::join(in, ",")));
  return out;
}

Dims reshapeShape(const Node &node) {
  Dims out = reshapeTarget(node);
  const Dims &in = node.inputs()[0]->shape;
  if (checkedNumel(out) != checkedNumel(in))
    failAtNode(node, fmt::format("cannot reshape f32[{}] to f32[{}]: the element counts differ", fmt::join(in, ","), fmt::join(out, ",")),
               node.attrBool("whole") ? "a whole-shape reshape fixes the batch; compile with the batch it was written for"
                                      : "shape excludes the batch axis, which reshape keeps");
  return out;
}

Dims padShape(const Node &node) {
  const Dims &in = node.inputs()[0]->shape, &pads = node.attrDims("pads");
  if (pads.size() != 2 * in.size())
    failAtNode(node, fmt::format("pads needs {} values (before and after each of {} axes), has {}", 2 * in.size(), in.size(), pads.size()));
  const std::string &mode = node.attrWord("mode");
  Dims out = in;
  for (size_t d = 0; d < in.size(); ++d) {
    int64_t before = pads[d], after = pads[d + in.size()];
    if (before < 0 || after < 0) failAtNode(node, fmt::format("pads must not be negative, got {}", dimsString(pads)));
    if (mode == "reflect" && std::max(before, after) >= in[d])
      failAtNode(node, fmt::format("reflect padding of axis {} by {} needs more than {} values", d, std::max(before, after), in[d]));
    out[d] += before + after;
  }
  return out;
}

Dims broadcastShape(const Node &node) {
  const Dims &in = node.inputs()[0]->shape, &operand = node.attrDims("operand");
  std::optional<Dims> out = broadcastShapes(in, operand);
  if (!out)
    failAtNode(node, fmt::format("the operand f32[{}] does not broadcast against f32[{}]", fmt::join(operand, ","), fmt::join(in, ",")),
               "sizes must match or be 1, comparing from the last axis");
  return *out;
}

Dims binaryShape(const Node &node) {
  const Node &a = *node.inputs()[0], &b = *node.inputs()[1];
  if (a.shape.size() != b.shape.size())
    failAtNode(node, fmt::format("'{}' f32[{}] and '{}' f32[{}] differ in rank", a.name, fmt::join(a.shape, ","), b.name, fmt::join(b.shape, ",")),
               "computed values each have the batch axis first; reshape one to the other's rank");
  std::optional<Dims> out = broadcastShapes(a.shape, b.shape);
  if (!out)
    failAtNode(node, fmt::format("'{}' f32[{}] and '{}' f32[{}] do not broadcast", a.name, fmt::join(a.shape, ","), b.name, fmt::join(b.shape, ",")),
               "sizes must match or be 1, comparing from the last axis");
  return *out;
}

Dims matmulShape(const Node &node) {
  MatMulParams p = MatMulParams::of(node);
  Dims a = node.inputs()[0]->shape;
  if (a.size() < 2 || p.weight.size() < 2)
    failAtNode(node, fmt::format("matmul multiplies matrices: x is f32[{}], weight f32[{}] (both need rank 2 or more)",
                                 fmt::join(a, ","), fmt::join(p.weight, ",")));
  if (p.transA) std::swap(a[a.size() - 1], a[a.size() - 2]);
  int64_t k = a.back(), kw = p.weight[p.weight.size() - 2];
  if (k != kw) failAtNode(node, fmt::format("inner sizes differ: x has {} columns, weight {} rows", k, kw));
  std::optional<Dims> stack = broadcastShapes(Dims(a.begin(), a.end() - 2), Dims(p.weight.begin(), p.weight.end() - 2));
  if (!stack) failAtNode(node, fmt::format("the stacks of f32[{}] and f32[{}] do not broadcast", fmt::join(a, ","), fmt::join(p.weight, ",")));
  stack->insert(stack->end(), {a[a.size() - 2], p.weight.back()});
  return *stack;
}

/// Weights and multiply-adds of conv and fc must be countable: their products must fit in int64.
void checkWorkFits(const Node &node, const Dims &out) {
  if (node.op != OpKind::Conv && node.op != OpKind::Fc) return;
  const Dims &in = node.inputs()[0]->shape;
  Dims perOutput(in.begin() + 1, in.end());  // fc: every input feature
  if (node.op == OpKind::Conv) perOutput = {in[1] / node.attrInt("groups"), node.attrDims("kernel")[0], node.attrDims("kernel")[1]};
  Dims weights = perOutput, macs = perOutput;
  weights.push_back(out[1]);
  macs.insert(macs.end(), out.begin(), out.end());
  if (!checkedNumel(weights) || !checkedNumel(macs))
    failAtNode(node, fmt::format("the weights or multiply-adds of f32[{}] -> f32[{}] overflow 64 bits",
                                 fmt::join(in, ","), fmt::join(out, ",")));
}

Dims sliceShape(const Node &node) {
  Dims shape = node.inputs()[0]->shape;
  if (shape.size() < 2) failAtNode(node, "slice expects an input with channels (rank 2 or more)");
  int64_t begin = node.attrInt("begin"), end = node.attrInt("end");
  if (begin < 0 || end <= begin || end > shape[1])
    failAtNode(node, fmt::format("slice [{}, {}) is not a non-empty range of the input's {} channels", begin, end, shape[1]));
  shape[1] = end - begin;
  return shape;
}

Dims inputShape(const Node &node, int64_t batch) {
  Dims out{batch};
  for (int64_t d : node.attrDims("shape")) out.push_back(d);
  return out;
}

Dims shapeOfOp(const Node &node, int64_t batch) {
  switch (node.op) {
    case OpKind::Input: return inputShape(node, batch);
    case OpKind::Conv: return convShape(node);
    case OpKind::MaxPool:
    case OpKind::AvgPool: return poolShape(node);
    case OpKind::Lrn: {
      LrnParams p = LrnParams::of(node);
      requireRank(node, *node.inputs()[0], 4);
      if (p.size <= 0 || p.size % 2 == 0) failAtNode(node, fmt::format("lrn size must be odd and positive, got {}", p.size));
      return node.inputs()[0]->shape;
    }
    case OpKind::Dropout: {
      double r = node.attrFloat("ratio");
      if (!(r >= 0.0 && r < 1.0)) failAtNode(node, fmt::format("dropout ratio must be in [0, 1), got {}", r));
      return node.inputs()[0]->shape;
    }
    case OpKind::Relu:
    case OpKind::Copy: return node.inputs()[0]->shape;
    case OpKind::Unary:
      if (!(node.attrFloat("lo") <= node.attrFloat("hi")))
        failAtNode(node, fmt::format("clip's lo {} is above its hi {}", node.attrFloat("lo"), node.attrFloat("hi")));
      return node.inputs()[0]->shape;
    case OpKind::PRelu:
      if (node.inputs()[0]->shape.size() < 2) failAtNode(node, "prelu expects an input with channels (rank 2 or more)");
      return node.inputs()[0]->shape;
    case OpKind::BatchNorm:
      if (node.inputs()[0]->shape.size() < 2) failAtNode(node, "batchnorm expects an input with channels (rank 2 or more)");
      if (!(node.attrFloat("epsilon") >= 0)) failAtNode(node, "epsilon must not be negative");
      return node.inputs()[0]->shape;
    case OpKind::Concat: return concatShape(node);
    case OpKind::Slice: return sliceShape(node);
    case OpKind::Fc: {
      FcParams p = FcParams::of(node);
      requirePositive(node, "out", p.out);
      if (node.inputs()[0]->shape.size() < 2) failAtNode(node, "fc expects an input of rank 2 or more");
      return {node.inputs()[0]->shape[0], p.out};
    }
    case OpKind::Softmax:
      checkedAxis(node, node.attrInt("axis"), node.inputs()[0]->shape.size());
      return node.inputs()[0]->shape;
    case OpKind::Flatten: return flattenShape(node, node.attrInt("axis"));
    case OpKind::Reshape: return reshapeShape(node);
    case OpKind::Pad: return padShape(node);
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div: return broadcastShape(node);
    case OpKind::Binary: return binaryShape(node);
    case OpKind::Reduce: return reduceShape(node);
    case OpKind::Transpose: return transposeShape(node);
    case OpKind::Expand: return expandShape(node);
    case OpKind::ConvTranspose: return convTransposeShape(node);
    case OpKind::MatMul: return matmulShape(node);
  }
  DEEPER_CHECK(false, "no shape rule for op {}", node.info().name);
  return {};
}

/// layout=nhwc is a storage order of the four axes N,C,H,W; code generation reads it (see
/// passes/ChannelsLast.h).
void checkLayout(const Node &node, const Dims &out) {
  if (!node.attrs.count("layout")) return;
  const std::string &layout = node.attrWord("layout");
  if (layout == "nhwc" && out.size() != 4)
    failAtNode(node, fmt::format("layout=nhwc orders the axes of an N,C,H,W value, not of f32[{}]", fmt::join(out, ",")));
}

/// Every Word attribute holds one of the values the op table lists for it.
void checkWordChoices(const Node &node) {
  for (const AttrSpec &spec : node.info().attrs) {
    if (!spec.choices || !node.attrs.count(spec.name)) continue;
    const std::string &value = node.attrWord(spec.name);
    std::vector<std::string> choices = spec.choiceList();
    if (std::find(choices.begin(), choices.end(), value) == choices.end())
      failAtNode(node, fmt::format("unknown {} '{}'", spec.name, value), fmt::format("{}'s {} is one of: {}", node.info().name, spec.name, fmt::join(choices, ", ")));
  }
}

}  // namespace

Dims inferShape(const Node &node, int64_t batch) {
  checkWordChoices(node);
  Dims out = shapeOfOp(node, batch);
  for (int64_t d : out) {
    if (d <= 0) failAtNode(node, fmt::format("output size f32[{}] has a zero or negative dimension", fmt::join(out, ",")));
    if (d > kMaxAttrInt) failAtNode(node, fmt::format("output size f32[{}] has a dimension of 2^31 or more", fmt::join(out, ",")));
  }
  if (!checkedNumel(out))
    failAtNode(node, fmt::format("output size f32[{}] overflows: the element count exceeds 64 bits", fmt::join(out, ",")));
  checkWorkFits(node, out);
  checkLayout(node, out);
  return out;
}

bool reinferShapes(Graph &graph) {
  bool changed = false;
  for (const auto &node : graph.nodes()) {
    Dims shape = inferShape(*node, graph.batch);
    if (shape == node->shape) continue;
    node->shape = std::move(shape);
    changed = true;
  }
  return changed;
}

Node *insertCopy(Graph &graph, Node *value, const std::string &base, const Node &site, const Node *before) {
  std::string name = base;
  for (int i = 2; graph.find(name); ++i) name = fmt::format("{}{}", base, i);
  auto node = std::make_unique<Node>(OpKind::Copy, name, std::vector<Node *>{value});
  node->block = site.block;
  node->blockType = site.blockType;
  node->shape = inferShape(*node, graph.batch);
  return before ? graph.insertBefore(before, std::move(node)) : graph.append(std::move(node));
}

Dims splitAxis(const Dims &shape, size_t axis, int64_t k) {
  Dims split = shape;
  split[axis] /= k;
  split.insert(split.begin() + static_cast<std::ptrdiff_t>(axis), k);
  return split;
}

Dims swapWithNextAxis(size_t rank, size_t axis) {
  Dims perm(rank);
  for (size_t a = 0; a < rank; ++a) perm[a] = static_cast<int64_t>(a);
  std::swap(perm[axis], perm[axis + 1]);
  return perm;
}

}  // namespace deeper
