// The tuning database: every measurement `deeper tune` makes, in SQLite, so that a tuner killed at any
// moment resumes where it stopped (each trial commits on its own), records travel between machines
// (JSON lines), and `deeper compile --db` builds with the best schedule found for each kernel and module.
//
// A trial is one measured configuration of one unit:
//   unit     "kernel" (a step that runs alone), "module" (a group of branch lanes, timed as a whole),
//            "step" (a kernel inside a module: its own time, data for the cost model only), "model"
//   problem  what was tuned, schedule excluded (codegen/Kernel.h canonical text; a module's kernels and
//            lanes): equal problems in two models share their records
//   config   the schedule text (a module's: one per kernel, one per line)
// with the context it was measured in (target, machine, Halide version, code generator hash, threads,
// batch), how (origin: default, tuner, recheck, remeasure, confirm), and what happened (status, median
// and quartile times, and the default build's time measured beside it).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

struct sqlite3;

namespace deeper {

/// What a time depends on besides the configuration.
struct TuningContext {
  std::string target, machine, halide, codegen;
  int threads = 0;
  int64_t batch = 1;

  /// Same target and batch: what `deeper compile --db` needs of a record (any machine or thread count).
  bool sameTargetAndBatch(const TuningContext &o) const { return target == o.target && batch == o.batch; }
  /// Measured alike: same target, batch, machine, Halide, code generator and threads, so that the
  /// times compare. What the tuner searches with.
  bool sameMeasurement(const TuningContext &o) const {
    return sameTargetAndBatch(o) && machine == o.machine && halide == o.halide && codegen == o.codegen && threads == o.threads;
  }
};

struct Trial {
  std::string unit, problem, label;
  TuningContext context;
  std::string config, origin;
  /// ok; compile-error, crash, timeout, mismatch (the output differed from the reference): never chosen
  std::string status = "ok";
  double medianMs = 0, q1Ms = 0, q3Ms = 0;
  /// The same unit's time in the default build, run just before and after this one (the mean of the
  /// two medians): a shared machine changes speed by 20-40% for seconds or minutes at a time, so times
  /// are compared as ratios to a baseline measured side by side. 0 when there was none.
  double baselineMs = 0;
  /// medianMs over baselineMs: what configurations are compared by (1 where there is no baseline).
  double relative() const { return baselineMs > 0 ? medianMs / baselineMs : 1.0; }
  std::string detail;   ///< what went wrong, for a failed trial
  std::string created;  ///< UTC, ISO 8601, to the microsecond: with the rest, what makes a trial unique
};

class TuningDatabase {
 public:
  /// Opens (creating when missing) the database at `path`. UserError when it is not one of ours.
  explicit TuningDatabase(const std::string &path);
  ~TuningDatabase();
  TuningDatabase(const TuningDatabase &) = delete;
  TuningDatabase &operator=(const TuningDatabase &) = delete;

  /// Records `trial` (committed when this returns, unless inside `transaction`); false when an
  /// identical one is there already.
  bool insert(const Trial &trial);
  /// Runs `body` as one transaction: its inserts land together or, on an exception or a kill, not at all.
  void transaction(const std::function<void()> &body);
  /// The trials of `problem` on `target`, oldest first.
  std::vector<Trial> trials(const std::string &problem, const std::string &target) const;
  /// Every trial, oldest first.
  std::vector<Trial> all() const;

  /// Every trial as one JSON object per line.
  std::string exportJsonl() const;
  /// Adds the trials of a JSON-lines text (`path` for errors: path:line); returns how many were new.
  /// UserError at the first line that is not a trial, before anything is added.
  size_t importJsonl(const std::string &text, const std::string &path);

  const std::string &path() const { return path_; }

 private:
  std::vector<Trial> select(const std::string &where, const std::vector<std::string> &values) const;
  void execute(const std::string &sql) const;

  sqlite3 *db_ = nullptr;
  std::string path_;
};

/// The current UTC time as Trial::created wants it.
std::string utcNow();

}  // namespace deeper
