// `deeper compile`: the optimised graph becomes a native library, a C header, a weights file and an
// executable in one folder:
//
//   DIR/<model>.h          C API (create, run, destroy, shapes)
//   DIR/lib<model>.a       kernels + Halide runtime + Deeper runtime + step table
//   DIR/<model>.weights    packed weights, checked at load
//   DIR/<model>            executable: --input/--output .npy, --top5, --threads, --bench
//   DIR/<model>_glue.cpp   the step table, readable
//   DIR/<model>.kernels.json  each kernel's node, schedule, work and symbol (codegen/KernelManifest.h)
//   DIR/deeper_runtime.h   the runtime's C API, included by <model>.h
//   DIR/<model>Config.cmake, DIR/<model>.pc   for consumers' builds (codegen/Package.h)
//   DIR/lib<model>.so      with `shared`: the library as a shared object exporting the C API only
//
// With `embedWeights` the weights file is linked into the library and the executable instead of
// written beside them: the executable alone is the whole model.
//
// Targets: CPUs (host, x86-64-linux-avx2, ..., arm-64-linux; several for one library that picks per
// CPU) and GPUs through OpenCL or CUDA (host-opencl,
// host-cuda-cuda_capability_86): on a GPU the weights go to the device once, each step's activations to
// it and back for now (runtime/runtime.cpp runStep).
#pragma once

#include "codegen/Kernel.h"
#include "ir/Graph.h"
#include "support/Safetensors.h"

#include <Halide.h>

#include <string>

namespace deeper {

struct ScheduleChoices;

struct CompileOptions {
  std::string outDir;
  std::string target = "host";
  std::string source;  ///< the model file, for comments
  std::string command;  ///< the command as typed, for the header's first line ("": `deeper compile <source>`)
  int jobs = 0;        ///< parallel kernel compiles; 0: one per core
  bool progress = true;
  bool embedWeights = false;  ///< link the packed weights in (<model>_create(NULL, ...)) instead of a .weights file
  bool shared = false;        ///< build lib<model>.so too
  /// Schedules given by hand for some kernels (codegen/ScheduleFile.h); null: every kernel's default.
  const ScheduleChoices *schedules = nullptr;
};

struct CompileReport {
  std::string identifier;
  size_t kernels = 0, distinct = 0, distinctCompiled = 0;  ///< kernels; distinct ones (identical kernels share one); compiled now
  int64_t arenaBytes = 0, totalBytes = 0;
  double seconds = 0;
};

/// "host" or a Halide target string (x86-64-linux-avx2, ...); UserError naming valid examples.
Halide::Target parseTarget(const std::string &text);
/// `deeper compile`'s targets: one, or a comma-separated list for a multi-target library, best first
/// and the baseline last (x86-64-linux-avx512_skylake,x86-64-linux-avx2). The first target's schedules
/// and weight layout serve them all (one weights file); each compiles its own kernels, and the
/// library runs the first one the CPU supports. CPUs of one architecture and OS only.
std::vector<Halide::Target> parseTargets(const std::string &text);
/// This CPU's target: Halide's host detection, less avx512_sapphirerapids where the CPU has no AMX or
/// AVX512-FP16 (Halide 14 reports it for AMD Zen 4 and 5). What "host" means everywhere.
Halide::Target hostTarget();

/// What kernels take from `target`: its float vector width, and whether it is a GPU.
KernelTarget kernelTargetOf(const Halide::Target &target);
/// The kernels of `graph` for `target` (kernelsOf): the one place a target turns a graph into kernels,
/// so that compile, schedules, explain and compare agree.
std::vector<Kernel> kernelsForTarget(const Graph &graph, const Halide::Target &target, const ScheduleChoices *choices = nullptr);

/// Compiles `graph` (after the pass pipeline) with `weights` (by tensor name, logical layout).
CompileReport compileModel(const Graph &graph, const TensorMap &weights, const CompileOptions &options);

}  // namespace deeper
