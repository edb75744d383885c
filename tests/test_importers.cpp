// Importers: Caffe .prototxt and ONNX.
#include "OnnxTestUtil.h"
#include "TestUtil.h"
#include "ir/Printer.h"
#include "frontend/OnnxExporter.h"
#include "passes/PassManager.h"
#include "reference/Executor.h"
#include "reference/Weights.h"

#include <doctest/doctest.h>

#include <sstream>

using namespace deeper;

namespace {

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
  CHECK(onnxError(conv).find("input 'x' must be a constant") != std::string::npos);
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
output t
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
output c
output p
)";
  Graph g = test::parse(text);
  TensorMap weights = initWeights(g, 5);
  Graph back = parseModel(exportOnnx(g, weights), "fused.onnx");
  CHECK(back.nodesOfOp(OpKind::Slice).size() == 2);
  CHECK(back.nodesOfOp(OpKind::Conv).size() == 5);  // the fused reduce is a conv of its own again
  CHECK(back.nodesOfOp(OpKind::MaxPool).size() == 1);  // and the fused output pool a pool
  TensorMap inputs = {{"x", syntheticInput({2, 6, 7, 7}, "x", 1)}};
  // Outputs keep their names; the nodes computing them are named after the ONNX nodes ("p:output_pool").
  auto nodeOf = [&](const std::string &output) {
    for (const GraphOutput &o : back.outputs())
      if (o.name == output || (o.name.empty() && o.node->name == output)) return o.node->name;
    return output;
  };
  for (const char *output : {"c", "p"}) {
    Tensor want = ReferenceExecutor(g, weights).run(inputs).at(output);
    Tensor got = ReferenceExecutor(back, back.weights).run(inputs).at(nodeOf(output));
    REQUIRE(got.shape == want.shape);
    for (size_t i = 0; i < got.data.size(); ++i) CHECK(got.data[i] == doctest::Approx(want.data[i]).epsilon(1e-6));
  }
}

TEST_CASE("ONNX: unsupported content is an error naming the node and what is supported") {
  CHECK(test::userErrorOf([] { parseModel("not a model", "m.onnx"); }).find("'m.onnx' is not an ONNX model") != std::string::npos);
  std::string msg = onnxError(oneNode("Sin"));
  CHECK(msg.find("node 'n1' (Sin): op 'Sin' is not supported; supported: Conv, Relu") != std::string::npos);
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
