// `deeper compare`: two builds of a model side by side, kernel by kernel: time, GFLOP/s, % of the
// measured peak, instruction-mix deltas, and which fusions each build applied.
//
// Kernels are matched through the layers they compute: a kernel covers its node and every layer the
// passes absorbed into it (codegen/KernelManifest.h). Kernels of the two builds that share a layer are
// one row, so a fused kernel faces the kernels it replaced:
//
//   A (default)                              B (--passes=)
//   inception_3a/3x3  absorbs 3x3_reduce ──  inception_3a/3x3_reduce, inception_3a/3x3
//   r3_and_r5         absorbs r3, r5     ──  r3, r5
//
// Both builds are timed in the same run, alternating round by round, since this machine changes speed
// by tens of percent from minute to minute: only the ratio of two times measured together means much.
#pragma once

#include "codegen/ExecutableProfile.h"
#include "codegen/KernelManifest.h"
#include "inspect/InstructionMix.h"

#include <string>
#include <vector>

namespace deeper::inspect {

/// One side of a comparison: a compiled folder, read back.
struct ComparedBuild {
  std::string label;   ///< what the user gave: a folder, or a model's options
  std::string folder;
  BuildManifest manifest;
  std::vector<InstructionMix> mixes;  ///< per kernel, in manifest order: its code from the library
  Profile profile;                    ///< per step, the median over rounds of each round's median
};

/// Reads `folder` (a `deeper compile` output): its manifest, and each kernel's code from its library.
ComparedBuild loadBuild(const std::string &folder, const std::string &label);

/// Profiles the builds' executables `rounds` times each, alternating, `runs` runs a round.
void profileTogether(std::vector<ComparedBuild *> builds, int rounds, int runs, int threads);

/// Kernels of `a` and `b` (indices into their manifests) that compute the same layers.
struct MatchedKernels {
  std::vector<size_t> a, b;
};
std::vector<MatchedKernels> matchKernels(const BuildManifest &a, const BuildManifest &b);

/// Kernels whose code differs: matched one to one under the same name but with another symbol, or
/// not matched one to one.
int differingRows(const ComparedBuild &a, const ComparedBuild &b, const std::vector<MatchedKernels> &rows);

/// `diff -u` of two texts, cut after `maxLines` lines (saying how many more there were); "" when equal.
std::string unifiedDiff(const std::string &a, const std::string &b, const std::string &labelA, const std::string &labelB, size_t maxLines);

/// The side-by-side table, totals and a summary of what differs.
std::string printComparison(const ComparedBuild &a, const ComparedBuild &b, const std::vector<MatchedKernels> &rows);

}  // namespace deeper::inspect
