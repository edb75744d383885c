#include "support/Npy.h"

#include "support/Diagnostics.h"

#include <cctype>
#include <cstring>

namespace deeper {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

[[noreturn]] void bad(const std::string &path, const std::string &what) {
  fail(fmt::format("'{}' is not a usable .npy file: {}", path, what));
}

/// The text after `'key':` in the header dict, with leading spaces skipped.
size_t findValue(const std::string &header, const std::string &key, const std::string &path) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) bad(path, fmt::format("header has no '{}'", key));
  at = header.find(':', at);
  if (at == std::string::npos) bad(path, "malformed header");
  ++at;
  while (at < header.size() && header[at] == ' ') ++at;
  return at;
}

Dims parseShape(const std::string &header, const std::string &path) {
  size_t at = findValue(header, "shape", path);
  if (at >= header.size() || header[at] != '(') bad(path, "malformed shape");
  size_t end = header.find(')', at);
  if (end == std::string::npos) bad(path, "malformed shape");
  Dims dims;
  std::string body = header.substr(at + 1, end - at - 1);
  size_t i = 0;
  while (i < body.size()) {
    while (i < body.size() && (body[i] == ' ' || body[i] == ',')) ++i;
    if (i == body.size()) break;
    if (!std::isdigit(static_cast<unsigned char>(body[i]))) bad(path, "malformed shape");
    int64_t v = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
      if (__builtin_mul_overflow(v, int64_t(10), &v) || __builtin_add_overflow(v, int64_t(body[i] - '0'), &v))
        bad(path, "shape dimension overflows");
      ++i;
    }
    dims.push_back(v);
  }
  return dims;
}

}  // namespace

Tensor parseNpy(const std::string &bytes, const std::string &path) {
  if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0) bad(path, "missing the \\x93NUMPY magic");
  auto u8 = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  int major = u8(6);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = u8(8) | (u8(9) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) bad(path, "truncated header");
    headerLen = u8(8) | (u8(9) << 8) | (u8(10) << 16) | (size_t(u8(11)) << 24);
    headerStart = 12;
  } else {
    bad(path, fmt::format("format version {} is not supported (1, 2 or 3)", major));
  }
  if (headerLen > bytes.size() - headerStart) bad(path, "truncated header");
  std::string header = bytes.substr(headerStart, headerLen);

  size_t at = findValue(header, "descr", path);
  std::string descr = header.substr(at, 5);
  if (descr != "'<f4'")
    bad(path, fmt::format("dtype {} is not supported; save float32 (numpy: a.astype(np.float32))",
                          header.substr(at, header.find_first_of(",}", at) - at)));
  at = findValue(header, "fortran_order", path);
  if (header.compare(at, 5, "False") != 0) bad(path, "Fortran order is not supported; save C order");

  Dims shape = parseShape(header, path);
  auto numel = checkedNumel(shape);
  if (!numel) bad(path, "shape is too large");
  size_t dataStart = headerStart + headerLen;
  size_t want = static_cast<size_t>(*numel) * 4;
  if (bytes.size() - dataStart != want)
    bad(path, fmt::format("shape {} needs {} data bytes, file has {}", dimsString(shape), want,
                          bytes.size() - dataStart));
  Tensor t;
  t.shape = shape;
  t.data.resize(static_cast<size_t>(*numel));
  if (want) std::memcpy(t.data.data(), bytes.data() + dataStart, want);
  return t;
}

Tensor readNpy(const std::string &path) { return parseNpy(readFile(path), path); }

std::string serializeNpy(const Tensor &t) {
  std::string shape;
  for (int64_t d : t.shape) shape += std::to_string(d) + ", ";
  if (t.shape.size() > 1) shape.erase(shape.size() - 2);  // (n,) keeps its comma, (a, b) does not
  else if (!t.shape.empty()) shape.pop_back();
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", shape);
  // Version 1.0: magic, version, u16 header length; the data starts 64-byte aligned.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char *>(t.data.data()), t.data.size() * 4);
  return out;
}

void writeNpy(const std::string &path, const Tensor &t) { writeFileAtomic(path, serializeNpy(t)); }

}  // namespace deeper
