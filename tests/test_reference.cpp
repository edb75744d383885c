// Reference kernels against values worked out by hand, and the executor's checks.
#include "TestUtil.h"
#include "ir/OpParams.h"
#include "reference/Executor.h"
#include "reference/Kernels.h"
#include "reference/Weights.h"

#include <doctest/doctest.h>

#include <numeric>

using namespace deeper;
using namespace deeper::reference;

namespace {

Tensor iota(Dims shape, float start = 1) {
  Tensor t(std::move(shape));
  std::iota(t.data.begin(), t.data.end(), start);
  return t;
}

Tensor filled(Dims shape, std::vector<float> values) {
  Tensor t(std::move(shape));
  REQUIRE(values.size() == t.data.size());
  t.data = std::move(values);
  return t;
}

void checkValues(const Tensor &t, const Dims &shape, const std::vector<float> &want) {
  CHECK(t.shape == shape);
  REQUIRE(t.data.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(t.data[i] == doctest::Approx(want[i]).epsilon(1e-6));
}

Window2d square(int64_t k, int64_t s, int64_t p) { return Window2d{k, k, s, s, p, p, p, p}; }

}  // namespace

TEST_CASE("conv2d: bias, padding, stride, relu") {
  Tensor x = iota({1, 1, 3, 3});  // 1..9
  Tensor w = filled({1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor b = filled({1}, {0.5f});
  checkValues(conv2d(x, w, &b, ConvParams{1, square(2, 1, 0), true, false}), {1, 1, 2, 2}, {12.5f, 16.5f, 24.5f, 28.5f});
  checkValues(conv2d(x, w, nullptr, ConvParams{1, square(2, 2, 1), false, false}), {1, 1, 2, 2}, {1, 5, 11, 28});
  Tensor negative = filled({1}, {-20});
  checkValues(conv2d(x, w, &negative, ConvParams{1, square(2, 1, 0), true, true}), {1, 1, 2, 2}, {0, 0, 4, 8});
}

TEST_CASE("conv2d and maxPool2d: dilated taps") {
  Tensor x = iota({1, 1, 3, 3});  // 1..9
  ConvParams p{1, square(2, 1, 0), false, false};
  p.win.dh = p.win.dw = 2;  // taps at the four corners
  checkValues(conv2d(x, filled({1, 1, 2, 2}, {1, 1, 1, 1}), nullptr, p), {1, 1, 1, 1}, {1 + 3 + 7 + 9});
  PoolParams m{square(2, 1, 0), true, false};
  m.win.dh = m.win.dw = 2;
  checkValues(maxPool2d(filled({1, 1, 3, 3}, {9, 0, 1, 0, 0, 0, 2, 0, 3}), m), {1, 1, 1, 1}, {9});
}

TEST_CASE("conv2d: several channels, batch > 1") {
  Tensor x = iota({2, 2, 1, 1});  // n0: [1,2], n1: [3,4]
  Tensor w = filled({3, 2, 1, 1}, {1, 0, 0, 1, 1, 1});
  checkValues(conv2d(x, w, nullptr, ConvParams{3, square(1, 1, 0), false, false}), {2, 3, 1, 1}, {1, 2, 3, 3, 4, 7});
}

TEST_CASE("ceil-mode output sizes follow Caffe") {
  CHECK(windowOutputSize(112, 3, 2, 0, 0, true) == 56);  // pool1 of GoogLeNet
  CHECK(windowOutputSize(112, 3, 2, 0, 0, false) == 55);
  CHECK(windowOutputSize(14, 5, 3, 0, 0, true) == 4);    // the auxiliary classifiers' pool
  CHECK(windowOutputSize(224, 7, 2, 3, 3, false) == 112);
  CHECK(windowOutputSize(4, 4, 3, 2, 2, true) == 2);     // the last window would start in the right padding
  CHECK(windowOutputSize(10, 1, 2, 0, 0, true) == 5);    // ... or past the input: empty, a -inf (NaN after a conv) before
}

TEST_CASE("maxPool2d: ceil-mode tails are clipped windows") {
  Tensor x = iota({1, 1, 4, 4}, 0);
  checkValues(maxPool2d(x, PoolParams{square(3, 2, 0), true, false}), {1, 1, 2, 2}, {10, 11, 14, 15});
  checkValues(maxPool2d(x, PoolParams{square(3, 2, 0), false, false}), {1, 1, 1, 1}, {10});
  Tensor neg = filled({1, 1, 2, 2}, {-4, -3, -2, -1});
  checkValues(maxPool2d(neg, PoolParams{square(3, 1, 1), true, false}), {1, 1, 2, 2}, {-1, -1, -1, -1});  // padding never wins
}

TEST_CASE("avgPool2d: the divisor is the window clipped to the padded input") {
  Tensor ones = filled({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  checkValues(avgPool2d(ones, PoolParams{square(3, 1, 1), true, false}), {1, 1, 3, 3},
              {4 / 9.f, 6 / 9.f, 4 / 9.f, 6 / 9.f, 1, 6 / 9.f, 4 / 9.f, 6 / 9.f, 4 / 9.f});
  Tensor ones4 = filled({1, 1, 4, 4}, std::vector<float>(16, 1.0f));
  checkValues(avgPool2d(ones4, PoolParams{square(3, 2, 0), true, false}), {1, 1, 2, 2}, {1, 1, 1, 1});
  checkValues(avgPool2d(iota({1, 1, 2, 2}), PoolParams{square(2, 1, 0), true, false}), {1, 1, 1, 1}, {2.5f});
  checkValues(avgPool2d(ones, PoolParams{square(3, 1, 1), true, /*excludePad=*/true}), {1, 1, 3, 3},
              {1, 1, 1, 1, 1, 1, 1, 1, 1});  // only input values count
}

TEST_CASE("lrn across channels, Caffe's formula") {
  Tensor x = filled({1, 3, 1, 1}, {1, 2, 3});
  checkValues(lrn(x, LrnParams{3, 3.0, 1.0, 1.0}), {1, 3, 1, 1}, {1 / 6.f, 2 / 15.f, 3 / 14.f});
  Tensor y = lrn(filled({1, 1, 1, 1}, {2}), LrnParams{5, 1e-4, 0.75, 1.0});
  CHECK(y.data[0] == doctest::Approx(2 / std::pow(1 + 1e-4 / 5 * 4, 0.75)));
}

TEST_CASE("batchNorm per channel") {
  Tensor x = filled({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor scale = filled({2}, {2, 1}), bias = filled({2}, {0, 1}), mean = filled({2}, {1, 3}), var = filled({2}, {4, 0.25f});
  checkValues(batchNorm(x, scale, bias, mean, var, 0.0), {1, 2, 1, 2}, {0, 1, 1, 3});
}

TEST_CASE("relu, concat, fc, softmax") {
  checkValues(relu(filled({1, 3}, {-1, 0, 2})), {1, 3}, {0, 0, 2});
  Tensor a = iota({2, 1, 1, 1}, 1), b = iota({2, 2, 1, 1}, 10);
  checkValues(concat({&a, &b}, 1), {2, 3, 1, 1}, {1, 10, 11, 2, 12, 13});
  // Interleaved: index j*k+i is input i's j (a concat and the channel shuffle after it).
  Tensor c = iota({1, 2, 1, 2}, 1), d = iota({1, 2, 1, 2}, 10), e = iota({1, 2, 1, 2}, 20);
  checkValues(concat({&c, &d, &e}, 1, true), {1, 6, 1, 2}, {1, 2, 10, 11, 20, 21, 3, 4, 12, 13, 22, 23});
  checkValues(concat({&c, &d}, 3, true), {1, 2, 1, 4}, {1, 10, 2, 11, 3, 12, 4, 13});
  Tensor x = iota({2, 2, 1, 1});
  Tensor w = filled({3, 2}, {1, 0, 0, 1, 1, 1}), bias = filled({3}, {0, 0, 1});
  checkValues(fullyConnected(x, w, &bias, false), {2, 3}, {1, 2, 4, 3, 4, 8});
  checkValues(softmax(filled({1, 2}, {0, std::log(3.0f)}), 1), {1, 2}, {0.25f, 0.75f});
  checkValues(softmax(filled({1, 2}, {1000, 1000}), 1), {1, 2}, {0.5f, 0.5f});  // no overflow
  checkValues(softmax(filled({1, 2}, {0, std::log(3.0f)}), 1, true), {1, 2}, {std::log(0.25f), std::log(0.75f)});
  checkValues(softmax(filled({1, 2}, {0, -200}), 1, true), {1, 2}, {0, -200});  // finite where the softmax rounds to 0
}

TEST_CASE("conv2d: groups read their own input channels") {
  Tensor x = iota({1, 4, 1, 1});  // channels 1, 2, 3, 4
  Tensor w = filled({2, 2, 1, 1}, {1, 10, 100, 1000});  // group 0 reads channels 0-1, group 1 channels 2-3
  ConvParams p{2, square(1, 1, 0), false, false, 2};
  checkValues(conv2d(x, w, nullptr, p), {1, 2, 1, 1}, {1 + 20, 300 + 4000});
}

TEST_CASE("prelu: x above 0, the channel's slope times x below") {
  checkValues(prelu(filled({1, 2, 2}, {-2, 3, -4, 5}), filled({2}, {0.5f, 0.25f})), {1, 2, 2}, {-1, 3, -1, 5});
}

TEST_CASE("transpose: output axis d is input axis perm[d]") {
  Tensor x = filled({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  checkValues(transpose(x, {0, 2, 1}), {1, 3, 2}, {1, 4, 2, 5, 3, 6});
  checkValues(transpose(filled({2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), {0, 2, 3, 1}), {2, 1, 2, 2}, {1, 3, 2, 4, 5, 7, 6, 8});
}

TEST_CASE("conv_transpose: each input pixel adds its window; pads crop, output padding adds bias-only rows") {
  Tensor x = filled({1, 1, 2, 2}, {1, 2, 3, 4}), ones = filled({1, 1, 2, 2}, {1, 1, 1, 1});
  ConvTransposeParams p{1, Window2d{2, 2, 2, 2, 0, 0, 0, 0}, 1, 0, 0, false};
  checkValues(convTranspose2d(x, ones, nullptr, p), {1, 1, 4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  p.win.sh = p.win.sw = 1;  // overlapping windows add up
  checkValues(convTranspose2d(x, ones, nullptr, p), {1, 1, 3, 3}, {1, 3, 2, 4, 10, 6, 3, 7, 4});
  p.win.ph = p.win.pw = 1;  // the first row and column cropped
  p.outputPadH = 1;         // one row more at the bottom, which no input reaches: the bias alone
  Tensor bias = filled({1}, {0.5f});
  checkValues(convTranspose2d(x, ones, &bias, p), {1, 1, 3, 2}, {10.5f, 6.5f, 7.5f, 4.5f, 0.5f, 0.5f});
  ConvTransposeParams grouped{2, Window2d{1, 1, 1, 1, 0, 0, 0, 0}, 2, 0, 0, false};  // input channel g writes output channel g
  checkValues(convTranspose2d(filled({1, 2, 1, 1}, {3, 5}), filled({2, 1, 1, 1}, {2, 10}), nullptr, grouped), {1, 2, 1, 1}, {6, 50});
}

TEST_CASE("expand: axes of size 1 repeat, the others are copied") {
  checkValues(expand(filled({1, 2, 1}, {1, 2}), {1, 2, 3}), {1, 2, 3}, {1, 1, 1, 2, 2, 2});
  checkValues(expand(filled({2, 1, 2}, {1, 2, 3, 4}), {2, 3, 2}), {2, 3, 2}, {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  checkValues(expand(filled({1, 2}, {5, 6}), {1, 2}), {1, 2}, {5, 6});
}

TEST_CASE("reduce: mean, max and sum over a run of axes, kept or dropped") {
  Tensor x = filled({2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  checkValues(reduce(x, ReduceParams{ReduceFn::Sum, 1, 1, true}, {2, 1, 3}), {2, 1, 3}, {5, 7, 9, 17, 19, 21});
  checkValues(reduce(x, ReduceParams{ReduceFn::Mean, 2, 2, false}, {2, 2}), {2, 2}, {2, 5, 8, 11});
  checkValues(reduce(x, ReduceParams{ReduceFn::Max, 1, 2, false}, {2}), {2}, {6, 12});
  checkValues(reduce(filled({1, 3}, {-3, -1, -2}), ReduceParams{ReduceFn::Max, 1, 1, true}, {1, 1}), {1, 1}, {-1});
}

TEST_CASE("binary functions broadcast as numpy; either side may be the smaller") {
  Tensor x = iota({2, 3});  // 1..6
  checkValues(binary(x, filled({3}, {10, 20, 30}), BinaryFn::Add), {2, 3}, {11, 22, 33, 14, 25, 36});
  checkValues(binary(filled({2, 1}, {1, 2}), x, BinaryFn::Sub), {2, 3}, {0, -1, -2, -2, -3, -4});
  checkValues(binary(filled({1}, {2}), x, BinaryFn::Div), {2, 3}, {2, 1, 2.0f / 3, 0.5f, 0.4f, 2.0f / 6});
  checkValues(binary(filled({3}, {1, 2, 3}), filled({2, 1}, {1, -1}), BinaryFn::Mul), {2, 3}, {1, 2, 3, -1, -2, -3});
  checkValues(binary(x, filled({1}, {2}), BinaryFn::Pow), {2, 3}, {1, 4, 9, 16, 25, 36});
  checkValues(binary(filled({2, 1}, {0.5f, -2}), filled({3}, {1, -1, 0}), BinaryFn::Pow), {2, 3}, {0.5f, 2, 1, -2, -0.5f, 1});
  checkValues(binary(x, filled({2, 1}, {2.5f, 4.5f}), BinaryFn::Max), {2, 3}, {2.5f, 2.5f, 3, 4.5f, 5, 6});
  checkValues(binary(x, filled({2, 1}, {2.5f, 4.5f}), BinaryFn::Min), {2, 3}, {1, 2, 2.5f, 4, 4.5f, 4.5f});
}

TEST_CASE("pad: constant, reflect and edge") {
  Tensor x = iota({1, 3});  // 1 2 3
  checkValues(pad(x, {0, 2, 0, 1}, "constant", 9), {1, 6}, {9, 9, 1, 2, 3, 9});
  checkValues(pad(x, {0, 2, 0, 2}, "reflect", 0), {1, 7}, {3, 2, 1, 2, 3, 2, 1});
  checkValues(pad(x, {1, 1, 0, 2}, "edge", 0), {2, 6}, {1, 1, 2, 3, 3, 3, 1, 1, 2, 3, 3, 3});
}

TEST_CASE("matmul: stacks broadcast, transA") {
  Tensor a = iota({2, 1, 2});  // [[1,2]], [[3,4]]
  Tensor b = filled({2, 1}, {1, 10});
  checkValues(matmul(a, b, false), {2, 1, 1}, {21, 43});
  Tensor stack = filled({2, 2, 1}, {1, 0, 0, 1});  // picks row 0, then row 1
  checkValues(matmul(iota({1, 2}), stack, false), {2, 1, 1}, {1, 2});
  checkValues(matmul(iota({2, 1}), filled({2, 1}, {1, 10}), true), {1, 1}, {21});
}

TEST_CASE("executor: checks inputs and weights, returns any value by name") {
  Graph g = test::parse("x = input(shape=2x4x4)\nc = conv(x, out=3, kernel=3)\nr = relu(c)\noutput r\n");
  TensorMap weights = initWeights(g, 1);
  ReferenceExecutor exec(g, weights);
  Tensor in = syntheticInput({1, 2, 4, 4}, "x", 0);
  TensorMap out = exec.run({{"x", in}}, {"c", "r"});
  CHECK(out.at("c").shape == Dims{1, 3, 2, 2});
  for (size_t i = 0; i < 12; ++i) CHECK(out.at("r").data[i] == std::max(0.0f, out.at("c").data[i]));
  CHECK(test::userErrorOf([&] { exec.run({{"x", Tensor({1, 2, 4, 5})}}); }) == "error: input 'x' must be f32[1,2,4,4], got f32[1,2,4,5]");
  CHECK(test::userErrorOf([&] { exec.run({}); }).find("no value given for input 'x'") != std::string::npos);
  CHECK(test::userErrorOf([&] { exec.run({{"x", in}, {"y", in}}); }).find("the model has no input 'y'") != std::string::npos);
  CHECK(test::userErrorOf([&] { exec.run({{"x", in}}, {"nope"}); }).find("no value 'nope'") != std::string::npos);
  weights.erase("c.bias");
  CHECK(test::userErrorOf([&] { ReferenceExecutor(g, weights); }).find("has no tensor 'c.bias' (f32[3])") != std::string::npos);
}

TEST_CASE("seeded weights are deterministic, scaled by fan-in, and differ by seed") {
  Graph g = test::parse("x = input(shape=16x4x4)\nc = conv(x, out=8, kernel=3)\noutput c\n");
  TensorMap a = initWeights(g, 0), b = initWeights(g, 0), c = initWeights(g, 1);
  CHECK(a.at("c.weight").data == b.at("c.weight").data);
  CHECK(a.at("c.weight").data != c.at("c.weight").data);
  float bound = std::sqrt(6.0f / (16 * 9)), maxAbs = 0;
  for (float v : a.at("c.weight").data) maxAbs = std::max(maxAbs, std::fabs(v));
  CHECK(maxAbs <= bound);
  CHECK(maxAbs > 0.9f * bound);
}

TEST_CASE("GoogLeNet: each image of a batch gets what it gets alone") {
  Graph g1 = loadModel(test::googlenetPath());
  ElaborateOptions batch2;
  batch2.batch = 2;
  Graph g2 = loadModel(test::googlenetPath(), batch2);
  Tensor two = syntheticInput({2, 3, 224, 224}, "data", 5);
  Tensor second({1, 3, 224, 224});
  std::copy(two.data.begin() + second.numel(), two.data.end(), second.data.begin());
  Tensor p2 = ReferenceExecutor(g2, initWeights(g2, 0)).run({{"data", two}}, {"prob"}).at("prob");
  Tensor p1 = ReferenceExecutor(g1, initWeights(g1, 0)).run({{"data", second}}, {"prob"}).at("prob");
  REQUIRE(p2.shape == Dims{2, 1000});
  for (int i = 0; i < 1000; ++i) CHECK(p2.data[1000 + i] == p1.data[i]);
}
