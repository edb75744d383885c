// A two-step model written by hand for testing the runtime (runtime/runtime.cpp) without the
// compiler: y = x * scale + shift over 16 floats, its kernels plain C++ with Halide's argv calling
// convention. The runtime's tests and its weights-file fuzz target load weights files for it.
#pragma once

#include "runtime/deeper_runtime.h"

#include <atomic>
#include <string>
#include <vector>

namespace deeper::test {

constexpr int kTinyWidth = 16;
extern const deeper_model kTinyModel;

/// The weights file of kTinyModel with scale[i] = 1 + i / 16 and shift[i] = i - 8.
std::string tinyWeightsFile();

/// x * scale + shift for the weights in `weightsFile` (as the model computes it, bit for bit).
std::vector<float> tinyExpected(const std::vector<float> &x, const std::string &weightsFile);

/// While set, the first kernel waits until it is cleared: a run stays inside deeper_run.
extern std::atomic<bool> tinyHold;
/// Set by the first kernel when it starts waiting.
extern std::atomic<bool> tinyHeld;

}  // namespace deeper::test
