#include "tune/Tuner.h"

#include "codegen/Compile.h"
#include "codegen/KernelCache.h"
#include "support/Diagnostics.h"
#include "support/Files.h"
#include "support/Hash.h"
#include "support/Machine.h"
#include "tune/CostModel.h"
#include "tune/Measure.h"
#include "tune/SearchSpace.h"
#include "tune/Units.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace deeper {
namespace {

constexpr double kExploration = 0.2;       // share of candidates picked at random rather than by the model
constexpr double kRunMilliseconds = 300;   // each executable's profile: about this many ms of runs,
constexpr int kFewestRuns = 5, kMostRuns = 200;  // but no fewer or more runs than these
constexpr size_t kConfirmations = 3;       // measurements of a best configuration before it is trusted

/// Units with the same problem (a layer shape or a module repeated in a model) are searched as one:
/// they share their records, and a candidate is tried in all of them at once.
struct ProblemState {
  std::vector<size_t> units;
  std::vector<ConfigRecord> records;
  std::set<std::string> tried;
  std::string best;
  bool converged = false;
};

std::string duration(double seconds) {
  int s = static_cast<int>(seconds + 0.5);
  return s >= 60 ? fmt::format("{}m{:02d}s", s / 60, s % 60) : fmt::format("{}s", s);
}

/// The fields of `best` that differ from `base`, "" when none.
std::string changedFields(const Schedule &base, const Schedule &best) {
  std::string a = base.print(), b = best.print(), out;
  std::istringstream as(a), bs(b);
  for (std::string x, y; as >> x && bs >> y;)
    if (x != y) out += (out.empty() ? "" : " ") + y;
  return out;
}

/// What the best configuration of `unit` changes from its default, for people.
std::string describeChanges(const TuningUnit &unit, const std::string &defaults, const std::string &best) {
  if (unit.kind == TuningUnit::Kind::Kernel) return changedFields(Schedule::parse(defaults), Schedule::parse(best));
  ModuleConfig a = ModuleConfig::parse(defaults), b = ModuleConfig::parse(best);
  std::vector<std::string> parts;
  for (const auto &[key, value] : b.decisions)
    if (a.decisions[key] != value) parts.push_back(fmt::format("{}={}", key, value ? "yes" : "no"));
  for (const auto &[node, schedule] : b.schedules) {
    auto old = a.schedules.find(node);
    std::string c = old == a.schedules.end() ? schedule.print() : changedFields(old->second, schedule);
    if (!c.empty()) parts.push_back(node + ": " + c);
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

Quartiles operator+(const Quartiles &a, const Quartiles &b) { return Quartiles{a.median + b.median, a.q1 + b.q1, a.q3 + b.q3}; }

class Tuner {
 public:
  Tuner(TunableModel &model, TuningDatabase &db, const TuneOptions &options)
      : model_(model), db_(db), options_(options), target_(parseTarget(options.target)), rng_(options.seed),
        start_(std::chrono::steady_clock::now()) {
    int threads = options.threads ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    context_ = tuningContext(target_, threads, model.batch());
    const std::vector<TuningUnit> &units = model_.units();
    for (size_t u = 0; u < units.size(); ++u) {
      auto [it, fresh] = stateOf_.insert({units[u].problem, states_.size()});
      if (fresh) states_.push_back(ProblemState{});
      states_[it->second].units.push_back(u);
    }
    modelProblem_ = "model";
    for (const TuningUnit &u : units) modelProblem_ += "\n" + u.problem;
  }

  TuneReport run();

 private:
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  const TuningUnit &unitOf(const ProblemState &s) const { return model_.units()[s.units[0]]; }
  std::string defaultOf(const ProblemState &s) const { return model_.defaultConfig(unitOf(s)); }
  void load();
  void refitModel();
  std::optional<std::string> propose(ProblemState &state);
  void scheduleMoves(const Kernel &k, const Schedule &from, const std::function<std::string(const Schedule &)> &configWith,
                     const ProblemState &state, std::vector<std::pair<double, std::string>> &out) const;
  void evaluate(const std::vector<std::pair<size_t, std::string>> &changes, const char *origin);
  std::string autoscheduledConfig(const ProblemState &s, const std::string &name);
  void measureAutoschedulers();
  /// The search's own candidates: round 0's baselines, measured whatever the budget, are not counted.
  int64_t searched() const { return static_cast<int64_t>(candidates_ - roundZeroCandidates_); }
  bool spent() const { return elapsed() >= options_.budgetSeconds || (options_.maxTrials && searched() >= options_.maxTrials); }
  Quartiles unitTime(const Profile &p, const std::vector<Kernel> &kernels, size_t unit) const;
  void ensureBaseline();
  double defaultMs(const ProblemState &s) const;
  double gain(const ProblemState &s) const;
  double relativeOf(const ProblemState &s, const std::string &config) const;
  void recordBuild(const Measurement &m, const TunableModel::Build &b, const std::vector<std::string> &configs,
                   const std::set<size_t> &changed, const char *origin);
  void recordFailure(size_t state, const std::string &config, const Measurement &m, const char *origin);
  Trial trial(const std::string &unit, const std::string &problem, const std::string &label, const std::string &config,
              const std::string &origin) const;
  void progress(size_t round, size_t candidates);
  void confirm();
  TuneReport report();

  TunableModel &model_;
  TuningDatabase &db_;
  TuneOptions options_;
  Halide::Target target_;
  std::vector<ProblemState> states_;
  std::map<std::string, size_t> stateOf_;
  std::string modelProblem_;
  TuningContext context_;
  CostModel costModel_;
  std::mt19937_64 rng_;
  std::chrono::steady_clock::time_point start_;
  std::unique_ptr<ScratchFolder> scratch_;  // the builds' folder, removed however the tuner ends
  std::unique_ptr<Measurer> measurer_;  // made at the first build: a warm database may need none
  std::optional<TunableModel::Build> baselineBuild_;  // the default build every later build runs beside
  std::map<std::string, double> stepMs_;  // each kernel's latest time, by node: a module's kernels' weights
  int runs_ = 10;
  double timeout_ = 600;
  size_t builds_ = 0, candidates_ = 0, failed_ = 0, roundZeroCandidates_ = 0;
  double lastProgress_ = 0;
};

Trial Tuner::trial(const std::string &unit, const std::string &problem, const std::string &label, const std::string &config,
                   const std::string &origin) const {
  Trial t;
  t.unit = unit, t.problem = problem, t.label = label, t.context = context_, t.config = config, t.origin = origin;
  t.created = utcNow();
  return t;
}

void Tuner::load() {
  for (ProblemState &s : states_) {
    s.records = unitRecords(db_, unitOf(s), context_, /*anyThreads=*/false);
    s.tried.clear();
    for (const ConfigRecord &r : s.records) s.tried.insert(r.config);
    const ConfigRecord *best = bestRecord(s.records);
    s.best = best ? best->config : defaultOf(s);
  }
}

/// Every measured schedule of the kernels the model has now (defaults, and each module's best
/// decisions), relative to the kernel's default: the cost model's data.
void Tuner::refitModel() {
  std::vector<const Kernel *> kernels;
  for (const Kernel &k : model_.kernels({})) kernels.push_back(&k);
  for (const ProblemState &s : states_)
    if (unitOf(s).kind == TuningUnit::Kind::Module)
      for (const Kernel *k : model_.moduleKernels(unitOf(s), ModuleConfig::parse(s.best))) kernels.push_back(k);
  std::vector<KernelObservation> observations;
  std::set<std::string> seen;
  for (const Kernel *k : kernels) {
    std::string problem = kernelProblem(*k);
    if (!seen.insert(problem).second) continue;
    std::map<std::string, std::vector<double>> times;
    for (const Trial &t : db_.trials(problem, context_.target))
      if ((t.unit == "kernel" || t.unit == "step") && t.status == "ok" && t.baselineMs > 0 && t.context.sameMeasurement(context_))
        times[t.config].push_back(t.relative());
    auto base = times.find(k->schedule.print());
    if (base == times.end()) continue;
    double baseMs = medianOf(base->second);
    for (const auto &[config, ms] : times)
      if (Schedule s = Schedule::parse(config); s.autoscheduler.empty())  // baselines are no points of the model's space
        observations.push_back({k, s, std::log(medianOf(ms) / baseMs)});
  }
  costModel_.fit(observations);
}

/// The untried schedule moves of kernel `k` from `from`, scored by the predicted change of its time.
void Tuner::scheduleMoves(const Kernel &k, const Schedule &from, const std::function<std::string(const Schedule &)> &configWith,
                          const ProblemState &state, std::vector<std::pair<double, std::string>> &out) const {
  auto weight = stepMs_.find(k.node->name);
  double ms = weight == stepMs_.end() ? 1.0 : weight->second;
  for (const Schedule &n : neighbourSchedules(k, from, model_.target().lanes)) {
    std::string config = configWith(n);
    if (!state.tried.count(config))
      out.push_back({ms * (std::exp(costModel_.predict(k, n)) - std::exp(costModel_.predict(k, from))), config});
  }
}

std::optional<std::string> Tuner::propose(ProblemState &state) {
  const TuningUnit &u = unitOf(state);
  // A configuration that came out best is measured again before the search moves on from it: one
  // lucky measurement among hundreds of candidates would otherwise lead the search astray.
  if (const ConfigRecord *best = bestRecord(state.records); best && best->medians.size() < kConfirmations) return best->config;
  std::vector<std::pair<double, std::string>> candidates;  // (predicted change in ms, configuration)
  if (const Kernel *k = model_.defaultKernel(u)) {
    scheduleMoves(*k, Schedule::parse(state.best), [](const Schedule &s) { return s.print(); }, state, candidates);
  } else {
    ModuleConfig best = ModuleConfig::parse(state.best);
    std::vector<const Kernel *> kernels = model_.moduleKernels(u, best);
    std::map<std::string, std::string> problems;  // by relative name, under the best decisions
    for (const Kernel *k : kernels) problems[relativeName(k->node->name, u.block)] = kernelProblem(*k);
    // Decisions first, one flipped at a time: kernels whose problem stays keep their schedules. Lanes
    // matter only where the branches run side by side.
    bool concurrent = std::any_of(best.decisions.begin(), best.decisions.end(),
                                  [](const auto &d) { return decisionPass(d.first) == decided::kBranchSchedule && d.second; });
    for (const auto &[key, value] : best.decisions) {
      if (decisionPass(key) == decided::kBranchLane && !concurrent) continue;
      ModuleConfig flipped = best;
      flipped.decisions[key] = !value;
      flipped.schedules.clear();
      for (const Kernel *k : model_.moduleKernels(u, flipped)) {
        std::string rel = relativeName(k->node->name, u.block);
        auto kept = best.schedules.find(rel);
        bool same = problems.count(rel) && problems[rel] == kernelProblem(*k) && kept != best.schedules.end();
        flipped.schedules[rel] = same ? kept->second : k->schedule;
      }
      if (!state.tried.count(flipped.text())) candidates.push_back({-1e9, flipped.text()});
    }
    for (const Kernel *k : kernels) {
      std::string rel = relativeName(k->node->name, u.block);
      auto current = best.schedules.find(rel);
      Schedule from = current == best.schedules.end() ? k->schedule : current->second;
      scheduleMoves(*k, from, [&](const Schedule &n) {
        ModuleConfig c = best;
        c.schedules[rel] = n;
        return c.text();
      }, state, candidates);
    }
  }
  if (candidates.empty()) return std::nullopt;
  std::shuffle(candidates.begin(), candidates.end(), rng_);  // ties (an unfitted model) broken at random
  if (std::uniform_real_distribution<double>(0, 1)(rng_) < kExploration) return candidates[0].second;
  return std::min_element(candidates.begin(), candidates.end(), [](auto &a, auto &b) { return a.first < b.first; })->second;
}

void Tuner::evaluate(const std::vector<std::pair<size_t, std::string>> &changes, const char *origin) {
  std::vector<std::string> configs(model_.units().size());
  for (const ProblemState &s : states_)
    for (size_t u : s.units) configs[u] = s.best;
  std::set<size_t> changed;
  for (const auto &[state, config] : changes)
    for (size_t u : states_[state].units) configs[u] = config, changed.insert(u);
  ensureBaseline();
  TunableModel::Build b = model_.build(configs);
  DEEPER_CHECK(b.misfits == 0, "the tuner built {} configurations that do not fit their units", b.misfits);
  Measurement m = measurer_->measure(b.graph, b.scheduleFile, runs_, timeout_);
  ++builds_;
  if (m.status == "ok") {
    recordBuild(m, b, configs, changed, origin);
    return;
  }
  if (changes.empty())
    fail(fmt::format("the model fails to build or run with its {} schedules ({}): {}", origin, m.status, m.detail));
  if (changes.size() == 1) {
    recordFailure(changes[0].first, changes[0].second, m, origin);
    return;
  }
  // Which candidate failed: each half on its own, the other units at their best.
  size_t half = changes.size() / 2;
  evaluate({changes.begin(), changes.begin() + static_cast<long>(half)}, origin);
  evaluate({changes.begin() + static_cast<long>(half), changes.end()}, origin);
}

/// The unit's default configuration with its convs scheduled by Halide autoscheduler `name`, or ""
/// when it has no conv.
std::string Tuner::autoscheduledConfig(const ProblemState &s, const std::string &name) {
  const TuningUnit &u = unitOf(s);
  auto baseline = [&](const Kernel &k, const Schedule &ours) -> std::optional<Schedule> {
    Schedule a = ours.handedTo(name);
    if (k.node->op != OpKind::Conv || !inSearchSpace(k, a, model_.target().lanes)) return std::nullopt;
    return a;
  };
  if (const Kernel *k = model_.defaultKernel(u)) {
    std::optional<Schedule> a = baseline(*k, k->schedule);
    return a ? a->print() : "";
  }
  ModuleConfig c = ModuleConfig::parse(defaultOf(s));
  bool any = false;
  for (const Kernel *k : model_.moduleKernels(u, c)) {
    auto ours = c.schedules.find(relativeName(k->node->name, u.block));
    if (ours == c.schedules.end()) continue;
    if (std::optional<Schedule> a = baseline(*k, ours->second)) ours->second = *a, any = true;
  }
  return any ? c.text() : "";
}

/// Round 0's baselines: each unit with a conv, its convs scheduled by each of Halide's autoschedulers
/// in turn (one build per autoscheduler, once per context), recorded with the origin "autoscheduler".
/// They are candidates like the tuner's own: one may win a unit. Every gain is read against them, so
/// they run whole whatever the budget (a resumed run finds them recorded and skips them).
void Tuner::measureAutoschedulers() {
  for (const std::string &name : options_.autoschedulers) {
    std::vector<std::pair<size_t, std::string>> changes;
    for (size_t s = 0; s < states_.size(); ++s) {
      std::string config = autoscheduledConfig(states_[s], name);
      if (!config.empty() && !states_[s].tried.count(config)) changes.push_back({s, config});
    }
    if (changes.empty()) continue;
    auto start = elapsed();
    evaluate(changes, "autoscheduler");
    if (options_.progress)
      fmt::print(stderr, "tune: Halide's {} autoscheduler on the convs of {} unit{}: built and measured in {}\n", name, changes.size(),
                 changes.size() == 1 ? "" : "s", duration(elapsed() - start));
  }
}

/// The unit's default configuration's time as measured (median over its builds): what gains scale.
double Tuner::defaultMs(const ProblemState &s) const {
  const TuningUnit &u = unitOf(s);
  std::string text = defaultOf(s);
  std::vector<double> ms;
  for (const Trial &t : db_.trials(u.problem, context_.target))
    if (t.unit == unitKindName(u.kind) && t.config == text && t.status == "ok" && t.context.sameMeasurement(context_))
      ms.push_back(t.medianMs);
  return medianOf(ms);
}

/// The median time of `config` relative to the baseline beside it (0 when unmeasured).
double Tuner::relativeOf(const ProblemState &s, const std::string &config) const {
  for (const ConfigRecord &r : s.records)
    if (r.config == config) return r.median();
  return 0;
}

/// The default's time over the best's, each relative to the baseline beside it (1 when unmeasured).
double Tuner::gain(const ProblemState &s) const {
  const ConfigRecord *best = bestRecord(s.records);
  double defaults = relativeOf(s, defaultOf(s));
  return defaults > 0 && best && best->median() > 0 ? defaults / best->median() : 1.0;
}

/// Before the first build of a session: the default build, measured (round 0) and kept as the baseline
/// that every later build runs beside.
void Tuner::ensureBaseline() {
  if (baselineBuild_) return;
  std::vector<std::string> defaults;
  for (const TuningUnit &u : model_.units()) defaults.push_back(model_.defaultConfig(u));
  TunableModel::Build b = model_.build(defaults);
  scratch_ = std::make_unique<ScratchFolder>("deeper-tune");
  measurer_ = std::make_unique<Measurer>(b.graph, MeasureOptions{options_.target, context_.threads, options_.jobs, options_.source, scratch_->path()});
  Measurement m = measurer_->measure(b.graph, b.scheduleFile, runs_, timeout_);
  ++builds_;
  if (m.status != "ok") fail(fmt::format("the model fails to build or run with its default schedules ({}): {}", m.status, m.detail));
  measurer_->keepAsBaseline();
  recordBuild(m, b, defaults, {}, "default");
  baselineBuild_ = std::move(b);
  progress(0, 0);
}

/// A kernel unit's step; a module's steps that run alone plus its group of lanes, if any.
Quartiles Tuner::unitTime(const Profile &p, const std::vector<Kernel> &kernels, size_t unit) const {
  const TuningUnit &u = model_.units()[unit];
  Quartiles sum;
  std::set<int> groups;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const Node &n = *kernels[i].node;
    if (u.kind == TuningUnit::Kind::Kernel ? n.name != u.node : n.block != u.block) continue;
    if (kernels[i].group == 0) sum = sum + p.steps.at(i).ms;
    else if (groups.insert(kernels[i].group).second) sum = sum + p.groups.at(static_cast<size_t>(kernels[i].group) - 1);
  }
  return sum;
}

void Tuner::recordBuild(const Measurement &m, const TunableModel::Build &b, const std::vector<std::string> &configs,
                        const std::set<size_t> &changed, const char *origin) {
  const std::vector<TuningUnit> &units = model_.units();
  // The baseline's times: the default build run beside this one, or this build itself when it is the baseline.
  const Profile &base = m.baseline ? *m.baseline : m.profile;
  const std::vector<Kernel> &baseKernels = m.baseline ? baselineBuild_->kernels : b.kernels;
  auto measured = [](Trial t, const Quartiles &q, double baseline) {
    t.medianMs = q.median, t.q1Ms = q.q1, t.q3Ms = q.q3, t.baselineMs = baseline;
    return t;
  };
  std::vector<Trial> trials;
  std::set<size_t> searched;  // states whose candidate is a configuration never measured before
  for (size_t u = 0; u < units.size(); ++u) {
    size_t state = stateOf_.at(units[u].problem);
    bool fresh = !states_[state].tried.count(configs[u]);
    bool searching = std::string(origin) == "tuner";
    const char *how = changed.empty() ? origin : !changed.count(u) ? "remeasure" : fresh || !searching ? origin : "recheck";
    if (changed.count(u) && fresh && searching) searched.insert(state);
    trials.push_back(measured(trial(unitKindName(units[u].kind), units[u].problem, units[u].label, configs[u], how),
                              unitTime(m.profile, b.kernels, u), unitTime(base, baseKernels, u).median));
  }
  std::map<std::string, std::pair<std::string, double>> baseSteps;  // by node: (problem, baseline time)
  for (size_t i = 0; i < baseKernels.size(); ++i) baseSteps[baseKernels[i].node->name] = {kernelProblem(baseKernels[i]), base.steps[i].ms.median};
  for (size_t i = 0; i < b.kernels.size(); ++i) {  // every module kernel's own time: the cost model's data
    if (b.kernels[i].node->block.empty()) continue;
    auto same = baseSteps.find(b.kernels[i].node->name);
    std::string problem = kernelProblem(b.kernels[i]);
    double baseline = same != baseSteps.end() && same->second.first == problem ? same->second.second : 0;
    trials.push_back(measured(trial("step", problem, b.kernels[i].node->name, b.kernels[i].schedule.print(), origin), m.profile.steps[i].ms, baseline));
  }
  trials.push_back(measured(trial("model", modelProblem_, model_.name(), fmt::format("{:016x}", fnv1a64(b.scheduleFile)), origin),
                            m.profile.total, base.total.median));
  db_.transaction([&] {
    for (const Trial &t : trials) db_.insert(t);
  });
  candidates_ += searched.size();
  stepMs_.clear();
  for (size_t i = 0; i < b.kernels.size(); ++i) stepMs_[b.kernels[i].node->name] = m.profile.steps[i].ms.median;
  runs_ = std::clamp(static_cast<int>(kRunMilliseconds / std::max(m.profile.total.median, 1e-3)), kFewestRuns, kMostRuns);
  timeout_ = std::max(30.0, 20 * m.runSeconds);
  load();
}

void Tuner::recordFailure(size_t state, const std::string &config, const Measurement &m, const char *origin) {
  const TuningUnit &u = unitOf(states_[state]);
  Trial t = trial(unitKindName(u.kind), u.problem, u.label, config, origin);
  t.status = m.status, t.detail = m.detail;
  db_.insert(t);
  ++candidates_, ++failed_;
  if (options_.progress) {
    std::string detail = m.detail.substr(0, m.detail.find('\n'));
    fmt::print(stderr, "tune: a candidate of {} failed ({}): {}\n", u.label, m.status, detail.substr(0, 200));
  }
  load();
}

/// A line on stderr every 10 seconds at most (and after round 0).
void Tuner::progress(size_t round, size_t proposed) {
  if (!options_.progress || (round > 0 && elapsed() < lastProgress_ + 10)) return;
  lastProgress_ = elapsed();
  size_t converged = std::count_if(states_.begin(), states_.end(), [](const ProblemState &s) { return s.converged; });
  double defaults = 0, best = 0;  // summed over the units
  for (const ProblemState &s : states_) {
    double ms = defaultMs(s) * static_cast<double>(s.units.size());
    defaults += ms, best += ms / gain(s);
  }
  std::string budget = options_.maxTrials ? fmt::format("{} of {} candidates", searched(), options_.maxTrials)
                                          : fmt::format("{} of {}", duration(elapsed()), duration(options_.budgetSeconds));
  double left = std::max(0.0, options_.budgetSeconds - elapsed());
  fmt::print(stderr, "tune: round {}: {} candidates, {} failed so far; {}/{} units at a local optimum; units' best {:.3f} ms against "
             "{:.3f} with the defaults ({:.2f}x); {}{}\n",
             round, proposed, failed_, converged, states_.size(), best, defaults, best > 0 ? defaults / best : 1.0, budget,
             options_.maxTrials ? "" : fmt::format(", at most {} left", duration(left)));
}

TuneReport Tuner::run() {
  load();
  // Search until every unit is at a local optimum or the budget is spent, confirming the winners;
  // a confirmation may change a unit's best, whose neighbours are then searched in turn.
  // Round 0: the defaults where the database has no measurement of them, then the autoschedulers.
  if (std::any_of(states_.begin(), states_.end(), [&](const ProblemState &s) { return defaultMs(s) == 0; })) ensureBaseline();
  measureAutoschedulers();
  roundZeroCandidates_ = candidates_;
  size_t confirmed = candidates_, round = 0;
  for (;;) {
    while (!spent()) {
      refitModel();
      std::vector<std::pair<size_t, std::string>> changes;
      for (size_t s = 0; s < states_.size(); ++s) {
        if (options_.maxTrials && searched() + static_cast<int64_t>(changes.size()) >= options_.maxTrials) break;
        std::optional<std::string> c = propose(states_[s]);
        states_[s].converged = !c;
        if (c) changes.push_back({s, *c});
      }
      if (changes.empty()) break;
      evaluate(changes, "tuner");
      progress(++round, changes.size());
    }
    if (candidates_ == confirmed) break;
    confirm();
    confirmed = candidates_;
    for (ProblemState &s : states_) s.converged = !propose(s);
    if (spent() || std::all_of(states_.begin(), states_.end(), [](const ProblemState &s) { return s.converged; })) break;
  }
  return report();
}

/// The best configurations measured again, interleaved with the defaults, until each best has been
/// measured kConfirmations times: a configuration that won by a lucky measurement loses its place.
void Tuner::confirm() {
  std::vector<std::pair<size_t, std::string>> defaults;
  for (size_t s = 0; s < states_.size(); ++s) defaults.push_back({s, defaultOf(states_[s])});
  auto unconfirmed = [&] {
    return std::any_of(states_.begin(), states_.end(), [&](const ProblemState &s) {
      const ConfigRecord *best = bestRecord(s.records);
      return best && best->medians.size() < kConfirmations;
    });
  };
  for (size_t i = 0; i < kConfirmations; ++i) {
    evaluate({}, "confirm");
    if (i + 1 < kConfirmations) evaluate(defaults, "default");
  }
  for (int extra = 0; extra < 3 && unconfirmed(); ++extra) evaluate({}, "confirm");
}

TuneReport Tuner::report() {
  TuneReport r;
  r.builds = builds_, r.candidates = candidates_, r.failed = failed_, r.seconds = elapsed();
  r.autoschedulers = options_.autoschedulers;
  for (const ProblemState &s : states_) {
    const TuningUnit &u = unitOf(s);
    std::string defaults = defaultOf(s);
    UnitOutcome o{unitKindName(u.kind), u.label, "", defaultMs(s), 0, {}, s.records.size(), s.converged};
    o.bestMs = o.defaultMs / gain(s);
    for (const std::string &name : options_.autoschedulers) {
      std::string config = autoscheduledConfig(s, name);
      double base = relativeOf(s, defaults);
      for (const ConfigRecord &r : s.records)
        if (!config.empty() && r.config == config && base > 0) o.autoschedulerMs[name] = r.failed ? -1 : o.defaultMs * r.median() / base;
    }
    o.changes = describeChanges(u, defaults, s.best);
    if (o.changes.empty()) o.changes = "-";
    r.units.push_back(o);
  }
  std::map<std::string, std::vector<double>> relative, ms;  // whole runs by origin
  std::vector<double> spreads;
  for (const Trial &t : db_.trials(modelProblem_, context_.target))
    if (t.status == "ok" && t.context.sameMeasurement(context_)) {
      relative[t.origin].push_back(t.relative()), ms[t.origin].push_back(t.medianMs);
      if (t.q3Ms > 0) spreads.push_back((t.q3Ms - t.q1Ms) / t.medianMs);
    }
  r.defaultModelMs = medianOf(ms["default"]);
  double confirmed = medianOf(relative["confirm"]), baseline = medianOf(relative["default"]);
  r.bestModelMs = confirmed > 0 && baseline > 0 ? r.defaultModelMs * confirmed / baseline : 0;
  r.noise = medianOf(spreads);
  return r;
}

}  // namespace

TuningContext tuningContext(const Halide::Target &target, int threads, int64_t batch) {
  return TuningContext{target.to_string(), machineFingerprint(), halideVersion(), codeGeneratorHash(), threads, batch};
}

TuneReport tuneModel(TunableModel &model, TuningDatabase &db, const TuneOptions &options) { return Tuner(model, db, options).run(); }

std::string printTuneReport(const TuneReport &r) {
  std::string out = fmt::format("{:<7} {:<28} {:>10}", "unit", "name", "default ms");
  for (const std::string &name : r.autoschedulers) out += fmt::format(" {:>13}", name);
  out += fmt::format(" {:>10} {:>6} {:>6}  {}\n", "tuned ms", "gain", "tried", "changed");
  for (const UnitOutcome &u : r.units) {
    out += fmt::format("{:<7} {:<28} {:>10.3f}", u.kind, u.label, u.defaultMs);
    for (const std::string &name : r.autoschedulers) {
      auto ms = u.autoschedulerMs.find(name);
      out += ms == u.autoschedulerMs.end() ? fmt::format(" {:>13}", "-") : ms->second < 0 ? fmt::format(" {:>13}", "failed") : fmt::format(" {:>13.3f}", ms->second);
    }
    out += fmt::format(" {:>10.3f} {:>5.2f}x {:>5}{} {}\n", u.bestMs, u.bestMs > 0 ? u.defaultMs / u.bestMs : 1.0, u.configsTried,
                       u.converged ? " " : "+", u.changes);
  }
  out += fmt::format("{} builds, {} candidates measured ({} failed) in {}; '+': the search had neighbours left to try", r.builds,
                     r.candidates, r.failed, duration(r.seconds));
  out += r.autoschedulers.empty() ? "\n" : "; autoschedulers: Halide's, on the unit's convs ('-': none)\n";
  if (r.defaultModelMs > 0 && r.bestModelMs > 0)
    out += fmt::format("whole model: {:.3f} ms with the defaults, {:.3f} ms tuned ({:.2f}x); measurement noise (interquartile range / median): {:.1f}%\n",
                       r.defaultModelMs, r.bestModelMs, r.defaultModelMs / r.bestModelMs, 100 * r.noise);
  return out;
}

std::string printBestRecords(const TuningDatabase &db) {
  struct Entry {
    std::string kind, label, defaultConfig;
    std::vector<ConfigRecord> records;
  };
  std::map<std::string, Entry> entries;  // by unit kind, problem and context
  std::vector<std::string> order;
  for (const Trial &t : db.all()) {
    if (t.unit != "kernel" && t.unit != "module") continue;
    std::string key = fmt::format("{}\n{}\n{}\n{}\n{}\n{}", t.unit, t.problem, t.context.target, t.context.machine, t.context.threads, t.context.batch);
    auto [it, fresh] = entries.insert({key, Entry{t.unit, t.label, "", {}}});
    if (fresh) order.push_back(key);
    Entry &e = it->second;
    if (t.origin == "default") e.defaultConfig = t.config;
    auto r = std::find_if(e.records.begin(), e.records.end(), [&](const ConfigRecord &c) { return c.config == t.config; });
    if (r == e.records.end()) r = e.records.insert(e.records.end(), ConfigRecord{t.config, {}, false});
    if (t.status == "ok") r->medians.push_back(t.relative());
    else r->failed = true;
  }
  std::string out;
  for (const std::string &key : order) {
    const Entry &e = entries.at(key);
    const ConfigRecord *best = bestRecord(e.records);
    if (!best) continue;
    double defaultRelative = 0;  // relative times: each against the baseline measured beside it
    for (const ConfigRecord &r : e.records)
      if (r.config == e.defaultConfig) defaultRelative = r.median();
    std::string config = best->config;
    std::replace(config.begin(), config.end(), '\n', ';');
    std::string gain = defaultRelative > 0 ? fmt::format("{:.2f}x", defaultRelative / best->median()) : "?";
    // The fastest of Halide's autoschedulers' baselines (their configurations name them).
    const ConfigRecord *autoscheduled = nullptr;
    for (const ConfigRecord &r : e.records)
      if (r.config.find("autoscheduler=") != std::string::npos && !r.failed && (!autoscheduled || r.median() < autoscheduled->median()))
        autoscheduled = &r;
    std::string versus = autoscheduled ? fmt::format(", {:.2f}x over the best autoscheduler", autoscheduled->median() / best->median()) : "";
    out += fmt::format("{:<7} {:<28} {:>6} over the default{}  {}\n", e.kind, e.label, gain, versus, config);
  }
  return out.empty() ? "the database holds no successful measurement\n" : out;
}

}  // namespace deeper
