// Fully connected layer: a vector of outputs per step, weights packed [O/B][I][B] (B = tile_c x vector)
// so that one input feature broadcasts against contiguous weights and a block's weights stream from
// memory in the order they are read; bias and relu in the epilogue.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateFc(const Kernel &k, const std::vector<ImageParam> &p) {
  FcParams fp = FcParams::of(*k.node);
  ImageParam input = p[0], weight = learned(k, p, Param::FcWeight);
  Var o("o"), n("n");
  RDom r(0, k.inputViews[0].extent[0], "r");
  Func acc("acc");
  acc(o, n) = fp.bias ? learned(k, p, Param::FcBias)(o) : 0.0f;
  const int outputsPerBlock = weightBlock(*k.node, k.schedule);  // weights are stored a block at a time (packParam)
  acc(o, n) += weight(o % outputsPerBlock, r, o / outputsPerBlock) * input(r, n);
  Func out("fc");
  out(o, n) = fp.relu ? max(acc(o, n), 0.0f) : acc(o, n);

  if (k.schedule.gpu) {  // a thread per output, its sum in a register
    acc.compute_at(out, gpuPerElement(out, k.schedule));
    return out;
  }
  const Schedule &s = k.schedule;
  Var oo("oo"), oi("oi");
  out.split(o, oo, oi, s.channelBlock(), TailStrategy::GuardWithIf).reorder(oi, oo, n);
  Var block = parallelOuter(out, s, oo, n, (k.outputView.extent[0] + s.channelBlock() - 1) / s.channelBlock());
  acc.compute_at(out, block).bound_extent(o, s.channelBlock()).vectorize(o, s.vector).unroll(o);
  acc.update().reorder(o, r, n).vectorize(o, s.vector).unroll(o);
  return out;
}

}  // namespace deeper::codegen
