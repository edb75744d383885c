#include "codegen/Compile.h"

#include "codegen/ArenaPlan.h"
#include "codegen/CacheFolder.h"
#include "codegen/Generators.h"
#include "codegen/Glue.h"
#include "codegen/KernelCache.h"
#include "codegen/KernelManifest.h"
#include "codegen/Package.h"
#include "codegen/Toolchain.h"
#include "codegen/WeightsFile.h"
#include "ir/Printer.h"
#include "support/Files.h"
#include "support/Hash.h"
#include "support/Process.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
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

/// The runtime's sources archived into every model's library; the executable's main is linked beside it.
const char *const kLibrarySources[] = {"runtime.cpp", "thread_pool.cpp", "scratch_memory.cpp", "device_memory.cpp"};
const char *const kExecutableMain = "deeper_main.cpp";

/// Every runtime header, in name order: a change to any of them recompiles every runtime object
/// (a header added to the folder is counted without a list to update).
std::string runtimeHeaders() {
  std::vector<std::string> names;
  for (const auto &entry : std::filesystem::directory_iterator(DEEPER_RUNTIME_DIR))
    if (entry.path().extension() == ".h") names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string text;
  for (const std::string &name : names) text += name + "\n" + readFile(std::string(DEEPER_RUNTIME_DIR) + "/" + name);
  return text;
}

/// Compiles runtime/<source> once per content (its own, and `headers`: runtimeHeaders()) and compiler
/// command, into the kernel cache.
std::string cachedRuntimeObject(const Toolchain &tools, const std::string &headers, const std::string &source) {
  std::string path = std::string(DEEPER_RUNTIME_DIR) + "/" + source;
  std::string text = readFile(path) + headers + "\n" + tools.compileCommand("");
  std::string object = fmt::format("{}/{}-{}.o", cacheDirectory(), source, cacheKey(text));
  return cachedObject(object, text, [&](const std::string &tmp) {
    run(fmt::format("{} -c {} -o {}", tools.compileCommand("."), shellQuoted(path), shellQuoted(tmp)), "compiling the runtime");
  });
}

/// What buildNative links: the staged folder, the model's identifier and its compiled parts.
struct NativeParts {
  Toolchain tools;
  StagedFolder *out;
  std::string id;
  const std::vector<CompiledKernel> *compiled;
  std::string halideRuntime;    ///< object
  std::string embeddedWeights;  ///< the weights file to assemble into the library, or ""
  bool shared;
};

/// Compiles the glue, archives it with the runtime and the kernels (and the weights, when embedded),
/// links the executable (and the shared library): all staged in `out`, with scratch objects beside them.
void buildNative(const NativeParts &parts) {
  StagedFolder &out = *parts.out;
  const std::string &id = parts.id, scratch = out.stagingPath();
  const Toolchain &tools = parts.tools;
  std::string cxx = tools.compileCommand(scratch);
  const std::string headers = runtimeHeaders();  // read once for the five runtime objects' keys
  run(fmt::format("{} -c {} -o {}", cxx, shellQuoted(scratch + "/" + id + "_glue.cpp"), shellQuoted(scratch + "/glue.o")), "compiling the step table");
  std::string objects = shellQuoted(scratch + "/glue.o") + " " + shellQuoted(parts.halideRuntime);
  for (const char *source : kLibrarySources) objects += " " + shellQuoted(cachedRuntimeObject(tools, headers, source));
  if (!parts.embeddedWeights.empty()) {  // assembled where the file is, so .incbin names it without a path
    writeFileAtomic(scratch + "/weights.S", weightsAssembly(id, parts.embeddedWeights));
    run(fmt::format("cd {} && {} -c weights.S -o weights.o", shellQuoted(scratch), tools.cxx), "assembling the weights");
    objects += " " + shellQuoted(scratch + "/weights.o");
  }
  std::set<std::string> unique;
  for (const CompiledKernel &ck : *parts.compiled)
    if (unique.insert(ck.object).second) objects += " " + shellQuoted(ck.object);
  std::string library = out.staged("lib" + id + ".a");
  run(fmt::format("{} rcs {} {}", tools.ar, shellQuoted(library), objects), "archiving the library");
  // The executable: the generic main, plus one line telling it which model it runs.
  writeFileAtomic(scratch + "/entry.cpp", fmt::format("#include \"{}.h\"\nextern \"C\" const deeper_model *const deeper_main_model = &{}_model;\n", id, id));
  run(fmt::format("{}{} {} {} {} -lpthread -ldl -o {}", cxx, tools.linker, shellQuoted(scratch + "/entry.cpp"), shellQuoted(cachedRuntimeObject(tools, headers, kExecutableMain)),
                  shellQuoted(library), shellQuoted(out.staged(id))),
      "linking the executable");
  if (parts.shared) {
    writeFileAtomic(scratch + "/exports.map", sharedLibraryExports(id));
    run(fmt::format("{}{} -shared -Wl,-soname,lib{}.so -Wl,--whole-archive {} -Wl,--no-whole-archive -Wl,--version-script={} -lpthread -ldl -lm -o {}",
                    cxx, tools.linker, id, shellQuoted(library), shellQuoted(scratch + "/exports.map"), shellQuoted(out.staged("lib" + id + ".so"))),
        "linking the shared library");
  }
}

/// `target`'s features as Halide's runtime tests them (halide_can_use_target_features).
std::vector<uint64_t> featureWords(const Halide::Target &target) {
  std::vector<uint64_t> words((Halide::Target::FeatureEnd + 63) / 64, 0);
  for (int f = 0; f < Halide::Target::FeatureEnd; ++f)
    if (target.has_feature(static_cast<Halide::Target::Feature>(f))) words[f / 64] |= uint64_t{1} << (f % 64);
  return words;
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
  if (text.find(',') != std::string::npos)
    fail(fmt::format("'{}' lists several targets: only deeper compile builds one library for several; give one", text));
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

std::vector<Halide::Target> parseTargets(const std::string &text) {
  std::vector<Halide::Target> targets;
  for (size_t begin = 0; begin <= text.size();) {
    size_t comma = std::min(text.find(',', begin), text.size());
    targets.push_back(parseTarget(text.substr(begin, comma - begin)));
    begin = comma + 1;
  }
  for (const Halide::Target &t : targets) {
    const Halide::Target &first = targets.front();
    if (targets.size() > 1 && (t.arch != first.arch || t.bits != first.bits || t.os != first.os || t.has_gpu_feature()))
      fail(fmt::format("targets '{}': the targets of one library are CPUs of one architecture and OS", text));
    if (std::count(targets.begin(), targets.end(), t) > 1) fail(fmt::format("targets '{}': {} is listed twice", text, t.to_string()));
  }
  return targets;
}

KernelTarget kernelTargetOf(const Halide::Target &target) {
  return KernelTarget(target.natural_vector_size<float>(), target.has_gpu_feature());
}

std::vector<Kernel> kernelsForTarget(const Graph &graph, const Halide::Target &target, const ScheduleChoices *choices) {
  return kernelsOf(graph, kernelTargetOf(target), choices);
}

CompileReport compileModel(const Graph &graph, const TensorMap &weights, const CompileOptions &options) {
  auto start = std::chrono::steady_clock::now();
  std::vector<Halide::Target> targets = parseTargets(options.target);
  const Halide::Target &target = targets.front();  // its schedules and weight layout serve every target
  Toolchain tools = toolchainFor(target);  // before the kernels: a target without tools fails at once
  CompileReport report;
  report.identifier = cIdentifier(graph.name);
  std::vector<Kernel> kernels = kernelsForTarget(graph, target, options.schedules);
  ArenaPlan plan = planArena(graph, kernels, target.has_gpu_feature() ? runtime::kGpuArenaAlignment : kCpuArenaAlignment);
  auto packed = packedWeights(kernels, weights);  // before any slow work: missing weights fail fast
  StagedFolder out(options.outDir);  // every output appears at the end, or none does

  std::vector<std::vector<CompiledKernel>> compiled;
  for (const Halide::Target &t : targets) compiled.push_back(compileKernels(kernels, t, CompileJobsOptions{options.jobs, options.progress}));
  std::string runtimeObject = compileRuntime(targets.back());  // the baseline's: every CPU the library runs on has its features
  uint64_t hash = modelHash(graph, kernels);
  std::string command = options.command.empty() ? "deeper compile " + shellQuoted(options.source) : options.command;
  const std::string &id = report.identifier;
  // Embedded weights are a scratch file the library takes in, not an output of their own.
  std::string weightsFile = options.embedWeights ? out.stagingPath() + "/" + id + ".weights" : out.staged(id + ".weights");
  writeWeightsFile(weightsFile, hash, packed);
  std::vector<std::string> targetNames;  // in full: "host" and "host-opencl" name what they were here
  for (const Halide::Target &t : targets) targetNames.push_back(t.to_string());
  GlueInput glue{report.identifier, options.source, fmt::format("{}", fmt::join(targetNames, ",")), command, hash, &graph, &kernels, {}, &plan};
  for (size_t t = 0; t < targets.size(); ++t) glue.variants.push_back(GlueVariant{targetNames[t], featureWords(targets[t]), &compiled[t]});
  if (options.embedWeights) glue.embeddedWeightsBytes = std::filesystem::file_size(weightsFile);
  writeFileAtomic(out.staged("deeper_runtime.h"), readFile(std::string(DEEPER_RUNTIME_DIR) + "/deeper_runtime.h"));
  writeFileAtomic(out.staged(id + ".h"), emitHeader(glue));
  writeFileAtomic(out.staged(id + "_glue.cpp"), emitGlueSource(glue));
  PackageInfo package{id, graph.name, target.to_string(), graph.batch, options.shared};
  writeFileAtomic(out.staged(id + "Config.cmake"), cmakePackageConfig(package));
  writeFileAtomic(out.staged(id + ".pc"), pkgConfigFile(package));
  BuildManifest manifest{graph.name, options.source, target.to_string(), id, graph.batch, {}, {}};
  for (size_t i = 0; i < kernels.size(); ++i) manifest.kernels.push_back(kernelRecord(kernels[i], compiled[0][i].function));
  for (const auto &node : graph.nodes())
    if (!runsKernel(*node)) manifest.notKernels[node->name] = whyNoKernel(*node);
  writeFileAtomic(out.staged(id + ".kernels.json"), manifestJson(manifest));
  std::vector<CompiledKernel> allKernels;
  for (const auto &list : compiled) allKernels.insert(allKernels.end(), list.begin(), list.end());
  buildNative(NativeParts{tools, &out, id, &allKernels, runtimeObject, options.embedWeights ? id + ".weights" : "", options.shared});
  out.commit();

  report.kernels = kernels.size();
  std::set<std::string> fresh, distinct;
  for (const CompiledKernel &ck : allKernels) {
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
