// What `deeper tune` tunes and `deeper compile --db` looks up: a model's kernels grouped into units.
//
//   kernel unit   a step that runs alone on every thread; timed as the step
//   module unit   the kernels of one module's branch lanes (passes/BranchSchedule.h), which run side by
//                 side: tuned together, timed as the whole group, since one lane's kernel changes what
//                 the others wait for
//
// A unit's problem text says what it computes without its schedules (Kernel::canonical of the default
// kernels, and each kernel's lane), so identical layers of two models share records; its configuration
// is one schedule per kernel.
#pragma once

#include "codegen/Kernel.h"
#include "tune/TuningDatabase.h"

#include <string>
#include <vector>

namespace deeper {

using Config = std::vector<Schedule>;

struct TuningUnit {
  enum class Kind { Kernel, Module } kind = Kind::Kernel;
  std::string problem, label;
  std::vector<size_t> kernels;  ///< indices into the kernel list, in execution order
  Config defaults;
};

/// "kernel" or "module": TuningDatabase's unit column.
const char *unitKindName(TuningUnit::Kind kind);

/// The kernel's problem text: its canonical description without the schedule, and its lane.
std::string kernelProblem(const Kernel &kernel);

/// The units of `kernels` (as kernelsOf makes them, default schedules), in execution order.
std::vector<TuningUnit> tuningUnits(const std::vector<Kernel> &kernels);

/// A configuration as stored: one schedule per line.
std::string configText(const Config &config);
/// UserError when `text` is not a configuration of `size` schedules.
Config parseConfig(const std::string &text, size_t size);

/// The schedule file (codegen/ScheduleFile.h) giving each unit's kernels `configs[unit]`.
std::string scheduleFileOf(const std::vector<Kernel> &kernels, const std::vector<TuningUnit> &units, const std::vector<Config> &configs);

/// One configuration's measurements in one context.
struct ConfigRecord {
  std::string config;
  std::vector<double> medians;  ///< one per successful build that measured it, its drift taken out
  bool failed = false;
  double median() const;
};

/// The records of `unit` in `db` measured in `context` (or, with `anyThreads`, at any thread count and
/// on any machine or code generator for that target and batch), by configuration, first measured first.
std::vector<ConfigRecord> unitRecords(const TuningDatabase &db, const TuningUnit &unit, const TuningContext &context, bool anyThreads);

/// The configuration with the lowest median time that never failed, or null.
const ConfigRecord *bestRecord(const std::vector<ConfigRecord> &records);

/// What `deeper compile --db` uses: each unit's best record on `context`'s target and batch (any
/// machine, thread count or code generator), as a schedule file; units without records keep their
/// defaults.
struct TunedSchedules {
  std::string scheduleFile;
  size_t unitsTuned = 0, units = 0, kernelsTuned = 0;
};
TunedSchedules tunedSchedules(const std::vector<Kernel> &kernels, const TuningDatabase &db, const TuningContext &context);

}  // namespace deeper
