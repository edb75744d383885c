#include "support/Safetensors.h"

#include "support/Diagnostics.h"
#include "support/Files.h"

#include <nlohmann/json.hpp>

#include <cstring>

namespace deeper {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string &path, const std::string &what) {
  fail(fmt::format("'{}' is not a usable safetensors file: {}", path, what));
}

Tensor readEntry(const std::string &name, const json &entry, const char *data, size_t dataSize,
                 const std::string &path) {
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
    bad(path, fmt::format("tensor '{}' lacks dtype, shape or data_offsets", name));
  const json &dtype = entry["dtype"], &shape = entry["shape"], &offsets = entry["data_offsets"];
  if (!dtype.is_string() || dtype.get<std::string>() != "F32")
    bad(path, fmt::format("tensor '{}' has dtype {}; Deeper reads F32 (convert with tensor.float())", name,
                          dtype.dump()));
  Dims dims;
  if (!shape.is_array()) bad(path, fmt::format("tensor '{}' has a malformed shape", name));
  for (const json &d : shape) {
    if (!d.is_number_unsigned()) bad(path, fmt::format("tensor '{}' has a malformed shape", name));
    dims.push_back(static_cast<int64_t>(std::min<uint64_t>(d.get<uint64_t>(), INT64_MAX)));
  }
  auto numel = checkedNumel(dims);
  if (!numel) bad(path, fmt::format("tensor '{}' shape is too large", name));
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    bad(path, fmt::format("tensor '{}' has malformed data_offsets", name));
  uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
  if (begin > end || end > dataSize)
    bad(path, fmt::format("tensor '{}' data_offsets [{}, {}] lie outside the {} data bytes", name, begin, end,
                          dataSize));
  if (end - begin != static_cast<uint64_t>(*numel) * 4)
    bad(path, fmt::format("tensor '{}' of shape [{}] needs {} bytes, data_offsets give {}", name,
                          fmt::join(dims, ","), *numel * 4, end - begin));
  Tensor t;
  t.shape = dims;
  t.data.resize(static_cast<size_t>(*numel));
  if (*numel) std::memcpy(t.data.data(), data + begin, end - begin);
  return t;
}

}  // namespace

TensorMap parseSafetensors(const std::string &bytes, const std::string &path) {
  if (bytes.size() < 8) bad(path, "shorter than its 8-byte header size");
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i) headerSize = (headerSize << 8) | static_cast<uint8_t>(bytes[i]);
  if (headerSize > bytes.size() - 8) bad(path, fmt::format("header size {} exceeds the file", headerSize));
  json header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(headerSize), nullptr,
                            /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) bad(path, "header is not a JSON object");
  const char *data = bytes.data() + 8 + headerSize;
  size_t dataSize = bytes.size() - 8 - headerSize;
  TensorMap out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    out.emplace(it.key(), readEntry(it.key(), it.value(), data, dataSize, path));
  }
  return out;
}

TensorMap readSafetensors(const std::string &path) { return parseSafetensors(readFile(path), path); }

std::string serializeSafetensors(const TensorMap &tensors) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto &[name, t] : tensors) {
    uint64_t size = t.data.size() * 4;
    header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned, as the format suggests
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  out += text;
  for (const auto &entry : tensors)
    out.append(reinterpret_cast<const char *>(entry.second.data.data()), entry.second.data.size() * 4);
  return out;
}

void writeSafetensors(const std::string &path, const TensorMap &tensors) {
  writeFileAtomic(path, serializeSafetensors(tensors));
}

}  // namespace deeper
