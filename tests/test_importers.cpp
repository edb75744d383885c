// Importers: Caffe .prototxt and ONNX.
#include "OnnxTestUtil.h"
#include "TestUtil.h"
#include "ir/Printer.h"
#include "frontend/OnnxExporter.h"
#include "frontend/OnnxFolding.h"
#include "passes/PassManager.h"
#include "reference/Executor.h"
#include "reference/Weights.h"

#include <doctest/doctest.h>

#include <functional>
#include <sstream>

using namespace deeper;

namespace {

onnx::NodeProto *addNode(onnx::GraphProto *g, const std::string &op, std::vector<std::string> in, const std::string &out) {
  onnx::NodeProto *n = g->add_node();
  n->set_op_type(op);
  n->set_name(out);
  for (const std::string &i : in) n->add_input(i);
  n->add_output(out);
  return n;
}

void addInt64s(onnx::GraphProto *g, const std::string &name, Dims dims, std::vector<int64_t> values) {
  onnx::TensorProto *t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
}

FoldedTensor folded(Dims shape, std::vector<double> values, int32_t type = onnx::TensorProto::INT64) {
  return FoldedTensor{type, std::move(shape), std::move(values)};
}

std::vector<double> foldedValues(const std::string &op, std::vector<const FoldedTensor *> in, Dims *shape = nullptr,
                                 const std::function<void(onnx::NodeProto &)> &attrs = {}) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name("f");
  n.add_output("f");
  if (attrs) attrs(n);
  FoldedTensor out = foldOnnxNode(n, in, 13, "m.onnx").at(0);
  if (shape) *shape = out.shape;
  return out.values;
}


std::string inferenceIr(const std::string &path) {
  Graph g = loadModel(path);
  PassOptions o;
  o.verifyEach = true;
  runPasses(g, o);
  std::string text = printGraph(g);
  return text.substr(text.find('\n') + 1);  // all but the `network NAME` line: the names differ
}

std::string caffeError(const std::string &text) {
  return test::userErrorOf([&] { test::parse(text, "net.prototxt"); });
}

const char *kConvLayer = R"(
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 10 dim: 3 dim: 8 dim: 8 } } }
)";

}  // namespace

TEST_CASE("the BVLC GoogLeNet prototxt imports to the same inference IR as googlenet.dnet") {
  std::string bvlc = test::sharedFile("models/bvlc_googlenet.prototxt");
  if (bvlc.empty()) return;
  std::string caffe = inferenceIr(bvlc);
  CHECK(caffe == inferenceIr(test::googlenetPath()));
  CHECK(caffe.find("@inception_5b:inception") != std::string::npos);  // modules recognised from the structure
}

TEST_CASE("models/inception_3a.prototxt, the README's Caffe example, is inception_3a of googlenet.dnet") {
  // After the cleanup passes: the optimising ones lay out 3a's pool differently when it reads a graph input.
  auto cleanedIr = [](const std::string &path) {
    Graph g = loadModel(path);
    PassOptions o;
    o.pipeline = {"shape-inference", "inference-cleanup", "batchnorm-folding", "epilogue-fusion"};
    runPasses(g, o);
    return printGraph(g);
  };
  std::string module = cleanedIr(test::sourcePath("models/inception_3a.prototxt"));
  std::istringstream googlenet(cleanedIr(test::googlenetPath()));
  int lines = 0;
  for (std::string line; std::getline(googlenet, line);) {
    if (line.find("@inception_3a:inception") == std::string::npos) continue;
    for (size_t at; (at = line.find("pool2/3x3_s2")) != std::string::npos;) line.replace(at, 12, "data");
    CHECK_MENTIONS(module, line + "\n");
    ++lines;
  }
  CHECK(lines == 8);
}

TEST_CASE("prototxt: in-place layers, top-level inputs, pooling variants") {
  Graph g = test::parse(R"(name: "tiny"
input: "x"
input_dim: 1 input_dim: 3 input_dim: 9 input_dim: 9
layer { name: "c" type: "Convolution" bottom: "x" top: "c" convolution_param { num_output: 4 kernel_h: 3 kernel_w: 1 pad_w: 1 } }
layer { name: "r" type: "ReLU" bottom: "c" top: "c" }
layer { name: "p" type: "Pooling" bottom: "c" top: "p" pooling_param { pool: AVE global_pooling: true } }
layer { name: "q" type: "Pooling" bottom: "c" top: "q" pooling_param { pool: MAX kernel_size: 3 stride: 2 round_mode: FLOOR } }
)", "tiny.prototxt");
  CHECK(g.name == "tiny");
  CHECK(g.find("c")->attrDims("kernel") == Dims{3, 1});
  CHECK(g.find("c")->attrDims("pad") == Dims{0, 1, 0, 1});
  CHECK(g.find("p")->inputs()[0] == g.find("r"));  // the in-place relu replaced blob "c"
  CHECK(g.find("p")->attrDims("kernel") == Dims{7, 11});
  CHECK_FALSE(g.find("q")->attrBool("ceil"));
  REQUIRE(g.outputs().size() == 2);
  CHECK(g.outputs()[0].node->name == "p");
}

TEST_CASE("prototxt errors carry file:line:col") {
  CHECK(caffeError(std::string(kConvLayer) + "layer { name: \"c\" type: \"Deconvolution\" bottom: \"data\" top: \"c\" }\n")
            .find("net.prototxt:3:19: error: layer 'c' has unsupported type 'Deconvolution'") == 0);
  CHECK(caffeError(std::string(kConvLayer) + "layer { name: \"c\" type: \"ReLU\" bottom: \"nope\" top: \"c\" }\n")
            .find("net.prototxt:3:32: error: no layer produces blob 'nope'") == 0);
  CHECK(caffeError("layer { name: \"a\n").find("net.prototxt:1:17: error: unterminated string") == 0);
  CHECK(caffeError("layer { name: \"a\" \n").find("net.prototxt:2:1: error: unexpected end of file") == 0);
  CHECK(caffeError("}\n").find("net.prototxt:1:1: error: unexpected '}'") == 0);
  CHECK(caffeError("layer { name \"a\" }\n").find("expected ':' or '{' after 'name'") != std::string::npos);
  CHECK(caffeError(std::string(kConvLayer) +
                   "layer { name: \"c\" type: \"Convolution\" bottom: \"data\" top: \"c\" convolution_param { num_output: 4 kernel_size: 3 group: 2 } }\n")
            .find("net.prototxt:3:19: error: groups=2 must divide the input channels (3)") == 0);
  CHECK(caffeError("layers { name: \"a\" }\n").find("V1 'layers' networks are not supported") != std::string::npos);
  CHECK(caffeError("input: \"x\"\ninput_dim: 1 input_dim: three\n").find("'three' is not a positive dimension") != std::string::npos);
}

// --- ONNX ---

using namespace deeper::test::onnx_models;

TEST_CASE("ONNX: arithmetic with constants, the operand first or broadcast the opset-6 way") {
  onnx::ModelProto sub = oneNode("Sub");
  auto *node = sub.mutable_graph()->mutable_node(0);
  node->set_input(0, "c");
  node->add_input("x");
  addInitializer(sub, "c", {3, 1, 1});
  Graph g = importOne(sub);
  const Node *n = g.find("n1");
  CHECK(n->op == OpKind::Sub);
  CHECK(n->attrBool("operand_first"));
  CHECK(n->attrDims("operand") == Dims{3, 1, 1});

  onnx::ModelProto legacy = oneNode("Add", 6);  // B of shape [3] aligned at axis 1 of [1,3,4,4]
  legacy.mutable_graph()->mutable_node(0)->add_input("b");
  addInitializer(legacy, "b", {3});
  setAttr(legacy, "broadcast", {1}, false);
  setAttr(legacy, "axis", {1}, false);
  CHECK(importOne(legacy).find("n1")->attrDims("operand") == Dims{3, 1, 1});

  onnx::ModelProto unknown = oneNode("Relu");
  setAttr(unknown, "alpha", {1}, false);
  CHECK(onnxError(unknown).find("node 'n1' (Relu): attribute 'alpha' is not supported; Relu supports: consumed_inputs") != std::string::npos);

  // Both operands computed: the binary op. Only arithmetic takes that path: a conv's weight must be a constant.
  onnx::ModelProto both = oneNode("Mul");
  both.mutable_graph()->mutable_node(0)->add_input("x");
  Graph squared = importOne(both);
  const Node *square = squared.find("n1");
  CHECK(square->op == OpKind::Binary);
  CHECK(square->attrWord("fn") == "mul");
  onnx::ModelProto conv = oneNode("Conv");
  conv.mutable_graph()->mutable_node(0)->add_input("x");
  CHECK(onnxError(conv).find("input 1 'x' must be a constant, but it is a graph input; bind it with --bind x=FILE.pb|.npy") != std::string::npos);
  onnx::ModelProto reluThenConv = oneNode("Relu");
  addNode(reluThenConv.mutable_graph(), "Conv", {"x", "y"}, "z");
  reluThenConv.mutable_graph()->mutable_output(0)->set_name("z");
  CHECK(onnxError(reluThenConv).find("input 1 'y' must be a constant, but it is computed by node 'n1'") != std::string::npos);
  onnx::ModelProto pow = oneNode("Pow");
  pow.mutable_graph()->mutable_node(0)->add_input("e");
  addInitializer(pow, "e", {1});
  CHECK(onnxError(pow).find("input 'e' is a constant; Pow is supported between two computed values") != std::string::npos);
}

TEST_CASE("ONNX: reshapes keep the batch axis or fix the whole shape; Pad modes; opset 1") {
  onnx::ModelProto keep = oneNode("Reshape", 4);  // opset 4: the shape is an attribute
  setAttr(keep, "shape", {0, 12, -1});
  Graph g = importOne(keep);
  CHECK(g.find("n1")->op == OpKind::Reshape);
  CHECK(g.find("n1")->shape == Dims{1, 12, 4});
  CHECK_FALSE(g.find("n1")->attrBool("whole"));

  onnx::ModelProto whole = oneNode("Reshape", 4);
  setAttr(whole, "shape", {6, 8});
  CHECK(importOne(whole).find("n1")->attrBool("whole"));
  onnx::ModelProto twoFree = oneNode("Reshape", 4);
  setAttr(twoFree, "shape", {-1, -1});
  CHECK(onnxError(twoFree).find("more than one -1") != std::string::npos);

  onnx::ModelProto reflect = oneNode("Pad", 10);
  setAttr(reflect, "pads", {0, 0, 1, 2, 0, 0, 3, 0});
  auto *mode = reflect.mutable_graph()->mutable_node(0)->add_attribute();
  mode->set_name("mode");
  mode->set_type(onnx::AttributeProto::STRING);
  mode->set_s("reflect");
  Graph padded = importOne(reflect);
  CHECK(padded.find("n1")->attrWord("mode") == "reflect");
  CHECK(padded.find("n1")->shape == Dims{1, 3, 8, 6});
  mode->set_s("wrap");
  CHECK(onnxError(reflect).find("mode 'wrap' is not supported") != std::string::npos);

  CHECK(importOne(oneNode("GlobalAveragePool", 1)).find("n1")->op == OpKind::AvgPool);
}

TEST_CASE("ONNX: Gemm with transA or a per-row C is a matmul or fc plus an add") {
  onnx::ModelProto gemm = oneNode("Gemm");
  onnx::ValueInfoProto *in = gemm.mutable_graph()->mutable_input(0);
  in->mutable_type()->mutable_tensor_type()->mutable_shape()->clear_dim();
  for (int d : {5, 2}) in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(d);  // A^T
  gemm.mutable_graph()->mutable_node(0)->add_input("b");
  gemm.mutable_graph()->mutable_node(0)->add_input("c");
  addInitializer(gemm, "b", {5, 3});
  addInitializer(gemm, "c", {2, 3});
  setAttr(gemm, "transA", {1}, false);
  Graph g = importOne(gemm);
  CHECK(g.nodesOfOp(OpKind::MatMul).size() == 1);
  CHECK(g.nodesOfOp(OpKind::Add).size() == 1);
  CHECK(g.outputs().at(0).node->shape == Dims{2, 3});
}

TEST_CASE("ONNX: export then import gives back GoogLeNet's IR and weights") {
  Graph g = loadModel(test::googlenetPath());
  PassOptions o;
  o.pipeline = {"shape-inference", "inference-cleanup"};
  runPasses(g, o);
  TensorMap weights = initWeights(g, 4);
  Graph back = parseModel(exportOnnx(g, weights), "googlenet.onnx");
  PassOptions again;  // ONNX has no fused relu: epilogue-fusion folds them again
  again.pipeline = {"shape-inference", "inference-cleanup", "batchnorm-folding", "epilogue-fusion"};
  runPasses(back, again);
  CHECK(printGraph(back) == printGraph(g));
  REQUIRE(back.weights.size() == weights.size());
  CHECK(back.weights.at("inception_4e/5x5.weight").data == weights.at("inception_4e/5x5.weight").data);
}

TEST_CASE("ONNX: the newer ops export and import back to the same IR and weights") {
  Graph g = test::parse(R"(network newer batch=2
x  = input(shape=4x5x6)
g  = conv(x, out=6, kernel=3, pad=1, groups=2)
p  = pad(g, pads=0x0x1x0x0x0x2x1, mode=reflect)
s  = sub(p, operand=6x1x1, operand_first=true)
d  = div(s, operand=1)
r  = reshape(d, shape=6x8x7)
m  = matmul(r, weight=7x3)
f  = flatten(m)
t  = matmul(f, weight=2x5, trans_a=true)
u  = reduce(g, fn=mean, axes=2x3, keepdims=false)
v  = reduce(g, fn=sum, axes=1)
w  = reduce(g, fn=max, axes=3)
q  = transpose(g, perm=0x3x1x2)
l  = softmax(g, axis=1, log=true)
pr = prelu(g)
e  = expand(v, shape=6x5x6)
ct = conv_transpose(g, out=4, kernel=3x2, stride=2, pad=1x0x0x1, output_padding=1x0, dilation=1x2, groups=2)
output ct
output t
output pr
output e
output q
output l
output u
output v
output w
)");
  TensorMap weights = initWeights(g, 3);
  Graph back = parseModel(exportOnnx(g, weights), "newer.onnx");
  back.name = g.name;
  CHECK(printGraph(back) == printGraph(g));
  CHECK(back.weights.at("s.operand").data == weights.at("s.operand").data);
  CHECK(back.weights.at("t.weight").data == weights.at("t.weight").data);
}

TEST_CASE("ONNX: fused and merged convs export as the layers they stand for and compute the same") {
  const char *text = R"(network fused batch=2
x  = input(shape=6x7x7)
m  = conv(x, out=12, kernel=1, relu=true)
s1 = slice(m, begin=0, end=8)
s2 = slice(m, begin=8, end=12)
a  = conv(s1, out=5, kernel=3, pad=1, reduce=4, reduce_relu=true, relu=true)
b  = conv(s2, out=3, kernel=5, pad=2)
c  = concat(a, b)
p  = conv(c, out=4, kernel=3, stride=2, relu=true, output_maxpool=3, output_maxpool_stride=2)
e  = conv(c, c, out=8, kernel=3, pad=1, activation=silu)
h  = conv(e, out=8, kernel=1, activation=hardswish)
k  = conv(h, out=8, kernel=1, activation=hardsigmoid, activation_alpha=0.16666667, activation_beta=0.5)
q  = conv(k, e, out=8, kernel=1, relu=true, relu_max=6)
sg = conv(q, out=2, kernel=1, activation=sigmoid)
v  = concat(a, a, interleave=true)
output c
output p
output sg
output v
)";
  Graph g = test::parse(text);
  TensorMap weights = initWeights(g, 5);
  Graph back = parseModel(exportOnnx(g, weights), "fused.onnx");
  CHECK(back.nodesOfOp(OpKind::Slice).size() == 2);
  CHECK(back.nodesOfOp(OpKind::Conv).size() == 10);  // the fused reduce is a conv of its own again
  CHECK(back.nodesOfOp(OpKind::Binary).size() == 4);  // two residual adds, the products of SiLU and hard-swish
  CHECK(back.nodesOfOp(OpKind::MaxPool).size() == 1);  // and the fused output pool a pool
  CHECK(back.nodesOfOp(OpKind::Transpose).size() == 1);  // the interleaving concat a concat and a channel shuffle
  TensorMap inputs = {{"x", syntheticInput({2, 6, 7, 7}, "x", 1)}};
  // Outputs keep their names; the nodes computing them are named after the ONNX nodes ("p:output_pool").
  auto nodeOf = [&](const std::string &output) {
    for (const GraphOutput &o : back.outputs())
      if (o.name == output || (o.name.empty() && o.node->name == output)) return o.node->name;
    return output;
  };
  for (const char *output : {"c", "p", "sg", "v"}) {
    Tensor want = ReferenceExecutor(g, weights).run(inputs).at(output);
    Tensor got = ReferenceExecutor(back, back.weights).run(inputs).at(nodeOf(output));
    REQUIRE(got.shape == want.shape);
    for (size_t i = 0; i < got.data.size(); ++i) CHECK(got.data[i] == doctest::Approx(want.data[i]).epsilon(1e-6));
  }
}

TEST_CASE("ONNX: ReduceMean by attribute, ReduceSum's axes as an input, no axes: every axis, the batch's refused") {
  onnx::ModelProto mean = oneNode("ReduceMean");
  setAttr(mean, "axes", {-1, -2});
  setAttr(mean, "keepdims", {0}, false);
  Graph meanGraph = importOne(mean);
  const Node *n = meanGraph.find("n1");
  CHECK(n->op == OpKind::Reduce);
  CHECK(n->attrWord("fn") == "mean");
  CHECK(n->attrDims("axes") == Dims{2, 3});
  CHECK(n->shape == Dims{1, 3});

  onnx::ModelProto sum = oneNode("ReduceSum");
  sum.mutable_graph()->mutable_node(0)->add_input("axes");
  onnx::TensorProto *axes = sum.mutable_graph()->add_initializer();
  axes->set_name("axes");
  axes->set_data_type(onnx::TensorProto::INT64);
  axes->add_dims(1);
  axes->add_int64_data(1);
  Graph sumGraph = importOne(sum);
  n = sumGraph.find("n1");
  CHECK(n->attrWord("fn") == "sum");
  CHECK(n->shape == Dims{1, 1, 4, 4});

  onnx::ModelProto all = oneNode("ReduceMax");
  CHECK(onnxError(all).find("reduces the batch axis 0") != std::string::npos);
  setAttr(all, "noop_with_empty_axes", {1}, false);
  CHECK(importOne(all).find("n1") == nullptr);  // the identity: y is x
}

namespace {

/// Sets the model's input x to f32[dims] (oneNode's is [1,3,4,4]).
void setInputShape(onnx::ModelProto &m, std::vector<int64_t> dims) {
  auto *shape = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->clear_dim();
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

/// Gives node n1 a constant int64 input named `name`.
void addInt64Input(onnx::ModelProto &m, const std::string &name, std::vector<int64_t> values) {
  m.mutable_graph()->mutable_node(0)->add_input(name);
  onnx::TensorProto *t = m.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
}

}  // namespace

TEST_CASE("ONNX: 1-D convs and pools run as 2-D ones over a height of 1, 3-D pools as two 2-D ones; other ranks are refused") {
  onnx::ModelProto conv = oneNode("Conv");
  setInputShape(conv, {1, 3, 9});
  conv.mutable_graph()->mutable_node(0)->add_input("w");
  addInitializer(conv, "w", {4, 3, 3});
  setAttr(conv, "pads", {2, 1});
  setAttr(conv, "strides", {2});
  setAttr(conv, "dilations", {1});
  Graph g = importOne(conv);
  const Node *c = g.find("n1");
  CHECK(c->attrDims("kernel") == Dims{1, 3});
  CHECK(c->attrDims("stride") == Dims{1, 2});
  CHECK(c->attrDims("pad") == Dims{0, 2, 0, 1});
  CHECK(c->inputs()[0]->shape == Dims{1, 3, 1, 9});
  CHECK(g.weights.at("n1.weight").shape == Dims{4, 3, 1, 3});
  REQUIRE(g.outputs().size() == 1);
  CHECK(g.outputs()[0].node->shape == Dims{1, 4, 5});  // (9 + 3 - 3) / 2 + 1
  setAttr(conv, "strides", {2, 2});
  CHECK_MENTIONS(onnxError(conv), "'strides' must have 1 values for a 1-D window");

  onnx::ModelProto pool = oneNode("MaxPool");
  setInputShape(pool, {1, 3, 10});
  setAttr(pool, "kernel_shape", {3});
  pool.mutable_graph()->mutable_node(0)->add_attribute()->set_name("auto_pad");
  pool.mutable_graph()->mutable_node(0)->mutable_attribute(1)->set_type(onnx::AttributeProto::STRING);
  pool.mutable_graph()->mutable_node(0)->mutable_attribute(1)->set_s("SAME_UPPER");
  Graph p = importOne(pool);
  CHECK(p.find("n1")->attrDims("pad") == Dims{0, 1, 0, 1});
  CHECK(p.outputs()[0].node->shape == Dims{1, 3, 10});

  onnx::ModelProto volume = oneNode("AveragePool");
  setInputShape(volume, {1, 3, 5, 6, 7});
  setAttr(volume, "kernel_shape", {3, 2, 2});
  setAttr(volume, "strides", {2, 1, 2});
  setAttr(volume, "pads", {1, 0, 1, 1, 1, 0});  // depth 1 and 1, height 0 and 1, width 1 and 0
  Graph v = importOne(volume);
  const Node *depth = v.find("n1"), *planes = v.find("n1/planes_pooled");
  REQUIRE(planes != nullptr);
  CHECK(planes->inputs()[0]->shape == Dims{1, 15, 6, 7});  // C*D planes
  CHECK(planes->attrDims("kernel") == Dims{2, 2});
  CHECK(planes->attrDims("stride") == Dims{1, 2});
  CHECK(planes->attrDims("pad") == Dims{0, 1, 1, 0});
  CHECK(depth->inputs()[0]->shape == Dims{1, 3, 5, 24});  // H'*W' = 6 * 4
  CHECK(depth->attrDims("kernel") == Dims{3, 1});
  CHECK(depth->attrDims("stride") == Dims{2, 1});
  CHECK(depth->attrDims("pad") == Dims{1, 0, 1, 0});
  CHECK(v.outputs()[0].node->shape == Dims{1, 3, 3, 6, 4});
  setAttr(volume, "strides", {2, 1});
  CHECK_MENTIONS(onnxError(volume), "'strides' must have 3 values for a 3-D window");
  setAttr(volume, "strides", {2, 1, 2});
  setAttr(volume, "pads", {1, 0, 1, 1, 1});
  CHECK_MENTIONS(onnxError(volume), "'pads' must have 6 values for a 3-D window");
  onnx::ModelProto wide = oneNode("MaxPool");
  setInputShape(wide, {1, 3, 2, 2, 2, 2});
  setAttr(wide, "kernel_shape", {1, 1, 1, 1});
  CHECK_MENTIONS(onnxError(wide), "1-D, 2-D and 3-D pools (an N,C,L, N,C,H,W or N,C,D,H,W input) only, the input is f32[1,3,2,2,2,2]");
  onnx::ModelProto hypercube = oneNode("Conv");
  setInputShape(hypercube, {1, 3, 2, 2, 2, 2});
  hypercube.mutable_graph()->mutable_node(0)->add_input("w");
  addInitializer(hypercube, "w", {2, 3, 1, 1, 1, 1});
  CHECK_MENTIONS(onnxError(hypercube), "1-D, 2-D and 3-D convolutions (an N,C,L, N,C,H,W or N,C,D,H,W input) only, the input is f32[1,3,2,2,2,2]");
}

namespace {

/// A Conv or ConvTranspose (`op`) of an input of shape `input` with the constant W of shape `weight`,
/// each of W's values its index in W.
onnx::ModelProto windowOverVolume(const std::string &op, std::vector<int64_t> input, std::vector<int64_t> weight) {
  onnx::ModelProto m = oneNode(op);
  setInputShape(m, std::move(input));
  m.mutable_graph()->mutable_node(0)->add_input("w");
  onnx::TensorProto *w = addInitializer(m, "w", std::move(weight));
  for (int i = 0; i < w->float_data_size(); ++i) w->set_float_data(i, static_cast<float>(i));
  return m;
}

}  // namespace

TEST_CASE("ONNX: a 3-D conv runs as one 2-D conv per output depth plane over the input planes it reads") {
  auto volume = [](std::vector<int64_t> weight) { return windowOverVolume("Conv", {1, 2, 5, 6, 6}, std::move(weight)); };  // C=2, D=5
  onnx::ModelProto conv = volume({4, 2, 3, 3, 1});  // O=4, KD=3, KH=3, KW=1
  setAttr(conv, "strides", {2, 1, 1});
  setAttr(conv, "pads", {1, 1, 0, 1, 1, 0});
  Graph g = importOne(conv);
  REQUIRE(g.outputs().size() == 1);
  CHECK(g.outputs()[0].node->shape == Dims{1, 4, 3, 6, 6});  // depth (5 + 2 - 3) / 2 + 1
  // Plane 0's window starts in the padding: it reads input planes 0 and 1 (channels 0..3) with taps 1, 2.
  const Node *first = g.find("n1/plane0");
  REQUIRE(first != nullptr);
  CHECK(first->op == OpKind::Conv);
  CHECK(first->attrDims("kernel") == Dims{3, 1});
  CHECK(first->attrDims("pad") == Dims{1, 0, 1, 0});
  CHECK(first->inputs()[0]->op == OpKind::Slice);
  CHECK(first->inputs()[0]->attrInt("begin") == 0);
  CHECK(first->inputs()[0]->attrInt("end") == 4);
  const Tensor &w0 = g.weights.at("n1/plane0.weight");
  CHECK(w0.shape == Dims{4, 4, 3, 1});
  // W[o][c][kd][kh][0] (its value: its index in W [4,2,3,3,1]) is input channel j*C + c of the
  // plane's conv, j the tap's place among those it uses.
  auto index = [](Dims shape, Dims at) {
    int64_t flat = 0;
    for (size_t d = 0; d < at.size(); ++d) flat = flat * shape[d] + at[d];
    return flat;
  };
  CHECK(w0.data[index(w0.shape, {3, 0 * 2 + 1, 2, 0})] == index({4, 2, 3, 3, 1}, {3, 1, 1, 2, 0}));  // tap 1 reads plane 0
  CHECK(w0.data[index(w0.shape, {2, 1 * 2 + 0, 0, 0})] == index({4, 2, 3, 3, 1}, {2, 0, 2, 0, 0}));  // tap 2 reads plane 1
  // Plane 1 (input planes 1..3, all three taps) and plane 2 (3 and 4: the last tap in the padding).
  CHECK(g.find("n1/plane1")->inputs()[0]->attrInt("begin") == 2);
  CHECK(g.find("n1/plane1")->inputs()[0]->attrInt("end") == 8);
  CHECK(g.weights.at("n1/plane1.weight").shape == Dims{4, 6, 3, 1});
  CHECK(g.weights.at("n1/plane2.weight").shape == Dims{4, 4, 3, 1});

  // A dilated depth reads planes that are not neighbours: a concat of one slice per plane.
  onnx::ModelProto dilated = volume({4, 2, 2, 1, 1});
  setAttr(dilated, "dilations", {3, 1, 1});
  Graph d = importOne(dilated);
  CHECK(d.outputs()[0].node->shape == Dims{1, 4, 2, 6, 6});
  const Node *reads = d.find("n1/plane1")->inputs()[0];
  REQUIRE(reads->op == OpKind::Concat);
  REQUIRE(reads->inputs().size() == 2);
  CHECK(reads->inputs()[0]->attrInt("begin") == 2);  // planes 1 and 4
  CHECK(reads->inputs()[1]->attrInt("begin") == 8);

  onnx::ModelProto grouped = volume({4, 1, 1, 1, 1});
  setAttr(grouped, "group", {2}, false);
  CHECK_MENTIONS(onnxError(grouped), "group is 2; 3-D convolutions take group 1 only");
  onnx::ModelProto biased = volume({4, 2, 1, 1, 1});
  biased.mutable_graph()->mutable_node(0)->add_input("b");
  addInitializer(biased, "b", {3});
  CHECK_MENTIONS(onnxError(biased), "B is f32[3]; it needs one value per output channel, f32[4]");
  CHECK_MENTIONS(onnxError(volume({4, 2, 3, 3})), "W is f32[4,2,3,3]; a 3-D convolution needs a 5-D W [O,C,KD,KH,KW]");
  onnx::ModelProto mismatched = volume({4, 2, 3, 3, 3});
  setAttr(mismatched, "kernel_shape", {3, 3, 1});
  CHECK_MENTIONS(onnxError(mismatched), "kernel_shape 3x3x1 differs from W's 3x3x3");
  CHECK_MENTIONS(onnxError(volume({4, 2, 7, 1, 1})), "the window (7 planes) is deeper than the padded input (5)");
  onnx::ModelProto padded = volume({4, 2, 1, 1, 1});
  setAttr(padded, "pads", {2, 0, 0, 0, 0, 0});
  CHECK_MENTIONS(onnxError(padded), "output depth plane 0 reads only padding");
  onnx::ModelProto deep = volume({4, 2, 1, 1, 1});
  setInputShape(deep, {1, 2, 300, 2, 2});
  CHECK_MENTIONS(onnxError(deep), "300 output depth planes; a 3-D Conv runs as one 2-D Conv per plane, at most 256");
}

TEST_CASE("ONNX: a 3-D ConvTranspose runs as one 2-D one per output depth plane over the input planes that reach it") {
  auto volume = [](std::vector<int64_t> weight) { return windowOverVolume("ConvTranspose", {1, 2, 3, 4, 4}, std::move(weight)); };  // C=2, D=3
  onnx::ModelProto up = volume({2, 5, 2, 3, 3});  // O=5, KD=2
  setAttr(up, "strides", {3, 2, 2});
  setAttr(up, "pads", {0, 1, 1, 0, 1, 1});
  setAttr(up, "output_padding", {1, 1, 1});
  Graph g = importOne(up);
  REQUIRE(g.outputs().size() == 1);
  // Depth: 3 * (3 - 1) + 2 + 1 = 9 planes; plane 3 is input plane 1 through tap 0, plane 2 no plane's
  // (between the windows of planes 0 and 1): zero weights over plane 0, which leaves the bias.
  CHECK(g.outputs()[0].node->shape == Dims{1, 5, 9, 8, 8});
  const Node *three = g.find("n1/plane3");
  REQUIRE(three != nullptr);
  CHECK(three->op == OpKind::ConvTranspose);
  CHECK(three->attrDims("stride") == Dims{2, 2});
  CHECK(three->attrDims("pad") == Dims{1, 1, 1, 1});
  CHECK(three->attrDims("output_padding") == Dims{1, 1});
  CHECK(three->inputs()[0]->attrInt("begin") == 2);
  CHECK(three->inputs()[0]->attrInt("end") == 4);
  const Tensor &w3 = g.weights.at("n1/plane3.weight"), &w2 = g.weights.at("n1/plane2.weight");
  CHECK(w3.shape == Dims{2, 5, 3, 3});
  CHECK(w3.data[((1 * 5 + 4) * 3 + 2) * 3 + 1] == (((1 * 5 + 4) * 2 + 0) * 3 + 2) * 3 + 1);  // W[1][4][0][2][1]
  CHECK(std::all_of(w2.data.begin(), w2.data.end(), [](float v) { return v == 0; }));

  // Overlapping windows: plane 2 of a stride-1 depth-3 filter gathers planes 0..2 through taps 2, 1, 0.
  Graph o = importOne(volume({2, 5, 3, 1, 1}));
  CHECK(o.outputs()[0].node->shape == Dims{1, 5, 5, 4, 4});
  const Tensor &overlap = o.weights.at("n1/plane2.weight");
  CHECK(overlap.shape == Dims{6, 5, 1, 1});
  CHECK(overlap.data[(0 * 2 + 1) * 5 + 3] == (1 * 5 + 3) * 3 + 2);  // plane 0 (rows 0, 1) through tap 2: W[1][3][2]
  CHECK(overlap.data[(2 * 2 + 0) * 5 + 0] == (0 * 5 + 0) * 3 + 0);  // plane 2 (rows 4, 5) through tap 0: W[0][0][0]

  onnx::ModelProto grouped = volume({2, 5, 1, 1, 1});
  setAttr(grouped, "group", {2}, false);
  CHECK_MENTIONS(onnxError(grouped), "group is 2; 3-D transposed convolutions take group 1 only");
  onnx::ModelProto padded = volume({2, 5, 2, 1, 1});
  setAttr(padded, "output_padding", {1, 0, 0});
  CHECK_MENTIONS(onnxError(padded), "output padding 1 along the depth must be below the stride or the dilation (1, 1)");
  onnx::ModelProto huge = volume({2, 5, 2, 1, 1});
  setAttr(huge, "output_shape", {-9223372036854775807LL, 4, 4});
  CHECK_MENTIONS(onnxError(huge), "output_shape values must lie in 1..2147483647");
  onnx::ModelProto far = volume({2, 5, 2, 1, 1});
  setAttr(far, "strides", {2147483647, 1, 1});
  CHECK_MENTIONS(onnxError(far), "the full output would span more than 2147483647 values along axis 2");
  CHECK_MENTIONS(onnxError(volume({3, 5, 1, 1, 1})), "W is f32[3,5,1,1,1]; its axis 0 must be the input's 2 channels");
  onnx::ModelProto cropped = volume({2, 5, 1, 1, 1});
  setAttr(cropped, "pads", {2, 0, 0, 1, 0, 0});
  CHECK_MENTIONS(onnxError(cropped), "its pads crop all 3 output depth planes");
  onnx::ModelProto sized = volume({2, 5, 2, 1, 1});
  setAttr(sized, "strides", {2, 1, 1});
  setAttr(sized, "output_shape", {7, 4, 4});
  CHECK(importOne(sized).outputs()[0].node->shape == Dims{1, 5, 7, 4, 4});  // one plane beyond the full 6: output padding
}

TEST_CASE("ONNX: ConvTranspose's pads explicit, from output_shape or from auto_pad; 1-D too") {
  auto transposed = [](std::vector<int64_t> input, std::vector<int64_t> weight) {
    onnx::ModelProto m = oneNode("ConvTranspose");
    setInputShape(m, std::move(input));
    m.mutable_graph()->mutable_node(0)->add_input("w");
    addInitializer(m, "w", std::move(weight));
    return m;
  };
  onnx::ModelProto shaped = transposed({1, 3, 4, 4}, {3, 2, 3, 3});
  setAttr(shaped, "strides", {3, 2});
  setAttr(shaped, "output_shape", {10, 8});  // full 12x9: 2 rows and 1 column cropped, the odd one at the start
  Graph g = importOne(shaped);
  CHECK(g.find("n1")->attrDims("pad") == Dims{1, 1, 1, 0});
  CHECK(g.find("n1")->shape == Dims{1, 2, 10, 8});
  onnx::ModelProto same = transposed({1, 3, 4, 4}, {3, 2, 3, 3});
  setAttr(same, "strides", {2, 2});
  auto *autoPad = same.mutable_graph()->mutable_node(0)->add_attribute();
  autoPad->set_name("auto_pad");
  autoPad->set_type(onnx::AttributeProto::STRING);
  autoPad->set_s("SAME_UPPER");  // input * stride = 8 of the full 9: the odd row at the end
  Graph s = importOne(same);
  CHECK(s.find("n1")->attrDims("pad") == Dims{0, 0, 1, 1});
  CHECK(s.find("n1")->shape == Dims{1, 2, 8, 8});
  onnx::ModelProto line = transposed({1, 3, 5}, {3, 4, 2});
  setAttr(line, "strides", {2});
  setAttr(line, "output_padding", {1});
  Graph l = importOne(line);
  CHECK(l.find("n1")->attrDims("output_padding") == Dims{0, 1});
  CHECK(l.outputs()[0].node->shape == Dims{1, 4, 11});  // (5 - 1) * 2 + 2 + 1
  onnx::ModelProto longer = transposed({1, 3, 4, 4}, {3, 2, 3, 3});
  setAttr(longer, "strides", {2, 2});
  setAttr(longer, "output_shape", {10, 9});  // full 9x9: one row more at the end
  Graph grown = importOne(longer);
  CHECK(grown.find("n1")->attrDims("pad") == Dims{0, 0, 0, 0});
  CHECK(grown.find("n1")->attrDims("output_padding") == Dims{1, 0});
  setAttr(longer, "output_shape", {12, 9});
  CHECK_MENTIONS(onnxError(longer), "output_shape 12 would start before the full output (9 long)");
  onnx::ModelProto mismatch = transposed({1, 3, 4, 4}, {3, 2, 3, 3});
  setAttr(mismatch, "kernel_shape", {2, 2});
  CHECK_MENTIONS(onnxError(mismatch), "kernel_shape 2x2 differs from W's 3x3");
  onnx::ModelProto extra = transposed({1, 3, 4, 4}, {3, 2, 3, 3});
  setAttr(extra, "output_padding", {1});
  CHECK_MENTIONS(onnxError(extra), "'output_padding' must have 2 values");
  setAttr(extra, "output_padding", {-1, 0});
  CHECK_MENTIONS(onnxError(extra), "'output_padding' values must lie in 0..");
  onnx::ModelProto noGroups = transposed({1, 3, 4, 4}, {3, 2, 3, 3});
  setAttr(noGroups, "group", {0}, false);
  CHECK_MENTIONS(onnxError(noGroups), "group must lie in 1..");
}

TEST_CASE("ONNX: GlobalMaxPool is a max pool of the whole map, or a reduce for other ranks; Expand broadcasts after the batch") {
  Graph plane = importOne(oneNode("GlobalMaxPool"));
  CHECK(plane.find("n1")->op == OpKind::MaxPool);
  CHECK(plane.find("n1")->shape == Dims{1, 3, 1, 1});
  onnx::ModelProto volume = oneNode("GlobalMaxPool");
  setInputShape(volume, {1, 3, 2, 4, 5});
  Graph reduced = importOne(volume);
  CHECK(reduced.find("n1")->op == OpKind::Reduce);
  CHECK(reduced.find("n1")->attrDims("axes") == Dims{2, 3, 4});
  CHECK(reduced.find("n1")->shape == Dims{1, 3, 1, 1, 1});
  onnx::ModelProto flat = oneNode("GlobalMaxPool");
  setInputShape(flat, {1, 3});
  CHECK_MENTIONS(onnxError(flat), "needs an input N,C,D1,..., it is f32[1,3]");

  onnx::ModelProto expand = oneNode("Expand");
  setInputShape(expand, {1, 3, 1, 4});
  addInt64Input(expand, "shape", {5, 1});  // aligned at the last axis: [1,3,5,4]
  Graph e = importOne(expand);
  CHECK(e.find("n1")->op == OpKind::Expand);
  CHECK(e.find("n1")->shape == Dims{1, 3, 5, 4});
  onnx::ModelProto same = oneNode("Expand");
  addInt64Input(same, "shape", {1, 1, 1});
  CHECK(importOne(same).find("n1") == nullptr);  // nothing repeats: y is x
  onnx::ModelProto longer = oneNode("Expand");
  addInt64Input(longer, "shape", {2, 1, 3, 4, 4});
  CHECK_MENTIONS(onnxError(longer), "shape [2,1,3,4,4] has more axes than f32[1,3,4,4]: the batch axis would move");
  onnx::ModelProto batch = oneNode("Expand");
  addInt64Input(batch, "shape", {2, 3, 4, 4});
  CHECK_MENTIONS(onnxError(batch), "repeats the batch axis");
  onnx::ModelProto mismatch = oneNode("Expand");
  addInt64Input(mismatch, "shape", {5, 4});
  CHECK_MENTIONS(onnxError(mismatch), "f32[1,3,4,4] does not expand to [1,1,5,4]: sizes must match or be 1");
}

TEST_CASE("ONNX: Split of the channels is one slice per output; sizes given or equal") {
  onnx::ModelProto split = oneNode("Split", 11);
  auto *node = split.mutable_graph()->mutable_node(0);
  node->set_output(0, "a");
  node->add_output("b");
  split.mutable_graph()->mutable_output(0)->set_name("a");
  split.mutable_graph()->add_output()->set_name("b");
  setAttr(split, "axis", {1}, false);
  setAttr(split, "split", {1, 2});
  Graph g = importOne(split);
  REQUIRE(g.find("a") != nullptr);
  CHECK(g.find("a")->op == OpKind::Slice);
  CHECK(g.find("a")->shape == Dims{1, 1, 4, 4});
  CHECK(g.find("b")->attrInt("begin") == 1);
  CHECK(g.find("b")->shape == Dims{1, 2, 4, 4});
  node->mutable_attribute(1)->set_ints(1, 3);  // 1 + 3 is not the 3 channels
  CHECK(onnxError(split).find("split sizes [1,3] are not 2 positive parts of 3 channels") != std::string::npos);
  node->mutable_attribute(0)->set_i(2);
  CHECK(onnxError(split).find("only a split of the channels (axis 1) is supported, not axis 2") != std::string::npos);
}

TEST_CASE("ONNX: shape subgraphs fold at import; an If on a shape test imports the branch it takes") {
  // y = If(Shape(x)[1] == 3, relu(r), neg(r)), r = Reshape(x, Concat(Unsqueeze(Shape(x)[0]), [3, 16]))
  onnx::ModelProto m = oneNode("Relu");
  onnx::GraphProto *g = m.mutable_graph();
  g->clear_node();
  addInt64s(g, "zero", {}, {0});
  addInt64s(g, "one", {}, {1});
  addInt64s(g, "three", {}, {3});
  addInt64s(g, "axes", {1}, {0});
  addInt64s(g, "rest", {2}, {3, 16});
  addNode(g, "Shape", {"x"}, "s");
  addNode(g, "Gather", {"s", "zero"}, "batch");
  addNode(g, "Unsqueeze", {"batch", "axes"}, "batch1");
  addNode(g, "Concat", {"batch1", "rest"}, "target")->add_attribute()->set_name("axis");
  addNode(g, "Reshape", {"x", "target"}, "r");
  addNode(g, "Gather", {"s", "one"}, "channels");
  addNode(g, "Equal", {"channels", "three"}, "is3");
  onnx::NodeProto *branch = addNode(g, "If", {"is3"}, "y");
  for (auto [name, op] : {std::pair{"then_branch", "Relu"}, {"else_branch", "Neg"}}) {
    onnx::AttributeProto *a = branch->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::GRAPH);
    a->mutable_g()->set_name(name);
    addNode(a->mutable_g(), op, {"r"}, std::string(name) + "_out");
    a->mutable_g()->add_output()->set_name(std::string(name) + "_out");
  }
  g->mutable_node(3)->mutable_attribute(0)->set_type(onnx::AttributeProto::INT);
  g->mutable_node(3)->mutable_attribute(0)->set_i(0);
  Graph imported = importOne(m);
  CHECK(printGraph(imported).find("r = reshape(x, shape=3x16)") != std::string::npos);
  REQUIRE(imported.find("then_branch_out") != nullptr);
  CHECK(imported.find("then_branch_out")->op == OpKind::Relu);
  CHECK(imported.find("else_branch_out") == nullptr);
  CHECK(imported.nodes().size() == 3);  // x, r and the relu: the shape arithmetic left no node

  g->mutable_node(6)->set_input(0, "batch");  // Shape(x)[0] == 3 is false: the else branch
  Graph other = importOne(m);
  CHECK(other.find("else_branch_out") != nullptr);

  onnx::ModelProto computed = oneNode("Gather");
  computed.mutable_graph()->mutable_node(0)->add_input("zero");
  addInt64s(computed.mutable_graph(), "zero", {}, {0});
  CHECK(onnxError(computed).find("'x' is computed; Deeper evaluates Gather at import, on constants and shapes only") != std::string::npos);
  onnx::ModelProto huge = oneNode("ConstantOfShape");
  huge.mutable_graph()->mutable_node(0)->set_input(0, "shape");
  addInt64s(huge.mutable_graph(), "shape", {3}, {100000, 100000, 100000});
  CHECK(onnxError(huge).find("is too large to fold") != std::string::npos);
  onnx::ModelProto test = oneNode("If");
  CHECK(onnxError(test).find("its condition is computed") != std::string::npos);
}

TEST_CASE("ONNX: Squeeze and Unsqueeze of computed values are reshapes; a square unsqueezed but not for an LRN too") {
  onnx::ModelProto m = oneNode("Mul");
  onnx::GraphProto *g = m.mutable_graph();
  g->mutable_node(0)->add_input("x");
  g->mutable_node(0)->set_output(0, "sq");
  addInt64s(g, "one", {1}, {1});
  addInt64s(g, "two", {1}, {2});
  addNode(g, "Unsqueeze", {"sq", "one"}, "u");
  addNode(g, "Squeeze", {"u", "one"}, "y");
  Graph imported = importOne(m);
  CHECK(printGraph(imported).find("u = reshape(n1, shape=1x3x4x4)") != std::string::npos);  // n1: x * x
  CHECK(printGraph(imported).find("y = reshape(u, shape=3x4x4)") != std::string::npos);
  g->mutable_node(2)->set_input(1, "two");  // axis 2 of [1,1,3,4,4] has size 3
  CHECK(onnxError(m).find("squeezes axis 2 of size 3") != std::string::npos);
  addInt64s(g, "zero", {1}, {0});
  g->mutable_node(2)->set_input(1, "zero");
  CHECK(onnxError(m).find("node 'y' (Squeeze): moves the batch axis 0") != std::string::npos);
  g->mutable_node(2)->mutable_input()->RemoveLast();
  CHECK(onnxError(m).find("node 'y' (Squeeze): give the axes") != std::string::npos);

  // Padded along the channels as an LRN is, then read by something else: an error naming it.
  onnx::ModelProto padded = oneNode("Mul");
  g = padded.mutable_graph();
  g->mutable_node(0)->add_input("x");
  g->mutable_node(0)->set_output(0, "sq");
  addInt64s(g, "one", {1}, {1});
  addInt64s(g, "pads", {10}, {0, 0, 1, 0, 0, 0, 0, 1, 0, 0});
  addNode(g, "Unsqueeze", {"sq", "one"}, "u");
  addNode(g, "Pad", {"u", "pads"}, "p");
  addNode(g, "Relu", {"p"}, "y");
  CHECK(onnxError(padded).find("node 'y' (Relu): reads 'p', part of a local response normalisation written out in elementwise ops") !=
        std::string::npos);
}

TEST_CASE("ONNX: PRelu takes one slope or one per channel, broadcast along axis 1; any other slope is refused") {
  for (Dims slopeShape : {Dims{3, 1, 1}, Dims{1, 3, 1, 1}, Dims{1}}) {
    onnx::ModelProto prelu = oneNode("PRelu");
    prelu.mutable_graph()->mutable_node(0)->add_input("slope");
    addInitializer(prelu, "slope", slopeShape);
    CAPTURE(dimsString(slopeShape));
    Graph g = importOne(prelu);
    REQUIRE(g.find("n1") != nullptr);
    CHECK(g.find("n1")->op == OpKind::PRelu);
    CHECK(g.weights.at("n1.slope").shape == Dims{3});
  }
  onnx::ModelProto lastAxis = oneNode("PRelu");
  lastAxis.mutable_graph()->mutable_node(0)->add_input("slope");
  addInitializer(lastAxis, "slope", {4});  // along W of [1,3,4,4], not the channels
  CHECK(onnxError(lastAxis).find("its slope f32[4] is neither one value nor one per channel of f32[1,3,4,4]") != std::string::npos);
}

TEST_CASE("ONNX folding computes as ONNX does: slices with negative steps, ranges, where, casts, squeezes") {
  FoldedTensor ten = folded({10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  FoldedTensor start = folded({1}, {-1}), end = folded({1}, {-100}), axes = folded({1}, {0}), step = folded({1}, {-3});
  CHECK(foldedValues("Slice", {&ten, &start, &end, &axes, &step}) == std::vector<double>{9, 6, 3, 0});
  FoldedTensor one = folded({}, {1}), ten0 = folded({}, {10}), three = folded({}, {3});
  CHECK(foldedValues("Range", {&one, &ten0, &three}) == std::vector<double>{1, 4, 7});
  FoldedTensor cond = folded({2}, {1, 0}, onnx::TensorProto::BOOL), a = folded({1}, {5}), b = folded({2}, {7, 8});
  CHECK(foldedValues("Where", {&cond, &a, &b}) == std::vector<double>{5, 8});
  FoldedTensor real = folded({2}, {2.7, -2.7}, onnx::TensorProto::FLOAT);
  CHECK(foldedValues("Cast", {&real}, nullptr, [](onnx::NodeProto &n) {
          auto *to = n.add_attribute();
          to->set_name("to");
          to->set_i(onnx::TensorProto::INT64);
        }) == std::vector<double>{2, -2});
  Dims shape;
  FoldedTensor column = folded({1, 3, 1}, {1, 2, 3});
  foldedValues("Squeeze", {&column}, &shape);
  CHECK(shape == Dims{3});
  FoldedTensor two = folded({2}, {4, 5});
  CHECK(foldedValues("Concat", {&two, &a}, &shape, [](onnx::NodeProto &n) { n.add_attribute()->set_name("axis"); }) ==
        std::vector<double>{4, 5, 5});
  FoldedTensor matrix = folded({2, 3}, {1, 2, 3, 4, 5, 6}), index = folded({2}, {-1, 0});
  CHECK(foldedValues("Gather", {&matrix, &index}, &shape, [](onnx::NodeProto &n) {
          auto *axis = n.add_attribute();
          axis->set_name("axis");
          axis->set_i(1);
        }) == std::vector<double>{3, 1, 6, 4});
  CHECK(shape == Dims{2, 2});
  FoldedTensor zero = folded({1}, {0});
  CHECK(test::userErrorOf([&] { foldedValues("Div", {&two, &zero}); }).find("m.onnx: node 'f' (Div): divides an integer by zero") != std::string::npos);
}

TEST_CASE("ONNX: unsupported content is an error naming the node and what is supported") {
  CHECK(test::userErrorOf([] { parseModel("not a model", "m.onnx"); }).find("'m.onnx' is not an ONNX model") != std::string::npos);
  std::string msg = onnxError(oneNode("Sin"));
  CHECK(msg.find("node 'n1' (Sin): op 'Sin' is not supported; supported: Abs, Add, AveragePool") != std::string::npos);
  CHECK(onnxError(oneNode("Relu", 18)).find("opset 18 is not supported (opsets 1 to 17)") != std::string::npos);

  onnx::ModelProto conv = oneNode("Conv");
  conv.mutable_graph()->mutable_node(0)->add_input("w");
  addInitializer(conv, "w", {2, 3, 3, 3});
  setAttr(conv, "pads", {0, 0, 1, 1});
  Graph asymmetric = importOne(conv);  // pads [top, left, bottom, right] = [0, 0, 1, 1]
  CHECK(asymmetric.find("n1")->attrDims("pad") == Dims{0, 0, 1, 1});
  CHECK(asymmetric.find("n1")->shape == Dims{1, 2, 3, 3});
  CHECK(printGraph(asymmetric).find("pad=0x0x1x1") != std::string::npos);

  onnx::ModelProto group = oneNode("Conv");
  group.mutable_graph()->mutable_node(0)->add_input("w");
  addInitializer(group, "w", {3, 1, 3, 3});
  setAttr(group, "group", {3}, false);
  Graph depthwise = importOne(group);
  CHECK(depthwise.find("n1")->attrInt("groups") == 3);
  CHECK(depthwise.find("n1")->shape == Dims{1, 3, 2, 2});
  group.mutable_graph()->mutable_node(0)->mutable_attribute(0)->set_i(2);  // 3 channels do not split into 2 groups
  CHECK(onnxError(group).find("groups=2 must divide the input channels (3)") != std::string::npos);

  onnx::ModelProto dangling = oneNode("Relu");
  dangling.mutable_graph()->mutable_node(0)->set_input(0, "nowhere");
  CHECK(onnxError(dangling).find("reads 'nowhere', which no node or input defines") != std::string::npos);
}

TEST_CASE("ONNX: external data only from files inside the model's folder") {
  test::TempDir tmp;
  onnx::ModelProto m = oneNode("Conv");
  m.mutable_graph()->mutable_node(0)->add_input("w");
  onnx::TensorProto *w = addInitializer(m, "w", {2, 3, 1, 1});
  w->clear_float_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto *location = w->add_external_data();
  location->set_key("location");
  for (const char *bad : {"/etc/passwd", "../w.bin", "sub/../../w.bin"}) {
    location->set_value(bad);
    CHECK(onnxError(m, tmp.path).find("must be a relative path inside the model's folder") != std::string::npos);
  }
  std::vector<float> values(6, 0.25f);
  writeFileAtomic(tmp.path + "/w.bin", std::string(reinterpret_cast<const char *>(values.data()), 24));
  location->set_value("w.bin");
  std::string bytes;
  m.SerializeToString(&bytes);
  Graph g = parseModel(bytes, tmp.path + "/m.onnx");
  CHECK(g.weights.at("n1.weight").data == values);
  writeFileAtomic(tmp.path + "/w.bin", "short");
  CHECK(onnxError(m, tmp.path).find("raw data size (5 bytes) does not match its dims (24 bytes)") != std::string::npos);
}
