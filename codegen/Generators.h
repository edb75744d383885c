// One Halide generator per op family, written with Halide's C++ API. Each turns a Kernel (the node,
// its operand views and its schedule) into a pipeline whose parameters are the activations (in input
// order), then the packed learned tensors, and whose output is the node's value.
#pragma once

#include "codegen/Kernel.h"

#include <Halide.h>

#include <vector>

namespace deeper::codegen {

struct KernelPipeline {
  Halide::Func output;
  std::vector<Halide::ImageParam> params;  ///< activations, then learned tensors, in operand order
  std::vector<Halide::Argument> arguments() const;
};

/// Builds the pipeline for any kernel (dispatches on the op family), for `target` (which an
/// autoscheduler named in the schedule schedules it for). A kernel is scheduled for a GPU or a CPU
/// (Schedule::gpu, from kernelsOf's KernelTarget): `target` must be of the same kind.
KernelPipeline generateKernel(const Kernel &kernel, const Halide::Target &target);

/// Schedules `kp`, the algorithm of `k` (whose schedule names the autoscheduler), with that Halide
/// autoscheduler for `target` (codegen/Autoschedule.cpp).
void autoschedule(KernelPipeline &kp, const Kernel &k, const Halide::Target &target);

/// While alive, Halide's compile-time warnings are dropped (errors still throw): the autoschedulers'
/// schedules draw warnings ("Outer dim vectorization") that are not the user's to act on.
struct HalideWarningsSilenced {
  HalideWarningsSilenced();
  ~HalideWarningsSilenced();
  HalideWarningsSilenced(const HalideWarningsSilenced &) = delete;
  HalideWarningsSilenced &operator=(const HalideWarningsSilenced &) = delete;
};

// The families, one per file (codegen/<Family>Generator.cpp). Each receives its params already
// declared with the operand views' bounds and strides. Each schedules for a GPU (Halide's gpu_blocks
// and gpu_threads, the schedule's gpu_ fields) where k.schedule.gpu says so.
Halide::Func generateConv(const Kernel &k, const std::vector<Halide::ImageParam> &p);
/// A conv whose schedule says winograd (codegen/WinogradConv.cpp; generateConv hands it over).
Halide::Func generateWinogradConv(const Kernel &k, const std::vector<Halide::ImageParam> &p);
/// A depthwise conv whose input and output share a layout (codegen/DepthwiseConv.cpp; generateConv hands it over).
bool isDepthwise(const Kernel &k);
Halide::Func generateDepthwiseConv(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateFc(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generatePool(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateLrn(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateConcat(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateSoftmax(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateUnary(const Kernel &k, const std::vector<Halide::ImageParam> &p);  // relu and unary
/// unary's function of one value (the conv epilogue's activations use it too).
Halide::Expr applyUnary(const UnaryParams &u, Halide::Expr x);
/// Halide's exp, log, erf and pow are polynomials built for finite arguments: exp(+inf) and exp(NaN)
/// come out 0, log(NaN) 89, erf(+-inf) NaN, pow(1, NaN) 0, pow(NaN, 1) -inf (found by the
/// differential test: a sigmoid of -inf was 1). These give <cmath>'s (IEEE's) answers at those points,
/// as the reference executor does, at the cost of a compare and a select or two.
Halide::Expr ieeeExp(Halide::Expr x);
Halide::Expr ieeeLog(Halide::Expr x);
Halide::Expr ieeeErf(Halide::Expr x);
Halide::Expr ieeePow(Halide::Expr a, Halide::Expr b);
/// max and min that return NaN where either operand is NaN (numpy's maximum and minimum, ONNX's Max
/// and Min), where Halide's return one operand or the other depending on their order.
Halide::Expr nanMax(Halide::Expr a, Halide::Expr b);
Halide::Expr nanMin(Halide::Expr a, Halide::Expr b);
Halide::Func generateReduce(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generatePRelu(const Kernel &k, const std::vector<Halide::ImageParam> &p);  // (BatchNormGenerator.cpp)
Halide::Func generateTranspose(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateExpand(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateBatchNorm(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateArithmetic(const Kernel &k, const std::vector<Halide::ImageParam> &p);  // add, sub, mul, div, binary
Halide::Func generatePad(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateConvTranspose(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateMatMul(const Kernel &k, const std::vector<Halide::ImageParam> &p);
Halide::Func generateCopy(const Kernel &k, const std::vector<Halide::ImageParam> &p);
/// A kernel with nodes inlined into it (passes/ElementwiseFusion.h): their expressions composed at
/// each element of the output, however its view arranges them (codegen/ChainGenerator.cpp).
Halide::Func generateChain(const Kernel &k, const std::vector<Halide::ImageParam> &p);
/// The value of the elementwise `node` (relu, prelu, unary, binary, add, sub, mul, div) at one element,
/// from its operands' values there: `a`, input 0's; `b`, input 1's for binary, the constant's for
/// add..div, the slope of the element's channel for prelu, undefined for relu and unary.
Halide::Expr pointwiseValue(const Node &node, Halide::Expr a, Halide::Expr b);

/// The pipeline parameter that receives `which`, one of `k`'s learned tensors (they follow its
/// activations in `p`, in the op table's order): named, so no generator counts positions.
/// `owner`: the node inlined into `k` whose tensor it is (default: `k`'s node).
Halide::ImageParam learned(const Kernel &k, const std::vector<Halide::ImageParam> &p, Param which, const Node *owner = nullptr);
/// How `k`'s kernel sees the learned tensor `which` (of `owner`, as for learned()).
const OperandView &learnedView(const Kernel &k, Param which, const Node *owner = nullptr);

/// The maximum of the (undilated) window `w` of output pixel (x, y) over `source`, a width x height map,
/// each tap read at clamped coordinates: exact where every window overlaps the map, since a clamped tap
/// repeats a value its window holds anyway (Caffe's ceil mode guarantees it).
Halide::Expr clampedWindowMax(Halide::Func source, const Window2d &w, int width, int height, Halide::Expr x, Halide::Expr y, Halide::Expr c,
                              Halide::Expr n);

/// A conv's epilogue on its biased sum at output (x, y, c, n): the residual operand added (input 1,
/// read through its view), then relu (bounded above by relu_max when that bounds anything) or the
/// activation.
Halide::Expr convEpilogue(const ConvParams &cp, const std::vector<Halide::ImageParam> &p, Halide::Expr value, Halide::Expr x,
                          Halide::Expr y, Halide::Expr c, Halide::Expr n);

/// One Var per dimension of `view`, innermost first, named d0, d1, ...
std::vector<Halide::Var> axisVars(const OperandView &view);
/// Reads `p` (a tensor of rank <= vars.size(), aligned at the last numpy axis, i.e. Halide's first)
/// at `vars`, reading index 0 along its axes of extent 1 (numpy broadcasting), but for a free batch axis.
Halide::Expr broadcastRead(const Halide::ImageParam &p, const OperandView &view, const std::vector<Halide::Expr> &vars);

/// True for an N,C,H,W view stored channels innermost (layout=nhwc, see passes/ChannelsLast.h).
bool channelsLast(const OperandView &view);
/// Stores `f` (with arguments x, y, c, n) channels innermost and computes it so, vectorised along
/// channels: a window kernel's intermediate over a channels-last input.
void channelsInnermost(Halide::Func f, int lanes);
/// The schedule of a kernel that computes each output element on its own (`vars` its output's, innermost
/// first): vectors along the innermost axis and tasks of the outermost; for an N,C,H,W output stored
/// channels-last, vectors along the channels and tasks of pixel rows. On a GPU: gpuPerElement.
void scheduleElementwise(Halide::Func out, const std::vector<Halide::Var> &vars, const Kernel &k);

/// The GPU schedule of a kernel that computes each output element on its own: a thread per element,
/// blocks of `s.gpuRowThreads` along the innermost axis, the grid over it and the next two, the axes
/// after them loops of launches. Producers left unscheduled are computed where each thread reads them.
/// Returns the thread loop (to compute a thread's own producers at).
Halide::Var gpuPerElement(Halide::Func out, const Schedule &s);

/// Vectorises `f` along `x` (of `extent` values, fixed) without a scalar tail: the widest power-of-two
/// vector up to `lanes` that fits, the last vector shifted inwards to overlap the one before (pure
/// definitions only). A row of 14 floats under GuardWithIf at 16 lanes would run entirely scalar.
void vectorizeRow(Halide::Func f, Halide::Var x, int extent, int lanes);
/// The vector vectorizeRow uses: the widest power of two up to `lanes` that fits in `extent` (1: none).
int rowVectorWidth(int extent, int lanes);

/// Parallelises `f` over its two outermost dimensions, `inner` (of `innerExtent` iterations) and `outer`
/// (the batch), when the schedule asks for it. `inner` is cut into at most `tasks` chunks per batch
/// item: one task per channel of a 14x14 pool is all thread-pool overhead. Returns the loop that stands
/// for one iteration of `inner` (to compute producers at); `task`, when given, receives the parallel
/// loop (to store producers at).
constexpr int kParallelTasks = 16;
Halide::Var parallelOuter(Halide::Func f, const Schedule &s, Halide::Var inner, Halide::Var outer, int innerExtent,
                          int tasks = kParallelTasks, Halide::Var *task = nullptr);

}  // namespace deeper::codegen
