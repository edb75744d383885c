// `deeper tune`: a measured search for each unit's schedules (tune/Units.h), recorded in a tuning
// database (tune/TuningDatabase.h) that `deeper compile --db` reads.
//
//   round 0   every unit at its default schedule: the baseline, measured once per context; then
//             each unit's convs scheduled by each of Halide's autoschedulers (a build per autoscheduler)
//   round k   every unit not yet at a local optimum tries one untried neighbour of its best
//             configuration: a module's decisions flipped one at a time first (they are measured, not
//             modelled), then schedule moves (tune/SearchSpace.h), the one the cost model
//             (tune/CostModel.h, refitted to every measurement so far) predicts fastest, or now and
//             then a random one; all the
//             candidates of a round are compiled together (in parallel, through the kernel cache) into
//             one build, which runs once (tune/Measure.h) and times every unit at once. A build that
//             fails (compile error, crash, hang, wrong output) is split in halves, with the other
//             units at their best, until the failing candidates are found and recorded as such.
//   confirm   the best configurations and the defaults measured again, interleaved, so that a
//             configuration that won by noise loses its place
//
// Times compare as ratios: every build runs between two runs of the default build (the baseline), and
// each unit's time counts relative to its time in the baseline beside it. This machine changes speed by
// 20-40% for seconds or minutes at a time; compared raw, the winners were the candidates measured in a
// fast minute (per-unit gains of 1.3-1.5x that came to 1.04x on the whole model). (Estimating each
// build's drift from the units it left unchanged was tried and dropped: a small kernel's time depends
// on the kernels around it as much as on the machine.) A unit's best configuration is the one with the
// lowest median ratio over its measurements that never failed; a winner is measured three times before
// the search moves on from it. The defaults are candidates like any other, so the tuned choice is never
// slower than the default as measured. A unit whose every neighbour has been tried is done: a second
// tune with a warm database measures nothing and keeps every choice.
#pragma once

#include "tune/TuningDatabase.h"
#include "tune/Units.h"

#include <Halide.h>

#include <map>
#include <string>
#include <vector>

namespace deeper {

struct TuneOptions {
  std::string target = "host";
  int threads = 0;             ///< 0: every core this process may use
  double budgetSeconds = 600;  ///< no new round starts after this (round 0, the baselines, always runs)
  int64_t maxTrials = 0;       ///< the search's candidates at most, after round 0 (0: as many as the budget allows)
  int jobs = 0;                ///< parallel kernel compiles
  std::string source;
  uint64_t seed = 1;  ///< which random neighbours are explored
  /// Halide autoschedulers measured as baselines in round 0 (Schedule::autoschedulers()): all three.
  std::vector<std::string> autoschedulers = Schedule::autoschedulers();
  bool progress = true;
};

struct UnitOutcome {
  std::string kind, label, changes;  ///< changes: the best configuration's fields that differ from the default
  double defaultMs = 0, bestMs = 0;
  /// By Halide autoscheduler, its baseline's time (scaled like bestMs); -1: it failed. Units without a
  /// conv have none.
  std::map<std::string, double> autoschedulerMs;
  size_t configsTried = 0;
  bool converged = false;
};

struct TuneReport {
  std::vector<std::string> autoschedulers;  ///< measured in this run, in the report's column order
  std::vector<UnitOutcome> units;
  size_t builds = 0, candidates = 0, failed = 0;
  double defaultModelMs = 0, bestModelMs = 0;  ///< whole-run medians of the default and the confirmed builds
  double noise = 0;                            ///< median relative interquartile range of the units' times
  double seconds = 0;
};

/// What a measurement depends on: `target`, this machine, Halide, the code generator, threads, batch.
TuningContext tuningContext(const Halide::Target &target, int threads, int64_t batch);

/// Tunes `model` and records every trial in `db`.
TuneReport tuneModel(TunableModel &model, TuningDatabase &db, const TuneOptions &options);

/// The report as a table: one line per unit, then totals.
std::string printTuneReport(const TuneReport &report);

/// `deeper tune --best`: for every unit in `db`, per target, batch and threads, its best configuration
/// and its gain over the default.
std::string printBestRecords(const TuningDatabase &db);

}  // namespace deeper
