#include "codegen/Schedule.h"

#include "ir/Attr.h"
#include "support/Diagnostics.h"

#include <sstream>

namespace deeper {

std::string Schedule::print() const {
  return fmt::format("vector={} tile_c={} tile_x={} chunk_i={} block_tasks={} parallel={} winograd={}", vector, tileChannels,
                     tileWidth, chunkInputs, blockTasks, parallel, winograd);
}

Schedule Schedule::parse(const std::string &text) {
  Schedule s;
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq), value = eq == std::string::npos ? "" : item.substr(eq + 1);
    auto positive = [&](int &field) {
      auto v = parseAttrValue(AttrType::Int, value);
      if (!v || std::get<int64_t>(*v) <= 0 || std::get<int64_t>(*v) > 64)
        fail(fmt::format("schedule '{}': {} must be an integer in 1..64", text, key));
      field = static_cast<int>(std::get<int64_t>(*v));
    };
    if (key == "vector") positive(s.vector);
    else if (key == "tile_c") positive(s.tileChannels);
    else if (key == "tile_x") positive(s.tileWidth);
    else if (key == "chunk_i") positive(s.chunkInputs);
    else if (key == "block_tasks" && (value == "true" || value == "false")) s.blockTasks = value == "true";
    else if (key == "parallel" && (value == "true" || value == "false")) s.parallel = value == "true";
    else if (key == "winograd" && (value == "true" || value == "false")) s.winograd = value == "true";
    else fail(fmt::format("schedule '{}': unknown or malformed '{}'; fields: vector=N tile_c=N tile_x=N chunk_i=N "
                          "block_tasks=true|false parallel=true|false winograd=true|false", text, item));
  }
  return s;
}

}  // namespace deeper
