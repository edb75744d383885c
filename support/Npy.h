// NumPy .npy files (format versions 1.0 to 3.0), little-endian float32, C order: the tensors that
// `deeper run` reads and writes. Anything else is a UserError that names the file and the fix.
#pragma once

#include "support/Tensor.h"

#include <string>

namespace deeper {

Tensor parseNpy(const std::string &bytes, const std::string &path);
Tensor readNpy(const std::string &path);
std::string serializeNpy(const Tensor &t);
/// Writes atomically: the file appears complete or not at all.
void writeNpy(const std::string &path, const Tensor &t);

}  // namespace deeper
