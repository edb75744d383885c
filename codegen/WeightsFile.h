// Writes the weights file of a compiled model (format: runtime/weights_format.h).
#pragma once

#include "support/Tensor.h"

#include <string>
#include <utility>
#include <vector>

namespace deeper {

/// Tensors in the order the model's weight table lists them, already packed for their kernels.
void writeWeightsFile(const std::string &path, uint64_t modelHash, const std::vector<std::pair<std::string, Tensor>> &tensors);

}  // namespace deeper
