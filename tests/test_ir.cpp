// Graph IR: op table, builder, verifier, textual round-trip, Graphviz.
#include "TestUtil.h"
#include "frontend/Builder.h"
#include "ir/Graphviz.h"
#include "ir/OpParams.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"

#include <doctest/doctest.h>

#include <set>

using namespace deeper;

TEST_CASE("the op table: unique names, parseable defaults, lookup by name") {
  std::set<std::string> names;
  for (const OpInfo &op : allOps()) {
    CHECK(names.insert(op.name).second);
    CHECK(findOp(op.name) == &op);
    CHECK(&opInfo(op.kind) == &op);
    for (const AttrSpec &a : op.attrs)
      if (a.defaultText) CHECK(formatAttrValue(a.defaultValue()) == formatAttrValue(*parseAttrValue(a.type, formatAttrValue(a.defaultValue()))));
  }
  for (const char *op : {"input", "conv", "maxpool", "avgpool", "lrn", "relu", "concat", "dropout", "fc", "softmax", "flatten"})
    CHECK(findOp(op) != nullptr);
  CHECK(findOp("convv") == nullptr);
  CHECK(opInfo(OpKind::Relu).pattern == PatternKind::Elementwise);
  CHECK(opInfo(OpKind::Conv).pattern == PatternKind::OutElementwiseFusable);
  CHECK(opInfo(OpKind::Concat).pattern == PatternKind::Injective);
}

TEST_CASE("the op table: traits, learned parameters in kernel order, word choices") {
  CHECK(opInfo(OpKind::Conv).has(optrait::Window));
  CHECK_FALSE(opInfo(OpKind::Conv).has(optrait::Pointwise));
  CHECK(opInfo(OpKind::Relu).has(optrait::Pointwise));
  CHECK(opInfo(OpKind::Flatten).has(optrait::Alias));
  CHECK(opInfo(OpKind::Input).has(optrait::NoKernel));
  CHECK(traitNames(opInfo(OpKind::Lrn).traits) == "window");

  std::vector<std::string> roles;
  for (const ParamInfo &p : opInfo(OpKind::Conv).params) roles.push_back(p.role);
  CHECK(roles == std::vector<std::string>{"weight", "bias", "reduce_weight", "reduce_bias"});
  CHECK(paramInfo(Param::ConvReduceBias).packing == Packing::PerChannel);
  CHECK(paramInfo(Param::FcWeight).packing == Packing::FcMatrix);
  CHECK(paramInfo(Param::BatchNormMean).kind == ParamKind::Mean);
  for (const OpInfo &op : allOps())
    for (const ParamInfo &p : op.params) CHECK(std::string(paramInfo(p.param).role) == p.role);  // the enum follows the table

  // Which parameters a node has follows its attributes: bias=false drops the bias, reduce=R adds two.
  Graph g = test::parse("x = input(shape=4x6x6)\na = conv(x, out=8, kernel=3, bias=false)\nb = conv(a, out=2, kernel=3, reduce=5)\noutput b\n");
  std::vector<Param> a, b;
  for (const ParamSpec &s : paramsOf(*g.find("a"))) a.push_back(s.param);
  for (const ParamSpec &s : paramsOf(*g.find("b"))) b.push_back(s.param);
  CHECK(a == std::vector<Param>{Param::ConvWeight});
  CHECK(b == std::vector<Param>{Param::ConvWeight, Param::ConvBias, Param::ConvReduceWeight, Param::ConvReduceBias});
  CHECK(paramsOf(*g.find("b"))[2].shape == Dims{5, 8, 1, 1});
  CHECK(tensorName(*g.find("b"), Param::ConvReduceWeight) == "b.reduce_weight");

  CHECK(opInfo(OpKind::Pad).findAttr("mode")->choiceList() == std::vector<std::string>{"constant", "reflect", "edge"});
  CHECK(opInfo(OpKind::Concat).findAttr("branches")->choiceList() == std::vector<std::string>{"sequential", "concurrent"});
  CHECK(opInfo(OpKind::Conv).findAttr("out")->choices == nullptr);
  CHECK_MENTIONS(test::userErrorOf([] { test::parse("x = input(shape=4x6x6)\nc = concat(x, x, branches=parallel)\noutput c\n"); }),
                 "unknown branches 'parallel'");
}

TEST_CASE("attribute values print and parse back") {
  CHECK(std::get<Dims>(*parseAttrValue(AttrType::Int2, "3")) == Dims{3, 3});
  CHECK(std::get<Dims>(*parseAttrValue(AttrType::Int2, "3x5")) == Dims{3, 5});
  CHECK_FALSE(parseAttrValue(AttrType::Int2, "3x5x7"));
  CHECK_FALSE(parseAttrValue(AttrType::Int, "1.5"));
  CHECK_FALSE(parseAttrValue(AttrType::Bool, "yes"));
  CHECK(formatAttrValue(*parseAttrValue(AttrType::Float, "0.0001")) == "0.0001");
  CHECK(formatAttrValue(*parseAttrValue(AttrType::Dims, "3x224x224")) == "3x224x224");
}

TEST_CASE("the builder API builds a checked graph") {
  Graph g;
  GraphBuilder b(g);
  Node *x = b.input("data", {3, 32, 32});
  Node *c = b.conv("c", x, ConvOptions{16, 3, 1, 1, true});
  Node *p = b.maxpool("p", c, PoolOptions{3, 2});
  Node *f = b.fc("f", b.flatten("flat", p), 10);
  b.output(b.softmax("prob", f));
  CHECK(p->shape == Dims{1, 16, 16, 16});  // ceil mode: ceil((32-3)/2)+1 = 16
  CHECK(g.find("flat")->shape == Dims{1, 4096});
  CHECK(verifyGraph(g).empty());
  // The builder reports errors like the parser, naming the node when it has no source location.
  std::string msg = test::userErrorOf([&] { b.conv("bad", x, ConvOptions{4, 40}); });
  CHECK(msg == "error: node 'bad' (conv): kernel 40x40 is larger than the padded input 32x32\nnote: use a smaller kernel or more padding");
  CHECK(test::userErrorOf([&] { b.relu("c", x); }).find("duplicate name 'c'") != std::string::npos);
  CHECK(test::userErrorOf([&] { b.add(OpKind::Relu, "r", {x}, {{"alpha", int64_t(1)}}); }).find("relu has no attribute 'alpha'") != std::string::npos);
}

TEST_CASE("the verifier finds broken invariants") {
  Graph g = test::parse("x = input(shape=3x8x8)\nc = conv(x, out=4, kernel=3)\nr = relu(c)\noutput r\n");
  CHECK(verifyGraph(g).empty());
  Node *c = g.find("c");
  c->shape = {1, 4, 8, 8};
  CHECK(verifyGraph(g).at(0).find("'c': shape f32[1,4,8,8] but its inputs give f32[1,4,6,6]") == 0);
  c->shape = {1, 4, 6, 6};
  c->attrs.erase("stride");
  CHECK(verifyGraph(g).at(0) == "'c': missing attribute 'stride'");
  c->attrs["stride"] = int64_t(1);
  CHECK(verifyGraph(g).at(0) == "'c': attribute 'stride' is not of type int2");
  c->attrs["stride"] = Dims{1, 1};
  auto threeInputs = std::make_unique<Node>(OpKind::Conv, "c2", std::vector<Node *>{g.find("x"), g.find("x"), g.find("x")});
  threeInputs->attrs = c->attrs;
  threeInputs->shape = c->shape;
  g.append(std::move(threeInputs));
  CHECK(verifyGraph(g).at(0) == "'c2': conv takes 1..2 inputs, has 3");
  g.removeDeadNodes();
  CHECK(verifyGraph(g).empty());
  g.removeOutputs([](const GraphOutput &) { return true; });
  CHECK(verifyGraph(g).at(0) == "the graph has no outputs");
}

TEST_CASE("GoogLeNet's IR prints, parses and prints identically after every pass") {
  Graph g = loadModel(test::googlenetPath());
  std::string text = printGraph(g);
  auto roundTrip = [](const std::string &printed) { return printGraph(test::parse(printed, "googlenet.ir")); };
  CHECK(roundTrip(text) == text);
  for (const std::string &pass : defaultPipeline()) {
    PassOptions o;
    o.pipeline = {pass};
    o.verifyEach = true;
    runPasses(g, o);
    std::string after = printGraph(g);
    INFO("after pass " << pass);
    CHECK(roundTrip(after) == after);
  }
}

TEST_CASE("Graphviz: block instances are clusters, fused epilogues are visible") {
  Graph g = loadModel(test::googlenetPath());
  std::string dot = graphToDot(g);
  CHECK(dot.rfind("digraph \"googlenet\" {", 0) == 0);
  size_t clusters = 0;
  for (size_t at = dot.find("subgraph cluster_"); at != std::string::npos; at = dot.find("subgraph cluster_", at + 1)) ++clusters;
  CHECK(clusters == 9 + 2);  // inception_3a..5b and the two auxiliary classifiers
  CHECK(dot.find("label=\"inception_3a (inception)\"") != std::string::npos);
  CHECK(dot.find("conv+relu") != std::string::npos);
  CHECK(dot.find("\"inception_3a/3x3_reduce\" -> \"inception_3a/3x3\";") != std::string::npos);
  // Three label lines, broken by dot's \n (one backslash: two would print a literal \n)
  CHECK_MENTIONS(dot, "[label=\"inception_3a/1x1\\nconv+relu\\n");
  CHECK(dot.find("\\\\n") == std::string::npos);
  CHECK(dot.back() == '\n');
}
