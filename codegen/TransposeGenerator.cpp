// Index remappings. transpose: output axis d reads input axis perm[d]. Halide numbers axes innermost first, so C axis a
// is Halide dimension rank-1-a on both sides. Vectors run along the output's innermost axis: ShuffleNet's
// channel shuffle keeps H and W innermost, so they are contiguous copies. expand: an axis of size 1
// is read at 0 along the output's.
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generateTranspose(const Kernel &k, const std::vector<ImageParam> &p) {
  const Dims &perm = k.node->attrDims("perm");
  const size_t rank = perm.size();
  std::vector<Var> vars = axisVars(k.outputView);  // vars[h]: output C axis rank-1-h
  std::vector<size_t> outputAxisOf(rank);           // the output axis that reads input axis a
  for (size_t d = 0; d < rank; ++d) outputAxisOf[static_cast<size_t>(perm[d])] = d;
  std::vector<Expr> at(rank);
  for (size_t h = 0; h < rank; ++h) at[h] = vars[rank - 1 - outputAxisOf[rank - 1 - h]];
  Func out("transpose");
  out(vars) = p[0](at);
  scheduleElementwise(out, vars, k);
  return out;
}

Func generateExpand(const Kernel &k, const std::vector<ImageParam> &p) {
  std::vector<Var> vars = axisVars(k.outputView);
  Func out("expand");
  out(vars) = broadcastRead(p[0], k.inputViews[0], std::vector<Expr>(vars.begin(), vars.end()));
  scheduleElementwise(out, vars, k);
  return out;
}

}  // namespace deeper::codegen
