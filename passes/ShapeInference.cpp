#include "passes/ShapeInference.h"

#include "ir/ShapeFunctions.h"

namespace deeper {

bool runShapeInference(Graph &graph) {
  bool changed = false;
  for (const auto &node : graph.nodes()) {
    Dims shape = inferShape(*node, graph.batch);
    if (shape == node->shape) continue;
    node->shape = std::move(shape);
    changed = true;
  }
  return changed;
}

}  // namespace deeper
