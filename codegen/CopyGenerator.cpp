// copy: an output that needs storage of its own (see passes/OutputCopies.h).
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateCopy(const Kernel &k, const std::vector<ImageParam> &p) {
  std::vector<Var> vars = axisVars(k.outputView);
  Func out("copy");
  out(vars) = p[0](vars);
  scheduleElementwise(out, vars, k);
  return out;
}

}  // namespace deeper::codegen
