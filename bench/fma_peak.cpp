// Measures this machine's FP32 FMA peak (runtime/machine_rates.h: independent chains of the widest FMA
// the CPU has, on every thread) and its memory read bandwidth.
//   fma_peak THREADS  ->  prints peak_gflops=... read_gbps=... threads=...
#include "runtime/machine_rates.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char **argv) {
  int threads = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1;
  std::printf("peak_gflops=%.1f read_gbps=%.1f threads=%d\n", deeper::machine_rates::fmaPeakGflops(threads),
              deeper::machine_rates::readBandwidthGBps(threads), threads);
}
