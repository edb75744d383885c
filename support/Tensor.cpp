#include "support/Tensor.h"

#include "support/Diagnostics.h"


namespace deeper {

std::optional<int64_t> checkedNumel(const Dims &dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return std::nullopt;
  }
  int64_t bytes;
  if (__builtin_mul_overflow(n, int64_t(4), &bytes)) return std::nullopt;
  return n;
}

std::string dimsString(const Dims &dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

Tensor::Tensor(Dims s) : shape(std::move(s)) {
  auto n = checkedNumel(shape);
  DEEPER_CHECK(n.has_value(), "tensor of shape {} is too large", dimsString(shape));
  data.assign(static_cast<size_t>(*n), 0.0f);
}

}  // namespace deeper
