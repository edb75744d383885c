// The textual IR: a flat .dnet file with types and block annotations, so the one parser reads both.
//
//   network googlenet batch=1
//   data = input(shape=3x224x224) : f32[1,3,224,224]
//   inception_3a/1x1 = conv(pool2/3x3_s2, out=64, kernel=1x1, relu=true) : f32[1,64,28,28] @inception_3a:inception
//   output prob
//   output loss1/classifier training
//   output y = x                      (an output named apart from its value, as ONNX allows)
//
// Attributes equal to their op-table default are left out; names that are not plain are quoted
// (ir/Names.h). print(parse(print(g))) == print(g).
#pragma once

#include "ir/Graph.h"

#include <string>

namespace deeper {

std::string printNode(const Node &node);
/// `node`'s attributes as the IR writes them, "name=value", those at their op-table default left out:
/// what texts that identify a node's computation use, so that a new attribute (at its default)
/// leaves them as they were.
std::vector<std::string> printAttrs(const Node &node);
std::string printGraph(const Graph &graph);

}  // namespace deeper
