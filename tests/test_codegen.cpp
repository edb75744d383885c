// Every kernel family, JIT-compiled for this machine with its default schedule, against the reference
// executor over edge shapes: odd sizes, ceil-mode tails, padding, channels that are not a multiple of
// the vector width, batch > 1.
#include "TestUtil.h"
#include "codegen/Generators.h"
#include "reference/Executor.h"
#include "reference/Weights.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

using namespace deeper;

namespace {

Halide::Buffer<float> toBuffer(const OperandView &view, int32_t batch, const std::vector<float> &data) {
  std::vector<int> extents(view.extent.begin(), view.extent.end());
  if (batch > 0) extents.back() = batch;
  Halide::Buffer<float> b(extents);
  REQUIRE(static_cast<size_t>(b.number_of_elements()) == data.size());
  std::memcpy(b.data(), data.data(), data.size() * 4);
  return b;
}

/// Compiles each kernel of `text` (default schedules) and compares it with the reference.
void checkKernels(const std::string &text) {
  Graph g = test::parse(text);
  TensorMap weights = initWeights(g, 11);
  TensorMap inputs;
  for (const Node *in : g.nodesOfOp(OpKind::Input)) inputs[in->name] = syntheticInput(in->shape, in->name, 5);
  std::vector<std::string> all;
  for (const auto &n : g.nodes()) all.push_back(n->name);
  TensorMap values = ReferenceExecutor(g, weights).run(inputs, all);

  int lanes = Halide::get_host_target().natural_vector_size<float>();
  int32_t batch = static_cast<int32_t>(g.batch);
  for (Kernel &k : kernelsOf(g, lanes)) {
    INFO("kernel " << k.node->name << ": " << k.canonical());
    codegen::KernelPipeline kp = codegen::generateKernel(k);
    for (size_t i = 0; i < k.inputs.size(); ++i) kp.params[i].set(toBuffer(k.inputViews[i], batch, values.at(k.inputs[i]->name).data));
    for (size_t j = 0; j < k.params.size(); ++j) {
      const PackedParam &p = k.params[j];
      Tensor packed = packParam(k, p, weights.at(p.spec.tensorName(*k.node)));
      kp.params[k.inputs.size() + j].set(toBuffer(p.view, 0, packed.data));
    }
    std::vector<int> extents(k.outputView.extent.begin(), k.outputView.extent.end());
    extents.back() = batch;
    Halide::Buffer<float> out = kp.output.realize(extents);
    const Tensor &want = values.at(k.node->name);
    REQUIRE(static_cast<size_t>(out.number_of_elements()) == want.data.size());
    float scale = 1.0f, diff = 0.0f;
    for (size_t i = 0; i < want.data.size(); ++i) {
      scale = std::max(scale, std::fabs(want.data[i]));
      diff = std::max(diff, std::fabs(out.data()[i] - want.data[i]));
    }
    CHECK(diff <= 1e-5f * scale);
  }
}

}  // namespace

TEST_CASE("conv: odd sizes, padding, strides, narrow and wide channels, bias and relu, batch 2") {
  checkKernels(R"(network c batch=2
x  = input(shape=3x11x9)
c1 = conv(x, out=5, kernel=3, pad=1, relu=true)
c2 = conv(c1, out=40, kernel=7, stride=2, pad=3)
c3 = conv(c2, out=33, kernel=1, bias=false, relu=true)
c4 = conv(c3, out=17, kernel=5, pad=2)
c5 = conv(c4, out=8, kernel=1x3, pad=0x1, stride=2x1)
output c5
)");
}

TEST_CASE("pooling: ceil-mode tails, padding, global average") {
  checkKernels(R"(network p batch=3
x  = input(shape=5x9x8)
m1 = maxpool(x, kernel=3, stride=2)
m2 = maxpool(x, kernel=3, stride=1, pad=1)
a1 = avgpool(x, kernel=3, stride=2, pad=1)
a2 = avgpool(m1, kernel=4x4)
a3 = avgpool(x, kernel=5, stride=3)
output m2
output a1
output a2
output a3
)");
}

TEST_CASE("lrn: windows clipped at the first and last channels") {
  checkKernels("network l\nx = input(shape=7x5x3)\nl = lrn(x, size=5, alpha=0.01, beta=0.75)\n"
               "y = input(shape=3x4x4)\nm = lrn(y, size=5, alpha=1, beta=0.5, k=2)\noutput l\noutput m\n");
}

TEST_CASE("concat, fc, softmax, relu") {
  checkKernels(R"(network f batch=3
x  = input(shape=3x5x3)
a  = conv(x, out=5, kernel=1)
b  = conv(x, out=17, kernel=3, pad=1)
k  = concat(x, a, b)
f1 = fc(k, out=37, relu=true)
f2 = fc(f1, out=19)
r  = relu(f2)
g  = concat(f2, r)
s  = softmax(g)
t  = softmax(k)
output s
output t
)");
}
