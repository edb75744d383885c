#pragma once

#include "ir/Graph.h"

namespace deeper {

/// Recomputes the shape of every node, in order, from the graph inputs and `graph.batch` (after the batch
/// changed, say). A node whose attributes no longer fit is a UserError at that node. Returns whether any
/// shape changed.
bool runShapeInference(Graph &graph);

}  // namespace deeper
