#include "codegen/Kernel.h"
#include "codegen/ScheduleFile.h"

#include "ir/Printer.h"
#include "ir/Branches.h"

#include <algorithm>
#include <map>
#include <set>

namespace deeper {
namespace {

int64_t product(const Dims &d, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < d.size(); ++i) p *= d[i];
  return p;
}

OperandView dense(std::vector<int32_t> extents) {
  OperandView v{std::move(extents), {}};
  int64_t stride = 1;
  for (int32_t e : v.extent) {
    v.stride.push_back(stride);
    stride *= e;
  }
  return v;
}

int32_t i32(int64_t v) {
  DEEPER_CHECK(v > 0 && v < (int64_t(1) << 31), "extent {} does not fit a Halide buffer", v);
  return static_cast<int32_t>(v);
}

/// [N,C,H,W] as Halide (W,H,C,N).
OperandView nchw(const Dims &s) {
  DEEPER_CHECK(s.size() == 4, "expected N,C,H,W, got {}", dimsString(s));
  return dense({i32(s[3]), i32(s[2]), i32(s[1]), i32(s[0])});
}

/// [N,C,H,W] stored N,H,W,C (layout=nhwc), as Halide (W,H,C,N): channels innermost, each pixel's
/// `channels` values (those of the whole value when this is a slice of it) consecutive.
OperandView nhwc(const Dims &s, int64_t channels) {
  OperandView v = nchw(s);
  v.stride = {channels, channels * s[3], 1, channels * s[2] * s[3]};
  return v;
}

/// [N, ...] as Halide (features, N).
OperandView rows(const Dims &s) { return dense({i32(product(s, 1, s.size())), i32(s[0])}); }

/// [N, C, ...] as Halide (inner, C, N): axis 1 in the middle.
OperandView aroundAxis1(const Dims &s) {
  DEEPER_CHECK(s.size() >= 2, "rank {} has no axis 1", s.size());
  return dense({i32(product(s, 2, s.size())), i32(s[1]), i32(s[0])});
}

/// Any shape around `axis` as Halide (inner, axis, middle, N); along axis 0, (inner, N, 1, 1) with the
/// batch fixed.
OperandView aroundAxis(const Dims &s, int64_t axis) {
  size_t a = static_cast<size_t>(axis);
  if (a == 0) {
    OperandView v = dense({i32(product(s, 1, s.size())), i32(s[0]), 1, 1});
    v.batchLast = false;
    return v;
  }
  return dense({i32(product(s, a + 1, s.size())), i32(s[a]), i32(product(s, 1, a)), i32(s[0])});
}

/// Reduce's input [.., first..last, ..] as Halide (inner, reduced, middle, N), the run of axes merged;
/// its output (either keepdims) as (inner, middle, N).
OperandView aroundReducedAxes(const Node &reduce, bool output) {
  const Dims &s = reduce.inputs()[0]->shape;
  ReduceParams r = ReduceParams::of(reduce);
  size_t first = static_cast<size_t>(r.first), end = static_cast<size_t>(r.last) + 1;
  int32_t inner = i32(product(s, end, s.size())), middle = i32(product(s, 1, first));
  return output ? dense({inner, middle, i32(s[0])}) : dense({inner, i32(product(s, first, end)), middle, i32(s[0])});
}

/// Every axis as Halide sees it (innermost first), every extent fixed.
OperandView allAxes(const Dims &s) {
  std::vector<int32_t> extents;
  for (auto it = s.rbegin(); it != s.rend(); ++it) extents.push_back(i32(*it));
  OperandView v = dense(extents);
  v.batchLast = false;
  return v;
}

int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

}  // namespace

int32_t weightBlock(const Node &node, const Schedule &s) {
  // One block: an autoscheduler's own splits of the channels would make c % B gathers; a depthwise
  // conv's vectors need not align with blocks (each reads one weight per channel and tap).
  bool depthwise = node.op == OpKind::Conv && ConvParams::of(node).groups == node.shape[1];
  return s.autoscheduler.empty() && !depthwise ? s.channelBlock() : i32(roundUp(node.shape[1], s.channelBlock()));
}

std::vector<PackedParam> packedParams(const Node &node, const Schedule &s) {
  std::vector<PackedParam> out;
  const int32_t block = weightBlock(node, s);
  for (const ParamSpec &spec : paramsOf(node)) {
    int32_t padded = i32(roundUp(spec.shape[0], s.channelBlock()));
    OperandView view;
    switch (spec.info().packing) {
      case Packing::AsStored: view = allAxes(spec.shape); break;
      case Packing::PerChannel: view = dense({padded}); break;
      case Packing::ConvFilter: {  // one channel block's weights contiguous, in the order its inner loops read them
        int64_t side = s.winograd + spec.shape[2] - 1;  // Winograd's TxT positions, T = M + R - 1
        int32_t taps = i32(s.winograd ? side * side : spec.shape[2] * spec.shape[3]);
        view = dense({block, i32(spec.shape[1]), taps, padded / block});
        break;
      }
      case Packing::FcMatrix: view = dense({block, i32(spec.shape[1]), padded / block}); break;
      case Packing::ReduceFilter: view = dense({padded, i32(spec.shape[1])}); break;
    }
    out.push_back(PackedParam{spec, view, &node});
  }
  return out;
}

std::vector<PackedParam> packedParams(const Kernel &k) {
  std::vector<PackedParam> out = packedParams(*k.node, k.schedule);
  for (const Node *n : k.inlined)
    for (PackedParam &p : packedParams(*n, k.schedule)) out.push_back(std::move(p));
  return out;
}

namespace {

/// Each value once: one read twice (binary(a, a)) is one leaf, or one inlined node computed once.
void walkChain(const Node &node, std::vector<const Node *> &leaves, std::vector<const Node *> &inlined) {
  for (const Node *in : node.inputs()) {
    std::vector<const Node *> &seen = isInlined(*in) ? inlined : leaves;
    if (std::find(seen.begin(), seen.end(), in) != seen.end()) continue;
    if (isInlined(*in)) {
      walkChain(*in, leaves, inlined);
      inlined.push_back(in);  // after its operands: the order it is computed in
    } else {
      leaves.push_back(in);
    }
  }
}

}  // namespace

std::vector<const Node *> chainLeaves(const Node &node) {
  std::vector<const Node *> leaves, inlined;
  walkChain(node, leaves, inlined);
  return leaves;
}

namespace {

/// How a kernel that broadcasts elementwise (binary, or a chain of inlined nodes) sees `value`: every
/// axis, a value stored channels-last through its strides (a one-pixel operand reads the same either way).
OperandView everyAxis(const Node &node, const Node &value, const Dims &s) {
  if (!storedChannelsLast(value)) return allAxes(s);
  if (!storedChannelsLast(node) || isAlias(value))
    failAtNode(node, fmt::format("a {} kernel reads '{}', stored layout=nhwc, only when stored so itself and from a computed value",
                                 node.info().name, value.name));
  return nhwc(s, s[1]);
}

/// How a kernel with nodes inlined into it reads its operands: each sample as one row, or by every axis.
enum class ChainView { None, Rows, EveryAxis };

/// Rows where no op of the chain tells one axis from another: every leaf has the output's shape (no
/// broadcast), no prelu (a slope per channel), constants of one value. As a lone relu's, its batch
/// stays free (one compiled kernel serves every batch) and vectors run along the whole sample, not
/// along the last axis (7 floats on a 7x7 map).
ChainView chainView(const Node &node, const std::vector<const Node *> &leaves, const std::vector<const Node *> &inlined) {
  if (inlined.empty()) return ChainView::None;
  for (const Node *leaf : leaves)  // (a leaf stored channels-last: everyAxis says why no chain reads it)
    if (leaf->shape != node.shape || storedChannelsLast(*leaf)) return ChainView::EveryAxis;
  std::vector<const Node *> computed = inlined;
  computed.push_back(&node);
  for (const Node *n : computed) {
    if (n->op == OpKind::PRelu) return ChainView::EveryAxis;
    for (const ParamSpec &spec : paramsOf(*n))
      if (checkedNumel(spec.shape).value() != 1) return ChainView::EveryAxis;
  }
  return ChainView::Rows;
}

/// How `node`'s kernel sees `value` (one of its inputs, or itself) of shape `s`; `chain`: how a kernel
/// that computes nodes inlined into it too does. Only window kernels, relu and binary ops read or
/// write values stored channels-last (see passes/ChannelsLast.h).
OperandView viewOf(const Node &node, const Node &value, const Dims &s, ChainView chain) {
  if (chain == ChainView::Rows) return rows(s);
  if (chain == ChainView::EveryAxis || node.op == OpKind::Binary) return everyAxis(node, value, s);
  if (storedChannelsLast(value)) {
    if (node.op == OpKind::Relu) {  // elementwise: flat over either layout, when both sides have it
      const Node &in = *node.inputs()[0];
      if (storedChannelsLast(node) != storedChannelsLast(in) || isAlias(in))
        failAtNode(node, fmt::format("a relu keeps the layout of its input '{}' (computed, not a view of another value)", in.name));
      return rows(s);
    }
    if (!isWindowOp(node.op))
      failAtNode(node, fmt::format("a {} kernel cannot read '{}', stored layout=nhwc; only conv, pool and lrn kernels can",
                                   node.info().name, value.name));
    return nhwc(s, s[1]);
  }
  switch (node.op) {
    case OpKind::Fc:
    case OpKind::Relu:
    case OpKind::Unary: return rows(s);
    case OpKind::Concat:
    case OpKind::Softmax: return aroundAxis(s, node.attrInt("axis"));
    case OpKind::BatchNorm:
    case OpKind::PRelu: return aroundAxis1(s);
    case OpKind::Reduce: return aroundReducedAxes(node, &value == &node);
    case OpKind::Conv:
    case OpKind::ConvTranspose:
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::Lrn: return nchw(s);
    default: return allAxes(s);  // pad, copy, matmul, add, sub, mul, div
  }
}

/// How `node`'s kernel reads its input `in`: its view, and its offset into the input's storage root.
/// A slice (sibling-merge) reads its channels in place: each dimension of the view covers consecutive
/// axes of the slice and takes the stride the innermost of them has in the whole tensor. That is a
/// strided view only where the axes a dimension covers lie evenly in the whole tensor (not the batch
/// and a part of the channels together, as a flat view of the whole slice would need: refused). Axes
/// of size 1 go with whichever dimension reaches them: their stride never matters.
std::pair<OperandView, int64_t> inputViewOf(const Node &node, const Node &in, ChainView chain) {
  OperandView view = viewOf(node, in, in.shape, chain);
  if (in.op != OpKind::Slice) {
    if (const Node *slice = sliceOnAliasChain(&in))
      failAtNode(node, fmt::format("reads the slice '{}' through the {} '{}'; compiled code reads a slice only directly", slice->name,
                                   in.info().name, in.name));
    return {view, 0};
  }
  // A view of a computed value (a flatten or reshape of it) is the same dense storage in another
  // shape, so its channels slice as the value's would; a view with a slice of its own, or of a value
  // stored channels-last, is not.
  const Node &whole = *in.inputs()[0];
  if (isAlias(whole) && (sliceOnAliasChain(&whole) || storedChannelsLast(whole)))
    failAtNode(in, fmt::format("compiled code slices a computed value or a plain view of one, not the {} '{}'", whole.info().name, whole.name));
  if (storedChannelsLast(whole)) return {nhwc(in.shape, whole.shape[1]), in.attrInt("begin")};  // only the start moves
  const Dims &shape = in.shape;
  std::vector<int64_t> strides(shape.size());  // of the whole tensor, per axis
  for (size_t a = shape.size(); a-- > 0;) strides[a] = a + 1 == shape.size() ? 1 : strides[a + 1] * whole.shape[a + 1];
  size_t axis = shape.size();  // the next axis to cover, counted from the innermost
  for (size_t d = 0; d < view.extent.size(); ++d) {
    int64_t covered = 1;
    size_t innermost = shape.size(), inner = 0;  // the first and the latest covered axis of size > 1
    while (covered < view.extent[d] && axis > 0) {
      if (shape[--axis] == 1) continue;
      if (innermost == shape.size()) innermost = axis;
      else if (strides[inner] * shape[inner] != strides[axis])
        failAtNode(node, fmt::format("a {} kernel cannot read the channel slice '{}' in place (it merges channels with other axes)",
                                     node.info().name, in.name));
      inner = axis;
      covered *= shape[axis];
    }
    DEEPER_CHECK(covered == view.extent[d], "view extent {} of '{}' does not follow its axes", view.extent[d], in.name);
    if (innermost < shape.size()) view.stride[d] = strides[innermost];
  }
  return {view, in.attrInt("begin") * strides[1]};
}

/// Extents (the batch dropped when free); strides too when they are not the dense ones.
std::string viewText(const OperandView &v, bool dropBatch) {
  size_t n = dropBatch && v.batchLast && !v.extent.empty() ? v.extent.size() - 1 : v.extent.size();
  std::string text = dimsString(Dims(v.extent.begin(), v.extent.begin() + static_cast<long>(n)));
  if (v.stride != dense(v.extent).stride) text += "/" + dimsString(Dims(v.stride.begin(), v.stride.end()));
  return text;
}

/// Multiply-adds per pair of input and output channels of F(MxM,RxR) on `conv`'s map: T*T per tile,
/// T = M + R - 1, tiles rounding the map up to whole MxM tiles.
int64_t winogradProducts(const Node &conv, int m) {
  int64_t t = m + ConvParams::of(conv).win.kh - 1;
  return t * t * ((conv.shape[2] + m - 1) / m) * ((conv.shape[3] + m - 1) / m);
}

}  // namespace

int64_t executedMacs(const Kernel &k) {
  if (!k.schedule.winograd) return macsOf(*k.node);
  const Dims &out = k.node->shape, &in = k.node->inputs()[0]->shape;  // N,C,H,W
  return out[0] * winogradProducts(*k.node, k.schedule.winograd) * in[1] * out[1];
}

/// GoogLeNet's widths are 7 * 2^k: 7 divides them all.
int tileWidthFor(int64_t width, int widest) {
  int best = 1;
  double bestUse = 0;
  for (int t = widest; t >= 1; --t) {
    double use = static_cast<double>(width) / static_cast<double>((width + t - 1) / t * t);
    if (use > bestUse + 1e-9) best = t, bestUse = use;
  }
  return best;
}

namespace {

/// Assumed of the machines the defaults are measured on (AVX-512, 2 threads, a 32 MiB L3 shared with
/// other programs): weights up to this size stay cached from one run to the next...
constexpr int64_t kCachedWeightBytes = int64_t{16} << 20;
/// ...larger ones stream from DRAM, one byte in the time the direct conv runs this many multiply-adds
/// (~140 G multiply-adds/s at 70% of two cores' FMA peak against ~40 GB/s).
constexpr int64_t kMacsPerDramByte = 4;

/// Whether F(MxM,RxR)'s transformed weights, T*T per channel pair (4x the direct conv's for
/// F(4x4,3x3)), stream from DRAM for longer than the direct conv computes. Each transformed weight
/// serves one product per tile, and a small map has few tiles: ResNet's 512->512 3x3 convs on 7x7
/// maps have 37.7 MB of them for 4 tiles. Measured (2026-12-02, ResNet-18 at batch 1, 2 threads,
/// AVX-512, alternating schedules in one run): those three convs direct 0.77-0.83x the time of
/// F(4x4,3x3); its 256->256 convs on 14x14 maps (9.4 MB, 16 tiles) direct 1.14-1.29x.
bool winogradWeightsBound(const Node &conv, int m) {
  const ConvParams p = ConvParams::of(conv);
  const int64_t side = m + p.win.kh - 1;
  const int64_t bytes = side * side * conv.inputs()[0]->shape[1] * p.out * 4;
  return bytes > kCachedWeightBytes && macsOf(conv) / conv.shape[0] < kMacsPerDramByte * bytes;
}

/// F(4x4,3x3) executes 36 multiply-adds per 16 outputs against F(2x2,3x3)'s 64, but rounds small maps
/// up further (7x7 to 8x8) and its transforms cost more adds: the tile executing fewer products wins,
/// F(2x2,3x3) on a tie. That is F(4x4,3x3) on every GoogLeNet map (7x7: 144 products per channel pair
/// against 256). Measured in the whole model at batch 1 (2026-11-30, 2 threads, AVX-512, with weights
/// stored by channel blocks): F(4x4,3x3) on the 14x14 and 7x7 maps too took 1.7% off the total in
/// three of three alternating runs; before weights were stored by blocks it added 5%, its 4x larger
/// weights streaming from DRAM at 128 bytes per stride.
///
/// A 5x5 conv has F(2x2,5x5) only (F(4x4,5x5) would need the points +-1/2 and round much more), and
/// takes it where it executes under 40% of the direct conv's products: its 6x6 transforms cost more
/// adds than F(4x4,3x3)'s per product, and GoogLeNet's 5x5 layers have 16-48 input channels, so its
/// products run short. Measured in the whole model at batch 1 (2026-12-01, 2 threads, AVX-512): 28x28
/// and 14x14 maps (36%) 1.6-2.1x faster than direct, 7x7 (4x4 tiles: 47%) 0.9-1.0x.
///
/// Either tile only where its weights do not outlast the direct conv (winogradWeightsBound).
int winogradTileFor(const Node &conv) {
  int m = 0;
  if (ConvParams::of(conv).win.kh == 5) {
    int64_t direct = conv.shape[2] * conv.shape[3] * 25;  // products per channel pair
    m = 10 * winogradProducts(conv, 2) < 4 * direct ? 2 : 0;
  } else {
    m = winogradProducts(conv, 4) < winogradProducts(conv, 2) ? 4 : 2;
  }
  return m && !winogradWeightsBound(conv, m) ? m : 0;
}

/// The vector width for a conv's output channels: `lanes`, or where vectors of `lanes` would straddle
/// two groups the widest power of two (4 or more) that divides a group's output channels.
int groupVector(const Node &conv, int lanes) {
  const ConvParams p = ConvParams::of(conv);
  const int64_t groupOut = p.out / p.groups;
  if (p.groups == 1 || groupOut % lanes == 0) return lanes;
  int width = lanes;
  while (width > 4 && groupOut % width != 0) width /= 2;
  return groupOut % width == 0 ? width : lanes;
}

/// The input channels each output channel of `conv` sums over: its group's, or a fused reduce's.
int64_t groupInputs(const Node &conv) {
  const ConvParams p = ConvParams::of(conv);
  return (p.reduce > 0 ? p.reduce : conv.inputs()[0]->shape[1]) / p.groups;
}

/// Whether a direct conv on a map of 14 rows or fewer, run on every thread, should run tasks of
/// channel blocks rather than of rows: where the weights are large and the blocks many enough to
/// share out. Measured (2026-12-02, MNASNet at batch
/// 1, 2 threads, AVX-512, alternating builds): rows ran its 14x14 convs with 154-368 KiB of weights
/// 0.6-0.9x the time of blocks (3 blocks on 2 threads leave one idle a third of the time), and a 7x7
/// one of 6 blocks 0.92-0.96x; blocks ran its 7x7 convs with 1.5-1.6 MiB of weights and 10 or 40
/// blocks 0.72-0.94x the time of rows.
bool blockTasksPay(const Node &conv, const Schedule &s) {
  const ConvParams p = ConvParams::of(conv);
  const int64_t weightBytes = p.out * groupInputs(conv) * p.win.kh * p.win.kw * 4;
  const int64_t blocks = roundUp(p.out, s.channelBlock()) / s.channelBlock();
  return weightBytes >= 512 * 1024 && blocks >= 8;
}

/// A direct conv stored channels-last sums all its group's input channels in one chunk, so each tile's
/// accumulators stay in registers from the bias to the epilogue (ConvGenerator's register tile): the
/// power of two that holds them. Measured (2026-12-02, batch 1, 2 threads, AVX-512, alternating
/// builds) against chunks of 32 through a row of accumulators in memory: GoogLeNet 0.93x the time,
/// its 1x1 convs on 28x28 maps 0.6-0.8x; MNASNet's 1x1 convs of 16-120 input channels on 56x56 and
/// 28x28 maps 0.5-0.7x. A chunk of 32 stays the tuner's to try.
int registerTileChunk(const Node &conv) {
  int chunk = Schedule().chunkInputs;
  while (chunk < groupInputs(conv) && chunk < kMostChunkInputs) chunk *= 2;
  return chunk;
}

Schedule cpuDefault(const Node &node, int lanes, bool inBranchLane) {
  Schedule s;
  s.vector = lanes;
  s.tileChannels = 1;
  s.tileWidth = 1;
  if (node.op == OpKind::Conv) {
    // A grouped conv whose groups a vector would straddle (RegNet's groups of 8, ResNeXt's of 4 and 8):
    // vectors of one group's output channels, so their lanes read the same input channels. Measured
    // (2026-12-01, RegNetY-400MF at batch 1, 2 threads, AVX-512): its 3x3 grouped convs with 8-lane
    // vectors took the model from 8.25 to 5.85-6.05 ms (two profiles); with 16 lanes across two groups they ran at 12-16
    // GFLOP/s.
    s.vector = groupVector(node, lanes);
    // apps/conv_layer: 32 vector registers (AVX-512) hold a 2x5 tile of accumulators comfortably, 16
    // (AVX2) a 2x3 one; one channel vector when the layer is narrow, so padding stays small.
    s.tileChannels = node.shape[1] > s.vector ? 2 : 1;
    const Dims map = convOutputShape(node);  // its own rows, before a fused output pool
    s.tileWidth = tileWidthFor(map[3], lanes >= 16 ? 7 : 3);
    s.winograd = ConvParams::of(node).winogradApplies() ? winogradTileFor(node) : 0;
    // Maps of 14 rows or fewer: tasks of channel blocks read each block's weights once per image, where
    // a task per row reads them all 14 times; but few blocks share the threads out unevenly. A kernel
    // in a branch lane runs on about one thread, in block order (GoogLeNet's lanes ran 3% slower in
    // row order, 2026-12-02).
    s.blockTasks = map[2] <= 14 && (s.winograd || inBranchLane || blockTasksPay(node, s));
    // AVX2's 16 registers and a Winograd product's accumulators: tiles of 4 MxM tiles by 2 vectors.
    // Measured (2026-11-30, a 14x14 F(4x4,3x3) conv 160->320 channels in block tasks, AVX2 code on 1
    // thread of this CPU): 4 tiles 0.65 ms, 2 tiles 7.7 ms, 8 tiles 7.4 ms (spills, found by deeper
    // compare's spill column); the direct conv's 3 would be cut to 2.
    if (s.winograd && lanes < 16) s.tileWidth = 4;
    if (!s.winograd && storedChannelsLast(node)) s.chunkInputs = registerTileChunk(node);
  }
  return s;
}

/// A GPU target's default: the CPU default's weight blocks (how the weights are packed), and thread
/// blocks no wider than the layer: a conv's row of 7 pixels takes 2 threads of 4 pixels where 8 would
/// leave 6 idle, its 16 output channels 16 threads; direct convs (Winograd is the tuner's to try).
/// Not yet measured on a GPU (none lent so far).
Schedule gpuDefault(const Node &node, Schedule s) {
  Schedule plain;
  s.gpu = true;
  s.tileWidth = 1, s.blockTasks = false, s.parallel = true, s.winograd = 0, s.chunkInputs = plain.chunkInputs;
  if (node.op != OpKind::Conv) {
    s.gpuChannels = 1, s.gpuPixels = 1, s.gpuRowThreads = kGpuElementThreads;
    return s;
  }
  int64_t width = convOutputShape(node)[3];
  while (s.gpuChannels / 2 >= node.shape[1]) s.gpuChannels /= 2;
  s.gpuPixels = static_cast<int>(std::min<int64_t>(s.gpuPixels, width));
  s.gpuRowThreads = static_cast<int>(std::min<int64_t>(s.gpuRowThreads, (width + s.gpuPixels - 1) / s.gpuPixels));
  return s;
}

/// What makes `s` no schedule for a GPU kernel (s.gpu), or for a CPU one that names GPU fields.
std::string gpuScheduleProblem(const Node &node, const Schedule &s) {
  Schedule plain;
  if (!s.gpu) {
    bool gpuFields = s.gpuChannels != plain.gpuChannels || s.gpuRowThreads != plain.gpuRowThreads || s.gpuPixels != plain.gpuPixels ||
                     s.gpuSharedInput != plain.gpuSharedInput;
    return gpuFields ? "gpu_c, gpu_tx, gpu_x and gpu_shared are for GPU targets; this build is for a CPU" : "";
  }
  if (!s.autoscheduler.empty())
    return fmt::format("autoscheduler={}: Halide's autoschedulers schedule CPU kernels only here; drop it for a GPU target", s.autoscheduler);
  if (s.winograd && (s.gpuPixels != 1 || s.gpuSharedInput))
    return fmt::format("winograd={} on a GPU runs a thread per {}x{} output tile: gpu_x=1 gpu_shared=false", s.winograd, s.winograd, s.winograd);
  if (s.tileWidth != 1 || s.blockTasks || !s.parallel)
    return "a GPU kernel has no CPU register tile along x or tasks: tile_x=1 block_tasks=false parallel=true";
  if (node.op != OpKind::Conv && (s.gpuChannels != 1 || s.gpuPixels != 1 || s.gpuSharedInput))
    return fmt::format("{} runs a GPU thread per output element: gpu_c=1 gpu_x=1 gpu_shared=false", node.info().name);
  if (s.gpuChannels * s.gpuRowThreads > kMostGpuThreads)
    return fmt::format("gpu_c={} by gpu_tx={} is {} threads a block; CUDA launches {} at most", s.gpuChannels, s.gpuRowThreads,
                       s.gpuChannels * s.gpuRowThreads, kMostGpuThreads);
  if (!s.gpuSharedInput && s.chunkInputs != plain.chunkInputs)
    return fmt::format("chunk_i is the input channels gpu_shared=true stages at a time: chunk_i={} without it", plain.chunkInputs);
  if (s.gpuSharedInput && s.chunkInputs < groupInputs(node) && groupInputs(node) % s.chunkInputs != 0)
    return fmt::format("gpu_shared=true stages whole chunks of input channels: chunk_i={} must divide the {} input channels (of a group) "
                       "or hold them all", s.chunkInputs, groupInputs(node));
  if (s.gpuSharedInput && gpuStagedInputBytes(node, s) > kGpuSharedBytes)
    return fmt::format("gpu_shared=true stages {} bytes of input a block, over the {} of shared memory CUDA gives a block statically: "
                       "a smaller chunk_i, gpu_tx or gpu_x", gpuStagedInputBytes(node, s), kGpuSharedBytes);
  return "";
}

}  // namespace

int64_t gpuStagedInputBytes(const Node &conv, const Schedule &s) {
  const Window2d &w = ConvParams::of(conv).win;
  int64_t columns = (int64_t{s.gpuRowThreads} * s.gpuPixels - 1) * w.sw + (w.kw - 1) * w.dw + 1, rows = (w.kh - 1) * w.dh + 1;
  return std::min<int64_t>(s.chunkInputs, groupInputs(conv)) * rows * columns * 4;
}

Schedule defaultSchedule(const Node &node, KernelTarget target, bool inBranchLane) {
  Schedule s = cpuDefault(node, target.lanes, inBranchLane);
  return target.gpu ? gpuDefault(node, s) : s;
}

std::string scheduleProblem(const Node &node, const Schedule &s) {
  bool conv = node.op == OpKind::Conv, fc = node.op == OpKind::Fc;
  if (std::string problem = gpuScheduleProblem(node, s); !problem.empty()) return problem;
  if (s.vector & (s.vector - 1)) return fmt::format("vector={} is not a power of two; vectors hold 1, 2, 4, ... 64 floats", s.vector);
  if (s.winograd != 0 && s.winograd != 2 && s.winograd != 4)
    return fmt::format("winograd={} is no tile size: 0 (the direct conv), 2 or 4 (Winograd F(2x2,RxR) or F(4x4,RxR))", s.winograd);
  if (s.winograd && !(conv && ConvParams::of(node).winogradApplies()))
    return "winograd=2 or 4 needs a 3x3 or 5x5 conv with stride 1, its output as large as its input, one group and no fused reduce or pool";
  if (s.winograd && !winogradTileApplies(s.winograd, static_cast<int>(ConvParams::of(node).win.kh)))
    return fmt::format("winograd={0} on a 5x5 conv: F({0}x{0},5x5) is not used (it would round much more); winograd=2", s.winograd);
  Schedule plain;  // what the fields a kernel ignores must say, so that no two texts mean one kernel
  if (!s.autoscheduler.empty()) {
    if (!conv) return fmt::format("autoscheduler={}: Halide's autoschedulers schedule convs only here", s.autoscheduler);
    if (!(s == s.handedTo(s.autoscheduler)))
      return fmt::format("autoscheduler={} chooses the tiles and tasks of the direct conv itself: tile_x=1 chunk_i={} block_tasks=false winograd=0",
                         s.autoscheduler, plain.chunkInputs);
  }
  if (!conv && (s.tileWidth != 1 || s.chunkInputs != plain.chunkInputs || s.blockTasks))
    return fmt::format("{} has no register tile along x, input chunks or block tasks: tile_x=1 chunk_i={} block_tasks=false",
                       node.info().name, plain.chunkInputs);
  if (s.winograd && s.chunkInputs != plain.chunkInputs)  // its products run over every input channel at once
    return fmt::format("winograd={} has no input chunks: chunk_i={}", s.winograd, plain.chunkInputs);
  if (!conv && !fc && s.tileChannels != 1) return fmt::format("{} has no register tile of channels: tile_c=1", node.info().name);
  if (conv || fc) {
    // A tile of whole vectors of padding computes nothing and reads padded weights.
    int64_t channels = node.shape[1], vectors = (channels + s.vector - 1) / s.vector;
    if (s.tileChannels > vectors)
      return fmt::format("tile_c={} vectors of {} is wider than the {} output channels: tile_c at most {}", s.tileChannels, s.vector,
                         channels, vectors);
  }
  // (Winograd reads tile_x as the widest tile of MxM output tiles it may use, and fits it to the row.)
  if (conv && !s.winograd && s.tileWidth > convOutputShape(node)[3])
    return fmt::format("tile_x={} is wider than the output row of {} pixels", s.tileWidth, convOutputShape(node)[3]);
  return "";
}

/// The producers of an in-place concat write into its slices (see passes/ConcatElision.h); the concat
/// itself runs no kernel. Interleaved (k inputs), input i's channel j is the concat's channel j*k+i:
/// its window or copy kernel's N,C,H,W view starts at plane i and steps k planes per channel.
void writeIntoConcats(const Graph &graph, std::vector<Kernel> &kernels) {
  std::map<const Node *, Kernel *> byNode;
  for (Kernel &k : kernels) byNode[k.node] = &k;
  for (const Node *concat : graph.nodesOfOp(OpKind::Concat)) {
    if (!concat->attrBool("in_place")) continue;
    bool channelsLast = storedChannelsLast(*concat), interleave = concat->attrBool("interleave");
    int64_t perChannel = channelsLast ? 1 : product(concat->shape, 2, concat->shape.size()), channel = 0;
    for (const Node *in : concat->inputs()) {
      if (storedChannelsLast(*in) != channelsLast)
        failAtNode(*in, fmt::format("writes into the in-place concat '{}', so it needs its layout ({})", concat->name,
                                    concat->attrWord("layout")));
      Kernel &k = *byNode.at(in);
      k.outputStorage = concat;
      k.outputOffset = channel * perChannel;
      if (channelsLast) k.outputView = nhwc(in->shape, concat->shape[1]);
      else k.outputView.stride.back() = product(concat->shape, 1, concat->shape.size());  // the batch stride
      if (interleave) {  // IR text may say in_place=true where concat-elision would not have
        if (channelsLast || !(isWindowOp(in->op) || in->op == OpKind::Copy) || k.outputView.extent.size() != 4)
          failAtNode(*in, fmt::format("writes into the interleaving in-place concat '{}', which only N,C,H,W conv, pool, lrn and copy "
                                      "values can (their channels k planes apart); drop in_place=true there",
                                      concat->name));
        k.outputView.stride[2] = perChannel * static_cast<int64_t>(concat->inputs().size());
      }
      channel += interleave ? 1 : in->shape[1];
    }
  }
}

/// The kernels of a module whose concat says branches=concurrent become one group: the kernels several
/// branches need first (lane 0), then each branch's in its lane (serial but in lane 1); the group takes the place of
/// the module's last kernel (moving kernels later is safe: nothing between reads them, see
/// BranchLanes::schedulable).
void scheduleBranches(const Graph &graph, std::vector<Kernel> &kernels) {
  int groups = 0;
  for (const Node *concat : graph.nodesOfOp(OpKind::Concat)) {
    if (concat->attrWord("branches") != "concurrent") continue;
    BranchLanes b = branchLanes(graph, *concat);
    if (!b.schedulable)
      failAtNode(*concat, "branches=concurrent, but a node outside the module reads one of its values between its kernels");
    std::map<const Node *, int> laneOf;
    for (const Node *n : b.shared) laneOf[n] = 0;
    for (size_t l = 0; l < b.lanes.size(); ++l)
      for (const Node *n : b.lanes[l]) laneOf[n] = static_cast<int>(l) + 1;
    std::vector<Kernel> group, rest;
    size_t at = 0;  // where the group goes in `rest`
    for (Kernel &k : kernels) {
      auto it = laneOf.find(k.node);
      if (it == laneOf.end()) {
        rest.push_back(std::move(k));
        continue;
      }
      k.lane = it->second;
      k.group = k.lane > 0 ? groups + 1 : 0;
      if (k.lane > 1 && !k.schedule.gpu) k.schedule.parallel = false;  // a GPU kernel has no CPU threads to give up
      group.push_back(std::move(k));
      at = rest.size();
    }
    std::stable_partition(group.begin(), group.end(), [](const Kernel &k) { return k.lane == 0; });
    rest.insert(rest.begin() + static_cast<long>(at), std::make_move_iterator(group.begin()), std::make_move_iterator(group.end()));
    kernels = std::move(rest);
    ++groups;
  }
}

namespace {

/// The nodes in the branch lanes of concurrent modules (lane 1 and up in scheduleBranches).
std::set<const Node *> branchLaneNodes(const Graph &graph) {
  std::set<const Node *> out;
  for (const Node *concat : graph.nodesOfOp(OpKind::Concat))
    if (concat->attrWord("branches") == "concurrent")
      for (const std::vector<const Node *> &lane : branchLanes(graph, *concat).lanes) out.insert(lane.begin(), lane.end());
  return out;
}

}  // namespace

std::vector<Kernel> kernelsOf(const Graph &graph, KernelTarget target, const ScheduleChoices *choices) {
  std::vector<Kernel> kernels;
  const std::set<const Node *> laned = branchLaneNodes(graph);
  for (const GraphOutput &o : graph.outputs())
    if (storedChannelsLast(*o.node))
      failAtNode(*o.node, "is a graph output, stored layout=nhwc; outputs are stored nchw (callers' buffers)");
  for (const auto &node : graph.nodes()) {
    if (node->shape.size() > kMaxRank)
      failAtNode(*node, fmt::format("f32[{}] has rank {}; compiled code handles rank {} at most", fmt::join(node->shape, ","),
                                    node->shape.size(), kMaxRank));
    if (isInlined(*node)) {
      std::string why = whyNotInlinable(graph, *node);
      if (!why.empty()) failAtNode(*node, fmt::format("inline=true, but {}; set inline=false (its own kernel)", why));
    }
    if (!runsKernel(*node)) continue;
    Schedule schedule = defaultSchedule(*node, target, laned.count(node.get()) > 0);
    DEEPER_CHECK(scheduleProblem(*node, schedule).empty(), "default schedule of '{}': {}", node->name, scheduleProblem(*node, schedule));
    if (choices) schedule = chosenSchedule(*choices, *node, schedule);
    Kernel k;
    k.node = node.get();
    k.schedule = schedule;
    std::vector<const Node *> leaves;
    walkChain(*node, leaves, k.inlined);
    const ChainView chain = chainView(*node, leaves, k.inlined);
    if (chain == ChainView::None) leaves.assign(node->inputs().begin(), node->inputs().end());  // positional: binary(x, x) reads x twice
    for (const Node *in : leaves) {
      auto [view, offset] = inputViewOf(*node, *in, chain);
      k.inputs.push_back(storageRoot(in));
      k.inputViews.push_back(view);
      k.inputOffsets.push_back(offset);
    }
    k.outputView = viewOf(*node, *node, node->shape, chain);
    k.params = packedParams(k);
    k.outputStorage = node.get();
    kernels.push_back(std::move(k));
  }
  if (choices) checkEveryLineUsed(*choices, kernels, graph);
  writeIntoConcats(graph, kernels);
  scheduleBranches(graph, kernels);
  return kernels;
}

namespace {

/// "op attr=value ...", and apart its learned tensors' roles and logical shapes: how they are packed
/// follows from the op and the schedule, so that the text before " | " is the same for every schedule
/// of one problem (what deeper tune keys).
std::string opText(const Node &node) {
  std::string text = node.info().name;
  for (const std::string &attr : printAttrs(node)) text += " " + attr;
  return text;
}

std::string paramsText(const Node &node) {
  std::string text;
  for (const ParamSpec &spec : paramsOf(node)) text += fmt::format(" {}={}", spec.role(), dimsString(spec.shape));
  return text;
}

}  // namespace

std::string Kernel::canonical() const {
  std::string text = opText(*node);
  for (const OperandView &v : inputViews) text += " in=" + viewText(v, true);
  text += paramsText(*node);
  if (!inlined.empty()) {  // the chain's expression: each inlined node (t0, t1, ...) on the inputs (in0, ...) and those before it
    std::vector<const Node *> leaves = chainLeaves(*node);
    auto operands = [&](const Node &n) {
      std::vector<std::string> refs;
      for (const Node *in : n.inputs()) {
        auto t = std::find(inlined.begin(), inlined.end(), in);
        refs.push_back(t != inlined.end() ? fmt::format("t{}", t - inlined.begin())
                                          : fmt::format("in{}", std::find(leaves.begin(), leaves.end(), in) - leaves.begin()));
      }
      return fmt::format("({})", fmt::join(refs, ","));
    };
    for (size_t j = 0; j < inlined.size(); ++j) text += fmt::format(" t{}=[{}{}{}]", j, opText(*inlined[j]), paramsText(*inlined[j]), operands(*inlined[j]));
    text += " of" + operands(*node);
  }
  return text + " out=" + viewText(outputView, true) + " | " + schedule.print();
}

Tensor packParam(const Kernel &kernel, const PackedParam &param, const Tensor &t) {
  DEEPER_CHECK(t.shape == param.spec.shape, "'{}' {} has shape {}", kernel.node->name, param.spec.role(), dimsString(t.shape));
  Tensor packed(Dims{checkedNumel(Dims(param.view.extent.begin(), param.view.extent.end())).value()});
  const Dims &s = t.shape;
  const Packing packing = param.spec.info().packing;
  if (packing == Packing::AsStored || packing == Packing::PerChannel) {  // as they are, zero-padded
    std::copy(t.data.begin(), t.data.end(), packed.data.begin());
  } else if (packing == Packing::ConvFilter && kernel.schedule.winograd) {
    packWinogradWeights(t, kernel.schedule.winograd, weightBlock(*kernel.node, kernel.schedule), packed);
  } else if (packing == Packing::ConvFilter) {  // [O,I,KH,KW] -> [O/B][KH][KW][I][B]
    const int64_t block = weightBlock(*kernel.node, kernel.schedule);
    for (int64_t o = 0; o < s[0]; ++o)
      for (int64_t i = 0; i < s[1]; ++i)
        for (int64_t ky = 0; ky < s[2]; ++ky)
          for (int64_t kx = 0; kx < s[3]; ++kx)
            packed.data[blockedOffset(o, (ky * s[3] + kx) * s[1] + i, s[1] * s[2] * s[3], block)] = t.data[((o * s[1] + i) * s[2] + ky) * s[3] + kx];
  } else {  // fc: [O,I] -> [O/B][I][B]; a fused reduce: [O,I,1,1] -> [I][Opad], one block
    const int64_t block = packing == Packing::FcMatrix ? weightBlock(*kernel.node, kernel.schedule) : param.view.extent[0];
    for (int64_t o = 0; o < s[0]; ++o)
      for (int64_t i = 0; i < s[1]; ++i) packed.data[blockedOffset(o, i, s[1], block)] = t.data[o * s[1] + i];
  }
  return packed;
}

}  // namespace deeper
