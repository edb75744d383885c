// deeper: the Deeper command-line tool. See `deeper --help`.
#include "tools/deeper/Commands.h"

#include "support/Diagnostics.h"

#include <cstring>
#include <exception>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      fmt::print("{}", deeper::cli::usage());
      return 0;
    }
  try {
    return deeper::cli::runCommand(deeper::cli::parseOptions(argc, argv));
  } catch (const deeper::UserError &e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  } catch (const std::bad_alloc &) {
    fmt::print(stderr, "error: out of memory\n");
    return 1;
  }
}
