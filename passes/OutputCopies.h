#pragma once

#include "ir/Graph.h"

namespace deeper {

/// Every output gets storage of its own. Aliases (flatten, reshape, dropout) share their input's
/// storage, so an output that is a graph input, an alias of one, an alias of a value that is already
/// another output, or a slice (part of a value's storage) would have no buffer of its own in compiled
/// code. Such an output reads a new copy:
///
///     data = input(shape=3x4)                      data  = input(shape=3x4)
///     flat = flatten(data)                ==>      flat  = flatten(data)
///     output flat                                  flat/copy = copy(flat)
///                                                  output flat = flat/copy
///
/// The output keeps its name. Returns whether any copy was added.
bool runOutputCopies(Graph &graph);

}  // namespace deeper
