#include "tune/Measure.h"

#include "codegen/Compile.h"
#include "codegen/ScheduleFile.h"
#include "reference/Executor.h"
#include "reference/Weights.h"
#include "support/Files.h"
#include "support/Npy.h"
#include "support/Process.h"


#include <cmath>
#include <filesystem>

namespace deeper {
namespace {

/// Outputs may differ from the reference by rounding (Winograd's transforms reorder sums): by at most
/// this much of the output's largest magnitude, or of the element itself.
constexpr double kTolerance = 1e-3;

/// "NAME=PATH", or plain PATH when the executable has one tensor of the kind (names may hold '=').
std::string fileArg(const std::string &name, const std::string &path, size_t count) { return count == 1 ? path : name + "=" + path; }

/// Reads an executable's --profile-json; what is wrong with it, or "".
std::string readProfile(const std::string &path, Profile &p) {
  try {
    p = parseProfile(readFile(path), path);
  } catch (const UserError &e) {
    return e.what();
  }
  return "";
}

Quartiles meanOf(const Quartiles &a, const Quartiles &b) { return {(a.median + b.median) / 2, (a.q1 + b.q1) / 2, (a.q3 + b.q3) / 2}; }

/// The mean of two profiles of one executable.
Profile meanOf(const Profile &a, const Profile &b) {
  Profile p = a;
  for (size_t i = 0; i < p.steps.size(); ++i) p.steps[i].ms = meanOf(a.steps[i].ms, b.steps[i].ms);
  for (size_t i = 0; i < p.groups.size(); ++i) p.groups[i] = meanOf(a.groups[i], b.groups[i]);
  p.total = meanOf(a.total, b.total);
  p.runs = a.runs + b.runs;
  return p;
}

}  // namespace

Measurer::Measurer(const Graph &graph, MeasureOptions options) : options_(std::move(options)) {
  TensorMap inputs;
  auto inputNodes = graph.nodesOfOp(OpKind::Input);
  for (const Node *in : inputNodes) {
    inputs[in->name] = syntheticInput(in->shape, in->name, 1);
    std::string path = fmt::format("{}/input{}.npy", options_.scratch, inputArgs_.size());
    writeNpy(path, inputs[in->name]);
    inputArgs_.push_back(fileArg(in->name, path, inputNodes.size()));
  }
  ReferenceExecutor reference(graph, graph.weights);
  std::vector<std::string> wanted;
  for (const GraphOutput &o : graph.outputs()) wanted.push_back(o.node->name);
  TensorMap results = reference.run(inputs, wanted);
  for (const GraphOutput &o : graph.outputs()) {
    std::string path = fmt::format("{}/output{}.npy", options_.scratch, expected_.size());
    outputArgs_.push_back(fileArg(o.label(), path, graph.outputs().size()));
    expected_.push_back({path, results.at(o.node->name)});
  }
}

bool Measurer::outputsMatch(Measurement &m) const {
  for (const auto &[path, want] : expected_) {
    Tensor got = readNpy(path);
    if (got.shape != want.shape) {
      m.detail = fmt::format("output '{}' has the wrong shape", path);
      return false;
    }
    double largest = 1e-30, worst = 0;
    for (float v : want.data) largest = std::max(largest, std::fabs(static_cast<double>(v)));
    for (size_t i = 0; i < got.data.size(); ++i) {
      double diff = std::fabs(static_cast<double>(got.data[i]) - want.data[i]);
      if (!(diff <= kTolerance * largest || diff <= kTolerance * std::fabs(static_cast<double>(want.data[i])))) {
        m.detail = fmt::format("element {} of an output is {} where the reference computes {}", i, got.data[i], want.data[i]);
        m.maxError = std::isfinite(diff) ? diff / largest : HUGE_VAL;
        return false;
      }
      worst = std::max(worst, diff / largest);
    }
    m.maxError = std::max(m.maxError, worst);
  }
  return true;
}

Measurement Measurer::measure(const Graph &graph, const std::string &scheduleFile, int minimumRuns, double timeoutSeconds) {
  Measurement m;
  const std::string schedules = options_.scratch + "/candidate.schedules", out = options_.scratch + "/build";
  writeFileAtomic(schedules, scheduleFile);
  CompileReport report;
  try {
    ScheduleChoices choices = parseScheduleFile(scheduleFile, schedules);
    CompileOptions co;
    co.outDir = out, co.target = options_.target, co.source = options_.source, co.jobs = options_.jobs;
    co.progress = false, co.schedules = &choices;
    report = compileModel(graph, graph.weights, co);
  } catch (const UserError &e) {
    m.status = "compile-error", m.detail = e.what();
    return m;
  }
  m.compileSeconds = report.seconds;
  lastExecutable_ = out + "/" + report.identifier;
  Profile before, after;
  std::string problem;
  if (hasBaseline()) problem = profileRun(baseline_, false, minimumRuns, timeoutSeconds, before, m);
  if (problem.empty()) problem = profileRun(lastExecutable_, true, minimumRuns, timeoutSeconds, m.profile, m);
  if (problem.empty() && hasBaseline()) problem = profileRun(baseline_, false, minimumRuns, timeoutSeconds, after, m);
  if (!problem.empty()) {
    if (m.status == "ok") m.status = "crash";
    m.detail = problem;
    return m;
  }
  if (m.profile.steps.size() != report.kernels) m.status = "crash", m.detail = fmt::format("the profile has {} steps, the build {}", m.profile.steps.size(), report.kernels);
  else if (!outputsMatch(m)) m.status = "mismatch";
  if (hasBaseline()) m.baseline = meanOf(before, after);
  return m;
}

std::string Measurer::profileRun(const std::string &executable, bool outputs, int runs, double timeoutSeconds, Profile &profile, Measurement &m) {
  const std::string json = options_.scratch + "/profile.json";
  std::vector<std::string> argv = {executable, "--threads", std::to_string(options_.threads), "--profile", std::to_string(runs), "--no-rates", "--profile-json", json};
  for (const std::string &a : inputArgs_) argv.insert(argv.end(), {"--input", a});
  if (outputs)
    for (const std::string &a : outputArgs_) argv.insert(argv.end(), {"--output", a});
  std::remove(json.c_str());
  ProcessResult run = runProcess(argv, timeoutSeconds);
  m.runSeconds += run.seconds;
  if (!run.ok()) {
    if (run.ending == ProcessResult::Ending::TimedOut) m.status = "timeout";
    std::string tail = run.output.substr(run.output.size() > 400 ? run.output.size() - 400 : 0);
    return run.describe() + (tail.empty() ? "" : ": " + tail);
  }
  return readProfile(json, profile);
}

void Measurer::keepAsBaseline() {
  // The executable finds its weights beside it: both move into a folder of their own.
  std::string folder = options_.scratch + "/baseline", name = lastExecutable_.substr(lastExecutable_.rfind('/') + 1);
  DEEPER_CHECK(!lastExecutable_.empty(), "keepAsBaseline before any build");
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
  std::filesystem::create_directories(folder, ignored);
  if (std::rename(lastExecutable_.c_str(), (folder + "/" + name).c_str()) != 0 ||
      std::rename((lastExecutable_ + ".weights").c_str(), (folder + "/" + name + ".weights").c_str()) != 0)
    fail(fmt::format("cannot keep the default build in {} as the tuner's baseline", folder));
  baseline_ = folder + "/" + name;
}

}  // namespace deeper
