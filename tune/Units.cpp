#include "tune/Units.h"

#include "codegen/ScheduleFile.h"
#include "support/Diagnostics.h"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>

namespace deeper {
namespace {

/// "inception_3a" for kernels named inception_3a/...; the first kernel's name otherwise.
std::string moduleLabel(const std::vector<Kernel> &kernels, const std::vector<size_t> &members) {
  std::string first = kernels[members[0]].node->name, prefix = first.substr(0, first.find('/'));
  for (size_t i : members)
    if (kernels[i].node->name.compare(0, prefix.size(), prefix) != 0) return first;
  return prefix;
}

bool sameMeasurementContext(const TuningContext &a, const TuningContext &b, bool anyThreads) {
  if (a.target != b.target || a.batch != b.batch) return false;
  return anyThreads || (a.machine == b.machine && a.halide == b.halide && a.codegen == b.codegen && a.threads == b.threads);
}

}  // namespace

/// `text` as a configuration of `unit` whose every schedule passes scheduleProblem, or nothing.
static std::optional<Config> validConfig(const std::vector<Kernel> &kernels, const TuningUnit &unit, const std::string &text) {
  try {
    Config config = parseConfig(text, unit.kernels.size());
    for (size_t j = 0; j < config.size(); ++j)
      if (!scheduleProblem(*kernels[unit.kernels[j]].node, config[j]).empty()) return std::nullopt;
    return config;
  } catch (const UserError &) {
    return std::nullopt;
  }
}

const char *unitKindName(TuningUnit::Kind kind) { return kind == TuningUnit::Kind::Kernel ? "kernel" : "module"; }

std::string kernelProblem(const Kernel &kernel) {
  std::string text = kernel.canonical();
  text = text.substr(0, text.rfind(" | "));
  if (kernel.lane) text += kernel.lane == 1 ? " lane=parallel" : " lane=serial";
  return text;
}

std::vector<TuningUnit> tuningUnits(const std::vector<Kernel> &kernels) {
  std::vector<TuningUnit> units;
  std::map<int, size_t> moduleOfGroup;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const Kernel &k = kernels[i];
    if (k.group == 0) {
      units.push_back(TuningUnit{TuningUnit::Kind::Kernel, kernelProblem(k), k.node->name, {i}, {k.schedule}});
      continue;
    }
    auto [it, fresh] = moduleOfGroup.insert({k.group, units.size()});
    if (fresh) units.push_back(TuningUnit{TuningUnit::Kind::Module, "module", "", {}, {}});
    TuningUnit &u = units[it->second];
    u.problem += "\n" + kernelProblem(k);
    u.kernels.push_back(i);
    u.defaults.push_back(k.schedule);
  }
  for (TuningUnit &u : units)
    if (u.kind == TuningUnit::Kind::Module) u.label = moduleLabel(kernels, u.kernels);
  return units;
}

std::string configText(const Config &config) {
  std::string text;
  for (const Schedule &s : config) text += (text.empty() ? "" : "\n") + s.print();
  return text;
}

Config parseConfig(const std::string &text, size_t size) {
  Config config;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) config.push_back(Schedule::parse(line));
  if (config.size() != size) fail(fmt::format("a tuning record has {} schedules where its unit has {} kernels", config.size(), size));
  return config;
}

std::string scheduleFileOf(const std::vector<Kernel> &kernels, const std::vector<TuningUnit> &units, const std::vector<Config> &configs) {
  std::vector<Kernel> chosen = kernels;
  for (size_t u = 0; u < units.size(); ++u)
    for (size_t j = 0; j < units[u].kernels.size(); ++j) chosen[units[u].kernels[j]].schedule = configs[u][j];
  return printScheduleFile(chosen);
}

double ConfigRecord::median() const {
  if (medians.empty()) return 0;
  std::vector<double> v = medians;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

std::vector<ConfigRecord> unitRecords(const TuningDatabase &db, const TuningUnit &unit, const TuningContext &context, bool anyThreads) {
  std::vector<ConfigRecord> records;
  std::map<std::string, size_t> index;
  for (const Trial &t : db.trials(unit.problem, context.target)) {
    if (t.unit != unitKindName(unit.kind) || !sameMeasurementContext(t.context, context, anyThreads)) continue;
    auto [it, fresh] = index.insert({t.config, records.size()});
    if (fresh) records.push_back(ConfigRecord{t.config, {}, false});
    ConfigRecord &r = records[it->second];
    if (t.status == "ok") r.medians.push_back(t.comparableMs());
    else r.failed = true;
  }
  return records;
}

const ConfigRecord *bestRecord(const std::vector<ConfigRecord> &records) {
  const ConfigRecord *best = nullptr;
  for (const ConfigRecord &r : records)
    if (!r.failed && !r.medians.empty() && (!best || r.median() < best->median())) best = &r;
  return best;
}

TunedSchedules tunedSchedules(const std::vector<Kernel> &kernels, const TuningDatabase &db, const TuningContext &context) {
  std::vector<TuningUnit> units = tuningUnits(kernels);
  std::vector<Config> configs;
  TunedSchedules out;
  out.units = units.size();
  for (const TuningUnit &u : units) {
    std::vector<ConfigRecord> records = unitRecords(db, u, context, /*anyThreads=*/true);
    std::optional<Config> best;
    // The fastest record that is a schedule for these kernels (an imported file may hold anything).
    for (const ConfigRecord *r; !best && (r = bestRecord(records));) {
      best = validConfig(kernels, u, r->config);
      records.erase(records.begin() + (r - records.data()));
    }
    configs.push_back(best ? *best : u.defaults);
    if (best) ++out.unitsTuned, out.kernelsTuned += u.kernels.size();
  }
  out.scheduleFile = scheduleFileOf(kernels, units, configs);
  return out;
}

}  // namespace deeper
