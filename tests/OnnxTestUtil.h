// Small ONNX models built in code, for the importer's tests.
#pragma once

#include "ir/Graph.h"

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace deeper::test::onnx_models {

/// A one-node ONNX model: input "x" f32[1,3,4,4] -> node "n1" -> output "y".
onnx::ModelProto oneNode(const std::string &op, int opset = 13);

/// Adds a float initializer `name` of `dims` (values 0.5) to the model.
onnx::TensorProto *addInitializer(onnx::ModelProto &m, const std::string &name, std::vector<int64_t> dims);

/// Adds an INTS attribute (or, with `list` false, an INT one) to the model's first node.
void setAttr(onnx::ModelProto &m, const std::string &name, std::vector<int64_t> ints, bool list = true);

/// Adds a STRING attribute to the model's first node.
void setStringAttr(onnx::ModelProto &m, const std::string &name, const std::string &value);

/// The UserError importing `m` as `dir`/m.onnx gives; fails the test when it imports.
std::string onnxError(const onnx::ModelProto &m, const std::string &dir = "/tmp");

Graph importOne(const onnx::ModelProto &m);

}  // namespace deeper::test::onnx_models
