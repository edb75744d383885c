#include "codegen/ExecutableProfile.h"

#include "support/Diagnostics.h"
#include "support/Files.h"
#include "support/Json.h"
#include "support/Process.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace deeper {
namespace {

Quartiles quartilesOf(const nlohmann::json &j) { return Quartiles{j.at("median").get<double>(), j.at("q1").get<double>(), j.at("q3").get<double>()}; }

}  // namespace

double medianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

const StepProfile *Profile::step(const std::string &name) const {
  for (const StepProfile &s : steps)
    if (s.name == name) return &s;
  return nullptr;
}

Profile parseProfile(const std::string &text, const std::string &what) {
  Profile p;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    p.runs = jsonInteger<int>(j.at("runs"), "runs");
    p.total = quartilesOf(j.at("total_ms"));
    p.threads = jsonIntegerOr(j, "threads", 0);
    p.peakGflops = j.value("peak_gflops", 0.0);
    p.readGBps = j.value("read_gbps", 0.0);
    for (const nlohmann::json &s : j.at("steps"))
      p.steps.push_back(StepProfile{s.at("name").get<std::string>(), s.value("output", ""), jsonIntegerOr(s, "macs", int64_t{0}),
                                    jsonIntegerOr(s, "group", 0), jsonIntegerOr(s, "lane", 0), quartilesOf(s.at("ms"))});
    for (const nlohmann::json &g : j.at("groups")) p.groups.push_back(quartilesOf(g.at("ms")));
  } catch (const std::exception &e) {
    fail(fmt::format("{}: unreadable profile: {}", what, e.what()));
  }
  return p;
}

Profile runProfile(const std::string &executable, const ProfileRunOptions &o) {
  ScratchFolder scratch("deeper-profile");
  const std::string json = scratch.path() + "/profile.json";
  std::vector<std::string> argv = {executable, "--profile", std::to_string(o.runs), "--profile-json", json};
  if (o.threads > 0) argv.insert(argv.end(), {"--threads", std::to_string(o.threads)});
  if (!o.rates) argv.push_back("--no-rates");
  argv.insert(argv.end(), o.extraArgs.begin(), o.extraArgs.end());
  ProcessResult run = runProcess(argv, o.timeoutSeconds);
  if (!run.ok()) {
    std::string tail = run.output.substr(run.output.size() > 400 ? run.output.size() - 400 : 0);
    fail(fmt::format("{} --profile: {}{}", executable, run.describe(), tail.empty() ? "" : ": " + tail));
  }
  return parseProfile(readFile(json), json);
}

}  // namespace deeper
