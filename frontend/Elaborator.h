// From syntax to graph: expands blocks, resolves names, orders statements and builds the Graph.
//
//   inception_3a = inception(pool2/3x3_s2, 64, 96, 128, 16, 32, 32)
//
// expands the body of `block inception(x, n1x1, ...)` with x bound to pool2/3x3_s2 and n1x1 to 64;
// its layers are named "inception_3a/<local name>" (the BVLC names) and `inception_3a` then stands for
// the block's returned value, "inception_3a/output". Statements may appear in any order; a cycle, block
// recursion, undefined or duplicate names, bad attributes and shape errors are diagnostics at the
// statement that causes them.
#pragma once

#include "frontend/Ast.h"
#include "frontend/Parser.h"
#include "ir/Graph.h"

#include <map>
#include <memory>
#include <optional>
#include <set>

namespace deeper {

struct ElaborateOptions {
  std::optional<int64_t> batch;  ///< overrides the file's batch (`network ... batch=N`, ONNX input dim 0); applied by loadModel/parseModel
  std::string defaultName;       ///< graph name when the file has no `network` statement
  /// ONNX: graph inputs to treat as constants with these values (weights passed as inputs, as ONNX's
  /// backend tests do; Deeper compiles weights as constants), by input name.
  std::map<std::string, Tensor> bind;
  /// ONNX: values for graph inputs (deeper run's --input); an input the model reads where a constant is
  /// needed (a weight, a shape) is bound to its value, as with `bind`, and leaves the graph's inputs.
  TensorMap inputValues;
  /// Filled by the importer: the names of `inputValues` it bound so (shared: loading copies the options).
  std::shared_ptr<std::set<std::string>> boundInputs = std::make_shared<std::set<std::string>>();
};

Graph elaborate(const ast::File &file, const ElaborateOptions &options);

}  // namespace deeper
