// safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian header size, a
// JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the
// data. Deeper reads and writes F32 tensors; every offset is checked against the file before use.
#pragma once

#include "support/Tensor.h"

#include <map>
#include <string>

namespace deeper {

TensorMap parseSafetensors(const std::string &bytes, const std::string &path);
TensorMap readSafetensors(const std::string &path);
std::string serializeSafetensors(const TensorMap &tensors);
void writeSafetensors(const std::string &path, const TensorMap &tensors);

}  // namespace deeper
