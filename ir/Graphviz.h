// Graphviz export: `deeper graph MODEL | dot -Tsvg > g.svg`. Each block instance (inception_3a, ...)
// is a cluster; nodes with a fused epilogue read "conv+relu" and are drawn doubled.
#pragma once

#include "ir/Graph.h"

#include <string>

namespace deeper {

std::string graphToDot(const Graph &graph);

}  // namespace deeper
