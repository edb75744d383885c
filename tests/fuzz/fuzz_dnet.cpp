// Fuzz target: the .dnet language and the .ir format (same parser, .ir adds declared types), then
// everything FuzzModel.h does with a model that loads.
#include "FuzzModel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  deeper::fuzz::loadAndExercise(text, "fuzz.dnet");
  deeper::fuzz::loadAndExercise(text, "fuzz.ir");
  return 0;
}
