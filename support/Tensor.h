// A dense f32 tensor in C order.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deeper {

using Dims = std::vector<int64_t>;

/// Product of dims, or nullopt when a dim is negative or the product (times 4 bytes) overflows int64.
std::optional<int64_t> checkedNumel(const Dims &dims);

/// "1x3x224x224"
std::string dimsString(const Dims &dims);

struct Tensor {
  Dims shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(Dims s);  ///< zero-filled
  int64_t numel() const { return static_cast<int64_t>(data.size()); }
};

/// Tensors by name, e.g. the weights "<layer>.weight" and "<layer>.bias".
using TensorMap = std::map<std::string, Tensor>;

}  // namespace deeper
