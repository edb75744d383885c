// The Deeper runtime: weights mapping and checks, the arena, and the step loop. See deeper_runtime.h.
#include "deeper_runtime.h"

#include "device_memory.h"
#include "scratch_memory.h"
#include "thread_pool.h"
#include "weights_format.h"

#include <HalideRuntime.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <new>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

namespace wf = deeper::weights_format;

thread_local std::string lastError;

/// The first line Halide's runtime reported since takeHalideError last ran (a failed check, a GPU API's
/// error; later ones are its consequences). Halide's own handler prints it and aborts the process; this
/// one keeps it for the failed call's message, and the kernel returns its error code.
std::mutex halideErrorMutex;  // kernels on several threads may report
std::string halideError;

void keepHalideError(void *, const char *message) {
  std::lock_guard<std::mutex> lock(halideErrorMutex);
  if (halideError.empty()) halideError.assign(message, std::strcspn(message, "\n"));
}

std::string takeHalideError() {
  std::lock_guard<std::mutex> lock(halideErrorMutex);
  std::string first = halideError.empty() ? "no message" : halideError;
  halideError.clear();
  return first;
}

deeper_status failWith(deeper_status status, const char *format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(message, sizeof message, format, args);
  va_end(args);
  lastError = message;
  return status;
}

/// A read-only mapping of the weights file, or the caller's bytes of one (not ours to unmap).
struct Mapping {
  const unsigned char *data = nullptr;
  size_t size = 0;
  bool mapped = false;
  ~Mapping() {
    if (mapped) munmap(const_cast<unsigned char *>(data), size);
  }
};

deeper_status mapFile(const char *path, Mapping &m) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failWith(DEEPER_ERROR_IO, "cannot open weights '%s': %s", path, std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(wf::kHeaderBytes)) {
    close(fd);
    return failWith(DEEPER_ERROR_FORMAT, "weights '%s' is shorter than its %zu-byte header", path, wf::kHeaderBytes);
  }
  void *p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return failWith(DEEPER_ERROR_IO, "cannot map weights '%s': %s", path, std::strerror(errno));
  m.data = static_cast<const unsigned char *>(p);
  m.size = static_cast<size_t>(st.st_size);
  m.mapped = true;
  return DEEPER_OK;
}

deeper_status checkHeader(const deeper_model &model, const Mapping &m, const char *path, wf::Header &h) {
  std::memcpy(&h, m.data, sizeof h);
  if (std::memcmp(h.magic, wf::kMagic, sizeof h.magic) != 0)
    return failWith(DEEPER_ERROR_FORMAT, "%s is not a Deeper weights file (bad magic)", path);
  if (h.version != wf::kVersion || h.reserved != 0)
    return failWith(DEEPER_ERROR_FORMAT, "%s has format version %u (reserved bytes %s); this runtime reads version %u", path, h.version,
                    h.reserved ? "set" : "zero", wf::kVersion);
  if (h.fileSize != m.size)
    return failWith(DEEPER_ERROR_FORMAT, "%s is %zu bytes, its header says %llu: truncated or padded", path, m.size,
                    static_cast<unsigned long long>(h.fileSize));
  if (h.modelHash != model.hash || h.tensorCount != static_cast<uint32_t>(model.num_weights))
    return failWith(DEEPER_ERROR_MISMATCH, "%s holds the weights of another model (or batch, or build) than %s", path, model.name);
  // The checksum covers what follows the header; the header's own fields must each be exact.
  if (h.tableOffset != wf::kHeaderBytes || h.tableOffset > h.dataOffset || h.dataOffset > m.size)
    return failWith(DEEPER_ERROR_FORMAT, "%s has table or data offsets outside the file", path);
  if (wf::checksum(m.data + wf::kHeaderBytes, m.size - wf::kHeaderBytes) != h.checksum)
    return failWith(DEEPER_ERROR_FORMAT, "%s is corrupt: checksum mismatch", path);
  return DEEPER_OK;
}

/// Reads one table entry at `at` (advanced past it) and checks it names tensor `i` with its size.
deeper_status readEntry(const deeper_model &model, const Mapping &m, const wf::Header &h, int i, size_t &at,
                        const float *&tensor, const char *path) {
  uint64_t offset, bytes;
  uint32_t nameLength;
  if (at + 20 > h.dataOffset) return failWith(DEEPER_ERROR_FORMAT, "%s: tensor table is truncated", path);
  std::memcpy(&offset, m.data + at, 8);
  std::memcpy(&bytes, m.data + at + 8, 8);
  std::memcpy(&nameLength, m.data + at + 16, 4);
  at += 20;
  const char *want = model.weight_names[i];
  if (nameLength != std::strlen(want) || at + nameLength > h.dataOffset ||
      std::memcmp(m.data + at, want, nameLength) != 0)
    return failWith(DEEPER_ERROR_MISMATCH, "%s: tensor %d is not '%s'", path, i, want);
  at = wf::alignUp(at + nameLength, 8);
  uint64_t dataBytes = m.size - h.dataOffset;
  if (bytes != static_cast<uint64_t>(model.weight_bytes[i]) || offset > dataBytes || bytes > dataBytes - offset ||
      (h.dataOffset + offset) % wf::kAlignment != 0)
    return failWith(DEEPER_ERROR_FORMAT, "%s: tensor '%s' has a bad size or offset", path, want);
  tensor = reinterpret_cast<const float *>(m.data + h.dataOffset + offset);
  return DEEPER_OK;
}

/// Halide buffer descriptors of one step, built once per context so that a run allocates nothing.
struct StepBuffers {
  std::vector<halide_buffer_t> buffers;
  std::vector<halide_dimension_t> dims;
  std::vector<void *> args;
};

}  // namespace

struct deeper_context {
  const deeper_model *model = nullptr;
  std::atomic<bool> running{false};
  Mapping weights;
  std::vector<const float *> tensors;
  unsigned char *arena = nullptr;
  std::vector<StepBuffers> steps;
  deeper::runtime::DeviceMemory device;  ///< GPU models: all of the above on the device; freed first

  ~deeper_context() { std::free(arena); }
};

namespace {

/// The weights from `path`, else from the caller's `memory` (`path` then names them in messages).
deeper_status loadWeights(deeper_context &ctx, const char *path, const void *memory, uint64_t bytes) {
  std::string quoted = memory ? path : "'" + std::string(path) + "'";
  const char *name = quoted.c_str();
  if (!memory) {
    if (deeper_status s = mapFile(path, ctx.weights)) return s;
  } else if (bytes < wf::kHeaderBytes || reinterpret_cast<uintptr_t>(memory) % wf::kAlignment) {
    return failWith(DEEPER_ERROR_FORMAT, "%s: %llu bytes at %p: shorter than a header, or not %zu-byte aligned", path,
                    static_cast<unsigned long long>(bytes), memory, wf::kAlignment);
  } else {
    ctx.weights.data = static_cast<const unsigned char *>(memory), ctx.weights.size = bytes;
  }
  wf::Header h;
  if (deeper_status s = checkHeader(*ctx.model, ctx.weights, name, h)) return s;
  ctx.tensors.resize(ctx.model->num_weights);
  size_t at = h.tableOffset;
  for (int i = 0; i < ctx.model->num_weights; ++i)
    if (deeper_status s = readEntry(*ctx.model, ctx.weights, h, i, at, ctx.tensors[i], name)) return s;
  if (wf::alignUp(at, wf::kAlignment) != h.dataOffset) return failWith(DEEPER_ERROR_FORMAT, "%s: the data does not start after the table", name);
  return DEEPER_OK;
}

/// Fills the descriptors of every step; arena and weight operands get their final host pointers now
/// (GPU models: their device memory, and no host arena).
int prepareSteps(deeper_context &ctx) {
  const deeper_model &model = *ctx.model;
  ctx.steps.resize(model.num_steps);
  for (int s = 0; s < model.num_steps; ++s) {
    const deeper_step &step = model.steps[s];
    StepBuffers &sb = ctx.steps[s];
    sb.buffers.assign(step.num_operands, halide_buffer_t{});
    sb.dims.assign(step.num_operands * DEEPER_MAX_RANK, halide_dimension_t{});
    sb.args.resize(step.num_operands);
    for (int o = 0; o < step.num_operands; ++o) {
      const deeper_operand &op = step.operands[o];
      halide_buffer_t &b = sb.buffers[o];
      b.type.code = halide_type_float;
      b.type.bits = 32;
      b.type.lanes = 1;
      b.dimensions = op.rank;
      b.dim = &sb.dims[o * DEEPER_MAX_RANK];
      for (int d = 0; d < op.rank; ++d) b.dim[d] = halide_dimension_t{0, op.extent[d], static_cast<int32_t>(op.stride[d]), 0};
      if (op.kind == DEEPER_ARENA && ctx.arena) b.host = ctx.arena + op.offset;
      if (op.kind == DEEPER_WEIGHT) b.host = reinterpret_cast<uint8_t *>(const_cast<float *>(ctx.tensors[op.index]));
      if (int err = ctx.device.bind(s, op, o == step.num_operands - 1, b)) return err;
      sb.args[o] = &b;
    }
  }
  return 0;
}

/// Kernels' parallel loops run on deeper::runtime's pool (thread_pool.h) and their scratch buffers
/// come from its per-thread caches (scratch_memory.h), once per process.
void installHalideHooks() {
  static std::once_flag once;
  std::call_once(once, [] {
    halide_set_custom_do_par_for(deeper::runtime::parallelFor);
    halide_set_error_handler(keepHalideError);
    halide_set_custom_malloc(deeper::runtime::scratchMalloc);
    halide_set_custom_free(deeper::runtime::scratchFree);
  });
}

/// Runs step `s`'s kernel; with `wait`, a GPU kernel's too (launches return before it finishes).
int runStep(deeper_context &ctx, int s, bool wait) {
  StepBuffers &sb = ctx.steps[s];
  int err = ctx.device.beforeStep(s);
  err = err ? err : ctx.model->steps[s].kernel(sb.args.data());
  err = err ? err : ctx.device.afterStep(s);
  if (!err && wait && sb.buffers.back().device) err = halide_device_sync(nullptr, &sb.buffers.back());
  return err;
}

/// Steps [begin, end) of one run: a step alone, or a group of lanes.
struct Steps {
  deeper_context *ctx;
  double *step_ms;
  int begin, end;
  std::atomic<int> failed;  // the first step whose kernel failed; lanes run on several threads
};

/// Runs the steps of lane `lane` + 1 of the group in order (lane -1: every step); a halide_task_t.
int runLane(void *, int lane, uint8_t *closure) {
  Steps &g = *reinterpret_cast<Steps *>(closure);
  for (int s = g.begin; s < g.end; ++s) {
    const deeper_step &step = g.ctx->model->steps[s];
    if (lane >= 0 && step.lane != lane + 1) continue;
    auto start = std::chrono::steady_clock::now();
    if (int err = runStep(*g.ctx, s, g.step_ms != nullptr)) {
      int none = -1;
      g.failed.compare_exchange_strong(none, s);
      return err;
    }
    if (g.step_ms) g.step_ms[s] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  return 0;
}

/// One run's steps: the caller's buffers bound, then each step alone or each group's lanes side by side.
deeper_status runSteps(deeper_context *ctx, const float *const *inputs, float *const *outputs, double *step_ms, double *group_ms) {
  const deeper_model &model = *ctx->model;
  for (int s = 0; s < model.num_steps; ++s) {
    const deeper_step &step = model.steps[s];
    StepBuffers &sb = ctx->steps[s];
    for (int o = 0; o < step.num_operands; ++o) {
      const deeper_operand &op = step.operands[o];
      if (op.kind == DEEPER_INPUT || op.kind == DEEPER_OUTPUT) {  // the caller's buffer, `offset` bytes in
        const float *base = op.kind == DEEPER_INPUT ? inputs[op.index] : outputs[op.index];
        if (!base) return failWith(DEEPER_ERROR_ARGUMENT, "deeper_run: null buffer for step '%s'", step.name);
        sb.buffers[o].host = reinterpret_cast<uint8_t *>(const_cast<float *>(base)) + op.offset;
      }
    }
  }
  takeHalideError();  // what earlier calls left
  if (int err = ctx->device.uploadInputs(inputs))
    return failWith(DEEPER_ERROR_KERNEL, "copying the inputs to the device failed with Halide error %d: %s", err, takeHalideError().c_str());
  for (int s = 0; s < model.num_steps;) {
    Steps group{ctx, step_ms, s, s + 1, -1};
    int id = model.steps[s].group, lanes = model.steps[s].lane;  // a group: one task per lane on the thread pool
    if (id > 0)
      for (; group.end < model.num_steps && model.steps[group.end].group == id; ++group.end)
        lanes = std::max(lanes, model.steps[group.end].lane);
    uint8_t *closure = reinterpret_cast<uint8_t *>(&group);
    auto start = std::chrono::steady_clock::now();
    int err = id > 0 ? deeper::runtime::parallelFor(nullptr, runLane, 0, lanes, closure) : runLane(nullptr, -1, closure);
    if (group_ms && id > 0) group_ms[id - 1] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (err) {  // no failed step: the thread pool itself failed
      int failed = group.failed;
      return failWith(DEEPER_ERROR_KERNEL, "kernel of '%s' failed with Halide error %d: %s", failed >= 0 ? model.steps[failed].name : "a lane group",
                      err, takeHalideError().c_str());
    }
    s = group.end;
  }
  if (int err = ctx->device.downloadOutputs(outputs))
    return failWith(DEEPER_ERROR_KERNEL, "copying the outputs from the device failed with Halide error %d: %s", err, takeHalideError().c_str());
  return DEEPER_OK;
}

/// deeper_create and deeper_create_from_memory: a context with the weights at `path` or in `memory`.
deeper_status create(const deeper_model *model, const char *path, const void *memory, uint64_t bytes, deeper_context **out) {
  if (!model || !out) return failWith(DEEPER_ERROR_ARGUMENT, "deeper_create: null argument");
  *out = nullptr;
  deeper_context *ctx = new (std::nothrow) deeper_context;
  if (!ctx) return failWith(DEEPER_ERROR_MEMORY, "out of memory");
  ctx->model = model;
  installHalideHooks();
  deeper_status s = loadWeights(*ctx, path, memory, bytes);
  if (s == DEEPER_OK && model->arena_bytes > 0 && !deeper::runtime::gpuInterface()) {
    ctx->arena = static_cast<unsigned char *>(std::aligned_alloc(wf::kAlignment, wf::alignUp(model->arena_bytes, wf::kAlignment)));
    if (!ctx->arena) s = failWith(DEEPER_ERROR_MEMORY, "cannot allocate the %lld-byte arena", static_cast<long long>(model->arena_bytes));
  }
  if (s != DEEPER_OK) {
    delete ctx;
    return s;
  }
  takeHalideError();  // what earlier calls left
  std::string failed = "giving the steps their device memory";
  int err = ctx->device.allocate(*model, ctx->tensors, failed);
  if (!err) err = prepareSteps(*ctx);
  if (err) {
    s = failWith(DEEPER_ERROR_KERNEL, "%s on the device failed with Halide error %d: %s", failed.c_str(), err, takeHalideError().c_str());
    delete ctx;
    return s;
  }
  *out = ctx;
  return DEEPER_OK;
}

}  // namespace

extern "C" {

deeper_status deeper_create(const deeper_model *model, const char *weights_path, deeper_context **out) {
  if (weights_path || !model) return create(model, weights_path, nullptr, 0, out);
  if (!model->embedded_weights) return failWith(DEEPER_ERROR_ARGUMENT, "deeper_create: no weights path, and %s has no embedded weights", model->name);
  return create(model, "the embedded weights file", model->embedded_weights, model->embedded_weights_bytes, out);
}

deeper_status deeper_create_from_memory(const deeper_model *model, const void *weights, uint64_t bytes, deeper_context **out) {
  if (!weights) return failWith(DEEPER_ERROR_ARGUMENT, "deeper_create_from_memory: null weights");
  return create(model, "the weights file in memory", weights, bytes, out);
}

deeper_status deeper_run(deeper_context *ctx, const float *const *inputs, float *const *outputs) {
  return deeper_run_timed(ctx, inputs, outputs, nullptr);
}

deeper_status deeper_run_timed(deeper_context *ctx, const float *const *inputs, float *const *outputs, double *step_ms) {
  return deeper_run_profiled(ctx, inputs, outputs, step_ms, nullptr);
}

deeper_status deeper_run_profiled(deeper_context *ctx, const float *const *inputs, float *const *outputs, double *step_ms, double *group_ms) {
  if (!ctx || !inputs || !outputs) return failWith(DEEPER_ERROR_ARGUMENT, "deeper_run: null argument");
  // The step buffers hold this run's pointers: a second run meanwhile would race, so it is refused.
  if (ctx->running.exchange(true, std::memory_order_acquire))
    return failWith(DEEPER_ERROR_BUSY, "deeper_run: the context is running on another thread; use one context per thread");
  deeper_status s = runSteps(ctx, inputs, outputs, step_ms, group_ms);
  ctx->running.store(false, std::memory_order_release);
  return s;
}

void deeper_destroy(deeper_context *ctx) { delete ctx; }

const deeper_model *deeper_context_model(const deeper_context *ctx) { return ctx ? ctx->model : nullptr; }

const char *deeper_last_error(void) { return lastError.c_str(); }

const char *deeper_status_name(deeper_status status) {
  switch (status) {
    case DEEPER_OK: return "ok";
    case DEEPER_ERROR_IO: return "io error";
    case DEEPER_ERROR_FORMAT: return "bad weights file";
    case DEEPER_ERROR_MISMATCH: return "weights of another model";
    case DEEPER_ERROR_MEMORY: return "out of memory";
    case DEEPER_ERROR_ARGUMENT: return "invalid argument";
    case DEEPER_ERROR_KERNEL: return "kernel error";
    case DEEPER_ERROR_BUSY: return "context busy";
  }
  return "unknown status";
}

deeper_status deeper_set_num_threads(int threads) {
  if (threads < 0 || threads > deeper::runtime::kMaxThreads)
    return failWith(DEEPER_ERROR_ARGUMENT, "deeper_set_num_threads: %d threads; 0 (one per core) to %d", threads, deeper::runtime::kMaxThreads);
  installHalideHooks();
  deeper::runtime::setThreadCount(threads);
  return DEEPER_OK;
}

int deeper_get_num_threads(void) { return deeper::runtime::threadCount(); }

}  // extern "C"
