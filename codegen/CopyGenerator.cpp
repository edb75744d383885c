// copy: an output that needs storage of its own (see passes/OutputCopies.h).
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateCopy(const Kernel &k, const std::vector<ImageParam> &p) {
  std::vector<Var> vars = axisVars(k.outputView);
  Func out("copy");
  out(vars) = p[0](vars);
  out.vectorize(vars[0], k.schedule.vector, TailStrategy::GuardWithIf);
  if (k.schedule.parallel && vars.size() > 1) out.parallel(vars.back());
  return out;
}

}  // namespace deeper::codegen
