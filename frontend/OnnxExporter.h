// Writes a graph and its weights as an ONNX model (opset 13), so ONNX Runtime and Deeper run the same
// network with the same weights. Tensors keep Deeper's value names; conv and fc with a fused relu
// become Conv/Gemm followed by Relu, fc on a 4-D input gets a Flatten.
#pragma once

#include "ir/Graph.h"
#include "support/Safetensors.h"

#include <string>

namespace deeper {

/// The serialised ModelProto. UserError for a graph ONNX cannot express the same way.
std::string exportOnnx(const Graph &graph, const TensorMap &weights);

}  // namespace deeper
