// The reference executor: runs a graph node by node with the plain-loop kernels of reference/Kernels.h.
//
//   ReferenceExecutor exec(graph, initWeights(graph, /*seed=*/0));
//   TensorMap out = exec.run({{"data", image}});      // graph outputs by name, e.g. out["prob"]
//   TensorMap some = exec.run({{"data", image}}, {"loss3/classifier"});   // or any value by name
#pragma once

#include "ir/Graph.h"
#include "support/Safetensors.h"

#include <string>
#include <vector>

namespace deeper {

class ReferenceExecutor {
 public:
  /// Checks the weights against the graph (UserError when one is missing or misshapen).
  ReferenceExecutor(const Graph &graph, TensorMap weights);

  /// Runs on `inputs` (one per input node, by name, shapes checked) and returns the values named in
  /// `wanted` (default: the graph outputs). Unknown names are UserErrors.
  TensorMap run(const TensorMap &inputs, const std::vector<std::string> &wanted = {}) const;

 private:
  Tensor evaluate(const Node &node, const std::vector<const Tensor *> &inputs) const;
  const Tensor *param(const Node &node, Param which) const;

  const Graph &graph_;
  TensorMap weights_;
};

}  // namespace deeper
