// .npy and .safetensors: round trips, and every malformed file is a clear error, never a crash.
#include "TestUtil.h"
#include "reference/Weights.h"
#include "support/Npy.h"
#include "support/Safetensors.h"

#include <doctest/doctest.h>

using namespace deeper;

namespace {

Tensor sample() {
  Tensor t({2, 3});
  for (size_t i = 0; i < 6; ++i) t.data[i] = 0.5f * static_cast<float>(i) - 1.0f;
  return t;
}

std::string npyError(const std::string &bytes) {
  return test::userErrorOf([&] { parseNpy(bytes, "x.npy"); });
}

std::string stError(const std::string &bytes) {
  return test::userErrorOf([&] { parseSafetensors(bytes, "w.safetensors"); });
}

/// A safetensors file with this header text and `dataBytes` zero bytes of data.
std::string safetensors(const std::string &header, size_t dataBytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + std::string(dataBytes, '\0');
}

}  // namespace

TEST_CASE("npy round trip, header aligned to 64 bytes") {
  std::string bytes = serializeNpy(sample());
  CHECK((bytes.size() - 24) % 64 == 0);
  Tensor back = parseNpy(bytes, "x.npy");
  CHECK(back.shape == Dims{2, 3});
  CHECK(back.data == sample().data);
  Tensor vec({5});
  CHECK(parseNpy(serializeNpy(vec), "v.npy").shape == Dims{5});
  CHECK(bytes.find("'shape': (2, 3), }") != std::string::npos);
  CHECK(serializeNpy(vec).find("'shape': (5,), }") != std::string::npos);
}

TEST_CASE("npy errors name the file and the fix") {
  std::string good = serializeNpy(sample());
  CHECK(npyError("hello") == "error: 'x.npy' is not a usable .npy file: missing the \\x93NUMPY magic");
  std::string f8 = good;
  f8.replace(f8.find("<f4"), 3, "<f8");
  CHECK(npyError(f8).find("dtype '<f8' is not supported; save float32") != std::string::npos);
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  CHECK(npyError(fortran).find("Fortran order") != std::string::npos);
  CHECK(npyError(good.substr(0, good.size() - 4)).find("shape needs 24 data bytes, file has 20") != std::string::npos);
  CHECK(npyError(good.substr(0, 20)).find("truncated header") != std::string::npos);
  std::string v9 = good;
  v9[6] = 9;
  CHECK(npyError(v9).find("format version 9") != std::string::npos);
  std::string huge = good;
  huge.replace(huge.find("(2, 3)"), 6, "(9999999999999, 9999999)");
  CHECK(npyError(huge).find("too large") != std::string::npos);
}

TEST_CASE("writes are atomic: a failed write leaves nothing behind") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  writeNpy(dir + "/ok.npy", sample());
  CHECK(readNpy(dir + "/ok.npy").data == sample().data);
  CHECK(test::userErrorOf([&] { writeNpy(dir + "/missing/x.npy", sample()); }).find("cannot write") != std::string::npos);
}

TEST_CASE("safetensors round trip") {
  TensorMap m = {{"a.weight", sample()}, {"b.bias", Tensor({3})}};
  TensorMap back = parseSafetensors(serializeSafetensors(m), "w.safetensors");
  REQUIRE(back.size() == 2);
  CHECK(back.at("a.weight").shape == Dims{2, 3});
  CHECK(back.at("a.weight").data == sample().data);
  CHECK(back.at("b.bias").shape == Dims{3});
}

TEST_CASE("safetensors errors: truncated, malformed, out of range, wrong dtype") {
  CHECK(stError("abc").find("shorter than its 8-byte header size") != std::string::npos);
  CHECK(stError(safetensors("{}", 0).substr(0, 9)).find("header size 2 exceeds the file") != std::string::npos);
  CHECK(stError(safetensors("{not json", 0)).find("header is not a JSON object") != std::string::npos);
  CHECK(stError(safetensors("[1]", 0)).find("header is not a JSON object") != std::string::npos);
  CHECK(stError(safetensors(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4)).find("dtype \"F16\"; Deeper reads F32") != std::string::npos);
  CHECK(stError(safetensors(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", 8)).find("lie outside the 8 data bytes") != std::string::npos);
  CHECK(stError(safetensors(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,4]}})", 8)).find("lie outside") != std::string::npos);
  CHECK(stError(safetensors(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)).find("needs 12 bytes, data_offsets give 8") != std::string::npos);
  CHECK(stError(safetensors(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", 8)).find("malformed shape") != std::string::npos);
  CHECK(stError(safetensors(R"({"w":{"dtype":"F32"}})", 0)).find("lacks dtype, shape or data_offsets") != std::string::npos);
  CHECK(stError(safetensors(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8)).find("too large") != std::string::npos);
  // Metadata is allowed and ignored.
  CHECK(parseSafetensors(safetensors(R"({"__metadata__":{"format":"pt"}})", 0), "w").empty());
}

TEST_CASE("weights files are checked against the graph") {
  Graph g = test::parse("x = input(shape=2x4x4)\nc = conv(x, out=3, kernel=3)\noutput c\n");
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  TensorMap w = initWeights(g, 0);
  w["unused.weight"] = Tensor({1});  // extra tensors are fine
  writeSafetensors(dir + "/w.safetensors", w);
  CHECK(loadWeights(g, dir + "/w.safetensors").at("c.weight").data == w.at("c.weight").data);
  w["c.weight"] = Tensor({3, 2, 3, 2});
  writeSafetensors(dir + "/bad.safetensors", w);
  CHECK(test::userErrorOf([&] { loadWeights(g, dir + "/bad.safetensors"); }).find("tensor 'c.weight' is f32[3,2,3,2], layer 'c' needs f32[3,2,3,3]") != std::string::npos);
  w.erase("c.weight");
  writeSafetensors(dir + "/missing.safetensors", w);
  CHECK(test::userErrorOf([&] { loadWeights(g, dir + "/missing.safetensors"); }).find("has no tensor 'c.weight' (f32[3,2,3,3]) for layer 'c'") != std::string::npos);
}
