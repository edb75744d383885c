// Built with -fsanitize=thread together with the runtime's sources (tests/e2e/test_runtime_threads.py):
// 16 threads x 200 runs of a compiled model, one context each, every output bit-identical to a
// single-threaded run of the same input. Then two threads share one context: every call must either
// run correctly or be refused with DEEPER_ERROR_BUSY. ThreadSanitizer sees the runtime and its thread
// pool; the Halide kernels are not instrumented (their memory accesses are invisible to it).
#include MODEL_HEADER

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 16, kRuns = 200;

size_t numel(const deeper_tensor_info *t) {
  size_t n = 1;
  for (int d = 0; d < t->rank; ++d) n *= static_cast<size_t>(t->shape[d]);
  return n;
}

std::vector<float> input(int variant) {
  std::vector<float> v(numel(&MODEL_INFO.inputs[0]));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i) * (variant + 1)));
  return v;
}

deeper_status run(deeper_context *ctx, const std::vector<float> &in, std::vector<float> &out) {
  out.assign(numel(&MODEL_INFO.outputs[0]), 0.0f);
  const float *ins[] = {in.data()};
  float *outs[] = {out.data()};
  return deeper_run(ctx, ins, outs);
}

bool same(const std::vector<float> &a, const std::vector<float> &b) { return std::memcmp(a.data(), b.data(), a.size() * 4) == 0; }

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  std::vector<deeper_context *> contexts(kThreads);
  for (deeper_context *&ctx : contexts)
    if (deeper_create(&MODEL_INFO, argv[1], &ctx) != DEEPER_OK) {
      std::fprintf(stderr, "%s\n", deeper_last_error());
      return 1;
    }
  std::vector<std::vector<float>> inputs(kThreads), wants(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    inputs[t] = input(t % 4);
    if (run(contexts[0], inputs[t], wants[t]) != DEEPER_OK) return 1;
  }
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::vector<float> got;
      for (int r = 0; r < kRuns; ++r) {
        if (run(contexts[t], inputs[t], got) != DEEPER_OK) ++failures;
        else if (!same(got, wants[t])) ++mismatches;
      }
    });
  for (std::thread &t : threads) t.join();
  std::printf("%d threads x %d runs, one context each: %d failed, %d differed from the single-threaded run\n", kThreads, kRuns,
              failures.load(), mismatches.load());

  std::atomic<int> ran{0}, busy{0}, wrong{0};
  std::vector<std::thread> sharing;
  for (int t = 0; t < 2; ++t)
    sharing.emplace_back([&, t] {
      std::vector<float> got;
      for (int r = 0; r < kRuns; ++r) {
        deeper_status s = run(contexts[0], inputs[t], got);
        if (s == DEEPER_ERROR_BUSY) ++busy;
        else if (s != DEEPER_OK || !same(got, wants[t])) ++wrong;
        else ++ran;
      }
    });
  for (std::thread &t : sharing) t.join();
  std::printf("2 threads sharing one context: %d runs correct, %d refused as busy, %d wrong\n", ran.load(), busy.load(), wrong.load());
  for (deeper_context *ctx : contexts) deeper_destroy(ctx);
  return failures == 0 && mismatches == 0 && wrong == 0 ? 0 : 1;
}
