// Measures this machine's FP32 FMA peak: each thread runs independent chains of fused multiply-adds on
// whole vector registers (enough chains to hide the FMA latency), so the count is the ports' limit.
//   fma_peak THREADS  ->  prints peak_gflops=...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

typedef float v16 __attribute__((vector_size(64)));
constexpr int kChains = 16;
constexpr long kIterations = 20000000;

float chains(float seed) {
  v16 acc[kChains], m, a;
  for (int i = 0; i < 16; ++i) m[i] = 0.999999f, a[i] = seed * 1e-7f;
  for (int c = 0; c < kChains; ++c) acc[c] = m * static_cast<float>(c);
  for (long it = 0; it < kIterations; ++it)
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * m + a;
  float sum = 0;
  for (int c = 0; c < kChains; ++c) sum += acc[c][0];
  return sum;  // used, so the loop is not removed
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1;
  double best = 0;
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<std::thread> pool;
    std::vector<float> sink(threads);
    auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { sink[t] = chains(static_cast<float>(t + 1)); });
    for (auto &th : pool) th.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * 16 * kChains * kIterations * threads / s * 1e-9);
    if (sink[0] == 12345.0f) std::puts("");
  }
  std::printf("peak_gflops=%.1f threads=%d\n", best, threads);
}
