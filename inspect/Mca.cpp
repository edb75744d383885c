#include "inspect/Mca.h"

#include "support/Diagnostics.h"
#include "support/Files.h"
#include "support/Process.h"

#include <llvm/ADT/StringRef.h>
#include <llvm/ADT/Triple.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/Host.h>

#include <fmt/format.h>

#include <memory>
#include <sstream>

namespace deeper::inspect {
namespace {

constexpr const char *kMca = "llvm-mca-14";
constexpr int kIterations = 200;

/// Whether LLVM's model of `cpu` has every one of `features`.
bool cpuHas(const std::string &cpu, const std::vector<std::string> &features) {
  initializeLlvmTargets();
  std::string triple = llvm::sys::getDefaultTargetTriple(), error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) return false;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(triple, cpu, ""));
  if (!sti || !sti->isCPUStringValid(cpu)) return false;
  for (const std::string &f : features)
    if (!sti->checkFeatures("+" + f)) return false;
  return true;
}

/// "Label:   value" lines of llvm-mca's summary.
double summaryValue(const std::string &report, const std::string &label) {
  size_t at = report.find(label + ":");
  if (at == std::string::npos) fail(fmt::format("{} printed no '{}' (output: {})", kMca, label, report.substr(0, 400)));
  return std::stod(report.substr(at + label.size() + 1));
}

}  // namespace

std::pair<std::string, std::string> mcaCpuFor(const std::vector<std::string> &features) {
  std::string host = llvm::sys::getHostCPUName().str();
  if (cpuHas(host, features)) return {host, "this CPU's model in LLVM 14"};
  std::vector<std::string> missing;
  for (const std::string &f : features)
    if (!cpuHas(host, {f})) missing.push_back(f);
  // LLVM 14 models no AMD core with AVX-512 (Zen 4 and 5 came later): Ice Lake's server core is the
  // nearest it has with AVX-512 throughput modelled.
  for (const char *model : {"icelake-server", "skylake-avx512", "znver3", "haswell"})
    if (cpuHas(model, features))
      return {model, fmt::format("LLVM 14's model of this CPU, {}, lacks {}", host, fmt::join(missing, ", "))};
  fail(fmt::format("no LLVM 14 scheduling model has {}", fmt::join(features, ", ")));
}

McaEstimate estimateLoop(const Loop &loop, const std::vector<std::string> &features) {
  DEEPER_CHECK(loop.found(), "estimateLoop needs a loop");
  McaEstimate e;
  std::tie(e.cpu, e.why) = mcaCpuFor(features);
  e.input = ".intel_syntax noprefix\n";
  for (size_t i = loop.begin; i < loop.end; ++i) {
    const Instruction &in = loop.function->instructions[i];
    if (!in.branches) e.input += in.text + "\n";
  }
  ScratchFolder scratch("deeper-mca");
  std::string file = scratch.path() + "/loop.s";
  writeFileAtomic(file, e.input);
  ProcessResult r = runProcess({kMca, "-mcpu=" + e.cpu, fmt::format("-iterations={}", kIterations), "-resource-pressure=false",
                                "-instruction-info=false", file}, 60);
  if (r.ending == ProcessResult::Ending::NotStarted || (r.ending == ProcessResult::Ending::Exited && r.code == 127))
    fail(fmt::format("cannot run {} (Debian package llvm-14: scripts/install-deps installs it)", kMca));
  if (!r.ok()) fail(fmt::format("{} failed on the kernel's loop ({}): {}", kMca, r.describe(), r.output.substr(0, 600)));
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line) && !line.empty();) e.report += line + "\n";
  e.cyclesPerIteration = summaryValue(r.output, "Total Cycles") / summaryValue(r.output, "Iterations");
  e.blockReciprocalThroughput = summaryValue(r.output, "Block RThroughput");
  e.ipc = summaryValue(r.output, "IPC");
  e.fmasPerCycle = e.cyclesPerIteration > 0 ? loop.mix.fmas() / e.cyclesPerIteration : 0;
  return e;
}

}  // namespace deeper::inspect
