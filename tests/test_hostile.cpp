// Hostile and malformed input (README, "Reliability"): each case was a crash, a hang, an escape from the
// model's folder or a silently accepted nonsense before; each must now be a clean UserError.
#include "OnnxTestUtil.h"
#include "TestUtil.h"
#include "frontend/Builder.h"
#include "ir/Printer.h"
#include "passes/PassManager.h"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace deeper;
using namespace deeper::test::onnx_models;

namespace {

/// oneNode("Conv") reading weights "w" [2,3,1,1] from external data with these key/value pairs.
onnx::ModelProto externalConv(const std::vector<std::pair<std::string, std::string>> &keys, std::vector<int64_t> dims = {2, 3, 1, 1}) {
  onnx::ModelProto m = oneNode("Conv");
  m.mutable_graph()->mutable_node(0)->add_input("w");
  onnx::TensorProto *w = addInitializer(m, "w", {});
  for (int64_t d : dims) w->add_dims(d);
  w->clear_float_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto &[key, value] : keys) {
    auto *e = w->add_external_data();
    e->set_key(key);
    e->set_value(value);
  }
  return m;
}

void writeFloats(const std::string &path, size_t count) {
  std::vector<float> values(count, 0.25f);
  writeFileAtomic(path, std::string(reinterpret_cast<const char *>(values.data()), values.size() * 4));
}

}  // namespace

TEST_CASE("ONNX external data: links, FIFOs and devices are refused, never followed or read") {
  test::TempDir tmp, outside;
  writeFloats(outside.path + "/secret.bin", 6);
  writeFloats(tmp.path + "/w.bin", 6);
  REQUIRE(symlink((outside.path + "/secret.bin").c_str(), (tmp.path + "/link.bin").c_str()) == 0);
  REQUIRE(symlink(outside.path.c_str(), (tmp.path + "/dir").c_str()) == 0);
  REQUIRE(symlink("w.bin", (tmp.path + "/inside.bin").c_str()) == 0);  // even to a file inside: a link is a link
  REQUIRE(symlink("/dev/zero", (tmp.path + "/zero.bin").c_str()) == 0);
  REQUIRE(mkfifo((tmp.path + "/fifo.bin").c_str(), 0600) == 0);
  for (const char *location : {"link.bin", "dir/secret.bin", "inside.bin", "zero.bin"})
    CHECK_MENTIONS(onnxError(externalConv({{"location", location}}), tmp.path), "never through a link");
  CHECK_MENTIONS(onnxError(externalConv({{"location", "fifo.bin"}}), tmp.path), "is a FIFO, not a regular file");  // and does not block
  CHECK_MENTIONS(onnxError(externalConv({{"location", "."}}), tmp.path), "names no file");
  std::string bytes;
  externalConv({{"location", "w.bin"}}).SerializeToString(&bytes);
  CHECK(parseModel(bytes, tmp.path + "/m.onnx").weights.at("n1.weight").data == std::vector<float>(6, 0.25f));
}

TEST_CASE("ONNX external data: offset and length are decimal byte counts, and only the tensor's bytes are read") {
  test::TempDir tmp;
  writeFloats(tmp.path + "/w.bin", 8);  // 32 bytes: the tensor's 24 fit at offsets 0 to 8
  for (const char *bad : {"abc", "", "0x10", "99999999999999999999", "-1", " 4", "4 "}) {
    CHECK_MENTIONS(onnxError(externalConv({{"location", "w.bin"}, {"offset", bad}}), tmp.path), "is not a decimal byte count");
    CHECK_MENTIONS(onnxError(externalConv({{"location", "w.bin"}, {"length", bad}}), tmp.path), "is not a decimal byte count");
  }
  std::string bytes;
  externalConv({{"location", "w.bin"}, {"offset", "8"}, {"length", "24"}}).SerializeToString(&bytes);
  CHECK(parseModel(bytes, tmp.path + "/m.onnx").weights.at("n1.weight").numel() == 6);
  CHECK_MENTIONS(onnxError(externalConv({{"location", "w.bin"}, {"offset", "12"}, {"length", "24"}}), tmp.path), "lie outside the file");
  CHECK_MENTIONS(onnxError(externalConv({{"location", "w.bin"}, {"length", "28"}}), tmp.path), "(28 bytes) does not match its dims (24 bytes)");
  CHECK_MENTIONS(onnxError(externalConv({{"location", "w.bin"}, {"offset", "18446744073709551615"}, {"length", "24"}}), tmp.path),
                 "lie outside the file");
  // 2^48 floats claimed: refused from the file's size, before anything is allocated.
  CHECK_MENTIONS(onnxError(externalConv({{"location", "w.bin"}}, {1 << 24, 1 << 24, 1, 1}), tmp.path), "does not match its dims");
  CHECK_MENTIONS(onnxError(externalConv({{"location", "w.bin"}}, {int64_t(1) << 62, 4, 1, 1}), tmp.path), "dims are negative or too large");
}

TEST_CASE("ONNX: window attributes are checked before any arithmetic on them") {
  onnx::ModelProto same = oneNode("Conv");
  same.mutable_graph()->mutable_node(0)->add_input("w");
  addInitializer(same, "w", {2, 3, 3, 3});
  setStringAttr(same, "auto_pad", "SAME_UPPER");
  setAttr(same, "strides", {0, 1});  // divided by before: SIGFPE
  CHECK_MENTIONS(onnxError(same), "node 'n1' (Conv): 'strides' values must lie in 1..2147483647, got 0");

  onnx::ModelProto bogus = oneNode("MaxPool");
  setAttr(bogus, "kernel_shape", {2, 2});
  setStringAttr(bogus, "auto_pad", "BOGUS");  // read as NOTSET before
  CHECK_MENTIONS(onnxError(bogus), "node 'n1' (MaxPool): auto_pad 'BOGUS' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");

  onnx::ModelProto huge = oneNode("MaxPool");
  setAttr(huge, "kernel_shape", {int64_t(1) << 62, 2});
  setAttr(huge, "dilations", {int64_t(1) << 62, 1});
  CHECK_MENTIONS(onnxError(huge), "'dilations' values must lie in 1..2147483647");

  onnx::ModelProto typed = oneNode("Conv");
  typed.mutable_graph()->mutable_node(0)->add_input("w");
  addInitializer(typed, "w", {3, 1, 3, 3});
  auto *group = typed.mutable_graph()->mutable_node(0)->add_attribute();
  group->set_name("group");
  group->set_type(onnx::AttributeProto::FLOAT);
  group->set_f(3);
  CHECK_MENTIONS(onnxError(typed), "attribute 'group' must be of type INT, it is FLOAT");

  onnx::ModelProto lrn = oneNode("LRN");
  setAttr(lrn, "size", {int64_t(1) << 40}, false);
  CHECK_MENTIONS(onnxError(lrn), "attribute 'size' holds 1099511627776, beyond the magnitude 2^31");
}

TEST_CASE("ONNX: a value has one producer, a graph has outputs, a node has an output") {
  onnx::ModelProto twice = oneNode("Relu");
  onnx::NodeProto *second = twice.mutable_graph()->add_node();
  second->set_op_type("Relu");
  second->set_name("n2");
  second->add_input("x");
  second->add_output("y");  // the last silently won before
  CHECK_MENTIONS(onnxError(twice), "node 'n2' (Relu): value 'y' is already produced by node 'n1'");

  onnx::ModelProto shadow = oneNode("Relu");
  addInitializer(shadow, "y", {1});
  CHECK_MENTIONS(onnxError(shadow), "value 'y' is already produced by an initializer");

  onnx::ModelProto none = oneNode("Relu");
  none.mutable_graph()->clear_output();  // exit 0 with nothing printed before
  CHECK_MENTIONS(onnxError(none), "the graph declares no outputs");

  onnx::ModelProto outputless = oneNode("Relu");
  outputless.mutable_graph()->mutable_node(0)->clear_output();
  CHECK_MENTIONS(onnxError(outputless), "node 'n1' (Relu): has no output");
}

TEST_CASE("ONNX: huge or empty shapes are errors, not overflows or reads of nothing") {
  onnx::ModelProto reshape = oneNode("Reshape", 4);
  setAttr(reshape, "shape", {int64_t(1) << 40, int64_t(1) << 40, -1});  // signed overflow in the product before
  CHECK_MENTIONS(onnxError(reshape), "the shape [1099511627776,1099511627776,-1] has too many elements");

  onnx::ModelProto empty = oneNode("Conv");
  empty.mutable_graph()->mutable_node(0)->add_input("w");
  addInitializer(empty, "w", {0, 3, 1, 1});  // memcpy from a null pointer before
  CHECK_MENTIONS(onnxError(empty), "tensor 'w': has no elements (a dim is 0)");
  onnx::ModelProto emptyRaw = oneNode("Conv");
  emptyRaw.mutable_graph()->mutable_node(0)->add_input("w");
  addInitializer(emptyRaw, "w", {0, 3, 1, 1})->set_raw_data("");
  CHECK_MENTIONS(onnxError(emptyRaw), "tensor 'w': has no elements (a dim is 0)");

  onnx::ModelProto legacy = oneNode("Add", 6);  // a legacy broadcast axis far outside the input's rank
  legacy.mutable_graph()->mutable_node(0)->add_input("b");
  addInitializer(legacy, "b", {3});
  setAttr(legacy, "broadcast", {1}, false);
  setAttr(legacy, "axis", {-(int64_t(1) << 40)}, false);
  CHECK_MENTIONS(onnxError(legacy), "does not place a rank-1 operand inside f32[1,3,4,4]");
}

TEST_CASE("the CLI turns every failure into one error line and status 1, never a signal") {
  test::TempDir tmp;
  onnx::ModelProto same = oneNode("Conv");
  same.mutable_graph()->mutable_node(0)->add_input("w");
  addInitializer(same, "w", {2, 3, 3, 3});
  setStringAttr(same, "auto_pad", "SAME_UPPER");
  setAttr(same, "strides", {0, 0});
  std::string bytes;
  same.SerializeToString(&bytes);
  writeFileAtomic(tmp.path + "/fpe.onnx", bytes);
  externalConv({{"location", "w.bin"}, {"offset", "abc"}}).SerializeToString(&bytes);
  writeFileAtomic(tmp.path + "/offset.onnx", bytes);
  for (const char *model : {"fpe.onnx", "offset.onnx"}) {
    test::CliResult r = test::runDeeper("ir " + tmp.path + "/" + model);
    CHECK(r.status == 1);
    CHECK(r.output.rfind("error: ", 0) == 0);
  }
  REQUIRE(mkfifo((tmp.path + "/pipe.dnet").c_str(), 0600) == 0);  // a FIFO as the model: refused, not waited on
  test::CliResult fifo = test::runDeeper("ir " + tmp.path + "/pipe.dnet");
  CHECK(fifo.status == 1);
  CHECK_MENTIONS(fifo.output, "is a FIFO, not a regular file");
}

TEST_CASE("deep nesting is a depth error, not a stack overflow") {
  std::string dnet = "block b0(x) {\n  y = relu(x)\n  return y\n}\n";
  for (int i = 1; i < 20000; ++i) dnet += fmt::format("block b{}(x) {{\n  y = b{}(x)\n  return y\n}}\n", i, i - 1);
  dnet += "data = input(shape=1x2x2)\nz = b19999(data)\noutput z\n";
  CHECK_MENTIONS(test::userErrorOf([&] { test::parse(dnet); }), "error: blocks instantiate blocks more than 100 levels deep");
  std::string shallow = "block b0(x) {\n  y = relu(x)\n  return y\n}\n";
  for (int i = 1; i < 100; ++i) shallow += fmt::format("block b{}(x) {{\n  y = b{}(x)\n  return y\n}}\n", i, i - 1);
  CHECK(test::parse(shallow + "data = input(shape=1x2x2)\nz = b99(data)\noutput z\n").outputs().at(0).node->op == OpKind::Relu);

  std::string prototxt = std::string(50000 * 3, ' ');
  for (int i = 0; i < 50000; ++i) prototxt.replace(3 * i, 3, "a {");
  prototxt += std::string(50000, '}');
  CHECK_MENTIONS(test::userErrorOf([&] { test::parse(prototxt, "deep.prototxt"); }), "deep.prototxt:1:303: error: messages nest more than 100 deep");
}

namespace {

/// Every pass, opt-in ones too, in the default order with the opt-in ones where they belong.
std::vector<std::string> everyPass() {
  return {"shape-inference", "inference-cleanup",  "batchnorm-folding", "epilogue-fusion", "channel-shuffle-fusion", "reduce-conv-fusion-everywhere",
          "sibling-merge",   "pool-proj-fusion",   "concat-elision",    "branch-schedule-everywhere",
          "output-copies",   "channels-last"};
}

/// A graph of one op repeated `n` times in a shape that made some pass quadratic before.
Graph wideGraph(const std::string &shape, int n) {
  Graph g;
  GraphBuilder b(g);
  Node *x = b.input("x", {4, 2, 2});
  std::vector<Node *> many;
  if (shape == "conv+relu into one concat") {  // epilogue-fusion, concat-elision: a users() scan per node
    for (int i = 0; i < n; ++i) many.push_back(b.relu(fmt::format("r{}", i), b.conv(fmt::format("c{}", i), x, ConvOptions{1, 1})));
    b.output(b.concat("cat", many));
  } else if (shape == "1x1 siblings") {  // sibling-merge: a merged name that grew with every sibling
    for (int i = 0; i < n; ++i) many.push_back(b.maxpool(fmt::format("p{}", i), b.conv(fmt::format("s{}", i), x, ConvOptions{1, 1}), PoolOptions{1}));
    b.output(b.concat("cat", many));
  } else if (shape == "relu chain into fc") {  // channels-last: one drop per sweep of every value
    Node *r = b.relu("r0", x);
    for (int i = 1; i < n; ++i) r = b.relu(fmt::format("r{}", i), r);
    b.output(b.fc("fc", r, 2));
  } else if (shape == "concat chain") {  // branch-schedule: a walk of the whole graph per concat
    Node *v = b.relu("v0", x);
    for (int i = 0; i < n / 3; ++i)
      v = b.conv(fmt::format("v{}", i + 1), b.concat(fmt::format("cat{}", i), {v, b.relu(fmt::format("r{}", i), v)}), ConvOptions{4, 1});
    b.output(v);
  } else if (shape == "many outputs") {  // isOutput scanned every output
    for (int i = 0; i < n; ++i) b.output(b.conv(fmt::format("c{}", i), x, ConvOptions{1, 1}));
  }
  return g;
}

}  // namespace

// No timing threshold: a pass that turned quadratic again would take minutes here (50,000^2 steps)
// and trip the test's ctest timeout; linear, the whole case takes seconds.
TEST_CASE("every pass stays near-linear on wide and long graphs of 50,000 nodes") {
  constexpr int n = 50000;
  for (const char *shape : {"conv+relu into one concat", "1x1 siblings", "relu chain into fc", "concat chain", "many outputs"}) {
    INFO(shape);
    Graph g = wideGraph(shape, n);
    PassOptions o;
    o.pipeline = everyPass();
    o.verifyEach = true;  // also checks the use lists after every pass
    runPasses(g, o);
    CHECK(g.checkBookkeeping().empty());
    if (std::string(shape) == "conv+relu into one concat") CHECK(g.nodesOfOp(OpKind::Relu).empty());
    if (std::string(shape) == "1x1 siblings") CHECK(g.find("s0_and_49999_more")->attrInt("out") == n);
    if (std::string(shape) == "relu chain into fc") CHECK(g.find("r0")->attrWord("layout") == "nchw");
    if (std::string(shape) == "concat chain") CHECK(g.find("cat0")->attrWord("branches") == "concurrent");
    if (std::string(shape) == "many outputs") CHECK(g.outputs().size() == static_cast<size_t>(n));
  }
}

TEST_CASE("names from model files print as IR that parses back, quoted where they are not plain") {
  onnx::ModelProto m = oneNode("Relu");
  m.mutable_graph()->set_name("net \"v1\"\nwith a */ in it");
  m.mutable_graph()->mutable_node(0)->set_name("onnx::Relu_3 & \\co");
  m.mutable_graph()->mutable_node(0)->set_output(0, "1.5e3");  // reads as a number when plain
  m.mutable_graph()->mutable_output(0)->set_name("1.5e3");
  Graph g = importOne(m);
  std::string text = printGraph(g);
  CHECK_MENTIONS(text, "\"onnx::Relu_3 & \\\\co\" = relu(x)");
  CHECK_MENTIONS(text, "output \"1.5e3\" = \"onnx::Relu_3 & \\\\co\"");
  CHECK(printGraph(test::parse(text, "odd.ir")) == text);
  CHECK_MENTIONS(test::userErrorOf([] { test::parse("x = input(shape=1)\n\"y = relu(x)\n"); }), "test.dnet:2:1: error: unterminated quoted name");
  CHECK_MENTIONS(test::userErrorOf([] { test::parse("x = input(shape=1)\n\"\" = relu(x)\n"); }), "a quoted name must not be empty");
}

TEST_CASE("names from model files cannot become code in the generated C++") {
  test::TempDir tmp;
  onnx::ModelProto m = oneNode("Relu");
  m.mutable_graph()->set_name("net */ int injected_header = 1; /*");
  m.mutable_graph()->mutable_node(0)->set_name("n\n}; int injected_glue = 1; //");
  m.mutable_graph()->mutable_node(0)->set_output(0, "y\"\\\n");
  m.mutable_graph()->mutable_output(0)->set_name("y\"\\\n");
  std::string bytes;
  m.SerializeToString(&bytes);
  writeFileAtomic(tmp.path + "/odd.onnx", bytes);
  test::CliResult r = test::runDeeper("compile " + tmp.path + "/odd.onnx -o " + tmp.path + "/out");
  INFO(r.output);
  REQUIRE(r.status == 0);
  std::string glue, header;
  for (const auto &f : std::filesystem::directory_iterator(tmp.path + "/out")) {
    std::string name = f.path().filename().string();
    if (name.size() > 9 && name.compare(name.size() - 9, 9, "_glue.cpp") == 0) glue = readFile(f.path().string());
    if (name.size() > 2 && name.compare(name.size() - 2, 2, ".h") == 0 && name != "deeper_runtime.h") header = readFile(f.path().string());
  }
  REQUIRE(!glue.empty());
  REQUIRE(!header.empty());
  CHECK(glue.find("\nint injected_glue") == std::string::npos);
  CHECK(glue.find("\"n\\012}; int injected_glue = 1; //\"") != std::string::npos);  // a string literal
  CHECK(header.find("*/ int injected_header") == std::string::npos);
}

TEST_CASE("names print on a terminal as escapes, never as control characters") {
  // ESC ] ... BEL retitles a terminal, ESC [2J clears it, U+009B is a one-character CSI to some.
  test::TempDir tmp;
  std::ofstream(tmp.path + "/esc.dnet") << "network \"net\\x1b]2;owned\\x07\"\nx = input(shape=5)\n"
                                           "\"\\x1b[2Jy\\xc2\\x9b\" = softmax(x)\noutput \"\\x1b[2Jy\\xc2\\x9b\"\n";
  std::ofstream(tmp.path + "/bad.dnet") << "network n\nx = input(shape=2x5x5)\n\"\\x1b[2Jz\" = maxpool(x, kernel=9x9)\noutput \"\\x1b[2Jz\"\n";
  auto printable = [](const std::string &text) {
    INFO(text);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\x07') == std::string::npos);
    CHECK(text.find("\xc2\x9b") == std::string::npos);
    CHECK(text.find("\\x1b") != std::string::npos);  // the name is there, escaped
  };
  const std::string model = tmp.path + "/esc.dnet";
  for (const std::string &args : {"summary " + model, "run " + model + " --synthetic-input", "run " + model + " --synthetic-input --top5",
                                  "run " + tmp.path + "/bad.dnet --synthetic-input"})
    printable(test::runDeeper(args).output);
  test::CliResult compiled = test::runDeeper("compile " + model + " -o " + tmp.path + "/out");
  REQUIRE(compiled.status == 0);
  printable(compiled.output);
  std::string exe = tmp.path + "/out/net__2_owned_";
  for (const char *args : {" --top5", " --profile 1", " --output \"$(printf 'y\\033[2J')=y.npy\""})
    printable(test::runShell(exe + args + " 2>&1").output);
}

TEST_CASE("sizes of 2^31 or more are refused, as the IR's types and compiled extents allow") {
  onnx::ModelProto m = oneNode("Relu");  // found by the ONNX fuzz target: printed IR that did not parse back
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(int64_t(1) << 31);
  CHECK_MENTIONS(onnxError(m), "input 'x' has a batch of 2147483648; at most 2^31 - 1");
  CHECK_MENTIONS(test::userErrorOf([] { test::parse("network n batch=2\nx = input(shape=1073741824)\nc = concat(x, x, x, axis=1)\noutput c\n"); }),
                 "has a dimension of 2^31 or more");
}

TEST_CASE("empty names are refused: they cannot be printed or referred to") {
  onnx::ModelProto m = oneNode("Relu");  // found by the ONNX fuzz target: IR that did not parse back
  m.mutable_graph()->mutable_input(0)->set_name("");
  m.mutable_graph()->mutable_node(0)->set_input(0, "");
  CHECK_MENTIONS(onnxError(m), "node '' (input): an empty name; every value needs one");
  Graph unnamed = parseModel("x = input(shape=2)\noutput x\n", "dir/.dnet");
  CHECK(unnamed.name == "model");
}

TEST_CASE("graphs the passes would leave empty, and empty size lists, are user errors") {
  // Found by the .dnet fuzz target: the verifier aborted after inference-cleanup removed every output.
  Graph training = test::parse("x = input(shape=2)\nf = fc(x, out=2)\noutput f training\n");
  CHECK_MENTIONS(test::userErrorOf([&] { runPasses(training, PassOptions{}); }),
                 "every output of 'test' is training-only ('f'...), so inference computes nothing");
  // Found by the ONNX fuzz target: an input of the batch axis alone printed as 'shape=', which does not parse.
  onnx::ModelProto m = oneNode("Relu");
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->clear_dim();
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(2);
  CHECK_MENTIONS(onnxError(m), "attribute 'shape' lists no sizes; a value has at least one axis besides the batch");
}

TEST_CASE("ONNX SAME padding with a short 'pads' list writes only its own four values") {
  onnx::ModelProto pool = oneNode("MaxPool");  // found by the ONNX fuzz target: a heap write past an empty 'pads'
  setAttr(pool, "kernel_shape", {2, 2});
  setAttr(pool, "pads", {});
  setStringAttr(pool, "auto_pad", "SAME_LOWER");
  CHECK(importOne(pool).find("n1")->attrDims("pad") == Dims{1, 1, 0, 0});
}

TEST_CASE("ONNX learned tensors must have the shapes their nodes read them as") {
  onnx::ModelProto bn = oneNode("BatchNormalization");  // found by the ONNX fuzz target: folding read past a short scale
  for (const char *name : {"scale", "bias", "mean", "var"}) {
    bn.mutable_graph()->mutable_node(0)->add_input(name);
    addInitializer(bn, name, {std::string(name) == "scale" ? 2 : 3});
  }
  CHECK_MENTIONS(onnxError(bn), "node 'n1' (BatchNormalization): its scale is f32[2]; the node needs f32[3]");
}

TEST_CASE("empty graph names and empty learned tensors are refused or replaced, found by the fuzz campaign") {
  Graph unnamed = test::parse("name: \"\"\ninput: \"x\"\ninput_dim: 1 input_dim: 2 input_dim: 3 input_dim: 3\n"
                              "layer { name: \"r\" type: \"ReLU\" bottom: \"x\" top: \"r\" }\n",
                              "net.prototxt");
  CHECK(unnamed.name == "net");  // printed as `network ""`, which does not parse, before
  onnx::ModelProto gemm = oneNode("Gemm");  // B of 0 x 2^31 - 1: a transpose of 2^31 empty rows took seconds
  gemm.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->clear_dim();
  for (int d : {1, 2}) gemm.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(d);
  gemm.mutable_graph()->mutable_node(0)->add_input("b");
  addInitializer(gemm, "b", {0, (int64_t(1) << 31) - 1});
  CHECK_MENTIONS(onnxError(gemm), "tensor 'b': has no elements (a dim is 0)");
}

TEST_CASE("float attributes are finite numbers: NaN printed as IR that did not parse back, found by the fuzz campaign") {
  for (float bad : {std::nanf(""), -std::nanf(""), INFINITY, -INFINITY}) {
    onnx::ModelProto lrn = oneNode("LRN");
    setAttr(lrn, "size", {3}, false);
    onnx::AttributeProto *beta = lrn.mutable_graph()->mutable_node(0)->add_attribute();
    beta->set_name("beta");
    beta->set_type(onnx::AttributeProto::FLOAT);
    beta->set_f(bad);
    CHECK_MENTIONS(onnxError(lrn), "attribute 'beta' is ");
    CHECK_MENTIONS(onnxError(lrn), "a float attribute must be a finite number");
  }
  for (const char *bad : {"nan", "inf", "1e999"}) {
    std::string text = fmt::format("x = input(shape=2x3x3)\ny = lrn(x, beta={})\noutput y\n", bad);
    CHECK_MENTIONS(test::userErrorOf([&] { test::parse(text); }), "test.dnet:2:17: error: invalid value");
  }
  CHECK(printGraph(test::parse("x = input(shape=2x3x3)\ny = lrn(x, beta=-1e-30)\noutput y\n")).find("beta=-1e-30") != std::string::npos);
}

TEST_CASE("scratch folders a killed process left behind are removed by the next process; a live one's stay") {
  const std::string prefix = "deeper-test-orphan";
  int pipeFds[2];
  REQUIRE(pipe(pipeFds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // makes a folder, fills it, then dies the way kill -9 would: no destructors
    ScratchFolder folder(prefix);
    std::ofstream(folder.path() + "/partial.o") << "half";
    std::string path = folder.path();
    (void)!write(pipeFds[1], path.data(), path.size());
    _exit(0);
  }
  close(pipeFds[1]);
  char buffer[256] = {};
  ssize_t got = read(pipeFds[0], buffer, sizeof buffer - 1);
  close(pipeFds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(got > 0);
  std::string orphan(buffer, static_cast<size_t>(got));
  REQUIRE(std::filesystem::exists(orphan + "/partial.o"));

  ScratchFolder live(prefix);
  CHECK_FALSE(std::filesystem::exists(orphan));
  CHECK(std::filesystem::is_directory(live.path()));
  ScratchFolder another(prefix);  // this process is alive: its first folder stays
  CHECK(std::filesystem::is_directory(live.path()));
  CHECK(live.path() != another.path());

  // A folder whose pid is gone but whose lock is held (its process lives in another pid namespace)
  // stays; once the lock is let go, it is an orphan.
  std::string held = orphan + "-held";
  REQUIRE(std::filesystem::create_directory(held));
  int lock = open(held.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(flock(lock, LOCK_EX) == 0);
  { ScratchFolder third(prefix); }
  CHECK(std::filesystem::is_directory(held));
  close(lock);
  { ScratchFolder fourth(prefix); }
  CHECK_FALSE(std::filesystem::exists(held));
}
