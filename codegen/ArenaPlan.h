// Where every intermediate value lives: offsets into one arena, planned at compile time by liveness.
//
// Rules:
//  1. Graph inputs and outputs live in the caller's buffers, never in the arena.
//  2. flatten and dropout produce no storage: they share their input's (kernels see another view).
//  3. A value is live from the step that writes it to the last step that reads it (through aliases).
//  4. An in-place concat (concat-elision) is one value, live from the first step writing a slice of it;
//     the kernels writing its slices are placed inside it.
//  5. A pointwise kernel (relu, batchnorm, add/sub/mul/div, binary) whose input of the output's shape
//     and layout, an arena value of the same size, is read for the last time by that kernel writes
//     over it (in place); its other operand may be broadcast (a squeeze-and-excitation's scale).
//  6. Steps that run side by side (branch-schedule's lanes) count as one: a value one of them writes or
//     reads is live for the whole group, and none of them overwrites its input in place.
//  7. Values are placed in order of first write, each at the lowest aligned offset (64 bytes: a cache
//     line; GPU targets
//     runtime::kGpuArenaAlignment, which OpenCL sub-buffers need) that no value live at the same time overlaps
//     (first fit). So a run of GoogLeNet reuses a few buffers.
#pragma once

#include "codegen/Kernel.h"
#include "runtime/device_memory.h"

#include <map>

namespace deeper {

enum class Storage { Arena, Input, Output };

struct Placement {
  Storage storage;
  int64_t offset = 0;  ///< arena bytes (Arena); input or output number otherwise
  int64_t bytes = 0;
};

struct ArenaPlan {
  std::map<const Node *, Placement> placement;  ///< by storage root
  int64_t arenaBytes = 0;
  int64_t totalBytes = 0;  ///< sum of all arena values: what no reuse would take
};

/// UserError when a graph output is a graph input (nothing to compute).
constexpr int64_t kCpuArenaAlignment = 64;  ///< a cache line, an AVX-512 vector
ArenaPlan planArena(const Graph &graph, const std::vector<Kernel> &kernels, int64_t alignment = kCpuArenaAlignment);

}  // namespace deeper
