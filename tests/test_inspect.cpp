// Reading compiled kernels back (inspect/): the instruction mix, the hot loop, llvm-mca's estimate,
// and `deeper explain` as a user runs it.
#include "TestUtil.h"
#include "codegen/Compile.h"
#include "codegen/Kernel.h"
#include "inspect/Compare.h"
#include "inspect/Explain.h"
#include "inspect/OrtProfile.h"
#include "inspect/Report.h"

#include <doctest/doctest.h>

#include <filesystem>

using namespace deeper;
using namespace deeper::inspect;

namespace {

Instruction instruction(uint64_t address, const std::string &text, const std::string &opcode, bool loads = false, bool stores = false) {
  Instruction in;
  in.address = address, in.text = text, in.opcode = opcode, in.loads = loads, in.stores = stores;
  return in;
}

Instruction branchTo(uint64_t address, uint64_t target) {
  Instruction in = instruction(address, "jne", "JCC_1");
  in.branches = true, in.branchTarget = target;
  return in;
}

/// A small inception-like module: a relu the passes fuse, three branches in lanes, an in-place concat.
const char *kModule = "network m\nx = input(shape=16x9x9)\nb1 = conv(x, out=8, kernel=1)\nr1 = relu(b1)\n"
                      "r3 = conv(x, out=12, kernel=1, relu=true)\nb3 = conv(r3, out=8, kernel=3, pad=1, relu=true)\n"
                      "r5 = conv(x, out=4, kernel=1, relu=true)\nb5 = conv(r5, out=4, kernel=5, pad=2, relu=true)\n"
                      "cat = concat(r1, b3, b5)\ny = conv(cat, out=4, kernel=1)\noutput y\n";

/// A 3x3 conv of 32 to 64 channels on a 14x14 map: a kernel whose loop is FMAs.
const char *kConv = "network c\nx = input(shape=32x14x14)\ny = conv(x, out=64, kernel=3, pad=1)\noutput y\n";

/// The conv's kernel, direct (winograd 0) or Winograd F(MxM,3x3).
KernelExplanation explainConv(const std::string &target, int winograd) {
  static Graph g = test::parse(kConv);
  Halide::Target t = parseTarget(target);
  std::vector<Kernel> kernels = kernelsOf(g, t.natural_vector_size<float>());
  REQUIRE(kernels.size() == 1);
  kernels[0].schedule.winograd = winograd;
  kernels[0].params = packedParams(kernels[0]);
  return explainKernel(kernels[0], t);
}

/// onnxruntime-node for these tests, installed once into a folder of their own (the e2e tests install
/// theirs into build/ort at the same time): the node_modules folder to give as $DEEPER_ORT_DIR.
std::string ortModules() {
  static const std::string modules = [] {
    std::string dir = std::string(DEEPER_BUILD_DIR) + "/ort-inspect";
    REQUIRE(test::runShell(std::string(DEEPER_SOURCE_DIR) + "/scripts/install-ort " + dir + " > /dev/null").status == 0);
    return dir + "/node_modules";
  }();
  return modules;
}

}  // namespace

TEST_CASE("the instruction mix: FMA widths, scalar ops, broadcasts, spills against other stack use") {
  std::vector<Instruction> code = {
      instruction(0, "vfmadd231ps zmm0, zmm1, zmm2", "VFMADD231PSZr"),
      instruction(6, "vfmadd231ps ymm0, ymm1, dword ptr [rax]{1to8}", "VFMADD231PSZ256mb", true),
      instruction(12, "vfmadd231ss xmm0, xmm1, xmm2", "VFMADD231SSZr"),
      instruction(18, "vaddps xmm0, xmm1, xmm2", "VADDPSrr"),
      instruction(22, "vbroadcastss zmm3, dword ptr [rdi]", "VBROADCASTSSZrm", true),
      instruction(28, "vmovups zmmword ptr [rsp + 64], zmm4", "VMOVUPSZmr", false, true),  // a spill
      instruction(36, "vmovups zmm4, zmmword ptr [rsp + 64]", "VMOVUPSZrm", true),         // its reload
      instruction(44, "mov qword ptr [rsp + 8], rax", "MOV64mr", false, true),             // not a vector: no spill
      instruction(49, "vmovups zmmword ptr [rdi], zmm0", "VMOVUPSZmr", false, true),       // not the stack: no spill
      instruction(55, "add rax, 1", "ADD64ri8"),
  };
  InstructionMix m = mixOf(code, 0, code.size());
  CHECK(m.instructions == 10);
  CHECK(m.fmaByBits == std::map<int, int>{{32, 1}, {256, 1}, {512, 1}});
  CHECK(m.fmas() == 3);
  CHECK(m.widestFma() == 512);
  CHECK(m.vectorByBits == std::map<int, int>{{32, 1}, {128, 1}, {256, 1}, {512, 5}});
  CHECK(m.broadcasts == 2);  // the instruction and the {1to8} operand
  CHECK(m.spills == 1);
  CHECK(m.reloads == 1);
  CHECK(m.loads == 3);
  CHECK(m.stores == 3);
  CHECK(widthsText(m.fmaByBits) == "512-bit x 1, 256-bit x 1, 32-bit x 1");
  CHECK(widthsText({}) == "none");
}

TEST_CASE("the hot loop: the innermost loop densest in FMAs, not the outer one around it nor a long unrolled body") {
  DisassembledFunction f{"k", {}};
  auto add = [&](const Instruction &in) { f.instructions.push_back(in); };
  add(instruction(0, "xor eax, eax", "XOR32rr"));
  // an outer loop [4, 40] around an inner one [8, 20] of two FMAs and a load
  add(instruction(4, "mov rcx, 0", "MOV64ri"));
  add(instruction(8, "vfmadd231ps zmm0, zmm1, zmm2", "VFMADD231PSZr"));
  add(instruction(14, "vfmadd231ps zmm3, zmm1, zmm2", "VFMADD231PSZr"));
  add(instruction(18, "vmovups zmm1, zmmword ptr [rsi]", "VMOVUPSZrm", true));
  add(branchTo(20, 8));
  add(instruction(24, "vfmadd231ps zmm5, zmm1, zmm2", "VFMADD231PSZr"));
  add(branchTo(40, 4));
  // a loop [44, 70] with more FMAs in a longer body, mostly other work
  add(instruction(44, "vfmadd231ps zmm6, zmm1, zmm2", "VFMADD231PSZr"));
  add(instruction(50, "vfmadd231ps zmm7, zmm1, zmm2", "VFMADD231PSZr"));
  add(instruction(56, "vfmadd231ps zmm8, zmm1, zmm2", "VFMADD231PSZr"));
  for (uint64_t a = 60; a < 70; ++a) add(instruction(a, "vmovups zmm9, zmmword ptr [rsi]", "VMOVUPSZrm", true));
  add(branchTo(70, 44));
  add(branchTo(74, 100));  // forward: no loop
  Loop loop = hottestInnermostLoop({f});
  REQUIRE(loop.found());
  CHECK(f.instructions[loop.begin].address == 8);
  CHECK(f.instructions[loop.end - 1].address == 20);
  CHECK(loop.mix.fmas() == 2);

  DisassembledFunction straight{"s", {instruction(0, "vaddps zmm0, zmm1, zmm2", "VADDPSZrr"), branchTo(6, 30)}};
  CHECK_FALSE(hottestInnermostLoop({straight}).found());
}

TEST_CASE("explain: a conv's FMAs at the target's vector width, its work and bytes, llvm-mca's estimate of its loop") {
  for (const auto &targetBits : {std::pair<const char *, int>{"x86-64-linux-avx2-fma", 256}, {"x86-64-linux-avx512_skylake-avx2-fma", 512}}) {
    const char *target = targetBits.first;  // not a structured binding: clang 14 cannot capture one in CAPTURE's lambda
    const int bits = targetBits.second;
    CAPTURE(target);
    KernelExplanation e = explainConv(target, 0);
    CHECK(e.kernel.node == "y");
    CHECK(e.kernel.algorithm == "direct");
    CHECK(e.kernel.output == "f32[1,64,14,14]");
    CHECK(e.kernel.layerMacs == int64_t{14} * 14 * 9 * 32 * 64);
    CHECK(e.kernel.executedMacs == e.kernel.layerMacs);
    CHECK(e.kernel.inputBytes == 4 * 32 * 14 * 14);
    CHECK(e.kernel.outputBytes == 4 * 64 * 14 * 14);
    CHECK(e.kernel.weightBytes >= 4 * 9 * 32 * 64);  // packed: padded to whole channel blocks
    CHECK(e.mix.widestFma() == bits);
    CHECK(e.mix.fmaByBits.size() == 1);  // no narrower FMAs: the whole conv is vectorised
    REQUIRE(e.hotLoop.found());
    CHECK(e.hotLoop.mix.fmas() > 0);
    CHECK(e.hotLoop.mix.widestFma() == bits);
    REQUIRE(e.mca);  // llvm-mca-14 comes with llvm-14 (scripts/install-deps)
    CHECK(e.mca->cyclesPerIteration > 0);
    CHECK(e.mca->fmasPerCycle > 0);
    CHECK_MENTIONS(e.loweredStatement, "module name=");
    CHECK_MENTIONS(e.loweredStatement, "produce ");
    std::string text = printExplanation(e);
    CHECK_MENTIONS(text, bits == 512 ? "FMAs 512-bit" : "FMAs 256-bit");
    CHECK_MENTIONS(printDisassembly(e), bits == 512 ? "zmm" : "ymm");
  }
}

TEST_CASE("explain: Winograd executes fewer multiply-adds than the layer has, and says so") {
  KernelExplanation e = explainConv("x86-64-linux-avx512_skylake-avx2-fma", 4);
  CHECK(e.kernel.algorithm == "Winograd F(4x4,3x3)");
  CHECK(e.kernel.executedMacs == int64_t{16} * 36 * 32 * 64);  // 4x4 tiles of 4x4 outputs, 36 products each
  CHECK(e.kernel.executedMacs < e.kernel.layerMacs);
  CHECK(e.kernel.weightBytes >= 4 * 36 * 32 * 64);  // U: 36 values per channel pair
  CHECK_MENTIONS(printExplanation(e), "executed (3.06x fewer)");
}

TEST_CASE("deeper explain: files written together, kernels that do not exist or run inside others") {
  test::TempDir dir;
  writeFileAtomic(dir.path + "/c.dnet", "network c\nx = input(shape=8x6x6)\nr = conv(x, out=8, kernel=1)\n"
                                        "y = conv(r, out=16, kernel=3, pad=1, relu=true)\nd = flatten(y)\noutput d\n");
  std::string model = dir.path + "/c.dnet";
  test::CliResult r = test::runDeeper("explain " + model + " --kernel y --stmt --asm -o " + dir.path + "/out");
  REQUIRE(r.status == 0);
  CHECK_MENTIONS(r.output, "kernel y");
  CHECK_MENTIONS(r.output, "module name=");  // --stmt
  CHECK_MENTIONS(r.output, "vfmadd");     // --asm
  for (const char *file : {"y.stmt", "y.stmt.html", "y.s", "y.loop.s"}) CHECK_MENTIONS(readFile(dir.path + "/out/" + file), "");
  std::string html = readFile(dir.path + "/out/y.stmt.html");
  CHECK_MENTIONS(html, "<head>");
  CHECK_MENTIONS(html, "<h2 id=\"assembly\">");  // the assembly follows Halide's statement
  CHECK(html.find("vfmadd", html.find("<h2 id=\"assembly\">")) != std::string::npos);

  r = test::runDeeper("explain " + model + " --kernel y --measure --threads 1");
  REQUIRE(r.status == 0);
  CHECK_MENTIONS(r.output, "in the whole model on 1 threads: ");
  CHECK_MENTIONS(r.output, "% of the measured FMA peak (");
  CHECK_MENTIONS(r.output, "  roofline    ");

  r = test::runDeeper("explain " + model + " --kernel d");
  CHECK(r.status == 1);
  CHECK_MENTIONS(r.output, "'d' (flatten) runs no kernel of its own");
  r = test::runDeeper("explain " + model + " --kernel nope -o " + dir.path + "/never");
  CHECK(r.status == 1);
  CHECK_MENTIONS(r.output, "the optimised model has no node 'nope'");
  CHECK_FALSE(std::filesystem::exists(dir.path + "/never"));
  r = test::runDeeper("explain " + model);
  CHECK(r.status == 1);
  CHECK_MENTIONS(r.output, "needs --kernel NAME");
}

namespace {

KernelRecord record(const std::string &node, std::vector<std::string> absorbed = {}) {
  KernelRecord r;
  r.node = node, r.absorbed = std::move(absorbed), r.function = "deeper_k_" + node;
  return r;
}

}  // namespace

TEST_CASE("matching kernels: through the layers they absorbed, fused against unfused, and layers one build lacks") {
  BuildManifest a, b;
  a.kernels = {record("c1"), record("r3_and_r5", {"r3", "r5"}), record("b3", {"relu3"}), record("out_copy")};
  b.kernels = {record("c1"), record("r3"), record("r5"), record("b3"), record("relu3"), record("concat")};
  std::vector<MatchedKernels> rows = matchKernels(a, b);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].a == std::vector<size_t>{0});
  CHECK(rows[0].b == std::vector<size_t>{0});
  CHECK(rows[1].a == std::vector<size_t>{1});
  CHECK(rows[1].b == std::vector<size_t>{1, 2});  // the merged conv faces both siblings
  CHECK(rows[2].a == std::vector<size_t>{2});
  CHECK(rows[2].b == std::vector<size_t>{3, 4});  // the conv that absorbed its relu faces both
  CHECK(rows[3].a == std::vector<size_t>{3});
  CHECK(rows[3].b.empty());
  CHECK(rows[4].a.empty());
  CHECK(rows[4].b == std::vector<size_t>{5});
  // A build against itself: every row one kernel each side.
  for (const MatchedKernels &row : matchKernels(a, a)) CHECK((row.a.size() == 1 && row.b.size() == 1));
}

TEST_CASE("deeper compare: a build against itself differs nowhere; against no passes it shows the fusions") {
  test::TempDir dir;
  const std::string model = dir.path + "/m.dnet";
  writeFileAtomic(model, kModule);
  REQUIRE(test::runDeeper("compile " + model + " -o " + dir.path + "/a").status == 0);
  test::CliResult self = test::runDeeper("compare " + dir.path + "/a " + dir.path + "/a --rounds 1 --runs 3");
  REQUIRE(self.status == 0);
  CHECK_MENTIONS(self.output, "0 of 6 rows differ in code");
  CHECK_MENTIONS(self.output, "whole model");
  CHECK(self.output.find("    A: ") == std::string::npos);  // no row explains a difference

  test::CliResult r = test::runDeeper("compare " + model + " --b \"--passes=\" --rounds 1 --runs 3");
  REQUIRE(r.status == 0);
  CHECK_MENTIONS(r.output, "B: " + model + " --passes= (");
  CHECK_MENTIONS(r.output, "A: b1 (conv+relu, direct), absorbs r1");
  CHECK_MENTIONS(r.output, "B: 2 kernels: b1, r1");
  CHECK_MENTIONS(r.output, "(B only) cat");
  CHECK_MENTIONS(r.output, "A: no kernel: cat is an in-place concat");
  CHECK_MENTIONS(r.output, "7 of 7 rows differ in code");
  CHECK_MENTIONS(r.output, "attributes: A only: layout=nhwc");

  // --stmt: diffs of the lowered statements where the code differs (here: channels-last layouts, whose
  // convs keep a tile of 3 pixels in registers, where N,C,H,W ones accumulate a row of 9 in memory).
  r = test::runDeeper("compare " + model + " --b \"--passes=\" --rounds 1 --runs 2 --stmt");
  REQUIRE(r.status == 0);
  CHECK_MENTIONS(r.output, "=== lowered statement of r3: A against B\n--- A/r3\n+++ B/r3\n@@ ");
  CHECK_MENTIONS(r.output, "\n-  allocate acc[float32 * 16 * 3 * 1 * 1]\n");
  CHECK_MENTIONS(r.output, "\n+allocate acc[float32 * 16 * 9 * 1 * 1]\n");
  test::CliResult bad = test::runDeeper("compare " + dir.path + "/a " + dir.path + "/a --stmt");
  CHECK(bad.status == 1);
  CHECK_MENTIONS(bad.output, "compiled folders do not keep");

  bad = test::runDeeper("compare " + dir.path + " " + dir.path + "/a");
  CHECK(bad.status == 1);
  CHECK_MENTIONS(bad.output, "holds no <model>.kernels.json");
  bad = test::runDeeper("compare " + model);
  CHECK(bad.status == 1);
  CHECK_MENTIONS(bad.output, "needs two compiled folders");
  bad = test::runDeeper("compare " + model + " --b \"--target x86-64-linux-avx2 nonsense\"");
  CHECK(bad.status == 1);
  CHECK_MENTIONS(bad.output, "a variant is options only");
}

TEST_CASE("canonical statements: per-process unique names renamed by first appearance, other names kept") {
  CHECK(canonicalStatement("let t67 = conv$1.s0.x*4\nacc$12[t67] = t68 + t67") == "let t0 = conv.s0.x*4\nacc[t0] = t1 + t0");
  CHECK(canonicalStatement("for (acc.s1.r$x, 0, 16) { tile_x[t3] = in.t2 }") == "for (acc.s1.r$x, 0, 16) { tile_x[t0] = in.t2 }");
  CHECK(canonicalStatement("t12x = at5 + t") == "t12x = at5 + t");  // not temporaries
  CHECK(canonicalStatement("") == "");
  CHECK(unifiedDiff("a\nb\n", "a\nb\n", "A", "B", 10) == "");
  std::string diff = unifiedDiff("a\nb\nc\n", "a\nx\nc\n", "A", "B", 100);
  CHECK_MENTIONS(diff, "--- A\n+++ B\n");
  CHECK_MENTIONS(diff, "-b\n+x\n");
  CHECK_MENTIONS(unifiedDiff("a\nb\nc\n", "a\nx\nc\n", "A", "B", 3), "... ");
}

namespace {

Trial trialOf(const std::string &problem, const std::string &created, double ms, double baseline) {
  Trial t;
  t.unit = "module", t.problem = problem, t.label = problem, t.config = created, t.origin = "tuner", t.created = created;
  t.context.target = "x86-64-linux-avx2", t.context.batch = 1;
  t.medianMs = ms, t.baselineMs = baseline;
  return t;
}

/// How often `needle` occurs in `text`.
size_t occurrences(const std::string &text, const std::string &needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("tuning convergence: the best time so far per unit, in trial order, relative to the default beside it") {
  std::vector<Trial> trials = {trialOf("m1", "2026-11-30T10:00:03", 0.9, 1.0), trialOf("m1", "2026-11-30T10:00:01", 1.0, 1.0),
                               trialOf("m1", "2026-11-30T10:00:05", 0.95, 1.0), trialOf("m2", "2026-11-30T10:00:02", 2.0, 2.0),
                               trialOf("alone", "2026-11-30T10:00:02", 1.0, 1.0)};
  Trial failed = trialOf("m2", "2026-11-30T10:00:04", 0.1, 2.0);
  failed.status = "crash";
  Trial other = trialOf("m2", "2026-11-30T10:00:06", 1.5, 2.0);
  other.context.batch = 8;  // another batch: not this build's
  trials.push_back(failed), trials.push_back(other), trials.push_back(trialOf("m2", "2026-11-30T10:00:07", 1.0, 2.0));
  std::vector<svg::Series> curves = convergenceCurves(trials, "x86-64-linux-avx2", 1);
  REQUIRE(curves.size() == 2);  // "alone" has one trial: no curve
  CHECK(curves[0].label == "m2");  // the largest gain first
  CHECK(curves[0].points == std::vector<std::pair<double, double>>{{1, 1.0}, {2, 0.5}});
  CHECK(curves[1].label == "m1");
  CHECK(curves[1].points == std::vector<std::pair<double, double>>{{1, 1.0}, {2, 0.9}, {3, 0.9}});
  CHECK(convergenceCurves(trials, "x86-64-linux-avx512", 1).empty());
}

TEST_CASE("deeper report: one HTML file a headless browser renders with every plot holding its data") {
  test::TempDir dir;
  const std::string model = dir.path + "/m.dnet";
  writeFileAtomic(model, kModule);
  {  // a database with one unit tuned over three trials, for the convergence plot
    TuningDatabase db(dir.path + "/t.sqlite");
    Halide::Target host = parseTarget("host");
    for (auto [created, ms] : {std::pair<const char *, double>{"2026-11-30T10:00:01", 1.0}, {"2026-11-30T10:00:02", 0.8}, {"2026-11-30T10:00:03", 0.9}}) {
      Trial t = trialOf("a module", created, ms, 1.0);
      t.context.target = host.to_string();
      db.insert(t);
    }
  }
  test::CliResult r = test::runDeeper("report " + model + " -o " + dir.path + "/r.html --rounds 1 --runs 3 --threads 2");
  REQUIRE(r.status == 0);
  CHECK_MENTIONS(r.output, "6 kernels, 4 ablation builds");  // the passes that change this model
  std::string html = readFile(dir.path + "/r.html");
  CHECK(html.find("<script") == std::string::npos);  // nothing to run, nothing fetched
  CHECK(html.find("http://") == html.find("http://www.w3.org/"));
  CHECK(html.find("https://") == std::string::npos);

  // What a browser builds of it: every chart with its marks.
  test::CliResult dom = test::runShell("timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir=" + dir.path +
                                       "/browser --enable-logging=stderr --v=0 --dump-dom file://" + dir.path + "/r.html 2>" + dir.path + "/browser.log");
  REQUIRE(dom.status == 0);
  CHECK(occurrences(dom.output, "class=\"bar\"") == 6 + 4);  // a bar per kernel, one per ablation build
  CHECK(occurrences(dom.output, "class=\"point\"") == 6);    // every kernel here multiplies
  CHECK(occurrences(dom.output, "class=\"node\"") >= 9);     // Graphviz's nodes: the graph's and the output's
  CHECK(occurrences(dom.output, "class=\"span\"") >= 3);     // the module's lanes
  CHECK(occurrences(dom.output, "class=\"ablation\"") == 4);
  // Without these the optimised graph is the same, so their builds would time noise.
  CHECK_MENTIONS(dom.output, "Not built: batchnorm-folding, channel-shuffle-fusion, reduce-conv-fusion, conv-pool-fusion, elementwise-fusion (");
  CHECK(occurrences(dom.output, "class=\"kernel\"") == 6);
  CHECK(occurrences(dom.output, "class=\"roof compute\"") == 1);
  for (const char *heading : {"Graph", "Kernel times", "Roofline", "Branch lanes", "Fusion ablation", "Tuning convergence", "Kernels"})
    CHECK_MENTIONS(dom.output, std::string("<h2>") + heading + "</h2>");
  std::string log = readFile(dir.path + "/browser.log");
  CHECK(log.find("Uncaught") == std::string::npos);
  CHECK(log.find("CONSOLE") == std::string::npos);

  // With the database: its convergence curve; and a screenshot of the whole page.
  r = test::runShell("DEEPER_ORT_DIR=" + ortModules() + " " + DEEPER_BINARY + " report " + model + " --db " + dir.path + "/t.sqlite --ort -o " + dir.path +
                     "/t.html --rounds 1 --runs 3 2>&1");
  REQUIRE(r.status == 0);
  CHECK_MENTIONS(r.output, "1 tuning curves");
  std::string withOrt = readFile(dir.path + "/t.html");
  CHECK(occurrences(withOrt, "<tr class=\"ort\">") >= 6);  // a row per Deeper kernel at least
  CHECK_MENTIONS(withOrt, "<h2>Against ONNX Runtime</h2>");
  CHECK(occurrences(withOrt, "class=\"chart bars\"") == 2);  // kernel times, ORT ratios (no ablation with --db)
  REQUIRE(test::runShell("timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir=" + dir.path + "/browser --window-size=1400,2400 --screenshot=" +
                         dir.path + "/t.png file://" + dir.path + "/t.html > /dev/null 2>&1")
              .status == 0);
  std::string png = readFile(dir.path + "/t.png");
  REQUIRE(png.size() > 24);
  CHECK(png.compare(1, 3, "PNG") == 0);
  auto be32 = [&](size_t at) { return (uint32_t(uint8_t(png[at])) << 24) | (uint32_t(uint8_t(png[at + 1])) << 16) | (uint32_t(uint8_t(png[at + 2])) << 8) | uint8_t(png[at + 3]); };
  CHECK(be32(16) == 1400);  // IHDR: the window's width and height
  CHECK(be32(20) == 2400);
  CHECK(png.size() > 40000);  // drawn, not blank
  CHECK(occurrences(readFile(dir.path + "/t.html"), "class=\"series\"") == 1);
}


TEST_CASE("ONNX Runtime's trace: node kernel times by node, median over runs; other events and other text refused or ignored") {
  std::string trace = R"([
    {"cat": "Session", "name": "model_run", "dur": 900},
    {"cat": "Node", "name": "conv1_nchwc_fence_before", "dur": 1},
    {"cat": "Node", "name": "conv1_nchwc_kernel_time", "dur": 300, "args": {"op_name": "Conv"}},
    {"cat": "Node", "name": "pool:relu_kernel_time", "dur": 50, "args": {"op_name": "Relu"}},
    {"cat": "Node", "name": "conv1_nchwc_kernel_time", "dur": 100, "args": {"op_name": "Conv"}},
    {"cat": "Node", "name": "conv1_nchwc_kernel_time", "dur": 200, "args": {"op_name": "Conv"}}
  ])";
  std::vector<OrtNodeTime> nodes = parseOrtTrace(trace, "t.json");
  REQUIRE(nodes.size() == 2);
  CHECK(nodes[0].node == "conv1_nchwc");
  CHECK(nodes[0].op == "Conv");
  CHECK(nodes[0].ms == doctest::Approx(0.2));
  CHECK(nodes[0].runs == 3);
  CHECK(nodes[1].node == "pool:relu");
  CHECK_MENTIONS(test::userErrorOf([] { parseOrtTrace("{not json", "bad.json"); }), "bad.json: not an ONNX Runtime profile");
}

TEST_CASE("deeper compare --ort: ONNX Runtime's nodes beside Deeper's kernels, matched through the layers") {
  test::TempDir dir;
  std::string modules = ortModules();
  const std::string model = dir.path + "/m.dnet";
  writeFileAtomic(model, kModule);
  test::CliResult r = test::runShell("DEEPER_ORT_DIR=" + modules + " " + DEEPER_BINARY + " compare " + model + " --ort --threads 1 --rounds 1 --runs 5 2>&1");
  REQUIRE(r.status == 0);
  CHECK_MENTIONS(r.output, "B: ONNX Runtime (npm onnxruntime-node) on ");
  CHECK_MENTIONS(r.output, "whole model: ORT / Deeper = ");
  for (const char *kernel : {"\nb1 ", "\nr3 ", "\nb3 ", "\ny "}) {
    size_t line = r.output.find(kernel);
    REQUIRE(line != std::string::npos);
    std::string row = r.output.substr(line + 1, r.output.find('\n', line + 1) - line - 1);
    CHECK_MESSAGE(row.find("(none:") == std::string::npos, row);  // every Deeper kernel found its ORT node
  }
  CHECK_MENTIONS(r.output, "Deeper: an in-place concat");

  r = test::runDeeper("compare " + model + " --ort --b \"--passes=\"");
  CHECK(r.status == 1);
  CHECK_MENTIONS(r.output, "--ort takes B's place");
  r = test::runDeeper("report " + model);
  CHECK(r.status == 1);
  CHECK_MENTIONS(r.output, "'deeper report' needs -o FILE.html");
  r = test::runShell("DEEPER_ORT_DIR=" + dir.path + "/nowhere " + DEEPER_BINARY + " compare " + model + " --ort 2>&1");
  CHECK(r.status == 1);
  CHECK_MENTIONS(r.output, "install it with scripts/install-ort");
}

TEST_CASE("kernel manifests: written and read back alike; identifiers that are paths and impossible counts refused") {
  BuildManifest m;
  m.model = "m", m.identifier = "m", m.source = "m.dnet", m.target = "host", m.batch = 2;
  m.kernels = {record("c1"), record("r3_and_r5", {"r3", "r5"})};
  m.kernels[1].lane = 2, m.kernels[1].group = 1, m.kernels[1].executedMacs = 7;
  m.notKernels["cat"] = "an in-place concat";
  std::string text = manifestJson(m);
  BuildManifest back = parseManifest(text, "m.kernels.json");
  CHECK(manifestJson(back) == text);
  CHECK(back.kernels[1].absorbed == std::vector<std::string>{"r3", "r5"});
  CHECK(back.notKernels.at("cat") == "an in-place concat");

  auto refused = [&](BuildManifest bad) { return test::userErrorOf([&] { parseManifest(manifestJson(bad), "bad.kernels.json"); }); };
  BuildManifest path = m;
  path.identifier = "../../etc/m";  // would name lib../../etc/m.a beside the manifest
  CHECK_MENTIONS(refused(path), "bad.kernels.json: identifier '../../etc/m' is not the C identifier");
  BuildManifest lane = m;
  lane.kernels[0].lane = 1000000000;  // would size the report's lane timeline
  CHECK_MENTIONS(refused(lane), "bad.kernels.json: kernel 'c1' has a lane, group, work or byte count no build has");
  BuildManifest bytes = m;
  bytes.kernels[1].weightBytes = -1;
  CHECK_MENTIONS(refused(bytes), "kernel 'r3_and_r5' has a lane, group");
  CHECK_MENTIONS(test::userErrorOf([] { parseManifest("{\"model\": 3}", "x.json"); }), "x.json: not a kernel manifest of `deeper compile`");

  // Numbers no integer field can hold: a plain cast of them is undefined behaviour (found by fuzz.profiles).
  auto edited = [&](const std::string &from, const std::string &to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    return test::userErrorOf([&] { parseManifest(t, "edited.kernels.json"); });
  };
  CHECK_MENTIONS(edited("\"lane\": 0", "\"lane\": 1e300"), "'lane' must be an integer in -2147483648..2147483647, not 1e+300");
  CHECK_MENTIONS(edited("\"group\": 0", "\"group\": 0.5"), "'group' must be an integer");
  CHECK_MENTIONS(edited("\"batch\": 2", "\"batch\": 18446744073709551615"), "'batch' must be an integer");
}

TEST_CASE("executable profiles: integer fields refuse fractions and numbers beyond their type") {
  const std::string q = "{\"median\": 1, \"q1\": 1, \"q3\": 1}";
  auto profile = [&](const std::string &runs, const std::string &lane) {
    return "{\"runs\": " + runs + ", \"total_ms\": " + q + ", \"steps\": [{\"name\": \"c1\", \"lane\": " + lane + ", \"ms\": " + q +
           "}], \"groups\": []}";
  };
  Profile p = parseProfile(profile("20", "2"), "p.json");
  CHECK(p.runs == 20);
  CHECK(p.steps.at(0).lane == 2);
  CHECK_MENTIONS(test::userErrorOf([&] { parseProfile(profile("2.5", "2"), "p.json"); }), "p.json: unreadable profile: 'runs' must be an integer");
  CHECK_MENTIONS(test::userErrorOf([&] { parseProfile(profile("20", "-1e40"), "p.json"); }), "'lane' must be an integer");
}
