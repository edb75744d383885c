// Importers: Caffe .prototxt.
#include "TestUtil.h"
#include "ir/Printer.h"
#include "passes/PassManager.h"

#include <doctest/doctest.h>

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
  std::string caffe = inferenceIr(test::sourcePath("../shared/models/bvlc_googlenet.prototxt"));
  CHECK(caffe == inferenceIr(test::googlenetPath()));
  CHECK(caffe.find("@inception_5b:inception") != std::string::npos);  // modules recognised from the structure
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
  CHECK(g.find("c")->attrDims("pad") == Dims{0, 1});
  CHECK(g.find("p")->inputs[0] == g.find("r"));  // the in-place relu replaced blob "c"
  CHECK(g.find("p")->attrDims("kernel") == Dims{7, 11});
  CHECK_FALSE(g.find("q")->attrBool("ceil"));
  REQUIRE(g.outputs.size() == 2);
  CHECK(g.outputs[0].node->name == "p");
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
            .find("group or dilation") != std::string::npos);
  CHECK(caffeError("layers { name: \"a\" }\n").find("V1 'layers' networks are not supported") != std::string::npos);
  CHECK(caffeError("input: \"x\"\ninput_dim: 1 input_dim: three\n").find("'three' is not a positive dimension") != std::string::npos);
}
