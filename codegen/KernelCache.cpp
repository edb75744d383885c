#include "codegen/KernelCache.h"

#include "CodegenHash.h"

#include "codegen/Generators.h"
#include "runtime/printable.h"
#include "support/Hash.h"
#include "support/Diagnostics.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace deeper {
namespace {

namespace fs = std::filesystem;

std::string keyOf(const Kernel &k, const Halide::Target &target) {
  return fmt::format("{:016x}", fnv1a64(k.canonical() + " | " + target.to_string() + " | halide " DEEPER_HALIDE_VERSION +
                                        " | codegen " DEEPER_CODEGEN_SOURCE_HASH));
}

/// Compiles one kernel into the cache entry `object`.
void compileOne(const Kernel &k, const std::string &function, const std::string &object, const Halide::Target &target) {
  cachedObject(object, [&](const std::string &tmp) {
    Halide::Target kernelTarget = target.with_feature(Halide::Target::NoRuntime);
    std::optional<codegen::HalideWarningsSilenced> quiet;
    if (!k.schedule.autoscheduler.empty()) quiet.emplace();
    codegen::KernelPipeline kp = codegen::generateKernel(k, kernelTarget);
    kp.output.compile_to_object(tmp, kp.arguments(), function, kernelTarget);
  });
}

struct Job {
  size_t kernel;
  std::string function, object;
};

/// Child process `worker` of `workers`: compiles every workers-th job; exits 0, or 1 after printing why.
[[noreturn]] void runWorker(const std::vector<Kernel> &kernels, const std::vector<Job> &jobs, size_t worker,
                            size_t workers, const Halide::Target &target, bool progress) {
  int status = 0;
  for (size_t j = worker; j < jobs.size(); j += workers) {
    const Kernel &k = kernels[jobs[j].kernel];
    auto start = std::chrono::steady_clock::now();
    try {
      compileOne(k, jobs[j].function, jobs[j].object, target);
    } catch (const std::exception &e) {
      fmt::print(stderr, "error: compiling kernel of '{}' failed: {}\n", printableText(k.node->name), printableText(e.what()));
      status = 1;
      break;
    }
    if (progress)
      fmt::print(stderr, "[{}/{}] compiled {} ({:.1f} s)\n", j + 1, jobs.size(), printableText(k.node->name),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::fflush(stderr);
  _exit(status);
}

/// Runs the jobs in `workers` forked processes (Halide compiles are independent; processes keep
/// LLVM's global state apart).
void runJobs(const std::vector<Kernel> &kernels, const std::vector<Job> &jobs, const Halide::Target &target,
             const CompileJobsOptions &options) {
  size_t workers = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  workers = std::min(workers, jobs.size());
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> children;
  for (size_t w = 0; w < workers; ++w) {
    pid_t pid = fork();
    if (pid < 0) fail("cannot start a compiler process (fork failed)");
    if (pid == 0) runWorker(kernels, jobs, w, workers, target, options.progress);
    children.push_back(pid);
  }
  bool ok = true;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  if (!ok) fail("kernel compilation failed (see above)");
}

}  // namespace

std::string halideVersion() { return DEEPER_HALIDE_VERSION; }

std::string codeGeneratorHash() { return DEEPER_CODEGEN_SOURCE_HASH; }

std::string cacheDirectory() {
  std::string dir;
  if (const char *d = std::getenv("DEEPER_CACHE_DIR"); d && *d) dir = d;
  else if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x) dir = std::string(x) + "/deeper";
  else if (const char *h = std::getenv("HOME"); h && *h) dir = std::string(h) + "/.cache/deeper";
  else dir = "/tmp/deeper-cache";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(fmt::format("cannot create the kernel cache '{}': {}", dir, ec.message()));
  return dir;
}

std::vector<CompiledKernel> compileKernels(const std::vector<Kernel> &kernels, const Halide::Target &target,
                                           const CompileJobsOptions &options) {
  std::string dir = cacheDirectory();
  std::vector<CompiledKernel> out;
  std::vector<Job> jobs;
  std::map<std::string, size_t> scheduled;  // object -> job, so identical kernels compile once
  for (size_t i = 0; i < kernels.size(); ++i) {
    std::string key = keyOf(kernels[i], target);
    CompiledKernel ck{"deeper_k_" + key, dir + "/" + key + ".o", fs::exists(dir + "/" + key + ".o")};
    if (!ck.cached && !scheduled.count(ck.object)) {
      scheduled[ck.object] = jobs.size();
      jobs.push_back(Job{i, ck.function, ck.object});
    }
    out.push_back(ck);
  }
  if (options.progress)
    fmt::print(stderr, "kernels: {} in the graph, {} distinct to compile, the rest cached ({})\n", kernels.size(), jobs.size(), dir);
  if (!jobs.empty()) runJobs(kernels, jobs, target, options);
  return out;
}

std::string compileRuntime(const Halide::Target &target) {
  std::string object = fmt::format("{}/halide_runtime_{:016x}.o", cacheDirectory(),
                                   fnv1a64(target.to_string() + " | halide " DEEPER_HALIDE_VERSION));
  return cachedObject(object, [&](const std::string &tmp) { Halide::compile_standalone_runtime(tmp, target); });
}

std::string cachedObject(const std::string &object, const std::function<void(const std::string &tmp)> &make) {
  if (fs::exists(object)) return object;
  std::string tmp = fmt::format("{}.tmp.{}", object, getpid());
  make(tmp);
  fs::rename(tmp, object);
  return object;
}

}  // namespace deeper
