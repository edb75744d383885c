// A 3x3 or 5x5 stride-1 convolution as Winograd F(MxM,RxR) (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): each MxM tile of outputs comes from a TxT tile of inputs,
// T = M + R - 1, with T*T multiply-adds per input channel instead of R*R*M*M: F(2x2,3x3) 16 instead
// of 36 (2.25x fewer), F(4x4,3x3) 36 instead of 144 (4x fewer), F(2x2,5x5) 36 instead of 100 (2.8x
// fewer). Larger transforms cost more adds and round a little more (F(4x4,3x3)'s constants reach 8
// and 1/24; F(2x2,5x5) uses the same five points).
//
//   input tile d (TxT, one channel)   V = B^T d B       (adds only, per input channel)
//   weights g (RxR, per o, i)         U = G g G^T       (once, when the weights are packed)
//   for each of the T*T positions:    M = sum_i U V     (a matrix product over input channels)
//   output tile (MxM)                 Y = A^T M A       (adds only, per output channel)
//
// The matrix products are where the time goes; they run like the direct conv's inner loop: a
// register tile of tile_c vectors of output channels by tile_x tiles accumulates over the input
// channels, each V value broadcast against a vector of U. Tasks are rows of tiles (large maps) or
// blocks of output channels with every tile inside (block_tasks: small maps, each block's U read once).
#include "codegen/Generators.h"

#include <cmath>
#include <iterator>
#include <map>
#include <vector>

namespace deeper {

namespace {

using Matrix = std::vector<std::vector<double>>;

/// The Toom-Cook points F(M,R) interpolates at besides infinity: the first M + R - 2 of these.
/// Small integers first: their transforms multiply by small numbers and round least.
constexpr double kPoints[] = {0, 1, -1, 2, -2, 0.5, -0.5};

/// Coefficients (lowest power first, `size` of them) of the product of (x - p) over `points`.
std::vector<double> polynomialWithRoots(const std::vector<double> &points, size_t size) {
  std::vector<double> c(size, 0.0);
  c[0] = 1;
  for (double p : points)
    for (size_t k = size - 1; k < size; --k) c[k] = (k ? c[k - 1] : 0.0) - p * c[k];
  return c;
}

/// F(M,R) from its points a_0..a_{T-2} and infinity (Toom-Cook; Lavin & Gray's tables are these up
/// to the signs of rows): A^T[i][j] = a_j^i, G[j][k] = a_j^k / prod_{l!=j} (a_j - a_l), B^T's row j the
/// coefficients of prod_{l!=j} (x - a_l); infinity adds A^T's last column e_{M-1}, G's last row
/// e_{R-1} and B^T's last row prod_l (x - a_l).
WinogradMatrices tables(int m, int r) {
  const size_t t = static_cast<size_t>(m + r - 1), finite = t - 1;
  DEEPER_CHECK(finite <= std::size(kPoints), "Winograd F({0}x{0},{1}x{1}) needs more points than kPoints holds", m, r);
  std::vector<double> a(kPoints, kPoints + finite);
  WinogradMatrices f;
  f.BT.assign(t, std::vector<double>(t, 0.0));
  f.G.assign(t, std::vector<double>(static_cast<size_t>(r), 0.0));
  f.AT.assign(static_cast<size_t>(m), std::vector<double>(t, 0.0));
  for (size_t j = 0; j < finite; ++j) {
    std::vector<double> others;
    double scale = 1;
    for (size_t l = 0; l < finite; ++l)
      if (l != j) others.push_back(a[l]), scale *= a[j] - a[l];
    for (size_t i = 0; i < static_cast<size_t>(m); ++i) f.AT[i][j] = std::pow(a[j], static_cast<double>(i));
    for (size_t k = 0; k < static_cast<size_t>(r); ++k) f.G[j][k] = std::pow(a[j], static_cast<double>(k)) / scale;
    f.BT[j] = polynomialWithRoots(others, t);
  }
  f.AT[static_cast<size_t>(m) - 1][finite] = 1;
  f.G[finite][static_cast<size_t>(r) - 1] = 1;
  f.BT[finite] = polynomialWithRoots(a, t);
  return f;
}

}  // namespace

bool winogradTileApplies(int m, int r) { return (r == 3 && (m == 2 || m == 4)) || (r == 5 && m == 2); }

const WinogradMatrices &winogradMatrices(int m, int r) {
  DEEPER_CHECK(winogradTileApplies(m, r), "Winograd F({0}x{0},{1}x{1}) is not one of the tiles this compiler uses", m, r);
  static const std::map<std::pair<int, int>, WinogradMatrices> all = [] {
    std::map<std::pair<int, int>, WinogradMatrices> made;
    for (auto [m, r] : {std::pair{2, 3}, {4, 3}, {2, 5}}) made[{m, r}] = tables(m, r);
    return made;
  }();
  return all.at({m, r});
}

void packWinogradWeights(const Tensor &weights, int tile, int64_t block, Tensor &packed) {
  const Dims &s = weights.shape;  // O, I, R, R
  DEEPER_CHECK(s.size() == 4 && s[2] == s[3], "Winograd packs square filters, not {}", dimsString(s));
  const int r = static_cast<int>(s[2]), t = tile + r - 1;
  const Matrix &G = winogradMatrices(tile, r).G;
  for (int64_t o = 0; o < s[0]; ++o)
    for (int64_t i = 0; i < s[1]; ++i) {
      const float *g = &weights.data[static_cast<size_t>((o * s[1] + i) * r * r)];  // g[ky * R + kx]
      for (int a = 0; a < t; ++a)
        for (int b = 0; b < t; ++b) {
          double u = 0;
          for (int kx = 0; kx < r; ++kx)
            for (int ky = 0; ky < r; ++ky) u += G[a][kx] * g[ky * r + kx] * G[b][ky];
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

/// On a GPU, three launches: the input transform V (a thread per channel and tile, its TxT values
/// unrolled, the rows of B^T d in its registers), the products M (a thread per output channel and tile
/// at each of the TxT positions, summing over the input channels; blocks of gpu_c channels by gpu_tx
/// tiles of a row, as the direct conv's), and the output transform (a thread per channel and MxM
/// output tile, its column transforms in registers).
void scheduleWinogradGpu(Func out, Func V, Func rows, Func M, RDom ri, Func cols, int m, const Schedule &s) {
  const std::vector<Var> v = V.args();  // c, a, b, tx, ty, n
  Var cb("cb"), ct("ct"), xb("xb"), xt("xt"), ab("ab");
  V.compute_root()
      .reorder(v[1], v[2], v[0], v[3], v[4], v[5])
      .unroll(v[1])
      .unroll(v[2])
      .split(v[0], cb, ct, s.gpuChannels, TailStrategy::GuardWithIf)
      .split(v[3], xb, xt, s.gpuRowThreads, TailStrategy::GuardWithIf)
      .reorder(v[1], v[2], ct, xt, cb, xb, v[4], v[5])
      .gpu_threads(ct, xt)
      .gpu_blocks(cb, xb, v[4]);
  rows.compute_at(V, ct).unroll(rows.args()[1]).unroll(rows.args()[2]);
  Var blocks("blocks");  // the positions by the channel blocks: the grid has three dimensions
  M.compute_root();
  for (Stage stage : {Stage(M), M.update()}) {
    stage.fuse(v[1], v[2], ab)
        .split(v[0], cb, ct, s.gpuChannels, TailStrategy::GuardWithIf)
        .split(v[3], xb, xt, s.gpuRowThreads, TailStrategy::GuardWithIf)
        .reorder(ct, xt, xb, v[4], ab, cb, v[5])
        .fuse(ab, cb, blocks)
        .gpu_threads(ct, xt)
        .gpu_blocks(xb, v[4], blocks);
  }
  M.update().reorder(ri, ct);  // each thread's sum over the input channels
  const std::vector<Var> o = out.args();  // x, y, c, n
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi");
  out.split(o[0], xo, xi, m, TailStrategy::GuardWithIf)
      .split(o[1], yo, yi, m, TailStrategy::GuardWithIf)
      .split(o[2], cb, ct, s.gpuChannels, TailStrategy::GuardWithIf)
      .split(xo, xb, xt, s.gpuRowThreads, TailStrategy::GuardWithIf)
      .reorder(xi, yi, ct, xt, xb, yo, cb, o[3])
      .unroll(xi)
      .unroll(yi)
      .gpu_threads(ct, xt)
      .gpu_blocks(xb, yo, cb);
  cols.compute_at(out, ct).unroll(cols.args()[1]).unroll(cols.args()[2]);
}

}  // namespace

Func generateWinogradConv(const Kernel &k, const std::vector<ImageParam> &p) {
  ConvParams cp = ConvParams::of(*k.node);
  const Schedule &s = k.schedule;
  DEEPER_CHECK(cp.winogradApplies(), "'{}': winograd={} in the schedule of a conv Winograd cannot compute", k.node->name, s.winograd);
  const int m = s.winograd, r = static_cast<int>(cp.win.kh), t = m + r - 1, pad = static_cast<int>(cp.win.ph);
  const WinogradMatrices &f = winogradMatrices(m, r);
  const OperandView &in = k.inputViews[0];
  int width = k.outputView.extent[0], height = k.outputView.extent[1];
  int tilesX = (width + m - 1) / m, tilesY = (height + m - 1) / m;
  Var x("x"), y("y"), c("c"), n("n"), a("a"), b("b"), j("j"), tx("tx"), ty("ty");
  auto values = [&](auto at) {
    std::vector<Expr> v;
    for (int i = 0; i < t; ++i) v.push_back(at(i));
    return v;
  };

  // V = B^T d B, d the TxT input tile whose top left is (M tx - pad, M ty - pad): first along x, then y.
  Func padded = BoundaryConditions::constant_exterior(p[0], 0.0f, {{0, in.extent[0]}, {0, in.extent[1]}});
  Func rows("wino_rows"), V("wino_in");
  rows(c, a, j, tx, ty, n) = transform(f.BT, a, values([&](int i) { return padded(m * tx - pad + i, m * ty - pad + j, c, n); }));
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
  out(x, y, c, n) = convEpilogue(cp, p, value, x, y, c, n);

  if (s.gpu) {
    scheduleWinogradGpu(out, V, rows, M, ri, cols, m, s);
    return out;
  }

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
