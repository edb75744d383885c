// The schedules the tuner may try for a kernel, as moves from one schedule to the next: one field
// changed to its next value up or down (vectors and input chunks double or halve, tiles grow or shrink
// by one, flags flip). Every schedule returned passes scheduleProblem (codegen/Kernel.h), so no
// invalid candidate is ever compiled, and fits the register file: a direct conv's accumulator tile
// (tile_c x tile_x vectors, twice as many for double-width vectors) stays within 28 of AVX-512's 32
// vector registers (12 of AVX2's 16), leaving room for the weights and the broadcast input. A GPU
// schedule (Schedule::gpu) moves its gpu_ fields and chunk_i (threads double or halve, pixels per
// thread step by one, the weights' staging flips) within scheduleProblem's limits.
#pragma once

#include "codegen/Kernel.h"

#include <vector>

namespace deeper {

/// The neighbours of `s` for `kernel` on a target whose vectors hold `lanes` floats (none for a schedule
/// naming an autoscheduler: a baseline is a point of the space without moves). Kernels in a lane
/// after the first run serially (codegen/Kernel.h), so their `parallel` stays false.
std::vector<Schedule> neighbourSchedules(const Kernel &kernel, const Schedule &s, int lanes);

/// Whether `s` is in the tuner's space: valid, and within the register budget above.
bool inSearchSpace(const Kernel &kernel, const Schedule &s, int lanes);

}  // namespace deeper
