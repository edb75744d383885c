// deeper_random_graph SEED [SEED...]: prints the random graph of each seed as a .ir file (the
// differential test compiles and runs them; the fuzzers take them as seeds). With --out DIR, writes
// DIR/random-SEED.ir instead.
#include "RandomGraph.h"

#include "ir/Printer.h"
#include "support/Files.h"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char **argv) {
  std::string out;
  int printed = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc) {
      out = argv[++i];
      continue;
    }
    char *end = nullptr;
    unsigned long long seed = std::strtoull(arg.c_str(), &end, 10);
    if (arg.empty() || *end) {
      std::fprintf(stderr, "usage: %s [--out DIR] SEED [SEED...]\n", argv[0]);
      return 2;
    }
    std::string text = deeper::printGraph(deeper::test::randomGraph(seed));
    if (out.empty()) std::fputs(text.c_str(), stdout);
    else deeper::writeFileAtomic(out + "/random-" + arg + ".ir", text);
    ++printed;
  }
  return printed ? 0 : 2;
}
