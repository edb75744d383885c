// Learned parameters: `<layer>.weight` ([O,I,KH,KW] for conv, [O,I] for fc) and `<layer>.bias` ([O]),
// either read from a safetensors file or initialised from a seed.
//
// Seeded initialisation (`--seed N`, default 0) is deterministic and independent of graph order: the
// values of tensor T come from a splitmix64 stream seeded with N XOR fnv1a64(T); each draw u in [0,1)
// (the top 24 bits) gives (2u - 1) * bound, with bound = sqrt(6 / fan_in) for weights (He uniform, so
// activations keep their scale through relu layers) and 1 / sqrt(fan_in) for biases (as PyTorch).
// Batch normalisation: mean U(-0.25, 0.25), scale and variance 1 + |U(-0.25, 0.25)|; the constant operand
// of add/sub/mul/div likewise 1 + |U(-0.25, 0.25)|.
#pragma once

#include "ir/Graph.h"
#include "support/Safetensors.h"

#include <cstdint>
#include <string>

namespace deeper {

TensorMap initWeights(const Graph &graph, uint64_t seed);

/// A reproducible stand-in input, uniform in [-1, 1), drawn like the weights from (seed, name).
Tensor syntheticInput(const Dims &shape, const std::string &name, uint64_t seed);

/// Reads `path` and checks it against the graph: a missing tensor or a wrong shape is a UserError that
/// names the tensor and the shape expected. Tensors the graph does not use are ignored.
TensorMap loadWeights(const Graph &graph, const std::string &path);

/// The check loadWeights makes, for weights from any source (`source` names it in messages). With
/// `complete` false a missing tensor passes (only shapes are checked): weights bound before the passes,
/// which need not cover layers the passes drop.
void checkWeights(const Graph &graph, const TensorMap &weights, const std::string &source, bool complete = true);

}  // namespace deeper
