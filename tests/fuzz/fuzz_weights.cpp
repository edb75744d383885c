// Fuzz target: the compiled model's weights file, as the runtime loads it (runtime/runtime.cpp), for
// the hand-written model of tests/runtime/TinyModel.h. A file the runtime accepts must run and give
// exactly what its own bytes say: x * scale + shift.
#include "FuzzModel.h"
#include "tests/runtime/TinyModel.h"

#include "support/Files.h"

#include <cstring>

namespace {

std::string weightsPath;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  try {
    static const deeper::ScratchFolder folder("deeper-fuzz-weights");
    weightsPath = folder.path() + "/fuzz.weights";
  } catch (const std::exception &) {
    return 1;
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  deeper::writeFileAtomic(weightsPath, bytes);
  deeper_context *ctx = nullptr;
  if (deeper_create(&deeper::test::kTinyModel, weightsPath.c_str(), &ctx) != DEEPER_OK) return 0;
  std::vector<float> x(deeper::test::kTinyWidth), y(deeper::test::kTinyWidth);
  for (int i = 0; i < deeper::test::kTinyWidth; ++i) x[i] = static_cast<float>(i) * 0.25f - 1.5f;
  const float *in[] = {x.data()};
  float *out[] = {y.data()};
  deeper_status s = deeper_run(ctx, in, out);
  deeper_destroy(ctx);
  FUZZ_CHECK(s == DEEPER_OK, "an accepted weights file does not run: {}", deeper_last_error());
  std::vector<float> want = deeper::test::tinyExpected(x, bytes);
  FUZZ_CHECK(std::memcmp(y.data(), want.data(), y.size() * 4) == 0, "an accepted weights file computes something else than its bytes say");
  return 0;
}
