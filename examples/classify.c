/* A C program using a model `deeper compile` built: GoogLeNet on a synthetic image, its top class.
 *
 *   build/deeper compile models/googlenet.dnet -o build/googlenet
 *   cc -I build/googlenet examples/classify.c build/googlenet/libgooglenet.a -lstdc++ -lpthread -ldl -lm -o build/classify
 *   build/classify build/googlenet/googlenet.weights
 *
 * Without an argument it uses the weights linked into the library (deeper compile --embed-weights).
 */
#include "googlenet.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc > 2) {
    fprintf(stderr, "usage: %s [googlenet.weights]\n", argv[0]);
    return 2;
  }
  deeper_context *ctx;
  if (googlenet_create(argc == 2 ? argv[1] : NULL, &ctx) != DEEPER_OK) {
    fprintf(stderr, "error: %s\n", deeper_last_error());
    return 1;
  }
  /* One array entry per input and output, at the index the header's macros name; any model alike. */
  long in = GOOGLENET_INPUT_DATA_ELEMENTS, out = GOOGLENET_OUTPUT_PROB_ELEMENTS;
  float *image = malloc(sizeof(float) * (size_t)in), *prob = malloc(sizeof(float) * (size_t)out);
  const float *inputs[GOOGLENET_NUM_INPUTS];
  float *outputs[GOOGLENET_NUM_OUTPUTS];
  inputs[GOOGLENET_INPUT_DATA] = image;
  outputs[GOOGLENET_OUTPUT_PROB] = prob;
  for (long i = 0; i < in && image; ++i) image[i] = (float)(i % 255) / 255.0f - 0.5f;  /* a synthetic image */
  deeper_status status = image && prob ? googlenet_run(ctx, inputs, outputs) : DEEPER_ERROR_MEMORY;
  if (status != DEEPER_OK) {
    fprintf(stderr, "error: %s\n", status == DEEPER_ERROR_MEMORY ? "out of memory" : deeper_last_error());
    googlenet_destroy(ctx);
    return 1;
  }
  long best = 0;
  double sum = 0;
  for (long i = 0; i < out; ++i) {
    sum += prob[i];
    if (prob[i] > prob[best]) best = i;
  }
  printf("class %ld, probability %.6f (of %ld; the probabilities sum to %.4f)\n", best, prob[best], out, sum);
  free(image);
  free(prob);
  googlenet_destroy(ctx);
  return 0;
}
