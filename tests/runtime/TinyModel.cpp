#include "TinyModel.h"

#include "codegen/WeightsFile.h"
#include "runtime/weights_format.h"
#include "support/Files.h"

#include <HalideRuntime.h>

#include <cstring>
#include <thread>
#include <unistd.h>

namespace deeper::test {

std::atomic<bool> tinyHold{false}, tinyHeld{false};

namespace {

float *host(void *arg) { return reinterpret_cast<float *>(static_cast<halide_buffer_t *>(arg)->host); }

int scaleKernel(void **args) {
  if (tinyHold) {
    tinyHeld = true;
    while (tinyHold) std::this_thread::yield();
  }
  for (int i = 0; i < kTinyWidth; ++i) host(args[2])[i] = host(args[0])[i] * host(args[1])[i];
  return 0;
}

int shiftKernel(void **args) {
  for (int i = 0; i < kTinyWidth; ++i) host(args[2])[i] = host(args[0])[i] + host(args[1])[i];
  return 0;
}

constexpr uint64_t kTinyHash = 0x7469'6e79'6d6f'6465ull;  // "tinymode"

const deeper_operand kVector{DEEPER_ARENA, 0, 0, 1, {kTinyWidth}, {1}};
const deeper_operand scaleOperands[] = {{DEEPER_INPUT, 0, 0, 1, {kTinyWidth}, {1}}, {DEEPER_WEIGHT, 0, 0, 1, {kTinyWidth}, {1}}, kVector};
const deeper_operand shiftOperands[] = {kVector, {DEEPER_WEIGHT, 1, 0, 1, {kTinyWidth}, {1}}, {DEEPER_OUTPUT, 0, 0, 1, {kTinyWidth}, {1}}};
const deeper_step steps[] = {{"scale", scaleKernel, 3, scaleOperands, 0, 0, 0}, {"shift", shiftKernel, 3, shiftOperands, 0, 0, 0}};
const char *const weightNames[] = {"scale.weight", "shift.bias"};
const int64_t weightBytes[] = {4 * kTinyWidth, 4 * kTinyWidth};
const deeper_tensor_info inputs[] = {{"x", 1, {kTinyWidth}}};
const deeper_tensor_info outputs[] = {{"y", 1, {kTinyWidth}}};

}  // namespace

const deeper_model kTinyModel = {"tiny", kTinyHash, 4 * kTinyWidth, 2, steps, 2, weightNames, weightBytes, 1, inputs, 1, outputs};

std::string tinyWeightsFile() {
  Tensor scale({kTinyWidth}), shift({kTinyWidth});
  for (int i = 0; i < kTinyWidth; ++i) scale.data[i] = 1.0f + static_cast<float>(i) / 16, shift.data[i] = static_cast<float>(i - 8);
  char dir[] = "/tmp/deeper-tiny-XXXXXX";
  if (!mkdtemp(dir)) return "";
  std::string path = std::string(dir) + "/tiny.weights";
  writeWeightsFile(path, kTinyHash, {{"scale.weight", scale}, {"shift.bias", shift}});
  std::string bytes = readFile(path);
  unlink(path.c_str());
  rmdir(dir);
  return bytes;
}

std::vector<float> tinyExpected(const std::vector<float> &x, const std::string &weightsFile) {
  weights_format::Header h;
  std::memcpy(&h, weightsFile.data(), sizeof h);
  const char *data = weightsFile.data() + h.dataOffset;  // scale, then shift on the next 64-byte boundary
  std::vector<float> scaled(kTinyWidth), y(kTinyWidth);
  for (int i = 0; i < kTinyWidth; ++i) {
    float scale;
    std::memcpy(&scale, data + 4 * i, 4);
    scaled[i] = x[i] * scale;  // rounded apart from the add, as the two kernels round
  }
  for (int i = 0; i < kTinyWidth; ++i) {
    float shift;
    std::memcpy(&shift, data + 64 + 4 * i, 4);
    y[i] = scaled[i] + shift;
  }
  return y;
}

}  // namespace deeper::test
