// A relu that no epilogue absorbed: elementwise over each sample's values.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateRelu(const Kernel &k, const std::vector<ImageParam> &p) {
  Var f("f"), n("n");
  Func out("relu");
  out(f, n) = max(p[0](f, n), 0.0f);
  out.vectorize(f, k.schedule.vector, TailStrategy::GuardWithIf);
  if (k.schedule.parallel) out.parallel(n);
  return out;
}

}  // namespace deeper::codegen
