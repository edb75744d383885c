// The weights file of a compiled model (<model>.weights), shared by the writer (codegen) and the
// reader (runtime). Little-endian:
//
//   header   64 bytes: magic "DEEPERW1", u32 format version, u32 tensor count, u64 model hash,
//            u64 table offset, u64 data offset, u64 file size, u64 checksum, 8 bytes zero
//   table    per tensor: u64 offset from the data start, u64 bytes, u32 name length, name, zero padding to 8
//   data     each tensor 64-byte aligned (a cache line; an AVX-512 vector)
//
// The checksum covers everything after the header; the reader checks every header field exactly
// (the table at 64, the data right after it, the reserved bytes zero), so no byte can change unnoticed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace deeper::weights_format {

constexpr char kMagic[8] = {'D', 'E', 'E', 'P', 'E', 'R', 'W', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 64;
constexpr size_t kAlignment = 64;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t tensorCount;
  uint64_t modelHash;
  uint64_t tableOffset;
  uint64_t dataOffset;
  uint64_t fileSize;
  uint64_t checksum;
  uint64_t reserved;
};
static_assert(sizeof(Header) == kHeaderBytes, "header layout");

/// FNV-1a over 8-byte words (then the tail bytes): fast enough to check a 28 MB file at load.
inline uint64_t checksum(const unsigned char *data, size_t size) {
  uint64_t h = 14695981039346656037ull;
  size_t words = size / 8;
  for (size_t i = 0; i < words; ++i) {
    uint64_t w;
    std::memcpy(&w, data + 8 * i, 8);
    h = (h ^ w) * 1099511628211ull;
  }
  for (size_t i = words * 8; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

inline size_t alignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

}  // namespace deeper::weights_format
