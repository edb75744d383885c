// `deeper summary`: GoogLeNet's figures agree with the paper and with the structure.
#include "TestUtil.h"
#include "ir/Summary.h"
#include "passes/PassManager.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace deeper;

namespace {

Graph inferenceGoogLeNet() {
  Graph g = loadModel(test::googlenetPath());
  PassOptions o;
  o.pipeline = cleanupPipeline();
  o.verifyEach = true;
  runPasses(g, o);
  return g;
}

}  // namespace

TEST_CASE("GoogLeNet totals: 6,990,272 weights and 1,582,671,872 multiply-adds") {
  Graph g = inferenceGoogLeNet();
  Summary s = summarize(g);
  CHECK(s.weights == 6990272);
  CHECK(s.macs == 1582671872);
  CHECK(s.biases == 8280);
  std::string text = summaryText(g, s);
  CHECK(text.find("total: 6,990,272 weights (+8,280 biases), 1,582,671,872 multiply-adds") != std::string::npos);
}

TEST_CASE("each inception block's figures agree with its structure") {
  Graph g = inferenceGoogLeNet();
  nlohmann::json doc = nlohmann::json::parse(summaryJson(g, summarize(g)));
  REQUIRE(doc["blocks"].size() == 9);
  struct Row { const char *name; int in, c1, r3, c3, r5, c5, pp, hw; };
  const Row table1[] = {{"inception_3a", 192, 64, 96, 128, 16, 32, 32, 28},    {"inception_3b", 256, 128, 128, 192, 32, 96, 64, 28},
                        {"inception_4a", 480, 192, 96, 208, 16, 48, 64, 14},   {"inception_4b", 512, 160, 112, 224, 24, 64, 64, 14},
                        {"inception_4c", 512, 128, 128, 256, 24, 64, 64, 14},  {"inception_4d", 512, 112, 144, 288, 32, 64, 64, 14},
                        {"inception_4e", 528, 256, 160, 320, 32, 128, 128, 14}, {"inception_5a", 832, 256, 160, 320, 32, 128, 128, 7},
                        {"inception_5b", 832, 384, 192, 384, 48, 128, 128, 7}};
  for (size_t i = 0; i < 9; ++i) {
    const Row &r = table1[i];
    const nlohmann::json &b = doc["blocks"][i];
    INFO(r.name);
    CHECK(b["name"] == r.name);
    CHECK(b["type"] == "inception");
    CHECK(b["convs"]["1x1"] == r.c1);
    CHECK(b["convs"]["3x3_reduce"] == r.r3);
    CHECK(b["convs"]["3x3"] == r.c3);
    CHECK(b["convs"]["5x5_reduce"] == r.r5);
    CHECK(b["convs"]["5x5"] == r.c5);
    CHECK(b["convs"]["pool_proj"] == r.pp);
    CHECK(b["output"] == std::vector<int>{1, r.c1 + r.c3 + r.c5 + r.pp, r.hw, r.hw});
    int64_t weights = int64_t(r.in) * (r.c1 + r.r3 + r.r5 + r.pp) + 9 * r.r3 * r.c3 + 25 * r.r5 * r.c5;
    CHECK(b["weights"] == weights);
    CHECK(b["macs"] == weights * r.hw * r.hw);
  }
}

TEST_CASE("JSON layers: fields, blocks, weights excluding biases") {
  Graph g = inferenceGoogLeNet();
  nlohmann::json doc = nlohmann::json::parse(summaryJson(g, summarize(g)));
  CHECK(doc["total"]["weights"] == 6990272);
  CHECK(doc["total"]["macs"] == 1582671872);
  int64_t weights = 0, macs = 0;
  const nlohmann::json *conv1 = nullptr;
  for (const auto &l : doc["layers"]) {
    weights += l["weights"].get<int64_t>();
    macs += l["macs"].get<int64_t>();
    if (l["name"] == "conv1/7x7_s2") conv1 = &l;
  }
  CHECK(weights == 6990272);
  CHECK(macs == 1582671872);
  REQUIRE(conv1);
  CHECK((*conv1)["op"] == "conv");
  CHECK((*conv1)["block"].is_null());
  CHECK((*conv1)["output"] == std::vector<int>{1, 64, 112, 112});
  CHECK((*conv1)["weights"] == 9408);
  CHECK((*conv1)["biases"] == 64);
  CHECK((*conv1)["macs"] == 118013952);
}

TEST_CASE("without inference-cleanup the auxiliary classifiers count too") {
  Graph g = loadModel(test::googlenetPath());
  Summary s = summarize(g);
  // Each auxiliary classifier: 1x1 conv 512/528 -> 128, fc 2048 -> 1024, fc 1024 -> 1000.
  CHECK(s.weights == 6990272 + (512 + 528) * 128 + 2 * (2048 * 1024 + 1024 * 1000));
}

TEST_CASE("a transposed conv's weights and multiply-adds: every input value times the taps it scatters to") {
  Graph g = test::parse(R"(network t batch=1
x = input(shape=4x5x7)
y = conv_transpose(x, out=6, kernel=3x2, stride=2, groups=2)
output y
)");
  Summary s = summarize(g);
  CHECK(s.weights == 4 * 3 * 3 * 2);          // [I, O/groups, KH, KW]
  CHECK(s.macs == 4 * 5 * 7 * (3 * 3 * 2));  // each input value reaches O/groups x KH x KW outputs
}
