// Convolution with its bias and relu epilogue, after apps/conv_layer: a register tile of
// tile_c x vector output channels by tile_x output pixels accumulates over input channels and the
// kernel window; each input value is broadcast against a vector of packed weights
// (packed as [I][KH][KW][O padded], so a vector of output channels is one contiguous load).
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateConv(const Kernel &k, const std::vector<ImageParam> &p) {
  ConvParams cp = ConvParams::of(*k.node);
  const OperandView &in = k.inputViews[0];
  const Window2d &w = cp.win;
  ImageParam input = p[0], weight = p[1];
  Var x("x"), y("y"), c("c"), n("n");

  const Schedule &s = k.schedule;
  // The innermost loop must read the input without bounds checks. Unpadded layers read it directly:
  // the last tile of a row shifts inwards instead of overhanging the edge. Padded ones (and rows
  // narrower than a tile) read a zero-padded copy stored once per call, which costs one pass over
  // the input against the K multiply-adds each of its values feeds.
  int outWidth = k.outputView.extent[0];
  bool unpadded = w.ph == 0 && w.pw == 0 && w.phEnd == 0 && w.pwEnd == 0;
  bool direct = unpadded && outWidth >= s.tileWidth;
  Func padded = direct ? Func(input) : BoundaryConditions::constant_exterior(input, 0.0f, {{0, in.extent[0]}, {0, in.extent[1]}});
  int groupIn = in.extent[2] / static_cast<int>(cp.groups), groupOut = static_cast<int>(cp.out / cp.groups);
  RDom r(0, groupIn, 0, static_cast<int>(w.kw), 0, static_cast<int>(w.kh), "r");  // ci within the group, kx, ky
  // Output channel c reads input group c / groupOut (clamped: padded channels past the last group
  // have zero weights but must still read in bounds).
  Expr inChannel = cp.groups == 1 ? Expr(r.x) : min(c / groupOut, static_cast<int>(cp.groups) - 1) * groupIn + r.x;
  Func acc("acc");
  acc(c, x, y, n) = cp.bias ? p[2](c) : 0.0f;
  acc(c, x, y, n) += weight(c, r.y, r.z, r.x) *
                     padded(x * static_cast<int>(w.sw) + r.y * static_cast<int>(w.dw) - static_cast<int>(w.pw),
                            y * static_cast<int>(w.sh) + r.z * static_cast<int>(w.dh) - static_cast<int>(w.ph), inChannel, n);
  Func out("conv");
  out(x, y, c, n) = cp.relu ? max(acc(c, x, y, n), 0.0f) : acc(c, x, y, n);

  Var co("co"), ci("ci"), xo("xo"), xi("xi");
  out.split(c, co, ci, s.channelBlock(), TailStrategy::GuardWithIf)
      .split(x, xo, xi, s.tileWidth, direct ? TailStrategy::ShiftInwards : TailStrategy::GuardWithIf)
      .reorder(xi, ci, xo, co, y, n)
      .unroll(xi);
  parallelOuter(out, s, y, n, k.outputView.extent[1]);
  // The accumulator tile always has its full extent: packed weights are padded to whole channel
  // blocks and the padded input reads 0 past the right edge, so the tile can be fully unrolled.
  if (!direct) {
    std::vector<Var> dims = padded.args();
    padded.compute_root().parallel(dims[2]).vectorize(dims[0], s.vector, TailStrategy::GuardWithIf);
  }
  acc.compute_at(out, xo).bound_extent(c, s.channelBlock()).bound_extent(x, s.tileWidth);
  acc.vectorize(c, s.vector).unroll(c).unroll(x).unroll(y);
  acc.update().reorder(c, x, y, r.x, r.y, r.z, n).vectorize(c, s.vector).unroll(c).unroll(x).unroll(y);
  return out;
}

}  // namespace deeper::codegen
