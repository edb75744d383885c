// Halide 14's autoschedulers as baselines: a kernel whose schedule names one (autoscheduler=NAME) is
// generated as its algorithm only, given estimates of every buffer (the sizes are all known), and
// scheduled by that plugin for the target, told this machine's threads and last-level cache. The
// tuner records them beside its own schedules, so every conv shows default, autoschedulers and tuned.
#include "codegen/Generators.h"

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>

namespace deeper::codegen {
namespace {

/// The plugin of autoscheduler `name` (CMake finds them with Halide: Halide::Adams2019, ...).
std::string pluginPath(const std::string &name) {
  if (name == "Mullapudi2016") return DEEPER_AUTOSCHEDULER_MULLAPUDI2016;
  if (name == "Adams2019") return DEEPER_AUTOSCHEDULER_ADAMS2019;
  DEEPER_CHECK(name == "Li2018", "no autoscheduler named '{}'", name);
  return DEEPER_AUTOSCHEDULER_LI2018;
}

/// Loads each plugin once per process (loading registers its autoscheduler by name; twice is an error).
void loadPlugin(const std::string &name) {
  static std::mutex mutex;
  static std::set<std::string> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  if (loaded.insert(name).second) Halide::load_plugin(pluginPath(name));
}

/// Pins the settings autoscheduler `name` reads from the environment, so that its schedule depends on
/// the kernel alone (what the kernel cache's key covers), never on the caller's shell. Adams2019 runs
/// greedy (beam size 1), the choice Halide documents for quick results: its default 32-wide beam took
/// 70 s and 7.8 GB for one GoogLeNet conv here, and its schedules ran no faster (README, "Tuning").
/// Kernels compile one at a time in each worker process (KernelCache), so no other thread reads it meanwhile.
void pinSearchSettings(const std::string &name) {
  if (name != "Adams2019") return;
  setenv("HL_BEAM_SIZE", "1", 1);
  for (const char *variable : {"HL_NUM_PASSES", "HL_RANDOM_DROPOUT", "HL_SEED", "HL_RANDOMIZE_WEIGHTS", "HL_WEIGHTS_DIR",
                               "HL_NO_SUBTILING", "HL_AUTOSCHEDULE_MEMORY_LIMIT", "HL_CYOS"})
    unsetenv(variable);
}

/// This machine's last-level cache in bytes (sysfs says "32768K"), or Halide's generic 16 MiB.
uint64_t lastLevelCacheBytes() {
  for (int index = 3; index >= 2; --index) {
    std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
    uint64_t size = 0;
    char unit = 0;
    if (in >> size >> unit) return size << (unit == 'M' ? 20 : 10);
  }
  return 16u << 20;
}

/// Drops warnings, throws errors as Halide's own reporter does.
class WarningsDropped : public Halide::CompileTimeErrorReporter {
 public:
  void warning(const char *) override {}
  void error(const char *message) override { throw Halide::CompileError(message); }
};

/// Adams2019 reports its search on stderr whatever its settings ("Pass 0 of 1, cost: ..."): stderr is
/// closed for the call, so a compile prints only what Deeper says. Errors still arrive as exceptions.
class StderrSilenced {
 public:
  StderrSilenced() {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, STDERR_FILENO), close(null);
  }
  ~StderrSilenced() {
    std::fflush(stderr);
    if (saved_ >= 0) dup2(saved_, STDERR_FILENO), close(saved_);
  }
  StderrSilenced(const StderrSilenced &) = delete;
  StderrSilenced &operator=(const StderrSilenced &) = delete;

 private:
  int saved_ = -1;
};

/// Every dimension's extent, the batch's being the node's batch.
std::vector<int> estimatedExtents(const OperandView &view, bool batchLast, int64_t batch) {
  std::vector<int> extents(view.extent.begin(), view.extent.end());
  if (batchLast && !extents.empty()) extents.back() = static_cast<int>(batch);
  return extents;
}

}  // namespace

HalideWarningsSilenced::HalideWarningsSilenced() {
  static WarningsDropped reporter;
  Halide::set_custom_compile_time_error_reporter(&reporter);
}

HalideWarningsSilenced::~HalideWarningsSilenced() { Halide::set_custom_compile_time_error_reporter(nullptr); }

void autoschedule(KernelPipeline &kp, const Kernel &k, const Halide::Target &target) {
  const std::string &name = k.schedule.autoscheduler;
  int64_t batch = k.node->shape[0];
  for (size_t i = 0; i < kp.params.size(); ++i) {
    bool activation = i < k.inputViews.size();
    const OperandView &view = activation ? k.inputViews[i] : k.params[i - k.inputViews.size()].view;
    std::vector<int> extents = estimatedExtents(view, activation && view.batchLast, batch);
    for (size_t d = 0; d < extents.size(); ++d) kp.params[i].dim(static_cast<int>(d)).set_estimate(0, extents[d]);
  }
  std::vector<int> extents = estimatedExtents(k.outputView, k.outputView.batchLast, batch);
  std::vector<Halide::Var> args = kp.output.args();
  for (size_t d = 0; d < extents.size(); ++d) kp.output.set_estimate(args[d], 0, extents[d]);
  loadPlugin(name);
  pinSearchSettings(name);
  int threads = k.schedule.parallel ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : 1;
  // balance: Halide's generic value (a load from the last-level cache costs 40 arithmetic operations).
  StderrSilenced quiet;
  Halide::Pipeline(kp.output).auto_schedule(name, target, Halide::MachineParams(threads, lastLevelCacheBytes(), 40));
}

}  // namespace deeper::codegen
