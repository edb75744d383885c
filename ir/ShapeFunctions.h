// Shape rules of every op. One function serves the builder (which reports a violation as a diagnostic
// at the statement), the shape-inference pass and the verifier; passes add shaped nodes through it.
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

/// Adds `copy(value)`, its shape inferred, in `site`'s block instance, just before `before` (nullptr:
/// at the end), named `base`, or where a node has that name the first of base2, base3, ... that none
/// has. For passes that give a value storage of its own.
Node *insertCopy(Graph &graph, Node *value, const std::string &base, const Node &site, const Node *before);

/// `shape` with `axis` split into k x shape[axis]/k: the first reshape of a channel shuffle.
Dims splitAxis(const Dims &shape, size_t axis, int64_t k);

/// The identity permutation of `rank` axes with `axis` and `axis` + 1 swapped: a channel shuffle's
/// transpose.
Dims swapWithNextAxis(size_t rank, size_t axis);

}  // namespace deeper
