// A static throughput estimate of a loop's machine code by llvm-mca (Debian llvm-14): the cycles one
// iteration takes on LLVM's scheduling model of a CPU, with nothing of caches or memory in it. It says
// whether the loop could reach the FMA ports' peak if its data were in L1; a measured time far below
// that estimate points at memory.
#pragma once

#include "inspect/InstructionMix.h"

#include <string>
#include <vector>

namespace deeper::inspect {

struct McaEstimate {
  std::string cpu;                  ///< the scheduling model used
  std::string why;                  ///< why that one, e.g. "LLVM 14 models no AVX-512 AMD core"
  double cyclesPerIteration = 0;    ///< llvm-mca's total cycles / iterations
  double blockReciprocalThroughput = 0;
  double ipc = 0;
  double fmasPerCycle = 0;          ///< the loop's FMAs / cycles per iteration
  std::string input;                ///< the assembly given to llvm-mca
  std::string report;               ///< llvm-mca's summary lines
};

/// The scheduling model for code that needs `features` (LLVM feature names: "avx512f", "avx2", "fma"):
/// this CPU's own when LLVM knows it and it has them, else the nearest LLVM 14 model that does.
std::pair<std::string, std::string> mcaCpuFor(const std::vector<std::string> &features);

/// Runs llvm-mca-14 on `loop` (its branches left out: llvm-mca repeats the block as a loop by itself).
/// UserError when llvm-mca-14 is missing or rejects the code.
McaEstimate estimateLoop(const Loop &loop, const std::vector<std::string> &features);

}  // namespace deeper::inspect
