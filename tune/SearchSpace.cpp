#include "tune/SearchSpace.h"

#include "ir/OpParams.h"

#include <algorithm>

namespace deeper {
namespace {

constexpr int kWidestTile = 16;      // output pixels (direct) or MxM tiles (Winograd) per register tile
constexpr int kMostChannelTiles = 8;

/// Accumulator registers of a direct conv's tile, in registers of `lanes` floats.
int accumulators(const Schedule &s, int lanes) { return s.tileChannels * s.tileWidth * std::max(1, s.vector / lanes); }

}  // namespace

bool inSearchSpace(const Kernel &kernel, const Schedule &s, int lanes) {
  if (!scheduleProblem(*kernel.node, s).empty()) return false;
  if (!(Schedule::parse(s.print()) == s)) return false;  // a schedule file must be able to say it
  if (s.gpu) return true;  // its thread blocks: scheduleProblem's limits
  if (kernel.lane > 1 && s.parallel) return false;
  if (s.vector < std::max(4, lanes / 2) || s.vector > 2 * lanes) return false;
  if (s.tileChannels > kMostChannelTiles || s.tileWidth > kWidestTile || s.chunkInputs > kMostChunkInputs) return false;
  bool direct = kernel.node->op == OpKind::Conv && !s.winograd;
  return !direct || accumulators(s, lanes) <= (lanes >= 16 ? 28 : 12);
}

std::vector<Schedule> neighbourSchedules(const Kernel &kernel, const Schedule &s, int lanes) {
  std::vector<Schedule> out;
  if (!s.autoscheduler.empty()) return out;
  auto consider = [&](Schedule n) {
    if (!(n == s) && inSearchSpace(kernel, n, lanes) && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  auto scaled = [&](int Schedule::*field, int factor, bool up) {
    Schedule n = s;
    n.*field = up ? s.*field * factor : s.*field / factor;
    if (n.*field >= 1) consider(n);
  };
  auto stepped = [&](int Schedule::*field, int delta) {
    Schedule n = s;
    n.*field += delta;
    if (n.*field >= 1) consider(n);
  };
  if (s.gpu) {  // a GPU conv's thread block and weight staging; the other kernels' threads per block
    for (bool up : {false, true}) {
      scaled(&Schedule::gpuChannels, 2, up);
      scaled(&Schedule::gpuRowThreads, 2, up);
      scaled(&Schedule::chunkInputs, 2, up);
    }
    for (int delta : {-1, 1}) stepped(&Schedule::gpuPixels, delta);
    Schedule n = s;
    n.gpuSharedInput = !s.gpuSharedInput;
    n.chunkInputs = Schedule().chunkInputs;
    consider(n);
    for (int tile : {0, 2, 4}) {  // the conv's algorithm; Winograd takes a tile per thread
      if (kernel.node->op != OpKind::Conv) break;
      n = s;
      n.winograd = tile, n.gpuSharedInput = false, n.chunkInputs = Schedule().chunkInputs;
      n.gpuPixels = tile ? 1 : std::min<int>(Schedule().gpuPixels, static_cast<int>(convOutputShape(*kernel.node)[3]));
      consider(n);
    }
    return out;
  }
  for (bool up : {false, true}) {
    scaled(&Schedule::vector, 2, up);
    scaled(&Schedule::chunkInputs, 2, up);
  }
  for (int delta : {-1, 1}) {
    stepped(&Schedule::tileChannels, delta);
    stepped(&Schedule::tileWidth, delta);
  }
  for (bool Schedule::*flag : {&Schedule::blockTasks, &Schedule::parallel}) {
    Schedule n = s;
    n.*flag = !(s.*flag);
    consider(n);
  }
  for (int tile : {0, 2, 4}) {  // the conv's algorithm: direct, Winograd F(2x2,RxR) or F(4x4,3x3)
    if (kernel.node->op != OpKind::Conv) break;
    Schedule n = s;
    n.winograd = tile;
    // Direct again, tile_x counts pixels: the width must fit the row. Winograd has no input chunks.
    if (!n.winograd) n.tileWidth = std::min<int>(n.tileWidth, static_cast<int>(convOutputShape(*kernel.node)[3]));
    else n.chunkInputs = Schedule().chunkInputs;
    consider(n);
  }
  return out;
}

}  // namespace deeper
