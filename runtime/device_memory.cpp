// GPU models' device memory. See device_memory.h.
#include "device_memory.h"

/// A GPU target's Halide runtime defines its device interface, a CPU target's none (weak: null here).
extern "C" const halide_device_interface_t *halide_cuda_device_interface() __attribute__((weak));
extern "C" const halide_device_interface_t *halide_opencl_device_interface() __attribute__((weak));

namespace deeper::runtime {

namespace {

int64_t elementsOf(const deeper_tensor_info &t) {
  int64_t n = 1;
  for (int d = 0; d < t.rank; ++d) n *= t.shape[d];
  return n;
}

void describeFloats(halide_buffer_t &b, halide_dimension_t *dims, int rank) {
  b.type.code = halide_type_float, b.type.bits = 32, b.type.lanes = 1;
  b.dimensions = rank, b.dim = dims;
}

}  // namespace

const halide_device_interface_t *gpuInterface() {
  if (halide_cuda_device_interface) return halide_cuda_device_interface();
  return halide_opencl_device_interface ? halide_opencl_device_interface() : nullptr;
}

DeviceMemory::~DeviceMemory() {
  for (halide_buffer_t *b : views_) halide_device_release_crop(nullptr, b);
  for (Staged &s : staged_) {
    halide_device_release_crop(nullptr, &s.view);
    halide_device_free(nullptr, s.operand);
  }
  for (std::vector<Root> *roots : {&weights_, &inputs_, &outputs_})
    for (Root &r : *roots)
      if (r.buffer.device) halide_device_free(nullptr, &r.buffer);
  if (arena_.buffer.device) halide_device_free(nullptr, &arena_.buffer);
}

int DeviceMemory::allocateRoot(Root &root, int64_t bytes, const float *host) {
  root.flat = halide_dimension_t{0, static_cast<int32_t>(bytes / 4), 1, 0};
  describeFloats(root.buffer, &root.flat, 1);
  if (!host) return halide_device_malloc(nullptr, &root.buffer, gpu_);
  root.buffer.host = reinterpret_cast<uint8_t *>(const_cast<float *>(host));
  root.buffer.flags = halide_buffer_flag_host_dirty;
  return halide_copy_to_device(nullptr, &root.buffer, gpu_);
}

int DeviceMemory::allocate(const deeper_model &model, const std::vector<const float *> &weights, std::string &failed) {
  gpu_ = gpuInterface();
  if (!gpu_) return 0;
  weights_.resize(model.num_weights);
  inputs_.resize(model.num_inputs);
  outputs_.resize(model.num_outputs);
  for (int i = 0; i < model.num_weights; ++i)
    if (int err = allocateRoot(weights_[i], model.weight_bytes[i], weights[i])) return failed = std::string("copying weight '") + model.weight_names[i] + "'", err;
  for (int i = 0; i < model.num_inputs; ++i)
    if (int err = allocateRoot(inputs_[i], 4 * elementsOf(model.inputs[i]), nullptr)) return failed = std::string("allocating input '") + model.inputs[i].name + "'", err;
  for (int i = 0; i < model.num_outputs; ++i)
    if (int err = allocateRoot(outputs_[i], 4 * elementsOf(model.outputs[i]), nullptr)) return failed = std::string("allocating output '") + model.outputs[i].name + "'", err;
  int err = model.arena_bytes > 0 ? allocateRoot(arena_, model.arena_bytes, nullptr) : 0;
  if (err) failed = "allocating the arena";
  return err;
}

DeviceMemory::Root &DeviceMemory::rootOf(const deeper_operand &op) {
  switch (op.kind) {
    case DEEPER_WEIGHT: return weights_[op.index];
    case DEEPER_INPUT: return inputs_[op.index];
    case DEEPER_OUTPUT: return outputs_[op.index];
    default: return arena_;
  }
}

int DeviceMemory::crop(Root &root, int64_t offsetBytes, halide_buffer_t &b) {
  halide_dimension_t start{static_cast<int32_t>(offsetBytes / 4), 1, 1, 0};
  halide_buffer_t view{};
  describeFloats(view, &start, 1);
  if (int err = halide_device_crop(nullptr, &root.buffer, &view)) return err;
  b.device = view.device, b.device_interface = view.device_interface;
  return 0;
}

int DeviceMemory::bind(int step, const deeper_operand &op, bool output, halide_buffer_t &b) {
  if (!gpu_) return 0;
  Root &root = rootOf(op);
  if (op.kind == DEEPER_WEIGHT) {  // the whole tensor, shared by its steps
    b.device = root.buffer.device, b.device_interface = gpu_;
    return 0;
  }
  bool cuda = halide_cuda_device_interface != nullptr;  // else OpenCL: the offset starts a sub-buffer
  if (cuda || op.offset % kGpuArenaAlignment == 0) {
    views_.push_back(&b);
    return crop(root, op.offset, b);
  }
  Staged &s = staged_.emplace_back();
  s.step = step, s.output = output, s.operand = &b;
  std::copy(b.dim, b.dim + b.dimensions, s.dims);
  describeFloats(s.view, s.dims, b.dimensions);
  if (int err = crop(root, op.offset, s.view)) return err;
  return halide_device_malloc(nullptr, &b, gpu_);
}

int DeviceMemory::copyStaged(int step, bool output) {
  for (Staged &s : staged_)
    if (s.step == step && s.output == output)
      if (int err = output ? halide_buffer_copy(nullptr, s.operand, gpu_, &s.view) : halide_buffer_copy(nullptr, &s.view, gpu_, s.operand)) return err;
  return 0;
}

int DeviceMemory::beforeStep(int step) { return staged_.empty() ? 0 : copyStaged(step, false); }

int DeviceMemory::afterStep(int step) { return staged_.empty() ? 0 : copyStaged(step, true); }

int DeviceMemory::uploadInputs(const float *const *inputs) {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    halide_buffer_t &b = inputs_[i].buffer;
    b.host = reinterpret_cast<uint8_t *>(const_cast<float *>(inputs[i]));
    b.flags = halide_buffer_flag_host_dirty;
    int err = halide_copy_to_device(nullptr, &b, gpu_);
    b.host = nullptr;  // the caller's buffer is not ours to keep
    if (err) return err;
  }
  return 0;
}

int DeviceMemory::downloadOutputs(float *const *outputs) {
  for (size_t i = 0; i < outputs_.size(); ++i) {
    halide_buffer_t &b = outputs_[i].buffer;
    b.host = reinterpret_cast<uint8_t *>(outputs[i]);
    b.flags = halide_buffer_flag_device_dirty;
    int err = halide_copy_to_host(nullptr, &b);
    b.host = nullptr, b.flags = 0;
    if (err) return err;
  }
  return 0;
}

}  // namespace deeper::runtime
