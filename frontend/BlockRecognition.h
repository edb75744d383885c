// Recovers block instances in graphs that come without them (Caffe, ONNX): a concat whose branches
// all start from one common value is a module, like GoogLeNet's inception:
//
//            x = pool2/3x3_s2
//      ┌──────┬──────┴──────┬──────────┐
//     1x1  3x3_reduce   5x5_reduce    pool       each branch: a chain back to x
//      │     3x3          5x5       pool_proj
//      └──────┴──────┬──────┴──────────┘
//          inception_3a/output = concat(...)
//
// When every member's name starts with the concat's prefix ("inception_3a/"), the members become block
// instance "inception_3a" of block type "inception" (the prefix without its trailing "_3a").
#pragma once

#include "ir/Graph.h"

namespace deeper {

/// Annotates the members of every recognised module that has no block yet; returns how many modules.
size_t recognizeConcatModules(Graph &graph);

}  // namespace deeper
