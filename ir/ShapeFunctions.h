// Shape rules of every op. One function serves the builder (which reports a violation as a diagnostic
// at the statement), the shape-inference pass and the verifier.
#pragma once

#include "ir/Graph.h"

namespace deeper {

/// The output shape of `node` from its inputs' shapes and its attributes. Throws a UserError at the
/// node (failAtNode) when an attribute is out of range or the shapes do not fit: a kernel larger than
/// the padded input, a concat of unequal spatial sizes, a zero or negative size, a size of 2^31 or
/// more (as the IR's types and compiled kernels' int32 extents allow), or sizes whose product overflows.
Dims inferShape(const Node &node, int64_t batch);

/// Recomputes every node's shape in order at `graph.batch`; returns whether any changed.
bool reinferShapes(Graph &graph);

}  // namespace deeper
