#include "codegen/KernelCache.h"

#include "CodegenHash.h"

#include "codegen/CacheFolder.h"
#include "codegen/Generators.h"
#include "runtime/printable.h"
#include "support/Diagnostics.h"
#include "support/Process.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace deeper {
namespace {

/// Everything that decides a kernel's object (codegen/CacheFolder.h hashes it into the entry's name).
std::string keyTextOf(const Kernel &k, const Halide::Target &target) {
  return k.canonical() + "\ntarget " + target.to_string() + "\nhalide " DEEPER_HALIDE_VERSION "\ncodegen " DEEPER_CODEGEN_SOURCE_HASH "\n";
}

/// Compiles one kernel into the cache entry `object`.
void compileOne(const Kernel &k, const std::string &function, const std::string &object, const Halide::Target &target) {
  cachedObject(object, keyTextOf(k, target), [&](const std::string &tmp) {
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

/// What the worker processes share: how many jobs are done, counted as each finishes, so that the
/// progress lines count completions ([3/69] after [2/69]) whichever worker finishes first.
struct Progress {
  std::atomic<int> done{0};
  std::chrono::steady_clock::time_point start;
};

/// "[done/total] compiled NAME (1.2 s), about 20 s left": the time left from the mean so far.
void reportDone(Progress &progress, size_t total, const Kernel &k, double seconds) {
  int done = ++progress.done;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - progress.start).count();
  double left = elapsed / done * static_cast<double>(static_cast<int>(total) - done);
  fmt::print(stderr, "[{}/{}] compiled {} ({:.1f} s){}\n", done, total, printableText(k.node->name), seconds,
             done < static_cast<int>(total) ? fmt::format(", about {:.0f} s left", left) : "");
}

/// Child process `worker` of `workers`: compiles every workers-th job; exits 0, or 1 after printing why.
[[noreturn]] void runWorker(const std::vector<Kernel> &kernels, const std::vector<Job> &jobs, size_t worker,
                            size_t workers, const Halide::Target &target, Progress *progress) {
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
    if (progress) reportDone(*progress, jobs.size(), k, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
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
  void *shared = mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) fail("cannot share the compile's progress between its processes (mmap failed)");
  Progress *progress = new (shared) Progress;
  progress->start = std::chrono::steady_clock::now();
  std::vector<pid_t> children;
  for (size_t w = 0; w < workers; ++w) {
    pid_t pid = fork();
    if (pid < 0) fail("cannot start a compiler process (fork failed)");
    if (pid == 0) runWorker(kernels, jobs, w, workers, target, options.progress ? progress : nullptr);
    children.push_back(pid);
  }
  bool ok = true;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  munmap(shared, sizeof(Progress));
  if (!ok) fail("kernel compilation failed (see above)");
}

}  // namespace

std::string halideVersion() { return DEEPER_HALIDE_VERSION; }

std::string codeGeneratorHash() { return DEEPER_CODEGEN_SOURCE_HASH; }

std::vector<CompiledKernel> compileKernels(const std::vector<Kernel> &kernels, const Halide::Target &target,
                                           const CompileJobsOptions &options) {
  std::string dir = cacheDirectory();
  removeOrphanedTemporaries(dir);
  std::vector<CompiledKernel> out;
  std::vector<Job> jobs;
  std::set<std::string> distinct;  // objects: identical kernels compile once
  for (size_t i = 0; i < kernels.size(); ++i) {
    std::string keyText = keyTextOf(kernels[i], target), key = cacheKey(keyText);
    CompiledKernel ck{"deeper_k_" + key, dir + "/" + key + ".o", false};
    ck.cached = cacheHit(ck.object, keyText);
    if (distinct.insert(ck.object).second && !ck.cached) jobs.push_back(Job{i, ck.function, ck.object});
    out.push_back(ck);
  }
  if (options.progress)
    fmt::print(stderr, "kernels: {} in the graph, {} distinct: {} to compile, {} cached ({})\n", kernels.size(), distinct.size(), jobs.size(),
               distinct.size() - jobs.size(), dir);
  if (!jobs.empty()) runJobs(kernels, jobs, target, options);
  // This build's entries are the newest now; the oldest go while the folder is over its limit.
  pruneCache(dir, cacheSizeLimit(), kRecentlyUsedSeconds);
  return out;
}

std::string compileRuntime(const Halide::Target &target) {
  std::string keyText = "Halide runtime\ntarget " + target.to_string() + "\nhalide " DEEPER_HALIDE_VERSION "\n";
  std::string object = fmt::format("{}/halide_runtime_{}.o", cacheDirectory(), cacheKey(keyText));
  return cachedObject(object, keyText, [&](const std::string &tmp) { Halide::compile_standalone_runtime(tmp, target); });
}

}  // namespace deeper
