// Per-channel elementwise ops over (inner, C, N): a batchnorm that no conv absorbed, (x - mean) *
// scale / sqrt(var + epsilon) + bias, the per-channel factor computed once per channel; and prelu,
// x above 0, slope[c] * x below.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateBatchNorm(const Kernel &k, const std::vector<ImageParam> &p) {
  ImageParam input = p[0], scale = learned(k, p, Param::BatchNormScale), bias = learned(k, p, Param::BatchNormBias),
             mean = learned(k, p, Param::BatchNormMean), var = learned(k, p, Param::BatchNormVar);
  float epsilon = static_cast<float>(k.node->attrFloat("epsilon"));
  Var i("i"), c("c"), n("n");
  Func factor("factor"), out("batchnorm");
  factor(c) = scale(c) / sqrt(var(c) + epsilon);
  out(i, c, n) = (input(i, c, n) - mean(c)) * factor(c) + bias(c);
  if (k.schedule.gpu) {  // each thread computes its channel's factor: a square root and a division
    gpuPerElement(out, k.schedule);
    return out;
  }
  factor.compute_root();
  out.vectorize(i, k.schedule.vector, TailStrategy::GuardWithIf);
  parallelOuter(out, k.schedule, c, n, k.outputView.extent[1]);
  return out;
}

Func generatePRelu(const Kernel &k, const std::vector<ImageParam> &p) {
  ImageParam input = p[0], slope = learned(k, p, Param::PReluSlope);
  Var i("i"), c("c"), n("n");
  Func out("prelu");
  out(i, c, n) = pointwiseValue(*k.node, input(i, c, n), slope(c));
  if (k.schedule.gpu) {
    gpuPerElement(out, k.schedule);
    return out;
  }
  out.vectorize(i, k.schedule.vector, TailStrategy::GuardWithIf);
  parallelOuter(out, k.schedule, c, n, k.outputView.extent[1]);
  return out;
}

}  // namespace deeper::codegen
