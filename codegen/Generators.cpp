#include "codegen/Generators.h"

#include <algorithm>

namespace deeper::codegen {
namespace {

/// An ImageParam constrained to `view`: every extent and stride fixed except the batch (the last
/// dimension of activations), so kernels are specialised yet serve any batch.
Halide::ImageParam declare(const std::string &name, const OperandView &view, bool batchLast) {
  Halide::ImageParam p(Halide::Float(32), static_cast<int>(view.extent.size()), name);
  for (size_t d = 0; d < view.extent.size(); ++d) {
    p.dim(static_cast<int>(d)).set_stride(static_cast<int>(view.stride[d]));
    if (batchLast && d + 1 == view.extent.size()) p.dim(static_cast<int>(d)).set_min(0);
    else p.dim(static_cast<int>(d)).set_bounds(0, view.extent[d]);
  }
  return p;
}

void constrainOutput(Halide::Func &out, const OperandView &view) {
  Halide::OutputImageParam b = out.output_buffer();
  for (size_t d = 0; d < view.extent.size(); ++d) {
    b.dim(static_cast<int>(d)).set_stride(static_cast<int>(view.stride[d]));
    if (view.batchLast && d + 1 == view.extent.size()) b.dim(static_cast<int>(d)).set_min(0);
    else b.dim(static_cast<int>(d)).set_bounds(0, view.extent[d]);
  }
}

}  // namespace

std::vector<Halide::Argument> KernelPipeline::arguments() const {
  std::vector<Halide::Argument> args;
  for (const Halide::ImageParam &p : params) args.push_back(p);
  return args;
}

std::vector<Halide::Var> axisVars(const OperandView &view) {
  std::vector<Halide::Var> vars;
  for (size_t d = 0; d < view.extent.size(); ++d) vars.emplace_back("d" + std::to_string(d));
  return vars;
}

Halide::Expr broadcastRead(const Halide::ImageParam &p, const OperandView &view, const std::vector<Halide::Expr> &vars) {
  std::vector<Halide::Expr> at;
  for (size_t d = 0; d < view.extent.size(); ++d) {
    // A kernel whose batch is free serves every batch (its cache key leaves the batch out): a batch of
    // one when it was compiled is not a broadcast.
    bool freeBatch = view.batchLast && d + 1 == view.extent.size();
    at.push_back(view.extent[d] == 1 && !freeBatch ? Halide::Expr(0) : vars.at(d));
  }
  return p(at);
}

bool channelsLast(const OperandView &view) { return view.extent.size() == 4 && view.stride[2] < view.stride[0]; }

void channelsInnermost(Halide::Func f, int lanes) {
  std::vector<Halide::Var> a = f.args();  // x, y, c, n
  f.reorder_storage(a[2], a[0], a[1], a[3]).reorder(a[2], a[0], a[1], a[3]).vectorize(a[2], lanes, Halide::TailStrategy::GuardWithIf);
}

void scheduleElementwise(Halide::Func out, const std::vector<Halide::Var> &vars, const Kernel &k) {
  if (k.schedule.gpu) {
    gpuPerElement(out, k.schedule);
    return;
  }
  if (channelsLast(k.outputView)) {
    channelsInnermost(out, k.schedule.vector);
    Halide::Var rows("rows");
    if (k.schedule.parallel) out.fuse(vars[1], vars[3], rows).parallel(rows);
    return;
  }
  out.vectorize(vars[0], k.schedule.vector, Halide::TailStrategy::GuardWithIf);
  if (k.schedule.parallel && vars.size() > 1) out.parallel(vars.back());
}

Halide::Var gpuPerElement(Halide::Func out, const Schedule &s) {
  std::vector<Halide::Var> a = out.args();
  Halide::Var block("block"), thread("thread");
  out.split(a[0], block, thread, s.gpuRowThreads, Halide::TailStrategy::GuardWithIf).gpu_threads(thread);
  if (a.size() == 1) out.gpu_blocks(block);
  else if (a.size() == 2) out.gpu_blocks(block, a[1]);
  else out.gpu_blocks(block, a[1], a[2]);
  return thread;
}

int rowVectorWidth(int extent, int lanes) {
  int width = 1;
  while (width * 2 <= std::min(extent, lanes)) width *= 2;
  return width;
}

void vectorizeRow(Halide::Func f, Halide::Var x, int extent, int lanes) {
  int width = rowVectorWidth(extent, lanes);
  if (width > 1) f.vectorize(x, width, Halide::TailStrategy::ShiftInwards);
}

Halide::Var parallelOuter(Halide::Func f, const Schedule &s, Halide::Var inner, Halide::Var outer, int innerExtent,
                          int tasks, Halide::Var *task) {
  if (!s.parallel) return inner;
  Halide::Var fused("fused");
  if (task) *task = fused;
  int chunk = (innerExtent + tasks - 1) / tasks;
  if (chunk <= 1) {
    f.fuse(inner, outer, fused).parallel(fused);
    return fused;
  }
  Halide::Var chunks("chunks"), within("within");
  f.split(inner, chunks, within, chunk, Halide::TailStrategy::GuardWithIf).fuse(chunks, outer, fused).parallel(fused);
  return within;
}

namespace {

size_t learnedIndex(const Kernel &k, Param which, const Node *owner) {
  if (!owner) owner = k.node;
  for (size_t j = 0; j < k.params.size(); ++j)
    if (k.params[j].spec.param == which && k.params[j].owner == owner) return j;
  internalFailure(__FILE__, __LINE__, "the kernel has the parameter", fmt::format("'{}' has no {}", owner->name, paramInfo(which).role));
}

}  // namespace

Halide::ImageParam learned(const Kernel &k, const std::vector<Halide::ImageParam> &p, Param which, const Node *owner) {
  return p.at(k.inputs.size() + learnedIndex(k, which, owner));
}

const OperandView &learnedView(const Kernel &k, Param which, const Node *owner) { return k.params[learnedIndex(k, which, owner)].view; }

Halide::Expr clampedWindowMax(Halide::Func source, const Window2d &w, int width, int height, Halide::Expr x, Halide::Expr y, Halide::Expr c,
                              Halide::Expr n) {
  Halide::Expr x0 = x * static_cast<int>(w.sw) - static_cast<int>(w.pw), y0 = y * static_cast<int>(w.sh) - static_cast<int>(w.ph);
  Halide::Expr best;
  for (int dy = 0; dy < w.kh; ++dy)
    for (int dx = 0; dx < w.kw; ++dx) {
      Halide::Expr tap = source(Halide::clamp(x0 + dx, 0, width - 1), Halide::clamp(y0 + dy, 0, height - 1), c, n);
      best = best.defined() ? Halide::max(best, tap) : tap;
    }
  return best;
}

Halide::Expr convEpilogue(const ConvParams &cp, const std::vector<Halide::ImageParam> &p, Halide::Expr value, Halide::Expr x,
                          Halide::Expr y, Halide::Expr c, Halide::Expr n) {
  if (cp.residual) value += p[1](x, y, c, n);
  if (cp.relu) return cp.reluBounded() ? Halide::clamp(value, 0.0f, static_cast<float>(cp.reluMax)) : Halide::max(value, 0.0f);
  if (cp.activation == ConvActivation::None) return value;
  Halide::Expr activated = applyUnary(cp.activationUnary(), value);
  return cp.activation == ConvActivation::Silu ? value * activated : activated;
}

KernelPipeline generateKernel(const Kernel &k, const Halide::Target &target) {
  KernelPipeline kp;
  for (size_t i = 0; i < k.inputViews.size(); ++i)
    kp.params.push_back(declare("input" + std::to_string(i), k.inputViews[i], k.inputViews[i].batchLast));
  for (size_t j = 0; j < k.params.size(); ++j)  // an inlined node's may share a role with the kernel's own: numbered
    kp.params.push_back(declare(k.params[j].owner == k.node ? k.params[j].spec.role() : fmt::format("{}{}", k.params[j].spec.role(), j),
                                k.params[j].view, false));
  DEEPER_CHECK(k.schedule.gpu == target.has_gpu_feature(), "kernel '{}' is scheduled for a {}, compiled for {}", k.node->name,
               k.schedule.gpu ? "GPU" : "CPU", target.to_string());
  if (!k.inlined.empty()) {
    kp.output = generateChain(k, kp.params);
  } else switch (k.node->op) {
    case OpKind::Conv: kp.output = generateConv(k, kp.params); break;
    case OpKind::Fc: kp.output = generateFc(k, kp.params); break;
    case OpKind::MaxPool:
    case OpKind::AvgPool: kp.output = generatePool(k, kp.params); break;
    case OpKind::Lrn: kp.output = generateLrn(k, kp.params); break;
    case OpKind::Concat: kp.output = generateConcat(k, kp.params); break;
    case OpKind::Softmax: kp.output = generateSoftmax(k, kp.params); break;
    case OpKind::Relu:
    case OpKind::Unary: kp.output = generateUnary(k, kp.params); break;
    case OpKind::Reduce: kp.output = generateReduce(k, kp.params); break;
    case OpKind::PRelu: kp.output = generatePRelu(k, kp.params); break;
    case OpKind::Transpose: kp.output = generateTranspose(k, kp.params); break;
    case OpKind::Expand: kp.output = generateExpand(k, kp.params); break;
    case OpKind::ConvTranspose: kp.output = generateConvTranspose(k, kp.params); break;
    case OpKind::BatchNorm: kp.output = generateBatchNorm(k, kp.params); break;
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
    case OpKind::Binary: kp.output = generateArithmetic(k, kp.params); break;
    case OpKind::Pad: kp.output = generatePad(k, kp.params); break;
    case OpKind::MatMul: kp.output = generateMatMul(k, kp.params); break;
    case OpKind::Copy: kp.output = generateCopy(k, kp.params); break;
    default: DEEPER_CHECK(false, "no generator for op {}", k.node->info().name);
  }
  constrainOutput(kp.output, k.outputView);
  if (!k.schedule.autoscheduler.empty()) autoschedule(kp, k, target);
  return kp;
}

}  // namespace deeper::codegen
