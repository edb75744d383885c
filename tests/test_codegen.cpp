// Every kernel family, JIT-compiled for this machine with its default schedule, against the reference
// executor over edge shapes: odd sizes, ceil-mode tails, padding, channels that are not a multiple of
// the vector width, batch > 1.
#include "TestUtil.h"
#include "codegen/ArenaPlan.h"
#include "codegen/Compile.h"
#include "codegen/Generators.h"
#include "codegen/ScheduleFile.h"
#include "inspect/Explain.h"
#include "ir/Printer.h"
#include "passes/PassManager.h"
#include "reference/Executor.h"
#include "reference/Weights.h"

#include <doctest/doctest.h>

#include <cmath>
#include <dlfcn.h>
#include <optional>
#include <limits>
#include <functional>
#include <cstring>
#include <map>

using namespace deeper;

namespace {

Halide::Buffer<float> toBuffer(const OperandView &view, int32_t batch, const std::vector<float> &data) {
  std::vector<int> extents(view.extent.begin(), view.extent.end());
  if (batch > 0 && view.batchLast) extents.back() = batch;
  Halide::Buffer<float> b(extents);
  REQUIRE(static_cast<size_t>(b.number_of_elements()) == data.size());
  std::memcpy(b.data(), data.data(), data.size() * 4);
  return b;
}

/// A buffer over `data` (a storage root's values) as the kernel reads it: its view's strides, from
/// `offset` floats in (a channel slice).
Halide::Buffer<float> viewBuffer(const OperandView &view, int32_t batch, std::vector<float> &data, int64_t offset) {
  std::vector<halide_dimension_t> dims;
  for (size_t d = 0; d < view.extent.size(); ++d) {
    bool free = batch > 0 && view.batchLast && d + 1 == view.extent.size();
    dims.push_back(halide_dimension_t(0, free ? batch : view.extent[d], static_cast<int32_t>(view.stride[d])));
  }
  return Halide::Buffer<float>(data.data() + offset, static_cast<int>(dims.size()), dims.data());
}

/// N,C,H,W values reordered to N,H,W,C (`toChannelsLast`) or back.
std::vector<float> reorderChannels(const Dims &s, const std::vector<float> &data, bool toChannelsLast) {
  std::vector<float> out(data.size());
  int64_t c = s[1], hw = s[2] * s[3];
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p) {
        int64_t nchw = (n * c + ch) * hw + p, nhwc = (n * hw + p) * c + ch;
        out[toChannelsLast ? nhwc : nchw] = data[toChannelsLast ? nchw : nhwc];
      }
  return out;
}

/// A value as its storage holds it: N,C,H,W, or reordered when stored layout=nhwc.
std::vector<float> stored(const Node &value, const Tensor &t) {
  return storedChannelsLast(value) ? reorderChannels(t.shape, t.data, true) : t.data;
}

/// Checks a kernel's output (N,C,H,W order) against the reference's values.
using Comparison = std::function<void(const std::vector<float> &got, const std::vector<float> &want)>;

/// Equal within `tolerance` of the largest finite output magnitude (or 1); NaN and infinities where
/// the reference has them, and only there.
Comparison within(float tolerance) {
  return [tolerance](const std::vector<float> &got, const std::vector<float> &want) {
    float scale = 1.0f;
    for (float w : want)
      if (std::isfinite(w)) scale = std::max(scale, std::fabs(w));
    size_t wrong = 0, first = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      bool same = got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])) || std::fabs(got[i] - want[i]) <= tolerance * scale;
      if (!same && wrong++ == 0) first = i;
    }
    INFO(wrong << " values differ, the first at " << first << ": " << (wrong ? got[first] : 0.0f) << " against " << (wrong ? want[first] : 0.0f));
    CHECK(wrong == 0);
  };
}

/// Compiles each kernel of the graph `text` (default schedules, changed by `vary`), runs it on the
/// reference's values of its inputs (`given` graph inputs, else synthetic ones) and `compare`s.
/// On a GPU `target` the inputs are marked as written on the host (else the device reads memory never
/// copied to it) and the output is copied back.
void checkKernelsOn(const std::string &text, const TensorMap &given, const std::function<void(const Node &, Schedule &)> &vary, const Comparison &compare,
                    const Halide::Target &target = hostTarget()) {
  Graph g = test::parse(text);
  TensorMap weights = initWeights(g, 11);
  TensorMap inputs = given;
  for (const Node *in : g.nodesOfOp(OpKind::Input))
    if (!inputs.count(in->name)) inputs[in->name] = syntheticInput(in->shape, in->name, 5);
  std::vector<std::string> all;
  for (const auto &n : g.nodes()) all.push_back(n->name);
  TensorMap values = ReferenceExecutor(g, weights).run(inputs, all);

  int32_t batch = static_cast<int32_t>(g.batch);
  for (Kernel &k : kernelsOf(g, kernelTargetOf(target))) {
    if (vary) {
      vary(*k.node, k.schedule);
      k.params = packedParams(k);
    }
    INFO("kernel " << k.node->name << ": " << k.canonical());
    codegen::KernelPipeline kp = codegen::generateKernel(k, target);
    std::vector<std::vector<float>> inputs;
    inputs.reserve(k.inputs.size());  // the input buffers point into these vectors
    auto bind = [&](Halide::ImageParam &param, Halide::Buffer<float> b) {
      b.set_host_dirty();
      param.set(b);
    };
    for (size_t i = 0; i < k.inputs.size(); ++i) {
      inputs.push_back(stored(*k.inputs[i], values.at(k.inputs[i]->name)));
      bind(kp.params[i], viewBuffer(k.inputViews[i], batch, inputs.back(), k.inputOffsets[i]));
    }
    for (size_t j = 0; j < k.params.size(); ++j) {
      const PackedParam &p = k.params[j];
      Tensor packed = packParam(k, p, weights.at(p.tensorName()));
      bind(kp.params[k.inputs.size() + j], toBuffer(p.view, 0, packed.data));
    }
    const Tensor &want = values.at(k.node->name);
    REQUIRE(k.outputStorage == k.node);
    std::vector<float> storage(want.data.size());
    Halide::Buffer<float> out = viewBuffer(k.outputView, batch, storage, 0);
    kp.output.realize(Halide::Realization(out), target);
    out.copy_to_host();
    if (storedChannelsLast(*k.node)) storage = reorderChannels(want.shape, storage, false);
    compare(storage, want.data);
  }
}

/// checkKernelsOn with synthetic inputs, equal within `tolerance` of the largest output magnitude.
void checkKernels(const std::string &text, const std::function<void(const Node &, Schedule &)> &vary, float tolerance = 1e-5f) {
  checkKernelsOn(text, {}, vary, within(tolerance));
}

void checkKernels(const std::string &text, const std::function<void(Schedule &)> &vary = {}) {
  checkKernels(text, [&](const Node &, Schedule &s) {
    if (vary) vary(s);
  });
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
c6 = conv(c5, out=3, kernel=3, pad=0x1x2x0)
c7 = conv(c4, out=6, kernel=3, dilation=2x1, pad=2x1)
output c6
output c7
)");
}

/// Halide's JIT target for this machine's OpenCL device (in CI Debian's PoCL, which runs OpenCL on the
/// CPU), or nothing, with the reason in the test's output. PoCL links LLVM 15 and Halide 14 links
/// LLVM 14: loaded first with RTLD_DEEPBIND, PoCL keeps to its own (else the JIT crashes in it); the
/// sanitizers refuse RTLD_DEEPBIND, so their build skips.
std::optional<Halide::Target> openclTarget() {
#ifdef DEEPER_SANITIZED
  MESSAGE("skipped: no OpenCL under the sanitizers (they refuse RTLD_DEEPBIND, which PoCL needs here)");
  return std::nullopt;
#endif
  static void *pocl = dlopen("libpocl.so.2", RTLD_NOW | RTLD_GLOBAL | RTLD_DEEPBIND);
  static void *icd = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (!pocl || !icd) {
    MESSAGE("skipped: no device: " << (pocl ? "no OpenCL ICD loader (ocl-icd-libopencl1)" : "no PoCL (pocl-opencl-icd)"));
    return std::nullopt;
  }
  return hostTarget().with_feature(Halide::Target::OpenCL);
}

/// checkKernels's model on the OpenCL device too, where there is one, with GPU schedules (the defaults,
/// changed by `vary`).
void checkKernelsOnGpu(const std::string &text, const std::function<void(const Node &, Schedule &)> &vary = {}) {
  if (std::optional<Halide::Target> gpu = openclTarget()) checkKernelsOn(text, {}, vary, within(1e-5f), *gpu);
}

TEST_CASE("GPU convs (OpenCL): padding, strides, dilation, groups, depthwise, residuals, fused pools and reduce, edges of thread blocks, batch 2") {
  // Widths and channel counts on both sides of a thread block's 32 channels and 32 pixels.
  checkKernelsOnGpu(R"(network g batch=2
x  = input(shape=5x13x37)
c1 = conv(x, out=33, kernel=3, pad=1, relu=true)
c2 = conv(c1, out=8, kernel=5, stride=2, pad=2, layout=nhwc)
c3 = conv(c2, out=64, kernel=1, bias=false, activation=silu)
c4 = conv(x, out=10, kernel=3, dilation=2x1, pad=2x1, groups=5)
c5 = conv(c1, out=33, kernel=3, pad=1, groups=33, relu=true, relu_max=6, layout=nhwc)
c6 = conv(x, c4, out=10, kernel=3, pad=1, relu=true)
c7 = conv(x, out=7, kernel=3, stride=2, pad=1, output_maxpool=3, output_maxpool_stride=2)
c8 = conv(x, out=6, kernel=1, input_maxpool=3)
c9 = conv(x, out=12, kernel=3, pad=1, reduce=4, relu=true)
o5 = conv(c5, out=3, kernel=1)
output c3
output o5
output c6
output c7
output c8
output c9
)");
}

TEST_CASE("GPU conv tiles are schedule data (OpenCL): odd thread blocks, pixels per thread, the staged input, Winograd") {
  // The same convs under other gpu_ fields: blocks that straddle channels and rows unevenly,
  // gpu_shared's chunks of input channels (13 of 26, or all of a group's or a fused reduce's) staged
  // by the block's threads, and the convs Winograd computes as its three launches (F(2x2) and F(4x4)
  // on 3x3, F(2x2) on 5x5).
  const char *model = R"(network t batch=2
x  = input(shape=26x9x23)
c1 = conv(x, out=19, kernel=3, pad=1, relu=true)
c2 = conv(x, out=8, kernel=5, stride=2, pad=2, layout=nhwc)
o2 = conv(c2, out=3, kernel=1)
c3 = conv(x, out=39, kernel=3, dilation=2x1, pad=2x1, groups=13)
c4 = conv(x, out=12, kernel=3, pad=1, reduce=4, relu=true)
c5 = conv(x, c1, out=19, kernel=1, relu=true)
c6 = conv(x, out=7, kernel=3, stride=2, pad=1, output_maxpool=3, output_maxpool_stride=2)
c7 = conv(x, out=9, kernel=5, pad=2)
c8 = conv(x, out=26, kernel=3, pad=1, layout=nhwc)
o8 = conv(c8, out=3, kernel=1)
output o2
output c3
output c4
output c5
output c6
output c7
output o8
)";
  for (const char *variant : {"tiles", "shared", "winograd"}) {
    CAPTURE(variant);
    int winograds = 0;
    checkKernelsOnGpu(model, [&](const Node &n, Schedule &s) {
      if (n.op != OpKind::Conv) return;
      s.gpuChannels = 8, s.gpuRowThreads = 3, s.gpuPixels = 5;
      if (variant == std::string("shared")) s.gpuSharedInput = true, s.chunkInputs = 13;
      if (variant == std::string("winograd") && ConvParams::of(n).winogradApplies())
        s.winograd = n.name == "c8" ? 4 : 2, s.gpuPixels = 1, ++winograds;
      REQUIRE(scheduleProblem(n, s) == "");
    });
    if (variant == std::string("winograd") && openclTarget()) CHECK(winograds == 3);  // c1, c7, c8
  }
}

TEST_CASE("GPU pooling, lrn, fc and softmax (OpenCL): ceil-mode tails, padding, dilation, global average, both layouts, batch 3") {
  checkKernelsOnGpu(R"(network p batch=3
x  = input(shape=5x9x70)
v  = conv(x, out=20, kernel=1, layout=nhwc)
m1 = maxpool(x, kernel=3, stride=2)
m2 = maxpool(v, kernel=3, stride=1, pad=1, layout=nhwc)
m3 = maxpool(x, kernel=2, dilation=3, stride=1)
a1 = avgpool(x, kernel=3, stride=2, pad=1)
a2 = avgpool(x, kernel=3, stride=2, pad=1, exclude_pad=true)
g1 = avgpool(x, kernel=9x70)
l1 = lrn(x, size=5, alpha=0.01, beta=0.75)
l2 = lrn(v, size=5, alpha=1, beta=0.5, k=2, layout=nhwc)
o2 = conv(m2, out=3, kernel=1)
o3 = conv(l2, out=3, kernel=1)
f  = fc(a1, out=70, relu=true)
s  = softmax(f)
output m1
output o2
output m3
output a2
output g1
output l1
output o3
output s
)");
}

TEST_CASE("GPU convs compile for CUDA (sm_86 PTX, Halide 14's newest) without a device") {
  Graph g = test::parse(R"(network g batch=2
x  = input(shape=5x13x37)
c1 = conv(x, out=33, kernel=3, pad=1, relu=true, layout=nhwc)
c2 = conv(c1, out=8, kernel=5, stride=2, pad=2, groups=1, output_maxpool=3, output_maxpool_stride=2)
output c2
)");
  Halide::Target cuda("x86-64-linux-cuda-cuda_capability_86");
  test::TempDir dir;
  std::vector<Kernel> kernels = kernelsOf(g, kernelTargetOf(cuda));
  Kernel winograd = kernels[0];  // c1 as Winograd's three launches too
  winograd.schedule.winograd = 2, winograd.schedule.gpuPixels = 1, winograd.params = packedParams(winograd);
  REQUIRE(scheduleProblem(*winograd.node, winograd.schedule) == "");
  kernels.push_back(winograd);
  for (size_t i = 0; i < kernels.size(); ++i) {
    codegen::KernelPipeline kp = codegen::generateKernel(kernels[i], cuda);
    std::string object = dir.path + "/k" + std::to_string(i) + ".o";
    kp.output.compile_to_object(object, kp.arguments(), "k" + std::to_string(i), cuda);
    CHECK(readFile(object).find(".target sm_86") != std::string::npos);  // the PTX is embedded as text
  }
}

TEST_CASE("pooling: ceil-mode tails, padding, global average") {
  const char *model = R"(network p batch=3
x  = input(shape=5x9x8)
y  = input(shape=3x5x21)
g1 = avgpool(x, kernel=9x8)
g2 = avgpool(y, kernel=5x21)
output g1
output g2
m1 = maxpool(x, kernel=3, stride=2)
m2 = maxpool(x, kernel=3, stride=1, pad=1)
a1 = avgpool(x, kernel=3, stride=2, pad=1)
a2 = avgpool(m1, kernel=4x4)
a3 = avgpool(x, kernel=5, stride=3)
a4 = avgpool(x, kernel=3, stride=2, pad=1, exclude_pad=true)
m3 = maxpool(x, kernel=3, stride=2, pad=0x0x1x1)
m4 = maxpool(x, kernel=2, dilation=3, stride=1)
output m4
a5 = avgpool(x, kernel=2, stride=2, pad=1x0x0x1)
output a4
output m3
output a5
output m2
output a1
output a2
output a3
)";
  checkKernels(model);
  // Global averages (a2, g1, g2): rows in vectors of partial sums, with tails of 5 (g2) or 1 (vector 4).
  checkKernels(model, [](Schedule &s) { s.vector = 4, s.parallel = false; });
}

TEST_CASE("lrn: windows clipped at the first and last channels") {
  checkKernels("network l\nx = input(shape=7x5x3)\nl = lrn(x, size=5, alpha=0.01, beta=0.75)\n"
               "y = input(shape=3x4x4)\nm = lrn(y, size=5, alpha=1, beta=0.5, k=2)\noutput l\noutput m\n");
}

TEST_CASE("batchnorm that follows no conv") {
  const std::string model = "network b batch=2\nx = input(shape=5x3x7)\np = maxpool(x, kernel=2)\nb = batchnorm(p, epsilon=0.01)\n"
                            "f = fc(b, out=6)\ng = batchnorm(f)\noutput g\n";
  checkKernels(model);
  checkKernelsOnGpu(model);
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

TEST_CASE("conv schedules: row tasks or channel-block tasks, uneven input chunks, tiles that do not divide rows") {
  const char *net = R"(network v batch=2
x  = input(shape=13x11x10)
c1 = conv(x, out=37, kernel=3, pad=1, relu=true)
c2 = conv(x, out=20, kernel=1, stride=2)
c3 = conv(x, out=9, kernel=3, input_maxpool=3)
output c1
output c2
output c3
)";
  for (bool blockTasks : {false, true})
    for (int tileWidth : {4, 5})
      checkKernels(net, [&](Schedule &s) {
        s.blockTasks = blockTasks;
        s.tileWidth = tileWidth;
        s.chunkInputs = 5;
        s.winograd = 0;  // the direct conv (c1 would be Winograd, which has no input chunks)
      });
}

TEST_CASE("channels-last convs: register tiles (one input chunk) against row buffers (uneven chunks)") {
  const char *net = R"(network t batch=2
x  = input(shape=12x11x10)
c1 = conv(x, out=37, kernel=3, pad=1, relu=true, layout=nhwc)
c2 = conv(x, out=20, kernel=1, stride=2, layout=nhwc)
c3 = conv(x, out=9, kernel=3, pad=1, input_maxpool=3, layout=nhwc)
c4 = conv(x, out=20, kernel=3, stride=2, pad=1, groups=4, layout=nhwc)
c5 = conv(x, out=24, kernel=3, pad=1, reduce=20, reduce_relu=true, layout=nhwc)
c6 = conv(x, out=5, kernel=1, reduce=36)
p1 = maxpool(c1, kernel=2)
p2 = maxpool(c2, kernel=2)
p3 = maxpool(c3, kernel=2)
p4 = maxpool(c4, kernel=2)
p5 = maxpool(c5, kernel=2)
output p1
output p2
output p3
output p4
output p5
output c6
)";
  Graph g = test::parse(net);
  for (const char *name : {"c1", "c2", "c3", "c4"}) CHECK(defaultSchedule(*g.find(name), 16).chunkInputs == 32);  // one chunk
  CHECK(defaultSchedule(*g.find("c5"), 16).chunkInputs == 32);   // the reduce's 20 channels are its input
  CHECK(defaultSchedule(*g.find("c6"), 16).chunkInputs == 32);   // N,C,H,W: chunks of 32, its row buffer
  Graph wide = test::parse("x = input(shape=600x2x2)\nc = conv(x, out=8, kernel=1, layout=nhwc)\noutput c\n");
  CHECK(defaultSchedule(*wide.find("c"), 16).chunkInputs == 1024);
  // Tiles that do not divide the rows (shifted inwards), channel tiles of 1-3 vectors with padding, a
  // fused reduce whose tile is narrower than the conv's (c5: 20 channels, a 48-channel block).
  for (int chunk : {5, kMostChunkInputs})
    for (std::pair<int, int> tile : {std::pair{1, 4}, std::pair{3, 5}})  // tile_c, tile_x
      checkKernels(net, [&](Schedule &s) {
        s.chunkInputs = chunk;
        s.tileChannels = tile.first;
        s.tileWidth = tile.second;
        s.winograd = 0;
      });
}

TEST_CASE("winograd F(2x2,3x3) and F(4x4,3x3): odd and even maps, uneven channel blocks, row or block tasks, both layouts") {
  const char *net = R"(network w batch=2
x  = input(shape=19x9x7)
c1 = conv(x, out=37, kernel=3, pad=1, relu=true)
c2 = conv(c1, out=40, kernel=3, pad=1, bias=false, layout=nhwc)
c3 = conv(c2, out=16, kernel=3, pad=1, relu=true, layout=nhwc)
c4 = conv(c3, out=5, kernel=3, pad=1)
c5 = conv(c3, out=8, kernel=3, pad=1x1x0x1)
output c4
output c5
)";
  Graph g = test::parse(net);
  // 9x7 maps: F(4x4,3x3) executes 36 x 3x2 tiles = 216 products per channel pair, F(2x2,3x3) 16 x 5x4 = 320
  for (const char *name : {"c1", "c2", "c3", "c4"}) CHECK(defaultSchedule(*g.find(name), 16).winograd == 4);
  CHECK(defaultSchedule(*g.find("c5"), 16).winograd == 0);  // uneven padding
  Graph tie = test::parse("x = input(shape=3x6x6)\nc = conv(x, out=4, kernel=3, pad=1)\noutput c\n");
  CHECK(defaultSchedule(*tie.find("c"), 16).winograd == 2);  // 144 products either way: the cheaper transforms
  // Transformed weights beyond the cache: F(4x4,3x3)'s 37.7 MB for 4 tiles of a 7x7 map stream longer
  // than the direct conv computes; 16 tiles of a 14x14 map keep it; 9.4 MB stay cached.
  Graph wide = test::parse(R"(x = input(shape=512x7x7)
small_map = conv(x, out=512, kernel=3, pad=1)
y = input(shape=512x14x14)
larger_map = conv(y, out=512, kernel=3, pad=1)
z = input(shape=256x7x7)
fewer_channels = conv(z, out=256, kernel=3, pad=1)
output small_map
output larger_map
output fewer_channels
)");
  CHECK(defaultSchedule(*wide.find("small_map"), 16).winograd == 0);
  CHECK(defaultSchedule(*wide.find("larger_map"), 16).winograd == 4);
  CHECK(defaultSchedule(*wide.find("fewer_channels"), 16).winograd == 4);
  std::vector<Kernel> kernels = kernelsOf(g, 16);
  REQUIRE(kernels[0].node->name == "c1");
  CHECK(executedMacs(kernels[0]) == 2 * 36 * (3 * 2) * 19 * 37);  // 9x7 outputs in 3x2 tiles of 4x4
  kernels[0].schedule.winograd = 2;
  CHECK(executedMacs(kernels[0]) == 2 * 16 * (5 * 4) * 19 * 37);  // in 5x4 tiles of 2x2
  kernels[0].schedule.winograd = 0;
  CHECK(executedMacs(kernels[0]) == macsOf(*kernels[0].node));
  checkKernels(net);
  for (bool blockTasks : {false, true})
    checkKernels(net, [&](Schedule &s) {
      s.blockTasks = blockTasks;
      s.tileWidth = 3;
      s.tileChannels = 1;
    });
  checkKernels(net, [](Schedule &s) { s.parallel = false; });
  // F(2x2,3x3): row tasks in narrow tiles, and serial block tasks.
  checkKernels(net, [](Schedule &s) {
    s.winograd = s.winograd ? 2 : 0;
    s.blockTasks = false;
    s.tileWidth = 3;
    s.tileChannels = 1;
  });
  checkKernels(net, [](Schedule &s) {
    s.winograd = s.winograd ? 2 : 0;
    s.blockTasks = true;
    s.parallel = false;
  });
  checkKernels(net, [](Schedule &s) { s.winograd = 0; });  // the direct conv on the same layers
}

TEST_CASE("winograd F(2x2,5x5): odd and even maps, both layouts, row or block tasks; F(4x4,5x5) refused") {
  const char *net = R"(network w5 batch=2
x  = input(shape=11x10x11)
c1 = conv(x, out=21, kernel=5, pad=2, relu=true)
c2 = conv(c1, out=18, kernel=5, pad=2, bias=false, layout=nhwc)
c3 = conv(c2, out=5, kernel=5, pad=2, relu=true)
output c3
)";
  Graph g = test::parse(net);
  // 10x11 maps: F(2x2,5x5) executes 36 x 6x5 tiles = 1080 products per channel pair, 39% of the direct 2750
  for (const char *name : {"c1", "c2", "c3"}) CHECK(defaultSchedule(*g.find(name), 16).winograd == 2);
  Graph other = test::parse("x = input(shape=3x7x7)\nsmall = conv(x, out=4, kernel=5, pad=2)\nvalid = conv(x, out=4, kernel=5, pad=1)\noutput small\noutput valid\n");
  CHECK(defaultSchedule(*other.find("small"), 16).winograd == 0);  // 7x7: 576 products against 1225 (47%)
  CHECK(defaultSchedule(*other.find("valid"), 16).winograd == 0);  // its output is smaller than its input
  std::vector<Kernel> kernels = kernelsOf(g, 16);
  REQUIRE(kernels[0].node->name == "c1");
  CHECK(executedMacs(kernels[0]) == 2 * 36 * (6 * 5) * 11 * 21);  // 11x10 outputs in 6x5 tiles of 2x2
  Schedule four = kernels[0].schedule;
  four.winograd = 4;
  CHECK(scheduleProblem(*kernels[0].node, four).find("F(4x4,5x5) is not used") != std::string::npos);
  checkKernels(net);  // block tasks (maps of 14 rows or fewer)
  checkKernels(net, [&](Schedule &s) {  // serial row tasks in narrow tiles
    s.blockTasks = false;
    s.parallel = false;
    s.tileWidth = 3;
    s.tileChannels = 1;
  });
}

TEST_CASE("winograd transforms compute the correlation exactly: sum_j A^T[i][j] G[j][k] B^T[j][l] = [l == i + k]") {
  for (std::pair<int, int> tile : {std::pair{2, 3}, {4, 3}, {2, 5}}) {
    const int m = tile.first, r = tile.second;  // (not a structured binding: clang 14 cannot capture one)
    CAPTURE(m);
    CAPTURE(r);
    const WinogradMatrices &f = winogradMatrices(m, r);
    const size_t t = static_cast<size_t>(m + r - 1);
    REQUIRE(f.BT.size() == t);
    REQUIRE(f.G.size() == t);
    REQUIRE(f.AT.size() == static_cast<size_t>(m));
    for (size_t i = 0; i < static_cast<size_t>(m); ++i)
      for (size_t k = 0; k < static_cast<size_t>(r); ++k)
        for (size_t l = 0; l < t; ++l) {
          double sum = 0;
          for (size_t j = 0; j < t; ++j) sum += f.AT[i][j] * f.G[j][k] * f.BT[j][l];
          CHECK(sum == doctest::Approx(l == i + k ? 1.0 : 0.0).epsilon(1e-12));
        }
  }
  // Lavin & Gray's F(4x4,3x3): the same points give the same G and B^T rows.
  CHECK(winogradMatrices(4, 3).G[1][0] == doctest::Approx(-1.0 / 6));
  CHECK(winogradMatrices(4, 3).BT[0] == std::vector<double>{4, 0, -5, 0, 1, 0});
  CHECK(!winogradTileApplies(4, 5));
  CHECK(!winogradTileApplies(2, 7));
}

TEST_CASE("winograd F(2x2,5x5) stays within rounding of the direct conv on a deep input") {
  checkKernels("network d\nx = input(shape=192x14x14)\nc = conv(x, out=40, kernel=5, pad=2, relu=true)\noutput c\n",
               [](const Node &, Schedule &s) { s.winograd = 2; }, 1e-4f);
}

TEST_CASE("winograd F(4x4,3x3) stays within rounding of the direct conv on GoogLeNet-sized layers") {
  // Its transforms multiply by up to 8 and 1/24, so it rounds more than F(2x2,3x3) (Lavin & Gray
  // measured the same): here within 1e-4 of the output's scale, on a deep input (480 channels,
  // inception_4a/3x3's fan-in) where the sums are longest. The tuner's reference check allows 1e-3.
  checkKernels("network d\nx = input(shape=480x14x14)\nc = conv(x, out=40, kernel=3, pad=1, relu=true)\noutput c\n",
               [](const Node &, Schedule &s) { s.winograd = 4; }, 1e-4f);
}

TEST_CASE("convs scheduled by each of Halide's autoschedulers compute the reference") {
  const char *net = R"(network a batch=2
x  = input(shape=5x9x7)
c1 = conv(x, out=19, kernel=3, pad=1, relu=true)
c2 = conv(c1, out=8, kernel=1, layout=nhwc)
c3 = conv(c2, out=6, kernel=5, stride=2, pad=2, bias=false)
output c3
)";
  // Adams2019's settings are pinned (greedy): a beam size of 0 from the environment, which would leave
  // its search without a state, changes nothing.
  test::ScopedEnv beam("HL_BEAM_SIZE", "0");
  for (const std::string &name : Schedule::autoschedulers()) {
    CAPTURE(name);
    checkKernels(net, [&](const Node &node, Schedule &s) {
      s = s.handedTo(name);
      CHECK(s.print().find("tile_x=1 chunk_i=32 block_tasks=false") != std::string::npos);
      CHECK(scheduleProblem(node, s).empty());
    });
  }
}

TEST_CASE("grouped and depthwise conv, output channels not a multiple of the vector; groups narrower than a vector") {
  const char *text = R"(network g batch=2
x  = input(shape=6x9x7)
g3 = conv(x, out=9, kernel=3, pad=1, groups=3, relu=true)
dw = conv(g3, out=9, kernel=3, stride=2, groups=9)
g2 = conv(x, out=34, kernel=1, groups=2, bias=false)
w  = input(shape=32x6x5)
g8 = conv(w, out=48, kernel=3, pad=1, groups=4)
g4 = conv(g8, out=32, kernel=3, stride=2, pad=1, groups=8)
output dw
output g2
output g4
)";
  checkKernels(text);
  Graph g = test::parse(text);
  CHECK(defaultSchedule(*g.find("g8"), 16).vector == 4);   // 12 channels a group: 4-lane vectors, each in one group
  CHECK(defaultSchedule(*g.find("g4"), 16).vector == 4);   // 4 a group
  CHECK(defaultSchedule(*g.find("g2"), 16).vector == 16);  // 17 a group: no vector of 4 or more divides it
  CHECK(defaultSchedule(*g.find("g3"), 16).vector == 16);  // 3 a group: no vector of 4 fits
  CHECK(defaultSchedule(*g.find("g8"), 8).vector == 4);    // 8 lanes would straddle groups of 12 too
}

TEST_CASE("conv over its max-pooled input (pool-proj-fusion), direct and padded") {
  checkKernels(R"(network q batch=2
x  = input(shape=20x9x7)
p1 = conv(x, out=17, kernel=1, input_maxpool=3, relu=true)
p2 = conv(x, out=8, kernel=3, pad=1, input_maxpool=5)
p3 = conv(x, out=4, kernel=1, stride=2, input_maxpool=3)
output p1
output p2
output p3
)");
}

TEST_CASE("conv with its output max-pooled (conv-pool-fusion): ceil-mode tails, both layouts, serial and in tasks") {
  const std::string model = R"(network o batch=2
x  = input(shape=3x23x19)
s1 = conv(x, out=20, kernel=7, stride=2, pad=3, relu=true, output_maxpool=3, output_maxpool_stride=2, layout=nhwc)
s2 = conv(x, out=9, kernel=3, pad=0x1x2x0, output_maxpool=2, output_maxpool_stride=2)
s3 = conv(x, out=5, kernel=1, output_maxpool=3, output_maxpool_stride=1, layout=nhwc)
s4 = conv(x, out=33, kernel=5, stride=3, output_maxpool=3, output_maxpool_stride=3, bias=false)
r1 = conv(s1, out=4, kernel=1)
r3 = conv(s3, out=4, kernel=1)
output r1
output s2
output r3
output s4
)";
  checkKernels(model);
  checkKernels(model, [](Schedule &s) { s.parallel = false; });
  checkKernels(model, [](Schedule &s) { s.tileChannels = 1, s.tileWidth = 3, s.blockTasks = true; });
}

TEST_CASE("arithmetic with broadcast constants, pad modes, matmul stacks") {
  const std::string model = R"(network a batch=2
x  = input(shape=3x5x4)
s1 = add(x, operand=3x1x1)
s2 = sub(s1, operand=4, operand_first=true)
s3 = mul(s2, operand=1)
s4 = div(s3, operand=2x3x5x4)
s5 = div(s4, operand=5x1, operand_first=true)
s6 = mul(x, operand=7x1x1x1x1)
p1 = pad(x, pads=0x1x2x0x0x0x1x3, value=1.5)
p2 = pad(x, pads=0x0x2x1x0x0x1x2, mode=reflect)
p3 = pad(x, pads=1x0x3x1x0x2x0x2, mode=edge)
m1 = matmul(x, weight=4x6)
m2 = matmul(x, weight=3x4x2)
m3 = matmul(x, weight=2x1x5x3, trans_a=true)
output s5
output s6
output p1
output p2
output p3
output m1
output m2
output m3
)";
  checkKernels(model);
  checkKernelsOnGpu(model);
}

TEST_CASE("depthwise convs stored channels-last or N,C,H,W: strides, uneven and dilated padding, channels not a multiple of the vector") {
  // Maps of 9 rows (tasks are ranges of channel vectors) and of 17 (tasks are rows).
  const std::string model = R"(network d batch=2
x  = input(shape=20x9x7)
e  = conv(x, out=37, kernel=1, layout=nhwc)
d1 = conv(e, out=37, kernel=3, pad=1, groups=37, relu=true, relu_max=0.5, layout=nhwc)
d2 = conv(d1, out=37, kernel=3, stride=2, pad=0x1x2x0, groups=37, layout=nhwc)
d3 = conv(d1, out=37, kernel=5, dilation=2x1, pad=4x2, groups=37, bias=false, layout=nhwc)
t  = input(shape=5x17x3)
te = conv(t, out=5, kernel=1, layout=nhwc)
d4 = conv(te, out=5, kernel=3, pad=1, groups=5, layout=nhwc)
d5 = conv(d1, out=37, kernel=5, pad=2, groups=37, activation=silu, layout=nhwc)
d6 = conv(d4, out=5, kernel=5, pad=2, groups=5, activation=silu, layout=nhwc)
d7 = conv(d4, out=5, kernel=3, pad=1, groups=5, activation=sigmoid, layout=nhwc)
o2 = conv(d2, out=4, kernel=1)
o3 = conv(d3, out=4, kernel=1)
o4 = conv(d4, out=4, kernel=1)
o5 = conv(d5, out=4, kernel=1)
o6 = conv(d6, out=4, kernel=1)
o7 = conv(d7, out=4, kernel=1)
output o2
output o3
output o4
output o5
output o6
output o7
)";
  Graph g = test::parse(model);
  for (const Kernel &k : kernelsOf(g, 16))
    CHECK(codegen::isDepthwise(k) == (k.node->name[0] == 'd'));  // the depthwise path is taken
  // SiLU and sigmoid epilogues run over a row of stored sums where the taps' weight vectors and the
  // exp's constants would not fit the registers together: 5x5 on AVX-512, 3x3 too on AVX2.
  for (int lanes : {16, 8})
    for (const Kernel &k : kernelsOf(g, lanes))
      if (k.node->name == "d5" || k.node->name == "d6" || k.node->name == "d7" || k.node->name == "d4") {
        INFO(k.node->name << " with " << lanes << " lanes");
        bool stored = inspect::loweredStatement(k, hostTarget()).find("depthwise_sums") != std::string::npos;
        CHECK(stored == (k.node->name == "d5" || k.node->name == "d6" || (k.node->name == "d7" && lanes == 8)));
      }
  checkKernels(model);
  checkKernels(model, [](Schedule &s) { s.parallel = false, s.vector = 8; });
  checkKernels(model, [](Schedule &s) { s.vector = 2; });  // 19 vectors of 37 channels: 16 ranges, the last short

  // Stored N,C,H,W (as a squeeze-and-excitation gate keeps them): vectors along the padded plane's rows.
  std::string planes = model;
  for (size_t at; (at = planes.find(", layout=nhwc")) != std::string::npos;) planes.erase(at, std::string(", layout=nhwc").size());
  Graph planesGraph = test::parse(planes);
  for (const Kernel &k : kernelsOf(planesGraph, 16)) CHECK(codegen::isDepthwise(k) == (k.node->name[0] == 'd'));
  checkKernels(planes);
  checkKernels(planes, [](Schedule &s) { s.parallel = false, s.vector = 4; });
}

TEST_CASE("conv epilogues (ReLU6, sigmoid, silu, hardswish, hardsigmoid): direct, depthwise, Winograd, pooled, fused reduce") {
  checkKernels(R"(network a batch=2
x  = input(shape=6x9x7)
b1 = conv(x, out=20, kernel=3, stride=2, pad=1, relu=true, relu_max=0.05)
b2 = conv(x, out=6, kernel=3, pad=1, groups=6, relu=true, relu_max=0.1)
b3 = conv(x, out=8, kernel=3, pad=1, relu=true, relu_max=0.02)
c1 = conv(x, out=20, kernel=3, stride=2, pad=1, activation=silu)
c2 = conv(x, out=6, kernel=3, pad=1, groups=6, activation=hardswish, layout=nhwc)
c3 = conv(x, out=8, kernel=3, pad=1, activation=sigmoid)
c4 = conv(x, out=9, kernel=1, activation=hardsigmoid, activation_alpha=0.16666667, activation_beta=0.5)
c5 = conv(x, out=7, kernel=3, output_maxpool=2, output_maxpool_stride=2, activation=silu)
c6 = conv(x, out=10, kernel=3, pad=1, reduce=4, reduce_relu=true, activation=hardswish)
o2 = conv(c2, out=4, kernel=1)
output b1
output b2
output b3
output c1
output o2
output c3
output c4
output c5
output c6
)", [](const Node &node, Schedule &s) {
    if (node.name == "b3" || node.name == "c3") CHECK(s.winograd != 0);  // the Winograd epilogue too
  });
}

TEST_CASE("conv with a residual operand: direct, Winograd, depthwise, fused reduce and input pool, either layout on each side") {
  checkKernels(R"(network r batch=2
x  = input(shape=6x9x7)
r  = conv(x, out=8, kernel=1)
rn = conv(x, out=8, kernel=1, layout=nhwc)
rs = conv(x, out=8, kernel=1, stride=2, layout=nhwc)
c1 = conv(x, r, out=8, kernel=3, pad=1, relu=true)
c2 = conv(x, rn, out=8, kernel=3, pad=1, relu=true, layout=nhwc)
c3 = conv(x, x, out=6, kernel=3, pad=1, groups=6, layout=nhwc)
c4 = conv(x, rn, out=8, kernel=3, pad=1, reduce=4, activation=silu)
c5 = conv(x, r, out=8, kernel=3, pad=1, input_maxpool=3, relu=true, relu_max=0.5)
c6 = conv(x, rs, out=8, kernel=3, stride=2, pad=1)
o2 = conv(c2, out=4, kernel=1)
o3 = conv(c3, out=4, kernel=1)
output c1
output o2
output o3
output c4
output c5
output c6
)", [](const Node &node, Schedule &s) {
    if (node.name == "c1") s.winograd = 2;  // the Winograd epilogue reads the residual too
    if (node.name == "c2") s.winograd = 0;
  });
}

TEST_CASE("unary functions: activations, exp and friends, clip's bounds") {
  checkKernels(R"(network u batch=2
x  = input(shape=3x5x4)
p  = relu(x)
u1 = unary(x, fn=sigmoid)
u2 = unary(x, fn=tanh)
u3 = unary(x, fn=exp)
u4 = unary(p, fn=log)
u5 = unary(p, fn=sqrt)
u6 = unary(x, fn=neg)
u7 = unary(x, fn=abs)
u8 = unary(x, fn=erf)
u9 = unary(x, fn=clip, lo=-0.25, hi=0.5)
ua = unary(x, fn=leakyrelu, alpha=0.1)
ub = unary(x, fn=hardsigmoid, alpha=0.2, beta=0.5)
uc = unary(x, fn=hardswish)
ud = unary(x, fn=clip, hi=0.25)
c  = concat(u1, u2, u3, u4, u5, u6, u7, u8, u9, ua, ub, uc, ud)
output c
)");
}

TEST_CASE("infinities and NaN through unary, binary and softmax kernels: the reference's (IEEE's) answers") {
  // Halide's exp, log, erf and pow mishandle these (exp(+inf) was 0, so sigmoid(-inf) was 1).
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  // 23 values: past a whole vector, so the tail's scalar code meets them too. x ^ y pairs include
  // C's special cases: a zero or infinite base of either sign, odd or fractional exponents.
  Tensor x(Dims{1, 23}), y(Dims{1, 23}), mask(Dims{1, 23});
  x.data = {inf, 2, 2, -2, -2, 0, 0, -1, -inf, nan, 1, 1, 0.5f, 100, -100, -8, inf, -inf, nan, -0.0f, -inf, -inf, -2};
  y.data = {2, inf, -inf, 2, 0.5f, -1, 0, inf, 3, 1, nan, inf, -inf, 1 / 3.0f, 0, 3, -1, 2, 1, -1, 0.5f, -0.5f, inf};
  // Softmax's masks: -inf scores get no weight. (Where a NaN goes through a max, and so through
  // softmax's peak, is not promised: vmaxps returns its second operand.)
  mask.data = {-inf, 1, 2, -inf, 0, -3, -inf, 4, 1, 1, -inf, 2, 0, 0, -1, -inf, 3, -inf, 0, 5, -inf, 1, 2};
  auto sameValues = [](const std::vector<float> &got, const std::vector<float> &want) {
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("element " << i << ": " << got[i] << " against " << want[i]);
      if (std::isnan(want[i]) || std::isinf(want[i])) CHECK((std::isnan(got[i]) ? std::isnan(want[i]) : got[i] == want[i]));
      else CHECK(std::fabs(got[i] - want[i]) <= 1e-5f * std::max(1.0f, std::fabs(want[i])));
    }
  };
  checkKernelsOn(R"(network s
x  = input(shape=23)
y  = input(shape=23)
u1 = unary(x, fn=sigmoid)
u2 = unary(x, fn=exp)
u3 = unary(x, fn=log)
u4 = unary(x, fn=erf)
u5 = unary(x, fn=tanh)
u6 = unary(x, fn=sqrt)
b1 = binary(x, y, fn=pow)
b2 = binary(x, y, fn=max)
b3 = binary(y, x, fn=min)
m  = input(shape=23)
s1 = softmax(m)
s2 = softmax(m, log=true)
output u1
output u2
output u3
output u4
output u5
output u6
output b1
output b2
output b3
output s1
output s2
)",
                 {{"x", x}, {"y", y}, {"m", mask}}, {}, sameValues);
}

TEST_CASE("reduce: a spatial mean, channels, every axis after the batch, kept or dropped, batch 2") {
  const char *model = R"(network r batch=2
x  = input(shape=19x5x3)
v  = input(shape=7x3)
w  = input(shape=6x7x7)
r1 = reduce(x, fn=mean, axes=2x3, keepdims=false)
r6 = reduce(w, fn=mean, axes=2x3)
r7 = reduce(w, fn=max, axes=2x3, keepdims=false)
r2 = reduce(x, fn=max, axes=1)
r3 = reduce(x, fn=sum, axes=1x2x3)
r4 = reduce(x, fn=mean, axes=3)
r5 = reduce(v, fn=max, axes=2, keepdims=false)
output r1
output r2
output r3
output r4
output r5
output r6
output r7
)";
  // Trailing axes of at least a vector (r3, r6, r7) run along the values in vectors, with a tail.
  checkKernels(model);
  checkKernels(model, [](Schedule &s) { s.vector = 4, s.parallel = false; });
}

TEST_CASE("prelu: a slope per channel, ranks 2 to 4, batch 2") {
  const std::string model = R"(network pr batch=2
x  = input(shape=19x5x3)
v  = input(shape=7x3)
f  = input(shape=21)
a  = prelu(x)
b  = prelu(v)
c  = prelu(f)
output a
output b
output c
)";
  checkKernels(model);
  checkKernelsOnGpu(model);
}

TEST_CASE("index remappings: transpose (a channel shuffle of rank 5, channels last and back, rank 3) and expand (axes inner and outer, vector tails), batch 2") {
  const std::string model = R"(network t batch=2
x  = input(shape=6x5x3)
g  = reshape(x, shape=2x3x5x3)
s  = transpose(g, perm=0x2x1x3x4)
f  = reshape(s, shape=6x5x3)
l  = transpose(x, perm=0x2x3x1)
b  = transpose(l, perm=0x3x1x2)
v  = reshape(x, shape=6x15)
t  = transpose(v, perm=0x2x1)
y  = input(shape=3x1x5)
z  = input(shape=1x4x1)
w  = input(shape=19x1)
e1 = expand(y, shape=3x7x5)
e2 = expand(z, shape=6x4x21)
e3 = expand(w, shape=19x33)
e4 = expand(e3, shape=19x33)
output f
output l
output b
output t
output e1
output e2
output e3
output e4
)";
  checkKernels(model);
  checkKernelsOnGpu(model);
}

TEST_CASE("conv_transpose: strides 1 to 3, cropping pads, output padding, dilation, groups, no bias, rows one past a vector, batch 2") {
  const std::string model = R"(network ct batch=2
x  = input(shape=4x5x7)
a  = conv_transpose(x, out=6, kernel=3, stride=2, pad=1)
b  = conv_transpose(x, out=4, kernel=2x3, stride=2x3, pad=0x1x1x0, output_padding=1x2, groups=2, bias=false)
c  = conv_transpose(x, out=3, kernel=3, dilation=2)
d  = conv_transpose(x, out=20, kernel=4, stride=2, pad=1)
e  = conv_transpose(x, out=4, kernel=1, groups=4)
w  = input(shape=6x3x8)
f  = conv_transpose(w, out=4, kernel=3, stride=2)  # rows of 17: all 0 when the accumulator's tail was guarded
output f
output a
output b
output c
output d
output e
)";
  checkKernels(model);
  checkKernelsOnGpu(model);
}

TEST_CASE("binary ops stored channels-last: a squeeze-and-excitation gate of either layout, two maps, channels past the vector, batch 2") {
  const char *text = R"(network se batch=2
x  = input(shape=20x5x7)
dw = conv(x, out=20, kernel=3, pad=1, groups=20, layout=nhwc)
p  = avgpool(dw, kernel=5x7, layout=nhwc)
gc = conv(p, out=20, kernel=1)
g  = unary(gc, fn=sigmoid)
gn = conv(p, out=20, kernel=1, layout=nhwc)
s1 = binary(dw, g, fn=mul, layout=nhwc)
s2 = binary(gn, s1, fn=sub, layout=nhwc)
s3 = binary(s2, dw, fn=max, layout=nhwc)
o  = conv(s3, out=3, kernel=1)
output o
)";
  checkKernels(text);
  checkKernels(text, [](Schedule &s) { s.parallel = false; });
}

TEST_CASE("binary functions of two computed values, broadcast either way, batch 2") {
  checkKernels(R"(network b batch=2
x  = input(shape=3x5x4)
y  = input(shape=3x1x4)
z  = input(shape=1x5x1)
a1 = binary(x, y, fn=add)
a2 = binary(z, x, fn=sub)
a3 = binary(x, x, fn=mul)
a4 = binary(y, z, fn=div)
r  = relu(x)
e  = add(y, operand=1)
a5 = binary(r, e, fn=pow)
a6 = binary(x, y, fn=max)
a7 = binary(z, x, fn=min)
output a1
output a2
output a3
output a4
output a5
output a6
output a7
)");
}

/// `text` after elementwise-fusion, printed: its chains are kernels with nodes inlined.
std::string withChainsFused(const std::string &text, size_t inlined) {
  Graph g = test::parse(text);
  PassOptions o;
  o.pipeline = {"elementwise-fusion"};
  o.verifyEach = true;
  runPasses(g, o);
  size_t marked = 0;
  for (const auto &n : g.nodes()) marked += isInlined(*n);
  CHECK(marked == inlined);
  return printGraph(g);
}

TEST_CASE("elementwise chains in one kernel: every composable op, broadcast leaves and constants, slices, vector tails, ranks 2 to 5, batch 2") {
  checkKernels(withChainsFused(R"(network chains batch=2
x  = input(shape=3x5x19)
g  = input(shape=3x1x1)
w  = input(shape=6x5x19)
s  = unary(x, fn=sigmoid)
m  = binary(x, s, fn=mul)
a  = add(m, operand=5x1)
d  = div(a, operand=19, operand_first=true)
p  = prelu(d)
r  = relu(p)
gt = binary(r, g, fn=mul)
e  = unary(gt, fn=hardswish)
cp = unary(e, fn=clip, lo=-0.5, hi=0.75)
sl = slice(w, begin=2, end=5)
pw = binary(sl, cp, fn=pow)
mx = binary(pw, cp, fn=max)
out1 = sub(mx, operand=3x5x19)
v  = input(shape=7)
v1 = unary(v, fn=neg)
v2 = prelu(v1)
v3 = mul(v2, operand=7)
f  = input(shape=2x3x4x17)
f1 = unary(f, fn=tanh)
f2 = unary(f, fn=erf)
f3 = binary(f1, f2, fn=min)
f4 = unary(f3, fn=leakyrelu, alpha=0.3)
h  = input(shape=8x3x5)
hs = slice(h, begin=2, end=6)
h1 = unary(hs, fn=exp)
h2 = mul(h1, operand=1)
h3 = binary(h2, hs, fn=sub)
output out1
output v3
output f4
output h3
)", 17));
}

TEST_CASE("GPU elementwise ops, chains of them, reductions and copies (OpenCL): broadcasts, ranks 1 to 4, batch 2") {
  checkKernelsOnGpu(withChainsFused(R"(network chains batch=2
x  = input(shape=3x5x70)
g  = input(shape=3x1x1)
s  = unary(x, fn=sigmoid)
m  = binary(x, s, fn=mul)
a  = add(m, operand=5x1)
r  = relu(a)
gt = binary(r, g, fn=mul)
e  = unary(gt, fn=hardswish)
out1 = sub(e, operand=3x5x70)
v  = input(shape=7)
v1 = unary(v, fn=neg)
v3 = mul(v1, operand=7)
output out1
output v3
)", 7));
  checkKernelsOnGpu(R"(network single batch=2
x  = input(shape=3x5x70)
y  = input(shape=1x5x1)
b  = binary(x, y, fn=div)
u  = unary(b, fn=tanh)
r  = relu(u)
m  = reduce(r, fn=mean, axes=2x3)
k  = reduce(x, fn=max, axes=1, keepdims=false)
c  = copy(x)
output r
output m
output k
output c
)");
}

TEST_CASE("a chain that broadcasts nothing reads each sample as one row: one kernel serves every batch") {
  auto chainAt = [](int batch, const char *other) {  // the kernel's output view and text
    Graph g = test::parse(fmt::format("network n batch={}\nx = input(shape=3x7x7)\ny = input(shape={})\na = unary(x, fn=sigmoid, inline=true)\n"
                                      "b = binary(a, y, fn=mul)\noutput b\n", batch, other));
    std::vector<Kernel> kernels = kernelsOf(g, 16);
    REQUIRE(kernels.size() == 1);
    return std::make_pair(kernels[0].outputView, kernels[0].canonical());
  };
  auto rows = chainAt(1, "3x7x7");
  CHECK(rows.first.extent == std::vector<int32_t>{147, 1});
  CHECK(rows.first.batchLast);
  CHECK(rows.second == chainAt(3, "3x7x7").second);
  auto axes = chainAt(1, "3x1x1");  // a gate per channel: every axis, the batch fixed with them
  CHECK(axes.first.extent == std::vector<int32_t>{7, 7, 3, 1});
  CHECK(axes.second != chainAt(3, "3x1x1").second);
}

TEST_CASE("inline=true where no kernel computes the node is a user error") {
  for (const char *reader : {"conv(r, out=2, kernel=1)", "binary(r, r, fn=add)\nz = relu(r)", "binary(r, y, fn=add)"}) {
    Graph g = test::parse(std::string("x = input(shape=2x1x3)\ny = input(shape=2x3x3)\nr = relu(x, inline=true)\nq = ") + reader + "\noutput q\n");
    std::string error = test::userErrorOf([&] { kernelsOf(g, 16); });
    INFO(error);
    CHECK_MENTIONS(error, "inline=true, but ");
    CHECK_MENTIONS(error, "set inline=false");
  }
  Graph out = test::parse("x = input(shape=4)\nr = relu(x, inline=true)\noutput r\n");
  CHECK_MENTIONS(test::userErrorOf([&] { kernelsOf(out, 16); }), "it is a graph output, unread, or read by several nodes");
}

TEST_CASE("in_place=true on an interleaving concat whose inputs cannot space their channels out is a user error") {
  const std::string net = "x = input(shape=4x5x5)\na = relu(x)\nb = conv(x, out=4, kernel=1)\nc = concat(a, b, interleave=true, in_place=true)\n"
                          "y = conv(c, out=2, kernel=1)\noutput y\n";
  Graph relus = test::parse(net);
  std::string error = test::userErrorOf([&] { kernelsOf(relus, 16); });
  CHECK_MENTIONS(error, "writes into the interleaving in-place concat 'c', which only N,C,H,W conv, pool, lrn and copy values can");
  CHECK_MENTIONS(error, "drop in_place=true there");
  Graph convs = test::parse(std::string(net).replace(net.find("a = relu(x)"), 11, "a = conv(x, out=4, kernel=3, pad=1)"));
  CHECK(kernelsOf(convs, 16).size() == 3);  // a and b write into c; y reads it
}

TEST_CASE("a chain's kernel text says which node reads which: the same ops in another order are another kernel") {
  auto canonicalOf = [](const char *first, const char *second) {
    Graph g = test::parse(std::string("x = input(shape=4x4)\ny = input(shape=4x4)\na = unary(x, fn=neg, inline=true)\nb = binary(") + first + ", " + second +
                          ", fn=sub)\noutput b\n");
    std::vector<Kernel> kernels = kernelsOf(g, 16);
    REQUIRE(kernels.size() == 1);
    CHECK(kernels[0].inlined.size() == 1);
    return kernels[0].canonical();
  };
  std::string ay = canonicalOf("a", "y"), ya = canonicalOf("y", "a");
  CHECK(ay != ya);
  CHECK_MENTIONS(ay, "t0=[unary fn=neg inline=true(in0)] of(t0,in1)");
  CHECK_MENTIONS(ya, "t0=[unary fn=neg inline=true(in1)] of(in0,t0)");
}

TEST_CASE("concat (plain and interleaved), softmax and log-softmax along every axis") {
  const std::string model = R"(network k batch=2
x  = input(shape=3x5x4)
y  = input(shape=3x5x2)
c0 = concat(x, x, axis=0)
c2 = concat(x, x, axis=2)
c3 = concat(x, y, axis=3)
i1 = concat(x, x, x, interleave=true)
i3 = concat(x, x, axis=3, interleave=true)
s0 = softmax(x, axis=0)
s2 = softmax(x, axis=2)
s3 = softmax(c3, axis=3)
l1 = softmax(x, axis=1, log=true)
l3 = softmax(c3, axis=3, log=true)
output c0
output c2
output i1
output i3
output s0
output s2
output s3
output l1
output l3
)";
  checkKernels(model);
  checkKernelsOnGpu(model);
}

TEST_CASE("schedules print and parse back; bad ones are errors") {
  Schedule s;
  s.vector = 8;
  s.tileChannels = 3;
  s.tileWidth = 4;
  s.parallel = false;
  s.winograd = 4;
  CHECK(s.print() == "vector=8 tile_c=3 tile_x=4 chunk_i=32 block_tasks=false parallel=false winograd=4");
  CHECK(Schedule::parse(s.print()) == s);
  CHECK(test::userErrorOf([] { Schedule::parse("vector=0"); }).find("vector must be an integer in 1..64") != std::string::npos);
  CHECK(test::userErrorOf([] { Schedule::parse("tile=3"); }).find("unknown field 'tile'") != std::string::npos);
  CHECK(test::userErrorOf([] { Schedule::parse("winograd=yes"); }).find("winograd must be 0 (the direct conv), 2 or 4") != std::string::npos);
  CHECK(test::userErrorOf([] { Schedule::parse("winograd=3"); }).find("not '3'") != std::string::npos);
  // An autoscheduler is printed only when named; "none" reads back as ours.
  s.winograd = 0, s.autoscheduler = "Mullapudi2016";
  CHECK(s.print() == "vector=8 tile_c=3 tile_x=4 chunk_i=32 block_tasks=false parallel=false winograd=0 autoscheduler=Mullapudi2016");
  CHECK(Schedule::parse(s.print()) == s);
  CHECK(Schedule::parse("autoscheduler=none").autoscheduler.empty());
  // A GPU kernel's schedule prints its gpu_ fields, and a text naming one reads back as a GPU schedule.
  Schedule gpu;
  gpu.gpu = true, gpu.tileWidth = 1, gpu.gpuChannels = 16, gpu.gpuRowThreads = 4, gpu.gpuPixels = 2, gpu.gpuSharedInput = true;
  CHECK(gpu.print() == "vector=16 tile_c=2 tile_x=1 chunk_i=32 block_tasks=false parallel=true winograd=0 gpu_c=16 gpu_tx=4 gpu_x=2 gpu_shared=true");
  CHECK(Schedule::parse(gpu.print()) == gpu);
  CHECK(Schedule::parse(gpu.print()).gpu);
  CHECK_FALSE(Schedule::parse("vector=8").gpu);
  CHECK(test::userErrorOf([] { Schedule::parse("gpu_c=2000"); }).find("gpu_c must be an integer in 1..1024") != std::string::npos);
  CHECK(test::userErrorOf([] { Schedule::parse("gpu_x=17"); }).find("gpu_x must be an integer in 1..16") != std::string::npos);
}

TEST_CASE("GPU schedules: defaults fit the layer's thread blocks; what scheduleProblem refuses, beside what it accepts") {
  Graph g = test::parse(R"(x = input(shape=40x9x9)
wide = conv(x, out=64, kernel=3, pad=1)
narrow = conv(x, out=8, kernel=1)
p = maxpool(wide, kernel=2)
output p
output narrow
)");
  const Node &wide = *g.find("wide"), &narrow = *g.find("narrow"), &pool = *g.find("p");
  KernelTarget gpu(16, true);
  // 9-pixel rows: 3 threads of 4 pixels; 8 output channels: 8 channel threads. Others: 64 threads along x.
  // Direct, where a CPU's default is Winograd.
  CHECK(defaultSchedule(wide, 16).winograd != 0);
  CHECK(defaultSchedule(wide, gpu).print() == "vector=16 tile_c=2 tile_x=1 chunk_i=32 block_tasks=false parallel=true winograd=0 gpu_c=32 gpu_tx=3 gpu_x=4 gpu_shared=false");
  CHECK(defaultSchedule(narrow, gpu).gpuChannels == 8);
  CHECK(defaultSchedule(pool, gpu).print().find("gpu_c=1 gpu_tx=64 gpu_x=1 gpu_shared=false") != std::string::npos);
  Schedule ok = defaultSchedule(wide, gpu), s = ok;
  CHECK(scheduleProblem(wide, ok) == "");
  auto refused = [&](const std::function<void(Schedule &)> &change, const char *why) {
    Schedule bad = ok;
    change(bad);
    CHECK_MENTIONS(scheduleProblem(wide, bad), why);
  };
  refused([](Schedule &b) { b.winograd = 2; }, "winograd=2 on a GPU runs a thread per 2x2 output tile: gpu_x=1 gpu_shared=false");
  refused([](Schedule &b) { b.autoscheduler = "Li2018", b.tileWidth = 1; }, "Halide's autoschedulers schedule CPU kernels only here");
  refused([](Schedule &b) { b.tileWidth = 3; }, "no CPU register tile along x or tasks");
  refused([](Schedule &b) { b.gpuChannels = 64, b.gpuRowThreads = 32; }, "2048 threads a block; CUDA launches 1024 at most");
  refused([](Schedule &b) { b.chunkInputs = 8; }, "chunk_i=32 without it");
  refused([](Schedule &b) { b.gpuSharedInput = true, b.chunkInputs = 16; }, "chunk_i=16 must divide the 40 input channels");
  refused([](Schedule &b) { b.gpuSharedInput = true, b.chunkInputs = 40, b.gpuChannels = 8, b.gpuRowThreads = 64; }, "over the 49152 of shared memory");
  s.winograd = 2, s.gpuPixels = 1;
  CHECK(scheduleProblem(wide, s) == "");
  s = ok;
  s.gpuSharedInput = true, s.chunkInputs = 8;  // 8 of 40 channels, 3 rows of 14 columns: 1344 bytes
  CHECK(scheduleProblem(wide, s) == "");
  CHECK(gpuStagedInputBytes(wide, s) == 8 * 3 * 14 * 4);
  Schedule poolGpu = defaultSchedule(pool, gpu);
  CHECK(scheduleProblem(pool, poolGpu) == "");
  poolGpu.gpuChannels = 2;
  CHECK_MENTIONS(scheduleProblem(pool, poolGpu), "maxpool runs a GPU thread per output element: gpu_c=1 gpu_x=1 gpu_shared=false");
  Schedule cpu = defaultSchedule(wide, 16);  // a CPU kernel takes no gpu_ field
  CHECK(scheduleProblem(wide, cpu) == "");
  cpu.gpuPixels = 2;
  CHECK_MENTIONS(scheduleProblem(wide, cpu), "are for GPU targets; this build is for a CPU");
}

TEST_CASE("default schedules follow the target's vector width and the layer's width") {
  Graph g = test::parse("x = input(shape=8x8x8)\nwide = conv(x, out=64, kernel=3)\nnarrow = conv(x, out=8, kernel=1)\noutput wide\noutput narrow\n");
  Schedule avx512 = defaultSchedule(*g.find("wide"), 16), avx2 = defaultSchedule(*g.find("wide"), 8);
  CHECK(avx512.print() == "vector=16 tile_c=2 tile_x=6 chunk_i=32 block_tasks=false parallel=true winograd=0");  // 6-pixel rows
  CHECK(avx2.print() == "vector=8 tile_c=2 tile_x=3 chunk_i=32 block_tasks=false parallel=true winograd=0");
  CHECK(defaultSchedule(*g.find("narrow"), 16).tileChannels == 1);
  // Winograd on AVX2: 4 tiles of MxM outputs (2 or 8 spill), on AVX-512 the direct conv's width.
  Graph w = test::parse("x = input(shape=32x14x14)\ny = conv(x, out=64, kernel=3, pad=1)\noutput y\n");
  CHECK(defaultSchedule(*w.find("y"), 8).print() == "vector=8 tile_c=2 tile_x=4 chunk_i=32 block_tasks=true parallel=true winograd=4");
  CHECK(defaultSchedule(*w.find("y"), 16).print() == "vector=16 tile_c=2 tile_x=7 chunk_i=32 block_tasks=true parallel=true winograd=4");
}

TEST_CASE("default tasks of a direct conv on a small map: channel blocks where the weights are large and the blocks many, or in a branch lane") {
  Graph g = test::parse(R"(x = input(shape=320x7x7)
large = conv(x, out=512, kernel=1, layout=nhwc)
few   = conv(x, out=192, kernel=3, pad=1, stride=2, layout=nhwc)
small = conv(x, out=512, kernel=1, groups=4, layout=nhwc)
tall  = conv(large, out=512, kernel=1, layout=nhwc)
output tall
output few
output small
)");
  CHECK(defaultSchedule(*g.find("large"), 16).blockTasks);   // 640 KiB of weights, 16 blocks
  CHECK_FALSE(defaultSchedule(*g.find("few"), 16).blockTasks);    // 2.1 MiB, but 6 blocks for 2+ threads
  CHECK_FALSE(defaultSchedule(*g.find("small"), 16).blockTasks);  // 160 KiB: every row reads them from cache
  CHECK(defaultSchedule(*g.find("small"), 16, true).blockTasks);  // on about one thread: block order
  CHECK(defaultSchedule(*g.find("few"), 16, true).blockTasks);
  // A module's branch lanes get it from kernelsOf.
  Graph m = test::parse(R"(x = input(shape=32x7x7)
a = conv(x, out=16, kernel=1)
b = conv(x, out=16, kernel=1)
k = concat(a, b, branches=concurrent)
output k
)");
  for (const Kernel &k : kernelsOf(m, 16))
    if (k.node->op == OpKind::Conv) CHECK((k.lane > 0 && k.schedule.blockTasks));
  Graph serial = test::parse("x = input(shape=32x7x7)\na = conv(x, out=16, kernel=1)\nb = conv(x, out=16, kernel=1)\nk = concat(a, b)\noutput k\n");
  for (const Kernel &k : kernelsOf(serial, 16))
    if (k.node->op == OpKind::Conv) CHECK_FALSE(k.schedule.blockTasks);
}

TEST_CASE("the arena plan: a pointwise kernel overwrites its input only where no other operand reads other bytes of it") {
  auto overwrites = [](const char *second) {  // b = binary(r, second): does b take r's bytes?
    Graph g = test::parse(std::string("x = input(shape=4x3x3)\nr = relu(x)\ns = slice(r, begin=1, end=2)\nb = binary(r, ") + second +
                          ", fn=add)\ny = fc(b, out=2)\noutput y\n");
    std::vector<Kernel> kernels = kernelsOf(g, 16);
    ArenaPlan plan = planArena(g, kernels);
    return plan.placement.at(g.find("b")).offset == plan.placement.at(g.find("r")).offset;
  };
  CHECK(overwrites("r"));       // r + r: each element read where it is written
  CHECK_FALSE(overwrites("s"));  // r + r's channel 1 broadcast: channel 1 is read after channel 0 was written
  // A squeeze-and-excitation's scale: the broadcast operand comes first, r of the output's shape second.
  auto scaled = [](const char *after) {  // b = g * r: does b take r's bytes?
    Graph g = test::parse(std::string("x = input(shape=4x3x3)\nr = relu(x)\ng = avgpool(r, kernel=3)\nb = binary(g, r, fn=mul)\n") + after +
                          "y = fc(z, out=2)\noutput y\n");
    std::vector<Kernel> kernels = kernelsOf(g, 16);
    ArenaPlan plan = planArena(g, kernels);
    return plan.placement.at(g.find("b")).offset == plan.placement.at(g.find("r")).offset;
  };
  CHECK(scaled("z = relu(b)\n"));
  CHECK_FALSE(scaled("z = binary(b, r, fn=add)\n"));  // r is read again after b
}

TEST_CASE("a value read twice by its reader is inlined once: computed once, its constant packed once") {
  Graph g = test::parse("x = input(shape=3x5)\na = add(x, operand=5, inline=true)\nb = binary(a, a, fn=mul)\noutput b\n");
  std::vector<Kernel> kernels = kernelsOf(g, 16);
  REQUIRE(kernels.size() == 1);
  CHECK(kernels[0].inlined.size() == 1);
  CHECK(kernels[0].inputs.size() == 1);
  CHECK(kernels[0].params.size() == 1);
  CHECK_MENTIONS(kernels[0].canonical(), " of(t0,t0) ");
  checkKernels(printGraph(g));
}

TEST_CASE("the arena plan: values live at the same time never share bytes, aligned as the target asks, and reuse saves memory") {
  Graph g = loadModel(test::googlenetPath());
  PassOptions o;
  o.verifyEach = true;
  runPasses(g, o);
  std::vector<Kernel> kernels = kernelsOf(g, 16);
  // Steps in a group of lanes (branch-schedule) run at the same time: each stands for the whole group.
  std::vector<std::pair<size_t, size_t>> when(kernels.size());
  size_t lanes = 0;
  for (size_t s = 0; s < kernels.size(); ++s) {
    bool grouped = kernels[s].group > 0;
    lanes += grouped;
    size_t start = grouped && s > 0 && kernels[s - 1].group == kernels[s].group ? when[s - 1].first : s;
    for (size_t t = start; t <= s; ++t) when[t] = {start, s};
  }
  CHECK(lanes > 0);  // at batch 1 some modules run their branches side by side
  std::map<const Node *, std::pair<size_t, size_t>> life;  // first write, last read (or write) of each storage
  for (size_t s = 0; s < kernels.size(); ++s) {
    auto it = life.emplace(kernels[s].outputStorage, when[s]).first;
    it->second.second = std::max(it->second.second, when[s].second);
    for (const Node *in : kernels[s].inputs)
      if (life.count(in)) life[in].second = std::max(life[in].second, when[s].second);
  }
  for (int64_t alignment : {int64_t{64}, runtime::kGpuArenaAlignment}) {  // CPU targets, GPU targets
    CAPTURE(alignment);
    ArenaPlan plan = planArena(g, kernels, alignment);
    size_t arenaValues = 0, slices = 0;
    for (const Kernel &k : kernels) {
      if (k.outputStorage == k.node) continue;
      ++slices;  // inside its in-place concat
      const Placement &slice = plan.placement.at(k.node), &whole = plan.placement.at(k.outputStorage);
      CHECK(slice.offset >= whole.offset);
      CHECK(slice.offset + slice.bytes <= whole.offset + whole.bytes);
    }
    CHECK(slices == 9 * 4);  // every inception module's branches
    for (const auto &[a, pa] : plan.placement) {
      if (pa.storage != Storage::Arena || !life.count(a)) continue;
      ++arenaValues;
      CHECK(pa.offset % alignment == 0);
      CHECK(pa.offset + pa.bytes <= plan.arenaBytes);
      for (const auto &[b, pb] : plan.placement) {
        if (a == b || pb.storage != Storage::Arena || !life.count(b)) continue;
        bool together = life[a].first <= life[b].second && life[b].first <= life[a].second;
        bool overlap = pa.offset < pb.offset + pb.bytes && pb.offset < pa.offset + pa.bytes;
        std::string pair = a->name + " and " + b->name;  // clang: a lambda (INFO) cannot capture structured bindings
        INFO(pair);
        CHECK_FALSE((together && overlap));
      }
    }
    CHECK(arenaValues == life.size() - 1);  // every value but the output
    CHECK(plan.placement.at(g.find("data")).storage == Storage::Input);
    CHECK(plan.placement.at(g.find("prob")).storage == Storage::Output);
    CHECK(plan.arenaBytes * 2 < plan.totalBytes);  // fused and elided values have left already
  }
}

TEST_CASE("flatten and dropout are views of their input's storage") {
  Graph g = test::parse("x = input(shape=4x3x3)\nc = conv(x, out=2, kernel=1)\nf = flatten(c)\nd = dropout(f, ratio=0.5)\ny = fc(d, out=3)\noutput y\n");
  std::vector<Kernel> kernels = kernelsOf(g, 16);
  REQUIRE(kernels.size() == 2);
  CHECK(kernels[1].inputs[0] == g.find("c"));
  CHECK(kernels[1].inputViews[0].extent == std::vector<int32_t>{18, 1});
}

TEST_CASE("channel slices are read in place by every kernel that keeps batch and channels apart") {
  const char *text = R"(network s batch=2
x  = input(shape=6x7x5)
c  = conv(x, out=40, kernel=1, relu=true)
s1 = slice(c, begin=0, end=24)
s2 = slice(c, begin=24, end=40)
a  = conv(s1, out=8, kernel=3, pad=1)
b  = conv(s2, out=5, kernel=5, pad=2)
m  = maxpool(s2, kernel=3, stride=2)
f  = fc(s1, out=4)
k  = concat(s2, s1)
r  = relu(s2)
output a
output b
output m
output f
output k
output r
)";
  checkKernels(text);
  Graph g = test::parse(text);
  std::vector<Kernel> kernels = kernelsOf(g, 16);
  const Kernel &b = kernels[2];
  REQUIRE(b.node->name == "b");
  CHECK(b.inputs[0] == g.find("c"));
  CHECK(b.inputOffsets[0] == 24 * 7 * 5);
  CHECK(b.inputViews[0].extent == std::vector<int32_t>{5, 7, 16, 2});
  CHECK(b.inputViews[0].stride == std::vector<int64_t>{1, 5, 35, 40 * 35});
  CHECK(kernels[4].inputViews[0].stride == std::vector<int64_t>{1, 40 * 35});  // fc: one sample's channels are contiguous

  Graph whole = test::parse("x = input(shape=6x2x2)\nc = conv(x, out=4, kernel=1)\ns = slice(c, begin=1, end=3)\n"
                            "r = reshape(s, shape=8, whole=true)\ny = relu(r)\noutput y\n");
  CHECK(test::userErrorOf([&] { kernelsOf(whole, 16); }).find("reads a slice only directly") != std::string::npos);
  Graph ofAlias = test::parse("x = input(shape=6x2x2)\nc = conv(x, out=4, kernel=1)\nd = dropout(c, ratio=0.5)\n"
                              "s = slice(d, begin=1, end=3)\ny = relu(s)\noutput y\n");
  std::vector<Kernel> throughView = kernelsOf(ofAlias, 16);  // a plain view of c: the same storage
  CHECK(throughView[1].inputs[0] == ofAlias.find("c"));
  CHECK(throughView[1].inputOffsets[0] == 1 * 2 * 2);
  Graph ofSlice = test::parse("x = input(shape=6x2x2)\nc = conv(x, out=4, kernel=1)\ns = slice(c, begin=1, end=3)\n"
                              "f = flatten(s)\nt = slice(f, begin=1, end=3)\ny = relu(t)\noutput y\n");
  CHECK(test::userErrorOf([&] { kernelsOf(ofSlice, 16); }).find("slices a computed value or a plain view of one, not the flatten 'f'") !=
        std::string::npos);
}

TEST_CASE("channels-last values: every window kernel reads and writes N,H,W,C, and N,C,H,W at the edges") {
  const char *text = R"(network h batch=2
x  = input(shape=5x9x11)
c1 = conv(x, out=40, kernel=3, stride=2, pad=1, relu=true, layout=nhwc)
c2 = conv(c1, out=24, kernel=1, layout=nhwc)
c3 = conv(c2, out=17, kernel=5, pad=2, layout=nhwc)
s1 = slice(c1, begin=8, end=32)
c4 = conv(s1, out=33, kernel=3, pad=0x1x1x0, reduce=12, reduce_relu=true, layout=nhwc)
c5 = conv(c2, out=16, kernel=1, input_maxpool=3, layout=nhwc)
c6 = conv(c3, out=7, kernel=3)
m1 = maxpool(c4, kernel=3, stride=2, layout=nhwc)
m2 = maxpool(c5, kernel=3, stride=1, pad=1, layout=nhwc)
m3 = maxpool(c2, kernel=2, stride=2, pad=0x0x1x1, layout=nhwc)
m4 = maxpool(c2, kernel=2, dilation=2, layout=nhwc)
c10 = conv(m3, out=3, kernel=1)
c11 = conv(m4, out=3, kernel=1)
a1 = avgpool(c1, kernel=3, stride=2, pad=1, exclude_pad=true, layout=nhwc)
a2 = avgpool(m2, kernel=5x6)
l1 = lrn(c3, size=5, alpha=0.01, beta=0.75, layout=nhwc)
l2 = lrn(l1, size=3, alpha=1, beta=0.5, k=2)
r1 = relu(c2, layout=nhwc)
c9 = conv(r1, out=5, kernel=3, pad=1)
c7 = conv(m1, out=3, kernel=1)
c8 = conv(a1, out=6, kernel=2)
output c6
output c7
output c8
output a2
output l2
output c9
output c10
output c11
)";
  checkKernels(text);
  checkKernels(text, [](Schedule &s) { s.parallel = false, s.tileChannels = 1, s.tileWidth = 3, s.chunkInputs = 5, s.winograd = 0; });
  checkKernels(text, [](Schedule &s) { s.blockTasks = true; });

  Graph g = test::parse(text);
  std::vector<Kernel> kernels = kernelsOf(g, 16);
  const Kernel &c4 = kernels[3];
  REQUIRE(c4.node->name == "c4");
  CHECK(c4.inputOffsets[0] == 8);  // a slice of a channels-last value starts 8 floats in
  CHECK(c4.inputViews[0].stride == std::vector<int64_t>{40, 40 * 6, 1, 40 * 5 * 6});
  CHECK(kernels[0].inputViews[0].stride == std::vector<int64_t>{1, 11, 99, 5 * 99});  // the input stays N,C,H,W

  Graph fc = test::parse("x = input(shape=4x3x3)\nc = conv(x, out=8, kernel=1, layout=nhwc)\ny = fc(c, out=3)\noutput y\n");
  CHECK(test::userErrorOf([&] { kernelsOf(fc, 16); }).find("cannot read 'c', stored layout=nhwc") != std::string::npos);
  Graph relu = test::parse("x = input(shape=4x3x3)\nc = conv(x, out=8, kernel=1, layout=nhwc)\nr = relu(c)\n"
                           "y = conv(r, out=3, kernel=1)\noutput y\n");
  CHECK(test::userErrorOf([&] { kernelsOf(relu, 16); }).find("a relu keeps the layout of its input 'c'") != std::string::npos);
  Graph out = test::parse("x = input(shape=4x3x3)\nc = conv(x, out=8, kernel=1, layout=nhwc)\noutput c\n");
  CHECK(test::userErrorOf([&] { kernelsOf(out, 16); }).find("outputs are stored nchw") != std::string::npos);
  CHECK(test::userErrorOf([] { test::parse("x = input(shape=4x3x3)\nc = conv(x, out=8, kernel=1, layout=chw)\noutput c\n"); })
            .find("unknown layout 'chw'") != std::string::npos);
}

TEST_CASE("conv over its 1x1-reduced input (reduce-conv-fusion): padded, strided, uneven channels, batch 2") {
  const char *text = R"(network f batch=2
x = input(shape=20x9x9)
a = conv(x, out=24, kernel=3, pad=1, reduce=12, reduce_relu=true, relu=true)
b = conv(x, out=8, kernel=5, pad=2, reduce=5, reduce_relu=true, bias=false)
c = conv(x, out=40, kernel=3, stride=2, pad=0x0x1x1, reduce=17)
d = conv(x, out=7, kernel=1, reduce=33, reduce_relu=true)
output a
output b
output c
output d
)";
  checkKernels(text);
  checkKernels(text, [](Schedule &s) { s.parallel = false; });
  checkKernels(text, [](Schedule &s) { s.tileWidth = 4, s.tileChannels = 1, s.chunkInputs = 5; });
}

TEST_CASE("every schedule that scheduleProblem accepts computes what the reference computes") {
  // The tuner's search space: a sample of field combinations, each applied where it is a schedule
  // for the kernel (the rest keep their defaults), compiled and compared.
  const char *net = R"(network s batch=2
x = input(shape=5x9x11)
a = conv(x, out=20, kernel=3, pad=1, relu=true)
b = conv(a, out=7, kernel=3, stride=2)
c = conv(b, out=33, kernel=1)
output c
)";
  uint64_t state = 12345;
  auto pick = [&](std::initializer_list<int> options) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return *(options.begin() + (state >> 33) % options.size());
  };
  int applied = 0, refused = 0;
  for (int trial = 0; trial < 10; ++trial) {
    Schedule candidate;
    candidate.vector = pick({4, 8, 16});
    candidate.tileChannels = pick({1, 2, 3});
    candidate.tileWidth = pick({1, 2, 5, 11});
    candidate.chunkInputs = pick({1, 3, 32});
    candidate.blockTasks = pick({0, 1});
    candidate.parallel = pick({0, 1});
    candidate.winograd = pick({0, 2, 4});
    INFO("candidate " << candidate.print());
    checkKernels(net, [&](const Node &node, Schedule &s) {
      if (!scheduleProblem(node, candidate).empty()) return void(++refused);
      s = candidate;
      ++applied;
    });
  }
  CHECK(applied >= 8);
  CHECK(refused >= 8);
}

TEST_CASE("schedule files: what `deeper schedules` prints reads back; bad lines are errors where they stand") {
  Graph g = test::parse("network s\nx = input(shape=8x6x6)\na = conv(x, out=24, kernel=3, pad=1)\n"
                        "p = maxpool(a, kernel=2, stride=2)\nf = flatten(p)\n\"odd name\" = fc(f, out=10)\noutput \"odd name\"\n");
  std::string file = printScheduleFile(kernelsOf(g, 16));
  CHECK(file.find("\"odd name\": vector=16 tile_c=1") != std::string::npos);
  ScheduleChoices same = parseScheduleFile(file, "s.schedules");
  CHECK(printScheduleFile(kernelsOf(g, 16, &same)) == file);

  ScheduleChoices edited = parseScheduleFile("# by hand\na: vector=8 tile_c=1 tile_x=3 winograd=0  # direct\n\"odd name\": tile_c=1\n", "h.schedules");
  std::vector<Kernel> kernels = kernelsOf(g, 16, &edited);
  CHECK(kernels[0].schedule.print() == "vector=8 tile_c=1 tile_x=3 chunk_i=32 block_tasks=true parallel=true winograd=0");
  // blocks of one vector of 8 output channels (3 of them, where vectors of 16 would pad to 2 blocks),
  // each holding 8 input channels by 9 taps
  CHECK(kernels[0].params[0].view.extent == std::vector<int32_t>{8, 8, 9, 3});

  auto errorOf = [&](const std::string &text) {
    return test::userErrorOf([&] {
      ScheduleChoices c = parseScheduleFile(text, "bad.schedules");
      kernelsOf(g, 16, &c);
    });
  };
  const std::pair<const char *, const char *> bad[] = {
      {"a: tile_c=1\nzz: tile_c=1\n", "bad.schedules:2:1: error: the model has no kernel 'zz'"},
      {"f: vector=8\n", "bad.schedules:1:1: error: 'f' runs no kernel of its own"},
      {"a: tile_c=1\na: tile_x=2\n", "bad.schedules:2:1: error: 'a' has a schedule already"},
      {"a: tile_q=1\n", "bad.schedules:1:4: error: unknown field 'tile_q'"},
      {"a: tile_c=0\n", "bad.schedules:1:4: error: tile_c must be an integer in 1..64"},
      {"a: tile_c 2\n", "bad.schedules:1:4: error: expected FIELD=VALUE"},
      {"a tile_c=2\n", "bad.schedules:1:3: error: expected ':' after 'a'"},
      {"a: vector=12\n", "vector=12 is not a power of two"},
      {"a: tile_c=3\n", "tile_c=3 vectors of 16 is wider than the 24 output channels: tile_c at most 2"},
      {"a: winograd=0 tile_x=7\n", "tile_x=7 is wider than the output row of 6 pixels"},
      {"a: chunk_i=64\n", "winograd=2 has no input chunks: chunk_i=32"},
      {"p: tile_x=2\n", "maxpool has no register tile along x"},
      {"\"odd name\": winograd=4\n", "winograd=2 or 4 needs a 3x3 or 5x5 conv with stride 1"},
      {"p: tile_c=2\n", "note: its default is: vector=16 tile_c=1"},
      {"p: tile_x=1 autoscheduler=Adams2019\n", "autoscheduler=Adams2019: Halide's autoschedulers schedule convs only here"},
      {"a: autoscheduler=Li2018\n", "autoscheduler=Li2018 chooses the tiles and tasks of the direct conv itself: tile_x=1"},
      {"a: autoscheduler=Halide\n", "autoscheduler must be none, Mullapudi2016, Adams2019, Li2018, not 'Halide'"},
  };
  for (auto [text, message] : bad) CHECK_MENTIONS(errorOf(text), message);
}
