// Runs named passes in order, with LLVM-style instrumentation:
//   --passes=a,b          the pipeline (default: every Default pass in passes/Passes.def, in order)
//   --print-after=NAME    print the IR after pass NAME (repeatable; comma lists too)
//   --print-after-all     print the IR after every pass
//   --time-passes         a table of wall time per pass
//   --verify-each         run the IR verifier after every pass (always on in debug builds and tests)
// Dumps and timings go to the `log` stream (stderr in the CLI); printed IR dumps are valid .ir input.
#pragma once

#include "ir/Graph.h"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

namespace deeper {

/// Cleanup passes prepare the model for inference and keep its layers (what `deeper summary` counts);
/// Default passes optimise it (merging or fusing layers); both make the default pipeline. OptIn passes
/// run only when --passes names them.
enum class PassInclusion { Cleanup, Default, OptIn };

struct PassInfo {
  const char *name;
  const char *description;
  bool (*run)(Graph &);
  PassInclusion inclusion;  ///< OptIn passes run only when --passes names them
};

const std::vector<PassInfo> &allPasses();
/// nullptr when unknown.
const PassInfo *findPass(const std::string &name);
std::vector<std::string> defaultPipeline();
/// The Cleanup passes of the default pipeline: the model's own layers, ready for inference.
std::vector<std::string> cleanupPipeline();

struct PassOptions {
  std::vector<std::string> pipeline = defaultPipeline();
  std::set<std::string> printAfter;
  bool printAfterAll = false;
  bool timePasses = false;
#ifdef NDEBUG
  bool verifyEach = false;
#else
  bool verifyEach = true;
#endif
  FILE *log = stderr;
};

/// Checks every name in the options (UserError listing the known passes), then runs the pipeline.
void runPasses(Graph &graph, const PassOptions &options);

}  // namespace deeper
