#include "codegen/WeightsFile.h"

#include "runtime/weights_format.h"
#include "support/Files.h"

#include <cstring>

namespace deeper {
namespace {

namespace wf = weights_format;

template <typename T>
void put(std::string &out, T v) {
  out.append(reinterpret_cast<const char *>(&v), sizeof v);
}

}  // namespace

void writeWeightsFile(const std::string &path, uint64_t modelHash, const std::vector<std::pair<std::string, Tensor>> &tensors) {
  std::string table;
  uint64_t dataSize = 0;
  for (const auto &[name, t] : tensors) {
    put<uint64_t>(table, dataSize);
    put<uint64_t>(table, t.data.size() * 4);
    put<uint32_t>(table, static_cast<uint32_t>(name.size()));
    table += name;
    table.append(wf::alignUp(table.size(), 8) - table.size(), '\0');
    dataSize = wf::alignUp(dataSize + t.data.size() * 4, wf::kAlignment);
  }
  uint64_t dataOffset = wf::alignUp(wf::kHeaderBytes + table.size(), wf::kAlignment);
  std::string file(dataOffset + dataSize, '\0');
  std::memcpy(&file[wf::kHeaderBytes], table.data(), table.size());
  uint64_t at = dataOffset;
  for (const auto &entry : tensors) {
    std::memcpy(&file[at], entry.second.data.data(), entry.second.data.size() * 4);
    at = dataOffset + wf::alignUp(at - dataOffset + entry.second.data.size() * 4, wf::kAlignment);
  }
  wf::Header h{};
  std::memcpy(h.magic, wf::kMagic, sizeof h.magic);
  h.version = wf::kVersion;
  h.tensorCount = static_cast<uint32_t>(tensors.size());
  h.modelHash = modelHash;
  h.tableOffset = wf::kHeaderBytes;
  h.dataOffset = dataOffset;
  h.fileSize = file.size();
  h.checksum = wf::checksum(reinterpret_cast<const unsigned char *>(file.data()) + wf::kHeaderBytes, file.size() - wf::kHeaderBytes);
  std::memcpy(&file[0], &h, sizeof h);
  writeFileAtomic(path, file);
}

}  // namespace deeper
