#include "tune/Measure.h"

#include "codegen/Compile.h"
#include "codegen/ScheduleFile.h"
#include "reference/Executor.h"
#include "reference/Weights.h"
#include "support/Files.h"
#include "support/Npy.h"
#include "support/Process.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace deeper {
namespace {

/// Outputs may differ from the reference by rounding (Winograd's transforms reorder sums): by at most
/// this much of the output's largest magnitude, or of the element itself.
constexpr double kTolerance = 1e-3;

/// "NAME=PATH", or plain PATH when the executable has one tensor of the kind (names may hold '=').
std::string fileArg(const std::string &name, const std::string &path, size_t count) { return count == 1 ? path : name + "=" + path; }

Quartiles quartilesOf(const nlohmann::json &j) { return Quartiles{j.at("median").get<double>(), j.at("q1").get<double>(), j.at("q3").get<double>()}; }

/// Reads the executable's --profile-json into `m`; false (with the reason) when it is not what it wrote.
bool readProfile(const std::string &path, size_t steps, Measurement &m) {
  try {
    nlohmann::json j = nlohmann::json::parse(readFile(path));
    m.runs = j.at("runs").get<int>();
    m.total = quartilesOf(j.at("total_ms"));
    for (const nlohmann::json &s : j.at("steps")) m.steps.push_back(quartilesOf(s.at("ms")));
    for (const nlohmann::json &g : j.at("groups")) m.groups.push_back(quartilesOf(g.at("ms")));
  } catch (const std::exception &e) {
    m.detail = fmt::format("unreadable profile: {}", e.what());
    return false;
  }
  if (m.steps.size() == steps) return true;
  m.detail = fmt::format("the profile has {} steps, the build {}", m.steps.size(), steps);
  return false;
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
  std::vector<std::string> argv = {out + "/" + report.identifier, "--threads", std::to_string(options_.threads), "--profile",
                                   std::to_string(minimumRuns), "--profile-json", options_.scratch + "/profile.json"};
  for (const std::string &a : inputArgs_) argv.insert(argv.end(), {"--input", a});
  for (const std::string &a : outputArgs_) argv.insert(argv.end(), {"--output", a});
  std::remove((options_.scratch + "/profile.json").c_str());
  ProcessResult run = runProcess(argv, timeoutSeconds);
  m.runSeconds = run.seconds;
  if (!run.ok()) {
    m.status = run.ending == ProcessResult::Ending::TimedOut ? "timeout" : "crash";
    std::string tail = run.output.substr(run.output.size() > 400 ? run.output.size() - 400 : 0);
    m.detail = run.describe() + (tail.empty() ? "" : ": " + tail);
    return m;
  }
  if (!readProfile(options_.scratch + "/profile.json", report.kernels, m)) m.status = "crash";
  else if (!outputsMatch(m)) m.status = "mismatch";
  return m;
}

}  // namespace deeper
