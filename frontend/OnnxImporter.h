// ONNX models (opsets 7 to 17) as Deeper graphs, their initializers as the graph's weights.
//
// Ops: Conv (symmetric pads, auto_pad, no groups or dilations yet), Relu, MaxPool, AveragePool,
// GlobalAveragePool, LRN, Concat, Gemm, MatMul (constant right side), Flatten, Reshape (to [N, -1]),
// Dropout, Softmax, BatchNormalization (folded by the batchnorm-folding pass), Identity, Constant, and
// Pad when its pads are all zero (exporters emit such before pooling).
// Anything else is an error naming the node, the op and what is supported. External data is read only
// from files inside the model's folder.
#pragma once

#include "frontend/Elaborator.h"

namespace deeper {

Graph importOnnx(const std::string &path, const std::string &bytes, const ElaborateOptions &options);

/// A serialised ONNX TensorProto file (the inputs and outputs of ONNX's backend tests): float32, or int64
/// (shapes, pads) read as float32 values; `name` receives the tensor's name.
Tensor readOnnxTensor(const std::string &path, std::string *name = nullptr);

}  // namespace deeper
