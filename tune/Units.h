// What `deeper tune` tunes and `deeper compile --db` looks up: a model's kernels grouped into units.
//
//   kernel unit   a step outside any module (conv1, the pools and LRNs between modules, the
//                 classifier); its configuration is its schedule; timed as its step
//   module unit   one inception module (a block instance): its decisions (passes/Decisions.h: which
//                 reduces fuse, whether its pool fuses into the projection, whether its branches run in
//                 lanes) and its kernels' schedules, tuned together and timed as the whole module,
//                 since one decision changes which kernels there are and one lane's kernel what the
//                 others wait for
//
// A unit's problem text says what it computes, without names, decisions or schedules, so identical
// layers and modules of two models share their records. A module's configuration names its nodes
// relative to the module ("3x3" for inception_3a/3x3) for the same reason.
#pragma once

#include "codegen/ExecutableProfile.h"  // medianOf
#include "codegen/Kernel.h"
#include "passes/Decisions.h"
#include "tune/TuningDatabase.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace deeper {

/// A module's decisions ("<pass> <relative node>": yes or no) and its kernels' schedules (by relative
/// node name). Its text is JSON with sorted keys, so equal configurations have equal texts.
struct ModuleConfig {
  std::map<std::string, bool> decisions;
  std::map<std::string, Schedule> schedules;

  std::string text() const;
  /// UserError when `text` is not one.
  static ModuleConfig parse(const std::string &text);
  bool operator==(const ModuleConfig &o) const { return text() == o.text(); }
};

struct TuningUnit {
  enum class Kind { Kernel, Module } kind = Kind::Kernel;
  std::string problem, label;
  std::string node;                 ///< kernel unit: its node
  std::string block;                ///< module unit: its block instance
  std::vector<DecisionSite> sites;  ///< module unit: its decisions' sites
};

/// "kernel" or "module": TuningDatabase's unit column.
const char *unitKindName(TuningUnit::Kind kind);

/// The kernel's problem text: its canonical description without the schedule, and its lane.
std::string kernelProblem(const Kernel &kernel);

/// `node`'s name relative to `block` ("3x3" for inception_3a/3x3 in inception_3a).
std::string relativeName(const std::string &node, const std::string &block);

/// A model as the tuner sees it: a way to load it after the cleanup passes (weights bound), and
/// everything about it that does not depend on the decisions.
class TunableModel {
 public:
  using Loader = std::function<Graph()>;
  TunableModel(Loader loadClean, KernelTarget target);

  /// The model optimised by the default pipeline with `decisions` (absolute "<pass> <node>" keys).
  Graph optimised(const std::map<std::string, bool> &decisions) const;
  /// The kernels, default schedules, of the model optimised with `decisions`; kept for the tuner's life.
  const std::vector<Kernel> &kernels(const std::map<std::string, bool> &decisions);

  const std::vector<TuningUnit> &units() const { return units_; }
  /// A kernel unit's kernel with its default schedule (null for a module unit).
  const Kernel *defaultKernel(const TuningUnit &unit);
  /// A unit's configuration as the default pipeline and schedules make it: schedule text or module JSON.
  std::string defaultConfig(const TuningUnit &unit) const;
  /// The absolute decisions a module configuration stands for.
  std::map<std::string, bool> absoluteDecisions(const TuningUnit &unit, const ModuleConfig &config) const;
  /// The module's kernels under its decisions `config` (every other module at its default).
  std::vector<const Kernel *> moduleKernels(const TuningUnit &unit, const ModuleConfig &config);
  /// Every unit's configuration applied: the decisions of all modules, and the schedule file for the
  /// kernels of the model they make. Configurations that do not fit (an imported record of another
  /// code generator) leave the affected kernels at their defaults and count in `misfits`.
  struct Build {
    Graph graph;                   ///< optimised with the decisions, weights bound
    std::vector<Kernel> kernels;   ///< its kernels with the configurations' schedules: the build's steps
    std::string scheduleFile;      ///< the same schedules as compile --schedules takes them
    size_t misfits = 0;
  };
  Build build(const std::vector<std::string> &configs);
  const KernelTarget &target() const { return target_; }
  const std::string &name() const { return name_; }
  int64_t batch() const { return batch_; }

 private:
  Loader loadClean_;
  KernelTarget target_;
  std::string name_;
  int64_t batch_ = 1;
  std::vector<TuningUnit> units_;
  std::vector<std::string> defaults_;
  std::map<std::string, std::pair<std::unique_ptr<Graph>, std::vector<Kernel>>> variants_;
};

/// One configuration's measurements in one context.
struct ConfigRecord {
  std::string config;
  std::vector<double> medians;  ///< one per successful build that measured it: its time relative to the default's beside it
  bool failed = false;
  double median() const;
};

/// The records of `unit` in `db` measured in `context` (or, with `anyThreads`, at any thread count and
/// on any machine or code generator for that target and batch), by configuration, first measured first.
std::vector<ConfigRecord> unitRecords(const TuningDatabase &db, const TuningUnit &unit, const TuningContext &context, bool anyThreads);

/// The configuration with the lowest median (relative) time that never failed and was measured at least
/// `measurements` times, or null.
const ConfigRecord *bestRecord(const std::vector<ConfigRecord> &records, size_t measurements = 1);

/// What `deeper compile --db` uses: each unit's best record on `context`'s target and batch (any
/// machine, thread count or code generator), among those measured three times or more where there are
/// any (the tuner confirms its winners so); units without records keep their defaults.
struct TunedBuild {
  TunableModel::Build build;
  size_t unitsTuned = 0, units = 0;
};
TunedBuild tunedBuild(TunableModel &model, const TuningDatabase &db, const TuningContext &context);

}  // namespace deeper
