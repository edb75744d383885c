// Shape subgraphs folded at import. Exporters compute reshape targets, pads and the like from the
// shapes of tensors at run time:
//
//     x ──> Shape ──> Gather(0) ──> Unsqueeze ──┐
//                      2, 58 (constants) ───────> Concat ──> Reshape(x, ·)
//
// Deeper compiles for static shapes with the batch chosen, so every such value is known at import. The
// importer evaluates each node whose inputs are all constants (a Shape needs only its input's shape)
// with foldOnnxNode and keeps the result as a constant, as ONNX Runtime's and TVM's importers do; the
// graph keeps only the float computation. If with a constant condition imports the branch it takes.
#pragma once

#include "ir/Attr.h"

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace deeper {

/// A constant as the folder computes with it: any element type's values held as double (int64 shape
/// values are exact below 2^53; float32 values exactly).
struct FoldedTensor {
  int32_t type = onnx::TensorProto::FLOAT;  ///< onnx::TensorProto::DataType
  Dims shape;
  std::vector<double> values;
};

/// Folded constants larger than this are refused: a ConstantOfShape of a hostile shape would
/// otherwise take the machine's memory.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// The ops foldOnnxNode evaluates: Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, Equal, Less,
/// Greater, Not, Where, ConstantOfShape, Range, Slice, Reshape, Transpose, Identity, Add, Sub, Mul, Div,
/// Neg.
bool isFoldableOp(const std::string &op);

/// Node `n` evaluated on constant inputs (nullptr for an absent optional input; a Shape's input may
/// carry its shape only). Its outputs; a UserError naming the node and `path` when the node is
/// malformed (an index out of range, shapes that do not broadcast, a result over kMaxFoldedElements).
std::vector<FoldedTensor> foldOnnxNode(const onnx::NodeProto &n, const std::vector<const FoldedTensor *> &inputs, int opset,
                                       const std::string &path);

/// `t` as an initializer named `name` (float and double as float_data... each type in its own field).
onnx::TensorProto protoOf(const FoldedTensor &t, const std::string &name);

}  // namespace deeper
