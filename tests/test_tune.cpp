// deeper tune: its search space, cost model, database, child processes, and the tuner end to end on
// small models (no timing is checked: only what was recorded, chosen and computed).
#include "TestUtil.h"

#include "codegen/Compile.h"
#include "codegen/Kernel.h"
#include "passes/PassManager.h"
#include "reference/Weights.h"
#include "support/Npy.h"
#include "support/Process.h"
#include "tune/CostModel.h"
#include "tune/SearchSpace.h"
#include "tune/TuningDatabase.h"
#include "tune/Units.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace deeper;

namespace {

std::vector<Kernel> googlenetKernels(Graph &g, KernelTarget target) {
  g = loadModel(test::googlenetPath());
  runPasses(g, PassOptions{});
  return kernelsOf(g, target);
}

Trial sampleTrial(const std::string &config, double ms, const std::string &origin = "tuner") {
  Trial t;
  t.unit = "kernel", t.problem = "conv out=8 | a problem", t.label = "c";
  t.context = TuningContext{"x86-64-linux-avx2", "a machine, 2 cores, avx2", "14.0.0", "abc", 2, 1};
  t.config = config, t.origin = origin, t.medianMs = ms, t.q1Ms = ms * 0.9, t.q3Ms = ms * 1.1;
  t.created = utcNow();
  return t;
}

/// Loads `path` as `deeper tune` does: after the cleanup passes, weights seeded.
TunableModel::Loader cleanLoader(const std::string &path) {
  return [path] {
    Graph g = loadModel(path);
    PassOptions o;
    o.pipeline = cleanupPipeline();
    runPasses(g, o);
    g.weights = initWeights(g, 0);
    return g;
  };
}

int countRows(const std::string &db, const std::string &where) {
  TuningDatabase d(db);
  int n = 0;
  for (const Trial &t : d.all()) n += where.empty() || t.origin == where;
  return n;
}

/// `dir`/`model`.dnet compiled with `--db dir/t.sqlite` into dir/out, its executable `exe` run on
/// `input`, and the reference executor run on the same input: {compiled, reference}, of equal shapes.
std::pair<Tensor, Tensor> compiledWithDbAndReference(const std::string &dir, const std::string &model, const std::string &exe,
                                                     const Tensor &input) {
  writeNpy(dir + "/x.npy", input);
  std::string path = dir + "/" + model + ".dnet";
  REQUIRE(test::runDeeper("run " + path + " --input " + dir + "/x.npy --output " + dir + "/reference.npy").status == 0);
  auto compiled = test::runShell("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " compile " + path + " --db " + dir +
                                 "/t.sqlite -o " + dir + "/out 2>&1");
  INFO(compiled.output);
  REQUIRE(compiled.status == 0);
  REQUIRE(std::system((dir + "/out/" + exe + " --input " + dir + "/x.npy --output " + dir + "/compiled.npy > /dev/null").c_str()) == 0);
  std::pair<Tensor, Tensor> out{readNpy(dir + "/compiled.npy"), readNpy(dir + "/reference.npy")};
  REQUIRE(out.first.shape == out.second.shape);
  return out;
}

}  // namespace

TEST_CASE("tune space: every neighbour of every GoogLeNet kernel, two moves out, is a valid schedule in the space") {
  for (int lanes : {16, 8}) {
    Graph g;
    std::vector<Kernel> kernels = googlenetKernels(g, lanes);
    std::set<int> algorithms;  // winograd tile sizes reached (0: direct)
    size_t moves = 0;
    for (const Kernel &k : kernels) {
      INFO(k.node->name, " lanes ", lanes);
      REQUIRE(inSearchSpace(k, k.schedule, lanes));
      std::vector<Schedule> frontier = {k.schedule}, next;
      for (int depth = 0; depth < 2; ++depth, frontier.swap(next), next.clear())
        for (const Schedule &from : frontier)
          for (const Schedule &n : neighbourSchedules(k, from, lanes)) {
            CHECK(scheduleProblem(*k.node, n).empty());
            CHECK(inSearchSpace(k, n, lanes));
            CHECK_FALSE(n == from);
            CHECK(Schedule::parse(n.print()) == n);
            if (k.lane > 1) CHECK_FALSE(n.parallel);  // lanes after the first run serially
            Kernel moved = k;  // its measurements are filed under the same problem as the default's
            moved.schedule = n, moved.params = packedParams(moved);
            CHECK(kernelProblem(moved) == kernelProblem(k));
            algorithms.insert(n.winograd);
            ++moves;
            next.push_back(n);
          }
      if (k.node->op == OpKind::Conv) CHECK(neighbourSchedules(k, k.schedule, lanes).size() >= 4);
    }
    CHECK(algorithms == std::set<int>{0, 2, 4});
    CHECK(moves > 10 * kernels.size());
  }
  // Outside the space: invalid schedules, and tiles that would spill the register file.
  Graph g;
  std::vector<Kernel> kernels = googlenetKernels(g, 16);
  const Kernel &conv = *std::find_if(kernels.begin(), kernels.end(), [](const Kernel &k) { return k.node->name == "conv2/3x3"; });
  Schedule s = conv.schedule;
  s.vector = 12;
  CHECK_FALSE(inSearchSpace(conv, s, 16));
  s = conv.schedule;
  s.winograd = 0, s.tileChannels = 4, s.tileWidth = 8;
  CHECK_FALSE(inSearchSpace(conv, s, 16));  // 32 accumulators
  s.tileWidth = 7;
  CHECK(inSearchSpace(conv, s, 16));        // 28
}

TEST_CASE("tune space on a GPU: thread blocks, pixels per thread, the staged input and Winograd move; every neighbour is valid") {
  Graph g;
  std::vector<Kernel> kernels = googlenetKernels(g, KernelTarget(16, true));
  std::set<bool> staged;
  std::set<int> algorithms;  // winograd tile sizes reached (0: direct, the GPU default)
  for (const Kernel &k : kernels) {
    INFO(k.node->name);
    CHECK(k.schedule.winograd == 0);
    REQUIRE(inSearchSpace(k, k.schedule, 16));
    std::vector<Schedule> frontier = {k.schedule}, next;
    for (int depth = 0; depth < 2; ++depth, frontier.swap(next), next.clear())
      for (const Schedule &from : frontier)
        for (const Schedule &n : neighbourSchedules(k, from, 16)) {
          CHECK(n.gpu);
          CHECK(scheduleProblem(*k.node, n).empty());
          CHECK(Schedule::parse(n.print()) == n);
          if (n.winograd) CHECK(n.gpuPixels == 1);  // a thread per tile
          algorithms.insert(n.winograd);
          staged.insert(n.gpuSharedInput);
          next.push_back(n);
        }
    size_t moves = neighbourSchedules(k, k.schedule, 16).size();
    CHECK(moves >= (k.node->op == OpKind::Conv ? 4u : 1u));
  }
  CHECK(staged == std::set<bool>{false, true});
  CHECK(algorithms == std::set<int>{0, 2, 4});
}

TEST_CASE("tune cost model: learns from measurements which field values are faster") {
  Graph g;
  std::vector<Kernel> kernels = googlenetKernels(g, 16);
  std::vector<KernelObservation> data;
  CostModel model;
  for (const Kernel &k : kernels) {
    if (k.node->op != OpKind::Conv || k.schedule.winograd) continue;
    Schedule narrow = k.schedule, wide = k.schedule;
    narrow.tileWidth = 1, wide.tileWidth = 5;
    data.push_back({&k, k.schedule, 0.0});
    data.push_back({&k, narrow, std::log(3.0)});  // three times slower
    data.push_back({&k, wide, std::log(0.8)});
  }
  CHECK(model.predict(kernels[0], kernels[0].schedule) == 0.0);  // unfitted: no opinion
  model.fit(data);
  CHECK(model.observations() == data.size());
  for (const KernelObservation &o : data) {
    Schedule narrow = o.schedule, wide = o.schedule;
    narrow.tileWidth = 1, wide.tileWidth = 5;
    CHECK(model.predict(*o.kernel, narrow) > model.predict(*o.kernel, o.kernel->schedule) + 0.3);
    CHECK(model.predict(*o.kernel, wide) < model.predict(*o.kernel, o.kernel->schedule));
  }
}

TEST_CASE("tune database: records round-trip, duplicates are one, export and import merge two machines' records") {
  test::TempDir tmp;
  const std::string a = tmp.path + "/a.sqlite", b = tmp.path + "/b.sqlite";
  Trial one = sampleTrial("vector=8 tile_c=1", 1.5, "default"), two = sampleTrial("vector=8 tile_c=2", 1.2);
  two.status = "ok", two.detail = "";
  Trial broken = sampleTrial("vector=8 tile_c=3", 0);
  broken.status = "crash", broken.detail = "killed by signal 11 (Segmentation fault)";
  {
    TuningDatabase db(a);
    CHECK(db.insert(one));
    CHECK_FALSE(db.insert(one));  // the same trial twice is one record
    CHECK(db.insert(two));
    CHECK(db.insert(broken));
  }
  TuningDatabase db(a);  // reopened: everything committed
  std::vector<Trial> all = db.all();
  REQUIRE(all.size() == 3);
  CHECK(all[0].config == one.config);
  CHECK(all[0].context.machine == one.context.machine);
  CHECK(all[0].q3Ms == doctest::Approx(1.65));
  CHECK(all[2].detail == broken.detail);
  CHECK(db.trials(one.problem, "x86-64-linux-avx2").size() == 3);
  CHECK(db.trials(one.problem, "x86-64-linux-avx512").empty());

  // Another machine's records, merged both ways: the union, each record once.
  TuningDatabase other(b);
  Trial theirs = sampleTrial("vector=16 tile_c=1", 0.9);
  theirs.context.machine = "another machine, 8 cores, avx2";
  other.insert(theirs);
  CHECK(other.importJsonl(db.exportJsonl(), "a.jsonl") == 3);
  CHECK(other.importJsonl(db.exportJsonl(), "a.jsonl") == 0);
  CHECK(db.importJsonl(other.exportJsonl(), "b.jsonl") == 1);
  CHECK(db.all().size() == 4);
  CHECK(db.exportJsonl().size() == other.exportJsonl().size());

  // A bad line is refused with its place, and nothing of the file is added.
  std::string bad = db.exportJsonl() + "{\"unit\": \"kernel\"}\n";
  CHECK_MENTIONS(test::userErrorOf([&] { other.importJsonl(bad, "bad.jsonl"); }), "bad.jsonl:5: error: not a tuning record");
  CHECK_MENTIONS(test::userErrorOf([&] { other.importJsonl("[1,2\n", "bad.jsonl"); }), "bad.jsonl:1: error: not a tuning record: not JSON");
  std::string negative = other.exportJsonl();
  negative = negative.substr(0, negative.find('\n'));
  negative.replace(negative.find("\"median_ms\":"), 12, "\"median_ms\":-");
  CHECK_MENTIONS(test::userErrorOf([&] { other.importJsonl(negative, "neg.jsonl"); }), "times must be finite and not negative");
  CHECK(other.all().size() == 4);

  // Not a database at all.
  std::ofstream(tmp.path + "/text.sqlite") << "just some text, long enough to look like a header of something else entirely\n";
  CHECK_MENTIONS(test::userErrorOf([&] { TuningDatabase nope(tmp.path + "/text.sqlite"); }), "text.sqlite");
}

TEST_CASE("tune best records: the fastest configuration that never failed, over all of its measurements") {
  std::vector<ConfigRecord> records = {{"a", {1.0, 1.1, 1.2}, false}, {"b", {0.5}, true}, {"c", {0.9, 1.3, 0.95}, false}};
  REQUIRE(bestRecord(records));
  CHECK(bestRecord(records)->config == "c");  // b failed once: never chosen
  CHECK(records[2].median() == doctest::Approx(0.95));
  CHECK(bestRecord({}) == nullptr);
}

TEST_CASE("child processes: exit status, a crash and a hang are told apart, and output is kept") {
  ProcessResult ok = runProcess({"/bin/sh", "-c", "echo hello; exit 0"}, 10);
  CHECK(ok.ok());
  CHECK(ok.output == "hello\n");
  ProcessResult status = runProcess({"/bin/sh", "-c", "echo oops >&2; exit 3"}, 10);
  CHECK(status.ending == ProcessResult::Ending::Exited);
  CHECK(status.code == 3);
  CHECK(status.output == "oops\n");
  ProcessResult crash = runProcess({"/bin/sh", "-c", "kill -SEGV $$"}, 10);
  CHECK(crash.ending == ProcessResult::Ending::Signalled);
  CHECK_MENTIONS(crash.describe(), "signal 11");
  // A hang, with a child of its own holding the output open: both killed at the limit.
  auto start = std::chrono::steady_clock::now();
  ProcessResult hang = runProcess({"/bin/sh", "-c", "sleep 30 & sleep 30"}, 0.5);
  CHECK(hang.ending == ProcessResult::Ending::TimedOut);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  ProcessResult missing = runProcess({"/nonexistent/program"}, 10);
  CHECK(missing.code == 127);
  CHECK_MENTIONS(missing.output, "cannot run /nonexistent/program");
}

// A model of two kernels with small search spaces, so that a tune runs to its end in seconds.
const char *const kPoolModel = "network small\n"
                               "x = input(shape=24x16x16)\n"
                               "p = maxpool(x, kernel=3, stride=2, pad=1)\n"
                               "s = softmax(p)\n"
                               "output s\n";

TEST_CASE("deeper tune: records every trial, converges, a warm rerun measures nothing, compile --db uses the records") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  std::ofstream(dir + "/small.dnet") << kPoolModel;
  std::string env = "DEEPER_CACHE_DIR=" + dir + "/cache ";
  auto first = test::runShell(env + DEEPER_BINARY + " tune " + dir + "/small.dnet --db " + dir + "/t.sqlite --threads 2 2>&1");
  INFO(first.output);
  REQUIRE(first.status == 0);
  CHECK_MENTIONS(first.output, "tune: round 0:");
  CHECK_MENTIONS(first.output, "kernel  p ");
  CHECK_MENTIONS(first.output, "whole model:");
  CHECK(countRows(dir + "/t.sqlite", "default") >= 2);
  CHECK(countRows(dir + "/t.sqlite", "tuner") >= 2);
  CHECK(countRows(dir + "/t.sqlite", "confirm") >= 2);

  // Converged: a second tune measures nothing and keeps every choice.
  auto schedulesBefore = test::runShell(std::string(DEEPER_BINARY) + " schedules " + dir + "/small.dnet --db " + dir + "/t.sqlite 2>/dev/null");
  int rows = countRows(dir + "/t.sqlite", "");
  auto second = test::runShell(env + DEEPER_BINARY + " tune " + dir + "/small.dnet --db " + dir + "/t.sqlite --threads 2 2>&1");
  CHECK(second.status == 0);
  CHECK_MENTIONS(second.output, "0 builds, 0 candidates measured");
  CHECK(countRows(dir + "/t.sqlite", "") == rows);
  auto schedulesAfter = test::runShell(std::string(DEEPER_BINARY) + " schedules " + dir + "/small.dnet --db " + dir + "/t.sqlite 2>/dev/null");
  CHECK(schedulesAfter.output == schedulesBefore.output);

  // --best, --export, --import into a new database: the same best records.
  auto best = test::runDeeper("tune --db " + dir + "/t.sqlite --best");
  CHECK_MENTIONS(best.output, "over the default");
  REQUIRE(test::runDeeper("tune --db " + dir + "/t.sqlite --export " + dir + "/t.jsonl").status == 0);
  auto imported = test::runDeeper("tune --db " + dir + "/copy.sqlite --import " + dir + "/t.jsonl --best");
  CHECK_MENTIONS(imported.output, fmt::format("{} new records", rows));
  CHECK(imported.output.substr(imported.output.find('\n') + 1) == best.output);
}

TEST_CASE("deeper tune --target host-opencl: GPU schedules measured on the device; compile --db builds the winners, which compute the reference") {
  if (access("/etc/OpenCL/vendors/pocl.icd", F_OK) != 0) {
    MESSAGE("skipped: no device: no OpenCL ICD (Debian pocl-opencl-icd) in /etc/OpenCL/vendors");
    return;
  }
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  std::ofstream(dir + "/small.dnet") << "network small\nx = input(shape=8x10x10)\nc = conv(x, out=12, kernel=3, pad=1, relu=true)\n"
                                        "p = maxpool(c, kernel=3, stride=2, pad=1)\noutput p\n";
  std::string env = "DEEPER_CACHE_DIR=" + dir + "/cache ", db = " --db " + dir + "/t.sqlite --target host-opencl";
  auto tuned = test::runShell(env + DEEPER_BINARY + " tune " + dir + "/small.dnet" + db + " --trials 3 2>&1");
  INFO(tuned.output);
  REQUIRE(tuned.status == 0);
  CHECK_MENTIONS(tuned.output, "kernel  c ");
  CHECK(countRows(dir + "/t.sqlite", "tuner") >= 1);
  // The records are GPU schedules (their gpu_ fields), and a build from them matches the reference.
  CHECK_MENTIONS(test::runDeeper("tune --db " + dir + "/t.sqlite --best").output, "gpu_c=");
  REQUIRE(test::runShell(env + DEEPER_BINARY + " compile " + dir + "/small.dnet" + db + " -o " + dir + "/out 2>&1").status == 0);
  Tensor in({1, 8, 10, 10});
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<float>(i % 11) - 5.0f;
  writeNpy(dir + "/x.npy", in);
  REQUIRE(std::system((dir + "/out/small --input " + dir + "/x.npy --output " + dir + "/gpu.npy > /dev/null").c_str()) == 0);
  REQUIRE(test::runDeeper("run " + dir + "/small.dnet --input " + dir + "/x.npy --output " + dir + "/ref.npy").status == 0);
  Tensor got = readNpy(dir + "/gpu.npy"), want = readNpy(dir + "/ref.npy");
  REQUIRE(got.data.size() == want.data.size());
  for (size_t i = 0; i < want.data.size(); ++i) CHECK(got.data[i] == doctest::Approx(want.data[i]).epsilon(1e-5));
}

TEST_CASE("deeper tune: Halide's autoschedulers are measured on the convs as baselines, reported beside the tuner's") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  std::ofstream(dir + "/conv.dnet") << "network small\nx = input(shape=8x12x12)\nc = conv(x, out=16, kernel=3, pad=1, relu=true)\n"
                                       "p = maxpool(c, kernel=2, stride=2)\noutput p\n";
  std::string command = "DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " tune " + dir + "/conv.dnet --threads 2 --trials 2";
  auto run = test::runShell(command + " --db " + dir + "/t.sqlite 2>&1");  // all three by default
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK_MENTIONS(run.output, "tune: Halide's Mullapudi2016 autoscheduler on the convs of 1 unit:");
  CHECK_MENTIONS(run.output, "default ms Mullapudi2016     Adams2019        Li2018   tuned ms");
  CHECK(run.output.find("generate_schedule") == std::string::npos);  // Adams2019's own chatter stays out
  std::set<std::string> baselines;
  for (const Trial &t : TuningDatabase(dir + "/t.sqlite").all()) {
    if (t.origin != "autoscheduler" || t.unit != "kernel") continue;
    CHECK(t.label == "c");  // the conv's unit, not the pool's
    CHECK(t.status == "ok");
    baselines.insert(Schedule::parse(t.config).autoscheduler);
  }
  CHECK(baselines == std::set<std::string>{"Mullapudi2016", "Adams2019", "Li2018"});
  // A pool has no autoscheduler baseline: its row says '-'.
  std::string poolRow = run.output.substr(run.output.find("kernel  p "));
  CHECK(poolRow.substr(0, poolRow.find("\n")).find(" - ") != std::string::npos);
  CHECK_MENTIONS(test::runDeeper("tune --db " + dir + "/t.sqlite --best").output, "over the best autoscheduler");

  // Round 0 runs whole whatever the budget: a budget spent before it starts still measures the baselines.
  auto quick = test::runShell("DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " tune " + dir + "/conv.dnet --threads 2 --budget 1s --db " +
                              dir + "/quick.sqlite --autoschedulers=Li2018 2>&1");
  REQUIRE(quick.status == 0);
  std::string convRow = quick.output.substr(quick.output.find("kernel  c "));
  convRow = convRow.substr(0, convRow.find('\n'));
  INFO(convRow);
  std::istringstream fields(convRow);
  std::string kind, name, defaultMs, li2018Ms, tunedMs, gain;
  int tried = 0;
  fields >> kind >> name >> defaultMs >> li2018Ms >> tunedMs >> gain >> tried;
  CHECK(li2018Ms != "-");
  CHECK(tried == 2);  // the default and Li2018's

  auto none = test::runShell(command + " --db " + dir + "/none.sqlite --autoschedulers= 2>&1");
  CHECK(none.status == 0);
  CHECK(none.output.find("autoscheduler") == std::string::npos);
  auto unknown = test::runShell(command + " --db " + dir + "/none.sqlite --autoschedulers=Halide 2>&1");
  CHECK(unknown.status != 0);
  CHECK_MENTIONS(unknown.output, "no autoscheduler 'Halide'; Halide 14's are Mullapudi2016, Adams2019, Li2018");
}

TEST_CASE("compile --db: each unit gets its fastest record, the glue says so, and the build computes the reference") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  std::ofstream(dir + "/c.dnet") << "network c\n"
                                    "x = input(shape=8x12x12)\n"
                                    "c = conv(x, out=24, kernel=3, pad=1, relu=true)\n"
                                    "p = maxpool(c, kernel=2, stride=2)\n"
                                    "output p\n";
  Halide::Target target = parseTarget("host");
  TunableModel model(cleanLoader(dir + "/c.dnet"), target.natural_vector_size<float>());
  const std::vector<TuningUnit> &units = model.units();
  REQUIRE(units.size() == 2);
  // Records as a tuner on some machine would have left them: the default, a faster schedule, and a
  // still faster one that crashed once (never chosen).
  Schedule fast = Schedule::parse(model.defaultConfig(units[0])), crashed = fast;
  fast.tileWidth = 3, fast.tileChannels = 1, fast.parallel = false;
  crashed.tileWidth = 2;
  {
    TuningDatabase db(dir + "/t.sqlite");
    auto record = [&](const Schedule &s, double ms, const char *status) {
      Trial t;
      t.unit = "kernel", t.problem = units[0].problem, t.label = "c", t.config = s.print(), t.origin = "tuner", t.status = status;
      t.context = TuningContext{target.to_string(), "elsewhere", "14", "old", 4, 1};
      t.medianMs = ms, t.baselineMs = 2.0, t.created = utcNow();  // the default build beside it took 2 ms
      db.insert(t);
    };
    record(Schedule::parse(model.defaultConfig(units[0])), 2.0, "ok");
    record(fast, 1.0, "ok");
    record(crashed, 0.5, "ok");
    record(crashed, 0, "crash");
  }
  auto schedules = test::runDeeper("schedules " + dir + "/c.dnet --db " + dir + "/t.sqlite");
  CHECK_MENTIONS(schedules.output, "1 of 2 units tuned");
  CHECK_MENTIONS(schedules.output, "c: " + fast.print());
  Tensor in({1, 8, 12, 12});
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<float>(i % 13) * 0.25f - 1.5f;
  auto [a, b] = compiledWithDbAndReference(dir, "c", "c", in);
  CHECK_MENTIONS(readFile(dir + "/out/c_glue.cpp"), "// schedule: " + fast.print());
  for (size_t i = 0; i < a.data.size(); ++i) CHECK(std::fabs(a.data[i] - b.data[i]) <= 1e-5f);

  CHECK_MENTIONS(test::runDeeper("compile " + dir + "/c.dnet --db " + dir + "/none.sqlite -o " + dir + "/o2").output, "no such tuning database");
  CHECK_MENTIONS(test::runDeeper("tune " + dir + "/c.dnet").output, "needs --db FILE.sqlite");
  CHECK_MENTIONS(test::runDeeper("tune --db " + dir + "/t.sqlite --budget 5x").output, "--budget expects a duration");
}

TEST_CASE("deeper tune after kill -9: the committed trials stay, the rerun goes on from them") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  std::ofstream(dir + "/small.dnet") << kPoolModel;
  std::string command = "DEEPER_CACHE_DIR=" + dir + "/cache " + DEEPER_BINARY + " tune " + dir + "/small.dnet --db " + dir + "/t.sqlite --threads 2";
  // Killed as soon as the first build's records are in.
  auto killed = test::runShell("(" + command + " > " + dir + "/log 2>&1 & pid=$!; "
                               "for i in $(seq 600); do grep -q 'round 0' " + dir + "/log && break; sleep 0.1; done; "
                               "kill -9 $pid; wait $pid; echo status=$?)");
  CHECK_MENTIONS(killed.output, "status=137");
  int before = countRows(dir + "/t.sqlite", "default");
  CHECK(before >= 2);
  auto rerun = test::runShell(command + " 2>&1");
  INFO(rerun.output);
  CHECK(rerun.status == 0);
  CHECK(countRows(dir + "/t.sqlite", "default") >= before);  // what was committed before the kill is still there
  // No candidate measured twice as a candidate, across the kill.
  TuningDatabase db(dir + "/t.sqlite");
  std::set<std::string> seen;
  for (const Trial &t : db.all())
    if (t.origin == "tuner" && t.unit == "kernel") CHECK(seen.insert(t.problem + "\n" + t.config).second);
}

TEST_CASE("tuning for a GPU: undecided reduces stay kernels of their own, where the CPU's cost model fuses them") {
  test::TempDir tmp;
  std::ofstream(tmp.path + "/f.dnet") << "network f\nx = input(shape=64x56x56)\nr = conv(x, out=32, kernel=1, relu=true)\n"
                                         "c = conv(r, out=64, kernel=3, stride=2, pad=1)\noutput c\n";
  auto kernelNames = [&](KernelTarget target) {
    TunableModel model(cleanLoader(tmp.path + "/f.dnet"), target);
    std::set<std::string> names;
    for (const Kernel &k : model.kernels({})) names.insert(k.node->name);
    return names;
  };
  CHECK(kernelNames(16) == std::set<std::string>{"c"});
  CHECK(kernelNames(KernelTarget(16, true)) == std::set<std::string>{"r", "c"});
  TunableModel gpu(cleanLoader(tmp.path + "/f.dnet"), KernelTarget(16, true));
  std::set<std::string> fused;  // a decision still fuses it
  for (const Kernel &k : gpu.kernels({{"reduce-conv-fusion c", true}})) fused.insert(k.node->name);
  CHECK(fused == std::set<std::string>{"c"});
}

TEST_CASE("module decisions overrule the passes' cost models; compile --db builds a module's record and computes the reference") {
  test::TempDir tmp;
  const std::string &dir = tmp.path;
  std::ofstream(dir + "/m.dnet") << readFile(test::sourcePath("tests/fuzz/records-model.dnet"));
  TunableModel model(cleanLoader(dir + "/m.dnet"), 16);
  const TuningUnit &module = *std::find_if(model.units().begin(), model.units().end(),
                                           [](const TuningUnit &u) { return u.kind == TuningUnit::Kind::Module; });
  CHECK(module.block == "m");
  // The 3x3's and 5x5's reduces (fused or not), the reduces merged, the pool projection, the branches
  // side by side, and each of the four branches' lanes.
  REQUIRE(module.sites.size() == 9);
  std::set<std::string> passes;  // every decision names a pass of Passes.def, but the lanes branch-schedule decides
  for (const DecisionSite &s : module.sites) passes.insert(s.pass);
  CHECK(passes == std::set<std::string>{decided::kReduceConvFusion, decided::kSiblingMerge, decided::kPoolProjFusion,
                                        decided::kBranchSchedule, decided::kBranchLane});
  for (const std::string &pass : passes) CHECK((findPass(pass) != nullptr) == (pass != decided::kBranchLane));
  ModuleConfig defaults = ModuleConfig::parse(model.defaultConfig(module));
  CHECK_FALSE(defaults.decisions.at("pool-proj-fusion pool_proj"));  // opt-in: off by default
  CHECK_FALSE(defaults.decisions.at("sibling-merge 3x3_reduce"));
  // Every decision flipped (but reduces fused leave none to merge, so once each way): the optimised
  // graph follows each, and reads back as decided.
  auto flippedWith = [&](bool fuseReduces) {
    ModuleConfig c = defaults;
    for (auto &[key, value] : c.decisions) value = key.rfind("reduce-conv-fusion", 0) == 0 ? fuseReduces : !value;
    return c;
  };
  for (bool fuseReduces : {false, true}) {
    ModuleConfig c = flippedWith(fuseReduces);
    Graph g = model.optimised(model.absoluteDecisions(module, c));
    for (const DecisionSite &s : module.sites) {
      bool decided = c.decisions.at(decisionKey(s.pass, relativeName(s.node, "m")));
      bool concurrent = c.decisions.at("branch-schedule output");
      CHECK(carriedOut(g, s) == (s.pass == "sibling-merge" ? decided && !fuseReduces : s.pass == "branch-lane" ? decided && concurrent : decided));
    }
    CHECK(g.find("m/pool") == nullptr);  // fused into the projection
    if (!fuseReduces) CHECK(g.find("m/3x3_reduce_and_5x5_reduce") != nullptr);
  }
  // Lanes as decided: the 1x1 and the 3x3 in lane 1, the 5x5 and the projection in lane 2.
  ModuleConfig paired = defaults;
  paired.decisions["branch-schedule output"] = true;
  for (const char *branch : {"1x1", "3x3", "5x5", "pool_proj"}) paired.decisions[decisionKey("branch-lane", branch)] = branch[0] != '5' && branch[0] != 'p';
  Graph pairedGraph = model.optimised(model.absoluteDecisions(module, paired));
  CHECK(pairedGraph.find("m/output")->attrDims("lanes") == Dims{1, 1, 2, 2});
  for (const Kernel &k : kernelsOf(pairedGraph, 16))
    if (k.node->name == "m/1x1" || k.node->name == "m/5x5") CHECK(k.lane == (k.node->name == "m/1x1" ? 1 : 2));
  ModuleConfig flipped = flippedWith(false);
  // The flipped module, with its kernels' default schedules, as a record compile --db takes.
  flipped.schedules.clear();
  for (const Kernel *k : model.moduleKernels(module, flipped)) flipped.schedules[relativeName(k->node->name, "m")] = k->schedule;
  Halide::Target target = parseTarget("host");
  {
    TuningDatabase db(dir + "/t.sqlite");
    Trial t;
    t.unit = "module", t.problem = module.problem, t.label = "m", t.config = flipped.text(), t.origin = "tuner";
    t.context = TuningContext{target.to_string(), "elsewhere", "14", "old", 2, 1};
    t.medianMs = 1, t.baselineMs = 2, t.created = utcNow();
    db.insert(t);
  }
  auto schedules = test::runDeeper("schedules " + dir + "/m.dnet --db " + dir + "/t.sqlite");
  CHECK_MENTIONS(schedules.output, "1 of 3 units tuned");
  CHECK(schedules.output.find("\nm/pool:") == std::string::npos);
  Tensor in({1, 8, 30, 30});
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<float>(i % 17) * 0.2f - 1.5f;
  auto [a, b] = compiledWithDbAndReference(dir, "m", "fr", in);
  double largest = 0, worst = 0;
  for (size_t i = 0; i < a.data.size(); ++i) largest = std::max(largest, std::fabs(double(b.data[i]))), worst = std::max(worst, std::fabs(double(a.data[i] - b.data[i])));
  CHECK(worst <= 1e-4 * largest);
}
