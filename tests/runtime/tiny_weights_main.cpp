// deeper_tiny_weights FILE: writes the weights file of the hand-written tiny model (TinyModel.h), the
// seed of the weights-file fuzz target.
#include "TinyModel.h"

#include "support/Files.h"

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  deeper::writeFileAtomic(argv[1], deeper::test::tinyWeightsFile());
  return 0;
}
