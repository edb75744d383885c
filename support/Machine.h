// What a measurement depends on besides the code: the machine it ran on.
#pragma once

#include <string>

namespace deeper {

/// "AMD EPYC 9B45, 2 cores, avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16 fma" from
/// /proc/cpuinfo: the CPU model, the cores this process may use, the vector features kernels use.
std::string machineFingerprint();

}  // namespace deeper
