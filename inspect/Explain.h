// `deeper explain`: one kernel as generated, read three ways: what it computes (node, shapes,
// algorithm, work and compulsory bytes), how Halide lowered it (the loop nest), and what the CPU runs
// (the object's instruction mix, the loop that does the work, llvm-mca's throughput estimate of it).
// inspect/Compare.h lines two builds' explanations up kernel by kernel.
#pragma once

#include "codegen/ExecutableProfile.h"
#include "codegen/Kernel.h"
#include "codegen/KernelManifest.h"
#include "inspect/Disassembly.h"
#include "inspect/InstructionMix.h"
#include "inspect/Mca.h"

#include <Halide.h>

#include <optional>
#include <string>
#include <vector>

namespace deeper::inspect {

struct ExplainOptions {
  bool loweredStatement = true;  ///< lower the pipeline again for its statement (a second or two)
  std::string htmlStatementPath; ///< when set, Halide's HTML view of the statement is written there
  bool mca = true;               ///< run llvm-mca-14 on the hot loop
};

struct KernelExplanation {
  KernelRecord kernel;         ///< what it computes and how (codegen/KernelManifest.h)
  std::string target;

  std::string object;          ///< its object in the kernel cache
  std::vector<DisassembledFunction> code;
  InstructionMix mix;
  Loop hotLoop;  ///< points into `code`: an explanation is not copied once explained
  std::optional<McaEstimate> mca;
  std::string mcaProblem;        ///< why there is no estimate
  std::string loweredStatement;

  /// Measured in the whole compiled model (`deeper explain --measure`): the kernel's step, and the
  /// machine rates the executable measured on the same threads.
  std::optional<StepProfile> measured;
  int threads = 0;
  double peakGflops = 0, readGBps = 0;

  KernelExplanation() = default;
  KernelExplanation(const KernelExplanation &) = delete;
  KernelExplanation &operator=(const KernelExplanation &) = delete;
  KernelExplanation(KernelExplanation &&) = default;
  KernelExplanation &operator=(KernelExplanation &&) = default;
};

/// Compiles `kernel` for `target` through the kernel cache (as `deeper compile` does) and reads it back.
KernelExplanation explainKernel(const Kernel &kernel, const Halide::Target &target, const ExplainOptions &options = {});

/// Halide's lowered statement of `kernel` for `target` (the loop nest, before LLVM), as text, its
/// names made independent of what else this process lowered (canonicalStatement).
std::string loweredStatement(const Kernel &kernel, const Halide::Target &target);

/// `stmt` with the names Halide makes unique per process renamed by first appearance: "conv$1" is
/// "conv", temporaries "t67" count from t0. Two lowerings of one pipeline then print alike.
std::string canonicalStatement(const std::string &stmt);

/// Takes the kernel's time and the machine's rates from `profile` (of a build holding the kernel).
/// UserError when the profile has no step of the kernel's node.
void attachMeasurement(KernelExplanation &e, const Profile &profile);

/// The summary printed by `deeper explain`.
std::string printExplanation(const KernelExplanation &e);
/// The disassembly, function by function, the hot loop's lines marked with '>'.
std::string printDisassembly(const KernelExplanation &e);

}  // namespace deeper::inspect
