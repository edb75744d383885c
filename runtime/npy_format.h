// The .npy format (NumPy, versions 1.0 to 3.0; little-endian float32 in C order), header-only and
// dependency-free so that both the compiler (support/Npy) and compiled executables read it the same way.
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

namespace deeper::npy_format {

struct Layout {
  std::vector<int64_t> shape;
  size_t dataOffset = 0;
  size_t dataBytes = 0;  ///< numel * 4, checked for overflow
};

namespace detail {

/// Position just after `'key':` and spaces; npos when the key is missing.
inline size_t valueOf(const std::string &header, const std::string &key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos || (at = header.find(':', at)) == std::string::npos) return std::string::npos;
  for (++at; at < header.size() && header[at] == ' ';) ++at;
  return at;
}

inline std::string parseShape(const std::string &header, std::vector<int64_t> &shape) {
  size_t at = valueOf(header, "shape");
  if (at == std::string::npos || at >= header.size() || header[at] != '(') return "malformed shape";
  size_t end = header.find(')', at);
  if (end == std::string::npos) return "malformed shape";
  for (size_t i = at + 1; i < end;) {
    if (header[i] == ' ' || header[i] == ',') {
      ++i;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(header[i]))) return "malformed shape";
    int64_t v = 0;
    for (; i < end && std::isdigit(static_cast<unsigned char>(header[i])); ++i)
      if (__builtin_mul_overflow(v, int64_t(10), &v) || __builtin_add_overflow(v, int64_t(header[i] - '0'), &v))
        return "shape dimension overflows";
    shape.push_back(v);
  }
  return "";
}

}  // namespace detail

/// Parses the preamble of `bytes`; returns "" on success, else what is wrong.
inline std::string parse(const std::string &bytes, Layout &out) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return "missing the \\x93NUMPY magic";
  auto u8 = [&](size_t i) { return static_cast<size_t>(static_cast<uint8_t>(bytes[i])); };
  size_t major = u8(6), length, start;
  if (major == 1) {
    length = u8(8) | (u8(9) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return "truncated header";
    length = u8(8) | (u8(9) << 8) | (u8(10) << 16) | (u8(11) << 24);
    start = 12;
  } else {
    return "format version " + std::to_string(major) + " is not supported (1, 2 or 3)";
  }
  if (length > bytes.size() - start) return "truncated header";
  std::string header = bytes.substr(start, length);
  size_t at = detail::valueOf(header, "descr");
  if (at == std::string::npos) return "header has no 'descr'";
  if (header.compare(at, 5, "'<f4'") != 0)
    return "dtype " + header.substr(at, header.find_first_of(",}", at) - at) +
           " is not supported; save float32 (numpy: a.astype(np.float32))";
  at = detail::valueOf(header, "fortran_order");
  if (at == std::string::npos || header.compare(at, 5, "False") != 0) return "Fortran order is not supported; save C order";
  out.shape.clear();
  if (std::string error = detail::parseShape(header, out.shape); !error.empty()) return error;
  int64_t bytesNeeded = 4;
  for (int64_t d : out.shape)
    if (__builtin_mul_overflow(bytesNeeded, d, &bytesNeeded)) return "shape is too large";
  out.dataOffset = start + length;
  out.dataBytes = static_cast<size_t>(bytesNeeded);
  if (bytes.size() - out.dataOffset != out.dataBytes)
    return "shape needs " + std::to_string(out.dataBytes) + " data bytes, file has " + std::to_string(bytes.size() - out.dataOffset);
  return "";
}

/// The preamble (version 1.0) for float32 data of `shape`; the data then starts 64-byte aligned.
inline std::string preamble(const std::vector<int64_t> &shape) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dims += ",";  // a 1-tuple keeps its comma
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header;
}

}  // namespace deeper::npy_format
