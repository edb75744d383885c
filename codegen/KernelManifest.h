// The compiled kernels of a build, recorded beside its library as <model>.kernels.json: what each
// kernel computes (its node, the layers passes absorbed into it, shapes, work, compulsory bytes), how
// (schedule, algorithm) and under which symbol. `deeper explain`, `deeper compare` and `deeper report`
// read it, and so can a user's scripts, instead of parsing the glue.
#pragma once

#include "codegen/Kernel.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace deeper {

struct KernelRecord {
  std::string node;                   ///< the node's name
  std::string op;                     ///< "conv+relu", "maxpool", ...
  std::string nodeText;               ///< the node as the IR prints it (fusions show as attributes)
  std::vector<std::string> absorbed;  ///< layers passes folded, fused or merged into it (ir/Graph.h)
  std::vector<std::string> inputs;    ///< "f32[1,160,14,14] inception_4e/3x3_reduce"
  std::string output;                 ///< "f32[1,320,14,14]"
  std::string schedule, algorithm;
  std::string function;               ///< the kernel's symbol in the library (deeper_k_<key>)
  int64_t layerMacs = 0, executedMacs = 0;
  int64_t inputBytes = 0, weightBytes = 0, outputBytes = 0;
  int lane = 0, group = 0;

  int64_t bytes() const { return inputBytes + weightBytes + outputBytes; }
  /// Executed flops per compulsory byte: above the machine's flops / bandwidth a kernel can be
  /// compute-bound, below it is memory-bound (the roofline).
  double intensity() const;
};

struct BuildManifest {
  std::string model, source, target;
  std::string identifier;  ///< the files' names: lib<identifier>.a, the executable <identifier>
  int64_t batch = 1;
  std::vector<KernelRecord> kernels;  ///< in execution order: the profile's steps
  /// The graph's other nodes and why they run no kernel ("in-place concat: ..."), by name.
  std::map<std::string, std::string> notKernels;
};

/// Why `node` runs no kernel of its own (ir/Graph.h runsKernel is false for it).
std::string whyNoKernel(const Node &node);

/// The algorithm in words: "direct", "Winograd F(4x4,3x3)", "Halide's Mullapudi2016 autoscheduler",
/// or the op's name for kernels that are not convs.
std::string algorithmName(const Kernel &kernel);

/// `kernel`'s record; `function` is its symbol.
KernelRecord kernelRecord(const Kernel &kernel, const std::string &function);

std::string manifestJson(const BuildManifest &manifest);
/// UserError naming `what` when `text` is not a manifest, or holds an identifier that is no C
/// identifier, or lanes, groups, work or byte counts no build has.
BuildManifest parseManifest(const std::string &text, const std::string &what);
/// parseManifest of the file `path`; UserError also when it cannot be read.
BuildManifest readManifest(const std::string &path);

}  // namespace deeper
