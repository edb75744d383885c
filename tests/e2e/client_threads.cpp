// A C++ program that runs two contexts of one compiled model at once, from two threads, on two inputs,
// and checks each against a single-threaded run: contexts are independent (reentrant runtime).
#include "googlenet.h"

#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

std::vector<float> input(int variant) {
  const deeper_tensor_info *t = googlenet_input(0);
  size_t n = 1;
  for (int d = 0; d < t->rank; ++d) n *= static_cast<size_t>(t->shape[d]);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(std::sin(0.001 * static_cast<double>(i) * (variant + 1)));
  return v;
}

std::vector<float> run(deeper_context *ctx, const std::vector<float> &in) {
  const deeper_tensor_info *t = googlenet_output(0);
  size_t n = 1;
  for (int d = 0; d < t->rank; ++d) n *= static_cast<size_t>(t->shape[d]);
  std::vector<float> out(n);
  if (googlenet_run_single(ctx, in.data(), out.data()) != DEEPER_OK) std::fprintf(stderr, "%s\n", deeper_last_error());
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  deeper_context *a = nullptr, *b = nullptr;
  if (googlenet_create(argv[1], &a) != DEEPER_OK || googlenet_create(argv[1], &b) != DEEPER_OK) {
    std::fprintf(stderr, "%s\n", deeper_last_error());
    return 1;
  }
  std::vector<float> in0 = input(0), in1 = input(1);
  std::vector<float> want0 = run(a, in0), want1 = run(a, in1);
  bool same0 = true, same1 = true;
  std::thread t0([&] { for (int i = 0; i < 4; ++i) same0 = same0 && run(a, in0) == want0; });
  std::thread t1([&] { for (int i = 0; i < 4; ++i) same1 = same1 && run(b, in1) == want1; });
  t0.join();
  t1.join();
  bool same = same0 && same1;
  googlenet_destroy(a);
  googlenet_destroy(b);
  std::printf("two contexts, two threads: %s\n", same && want0 != want1 ? "identical to single-threaded runs" : "MISMATCH");
  return same && want0 != want1 ? 0 : 1;
}
