/* A C program using a compiled model through its header: create, run, read shapes, handle errors.
 * Prints the top-1 class and probability for the same synthetic input the executable uses. */
#include "googlenet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int64_t numel(const deeper_tensor_info *t) {
  int64_t n = 1;
  for (int d = 0; d < t->rank; ++d) n *= t->shape[d];
  return n;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  deeper_context *ctx = NULL;
  if (googlenet_create("/nonexistent/googlenet.weights", &ctx) != DEEPER_ERROR_IO || ctx != NULL || !deeper_last_error()[0]) {
    fprintf(stderr, "a missing weights file must be DEEPER_ERROR_IO with a message\n");
    return 1;
  }
  deeper_status status = googlenet_create(argv[1], &ctx);
  if (status != DEEPER_OK) {
    fprintf(stderr, "%s: %s\n", deeper_status_name(status), deeper_last_error());
    return 1;
  }
  int64_t in_n = numel(googlenet_input(0)), out_n = numel(googlenet_output(0));
  float *in = malloc(sizeof(float) * in_n), *out = malloc(sizeof(float) * out_n);
  for (int64_t i = 0; i < in_n; ++i) in[i] = (float)sin(0.001 * (double)i);
  if (googlenet_run_single(ctx, NULL, out) != DEEPER_ERROR_ARGUMENT || googlenet_run_single(ctx, in, NULL) != DEEPER_ERROR_ARGUMENT ||
      googlenet_run(ctx, NULL, &out) != DEEPER_ERROR_ARGUMENT) {
    fprintf(stderr, "a null input or output buffer must be DEEPER_ERROR_ARGUMENT\n");
    return 1;
  }
  /* The header's macros agree with the model's tensor table. */
  if (in_n != GOOGLENET_INPUT_DATA_ELEMENTS || out_n != GOOGLENET_OUTPUT_PROB_ELEMENTS || GOOGLENET_NUM_INPUTS != 1 ||
      GOOGLENET_NUM_OUTPUTS != 1 || GOOGLENET_INPUT_DATA != 0 || GOOGLENET_OUTPUT_PROB != 0) {
    fprintf(stderr, "the header's element-count macros disagree with the model's shapes\n");
    return 1;
  }
  if (googlenet_run_single(ctx, in, out) != DEEPER_OK) {
    fprintf(stderr, "%s\n", deeper_last_error());
    return 1;
  }
  int64_t best = 0;
  for (int64_t i = 1; i < out_n; ++i)
    if (out[i] > out[best]) best = i;
  printf("c client: %s top-1 %lld:%.6f\n", googlenet_output(0)->name, (long long)best, out[best]);
  free(in);
  free(out);
  googlenet_destroy(ctx);
  return 0;
}
