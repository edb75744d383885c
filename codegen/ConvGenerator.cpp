// Convolution with its bias and relu epilogue, after apps/conv_layer: a register tile of
// tile_c x vector output channels by tile_x output pixels accumulates over input channels and the
// kernel window; each input value is broadcast against a vector of packed weights
// (packed as [O/B][KH][KW][I][B], B = tile_c x vector: a vector of output channels is one contiguous
// load, and one block's weights stream from memory in the order the tile reads them).
#include "codegen/Generators.h"

#include <limits>

namespace deeper::codegen {

using namespace Halide;

namespace {

/// What the conv's taps read: the input; or (pool-proj-fusion) the input max-pooled KxK, stride 1, pad
/// K/2, separably: the max along each window row, then down the column of row maxima; or
/// (reduce-conv-fusion) the input through a 1x1 conv, zero outside the image, so it is its own padding.
struct Source {
  Func func, rows, acc;
  bool pooled = false, reduced = false;
  RDom inputs;  ///< the reduce's input channels
  int reduceChannels = 0;  ///< the reduce's output channels (R)
  bool fused() const { return pooled || reduced; }
};

Source pooledSource(const ConvParams &cp, const ImageParam &input, const OperandView &in) {
  Var x("px"), y("py"), c("pc"), n("pn");
  int k = static_cast<int>(cp.inputMaxPool), half = k / 2;
  Func edge = BoundaryConditions::constant_exterior(input, -std::numeric_limits<float>::infinity(), {{0, in.extent[0]}, {0, in.extent[1]}});
  RDom rx(0, k, "pool_x"), ry(0, k, "pool_y");
  Source s{Func("pooled"), Func("pooled_rows"), Func(), true, false, RDom()};
  s.rows(x, y, c, n) = maximum(edge(x + rx - half, y, c, n));
  s.func(x, y, c, n) = maximum(s.rows(x, y + ry - half, c, n));
  return s;
}

/// The reduce reads the input at clamped coordinates, so any pixel it is asked for (padding included,
/// where the select then gives 0) reads in bounds.
Source reducedSource(const ConvParams &cp, const ImageParam &input, const OperandView &in, const ImageParam &weight,
                     const ImageParam &bias) {
  Var x("rx"), y("ry"), c("rc"), n("rn");
  RDom ri(0, in.extent[2], "ri");
  Source s{Func("reduced"), Func(), Func("reduce_acc"), false, true, ri, static_cast<int>(cp.reduce)};
  s.acc(c, x, y, n) = bias(c);
  s.acc(c, x, y, n) += weight(c, ri) * input(clamp(x, 0, in.extent[0] - 1), clamp(y, 0, in.extent[1] - 1), ri, n);
  Expr value = cp.reduceRelu ? max(s.acc(c, x, y, n), 0.0f) : s.acc(c, x, y, n);
  Expr inside = x >= 0 && x < in.extent[0] && y >= 0 && y < in.extent[1];
  s.acc(c, x, y, n) = select(inside, value, 0.0f);
  s.func(x, y, c, n) = s.acc(c, x, y, n);  // inlined: the conv's taps read the channel-innermost rows
  return s;
}

Source convSource(const Kernel &k, const ConvParams &cp, const std::vector<ImageParam> &p) {
  if (cp.inputMaxPool > 0) return pooledSource(cp, p[0], k.inputViews[0]);
  if (cp.reduce > 0)
    return reducedSource(cp, p[0], k.inputViews[0], learned(k, p, Param::ConvReduceWeight), learned(k, p, Param::ConvReduceBias));
  return Source{Func(p[0]), Func(), Func(), false, false, RDom()};
}

/// The reduce's register tile of channel vectors: at most the conv's, and the one that computes the
/// fewest padding channels of its R (ties to the wider). MNASNet's 16-channel projection fused into a
/// 48-channel expansion computed 32 channels, twice its work, in the conv's 2-vector block.
int reduceBlock(const Schedule &s, int reduceChannels) {
  auto computed = [&](int block) { return (reduceChannels + block - 1) / block * block; };
  int best = s.vector;
  for (int vectors = 2; vectors <= s.tileChannels; ++vectors)
    if (computed(vectors * s.vector) <= computed(best)) best = vectors * s.vector;
  return best;
}

/// One row of the reduce per step of `row`, kept from `task` on (sliding): the 1x1 conv as a register
/// tile of channel vectors by pixels over the input channels, like the conv itself.
void scheduleReduced(Source source, const Schedule &s, Func out, Var row, Var task) {
  std::vector<Var> a = source.acc.args();  // (c, x, y, n)
  source.acc.store_at(out, task).compute_at(out, row).vectorize(a[0], s.vector, TailStrategy::RoundUp);
  source.acc.update(1).vectorize(a[0], s.vector, TailStrategy::RoundUp);
  Var co("rco"), ci("rci"), xo("rxo"), xi("rxi");
  source.acc.update()
      .split(a[0], co, ci, reduceBlock(s, source.reduceChannels), TailStrategy::RoundUp)
      .split(a[1], xo, xi, s.tileWidth, TailStrategy::RoundUp)
      .reorder(ci, xi, source.inputs.x, xo, co, a[2], a[3])
      .vectorize(ci, s.vector)
      .unroll(ci)
      .unroll(xi);
}

/// Where the conv's input side is computed: a padded copy once per call (with the pooled source inside,
/// per plane or row), or the pooled or reduced rows one output row needs, next to their use. Copies
/// and pooled rows follow the input's layout: vectors along rows, or along channels (stored channels
/// innermost, so the taps read consecutive input channels there too).
void scheduleSource(Source source, Func padded, bool copy, const Schedule &s, bool channelsLastInput, Func out, Var row, Var task) {
  auto vectorizeAlongInput = [&](Func f) {
    if (channelsLastInput) channelsInnermost(f, s.vector);
    else f.vectorize(f.args()[0], s.vector, TailStrategy::GuardWithIf);
  };
  if (copy) {
    Var slab = padded.args()[channelsLastInput ? 1 : 2];  // a row of all channels, or a channel plane
    padded.compute_root().parallel(slab);
    vectorizeAlongInput(padded);
    if (source.pooled) {
      source.func.compute_at(padded, slab);
      source.rows.compute_at(padded, slab);
    }
  } else if (source.pooled) {
    source.func.compute_at(out, row);
    source.rows.store_at(out, task).compute_at(out, row);
  } else if (source.reduced) {
    scheduleReduced(source, s, out, row, task);
  }
  if (source.pooled) {
    vectorizeAlongInput(source.func);
    vectorizeAlongInput(source.rows);
  }
}

/// (conv-pool-fusion) The conv's output max-pooled KxK, stride S, unpadded, in ceil mode: every window
/// overlaps the conv's output (windowOutputSize), so the clamped-tap maximum is exact.
Func pooledOutput(const ConvParams &cp, Func conv, int width, int height) {
  Var x("x"), y("y"), c("c"), n("n");
  Func pooled("pooled_conv");
  pooled(x, y, c, n) = clampedWindowMax(conv, cp.outputPool().win, width, height, x, y, c, n);
  return pooled;
}

/// Tasks of pooled rows; within a task the conv's rows slide down, each computed once, into a buffer of
/// the window's rows that stays in cache: the conv's output never goes to memory. Each task recomputes
/// the K-S rows its windows share with the task before. Returns the pooled row loop, where the conv's
/// rows are computed, and sets `task`, where they are stored.
Var schedulePooledOutput(Func pooled, Func conv, const Kernel &k, Var &task) {
  const Schedule &s = k.schedule;
  Var x = pooled.args()[0], y = pooled.args()[1], c = pooled.args()[2], n = pooled.args()[3];
  if (channelsLast(k.outputView)) {
    pooled.reorder(c, x, y, n);
    vectorizeRow(pooled, c, k.outputView.extent[2], s.vector);
  } else {
    pooled.reorder(x, c, y, n);
    vectorizeRow(pooled, x, k.outputView.extent[0], s.vector);
  }
  task = n;
  Var row = parallelOuter(pooled, s, y, n, k.outputView.extent[1], kFusedRowBands, &task);
  conv.store_at(pooled, task).compute_at(pooled, row);
  // A pooled row reads K conv rows: a ring of them is all the storage the slide needs (Halide does
  // not fold it itself, as the clamped taps hide the constant footprint).
  int rows = 1;
  while (rows < static_cast<int>(k.node->attrInt("output_maxpool"))) rows *= 2;
  conv.fold_storage(conv.args()[1], rows);
  return row;
}

/// Whether a tile's accumulators stay in registers from the bias to the epilogue, rather than a row of
/// them in a buffer the input-channel chunks return to: where the sum is one chunk (the default for
/// channels-last convs, registerTileChunk in Kernel.cpp) the buffer only costs, every accumulator
/// stored after each chunk and loaded again by the epilogue (over 16 input channels, as many memory
/// operations as multiply-adds). Stored channels-last, a tile is whole vectors of the output.
bool registerTile(const Kernel &k, int groupIn) {
  return channelsLast(k.outputView) && groupIn <= k.schedule.chunkInputs && ConvParams::of(*k.node).outputMaxPool == 0;
}

/// GPU: a thread per output channel of s.gpuChannels (consecutive threads read consecutive packed
/// weights) and per s.gpuPixels pixels of a row, whose sums stay in its registers; a thread block is
/// those channels by s.gpuRowThreads such runs of pixels, the grid spans row segments, rows and channel
/// blocks, and the batch is a loop of launches. Ragged edges are guarded, not padded: the output has
/// its own extents on the device. Returns the innermost block loop and the innermost thread loop (to
/// compute a block's and a thread's own producers at).
struct GpuLoops {
  Var block, thread;
};
GpuLoops gpuTiles(Func f, const Schedule &s) {
  Var x = f.args()[0], y = f.args()[1], c = f.args()[2], n = f.args()[3];
  Var co("co"), ci("ci"), xo("xo"), xt("xt"), xp("xp");
  f.split(c, co, ci, s.gpuChannels, TailStrategy::GuardWithIf)
      .split(x, xo, xt, s.gpuPixels * s.gpuRowThreads, TailStrategy::GuardWithIf)
      .split(xt, xt, xp, s.gpuPixels, TailStrategy::GuardWithIf)
      .reorder(xp, ci, xt, xo, y, co, n)
      .gpu_blocks(xo, y, co)
      .gpu_threads(ci, xt)
      .unroll(xp);
  return {xo, ci};
}

/// The conv on a GPU: each thread accumulates its pixels over the input channels and the window
/// (producers the schedule does not name, such as the zero-padded input and a fused source, are
/// computed where each tap reads them). A fused output pool reads the conv's output from a buffer of
/// its own, computed first.
///
/// gpu_shared=true (after apps/conv_layer's CUDA schedule): the block walks the input channels chunk_i
/// at a time; each chunk's input tile (every pixel the block's taps read; a fused source's values
/// computed once per block, not at every tap of every thread) is loaded into shared memory by all the
/// block's threads together, columns by channels, then read by its gpu_c channel threads. The block's
/// sums live in shared memory too: Halide 14 gives a block-level Func stored in registers to every
/// thread whole (120 floats a thread for an 8x15 block, seen in the lowered code), where
/// apps/conv_layer's one-warp blocks (gpu_lanes) get a thread's share; that form is left to try.
void scheduleConvGpu(Func result, Func out, Func acc, Func input, RDom r, int groupIn, const Schedule &s) {
  if (result.name() != out.name()) {
    out.compute_root();
    gpuTiles(result, s);
  }
  GpuLoops loops = gpuTiles(out, s);
  Var c = acc.args()[0], x = acc.args()[1], y = acc.args()[2], n = acc.args()[3];
  if (!s.gpuSharedInput) {
    acc.compute_at(out, loops.thread).unroll(x);
    acc.update().reorder(x, r.x, r.y, r.z).unroll(x);
    return;
  }
  Var cb("cb"), ct("ct"), xt("xt"), xp("xp");
  RVar rxo("rxo"), rxi("rxi");
  acc.compute_at(out, loops.block);
  acc.split(c, cb, ct, s.gpuChannels, TailStrategy::GuardWithIf)
      .split(x, xt, xp, s.gpuPixels, TailStrategy::GuardWithIf)
      .reorder(xp, ct, xt, cb, y, n)
      .gpu_threads(ct, xt)
      .unroll(xp);
  acc.update()
      .split(r.x, rxo, rxi, std::min(s.chunkInputs, groupIn))  // whole chunks (scheduleProblem): a tile never reads past them
      .split(c, cb, ct, s.gpuChannels, TailStrategy::GuardWithIf)
      .split(x, xt, xp, s.gpuPixels, TailStrategy::GuardWithIf)
      .reorder(xp, r.y, r.z, rxi, ct, xt, rxo, cb, y, n)
      .gpu_threads(ct, xt)
      .unroll(xp);
  Func tile = input.in(acc);
  std::vector<Var> a = tile.args();  // x, y, c, n: columns and channels dealt out to the block's threads
  Var xo("tile_xo"), co("tile_co"), t0("t0"), t1("t1");
  tile.compute_at(acc, rxo)
      .reorder(a[0], a[2], a[1], a[3])
      .split(a[0], xo, t0, s.gpuChannels, TailStrategy::GuardWithIf)
      .split(a[2], co, t1, s.gpuRowThreads, TailStrategy::GuardWithIf)
      .reorder(t0, t1, xo, co, a[1], a[3])
      .gpu_threads(t0, t1);
}

}  // namespace

Func generateConv(const Kernel &k, const std::vector<ImageParam> &p) {
  if (k.schedule.winograd) return generateWinogradConv(k, p);
  if (isDepthwise(k) && !k.schedule.gpu) return generateDepthwiseConv(k, p);
  ConvParams cp = ConvParams::of(*k.node);
  const OperandView &in = k.inputViews[0];
  const Window2d &w = cp.win;
  ImageParam weight = learned(k, p, Param::ConvWeight);
  Var x("x"), y("y"), c("c"), n("n");

  const Schedule &s = k.schedule;
  // The innermost loop must read the input without bounds checks. Unpadded layers read it directly:
  // the last tile of a row shifts inwards instead of overhanging the edge. Padded ones (and rows
  // narrower than a tile) read a zero-padded copy stored once per call, which costs one pass over
  // the input against the K multiply-adds each of its values feeds. A fused reduce is its own padding.
  const Dims convShape = convOutputShape(*k.node);  // N,C,H,W before a fused output pool
  const int outWidth = static_cast<int>(convShape[3]), outHeight = static_cast<int>(convShape[2]);
  bool unpadded = w.ph == 0 && w.pw == 0 && w.phEnd == 0 && w.pwEnd == 0;
  int rowWidth = (outWidth + s.tileWidth - 1) / s.tileWidth * s.tileWidth;  // whole tiles
  bool direct = unpadded && rowWidth == outWidth;
  Source source = convSource(k, cp, p);
  bool pad = !direct && !source.reduced, copy = pad && !k.schedule.gpu;  // a GPU thread reads the padded view where it needs it
  Func padded = pad ? BoundaryConditions::constant_exterior(source.func, 0.0f, {{0, in.extent[0]}, {0, in.extent[1]}}) : source.func;
  int channelsIn = cp.reduce > 0 ? static_cast<int>(cp.reduce) : in.extent[2];
  int groupIn = channelsIn / static_cast<int>(cp.groups), groupOut = static_cast<int>(cp.out / cp.groups);
  RDom r(0, groupIn, 0, static_cast<int>(w.kw), 0, static_cast<int>(w.kh), "r");  // ci within the group, kx, ky
  // Output channel c reads input group c / groupOut (clamped: padded channels past the last group
  // have zero weights but must still read in bounds).
  Expr inChannel = cp.groups == 1 ? Expr(r.x) : min(c / groupOut, static_cast<int>(cp.groups) - 1) * groupIn + r.x;
  Func acc("acc");
  acc(c, x, y, n) = cp.bias ? learned(k, p, Param::ConvBias)(c) : 0.0f;
  // Weights are stored a channel block at a time (packParam, weightBlock). When one block holds every
  // output channel (always under an autoscheduler) they are indexed plainly: an autoscheduler's own
  // splits of c would turn c % B into gathers.
  const int block = weightBlock(*k.node, s);
  const bool oneBlock = block >= cp.out;
  Expr inBlock = oneBlock ? Expr(c) : c % block, blockOf = oneBlock ? Expr(0) : c / block;
  acc(c, x, y, n) += weight(inBlock, r.x, r.y + static_cast<int>(w.kw) * r.z, blockOf) *
                     padded(x * static_cast<int>(w.sw) + r.y * static_cast<int>(w.dw) - static_cast<int>(w.pw),
                            y * static_cast<int>(w.sh) + r.z * static_cast<int>(w.dh) - static_cast<int>(w.ph), inChannel, n);
  Func out("conv");
  out(x, y, c, n) = convEpilogue(cp, p, acc(c, x, y, n), x, y, c, n);
  const bool pooling = cp.outputMaxPool > 0;
  Func result = pooling ? pooledOutput(cp, out, outWidth, outHeight) : out;
  if (!s.autoscheduler.empty()) return result;  // the algorithm only: an autoscheduler schedules it (codegen/Autoschedule.cpp)
  if (k.schedule.gpu) {
    scheduleConvGpu(result, out, acc, padded, r, groupIn, s);
    return result;
  }

  Var co("co"), ci("ci"), xo("xo"), xi("xi");
  // Small maps: tasks are channel blocks with every row inside, so each block's weights are read once
  // per image rather than once per row.
  int blocks = (static_cast<int>(cp.out) + s.channelBlock() - 1) / s.channelBlock();
  bool blockTasks = s.blockTasks && !source.fused() && !pooling;
  // The accumulators hold vectors of channels: stored channels-last they are whole vectors of the
  // output; in N,C,H,W each row of pixels gathers one lane from each of them.
  out.split(c, co, ci, s.channelBlock(), TailStrategy::GuardWithIf);
  if (channelsLast(k.outputView)) {
    out.reorder(ci, x, blockTasks ? y : co, blockTasks ? co : y, n).vectorize(ci, s.vector);
    if (pooling) out.reorder_storage(c, x, y, n);  // the pool's taps read whole vectors of channels
  } else {
    out.reorder(x, ci, blockTasks ? y : co, blockTasks ? co : y, n);
    vectorizeRow(out, x, outWidth, s.vector);
  }
  Var tile = blockTasks ? y : co;  // the loop one accumulator row belongs to
  // A conv that computes its input itself (or whose output a fused pool reads) runs few tasks of many
  // rows (kFusedRowBands), within which the rows slide down, each computed once; each task recomputes
  // only the halo rows.
  Var task = n, row = y;
  if (pooling) schedulePooledOutput(result, out, k, task);
  else if (blockTasks) parallelOuter(out, s, co, n, blocks);
  else row = parallelOuter(out, s, y, n, outHeight, source.fused() && !copy ? kFusedRowBands : kParallelTasks, &task);
  scheduleSource(source, padded, copy, s, channelsLast(in), out, row, task);
  // The accumulator tile always has its full extent: packed weights are padded to whole channel
  // blocks and the padded input reads 0 past the right edge, so the tile can be fully unrolled.
  if (registerTile(k, groupIn)) {
    // One chunk of input channels: each tile's accumulators stay in registers over the whole sum and
    // the epilogue writes them out from there.
    out.split(x, xo, xi, s.tileWidth, TailStrategy::ShiftInwards).unroll(ci).unroll(xi);
    acc.compute_at(out, xo).bound_extent(c, s.channelBlock());
    acc.vectorize(c, s.vector).unroll(c).unroll(x);
    acc.update().reorder(c, x, y, r.x, r.y, r.z, n).vectorize(c, s.vector).unroll(c).unroll(x).unroll(y);
    return result;
  }
  // One output row of one channel block accumulates in a small buffer, input channels in chunks: the
  // weights of a chunk (chunk x taps x block) stay in L1 while every tile of the row uses them.
  acc.compute_at(out, tile).bound_extent(c, s.channelBlock()).bound(x, 0, rowWidth);
  acc.vectorize(c, s.vector).unroll(c);
  RVar rxo("rxo"), rxi("rxi");
  // Few input channels (conv1: 3): a tile would reload its accumulators every few multiply-adds, so
  // a window row of taps runs inside the tile too.
  Stage update = acc.update().split(x, xo, xi, s.tileWidth);
  if (groupIn < s.chunkInputs) update.reorder(c, xi, y, r.x, r.y, xo, r.z, n);
  else update.split(r.x, rxo, rxi, s.chunkInputs).reorder(c, xi, y, rxi, xo, rxo, r.y, r.z, n);
  update.vectorize(c, s.vector)
      .unroll(c)
      .unroll(xi)
      .unroll(y);
  return result;
}

}  // namespace deeper::codegen
