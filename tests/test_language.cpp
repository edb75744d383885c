// The .dnet language: tokens, statements, blocks, name resolution and ordering.
#include "TestUtil.h"
#include "frontend/Lexer.h"
#include "ir/Printer.h"

#include <doctest/doctest.h>

using namespace deeper;
using deeper::test::parse;

namespace {

std::vector<Token> tokens(const std::string &text) {
  return lex(std::make_shared<SourceFile>(SourceFile{"t.dnet", text}));
}

const char *kTiny = R"(
network tiny
x = input(shape=3x8x8)
c = conv(x, out=4, kernel=3, pad=1, relu=true)
output c
)";

}  // namespace

TEST_CASE("lexer tells names, sizes and numbers apart") {
  auto t = tokens("inception_3a/1x1 = conv(x, kernel=3x3, alpha=0.0001, beta=1e-4, pad=-1) # comment\n");
  std::vector<std::pair<TokenKind, std::string>> want = {
      {TokenKind::Word, "inception_3a/1x1"}, {TokenKind::Equals, "="}, {TokenKind::Word, "conv"},
      {TokenKind::LParen, "("}, {TokenKind::Word, "x"}, {TokenKind::Comma, ","}, {TokenKind::Word, "kernel"},
      {TokenKind::Equals, "="}, {TokenKind::Word, "3x3"}, {TokenKind::Comma, ","}, {TokenKind::Word, "alpha"},
      {TokenKind::Equals, "="}, {TokenKind::Number, "0.0001"}, {TokenKind::Comma, ","}, {TokenKind::Word, "beta"},
      {TokenKind::Equals, "="}, {TokenKind::Number, "1e-4"}, {TokenKind::Comma, ","}, {TokenKind::Word, "pad"},
      {TokenKind::Equals, "="}, {TokenKind::Number, "-1"}, {TokenKind::RParen, ")"}, {TokenKind::Newline, "\\n"}};
  REQUIRE(t.size() >= want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(t[i].kind == want[i].first);
    CHECK(t[i].text == want[i].second);
  }
  CHECK(t[2].loc.line == 1);
  CHECK(t[2].loc.col == 20);
}

TEST_CASE("pad: one value, HxW, or top x left x bottom x right") {
  Graph g = parse("x = input(shape=1x8x8)\na = conv(x, out=1, kernel=3, pad=1)\nb = conv(x, out=1, kernel=3, pad=1x0)\n"
                  "c = conv(x, out=1, kernel=3, pad=0x1x2x0)\noutput a\noutput b\noutput c\n");
  CHECK(g.find("a")->attrDims("pad") == Dims{1, 1, 1, 1});
  CHECK(g.find("b")->attrDims("pad") == Dims{1, 0, 1, 0});
  CHECK(g.find("c")->attrDims("pad") == Dims{0, 1, 2, 0});
  CHECK(g.find("c")->shape == Dims{1, 1, 8, 7});
}

TEST_CASE("newlines inside parentheses do not end a statement") {
  Graph g = parse("x = input(shape=3x8x8)\nc = conv(x,\n  out=4,\n  kernel=1)\noutput c\n");
  CHECK(g.find("c")->attrInt("out") == 4);
}

TEST_CASE("a statement builds a node with defaults filled in and its shape inferred") {
  Graph g = parse(kTiny);
  CHECK(g.name == "tiny");
  Node *c = g.find("c");
  REQUIRE(c != nullptr);
  CHECK(c->op == OpKind::Conv);
  CHECK(c->attrDims("kernel") == Dims{3, 3});
  CHECK(c->attrDims("stride") == Dims{1, 1});
  CHECK(c->attrBool("bias"));
  CHECK(c->shape == Dims{1, 4, 8, 8});
  CHECK(c->loc.line == 4);
  REQUIRE(g.outputs().size() == 1);
  CHECK(g.outputs()[0].node == c);
}

TEST_CASE("the graph name defaults to the file stem; batch comes from the file or the caller") {
  CHECK(parse("x = input(shape=2)\noutput x\n", "dir/my.model.dnet").name == "my");
  CHECK(parse("network n batch=3\nx = input(shape=2)\noutput x\n").find("x")->shape == Dims{3, 2});
  ElaborateOptions o;
  o.batch = 5;
  CHECK(parseModel("network n batch=3\nx = input(shape=2)\noutput x\n", "t.dnet", o).find("x")->shape == Dims{5, 2});
}

TEST_CASE("statements may come in any order; the graph is topologically sorted") {
  Graph g = parse("output b\nb = relu(a)\na = relu(x)\nx = input(shape=4)\n");
  std::vector<std::string> order;
  for (const auto &n : g.nodes()) order.push_back(n->name);
  CHECK(order == std::vector<std::string>{"x", "a", "b"});
}

TEST_CASE("blocks expand with prefixed names, bound numbers and a returned value") {
  Graph g = parse(R"(
block branch(in, width) {
  reduce = conv(in, out=width, kernel=1, relu=true)
  wide   = conv(reduce, out=8, kernel=3, pad=1)
  return wide
}
x  = input(shape=4x6x6)
b1 = branch(x, 2)
b2 = branch(b1, width=3)
y  = relu(b2)
output y
)");
  REQUIRE(g.find("b1/reduce") != nullptr);
  CHECK(g.find("b1/reduce")->attrInt("out") == 2);
  CHECK(g.find("b2/reduce")->attrInt("out") == 3);
  CHECK(g.find("b2/reduce")->inputs()[0] == g.find("b1/wide"));
  CHECK(g.find("y")->inputs()[0] == g.find("b2/wide"));
  CHECK(g.find("b1/wide")->block == "b1");
  CHECK(g.find("b1/wide")->blockType == "branch");
}

TEST_CASE("blocks nest; inner layers are named by their instance path") {
  Graph g = parse(R"(
block inner(x) {
  r = relu(x)
  return r
}
block outer(x) {
  a = inner(x)
  b = inner(a)
  return b
}
x = input(shape=2)
o = outer(x)
output o
)");
  CHECK(g.find("o/a/r") != nullptr);
  CHECK(g.find("o/b/r")->inputs()[0] == g.find("o/a/r"));
  CHECK(g.find("o/b/r")->block == "o/b");
  CHECK(g.outputs()[0].node == g.find("o/b/r"));
}

TEST_CASE("layers inside an instance can be referenced by path") {
  Graph g = parse(R"(
block b(x) {
  hidden = relu(x)
  out = relu(hidden)
  return out
}
x = input(shape=2)
i = b(x)
tap = relu(i/hidden)
output tap
)");
  CHECK(g.find("tap")->inputs()[0] == g.find("i/hidden"));
}

TEST_CASE("outputs may be named apart from their value, and passes keep the name") {
  Graph g = parse("x = input(shape=2)\nr = relu(x)\nd = dropout(r, ratio=0.5)\noutput y = r\noutput d\n");
  REQUIRE(g.outputs().size() == 2);
  CHECK(g.outputs()[0].label() == "y");
  CHECK(g.outputs()[0].node == g.find("r"));
  CHECK(g.findOutput("y") == g.find("r"));
  g.replaceAllUses(g.find("d"), g.find("r"));  // what inference-cleanup does to a dropout
  CHECK(g.outputs()[1].label() == "d");
  CHECK(g.outputs()[1].node == g.find("r"));
  CHECK(printGraph(g).find("output y = r\noutput d = r\n") != std::string::npos);
  CHECK(printGraph(parse(printGraph(g), "g.ir")) == printGraph(g));
}

TEST_CASE("training-only outputs are marked") {
  Graph g = parse("x = input(shape=2)\na = relu(x)\nb = relu(x)\noutput a\noutput b training\n");
  REQUIRE(g.outputs().size() == 2);
  CHECK_FALSE(g.outputs()[0].training);
  CHECK(g.outputs()[1].training);
}

TEST_CASE("googlenet.dnet uses the BVLC layer names") {
  std::string trainVal = test::sharedFile("models/bvlc_googlenet_train_val.prototxt"), deploy = test::sharedFile("models/bvlc_googlenet.prototxt");
  if (trainVal.empty() || deploy.empty()) return;
  Graph g = loadModel(test::googlenetPath());
  std::string prototxt = readFile(trainVal) + readFile(deploy);
  int checked = 0;
  for (const auto &n : g.nodes()) {
    INFO(n->name);
    CHECK(prototxt.find("name: \"" + n->name + "\"") != std::string::npos);
    ++checked;
  }
  CHECK(checked == static_cast<int>(g.nodes().size()));
  CHECK(g.nodesOfOp(OpKind::Conv).size() == 57 + 2);  // the paper's 57, plus one per auxiliary classifier
}
