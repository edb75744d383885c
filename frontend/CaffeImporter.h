// Caffe .prototxt networks (the "layer { ... }" format) as Deeper graphs, built through GraphBuilder.
//
// Layers: Input (or top-level input/input_shape), Convolution, ReLU, Pooling, LRN, Concat, Dropout,
// InnerProduct, Softmax. In-place layers (top == bottom) are followed; layers limited to the TRAIN
// phase, data layers, losses and accuracies are skipped; any other type is an error naming the layer.
// Blobs nobody consumes become the outputs. The batch in the file is ignored: Deeper picks it at compile
// time. Inception modules are recognised (frontend/BlockRecognition.h).
#pragma once

#include "frontend/Elaborator.h"

namespace deeper {

Graph importCaffe(const std::shared_ptr<const SourceFile> &source, const ElaborateOptions &options);

}  // namespace deeper
