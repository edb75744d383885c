#include "support/Tensor.h"

#include "support/Diagnostics.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unistd.h>

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

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFileAtomic(const std::string &path, const std::string &bytes) {
  std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(getpid()));
  FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    fail(fmt::format("cannot write '{}': {}", path, std::strerror(err)));
  }
}

}  // namespace deeper
