// Max and average pooling with Caffe semantics: ceil-mode windows clipped to the input; max never
// selects padding; average divides by the window clipped to the padded input.
#include "codegen/Generators.h"

#include <limits>

namespace deeper::codegen {

using namespace Halide;

namespace {

/// Windows of more taps than this keep the separable form, which reads kw + kh values per output
/// instead of kw * kh.
constexpr int64_t kMostDirectTaps = 25;

/// Whether every window of `count` outputs along an axis of `size` inputs overlaps the input.
bool everyWindowOverlaps(int64_t count, int64_t size, int64_t kernel, int64_t stride, int64_t pad) {
  for (int64_t o = 0; o < count; ++o)
    if (o * stride - pad >= size || o * stride - pad + kernel - 1 < 0) return false;
  return true;
}

/// A max pool's window clipped to the input has the maximum of the window over clamped coordinates
/// when the window is contiguous (no dilation) and overlaps the input: a clamped tap repeats the edge
/// value, which the window holds anyway. Caffe's ceil mode makes every window overlap.
bool clampedMaxIsExact(const Kernel &k, const Window2d &w) {
  const OperandView &in = k.inputViews[0], &out = k.outputView;
  return k.node->op == OpKind::MaxPool && w.dw == 1 && w.dh == 1 && w.kw * w.kh <= kMostDirectTaps &&
         everyWindowOverlaps(out.extent[0], in.extent[0], w.kw, w.sw, w.pw) && everyWindowOverlaps(out.extent[1], in.extent[1], w.kh, w.sh, w.ph);
}

/// A channels-last max pool computed window by window: each output vector of channels is the maximum of
/// its kw*kh taps, read in place at clamped coordinates. No intermediate rows and no per-tap select:
/// the separable form's row buffer and boundary tests cost more than its saved taps on the GoogLeNet
/// maps (3x3 windows of 14x14 to 56x56 pixels, hundreds of channels).
Func directMaxPool(const Kernel &k, const ImageParam &input, const Window2d &w) {
  const OperandView &in = k.inputViews[0];
  Var x("x"), y("y"), c("c"), n("n");
  Func out("maxpool");
  out(x, y, c, n) = clampedWindowMax(input, w, in.extent[0], in.extent[1], x, y, c, n);
  out.reorder(c, x, y, n);
  vectorizeRow(out, c, k.outputView.extent[2], k.schedule.vector);
  parallelOuter(out, k.schedule, y, n, k.outputView.extent[1]);
  return out;
}

/// An average over each whole plane stored N,C,H,W (ONNX's GlobalAveragePool; squeeze-and-excitation
/// reads one per block): each row summed in vectors along x into a vector of partial sums, the rows'
/// tails added one by one; tasks of planes. The separable path below would sum a vector of windows of
/// which one exists.
Func globalAveragePool(const Kernel &k, const ImageParam &input, int width, int height) {
  int lanes = 1;
  while (lanes * 2 <= std::min(width, k.schedule.vector)) lanes *= 2;
  const int whole = width / lanes;
  Var x("x"), y("y"), c("c"), n("n"), v("v");
  RDom r(0, whole, 0, height, "r");
  Func partial("pool_lanes");
  partial(v, c, n) = 0.0f;
  partial(v, c, n) += input(r.x * lanes + v, r.y, c, n);
  Expr total = 0.0f;
  for (int lane = 0; lane < lanes; ++lane) total += partial(lane, c, n);
  if (whole * lanes < width) {
    RDom tail(whole * lanes, width - whole * lanes, 0, height, "tail");
    total += sum(input(tail.x, tail.y, c, n));
  }
  Func out("avgpool");
  out(x, y, c, n) = total / static_cast<float>(width * height);
  Var plane = parallelOuter(out, k.schedule, c, n, k.outputView.extent[2]);
  partial.compute_at(out, plane).vectorize(v);
  partial.update().vectorize(v);
  return out;
}

bool isGlobalAverage(const Kernel &k, const PoolParams &pp, int width, int height) {
  const Window2d &w = pp.win;
  bool whole = w.kw == width && w.kh == height && w.dh == 1 && w.dw == 1;
  bool unpadded = w.ph == 0 && w.pw == 0 && w.phEnd == 0 && w.pwEnd == 0;
  return k.node->op == OpKind::AvgPool && whole && unpadded && !channelsLast(k.inputViews[0]);
}

}  // namespace

Func generatePool(const Kernel &k, const std::vector<ImageParam> &p) {
  PoolParams pp = PoolParams::of(*k.node);
  const Window2d &w = pp.win;
  const OperandView &in = k.inputViews[0];
  if (!k.schedule.gpu && channelsLast(in) && clampedMaxIsExact(k, w)) return directMaxPool(k, p[0], w);
  int width = in.extent[0], height = in.extent[1];
  if (!k.schedule.gpu && isGlobalAverage(k, pp, width, height)) return globalAveragePool(k, p[0], width, height);
  bool isMax = k.node->op == OpKind::MaxPool;
  Var x("x"), y("y"), c("c"), n("n");
  Func padded = BoundaryConditions::constant_exterior(p[0], isMax ? -std::numeric_limits<float>::infinity() : 0.0f,
                                                      {{0, width}, {0, height}});
  // Separable: reduce each window's rows first, then the column of row results. Per channel plane,
  // the padded input and the row results are stored once, so the inner loops read without bounds checks.
  RDom rx(0, static_cast<int>(w.kw), "rx"), ry(0, static_cast<int>(w.kh), "ry");
  Expr x0 = x * static_cast<int>(w.sw) - static_cast<int>(w.pw), y0 = y * static_cast<int>(w.sh) - static_cast<int>(w.ph);
  Expr tap = padded(x0 + rx * static_cast<int>(w.dw), y, c, n);
  Func rows("rows"), out(isMax ? "maxpool" : "avgpool");
  rows(x, y, c, n) = isMax ? maximum(tap) : sum(tap);
  Expr column = rows(x, y0 + ry * static_cast<int>(w.dh), c, n);
  if (isMax) {
    out(x, y, c, n) = maximum(column);
  } else {
    Expr x1 = min(x0 + static_cast<int>(w.kw), width + static_cast<int>(w.pwEnd));
    Expr y1 = min(y0 + static_cast<int>(w.kh), height + static_cast<int>(w.phEnd));
    Expr count = (x1 - x0) * (y1 - y0);
    if (pp.excludePad) count = (min(x1, width) - max(x0, 0)) * (min(y1, height) - max(y0, 0));
    out(x, y, c, n) = sum(column) / cast<float>(count);
  }
  if (k.schedule.gpu) {  // a thread per output, reducing its own window (rows and padding inline)
    gpuPerElement(out, k.schedule);
    return out;
  }
  if (channelsLast(in)) {
    // Vectors of channels, tasks of output rows; within a task the window rows slide down, each
    // reduced once, read where they are (the edge test is per pixel, not per lane).
    out.reorder(c, x, y, n);
    vectorizeRow(out, c, k.outputView.extent[2], k.schedule.vector);
    Var task = n, row = parallelOuter(out, k.schedule, y, n, k.outputView.extent[1], kParallelTasks, &task);
    rows.store_at(out, task).compute_at(out, row);
    channelsInnermost(rows, k.schedule.vector);
    return out;
  }
  vectorizeRow(out, x, k.outputView.extent[0], k.schedule.vector);
  Var plane = parallelOuter(out, k.schedule, c, n, k.outputView.extent[2]);
  // Stages inside a plane may compute a little past the row (RoundUp): their buffers grow to fit.
  rows.compute_at(out, plane).vectorize(x, k.schedule.vector, TailStrategy::RoundUp);
  padded.compute_at(out, plane).vectorize(padded.args()[0], k.schedule.vector, TailStrategy::RoundUp);
  return out;
}

}  // namespace deeper::codegen
