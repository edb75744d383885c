// Compiles kernels to object files ahead of time, in parallel, through a cache.
//
// A kernel's object is stored under a key hashed from everything that determines its code: its
// canonical description (op, attributes, extents but the batch, schedule), the target, the Halide
// version and the code generator's sources; the text itself is kept beside it and checked on every
// hit (codegen/CacheFolder.h). Identical kernels (the same layer shape in two modules, or two batch sizes) share one object
// and one function, `deeper_k_<key>`. An unchanged rebuild compiles nothing.
#pragma once

#include "codegen/Kernel.h"

#include <Halide.h>

#include <functional>
#include <string>
#include <vector>

namespace deeper {

struct CompiledKernel {
  std::string function;  ///< the C symbol of the kernel's _argv entry point, without "_argv"
  std::string object;    ///< path of its object file in the cache
  bool cached;           ///< found in the cache rather than compiled now
};

struct CompileJobsOptions {
  int jobs = 0;          ///< parallel compiler processes; 0: one per core
  bool progress = true;  ///< "[i/n] name" lines on stderr
};

/// What else decides a kernel's code: the Halide version and a hash of the code generator's sources.
std::string halideVersion();
std::string codeGeneratorHash();

/// Returns one CompiledKernel per kernel (same order). UserError when a kernel fails to compile.
std::vector<CompiledKernel> compileKernels(const std::vector<Kernel> &kernels, const Halide::Target &target,
                                           const CompileJobsOptions &options);

/// The Halide runtime for `target`, compiled once into the cache; returns its object's path.
std::string compileRuntime(const Halide::Target &target);

}  // namespace deeper
