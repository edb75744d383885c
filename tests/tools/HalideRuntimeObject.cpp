// Writes Halide's runtime, for baseline x86-64 Linux, as an object file (argv[1]). The runtime's tests
// and fuzz target link it the way a compiled model links the one `deeper compile` writes: runtime.cpp
// installs its thread pool through it.
#include <Halide.h>

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
    return 2;
  }
  Halide::compile_standalone_runtime(argv[1], Halide::Target("x86-64-linux"));
  return 0;
}
