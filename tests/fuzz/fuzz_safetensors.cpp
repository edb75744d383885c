// Fuzz target: .safetensors weights files. What parses must write and parse back to the same tensors.
#include "FuzzModel.h"

#include "support/Diagnostics.h"
#include "support/Safetensors.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    deeper::TensorMap tensors = deeper::parseSafetensors(std::string(reinterpret_cast<const char *>(data), size), "fuzz.safetensors");
    deeper::TensorMap again = deeper::parseSafetensors(deeper::serializeSafetensors(tensors), "again.safetensors");
    FUZZ_CHECK(again.size() == tensors.size(), "tensors lost writing and reading back");
    for (const auto &[name, t] : tensors) {
      const deeper::Tensor &u = again.at(name);
      FUZZ_CHECK(u.shape == t.shape && u.data.size() == t.data.size() &&
                     (t.data.empty() || std::memcmp(u.data.data(), t.data.data(), t.data.size() * 4) == 0),
                 "tensor '{}' changed writing and reading back", name);
    }
  } catch (const deeper::UserError &) {
  }
  return 0;
}
