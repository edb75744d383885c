// Graphviz export: `deeper graph MODEL | dot -Tsvg > g.svg`. Each block instance (inception_3a, ...)
// is a cluster; nodes with a fused epilogue read "conv+relu" and are drawn doubled.
#pragma once

#include "ir/Graph.h"

#include <map>
#include <string>

namespace deeper {

/// Per-node additions to the drawing, by node name: a fill colour ("#rrggbb") and a tooltip (SVG
/// output shows it on hover). `deeper report` colours nodes by their kernels' times.
struct DotStyle {
  std::map<std::string, std::string> fill, tooltip;
};

std::string graphToDot(const Graph &graph, const DotStyle &style = {});

}  // namespace deeper
