// The readable C++ that ties a compiled model together: the step table (which kernel runs on which
// buffers, at which arena offsets) and the model's C header. Written to the output folder next to the
// library, so what the runtime will do can be read.
#pragma once

#include "codegen/ArenaPlan.h"
#include "codegen/KernelCache.h"

#include <string>
#include <vector>

namespace deeper {

/// One target a library is built for: a multi-target library carries the kernels of each, and picks
/// the first the CPU it runs on supports (codegen/Compile.h).
struct GlueVariant {
  std::string target;                           ///< Halide's name for it
  std::vector<uint64_t> features;               ///< its feature bits, as halide_can_use_target_features takes them
  const std::vector<CompiledKernel> *compiled;  ///< one per kernel
};

struct GlueInput {
  std::string identifier;  ///< C identifier of the model, e.g. "googlenet"
  std::string source;      ///< the model file, for the comment
  std::string target;
  std::string command;     ///< the command that made the build (the header's first line), e.g. "deeper compile m.dnet --batch 4 -o out"
  uint64_t hash;
  const Graph *graph;
  const std::vector<Kernel> *kernels;
  std::vector<GlueVariant> variants;  ///< best first; one for a single-target build
  const ArenaPlan *plan;
  uint64_t embeddedWeightsBytes = 0;  ///< --embed-weights: the weights file's size, linked in as <identifier>_weights; 0: not
};

/// "googlenet" from a graph name: letters, digits and '_' only, not starting with a digit.
std::string cIdentifier(const std::string &name);

/// Names of the weight tensors in table order (the order of kernels and their params).
std::vector<std::string> weightTableNames(const std::vector<Kernel> &kernels);

std::string emitGlueSource(const GlueInput &in);
std::string emitHeader(const GlueInput &in);

}  // namespace deeper
