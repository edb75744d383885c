// pad: the input, shifted by the leading pads, read through Halide's boundary conditions: constant
// (constant_exterior), reflect (mirror_interior: the edge is not repeated) and edge (repeat_edge).
#include "codegen/Generators.h"

namespace deeper::codegen {

using namespace Halide;

Func generatePad(const Kernel &k, const std::vector<ImageParam> &p) {
  const Dims &pads = k.node->attrDims("pads");
  const std::string &mode = k.node->attrWord("mode");
  size_t rank = k.outputView.extent.size();
  Region bounds;
  for (size_t d = 0; d < rank; ++d) bounds.push_back({0, k.inputViews[0].extent[d]});
  Func source = mode == "reflect" ? BoundaryConditions::mirror_interior(p[0], bounds)
                : mode == "edge"  ? BoundaryConditions::repeat_edge(p[0], bounds)
                                  : BoundaryConditions::constant_exterior(p[0], static_cast<float>(k.node->attrFloat("value")), bounds);
  std::vector<Var> vars = axisVars(k.outputView);
  std::vector<Expr> at;
  for (size_t d = 0; d < rank; ++d) at.push_back(vars[d] - static_cast<int>(pads[rank - 1 - d]));  // Halide's axis d is numpy's rank-1-d
  Func out("pad");
  out(vars) = source(at);
  scheduleElementwise(out, vars, k);
  return out;
}

}  // namespace deeper::codegen
