// This machine's rates, measured: the FP32 FMA peak and the rate of reading memory that misses every
// cache. They bound a kernel's speed (the roofline): a kernel doing F flops on B bytes takes at least
// max(F / peak, B / bandwidth). Measured rather than given, since a VM's share of a core and its
// memory bandwidth are nowhere written down and change from hour to hour.
//
// Header-only, with no dependency beyond the C++ library: compiled models' executables (--profile),
// `deeper` and bench/fma_peak all use it. Vector code is selected per function (GCC/Clang target
// attributes), so it compiles without -march flags and runs on any x86-64.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>
#include <unistd.h>

namespace deeper::machine_rates {

namespace detail {

constexpr int kChains = 16;  // independent FMA chains per thread: enough to hide an FMA's latency

typedef float V16 __attribute__((vector_size(64)));
typedef float V8 __attribute__((vector_size(32)));
typedef float V4 __attribute__((vector_size(16)));

// The body of a function running kChains chains of acc = FMA(acc, m, a) on vectors V for `n` iterations
// from seed `s`. A macro, so that each copy is compiled inside its own target-attributed function
// (compilers refuse to inline a target function into a generic template). The FMA is explicit: under
// -std=c++17 compilers do not contract a * b + c into one instruction.
#define DEEPER_FMA_CHAINS(V, FMA)                                                \
  V acc[kChains], m, a;                                                          \
  for (unsigned i = 0; i < sizeof(V) / sizeof(float); ++i) m[i] = 0.999999f, a[i] = s * 1e-7f; \
  for (int c = 0; c < kChains; ++c) acc[c] = m * static_cast<float>(c);         \
  for (long it = 0; it < n; ++it)                                               \
    _Pragma("GCC unroll 16") for (int c = 0; c < kChains; ++c) acc[c] = FMA(acc[c], m, a); \
  float sum = 0;                                                                 \
  for (int c = 0; c < kChains; ++c) sum += acc[c][0];                            \
  return sum;

#if defined(__x86_64__)
__attribute__((target("avx512f"))) inline float chains512(long n, float s) {
#define DEEPER_FMA512(x, y, z) (V16) __builtin_ia32_vfmaddps512_mask(x, y, z, -1, 4)
  DEEPER_FMA_CHAINS(V16, DEEPER_FMA512)
#undef DEEPER_FMA512
}
__attribute__((target("avx2,fma"))) inline float chains256(long n, float s) {
#define DEEPER_FMA256(x, y, z) (V8) __builtin_ia32_vfmaddps256(x, y, z)
  DEEPER_FMA_CHAINS(V8, DEEPER_FMA256)
#undef DEEPER_FMA256
}
#endif
inline float chains128(long n, float s) {
#define DEEPER_MULADD(x, y, z) ((x) * (y) + (z))
  DEEPER_FMA_CHAINS(V4, DEEPER_MULADD)
#undef DEEPER_MULADD
}
#undef DEEPER_FMA_CHAINS

/// The widest FMA this CPU has: (flops per iteration of every chain, the function).
inline std::pair<int, float (*)(long, float)> widestFma() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {2 * 16 * kChains, chains512};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {2 * 8 * kChains, chains256};
#endif
  return {2 * 4 * kChains, chains128};  // without FMA instructions: a multiply and an add, counted as one FMA
}

/// The best of `trials` runs of `work(thread)` on `threads` threads at once, in seconds.
template <typename Work>
double fastest(int threads, int trials, Work work) {
  double best = 1e30;
  for (int trial = 0; trial < trials; ++trial) {
    std::vector<std::thread> pool;
    auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) pool.emplace_back([&work, t] { work(t); });
    for (std::thread &th : pool) th.join();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace detail

/// FP32 GFLOP/s of `threads` threads each running independent chains of the widest FMA this CPU has
/// (a multiply-add is 2 flops): the most any kernel can do. ~0.1 s per trial.
inline double fmaPeakGflops(int threads, int trials = 3) {
  threads = std::max(1, threads);
  auto [flopsPerIteration, chains] = detail::widestFma();
  const long iterations = 4000000;
  std::vector<float> sink(threads);
  double seconds = detail::fastest(threads, trials, [&, chains = chains](int t) { sink[t] = chains(iterations, static_cast<float>(t + 1)); });
  return 1e-9 * flopsPerIteration * static_cast<double>(iterations) * threads / seconds;
}

/// GB/s of `threads` threads reading disjoint parts of a buffer 4x the last-level cache (at least 256
/// MiB): memory, not cache.
inline double readBandwidthGBps(int threads, int trials = 3) {
  threads = std::max(1, threads);
  long cache = sysconf(_SC_LEVEL3_CACHE_SIZE);
  size_t bytes = std::max<size_t>(size_t{256} << 20, 4 * static_cast<size_t>(std::max(0L, cache)));
  size_t count = bytes / sizeof(detail::V4);
  std::unique_ptr<detail::V4[]> data(new detail::V4[count]);
  for (size_t i = 0; i < count; ++i) data[i] = detail::V4{1, 1, 1, 1};  // touch every page first
  std::vector<float> sink(threads);
  double seconds = detail::fastest(threads, trials, [&](int t) {
    size_t begin = count * t / threads, end = count * (t + 1) / threads;
    detail::V4 s0{}, s1{}, s2{}, s3{};  // four sums: the adds keep up with the loads
    size_t i = begin;
    for (; i + 4 <= end; i += 4) s0 += data[i], s1 += data[i + 1], s2 += data[i + 2], s3 += data[i + 3];
    for (; i < end; ++i) s0 += data[i];
    detail::V4 s = s0 + s1 + s2 + s3;
    sink[t] = s[0] + s[1] + s[2] + s[3];
  });
  return 1e-9 * static_cast<double>(count * sizeof(detail::V4)) / seconds;
}

}  // namespace deeper::machine_rates
