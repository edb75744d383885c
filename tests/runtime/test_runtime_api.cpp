// The runtime's C API on a hand-written model (TinyModel.h): weights files that are cut short or have
// any bit flipped are refused (or, where the flip cannot matter, give the same output bit for bit);
// a context used by two threads at once says so; thread counts are checked.
#include "TinyModel.h"

#include "runtime/weights_format.h"
#include "support/Files.h"

#include <doctest/doctest.h>
#include <HalideRuntime.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <unistd.h>

using namespace deeper;
using namespace deeper::test;

namespace {

/// A weights file on disk, rewritten per case; removed with its folder at scope exit.
struct WeightsOnDisk {
  std::string dir, path;
  WeightsOnDisk() {
    char pattern[] = "/tmp/deeper-runtime-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    dir = pattern;
    path = dir + "/tiny.weights";
  }
  ~WeightsOnDisk() {
    unlink(path.c_str());
    rmdir(dir.c_str());
  }
  void write(const std::string &bytes) { writeFileAtomic(path, bytes); }
};

std::vector<float> tinyInput() {
  std::vector<float> x(kTinyWidth);
  for (int i = 0; i < kTinyWidth; ++i) x[i] = 0.5f * static_cast<float>(i) - 3.25f;
  return x;
}

/// Loads `bytes` as the tiny model's weights and runs it: the status, and the output when it ran.
deeper_status loadAndRun(WeightsOnDisk &file, const std::string &bytes, std::vector<float> &y) {
  file.write(bytes);
  deeper_context *ctx = nullptr;
  if (deeper_status s = deeper_create(&kTinyModel, file.path.c_str(), &ctx)) return s;
  std::vector<float> x = tinyInput();
  y.assign(kTinyWidth, 0.0f);
  const float *in[] = {x.data()};
  float *out[] = {y.data()};
  deeper_status s = deeper_run(ctx, in, out);
  deeper_destroy(ctx);
  return s;
}

bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

}  // namespace

TEST_CASE("runtime: the tiny model runs, and gives x * scale + shift") {
  WeightsOnDisk file;
  std::string weights = tinyWeightsFile();
  std::vector<float> y;
  REQUIRE(loadAndRun(file, weights, y) == DEEPER_OK);
  CHECK(sameBits(y, tinyExpected(tinyInput(), weights)));
}

TEST_CASE("runtime: weights in memory or linked in run as a file does; null, short and misaligned bytes are refused") {
  std::string weights = tinyWeightsFile();
  size_t room = (weights.size() + 64 + 63) / 64 * 64;
  unsigned char *buffer = static_cast<unsigned char *>(std::aligned_alloc(64, room));
  REQUIRE(buffer != nullptr);
  std::memcpy(buffer, weights.data(), weights.size());
  std::vector<float> x = tinyInput(), y(kTinyWidth, 0.0f);
  const float *in[] = {x.data()};
  float *out[] = {y.data()};
  deeper_context *ctx = nullptr;
  REQUIRE(deeper_create_from_memory(&kTinyModel, buffer, weights.size(), &ctx) == DEEPER_OK);
  CHECK(deeper_run(ctx, in, out) == DEEPER_OK);
  deeper_destroy(ctx);
  CHECK(sameBits(y, tinyExpected(x, weights)));
  // Linked in: the model table points at the bytes, and no path names them.
  deeper_model embedded = kTinyModel;
  embedded.embedded_weights = buffer, embedded.embedded_weights_bytes = weights.size();
  y.assign(kTinyWidth, 0.0f);
  REQUIRE(deeper_create(&embedded, nullptr, &ctx) == DEEPER_OK);
  CHECK(deeper_run(ctx, in, out) == DEEPER_OK);
  deeper_destroy(ctx);
  CHECK(sameBits(y, tinyExpected(x, weights)));
  // Refused, each with its reason.
  CHECK(deeper_create(&kTinyModel, nullptr, &ctx) == DEEPER_ERROR_ARGUMENT);
  CHECK(std::string(deeper_last_error()).find("no weights path, and tiny has no embedded weights") != std::string::npos);
  CHECK(deeper_create_from_memory(&kTinyModel, nullptr, weights.size(), &ctx) == DEEPER_ERROR_ARGUMENT);
  CHECK(deeper_create_from_memory(&kTinyModel, buffer, 10, &ctx) == DEEPER_ERROR_FORMAT);
  std::memmove(buffer + 1, buffer, weights.size());
  CHECK(deeper_create_from_memory(&kTinyModel, buffer + 1, weights.size(), &ctx) == DEEPER_ERROR_FORMAT);
  CHECK(std::string(deeper_last_error()).find("not 64-byte aligned") != std::string::npos);
  std::memmove(buffer, buffer + 1, weights.size());
  buffer[weights.size() - 1] ^= 1;  // a flipped bit: the checksum holds for bytes in memory too
  CHECK(deeper_create_from_memory(&kTinyModel, buffer, weights.size(), &ctx) == DEEPER_ERROR_FORMAT);
  CHECK(std::string(deeper_last_error()) == "the weights file in memory is corrupt: checksum mismatch");
  CHECK(ctx == nullptr);
  std::free(buffer);
}

TEST_CASE("runtime: a kernel's Halide error is the failed run's message, not an abort, and the next run starts clean") {
  static bool fail = true;
  auto failing = [](void **args) -> int {
    if (!fail) return kTinyModel.steps[1].kernel(args);
    halide_error(nullptr, "Error: tiny: a check failed\nits second line\n");  // Halide's own handler would abort here
    halide_error(nullptr, "Error: a consequence\n");
    return -27;
  };
  deeper_step steps[] = {kTinyModel.steps[0], kTinyModel.steps[1]};
  steps[1].kernel = failing;
  deeper_model model = kTinyModel;
  model.steps = steps;
  WeightsOnDisk file;
  file.write(tinyWeightsFile());
  deeper_context *ctx = nullptr;
  REQUIRE(deeper_create(&model, file.path.c_str(), &ctx) == DEEPER_OK);
  std::vector<float> x = tinyInput(), y(kTinyWidth);
  const float *in[] = {x.data()};
  float *out[] = {y.data()};
  CHECK(deeper_run(ctx, in, out) == DEEPER_ERROR_KERNEL);
  CHECK(std::string(deeper_last_error()) == "kernel of 'shift' failed with Halide error -27: Error: tiny: a check failed");
  fail = false;
  CHECK(deeper_run(ctx, in, out) == DEEPER_OK);
  deeper_destroy(ctx);
}

TEST_CASE("runtime: a weights file cut at any length of its header and table is refused") {
  WeightsOnDisk file;
  std::string weights = tinyWeightsFile();
  weights_format::Header h;
  std::memcpy(&h, weights.data(), sizeof h);
  std::vector<float> y;
  for (size_t length = 0; length < h.dataOffset + 8; ++length) {
    INFO("cut at " << length << " bytes");
    deeper_status s = loadAndRun(file, weights.substr(0, length), y);
    CHECK((s == DEEPER_ERROR_FORMAT || s == DEEPER_ERROR_MISMATCH));
  }
  CHECK(loadAndRun(file, weights + std::string(64, '\0'), y) == DEEPER_ERROR_FORMAT);  // padded
}

TEST_CASE("runtime: 10,000 random bit flips: each refused, or the same output bit for bit") {
  WeightsOnDisk file;
  std::string weights = tinyWeightsFile();
  std::vector<float> want = tinyExpected(tinyInput(), weights), y;
  std::mt19937_64 random(12);
  int refused = 0, identical = 0;
  for (int trial = 0; trial < 10000; ++trial) {
    std::string flipped = weights;
    size_t bit = random() % (flipped.size() * 8);
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    deeper_status s = loadAndRun(file, flipped, y);
    INFO("bit " << bit << " of " << flipped.size() * 8);
    if (s == DEEPER_OK) {
      CHECK(sameBits(y, want));
      ++identical;
    } else {
      CHECK((s == DEEPER_ERROR_FORMAT || s == DEEPER_ERROR_MISMATCH));
      ++refused;
    }
  }
  MESSAGE(refused << " refused, " << identical << " identical");
  CHECK(refused + identical == 10000);
}

TEST_CASE("runtime: the header's reserved bytes must be zero") {
  WeightsOnDisk file;
  std::string weights = tinyWeightsFile();
  weights[offsetof(weights_format::Header, reserved) + 3] = 1;
  std::vector<float> y;
  CHECK(loadAndRun(file, weights, y) == DEEPER_ERROR_FORMAT);
  CHECK(std::string(deeper_last_error()).find("reserved bytes set") != std::string::npos);
}

TEST_CASE("runtime: a context running on one thread refuses a second run meanwhile") {
  WeightsOnDisk file;
  file.write(tinyWeightsFile());
  deeper_context *ctx = nullptr;
  REQUIRE(deeper_create(&kTinyModel, file.path.c_str(), &ctx) == DEEPER_OK);
  std::vector<float> x = tinyInput(), y0(kTinyWidth), y1(kTinyWidth);
  const float *in[] = {x.data()};
  float *out0[] = {y0.data()}, *out1[] = {y1.data()};
  tinyHeld = false;
  tinyHold = true;
  deeper_status first = DEEPER_ERROR_ARGUMENT;
  std::thread running([&] { first = deeper_run(ctx, in, out0); });
  while (!tinyHeld) std::this_thread::yield();
  CHECK(deeper_run(ctx, in, out1) == DEEPER_ERROR_BUSY);  // returned DEEPER_OK and raced before
  CHECK(std::string(deeper_last_error()).find("use one context per thread") != std::string::npos);
  tinyHold = false;
  running.join();
  CHECK(first == DEEPER_OK);
  CHECK(deeper_run(ctx, in, out1) == DEEPER_OK);  // free again once the first run is done
  CHECK(sameBits(y0, y1));
  deeper_destroy(ctx);
}

TEST_CASE("runtime: thread counts beyond 256 or below 0 are refused; 0 means one per core") {
  CHECK(deeper_set_num_threads(100000) == DEEPER_ERROR_ARGUMENT);  // aborted on std::system_error before
  CHECK(std::string(deeper_last_error()).find("0 (one per core) to 256") != std::string::npos);
  CHECK(deeper_set_num_threads(-1) == DEEPER_ERROR_ARGUMENT);
  CHECK(deeper_set_num_threads(256) == DEEPER_OK);
  CHECK(deeper_get_num_threads() == 256);
  WeightsOnDisk file;
  std::string weights = tinyWeightsFile();
  std::vector<float> y;
  CHECK(loadAndRun(file, weights, y) == DEEPER_OK);
  CHECK(deeper_set_num_threads(100000) == DEEPER_ERROR_ARGUMENT);
  CHECK(deeper_get_num_threads() == 256);  // a refused count changes nothing
  CHECK(deeper_set_num_threads(0) == DEEPER_OK);
  CHECK(deeper_get_num_threads() >= 1);
}
