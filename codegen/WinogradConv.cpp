// A 3x3 stride-1 convolution as Winograd F(MxM,3x3), M = 2 or 4 (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): each MxM tile of outputs comes from a TxT tile of inputs,
// T = M + 2, with T*T multiply-adds per input channel instead of 9*M*M: 16 instead of 36 (2.25x
// fewer) for F(2x2,3x3), 36 instead of 144 (4x fewer) for F(4x4,3x3), whose larger transforms cost
// more adds and round a little more (its constants reach 8 and 1/24).
//
//   input tile d (TxT, one channel)   V = B^T d B       (adds only, per input channel)
//   weights g (3x3, per o, i)         U = G g G^T       (once, when the weights are packed)
//   for each of the T*T positions:    M = sum_i U V     (a matrix product over input channels)
//   output tile (MxM)                 Y = A^T M A       (adds only, per output channel)
//
// The matrix products are where the time goes; they run like the direct conv's inner loop: a
// register tile of tile_c vectors of output channels by tile_x tiles accumulates over the input
// channels, each V value broadcast against a vector of U. Tasks are rows of tiles (large maps) or
// blocks of output channels with every tile inside (block_tasks: small maps, each block's U read once).
#include "codegen/Generators.h"

#include <vector>

namespace deeper {

namespace {

using Matrix = std::vector<std::vector<double>>;

/// B^T, G and A^T of F(MxM,3x3) (Lavin & Gray; interpolation points 0, 1, -1 for M = 2 and
/// additionally 2, -2 for M = 4).
struct WinogradMatrices {
  Matrix BT, G, AT;
};

const WinogradMatrices &winogradMatrices(int m) {
  static const WinogradMatrices f2{
      {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
      {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
      {{1, 1, 1, 0}, {0, 1, -1, -1}}};
  static const WinogradMatrices f4{
      {{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}},
      {{1.0 / 4, 0, 0},
       {-1.0 / 6, -1.0 / 6, -1.0 / 6},
       {-1.0 / 6, 1.0 / 6, -1.0 / 6},
       {1.0 / 24, 1.0 / 12, 1.0 / 6},
       {1.0 / 24, -1.0 / 12, 1.0 / 6},
       {0, 0, 1}},
      {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
  DEEPER_CHECK(m == 2 || m == 4, "Winograd F({0}x{0},3x3) is not implemented; M is 2 or 4", m);
  return m == 2 ? f2 : f4;
}

}  // namespace

void packWinogradWeights(const Tensor &weights, int tile, int64_t block, Tensor &packed) {
  const Dims &s = weights.shape;  // O, I, 3, 3
  DEEPER_CHECK(s.size() == 4 && s[2] == 3 && s[3] == 3, "Winograd F(MxM,3x3) packs 3x3 weights, not {}", dimsString(s));
  const Matrix &G = winogradMatrices(tile).G;
  const int t = tile + 2;
  for (int64_t o = 0; o < s[0]; ++o)
    for (int64_t i = 0; i < s[1]; ++i) {
      const float *g = &weights.data[static_cast<size_t>((o * s[1] + i) * 9)];  // g[ky * 3 + kx]
      for (int a = 0; a < t; ++a)
        for (int b = 0; b < t; ++b) {
          double u = 0;
          for (int kx = 0; kx < 3; ++kx)
            for (int ky = 0; ky < 3; ++ky) u += G[a][kx] * g[ky * 3 + kx] * G[b][ky];
          packed.data[static_cast<size_t>(blockedOffset(o, (a + t * b) * s[1] + i, t * t * s[1], block))] = static_cast<float>(u);
        }
    }
}

}  // namespace deeper

namespace deeper::codegen {

using namespace Halide;

namespace {

/// Row `r` of `matrix` times the column `v`, written without multiplying by 0 or +-1.
Expr rowTimes(const std::vector<double> &r, const std::vector<Expr> &v) {
  Expr sum;
  for (size_t k = 0; k < r.size(); ++k) {
    if (r[k] == 0) continue;
    Expr term = r[k] == 1 || r[k] == -1 ? v[k] : static_cast<float>(std::abs(r[k])) * v[k];
    bool negative = r[k] < 0;
    sum = !sum.defined() ? (negative ? -term : term) : (negative ? sum - term : sum + term);
  }
  return sum;
}

/// (matrix v)[row] for a Var or constant `row`: one expression per row, chosen by `row` (unrolled, so
/// each is a constant choice).
Expr transform(const Matrix &matrix, const Expr &row, const std::vector<Expr> &v) {
  std::vector<Expr> rows;
  for (const std::vector<double> &r : matrix) rows.push_back(rowTimes(r, v));
  return mux(row, rows);
}

}  // namespace

Func generateWinogradConv(const Kernel &k, const std::vector<ImageParam> &p) {
  ConvParams cp = ConvParams::of(*k.node);
  const Schedule &s = k.schedule;
  DEEPER_CHECK(cp.winogradApplies(), "'{}': winograd={} in the schedule of a conv Winograd cannot compute", k.node->name, s.winograd);
  const WinogradMatrices &f = winogradMatrices(s.winograd);
  const int m = s.winograd, t = m + 2;
  const OperandView &in = k.inputViews[0];
  int width = k.outputView.extent[0], height = k.outputView.extent[1];
  int tilesX = (width + m - 1) / m, tilesY = (height + m - 1) / m;
  Var x("x"), y("y"), c("c"), n("n"), a("a"), b("b"), j("j"), tx("tx"), ty("ty");
  auto values = [&](auto at) {
    std::vector<Expr> v;
    for (int i = 0; i < t; ++i) v.push_back(at(i));
    return v;
  };

  // V = B^T d B, d the TxT input tile whose top left is (M tx - 1, M ty - 1): first along x, then y.
  Func padded = BoundaryConditions::constant_exterior(p[0], 0.0f, {{0, in.extent[0]}, {0, in.extent[1]}});
  Func rows("wino_rows"), V("wino_in");
  rows(c, a, j, tx, ty, n) = transform(f.BT, a, values([&](int i) { return padded(m * tx - 1 + i, m * ty - 1 + j, c, n); }));
  V(c, a, b, tx, ty, n) = transform(f.BT, b, values([&](int jj) { return rows(c, a, jj, tx, ty, n); }));

  // M = U V at each of the T*T positions, over the input channels.
  RDom ri(0, in.extent[2], "ri");
  Func M("wino_acc");
  M(c, a, b, tx, ty, n) = 0.0f;
  const int channels = weightBlock(*k.node, s);  // U is stored a channel block at a time (packWinogradWeights)
  M(c, a, b, tx, ty, n) += learned(k, p, Param::ConvWeight)(c % channels, ri, a + t * b, c / channels) * V(ri, a, b, tx, ty, n);

  // Y = A^T M A, plus bias and relu, at output pixel (x, y) of tile (x / M, y / M).
  Var px("px");
  Func cols("wino_cols");
  cols(c, px, b, tx, ty, n) = transform(f.AT, px, values([&](int aa) { return M(c, aa, b, tx, ty, n); }));
  Expr value = transform(f.AT, y % m, values([&](int bb) { return cols(c, x % m, bb, x / m, y / m, n); })) + (cp.bias ? learned(k, p, Param::ConvBias)(c) : 0.0f);
  Func out("conv");
  out(x, y, c, n) = convEpilogue(cp, value);

  // Output pixels in MxM tiles (unrolled, so x % M and y % M are constants), channels in blocks.
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), co("co"), ci("ci");
  out.split(x, xo, xi, m, TailStrategy::GuardWithIf)
      .split(y, yo, yi, m, TailStrategy::GuardWithIf)
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
  Var tile("tile"), to("to"), ti("ti");
  Stage update = M.update();
  int tiles = tilesX;
  if (s.blockTasks) {
    update.fuse(tx, ty, tile);
    tiles = tilesX * tilesY;
  } else {
    tile = tx;
  }
  int tileWidth = tileWidthFor(tiles, s.tileWidth);
  update.split(tile, to, ti, tileWidth, TailStrategy::RoundUp)
      .reorder(c, ti, ri, to, a, b, n)
      .vectorize(c, s.vector)
      .unroll(c)
      .unroll(ti);
  return out;
}

}  // namespace deeper::codegen
