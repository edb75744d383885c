// Fuzz target: .npy files, as `deeper run` reads them (support/Npy, on the parser compiled executables
// carry, runtime/npy_format.h). What is accepted must hold the file's data, and write and read back
// to the same tensor.
#include "FuzzModel.h"

#include "runtime/npy_format.h"
#include "support/Diagnostics.h"
#include "support/Npy.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  deeper::npy_format::Layout layout;
  bool runtimeAccepts = deeper::npy_format::parse(bytes, layout).empty();
  try {
    deeper::Tensor t = deeper::parseNpy(bytes, "fuzz.npy");
    FUZZ_CHECK(runtimeAccepts, "support/Npy accepts a file runtime/npy_format.h refuses");
    FUZZ_CHECK(t.shape == layout.shape, "the two parsers read different shapes");
    FUZZ_CHECK(t.data.size() * 4 == layout.dataBytes &&
                   (t.data.empty() || std::memcmp(t.data.data(), bytes.data() + layout.dataOffset, layout.dataBytes) == 0),
               "the data differs from the file's");
    deeper::Tensor again = deeper::parseNpy(deeper::serializeNpy(t), "again.npy");
    FUZZ_CHECK(again.shape == t.shape && again.data.size() == t.data.size() &&
                   (t.data.empty() || std::memcmp(again.data.data(), t.data.data(), t.data.size() * 4) == 0),
               "a tensor read, written and read again changed");
  } catch (const deeper::UserError &) {
    FUZZ_CHECK(!runtimeAccepts, "runtime/npy_format.h accepts a file support/Npy refuses");
  }
  return 0;
}
