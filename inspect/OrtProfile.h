// ONNX Runtime's per-node times beside Deeper's per-kernel times (`deeper compare MODEL --ort`). ORT
// runs from npm (onnxruntime-node, scripts/install-ort), as the benchmarks run it, with its profiler
// on; its nodes are matched to Deeper's kernels through the layer names both keep (Deeper's ONNX
// export names each node after its layer; ORT keeps a fused node's first name).
#pragma once

#include "inspect/Compare.h"

#include <string>
#include <vector>

namespace deeper::inspect {

struct OrtNodeTime {
  std::string node, op;  ///< ORT's node name and the kernel it ran (e.g. FusedConv)
  double ms = 0;         ///< median over the profiled runs
  int runs = 0;
};

struct OrtProfile {
  double wholeMs = 0;  ///< the whole model's median, timed without the profiler
  std::vector<OrtNodeTime> nodes;  ///< in the order ORT first ran them
  std::string onnx;    ///< the model ORT ran
};

/// The node kernel times of ORT's profiler trace (its JSON), median per node; UserError naming `what`
/// when the text is no trace.
std::vector<OrtNodeTime> parseOrtTrace(const std::string &json, const std::string &what);

/// The folder holding onnxruntime-node: $DEEPER_ORT_DIR, else the checkout's build/ort/node_modules.
std::string ortModulesFolder();

/// Runs ORT on `onnx` (one input of `inputShape`) with `threads` threads, `runs` runs.
/// UserError when node or onnxruntime-node is missing (saying how to install them) or ORT fails.
OrtProfile profileWithOrt(const std::string &onnx, const std::vector<int64_t> &inputShape, int threads, int runs);

/// One line of the comparison: a Deeper kernel (or a layer Deeper runs no kernel for, or ORT's nodes
/// of no Deeper layer) and the ORT nodes that compute the same.
struct OrtRow {
  std::string label;
  double deeperMs = -1;           ///< -1: no Deeper kernel
  std::vector<size_t> ortNodes;   ///< indices into OrtProfile::nodes
  double ortMs = 0;
  std::string note;               ///< why Deeper runs no kernel, or what the ORT nodes are
};

/// Deeper's kernels in execution order, then the layers Deeper runs no kernel for that ORT ran, then
/// ORT's layout reorders and its nodes of no Deeper layer.
std::vector<OrtRow> matchOrt(const ComparedBuild &deeper, const OrtProfile &ort);

/// Deeper's kernels and ORT's nodes side by side, matched by the layers they compute.
std::string printOrtComparison(const ComparedBuild &deeper, const OrtProfile &ort);

}  // namespace deeper::inspect
