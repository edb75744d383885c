#include "passes/ShapeInference.h"

#include "ir/ShapeFunctions.h"

namespace deeper {

bool runShapeInference(Graph &graph) { return reinferShapes(graph); }

}  // namespace deeper
