// Fuzz target: Caffe .prototxt networks (the text-format reader, the importer, module recognition),
// then everything FuzzModel.h does with a model that loads.
#include "FuzzModel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  deeper::fuzz::loadAndExercise(std::string(reinterpret_cast<const char *>(data), size), "fuzz.prototxt");
  return 0;
}
