#include "support/Machine.h"

#include <fstream>
#include <sched.h>
#include <set>
#include <sstream>
#include <thread>

namespace deeper {
namespace {

/// The flags that decide which kernels a CPU runs and how fast, in this order.
const char *const kVectorFlags[] = {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                                    "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "asimd", "sve"};

int usableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::thread::hardware_concurrency());
}

}  // namespace

std::string machineFingerprint() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  std::set<std::string> flags;
  bool modelSeen = false, flagsSeen = false;
  while (std::getline(in, line) && !(modelSeen && flagsSeen)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, line.find_first_of(" \t"));
    std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (!modelSeen && key == "model" && line.compare(0, 10, "model name") == 0) model = value, modelSeen = true;
    if (!flagsSeen && (key == "flags" || key == "Features")) {
      std::istringstream words(value);
      for (std::string w; words >> w;) flags.insert(w);
      flagsSeen = true;
    }
  }
  std::string text = model + ", " + std::to_string(usableCores()) + " cores,";
  for (const char *flag : kVectorFlags)
    if (flags.count(flag)) text += std::string(" ") + flag;
  return text;
}

}  // namespace deeper
