// FNV-1a, 64-bit: the one string hash Deeper uses for seeds, cache keys and model hashes. Not
// cryptographic; stable across runs and machines.
#pragma once

#include <cstdint>
#include <string_view>

namespace deeper {

inline uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace deeper
