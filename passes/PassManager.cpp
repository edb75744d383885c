#include "passes/PassManager.h"

#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/BatchNormFolding.h"
#include "passes/BranchSchedule.h"
#include "passes/ChannelShuffleFusion.h"
#include "passes/ChannelsLast.h"
#include "passes/ConcatElision.h"
#include "passes/ConvPoolFusion.h"
#include "passes/ElementwiseFusion.h"
#include "passes/EpilogueFusion.h"
#include "passes/InferenceCleanup.h"
#include "passes/OutputCopies.h"
#include "passes/PoolProjFusion.h"
#include "passes/ReduceConvFusion.h"
#include "passes/ShapeInference.h"
#include "passes/SiblingMerge.h"
#include "support/Suggest.h"

#include <algorithm>
#include <chrono>

namespace deeper {
namespace {

void checkPassName(const std::string &name, const char *option) {
  if (findPass(name)) return;
  std::vector<std::string> known;
  for (const PassInfo &p : allPasses()) known.push_back(p.name);
  fail(fmt::format("unknown pass '{}' in {}{}; known passes: {}", name, option, didYouMean(name, known), fmt::join(known, ", ")));
}

struct Timing {
  std::string pass;
  double ms;
  bool changed;
};

void printTimings(FILE *log, const std::vector<Timing> &timings) {
  double total = 0;
  for (const Timing &t : timings) total += t.ms;
  fmt::print(log, "# pass timing ({} passes, {:.3f} ms total)\n", timings.size(), total);
  fmt::print(log, "# {:>10}  {:>6}  {:<8} {}\n", "ms", "%", "changed", "pass");
  for (const Timing &t : timings)
    fmt::print(log, "# {:>10.3f}  {:>5.1f}%  {:<8} {}\n", t.ms, total > 0 ? 100.0 * t.ms / total : 0.0,
               t.changed ? "yes" : "no", t.pass);
}

/// The passes whose inclusion is one of `kinds`, in pipeline order.
std::vector<std::string> passesOf(std::initializer_list<PassInclusion> kinds) {
  std::vector<std::string> names;
  for (const PassInfo &p : allPasses())
    if (std::find(kinds.begin(), kinds.end(), p.inclusion) != kinds.end()) names.push_back(p.name);
  return names;
}

}  // namespace

const std::vector<PassInfo> &allPasses() {
  static const std::vector<PassInfo> passes = {
#define DEEPER_PASS(Name, cliName, inclusion, description) {cliName, description, &run##Name, PassInclusion::inclusion},
#include "passes/Passes.def"
  };
  return passes;
}

const PassInfo *findPass(const std::string &name) {
  for (const PassInfo &p : allPasses())
    if (name == p.name) return &p;
  return nullptr;
}

std::vector<std::string> defaultPipeline() { return passesOf({PassInclusion::Cleanup, PassInclusion::Default}); }

std::vector<std::string> cleanupPipeline() { return passesOf({PassInclusion::Cleanup}); }

void runPasses(Graph &graph, const PassOptions &options) {
  for (const std::string &name : options.pipeline) checkPassName(name, "--passes");
  for (const std::string &name : options.printAfter) checkPassName(name, "--print-after");
  if (options.verifyEach) verifyOrDie(graph, "before the first pass");
  std::vector<Timing> timings;
  for (const std::string &name : options.pipeline) {
    const PassInfo &pass = *findPass(name);
    auto start = std::chrono::steady_clock::now();
    bool changed = pass.run(graph);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    timings.push_back({name, ms, changed});
    if (options.verifyEach) verifyOrDie(graph, fmt::format("after pass {}", name));
    if (options.printAfterAll || options.printAfter.count(name))
      fmt::print(options.log, "# *** IR after {} ({}) ***\n{}", name, changed ? "changed" : "unchanged", printGraph(graph));
  }
  if (options.timePasses) printTimings(options.log, timings);
}

}  // namespace deeper
