// A 3x3 stride-1 convolution as Winograd F(2x2,3x3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016): each 2x2 tile of outputs comes from a 4x4 tile of inputs with 16
// multiply-adds per input channel instead of 36.
//
//   input tile d (4x4, one channel)   V = B^T d B       (adds only, per input channel)
//   weights g (3x3, per o, i)         U = G g G^T       (once, when the weights are packed)
//   for each of the 16 positions:     M = sum_i U V     (a matrix product over input channels)
//   output tile (2x2)                 Y = A^T M A       (adds only, per output channel)
//
// The matrix products are where the time goes; they run like the direct conv's inner loop: a
// register tile of tile_c vectors of output channels by tile_x tiles accumulates over the input
// channels, each V value broadcast against a vector of U. Tasks are rows of tiles (large maps) or
// blocks of output channels with every tile inside (block_tasks: small maps, each block's U read once).
#include "codegen/Generators.h"

#include <array>

namespace deeper {

namespace {

const double kG[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

}  // namespace

void packWinogradWeights(const Tensor &weights, int64_t padded, Tensor &packed) {
  const Dims &s = weights.shape;  // O, I, 3, 3
  DEEPER_CHECK(s.size() == 4 && s[2] == 3 && s[3] == 3, "Winograd F(2x2,3x3) packs 3x3 weights, not {}", dimsString(s));
  for (int64_t o = 0; o < s[0]; ++o)
    for (int64_t i = 0; i < s[1]; ++i) {
      const float *g = &weights.data[static_cast<size_t>((o * s[1] + i) * 9)];  // g[ky * 3 + kx]
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) {
          double u = 0;
          for (int kx = 0; kx < 3; ++kx)
            for (int ky = 0; ky < 3; ++ky) u += kG[a][kx] * g[ky * 3 + kx] * kG[b][ky];
          packed.data[static_cast<size_t>(((a + 4 * b) * s[1] + i) * padded + o)] = static_cast<float>(u);
        }
    }
}

}  // namespace deeper

namespace deeper::codegen {

using namespace Halide;

namespace {

/// (B^T v)[a] for the 4 values of a tile along one axis.
Expr inputTransform(const Expr &a, const std::array<Expr, 4> &v) {
  return mux(a, {v[0] - v[2], v[1] + v[2], v[2] - v[1], v[1] - v[3]});
}

/// (A^T m)[p] for the 4 values of a tile along one axis.
Expr outputTransform(const Expr &p, const std::array<Expr, 4> &m) { return mux(p, {m[0] + m[1] + m[2], m[1] - m[2] - m[3]}); }

}  // namespace

Func generateWinogradConv(const Kernel &k, const std::vector<ImageParam> &p) {
  ConvParams cp = ConvParams::of(*k.node);
  DEEPER_CHECK(cp.winogradApplies(), "'{}': winograd=true in the schedule of a conv Winograd F(2x2,3x3) cannot compute", k.node->name);
  const OperandView &in = k.inputViews[0];
  const Schedule &s = k.schedule;
  int width = k.outputView.extent[0], height = k.outputView.extent[1];
  int tilesX = (width + 1) / 2, tilesY = (height + 1) / 2;
  Var x("x"), y("y"), c("c"), n("n"), a("a"), b("b"), j("j"), tx("tx"), ty("ty");

  // V = B^T d B, d the 4x4 input tile whose top left is (2tx - 1, 2ty - 1): first along x, then y.
  Func padded = BoundaryConditions::constant_exterior(p[0], 0.0f, {{0, in.extent[0]}, {0, in.extent[1]}});
  auto d = [&](int i) { return padded(2 * tx - 1 + i, 2 * ty - 1 + j, c, n); };
  Func rows("wino_rows"), V("wino_in");
  rows(c, a, j, tx, ty, n) = inputTransform(a, {d(0), d(1), d(2), d(3)});
  auto row = [&](int jj) { return rows(c, a, jj, tx, ty, n); };
  V(c, a, b, tx, ty, n) = inputTransform(b, {row(0), row(1), row(2), row(3)});

  // M = U V at each of the 16 positions, over the input channels.
  RDom ri(0, in.extent[2], "ri");
  Func M("wino_acc");
  M(c, a, b, tx, ty, n) = 0.0f;
  M(c, a, b, tx, ty, n) += p[1](c, ri, a + 4 * b) * V(ri, a, b, tx, ty, n);

  // Y = A^T M A, plus bias and relu, at output pixel (x, y) of tile (x / 2, y / 2).
  Var px("px"), py("py");
  Func cols("wino_cols");
  auto m = [&](int aa) { return M(c, aa, b, tx, ty, n); };
  cols(c, px, b, tx, ty, n) = outputTransform(px, {m(0), m(1), m(2), m(3)});
  auto col = [&](Expr px, int bb) { return cols(c, px, bb, x / 2, y / 2, n); };
  Expr value = outputTransform(y % 2, {col(x % 2, 0), col(x % 2, 1), col(x % 2, 2), col(x % 2, 3)}) + (cp.bias ? p[2](c) : 0.0f);
  Func out("conv");
  out(x, y, c, n) = cp.relu ? max(value, 0.0f) : value;

  // Output pixels in 2x2 tiles (unrolled, so x % 2 and y % 2 are constants), channels in blocks.
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), co("co"), ci("ci");
  out.split(x, xo, xi, 2, TailStrategy::GuardWithIf)
      .split(y, yo, yi, 2, TailStrategy::GuardWithIf)
      .split(c, co, ci, s.channelBlock(), TailStrategy::GuardWithIf);
  int blocks = static_cast<int>((cp.out + s.channelBlock() - 1) / s.channelBlock());
  Var block = co;  // one channel block's loop
  if (s.blockTasks) {
    out.reorder(ci, xi, yi, xo, yo, co, n);
    block = parallelOuter(out, s, co, n, blocks);
  } else {
    out.reorder(ci, xi, yi, xo, co, yo, n);
    Var task;
    Var tileRow = parallelOuter(out, s, yo, n, tilesY, kParallelTasks, &task);
    V.compute_at(out, tileRow);
  }
  out.vectorize(ci, s.vector).unroll(xi).unroll(yi);
  if (s.blockTasks) V.compute_root().parallel(ty);
  rows.compute_at(V, tx).vectorize(c, s.vector, TailStrategy::GuardWithIf).unroll(a).unroll(j);
  V.vectorize(c, s.vector, TailStrategy::GuardWithIf).unroll(a).unroll(b);

  // The accumulators of a channel block: all tiles of the task's tile row, or of the image (block
  // tasks); tile_x tiles of tile_c vectors at a time, over every input channel, per position.
  M.compute_at(out, block).bound_extent(c, s.channelBlock());
  M.vectorize(c, s.vector).unroll(c);
  Var t("t"), to("to"), ti("ti");
  Stage update = M.update();
  int tiles = tilesX;
  if (s.blockTasks) {
    update.fuse(tx, ty, t);
    tiles = tilesX * tilesY;
  } else {
    t = tx;
  }
  int tileWidth = tileWidthFor(tiles, s.tileWidth);
  update.split(t, to, ti, tileWidth, TailStrategy::RoundUp)
      .reorder(c, ti, ri, to, a, b, n)
      .vectorize(c, s.vector)
      .unroll(c)
      .unroll(ti);
  return out;
}

}  // namespace deeper::codegen
