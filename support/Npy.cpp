#include "support/Npy.h"

#include "runtime/npy_format.h"
#include "support/Diagnostics.h"
#include "support/Files.h"

#include <cstring>

namespace deeper {

Tensor parseNpy(const std::string &bytes, const std::string &path) {
  npy_format::Layout layout;
  if (std::string error = npy_format::parse(bytes, layout); !error.empty())
    fail(fmt::format("'{}' is not a usable .npy file: {}", path, error));
  Tensor t;
  t.shape = layout.shape;
  t.data.resize(layout.dataBytes / 4);
  if (layout.dataBytes) std::memcpy(t.data.data(), bytes.data() + layout.dataOffset, layout.dataBytes);
  return t;
}

Tensor readNpy(const std::string &path) { return parseNpy(readFile(path), path); }

std::string serializeNpy(const Tensor &t) {
  std::string out = npy_format::preamble(t.shape);
  out.append(reinterpret_cast<const char *>(t.data.data()), t.data.size() * 4);
  return out;
}

void writeNpy(const std::string &path, const Tensor &t) { writeFileAtomic(path, serializeNpy(t)); }

}  // namespace deeper
