// conv_transpose, gathered. The reference scatters: input pixel (ix, iy) adds weight times its value
// to output pixel (ix * sw - pw + kx * dw, ...). Turned around, output pixel (x, y) of channel c sums,
// over its group's input channels and the taps (kx, ky), the input pixel
//     ix = (x + pw - kx * dw) / sw,  iy = (y + ph - ky * dh) / sh
// where both divisions are exact and land inside the input; so every output is written once, by
// one task, and no two tasks race.
//
// The schedule: vectors along x; a tap's test holds for one x in sw, so at stride 2 three of four
// products are discarded (select), the price of vectors without a loop per stride phase. Tasks are
// the output channels of each sample.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateConvTranspose(const Kernel &k, const std::vector<ImageParam> &p) {
  ConvTransposeParams ct = ConvTransposeParams::of(*k.node);
  const Window2d &w = ct.win;
  const Dims &in = k.node->inputs()[0]->shape;
  const int width = static_cast<int>(in[3]), height = static_cast<int>(in[2]);
  const int groupIn = static_cast<int>(in[1] / ct.groups), groupOut = static_cast<int>(ct.out / ct.groups);
  ImageParam weight = learned(k, p, Param::ConvTransposeWeight);  // [I, O/groups, KH, KW]: Halide (kx, ky, o, i)

  // The algorithm.
  Var x("x"), y("y"), c("c"), n("n");
  RDom r(0, groupIn, 0, static_cast<int>(w.kh), 0, static_cast<int>(w.kw), "r");
  Expr tx = x + static_cast<int>(w.pw) - r.z * static_cast<int>(w.dw), ty = y + static_cast<int>(w.ph) - r.y * static_cast<int>(w.dh);
  Expr ix = tx / static_cast<int>(w.sw), iy = ty / static_cast<int>(w.sh);  // Halide's division rounds down
  Expr hit = tx % static_cast<int>(w.sw) == 0 && ty % static_cast<int>(w.sh) == 0 && tx >= 0 && ty >= 0 && ix < width && iy < height;
  Expr ic = c / groupOut * groupIn + r.x;  // input group g writes output group g
  Expr product = p[0](clamp(ix, 0, width - 1), clamp(iy, 0, height - 1), ic, n) * weight(r.z, r.y, c % groupOut, ic);
  Func acc("acc");
  acc(x, y, c, n) = ct.bias ? learned(k, p, Param::ConvTransposeBias)(c) : Expr(0.0f);
  acc(x, y, c, n) += select(hit, product, 0.0f);
  Func out("conv_transpose");
  out(x, y, c, n) = acc(x, y, c, n);
  if (k.schedule.gpu) {  // a thread per output, its sum in a register
    acc.compute_at(out, gpuPerElement(out, k.schedule));
    return out;
  }

  // The schedule: a vector of outputs accumulates in registers across the whole reduction. The
  // accumulator rounds its last vector up (its extra lanes read clamped pixels and are never
  // stored): guarding it as the output is guarded gave every output 0 where the last vector held a
  // single pixel (17 or 33 wide; Halide 14; found by the differential test, seed 422).
  const int lanes = k.schedule.vector;
  Var xo("xo"), xi("xi");
  out.split(x, xo, xi, lanes, TailStrategy::GuardWithIf).vectorize(xi);
  if (k.schedule.parallel) out.parallel(c);
  acc.compute_at(out, xo).vectorize(x, lanes, TailStrategy::RoundUp);
  acc.update().reorder(x, r.x, r.z, r.y).vectorize(x, lanes, TailStrategy::RoundUp);
  return out;
}

}  // namespace deeper::codegen
