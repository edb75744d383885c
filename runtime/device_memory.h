// GPU models' device memory: the weights, the arena and the model's inputs and outputs live on the
// device for a context's life, and every step operand is a view of one of them, so a run copies its
// inputs to the device, runs every step there, and copies its outputs back: nothing else crosses the bus.
//
//     device:  weights[0..W)   arena (planned offsets)   input i   output o
//                  ▲                ▲      ▲                ▲          ▲
//     step s:   operand          operand operand         operand    operand    (views: Halide crops)
//
// A view is a Halide device crop of its root: CUDA adds the offset to the pointer; OpenCL passes the
// kernel a sub-buffer, which must start at a multiple of the device's base address alignment. The
// compiler places arena values at multiples of kGpuArenaAlignment; a view inside one (an in-place
// concat's channel slice) may start elsewhere, and on OpenCL such an operand is staged: it gets a device
// buffer of its own, filled from its view before its step (an input) or copied into it after (the
// output), device to device.
//
// CPU models have no device interface: every call here does nothing.
#pragma once

#include "deeper_runtime.h"

#include <HalideRuntime.h>

#include <deque>
#include <string>
#include <vector>

namespace deeper::runtime {

/// Where GPU models' arena values start (bytes): 4096 bits is the largest OpenCL base address alignment
/// we know (NVIDIA's; PoCL's is 1024). The compiler plans with it; CUDA needs none.
constexpr int64_t kGpuArenaAlignment = 512;

/// The device interface of the linked kernels' GPU runtime (CUDA or OpenCL), or null for CPU targets.
const halide_device_interface_t *gpuInterface();

/// Every call returns 0 or the Halide error code of what failed (its message reaches Halide's error handler).
class DeviceMemory {
 public:
  DeviceMemory() = default;
  DeviceMemory(const DeviceMemory &) = delete;
  DeviceMemory &operator=(const DeviceMemory &) = delete;
  ~DeviceMemory();

  bool active() const { return gpu_ != nullptr; }
  /// GPU models: copies the weights to the device and allocates the arena, the inputs and the outputs
  /// there; on an error `failed` says what failed ("copying weight 'conv1.weight'").
  int allocate(const deeper_model &model, const std::vector<const float *> &weights, std::string &failed);
  /// Points `b`, operand `op` of step `step` (its output when `output`), at its device memory.
  int bind(int step, const deeper_operand &op, bool output, halide_buffer_t &b);
  int uploadInputs(const float *const *inputs);
  /// Fills step `step`'s staged inputs from their views.
  int beforeStep(int step);
  /// Copies step `step`'s staged output into its view.
  int afterStep(int step);
  int downloadOutputs(float *const *outputs);

 private:
  /// One device allocation, seen as a flat float buffer (its `dim` points at `flat`: never copied).
  struct Root {
    halide_buffer_t buffer{};
    halide_dimension_t flat{};
  };
  /// An operand with a buffer of its own beside its view (OpenCL, a misaligned offset).
  struct Staged {
    int step = 0;
    bool output = false;
    halide_buffer_t *operand = nullptr;
    halide_buffer_t view{};
    halide_dimension_t dims[DEEPER_MAX_RANK]{};
  };

  int allocateRoot(Root &root, int64_t bytes, const float *host);
  Root &rootOf(const deeper_operand &op);
  /// Gives `b` a device view of `root` starting `offsetBytes` in.
  int crop(Root &root, int64_t offsetBytes, halide_buffer_t &b);
  int copyStaged(int step, bool output);

  const halide_device_interface_t *gpu_ = nullptr;
  std::vector<Root> weights_, inputs_, outputs_;  // sized once: their buffers point at their own `flat`
  Root arena_;
  std::vector<halide_buffer_t *> views_;  // operands holding crops, released before their roots are freed
  std::deque<Staged> staged_;             // a deque: each Staged's view points at its own dims
};

}  // namespace deeper::runtime
