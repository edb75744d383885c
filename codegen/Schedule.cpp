#include "codegen/Schedule.h"

#include "ir/Attr.h"
#include "support/Diagnostics.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <sstream>

namespace deeper {
namespace {

const char *const kFields = "vector=N tile_c=N tile_x=N chunk_i=N block_tasks=true|false parallel=true|false winograd=0|2|4 autoscheduler=none|Mullapudi2016|Adams2019|Li2018 "
                           "gpu_c=N gpu_tx=N gpu_x=N gpu_shared=true|false (GPU targets)";

}  // namespace

const std::vector<std::string> &Schedule::autoschedulers() {
  static const std::vector<std::string> names = {"Mullapudi2016", "Adams2019", "Li2018"};
  return names;
}

Schedule Schedule::handedTo(const std::string &name) const {
  Schedule s = *this, neutral;
  s.tileWidth = 1, s.chunkInputs = neutral.chunkInputs, s.blockTasks = false, s.winograd = 0;
  s.autoscheduler = name;
  return s;
}

std::string Schedule::print() const {
  std::string text = fmt::format("vector={} tile_c={} tile_x={} chunk_i={} block_tasks={} parallel={} winograd={}", vector, tileChannels,
                                 tileWidth, chunkInputs, blockTasks, parallel, winograd);
  if (!autoscheduler.empty()) text += " autoscheduler=" + autoscheduler;
  if (gpu) text += fmt::format(" gpu_c={} gpu_tx={} gpu_x={} gpu_shared={}", gpuChannels, gpuRowThreads, gpuPixels, gpuSharedInput);
  return text;
}

std::string Schedule::assign(const std::string &key, const std::string &value) {
  auto positive = [&](int &field, int64_t most = 64) {
    auto v = parseAttrValue(AttrType::Int, value);
    if (!v || std::get<int64_t>(*v) <= 0 || std::get<int64_t>(*v) > most) return fmt::format("{} must be an integer in 1..{}", key, most);
    field = static_cast<int>(std::get<int64_t>(*v));
    return std::string();
  };
  auto flag = [&](bool &field) {
    if (value != "true" && value != "false") return fmt::format("{} must be true or false", key);
    field = value == "true";
    return std::string();
  };
  if (key == "vector") return positive(vector);
  if (key == "tile_c") return positive(tileChannels);
  if (key == "tile_x") return positive(tileWidth);
  if (key == "chunk_i") return positive(chunkInputs, kMostChunkInputs);
  if (key == "block_tasks") return flag(blockTasks);
  if (key == "parallel") return flag(parallel);
  if (key == "winograd") {
    if (value != "0" && value != "2" && value != "4")
      return fmt::format("winograd must be 0 (the direct conv), 2 or 4 (Winograd F(2x2,RxR) or F(4x4,3x3)), not '{}'", value);
    winograd = value[0] - '0';
    return std::string();
  }
  if (key == "gpu_c") return positive(gpuChannels, kMostGpuThreads);
  if (key == "gpu_tx") return positive(gpuRowThreads, kMostGpuThreads);
  if (key == "gpu_x") return positive(gpuPixels, 16);
  if (key == "gpu_shared") return flag(gpuSharedInput);
  if (key == "autoscheduler") {
    const std::vector<std::string> &names = autoschedulers();
    if (value != "none" && std::find(names.begin(), names.end(), value) == names.end())
      return fmt::format("autoscheduler must be none, {}, not '{}'", fmt::join(names, ", "), value);
    autoscheduler = value == "none" ? "" : value;
    return std::string();
  }
  return fmt::format("unknown field '{}'; fields: {}", key, kFields);
}

Schedule Schedule::parse(const std::string &text) {
  Schedule s;
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) fail(fmt::format("schedule '{}': '{}' is not FIELD=VALUE; fields: {}", text, item, kFields));
    std::string problem = s.assign(item.substr(0, eq), item.substr(eq + 1));
    if (!problem.empty()) fail(fmt::format("schedule '{}': {}", text, problem));
    s.gpu = s.gpu || item.rfind("gpu_", 0) == 0;
  }
  return s;
}

}  // namespace deeper
