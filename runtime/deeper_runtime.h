/* Deeper runtime: runs a compiled model. Tiny and dependency-free (libc, libstdc++, the Halide runtime).
 *
 * A compiled model is a table of steps: each step calls one Halide kernel on operands that live in the
 * context's arena (offsets planned at compile time), in the mapped weights file, or in the caller's
 * input and output buffers. A run allocates nothing.
 *
 *   deeper_context *ctx;
 *   if (googlenet_create("googlenet.weights", &ctx) != DEEPER_OK) {
 *     fprintf(stderr, "%s\n", deeper_last_error());
 *     return 1;
 *   }
 *   googlenet_run_single(ctx, image, probabilities);   // image: [N,3,224,224] floats, C order
 *   googlenet_destroy(ctx);
 *
 * Contexts are independent: two threads may run two contexts of one model at once. One context runs
 * one call at a time: a deeper_run on a context already running elsewhere returns DEEPER_ERROR_BUSY.
 */
#ifndef DEEPER_RUNTIME_H
#define DEEPER_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum deeper_status {
  DEEPER_OK = 0,
  DEEPER_ERROR_IO = 1,        /* the weights file cannot be opened or mapped */
  DEEPER_ERROR_FORMAT = 2,    /* the weights file is truncated, corrupt or of another format version */
  DEEPER_ERROR_MISMATCH = 3,  /* the weights file belongs to another model */
  DEEPER_ERROR_MEMORY = 4,    /* the arena cannot be allocated */
  DEEPER_ERROR_ARGUMENT = 5,  /* a null or otherwise invalid argument */
  DEEPER_ERROR_KERNEL = 6,    /* a kernel reported an error */
  DEEPER_ERROR_BUSY = 7       /* the context is running on another thread: use one context per thread */
} deeper_status;

/* Where an operand of a step lives. */
typedef enum deeper_operand_kind {
  DEEPER_ARENA = 0,   /* at `offset` bytes into the context's arena */
  DEEPER_WEIGHT = 1,  /* weights tensor number `index` */
  DEEPER_INPUT = 2,   /* model input number `index`, `offset` bytes in (a channel slice) */
  DEEPER_OUTPUT = 3   /* model output number `index`, `offset` bytes in */
} deeper_operand_kind;

/* The highest tensor rank compiled models use. */
#define DEEPER_MAX_RANK 6

/* One buffer argument of a kernel, in Halide's dimension order (innermost first). */
typedef struct deeper_operand {
  int32_t kind;
  int32_t index;
  int64_t offset;
  int32_t rank;
  int32_t extent[DEEPER_MAX_RANK];
  int64_t stride[DEEPER_MAX_RANK];
} deeper_operand;

typedef struct deeper_step {
  const char *name;              /* the graph node, e.g. "inception_3a/3x3" */
  int (*kernel)(void **args);    /* Halide's _argv entry point */
  int32_t num_operands;          /* inputs first, the output last */
  const deeper_operand *operands;
  int64_t macs;                  /* multiply-adds one run executes (conv, fc, matmul), for GFLOP/s */
  int32_t group;                 /* 0: alone, on every thread; g > 0: the consecutive steps of group g
                                    run side by side, each lane's steps in order */
  int32_t lane;                  /* within a group: 1 (parallel kernels) or k > 1 (serial kernels) */
} deeper_step;

typedef struct deeper_tensor_info {
  const char *name;
  int32_t rank;
  int64_t shape[DEEPER_MAX_RANK];  /* C order, e.g. N,C,H,W */
} deeper_tensor_info;

typedef struct deeper_model {
  const char *name;
  uint64_t hash;  /* of the compiled graph, batch and weight layout; the weights file must carry it */
  int64_t arena_bytes;
  int32_t num_steps;
  const deeper_step *steps;
  int32_t num_weights;
  const char *const *weight_names;
  const int64_t *weight_bytes;
  int32_t num_inputs;
  const deeper_tensor_info *inputs;
  int32_t num_outputs;
  const deeper_tensor_info *outputs;
  const unsigned char *embedded_weights;  /* the weights file linked in (deeper compile --embed-weights), or NULL */
  uint64_t embedded_weights_bytes;
} deeper_model;

typedef struct deeper_context deeper_context;

/* Maps the weights file, checks it against the model, allocates the arena (GPU models: on the device,
   with the weights copied there and room for the inputs and outputs; runtime/device_memory.h).
   weights_path NULL: the model's embedded weights. */
deeper_status deeper_create(const deeper_model *model, const char *weights_path, deeper_context **out);
/* deeper_create on a weights file's bytes the caller holds (64-byte aligned, kept until deeper_destroy). */
deeper_status deeper_create_from_memory(const deeper_model *model, const void *weights, uint64_t bytes, deeper_context **out);
/* inputs[i] and outputs[i]: float buffers of the shapes in model->inputs / model->outputs. */
deeper_status deeper_run(deeper_context *ctx, const float *const *inputs, float *const *outputs);
/* deeper_run that also stores each step's wall time in step_ms[0..num_steps) (a profile). */
deeper_status deeper_run_timed(deeper_context *ctx, const float *const *inputs, float *const *outputs, double *step_ms);
/* deeper_run_timed that also stores each group's wall time (its lanes side by side, first to last step)
   in group_ms[g - 1] for the groups g = 1 .. the largest deeper_step.group. */
deeper_status deeper_run_profiled(deeper_context *ctx, const float *const *inputs, float *const *outputs, double *step_ms,
                                  double *group_ms);
void deeper_destroy(deeper_context *ctx);
const deeper_model *deeper_context_model(const deeper_context *ctx);
/* The message of the last failed call on this thread ("" if none). */
const char *deeper_last_error(void);
const char *deeper_status_name(deeper_status status);
/* Threads of the pool shared by every context of the process (kernels' parallel loops and branch
   lanes run on it), 1 to 256; 0: one per core, or HL_NUM_THREADS when set. When the system starts
   fewer, the pool runs with those it has. */
deeper_status deeper_set_num_threads(int threads);
/* The pool's thread count as set (or its default): what a profile's rates are per. */
int deeper_get_num_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* DEEPER_RUNTIME_H */
