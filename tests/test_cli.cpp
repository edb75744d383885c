// The deeper binary: exit codes, files written only on success, pass instrumentation.
#include "TestUtil.h"
#include "codegen/KernelManifest.h"
#include "reference/Weights.h"
#include "support/Npy.h"
#include "support/Safetensors.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>

using namespace deeper;
using test::runDeeper;

namespace {

/// Every entry of a folder: a file's bytes, or "<folder>".
std::map<std::string, std::string> folderContents(const std::string &folder) {
  std::map<std::string, std::string> contents;
  for (const auto &entry : std::filesystem::directory_iterator(folder))
    contents[entry.path().filename()] = entry.is_directory() ? "<folder>" : readFile(entry.path());
  return contents;
}

bool exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

/// Writes a small model and inputs for it into `dir`.
void smallModel(const std::string &dir) {
  std::ofstream(dir + "/small.dnet") << "network small\n"
                                        "x = input(shape=2x6x6)\n"
                                        "c = conv(x, out=4, kernel=3, pad=1)\n"
                                        "r = relu(c)\n"
                                        "d = dropout(r, ratio=0.5)\n"
                                        "f = fc(d, out=5)\n"
                                        "prob = softmax(f)\n"
                                        "output prob\n";
  Tensor in({1, 2, 6, 6});
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<float>(i % 7) - 3.0f;
  writeNpy(dir + "/x.npy", in);
  Tensor batch3({3, 2, 6, 6});
  writeNpy(dir + "/x3.npy", batch3);
  writeNpy(dir + "/wrong.npy", Tensor({1, 3, 6, 6}));
}

/// The arrays in two .npy files have one shape and equal values (relative 1e-5).
void checkSameNpy(const std::string &gotPath, const std::string &wantPath) {
  INFO(gotPath << " against " << wantPath);
  Tensor got = readNpy(gotPath), want = readNpy(wantPath);
  REQUIRE(got.shape == want.shape);
  for (size_t i = 0; i < got.data.size(); ++i) CHECK(got.data[i] == doctest::Approx(want.data[i]).epsilon(1e-5));
}

}  // namespace

TEST_CASE("help, unknown commands and options") {
  auto help = runDeeper("--help");
  CHECK(help.status == 0);
  CHECK(help.output.find("usage: deeper COMMAND MODEL") == 0);
  CHECK(runDeeper("").status == 1);
  auto bad = runDeeper("frobnicate x.dnet");
  CHECK(bad.status == 1);
  CHECK(bad.output.find("unknown command 'frobnicate'") != std::string::npos);
  auto opt = runDeeper("summary " + test::googlenetPath() + " --frob");
  CHECK(opt.status == 1);
  CHECK(opt.output == "error: unknown option '--frob'; `deeper help summary` lists its options\n");
  CHECK(runDeeper("summary " + test::googlenetPath() + " --batch 0").output.find("--batch expects a positive integer") != std::string::npos);
  CHECK(runDeeper("passes").output.find("epilogue-fusion") != std::string::npos);
  std::string ops = runDeeper("ops").output;
  CHECK(ops.find("    kernel                int2  (required) kernel size KHxKW") != std::string::npos);
  CHECK(ops.find("    <node>.reduce_bias    learned, per-channel, when reduce:") != std::string::npos);
  CHECK(ops.find("(one of: constant, reflect, edge)") != std::string::npos);
  CHECK(ops.find("lrn      [opaque; window]") != std::string::npos);
}

TEST_CASE("help for each command, --version, did-you-mean, and options a command does not take are errors") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  auto help = runDeeper("help compile");
  CHECK(help.status == 0);
  CHECK(help.output.find("usage: deeper compile MODEL -o DIR\n") == 0);
  CHECK_MENTIONS(help.output, "  --target T[,T2...] ");
  CHECK_MENTIONS(help.output, "pipeline options:\n  --batch N ");
  CHECK(help.output.find("--top5") == std::string::npos);
  CHECK(runDeeper("compile --help").output == help.output);
  CHECK(runDeeper("help passes").output.find("pipeline options") == std::string::npos);
  CHECK_MENTIONS(runDeeper("--help").output, "`deeper help COMMAND` (or `deeper COMMAND --help`)");
  auto version = runDeeper("--version");
  CHECK(version.status == 0);
  CHECK(version.output.find("deeper 0.1.0 (code generation ") == 0);
  CHECK_MENTIONS(version.output, "; Halide 14.");

  auto misspelt = [&](const std::string &args) { return runDeeper(args).output; };
  CHECK(misspelt("compil " + dir + "/small.dnet") == "error: unknown command 'compil'; did you mean 'compile'?; see `deeper --help`\n");
  CHECK(misspelt("help sumary") == "error: no command 'sumary'; did you mean 'summary'?; `deeper help` lists them\n");
  CHECK(misspelt("summary " + dir + "/small.dnet --jsno") == "error: unknown option '--jsno'; did you mean '--json'?; `deeper help summary` lists its options\n");
  CHECK(misspelt("summary " + dir + "/small.dnet --top5") == "error: 'deeper summary' does not take --top5 (run takes it); `deeper help summary` lists its options\n");
  CHECK(misspelt("summary " + dir + "/small.dnet --target host") ==
        "error: 'deeper summary' does not take --target (ir, graph, compile, schedules, explain, compare, report, tune take it); `deeper help summary` lists its options\n");
  // Suggestions come from the command's own options: run takes no --threads to suggest.
  CHECK(misspelt("run " + dir + "/small.dnet --synthetic-input --thread 2") == "error: unknown option '--thread'; `deeper help run` lists its options\n");
  CHECK_MENTIONS(misspelt("run " + dir + "/small.dnet --synthetic-input --input x.npy"), "exclude each other");
  CHECK_MENTIONS(misspelt("compare " + dir + "/small.dnet --a \"--top5\""), "a build's options (\"--top5\", as for compile) does not take --top5");
  CHECK_MENTIONS(misspelt("passes extra"), "'deeper passes' takes no operand");
  // Names of things inside the model or the tool: passes, values, kernels, autoschedulers.
  CHECK_MENTIONS(misspelt("ir " + dir + "/small.dnet --passes=shape-inference,epilog-fusion"), "unknown pass 'epilog-fusion' in --passes; did you mean 'epilogue-fusion'?");
  CHECK_MENTIONS(misspelt("ir " + dir + "/small.dnet --outputs=prb"), "--outputs: the model has no value 'prb'; did you mean 'prob'?");
  CHECK_MENTIONS(misspelt("run " + dir + "/small.dnet --synthetic-input --output prop=" + dir + "/y.npy"), "no value 'prop' (after the passes); did you mean 'prob'?");
  CHECK_MENTIONS(misspelt("explain " + dir + "/small.dnet --kernel prb"), "no node 'prb'; did you mean 'prob'?");
  CHECK_MENTIONS(misspelt("tune --db x.sqlite --autoschedulers=Adams2018"), "no autoscheduler 'Adams2018'; did you mean 'Adams2019'?");
  // A directory where a file belongs says so.
  CHECK_MENTIONS(misspelt("run " + dir + "/small.dnet --input " + dir), "'" + dir + "' is a directory, not a regular file");
}

TEST_CASE("a diagnostic exits non-zero with file:line:col") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  std::ofstream(dir + "/bad.dnet") << "x = input(shape=3x8x8)\nc = conv(x, out=4, kernel=3, stride=0)\noutput c\n";
  auto r = runDeeper("summary " + dir + "/bad.dnet");
  CHECK(r.status == 1);
  CHECK(r.output.find(dir + "/bad.dnet:2:1: error: stride must be positive, got 0\n") == 0);
}

TEST_CASE("summary prints the paper's totals, as text and JSON") {
  auto text = runDeeper("summary " + test::googlenetPath());
  CHECK(text.status == 0);
  CHECK(text.output.find("total: 6,990,272 weights (+8,280 biases), 1,582,671,872 multiply-adds") != std::string::npos);
  CHECK(text.output.find("loss1") == std::string::npos);
  auto json = runDeeper("summary " + test::googlenetPath() + " --json");
  CHECK(nlohmann::json::parse(json.output)["total"]["macs"] == 1582671872);
  auto all = runDeeper("summary " + test::googlenetPath() + " --all");
  CHECK(all.output.find("loss1/classifier") != std::string::npos);
}

TEST_CASE("ir: pipeline control and instrumentation") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  auto raw = runDeeper("ir " + dir + "/small.dnet --passes=");
  CHECK(raw.output.find("d = dropout(r) : f32[1,4,6,6]") != std::string::npos);
  auto all = runDeeper("ir " + dir + "/small.dnet --print-after-all --time-passes");
  CHECK(all.status == 0);
  CHECK(all.output.find("# *** IR after shape-inference (unchanged) ***") != std::string::npos);
  CHECK(all.output.find("# *** IR after epilogue-fusion (changed) ***") != std::string::npos);
  CHECK(all.output.find("# pass timing (12 passes") != std::string::npos);
  CHECK(all.output.find("c = conv(x, out=4, kernel=3x3, pad=1x1, relu=true) : f32[1,4,6,6]") != std::string::npos);
  auto one = runDeeper("ir " + dir + "/small.dnet --print-after=inference-cleanup --verify-each -o " + dir + "/out.ir");
  CHECK(one.output.find("IR after inference-cleanup") != std::string::npos);
  CHECK(one.output.find("IR after epilogue-fusion") == std::string::npos);
  // The printed IR is itself a model.
  auto again = runDeeper("ir " + dir + "/out.ir");
  CHECK(again.status == 0);
  CHECK(again.output == readFile(dir + "/out.ir"));
  CHECK(runDeeper("ir " + dir + "/small.dnet --passes=nope").output.find("unknown pass 'nope'") != std::string::npos);
}

TEST_CASE("graph writes Graphviz") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  CHECK(runDeeper("graph " + test::googlenetPath() + " -o " + dir + "/g.dot").status == 0);
  CHECK(readFile(dir + "/g.dot").find("subgraph cluster_") != std::string::npos);
  // Graphviz itself accepts it (scripts/install-deps installs graphviz).
  CHECK(std::system(("dot -Tsvg " + dir + "/g.dot -o " + dir + "/g.svg").c_str()) == 0);
  std::string svg = readFile(dir + "/g.svg");
  CHECK(svg.find("inception_3a (inception)") != std::string::npos);
  // A node's label is three lines of text, none with a backslash in it.
  CHECK_MENTIONS(svg, ">inception_3a/1x1</text>");
  CHECK_MENTIONS(svg, ">conv+relu</text>");
  CHECK(svg.find("\\n") == std::string::npos);
}

TEST_CASE("run: writes outputs, batch follows the input, names any value") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  auto r = runDeeper("run " + dir + "/small.dnet --input " + dir + "/x.npy --output " + dir + "/y.npy --seed 3");
  CHECK(r.status == 0);
  Tensor y = readNpy(dir + "/y.npy");
  CHECK(y.shape == Dims{1, 5});
  float sum = 0;
  for (float v : y.data) sum += v;
  CHECK(sum == doctest::Approx(1.0f));
  auto same = runDeeper("run " + dir + "/small.dnet --input data=" + dir + "/x.npy --output " + dir + "/y.npy");
  CHECK(same.output.find("the model has no input 'data'") != std::string::npos);
  CHECK(runDeeper("run " + dir + "/small.dnet --input x=" + dir + "/x3.npy --output prob=" + dir + "/y3.npy --output c=" + dir + "/c3.npy").status == 0);
  CHECK(readNpy(dir + "/y3.npy").shape == Dims{3, 5});
  CHECK(readNpy(dir + "/c3.npy").shape == Dims{3, 4, 6, 6});
  auto top = runDeeper("run " + dir + "/small.dnet --synthetic-input --top5");
  CHECK(top.output.find("prob[0] top-5:") == 0);
}

TEST_CASE("run: bad input fails without writing or clobbering the output") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  auto r = runDeeper("run " + dir + "/small.dnet --input " + dir + "/wrong.npy --output " + dir + "/y.npy");
  CHECK(r.status == 1);
  CHECK(r.output == "error: input 'x' must be f32[1,2,6,6], got f32[1,3,6,6]\n");
  CHECK_FALSE(exists(dir + "/y.npy"));
  std::ofstream(dir + "/keep.npy") << "previous";
  std::ofstream(dir + "/junk.npy") << "not an npy file";
  auto j = runDeeper("run " + dir + "/small.dnet --input " + dir + "/junk.npy --output " + dir + "/keep.npy");
  CHECK(j.status == 1);
  CHECK(j.output.find("is not a usable .npy file") != std::string::npos);
  CHECK(readFile(dir + "/keep.npy") == "previous");
  auto w = runDeeper("run " + dir + "/small.dnet --input " + dir + "/x.npy --weights " + dir + "/x.npy --output " + dir + "/keep.npy");
  CHECK(w.status == 1);
  CHECK(w.output.find("is not a usable safetensors file") != std::string::npos);
  CHECK(runDeeper("run " + dir + "/small.dnet --input " + dir + "/x.npy --seed 1 --weights w").output.find("exclude each other") != std::string::npos);
  CHECK(runDeeper("run " + dir + "/small.dnet").output.find("needs --input") != std::string::npos);
  CHECK(runDeeper("run " + dir + "/small.dnet --input " + dir + "/x.npy --output " + dir + "/nodir/y.npy").status == 1);
}

TEST_CASE("compile: errors leave no output, a warm rebuild compiles nothing") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  CHECK(runDeeper("compile " + dir + "/small.dnet").output.find("needs -o DIR") != std::string::npos);
  auto badTarget = runDeeper("compile " + dir + "/small.dnet -o " + dir + "/out --target x86-64-linux-avx9");
  CHECK(badTarget.status == 1);
  CHECK(badTarget.output.find("unknown target 'x86-64-linux-avx9'") != std::string::npos);
  CHECK(runDeeper("compile " + dir + "/small.dnet -o " + dir + "/out --outputs=nope").output.find("--outputs: the model has no value 'nope'") != std::string::npos);
  std::ofstream(dir + "/rank7.dnet") << "network rank7\nx = input(shape=1x2x1x2x1x2)\ny = mul(x, operand=2)\noutput y\n";
  auto rank7 = runDeeper("compile " + dir + "/rank7.dnet -o " + dir + "/out");
  CHECK(rank7.status == 1);
  CHECK(rank7.output.find("has rank 7; compiled code handles rank 6 at most") != std::string::npos);
  auto badWeights = runDeeper("compile " + dir + "/small.dnet -o " + dir + "/out --weights " + dir + "/x.npy");
  CHECK(badWeights.status == 1);
  CHECK_FALSE(exists(dir + "/out/small.weights"));

  int cold = std::system(("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir + "/small.dnet -o " + dir + "/out > " + dir + "/cold.txt 2>&1").c_str());
  int warm = std::system(("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir + "/small.dnet -o " + dir + "/out > " + dir + "/warm.txt 2>&1").c_str());
  CHECK(cold == 0);
  CHECK(warm == 0);
  std::string coldLog = readFile(dir + "/cold.txt");
  CHECK_MENTIONS(coldLog, "kernels: 3 in the graph, 3 distinct: 3 to compile, 0 cached");
  CHECK_MENTIONS(coldLog, "3 kernels, 3 distinct, 3 compiled now, 0 cached");
  CHECK_MENTIONS(readFile(dir + "/warm.txt"), "3 kernels, 3 distinct, 0 compiled now, 3 cached");
  // Progress counts completions, in order whichever process finishes first, with the time left.
  size_t first = coldLog.find("[1/3] compiled "), second = coldLog.find("[2/3] compiled "), third = coldLog.find("[3/3] compiled ");
  CHECK((first < second && second < third && third != std::string::npos));
  CHECK(coldLog.find("s left", first) < second);
  CHECK(coldLog.find("s left", third) == std::string::npos);
  for (const char *f : {"small", "libsmall.a", "small.h", "small.weights", "small_glue.cpp", "deeper_runtime.h"}) CHECK(exists(dir + "/out/" + f));
  auto exe = std::system((dir + "/out/small --input " + dir + "/x.npy --output " + dir + "/y.npy > /dev/null").c_str());
  CHECK(exe == 0);
  CHECK(readNpy(dir + "/y.npy").shape == Dims{1, 5});
  // The executable's errors say what it expected and what it got.
  test::CliResult shape = test::runShell(dir + "/out/small --input " + dir + "/wrong.npy 2>&1");
  CHECK(shape.status == 1);
  CHECK(shape.output == "error: '" + dir + "/wrong.npy' holds f32[1,3,6,6]; input 'x' is f32[1,2,6,6] (the model is compiled for a fixed batch)\n");
  CHECK(test::runShell(dir + "/out/small --input " + dir + " 2>&1").output == "error: '" + dir + "' is a directory; --input takes a .npy file\n");
  CHECK(test::runShell(dir + "/out/small --output " + dir + "/out 2>&1").output == "error: cannot write '" + dir + "/out': Is a directory\n");

  // A compile that fails late (here the C++ compiler, after the kernels and the weights are done)
  // leaves the folder as it was: no new weights file beside the old executable, no scratch files.
  std::map<std::string, std::string> before = folderContents(dir + "/out");
  std::filesystem::create_directories(dir + "/fakebin");
  std::ofstream(dir + "/fakebin/c++") << "#!/bin/sh\necho 'c++: out of disk space' >&2\nexit 1\n";
  std::filesystem::permissions(dir + "/fakebin/c++", std::filesystem::perms::owner_all);
  int late = std::system(("PATH=" + dir + "/fakebin:$PATH DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir +
                          "/small.dnet --seed 7 -o " + dir + "/out > " + dir + "/late.txt 2>&1").c_str());
  CHECK(late != 0);
  CHECK(readFile(dir + "/late.txt").find("compiling the step table failed") != std::string::npos);
  CHECK(folderContents(dir + "/out") == before);
  // A folder where an output goes: refused before anything is renamed in.
  std::filesystem::remove(dir + "/out/small.h");
  std::filesystem::create_directories(dir + "/out/small.h");
  before = folderContents(dir + "/out");
  auto blocked = runDeeper("compile " + dir + "/small.dnet --seed 7 -o " + dir + "/out");
  CHECK(blocked.status == 1);
  CHECK(blocked.output.find("a folder of that name is in the way") != std::string::npos);
  CHECK(folderContents(dir + "/out") == before);

  // The cache: every entry keeps the text its name hashes, and a hit must match it, so an entry whose
  // key says otherwise (damaged, or a hash collision) is compiled again.
  std::filesystem::remove(dir + "/out/small.h");
  std::string cache = dir + "/cache", env = "DEEPER_CACHE_DIR=" + cache + " ";
  std::vector<std::string> kernelObjects;
  for (const auto &e : std::filesystem::directory_iterator(cache))
    if (e.path().extension() == ".o" && e.path().filename().string().size() == 34) kernelObjects.push_back(e.path().string());
  REQUIRE(kernelObjects.size() == 3);
  std::string key = readFile(kernelObjects[0] + ".key");
  CHECK_MENTIONS(key, "\ntarget x86-64-linux");
  CHECK_MENTIONS(key, "\ncodegen ");
  writeFileAtomic(kernelObjects[0] + ".key", "another kernel's text\n");
  test::CliResult again = test::runShell(env + DEEPER_BINARY + " compile " + dir + "/small.dnet -o " + dir + "/out 2>&1");
  CHECK_MENTIONS(again.output, "3 kernels, 3 distinct, 1 compiled now, 2 cached");
  CHECK(readFile(kernelObjects[0] + ".key") == key);
  // Least recently used first: a compile over the size limit removes an entry unused for hours, and
  // keeps those it just used however old they were.
  std::ofstream(cache + "/stale.o") << std::string(4096, 'x');
  REQUIRE(std::system(("touch -d '3 hours ago' " + cache + "/*").c_str()) == 0);
  test::CliResult pruned = test::runShell("DEEPER_CACHE_SIZE=1K " + env + DEEPER_BINARY + " compile " + dir + "/small.dnet -o " + dir + "/out 2>&1");
  CHECK(pruned.status == 0);
  CHECK_FALSE(exists(cache + "/stale.o"));
  for (const std::string &object : kernelObjects) CHECK(exists(object));
  CHECK(test::runShell(dir + "/out/small --input " + dir + "/x.npy > /dev/null").status == 0);
  test::CliResult usage = test::runShell(env + DEEPER_BINARY + " cache");
  CHECK(usage.output.find("kernel cache " + cache + ": 9 entries, ") == 0);  // 3 kernels, 5 runtime objects, Halide's runtime
  CHECK_MENTIONS(test::runShell(env + DEEPER_BINARY + " cache --max-size 1G 2>&1").output, "--max-size is the limit --prune prunes to: give --prune too");
  CHECK_MENTIONS(test::runShell(env + DEEPER_BINARY + " cache --prune --clear 2>&1").output, "--prune and --clear exclude each other");
  CHECK_MENTIONS(test::runShell(env + DEEPER_BINARY + " cache --prune --max-size 1Q 2>&1").output, "--max-size expects a size such as 500M, 2G");
  CHECK(test::runShell(env + DEEPER_BINARY + " cache --prune --max-size 0").output.find("removed 9 entries, ") == 0);
  CHECK(test::runShell(env + DEEPER_BINARY + " cache").output.find(": 0 entries, 0.0 MiB") != std::string::npos);
}

TEST_CASE("schedules: printed, edited by hand, compiled; the executable still computes the reference") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  auto printed = runDeeper("schedules " + dir + "/small.dnet --target x86-64-linux-avx2 -o " + dir + "/default.schedules");
  REQUIRE(printed.status == 0);
  std::string file = readFile(dir + "/default.schedules");
  CHECK(file.find("\nc: vector=8 tile_c=1 tile_x=4 chunk_i=32 block_tasks=true parallel=true winograd=2\n") != std::string::npos);
  // By hand: the direct conv instead of Winograd, in 2-pixel tiles over 1-channel weight chunks.
  std::ofstream(dir + "/hand.schedules") << "c: winograd=0 tile_x=2 chunk_i=1  # try the direct conv\n";
  auto reference = runDeeper("run " + dir + "/small.dnet --input " + dir + "/x.npy --output " + dir + "/reference.npy");
  REQUIRE(reference.status == 0);
  auto compiled = runDeeper("compile " + dir + "/small.dnet --schedules " + dir + "/hand.schedules -o " + dir + "/out");
  INFO(compiled.output);
  REQUIRE(compiled.status == 0);
  CHECK(readFile(dir + "/out/small_glue.cpp").find("// schedule: vector=16 tile_c=1 tile_x=2 chunk_i=1 block_tasks=true parallel=true winograd=0") !=
        std::string::npos);
  REQUIRE(std::system((dir + "/out/small --input " + dir + "/x.npy --output " + dir + "/compiled.npy > /dev/null").c_str()) == 0);
  Tensor a = readNpy(dir + "/compiled.npy"), b = readNpy(dir + "/reference.npy");
  REQUIRE(a.shape == b.shape);
  for (size_t i = 0; i < a.data.size(); ++i) CHECK(std::fabs(a.data[i] - b.data[i]) <= 1e-5f);

  std::ofstream(dir + "/bad.schedules") << "# a typo\nd: vector=8\n";
  auto bad = runDeeper("compile " + dir + "/small.dnet --schedules " + dir + "/bad.schedules -o " + dir + "/out2");
  CHECK(bad.status == 1);
  CHECK_MENTIONS(bad.output, "bad.schedules:2:1: error: the model has no kernel 'd'");  // inference-cleanup dropped it
  CHECK_FALSE(exists(dir + "/out2/small"));
}

TEST_CASE("compile: pointwise kernels overwrite their input in place and still match the reference") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);  // for x.npy
  std::ofstream(dir + "/chain.dnet") << "network chain\n"
                                        "x = input(shape=2x6x6)\n"
                                        "p = maxpool(x, kernel=3, pad=1)\n"
                                        "r = relu(p)\n"
                                        "b = batchnorm(r)\n"
                                        "m = mul(b, operand=2x1x1)\n"
                                        "y = conv(m, out=3, kernel=1)\n"
                                        "output y\n";
  REQUIRE(std::system(("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir + "/chain.dnet -o " + dir +
                       "/out > /dev/null 2>&1").c_str()) == 0);
  std::string glue = readFile(dir + "/out/chain_glue.cpp");
  for (const char *v : {"// p (arena bytes 0..320)", "// r (arena bytes 0..320)", "// b (arena bytes 0..320)", "// m (arena bytes 0..320)"})
    CHECK(glue.find(v) != std::string::npos);  // one buffer, overwritten step by step
  REQUIRE(std::system((dir + "/out/chain --input " + dir + "/x.npy --output " + dir + "/compiled.npy > /dev/null").c_str()) == 0);
  REQUIRE(runDeeper("run " + dir + "/chain.dnet --input " + dir + "/x.npy --output " + dir + "/reference.npy").status == 0);
  checkSameNpy(dir + "/compiled.npy", dir + "/reference.npy");

  // --profile: one line per step and the total.
  REQUIRE(std::system((dir + "/out/chain --profile 3 --peak 100 > " + dir + "/profile.txt").c_str()) == 0);
  std::string profile = readFile(dir + "/profile.txt");
  for (const char *step : {"\np ", "\nr ", "\nb ", "\nm ", "\ny "}) CHECK(profile.find(step) != std::string::npos);
  CHECK(profile.find("total_ms=") != std::string::npos);
  CHECK(profile.find("steps=5") != std::string::npos);
  CHECK_MENTIONS(profile, "FMA peak 100.0 GFLOP/s (given by --peak)");
  // Shapes as the header writes them.
  CHECK_MENTIONS(readFile(dir + "/out/chain.h"), "float[1][3][6][6]");
  // The kernel manifest: a record per step, in order, with what the passes absorbed.
  BuildManifest manifest = readManifest(dir + "/out/chain.kernels.json");
  REQUIRE(manifest.kernels.size() == 5);
  CHECK(manifest.model == "chain");
  CHECK(manifest.batch == 1);
  const KernelRecord &y = manifest.kernels[4];
  CHECK(y.node == "y");
  CHECK(y.algorithm == "direct");
  CHECK(y.output == "f32[1,3,6,6]");
  CHECK(y.layerMacs == 3 * 2 * 36);
  CHECK(y.inputBytes == 4 * 2 * 36);
  CHECK(y.function.rfind("deeper_k_", 0) == 0);
  CHECK(readFile(dir + "/out/chain_glue.cpp").find(y.function + "_argv") != std::string::npos);
  CHECK_MENTIONS(profile, "\ny                                [1][3][6][6] ");

  // Without --peak the rates are measured; the JSON and CSV carry every step with them.
  REQUIRE(std::system((dir + "/out/chain --threads 1 --profile 3 --profile-json " + dir + "/p.json --profile-csv " + dir + "/p.csv > " + dir +
                       "/measured.txt").c_str()) == 0);
  CHECK_MENTIONS(readFile(dir + "/measured.txt"), "rates on 1 threads: FMA peak ");
  nlohmann::json json = nlohmann::json::parse(readFile(dir + "/p.json"));
  CHECK(json["threads"] == 1);
  CHECK(json["peak_measured"] == true);
  CHECK(json["peak_gflops"].get<double>() > 1);
  CHECK(json["read_gbps"].get<double>() > 0.1);
  REQUIRE(json["steps"].size() == 5);
  CHECK(json["steps"][4]["name"] == "y");
  CHECK(json["steps"][4]["output"] == "[1][3][6][6]");
  CHECK(json["steps"][4]["macs"] == 3 * 2 * 36);
  std::vector<std::string> rows;
  std::istringstream csv(readFile(dir + "/p.csv"));
  for (std::string line; std::getline(csv, line);) rows.push_back(line);
  REQUIRE(rows.size() == 6);
  CHECK(rows[0] == "step,output,group,lane,ms_median,ms_q1,ms_q3,macs,gflops,percent_peak");
  CHECK(rows[5].rfind("\"y\",[1][3][6][6],0,0,", 0) == 0);
  double percent = std::stod(rows[5].substr(rows[5].rfind(',') + 1));
  CHECK(percent > 0);
  CHECK(percent < 150);  // of one thread's peak; the share can pass 100% only by noise

  // --no-rates (what the tuner runs): times only.
  REQUIRE(std::system((dir + "/out/chain --profile 3 --no-rates --profile-json " + dir + "/t.json > " + dir + "/times.txt").c_str()) == 0);
  CHECK(nlohmann::json::parse(readFile(dir + "/t.json"))["peak_gflops"] == 0.0);
  CHECK(readFile(dir + "/times.txt").find("FMA peak") == std::string::npos);
}

TEST_CASE("compile: merged siblings, fused reduces, branches in lanes: all match the unoptimised reference, batch 2") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  std::ofstream(dir + "/module.dnet") << "network module\n"
                                         "x = input(shape=2x6x6)\n"
                                         "r3 = conv(x, out=20, kernel=1, relu=true)\n"
                                         "b3 = conv(r3, out=6, kernel=3, pad=1, relu=true)\n"
                                         "r5 = conv(x, out=3, kernel=1, relu=true)\n"
                                         "b5 = conv(r5, out=4, kernel=5, pad=2)\n"
                                         "y = concat(b3, b5)\n"
                                         "z3 = conv(y, out=5, kernel=3, pad=1, relu=true)\n"
                                         "z1 = conv(y, out=4, kernel=1)\n"
                                         "z = concat(z3, z1)\n"
                                         "output z\n";
  Tensor in({2, 2, 6, 6});
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<float>(i % 11) * 0.3f - 1.5f;
  writeNpy(dir + "/x.npy", in);
  REQUIRE(std::system(("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir +
                       "/module.dnet --batch 2 --passes=sibling-merge,concat-elision -o " + dir + "/out > /dev/null 2>&1").c_str()) == 0);
  std::string glue = readFile(dir + "/out/module_glue.cpp");
  CHECK(glue.find("// step 0: r3_and_r5") != std::string::npos);
  CHECK(glue.find("r3_and_r5 from byte 2880") != std::string::npos);  // r5: 20 channels of 6x6 in
  REQUIRE(std::system((dir + "/out/module --input " + dir + "/x.npy --output " + dir + "/compiled.npy > /dev/null").c_str()) == 0);
  // The reduces fused into their convs instead (reduce-conv-fusion at every site).
  REQUIRE(std::system(("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir +
                       "/module.dnet --batch 2 --passes=reduce-conv-fusion-everywhere,sibling-merge,concat-elision -o " + dir +
                       "/fused > /dev/null 2>&1").c_str()) == 0);
  glue = readFile(dir + "/fused/module_glue.cpp");
  CHECK(glue.find("r3_and_r5") == std::string::npos);
  CHECK(glue.find("b3.reduce_weight") != std::string::npos);
  REQUIRE(std::system((dir + "/fused/module --input " + dir + "/x.npy --output " + dir + "/fused.npy > /dev/null").c_str()) == 0);
  // The branches side by side (branch-schedule at every module), on one thread and on two.
  REQUIRE(std::system(("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir +
                       "/module.dnet --batch 2 --passes=sibling-merge,concat-elision,branch-schedule-everywhere -o " + dir +
                       "/lanes > /dev/null 2>&1").c_str()) == 0);
  glue = readFile(dir + "/lanes/module_glue.cpp");
  CHECK(glue.find("// step 0: r3_and_r5\n") != std::string::npos);  // both branches need it: before the lanes
  CHECK(glue.find("// step 1: b3 (group 1, lane 1)") != std::string::npos);
  CHECK(glue.find("// step 2: b5 (group 1, lane 2)") != std::string::npos);
  CHECK(glue.find("// step 3: z3 (group 2, lane 1)") != std::string::npos);  // reads y: starts when group 1 is done
  for (const char *threads : {"1", "2"})
    REQUIRE(std::system((dir + "/lanes/module --threads " + threads + " --input " + dir + "/x.npy --output " + dir + "/lanes" +
                         threads + ".npy > /dev/null").c_str()) == 0);
  REQUIRE(runDeeper("run " + dir + "/module.dnet --passes=shape-inference --input " + dir + "/x.npy --output " + dir +
                    "/reference.npy").status == 0);
  for (const char *variant : {"/compiled.npy", "/fused.npy", "/lanes1.npy", "/lanes2.npy"}) checkSameNpy(dir + variant, dir + "/reference.npy");
}

TEST_CASE("compile: channel shuffles fold into their concats, written in place by their inputs; batch 2 matches the reference") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  // Two ShuffleNet units: the first's branches (a conv and a pool) write into their concat's planes two
  // apart; the second's concatenates a slice of the first, which a copy kernel writes into it, beside
  // its branch's conv.
  std::ofstream(dir + "/shuffle.dnet") << "network shuffle\n"
                                          "x = input(shape=4x6x6)\n"
                                          "a = conv(x, out=3, kernel=3, pad=1, relu=true)\n"
                                          "d = conv(x, out=3, kernel=1)\n"
                                          "b = maxpool(d, kernel=3, pad=1)\n"
                                          "c1 = concat(a, b)\n"
                                          "r1 = reshape(c1, shape=2x3x6x6)\n"
                                          "t1 = transpose(r1, perm=0x2x1x3x4)\n"
                                          "s1 = reshape(t1, shape=6x6x6)\n"
                                          "u = slice(s1, begin=0, end=3)\n"
                                          "v = slice(s1, begin=3, end=6)\n"
                                          "w = conv(v, out=3, kernel=3, pad=1, relu=true)\n"
                                          "c2 = concat(u, w)\n"
                                          "r2 = reshape(c2, shape=2x3x6x6)\n"
                                          "t2 = transpose(r2, perm=0x2x1x3x4)\n"
                                          "s2 = reshape(t2, shape=6x6x6)\n"
                                          "y = conv(s2, out=2, kernel=3, pad=1)\n"
                                          "output y\n";
  Tensor in({2, 4, 6, 6});
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<float>(i % 13) * 0.25f - 1.5f;
  writeNpy(dir + "/x.npy", in);
  REQUIRE(std::system(("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir + "/shuffle.dnet --batch 2 -o " + dir +
                       "/out > /dev/null 2>&1").c_str()) == 0);
  std::string glue = readFile(dir + "/out/shuffle_glue.cpp");
  CHECK(glue.find("transpose") == std::string::npos);
  CHECK_MENTIONS(glue, "// step 3: w (group 2, lane 1)\n");  // a, d, b wrote into c1
  CHECK_MENTIONS(glue, "// step 4: c2/copy0 (group 2, lane 2)\n");  // u's planes into c2, beside w
  CHECK_MENTIONS(glue, "// step 5: y\n");
  CHECK(glue.find("// step 6") == std::string::npos);
  REQUIRE(std::system((dir + "/out/shuffle --input " + dir + "/x.npy --output " + dir + "/compiled.npy > /dev/null").c_str()) == 0);
  REQUIRE(runDeeper("run " + dir + "/shuffle.dnet --passes=shape-inference --input " + dir + "/x.npy --output " + dir +
                    "/reference.npy").status == 0);
  checkSameNpy(dir + "/compiled.npy", dir + "/reference.npy");
}

TEST_CASE("compile: kernels compiled at batch 1 serve batch 3 from the cache (a free batch of one is no broadcast)") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  std::ofstream(dir + "/se.dnet") << "network se\n"
                                     "x = input(shape=16x5x6)\n"
                                     "dw = conv(x, out=16, kernel=3, pad=1, groups=16, activation=silu)\n"
                                     "p = avgpool(dw, kernel=5x6)\n"
                                     "g = conv(p, out=16, kernel=1, activation=sigmoid)\n"
                                     "s = binary(g, dw, fn=mul)\n"  // channels-last: the gate broadcast over the pixels, not the batch
                                     "y = conv(s, out=4, kernel=1)\n"
                                     "output y\n";
  Tensor in({3, 16, 5, 6});
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<float>(i % 13) * 0.2f - 1.1f;
  writeNpy(dir + "/x.npy", in);
  for (const char *batch : {"1", "3"})
    REQUIRE(std::system(("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir + "/se.dnet --batch " + batch + " -o " + dir +
                         "/b" + batch + " > " + dir + "/b" + batch + ".txt 2>&1").c_str()) == 0);
  CHECK_MENTIONS(readFile(dir + "/b3.txt"), " 0 compiled now");  // every kernel from batch 1's build
  CHECK_MENTIONS(runDeeper("ir " + dir + "/se.dnet").output, "s = binary(g, dw, fn=mul, layout=nhwc)");
  REQUIRE(std::system((dir + "/b3/se --input " + dir + "/x.npy --output " + dir + "/compiled.npy > /dev/null").c_str()) == 0);
  REQUIRE(runDeeper("run " + dir + "/se.dnet --input " + dir + "/x.npy --output " + dir + "/reference.npy").status == 0);
  checkSameNpy(dir + "/compiled.npy", dir + "/reference.npy");
}

TEST_CASE("compile --target host-opencl: GoogLeNet on an OpenCL device matches the reference at batch 2") {
  // Debian's PoCL gives an OpenCL device on the CPU; the executable reaches it through the ICD loader.
  if (!exists("/etc/OpenCL/vendors/pocl.icd")) {
    MESSAGE("skipped: no device: no OpenCL ICD (Debian pocl-opencl-icd) in /etc/OpenCL/vendors");
    return;
  }
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  // Batch 2: a batch over one exercises every operand's batch stride (batch 1 runs the same kernels).
  Tensor in({2, 3, 224, 224});
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<float>((i * 7919) % 255) - 120.0f;
  const std::string input = dir + "/x.npy";
  writeNpy(input, in);
  REQUIRE(runDeeper("compile " + test::googlenetPath() + " --target host-opencl --batch 2 -o " + dir + "/g").status == 0);
  CHECK_MENTIONS(readFile(dir + "/g/googlenet.h"), "-opencl-");  // the target, in full
  REQUIRE(std::system((dir + "/g/googlenet --input " + input + " --output " + dir + "/gpu.npy > /dev/null").c_str()) == 0);
  REQUIRE(runDeeper("run " + test::googlenetPath() + " --input " + input + " --output " + dir + "/ref.npy").status == 0);
  checkSameNpy(dir + "/gpu.npy", dir + "/ref.npy");
}

/// The line of the README that starts with `start`, without its "$ " prompt.
std::string readmeCommand(const std::string &start) {
  std::istringstream readme(readFile(test::sourcePath("README.md")));
  for (std::string line; std::getline(readme, line);)
    if (line.rfind("$ " + start, 0) == 0) return line.substr(2);
  FAIL("the README has no line starting '$ " << start << "'");
  return "";
}

TEST_CASE("the README's C program and its other builds (pkg-config, CMake, one file, shared, aarch64, multi-target) run as written") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;  // laid out as the repository's root: build/googlenet, examples/
  REQUIRE(runDeeper("compile " + test::googlenetPath() + " -o " + dir + "/build/googlenet").status == 0);
  REQUIRE(std::system(("mkdir -p " + dir + "/examples && cp " + test::sourcePath("examples/classify.c") + " " + dir + "/examples/").c_str()) == 0);
  CHECK_MENTIONS(readFile(dir + "/build/googlenet/googlenet.h"), "Link with libgooglenet.a and -lstdc++ -lpthread -ldl -lm");
  test::CliResult built = test::runShell("cd " + dir + " && " + readmeCommand("cc -I build/googlenet examples/classify.c") + " -Wall -Wextra -Werror 2>&1");
  INFO(built.output);
  REQUIRE(built.status == 0);
  test::CliResult ran = test::runShell("cd " + dir + " && " + readmeCommand("build/classify ") + " 2>&1");
  CHECK(ran.status == 0);
  CHECK_MENTIONS(ran.output, "(of 1000; the probabilities sum to 1.0000)");
  test::CliResult missing = test::runShell("cd " + dir + " && build/classify nowhere.weights 2>&1");
  CHECK(missing.status == 1);
  CHECK_MENTIONS(missing.output, "error: cannot open weights 'nowhere.weights'");

  // The README's other builds of it, each line as written: pkg-config, a CMake project outside the
  // tree, a one-file executable with the weights linked in, and the shared library.
  REQUIRE(std::system(("mkdir -p " + dir + "/models " + dir + "/examples/consumer && cp " + test::sourcePath("examples/consumer/CMakeLists.txt") + " " +
                       dir + "/examples/consumer/ && ln -s " + DEEPER_BINARY + " " + dir + "/build/deeper && ln -s " + test::googlenetPath() + " " +
                       dir + "/models/googlenet.dnet").c_str()) == 0);
  std::map<std::string, std::string> outputs;  // by the start of the README's line
  auto runLines = [&](std::initializer_list<const char *> starts) {
    for (const char *start : starts) {
      CAPTURE(start);
      test::CliResult r = test::runShell("cd " + dir + " && " + readmeCommand(start) + " 2>&1");
      INFO(r.output);
      REQUIRE(r.status == 0);
      outputs[start] = r.output;
    }
  };
  runLines({"cc examples/classify.c $(pkg-config", "cmake -S examples/consumer", "build/consumer/classify ",
            "build/deeper compile models/googlenet.dnet -o build/googlenet-one", "build/googlenet-one/googlenet --top5", "cc -I build/googlenet-one",
            "build/classify-so"});
  CHECK(test::runShell("cd " + dir + " && build/classify-pc build/googlenet/googlenet.weights").output == ran.output);
  CHECK(outputs["build/consumer/classify "] == ran.output);
  CHECK(outputs["build/classify-so"] == ran.output);  // the embedded weights are the file's
  CHECK(outputs["build/googlenet-one/googlenet --top5"] == test::runShell(dir + "/build/googlenet/googlenet --top5").output);
  // One file is the whole model: no weights file beside it, and a copy anywhere runs.
  CHECK_FALSE(exists(dir + "/build/googlenet-one/googlenet.weights"));
  CHECK_MENTIONS(readFile(dir + "/build/googlenet-one/googlenet.h"), "#define GOOGLENET_EMBEDDED_WEIGHTS 1");
  REQUIRE(std::system(("mkdir " + dir + "/elsewhere && cp " + dir + "/build/googlenet-one/googlenet " + dir + "/elsewhere/").c_str()) == 0);
  CHECK(test::runShell(dir + "/elsewhere/googlenet --top5").output == outputs["build/googlenet-one/googlenet --top5"]);
  // The linked-in weights are checked at load like a file: a flipped byte in them is refused.
  std::string binary = readFile(dir + "/elsewhere/googlenet");
  std::string weights = readFile(dir + "/build/googlenet/googlenet.weights");  // the same model and seed: the same bytes
  size_t start = binary.find(weights.substr(0, 64));
  REQUIRE(start != std::string::npos);
  CHECK(binary.compare(start, weights.size(), weights) == 0);
  binary[start + weights.size() / 2] ^= 0x40;
  writeFileAtomic(dir + "/elsewhere/googlenet", binary);
  test::CliResult flipped = test::runShell("chmod +x " + dir + "/elsewhere/googlenet && " + dir + "/elsewhere/googlenet 2>&1");
  CHECK(flipped.status == 1);
  CHECK(flipped.output == "error: the embedded weights file is corrupt: checksum mismatch\n");
  // Cross-compiled for 64-bit ARM and run under qemu-aarch64 (the probabilities of the x86-64 build),
  // and one library for two x86 targets, its AVX2 path forced.
  runLines({"build/deeper compile models/googlenet.dnet -o build/googlenet-arm", "qemu-aarch64 -L /usr/aarch64-linux-gnu",
            "build/deeper compile models/googlenet.dnet -o build/googlenet-multi", "DEEPER_TARGET=x86-64-linux-avx2 build/googlenet-multi"});
  CHECK_MENTIONS(outputs["qemu-aarch64 -L /usr/aarch64-linux-gnu"], "prob[0] top-5:  722:");
  CHECK_MENTIONS(outputs["DEEPER_TARGET=x86-64-linux-avx2 build/googlenet-multi"], "prob[0] top-5:  722:");
  CHECK(readFile(dir + "/build/googlenet-arm/googlenet").substr(18, 2) == std::string("\xb7\x00", 2));  // ELF e_machine: EM_AARCH64
  REQUIRE(test::runShell("cd " + dir + " && qemu-aarch64 -L /usr/aarch64-linux-gnu build/googlenet-arm/googlenet --output arm.npy && "
                         "build/googlenet/googlenet --output x86.npy").status == 0);
  checkSameNpy(dir + "/arm.npy", dir + "/x86.npy");

  // The shared library exports the C API and nothing else (not the Halide runtime inside it).
  test::CliResult exported = test::runShell("nm -D --defined-only " + dir + "/build/googlenet-one/libgooglenet.so | awk '{print $3}' | grep -v '^deeper_\\|^googlenet_'");
  CHECK(exported.output == "");
}

TEST_CASE("an interrupted compile leaves no outputs and no staging folder; a killed one's leftovers go with the next compile") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  // Ctrl-C (SIGINT) or SIGTERM while the kernels compile (a cold cache): the folder stays empty, and the
  // shell sees the signal. The compile runs in the foreground (exec), as from a terminal: a shell's
  // background jobs start with SIGINT ignored.
  for (const auto &signalAndStatus : {std::pair<const char *, const char *>{"INT", "status=130"}, {"TERM", "status=143"}}) {
    const char *signal = signalAndStatus.first, *status = signalAndStatus.second;  // clang: CAPTURE cannot take a structured binding
    CAPTURE(signal);
    std::filesystem::remove_all(dir + "/cache");
    test::CliResult interrupted = test::runShell(
        "sh -c '( for i in $(seq 250); do ls -A " + dir + "/out 2>/dev/null | grep -q deeper-staging && break; sleep 0.02; done; kill -" + signal +
        " $$ ) & DEEPER_CACHE_DIR=" + dir + "/cache exec " + DEEPER_BINARY + " compile " + dir + "/small.dnet -o " + dir + "/out' > /dev/null 2>&1; echo status=$?");
    CHECK_MENTIONS(interrupted.output, status);
    CHECK(folderContents(dir + "/out").empty());
  }
  // A compile killed outright (-9) leaves its staging folder and a half-written cache object; the next
  // compile removes both (their process is gone) and completes.
  std::filesystem::create_directories(dir + "/out/.deeper-staging-999999999-abcdef");
  std::ofstream(dir + "/out/.deeper-staging-999999999-abcdef/small.h") << "half";
  std::filesystem::create_directories(dir + "/cache");
  std::ofstream(dir + "/cache/0123456789abcdef.o.tmp.999999999") << "half";
  REQUIRE(test::runShell("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + dir + "/small.dnet -o " + dir + "/out 2>&1").status == 0);
  CHECK_FALSE(exists(dir + "/out/.deeper-staging-999999999-abcdef"));
  CHECK_FALSE(exists(dir + "/cache/0123456789abcdef.o.tmp.999999999"));
  CHECK(exists(dir + "/out/small"));
}

TEST_CASE("compile for several targets: one library runs the best its CPU supports, and each forced path computes the reference") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  const std::string targets = "x86-64-linux-avx512_skylake,x86-64-linux-avx2";
  test::CliResult compiled = runDeeper("compile " + dir + "/small.dnet --seed 3 -o " + dir + "/out --target " + targets);
  INFO(compiled.output);
  REQUIRE(compiled.status == 0);
  CHECK_MENTIONS(compiled.output, "3 kernels, 6 distinct");  // each target its own kernels, one weights file
  CHECK(test::runShell("nm " + dir + "/out/libsmall.a | grep -c ' T deeper_k_.*_argv'").output == "6\n");
  std::ofstream(dir + "/which.c") << "#include \"small.h\"\n#include <stdio.h>\nint main(void) { puts(small_target); return 0; }\n";
  REQUIRE(test::runShell("cc -I " + dir + "/out " + dir + "/which.c " + dir + "/out/libsmall.a -lstdc++ -lpthread -ldl -lm -o " + dir + "/which").status == 0);
  bool avx512 = test::runShell("grep -qw avx512bw /proc/cpuinfo").status == 0;
  CHECK(test::runShell(dir + "/which").output == (avx512 ? "x86-64-linux-avx512_skylake\n" : "x86-64-linux-avx2\n"));
  CHECK(test::runShell("DEEPER_TARGET=x86-64-linux-avx2 " + dir + "/which").output == "x86-64-linux-avx2\n");
  CHECK_MENTIONS(test::runShell("DEEPER_TARGET=avx3 " + dir + "/which 2>&1").output,
                 "warning: DEEPER_TARGET=avx3 is none of this library's targets (x86-64-linux-avx512_skylake, x86-64-linux-avx2)");
  // Each path, forced, computes what the reference does.
  REQUIRE(runDeeper("run " + dir + "/small.dnet --seed 3 --input " + dir + "/x.npy --output " + dir + "/want.npy").status == 0);
  for (const char *forced : {"x86-64-linux-avx512_skylake", "x86-64-linux-avx2"}) {
    CAPTURE(forced);
    if (!avx512 && std::string(forced).find("avx512") != std::string::npos) continue;
    REQUIRE(test::runShell(std::string("DEEPER_TARGET=") + forced + " " + dir + "/out/small --input " + dir + "/x.npy --output " + dir + "/got.npy").status == 0);
    checkSameNpy(dir + "/got.npy", dir + "/want.npy");
  }
  // One architecture and OS per library; lists are for compile only.
  CHECK_MENTIONS(runDeeper("compile " + dir + "/small.dnet -o " + dir + "/bad --target x86-64-linux-avx2,arm-64-linux").output,
                 "the targets of one library are CPUs of one architecture and OS");
  CHECK_MENTIONS(runDeeper("compile " + dir + "/small.dnet -o " + dir + "/bad --target x86-64-linux-avx2,x86-64-linux-avx2").output, "is listed twice");
  CHECK_MENTIONS(runDeeper("schedules " + dir + "/small.dnet --target " + targets).output, "only deeper compile builds one library for several");
}

TEST_CASE("the executable finds its weights beside itself through a symlink; a copy elsewhere says to pass --weights") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  REQUIRE(runDeeper("compile " + dir + "/small.dnet -o " + dir + "/out --seed 3 --outputs 'prob'").status == 0);
  // The header says how the build was made, the command whole, as a shell reads it back.
  CHECK_MENTIONS(readFile(dir + "/out/small.h"), "/* Generated by `deeper compile " + dir + "/small.dnet -o " + dir + "/out --seed 3 --outputs prob`");
  REQUIRE(std::system(("mkdir " + dir + "/bin " + dir + "/copy && ln -s " + dir + "/out/small " + dir + "/bin/run && cp " + dir + "/out/small " +
                       dir + "/copy/small").c_str()) == 0);
  test::CliResult linked = test::runShell("cd / && PATH=" + dir + "/bin:$PATH run --input " + dir + "/x.npy --top5 2>&1");
  CHECK(linked.status == 0);
  CHECK_MENTIONS(linked.output, "prob[0] top-5:");
  test::CliResult copied = test::runShell(dir + "/copy/small --input " + dir + "/x.npy 2>&1");
  CHECK(copied.status == 1);
  CHECK_MENTIONS(copied.output, "cannot open weights '" + dir + "/copy/small.weights'");
  CHECK_MENTIONS(copied.output, "(beside the executable by default; --weights FILE names another)");
  CHECK(test::runShell(dir + "/copy/small --input " + dir + "/x.npy --weights " + dir + "/out/small.weights 2>&1").status == 0);
}

TEST_CASE("GPU targets keep a 1x1 reduce a kernel of its own, which a CPU build fuses into its conv; --passes still can") {
  test::TempDir tmp;
  std::ofstream(tmp.path + "/f.dnet") << "network f\nx = input(shape=64x56x56)\nr = conv(x, out=32, kernel=1, relu=true)\n"
                                         "c = conv(r, out=64, kernel=3, stride=2, pad=1)\noutput c\n";
  const std::string model = tmp.path + "/f.dnet";
  CHECK_MENTIONS(runDeeper("ir " + model).output, "reduce=32");
  for (const char *gpu : {"host-opencl", "host-cuda-cuda_capability_86"}) {
    CAPTURE(gpu);
    std::string ir = runDeeper("ir " + model + " --target " + gpu).output;
    CHECK(ir.find("reduce=") == std::string::npos);
    CHECK_MENTIONS(ir, "r = conv(x, out=32");
    CHECK_MENTIONS(runDeeper("ir " + model + " --target " + gpu + " --passes=shape-inference,reduce-conv-fusion").output, "reduce=32");
  }
}

TEST_CASE("compile for CUDA builds and links here, without a device; GPU targets say what they cannot take") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  test::CliResult cuda = runDeeper("compile " + dir + "/small.dnet --target host-cuda-cuda_capability_86 -o " + dir + "/cuda");
  REQUIRE(cuda.status == 0);
  CHECK(exists(dir + "/cuda/small"));
  CHECK(readFile(dir + "/cuda/libsmall.a").find(".target sm_86") != std::string::npos);  // the kernels' PTX
  // Without a GPU the weights' copy to the device at create fails, and the executable says why and exits 1
  // (Halide's own handler aborts the process). OpenCL finds no device where the ICD loader finds no
  // vendor; CUDA is absent here, but a machine with a GPU may run the build.
  REQUIRE(runDeeper("compile " + dir + "/small.dnet --target host-opencl -o " + dir + "/cl").status == 0);
  test::CliResult ranCl = test::runShell("OCL_ICD_VENDORS=" + dir + "/no-vendors " + dir + "/cl/small --input " + dir + "/x.npy 2>&1");
  CHECK(ranCl.status == 1);
  CHECK_MENTIONS(ranCl.output, "error: copying weight 'c.weight' on the device failed with Halide error -16: CL: clGetPlatformIDs failed");
  test::CliResult ranCuda = test::runShell(dir + "/cuda/small --input " + dir + "/x.npy 2>&1");
  if (ranCuda.status != 0) {
    CHECK(ranCuda.status == 1);
    CHECK_MENTIONS(ranCuda.output, "error: copying weight 'c.weight' on the device failed with Halide error");
  }
  test::CliResult noCapability = runDeeper("compile " + dir + "/small.dnet --target host-cuda -o " + dir + "/bad");
  CHECK(noCapability.status != 0);
  CHECK_MENTIONS(noCapability.output, "host-cuda-cuda_capability_86");
  for (const char *other : {"arm-32-linux", "x86-64-windows", "x86-32-linux"}) {  // refused before any kernel compiles
    test::CliResult cross = runDeeper("compile " + dir + "/small.dnet --target " + other + " -o " + dir + "/bad");
    CHECK(cross.status == 1);
    CHECK_MENTIONS(cross.output, fmt::format("target '{}': deeper compile builds for x86-64 Linux and arm-64-linux (aarch64) only", other));
    CHECK(cross.output.find("compiled ") == std::string::npos);
  }
  CHECK_MENTIONS(runDeeper("explain " + dir + "/small.dnet --kernel c --target arm-64-linux").output, "kernel c (target arm-64-linux)");
  test::CliResult metal = runDeeper("compile " + dir + "/small.dnet --target x86-64-linux-metal -o " + dir + "/bad");
  CHECK(metal.status != 0);
  CHECK_MENTIONS(metal.output, "CUDA or OpenCL only");
  std::ofstream(dir + "/auto.schedules") << "c: autoscheduler=Li2018 tile_x=1 chunk_i=32 block_tasks=false winograd=0\n";
  test::CliResult autoscheduled = runDeeper("compile " + dir + "/small.dnet --schedules " + dir + "/auto.schedules --target host-opencl -o " + dir + "/bad");
  CHECK(autoscheduled.status != 0);
  CHECK_MENTIONS(autoscheduled.output, "auto.schedules:1:1: error: no schedule for conv f32[1,4,6,6]: autoscheduler=Li2018: Halide's "
                                      "autoschedulers schedule CPU kernels only here; drop it for a GPU target");
  CHECK(!exists(dir + "/bad"));
  CHECK_MENTIONS(runDeeper("explain " + dir + "/small.dnet --kernel c --target host-cuda-cuda_capability_86").output, "device code PTX or OpenCL C");
}

TEST_CASE("run: a weights file is checked before any pass reads it, and after the passes for what they left") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  const char *text = "network m\nx = input(shape=4x5x5)\nr3 = conv(x, out=6, kernel=1, relu=true)\nb3 = conv(r3, out=2, kernel=3)\n"
                     "r5 = conv(x, out=3, kernel=1, relu=true)\nb5 = conv(r5, out=2, kernel=3)\ny = concat(b3, b5)\noutput y\n";
  std::ofstream(dir + "/m.dnet") << text;
  Tensor in({1, 4, 5, 5});
  writeNpy(dir + "/x.npy", in);
  TensorMap w = initWeights(test::parse(text), 0);
  writeSafetensors(dir + "/good.safetensors", w);
  std::string run = "run " + dir + "/m.dnet --passes=sibling-merge --input " + dir + "/x.npy --weights " + dir;
  CHECK(runDeeper(run + "/good.safetensors").status == 0);
  // sibling-merge would stack r5.weight into the merged conv's: a wrong shape is an error first.
  w["r5.weight"] = Tensor({30, 4, 1, 1});
  writeSafetensors(dir + "/wide.safetensors", w);
  auto wide = runDeeper(run + "/wide.safetensors");
  CHECK(wide.status == 1);
  CHECK(wide.output.find("tensor 'r5.weight' is f32[30,4,1,1], layer 'r5' needs f32[3,4,1,1]") != std::string::npos);
  w.erase("r5.weight");
  writeSafetensors(dir + "/missing.safetensors", w);
  auto missing = runDeeper(run + "/missing.safetensors");
  CHECK(missing.status == 1);
  CHECK(missing.output.find("no tensor 'r5.weight'") != std::string::npos);
}

TEST_CASE("run: an --input the model reads as a constant (ONNX weights passed as inputs) is bound to its value") {
  test::TempDir tmp;
  const std::string conv = "/usr/share/libonnx-testdata/data/node/test_basic_conv_with_padding", data = conv + "/test_data_set_0/";
  auto run = runDeeper("run " + conv + "/model.onnx --input x=" + data + "input_0.pb --input W=" + data + "input_1.pb --output " + tmp.path + "/y.npy");
  REQUIRE(run.status == 0);
  CHECK(runDeeper("tensor " + data + "output_0.pb -o " + tmp.path + "/want.npy").status == 0);
  CHECK(readNpy(tmp.path + "/y.npy").data == readNpy(tmp.path + "/want.npy").data);
  auto unbound = runDeeper("run " + conv + "/model.onnx --input x=" + data + "input_0.pb");
  CHECK(unbound.status == 1);
  CHECK(unbound.output.find("node 'y' (Conv): input 1 'W' must be a constant, but it is a graph input; bind it with --bind W=FILE.pb|.npy") !=
        std::string::npos);
}

TEST_CASE("tensor and --bind: conversions and their errors") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  smallModel(dir);
  const std::string relu = "/usr/share/libonnx-testdata/data/node/test_relu";
  auto t = runDeeper("tensor " + relu + "/test_data_set_0/input_0.pb -o " + dir + "/in.npy");
  CHECK(t.output == "x f32[3,4,5]\n");
  CHECK(readNpy(dir + "/in.npy").shape == Dims{3, 4, 5});
  CHECK(runDeeper("tensor " + dir + "/small.dnet.pb").output.find("cannot read") != std::string::npos);
  std::ofstream(dir + "/junk.pb") << "\xff\xff\xff";
  CHECK(runDeeper("tensor " + dir + "/junk.pb").status == 1);
  CHECK(runDeeper("ir " + relu + "/model.onnx --bind " + dir + "/x.npy").output.find("--bind needs NAME=FILE") != std::string::npos);
  CHECK(runDeeper("ir " + relu + "/model.onnx --bind nope=" + dir + "/x.npy").output.find("--bind nope: the model has no input of that name") != std::string::npos);
}
