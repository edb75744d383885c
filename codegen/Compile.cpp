#include "codegen/Compile.h"

#include "codegen/ArenaPlan.h"
#include "codegen/CacheFolder.h"
#include "codegen/Generators.h"
#include "codegen/Glue.h"
#include "codegen/KernelCache.h"
#include "codegen/KernelManifest.h"
#include "codegen/WeightsFile.h"
#include "ir/Printer.h"
#include "support/Files.h"
#include "support/Hash.h"
#include "support/Process.h"

#include <chrono>
#include <set>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace deeper {
namespace {

/// The graph, batch and every kernel's layout: what a weights file must have been written for.
uint64_t modelHash(const Graph &graph, const std::vector<Kernel> &kernels) {
  std::string text = printGraph(graph);
  for (const Kernel &k : kernels) text += k.canonical() + "\n";
  return fnv1a64(text);
}

void run(const std::string &command, const std::string &what) {
  if (std::system(command.c_str()) != 0) fail(fmt::format("{} failed: {}", what, command));
}

std::vector<std::pair<std::string, Tensor>> packedWeights(const std::vector<Kernel> &kernels, const TensorMap &weights) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const Kernel &k : kernels)
    for (const PackedParam &p : k.params) {
      std::string name = p.tensorName();
      auto it = weights.find(name);
      if (it == weights.end() || it->second.shape != p.spec.shape)
        fail(fmt::format("the weights have no tensor '{}' of shape f32[{}]", name, fmt::join(p.spec.shape, ",")));
      out.push_back({name, packParam(k, p, it->second)});
    }
  return out;
}

std::string compilerCommand(const std::string &dir) {
  return fmt::format("c++ -std=c++17 -O2 -fPIC -I{} -I{} -I{}", shellQuoted(dir), shellQuoted(DEEPER_RUNTIME_DIR), shellQuoted(DEEPER_HALIDE_INCLUDE));
}

/// Compiles runtime/<source> once per content and compiler flags, into the kernel cache.
std::string cachedRuntimeObject(const std::string &source) {
  std::string path = std::string(DEEPER_RUNTIME_DIR) + "/" + source, text = readFile(path);
  for (const char *header : {"deeper_runtime.h", "device_memory.h", "thread_pool.h", "scratch_memory.h", "weights_format.h", "npy_format.h", "top5.h", "printable.h", "machine_rates.h"})
    text += readFile(std::string(DEEPER_RUNTIME_DIR) + "/" + header);
  text += "\n" + compilerCommand("");
  std::string object = fmt::format("{}/{}-{}.o", cacheDirectory(), source, cacheKey(text));
  return cachedObject(object, text, [&](const std::string &tmp) {
    run(fmt::format("{} -c {} -o {}", compilerCommand("."), shellQuoted(path), shellQuoted(tmp)), "compiling the runtime");
  });
}

/// gold where binutils has it: it links a model's executable (Halide's runtime object and the kernels)
/// in 0.06 s where the default BFD linker takes 0.21 s, and every `deeper compile` links one.
const std::string &linkerFlag() {
  static const std::string flag = std::system("command -v ld.gold > /dev/null 2>&1") == 0 ? " -fuse-ld=gold" : "";
  return flag;
}

/// Compiles the glue, archives it with the runtime and the kernels, links the executable: the library
/// and the executable are staged in `out`, the objects are scratch files beside them.
void buildNative(StagedFolder &out, const std::string &id, const std::vector<CompiledKernel> &compiled,
                 const std::string &runtimeObject) {
  const std::string scratch = out.stagingPath();
  std::string cxx = compilerCommand(scratch);
  run(fmt::format("{} -c {} -o {}", cxx, shellQuoted(scratch + "/" + id + "_glue.cpp"), shellQuoted(scratch + "/glue.o")), "compiling the step table");
  std::string objects = shellQuoted(scratch + "/glue.o") + " " + shellQuoted(cachedRuntimeObject("runtime.cpp")) + " " +
                        shellQuoted(cachedRuntimeObject("thread_pool.cpp")) + " " + shellQuoted(cachedRuntimeObject("scratch_memory.cpp")) + " " +
                        shellQuoted(cachedRuntimeObject("device_memory.cpp")) + " " + shellQuoted(runtimeObject);
  std::set<std::string> unique;
  for (const CompiledKernel &ck : compiled)
    if (unique.insert(ck.object).second) objects += " " + shellQuoted(ck.object);
  std::string library = out.staged("lib" + id + ".a");
  run(fmt::format("ar rcs {} {}", shellQuoted(library), objects), "archiving the library");
  // The executable: the generic main, plus one line telling it which model it runs.
  writeFileAtomic(scratch + "/entry.cpp", fmt::format("#include \"{}.h\"\nextern \"C\" const deeper_model *const deeper_main_model = &{}_model;\n", id, id));
  run(fmt::format("{}{} {} {} {} -lpthread -ldl -o {}", cxx, linkerFlag(), shellQuoted(scratch + "/entry.cpp"), shellQuoted(cachedRuntimeObject("deeper_main.cpp")),
                  shellQuoted(library), shellQuoted(out.staged(id))),
      "linking the executable");
}

/// `target` with the host's CPU features (Halide's "host" detection) corrected: Halide 14 says
/// avx512_sapphirerapids for any CPU with AVX512-BF16 (AMD Zen 4 and 5 too), and code for it may use
/// AMX or AVX512-FP16, which those lack: an autoscheduled conv died of SIGILL on Zen 5.
Halide::Target withHostCorrected(Halide::Target target) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool amx = __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (edx & (1u << 24)), fp16 = edx & (1u << 23);
  if (target.has_feature(Halide::Target::AVX512_SapphireRapids) && !(amx && fp16))
    target = target.without_feature(Halide::Target::AVX512_SapphireRapids);
#endif
  return target;
}

}  // namespace

Halide::Target hostTarget() { return withHostCorrected(Halide::get_host_target()); }

Halide::Target parseTarget(const std::string &text) {
  if (text == "host") return hostTarget();
  if (!Halide::Target::validate_target_string(text))
    fail(fmt::format("unknown target '{}'; use host or a Halide target such as x86-64-linux-avx2, "
                     "x86-64-linux-avx512_skylake, x86-64-linux-avx512_sapphirerapids", text));
  Halide::Target target(text);
  if (text.rfind("host-", 0) == 0) target = withHostCorrected(target);  // host-opencl, host-cuda-cuda_capability_86
  bool capability = target.get_cuda_capability_lower_bound() > 20;
  if (target.has_feature(Halide::Target::CUDA) && !capability)
    fail(fmt::format("target '{}': name the GPU's compute capability, e.g. {}-cuda_capability_86 (Halide 14's newest; newer GPUs "
                     "run its PTX): without one Halide emits sm_20 code", text, text));
  bool gpu = target.has_gpu_feature();
  if (gpu && !target.has_feature(Halide::Target::CUDA) && !target.has_feature(Halide::Target::OpenCL))
    fail(fmt::format("target '{}': GPU kernels are for CUDA or OpenCL only", text));
  return target;
}

KernelTarget kernelTargetOf(const Halide::Target &target) {
  return KernelTarget(target.natural_vector_size<float>(), target.has_gpu_feature());
}

std::vector<Kernel> kernelsForTarget(const Graph &graph, const Halide::Target &target, const ScheduleChoices *choices) {
  return kernelsOf(graph, kernelTargetOf(target), choices);
}

CompileReport compileModel(const Graph &graph, const TensorMap &weights, const CompileOptions &options) {
  auto start = std::chrono::steady_clock::now();
  Halide::Target target = parseTarget(options.target);
  // The library and executable are built with this machine's c++: kernels for another architecture
  // or OS would compile for a minute, then fail to link. Explain and schedules take any target.
  if (target.arch != Halide::Target::X86 || target.bits != 64 || target.os != Halide::Target::Linux)
    fail(fmt::format("target '{}': deeper compile builds for x86-64 Linux, this machine's kind, only so far (no cross-compiler); "
                     "`deeper explain --target {}` shows such kernels", options.target, options.target));
  CompileReport report;
  report.identifier = cIdentifier(graph.name);
  std::vector<Kernel> kernels = kernelsForTarget(graph, target, options.schedules);
  ArenaPlan plan = planArena(graph, kernels, target.has_gpu_feature() ? runtime::kGpuArenaAlignment : kCpuArenaAlignment);
  auto packed = packedWeights(kernels, weights);  // before any slow work: missing weights fail fast
  StagedFolder out(options.outDir);  // every output appears at the end, or none does

  std::vector<CompiledKernel> compiled = compileKernels(kernels, target, CompileJobsOptions{options.jobs, options.progress});
  std::string runtimeObject = compileRuntime(target);
  uint64_t hash = modelHash(graph, kernels);
  std::string command = options.command.empty() ? "deeper compile " + shellQuoted(options.source) : options.command;
  GlueInput glue{report.identifier, options.source, target.to_string(), command, hash, &graph, &kernels, &compiled, &plan};
  const std::string &id = report.identifier;
  writeFileAtomic(out.staged("deeper_runtime.h"), readFile(std::string(DEEPER_RUNTIME_DIR) + "/deeper_runtime.h"));
  writeFileAtomic(out.staged(id + ".h"), emitHeader(glue));
  writeFileAtomic(out.staged(id + "_glue.cpp"), emitGlueSource(glue));
  writeWeightsFile(out.staged(id + ".weights"), hash, packed);
  BuildManifest manifest{graph.name, options.source, target.to_string(), id, graph.batch, {}, {}};
  for (size_t i = 0; i < kernels.size(); ++i) manifest.kernels.push_back(kernelRecord(kernels[i], compiled[i].function));
  for (const auto &node : graph.nodes())
    if (!runsKernel(*node)) manifest.notKernels[node->name] = whyNoKernel(*node);
  writeFileAtomic(out.staged(id + ".kernels.json"), manifestJson(manifest));
  buildNative(out, id, compiled, runtimeObject);
  out.commit();

  report.kernels = kernels.size();
  std::set<std::string> fresh, distinct;
  for (const CompiledKernel &ck : compiled) {
    distinct.insert(ck.object);
    if (!ck.cached) fresh.insert(ck.object);
  }
  report.distinct = distinct.size(), report.distinctCompiled = fresh.size();
  report.arenaBytes = plan.arenaBytes;
  report.totalBytes = plan.totalBytes;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace deeper
