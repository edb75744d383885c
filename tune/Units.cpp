#include "tune/Units.h"

#include "codegen/ScheduleFile.h"
#include "ir/Attr.h"
#include "ir/Printer.h"
#include "passes/PassManager.h"
#include "support/Diagnostics.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace deeper {
namespace {

/// What a module computes, names relative to it and outside values by shape: its problem text.
std::string moduleProblem(const Graph &clean, const std::string &block) {
  std::string text = "module";
  for (const auto &node : clean.nodes()) {
    if (node->block != block) continue;
    text += fmt::format("\n{} = {}", relativeName(node->name, block), node->info().name);
    for (const std::string &attr : printAttrs(*node)) text += " " + attr;
    text += fmt::format(" f32[{}] (", fmt::join(node->shape, ","));
    for (const Node *in : node->inputs())
      text += in->block == block ? relativeName(in->name, block) + " " : fmt::format("f32[{}] ", fmt::join(in->shape, ","));
    text += ")";
  }
  return text;
}

std::string decisionsText(const std::map<std::string, bool> &decisions) {
  std::string text;
  for (const auto &[key, value] : decisions) text += fmt::format("{}={};", key, value);
  return text;
}

/// `text` as a configuration of `unit` that fits it (a schedule for its kernel; decisions at its own
/// sites), or nothing.
bool fits(const TuningUnit &unit, const Kernel *kernel, const std::string &text) {
  try {
    if (unit.kind == TuningUnit::Kind::Kernel) return kernel && scheduleProblem(*kernel->node, Schedule::parse(text)).empty();
    ModuleConfig config = ModuleConfig::parse(text);
    std::set<std::string> sites;
    for (const DecisionSite &s : unit.sites) sites.insert(decisionKey(s.pass, relativeName(s.node, unit.block)));
    for (const auto &d : config.decisions)
      if (!sites.count(d.first)) return false;
    return true;
  } catch (const UserError &) {
    return false;
  }
}

}  // namespace

std::string ModuleConfig::text() const {
  nlohmann::json j = {{"decisions", nlohmann::json::object()}, {"schedules", nlohmann::json::object()}};
  for (const auto &[key, value] : decisions) j["decisions"][key] = value;
  for (const auto &[node, schedule] : schedules) j["schedules"][node] = schedule.print();
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ModuleConfig ModuleConfig::parse(const std::string &text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("decisions") || !j.contains("schedules") || !j["decisions"].is_object() ||
      !j["schedules"].is_object())
    fail("a module's tuning record is not {\"decisions\": {...}, \"schedules\": {...}}");
  ModuleConfig c;
  for (const auto &[key, value] : j["decisions"].items()) {
    if (!value.is_boolean()) fail(fmt::format("a module's tuning record decides '{}' neither true nor false", key));
    c.decisions[key] = value.get<bool>();
  }
  for (const auto &[node, value] : j["schedules"].items()) {
    if (!value.is_string()) fail(fmt::format("a module's tuning record gives '{}' no schedule text", node));
    c.schedules[node] = Schedule::parse(value.get<std::string>());
  }
  return c;
}

const char *unitKindName(TuningUnit::Kind kind) { return kind == TuningUnit::Kind::Kernel ? "kernel" : "module"; }

std::string kernelProblem(const Kernel &kernel) {
  std::string text = kernel.canonical();
  text = text.substr(0, text.rfind(" | "));
  if (kernel.lane) text += kernel.lane == 1 ? " lane=parallel" : " lane=serial";
  return text;
}

std::string relativeName(const std::string &node, const std::string &block) {
  return !block.empty() && node.size() > block.size() + 1 && node.compare(0, block.size() + 1, block + "/") == 0 ? node.substr(block.size() + 1)
                                                                                                                  : node;
}

TunableModel::TunableModel(Loader loadClean, KernelTarget target) : loadClean_(std::move(loadClean)), target_(target) {
  Graph clean = loadClean_();
  name_ = clean.name, batch_ = clean.batch;
  std::vector<DecisionSite> sites = decisionSites(clean);
  const std::vector<Kernel> &defaults = kernels({});
  const Graph &optimisedDefault = *variants_.at(decisionsText({})).first;
  std::map<std::string, size_t> moduleOf;
  for (const Kernel &k : defaults) {
    const std::string &block = k.node->block;
    if (block.empty()) {
      units_.push_back(TuningUnit{TuningUnit::Kind::Kernel, kernelProblem(k), k.node->name, k.node->name, "", {}});
      defaults_.push_back(k.schedule.print());
      continue;
    }
    auto [it, fresh] = moduleOf.insert({block, units_.size()});
    if (!fresh) continue;
    TuningUnit u{TuningUnit::Kind::Module, moduleProblem(clean, block), block, "", block, {}};
    ModuleConfig config;
    for (const DecisionSite &s : sites)
      if (s.block == block) {
        u.sites.push_back(s);
        config.decisions[decisionKey(s.pass, relativeName(s.node, block))] = carriedOut(optimisedDefault, s);
      }
    for (const Kernel &m : defaults)
      if (m.node->block == block) config.schedules[relativeName(m.node->name, block)] = m.schedule;
    units_.push_back(std::move(u));
    defaults_.push_back(config.text());
  }
}

Graph TunableModel::optimised(const std::map<std::string, bool> &decisions) const {
  Graph g = loadClean_();
  std::vector<DecisionSite> sites = decisionSites(g);
  g.decisions = decisions;
  if (target_.gpu)  // undecided reduces stay kernels of their own on a GPU (tools/deeper: passOptions says why)
    for (const DecisionSite &s : sites)
      if (s.pass == decided::kReduceConvFusion) g.decisions.emplace(decisionKey(s.pass, s.node), false);
  PassOptions options;
  options.pipeline = pipelineFor(sites, g.decisions);
  std::vector<std::string> done = cleanupPipeline();  // what loadClean ran
  options.pipeline.erase(std::remove_if(options.pipeline.begin(), options.pipeline.end(),
                                        [&](const std::string &p) { return std::count(done.begin(), done.end(), p) > 0; }),
                         options.pipeline.end());
  runPasses(g, options);
  return g;
}

const std::vector<Kernel> &TunableModel::kernels(const std::map<std::string, bool> &decisions) {
  std::string key = decisionsText(decisions);
  auto it = variants_.find(key);
  if (it == variants_.end()) {
    auto graph = std::make_unique<Graph>(optimised(decisions));
    graph->weights.clear();  // kernels need shapes only; a variant is kept for the tuner's life
    std::vector<Kernel> ks = kernelsOf(*graph, target_);
    it = variants_.emplace(key, std::make_pair(std::move(graph), std::move(ks))).first;
  }
  return it->second.second;
}

std::string TunableModel::defaultConfig(const TuningUnit &unit) const {
  return defaults_[static_cast<size_t>(&unit - units_.data())];
}

std::map<std::string, bool> TunableModel::absoluteDecisions(const TuningUnit &unit, const ModuleConfig &config) const {
  std::map<std::string, bool> out;
  for (const DecisionSite &s : unit.sites) {
    auto it = config.decisions.find(decisionKey(s.pass, relativeName(s.node, unit.block)));
    if (it != config.decisions.end()) out[decisionKey(s.pass, s.node)] = it->second;
  }
  return out;
}

std::vector<const Kernel *> TunableModel::moduleKernels(const TuningUnit &unit, const ModuleConfig &config) {
  std::vector<const Kernel *> out;
  for (const Kernel &k : kernels(absoluteDecisions(unit, config)))
    if (k.node->block == unit.block) out.push_back(&k);
  return out;
}

TunableModel::Build TunableModel::build(const std::vector<std::string> &configs) {
  Build b;
  std::map<std::string, size_t> unitOf;  // kernel units by node, modules by block
  std::vector<std::optional<ModuleConfig>> modules(units_.size());
  std::map<std::string, bool> decisions;
  for (size_t u = 0; u < units_.size(); ++u) {
    const TuningUnit &unit = units_[u];
    unitOf[unit.kind == TuningUnit::Kind::Kernel ? unit.node : unit.block] = u;
    if (unit.kind != TuningUnit::Kind::Module) continue;
    try {
      modules[u] = ModuleConfig::parse(configs[u]);
    } catch (const UserError &) {
      ++b.misfits;
      continue;
    }
    for (const auto &d : absoluteDecisions(unit, *modules[u])) decisions.insert(d);
  }
  b.graph = optimised(decisions);
  std::vector<Kernel> chosen = kernelsOf(b.graph, target_);
  for (Kernel &k : chosen) {
    const std::string &block = k.node->block;
    auto it = unitOf.find(block.empty() ? k.node->name : block);
    if (it == unitOf.end()) continue;
    std::optional<Schedule> s;
    try {
      if (block.empty()) s = Schedule::parse(configs[it->second]);
      else if (modules[it->second]) {
        auto found = modules[it->second]->schedules.find(relativeName(k.node->name, block));
        if (found == modules[it->second]->schedules.end()) continue;
        s = found->second;
      }
    } catch (const UserError &) {
    }
    if (!s || !scheduleProblem(*k.node, *s).empty()) {
      ++b.misfits;
      continue;
    }
    k.schedule = *s;
  }
  // The kernels as compile makes them from that file (packed parameters, lanes' serial kernels).
  b.scheduleFile = printScheduleFile(chosen);
  ScheduleChoices choices = parseScheduleFile(b.scheduleFile, "tuned schedules");
  b.kernels = kernelsOf(b.graph, target_, &choices);
  return b;
}

const Kernel *TunableModel::defaultKernel(const TuningUnit &unit) {
  if (unit.kind != TuningUnit::Kind::Kernel) return nullptr;
  for (const Kernel &k : kernels({}))
    if (k.node->name == unit.node) return &k;
  return nullptr;
}

double ConfigRecord::median() const { return medianOf(medians); }

std::vector<ConfigRecord> unitRecords(const TuningDatabase &db, const TuningUnit &unit, const TuningContext &context, bool anyThreads) {
  std::vector<ConfigRecord> records;
  std::map<std::string, size_t> index;
  for (const Trial &t : db.trials(unit.problem, context.target)) {
    if (t.unit != unitKindName(unit.kind) || !(anyThreads ? t.context.sameTargetAndBatch(context) : t.context.sameMeasurement(context))) continue;
    auto [it, fresh] = index.insert({t.config, records.size()});
    if (fresh) records.push_back(ConfigRecord{t.config, {}, false});
    ConfigRecord &r = records[it->second];
    if (t.status == "ok") r.medians.push_back(t.relative());
    else r.failed = true;
  }
  return records;
}

const ConfigRecord *bestRecord(const std::vector<ConfigRecord> &records, size_t measurements) {
  const ConfigRecord *best = nullptr;
  for (const ConfigRecord &r : records)
    if (!r.failed && !r.medians.empty() && r.medians.size() >= measurements && (!best || r.median() < best->median())) best = &r;
  return best;
}

TunedBuild tunedBuild(TunableModel &model, const TuningDatabase &db, const TuningContext &context) {
  TunedBuild out;
  std::vector<std::string> configs;
  for (const TuningUnit &u : model.units()) {
    const Kernel *kernel = model.defaultKernel(u);
    std::vector<ConfigRecord> records = unitRecords(db, u, context, /*anyThreads=*/true);
    std::optional<std::string> best;
    // The fastest record that fits (an imported file may hold anything).
    for (const ConfigRecord *r; !best && ((r = bestRecord(records, 3)) || (r = bestRecord(records)));) {
      if (fits(u, kernel, r->config)) best = r->config;
      records.erase(records.begin() + (r - records.data()));
    }
    configs.push_back(best ? *best : model.defaultConfig(u));
    out.unitsTuned += best.has_value();
  }
  out.units = configs.size();
  out.build = model.build(configs);
  return out;
}

}  // namespace deeper
