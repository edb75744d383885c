// One test per class of user error: each names file:line:col, shows the line with a caret, and says
// what was expected. (The CLI's non-zero exit for them is in test_cli.cpp.)
#include "TestUtil.h"

#include <doctest/doctest.h>

using namespace deeper;
using deeper::test::parse;
using deeper::test::userErrorOf;

namespace {

/// The diagnostic for `text`; checks its location and that it quotes the offending line.
std::string diagnose(const std::string &text, const std::string &where) {
  std::string msg = userErrorOf([&] { parse(text, "t.dnet"); });
  INFO(msg);
  CHECK(msg.rfind("t.dnet:" + where + ": error: ", 0) == 0);
  CHECK(msg.find("\n    ") != std::string::npos);  // the source line
  CHECK(msg.find('^') != std::string::npos);         // and the caret under it
  return msg;
}

const std::string kInput = "x = input(shape=3x8x8)\n";

}  // namespace

TEST_CASE("syntax error: says what was expected") {
  std::string msg = diagnose(kInput + "c = conv(x out=4, kernel=1)\noutput c\n", "2:12");
  CHECK(msg.find("expected ',' or ')' in the argument list, found 'out'") != std::string::npos);
  diagnose(kInput + "c = conv(x, out=4\noutput c\n", "3:1");
  diagnose(kInput + "= relu(x)\noutput x\n", "2:1");
  diagnose(kInput + "c = relu(x) extra\noutput c\n", "2:13");
}

TEST_CASE("syntax error: unexpected character") {
  std::string msg = diagnose(kInput + "c = relu(x) ; \noutput c\n", "2:13");
  CHECK(msg.find("unexpected character ';'") != std::string::npos);
}

TEST_CASE("unknown op lists the known ones") {
  std::string msg = diagnose(kInput + "c = convv(x, out=4, kernel=1)\noutput c\n", "2:5");
  CHECK(msg.find("unknown op or block 'convv'") != std::string::npos);
  CHECK(msg.find("note: known ops: add, avgpool, batchnorm, binary, concat, conv") != std::string::npos);
  CHECK(msg.find("~~~~") != std::string::npos);  // the caret spans the name
}

TEST_CASE("unknown attribute lists the op's attributes") {
  std::string msg = diagnose(kInput + "c = conv(x, out=4, kernal=1)\noutput c\n", "2:20");
  CHECK(msg.find("conv has no attribute 'kernal'") != std::string::npos);
  CHECK(msg.find("conv attributes: out, kernel, stride, pad, dilation, groups, input_maxpool, output_maxpool, output_maxpool_stride, reduce, reduce_relu, bias, relu") != std::string::npos);
}

TEST_CASE("attribute errors: bad value, missing required, given twice") {
  CHECK(diagnose(kInput + "c = conv(x, out=4, kernel=3x3x3)\noutput c\n", "2:27").find("expects K or KHxKW") != std::string::npos);
  CHECK(diagnose(kInput + "c = conv(x, out=four, kernel=1)\noutput c\n", "2:17").find("invalid value 'four'") != std::string::npos);
  CHECK(diagnose(kInput + "c = conv(x, kernel=1)\noutput c\n", "2:1").find("conv needs attribute 'out'") != std::string::npos);
  CHECK(diagnose(kInput + "c = conv(x, out=1, out=2, kernel=1)\noutput c\n", "2:20").find("given twice") != std::string::npos);
  CHECK(diagnose(kInput + "c = conv(x, out=99999999999, kernel=1)\noutput c\n", "2:17").find("below 2^31") != std::string::npos);
}

TEST_CASE("wrong arity") {
  std::string msg = diagnose(kInput + "c = relu(x, x)\noutput c\n", "2:1");
  CHECK(msg.find("relu takes 1 input, got 2") != std::string::npos);
  CHECK(diagnose(kInput + "c = concat()\noutput c\n", "2:1").find("concat takes at least 1 input, got 0") != std::string::npos);
  CHECK(diagnose(kInput + "y = input(x, shape=2)\noutput y\n", "2:1").find("input takes 0 inputs, got 1") != std::string::npos);
}

TEST_CASE("undefined name") {
  std::string msg = diagnose(kInput + "c = relu(y)\noutput c\n", "2:10");
  CHECK(msg.find("undefined name 'y'") != std::string::npos);
  diagnose(kInput + "c = relu(4)\noutput c\n", "2:10");  // a number where a tensor belongs
}

TEST_CASE("duplicate names say where the first one is") {
  std::string msg = diagnose(kInput + "c = relu(x)\nc = relu(x)\noutput c\n", "3:1");
  CHECK(msg.find("duplicate name 'c'") != std::string::npos);
  CHECK(msg.find("first defined at t.dnet:2:1") != std::string::npos);
  // An instance's layer colliding with a top-level name.
  diagnose("block b(x) {\n r = relu(x)\n return r\n}\n" + kInput + "i/r = relu(x)\ni = b(x)\noutput i\n", "2:2");
}

TEST_CASE("cycles are reported with their path") {
  std::string msg = diagnose(kInput + "a = relu(b)\nb = relu(c)\nc = relu(a)\noutput c\n", "4:10");
  CHECK(msg.find("the network has a cycle") != std::string::npos);
  CHECK(msg.find("cycle: a -> b -> c -> a") != std::string::npos);
  diagnose(kInput + "a = concat(x, a)\noutput a\n", "2:15");
}

TEST_CASE("block recursion, direct and indirect") {
  std::string msg = diagnose("block a(x) {\n y = b(x)\n return y\n}\nblock b(x) {\n y = a(x)\n return y\n}\n" + kInput +
                                 "z = a(x)\noutput z\n",
                             "6:6");
  CHECK(msg.find("block 'a' instantiates itself") != std::string::npos);
  CHECK(msg.find("recursion: a -> b -> a") != std::string::npos);
}

TEST_CASE("block misuse: arguments, returns, names") {
  std::string def = "block b(x, n) {\n r = conv(x, out=n, kernel=1)\n return r\n}\n";
  CHECK(diagnose(def + kInput + "i = b(x)\noutput i\n", "6:5").find("needs argument 'n'") != std::string::npos);
  CHECK(diagnose(def + kInput + "i = b(x, 1, 2)\noutput i\n", "6:13").find("takes 2 arguments, got 3") != std::string::npos);
  CHECK(diagnose(def + kInput + "i = b(x, m=1)\noutput i\n", "6:10").find("has no parameter 'm'") != std::string::npos);
  CHECK(diagnose("block b(x) {\n r = relu(x)\n return q\n}\n" + kInput + "i = b(x)\noutput i\n", "3:9").find("does not compute") != std::string::npos);
  CHECK(diagnose("block b(x) {\n r = relu(x)\n}\n", "3:1").find("ends without 'return NAME'") != std::string::npos);
  CHECK(diagnose("block relu(x) {\n r = relu(x)\n return r\n}\n", "1:7").find("has the name of an op") != std::string::npos);
  CHECK(diagnose(def + kInput + "i = b(x, x)\noutput i\n", "6:10").find("invalid value 'x'") != std::string::npos);
}

TEST_CASE("shape error: concat of unequal spatial sizes") {
  std::string msg = diagnose(kInput + "p = maxpool(x, kernel=2, stride=2)\nc = concat(x, p)\noutput c\n", "3:1");
  CHECK(msg.find("concat inputs differ outside axis 1: 'x' is f32[1,3,8,8], 'p' is f32[1,3,4,4]") != std::string::npos);
}

TEST_CASE("shape error: a pool of a rank-1 value (a whole reduction) says its rank") {
  std::string msg = diagnose(kInput + "r = reduce(x, fn=sum, axes=1x2x3, keepdims=false)\np = maxpool(r, kernel=1)\noutput p\n", "3:1");
  CHECK_MENTIONS(msg, "maxpool expects a rank-4 N,C,H,W input, 'r' is f32[1]");
}

TEST_CASE("shape error: an interleaving concat of unequal extents along its axis") {
  std::string msg = diagnose(kInput + "c = conv(x, out=2, kernel=1)\nk = concat(x, c, interleave=true)\noutput k\n", "3:1");
  CHECK_MENTIONS(msg, "an interleaving concat needs inputs of one extent along axis 1: 'x' has 3, 'c' 2");
  CHECK_MENTIONS(msg, "drop interleave=true");
}

TEST_CASE("shape error: kernel larger than the padded input") {
  std::string msg = diagnose(kInput + "c = conv(x, out=2, kernel=11, pad=1)\noutput c\n", "2:1");
  CHECK(msg.find("kernel 11x11 is larger than the padded input 10x10") != std::string::npos);
  diagnose(kInput + "p = maxpool(x, kernel=9)\noutput p\n", "2:1");
}

TEST_CASE("shape error: zero or negative sizes") {
  CHECK(diagnose("x = input(shape=3x0x8)\noutput x\n", "1:1").find("zero or negative") != std::string::npos);
  CHECK(diagnose(kInput + "c = conv(x, out=0, kernel=1)\noutput c\n", "2:1").find("out must be positive") != std::string::npos);
  CHECK(diagnose(kInput + "c = conv(x, out=2, kernel=1, stride=0)\noutput c\n", "2:1").find("stride must be positive") != std::string::npos);
  CHECK(diagnose(kInput + "c = conv(x, out=2, kernel=1, pad=-1)\noutput c\n", "2:1").find("pad must not be negative") != std::string::npos);
  CHECK(diagnose(kInput + "c = lrn(x, size=4)\noutput c\n", "2:1").find("odd") != std::string::npos);
  CHECK(diagnose(kInput + "c = dropout(x, ratio=1.5)\noutput c\n", "2:1").find("[0, 1)") != std::string::npos);
  CHECK(diagnose(kInput + "c = softmax(x, axis=4)\noutput c\n", "2:1").find("axis 4 is out of range") != std::string::npos);
}

TEST_CASE("shape error: sizes whose product overflows") {
  std::string msg = diagnose("x = input(shape=2000000000x2000000000x2000000000)\noutput x\n", "1:1");
  CHECK(msg.find("overflows") != std::string::npos);
  diagnose("x = input(shape=1x65536x65536)\nc = conv(x, out=2000000000, kernel=1)\noutput c\n", "2:1");
  // The output fits, but the weights (or the multiply-adds) of the layer would not.
  CHECK(diagnose("x = input(shape=100000x100000)\nf = fc(x, out=2000000000)\noutput f\n", "2:1").find("weights or multiply-adds") != std::string::npos);
  CHECK(diagnose("x = input(shape=2000000000x1x1)\nc = conv(x, out=2000000000, kernel=1)\noutput c\n", "2:1").find("weights or multiply-adds") != std::string::npos);
}

TEST_CASE("shape errors of reshape, pad, arithmetic, matmul, reduce and conv's input pool") {
  auto error = [](const std::string &line) { return diagnose(kInput + line + "\noutput y\n", "2:1"); };
  CHECK(error("y = reshape(x, shape=5x5)").find("cannot reshape f32[1,3,8,8] to f32[1,5,5]: the element counts differ") !=
        std::string::npos);
  CHECK(error("y = pad(x, pads=1x1)").find("pads needs 8 values (before and after each of 4 axes), has 2") != std::string::npos);
  std::string mode = error("y = pad(x, pads=0x0x1x1x0x0x1x1, mode=wrap)");
  CHECK(mode.find("unknown mode 'wrap'") != std::string::npos);
  CHECK(mode.find("pad's mode is one of: constant, reflect, edge") != std::string::npos);  // the op table's choices
  CHECK(error("y = pad(x, pads=0x0x8x0x0x0x0x0, mode=reflect)").find("reflect padding of axis 2 by 8 needs more than 8 values") !=
        std::string::npos);
  CHECK(error("y = add(x, operand=4x1x1)").find("the operand f32[4,1,1] does not broadcast against f32[1,3,8,8]") !=
        std::string::npos);
  CHECK(error("y = matmul(x, weight=7x2)").find("inner sizes differ: x has 8 columns, weight 7 rows") != std::string::npos);
  CHECK(error("y = conv(x, out=2, kernel=1, input_maxpool=2)").find("input_maxpool must be 0 or an odd window, got 2") !=
        std::string::npos);
  CHECK(error("y = conv(x, out=2, kernel=7, output_maxpool=3)").find("output_maxpool 3x3 is larger than the conv's 2x2 output") !=
        std::string::npos);
  CHECK(error("y = conv(x, out=2, kernel=1, output_maxpool=2, output_maxpool_stride=0)").find("output_maxpool 2 stride 0 is no pool window") !=
        std::string::npos);
  CHECK(error("y = conv(x, out=2, kernel=3, reduce=4, output_maxpool=2)").find("a conv with output_maxpool has no fused reduce") !=
        std::string::npos);
  // A conv's epilogue: one activation of the op table's, a residual of the output's shape and no pool after it.
  const std::pair<const char *, const char *> epilogues[] = {
      {"y = conv(x, out=2, kernel=1, relu=true, activation=silu)", "relu=true and activation=silu both given"},
      {"y = conv(x, out=2, kernel=1, activation=gelu)", "conv's activation is one of: none, sigmoid, silu, hardswish, hardsigmoid"},
      {"y = conv(x, x, out=2, kernel=1)", "the residual operand 'x' is f32[1,3,8,8], the conv's output f32[1,2,8,8]"},
      {"y = conv(x, x, out=3, kernel=1, output_maxpool=2)", "a conv with a residual operand has no output_maxpool"}};
  for (const auto &line : epilogues) CHECK_MENTIONS(error(line.first), line.second);
  CHECK(error("y = reduce(x, fn=mean, axes=0x1)").find("reduces the batch axis 0") != std::string::npos);
  std::string gap = error("y = reduce(x, fn=sum, axes=1x3)");
  CHECK(gap.find("axes=1x3 are not adjacent and increasing") != std::string::npos);
  CHECK(gap.find("e.g. axes=2x3 for H and W") != std::string::npos);
  CHECK(error("y = reduce(x, fn=max, axes=4)").find("axis 4 is out of range for rank 4") != std::string::npos);
  CHECK(error("y = reduce(x, fn=median, axes=1)").find("reduce's fn is one of: mean, max, sum") != std::string::npos);
  CHECK(error("y = transpose(x, perm=0x1x1x2)").find("perm=0x1x1x2 is no permutation of the 4 axes of f32[1,3,8,8]") != std::string::npos);
  CHECK(error("y = transpose(x, perm=1x0x2x3)").find("moves the batch axis 0") != std::string::npos);
  CHECK_MENTIONS(error("y = expand(x, shape=6x8x8)"), "f32[1,3,8,8] does not expand to shape=6x8x8");
  CHECK_MENTIONS(error("y = conv_transpose(x, out=2, kernel=3, stride=2, output_padding=2)"), "output_padding=2x2 must be below the stride or the dilation");
  CHECK_MENTIONS(error("y = conv_transpose(x, out=2, kernel=1, pad=4)"), "the padding crops the 8x8 output of f32[1,3,8,8] to nothing");
  CHECK_MENTIONS(error("y = conv_transpose(x, out=4, kernel=1, groups=2)"), "groups=2 must divide the input channels (3) and the output channels (4)");
  CHECK_MENTIONS(error("y = expand(x, shape=3x8)"), "shape lists every axis after the batch");
}

TEST_CASE("missing outputs") {
  CHECK(diagnose(kInput + "c = relu(x)\n", "2:1").find("declares no outputs") != std::string::npos);
  CHECK(diagnose(kInput + "output y\n", "2:8").find("undefined name 'y'") != std::string::npos);
  CHECK(diagnose(kInput + "output x\noutput x\n", "3:8").find("declared as an output twice") != std::string::npos);
}

TEST_CASE(".ir files: flat, typed, and the types are checked") {
  std::string msg = userErrorOf([] { parse("x = input(shape=3) : f32[1,3]\ny = relu(x)\noutput y\n", "t.ir"); });
  CHECK(msg.find("t.ir:2:12: error: expected ': f32[...]'") == 0);
  msg = userErrorOf([] { parse("x = input(shape=3) : f32[1,4]\noutput x\n", "t.ir"); });
  CHECK(msg.find("t.ir:1:22: error: declared type f32[1,4] differs from the inferred f32[1,3]") == 0);
  msg = userErrorOf([] { parse("block b(x) {\n return x\n}\n", "t.ir"); });
  CHECK(msg.find("blocks are not allowed in .ir files") != std::string::npos);
  msg = userErrorOf([] { parse("x = input(shape=3) : f64[1,3]\noutput x\n", "t.ir"); });
  CHECK(msg.find("unsupported element type 'f64'") != std::string::npos);
}

TEST_CASE("unknown model format and unreadable file") {
  CHECK(userErrorOf([] { loadModel("model.tflite"); }).find("unknown model format '.tflite'; Deeper reads .dnet") != std::string::npos);
  CHECK(userErrorOf([] { loadModel("/nonexistent/m.dnet"); }).find("cannot read '/nonexistent/m.dnet'") != std::string::npos);
}

TEST_CASE("exponential block expansion stops instead of exhausting memory") {
  std::string text = "block b0(x) {\n r = relu(x)\n return r\n}\n";
  for (int i = 1; i <= 24; ++i)
    text += fmt::format("block b{}(x) {{\n a = b{}(x)\n b = b{}(a)\n return b\n}}\n", i, i - 1, i - 1);
  text += kInput + "y = b24(x)\noutput y\n";
  CHECK(userErrorOf([&] { parse(text); }).find("expands to more than 1000000 nodes") != std::string::npos);
}
