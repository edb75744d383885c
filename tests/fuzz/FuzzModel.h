// What every model-format fuzz target does with a model that loaded (tests/fuzz, README "Reliability"):
// the reference executor on tiny shapes before and after the default passes (which must not change
// what the graph computes), the verifier after every pass, and the printed IR read back (it must
// print the same). A clean UserError anywhere before the round trip is a fine answer to bad input;
// anything else (a crash, a sanitizer report, an internal error, a broken oracle) is a finding.
#pragma once

#include "ir/Graph.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace deeper::fuzz {

void exerciseModel(Graph graph);

/// Loads `bytes` as a model file at `path` (its extension picks the format) and exercises it.
void loadAndExercise(const std::string &bytes, const std::string &path);

}  // namespace deeper::fuzz

/// An oracle of a fuzz target: prints what broke and aborts, which libFuzzer records as a crash.
#define FUZZ_CHECK(cond, ...)                                                       \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "fuzz oracle failed: %s: %s\n", #cond, fmt::format(__VA_ARGS__).c_str()); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
