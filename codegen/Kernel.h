// What code generation sees of a graph: the list of kernels (one per node that computes something),
// each with the Halide view of its operands.
//
// Tensors are N,C,H,W in C order; Halide lists dimensions innermost first, so a [N,C,H,W] activation is
// the Halide buffer (W,H,C,N). A value stored layout=nhwc (passes/ChannelsLast.h) is the same Halide
// buffer with channels innermost in memory: strides (C, W*C, 1, H*W*C). Kernels are specialised to every extent except the batch, so one compiled
// kernel serves every batch size (views with batchLast false fix the batch too). flatten, reshape and
// dropout compute nothing: their value shares its input's storage (an alias, see ir/Graph.h).
#pragma once

#include "codegen/Schedule.h"
#include "ir/Graph.h"
#include "ir/OpParams.h"

#include <string>
#include <vector>

namespace deeper {

/// The highest rank compiled code handles: DEEPER_MAX_RANK of runtime/deeper_runtime.h.
constexpr size_t kMaxRank = 6;

/// One buffer argument as the kernel sees it: extents and strides innermost first; the last dimension
/// is the batch.
struct OperandView {
  std::vector<int32_t> extent;
  std::vector<int64_t> stride;
  /// The last dimension is the batch, left free in the generated code. False where the batch is
  /// mixed with other axes (concat along axis 0, reshapes of the whole shape, broadcasting ops):
  /// there every extent is fixed.
  bool batchLast = true;
};

/// A learned tensor as stored in the weights file: already in the layout the kernel reads.
struct PackedParam {
  ParamSpec spec;
  OperandView view;
  const Node *owner;  ///< whose learned tensor: the kernel's node, or one inlined into it

  /// Its name in the weights: "<owner>.<role>".
  std::string tensorName() const { return spec.tensorName(*owner); }
};

struct Kernel {
  const Node *node = nullptr;
  Schedule schedule;
  /// Elementwise nodes computed inside this kernel (inline=true, passes/ElementwiseFusion.h), each
  /// after its operands: the kernel reads the chain's leaves, not their values.
  std::vector<const Node *> inlined;
  /// Storage roots of the inputs (aliases resolved): the node's operands, or with `inlined` those of
  /// the whole chain that are not inlined, each once.
  std::vector<const Node *> inputs;
  std::vector<OperandView> inputViews;
  /// Where each input starts in its storage root, in floats: non-zero for a channel slice (sibling-merge).
  std::vector<int64_t> inputOffsets;
  std::vector<PackedParam> params;
  OperandView outputView;
  /// Where the output is written: the node's own storage, or (concat-elision) a slice of an in-place
  /// concat's, `outputOffset` floats in, the view's batch stride the concat's.
  const Node *outputStorage = nullptr;
  int64_t outputOffset = 0;
  /// 0: runs alone, its work split over every thread. k > 0: lane k of a group of consecutive steps
  /// that run side by side, each lane's steps in order (branch-schedule): lane 1's kernels keep their
  /// parallel loops, which threads done with their own lanes join; the other lanes' run serially.
  int lane = 0;
  /// Which group of lanes (0: none): consecutive steps of one group run side by side; the next
  /// module's group starts only when this one is done.
  int group = 0;

  /// Everything that determines the generated code, batch excluded: op, attributes, shapes, then
  /// " | " and the schedule. What comes before " | " does not depend on the schedule.
  std::string canonical() const;
};

/// What a kernel computing `node` and the nodes inlined into it (passes/ElementwiseFusion.h) reads:
/// every operand of theirs that is not inlined, each value once, in the order a depth-first walk of
/// the operands from `node` meets them. Its inputs are these values' storage roots.
std::vector<const Node *> chainLeaves(const Node &node);

/// What kernels and their default schedules take from the target (codegen/Compile.h kernelTargetOf):
/// how many floats a CPU vector holds, and whether the kernels run on a GPU (Schedule::gpu).
struct KernelTarget {
  int lanes = 16;
  bool gpu = false;
  KernelTarget(int lanes, bool gpu = false) : lanes(lanes), gpu(gpu) {}  // implicit: a CPU target of `lanes`
};

/// The default schedule of `node` for `target`; `inBranchLane`: its kernel runs in a lane of a
/// concurrent module (passes/BranchSchedule.h), beside the other lanes.
Schedule defaultSchedule(const Node &node, KernelTarget target, bool inBranchLane = false);

/// What makes `s` no schedule for `node`'s kernel, or "": vectors are powers of two, Winograd only
/// where it computes the conv, fields the op ignores at their defaults, tiles no wider than the layer;
/// on a GPU (s.gpu) direct convs only, thread blocks CUDA can launch and weights that fit shared memory.
/// Every schedule compiled (defaults, hand-written files, the tuner's candidates) passes this.
std::string scheduleProblem(const Node &node, const Schedule &s);

/// Shared memory a block may hold statically on CUDA (the same on every GPU since sm_20).
constexpr int64_t kGpuSharedBytes = 48 * 1024;
/// The bytes of input a GPU conv block stages with gpu_shared=true: chunk_i input channels of the rows
/// and columns its window reads for gpu_tx x gpu_x pixels of one output row.
int64_t gpuStagedInputBytes(const Node &conv, const Schedule &s);

/// The multiply-adds `k` executes at the node's batch: the node's (macsOf), but for a Winograd conv
/// those of its 16 matrix products (16 x 2x2 tiles x input x output channels), 2.25x fewer on even maps.
int64_t executedMacs(const Kernel &k);

/// The widest tile of at most `widest` elements that wastes least of a row `width` elements wide.
int tileWidthFor(int64_t width, int widest);

struct ScheduleChoices;

/// Kernels in execution order for every computing node; `target` picks default schedules, which
/// `choices` (codegen/ScheduleFile.h), when given, override kernel by kernel.
std::vector<Kernel> kernelsOf(const Graph &graph, KernelTarget target, const ScheduleChoices *choices = nullptr);

/// Packs `t` (in ParamSpec's logical layout) into the kernel's layout: conv weights by blocks of B =
/// weightBlock() output channels to [O/B][KH][KW][I][B] (Winograd's U to [O/B][T*T][I][B]), fc weights
/// to [O/B][I][B], a fused reduce's to [I][O padded], biases to [O padded], padding zero.
Tensor packParam(const Kernel &kernel, const PackedParam &param, const Tensor &t);

/// Output channels per block of a conv's or fc's stored weights: the register tile's (channelBlock());
/// all of them in one block under an autoscheduler, whose own splits of the channels would turn the
/// blocked index (c % B, c / B) into gathers, and for a conv of one output channel per group
/// (depthwise), whose channel vectors need not align with blocks.
int32_t weightBlock(const Node &node, const Schedule &s);

/// Where element `within` (of `perChannel` per output channel) of output channel `o` lies in weights
/// stored by blocks of `block` output channels: [O/block][perChannel][block]. With one block of every
/// (padded) channel, that is [perChannel][O padded].
inline int64_t blockedOffset(int64_t o, int64_t within, int64_t perChannel, int64_t block) {
  return (o / block * perChannel + within) * block + o % block;
}

/// The learned tensors of `node` as a kernel with schedule `s` reads them (their views).
std::vector<PackedParam> packedParams(const Node &node, const Schedule &s);
/// Those of `k`'s node, then of each node inlined into it: a kernel whose schedule changes must have
/// them again.
std::vector<PackedParam> packedParams(const Kernel &k);

/// Winograd F(MxM,RxR)'s transforms (codegen/WinogradConv.cpp), T = M + R - 1: B^T (TxT), G (TxR),
/// A^T (MxT); Y = A^T [(G g G^T) * (B^T d B)] A.
struct WinogradMatrices {
  std::vector<std::vector<double>> BT, G, AT;
};
/// The tiles used: F(2x2,3x3), F(4x4,3x3) and F(2x2,5x5).
bool winogradTileApplies(int m, int r);
/// F(MxM,RxR)'s transforms; aborts for a tile winogradTileApplies refuses.
const WinogradMatrices &winogradMatrices(int m, int r);

/// A conv's RxR weights [O,I,R,R] transformed for Winograd F(MxM,RxR), M = `tile`: U = G g G^T for each
/// (o, i), stored by blocks of `block` output channels: [O/block][a + T b][I][block] (a along x, b along
/// y, T = M + R - 1).
void packWinogradWeights(const Tensor &weights, int tile, int64_t block, Tensor &packed);

}  // namespace deeper
